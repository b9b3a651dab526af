//! orm-migrate against real databases: the embedded runner, 8 concurrent
//! runners, drift detection, failed migrations, and the CLI end to end.

mod common;
use common::{cli, table_exists};
use orm_core::{Db, Dialect, Error, raw};
use orm_migrate::{Migrations, Migrator, UndoTarget, embed_migrations, load_dir};
use orm_tests::{Backend, TestDb};
use std::path::{Path, PathBuf};

static MIGRATIONS: Migrations = embed_migrations!("tests/fixtures/migrations");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrations")
}

/// A scratch copy of the fixtures, to edit.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orm-migrate-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for entry in std::fs::read_dir(fixtures()).unwrap().flatten() {
        let target = dir.join(entry.file_name());
        std::fs::create_dir_all(&target).unwrap();
        for f in std::fs::read_dir(entry.path()).unwrap().flatten() {
            std::fs::copy(f.path(), target.join(f.file_name())).unwrap();
        }
    }
    dir
}

async fn log_ids(db: &Db) -> Vec<i64> {
    let mut ids = raw("SELECT id FROM mig_log").fetch_scalars::<i64, _>(db).await.unwrap();
    ids.sort();
    ids
}

async fn history_count(db: &Db) -> i64 {
    raw("SELECT COUNT(*) FROM orm_migrations")
        .fetch_scalars::<i64, _>(db)
        .await
        .unwrap()[0]
}

async fn embedded_runner(t: &TestDb) {
    let applied = MIGRATIONS.run(&t.db).await.expect("run");
    assert_eq!(applied, [20260101000001, 20260101000002, 20260101000003]);
    assert_eq!(log_ids(&t.db).await, [1, 2, 3]);
    assert!(
        MIGRATIONS.run(&t.db).await.unwrap().is_empty(),
        "a second run applies nothing"
    );
    let status = MIGRATIONS.status(&t.db).await.unwrap();
    assert!(
        status.iter().all(|s| s.state == "applied" && s.applied_at.is_some()),
        "{status:?}"
    );
    assert_eq!(MIGRATIONS.undo(&t.db).await.unwrap(), [20260101000003]);
    assert_eq!(log_ids(&t.db).await, [1, 2]);
    let m = MIGRATIONS.migrator().unwrap();
    assert_eq!(
        m.redo(&t.db).await.unwrap(),
        [20260101000002, 20260101000002],
        "redo reverts the last applied and applies it again"
    );
    assert_eq!(log_ids(&t.db).await, [1, 2]);
    assert_eq!(
        m.undo(&t.db, UndoTarget::All).await.unwrap(),
        [20260101000002, 20260101000001]
    );
    assert!(!table_exists(t, "mig_log").await);
    assert_eq!(history_count(&t.db).await, 0);
}

async fn concurrent_runners_apply_each_migration_once(t: &TestDb) {
    let runners = 8;
    let mut tasks = Vec::new();
    for _ in 0..runners {
        let url = t.url.clone();
        tasks.push(tokio::spawn(async move {
            let db = Db::builder(url).max_connections(2).connect().await?;
            let applied = MIGRATIONS
                .migrator()?
                .lock_timeout(std::time::Duration::from_secs(60))
                .run(&db)
                .await;
            db.close().await;
            applied
        }));
    }
    let mut total = 0;
    for task in tasks {
        let applied = task.await.unwrap().expect("no runner fails");
        total += applied.len();
    }
    assert_eq!(total, 3, "3 migrations applied once in all");
    assert_eq!(log_ids(&t.db).await, [1, 2, 3]);
    assert_eq!(history_count(&t.db).await, 3);
    println!(
        "{:?}: {runners} concurrent runners, 3 migrations, {total} applications, history rows {}",
        t.backend,
        history_count(&t.db).await
    );
}

