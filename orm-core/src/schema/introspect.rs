//! A live database's tables read back into [`TableDef`]s (`introspect`):
//! columns with their types, nullability and defaults, primary keys, UNIQUE
//! and indexed columns, foreign keys, enums (PostgreSQL enum types, MySQL
//! ENUM, CHECK `IN` lists), join tables. The queries and the type names
//! are each backend's (`backend/<db>/catalog.rs`, through [`Catalog`]).
//! `Schema::check` and `sync_alter` read the same description ([`read`]).

use super::catalog::{Catalog, CheckFact, quoted_literals};
use super::def::{CheckDef, ColumnDef, ForeignKeyDef, TableDef};
use super::snapshot::Snapshot;
use crate::db::{Conn, Executor};
use crate::dialect::Statement;
use crate::error::Result;
use crate::field::FieldType;
use crate::value::{SqlType, Value};
use std::collections::HashMap;

/// What [`Snapshot::introspect`] read: the tables, and the columns no Rust
/// type maps (reported, never dropped silently).
#[derive(Debug, Clone)]
pub struct Introspection {
    /// The tables, in name order.
    pub snapshot: Snapshot,
    /// `table.column: type` for each column left out.
    pub unmapped: Vec<String>,
}

/// Tables of the tooling itself, never introspected.
fn is_internal(table: &str) -> bool {
    matches!(table, "orm_migrations" | "orm_seeds") || table.starts_with("_orm_")
}

impl Snapshot {
    /// Read the tables of a live database (all, or those named in `only`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::Snapshot;
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// raw("CREATE TABLE books (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(80) NOT NULL)").execute(&db).await?;
    /// let found = Snapshot::introspect(&db, &[]).await?;
    /// assert_eq!(found.snapshot.table_names(), ["books"]);
    /// assert!(found.snapshot.to_rust().contains("pub title: String,"));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn introspect<E: Executor + ?Sized>(db: &E, only: &[String]) -> Result<Introspection> {
        let found = read(&db.__conn(), only).await?;
        Ok(Introspection {
            snapshot: Snapshot { tables: found.tables },
            unmapped: found.unmapped,
        })
    }
}

/// One column as the catalog lists it, mapped to a Rust type or not.
#[derive(Debug, Clone)]
pub(crate) struct LiveColumn {
    pub table: String,
    pub name: String,
    /// The catalog's type text (`varchar(80)`, `enum:mood`).
    pub raw_type: String,
    pub nullable: bool,
}

/// What one read of the catalog found.
pub(crate) struct CatalogRead {
    /// The tables, in name order, with the columns a Rust type maps.
    pub tables: Vec<TableDef>,
    /// `table.column: type` for each column left out of `tables`.
    pub unmapped: Vec<String>,
    /// Every column, mapped or not (generated ones included).
    pub columns: Vec<LiveColumn>,
}

