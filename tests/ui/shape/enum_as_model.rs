use orm_core::prelude::*;

#[derive(Model)]
enum User {
    Admin,
}

fn main() {}
