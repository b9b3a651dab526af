//! The glue the two sqlx drivers (PostgreSQL, MySQL/MariaDB) share: a pool
//! and a held connection over any `sqlx::Database` that implements
//! [`SqlxDb`], error mapping, the probe connection and the pool settings.
//!
//! Each database's `backend/<db>/driver.rs` implements [`SqlxDb`]
//! (binding, row access, write results, error fields) and invokes
//! [`sqlx_driver!`] once: the `Driver`/`DriverConn` impls are written out
//! for its concrete types, which keeps sqlx's executor bounds concrete.

use super::{ConnectOptions, Done, PING_IF_IDLE_FOR};
use crate::dialect::SqlDialect;
use crate::error::{DbError, Error, Result, ViolationKind};
use crate::value::Value;
use sqlx::error::BoxDynError;
use sqlx::pool::{PoolConnection, PoolOptions};
use std::time::Duration;

/// What one sqlx database adds to the shared glue.
pub(crate) trait SqlxDb: sqlx::Database {
    /// The dialect whose hooks classify this database's errors.
    const SQL: &'static dyn SqlDialect;
    /// Bind the statement's values.
    fn args(params: Vec<Value>) -> std::result::Result<Self::Arguments, BoxDynError>;
    /// A write's row count and generated key.
    fn done(r: &Self::QueryResult) -> Done;
    /// The statement's text as sent (and as the statement cache's key):
    /// the SQL unchanged, or with what tells apart statements whose
    /// parameters the server types from the first values it saw.
    fn statement_text(sql: String, _params: &[Value]) -> String {
        sql
    }
    /// Constraint fields the driver reports beyond code and message.
    fn error_fields(_err: &dyn sqlx::error::DatabaseError, _out: &mut DbError) {}
}

/// A pool of one sqlx database.
pub(crate) struct SqlxPool<DB: SqlxDb> {
    pub pool: sqlx::Pool<DB>,
    pub acquire_timeout: Duration,
}

/// A held connection of one sqlx database (see `DriverConn`).
pub(crate) struct SqlxConn<DB: SqlxDb> {
    pub conn: Option<PoolConnection<DB>>,
    pub dirty: bool,
    pub acquire_timeout: Duration,
}

impl<DB: SqlxDb> SqlxConn<DB> {
    pub fn conn(&mut self) -> &mut DB::Connection {
        self.conn.as_deref_mut().expect("the connection is held until drop")
    }
}

impl<DB: SqlxDb> Drop for SqlxConn<DB> {
    fn drop(&mut self) {
        // Dropped dirty: closed (the server rolls back), not returned.
        if self.dirty
            && let Some(mut conn) = self.conn.take()
        {
            conn.close_on_drop();
        }
    }
}

/// Map a sqlx error: pool and transport failures by kind, a database's
/// refusal through the dialect's classification of its code and message.
pub(crate) fn error<DB: SqlxDb>(err: sqlx::Error, acquire_timeout: Duration) -> Error {
    match err {
        sqlx::Error::PoolTimedOut => Error::PoolTimeout {
            waited: acquire_timeout,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Configuration(_) => Error::Connection {
            message: err.to_string(),
        },
        sqlx::Error::Database(db) => {
            use sqlx::error::ErrorKind;
            let mut e = DbError {
                code: db.code().map(|c| c.into_owned()),
                message: db.message().to_owned(),
                kind: match db.kind() {
                    ErrorKind::UniqueViolation => Some(ViolationKind::Unique),
                    ErrorKind::ForeignKeyViolation => Some(ViolationKind::ForeignKey),
                    ErrorKind::NotNullViolation => Some(ViolationKind::NotNull),
                    ErrorKind::CheckViolation => Some(ViolationKind::Check),
                    _ => None,
                },
                ..DbError::default()
            };
            DB::error_fields(db.as_ref(), &mut e);
            crate::dialect::classify(DB::SQL, e)
        }
        other => Error::Database {
            code: None,
            message: other.to_string(),
        },
    }
}

/// A column that could not be decoded into the field's type.
pub(crate) fn decode_error(e: sqlx::Error) -> Error {
    Error::Decode { message: e.to_string() }
}

/// A value the driver could not bind.
pub(crate) fn bind_error(e: BoxDynError) -> Error {
    Error::InvalidQuery {
        message: format!("could not bind a parameter: {e}"),
    }
}

/// Read column `idx` as `Option<T>` with sqlx's decoder.
pub(crate) fn get<'r, R, T>(row: &'r R, idx: usize) -> Result<Option<T>>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    row.try_get::<Option<T>, usize>(idx).map_err(decode_error)
}

