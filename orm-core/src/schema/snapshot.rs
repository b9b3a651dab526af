//! [`Snapshot`]: the tables a set of models needs, as a committed JSON file
//! (`migrations/schema.json`) that `generate --auto` diffs against.
//!
//! The JSON is a mirror of [`TableDef`] with plain types (a type is a
//! string such as `"varchar(80)"`, an enum's labels a list, a default a
//! JSON value), so it reads well in review and diffs line by line.

use super::Schema;
use super::alter::{FOREIGN_KEYS_OFF, needs_rebuild, render};
use super::def::{ColumnDef, ForeignKeyDef, TableDef, foreign_keys, join_tables, model_table};
use super::diff::{Changes, ColumnRename, diff};
use crate::backend::Dialect;
use crate::error::{Error, Result};
use crate::value::{SqlType, Value};
use serde::{Deserialize, Serialize};

/// The format version written into the file.
const FORMAT: u32 = 1;

/// The schema a set of models needs (tables, columns, keys, indexes,
/// foreign keys, join tables), independent of any dialect. `generate --auto`
/// keeps one beside the migrations and writes the difference to the models'.
///
/// ```
/// # use orm_core::prelude::*;
/// # use orm_core::Snapshot;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, name: String }
/// let now = Schema::new().model::<User>().snapshot();
/// let json = now.to_json();
/// assert_eq!(Snapshot::from_json(&json)?, now);
/// let diff = Snapshot::empty().diff(&now, &[])?;
/// assert!(diff.up_sql(Dialect::Postgres).contains("CREATE TABLE"));
/// # Ok::<(), orm_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub(crate) tables: Vec<TableDef>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Snapshot) -> bool {
        let a: Vec<SnapTable> = self.tables.iter().map(SnapTable::from).collect();
        let b: Vec<SnapTable> = other.tables.iter().map(SnapTable::from).collect();
        a == b
    }
}

impl Schema {
    /// The tables these models need, as a [`Snapshot`] (referenced tables
    /// first, then join tables).
    pub fn snapshot(&self) -> Snapshot {
        let fks = foreign_keys(&self.models);
        let mut tables: Vec<TableDef> = self.ordered().into_iter().map(|m| model_table(m, &fks)).collect();
        tables.extend(join_tables(&self.models));
        Snapshot { tables }
    }
}

impl Snapshot {
    /// No tables: what an empty migrations folder produces.
    pub fn empty() -> Snapshot {
        Snapshot::default()
    }

