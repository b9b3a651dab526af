//! What a database's catalog says, as each backend reads it: the queries
//! `introspect` and `Schema::check` run ([`CatalogSql`]), the type map from
//! catalog type names to [`SqlType`]s, and what CHECK constraints mean.
//! Implemented in `backend/<db>/catalog.rs`.

use super::def::CheckDef;
use crate::value::{SqlType, Value};

/// A database's catalog, read once per `introspect`, `check` or `sync_alter`.
pub(crate) trait Catalog: Sync {
    /// The catalog queries.
    fn queries(&self) -> &'static CatalogSql;

    /// The column type a catalog's type text stands for (`None`: no Rust type maps it).
    fn type_of(&self, raw: &str) -> Option<SqlType>;

    /// What the CHECK constraints in a catalog's text say about columns:
    /// `column IN ('a', 'b')` (an enum), `json_valid(column)` (JSON kept as text).
    fn checks(&self, _text: &str) -> Vec<CheckFact> {
        Vec::new()
    }

    /// The table CHECK constraints in one row of [`CatalogSql::checks`]:
    /// by default the row is one constraint, `name` and `CHECK (cond)` or
    /// the bare condition.
    fn named_checks(&self, name: &str, text: &str) -> Vec<CheckDef> {
        if name.is_empty() {
            return Vec::new();
        }
        let t = text.trim();
        let cond = t
            .strip_prefix("CHECK ")
            .map(|c| strip_parens(c).to_owned())
            .unwrap_or_else(|| t.to_owned());
        vec![CheckDef {
            name: name.to_owned(),
            sql: strip_parens(&cond).to_owned(),
        }]
    }

    /// A table's indexes and UNIQUE constraints as `(kind, name, column,
    /// position)` rows, kind `index` or `unique`, every column of each
    /// (the primary key left out).
    fn keys(&self, table: &str) -> (String, Vec<Value>);
}

/// `(cond)` without the parentheses that wrap all of it.
pub(crate) fn strip_parens(text: &str) -> &str {
    let mut t = text.trim();
    while let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        // Only when the first parenthesis closes at the very end.
        let mut depth = 0i32;
        let mut closes_at_end = true;
        for (i, ch) in t.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 && i != t.len() - 1 {
                        closes_at_end = false;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !closes_at_end {
            break;
        }
        t = inner.trim();
    }
    t
}

/// The catalog queries `introspect` runs, as data. Every column is text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatalogSql {
    /// `(table, column, type, nullable YES/NO, default or NULL, database-filled
    /// YES/NO, position in the primary key or 0, generated YES/NO)` for every
    /// base table, in order.
    pub columns: &'static str,
    /// `(table, constraint name, column, referenced table, referenced
    /// column, on delete, on update, position)`, one row per column of each
    /// key, the actions lowercase, `no action` for none.
    pub foreign_keys: &'static str,
    /// `(table, constraint name or '', text holding its CHECK constraints)`.
    pub checks: &'static str,
    /// `(type, label)` of enum types, labels in order (PostgreSQL).
    pub enum_types: Option<&'static str>,
}

/// A CHECK constraint's meaning for `introspect`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CheckFact {
    /// The column holds one of these labels.
    Labels(String, Vec<String>),
    /// The column holds JSON documents (MariaDB's JSON is LONGTEXT plus this check).
    Json(String),
}

/// The single-quoted literals in `text`, unescaped (`''` is a quote).
pub(crate) fn quoted_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut lit = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    lit.push('\'');
                    continue;
                }
                break;
            }
            lit.push(c);
        }
        out.push(lit);
    }
    out
}

/// Whether a DECIMAL/NUMERIC of these arguments (`"40,0"`, or none) maps
/// to `rust_decimal::Decimal`: at most its 28 digits, or the column the
/// crate itself makes for a `Decimal` on MySQL (`DECIMAL(38,10)`, whose
/// values the models keep within 28 digits).
pub(crate) fn decimal_fits(args: Option<&str>) -> bool {
    let args = args.map(|a| a.replace(' ', ""));
    let precision = args
        .as_deref()
        .and_then(|a| a.split(',').next())
        .and_then(|p| p.parse::<u32>().ok());
    precision.is_none_or(|p| p <= 28) || args.as_deref() == Some("38,10")
}

/// `varchar(80)` -> `("varchar", Some("80"))`, lower-cased and trimmed.
pub(crate) fn split_type(raw: &str) -> (String, Option<String>) {
    let raw = raw.trim().to_ascii_lowercase();
    match raw.split_once('(') {
        Some((base, rest)) => {
            let args = rest.split_once(')').map_or(rest, |(a, _)| a);
            (base.trim().to_owned(), Some(args.trim().to_owned()))
        }
        None => (raw, None),
    }
}

/// Enum labels read at run time (a snapshot file, a catalog), kept for the
/// process: a `SqlType::Enum` holds static labels, as a model's are.
pub(crate) fn leak_labels(labels: Vec<String>) -> &'static [&'static str] {
    Box::leak(
        labels
            .into_iter()
            .map(|l| &*Box::leak(l.into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    )
}
