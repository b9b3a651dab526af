//! Transactions: one pooled connection held from BEGIN to COMMIT/ROLLBACK,
//! with nested transactions as SAVEPOINTs.
//!
//! Cancellation safety: the connection is marked dirty just before BEGIN is
//! sent and clean only after COMMIT or ROLLBACK succeeded. A transaction
//! dropped while dirty (never committed, or a future cancelled mid-BEGIN or
//! mid-COMMIT) closes its connection instead of returning it to the pool, so
//! the server rolls back and no pooled connection is ever left inside a
//! transaction.

use crate::db::Db;
use crate::driver::DriverConn;
use crate::error::{Error, Result};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Mutex, MutexGuard};

/// Transaction isolation levels.
///
/// ```
/// use orm_core::{Db, Isolation};
/// # async fn demo() -> orm_core::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// let tx = db.begin_isolated(Isolation::Serializable).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// READ UNCOMMITTED
    ReadUncommitted,
    /// READ COMMITTED
    ReadCommitted,
    /// REPEATABLE READ
    RepeatableRead,
    /// SERIALIZABLE
    Serializable,
}

impl Isolation {
    fn sql(self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "READ UNCOMMITTED",
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }
}

/// The connection of an open transaction (its driver's held connection,
/// which closes or rolls back itself when dropped dirty).
pub(crate) type TxConn = Box<dyn DriverConn>;

/// The connection in a transaction's guard, or the error for one that ended.
pub(crate) fn held(conn: &mut Option<TxConn>) -> Result<&mut TxConn> {
    conn.as_mut()
        .ok_or_else(|| Error::invalid("the transaction has already ended"))
}

/// What nested transactions share with the outer one.
struct Shared {
    conn: Mutex<Option<TxConn>>,
    /// Savepoint rollbacks queued by nested transactions dropped unfinished,
    /// run before the next statement on the connection.
    pending: std::sync::Mutex<Vec<String>>,
    /// `after_commit` callbacks in registration order, each with the depth
    /// of the (nested) transaction that holds it now.
    after_commit: std::sync::Mutex<Vec<(usize, AfterCommit)>>,
    /// A statement was refused with [`Error::TransactionConflict`].
    conflicted: AtomicBool,
    /// Begun by a task inside another transaction closure on the same pool
    /// (`running_in`): its statements may wait on that transaction's locks.
    beside: bool,
}

/// Work to run once after a transaction commits ([`Transaction::after_commit`],
/// [`Hooks::after_commit`](crate::Hooks::after_commit)).
pub type AfterCommit = Box<dyn FnOnce() + Send + 'static>;

impl Shared {
    fn callbacks(&self) -> std::sync::MutexGuard<'_, Vec<(usize, AfterCommit)>> {
        self.after_commit.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A savepoint at `depth` was released: its callbacks now belong to
    /// the transaction around it.
    fn hand_up(&self, depth: usize) {
        for (d, _) in self.callbacks().iter_mut().filter(|(d, _)| *d >= depth) {
            *d = depth - 1;
        }
    }

    /// The transaction at `depth` was rolled back: its callbacks (and those
    /// of savepoints inside it) never run.
    fn forget(&self, depth: usize) {
        self.callbacks().retain(|(d, _)| *d < depth);
    }

