//! Models read from the database by `orm-migrate introspect`: review
//! the names, types and associations before relying on them.

use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(table = "posts", timestamps = false)]
pub struct Post {
    pub id: i64,
    #[orm(length = 200)]
    pub title: String,
    #[orm(text)]
    pub body: Option<String>,
    pub author_id: i64,
    #[orm(foreign_key = "author_id", on_delete = "cascade")]
    pub author: BelongsTo<User>,
    #[orm(through = "post_tags", foreign_key = "post_id", other_key = "tag_id")]
    pub tags: BelongsToMany<Tag>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "tags", timestamps = false)]
pub struct Tag {
    pub id: i64,
    #[orm(length = 40, unique)]
    pub label: String,
    #[orm(index, default = 0)]
    pub uses: i32,
    #[orm(through = "post_tags", foreign_key = "tag_id", other_key = "post_id")]
    pub posts: BelongsToMany<Post>,
}

#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "member")]
    Member,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "users")]
pub struct User {
    pub id: i64,
    #[orm(length = 80)]
    pub name: String,
    #[orm(length = 255, unique)]
    pub email: String,
    #[orm(default = UserRole::Member)]
    pub role: UserRole,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[orm(foreign_key = "author_id")]
    pub posts: HasMany<Post>,
}
