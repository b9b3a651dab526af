//! Rendering of the statement tree, shared by every dialect; the dialect
//! hooks supply only what differs.

use super::SqlDialect;
use crate::ast::{
    AggCast, AggFn, Assign, Cond, Delete, Direction, Exists, Expr, Func, Insert, Join, LikeKind, OnConflict, Operand,
    OrderTerm, Select, SelectItem, TypedColumn, Update, Window,
};
use crate::value::Value;

/// SQL text plus its bound parameters, as sent to the driver.
///
/// ```
/// use orm_core::{Dialect, Value, raw};
/// let st = raw("SELECT * FROM users WHERE id = ?").bind(7_i64).to_sql(Dialect::Postgres).unwrap();
/// assert_eq!(st.sql, "SELECT * FROM users WHERE id = $1");
/// assert_eq!(st.params, vec![Value::I64(7)]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text with dialect placeholders.
    pub sql: String,
    /// The parameters, in placeholder order.
    pub params: Vec<Value>,
}

/// Accumulates SQL text and parameters for one statement.
pub(crate) struct Writer<'d> {
    pub(crate) d: &'d dyn SqlDialect,
    sql: String,
    params: Vec<Value>,
    /// Alias that qualifies column names in conditions, when set.
    qualifier: Option<String>,
    /// Name (table or alias) of the row an EXISTS subquery correlates with.
    outer: Option<String>,
    /// Numbers the aliases of nested EXISTS subqueries so none shadows another.
    alias_seq: usize,
}

impl<'d> Writer<'d> {
    pub(crate) fn new(d: &'d dyn SqlDialect) -> Self {
        Writer {
            d,
            sql: String::with_capacity(128),
            params: Vec::new(),
            qualifier: None,
            outer: None,
            alias_seq: 0,
        }
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    pub(crate) fn ident(&mut self, name: &str) {
        self.d.quote_ident(name, &mut self.sql);
    }

    /// A column in a condition, qualified when a qualifier is set.
    pub(crate) fn col(&mut self, name: &str) {
        if let Some(q) = self.qualifier.take() {
            self.ident(&q);
            self.push(".");
            self.qualifier = Some(q);
        }
        self.ident(name);
    }

    fn qualified(&mut self, alias: &str, name: &str) {
        self.ident(alias);
        self.push(".");
        self.ident(name);
    }

    pub(crate) fn param(&mut self, v: Value) {
        self.params.push(v);
        self.d.placeholder(self.params.len(), &mut self.sql);
    }

    pub(crate) fn finish(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }

    pub(crate) fn idents(&mut self, names: &[&'static str]) {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.ident(n);
        }
    }

    pub(crate) fn cond(&mut self, c: &Cond) {
        match c {
            Cond::Cmp(col, op, v) => {
                self.compared_col(col, Some(v));
                self.push(op.sql());
                self.param(v.clone());
            }
            Cond::Between(col, lo, hi) => {
                self.compared_col(col, Some(lo));
                self.push(" BETWEEN ");
                self.param(lo.clone());
                self.push(" AND ");
                self.param(hi.clone());
            }
            Cond::In(_, values, negated) if values.is_empty() => {
                // `x IN ()` is invalid SQL; an empty set matches nothing.
                self.push(if *negated { "1 = 1" } else { "1 = 0" });
            }
            Cond::Keys(_, values) if values.is_empty() => self.push("1 = 0"),
            Cond::Keys(col, values) => {
                let d = self.d;
                d.write_keys(self, col, values);
            }
            Cond::In(col, values, negated) => {
                let d = self.d;
                d.write_in(self, col, values, *negated);
            }
            Cond::Like {
                column,
                pattern,
                negated,
                case_insensitive,
                kind,
            } => {
                if *case_insensitive {
                    let d = self.d;
                    d.write_ilike(self, column, pattern.clone(), *negated);
                } else {
                    self.col(column);
                    self.push(if *negated { " NOT LIKE " } else { " LIKE " });
                    self.param(pattern.clone());
                }
                if *kind == LikeKind::Escaped {
                    self.push(" ESCAPE '!'");
                }
            }
            Cond::Null(col, negated) => {
                self.col(col);
                self.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Cond::And(parts) | Cond::Or(parts) if parts.is_empty() => {
                let and = matches!(c, Cond::And(_));
                self.push(if and { "1 = 1" } else { "1 = 0" });
            }
            Cond::And(parts) | Cond::Or(parts) => {
                let sep = if matches!(c, Cond::And(_)) { " AND " } else { " OR " };
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        self.push(sep);
                    }
                    self.nested(p);
                }
            }
            Cond::Not(inner) => {
                self.push("NOT ");
                self.nested(inner);
            }
            Cond::Qualified(alias, inner) => {
                let saved = self.qualifier.replace((*alias).to_owned());
                self.cond(inner);
                self.qualifier = saved;
            }
            // Resolved into a join and `Qualified` before rendering (join.rs);
            // unresolved, it names the association as its alias.
            Cond::Via(a, inner, _) => {
                let saved = self.qualifier.replace(a.name.to_owned());
                self.cond(inner);
                self.qualifier = saved;
            }
            Cond::Exists(e) => self.exists(e),
            Cond::InQuery(col, sub, negated) => self.in_query(col, sub, *negated),
            Cond::Sql(sql, values) => {
                self.push("(");
                self.fragment(sql, values);
                self.push(")");
            }
            Cond::Expr(Expr::JsonPath(col, keys), op, Operand::Value(v)) => {
                let d = self.d;
                d.write_json_cmp(self, col, keys, *op, v);
            }
            Cond::Expr(lhs, op, rhs) => {
                self.expr(lhs);
                self.push(op.sql());
                match rhs {
                    Operand::Value(v) => self.param(v.clone()),
                    Operand::Expr(e) => self.expr(e),
                }
            }
            Cond::Agg(f, col, op, v) => {
                self.push(f.sql());
                self.push("(");
                match col {
                    Some(c) => self.col(c),
                    None => self.push("*"),
                }
                self.push(")");
                self.push(op.sql());
                self.param(v.clone());
            }
        }
    }

