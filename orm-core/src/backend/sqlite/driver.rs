//! SQLite in-process, on rusqlite: a small pool of connections (WAL for
//! files, foreign keys, case-sensitive LIKE, the `:memory:` anchor) whose
//! statements run on the calling thread.
//!
//! SQLite does its work inside the call: a statement costs microseconds and
//! a hop to another thread costs more than the statement (issue 18's
//! measurements: 6 us on the calling thread, 35 us through
//! `spawn_blocking`, 61-71 us through a worker thread and channel as sqlx
//! does). So a statement runs where it is awaited (inside `block_in_place`
//! on a multi-threaded runtime, so the runtime moves the worker's other
//! tasks away while it runs).
//!
//! Lock waits never happen inside SQLite (issue 25 §3): connections have no
//! busy timeout, so a statement that cannot take its lock returns
//! SQLITE_BUSY at once, having done nothing, and is tried again after an
//! async pause (`retrying`): the task yields, so the lock's holder runs —
//! on the same thread, or in the same `join!` — and a `timeout` around the
//! caller can fire. Past [`BUSY_TIMEOUT`] the statement is
//! [`Error::LockNotAvailable`]. Only work that already runs on a blocking
//! thread (a script of several statements, a stream's reader) waits inside
//! SQLite, with SQLite's own busy timeout.
//!
//! A held connection (a transaction's) keeps its pool slot across awaits;
//! dropped inside a transaction it is rolled back before it returns to the
//! pool. Streams read on a blocking thread and hand rows over in chunks; on
//! a database without WAL (`:memory:`, a rollback-journal file), where a
//! reader's lock would keep the stream's consumer from writing, the rows
//! are read to the end first.

use super::pool::{BUSY_TIMEOUT, Idle, PoolInner, Pooled, in_place, on_thread, open, poisoned, target};
use super::values::{LiveRow, OwnedCells, busy, error, owned, to_sql};
use crate::dialect::Statement;
use crate::driver::{ConnectOptions, Connected, Done, Driver, DriverConn, OwnedRow, RowSink};
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Rows a stream hands over at a time.
const STREAM_CHUNK: usize = 256;
/// The longest pause between two tries of a statement SQLite found busy.
const MAX_PAUSE: Duration = Duration::from_millis(20);

/// The SQLite pool.
struct SqlitePool(Arc<PoolInner>);

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
        statement_timeout: o.statement_timeout,
        lock_timeout: o.lock_timeout.unwrap_or(BUSY_TIMEOUT),
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

