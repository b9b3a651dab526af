//! The migration lock, held on a dedicated connection, as each backend's
//! migration data says ([`MigrationLockKind::Advisory`]: an advisory lock
//! on PostgreSQL, `GET_LOCK` on MySQL/MariaDB). Waiters poll a try-lock
//! until a deadline instead of blocking, and the lock is released on every
//! exit path (the connection is closed if releasing fails). A backend whose
//! transaction is the lock ([`MigrationLockKind::Transaction`], SQLite's
//! `BEGIN IMMEDIATE`) is run by the migrator inside one transaction instead.

use orm_core::{Connection, Db, Dialect, Error, MigrationErrorKind, MigrationLockKind, Result, raw};
use std::time::{Duration, Instant};

/// How the database takes (a 1/0 answer, never waiting) and gives back
/// the migration lock: its backend's [`MigrationLockKind::Advisory`].
struct LockSql {
    try_lock: &'static str,
    unlock: &'static str,
}

fn lock_sql(dialect: Dialect) -> Result<LockSql> {
    match dialect.migration().lock {
        MigrationLockKind::Advisory { try_lock, unlock } => Ok(LockSql { try_lock, unlock }),
        MigrationLockKind::Transaction => Err(Error::Migration {
            kind: MigrationErrorKind::Locked,
            message: format!(
                "{} is locked by the runner's transaction, not by a lock connection",
                dialect.name()
            ),
        }),
    }
}

/// A held lock; give it back with [`MigrationLock::release`]. Dropped
/// without release (a cancelled run), its connection closes, which frees
/// the lock on the server.
pub(crate) struct MigrationLock {
    conn: Connection,
    sql: LockSql,
}

async fn try_once(conn: &Connection, sql: &LockSql) -> Result<bool> {
    let got = raw(sql.try_lock).fetch_scalars::<i64, _>(conn).await?;
    Ok(got.first().copied() == Some(1))
}

impl MigrationLock {
    /// Take the lock, polling until `timeout`.
    pub(crate) async fn acquire(db: &Db, timeout: Duration) -> Result<MigrationLock> {
        let sql = lock_sql(db.dialect())?;
        let conn = db.acquire().await?;
        let deadline = Instant::now() + timeout;
        loop {
            match try_once(&conn, &sql).await {
                Ok(true) => return Ok(MigrationLock { conn, sql }),
                Ok(false) => {}
                Err(e) => {
                    conn.close().await;
                    return Err(e);
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::Migration {
                    kind: MigrationErrorKind::Locked,
                    message: format!(
                        "timed out after {timeout:?} waiting for the migration lock (another runner holds it)"
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The connection holding the lock; migrations run on it.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Give the lock back; if that fails, close its connection, which frees it.
    pub(crate) async fn release(self) {
        if raw(self.sql.unlock).execute(&self.conn).await.is_ok() {
            self.conn.release().await;
        }
    }
}
