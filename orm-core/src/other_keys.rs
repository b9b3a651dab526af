//! Where the database takes no conflict target (MySQL/MariaDB's `ON
//! DUPLICATE KEY UPDATE` fires on whichever unique key collides): the rows
//! an upsert would collide with on any unique key are read under a lock in
//! the upsert's transaction, and a row that collides on another key than
//! its target is refused with `Error::UniqueViolation`, as PostgreSQL and
//! SQLite refuse it. Used by `insert_many` and `upsert_on`.

use crate::ast::{CmpOp, Cond, LockClause, LockWait, Select};
use crate::db::Conn;
use crate::dialect::render_select;
use crate::error::{Error, Result};
use crate::meta::ModelMeta;
use crate::model::Model;
use crate::value::Value;
use std::collections::HashMap;

/// Key values as a hashable lookup key: the typed key where every value
/// has one (integers, text, UUIDs, bytes), else their debug text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TargetKey {
    /// One column's value (the common case: no list to allocate).
    One(crate::include::Key),
    Typed(Vec<crate::include::Key>),
    Text(String),
}

/// The lookup key of these values.
pub(crate) fn values_key(mut values: impl ExactSizeIterator<Item = Value>) -> TargetKey {
    if values.len() == 1
        && let Some(v) = values.next()
    {
        return match crate::include::key_from(v) {
            Ok(k) => TargetKey::One(k),
            Err(v) => TargetKey::Text(format!("{:?}", [v])),
        };
    }
    let values: Vec<Value> = values.collect();
    match values.iter().map(crate::include::key_of).collect::<Option<Vec<_>>>() {
        Some(keys) => TargetKey::Typed(keys),
        None => TargetKey::Text(format!("{values:?}")),
    }
}

/// An upsert's conflict target: its columns and their positions.
pub(crate) struct Target {
    meta: &'static ModelMeta,
    /// The column names.
    pub names: Vec<&'static str>,
    index: Vec<usize>,
}

impl Target {
    pub(crate) fn new(meta: &'static ModelMeta, names: Vec<&'static str>) -> Target {
        let index = names
            .iter()
            .map(|t| meta.column_index(t).unwrap_or(meta.primary_key))
            .collect();
        Target { meta, names, index }
    }

    /// A row's conflict-target values, as a lookup key.
    pub(crate) fn key_of<M: Model>(&self, m: &M) -> TargetKey {
        values_key(self.index.iter().map(|&i| m.__value_at(i)))
    }

    /// Rows whose conflict target equals one of `part`'s: a plain IN list
    /// for a one-column target (a long OR made MariaDB's locking read scan
    /// the table), else `(a = .. AND b = ..) OR ..`.
    pub(crate) fn matching<M: Model>(&self, part: &[M]) -> Cond {
        match (self.names.as_slice(), self.index.as_slice()) {
            ([name], [i]) => Cond::Keys(name, part.iter().map(|m| m.__value_at(*i)).collect()),
            _ => Cond::Or(part.iter().map(|m| self.same_target(m)).collect()),
        }
    }

    fn same_target<M: Model>(&self, m: &M) -> Cond {
        let all: Vec<Cond> = self
            .names
            .iter()
            .zip(&self.index)
            .map(|(c, &i)| Cond::Cmp(c, CmpOp::Eq, m.__value_at(i)))
            .collect();
        Cond::And(all)
    }

    /// Where the database does not take a conflict target: lock the rows
    /// `part` collides with on any unique key, refuse a row that collides on
    /// another key than the target (with a stored row or an earlier input
    /// row), and return the target keys that exist already. When the table
    /// has no other unique key and the caller does not ask which keys exist
    /// (`need_existing`), nothing can collide elsewhere: no statement runs.
    pub(crate) async fn refuse_other_keys<M: Model>(
        &self,
        conn: &Conn<'_>,
        part: &[M],
        offset: usize,
        need_existing: bool,
    ) -> Result<std::collections::HashSet<TargetKey>> {
        let meta = self.meta;
        // The other unique keys: unique columns and sets, and the primary key
        // when rows carry it (not an auto-increment one).
        let mut others: Vec<Vec<usize>> = meta
            .unique_keys()
            .map(|k| k.iter().filter_map(|c| meta.column_index(c)).collect())
            .collect();
        if !meta.auto_pk() {
            others.push(meta.pk_columns().filter_map(|c| meta.column_index(c.name)).collect());
        }
        others.retain(|k| {
            let mut names: Vec<&str> = k.iter().map(|&i| meta.columns[i].name).collect();
            let mut target = self.names.clone();
            names.sort_unstable();
            target.sort_unstable();
            names != target
        });
        if others.is_empty() && !need_existing {
            return Ok(std::collections::HashSet::new());
        }
        let key_cond = |m: &M, k: &[usize]| -> Option<Cond> {
            let vals: Vec<Value> = k.iter().map(|&i| m.__value_at(i)).collect();
            if vals.iter().any(Value::is_null) {
                return None; // NULLs never collide
            }
            Some(Cond::And(
                k.iter()
                    .zip(vals)
                    .map(|(&i, v)| Cond::Cmp(meta.columns[i].name, CmpOp::Eq, v))
                    .collect(),
            ))
        };
        let mut any = vec![self.matching(part)];
        for m in part {
            any.extend(others.iter().filter_map(|k| key_cond(m, k)));
        }
        let mut s = Select::of_model(meta);
        s.filter = Some(Cond::Or(any));
        s.lock = Some(LockClause {
            exclusive: true,
            wait: LockWait::Wait,
        });
        let d = conn.dialect().sql();
        let stored = conn.fetch(render_select(d, &s), M::__from_row).await?;
        let values_of = |m: &M, k: &[usize]| values_key(k.iter().map(|&i| m.__value_at(i)));
        for k in &others {
            let mut seen: HashMap<TargetKey, TargetKey> =
                stored.iter().map(|e| (values_of(e, k), self.key_of(e))).collect();
            for (i, m) in part.iter().enumerate() {
                if k.iter().any(|&c| m.__value_at(c).is_null()) {
                    continue;
                }
                let mine = self.key_of(m);
                if let Some(theirs) = seen.insert(values_of(m, k), mine.clone())
                    && theirs != mine
                {
                    let columns: Vec<String> = k.iter().map(|&c| meta.columns[c].name.to_owned()).collect();
                    return Err(Error::UniqueViolation {
                        table: Some(meta.table.to_owned()),
                        constraint: None,
                        columns: columns.clone(),
                        message: format!(
                            "row {} has the ({}) of another row than its conflict target ({}) matches",
                            offset + i,
                            columns.join(", "),
                            self.names.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(stored.iter().map(|e| self.key_of(e)).collect())
    }
}
