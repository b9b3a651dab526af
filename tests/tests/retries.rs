//! `Db::transaction_retry` and `Error::TransactionConflict` (issue 29 §1):
//! a transaction that loses a deadlock or a serialization check runs again
//! from the start, with real concurrent sessions on the servers.

use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[derive(Model, Debug, Clone)]
#[orm(table = "rt_accounts", timestamps = false)]
struct Account {
    id: i64,
    n: i64,
}

async fn accounts(t: &TestDb) {
    Schema::new().model::<Account>().sync(&t.db).await.unwrap();
    for _ in 0..2 {
        Account::create(&t.db, NewAccount { n: 0 }).await.unwrap();
    }
}

fn conflict() -> Error {
    Error::TransactionConflict {
        message: "as a deadlock victim sees it".into(),
    }
}

async fn each_run_starts_afresh(t: &TestDb) {
    accounts(t).await;
    let mut runs = 0;
    let got =
        t.db.transaction_retry(3, async |tx| {
            runs += 1;
            Account::create(tx, NewAccount { n: 10 }).await?;
            if runs == 1 {
                return Err(conflict());
            }
            Ok(runs)
        })
        .await
        .unwrap();
    assert_eq!(got, 2);
    // The first run's row was rolled back with it.
    assert_eq!(Account::find().filter(Account::N.eq(10)).count(&t.db).await.unwrap(), 1);
}

async fn gives_up_after_the_last_try(t: &TestDb) {
    let mut runs = 0;
    let r: Result<()> =
        t.db.transaction_retry(3, async |_| {
            runs += 1;
            Err(conflict())
        })
        .await;
    assert!(matches!(r, Err(Error::TransactionConflict { .. })), "{r:?}");
    assert_eq!(runs, 3);
    // Any other error ends it at once.
    let mut runs = 0;
    let r: Result<()> =
        t.db.transaction_retry(3, async |_| {
            runs += 1;
            Err(Error::NotFound { model: "x" })
        })
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })));
    assert_eq!(runs, 1);
    assert_eq!(conflict().status_code(), 409);
}

/// Two transactions take the same two rows in opposite orders. On the
/// servers one of them is the deadlock victim (PostgreSQL 40P01 after its
/// deadlock_timeout, MariaDB 1213 at once) and runs again; SQLite's writers
/// queue at `BEGIN IMMEDIATE` instead. Either way both moves land.
async fn a_deadlock_victim_runs_again(t: &TestDb) {
    accounts(t).await;
    let meet = t.dialect() != Dialect::Sqlite;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let runs = Arc::new(AtomicU32::new(0));
    let mover = |first: i64, second: i64| {
        let (db, barrier, runs) = (t.db.clone(), barrier.clone(), runs.clone());
        async move {
            let mut mine = 0;
            db.transaction_retry(5, async |tx| -> orm_core::Result<_> {
                mine += 1;
                runs.fetch_add(1, Ordering::SeqCst);
                let bump = "UPDATE rt_accounts SET n = n + 1 WHERE id = ?";
                raw(bump).bind(first).execute(tx).await?;
                if meet && mine == 1 {
                    // Both hold their first row before either asks for its second.
                    let _ = tokio::time::timeout(Duration::from_secs(10), barrier.wait()).await;
                }
                raw(bump).bind(second).execute(tx).await?;
                Ok(())
            })
            .await
        }
    };
    // One task, two sessions: join! polls both as each waits on its server.
    let (a, b) = tokio::join!(mover(1, 2), mover(2, 1));
    a.unwrap();
    b.unwrap();
    let ns: Vec<i64> = Account::find()
        .order_by(Account::ID.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.n)
        .collect();
    assert_eq!(ns, [2, 2], "both moves landed once");
    if meet {
        assert!(runs.load(Ordering::SeqCst) >= 3, "the victim ran again");
    }
}

dialect_tests!(
    each_run_starts_afresh,
    gives_up_after_the_last_try,
    a_deadlock_victim_runs_again
);
