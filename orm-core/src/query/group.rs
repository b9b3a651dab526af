//! Aggregates and grouping: `sum`/`avg` with their result types,
//! `group_by` on one column or a tuple of columns, and `having`.

use crate::ast::{AggCast, AggFn, CmpOp, Cond, Direction, OrderTerm, SelectItem, TypedColumn};
use crate::column::Column;
use crate::db::Executor;
use crate::dialect::render_select;
use crate::error::Result;
use crate::field::FieldType;
use crate::model::Model;
use crate::query::Find;
use crate::row::RowRef;
use crate::value::Value;
use rust_decimal::Decimal;
use std::marker::PhantomData;

/// A column type that `sum` adds up, and the type of its sum: integers
/// sum to `i64` (past its range: [`Error::OutOfRange`](crate::Error::OutOfRange)),
/// floats to `f64`, decimals to `Decimal` (PostgreSQL and MySQL; SQLite
/// stores decimals as text and cannot sum them exactly).
pub trait Summable: FieldType {
    /// What the sum decodes as.
    type Sum: FieldType;
    #[doc(hidden)]
    const CAST: Option<AggCast>;
}

macro_rules! summable {
    ($($t:ty => $sum:ty, $cast:expr;)*) => {$(
        impl Summable for $t {
            type Sum = $sum;
            const CAST: Option<AggCast> = $cast;
        }
    )*};
}

summable! {
    i16 => i64, Some(AggCast::Integer);
    i32 => i64, Some(AggCast::Integer);
    i64 => i64, Some(AggCast::Integer);
    f32 => f64, Some(AggCast::Float);
    f64 => f64, Some(AggCast::Float);
    Decimal => Decimal, None;
}

impl<T: Summable> Summable for Option<T> {
    type Sum = T::Sum;
    const CAST: Option<AggCast> = T::CAST;
}

impl<M: Model> Find<M> {
    /// `SUM(column)` over the matching rows (`None` when no row matches):
    /// an `i64` for integer columns, `f64` for floats.
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
    /// let total = User::find().sum(User::AGE, &db).await?;
    /// assert_eq!(total, Some(77));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn sum<T: Summable, E: Executor + ?Sized>(self, column: Column<M, T>, db: &E) -> Result<Option<T::Sum>> {
        self.aggregate(db, AggFn::Sum, column.name(), T::CAST, T::SQL_TYPE)
            .await
            .map_err(|e| crate::runtime::out_of_range(e, M::META, column.name()))
    }

    /// `AVG(column)` over the matching rows, as `f64`.
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
    /// let mean = User::find().avg(User::AGE, &db).await?;
    /// assert_eq!(mean, Some(38.5));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn avg<T: FieldType, E: Executor + ?Sized>(self, column: Column<M, T>, db: &E) -> Result<Option<f64>> {
        self.aggregate(db, AggFn::Avg, column.name(), Some(AggCast::Float), T::SQL_TYPE)
            .await
    }

    /// Group the matching rows by a column or a tuple of columns
    /// (`group_by((Track::GENRE_ID, Track::MEDIA_TYPE_ID))`); end with
    /// `.count(&db)`, `.sum(col, &db)` or `.avg(col, &db)`. Groups come
    /// ordered by key unless the query orders them.
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
    /// let per_age = User::find().group_by(User::AGE).count(&db).await?;
    /// assert_eq!(per_age.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn group_by<G: GroupKey<M>>(self, key: G) -> Grouped<M, G::Key> {
        Grouped {
            find: self,
            keys: key.columns(),
            decode: G::decode,
            having: Vec::new(),
        }
    }
}

/// What [`Find::group_by`] groups by: one column, or a tuple of up to four.
pub trait GroupKey<M> {
    /// A group's key as returned.
    type Key: Send;
    /// The column names, in order.
    fn columns(&self) -> Vec<&'static str>;
    /// Decode a key from the first columns of a row.
    fn decode(row: RowRef<'_>) -> Result<Self::Key>;
}

impl<M, K: FieldType> GroupKey<M> for Column<M, K> {
    type Key = K;
    fn columns(&self) -> Vec<&'static str> {
        vec![self.name()]
    }
    fn decode(row: RowRef<'_>) -> Result<K> {
        K::decode(row, 0)
    }
}

macro_rules! group_key {
    ($($t:ident $i:tt),+) => {
        impl<M, $($t: FieldType),+> GroupKey<M> for ($(Column<M, $t>,)+) {
            type Key = ($($t,)+);
            fn columns(&self) -> Vec<&'static str> {
                vec![$(self.$i.name()),+]
            }
            fn decode(row: RowRef<'_>) -> Result<Self::Key> {
                Ok(($($t::decode(row, $i)?,)+))
            }
        }
    };
}

group_key!(A 0);
group_key!(A 0, B 1);
group_key!(A 0, B 1, C 2);
group_key!(A 0, B 1, C 2, D 3);

