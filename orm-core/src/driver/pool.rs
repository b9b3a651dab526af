//! The connection pool of the server drivers (PostgreSQL, MySQL/MariaDB).
//!
//! No background task: a semaphore bounds the connections handed out, idle
//! ones wait in a LIFO stack (the warmest first), and every check happens
//! when a connection is taken, so nothing runs while the pool is unused:
//!
//! - older than [`MAX_LIFETIME`], or idle past the idle timeout: closed,
//!   another taken;
//! - broken (the client saw its socket close): closed, another taken;
//! - idle for longer than [`PING_IF_IDLE_FOR`]: pinged first (within the
//!   connect timeout and what is left of the acquire timeout), and replaced
//!   if the ping fails or goes unanswered.
//!
//! A connection is opened when no idle one is left, bounded by the connect
//! timeout and what is left of the acquire timeout. A server that refuses
//! (down, or at its connection limit) is reported at once as
//! [`Error::Connection`] with its words, not after a wait.
//!
//! A [`Pooled`] connection goes back to the stack when dropped, unless it
//! was marked for discarding (a transaction dropped mid-way: closing it is
//! how the server learns to roll back) or its driver says it must close
//! (broken, or worse than a new one).

use super::PING_IF_IDLE_FOR;
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// Connections older than this are replaced when next taken.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How one database's connections are opened and checked.
pub(crate) trait Manage: Send + Sync + 'static {
    /// One open connection.
    type Conn: Send + 'static;
    /// Open a connection; a failure is [`Error::Connection`] with the cause.
    fn connect(&self) -> BoxFuture<'_, Result<Self::Conn>>;
    /// A round trip that proves the connection still works.
    fn ping<'a>(&'a self, conn: &'a mut Self::Conn) -> BoxFuture<'a, bool>;
    /// Whether the connection must not be used again (the client saw it
    /// fail).
    fn must_close(&self, conn: &Self::Conn) -> bool;
    /// Whether the connection serves results worse than a new one would
    /// (MariaDB: a server buffer that a large statement enlarged). The pool
    /// keeps up to half its connections worn, gives them to large
    /// statements and transactions first, and to small statements only
    /// when no other is idle and no new one may be opened.
    fn worn(&self, _conn: &Self::Conn) -> bool {
        false
    }
}

/// What a connection is taken for: small statements avoid a worn
/// connection, large ones and transactions take one first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// One statement that does not wear a connection.
    Small,
    /// One statement that does, or a transaction (which may hold one).
    Large,
}

/// Pool sizes and timeouts (from `DbBuilder`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolSettings {
    pub max_connections: u32,
    pub idle_timeout: Option<Duration>,
    pub acquire_timeout: Duration,
    pub connect_timeout: Duration,
}

struct Idle<C> {
    conn: C,
    created: Instant,
    since: Instant,
    worn: bool,
}

struct Inner<M: Manage> {
    manager: M,
    settings: PoolSettings,
    idle: Mutex<Vec<Idle<M::Conn>>>,
    permits: Arc<Semaphore>,
}

/// A pool of one database's connections.
pub(crate) struct Pool<M: Manage> {
    inner: Arc<Inner<M>>,
}

impl<M: Manage> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

/// A connection taken from the pool; dereferences to the connection.
pub(crate) struct Pooled<M: Manage> {
    conn: Option<M::Conn>,
    created: Instant,
    inner: Arc<Inner<M>>,
    _permit: OwnedSemaphorePermit,
    /// Close the connection on drop instead of returning it.
    pub discard: bool,
}

impl<M: Manage> std::ops::Deref for Pooled<M> {
    type Target = M::Conn;
    fn deref(&self) -> &M::Conn {
        self.conn.as_ref().expect("held until drop")
    }
}

impl<M: Manage> std::ops::DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Conn {
        self.conn.as_mut().expect("held until drop")
    }
}

