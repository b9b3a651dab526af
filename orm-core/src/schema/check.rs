//! `Schema::check`: the models compared with the live database's catalog.

use super::Schema;
use super::def::{ColumnDef, TableDef, foreign_keys, model_table};
use super::introspect::{LiveColumn, read};
use crate::db::Executor;
use crate::dialect::SqlDialect;
use crate::error::{Error, Result};
use crate::meta::ModelMeta;
use crate::value::SqlType;

/// What [`Schema::check_report`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckReport {
    /// Differences the models cannot live with: what
    /// [`Schema::check`] fails with, one sentence each.
    pub problems: Vec<String>,
    /// What the database has beyond the models that does not break them:
    /// a nullable (or defaulted) column no model reads, an index no model
    /// declares. Listed, not failed.
    pub extras: Vec<String>,
}

impl Schema {
    /// Compare every model with the live catalog: a missing table or
    /// column, a column of another type (or varchar length), a nullability
    /// difference, another DEFAULT, enum labels other than the model's, a
    /// missing index, UNIQUE constraint or foreign key, a foreign key to
    /// another table or column or with other ON DELETE/ON UPDATE actions, a
    /// UNIQUE constraint the model does not declare, or a NOT NULL column
    /// without a default that the model lacks (every insert would fail) is
    /// listed in [`Error::SchemaMismatch`]. Other extra columns and indexes
    /// are allowed (the model may read a subset; an index may be a DBA's):
    /// [`check_report`](Schema::check_report) lists them, and `check` logs
    /// them as `tracing` warnings.
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
        let report = self.check_report(db).await?;
        for extra in &report.extras {
            tracing::warn!(target: "orm::schema", "{extra}");
        }
        if report.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::SchemaMismatch {
                problems: report.problems,
            })
        }
    }

    /// What [`check`](Schema::check) compares, as a report: the problems
    /// `check` fails with, and the extras it allows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// Schema::new().model::<User>().sync(&db).await?;
    /// raw("ALTER TABLE users ADD COLUMN nickname TEXT").execute(&db).await?;
    /// let report = Schema::new().model::<User>().check_report(&db).await?;
    /// assert!(report.problems.is_empty());
    /// assert_eq!(report.extras.len(), 1, "{:?}", report.extras);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn check_report<E: Executor + ?Sized>(&self, db: &E) -> Result<CheckReport> {
        let conn = db.__conn();
        let d = conn.dialect().sql();
        let mut report = CheckReport::default();
        let fks = foreign_keys(&self.models);
        let tables: Vec<String> = self.models.iter().map(|m| m.table.to_owned()).collect();
        // The catalog is read once, for every table at a time.
        let catalog = read(&conn, &tables).await?;
        for m in &self.models {
            let live: Vec<&LiveColumn> = catalog.columns.iter().filter(|c| c.table == m.table).collect();
            let Some(t) = catalog.tables.iter().find(|t| t.name == m.table) else {
                report.problems.push(format!("table `{}` is missing", m.table));
                continue;
            };
            compare(d, m, &live, t, &mut report.problems);
            let model = model_table(m, &fks);
            compare_keys(&model, t, &mut report.problems);
            compare_labels(m, t, &mut report.problems);
            compare_defaults(d, &model, t, &mut report.problems);
            extras(&model, t, &live, &mut report);
        }
        Ok(report)
    }
}

