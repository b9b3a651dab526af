//! Running statements: the [`Executor`] trait that `&Db` and transactions
//! share, and the statement runner (`Conn`): size check, read/write
//! routing (replicas, sessions), logging. Errors arrive mapped from the
//! driver.

use super::transaction::Transaction;
use crate::backend::Dialect;
use crate::db::Db;
use crate::dialect::{Statement, StatementTimeout};
pub(crate) use crate::driver::Done;
use crate::error::{Error, Result};
use crate::row::RowRef;
use std::time::Instant;

/// Anything statements can run on: a [`Db`] (a pooled connection per
/// statement) or a [`Transaction`] (its one connection).
///
/// Model methods take `&E where E: Executor + ?Sized`, so `&db` and `tx`
/// are both accepted.
pub trait Executor: Send + Sync {
    /// The connection target (runtime use only).
    #[doc(hidden)]
    fn __conn(&self) -> Conn<'_>;

    /// The dialect statements are rendered for.
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_core::prelude::*;
    /// let db = Db::connect("sqlite::memory:").await?;
    /// assert_eq!(Executor::dialect(&db), Dialect::Sqlite);
    /// let tx = db.begin().await?;
    /// assert_eq!(Executor::dialect(&tx), Dialect::Sqlite);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    fn dialect(&self) -> Dialect {
        self.__conn().dialect()
    }
}

impl Executor for Db {
    fn __conn(&self) -> Conn<'_> {
        Conn::Db(self)
    }
}

impl Executor for Transaction {
    fn __conn(&self) -> Conn<'_> {
        Conn::Tx(self)
    }
}

impl Executor for super::transaction::Connection {
    fn __conn(&self) -> Conn<'_> {
        Conn::Tx(self.tx())
    }
}

impl Executor for Conn<'_> {
    fn __conn(&self) -> Conn<'_> {
        *self
    }
}

impl<T: Executor + ?Sized> Executor for &T {
    fn __conn(&self) -> Conn<'_> {
        (**self).__conn()
    }
}

