//! Subqueries: `Find::select(column)` and `column.in_query(..)`.

use crate::ast::{Cond, Select, SelectItem};
use crate::column::{Column, Condition};
use crate::field::FieldType;
use crate::model::Model;
use crate::query::Find;
use std::marker::PhantomData;

/// One column of a query's rows, as a subquery for
/// [`in_query`](Column::in_query) (from [`Find::select`]).
#[must_use]
pub struct Selected<T> {
    select: Select,
    _marker: PhantomData<fn() -> T>,
}

impl<M: Model> Find<M> {
    /// This query's values of one column, as a subquery:
    /// `Customer::ID.in_query(Invoice::find().filter(..).select(Invoice::CUSTOMER_ID))`.
    /// Its filter, order and limit apply (MySQL refuses a LIMIT inside `IN`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Customer { id: i64 }
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Invoice { id: i64, customer_id: i64, total: f64 }
    /// let big = Invoice::find().filter(Invoice::TOTAL.gt(10.0)).select(Invoice::CUSTOMER_ID);
    /// let st = Customer::find().filter(Customer::ID.in_query(big)).to_sql(Dialect::Postgres);
    /// assert_eq!(st.sql, r#"SELECT "id" FROM "customers" WHERE "id" IN (SELECT "customer_id" FROM "invoices" WHERE "total" > $1)"#);
    /// ```
    pub fn select<T: FieldType>(self, column: Column<M, T>) -> Selected<T::Compare> {
        Selected {
            select: self.select_items(vec![SelectItem::Column(column.name())]),
            _marker: PhantomData,
        }
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// `column IN (SELECT ...)`: rows whose value the subquery returns.
    pub fn in_query(self, query: Selected<T::Compare>) -> Condition<M> {
        Condition::new(Cond::InQuery(self.name(), Box::new(query.select), false))
    }

    /// `column NOT IN (SELECT ...)`. As in SQL, a NULL among the
    /// subquery's values makes it match no row: filter them out there.
    pub fn not_in_query(self, query: Selected<T::Compare>) -> Condition<M> {
        Condition::new(Cond::InQuery(self.name(), Box::new(query.select), true))
    }
}