impl<M: Manage> Drop for Pooled<M> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.discard || self.inner.permits.is_closed() || self.inner.manager.must_close(&conn) {
            return;
        }
        let worn = self.inner.manager.worn(&conn);
        let Ok(mut stack) = self.inner.idle.lock() else { return };
        let keep_worn = (self.inner.settings.max_connections.max(2) / 2) as usize;
        if worn && stack.iter().filter(|idle| idle.worn).count() >= keep_worn {
            // Enough worn connections idle; this one closes (outside the lock).
            drop(stack);
            return;
        }
        stack.push(Idle {
            conn,
            created: self.created,
            since: Instant::now(),
            worn,
        });
    }
}

impl<M: Manage> Pool<M> {
    /// A pool holding `first` (the probe connection), if any.
    pub fn new(manager: M, settings: PoolSettings, first: Vec<M::Conn>) -> Self {
        let now = Instant::now();
        let idle = first
            .into_iter()
            .map(|conn| Idle {
                conn,
                created: now,
                since: now,
                worn: false,
            })
            .collect();
        Pool {
            inner: Arc::new(Inner {
                manager,
                settings,
                idle: Mutex::new(idle),
                permits: Arc::new(Semaphore::new(settings.max_connections.max(1) as usize)),
            }),
        }
    }

