//! Read replicas on real streaming replication (issue 19): a PostgreSQL
//! primary with a hot standby and a MariaDB primary with a GTID replica,
//! started by `scripts/replicas.sh start` (`.ci/run` does). Reads go to the
//! replica, writes and transactions to the primary; a session reads its own
//! writes; a lagging or stopped replica is skipped without failed reads.
//!
//! The scenarios of one dialect run in order in one test: pausing replay
//! or stopping the replica would disturb any other test on the same pair.

use orm_core::prelude::*;
use orm_core::raw;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "notes", timestamps = false)]
pub struct Note {
    pub id: i64,
    pub body: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pair {
    Pg,
    My,
}

impl Pair {
    fn urls(self, ns: &str) -> (String, String) {
        match self {
            Pair::Pg => {
                let opts = format!("?options=-c%20search_path%3D{ns}");
                (
                    format!("postgres://postgres@127.0.0.1:55432/postgres{opts}"),
                    format!("postgres://postgres@127.0.0.1:55433/postgres{opts}"),
                )
            }
            Pair::My => (
                format!("mysql://root@127.0.0.1:33306/{ns}"),
                format!("mysql://root@127.0.0.1:33307/{ns}"),
            ),
        }
    }

    fn admin(self) -> &'static str {
        match self {
            Pair::Pg => "postgres://postgres@127.0.0.1:55432/postgres",
            Pair::My => "mysql://root@127.0.0.1:33306/mysql",
        }
    }

    fn replica_admin(self) -> &'static str {
        match self {
            Pair::Pg => "postgres://postgres@127.0.0.1:55433/postgres",
            Pair::My => "mysql://root@127.0.0.1:33307/mysql",
        }
    }

    /// A query whose answer says which server ran it: true on the replica.
    fn on_replica_sql(self) -> &'static str {
        match self {
            Pair::Pg => "SELECT pg_is_in_recovery()",
            Pair::My => "SELECT @@server_id = 2",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Pair::Pg => "pg",
            Pair::My => "mysql",
        }
    }

    fn pause_sql(self) -> &'static str {
        match self {
            Pair::Pg => "SELECT pg_wal_replay_pause()",
            Pair::My => "STOP SLAVE SQL_THREAD",
        }
    }

    fn resume_sql(self) -> &'static str {
        match self {
            Pair::Pg => "SELECT pg_wal_replay_resume()",
            Pair::My => "START SLAVE SQL_THREAD",
        }
    }
}

/// The pair's primary and replica, each with a fresh schema/database; `None`
/// (with a printed line) when the pair is not running, unless `CI=true`.
async fn setup(pair: Pair, ns: &str) -> Option<(Db, Db)> {
    let admin = match Db::connect(pair.admin()).await {
        Ok(db) => db,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the {pair:?} replica pair is not running (scripts/replicas.sh start): {e}");
            }
            println!("skipped: the {pair:?} replica pair is not running (scripts/replicas.sh start): {e}");
            return None;
        }
    };
    match pair {
        Pair::Pg => {
            raw(format!("DROP SCHEMA IF EXISTS {ns} CASCADE"))
                .execute(&admin)
                .await
                .unwrap();
            raw(format!("CREATE SCHEMA {ns}")).execute(&admin).await.unwrap();
        }
        Pair::My => {
            raw(format!("DROP DATABASE IF EXISTS {ns}"))
                .execute(&admin)
                .await
                .unwrap();
            raw(format!("CREATE DATABASE {ns}")).execute(&admin).await.unwrap();
        }
    }
    let replica = Db::connect(pair.replica_admin()).await.expect("the replica answers");
    // Replay runs, whatever an earlier run that stopped part-way left.
    raw(pair.resume_sql()).execute(&replica).await.unwrap();
    Some((admin, replica))
}

async fn on_replica(pair: Pair, db: &impl Executor) -> bool {
    raw(pair.on_replica_sql()).fetch_scalars::<bool, _>(db).await.unwrap()[0]
}

