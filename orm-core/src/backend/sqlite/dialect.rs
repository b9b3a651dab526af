//! SQLite: `?` placeholders, RETURNING (3.35+), type affinity, CHECK for enums.

use crate::dialect::ValueLimits;
use crate::dialect::{AlterSyntax, Capabilities, ColumnChange, InsertId, SqlDialect, StatementTimeout, Writer};
use crate::error::{DbError, Violation};
use crate::value::{SqlType, Value};

pub(crate) struct Sqlite;

impl SqlDialect for Sqlite {
    fn alter_syntax(&self) -> &'static AlterSyntax {
        // ALTER TABLE adds, renames and drops plain columns; anything else
        // rebuilds the table (https://www.sqlite.org/lang_altertable.html).
        &AlterSyntax {
            column_change: ColumnChange::Rebuild,
            drop_index_on_table: false,
            drop_unique: "",
            drop_foreign_key: "",
            alter_constraints: false,
            add_column_simple_only: true,
            // AUTOINCREMENT keeps its high-water mark in sqlite_sequence,
            // by table name: the rows' copy alone would lower it.
            rebuild_keeps_counter: &[
                "UPDATE sqlite_sequence SET seq = (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = {old}) \
                 WHERE name = {new} AND seq < (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = {old})",
                "INSERT INTO sqlite_sequence (name, seq) SELECT {new}, s.seq FROM sqlite_sequence AS s \
                 WHERE s.name = {old} AND NOT EXISTS (SELECT 1 FROM sqlite_sequence AS n WHERE n.name = {new})",
            ],
        }
    }

    fn statement_timeout(&self, _limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::Deadline
    }

    fn lock_wait_limit(&self, _limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::LockWaitDeadline
    }

    fn caps(&self) -> &'static Capabilities {
        static CAPS: Capabilities = Capabilities {
            insert_id: InsertId::Returning,
            max_params: 32_766,
            max_keys_per_statement: 30_000, // 32,766 variables per statement
            enum_check: true,
            create_index_if_not_exists: true,
            transactional_ddl: true,
            upsert_any_unique_key: false,
        };
        &CAPS
    }
    /// Backticks, not double quotes: SQLite reads a double-quoted name that
    /// matches no column as a string literal (a missing column would read
    /// as its own name, and a filter on it would compare with that text);
    /// a backticked name is always an identifier.
    fn quote_ident(&self, name: &str, out: &mut String) {
        crate::dialect::quote_with('`', name, out);
    }

    /// Always serializable; IMMEDIATE takes the write lock up front, so a
    /// transaction never fails later trying to upgrade it.
    fn begin(&self, _isolation: Option<&str>) -> String {
        "BEGIN IMMEDIATE".to_owned()
    }

    /// NaN is stored as NULL (the infinities are kept); dates are ISO-8601
    /// text, which sorts and parses for four-digit years only.
    fn value_limits(&self) -> &'static ValueLimits {
        &ValueLimits {
            non_finite_floats: true,
            nan: false,
            nul_in_text: true,
            timestamp_years: (0, 9999),
            date_years: (0, 9999),
            decimal_scale: None,
            decimal_integer_digits: None,
            max_value_bytes: Some(1_000_000_000),
        }
    }

    fn float_type(&self) -> &'static str {
        "REAL"
    }

    fn integer_cast_type(&self) -> Option<&'static str> {
        Some("INTEGER")
    }

    /// SQLite turns an integer that overflows into a REAL (which no longer
    /// decodes) and keeps an INT column's value past 32 bits: the sum is
    /// checked in SQL, and `abs(i64::MIN)` raises "integer overflow" when it
    /// leaves the range of the column's type (that of the bound value).
    fn write_arith(&self, w: &mut Writer<'_>, column: &'static str, op: &str, v: &Value) {
        let range = match v {
            Value::I16(_) => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
            Value::I32(_) => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            Value::I64(_) => None,
            _ => {
                w.ident(column);
                w.push(op);
                w.param(v.clone());
                return;
            }
        };
        let sum = |w: &mut Writer<'_>| {
            w.push("(");
            w.ident(column);
            w.push(op);
            w.param(v.clone());
            w.push(")");
        };
        w.push("CASE WHEN ");
        match range {
            Some((lo, hi)) => {
                w.push("coalesce(");
                sum(w);
                w.push(&format!(", 0) BETWEEN {lo} AND {hi}"));
            }
            None => {
                w.push("typeof(");
                sum(w);
                w.push(") IN ('integer', 'null')");
            }
        }
        w.push(" THEN ");
        sum(w);
        w.push(" ELSE abs(-9223372036854775807 - 1 + 0 * ");
        w.ident(column);
        w.push(") END");
    }

    /// A long list is one JSON parameter read by `json_each`, so any length
    /// stays under the parameter limit; values are written as SQLite stores
    /// them (sqlx's text forms of dates, hyphenated UUIDs, 0/1 booleans).
    fn write_in(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value], negated: bool) {
        match (values.len() > LONG_LIST).then(|| json_list(values)).flatten() {
            Some(json) => {
                w.compared_col(column, values.first());
                w.push(if negated {
                    " NOT IN (SELECT value FROM json_each("
                } else {
                    " IN (SELECT value FROM json_each("
                });
                w.param(Value::String(json));
                w.push("))");
            }
            None => w.in_list(column, values, negated),
        }
    }

    fn write_keys(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value]) {
        w.in_list(column, values, false);
    }

    /// No row locks: a transaction's `BEGIN IMMEDIATE` already holds the
    /// database's write lock, so a locking read inside one is as safe.
    fn write_lock(&self, _w: &mut Writer<'_>, _lock: &crate::ast::LockClause) {}

    /// SQLITE_BUSY (5): the database lock was not free within the busy timeout.
    /// SQLITE_INTERRUPT (9): the driver's statement deadline interrupted it.
    fn is_timeout(&self, code: &str, _message: &str) -> bool {
        code == "9"
    }

    /// SQLITE_BUSY_SNAPSHOT (517): a WAL read transaction that tried to
    /// write after another connection committed; only a new transaction
    /// sees the new snapshot.
    fn is_transaction_conflict(&self, code: &str, _message: &str) -> bool {
        code == "517"
    }

    fn is_lock_not_available(&self, code: &str, message: &str) -> bool {
        code == "5" || message.starts_with("database is locked")
    }

    /// `length()` counts characters of text.
    fn char_length_fn(&self) -> &'static str {
        "length("
    }

    fn is_out_of_range(&self, _code: &str, message: &str) -> bool {
        message == "integer overflow"
    }

    /// Integer sums in 128 bits (SQLite's SUM fails when a partial sum
    /// leaves i64, even if the total fits), decimal sums exactly and decimal
    /// extremes by value: the functions and collation registered on every
    /// connection (backend/sqlite/functions.rs).
    fn write_aggregate(
        &self,
        w: &mut Writer<'_>,
        f: crate::ast::AggFn,
        column: &str,
        cast: Option<crate::ast::AggCast>,
        ty: SqlType,
    ) {
        use crate::ast::{AggCast, AggFn};
        match (f, ty, cast) {
            (AggFn::Sum, _, Some(AggCast::Integer)) => {
                w.push("orm_integer_sum(");
                w.col(column);
                w.push(")");
            }
            (AggFn::Sum, SqlType::Decimal, _) => {
                w.push("orm_decimal_sum(");
                w.col(column);
                w.push(")");
            }
            (AggFn::Min | AggFn::Max, SqlType::Decimal, _) => {
                w.push(f.sql());
                w.push("(");
                w.col(column);
                w.push(" COLLATE orm_decimal)");
            }
            _ => crate::dialect::render::aggregate(self, w, f, column, cast),
        }
    }

    /// Decimals are stored as text; `orm_decimal` (registered on every
    /// connection, backend/sqlite/functions.rs) compares them as numbers.
    fn f32_image(&self, col: &str) -> String {
        format!("orm_f32({col})")
    }

    /// Decimals are text: as a number, through REAL.
    fn as_number(&self, col: &str, ty: SqlType) -> String {
        match ty {
            SqlType::Decimal => format!("CAST({col} AS REAL)"),
            _ => col.to_owned(),
        }
    }

    /// Decimal text has a fraction when a nonzero digit follows its point.
    fn has_fraction(&self, col: &str, ty: SqlType) -> String {
        match ty {
            SqlType::Decimal => format!("{col} GLOB '*.*[1-9]*'"),
            _ => format!("{col} <> ROUND({col})"),
        }
    }

    /// Times are text in several forms: parsed as the driver reads them.
    fn midnight(&self, col: &str) -> String {
        format!("orm_time_of_day({col}) = 0")
    }

    fn rebuild_value(&self, col: &str, from: SqlType, to: SqlType) -> String {
        use SqlType::*;
        match (from, to) {
            (Timestamp | TimestampTz, Date) => format!("date({col})"),
            (Date, TimestampTz) => format!("({col} || 'T00:00:00+00:00')"),
            (Date, Timestamp) => format!("({col} || ' 00:00:00')"),
            (Real | Double | Decimal, SmallInt | Int | BigInt) => format!("CAST({col} AS INTEGER)"),
            (Decimal, Real | Double) => format!("CAST({col} AS REAL)"),
            _ => col.to_owned(),
        }
    }

    fn decode_may_lose(&self, ty: SqlType) -> bool {
        // Booleans are integers (2 reads as true), f32 fields are REALs.
        matches!(ty, SqlType::Json | SqlType::Bool | SqlType::Real)
    }

    fn collation(&self, ty: SqlType) -> Option<&'static str> {
        match ty {
            SqlType::Decimal => Some("orm_decimal"),
            _ => None,
        }
    }

    fn write_no_limit(&self, w: &mut Writer<'_>) {
        w.push(" LIMIT -1");
    }

    fn column_type(&self, ty: SqlType) -> String {
        match ty {
            SqlType::SmallInt | SqlType::Int | SqlType::BigInt => "INTEGER".into(),
            SqlType::Real | SqlType::Double => "REAL".into(),
            SqlType::Bool => "BOOLEAN".into(),
            SqlType::Varchar(n) => format!("VARCHAR({n})"),
            SqlType::Bytes => "BLOB".into(),
            SqlType::Text
            | SqlType::TimestampTz
            | SqlType::Timestamp
            | SqlType::Date
            | SqlType::Time
            | SqlType::Uuid
            | SqlType::Json
            | SqlType::Decimal
            | SqlType::Enum(_) => "TEXT".into(),
        }
    }

    fn auto_pk(&self, _ty: SqlType) -> String {
        "INTEGER PRIMARY KEY AUTOINCREMENT".into()
    }

    fn default_sql(&self, ty: SqlType, sql: &str, out: &mut String) {
        // `CURRENT_TIMESTAMP` writes `2026-01-02 03:04:05`, but a UTC time
        // is stored as RFC 3339 (`2026-01-02T03:04:05+00:00`), and text
        // comparisons between the two forms miss: store the same form.
        let now = [
            "CURRENT_TIMESTAMP",
            "(CURRENT_TIMESTAMP)",
            "DATETIME('NOW')",
            "(DATETIME('NOW'))",
        ];
        if ty == SqlType::TimestampTz && now.iter().any(|n| sql.trim().eq_ignore_ascii_case(n)) {
            out.push_str("(strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'))");
        } else {
            out.push_str(sql);
        }
    }

    fn violation(&self, err: &DbError) -> Violation {
        // "UNIQUE constraint failed: users.email, users.name"
        // "NOT NULL constraint failed: users.name"
        // "CHECK constraint failed: users_role_check"
        // "FOREIGN KEY constraint failed" (SQLite names nothing)
        let msg = err.message.as_str();
        let mut v = Violation::default();
        if let Some((_, rest)) = msg.split_once("constraint failed: ") {
            if msg.starts_with("CHECK") {
                v.constraint = Some(rest.trim().to_owned());
            } else {
                for part in rest.split(", ") {
                    if let Some((table, col)) = part.split_once('.') {
                        // A table rebuild's copy is the table itself.
                        let table = table.strip_prefix("_orm_new_").unwrap_or(table);
                        v.table = Some(table.to_owned());
                        v.columns.push(col.to_owned());
                    }
                }
            }
        }
        v
    }
}

/// Lists longer than this travel as one JSON parameter.
const LONG_LIST: usize = 500;

/// The values as a JSON array of what SQLite stores for them, when every
/// one has a JSON form.
fn json_list(values: &[Value]) -> Option<String> {
    let items: Option<Vec<serde_json::Value>> = values
        .iter()
        .map(|v| crate::dialect::json_scalar(v, date_text))
        .collect();
    Some(serde_json::Value::Array(items?).to_string())
}

/// The text a time is stored as on SQLite (the forms sqlx wrote, so
/// databases written before keep comparing and sorting the same).
pub(crate) fn date_text(v: &Value) -> Option<String> {
    use chrono::SecondsFormat;
    Some(match v {
        Value::DateTimeUtc(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        Value::DateTime(t) => t.format("%F %T%.f").to_string(),
        Value::Date(d) => d.format("%F").to_string(),
        Value::Time(t) => t.format("%T%.f").to_string(),
        _ => return None,
    })
}
