use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(length = 10)]
    age: i32,
}

fn main() {}
