//! Loading in the parent's statement: a to-one association's columns in
//! the parent's filter and order (`Post::author().col(User::NAME)`), and
//! includes loaded by `.join()`.
//!
//! A joined include *contributes* to the parent's `Select` (its JOINs, its
//! columns appended to the select list, its ORDER BY terms) and returns a
//! [`Collector`] that reads its columns back, at the offset it was given,
//! from every row of the one result. Rows repeat when a to-many association
//! is joined, so each level keeps the rows it has seen by key. Every table
//! gets its own alias from [`Aliases`], so self-references, one table
//! joined twice and two associations to one table cannot collide.

use super::{Assoc, Key, KeyHasher};
use crate::assoc::fields::{LinkRow, Loaded};
use crate::ast::{CmpOp, Cond, Expr, Join, Operand, OrderTerm, Select, SelectItem};
use crate::column::{Condition, Order};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::field::{FieldType, IntoValue};
use crate::meta::{AssocKind, AssocMeta, ModelMeta};
use crate::model::Model;
use crate::row::RowRef;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::marker::PhantomData;

/// Table aliases of one statement, handed out in order.
pub(crate) struct Aliases {
    names: &'static [&'static str],
    next: usize,
}

const NAMES: [&str; 32] = [
    "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9", "j10", "j11", "j12", "j13", "j14", "j15", "j16", "j17",
    "j18", "j19", "j20", "j21", "j22", "j23", "j24", "j25", "j26", "j27", "j28", "j29", "j30", "j31", "j32",
];

/// Aliases of the joins `Assoc::col` needs (a pool of their own, so they
/// never meet an include's).
const VIA_NAMES: [&str; 16] = [
    "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
];

impl Aliases {
    /// Aliases for joined includes.
    pub(crate) fn new() -> Self {
        Aliases { names: &NAMES, next: 0 }
    }

    /// Aliases for the joins of `Assoc::col`.
    fn via() -> Self {
        Aliases {
            names: &VIA_NAMES,
            next: 0,
        }
    }

    /// A fresh alias; a statement joins at most 32 tables.
    pub(crate) fn take(&mut self) -> Result<&'static str> {
        let name = self
            .names
            .get(self.next)
            .ok_or_else(|| Error::invalid("a query can join at most 32 tables; load some includes without .join()"))?;
        self.next += 1;
        Ok(name)
    }
}

/// The joins that `Assoc::col` conditions and orderings need, one per
/// association, in the order first used, each with the target's default
/// scope for its ON.
struct ViaJoins<'a> {
    parent: &'static ModelMeta,
    aliases: &'a mut Aliases,
    joins: Vec<(&'static AssocMeta, &'static str, Option<Cond>)>,
}

impl ViaJoins<'_> {
    fn alias(&mut self, a: &'static AssocMeta, scope: Option<Box<Cond>>) -> Result<&'static str> {
        if let Some((_, alias, _)) = self.joins.iter().find(|(m, ..)| std::ptr::eq(*m, a)) {
            return Ok(alias);
        }
        let alias = self.aliases.take()?;
        self.joins.push((a, alias, scope.map(|s| *s)));
        Ok(alias)
    }

    fn cond(&mut self, c: Cond) -> Result<Cond> {
        Ok(match c {
            Cond::Via(a, inner, scope) => {
                let inner = self.cond(*inner)?;
                if matches!(a.kind, AssocKind::HasMany | AssocKind::BelongsToMany) {
                    let filter = match visible((a.target)(), scope) {
                        Some(v) => Cond::And(vec![v, inner]),
                        None => inner,
                    };
                    super::association_exists(self.parent, a, Some(filter))
                } else {
                    Cond::Qualified(self.alias(a, scope)?, Box::new(inner))
                }
            }
            Cond::And(parts) => Cond::And(parts.into_iter().map(|p| self.cond(p)).collect::<Result<_>>()?),
            Cond::Or(parts) => Cond::Or(parts.into_iter().map(|p| self.cond(p)).collect::<Result<_>>()?),
            Cond::Not(inner) => Cond::Not(Box::new(self.cond(*inner)?)),
            other => other,
        })
    }

    fn term(&mut self, t: OrderTerm) -> Result<OrderTerm> {
        Ok(match t {
            OrderTerm::Via(a, inner, scope) if matches!(a.kind, AssocKind::HasMany | AssocKind::BelongsToMany) => {
                let OrderTerm::Column(col, direction) = *inner else {
                    return Err(Error::invalid(format!(
                        "only a column of the to-many association `{}` can order its parents",
                        a.name
                    )));
                };
                let rows = super::association_rows(self.parent, a, visible((a.target)(), scope));
                OrderTerm::Related(Box::new(rows), col, direction)
            }
            OrderTerm::Via(a, inner, scope) => OrderTerm::Qualified(self.alias(a, scope)?, inner),
            other => other,
        })
    }
}