/// Whether reads reach the replica within 10 s: where the test waits for
/// replay or a health check (either can take longer than usual on a loaded
/// machine), not where it asserts a routing decision.
async fn reaches_replica(pair: Pair, db: &impl Executor) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if on_replica(pair, db).await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until the replica has the row (replication is asynchronous).
async fn replicated(replica: &Db, pair: Pair, ns: &str, id: i64) {
    let sql = match pair {
        Pair::Pg => format!("SELECT COUNT(*) FROM {ns}.notes WHERE id = {id}"),
        Pair::My => format!("SELECT COUNT(*) FROM {ns}.notes WHERE id = {id}"),
    };
    for _ in 0..500 {
        if raw(sql.as_str())
            .fetch_scalars::<i64, _>(replica)
            .await
            .map(|n| n[0])
            .unwrap_or(0)
            == 1
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("row {id} never reached the replica");
}

fn script(args: &[&str]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/replicas.sh");
    let status = std::process::Command::new("bash")
        .arg(path)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("bash runs");
    assert!(status.success(), "scripts/replicas.sh {args:?} failed");
}

async fn scenarios(pair: Pair) {
    let ns = format!("orm_replica_{}", pair.name());
    let Some((admin, replica_admin)) = setup(pair, &ns).await else {
        return;
    };
    let (primary_url, replica_url) = pair.urls(&ns);
    let db = Db::builder(&primary_url)
        .read_replica(&replica_url)
        .max_replica_lag(Duration::from_secs(60))
        .replica_check_interval(Duration::from_millis(100))
        .session_wait(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    Schema::new().model::<Note>().sync(&db).await.unwrap();

    // 1. Reads on the replica; writes, transactions and primary() on the primary.
    let first = Note::create(&db, NewNote { body: "one".into() }).await.unwrap();
    replicated(&replica_admin, pair, &ns, first.id).await;
    assert!(on_replica(pair, &db).await, "a plain read runs on the replica");
    assert!(!on_replica(pair, &db.primary()).await, "primary() reads on the primary");
    let in_tx = db
        .transaction(async |tx| Ok::<_, orm_core::Error>(on_replica(pair, tx).await))
        .await
        .unwrap();
    assert!(!in_tx, "a transaction runs on the primary");
    let before = db.replica_status()[0].reads;
    assert_eq!(Note::find().all(&db).await.unwrap(), vec![first.clone()]);
    assert_eq!(Note::find().count(&db).await.unwrap(), 1);
    assert!(
        db.replica_status()[0].reads >= before + 2,
        "find and count on the replica"
    );
    db.authenticate().await.unwrap();
    assert!(db.replica_status()[0].healthy);
    if pair == Pair::Pg {
        // A raw SELECT that writes is refused by the replica and run on the primary.
        raw("CREATE SEQUENCE orm_replica_seq").execute(&db).await.unwrap();
        // (once the replica has the sequence: else it fails for that reason)
        let mut replayed = false;
        for _ in 0..500 {
            let found: Vec<i64> = raw("SELECT COUNT(*) FROM pg_class WHERE relname = 'orm_replica_seq'")
                .fetch_scalars(&replica_admin)
                .await
                .unwrap();
            if found == [1] {
                replayed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(replayed, "the sequence reached the replica");
        let n: Vec<i64> = raw("SELECT nextval('orm_replica_seq')")
            .fetch_scalars(&db)
            .await
            .unwrap();
        assert_eq!(n, vec![1]);
    }

    // 2. Replay paused: a session reads its own write at once (from the
    // primary), a plain handle still reads the replica's older state.
    raw(pair.pause_sql()).execute(&replica_admin).await.unwrap();
    let session = db.session();
    let mine = Note::create(&session, NewNote { body: "mine".into() }).await.unwrap();
    let seen = Note::find_by_pk(mine.id).one(&session).await.unwrap();
    assert_eq!(seen.as_ref().map(|n| n.body.as_str()), Some("mine"), "read-your-writes");
    let plain = Note::find_by_pk(mine.id).one(&db).await.unwrap();
    assert_eq!(plain, None, "the replica has not replayed it yet");
    let direct = Note::find_by_pk(mine.id).use_primary().one(&db).await.unwrap();
    assert!(direct.is_some(), "use_primary() reads the primary");
    assert_eq!(Note::find().use_primary().count(&db).await.unwrap(), 2);
    // Resumed: the session's reads go back to the replica once it has replayed.
    raw(pair.resume_sql()).execute(&replica_admin).await.unwrap();
    replicated(&replica_admin, pair, &ns, mine.id).await;
    assert!(
        reaches_replica(pair, &session).await,
        "caught up: the session reads the replica"
    );

    // 3. A lagging replica is skipped, then used again.
    let strict = Db::builder(&primary_url)
        .read_replica(&replica_url)
        .max_replica_lag(Duration::from_millis(200))
        .replica_check_interval(Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    assert!(reaches_replica(pair, &strict).await);
    raw(pair.pause_sql()).execute(&replica_admin).await.unwrap();
    Note::create(&strict, NewNote { body: "lag".into() }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while strict.replica_status()[0].healthy && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = &strict.replica_status()[0];
    assert!(!status.healthy, "lag past max_replica_lag: skipped ({status:?})");
    assert!(!on_replica(pair, &strict).await, "reads go to the primary meanwhile");
    raw(pair.resume_sql()).execute(&replica_admin).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !strict.replica_status()[0].healthy && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(strict.replica_status()[0].healthy, "caught up: used again");
    assert!(reaches_replica(pair, &strict).await);

    // 4. The replica stopped under load: no read fails, and it is used again.
    let failed = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let run_until = Instant::now() + Duration::from_secs(4);
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (db, failed, reads) = (db.clone(), failed.clone(), reads.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < run_until {
                i += 1;
                if i.is_multiple_of(10) {
                    let _ = Note::create(&db, NewNote { body: format!("t{t}") }).await;
                } else {
                    match Note::find().limit(5).all(&db).await {
                        Ok(_) => reads.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            eprintln!("a read failed while the replica stopped: {e:?}");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    script(&["stop-replica", pair.name()]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let down = db.replica_status()[0].clone();
    script(&["start-replica", pair.name()]);
    for t in tasks {
        t.await.unwrap();
    }
    assert!(!down.healthy, "the stopped replica was skipped: {down:?}");
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "no read failed while the replica was down"
    );
    assert!(reads.load(Ordering::Relaxed) > 100);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !db.replica_status()[0].healthy && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(db.replica_status()[0].healthy, "back after restart");
    let before = db.replica_status()[0].reads;
    Note::find().count(&db).await.unwrap();
    assert!(db.replica_status()[0].reads > before, "reads go to the replica again");

    drop_namespace(pair, &admin, &ns).await;
}

/// A pool on the pair's primary with its replica (up to 60 s of lag
/// allowed), once reads reach the replica.
async fn serving_replica(pair: Pair, ns: &str) -> Db {
    let (primary_url, replica_url) = pair.urls(ns);
    let db = Db::builder(&primary_url)
        .read_replica(&replica_url)
        .max_replica_lag(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    assert!(reaches_replica(pair, &db).await, "the replica serves reads");
    db
}

/// Drop the test's schema (PostgreSQL) or database (MariaDB).
async fn drop_namespace(pair: Pair, admin: &Db, ns: &str) {
    let sql = match pair {
        Pair::Pg => format!("DROP SCHEMA IF EXISTS {ns} CASCADE"),
        Pair::My => format!("DROP DATABASE IF EXISTS {ns}"),
    };
    raw(sql).execute(admin).await.unwrap();
}

/// A replica lost part-way through a result (its server ends the session
/// while rows are on their way): the read runs again on the primary and
/// returns every row, never the error (the replica, marked down, is back
/// at its next health check: its server is up, only the session ended).
/// The rows come slowly (a sleep per row) so the session ends mid-result.
async fn lost_mid_result(pair: Pair) {
    let ns = format!("orm_replica_mid_{}", pair.name());
    let Some((admin, replica_admin)) = setup(pair, &ns).await else {
        return;
    };
    let db = serving_replica(pair, &ns).await;
    let (slow, find, kill) = match pair {
        Pair::Pg => (
            "SELECT g FROM generate_series(1, 2000) g, LATERAL (SELECT pg_sleep(0.0005 + g * 0)) s",
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.0005 + g%' AND pid <> pg_backend_pid()",
            "SELECT pg_terminate_backend(",
        ),
        Pair::My => (
            // A plain SELECT (the kind routed to a replica), one sleep a row.
            "SELECT seq FROM seq_1_to_4000 WHERE SLEEP(0.0003) = 0 ORDER BY seq",
            "SELECT id FROM information_schema.processlist WHERE info LIKE '%SLEEP(0.0003)%' AND id <> CONNECTION_ID()",
            "KILL ",
        ),
    };
    let expected: i64 = if pair == Pair::Pg { 2000 } else { 4000 };
    let killer = {
        let replica_admin = replica_admin.clone();
        tokio::spawn(async move {
            // Let rows start flowing, then end the replica's session.
            tokio::time::sleep(Duration::from_millis(600)).await;
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                let ids: Vec<i64> = raw(find).fetch_scalars(&replica_admin).await.unwrap_or_default();
                if let Some(id) = ids.first() {
                    let end = if kill.ends_with('(') {
                        format!("{kill}{id})")
                    } else {
                        format!("{kill}{id}")
                    };
                    let _ = raw(end).execute(&replica_admin).await;
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            false
        })
    };
    let served_before = db.replica_status()[0].reads;
    let rows: Vec<i64> = raw(slow)
        .fetch_scalars(&db)
        .await
        .expect("the primary answers the read");
    assert!(killer.await.unwrap(), "the replica's session was ended during the read");
    assert_eq!(rows.len() as i64, expected);
    assert_eq!(rows.last().copied(), Some(expected));
    assert_eq!(
        db.replica_status()[0].reads,
        served_before,
        "the replica did not serve it: the primary did"
    );
    drop_namespace(pair, &admin, &ns).await;
}

/// A replica behind the primary's schema (replay paused while a table is
/// made on the primary): a read of the new table runs on the primary, not
/// into the replica's "no such table".
async fn schema_behind(pair: Pair) {
    let ns = format!("orm_replica_schema_{}", pair.name());
    let Some((admin, replica_admin)) = setup(pair, &ns).await else {
        return;
    };
    let db = serving_replica(pair, &ns).await;
    raw(pair.pause_sql()).execute(&replica_admin).await.unwrap();
    let read = async {
        Schema::new().model::<Note>().sync(&db).await?;
        Note::create(&db, NewNote { body: "new".into() }).await?;
        let served_before = db.replica_status()[0].reads;
        let notes = Note::find().all(&db).await?;
        Ok::<_, orm_core::Error>((notes, served_before))
    }
    .await;
    // Replay resumes before anything is asserted.
    raw(pair.resume_sql()).execute(&replica_admin).await.unwrap();
    let (notes, served_before) = read.expect("the primary answers");
    assert_eq!(notes.len(), 1);
    assert_eq!(db.replica_status()[0].reads, served_before, "the primary served it");
    drop_namespace(pair, &admin, &ns).await;
}

// One test per pair, run in turn: the scenarios stop and start the pair's
// replica, which a read of its own running beside them would see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_primary_and_hot_standby() {
    scenarios(Pair::Pg).await;
    lost_mid_result(Pair::Pg).await;
    schema_behind(Pair::Pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_primary_and_gtid_replica() {
    scenarios(Pair::My).await;
    lost_mid_result(Pair::My).await;
    schema_behind(Pair::My).await;
}

/// SQLite has no replicas: configuring one is an error at connect.
#[tokio::test]
async fn sqlite_refuses_a_replica() {
    let err = Db::builder("sqlite::memory:")
        .read_replica("sqlite::memory:")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.to_string().contains("no read replicas"), "{err}");
}
