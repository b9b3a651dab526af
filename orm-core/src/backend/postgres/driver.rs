//! PostgreSQL through sqlx: connect, binding (lists as typed arrays),
//! decoding, and the constraint fields of its errors.

use super::dialect::{ArrayKind, array_kind as pg_array_kind};
use crate::dialect::SqlDialect;
use crate::driver::sqlx_pool::{self, SqlxDb, SqlxPool, bind_fn, common_getters, sqlx_driver};
use crate::driver::{ConnectOptions, Connected, Done, RowAccess};
use crate::error::{DbError, Result};
use crate::value::Value;
use sqlx::Arguments;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgDatabaseError, PgRow, Postgres};
use sqlx::types::Json;
use std::sync::Arc;

pub(super) async fn connect(o: &ConnectOptions) -> Result<Connected> {
    let err = |e| sqlx_pool::connect_error(e, o.acquire_timeout);
    let opts: PgConnectOptions = o.url.parse().map_err(err)?;
    // Session settings the server enforces: it cancels the statement (57014)
    // or gives up on the lock (55P03) itself.
    let mut settings = Vec::new();
    if let Some(d) = o.statement_timeout {
        settings.push(("statement_timeout", format!("{}ms", d.as_millis().max(1))));
    }
    if let Some(d) = o.lock_timeout {
        settings.push(("lock_timeout", format!("{}ms", d.as_millis().max(1))));
    }
    let opts = if settings.is_empty() {
        opts
    } else {
        opts.options(settings)
    };
    let options = sqlx_pool::pool_options::<Postgres>(o);
    let pool = if o.lazy {
        options.connect_lazy_with(opts)
    } else {
        let probe: PgConnection = sqlx_pool::probe(&opts, o).await?;
        let _ = sqlx::Connection::close(probe).await;
        options.connect_with(opts).await.map_err(err)?
    };
    Ok(Connected {
        driver: Arc::new(SqlxPool::<Postgres> {
            pool,
            acquire_timeout: o.acquire_timeout,
        }),
        max_statement_bytes: None,
    })
}

impl SqlxDb for Postgres {
    const SQL: &'static dyn SqlDialect = &super::dialect::Postgres;

    fn args(params: Vec<Value>) -> std::result::Result<PgArguments, BoxDynError> {
        pg_args(params)
    }

    /// sqlx caches a prepared statement by its text, with the parameter
    /// types of the first values it was prepared with, and binds later
    /// values in those types: `CAST(? AS TEXT)` bound 7, then 2.5, read
    /// the float's bits as an integer. The types go into the text (a
    /// trailing comment), so each combination is its own statement.
    fn statement_text(mut sql: String, params: &[Value]) -> String {
        if params.is_empty() {
            return sql;
        }
        sql.push_str("\n/* orm:");
        for v in params {
            type_letters(v, &mut sql);
        }
        sql.push_str(" */");
        sql
    }

    fn done(r: &sqlx::postgres::PgQueryResult) -> Done {
        Done {
            rows_affected: r.rows_affected(),
            last_insert_id: None,
        }
    }

    /// The table, constraint, column and detail PostgreSQL reports.
    fn error_fields(err: &dyn sqlx::error::DatabaseError, out: &mut DbError) {
        if let Some(pg) = err.try_downcast_ref::<PgDatabaseError>() {
            out.table = pg.table().map(str::to_owned);
            out.constraint = pg.constraint().map(str::to_owned);
            out.column = pg.column().map(str::to_owned);
            out.detail = pg.detail().map(str::to_owned);
        }
    }
}

sqlx_driver!(Postgres);

impl RowAccess for PgRow {
    common_getters!();

    /// Text, and the label of a native enum column (`CREATE TYPE .. AS
    /// ENUM`, which sqlx's `String` does not accept: its value is its label).
    #[inline]
    fn get_string(&self, idx: usize) -> Result<Option<String>> {
        match sqlx_pool::get::<_, String>(self, idx) {
            Ok(text) => Ok(text),
            Err(e) => enum_label(self, idx).unwrap_or(Err(e)),
        }
    }

    /// `INT`/`SMALLINT` columns (raw SQL, aggregates) widen.
    fn get_i64(&self, idx: usize) -> Result<Option<i64>> {
        let wide = sqlx_pool::get::<_, i64>(self, idx);
        if wide.is_ok() {
            return wide;
        }
        sqlx_pool::get::<_, i32>(self, idx)
            .map(|n| n.map(i64::from))
            .or_else(|_| sqlx_pool::get::<_, i16>(self, idx).map(|n| n.map(i64::from)))
            .or(wide)
    }

    fn get_uuid(&self, idx: usize) -> Result<Option<uuid::Uuid>> {
        sqlx_pool::get(self, idx)
    }

    fn get_decimal(&self, idx: usize) -> Result<Option<rust_decimal::Decimal>> {
        sqlx_pool::get(self, idx)
    }

    fn get_json(&self, idx: usize) -> Result<Option<serde_json::Value>> {
        sqlx_pool::get::<_, Json<serde_json::Value>>(self, idx).map(|j| j.map(|j| j.0))
    }
}

/// Collect the values `pick` accepts into one array argument.
fn pg_add<T>(
    args: &mut PgArguments,
    values: Vec<Value>,
    pick: fn(Value) -> Option<T>,
) -> std::result::Result<(), BoxDynError>
where
    Vec<T>: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
{
    args.add(values.into_iter().filter_map(pick).collect::<Vec<T>>())
}

