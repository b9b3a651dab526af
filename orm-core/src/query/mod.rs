//! `Find<M>`: the read builder (`User::find()`), ended by an executor call,
//! plus aggregates, grouping, column selection, streaming, and filtered
//! bulk `update` and `delete`.

pub(crate) mod group;
pub(crate) mod keyset;
pub(crate) mod lock;
pub(crate) mod page;
pub(crate) mod subquery;

use crate::ast::{AggCast, AggFn, Assign, Cond, Delete, OrderTerm, Select, SelectItem, Update};
use crate::backend::Dialect;
use crate::column::{Column, Condition, Order};
use crate::db::{Conn, Executor};
use crate::dialect::{Statement, render_delete, render_select, render_update};
use crate::error::{Error, FieldErrors, Result};
use crate::field::FieldType;
use crate::field::now;
use crate::hooks::BulkEvent;
use crate::include::{Assoc, Loader};
use crate::meta::enrich;
use crate::model::Model;
use crate::row::RowRef;
use crate::value::Value;
use futures_util::stream::BoxStream;
use std::marker::PhantomData;

/// Which rows of a paranoid (soft-delete) model a query sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deleted {
    Exclude,
    Include,
    Only,
}

/// A query on model `M`: `User::find().filter(..).order_by(..).limit(..)`,
/// ended by [`all`](Find::all), [`one`](Find::one), [`count`](Find::count),
/// [`stream`](Find::stream), an aggregate, [`update`](Find::update) or
/// [`delete`](Find::delete).
#[must_use = "a query does nothing until it is run with .all(&db), .one(&db), ..."]
pub struct Find<M> {
    filter: Option<Cond>,
    includes: Vec<Box<dyn Loader<M>>>,
    order: Vec<OrderTerm>,
    limit: Option<u64>,
    offset: Option<u64>,
    deleted: Deleted,
    /// A row lock for `all`/`one`/`stream` (see `lock.rs`).
    pub(crate) lock: Option<crate::ast::LockClause>,
    /// A primary-key lookup: at most one row, so `one` needs no LIMIT.
    by_key: bool,
    /// `use_primary()`: read from the primary even with read replicas.
    pub(crate) use_primary: bool,
    /// `timeout(d)`: each statement cancelled by the database after `d`.
    timeout: Option<std::time::Duration>,
    /// `distinct()`: an attribute selection returns each combination once.
    distinct: bool,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Find<M> {
    fn clone(&self) -> Self {
        Find {
            filter: self.filter.clone(),
            includes: self.includes.iter().map(|l| l.boxed_clone()).collect(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            deleted: self.deleted,
            lock: self.lock,
            by_key: self.by_key,
            use_primary: self.use_primary,
            timeout: self.timeout,
            distinct: self.distinct,
            _marker: PhantomData,
        }
    }
}

impl<M: Model> Default for Find<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// The handle a query with `use_primary()` or `timeout()` runs on, kept
/// by the caller for the query's lifetime ([`Find::routed`]).
pub(crate) enum Routed {
    Db(crate::db::Db),
    Tx(crate::db::Transaction),
}

impl<M> Find<M> {
    /// The query's WHERE condition, if any.
    pub(crate) fn into_filter(self) -> Option<Cond> {
        self.filter
    }
}

impl<M: Model> Find<M> {
    /// Read from the primary even when the `Db` has read replicas (this
    /// query and its includes).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64 }
    /// let fresh = User::find().use_primary();
    /// # let _ = fresh;
    /// ```
    pub fn use_primary(mut self) -> Self {
        self.use_primary = true;
        self
    }

    /// The connection a read of this query uses: `conn`, or with
    /// `use_primary()` the primary of its `Db` (kept in `slot`).
    pub(crate) fn routed<'a>(&self, conn: Conn<'a>, slot: &'a mut Option<Routed>) -> Conn<'a> {
        match conn {
            Conn::Db(d) if self.use_primary || self.timeout.is_some() => {
                let mut handle = if self.use_primary { d.primary() } else { d.clone() };
                if self.timeout.is_some() {
                    handle.statement_timeout = self.timeout;
                }
                match slot.insert(Routed::Db(handle)) {
                    Routed::Db(d) => Conn::Db(d),
                    Routed::Tx(_) => unreachable!("just inserted"),
                }
            }
            Conn::Tx(tx) if let Some(limit) = self.timeout => match slot.insert(Routed::Tx(tx.timed(limit))) {
                Routed::Tx(t) => Conn::Tx(t),
                Routed::Db(_) => unreachable!("just inserted"),
            },
            other => other,
        }
    }

    /// Have the database cancel each statement of this query still running
    /// after `d` ([`Error::Timeout`](crate::Error::Timeout)): MariaDB's
    /// `SET STATEMENT max_statement_time = .. FOR`, PostgreSQL's
    /// `SET LOCAL statement_timeout` in a transaction of its own, SQLite an
    /// interrupt at the deadline. On a [`Transaction`](crate::Transaction)
    /// it applies to the statement alone (PostgreSQL sets it before and
    /// back after); a statement cancelled there fails the transaction on
    /// PostgreSQL, as any failed statement does, so roll it back.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # use orm_core::Condition;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into() }).await?;
    /// use std::time::Duration;
    /// let quick = User::find().timeout(Duration::from_millis(200)).all(&db).await?;
    /// assert_eq!(quick.len(), 1);
    /// let endless = Condition::sql("(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n) > 0", Vec::<i64>::new());
    /// let err = User::find().filter(endless).timeout(Duration::from_millis(100)).all(&db).await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn timeout(mut self, d: std::time::Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// Apply a named scope: any `fn(Find<M>) -> Find<M>` (Sequelize's `scope()`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct Item { id: i64, price: i64 }
    /// fn cheap(q: Find<Item>) -> Find<Item> {
    ///     q.filter(Item::PRICE.lt(10))
    /// }
    /// let q = Item::find().scope(cheap).limit(5);
    /// # let _ = q;
    /// ```
    pub fn scope(self, scope: impl FnOnce(Find<M>) -> Find<M>) -> Self {
        scope(self)
    }

    /// A query over every row of `M`'s table.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let everyone = orm_core::Find::<User>::new().count(&db).await?;
    /// assert_eq!(everyone, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn new() -> Self {
        Find {
            filter: None,
            includes: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            deleted: Deleted::Exclude,
            lock: None,
            by_key: false,
            use_primary: false,
            timeout: None,
            distinct: false,
            _marker: PhantomData,
        }
    }

    /// Keep rows matching `cond`; several calls are ANDed.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let ada = User::find().filter(User::NAME.eq("Ada")).filter(User::AGE.gt(30)).all(&db).await?;
    /// assert_eq!(ada.len(), 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn filter(mut self, cond: Condition<M>) -> Self {
        self.filter = Some(match self.filter.take() {
            None => cond.cond,
            Some(prev) => Condition::<M>::new(prev).and(cond).cond,
        });
        self
    }