/// Whether column `idx` is SQL NULL.
pub(crate) fn is_null<R: sqlx::Row>(row: &R, idx: usize) -> Result<bool>
where
    usize: sqlx::ColumnIndex<R>,
{
    use sqlx::ValueRef;
    Ok(row.try_get_raw(idx).map_err(decode_error)?.is_null())
}

/// The `RowAccess` getters that sqlx decodes directly, for one row type;
/// a database's file writes the others (`get_i64`, and any of
/// `get_uuid`/`get_decimal`/`get_json` it stores natively).
macro_rules! direct_getters {
    ($($name:ident: $t:ty),* $(,)?) => {
        fn is_null(&self, idx: usize) -> $crate::error::Result<bool> {
            $crate::driver::sqlx_pool::is_null(self, idx)
        }
        $(fn $name(&self, idx: usize) -> $crate::error::Result<Option<$t>> {
            $crate::driver::sqlx_pool::get::<_, $t>(self, idx)
        })*
    };
}
pub(crate) use direct_getters;

/// The getters every sqlx database decodes the same way.
macro_rules! common_getters {
    () => {
        $crate::driver::sqlx_pool::direct_getters!(
            get_i16: i16,
            get_i32: i32,
            get_f64: f64,
            get_bool: bool,
            get_bytes: Vec<u8>,
            get_utc: chrono::DateTime<chrono::Utc>,
            get_datetime: chrono::NaiveDateTime,
            get_date: chrono::NaiveDate,
            get_time: chrono::NaiveTime,
        );

        /// A double column that MySQL narrows for an f32 field: a finite
        /// value past f32's range is OutOfRange, not infinity.
        fn get_f32(&self, idx: usize) -> $crate::error::Result<Option<f32>> {
            let narrow = $crate::driver::sqlx_pool::get::<_, f32>(self, idx)?;
            match narrow {
                Some(f) if f.is_infinite() => match $crate::driver::sqlx_pool::get::<_, f64>(self, idx) {
                    Ok(Some(wide)) if wide.is_finite() => Err($crate::error::Error::OutOfRange {
                        table: String::new(),
                        column: String::new(),
                    }),
                    _ => Ok(narrow),
                },
                _ => Ok(narrow),
            }
        }
    };
}
pub(crate) use common_getters;

/// Connections older than this are replaced when next acquired (sqlx's
/// default `max_lifetime`).
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Pool settings shared by every sqlx database. sqlx's default pings on
/// every acquire (a round trip per statement); ours only after
/// `PING_IF_IDLE_FOR` idle.
///
/// The idle timeout and the maximum lifetime are enforced here, when a
/// connection is acquired (an expired one is closed and another taken),
/// not by sqlx's background reaper: that task can read a transiently
/// wrapped idle count and spin a core forever, which also hangs runtime
/// shutdown (sqlx issue #3645, fixed upstream after 0.9.0; seen here in
/// the test suite about once in eight runs). Idle connections are then
/// closed at their next use instead of in the background.
pub(crate) fn pool_options<DB: sqlx::Database>(o: &ConnectOptions) -> PoolOptions<DB> {
    let idle_timeout = o.idle_timeout;
    PoolOptions::<DB>::new()
        .max_connections(o.max_connections)
        .min_connections(o.min_connections)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(o.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if idle_timeout.is_some_and(|t| meta.idle_for > t) || meta.age > MAX_LIFETIME {
                    return Ok(false);
                }
                if meta.idle_for > PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// One connection of our own first, within `connect_timeout`: sqlx's pool
/// would retry a failing connect until the acquire timeout and report only
/// that. A failure is `Error::Connection` with the cause, password redacted.
pub(crate) async fn probe<C: sqlx::Connection>(options: &C::Options, o: &ConnectOptions) -> Result<C> {
    let target = super::redacted(&o.url);
    match tokio::time::timeout(o.connect_timeout, C::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(Error::Connection {
            message: format!("could not connect to {target}: {}", cause(&e)),
        }),
        Err(_) => Err(Error::Connection {
            message: format!(
                "could not connect to {target}: no answer within {:?}",
                o.connect_timeout
            ),
        }),
    }
}

/// A connect-time error (URL parse, pool open) as `Error::Connection`.
pub(crate) fn connect_error(e: sqlx::Error, acquire_timeout: Duration) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::PoolTimeout {
            waited: acquire_timeout,
        },
        other => Error::Connection {
            message: other.to_string(),
        },
    }
}

