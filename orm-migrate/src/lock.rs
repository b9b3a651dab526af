//! The migration lock, held on a dedicated connection: an advisory lock on
//! PostgreSQL, `GET_LOCK` on MySQL/MariaDB. Waiters poll a try-lock until a
//! deadline instead of blocking, and the lock is released on every exit
//! path (the connection is closed if releasing fails).
//! SQLite is locked by the runner's `BEGIN IMMEDIATE` transaction instead.

use orm_core::{Connection, Db, Dialect, Error, Result, raw};
use std::time::{Duration, Instant};

const PG_TRY: &str = "SELECT pg_try_advisory_lock(7262737, hashtext(current_schema()))";
const PG_UNLOCK: &str = "SELECT pg_advisory_unlock(7262737, hashtext(current_schema()))";
const MY_TRY: &str = "SELECT CAST(COALESCE(GET_LOCK(CONCAT('orm_migrate:', DATABASE()), 0), 0) AS SIGNED)";
const MY_UNLOCK: &str = "SELECT CAST(COALESCE(RELEASE_LOCK(CONCAT('orm_migrate:', DATABASE())), 0) AS SIGNED)";

/// A held lock; give it back with [`MigrationLock::release`]. Dropped
/// without release (a cancelled run), its connection closes, which frees
/// the lock on the server.
pub(crate) struct MigrationLock {
    conn: Connection,
    dialect: Dialect,
}

async fn try_once(conn: &Connection, dialect: Dialect) -> Result<bool> {
    Ok(match dialect {
        Dialect::Postgres => raw(PG_TRY)
            .fetch_scalars::<bool, _>(conn)
            .await?
            .first()
            .copied()
            .unwrap_or(false),
        _ => {
            raw(MY_TRY)
                .fetch_scalars::<i64, _>(conn)
                .await?
                .first()
                .copied()
                .unwrap_or(0)
                == 1
        }
    })
}

impl MigrationLock {
    /// Take the lock, polling until `timeout`.
    pub(crate) async fn acquire(db: &Db, timeout: Duration) -> Result<MigrationLock> {
        let dialect = db.dialect();
        let conn = db.acquire().await?;
        let deadline = Instant::now() + timeout;
        loop {
            match try_once(&conn, dialect).await {
                Ok(true) => return Ok(MigrationLock { conn, dialect }),
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
        let sql = if self.dialect == Dialect::Postgres {
            PG_UNLOCK
        } else {
            MY_UNLOCK
        };
        if raw(sql).execute(&self.conn).await.is_ok() {
            self.conn.release().await;
        }
    }
}