/// The rows of `target` an association statement may see: not soft-deleted,
/// and inside its default `scope`.
fn visible(target: &ModelMeta, scope: Option<Box<Cond>>) -> Option<Cond> {
    let parts: Vec<Cond> = crate::ast::live_rows(target)
        .into_iter()
        .chain(scope.map(|s| *s))
        .collect();
    match parts.len() {
        0 | 1 => parts.into_iter().next(),
        _ => Some(Cond::And(parts)),
    }
}

/// A join's ON for a polymorphic belongs-to: only the parent rows of its
/// type (`parent.commentable_type = 'image'`) join.
fn with_own_scope(on: Option<Cond>, m: &AssocMeta, parent_ref: &'static str) -> Option<Cond> {
    let scope = match m.kind {
        AssocKind::BelongsTo => super::scope_cond(m),
        _ => None,
    };
    match (on, scope) {
        (on, None) => on,
        (None, Some(s)) => Some(Cond::Qualified(parent_ref, Box::new(s))),
        (Some(f), Some(s)) => Some(Cond::And(vec![f, Cond::Qualified(parent_ref, Box::new(s))])),
    }
}

/// A join's ON with a composite key's other columns
/// (`target.b = parent.b ..`, the target's columns unqualified: the ON is
/// rendered with the target's alias).
fn and_key_parts(on: Option<Cond>, pairs: &[(&'static str, &'static str)], parent_ref: &'static str) -> Option<Cond> {
    let mut parts: Vec<Cond> = pairs
        .iter()
        .skip(1)
        .map(|(parent_col, target_col)| {
            Cond::Expr(
                Expr::Column(target_col),
                CmpOp::Eq,
                Operand::Expr(Expr::Qualified(parent_ref, parent_col)),
            )
        })
        .collect();
    if parts.is_empty() {
        return on;
    }
    parts.extend(on);
    Some(Cond::And(parts))
}

fn has_via(c: &Cond) -> bool {
    match c {
        Cond::Via(..) => true,
        Cond::And(p) | Cond::Or(p) => p.iter().any(has_via),
        Cond::Not(inner) => has_via(inner),
        _ => false,
    }
}

/// Whether a condition uses an association's columns (which only a SELECT can join).
pub(crate) fn uses_association(c: &Option<Cond>) -> bool {
    c.as_ref().is_some_and(has_via)
}

/// Give every column of the parent in `s` its table (once anything is joined).
pub(crate) fn qualify_parent(s: &mut Select, parent_ref: &'static str) {
    for item in &mut s.items {
        if let SelectItem::Column(c) = item {
            *item = SelectItem::Qualified(parent_ref, c);
        }
    }
    s.qualifier = Some(parent_ref);
}

