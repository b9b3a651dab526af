//! How values travel to and from MySQL/MariaDB on mysql_async's binary
//! protocol: a [`Value`] as the wire value it is sent as (UTC times as
//! DATETIME, UUIDs, decimals and JSON as text), and typed reads of a result
//! row (unsigned and DECIMAL integers, narrowed floats, DATE/TIME parts).

use crate::error::{Error, Result};
use crate::row::RowAccess;
use crate::value::Value;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use mysql_async::Row;
use mysql_async::Value as Wire;
use rust_decimal::Decimal;

/// The statement's parameters as mysql_async takes them.
pub(super) fn params(values: Vec<Value>) -> Result<mysql_async::Params> {
    if values.is_empty() {
        return Ok(mysql_async::Params::Empty);
    }
    values
        .into_iter()
        .map(wire)
        .collect::<Result<Vec<_>>>()
        .map(mysql_async::Params::Positional)
}

/// The largest packet a statement sends the server, in bytes: its text
/// (COM_STMT_PREPARE, or COM_QUERY) or its bound values (COM_STMT_EXECUTE,
/// long data included). An estimate that errs high: type bytes, the NULL
/// bitmap and length prefixes are counted at their widest.
pub(super) fn largest_packet(sql: &str, params: &mysql_async::Params) -> usize {
    let values = match params {
        mysql_async::Params::Positional(values) => values.as_slice(),
        _ => &[],
    };
    let execute = values.iter().fold(11 + values.len().div_ceil(8), |n, v| {
        n + 2
            + match v {
                Wire::NULL => 0,
                Wire::Bytes(b) => b.len() + 9,
                Wire::Int(_) | Wire::UInt(_) | Wire::Double(_) => 8,
                Wire::Float(_) => 4,
                Wire::Date(..) | Wire::Time(..) => 13,
            }
    });
    execute.max(sql.len() + 1)
}

fn wire(v: Value) -> Result<Wire> {
    Ok(match v {
        Value::Null(_) => Wire::NULL,
        Value::Bool(b) => Wire::Int(i64::from(b)),
        Value::I16(n) => Wire::Int(i64::from(n)),
        Value::I32(n) => Wire::Int(i64::from(n)),
        Value::I64(n) => Wire::Int(n),
        Value::F32(n) => Wire::Float(n),
        Value::F64(n) => Wire::Double(n),
        Value::String(s) => Wire::Bytes(s.into_bytes()),
        Value::Str(s) => Wire::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => Wire::Bytes(b),
        // A UTC time travels as a DATETIME: a TIMESTAMP parameter is NULL
        // outside 1970-2038 on the server.
        Value::DateTimeUtc(t) => datetime(t.naive_utc())?,
        Value::DateTime(t) => datetime(t)?,
        Value::Date(d) => date(d)?,
        Value::Time(t) => Wire::Time(
            false,
            0,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            t.nanosecond() / 1000 % 1_000_000,
        ),
        Value::Uuid(u) => Wire::Bytes(u.hyphenated().to_string().into_bytes()),
        Value::Decimal(d) => Wire::Bytes(d.to_string().into_bytes()),
        Value::Json(j) => Wire::Bytes(j.to_string().into_bytes()),
        Value::Array(_) => {
            return Err(Error::InvalidQuery {
                message: "could not bind a parameter: array parameters are PostgreSQL-only".into(),
            });
        }
    })
}

fn year(y: i32) -> Result<u16> {
    u16::try_from(y)
        .ok()
        .filter(|y| *y <= 9999)
        .ok_or_else(|| Error::InvalidQuery {
            message: format!("could not bind a parameter: year {y} is outside MySQL's 0-9999"),
        })
}

fn date(d: NaiveDate) -> Result<Wire> {
    Ok(Wire::Date(year(d.year())?, d.month() as u8, d.day() as u8, 0, 0, 0, 0))
}

fn datetime(t: NaiveDateTime) -> Result<Wire> {
    Ok(Wire::Date(
        year(t.year())?,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        t.nanosecond() / 1000 % 1_000_000,
    ))
}

