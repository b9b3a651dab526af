//! Reliability: hostile input at volume, transaction atomicity under
//! faults, pool saturation, and error mapping of every constraint kind.
//! Every loop is bounded; traffic goes to 127.0.0.1 only. Figures are
//! printed (run with `--nocapture`) for RELIABILITY.md.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb, dialect_tests};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FRAGMENTS: &[&str] = &[
    "'",
    "''",
    "\"",
    "`",
    "\\",
    "\\'",
    ";--",
    "--",
    "/*",
    "*/",
    "$1",
    "$$",
    "?",
    ":name",
    "::text",
    "$.a.b",
    "$[0]",
    "%",
    "_",
    "!",
    "' OR 1=1 --",
    "'); DROP TABLE users; --",
    "\u{0}",
    "\n",
    "\r\n",
    "\t",
    "é",
    "漢",
    "🦀",
    "\u{202e}",
    "NULL",
    "null",
    "(",
    ")",
    "' UNION SELECT * FROM users --",
    "\\x00",
    "0x27",
    "%00",
    "{}",
    "[\"a\"]",
];

/// 10,000 hostile strings: fragment soup, long ones, one of 1 MiB.
fn hostile_values(allow_nul: bool) -> Vec<String> {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut out = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        let mut s = format!("{i:05}:");
        let parts = 1 + rng.next() % 8;
        for _ in 0..parts {
            s.push_str(rng.pick(FRAGMENTS));
        }
        if i % 97 == 0 {
            s.push_str(&"x'\"".repeat(40)); // 120+ bytes
        }
        if !allow_nul {
            s = s.replace('\0', "");
        }
        out.push(s);
    }
    out[9_999] = format!("09999:{}", "'\"\\;--".repeat((1 << 20) / 6)); // 1 MiB
    out
}

async fn injection_fuzz(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Country>()
        .sync(&t.db)
        .await
        .unwrap();
    // The canary: a table the hostile values must never touch.
    Country::create(
        &t.db,
        NewCountry {
            code: "CA".into(),
            name: "canary".into(),
            population: Some(1),
        },
    )
    .await
    .unwrap();
    let values = hostile_values(t.backend != Backend::Postgres);
    let started = Instant::now();
    let rows: Vec<NewUser> = values
        .iter()
        .enumerate()
        .map(|(i, v)| NewUser {
            name: format!("u{i}"),
            email: format!("u{i}@example.com"),
            role: None,
            age: None,
            bio: Some(v.clone()),
            visits: None,
        })
        .collect();
    let users = User::bulk_create(&t.db, rows)
        .await
        .expect("insert every hostile value");
    let stored = User::find().order_by(User::ID).all(&t.db).await.unwrap();
    assert_eq!(stored.len(), values.len());
    for (u, v) in stored.iter().zip(&values) {
        assert_eq!(u.bio.as_deref().map(str::as_bytes), Some(v.as_bytes()), "byte for byte");
    }
    let mut checked = 0;
    for (i, v) in values.iter().enumerate().step_by(20) {
        let by_eq = User::find()
            .filter(User::BIO.eq(v.as_str()))
            .attributes((User::ID,))
            .all(&t.db)
            .await
            .unwrap();
        assert_eq!(by_eq, [(users[i].id,)], "eq finds exactly its row");
        let by_in = User::find()
            .filter(User::BIO.is_in([v.as_str(), "nothing"]))
            .count(&t.db)
            .await
            .unwrap();
        assert_eq!(by_in, 1);
        if v.len() < 2_000 {
            let by_contains = User::find()
                .filter(User::BIO.contains(v))
                .filter(User::ID.eq(users[i].id))
                .count(&t.db)
                .await
                .unwrap();
            assert_eq!(by_contains, 1, "contains treats wildcards literally");
        }
        let mut u = users[i].clone();
        let flipped: String = v.chars().rev().collect();
        u.update(
            &t.db,
            UserPatch {
                bio: Some(Some(flipped.clone())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = {}",
            t.q("bio"),
            t.q("users"),
            t.q("id"),
            t.ph(1)
        );
        let back: Vec<Option<String>> = raw(sql).bind(u.id).fetch_scalars(&t.db).await.unwrap();
        assert_eq!(back, [Some(flipped)]);
        checked += 1;
    }
    // Placeholders inside bound values are data, not replacements.
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE {} = {} AND {} <> {}",
        t.q("users"),
        t.q("name"),
        t.ph(1),
        t.q("email"),
        t.ph(2)
    );
    let n: Vec<i64> = raw(sql)
        .bind("u1")
        .bind("$1 ? :name")
        .fetch_scalars(&t.db)
        .await
        .unwrap();
    assert_eq!(n, [1]);
    let canary = Country::find().all(&t.db).await.unwrap();
    assert_eq!(canary.len(), 1, "the canary table is untouched");
    assert_eq!(canary[0].name, "canary");
    // An update or delete without a filter is an error, never "all rows".
    assert!(matches!(
        User::find().delete(&t.db).await,
        Err(Error::InvalidQuery { .. })
    ));
    assert_eq!(User::find().count(&t.db).await.unwrap(), values.len() as i64);
    println!(
        "{:?}: {} hostile values (longest {} bytes) inserted and read back byte for byte; {checked} checked through eq, in, contains, update and raw; 0 panics; canary intact; {:?}",
        t.backend,
        values.len(),
        values.iter().map(String::len).max().unwrap_or(0),
        started.elapsed()
    );
}

/// How each transaction run ends.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Err,
    Panic,
    Cancel,
    Kill,
    Commit,
}

