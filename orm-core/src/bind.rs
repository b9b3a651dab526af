//! Binding [`Value`]s to each driver's argument buffer.

use crate::value::{SqlType, Value};
use sqlx::Arguments;
use sqlx::error::BoxDynError;
use sqlx::types::Json;

/// Bind a NULL of the right type, then every other value, for one dialect.
macro_rules! bind_fn {
    ($name:ident, $args:ty, uuid: |$u:ident| $uuid:expr, decimal: |$d:ident| $dec:expr, json: |$j:ident| $json:expr) => {
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
                }
            }
            Ok(args)
        }
    };
}

#[cfg(feature = "postgres")]
bind_fn!(pg_args, sqlx::postgres::PgArguments,
    uuid: |u| u, decimal: |d| d, json: |j| Json(j));

#[cfg(feature = "mysql")]
bind_fn!(mysql_args, sqlx::mysql::MySqlArguments,
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d, json: |j| j.to_string());

#[cfg(feature = "sqlite")]
bind_fn!(sqlite_args, sqlx::sqlite::SqliteArguments,
    uuid: |u| u.hyphenated().to_string(), decimal: |d| d.to_string(), json: |j| Json(j));
