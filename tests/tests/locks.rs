//! Row locks: `.lock(Lock::Update | Lock::Share)`, `.nowait()`,
//! `.skip_locked()`, proven with two transactions, and a queue of 1,000
//! jobs drained by 4 workers, each job taken exactly once. SQLite has no
//! row locks: a transaction there holds the database's write lock from
//! `BEGIN IMMEDIATE`, which the tests show instead.

use orm_core::Lock;
use orm_core::prelude::*;
use orm_tests::{Backend, TestDb};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Job {
    pub id: i64,
    #[orm(index, length = 10)]
    pub state: String,
    pub worker: Option<i64>,
}

fn queued() -> NewJob {
    NewJob {
        state: "queued".into(),
        worker: None,
    }
}

/// SQLite gets a file, so that several connections share the database.
async fn setup(backend: Backend, test: &str) -> Option<TestDb> {
    let t = TestDb::setup_shared(backend, test).await?;
    Schema::new().model::<Job>().sync(&t.db).await.unwrap();
    Some(t)
}

async fn outside_a_transaction_is_refused(t: &TestDb) {
    Job::create(&t.db, queued()).await.unwrap();
    let err = Job::find()
        .lock(Lock::Update)
        .all(&t.db)
        .await
        .expect_err("no transaction");
    assert!(
        matches!(&err, Error::InvalidQuery { message } if message.contains("transaction")),
        "{err:?}"
    );
    let tx = t.db.begin().await.unwrap();
    assert_eq!(Job::find().lock(Lock::Share).all(&tx).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

async fn a_locked_row_blocks_nowait_fails_skip_locked_skips(t: &TestDb) {
    let first = Job::create(&t.db, queued()).await.unwrap();
    let second = Job::create(&t.db, queued()).await.unwrap();
    let holder = t.db.begin().await.unwrap();
    let held = Job::find_by_pk(first.id)
        .lock(Lock::Update)
        .one(&holder)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.id, first.id);

    if t.backend == Backend::Sqlite {
        // The holder owns the database lock: another transaction cannot
        // even begin until it ends.
        let db = t.db.clone();
        let waiter = tokio::spawn(async move { db.begin().await.map(drop) });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiter.is_finished(), "BEGIN IMMEDIATE waits for the holder");
        holder.commit().await.unwrap();
        waiter.await.unwrap().unwrap();
        return;
    }

    // NOWAIT: fails at once, with its own error.
    let other = t.db.begin().await.unwrap();
    let err = Job::find_by_pk(first.id)
        .lock(Lock::Update)
        .nowait()
        .one(&other)
        .await
        .expect_err("the row is held");
    assert!(matches!(err, Error::LockNotAvailable), "{err:?}");
    assert_eq!(err.status_code(), 409);
    other.rollback().await.unwrap();

    // SKIP LOCKED: the next free row.
    let other = t.db.begin().await.unwrap();
    let free = Job::find()
        .filter(Job::STATE.eq("queued"))
        .order_by(Job::ID.asc())
        .limit(1)
        .lock(Lock::Update)
        .skip_locked()
        .one(&other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(free.id, second.id);
    other.rollback().await.unwrap();

    // A shared lock is compatible with another shared lock, not with FOR UPDATE.
    let reader = t.db.begin().await.unwrap();
    Job::find_by_pk(second.id)
        .lock(Lock::Share)
        .one(&reader)
        .await
        .unwrap()
        .unwrap();
    let reader2 = t.db.begin().await.unwrap();
    Job::find_by_pk(second.id)
        .lock(Lock::Share)
        .nowait()
        .one(&reader2)
        .await
        .expect("shared with shared");
    reader2.rollback().await.unwrap();
    reader.rollback().await.unwrap();

    // Without NOWAIT the second locking read waits for the holder.
    let db = t.db.clone();
    let id = first.id;
    let waiter = tokio::spawn(async move {
        let tx = db.begin().await?;
        let row = Job::find_by_pk(id).lock(Lock::Update).one(&tx).await?;
        tx.commit().await?;
        Ok::<_, Error>(row)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "the second FOR UPDATE waits");
    holder.commit().await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap().map(|j| j.id), Some(first.id));
}

/// 4 workers, 1,000 jobs: each takes the next queued job with
/// `FOR UPDATE SKIP LOCKED` and marks it done; every job is taken once.
async fn workers_drain_a_queue_each_job_once(t: &TestDb) {
    let jobs: Vec<NewJob> = (0..1_000).map(|_| queued()).collect();
    Job::bulk_create(&t.db, jobs).await.unwrap();
    let mut workers = Vec::new();
    for w in 0..4_i64 {
        let db = t.db.clone();
        workers.push(tokio::spawn(async move {
            let mut taken = 0;
            loop {
                // READ COMMITTED: InnoDB then locks only the rows it returns
                // (under REPEATABLE READ its gap locks made workers deadlock).
                let tx = db.begin_isolated(orm_core::Isolation::ReadCommitted).await?;
                let next = Job::find()
                    .filter(Job::STATE.eq("queued"))
                    .order_by(Job::ID.asc())
                    .limit(1)
                    .lock(Lock::Update)
                    .skip_locked()
                    .one(&tx)
                    .await?;
                let Some(mut job) = next else {
                    tx.commit().await?;
                    return Ok::<_, Error>(taken);
                };
                job.state = "done".into();
                job.worker = Some(w);
                job.save(&tx).await?;
                tx.commit().await?;
                taken += 1;
            }
        }));
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap().unwrap();
    }
    assert_eq!(total, 1_000, "every job taken once");
    let done = Job::find().filter(Job::STATE.eq("done")).count(&t.db).await.unwrap();
    assert_eq!(done, 1_000);
    assert_eq!(Job::find().filter(Job::WORKER.is_null()).count(&t.db).await.unwrap(), 0);
}

macro_rules! lock_tests {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::run(orm_tests::Backend::Sqlite, stringify!($name), super::$name).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::run(orm_tests::Backend::Postgres, stringify!($name), super::$name).await } )* }
        mod mysql { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::run(orm_tests::Backend::MySql, stringify!($name), super::$name).await } )* }
    };
}

async fn run(backend: Backend, name: &str, f: impl AsyncFnOnce(&TestDb)) {
    let test = format!("locks::{backend:?}::{name}");
    if let Some(t) = setup(backend, &test).await {
        f(&t).await;
        t.cleanup().await;
    }
}

lock_tests!(
    outside_a_transaction_is_refused,
    a_locked_row_blocks_nowait_fails_skip_locked_skips,
    workers_drain_a_queue_each_job_once
);
