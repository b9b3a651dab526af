//! Association fields: `HasOne<T>`, `HasMany<T>`, `BelongsTo<T>`,
//! `BelongsToMany<T>`. Each starts unloaded and is filled by `include`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a loader hands to an association field.
#[doc(hidden)]
pub enum Loaded<T> {
    /// A to-many association's rows.
    Many(Vec<T>),
    /// A to-one association's row, if any.
    One(Option<T>),
}

/// Implemented by the four association field types; the loader calls it.
#[doc(hidden)]
pub trait AssocField<T> {
    /// Store loaded rows.
    fn set_loaded(&mut self, loaded: Loaded<T>);
}

macro_rules! to_many {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name<T> {
            rows: Option<Vec<T>>,
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                $name { rows: None }
            }
        }

        impl<T> $name<T> {
            /// A loaded association with these rows.
            pub fn loaded(rows: Vec<T>) -> Self {
                $name { rows: Some(rows) }
            }
            /// The rows, or `None` when not loaded.
            pub fn get(&self) -> Option<&[T]> {
                self.rows.as_deref()
            }
            /// True once an include (or `loaded`) filled it.
            pub fn is_loaded(&self) -> bool {
                self.rows.is_some()
            }
            /// True until an include fills it (for `skip_serializing_if`).
            pub fn is_unloaded(&self) -> bool {
                self.rows.is_none()
            }
            /// The rows, or `None` when not loaded.
            pub fn into_inner(self) -> Option<Vec<T>> {
                self.rows
            }
        }

        impl<T> AssocField<T> for $name<T> {
            fn set_loaded(&mut self, loaded: Loaded<T>) {
                self.rows = Some(match loaded {
                    Loaded::Many(v) => v,
                    Loaded::One(o) => o.into_iter().collect(),
                });
            }
        }

        /// A loaded association is an array; an unloaded one is `null`
        /// (skip it with `skip_serializing_if = "..::is_unloaded"`).
        impl<T: Serialize> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.rows.serialize(s)
            }
        }

        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name { rows: Option::<Vec<T>>::deserialize(d)? })
            }
        }
    };
}

macro_rules! to_one {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name<T> {
            row: Option<Option<Box<T>>>,
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                $name { row: None }
            }
        }

        impl<T> $name<T> {
            /// A loaded association holding `row` (or no row).
            pub fn loaded(row: Option<T>) -> Self {
                $name { row: Some(row.map(Box::new)) }
            }
            /// The row: `None` when not loaded, or loaded with no row.
            pub fn get(&self) -> Option<&T> {
                self.row.as_ref().and_then(|r| r.as_deref())
            }
            /// True once an include (or `loaded`) filled it.
            pub fn is_loaded(&self) -> bool {
                self.row.is_some()
            }
            /// True until an include fills it (for `skip_serializing_if`).
            pub fn is_unloaded(&self) -> bool {
                self.row.is_none()
            }
            /// `None` when not loaded, `Some(None)` when loaded with no row.
            pub fn into_inner(self) -> Option<Option<T>> {
                self.row.map(|r| r.map(|b| *b))
            }
        }

        impl<T> AssocField<T> for $name<T> {
            fn set_loaded(&mut self, loaded: Loaded<T>) {
                self.row = Some(match loaded {
                    Loaded::One(o) => o.map(Box::new),
                    Loaded::Many(v) => v.into_iter().next().map(Box::new),
                });
            }
        }

        /// A loaded association is an object or `null`.
        impl<T: Serialize> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.get().serialize(s)
            }
        }

        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::loaded(Option::<T>::deserialize(d)?))
            }
        }
    };
}

to_many!(
    /// The rows of another model whose foreign key points at this one
    /// (`User.posts` with `posts.author_id`).
    HasMany
);
to_many!(
    /// Rows of another model linked through a join table (`Post.tags` through `post_tags`).
    BelongsToMany
);
to_one!(
    /// The one row of another model whose foreign key points at this one
    /// (`User.profile` with `profiles.user_id`).
    HasOne
);
to_one!(
    /// The row this model's foreign key points at (`Post.author` through `posts.author_id`).
    BelongsTo
);
