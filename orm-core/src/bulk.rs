//! Writes of many rows or with conflicts: `bulk_create` (multi-row INSERTs
//! chunked under the dialect's parameter limit), `upsert`, and race-safe
//! `find_or_create`.

use crate::ast::{Cond, OnConflict, Select};
use crate::column::Condition;
use crate::db::{Conn, Executor};
use crate::dialect::{InsertId, render_insert, render_select};
use crate::error::{Error, Result};
use crate::field::now;
use crate::hooks::{BulkEvent, Event};
use crate::meta::enrich;
use crate::model::Model;
use crate::runtime::{guard_row, insert_for, insert_omitting, prepare_insert};
use crate::value::Value;

/// `Model::bulk_create`: every row is validated (and its hooks run) before
/// any is written; then multi-row INSERTs, each under the dialect's
/// bind-parameter limit and (MySQL) the server's `max_allowed_packet`, run
/// in one transaction (a savepoint inside one).
/// Returns the rows with their keys: RETURNING on PostgreSQL and SQLite; on
/// MySQL/MariaDB the first id of each INSERT plus the row's position, which
/// holds for a multi-row INSERT under InnoDB's default auto-increment lock
/// modes with `auto_increment_increment = 1`.
///
/// Rows that leave `default_sql` columns to the database are inserted in
/// groups with the same columns and then read back by key (one SELECT per
/// chunk of keys), so every returned instance holds what was stored.
pub async fn bulk_create<M: Model, E: Executor + ?Sized>(db: &E, rows: Vec<M::New>, validate: bool) -> Result<Vec<M>> {
    let stamp = now();
    let conn = db.__conn();
    let mut models: Vec<M> = Vec::with_capacity(rows.len());
    let mut values: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    let mut omitted: Vec<Vec<usize>> = Vec::new();
    for (i, new) in rows.into_iter().enumerate() {
        let omit = M::__sql_defaulted(&new);
        if !omit.is_empty() {
            omitted.resize(i, Vec::new());
            omitted.push(omit);
        }
        let m = batch_row::<M>(new, i, stamp, validate)?;
        let row = m.__values();
        guard_row(&conn, M::META, Some(i), &row)?;
        values.push(row);
        models.push(m);
    }
    if models.is_empty() {
        return Ok(models);
    }
    // Rows that all send every column are chunked once; rows that leave
    // some to `default_sql` are inserted by groups (`insert_with_sql_defaults`).
    let chunks = omitted.is_empty().then(|| chunk_rows::<M>(&conn, &values));
    if chunks.is_none() {
        omitted.resize(models.len(), Vec::new());
    }
    if chunks.as_ref().is_some_and(|c| c.len() == 1) {
        // One INSERT is atomic by itself.
        insert_all(&conn, &mut models, values, &omitted, chunks.as_deref()).await?;
    } else {
        let run = async |tx: &crate::db::Transaction| {
            insert_all(&Conn::Tx(tx), &mut models, values, &omitted, chunks.as_deref()).await
        };
        match conn {
            Conn::Db(d) => d.transaction(run).await?,
            Conn::Tx(t) => t.transaction(run).await?,
        }
    }
    Ok(models)
}

/// Row `i` of a batch as an instance ready to insert: built from `new` at
/// `stamp`, prepared and (with `validate`) validated, a validation error
/// naming the row.
pub(crate) fn batch_row<M: Model>(
    new: M::New,
    i: usize,
    stamp: chrono::DateTime<chrono::Utc>,
    validate: bool,
) -> Result<M> {
    let mut m = M::__from_new(new, stamp);
    prepare_insert(&mut m, validate).map_err(|e| match e {
        Error::Validation { model, fields, .. } => Error::Validation {
            model,
            row: Some(i),
            fields,
        },
        other => other,
    })?;
    Ok(m)
}

