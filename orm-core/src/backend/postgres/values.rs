//! How values travel to and from PostgreSQL on tokio-postgres: the
//! parameter type each [`Value`] is prepared with, its binary encoding
//! (lists as typed arrays), and typed reads of a result row.

use super::dialect::{ArrayKind, array_kind};
use crate::error::{Error, Result};
use crate::row::RowAccess;
use crate::value::{SqlType, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::error::Error as StdError;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};

type BoxError = Box<dyn StdError + Sync + Send>;

/// The type a parameter is prepared with. A `DbEnum` label is left to the
/// server (oid 0): it takes the column's own type, a native enum or text,
/// as an untyped literal would.
pub(super) fn param_type(v: &Value) -> Type {
    match v {
        Value::Null(ty) => sql_type(*ty),
        Value::Bool(_) => Type::BOOL,
        Value::I16(_) => Type::INT2,
        Value::I32(_) => Type::INT4,
        Value::I64(_) => Type::INT8,
        Value::F32(_) => Type::FLOAT4,
        Value::F64(_) => Type::FLOAT8,
        Value::String(_) => Type::TEXT,
        Value::Str(_) => Type::new(String::new(), 0, Kind::Simple, String::new()),
        Value::Bytes(_) => Type::BYTEA,
        Value::DateTimeUtc(_) => Type::TIMESTAMPTZ,
        Value::DateTime(_) => Type::TIMESTAMP,
        Value::Date(_) => Type::DATE,
        Value::Time(_) => Type::TIME,
        Value::Uuid(_) => Type::UUID,
        Value::Decimal(_) => Type::NUMERIC,
        Value::Json(_) => Type::JSONB,
        Value::Array(items) => match array_kind(items) {
            Some(ArrayKind::I64) => Type::INT8_ARRAY,
            Some(ArrayKind::F64) => Type::FLOAT8_ARRAY,
            Some(ArrayKind::Bool) => Type::BOOL_ARRAY,
            Some(ArrayKind::Text) | None => Type::TEXT_ARRAY,
            Some(ArrayKind::Uuid) => Type::UUID_ARRAY,
            Some(ArrayKind::Bytes) => Type::BYTEA_ARRAY,
            Some(ArrayKind::TimestampTz) => Type::TIMESTAMPTZ_ARRAY,
            Some(ArrayKind::Timestamp) => Type::TIMESTAMP_ARRAY,
            Some(ArrayKind::Date) => Type::DATE_ARRAY,
            Some(ArrayKind::Time) => Type::TIME_ARRAY,
            Some(ArrayKind::Decimal) => Type::NUMERIC_ARRAY,
        },
    }
}

/// A NULL's type: its column's.
fn sql_type(ty: SqlType) -> Type {
    match ty {
        SqlType::SmallInt => Type::INT2,
        SqlType::Int => Type::INT4,
        SqlType::BigInt => Type::INT8,
        SqlType::Real => Type::FLOAT4,
        SqlType::Double => Type::FLOAT8,
        SqlType::Bool => Type::BOOL,
        SqlType::Bytes => Type::BYTEA,
        SqlType::TimestampTz => Type::TIMESTAMPTZ,
        SqlType::Timestamp => Type::TIMESTAMP,
        SqlType::Date => Type::DATE,
        SqlType::Time => Type::TIME,
        SqlType::Uuid => Type::UUID,
        SqlType::Decimal => Type::NUMERIC,
        SqlType::Json => Type::JSONB,
        SqlType::Varchar(_) | SqlType::Text | SqlType::Enum(_) => Type::TEXT,
    }
}

/// The prepared-statement cache key: the SQL and one letter per parameter
/// type (the same text prepared for other parameter types is another
/// statement). One byte a parameter: a bulk INSERT has tens of thousands.
pub(super) fn cache_key(sql: &mut String, params: &[Value]) {
    if params.is_empty() {
        return;
    }
    sql.push_str("\n/* orm:");
    sql.extend(params.iter().map(type_letter));
    sql.push_str(" */");
}

