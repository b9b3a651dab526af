//! The association methods that read and link through an association
//! handle: `get_x`, `count_x`, and the join-table writes of a
//! belongs-to-many (`add_x`/`remove_x`/`set_xs` through `link`, `unlink`,
//! `set_links`). The has-many foreign-key writes are `has_many.rs`.

use crate::ast::{Cond, Insert, Join, Select, SelectItem};
use crate::db::{Conn, Executor};
use crate::dialect::{render_insert, render_select};
use crate::error::Result;
use crate::field::FieldType;
use crate::include::{Assoc, col_index};
use crate::meta::{AssocKind, AssocMeta};
use crate::model::Model;
use crate::value::Value;

/// The target rows of one parent (`user.get_posts(&db)`).
pub async fn get_related<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
) -> Result<Vec<C>> {
    let Some(key) = assoc.parent_key(parent, &assoc.parent_key_index()?) else {
        return Ok(Vec::new());
    };
    let conn = db.__conn();
    let (_, mut children) = assoc.fetch(conn, &[key]).await?;
    assoc.sort_groups(std::iter::once(&mut children));
    Ok(children)
}

/// How many target rows one parent has (`user.count_posts(&db)`).
pub async fn count_related<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
) -> Result<i64> {
    let conn = db.__conn();
    let pk = parent.__pk();
    let target = C::META;
    let m = assoc.meta;
    let mut s;
    match m.kind {
        AssocKind::BelongsToMany => {
            s = Select::new(m.through);
            s.alias = Some("j");
            s.joins.push(Join::inner(
                target.table,
                "t",
                ("t", target.pk().name),
                ("j", m.other_key),
            ));
            s.qualifier = Some("t");
            let key = Cond::Qualified("j", Box::new(Cond::Cmp(m.foreign_key, crate::ast::CmpOp::Eq, pk)));
            s.filter = Some(match assoc.child_filter() {
                Some(f) => Cond::And(vec![key, f]),
                None => key,
            });
        }
        _ => {
            s = Select::new(target.table);
            let mut parts = Vec::new();
            for (parent_col, child_col) in assoc.key_pairs()? {
                let v = parent.__value_at(col_index(P::META, parent_col)?);
                parts.push(Cond::Cmp(child_col, crate::ast::CmpOp::Eq, v));
            }
            let key = Cond::And(parts);
            s.filter = Some(match assoc.child_filter() {
                Some(f) => Cond::And(vec![key, f]),
                None => key,
            });
        }
    }
    s.items = vec![SelectItem::CountStar];
    let st = render_select(conn.dialect().sql(), &s);
    Ok(conn
        .read(st, |r| i64::decode(r, 0))
        .await?
        .into_iter()
        .next()
        .unwrap_or(0))
}

/// Link targets through the join table; links that exist are kept.
pub async fn link<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    targets: &[&C],
) -> Result<()> {
    let keys: Vec<Value> = targets.iter().map(|t| t.__pk()).collect();
    link_keys(parent.__pk(), &db.__conn(), assoc.meta, keys).await
}

/// Link the rows keyed `targets` to the row keyed `parent` through a
/// many-to-many association's join table; links that exist are kept.
pub(crate) async fn link_keys(
    parent: Value,
    conn: &Conn<'_>,
    m: &'static AssocMeta,
    targets: Vec<Value>,
) -> Result<()> {
    if targets.is_empty() {
        return Ok(());
    }
    let rows = targets.into_iter().map(|t| vec![parent.clone(), t]).collect();
    let ins = Insert {
        table: m.through,
        columns: vec![m.foreign_key, m.other_key],
        rows,
        returning: None,
        ignore_conflicts: true,
        on_conflict: None,
        returning_all: Vec::new(),
    };
    let st = render_insert(conn.dialect().sql(), ins);
    conn.execute(st)
        .await
        .map(|_| ())
        .map_err(|e| crate::meta::enrich_join(e, m.through, [m.foreign_key, m.other_key]))
}

/// Remove links through the join table: to `only` these targets, or all
/// but `keep` of them.
pub async fn unlink<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    targets: &[&C],
    keep: bool,
) -> Result<u64> {
    let m = assoc.meta;
    let conn = db.__conn();
    let values: Vec<Value> = targets.iter().map(|t| t.__pk()).collect();
    let mut parts = vec![Cond::Cmp(m.foreign_key, crate::ast::CmpOp::Eq, parent.__pk())];
    if !(keep && values.is_empty()) {
        parts.push(Cond::In(m.other_key, values, keep));
    }
    let del = crate::ast::Delete {
        table: m.through,
        filter: Some(Cond::And(parts)),
    };
    let st = crate::dialect::render_delete(conn.dialect().sql(), &del);
    let done = conn
        .execute(st)
        .await
        .map_err(|e| crate::meta::enrich_join(e, m.through, [m.foreign_key, m.other_key]))?;
    Ok(done.rows_affected)
}

/// Replace the parent's links with exactly `targets`, atomically.
pub async fn set_links<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    targets: &[&C],
) -> Result<()> {
    let run = async |tx: &crate::db::Transaction| {
        unlink(parent, tx, assoc.clone(), targets, true).await?;
        link(parent, tx, assoc.clone(), targets).await
    };
    match db.__conn() {
        Conn::Db(d) => d.transaction(run).await,
        Conn::Tx(t) => t.transaction(run).await,
    }
}

/// `create_x` of a `BelongsTo`: create the row `child` belongs to from
/// `new`, point `child`'s key at it (`point`) and save that column, in one
/// transaction (a savepoint inside one). The generated method puts the
/// key back when this fails.
pub async fn create_parent<C: Model, P: Model, E: Executor + ?Sized>(
    child: &mut C,
    db: &E,
    new: P::New,
    point: impl FnOnce(&mut C, &P),
    columns: &[&'static str],
) -> Result<P> {
    let run = async |tx: &crate::db::Transaction| -> Result<P> {
        let parent = crate::runtime::create::<P, _>(tx, new).await?;
        point(child, &parent);
        crate::runtime::save_columns(child, tx, columns).await?;
        Ok(parent)
    };
    match db.__conn() {
        Conn::Db(d) => d.transaction(run).await,
        Conn::Tx(t) => t.transaction(run).await,
    }
}

/// `create_x` of a `BelongsToMany`: create a row from `new` and link it to
/// `parent`, in one transaction.
pub async fn create_linked<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    new: C::New,
) -> Result<C> {
    let run = async |tx: &crate::db::Transaction| -> Result<C> {
        let created = crate::runtime::create::<C, _>(tx, new).await?;
        link(parent, tx, assoc, &[&created]).await?;
        Ok(created)
    };
    match db.__conn() {
        Conn::Db(d) => d.transaction(run).await,
        Conn::Tx(t) => t.transaction(run).await,
    }
}
