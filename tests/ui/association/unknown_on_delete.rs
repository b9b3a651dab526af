use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct User {
    id: i64,
}

#[derive(Model, Debug, Clone)]
struct Post {
    id: i64,
    user_id: i64,
    #[orm(on_delete = "explode")]
    user: BelongsTo<User>,
}

fn main() {}
