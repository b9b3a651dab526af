//! The difference between two [`Snapshot`]s as changes: tables created and
//! dropped, and per kept table its columns renamed, added, altered and
//! dropped and its constraints dropped and added. Dialect-free; `alter.rs`
//! renders it. The reverse migration is the diff the other way round.

use super::def::{CheckDef, ColumnDef, ForeignKeyDef, TableDef};
use super::snapshot_file::{SnapColumn, bad};
use crate::error::Result;
use crate::value::SqlType;

/// A column rename `generate --auto` cannot see by itself:
/// `--rename users.name:full_name`.
///
/// ```
/// # use orm_core::ColumnRename;
/// let r: ColumnRename = "users.name:full_name".parse()?;
/// assert_eq!((r.table.as_str(), r.from.as_str(), r.to.as_str()), ("users", "name", "full_name"));
/// # Ok::<(), orm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRename {
    /// The table.
    pub table: String,
    /// The column's name in the snapshot.
    pub from: String,
    /// Its name in the models.
    pub to: String,
}

impl ColumnRename {
    /// The same rename backwards (for the down script).
    pub fn reversed(&self) -> ColumnRename {
        ColumnRename {
            table: self.table.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

impl std::str::FromStr for ColumnRename {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<ColumnRename> {
        let parsed = s.split_once('.').and_then(|(table, rest)| {
            let (from, to) = rest.split_once(':')?;
            let ok = |x: &str| !x.is_empty() && !x.contains(['.', ':']);
            (ok(table) && ok(from) && ok(to)).then(|| ColumnRename {
                table: table.to_owned(),
                from: from.to_owned(),
                to: to.to_owned(),
            })
        });
        parsed.ok_or_else(|| bad(format!("`{s}` is not a rename: write table.old_column:new_column")))
    }
}

/// What happens to one kept table.
#[derive(Debug, Clone)]
pub(crate) struct TableChange {
    pub old: TableDef,
    pub new: TableDef,
    /// Old name, new name.
    pub renames: Vec<(String, String)>,
    pub added: Vec<ColumnDef>,
    pub dropped: Vec<ColumnDef>,
    /// The column before (under its new name) and after.
    pub altered: Vec<(ColumnDef, ColumnDef)>,
    pub drop_fks: Vec<ForeignKeyDef>,
    pub add_fks: Vec<ForeignKeyDef>,
    /// UNIQUE constraints and indexes, each as its columns.
    pub drop_uniques: Vec<Vec<String>>,
    pub add_uniques: Vec<Vec<String>>,
    pub drop_indexes: Vec<Vec<String>>,
    pub add_indexes: Vec<Vec<String>>,
    /// Enum columns whose CHECK goes (old name) or comes (new column).
    pub drop_checks: Vec<String>,
    pub add_checks: Vec<ColumnDef>,
    /// Table CHECKs (`check = ".."`) that go and come (a changed condition is both).
    pub drop_table_checks: Vec<CheckDef>,
    pub add_table_checks: Vec<CheckDef>,
}

impl TableChange {
    fn is_empty(&self) -> bool {
        self.renames.is_empty()
            && self.added.is_empty()
            && self.dropped.is_empty()
            && self.altered.is_empty()
            && self.drop_fks.is_empty()
            && self.add_fks.is_empty()
            && self.drop_uniques.is_empty()
            && self.add_uniques.is_empty()
            && self.drop_indexes.is_empty()
            && self.add_indexes.is_empty()
            && self.drop_checks.is_empty()
            && self.add_checks.is_empty()
            && self.drop_table_checks.is_empty()
            && self.add_table_checks.is_empty()
    }

    /// The old column a new column's data comes from.
    pub fn source_of<'a>(&'a self, new_column: &'a str) -> Option<&'a str> {
        let old = self
            .renames
            .iter()
            .find(|(_, to)| to == new_column)
            .map_or(new_column, |(from, _)| from.as_str());
        let renamed_away = self
            .renames
            .iter()
            .any(|(from, to)| from == new_column && to != new_column);
        let exists = self.old.columns.iter().any(|c| c.name == old);
        (exists && (old != new_column || !renamed_away)).then_some(old)
    }
}

/// Everything that changes between two snapshots.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// In the new snapshot's order (referenced tables first).
    pub created: Vec<TableDef>,
    /// Referencing tables first.
    pub dropped: Vec<TableDef>,
    pub altered: Vec<TableChange>,
    /// What may lose data or fail, for the file's header.
    pub warnings: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.dropped.is_empty() && self.altered.is_empty()
    }
}

/// The changes that turn `old` into `new`.
pub(crate) fn diff(old: &[TableDef], new: &[TableDef], renames: &[ColumnRename]) -> Result<Changes> {
    for r in renames {
        let (Some(o), Some(n)) = (find(old, &r.table), find(new, &r.table)) else {
            return Err(bad(format!(
                "--rename {}.{}:{}: table `{}` is not in both the snapshot and the models",
                r.table, r.from, r.to, r.table
            )));
        };
        if !has(o, &r.from) || !has(n, &r.to) {
            return Err(bad(format!(
                "--rename {0}.{1}:{2}: the snapshot's `{0}` needs a column `{1}` and the model's a column `{2}`",
                r.table, r.from, r.to
            )));
        }
    }
    let mut out = Changes {
        created: new.iter().filter(|t| find(old, &t.name).is_none()).cloned().collect(),
        dropped: old
            .iter()
            .rev()
            .filter(|t| find(new, &t.name).is_none())
            .cloned()
            .collect(),
        ..Changes::default()
    };
    for t in &out.dropped {
        out.warnings
            .push(format!("table `{}` is dropped, with its rows", t.name));
    }
    for n in new {
        let Some(o) = find(old, &n.name) else { continue };
        let mine: Vec<(String, String)> = renames
            .iter()
            .filter(|r| r.table == n.name)
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect();
        let change = table_change(o, n, mine, &mut out.warnings)?;
        if !change.is_empty() {
            out.altered.push(change);
        }
    }
    Ok(out)
}

fn find<'a>(s: &'a [TableDef], name: &str) -> Option<&'a TableDef> {
    s.iter().find(|t| t.name == name)
}

