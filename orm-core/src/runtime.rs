//! The instance operations that generated methods call: create, save,
//! update, reload, destroy. Generic over `Model`, so the derive's output
//! stays a few lines per method.

use crate::ast::{Assign, CmpOp, Cond, Delete, Insert, Select, SelectItem, Update};
use crate::db::{Conn, Executor};
use crate::dialect::{InsertId, render_delete, render_insert, render_select, render_update};
use crate::error::{Error, FieldErrors, Result};
use crate::field::FieldType;
use crate::field::now;
use crate::hooks::Event;
use crate::meta::{ColumnMeta, ModelMeta, enrich};
use crate::model::Model;
use crate::row::RowRef;
use crate::value::{SqlType, Value};

fn validation_error(meta: &ModelMeta, errors: FieldErrors) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation {
            model: meta.name,
            row: None,
            fields: errors,
        })
    }
}

/// Run a model's validation rules.
pub fn validate<M: Model>(m: &M) -> Result<()> {
    let mut errors = FieldErrors::new();
    m.__validate(&mut errors);
    validation_error(M::META, errors)
}

fn pk_filter(meta: &ModelMeta, pk: Value) -> Cond {
    Cond::Cmp(meta.pk().name, CmpOp::Eq, pk)
}

/// `key = value` for every primary-key column of an instance (all of a
/// composite key's columns).
pub(crate) fn key_filter<M: Model>(m: &M) -> Cond {
    let meta = M::META;
    if !meta.composite_pk() {
        return pk_filter(meta, m.__pk());
    }
    Cond::And(
        meta.pk_columns()
            .zip(m.__pk_values())
            .map(|(c, v)| Cond::Cmp(c.name, CmpOp::Eq, v))
            .collect(),
    )
}

/// The rows of these instances (`NOT` them when `negate`), by their keys:
/// an `IN` list, or for a composite key one `OR` of the key columns.
pub(crate) fn keys_filter<M: Model>(items: &[&M], negate: bool) -> Cond {
    let meta = M::META;
    if !meta.composite_pk() || items.is_empty() {
        return Cond::In(meta.pk().name, items.iter().map(|m| m.__pk()).collect(), negate);
    }
    let any = Cond::Or(items.iter().map(|m| key_filter(*m)).collect());
    if negate { Cond::Not(Box::new(any)) } else { any }
}

pub(crate) fn decode_key(row: RowRef<'_>, ty: SqlType) -> Result<i64> {
    match ty {
        SqlType::SmallInt => i16::decode(row, 0).map(i64::from),
        SqlType::Int => i32::decode(row, 0).map(i64::from),
        _ => i64::decode(row, 0),
    }
}

/// The INSERT for a batch of instances, skipping the auto key.
pub(crate) fn insert_for<M: Model>(conn: &Conn<'_>, rows: Vec<Vec<Value>>) -> Insert {
    insert_omitting::<M>(conn, rows, &[])
}

/// The INSERT for a batch of instances, skipping the auto key and the
/// columns in `omit` (left to the database's `default_sql`).
pub(crate) fn insert_omitting<M: Model>(conn: &Conn<'_>, rows: Vec<Vec<Value>>, omit: &[usize]) -> Insert {
    insert_in::<M>(conn.dialect(), rows, omit)
}

/// [`insert_omitting`] for a dialect rather than a connection.
pub(crate) fn insert_in<M: Model>(dialect: crate::backend::Dialect, rows: Vec<Vec<Value>>, omit: &[usize]) -> Insert {
    let meta = M::META;
    let auto = meta.auto_pk();
    let pk = meta.primary_key;
    let keep = |i: usize| !(omit.contains(&i) || (auto && i == pk));
    let columns = meta
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c): (usize, &ColumnMeta)| c.name)
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, v)| v)
                .collect()
        })
        .collect();
    let returning = (auto && dialect.sql().caps().insert_id == InsertId::Returning).then(|| meta.pk().name);
    Insert {
        table: meta.table,
        columns,
        rows,
        returning,
        ignore_conflicts: false,
        on_conflict: None,
        returning_all: Vec::new(),
    }
}

