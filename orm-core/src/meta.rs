//! The static description of a table that the derive writes and the
//! runtime reads (`ModelMeta`, `ColumnMeta`, `AssocMeta`), and the registry
//! that maps constraint names back to tables and columns.

use crate::value::{SqlType, Value};

/// One column of a model, as the derive describes it (read it through
/// [`ModelMeta::column`]; the example on [`ModelMeta`] shows it).
#[derive(Debug, Clone, Copy)]
pub struct ColumnMeta {
    /// Column name in the database.
    pub name: &'static str,
    /// Rust field name.
    pub field: &'static str,
    /// SQL type.
    pub sql_type: SqlType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Primary key column.
    pub primary_key: bool,
    /// Filled by the database on insert.
    pub auto_increment: bool,
    /// Has a UNIQUE constraint.
    pub unique: bool,
    /// Has a (non-unique) index.
    pub index: bool,
    /// The SQL DEFAULT, from a constant `default = <expr>` (a literal or a
    /// path; a call such as `Uuid::now_v7()` runs per insert and has none).
    pub default: Option<fn() -> Value>,
    /// `default_sql = "..."`: the database's own default, as SQL text.
    pub default_sql: Option<&'static str>,
}

/// The kind of an association (see the example on [`ModelMeta`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssocKind {
    /// `HasOne<T>`: the target's foreign key points here; at most one row.
    HasOne,
    /// `HasMany<T>`: the target's foreign key points here.
    HasMany,
    /// `BelongsTo<T>`: this model's foreign key points at the target.
    BelongsTo,
    /// `BelongsToMany<T>`: linked through a join table.
    BelongsToMany,
}

/// One association of a model, as the derive describes it (see the
/// example on [`ModelMeta`]).
#[derive(Debug)]
pub struct AssocMeta {
    /// The field name (`posts`).
    pub name: &'static str,
    /// Which kind.
    pub kind: AssocKind,
    /// The target model's table description.
    pub target: fn() -> &'static ModelMeta,
    /// HasOne/HasMany: the column on the target; BelongsTo: the column on
    /// this model; BelongsToMany: the join-table column pointing here.
    pub foreign_key: &'static str,
    /// BelongsToMany: the join-table column pointing at the target.
    pub other_key: &'static str,
    /// BelongsToMany: the join table.
    pub through: &'static str,
    /// `ON DELETE` action for the foreign key (`cascade`, `set null`, `restrict`, ...).
    pub on_delete: Option<&'static str>,
    /// `ON UPDATE` action for the foreign key.
    pub on_update: Option<&'static str>,
}

/// Associations are compared by identity (each is one static).
impl PartialEq for AssocMeta {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// A model's table: what the runtime needs to build SQL for it.
///
/// ```
/// # use orm_core::prelude::*;
/// #[derive(Model, Debug, Clone)]
/// #[orm(timestamps = false)]
/// struct Author { id: i64, #[orm(unique)] name: String, books: HasMany<Book> }
/// #[derive(Model, Debug, Clone)]
/// #[orm(timestamps = false)]
/// struct Book { id: i64, author_id: i64 }
///
/// let meta = Author::META;
/// assert_eq!((meta.table, meta.pk().name), ("authors", "id"));
/// assert!(meta.column("name").is_some_and(|c| c.unique));
/// let books = &meta.associations[0];
/// assert_eq!((books.name, books.kind, books.foreign_key), ("books", AssocKind::HasMany, "author_id"));
/// # use orm_core::AssocKind;
/// ```
#[derive(Debug)]
pub struct ModelMeta {
    /// The Rust struct name.
    pub name: &'static str,
    /// The table name.
    pub table: &'static str,
    /// Every column, in field order (the order rows are decoded in).
    pub columns: &'static [ColumnMeta],
    /// Column names, in the same order.
    pub column_names: &'static [&'static str],
    /// Index of the primary key in `columns` (the first one of a composite key).
    pub primary_key: usize,
    /// Indexes of every primary-key column (one, or several for a composite key).
    pub primary_keys: &'static [usize],
    /// Index of `created_at`, when managed.
    pub created_at: Option<usize>,
    /// Index of `updated_at`, when managed.
    pub updated_at: Option<usize>,
    /// The model's associations.
    pub associations: &'static [AssocMeta],
    /// Index of `deleted_at` for a paranoid (soft-delete) model.
    pub deleted_at: Option<usize>,
    /// Index of the optimistic-locking version column.
    pub version: Option<usize>,
}

