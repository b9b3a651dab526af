//! What SQLite lacks to compute as Rust does, registered on every
//! connection the pool opens: decimals (stored as text) compared and added
//! as numbers, and integer sums that only fail when the total leaves `i64`.
//!
//! - collation `orm_decimal`: two decimal texts by value (`1.50 = 1.5`,
//!   `9.00 < 10.00`); text that is no decimal orders after every decimal,
//!   by its bytes;
//! - `orm_decimal_sum(x)`: the exact sum as decimal text (NULL over no
//!   rows; "decimal overflow" past `Decimal`'s 28 digits);
//! - `orm_integer_sum(x)`: the sum in 128 bits, "integer overflow" (read as
//!   `Error::OutOfRange`) when the total leaves `i64` — SQLite's own SUM
//!   fails as soon as a partial sum does;
//! - `orm_f32(x)`: a number rounded to f32 and back, and
//!   `orm_time_of_day(t)`: a stored time's microseconds since UTC midnight,
//!   parsed as the driver reads it (for migration guards, `schema/lossy.rs`).

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error as SqliteError};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::str::FromStr;

/// Register the collation and functions on `conn`.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation("orm_decimal", compare_decimal_text)?;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_aggregate_function("orm_decimal_sum", 1, flags, DecimalSum)?;
    conn.create_aggregate_function("orm_integer_sum", 1, flags, IntegerSum)?;
    conn.create_scalar_function("orm_f32", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Real(f) => Some(f64::from(f as f32)),
            ValueRef::Integer(n) => Some(f64::from(n as f32)),
            _ => None,
        })
    })?;
    conn.create_scalar_function("orm_time_of_day", 1, flags, |ctx| {
        use chrono::Timelike;
        let raw = ctx.get_raw(0);
        if matches!(raw, ValueRef::Null) {
            return Ok(None);
        }
        let t = super::values::datetime(0, &raw).map_err(|e| user_error(&e.to_string()))?;
        let utc = t.naive_utc();
        Ok(Some(
            i64::from(utc.num_seconds_from_midnight()) * 1_000_000 + i64::from(utc.nanosecond() / 1_000),
        ))
    })?;
    Ok(())
}

fn parse(s: &str) -> Option<Decimal> {
    Decimal::from_str(s.trim())
        .ok()
        .or_else(|| Decimal::from_scientific(s.trim()).ok())
}

/// Decimals by value; anything else after them, by bytes.
pub(crate) fn compare_decimal_text(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.as_bytes().cmp(b.as_bytes()),
    }
}

fn user_error(message: &str) -> SqliteError {
    SqliteError::UserFunctionError(message.into())
}

struct DecimalSum;

impl Aggregate<Option<Decimal>, Option<String>> for DecimalSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Option<Decimal>> {
        Ok(None)
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Option<Decimal>) -> rusqlite::Result<()> {
        let v = match ctx.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => Decimal::from(i),
            ValueRef::Real(f) => Decimal::try_from(f).map_err(|_| user_error("not a decimal"))?,
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(parse)
                .ok_or_else(|| user_error("not a decimal"))?,
            ValueRef::Blob(_) => return Err(user_error("not a decimal")),
        };
        let sum = acc.unwrap_or(Decimal::ZERO).checked_add(v);
        *acc = Some(sum.ok_or_else(|| user_error("decimal overflow"))?);
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Option<Decimal>>) -> rusqlite::Result<Option<String>> {
        Ok(acc.flatten().map(|d| d.to_string()))
    }
}

struct IntegerSum;

impl Aggregate<Option<i128>, Option<i64>> for IntegerSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Option<i128>> {
        Ok(None)
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Option<i128>) -> rusqlite::Result<()> {
        let v = match ctx.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => i128::from(i),
            // An integer column holds integers unless something else wrote it.
            _ => return Err(user_error("orm_integer_sum: a value in the column is not an integer")),
        };
        *acc = Some(acc.unwrap_or(0) + v);
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Option<i128>>) -> rusqlite::Result<Option<i64>> {
        match acc.flatten() {
            None => Ok(None),
            Some(sum) => i64::try_from(sum).map(Some).map_err(|_| user_error("integer overflow")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compare_decimal_text;
    use std::cmp::Ordering;

    #[test]
    fn decimals_compare_by_value() {
        assert_eq!(compare_decimal_text("1.50", "1.5"), Ordering::Equal);
        assert_eq!(compare_decimal_text("9.00", "10.00"), Ordering::Less);
        assert_eq!(compare_decimal_text("-0.0000000001", "0"), Ordering::Less);
        assert_eq!(compare_decimal_text("abc", "99999"), Ordering::Greater);
    }
}
