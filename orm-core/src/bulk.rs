//! Writes of many rows or with conflicts: `bulk_create` (multi-row INSERTs
//! chunked under the dialect's parameter limit), `upsert`, and race-safe
//! `find_or_create`.

use crate::ast::{Cond, OnConflict, Select, SelectItem};
use crate::column::Condition;
use crate::dialect::{InsertId, render_insert, render_select};
use crate::error::{Error, Result};
use crate::exec::{Conn, Executor};
use crate::model::Model;
use crate::runtime::{enrich, insert_for, now, prepare_insert};

/// `Model::bulk_create`: every row is validated (and its hooks run) before
/// any is written; then multi-row INSERTs, chunked under the dialect's
/// bind-parameter limit, run in one transaction (a savepoint inside one).
/// Returns the rows with their keys: RETURNING on PostgreSQL and SQLite; on
/// MySQL/MariaDB the first id of each INSERT plus the row's position, which
/// holds for a multi-row INSERT under InnoDB's default auto-increment lock
/// modes with `auto_increment_increment = 1`.
pub async fn bulk_create<M: Model, E: Executor + ?Sized>(db: &E, rows: Vec<M::New>, validate: bool) -> Result<Vec<M>> {
    let stamp = now();
    let mut models: Vec<M> = Vec::with_capacity(rows.len());
    for (i, new) in rows.into_iter().enumerate() {
        let mut m = M::__from_new(new, stamp);
        prepare_insert(&mut m, validate).map_err(|e| match e {
            Error::Validation { model, fields, .. } => Error::Validation {
                model,
                row: Some(i),
                fields,
            },
            other => other,
        })?;
        models.push(m);
    }
    if models.is_empty() {
        return Ok(models);
    }
    let conn = db.__conn();
    let per_row = M::META.columns.len() - usize::from(M::META.auto_pk());
    if models.len() <= conn.dialect().sql().max_params() / per_row.max(1) {
        // One INSERT is atomic by itself.
        insert_chunks(&conn, &mut models).await?;
    } else {
        let run = async |tx: &crate::Transaction| insert_chunks(&Conn::Tx(tx), &mut models).await;
        match conn {
            Conn::Db(d) => d.transaction(run).await?,
            Conn::Tx(t) => t.transaction(run).await?,
        }
    }
    for m in &models {
        m.after_create()?;
        m.after_save()?;
    }
    Ok(models)
}

async fn insert_chunks<M: Model>(conn: &Conn<'_>, models: &mut [M]) -> Result<()> {
    let d = conn.dialect().sql();
    let meta = M::META;
    let per_row = meta.columns.len() - usize::from(meta.auto_pk());
    let chunk = (d.max_params() / per_row.max(1)).max(1);
    for part in models.chunks_mut(chunk) {
        let ins = insert_for::<M>(conn, part.iter().map(|m| m.__values()).collect());
        let returning = ins.returning.is_some();
        let st = render_insert(d, ins);
        if returning {
            let ty = meta.pk().sql_type;
            let ids = conn
                .fetch(st, |r| crate::runtime::decode_key(r, ty))
                .await
                .map_err(|e| enrich(e, meta))?;
            if ids.len() != part.len() {
                return Err(Error::invalid(
                    "the database returned a different number of keys than rows inserted",
                ));
            }
            for (m, id) in part.iter_mut().zip(ids) {
                m.__set_auto_pk(id);
            }
        } else {
            let done = conn.execute(st).await.map_err(|e| enrich(e, meta))?;
            if meta.auto_pk() {
                debug_assert_eq!(d.insert_id(), InsertId::LastInsertId);
                let first = done.last_insert_id.unwrap_or_default();
                for (i, m) in part.iter_mut().enumerate() {
                    m.__set_auto_pk(first + i as i64);
                }
            }
        }
    }
    Ok(())
}

/// The columns an upsert conflicts on: the unique columns, else the key.
fn conflict_target<M: Model>() -> Vec<&'static str> {
    let meta = M::META;
    let uniques: Vec<&'static str> = meta
        .columns
        .iter()
        .filter(|c| c.unique && !c.primary_key)
        .map(|c| c.name)
        .collect();
    if uniques.is_empty() {
        vec![meta.pk().name]
    } else {
        uniques
    }
}

/// `Model::upsert`: insert, or on a conflict over the unique columns (the
/// key when there are none) overwrite the row's columns, keeping its key
/// and `created_at`. Returns the stored row.
pub async fn upsert<M: Model, E: Executor + ?Sized>(db: &E, new: M::New) -> Result<M> {
    let meta = M::META;
    let mut m = M::__from_new(new, now());
    prepare_insert(&mut m, true)?;
    let conn = db.__conn();
    let d = conn.dialect().sql();
    let target = conflict_target::<M>();
    let created = meta.created_at.map(|i| meta.columns[i].name);
    let update: Vec<&'static str> = meta
        .columns
        .iter()
        .filter(|c| !c.primary_key && !target.contains(&c.name) && Some(c.name) != created)
        .map(|c| c.name)
        .collect();
    let mut ins = insert_for::<M>(&conn, vec![m.__values()]);
    ins.returning = None;
    // Something must be assigned for MySQL's syntax; the target itself is a no-op.
    let update = if update.is_empty() { vec![target[0]] } else { update };
    ins.on_conflict = Some(OnConflict {
        target: target.clone(),
        update,
    });
    if d.insert_id() == InsertId::Returning {
        ins.returning_all = meta.column_names.to_vec();
        let st = render_insert(d, ins);
        let rows = conn.fetch(st, M::__from_row).await.map_err(|e| enrich(e, meta))?;
        return rows.into_iter().next().ok_or(Error::NotFound { model: meta.name });
    }
    let st = render_insert(d, ins);
    conn.execute(st).await.map_err(|e| enrich(e, meta))?;
    // Read the row back by the conflict columns.
    let mut s = Select::new(meta.table);
    s.items = meta.column_names.iter().map(|c| SelectItem::Column(c)).collect();
    let parts = target
        .iter()
        .map(|c| {
            let idx = meta.column_index(c).unwrap_or(meta.primary_key);
            Cond::Cmp(c, crate::ast::CmpOp::Eq, m.__value_at(idx))
        })
        .collect();
    s.filter = Some(Cond::And(parts));
    let st = render_select(d, &s);
    conn.fetch(st, M::__from_row)
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound { model: meta.name })
}

/// `Model::find_or_create`: the first row matching `cond`, or a new one
/// from `new`; `true` when it was created. Race-safe: when a concurrent
/// caller inserts the same unique key first, its row is returned.
pub async fn find_or_create<M: Model, E: Executor + ?Sized>(
    db: &E,
    cond: Condition<M>,
    new: M::New,
) -> Result<(M, bool)> {
    if let Some(found) = crate::Find::<M>::new().filter(cond.clone()).one(db).await? {
        return Ok((found, false));
    }
    // A savepoint, so that a conflict does not abort an enclosing transaction.
    let attempt = match db.__conn() {
        Conn::Db(d) => crate::runtime::create::<M, _>(d, new).await,
        Conn::Tx(t) => {
            t.transaction(async |sp| crate::runtime::create::<M, _>(sp, new).await)
                .await
        }
    };
    match attempt {
        Ok(m) => Ok((m, true)),
        Err(e @ Error::UniqueViolation { .. }) => match crate::Find::<M>::new().filter(cond).one(db).await? {
            Some(found) => Ok((found, false)),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}