/// `bulk_create`'s statements with its hooks: the bulk pair around them,
/// each row's before and after hooks; `chunks` when every row sends every
/// column, else by groups of rows that leave the same columns out.
async fn insert_all<M: Model>(
    conn: &Conn<'_>,
    models: &mut [M],
    values: Vec<Vec<Value>>,
    omitted: &[Vec<usize>],
    chunks: Option<&[usize]>,
) -> Result<()> {
    M::before_bulk(BulkEvent::Create, conn).await?;
    match chunks {
        Some(ends) => {
            for m in models.iter() {
                m.before_write(Event::Create, conn).await?;
            }
            insert_chunks(conn, models, values, ends).await?;
        }
        None => insert_with_sql_defaults(conn, models, values, omitted).await?,
    }
    after_bulk_create(conn, models).await
}

/// The after hooks of `bulk_create`: each row's, then the bulk one.
async fn after_bulk_create<M: Model>(conn: &Conn<'_>, models: &[M]) -> Result<()> {
    for m in models {
        m.after_create()?;
        m.after_save()?;
        m.after_write(Event::Create, conn).await?;
        crate::runtime::after_commit(m, Event::Create, conn);
    }
    M::after_bulk(BulkEvent::Create, conn, models.len() as u64).await
}

/// `bulk_create` when some rows leave columns to `default_sql`: runs of
/// rows with the same omitted columns are inserted together, then the rows
/// that omitted columns are read back by their keys.
async fn insert_with_sql_defaults<M: Model>(
    conn: &Conn<'_>,
    models: &mut [M],
    values: Vec<Vec<Value>>,
    omitted: &[Vec<usize>],
) -> Result<()> {
    let mut values = values.into_iter();
    let mut start = 0;
    while start < models.len() {
        let omit = &omitted[start];
        let end = (start..models.len())
            .find(|&i| &omitted[i] != omit)
            .unwrap_or(models.len());
        let part = &mut models[start..end];
        for m in part.iter() {
            m.before_write(Event::Create, conn).await?;
        }
        let rows: Vec<Vec<Value>> = values.by_ref().take(end - start).collect();
        let chunks = chunk_rows::<M>(conn, &rows);
        insert_chunks_omitting(conn, part, rows, &chunks, omit).await?;
        if !omit.is_empty() {
            crate::runtime::reload_all_on(part, conn).await?;
        }
        start = end;
    }
    Ok(())
}

/// Split rows into INSERTs: each under the parameter limit and, where the
/// server limits statement size, under it (with room for the SQL text).
/// Returns the end index of each chunk.
pub(crate) fn chunk_rows<M: Model>(conn: &Conn<'_>, values: &[Vec<Value>]) -> Vec<usize> {
    let meta = M::META;
    let per_row = (meta.columns.len() - usize::from(meta.auto_pk())).max(1);
    let max_rows = (conn.dialect().sql().caps().max_params / per_row).max(1);
    let max_bytes = conn.db().inner.max_statement_bytes;
    let mut ends = Vec::new();
    let (mut rows, mut bytes) = (0usize, 0usize);
    for (i, row) in values.iter().enumerate() {
        let row_bytes = match max_bytes {
            Some(_) => row.iter().map(crate::guard::value_bytes).sum::<usize>() + 4 * per_row,
            None => 0,
        };
        let over_bytes = max_bytes.is_some_and(|max| bytes + row_bytes + crate::guard::PACKET_MARGIN > max);
        if rows > 0 && (rows == max_rows || over_bytes) {
            ends.push(i);
            rows = 0;
            bytes = 0;
        }
        rows += 1;
        bytes += row_bytes;
    }
    ends.push(values.len());
    ends
}

async fn insert_chunks<M: Model>(
    conn: &Conn<'_>,
    models: &mut [M],
    values: Vec<Vec<Value>>,
    ends: &[usize],
) -> Result<()> {
    insert_chunks_omitting(conn, models, values, ends, &[]).await
}

