use orm_core::prelude::*;

#[derive(Debug, Clone)]
struct Post {
    id: i64,
}

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
    posts: HasMany<Post>,
}

fn main() {}