/// A column that could not be read as the field's type.
#[cold]
fn mismatch(idx: usize, what: &str, got: &Wire) -> Error {
    let got = match got {
        Wire::NULL => "NULL",
        Wire::Bytes(_) => "text or bytes",
        Wire::Int(_) => "an integer",
        Wire::UInt(_) => "an unsigned integer",
        Wire::Float(_) => "a FLOAT",
        Wire::Double(_) => "a DOUBLE",
        Wire::Date(..) => "a date or time stamp",
        Wire::Time(..) => "a TIME",
    };
    Error::Decode {
        message: format!("error decoding column {idx}: {got} cannot be read as {what}"),
    }
}

#[cold]
fn out_of_range() -> Error {
    Error::OutOfRange {
        table: String::new(),
        column: String::new(),
    }
}

/// The column's value, `None` for NULL.
#[inline]
fn cell(row: &Row, idx: usize) -> Result<Option<&Wire>> {
    match row.as_ref(idx) {
        Some(Wire::NULL) => Ok(None),
        Some(v) => Ok(Some(v)),
        None => Err(Error::Decode {
            message: format!("error decoding column {idx}: no such column"),
        }),
    }
}

fn text(idx: usize, b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|e| Error::Decode {
        message: format!("error decoding column {idx}: {e}"),
    })
}

/// Whether column `idx` is a DECIMAL (a text column is not, whatever it holds).
fn is_decimal(row: &Row, idx: usize) -> bool {
    use mysql_async::consts::ColumnType;
    row.columns_ref().get(idx).is_some_and(|c| {
        matches!(
            c.column_type(),
            ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL
        )
    })
}

/// An integer that must fit `T` (a wider one is a decode error).
fn int<T: TryFrom<i64>>(row: &Row, idx: usize, what: &str) -> Result<Option<T>> {
    let Some(v) = cell(row, idx)? else { return Ok(None) };
    let n = match *v {
        Wire::Int(n) => n,
        Wire::UInt(u) => i64::try_from(u).map_err(|_| out_of_range())?,
        ref other => return Err(mismatch(idx, what, other)),
    };
    T::try_from(n).map(Some).map_err(|_| Error::Decode {
        message: format!("error decoding column {idx}: {n} does not fit {what}"),
    })
}

fn naive(idx: usize, v: &Wire, what: &str) -> Result<NaiveDateTime> {
    match *v {
        Wire::Date(y, mo, d, h, mi, s, us) => NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
            .and_then(|date| date.and_hms_micro_opt(u32::from(h), u32::from(mi), u32::from(s), us))
            .ok_or_else(|| Error::Decode {
                message: format!("error decoding column {idx}: {y:04}-{mo:02}-{d:02} is not a valid date"),
            }),
        Wire::Bytes(ref b) => {
            let s = text(idx, b)?;
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
                .map_err(|e| Error::Decode {
                    message: format!("error decoding column {idx}: {s:?} as {what}: {e}"),
                })
        }
        ref other => Err(mismatch(idx, what, other)),
    }
}

impl RowAccess for Row {
    fn is_null(&self, idx: usize) -> Result<bool> {
        Ok(cell(self, idx)?.is_none())
    }

    fn get_i16(&self, idx: usize) -> Result<Option<i16>> {
        int(self, idx, "a SMALLINT")
    }

    fn get_i32(&self, idx: usize) -> Result<Option<i32>> {
        int(self, idx, "an INT")
    }

