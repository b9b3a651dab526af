//! Dialect-free values and SQL types: what the query AST carries and binds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The SQL type of a column, independent of any dialect.
///
/// Each dialect module maps it to its own type name (see [`crate::Dialect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlType {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    BigInt,
    /// 32-bit float.
    Real,
    /// 64-bit float.
    Double,
    /// Boolean.
    Bool,
    /// Variable-length string with a maximum length in characters.
    Varchar(u32),
    /// Unbounded text.
    Text,
    /// Binary data.
    Bytes,
    /// A point in time in UTC.
    TimestampTz,
    /// A date and time without a zone.
    Timestamp,
    /// A calendar date.
    Date,
    /// A time of day.
    Time,
    /// A UUID.
    Uuid,
    /// A JSON document.
    Json,
    /// An exact decimal number.
    Decimal,
    /// A string restricted to the given values (a [`crate::DbEnum`]).
    Enum(&'static [&'static str]),
}

/// A value bound to a statement as a parameter.
///
/// Every user value reaches the database as a `Value` in a bound parameter;
/// none is ever spliced into SQL text.
///
/// ```
/// use orm_core::{FieldType, Value};
/// assert_eq!("ada".to_string().to_value(), Value::String("ada".into()));
/// assert!(matches!(None::<i64>.to_value(), Value::Null(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL, typed so that every dialect can bind it.
    Null(SqlType),
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    I16(i16),
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// An owned string.
    String(String),
    /// A static string (enum labels).
    Str(&'static str),
    /// Binary data.
    Bytes(Vec<u8>),
    /// A UTC timestamp.
    DateTimeUtc(DateTime<Utc>),
    /// A naive timestamp.
    DateTime(NaiveDateTime),
    /// A date.
    Date(NaiveDate),
    /// A time of day.
    Time(NaiveTime),
    /// A UUID.
    Uuid(Uuid),
    /// A JSON document.
    Json(serde_json::Value),
    /// An exact decimal.
    Decimal(Decimal),
    /// A list bound as one array parameter (PostgreSQL `= ANY($1)`).
    #[doc(hidden)]
    Array(Vec<Value>),
}

impl Value {
    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }

    /// The value as an `i64`, when it is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I16(v) => Some(v.into()),
            Value::I32(v) => Some(v.into()),
            Value::I64(v) => Some(v),
            _ => None,
        }
    }
}
