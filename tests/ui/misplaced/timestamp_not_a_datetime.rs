use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    created_at: String,
}

fn main() {}
