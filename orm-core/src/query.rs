//! `Find<M>`: the read builder (`User::find()`), ended by an executor call,
//! plus filtered bulk `update` and `delete`.

use crate::ast::{Assign, Cond, Delete, Select, SelectItem, Update};
use crate::column::{Condition, Order};
use crate::dialect::{Dialect, Statement, render_delete, render_select, render_update};
use crate::error::{Error, FieldErrors, Result};
use crate::exec::Executor;
use crate::field::FieldType;
use crate::include::{Assoc, Loader};
use crate::model::Model;
use crate::runtime::{enrich, now};
use std::marker::PhantomData;

/// A query on model `M`: `User::find().filter(..).order_by(..).limit(..)`,
/// ended by [`all`](Find::all), [`one`](Find::one), [`count`](Find::count),
/// [`update`](Find::update) or [`delete`](Find::delete).
#[must_use = "a query does nothing until it is run with .all(&db), .one(&db), ..."]
pub struct Find<M> {
    filter: Option<Cond>,
    includes: Vec<Box<dyn Loader<M>>>,
    order: Vec<(&'static str, crate::ast::Direction)>,
    limit: Option<u64>,
    offset: Option<u64>,
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
            _marker: PhantomData,
        }
    }
}

impl<M: Model> Default for Find<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Find<M> {
    /// A query over every row of `M`'s table.
    pub fn new() -> Self {
        Find {
            filter: None,
            includes: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            _marker: PhantomData,
        }
    }

    /// Keep rows matching `cond`; several calls are ANDed.
    pub fn filter(mut self, cond: Condition<M>) -> Self {
        self.filter = Some(match self.filter.take() {
            None => cond.cond,
            Some(prev) => Condition::<M>::new(prev).and(cond).cond,
        });
        self
    }

    /// Eager-load an association (`User::posts()`), with one extra query
    /// for all the rows found, never one per row.
    pub fn include<C: Model + Clone>(mut self, assoc: Assoc<M, C>) -> Self {
        self.includes.push(Box::new(assoc));
        self
    }

    /// Sort by a column (`User::NAME.asc()`, `User::CREATED_AT.desc()`, or a bare column for ascending).
    pub fn order_by(mut self, order: impl Into<Order<M>>) -> Self {
        let o = order.into();
        self.order.push((o.column, o.direction));
        self
    }

    /// Return at most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skip the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    fn select(&self, items: Vec<SelectItem>) -> Select {
        let mut s = Select::new(M::META.table);
        s.items = items;
        let mut parts: Vec<Cond> = self.filter.iter().cloned().collect();
        parts.extend(self.includes.iter().filter_map(|l| l.exists()));
        s.filter = match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Cond::And(parts)),
        };
        s.order = self.order.clone();
        s.limit = self.limit;
        s.offset = self.offset;
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
        render_select(dialect.sql(), &self.select(Self::columns()))
    }

    /// Every matching row.
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        let conn = db.__conn();
        let st = render_select(conn.dialect().sql(), &self.select(Self::columns()));
        let mut rows = conn.fetch(st, M::__from_row).await?;
        if !rows.is_empty() {
            for include in &self.includes {
                include.load(conn, &mut rows).await?;
            }
        }
        Ok(rows)
    }

    /// The first matching row, if any.
    pub async fn one<E: Executor + ?Sized>(mut self, db: &E) -> Result<Option<M>> {
        self.limit = Some(1);
        Ok(self.all(db).await?.into_iter().next())
    }

    /// How many rows match (limit and offset are ignored).
    pub async fn count<E: Executor + ?Sized>(self, db: &E) -> Result<i64> {
        let conn = db.__conn();
        let mut s = self.select(vec![SelectItem::CountStar]);
        s.order.clear();
        s.limit = None;
        s.offset = None;
        let st = render_select(conn.dialect().sql(), &s);
        let rows = conn.fetch(st, |r| i64::decode(r, 0)).await?;
        Ok(rows.into_iter().next().unwrap_or(0))
    }

    fn require_filter(&self, what: &str) -> Result<Cond> {
        self.filter.clone().ok_or_else(|| {
            Error::invalid(format!(
                "{what} on {} without a filter would touch every row; add .filter(..) (use Condition::all() to mean every row)",
                M::META.table
            ))
        })
    }

    /// Apply `patch` to every matching row; returns the number of rows affected.
    /// `updated_at` is bumped. A query without a filter is refused.
    pub async fn update<E: Executor + ?Sized>(self, db: &E, patch: M::Patch) -> Result<u64> {
        let filter = self.require_filter("update")?;
        let mut errors = FieldErrors::new();
        M::__validate_patch(&patch, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Validation {
                model: M::META.name,
                row: None,
                fields: errors,
            });
        }
        let mut sets: Vec<(&'static str, Assign)> = M::__patch_values(&patch)
            .into_iter()
            .map(|(c, v)| (c, Assign::Value(v)))
            .collect();
        if sets.is_empty() {
            return Ok(0);
        }
        if let Some(i) = M::META.updated_at {
            let col = M::META.columns[i].name;
            if !sets.iter().any(|(c, _)| *c == col) {
                sets.push((col, Assign::Value(now().to_value())));
            }
        }
        let conn = db.__conn();
        let u = Update {
            table: M::META.table,
            sets,
            filter: Some(filter),
        };
        let st = render_update(conn.dialect().sql(), &u);
        let done = conn.execute(st).await.map_err(|e| enrich(e, M::META))?;
        Ok(done.rows_affected)
    }

    /// Delete every matching row; returns the number deleted. A query
    /// without a filter is refused.
    pub async fn delete<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        let filter = self.require_filter("delete")?;
        let conn = db.__conn();
        let d = Delete {
            table: M::META.table,
            filter: Some(filter),
        };
        let st = render_delete(conn.dialect().sql(), &d);
        let done = conn.execute(st).await.map_err(|e| enrich(e, M::META))?;
        Ok(done.rows_affected)
    }
}
