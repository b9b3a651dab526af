//! Column changes that may not keep every stored value (issue 25 §2):
//! each altered column is classified as lossless or not, and a change that
//! can lose or refuse values gets a guard — a query the migration runner
//! runs before the script changes anything, which fails the migration when
//! a stored value would not survive (or, for a new NOT NULL, is NULL).
//!
//! Lossless: the same type; a wider integer, float or varchar; anything to
//! text; an enum to a superset of its labels. Everything else may lose:
//! shorter text, narrower integers, f64 to f32, floats and decimals to
//! integers, times to dates, and any other conversion, whose guard then
//! refuses a column holding any value at all.
//!
//! A guard in a script is a comment line and a count query:
//!
//! ```sql
//! -- orm:guard lossy `users`.`name` VARCHAR(40) -> VARCHAR(10): a longer value would be cut
//! SELECT COUNT(*) FROM "users" WHERE char_length("name") > 10;
//! ```

use super::def::ColumnDef;
use super::diff::Changes;
use crate::dialect::SqlDialect;
use crate::value::SqlType;

/// The comment that opens a guard statement in a migration script.
pub const MIGRATION_GUARD: &str = "-- orm:guard ";

/// What a column change risks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Risk {
    /// Stored values may change or not convert.
    Lossy,
    /// The column becomes NOT NULL: a NULL row makes it fail.
    Nulls,
}

/// One guarded column change.
#[derive(Debug, Clone)]
pub(crate) struct Guarded {
    pub risk: Risk,
    pub table: String,
    /// The column's name before the script runs (renames come later).
    pub source: String,
    pub before: ColumnDef,
    pub after: ColumnDef,
}

impl Guarded {
    /// `table.column BEFORE -> AFTER: why`, in the dialect's type names.
    pub fn describe(&self, d: &dyn SqlDialect) -> String {
        let name = |t: SqlType| match t {
            SqlType::Enum(labels) => format!("ENUM({})", labels.join(", ")),
            other => d.column_type(other),
        };
        let (b, a) = (name(self.before.sql_type), name(self.after.sql_type));
        let what = match self.risk {
            Risk::Nulls => "NULL rows would refuse NOT NULL".to_owned(),
            Risk::Lossy => why(self.before.sql_type, self.after.sql_type),
        };
        format!("`{}`.`{}` {b} -> {a}: {what}", self.table, self.after.name)
    }

    /// The guard statement: its comment line and a count of the rows that
    /// would not survive.
    pub fn guard_sql(&self, d: &dyn SqlDialect) -> String {
        let kind = match self.risk {
            Risk::Lossy => "lossy",
            Risk::Nulls => "not-null",
        };
        let mut col = String::new();
        d.quote_ident(&self.source, &mut col);
        let mut table = String::new();
        d.quote_ident(&self.table, &mut table);
        let condition = match self.risk {
            Risk::Nulls => format!("{col} IS NULL"),
            Risk::Lossy => lost_when(d, &col, self.before.sql_type, self.after.sql_type),
        };
        format!(
            "{MIGRATION_GUARD}{kind} {}\nSELECT COUNT(*) FROM {table} WHERE {condition}",
            self.describe(d)
        )
    }
}

/// Every guarded change of `c`, in table order.
pub(crate) fn guarded(c: &Changes) -> Vec<Guarded> {
    let mut out = Vec::new();
    for t in &c.altered {
        for (before, after) in &t.altered {
            let source = t.source_of(&after.name).unwrap_or(&after.name).to_owned();
            let mut push = |risk| {
                out.push(Guarded {
                    risk,
                    table: t.old.name.clone(),
                    source: source.clone(),
                    before: before.clone(),
                    after: after.clone(),
                })
            };
            if !lossless(before.sql_type, after.sql_type) {
                push(Risk::Lossy);
            }
            if before.nullable && !after.nullable {
                push(Risk::Nulls);
            }
        }
    }
    out
}

/// Whether every value of `from` converts to `to` and reads back the same.
pub(crate) fn lossless(from: SqlType, to: SqlType) -> bool {
    use SqlType::*;
    let width = |t: SqlType| match t {
        SmallInt => Some(16),
        Int => Some(32),
        BigInt => Some(64),
        _ => None,
    };
    if from == to {
        return true;
    }
    match (from, to) {
        // Floats print differently per server (MariaDB writes an f32 with
        // six digits, SQLite a double with fifteen): guarded below.
        (_, Text) => !matches!(from, Bytes | Real | Double),
        (Varchar(a), Varchar(b)) => b >= a,
        (Enum(labels), Varchar(n)) => labels.iter().all(|l| l.chars().count() <= n as usize),
        (Enum(a), Enum(b)) => a.iter().all(|l| b.contains(l)),
        (SmallInt | Int | BigInt, SmallInt | Int | BigInt) => width(to) >= width(from),
        (SmallInt | Int, Double | Decimal) | (BigInt, Decimal) | (SmallInt, Real) | (Real, Double) => true,
        (Date, Timestamp | TimestampTz) | (Timestamp, TimestampTz) | (TimestampTz, Timestamp) => true,
        _ => false,
    }
}