    /// A computed value: a column through SQL functions.
    pub(crate) fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Column(c) => self.col(c),
            Expr::Qualified(alias, c) => self.qualified(alias, c),
            Expr::Func(f, inner) => {
                self.push(match f {
                    Func::Lower => "LOWER(",
                    Func::Upper => "UPPER(",
                    Func::Trim => "TRIM(",
                    Func::Length => self.d.char_length_fn(),
                });
                self.expr(inner);
                self.push(")");
            }
            Expr::Coalesce(inner, v) => {
                self.push("COALESCE(");
                self.expr(inner);
                self.push(", ");
                self.param(v.clone());
                self.push(")");
            }
            Expr::JsonPath(col, keys) => {
                let d = self.d;
                d.write_json_text(self, col, keys);
            }
        }
    }

    /// A column compared with `v`, with the collation the dialect needs for
    /// the value's type to compare as Rust does (SQLite's decimals).
    pub(crate) fn compared_col(&mut self, col: &str, v: Option<&Value>) {
        self.col(col);
        let ty = match v {
            Some(Value::Decimal(_)) => Some(crate::value::SqlType::Decimal),
            _ => None,
        };
        if let Some(collation) = ty.and_then(|ty| self.d.collation(ty)) {
            self.push(" COLLATE ");
            self.push(collation);
        }
    }

    /// `col IN (...)` with one parameter per value (the default).
    pub(crate) fn in_list(&mut self, col: &str, values: &[Value], negated: bool) {
        self.compared_col(col, values.first());
        self.push(if negated { " NOT IN (" } else { " IN (" });
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.param(v.clone());
        }
        self.push(")");
    }

    fn join(&mut self, j: &Join) {
        self.push(if j.outer { " LEFT JOIN " } else { " INNER JOIN " });
        self.ident(j.table);
        self.push(" AS ");
        self.ident(j.alias);
        self.push(" ON ");
        self.qualified(j.left.0, j.left.1);
        self.push(" = ");
        self.qualified(j.right.0, j.right.1);
        if let Some(on) = &j.on {
            self.push(" AND ");
            let saved = (
                self.qualifier.replace(j.alias.to_owned()),
                self.outer.replace(j.alias.to_owned()),
            );
            self.nested(on);
            (self.qualifier, self.outer) = saved;
        }
    }

    fn exists(&mut self, e: &Exists) {
        self.push("EXISTS ");
        self.correlated(e, None);
    }

    /// `(SELECT 1 | AGG(target.col) FROM target [via join table] WHERE
    /// target.key = outer.key [AND filter])`.
    fn correlated(&mut self, e: &Exists, agg: Option<(&str, &TypedColumn)>) {
        self.alias_seq += 1;
        let target = format!("s{}", self.alias_seq);
        let outer = self.outer.clone();
        self.push("(SELECT ");
        match agg {
            Some((f, col)) => {
                self.push(f);
                self.push("(");
                self.qualified(&target, col.name);
                if let Some(collation) = col.sql_type.and_then(|ty| self.d.collation(ty)) {
                    self.push(" COLLATE ");
                    self.push(collation);
                }
                self.push(")");
            }
            None => self.push("1"),
        }
        self.push(" FROM ");
        let correlated = match e.via {
            Some((join_table, to_outer, to_target)) => {
                let j = format!("j{}", self.alias_seq);
                self.ident(join_table);
                self.push(" AS ");
                self.ident(&j);
                self.push(" INNER JOIN ");
                self.ident(e.table);
                self.push(" AS ");
                self.ident(&target);
                self.push(" ON ");
                self.qualified(&target, e.column);
                self.push(" = ");
                self.qualified(&j, to_target);
                (j, to_outer)
            }
            None => {
                self.ident(e.table);
                self.push(" AS ");
                self.ident(&target);
                (target.clone(), e.column)
            }
        };
        self.push(" WHERE ");
        self.qualified(&correlated.0, correlated.1);
        self.push(" = ");
        match &outer {
            Some(o) => self.qualified(o, e.outer),
            None => self.ident(e.outer),
        }
        for (column, outer_column) in &e.more {
            self.push(" AND ");
            self.qualified(&correlated.0, column);
            self.push(" = ");
            match &outer {
                Some(o) => self.qualified(o, outer_column),
                None => self.ident(outer_column),
            }
        }
        if let Some(f) = &e.filter {
            self.push(" AND ");
            let saved_q = self.qualifier.replace(target.clone());
            let saved_o = self.outer.replace(target);
            self.nested(f);
            self.qualifier = saved_q;
            self.outer = saved_o;
        }
        self.push(")");
    }

    fn nested(&mut self, c: &Cond) {
        let wrap = matches!(c, Cond::And(p) | Cond::Or(p) if p.len() > 1);
        let wrap = wrap || matches!(c, Cond::Not(_));
        if wrap {
            self.push("(");
        }
        self.cond(c);
        if wrap {
            self.push(")");
        }
    }

    fn where_clause(&mut self, filter: &Option<Cond>) {
        if let Some(f) = filter {
            self.push(" WHERE ");
            self.cond(f);
        }
    }
}

