//! Rows as they come back from any driver.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A borrowed result row of whichever database the pool talks to.
///
/// Generated `from_row` code reads columns from it by index through
/// [`FieldType::decode`](crate::FieldType::decode), and so does a
/// hand-written [`FromRow`](crate::FromRow) (see the example there).
#[derive(Clone, Copy)]
pub struct RowRef<'r>(&'r dyn RowAccess);

impl<'r> RowRef<'r> {
    pub(crate) fn new(row: &'r dyn RowAccess) -> Self {
        RowRef(row)
    }

    /// The driver's typed reads of this row.
    pub(crate) fn access(&self) -> &'r dyn RowAccess {
        self.0
    }

    /// True when the column at `idx` is SQL NULL.
    pub fn is_null(&self, idx: usize) -> crate::error::Result<bool> {
        self.0.is_null(idx)
    }
}

impl std::fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowRef").finish_non_exhaustive()
    }
}

/// Typed reads of one result row by column index. Each getter returns
/// `None` for SQL NULL and [`Error::Decode`] for a column that does not hold
/// the type. The defaults read types a database stores as text.
pub(crate) trait RowAccess {
    fn is_null(&self, idx: usize) -> Result<bool>;
    fn get_i16(&self, idx: usize) -> Result<Option<i16>>;
    fn get_i32(&self, idx: usize) -> Result<Option<i32>>;
    /// Also narrower integers (and MySQL's unsigned ones that fit), which
    /// raw SQL and aggregates return.
    fn get_i64(&self, idx: usize) -> Result<Option<i64>>;
    fn get_f32(&self, idx: usize) -> Result<Option<f32>>;
    fn get_f64(&self, idx: usize) -> Result<Option<f64>>;
    fn get_bool(&self, idx: usize) -> Result<Option<bool>>;
    fn get_string(&self, idx: usize) -> Result<Option<String>>;
    fn get_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>>;
    fn get_utc(&self, idx: usize) -> Result<Option<DateTime<Utc>>>;
    fn get_datetime(&self, idx: usize) -> Result<Option<NaiveDateTime>>;
    fn get_date(&self, idx: usize) -> Result<Option<NaiveDate>>;
    fn get_time(&self, idx: usize) -> Result<Option<NaiveTime>>;
    fn get_uuid(&self, idx: usize) -> Result<Option<Uuid>> {
        parse_text(self, idx, "a UUID")
    }
    fn get_decimal(&self, idx: usize) -> Result<Option<Decimal>> {
        parse_text(self, idx, "a decimal")
    }
    fn get_json(&self, idx: usize) -> Result<Option<serde_json::Value>> {
        parse_text(self, idx, "JSON")
    }
}

/// A decode error of column `idx` of a model's row, said again with the
/// model, field and `table.column`; a value out of the field's range is
/// [`Error::OutOfRange`] naming them. Other errors pass unchanged.
#[cold]
pub(crate) fn in_column(e: Error, meta: &crate::meta::ModelMeta, idx: usize) -> Error {
    let Some(col) = meta.columns.get(idx) else {
        return e;
    };
    match e {
        Error::Decode { message } => {
            // The drivers say `[... decoding] column N: why` by position;
            // the name replaces the position.
            let why = message
                .match_indices("column ")
                .find_map(|(at, _)| {
                    let rest = &message[at + "column ".len()..];
                    let (n, why) = rest.split_once(": ")?;
                    (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then_some(why)
                })
                .unwrap_or(message.as_str());
            Error::Decode {
                message: format!("{}.{} ({}::{}): {why}", meta.table, col.name, meta.name, col.field),
            }
        }
        Error::OutOfRange { table, .. } if table.is_empty() => Error::OutOfRange {
            table: meta.table.to_owned(),
            column: col.name.to_owned(),
        },
        other => other,
    }
}

/// Parse a column stored as text where the database has no native type.
fn parse_text<R: RowAccess + ?Sized, T: std::str::FromStr>(row: &R, idx: usize, what: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let Some(s) = row.get_string(idx)? else {
        return Ok(None);
    };
    s.parse().map(Some).map_err(|e| Error::Decode {
        message: format!("column {idx} as {what}: {e}"),
    })
}
