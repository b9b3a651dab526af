use orm_core::prelude::*;

#[derive(Model)]
#[orm(default_scope = "live")]
struct Listing {
    id: i64,
    archived: bool,
}

fn main() {}