/// Why a change may lose values, in a few words.
fn why(from: SqlType, to: SqlType) -> String {
    use SqlType::*;
    match (from, to) {
        (Varchar(_) | Text | Enum(_), Varchar(n)) => format!("a value longer than {n} characters would be cut"),
        (SmallInt | Int | BigInt, SmallInt | Int) => {
            "a value outside the narrower integer's range would not fit".into()
        }
        (Double, Real) => "a value f32 cannot hold exactly would be rounded".into(),
        (Real | Double | Decimal, SmallInt | Int | BigInt) => {
            "a fraction would be dropped, or a value would not fit".into()
        }
        (Timestamp | TimestampTz, Date) => "a time of day would be dropped".into(),
        (Real | Double, Text | Varchar(_)) => "a number whose text does not read back as itself would change".into(),
        (_, Enum(_)) => "a value outside the labels would be refused".into(),
        _ => "the conversion is not known to keep values: the column must hold none".into(),
    }
}

/// The SQL condition true for a row whose value would not survive.
fn lost_when(d: &dyn SqlDialect, col: &str, from: SqlType, to: SqlType) -> String {
    use SqlType::*;
    let range = |t: SqlType| match t {
        SmallInt => (i16::MIN as i64, i16::MAX as i64),
        Int => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    match (from, to) {
        (Varchar(_) | Text | Enum(_), Varchar(n)) => format!("{}{col}) > {n}", d.char_length_fn()),
        (SmallInt | Int | BigInt, SmallInt | Int) => {
            let (lo, hi) = range(to);
            format!("({col} < {lo} OR {col} > {hi})")
        }
        (Double, Real) => format!(
            "(CASE WHEN ABS({col}) > 3.4028234663852886e38 THEN 1 WHEN {} <> {col} THEN 1 ELSE 0 END) = 1",
            d.f32_image(col)
        ),
        (Real | Double | Decimal, SmallInt | Int | BigInt) => {
            let n = d.as_number(col, from);
            let outside = match to {
                // i64::MAX is no double: 2^63 is the first value past it.
                BigInt => format!("{n} < -9223372036854775808.0 OR {n} >= 9223372036854775808.0"),
                _ => {
                    let (lo, hi) = range(to);
                    format!("{n} < {lo} OR {n} > {hi}")
                }
            };
            format!(
                "(CASE WHEN {outside} THEN 1 WHEN {} THEN 1 ELSE 0 END) = 1",
                d.has_fraction(col, from)
            )
        }
        (Timestamp | TimestampTz, Date) => format!("NOT ({})", d.midnight(col)),
        (Varchar(_) | Text | Enum(_), Enum(labels)) => {
            let mut list = String::new();
            for (i, l) in labels.iter().enumerate() {
                if i > 0 {
                    list.push_str(", ");
                }
                d.string_literal(l, &mut list);
            }
            format!("{col} NOT IN ({list})")
        }
        (Real | Double, Text | Varchar(_)) => {
            let back = format!("CAST(CAST({col} AS {}) AS {})", d.text_cast(), d.column_type(from));
            match to {
                Varchar(n) => format!(
                    "({back} <> {col} OR {}CAST({col} AS {})) > {n})",
                    d.char_length_fn(),
                    d.text_cast()
                ),
                _ => format!("{back} <> {col}"),
            }
        }
        _ => format!("{col} IS NOT NULL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SqlType::*;

    #[test]
    fn widening_is_lossless_and_narrowing_is_not() {
        for (a, b) in [
            (Int, BigInt),
            (SmallInt, Int),
            (Real, Double),
            (Varchar(10), Varchar(40)),
            (Varchar(10), Text),
            (BigInt, Text),
            (Int, Decimal),
            (Date, TimestampTz),
        ] {
            assert!(lossless(a, b), "{a:?} -> {b:?}");
        }
        for (a, b) in [
            (BigInt, Int),
            (Double, Real),
            (Double, BigInt),
            (Varchar(40), Varchar(10)),
            (Text, Varchar(10)),
            (TimestampTz, Date),
            (Text, BigInt),
            (Decimal, Double),
            (BigInt, Real),
            (Real, Text),
        ] {
            assert!(!lossless(a, b), "{a:?} -> {b:?}");
        }
    }
}