    /// The outer transaction committed: run every callback, in order.
    fn run_all(&self) {
        let callbacks = std::mem::take(&mut *self.callbacks());
        for (_, f) in callbacks {
            f();
        }
    }
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
    shared: Arc<Shared>,
    /// 0 for the outer transaction, n for the nth nested SAVEPOINT.
    depth: usize,
    finished: AtomicBool,
    /// Begun on a held [`Connection`]: COMMIT/ROLLBACK leave the connection
    /// with its holder instead of returning it to the pool.
    on_held: bool,
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
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin().await?;
    /// User::create(&tx, NewUser { name: "Grace".into(), age: 85 }).await?;
    /// tx.commit().await?; // dropped without commit: rolled back
    /// assert_eq!(User::find().count(&db).await?, 3);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn begin(&self) -> Result<Transaction> {
        self.begin_with(None).await
    }

    /// Begin a transaction with an isolation level. (SQLite transactions are
    /// always serializable; the level is accepted and has no effect there.)
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin_isolated(orm_core::Isolation::Serializable).await?;
    /// assert_eq!(User::find().count(&tx).await?, 2);
    /// tx.commit().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn begin_isolated(&self, isolation: Isolation) -> Result<Transaction> {
        self.begin_with(Some(isolation)).await
    }

    async fn begin_with(&self, isolation: Option<Isolation>) -> Result<Transaction> {
        let level = isolation.map(Isolation::sql);
        let begin = self.inner.dialect.sql().begin(level);
        // Acquiring is cancellation-safe; from here until COMMIT or
        // ROLLBACK succeeds, dropping the guard closes the connection.
        let mut conn = self.guarded().await?;
        if running_in(self) {
            // Beside the task's own transaction: SQLite's BEGIN IMMEDIATE
            // waits for that one's write lock, so the wait is bounded and named.
            let until = std::time::Instant::now() + OWN_TRANSACTION_LOCK_WAIT;
            let begun = match self.inner.lock_timeout {
                Some(_) => conn.simple(&begin).await,
                None => {
                    crate::driver::LOCK_WAIT_DEADLINE
                        .scope(until, conn.simple(&begin))
                        .await
                }
            };
            begun.map_err(waited_on_own_transaction)?;
        } else {
            conn.simple(&begin).await?;
        }
        Ok(Transaction::outer(self.clone(), conn, false))
    }

    /// A pooled connection, dirty until marked clean (dropped dirty, the
    /// driver closes or rolls it back). Acquiring is cancellation-safe.
    async fn guarded(&self) -> Result<TxConn> {
        self.inner.driver.acquire().await
    }

    /// A pooled connection of one's own, outside any transaction (for
    /// session state such as advisory locks). Statements on it autocommit.
    /// It is closed when dropped, so session state (a lock, an open
    /// `BEGIN`) never leaks into the pool; [`Connection::release`] returns
    /// it to the pool instead.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let conn = db.acquire().await?;
    /// assert_eq!(User::find().count(&conn).await?, 2);
    /// conn.release().await;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn acquire(&self) -> Result<Connection> {
        Ok(Connection(Transaction::outer(
            self.clone(),
            self.guarded().await?,
            true,
        )))
    }

    /// Run `f` in a transaction: committed when it returns `Ok`, rolled
    /// back when it returns `Err` or panics (the panic then continues).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let grace = db.transaction(async |tx| {
    ///     let u = User::create(tx, NewUser { name: "Grace".into(), age: 85 }).await?;
    ///     Ok(u.id)
    /// }).await?;
    /// assert!(User::find_by_pk(grace).one(&db).await?.is_some());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    ///
    /// The closure may return the application's own error type, any
    /// `E: From<orm_core::Error>` (so `?` works on the ORM's calls inside);
    /// an `Err` of it rolls back like any other. The error type comes from
    /// the closure's signature or from the `?` the result meets; where
    /// neither says (the result is unwrapped), write the closure as
    /// `async |tx| -> orm_core::Result<_> { .. }`.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Stock { id: i64, qty: i64 }
    /// #[derive(Debug)]
    /// enum AppError { Db(Error), Insufficient }
    /// impl From<Error> for AppError {
    ///     fn from(e: Error) -> Self { AppError::Db(e) }
    /// }
    /// # async fn demo() -> Result<(), AppError> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Stock>().sync(&db).await?;
    /// # let id = Stock::create(&db, NewStock { qty: 2 }).await?.id;
    /// let moved = db.transaction(async |tx| -> Result<i64, AppError> {
    ///     let stock = Stock::find_by_pk(id).one(tx).await?.ok_or(Error::NotFound { model: "Stock" })?;
    ///     if stock.qty < 5 {
    ///         return Err(AppError::Insufficient); // rolled back
    ///     }
    ///     Ok(5)
    /// }).await;
    /// assert!(matches!(moved, Err(AppError::Insufficient)));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn transaction<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: AsyncFnOnce(&Transaction) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        self.begin().await?.run(f).await.0
    }

    /// [`transaction`](Db::transaction), run again from the start (a new
    /// transaction, after a short jittered pause: 5 ms doubling to 320 ms,
    /// each 50-100% of that) when it fails with
    /// [`Error::TransactionConflict`] — a serialization failure or a
    /// deadlock, which the database resolves by rolling back one side — up
    /// to `tries` runs in all; the last error is returned. A closure with
    /// its own error type is rerun too when a statement inside it was
    /// refused for a conflict, whatever it made of that error. Every run
    /// starts from nothing: the closure must not depend on what an earlier
    /// run left in its captures. Any other error, and `Ok`, end it at once.
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_core::prelude::*;
    /// let db = Db::connect("sqlite::memory:").await?;
    /// let mut runs = 0;
    /// let n = db.transaction_retry(3, async |tx| {
    ///     runs += 1;
    ///     if runs == 1 {
    ///         // As a deadlock victim would see it.
    ///         return Err(Error::TransactionConflict { message: "deadlock".into() });
    ///     }
    ///     tx.authenticate().await?;
    ///     Ok(runs)
    /// }).await?;
    /// assert_eq!(n, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn transaction_retry<T, E, F>(&self, tries: u32, mut f: F) -> std::result::Result<T, E>
    where
        F: AsyncFnMut(&Transaction) -> std::result::Result<T, E>,
        E: From<Error> + 'static,
    {
        let mut run = 1;
        loop {
            let (outcome, conflicted) = self.begin().await?.run(&mut f).await;
            match outcome {
                Err(e) if run < tries && (conflicted || is_conflict(&e)) => {
                    tokio::time::sleep(retry_pause(run)).await;
                    run += 1;
                }
                other => return other,
            }
        }
    }

    /// [`transaction`](Db::transaction) with an isolation level.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let n = db.transaction_isolated(orm_core::Isolation::RepeatableRead, async |tx| User::find().count(tx).await).await?;
    /// assert_eq!(n, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn transaction_isolated<T, E, F>(&self, isolation: Isolation, f: F) -> std::result::Result<T, E>
    where
        F: AsyncFnOnce(&Transaction) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        self.begin_isolated(isolation).await?.run(f).await.0
    }
}