/// Read the tables of a live database (all, or those named in `only`).
pub(crate) async fn read(conn: &Conn<'_>, only: &[String]) -> Result<CatalogRead> {
    let cat: &dyn Catalog = conn.dialect().catalog();
    let catalog = cat.queries();
    let text = |r: crate::row::RowRef<'_>, i: usize| <Option<String> as FieldType>::decode(r, i);
    let fetch = async |sql: &str, width: usize| -> Result<Vec<Vec<Option<String>>>> {
        conn.fetch(
            Statement {
                sql: sql.to_owned(),
                params: Vec::new(),
            },
            |r| (0..width).map(|i| text(r, i)).collect(),
        )
        .await
    };
    let wanted = |t: &str| !is_internal(t) && (only.is_empty() || only.iter().any(|o| o == t));
    let s = |row: &[Option<String>], i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let mut enum_types: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(sql) = catalog.enum_types {
        for row in fetch(sql, 2).await? {
            enum_types.entry(s(&row, 0)).or_default().push(s(&row, 1));
        }
    }
    let mut checks: HashMap<(String, String), CheckFact> = HashMap::new();
    let mut table_checks: HashMap<String, Vec<CheckDef>> = HashMap::new();
    for row in fetch(catalog.checks, 3).await? {
        let text = s(&row, 2);
        for fact in cat.checks(&text) {
            let (CheckFact::Labels(column, _) | CheckFact::Json(column)) = &fact;
            checks.insert((s(&row, 0), column.clone()), fact);
        }
        table_checks
            .entry(s(&row, 0))
            .or_default()
            .extend(cat.named_checks(&s(&row, 1), &text));
    }
    let mut tables: Vec<TableDef> = Vec::new();
    let mut keys: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    let mut unmapped = Vec::new();
    let mut columns = Vec::new();
    for row in fetch(catalog.columns, 8).await? {
        let (table, column, raw) = (s(&row, 0), s(&row, 1), s(&row, 2));
        if !wanted(&table) {
            continue;
        }
        columns.push(LiveColumn {
            table: table.clone(),
            name: column.clone(),
            raw_type: raw.clone(),
            nullable: s(&row, 3) == "YES",
        });
        if tables.last().is_none_or(|t| t.name != table) {
            tables.push(empty_table(&table));
        }
        if s(&row, 7) == "YES" {
            // The database computes it: a model could never write it.
            unmapped.push(format!("{table}.{column}: {raw} (a generated column, read-only)"));
            continue;
        }
        let t = tables.last_mut().expect("pushed above");
        let position: usize = s(&row, 6).parse().unwrap_or(0);
        if position > 0 {
            keys.entry(table.clone()).or_default().push((column.clone(), position));
        }
        let sql_type = match raw.strip_prefix("enum:") {
            Some(name) => enum_types.get(name).map(|l| SqlType::Enum(leak(l.clone()))),
            None => cat.type_of(&raw),
        };
        let sql_type = match (sql_type, checks.get(&(table.clone(), column.clone()))) {
            (Some(SqlType::Text | SqlType::Varchar(_)), Some(CheckFact::Labels(_, labels))) => {
                Some(SqlType::Enum(leak(labels.clone())))
            }
            (Some(SqlType::Text), Some(CheckFact::Json(_))) => Some(SqlType::Json),
            (ty, _) => ty,
        };
        let Some(sql_type) = sql_type else {
            unmapped.push(format!("{table}.{column}: {raw}"));
            continue;
        };
        let auto_increment = s(&row, 5) == "YES";
        let (default, default_sql) = match (&row[4], auto_increment) {
            (Some(raw), false) => parse_default(raw, sql_type),
            _ => (None, None),
        };
        t.columns.push(ColumnDef {
            name: column,
            sql_type,
            nullable: s(&row, 3) == "YES",
            auto_increment,
            unique: false,
            default,
            default_sql,
        });
    }
    // One order on every server (collations sort `_` differently).
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    // One key per (table, constraint), its columns in position order.
    let mut fk_rows = fetch(catalog.foreign_keys, 8).await?;
    fk_rows.sort_by_key(|r| (s(r, 0), s(r, 1), s(r, 7).parse::<i64>().unwrap_or(0)));
    let mut last: Option<(String, String)> = None;
    for row in fk_rows {
        let Some(t) = tables.iter_mut().find(|t| t.name == s(&row, 0)) else {
            continue;
        };
        let id = (s(&row, 0), s(&row, 1));
        if last.as_ref() == Some(&id)
            && let Some(fk) = t.foreign_keys.last_mut()
        {
            fk.columns.push(s(&row, 2));
            fk.ref_columns.push(s(&row, 4));
            continue;
        }
        last = Some(id);
        let action = |i: usize| Some(s(&row, i)).filter(|a| !matches!(a.as_str(), "" | "no action"));
        t.foreign_keys.push(ForeignKeyDef {
            columns: vec![s(&row, 2)],
            ref_table: s(&row, 3),
            ref_columns: vec![s(&row, 4)],
            on_delete: action(5),
            on_update: action(6),
        });
    }
    // In column order (constraint names differ by database).
    for t in &mut tables {
        t.foreign_keys.sort_by(|a, b| a.columns.cmp(&b.columns));
    }
    for t in &mut tables {
        let mut pk = keys.remove(&t.name).unwrap_or_default();
        pk.sort_by_key(|(_, p)| *p);
        t.primary_key = pk.into_iter().map(|(c, _)| c).collect();
        let (sql, params) = cat.keys(&t.name);
        let rows: Vec<(String, String, String, i64)> = conn
            .fetch(Statement { sql, params }, |r| {
                let position = String::decode(r, 3)?.parse().unwrap_or(0);
                Ok((
                    String::decode(r, 0)?,
                    String::decode(r, 1)?,
                    String::decode(r, 2)?,
                    position,
                ))
            })
            .await?;
        for (kind, columns) in group_keys(rows) {
            if !columns.iter().all(|c| t.columns.iter().any(|d| d.name == *c)) {
                continue; // on a column no Rust type maps
            }
            match (kind.as_str(), columns.as_slice()) {
                ("unique", [one]) => {
                    if let Some(c) = t.columns.iter_mut().find(|c| c.name == *one) {
                        c.unique = true;
                    }
                }
                ("unique", _) if columns != t.primary_key && !t.unique_sets.contains(&columns) => {
                    t.unique_sets.push(columns)
                }
                ("index", [one]) if t.primary_key.first() == Some(one) => {}
                ("index", _) if !t.indexes.contains(&columns) => t.indexes.push(columns),
                _ => {}
            }
        }
        t.checks = table_checks.remove(&t.name).unwrap_or_default();
        // A column's own CHECK (an enum's label list, MariaDB's JSON check) is the column's.
        let own = |name: &str| {
            t.columns
                .iter()
                .any(|c| name == c.name || name == format!("{}_{}_check", t.name, c.name))
        };
        t.checks.retain(|c| !own(&c.name));
        t.join_table = t.columns.len() == 2
            && t.primary_key.len() == 2
            && t.columns
                .iter()
                .all(|c| t.foreign_keys.iter().any(|f| f.columns == [c.name.clone()]));
    }
    Ok(CatalogRead {
        tables,
        unmapped,
        columns,
    })
}

