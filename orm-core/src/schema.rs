//! `Schema`: CREATE TABLE (and friends) from models, for every dialect.

use crate::dialect::{Dialect, SqlDialect, Statement};
use crate::error::Result;
use crate::exec::Executor;
use crate::model::{ColumnMeta, Model, ModelMeta};
use crate::value::SqlType;

/// A set of models whose tables can be created, altered or recreated.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, #[orm(unique)] email: String }
/// let ddl = Schema::new().model::<User>().to_sql(Dialect::Sqlite);
/// assert!(ddl.starts_with(r#"CREATE TABLE IF NOT EXISTS "users""#));
/// ```
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct Schema {
    models: Vec<&'static ModelMeta>,
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Self {
        Schema::default()
    }

    /// Add a model's table. Add parents before children.
    pub fn model<M: Model>(mut self) -> Self {
        crate::model::register(M::META);
        if !self.models.iter().any(|m| std::ptr::eq(*m, M::META)) {
            self.models.push(M::META);
        }
        self
    }

    /// The DDL for every table, separated by `;\n`.
    pub fn to_sql(&self, dialect: Dialect) -> String {
        let d = dialect.sql();
        let mut out: Vec<String> = Vec::new();
        for m in &self.models {
            out.extend(create_table(d, m));
        }
        let mut s = out.join(";\n");
        s.push(';');
        s
    }

    /// `CREATE TABLE IF NOT EXISTS` for every model (and its indexes).
    pub async fn sync<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        for m in &self.models {
            for sql in create_table(d, m) {
                conn.execute(stmt(sql)).await?;
            }
        }
        Ok(())
    }

    /// Like [`sync`](Schema::sync), then add the columns and indexes that
    /// existing tables lack. Nothing is dropped.
    pub async fn sync_alter<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        for m in &self.models {
            let (sql, params) = d.introspect_columns(m.table);
            let existing: Vec<String> = conn.fetch(Statement { sql, params }, String::decode_col).await?;
            if existing.is_empty() {
                for sql in create_table(d, m) {
                    conn.execute(stmt(sql)).await?;
                }
                continue;
            }
            for c in m.columns.iter().filter(|c| !existing.iter().any(|e| e == c.name)) {
                let mut sql = String::from("ALTER TABLE ");
                d.quote_ident(m.table, &mut sql);
                sql.push_str(" ADD COLUMN ");
                column_def(d, m, c, &mut sql);
                conn.execute(stmt(sql)).await?;
            }
            let (sql, params) = d.introspect_indexes(m.table);
            let indexes: Vec<String> = conn.fetch(Statement { sql, params }, String::decode_col).await?;
            for c in m.columns.iter().filter(|c| !c.primary_key) {
                if c.unique && !indexes.contains(&m.unique_constraint_name(c.name)) {
                    conn.execute(stmt(create_index(d, m, c, true, false))).await?;
                }
                if c.index && !indexes.contains(&m.index_name(c.name)) {
                    conn.execute(stmt(create_index(d, m, c, false, false))).await?;
                }
            }
        }
        Ok(())
    }

    /// Drop every table (children first) and create them again. Data is
    /// lost: for development and tests only.
    pub async fn sync_force<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        for m in self.models.iter().rev() {
            let mut sql = String::from("DROP TABLE IF EXISTS ");
            d.quote_ident(m.table, &mut sql);
            conn.execute(stmt(sql)).await?;
        }
        self.sync(db).await
    }
}

trait DecodeCol: Sized {
    fn decode_col(r: crate::row::RowRef<'_>) -> Result<Self>;
}

impl DecodeCol for String {
    fn decode_col(r: crate::row::RowRef<'_>) -> Result<Self> {
        <String as crate::field::FieldType>::decode(r, 0)
    }
}

fn stmt(sql: String) -> Statement {
    Statement {
        sql,
        params: Vec::new(),
    }
}

/// `"name" TYPE [NOT NULL] [DEFAULT x]` or the auto primary key.
fn column_def(d: &dyn SqlDialect, m: &ModelMeta, c: &ColumnMeta, out: &mut String) {
    d.quote_ident(c.name, out);
    out.push(' ');
    if c.primary_key && c.auto_increment {
        out.push_str(&d.auto_pk(c.sql_type));
        return;
    }
    out.push_str(&d.column_type(c.sql_type));
    if !c.nullable {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = c.default {
        out.push_str(" DEFAULT ");
        d.literal(&default(), out);
    }
    if c.primary_key {
        out.push_str(" PRIMARY KEY");
    }
    let _ = m;
}

fn create_index(d: &dyn SqlDialect, m: &ModelMeta, c: &ColumnMeta, unique: bool, if_not_exists: bool) -> String {
    let mut sql = String::from(if unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if if_not_exists {
        sql.push_str("IF NOT EXISTS ");
    }
    let name = if unique {
        m.unique_constraint_name(c.name)
    } else {
        m.index_name(c.name)
    };
    d.quote_ident(&name, &mut sql);
    sql.push_str(" ON ");
    d.quote_ident(m.table, &mut sql);
    sql.push_str(" (");
    d.quote_ident(c.name, &mut sql);
    sql.push(')');
    sql
}

/// The CREATE TABLE statement, then any CREATE INDEX statements.
pub(crate) fn create_table(d: &dyn SqlDialect, m: &ModelMeta) -> Vec<String> {
    let mut sql = String::from("CREATE TABLE IF NOT EXISTS ");
    d.quote_ident(m.table, &mut sql);
    sql.push_str(" (\n");
    let mut parts: Vec<String> = Vec::new();
    for c in m.columns {
        let mut def = String::from("  ");
        column_def(d, m, c, &mut def);
        parts.push(def);
    }
    for c in m.columns.iter().filter(|c| c.unique && !c.primary_key) {
        let mut def = String::from("  CONSTRAINT ");
        d.quote_ident(&m.unique_constraint_name(c.name), &mut def);
        def.push_str(" UNIQUE (");
        d.quote_ident(c.name, &mut def);
        def.push(')');
        parts.push(def);
    }
    if d.enum_needs_check() {
        for c in m.columns {
            if let SqlType::Enum(values) = c.sql_type {
                let mut def = String::from("  CONSTRAINT ");
                d.quote_ident(&m.check_name(c.name), &mut def);
                def.push_str(" CHECK (");
                d.quote_ident(c.name, &mut def);
                def.push_str(" IN (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        def.push_str(", ");
                    }
                    d.string_literal(v, &mut def);
                }
                def.push_str("))");
                parts.push(def);
            }
        }
    }
    let inline_indexes = !d.create_index_if_not_exists();
    if inline_indexes {
        for c in m.columns.iter().filter(|c| c.index && !c.unique && !c.primary_key) {
            let mut def = String::from("  INDEX ");
            d.quote_ident(&m.index_name(c.name), &mut def);
            def.push_str(" (");
            d.quote_ident(c.name, &mut def);
            def.push(')');
            parts.push(def);
        }
    }
    sql.push_str(&parts.join(",\n"));
    sql.push_str("\n)");
    sql.push_str(d.table_options());
    let mut out = vec![sql];
    if !inline_indexes {
        for c in m.columns.iter().filter(|c| c.index && !c.unique && !c.primary_key) {
            out.push(create_index(d, m, c, false, true));
        }
    }
    out
}
