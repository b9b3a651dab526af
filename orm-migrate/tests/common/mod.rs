//! Helpers shared by orm-migrate's integration tests.

use orm_tests::TestDb;
use std::path::Path;
use std::process::Command;

/// Run the `orm-migrate` binary in `dir` against `url`: (success, stdout, stderr).
pub fn cli(dir: &Path, url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orm-migrate"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .output()
        .expect("run orm-migrate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether `table` exists in the test's database.
pub async fn table_exists(t: &TestDb, table: &str) -> bool {
    orm_core::raw(format!("SELECT 1 FROM {} WHERE 1 = 0", t.db.dialect().quote(table)))
        .execute(&t.db)
        .await
        .is_ok()
}
