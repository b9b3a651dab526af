use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(text, length = 10)]
    bio: String,
}

fn main() {}
