//! Rust types that can be model fields, with their SQL type, how they bind,
//! and how they decode on each dialect.

use crate::error::Result;
use crate::row::RowRef;
use crate::value::{SqlType, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A Rust type that maps to one column.
///
/// Implemented for integers, floats, `bool`, `String`, `Vec<u8>`, chrono's
/// date/time types, `Uuid`, `serde_json::Value`, `Decimal`, every
/// `#[derive(DbEnum)]` type, and `Option` of each (a nullable column).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a supported column type",
    label = "unsupported column type",
    note = "supported: i16, i32, i64, f32, f64, bool, String, Vec<u8>, chrono date/time types, uuid::Uuid, serde_json::Value, orm_core::Json<T> (any serde type, stored as JSON), rust_decimal::Decimal, #[derive(DbEnum)] enums, and Option of each; unsigned integers are not (no database but MySQL stores them): use i64, or i32/i16 with #[validate(range(min = 0))]; mark other fields #[orm(skip)]"
)]
///
/// ```
/// use orm_core::{FieldType, SqlType, Value};
/// assert_eq!(<i32 as FieldType>::SQL_TYPE, SqlType::Int);
/// assert!(<Option<String> as FieldType>::NULLABLE);
/// assert_eq!(7_i64.to_value(), Value::I64(7));
/// ```
pub trait FieldType: Sized + Send + Sync + 'static {
    /// The type values are compared with in filters (`T` for `Option<T>`).
    type Compare;
    /// The column's SQL type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts NULL.
    const NULLABLE: bool = false;
    /// The value to bind for this field.
    fn to_value(&self) -> Value;
    /// Read the column at `idx`.
    fn decode(row: RowRef<'_>, idx: usize) -> Result<Self>;
    /// Read the nullable column at `idx` (the decoding of `Option<Self>`).
    /// The default looks for NULL first, then decodes; types the driver
    /// decodes directly override it to read the column once.
    fn decode_nullable(row: RowRef<'_>, idx: usize) -> Result<Option<Self>> {
        if row.is_null(idx)? {
            Ok(None)
        } else {
            Self::decode(row, idx).map(Some)
        }
    }
}

/// Something that can be compared with a column of type `T`: the type
/// itself, a reference, or `&str` for a `String` column.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, email: String, age: i32 }
/// let by_str = User::NAME.eq("Ada");                 // &str for a String column
/// let by_string = User::NAME.eq(String::from("Ada"));
/// let by_ref = User::AGE.lt(&30);                    // a reference
/// # let _ = (by_str, by_string, by_ref);
/// ```
pub trait IntoValue<T> {
    /// Convert into a bound parameter value.
    fn into_value(self) -> Value;
}

impl<T: FieldType> IntoValue<T> for T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl<T: FieldType> IntoValue<T> for &T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl IntoValue<String> for &str {
    fn into_value(self) -> Value {
        Value::String(self.to_owned())
    }
}

/// A NULL where the field has no `Option`.
fn unexpected_null(idx: usize) -> crate::error::Error {
    crate::error::Error::Decode {
        message: format!("column {idx} is NULL, but the field is not an Option"),
    }
}

/// A field type the driver reads with one getter.
macro_rules! direct_field {
    ($($t:ty => $sql:expr, $get:ident, |$v:ident| $to:expr;)*) => {$(
        impl FieldType for $t {
            type Compare = $t;
            const SQL_TYPE: SqlType = $sql;
            fn to_value(&self) -> Value {
                let $v = self;
                $to
            }
            fn decode(row: RowRef<'_>, idx: usize) -> Result<Self> {
                row.access().$get(idx)?.ok_or_else(|| unexpected_null(idx))
            }
            fn decode_nullable(row: RowRef<'_>, idx: usize) -> Result<Option<Self>> {
                row.access().$get(idx)
            }
        }
    )*};
}

