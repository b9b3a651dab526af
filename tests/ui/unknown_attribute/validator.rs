use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[validate(emial)]
    email: String,
}

fn main() {}
