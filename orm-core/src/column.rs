//! Typed column constants (`User::EMAIL`) and the conditions and orderings
//! built from them.

use crate::ast::{CmpOp, Cond, Direction, Expr, LikeKind, Operand, OrderTerm};
use crate::field::{FieldType, IntoValue};
use crate::value::Value;
use std::marker::PhantomData;

/// A column of model `M` holding values of type `T`; generated as
/// associated constants (`User::EMAIL`).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, name: String }
/// let cond = User::NAME.starts_with("A").and(User::ID.gt(10));
/// # let _ = cond;
/// ```
pub struct Column<M, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

impl<M, T> Column<M, T> {
    /// A column with this database name (used by the derive).
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Column {
            name,
            _marker: PhantomData,
        }
    }

    /// The column's name in the database.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// `column IS NULL`
    pub fn is_null(self) -> Condition<M> {
        Condition::new(Cond::Null(self.name, false))
    }

    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Condition<M> {
        Condition::new(Cond::Null(self.name, true))
    }
}

impl<M, T: FieldType> Column<M, T> {
    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        self.order(Direction::Asc)
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        self.order(Direction::Desc)
    }

    fn order(self, direction: Direction) -> Order<M> {
        let column = crate::ast::TypedColumn {
            name: self.name,
            sql_type: Some(T::SQL_TYPE),
            nullable: T::NULLABLE,
        };
        Order::from_term(OrderTerm::Column(column, direction))
    }

    fn cmp(self, op: CmpOp, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        compare(self.name, op, v.into_operand())
    }

    /// `column = value` for a value already converted.
    pub(crate) fn eq_value(self, v: Value) -> Condition<M> {
        Condition::new(Cond::Cmp(self.name, CmpOp::Eq, v))
    }

    /// `column = value`, or another column or expression of the same type.
    pub fn eq(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Eq, v)
    }
    /// `column <> value`
    pub fn ne(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Ne, v)
    }
    /// `column > value` (`Post::UPDATED_AT.gt(Post::CREATED_AT)` compares two columns).
    pub fn gt(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Gt, v)
    }
    /// `column >= value`
    pub fn gte(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Gte, v)
    }
    /// `column < value`
    pub fn lt(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Lt, v)
    }
    /// `column <= value`
    pub fn lte(self, v: impl IntoOperand<M, T::Compare>) -> Condition<M> {
        self.cmp(CmpOp::Lte, v)
    }
    /// `column BETWEEN low AND high` (both ends included)
    pub fn between(self, low: impl IntoValue<T::Compare>, high: impl IntoValue<T::Compare>) -> Condition<M> {
        Condition::new(Cond::Between(self.name, low.into_value(), high.into_value()))
    }
    /// `column IN (...)`; an empty list matches no row.
    pub fn is_in<V: IntoValue<T::Compare>>(self, values: impl IntoIterator<Item = V>) -> Condition<M> {
        let values = values.into_iter().map(IntoValue::into_value).collect();
        Condition::new(Cond::In(self.name, values, false))
    }
    /// `column NOT IN (...)`; an empty list matches every row.
    pub fn not_in<V: IntoValue<T::Compare>>(self, values: impl IntoIterator<Item = V>) -> Condition<M> {
        let values = values.into_iter().map(IntoValue::into_value).collect();
        Condition::new(Cond::In(self.name, values, true))
    }
}

/// Escape `%`, `_` and the escape character `!` so a literal matches itself.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

impl<M, T: FieldType<Compare = String>> Column<M, T> {
    fn like_cond(self, pattern: String, negated: bool, case_insensitive: bool, kind: LikeKind) -> Condition<M> {
        Condition::new(Cond::Like {
            column: self.name,
            pattern: Value::String(pattern),
            negated,
            case_insensitive,
            kind,
        })
    }