async fn drift_is_refused_and_crlf_accepted(t: &TestDb) {
    let dir = scratch(&format!("drift-{:?}", t.backend));
    Migrator::new(load_dir(&dir).unwrap()).run(&t.db).await.unwrap();
    let up = dir.join("20260101000001_create_log/up.sql");
    let original = std::fs::read_to_string(&up).unwrap();
    std::fs::write(&up, original.replace("'one'", "'uno'")).unwrap();
    let err = Migrator::new(load_dir(&dir).unwrap())
        .run(&t.db)
        .await
        .expect_err("edited");
    assert!(
        matches!(&err, Error::Migration { message, kind: orm_core::MigrationErrorKind::Edited } if message.contains("20260101000001_create_log/up.sql") && message.contains("changed")),
        "{err}"
    );
    // Accepting the edit records the new checksum: later runs without the
    // flag are not refused again.
    let accept = orm_migrate::Options {
        allow_edited: true,
        ..Default::default()
    };
    Migrator::new(load_dir(&dir).unwrap())
        .options(accept)
        .run(&t.db)
        .await
        .expect("edit accepted");
    Migrator::new(load_dir(&dir).unwrap())
        .run(&t.db)
        .await
        .expect("the accepted edit is the recorded migration now");
    let status = Migrator::new(load_dir(&dir).unwrap()).status(&t.db).await.unwrap();
    assert!(status.iter().all(|s| s.state == "applied"), "{status:?}");
    std::fs::write(&up, original.replace("'one'", "'uno'").replace('\n', "\r\n")).unwrap();
    assert!(
        Migrator::new(load_dir(&dir).unwrap())
            .run(&t.db)
            .await
            .expect("a CRLF copy is the same migration")
            .is_empty()
    );
    std::fs::remove_dir_all(dir.join("20260101000002_add_items")).unwrap();
    let err = Migrator::new(load_dir(&dir).unwrap())
        .run(&t.db)
        .await
        .expect_err("missing");
    assert!(
        err.to_string().contains("20260101000002_add_items") && err.to_string().contains("missing"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn failed_migration_leaves_database_as_before(t: &TestDb) {
    let dir = scratch(&format!("fail-{:?}", t.backend));
    let bad = dir.join("20260101000004_broken");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("up.sql"),
        "CREATE TABLE mig_half (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    .unwrap();
    std::fs::write(bad.join("down.sql"), "DROP TABLE mig_half;\n").unwrap();
    let err = Migrator::new(load_dir(&dir).unwrap())
        .run(&t.db)
        .await
        .expect_err("second statement fails");
    let msg = err.to_string();
    assert!(
        msg.contains("20260101000004_broken/up.sql") && msg.contains("statement 2"),
        "names file and statement: {msg}"
    );
    assert_eq!(msg.matches("migration error").count(), 1, "one prefix: {msg}");
    assert_eq!(log_ids(&t.db).await, [1, 2, 3], "the migrations before it stay applied");
    match t.dialect() {
        Dialect::Postgres | Dialect::Sqlite => {
            assert!(
                !table_exists(t, "mig_half").await,
                "the failed migration's first statement was rolled back"
            );
            assert_eq!(history_count(&t.db).await, 3, "and it is not recorded");
        }
        Dialect::MySql => {
            assert!(msg.contains("repair"), "{msg}");
            assert!(
                table_exists(t, "mig_half").await,
                "MySQL commits DDL: the half-applied state is visible"
            );
            let again = Migrator::new(load_dir(&dir).unwrap())
                .run(&t.db)
                .await
                .expect_err("dirty");
            assert!(again.to_string().contains("did not finish"), "{again}");
            raw("DROP TABLE mig_half").execute(&t.db).await.unwrap();
            assert_eq!(
                Migrator::new(load_dir(&dir).unwrap()).repair(&t.db).await.unwrap(),
                [20260101000004]
            );
        }
        other => unreachable!("the tests run on PostgreSQL, MySQL and SQLite, not {other:?}"),
    }
    std::fs::write(bad.join("up.sql"), "CREATE TABLE mig_half (id INTEGER PRIMARY KEY);\n").unwrap();
    assert_eq!(
        Migrator::new(load_dir(&dir).unwrap()).run(&t.db).await.unwrap(),
        [20260101000004],
        "fixed, it applies"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn cli_end_to_end(t: &TestDb) {
    let dir = std::env::temp_dir().join(format!("orm-cli-{:?}-{}", t.backend, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out, _) = cli(&dir, &t.url, &["init"]);
    assert!(
        ok && out.contains("created migrations/") && dir.join("orm.toml").exists(),
        "{out}"
    );
    let (ok, out, _) = cli(&dir, &t.url, &["generate", "--name", "add-users"]);
    assert!(ok, "{out}");
    let folder = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let id = folder.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        id.ends_with("_add_users") && id.len() == 14 + "_add_users".len(),
        "{id}"
    );
    std::fs::write(
        folder.join("up.sql"),
        "CREATE TABLE cli_users (id INTEGER PRIMARY KEY, name VARCHAR(40));\n",
    )
    .unwrap();
    std::fs::write(folder.join("down.sql"), "DROP TABLE cli_users;\n").unwrap();

    let (ok, out, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(ok, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("== {id}: migrating ======="));
    assert!(
        lines[1].starts_with(&format!("== {id}: migrated (")) && lines[1].ends_with("s)"),
        "{out}"
    );
    assert!(table_exists(t, "cli_users").await);
    let (ok, out, _) = cli(&dir, &t.url, &["up"]);
    assert!(ok && out.contains("already up to date"), "{out}");
    let (ok, out, _) = cli(&dir, &t.url, &["status"]);
    assert!(ok && out.starts_with(&format!("up       {id}")), "{out}");
    let (ok, out, _) = cli(&dir, &t.url, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        ok && json[0]["state"] == "applied" && json[0]["migration"] == id.as_str(),
        "{out}"
    );
    let (ok, out, _) = cli(&dir, &t.url, &["redo"]);
    assert!(
        ok && out.contains(": reverting =======") && out.contains(": reverted (") && out.contains(": migrated ("),
        "{out}"
    );
    let (ok, out, _) = cli(&dir, &t.url, &["undo"]);
    assert!(ok && out.contains(&format!("== {id}: reverted (")), "{out}");
    assert!(!table_exists(t, "cli_users").await);
    let (ok, out, _) = cli(&dir, &t.url, &["status"]);
    assert!(ok && out.starts_with("down"), "{out}");

    std::fs::write(
        folder.join("up.sql"),
        "CREATE TABLE cli_users (id INTEGER PRIMARY KEY);\nTHIS IS NOT SQL;\n",
    )
    .unwrap();
    let (ok, _, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(!ok, "a failed migration exits non-zero");
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
    assert!(
        err.starts_with("error: ") && err.contains("up.sql, statement 2"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `migrate --check-safety`: pending DDL that would rewrite or lock a large
/// table is listed with its safer form and nothing is applied; a statement
/// marked `-- orm:safe` passes. SQLite has no such rules.
async fn cli_check_safety(t: &TestDb) {
    let dir = std::env::temp_dir().join(format!("orm-safety-{:?}-{}", t.backend, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = dir.join("migrations/20260101000000_safety_users");
    let second = dir.join("migrations/20260101000001_safety_index");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        first.join("up.sql"),
        "CREATE TABLE safety_users (id INTEGER PRIMARY KEY, name VARCHAR(40));\n",
    )
    .unwrap();
    std::fs::write(first.join("down.sql"), "DROP TABLE safety_users;\n").unwrap();
    let write_second = |marker: &str| {
        let pg = "CREATE INDEX safety_users_name_idx ON safety_users (name);\n";
        let my = "ALTER TABLE safety_users MODIFY name VARCHAR(80);\n";
        std::fs::write(second.join("up.postgres.sql"), format!("{marker}{pg}")).unwrap();
        std::fs::write(second.join("up.mysql.sql"), format!("{marker}{my}")).unwrap();
        std::fs::write(second.join("up.sql"), pg).unwrap();
        std::fs::write(second.join("down.postgres.sql"), "DROP INDEX safety_users_name_idx;\n").unwrap();
        std::fs::write(
            second.join("down.mysql.sql"),
            "ALTER TABLE safety_users MODIFY name VARCHAR(40);\n",
        )
        .unwrap();
        std::fs::write(second.join("down.sql"), "DROP INDEX safety_users_name_idx;\n").unwrap();
    };
    write_second("");
    let (ok, out, err) = cli(&dir, &t.url, &["migrate", "--check-safety"]);
    if t.backend == Backend::Sqlite {
        assert!(ok, "SQLite has no safety rules: {out}{err}");
        assert!(table_exists(t, "safety_users").await);
    } else {
        assert!(!ok, "an unsafe statement fails the check: {out}");
        let file = if t.backend == Backend::Postgres {
            "20260101000001_safety_index/up.postgres.sql"
        } else {
            "20260101000001_safety_index/up.mysql.sql"
        };
        assert!(out.contains(&format!("warning: {file}: ")), "{out}");
        let safer = if t.backend == Backend::Postgres {
            "safer: CREATE INDEX CONCURRENTLY"
        } else {
            "safer: add a new column"
        };
        assert!(out.contains(safer), "{out}");
        assert!(
            err.contains("1 unsafe statement(s)") && err.contains("nothing was applied"),
            "{err}"
        );
        assert!(!table_exists(t, "safety_users").await, "nothing was applied");
        write_second("-- orm:safe\n");
        let (ok, out, err) = cli(&dir, &t.url, &["migrate", "--check-safety"]);
        assert!(ok, "a reviewed statement passes: {out}{err}");
        assert!(table_exists(t, "safety_users").await);
    }
    let (ok, out, err) = cli(&dir, &t.url, &["undo", "--all"]);
    assert!(ok, "{out}{err}");
    assert!(!table_exists(t, "safety_users").await);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Drift through the CLI: a late older version, a one-byte edit and a
/// deleted applied folder each exit non-zero naming the file; a CRLF-only
/// change is accepted.
async fn cli_refuses_drift(t: &TestDb) {
    let dir = std::env::temp_dir().join(format!("orm-cli-drift-{:?}-{}", t.backend, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out, _) = cli(&dir, &t.url, &["init"]);
    assert!(ok, "{out}");
    let copy = scratch(&format!("cli-drift-{:?}", t.backend));
    let migrations = dir.join("migrations");
    std::fs::remove_dir_all(&migrations).unwrap();
    std::fs::rename(&copy, &migrations).unwrap();
    let (ok, out, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(ok, "{out}{err}");
    assert_eq!(history_count(&t.db).await, 3);

    let late = migrations.join("20250101000000_late");
    std::fs::create_dir_all(&late).unwrap();
    std::fs::write(late.join("up.sql"), "CREATE TABLE mig_late (id INTEGER);\n").unwrap();
    let (ok, _, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(!ok, "a late older version exits non-zero");
    assert!(
        err.starts_with("error: ") && err.contains("20250101000000_late/") && err.contains("older"),
        "{err}"
    );
    assert!(!table_exists(t, "mig_late").await, "nothing applied");
    std::fs::remove_dir_all(&late).unwrap();

    let items = migrations.join("20260101000002_add_items/up.sql");
    let original = std::fs::read(&items).unwrap();
    let mut edited = original.clone();
    let at = edited.iter().position(|b| *b == b'5').unwrap();
    edited[at] = b'6'; // VARCHAR(50) -> VARCHAR(60): one byte.
    std::fs::write(&items, &edited).unwrap();
    let (ok, _, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(!ok, "a one-byte edit exits non-zero");
    assert!(
        err.contains("20260101000002_add_items/up.sql") && err.contains("changed"),
        "{err}"
    );

    let crlf = String::from_utf8(original).unwrap().replace('\n', "\r\n");
    std::fs::write(&items, crlf).unwrap();
    let (ok, out, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(
        ok && out.contains("already up to date"),
        "a CRLF-only change is accepted: {out}{err}"
    );

    std::fs::remove_dir_all(migrations.join("20260101000003_index_items")).unwrap();
    let (ok, _, err) = cli(&dir, &t.url, &["migrate"]);
    assert!(!ok, "a deleted applied folder exits non-zero");
    assert!(
        err.contains("20260101000003_index_items/") && err.contains("missing"),
        "{err}"
    );
    assert_eq!(history_count(&t.db).await, 3, "history untouched");
    std::fs::remove_dir_all(&dir).unwrap();
}

orm_tests::shared_dialect_tests!(
    embedded_runner,
    concurrent_runners_apply_each_migration_once,
    drift_is_refused_and_crlf_accepted,
    failed_migration_leaves_database_as_before,
    cli_end_to_end,
    cli_refuses_drift,
    cli_check_safety
);

/// A run refused at planning (an edited migration) leaves no transaction
/// open on a pooled connection: later writes through the same pool are
/// committed (on SQLite, where the runner's transaction is the lock).
#[tokio::test]
async fn a_refused_run_leaves_no_transaction_behind() {
    let dir = scratch("refused-sqlite");
    let file = dir.join("app.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = Db::builder(&url).max_connections(1).connect().await.unwrap();
    Migrator::new(load_dir(&dir).unwrap()).run(&db).await.unwrap();
    let up = dir.join("20260101000001_create_log/up.sql");
    let body = std::fs::read_to_string(&up).unwrap();
    std::fs::write(&up, format!("{body}\n-- edited")).unwrap();
    let refused = Migrator::new(load_dir(&dir).unwrap()).run(&db).await;
    assert!(refused.is_err(), "the edit is refused");
    raw("INSERT INTO mig_log (id, note) VALUES (99, 'after')")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let again = Db::connect(&url).await.unwrap();
    assert!(
        log_ids(&again).await.contains(&99),
        "the write after the refusal was committed"
    );
    again.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