/// Run the create-path hooks and validation on a fresh instance.
pub(crate) fn prepare_insert<M: Model>(m: &mut M, validate_rules: bool) -> Result<()> {
    m.before_validate()?;
    if validate_rules {
        validate(m)?;
    }
    m.before_save()?;
    m.before_create()
}

/// `Model::create`: validate, apply defaults and timestamps, insert, fill
/// the key (and read back columns the database filled from `default_sql`).
pub async fn create<M: Model, E: Executor + ?Sized>(db: &E, new: M::New) -> Result<M> {
    create_filled(&db.__conn(), new, |_| {}).await
}

/// [`create`], with `fill` run on the row before it is validated (a nested
/// create sets the parent's key there).
pub(crate) async fn create_filled<M: Model>(conn: &Conn<'_>, new: M::New, fill: impl FnOnce(&mut M)) -> Result<M> {
    let omit = M::__sql_defaulted(&new);
    let mut m = M::__from_new(new, now());
    fill(&mut m);
    prepare_insert(&mut m, true)?;
    let conn = *conn;
    m.before_write(Event::Create, &conn).await?;
    insert_one_omitting(&mut m, &conn, &omit).await?;
    m.after_create()?;
    m.after_save()?;
    m.after_write(Event::Create, &conn).await?;
    after_commit(&m, Event::Create, &conn);
    Ok(m)
}

/// What the connection's dialect can store (see `guard.rs`).
pub(crate) fn limits(conn: &Conn<'_>) -> &'static crate::dialect::ValueLimits {
    conn.dialect().sql().value_limits()
}

/// Refuse a row (every column, in order) that the database would not store
/// exactly, or that no statement could carry.
pub(crate) fn guard_row(conn: &Conn<'_>, meta: &ModelMeta, row: Option<usize>, values: &[Value]) -> Result<()> {
    crate::guard::check_values(limits(conn), meta, row, values)?;
    crate::guard::check_row_size(conn.db().inner.max_statement_bytes, meta, row, values)
}

/// INSERT one prepared instance without the columns in `omit` (their SQL
/// defaults apply), fill its auto key, and read those columns back.
pub(crate) async fn insert_one_omitting<M: Model>(m: &mut M, conn: &Conn<'_>, omit: &[usize]) -> Result<()> {
    let conn = *conn;
    let values = m.__values();
    guard_row(&conn, M::META, None, &values)?;
    let ins = insert_omitting::<M>(&conn, vec![values], omit);
    let returning = ins.returning.is_some();
    let st = render_insert(conn.dialect().sql(), ins);
    let meta = M::META;
    if returning {
        let ty = meta.pk().sql_type;
        let ids = conn
            .fetch(st, |r| decode_key(r, ty))
            .await
            .map_err(|e| enrich(e, meta))?;
        if let Some(id) = ids.first() {
            m.__set_auto_pk(*id);
        }
    } else {
        let done = conn.execute(st).await.map_err(|e| enrich(e, meta))?;
        if meta.auto_pk()
            && let Some(id) = done.last_insert_id
        {
            m.__set_auto_pk(id);
        }
    }
    if !omit.is_empty() {
        reload_on(m, &conn).await?;
    }
    Ok(())
}

/// The WHERE of an instance write: the key, and the version it was read at.
fn instance_filter<M: Model>(m: &M) -> Cond {
    let meta = M::META;
    let key = key_filter(m);
    match meta.version {
        Some(v) => Cond::And(vec![key, Cond::Cmp(meta.columns[v].name, CmpOp::Eq, m.__value_at(v))]),
        None => key,
    }
}

/// An instance write matched no row: stale (versioned and the row exists) or gone.
async fn missing<M: Model>(conn: &Conn<'_>, m: &M) -> Error {
    let meta = M::META;
    if meta.version.is_some() {
        let mut s = Select::new(meta.table);
        s.items = vec![SelectItem::CountStar];
        s.filter = Some(key_filter(m));
        let st = render_select(conn.dialect().sql(), &s);
        if let Ok(n) = conn.fetch(st, |r| i64::decode(r, 0)).await
            && n.first().copied().unwrap_or(0) > 0
        {
            return Error::StaleRow { model: meta.name };
        }
    }
    Error::NotFound { model: meta.name }
}

/// Refuse assigned values the columns cannot hold (see `guard.rs`).
fn check_assignments(conn: &Conn<'_>, meta: &ModelMeta, sets: &[(&'static str, Assign)]) -> Result<()> {
    crate::guard::check_row(
        limits(conn),
        meta,
        None,
        sets.iter().filter_map(|(name, a)| match a {
            Assign::Value(v) => meta.column(name).map(|c| (c, v)),
            _ => None,
        }),
    )
}

