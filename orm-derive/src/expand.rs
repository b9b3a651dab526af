//! Stage three: code generation, one module per generated thing.

pub(crate) mod associations;
pub(crate) mod columns;
pub(crate) mod db_enum;
pub(crate) mod methods;
pub(crate) mod model;
pub(crate) mod new_patch;
pub(crate) mod row;
pub(crate) mod validate;
