//! The benchmark schema (after diesel_bench): users, posts, comments.

use orm_core::prelude::*;

/// A user.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users", timestamps = false)]
pub struct BUser {
    pub id: i64,
    pub name: String,
    pub hair_color: Option<String>,
    #[orm(foreign_key = "user_id")]
    pub posts: HasMany<BPost>,
}

/// A post.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "posts", timestamps = false)]
pub struct BPost {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: Option<String>,
    #[orm(foreign_key = "post_id")]
    pub comments: HasMany<BComment>,
    #[orm(foreign_key = "user_id")]
    pub user: BelongsTo<BUser>,
}

/// A comment.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "comments", timestamps = false)]
pub struct BComment {
    pub id: i64,
    pub post_id: i64,
    pub text: String,
}

/// A named counter (W9's upsert target: `name` is unique).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "counters", timestamps = false)]
pub struct BCounter {
    pub id: i64,
    #[orm(unique, length = 40)]
    pub name: String,
    pub hits: i64,
}