    /// The names of the tables, in order.
    pub fn table_names(&self) -> Vec<&str> {
        self.tables.iter().map(|t| t.name.as_str()).collect()
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let file = SnapFile {
            format: FORMAT,
            tables: self.tables.iter().map(SnapTable::from).collect(),
        };
        let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Read a file written by [`to_json`](Snapshot::to_json).
    pub fn from_json(text: &str) -> Result<Snapshot> {
        let file: SnapFile = serde_json::from_str(text).map_err(|e| bad(format!("schema snapshot: {e}")))?;
        if file.format != FORMAT {
            return Err(bad(format!(
                "schema snapshot format {} is not {FORMAT}, the one this version reads",
                file.format
            )));
        }
        let tables = file.tables.into_iter().map(TableDef::try_from).collect::<Result<_>>()?;
        Ok(Snapshot { tables })
    }
}

impl Snapshot {
    /// The changes from this snapshot (the migrations so far) to `target`
    /// (the models), with the reverse changes for the down scripts.
    /// `renames` says which dropped-and-added column pairs are renames.
    pub fn diff(&self, target: &Snapshot, renames: &[ColumnRename]) -> Result<SchemaDiff> {
        let back: Vec<ColumnRename> = renames.iter().map(ColumnRename::reversed).collect();
        Ok(SchemaDiff {
            up: diff(self, target, renames)?,
            down: diff(target, self, &back)?,
        })
    }
}

/// The changes between two [`Snapshot`]s, both ways, rendered per dialect
/// as the up and down scripts `generate --auto` writes.
#[derive(Debug, Clone)]
pub struct SchemaDiff {
    up: Changes,
    down: Changes,
}

impl SchemaDiff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.up.is_empty()
    }

    /// The forward script for a dialect: a header (with a warning line for
    /// each change that may lose data or fail), then the statements.
    pub fn up_sql(&self, dialect: Dialect) -> String {
        script(&self.up, dialect)
    }

    /// The reverse script for a dialect.
    pub fn down_sql(&self, dialect: Dialect) -> String {
        script(&self.down, dialect)
    }

    /// What the forward script may lose or fail on (dropped tables and
    /// columns, NOT NULL columns without a default).
    pub fn warnings(&self) -> &[String] {
        &self.up.warnings
    }

    /// The forward script's column changes that may not keep every stored
    /// value (`users.name: Varchar(40) -> Varchar(10)`): `generate --auto`
    /// writes them only with `--allow-lossy`, and each script carries a
    /// guard that refuses the migration when a stored value would change.
    pub fn lossy(&self) -> Vec<String> {
        super::lossy::guarded(&self.up)
            .into_iter()
            .filter(|g| g.risk == super::lossy::Risk::Lossy)
            .map(|g| {
                format!(
                    "{}.{}: {:?} -> {:?}",
                    g.table, g.after.name, g.before.sql_type, g.after.sql_type
                )
            })
            .collect()
    }

    /// A table's one dropped and one added column, which may be a rename
    /// (asked about when a terminal is attached).
    pub fn possible_renames(&self) -> Vec<ColumnRename> {
        self.up
            .altered
            .iter()
            .filter(|t| t.dropped.len() == 1 && t.added.len() == 1)
            .map(|t| ColumnRename {
                table: t.new.name.clone(),
                from: t.dropped[0].name.clone(),
                to: t.added[0].name.clone(),
            })
            .collect()
    }

    /// One line per change, for the command's output.
    pub fn summary(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        out.extend(self.up.created.iter().map(|t| format!("create table {}", t.name)));
        out.extend(self.up.dropped.iter().map(|t| format!("drop table {}", t.name)));
        for t in &self.up.altered {
            let n = &t.new.name;
            out.extend(t.renames.iter().map(|(a, b)| format!("rename column {n}.{a} to {b}")));
            out.extend(t.added.iter().map(|c| format!("add column {n}.{}", c.name)));
            out.extend(t.altered.iter().map(|(_, c)| format!("alter column {n}.{}", c.name)));
            out.extend(t.dropped.iter().map(|c| format!("drop column {n}.{}", c.name)));
            out.extend(t.add_uniques.iter().map(|c| format!("add unique {n}.{c}")));
            out.extend(t.drop_uniques.iter().map(|c| format!("drop unique {n}.{c}")));
            out.extend(t.add_indexes.iter().map(|c| format!("add index {n}.{c}")));
            out.extend(t.drop_indexes.iter().map(|c| format!("drop index {n}.{c}")));
            out.extend(
                t.add_fks
                    .iter()
                    .map(|f| format!("add foreign key {n}.{} -> {}", f.column, f.ref_table)),
            );
            out.extend(
                t.drop_fks
                    .iter()
                    .map(|f| format!("drop foreign key {n}.{} -> {}", f.column, f.ref_table)),
            );
        }
        out
    }
}

fn script(c: &Changes, dialect: Dialect) -> String {
    let d = dialect.sql();
    let mut s = String::new();
    let syn = d.alter_syntax();
    if c.altered.iter().any(|t| needs_rebuild(t, syn, d.caps().enum_check)) {
        s.push_str(FOREIGN_KEYS_OFF);
        s.push_str("\n-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)\n");
    }
    s.push_str("-- Written by `generate --auto` from the models; review it before applying.\n");
    for w in &c.warnings {
        s.push_str("-- WARNING: ");
        s.push_str(w);
        s.push('\n');
    }
    let guards = super::lossy::guarded(c);
    for g in guards.iter().filter(|g| g.risk == super::lossy::Risk::Lossy) {
        s.push_str("-- LOSSY: ");
        s.push_str(&g.describe(d));
        s.push_str(" (the guard below refuses the migration if a stored value would change)\n");
    }
    // Guards first: the runner fails the migration on one before anything changed.
    for statement in guards.iter().map(|g| g.guard_sql(d)).chain(render(c, d)) {
        s.push('\n');
        s.push_str(&statement);
        s.push_str(";\n");
    }
    s
}

pub(super) fn bad(message: String) -> Error {
    Error::Migration { message }
}

