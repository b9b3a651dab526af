//! Running statements: the [`Executor`] trait that `&Db` and transactions
//! share, logging, and error mapping.

use crate::bind;
use crate::db::{Db, Pool};
use crate::dialect::{Dialect, Statement};
use crate::error::{Error, Result, from_sqlx};
use crate::row::RowRef;
use crate::transaction::{Transaction, TxConn};
use futures_util::TryStreamExt;
use sqlx::AssertSqlSafe;
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

impl Executor for crate::transaction::Connection {
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

/// The outcome of a write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    pub rows_affected: u64,
    pub last_insert_id: Option<i64>,
}

/// Run one statement on a pool or a connection, with the dialect's argument binder.
macro_rules! dispatch {
    ($self:expr, $st:expr, |$q:ident, $exec:ident, $variant:ident| $body:expr) => {{
        let db = $self.db();
        let sql = AssertSqlSafe($st.sql);
        let bind_err = |e: sqlx::error::BoxDynError| Error::InvalidQuery {
            message: format!("could not bind a parameter: {e}"),
        };
        match $self {
            Conn::Db(db_) => match &db_.inner.pool {
                #[cfg(feature = "postgres")]
                Pool::Pg(pool) => {
                    let $q = sqlx::query_with(sql, bind::pg_args($st.params).map_err(bind_err)?);
                    let $exec = pool;
                    let $variant = pg_ref;
                    $body
                }
                #[cfg(feature = "mysql")]
                Pool::MySql(pool) => {
                    let $q = sqlx::query_with(sql, bind::mysql_args($st.params).map_err(bind_err)?);
                    let $exec = pool;
                    let $variant = mysql_ref;
                    $body
                }
                #[cfg(feature = "sqlite")]
                Pool::Sqlite(pool) => {
                    let $q = sqlx::query_with(sql, bind::sqlite_args($st.params).map_err(bind_err)?);
                    let $exec = pool;
                    let $variant = sqlite_ref;
                    $body
                }
            },
            Conn::Tx(tx) => {
                let mut guard = tx.lock().await?;
                let conn = guard
                    .as_mut()
                    .ok_or_else(|| Error::invalid("the transaction has already ended"))?;
                match conn {
                    #[cfg(feature = "postgres")]
                    TxConn::Pg(t) => {
                        let $q = sqlx::query_with(sql, bind::pg_args($st.params).map_err(bind_err)?);
                        let $exec = t.conn();
                        let $variant = pg_ref;
                        $body
                    }
                    #[cfg(feature = "mysql")]
                    TxConn::MySql(t) => {
                        let $q = sqlx::query_with(sql, bind::mysql_args($st.params).map_err(bind_err)?);
                        let $exec = t.conn();
                        let $variant = mysql_ref;
                        $body
                    }
                    #[cfg(feature = "sqlite")]
                    TxConn::Sqlite(t) => {
                        let $q = sqlx::query_with(sql, bind::sqlite_args($st.params).map_err(bind_err)?);
                        let $exec = t.conn();
                        let $variant = sqlite_ref;
                        $body
                    }
                }
            }
        }
        .map_err(|e| from_sqlx(e, db.inner.acquire_timeout))
    }};
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
    pub(crate) async fn fetch<T>(&self, st: Statement, decode: impl FnMut(RowRef<'_>) -> Result<T>) -> Result<Vec<T>> {
        let out = self.fetch_unrouted(st, decode).await?;
        self.after_write().await;
        Ok(out)
    }

    /// Run a read: on a replica when the handle routes there (see
    /// `replica.rs`), else on the primary or the transaction. A replica
    /// that loses its connection before any row is decoded is marked down
    /// and the read runs again on the primary.
    pub(crate) async fn read<T>(
        &self,
        st: Statement,
        mut decode: impl FnMut(RowRef<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        if let Conn::Db(db) = self
            && let Some(replicas) = &db.inner.replicas
        {
            let pick = match &db.route {
                crate::replica::Route::Any => replicas.pick(),
                crate::replica::Route::Primary => None,
                crate::replica::Route::Session(s) => replicas.pick_for(s).await,
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
                    // `SELECT nextval(..)`): the replica refuses it, the primary runs it.
                    Err(Error::Database { code, message })
                        if decoded == 0
                            && db
                                .inner
                                .dialect
                                .sql()
                                .is_read_only_refusal(code.as_deref().unwrap_or(""), &message) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.fetch_unrouted(st, decode).await
    }

    /// The replica to stream a read of `db` from, if the handle routes there.
    pub(crate) fn stream_target(db: &Db) -> Option<&Db> {
        let replicas = db.inner.replicas.as_ref()?;
        if !matches!(db.route, crate::replica::Route::Any) {
            return None;
        }
        let i = replicas.pick()?;
        replicas.served(i);
        Some(&replicas.list[i].db)
    }

    /// Through a session with replicas: remember the primary's position.
    async fn after_write(&self) {
        if let Conn::Db(db) = self {
            crate::replica::session_wrote(db).await;
        }
    }

    /// Run a query on this connection target and decode every row with `decode`.
    pub(crate) async fn fetch_unrouted<T>(
        &self,
        st: Statement,
        mut decode: impl FnMut(RowRef<'_>) -> Result<T>,
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
        let buffer = self.dialect().sql().caps().buffer_rows;
        let res: Result<()> = dispatch!(self, st, |q, exec, row_ref| {
            if buffer {
                // Every row first, then decode (see `SqlDialect::buffer_rows`).
                q.fetch_all(exec).await.map(|rows| {
                    for row in &rows {
                        if !take(row_ref(row)) {
                            break;
                        }
                    }
                })
            } else {
                let mut stream = q.fetch(exec);
                loop {
                    match stream.try_next().await {
                        Ok(Some(row)) if take(row_ref(&row)) => {}
                        Ok(_) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                }
            }
        });
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
    pub(crate) async fn execute_unrouted(&self, st: Statement) -> Result<Done> {
        self.check_size(&st)?;
        let started = Instant::now();
        let params = st.params.len();
        let log_sql = self.logs().then(|| st.sql.clone());
        let log_values = self.logged_values(&st);
        let res: Result<Done> = dispatch!(self, st, |q, exec, _row_ref| {
            q.execute(exec).await.map(|r| done_of(&r))
        });
        let rows = res.as_ref().map(|d| d.rows_affected).unwrap_or(0);
        self.log(log_sql.as_deref(), params, &log_values, started, rows, res.is_ok());
        res
    }

    /// Whether anyone listens for statements (a logging callback or a
    /// tracing subscriber at debug level); only then is the SQL text kept.
    fn logs(&self) -> bool {
        self.db().inner.logger.is_some() || tracing::enabled!(target: "orm_core::sql", tracing::Level::DEBUG)
    }

    /// A copy of the values for the log, when the pool asks for them.
    fn logged_values(&self, st: &Statement) -> Vec<crate::Value> {
        let inner = &self.db().inner;
        if inner.log_parameters && inner.logger.is_some() {
            st.params.clone()
        } else {
            Vec::new()
        }
    }

    fn log(&self, sql: Option<&str>, params: usize, values: &[crate::Value], started: Instant, rows: u64, ok: bool) {
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

#[cfg(feature = "postgres")]
fn pg_ref(r: &sqlx::postgres::PgRow) -> RowRef<'_> {
    RowRef::Pg(r)
}

#[cfg(feature = "mysql")]
fn mysql_ref(r: &sqlx::mysql::MySqlRow) -> RowRef<'_> {
    RowRef::MySql(r)
}

#[cfg(feature = "sqlite")]
fn sqlite_ref(r: &sqlx::sqlite::SqliteRow) -> RowRef<'_> {
    RowRef::Sqlite(r)
}

trait QueryDone {
    fn done(&self) -> Done;
}

fn done_of<R: QueryDone>(r: &R) -> Done {
    r.done()
}

#[cfg(feature = "postgres")]
impl QueryDone for sqlx::postgres::PgQueryResult {
    fn done(&self) -> Done {
        Done {
            rows_affected: self.rows_affected(),
            last_insert_id: None,
        }
    }
}

#[cfg(feature = "mysql")]
impl QueryDone for sqlx::mysql::MySqlQueryResult {
    fn done(&self) -> Done {
        Done {
            rows_affected: self.rows_affected(),
            last_insert_id: i64::try_from(self.last_insert_id()).ok(),
        }
    }
}

#[cfg(feature = "sqlite")]
impl QueryDone for sqlx::sqlite::SqliteQueryResult {
    fn done(&self) -> Done {
        Done {
            rows_affected: self.rows_affected(),
            last_insert_id: Some(self.last_insert_rowid()),
        }
    }
}

/// Stream a query's rows from a pool, decoding each as it arrives.
pub(crate) fn stream_rows<'a, T: Send + 'a>(
    db: &'a Db,
    st: Statement,
    decode: fn(RowRef<'_>) -> Result<T>,
) -> futures_util::stream::BoxStream<'a, Result<T>> {
    use futures_util::StreamExt;
    let timeout = db.inner.acquire_timeout;
    let sql = AssertSqlSafe(st.sql);
    let bind_err = |e: sqlx::error::BoxDynError| Error::InvalidQuery {
        message: format!("could not bind a parameter: {e}"),
    };
    macro_rules! run {
        ($pool:expr, $args:expr, $to_ref:expr) => {
            match $args(st.params) {
                Ok(args) => sqlx::query_with(sql, args)
                    .fetch($pool)
                    .map(move |row| match row {
                        Ok(r) => decode($to_ref(&r)),
                        Err(e) => Err(from_sqlx(e, timeout)),
                    })
                    .boxed(),
                Err(e) => futures_util::stream::iter([Err(bind_err(e))]).boxed(),
            }
        };
    }
    match &db.inner.pool {
        #[cfg(feature = "postgres")]
        Pool::Pg(p) => run!(p, bind::pg_args, pg_ref),
        #[cfg(feature = "mysql")]
        Pool::MySql(p) => run!(p, bind::mysql_args, mysql_ref),
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(p) => run!(p, bind::sqlite_args, sqlite_ref),
    }
}
