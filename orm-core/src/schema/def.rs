//! Tables as DDL sees them: owned descriptions built from the models (and,
//! for schema tooling, comparable with one another), independent of any
//! dialect. `ddl.rs` renders them.

use crate::meta::{AssocKind, ModelMeta};
use crate::value::{SqlType, Value};

/// One table: its columns, key, unique columns, indexes and foreign keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// The primary-key columns, in order (several for a composite key).
    pub primary_key: Vec<String>,
    /// Indexes, each a list of columns: columns with an index of their own
    /// (not unique, not the key's first column), then `index(a, b)` sets.
    pub indexes: Vec<Vec<String>>,
    /// Multi-column UNIQUE constraints (`unique(a, b)`); one column's is
    /// its [`ColumnDef::unique`].
    pub unique_sets: Vec<Vec<String>>,
    /// Table CHECK constraints (`check = ".."`).
    pub checks: Vec<CheckDef>,
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// A many-to-many join table: its index is created only where
    /// `CREATE INDEX IF NOT EXISTS` exists (MySQL indexes foreign keys itself).
    pub join_table: bool,
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub sql_type: SqlType,
    pub nullable: bool,
    /// A key the database fills.
    pub auto_increment: bool,
    pub unique: bool,
    /// A constant default (also the SQL `DEFAULT`).
    pub default: Option<Value>,
    /// A default the database computes (`default_sql`).
    pub default_sql: Option<String>,
}

/// A table CHECK constraint: its name and condition (SQL, as written).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckDef {
    pub name: String,
    pub sql: String,
}

/// A foreign key of `columns` to `ref_table (ref_columns)`: one column, or
/// a composite key's, in the referenced key's order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForeignKeyDef {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
}

impl TableDef {
    /// The name of a UNIQUE constraint on these columns (`{table}_{a}_{b}_key`).
    pub fn unique_name(&self, columns: &[String]) -> String {
        format!("{}_{}_key", self.name, columns.join("_"))
    }

    /// The name of an index on these columns (`{table}_{a}_{b}_idx`).
    pub fn index_name(&self, columns: &[String]) -> String {
        format!("{}_{}_idx", self.name, columns.join("_"))
    }

    /// Every UNIQUE constraint as its columns: the unique columns, then the sets.
    pub fn uniques(&self) -> Vec<Vec<String>> {
        let single = self.columns.iter().filter(|c| c.unique).map(|c| vec![c.name.clone()]);
        single.chain(self.unique_sets.iter().cloned()).collect()
    }

    /// The name of an enum column's CHECK constraint.
    pub fn check_name(&self, column: &str) -> String {
        format!("{}_{}_check", self.name, column)
    }

    /// The name of a foreign key constraint (`{table}_{a}_{b}_fkey`).
    pub fn foreign_key_name(&self, columns: &[String]) -> String {
        ModelMeta::foreign_key_name(&self.name, &columns.join("_"))
    }

    /// Whether the key spans several columns.
    pub fn composite_pk(&self) -> bool {
        self.primary_key.len() > 1
    }
}

/// A foreign key an association implies, with the table it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct TableForeignKey {
    pub table: &'static str,
    pub key: ForeignKeyDef,
}

/// Every foreign key implied by the models' associations, once per column.
pub(crate) fn foreign_keys(models: &[&'static ModelMeta]) -> Vec<TableForeignKey> {
    let mut out: Vec<TableForeignKey> = Vec::new();
    for m in models {
        // A polymorphic association's key points at several tables: no constraint.
        for a in m.associations.iter().filter(|a| a.scope.is_empty()) {
            let target = (a.target)();
            let (table, ref_table, ref_columns) = match a.kind {
                AssocKind::BelongsTo => (m.table, target.table, names(target.pk_columns())),
                AssocKind::HasMany | AssocKind::HasOne => (target.table, m.table, names(m.pk_columns())),
                _ => continue,
            };
            let columns: Vec<String> = a.fk_columns().iter().map(|c| (*c).to_owned()).collect();
            let on_delete = a.on_delete.map(str::to_owned);
            let on_update = a.on_update.map(str::to_owned);
            match out.iter_mut().find(|f| f.table == table && f.key.columns == columns) {
                // Both sides declared it: an action given on either side counts.
                Some(existing) => {
                    existing.key.on_delete = existing.key.on_delete.take().or(on_delete);
                    existing.key.on_update = existing.key.on_update.take().or(on_update);
                }
                None => out.push(TableForeignKey {
                    table,
                    key: ForeignKeyDef {
                        columns,
                        ref_table: ref_table.to_owned(),
                        ref_columns,
                        on_delete,
                        on_update,
                    },
                }),
            }
        }
    }
    out
}

fn names<'a>(cols: impl Iterator<Item = &'a crate::meta::ColumnMeta>) -> Vec<String> {
    cols.map(|c| c.name.to_owned()).collect()
}

