//! Association fields: `HasOne<T>`, `HasMany<T>`, `BelongsTo<T>`,
//! `BelongsToMany<T>`. Each starts unloaded and is filled by `include`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A link row of a `BelongsToMany` through a model, type-erased on its way
/// from the loader to the field (which knows its type).
#[doc(hidden)]
pub type LinkRow = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// What a loader hands to an association field.
#[doc(hidden)]
pub enum Loaded<T> {
    /// A to-many association's rows.
    Many(Vec<T>),
    /// A to-one association's row, if any.
    One(Option<T>),
    /// A to-many association's rows, each with its link row (same order).
    Linked(Vec<T>, Vec<LinkRow>),
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
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("let rows = ", stringify!($name), "::loaded(vec![1, 2]);")]
            #[doc = "assert_eq!(rows.get(), Some(&[1, 2][..]));"]
            #[doc = "```"]
            pub fn loaded(rows: Vec<T>) -> Self {
                $name { rows: Some(rows) }
            }
            /// The rows, or `None` when not loaded.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::default().get(), None, \"not loaded\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::loaded(vec![]).get(), Some(&[][..]), \"loaded, empty\");")]
            #[doc = "```"]
            pub fn get(&self) -> Option<&[T]> {
                self.rows.as_deref()
            }
            /// True once an include (or `loaded`) filled it.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert!(!", stringify!($name), "::<i32>::default().is_loaded());")]
            #[doc = concat!("assert!(", stringify!($name), "::loaded(vec![7]).is_loaded());")]
            #[doc = "```"]
            pub fn is_loaded(&self) -> bool {
                self.rows.is_some()
            }
            /// True until an include fills it (for `skip_serializing_if`).
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert!(", stringify!($name), "::<i32>::default().is_unloaded());")]
            #[doc = concat!("assert!(!", stringify!($name), "::loaded(vec![7]).is_unloaded());")]
            #[doc = "```"]
            pub fn is_unloaded(&self) -> bool {
                self.rows.is_none()
            }
            /// The rows, or `None` when not loaded.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::loaded(vec![1]).into_inner(), Some(vec![1]));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::default().into_inner(), None);")]
            #[doc = "```"]
            pub fn into_inner(self) -> Option<Vec<T>> {
                self.rows
            }
        }

        impl<T> AssocField<T> for $name<T> {
            fn set_loaded(&mut self, loaded: Loaded<T>) {
                self.rows = Some(match loaded {
                    Loaded::Many(v) | Loaded::Linked(v, _) => v,
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
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("let row = ", stringify!($name), "::loaded(Some(5));")]
            #[doc = "assert_eq!(row.get(), Some(&5));"]
            #[doc = "```"]
            pub fn loaded(row: Option<T>) -> Self {
                $name { row: Some(row.map(Box::new)) }
            }
            /// The row: `None` when not loaded, or loaded with no row.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::default().get(), None, \"not loaded\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::loaded(None).get(), None, \"loaded, no row\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::loaded(Some(1)).get(), Some(&1));")]
            #[doc = "```"]
            pub fn get(&self) -> Option<&T> {
                self.row.as_ref().and_then(|r| r.as_deref())
            }
            /// True once an include (or `loaded`) filled it.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert!(!", stringify!($name), "::<i32>::default().is_loaded());")]
            #[doc = concat!("assert!(", stringify!($name), "::<i32>::loaded(None).is_loaded());")]
            #[doc = "```"]
            pub fn is_loaded(&self) -> bool {
                self.row.is_some()
            }
            /// True until an include fills it (for `skip_serializing_if`).
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert!(", stringify!($name), "::<i32>::default().is_unloaded());")]
            #[doc = concat!("assert!(!", stringify!($name), "::loaded(Some(1)).is_unloaded());")]
            #[doc = "```"]
            pub fn is_unloaded(&self) -> bool {
                self.row.is_none()
            }
            /// `None` when not loaded, `Some(None)` when loaded with no row.
            #[doc = ""]
            #[doc = "```"]
            #[doc = concat!("use orm_core::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::loaded(Some(1)).into_inner(), Some(Some(1)));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::loaded(None).into_inner(), Some(None));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::<i32>::default().into_inner(), None);")]
            #[doc = "```"]
            pub fn into_inner(self) -> Option<Option<T>> {
                self.row.map(|r| r.map(|b| *b))
            }
        }

        impl<T> AssocField<T> for $name<T> {
            fn set_loaded(&mut self, loaded: Loaded<T>) {
                self.row = Some(match loaded {
                    Loaded::One(o) => o.map(Box::new),
                    Loaded::Many(v) | Loaded::Linked(v, _) => v.into_iter().next().map(Box::new),
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
    /// (`User.posts` with `posts.author_id`). The methods it generates and
    /// an example are on the [`Model` derive's page](derive@crate::Model#associations).
    HasMany
);
/// Rows of another model linked through a join table (`Post.tags` through
/// `post_tags`). Through a model with columns of its own, name it as the
/// second parameter (`BelongsToMany<Track, PlaylistTrack>`): an include then
/// also loads each row's link row, in [`links`](BelongsToMany::links).
///
/// ```
/// use orm_core::BelongsToMany;
/// let tags: BelongsToMany<String> = BelongsToMany::loaded(vec!["rust".into()]);
/// assert_eq!(tags.get(), Some(&["rust".to_string()][..]));
/// assert!(tags.links().is_none(), "no link rows without a through model");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BelongsToMany<T, L = ()> {
    rows: Option<Vec<T>>,
    links: Option<Vec<L>>,
}

impl<T, L> Default for BelongsToMany<T, L> {
    fn default() -> Self {
        BelongsToMany {
            rows: None,
            links: None,
        }
    }
}

impl<T, L> BelongsToMany<T, L> {
    /// A loaded association with these rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// let tags: BelongsToMany<Tag> = BelongsToMany::loaded(vec![Tag { id: 1, label: "rust".into() }]);
    /// assert!(tags.is_loaded());
    /// ```
    pub fn loaded(rows: Vec<T>) -> Self {
        BelongsToMany {
            rows: Some(rows),
            links: None,
        }
    }
    /// The rows, or `None` when not loaded.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// let tags: BelongsToMany<Tag> = BelongsToMany::default();
    /// assert!(tags.get().is_none(), "not loaded yet");
    /// let tags: BelongsToMany<Tag> = BelongsToMany::loaded(vec![Tag { id: 1, label: "rust".into() }]);
    /// assert_eq!(tags.get().map(|t| t.len()), Some(1));
    /// ```
    pub fn get(&self) -> Option<&[T]> {
        self.rows.as_deref()
    }
    /// The link row of each loaded row, in the same order (loaded through a
    /// model named as the second type parameter), else `None`.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// let tags: BelongsToMany<Tag> = BelongsToMany::loaded(vec![]);
    /// assert!(tags.links().is_none(), "no link model named");
    /// ```
    pub fn links(&self) -> Option<&[L]> {
        self.links.as_deref()
    }
    /// Each loaded row with its link row.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// let tags: BelongsToMany<Tag> = BelongsToMany::loaded(vec![Tag { id: 1, label: "rust".into() }]);
    /// assert_eq!(tags.with_links().count(), 0, "rows without link rows");
    /// ```
    pub fn with_links(&self) -> impl Iterator<Item = (&T, &L)> {
        self.get()
            .unwrap_or_default()
            .iter()
            .zip(self.links().unwrap_or_default())
    }
    /// True once an include (or `loaded`) filled it.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// assert!(!BelongsToMany::<Tag>::default().is_loaded());
    /// ```
    pub fn is_loaded(&self) -> bool {
        self.rows.is_some()
    }
    /// True until an include fills it (for `skip_serializing_if`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// assert!(BelongsToMany::<Tag>::default().is_unloaded());
    /// ```
    pub fn is_unloaded(&self) -> bool {
        self.rows.is_none()
    }
    /// The rows, or `None` when not loaded.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::BelongsToMany;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, label: String }
    /// let rows = BelongsToMany::<Tag>::loaded(vec![Tag { id: 1, label: "rust".into() }]).into_inner();
    /// assert_eq!(rows.map(|r| r.len()), Some(1));
    /// ```
    pub fn into_inner(self) -> Option<Vec<T>> {
        self.rows
    }
}

impl<T, L: Clone + 'static> AssocField<T> for BelongsToMany<T, L> {
    fn set_loaded(&mut self, loaded: Loaded<T>) {
        let (rows, links) = match loaded {
            Loaded::Many(v) => (v, None),
            Loaded::One(o) => (o.into_iter().collect(), None),
            Loaded::Linked(v, links) => {
                let typed: Vec<L> = links.iter().filter_map(|l| l.downcast_ref::<L>().cloned()).collect();
                let complete = typed.len() == v.len();
                (v, complete.then_some(typed))
            }
        };
        self.rows = Some(rows);
        self.links = links;
    }
}

/// A loaded association is an array of the target rows; an unloaded one is `null`.
impl<T: Serialize, L> Serialize for BelongsToMany<T, L> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>, L> Deserialize<'de> for BelongsToMany<T, L> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(BelongsToMany {
            rows: Option::<Vec<T>>::deserialize(d)?,
            links: None,
        })
    }
}
to_one!(
    /// The one row of another model whose foreign key points at this one
    /// (`User.profile` with `profiles.user_id`). The methods it generates
    /// and an example are on the [`Model` derive's page](derive@crate::Model#associations).
    HasOne
);
to_one!(
    /// The row this model's foreign key points at (`Post.author` through
    /// `posts.author_id`). An example, loading it with `include`, is on the
    /// [`Model` derive's page](derive@crate::Model#associations).
    BelongsTo
);
