use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(skip, unique)]
    cache: String,
}

fn main() {}
