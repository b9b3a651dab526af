//! Eager loading (`include`): the association handle `Assoc<P, C>` and its
//! loaders, one query per include level with the parents' keys, never one
//! per parent (`join.rs`: the JOIN strategy). The association methods that
//! use the same handle are `assoc/`.

pub(crate) mod join;

pub use join::AssocColumn;

use crate::assoc::fields::{LinkRow, Loaded};
use crate::ast::{CmpOp, Cond, Exists, Join, OrderTerm, Select, SelectItem};
use crate::column::{Condition, Order};
use crate::db::Conn;
use crate::dialect::render_select;
use crate::error::{Error, Result};
use crate::field::FieldType;
use crate::meta::{AssocKind, AssocMeta, ModelMeta};
use crate::model::Model;
use crate::row::RowRef;
use crate::value::{SqlType, Value};
use futures_util::future::BoxFuture;
use join::{Collector, JoinPlan};
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

/// Keys are hashed with foldhash (randomly seeded per process): matching
/// children to parents hashes every key twice, and SipHash made that a
/// tenth of an eager load's CPU time (callgrind, W4 at 10,000 users).
pub(crate) type KeyHasher = foldhash::fast::RandomState;

/// A hashable form of a key value, for matching children to parents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    Int(i64),
    Text(String),
    Uuid(uuid::Uuid),
    Bytes(Vec<u8>),
    /// A composite key's parts, in key order.
    Tuple(Vec<Key>),
}

pub(crate) fn key_of(v: &Value) -> Option<Key> {
    Some(match v {
        Value::I16(n) => Key::Int((*n).into()),
        Value::I32(n) => Key::Int((*n).into()),
        Value::I64(n) => Key::Int(*n),
        Value::String(s) => Key::Text(s.clone()),
        Value::Str(s) => Key::Text((*s).to_owned()),
        Value::Uuid(u) => Key::Uuid(*u),
        Value::Bytes(b) => Key::Bytes(b.clone()),
        _ => return None,
    })
}

/// [`key_of`], taking the value (text and bytes move instead of being
/// copied); the value back when it makes no key.
pub(crate) fn key_from(v: Value) -> std::result::Result<Key, Value> {
    match v {
        Value::String(s) => Ok(Key::Text(s)),
        Value::Bytes(b) => Ok(Key::Bytes(b)),
        other => key_of(&other).ok_or(other),
    }
}

#[inline]
fn key_value(k: &Key) -> Value {
    match k {
        Key::Int(n) => Value::I64(*n),
        Key::Text(s) => Value::String(s.clone()),
        Key::Uuid(u) => Value::Uuid(*u),
        Key::Bytes(b) => Value::Bytes(b.clone()),
        // Composite keys are matched part by part (`keys_cond`), never as one value.
        Key::Tuple(_) => Value::Null(SqlType::BigInt),
    }
}