/// A list as one typed array parameter (`= ANY($1)`).
fn pg_array(args: &mut PgArguments, values: Vec<Value>) -> std::result::Result<(), BoxDynError> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    match pg_array_kind(&values) {
        Some(ArrayKind::I64) => pg_add(args, values, |v| v.as_i64()),
        Some(ArrayKind::F64) => pg_add(args, values, |v| match v {
            Value::F32(f) => Some(f64::from(f)),
            Value::F64(f) => Some(f),
            _ => None,
        }),
        Some(ArrayKind::Bool) => pg_add(args, values, |v| match v {
            Value::Bool(b) => Some(b),
            _ => None,
        }),
        Some(ArrayKind::Text) => pg_add(args, values, |v| match v {
            Value::String(s) => Some(s),
            Value::Str(s) => Some(s.to_owned()),
            _ => None,
        }),
        Some(ArrayKind::Uuid) => pg_add(args, values, |v| match v {
            Value::Uuid(u) => Some(u),
            _ => None,
        }),
        Some(ArrayKind::Bytes) => pg_add(args, values, |v| match v {
            Value::Bytes(b) => Some(b),
            _ => None,
        }),
        Some(ArrayKind::TimestampTz) => pg_add::<DateTime<Utc>>(args, values, |v| match v {
            Value::DateTimeUtc(t) => Some(t),
            _ => None,
        }),
        Some(ArrayKind::Timestamp) => pg_add::<NaiveDateTime>(args, values, |v| match v {
            Value::DateTime(t) => Some(t),
            _ => None,
        }),
        Some(ArrayKind::Date) => pg_add::<NaiveDate>(args, values, |v| match v {
            Value::Date(t) => Some(t),
            _ => None,
        }),
        Some(ArrayKind::Time) => pg_add::<NaiveTime>(args, values, |v| match v {
            Value::Time(t) => Some(t),
            _ => None,
        }),
        Some(ArrayKind::Decimal) => pg_add(args, values, |v| match v {
            Value::Decimal(d) => Some(d),
            _ => None,
        }),
        None => Err("a list of mixed or unsupported types cannot be bound as an array".into()),
    }
}

bind_fn!(pg_args, PgArguments, utc: |t| t,
    uuid: |u| u, decimal: |d| d, json: |j| Json(j), label: |s| Label(s), array: |a, args| pg_array(args, a)?);

/// One letter per PostgreSQL parameter type a value is bound as (a NULL
/// as its column's type; an array as `a` and its elements' letter).
fn type_letters(v: &Value, out: &mut String) {
    use crate::value::SqlType;
    let letter = |ty: SqlType| match ty {
        SqlType::SmallInt => 'h',
        SqlType::Int => 'i',
        SqlType::BigInt => 'l',
        SqlType::Real => 'f',
        SqlType::Double => 'd',
        SqlType::Bool => 'b',
        SqlType::Bytes => 'y',
        SqlType::TimestampTz => 'z',
        SqlType::Timestamp => 't',
        SqlType::Date => 'D',
        SqlType::Time => 'T',
        SqlType::Uuid => 'u',
        SqlType::Json => 'j',
        SqlType::Decimal => 'n',
        SqlType::Text | SqlType::Varchar(_) | SqlType::Enum(_) => 's',
    };
    if let Value::Array(items) = v {
        out.push('a');
        return match items.first() {
            Some(first) => type_letters(first, out),
            None => out.push('s'),
        };
    }
    out.push(match v {
        Value::Null(ty) => letter(*ty),
        Value::Bool(_) => 'b',
        Value::I16(_) => 'h',
        Value::I32(_) => 'i',
        Value::I64(_) => 'l',
        Value::F32(_) => 'f',
        Value::F64(_) => 'd',
        Value::String(_) => 's',
        Value::Str(_) => 'e',
        Value::Bytes(_) => 'y',
        Value::DateTimeUtc(_) => 'z',
        Value::DateTime(_) => 't',
        Value::Date(_) => 'D',
        Value::Time(_) => 'T',
        Value::Uuid(_) => 'u',
        Value::Json(_) => 'j',
        Value::Decimal(_) => 'n',
        Value::Array(_) => 'a',
    });
}

/// A native enum column's label, where sqlx's `String` refused the type.
#[cold]
fn enum_label(row: &PgRow, idx: usize) -> Option<Result<Option<String>>> {
    use sqlx::{Column, Row, TypeInfo};
    let ty = row.columns().get(idx)?.type_info();
    let label = matches!(ty.kind(), sqlx::postgres::PgTypeKind::Enum(_)) && !ty.name().ends_with("[]");
    label.then(|| {
        row.try_get_unchecked::<Option<String>, usize>(idx)
            .map_err(sqlx_pool::decode_error)
    })
}

/// A `DbEnum` label, sent with its type left to the server: the column's
/// own (a native enum type, or text), as an untyped literal would be.
struct Label(&'static str);

impl sqlx::Type<sqlx::Postgres> for Label {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for Label {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> std::result::Result<sqlx::encode::IsNull, BoxDynError> {
        buf.extend_from_slice(self.0.as_bytes());
        Ok(sqlx::encode::IsNull::No)
    }
}