/// Write `sets` to the instance's row (checking and bumping the version).
async fn write_instance<M: Model>(conn: &Conn<'_>, m: &M, mut sets: Vec<(&'static str, Assign)>) -> Result<()> {
    let meta = M::META;
    if let Some(v) = meta.version {
        sets.push((meta.columns[v].name, Assign::Add(Value::I32(1))));
    }
    let u = Update {
        table: meta.table,
        sets,
        filter: Some(instance_filter(m)),
    };
    let st = render_update(conn.dialect().sql(), &u);
    let done = conn.execute(st).await.map_err(|e| enrich(e, meta))?;
    if done.rows_affected == 0 {
        return Err(missing(conn, m).await);
    }
    Ok(())
}

/// `instance.save`: validate, bump `updated_at`, write every column but
/// those whose stored value may not survive a rewrite and that the program
/// did not change (see `stored_unchanged`).
pub async fn save<M: Model, E: Executor + ?Sized>(m: &mut M, db: &E) -> Result<()> {
    m.before_validate()?;
    validate(m)?;
    m.before_save()?;
    m.before_update()?;
    let meta = M::META;
    let conn = db.__conn();
    m.before_write(Event::Update, &conn).await?;
    let previous = meta.updated_at.map(|i| m.__value_at(i));
    let restore_stamp = |m: &mut M| {
        if let Some(Value::DateTimeUtc(t)) = previous {
            m.__touch(t);
        }
    };
    m.__touch(now());
    let values = m.__values();
    if let Err(e) = guard_row(&conn, meta, None, &values) {
        restore_stamp(m);
        return Err(e);
    }
    let untouched = stored_unchanged(&conn, m, &values).await;
    let sets = meta
        .columns
        .iter()
        .zip(values)
        .enumerate()
        .filter(|(i, (c, _))| !c.primary_key && meta.version != Some(*i) && !untouched.contains(i))
        .map(|(_, (c, v))| (c.name, Assign::Value(v)))
        .collect();
    if let Err(e) = write_instance(&conn, m, sets).await {
        restore_stamp(m);
        return Err(e);
    }
    m.__bump_version();
    m.after_update()?;
    m.after_save()?;
    m.after_write(Event::Update, &conn).await?;
    after_commit(m, Event::Update, &conn);
    Ok(())
}

/// The columns `save` must not rewrite: those whose type may not decode
/// back to the stored value (see `SqlDialect::decode_may_lose`) and whose
/// stored value decodes to what the instance holds, so the program did not
/// change them. One SELECT by key, only for models with such columns; if
/// the row cannot be read or decoded, every column is written as before.
async fn stored_unchanged<M: Model>(conn: &Conn<'_>, m: &M, values: &[Value]) -> Vec<usize> {
    let meta = M::META;
    let sql = conn.dialect().sql();
    let lossy: Vec<usize> = (0..meta.columns.len())
        .filter(|&i| !meta.columns[i].primary_key && sql.decode_may_lose(meta.columns[i].sql_type))
        .collect();
    if lossy.is_empty() {
        return lossy;
    }
    let mut s = Select::of_model(meta);
    s.filter = Some(key_filter(m));
    let st = render_select(sql, &s);
    let Ok(Some(stored)) = conn.fetch(st, M::__from_row).await.map(|rows| rows.into_iter().next()) else {
        return Vec::new();
    };
    lossy
        .into_iter()
        .filter(|&i| stored.__value_at(i) == values[i])
        .collect()
}

