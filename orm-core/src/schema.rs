//! `Schema`: CREATE TABLE (and friends) from models, for every dialect.

use crate::db::Executor;
use crate::dialect::{Dialect, SqlDialect, Statement};
use crate::error::Result;
use crate::meta::{AssocKind, ColumnMeta, ModelMeta};
use crate::model::Model;
use crate::value::SqlType;

/// A set of models whose tables can be created, altered or recreated.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, #[orm(unique)] email: String }
/// let ddl = Schema::new().model::<User>().to_sql(Dialect::Sqlite);
/// assert!(ddl.starts_with("CREATE TABLE IF NOT EXISTS `users`"));
/// ```
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct Schema {
    pub(crate) models: Vec<&'static ModelMeta>,
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Self {
        Schema::default()
    }

    /// Add a model's table. Add parents before children.
    pub fn model<M: Model>(mut self) -> Self {
        crate::meta::register(M::META);
        if !self.models.iter().any(|m| std::ptr::eq(*m, M::META)) {
            self.models.push(M::META);
        }
        self
    }

    /// The DDL for every table, separated by `;\n`.
    pub fn to_sql(&self, dialect: Dialect) -> String {
        let mut s = self.create_statements(dialect.sql()).join(";\n");
        s.push(';');
        s
    }

    /// Models in foreign-key order (referenced tables first).
    fn ordered(&self) -> Vec<&'static ModelMeta> {
        let fks = foreign_keys(&self.models);
        let mut done: Vec<&'static ModelMeta> = Vec::new();
        let mut left: Vec<&'static ModelMeta> = self.models.clone();
        while !left.is_empty() {
            let ready = left.iter().position(|m| {
                fks.iter()
                    .filter(|fk| fk.table == m.table && fk.ref_table != m.table)
                    .all(|fk| {
                        done.iter().any(|d| d.table == fk.ref_table) || !left.iter().any(|l| l.table == fk.ref_table)
                    })
            });
            // A cycle: keep the declared order for what remains.
            let i = ready.unwrap_or(0);
            done.push(left.remove(i));
        }
        done
    }

    fn create_statements(&self, d: &dyn SqlDialect) -> Vec<String> {
        let fks = foreign_keys(&self.models);
        let mut out = Vec::new();
        for m in self.ordered() {
            let own: Vec<&ForeignKey> = fks.iter().filter(|fk| fk.table == m.table).collect();
            out.extend(create_table(d, m, &own));
        }
        for j in join_tables(&self.models) {
            out.extend(create_join_table(d, &j));
        }
        out
    }

    /// `CREATE TABLE IF NOT EXISTS` for every model (and its indexes).
    pub async fn sync<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        for sql in self.create_statements(conn.dialect().sql()) {
            conn.execute(stmt(sql)).await?;
        }
        Ok(())
    }

    /// Like [`sync`](Schema::sync), then add the columns and indexes that
    /// existing tables lack. Nothing is dropped.
    pub async fn sync_alter<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        let fks = foreign_keys(&self.models);
        for m in self.ordered() {
            let (sql, params) = d.introspect_columns(m.table);
            let existing: Vec<String> = conn.fetch(Statement { sql, params }, String::decode_col).await?;
            if existing.is_empty() {
                let own: Vec<&ForeignKey> = fks.iter().filter(|fk| fk.table == m.table).collect();
                for sql in create_table(d, m, &own) {
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
        for j in join_tables(&self.models) {
            for sql in create_join_table(d, &j) {
                conn.execute(stmt(sql)).await?;
            }
        }
        Ok(())
    }

    /// Drop every table (children first) and create them again. Data is
    /// lost: for development and tests only.
    pub async fn sync_force<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        let joins = join_tables(&self.models);
        let ordered = self.ordered();
        let tables = joins
            .iter()
            .map(|j| j.name)
            .chain(ordered.iter().rev().map(|m| m.table));
        for table in tables {
            let mut sql = String::from("DROP TABLE IF EXISTS ");
            d.quote_ident(table, &mut sql);
            sql.push_str(d.drop_table_suffix());
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
    } else if let Some(sql) = c.default_sql {
        out.push_str(" DEFAULT ");
        out.push_str(sql);
    }
    if c.primary_key && !m.composite_pk() {
        out.push_str(" PRIMARY KEY");
    }
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

/// A foreign key an association implies.
#[derive(Debug, Clone)]
struct ForeignKey {
    table: &'static str,
    column: &'static str,
    ref_table: &'static str,
    ref_column: &'static str,
    on_delete: Option<&'static str>,
    on_update: Option<&'static str>,
}

/// Every foreign key implied by the models' associations, once per column.
fn foreign_keys(models: &[&'static ModelMeta]) -> Vec<ForeignKey> {
    let mut out: Vec<ForeignKey> = Vec::new();
    for m in models {
        for a in m.associations {
            let target = (a.target)();
            let fk = match a.kind {
                AssocKind::BelongsTo => ForeignKey {
                    table: m.table,
                    column: a.foreign_key,
                    ref_table: target.table,
                    ref_column: target.pk().name,
                    on_delete: a.on_delete,
                    on_update: a.on_update,
                },
                AssocKind::HasMany | AssocKind::HasOne => ForeignKey {
                    table: target.table,
                    column: a.foreign_key,
                    ref_table: m.table,
                    ref_column: m.pk().name,
                    on_delete: a.on_delete,
                    on_update: a.on_update,
                },
                AssocKind::BelongsToMany => continue,
            };
            match out.iter_mut().find(|f| f.table == fk.table && f.column == fk.column) {
                // Both sides declared it: an action given on either side counts.
                Some(existing) => {
                    existing.on_delete = existing.on_delete.or(fk.on_delete);
                    existing.on_update = existing.on_update.or(fk.on_update);
                }
                None => out.push(fk),
            }
        }
    }
    out
}

/// A belongs-to-many join table.
struct JoinTable {
    name: &'static str,
    left: (&'static str, &'static ModelMeta),
    right: (&'static str, &'static ModelMeta),
}

fn join_tables(models: &[&'static ModelMeta]) -> Vec<JoinTable> {
    let mut out: Vec<JoinTable> = Vec::new();
    for m in models {
        // A join table is created once both of its models are in the schema.
        let both = |a: &crate::meta::AssocMeta| models.iter().any(|o| std::ptr::eq(*o, (a.target)()));
        for a in m
            .associations
            .iter()
            .filter(|a| a.kind == AssocKind::BelongsToMany && both(a))
        {
            // A join table that is a model of its own (`through = PlaylistTrack`'s table) is that model's.
            let is_model = models.iter().any(|o| o.table == a.through);
            if !is_model && out.iter().all(|j| j.name != a.through) {
                out.push(JoinTable {
                    name: a.through,
                    left: (a.foreign_key, m),
                    right: (a.other_key, (a.target)()),
                });
            }
        }
    }
    out
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

fn foreign_key_def(d: &dyn SqlDialect, fk: &ForeignKey) -> String {
    let mut def = String::from("  CONSTRAINT ");
    d.quote_ident(&ModelMeta::foreign_key_name(fk.table, fk.column), &mut def);
    def.push_str(" FOREIGN KEY (");
    d.quote_ident(fk.column, &mut def);
    def.push_str(") REFERENCES ");
    d.quote_ident(fk.ref_table, &mut def);
    def.push_str(" (");
    d.quote_ident(fk.ref_column, &mut def);
    def.push(')');
    if let Some(a) = fk.on_delete {
        def.push_str(" ON DELETE ");
        def.push_str(action(a));
    }
    if let Some(a) = fk.on_update {
        def.push_str(" ON UPDATE ");
        def.push_str(action(a));
    }
    def
}

fn create_join_table(d: &dyn SqlDialect, j: &JoinTable) -> Vec<String> {
    let mut sql = String::from("CREATE TABLE IF NOT EXISTS ");
    d.quote_ident(j.name, &mut sql);
    sql.push_str(" (\n");
    let mut parts = Vec::new();
    for (col, m) in [j.left, j.right] {
        let mut def = String::from("  ");
        d.quote_ident(col, &mut def);
        def.push(' ');
        def.push_str(&d.column_type(m.pk().sql_type));
        def.push_str(" NOT NULL");
        parts.push(def);
    }
    let mut pk = String::from("  PRIMARY KEY (");
    d.quote_ident(j.left.0, &mut pk);
    pk.push_str(", ");
    d.quote_ident(j.right.0, &mut pk);
    pk.push(')');
    parts.push(pk);
    for (col, m) in [j.left, j.right] {
        let fk = ForeignKey {
            table: j.name,
            column: col,
            ref_table: m.table,
            ref_column: m.pk().name,
            on_delete: Some("cascade"),
            on_update: None,
        };
        parts.push(foreign_key_def(d, &fk));
    }
    sql.push_str(&parts.join(",\n"));
    sql.push_str("\n)");
    sql.push_str(d.table_options());
    let mut out = vec![sql];
    if d.caps().create_index_if_not_exists {
        // The composite key serves lookups by the left column; index the right one.
        let mut idx = String::from("CREATE INDEX IF NOT EXISTS ");
        d.quote_ident(&format!("{}_{}_idx", j.name, j.right.0), &mut idx);
        idx.push_str(" ON ");
        d.quote_ident(j.name, &mut idx);
        idx.push_str(" (");
        d.quote_ident(j.right.0, &mut idx);
        idx.push(')');
        out.push(idx);
    }
    out
}

/// The CREATE TABLE statement, then any CREATE INDEX statements.
fn create_table(d: &dyn SqlDialect, m: &ModelMeta, fks: &[&ForeignKey]) -> Vec<String> {
    let mut sql = String::from("CREATE TABLE IF NOT EXISTS ");
    d.quote_ident(m.table, &mut sql);
    sql.push_str(" (\n");
    let mut parts: Vec<String> = Vec::new();
    for c in m.columns {
        let mut def = String::from("  ");
        column_def(d, m, c, &mut def);
        parts.push(def);
    }
    if m.composite_pk() {
        let mut def = String::from("  PRIMARY KEY (");
        for (i, c) in m.pk_columns().enumerate() {
            if i > 0 {
                def.push_str(", ");
            }
            d.quote_ident(c.name, &mut def);
        }
        def.push(')');
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
    if d.caps().enum_check {
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
    // Foreign-key columns are indexed too: includes and joins look rows up by them.
    let indexed = |c: &&ColumnMeta| {
        (c.index || fks.iter().any(|fk| fk.column == c.name)) && !c.unique && !std::ptr::eq(*c, m.pk())
    };
    let inline_indexes = !d.caps().create_index_if_not_exists;
    if inline_indexes {
        for c in m.columns.iter().filter(indexed) {
            let mut def = String::from("  INDEX ");
            d.quote_ident(&m.index_name(c.name), &mut def);
            def.push_str(" (");
            d.quote_ident(c.name, &mut def);
            def.push(')');
            parts.push(def);
        }
    }
    for fk in fks {
        parts.push(foreign_key_def(d, fk));
    }
    sql.push_str(&parts.join(",\n"));
    sql.push_str("\n)");
    sql.push_str(d.table_options());
    let mut out = vec![sql];
    if !inline_indexes {
        for c in m.columns.iter().filter(indexed) {
            out.push(create_index(d, m, c, false, true));
        }
    }
    out
}
