//! Associations: the fields a model holds them in (`fields.rs`:
//! `BelongsTo`, `HasOne`, `HasMany`, `BelongsToMany`), the methods generated
//! code calls on one parent (`methods.rs`: get, count, link, unlink, set;
//! `has_many.rs`: add, remove, set and has through the foreign key). The
//! handle (`Assoc<P, C>`) and eager loading are `include/`; the static
//! description (`AssocMeta`) is `meta.rs`, beside the `ModelMeta` that
//! lists it.

pub(crate) mod fields;
pub(crate) mod has_many;
pub(crate) mod methods;
