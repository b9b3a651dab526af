//! Models read from the database by `orm-migrate introspect`: review
//! the names, types and associations before relying on them.

use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(table = "auditeds", timestamps = false)]
pub struct Audited {
    pub id: i64,
    #[orm(length = 255)]
    pub name: String,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "comments", timestamps = false)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    #[orm(length = 255)]
    pub body: String,
    #[orm(foreign_key = "post_id", on_delete = "cascade")]
    pub post: BelongsTo<Post>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "countries", timestamps = false)]
pub struct Country {
    #[orm(primary_key, length = 2)]
    pub code: String,
    #[orm(length = 255)]
    pub country_name: String,
    #[orm(default = 0)]
    pub population: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "docs", timestamps = false)]
pub struct Doc {
    pub id: i64,
    #[orm(length = 255)]
    pub title: String,
    #[orm(length = 255)]
    pub body: String,
    pub version: i32,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "employees", timestamps = false)]
pub struct Employee {
    pub id: i64,
    #[orm(length = 255)]
    pub name: String,
    pub manager_id: Option<i64>,
    #[orm(foreign_key = "manager_id", on_delete = "set null")]
    pub manager: BelongsTo<Employee>,
    #[orm(foreign_key = "manager_id")]
    pub employees: HasMany<Employee>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "notes", timestamps = false)]
pub struct Note {
    pub id: i64,
    #[orm(length = 255)]
    pub text: String,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "posts", timestamps = false)]
pub struct Post {
    pub id: i64,
    #[orm(length = 255)]
    pub title: String,
    #[orm(text)]
    pub body: Option<String>,
    pub author_id: i64,
    pub editor_id: Option<i64>,
    #[orm(foreign_key = "author_id", on_delete = "cascade")]
    pub author: BelongsTo<User>,
    #[orm(foreign_key = "editor_id")]
    pub editor: BelongsTo<User>,
    #[orm(foreign_key = "post_id")]
    pub comments: HasMany<Comment>,
    #[orm(through = "post_tags", foreign_key = "post_id", other_key = "tag_id")]
    pub tags: BelongsToMany<Tag>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "profiles", timestamps = false)]
pub struct Profile {
    pub id: i64,
    pub user_id: Option<i64>,
    #[orm(length = 255)]
    pub about: String,
    #[orm(foreign_key = "user_id", on_delete = "set null")]
    pub user: BelongsTo<User>,
}

#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SampleRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "member")]
    Member,
}

#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SampleMaybeRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "member")]
    Member,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "samples", timestamps = false)]
pub struct Sample {
    pub id: i64,
    pub small: i16,
    pub medium: i32,
    pub big: i64,
    pub single: f32,
    pub double: f64,
    pub flag: bool,
    #[orm(length = 255)]
    pub label: String,
    #[orm(text)]
    pub body: String,
    pub blob: Vec<u8>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub local: chrono::DateTime<chrono::Utc>,
    pub day: chrono::NaiveDate,
    pub clock: chrono::NaiveTime,
    pub uid: uuid::Uuid,
    pub doc: serde_json::Value,
    pub price: rust_decimal::Decimal,
    pub role: SampleRole,
    pub maybe_int: Option<i64>,
    #[orm(length = 255)]
    pub maybe_text: Option<String>,
    pub maybe_at: Option<chrono::DateTime<chrono::Utc>>,
    pub maybe_uid: Option<uuid::Uuid>,
    pub maybe_doc: Option<serde_json::Value>,
    pub maybe_price: Option<rust_decimal::Decimal>,
    pub maybe_role: Option<SampleMaybeRole>,
    pub maybe_blob: Option<Vec<u8>>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "tags", timestamps = false)]
pub struct Tag {
    pub id: i64,
    #[orm(length = 255, unique)]
    pub name: String,
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
    #[orm(index)]
    pub age: Option<i32>,
    #[orm(text)]
    pub bio: Option<String>,
    #[orm(default = 0)]
    pub visits: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[orm(foreign_key = "author_id")]
    pub author_posts: HasMany<Post>,
    #[orm(foreign_key = "editor_id")]
    pub editor_posts: HasMany<Post>,
    #[orm(foreign_key = "user_id")]
    pub profiles: HasMany<Profile>,
}
