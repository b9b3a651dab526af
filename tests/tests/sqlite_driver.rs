//! The SQLite driver on a current-thread runtime (a plain `#[tokio::test]`),
//! where one thread runs every task: a read runs in place (WAL readers never
//! wait), and a write waiting for the write lock of a transaction parked on
//! the same thread does not stall that thread — the transaction commits and
//! the write goes through. A deadlock would hit the timeout guard.

use orm_core::{Db, raw};
use std::time::Duration;

fn file_url(tag: &str) -> (String, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("orm-sqlite-driver-{tag}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    (format!("sqlite://{}", path.display()), path)
}

async fn count(db: &Db) -> i64 {
    raw("SELECT COUNT(*) FROM t").fetch_scalars::<i64, _>(db).await.unwrap()[0]
}

#[tokio::test]
async fn a_parked_transaction_blocks_neither_reads_nor_the_thread() {
    let (url, path) = file_url("parked");
    let db = Db::connect(&url).await.unwrap();
    raw("CREATE TABLE t (n INTEGER)").execute(&db).await.unwrap();
    raw("INSERT INTO t VALUES (1)").execute(&db).await.unwrap();
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            let tx = db.begin().await.unwrap();
            raw("INSERT INTO t VALUES (2)").execute(&tx).await.unwrap();
            // Parked, holding the write lock, until the reader has read.
            wait.await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    tokio::task::yield_now().await;
    let guard = Duration::from_secs(8);
    // A read while the writer is parked: the committed state, at once.
    let before = tokio::time::timeout(guard, count(&db))
        .await
        .expect("a read never waits for a writer");
    assert_eq!(before, 1);
    // A write while the writer is parked: it waits for the lock on the
    // blocking pool while this thread lets the writer commit.
    let insert = {
        let db = db.clone();
        tokio::spawn(async move { raw("INSERT INTO t VALUES (3)").execute(&db).await })
    };
    tokio::task::yield_now().await;
    go.send(()).unwrap();
    tokio::time::timeout(guard, writer)
        .await
        .expect("the writer commits")
        .unwrap();
    tokio::time::timeout(guard, insert)
        .await
        .expect("the waiting write goes through")
        .unwrap()
        .unwrap();
    assert_eq!(count(&db).await, 3);
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A held connection whose user turned foreign keys off (as the migration
/// runner does around a table rebuild) and was cancelled there goes back
/// to the pool as a new one starts: the next orphan insert fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_holder_leaves_foreign_keys_on() {
    let (url, path) = file_url("fk-reset");
    let db = Db::builder(&url).max_connections(1).connect().await.unwrap();
    raw("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        .execute(&db)
        .await
        .unwrap();
    raw("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))")
        .execute(&db)
        .await
        .unwrap();
    {
        let held = db.acquire().await.unwrap();
        held.execute_script("PRAGMA foreign_keys = OFF; BEGIN").await.unwrap();
        // Cancelled here: a timeout around the holder's work fires.
        let parked = tokio::time::timeout(Duration::from_millis(50), std::future::pending::<()>()).await;
        assert!(parked.is_err());
        drop(held);
    }
    // The one connection of the pool is the one that was held.
    let orphan = raw("INSERT INTO child (id, parent_id) VALUES (1, 42)")
        .execute(&db)
        .await;
    assert!(
        matches!(orphan, Err(orm_core::Error::ForeignKeyViolation { .. })),
        "{orphan:?}"
    );
    let rows = raw("SELECT COUNT(*) FROM child")
        .fetch_scalars::<i64, _>(&db)
        .await
        .unwrap()[0];
    assert_eq!(rows, 0);
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Run `body` on its own thread and runtime, and fail if it has not
/// finished within `secs`: a hang (even one that blocks its runtime's
/// threads, where a tokio timeout cannot fire) fails the test in seconds.
fn watchdog<F>(secs: u64, multi_thread: bool, body: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = if multi_thread {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        }
        .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(body())));
        let _ = done.send(outcome);
    });
    match finished.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("hung: not finished after {secs} s"),
    }
}

/// A row for the streaming test.
#[derive(orm_core::Model, Debug, Clone)]
#[orm(table = "counters", timestamps = false)]
pub struct Counter {
    pub id: i64,
    pub n: i64,
}