/// Write some column assignments of an instance, with the save hooks,
/// validation, `updated_at` and the version check (used by `Tracked`).
pub(crate) async fn save_sets<M: Model, E: Executor + ?Sized>(
    m: &mut M,
    db: &E,
    mut sets: Vec<(&'static str, Assign)>,
) -> Result<()> {
    m.before_validate()?;
    validate(m)?;
    m.before_save()?;
    m.before_update()?;
    let meta = M::META;
    let conn = db.__conn();
    check_assignments(&conn, meta, &sets)?;
    m.before_write(Event::Update, &conn).await?;
    let stamp = now();
    if let Some(i) = meta.updated_at {
        sets.retain(|(c, _)| *c != meta.columns[i].name);
        sets.push((meta.columns[i].name, Assign::Value(stamp.to_value())));
    }
    write_instance(&conn, m, sets).await?;
    m.__touch(stamp);
    m.__bump_version();
    m.after_update()?;
    m.after_save()?;
    m.after_write(Event::Update, &conn).await?;
    after_commit(m, Event::Update, &conn);
    Ok(())
}

/// `instance.update(patch)`: apply the patch, then run the save path's
/// hooks and validation (`before_validate`, rules, `before_save`,
/// `before_update`) as `save` does, and write the columns the patch sets
/// or a hook changed (and `updated_at`), checking the version. On an error
/// the instance keeps the patched values, as in Sequelize.
pub async fn update<M: Model, E: Executor + ?Sized>(m: &mut M, db: &E, patch: M::Patch) -> Result<()> {
    let meta = M::META;
    let mut errors = FieldErrors::new();
    M::__validate_patch(&patch, &mut errors);
    validation_error(meta, errors)?;
    let named: Vec<&'static str> = M::__patch_values(&patch).into_iter().map(|(c, _)| c).collect();
    if named.is_empty() {
        return Ok(());
    }
    let before = m.__values();
    m.__apply_patch(patch);
    m.before_validate()?;
    validate(m)?;
    m.before_save()?;
    m.before_update()?;
    let conn = db.__conn();
    let after = m.__values();
    guard_row(&conn, meta, None, &after)?;
    m.before_write(Event::Update, &conn).await?;
    let stamp = now();
    let version = meta.version.map(|v| meta.columns[v].name);
    let mut sets: Vec<(&'static str, Assign)> = meta
        .columns
        .iter()
        .zip(after.into_iter().zip(before))
        .filter(|(c, (a, b))| !c.primary_key && Some(c.name) != version && (named.contains(&c.name) || a != b))
        .map(|(c, (a, _))| (c.name, Assign::Value(a)))
        .collect();
    if let Some(i) = meta.updated_at {
        sets.retain(|(c, _)| *c != meta.columns[i].name);
        sets.push((meta.columns[i].name, Assign::Value(stamp.to_value())));
    }
    write_instance(&conn, m, sets).await?;
    m.__touch(stamp);
    m.__bump_version();
    m.after_update()?;
    m.after_save()?;
    m.after_write(Event::Update, &conn).await?;
    after_commit(m, Event::Update, &conn);
    Ok(())
}

/// `instance.increment(col, by)`: `SET col = col + by` in SQL (no lost
/// updates under concurrency; the version checked and bumped), then the
/// instance is reloaded. Past the column's range: [`Error::OutOfRange`],
/// nothing changed.
pub async fn increment<M: Model, E: Executor + ?Sized>(
    m: &mut M,
    db: &E,
    column: &'static str,
    by: Value,
    add: bool,
) -> Result<()> {
    let meta = M::META;
    let mut sets = vec![(column, if add { Assign::Add(by) } else { Assign::Sub(by) })];
    if let Some(i) = meta.updated_at {
        sets.push((meta.columns[i].name, Assign::Value(now().to_value())));
    }
    write_instance(&db.__conn(), m, sets)
        .await
        .map_err(|e| out_of_range(e, meta, column))?;
    reload(m, db).await
}

/// Name the table and column of an [`Error::OutOfRange`] from the statement.
pub(crate) fn out_of_range(err: Error, meta: &ModelMeta, column: &str) -> Error {
    match err {
        Error::OutOfRange { .. } => Error::OutOfRange {
            table: meta.table.to_owned(),
            column: column.to_owned(),
        },
        other => other,
    }
}

/// `instance.reload`: read the row again by primary key.
pub async fn reload<M: Model, E: Executor + ?Sized>(m: &mut M, db: &E) -> Result<()> {
    reload_on(m, &db.__conn()).await
}

/// Read an instance's row again by its (possibly composite) key.
pub(crate) async fn reload_on<M: Model>(m: &mut M, conn: &Conn<'_>) -> Result<()> {
    let meta = M::META;
    let mut s = Select::of_model(meta);
    s.filter = Some(key_filter(m));
    let st = render_select(conn.dialect().sql(), &s);
    let fresh = conn.fetch(st, M::__from_row).await?.into_iter().next();
    match fresh {
        Some(f) => {
            *m = f;
            Ok(())
        }
        None => Err(Error::NotFound { model: M::META.name }),
    }
}

/// Read these instances back by key, one SELECT per chunk of keys (under
/// the dialect's key-list limit): what `bulk_create` does for rows whose
/// `default_sql` columns the database filled.
pub(crate) async fn reload_all_on<M: Model>(models: &mut [M], conn: &Conn<'_>) -> Result<()> {
    use crate::include::{Key, KeyHasher, key_of};
    let meta = M::META;
    let key = |m: &M| -> Option<Vec<Key>> { m.__pk_values().iter().map(key_of).collect() };
    let per_key = meta.primary_keys.len().max(1);
    let chunk = (conn.dialect().sql().caps().max_keys_per_statement / per_key).clamp(1, 1000);
    for part in models.chunks_mut(chunk) {
        let mut s = Select::of_model(meta);
        let refs: Vec<&M> = part.iter().collect();
        s.filter = Some(keys_filter(&refs, false));
        let st = render_select(conn.dialect().sql(), &s);
        let mut fresh: std::collections::HashMap<Vec<Key>, M, KeyHasher> = conn
            .fetch(st, M::__from_row)
            .await?
            .into_iter()
            .filter_map(|f| Some((key(&f)?, f)))
            .collect();
        for m in part.iter_mut() {
            match key(m).and_then(|k| fresh.remove(&k)) {
                Some(f) => *m = f,
                None => return Err(Error::NotFound { model: meta.name }),
            }
        }
    }
    Ok(())
}

/// Fetch one row by primary key.
pub async fn find_by_key<M: Model, E: Executor + ?Sized>(db: &E, pk: Value) -> Result<Option<M>> {
    let meta = M::META;
    let conn = db.__conn();
    let mut s = Select::of_model(meta);
    s.filter = Some(pk_filter(meta, pk));
    let st = render_select(conn.dialect().sql(), &s);
    Ok(conn.fetch(st, M::__from_row).await?.into_iter().next())
}

/// `instance.destroy`: delete the row by primary key (a paranoid model's
/// row is marked with `deleted_at` instead). A versioned model's row must
/// still be at the instance's version, else [`Error::StaleRow`].
pub async fn destroy<M: Model, E: Executor + ?Sized>(m: &M, db: &E) -> Result<()> {
    m.before_destroy()?;
    let meta = M::META;
    let conn = db.__conn();
    m.before_write(Event::Destroy, &conn).await?;
    match meta.deleted_at {
        Some(i) => {
            let sets = vec![(meta.columns[i].name, Assign::Value(now().to_value()))];
            write_instance(&conn, m, sets).await?;
        }
        None => delete_instance(&conn, m).await?,
    }
    m.after_destroy()?;
    m.after_write(Event::Destroy, &conn).await?;
    after_commit(m, Event::Destroy, &conn);
    Ok(())
}

/// DELETE the instance's row (checking the version of a versioned model).
async fn delete_instance<M: Model>(conn: &Conn<'_>, m: &M) -> Result<()> {
    let meta = M::META;
    let d = Delete {
        table: meta.table,
        filter: Some(instance_filter(m)),
    };
    let done = conn
        .execute(render_delete(conn.dialect().sql(), &d))
        .await
        .map_err(|e| enrich(e, meta))?;
    if done.rows_affected == 0 && meta.version.is_some() {
        return Err(missing(conn, m).await);
    }
    Ok(())
}

/// `instance.destroy_force`: delete the row even on a paranoid model.
pub async fn destroy_force<M: Model, E: Executor + ?Sized>(m: &M, db: &E) -> Result<()> {
    m.before_destroy()?;
    let conn = db.__conn();
    m.before_write(Event::Destroy, &conn).await?;
    delete_instance(&conn, m).await?;
    m.after_destroy()?;
    m.after_write(Event::Destroy, &conn).await?;
    after_commit(m, Event::Destroy, &conn);
    Ok(())
}

/// `instance.restore`: clear `deleted_at` of a soft-deleted row (checking
/// and bumping the version of a versioned model). An instance that still
/// reads as live (its own `destroy`, which takes `&self`, could not mark it)
/// expects the row deleted and one version ahead: that delete is the only
/// change accepted; anything else is [`Error::StaleRow`].
pub async fn restore<M: Model, E: Executor + ?Sized>(m: &mut M, db: &E) -> Result<()> {
    let meta = M::META;
    let Some(i) = meta.deleted_at else {
        return Err(Error::invalid(format!(
            "{} is not paranoid: nothing to restore",
            meta.name
        )));
    };
    let conn = db.__conn();
    // An instance that still reads as live saw the row before a soft
    // delete: its own `destroy` (which takes `&self` and so cannot record
    // it) or another's. Exactly one such delete is accepted: the row must
    // be deleted and one version ahead; any other change is still stale.
    let deleted_since = m.__value_at(i).is_null();
    let mut filter = vec![key_filter(m), Cond::Null(meta.columns[i].name, true)];
    let mut sets = vec![(meta.columns[i].name, Assign::Value(Value::Null(SqlType::TimestampTz)))];
    if let Some(v) = meta.version {
        let seen = m.__value_at(v);
        let expected = match (&seen, deleted_since) {
            (Value::I32(n), true) => Value::I32(n.wrapping_add(1)),
            (Value::I64(n), true) => Value::I64(n.wrapping_add(1)),
            _ => seen,
        };
        filter.push(Cond::Cmp(meta.columns[v].name, CmpOp::Eq, expected));
        sets.push((meta.columns[v].name, Assign::Add(Value::I32(1))));
    }
    let u = Update {
        table: meta.table,
        sets,
        filter: Some(Cond::And(filter)),
    };
    let done = conn
        .execute(render_update(conn.dialect().sql(), &u))
        .await
        .map_err(|e| enrich(e, meta))?;
    if done.rows_affected == 0 {
        return Err(missing(&conn, m).await);
    }
    m.__set_deleted_at(None);
    m.__bump_version();
    if deleted_since {
        m.__bump_version();
    }
    Ok(())
}

/// Write some columns of an instance by primary key (and bump `updated_at`).
pub async fn save_columns<M: Model, E: Executor + ?Sized>(m: &mut M, db: &E, columns: &[&'static str]) -> Result<()> {
    let meta = M::META;
    let stamp = now();
    let mut sets = Vec::new();
    for c in columns {
        let idx = meta
            .column_index(c)
            .ok_or_else(|| Error::invalid(format!("`{c}` is not a column of {}", meta.table)))?;
        sets.push((meta.columns[idx].name, Assign::Value(m.__value_at(idx))));
    }
    let conn = db.__conn();
    check_assignments(&conn, meta, &sets)?;
    if let Some(i) = meta.updated_at {
        sets.push((meta.columns[i].name, Assign::Value(stamp.to_value())));
    }
    write_instance(&conn, m, sets).await?;
    m.__touch(stamp);
    m.__bump_version();
    Ok(())
}

/// The instance's [`Hooks::after_commit`](crate::hooks::Hooks::after_commit)
/// work: deferred to the transaction's COMMIT, or run now when the write
/// committed by itself.
pub(crate) fn after_commit<M: Model>(m: &M, event: Event, conn: &Conn<'_>) {
    if let Some(f) = m.after_commit(event) {
        match conn {
            Conn::Tx(tx) => tx.after_commit(f),
            Conn::Db(_) => f(),
        }
    }
}