/// Where a statement runs.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    /// A pooled connection per statement.
    Db(&'a Db),
    /// The transaction's connection.
    Tx(&'a Transaction),
}

impl Conn<'_> {
    pub(crate) fn db(&self) -> &Db {
        match self {
            Conn::Db(db) => db,
            Conn::Tx(tx) => tx.db(),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.db().inner.dialect
    }

    /// Refuse a statement the server would reject for its size alone: more
    /// parameters than the dialect binds, or (MySQL) more bytes than
    /// `max_allowed_packet`, which the server answers by closing the
    /// connection. Builders stay under both; this names the cause when
    /// something (raw SQL, a huge value) does not.
    pub(crate) fn check_size(&self, st: &Statement) -> Result<()> {
        let max = self.dialect().sql().caps().max_params;
        if st.params.len() > max {
            return Err(Error::invalid(format!(
                "the statement has {} parameters; {:?} accepts at most {max}",
                st.params.len(),
                self.dialect()
            )));
        }
        if let Some(limit) = self.db().inner.max_statement_bytes {
            let bytes = crate::guard::statement_bytes(&st.sql, &st.params);
            if bytes > limit {
                return Err(Error::invalid(format!(
                    "the statement is about {bytes} bytes; the server accepts at most {limit} (max_allowed_packet)"
                )));
            }
        }
        Ok(())
    }

    /// Run a statement on the primary (or the transaction) and decode
    /// every row: a write with RETURNING, or a read that must see the
    /// latest data. Through a session it records the write's position.
    pub(crate) async fn fetch<T: Send>(
        &self,
        st: Statement,
        decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        let out = self.fetch_unrouted(st, decode).await?;
        self.after_write().await;
        Ok(out)
    }

    /// Run a read: on a replica when the handle routes there (see
    /// `replica.rs`), else on the primary or the transaction. A replica
    /// that loses its connection before any row is decoded is marked down
    /// and the read runs again on the primary.
    pub(crate) async fn read<T: Send>(
        &self,
        st: Statement,
        mut decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        if let Conn::Db(db) = self
            && let Some(replicas) = &db.inner.replicas
        {
            let pick = match &db.route {
                super::replica::Route::Any => replicas.pick(),
                super::replica::Route::Primary => None,
                super::replica::Route::Session(s) => replicas.pick_for(s).await,
            };
            if let Some(i) = pick {
                let mut decoded = 0usize;
                let counting = |r: RowRef<'_>| {
                    decoded += 1;
                    decode(r)
                };
                match Conn::Db(&replicas.list[i].db)
                    .fetch_unrouted(st.clone(), counting)
                    .await
                {
                    Ok(rows) => {
                        replicas.served(i);
                        return Ok(rows);
                    }
                    Err(e @ (Error::Connection { .. } | Error::PoolTimeout { .. })) if decoded == 0 => {
                        replicas.mark_down(i, &e);
                    }
                    // A statement that looked like a read but writes (a raw
                    // `SELECT nextval(..)`): the replica refuses it, the primary
                    // runs it. A replica behind the primary's schema (a table
                    // just made, or a restarted standby replaying from its last
                    // restartpoint) does not know a table: the primary answers.
                    Err(Error::Database { code, message })
                        if decoded == 0 && {
                            let sql = db.inner.dialect.sql();
                            let code = code.as_deref().unwrap_or("");
                            sql.is_read_only_refusal(code, &message) || sql.is_missing_object(code)
                        } => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.fetch_unrouted(st, decode).await
    }

    /// The replica to stream a read of `db` from, if the handle routes there.
    pub(crate) fn stream_target(db: &Db) -> Option<&Db> {
        let replicas = db.inner.replicas.as_ref()?;
        if !matches!(db.route, super::replica::Route::Any) {
            return None;
        }
        let i = replicas.pick()?;
        replicas.served(i);
        Some(&replicas.list[i].db)
    }

    /// Through a session with replicas: remember the primary's position.
    async fn after_write(&self) {
        if let Conn::Db(db) = self
            && let Some(work) = super::replica::session_wrote(db)
        {
            work.await;
        }
    }

    /// Run a query on this connection target and decode every row with `decode`.
    pub(crate) async fn fetch_unrouted<T: Send>(
        &self,
        mut st: Statement,
        decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        let done = match self.timeout_for(&mut st).await? {
            Timing::Deadline(deadline) => self.fetch_on(st, decode, deadline).await,
            Timing::OwnTransaction(tx) => {
                let r = Conn::Tx(&tx).fetch_on(st, decode, Until::Never).await;
                finish_timed(tx, r).await
            }
            Timing::SetInTransaction { tx, reset } => {
                let r = self.fetch_on(st, decode, Until::Never).await;
                reset_timed(tx, reset, r).await
            }
        };
        done.map_err(|e| self.named_cause(e))
    }

    /// `fetch_unrouted` on this target, past any per-statement timeout setup.
    async fn fetch_on<T: Send>(
        &self,
        st: Statement,
        mut decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
        deadline: Until,
    ) -> Result<Vec<T>> {
        self.check_size(&st)?;
        let started = Instant::now();
        let params = st.params.len();
        let log_sql = self.logs().then(|| st.sql.clone());
        let log_values = self.logged_values(&st);
        let mut out = Vec::new();
        let mut decode_failure = None;
        // Decode one row into `out`; false (the error kept) ends the read.
        let mut take = |row: RowRef<'_>| match decode(row) {
            Ok(v) => {
                out.push(v);
                true
            }
            Err(e) => {
                decode_failure = Some(e);
                false
            }
        };
        let span = self.span(&st.sql);
        let run = async {
            match self {
                Conn::Db(db) => db.inner.driver.fetch(st, &mut take).await,
                Conn::Tx(tx) => {
                    let mut guard = tx.lock().await?;
                    super::transaction::held(&mut guard)?.fetch(st, &mut take).await
                }
            }
        };
        let res = in_span(&span, until(deadline, run)).await;
        if let Conn::Tx(tx) = self {
            tx.note(&res);
        }
        ended(&span, out.len() as u64, res.as_ref().err().or(decode_failure.as_ref()));
        self.log(
            log_sql.as_deref(),
            params,
            &log_values,
            started,
            out.len() as u64,
            res.is_ok(),
        );
        res?;
        match decode_failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Run a statement that returns no rows (on the primary or the
    /// transaction; through a session it records the write's position).
    pub(crate) async fn execute(&self, st: Statement) -> Result<Done> {
        let done = self.execute_unrouted(st).await?;
        self.after_write().await;
        Ok(done)
    }

    /// Run a statement that returns no rows, on this connection target.
    pub(crate) async fn execute_unrouted(&self, mut st: Statement) -> Result<Done> {
        let done = match self.timeout_for(&mut st).await? {
            Timing::Deadline(deadline) => self.execute_on(st, deadline).await,
            Timing::OwnTransaction(tx) => {
                let r = Conn::Tx(&tx).execute_on(st, Until::Never).await;
                finish_timed(tx, r).await
            }
            Timing::SetInTransaction { tx, reset } => {
                let r = self.execute_on(st, Until::Never).await;
                reset_timed(tx, reset, r).await
            }
        };
        done.map_err(|e| self.named_cause(e))
    }

    /// `execute_unrouted` on this target, past any per-statement timeout setup.
    async fn execute_on(&self, st: Statement, deadline: Until) -> Result<Done> {
        self.check_size(&st)?;
        let started = Instant::now();
        let params = st.params.len();
        let log_sql = self.logs().then(|| st.sql.clone());
        let log_values = self.logged_values(&st);
        let span = self.span(&st.sql);
        let run = async {
            match self {
                Conn::Db(db) => db.inner.driver.execute(st).await,
                Conn::Tx(tx) => {
                    let mut guard = tx.lock().await?;
                    super::transaction::held(&mut guard)?.execute(st).await
                }
            }
        };
        let res = in_span(&span, until(deadline, run)).await;
        if let Conn::Tx(tx) = self {
            tx.note(&res);
        }
        let rows = res.as_ref().map(|d| d.rows_affected).unwrap_or(0);
        ended(&span, rows, res.as_ref().err());
        self.log(log_sql.as_deref(), params, &log_values, started, rows, res.is_ok());
        res
    }

    /// Apply this handle's per-statement timeout (`Find::timeout`) the way
    /// the dialect says: a prefix on `st`, a deadline for the in-process
    /// driver, or the timeout set in a transaction — one of its own on a
    /// pool handle (which the caller runs `st` on and ends with
    /// `finish_timed`), or the caller's, set back after (`reset_timed`).
    async fn timeout_for(&self, st: &mut Statement) -> Result<Timing<'_>> {
        let sql = self.dialect().sql();
        let (how, limit) = if let Some(limit) = self.db().statement_timeout {
            (sql.statement_timeout(limit), limit)
        } else if let Some(limit) = self.own_transaction_lock_wait() {
            (sql.lock_wait_limit(limit), limit)
        } else {
            return Ok(Timing::Deadline(Until::Never));
        };
        Ok(match how {
            StatementTimeout::Prefix(p) => {
                st.sql.insert_str(0, &p);
                Timing::Deadline(Until::Never)
            }
            StatementTimeout::Deadline => Timing::Deadline(Until::Statement(Instant::now() + limit)),
            StatementTimeout::LockWaitDeadline => Timing::Deadline(Until::LockWait(Instant::now() + limit)),
            StatementTimeout::InTransaction { set, reset } => match self {
                Conn::Db(db) => Timing::OwnTransaction(timed_transaction(db, &set).await?),
                Conn::Tx(tx) => {
                    tx.execute_script(&set).await?;
                    Timing::SetInTransaction { tx, reset }
                }
            },
        })
    }

    /// A statement on a pool handle (`&db`), or in a transaction begun
    /// from one, run by a task that is inside a transaction closure on the
    /// same pool: it may wait for a lock the transaction itself holds,
    /// which would never be released.
    fn in_own_transaction(&self) -> bool {
        match self {
            Conn::Db(db) => super::transaction::running_in(db),
            Conn::Tx(tx) => tx.beside_another(),
        }
    }

    /// How long such a statement may wait for a lock when the pool sets no
    /// `lock_timeout` of its own.
    fn own_transaction_lock_wait(&self) -> Option<std::time::Duration> {
        (self.in_own_transaction() && self.db().inner.lock_timeout.is_none())
            .then_some(super::transaction::OWN_TRANSACTION_LOCK_WAIT)
    }

    /// A lock wait that ended for a statement on `&db` inside a transaction
    /// on the same pool: say what most likely happened.
    fn named_cause(&self, e: Error) -> Error {
        if self.in_own_transaction() {
            super::transaction::waited_on_own_transaction(e)
        } else {
            e
        }
    }

    /// The statement's span, with OpenTelemetry's database attributes
    /// (disabled, and nothing computed, without a subscriber for it).
    fn span(&self, sql: &str) -> tracing::Span {
        let span = tracing::info_span!(
            target: "orm_core::sql",
            "db statement",
            otel.name = tracing::field::Empty,
            db.system.name = tracing::field::Empty,
            db.namespace = tracing::field::Empty,
            db.operation.name = tracing::field::Empty,
            db.query.text = tracing::field::Empty,
            db.response.returned_rows = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        if !span.is_disabled() {
            let inner = &self.db().inner;
            let operation = operation_of(sql);
            span.record("otel.name", operation);
            span.record("db.system.name", inner.dialect.otel_name());
            if let Some(ns) = &inner.namespace {
                span.record("db.namespace", ns.as_str());
            }
            span.record("db.operation.name", operation);
            span.record("db.query.text", sql);
        }
        span
    }

    /// Whether anyone listens for statements (a logging callback or a
    /// tracing subscriber at debug level); only then is the SQL text kept.
    fn logs(&self) -> bool {
        self.db().inner.logger.is_some() || tracing::enabled!(target: "orm_core::sql", tracing::Level::DEBUG)
    }

    /// A copy of the values for the log, when the pool asks for them.
    fn logged_values(&self, st: &Statement) -> Vec<crate::value::Value> {
        let inner = &self.db().inner;
        if inner.log_parameters && inner.logger.is_some() {
            st.params.clone()
        } else {
            Vec::new()
        }
    }

    fn log(
        &self,
        sql: Option<&str>,
        params: usize,
        values: &[crate::value::Value],
        started: Instant,
        rows: u64,
        ok: bool,
    ) {
        let Some(sql) = sql else { return };
        let elapsed = started.elapsed();
        tracing::debug!(target: "orm_core::sql", sql, params, elapsed_us = elapsed.as_micros() as u64, rows, ok, "statement");
        if let Some(logger) = &self.db().inner.logger {
            logger(&crate::db::QueryEvent {
                sql,
                params,
                values,
                elapsed,
                rows,
                ok,
            });
        }
    }
}

/// Stream a query's rows from a pool, decoding each as it arrives: the
/// runner's size check first, one statement event (rows, time to the last
/// row) when the stream ends.
pub(crate) fn stream_rows<'a, T: Send + 'a>(
    db: &'a Db,
    st: Statement,
    decode: fn(RowRef<'_>) -> Result<T>,
) -> futures_util::stream::BoxStream<'a, Result<T>> {
    use futures_util::StreamExt;
    let conn = Conn::Db(db);
    if let Err(e) = conn.check_size(&st) {
        return futures_util::stream::iter([Err(e)]).boxed();
    }
    let log = StreamLog {
        conn,
        sql: conn.logs().then(|| st.sql.clone()),
        values: conn.logged_values(&st),
        params: st.params.len(),
        started: Instant::now(),
        rows: 0,
        ok: true,
    };
    let rows = db.inner.driver.stream(st);
    futures_util::stream::unfold((rows, Some(log)), move |(mut rows, mut log)| async move {
        let state = log.as_mut()?;
        match rows.next().await {
            Some(Ok(row)) => {
                state.rows += 1;
                Some((decode(RowRef::new(&*row)), (rows, log)))
            }
            Some(Err(e)) => {
                state.ok = false;
                Some((Err(e), (rows, log)))
            }
            None => {
                if let Some(l) = log.take() {
                    l.conn
                        .log(l.sql.as_deref(), l.params, &l.values, l.started, l.rows, l.ok);
                }
                None
            }
        }
    })
    .boxed()
}

/// What a stream's statement event needs, kept until its last row.
struct StreamLog<'a> {
    conn: Conn<'a>,
    sql: Option<String>,
    values: Vec<crate::value::Value>,
    params: usize,
    started: Instant,
    rows: u64,
    ok: bool,
}

impl Db {
    /// Run `st` on this pool itself, without replica routing or a
    /// session's position (the replica checks' position queries).
    pub(crate) async fn fetch_here<T: Send>(
        &self,
        st: Statement,
        decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        Conn::Db(self).fetch_unrouted(st, decode).await
    }

    /// One round trip to the server; a dead database is an error, never a
    /// hang. With read replicas, each is checked too (see
    /// [`replica_status`](Self::replica_status)); a replica down is not an
    /// error while the primary answers.
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
    /// db.authenticate().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn authenticate(&self) -> Result<()> {
        let st = Statement {
            sql: "SELECT 1".into(),
            params: Vec::new(),
        };
        Conn::Db(self).execute_unrouted(st).await?;
        if let Some(r) = &self.inner.replicas {
            r.check(self).await;
        }
        Ok(())
    }
}

impl Transaction {
    /// One round trip on the transaction's connection.
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
    /// tx.authenticate().await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn authenticate(&self) -> Result<()> {
        let st = Statement {
            sql: "SELECT 1".into(),
            params: Vec::new(),
        };
        Conn::Tx(self).execute(st).await.map(|_| ())
    }
}

/// Run `work` inside `span` when a subscriber wants it; untouched otherwise.
async fn in_span<F: std::future::Future>(span: &tracing::Span, work: F) -> F::Output {
    use tracing::Instrument;
    if span.is_disabled() {
        work.await
    } else {
        work.instrument(span.clone()).await
    }
}

/// Record a statement's outcome on its span: rows, or the error's kind.
fn ended(span: &tracing::Span, rows: u64, error: Option<&Error>) {
    if span.is_disabled() {
        return;
    }
    span.record("db.response.returned_rows", rows);
    if let Some(e) = error {
        span.record("error.type", e.kind_name());
    }
}

/// The statement's first keyword, upper case (`SELECT`, `INSERT`, ...).
fn operation_of(sql: &str) -> &'static str {
    let word = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    const KNOWN: [&str; 12] = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "WITH",
        "CREATE",
        "ALTER",
        "DROP",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(word))
        .copied()
        .unwrap_or("OTHER")
}