fn has(t: &TableDef, column: &str) -> bool {
    t.columns.iter().any(|c| c.name == column)
}

fn table_change(
    old: &TableDef,
    new: &TableDef,
    renames: Vec<(String, String)>,
    warnings: &mut Vec<String>,
) -> Result<TableChange> {
    // The old table's columns under their new names.
    let renamed = |name: &str| {
        renames
            .iter()
            .find(|(from, _)| from == name)
            .map_or(name.to_owned(), |(_, to)| to.clone())
    };
    let old_pk: Vec<String> = old.primary_key.iter().map(|c| renamed(c)).collect();
    if old_pk != new.primary_key {
        return Err(bad(format!(
            "the primary key of `{}` changes ({} -> {}): write this migration by hand",
            new.name,
            old.primary_key.join(", "),
            new.primary_key.join(", ")
        )));
    }
    let mut c = TableChange {
        old: old.clone(),
        new: new.clone(),
        renames: renames.clone(),
        added: Vec::new(),
        dropped: Vec::new(),
        altered: Vec::new(),
        drop_fks: Vec::new(),
        add_fks: Vec::new(),
        drop_uniques: Vec::new(),
        add_uniques: Vec::new(),
        drop_indexes: Vec::new(),
        add_indexes: Vec::new(),
        drop_checks: Vec::new(),
        add_checks: Vec::new(),
        drop_table_checks: old.checks.iter().filter(|c| !new.checks.contains(c)).cloned().collect(),
        add_table_checks: new.checks.iter().filter(|c| !old.checks.contains(c)).cloned().collect(),
    };
    for col in &new.columns {
        match old.columns.iter().find(|o| renamed(&o.name) == col.name) {
            None => {
                if !col.nullable && col.default.is_none() && col.default_sql.is_none() {
                    warnings.push(format!(
                        "column `{}`.`{}` is NOT NULL without a default: adding it fails while the table has rows",
                        new.name, col.name
                    ));
                }
                c.added.push(col.clone());
            }
            Some(o) if SnapColumn::shape(o) != SnapColumn::shape(col) => {
                if new.primary_key.contains(&col.name) {
                    return Err(bad(format!(
                        "primary-key column `{}`.`{}` changes: write this migration by hand",
                        new.name, col.name
                    )));
                }
                let mut before = o.clone();
                before.name = col.name.clone();
                c.altered.push((before, col.clone()));
            }
            Some(_) => {}
        }
    }
    c.dropped = old
        .columns
        .iter()
        .filter(|o| !has(new, &renamed(&o.name)))
        .cloned()
        .collect();
    for d in &c.dropped {
        let hint = c
            .added
            .iter()
            .map(|a| format!("--rename {}.{}:{}", new.name, d.name, a.name))
            .next()
            .map(|h| format!("; if it was renamed, generate again with {h}"))
            .unwrap_or_default();
        warnings.push(format!(
            "column `{}`.`{}` is dropped, with its data{hint}",
            new.name, d.name
        ));
    }
    // Constraints, by what they are on the new names.
    let fk_key = |f: &ForeignKeyDef, rename: bool| {
        let columns: Vec<String> = f
            .columns
            .iter()
            .map(|c| if rename { renamed(c) } else { c.clone() })
            .collect();
        (
            columns,
            f.ref_table.clone(),
            f.ref_columns.clone(),
            f.on_delete.as_deref().map(str::to_ascii_lowercase),
            f.on_update.as_deref().map(str::to_ascii_lowercase),
        )
    };
    // A renamed column's constraints carry its name: they are dropped and made again.
    let kept_name = |old_name: &str| renamed(old_name) == old_name;
    for f in &old.foreign_keys {
        let kept = f.columns.iter().all(|c| kept_name(c));
        if !kept || !new.foreign_keys.iter().any(|n| fk_key(n, false) == fk_key(f, true)) {
            c.drop_fks.push(f.clone());
        }
    }
    for f in &new.foreign_keys {
        let source = old.foreign_keys.iter().find(|o| fk_key(o, true) == fk_key(f, false));
        if source.is_none_or(|o| !o.columns.iter().all(|c| kept_name(c))) {
            c.add_fks.push(f.clone());
        }
    }
    let (old_u, new_u) = (old.uniques(), new.uniques());
    c.drop_uniques = old_u.iter().filter(|u| !new_u.contains(u)).cloned().collect();
    c.add_uniques = new_u.iter().filter(|u| !old_u.contains(u)).cloned().collect();
    if !new.join_table {
        c.drop_indexes = old
            .indexes
            .iter()
            .filter(|i| !new.indexes.contains(i))
            .cloned()
            .collect();
        c.add_indexes = new
            .indexes
            .iter()
            .filter(|i| !old.indexes.contains(i))
            .cloned()
            .collect();
    }
    let checks = |t: &TableDef| -> Vec<(String, SqlType)> {
        t.columns
            .iter()
            .filter(|c| matches!(c.sql_type, SqlType::Enum(_)))
            .map(|c| (c.name.clone(), c.sql_type))
            .collect()
    };
    let (old_e, new_e) = (checks(old), checks(new));
    c.drop_checks = old_e
        .iter()
        .filter(|e| !new_e.contains(e))
        .map(|e| e.0.clone())
        .collect();
    c.add_checks = new
        .columns
        .iter()
        .filter(|col| new_e.iter().any(|e| e.0 == col.name) && !old_e.contains(&(col.name.clone(), col.sql_type)))
        .cloned()
        .collect();
    Ok(c)
}
