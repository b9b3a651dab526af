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
