//! Multi-host URLs and failover (issue 27): a PostgreSQL URL listing two
//! hosts with `target_session_attrs=read-write`, a MySQL URL listing two
//! hosts of which the writable one (`read_only = 0`) is the primary.
//!
//! Each test builds a fresh synchronous pair of its own
//! (`ORM_PAIR=failover scripts/replicas.sh fresh pg|mysql`: ports 55442/3
//! and 33316/7, so the read-replica tests' pairs are not disturbed), runs
//! four writers, kills the primary mid-way, promotes the standby, and
//! checks what users rely on: in-flight statements fail with
//! `Error::Connection` (no other error), none is acknowledged while no
//! host takes writes, new ones reach the new primary
//! within a second of its promotion, and every acknowledged write is there
//! afterwards.
//!
//! A test binary of its own (not a module of `suite.rs`): its servers and
//! writers must not load the machine while the suite's timing-sensitive
//! read-replica tests run.

use orm_core::prelude::*;
use orm_core::raw;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "failover_writes", timestamps = false)]
pub struct Write {
    pub id: i64,
    pub writer: i32,
    pub seq: i32,
}

/// `scripts/replicas.sh` on the failover pair; whether it succeeded.
fn script(args: &[&str]) -> bool {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/replicas.sh");
    std::process::Command::new("bash")
        .arg(path)
        .args(args)
        .env("ORM_PAIR", "failover")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn run_script(args: &'static [&'static str]) -> bool {
    tokio::task::spawn_blocking(move || script(args)).await.unwrap()
}

struct Log {
    /// Each acknowledged write: its key and when the acknowledgement came.
    acked: Mutex<Vec<(i64, Instant)>>,
    errors: Mutex<Vec<Error>>,
    stop: AtomicBool,
}

async fn failover(name: &'static str, url: &str) {
    let fresh: &'static [&'static str] = if name == "pg" {
        &["fresh", "pg"]
    } else {
        &["fresh", "mysql"]
    };
    if !run_script(fresh).await {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the {name} failover pair did not start (scripts/replicas.sh with ORM_PAIR=failover)");
        }
        println!("skipped: the {name} failover pair did not start (scripts/replicas.sh with ORM_PAIR=failover)");
        return;
    }
    if name == "mysql" {
        let admin = Db::connect("mysql://root@127.0.0.1:33316/mysql").await.unwrap();
        raw("CREATE DATABASE failover").execute(&admin).await.unwrap();
        admin.close().await;
    }
    let db = Db::builder(url)
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("the multi-host URL connects to the primary");
    Schema::new().model::<Write>().sync(&db).await.unwrap();

    let log = Arc::new(Log {
        acked: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
    });
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (db, log) = (db.clone(), log.clone());
        writers.push(tokio::spawn(async move {
            let mut seq = 0;
            while !log.stop.load(Ordering::Relaxed) {
                seq += 1;
                match Write::create(&db, NewWrite { writer, seq }).await {
                    Ok(w) => log.acked.lock().unwrap().push((w.id, Instant::now())),
                    Err(e) => {
                        log.errors.lock().unwrap().push(e);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let kill: &'static [&'static str] = if name == "pg" {
        &["kill-primary", "pg"]
    } else {
        &["kill-primary", "mysql"]
    };
    assert!(run_script(kill).await, "the primary stops");
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let promote: &'static [&'static str] = if name == "pg" {
        &["promote", "pg"]
    } else {
        &["promote", "mysql"]
    };
    // The standby takes writes from some moment inside the script (which
    // then waits to see it done), so that window is neither side's.
    let promoting = Instant::now();
    assert!(run_script(promote).await, "the standby is promoted");
    let promoted = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    log.stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let acked = log.acked.lock().unwrap().clone();
    let errors = std::mem::take(&mut *log.errors.lock().unwrap());
    let before = acked.iter().filter(|(_, t)| *t < killed).count();
    let first_after = acked
        .iter()
        .filter(|(_, t)| *t > promoted)
        .map(|(_, t)| *t - promoted)
        .min();
    // Between the kill and the promotion no host takes writes (the
    // standby is read-only: PostgreSQL refuses, and for MySQL, where root
    // may write to a `read_only` server, the driver skips that host).
    let orphaned = acked
        .iter()
        .filter(|(_, t)| *t > killed + Duration::from_millis(50) && *t < promoting)
        .count();
    assert_eq!(orphaned, 0, "{name}: writes acknowledged while there was no primary");
    let others: Vec<&Error> = errors
        .iter()
        .filter(|e| !matches!(e, Error::Connection { .. }))
        .collect();
    assert!(
        others.is_empty(),
        "{name}: only Error::Connection while failing over: {others:?}"
    );
    assert!(!errors.is_empty(), "{name}: statements fail while there is no primary");
    assert!(before > 0, "{name}: writes went through before the failure");
    let first_after = first_after.unwrap_or_else(|| panic!("{name}: no write reached the new primary"));
    assert!(
        first_after < Duration::from_secs(1),
        "{name}: the new primary took writes {first_after:?} after its promotion"
    );

    let stored: HashSet<i64> = Write::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    let lost: Vec<i64> = acked
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(lost.is_empty(), "{name}: acknowledged writes lost: {lost:?}");
    println!(
        "{name}: failover: {} writes acknowledged ({before} before the kill), {} Error::Connection while failing over, first write on the new primary {first_after:?} after its promotion, 0 acknowledged writes lost",
        acked.len(),
        errors.len()
    );
    db.close().await;
    let destroy: &'static [&'static str] = if name == "pg" {
        &["destroy", "pg"]
    } else {
        &["destroy", "mysql"]
    };
    run_script(destroy).await;
}

#[tokio::test]
async fn postgres_primary_dies_and_the_standby_takes_over() {
    failover(
        "pg",
        "postgres://postgres@127.0.0.1:55442,127.0.0.1:55443/postgres?target_session_attrs=read-write",
    )
    .await;
}

#[tokio::test]
async fn mariadb_primary_dies_and_the_replica_takes_over() {
    failover("mysql", "mysql://root@127.0.0.1:33316,127.0.0.1:33317/failover").await;
}
