//! MySQL and MariaDB through sqlx: connect (reading `max_allowed_packet`),
//! binding (UTC times as DATETIME, UUIDs and JSON as text), decoding
//! (unsigned and DECIMAL integers, JSON from text).

use crate::dialect::SqlDialect;
use crate::driver::sqlx_pool::{self, SqlxDb, SqlxPool, bind_fn, common_getters, no_array, sqlx_driver};
use crate::driver::{ConnectOptions, Connected, Done, RowAccess};
use crate::error::{Error, Result};
use crate::value::Value;
use rust_decimal::Decimal;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySql, MySqlArguments, MySqlConnectOptions, MySqlConnection, MySqlRow};
use std::sync::Arc;

pub(super) async fn connect(o: &ConnectOptions) -> Result<Connected> {
    let err = |e| sqlx_pool::connect_error(e, o.acquire_timeout);
    let url = match o.url.strip_prefix("mariadb:") {
        Some(rest) => format!("mysql:{rest}"),
        None => o.url.clone(),
    };
    let opts: MySqlConnectOptions = url.parse().map_err(err)?;
    let mut options = sqlx_pool::pool_options::<MySql>(o);
    let settings = session_settings(o);
    if !settings.is_empty() {
        let settings = Arc::new(settings);
        options = options.after_connect(move |conn, _| {
            let settings = settings.clone();
            Box::pin(async move {
                for (mariadb, mysql) in settings.iter() {
                    // MariaDB's variable first, then MySQL's spelling of it
                    // (numbers of our own making, no user text).
                    if sqlx::query(sqlx::AssertSqlSafe(mariadb.clone()))
                        .execute(&mut *conn)
                        .await
                        .is_err()
                        && let Some(mysql) = mysql
                    {
                        sqlx::query(sqlx::AssertSqlSafe(mysql.clone()))
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Ok(())
            })
        });
    }
    let (pool, max_statement_bytes) = if o.lazy {
        (options.connect_lazy_with(opts), None)
    } else {
        let mut probe: MySqlConnection = sqlx_pool::probe(&opts, o).await?;
        let packet: u64 = sqlx::query_scalar("SELECT @@max_allowed_packet")
            .fetch_one(&mut probe)
            .await
            .map_err(err)?;
        let _ = sqlx::Connection::close(probe).await;
        (
            options.connect_with(opts).await.map_err(err)?,
            usize::try_from(packet).ok(),
        )
    };
    Ok(Connected {
        driver: Arc::new(SqlxPool::<MySql> {
            pool,
            acquire_timeout: o.acquire_timeout,
        }),
        max_statement_bytes,
    })
}

/// `SET SESSION` statements for the pool's timeouts: MariaDB's form, and
/// MySQL's where it differs (`max_execution_time`, in milliseconds, SELECTs
/// only). Lock waits are whole seconds, at least 1.
fn session_settings(o: &ConnectOptions) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(d) = o.statement_timeout {
        out.push((
            format!("SET SESSION max_statement_time = {}", d.as_secs_f64().max(0.001)),
            Some(format!("SET SESSION max_execution_time = {}", d.as_millis().max(1))),
        ));
    }
    if let Some(d) = o.lock_timeout {
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        out.push((format!("SET SESSION innodb_lock_wait_timeout = {}", secs.max(1)), None));
        out.push((format!("SET SESSION lock_wait_timeout = {}", secs.max(1)), None));
    }
    out
}

impl SqlxDb for MySql {
    const SQL: &'static dyn SqlDialect = &super::dialect::MySql;

    fn args(params: Vec<Value>) -> std::result::Result<MySqlArguments, BoxDynError> {
        mysql_args(params)
    }

    fn done(r: &sqlx::mysql::MySqlQueryResult) -> Done {
        Done {
            rows_affected: r.rows_affected(),
            last_insert_id: i64::try_from(r.last_insert_id()).ok(),
        }
    }
}

sqlx_driver!(MySql);

impl RowAccess for MySqlRow {
    common_getters!();

    fn get_string(&self, idx: usize) -> Result<Option<String>> {
        sqlx_pool::get(self, idx)
    }

    /// Unsigned columns that fit, and integer SUMs (a DECIMAL on MySQL:
    /// exact, or out of range).
    fn get_i64(&self, idx: usize) -> Result<Option<i64>> {
        let wide = sqlx_pool::get::<_, i64>(self, idx);
        if wide.is_ok() {
            return wide;
        }
        if let Ok(u) = sqlx_pool::get::<_, u64>(self, idx) {
            match u.map(i64::try_from) {
                None => return Ok(None),
                Some(Ok(n)) => return Ok(Some(n)),
                Some(Err(_)) => return wide,
            }
        }
        match sqlx_pool::get::<_, Decimal>(self, idx) {
            Ok(None) => Ok(None),
            Ok(Some(d)) if d.fract().is_zero() => {
                use rust_decimal::prelude::ToPrimitive;
                d.to_i64().map(Some).ok_or(Error::OutOfRange {
                    table: String::new(),
                    column: String::new(),
                })
            }
            _ => wide,
        }
    }

    fn get_decimal(&self, idx: usize) -> Result<Option<Decimal>> {
        sqlx_pool::get(self, idx)
    }
}

// A UTC time travels as a DATETIME: sqlx sends `DateTime<Utc>` as a
// TIMESTAMP, which the server turns into NULL outside 1970-2038.
bind_fn!(mysql_args, MySqlArguments, utc: |t| t.naive_utc(),
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d, json: |j| j.to_string(), label: |s| s, array: |a, args| { let _ = (a, args); no_array()? });
