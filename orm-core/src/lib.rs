//! # orm-core
//!
//! A Sequelize-style ORM for Rust: models from `#[derive(Model)]`, typed
//! queries, validation before SQL, transactions, and schema sync, on
//! PostgreSQL and MySQL/MariaDB (over sqlx) and SQLite (over rusqlite, in
//! process).
//!
//! ```
//! use orm_core::prelude::*;
//!
//! #[derive(Model, Debug, Clone)]
//! struct User {
//!     id: i64,
//!     #[orm(length = 80)]
//!     name: String,
//! }
//!
//! # async fn demo() -> orm_core::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! Schema::new().model::<User>().sync(&db).await?;
//! let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
//! let found = User::find().filter(User::NAME.eq("Ada")).one(&db).await?;
//! assert_eq!(found.map(|u| u.id), Some(ada.id));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! The guide (the project README) follows; its examples are compiled and
//! run as the blog example's doctests. The attribute reference is on the
//! [`Model`](derive@Model) derive's page.
#![cfg_attr(all(doc, not(doctest)), doc = include_str!("../../README.md"))]
#![warn(missing_docs)]

mod association;
mod ast;
mod backend;
mod bulk;
mod column;
mod crud;
mod db;
mod dialect;
mod driver;
mod error;
mod expr;
mod field;
mod group;
mod guard;
mod has_many;
mod hooks;
mod include;
mod lock;
mod meta;
mod model;
mod page;
mod placeholders;
mod query;
mod raw;
mod row;
mod runtime;
mod schema;
mod subquery;
mod tracked;
mod value;

pub use association::{BelongsTo, BelongsToMany, HasMany, HasOne};
pub use backend::Dialect;
pub use backend::migration::{ForeignKeySwitch, MigrationLockKind, MigrationSupport, Scratch};
pub use column::{Column, Condition, IntoOperand, Order};
pub use crud::Crud;
pub use db::{Connection, Db, DbBuilder, Executor, Isolation, QueryEvent, ReplicaStatus, Transaction};
pub use dialect::Statement;
pub use error::{Error, FieldErrors, Result};
pub use expr::{Computed, JsonField};
pub use field::{DbEnum, FieldType, IntoValue, Json};
pub use group::{GroupKey, Grouped, Having, HavingCond, Summable};
pub use hooks::{BulkEvent, Event, Hooks};
pub use include::Assoc;
pub use include::AssocColumn;
pub use lock::Lock;
pub use meta::{AssocKind, AssocMeta, ColumnMeta, ModelMeta};
pub use model::Model;
pub use query::{Find, Picked, Selection};
pub use raw::{FromRow, Raw, raw};
pub use row::RowRef;
pub use schema::{
    CheckReport, ColumnRename, FOREIGN_KEYS_OFF, Introspection, MIGRATION_GUARD, Schema, SchemaDiff, Snapshot,
};
pub use subquery::Selected;
pub use tracked::Tracked;
pub use value::{SqlType, Value};

#[doc = include_str!("docs/derive_model.md")]
pub use orm_derive::Model;

#[doc = include_str!("docs/derive_db_enum.md")]
pub use orm_derive::DbEnum;

/// What most code needs: `use orm_core::prelude::*;`
pub mod prelude {
    pub use crate::{
        BelongsTo, BelongsToMany, Column, Condition, Db, DbEnum, Dialect, Error, Executor, FieldErrors, Find, HasMany,
        HasOne, Having, Json, Lock, Model, Order, QueryEvent, Result, Schema, Transaction, raw,
    };
}

/// Runtime support for generated code. Not a public API: it may change in
/// any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::association::{AssocField, Loaded};
    pub use crate::bulk::{bulk_create, find_or_create, upsert, upsert_on};
    pub use crate::error::FieldErrors;
    pub use crate::has_many::{adopt, is_related, orphan, replace_children};
    pub use crate::include::{count_related, get_related, link, set_links, unlink};
    pub use crate::runtime::{
        create, destroy, destroy_force, find_by_key, increment, reload, restore, save, save_columns, update, validate,
    };
    pub use chrono::{DateTime, Utc};
    pub use serde;
    pub use std::option::Option;
    pub use std::result::Result;
    pub use std::string::String;
    pub use std::vec::Vec;
    pub use validator;

    use crate::row::RowRef;

    /// What a `DbEnum` needs for the serde derives of `NewX` and `XPatch`.
    #[diagnostic::on_unimplemented(
        message = "the DbEnum `{Self}` needs serde's `Serialize` and `Deserialize`",
        label = "add `#[derive(Serialize, Deserialize)]` to this enum",
        note = "a model's `NewX` and `XPatch` are serde types, so every column type needs both"
    )]
    pub trait DbEnumSerde {}
    impl<T: serde::Serialize + serde::de::DeserializeOwned> DbEnumSerde for T {}

    /// Checked by `#[derive(DbEnum)]` at the enum's name.
    pub fn db_enum_needs_serde<T: DbEnumSerde>() {}

    /// Record `message` for `field` when `ok` is false.
    pub fn check(errors: &mut FieldErrors, field: &str, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            errors.entry(field.to_owned()).or_default().push(message());
        }
    }

    /// The result of a `custom` validator: `Err(e)` records `e`'s text.
    pub fn check_custom<E: std::fmt::Display>(errors: &mut FieldErrors, field: &str, r: Result<(), E>) {
        if let Err(e) = r {
            errors.entry(field.to_owned()).or_default().push(e.to_string());
        }
    }

    /// `column = key` for `find_by_pk` (any value that converts to the key's type).
    pub fn key_eq<M, T: crate::FieldType>(
        column: crate::Column<M, T>,
        key: impl crate::IntoValue<T::Compare>,
    ) -> crate::Condition<M> {
        column.eq_value(key.into_value())
    }

    /// `length = N` on a string column: at most N characters.
    pub fn max_chars(s: &str, max: usize) -> bool {
        s.chars().nth(max).is_none()
    }

    /// A field's decoded value, or its error naming the model, its field
    /// and `table.column` (generated `__from_row_at` wraps every field).
    #[inline]
    pub fn decoded<T>(r: crate::Result<T>, meta: &'static crate::ModelMeta, idx: usize) -> crate::Result<T> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(crate::row::in_column(e, meta, idx)),
        }
    }

    /// Decode a `DbEnum` from its stored label.
    pub fn decode_enum<E: crate::DbEnum>(row: RowRef<'_>, idx: usize, name: &str) -> crate::Result<E> {
        crate::field::decode_enum(row, idx, name)
    }

    /// Deserialize a present value (even `null`) as `Some`, so that an
    /// `Option<Option<T>>` tells "absent" from "null".
    pub fn deserialize_some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: serde::Deserializer<'de>,
        T: serde::Deserialize<'de>,
    {
        T::deserialize(d).map(Some)
    }

    /// A value for the column of a `FieldType`.
    pub fn to_value<T: crate::FieldType>(v: &T) -> crate::Value {
        v.to_value()
    }

    /// Start a query on `M`, with its default scope applied.
    pub fn find<M: crate::Model>() -> crate::Find<M> {
        M::__default_scope(crate::Find::new())
    }

    /// Start a query on `M` without its default scope.
    pub fn unscoped<M: crate::Model>() -> crate::Find<M> {
        crate::Find::new()
    }

    /// Merge a model-level check (`#[orm(validate = ..)]`) into `errors`.
    pub fn check_model(errors: &mut FieldErrors, r: Result<(), FieldErrors>) {
        if let Err(found) = r {
            for (field, messages) in found {
                errors.entry(field).or_default().extend(messages);
            }
        }
    }
}
