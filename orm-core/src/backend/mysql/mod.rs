//! MySQL and MariaDB: the dialect, catalog, driver (mysql_async) and migration data.

pub(crate) mod catalog;
pub(crate) mod dialect;
#[cfg(feature = "mysql")]
mod driver;
#[cfg(feature = "mysql")]
mod values;

use super::migration::{MigrationLockKind, MigrationSupport, Scratch};
use crate::driver::{ConnectOptions, Connected};
use crate::error::Result;
use futures_util::future::BoxFuture;

/// Opens a pool (see [`super::Backend::connect`]).
#[cfg(feature = "mysql")]
pub(crate) fn connect(o: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    Box::pin(driver::connect(o))
}

/// Built without the `mysql` feature: an error naming it.
#[cfg(not(feature = "mysql"))]
pub(crate) fn connect(_: &ConnectOptions) -> BoxFuture<'_, Result<Connected>> {
    super::without_feature("mysql")
}

/// `GET_LOCK` per database; a scratch database for `check`; the lint's
/// rules for ALTERs that copy the table.
pub(crate) static MIGRATION: MigrationSupport = MigrationSupport {
    lock: MigrationLockKind::Advisory {
        try_lock: "SELECT CAST(COALESCE(GET_LOCK(CONCAT('orm_migrate:', DATABASE()), 0), 0) AS SIGNED)",
        unlock: "SELECT CAST(COALESCE(RELEASE_LOCK(CONCAT('orm_migrate:', DATABASE())), 0) AS SIGNED)",
    },
    rebuild_foreign_keys: None,
    scratch: Scratch::Namespace {
        create: |name| format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"),
        drop: |name| format!("DROP DATABASE IF EXISTS `{name}`"),
        url: |server, name| {
            let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
            format!("{base}/{name}")
        },
        list: "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata",
    },
    safety_rules,
};

fn safety_rules(t: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if !t.starts_with("ALTER TABLE ") {
        return out;
    }
    if t.contains("ALGORITHM=COPY") || t.contains("ALGORITHM = COPY") {
        out.push((
            "ALGORITHM=COPY copies the whole table and blocks writes meanwhile",
            "ALGORITHM=INPLACE, LOCK=NONE (or INSTANT) where the change allows it; an online schema change tool otherwise",
        ));
    }
    if t.contains(" MODIFY ") || t.contains(" CHANGE ") {
        out.push((
            "changing a column's definition (MODIFY/CHANGE) copies the table on most type changes",
            "add a new column, backfill it in batches, switch, then drop the old one; or add ALGORITHM=INPLACE, LOCK=NONE so the server refuses instead of copying",
        ));
    }
    if t.contains(" PRIMARY KEY") && (t.contains(" ADD ") || t.contains(" DROP PRIMARY KEY")) {
        out.push((
            "adding or dropping a primary key rebuilds the table",
            "create the new table with its key, copy rows in batches, and swap with RENAME TABLE",
        ));
    }
    if t.contains(" CONVERT TO CHARACTER SET ") {
        out.push((
            "CONVERT TO CHARACTER SET rewrites every row",
            "convert the columns that need it one by one with an online schema change tool",
        ));
    }
    if t.contains(" ADD ") && (t.contains(" AFTER ") || t.ends_with(" FIRST") || t.contains(" FIRST,")) {
        out.push((
            "ADD COLUMN .. FIRST/AFTER rebuilds the table (only a column added last is instant)",
            "add the column at the end (ALGORITHM=INSTANT)",
        ));
    }
    out
}