async fn kill_backend(t: &TestDb, admin: &Db, id: i64) {
    let sql = match t.backend {
        Backend::Postgres => format!("SELECT pg_terminate_backend({id})"),
        _ => format!("KILL {id}"),
    };
    let _ = raw(sql).execute(admin).await;
}

async fn open_transactions(t: &TestDb, admin: &Db) -> i64 {
    match t.backend {
        Backend::Postgres => raw("SELECT COUNT(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND application_name = $1")
            .bind(t.namespace())
            .fetch_scalars::<i64, _>(admin)
            .await
            .unwrap()[0],
        Backend::MySql => raw("SELECT COUNT(*) FROM information_schema.innodb_trx x JOIN information_schema.processlist p ON p.id = x.trx_mysql_thread_id WHERE p.db = ?")
            .bind(t.namespace())
            .fetch_scalars::<i64, _>(admin)
            .await
            .unwrap()[0],
        Backend::Sqlite => 0,
    }
}

/// Keep planned panics out of the output; every other panic is reported as usual.
fn quiet_planned_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"planned panic") {
                default(info);
            }
        }));
    });
}

async fn atomicity_under_faults(t: &TestDb) {
    quiet_planned_panics();
    Schema::new().model::<Tag>().sync(&t.db).await.unwrap();
    let admin = match t.backend {
        Backend::Sqlite => None,
        _ => Some(Db::builder(t.url.clone()).max_connections(1).connect().await.unwrap()),
    };
    let runs = 1_000;
    let mut counts = std::collections::BTreeMap::<String, (usize, usize)>::new();
    let started = Instant::now();
    let mut rng = Rng(42);
    for run in 0..runs {
        let ending = match run % 5 {
            0 => Ending::Err,
            1 => Ending::Panic,
            2 => Ending::Cancel,
            3 if admin.is_some() => Ending::Kill,
            _ => Ending::Commit,
        };
        let db = t.db.clone();
        let prefix = format!("r{run:04}-");
        let p = prefix.clone();
        let work = async move {
            db.transaction(async |tx| {
                let pid: i64 = match tx.dialect() {
                    Dialect::Postgres => raw("SELECT pg_backend_pid()").fetch_scalars::<i32, _>(tx).await?[0].into(),
                    Dialect::MySql => raw("SELECT CONNECTION_ID()").fetch_scalars::<i64, _>(tx).await?[0],
                    Dialect::Sqlite => 0,
                    other => unreachable!("the tests run on PostgreSQL, MySQL and SQLite, not {other:?}"),
                };
                for i in 0..10 {
                    Tag::create(
                        tx,
                        NewTag {
                            name: format!("{p}{i}"),
                        },
                    )
                    .await?;
                    if i == 5 {
                        match ending {
                            Ending::Err => return Err(Error::NotFound { model: "planned" }),
                            Ending::Panic => panic!("planned panic"),
                            Ending::Kill => return Ok(Some(pid)),
                            _ => {}
                        }
                    }
                }
                Ok(None)
            })
            .await
        };
        let outcome = match ending {
            Ending::Cancel => {
                let deadline = Duration::from_micros(rng.next() % 3_000);
                tokio::time::timeout(deadline, work)
                    .await
                    .map_err(|_| ())
                    .map(|r| r.map(|_| ()))
            }
            Ending::Panic => match tokio::spawn(work).await {
                Ok(r) => Ok(r.map(|_| ())),
                Err(_) => Err(()),
            },
            Ending::Kill => {
                // Kill the connection while the transaction is open.
                let db = t.db.clone();
                let p2 = prefix.clone();
                let res = db
                    .transaction(async |tx| {
                        let pid: i64 = match tx.dialect() {
                            Dialect::Postgres => {
                                raw("SELECT pg_backend_pid()").fetch_scalars::<i32, _>(tx).await?[0].into()
                            }
                            _ => raw("SELECT CONNECTION_ID()").fetch_scalars::<i64, _>(tx).await?[0],
                        };
                        for i in 0..5 {
                            Tag::create(
                                tx,
                                NewTag {
                                    name: format!("{p2}{i}"),
                                },
                            )
                            .await?;
                        }
                        kill_backend(t, admin.as_ref().unwrap(), pid).await;
                        for i in 5..10 {
                            Tag::create(
                                tx,
                                NewTag {
                                    name: format!("{p2}{i}"),
                                },
                            )
                            .await?;
                        }
                        Ok(())
                    })
                    .await;
                // A killed session is a lost connection, not a failed statement.
                if let Err(e) = &res {
                    assert!(matches!(e, Error::Connection { .. }), "run {run}: {e:?}");
                }
                Ok(res)
            }
            _ => Ok(work.await.map(|_| ())),
        };
        let rows = Tag::find()
            .filter(Tag::NAME.starts_with(&prefix))
            .count(&t.db)
            .await
            .unwrap();
        assert!(rows == 0 || rows == 10, "run {run} ({ending:?}) left {rows} rows");
        if matches!(ending, Ending::Err | Ending::Panic | Ending::Kill) {
            assert_eq!(rows, 0, "run {run} ({ending:?}) must roll back");
        }
        if let Ok(Ok(())) = outcome {
            assert_eq!(rows, 10, "run {run}: a reported commit is durable");
        }
        let e = counts.entry(format!("{ending:?}")).or_default();
        e.0 += 1;
        if rows == 10 {
            e.1 += 1;
        }
    }
    // Connections of cancelled or killed transactions are closed in the
    // background; give the closes up to 2 s to reach the server.
    let settle = Instant::now();
    let mut open = 0;
    if let Some(a) = &admin {
        loop {
            open = open_transactions(t, a).await;
            if open == 0 || settle.elapsed() > Duration::from_secs(2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let settled = settle.elapsed();
    assert_eq!(open, 0, "no session is left idle in a transaction");
    // Savepoints three deep: only the innermost is undone.
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        Tag::create(tx, NewTag { name: "sp-1".into() }).await?;
        tx.transaction(async |a| {
            Tag::create(a, NewTag { name: "sp-2".into() }).await?;
            let inner: Result<()> = a
                .transaction(async |b| {
                    Tag::create(b, NewTag { name: "sp-3".into() }).await?;
                    Err(Error::NotFound { model: "planned" })
                })
                .await;
            assert!(inner.is_err());
            Ok(())
        })
        .await
    })
    .await
    .unwrap();
    assert_eq!(
        Tag::find()
            .filter(Tag::NAME.starts_with("sp-"))
            .count(&t.db)
            .await
            .unwrap(),
        2
    );
    println!(
        "{:?}: {runs} transaction runs of 10 rows, ending -> (runs, committed): {counts:?}; every run left 0 or 10 rows; {open} sessions idle in transaction afterwards (settled in {settled:?}); {:?}",
        t.backend,
        started.elapsed()
    );
    if let Some(a) = admin {
        a.close().await;
    }
}

async fn server_connections(t: &TestDb, admin: &Db) -> i64 {
    match t.backend {
        Backend::Postgres => {
            raw("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()")
                .bind(t.namespace())
                .fetch_scalars::<i64, _>(admin)
                .await
                .unwrap()[0]
        }
        _ => {
            raw("SELECT COUNT(*) FROM information_schema.processlist WHERE db = ?")
                .bind(t.namespace())
                .fetch_scalars::<i64, _>(admin)
                .await
                .unwrap()[0]
                - 1
        }
    }
}

async fn pool_saturation(backend: Backend) {
    for (timeout_ms, label) in [(30_000u64, "30 s"), (300, "300 ms")] {
        let test = format!("reliability::pool_{backend:?}_{timeout_ms}");
        let Some(t) = TestDb::setup_with(backend, &test, |b| {
            b.max_connections(5).acquire_timeout(Duration::from_millis(timeout_ms))
        })
        .await
        else {
            return;
        };
        Schema::new().model::<Tag>().sync(&t.db).await.unwrap();
        let admin = match backend {
            Backend::Sqlite => None,
            _ => Some(Db::builder(t.url.clone()).max_connections(1).connect().await.unwrap()),
        };
        let peak = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = admin.clone().map(|a| {
            let (peak, stop) = (peak.clone(), stop.clone());
            let ns = t.namespace().to_owned();
            let url_backend = backend;
            tokio::spawn(async move {
                let mut samples = 0;
                while !stop.load(Ordering::SeqCst) && samples < 2_000 {
                    let n = match url_backend {
                        Backend::Postgres => {
                            raw("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()")
                                .bind(ns.as_str())
                                .fetch_scalars::<i64, _>(&a)
                                .await
                        }
                        _ => raw("SELECT COUNT(*) FROM information_schema.processlist WHERE db = ?")
                            .bind(ns.as_str())
                            .fetch_scalars::<i64, _>(&a)
                            .await
                            .map(|v| vec![v[0] - 1]),
                    };
                    if let Ok(v) = n {
                        peak.fetch_max(v[0].max(0) as usize, Ordering::SeqCst);
                    }
                    samples += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        });
        let started = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let db = t.db.clone();
                tokio::spawn(async move {
                    db.transaction(async |tx| {
                        Tag::create(tx, NewTag { name: format!("p{i}") }).await?;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        let (mut ok, mut timeouts, mut other) = (0, 0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => ok += 1,
                Err(Error::PoolTimeout { .. }) => timeouts += 1,
                Err(e) => {
                    eprintln!("{e:?}");
                    other += 1
                }
            }
        }
        stop.store(true, Ordering::SeqCst);
        if let Some(s) = sampler {
            s.await.unwrap();
        }
        let rows = Tag::find().count(&t.db).await.unwrap();
        assert_eq!(other, 0, "the only error is PoolTimeout");
        assert_eq!(rows, ok as i64, "rows equal successes");
        if timeout_ms == 30_000 {
            assert_eq!(ok, 200, "all 200 succeed with a 30 s acquire timeout");
        }
        let peak = peak.load(Ordering::SeqCst);
        if let Some(a) = &admin {
            assert!(peak <= 5, "server-side connections peaked at {peak}");
            let _ = server_connections(&t, a).await;
        }
        println!(
            "{backend:?}: pool of 5, 200 concurrent 20 ms transactions, acquire timeout {label}: {ok} ok, {timeouts} PoolTimeout, 0 other errors, rows {rows}, peak server connections {peak}, {:?}",
            started.elapsed()
        );
        if let Some(a) = admin {
            a.close().await;
        }
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_saturation_sqlite() {
    pool_saturation(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_saturation_postgres() {
    pool_saturation(Backend::Postgres).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_saturation_mysql() {
    pool_saturation(Backend::MySql).await;
}

async fn every_constraint_kind_maps(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Post>()
        .model::<Tag>()
        .model::<Comment>()
        .sync(&t.db)
        .await
        .unwrap();
    let ada = User::create(
        &t.db,
        NewUser {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: None,
            age: None,
            bio: None,
            visits: None,
        },
    )
    .await
    .unwrap();
    let fields = |e: &Error| -> (Option<String>, Option<String>, Vec<String>) {
        let (table, constraint, columns) = e
            .constraint()
            .unwrap_or_else(|| panic!("not a constraint error: {e:?}"));
        (
            table.map(str::to_owned),
            constraint.map(str::to_owned),
            columns.to_vec(),
        )
    };
    let mut report = Vec::new();
    // unique
    let e = User::create(
        &t.db,
        NewUser {
            name: "B".into(),
            email: "ada@example.com".into(),
            role: None,
            age: None,
            bio: None,
            visits: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::UniqueViolation { .. }));
    let (table, constraint, columns) = fields(&e);
    assert_eq!(
        (table.as_deref(), columns.as_slice()),
        (Some("users"), &["email".to_string()][..])
    );
    report.push(format!("unique: {table:?} {constraint:?} {columns:?}"));
    // foreign key, child without parent
    let e = Post::create(
        &t.db,
        NewPost {
            title: "x".into(),
            body: None,
            author_id: 999,
            editor_id: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::ForeignKeyViolation { .. }), "{e:?}");
    let (table, constraint, columns) = fields(&e);
    assert_eq!(table.as_deref(), Some("posts"));
    report.push(format!("foreign key (insert): {table:?} {constraint:?} {columns:?}"));
    // foreign key, parent still referenced (posts.editor_id has no ON DELETE action)
    let bob = User::create(
        &t.db,
        NewUser {
            name: "Bob".into(),
            email: "bob@example.com".into(),
            role: None,
            age: None,
            bio: None,
            visits: None,
        },
    )
    .await
    .unwrap();
    ada.create_post(
        &t.db,
        NewPost {
            title: "x".into(),
            body: None,
            author_id: 0,
            editor_id: Some(bob.id),
        },
    )
    .await
    .unwrap();
    let e = bob.destroy(&t.db).await.unwrap_err();
    assert!(matches!(e, Error::ForeignKeyViolation { .. }), "{e:?}");
    let (table, constraint, columns) = fields(&e);
    report.push(format!(
        "foreign key (delete parent): {table:?} {constraint:?} {columns:?}"
    ));
    assert!(
        User::find_by_pk(bob.id).one(&t.db).await.unwrap().is_some(),
        "nothing was deleted"
    );
    // not null
    let sql = t.insert_sql("users", &["name", "email", "created_at", "updated_at"]);
    let now = chrono::Utc::now();
    let e = raw(sql)
        .bind(None::<String>)
        .bind("n@example.com")
        .bind(now)
        .bind(now)
        .execute(&t.db)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotNullViolation { .. }));
    let (table, constraint, columns) = fields(&e);
    assert_eq!(columns, ["name"]);
    report.push(format!("not null: {table:?} {constraint:?} {columns:?}"));
    // check (the enum's set)
    let sql = format!(
        "UPDATE {} SET {} = {} WHERE {} = {}",
        t.q("users"),
        t.q("role"),
        t.ph(1),
        t.q("id"),
        t.ph(2)
    );
    let e = raw(sql)
        .bind("superuser")
        .bind(ada.id)
        .execute(&t.db)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::CheckViolation { .. }), "{e:?}");
    let (table, constraint, columns) = fields(&e);
    assert_eq!(columns, ["role"]);
    report.push(format!("check: {table:?} {constraint:?} {columns:?}"));
    // Validation errors come back together, and no statement is sent.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let logged = Db::builder(t.url.clone()).logging(move |_q: &QueryEvent| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    if t.backend != Backend::Sqlite {
        let db = logged.connect().await.unwrap();
        let e = User::create(
            &db,
            NewUser {
                name: "x".repeat(81),
                email: "bad".into(),
                role: None,
                age: Some(-3),
                bio: None,
                visits: None,
            },
        )
        .await
        .unwrap_err();
        match e {
            Error::Validation { fields, .. } => assert_eq!(fields.keys().collect::<Vec<_>>(), ["age", "email", "name"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            sent.load(Ordering::SeqCst),
            0,
            "invalid values never reach the database"
        );
        db.close().await;
    }
    println!("{:?}: {}", t.backend, report.join("; "));
}

dialect_tests!(injection_fuzz, atomicity_under_faults, every_constraint_kind_maps);
