//! DDL from [`TableDef`]s, for one dialect: CREATE TABLE (with keys,
//! unique and CHECK constraints, inline indexes where the dialect wants
//! them, foreign keys), CREATE INDEX, column definitions.

use super::def::{CheckDef, ColumnDef, ForeignKeyDef, TableDef};
use crate::dialect::SqlDialect;
use crate::value::SqlType;

/// The CREATE TABLE statement, then any CREATE INDEX statements (all
/// `IF NOT EXISTS` when `if_not_exists`, for `sync`; a migration wants
/// plain ones, which fail on a table already there).
pub(crate) fn create_table(d: &dyn SqlDialect, t: &TableDef, if_not_exists: bool) -> Vec<String> {
    let mut sql = String::from(if if_not_exists {
        "CREATE TABLE IF NOT EXISTS "
    } else {
        "CREATE TABLE "
    });
    d.quote_ident(&t.name, &mut sql);
    sql.push_str(" (\n");
    let mut parts: Vec<String> = Vec::new();
    for c in &t.columns {
        let mut def = String::from("  ");
        column_def(d, t, c, &mut def);
        parts.push(def);
    }
    if t.composite_pk() {
        let mut def = String::from("  PRIMARY KEY (");
        for (i, c) in t.primary_key.iter().enumerate() {
            if i > 0 {
                def.push_str(", ");
            }
            d.quote_ident(c, &mut def);
        }
        def.push(')');
        parts.push(def);
    }
    for u in t.uniques() {
        parts.push(format!("  {}", unique_def(d, t, &u)));
    }
    if d.caps().enum_check {
        for c in t.columns.iter().filter(|c| matches!(c.sql_type, SqlType::Enum(_))) {
            parts.push(format!("  {}", check_def(d, t, c)));
        }
    }
    for c in &t.checks {
        parts.push(format!("  {}", table_check_def(d, c)));
    }
    let inline_indexes = !d.caps().create_index_if_not_exists;
    if inline_indexes && !t.join_table {
        for columns in &t.indexes {
            let mut def = String::from("  INDEX ");
            d.quote_ident(&t.index_name(columns), &mut def);
            def.push(' ');
            column_list(d, columns, &mut def);
            parts.push(def);
        }
    }
    for fk in &t.foreign_keys {
        parts.push(foreign_key_def(d, t, fk));
    }
    sql.push_str(&parts.join(",\n"));
    sql.push_str("\n)");
    sql.push_str(d.table_options());
    let mut out = vec![sql];
    if !inline_indexes {
        for columns in &t.indexes {
            out.push(create_index(
                d,
                &t.name,
                &t.index_name(columns),
                columns,
                false,
                if_not_exists,
            ));
        }
    }
    out
}

/// `"name" TYPE [NOT NULL] [DEFAULT x] [PRIMARY KEY]`, or the auto key.
pub(crate) fn column_def(d: &dyn SqlDialect, t: &TableDef, c: &ColumnDef, out: &mut String) {
    d.quote_ident(&c.name, out);
    out.push(' ');
    let in_key = t.primary_key.contains(&c.name);
    if in_key && c.auto_increment {
        out.push_str(&d.auto_pk(c.sql_type));
        return;
    }
    out.push_str(&d.column_type(c.sql_type));
    if !c.nullable {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        out.push_str(" DEFAULT ");
        d.literal(default, out);
    } else if let Some(sql) = &c.default_sql {
        out.push_str(" DEFAULT ");
        d.default_sql(c.sql_type, sql, out);
    }
    if in_key && !t.composite_pk() {
        out.push_str(" PRIMARY KEY");
    }
}

/// `("a", "b")`, quoted.
fn column_list(d: &dyn SqlDialect, columns: &[String], out: &mut String) {
    out.push('(');
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        d.quote_ident(c, out);
    }
    out.push(')');
}

/// `CONSTRAINT t_a_b_key UNIQUE (a, b)`.
pub(crate) fn unique_def(d: &dyn SqlDialect, t: &TableDef, columns: &[String]) -> String {
    let mut def = String::from("CONSTRAINT ");
    d.quote_ident(&t.unique_name(columns), &mut def);
    def.push_str(" UNIQUE ");
    column_list(d, columns, &mut def);
    def
}

/// `CONSTRAINT t_check CHECK (condition)`: the model's SQL as written.
pub(crate) fn table_check_def(d: &dyn SqlDialect, c: &CheckDef) -> String {
    let mut def = String::from("CONSTRAINT ");
    d.quote_ident(&c.name, &mut def);
    def.push_str(" CHECK (");
    def.push_str(&c.sql);
    def.push(')');
    def
}

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (columns)`.
pub(crate) fn create_index(
    d: &dyn SqlDialect,
    table: &str,
    name: &str,
    columns: &[String],
    unique: bool,
    if_not_exists: bool,
) -> String {
    let mut sql = String::from(if unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if if_not_exists {
        sql.push_str("IF NOT EXISTS ");
    }
    d.quote_ident(name, &mut sql);
    sql.push_str(" ON ");
    d.quote_ident(table, &mut sql);
    sql.push(' ');
    column_list(d, columns, &mut sql);
    sql
}

fn action(a: &str) -> &'static str {
    match a.to_ascii_lowercase().as_str() {
        "cascade" => "CASCADE",
        "set null" => "SET NULL",
        "set default" => "SET DEFAULT",
        "no action" => "NO ACTION",
        _ => "RESTRICT",
    }
}

/// `CONSTRAINT name FOREIGN KEY (col) REFERENCES table (col) [actions]`.
pub(crate) fn foreign_key_def(d: &dyn SqlDialect, t: &TableDef, fk: &ForeignKeyDef) -> String {
    let mut def = String::from("  CONSTRAINT ");
    d.quote_ident(&t.foreign_key_name(&fk.columns), &mut def);
    def.push_str(" FOREIGN KEY ");
    column_list(d, &fk.columns, &mut def);
    def.push_str(" REFERENCES ");
    d.quote_ident(&fk.ref_table, &mut def);
    def.push(' ');
    column_list(d, &fk.ref_columns, &mut def);
    if let Some(a) = &fk.on_delete {
        def.push_str(" ON DELETE ");
        def.push_str(action(a));
    }
    if let Some(a) = &fk.on_update {
        def.push_str(" ON UPDATE ");
        def.push_str(action(a));
    }
    def
}

/// `CONSTRAINT t_c_check CHECK (c IN ('a', 'b'))`.
pub(crate) fn check_def(d: &dyn SqlDialect, t: &TableDef, c: &ColumnDef) -> String {
    let mut def = String::from("CONSTRAINT ");
    d.quote_ident(&t.check_name(&c.name), &mut def);
    def.push_str(" CHECK (");
    d.quote_ident(&c.name, &mut def);
    def.push_str(" IN (");
    if let SqlType::Enum(values) = c.sql_type {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                def.push_str(", ");
            }
            d.string_literal(v, &mut def);
        }
    }
    def.push_str("))");
    def
}
