//! SQLite values in and out, for the rusqlite driver (`sqlite.rs`): how a
//! [`Value`] is bound, how a cell decodes (the storage classes and text
//! forms sqlx read and wrote, so existing databases read the same), and
//! what an error says.

use super::dialect::date_text as sqlite_date_text;
use crate::error::{DbError, Error, Result, ViolationKind};
use crate::row::RowAccess;
use crate::value::Value;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};

/// One bound parameter: borrowed where the value already holds the bytes.
pub(super) fn to_sql(v: &Value) -> Result<ToSqlOutput<'_>> {
    use rusqlite::types::Value as Owned;
    Ok(match v {
        Value::Null(_) => ToSqlOutput::Owned(Owned::Null),
        Value::Bool(b) => ToSqlOutput::Owned(Owned::Integer(i64::from(*b))),
        Value::I16(n) => ToSqlOutput::Owned(Owned::Integer(i64::from(*n))),
        Value::I32(n) => ToSqlOutput::Owned(Owned::Integer(i64::from(*n))),
        Value::I64(n) => ToSqlOutput::Owned(Owned::Integer(*n)),
        Value::F32(n) => ToSqlOutput::Owned(Owned::Real(f64::from(*n))),
        Value::F64(n) => ToSqlOutput::Owned(Owned::Real(*n)),
        Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Value::Str(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        Value::DateTimeUtc(_) | Value::DateTime(_) | Value::Date(_) | Value::Time(_) => {
            ToSqlOutput::Owned(Owned::Text(sqlite_date_text(v).unwrap_or_default()))
        }
        Value::Uuid(u) => ToSqlOutput::Owned(Owned::Text(u.hyphenated().to_string())),
        Value::Decimal(d) => ToSqlOutput::Owned(Owned::Text(d.to_string())),
        Value::Json(j) => ToSqlOutput::Owned(Owned::Text(j.to_string())),
        Value::Array(_) => {
            return Err(Error::InvalidQuery {
                message: "could not bind a parameter: array parameters are PostgreSQL-only".into(),
            });
        }
    })
}

/// A rusqlite error as the crate's: SQLite's refusals through the
/// dialect's classification of their extended code and message.
pub(super) fn error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            let kind = match f.extended_code {
                2067 | 1555 => Some(ViolationKind::Unique),
                787 => Some(ViolationKind::ForeignKey),
                1299 => Some(ViolationKind::NotNull),
                275 => Some(ViolationKind::Check),
                _ => None,
            };
            let e = DbError {
                code: Some(f.extended_code.to_string()),
                message: message.unwrap_or_else(|| f.to_string()),
                kind,
                ..DbError::default()
            };
            crate::dialect::classify(&super::dialect::Sqlite, e)
        }
        other => Error::Database {
            code: None,
            message: other.to_string(),
        },
    }
}

/// SQLite could not take a lock at once (SQLITE_BUSY and its recovery
/// variant, or SQLITE_LOCKED) and did nothing: the statement may be tried
/// again. Not BUSY_SNAPSHOT: a stale WAL read transaction never succeeds.
pub(super) fn busy(e: &rusqlite::Error) -> bool {
    const BUSY_SNAPSHOT: i32 = 517;
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            && f.extended_code != BUSY_SNAPSHOT)
}

/// Cells of one row by index: a live rusqlite row or an owned copy.
pub(super) trait Cells {
    fn cell(&self, idx: usize) -> Result<ValueRef<'_>>;
}

/// A row borrowed from a running statement (decoded where it is read).
pub(super) struct LiveRow<'a, 'stmt>(pub &'a rusqlite::Row<'stmt>);

impl Cells for LiveRow<'_, '_> {
    fn cell(&self, idx: usize) -> Result<ValueRef<'_>> {
        self.0
            .get_ref(idx)
            .map_err(|e| Error::Decode { message: e.to_string() })
    }
}

/// A row copied out of the statement (streams, and reads on a blocking thread).
pub(super) struct OwnedCells(pub Vec<rusqlite::types::Value>);

impl Cells for OwnedCells {
    fn cell(&self, idx: usize) -> Result<ValueRef<'_>> {
        self.0.get(idx).map(ValueRef::from).ok_or_else(|| Error::Decode {
            message: format!("no column {idx}"),
        })
    }
}

/// Copy the current row's cells.
pub(super) fn owned(row: &rusqlite::Row<'_>) -> Result<OwnedCells> {
    let n = row.as_ref().column_count();
    (0..n)
        .map(|i| row.get::<_, rusqlite::types::Value>(i).map_err(error))
        .collect::<Result<Vec<_>>>()
        .map(OwnedCells)
}

fn mismatch(idx: usize, want: &str, got: &ValueRef<'_>) -> Error {
    let found = match got {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "INTEGER",
        ValueRef::Real(_) => "REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "BLOB",
    };
    Error::Decode {
        message: format!("column {idx}: mismatched types; expected {want}, found {found}"),
    }
}

fn text<'a>(idx: usize, v: &ValueRef<'a>, want: &str) -> Result<&'a str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| Error::Decode {
            message: format!("column {idx}: {e}"),
        }),
        other => Err(mismatch(idx, want, other)),
    }
}

fn integer(idx: usize, v: &ValueRef<'_>) -> Result<i64> {
    match v {
        ValueRef::Integer(n) => Ok(*n),
        other => Err(mismatch(idx, "INTEGER", other)),
    }
}

fn narrow<T: TryFrom<i64>>(idx: usize, n: i64) -> Result<T> {
    T::try_from(n).map_err(|_| Error::Decode {
        message: format!("column {idx}: {n} is out of range for the field's integer type"),
    })
}

