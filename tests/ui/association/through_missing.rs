use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct Tag {
    id: i64,
}

#[derive(Model, Debug, Clone)]
struct Post {
    id: i64,
    tags: BelongsToMany<Tag>,
}

fn main() {}
