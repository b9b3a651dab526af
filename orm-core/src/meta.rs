//! The static description of a table that the derive writes and the
//! runtime reads (`ModelMeta`, `ColumnMeta`, `AssocMeta`), and the registry
//! that maps constraint names back to tables and columns.

use crate::value::{SqlType, Value};

/// One column of a model, as the derive describes it (read it through
/// [`ModelMeta::column`]; the example on [`ModelMeta`] shows it).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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

impl ColumnMeta {
    /// A plain column: not null, no key, no index, no default. The
    /// `with_*` methods add the rest (all `const`, for the derive's statics).
    ///
    /// ```
    /// use orm_core::{ColumnMeta, SqlType};
    /// const EMAIL: ColumnMeta = ColumnMeta::new("email", "email", SqlType::Varchar(255)).with_unique(true);
    /// assert!(EMAIL.unique && !EMAIL.nullable);
    /// ```
    pub const fn new(name: &'static str, field: &'static str, sql_type: SqlType) -> Self {
        ColumnMeta {
            name,
            field,
            sql_type,
            nullable: false,
            primary_key: false,
            auto_increment: false,
            unique: false,
            index: false,
            default: None,
            default_sql: None,
        }
    }
    /// Whether the column accepts NULL.
    pub const fn with_nullable(mut self, on: bool) -> Self {
        self.nullable = on;
        self
    }
    /// Part of the primary key.
    pub const fn with_primary_key(mut self, on: bool) -> Self {
        self.primary_key = on;
        self
    }
    /// Filled by the database.
    pub const fn with_auto_increment(mut self, on: bool) -> Self {
        self.auto_increment = on;
        self
    }
    /// Has a UNIQUE constraint.
    pub const fn with_unique(mut self, on: bool) -> Self {
        self.unique = on;
        self
    }
    /// Has an index.
    pub const fn with_index(mut self, on: bool) -> Self {
        self.index = on;
        self
    }
    /// A constant default (Rust and SQL).
    pub const fn with_default(mut self, default: Option<fn() -> Value>) -> Self {
        self.default = default;
        self
    }
    /// A default the database computes (`default_sql`).
    pub const fn with_default_sql(mut self, sql: Option<&'static str>) -> Self {
        self.default_sql = sql;
        self
    }
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
#[non_exhaustive]
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
    /// `scope(commentable_type = "image")`: a polymorphic association's
    /// `(column, value)` pairs, on the target (has-many, has-one) or on this
    /// model (belongs-to). They filter the association and are set by its
    /// writes; no foreign-key constraint is made for it.
    pub scope: &'static [(&'static str, &'static str)],
    /// A composite foreign key's columns (`foreign_key = ["tenant_id",
    /// "order_no"]`), in the order of the referenced key's columns; empty
    /// for a one-column key (then [`foreign_key`](AssocMeta::foreign_key)).
    pub foreign_keys: &'static [&'static str],
}

impl AssocMeta {
    /// An association of `kind` to the model `target` returns, through
    /// `foreign_key` (and, for many-to-many, the join table `through` and
    /// its `other_key`; empty strings otherwise).
    pub const fn new(
        name: &'static str,
        kind: AssocKind,
        target: fn() -> &'static ModelMeta,
        foreign_key: &'static str,
        other_key: &'static str,
        through: &'static str,
    ) -> Self {
        AssocMeta {
            name,
            kind,
            target,
            foreign_key,
            other_key,
            through,
            on_delete: None,
            on_update: None,
            scope: &[],
            foreign_keys: &[],
        }
    }
    /// A composite foreign key's columns (see [`AssocMeta::foreign_keys`]).
    pub const fn with_foreign_keys(mut self, columns: &'static [&'static str]) -> Self {
        self.foreign_keys = columns;
        self
    }
    /// Every column of the foreign key: one, or several for a composite key.
    pub fn fk_columns(&self) -> &[&'static str] {
        if self.foreign_keys.is_empty() {
            std::slice::from_ref(&self.foreign_key)
        } else {
            self.foreign_keys
        }
    }
    /// The association's scope: `(column, value)` pairs (see [`AssocMeta::scope`]).
    pub const fn with_scope(mut self, scope: &'static [(&'static str, &'static str)]) -> Self {
        self.scope = scope;
        self
    }
    /// Whether `value_of(column)` holds every scope value (always, unscoped).
    pub(crate) fn in_scope(&self, value_of: impl Fn(&str) -> Option<Value>) -> bool {
        self.scope
            .iter()
            .all(|(c, v)| matches!(value_of(c), Some(Value::String(s)) if s == *v))
    }
    /// `ON DELETE` action of the foreign key.
    pub const fn with_on_delete(mut self, action: Option<&'static str>) -> Self {
        self.on_delete = action;
        self
    }
    /// `ON UPDATE` action of the foreign key.
    pub const fn with_on_update(mut self, action: Option<&'static str>) -> Self {
        self.on_update = action;
        self
    }
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
#[non_exhaustive]
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
    /// `#[orm(unique(a, b))]`: multi-column unique keys, as column names.
    pub unique_sets: &'static [&'static [&'static str]],
    /// `#[orm(index(a, b))]`: multi-column indexes, as column names.
    pub index_sets: &'static [&'static [&'static str]],
    /// `#[orm(check = "..")]`: table CHECK constraints, as SQL text
    /// (named by [`ModelMeta::table_check_name`]).
    pub checks: &'static [&'static str],
}