tokio::task_local! {
    /// The pool (`pool_id`) whose transaction closure this task is running.
    static RUNNING_IN: usize;
}

/// One pool's identity: the address of what its handles share.
fn pool_id(db: &Db) -> usize {
    Arc::as_ptr(&db.inner) as usize
}

/// This task is inside a transaction closure (`Db::transaction` and
/// kin) on `db`'s pool, so a statement on `db` itself runs beside the
/// transaction on another connection.
pub(crate) fn running_in(db: &Db) -> bool {
    RUNNING_IN.try_with(|id| *id == pool_id(db)).unwrap_or(false)
}

/// A lock wait that ended beside the task's own transaction (see
/// `Conn::named_cause` in exec.rs), as the error that names its likely cause.
pub(crate) fn waited_on_own_transaction(e: Error) -> Error {
    if !matches!(e, Error::LockNotAvailable) {
        return e;
    }
    Error::invalid(
        "a statement on `&db` gave up waiting for a lock while its task is inside a transaction on the \
         same pool: most likely the lock is the transaction's own (a row it wrote or locked, held until \
         it ends), so the wait could never end. Run the statement on the transaction (`tx`) instead",
    )
}

/// How long a statement on `&db` inside a transaction on the same pool
/// waits for a lock (when the pool sets no `lock_timeout`) before
/// `Conn::named_cause` (exec.rs) explains the likely self-deadlock.
pub(crate) const OWN_TRANSACTION_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// `e` is the ORM's own [`Error::TransactionConflict`] (returned as is,
/// or made by the closure itself).
fn is_conflict<E: 'static>(e: &E) -> bool {
    let any: &dyn std::any::Any = e;
    matches!(any.downcast_ref::<Error>(), Some(Error::TransactionConflict { .. }))
}

/// The pause before run `run + 1` of a conflicting transaction: 5 ms
/// doubling to 320 ms, each 50-100% of that at random, so two conflicting
/// callers do not meet again at once.
fn retry_pause(run: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let full = 5u64 << run.saturating_sub(1).min(6);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(run);
    let jitter = h.finish() % 1000;
    std::time::Duration::from_micros(full * 500 + full * jitter / 2)
}

