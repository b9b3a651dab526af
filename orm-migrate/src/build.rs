#![allow(clippy::needless_doctest_main)]
//! Helpers for a build script (`build.rs`).
//!
//! Rebuild when a migration is added (edits are tracked already):
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     orm_migrate::build::rerun_if_changed("migrations");
//! }
//! ```
//!
//! Or migrate a development database as part of the build:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     orm_migrate::build::rerun_if_changed("migrations");
//!     if let Ok(url) = std::env::var("DATABASE_URL") {
//!         orm_migrate::build::migrate(&url, "migrations").expect("migrations apply");
//!     }
//! }
//! ```

use std::path::Path;

/// Print `cargo:rerun-if-changed` for the folder and every file in it.
pub fn rerun_if_changed(dir: impl AsRef<Path>) {
    let dir = dir.as_ref();
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            println!("cargo:rerun-if-changed={}", p.display());
            if p.is_dir()
                && let Ok(files) = std::fs::read_dir(&p)
            {
                for f in files.flatten() {
                    println!("cargo:rerun-if-changed={}", f.path().display());
                }
            }
        }
    }
}

/// Apply the pending migrations of `dir` to `url`, blocking (for build scripts).
pub fn migrate(url: &str, dir: impl AsRef<Path>) -> orm_core::Result<Vec<u64>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| orm_core::Error::Migration {
            message: e.to_string(),
            kind: orm_core::MigrationErrorKind::Files,
        })?;
    runtime.block_on(async {
        let db = orm_core::Db::connect(url).await?;
        let migrations = crate::load_dir(dir.as_ref())?;
        let applied = crate::Migrator::new(migrations).run(&db).await;
        db.close().await;
        applied
    })
}