impl ModelMeta {
    /// A table of `columns` keyed by the columns at `primary_keys` (one, or
    /// several for a composite key; `column_names` in the same order as
    /// `columns`). The `with_*` methods add the rest (all `const`).
    ///
    /// ```
    /// use orm_core::{ColumnMeta, ModelMeta, SqlType};
    /// static COLUMNS: [ColumnMeta; 2] = [
    ///     ColumnMeta::new("id", "id", SqlType::BigInt).with_primary_key(true).with_auto_increment(true),
    ///     ColumnMeta::new("name", "name", SqlType::Varchar(255)),
    /// ];
    /// static TAGS: ModelMeta = ModelMeta::new("Tag", "tags", &COLUMNS, &["id", "name"], &[0]);
    /// assert_eq!(TAGS.pk().name, "id");
    /// ```
    pub const fn new(
        name: &'static str,
        table: &'static str,
        columns: &'static [ColumnMeta],
        column_names: &'static [&'static str],
        primary_keys: &'static [usize],
    ) -> Self {
        ModelMeta {
            name,
            table,
            columns,
            column_names,
            primary_key: primary_keys[0],
            primary_keys,
            created_at: None,
            updated_at: None,
            associations: &[],
            deleted_at: None,
            version: None,
            unique_sets: &[],
            index_sets: &[],
            checks: &[],
        }
    }
    /// Multi-column unique keys (`#[orm(unique(a, b))]`), as column names.
    ///
    /// ```
    /// use orm_core::{ColumnMeta, ModelMeta, SqlType};
    /// static COLUMNS: [ColumnMeta; 3] = [
    ///     ColumnMeta::new("id", "id", SqlType::BigInt).with_primary_key(true).with_auto_increment(true),
    ///     ColumnMeta::new("tenant_id", "tenant_id", SqlType::BigInt),
    ///     ColumnMeta::new("email", "email", SqlType::Text),
    /// ];
    /// static ACCOUNTS: ModelMeta = ModelMeta::new("Account", "accounts", &COLUMNS, &["id", "tenant_id", "email"], &[0])
    ///     .with_unique_sets(&[&["tenant_id", "email"]])
    ///     .with_checks(&["tenant_id > 0"]);
    /// assert_eq!(ACCOUNTS.unique_set_name(ACCOUNTS.unique_sets[0]), "accounts_tenant_id_email_key");
    /// assert_eq!(ACCOUNTS.table_check_name(0), "accounts_check");
    /// ```
    pub const fn with_unique_sets(mut self, sets: &'static [&'static [&'static str]]) -> Self {
        self.unique_sets = sets;
        self
    }
    /// Multi-column indexes (`#[orm(index(a, b))]`), as column names.
    pub const fn with_index_sets(mut self, sets: &'static [&'static [&'static str]]) -> Self {
        self.index_sets = sets;
        self
    }
    /// Table CHECK constraints (`#[orm(check = "..")]`), as SQL text.
    pub const fn with_checks(mut self, checks: &'static [&'static str]) -> Self {
        self.checks = checks;
        self
    }
    /// The managed `created_at` column's index.
    pub const fn with_created_at(mut self, index: Option<usize>) -> Self {
        self.created_at = index;
        self
    }
    /// The managed `updated_at` column's index.
    pub const fn with_updated_at(mut self, index: Option<usize>) -> Self {
        self.updated_at = index;
        self
    }
    /// The soft-delete column's index (a paranoid model).
    pub const fn with_deleted_at(mut self, index: Option<usize>) -> Self {
        self.deleted_at = index;
        self
    }
    /// The optimistic-locking version column's index.
    pub const fn with_version(mut self, index: Option<usize>) -> Self {
        self.version = index;
        self
    }
    /// The model's associations.
    pub const fn with_associations(mut self, associations: &'static [AssocMeta]) -> Self {
        self.associations = associations;
        self
    }

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

    /// The name given to a multi-column UNIQUE constraint
    /// (`{table}_{a}_{b}_key`, as for one column).
    pub fn unique_set_name(&self, columns: &[&str]) -> String {
        format!("{}_{}_key", self.table, columns.join("_"))
    }

    /// The name given to the table's `i`-th `check = ".."` (from 0):
    /// `{table}_check`, then `{table}_check_2`, `{table}_check_3`, ..
    pub fn table_check_name(&self, i: usize) -> String {
        table_check_name(self.table, i)
    }

    /// Every unique key besides the primary key, as column names: the
    /// unique columns, then the multi-column sets.
    pub fn unique_keys(&self) -> impl Iterator<Item = Vec<&'static str>> + '_ {
        let single = self
            .columns
            .iter()
            .filter(|c| c.unique && !c.primary_key)
            .map(|c| vec![c.name]);
        single.chain(self.unique_sets.iter().map(|s| s.to_vec()))
    }
}

