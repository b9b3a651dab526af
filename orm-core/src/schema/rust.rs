//! [`Snapshot::to_rust`]: `#[derive(Model)]` source for tables read from a
//! database: one struct per table (join tables become `BelongsToMany` on
//! both sides), a `#[derive(DbEnum)]` per enum column, foreign keys as
//! `BelongsTo` plus the reverse `HasMany` (`HasOne` when the key is unique).

use super::def::{ColumnDef, TableDef};
use super::snapshot::Snapshot;
use crate::value::{SqlType, Value};
use std::fmt::Write;

impl Snapshot {
    /// The tables as `#[derive(Model)]` structs (and `#[derive(DbEnum)]`
    /// enums), ready to paste into a crate with orm-core, serde and the
    /// chrono/uuid/serde_json/rust_decimal crates the column types need.
    /// Names are converted to Rust case, with `column = ".."` where the
    /// column's name is not the field's. See [`Snapshot::introspect`].
    pub fn to_rust(&self) -> String {
        let names = StructNames::new(&self.tables);
        let mut out = String::from(
            "//! Models read from the database by `orm-migrate introspect`: review\n\
             //! the names, types and associations before relying on them.\n\n\
             use orm_core::prelude::*;\n",
        );
        for t in self.tables.iter().filter(|t| !t.join_table) {
            let name = names.of(&t.name);
            for c in &t.columns {
                if let SqlType::Enum(labels) = c.sql_type {
                    write_enum(&mut out, &enum_name(name, &c.name), labels);
                }
            }
            write_struct(&mut out, self, t, &names);
        }
        out
    }
}

/// Struct names by table: singular PascalCase, unique.
struct StructNames(Vec<(String, String)>);

impl StructNames {
    fn new(tables: &[TableDef]) -> StructNames {
        let mut out: Vec<(String, String)> = Vec::new();
        for t in tables {
            let mut name = pascal(&singular(&t.name));
            if out.iter().any(|(_, n)| *n == name) {
                name = pascal(&t.name);
            }
            out.push((t.name.clone(), name));
        }
        StructNames(out)
    }

    fn of(&self, table: &str) -> &str {
        self.0
            .iter()
            .find(|(t, _)| t == table)
            .map_or("Unknown", |(_, n)| n.as_str())
    }
}

fn write_enum(out: &mut String, name: &str, labels: &[&str]) {
    out.push_str("\n#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]\n");
    let _ = writeln!(out, "pub enum {name} {{");
    for label in labels {
        let _ = writeln!(out, "    #[serde(rename = {label:?})]\n    {},", variant(label));
    }
    out.push_str("}\n");
}

