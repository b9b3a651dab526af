//! Connecting: URLs, logging of every statement, SQLite specifics.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb};
use std::sync::{Arc, Mutex};

async fn logged(backend: Backend, test: &str) -> Option<(TestDb, Arc<Mutex<Vec<String>>>)> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let t = TestDb::setup_with(backend, test, move |b| {
        b.logging(move |q: &QueryEvent| {
            assert!(q.elapsed() < std::time::Duration::from_secs(60));
            sink.lock().unwrap().push(format!("{} [{}]", q.sql(), q.param_count()));
        })
    })
    .await?;
    Some((t, log))
}

async fn logging_sees_every_statement(backend: Backend) {
    let Some((t, log)) = logged(backend, &format!("connect::logging_{backend:?}")).await else {
        return;
    };
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    log.lock().unwrap().clear();
    let u = User::create(
        &t.db,
        NewUser {
            name: "L".into(),
            email: "l@example.com".into(),
            role: None,
            age: None,
            bio: None,
            visits: None,
        },
    )
    .await
    .unwrap();
    let _ = User::find_by_pk(u.id).one(&t.db).await.unwrap();
    let _ = User::find().count(&t.db).await.unwrap();
    let lines = log.lock().unwrap().clone();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with("INSERT INTO"), "{}", lines[0]);
    assert!(
        lines[0].ends_with("[8]") || lines[0].ends_with("[8]"),
        "8 bound values: {}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("SELECT") && lines[1].contains("WHERE"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("COUNT(*)"));
    assert!(
        lines.iter().all(|l| !l.contains("l@example.com")),
        "values are bound, never in the SQL text"
    );
    // A stream is one statement event too, sent when its last row was read.
    log.lock().unwrap().clear();
    {
        use futures_util::StreamExt;
        let mut rows = User::find().stream(&t.db);
        let mut n = 0;
        while let Some(r) = rows.next().await {
            r.unwrap();
            n += 1;
        }
        assert_eq!(n, 1);
    }
    let lines = log.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].starts_with("SELECT"), "{}", lines[0]);
    t.cleanup().await;
}

/// `log_parameters(true)`: the callback sees the bound values; off by default.
async fn logged_parameters(backend: Backend) {
    let values: Arc<Mutex<Vec<Vec<orm_core::Value>>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = values.clone();
    let test = format!("connect::logged_parameters_{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &test, move |b| {
        b.log_parameters(true)
            .logging(move |q: &QueryEvent| sink.lock().unwrap().push(q.params().to_vec()))
    })
    .await
    else {
        return;
    };
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    values.lock().unwrap().clear();
    let u = User::create(&t.db, new_user("Lia")).await.unwrap();
    User::find().filter(User::ID.eq(u.id)).count(&t.db).await.unwrap();
    let seen = values.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].contains(&orm_core::Value::String("lia@example.com".into())),
        "{:?}",
        seen[0]
    );
    assert_eq!(seen[1], vec![orm_core::Value::I64(u.id)]);
    t.cleanup().await;
    // Off by default: the same statements log no values.
    let Some((t, _)) = logged(backend, &format!("{test}_off")).await else {
        return;
    };
    let quiet: Arc<Mutex<usize>> = Arc::new(Mutex::new(0));
    let q2 = quiet.clone();
    let db = Db::builder(t.url.clone())
        .logging(move |q: &QueryEvent| *q2.lock().unwrap() += q.params().len())
        .connect()
        .await
        .unwrap();
    raw("SELECT ?").bind(1_i64).execute(&db).await.unwrap();
    assert_eq!(*quiet.lock().unwrap(), 0);
    db.close().await;
    t.cleanup().await;
}