/// A deadline an in-process driver enforces for one statement.
#[derive(Clone, Copy)]
enum Until {
    Never,
    /// The statement is interrupted at it (`Find::timeout`).
    Statement(Instant),
    /// A wait for a lock ends at it (`LockNotAvailable`).
    LockWait(Instant),
}

/// Run `work` with the deadline an in-process driver enforces.
async fn until<F: std::future::Future>(deadline: Until, work: F) -> F::Output {
    match deadline {
        Until::Never => work.await,
        Until::Statement(d) => crate::driver::STATEMENT_DEADLINE.scope(d, work).await,
        Until::LockWait(d) => crate::driver::LOCK_WAIT_DEADLINE.scope(d, work).await,
    }
}

/// The transaction a statement with its own timeout runs in, the
/// timeout set (PostgreSQL's `SET LOCAL statement_timeout`).
async fn timed_transaction(db: &Db, set: &str) -> Result<Transaction> {
    let tx = db.begin().await?;
    tx.execute_script(set).await?;
    Ok(tx)
}

/// How a statement's own timeout is kept (`Conn::timeout_for`).
enum Timing<'a> {
    /// Nothing to set up; the in-process driver's deadline, if any.
    Deadline(Until),
    /// Run in this transaction of its own, the timeout set in it.
    OwnTransaction(Transaction),
    /// Set in the caller's transaction; `reset` puts it back after.
    SetInTransaction { tx: &'a Transaction, reset: &'static str },
}

/// After a timed statement in the caller's transaction: the session's own
/// timeout back. After a failure there is nothing to set back — the
/// transaction is aborted, and its end undoes the `SET LOCAL`.
async fn reset_timed<T>(tx: &Transaction, reset: &str, r: Result<T>) -> Result<T> {
    let v = r?;
    tx.execute_script(reset).await?;
    Ok(v)
}

/// End the transaction a timed statement ran in: committed after it
/// succeeded, rolled back after it failed (its error kept).
async fn finish_timed<T>(tx: Transaction, r: Result<T>) -> Result<T> {
    match r {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}
