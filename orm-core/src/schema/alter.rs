//! [`Changes`] rendered for one dialect, in an order every server accepts:
//! foreign keys dropped, then other constraints and indexes, then tables
//! dropped (referencing ones first) and created (referenced ones first),
//! then columns renamed, added, altered and dropped, then constraints and
//! indexes added, foreign keys last. What the dialect cannot alter in place
//! (SQLite) is done by rebuilding the table.

use super::ddl::{check_def, column_def, create_index, create_table, foreign_key_def, table_check_def, unique_def};
use super::def::{ColumnDef, TableDef};
use super::diff::{Changes, TableChange};
use crate::dialect::{AlterSyntax, ColumnChange, SqlDialect};

/// A migration script's first line that makes the SQLite runner switch
/// foreign keys off around its transaction (and check them before commit):
/// a rebuilt table is dropped, and with foreign keys on, dropping it would
/// cascade to the rows that reference it.
pub const FOREIGN_KEYS_OFF: &str = "-- orm:foreign-keys-off";

/// The statements that apply `c` on dialect `d`.
pub(crate) fn render(c: &Changes, d: &dyn SqlDialect) -> Vec<String> {
    let syn = d.alter_syntax();
    let checks = d.caps().enum_check;
    let (rebuilt, in_place): (Vec<&TableChange>, Vec<&TableChange>) =
        c.altered.iter().partition(|t| needs_rebuild(t, syn, checks));
    let mut out = Vec::new();
    for t in &in_place {
        for f in &t.drop_fks {
            out.push(alter(
                d,
                &t.old.name,
                &format!("{} ", syn.drop_foreign_key),
                &t.old.foreign_key_name(&f.columns),
            ));
        }
    }
    for t in &in_place {
        if checks {
            for col in &t.drop_checks {
                out.push(alter(d, &t.old.name, "DROP CONSTRAINT ", &t.old.check_name(col)));
            }
        }
        for c in &t.drop_table_checks {
            out.push(alter(d, &t.old.name, "DROP CONSTRAINT ", &c.name));
        }
        for cols in &t.drop_uniques {
            out.push(alter(
                d,
                &t.old.name,
                &format!("{} ", syn.drop_unique),
                &t.old.unique_name(cols),
            ));
        }
        for cols in &t.drop_indexes {
            out.push(drop_index(d, syn, &t.old.name, &t.old.index_name(cols)));
        }
    }
    for t in &c.dropped {
        let mut sql = String::from("DROP TABLE ");
        d.quote_ident(&t.name, &mut sql);
        out.push(sql);
    }
    for t in &c.created {
        out.extend(create_table(d, t, false));
    }
    for t in &rebuilt {
        out.extend(rebuild(d, t));
    }
    for t in &in_place {
        columns(d, syn, t, &mut out);
    }
    for t in &in_place {
        if checks {
            for col in &t.add_checks {
                let mut sql = alter_prefix(d, &t.new.name);
                sql.push_str("ADD ");
                sql.push_str(&check_def(d, &t.new, col));
                out.push(sql);
            }
        }
        for cols in &t.add_uniques {
            let mut sql = alter_prefix(d, &t.new.name);
            sql.push_str("ADD ");
            sql.push_str(&unique_def(d, &t.new, cols));
            out.push(sql);
        }
        for c in &t.add_table_checks {
            let mut sql = alter_prefix(d, &t.new.name);
            sql.push_str("ADD ");
            sql.push_str(&table_check_def(d, c));
            out.push(sql);
        }
        for cols in &t.add_indexes {
            out.push(create_index(
                d,
                &t.new.name,
                &t.new.index_name(cols),
                cols,
                false,
                false,
            ));
        }
    }
    for t in &in_place {
        for f in &t.add_fks {
            let mut sql = alter_prefix(d, &t.new.name);
            sql.push_str("ADD ");
            sql.push_str(foreign_key_def(d, &t.new, f).trim_start());
            out.push(sql);
        }
    }
    out
}

/// Whether the table must be rebuilt on this dialect.
pub(crate) fn needs_rebuild(t: &TableChange, syn: &AlterSyntax, checks: bool) -> bool {
    let constraints = !t.drop_fks.is_empty()
        || !t.add_fks.is_empty()
        || !t.drop_uniques.is_empty()
        || !t.add_uniques.is_empty()
        || !t.drop_table_checks.is_empty()
        || !t.add_table_checks.is_empty()
        || (checks && (!t.drop_checks.is_empty() || !t.add_checks.is_empty()));
    (constraints && !syn.alter_constraints)
        || (!t.altered.is_empty() && syn.column_change == ColumnChange::Rebuild)
        || (syn.add_column_simple_only && t.added.iter().any(|c| !simple_column(c)))
}

/// A column SQLite's ADD COLUMN takes: nullable or with a constant default.
fn simple_column(c: &ColumnDef) -> bool {
    (c.nullable || c.default.is_some()) && c.default_sql.is_none() && !c.unique
}

fn alter_prefix(d: &dyn SqlDialect, table: &str) -> String {
    let mut sql = String::from("ALTER TABLE ");
    d.quote_ident(table, &mut sql);
    sql.push(' ');
    sql
}

/// `ALTER TABLE t <clause><name>`.
fn alter(d: &dyn SqlDialect, table: &str, clause: &str, name: &str) -> String {
    let mut sql = alter_prefix(d, table);
    sql.push_str(clause);
    d.quote_ident(name, &mut sql);
    sql
}

