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

use super::sqlite_pool::{Idle, PoolInner, Pooled, in_place, must_hop, on_thread, open, poisoned, target};
use super::sqlite_values::{LiveRow, OwnedCells, error, owned, to_sql};
use super::{ConnectOptions, Connected, Done, Driver, DriverConn, OwnedRow, RowSink};
use crate::dialect::Statement;
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Semaphore;

/// Rows a stream hands over at a time.
const STREAM_CHUNK: usize = 256;

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