#[derive(Serialize, Deserialize)]
struct SnapFile {
    format: u32,
    tables: Vec<SnapTable>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SnapTable {
    name: String,
    columns: Vec<SnapColumn>,
    primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    foreign_keys: Vec<SnapForeignKey>,
    #[serde(default, skip_serializing_if = "is_false")]
    join_table: bool,
}

/// A column in the snapshot's terms; two columns are the same when these are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct SnapColumn {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    nullable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    auto_increment: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_sql: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SnapForeignKey {
    column: String,
    references: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_update: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl SnapColumn {
    /// The column without its name and UNIQUE flag: what an in-place
    /// change of type, nullability or default has to bring about.
    pub(super) fn shape(c: &ColumnDef) -> SnapColumn {
        let mut s = SnapColumn::from(c);
        s.name.clear();
        s.unique = false;
        s
    }
}

impl From<&TableDef> for SnapTable {
    fn from(t: &TableDef) -> SnapTable {
        SnapTable {
            name: t.name.clone(),
            columns: t.columns.iter().map(SnapColumn::from).collect(),
            primary_key: t.primary_key.clone(),
            indexes: t.indexes.clone(),
            foreign_keys: t
                .foreign_keys
                .iter()
                .map(|f| SnapForeignKey {
                    column: f.column.clone(),
                    references: format!("{}.{}", f.ref_table, f.ref_column),
                    on_delete: f.on_delete.as_ref().map(|a| a.to_ascii_lowercase()),
                    on_update: f.on_update.as_ref().map(|a| a.to_ascii_lowercase()),
                })
                .collect(),
            join_table: t.join_table,
        }
    }
}

impl TryFrom<SnapTable> for TableDef {
    type Error = Error;
    fn try_from(t: SnapTable) -> Result<TableDef> {
        let columns = t.columns.into_iter().map(ColumnDef::try_from).collect::<Result<_>>()?;
        let foreign_keys = t
            .foreign_keys
            .into_iter()
            .map(|f| {
                let (table, column) = f
                    .references
                    .split_once('.')
                    .ok_or_else(|| bad(format!("schema snapshot: `{}` is not table.column", f.references)))?;
                Ok(ForeignKeyDef {
                    column: f.column,
                    ref_table: table.to_owned(),
                    ref_column: column.to_owned(),
                    on_delete: f.on_delete,
                    on_update: f.on_update,
                })
            })
            .collect::<Result<_>>()?;
        Ok(TableDef {
            name: t.name,
            columns,
            primary_key: t.primary_key,
            indexes: t.indexes,
            foreign_keys,
            join_table: t.join_table,
        })
    }
}

impl From<&ColumnDef> for SnapColumn {
    fn from(c: &ColumnDef) -> SnapColumn {
        let (ty, values) = type_name(c.sql_type);
        SnapColumn {
            name: c.name.clone(),
            ty,
            values,
            nullable: c.nullable,
            auto_increment: c.auto_increment,
            unique: c.unique,
            default: c.default.as_ref().map(default_json),
            default_sql: c.default_sql.clone(),
        }
    }
}

impl TryFrom<SnapColumn> for ColumnDef {
    type Error = Error;
    fn try_from(c: SnapColumn) -> Result<ColumnDef> {
        let sql_type = parse_type(&c.ty, c.values).ok_or_else(|| {
            bad(format!(
                "schema snapshot: column `{}` has unknown type `{}`",
                c.name, c.ty
            ))
        })?;
        let default = match c.default {
            Some(j) => Some(default_value(sql_type, &j).ok_or_else(|| {
                bad(format!(
                    "schema snapshot: column `{}` has a default `{j}` its type cannot hold",
                    c.name
                ))
            })?),
            None => None,
        };
        Ok(ColumnDef {
            name: c.name,
            sql_type,
            nullable: c.nullable,
            auto_increment: c.auto_increment,
            unique: c.unique,
            default,
            default_sql: c.default_sql,
        })
    }
}

fn type_name(t: SqlType) -> (String, Vec<String>) {
    let name = match t {
        SqlType::SmallInt => "smallint",
        SqlType::Int => "int",
        SqlType::BigInt => "bigint",
        SqlType::Real => "real",
        SqlType::Double => "double",
        SqlType::Bool => "bool",
        SqlType::Varchar(n) => return (format!("varchar({n})"), Vec::new()),
        SqlType::Text => "text",
        SqlType::Bytes => "bytes",
        SqlType::TimestampTz => "timestamptz",
        SqlType::Timestamp => "timestamp",
        SqlType::Date => "date",
        SqlType::Time => "time",
        SqlType::Uuid => "uuid",
        SqlType::Json => "json",
        SqlType::Decimal => "decimal",
        SqlType::Enum(values) => return ("enum".to_owned(), values.iter().map(|v| (*v).to_owned()).collect()),
    };
    (name.to_owned(), Vec::new())
}

fn parse_type(name: &str, values: Vec<String>) -> Option<SqlType> {
    Some(match name {
        "smallint" => SqlType::SmallInt,
        "int" => SqlType::Int,
        "bigint" => SqlType::BigInt,
        "real" => SqlType::Real,
        "double" => SqlType::Double,
        "bool" => SqlType::Bool,
        "text" => SqlType::Text,
        "bytes" => SqlType::Bytes,
        "timestamptz" => SqlType::TimestampTz,
        "timestamp" => SqlType::Timestamp,
        "date" => SqlType::Date,
        "time" => SqlType::Time,
        "uuid" => SqlType::Uuid,
        "json" => SqlType::Json,
        "decimal" => SqlType::Decimal,
        // A snapshot is read once per command: its enums' labels live as
        // long as the process, as a model's do.
        "enum" => SqlType::Enum(crate::schema::catalog::leak_labels(values)),
        other => {
            let n = other.strip_prefix("varchar(")?.strip_suffix(')')?.parse().ok()?;
            SqlType::Varchar(n)
        }
    })
}

/// A default as JSON: booleans and integers as themselves, everything else
/// as the text its SQL literal holds (so it renders the same after a round trip).
fn default_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null(_) => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::I16(n) => J::from(*n),
        Value::I32(n) => J::from(*n),
        Value::I64(n) => J::from(*n),
        Value::F32(n) => J::String(format!("{n:?}")),
        Value::F64(n) => J::String(format!("{n:?}")),
        Value::Decimal(n) => J::String(n.to_string()),
        Value::Bytes(b) => J::String(b.iter().map(|x| format!("{x:02x}")).collect()),
        other => J::String(crate::dialect::literal_text(other).unwrap_or_default()),
    }
}

