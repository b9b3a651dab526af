//! Transactions: commit, rollback on Err / panic / drop, savepoints,
//! isolation levels, pool exhaustion, and cancellation safety.

use orm_core::prelude::*;
use orm_core::{Isolation, raw};
use orm_tests::models::*;
use orm_tests::{Backend, TestDb};
use std::time::{Duration, Instant};

fn new(name: &str) -> NewCountry {
    NewCountry {
        code: name.into(),
        name: name.into(),
        population: None,
    }
}

async fn count(db: &impl Executor) -> i64 {
    Country::find().count(db).await.unwrap()
}

async fn rollback_on_err_panic_and_drop(t: &TestDb) {
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    let ok = t.db.transaction(async |tx| Country::create(tx, new("AA")).await).await;
    assert!(ok.is_ok());
    let err: Result<()> =
        t.db.transaction(async |tx| {
            Country::create(tx, new("BB")).await?;
            Country::create(tx, new("AA")).await?; // duplicate key
            Ok(())
        })
        .await;
    assert!(matches!(err, Err(Error::UniqueViolation { .. })), "{err:?}");
    assert_eq!(count(&t.db).await, 1, "BB was rolled back with the failed transaction");

    let db = t.db.clone();
    let panicked = tokio::spawn(async move {
        let _: Result<()> = db
            .transaction(async |tx| {
                Country::create(tx, new("CC")).await?;
                panic!("boom");
            })
            .await;
    })
    .await;
    assert!(
        panicked.is_err_and(|e| e.is_panic()),
        "the panic goes on after the rollback"
    );
    assert_eq!(count(&t.db).await, 1, "CC was rolled back on panic");

    {
        let tx = t.db.begin().await.unwrap();
        Country::create(&tx, new("DD")).await.unwrap();
        assert_eq!(count(&tx).await, 2, "visible inside");
    } // dropped without commit
    assert_eq!(count(&t.db).await, 1, "DD was rolled back on drop");

    let tx = t.db.begin().await.unwrap();
    Country::create(&tx, new("EE")).await.unwrap();
    tx.rollback().await.unwrap();
    let tx = t.db.begin().await.unwrap();
    Country::create(&tx, new("FF")).await.unwrap();
    tx.commit().await.unwrap();
    let codes: Vec<String> = Country::find()
        .order_by(Country::CODE)
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(codes, ["AA", "FF"]);
}

async fn savepoints(t: &TestDb) {
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        Country::create(tx, new("O1")).await?;
        let inner: Result<()> = tx
            .transaction(async |sp| {
                Country::create(sp, new("I1")).await?;
                Err(Error::NotFound { model: "x" })
            })
            .await;
        assert!(inner.is_err());
        tx.transaction(async |sp| {
            Country::create(sp, new("I2")).await?;
            // Three levels: the innermost is undone alone.
            let deep: Result<()> = sp
                .transaction(async |sp2| {
                    Country::create(sp2, new("I3")).await?;
                    Err(Error::NotFound { model: "x" })
                })
                .await;
            assert!(deep.is_err());
            Ok(())
        })
        .await?;
        {
            let manual = tx.begin().await?;
            Country::create(&manual, new("I4")).await?;
        } // dropped: rolled back before the next statement
        Country::create(tx, new("O2")).await?;
        Ok(())
    })
    .await
    .unwrap();
    let codes: Vec<String> = Country::find()
        .order_by(Country::CODE)
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(codes, ["I2", "O1", "O2"]);
}

async fn isolation_level_is_applied(t: &TestDb) {
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    let tx = t.db.begin_isolated(Isolation::Serializable).await.unwrap();
    match t.backend {
        Backend::Postgres => {
            let level: Vec<String> = raw("SHOW transaction_isolation").fetch_scalars(&tx).await.unwrap();
            assert_eq!(level, ["serializable"]);
        }
        Backend::MySql => {
            let _ = count(&tx).await; // start the InnoDB transaction
            let level: Vec<String> = raw("SELECT CAST(trx_isolation_level AS CHAR) FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()")
                .fetch_scalars(&tx)
                .await
                .unwrap();
            assert_eq!(level, ["SERIALIZABLE"]);
        }
        Backend::Sqlite => {
            // SQLite transactions are serializable; the level is accepted.
            assert_eq!(count(&tx).await, 0);
        }
    }
    tx.commit().await.unwrap();
    let tx = t.db.begin_isolated(Isolation::ReadCommitted).await.unwrap();
    if t.backend == Backend::Postgres {
        let level: Vec<String> = raw("SHOW transaction_isolation").fetch_scalars(&tx).await.unwrap();
        assert_eq!(level, ["read committed"]);
    }
    tx.rollback().await.unwrap();
}

