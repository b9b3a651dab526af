//! Lifecycle hooks: Sequelize's beforeCreate, afterSave, ... as a trait.

use crate::error::Result;

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
/// patched values); `destroy` runs before_destroy and after_destroy. Bulk
/// operations do not run hooks.
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
}
