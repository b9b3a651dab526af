//! `Schema`: CREATE TABLE (and friends) from models, for every dialect.
//! The models become owned table descriptions (`def.rs`), which `ddl.rs`
//! renders per dialect.

mod alter;
pub(crate) mod catalog;
mod check;
mod ddl;
pub(crate) mod def;
mod diff;
mod introspect;
mod lossy;
mod rust;
mod snapshot;
mod snapshot_file;

use crate::backend::Dialect;
use crate::db::Executor;
use crate::dialect::{SqlDialect, Statement};
use crate::error::Result;
use crate::meta::ModelMeta;
use crate::model::Model;
use ddl::{column_def, create_index, create_table};
use def::{foreign_keys, join_tables, model_table};

pub use alter::FOREIGN_KEYS_OFF;
pub use check::CheckReport;
pub use diff::ColumnRename;
pub use introspect::Introspection;
pub use lossy::MIGRATION_GUARD;
pub use snapshot::{SchemaDiff, Snapshot};

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
                    .filter(|fk| fk.table == m.table && fk.key.ref_table != m.table)
                    .all(|fk| {
                        let parent = fk.key.ref_table.as_str();
                        done.iter().any(|d| d.table == parent) || !left.iter().any(|l| l.table == parent)
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
            out.extend(create_table(d, &model_table(m, &fks), true));
        }
        for j in join_tables(&self.models) {
            out.extend(create_table(d, &j, true));
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

    /// Like [`sync`](Schema::sync), then add the columns, UNIQUE
    /// constraints (one column or `unique(a, b)`) and indexes that existing
    /// tables lack. Nothing is dropped; a table CHECK (`check = ".."`) on an
    /// existing table comes with a migration (`generate --auto`).
    pub async fn sync_alter<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        let fks = foreign_keys(&self.models);
        let names: Vec<String> = self.models.iter().map(|m| m.table.to_owned()).collect();
        // The catalog is read once; a table it lacks is created.
        let catalog = introspect::read(&conn, &names).await?;
        for m in self.ordered() {
            let table = model_table(m, &fks);
            let Some(live) = catalog.tables.iter().find(|t| t.name == m.table) else {
                for sql in create_table(d, &table, true) {
                    conn.execute(stmt(sql)).await?;
                }
                continue;
            };
            let has_column = |name: &str| catalog.columns.iter().any(|c| c.table == m.table && c.name == name);
            for c in table.columns.iter().filter(|c| !has_column(&c.name)) {
                let mut sql = String::from("ALTER TABLE ");
                d.quote_ident(m.table, &mut sql);
                sql.push_str(" ADD COLUMN ");
                column_def(d, &table, c, &mut sql);
                conn.execute(stmt(sql)).await?;
            }
            // UNIQUE constraints and indexes the live table lacks (by their columns).
            let live_uniques = live.uniques();
            for cols in table.uniques().iter().filter(|u| !live_uniques.contains(u)) {
                let name = table.unique_name(cols);
                conn.execute(stmt(create_index(d, m.table, &name, cols, true, false)))
                    .await?;
            }
            let wanted = table.indexes.iter().filter(|i| {
                let declared = match i.as_slice() {
                    [c] => m.column(c).is_some_and(|c| c.index),
                    _ => true,
                };
                declared && !live.indexes.contains(i) && !live_uniques.contains(i)
            });
            for cols in wanted {
                let name = table.index_name(cols);
                conn.execute(stmt(create_index(d, m.table, &name, cols, false, false)))
                    .await?;
            }
        }
        for j in join_tables(&self.models) {
            for sql in create_table(d, &j, true) {
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
            .map(|j| j.name.as_str())
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

fn stmt(sql: String) -> Statement {
    Statement {
        sql,
        params: Vec::new(),
    }
}