/// A model's table, with the foreign keys of `fks` that belong to it.
pub(crate) fn model_table(m: &ModelMeta, fks: &[TableForeignKey]) -> TableDef {
    let own: Vec<ForeignKeyDef> = fks
        .iter()
        .filter(|fk| fk.table == m.table)
        .map(|fk| fk.key.clone())
        .collect();
    let pk = m.pk();
    // Foreign-key columns are indexed too: includes and joins look rows up by them.
    let owned = |set: &[&str]| set.iter().map(|c| (*c).to_owned()).collect::<Vec<String>>();
    let single_fk = |name: &str| own.iter().any(|fk| matches!(fk.columns.as_slice(), [c] if c == name));
    let mut indexes: Vec<Vec<String>> = m
        .columns
        .iter()
        .filter(|c| (c.index || single_fk(c.name)) && !c.unique && !std::ptr::eq(*c, pk))
        .map(|c| vec![c.name.to_owned()])
        .chain(m.index_sets.iter().map(|s| owned(s)))
        .collect();
    // A composite foreign key is indexed over its columns, unless the
    // primary key or a declared index or unique set starts with them.
    let pk_names: Vec<String> = m.pk_columns().map(|c| c.name.to_owned()).collect();
    for fk in own.iter().filter(|fk| fk.columns.len() > 1) {
        let covered = |cols: &[String]| cols.starts_with(&fk.columns);
        let uniques: Vec<Vec<String>> = m.unique_sets.iter().map(|s| owned(s)).collect();
        if !covered(&pk_names) && !indexes.iter().any(|i| covered(i)) && !uniques.iter().any(|u| covered(u)) {
            indexes.push(fk.columns.clone());
        }
    }
    let checks = (0..m.checks.len())
        .map(|i| CheckDef {
            name: m.table_check_name(i),
            sql: m.checks[i].to_owned(),
        })
        .collect();
    TableDef {
        name: m.table.to_owned(),
        columns: m
            .columns
            .iter()
            .map(|c| ColumnDef {
                name: c.name.to_owned(),
                sql_type: c.sql_type,
                nullable: c.nullable,
                auto_increment: c.primary_key && c.auto_increment,
                unique: c.unique && !c.primary_key,
                default: c.default.map(|f| f()),
                default_sql: c.default_sql.map(str::to_owned),
            })
            .collect(),
        primary_key: m.pk_columns().map(|c| c.name.to_owned()).collect(),
        indexes,
        unique_sets: m.unique_sets.iter().map(|s| owned(s)).collect(),
        checks,
        foreign_keys: own,
        join_table: false,
    }
}

/// The join tables of the models' many-to-many associations whose both
/// models are in the set (and that are not models of their own).
pub(crate) fn join_tables(models: &[&'static ModelMeta]) -> Vec<TableDef> {
    let mut out: Vec<TableDef> = Vec::new();
    for m in models {
        let both = |a: &crate::meta::AssocMeta| models.iter().any(|o| std::ptr::eq(*o, (a.target)()));
        for a in m
            .associations
            .iter()
            .filter(|a| a.kind == AssocKind::BelongsToMany && both(a))
        {
            // A join table that is a model of its own (`through = PlaylistTrack`'s table) is that model's.
            let is_model = models.iter().any(|o| o.table == a.through);
            if is_model || out.iter().any(|j| j.name == a.through) {
                continue;
            }
            let sides = [(a.foreign_key, *m), (a.other_key, (a.target)())];
            out.push(TableDef {
                name: a.through.to_owned(),
                columns: sides
                    .iter()
                    .map(|(col, side)| ColumnDef {
                        name: (*col).to_owned(),
                        sql_type: side.pk().sql_type,
                        nullable: false,
                        auto_increment: false,
                        unique: false,
                        default: None,
                        default_sql: None,
                    })
                    .collect(),
                primary_key: sides.iter().map(|(col, _)| (*col).to_owned()).collect(),
                // The composite key serves lookups by the left column; index the right one.
                indexes: vec![vec![a.other_key.to_owned()]],
                unique_sets: Vec::new(),
                checks: Vec::new(),
                foreign_keys: sides
                    .iter()
                    .map(|(col, side)| ForeignKeyDef {
                        columns: vec![(*col).to_owned()],
                        ref_table: side.table.to_owned(),
                        ref_columns: vec![side.pk().name.to_owned()],
                        on_delete: Some("cascade".to_owned()),
                        on_update: None,
                    })
                    .collect(),
                join_table: true,
            });
        }
    }
    out
}
