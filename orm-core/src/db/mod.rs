//! The connection layer: `Db` (the pooled handle, its builder, statement
//! logging) with its submodules `exec` (the `Executor` trait and the one
//! statement runner), `transaction` (transactions, savepoints, held
//! connections) and `replica` (read routing and health checks). They refer
//! to each other's types (a transaction holds its `Db`, a `Db` its
//! replicas' `Db`s), so they live in one module.

mod exec;
pub(crate) mod replica;
mod transaction;

pub use exec::Executor;
pub(crate) use exec::{Conn, stream_rows};
pub use replica::ReplicaStatus;
pub use transaction::{AfterCommit, Connection, Isolation, Transaction};

use crate::backend::Dialect;
use crate::error::{Error, Result};
use std::sync::Arc;
use std::time::Duration;

/// A statement the ORM sent, as passed to the [`DbBuilder::logging`] callback.
#[derive(Debug, Clone, Copy)]
pub struct QueryEvent<'a> {
    pub(crate) sql: &'a str,
    pub(crate) params: usize,
    /// The bound values, kept only with [`DbBuilder::log_parameters`].
    pub(crate) values: &'a [crate::value::Value],
    pub(crate) elapsed: Duration,
    pub(crate) rows: u64,
    pub(crate) ok: bool,
}

impl QueryEvent<'_> {
    /// The SQL text, with placeholders.
    pub fn sql(&self) -> &str {
        self.sql
    }
    /// How many parameters were bound.
    pub fn param_count(&self) -> usize {
        self.params
    }
    /// The bound values, in placeholder order, when the pool was built with
    /// [`DbBuilder::log_parameters`]`(true)`; empty otherwise (the default:
    /// values may be personal data).
    pub fn params(&self) -> &[crate::value::Value] {
        self.values
    }
    /// Wall time from send to the last row.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
    /// Rows returned (reads) or affected (writes).
    pub fn rows(&self) -> u64 {
        self.rows
    }
    /// False when the statement failed.
    pub fn succeeded(&self) -> bool {
        self.ok
    }
}

pub(crate) type Logger = Arc<dyn Fn(&QueryEvent<'_>) + Send + Sync>;

pub(crate) struct DbInner {
    /// The database's driver: its pool and connections.
    pub(crate) driver: std::sync::Arc<dyn crate::driver::Driver>,
    pub(crate) dialect: Dialect,
    pub(crate) logger: Option<Logger>,
    /// Whether statement events carry the bound values.
    pub(crate) log_parameters: bool,
    /// The largest statement the server takes, in bytes (MySQL's
    /// `max_allowed_packet`, read at connect); `None` where unlimited.
    pub(crate) max_statement_bytes: Option<usize>,
    /// `DbBuilder::lock_timeout`, if set.
    pub(crate) lock_timeout: Option<Duration>,
    /// Read replicas (`DbBuilder::read_replica`), if any.
    pub(crate) replicas: Option<replica::Replicas>,
    /// The database (or schema) the URL names, for `db.namespace` on spans.
    pub(crate) namespace: Option<String>,
    /// Run once when the last handle is dropped (`testing::fresh` drops its
    /// namespace there).
    pub(crate) on_last_drop: Option<OnLastDrop>,
}

/// The database a URL names: the path after the host (`/app` -> `app`), or a
/// SQLite file's path; `None` for an in-memory database.
fn namespace_of(url: &str) -> Option<String> {
    let url = url.split('?').next().unwrap_or(url);
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        None => return None,
    };
    if url.starts_with("sqlite") {
        return Some(rest.to_owned()).filter(|p| !p.is_empty());
    }
    rest.split_once('/')
        .map(|(_, db)| db.to_owned())
        .filter(|db| !db.is_empty())
}

/// What runs when the last handle of a pool is dropped.
pub(crate) type OnLastDrop = Box<dyn FnOnce() + Send + Sync>;

impl Drop for DbInner {
    fn drop(&mut self) {
        if let Some(f) = self.on_last_drop.take() {
            f();
        }
    }
}