/// The rows whose `columns` hold one of `keys`: `col IN (..)` for a
/// one-column key, `(a = .. AND b = ..) OR ..` for a composite one.
fn keys_cond(columns: &[&'static str], keys: &[Key]) -> Cond {
    match columns {
        [one] => Cond::Keys(one, keys.iter().map(key_value).collect()),
        _ => Cond::Or(
            keys.iter()
                .map(|k| {
                    let Key::Tuple(parts) = k else {
                        return Cond::Cmp(columns[0], CmpOp::Eq, key_value(k));
                    };
                    Cond::And(
                        columns
                            .iter()
                            .zip(parts)
                            .map(|(c, p)| Cond::Cmp(c, CmpOp::Eq, key_value(p)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// The key of a row from the values at `idx` (a tuple for several); none
/// when any part is NULL (a NULL never matches).
fn row_key(value_at: impl Fn(usize) -> Value, idx: &[usize]) -> Option<Key> {
    match idx {
        [one] => key_of(&value_at(*one)),
        _ => idx
            .iter()
            .map(|&i| key_of(&value_at(i)))
            .collect::<Option<Vec<Key>>>()
            .map(Key::Tuple),
    }
}

/// Decode a key column of type `ty` at `idx`.
pub(crate) fn decode_key(row: RowRef<'_>, idx: usize, ty: SqlType) -> Result<Option<Key>> {
    // One read per key (NULL is `None`), straight into the key's form
    // (what `key_of` makes of the same value).
    Ok(match ty {
        SqlType::SmallInt => i16::decode_nullable(row, idx)?.map(|n| Key::Int(n.into())),
        SqlType::Int => i32::decode_nullable(row, idx)?.map(|n| Key::Int(n.into())),
        SqlType::BigInt => i64::decode_nullable(row, idx)?.map(Key::Int),
        SqlType::Uuid => uuid::Uuid::decode_nullable(row, idx)?.map(Key::Uuid),
        SqlType::Bytes => Vec::<u8>::decode_nullable(row, idx)?.map(Key::Bytes),
        _ => String::decode_nullable(row, idx)?.map(Key::Text),
    })
}

pub(crate) fn col_index(meta: &ModelMeta, name: &str) -> Result<usize> {
    meta.column_index(name)
        .ok_or_else(|| Error::invalid(format!("`{name}` is not a column of {}", meta.table)))
}

/// Loads one association for a slice of parents. Object-safe so a query
/// can hold includes of different target types.
#[doc(hidden)]
pub trait Loader<P>: Send + Sync {
    /// Fill the association on every parent with one query (per chunk of keys).
    fn load<'a>(&'a self, conn: Conn<'a>, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>>;
    /// The `EXISTS` condition a required include adds to the parent query.
    fn required_exists(&self) -> Option<Cond>;
    /// Clone behind the box.
    fn boxed_clone(&self) -> Box<dyn Loader<P>>;
    /// Loaded by `.join()`: add its joins and columns to the plan (the
    /// parent's row is `parent_ref`; `in_outer` when that row itself comes
    /// from a LEFT JOIN) and return what reads them back. `None`: loaded by
    /// its own statement.
    fn join_into(
        &self,
        plan: &mut JoinPlan<'_>,
        parent_ref: &'static str,
        in_outer: bool,
    ) -> Option<Result<Box<dyn Collector<P>>>>;
    /// Loaded by `.join()` in a way that can repeat the parent's row (a
    /// to-many or has-one association, or one joined below it).
    fn joins_many(&self) -> bool;
    /// Loaded by `.join()`.
    fn is_joined(&self) -> bool;
}

/// An association of `P` to `C` (`User::posts()`): pass it to
/// [`Find::include`](crate::Find::include), refined with `filter`,
/// `order_by`, `required` and nested `include`s.
#[must_use]
pub struct Assoc<P, C> {
    pub(crate) meta: &'static AssocMeta,
    pub(crate) set: fn(&mut P, Loaded<C>),
    /// A `BelongsToMany` through a model: its table and row decoder, so a
    /// load brings each row's link row too.
    pub(crate) link: Option<LinkSpec>,
    pub(crate) filter: Option<Cond>,
    pub(crate) order: Vec<OrderTerm>,
    pub(crate) required: bool,
    pub(crate) nested: Vec<Box<dyn Loader<C>>>,
    /// Loaded in the parent's statement (`.join()`).
    pub(crate) join: bool,
    /// Per-parent range (`.limit(n)`, `.offset(n)`): a window function.
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    /// Has-many/has-one: set a child's foreign key to the parent's key
    /// (nested create).
    pub(crate) fill: Option<fn(&P, &mut C)>,
    pub(crate) _marker: PhantomData<fn() -> (P, C)>,
}

/// How to read the link rows of a `BelongsToMany` through a model.
#[derive(Clone, Copy)]
pub(crate) struct LinkSpec {
    pub(crate) meta: &'static ModelMeta,
    pub(crate) decode: fn(RowRef<'_>, usize) -> Result<LinkRow>,
}

impl<P, C> Clone for Assoc<P, C> {
    fn clone(&self) -> Self {
        Assoc {
            meta: self.meta,
            set: self.set,
            link: self.link,
            filter: self.filter.clone(),
            order: self.order.clone(),
            required: self.required,
            nested: self.nested.iter().map(|l| l.boxed_clone()).collect(),
            join: self.join,
            limit: self.limit,
            offset: self.offset,
            fill: self.fill,
            _marker: PhantomData,
        }
    }
}

impl<P: Model, C: Model + Clone> Assoc<P, C> {
    /// Used by the derive: the association described by `meta`, stored by `set`.
    #[doc(hidden)]
    pub fn new(meta: &'static AssocMeta, set: fn(&mut P, Loaded<C>)) -> Self {
        Assoc {
            meta,
            set,
            link: None,
            filter: None,
            order: Vec::new(),
            required: false,
            nested: Vec::new(),
            join: false,
            limit: None,
            offset: None,
            fill: None,
            _marker: PhantomData,
        }
    }

    /// Used by the derive: how a child's foreign key is set to the
    /// parent's key (has-many and has-one), for nested create.
    #[doc(hidden)]
    pub fn __with_fill(mut self, fill: fn(&P, &mut C)) -> Self {
        self.fill = Some(fill);
        self
    }

    /// The association's description.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// assert_eq!(User::posts().meta().foreign_key, "user_id");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn meta(&self) -> &'static AssocMeta {
        self.meta
    }

    /// Load only the target rows matching `cond` (ANDed with earlier filters).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let users = User::find().include(User::posts().filter(Post::TITLE.like("a%"))).all(&db).await?;
    /// assert_eq!(users[0].posts.get().map(|p| p.len()), Some(1));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn filter(mut self, cond: Condition<C>) -> Self {
        self.filter = Some(match self.filter.take() {
            None => cond.cond,
            Some(prev) => Condition::<C>::new(prev).and(cond).cond,
        });
        self
    }

    /// Order each parent's loaded rows; the database sorts them. Without it
    /// they come in primary-key order (numeric keys by value, text keys by
    /// their bytes), sorted in memory per parent.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let users = User::find().include(User::posts().order_by(Post::TITLE.asc())).all(&db).await?;
    /// let titles: Vec<&str> = users[0].posts.get().unwrap().iter().map(|p| p.title.as_str()).collect();
    /// assert_eq!(titles, ["a-draft", "b-notes", "c-letter"]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn order_by(mut self, order: impl Into<Order<C>>) -> Self {
        let o = order.into();
        self.order.push(o.term);
        self
    }

    /// Keep only parents that have at least one matching row (inner-join semantics).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// User::create(&db, NewUser { name: "Alan".into() }).await?; // no posts
    /// let writers = User::find().include(User::posts().required()).all(&db).await?;
    /// assert_eq!(writers.len(), 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Load an association of the target too (to any depth).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let users = User::find().include(User::posts().include(Post::user())).all(&db).await?;
    /// let first = &users[0].posts.get().unwrap()[0];
    /// assert_eq!(first.user.get().map(|u| u.name.as_str()), Some("Ada"));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn include<G: Model + Clone>(mut self, nested: Assoc<C, G>) -> Self {
        self.nested.push(Box::new(nested));
        self
    }

    /// Load it in the parent's statement: a LEFT JOIN (INNER when
    /// [`required`](Self::required)). A to-many join repeats the parent's
    /// row per child; the rows are put back together by key, and a `limit`
    /// on the parents still counts parents (they are limited in a subquery
    /// first). Without `.join()` an include is one extra statement per level.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// let posts = Post::find().include(Post::user().join());
    /// let users = User::find().include(User::posts().join()).limit(10);
    /// # let _ = (posts, users);
    /// ```
    pub fn join(mut self) -> Self {
        self.join = true;
        self
    }

    /// At most `n` rows per parent (each user's 3 latest posts, with
    /// `order_by`), by a window function in the include's own statement.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let users = User::find().include(User::posts().order_by(Post::TITLE.desc()).limit(2)).all(&db).await?;
    /// assert_eq!(users[0].posts.get().map(|p| p.len()), Some(2));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skip each parent's first `n` rows (with [`limit`](Self::limit) and `order_by`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let users = User::find().include(User::posts().order_by(Post::TITLE.asc()).limit(2).offset(1)).all(&db).await?;
    /// let titles: Vec<&str> = users[0].posts.get().unwrap().iter().map(|p| p.title.as_str()).collect();
    /// assert_eq!(titles, ["b-notes", "c-letter"]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// A column of the associated model, for the parent query's `filter`
    /// and `order_by`: `Post::author().col(User::NAME).eq("Ada")`. A to-one
    /// association is joined once (LEFT JOIN) however many conditions use
    /// it; on a to-many association a condition means "some row matches"
    /// (an `EXISTS`), and ordering by it panics.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, title: String, user: BelongsTo<User> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().model::<Post>().sync(&db).await?;
    /// # let ada = User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// # for title in ["b-notes", "a-draft", "c-letter"] {
    /// #     Post::create(&db, NewPost { user_id: ada.id, title: title.into() }).await?;
    /// # }
    /// let by_ada = Post::find().filter(Post::user().col(User::NAME).eq("Ada")).count(&db).await?;
    /// assert_eq!(by_ada, 3);
    /// let writers = User::find().filter(User::posts().col(Post::TITLE).eq("a-draft")).count(&db).await?;
    /// assert_eq!(writers, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn col<T: crate::field::FieldType>(&self, column: crate::column::Column<C, T>) -> join::AssocColumn<P, C, T> {
        let scope = match (crate::model::default_scope_filter::<C>(), target_scope(self.meta)) {
            (Some(a), Some(b)) => Some(Cond::And(vec![a, b])),
            (a, b) => a.or(b),
        };
        join::AssocColumn::new(self.meta, scope, column)
    }

    /// Used by the derive: a `BelongsToMany` through the model `L` loads
    /// each row's link row too.
    #[doc(hidden)]
    pub fn __with_links<L: Model + Sync>(mut self) -> Self {
        fn decode<L: Model + Sync>(row: RowRef<'_>, base: usize) -> Result<LinkRow> {
            Ok(std::sync::Arc::new(L::__from_row_at(row, base)?))
        }
        self.link = Some(LinkSpec {
            meta: L::META,
            decode: decode::<L>,
        });
        self
    }

    fn target(&self) -> &'static ModelMeta {
        C::META
    }

    /// Every `(parent column, child column)` pair of the key.
    pub(crate) fn key_pairs(&self) -> Result<Vec<(&'static str, &'static str)>> {
        key_pairs(P::META, self.meta)
    }

    pub(crate) fn child_filter(&self) -> Option<Cond> {
        let mut parts: Vec<Cond> = crate::ast::live_rows(C::META).into_iter().collect();
        parts.extend(crate::model::default_scope_filter::<C>());
        parts.extend(target_scope(self.meta));
        if let Some(f) = &self.filter {
            parts.push(f.clone());
        }
        parts.extend(self.nested.iter().filter_map(|n| n.required_exists()));
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Cond::And(parts)),
        }
    }

    /// Without an `order_by` of the user's, the statement has no ORDER BY
    /// (sorting every loaded row cost the server more than the load: the
    /// IN-list lookups already return each parent's rows together) and each
    /// parent's rows are put in primary-key order here instead.
    pub(crate) fn sort_groups<'g>(&self, groups: impl Iterator<Item = &'g mut Vec<C>>)
    where
        C: 'g,
    {
        if self.order.is_empty() {
            sort_by_key_of(groups, |c: &C| c);
        }
    }

    /// Fetch the target rows for these parent keys: the rows, and beside
    /// each the parent key it belongs to (rows with a NULL key are dropped).
    pub(crate) async fn fetch(&self, conn: Conn<'_>, keys: &[Key]) -> Result<(Vec<Key>, Vec<C>)> {
        let (keys, rows, _) = self.fetch_linked(conn, keys).await?;
        Ok((keys, rows))
    }

    /// The target table's name in the include's own statement.
    fn target_ref(&self) -> &'static str {
        if self.meta.kind == AssocKind::BelongsToMany {
            "t"
        } else {
            C::META.table
        }
    }

    /// [`fetch`](Self::fetch), with each row's link row when the
    /// association goes through a model (else the third vector is empty).
    async fn fetch_linked(&self, conn: Conn<'_>, keys: &[Key]) -> Result<(Vec<Key>, Vec<C>, Vec<LinkRow>)> {
        let (keys, mut rows, links, collectors) = self.fetch_rows(conn, keys).await?;
        self.load_below(conn, collectors, &mut rows).await?;
        Ok((keys, rows, links))
    }

    /// Load the target rows' own includes: those joined into the fetch
    /// (read back by `collectors`) and those with statements of their own.
    pub(crate) async fn load_below(
        &self,
        conn: Conn<'_>,
        collectors: Vec<Box<dyn Collector<C>>>,
        rows: &mut [C],
    ) -> Result<()> {
        for c in collectors {
            c.finish(conn, rows).await?;
        }
        if !rows.is_empty() {
            for nested in self.nested.iter().filter(|n| !n.is_joined()) {
                nested.load(conn, rows).await?;
            }
        }
        Ok(())
    }

    /// The fetch's statements and rows, before the rows' own includes.
    #[allow(clippy::type_complexity)]
    async fn fetch_rows(
        &self,
        conn: Conn<'_>,
        keys: &[Key],
    ) -> Result<(Vec<Key>, Vec<C>, Vec<LinkRow>, Vec<Box<dyn Collector<C>>>)> {
        let d = conn.dialect().sql();
        let mut collectors: Vec<Box<dyn Collector<C>>> = Vec::new();
        let target = self.target();
        let pairs = self.key_pairs()?;
        let child_cols: Vec<&'static str> = pairs.iter().map(|(_, c)| *c).collect();
        let child_col = child_cols[0];
        let mut out_keys = Vec::new();
        let mut out = Vec::new();
        let mut out_links = Vec::new();
        let link = self.link.filter(|_| self.meta.kind == AssocKind::BelongsToMany);
        // Every chunk carries the filter's parameters too.
        let filter_params = self.child_filter().map_or(0, |f| f.max_params());
        let per_chunk = d
            .caps()
            .max_keys_per_statement
            .min(d.caps().max_params.saturating_sub(filter_params + 16));
        for chunk in keys.chunks((per_chunk / child_cols.len()).max(1)) {
            let values: Vec<Value> = chunk.iter().map(key_value).collect();
            let mut s = Select::new(target.table);
            let key_ty;
            let key_pos;
            match self.meta.kind {
                AssocKind::BelongsToMany => {
                    key_ty = P::META.pk().sql_type;
                    key_pos = 0;
                    s.alias = Some("j");
                    s.joins.push(Join::inner(
                        target.table,
                        "t",
                        ("t", target.pk().name),
                        ("j", self.meta.other_key),
                    ));
                    s.table = self.meta.through;
                    s.qualifier = Some("t");
                    s.items.push(SelectItem::Qualified("j", self.meta.foreign_key));
                    s.items
                        .extend(target.column_names.iter().map(|c| SelectItem::Qualified("t", c)));
                    if let Some(l) = link {
                        s.items
                            .extend(l.meta.column_names.iter().map(|c| SelectItem::Qualified("j", c)));
                    }
                    let key = Cond::Qualified("j", Box::new(Cond::Keys(self.meta.foreign_key, values)));
                    s.filter = Some(match self.child_filter() {
                        Some(f) => Cond::And(vec![key, f]),
                        None => key,
                    });
                }
                _ => {
                    let idx = col_index(target, child_col)?;
                    key_ty = target.columns[idx].sql_type;
                    key_pos = idx;
                    s.items = target.column_names.iter().map(|c| SelectItem::Column(c)).collect();
                    let key = keys_cond(&child_cols, chunk);
                    s.filter = Some(match self.child_filter() {
                        Some(f) => Cond::And(vec![key, f]),
                        None => key,
                    });
                }
            }
            let tref = self.target_ref();
            if self.limit.is_some() || self.offset.is_some() {
                let partition = match self.meta.kind {
                    AssocKind::BelongsToMany => ("j", self.meta.foreign_key),
                    _ => (tref, child_col),
                };
                let order = if self.order.is_empty() {
                    target
                        .pk_columns()
                        .map(|c| {
                            crate::ast::OrderTerm::Column(crate::ast::TypedColumn::of(c), crate::ast::Direction::Asc)
                        })
                        .collect()
                } else {
                    self.order.clone()
                };
                s.window = Some(crate::ast::Window {
                    partition,
                    order: order
                        .into_iter()
                        .map(|t| crate::ast::OrderTerm::Qualified(tref, Box::new(t)))
                        .collect(),
                    offset: self.offset.unwrap_or(0),
                    limit: self.limit,
                });
            } else {
                s.order = self.order.clone();
            }
            // Joined includes of the targets (a mixed plan): into this statement.
            let first_chunk = collectors.is_empty() && out.is_empty();
            let joined_below = self.nested.iter().any(|n| n.is_joined());
            if joined_below {
                if self.meta.kind != AssocKind::BelongsToMany {
                    join::qualify_parent(&mut s, tref);
                }
                let (made, child_order) = join::plan_includes(&mut s, &self.nested, tref)?;
                if s.window.is_none() {
                    s.order.extend(child_order);
                }
                if first_chunk {
                    collectors = made;
                }
            }
            let st = render_select(d, &s);
            let btm = self.meta.kind == AssocKind::BelongsToMany;
            let link_base = 1 + target.columns.len();
            let mut next = out.len();
            let composite: Vec<(usize, SqlType)> = if child_cols.len() > 1 {
                child_cols
                    .iter()
                    .map(|c| col_index(target, c).map(|i| (i, target.columns[i].sql_type)))
                    .collect::<Result<_>>()?
            } else {
                Vec::new()
            };
            let rows = conn
                .read(st, |r| {
                    let base = usize::from(btm);
                    let key = if composite.is_empty() {
                        decode_key(r, if btm { 0 } else { key_pos + base }, key_ty)?
                    } else {
                        composite
                            .iter()
                            .map(|&(i, ty)| decode_key(r, i + base, ty))
                            .collect::<Result<Option<Vec<Key>>>>()?
                            .map(Key::Tuple)
                    };
                    let link_row = match link {
                        Some(l) => Some((l.decode)(r, link_base)?),
                        None => None,
                    };
                    if key.is_some() {
                        for c in &mut collectors {
                            c.read(r, next)?;
                        }
                        next += 1;
                    }
                    Ok((key, C::__from_row_at(r, base)?, link_row))
                })
                .await?;
            out_keys.reserve(rows.len());
            out.reserve(rows.len());
            for (k, c, l) in rows {
                if let Some(k) = k {
                    out_keys.push(k);
                    out.push(c);
                    out_links.extend(l);
                }
            }
        }
        Ok((out_keys, out, out_links, collectors))
    }

    /// The key `p` is matched by; none for a belongs-to whose scope `p`
    /// is outside of (a polymorphic row of another type).
    pub(crate) fn parent_key(&self, p: &P, idx: &[usize]) -> Option<Key> {
        if self.meta.kind == AssocKind::BelongsTo
            && !self.meta.in_scope(|c| P::META.column_index(c).map(|i| p.__value_at(i)))
        {
            return None;
        }
        row_key(|i| p.__value_at(i), idx)
    }

    /// Where the parent's key columns are in its row.
    pub(crate) fn parent_key_index(&self) -> Result<Vec<usize>> {
        self.key_pairs()?
            .iter()
            .map(|(parent_col, _)| col_index(P::META, parent_col))
            .collect()
    }

    /// Give each parent its rows with their link rows (a `BelongsToMany`
    /// through a model), sorted as [`sort_groups`](Self::sort_groups) does.
    fn set_linked(
        &self,
        parents: &mut [P],
        parent_keys: &[Option<Key>],
        child_keys: Vec<Key>,
        children: Vec<C>,
        links: Vec<LinkRow>,
    ) {
        let mut groups: HashMap<Key, Vec<(C, LinkRow)>, KeyHasher> = HashMap::default();
        for (k, pair) in child_keys.into_iter().zip(children.into_iter().zip(links)) {
            groups.entry(k).or_default().push(pair);
        }
        if self.order.is_empty() {
            sort_by_key_of(groups.values_mut(), |(c, _): &(C, LinkRow)| c);
        }
        for (p, key) in parents.iter_mut().zip(parent_keys) {
            let group = key.as_ref().and_then(|k| groups.get(k)).cloned().unwrap_or_default();
            let (rows, links): (Vec<C>, Vec<LinkRow>) = group.into_iter().unzip();
            (self.set)(p, Loaded::Linked(rows, links));
        }
    }
}