/// The letter of the type [`param_type`] gives `v` (an array's by its
/// elements' kind).
fn type_letter(v: &Value) -> char {
    match v {
        Value::Null(ty) => match ty {
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
            SqlType::Decimal => 'n',
            SqlType::Json => 'j',
            SqlType::Varchar(_) | SqlType::Text | SqlType::Enum(_) => 's',
        },
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
        Value::Decimal(_) => 'n',
        Value::Json(_) => 'j',
        Value::Array(items) => match array_kind(items) {
            Some(ArrayKind::I64) => '1',
            Some(ArrayKind::F64) => '2',
            Some(ArrayKind::Bool) => '3',
            Some(ArrayKind::Text) | None => '4',
            Some(ArrayKind::Uuid) => '5',
            Some(ArrayKind::Bytes) => '6',
            Some(ArrayKind::TimestampTz) => '7',
            Some(ArrayKind::Timestamp) => '8',
            Some(ArrayKind::Date) => '9',
            Some(ArrayKind::Time) => '0',
            Some(ArrayKind::Decimal) => 'N',
        },
    }
}

/// One parameter, encoded in the type it was prepared with.
#[derive(Debug)]
pub(super) struct Param<'a>(pub &'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            Value::Null(_) => Ok(IsNull::Yes),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::I16(n) => n.to_sql(ty, out),
            Value::I32(n) => n.to_sql(ty, out),
            Value::I64(n) => n.to_sql(ty, out),
            Value::F32(n) => n.to_sql(ty, out),
            Value::F64(n) => n.to_sql(ty, out),
            Value::String(s) => text(s, out),
            // A label's binary form is its text, whatever the enum type.
            Value::Str(s) => text(s, out),
            Value::Bytes(b) => b.as_slice().to_sql(ty, out),
            Value::DateTimeUtc(t) => t.to_sql(ty, out),
            Value::DateTime(t) => t.to_sql(ty, out),
            Value::Date(t) => t.to_sql(ty, out),
            Value::Time(t) => t.to_sql(ty, out),
            Value::Uuid(u) => u.to_sql(ty, out),
            Value::Decimal(d) => d.to_sql(ty, out),
            Value::Json(j) => j.to_sql(ty, out),
            Value::Array(items) => array(items, ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn text(s: &str, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
    out.extend_from_slice(s.as_bytes());
    Ok(IsNull::No)
}

/// A list as one typed array (`= ANY($1)`).
fn array(items: &[Value], ty: &Type, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
    fn each<'v, T: ToSql>(
        items: &'v [Value],
        pick: fn(&'v Value) -> Option<T>,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        items.iter().filter_map(pick).collect::<Vec<T>>().to_sql(ty, out)
    }
    match array_kind(items) {
        Some(ArrayKind::I64) => each(items, Value::as_i64, ty, out),
        Some(ArrayKind::F64) => each(
            items,
            |v| match v {
                Value::F32(f) => Some(f64::from(*f)),
                Value::F64(f) => Some(*f),
                _ => None,
            },
            ty,
            out,
        ),
        Some(ArrayKind::Bool) => each(items, |v| if let Value::Bool(b) = v { Some(*b) } else { None }, ty, out),
        Some(ArrayKind::Text) => each(
            items,
            |v| match v {
                Value::String(s) => Some(s.as_str()),
                Value::Str(s) => Some(*s),
                _ => None,
            },
            ty,
            out,
        ),
        Some(ArrayKind::Uuid) => each(items, |v| if let Value::Uuid(u) = v { Some(*u) } else { None }, ty, out),
        Some(ArrayKind::Bytes) => each(
            items,
            |v| {
                if let Value::Bytes(b) = v {
                    Some(b.as_slice())
                } else {
                    None
                }
            },
            ty,
            out,
        ),
        Some(ArrayKind::TimestampTz) => each(
            items,
            |v| if let Value::DateTimeUtc(t) = v { Some(*t) } else { None },
            ty,
            out,
        ),
        Some(ArrayKind::Timestamp) => each(
            items,
            |v| if let Value::DateTime(t) = v { Some(*t) } else { None },
            ty,
            out,
        ),
        Some(ArrayKind::Date) => each(items, |v| if let Value::Date(t) = v { Some(*t) } else { None }, ty, out),
        Some(ArrayKind::Time) => each(items, |v| if let Value::Time(t) = v { Some(*t) } else { None }, ty, out),
        Some(ArrayKind::Decimal) => each(
            items,
            |v| if let Value::Decimal(d) = v { Some(*d) } else { None },
            ty,
            out,
        ),
        None if items.is_empty() => Vec::<&str>::new().to_sql(ty, out),
        None => Err("a list of mixed or unsupported types cannot be bound as an array".into()),
    }
}

/// Any column, for its NULL-ness.
struct AnyValue;

impl<'a> FromSql<'a> for AnyValue {
    fn from_sql(_: &Type, _: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(AnyValue)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Text, and the label of a native enum column (its binary form is its label).
struct Text(String);

impl<'a> FromSql<'a> for Text {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        if matches!(ty.kind(), Kind::Enum(_)) {
            return Ok(Text(std::str::from_utf8(raw)?.to_owned()));
        }
        String::from_sql(ty, raw).map(Text)
    }
    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Enum(_)) || <String as FromSql>::accepts(ty)
    }
}