/// A transaction on a held connection (`Db::acquire`): committed, rolled
/// back, nested, and dropped unfinished — the connection stays held and
/// usable throughout.
async fn transaction_on_a_held_connection(t: &TestDb) {
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    let conn = t.db.acquire().await.unwrap();
    let tx = conn.begin().await.unwrap();
    Country::create(&tx, new("AA")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(&conn).await, 0);
    conn.transaction(async |tx| -> orm_core::Result<_> {
        Country::create(tx, new("BB")).await?;
        let inner: Result<()> = tx
            .transaction(async |sp| {
                Country::create(sp, new("CC")).await?;
                Err(Error::NotFound { model: "Country" })
            })
            .await;
        assert!(inner.is_err());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(count(&conn).await, 1, "BB committed, CC rolled back with its savepoint");
    {
        let tx = conn.begin().await.unwrap();
        Country::create(&tx, new("DD")).await.unwrap();
        // dropped without commit
    }
    assert_eq!(count(&conn).await, 1, "DD rolled back before the next statement");
    conn.release().await;
    assert_eq!(count(&t.db).await, 1);
}

orm_tests::dialect_tests!(
    rollback_on_err_panic_and_drop,
    savepoints,
    isolation_level_is_applied,
    transaction_on_a_held_connection
);

async fn pool_exhaustion(backend: Backend) {
    let test = format!("tx::pool_{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &test, |b| {
        b.max_connections(1).acquire_timeout(Duration::from_millis(300))
    })
    .await
    else {
        return;
    };
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    let tx = t.db.begin().await.unwrap();
    let started = Instant::now();
    let err = Country::find()
        .count(&t.db)
        .await
        .expect_err("the only connection is held by the transaction");
    let waited = started.elapsed();
    assert!(matches!(err, Error::PoolTimeout { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    Country::create(&tx, new("OK")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&t.db).await, 1, "the pool works again after commit");
    t.cleanup().await;
}

/// Whether the pool's (single) connection is inside a transaction.
async fn pooled_connection_in_transaction(t: &TestDb) -> bool {
    match t.backend {
        Backend::Postgres => {
            // Outside a transaction every statement gets its own transaction id.
            let a: Vec<i64> = raw("SELECT txid_current()").fetch_scalars(&t.db).await.unwrap();
            let b: Vec<i64> = raw("SELECT txid_current()").fetch_scalars(&t.db).await.unwrap();
            a == b
        }
        Backend::MySql => {
            let v: Vec<i64> = raw("SELECT CAST(@@in_transaction AS SIGNED)")
                .fetch_scalars(&t.db)
                .await
                .unwrap();
            v[0] != 0
        }
        Backend::Sqlite => {
            // BEGIN fails inside a transaction.
            // BEGIN fails inside a transaction; a successful one is undone (pool of one).
            match raw("BEGIN").execute(&t.db).await {
                Ok(_) => {
                    raw("ROLLBACK").execute(&t.db).await.unwrap();
                    false
                }
                Err(_) => true,
            }
        }
    }
}

async fn cancellation_never_leaks_a_transaction(backend: Backend) {
    let test = format!("tx::cancel_{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &test, |b| {
        b.max_connections(1).acquire_timeout(Duration::from_secs(5))
    })
    .await
    else {
        return;
    };
    Schema::new().model::<Country>().sync(&t.db).await.unwrap();
    let runs = 120;
    let mut committed = 0;
    let mut leaked = 0;
    for i in 0..runs {
        // Deadlines from 0 to 1.5 ms land before, inside and after BEGIN/INSERT/COMMIT.
        let deadline = Duration::from_micros((i * 13 % 1_500) as u64);
        let db = t.db.clone();
        let code: String = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8]
            .iter()
            .map(|&b| b as char)
            .collect();
        let res = tokio::time::timeout(deadline, async move {
            let tx = db.begin().await?;
            Country::create(
                &tx,
                NewCountry {
                    code: code.clone(),
                    name: code,
                    population: None,
                },
            )
            .await?;
            tx.commit().await
        })
        .await;
        if matches!(res, Ok(Ok(()))) {
            committed += 1;
        }
        if let Ok(Err(e)) = &res {
            panic!("a transaction that was not cancelled failed: {e}");
        }
        if pooled_connection_in_transaction(&t).await {
            leaked += 1;
        }
    }
    let rows = count(&t.db).await;
    println!(
        "{backend:?}: {runs} cancelled-or-finished transactions, {committed} reported committed, {rows} rows, {leaked} leaked connections"
    );
    assert_eq!(leaked, 0, "no pooled connection was left inside a transaction");
    assert!(rows >= committed, "every reported commit is durable");
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhaustion_sqlite() {
    pool_exhaustion(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhaustion_postgres() {
    pool_exhaustion(Backend::Postgres).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_exhaustion_mysql() {
    pool_exhaustion(Backend::MySql).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_sqlite() {
    cancellation_never_leaks_a_transaction(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_postgres() {
    cancellation_never_leaks_a_transaction(Backend::Postgres).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_mysql() {
    cancellation_never_leaks_a_transaction(Backend::MySql).await;
}
