use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
    #[orm(through = "friendships")]
    friends: BelongsToMany<User>,
}

fn main() {}
