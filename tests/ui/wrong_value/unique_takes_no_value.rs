use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(unique = true)]
    email: String,
}

fn main() {}
