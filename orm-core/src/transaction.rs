//! Transactions: one pooled connection held from BEGIN to COMMIT/ROLLBACK,
//! with nested transactions as SAVEPOINTs.

use crate::db::{Db, Pool};
use crate::dialect::Statement;
use crate::error::{Error, Result, from_sqlx};
use crate::exec::Conn;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};

/// The connection of an open transaction.
pub(crate) enum TxConn {
    #[cfg(feature = "postgres")]
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

/// An open transaction. Pass it (`tx`) wherever an executor is accepted.
///
/// Dropped without [`commit`](Transaction::commit), it is rolled back.
///
/// ```
/// # async fn demo() -> orm_core::Result<()> {
/// use orm_core::prelude::*;
/// let db = Db::connect("sqlite::memory:").await?;
/// let n = db.transaction(async |tx| {
///     tx.authenticate().await?;
///     Ok(1)
/// }).await?;
/// assert_eq!(n, 1);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub struct Transaction {
    db: Db,
    conn: Arc<Mutex<Option<TxConn>>>,
    /// 0 for the outer transaction, n for the nth nested SAVEPOINT.
    depth: usize,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Begin a transaction on one pooled connection.
    pub async fn begin(&self) -> Result<Transaction> {
        let err = |e| from_sqlx(e, self.inner.acquire_timeout);
        let conn = match &self.inner.pool {
            #[cfg(feature = "postgres")]
            Pool::Pg(p) => TxConn::Pg(p.begin().await.map_err(err)?),
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => TxConn::MySql(p.begin().await.map_err(err)?),
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => TxConn::Sqlite(p.begin().await.map_err(err)?),
        };
        Ok(Transaction {
            db: self.clone(),
            conn: Arc::new(Mutex::new(Some(conn))),
            depth: 0,
        })
    }

    /// Run `f` in a transaction: committed when it returns `Ok`, rolled
    /// back when it returns `Err` or panics (the panic then continues).
    pub async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        F: AsyncFnOnce(&Transaction) -> Result<T>,
    {
        let tx = self.begin().await?;
        tx.run(f).await
    }
}

impl Transaction {
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) async fn lock(&self) -> MutexGuard<'_, Option<TxConn>> {
        self.conn.lock().await
    }

    /// One round trip on the transaction's connection.
    pub async fn authenticate(&self) -> Result<()> {
        self.raw("SELECT 1").await
    }

    async fn raw(&self, sql: &str) -> Result<()> {
        let st = Statement {
            sql: sql.to_owned(),
            params: Vec::new(),
        };
        Conn::Tx(self).execute(st).await.map(|_| ())
    }

    async fn run<T, F>(self, f: F) -> Result<T>
    where
        F: AsyncFnOnce(&Transaction) -> Result<T>,
    {
        let outcome = AssertUnwindSafe(f(&self)).catch_unwind().await;
        match outcome {
            Ok(Ok(value)) => {
                self.commit().await?;
                Ok(value)
            }
            Ok(Err(e)) => {
                // The original error matters more than a failed rollback.
                let _ = self.rollback().await;
                Err(e)
            }
            Err(panic) => {
                let _ = self.rollback().await;
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// Run `f` in a nested transaction (a SAVEPOINT): its work is undone
    /// on `Err` or panic while the outer transaction goes on.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        F: AsyncFnOnce(&Transaction) -> Result<T>,
    {
        let inner = self.savepoint().await?;
        inner.run(f).await
    }

    /// Begin a nested transaction (a SAVEPOINT) by hand.
    pub async fn savepoint(&self) -> Result<Transaction> {
        let depth = self.depth + 1;
        let tx = Transaction {
            db: self.db.clone(),
            conn: self.conn.clone(),
            depth,
        };
        tx.raw(&format!("SAVEPOINT orm_sp_{depth}")).await?;
        Ok(tx)
    }

    /// Make the transaction's work permanent (or release the savepoint).
    pub async fn commit(self) -> Result<()> {
        if self.depth > 0 {
            return self.raw(&format!("RELEASE SAVEPOINT orm_sp_{}", self.depth)).await;
        }
        let conn = self.conn.lock().await.take();
        let err = |e| from_sqlx(e, self.db.inner.acquire_timeout);
        match conn {
            None => Err(Error::invalid("the transaction has already ended")),
            #[cfg(feature = "postgres")]
            Some(TxConn::Pg(t)) => t.commit().await.map_err(err),
            #[cfg(feature = "mysql")]
            Some(TxConn::MySql(t)) => t.commit().await.map_err(err),
            #[cfg(feature = "sqlite")]
            Some(TxConn::Sqlite(t)) => t.commit().await.map_err(err),
        }
    }

    /// Undo the transaction's work (or roll back to the savepoint).
    pub async fn rollback(self) -> Result<()> {
        if self.depth > 0 {
            return self.raw(&format!("ROLLBACK TO SAVEPOINT orm_sp_{}", self.depth)).await;
        }
        let conn = self.conn.lock().await.take();
        let err = |e| from_sqlx(e, self.db.inner.acquire_timeout);
        match conn {
            None => Err(Error::invalid("the transaction has already ended")),
            #[cfg(feature = "postgres")]
            Some(TxConn::Pg(t)) => t.rollback().await.map_err(err),
            #[cfg(feature = "mysql")]
            Some(TxConn::MySql(t)) => t.rollback().await.map_err(err),
            #[cfg(feature = "sqlite")]
            Some(TxConn::Sqlite(t)) => t.rollback().await.map_err(err),
        }
    }
}
