//! The `Model` trait that `#[derive(Model)]` implements.

use crate::error::{FieldErrors, Result};
use crate::meta::ModelMeta;
use crate::row::RowRef;
use crate::value::Value;
use chrono::{DateTime, Utc};

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
pub trait Model: crate::hooks::Hooks + Sized + Send + Sync + Unpin + 'static {
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
    fn __default_scope(q: crate::query::Find<Self>) -> crate::query::Find<Self> {
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

/// The filter of `M`'s default scope (`#[orm(default_scope = ..)]`), for
/// queries on `M` that do not start from `M::find()` (includes, association
/// methods).
pub(crate) fn default_scope_filter<M: Model>() -> Option<crate::ast::Cond> {
    M::__default_scope(crate::query::Find::new()).into_filter()
}
