//! The migration lock, held on a dedicated connection: an advisory lock on
//! PostgreSQL, `GET_LOCK` on MySQL/MariaDB. Waiters poll a try-lock until a
//! deadline instead of blocking, and the lock is released on every exit
//! path (the connection is closed if releasing fails).
//! SQLite is locked by the runner's `BEGIN IMMEDIATE` transaction instead.

use orm_core::{Connection, Db, Dialect, Error, Result, raw};
use std::time::{Duration, Instant};

/// How one dialect takes (a 1/0 answer, never waiting) and gives back the
/// migration lock. A dialect not listed gets an error, never another's lock.
struct LockSql {
    try_lock: &'static str,
    unlock: &'static str,
}

fn lock_sql(dialect: Dialect) -> Result<LockSql> {
    match dialect {
        Dialect::Postgres => Ok(LockSql {
            try_lock: "SELECT CASE WHEN pg_try_advisory_lock(7262737, hashtext(current_schema())) THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END",
            unlock: "SELECT pg_advisory_unlock(7262737, hashtext(current_schema()))",
        }),
        Dialect::MySql => Ok(LockSql {
            try_lock: "SELECT CAST(COALESCE(GET_LOCK(CONCAT('orm_migrate:', DATABASE()), 0), 0) AS SIGNED)",
            unlock: "SELECT CAST(COALESCE(RELEASE_LOCK(CONCAT('orm_migrate:', DATABASE())), 0) AS SIGNED)",
        }),
        Dialect::Sqlite => Err(Error::Migration {
            message: "SQLite is locked by the runner's BEGIN IMMEDIATE, not by a lock connection".into(),
        }),
        other => Err(Error::Migration {
            message: format!("no migration lock is known for {other:?}"),
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