/// The name of `table`'s `i`-th table CHECK (from 0).
pub(crate) fn table_check_name(table: &str, i: usize) -> String {
    match i {
        0 => format!("{table}_check"),
        n => format!("{table}_check_{}", n + 1),
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
        if let Some(cols) = m.unique_sets.iter().find(|s| m.unique_set_name(s) == name) {
            return Some((m.table, cols.iter().map(|c| (*c).to_owned()).collect()));
        }
        if (0..m.checks.len()).any(|i| m.table_check_name(i) == name) {
            return Some((m.table, Vec::new()));
        }
        // A composite foreign key of this model's (a belongs-to) or of a
        // target's (a has-many or has-one).
        for a in m.associations.iter().filter(|a| a.foreign_keys.len() > 1) {
            let table = match a.kind {
                AssocKind::BelongsTo => m.table,
                AssocKind::HasMany | AssocKind::HasOne => (a.target)().table,
                AssocKind::BelongsToMany => continue,
            };
            if ModelMeta::foreign_key_name(table, &a.foreign_keys.join("_")) == name {
                return Some((table, a.foreign_keys.iter().map(|c| (*c).to_owned()).collect()));
            }
        }
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
pub(crate) fn enrich(err: crate::error::Error, meta: &'static ModelMeta) -> crate::error::Error {
    register(meta);
    err.fill_violation(|kind, v| {
        v.table.get_or_insert_with(|| meta.table.to_owned());
        if v.columns.is_empty()
            && let Some(c) = v.constraint.as_deref()
        {
            let unique = kind == crate::error::ViolationKind::Unique;
            let named = |col: &&ColumnMeta| {
                if unique {
                    (col.unique && meta.unique_constraint_name(col.name) == c)
                        || (col.primary_key && (c == "PRIMARY" || c.ends_with("_pkey")))
                } else {
                    meta.check_name(col.name) == c
                }
            };
            v.columns = meta
                .columns
                .iter()
                .filter(named)
                .map(|col| col.name.to_owned())
                .collect();
            if unique
                && v.columns.is_empty()
                && let Some(set) = meta.unique_sets.iter().find(|s| meta.unique_set_name(s) == c)
            {
                v.columns = set.iter().map(|col| (*col).to_owned()).collect();
            }
        }
    })
}

/// Fill in the table and column of a constraint error from a join table
/// (`through`, with its two key columns): link statements have no model
/// of their own to [`enrich`] from.
pub(crate) fn enrich_join(
    err: crate::error::Error,
    through: &'static str,
    keys: [&'static str; 2],
) -> crate::error::Error {
    err.fill_violation(|_, v| {
        v.table.get_or_insert_with(|| through.to_owned());
        if v.columns.is_empty()
            && let Some(c) = v.constraint.as_deref()
            && let Some(k) = keys.iter().find(|k| ModelMeta::foreign_key_name(through, k) == c)
        {
            v.columns.push((*k).to_owned());
        }
    })
}