/// A cheap-to-clone handle over one connection pool. Create it once per process.
///
/// ```
/// # async fn demo() -> orm_core::Result<()> {
/// use orm_core::prelude::*;
/// let db = Db::connect("sqlite::memory:").await?;
/// db.authenticate().await?;
/// assert_eq!(db.dialect(), Dialect::Sqlite);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Clone)]
pub struct Db {
    pub(crate) inner: Arc<DbInner>,
    /// Which pools this handle reads from (replicas, the primary, a session).
    pub(crate) route: replica::Route,
    /// A per-statement timeout of this handle (`Find::timeout`).
    pub(crate) statement_timeout: Option<Duration>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dialect", &self.inner.dialect)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connect with default pool settings; the dialect comes from the URL scheme.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let other = Db::connect("sqlite::memory:").await?;
    /// assert_eq!(other.dialect(), Dialect::Sqlite);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn connect(url: &str) -> Result<Db> {
        Db::builder(url).connect().await
    }

    /// Start configuring a pool.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").max_connections(4).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn builder(url: impl Into<String>) -> DbBuilder {
        DbBuilder {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            idle_timeout: Some(Duration::from_secs(600)),
            acquire_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            logger: None,
            log_parameters: false,
            replicas: Vec::new(),
            max_replica_lag: Duration::from_secs(5),
            replica_check_interval: Duration::from_millis(500),
            session_wait: Duration::from_millis(200),
            statement_timeout: None,
            lock_timeout: None,
            lazy: false,
            on_last_drop: None,
        }
    }

    pub(crate) fn from_inner(inner: Arc<DbInner>) -> Db {
        Db {
            inner,
            route: replica::Route::Any,
            statement_timeout: None,
        }
    }

    /// A handle whose reads all go to the primary (writes always do).
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// let fresh = db.primary();   // without replicas, the same pool
    /// fresh.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn primary(&self) -> Db {
        Db {
            inner: self.inner.clone(),
            route: replica::Route::Primary,
            statement_timeout: self.statement_timeout,
        }
    }

    /// A read-your-writes handle: after a write through it, its reads go to
    /// a replica only once that replica has replayed the write (waiting up
    /// to [`DbBuilder::session_wait`]), else to the primary. Cheap to clone
    /// and to pass as an executor (one per request, say).
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// let session = db.session();
    /// orm_core::raw("CREATE TABLE t (n INTEGER)").execute(&session).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn session(&self) -> Db {
        Db {
            inner: self.inner.clone(),
            route: replica::Route::Session(Default::default()),
            statement_timeout: self.statement_timeout,
        }
    }

    /// Each read replica's state: healthy or skipped (and why), how long
    /// since it was last caught up with the primary, reads served. Empty
    /// without replicas.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// assert!(db.replica_status().is_empty()); // no read replicas configured
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn replica_status(&self) -> Vec<crate::db::ReplicaStatus> {
        self.inner.replicas.as_ref().map(|r| r.status()).unwrap_or_default()
    }

    /// The dialect this pool speaks.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// assert_eq!(db.dialect(), Dialect::Sqlite);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// Close every connection of the pool.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let other = Db::connect("sqlite::memory:").await?;
    /// other.close().await;
    /// assert!(other.authenticate().await.is_err());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn close(&self) {
        self.inner.driver.close().await
    }
}

/// Pool options for [`Db::builder`].
///
/// A connection is checked with a ping before it is handed out only when it
/// has been idle for over 500 ms (as HikariCP does); one used more recently
/// is trusted, which saves a round trip per statement. If the server went
/// away meanwhile, that statement fails with [`Error::Connection`] and the
/// connection is discarded.
#[must_use]
pub struct DbBuilder {
    url: String,
    max_connections: u32,
    min_connections: u32,
    idle_timeout: Option<Duration>,
    acquire_timeout: Duration,
    connect_timeout: Duration,
    logger: Option<Logger>,
    log_parameters: bool,
    replicas: Vec<String>,
    max_replica_lag: Duration,
    replica_check_interval: Duration,
    session_wait: Duration,
    /// A replica's pool: no probe (a replica down at start is skipped, not fatal).
    statement_timeout: Option<Duration>,
    lock_timeout: Option<Duration>,
    lazy: bool,
    pub(crate) on_last_drop: Option<OnLastDrop>,
}

