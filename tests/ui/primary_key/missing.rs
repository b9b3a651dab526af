use orm_core::prelude::*;

#[derive(Model)]
struct User {
    name: String,
}

fn main() {}