pub(crate) fn render_select(d: &dyn SqlDialect, s: &Select) -> Statement {
    let mut w = Writer::new(d);
    w.select(s);
    w.finish()
}

impl Writer<'_> {
    /// `col [NOT] IN (SELECT ...)`: the subquery has its own scope.
    fn in_query(&mut self, col: &'static str, s: &Select, negated: bool) {
        self.col(col);
        self.push(if negated { " NOT IN (" } else { " IN (" });
        let saved = (self.qualifier.take(), self.outer.take());
        self.select(s);
        (self.qualifier, self.outer) = saved;
        self.push(")");
    }

    fn select(&mut self, s: &Select) {
        let d = self.d;
        let w = self;
        write_select(d, w, s);
    }
}

fn write_select(d: &dyn SqlDialect, w: &mut Writer<'_>, s: &Select) {
    let Some(win) = &s.window else {
        return write_plain_select(d, w, s, None);
    };
    // Each partition's rows numbered, then cut to the range, in row-number
    // order (so each partition's rows come in the window's order).
    w.push("SELECT * FROM (");
    write_plain_select(d, w, s, Some(win));
    w.push(") AS ");
    w.ident("w_");
    w.push(" WHERE ");
    w.ident("rn_");
    w.push(" > ");
    w.param(Value::I64(i64::try_from(win.offset).unwrap_or(i64::MAX)));
    if let Some(l) = win.limit {
        w.push(" AND ");
        w.ident("rn_");
        w.push(" <= ");
        w.param(Value::I64(
            i64::try_from(win.offset.saturating_add(l)).unwrap_or(i64::MAX),
        ));
    }
    w.push(" ORDER BY ");
    w.ident("rn_");
}

fn write_order_terms(d: &dyn SqlDialect, w: &mut Writer<'_>, terms: &[OrderTerm]) {
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        write_order_term(d, w, term);
    }
}