/// Replace the `Assoc::col` conditions and terms of `s` (a select of
/// `parent`, whose row is `parent_ref`) by a LEFT JOIN per to-one
/// association and qualified columns; a condition on a to-many association
/// becomes an `EXISTS`.
pub(crate) fn resolve_via(s: &mut Select, parent: &'static ModelMeta, parent_ref: &'static str) -> Result<()> {
    let uses = uses_association(&s.filter)
        || s.order.iter().any(|t| matches!(t, OrderTerm::Via(..)))
        || uses_association(&s.having);
    if !uses {
        return Ok(());
    }
    let mut aliases = Aliases::via();
    let mut v = ViaJoins {
        parent,
        aliases: &mut aliases,
        joins: Vec::new(),
    };
    s.filter = s.filter.take().map(|f| v.cond(f)).transpose()?;
    s.order = std::mem::take(&mut s.order)
        .into_iter()
        .map(|t| v.term(t))
        .collect::<Result<_>>()?;
    for (a, alias, scope) in v.joins {
        let pairs = super::key_pairs(parent, a)?;
        let (parent_col, target_col) = pairs[0];
        let target = (a.target)();
        s.joins.push(Join {
            table: target.table,
            alias,
            left: (alias, target_col),
            right: (parent_ref, parent_col),
            outer: true,
            on: and_key_parts(
                with_own_scope(visible(target, scope.map(Box::new)), a, parent_ref),
                &pairs,
                parent_ref,
            ),
        });
    }
    qualify_parent(s, parent_ref);
    Ok(())
}

/// What a joined include adds to the statement: its order terms come after
/// the parents' (and the parents' key), so rows stay grouped by parent.
pub(crate) struct JoinPlan<'s> {
    pub select: &'s mut Select,
    pub child_order: Vec<OrderTerm>,
    pub aliases: Aliases,
    /// Joins planned so far that can repeat the rows (to-many, has-one).
    pub repeating: usize,
}

/// Plan the `.join()` includes among `loaders` into `s` (a select of the
/// owners, whose row is `owner_ref`): their collectors, and the order
/// terms their own `order_by`s add after the owners' order.
pub(crate) fn plan_includes<P>(
    s: &mut Select,
    loaders: &[Box<dyn super::Loader<P>>],
    owner_ref: &'static str,
) -> Result<(Collectors<P>, Vec<OrderTerm>)> {
    let mut plan = JoinPlan {
        select: s,
        child_order: Vec::new(),
        aliases: Aliases::new(),
        repeating: 0,
    };
    let mut collectors = Vec::new();
    for l in loaders {
        if let Some(c) = l.join_into(&mut plan, owner_ref, false) {
            collectors.push(c?);
        }
    }
    // With one repeating join, each row brings a distinct row of it.
    let sole = plan.repeating == 1;
    for c in &mut collectors {
        c.set_sole_repeater(sole);
    }
    Ok((collectors, plan.child_order))
}

/// Reads one joined include back from the rows of the statement.
pub(crate) trait Collector<P>: Send {
    /// Read this include's columns of one row, whose owner (the parent row
    /// at the level above) is `owner`.
    fn read(&mut self, row: RowRef<'_>, owner: usize) -> Result<()>;
    /// Load what hangs below (joined or separate), then give each owner its rows.
    fn finish<'a>(self: Box<Self>, conn: Conn<'a>, owners: &'a mut [P]) -> BoxFuture<'a, Result<()>>;
    /// Told once planned: `true` when this is the statement's only join
    /// that repeats rows, so each row holds a distinct row of this include
    /// (no keys to compare).
    fn set_sole_repeater(&mut self, sole: bool);
}

/// A row's primary key, as read back from a joined statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RowKey {
    One(Key),
    /// A composite key.
    Many(Vec<Key>),
}

/// The key of the model's row whose columns start at `base` (None when it
/// is NULL: a LEFT JOIN without a match).
pub(crate) fn row_key(row: RowRef<'_>, meta: &ModelMeta, base: usize) -> Result<Option<RowKey>> {
    let decode = |i: usize| super::decode_key(row, base + i, meta.columns[i].sql_type);
    if !meta.composite_pk() {
        return Ok(decode(meta.primary_key)?.map(RowKey::One));
    }
    let mut out = Vec::with_capacity(meta.primary_keys.len());
    for &i in meta.primary_keys {
        match decode(i)? {
            Some(k) => out.push(k),
            None => return Ok(None),
        }
    }
    Ok(Some(RowKey::Many(out)))
}

