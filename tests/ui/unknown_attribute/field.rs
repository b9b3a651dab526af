use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    #[orm(uniqe)]
    email: String,
}

fn main() {}