fn default_value(t: SqlType, j: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match (t, j) {
        (_, J::Null) => Value::Null(t),
        (SqlType::Bool, J::Bool(b)) => Value::Bool(*b),
        (SqlType::SmallInt, J::Number(n)) => Value::I16(i16::try_from(n.as_i64()?).ok()?),
        (SqlType::Int, J::Number(n)) => Value::I32(i32::try_from(n.as_i64()?).ok()?),
        (SqlType::BigInt, J::Number(n)) => Value::I64(n.as_i64()?),
        (SqlType::Real, J::String(s)) => Value::F32(s.parse().ok()?),
        (SqlType::Double, J::String(s)) => Value::F64(s.parse().ok()?),
        (SqlType::Decimal, J::String(s)) => Value::Decimal(s.parse().ok()?),
        (SqlType::Bytes, J::String(s)) => Value::Bytes(
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect::<Option<_>>()?,
        ),
        (_, J::String(s)) => Value::String(s.clone()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip() {
        for t in [
            SqlType::SmallInt,
            SqlType::Varchar(80),
            SqlType::TimestampTz,
            SqlType::Enum(&["a", "b c"]),
            SqlType::Decimal,
        ] {
            let (name, values) = type_name(t);
            assert_eq!(parse_type(&name, values), Some(t));
        }
        assert_eq!(parse_type("varchar(x)", Vec::new()), None);
    }

    #[test]
    fn defaults_render_the_same_after_a_round_trip() {
        let d = crate::backend::Dialect::Postgres.sql();
        for (t, v) in [
            (SqlType::Int, Value::I32(-3)),
            (SqlType::Bool, Value::Bool(true)),
            (SqlType::Real, Value::F32(0.1)),
            (SqlType::Text, Value::String("it's".into())),
            (SqlType::Bytes, Value::Bytes(vec![0, 255])),
        ] {
            let back = default_value(t, &default_json(&v)).expect("round trip");
            let (mut a, mut b) = (String::new(), String::new());
            d.literal(&v, &mut a);
            d.literal(&back, &mut b);
            assert_eq!(a, b);
        }
    }
}