/// Plan a `.join()` include of `assoc` into `plan`: its JOINs (LEFT, or
/// INNER when required and its owner row is not itself optional), its
/// columns, its order, and its own joined includes below it.
pub(crate) fn plan_join<P: Model, C: Model + Clone>(
    assoc: &Assoc<P, C>,
    plan: &mut JoinPlan<'_>,
    parent_ref: &'static str,
    in_outer: bool,
) -> Result<Box<dyn Collector<P>>> {
    if assoc.limit.is_some() || assoc.offset.is_some() {
        return Err(Error::invalid(format!(
            "a per-parent limit on the include `{}` needs its own statement: drop .join() there",
            assoc.meta.name
        )));
    }
    let target = C::META;
    let m = assoc.meta;
    let alias = plan.aliases.take()?;
    let outer = in_outer || !assoc.required;
    let on = with_own_scope(assoc.child_filter(), m, parent_ref);
    let to_many = matches!(m.kind, AssocKind::HasMany | AssocKind::BelongsToMany);
    if m.kind != AssocKind::BelongsTo {
        plan.repeating += 1;
    }
    let mut link_at = None;
    let mut link_alias = None;
    match m.kind {
        AssocKind::BelongsTo | AssocKind::HasOne | AssocKind::HasMany => {
            let pairs = assoc.key_pairs()?;
            let (parent_col, target_col) = pairs[0];
            plan.select.joins.push(Join {
                table: target.table,
                alias,
                left: (alias, target_col),
                right: (parent_ref, parent_col),
                outer,
                on: and_key_parts(on, &pairs, parent_ref),
            });
        }
        AssocKind::BelongsToMany => {
            let through = plan.aliases.take()?;
            link_alias = Some(through);
            plan.select.joins.push(Join {
                table: m.through,
                alias: through,
                left: (through, m.foreign_key),
                right: (parent_ref, P::META.pk().name),
                outer,
                on: None,
            });
            plan.select.joins.push(Join {
                table: target.table,
                alias,
                left: (alias, target.pk().name),
                right: (through, m.other_key),
                outer,
                on,
            });
        }
    }
    let offset = plan.select.items.len();
    plan.select
        .items
        .extend(target.column_names.iter().map(|c| SelectItem::Qualified(alias, c)));
    if let (Some(l), Some(through)) = (assoc.link, link_alias) {
        link_at = Some((plan.select.items.len(), l.decode));
        plan.select
            .items
            .extend(l.meta.column_names.iter().map(|c| SelectItem::Qualified(through, c)));
    }
    plan.child_order.extend(
        assoc
            .order
            .iter()
            .map(|t| OrderTerm::Qualified(alias, Box::new(t.clone()))),
    );
    let mut nested = Vec::new();
    for n in &assoc.nested {
        if let Some(c) = n.join_into(plan, alias, outer) {
            nested.push(c?);
        }
    }
    Ok(Box::new(JoinCollector {
        assoc: assoc.clone(),
        offset,
        link_at,
        nested,
        children: Vec::new(),
        links: Vec::new(),
        owner_of: Vec::new(),
        first_of: Vec::new(),
        seen: HashMap::default(),
        to_many,
        sole: false,
    }))
}