    /// Eager-load an association (`User::posts()`), with one extra query
    /// for all the rows found, never one per row.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let found = User::find().all(&db).await?; // with associations: User::find().include(User::posts())
    /// assert_eq!(found.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn include<C: Model + Clone>(mut self, assoc: Assoc<M, C>) -> Self {
        self.includes.push(Box::new(assoc));
        self
    }

    /// Sort by a column (`User::NAME.asc()`, `User::CREATED_AT.desc()`, or a bare column for ascending).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let names: Vec<String> = User::find().order_by(User::AGE.desc()).all(&db).await?.into_iter().map(|u| u.name).collect();
    /// assert_eq!(names, ["Alan", "Ada"]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn order_by(mut self, order: impl Into<Order<M>>) -> Self {
        let o = order.into();
        self.order.push(o.term);
        self
    }

    /// Return at most `n` rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let first = User::find().order_by(User::ID.asc()).limit(1).all(&db).await?;
    /// assert_eq!(first.len(), 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skip the first `n` rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let second = User::find().order_by(User::ID.asc()).limit(1).offset(1).all(&db).await?;
    /// assert_eq!(second[0].name, "Alan");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Mark the query as a primary-key lookup (used by `find_by_pk`).
    #[doc(hidden)]
    pub fn __by_key(mut self) -> Self {
        self.by_key = true;
        self
    }

    /// Paranoid models: see soft-deleted rows too.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let all = User::find().with_deleted().count(&db).await?; // soft-deleted rows too (paranoid models)
    /// assert_eq!(all, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn with_deleted(mut self) -> Self {
        self.deleted = Deleted::Include;
        self
    }

    /// Paranoid models: see only soft-deleted rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// #[derive(Model, Debug, Clone)]
    /// #[orm(paranoid, timestamps = false)]
    /// struct Note { id: i64, text: String, deleted_at: Option<chrono::DateTime<chrono::Utc>> }
    /// Schema::new().model::<Note>().sync(&db).await?;
    /// let note = Note::create(&db, NewNote { text: "old".into() }).await?;
    /// Note::create(&db, NewNote { text: "kept".into() }).await?;
    /// note.destroy(&db).await?; // a soft delete
    /// let gone = Note::find().only_deleted().all(&db).await?;
    /// assert_eq!(gone.len(), 1);
    /// assert_eq!(Note::find().count(&db).await?, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn only_deleted(mut self) -> Self {
        self.deleted = Deleted::Only;
        self
    }

    /// The WHERE: the filter, required includes, and the soft-delete rule.
    fn where_cond(&self) -> Option<Cond> {
        let mut parts: Vec<Cond> = self.filter.iter().cloned().collect();
        parts.extend(self.includes.iter().filter_map(|l| l.required_exists()));
        if let Some(i) = M::META.deleted_at {
            let col = M::META.columns[i].name;
            match self.deleted {
                Deleted::Exclude => parts.push(Cond::Null(col, false)),
                Deleted::Only => parts.push(Cond::Null(col, true)),
                Deleted::Include => {}
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Cond::And(parts)),
        }
    }

    pub(crate) fn select_items(&self, items: Vec<SelectItem>) -> Select {
        let mut s = Select::new(M::META.table);
        s.items = items;
        s.distinct = self.distinct;
        s.filter = self.where_cond();
        s.order = self.order.clone();
        s.limit = self.limit;
        s.offset = self.offset;
        // Past 16 associations in one query the names stay unresolved and
        // the database refuses the statement.
        let _ = crate::include::join::resolve_via(&mut s, M::META, M::META.table);
        s
    }

    fn columns() -> Vec<SelectItem> {
        M::META.column_names.iter().map(|c| SelectItem::Column(c)).collect()
    }

    /// The SELECT this query sends, rendered for `dialect`.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, name: String }
    /// let st = User::find().filter(User::NAME.eq("Ada")).limit(1).to_sql(Dialect::Postgres);
    /// assert_eq!(st.sql, r#"SELECT "id", "name" FROM "users" WHERE "name" = $1 LIMIT $2"#);
    /// ```
    pub fn to_sql(&self, dialect: Dialect) -> Statement {
        if self.includes.iter().any(|l| l.is_joined())
            && let Ok((s, _, _)) = self.joined_select()
        {
            return render_select(dialect.sql(), &s);
        }
        render_select(dialect.sql(), &self.rows_select())
    }

    /// The SELECT of `all`, `one` and `stream`: every column, and the lock.
    fn rows_select(&self) -> Select {
        let mut s = self.select_items(Self::columns());
        s.lock = self.lock;
        s
    }

    /// Every matching row.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let users = User::find().filter(User::AGE.gte(18)).all(&db).await?;
    /// assert_eq!(users.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        let mut primary = None;
        let conn = self.routed(db.__conn(), &mut primary);
        check_lock(self.lock, &conn, M::META.name)?;
        if self.includes.iter().any(|l| l.is_joined()) {
            return self.all_joined(conn).await;
        }
        let st = render_select(conn.dialect().sql(), &self.rows_select());
        let mut rows = conn.read(st, M::__from_row).await?;
        if !rows.is_empty() {
            for include in &self.includes {
                include.load(conn, &mut rows).await?;
            }
        }
        Ok(rows)
    }

    /// The SELECT of `all` with `.join()` includes: the parents' columns
    /// first, each joined include's after them. With a to-many join and a
    /// limit or offset, the parents are limited in a subquery first, so the
    /// limit counts parents, not joined rows.
    fn joined_select(&self) -> Result<(Select, crate::include::join::Collectors<M>, bool)> {
        let parent_ref = M::META.table;
        let mut s = self.rows_select();
        crate::include::join::qualify_parent(&mut s, parent_ref);
        if s.lock.is_some() {
            return Err(Error::invalid(
                "a locking read cannot .join() an include (the lock would take the joined rows too); load it without .join()",
            ));
        }
        let many = self.includes.iter().any(|l| l.joins_many());
        if many && (s.limit.is_some() || s.offset.is_some()) {
            let mut outer = Select::new(M::META.table);
            outer.items = s.items.clone();
            outer.alias = Some(parent_ref);
            outer.from_query = Some(Box::new(s));
            outer.order = self.order.clone();
            crate::include::join::resolve_via(&mut outer, M::META, parent_ref)?;
            crate::include::join::qualify_parent(&mut outer, parent_ref);
            s = outer;
        }
        // Rows are put back together by key, so no ORDER BY is needed for
        // that: only the children's own order follows the parents'.
        let (collectors, child_order) = crate::include::join::plan_includes(&mut s, &self.includes, parent_ref)?;
        s.order.extend(child_order);
        Ok((s, collectors, many))
    }

    async fn all_joined(self, conn: Conn<'_>) -> Result<Vec<M>> {
        let (s, mut collectors, repeats) = self.joined_select()?;
        let st = render_select(conn.dialect().sql(), &s);
        let mut parents: Vec<M> = Vec::new();
        let mut seen: std::collections::HashMap<crate::include::join::RowKey, usize, crate::include::KeyHasher> =
            Default::default();
        conn.read(st, |row| {
            // Only a join that can repeat the parent's row needs its key.
            let key = if repeats {
                crate::include::join::row_key(row, M::META, 0)?
            } else {
                None
            };
            let idx = match key {
                Some(k) => {
                    let next = parents.len();
                    let i = *seen.entry(k).or_insert(next);
                    if i == next {
                        parents.push(M::__from_row(row)?);
                    }
                    i
                }
                None => {
                    parents.push(M::__from_row(row)?);
                    parents.len() - 1
                }
            };
            for c in &mut collectors {
                c.read(row, idx)?;
            }
            Ok(())
        })
        .await?;
        for c in collectors {
            c.finish(conn, &mut parents).await?;
        }
        if !parents.is_empty() {
            for l in self.includes.iter().filter(|l| !l.is_joined()) {
                l.load(conn, &mut parents).await?;
            }
        }
        Ok(parents)
    }

    /// The first matching row, if any.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let ada = User::find().filter(User::NAME.eq("Ada")).one(&db).await?;
    /// assert_eq!(ada.map(|u| u.age), Some(36));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn one<E: Executor + ?Sized>(mut self, db: &E) -> Result<Option<M>> {
        if !self.by_key {
            self.limit = Some(1);
        }
        Ok(self.all(db).await?.into_iter().next())
    }

    /// The matching rows one at a time, without loading them all (includes
    /// are not loaded on a stream). On a transaction the rows are read
    /// first, then yielded.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// use futures_util::StreamExt;
    /// let mut rows = User::find().order_by(User::ID.asc()).stream(&db);
    /// let mut seen = 0;
    /// while let Some(user) = rows.next().await {
    ///     user?;
    ///     seen += 1;
    /// }
    /// assert_eq!(seen, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn stream<'a, E: Executor + ?Sized>(self, db: &'a E) -> BoxStream<'a, Result<M>> {
        use futures_util::StreamExt;
        let conn = db.__conn();
        if let Err(e) = check_lock(self.lock, &conn, M::META.name) {
            return futures_util::stream::iter([Err(e)]).boxed();
        }
        let st = render_select(conn.dialect().sql(), &self.rows_select());
        match conn {
            Conn::Db(d) if self.use_primary => crate::db::stream_rows(d, st, M::__from_row),
            Conn::Db(d) => crate::db::stream_rows(Conn::stream_target(d).unwrap_or(d), st, M::__from_row),
            Conn::Tx(_) => futures_util::stream::once(async move { conn.fetch(st, M::__from_row).await })
                .flat_map(|res| match res {
                    Ok(rows) => futures_util::stream::iter(rows.into_iter().map(Ok)).boxed(),
                    Err(e) => futures_util::stream::iter([Err(e)]).boxed(),
                })
                .boxed(),
        }
    }

    /// How many rows match (limit and offset are ignored).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// assert_eq!(User::find().filter(User::AGE.gt(40)).count(&db).await?, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn count<E: Executor + ?Sized>(self, db: &E) -> Result<i64> {
        let mut primary = None;
        let conn = self.routed(db.__conn(), &mut primary);
        let mut s = self.select_items(vec![SelectItem::CountStar]);
        s.order.clear();
        s.limit = None;
        s.offset = None;
        let st = render_select(conn.dialect().sql(), &s);
        let rows = conn.read(st, |r| i64::decode(r, 0)).await?;
        Ok(rows.into_iter().next().unwrap_or(0))
    }

    pub(crate) async fn aggregate<T: FieldType, E: Executor + ?Sized>(
        self,
        db: &E,
        f: AggFn,
        col: &'static str,
        cast: Option<AggCast>,
        ty: crate::value::SqlType,
    ) -> Result<Option<T>> {
        let mut primary = None;
        let conn = self.routed(db.__conn(), &mut primary);
        let mut s = self.select_items(vec![SelectItem::Agg(f, col, cast, ty)]);
        s.order.clear();
        s.limit = None;
        s.offset = None;
        let st = render_select(conn.dialect().sql(), &s);
        Ok(conn
            .read(st, |r| Option::<T>::decode(r, 0))
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// `MIN(column)` over the matching rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// assert_eq!(User::find().min(User::AGE, &db).await?, Some(36));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn min<T: FieldType, E: Executor + ?Sized>(self, column: Column<M, T>, db: &E) -> Result<Option<T>> {
        self.aggregate(db, AggFn::Min, column.name(), None, T::SQL_TYPE).await
    }

    /// `MAX(column)` over the matching rows.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// assert_eq!(User::find().max(User::NAME, &db).await?, Some("Alan".to_string()));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn max<T: FieldType, E: Executor + ?Sized>(self, column: Column<M, T>, db: &E) -> Result<Option<T>> {
        self.aggregate(db, AggFn::Max, column.name(), None, T::SQL_TYPE).await
    }

    /// Fetch only these columns, as a tuple: `.attributes((User::ID, User::NAME))`.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let names: Vec<(String,)> = User::find().order_by(User::ID.asc()).attributes((User::NAME,)).all(&db).await?;
    /// assert_eq!(names, [("Ada".to_string(),), ("Alan".to_string(),)]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn attributes<S: Selection<M>>(self, columns: S) -> Picked<M, S> {
        Picked {
            find: self,
            columns,
            _marker: PhantomData,
        }
    }

    /// Return each combination of the selected columns once
    /// (`SELECT DISTINCT`), for [`attributes`](Find::attributes). The query
    /// may then order only by selected columns. Whole rows are distinct by
    /// their key already, so `all` and `one` are unchanged by it.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, author_id: i64 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Post>().sync(&db).await?;
    /// for author_id in [2, 1, 2, 2] {
    ///     Post::create(&db, NewPost { author_id }).await?;
    /// }
    /// let authors: Vec<(i64,)> = Post::find()
    ///     .distinct()
    ///     .order_by(Post::AUTHOR_ID.asc())
    ///     .attributes((Post::AUTHOR_ID,))
    ///     .all(&db)
    ///     .await?;
    /// assert_eq!(authors, [(1,), (2,)]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    fn require_filter(&self, what: &str) -> Result<()> {
        if crate::include::join::uses_association(&self.filter) {
            return Err(Error::invalid(format!(
                "a bulk {what} cannot filter by an association's column (Assoc::col); select the keys first, as in `{}::ID.in_query(..)`",
                M::META.name
            )));
        }
        if self.filter.is_none() {
            return Err(Error::invalid(format!(
                "{what} on {} without a filter would touch every row; add .filter(..) (use Condition::all() to mean every row)",
                M::META.table
            )));
        }
        Ok(())
    }

    /// Apply `patch` to every matching row; returns the number of rows affected.
    /// `updated_at` is bumped, and so is the version of a versioned model (in
    /// SQL), so instances loaded before are stale. Values the columns cannot
    /// hold are refused first. A query without a filter is refused.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let changed = User::find().filter(User::NAME.eq("Ada")).update(&db, UserPatch { age: Some(37), ..Default::default() }).await?;
    /// assert_eq!(changed, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn update<E: Executor + ?Sized>(self, db: &E, patch: M::Patch) -> Result<u64> {
        self.require_filter("update")?;
        let mut errors = FieldErrors::new();
        M::__validate_patch(&patch, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Validation {
                model: M::META.name,
                row: None,
                fields: errors,
            });
        }
        let mut timed = None;
        let conn = self.routed(db.__conn(), &mut timed);
        let values = M::__patch_values(&patch);
        crate::guard::check_named(conn.dialect().sql().value_limits(), M::META, &values)?;
        let mut sets: Vec<(&'static str, Assign)> = values.into_iter().map(|(c, v)| (c, Assign::Value(v))).collect();
        if sets.is_empty() {
            return Ok(0);
        }
        if let Some(i) = M::META.updated_at {
            let col = M::META.columns[i].name;
            if !sets.iter().any(|(c, _)| *c == col) {
                sets.push((col, Assign::Value(now().to_value())));
            }
        }
        if let Some(v) = M::META.version {
            // Instances loaded before this update are stale from now on.
            let col = M::META.columns[v].name;
            sets.retain(|(c, _)| *c != col);
            sets.push((col, Assign::Add(Value::I32(1))));
        }
        let u = Update {
            table: M::META.table,
            sets,
            filter: self.where_cond(),
        };
        let st = render_update(conn.dialect().sql(), &u);
        M::before_bulk(BulkEvent::Update, &conn).await?;
        let done = conn.execute(st).await.map_err(|e| enrich(e, M::META))?;
        M::after_bulk(BulkEvent::Update, &conn, done.rows_affected).await?;
        Ok(done.rows_affected)
    }

    /// Delete every matching row (soft-delete on a paranoid model); returns
    /// the number of rows. A query without a filter is refused.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let removed = User::find().filter(User::AGE.gt(40)).delete(&db).await?;
    /// assert_eq!(removed, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn delete<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        self.require_filter("delete")?;
        let mut timed = None;
        let conn = self.routed(db.__conn(), &mut timed);
        let st = match M::META.deleted_at {
            Some(i) => {
                let sets = vec![(M::META.columns[i].name, Assign::Value(now().to_value()))];
                render_update(
                    conn.dialect().sql(),
                    &Update {
                        table: M::META.table,
                        sets,
                        filter: self.where_cond(),
                    },
                )
            }
            None => render_delete(
                conn.dialect().sql(),
                &Delete {
                    table: M::META.table,
                    filter: self.where_cond(),
                },
            ),
        };
        M::before_bulk(BulkEvent::Destroy, &conn).await?;
        let done = conn.execute(st).await.map_err(|e| enrich(e, M::META))?;
        M::after_bulk(BulkEvent::Destroy, &conn, done.rows_affected).await?;
        Ok(done.rows_affected)
    }

    /// Delete every matching row, even on a paranoid model.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let removed = User::find().filter(User::NAME.eq("Alan")).delete_force(&db).await?; // paranoid models: for good
    /// assert_eq!(removed, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn delete_force<E: Executor + ?Sized>(mut self, db: &E) -> Result<u64> {
        self.require_filter("delete")?;
        self.deleted = Deleted::Include;
        let mut timed = None;
        let conn = self.routed(db.__conn(), &mut timed);
        let st = render_delete(
            conn.dialect().sql(),
            &Delete {
                table: M::META.table,
                filter: self.where_cond(),
            },
        );
        M::before_bulk(BulkEvent::Destroy, &conn).await?;
        let done = conn.execute(st).await.map_err(|e| enrich(e, M::META))?;
        M::after_bulk(BulkEvent::Destroy, &conn, done.rows_affected).await?;
        Ok(done.rows_affected)
    }
}

