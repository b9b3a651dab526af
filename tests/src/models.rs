//! Models shared by the integration tests.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A role stored as 'admin' / 'member'.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Can do everything.
    Admin,
    /// The default.
    Member,
}

fn no_bad_words(name: &str) -> Result<(), String> {
    if name.contains("forbidden") {
        Err("must not contain a forbidden word".into())
    } else {
        Ok(())
    }
}

/// A user with only a name (and an email made from it); the rest default.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        role: None,
        age: None,
        bio: None,
        visits: None,
    }
}

/// The seed's user.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(table = "users")]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Key.
    pub id: i64,
    /// Display name.
    #[orm(length = 80)]
    #[validate(custom(function = "no_bad_words"))]
    pub name: String,
    /// Unique, validated.
    #[orm(unique)]
    #[validate(email)]
    pub email: String,
    /// Defaults to member.
    #[orm(default = Role::Member)]
    pub role: Role,
    /// Nullable, validated when set.
    #[orm(index)]
    #[validate(range(min = 0, max = 150))]
    pub age: Option<i32>,
    /// Unbounded text.
    #[orm(text)]
    pub bio: Option<String>,
    /// A default number.
    #[orm(default = 0)]
    pub visits: i64,
    /// Managed.
    pub created_at: DateTime<Utc>,
    /// Managed.
    pub updated_at: DateTime<Utc>,
    /// Not a column.
    #[orm(skip)]
    #[serde(skip)]
    pub scratch: Option<String>,
    /// Posts written.
    #[orm(foreign_key = "author_id")]
    #[serde(default, skip_serializing_if = "HasMany::is_unloaded")]
    pub posts: HasMany<Post>,
    /// The profile, whose `user_id` is set to NULL when the user goes.
    #[orm(on_delete = "set null")]
    #[serde(default, skip_serializing_if = "HasOne::is_unloaded")]
    pub profile: HasOne<Profile>,
}

/// A post by a user, with tags and comments.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(timestamps = false)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// Key.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Optional body.
    #[orm(text)]
    pub body: Option<String>,
    /// The author.
    pub author_id: i64,
    /// An optional second user.
    pub editor_id: Option<i64>,
    /// Deleted with its author.
    #[orm(on_delete = "cascade")]
    #[serde(default, skip_serializing_if = "BelongsTo::is_unloaded")]
    pub author: BelongsTo<User>,
    /// Same target, another name.
    #[serde(default, skip_serializing_if = "BelongsTo::is_unloaded")]
    pub editor: BelongsTo<User>,
    /// Tags through `post_tags`.
    #[orm(through = "post_tags", foreign_key = "post_id", other_key = "tag_id")]
    #[serde(default, skip_serializing_if = "BelongsToMany::is_unloaded")]
    pub tags: BelongsToMany<Tag>,
    /// Comments (`comments.post_id` by convention).
    #[serde(default, skip_serializing_if = "HasMany::is_unloaded")]
    pub comments: HasMany<Comment>,
}

/// A tag on posts.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(timestamps = false)]
pub struct Tag {
    /// Key.
    pub id: i64,
    /// Unique name.
    #[orm(unique)]
    pub name: String,
    /// The other side of `Post.tags`.
    #[orm(through = "post_tags", foreign_key = "tag_id", other_key = "post_id")]
    #[serde(default, skip_serializing_if = "BelongsToMany::is_unloaded")]
    pub posts: BelongsToMany<Post>,
}

/// A comment on a post.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(timestamps = false)]
pub struct Comment {
    /// Key.
    pub id: i64,
    /// The post.
    pub post_id: i64,
    /// Text.
    pub body: String,
    /// Deleted with its post.
    #[orm(on_delete = "cascade")]
    #[serde(default, skip_serializing_if = "BelongsTo::is_unloaded")]
    pub post: BelongsTo<Post>,
}

/// A user's profile (an optional relation: `user_id` is nullable).
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(timestamps = false)]
pub struct Profile {
    /// Key.
    pub id: i64,
    /// The owner, if any.
    pub user_id: Option<i64>,
    /// Text.
    pub about: String,
}

