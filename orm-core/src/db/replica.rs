//! Read replicas: where a read goes, replica health, and read-your-writes
//! sessions. The statement runner (`Conn::read` in `exec.rs`) is the one
//! place that routes; everything here answers "which pool?".
//!
//! - Plain reads go to a healthy replica, in turn (round robin: the
//!   replicas are alike and a read is short, so spreading by count is as
//!   good as tracking in-flight work, and costs one atomic add).
//! - A replica is healthy while its last check succeeded and it caught up
//!   with the primary within `max_replica_lag`. Checks run in a background
//!   task every `replica_check_interval`: each asks the primary for its
//!   position (PostgreSQL: the WAL LSN; MariaDB: `@@gtid_binlog_pos`) and
//!   each replica whether it has replayed it. A replica that refuses
//!   connections or loses a session during a read is marked down at once,
//!   and the read is retried on the primary.
//! - A session (`Db::session`) records the primary's position after each
//!   of its writes; its next read goes to a replica only once that replica
//!   has replayed the position (waiting up to `session_wait`), else to the
//!   primary.

use crate::db::Db;
use crate::dialect::ReplicaSql;
use crate::dialect::Statement;
use crate::error::{Error, Result};
use crate::field::FieldType;
use crate::value::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// One replica: its own pool and what the health checks found.
pub(crate) struct Replica {
    pub(crate) db: Db,
    /// The URL without its password.
    pub(crate) url: String,
    healthy: AtomicBool,
    /// When the replica was last found caught up with the primary.
    caught_up_at: Mutex<Instant>,
    /// Reads served (for `replica_status` and the figures).
    reads: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// The replicas of a `Db` and the routing options.
pub(crate) struct Replicas {
    pub(crate) list: Vec<Replica>,
    next: AtomicUsize,
    pub(crate) max_lag: Duration,
    pub(crate) session_wait: Duration,
    sql: ReplicaSql,
}

/// Which pools a `Db` handle reads from.
#[derive(Clone, Default)]
pub(crate) enum Route {
    /// Plain reads to a healthy replica.
    #[default]
    Any,
    /// Everything to the primary (`Db::primary`).
    Primary,
    /// Read-your-writes (`Db::session`).
    Session(Arc<Session>),
}

/// A session's last write position, and which replicas have replayed it.
#[derive(Default)]
pub(crate) struct Session {
    position: Mutex<Option<String>>,
    /// Bumped on every write, so a replica's "caught up" mark is per write.
    generation: AtomicU64,
    caught_up: Mutex<Vec<u64>>,
}

/// One replica's state, as [`Db::replica_status`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicaStatus {
    /// The replica's URL, without its password.
    pub url: String,
    /// Whether reads go to it now.
    pub healthy: bool,
    /// How long ago it was last seen caught up with the primary.
    pub behind: Duration,
    /// Reads it has served.
    pub reads: u64,
    /// Why it is not healthy, if it is not.
    pub error: Option<String>,
}

impl Replicas {
    pub(crate) fn new(dbs: Vec<(Db, String)>, max_lag: Duration, session_wait: Duration, sql: ReplicaSql) -> Self {
        let now = Instant::now();
        Replicas {
            list: dbs
                .into_iter()
                .map(|(db, url)| Replica {
                    db,
                    url,
                    healthy: AtomicBool::new(true),
                    caught_up_at: Mutex::new(now),
                    reads: AtomicU64::new(0),
                    last_error: Mutex::new(None),
                })
                .collect(),
            next: AtomicUsize::new(0),
            max_lag,
            session_wait,
            sql,
        }
    }

