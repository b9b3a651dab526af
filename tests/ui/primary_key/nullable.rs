use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: Option<i64>,
}

fn main() {}
