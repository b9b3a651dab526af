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
            if t.primary_key.is_empty() {
                let _ = write!(
                    out,
                    "\n// NOT MAPPED: table `{}` has no primary key, which a model needs; add one to map it.\n",
                    t.name
                );
                continue;
            }
            let fields = Fields::new(t, &names);
            for (c, _) in t.columns.iter().zip(&fields.0) {
                if let SqlType::Enum(labels) = c.sql_type {
                    write_enum(&mut out, &fields.enum_of(&c.name), labels);
                }
            }
            write_struct(&mut out, self, t, &names, &fields);
        }
        out
    }

    /// The tables `to_rust` leaves out (no primary key), each with why.
    pub fn unmappable_tables(&self) -> Vec<String> {
        self.tables
            .iter()
            .filter(|t| !t.join_table && t.primary_key.is_empty())
            .map(|t| format!("{}: no primary key", t.name))
            .collect()
    }
}

/// A table's field names, one per column in order: Rust case, never a
/// keyword, and unique (`Name` and `name` are `name` and `name_2`), with
/// the enum type each enum column gets (unique beside the struct names).
struct Fields(Vec<String>, Vec<(String, String)>);

impl Fields {
    fn new(t: &TableDef, names: &StructNames) -> Fields {
        let mut fields: Vec<String> = Vec::new();
        for c in &t.columns {
            let base = field_name(&c.name);
            let mut name = base.clone();
            let mut n = 2;
            while fields.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            fields.push(name);
        }
        let model = names.of(&t.name);
        let mut enums: Vec<(String, String)> = Vec::new();
        for (c, f) in t.columns.iter().zip(&fields) {
            if matches!(c.sql_type, SqlType::Enum(_)) {
                let mut name = format!("{model}{}", pascal(f));
                while names.0.iter().any(|(_, s)| *s == name) || enums.iter().any(|(_, e)| *e == name) {
                    name.push_str("Kind");
                }
                enums.push((c.name.clone(), name));
            }
        }
        Fields(fields, enums)
    }

    fn of(&self, t: &TableDef, column: &str) -> Option<&str> {
        t.columns
            .iter()
            .position(|c| c.name == column)
            .map(|i| self.0[i].as_str())
    }