    /// The next healthy replica, in turn.
    pub(crate) fn pick(&self) -> Option<usize> {
        let n = self.list.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.list[i].healthy.load(Ordering::Relaxed))
    }

    pub(crate) fn served(&self, i: usize) {
        self.list[i].reads.fetch_add(1, Ordering::Relaxed);
    }

    /// A read on replica `i` failed with a lost connection: skip it until a
    /// check finds it back.
    pub(crate) fn mark_down(&self, i: usize, why: &Error) {
        let r = &self.list[i];
        if r.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(target: "orm_core::replica", replica = %r.url, error = %why, "replica skipped");
        }
        *r.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.to_string());
    }

    pub(crate) fn status(&self) -> Vec<ReplicaStatus> {
        self.list
            .iter()
            .map(|r| ReplicaStatus {
                url: r.url.clone(),
                healthy: r.healthy.load(Ordering::Relaxed),
                behind: r.caught_up_at.lock().map(|t| t.elapsed()).unwrap_or_default(),
                reads: r.reads.load(Ordering::Relaxed),
                error: r.last_error.lock().ok().and_then(|e| e.clone()),
            })
            .collect()
    }

    /// Check every replica once against the primary's position.
    pub(crate) async fn check(&self, primary: &Db) {
        let position = position_of(primary, self.sql).await;
        for r in &self.list {
            let verdict = match &position {
                Ok(pos) => reached(&r.db, self.sql, pos).await,
                Err(e) => Err(Error::Connection {
                    message: format!("the primary's position is unknown: {e}"),
                }),
            };
            let now = Instant::now();
            let healthy = match verdict {
                Ok(true) => {
                    *r.caught_up_at.lock().unwrap_or_else(|e| e.into_inner()) = now;
                    *r.last_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    true
                }
                Ok(false) => {
                    let behind = r.caught_up_at.lock().map(|t| now - *t).unwrap_or_default();
                    let lagging = behind > self.max_lag;
                    if lagging {
                        *r.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!(
                            "not caught up for {behind:?} (max_replica_lag {:?})",
                            self.max_lag
                        ));
                    }
                    !lagging
                }
                Err(e) => {
                    *r.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                    false
                }
            };
            let was = r.healthy.swap(healthy, Ordering::Relaxed);
            if was && !healthy {
                tracing::warn!(target: "orm_core::replica", replica = %r.url, reason = ?r.last_error.lock().ok().and_then(|e| e.clone()), "replica skipped");
            } else if !was && healthy {
                tracing::info!(target: "orm_core::replica", replica = %r.url, "replica back in use");
            }
        }
    }

    /// For a session: the replica to read from, once one has replayed the
    /// session's last write (waiting up to `session_wait`), else `None`
    /// (the primary).
    pub(crate) async fn pick_for(&self, session: &Session) -> Option<usize> {
        let (position, generation) = {
            let p = session.position.lock().unwrap_or_else(|e| e.into_inner());
            (p.clone(), session.generation.load(Ordering::Acquire))
        };
        let i = self.pick()?;
        let Some(position) = position else {
            return Some(i);
        };
        if session
            .caught_up
            .lock()
            .map(|c| c.get(i).copied() == Some(generation))
            .unwrap_or(false)
        {
            return Some(i);
        }
        let deadline = Instant::now() + self.session_wait;
        loop {
            match reached(&self.list[i].db, self.sql, &position).await {
                Ok(true) => {
                    if let Ok(mut c) = session.caught_up.lock() {
                        if c.len() < self.list.len() {
                            c.resize(self.list.len(), 0);
                        }
                        c[i] = generation;
                    }
                    return Some(i);
                }
                Ok(false) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(2)).await,
                _ => return None,
            }
        }
    }
}

/// After a write through `db` (a statement, or a transaction's COMMIT): if
/// `db` is a session with replicas, the work that remembers the primary's
/// position (boxed: reading it runs a statement, and a statement can
/// commit, so the future types would recurse); else nothing to do, and
/// nothing allocated.
pub(crate) fn session_wrote(db: &Db) -> Option<futures_util::future::BoxFuture<'_, ()>> {
    if let Route::Session(s) = &db.route
        && db.inner.replicas.is_some()
        && let Some(sql) = db.inner.dialect.sql().replica_sql()
    {
        return Some(Box::pin(s.wrote(db, sql)));
    }
    None
}

impl Session {
    /// Remember the primary's position after a write of this session.
    async fn wrote(&self, primary: &Db, sql: ReplicaSql) {
        // A failure leaves the old position; reads then fall back to the
        // primary only if a replica is behind it, which is still correct
        // for writes made before. Take the safe side: no position means
        // "use the primary" until the next successful read of it.
        let pos = position_of(primary, sql).await.ok();
        let mut p = self.position.lock().unwrap_or_else(|e| e.into_inner());
        *p = Some(pos.unwrap_or_else(|| "unknown".into()));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

async fn position_of(primary: &Db, sql: ReplicaSql) -> Result<String> {
    let st = Statement {
        sql: sql.position.into(),
        params: Vec::new(),
    };
    let rows = primary.fetch_here(st, |r| <String as FieldType>::decode(r, 0)).await?;
    rows.into_iter().next().ok_or_else(|| Error::Connection {
        message: "the primary reported no position".into(),
    })
}

/// Whether the replica has replayed `position` (an "unknown" position never is).
async fn reached(replica: &Db, sql: ReplicaSql, position: &str) -> Result<bool> {
    if position == "unknown" {
        return Ok(false);
    }
    let st = Statement {
        sql: sql.reached.into(),
        params: vec![Value::String(position.to_owned())],
    };
    let rows = replica.fetch_here(st, |r| <i64 as FieldType>::decode(r, 0)).await?;
    Ok(rows.first().copied() == Some(1))
}

/// Check the replicas every `interval` while the `Db` lives.
pub(crate) fn spawn_checks(db: Weak<crate::db::DbInner>, interval: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = db.upgrade() else { return };
            let primary = Db::from_inner(inner);
            if let Some(replicas) = &primary.inner.replicas {
                replicas.check(&primary).await;
            }
        }
    });
}