/// Read column `idx` as `Option<T>`.
#[inline]
fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<Option<T>> {
    row.try_get::<usize, Option<T>>(idx).map_err(|e| decode_error(&e, idx))
}

/// A column that could not be decoded: `column N: why`.
#[cold]
fn decode_error(e: &tokio_postgres::Error, idx: usize) -> Error {
    let why = StdError::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
    Error::Decode {
        message: format!("error decoding column {idx}: {why}"),
    }
}

fn column_type(row: &Row, idx: usize) -> Option<&Type> {
    row.columns().get(idx).map(|c| c.type_())
}

impl RowAccess for Row {
    fn is_null(&self, idx: usize) -> Result<bool> {
        Ok(get::<AnyValue>(self, idx)?.is_none())
    }

    fn get_i16(&self, idx: usize) -> Result<Option<i16>> {
        get(self, idx)
    }

    fn get_i32(&self, idx: usize) -> Result<Option<i32>> {
        get(self, idx)
    }

    /// `INT`/`SMALLINT` columns (raw SQL, aggregates) widen.
    fn get_i64(&self, idx: usize) -> Result<Option<i64>> {
        match column_type(self, idx) {
            Some(&Type::INT4) => get::<i32>(self, idx).map(|n| n.map(i64::from)),
            Some(&Type::INT2) => get::<i16>(self, idx).map(|n| n.map(i64::from)),
            _ => get(self, idx),
        }
    }

    /// A `DOUBLE PRECISION` column read for an f32 field: a finite value
    /// past f32's range is OutOfRange, not infinity.
    fn get_f32(&self, idx: usize) -> Result<Option<f32>> {
        if column_type(self, idx) != Some(&Type::FLOAT8) {
            return get(self, idx);
        }
        match get::<f64>(self, idx)? {
            #[allow(clippy::cast_possible_truncation)]
            Some(wide) if wide.is_finite() && (wide as f32).is_infinite() => Err(Error::OutOfRange {
                table: String::new(),
                column: String::new(),
            }),
            #[allow(clippy::cast_possible_truncation)]
            other => Ok(other.map(|f| f as f32)),
        }
    }

    fn get_f64(&self, idx: usize) -> Result<Option<f64>> {
        match column_type(self, idx) {
            Some(&Type::FLOAT4) => get::<f32>(self, idx).map(|n| n.map(f64::from)),
            _ => get(self, idx),
        }
    }

    fn get_bool(&self, idx: usize) -> Result<Option<bool>> {
        get(self, idx)
    }

    #[inline]
    fn get_string(&self, idx: usize) -> Result<Option<String>> {
        get::<Text>(self, idx).map(|t| t.map(|t| t.0))
    }

    fn get_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>> {
        get(self, idx)
    }

    /// `TIMESTAMPTZ`, and a `TIMESTAMP` read as UTC.
    fn get_utc(&self, idx: usize) -> Result<Option<DateTime<Utc>>> {
        match column_type(self, idx) {
            Some(&Type::TIMESTAMP) => get::<NaiveDateTime>(self, idx).map(|t| t.map(|t| t.and_utc())),
            _ => get(self, idx),
        }
    }

    /// `TIMESTAMP`, and a `TIMESTAMPTZ`'s UTC time.
    fn get_datetime(&self, idx: usize) -> Result<Option<NaiveDateTime>> {
        match column_type(self, idx) {
            Some(&Type::TIMESTAMPTZ) => get::<DateTime<Utc>>(self, idx).map(|t| t.map(|t| t.naive_utc())),
            _ => get(self, idx),
        }
    }

    fn get_date(&self, idx: usize) -> Result<Option<NaiveDate>> {
        get(self, idx)
    }

    fn get_time(&self, idx: usize) -> Result<Option<NaiveTime>> {
        get(self, idx)
    }

    fn get_uuid(&self, idx: usize) -> Result<Option<uuid::Uuid>> {
        get(self, idx)
    }

    fn get_decimal(&self, idx: usize) -> Result<Option<rust_decimal::Decimal>> {
        get(self, idx)
    }

    fn get_json(&self, idx: usize) -> Result<Option<serde_json::Value>> {
        get(self, idx)
    }
}
