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