/// Decodes a link row at a column offset.
type LinkDecoder = fn(RowRef<'_>, usize) -> Result<LinkRow>;

/// The joins' collectors of one statement.
pub(crate) type Collectors<P> = Vec<Box<dyn Collector<P>>>;

/// Reads a joined include's rows: each distinct (owner, key) once.
struct JoinCollector<P, C> {
    assoc: Assoc<P, C>,
    offset: usize,
    link_at: Option<(usize, LinkDecoder)>,
    nested: Vec<Box<dyn Collector<C>>>,
    children: Vec<C>,
    links: Vec<LinkRow>,
    /// The owner of each child (same index).
    owner_of: Vec<usize>,
    /// A to-one association's child of each owner, once read (`usize::MAX`: none yet).
    first_of: Vec<usize>,
    seen: HashMap<(usize, RowKey), usize, KeyHasher>,
    to_many: bool,
    /// The only repeating join: every row brings a new child (or none).
    sole: bool,
}

impl<P: Model, C: Model + Clone> JoinCollector<P, C> {
    /// Decode this row's child and remember its owner.
    fn push(&mut self, row: RowRef<'_>, owner: usize) -> Result<usize> {
        self.children.push(C::__from_row_at(row, self.offset)?);
        if let Some((at, decode)) = self.link_at {
            self.links.push(decode(row, at)?);
        }
        self.owner_of.push(owner);
        Ok(self.children.len() - 1)
    }

    /// Each owner's items in read order, sorted by the child's key when
    /// the include has no order of its own.
    fn group<T>(&self, items: Vec<T>, owners: usize, child: impl Fn(&T) -> &C) -> Vec<Vec<T>> {
        let mut groups: Vec<Vec<T>> = Vec::new();
        groups.resize_with(owners, Vec::new);
        for (item, &o) in items.into_iter().zip(&self.owner_of) {
            if let Some(g) = groups.get_mut(o) {
                g.push(item);
            }
        }
        if self.to_many && self.assoc.order.is_empty() {
            super::sort_by_key_of(groups.iter_mut(), child);
        }
        groups
    }
}

impl<P: Model, C: Model + Clone> Collector<P> for JoinCollector<P, C> {
    fn read(&mut self, row: RowRef<'_>, owner: usize) -> Result<()> {
        let idx = if !self.to_many {
            // A to-one row is read once per owner (its row repeats only
            // when something else multiplies the rows).
            if self.first_of.len() <= owner {
                self.first_of.resize(owner + 1, usize::MAX);
            }
            match self.first_of[owner] {
                usize::MAX => {
                    if row.is_null(self.offset + C::META.primary_key)? {
                        return Ok(());
                    }
                    let i = self.push(row, owner)?;
                    self.first_of[owner] = i;
                    i
                }
                i => i,
            }
        } else if self.sole {
            if row.is_null(self.offset + C::META.primary_key)? {
                return Ok(());
            }
            self.push(row, owner)?
        } else {
            let Some(key) = row_key(row, C::META, self.offset)? else {
                return Ok(());
            };
            match self.seen.get(&(owner, key.clone())) {
                Some(&i) => i,
                None => {
                    let i = self.push(row, owner)?;
                    self.seen.insert((owner, key), i);
                    i
                }
            }
        };
        for n in &mut self.nested {
            n.read(row, idx)?;
        }
        Ok(())
    }

    fn set_sole_repeater(&mut self, sole: bool) {
        self.sole = sole;
        for n in &mut self.nested {
            // Below a repeating join, rows repeat for it too.
            n.set_sole_repeater(sole && !self.to_many);
        }
    }

    fn finish<'a>(mut self: Box<Self>, conn: Conn<'a>, owners: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let nested = std::mem::take(&mut self.nested);
            self.assoc.load_below(conn, nested, &mut self.children).await?;
            let children = std::mem::take(&mut self.children);
            let links = std::mem::take(&mut self.links);
            let set = self.assoc.set;
            let n = owners.len();
            if self.assoc.link.is_some() && links.len() == children.len() {
                let pairs: Vec<(C, LinkRow)> = children.into_iter().zip(links).collect();
                for (owner, group) in owners.iter_mut().zip(self.group(pairs, n, |(c, _)| c)) {
                    let (rows, links): (Vec<C>, Vec<LinkRow>) = group.into_iter().unzip();
                    set(owner, Loaded::Linked(rows, links));
                }
            } else {
                for (owner, group) in owners.iter_mut().zip(self.group(children, n, |c| c)) {
                    set(
                        owner,
                        if self.to_many {
                            Loaded::Many(group)
                        } else {
                            Loaded::One(group.into_iter().next())
                        },
                    );
                }
            }
            Ok(())
        })
    }
}