/// A tuple of columns of `M` that [`Find::attributes`] fetches.
pub trait Selection<M>: Send {
    /// What one row becomes.
    type Output: Send;
    /// The column names, in order.
    fn names(&self) -> Vec<&'static str>;
    /// Decode one row.
    fn decode(row: RowRef<'_>) -> Result<Self::Output>;
}

macro_rules! selection {
    ($($t:ident $i:tt),+) => {
        impl<M, $($t: FieldType),+> Selection<M> for ($(Column<M, $t>,)+) {
            type Output = ($($t,)+);
            fn names(&self) -> Vec<&'static str> {
                vec![$(self.$i.name()),+]
            }
            fn decode(row: RowRef<'_>) -> Result<Self::Output> {
                Ok(($($t::decode(row, $i)?,)+))
            }
        }
    };
}

selection!(A 0);
selection!(A 0, B 1);
selection!(A 0, B 1, C 2);
selection!(A 0, B 1, C 2, D 3);
selection!(A 0, B 1, C 2, D 3, F 4);
selection!(A 0, B 1, C 2, D 3, F 4, G 5);

/// A query that fetches some columns only (from [`Find::attributes`]).
#[must_use]
pub struct Picked<M, S> {
    find: Find<M>,
    columns: S,
    _marker: PhantomData<fn() -> M>,
}

