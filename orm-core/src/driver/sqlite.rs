//! SQLite in-process, on rusqlite: a small pool of connections (WAL for
//! files, foreign keys, case-sensitive LIKE, a busy timeout, the
//! `:memory:` anchor) whose statements run on the calling thread.
//!
//! SQLite does its work inside the call: a statement costs microseconds and
//! a hop to another thread costs more than the statement (issue 18's
//! measurements: 6 us on the calling thread, 35 us through
//! `spawn_blocking`, 61-71 us through a worker thread and channel as sqlx
//! does). So on a multi-threaded tokio runtime a statement runs inside
//! `block_in_place`: the worker thread runs it while the runtime moves its
//! other tasks to another thread. On a current-thread runtime that would
//! stall every other task — including one holding the write lock this
//! statement waits for, which would deadlock until the busy timeout — so
//! there a write runs on the blocking pool (`spawn_blocking`), the
//! cheapest safe fallback; a read-only statement on a WAL database runs in
//! place there too, since WAL readers never wait for a writer (`:memory:`
//! databases, whose shared cache has table locks, and non-WAL files hop
//! for reads as well). The longest a statement blocks is its own run time plus, when
//! another connection holds the write lock, the busy timeout (10 s).
//!
//! A held connection (a transaction's) keeps its pool slot across awaits;
//! dropped inside a transaction it is rolled back before it returns to the
//! pool. Streams read on a blocking thread and hand rows over in chunks.

use super::sqlite_values::{LiveRow, OwnedCells, error, owned, to_sql};
use super::{ConnectOptions, Connected, Done, Driver, DriverConn, OwnedRow, RowSink};
use crate::dialect::Statement;
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use rusqlite::{Connection, OpenFlags};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections older than this are replaced when next acquired.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// Rows a stream hands over at a time.
const STREAM_CHUNK: usize = 256;

/// Where the connections open.
struct Target {
    /// The URL, for messages.
    url: String,
    /// A path, or a `file:` URI for the shared in-memory database.
    path: String,
    flags: OpenFlags,
    memory: bool,
}

struct Idle {
    conn: Connection,
    created: Instant,
    used: Instant,
}

struct PoolInner {
    target: Arc<Target>,
    idle: Mutex<Vec<Idle>>,
    slots: Arc<Semaphore>,
    acquire_timeout: Duration,
    idle_timeout: Option<Duration>,
    closed: AtomicBool,
    /// The database file is in WAL mode: its readers never wait for a writer.
    wal: bool,
    /// Keeps a shared in-memory database alive while the pool lives.
    anchor: Mutex<Option<Connection>>,
}

/// The SQLite pool.
struct SqlitePool(Arc<PoolInner>);

/// A connection taken from the pool with its slot; back to the pool on
/// drop (a dirty held one rolled back first if a transaction is open).
struct Pooled {
    conn: Option<Connection>,
    /// Held by a caller and dirty (see `DriverConn`): an open transaction
    /// is rolled back before the connection returns to the pool.
    rollback_on_drop: bool,
    created: Instant,
    pool: Arc<PoolInner>,
    _slot: OwnedSemaphorePermit,
}

impl Pooled {
    fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.rollback_on_drop && !conn.is_autocommit() {
            // A transaction left open (a dropped `Transaction`, a cancelled
            // commit): undone before anyone else gets the connection.
            // ROLLBACK never waits for a lock.
            if conn.execute_batch("ROLLBACK").is_err() {
                return;
            }
        }
        if self.pool.closed.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(Idle {
                conn,
                created: self.created,
                used: Instant::now(),
            });
        }
    }
}

static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);