fn distinct<'k>(keys: impl Iterator<Item = &'k Key>, capacity: usize) -> Vec<Key> {
    let mut seen: HashSet<&Key, KeyHasher> = HashSet::with_capacity_and_hasher(capacity, KeyHasher::default());
    keys.filter(|k| seen.insert(*k)).cloned().collect()
}

impl<P: Model, C: Model + Clone> Loader<P> for Assoc<P, C> {
    fn load<'a>(&'a self, conn: Conn<'a>, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let pidx = self.parent_key_index()?;
            let parent_keys: Vec<Option<Key>> = match pidx.as_slice() {
                // The common case, without the scope and composite checks per row.
                [i] if self.meta.scope.is_empty() => parents.iter().map(|p| key_of(&p.__value_at(*i))).collect(),
                _ => parents.iter().map(|p| self.parent_key(p, &pidx)).collect(),
            };
            let keys = distinct(parent_keys.iter().flatten(), parents.len());
            let (child_keys, children, links) = if keys.is_empty() {
                (Vec::new(), Vec::new(), Vec::new())
            } else {
                self.fetch_linked(conn, &keys).await?
            };
            if self.link.is_some() {
                self.set_linked(parents, &parent_keys, child_keys, children, links);
                return Ok(());
            }
            let mut groups: HashMap<Key, Vec<C>, KeyHasher> =
                HashMap::with_capacity_and_hasher(keys.len(), KeyHasher::default());
            for (k, c) in child_keys.into_iter().zip(children) {
                groups.entry(k).or_default().push(c);
            }
            let to_many = matches!(self.meta.kind, AssocKind::HasMany | AssocKind::BelongsToMany);
            if to_many {
                self.sort_groups(groups.values_mut());
            }
            // Parents with distinct keys take their rows; only parents that
            // share a key (a belongs-to target, a repeated row) get clones.
            let shared = keys.len() < parents.len();
            for (p, key) in parents.iter_mut().zip(parent_keys) {
                let group: Option<Vec<C>> = match key {
                    Some(k) if shared => groups.get(&k).cloned(),
                    Some(k) => groups.remove(&k),
                    None => None,
                };
                let loaded = if to_many {
                    Loaded::Many(group.unwrap_or_default())
                } else {
                    Loaded::One(group.and_then(|g| g.into_iter().next()))
                };
                (self.set)(p, loaded);
            }
            Ok(())
        })
    }

    fn required_exists(&self) -> Option<Cond> {
        self.required.then(|| self.exists_cond())
    }

    fn join_into(
        &self,
        plan: &mut JoinPlan<'_>,
        parent_ref: &'static str,
        in_outer: bool,
    ) -> Option<Result<Box<dyn Collector<P>>>> {
        self.join.then(|| join::plan_join(self, plan, parent_ref, in_outer))
    }

    fn joins_many(&self) -> bool {
        self.join && (self.meta.kind != AssocKind::BelongsTo || self.nested.iter().any(|n| n.joins_many()))
    }

    fn is_joined(&self) -> bool {
        self.join
    }

    fn boxed_clone(&self) -> Box<dyn Loader<P>> {
        Box::new(self.clone())
    }
}