impl ModelMeta {
    /// The primary key column.
    pub fn pk(&self) -> &'static ColumnMeta {
        &self.columns[self.primary_key]
    }

    /// Every primary-key column, in order.
    pub fn pk_columns(&self) -> impl Iterator<Item = &'static ColumnMeta> + '_ {
        self.primary_keys.iter().map(|&i| &self.columns[i])
    }

    /// Whether the primary key spans several columns.
    pub fn composite_pk(&self) -> bool {
        self.primary_keys.len() > 1
    }

    /// Whether the primary key is filled by the database.
    pub fn auto_pk(&self) -> bool {
        self.pk().auto_increment
    }

    /// The column with this name, if the model has one.
    pub fn column(&self, name: &str) -> Option<&'static ColumnMeta> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The name given to a column's UNIQUE constraint.
    pub fn unique_constraint_name(&self, column: &str) -> String {
        format!("{}_{}_key", self.table, column)
    }

    /// The name given to a column's index.
    pub fn index_name(&self, column: &str) -> String {
        format!("{}_{}_idx", self.table, column)
    }

    /// The name given to a foreign key constraint on `column` of `table`.
    pub fn foreign_key_name(table: &str, column: &str) -> String {
        format!("{table}_{column}_fkey")
    }

    /// Index of the column with this name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The name given to an enum column's CHECK constraint.
    pub fn check_name(&self, column: &str) -> String {
        format!("{}_{}_check", self.table, column)
    }
}

/// Models seen by this process, so a constraint error from any statement
/// (raw SQL included) can be traced back to its table and columns.
static REGISTRY: std::sync::RwLock<Vec<&'static ModelMeta>> = std::sync::RwLock::new(Vec::new());

/// Remember a model's table for error mapping.
pub(crate) fn register(meta: &'static ModelMeta) {
    let known = REGISTRY
        .read()
        .map(|r| r.iter().any(|m| std::ptr::eq(*m, meta)))
        .unwrap_or(true);
    if !known
        && let Ok(mut r) = REGISTRY.write()
        && !r.iter().any(|m| std::ptr::eq(*m, meta))
    {
        r.push(meta);
    }
}

/// The table and columns of a constraint the ORM named.
pub(crate) fn lookup_constraint(name: &str) -> Option<(&'static str, Vec<String>)> {
    let r = REGISTRY.read().ok()?;
    for m in r.iter() {
        for c in m.columns {
            if (c.unique && m.unique_constraint_name(c.name) == name)
                || m.check_name(c.name) == name
                || ModelMeta::foreign_key_name(m.table, c.name) == name
            {
                return Some((m.table, vec![c.name.to_owned()]));
            }
        }
    }
    None
}

/// Fill in the table and columns of a constraint error from the model.
pub(crate) fn enrich(mut err: crate::Error, meta: &'static ModelMeta) -> crate::Error {
    register(meta);
    let unique = matches!(err, crate::Error::UniqueViolation { .. });
    if let Some((table, constraint, columns)) = err.constraint_parts_mut() {
        table.get_or_insert_with(|| meta.table.to_owned());
        if columns.is_empty()
            && let Some(c) = constraint.as_deref()
        {
            let named = |col: &&ColumnMeta| {
                if unique {
                    (col.unique && meta.unique_constraint_name(col.name) == c)
                        || (col.primary_key && (c == "PRIMARY" || c.ends_with("_pkey")))
                } else {
                    meta.check_name(col.name) == c
                }
            };
            *columns = meta
                .columns
                .iter()
                .filter(named)
                .map(|col| col.name.to_owned())
                .collect();
        }
    }
    err
}
