//! PostgreSQL: its dialect, catalog, driver (tokio-postgres) and migration data.

pub(crate) mod catalog;
pub(crate) mod dialect;
#[cfg(feature = "postgres")]
mod driver;
#[cfg(feature = "postgres")]
mod values;

use super::migration::{MigrationLockKind, MigrationSupport, Scratch};
use crate::driver::{ConnectOptions, Connected};
use crate::error::Result;
use futures_util::future::BoxFuture;

/// Opens a pool (see [`super::Backend::connect`]).
#[cfg(feature = "postgres")]
pub(crate) fn connect(o: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    Box::pin(driver::connect(o))
}

/// Built without the `postgres` feature: an error naming it.
#[cfg(not(feature = "postgres"))]
pub(crate) fn connect(_: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    super::without_feature("postgres")
}

/// An advisory lock per schema; a scratch schema for `check`; the lint's
/// rules for DDL that blocks writes or rewrites a table.
pub(crate) static MIGRATION: MigrationSupport = MigrationSupport {
    lock: MigrationLockKind::Advisory {
        try_lock: "SELECT CASE WHEN pg_try_advisory_lock(7262737, hashtext(current_schema())) THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END",
        unlock: "SELECT pg_advisory_unlock(7262737, hashtext(current_schema()))",
    },
    rebuild_foreign_keys: None,
    scratch: Scratch::Namespace {
        create: |name| format!("CREATE SCHEMA \"{name}\""),
        drop: |name| format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
        url: |server, name| {
            let sep = if server.contains('?') { '&' } else { '?' };
            format!("{server}{sep}options=-c%20search_path%3D{name}&application_name={name}")
        },
        list: "SELECT nspname::text FROM pg_namespace",
    },
    safety_rules,
};

fn safety_rules(t: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let index = t.starts_with("CREATE INDEX ") || t.starts_with("CREATE UNIQUE INDEX ");
    if index && !t.contains(" CONCURRENTLY ") {
        out.push((
            "CREATE INDEX blocks every write to the table until the index is built",
            "CREATE INDEX CONCURRENTLY, in a migration whose first line is `-- orm:no-transaction`",
        ));
    }
    if t.starts_with("ALTER TABLE ") {
        if t.contains(" ALTER COLUMN ") && (t.contains(" TYPE ") || t.contains(" SET DATA TYPE ")) {
            out.push((
                "ALTER COLUMN .. TYPE rewrites the whole table under an exclusive lock",
                "add a new column of the new type, backfill it in batches, then switch reads and drop the old one",
            ));
        }
        if t.contains(" ADD COLUMN ") && t.contains(" NOT NULL") && !t.contains(" DEFAULT ") {
            out.push((
                "ADD COLUMN .. NOT NULL without a DEFAULT fails on a table that has rows",
                "add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or nullable, backfill, then SET NOT NULL",
            ));
        }
        if t.contains(" SET NOT NULL") {
            out.push((
                "SET NOT NULL scans the whole table under an exclusive lock",
                "ADD CONSTRAINT .. CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (which uses the check)",
            ));
        }
        if t.contains(" FOREIGN KEY ") && t.contains(" ADD ") && !t.contains(" NOT VALID") {
            out.push((
                "adding a FOREIGN KEY validates every row while both tables are locked against writes",
                "ADD CONSTRAINT .. NOT VALID, then ALTER TABLE .. VALIDATE CONSTRAINT in a later statement",
            ));
        }
    }
    out
}