impl Transaction {
    /// The outermost handle over a connection (`finished` for a plain
    /// `Connection`, which has nothing to commit).
    fn outer(mut db: Db, conn: TxConn, finished: bool) -> Transaction {
        // A query's own timeout (`Find::timeout`) belongs to its statements,
        // not to a transaction begun from the handle that carried it.
        db.statement_timeout = None;
        let beside = running_in(&db);
        Transaction {
            db,
            shared: Arc::new(Shared {
                conn: Mutex::new(Some(conn)),
                pending: std::sync::Mutex::new(Vec::new()),
                after_commit: std::sync::Mutex::new(Vec::new()),
                conflicted: AtomicBool::new(false),
                beside,
            }),
            depth: 0,
            finished: AtomicBool::new(finished),
            on_held: false,
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Begun inside another transaction closure on the same pool, so its
    /// statements may wait on that transaction (see `running_in`).
    pub(crate) fn beside_another(&self) -> bool {
        self.shared.beside
    }

    /// A second handle on this transaction whose statements each get
    /// `limit` as their own timeout (`Find::timeout` inside a transaction).
    /// It ends nothing when dropped: the transaction stays with `self`.
    pub(crate) fn timed(&self, limit: std::time::Duration) -> Transaction {
        let mut db = self.db.clone();
        db.statement_timeout = Some(limit);
        Transaction {
            db,
            shared: self.shared.clone(),
            depth: self.depth,
            finished: AtomicBool::new(true),
            on_held: self.on_held,
        }
    }

    /// Remember a statement's outcome that matters to the whole
    /// transaction: a conflict makes `transaction_retry` run it again.
    pub(crate) fn note<T>(&self, outcome: &Result<T>) {
        if let Err(Error::TransactionConflict { .. }) = outcome {
            self.shared.conflicted.store(true, Ordering::Relaxed);
        }
    }

    /// Lock the connection, first running any savepoint rollbacks queued
    /// by nested transactions that were dropped unfinished.
    pub(crate) async fn lock(&self) -> Result<MutexGuard<'_, Option<TxConn>>> {
        let mut guard = self.shared.conn.lock().await;
        let pending: Vec<String> = std::mem::take(&mut *self.shared.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(conn) = guard.as_mut() {
            for sql in pending {
                conn.simple(&sql).await?;
            }
        }
        Ok(guard)
    }

    async fn simple(&self, sql: &str) -> Result<()> {
        let mut guard = self.lock().await?;
        held(&mut guard)?.simple(sql).await
    }

    /// Run `f` and commit on `Ok`, roll back on `Err` or panic. Also says
    /// whether the database refused the transaction for a conflict
    /// (serialization failure, deadlock) at any point, whatever error
    /// type `f` turned that into: `transaction_retry` reruns on it.
    async fn run<T, E, F>(self, f: F) -> (std::result::Result<T, E>, bool)
    where
        F: AsyncFnOnce(&Transaction) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        let pool = pool_id(&self.db);
        let outcome = RUNNING_IN.scope(pool, AssertUnwindSafe(f(&self)).catch_unwind()).await;
        match outcome {
            Ok(Ok(value)) => match self.commit().await {
                Ok(()) => (Ok(value), false),
                Err(e) => {
                    let conflict = matches!(e, Error::TransactionConflict { .. });
                    (Err(e.into()), conflict)
                }
            },
            Ok(Err(e)) => {
                let conflicted = self.shared.conflicted.load(Ordering::Relaxed);
                // The original error matters more than a failed rollback
                // (and an outer transaction whose rollback failed is closed on drop).
                let _ = self.rollback().await;
                (Err(e), conflicted)
            }
            Err(panic) => {
                let _ = self.rollback().await;
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// Run `f` in a nested transaction (a SAVEPOINT): its work is undone
    /// on `Err` or panic while the outer transaction goes on.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// db.transaction(async |tx| {
    ///     User::create(tx, NewUser { name: "Grace".into(), age: 85 }).await?;
    ///     let inner: orm_core::Result<()> = tx.transaction(async |sp| {
    ///         User::create(sp, NewUser { name: "Temp".into(), age: 1 }).await?;
    ///         Err(Error::NotFound { model: "User" }) // undoes only the savepoint
    ///     }).await;
    ///     assert!(inner.is_err());
    ///     Ok(())
    /// }).await?;
    /// assert_eq!(User::find().count(&db).await?, 3);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn transaction<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: AsyncFnOnce(&Transaction) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        self.begin().await?.run(f).await.0
    }

    /// Begin a nested transaction (a SAVEPOINT) by hand; dropped without
    /// `commit`, its work is rolled back before the outer one goes on.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin().await?;
    /// let sp = tx.begin().await?; // SAVEPOINT
    /// User::create(&sp, NewUser { name: "Grace".into(), age: 85 }).await?;
    /// drop(sp); // rolled back to the savepoint
    /// tx.commit().await?;
    /// assert_eq!(User::find().count(&db).await?, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn begin(&self) -> Result<Transaction> {
        let depth = self.depth + 1;
        self.simple(&format!("SAVEPOINT orm_sp_{depth}")).await?;
        Ok(Transaction {
            db: self.db.clone(),
            shared: self.shared.clone(),
            depth,
            finished: AtomicBool::new(false),
            on_held: false,
        })
    }

    /// Make the transaction's work permanent (or release the savepoint).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin().await?;
    /// User::find().filter(User::NAME.eq("Alan")).delete(&tx).await?;
    /// tx.commit().await?;
    /// assert_eq!(User::find().count(&db).await?, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn commit(self) -> Result<()> {
        self.finish(true).await
    }

    /// Undo the transaction's work (or roll back to the savepoint).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin().await?;
    /// User::find().filter(User::NAME.eq("Alan")).delete(&tx).await?;
    /// tx.rollback().await?;
    /// assert_eq!(User::find().count(&db).await?, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn rollback(self) -> Result<()> {
        self.finish(false).await
    }

