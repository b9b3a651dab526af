use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
    posts: HasMany<Post>,
}

#[derive(Model, Debug, Clone)]
struct Post {
    id: i64,
    writer_id: i64,
}

fn main() {}