fn write_struct(out: &mut String, all: &Snapshot, t: &TableDef, names: &StructNames) {
    let name = names.of(&t.name);
    let managed = ["created_at", "updated_at"].iter().all(|n| {
        t.columns
            .iter()
            .any(|c| c.name == *n && c.sql_type == SqlType::TimestampTz && !c.nullable)
    });
    out.push_str("\n#[derive(Model, Debug, Clone)]\n");
    let _ = write!(out, "#[orm(table = {:?}", t.name);
    if !managed {
        out.push_str(", timestamps = false");
    }
    out.push_str(")]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    let mut fields: Vec<String> = Vec::new();
    for c in &t.columns {
        let field = field_name(&c.name);
        let mut attrs = column_attrs(t, c, name);
        if field != c.name {
            attrs.insert(0, format!("column = {:?}", c.name));
        }
        write_field(out, &attrs, &field, &rust_type(c, name));
        fields.push(field);
    }
    for (attrs, field, ty) in associations(all, t, names, &fields) {
        write_field(out, &attrs, &field, &ty);
    }
    out.push_str("}\n");
}

fn write_field(out: &mut String, attrs: &[String], field: &str, ty: &str) {
    if !attrs.is_empty() {
        let _ = writeln!(out, "    #[orm({})]", attrs.join(", "));
    }
    let _ = writeln!(out, "    pub {field}: {ty},");
}

/// `primary_key`, `auto_increment = false`, `length`, `text`, `unique`,
/// `index`, `default`, `default_sql`.
fn column_attrs(t: &TableDef, c: &ColumnDef, model: &str) -> Vec<String> {
    let mut attrs = Vec::new();
    let in_key = t.primary_key.contains(&c.name);
    let integer = matches!(c.sql_type, SqlType::SmallInt | SqlType::Int | SqlType::BigInt);
    let by_convention = t.primary_key.len() == 1 && c.name == "id";
    if in_key && !by_convention {
        attrs.push("primary_key".to_owned());
    }
    if in_key && t.primary_key.len() == 1 && integer && !c.auto_increment {
        attrs.push("auto_increment = false".to_owned());
    }
    match c.sql_type {
        SqlType::Varchar(n) => attrs.push(format!("length = {n}")),
        SqlType::Text => attrs.push("text".to_owned()),
        _ => {}
    }
    if c.unique {
        attrs.push("unique".to_owned());
    }
    let foreign_key = t.foreign_keys.iter().any(|f| f.column == c.name);
    if t.indexes.contains(&c.name) && !foreign_key {
        attrs.push("index".to_owned());
    }
    if let Some(v) = &c.default {
        match default_expr(v, c, model) {
            Some(expr) => attrs.push(format!("default = {expr}")),
            // A constant Rust cannot write as a literal (a date, a UUID, a
            // decimal): the database's own default, as standard SQL.
            None => {
                let sql = match (v, crate::dialect::literal_text(v)) {
                    (Value::Decimal(n), _) => n.to_string(),
                    (_, Some(text)) => format!("'{}'", text.replace('\'', "''")),
                    _ => String::new(),
                };
                if !sql.is_empty() {
                    attrs.push(format!("default_sql = {sql:?}"));
                }
            }
        }
    } else if let Some(sql) = &c.default_sql {
        attrs.push(format!("default_sql = {sql:?}"));
    }
    attrs
}

fn default_expr(v: &Value, c: &ColumnDef, model: &str) -> Option<String> {
    Some(match (v, c.sql_type) {
        (Value::String(s), SqlType::Enum(labels)) if labels.contains(&s.as_str()) => {
            format!("{}::{}", enum_name(model, &c.name), variant(s))
        }
        (Value::String(s), SqlType::Text | SqlType::Varchar(_)) => format!("{s:?}"),
        (Value::I16(n), _) => n.to_string(),
        (Value::I32(n), _) => n.to_string(),
        (Value::I64(n), _) => n.to_string(),
        (Value::F32(n), _) => format!("{n:?}"),
        (Value::F64(n), _) => format!("{n:?}"),
        (Value::Bool(b), _) => b.to_string(),
        _ => return None,
    })
}

fn rust_type(c: &ColumnDef, model: &str) -> String {
    let base = match c.sql_type {
        SqlType::SmallInt => "i16".to_owned(),
        SqlType::Int => "i32".to_owned(),
        SqlType::BigInt => "i64".to_owned(),
        SqlType::Real => "f32".to_owned(),
        SqlType::Double => "f64".to_owned(),
        SqlType::Bool => "bool".to_owned(),
        SqlType::Varchar(_) | SqlType::Text => "String".to_owned(),
        SqlType::Bytes => "Vec<u8>".to_owned(),
        SqlType::TimestampTz => "chrono::DateTime<chrono::Utc>".to_owned(),
        SqlType::Timestamp => "chrono::NaiveDateTime".to_owned(),
        SqlType::Date => "chrono::NaiveDate".to_owned(),
        SqlType::Time => "chrono::NaiveTime".to_owned(),
        SqlType::Uuid => "uuid::Uuid".to_owned(),
        SqlType::Json => "serde_json::Value".to_owned(),
        SqlType::Decimal => "rust_decimal::Decimal".to_owned(),
        SqlType::Enum(_) => enum_name(model, &c.name),
    };
    if c.nullable { format!("Option<{base}>") } else { base }
}

/// Association fields of table `t`: `BelongsTo` for its foreign keys,
/// `HasMany`/`HasOne` for the keys that point at it, `BelongsToMany`
/// through the join tables it is part of.
fn associations(
    all: &Snapshot,
    t: &TableDef,
    names: &StructNames,
    taken: &[String],
) -> Vec<(Vec<String>, String, String)> {
    let mut out: Vec<(Vec<String>, String, String)> = Vec::new();
    let mut used: Vec<String> = taken.to_vec();
    let mut unique_name = |base: String| {
        let mut name = base;
        while used.contains(&name) {
            name.push_str("_rel");
        }
        used.push(name.clone());
        name
    };
    let actions = |fk: &super::def::ForeignKeyDef| -> Vec<String> {
        let on_delete = fk.on_delete.iter().map(|a| format!("on_delete = {a:?}"));
        on_delete
            .chain(fk.on_update.iter().map(|a| format!("on_update = {a:?}")))
            .collect()
    };
    for fk in &t.foreign_keys {
        let base = fk.column.strip_suffix("_id").unwrap_or(&fk.column);
        let field = unique_name(field_name(base));
        let mut attrs = vec![format!("foreign_key = {:?}", fk.column)];
        attrs.extend(actions(fk));
        out.push((attrs, field, format!("BelongsTo<{}>", names.of(&fk.ref_table))));
    }
    for child in all.tables.iter().filter(|c| !c.join_table) {
        let pointing: Vec<_> = child.foreign_keys.iter().filter(|f| f.ref_table == t.name).collect();
        for fk in &pointing {
            let one = child.columns.iter().any(|c| c.name == fk.column && c.unique);
            let base = if one { singular(&child.name) } else { child.name.clone() };
            // Several keys to this table: `author_posts`, `editor_posts`.
            let base = if pointing.len() > 1 {
                format!("{}_{base}", fk.column.strip_suffix("_id").unwrap_or(&fk.column))
            } else {
                base
            };
            let field = unique_name(field_name(&base));
            let kind = if one { "HasOne" } else { "HasMany" };
            out.push((
                vec![format!("foreign_key = {:?}", fk.column)],
                field,
                format!("{kind}<{}>", names.of(&child.name)),
            ));
        }
    }
    for join in all.tables.iter().filter(|j| j.join_table) {
        let Some(mine) = join.foreign_keys.iter().find(|f| f.ref_table == t.name) else {
            continue;
        };
        let Some(other) = join.foreign_keys.iter().find(|f| f.column != mine.column) else {
            continue;
        };
        let field = unique_name(field_name(&other.ref_table));
        out.push((
            vec![
                format!("through = {:?}", join.name),
                format!("foreign_key = {:?}", mine.column),
                format!("other_key = {:?}", other.column),
            ],
            field,
            format!("BelongsToMany<{}>", names.of(&other.ref_table)),
        ));
    }
    out
}

/// `UserRole` for `users.role`.
fn enum_name(model: &str, column: &str) -> String {
    format!("{model}{}", pascal(column))
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "try", "type", "unsafe", "use", "where", "while", "yield",
];

/// A snake_case Rust identifier for a column name (`Created At` ->
/// `created_at`, `type` -> `type_`).
fn field_name(column: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in column.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let mut out = out.trim_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "c_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `blog_posts` -> `BlogPosts`.
fn pascal(name: &str) -> String {
    let mut out = String::new();
    for part in field_name(name).split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// An enum variant for a label (`in-progress` -> `InProgress`).
fn variant(label: &str) -> String {
    let v = pascal(label);
    if v.is_empty() { "Empty".to_owned() } else { v }
}

/// English plural to singular, for table names (`categories` -> `category`).
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "shes", "ches", "xes"] {
        if name.ends_with(suffix) {
            return name[..name.len() - 2].to_owned();
        }
    }
    if ["ss", "us", "is"].iter().any(|s| name.ends_with(s)) {
        return name.to_owned();
    }
    match name.strip_suffix('s') {
        Some(stem) if !stem.is_empty() => stem.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(field_name("CreatedAt"), "created_at");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("2fa code"), "c_2fa_code");
        assert_eq!(pascal("blog_posts"), "BlogPosts");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("users"), "user");
        assert_eq!(singular("status"), "status");
        assert_eq!(variant("in-progress"), "InProgress");
    }
}
