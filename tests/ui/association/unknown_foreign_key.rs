use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
    #[orm(foreign_key = "writer_id")]
    posts: HasMany<Post>,
}

#[derive(Model, Debug, Clone)]
struct Post {
    id: i64,
    author_id: i64,
}

fn main() {}