/// A condition on a group's aggregate, for [`Grouped::having`]:
/// `Having::count().gt(1)`, `Having::sum(User::VISITS).gte(10)`.
pub struct Having<M> {
    func: AggFn,
    column: Option<&'static str>,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Having<M> {
    /// `COUNT(*)` of the group.
    pub fn count() -> Self {
        Having {
            func: AggFn::Count,
            column: None,
            _marker: PhantomData,
        }
    }
    /// `SUM(column)` of the group.
    pub fn sum<T>(column: Column<M, T>) -> Self {
        Having {
            func: AggFn::Sum,
            column: Some(column.name()),
            _marker: PhantomData,
        }
    }
    /// `AVG(column)` of the group.
    pub fn avg<T>(column: Column<M, T>) -> Self {
        Having {
            func: AggFn::Avg,
            column: Some(column.name()),
            _marker: PhantomData,
        }
    }
    /// `MIN(column)` of the group.
    pub fn min<T>(column: Column<M, T>) -> Self {
        Having {
            func: AggFn::Min,
            column: Some(column.name()),
            _marker: PhantomData,
        }
    }
    /// `MAX(column)` of the group.
    pub fn max<T>(column: Column<M, T>) -> Self {
        Having {
            func: AggFn::Max,
            column: Some(column.name()),
            _marker: PhantomData,
        }
    }
    fn cmp(self, op: CmpOp, v: impl Into<Value>) -> HavingCond<M> {
        HavingCond {
            cond: Cond::Agg(self.func, self.column, op, v.into()),
            _marker: PhantomData,
        }
    }
    /// `> value`
    pub fn gt(self, v: impl Into<Value>) -> HavingCond<M> {
        self.cmp(CmpOp::Gt, v)
    }
    /// `>= value`
    pub fn gte(self, v: impl Into<Value>) -> HavingCond<M> {
        self.cmp(CmpOp::Gte, v)
    }
    /// `< value`
    pub fn lt(self, v: impl Into<Value>) -> HavingCond<M> {
        self.cmp(CmpOp::Lt, v)
    }
    /// `<= value`
    pub fn lte(self, v: impl Into<Value>) -> HavingCond<M> {
        self.cmp(CmpOp::Lte, v)
    }
    /// `= value`
    pub fn eq(self, v: impl Into<Value>) -> HavingCond<M> {
        self.cmp(CmpOp::Eq, v)
    }
}

/// A HAVING condition built from [`Having`].
pub struct HavingCond<M> {
    cond: Cond,
    _marker: PhantomData<fn() -> M>,
}

/// A grouped query from [`Find::group_by`].
#[must_use]
pub struct Grouped<M, K> {
    find: Find<M>,
    keys: Vec<&'static str>,
    decode: fn(RowRef<'_>) -> Result<K>,
    having: Vec<Cond>,
}

impl<M: Model, K: Send> Grouped<M, K> {
    /// Keep only groups matching `cond`; several calls are ANDed.
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
    /// use orm_core::Having;
    /// let busy = User::find().group_by(User::AGE).having(Having::count().gt(0)).count(&db).await?;
    /// assert_eq!(busy.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn having(mut self, cond: HavingCond<M>) -> Self {
        self.having.push(cond.cond);
        self
    }

    async fn run<V: Send, E: Executor + ?Sized>(
        self,
        db: &E,
        item: SelectItem,
        value: fn(RowRef<'_>, usize) -> Result<V>,
    ) -> Result<Vec<(K, V)>> {
        let mut primary = None;
        let conn = self.find.routed(db.__conn(), &mut primary);
        let n = self.keys.len();
        let mut items: Vec<SelectItem> = self.keys.iter().map(|k| SelectItem::Column(k)).collect();
        items.push(item);
        let mut s = self.find.select_items(items);
        s.group_by = self.keys.iter().map(|k| TypedColumn::named(M::META, k)).collect();
        s.having = match self.having.len() {
            0 => None,
            1 => self.having.into_iter().next(),
            _ => Some(Cond::And(self.having)),
        };
        if s.order.is_empty() {
            s.order = self
                .keys
                .iter()
                .map(|k| OrderTerm::Column(TypedColumn::named(M::META, k), Direction::Asc))
                .collect();
        }
        let st = render_select(conn.dialect().sql(), &s);
        let decode = self.decode;
        conn.read(st, |r| Ok((decode(r)?, value(r, n)?))).await
    }

    /// Rows per group: `Vec<(key, count)>`.
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
    /// let per_age: Vec<(i32, i64)> = User::find().group_by(User::AGE).count(&db).await?;
    /// assert_eq!(per_age.iter().map(|(_, n)| n).sum::<i64>(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn count<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<(K, i64)>> {
        self.run(db, SelectItem::CountStar, i64::decode).await
    }

    /// `SUM(column)` per group (`i64` for integers, `f64` for floats).
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
    /// let by_name = User::find().group_by(User::NAME).sum(User::AGE, &db).await?;
    /// assert_eq!(by_name.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn sum<T: Summable, E: Executor + ?Sized>(
        self,
        column: Column<M, T>,
        db: &E,
    ) -> Result<Vec<(K, Option<T::Sum>)>> {
        let item = SelectItem::Agg(AggFn::Sum, column.name(), T::CAST, T::SQL_TYPE);
        self.run(db, item, Option::<T::Sum>::decode)
            .await
            .map_err(|e| crate::runtime::out_of_range(e, M::META, column.name()))
    }

    /// `AVG(column)` per group, as `f64`.
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
    /// let by_name = User::find().group_by(User::NAME).avg(User::AGE, &db).await?;
    /// assert_eq!(by_name.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn avg<T: FieldType, E: Executor + ?Sized>(
        self,
        column: Column<M, T>,
        db: &E,
    ) -> Result<Vec<(K, Option<f64>)>> {
        let item = SelectItem::Agg(AggFn::Avg, column.name(), Some(AggCast::Float), T::SQL_TYPE);
        self.run(db, item, Option::<f64>::decode).await
    }
}