/// `sqlite::memory:`, `sqlite://path[?mode=..]`, `sqlite:path`, `sqlite:///abs`.
fn target(url: &str) -> Result<Target> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| Error::Connection {
            message: format!("not a SQLite URL: {url}"),
        })?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory");
    if memory {
        // One database shared by the pool's connections, private to the pool.
        let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
        return Ok(Target {
            url: url.to_owned(),
            path: format!("file:orm-memory-{}-{n}?mode=memory&cache=shared", std::process::id()),
            flags: OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            memory: true,
        });
    }
    let read_only = query.split('&').any(|p| p == "mode=ro");
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    Ok(Target {
        url: url.to_owned(),
        path: path.to_owned(),
        flags: flags | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        memory: false,
    })
}

fn open(t: &Target) -> Result<Connection> {
    let conn = Connection::open_with_flags(&t.path, t.flags).map_err(|e| Error::Connection {
        message: format!("could not connect to {}: {e}", t.url),
    })?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mut pragmas = String::from("PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;");
    if !t.memory && !t.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
        pragmas.push_str(" PRAGMA journal_mode = WAL;");
    }
    conn.execute_batch(&pragmas).map_err(|e| Error::Connection {
        message: format!("could not connect to {}: {e}", t.url),
    })?;
    Ok(conn)
}

pub(super) async fn connect(o: &ConnectOptions) -> Result<Connected> {
    let target = Arc::new(target(&o.url)?);
    let opening = target.clone();
    let first = on_thread(move || open(&opening)).await?;
    let wal = !target.memory
        && first
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .is_ok_and(|m| m.eq_ignore_ascii_case("wal"));
    let inner = Arc::new(PoolInner {
        wal,
        idle: Mutex::new(Vec::new()),
        slots: Arc::new(Semaphore::new(o.max_connections.max(1) as usize)),
        acquire_timeout: o.acquire_timeout,
        idle_timeout: o.idle_timeout,
        closed: AtomicBool::new(false),
        anchor: Mutex::new(None),
        target,
    });
    if inner.target.memory {
        // The shared in-memory database lives while one connection does.
        *inner.anchor.lock().map_err(poisoned)? = Some(first);
    } else if let Ok(mut idle) = inner.idle.lock() {
        let now = Instant::now();
        idle.push(Idle {
            conn: first,
            created: now,
            used: now,
        });
    }
    Ok(Connected {
        driver: Arc::new(SqlitePool(inner)),
        max_statement_bytes: None,
    })
}

fn poisoned<T>(_: T) -> Error {
    Error::Connection {
        message: "the SQLite pool's lock was poisoned by a panic".into(),
    }
}

/// Run SQLite work on this thread (multi-threaded runtime, or no runtime).
fn in_place<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Whether work must leave this thread: a current-thread runtime, whose
/// other tasks (one may hold the lock this statement waits for) would stall.
fn must_hop() -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::CurrentThread)
}

/// Run `f` where SQLite work runs (see the module docs).
async fn on_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    if must_hop() {
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    } else {
        in_place(f)
    }
}

impl PoolInner {
    async fn acquire(self: &Arc<Self>) -> Result<Pooled> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(closed());
        }
        let slot = match tokio::time::timeout(self.acquire_timeout, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) => return Err(closed()),
            Err(_) => {
                return Err(Error::PoolTimeout {
                    waited: self.acquire_timeout,
                });
            }
        };
        let now = Instant::now();
        let reused = {
            let mut idle = self.idle.lock().map_err(poisoned)?;
            let mut found = None;
            while let Some(c) = idle.pop() {
                let expired = self.idle_timeout.is_some_and(|t| now - c.used > t) || now - c.created > MAX_LIFETIME;
                if !expired {
                    found = Some(c);
                    break;
                }
            }
            found
        };
        let (conn, created) = match reused {
            Some(c) => (c.conn, c.created),
            None => {
                let target = self.target.clone();
                (on_thread(move || open(&target)).await?, now)
            }
        };
        Ok(Pooled {
            conn: Some(conn),
            rollback_on_drop: false,
            created,
            pool: self.clone(),
            _slot: slot,
        })
    }
}