/// Why one try of a statement did not finish.
enum Failure {
    /// SQLite could not take a lock at once and did nothing: try again.
    Busy,
    /// Any other error: the statement's result.
    Failed(Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        if busy(&e) {
            Failure::Busy
        } else {
            Failure::Failed(error(e))
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Failed(e)
    }
}

/// Run one statement until SQLite is not busy, pausing between tries
/// without blocking the thread (module docs); busy for longer than the
/// pool's lock timeout ([`BUSY_TIMEOUT`] by default):
/// [`Error::LockNotAvailable`]. With a statement timeout, SQLite is
/// interrupted once the statement has run that long (`Error::Timeout`).
async fn retrying<T>(
    held: &mut Pooled,
    mut attempt: impl FnMut(&mut Connection) -> std::result::Result<T, Failure>,
) -> Result<T> {
    let started = Instant::now();
    let (lock_timeout, statement_timeout) = (held.pool.lock_timeout, held.pool.statement_timeout);
    // `Find::timeout`'s deadline for this statement, if the caller set one.
    let own_deadline = crate::driver::STATEMENT_DEADLINE.try_with(|d| *d).ok();
    // A shorter wait for locks, if the caller set one.
    let lock_deadline = crate::driver::LOCK_WAIT_DEADLINE.try_with(|d| *d).ok();
    let mut pause = Duration::from_millis(1);
    loop {
        let pool_deadline = statement_timeout.map(|limit| Instant::now() + limit);
        let deadline = match (own_deadline, pool_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let run = || match deadline {
            None => attempt(held.conn()),
            Some(deadline) => {
                let conn = held.conn();
                // Asked every 1,000 virtual-machine steps: past the
                // deadline, SQLite stops with SQLITE_INTERRUPT.
                conn.progress_handler(1000, Some(move || Instant::now() > deadline))?;
                let r = attempt(conn);
                conn.progress_handler(0, None::<fn() -> bool>)?;
                r
            }
        };
        match in_place(run) {
            Ok(v) => return Ok(v),
            Err(Failure::Failed(e)) => return Err(e),
            Err(Failure::Busy)
                if started.elapsed() < lock_timeout && lock_deadline.is_none_or(|d| Instant::now() < d) =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(Failure::Busy) => return Err(Error::LockNotAvailable),
        }
    }
}

/// Bind and run `st`, handing each row to `sink` as it is stepped. Busy
/// only before the first row (a reader takes its lock at the first step).
fn fetch_on(conn: &Connection, st: &Statement, sink: &mut RowSink<'_>) -> std::result::Result<(), Failure> {
    let mut stmt = conn.prepare_cached(&st.sql)?;
    bind(&mut stmt, &st.params)?;
    let mut rows = stmt.raw_query();
    let mut delivered = false;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                delivered = true;
                if !sink(crate::row::RowRef::new(&LiveRow(row))) {
                    return Ok(());
                }
            }
            Ok(None) => return Ok(()),
            Err(e) if delivered => return Err(Failure::Failed(error(e))),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Run `st` and copy every row out (a stream's reader, on a blocking thread).
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

fn execute_on(conn: &Connection, st: &Statement) -> std::result::Result<Done, Failure> {
    let mut stmt = conn.prepare_cached(&st.sql)?;
    bind(&mut stmt, &st.params)?;
    let n = if stmt.column_count() == 0 {
        stmt.raw_execute()?
    } else {
        // A statement that returns rows (a SELECT, `.. RETURNING`, a
        // PRAGMA): run it to the end; a read changes nothing.
        let writes = !stmt.readonly();
        let mut rows = stmt.raw_query();
        while rows.next()?.is_some() {}
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

async fn fetch(held: &mut Pooled, st: &Statement, sink: &mut RowSink<'_>) -> Result<()> {
    retrying(held, |conn| fetch_on(conn, st, sink)).await
}

async fn execute(held: &mut Pooled, st: &Statement) -> Result<Done> {
    retrying(held, |conn| execute_on(conn, st)).await
}

/// A script: one statement runs as any other; several (which cannot be
/// tried again from where SQLite stopped) run on a blocking thread with
/// SQLite's own busy timeout. `None` is left behind if the caller is
/// cancelled while they run (the connection then returns from there).
async fn simple(slot: &mut Option<Pooled>, sql: &str) -> Result<()> {
    let held = slot.as_mut().ok_or_else(lost)?;
    // Preparing a script checks its second statement too, against the
    // schema as it is before the first runs (`CREATE TABLE t ..; DROP TABLE
    // t` fails with "no such table"): anything but one statement that
    // prepares goes to `execute_batch`, which reports a real error itself.
    let single = match held.conn().prepare_cached(sql) {
        Ok(_) => true,
        Err(e) if busy(&e) => true,
        Err(_) => false,
    };
    if single {
        let st = Statement {
            sql: sql.to_owned(),
            params: Vec::new(),
        };
        return execute(held, &st).await.map(drop);
    }
    let mut held = slot.take().ok_or_else(lost)?;
    let sql = sql.to_owned();
    let (held, r) = match tokio::task::spawn_blocking(move || {
        let r = waiting_in_sqlite(held.conn(), |c| c.execute_batch(&sql).map_err(error));
        (held, r)
    })
    .await
    {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    *slot = Some(held);
    r
}

/// Run `f` with SQLite's busy timeout on (for work on a blocking thread).
fn waiting_in_sqlite<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
    let r = f(conn);
    conn.busy_timeout(Duration::ZERO).map_err(error)?;
    r
}

fn lost() -> Error {
    Error::Connection {
        message: "the connection was lost when a statement on it was cancelled".into(),
    }
}

impl Driver for SqlitePool {
    fn fetch<'a>(&'a self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut held = self.0.acquire().await?;
            fetch(&mut held, &st, sink).await
        })
    }

    fn execute(&self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let mut held = self.0.acquire().await?;
            execute(&mut held, &st).await
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
            // a dropped stream stops it at the next chunk. Without WAL the
            // reader's lock would keep the consumer from writing what it
            // reads: the rows are read to the end first.
            let wal = pool.wal;
            let _ = tokio::task::spawn_blocking(move || {
                let result = waiting_in_sqlite(held.conn(), |conn| {
                    if !wal {
                        let rows = fetch_owned(conn, &st)?;
                        let mut rows = rows.into_iter().peekable();
                        while rows.peek().is_some() {
                            let chunk: Vec<OwnedCells> = rows.by_ref().take(STREAM_CHUNK).collect();
                            if tx.blocking_send(Ok(chunk)).is_err() {
                                break;
                            }
                        }
                        return Ok(());
                    }
                    let mut stmt = conn.prepare_cached(&st.sql).map_err(error)?;
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
                });
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
            held.held = true;
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

impl DriverConn for Held {
    fn fetch<'a>(&'a mut self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { fetch(self.held.as_mut().ok_or_else(lost)?, &st, sink).await })
    }

    fn execute(&mut self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move { execute(self.held.as_mut().ok_or_else(lost)?, &st).await })
    }

    fn simple<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { simple(&mut self.held, sql).await })
    }

    fn set_dirty(&mut self, dirty: bool) {
        if let Some(held) = &mut self.held {
            held.rollback_on_drop = dirty;
        }
    }
}