async fn insert_chunks_omitting<M: Model>(
    conn: &Conn<'_>,
    models: &mut [M],
    values: Vec<Vec<Value>>,
    ends: &[usize],
    omit: &[usize],
) -> Result<()> {
    let d = conn.dialect().sql();
    let meta = M::META;
    let mut start = 0;
    let mut values = values.into_iter();
    for &end in ends {
        let part = &mut models[start..end];
        let rows: Vec<Vec<Value>> = values.by_ref().take(end - start).collect();
        start = end;
        let ins = insert_omitting::<M>(conn, rows, omit);
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
                debug_assert_eq!(d.caps().insert_id, InsertId::LastInsertId);
                let first = done.last_insert_id.unwrap_or_default();
                for (i, m) in part.iter_mut().enumerate() {
                    m.__set_auto_pk(first + i as i64);
                }
            }
        }
    }
    Ok(())
}

/// The column `upsert` conflicts on: the model's only unique column, else
/// the primary key. A model with several unique columns must name one.
fn default_target<M: Model>() -> Result<&'static str> {
    let meta = M::META;
    let uniques: Vec<&'static str> = meta
        .columns
        .iter()
        .filter(|c| c.unique && !c.primary_key)
        .map(|c| c.name)
        .collect();
    match uniques.as_slice() {
        [] => Ok(meta.pk().name), // the whole key when it is composite (see `upsert_row`)
        [one] => Ok(one),
        many => Err(Error::invalid(format!(
            "{} has {} unique columns ({}): name the conflict target with {}::upsert_on(&db, {}::{}, new)",
            meta.name,
            many.len(),
            many.join(", "),
            meta.name,
            meta.name,
            many[0].to_uppercase()
        ))),
    }
}

/// `Model::upsert`: [`upsert_on`] the model's only unique column (the
/// primary key when it has none).
pub async fn upsert<M: Model, E: Executor + ?Sized>(db: &E, new: M::New) -> Result<M> {
    upsert_on::<M, E>(db, default_target::<M>()?, new).await
}

/// `Model::upsert_on`: insert, or, when a row with the same value in
/// `target` (a unique column or the primary key) exists, overwrite its
/// columns, keeping its key and `created_at` and bumping its version.
/// Returns the stored row on every dialect. A row that collides on another
/// unique column than `target` is [`Error::UniqueViolation`] everywhere
/// (MySQL/MariaDB, whose `ON DUPLICATE KEY UPDATE` would update that other
/// row, are checked first under a locking read in one transaction).
pub async fn upsert_on<M: Model, E: Executor + ?Sized>(db: &E, target: &'static str, new: M::New) -> Result<M> {
    let meta = M::META;
    let Some(target_col) = meta.column(target).filter(|c| c.unique || c.primary_key) else {
        return Err(Error::invalid(format!(
            "`{target}` is neither unique nor the primary key of {}: an upsert needs a conflict target the database enforces",
            meta.table
        )));
    };
    let mut m = M::__from_new(new, now());
    prepare_insert(&mut m, true)?;
    let conn = db.__conn();
    let values = m.__values();
    guard_row(&conn, meta, None, &values)?;
    m.before_write(Event::Upsert, &conn).await?;
    let stored = if conn.dialect().sql().caps().upsert_any_unique_key {
        let targets: Vec<&'static str> = if meta.composite_pk() && target_col.primary_key {
            meta.pk_columns().map(|c| c.name).collect()
        } else {
            vec![target_col.name]
        };
        let m = &m;
        let run = async |tx: &crate::db::Transaction| {
            let c = Conn::Tx(tx);
            let keys = crate::other_keys::Target::new(meta, targets);
            keys.refuse_other_keys(&c, std::slice::from_ref(m), 0, false).await?;
            upsert_row(&c, m, values, target, target_col.name).await
        };
        match conn {
            Conn::Db(d) => d.transaction(run).await?,
            Conn::Tx(t) => t.transaction(run).await?,
        }
    } else {
        upsert_row(&conn, &m, values, target, target_col.name).await?
    };
    stored.after_write(Event::Upsert, &conn).await?;
    crate::runtime::after_commit(&stored, Event::Upsert, &conn);
    Ok(stored)
}