fn closed() -> Error {
    Error::Connection {
        message: "the pool is closed".into(),
    }
}

/// Bind and run `st`, handing each row to `sink` as it is stepped.
fn fetch_on(conn: &Connection, st: &Statement, sink: &mut RowSink<'_>) -> Result<()> {
    let mut stmt = conn.prepare_cached(&st.sql).map_err(error)?;
    bind(&mut stmt, &st.params)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(error)? {
        if !sink(crate::RowRef::new(&LiveRow(row))) {
            break;
        }
    }
    Ok(())
}

/// Whether `sql` only reads (SQLite's own verdict on the prepared statement).
fn reads_only(conn: &Connection, sql: &str) -> bool {
    conn.prepare_cached(sql).is_ok_and(|st| st.readonly())
}

/// Run `st` and copy its rows out (for a read that leaves the calling thread).
fn fetch_owned(conn: &Connection, st: &Statement) -> Result<Vec<OwnedCells>> {
    let mut stmt = conn.prepare_cached(&st.sql).map_err(error)?;
    bind(&mut stmt, &st.params)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        out.push(owned(row)?);
    }
    Ok(out)
}

fn execute_on(conn: &Connection, st: &Statement) -> Result<Done> {
    let mut stmt = conn.prepare_cached(&st.sql).map_err(error)?;
    bind(&mut stmt, &st.params)?;
    let n = if stmt.column_count() == 0 {
        stmt.raw_execute().map_err(error)?
    } else {
        // A statement that returns rows (a SELECT, `.. RETURNING`): run it
        // to the end; a read changes nothing.
        let writes = !stmt.readonly();
        let mut rows = stmt.raw_query();
        while rows.next().map_err(error)?.is_some() {}
        if writes { conn.changes() as usize } else { 0 }
    };
    Ok(Done {
        rows_affected: n as u64,
        last_insert_id: Some(conn.last_insert_rowid()),
    })
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[crate::value::Value]) -> Result<()> {
    let expected = stmt.parameter_count();
    if expected != params.len() {
        return Err(Error::InvalidQuery {
            message: format!(
                "the statement has {expected} placeholder(s) but {} value(s) were bound",
                params.len()
            ),
        });
    }
    for (i, v) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, to_sql(v)?).map_err(error)?;
    }
    Ok(())
}

