//! `Schema::check`: the models compared with the live database's catalog.

use crate::db::Executor;
use crate::dialect::{SqlDialect, Statement};
use crate::error::{Error, Result};
use crate::field::FieldType;
use crate::meta::{ColumnMeta, ModelMeta};
use crate::schema::Schema;
use crate::schema::def::{TableDef, foreign_keys, model_table};
use crate::value::SqlType;

/// One column as the catalog describes it.
struct LiveColumn {
    name: String,
    ty: String,
    nullable: bool,
}

impl Schema {
    /// Compare every model with the live catalog: a missing table or
    /// column, a column of another type (or varchar length), a nullability
    /// difference, enum labels other than the model's, a missing index,
    /// UNIQUE constraint or foreign key, or a
    /// UNIQUE constraint the model does not declare is listed in
    /// [`Error::SchemaMismatch`]. Extra columns and indexes in the database
    /// are allowed (the model may read a subset; an index may be a DBA's).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// let err = Schema::new().model::<User>().check(&db).await.unwrap_err();
    /// assert!(matches!(err, Error::SchemaMismatch { .. }));
    /// Schema::new().model::<User>().sync(&db).await?;
    /// Schema::new().model::<User>().check(&db).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn check<E: Executor + ?Sized>(&self, db: &E) -> Result<()> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        let mut problems = Vec::new();
        let fks = foreign_keys(&self.models);
        let tables: Vec<String> = self.models.iter().map(|m| m.table.to_owned()).collect();
        let catalog = super::Snapshot::introspect(db, &tables).await?.snapshot;
        for m in &self.models {
            let (sql, params) = d.introspect_schema(m.table);
            let live = conn
                .fetch(Statement { sql, params }, |r| {
                    Ok(LiveColumn {
                        name: String::decode(r, 0)?,
                        ty: String::decode(r, 1)?,
                        nullable: String::decode(r, 2)? == "YES",
                    })
                })
                .await?;
            compare(d, m, &live, &mut problems);
            if let Some(t) = catalog.tables.iter().find(|t| t.name == m.table) {
                compare_keys(&model_table(m, &fks), t, &mut problems);
                compare_labels(m, t, &mut problems);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::SchemaMismatch { problems })
        }
    }
}

fn compare(d: &dyn SqlDialect, m: &ModelMeta, live: &[LiveColumn], problems: &mut Vec<String>) {
    if live.is_empty() {
        problems.push(format!("table `{}` is missing", m.table));
        return;
    }
    for c in m.columns {
        let Some(l) = live.iter().find(|l| l.name == c.name) else {
            problems.push(format!("column `{}`.`{}` is missing", m.table, c.name));
            continue;
        };
        if !type_matches(d, c, &l.ty) {
            problems.push(format!(
                "column `{}`.`{}` is {}; the model's {} needs {}",
                m.table,
                c.name,
                l.ty.to_lowercase(),
                c.field,
                d.column_type(c.sql_type)
            ));
        }
        let nullable = c.nullable && !c.primary_key;
        if l.nullable != nullable {
            let (is, wants) = if l.nullable {
                ("nullable", "NOT NULL")
            } else {
                ("NOT NULL", "nullable")
            };
            problems.push(format!(
                "column `{}`.`{}` is {is}; the model's {} is {wants}",
                m.table, c.name, c.field
            ));
        }
    }
}

/// An enum column's labels (a CHECK's `IN` list, MySQL's ENUM) against the
/// model's `DbEnum`, as sets.
fn compare_labels(m: &ModelMeta, live: &TableDef, problems: &mut Vec<String>) {
    for c in m.columns {
        let SqlType::Enum(want) = c.sql_type else { continue };
        let Some(SqlType::Enum(have)) = live.columns.iter().find(|l| l.name == c.name).map(|l| l.sql_type) else {
            continue;
        };
        let sorted = |l: &[&str]| {
            let mut v: Vec<String> = l.iter().map(|s| (*s).to_owned()).collect();
            v.sort();
            v
        };
        if sorted(want) != sorted(have) {
            problems.push(format!(
                "column `{}`.`{}` allows {}; the model's {} has {}",
                m.table,
                c.name,
                have.join(", "),
                c.field,
                want.join(", ")
            ));
        }
    }
}

/// Indexes, UNIQUE constraints and foreign keys, by column: the model's
/// table against the one read from the catalog.
fn compare_keys(t: &TableDef, live: &TableDef, problems: &mut Vec<String>) {
    let unique = |column: &str| live.columns.iter().any(|c| c.name == column && c.unique);
    for c in t.columns.iter().filter(|c| c.unique) {
        if !unique(&c.name) {
            problems.push(format!(
                "column `{}`.`{}` has no UNIQUE constraint; the model's is unique",
                t.name, c.name
            ));
        }
    }
    for c in t
        .columns
        .iter()
        .filter(|c| !c.unique && !t.primary_key.contains(&c.name))
    {
        if unique(&c.name) {
            problems.push(format!(
                "column `{}`.`{}` has a UNIQUE constraint the model does not declare",
                t.name, c.name
            ));
        }
    }
    for c in &t.indexes {
        if !live.indexes.contains(c) && !unique(c) {
            problems.push(format!(
                "column `{}`.`{c}` has no index; the model's is indexed",
                t.name
            ));
        }
    }
    for fk in &t.foreign_keys {
        if !live.foreign_keys.iter().any(|l| l.column == fk.column) {
            problems.push(format!(
                "column `{}`.`{}` has no foreign key; the model's references `{}`",
                t.name, fk.column, fk.ref_table
            ));
        }
    }
}

/// `varchar(80)` against `Varchar(80)`; otherwise the base name alone.
fn type_matches(d: &dyn SqlDialect, c: &ColumnMeta, live: &str) -> bool {
    let live = live.to_ascii_lowercase();
    let (base, args) = match live.split_once('(') {
        Some((b, rest)) => (b.trim(), Some(rest.trim_end_matches(')').trim())),
        None => (live.trim(), None),
    };
    let base = base.split_whitespace().next().unwrap_or(base);
    if !d.type_names(c.sql_type).contains(&base) {
        return false;
    }
    match c.sql_type {
        SqlType::Varchar(n) => args.is_none_or(|a| a == n.to_string()),
        _ => true,
    }
}
