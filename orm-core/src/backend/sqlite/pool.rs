//! The SQLite driver's pool (`sqlite.rs` runs statements on it): where
//! connections open and how, the slots, idle connections and their expiry,
//! the held connection's rollback on drop, and where SQLite work runs.

use super::values::error;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections older than this are replaced when next acquired.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a statement waits for another connection's lock.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// Where the connections open.
pub(super) struct Target {
    /// The URL, for messages.
    pub(super) url: String,
    /// A path, or a `file:` URI for the shared in-memory database.
    pub(super) path: String,
    /// How it opens (read-only, create, URI, no mutex).
    pub(super) flags: OpenFlags,
    /// The pool's shared in-memory database.
    pub(super) memory: bool,
}

/// A connection waiting in the pool.
pub(super) struct Idle {
    pub(super) conn: Connection,
    pub(super) created: Instant,
    pub(super) used: Instant,
}

pub(super) struct PoolInner {
    pub(super) target: Arc<Target>,
    pub(super) idle: Mutex<Vec<Idle>>,
    pub(super) slots: Arc<Semaphore>,
    pub(super) acquire_timeout: Duration,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) closed: AtomicBool,
    /// The database file is in WAL mode: its readers never wait for a writer.
    pub(super) wal: bool,
    /// Keeps a shared in-memory database alive while the pool lives.
    pub(super) anchor: Mutex<Option<Connection>>,
    /// A statement running longer is interrupted (`DbBuilder::statement_timeout`).
    pub(super) statement_timeout: Option<Duration>,
    /// How long a statement waits for the database lock before
    /// `LockNotAvailable` (`DbBuilder::lock_timeout`; default [`BUSY_TIMEOUT`]).
    pub(super) lock_timeout: Duration,
}

/// A connection taken from the pool with its slot; back to the pool on
/// drop (a dirty held one rolled back first if a transaction is open).
pub(super) struct Pooled {
    pub(super) conn: Option<Connection>,
    /// Held by a caller and dirty (see `DriverConn`): an open transaction
    /// is rolled back before the connection returns to the pool.
    pub(super) rollback_on_drop: bool,
    /// Held by a caller (a transaction, `Db::acquire`), who may have changed
    /// session state: reset before the connection returns to the pool.
    pub(super) held: bool,
    pub(super) created: Instant,
    pub(super) pool: Arc<PoolInner>,
    pub(super) _slot: OwnedSemaphorePermit,
}

impl Pooled {
    pub(super) fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if (self.rollback_on_drop || self.held) && !conn.is_autocommit() {
            // A transaction left open (a dropped `Transaction`, a cancelled
            // commit): undone before anyone else gets the connection.
            // ROLLBACK never waits for a lock.
            if conn.execute_batch("ROLLBACK").is_err() {
                return;
            }
        }
        // A held connection goes back as a new one starts (the migration
        // runner turns foreign keys off around a table rebuild, and a
        // timeout can cancel it there), or not at all.
        if self.held && !foreign_keys_on(&conn) {
            return;
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
pub(super) fn target(url: &str) -> Result<Target> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| Error::Connection {
            message: format!("not a SQLite URL: {url}"),
        })?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory");
    if memory {
        // One database shared by the pool's connections, private to the
        // pool: SQLite's memdb VFS shares a name starting with `/` among a
        // process's connections, with a file's database-level locks (which
        // end in SQLITE_BUSY, so lock waits are the driver's: `retrying`).
        // Not the shared cache, whose table locks wait without a timeout
        // (unlock-notify) or fail at once. At most 1 GiB (memdb's limit).
        let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
        return Ok(Target {
            url: url.to_owned(),
            path: format!("file:/orm-memory-{}-{n}?vfs=memdb", std::process::id()),
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

/// The session settings every connection starts with.
const SESSION_DEFAULTS: &str = "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;";

/// Foreign keys on (again), read first: setting the pragma expires every
/// prepared statement of the connection, even when the value is unchanged
/// (SQLite's flag pragmas add OP_Expire), which would cost each transaction
/// its statement cache. `false`: the connection cannot be trusted.
fn foreign_keys_on(conn: &Connection) -> bool {
    let on = conn
        .prepare_cached("PRAGMA foreign_keys")
        .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)));
    match on {
        Ok(1) => true,
        Ok(_) => conn.execute_batch("PRAGMA foreign_keys = ON").is_ok(),
        Err(_) => false,
    }
}

pub(super) fn open(t: &Target) -> Result<Connection> {
    let conn = Connection::open_with_flags(&t.path, t.flags).map_err(|e| Error::Connection {
        message: format!("could not connect to {}: {e}", t.url),
    })?;
    // Opening runs on a blocking thread where needed (`on_thread`), so it
    // may wait inside SQLite; statements afterwards never do (`retrying`).
    conn.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    super::functions::register(&conn).map_err(error)?;
    let mut pragmas = String::from(SESSION_DEFAULTS);
    if !t.memory && !t.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
        pragmas.push_str(" PRAGMA journal_mode = WAL;");
    }
    conn.execute_batch(&pragmas).map_err(|e| Error::Connection {
        message: format!("could not connect to {}: {e}", t.url),
    })?;
    conn.busy_timeout(Duration::ZERO).map_err(error)?;
    Ok(conn)
}

pub(super) fn poisoned<T>(_: T) -> Error {
    Error::Connection {
        message: "the SQLite pool's lock was poisoned by a panic".into(),
    }
}

/// Run SQLite work on this thread (multi-threaded runtime, or no runtime).
pub(super) fn in_place<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Whether work must leave this thread: a current-thread runtime, whose
/// other tasks (one may hold the lock this statement waits for) would stall.
pub(super) fn must_hop() -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::CurrentThread)
}

/// Run `f` where SQLite work runs (see the module docs).
pub(super) async fn on_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
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
    pub(super) async fn acquire(self: &Arc<Self>) -> Result<Pooled> {
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
            held: false,
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
