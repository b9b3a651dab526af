//! `DbBuilder::statement_timeout` and `lock_timeout` (issue 29 §3): the
//! database cancels a statement that runs too long (`Error::Timeout`, the
//! connection still usable, nothing left running on the server), and a
//! lock wait gives up (`Error::LockNotAvailable`), with real sessions.

use orm_core::Condition;
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests, shared_dialect_tests};
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone)]
#[orm(table = "to_rows", timestamps = false)]
struct Row {
    id: i64,
    n: i64,
}

/// A statement that runs for seconds (SQLite: counts for ever).
fn slow(d: Dialect, tag: &str) -> String {
    match d {
        Dialect::Postgres => format!("SELECT CAST(pg_sleep(5) AS TEXT) /* {tag} */"),
        Dialect::MySql => format!("SELECT CAST(SLEEP(5) AS CHAR) /* {tag} */"),
        _ => "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT CAST(count(*) AS TEXT) FROM n"
            .to_owned(),
    }
}

/// Statements with `tag` in their text still running on the server.
async fn running(t: &TestDb, tag: &str) -> i64 {
    let like = format!("%{tag}%");
    let sql = match t.dialect() {
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE ? AND pid <> pg_backend_pid()"
        }
        Dialect::MySql => {
            "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()"
        }
        _ => return 0,
    };
    raw(sql).bind(like).fetch_scalars::<i64, _>(&t.db).await.unwrap()[0]
}

async fn a_statement_past_its_timeout_is_cancelled(t: &TestDb) {
    let db = Db::builder(t.url.clone())
        .max_connections(1)
        .statement_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let tag = format!("orm_timeout_{}", t.namespace());
    let started = Instant::now();
    let err = raw(slow(t.dialect(), &tag))
        .fetch_scalars::<String, _>(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(err.status_code(), 504);
    assert_eq!(running(t, &tag).await, 0, "cancelled on the server, not left running");
    // The one connection of the pool still works, and quick statements pass.
    assert_eq!(raw("SELECT 1").fetch_scalars::<i64, _>(&db).await.unwrap(), [1]);
    db.close().await;
}

async fn a_lock_wait_gives_up_after_lock_timeout(t: &TestDb) {
    Schema::new().model::<Row>().sync(&t.db).await.unwrap();
    let row = Row::create(&t.db, NewRow { n: 0 }).await.unwrap();
    // Whole seconds on MariaDB, so 1 s everywhere.
    let waiter = Db::builder(t.url.clone())
        .max_connections(1)
        .lock_timeout(Duration::from_secs(1))
        .connect()
        .await
        .unwrap();
    let holder = t.db.begin().await.unwrap();
    raw("UPDATE to_rows SET n = 1 WHERE id = ?")
        .bind(row.id)
        .execute(&holder)
        .await
        .unwrap();
    let started = Instant::now();
    let err = raw("UPDATE to_rows SET n = 2 WHERE id = ?")
        .bind(row.id)
        .execute(&waiter)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockNotAvailable), "{err:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    holder.rollback().await.unwrap();
    // Free again: the waiter's connection is fine.
    raw("UPDATE to_rows SET n = 2 WHERE id = ?")
        .bind(row.id)
        .execute(&waiter)
        .await
        .unwrap();
    waiter.close().await;
}