/// A fetch on a connection: in place, or (current-thread runtime) on the
/// blocking pool with the rows copied and decoded back here.
async fn fetch(mut held: Pooled, st: Statement, sink: &mut RowSink<'_>) -> (Pooled, Result<()>) {
    // A read on a WAL database never waits for a lock, so it is safe in
    // place on a current-thread runtime too (see the module docs).
    let hop = must_hop() && !(held.pool.wal && reads_only(held.conn(), &st.sql));
    if hop {
        let (held, rows) = match tokio::task::spawn_blocking(move || {
            let rows = fetch_owned(held.conn(), &st);
            (held, rows)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        let result = rows.map(|rows| {
            for row in &rows {
                if !sink(crate::RowRef::new(row)) {
                    break;
                }
            }
        });
        return (held, result);
    }
    let result = in_place(|| fetch_on(held.conn(), &st, sink));
    (held, result)
}

async fn execute(mut held: Pooled, st: Statement) -> (Pooled, Result<Done>) {
    on_thread(move || {
        let r = execute_on(held.conn(), &st);
        (held, r)
    })
    .await
}

async fn simple(mut held: Pooled, sql: String) -> (Pooled, Result<()>) {
    on_thread(move || {
        let r = held.conn().execute_batch(&sql).map_err(error);
        (held, r)
    })
    .await
}

impl Driver for SqlitePool {
    fn fetch<'a>(&'a self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let held = self.0.acquire().await?;
            fetch(held, st, sink).await.1
        })
    }

    fn execute(&self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let held = self.0.acquire().await?;
            execute(held, st).await.1
        })
    }

    fn stream(&self, st: Statement) -> BoxStream<'_, Result<OwnedRow>> {
        use futures_util::StreamExt;
        let pool = self.0.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<OwnedCells>>>(2);
        let start = async move {
            let mut held = match pool.acquire().await {
                Ok(h) => h,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            // The rows are read on a blocking thread, a chunk at a time;
            // a dropped stream stops it at the next chunk.
            let _ = tokio::task::spawn_blocking(move || {
                let result = (|| {
                    let mut stmt = held.conn().prepare_cached(&st.sql).map_err(error)?;
                    bind(&mut stmt, &st.params)?;
                    let mut rows = stmt.raw_query();
                    let mut chunk = Vec::with_capacity(STREAM_CHUNK);
                    while let Some(row) = rows.next().map_err(error)? {
                        chunk.push(owned(row)?);
                        if chunk.len() == STREAM_CHUNK && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
                            return Ok(());
                        }
                    }
                    if !chunk.is_empty() {
                        let _ = tx.blocking_send(Ok(chunk));
                    }
                    Ok(())
                })();
                if let Err(e) = result {
                    let _ = tx.blocking_send(Err(e));
                }
            })
            .await;
        };
        // The reader starts when the stream is first polled, as its own task.
        let spawn = async move {
            tokio::spawn(start);
        };
        let chunks = futures_util::stream::once(spawn)
            .filter_map(|()| async { None::<Result<Vec<OwnedCells>>> })
            .chain(tokio_stream_rx(rx));
        chunks
            .flat_map(|chunk| {
                futures_util::stream::iter(match chunk {
                    Ok(rows) => rows
                        .into_iter()
                        .map(|r| Ok(Box::new(r) as OwnedRow))
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            })
            .boxed()
    }

    fn acquire(&self) -> BoxFuture<'_, Result<Box<dyn DriverConn>>> {
        Box::pin(async move {
            let mut held = self.0.acquire().await?;
            held.rollback_on_drop = true;
            Ok(Box::new(Held { held: Some(held) }) as Box<dyn DriverConn>)
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.0.closed.store(true, Ordering::SeqCst);
            self.0.slots.close();
            if let Ok(mut idle) = self.0.idle.lock() {
                idle.clear();
            }
            if let Ok(mut anchor) = self.0.anchor.lock() {
                anchor.take();
            }
        })
    }
}

/// The receiving end of the stream's channel as a stream.
fn tokio_stream_rx<T: Send + 'static>(rx: tokio::sync::mpsc::Receiver<T>) -> BoxStream<'static, T> {
    use futures_util::StreamExt;
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed()
}

/// A held connection (a transaction's or `Db::acquire`'s). Dropped dirty,
/// an open transaction is rolled back before the connection returns to
/// the pool (`Pooled`'s drop); session state (temporary tables) stays with
/// it, as on any reused pooled connection.
struct Held {
    /// `None` only while a statement runs on the blocking pool and its
    /// future was dropped (the connection then goes back from there).
    held: Option<Pooled>,
}

impl Held {
    fn take(&mut self) -> Result<Pooled> {
        self.held.take().ok_or_else(|| Error::Connection {
            message: "the connection was lost when a statement on it was cancelled".into(),
        })
    }
}

impl DriverConn for Held {
    fn fetch<'a>(&'a mut self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let held = self.take()?;
            let (held, r) = fetch(held, st, sink).await;
            self.held = Some(held);
            r
        })
    }

    fn execute(&mut self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let held = self.take()?;
            let (held, r) = execute(held, st).await;
            self.held = Some(held);
            r
        })
    }

    fn simple<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let held = self.take()?;
            let (held, r) = simple(held, sql.to_owned()).await;
            self.held = Some(held);
            r
        })
    }

    fn set_dirty(&mut self, dirty: bool) {
        if let Some(held) = &mut self.held {
            held.rollback_on_drop = dirty;
        }
    }
}