impl<P: Model, C: Model + Clone> Assoc<P, C> {
    /// A correlated `EXISTS`: parents with at least one associated row
    /// (matching the association's `filter`), usable wherever a
    /// [`Condition`] is; `!User::posts().exists()` for parents with none.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, #[orm(foreign_key = "user_id")] posts: HasMany<Post> }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, user_id: i64, published: bool }
    /// let st = User::find().filter(!User::posts().filter(Post::PUBLISHED.eq(true)).exists()).to_sql(Dialect::Postgres);
    /// assert!(st.sql.ends_with(r#"WHERE NOT EXISTS (SELECT 1 FROM "posts" AS "s1" WHERE "s1"."user_id" = "users"."id" AND "s1"."published" = $1)"#), "{}", st.sql);
    /// ```
    pub fn exists(self) -> Condition<P> {
        Condition::new(self.exists_cond())
    }

    fn exists_cond(&self) -> Cond {
        let exists = association_exists(P::META, self.meta, self.child_filter());
        // A polymorphic belongs-to: the row must be of the association's type too.
        match (self.meta.kind, scope_cond(self.meta)) {
            (AssocKind::BelongsTo, Some(own)) => Cond::And(vec![own, exists]),
            _ => exists,
        }
    }
}

/// An association's scope (`scope(col = "v")`) as a condition on the
/// table that holds its columns.
pub(crate) fn scope_cond(m: &AssocMeta) -> Option<Cond> {
    let parts: Vec<Cond> = m
        .scope
        .iter()
        .map(|(c, v)| Cond::Cmp(c, CmpOp::Eq, Value::String((*v).to_owned())))
        .collect();
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(Cond::And(parts)),
    }
}

