//! Lifecycle hooks: Sequelize's beforeCreate, afterSave, ... as a trait.

use crate::db::Executor;
use crate::error::Result;
use std::future::Future;

/// The write an instance hook ([`Hooks::before_write`], [`Hooks::after_write`]) runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An INSERT: `create`, `bulk_create` (each row), `find_or_create` when it inserts.
    Create,
    /// An UPDATE of the instance: `save`, `update(patch)`, a `Tracked` save.
    Update,
    /// A DELETE (or a soft delete): `destroy`, `destroy_force`.
    Destroy,
    /// `upsert` / `upsert_on`: an INSERT that may update the row it collides with.
    Upsert,
}

/// The bulk operation a model-level hook ([`Hooks::before_bulk`],
/// [`Hooks::after_bulk`]) runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkEvent {
    /// `bulk_create` (each row also gets the instance hooks).
    Create,
    /// A filtered `Find::update`.
    Update,
    /// A filtered `Find::delete` (or soft delete).
    Destroy,
}

/// Lifecycle hooks a model can implement. Every method defaults to doing
/// nothing; returning `Err` aborts the operation before anything is
/// written (from a `before_*` hook) or reports it (from an `after_*` hook,
/// once the row is written).
///
/// `#[derive(Model)]` implements an empty `Hooks`; mark the model
/// `#[orm(hooks)]` to write your own `impl Hooks for User { .. }`.
///
/// Order: `create` runs before_validate, (validation), before_save,
/// before_create, INSERT, after_create, after_save; `save` runs
/// before_validate, (validation), before_save, before_update, UPDATE,
/// after_update, after_save; `update(patch)` applies the patch, then runs
/// the same hooks as `save` (so a normalizing `before_validate` sees the
/// patched values); `destroy` runs before_destroy and after_destroy.
///
/// The async hooks receive the executor of the operation, the transaction
/// when there is one, so a hook can read or write other rows there (an
/// audit row written in `after_write` is rolled back with the transaction):
/// [`before_write`](Hooks::before_write) runs after the synchronous
/// `before_*` hooks, just before the statement; [`after_write`](Hooks::after_write)
/// after the synchronous `after_*` hooks. `bulk_create` runs every instance
/// hook for each row, and [`before_bulk`](Hooks::before_bulk) /
/// [`after_bulk`](Hooks::after_bulk) around its INSERTs; a filtered
/// `Find::update` or `Find::delete` (no instances) runs the bulk pair.
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::{Event, Executor, Hooks};
///
/// #[derive(Model, Debug, Clone)]
/// #[orm(hooks, timestamps = false)]
/// struct Invoice { id: i64, total: i64 }
///
/// #[derive(Model, Debug, Clone)]
/// #[orm(timestamps = false)]
/// struct AuditEntry { id: i64, note: String }
///
/// impl Hooks for Invoice {
///     async fn after_write(&self, event: Event, db: &dyn Executor) -> orm_core::Result<()> {
///         let note = format!("{event:?} invoice {}", self.id);
///         AuditEntry::create(db, NewAuditEntry { note }).await.map(|_| ())
///     }
/// }
/// ```
pub trait Hooks {
    /// Before validation (create, save and `update(patch)`); may normalize values.
    fn before_validate(&mut self) -> Result<()> {
        Ok(())
    }
    /// Before an INSERT or UPDATE of the instance.
    fn before_save(&mut self) -> Result<()> {
        Ok(())
    }
    /// After an INSERT or UPDATE of the instance.
    fn after_save(&self) -> Result<()> {
        Ok(())
    }
    /// Before an INSERT.
    fn before_create(&mut self) -> Result<()> {
        Ok(())
    }
    /// After an INSERT (the key is set).
    fn after_create(&self) -> Result<()> {
        Ok(())
    }
    /// Before an UPDATE of the instance.
    fn before_update(&mut self) -> Result<()> {
        Ok(())
    }
    /// After an UPDATE of the instance.
    fn after_update(&self) -> Result<()> {
        Ok(())
    }
    /// Before the row is deleted (or soft-deleted).
    fn before_destroy(&self) -> Result<()> {
        Ok(())
    }
    /// After the row is deleted (or soft-deleted).
    fn after_destroy(&self) -> Result<()> {
        Ok(())
    }
    /// After the write is committed: the work to run then, once (never if
    /// the write is rolled back). Outside a transaction it runs as soon as
    /// the write succeeded; inside one it is handed to
    /// [`Transaction::after_commit`](crate::Transaction::after_commit) and
    /// runs after the outermost COMMIT. Capture what it needs by value.
    ///
    /// ```
    /// use orm_core::prelude::*;
    /// use orm_core::{AfterCommit, Event, Hooks};
    ///
    /// #[derive(Model, Debug, Clone)]
    /// #[orm(hooks, timestamps = false)]
    /// struct Order { id: i64, total: i64 }
    ///
    /// impl Hooks for Order {
    ///     fn after_commit(&self, event: Event) -> Option<AfterCommit> {
    ///         let id = self.id;
    ///         (event == Event::Create).then(|| Box::new(move || println!("order {id} placed")) as AfterCommit)
    ///     }
    /// }
    /// ```
    fn after_commit(&self, event: Event) -> Option<crate::db::AfterCommit> {
        let _ = event;
        None
    }
    /// Async, with the operation's executor: before the INSERT, UPDATE or
    /// DELETE of this instance (after the synchronous `before_*` hooks and
    /// validation; change values in those). An error aborts the write.
    fn before_write(&self, event: Event, db: &dyn Executor) -> impl Future<Output = Result<()>> + Send {
        let _ = (event, db);
        async { Ok(()) }
    }
    /// Async, with the operation's executor: after the write (and the
    /// synchronous `after_*` hooks). An error is returned to the caller; in
    /// a transaction it rolls back the write too.
    fn after_write(&self, event: Event, db: &dyn Executor) -> impl Future<Output = Result<()>> + Send {
        let _ = (event, db);
        async { Ok(()) }
    }
    /// Async, before a bulk operation on the model's table.
    fn before_bulk(event: BulkEvent, db: &dyn Executor) -> impl Future<Output = Result<()>> + Send
    where
        Self: Sized,
    {
        let _ = (event, db);
        async { Ok(()) }
    }
    /// Async, after a bulk operation, with the number of rows it wrote.
    fn after_bulk(event: BulkEvent, db: &dyn Executor, rows: u64) -> impl Future<Output = Result<()>> + Send
    where
        Self: Sized,
    {
        let _ = (event, db, rows);
        async { Ok(()) }
    }
}
