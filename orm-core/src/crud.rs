//! The instance and table operations for generic code: what the derive
//! generates as inherent methods (`User::create`, `user.save`), as one
//! trait implemented for every model, so `fn f<M: Model>` can call them.

use crate::db::Executor;
use crate::error::Result;
use crate::model::Model;
use crate::query::Find;
use std::future::Future;

/// CRUD for any model, for generic code (`fn save_all<M: Model>(..)`). The
/// generated inherent methods (`User::create`, ...) are the same operations;
/// on a concrete type they are found first.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::Crud;
///
/// /// Save every instance, whatever the model.
/// async fn save_all<M: Model>(db: &Db, items: &mut [M]) -> orm_core::Result<()> {
///     for item in items.iter_mut() {
///         Crud::save(item, db).await?;
///     }
///     Ok(())
/// }
///
/// #[derive(Model, Debug, Clone)]
/// #[orm(timestamps = false)]
/// struct Tag { id: i64, name: String }
///
/// # async fn demo() -> orm_core::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// Schema::new().model::<Tag>().sync(&db).await?;
/// let mut tags = vec![<Tag as Crud>::create(&db, NewTag { name: "a".into() }).await?];
/// tags[0].name = "b".into();
/// save_all(&db, &mut tags).await?;
/// assert_eq!(<Tag as Crud>::find().count(&db).await?, 1);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub trait Crud: Model {
    /// A query over the table, with the default scope (`User::find()`).
    fn find() -> Find<Self> {
        crate::__private::find()
    }
    /// Validate, insert, and return the row with its key (`User::create`).
    fn create<E: Executor + ?Sized>(db: &E, new: Self::New) -> impl Future<Output = Result<Self>> + Send {
        crate::runtime::create::<Self, E>(db, new)
    }
    /// Insert many rows (`User::bulk_create`).
    fn bulk_create<E: Executor + ?Sized>(
        db: &E,
        rows: Vec<Self::New>,
    ) -> impl Future<Output = Result<Vec<Self>>> + Send {
        crate::bulk::bulk_create::<Self, E>(db, rows, true)
    }
    /// Insert, or update the row with the same unique value (`User::upsert`).
    fn upsert<E: Executor + ?Sized>(db: &E, new: Self::New) -> impl Future<Output = Result<Self>> + Send {
        crate::bulk::upsert::<Self, E>(db, new)
    }
    /// Validate and write the columns the program may have changed (`user.save`).
    fn save<E: Executor + ?Sized>(&mut self, db: &E) -> impl Future<Output = Result<()>> + Send {
        crate::runtime::save(self, db)
    }
    /// Write the columns a patch sets (`user.update`).
    fn update<E: Executor + ?Sized>(&mut self, db: &E, patch: Self::Patch) -> impl Future<Output = Result<()>> + Send {
        crate::runtime::update(self, db, patch)
    }
    /// Read the row again (`user.reload`).
    fn reload<E: Executor + ?Sized>(&mut self, db: &E) -> impl Future<Output = Result<()>> + Send {
        crate::runtime::reload(self, db)
    }
    /// Delete the row, or soft-delete it on a paranoid model (`user.destroy`).
    fn destroy<E: Executor + ?Sized>(&self, db: &E) -> impl Future<Output = Result<()>> + Send {
        crate::runtime::destroy(self, db)
    }
}

impl<M: Model> Crud for M {}
