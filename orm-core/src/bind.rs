//! Binding [`Value`]s to each driver's argument buffer.

use crate::value::{SqlType, Value};
use sqlx::Arguments;
use sqlx::error::BoxDynError;
use sqlx::types::Json;

/// Bind a NULL of the right type, then every other value, for one dialect.
macro_rules! bind_fn {
    ($name:ident, $args:ty, utc: |$t:ident| $utc:expr, uuid: |$u:ident| $uuid:expr, decimal: |$d:ident| $dec:expr, json: |$j:ident| $json:expr, array: |$a:ident, $args_i:ident| $array:expr) => {
        pub(crate) fn $name(params: Vec<Value>) -> Result<$args, BoxDynError> {
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
                    Value::Str(s) => args.add(s)?,
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

/// The element type of a list that PostgreSQL can bind as one array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrayKind {
    I64,
    F64,
    Bool,
    Text,
    Uuid,
    Bytes,
    TimestampTz,
    Timestamp,
    Date,
    Time,
    Decimal,
}

pub(crate) fn pg_array_kind(values: &[Value]) -> Option<ArrayKind> {
    let kind = |v: &Value| match v {
        Value::I16(_) | Value::I32(_) | Value::I64(_) => Some(ArrayKind::I64),
        Value::F32(_) | Value::F64(_) => Some(ArrayKind::F64),
        Value::Bool(_) => Some(ArrayKind::Bool),
        Value::String(_) | Value::Str(_) => Some(ArrayKind::Text),
        Value::Uuid(_) => Some(ArrayKind::Uuid),
        Value::Bytes(_) => Some(ArrayKind::Bytes),
        Value::DateTimeUtc(_) => Some(ArrayKind::TimestampTz),
        Value::DateTime(_) => Some(ArrayKind::Timestamp),
        Value::Date(_) => Some(ArrayKind::Date),
        Value::Time(_) => Some(ArrayKind::Time),
        Value::Decimal(_) => Some(ArrayKind::Decimal),
        _ => None,
    };
    let first = kind(values.first()?)?;
    values.iter().all(|v| kind(v) == Some(first)).then_some(first)
}

/// Collect the values `pick` accepts into one array argument.
#[cfg(feature = "postgres")]
fn pg_add<T>(
    args: &mut sqlx::postgres::PgArguments,
    values: Vec<Value>,
    pick: fn(Value) -> Option<T>,
) -> Result<(), BoxDynError>
where
    Vec<T>: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    args.add(values.into_iter().filter_map(pick).collect::<Vec<T>>())
}

#[cfg(feature = "postgres")]
fn pg_array(args: &mut sqlx::postgres::PgArguments, values: Vec<Value>) -> Result<(), BoxDynError> {
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

#[cfg(any(feature = "mysql", feature = "sqlite"))]
fn no_array() -> Result<(), BoxDynError> {
    Err("array parameters are PostgreSQL-only".into())
}

#[cfg(feature = "postgres")]
bind_fn!(pg_args, sqlx::postgres::PgArguments, utc: |t| t,
    uuid: |u| u, decimal: |d| d, json: |j| Json(j), array: |a, args| pg_array(args, a)?);

#[cfg(feature = "mysql")]
// A UTC time travels as a DATETIME: sqlx sends `DateTime<Utc>` as a
// TIMESTAMP, which the server turns into NULL outside 1970-2038.
bind_fn!(mysql_args, sqlx::mysql::MySqlArguments, utc: |t| t.naive_utc(),
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d, json: |j| j.to_string(), array: |a, args| { let _ = (a, args); no_array()? });

#[cfg(feature = "sqlite")]
bind_fn!(sqlite_args, sqlx::sqlite::SqliteArguments, utc: |t| t,
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d.to_string(), json: |j| Json(j), array: |a, args| { let _ = (a, args); no_array()? });