/// The scope of a has-many/has-one: a condition on its target's rows (a
/// belongs-to's scope is on the parent's row instead).
pub(crate) fn target_scope(m: &AssocMeta) -> Option<Cond> {
    match m.kind {
        AssocKind::HasMany | AssocKind::HasOne => scope_cond(m),
        AssocKind::BelongsTo | AssocKind::BelongsToMany => None,
    }
}

/// `(parent column, target column)` that hold the matching key of an
/// association of `parent` (the join table's column for `BelongsToMany`).
pub(crate) fn key_columns(parent: &ModelMeta, m: &AssocMeta) -> (&'static str, &'static str) {
    match m.kind {
        AssocKind::HasOne | AssocKind::HasMany | AssocKind::BelongsToMany => (parent.pk().name, m.foreign_key),
        AssocKind::BelongsTo => (m.foreign_key, (m.target)().pk().name),
    }
}

/// Every `(parent column, target column)` pair of an association's key:
/// one, or a composite key's columns beside the referenced key's.
pub(crate) fn key_pairs(parent: &ModelMeta, m: &AssocMeta) -> Result<Vec<(&'static str, &'static str)>> {
    let (own, referenced): (Vec<&'static str>, Vec<&'static str>) = match m.kind {
        AssocKind::BelongsToMany => return Ok(vec![key_columns(parent, m)]),
        AssocKind::HasOne | AssocKind::HasMany => {
            (parent.pk_columns().map(|c| c.name).collect(), m.fk_columns().to_vec())
        }
        AssocKind::BelongsTo => (
            m.fk_columns().to_vec(),
            (m.target)().pk_columns().map(|c| c.name).collect(),
        ),
    };
    if own.len() != referenced.len() {
        return Err(Error::invalid(format!(
            "association `{}` of {}: its foreign key has {} column(s) and the key it points at {}; list one key field per key column (foreign_key = [..])",
            m.name,
            parent.name,
            m.fk_columns().len(),
            if m.kind == AssocKind::BelongsTo {
                referenced.len()
            } else {
                own.len()
            }
        )));
    }
    Ok(own.into_iter().zip(referenced).collect())
}