direct_field! {
    i16 => SqlType::SmallInt, get_i16, |v| Value::I16(*v);
    i32 => SqlType::Int, get_i32, |v| Value::I32(*v);
    f32 => SqlType::Real, get_f32, |v| Value::F32(if *v == 0.0 { 0.0 } else { *v });
    f64 => SqlType::Double, get_f64, |v| Value::F64(if *v == 0.0 { 0.0 } else { *v });
    bool => SqlType::Bool, get_bool, |v| Value::Bool(*v);
    String => SqlType::Varchar(255), get_string, |v| Value::String(v.clone());
    Vec<u8> => SqlType::Bytes, get_bytes, |v| Value::Bytes(v.clone());
    DateTime<Utc> => SqlType::TimestampTz, get_utc, |v| Value::DateTimeUtc(to_micros(*v));
    NaiveDateTime => SqlType::Timestamp, get_datetime, |v| Value::DateTime(to_micros(*v));
    NaiveDate => SqlType::Date, get_date, |v| Value::Date(*v);
    NaiveTime => SqlType::Time, get_time, |v| Value::Time(to_micros(*v));
}

// Floats: -0.0 is stored as 0.0 on every dialect (MySQL and SQLite drop
// the sign of zero; the two compare equal), so all three store the same.

/// Cut a time to whole microseconds, the precision every dialect stores
/// (PostgreSQL and MySQL would cut or round it, SQLite's text would keep
/// it): the same value is then stored, and compared, on every dialect.
/// Leap seconds keep their marker, so the guard can refuse them.
pub(crate) fn to_micros<T: chrono::Timelike>(t: T) -> T {
    let ns = t.nanosecond();
    t.with_nanosecond(ns - ns % 1_000).unwrap_or(t)
}

direct_field! {
    i64 => SqlType::BigInt, get_i64, |v| Value::I64(*v);
    Uuid => SqlType::Uuid, get_uuid, |v| Value::Uuid(*v);
    Decimal => SqlType::Decimal, get_decimal, |v| Value::Decimal(*v);
    serde_json::Value => SqlType::Json, get_json, |v| Value::Json(v.clone());
}

impl<T: FieldType> FieldType for Option<T> {
    type Compare = T::Compare;
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null(T::SQL_TYPE),
        }
    }
    fn decode(row: RowRef<'_>, idx: usize) -> Result<Self> {
        T::decode_nullable(row, idx)
    }
}

/// A Rust enum stored as one of a fixed set of strings; implemented by
/// `#[derive(DbEnum)]`.
///
/// The database enforces the set too (a native `ENUM` on MySQL, a `CHECK`
/// constraint elsewhere).
///
/// Implemented by `#[derive(DbEnum)]`; see [its page](derive@crate::DbEnum)
/// for the labels and an example.
pub trait DbEnum: Sized + Copy + Send + Sync + 'static {
    /// The stored labels, in declaration order.
    const VARIANTS: &'static [&'static str];
    /// This value's stored label.
    fn as_str(&self) -> &'static str;
    /// The value for a stored label.
    fn from_label(s: &str) -> Option<Self>;
}

/// Decode a `DbEnum` from its label (called by the derive).
pub(crate) fn decode_enum<E: DbEnum>(row: RowRef<'_>, idx: usize, name: &str) -> Result<E> {
    let s = String::decode(row, idx)?;
    E::from_label(&s).ok_or_else(|| crate::error::Error::Decode {
        message: format!("`{s}` is not a variant of {name} (expected one of {:?})", E::VARIANTS),
    })
}

/// A column holding any serde type as JSON (`JSONB` on PostgreSQL, `JSON`
/// on MySQL, text on SQLite): `pub settings: Json<Settings>`. Query its
/// fields with [`Column::get`](crate::Column::get) and
/// [`Column::path`](crate::Column::path), as for `serde_json::Value`.
///
/// A value that serde cannot turn into JSON (a map with non-string keys)
/// is stored as JSON `null`; a stored document that does not fit `T` is an
/// error when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static> FieldType for Json<T> {
    type Compare = serde_json::Value;
    const SQL_TYPE: SqlType = SqlType::Json;
    fn to_value(&self) -> Value {
        Value::Json(serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null))
    }
    fn decode(row: RowRef<'_>, idx: usize) -> Result<Self> {
        let doc = serde_json::Value::decode(row, idx)?;
        serde_json::from_value(doc)
            .map(Json)
            .map_err(|e| crate::error::Error::Decode {
                message: format!("column {idx} as {}: {e}", std::any::type_name::<T>()),
            })
    }
}

/// The current time, truncated to microseconds (the precision every
/// dialect stores), so a returned instance equals the stored row.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    let t = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