/// A column of a to-one (or, in filters, to-many) association, for the
/// parent query's `filter` and `order_by` ([`Assoc::col`]).
pub struct AssocColumn<P, C, T> {
    assoc: &'static AssocMeta,
    /// The target's default scope, which its rows must satisfy.
    scope: Option<Cond>,
    column: crate::column::Column<C, T>,
    _marker: PhantomData<fn() -> P>,
}

impl<P, C, T: FieldType> AssocColumn<P, C, T> {
    pub(crate) fn new(assoc: &'static AssocMeta, scope: Option<Cond>, column: crate::column::Column<C, T>) -> Self {
        AssocColumn {
            assoc,
            scope,
            column,
            _marker: PhantomData,
        }
    }

    fn wrap(&self, c: Condition<C>) -> Condition<P> {
        self.via(c.cond)
    }

    fn via(&self, c: Cond) -> Condition<P> {
        Condition::new(Cond::Via(self.assoc, Box::new(c), self.scope.clone().map(Box::new)))
    }

    fn order(&self, o: Order<C>) -> Order<P> {
        Order::from_term(OrderTerm::Via(
            self.assoc,
            Box::new(o.term),
            self.scope.clone().map(Box::new),
        ))
    }

    /// Ascending order on the associated column. On a to-many association
    /// (each parent has many rows) parents are ordered by the smallest of
    /// their rows' values (`MIN`); parents without rows have NULL there,
    /// which order first (as `Option`'s `None`) on every dialect.
    pub fn asc(&self) -> Order<P> {
        self.order(self.column.asc())
    }

    /// Descending order on the associated column; on a to-many association,
    /// by the largest of each parent's values (`MAX`): "users by their
    /// latest post".
    pub fn desc(&self) -> Order<P> {
        self.order(self.column.desc())
    }

    /// `IS NULL` (also true when there is no associated row).
    pub fn is_null(&self) -> Condition<P> {
        self.wrap(self.column.is_null())
    }

    /// `IS NOT NULL`
    pub fn is_not_null(&self) -> Condition<P> {
        self.wrap(self.column.is_not_null())
    }
}

macro_rules! compare {
    ($($(#[$doc:meta])* $name:ident => $op:ident),*) => {
        impl<P, C, T: FieldType> AssocColumn<P, C, T> {
            $(
                $(#[$doc])*
                pub fn $name(&self, v: impl IntoValue<T::Compare>) -> Condition<P> {
                    let c = Cond::Cmp(self.column.name(), crate::ast::CmpOp::$op, v.into_value());
                    self.via(c)
                }
            )*

            /// `IN (..)`
            pub fn is_in<V: IntoValue<T::Compare>>(&self, values: impl IntoIterator<Item = V>) -> Condition<P> {
                self.wrap(self.column.is_in(values))
            }

            /// `NOT IN (..)`
            pub fn not_in<V: IntoValue<T::Compare>>(&self, values: impl IntoIterator<Item = V>) -> Condition<P> {
                self.wrap(self.column.not_in(values))
            }
        }
    };
}

compare!(
    /// `= value`
    eq => Eq,
    /// `<> value`
    ne => Ne,
    /// `> value`
    gt => Gt,
    /// `>= value`
    gte => Gte,
    /// `< value`
    lt => Lt,
    /// `<= value`
    lte => Lte
);

impl<P, C, T: FieldType<Compare = String>> AssocColumn<P, C, T> {
    /// `LIKE pattern`
    pub fn like(&self, pattern: impl Into<String>) -> Condition<P> {
        self.wrap(self.column.like(pattern))
    }
    /// Case-insensitive `LIKE`.
    pub fn ilike(&self, pattern: impl Into<String>) -> Condition<P> {
        self.wrap(self.column.ilike(pattern))
    }
    /// Begins with the literal text.
    pub fn starts_with(&self, prefix: &str) -> Condition<P> {
        self.wrap(self.column.starts_with(prefix))
    }
    /// Contains the literal text.
    pub fn contains(&self, needle: &str) -> Condition<P> {
        self.wrap(self.column.contains(needle))
    }
}
