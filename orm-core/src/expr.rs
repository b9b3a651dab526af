//! Expressions in conditions: a column compared with another column, SQL
//! functions of a column (`lower`, `upper`, `length`, `trim`, `coalesce`),
//! and fields of JSON columns (`get`, `path`).

use crate::ast::{CmpOp, Cond, Direction, Expr, Func, Operand, OrderTerm};
use crate::column::{Column, Condition, IntoOperand, OperandOf, Order};
use crate::field::{FieldType, IntoValue};
use crate::value::Value;
use std::marker::PhantomData;

impl<M, T> IntoOperand<M, T> for Computed<M, T> {
    fn into_operand(self) -> OperandOf {
        OperandOf(Operand::Expr(self.expr))
    }
}

/// A value computed from a column of `M`, of type `T`
/// (`User::EMAIL.lower()`), compared like a column.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, email: String, age: i32 }
/// let q = User::find()
///     .filter(User::EMAIL.lower().eq("ada@example.com"))
///     .order_by(User::NAME.length().desc());
/// # let _ = q;
/// ```
#[must_use]
pub struct Computed<M, T> {
    expr: Expr,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Computed<M, T> {
    fn new(expr: Expr) -> Self {
        Computed {
            expr,
            _marker: PhantomData,
        }
    }

    fn cmp(self, op: CmpOp, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        Condition::new(Cond::Expr(self.expr, op, rhs.into_operand().0))
    }

    /// Ascending order on this value: `order_by(User::NAME.lower().asc())`.
    pub fn asc(self) -> Order<M> {
        Order::from_term(OrderTerm::Expr(self.expr, Direction::Asc))
    }

    /// Descending order on this value.
    pub fn desc(self) -> Order<M> {
        Order::from_term(OrderTerm::Expr(self.expr, Direction::Desc))
    }

    /// `expr = operand`
    pub fn eq(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Eq, rhs)
    }
    /// `expr <> operand`
    pub fn ne(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Ne, rhs)
    }
    /// `expr > operand`
    pub fn gt(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Gt, rhs)
    }
    /// `expr >= operand`
    pub fn gte(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Gte, rhs)
    }
    /// `expr < operand`
    pub fn lt(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Lt, rhs)
    }
    /// `expr <= operand`
    pub fn lte(self, rhs: impl IntoOperand<M, T>) -> Condition<M> {
        self.cmp(CmpOp::Lte, rhs)
    }
}

impl<M> Computed<M, String> {
    /// `LOWER(expr)`
    pub fn lower(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Lower, Box::new(self.expr)))
    }
    /// `UPPER(expr)`
    pub fn upper(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Upper, Box::new(self.expr)))
    }
    /// `TRIM(expr)`
    pub fn trim(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Trim, Box::new(self.expr)))
    }
    /// The length in characters.
    pub fn length(self) -> Computed<M, i64> {
        Computed::new(Expr::Func(Func::Length, Box::new(self.expr)))
    }
}

impl<M, T: FieldType<Compare = String>> Column<M, T> {
    /// `LOWER(column)`: `User::EMAIL.lower().eq("ada@example.com")`.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, email: String }
    /// let st = User::find().filter(User::EMAIL.lower().eq("ada@example.com")).to_sql(Dialect::Postgres);
    /// assert!(st.sql.ends_with(r#"WHERE LOWER("email") = $1"#));
    /// ```
    pub fn lower(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Lower, Box::new(Expr::Column(self.name()))))
    }
    /// `UPPER(column)`
    pub fn upper(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Upper, Box::new(Expr::Column(self.name()))))
    }
    /// `TRIM(column)`
    pub fn trim(self) -> Computed<M, String> {
        Computed::new(Expr::Func(Func::Trim, Box::new(Expr::Column(self.name()))))
    }
    /// The length in characters (`char_length` / `CHAR_LENGTH` / `length`).
    pub fn length(self) -> Computed<M, i64> {
        Computed::new(Expr::Func(Func::Length, Box::new(Expr::Column(self.name()))))
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// `COALESCE(column, value)`: the value where the column is NULL.
    pub fn coalesce(self, value: impl IntoValue<T::Compare>) -> Computed<M, T::Compare> {
        Computed::new(Expr::Coalesce(Box::new(Expr::Column(self.name())), value.into_value()))
    }
}

/// A field inside a JSON column (`Event::DATA.get("kind")`), compared with
/// a string (as text) or a number (as a number); a missing field matches
/// nothing.
///
/// ```
/// # use orm_core::prelude::*;
/// #[derive(Model, Debug, Clone)]
/// #[orm(timestamps = false)]
/// struct Event { id: i64, data: serde_json::Value }
///
/// let q = Event::find().filter(Event::DATA.get("kind").eq("signup"));
/// let deep = Event::find().filter(Event::DATA.path(["user", "age"]).gt(30));
/// # let _ = (q, deep);
/// ```
#[must_use]
pub struct JsonField<M> {
    column: &'static str,
    keys: Vec<String>,
    _marker: PhantomData<fn() -> M>,
}

impl<M> JsonField<M> {
    /// A field below this one.
    pub fn get(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    fn cmp(self, op: CmpOp, v: impl Into<Value>) -> Condition<M> {
        Condition::new(Cond::Expr(
            Expr::JsonPath(self.column, self.keys),
            op,
            Operand::Value(v.into()),
        ))
    }

    /// `field = value`
    pub fn eq(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Eq, v)
    }
    /// `field <> value`
    pub fn ne(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Ne, v)
    }
    /// `field > value`
    pub fn gt(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Gt, v)
    }
    /// `field >= value`
    pub fn gte(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Gte, v)
    }
    /// `field < value`
    pub fn lt(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Lt, v)
    }
    /// `field <= value`
    pub fn lte(self, v: impl Into<Value>) -> Condition<M> {
        self.cmp(CmpOp::Lte, v)
    }
}

impl<M, T: FieldType<Compare = serde_json::Value>> Column<M, T> {
    /// A top-level field of this JSON column (`->>` on PostgreSQL,
    /// `JSON_EXTRACT` on MySQL, `json_extract` on SQLite); the key is bound,
    /// never spliced.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Event { id: i64, data: serde_json::Value }
    /// let st = Event::find().filter(Event::DATA.get("kind").eq("signup")).to_sql(Dialect::Sqlite);
    /// assert!(st.sql.ends_with("WHERE (json_type(`data`, ?) = 'text' AND json_extract(`data`, ?) = ?)"));
    /// ```
    pub fn get(self, key: impl Into<String>) -> JsonField<M> {
        self.path([key])
    }

    /// A nested field by keys (`["user", "id"]`; a key of digits is an
    /// array position).
    pub fn path<K: Into<String>>(self, keys: impl IntoIterator<Item = K>) -> JsonField<M> {
        JsonField {
            column: self.name(),
            keys: keys.into_iter().map(Into::into).collect(),
            _marker: PhantomData,
        }
    }
}
