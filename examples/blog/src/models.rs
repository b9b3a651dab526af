//! The blog's models: users and their posts.

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A user's role, stored as 'admin' / 'member'.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the blog.
    Admin,
    /// Writes posts (the default).
    Member,
}

/// A blog user.
#[derive(Model, Debug, Clone, Serialize, Deserialize)]
#[orm(table = "users")]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Key.
    pub id: i64,
    /// Display name.
    #[orm(length = 80)]
    #[validate(length(min = 1))]
    pub name: String,
    /// Unique, and a valid address.
    #[orm(unique)]
    #[validate(email)]
    pub email: String,
    /// `member` unless given.
    #[orm(default = Role::Member)]
    pub role: Role,
    /// Managed.
    pub created_at: DateTime<Utc>,
    /// Managed.
    pub updated_at: DateTime<Utc>,
    /// Filled by `include(User::posts())`.
    #[orm(foreign_key = "author_id")]
    #[serde(default, skip_serializing_if = "HasMany::is_unloaded")]
    pub posts: HasMany<Post>,
}

/// A post by a user.
#[derive(Model, Debug, Clone, Serialize, Deserialize)]
#[orm(timestamps = false)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// Key.
    pub id: i64,
    /// Title.
    #[orm(length = 200)]
    #[validate(length(min = 1))]
    pub title: String,
    /// Optional text.
    #[orm(text)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The author's key.
    pub author_id: i64,
    /// Filled by `include(Post::author())`; posts go with their author.
    #[orm(on_delete = "cascade")]
    #[serde(default, skip_serializing_if = "BelongsTo::is_unloaded")]
    pub author: BelongsTo<User>,
}