impl<M: Model, S: Selection<M>> Picked<M, S> {
    /// Every matching row, as tuples.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// let pairs: Vec<(String, i32)> = User::find().order_by(User::ID.asc()).attributes((User::NAME, User::AGE)).all(&db).await?;
    /// assert_eq!(pairs[0], ("Ada".to_string(), 36));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<S::Output>> {
        let names = self.columns.names();
        if self.find.distinct {
            let outside = self.find.order.iter().any(|o| match o {
                OrderTerm::Column(c, _) => !names.contains(&c.name),
                _ => true,
            });
            if outside {
                return Err(Error::invalid(
                    "distinct(): order by selected columns only (a row of the result has no other value to order by)",
                ));
            }
        }
        let mut primary = None;
        let conn = self.find.routed(db.__conn(), &mut primary);
        let items = names.into_iter().map(SelectItem::Column).collect();
        let st = render_select(conn.dialect().sql(), &self.find.select_items(items));
        conn.read(st, S::decode).await
    }

    /// Every matching row, converted into a struct of yours (`T: From<tuple>`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct User { id: i64, name: String, age: i32 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<User>().sync(&db).await?;
    /// # User::create(&db, NewUser { name: "Ada".into(), age: 36 }).await?;
    /// # User::create(&db, NewUser { name: "Alan".into(), age: 41 }).await?;
    /// #[derive(Debug, PartialEq)]
    /// struct Name(String);
    /// impl From<(String,)> for Name { fn from((s,): (String,)) -> Self { Name(s) } }
    /// let names: Vec<Name> = User::find().order_by(User::ID.asc()).attributes((User::NAME,)).all_as(&db).await?;
    /// assert_eq!(names[0], Name("Ada".into()));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all_as<T: From<S::Output>, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<T>> {
        Ok(self.all(db).await?.into_iter().map(T::from).collect())
    }
}

/// A locking read must run in a transaction.
pub(crate) fn check_lock(lock: Option<crate::ast::LockClause>, conn: &Conn<'_>, model: &str) -> Result<()> {
    if lock.is_some() && matches!(conn, Conn::Db(_)) {
        return Err(Error::invalid(format!(
            "a locking read of {model} outside a transaction would release its locks at once; run it on a transaction (db.transaction(async |tx| ..) or db.begin())"
        )));
    }
    Ok(())
}