    /// Unsigned columns that fit, and integer SUMs (a DECIMAL on MySQL:
    /// exact, or out of range).
    fn get_i64(&self, idx: usize) -> Result<Option<i64>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match v {
            Wire::Int(n) => Ok(Some(*n)),
            Wire::UInt(u) => i64::try_from(*u).map(Some).map_err(|_| out_of_range()),
            // A DECIMAL (an integer SUM); a text column is not an integer,
            // as on the other databases.
            Wire::Bytes(b) if is_decimal(self, idx) => {
                let s = text(idx, b)?;
                if let Ok(n) = s.parse::<i64>() {
                    return Ok(Some(n));
                }
                match s.parse::<Decimal>() {
                    Ok(d) if d.fract().is_zero() => {
                        use rust_decimal::prelude::ToPrimitive;
                        d.to_i64().map(Some).ok_or_else(out_of_range)
                    }
                    _ if s.bytes().all(|c| c.is_ascii_digit() || c == b'-') && !s.is_empty() => Err(out_of_range()),
                    _ => Err(mismatch(idx, "a BIGINT", v)),
                }
            }
            other => Err(mismatch(idx, "a BIGINT", other)),
        }
    }

    /// A DOUBLE read for an f32 field: a finite value past f32's range is
    /// OutOfRange, not infinity.
    fn get_f32(&self, idx: usize) -> Result<Option<f32>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match *v {
            Wire::Float(f) => Ok(Some(f)),
            #[allow(clippy::cast_possible_truncation)]
            Wire::Double(d) => {
                let narrow = d as f32;
                if d.is_finite() && narrow.is_infinite() {
                    return Err(out_of_range());
                }
                Ok(Some(narrow))
            }
            ref other => Err(mismatch(idx, "a FLOAT", other)),
        }
    }

    fn get_f64(&self, idx: usize) -> Result<Option<f64>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match *v {
            Wire::Double(d) => Ok(Some(d)),
            Wire::Float(f) => Ok(Some(f64::from(f))),
            ref other => Err(mismatch(idx, "a DOUBLE", other)),
        }
    }

    fn get_bool(&self, idx: usize) -> Result<Option<bool>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match *v {
            Wire::Int(n) => Ok(Some(n != 0)),
            Wire::UInt(n) => Ok(Some(n != 0)),
            ref other => Err(mismatch(idx, "a BOOLEAN", other)),
        }
    }

    #[inline]
    fn get_string(&self, idx: usize) -> Result<Option<String>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match v {
            Wire::Bytes(b) => text(idx, b).map(|s| Some(s.to_owned())),
            other => Err(mismatch(idx, "text", other)),
        }
    }

    fn get_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match v {
            Wire::Bytes(b) => Ok(Some(b.clone())),
            other => Err(mismatch(idx, "bytes", other)),
        }
    }

    fn get_utc(&self, idx: usize) -> Result<Option<DateTime<Utc>>> {
        Ok(self.get_datetime(idx)?.map(|t| t.and_utc()))
    }

    fn get_datetime(&self, idx: usize) -> Result<Option<NaiveDateTime>> {
        cell(self, idx)?.map(|v| naive(idx, v, "a DATETIME")).transpose()
    }

    /// A DATE; a time stamp only at midnight (its time would be lost).
    fn get_date(&self, idx: usize) -> Result<Option<NaiveDate>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        let t = naive(idx, v, "a DATE")?;
        if t.time() != NaiveTime::MIN {
            return Err(Error::Decode {
                message: format!("error decoding column {idx}: {t} has a time of day, which a date would lose"),
            });
        }
        Ok(Some(t.date()))
    }

    fn get_time(&self, idx: usize) -> Result<Option<NaiveTime>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match *v {
            Wire::Time(false, 0, h, m, s, us) => {
                NaiveTime::from_hms_micro_opt(u32::from(h), u32::from(m), u32::from(s), us)
                    .map(Some)
                    .ok_or_else(out_of_range)
            }
            Wire::Time(..) => Err(out_of_range()),
            Wire::Bytes(ref b) => {
                let s = text(idx, b)?;
                NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                    .map(Some)
                    .map_err(|e| Error::Decode {
                        message: format!("error decoding column {idx}: {s:?} as a TIME: {e}"),
                    })
            }
            ref other => Err(mismatch(idx, "a TIME", other)),
        }
    }

    fn get_decimal(&self, idx: usize) -> Result<Option<Decimal>> {
        let Some(v) = cell(self, idx)? else { return Ok(None) };
        match *v {
            Wire::Bytes(ref b) if is_decimal(self, idx) => {
                let s = text(idx, b)?;
                // Digits past a Decimal's 28 round away as in Decimal's own
                // arithmetic (a SUM's); an integer part too long is an error.
                s.parse::<Decimal>().map(Some).map_err(|e| Error::Decode {
                    message: format!("error decoding column {idx}: {s:?} as a decimal: {e}"),
                })
            }
            Wire::Int(n) => Ok(Some(Decimal::from(n))),
            Wire::UInt(n) => Ok(Some(Decimal::from(n))),
            ref other => Err(mismatch(idx, "a DECIMAL", other)),
        }
    }
}
