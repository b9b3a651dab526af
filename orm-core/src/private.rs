//! Runtime support for generated code (`orm_core::__private`). Not a
//! public API: it may change in any release. Generated methods are one-line
//! calls into these functions and re-exports, so the code users' crates
//! compile stays small and the runtime keeps one copy of each body.

pub use crate::assoc::fields::{AssocField, Loaded};
pub use crate::assoc::has_many::{adopt, is_related, orphan, replace_children};
pub use crate::assoc::methods::{count_related, create_linked, create_parent, get_related, link, set_links, unlink};
pub use crate::bulk::{bulk_create, find_or_create, upsert, upsert_on};
pub use crate::error::FieldErrors;
pub use crate::runtime::{
    create, destroy, destroy_force, find_by_key, increment, reload, restore, save, save_columns, update, validate,
};
pub use chrono::{DateTime, Utc};
pub use serde;
pub use std::option::Option;
pub use std::result::Result;
pub use std::string::String;
pub use std::vec::Vec;
pub use validator;

use crate::row::RowRef;

/// `#[derive(Model)]` implements this for `NewX`: the model it creates
/// (so `create(..).with(assoc, new_rows)` takes `NewX` values).
pub trait NewOf: Send + Sync + 'static {
    /// The model.
    type Model: crate::Model<New = Self>;
}

/// What a `DbEnum` needs for the serde derives of `NewX` and `XPatch`.
#[diagnostic::on_unimplemented(
    message = "the DbEnum `{Self}` needs serde's `Serialize` and `Deserialize`",
    label = "add `#[derive(Serialize, Deserialize)]` to this enum",
    note = "a model's `NewX` and `XPatch` are serde types, so every column type needs both"
)]
pub trait DbEnumSerde {}
impl<T: serde::Serialize + serde::de::DeserializeOwned> DbEnumSerde for T {}

/// Checked by `#[derive(DbEnum)]` at the enum's name.
pub fn db_enum_needs_serde<T: DbEnumSerde>() {}

/// One character of a field's name, as a type: a name is a tuple of them,
/// so one model's derive can ask whether another model has a field.
pub struct FieldChar<const C: char>;

/// `#[derive(Model)]` implements this for each field of the model, `Name`
/// being the field's name as a tuple of [`FieldChar`]s.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no field for this association's foreign key",
    label = "not a field of `{Self}`",
    note = "a `HasMany` or `HasOne` keeps its foreign key on the target model: add the field to `{Self}` \
            (`<this model>_id: i64`, or `Option<i64>`), or name the target's key field with \
            #[orm(foreign_key = \"...\")]"
)]
pub trait HasField<Name>: Sized {
    /// The field's type.
    type Value;
    /// The field's column.
    const COLUMN: &'static str;
    /// Set the field on a row.
    fn set(row: &mut Self, value: Self::Value);
}

/// `#[derive(Model)]` implements this for each field the model's `NewX`
/// holds: a `HasMany`/`HasOne`'s `create_x` sets the key through it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no field for this association's foreign key",
    label = "not a field of `{Self}`'s `New` struct",
    note = "a `HasMany` or `HasOne` keeps its foreign key on the target model: add the field to `{Self}` \
            (`<this model>_id: i64`, or `Option<i64>`), or name the target's key field with \
            #[orm(foreign_key = \"...\")]"
)]
pub trait NewHasField<Name>: HasField<Name> + crate::model::Model {
    /// Set the field on the model's `NewX`.
    fn set_new(new: &mut Self::New, value: <Self as HasField<Name>>::Value);
}

/// Record `message` for `field` when `ok` is false.
pub fn check(errors: &mut FieldErrors, field: &str, ok: bool, message: impl FnOnce() -> String) {
    if !ok {
        errors.entry(field.to_owned()).or_default().push(message());
    }
}

/// The result of a `custom` validator: `Err(e)` records `e`'s text.
pub fn check_custom<E: std::fmt::Display>(errors: &mut FieldErrors, field: &str, r: Result<(), E>) {
    if let Err(e) = r {
        errors.entry(field.to_owned()).or_default().push(e.to_string());
    }
}

/// `column = key` for `find_by_pk` (any value that converts to the key's type).
pub fn key_eq<M, T: crate::field::FieldType>(
    column: crate::column::Column<M, T>,
    key: impl crate::field::IntoValue<T::Compare>,
) -> crate::column::Condition<M> {
    column.eq_value(key.into_value())
}

/// `length = N` on a string column: at most N characters.
pub fn max_chars(s: &str, max: usize) -> bool {
    s.len() <= max || s.chars().nth(max).is_none()
}

/// A field's decoded value, or its error naming the model, its field
/// and `table.column` (generated `__from_row_at` wraps every field).
#[inline]
pub fn decoded<T>(
    r: crate::error::Result<T>,
    meta: &'static crate::meta::ModelMeta,
    idx: usize,
) -> crate::error::Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(crate::row::in_column(e, meta, idx)),
    }
}

/// Decode a `DbEnum` from its stored label.
pub fn decode_enum<E: crate::field::DbEnum>(row: RowRef<'_>, idx: usize, name: &str) -> crate::error::Result<E> {
    crate::field::decode_enum(row, idx, name)
}

/// A patch field of a NOT NULL column: absent is `None` (left as it is),
/// a value is `Some`, and an explicit `null` is refused naming why (serde
/// reports the field's path with it).
pub fn deserialize_not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    match Option::<T>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(D::Error::custom(
            "must not be null (the column is NOT NULL; leave the field out to keep its value)",
        )),
    }
}

/// Deserialize a present value (even `null`) as `Some`, so that an
/// `Option<Option<T>>` tells "absent" from "null".
pub fn deserialize_some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A value for the column of a `FieldType`.
pub fn to_value<T: crate::field::FieldType>(v: &T) -> crate::value::Value {
    v.to_value()
}

/// Start a query on `M`, with its default scope applied.
pub fn find<M: crate::model::Model>() -> crate::query::Find<M> {
    M::__default_scope(crate::query::Find::new())
}

/// Start a query on `M` without its default scope.
pub fn unscoped<M: crate::model::Model>() -> crate::query::Find<M> {
    crate::query::Find::new()
}

/// Merge a model-level check (`#[orm(validate = ..)]`) into `errors`.
pub fn check_model(errors: &mut FieldErrors, r: Result<(), FieldErrors>) {
    if let Err(found) = r {
        for (field, messages) in found {
            errors.entry(field).or_default().extend(messages);
        }
    }
}