/// Issue 25 §3: on `sqlite::memory:`, a transaction holding a write used to
/// make every read and write through the pool wait forever (the shared
/// cache's lock waits ignored the busy timeout). Now they wait for the
/// holder without stalling it, and go through once it commits. Both
/// runtimes; the guard fails a hang in seconds.
async fn memory_waits_for_a_holder_then_goes_through() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    raw("CREATE TABLE t (n INTEGER)").execute(&db).await.unwrap();
    raw("INSERT INTO t VALUES (1)").execute(&db).await.unwrap();
    let tx = db.begin().await.unwrap();
    raw("INSERT INTO t VALUES (2)").execute(&tx).await.unwrap();
    let guard = Duration::from_secs(8);
    let read = tokio::spawn({
        let db = db.clone();
        async move { count(&db).await }
    });
    let write = tokio::spawn({
        let db = db.clone();
        async move { raw("INSERT INTO t VALUES (3)").execute(&db).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The waiters yield: this task (the holder) still runs, and commits.
    raw("INSERT INTO t VALUES (4)").execute(&tx).await.unwrap();
    tx.commit().await.unwrap();
    let seen = tokio::time::timeout(guard, read)
        .await
        .expect("the read returns")
        .unwrap();
    assert!(
        seen == 3 || seen == 4,
        "the committed rows, maybe with the write: {seen}"
    );
    tokio::time::timeout(guard, write)
        .await
        .expect("the write returns")
        .unwrap()
        .unwrap();
    assert_eq!(count(&db).await, 4);
    db.close().await;
}

#[test]
fn memory_waits_for_a_holder_on_one_thread() {
    watchdog(20, false, memory_waits_for_a_holder_then_goes_through);
}

#[test]
fn memory_waits_for_a_holder_on_many_threads() {
    watchdog(20, true, memory_waits_for_a_holder_then_goes_through);
}

/// A holder that never lets go (awaiting the pool from inside its
/// transaction, as a mistaken `&db` does): a read and a write through the
/// pool end after the busy timeout (10 s) with LockNotAvailable, instead of
/// never. Both runtimes.
#[test]
fn memory_lock_waits_end_with_the_busy_timeout_on_one_thread() {
    watchdog(25, false, memory_lock_waits_end);
}

#[test]
fn memory_lock_waits_end_with_the_busy_timeout_on_many_threads() {
    watchdog(25, true, memory_lock_waits_end);
}

async fn memory_lock_waits_end() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    raw("CREATE TABLE t (n INTEGER)").execute(&db).await.unwrap();
    let tx = db.begin().await.unwrap();
    raw("INSERT INTO t VALUES (1)").execute(&tx).await.unwrap();
    let started = std::time::Instant::now();
    let (read, write) = tokio::join!(
        raw("SELECT COUNT(*) FROM t").fetch_scalars::<i64, _>(&db),
        raw("INSERT INTO t VALUES (2)").execute(&db)
    );
    for err in [
        read.expect_err("the holder never commits"),
        write.expect_err("nor here"),
    ] {
        assert!(matches!(err, orm_core::Error::LockNotAvailable), "{err:?}");
    }
    assert!(started.elapsed() >= Duration::from_secs(9), "{:?}", started.elapsed());
    tx.rollback().await.unwrap();
    assert_eq!(count(&db).await, 0);
    db.close().await;
}

/// Streaming more rows than the stream buffers from `sqlite::memory:` and
/// saving each as it arrives used to hang (the reader's lock against the
/// consumer's writes).
#[test]
fn memory_stream_and_save_each_row() {
    watchdog(40, true, stream_and_save);
}

async fn stream_and_save() {
    use futures_util::StreamExt;
    use orm_core::prelude::*;
    let db = Db::connect("sqlite::memory:").await.unwrap();
    Schema::new().model::<Counter>().sync(&db).await.unwrap();
    let rows: Vec<NewCounter> = (0..3000).map(|n| NewCounter { n }).collect();
    Counter::bulk_create(&db, rows).await.unwrap();
    let work = async {
        let mut stream = Counter::find().order_by(Counter::ID).stream(&db);
        let mut saved = 0;
        while let Some(row) = stream.next().await {
            let mut row = row.unwrap();
            row.n += 1_000_000;
            row.save(&db).await.unwrap();
            saved += 1;
        }
        saved
    };
    let saved = tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .expect("streaming and saving finishes");
    assert_eq!(saved, 3000);
    let small = Counter::find()
        .filter(Counter::N.lt(1_000_000))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(small, 0, "every row saved");
    db.close().await;
}

/// Multi-threaded runtime: a write waiting for a lock that a sibling in the
/// same `join!` holds used to block the whole task for the busy timeout;
/// and a `timeout` around a waiting statement could not fire. Lock waits
/// yield now. A file database (WAL) and `sqlite::memory:`.
#[test]
fn lock_waits_yield_to_their_task_and_to_timeouts() {
    watchdog(20, true, lock_waits_yield);
}

async fn lock_waits_yield() {
    let (url, path) = file_url("yield");
    for url in [url.as_str(), "sqlite::memory:"] {
        let db = Db::connect(url).await.unwrap();
        raw("CREATE TABLE t (n INTEGER)").execute(&db).await.unwrap();
        let started = std::time::Instant::now();
        let holder = async {
            let tx = db.begin().await.unwrap();
            raw("INSERT INTO t VALUES (1)").execute(&tx).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.commit().await.unwrap();
        };
        let waiter = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            raw("INSERT INTO t VALUES (2)").execute(&db).await.unwrap();
        };
        tokio::join!(holder, waiter);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{url}: {:?}",
            started.elapsed()
        );
        assert_eq!(count(&db).await, 2);

        let tx = db.begin().await.unwrap();
        raw("INSERT INTO t VALUES (3)").execute(&tx).await.unwrap();
        let started = std::time::Instant::now();
        let waited =
            tokio::time::timeout(Duration::from_millis(200), raw("INSERT INTO t VALUES (4)").execute(&db)).await;
        assert!(waited.is_err(), "{url}: the timeout fires");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{url}: {:?}",
            started.elapsed()
        );
        tx.rollback().await.unwrap();
        db.close().await;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
