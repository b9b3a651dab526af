//! The history tables, as models: `orm_migrations` for migrations and
//! `orm_seeds` for seeders (the same columns), and the operations the
//! runner needs on either.

use orm_core::__private::{DateTime, Utc};
use orm_core::prelude::*;

/// A history table as a model: one row per applied (or, on MySQL,
/// started) migration or seeder.
macro_rules! history_table {
    ($(#[$doc:meta])* $name:ident, $table:literal) => {
        $(#[$doc])*
        #[derive(Model, Debug, Clone)]
        #[orm(table = $table, timestamps = false)]
        pub(crate) struct $name {
            #[orm(primary_key, auto_increment = false)]
            pub version: i64,
            pub name: String,
            #[orm(length = 64)]
            pub checksum: String,
            pub applied_at: DateTime<Utc>,
            pub execution_ms: i64,
            pub dirty: bool,
        }
    };
}

history_table!(
    /// `orm_migrations`.
    HistoryRow,
    "orm_migrations"
);
history_table!(
    /// `orm_seeds`.
    SeedRow,
    "orm_seeds"
);

/// A row of either table.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub version: u64,
    pub name: String,
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
    pub dirty: bool,
}

impl Entry {
    pub(crate) fn applied(&self) -> crate::plan::Applied {
        crate::plan::Applied {
            version: self.version,
            name: self.name.clone(),
            checksum: self.checksum.clone(),
            dirty: self.dirty,
        }
    }
}

/// Which history a runner keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Table {
    /// `orm_migrations`.
    #[default]
    Migrations,
    /// `orm_seeds`.
    Seeds,
}

/// `$body` with `$row`, `$new`, `$patch` naming the table's model types.
macro_rules! on_table {
    ($table:expr, |$row:ident, $new:ident, $patch:ident| $body:expr) => {
        match $table {
            Table::Migrations => {
                #[allow(dead_code)]
                type $row = HistoryRow;
                #[allow(dead_code)]
                type $new = NewHistoryRow;
                #[allow(dead_code)]
                type $patch = HistoryRowPatch;
                $body
            }
            Table::Seeds => {
                #[allow(dead_code)]
                type $row = SeedRow;
                #[allow(dead_code)]
                type $new = NewSeedRow;
                #[allow(dead_code)]
                type $patch = SeedRowPatch;
                $body
            }
        }
    };
}

impl Table {
    /// Create the table if it is missing.
    pub(crate) async fn sync<E: Executor + ?Sized>(self, db: &E) -> Result<()> {
        on_table!(self, |R, N, P| Schema::new().model::<R>().sync(db).await)
    }

    /// Every row, by version.
    pub(crate) async fn entries<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<Entry>> {
        on_table!(self, |R, N, P| {
            let rows = R::find().order_by(R::VERSION).all(db).await?;
            Ok(rows
                .into_iter()
                .map(|r| Entry {
                    version: r.version as u64,
                    name: r.name,
                    checksum: r.checksum,
                    applied_at: r.applied_at,
                    dirty: r.dirty,
                })
                .collect())
        })
    }

    /// Record a migration as applied (or, `dirty`, as started).
    pub(crate) async fn record<E: Executor + ?Sized>(
        self,
        exec: &E,
        version: u64,
        name: &str,
        checksum: String,
        execution_ms: i64,
        dirty: bool,
    ) -> Result<()> {
        on_table!(self, |R, N, P| {
            let row = N {
                version: version as i64,
                name: name.to_owned(),
                checksum,
                applied_at: Utc::now(),
                execution_ms,
                dirty,
            };
            R::create(exec, row).await.map(|_| ())
        })
    }

    /// Change a recorded row: its checksum, its dirty flag, its time.
    pub(crate) async fn set<E: Executor + ?Sized>(
        self,
        exec: &E,
        version: u64,
        checksum: Option<String>,
        dirty: Option<bool>,
        execution_ms: Option<i64>,
    ) -> Result<()> {
        on_table!(self, |R, N, P| {
            let patch = P {
                checksum,
                dirty,
                execution_ms,
                ..Default::default()
            };
            R::find()
                .filter(R::VERSION.eq(version as i64))
                .update(exec, patch)
                .await
                .map(|_| ())
        })
    }

    /// Forget a migration (reverted).
    pub(crate) async fn remove<E: Executor + ?Sized>(self, exec: &E, version: u64) -> Result<()> {
        on_table!(self, |R, N, P| R::find()
            .filter(R::VERSION.eq(version as i64))
            .delete(exec)
            .await
            .map(|_| ()))
    }

    /// Forget every dirty row; returns their versions.
    pub(crate) async fn remove_dirty<E: Executor + ?Sized>(self, db: &E) -> Result<Vec<u64>> {
        on_table!(self, |R, N, P| {
            let dirty: Vec<u64> = R::find()
                .filter(R::DIRTY.eq(true))
                .all(db)
                .await?
                .iter()
                .map(|r| r.version as u64)
                .collect();
            if !dirty.is_empty() {
                R::find().filter(R::DIRTY.eq(true)).delete(db).await?;
            }
            Ok(dirty)
        })
    }
}