/// A pool timeout, explained when the server is why (the pool could not
/// open all its slots): one connection is tried outside the pool, and a refusal (a role's or user's connection
/// limit, `too many connections`) is returned as [`Error::Connection`]
/// with the server's words instead of a bare `PoolTimeout`.
pub(crate) async fn explain_timeout<DB: SqlxDb>(pool: &sqlx::Pool<DB>, err: Error) -> Error {
    use sqlx::ConnectOptions;
    let Error::PoolTimeout { waited } = err else {
        return err;
    };
    // Every slot open and busy: the pool is saturated by its own users,
    // and the timeout says so. A slot left unopened: the server said no.
    if pool.size() >= pool.options().get_max_connections() {
        return err;
    }
    let options = pool.connect_options();
    // Short: a refusal is quick, and an unreachable host stays a timeout.
    match tokio::time::timeout(Duration::from_millis(250), options.connect()).await {
        Ok(Err(refused)) => Error::Connection {
            message: format!(
                "no pooled connection within {waited:?}, and the server refuses new ones: {}",
                cause(&refused)
            ),
        },
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
            err
        }
        Err(_) => err,
    }
}

/// The driver's account of a failed connection, with its source chain.
fn cause(e: &sqlx::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
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

/// Write out `Driver` for `SqlxPool<$db>` and `DriverConn` for
/// `SqlxConn<$db>` (concrete types keep sqlx's executor bounds simple).
macro_rules! sqlx_driver {
    ($db:ty) => {
        impl $crate::driver::Driver for $crate::driver::sqlx_pool::SqlxPool<$db> {
            fn fetch<'a>(
                &'a self,
                st: $crate::dialect::Statement,
                sink: &'a mut $crate::driver::RowSink<'_>,
            ) -> futures_util::future::BoxFuture<'a, $crate::error::Result<()>> {
                Box::pin(async move {
                    let r: $crate::error::Result<()> = async {
                        $crate::driver::sqlx_pool::sqlx_driver!(@fetch $db, &self.pool, st, sink, self.acquire_timeout)
                    }
                    .await;
                    match r {
                        Err(e) => Err($crate::driver::sqlx_pool::explain_timeout(&self.pool, e).await),
                        ok => ok,
                    }
                })
            }

            fn execute(
                &self,
                st: $crate::dialect::Statement,
            ) -> futures_util::future::BoxFuture<'_, $crate::error::Result<$crate::driver::Done>> {
                Box::pin(async move {
                    let r: $crate::error::Result<$crate::driver::Done> = async {
                        $crate::driver::sqlx_pool::sqlx_driver!(@execute $db, &self.pool, st, self.acquire_timeout)
                    }
                    .await;
                    match r {
                        Err(e) => Err($crate::driver::sqlx_pool::explain_timeout(&self.pool, e).await),
                        ok => ok,
                    }
                })
            }

            fn stream(
                &self,
                st: $crate::dialect::Statement,
            ) -> futures_util::stream::BoxStream<'_, $crate::error::Result<$crate::driver::OwnedRow>> {
                use futures_util::StreamExt;
                use $crate::driver::sqlx_pool::SqlxDb;
                let timeout = self.acquire_timeout;
                let sql = <$db>::statement_text(st.sql, &st.params);
                match <$db>::args(st.params) {
                    Ok(args) => sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                        .fetch(&self.pool)
                        .map(move |row| match row {
                            Ok(r) => Ok(Box::new(r) as $crate::driver::OwnedRow),
                            Err(e) => Err($crate::driver::sqlx_pool::error::<$db>(e, timeout)),
                        })
                        .boxed(),
                    Err(e) => futures_util::stream::iter([Err($crate::driver::sqlx_pool::bind_error(e))]).boxed(),
                }
            }

            fn acquire(
                &self,
            ) -> futures_util::future::BoxFuture<'_, $crate::error::Result<Box<dyn $crate::driver::DriverConn>>> {
                Box::pin(async move {
                    let conn = match self.pool.acquire().await {
                        Ok(conn) => conn,
                        Err(e) => {
                            let e = $crate::driver::sqlx_pool::error::<$db>(e, self.acquire_timeout);
                            return Err($crate::driver::sqlx_pool::explain_timeout(&self.pool, e).await);
                        }
                    };
                    Ok(Box::new($crate::driver::sqlx_pool::SqlxConn::<$db> {
                        conn: Some(conn),
                        dirty: true,
                        acquire_timeout: self.acquire_timeout,
                    }) as Box<dyn $crate::driver::DriverConn>)
                })
            }

            fn close(&self) -> futures_util::future::BoxFuture<'_, ()> {
                Box::pin(self.pool.close())
            }
        }

        impl $crate::driver::DriverConn for $crate::driver::sqlx_pool::SqlxConn<$db> {
            fn fetch<'a>(
                &'a mut self,
                st: $crate::dialect::Statement,
                sink: &'a mut $crate::driver::RowSink<'_>,
            ) -> futures_util::future::BoxFuture<'a, $crate::error::Result<()>> {
                Box::pin(async move {
                    let timeout = self.acquire_timeout;
                    $crate::driver::sqlx_pool::sqlx_driver!(@fetch $db, self.conn(), st, sink, timeout)
                })
            }

            fn execute(
                &mut self,
                st: $crate::dialect::Statement,
            ) -> futures_util::future::BoxFuture<'_, $crate::error::Result<$crate::driver::Done>> {
                Box::pin(async move {
                    let timeout = self.acquire_timeout;
                    $crate::driver::sqlx_pool::sqlx_driver!(@execute $db, self.conn(), st, timeout)
                })
            }

            fn simple<'a>(&'a mut self, sql: &'a str) -> futures_util::future::BoxFuture<'a, $crate::error::Result<()>> {
                Box::pin(async move {
                    let timeout = self.acquire_timeout;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                        .execute(self.conn())
                        .await
                        .map(|_| ())
                        .map_err(|e| $crate::driver::sqlx_pool::error::<$db>(e, timeout))
                })
            }

            fn set_dirty(&mut self, dirty: bool) {
                self.dirty = dirty;
            }
        }
    };
    (@fetch $db:ty, $exec:expr, $st:expr, $sink:expr, $timeout:expr) => {{
        use futures_util::TryStreamExt;
        use $crate::driver::sqlx_pool::SqlxDb;
        let st: $crate::dialect::Statement = $st;
        let err = |e| $crate::driver::sqlx_pool::error::<$db>(e, $timeout);
        let sql = <$db>::statement_text(st.sql, &st.params);
        let args = <$db>::args(st.params).map_err($crate::driver::sqlx_pool::bind_error)?;
        let q = sqlx::query_with(sqlx::AssertSqlSafe(sql), args);
        let mut stream = q.fetch($exec);
        while let Some(row) = stream.try_next().await.map_err(err)? {
            if !($sink)($crate::row::RowRef::new(&row)) {
                break;
            }
        }
        Ok(())
    }};
    (@execute $db:ty, $exec:expr, $st:expr, $timeout:expr) => {{
        use $crate::driver::sqlx_pool::SqlxDb;
        let st: $crate::dialect::Statement = $st;
        let sql = <$db>::statement_text(st.sql, &st.params);
        let args = <$db>::args(st.params).map_err($crate::driver::sqlx_pool::bind_error)?;
        sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute($exec)
            .await
            .map(|r| <$db>::done(&r))
            .map_err(|e| $crate::driver::sqlx_pool::error::<$db>(e, $timeout))
    }};
}
pub(crate) use sqlx_driver;

