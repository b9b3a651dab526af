//! Binding [`Value`]s to each driver's argument buffer.

use crate::value::{SqlType, Value};
use sqlx::Arguments;
use sqlx::error::BoxDynError;
use sqlx::types::Json;

/// Bind a NULL of the right type, then every other value, for one dialect.
macro_rules! bind_fn {
    ($name:ident, $args:ty, uuid: |$u:ident| $uuid:expr, decimal: |$d:ident| $dec:expr, json: |$j:ident| $json:expr, array: |$a:ident, $args_i:ident| $array:expr) => {
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
                    Value::DateTimeUtc(t) => args.add(t)?,
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
    Text,
    Uuid,
}

pub(crate) fn pg_array_kind(values: &[Value]) -> Option<ArrayKind> {
    let kind = |v: &Value| match v {
        Value::I16(_) | Value::I32(_) | Value::I64(_) => Some(ArrayKind::I64),
        Value::String(_) | Value::Str(_) => Some(ArrayKind::Text),
        Value::Uuid(_) => Some(ArrayKind::Uuid),
        _ => None,
    };
    let first = kind(values.first()?)?;
    values.iter().all(|v| kind(v) == Some(first)).then_some(first)
}

#[cfg(feature = "postgres")]
fn pg_array(args: &mut sqlx::postgres::PgArguments, values: Vec<Value>) -> Result<(), BoxDynError> {
    match pg_array_kind(&values) {
        Some(ArrayKind::I64) => args.add(values.iter().filter_map(Value::as_i64).collect::<Vec<i64>>()),
        Some(ArrayKind::Text) => args.add(
            values
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Str(s) => Some(s.to_owned()),
                    _ => None,
                })
                .collect::<Vec<String>>(),
        ),
        Some(ArrayKind::Uuid) => args.add(
            values
                .into_iter()
                .filter_map(|v| match v {
                    Value::Uuid(u) => Some(u),
                    _ => None,
                })
                .collect::<Vec<uuid::Uuid>>(),
        ),
        None => Err("a list of mixed or unsupported types cannot be bound as an array".into()),
    }
}

#[cfg(any(feature = "mysql", feature = "sqlite"))]
fn no_array() -> Result<(), BoxDynError> {
    Err("array parameters are PostgreSQL-only".into())
}

#[cfg(feature = "postgres")]
bind_fn!(pg_args, sqlx::postgres::PgArguments,
    uuid: |u| u, decimal: |d| d, json: |j| Json(j), array: |a, args| pg_array(args, a)?);

#[cfg(feature = "mysql")]
bind_fn!(mysql_args, sqlx::mysql::MySqlArguments,
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d, json: |j| j.to_string(), array: |a, args| { let _ = (a, args); no_array()? });

#[cfg(feature = "sqlite")]
bind_fn!(sqlite_args, sqlx::sqlite::SqliteArguments,
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d.to_string(), json: |j| Json(j), array: |a, args| { let _ = (a, args); no_array()? });
