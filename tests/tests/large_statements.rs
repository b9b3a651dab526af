//! Large statements and the pool. After a bulk insert or a large value,
//! every dialect reads back exactly what was written. On MariaDB/MySQL the
//! connection that carried such a statement is closed when it goes back to
//! the pool: the server grows a connection's network buffer to the largest
//! packet it received, never shrinks it, and sends results a buffer at a
//! time, so every later read on that connection arrived in pieces of the
//! bulk insert's size and the client waited for most of the result before
//! decoding any of it. A connection that carried only small statements is
//! kept, on every dialect.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb};

/// Which server session answers (SQLite has none to tell apart: `None`).
async fn session(t: &TestDb) -> Option<i64> {
    let sql = match t.backend {
        Backend::Sqlite => return None,
        Backend::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT)",
        Backend::MySql => "SELECT CONNECTION_ID()",
    };
    Some(raw(sql).fetch_scalars::<i64, _>(&t.db).await.unwrap()[0])
}

fn user(i: usize, bio: &str) -> NewUser {
    NewUser {
        name: format!("Writer {i}"),
        email: format!("w{i}@example.com"),
        role: None,
        age: Some((i % 100) as i32),
        bio: Some(format!("{i}:{bio}")),
        visits: None,
    }
}

/// Whether a statement of 300 KB leaves the next one a new session.
fn replaced_after_large(backend: Backend) -> bool {
    backend == Backend::MySql
}

async fn large_statements_and_the_pool(backend: Backend) {
    let name = format!("large_statements::{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &name, |b| b.max_connections(1)).await else {
        return;
    };
    Schema::new().model::<User>().sync(&t.db).await.unwrap();

    // Small statements keep their connection everywhere.
    let first = session(&t).await;
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
    assert_eq!(session(&t).await, first, "small statements keep the connection");

    // A bulk insert of about 300 KB in one statement.
    let bio = "b".repeat(1_000);
    let rows: Vec<NewUser> = (0..300).map(|i| user(i, &bio)).collect();
    let stored = User::bulk_create(&t.db, rows.clone()).await.unwrap();
    assert_eq!(stored.len(), 300);
    let after_bulk = session(&t).await;
    if replaced_after_large(backend) {
        assert_ne!(after_bulk, first, "the connection that carried 300 KB is not reused");
    } else {
        assert_eq!(after_bulk, first);
    }
    assert_eq!(session(&t).await, after_bulk, "the new connection is kept");

    // Every row reads back as written, in Rust's order of the keys.
    let read = User::find().order_by(User::ID.asc()).all(&t.db).await.unwrap();
    let mut want: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.email.clone(), r.bio.clone())).collect();
    let mut got: Vec<(String, Option<String>)> = read.iter().map(|u| (u.email.clone(), u.bio.clone())).collect();
    assert_eq!(got.len(), want.len());
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // One large value, bound.
    let big = "x".repeat(100_000);
    let before = session(&t).await;
    let len: Vec<i64> = raw(match backend {
        Backend::Postgres => "SELECT CAST(LENGTH($1) AS BIGINT)",
        _ => "SELECT LENGTH(?)",
    })
    .bind(big.clone())
    .fetch_scalars(&t.db)
    .await
    .unwrap();
    assert_eq!(len, vec![100_000]);
    let after_value = session(&t).await;
    assert_eq!(
        after_value != before,
        replaced_after_large(backend),
        "{before:?} {after_value:?}"
    );

    // Inside a transaction the connection stays until the end, whatever
    // went over it; the transaction sees its own rows and commits them.
    let more: Vec<NewUser> = (300..600).map(|i| user(i, &bio)).collect();
    let (inside, seen) =
        t.db.transaction(async |tx| -> orm_core::Result<_> {
            let at_start = match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(
                    raw("SELECT CAST(pg_backend_pid() AS BIGINT)")
                        .fetch_scalars::<i64, _>(tx)
                        .await?[0],
                ),
                Backend::MySql => Some(raw("SELECT CONNECTION_ID()").fetch_scalars::<i64, _>(tx).await?[0]),
            };
            User::bulk_create(tx, more.clone()).await?;
            let at_end = match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(
                    raw("SELECT CAST(pg_backend_pid() AS BIGINT)")
                        .fetch_scalars::<i64, _>(tx)
                        .await?[0],
                ),
                Backend::MySql => Some(raw("SELECT CONNECTION_ID()").fetch_scalars::<i64, _>(tx).await?[0]),
            };
            assert_eq!(at_start, at_end, "one connection for the whole transaction");
            Ok((at_end, User::find().count(tx).await?))
        })
        .await
        .unwrap();
    assert_eq!(seen, 600);
    assert_eq!(User::find().count(&t.db).await.unwrap(), 600);
    let after_tx = session(&t).await;
    assert_eq!(
        after_tx != inside,
        replaced_after_large(backend),
        "{inside:?} {after_tx:?}"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn large_statements_sqlite() {
    large_statements_and_the_pool(Backend::Sqlite).await;
}

#[tokio::test]
async fn large_statements_postgres() {
    large_statements_and_the_pool(Backend::Postgres).await;
}

#[tokio::test]
async fn large_statements_mysql() {
    large_statements_and_the_pool(Backend::MySql).await;
}