impl DbBuilder {
    /// Add a read replica (any number; PostgreSQL and MySQL/MariaDB). Plain
    /// reads go to a healthy replica in turn, writes and transactions to the
    /// primary; each replica gets its own pool with these options.
    ///
    /// ```no_run
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = orm_core::Db::builder("postgres://app@primary/app")
    ///     .read_replica("postgres://app@replica-1/app")
    ///     .read_replica("postgres://app@replica-2/app")
    ///     .max_replica_lag(std::time::Duration::from_secs(2))
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn read_replica(mut self, url: impl Into<String>) -> Self {
        self.replicas.push(url.into());
        self
    }
    /// A replica not caught up with the primary for longer than this is
    /// skipped until it is (default 5 s).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").max_replica_lag(std::time::Duration::from_secs(2)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn max_replica_lag(mut self, d: Duration) -> Self {
        self.max_replica_lag = d;
        self
    }
    /// How often the replicas' health and lag are checked (default 500 ms).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").replica_check_interval(std::time::Duration::from_secs(1)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn replica_check_interval(mut self, d: Duration) -> Self {
        self.replica_check_interval = d;
        self
    }
    /// How long a [`Db::session`] read waits for a replica to replay the
    /// session's last write before it reads from the primary (default 200 ms).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").session_wait(std::time::Duration::from_millis(100)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn session_wait(mut self, d: Duration) -> Self {
        self.session_wait = d;
        self
    }
    /// Cancel any statement still running after `d`, on the server
    /// (PostgreSQL's `statement_timeout`, MariaDB's `max_statement_time` —
    /// MySQL's `max_execution_time`, which covers SELECTs only — and an
    /// interrupt of SQLite's statement): [`Error::Timeout`](crate::Error::Timeout),
    /// and the connection stays usable. Default: none.
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_core::{Db, Error, raw};
    /// use std::time::Duration;
    /// let db = Db::builder("sqlite::memory:").statement_timeout(Duration::from_millis(100)).connect().await?;
    /// let slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
    /// let err = raw(slow).fetch_scalars::<i64, _>(&db).await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout), "{err:?}");
    /// db.authenticate().await?; // still usable
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn statement_timeout(mut self, d: Duration) -> Self {
        self.statement_timeout = Some(d);
        self
    }
    /// Give up waiting for a row or table lock after `d`
    /// ([`Error::LockNotAvailable`](crate::Error::LockNotAvailable)):
    /// PostgreSQL's `lock_timeout`; MariaDB/MySQL's
    /// `innodb_lock_wait_timeout` and `lock_wait_timeout`, in whole seconds
    /// (rounded up, at least 1); SQLite's wait for its database lock
    /// (default 10 s there; the servers' own defaults elsewhere).
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use std::time::Duration;
    /// let db = orm_core::Db::builder("sqlite::memory:").lock_timeout(Duration::from_secs(2)).connect().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn lock_timeout(mut self, d: Duration) -> Self {
        self.lock_timeout = Some(d);
        self
    }
    /// How long [`connect`](Self::connect) waits for the server before
    /// failing with [`Error::Connection`] (default 5 s).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").connect_timeout(std::time::Duration::from_secs(2)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// The most connections the pool opens (default 10).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").max_connections(2).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n;
        self
    }
    /// Connections kept open even when idle (default 0).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").min_connections(1).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn min_connections(mut self, n: u32) -> Self {
        self.min_connections = n;
        self
    }
    /// Close connections idle for longer than this (default 10 minutes):
    /// an expired connection is closed when it would next be handed out,
    /// and another one is used (connections also live at most 30 minutes).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").idle_timeout(std::time::Duration::from_secs(60)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = Some(d);
        self
    }
    /// How long to wait for a free connection before [`Error::PoolTimeout`] (default 30 s).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").acquire_timeout(std::time::Duration::from_secs(3)).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn acquire_timeout(mut self, d: Duration) -> Self {
        self.acquire_timeout = d;
        self
    }
    /// Give the [`logging`](Self::logging) callback the bound values too
    /// ([`QueryEvent::params`]; off by default, as they may be personal data).
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_core::prelude::*;
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let db = Db::builder("sqlite::memory:")
    ///     .log_parameters(true)
    ///     .logging(move |q: &QueryEvent| sink.lock().unwrap().push(q.params().to_vec()))
    ///     .connect()
    ///     .await?;
    /// raw("SELECT ?").bind(7_i64).execute(&db).await?;
    /// assert_eq!(seen.lock().unwrap().last().unwrap(), &vec![orm_core::Value::I64(7)]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn log_parameters(mut self, on: bool) -> Self {
        self.log_parameters = on;
        self
    }
    /// Call `f` once for every statement the ORM sends (off by default).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").logging(|e| println!("{} ({} rows)", e.sql(), e.rows())).connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn logging(mut self, f: impl Fn(&QueryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.logger = Some(Arc::new(f));
        self
    }

    /// Open the pool. One connection is made first, within
    /// [`connect_timeout`](Self::connect_timeout), to check the URL: an
    /// unreachable server, wrong credentials or an unknown database are
    /// [`Error::Connection`] with the cause, never a bare pool timeout.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pool = Db::builder("sqlite::memory:").connect().await?;
    /// pool.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn connect(mut self) -> Result<Db> {
        let dialect = Dialect::from_url(&self.url)?;
        let replica_urls = std::mem::take(&mut self.replicas);
        let replica_sql = dialect.sql().replica_sql();
        if !replica_urls.is_empty() && replica_sql.is_none() {
            return Err(Error::Connection {
                message: format!("{dialect:?} has no read replicas: remove .read_replica(..) for this URL"),
            });
        }
        let opts = crate::driver::ConnectOptions {
            url: self.url.clone(),
            max_connections: self.max_connections,
            min_connections: self.min_connections,
            idle_timeout: self.idle_timeout,
            acquire_timeout: self.acquire_timeout,
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
            lock_timeout: self.lock_timeout,
            lazy: self.lazy,
            whole_results: self.lazy,
        };
        let connected = crate::backend::connect(dialect, &opts).await?;
        let mut replicas = None;
        if let Some(sql) = replica_sql.filter(|_| !replica_urls.is_empty()) {
            let mut dbs = Vec::new();
            for url in replica_urls {
                let builder = DbBuilder {
                    url: url.clone(),
                    max_connections: self.max_connections,
                    min_connections: 0,
                    idle_timeout: self.idle_timeout,
                    // A replica that does not answer soon is skipped (the
                    // read goes to the primary) rather than waited for.
                    acquire_timeout: self.acquire_timeout.min(Duration::from_secs(1)),
                    connect_timeout: self.connect_timeout,
                    logger: self.logger.clone(),
                    log_parameters: self.log_parameters,
                    replicas: Vec::new(),
                    max_replica_lag: self.max_replica_lag,
                    replica_check_interval: self.replica_check_interval,
                    session_wait: self.session_wait,
                    statement_timeout: self.statement_timeout,
                    lock_timeout: self.lock_timeout,
                    lazy: true,
                    on_last_drop: None,
                };
                let db = Box::pin(builder.connect()).await?;
                dbs.push((db, crate::driver::redacted(&url)));
            }
            replicas = Some(replica::Replicas::new(
                dbs,
                self.max_replica_lag,
                self.session_wait,
                sql,
            ));
        }
        let has_replicas = replicas.is_some();
        let db = Db::from_inner(Arc::new(DbInner {
            driver: connected.driver,
            dialect,
            logger: self.logger,
            log_parameters: self.log_parameters,
            max_statement_bytes: connected.max_statement_bytes,
            lock_timeout: self.lock_timeout,
            replicas,
            namespace: namespace_of(&self.url),
            on_last_drop: self.on_last_drop,
        }));
        if has_replicas {
            if let Some(r) = &db.inner.replicas {
                r.check(&db).await;
            }
            replica::spawn_checks(Arc::downgrade(&db.inner), self.replica_check_interval);
        }
        Ok(db)
    }
}
