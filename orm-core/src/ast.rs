//! The dialect-free statement tree that builders produce and dialects render.

use crate::value::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl CmpOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => " = ",
            CmpOp::Ne => " <> ",
            CmpOp::Gt => " > ",
            CmpOp::Gte => " >= ",
            CmpOp::Lt => " < ",
            CmpOp::Lte => " <= ",
        }
    }
}

/// How a LIKE pattern is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LikeKind {
    /// The user wrote the pattern; `%` and `_` are wildcards.
    Pattern,
    /// The ORM built the pattern from a literal, escaping with `!`.
    Escaped,
}

/// A boolean condition over one model's columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Cmp(&'static str, CmpOp, Value),
    Between(&'static str, Value, Value),
    In(&'static str, Vec<Value>, bool),
    /// `col IN (keys)` for keys the ORM chunked itself (include loading): a
    /// plain list where the dialect would send a long user list as JSON.
    Keys(&'static str, Vec<Value>),
    Like {
        column: &'static str,
        pattern: Value,
        negated: bool,
        case_insensitive: bool,
        kind: LikeKind,
    },
    Null(&'static str, bool),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// Render the inner condition's columns qualified by this alias.
    Qualified(&'static str, Box<Cond>),
    /// A correlated `EXISTS (SELECT 1 ...)` (required includes).
    Exists(Box<Exists>),
    /// `expr op operand`: a column through SQL functions, or a JSON field,
    /// compared with a value, another column or expression.
    Expr(Expr, CmpOp, Operand),
    /// A SQL fragment of the user's with `?` placeholders and their values.
    Sql(String, Vec<Value>),
    /// `col [NOT] IN (SELECT ...)`: an uncorrelated subquery.
    InQuery(&'static str, Box<Select>, bool),
    /// `AGG(column) op value` in HAVING (`COUNT(*)` when column is None).
    Agg(AggFn, Option<&'static str>, CmpOp, Value),
    /// A condition on a to-one association's columns (`Post::author().col(..)`):
    /// the query joins the association once and qualifies the inner
    /// condition by its alias (see `join.rs`).
    /// The third part is the target's default scope, which the association's
    /// rows must satisfy (soft delete is read from the target's meta).
    Via(&'static crate::meta::AssocMeta, Box<Cond>, Option<Box<Cond>>),
}

impl Cond {
    /// Parameters the condition binds at most (a list as one per value), so
    /// that a statement built around it can stay under the dialect's limit.
    pub(crate) fn max_params(&self) -> usize {
        match self {
            Cond::Cmp(..) | Cond::Like { .. } | Cond::Agg(..) => 1,
            Cond::Between(..) => 2,
            Cond::In(_, values, _) | Cond::Keys(_, values) => values.len(),
            Cond::Null(..) => 0,
            Cond::And(parts) | Cond::Or(parts) => parts.iter().map(Cond::max_params).sum(),
            Cond::Not(inner) | Cond::Qualified(_, inner) => inner.max_params(),
            Cond::Via(_, inner, scope) => inner.max_params() + scope.as_ref().map_or(0, |s| s.max_params()),
            Cond::Exists(e) => e.filter.as_ref().map_or(0, Cond::max_params),
            Cond::Expr(e, _, o) => e.max_params() + o.max_params(),
            Cond::Sql(_, values) => values.len(),
            Cond::InQuery(_, s, _) => s.filter.as_ref().map_or(0, Cond::max_params) + 2,
        }
    }
}

/// A value computed from a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Column(&'static str),
    Func(Func, Box<Expr>),
    /// `COALESCE(expr, value)`
    Coalesce(Box<Expr>, Value),
    /// A field inside a JSON column, by keys (array positions as digits).
    JsonPath(&'static str, Vec<String>),
    /// A column of another table in the statement (`alias.column`): a
    /// composite key's other columns in a join's ON.
    Qualified(&'static str, &'static str),
}

impl Expr {
    fn max_params(&self) -> usize {
        match self {
            Expr::Column(_) | Expr::Qualified(..) => 0,
            Expr::Func(_, e) => e.max_params(),
            Expr::Coalesce(e, _) => e.max_params() + 1,
            Expr::JsonPath(..) => 1,
        }
    }
}

/// A SQL function of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Lower,
    Upper,
    /// Length in characters.
    Length,
    Trim,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Value(Value),
    Expr(Expr),
}

impl Operand {
    fn max_params(&self) -> usize {
        match self {
            Operand::Value(_) => 1,
            Operand::Expr(e) => e.max_params(),
        }
    }
}

/// `[INNER|LEFT] JOIN table AS alias ON left = right [AND on]`, each side
/// `(alias, column)`; `on` is a condition on the joined table's columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Join {
    pub table: &'static str,
    pub alias: &'static str,
    pub left: (&'static str, &'static str),
    pub right: (&'static str, &'static str),
    /// LEFT JOIN (keep rows without a match) rather than INNER.
    pub outer: bool,
    pub on: Option<Cond>,
}

impl Join {
    /// `INNER JOIN table AS alias ON left = right`.
    pub(crate) fn inner(
        table: &'static str,
        alias: &'static str,
        left: (&'static str, &'static str),
        right: (&'static str, &'static str),
    ) -> Self {
        Join {
            table,
            alias,
            left,
            right,
            outer: false,
            on: None,
        }
    }
}

/// A correlated `EXISTS` over `table` (aliased uniquely when rendered):
/// directly `WHERE table.column = outer_row.outer`, or through a join
/// table `via = (join_table, key_to_outer, key_to_table)` matched on
/// `table.column`. `filter` is a condition on `table`'s rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exists {
    pub table: &'static str,
    pub via: Option<(&'static str, &'static str, &'static str)>,
    pub column: &'static str,
    pub outer: &'static str,
    /// A composite key's other `(column, outer column)` pairs.
    pub more: Vec<(&'static str, &'static str)>,
    pub filter: Option<Cond>,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

/// One ORDER BY term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderTerm {
    /// A model column, with what its dialect must know to order it as Rust
    /// orders the values (`SqlDialect::write_order_column`).
    Column(TypedColumn, Direction),
    /// A computed value (`User::NAME.lower().asc()`).
    Expr(Expr, Direction),
    /// A fragment of the user's (`Order::sql`), with `?` values.
    Sql(String, Vec<Value>),
    /// A term on a to-one association's columns (joined, as `Cond::Via`).
    /// With the target's default scope, as `Cond::Via`.
    Via(&'static crate::meta::AssocMeta, Box<OrderTerm>, Option<Box<Cond>>),
    /// A term whose columns are qualified by this alias.
    Qualified(&'static str, Box<OrderTerm>),
    /// A column of a to-many association, one value per parent: the
    /// smallest of its rows' values ascending, the largest descending (a
    /// correlated `MIN`/`MAX` over the rows `Exists` selects).
    Related(Box<Exists>, TypedColumn, Direction),
}

/// One item of a select list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SelectItem {
    Column(&'static str),
    /// `alias.column`
    Qualified(&'static str, &'static str),
    CountStar,
    /// `AGG(column)`, cast as asked (SUM and AVG: so every dialect
    /// returns the same type).
    /// The column's type lets the dialect pick the function or collation
    /// that computes it as Rust would.
    Agg(AggFn, &'static str, Option<AggCast>, crate::value::SqlType),
}

/// The type an aggregate is cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum AggCast {
    /// A double (AVG, sums of floats).
    Float,
    /// A 64-bit integer (sums of integers; PostgreSQL and MySQL widen them
    /// to NUMERIC/DECIMAL).
    Integer,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFn {
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

impl AggFn {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            AggFn::Count => "COUNT",
            AggFn::Sum => "SUM",
            AggFn::Min => "MIN",
            AggFn::Max => "MAX",
            AggFn::Avg => "AVG",
        }
    }
}

/// `SELECT ... FROM table WHERE ... ORDER BY ... LIMIT ... OFFSET ...`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub table: &'static str,
    /// `FROM table AS alias`; unqualified columns in WHERE and ORDER BY
    /// are then qualified by `qualifier`.
    pub alias: Option<&'static str>,
    pub joins: Vec<Join>,
    pub qualifier: Option<&'static str>,
    pub items: Vec<SelectItem>,
    /// `SELECT DISTINCT`: each selected combination once.
    pub distinct: bool,
    pub filter: Option<Cond>,
    pub group_by: Vec<TypedColumn>,
    pub having: Option<Cond>,
    pub order: Vec<OrderTerm>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// `FOR UPDATE` / `FOR SHARE`, with NOWAIT or SKIP LOCKED.
    pub lock: Option<LockClause>,
    /// `FROM (subquery) AS alias` instead of `FROM table` (`alias` names it).
    pub from_query: Option<Box<Select>>,
    /// Rows numbered per partition and cut to a range: the statement becomes
    /// `SELECT * FROM (<this select>, ROW_NUMBER() OVER (..)) WHERE rn in range`.
    pub window: Option<Window>,
}

/// A model column in an ORDER BY or GROUP BY, as its dialect must know it
/// to order and group as Rust compares the values: enums order by label
/// (MySQL would order a native ENUM by position); a type may need a
/// collation (SQLite's decimals), NULLs a NULLS clause. `sql_type` is
/// `None` for a column the builder knows only by name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TypedColumn {
    pub name: &'static str,
    pub sql_type: Option<crate::value::SqlType>,
    pub nullable: bool,
}

impl TypedColumn {
    /// A column as its model describes it.
    pub(crate) fn of(c: &crate::meta::ColumnMeta) -> Self {
        TypedColumn {
            name: c.name,
            sql_type: Some(c.sql_type),
            nullable: c.nullable,
        }
    }

    /// The column `name` of `meta` (by name only if `meta` has none).
    pub(crate) fn named(meta: &crate::meta::ModelMeta, name: &'static str) -> Self {
        meta.column(name).map_or(
            TypedColumn {
                name,
                sql_type: None,
                nullable: false,
            },
            TypedColumn::of,
        )
    }
}

/// A per-partition row range (each parent's first N children): the select's
/// items are renamed `c0, c1, ..` inside the numbered subquery, so columns of
/// two tables with one name cannot collide.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    /// `(alias, column)` to partition by.
    pub partition: (&'static str, &'static str),
    /// The order inside a partition (qualified terms).
    pub order: Vec<OrderTerm>,
    pub offset: u64,
    pub limit: Option<u64>,
}

/// A row lock taken by a SELECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockClause {
    /// Exclusive (`FOR UPDATE`) or shared.
    pub exclusive: bool,
    pub wait: LockWait,
}

/// What a locking read does when a row is locked by another transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockWait {
    /// Wait for it.
    Wait,
    /// Fail at once (`NOWAIT`).
    NoWait,
    /// Leave the row out (`SKIP LOCKED`).
    SkipLocked,
}

impl Select {
    /// `SELECT` every column of a model's table, in field order (what
    /// `M::__from_row` decodes).
    pub(crate) fn of_model(meta: &crate::meta::ModelMeta) -> Self {
        let mut s = Select::new(meta.table);
        s.items = meta.column_names.iter().map(|c| SelectItem::Column(c)).collect();
        s
    }

    pub(crate) fn new(table: &'static str) -> Self {
        Select {
            table,
            alias: None,
            joins: Vec::new(),
            qualifier: None,
            items: Vec::new(),
            distinct: false,
            filter: None,
            group_by: Vec::new(),
            having: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            lock: None,
            from_query: None,
            window: None,
        }
    }
}

/// `INSERT INTO table (cols) VALUES (...), (...) [RETURNING pk]`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Insert {
    pub table: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
    pub returning: Option<&'static str>,
    /// Skip rows that would violate a unique key (join-table links).
    pub ignore_conflicts: bool,
    /// Upsert: on a conflict over `target`, overwrite `update` columns.
    pub on_conflict: Option<OnConflict>,
    /// Return every column (upsert on dialects with RETURNING).
    pub returning_all: Vec<&'static str>,
}

/// `ON CONFLICT (target) DO UPDATE SET col = <new value>, ...`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OnConflict {
    /// The table inserted into (qualifies the version bump).
    pub table: &'static str,
    pub target: Vec<&'static str>,
    pub update: Vec<&'static str>,
    /// The version column, bumped (`col = col + 1`) when the row existed.
    pub bump: Option<&'static str>,
    /// The auto-increment key, for dialects that report the key of the row
    /// an upsert touched through last-insert-id (MySQL's `LAST_INSERT_ID(col)`).
    pub auto_key: Option<&'static str>,
}

/// The right-hand side of `SET column = ...`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Assign {
    Value(Value),
    /// `col = col + value`
    Add(Value),
    /// `col = col - value`
    Sub(Value),
}

/// `UPDATE table SET ... WHERE ...`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Update {
    pub table: &'static str,
    pub sets: Vec<(&'static str, Assign)>,
    pub filter: Option<Cond>,
}

/// `DELETE FROM table WHERE ...`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delete {
    pub table: &'static str,
    pub filter: Option<Cond>,
}

/// The condition that hides soft-deleted rows of `meta`'s table, if paranoid.
pub(crate) fn live_rows(meta: &crate::meta::ModelMeta) -> Option<Cond> {
    meta.deleted_at.map(|i| Cond::Null(meta.columns[i].name, false))
}