    /// `column LIKE pattern` (`%` and `_` are wildcards; case-sensitive on every dialect).
    pub fn like(self, pattern: impl Into<String>) -> Condition<M> {
        self.like_cond(pattern.into(), false, false, LikeKind::Pattern)
    }
    /// `column NOT LIKE pattern`
    pub fn not_like(self, pattern: impl Into<String>) -> Condition<M> {
        self.like_cond(pattern.into(), true, false, LikeKind::Pattern)
    }
    /// Case-insensitive LIKE (native `ILIKE` on PostgreSQL, `LOWER()` elsewhere).
    pub fn ilike(self, pattern: impl Into<String>) -> Condition<M> {
        self.like_cond(pattern.into(), false, true, LikeKind::Pattern)
    }
    /// Begins with the literal text (wildcards in it are escaped).
    pub fn starts_with(self, prefix: &str) -> Condition<M> {
        self.like_cond(format!("{}%", escape_like(prefix)), false, false, LikeKind::Escaped)
    }
    /// Ends with the literal text.
    pub fn ends_with(self, suffix: &str) -> Condition<M> {
        self.like_cond(format!("%{}", escape_like(suffix)), false, false, LikeKind::Escaped)
    }
    /// Contains the literal text.
    pub fn contains(self, needle: &str) -> Condition<M> {
        self.like_cond(format!("%{}%", escape_like(needle)), false, false, LikeKind::Escaped)
    }
}

/// A condition on model `M`'s columns; combine with `.and`, `.or` and `!`.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, email: String, age: i32 }
/// let adults = User::AGE.gte(18).and(User::NAME.starts_with("A"));
/// let others = (!User::AGE.gte(18)).or(User::EMAIL.is_in(["a@x.io", "b@x.io"]));
/// let q = User::find().filter(adults.or(others));
/// # let _ = q;
/// ```
pub struct Condition<M> {
    pub(crate) cond: Cond,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Condition<M> {
    fn clone(&self) -> Self {
        Condition::new(self.cond.clone())
    }
}

impl<M> std::fmt::Debug for Condition<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cond.fmt(f)
    }
}

impl<M> Condition<M> {
    pub(crate) fn new(cond: Cond) -> Self {
        Condition {
            cond,
            _marker: PhantomData,
        }
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<M>) -> Condition<M> {
        Condition::new(match (self.cond, other.cond) {
            (Cond::And(mut a), Cond::And(b)) => {
                a.extend(b);
                Cond::And(a)
            }
            (Cond::And(mut a), b) => {
                a.push(b);
                Cond::And(a)
            }
            (a, b) => Cond::And(vec![a, b]),
        })
    }

    /// Either condition holds.
    pub fn or(self, other: Condition<M>) -> Condition<M> {
        Condition::new(match (self.cond, other.cond) {
            (Cond::Or(mut a), Cond::Or(b)) => {
                a.extend(b);
                Cond::Or(a)
            }
            (Cond::Or(mut a), b) => {
                a.push(b);
                Cond::Or(a)
            }
            (a, b) => Cond::Or(vec![a, b]),
        })
    }

    /// A SQL fragment of yours as a condition, with `?` placeholders (on
    /// every dialect) for `values`, which are bound, never spliced. The
    /// fragment itself is written as given: never build it from user
    /// input; name columns as the table has them.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// use orm_core::Condition;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, name: String }
    /// let st = User::find().filter(Condition::sql("char_length(name) > ?", [3])).to_sql(Dialect::Postgres);
    /// assert!(st.sql.ends_with("WHERE (char_length(name) > $1)"));
    /// ```
    ///
    /// # Panics
    /// When the number of `?` differs from the number of values (a
    /// mistake in the code, like a wrong `format!` argument count).
    pub fn sql<V: Into<Value>>(fragment: impl Into<String>, values: impl IntoIterator<Item = V>) -> Condition<M> {
        let (sql, values) =
            crate::placeholders::checked_fragment(fragment.into(), values.into_iter().map(Into::into).collect());
        Condition::new(Cond::Sql(sql, values))
    }

    /// A condition that always holds (the identity of `and`).
    pub fn all() -> Condition<M> {
        Condition::new(Cond::And(Vec::new()))
    }
}

