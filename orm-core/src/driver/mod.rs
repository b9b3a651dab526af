//! The driver layer: how statements reach a database and rows come back.
//!
//! Everything above this module speaks three object-safe traits and never
//! names a driver crate:
//!
//! - [`Driver`]: one pool (fetch / execute / stream a [`Statement`] on a
//!   pooled connection, acquire a connection of one's own, close);
//! - [`DriverConn`]: one held connection (a transaction's or
//!   `Db::acquire`'s), which knows what to do when dropped dirty (inside a
//!   transaction or holding session state);
//! - [`RowAccess`] (in `row.rs`): typed reads of one result row by column
//!   index, behind the public [`RowRef`](crate::RowRef).
//!
//! Each database's driver lives in its home, `backend/<db>/driver.rs` with
//! `values.rs` (SQLite's also with `pool.rs`, `functions.rs`): its connect
//! (URL, session settings, probe), how a [`Value`](crate::Value) is bound,
//! how a column decodes, and what its errors say (code, message, constraint
//! fields). PostgreSQL runs on tokio-postgres, MySQL/MariaDB on
//! mysql_async; both share the connection pool in `pool.rs`.
//! Errors leave a driver already mapped to [`Error`](crate::Error) by the
//! dialect's classification ([`crate::dialect::classify`]), from a
//! driver-neutral [`DbError`](crate::error::DbError).

#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) mod pool;

use crate::dialect::Statement;
use crate::error::Result;
pub(crate) use crate::row::RowAccess;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use std::sync::Arc;
use std::time::Duration;

/// The outcome of a write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    pub rows_affected: u64,
    pub last_insert_id: Option<i64>,
}

/// Where rows go as they are read: `false` stops the read (the decoder
/// kept its error).
pub(crate) type RowSink<'s> = dyn FnMut(crate::row::RowRef<'_>) -> bool + Send + 's;

/// A row owned by a stream, readable through [`RowAccess`].
pub(crate) type OwnedRow = Box<dyn RowAccess + Send>;

/// One connection pool of one database.
pub(crate) trait Driver: Send + Sync {
    /// Run `st` on a pooled connection, handing each row to `sink`.
    fn fetch<'a>(&'a self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>>;
    /// Run `st`, which returns no rows, on a pooled connection.
    fn execute(&self, st: Statement) -> BoxFuture<'_, Result<Done>>;
    /// Stream `st`'s rows from a pooled connection.
    fn stream(&self, st: Statement) -> BoxStream<'_, Result<OwnedRow>>;
    /// A pooled connection of one's own, marked dirty (see [`DriverConn`]).
    fn acquire(&self) -> BoxFuture<'_, Result<Box<dyn DriverConn>>>;
    /// Close every connection.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// One connection held from the pool. While dirty (from just before BEGIN
/// until COMMIT/ROLLBACK succeeded, or while session state is held) a drop
/// must not return it to the pool as it is: server drivers close it (the
/// server rolls back), an in-process driver may roll it back first.
pub(crate) trait DriverConn: Send {
    /// Run `st`, handing each row to `sink`.
    fn fetch<'a>(&'a mut self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>>;
    /// Run `st`, which returns no rows.
    fn execute(&mut self, st: Statement) -> BoxFuture<'_, Result<Done>>;
    /// Run parameterless SQL with the text protocol (several statements allowed).
    fn simple<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>>;
    /// Mark the connection clean (returned to the pool on drop) or dirty.
    fn set_dirty(&mut self, dirty: bool);
}

/// Pool settings from `DbBuilder`, as every driver reads them.
#[derive(Clone)]
pub(crate) struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub idle_timeout: Option<Duration>,
    pub acquire_timeout: Duration,
    pub connect_timeout: Duration,
    /// Cancel a statement on the server after this long (`Error::Timeout`).
    pub statement_timeout: Option<Duration>,
    /// Give up waiting for a lock after this long (`Error::LockNotAvailable`).
    pub lock_timeout: Option<Duration>,
    /// Open the pool without a probe connection (a replica's: one down at
    /// start is skipped, not fatal).
    pub lazy: bool,
    /// Hand a statement's rows over only once it completed (a replica's:
    /// a replica lost part-way through a result then has decoded nothing,
    /// so the read runs again on the primary instead of failing).
    pub whole_results: bool,
}

/// An open pool.
pub(crate) struct Connected {
    pub driver: Arc<dyn Driver>,
    /// The largest statement the server takes, in bytes (MySQL's
    /// `max_allowed_packet`, read at connect); `None` where unlimited.
    pub max_statement_bytes: Option<usize>,
}

tokio::task_local! {
    /// The instant the statement being run must end by (`Find::timeout` on
    /// a database whose driver enforces it in process: SQLite).
    pub(crate) static STATEMENT_DEADLINE: std::time::Instant;
    /// The instant a statement stops waiting for a lock, for a driver that
    /// waits in process (SQLite's busy loop): `Error::LockNotAvailable`.
    pub(crate) static LOCK_WAIT_DEADLINE: std::time::Instant;
}

/// A pooled connection idle for longer than this is pinged before it is
/// handed out, and replaced if the ping fails. One used more recently is
/// trusted: if the server went away meanwhile, that one statement fails
/// with [`Error::Connection`] and the connection is discarded.
pub(crate) const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// The URL without its password, for error messages.
pub(crate) fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