/// `idle_timeout`: a connection idle for longer is not handed out again
/// (a new one is), which a session's temporary table shows; one used
/// within the timeout is the same connection.
async fn idle_connections_expire(backend: Backend) {
    let test = format!("connect::idle_{backend:?}");
    let Some(t) = TestDb::setup_with(backend, &test, |b| {
        b.max_connections(1).idle_timeout(std::time::Duration::from_millis(300))
    })
    .await
    else {
        return;
    };
    let temp = "CREATE TEMPORARY TABLE idle_probe (n INTEGER)";
    raw(temp).execute(&t.db).await.unwrap();
    let probe = || raw("SELECT COUNT(*) FROM idle_probe").fetch_scalars::<i64, _>(&t.db);
    assert_eq!(probe().await.unwrap(), [0], "the same connection within the timeout");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(
        probe().await.is_err(),
        "a new connection after the timeout: no temporary table"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn idle_connections_expire_sqlite() {
    idle_connections_expire(Backend::Sqlite).await;
}

#[tokio::test]
async fn idle_connections_expire_postgres() {
    idle_connections_expire(Backend::Postgres).await;
}

#[tokio::test]
async fn idle_connections_expire_mysql() {
    idle_connections_expire(Backend::MySql).await;
}

#[tokio::test]
async fn logged_parameters_sqlite() {
    logged_parameters(Backend::Sqlite).await;
}

#[tokio::test]
async fn logged_parameters_postgres() {
    logged_parameters(Backend::Postgres).await;
}

#[tokio::test]
async fn logged_parameters_mysql() {
    logged_parameters(Backend::MySql).await;
}

#[tokio::test]
async fn logging_sqlite() {
    logging_sees_every_statement(Backend::Sqlite).await;
}
#[tokio::test]
async fn logging_postgres() {
    logging_sees_every_statement(Backend::Postgres).await;
}
#[tokio::test]
async fn logging_mysql() {
    logging_sees_every_statement(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_is_one_database_for_the_whole_pool() {
    let db = Db::builder("sqlite::memory:")
        .max_connections(4)
        .connect()
        .await
        .unwrap();
    Schema::new().model::<Country>().sync(&db).await.unwrap();
    Country::create(
        &db,
        NewCountry {
            code: "IT".into(),
            name: "Italy".into(),
            population: None,
        },
    )
    .await
    .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { Country::find().count(&db).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 1, "every pooled connection sees the same tables");
    }
    let other = Db::connect("sqlite::memory:").await.unwrap();
    assert!(
        Country::find().count(&other).await.is_err(),
        "a second pool has its own database"
    );
}

#[tokio::test]
async fn sqlite_file_is_created_and_foreign_keys_are_on() {
    let dir = std::env::temp_dir().join(format!("orm_connect_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.db");
    let _ = std::fs::remove_file(&path);
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("file is created");
    assert!(path.exists());
    let fk: Vec<i64> = raw("PRAGMA foreign_keys").fetch_scalars(&db).await.unwrap();
    assert_eq!(fk, vec![1]);
    db.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn url_schemes() {
    assert_eq!(Dialect::from_url("postgresql://h/db").unwrap(), Dialect::Postgres);
    assert_eq!(Dialect::from_url("mysql://h/db").unwrap(), Dialect::MySql);
    assert_eq!(Dialect::from_url("mariadb://h/db").unwrap(), Dialect::MySql);
    assert_eq!(Dialect::from_url("sqlite://x.db").unwrap(), Dialect::Sqlite);
    if let Some(t) = TestDb::setup(Backend::MySql, "connect::url_schemes").await {
        let url = t.url.replacen("mysql://", "mariadb://", 1);
        let db = Db::connect(&url).await.expect("mariadb:// is accepted");
        db.authenticate().await.unwrap();
        db.close().await;
        t.cleanup().await;
    }
}

/// A role (PostgreSQL) or user (MariaDB) allowed one connection, which a
/// held connection takes: the next statement fails with the server's
/// refusal as `Error::Connection`, not a bare `PoolTimeout` (issue 25 §4).
/// SQLite has no roles.
#[tokio::test]
async fn a_connection_limit_is_the_servers_refusal() {
    for url in orm_tests::server_urls().await {
        let admin = Db::connect(&url).await.unwrap();
        let role = format!("orm_limited_{}", std::process::id());
        let (setup, teardown, limited) = match admin.dialect() {
            orm_core::Dialect::Postgres => (
                vec![format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")],
                format!("DROP ROLE IF EXISTS {role}"),
                url.replacen("postgres@", &format!("{role}@"), 1),
            ),
            _ => (
                vec![
                    format!("CREATE USER '{role}'@'%' WITH MAX_USER_CONNECTIONS 1"),
                    format!("GRANT SELECT ON test.* TO '{role}'@'%'"),
                ],
                format!("DROP USER IF EXISTS '{role}'@'%'"),
                url.replacen("root@", &format!("{role}@"), 1),
            ),
        };
        let _ = orm_core::raw(teardown.clone()).execute(&admin).await;
        for sql in setup {
            orm_core::raw(sql).execute(&admin).await.unwrap();
        }
        let db = Db::builder(&limited)
            .max_connections(3)
            .acquire_timeout(std::time::Duration::from_secs(2))
            .connect()
            .await
            .unwrap();
        let held = db.acquire().await.unwrap();
        let err = orm_core::raw("SELECT 1")
            .fetch_scalars::<i64, _>(&db)
            .await
            .expect_err("over the limit");
        let text = err.to_string();
        assert!(matches!(err, orm_core::Error::Connection { .. }), "{url}: {err:?}");
        assert!(
            text.contains("too many connections") || text.contains("max_user_connections"),
            "{url}: {text}"
        );
        held.release().await;
        db.close().await;
        orm_core::raw(teardown).execute(&admin).await.unwrap();
        admin.close().await;
    }
}

/// MariaDB: a URL naming `localhost` moves the pool onto the server's Unix
/// socket (as the MySQL client reads that name) when this process can open
/// it; `127.0.0.1` and `prefer_socket=false` stay on TCP; all read the
/// same rows.
#[tokio::test]
async fn mysql_localhost_moves_onto_the_socket() {
    let Some(t) = TestDb::setup(Backend::MySql, "connect::socket").await else {
        return;
    };
    // A socket connection's host is `localhost`; a TCP one's has a port.
    let how = "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()";
    let host_of = async |db: &Db| raw(how).fetch_scalars::<String, _>(db).await.unwrap().remove(0);
    let socket: Vec<Option<String>> = raw("SELECT @@socket").fetch_scalars(&t.db).await.unwrap();
    let reachable = socket[0].as_deref().is_some_and(|p| std::path::Path::new(p).exists());
    Schema::new().model::<Tag>().sync(&t.db).await.unwrap();
    for name in ["a", "b"] {
        Tag::create(&t.db, NewTag { name: name.into() }).await.unwrap();
    }
    let names = async |db: &Db| {
        let tags = Tag::find().order_by(Tag::NAME).all(db).await.unwrap();
        tags.into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(names(&t.db).await, vec!["a", "b"]);
    if !t.url.contains("@127.0.0.1:") {
        return; // another server than the local one: nothing to compare
    }
    assert!(host_of(&t.db).await.contains(':'), "127.0.0.1 stays on TCP");
    let local = t.url.replacen("@127.0.0.1:", "@localhost:", 1);
    let sep = if local.contains('?') { '&' } else { '?' };
    // Whether this process may use the socket at all (the path exists and
    // the server lets this user in over it), asked by naming it outright.
    let socket_works = match socket[0].as_deref() {
        Some(path) if reachable => match Db::connect(&format!("{local}{sep}socket={path}")).await {
            Ok(named) => {
                let works = host_of(&named).await == "localhost";
                named.close().await;
                works
            }
            Err(_) => false,
        },
        _ => false,
    };
    let on_socket = Db::connect(&local).await.unwrap();
    let host = host_of(&on_socket).await;
    if socket_works {
        assert_eq!(host, "localhost", "{local}: on the socket {socket:?}");
        // Every connection of the pool, not only the first.
        let many = futures_util::future::join_all((0..4).map(|_| host_of(&on_socket))).await;
        assert!(many.iter().all(|h| h == "localhost"), "{many:?}");
    } else {
        assert!(host.contains(':'), "no usable socket here: {host}");
    }
    assert_eq!(names(&on_socket).await, vec!["a", "b"]);
    let tcp = Db::connect(&format!("{local}{sep}prefer_socket=false")).await.unwrap();
    assert!(host_of(&tcp).await.contains(':'), "prefer_socket=false stays on TCP");
    assert_eq!(names(&tcp).await, vec!["a", "b"]);
    on_socket.close().await;
    tcp.close().await;
    t.cleanup().await;
}
