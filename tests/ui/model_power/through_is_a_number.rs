use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Tag {
    id: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Post {
    id: i64,
    #[orm(through = 3)]
    tags: BelongsToMany<Tag>,
}

fn main() {}
