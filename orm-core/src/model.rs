//! The `Model` trait that `#[derive(Model)]` implements, and the static
//! description of a table that the runtime reads.

use crate::error::{FieldErrors, Result};
use crate::row::RowRef;
use crate::value::{SqlType, Value};
use chrono::{DateTime, Utc};

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

/// A struct mapped to a table. Implemented by `#[derive(Model)]` (the
/// [attribute reference](derive@crate::Model)); the hidden methods are the
/// generated glue the runtime calls. Generic code takes `M: Model`:
///
/// ```
/// use orm_core::prelude::*;
///
/// async fn count_rows<M: Model>(db: &Db) -> orm_core::Result<i64> {
///     Find::<M>::new().count(db).await
/// }
///
/// fn table_of<M: Model>() -> &'static str {
///     M::META.table
/// }
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Tag { id: i64 }
/// assert_eq!(table_of::<Tag>(), "tags");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not a #[derive(Model)] struct",
    note = "associations and queries need a struct with #[derive(Model)]"
)]
pub trait Model: crate::Hooks + Sized + Send + Sync + Unpin + 'static {
    /// What `create` takes (`NewUser` for `User`).
    type New: Send + Sync;
    /// What `update` takes (`UserPatch` for `User`).
    type Patch: Send + Sync + Default;
    /// The primary key's type.
    type Key: Clone + Send + Sync;

    /// The table description.
    const META: &'static ModelMeta;

    /// Decode a row whose columns are `META.column_names`, in order.
    #[doc(hidden)]
    fn __from_row(row: RowRef<'_>) -> Result<Self> {
        Self::__from_row_at(row, 0)
    }

    /// Decode the model's columns starting at column `base` of the row.
    #[doc(hidden)]
    fn __from_row_at(row: RowRef<'_>, base: usize) -> Result<Self>;

    /// The value of the column at `idx` (in `META.columns` order).
    #[doc(hidden)]
    fn __value_at(&self, idx: usize) -> Value;

    /// Build the full instance from a `New`, with defaults applied and the
    /// managed timestamps set to `now` (the auto key is still unset).
    #[doc(hidden)]
    fn __from_new(new: Self::New, now: DateTime<Utc>) -> Self;

    /// Every column's value, in `META.columns` order.
    #[doc(hidden)]
    fn __values(&self) -> Vec<Value>;

    /// The primary key's value.
    #[doc(hidden)]
    fn __pk(&self) -> Value;

    /// The primary key.
    #[doc(hidden)]
    fn __key(&self) -> Self::Key;

    /// Set the auto-increment key after an insert.
    #[doc(hidden)]
    fn __set_auto_pk(&mut self, id: i64);

    /// Set `updated_at` (if managed) to `now`.
    #[doc(hidden)]
    fn __touch(&mut self, now: DateTime<Utc>);

    /// Set `deleted_at` (paranoid models).
    #[doc(hidden)]
    fn __set_deleted_at(&mut self, at: Option<DateTime<Utc>>) {
        let _ = at;
    }

    /// Add one to the version column (versioned models).
    #[doc(hidden)]
    fn __bump_version(&mut self) {}

    /// Check the `#[validate]` and `length` rules of every field.
    #[doc(hidden)]
    fn __validate(&self, errors: &mut FieldErrors);

    /// Check the rules on the fields a patch sets.
    #[doc(hidden)]
    fn __validate_patch(patch: &Self::Patch, errors: &mut FieldErrors);

    /// The columns a patch sets, with their values.
    #[doc(hidden)]
    fn __patch_values(patch: &Self::Patch) -> Vec<(&'static str, Value)>;

    /// Apply a patch to an instance.
    #[doc(hidden)]
    fn __apply_patch(&mut self, patch: Self::Patch);

    /// The default scope (`#[orm(default_scope = ..)]`) applied to a query.
    #[doc(hidden)]
    fn __default_scope(q: crate::Find<Self>) -> crate::Find<Self> {
        q
    }

    /// Columns (indexes in `META.columns`) that `new` leaves to the
    /// database's own default (`default_sql`): the INSERT omits them and
    /// the row is read back.
    #[doc(hidden)]
    fn __sql_defaulted(new: &Self::New) -> Vec<usize> {
        let _ = new;
        Vec::new()
    }

    /// Every primary-key column's value, in `META.primary_keys` order.
    #[doc(hidden)]
    fn __pk_values(&self) -> Vec<Value> {
        vec![self.__pk()]
    }
}