/// `Find::timeout`: one query's own limit, on a pool without one.
async fn a_query_with_its_own_timeout_is_cancelled(t: &TestDb) {
    Schema::new().model::<Row>().sync(&t.db).await.unwrap();
    Row::create(&t.db, NewRow { n: 1 }).await.unwrap();
    let tag = format!("orm_find_timeout_{}", t.namespace());
    let slow = match t.dialect() {
        Dialect::Postgres => format!("CAST(pg_sleep(5) AS TEXT) <> '{tag}'"),
        Dialect::MySql => format!("CAST(SLEEP(5) AS CHAR) <> '{tag}'"),
        _ => "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n) > 0".to_owned(),
    };
    let started = Instant::now();
    let err = Row::find()
        .filter(Condition::sql(slow.as_str(), Vec::<i64>::new()))
        .timeout(Duration::from_millis(300))
        .all(&t.db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(running(t, &tag).await, 0, "cancelled on the server");
    // Quick statements under a timeout run as usual, writes included.
    let rows = Row::find().timeout(Duration::from_secs(5)).all(&t.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    let changed = Row::find()
        .filter(Row::N.eq(1))
        .timeout(Duration::from_secs(5))
        .update(&t.db, RowPatch { n: Some(2) })
        .await
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(Row::find().filter(Row::N.eq(2)).count(&t.db).await.unwrap(), 1);
    // Nothing of it stays on the pool.
    assert_eq!(Row::find().count(&t.db).await.unwrap(), 1);
}

/// `Find::timeout` on a transaction: the limit is the statement's alone
/// (the next statement of the transaction runs without it), and the
/// statement past it is cancelled on the server.
async fn a_query_timeout_applies_inside_a_transaction(t: &TestDb) {
    Schema::new().model::<Row>().sync(&t.db).await.unwrap();
    Row::create(&t.db, NewRow { n: 1 }).await.unwrap();
    let medium = match t.dialect() {
        Dialect::Postgres => "SELECT CAST(pg_sleep(0.6) AS TEXT)",
        Dialect::MySql => "SELECT CAST(SLEEP(0.6) AS CHAR)",
        _ => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT CAST(count(*) AS TEXT) FROM n"
        }
    };
    let show = "SELECT CAST(current_setting('statement_timeout') AS TEXT)";
    let tx = t.db.begin().await.unwrap();
    let before = match t.dialect() {
        Dialect::Postgres => raw(show).fetch_scalars::<String, _>(&tx).await.unwrap(),
        _ => Vec::new(),
    };
    let rows = Row::find().timeout(Duration::from_millis(200)).all(&tx).await.unwrap();
    assert_eq!(rows.len(), 1);
    let n = Row::find()
        .filter(Row::N.eq(1))
        .timeout(Duration::from_millis(200))
        .update(&tx, RowPatch { n: Some(5) })
        .await
        .unwrap();
    assert_eq!(n, 1);
    if t.dialect() == Dialect::Postgres {
        let after = raw(show).fetch_scalars::<String, _>(&tx).await.unwrap();
        assert_eq!(after, before, "the transaction's own statement_timeout is back");
    }
    // Longer than the query's limit, and not cancelled: the limit did not stay.
    raw(medium).fetch_scalars::<String, _>(&tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(Row::find().filter(Row::N.eq(5)).count(&t.db).await.unwrap(), 1);

    let tag = format!("orm_tx_timeout_{}", t.namespace());
    let slow = match t.dialect() {
        Dialect::Postgres => format!("CAST(pg_sleep(5) AS TEXT) <> '{tag}'"),
        Dialect::MySql => format!("CAST(SLEEP(5) AS CHAR) <> '{tag}'"),
        _ => "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n) > 0".to_owned(),
    };
    let started = Instant::now();
    let err =
        t.db.transaction(async |tx| {
            Row::create(tx, NewRow { n: 7 }).await?;
            Row::find()
                .filter(Condition::sql(slow.as_str(), Vec::<i64>::new()))
                .timeout(Duration::from_millis(300))
                .all(tx)
                .await
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(running(t, &tag).await, 0, "cancelled on the server");
    assert_eq!(
        Row::find().filter(Row::N.eq(7)).count(&t.db).await.unwrap(),
        0,
        "rolled back"
    );
}

/// `&db` used by mistake inside a transaction closure: the statement waits
/// on a row the transaction itself holds. It ends after a few seconds with
/// an error naming that cause, and the transaction goes on unharmed.
async fn db_inside_a_transaction_names_the_cause(t: &TestDb) {
    Schema::new().model::<Row>().sync(&t.db).await.unwrap();
    let row = Row::create(&t.db, NewRow { n: 0 }).await.unwrap();
    let bump = "UPDATE to_rows SET n = n + 1 WHERE id = ?";
    let started = Instant::now();
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        raw(bump).bind(row.id).execute(tx).await?;
        let read = Row::find().count(&t.db).await;
        let other = Row::create(&t.db, NewRow { n: 100 }).await;
        if t.dialect() == Dialect::Sqlite {
            // An in-memory database has one writer and no readers beside
            // it: both wait on the transaction, and are told so.
            assert!(matches!(read, Err(Error::InvalidQuery { .. })), "{read:?}");
            assert!(matches!(other, Err(Error::InvalidQuery { .. })), "{other:?}");
        } else {
            // On the servers, reads and writes that wait on nothing pass as usual.
            assert_eq!(read?, 1);
            other?;
        }
        // The mistake: the row is the transaction's own.
        let err = raw(bump).bind(row.id).execute(&t.db).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidQuery { message } if message.contains("`&db`") && message.contains("`tx`")),
            "{err:?}"
        );
        // The same through a second transaction begun inside the closure.
        let err =
            t.db.transaction(async |other| raw(bump).bind(row.id).execute(other).await)
                .await
                .unwrap_err();
        assert!(matches!(&err, Error::InvalidQuery { .. }), "{err:?}");
        raw(bump).bind(row.id).execute(tx).await?;
        Ok(())
    })
    .await
    .unwrap();
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(15), "two bounded waits: {waited:?}");
    let ns: Vec<i64> = Row::find()
        .order_by(Row::ID.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.n)
        .collect();
    let expected: &[i64] = if t.dialect() == Dialect::Sqlite {
        &[2]
    } else {
        &[2, 100]
    };
    assert_eq!(
        ns, expected,
        "the transaction's two updates landed, the mistaken ones did not"
    );
    // Outside a transaction closure the same statement is an ordinary one.
    raw(bump).bind(row.id).execute(&t.db).await.unwrap();
}

dialect_tests!(
    db_inside_a_transaction_names_the_cause,
    a_statement_past_its_timeout_is_cancelled,
    a_query_with_its_own_timeout_is_cancelled,
    a_query_timeout_applies_inside_a_transaction
);
shared_dialect_tests!(a_lock_wait_gives_up_after_lock_timeout);