    async fn finish(&self, commit: bool) -> Result<()> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return Err(Error::invalid("the transaction has already ended"));
        }
        if self.depth > 0 {
            let sql = if commit {
                format!("RELEASE SAVEPOINT orm_sp_{}", self.depth)
            } else {
                format!(
                    "ROLLBACK TO SAVEPOINT orm_sp_{0}; RELEASE SAVEPOINT orm_sp_{0}",
                    self.depth
                )
            };
            let done = self.simple(&sql).await;
            match (&done, commit) {
                (Ok(()), true) => self.shared.hand_up(self.depth),
                _ => self.shared.forget(self.depth),
            }
            return done;
        }
        if self.on_held {
            let done = self.simple(if commit { "COMMIT" } else { "ROLLBACK" }).await;
            self.ended(commit && done.is_ok());
            return done;
        }
        let mut guard = self.lock().await?;
        let mut conn = guard
            .take()
            .ok_or_else(|| Error::invalid("the transaction has already ended"))?;
        drop(guard);
        if let Err(e) = conn.simple(if commit { "COMMIT" } else { "ROLLBACK" }).await {
            self.ended(false);
            return Err(e);
        }
        conn.set_dirty(false);
        drop(conn);
        if commit && let Some(work) = super::replica::session_wrote(&self.db) {
            work.await;
        }
        self.ended(commit);
        Ok(())
    }

    /// The outer transaction ended: run its `after_commit` callbacks if it
    /// committed, drop them otherwise.
    fn ended(&self, committed: bool) {
        if committed {
            self.shared.run_all();
        } else {
            self.shared.forget(0);
        }
    }

    /// Run `f` once after the outermost transaction commits, in the order
    /// registered; never if it rolls back. Registered in a nested
    /// transaction (a savepoint), `f` moves to the transaction around it
    /// when the savepoint is released, and is dropped if the savepoint is
    /// rolled back. Use it for what must not happen for work that is undone:
    /// sending mail, publishing an event, counting a metric.
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_core::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let db = Db::connect("sqlite::memory:").await?;
    /// let sent = Arc::new(AtomicUsize::new(0));
    /// let counter = sent.clone();
    /// db.transaction(async |tx| {
    ///     tx.after_commit(move || { counter.fetch_add(1, Ordering::SeqCst); });
    ///     assert_eq!(sent.load(Ordering::SeqCst), 0, "not before COMMIT");
    ///     Ok(())
    /// }).await?;
    /// assert_eq!(sent.load(Ordering::SeqCst), 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn after_commit(&self, f: impl FnOnce() + Send + 'static) {
        if self.depth == 0 && self.finished.load(Ordering::SeqCst) {
            // A held connection outside any transaction (`Db::acquire`):
            // its writes commit as they run.
            f();
            return;
        }
        self.shared.callbacks().push((self.depth, Box::new(f)));
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.depth > 0 && !self.finished.load(Ordering::SeqCst) {
            let d = self.depth;
            if let Ok(mut p) = self.shared.pending.lock() {
                p.push(format!(
                    "ROLLBACK TO SAVEPOINT orm_sp_{d}; RELEASE SAVEPOINT orm_sp_{d}"
                ));
            }
            self.shared.forget(d);
        }
        if self.depth == 0 && !self.finished.load(Ordering::SeqCst) {
            self.shared.forget(0);
        }
        // One begun on a held connection is rolled back before the
        // connection's next statement.
        if self.on_held
            && self.depth == 0
            && !self.finished.load(Ordering::SeqCst)
            && let Ok(mut p) = self.shared.pending.lock()
        {
            p.push("ROLLBACK".to_owned());
        }
        // An unfinished outer transaction: its guarded connection closes
        // when the last handle goes, and the server rolls back.
    }
}