/// The date-time forms SQLite's functions and sqlx write (sqlx's list).
pub(super) fn datetime(idx: usize, v: &ValueRef<'_>) -> Result<DateTime<FixedOffset>> {
    let found = match v {
        ValueRef::Text(_) => {
            let s = text(idx, v, "TEXT")?;
            DateTime::parse_from_rfc3339(s).ok().or_else(|| {
                const FORMATS: [&str; 12] = [
                    "%F %T%.f",
                    "%F %R",
                    "%F %RZ",
                    "%F %R%:z",
                    "%F %T%.fZ",
                    "%F %T%.f%:z",
                    "%FT%R",
                    "%FT%RZ",
                    "%FT%R%:z",
                    "%FT%T%.f",
                    "%FT%T%.fZ",
                    "%FT%T%.f%:z",
                ];
                FORMATS.iter().find_map(|f| {
                    DateTime::parse_from_str(s, f).ok().or_else(|| {
                        NaiveDateTime::parse_from_str(s, f)
                            .ok()
                            .map(|n| Utc.fix().from_utc_datetime(&n))
                    })
                })
            })
        }
        ValueRef::Integer(n) => Utc.fix().timestamp_opt(*n, 0).single(),
        ValueRef::Real(julian) => {
            // SQLite keeps julian days to the millisecond (its own
            // `julianday()`), and before 1970 the offset is negative:
            // round to the nearest millisecond, counting down for those.
            let millis = ((julian - 2_440_587.5) * 86_400_000.0).round();
            (millis.is_finite() && millis.abs() < 9.0e15)
                .then(|| Utc.fix().timestamp_millis_opt(millis as i64).single())
                .flatten()
        }
        other => return Err(mismatch(idx, "TEXT", other)),
    };
    found.ok_or_else(|| Error::Decode {
        message: format!("column {idx}: invalid datetime"),
    })
}

impl<C: Cells> RowAccess for C {
    fn is_null(&self, idx: usize) -> Result<bool> {
        Ok(matches!(self.cell(idx)?, ValueRef::Null))
    }

    fn get_i16(&self, idx: usize) -> Result<Option<i16>> {
        self.get_i64(idx)?.map(|n| narrow(idx, n)).transpose()
    }

    fn get_i32(&self, idx: usize) -> Result<Option<i32>> {
        self.get_i64(idx)?.map(|n| narrow(idx, n)).transpose()
    }

    fn get_i64(&self, idx: usize) -> Result<Option<i64>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => integer(idx, &v).map(Some),
        }
    }

    fn get_f32(&self, idx: usize) -> Result<Option<f32>> {
        match self.get_f64(idx)? {
            // A finite REAL beyond f32 would read as infinity.
            Some(f) if f.is_finite() && (f as f32).is_infinite() => Err(Error::OutOfRange {
                table: String::new(),
                column: String::new(),
            }),
            other => Ok(other.map(|f| f as f32)),
        }
    }

    fn get_decimal(&self, idx: usize) -> Result<Option<rust_decimal::Decimal>> {
        // A NUMERIC column of another program's holds numbers, not text: an
        // integer exactly, a REAL as its shortest decimal text.
        let s = match self.cell(idx)? {
            ValueRef::Null => return Ok(None),
            ValueRef::Integer(n) => return Ok(Some(rust_decimal::Decimal::from(n))),
            ValueRef::Real(f) => f.to_string(),
            v => text(idx, &v, "TEXT")?.to_owned(),
        };
        rust_decimal::Decimal::from_str_exact(s.trim())
            .map(Some)
            .map_err(|e| Error::Decode {
                message: format!("column {idx}: {s:?} is not a decimal a Decimal holds exactly: {e}"),
            })
    }

    fn get_f64(&self, idx: usize) -> Result<Option<f64>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            ValueRef::Real(f) => Ok(Some(f)),
            ValueRef::Integer(n) => Ok(Some(n as f64)),
            other => Err(mismatch(idx, "REAL", &other)),
        }
    }

    fn get_bool(&self, idx: usize) -> Result<Option<bool>> {
        Ok(self.get_i64(idx)?.map(|n| n != 0))
    }

    fn get_string(&self, idx: usize) -> Result<Option<String>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => text(idx, &v, "TEXT").map(|s| Some(s.to_owned())),
        }
    }

    fn get_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Some(b.to_vec())),
            other => Err(mismatch(idx, "BLOB", &other)),
        }
    }

    fn get_utc(&self, idx: usize) -> Result<Option<DateTime<Utc>>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => datetime(idx, &v).map(|t| Some(Utc.from_utc_datetime(&t.naive_utc()))),
        }
    }

    fn get_datetime(&self, idx: usize) -> Result<Option<NaiveDateTime>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => datetime(idx, &v).map(|t| Some(t.naive_local())),
        }
    }

    fn get_date(&self, idx: usize) -> Result<Option<NaiveDate>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => {
                let s = text(idx, &v, "TEXT")?;
                NaiveDate::parse_from_str(s, "%F").map(Some).map_err(|e| Error::Decode {
                    message: format!("column {idx}: {e}"),
                })
            }
        }
    }

    fn get_time(&self, idx: usize) -> Result<Option<NaiveTime>> {
        match self.cell(idx)? {
            ValueRef::Null => Ok(None),
            v => {
                let s = text(idx, &v, "TEXT")?;
                ["%T%.f", "%R", "%RZ", "%T%.fZ", "%R%:z", "%T%.f%:z"]
                    .iter()
                    .find_map(|f| NaiveTime::parse_from_str(s, f).ok())
                    .map(Some)
                    .ok_or_else(|| Error::Decode {
                        message: format!("column {idx}: invalid time: {s}"),
                    })
            }
        }
    }
}
