//! A [`Snapshot`](super::Snapshot)'s JSON form: tables, columns (types as
//! strings, defaults as JSON), foreign keys, and the conversions to and
//! from the owned [`TableDef`]s the schema code works on.

use super::def::{CheckDef, ColumnDef, ForeignKeyDef, TableDef};
use crate::error::{Error, Result};
use crate::value::{SqlType, Value};
use serde::{Deserialize, Serialize};

pub(crate) fn bad(message: String) -> Error {
    Error::Migration {
        message,
        kind: crate::error::MigrationErrorKind::Files,
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct SnapFile {
    pub format: u32,
    pub tables: Vec<SnapTable>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct SnapTable {
    name: String,
    columns: Vec<SnapColumn>,
    primary_key: Vec<String>,
    /// Single-column indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<String>,
    /// Multi-column indexes (`index(a, b)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    index_sets: Vec<Vec<String>>,
    /// Multi-column UNIQUE constraints (`unique(a, b)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unique_sets: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checks: Vec<SnapCheck>,
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
struct SnapCheck {
    name: String,
    sql: String,
}

/// A foreign key: `column` and `references: "table.column"` for one
/// column; `columns` and `references: "table(a, b)"` for a composite key.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SnapForeignKey {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    column: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    columns: Vec<String>,
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
            indexes: t
                .indexes
                .iter()
                .filter(|i| i.len() == 1)
                .map(|i| i[0].clone())
                .collect(),
            index_sets: t.indexes.iter().filter(|i| i.len() > 1).cloned().collect(),
            unique_sets: t.unique_sets.clone(),
            checks: t
                .checks
                .iter()
                .map(|c| SnapCheck {
                    name: c.name.clone(),
                    sql: c.sql.clone(),
                })
                .collect(),
            foreign_keys: t
                .foreign_keys
                .iter()
                .map(|f| SnapForeignKey {
                    column: match f.columns.as_slice() {
                        [one] => one.clone(),
                        _ => String::new(),
                    },
                    columns: if f.columns.len() > 1 {
                        f.columns.clone()
                    } else {
                        Vec::new()
                    },
                    references: match f.ref_columns.as_slice() {
                        [one] => format!("{}.{one}", f.ref_table),
                        many => format!("{}({})", f.ref_table, many.join(", ")),
                    },
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
                let unreadable = || {
                    bad(format!(
                        "schema snapshot: `{}` is not table.column or table(a, b)",
                        f.references
                    ))
                };
                let (table, ref_columns) = match f.references.split_once('(') {
                    Some((table, rest)) => {
                        let list = rest.strip_suffix(')').ok_or_else(unreadable)?;
                        (table, list.split(',').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
                    }
                    None => {
                        let (table, column) = f.references.split_once('.').ok_or_else(unreadable)?;
                        (table, vec![column.to_owned()])
                    }
                };
                let columns = if f.columns.is_empty() {
                    vec![f.column]
                } else {
                    f.columns
                };
                if columns.len() != ref_columns.len() {
                    return Err(unreadable());
                }
                Ok(ForeignKeyDef {
                    columns,
                    ref_table: table.to_owned(),
                    ref_columns,
                    on_delete: f.on_delete,
                    on_update: f.on_update,
                })
            })
            .collect::<Result<_>>()?;
        Ok(TableDef {
            name: t.name,
            columns,
            primary_key: t.primary_key,
            indexes: t.indexes.into_iter().map(|i| vec![i]).chain(t.index_sets).collect(),
            unique_sets: t.unique_sets,
            checks: t
                .checks
                .into_iter()
                .map(|c| CheckDef {
                    name: c.name,
                    sql: c.sql,
                })
                .collect(),
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
