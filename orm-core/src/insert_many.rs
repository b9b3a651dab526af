//! `Model::insert_many(rows)`: many rows in one statement per chunk, with
//! an optional conflict clause (`on_conflict(target)` + `do_update(cols)` /
//! `do_nothing()`) that behaves the same on every database.
//!
//! The conflict target must be a key the database enforces: the primary
//! key or a unique column the model declares. MySQL/MariaDB take no
//! target (`ON DUPLICATE KEY UPDATE` fires on any unique key), so there the
//! rows are first checked, under a locking read in the same transaction,
//! against the table's other unique keys: a row that collides on another
//! key than the target is refused with `Error::UniqueViolation`, as
//! PostgreSQL and SQLite refuse it, instead of updating that other row.

use crate::ast::{OnConflict, Select};
use crate::column::Column;
use crate::db::{Conn, Executor, Transaction};
use crate::dialect::{InsertId, render_insert, render_select};
use crate::error::{Error, Result};
use crate::field::now;
use crate::hooks::Event;
use crate::include::KeyHasher;
use crate::meta::{ModelMeta, enrich};
use crate::model::Model;
use crate::other_keys::{Target, TargetKey};
use crate::runtime::{guard_row, insert_in};
use crate::value::Value;
use std::collections::HashMap;

/// Each input row's position by its conflict target (foldhash, as the
/// loaders' key maps: SipHash was a visible share of a 5,000-row upsert).
type Positions = HashMap<TargetKey, usize, KeyHasher>;

/// Columns of `M` named together: one [`Column`], an array of columns of
/// one type, or a tuple of columns (`(Account::TENANT_ID, Account::EMAIL)`).
pub trait Columns<M> {
    /// The column names, in order.
    fn names(&self) -> Vec<&'static str>;
}

impl<M, T> Columns<M> for Column<M, T> {
    fn names(&self) -> Vec<&'static str> {
        vec![self.name()]
    }
}

impl<M, T, const N: usize> Columns<M> for [Column<M, T>; N] {
    fn names(&self) -> Vec<&'static str> {
        self.iter().map(|c| c.name()).collect()
    }
}

macro_rules! columns_tuple {
    ($($t:ident $i:tt),+) => {
        impl<M, $($t),+> Columns<M> for ($(Column<M, $t>,)+) {
            fn names(&self) -> Vec<&'static str> {
                vec![$(self.$i.name()),+]
            }
        }
    };
}

columns_tuple!(A 0);
columns_tuple!(A 0, B 1);
columns_tuple!(A 0, B 1, C 2);
columns_tuple!(A 0, B 1, C 2, D 3);
columns_tuple!(A 0, B 1, C 2, D 3, F 4);
columns_tuple!(A 0, B 1, C 2, D 3, F 4, G 5);

/// What a conflicting row does.
enum Action {
    Nothing,
    Update(Vec<&'static str>),
}

/// `Model::insert_many(rows)`: ended by [`all`](InsertMany::all) (the
/// stored rows) or [`exec`](InsertMany::exec) (how many).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Account { id: i64, #[orm(unique)] email: String, credit: i64 }
/// # async fn demo() -> orm_core::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Schema::new().model::<Account>().sync(&db).await?;
/// Account::create(&db, NewAccount { email: "a@x".into(), credit: 1 }).await?;
/// let stored = Account::insert_many(vec![
///     NewAccount { email: "a@x".into(), credit: 5 }, // exists: its credit is updated
///     NewAccount { email: "b@x".into(), credit: 7 }, // new
/// ])
/// .on_conflict(Account::EMAIL)
/// .do_update([Account::CREDIT])
/// .all(&db)
/// .await?;
/// let credits: Vec<(String, i64)> = stored.into_iter().map(|a| (a.email, a.credit)).collect();
/// assert_eq!(credits, [("a@x".to_string(), 5), ("b@x".to_string(), 7)]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[must_use = "nothing is written until .all(&db) or .exec(&db)"]
pub struct InsertMany<M: Model> {
    rows: Vec<M::New>,
    target: Option<Vec<&'static str>>,
    action: Option<Action>,
}

impl<M: Model> InsertMany<M> {
    /// The rows to insert (what `Model::insert_many` makes).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// let n = orm_core::InsertMany::<Tag>::new(vec![NewTag { name: "a".into() }]).exec(&db).await?;
    /// assert_eq!(n, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn new(rows: Vec<M::New>) -> Self {
        InsertMany {
            rows,
            target: None,
            action: None,
        }
    }

