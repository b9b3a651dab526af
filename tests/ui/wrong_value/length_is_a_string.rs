use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(length = "80")]
    name: String,
}

fn main() {}
