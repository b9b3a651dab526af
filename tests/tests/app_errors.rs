//! Transactions whose closures return the application's own error type
//! (issue 29 §1): any `E: From<orm_core::Error>`, rolled back on `Err`,
//! committed on `Ok`; `transaction_retry` reruns on a database conflict
//! even when the closure turned it into its own error.

use orm_core::prelude::*;
use orm_core::{Isolation, Lock};
use orm_tests::{TestDb, dialect_tests};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Model, Debug, Clone)]
#[orm(table = "ae_stock", timestamps = false)]
struct Stock {
    id: i64,
    qty: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "ae_moves", timestamps = false)]
struct Move {
    id: i64,
    n: i64,
}

/// An application's error, as a service would write it.
#[derive(Debug)]
enum AppError {
    Db(Error),
    Gone,
    Insufficient { have: i64 },
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Db(e)
    }
}

async fn setup(t: &TestDb) -> i64 {
    Schema::new()
        .model::<Stock>()
        .model::<Move>()
        .sync(&t.db)
        .await
        .unwrap();
    Stock::create(&t.db, NewStock { qty: 5 }).await.unwrap().id
}

/// Move `n` out of stock `id`, SPEC's "A developer's day" shape.
async fn take(db: &Db, id: i64, n: i64, metric: Arc<AtomicU32>) -> std::result::Result<i64, AppError> {
    db.transaction(async |tx| -> std::result::Result<i64, AppError> {
        let stock = Stock::find_by_pk(id)
            .lock(Lock::Update)
            .one(tx)
            .await?
            .ok_or(AppError::Gone)?;
        // Written before the check: must be undone when the check fails.
        Move::create(tx, NewMove { n }).await?;
        if stock.qty < n {
            return Err(AppError::Insufficient { have: stock.qty });
        }
        Stock::find_by_pk(id)
            .update(
                tx,
                StockPatch {
                    qty: Some(stock.qty - n),
                },
            )
            .await?;
        let m = metric.clone();
        tx.after_commit(move || {
            m.fetch_add(1, Ordering::SeqCst);
        });
        Ok(stock.qty - n)
    })
    .await
}

async fn own_error_rolls_back_ok_commits(t: &TestDb) {
    let id = setup(t).await;
    let metric = Arc::new(AtomicU32::new(0));
    assert_eq!(take(&t.db, id, 3, metric.clone()).await.unwrap(), 2);
    assert_eq!(metric.load(Ordering::SeqCst), 1, "after_commit ran once");

    let err = take(&t.db, id, 3, metric.clone()).await.unwrap_err();
    assert!(matches!(err, AppError::Insufficient { have: 2 }), "{err:?}");
    assert_eq!(metric.load(Ordering::SeqCst), 1, "no after_commit for a rollback");
    // The move written before the refusal is gone; the stock is as it was.
    assert_eq!(Move::find().count(&t.db).await.unwrap(), 1);
    assert_eq!(Stock::find_by_pk(id).one(&t.db).await.unwrap().unwrap().qty, 2);

    let err = take(&t.db, id + 100, 1, metric.clone()).await.unwrap_err();
    assert!(matches!(err, AppError::Gone), "{err:?}");
    // A database error arrives as the app's own variant, the ORM's kind kept.
    let err =
        t.db.transaction(async |tx| -> std::result::Result<(), AppError> {
            raw("UPDATE ae_no_such_table SET x = 1").execute(tx).await?;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Db(Error::Database { .. })), "{err:?}");
}

/// A savepoint and an isolation level take the app's error too; the
/// savepoint's `Err` undoes only its own work.
async fn savepoints_and_isolation_take_own_errors(t: &TestDb) {
    setup(t).await;
    let inner_failed = Mutex::new(false);
    t.db.transaction_isolated(
        Isolation::Serializable,
        async |tx| -> std::result::Result<(), AppError> {
            Move::create(tx, NewMove { n: 1 }).await?;
            let inner = tx
                .transaction(async |sp| -> std::result::Result<(), AppError> {
                    Move::create(sp, NewMove { n: 2 }).await?;
                    Err(AppError::Insufficient { have: 0 })
                })
                .await;
            *inner_failed.lock().unwrap() = matches!(inner, Err(AppError::Insufficient { .. }));
            Ok(())
        },
    )
    .await
    .unwrap();
    assert!(*inner_failed.lock().unwrap());
    let ns: Vec<i64> = Move::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.n)
        .collect();
    assert_eq!(ns, [1], "the savepoint's row went with it, the outer row stayed");
}

/// The deadlock of `retries.rs`, with closures that turn every database
/// error into their own type: the transaction saw the conflict, so the
/// victim still runs again.
async fn retry_sees_a_conflict_behind_an_own_error(t: &TestDb) {
    setup(t).await;
    Stock::create(&t.db, NewStock { qty: 5 }).await.unwrap();
    let meet = t.dialect() != Dialect::Sqlite;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let runs = Arc::new(AtomicU32::new(0));
    let conflicts_seen = Arc::new(AtomicU32::new(0));
    let mover = |first: i64, second: i64| {
        let (db, barrier, runs, seen) = (t.db.clone(), barrier.clone(), runs.clone(), conflicts_seen.clone());
        async move {
            let mut mine = 0;
            db.transaction_retry(5, async |tx| -> std::result::Result<(), AppError> {
                mine += 1;
                runs.fetch_add(1, Ordering::SeqCst);
                let bump = "UPDATE ae_stock SET qty = qty + 1 WHERE id = ?";
                let note = |e: Error| {
                    if matches!(e, Error::TransactionConflict { .. }) {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                    AppError::Db(e)
                };
                raw(bump).bind(first).execute(tx).await.map_err(note)?;
                if meet && mine == 1 {
                    let _ = tokio::time::timeout(Duration::from_secs(10), barrier.wait()).await;
                }
                raw(bump).bind(second).execute(tx).await.map_err(note)?;
                Ok(())
            })
            .await
        }
    };
    let (a, b) = tokio::join!(mover(1, 2), mover(2, 1));
    a.unwrap();
    b.unwrap();
    let qty: Vec<i64> = Stock::find()
        .order_by(Stock::ID.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.qty)
        .collect();
    assert_eq!(qty, [7, 7], "both moves landed once");
    if meet {
        assert!(conflicts_seen.load(Ordering::SeqCst) >= 1, "a deadlock happened");
        assert!(runs.load(Ordering::SeqCst) >= 3, "the victim ran again");
    }
}

/// An own error that is not a conflict ends `transaction_retry` at once.
async fn retry_stops_on_other_own_errors(t: &TestDb) {
    setup(t).await;
    let mut runs = 0;
    let r =
        t.db.transaction_retry(4, async |tx| -> std::result::Result<(), AppError> {
            runs += 1;
            Move::create(tx, NewMove { n: runs }).await?;
            Err(AppError::Gone)
        })
        .await;
    assert!(matches!(r, Err(AppError::Gone)));
    assert_eq!(runs, 1);
    assert_eq!(Move::find().count(&t.db).await.unwrap(), 0);
}

dialect_tests!(
    own_error_rolls_back_ok_commits,
    savepoints_and_isolation_take_own_errors,
    retry_sees_a_conflict_behind_an_own_error,
    retry_stops_on_other_own_errors
);
