//! The history table `orm_migrations`, as a model.

use orm_core::__private::{DateTime, Utc};
use orm_core::prelude::*;

/// One applied (or, on MySQL, started) migration.
#[derive(Model, Debug, Clone)]
#[orm(table = "orm_migrations", timestamps = false)]
pub(crate) struct HistoryRow {
    #[orm(primary_key, auto_increment = false)]
    pub version: i64,
    pub name: String,
    #[orm(length = 64)]
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
    pub execution_ms: i64,
    pub dirty: bool,
}

impl HistoryRow {
    pub(crate) fn applied(&self) -> crate::plan::Applied {
        crate::plan::Applied {
            version: self.version as u64,
            name: self.name.clone(),
            checksum: self.checksum.clone(),
            dirty: self.dirty,
        }
    }
}