/// The correlated `EXISTS` of an association's rows (matching `filter`)
/// for the parent's row: required includes, `Assoc::exists`, and a filter
/// on a to-many association's column.
pub(crate) fn association_exists(parent: &ModelMeta, m: &AssocMeta, filter: Option<Cond>) -> Cond {
    Cond::Exists(Box::new(association_rows(parent, m, filter)))
}

/// The rows of association `m` that belong to the outer `parent` row (for
/// `EXISTS`, and for ordering parents by a to-many association's column).
pub(crate) fn association_rows(parent: &ModelMeta, m: &AssocMeta, filter: Option<Cond>) -> Exists {
    let target = (m.target)();
    let (parent_col, target_col) = key_columns(parent, m);
    match m.kind {
        AssocKind::BelongsToMany => Exists {
            table: target.table,
            via: Some((m.through, m.foreign_key, m.other_key)),
            column: target.pk().name,
            outer: parent_col,
            more: Vec::new(),
            filter,
        },
        _ => Exists {
            table: target.table,
            via: None,
            column: target_col,
            outer: parent_col,
            more: key_pairs(parent, m)
                .unwrap_or_default()
                .into_iter()
                .skip(1)
                .map(|(p, t)| (t, p))
                .collect(),
            filter,
        },
    }
}

/// Put each group in key order (numeric keys by value, text by bytes),
/// unless it is already: what the loaders do when an include has no order.
pub(crate) fn sort_by_key_of<'g, C: Model, T: 'g>(
    groups: impl Iterator<Item = &'g mut Vec<T>>,
    child: impl Fn(&T) -> &C,
) {
    let pk = C::META.primary_key;
    let key = |t: &T| key_of(&child(t).__value_at(pk));
    for group in groups.filter(|g| g.len() > 1) {
        if !group.is_sorted_by_key(key) {
            group.sort_by_cached_key(key);
        }
    }
}