    /// The key a conflict is detected on: the primary key, or a unique
    /// column the model declares (another set is refused with
    /// `Error::InvalidQuery` when run). Then say what a conflicting row
    /// does: [`do_update`](InsertMany::do_update) or
    /// [`do_nothing`](InsertMany::do_nothing).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, #[orm(unique)] name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// let rows = || vec![NewTag { name: "rust".into() }];
    /// Tag::insert_many(rows()).on_conflict(Tag::NAME).do_nothing().exec(&db).await?;
    /// Tag::insert_many(rows()).on_conflict(Tag::NAME).do_nothing().exec(&db).await?;
    /// assert_eq!(Tag::find().count(&db).await?, 1);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn on_conflict(mut self, target: impl Columns<M>) -> Self {
        self.target = Some(target.names());
        self
    }

    /// A conflicting row's `cols` are overwritten with the new values (and
    /// `updated_at` bumped, the version of a versioned model raised); its
    /// key and other columns stay.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, #[orm(unique)] name: String, uses: i64 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// # Tag::create(&db, NewTag { name: "rust".into(), uses: 1 }).await?;
    /// let stored = Tag::insert_many(vec![NewTag { name: "rust".into(), uses: 2 }])
    ///     .on_conflict(Tag::NAME)
    ///     .do_update([Tag::USES])
    ///     .all(&db)
    ///     .await?;
    /// assert_eq!((stored[0].id, stored[0].uses), (1, 2));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn do_update(mut self, cols: impl Columns<M>) -> Self {
        self.action = Some(Action::Update(cols.names()));
        self
    }

    /// A conflicting row is skipped: the stored row stays as it is and is
    /// absent from what [`all`](InsertMany::all) returns.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, #[orm(unique)] name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// # Tag::create(&db, NewTag { name: "old".into() }).await?;
    /// let new = Tag::insert_many(vec![NewTag { name: "old".into() }, NewTag { name: "new".into() }])
    ///     .on_conflict(Tag::NAME)
    ///     .do_nothing()
    ///     .all(&db)
    ///     .await?;
    /// assert_eq!(new.len(), 1);
    /// assert_eq!(new[0].name, "new");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn do_nothing(mut self) -> Self {
        self.action = Some(Action::Nothing);
        self
    }

    /// The statement (of the first chunk) as `dialect` writes it, with a
    /// conflict clause; rows are not validated and no hook runs. On
    /// MySQL/MariaDB the check of the other unique keys (a locking SELECT)
    /// and the read-back come around it.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, #[orm(unique)] name: String, uses: i64 }
    /// let st = Tag::insert_many(vec![NewTag { name: "a".into(), uses: 1 }])
    ///     .on_conflict(Tag::NAME)
    ///     .do_update([Tag::USES])
    ///     .to_sql(Dialect::Postgres)?;
    /// assert_eq!(
    ///     st.sql,
    ///     r#"INSERT INTO "tags" ("name", "uses") VALUES ($1, $2) ON CONFLICT ("name") DO UPDATE SET "uses" = EXCLUDED."uses" RETURNING "id", "name", "uses""#
    /// );
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn to_sql(self, dialect: crate::backend::Dialect) -> Result<crate::dialect::Statement> {
        let meta = M::META;
        let (Some(target), Some(action)) = (self.target, self.action) else {
            return Err(Error::invalid(
                "to_sql shows a conflict clause: set on_conflict(..) and do_update/do_nothing",
            ));
        };
        check_target(meta, &target)?;
        let plan = Plan::new(meta, target, action)?;
        let stamp = now();
        let rows: Vec<Vec<Value>> = self
            .rows
            .into_iter()
            .map(|n| M::__from_new(n, stamp).__values())
            .collect();
        Ok(render_insert(dialect.sql(), plan.statement::<M>(dialect, rows)))
    }

    /// How many rows were inserted or updated (skipped ones not counted).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, #[orm(unique)] name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// let n = Tag::insert_many(vec![NewTag { name: "a".into() }, NewTag { name: "b".into() }]).exec(&db).await?;
    /// assert_eq!(n, 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn exec<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        Ok(self.all(db).await?.len() as u64)
    }

    /// Insert the rows (every row validated and its hooks run first; one
    /// transaction) and return the stored rows in input order: inserted
    /// ones, and with `do_update` the updated ones as stored; rows skipped
    /// by `do_nothing` are absent. Rows that repeat the conflict target are
    /// refused (`Error::InvalidQuery`): which one would win differs by database.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Tag { id: i64, name: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Tag>().sync(&db).await?;
    /// let tags = Tag::insert_many(vec![NewTag { name: "a".into() }, NewTag { name: "b".into() }]).all(&db).await?;
    /// assert_eq!((tags[0].id, tags[1].id), (1, 2));
    /// let r = Tag::insert_many(vec![NewTag { name: "c".into() }]).on_conflict(Tag::NAME).do_nothing().all(&db).await;
    /// assert!(matches!(r, Err(Error::InvalidQuery { .. })), "name is not unique");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        let meta = M::META;
        let (target, action) = match (self.target, self.action) {
            (None, None) => return crate::bulk::bulk_create::<M, E>(db, self.rows, true).await,
            (Some(t), Some(a)) => (t, a),
            (None, Some(_)) => return Err(Error::invalid("do_update/do_nothing need .on_conflict(target) first")),
            (Some(_), None) => {
                return Err(Error::invalid(
                    "on_conflict(..) needs what a conflicting row does: .do_update([cols]) or .do_nothing()",
                ));
            }
        };
        check_target(meta, &target)?;
        let plan = Plan::new(meta, target, action)?;
        let conn = db.__conn();
        let stamp = now();
        let mut models = Vec::with_capacity(self.rows.len());
        let mut values = Vec::with_capacity(self.rows.len());
        for (i, new) in self.rows.into_iter().enumerate() {
            let m = crate::bulk::batch_row::<M>(new, i, stamp, true)?;
            let row = m.__values();
            guard_row(&conn, meta, Some(i), &row)?;
            values.push(row);
            models.push(m);
        }
        let positions = plan.positions(&models)?;
        if models.is_empty() {
            return Ok(models);
        }
        for m in &models {
            m.before_write(Event::Upsert, &conn).await?;
        }
        let run = async |tx: &Transaction| plan.write(&Conn::Tx(tx), &models, values, &positions).await;
        let stored = match conn {
            Conn::Db(d) => d.transaction(run).await?,
            Conn::Tx(t) => t.transaction(run).await?,
        };
        for m in &stored {
            m.after_write(Event::Upsert, &conn).await?;
            crate::runtime::after_commit(m, Event::Upsert, &conn);
        }
        Ok(stored)
    }
}