/// The upsert statement of a prepared row, and the stored row read back.
async fn upsert_row<M: Model>(
    conn: &Conn<'_>,
    m: &M,
    values: Vec<Value>,
    target: &'static str,
    target_name: &'static str,
) -> Result<M> {
    let meta = M::META;
    let conn = *conn;
    let d = conn.dialect().sql();
    let created = meta.created_at.map(|i| meta.columns[i].name);
    let version = meta.version.map(|i| meta.columns[i].name);
    let mut update: Vec<&'static str> = meta
        .columns
        .iter()
        .filter(|c| !c.primary_key && c.name != target && Some(c.name) != created && Some(c.name) != version)
        .map(|c| c.name)
        .collect();
    let by_last_id = meta.auto_pk() && d.caps().insert_id == InsertId::LastInsertId;
    if update.is_empty() && version.is_none() && !by_last_id {
        // Something must be assigned; the target itself is a no-op.
        update.push(target);
    }
    // A column of a composite key conflicts as the whole key.
    let whole_key = meta.composite_pk() && meta.column(target).is_some_and(|c| c.primary_key);
    let targets: Vec<&'static str> = if whole_key {
        meta.pk_columns().map(|c| c.name).collect()
    } else {
        vec![target]
    };
    let mut ins = insert_for::<M>(&conn, vec![values]);
    ins.returning = None;
    ins.on_conflict = Some(OnConflict {
        table: meta.table,
        target: targets,
        update,
        bump: version,
        auto_key: by_last_id.then(|| meta.pk().name),
    });
    if d.caps().insert_id == InsertId::Returning {
        ins.returning_all = meta.column_names.to_vec();
        let st = render_insert(d, ins);
        let rows = conn.fetch(st, M::__from_row).await.map_err(|e| enrich(e, meta))?;
        return rows.into_iter().next().ok_or(Error::NotFound { model: meta.name });
    }
    let st = render_insert(d, ins);
    let done = conn.execute(st).await.map_err(|e| enrich(e, meta))?;
    // Read the row back: by the key the driver reported (the inserted or
    // the updated row's, through LAST_INSERT_ID), else by the target's value.
    let key = match done.last_insert_id {
        Some(id) if by_last_id && id > 0 => Value::I64(id),
        _ => m.__value_at(meta.column_index(target_name).unwrap_or(meta.primary_key)),
    };
    let column = if by_last_id { meta.pk().name } else { target_name };
    let mut s = Select::of_model(meta);
    s.filter = Some(if whole_key {
        crate::runtime::key_filter(m)
    } else {
        Cond::Cmp(column, crate::ast::CmpOp::Eq, key)
    });
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
///
/// The created row must match `cond` (else the next call would not find it
/// and would create another): one that does not is rolled back and the call
/// fails with [`Error::InvalidQuery`].
pub async fn find_or_create<M: Model, E: Executor + ?Sized>(
    db: &E,
    cond: Condition<M>,
    new: M::New,
) -> Result<(M, bool)> {
    if let Some(found) = M::__default_scope(crate::query::Find::<M>::new())
        .filter(cond.clone())
        .one(db)
        .await?
    {
        return Ok((found, false));
    }
    // In a transaction (a savepoint inside one), so that a conflict does not
    // abort an enclosing transaction and a row that misses `cond` is undone.
    let check = cond.clone();
    let create = async |tx: &crate::db::Transaction| {
        let m = crate::runtime::create::<M, _>(tx, new).await?;
        let key = crate::runtime::key_filter(&m);
        let matches = M::__default_scope(crate::query::Find::<M>::new())
            .filter(check.and(Condition::new(key)))
            .count(tx)
            .await?;
        if matches == 0 {
            return Err(Error::invalid(format!(
                "find_or_create on {}: the row made from the values does not match the condition, so the next call would not find it and would create another; make the values agree with the condition",
                M::META.name
            )));
        }
        Ok(m)
    };
    let attempt = match db.__conn() {
        Conn::Db(d) => d.transaction(create).await,
        Conn::Tx(t) => t.transaction(create).await,
    };
    match attempt {
        Ok(m) => Ok((m, true)),
        Err(e @ Error::UniqueViolation { .. }) => {
            match M::__default_scope(crate::query::Find::<M>::new())
                .filter(cond)
                .one(db)
                .await?
            {
                Some(found) => Ok((found, false)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}
