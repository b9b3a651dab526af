//! # orm-core
//!
//! A Sequelize-style ORM for Rust: models from `#[derive(Model)]`, typed
//! queries, validation before SQL, transactions, and schema sync, on
//! PostgreSQL (over tokio-postgres), MySQL/MariaDB (over mysql_async) and
//! SQLite (over rusqlite, in process).
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

mod assoc;
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
mod guard;
mod hooks;
mod include;
mod insert_many;
mod meta;
mod model;
mod nested;
mod other_keys;
mod placeholders;
mod query;
mod raw;
mod row;
mod runtime;
mod schema;
pub mod testing;
mod tracked;
mod value;

pub use assoc::fields::{BelongsTo, BelongsToMany, HasMany, HasOne};
pub use backend::Dialect;
pub use backend::migration::{ForeignKeySwitch, MigrationLockKind, MigrationSupport, Scratch};
pub use column::{Column, Condition, IntoOperand, Order};
pub use crud::Crud;
pub use db::{AfterCommit, Connection, Db, DbBuilder, Executor, Isolation, QueryEvent, ReplicaStatus, Transaction};
pub use dialect::Statement;
pub use error::{Error, FieldErrors, MigrationErrorKind, Result};
pub use expr::{Computed, JsonField};
pub use field::{DbEnum, FieldType, IntoValue, Json};
pub use hooks::{BulkEvent, Event, Hooks};
pub use include::Assoc;
pub use include::AssocColumn;
pub use insert_many::{Columns, InsertMany};
pub use meta::{AssocKind, AssocMeta, ColumnMeta, ModelMeta};
pub use model::Model;
pub use nested::{Children, Create, Nested};
pub use query::group::{GroupKey, Grouped, Having, HavingCond, Summable};
pub use query::keyset::{Cursor, Page, Paginate};
pub use query::lock::Lock;
pub use query::subquery::Selected;
pub use query::{Find, Picked, Selection};
pub use raw::{FromRow, Raw, raw};
pub use row::RowRef;
pub use schema::{
    CheckReport, ColumnRename, FOREIGN_KEYS_OFF, Introspection, MIGRATION_GUARD, Schema, SchemaDiff, Snapshot,
};
pub use tracked::Tracked;
pub use value::{SqlType, Value};

#[doc = include_str!("docs/derive_model.md")]
pub use orm_derive::Model;

#[doc = include_str!("docs/derive_db_enum.md")]
pub use orm_derive::DbEnum;

/// What most code needs: `use orm_core::prelude::*;`
///
/// It holds nothing a model is commonly named: `Order`, `Condition`,
/// `Lock`, `Having`, `Json` and `Raw` are at the crate root
/// (`use orm_core::{Condition, Lock, Order};`), so the prelude and a glob
/// import of your models live side by side even with a model named `Order`.
///
/// ```
/// mod models {
///     use orm_core::prelude::*;
///     #[derive(Model, Debug, Clone)]
///     pub struct Order { pub id: i64, pub total: i64 }
/// }
/// use models::*;
/// use orm_core::prelude::*;
///
/// # async fn demo() -> orm_core::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// Schema::new().model::<Order>().sync(&db).await?;
/// assert_eq!(Order::find().count(&db).await?, 0);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub mod prelude {
    pub use crate::{
        BelongsTo, BelongsToMany, Column, Db, DbEnum, Dialect, Error, Executor, FieldErrors, Find, HasMany, HasOne,
        Model, Nested, QueryEvent, Result, Schema, Transaction, raw,
    };
}

/// Runtime support for generated code. Not a public API: it may change in
/// any release.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