/// The target is the primary key or a unique key the model declares (a
/// unique column or a `unique(a, b)` set), in any column order.
fn check_target(meta: &'static ModelMeta, target: &[&'static str]) -> Result<()> {
    let sorted = |mut v: Vec<&'static str>| {
        v.sort_unstable();
        v
    };
    let wanted = sorted(target.to_vec());
    let key = sorted(meta.pk_columns().map(|c| c.name).collect());
    if wanted == key || meta.unique_keys().any(|k| sorted(k) == wanted) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "({}) is not a key of {}: on_conflict takes the primary key or a unique key the model declares (#[orm(unique)] or #[orm(unique(a, b))])",
        target.join(", "),
        meta.name
    )))
}

/// The conflict clause of one `insert_many`, and how its rows are matched.
struct Plan {
    meta: &'static ModelMeta,
    target: Target,
    update: Vec<&'static str>,
    nothing: bool,
    bump: Option<&'static str>,
}

impl Plan {
    fn new(meta: &'static ModelMeta, target: Vec<&'static str>, action: Action) -> Result<Plan> {
        let (mut update, nothing) = match action {
            Action::Nothing => (Vec::new(), true),
            Action::Update(cols) => (cols, false),
        };
        for c in &update {
            let Some(col) = meta.column(c) else {
                return Err(Error::invalid(format!("{} has no column {c}", meta.name)));
            };
            if col.primary_key || target.contains(c) {
                return Err(Error::invalid(format!(
                    "do_update([{c}]): the key and the conflict target are what matched, not what changes"
                )));
            }
        }
        if !nothing && let Some(i) = meta.updated_at {
            let col = meta.columns[i].name;
            if !update.contains(&col) {
                update.push(col);
            }
        }
        let bump = if nothing {
            None
        } else {
            meta.version.map(|i| meta.columns[i].name)
        };
        if !nothing && update.is_empty() && bump.is_none() {
            return Err(Error::invalid(
                "do_update needs at least one column to update (or use do_nothing)",
            ));
        }
        Ok(Plan {
            meta,
            target: Target::new(meta, target),
            update,
            nothing,
            bump,
        })
    }

