//! SQLite: the dialect, catalog, in-process driver (rusqlite: `driver.rs`
//! statements and traits, `pool.rs`, `values.rs`, `functions.rs`) and
//! migration data.

pub(crate) mod catalog;
pub(crate) mod dialect;
#[cfg(feature = "sqlite")]
mod driver;
#[cfg(feature = "sqlite")]
mod functions;
#[cfg(feature = "sqlite")]
mod pool;
#[cfg(feature = "sqlite")]
mod values;

use super::migration::{ForeignKeySwitch, MigrationLockKind, MigrationSupport, Scratch};
use crate::driver::{ConnectOptions, Connected};
use crate::error::Result;
use futures_util::future::BoxFuture;

/// Opens a pool (see [`super::Backend::connect`]).
#[cfg(feature = "sqlite")]
pub(crate) fn connect(o: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    Box::pin(driver::connect(o))
}

/// Built without the `sqlite` feature: an error naming it.
#[cfg(not(feature = "sqlite"))]
pub(crate) fn connect(_: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    super::without_feature("sqlite")
}

/// `BEGIN IMMEDIATE` is the lock; foreign keys off around a rebuild (they
/// cannot change inside a transaction), checked with
/// `pragma_foreign_key_check`; a temporary file for `check`; no lint rules
/// (a local file; a rebuild is the documented way to change a column).
pub(crate) static MIGRATION: MigrationSupport = MigrationSupport {
    lock: MigrationLockKind::Transaction,
    rebuild_foreign_keys: Some(ForeignKeySwitch {
        off: "PRAGMA foreign_keys = OFF",
        on: "PRAGMA foreign_keys = ON",
        violations: "SELECT \"table\", COALESCE(rowid, 0), parent FROM pragma_foreign_key_check",
    }),
    scratch: Scratch::File {
        url: |path| format!("sqlite://{path}"),
        memory: "sqlite::memory:",
    },
    safety_rules: |_| Vec::new(),
};
