//! Values checked against what their column can hold, before any SQL is
//! sent: a value that the database would change (NaN stored as NULL, a
//! date outside `DATETIME`, a string cut or refused at its length) is an
//! [`Error::Validation`] naming the field instead.
//!
//! What each dialect can hold is data ([`ValueLimits`](crate::dialect::ValueLimits), one per dialect in
//! `dialect/`); this module only compares values with it.

use crate::dialect::ValueLimits;
use crate::error::{Error, FieldErrors, Result};
use crate::meta::{ColumnMeta, ModelMeta};
use crate::value::{SqlType, Value};
use chrono::{Datelike, Timelike};

/// Why `v` cannot be stored in a column of type `ty`, or `None`.
pub(crate) fn refusal(limits: &ValueLimits, ty: SqlType, v: &Value) -> Option<String> {
    match v {
        Value::F32(f) if !f.is_finite() => float_refusal(limits, f.is_nan()),
        Value::F64(f) if !f.is_finite() => float_refusal(limits, f.is_nan()),
        Value::String(_) | Value::Bytes(_) if too_long(limits, v) => too_long_refusal(limits),
        Value::String(s) => text_refusal(limits, ty, s),
        Value::Str(s) => text_refusal(limits, ty, s),
        Value::DateTimeUtc(t) => timestamp_refusal(limits, t.naive_utc()),
        Value::DateTime(t) => timestamp_refusal(limits, *t),
        Value::Date(d) => year_refusal(limits.date_years, d.year(), "date"),
        Value::Time(t) if t.nanosecond() >= 1_000_000_000 => Some(LEAP_SECOND.into()),
        Value::Decimal(d) => decimal_refusal(limits, d),
        Value::Json(j) if !limits.nul_in_text && json_has_nul(j) => {
            Some("contains a NUL character (\\u0000), which this database cannot store in JSON".into())
        }
        _ => None,
    }
}

fn too_long(limits: &ValueLimits, v: &Value) -> bool {
    let len = match v {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        _ => 0,
    };
    limits.max_value_bytes.is_some_and(|max| len > max)
}

fn too_long_refusal(limits: &ValueLimits) -> Option<String> {
    limits
        .max_value_bytes
        .map(|max| format!("is longer than the {max} bytes one value holds in this database"))
}

const LEAP_SECOND: &str = "is a leap second, which no supported database stores";

fn float_refusal(limits: &ValueLimits, nan: bool) -> Option<String> {
    let stored = if nan { limits.nan } else { limits.non_finite_floats };
    (!stored).then(|| {
        let what = if nan { "NaN" } else { "an infinity" };
        format!("is {what}, which this database cannot store")
    })
}

fn text_refusal(limits: &ValueLimits, ty: SqlType, s: &str) -> Option<String> {
    if !limits.nul_in_text && s.contains('\0') {
        return Some("contains a NUL character, which this database cannot store in text".into());
    }
    // More characters than bytes is impossible: most strings need no walk.
    if let SqlType::Varchar(n) = ty
        && s.len() > n as usize
        && s.chars().nth(n as usize).is_some()
    {
        return Some(format!("must be at most {n} characters (the column is VARCHAR({n}))"));
    }
    None
}

fn timestamp_refusal(limits: &ValueLimits, t: chrono::NaiveDateTime) -> Option<String> {
    if t.nanosecond() >= 1_000_000_000 {
        return Some(LEAP_SECOND.into());
    }
    year_refusal(limits.timestamp_years, t.year(), "timestamp")
}

fn year_refusal((lo, hi): (i32, i32), year: i32, what: &str) -> Option<String> {
    (year < lo || year > hi)
        .then(|| format!("year {year} is outside the years a {what} column holds here ({lo} to {hi})"))
}

fn decimal_refusal(limits: &ValueLimits, d: &rust_decimal::Decimal) -> Option<String> {
    let d = d.normalize();
    if let Some(scale) = limits.decimal_scale
        && d.scale() > scale
    {
        return Some(format!(
            "has {} digits after the point; the column keeps {scale}",
            d.scale()
        ));
    }
    if let Some(max) = limits.decimal_integer_digits {
        let int_digits = d.trunc().abs().to_string().trim_start_matches('0').len() as u32;
        if int_digits > max {
            return Some(format!(
                "has {int_digits} digits before the point; the column keeps {max}"
            ));
        }
    }
    None
}

