//! `Tracked<M>`: an instance that remembers the values it was loaded with,
//! so `save` writes only the columns that changed.

use crate::ast::Assign;
use crate::db::Executor;
use crate::error::Result;
use crate::model::Model;
use crate::value::Value;
use std::ops::{Deref, DerefMut};

/// A model instance plus the column values it was read (or last saved)
/// with. [`save`](Tracked::save) sends only the changed columns, so two
/// writers who change different columns of one row do not overwrite each
/// other.
///
/// ```
/// # async fn demo() -> orm_core::Result<()> {
/// use orm_core::{prelude::*, Tracked};
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, name: String, city: String }
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Schema::new().model::<User>().sync(&db).await?;
/// # let u = User::create(&db, NewUser { name: "A".into(), city: "X".into() }).await?;
/// let mut user = Tracked::new(User::find_by_pk(u.id).one(&db).await?.unwrap());
/// user.name = "Ada".into();
/// assert_eq!(user.changed(), vec!["name"]);
/// user.save(&db).await?;        // UPDATE "users" SET "name" = ? WHERE "id" = ?
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Tracked<M> {
    model: M,
    original: Vec<Value>,
}

impl<M: Model> Tracked<M> {
    /// Start tracking changes from the instance's current values.
    pub fn new(model: M) -> Self {
        let original = model.__values();
        Tracked { model, original }
    }

    /// The columns whose values differ from the tracked ones.
    pub fn changed(&self) -> Vec<&'static str> {
        let meta = M::META;
        self.model
            .__values()
            .iter()
            .zip(&self.original)
            .enumerate()
            .filter(|(i, (now, was))| now != was && !meta.columns[*i].primary_key)
            .map(|(i, _)| meta.columns[i].name)
            .collect()
    }

    /// Validate and write only the changed columns (and `updated_at`);
    /// nothing is sent when nothing changed.
    pub async fn save<E: Executor + ?Sized>(&mut self, db: &E) -> Result<()> {
        let changed = self.changed();
        if changed.is_empty() {
            return Ok(());
        }
        let values = self.model.__values();
        let meta = M::META;
        let sets: Vec<(&'static str, Assign)> = changed
            .iter()
            .map(|c| {
                let i = meta.column_index(c).unwrap_or(meta.primary_key);
                (*c, Assign::Value(values[i].clone()))
            })
            .collect();
        crate::runtime::save_sets(&mut self.model, db, sets).await?;
        self.original = self.model.__values();
        Ok(())
    }

    /// Stop tracking.
    pub fn into_inner(self) -> M {
        self.model
    }
}

impl<M> Deref for Tracked<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.model
    }
}

impl<M> DerefMut for Tracked<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.model
    }
}