fn compare(d: &dyn SqlDialect, m: &ModelMeta, live: &[&LiveColumn], t: &TableDef, problems: &mut Vec<String>) {
    for c in m.columns {
        let Some(l) = live.iter().find(|l| l.name == c.name) else {
            problems.push(format!("column `{}`.`{}` is missing", m.table, c.name));
            continue;
        };
        let mapped = t.columns.iter().find(|def| def.name == c.name);
        if !mapped.is_some_and(|def| same_type(d, c.sql_type, def.sql_type)) {
            problems.push(format!(
                "column `{}`.`{}` is {}; the model's {} needs {}",
                m.table,
                c.name,
                l.raw_type.to_lowercase(),
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

/// Whether a catalog column holds the model's type: both enums (their
/// labels are compared apart), or the same column type as DDL writes it
/// (`VARCHAR(80)` against `VARCHAR(80)`; JSON and JSONB both `JSONB`).
fn same_type(d: &dyn SqlDialect, model: SqlType, live: SqlType) -> bool {
    matches!((model, live), (SqlType::Enum(_), SqlType::Enum(_))) || d.column_type(model) == d.column_type(live)
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
    let live_uniques = live.uniques();
    for set in &t.unique_sets {
        if !live_uniques.contains(set) {
            problems.push(format!(
                "columns `{}`.({}) have no UNIQUE constraint; the model declares unique({})",
                t.name,
                set.join(", "),
                set.join(", ")
            ));
        }
    }
    for set in live.unique_sets.iter().filter(|s| !t.unique_sets.contains(s)) {
        problems.push(format!(
            "columns `{}`.({}) have a UNIQUE constraint the model does not declare",
            t.name,
            set.join(", ")
        ));
    }
    for cols in &t.indexes {
        // A unique constraint on the same columns serves as their index.
        if !live.indexes.contains(cols) && !live_uniques.contains(cols) {
            match cols.as_slice() {
                [c] => problems.push(format!(
                    "column `{}`.`{c}` has no index; the model's is indexed",
                    t.name
                )),
                _ => problems.push(format!(
                    "columns `{}`.({}) have no index; the model declares index({})",
                    t.name,
                    cols.join(", "),
                    cols.join(", ")
                )),
            }
        }
    }
    for c in &t.checks {
        if !live.checks.iter().any(|l| l.name == c.name) {
            problems.push(format!(
                "table `{}` has no CHECK constraint `{}`; the model's checks {}",
                t.name, c.name, c.sql
            ));
        }
    }
    for l in live
        .checks
        .iter()
        .filter(|l| !t.checks.iter().any(|c| c.name == l.name))
    {
        problems.push(format!(
            "table `{}` has a CHECK constraint `{}` ({}) the model does not declare",
            t.name, l.name, l.sql
        ));
    }
    for fk in &t.foreign_keys {
        let cols = fk.columns.join("`, `");
        let Some(l) = live.foreign_keys.iter().find(|l| l.columns == fk.columns) else {
            problems.push(format!(
                "column `{}`.`{cols}` has no foreign key; the model's references `{}`",
                t.name, fk.ref_table
            ));
            continue;
        };
        if (&l.ref_table, &l.ref_columns) != (&fk.ref_table, &fk.ref_columns) {
            problems.push(format!(
                "column `{}`.`{cols}` references `{}`.`{}`; the model's references `{}`.`{}`",
                t.name,
                l.ref_table,
                l.ref_columns.join("`, `"),
                fk.ref_table,
                fk.ref_columns.join("`, `")
            ));
        }
        for (what, have, want) in [
            ("ON DELETE", &l.on_delete, &fk.on_delete),
            ("ON UPDATE", &l.on_update, &fk.on_update),
        ] {
            if action(have) != action(want) {
                problems.push(format!(
                    "the foreign key of `{}`.`{cols}` has {what} {}; the model's has {what} {}",
                    t.name,
                    action(have),
                    action(want)
                ));
            }
        }
    }
}

/// A referential action as one spelling: none, NO ACTION and RESTRICT all
/// refuse (they differ only in when the check runs).
fn action(a: &Option<String>) -> String {
    match a.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("no action" | "restrict" | "") => "NO ACTION".to_owned(),
        Some(other) => other.to_ascii_uppercase(),
    }
}

/// A column's default as comparable text: a constant as the dialect's
/// literal, a database-computed one (`CURRENT_TIMESTAMP`, which each
/// catalog spells its own way) only as present.
#[derive(PartialEq)]
enum DefaultIs {
    None,
    Constant(String),
    Computed,
}

fn default_of(d: &dyn SqlDialect, c: &ColumnDef) -> DefaultIs {
    match (&c.default, &c.default_sql) {
        (Some(v), _) => {
            let mut s = String::new();
            d.literal(v, &mut s);
            DefaultIs::Constant(s)
        }
        (None, Some(_)) => DefaultIs::Computed,
        (None, None) => DefaultIs::None,
    }
}

/// Column DEFAULTs: a constant that differs, or one side without a default.
fn compare_defaults(d: &dyn SqlDialect, t: &TableDef, live: &TableDef, problems: &mut Vec<String>) {
    for c in t.columns.iter().filter(|c| !c.auto_increment) {
        let Some(l) = live.columns.iter().find(|l| l.name == c.name) else {
            continue;
        };
        let (want, have) = (default_of(d, c), default_of(d, l));
        let differs = match (&want, &have) {
            (DefaultIs::Constant(a), DefaultIs::Constant(b)) => a != b,
            // A constant the catalog parser does not read back (a JSON or
            // date literal) is kept as SQL: only its presence is compared.
            (DefaultIs::Constant(_) | DefaultIs::Computed, DefaultIs::Constant(_) | DefaultIs::Computed) => false,
            (DefaultIs::None, DefaultIs::None) => false,
            _ => true,
        };
        if differs {
            let say = |x: &DefaultIs| match x {
                DefaultIs::None => "no default".to_owned(),
                DefaultIs::Constant(s) => format!("DEFAULT {s}"),
                DefaultIs::Computed => "a computed default".to_owned(),
            };
            problems.push(format!(
                "column `{}`.`{}` has {}; the model's has {}",
                t.name,
                c.name,
                say(&have),
                say(&want)
            ));
        }
    }
}

/// Columns and indexes the database has beyond the model: a NOT NULL
/// column without a default breaks every insert (a problem); the rest are
/// listed.
fn extras(t: &TableDef, live: &TableDef, columns: &[&LiveColumn], report: &mut CheckReport) {
    for l in columns.iter().filter(|l| !t.columns.iter().any(|c| c.name == l.name)) {
        // Not in the catalog's description: a generated column, or a type
        // introspection leaves out; listed, never judged.
        let def = live.columns.iter().find(|c| c.name == l.name);
        let defaulted = def.is_none_or(|c| c.auto_increment || c.default.is_some() || c.default_sql.is_some());
        if !l.nullable && !defaulted {
            report.problems.push(format!(
                "column `{}`.`{}` is NOT NULL without a default, and no model field writes it: every insert fails",
                t.name, l.name
            ));
        } else {
            report.extras.push(format!(
                "column `{}`.`{}` is not in the model (it is {})",
                t.name,
                l.name,
                if l.nullable { "nullable" } else { "defaulted" }
            ));
        }
    }
    let uniques = t.uniques();
    for i in live.indexes.iter().filter(|i| !t.indexes.contains(i)) {
        let foreign_key = t.foreign_keys.iter().any(|f| i.starts_with(&f.columns));
        if uniques.contains(i) || foreign_key {
            continue; // MySQL's own index of a unique or foreign-key column
        }
        report.extras.push(match i.as_slice() {
            [c] => format!("column `{}`.`{c}` has an index the model does not declare", t.name),
            _ => format!(
                "columns `{}`.({}) have an index the model does not declare",
                t.name,
                i.join(", ")
            ),
        });
    }
}
