//! Large statements and the pool. After a bulk insert or a large value,
//! every dialect reads back exactly what was written. On MariaDB/MySQL the
//! server grows a connection's network buffer to the largest packet it
//! received, never shrinks it, and sends results a buffer at a time, so a
//! read on such a connection arrived in pieces of the bulk insert's size and
//! the client waited for most of the result before decoding any of it. The
//! pool keeps such a "worn" connection (up to half the pool) for the next
//! large statement or transaction and gives small statements another one;
//! on the other dialects nothing wears and the warmest connection serves.

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

async fn large_statements_and_the_pool(backend: Backend) {
    let name = format!("large_statements::{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &name, |b| b.max_connections(2)).await else {
        return;
    };
    // Only MariaDB/MySQL connections wear.
    let wears = backend == Backend::MySql;
    Schema::new().model::<User>().sync(&t.db).await.unwrap();

    // Small statements keep their connection everywhere.
    let first = session(&t).await;
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
    assert_eq!(session(&t).await, first, "small statements keep the connection");

    // A bulk insert of about 300 KB in one statement (in a transaction).
    let bio = "b".repeat(1_000);
    let rows: Vec<NewUser> = (0..300).map(|i| user(i, &bio)).collect();
    let stored = User::bulk_create(&t.db, rows.clone()).await.unwrap();
    assert_eq!(stored.len(), 300);
    // Reads go elsewhere (a new connection: the limit allows one more).
    let reader = session(&t).await;
    assert_eq!(reader != first, wears, "{first:?} {reader:?}");
    assert_eq!(session(&t).await, reader, "the reader's connection is kept");

    // Every row reads back as written.
    let read = User::find().order_by(User::ID.asc()).all(&t.db).await.unwrap();
    let mut want: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.email.clone(), r.bio.clone())).collect();
    let mut got: Vec<(String, Option<String>)> = read.iter().map(|u| (u.email.clone(), u.bio.clone())).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // One large value, bound: a large statement takes the worn connection
    // (the bulk writer's, whose buffer is already large), not the reader's.
    let big = "x".repeat(100_000);
    let (on, len): (i64, i64) = raw(match backend {
        Backend::Sqlite => "SELECT 0, LENGTH(?)",
        Backend::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT), CAST(LENGTH($1) AS BIGINT)",
        Backend::MySql => "SELECT CONNECTION_ID(), LENGTH(?)",
    })
    .bind(big.clone())
    .fetch_as(&t.db)
    .await
    .unwrap()[0];
    assert_eq!(len, 100_000);
    if backend != Backend::Sqlite {
        assert_eq!(Some(on), first, "the large statement ran on the worn connection");
    }
    let next_reader = session(&t).await;
    assert_eq!(
        next_reader, reader,
        "small statements still run on the reader's connection"
    );

    // A transaction takes the worn connection first (the bulk writer's),
    // keeps it to the end whatever goes over it, sees its own rows and
    // commits them; reads still go to the reader's connection.
    let more: Vec<NewUser> = (300..600).map(|i| user(i, &bio)).collect();
    let (inside, seen) =
        t.db.transaction(async |tx| -> orm_core::Result<_> {
            let at_start = tx_session(backend, tx).await?;
            User::bulk_create(tx, more.clone()).await?;
            assert_eq!(
                tx_session(backend, tx).await?,
                at_start,
                "one connection for the transaction"
            );
            Ok((at_start, User::find().count(tx).await?))
        })
        .await
        .unwrap();
    assert_eq!(seen, 600);
    assert_eq!(inside, first, "the transaction reused the worn connection");
    assert_eq!(User::find().count(&t.db).await.unwrap(), 600);
    assert_eq!(session(&t).await, next_reader);
    t.cleanup().await;
}

/// The session a transaction runs on.
async fn tx_session(backend: Backend, tx: &Transaction) -> orm_core::Result<Option<i64>> {
    let sql = match backend {
        Backend::Sqlite => return Ok(None),
        Backend::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT)",
        Backend::MySql => "SELECT CONNECTION_ID()",
    };
    Ok(Some(raw(sql).fetch_scalars::<i64, _>(tx).await?[0]))
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

/// MariaDB: a small statement that passed over a worn idle connection to
/// open a new one, and was refused by the server (here the user's
/// `MAX_USER_CONNECTIONS 1`), runs on the worn connection instead of
/// failing.
#[tokio::test]
async fn a_refused_connection_falls_back_to_the_worn_one() {
    for url in orm_tests::server_urls().await {
        if !url.starts_with("mysql") {
            continue;
        }
        let admin = Db::connect(&url).await.unwrap();
        let role = format!("orm_worn_{}", std::process::id());
        let teardown = format!("DROP USER IF EXISTS '{role}'@'%'");
        raw(teardown.clone()).execute(&admin).await.unwrap();
        raw(format!("CREATE USER '{role}'@'%' WITH MAX_USER_CONNECTIONS 1"))
            .execute(&admin)
            .await
            .unwrap();
        raw(format!("GRANT SELECT ON test.* TO '{role}'@'%'"))
            .execute(&admin)
            .await
            .unwrap();
        let limited = url.replacen("root@", &format!("{role}@"), 1);
        let db = Db::builder(&limited)
            .max_connections(3)
            .acquire_timeout(std::time::Duration::from_secs(2))
            .connect()
            .await
            .unwrap();
        // 100 KB bound: the one connection wears.
        let big = "x".repeat(100_000);
        let len: Vec<i64> = raw("SELECT LENGTH(?)").bind(big).fetch_scalars(&db).await.unwrap();
        assert_eq!(len, vec![100_000]);
        // A small statement would open another; the server says no.
        let one: Vec<i64> = raw("SELECT 1")
            .fetch_scalars(&db)
            .await
            .expect("served by the worn connection");
        assert_eq!(one, vec![1]);
        db.close().await;
        raw(teardown).execute(&admin).await.unwrap();
        admin.close().await;
    }
}
