//! Migration reliability: many CLI processes at once, lock hygiene after a
//! failure, kill -9 at random points, and CREATE INDEX CONCURRENTLY with
//! waiting runners. Every loop is bounded; figures are printed for
//! RELIABILITY.md (run with `--nocapture`).

use orm_core::{Db, Dialect, raw};
use orm_migrate::{Migrator, load_dir};
use orm_tests::{Backend, TestDb};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn cli(dir: &Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_orm-migrate"));
    c.args(["--dir", &dir.display().to_string(), "migrate"])
        .env("DATABASE_URL", url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

async fn count(db: &Db, sql: &str) -> i64 {
    raw(sql).fetch_scalars::<i64, _>(db).await.map(|v| v[0]).unwrap_or(-1)
}

async fn history(db: &Db) -> Vec<(i64, bool)> {
    raw("SELECT version, dirty FROM orm_migrations ORDER BY version")
        .fetch_as::<(i64, bool), _>(db)
        .await
        .unwrap_or_default()
}

async fn table_exists(db: &Db, table: &str) -> bool {
    raw(format!("SELECT COUNT(*) FROM {table}"))
        .fetch_scalars::<i64, _>(db)
        .await
        .is_ok()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// 1. 16 CLI processes from empty and from version k.
async fn concurrent_cli_processes(backend: Backend) {
    let dir = fixture("migrations");
    let rounds = 20;
    let mut worst_wall = Duration::ZERO;
    let mut serial_time = Duration::ZERO;
    let mut runs = 0;
    for round in 0..rounds {
        let from_k = round % 2 == 1;
        let Some(t) = TestDb::setup_shared(backend, &format!("rel::cli_{backend:?}_{round}")).await else {
            return;
        };
        if from_k {
            let first: Vec<_> = load_dir(&dir).unwrap().into_iter().take(1).collect();
            Migrator::new(first).run(&t.db).await.unwrap();
        }
        if round == 0 {
            // The serial reference: one process on a second empty database.
            let Some(s) = TestDb::setup_shared(backend, &format!("rel::cli_serial_{backend:?}")).await else {
                return;
            };
            let started = Instant::now();
            assert!(cli(&dir, &s.url).status().unwrap().success());
            serial_time = started.elapsed();
            s.cleanup().await;
        }
        let started = Instant::now();
        let children: Vec<_> = (0..16).map(|_| cli(&dir, &t.url).spawn().unwrap()).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "every process exits 0: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            runs += 1;
        }
        worst_wall = worst_wall.max(started.elapsed());
        let h = history(&t.db).await;
        assert_eq!(h.len(), 3, "each version recorded once");
        let ids = raw("SELECT id FROM mig_log ORDER BY id")
            .fetch_scalars::<i64, _>(&t.db)
            .await
            .unwrap();
        assert_eq!(ids, [1, 2, 3], "each migration applied once");
        t.cleanup().await;
    }
    println!(
        "{backend:?}: {rounds} rounds x 16 CLI processes ({runs} runs, half from version k): all exit 0, each version applied once; worst round {worst_wall:?}, one serial process {serial_time:?}"
    );
    assert!(
        worst_wall <= serial_time + Duration::from_secs(2),
        "wall time {worst_wall:?} within serial {serial_time:?} + 2 s"
    );
}

/// Item 2, lock hygiene: migration 2 of 3 fails; the lock is free at once,
/// and a second runner reports promptly instead of hanging.
async fn lock_hygiene(t: &TestDb) {
    let dir = std::env::temp_dir().join(format!("orm-lock-{:?}-{}", t.backend, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, up) in [
        ("20260401000001_one", "CREATE TABLE lock_one (id INTEGER PRIMARY KEY);"),
        (
            "20260401000002_two",
            "CREATE TABLE lock_two (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);",
        ),
        (
            "20260401000003_three",
            "CREATE TABLE lock_three (id INTEGER PRIMARY KEY);",
        ),
    ] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("up.sql"), up).unwrap();
    }
    let err = Migrator::new(load_dir(&dir).unwrap())
        .run(&t.db)
        .await
        .expect_err("migration 2 fails");
    assert!(err.to_string().contains("20260401000002_two/up.sql"));
    let started = Instant::now();
    let free = match t.backend {
        Backend::Postgres => {
            let probe = t.db.acquire().await.unwrap();
            let got = raw("SELECT pg_try_advisory_lock(7262737, hashtext(current_schema()))")
                .fetch_scalars::<bool, _>(&probe)
                .await
                .unwrap()[0];
            drop(probe);
            got
        }
        Backend::MySql => {
            count(
                &t.db,
                "SELECT CAST(IS_USED_LOCK(CONCAT('orm_migrate:', DATABASE())) IS NULL AS SIGNED)",
            )
            .await
                == 1
        }
        Backend::Sqlite => t.db.begin().await.is_ok(),
    };
    let lock_check = started.elapsed();
    assert!(
        free && lock_check < Duration::from_secs(1),
        "the lock is free within 1 s ({lock_check:?})"
    );
    let started = Instant::now();
    let second = Migrator::new(load_dir(&dir).unwrap())
        .lock_timeout(Duration::from_secs(30))
        .run(&t.db)
        .await;
    let reported = started.elapsed();
    assert!(
        second.is_err(),
        "the second runner reports the failure (or the dirty state)"
    );
    assert!(reported < Duration::from_secs(2), "and does not hang ({reported:?})");
    match t.dialect() {
        Dialect::Postgres | Dialect::Sqlite => {
            assert!(
                table_exists(&t.db, "lock_one").await && !table_exists(&t.db, "lock_two").await,
                "migration 2 left nothing"
            );
            assert_eq!(history(&t.db).await, [(20260401000001, false)]);
        }
        Dialect::MySql => {
            assert!(
                second.unwrap_err().to_string().contains("repair"),
                "MariaDB shows the dirty state and refuses to continue"
            );
        }
        other => unreachable!("the tests run on PostgreSQL, MySQL and SQLite, not {other:?}"),
    }
    println!(
        "{:?}: after a failed migration the lock was free in {lock_check:?}; a second runner reported in {reported:?}",
        t.backend
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// 3. kill -9 of a migrating process at random points.
async fn kill_nine(backend: Backend) {
    let dir = fixture("slow");
    let iterations = 50;
    let mut rng = Rng(0x1234_5678);
    let (mut killed_mid, mut completed, mut worst_recovery, mut dirty_seen) = (0, 0, Duration::ZERO, 0);
    for i in 0..iterations {
        let Some(t) = TestDb::setup_shared(backend, &format!("rel::kill_{backend:?}_{i}")).await else {
            return;
        };
        let mut child = cli(&dir, &t.url).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(rng.next() % 250)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_mid += 1;
        } else {
            completed += 1;
        }
        let _ = child.wait();
        // The server finishes what the dead client had already sent (up to
        // its next read); wait for its sessions to end before looking.
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_secs(10) {
            let others = match t.dialect() {
                Dialect::Postgres => count(&t.db, &format!("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '{}' AND pid <> pg_backend_pid()", t.namespace())).await,
                Dialect::MySql => count(&t.db, &format!("SELECT COUNT(*) - 1 FROM information_schema.processlist WHERE db = '{}'", t.namespace())).await,
                Dialect::Sqlite => 0,
                other => unreachable!("the tests run on PostgreSQL, MySQL and SQLite, not {other:?}"),
            };
            if others <= 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The history row exists if and only if the schema change exists.
        let h = history(&t.db).await;
        for (idx, m) in ["a", "b", "c", "d"].iter().enumerate() {
            let version = 20260201000001 + idx as i64;
            let row = h.iter().find(|(v, _)| *v == version);
            let exists = table_exists(&t.db, &format!("slow_{m}")).await;
            match (t.dialect(), row) {
                (Dialect::MySql, Some((_, true))) => dirty_seen += 1,
                (_, Some((_, false))) => assert!(exists, "iteration {i}: {version} recorded but slow_{m} missing"),
                // MySQL commits the (dirty) row before the first statement.
                (_, None) => assert!(!exists, "iteration {i}: slow_{m} exists but {version} is not recorded"),
                (_, Some(_)) => panic!("a dirty row on {backend:?}"),
            }
        }
        // The next run completes within 5 s (after repair on MariaDB).
        let started = Instant::now();
        if t.dialect() == Dialect::MySql && h.iter().any(|(_, d)| *d) {
            for m in ["a", "b", "c", "d"] {
                let _ = raw(format!("DROP TABLE IF EXISTS slow_{m}")).execute(&t.db).await;
            }
            let repair = Command::new(env!("CARGO_BIN_EXE_orm-migrate"))
                .args(["--dir", &dir.display().to_string(), "repair"])
                .env("DATABASE_URL", &t.url)
                .output()
                .unwrap();
            assert!(repair.status.success());
            for (v, _) in h.iter().filter(|(_, d)| !*d) {
                let _ = raw(format!("DELETE FROM orm_migrations WHERE version = {v}"))
                    .execute(&t.db)
                    .await;
            }
        }
        let out = cli(&dir, &t.url).output().unwrap();
        let recovery = started.elapsed();
        assert!(
            out.status.success(),
            "iteration {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            recovery < Duration::from_secs(5),
            "iteration {i}: the next run took {recovery:?}"
        );
        worst_recovery = worst_recovery.max(recovery);
        assert_eq!(history(&t.db).await.len(), 4);
        t.cleanup().await;
    }
    println!(
        "{backend:?}: {iterations} kill -9 iterations ({killed_mid} killed mid-run, {completed} finished first): history row iff schema change on every check; {dirty_seen} dirty rows detected; next run completed within {worst_recovery:?} at worst"
    );
}

/// 4. CREATE INDEX CONCURRENTLY (no transaction) while 4 runners wait.
async fn concurrent_index_with_waiters(t: &TestDb) {
    let dir = fixture("cic");
    let started = Instant::now();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (url, dir) = (t.url.clone(), dir.clone());
            tokio::spawn(async move {
                let db = Db::builder(url).max_connections(2).connect().await.unwrap();
                let r = Migrator::new(load_dir(&dir).unwrap())
                    .lock_timeout(Duration::from_secs(60))
                    .run(&db)
                    .await;
                db.close().await;
                r
            })
        })
        .collect();
    let mut applied = 0;
    for task in tasks {
        applied += tokio::time::timeout(Duration::from_secs(90), task)
            .await
            .expect("no deadlock")
            .unwrap()
            .expect("no runner fails")
            .len();
    }
    let valid = raw("SELECT CAST(indisvalid AS INTEGER) FROM pg_index WHERE indexrelid = 'big_v'::regclass")
        .fetch_scalars::<i32, _>(&t.db)
        .await
        .unwrap();
    assert_eq!(valid, [1], "the index is valid");
    assert_eq!(applied, 2);
    println!(
        "Postgres: CREATE INDEX CONCURRENTLY on 200,000 rows with 4 waiting runners: {applied} migrations applied once, index valid, {:?}",
        started.elapsed()
    );
}

macro_rules! per_backend {
    ($name:ident, $run:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $run(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $run(Backend::Postgres).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $run(Backend::MySql).await
            }
        }
    };
}

async fn lock_hygiene_on(backend: Backend) {
    if let Some(t) = TestDb::setup_shared(backend, &format!("rel::lock_{backend:?}")).await {
        lock_hygiene(&t).await;
        t.cleanup().await;
    }
}

per_backend!(cli_processes, concurrent_cli_processes);
per_backend!(lock_after_failure, lock_hygiene_on);
per_backend!(kill_minus_nine, kill_nine);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_index_concurrently_postgres() {
    if let Some(t) = TestDb::setup_shared(Backend::Postgres, "rel::cic").await {
        concurrent_index_with_waiters(&t).await;
        t.cleanup().await;
    }
}