fn drop_index(d: &dyn SqlDialect, syn: &AlterSyntax, table: &str, name: &str) -> String {
    let mut sql = String::from("DROP INDEX ");
    d.quote_ident(name, &mut sql);
    if syn.drop_index_on_table {
        sql.push_str(" ON ");
        d.quote_ident(table, &mut sql);
    }
    sql
}

/// Renames, added columns, altered columns, dropped columns.
fn columns(d: &dyn SqlDialect, syn: &AlterSyntax, t: &TableChange, out: &mut Vec<String>) {
    let table = &t.new.name;
    for (from, to) in &t.renames {
        let mut sql = alter(d, table, "RENAME COLUMN ", from);
        sql.push_str(" TO ");
        d.quote_ident(to, &mut sql);
        out.push(sql);
    }
    for c in &t.added {
        let mut sql = alter_prefix(d, table);
        sql.push_str("ADD COLUMN ");
        column_def(d, &t.new, c, &mut sql);
        out.push(sql);
    }
    for (before, after) in &t.altered {
        match syn.column_change {
            ColumnChange::AlterColumn => alter_column(d, table, before, after, out),
            ColumnChange::Modify => {
                let mut sql = alter_prefix(d, table);
                sql.push_str("MODIFY COLUMN ");
                column_def(d, &t.new, after, &mut sql);
                out.push(sql);
            }
            // Rebuilt tables never get here.
            ColumnChange::Rebuild => {}
        }
    }
    for c in &t.dropped {
        out.push(alter(d, table, "DROP COLUMN ", &c.name));
    }
}

/// PostgreSQL-style: one ALTER COLUMN per aspect that changed.
fn alter_column(d: &dyn SqlDialect, table: &str, before: &ColumnDef, after: &ColumnDef, out: &mut Vec<String>) {
    let column = |clause: &str| {
        let mut sql = alter(d, table, "ALTER COLUMN ", &after.name);
        sql.push(' ');
        sql.push_str(clause);
        sql
    };
    let ty = d.column_type(after.sql_type);
    if d.column_type(before.sql_type) != ty {
        let mut using = String::new();
        d.quote_ident(&after.name, &mut using);
        out.push(column(&format!("TYPE {ty} USING {using}::{ty}")));
    }
    if before.nullable != after.nullable {
        out.push(column(if after.nullable {
            "DROP NOT NULL"
        } else {
            "SET NOT NULL"
        }));
    }
    let default = |c: &ColumnDef| {
        let mut s = String::new();
        if let Some(v) = &c.default {
            d.literal(v, &mut s);
        } else if let Some(sql) = &c.default_sql {
            d.default_sql(c.sql_type, sql, &mut s);
        }
        s
    };
    let (old_default, new_default) = (default(before), default(after));
    if old_default != new_default {
        out.push(if new_default.is_empty() {
            column("DROP DEFAULT")
        } else {
            column(&format!("SET DEFAULT {new_default}"))
        });
    }
}

/// SQLite's table rebuild: create the new table under a temporary name,
/// copy the rows (renamed columns from their old names; added ones take
/// their defaults), drop the old table, rename the new one, make its indexes.
fn rebuild(d: &dyn SqlDialect, t: &TableChange) -> Vec<String> {
    let temp = format!("_orm_new_{}", t.new.name);
    let mut statements = create_table(d, &t.new, false);
    let indexes = statements.split_off(1);
    // Only the table's own name changes: the constraint names inside are
    // built from the real name, which the table has again at the end.
    let mut out = vec![statements[0].replacen(&quoted(d, &t.new.name), &quoted(d, &temp), 1)];
    let copied: Vec<(&str, &str)> = t
        .new
        .columns
        .iter()
        .filter_map(|c| t.source_of(&c.name).map(|old| (c.name.as_str(), old)))
        .collect();
    if !copied.is_empty() {
        let list = |names: &mut dyn Iterator<Item = &str>| names.map(|n| quoted(d, n)).collect::<Vec<_>>().join(", ");
        let type_of = |table: &TableDef, name: &str| table.columns.iter().find(|c| c.name == name).map(|c| c.sql_type);
        // A column whose type changes is converted as it is copied.
        let values: Vec<String> = copied
            .iter()
            .map(|(new, old)| match (type_of(&t.old, old), type_of(&t.new, new)) {
                (Some(from), Some(to)) if from != to => d.rebuild_value(&quoted(d, old), from, to),
                _ => quoted(d, old),
            })
            .collect();
        out.push(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            quoted(d, &temp),
            list(&mut copied.iter().map(|(n, _)| *n)),
            values.join(", "),
            quoted(d, &t.old.name)
        ));
    }
    if t.new.columns.iter().any(|c| c.auto_increment) && t.old.columns.iter().any(|c| c.auto_increment) {
        // The auto-increment counter moves with the rows (else ids of rows
        // deleted before the rebuild would be handed out again).
        let (old, new) = (sql_string(&t.old.name), sql_string(&temp));
        out.extend(
            d.alter_syntax()
                .rebuild_keeps_counter
                .iter()
                .map(|sql| sql.replace("{old}", &old).replace("{new}", &new)),
        );
    }
    out.push(format!("DROP TABLE {}", quoted(d, &t.old.name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        quoted(d, &temp),
        quoted(d, &t.new.name)
    ));
    out.extend(indexes);
    out
}

/// A name as an SQL string literal.
fn sql_string(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

fn quoted(d: &dyn SqlDialect, name: &str) -> String {
    let mut s = String::new();
    d.quote_ident(name, &mut s);
    s
}