/// A pooled connection held by one caller (from [`Db::acquire`]); pass
/// `&conn` wherever an executor is accepted. Dropped, it is closed;
/// [`release`](Connection::release) returns it to the pool.
#[derive(Debug)]
pub struct Connection(Transaction);

impl Connection {
    /// Return the connection to the pool (its session must be clean: no
    /// open transaction, no held lock).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let conn = db.acquire().await?;
    /// conn.execute_script("SELECT 1").await?;
    /// conn.release().await; // back to the pool, not closed
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn release(self) {
        if let Ok(mut guard) = self.0.lock().await
            && let Some(conn) = guard.as_mut()
        {
            conn.set_dirty(false);
        }
    }

    /// Run a statement without parameters, using the text protocol (several
    /// statements separated by `;` are allowed).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let conn = db.acquire().await?;
    /// conn.execute_script("CREATE TABLE scratch (a INTEGER); DROP TABLE scratch").await?;
    /// conn.release().await;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn execute_script(&self, sql: &str) -> Result<()> {
        self.0.simple(sql).await
    }

    /// Close the connection instead of returning it to the pool (e.g. when
    /// releasing session state such as a lock failed).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let conn = db.acquire().await?;
    /// conn.close().await; // the pool opens another when needed
    /// db.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn close(self) {
        if let Ok(mut guard) = self.0.lock().await
            && let Some(conn) = guard.as_mut()
        {
            conn.set_dirty(true);
        }
    }

    /// Begin a transaction on this connection (the dialect's BEGIN:
    /// `BEGIN IMMEDIATE` on SQLite). Committed or rolled back, the
    /// connection stays held; dropped unfinished, it is rolled back before
    /// the connection's next statement.
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// let conn = db.acquire().await?;
    /// conn.execute_script("CREATE TABLE t (n INTEGER)").await?;
    /// let tx = conn.begin().await?;
    /// tx.execute_script("INSERT INTO t VALUES (1)").await?;
    /// tx.rollback().await?;
    /// let n: Vec<i64> = orm_core::raw("SELECT COUNT(*) FROM t").fetch_scalars(&conn).await?;
    /// assert_eq!(n, [0]);
    /// conn.release().await;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn begin(&self) -> Result<Transaction> {
        let tx = &self.0;
        tx.simple(&tx.db.inner.dialect.sql().begin(None)).await?;
        Ok(Transaction {
            db: tx.db.clone(),
            shared: tx.shared.clone(),
            depth: 0,
            finished: AtomicBool::new(false),
            on_held: true,
        })
    }

    /// Run `f` in a transaction on this connection: committed when it
    /// returns `Ok`, rolled back on `Err` or panic; the connection stays held.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let conn = db.acquire().await?;
    /// let n = conn.transaction(async |tx| User::find().count(tx).await).await?;
    /// assert_eq!(n, 2);
    /// conn.release().await;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn transaction<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: AsyncFnOnce(&Transaction) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        self.begin().await?.run(f).await.0
    }

    pub(crate) fn tx(&self) -> &Transaction {
        &self.0
    }
}

impl Transaction {
    /// Run a statement without parameters, using the text protocol.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let tx = db.begin().await?;
    /// tx.execute_script("UPDATE users SET age = age + 1; UPDATE users SET age = age - 1").await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn execute_script(&self, sql: &str) -> Result<()> {
        self.simple(sql).await
    }
}
