use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
}

#[derive(Model, Debug, Clone)]
struct Post {
    id: i64,
    author: BelongsTo<User>,
}

fn main() {}