    /// Each row's position by its conflict-target values (what a stored
    /// row is matched back with), refusing rows that repeat a target.
    fn positions<M: Model>(&self, models: &[M]) -> Result<Positions> {
        let mut seen = Positions::with_capacity_and_hasher(models.len(), KeyHasher::default());
        for (i, m) in models.iter().enumerate() {
            if let Some(first) = seen.insert(self.target.key_of(m), i) {
                return Err(Error::invalid(format!(
                    "rows {first} and {i} have the same ({}): which one wins differs by database, so send one",
                    self.target.names.join(", ")
                )));
            }
        }
        Ok(seen)
    }

    /// One chunk's INSERT with its conflict clause (every column back on
    /// dialects with RETURNING).
    fn statement<M: Model>(&self, dialect: crate::backend::Dialect, rows: Vec<Vec<Value>>) -> crate::ast::Insert {
        let mut ins = insert_in::<M>(dialect, rows, &[]);
        ins.returning = None;
        ins.on_conflict = Some(OnConflict {
            table: self.meta.table,
            target: self.target.names.clone(),
            update: self.update.clone(),
            bump: self.bump,
            auto_key: None,
        });
        if dialect.sql().caps().insert_id == InsertId::Returning {
            ins.returning_all = self.meta.column_names.to_vec();
        }
        ins
    }

    /// Every chunk's statement (`values`: each model's, guarded); the
    /// stored rows in input order.
    async fn write<M: Model>(
        &self,
        conn: &Conn<'_>,
        models: &[M],
        values: Vec<Vec<Value>>,
        positions: &Positions,
    ) -> Result<Vec<M>> {
        let d = conn.dialect().sql();
        let ends = crate::bulk::chunk_rows::<M>(conn, &values);
        let mut stored: Vec<(usize, M)> = Vec::with_capacity(models.len());
        let mut values = values.into_iter();
        let mut start = 0;
        for end in ends {
            let part = &models[start..end];
            let rows: Vec<Vec<Value>> = values.by_ref().take(end - start).collect();
            let existing = if d.caps().upsert_any_unique_key {
                self.target.refuse_other_keys(conn, part, start, self.nothing).await?
            } else {
                std::collections::HashSet::new()
            };
            let ins = self.statement::<M>(conn.dialect(), rows);
            let rows: Vec<M> = if d.caps().insert_id == InsertId::Returning {
                let st = render_insert(d, ins);
                conn.fetch(st, M::__from_row).await.map_err(|e| enrich(e, self.meta))?
            } else {
                let st = render_insert(d, ins);
                conn.execute(st).await.map_err(|e| enrich(e, self.meta))?;
                let mut s = Select::of_model(self.meta);
                s.filter = Some(self.target.matching(part));
                let found = conn.fetch(render_select(d, &s), M::__from_row).await?;
                // do_nothing: the rows that were there before were skipped.
                found
                    .into_iter()
                    .filter(|m| !(self.nothing && existing.contains(&self.target.key_of(m))))
                    .collect()
            };
            for m in rows {
                let at = positions.get(&self.target.key_of(&m)).copied().ok_or_else(|| {
                    Error::invalid("insert_many: the database returned a row that matches no input row")
                })?;
                stored.push((at, m));
            }
            start = end;
        }
        stored.sort_by_key(|(i, _)| *i);
        Ok(stored.into_iter().map(|(_, m)| m).collect())
    }
}
