//! [`Snapshot`]: the tables a set of models needs, as a committed JSON file
//! (`migrations/schema.json`) that `generate --auto` diffs against.
//!
//! The JSON is a mirror of [`TableDef`] with plain types (a type is a
//! string such as `"varchar(80)"`, an enum's labels a list, a default a
//! JSON value), so it reads well in review and diffs line by line.

use super::Schema;
use super::alter::{FOREIGN_KEYS_OFF, needs_rebuild, render};
use super::def::{TableDef, foreign_keys, join_tables, model_table};
use super::diff::{Changes, ColumnRename, diff};
use super::snapshot_file::{SnapFile, SnapTable, bad};
use crate::backend::Dialect;
use crate::error::Result;

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
            up: diff(&self.tables, &target.tables, renames)?,
            down: diff(&target.tables, &self.tables, &back)?,
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
            let cols = |c: &Vec<String>| match c.as_slice() {
                [one] => one.clone(),
                _ => format!("({})", c.join(", ")),
            };
            out.extend(t.add_uniques.iter().map(|c| format!("add unique {n}.{}", cols(c))));
            out.extend(t.drop_uniques.iter().map(|c| format!("drop unique {n}.{}", cols(c))));
            out.extend(t.add_indexes.iter().map(|c| format!("add index {n}.{}", cols(c))));
            out.extend(t.drop_indexes.iter().map(|c| format!("drop index {n}.{}", cols(c))));
            out.extend(t.add_table_checks.iter().map(|c| format!("add check {n}.{}", c.name)));
            out.extend(t.drop_table_checks.iter().map(|c| format!("drop check {n}.{}", c.name)));
            out.extend(
                t.add_fks
                    .iter()
                    .map(|f| format!("add foreign key {n}.{} -> {}", cols(&f.columns), f.ref_table)),
            );
            out.extend(
                t.drop_fks
                    .iter()
                    .map(|f| format!("drop foreign key {n}.{} -> {}", cols(&f.columns), f.ref_table)),
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