fn json_has_nul(j: &serde_json::Value) -> bool {
    match j {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(json_has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

/// Check the values of a row about to be written, `values[i]` for
/// `columns[i]`; every refused field is reported together.
pub(crate) fn check_row<'a>(
    limits: &ValueLimits,
    meta: &ModelMeta,
    row: Option<usize>,
    values: impl IntoIterator<Item = (&'a ColumnMeta, &'a Value)>,
) -> Result<()> {
    let mut fields = FieldErrors::new();
    for (col, v) in values {
        if let Some(why) = refusal(limits, col.sql_type, v) {
            fields.entry(col.field.to_owned()).or_default().push(why);
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation {
            model: meta.name,
            row,
            fields,
        })
    }
}

/// Check a whole row in column order (`values` as `Model::__values` gives them).
pub(crate) fn check_values(limits: &ValueLimits, meta: &ModelMeta, row: Option<usize>, values: &[Value]) -> Result<()> {
    check_row(limits, meta, row, meta.columns.iter().zip(values))
}

/// Check named assignments (a patch): unknown names are left to the database.
pub(crate) fn check_named(limits: &ValueLimits, meta: &ModelMeta, values: &[(&'static str, Value)]) -> Result<()> {
    check_row(
        limits,
        meta,
        None,
        values.iter().filter_map(|(name, v)| meta.column(name).map(|c| (c, v))),
    )
}

/// Bytes a value takes in a statement sent to the server (an estimate
/// that errs high: the value's own bytes plus a header).
pub(crate) fn value_bytes(v: &Value) -> usize {
    const HEADER: usize = 9;
    HEADER
        + match v {
            Value::String(s) => s.len(),
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Json(j) => json_len(j),
            Value::Array(a) => a.iter().map(value_bytes).sum(),
            _ => 16,
        }
}

/// The length of a JSON document's text, counted without building it.
fn json_len(j: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, j);
    c.0
}

/// Bytes a statement of this text and parameters takes.
pub(crate) fn statement_bytes(sql: &str, params: &[Value]) -> usize {
    sql.len() + params.iter().map(value_bytes).sum::<usize>()
}

/// Room kept for the statement's text and the protocol around one row.
pub(crate) const PACKET_MARGIN: usize = 64 * 1024;

/// A row too large for any statement the server takes
/// (`max_allowed_packet`): refused naming its largest field.
pub(crate) fn check_row_size(max: Option<usize>, meta: &ModelMeta, row: Option<usize>, values: &[Value]) -> Result<()> {
    let Some(max) = max else { return Ok(()) };
    let total: usize = values.iter().map(value_bytes).sum();
    if total + PACKET_MARGIN <= max {
        return Ok(());
    }
    let (col, v) = meta
        .columns
        .iter()
        .zip(values)
        .max_by_key(|(_, v)| value_bytes(v))
        .expect("a row has columns");
    let mut fields = FieldErrors::new();
    fields.insert(
        col.field.to_owned(),
        vec![format!(
            "is {} bytes; its row ({total} bytes) exceeds what the server accepts in one statement (max_allowed_packet = {max} bytes)",
            value_bytes(v) - 9
        )],
    );
    Err(Error::Validation {
        model: meta.name,
        row,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: ValueLimits = ValueLimits {
        non_finite_floats: false,
        nan: false,
        nul_in_text: false,
        timestamp_years: (1000, 9999),
        date_years: (1000, 9999),
        decimal_scale: Some(10),
        decimal_integer_digits: Some(28),
        max_value_bytes: Some(8),
    };

    #[test]
    fn refuses_what_the_limits_exclude() {
        assert!(refusal(&STRICT, SqlType::Bytes, &Value::Bytes(vec![0; 9])).is_some());
        assert!(refusal(&STRICT, SqlType::Bytes, &Value::Bytes(vec![0; 8])).is_none());
        assert!(refusal(&STRICT, SqlType::Text, &Value::String("123456789".into())).is_some());
        assert!(refusal(&STRICT, SqlType::Double, &Value::F64(f64::NAN)).is_some());
        assert!(refusal(&STRICT, SqlType::Double, &Value::F64(-0.0)).is_none());
        assert!(refusal(&STRICT, SqlType::Varchar(3), &Value::String("abcd".into())).is_some());
        assert!(refusal(&STRICT, SqlType::Varchar(3), &Value::String("åäö".into())).is_none());
        assert!(refusal(&STRICT, SqlType::Text, &Value::String("a\0b".into())).is_some());
        let d = chrono::NaiveDate::from_ymd_opt(999, 12, 31).unwrap();
        assert!(refusal(&STRICT, SqlType::Date, &Value::Date(d)).is_some());
        let dec: rust_decimal::Decimal = "1.12345678901".parse().unwrap();
        assert!(refusal(&STRICT, SqlType::Decimal, &Value::Decimal(dec)).is_some());
        let dec: rust_decimal::Decimal = "1.1234567890000".parse().unwrap();
        assert!(refusal(&STRICT, SqlType::Decimal, &Value::Decimal(dec)).is_none());
    }
}