/// A self-reference: managers and their reports.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(timestamps = false)]
pub struct Employee {
    /// Key.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The manager, if any.
    pub manager_id: Option<i64>,
    /// Who this employee reports to.
    #[orm(on_delete = "set null")]
    #[serde(default, skip_serializing_if = "BelongsTo::is_unloaded")]
    pub manager: BelongsTo<Employee>,
    /// Who reports to this employee.
    #[orm(foreign_key = "manager_id")]
    #[serde(default, skip_serializing_if = "HasMany::is_unloaded")]
    pub reports: HasMany<Employee>,
}

/// Every supported column type, for round trips.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Sample {
    /// Key.
    pub id: i64,
    /// i16
    pub small: i16,
    /// i32
    pub medium: i32,
    /// i64
    pub big: i64,
    /// f32
    pub single: f32,
    /// f64
    pub double: f64,
    /// bool
    pub flag: bool,
    /// String
    pub label: String,
    /// TEXT
    #[orm(text)]
    pub body: String,
    /// bytes
    pub blob: Vec<u8>,
    /// timestamp
    pub at: DateTime<Utc>,
    /// naive timestamp
    pub local: NaiveDateTime,
    /// date
    pub day: NaiveDate,
    /// time
    pub clock: NaiveTime,
    /// uuid
    pub uid: uuid::Uuid,
    /// json
    pub doc: serde_json::Value,
    /// decimal
    pub price: rust_decimal::Decimal,
    /// enum
    pub role: Role,
    /// nullable of each kind
    pub maybe_int: Option<i64>,
    /// nullable
    pub maybe_text: Option<String>,
    /// nullable
    pub maybe_at: Option<DateTime<Utc>>,
    /// nullable
    pub maybe_uid: Option<uuid::Uuid>,
    /// nullable
    pub maybe_doc: Option<serde_json::Value>,
    /// nullable
    pub maybe_price: Option<rust_decimal::Decimal>,
    /// nullable
    pub maybe_role: Option<Role>,
    /// nullable
    pub maybe_blob: Option<Vec<u8>>,
}

/// A natural (non-auto) primary key and a renamed column.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Country {
    /// ISO code.
    #[orm(primary_key, length = 2)]
    pub code: String,
    /// Stored as `country_name`.
    #[orm(column = "country_name")]
    pub name: String,
    /// Defaults to 0.
    #[orm(default = 0)]
    pub population: i64,
}

/// A paranoid (soft-delete) model.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(paranoid, timestamps = false)]
pub struct Note {
    /// Key.
    pub id: i64,
    /// Text.
    pub text: String,
    /// Set by destroy.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// An optimistically locked model.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(version, timestamps = false)]
pub struct Doc {
    /// Key.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Bumped by every save.
    pub version: i32,
}

/// A model with lifecycle hooks that record their order.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(hooks, timestamps = false)]
pub struct Audited {
    /// Key.
    pub id: i64,
    /// Normalized to lower case by a hook; "reject" aborts.
    pub name: String,
    /// What ran, in order.
    #[orm(skip)]
    pub trail: Vec<String>,
}

impl orm_core::Hooks for Audited {
    fn before_validate(&mut self) -> orm_core::Result<()> {
        self.trail.push("before_validate".into());
        self.name = self.name.to_lowercase();
        Ok(())
    }
    fn before_save(&mut self) -> orm_core::Result<()> {
        self.trail.push("before_save".into());
        Ok(())
    }
    fn before_create(&mut self) -> orm_core::Result<()> {
        self.trail.push("before_create".into());
        if self.name == "reject" {
            return Err(orm_core::Error::validation("Audited", "name", "rejected by a hook"));
        }
        Ok(())
    }
    fn after_create(&self) -> orm_core::Result<()> {
        HOOK_LOG.lock().unwrap().push(format!("after_create {}", self.id));
        Ok(())
    }
    fn before_update(&mut self) -> orm_core::Result<()> {
        self.trail.push("before_update".into());
        Ok(())
    }
    fn before_destroy(&self) -> orm_core::Result<()> {
        if self.name == "keep" {
            return Err(orm_core::Error::validation("Audited", "name", "cannot be destroyed"));
        }
        Ok(())
    }
}

/// What `after_*` hooks saw (they take `&self`).
pub static HOOK_LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
