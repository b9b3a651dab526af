//! The has-many methods beyond get/count/create: `add_x`, `add_xs`,
//! `remove_x`, `set_xs` (Sequelize's addPost, removePost, ...), each one
//! UPDATE of the targets' foreign key; and `has_x` for every association
//! kind (one COUNT through `count_related`).

use crate::ast::{Assign, CmpOp, Cond, Select, SelectItem, Update};
use crate::db::{Conn, Executor};
use crate::dialect::{render_select, render_update};
use crate::error::{Error, Result};
use crate::field::FieldType;
use crate::field::now;
use crate::include::{Assoc, col_index};
use crate::meta::enrich;
use crate::model::Model;
use crate::value::Value;

/// The child's foreign key columns, each with the parent's key value.
type KeyParts = Vec<(&'static str, Value)>;

/// The foreign key's assignments, and the scope's (a polymorphic association).
fn key_sets(assoc_scope: &'static [(&'static str, &'static str)], key: &KeyParts) -> Vec<(&'static str, Assign)> {
    let mut sets: Vec<(&'static str, Assign)> = key.iter().map(|(c, v)| (*c, Assign::Value(v.clone()))).collect();
    sets.extend(
        assoc_scope
            .iter()
            .map(|(c, v)| (*c, Assign::Value(Value::String((*v).to_owned())))),
    );
    sets
}

/// The rows whose foreign key holds the parent's key.
fn key_match(key: &KeyParts) -> Vec<Cond> {
    key.iter().map(|(c, v)| Cond::Cmp(c, CmpOp::Eq, v.clone())).collect()
}

/// The foreign key set to NULL (every column of a composite key).
fn key_nulls<C: Model>(key: &KeyParts) -> Vec<(&'static str, Assign)> {
    key.iter()
        .map(|(c, _)| {
            let ty = C::META.column(c).map_or(crate::SqlType::BigInt, |m| m.sql_type);
            (*c, Assign::Value(Value::Null(ty)))
        })
        .collect()
}

/// The child's foreign key columns with the parent's key values.
fn keys<P: Model, C: Model + Clone>(parent: &P, assoc: &Assoc<P, C>) -> Result<KeyParts> {
    assoc
        .key_pairs()?
        .into_iter()
        .map(|(parent_col, child_col)| Ok((child_col, parent.__value_at(col_index(P::META, parent_col)?))))
        .collect()
}

/// `UPDATE child SET sets (+ updated_at, version) WHERE filter`.
async fn update_children<C: Model>(
    conn: &Conn<'_>,
    mut sets: Vec<(&'static str, Assign)>,
    filter: Cond,
) -> Result<u64> {
    let meta = C::META;
    if let Some(i) = meta.updated_at {
        sets.push((meta.columns[i].name, Assign::Value(now().to_value())));
    }
    if let Some(v) = meta.version {
        sets.push((meta.columns[v].name, Assign::Add(Value::I32(1))));
    }
    let u = Update {
        table: meta.table,
        sets,
        filter: Some(filter),
    };
    let st = render_update(conn.dialect().sql(), &u);
    Ok(conn.execute(st).await.map_err(|e| enrich(e, meta))?.rows_affected)
}

/// How many child rows match `filter`.
async fn count_children<C: Model>(conn: &Conn<'_>, filter: Cond) -> Result<i64> {
    let mut s = Select::new(C::META.table);
    s.items = vec![SelectItem::CountStar];
    s.filter = Some(filter);
    let n = conn
        .fetch(render_select(conn.dialect().sql(), &s), |r| i64::decode(r, 0))
        .await?;
    Ok(n.first().copied().unwrap_or(0))
}

/// `user.add_posts(&db, &[..])`: point each target's foreign key at the
/// parent, in one UPDATE (the instances passed in are not changed).
pub async fn adopt<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    targets: &[&C],
) -> Result<()> {
    if targets.is_empty() {
        return Ok(());
    }
    let key = keys(parent, &assoc)?;
    let filter = crate::runtime::keys_filter(targets, false);
    update_children::<C>(&db.__conn(), key_sets(assoc.meta.scope, &key), filter).await?;
    Ok(())
}

/// The refusal for detaching rows whose foreign key cannot be NULL.
fn not_nullable<C: Model>(key: &KeyParts) -> Result<()> {
    for (fk, _) in key {
        if let Some(c) = C::META.column(fk)
            && !c.nullable
        {
            return Err(Error::invalid(format!(
                "{}.{fk} is NOT NULL: a {} cannot be detached from its parent; destroy it, or add it to another parent",
                C::META.table,
                C::META.name
            )));
        }
    }
    Ok(())
}

/// `user.remove_post(&db, &post)`: set the target's foreign key to NULL
/// (if it points at this parent); refused when the key is NOT NULL.
pub async fn orphan<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    target: &C,
) -> Result<()> {
    let key = keys(parent, &assoc)?;
    not_nullable::<C>(&key)?;
    let mut parts = vec![crate::runtime::key_filter(target)];
    parts.extend(key_match(&key));
    parts.extend(crate::include::scope_cond(assoc.meta));
    let filter = Cond::And(parts);
    update_children::<C>(&db.__conn(), key_nulls::<C>(&key), filter).await?;
    Ok(())
}

/// `user.set_posts(&db, &[..])`: exactly these targets point at the parent,
/// in one transaction. Others are detached (foreign key NULL); when the key
/// is NOT NULL and another row would have to be detached, nothing changes
/// and the call is refused.
pub async fn replace_children<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    assoc: Assoc<P, C>,
    targets: &[&C],
) -> Result<()> {
    let key = keys(parent, &assoc)?;
    let mut others = key_match(&key);
    others.push(crate::runtime::keys_filter(targets, true));
    others.extend(crate::include::scope_cond(assoc.meta));
    let others = Cond::And(others);
    let run = async |tx: &crate::db::Transaction| {
        let conn = Conn::Tx(tx);
        let nullable = not_nullable::<C>(&key);
        if let Err(e) = nullable {
            if count_children::<C>(&conn, others.clone()).await? > 0 {
                return Err(e);
            }
        } else {
            update_children::<C>(&conn, key_nulls::<C>(&key), others.clone()).await?;
        }
        if !targets.is_empty() {
            update_children::<C>(
                &conn,
                key_sets(assoc.meta.scope, &key),
                crate::runtime::keys_filter(targets, false),
            )
            .await?;
        }
        Ok(())
    };
    match db.__conn() {
        Conn::Db(d) => d.transaction(run).await,
        Conn::Tx(t) => t.transaction(run).await,
    }
}

/// `user.has_post(&db, &post)`, `post.has_tag(&db, &tag)`: whether the
/// target is among the parent's associated rows as every other association
/// statement sees them (any association kind): a soft-deleted target, or
/// one outside its model's default scope, is not.
pub async fn is_related<P: Model, C: Model + Clone, E: Executor + ?Sized>(
    parent: &P,
    db: &E,
    mut assoc: Assoc<P, C>,
    target: &C,
) -> Result<bool> {
    let key = crate::runtime::key_filter(target);
    assoc.filter = Some(match assoc.filter.take() {
        Some(f) => Cond::And(vec![f, key]),
        None => key,
    });
    Ok(crate::assoc::methods::count_related(parent, db, assoc).await? > 0)
}
