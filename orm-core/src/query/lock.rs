//! Row locks on a query: `.lock(Lock::Update)`, `.nowait()`, `.skip_locked()`.

use crate::ast::{LockClause, LockWait};
use crate::query::Find;

/// The row lock a locking read takes ([`Find::lock`]).
///
/// PostgreSQL: `FOR UPDATE` / `FOR SHARE`; MySQL/MariaDB: `FOR UPDATE` /
/// `LOCK IN SHARE MODE`. SQLite has no row locks: a transaction there
/// starts with `BEGIN IMMEDIATE`, which already holds the database's write
/// lock until it ends, so the clause is left out and the read is as safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lock {
    /// Exclusive: no other transaction may lock or change the rows.
    Update,
    /// Shared: others may read-lock the rows too, but not change them.
    Share,
}

impl<M> Find<M> {
    /// Lock the rows read until the transaction ends. Only inside a
    /// transaction: outside one the lock would end with the statement, so
    /// running the query on a `Db` is an error.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// use orm_core::Lock;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Job { id: i64, state: String }
    /// let st = Job::find().filter(Job::STATE.eq("queued")).order_by(Job::ID.asc()).limit(1)
    ///     .lock(Lock::Update).skip_locked().to_sql(Dialect::Postgres);
    /// assert!(st.sql.ends_with("LIMIT $2 FOR UPDATE SKIP LOCKED"));
    /// ```
    pub fn lock(mut self, lock: Lock) -> Self {
        let wait = self.lock.map_or(LockWait::Wait, |l| l.wait);
        self.lock = Some(LockClause {
            exclusive: lock == Lock::Update,
            wait,
        });
        self
    }

    /// With [`lock`](Find::lock): fail at once with
    /// [`Error::LockNotAvailable`](crate::Error::LockNotAvailable) when a row is locked by another transaction.
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
    /// let free = User::find().lock(orm_core::Lock::Update).nowait().all(&tx).await?;
    /// assert_eq!(free.len(), 2);
    /// tx.commit().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn nowait(self) -> Self {
        self.lock_wait(LockWait::NoWait)
    }

    /// With [`lock`](Find::lock): leave out rows another transaction has
    /// locked (a job queue's workers each take different rows). On
    /// MySQL/MariaDB run such workers at `Isolation::ReadCommitted`
    /// (`db.begin_isolated(..)`): under REPEATABLE READ InnoDB also locks
    /// index gaps, and concurrent workers deadlock.
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
    /// let next = User::find().order_by(User::ID.asc()).limit(1).lock(orm_core::Lock::Update).skip_locked().one(&tx).await?;
    /// assert!(next.is_some());
    /// tx.commit().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn skip_locked(self) -> Self {
        self.lock_wait(LockWait::SkipLocked)
    }

    fn lock_wait(mut self, wait: LockWait) -> Self {
        let lock = self.lock.get_or_insert(LockClause { exclusive: true, wait });
        lock.wait = wait;
        self
    }
}
