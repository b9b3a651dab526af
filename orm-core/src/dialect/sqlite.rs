//! SQLite: `?` placeholders, RETURNING (3.35+), type affinity, CHECK for enums.

use super::ValueLimits;
use super::{AlterSyntax, Capabilities, CatalogSql, CheckFact, ColumnChange, InsertId, SqlDialect, Writer};
use crate::error::{DbError, Violation};
use crate::value::{SqlType, Value};

pub(crate) struct Sqlite;

impl SqlDialect for Sqlite {
    fn catalog(&self) -> &'static CatalogSql {
        &CatalogSql {
            columns: "SELECT m.name, p.name, p.type, \
                CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END, p.dflt_value, \
                CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' \
                  AND (SELECT COUNT(*) FROM pragma_table_info(m.name) k WHERE k.pk > 0) = 1 THEN 'YES' ELSE 'NO' END, \
                CAST(p.pk AS TEXT), CASE WHEN p.hidden <> 0 THEN 'YES' ELSE 'NO' END \
                FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
                WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            foreign_keys: "SELECT m.name, f.\"from\", f.\"table\", \
                COALESCE(f.\"to\", (SELECT k.name FROM pragma_table_info(f.\"table\") k WHERE k.pk = 1)), lower(f.on_delete), lower(f.on_update) \
                FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                WHERE m.type = 'table' AND f.seq = 0 ORDER BY 1, 2",
            checks: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            enum_types: None,
        }
    }

    /// Declared types: SQLite keeps the text it was given, so the
    /// timestamps, UUIDs, decimals and JSON this crate stores as TEXT come
    /// back as text.
    fn catalog_type(&self, raw: &str) -> Option<SqlType> {
        let (base, args) = super::split_type(raw);
        Some(match base.as_str() {
            "integer" | "int" | "bigint" | "smallint" => SqlType::BigInt,
            "real" | "double" | "float" | "double precision" => SqlType::Double,
            "boolean" | "bool" => SqlType::Bool,
            "varchar" => SqlType::Varchar(args?.parse().ok()?),
            "text" | "clob" => SqlType::Text,
            "blob" => SqlType::Bytes,
            "date" => SqlType::Date,
            "datetime" | "timestamp" => SqlType::Timestamp,
            "numeric" | "decimal" if super::decimal_fits(args.as_deref()) => SqlType::Decimal,
            _ => return None,
        })
    }

    /// `CHECK (`role` IN ('admin', 'member'))` inside a CREATE TABLE.
    fn catalog_checks(&self, text: &str) -> Vec<CheckFact> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("CHECK (") {
            rest = &rest[at + "CHECK (".len()..];
            let Some((column, after)) = rest.split_once(" IN (") else {
                continue;
            };
            let column = column.trim().trim_matches(['`', '"']);
            if column.contains([' ', '(']) {
                continue;
            }
            let list = after.split_once("))").map_or(after, |(l, _)| l);
            out.push(CheckFact::Labels(column.to_owned(), super::quoted_literals(list)));
        }
        out
    }

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

    fn caps(&self) -> &'static Capabilities {
        static CAPS: Capabilities = Capabilities {
            insert_id: InsertId::Returning,
            max_params: 32_766,
            max_keys_per_statement: 30_000, // 32,766 variables per statement
            enum_check: true,
            create_index_if_not_exists: true,
            transactional_ddl: true,
        };
        &CAPS
    }
    /// Backticks, not double quotes: SQLite reads a double-quoted name that
    /// matches no column as a string literal (a missing column would read
    /// as its own name, and a filter on it would compare with that text);
    /// a backticked name is always an identifier.
    fn quote_ident(&self, name: &str, out: &mut String) {
        super::quote_with('`', name, out);
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
    /// connection (driver/sqlite_functions.rs).
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
            _ => super::render::aggregate(self, w, f, column, cast),
        }
    }

    /// Decimals are stored as text; `orm_decimal` (registered on every
    /// connection, driver/sqlite_functions.rs) compares them as numbers.
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

    fn introspect_columns(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT name FROM pragma_table_info(?)".into(),
            vec![Value::String(table.into())],
        )
    }

    /// An INTEGER PRIMARY KEY is never NULL, whatever `notnull` says.
    fn introspect_schema(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT name, type, CASE WHEN `notnull` = 1 OR pk > 0 THEN 'NO' ELSE 'YES' END FROM pragma_table_info(?)"
                .into(),
            vec![Value::String(table.into())],
        )
    }

    fn type_names(&self, ty: SqlType) -> &'static [&'static str] {
        match ty {
            SqlType::SmallInt | SqlType::Int | SqlType::BigInt => &["integer", "int", "bigint", "smallint"],
            SqlType::Real | SqlType::Double => &["real", "double", "float"],
            SqlType::Bool => &["boolean"],
            SqlType::Varchar(_) => &["varchar"],
            SqlType::Bytes => &["blob"],
            SqlType::Text
            | SqlType::TimestampTz
            | SqlType::Timestamp
            | SqlType::Date
            | SqlType::Time
            | SqlType::Uuid
            | SqlType::Json
            | SqlType::Decimal
            | SqlType::Enum(_) => &["text"],
        }
    }

    fn introspect_indexes(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT name FROM pragma_index_list(?)".into(),
            vec![Value::String(table.into())],
        )
    }

    fn introspect_keys(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT CASE WHEN il.\"unique\" = 1 THEN 'unique' ELSE 'index' END, ii.name \
             FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii \
             WHERE il.origin <> 'pk' AND ii.seqno = 0 \
             UNION ALL SELECT 'fk', \"from\" FROM pragma_foreign_key_list(?)"
                .into(),
            vec![Value::String(table.into()), Value::String(table.into())],
        )
    }
}

/// Lists longer than this travel as one JSON parameter.
const LONG_LIST: usize = 500;

/// The values as a JSON array of what SQLite stores for them, when every
/// one has a JSON form.
fn json_list(values: &[Value]) -> Option<String> {
    let items: Option<Vec<serde_json::Value>> = values.iter().map(|v| super::json_scalar(v, date_text)).collect();
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
