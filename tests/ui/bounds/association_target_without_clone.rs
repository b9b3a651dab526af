use orm_core::prelude::*;

#[derive(Model, Debug)]
#[orm(timestamps = false)]
struct Post {
    id: i64,
    user_id: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct User {
    id: i64,
    posts: HasMany<Post>,
}

fn main() {}