fn empty_table(name: &str) -> TableDef {
    TableDef {
        name: name.to_owned(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        unique_sets: Vec::new(),
        checks: Vec::new(),
        foreign_keys: Vec::new(),
        join_table: false,
    }
}

/// Catalog rows `(kind, name, column, position)` as keys: each kind and
/// name once, its columns in position order, in the order first seen.
fn group_keys(mut rows: Vec<(String, String, String, i64)>) -> Vec<(String, Vec<String>)> {
    rows.sort_by(|a, b| (&a.0, &a.1, a.3).cmp(&(&b.0, &b.1, b.3)));
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for (kind, name, column, _) in rows {
        match out.last_mut() {
            Some((k, n, cols)) if *k == kind && *n == name => cols.push(column),
            _ => out.push((kind, name, vec![column])),
        }
    }
    out.into_iter().map(|(k, _, c)| (k, c)).collect()
}

fn leak(labels: Vec<String>) -> &'static [&'static str] {
    super::catalog::leak_labels(labels)
}

/// A catalog's default: a constant the column's Rust type can hold, or the
/// SQL the database computes (`CURRENT_TIMESTAMP`).
fn parse_default(raw: &str, ty: SqlType) -> (Option<Value>, Option<String>) {
    let t = raw.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("null") || t.starts_with("nextval(") || t.starts_with("NULL::") {
        return (None, None);
    }
    // PostgreSQL writes `'member'::text` and `'-1'::integer`.
    let literal = match t.strip_prefix('\'') {
        Some(_) => quoted_literals(t).into_iter().next(),
        None => None,
    };
    let text = literal.as_deref().unwrap_or(t);
    let value = match ty {
        SqlType::SmallInt => text.parse().ok().map(Value::I16),
        SqlType::Int => text.parse().ok().map(Value::I32),
        SqlType::BigInt => text.parse().ok().map(Value::I64),
        SqlType::Real => text.parse().ok().map(Value::F32),
        SqlType::Double => text.parse().ok().map(Value::F64),
        SqlType::Decimal => text.parse().ok().map(Value::Decimal),
        SqlType::Bool => match text.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(Value::Bool(true)),
            "0" | "false" => Some(Value::Bool(false)),
            _ => None,
        },
        SqlType::Text | SqlType::Varchar(_) | SqlType::Enum(_) => literal.clone().map(Value::String),
        _ => None,
    };
    match value {
        Some(v) => (Some(v), None),
        None => (None, Some(t.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let s = |v: &str| Some(Value::String(v.into()));
        assert_eq!(parse_default("'member'::text", SqlType::Text).0, s("member"));
        assert_eq!(parse_default("'it''s'", SqlType::Varchar(9)).0, s("it's"));
        assert_eq!(parse_default("'-1'::integer", SqlType::Int).0, Some(Value::I32(-1)));
        assert_eq!(parse_default("0", SqlType::BigInt).0, Some(Value::I64(0)));
        assert_eq!(parse_default("1", SqlType::Bool).0, Some(Value::Bool(true)));
        assert_eq!(parse_default("NULL", SqlType::Text), (None, None));
        assert_eq!(
            parse_default("current_timestamp(6)", SqlType::TimestampTz),
            (None, Some("current_timestamp(6)".into()))
        );
    }
}