/// Bind a NULL of the right type, then every other value, for one database
/// (the closures say how the types it stores differently travel).
macro_rules! bind_fn {
    ($name:ident, $args:ty, utc: |$t:ident| $utc:expr, uuid: |$u:ident| $uuid:expr, decimal: |$d:ident| $dec:expr, json: |$j:ident| $json:expr, label: |$l:ident| $label:expr, array: |$a:ident, $args_i:ident| $array:expr) => {
        pub(crate) fn $name(params: Vec<$crate::value::Value>) -> std::result::Result<$args, sqlx::error::BoxDynError> {
            use sqlx::Arguments;
            use $crate::value::{SqlType, Value};
            let mut args = <$args>::default();
            for v in params {
                match v {
                    Value::Null(ty) => match ty {
                        SqlType::SmallInt => args.add(None::<i16>)?,
                        SqlType::Int => args.add(None::<i32>)?,
                        SqlType::BigInt => args.add(None::<i64>)?,
                        SqlType::Real => args.add(None::<f32>)?,
                        SqlType::Double => args.add(None::<f64>)?,
                        SqlType::Bool => args.add(None::<bool>)?,
                        SqlType::Bytes => args.add(None::<Vec<u8>>)?,
                        SqlType::TimestampTz => args.add(None::<chrono::DateTime<chrono::Utc>>)?,
                        SqlType::Timestamp => args.add(None::<chrono::NaiveDateTime>)?,
                        SqlType::Date => args.add(None::<chrono::NaiveDate>)?,
                        SqlType::Time => args.add(None::<chrono::NaiveTime>)?,
                        SqlType::Uuid => {
                            let $u: Option<uuid::Uuid> = None;
                            args.add($u.map(|$u| $uuid))?
                        }
                        SqlType::Decimal => {
                            let $d: Option<rust_decimal::Decimal> = None;
                            args.add($d.map(|$d| $dec))?
                        }
                        SqlType::Json => {
                            let $j: Option<serde_json::Value> = None;
                            args.add($j.map(|$j| $json))?
                        }
                        SqlType::Varchar(_) | SqlType::Text | SqlType::Enum(_) => args.add(None::<String>)?,
                    },
                    Value::Bool(b) => args.add(b)?,
                    Value::I16(n) => args.add(n)?,
                    Value::I32(n) => args.add(n)?,
                    Value::I64(n) => args.add(n)?,
                    Value::F32(n) => args.add(n)?,
                    Value::F64(n) => args.add(n)?,
                    Value::String(s) => args.add(s)?,
                    Value::Str($l) => args.add($label)?,
                    Value::Bytes(b) => args.add(b)?,
                    Value::DateTimeUtc($t) => args.add($utc)?,
                    Value::DateTime(t) => args.add(t)?,
                    Value::Date(t) => args.add(t)?,
                    Value::Time(t) => args.add(t)?,
                    Value::Uuid($u) => args.add($uuid)?,
                    Value::Decimal($d) => args.add($dec)?,
                    Value::Json($j) => args.add($json)?,
                    Value::Array($a) => {
                        let $args_i = &mut args;
                        $array
                    }
                }
            }
            Ok(args)
        }
    };
}
pub(crate) use bind_fn;

/// Lists bind as one array parameter on PostgreSQL only.
#[cfg(feature = "mysql")]
pub(crate) fn no_array() -> std::result::Result<(), BoxDynError> {
    Err("array parameters are PostgreSQL-only".into())
}