    fn enum_of(&self, column: &str) -> String {
        self.1
            .iter()
            .find(|(c, _)| c == column)
            .map_or_else(|| "UnknownEnum".to_owned(), |(_, e)| e.clone())
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
            if name.is_empty() || name == "Self" {
                name.push_str("Table");
            }
            while out.iter().any(|(_, n)| *n == name) {
                name.push_str("Row");
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
    for (label, v) in labels.iter().zip(variants(labels)) {
        let _ = writeln!(out, "    #[serde(rename = {label:?})]\n    {v},");
    }
    out.push_str("}\n");
}

/// One variant per label, unique (`in-progress` and `in_progress` are
/// `InProgress` and `InProgress2`).
fn variants(labels: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in labels {
        let base = variant(label);
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

fn write_struct(out: &mut String, all: &Snapshot, t: &TableDef, names: &StructNames, fields: &Fields) {
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
    let field_list = |cols: &[String]| {
        cols.iter()
            .map(|c| fields.of(t, c).unwrap_or(c).to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for set in &t.unique_sets {
        let _ = write!(out, ", unique({})", field_list(set));
    }
    // A composite foreign key's own index comes with the association.
    let fk_index = |i: &Vec<String>| t.foreign_keys.iter().any(|f| f.columns == *i);
    for set in t.indexes.iter().filter(|i| i.len() > 1 && !fk_index(i)) {
        let _ = write!(out, ", index({})", field_list(set));
    }
    for c in &t.checks {
        let _ = write!(out, ", check = {:?}", c.sql);
    }
    out.push_str(")]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for (c, field) in t.columns.iter().zip(&fields.0) {
        let enum_type = fields.enum_of(&c.name);
        let mut attrs = column_attrs(t, c, &enum_type, fields);
        if *field != c.name {
            attrs.insert(0, format!("column = {:?}", c.name));
        }
        write_field(out, &attrs, field, &rust_type(c, &enum_type));
    }
    for (attrs, field, ty) in associations(all, t, names, fields) {
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
fn column_attrs(t: &TableDef, c: &ColumnDef, enum_type: &str, fields: &Fields) -> Vec<String> {
    let mut attrs = Vec::new();
    let in_key = t.primary_key.contains(&c.name);
    let integer = matches!(c.sql_type, SqlType::SmallInt | SqlType::Int | SqlType::BigInt);
    let by_convention = t.primary_key.len() == 1 && c.name == "id" && fields.of(t, "id") == Some("id");
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
    let foreign_key = t.foreign_keys.iter().any(|f| f.columns == [c.name.clone()]);
    if t.indexes.contains(&vec![c.name.clone()]) && !foreign_key {
        attrs.push("index".to_owned());
    }
    if let Some(v) = &c.default {
        match default_expr(v, c, enum_type) {
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

fn default_expr(v: &Value, c: &ColumnDef, enum_type: &str) -> Option<String> {
    Some(match (v, c.sql_type) {
        (Value::String(s), SqlType::Enum(labels)) if labels.contains(&s.as_str()) => {
            let at = labels.iter().position(|l| *l == s.as_str())?;
            format!("{enum_type}::{}", variants(labels)[at])
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

fn rust_type(c: &ColumnDef, enum_type: &str) -> String {
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
        SqlType::Enum(_) => enum_type.to_owned(),
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
    fields: &Fields,
) -> Vec<(Vec<String>, String, String)> {
    let mut out: Vec<(Vec<String>, String, String)> = Vec::new();
    let mut used: Vec<String> = fields.0.clone();
    // A table left out (no primary key) has no struct to point at.
    let mapped = |table: &str| all.tables.iter().any(|x| x.name == table && !x.primary_key.is_empty());
    let field_of = |table: &TableDef, column: &str| Fields::new(table, names).of(table, column).map(str::to_owned);
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
    // `foreign_key = "a"`, or `["a", "b"]` for a composite key.
    let key_attr = |keys: &[String]| match keys {
        [one] => format!("foreign_key = {one:?}"),
        many => format!("foreign_key = {many:?}"),
    };
    let key_fields = |table: &TableDef, fk: &super::def::ForeignKeyDef| -> Option<Vec<String>> {
        fk.columns.iter().map(|c| field_of(table, c)).collect()
    };
    for fk in &t.foreign_keys {
        let Some(keys) = key_fields(t, fk).filter(|_| mapped(&fk.ref_table)) else {
            continue;
        };
        let base = match keys.as_slice() {
            [one] => one.strip_suffix("_id").unwrap_or(one).to_owned(),
            _ => singular(&fk.ref_table),
        };
        let field = unique_name(field_name(&base));
        let mut attrs = vec![key_attr(&keys)];
        attrs.extend(actions(fk));
        out.push((attrs, field, format!("BelongsTo<{}>", names.of(&fk.ref_table))));
    }
    for child in all.tables.iter().filter(|c| !c.join_table && !c.primary_key.is_empty()) {
        let pointing: Vec<_> = child.foreign_keys.iter().filter(|f| f.ref_table == t.name).collect();
        for fk in &pointing {
            let Some(keys) = key_fields(child, fk) else {
                continue;
            };
            let one = child.uniques().contains(&fk.columns);
            let base = if one { singular(&child.name) } else { child.name.clone() };
            // Several keys to this table: `author_posts`, `editor_posts`.
            let first = &fk.columns[0];
            let base = if pointing.len() > 1 {
                format!("{}_{base}", first.strip_suffix("_id").unwrap_or(first))
            } else {
                base
            };
            let field = unique_name(field_name(&base));
            let kind = if one { "HasOne" } else { "HasMany" };
            out.push((
                vec![key_attr(&keys)],
                field,
                format!("{kind}<{}>", names.of(&child.name)),
            ));
        }
    }
    for join in all.tables.iter().filter(|j| j.join_table) {
        let Some(mine) = join.foreign_keys.iter().find(|f| f.ref_table == t.name) else {
            continue;
        };
        let Some(other) = join.foreign_keys.iter().find(|f| f.columns != mine.columns) else {
            continue;
        };
        if !mapped(&other.ref_table) {
            continue;
        }
        let field = unique_name(field_name(&other.ref_table));
        out.push((
            vec![
                format!("through = {:?}", join.name),
                format!("foreign_key = {:?}", mine.columns[0]),
                format!("other_key = {:?}", other.columns[0]),
            ],
            field,
            format!("BelongsToMany<{}>", names.of(&other.ref_table)),
        ));
    }
    out
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