impl<M> std::ops::Not for Condition<M> {
    type Output = Condition<M>;
    fn not(self) -> Condition<M> {
        Condition::new(Cond::Not(Box::new(self.cond)))
    }
}

/// An ORDER BY term on model `M`: `User::NAME.asc()`, `User::AGE.desc()`,
/// or a bare column (ascending).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, email: String, age: i32 }
/// let q = User::find().order_by(User::AGE.desc()).order_by(User::NAME);
/// # let _ = q;
/// ```
pub struct Order<M> {
    pub(crate) term: OrderTerm,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Order<M> {
    pub(crate) fn from_term(term: OrderTerm) -> Self {
        Order {
            term,
            _marker: PhantomData,
        }
    }

    /// A SQL fragment of yours as an ORDER BY term (`"length(name) DESC"`),
    /// written as given: never build it from user input. Values for `?`
    /// placeholders in it: [`Order::sql_with`].
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// use orm_core::Order;
    /// # #[derive(Model, Debug, Clone)]
    /// # struct User { id: i64, name: String }
    /// let st = User::find().order_by(Order::sql("length(name) DESC")).to_sql(Dialect::Sqlite);
    /// assert!(st.sql.ends_with("ORDER BY length(name) DESC"));
    /// ```
    pub fn sql(fragment: impl Into<String>) -> Self {
        Self::sql_with(fragment, Vec::<Value>::new())
    }

    /// [`Order::sql`] with values for its `?` placeholders.
    ///
    /// # Panics
    /// When the number of `?` differs from the number of values (a
    /// mistake in the code, like a wrong `format!` argument count).
    pub fn sql_with<V: Into<Value>>(fragment: impl Into<String>, values: impl IntoIterator<Item = V>) -> Self {
        let (sql, values) =
            crate::placeholders::checked_fragment(fragment.into(), values.into_iter().map(Into::into).collect());
        Order {
            term: OrderTerm::Sql(sql, values),
            _marker: PhantomData,
        }
    }
}

impl<M, T: FieldType> From<Column<M, T>> for Order<M> {
    fn from(c: Column<M, T>) -> Self {
        c.asc()
    }
}

/// What a comparison takes on its right: a value, another column of the
/// same type (`Post::UPDATED_AT.gt(Post::CREATED_AT)`), or an expression.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, email: String, age: i32 }
/// let same = User::find().filter(User::NAME.eq(User::EMAIL));       // another column
/// let lower = User::find().filter(User::NAME.eq(User::EMAIL.lower())); // an expression
/// # let _ = (same, lower);
/// ```
pub trait IntoOperand<M, T> {
    /// The right-hand side (runtime use only).
    #[doc(hidden)]
    fn into_operand(self) -> OperandOf;
}

/// A comparison's right-hand side, built by [`IntoOperand`].
#[doc(hidden)]
pub struct OperandOf(pub(crate) Operand);

// The value forms mirror `IntoValue`'s impls (a blanket over `IntoValue`
// would let other crates make a column a value too).
impl<M, T: FieldType> IntoOperand<M, T> for T {
    fn into_operand(self) -> OperandOf {
        OperandOf(Operand::Value(self.to_value()))
    }
}

impl<M, T: FieldType> IntoOperand<M, T> for &T {
    fn into_operand(self) -> OperandOf {
        OperandOf(Operand::Value(self.to_value()))
    }
}

impl<M> IntoOperand<M, String> for &str {
    fn into_operand(self) -> OperandOf {
        OperandOf(Operand::Value(self.into_value()))
    }
}

impl<M, T: FieldType> IntoOperand<M, T::Compare> for Column<M, T> {
    fn into_operand(self) -> OperandOf {
        OperandOf(Operand::Expr(Expr::Column(self.name())))
    }
}

/// `column op operand`, the plain comparison when the operand is a value.
pub(crate) fn compare<M>(column: &'static str, op: CmpOp, rhs: OperandOf) -> Condition<M> {
    Condition::new(match rhs.0 {
        Operand::Value(v) => Cond::Cmp(column, op, v),
        rhs => Cond::Expr(Expr::Column(column), op, rhs),
    })
}