fn write_order_term(d: &dyn SqlDialect, w: &mut Writer<'_>, term: &OrderTerm) {
    let dir = |w: &mut Writer<'_>, dir: &Direction| {
        w.push(match dir {
            Direction::Asc => " ASC",
            Direction::Desc => " DESC",
        })
    };
    match term {
        OrderTerm::Column(c, direction) => d.write_order_column(w, c, *direction),
        OrderTerm::Expr(e, direction) => {
            w.expr(e);
            dir(w, direction);
        }
        OrderTerm::Sql(sql, values) => w.fragment(sql, values),
        OrderTerm::Qualified(alias, inner) => {
            let saved = w.qualifier.replace((*alias).to_owned());
            write_order_term(d, w, inner);
            w.qualifier = saved;
        }
        OrderTerm::Via(a, inner, _) => {
            let saved = w.qualifier.replace(a.name.to_owned());
            write_order_term(d, w, inner);
            w.qualifier = saved;
        }
        OrderTerm::Related(e, col, direction) => {
            let f = match direction {
                Direction::Asc => "MIN",
                Direction::Desc => "MAX",
            };
            w.correlated(e, Some((f, col)));
            dir(w, direction);
            // A parent without rows has NULL here: placed as `Option`'s None.
            w.push(d.nulls_order(*direction));
        }
    }
}

/// The SELECT itself; with a window, its items renamed `c0, c1, ..` and the
/// row number added, and no ORDER BY or LIMIT of its own.
fn write_plain_select(d: &dyn SqlDialect, w: &mut Writer<'_>, s: &Select, win: Option<&Window>) {
    w.push(if s.distinct { "SELECT DISTINCT " } else { "SELECT " });
    for (i, item) in s.items.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        write_item(d, w, item);
        if win.is_some() {
            w.push(" AS ");
            w.ident(&format!("c{i}"));
        }
    }
    if let Some(win) = win {
        w.push(", ROW_NUMBER() OVER (PARTITION BY ");
        w.qualified(win.partition.0, win.partition.1);
        if !win.order.is_empty() {
            w.push(" ORDER BY ");
            write_order_terms(d, w, &win.order);
        }
        w.push(") AS ");
        w.ident("rn_");
    }
    write_from_where(d, w, s);
    if win.is_some() {
        return;
    }
    if !s.order.is_empty() {
        w.push(" ORDER BY ");
        write_order_terms(d, w, &s.order);
    }
    d.write_limit(w, s.limit, s.offset);
    if let Some(lock) = &s.lock {
        d.write_lock(w, lock);
    }
}

fn write_item(d: &dyn SqlDialect, w: &mut Writer<'_>, item: &SelectItem) {
    {
        match item {
            SelectItem::Column(c) => w.ident(c),
            SelectItem::Qualified(a, c) => w.qualified(a, c),
            SelectItem::CountStar => w.push("COUNT(*)"),
            SelectItem::Agg(f, c, cast, ty) => d.write_aggregate(w, *f, c, *cast, *ty),
        }
    }
}

/// `AGG(column)`, cast as asked: the shared form of
/// [`SqlDialect::write_aggregate`].
pub(crate) fn aggregate(d: &dyn SqlDialect, w: &mut Writer<'_>, f: AggFn, c: &str, cast: Option<AggCast>) {
    let cast = cast.and_then(|cast| match cast {
        AggCast::Float => Some(d.float_type()),
        AggCast::Integer => d.integer_cast_type(),
    });
    if cast.is_some() {
        w.push("CAST(");
    }
    w.push(f.sql());
    w.push("(");
    w.col(c);
    w.push(")");
    if let Some(ty) = cast {
        w.push(" AS ");
        w.push(ty);
        w.push(")");
    }
}

/// `FROM .. JOIN .. WHERE .. GROUP BY .. HAVING ..`
fn write_from_where(d: &dyn SqlDialect, w: &mut Writer<'_>, s: &Select) {
    w.push(" FROM ");
    match &s.from_query {
        Some(sub) => {
            w.push("(");
            let saved = (w.qualifier.take(), w.outer.take());
            write_select(d, w, sub);
            (w.qualifier, w.outer) = saved;
            w.push(")");
        }
        None => w.ident(s.table),
    }
    if let Some(a) = s.alias {
        w.push(" AS ");
        w.ident(a);
    }
    for j in &s.joins {
        w.join(j);
    }
    w.outer = Some(s.qualifier.or(s.alias).unwrap_or(s.table).to_owned());
    w.qualifier = s.qualifier.map(str::to_owned);
    w.where_clause(&s.filter);
    if !s.group_by.is_empty() {
        w.push(" GROUP BY ");
        for (i, c) in s.group_by.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.col(c.name);
            if let Some(collation) = c.sql_type.and_then(|ty| d.collation(ty)) {
                w.push(" COLLATE ");
                w.push(collation);
            }
        }
    }
    if let Some(h) = &s.having {
        w.push(" HAVING ");
        w.cond(h);
    }
}