    /// A connection for `usage`: an idle one that passes the checks, or a
    /// new one.
    pub async fn acquire(&self, usage: Use) -> Result<Pooled<M>> {
        let started = Instant::now();
        let s = self.inner.settings;
        let closed = || Error::Connection {
            message: "the pool is closed".into(),
        };
        // A free permit is taken at once; only a wait arms the timer.
        let permit = match self.inner.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(closed()),
            Err(TryAcquireError::NoPermits) => {
                match tokio::time::timeout(s.acquire_timeout, self.inner.permits.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(closed()),
                    Err(_) => {
                        return Err(Error::PoolTimeout {
                            waited: s.acquire_timeout,
                        });
                    }
                }
            }
        };
        let mut usage = usage;
        loop {
            if let Some(conn) = self.idle_one(usage, started).await {
                return Ok(self.pooled(conn.conn, conn.created, permit));
            }
            let left = s.acquire_timeout.saturating_sub(started.elapsed());
            let limit = s.connect_timeout.min(left);
            let refused = match tokio::time::timeout(limit, self.inner.manager.connect()).await {
                Ok(Ok(conn)) => return Ok(self.pooled(conn, Instant::now(), permit)),
                Ok(Err(Error::Connection { message })) => Error::Connection {
                    message: format!("no pooled connection: the server refuses new ones: {message}"),
                },
                Ok(Err(other)) => return Err(other),
                Err(_) if limit < s.connect_timeout => {
                    return Err(Error::PoolTimeout {
                        waited: s.acquire_timeout,
                    });
                }
                Err(_) => Error::Connection {
                    message: format!("no pooled connection: no answer within {:?}", s.connect_timeout),
                },
            };
            // A small statement passed over a worn idle connection to open
            // a new one; the server refused, so the worn one serves.
            if usage == Use::Small && self.has_worn_idle() {
                usage = Use::Large;
                continue;
            }
            return Err(refused);
        }
    }

    /// Whether a worn connection is idle.
    fn has_worn_idle(&self) -> bool {
        self.inner
            .idle
            .lock()
            .is_ok_and(|stack| stack.iter().any(|idle| idle.worn))
    }

    /// An idle connection for `usage` that passes the checks (older than
    /// the lifetime or idle past the timeout: closed; idle long: pinged),
    /// or `None` when a new one should be opened.
    async fn idle_one(&self, usage: Use, started: Instant) -> Option<Idle<M::Conn>> {
        let s = self.inner.settings;
        while let Some(mut idle) = self.pop(usage) {
            let expired = idle.created.elapsed() > MAX_LIFETIME
                || s.idle_timeout.is_some_and(|t| idle.since.elapsed() > t)
                || self.inner.manager.must_close(&idle.conn);
            if expired {
                continue;
            }
            if idle.since.elapsed() > PING_IF_IDLE_FOR {
                // A server gone without a word (no RST) must not hold the
                // caller past its acquire timeout: an unanswered ping fails.
                let left = s.acquire_timeout.saturating_sub(started.elapsed());
                let ping = self.inner.manager.ping(&mut idle.conn);
                if !tokio::time::timeout(s.connect_timeout.min(left), ping)
                    .await
                    .unwrap_or(false)
                {
                    continue;
                }
            }
            return Some(idle);
        }
        None
    }

    /// A connection of the caller's own (a transaction's, or
    /// `Db::acquire`'s), dirty until the caller says otherwise.
    pub async fn held(&self) -> Result<Held<M>> {
        Ok(Held {
            conn: self.acquire(Use::Large).await?,
            dirty: true,
        })
    }

    /// Close the idle connections and refuse new acquires; connections in
    /// use close when dropped.
    pub fn close(&self) {
        self.inner.permits.close();
        let idle = match self.inner.idle.lock() {
            Ok(mut stack) => std::mem::take(&mut *stack),
            Err(_) => Vec::new(),
        };
        drop(idle);
    }

    /// The idle connection to try next for `usage`, the warmest first:
    /// for a large statement a worn one if any; for a small one one that
    /// is not worn, or `None` (open one) while the limit allows, else a
    /// worn one. The caller holds a permit, so connections in use plus
    /// idle ones stay within `max_connections`.
    fn pop(&self, usage: Use) -> Option<Idle<M::Conn>> {
        let mut stack = self.inner.idle.lock().ok()?;
        let wanted = match usage {
            Use::Large => stack.iter().rposition(|idle| idle.worn),
            Use::Small => stack.iter().rposition(|idle| !idle.worn),
        };
        if let Some(i) = wanted {
            return Some(stack.remove(i));
        }
        if usage == Use::Small && !stack.is_empty() {
            let max = self.inner.settings.max_connections.max(1) as usize;
            let in_use = max - self.inner.permits.available_permits();
            // Others in use (in_use - 1), the idle ones and a new one.
            if in_use + stack.len() <= max {
                return None;
            }
        }
        stack.pop()
    }

    /// How this pool's connections are opened and checked.
    pub fn manager(&self) -> &M {
        &self.inner.manager
    }

    fn pooled(&self, conn: M::Conn, created: Instant, permit: OwnedSemaphorePermit) -> Pooled<M> {
        Pooled {
            conn: Some(conn),
            created,
            inner: self.inner.clone(),
            _permit: permit,
            discard: false,
        }
    }
}

/// A connection held from the pool (a transaction's, or `Db::acquire`'s);
/// each driver implements `DriverConn` for its `Held<M>`.
pub(crate) struct Held<M: Manage> {
    pub conn: Pooled<M>,
    /// Dropped dirty (inside a transaction, or holding session state), the
    /// connection is closed, not returned: the server rolls back.
    pub dirty: bool,
}

impl<M: Manage> Drop for Held<M> {
    fn drop(&mut self) {
        if self.dirty {
            self.conn.discard = true;
        }
    }
}

/// `manager.connect()` within `limit`; a failure is `Error::Connection`
/// naming `target` (the URL, password redacted) and the cause.
pub(crate) async fn open_within<M: Manage>(manager: &M, limit: Duration, target: &str) -> Result<M::Conn> {
    match tokio::time::timeout(limit, manager.connect()).await {
        Ok(r) => r.map_err(|e| match e {
            Error::Connection { message } => Error::Connection {
                message: format!("could not connect to {target}: {message}"),
            },
            other => other,
        }),
        Err(_) => Err(Error::Connection {
            message: format!("could not connect to {target}: no answer within {limit:?}"),
        }),
    }
}

/// An error with its chain of sources, each said once.
pub(crate) fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
