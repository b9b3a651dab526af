use orm_core::prelude::*;

#[derive(Model)]
#[orm(default_scope = Self::live)]
struct Listing {
    id: i64,
    archived: bool,
}

impl Listing {
    fn live(archived: bool) -> bool {
        archived
    }
}

fn main() {}