/// Takes the statement by value: its rows' values become the parameters
/// without a copy (a bulk insert's strings were cloned once more here).
pub(crate) fn render_insert(d: &dyn SqlDialect, ins: Insert) -> Statement {
    let mut w = Writer::new(d);
    w.push("INSERT INTO ");
    w.ident(ins.table);
    if ins.columns.is_empty() {
        w.push(" DEFAULT VALUES");
    } else {
        w.push(" (");
        w.idents(&ins.columns);
        w.push(") VALUES ");
        w.params.reserve(ins.rows.len() * ins.columns.len());
        for (r, row) in ins.rows.into_iter().enumerate() {
            w.push(if r == 0 { "(" } else { ", (" });
            for (i, v) in row.into_iter().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.param(v);
            }
            w.push(")");
        }
    }
    if ins.ignore_conflicts {
        d.write_ignore_conflicts(&mut w, ins.columns.first().copied().unwrap_or("id"));
    }
    if let Some(oc) = &ins.on_conflict {
        d.write_upsert(&mut w, oc);
    }
    if let Some(pk) = ins.returning {
        w.push(" RETURNING ");
        w.ident(pk);
    } else if !ins.returning_all.is_empty() {
        w.push(" RETURNING ");
        w.idents(&ins.returning_all);
    }
    w.finish()
}

pub(crate) fn render_update(d: &dyn SqlDialect, u: &Update) -> Statement {
    let mut w = Writer::new(d);
    w.push("UPDATE ");
    w.ident(u.table);
    w.outer = Some(u.table.to_owned());
    w.push(" SET ");
    for (i, (col, a)) in u.sets.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        w.ident(col);
        w.push(" = ");
        match a {
            Assign::Value(v) => w.param(v.clone()),
            Assign::Add(v) | Assign::Sub(v) => {
                let op = if matches!(a, Assign::Add(_)) { " + " } else { " - " };
                d.write_arith(&mut w, col, op, v);
            }
        }
    }
    w.where_clause(&u.filter);
    w.finish()
}

pub(crate) fn render_delete(d: &dyn SqlDialect, del: &Delete) -> Statement {
    let mut w = Writer::new(d);
    w.push("DELETE FROM ");
    w.ident(del.table);
    w.outer = Some(del.table.to_owned());
    w.where_clause(&del.filter);
    w.finish()
}

/// The shared literal writer behind [`SqlDialect::literal`].
pub(crate) fn default_literal<D: SqlDialect + ?Sized>(d: &D, v: &Value, out: &mut String) {
    use std::fmt::Write;
    if let Some(text) = literal_text(v) {
        return d.string_literal(&text, out);
    }
    match v {
        Value::Null(_) | Value::Array(_) => out.push_str("NULL"),
        Value::Bool(b) => out.push_str(d.bool_literal(*b)),
        Value::I16(n) => write!(out, "{n}").unwrap_or(()),
        Value::I32(n) => write!(out, "{n}").unwrap_or(()),
        Value::I64(n) => write!(out, "{n}").unwrap_or(()),
        Value::F32(n) => write!(out, "{n:?}").unwrap_or(()),
        Value::F64(n) => write!(out, "{n:?}").unwrap_or(()),
        Value::Decimal(n) => write!(out, "{n}").unwrap_or(()),
        Value::Bytes(b) => d.bytes_literal(b, out),
        _ => {}
    }
}

/// The text of a value written as a quoted string literal (strings, times,
/// UUIDs, JSON); `None` for the rest.
pub(crate) fn literal_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::String(s) => s.clone(),
        Value::Str(s) => (*s).to_owned(),
        Value::DateTimeUtc(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        Value::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        Value::Date(t) => t.to_string(),
        Value::Time(t) => t.format("%H:%M:%S%.6f").to_string(),
        Value::Uuid(u) => u.to_string(),
        Value::Json(j) => j.to_string(),
        _ => return None,
    })
}

/// The standard `ON CONFLICT (..) DO UPDATE SET col = EXCLUDED.col` (PostgreSQL, SQLite).
/// With nothing to set, `DO NOTHING`.
pub(crate) fn upsert_excluded(w: &mut Writer<'_>, oc: &OnConflict) {
    w.push(" ON CONFLICT (");
    w.idents(&oc.target);
    if oc.update.is_empty() && oc.bump.is_none() {
        w.push(") DO NOTHING");
        return;
    }
    w.push(") DO UPDATE SET ");
    for (i, c) in oc.update.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        w.ident(c);
        w.push(" = EXCLUDED.");
        w.ident(c);
    }
    if let Some(v) = oc.bump {
        if !oc.update.is_empty() {
            w.push(", ");
        }
        w.ident(v);
        w.push(" = ");
        w.qualified(oc.table, v);
        w.push(" + 1");
    }
}
