//! `cargo run -p orm-bench --release -- [sqlite|postgres|mysql ...] [--rounds N]`
//! (`--bulk100k`: 100,000-row bulk insert only; `--profile <W1|W2|W2J|W4|W5|W6> <orm|raw> <n>`:
//! one side of one workload, for a profiler; W1 also takes `orm-tuples`,
//! `orm-ids` (the same statement through the ORM into tuples, or its first
//! column only) and, with `--features native-floors`, `native` /
//! `native-iter` (raw tokio-postgres or mysql_async), to part the layers).
//!
//! Runs each workload with the ORM and with hand-written sqlx (the floor)
//! on the same data, server and pool settings. Rounds interleave the two in
//! random order; the table gives the median of per-round ratios (ORM / raw)
//! and the spread (10th-90th percentile).

#![allow(missing_docs)]

mod models;
#[cfg(feature = "native-floors")]
mod native;
mod pool_setup;
mod raw;

use models::{BComment, BCounter, BPost, BUser, NewBCounter, NewBUser};
use orm_core::prelude::*;
use pool_setup::same_pool_setup;
use raw::RawPool;
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn coin(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

struct Stats {
    median: f64,
    p10: f64,
    p90: f64,
    orm: Duration,
    raw: Duration,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Time `iters` runs of each side per round, in random order.
async fn compare<FO, FR, A, B>(rounds: usize, iters: usize, rng: &mut Rng, mut orm: FO, mut raw: FR) -> Stats
where
    FO: FnMut() -> A,
    FR: FnMut() -> B,
    A: Future<Output = ()>,
    B: Future<Output = ()>,
{
    let mut ratios = Vec::new();
    let (mut to, mut tr) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
        let mut run_orm = Duration::ZERO;
        let mut run_raw = Duration::ZERO;
        let orm_first = rng.coin();
        for side in [orm_first, !orm_first] {
            let start = Instant::now();
            for _ in 0..iters {
                if side { orm().await } else { raw().await }
            }
            if side {
                run_orm = start.elapsed()
            } else {
                run_raw = start.elapsed()
            }
        }
        if round > 0 {
            // round 0 warms caches and prepared statements
            ratios.push(run_orm.as_secs_f64() / run_raw.as_secs_f64());
            to.push(run_orm / iters as u32);
            tr.push(run_raw / iters as u32);
        }
    }
    ratios.sort_by(f64::total_cmp);
    to.sort();
    tr.sort();
    Stats {
        median: quantile(&ratios, 0.5),
        p10: quantile(&ratios, 0.1),
        p90: quantile(&ratios, 0.9),
        orm: to[to.len() / 2],
        raw: tr[tr.len() / 2],
    }
}

async fn setup(dialect: &str) -> Option<(Db, RawPool, usize)> {
    let (url, raw): (String, RawPool) = match dialect {
        "postgres" => {
            let admin = Db::connect("postgres://postgres@127.0.0.1:5432/test").await.ok()?;
            orm_core::raw("DROP SCHEMA IF EXISTS orm_bench CASCADE")
                .execute(&admin)
                .await
                .ok()?;
            orm_core::raw("CREATE SCHEMA orm_bench").execute(&admin).await.ok()?;
            let url = "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dorm_bench".to_string();
            let pool = same_pool_setup::<sqlx::Postgres>().connect(&url).await.ok()?;
            (url, RawPool::Pg(pool))
        }
        "mysql" => {
            let admin = Db::connect("mysql://root@127.0.0.1:3306/test").await.ok()?;
            orm_core::raw("DROP DATABASE IF EXISTS orm_bench")
                .execute(&admin)
                .await
                .ok()?;
            orm_core::raw("CREATE DATABASE orm_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
                .execute(&admin)
                .await
                .ok()?;
            let url = "mysql://root@127.0.0.1:3306/orm_bench".to_string();
            let pool = same_pool_setup::<sqlx::MySql>().connect(&url).await.ok()?;
            (url, RawPool::My(pool))
        }
        _ => {
            let path = std::env::temp_dir().join("orm_bench.db");
            let _ = std::fs::remove_file(&path);
            let url = format!("sqlite://{}", path.display());
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().ok()?;
            let pool = same_pool_setup::<sqlx::Sqlite>()
                .connect_with(opts.create_if_missing(true))
                .await
                .ok()?;
            (url, RawPool::Lite(pool))
        }
    };
    let db = Db::builder(url)
        .max_connections(5)
        .min_connections(5)
        .connect()
        .await
        .ok()?;
    let max_params = match dialect {
        "sqlite" => 32_766,
        _ => 65_535,
    };
    Some((db, raw, max_params))
}

async fn seed(db: &Db) {
    Schema::new()
        .model::<BUser>()
        .model::<BPost>()
        .model::<BComment>()
        .sync_force(db)
        .await
        .unwrap();
    let users: Vec<NewBUser> = (0..10_000)
        .map(|i| NewBUser {
            name: format!("User {i}"),
            hair_color: Some(if i % 2 == 0 { "black" } else { "brown" }.into()),
        })
        .collect();
    let users = BUser::bulk_create(db, users).await.unwrap();
    let posts: Vec<models::NewBPost> = users
        .iter()
        .map(|u| models::NewBPost {
            user_id: u.id,
            title: format!("Post by {}", u.name),
            body: None,
        })
        .collect();
    let posts = BPost::bulk_create(db, posts).await.unwrap();
    let comments: Vec<models::NewBComment> = posts
        .iter()
        .map(|p| models::NewBComment {
            post_id: p.id,
            text: "Nice".into(),
        })
        .collect();
    BComment::bulk_create(db, comments).await.unwrap();
    // W9: 2,500 counters `k0`..`k2499`; the upsert brings `k1250`..`k6249`.
    Schema::new().model::<BCounter>().sync_force(db).await.unwrap();
    let counters: Vec<NewBCounter> = (0..2_500)
        .map(|i| NewBCounter {
            name: format!("k{i}"),
            hits: 0,
        })
        .collect();
    BCounter::bulk_create(db, counters).await.unwrap();
}

/// W9's rows: 5,000 counters, the first half already stored.
fn upsert_rows() -> Vec<(String, i64)> {
    (1_250..6_250).map(|i| (format!("k{i}"), i)).collect()
}

/// W9: `insert_many(..).on_conflict(name).do_update([hits]).all(..)` in a
/// transaction rolled back; the stored rows come back.
async fn orm_upsert(db: &Db, rows: &[(String, i64)]) -> usize {
    let tx = db.begin().await.unwrap();
    let new: Vec<NewBCounter> = rows
        .iter()
        .map(|(name, hits)| NewBCounter {
            name: name.clone(),
            hits: *hits,
        })
        .collect();
    let stored = BCounter::insert_many(new)
        .on_conflict(BCounter::NAME)
        .do_update([BCounter::HITS])
        .all(&tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    stored.len()
}

/// W10: every user by key, in pages of 100 (100 pages), each after the last one's cursor.
async fn orm_keyset_walk(db: &Db) -> usize {
    let mut cursor = None;
    let mut seen = 0;
    loop {
        let page = BUser::find().paginate(100).after(cursor).all(db).await.unwrap();
        seen += page.items.len();
        match page.next {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

fn row(name: &str, s: &Stats) -> String {
    format!(
        "| {name} | {:.3} | {:.3}–{:.3} | {:?} | {:?} |",
        s.median, s.p10, s.p90, s.orm, s.raw
    )
}

/// W1: the first `n` users.
/// SQLite's floor for W1: the same query with rusqlite on the calling
/// thread, one connection, the statement cached, rows into a struct.
struct Floor(rusqlite::Connection);

impl Floor {
    fn open() -> Floor {
        let path = std::env::temp_dir().join("orm_bench.db");
        let conn = rusqlite::Connection::open(path).expect("open the benchmark database");
        Floor(conn)
    }

    fn users(&self, n: i64) -> Vec<raw::RUser> {
        let mut st = self
            .0
            .prepare_cached("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?")
            .unwrap();
        st.query_map([n], |r| {
            Ok(raw::RUser {
                id: r.get(0)?,
                name: r.get(1)?,
                hair_color: r.get(2)?,
            })
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    }
}

async fn orm_users<E: orm_core::Executor + ?Sized>(db: &E, n: u64) -> Vec<BUser> {
    BUser::find().order_by(BUser::ID).limit(n).all(db).await.unwrap()
}

/// W2: black-haired users with their posts (two statements).
async fn orm_users_with_posts(db: &Db) -> Vec<BUser> {
    BUser::find()
        .filter(BUser::HAIR_COLOR.eq("black"))
        .include(BUser::posts())
        .all(db)
        .await
        .unwrap()
}

/// W2 by `.join()`: the same in one statement.
async fn orm_users_join_posts(db: &Db) -> Vec<BUser> {
    BUser::find()
        .filter(BUser::HAIR_COLOR.eq("black"))
        .include(BUser::posts().join())
        .all(db)
        .await
        .unwrap()
}

/// W7: the first 500 posts with their users, by `.join()` or by a second statement.
async fn orm_posts_with_users(db: &Db, join: bool) -> Vec<BPost> {
    let user = if join { BPost::user().join() } else { BPost::user() };
    BPost::find()
        .order_by(BPost::ID)
        .limit(500)
        .include(user)
        .all(db)
        .await
        .unwrap()
}

/// W8: the first 1,000 users and each one's 3 latest posts.
async fn orm_users_latest_posts(db: &Db) -> Vec<BUser> {
    BUser::find()
        .order_by(BUser::ID)
        .limit(1_000)
        .include(BUser::posts().order_by(BPost::ID.desc()).limit(3))
        .all(db)
        .await
        .unwrap()
}

/// W4: the first `n` users, their posts and the posts' comments (three statements).
async fn orm_users_posts_comments(db: &Db, n: u64) -> Vec<BUser> {
    BUser::find()
        .order_by(BUser::ID)
        .limit(n)
        .include(BUser::posts().include(BPost::comments()))
        .all(db)
        .await
        .unwrap()
}

/// W5: `bulk_create` of these rows in a transaction that is rolled back;
/// returns how many came back with keys.
async fn orm_bulk_insert(db: &Db, rows: &[(String, Option<String>)]) -> usize {
    let tx = db.begin().await.unwrap();
    let new = rows
        .iter()
        .map(|(name, color)| NewBUser {
            name: name.clone(),
            hair_color: color.clone(),
        })
        .collect();
    let made = BUser::bulk_create(&tx, new).await.unwrap().len();
    tx.rollback().await.unwrap();
    made
}

/// `--replicas <pg|mysql> [--secs N]`: the read-replica figures (issue 19)
/// against the pairs of `scripts/replicas.sh start`: 8 tasks, 90% reads,
/// the replica stopped and restarted in the middle; then a session's
/// read-your-writes latency against a read on the primary.
async fn replica_figures(pair: &str, secs: u64) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (primary, replica, admin) = match pair {
        "pg" => (
            "postgres://postgres@127.0.0.1:55432/postgres?options=-c%20search_path%3Dorm_bench_repl",
            "postgres://postgres@127.0.0.1:55433/postgres?options=-c%20search_path%3Dorm_bench_repl",
            "postgres://postgres@127.0.0.1:55432/postgres",
        ),
        _ => (
            "mysql://root@127.0.0.1:33306/orm_bench_repl",
            "mysql://root@127.0.0.1:33307/orm_bench_repl",
            "mysql://root@127.0.0.1:33306/mysql",
        ),
    };
    let admin = Db::connect(admin)
        .await
        .expect("the replica pair runs (scripts/replicas.sh start)");
    if pair == "pg" {
        orm_core::raw("DROP SCHEMA IF EXISTS orm_bench_repl CASCADE")
            .execute(&admin)
            .await
            .unwrap();
        orm_core::raw("CREATE SCHEMA orm_bench_repl")
            .execute(&admin)
            .await
            .unwrap();
    } else {
        orm_core::raw("DROP DATABASE IF EXISTS orm_bench_repl")
            .execute(&admin)
            .await
            .unwrap();
        orm_core::raw("CREATE DATABASE orm_bench_repl")
            .execute(&admin)
            .await
            .unwrap();
    }
    let db = Db::builder(primary)
        .read_replica(replica)
        .max_connections(8)
        .connect()
        .await
        .unwrap();
    Schema::new()
        .model::<BUser>()
        .model::<BPost>()
        .model::<BComment>()
        .sync(&db)
        .await
        .unwrap();
    let seed: Vec<NewBUser> = (0..100)
        .map(|i| NewBUser {
            name: format!("u{i}"),
            hair_color: None,
        })
        .collect();
    BUser::bulk_create(&db, seed).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/replicas.sh");
    let (reads, writes, failed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let before = db.replica_status()[0].reads;
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let (db, reads, writes, failed) = (db.clone(), reads.clone(), writes.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            while Instant::now() < until {
                i += 1;
                let ok = if i.is_multiple_of(10) {
                    writes.fetch_add(1, Ordering::Relaxed);
                    BUser::create(
                        &db,
                        NewBUser {
                            name: format!("w{i}"),
                            hair_color: None,
                        },
                    )
                    .await
                    .is_ok()
                } else {
                    reads.fetch_add(1, Ordering::Relaxed);
                    BUser::find().order_by(BUser::ID).limit(10).all(&db).await.is_ok()
                };
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs / 3)).await;
    let killed_at = Instant::now();
    std::process::Command::new("bash")
        .args([script, "stop-replica", pair])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(secs / 3)).await;
    std::process::Command::new("bash")
        .args([script, "start-replica", pair])
        .status()
        .unwrap();
    let restarted_after = killed_at.elapsed();
    for t in tasks {
        t.await.unwrap();
    }
    let served = db.replica_status()[0].reads - before;
    let reads = reads.load(Ordering::Relaxed);
    println!(
        "{pair}: {secs} s, 8 tasks, 90% reads: {reads} reads ({:.1}% on the replica), {} writes, {} failed requests; replica killed for {restarted_after:?} in the middle",
        100.0 * served as f64 / reads.max(1) as f64,
        writes.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    // Read-your-writes: a session's read right after its write, against the
    // same read on the primary.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (mut plain, mut session_lat) = (Vec::new(), Vec::new());
    for i in 0..300 {
        let s = db.session();
        let u = BUser::create(
            &s,
            NewBUser {
                name: format!("s{i}"),
                hair_color: None,
            },
        )
        .await
        .unwrap();
        let t = Instant::now();
        assert!(BUser::find_by_pk(u.id).one(&s).await.unwrap().is_some());
        session_lat.push(t.elapsed());
        let p = db.primary();
        let u = BUser::create(
            &p,
            NewBUser {
                name: format!("p{i}"),
                hair_color: None,
            },
        )
        .await
        .unwrap();
        let t = Instant::now();
        assert!(BUser::find_by_pk(u.id).one(&p).await.unwrap().is_some());
        plain.push(t.elapsed());
    }
    plain.sort();
    session_lat.sort();
    let q = |v: &[Duration], f: f64| v[((v.len() - 1) as f64 * f) as usize];
    println!(
        "{pair}: read after write: session median {:?} p99 {:?}; primary median {:?} p99 {:?}",
        q(&session_lat, 0.5),
        q(&session_lat, 0.99),
        q(&plain, 0.5),
        q(&plain, 0.99)
    );
    db.close().await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--replicas") {
        let secs = args
            .iter()
            .position(|a| a == "--secs")
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(10);
        replica_figures(args.get(i + 1).map_or("pg", String::as_str), secs).await;
        return;
    }
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let bulk_only = args.iter().any(|a| a == "--bulk100k");
    let mut dialects: Vec<&str> = args
        .iter()
        .map(|s| s.as_str())
        .filter(|a| ["sqlite", "postgres", "mysql"].contains(a))
        .collect();
    if dialects.is_empty() {
        dialects = vec!["sqlite", "postgres", "mysql"];
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for dialect in dialects {
        let Some((db, raw, max_params)) = setup(dialect).await else {
            println!("{dialect}: server unreachable, skipped");
            continue;
        };
        seed(&db).await;
        if let Some(i) = args.iter().position(|a| a == "--profile") {
            // `--profile <W1|W2|W4|W5> <orm|raw> <iterations>`: run one side of one
            // workload (W1 and W4 at 10,000 users) for a profiler such as callgrind; run it
            // with 0 iterations too and subtract, to leave out the seeding.
            let (w, side) = (args[i + 1].as_str(), args[i + 2].as_str());
            let iters: usize = args[i + 3].parse().expect("iterations");
            let bulk: Vec<(String, Option<String>)> =
                (0..5_000).map(|i| (format!("New {i}"), Some("red".into()))).collect();
            #[cfg(feature = "native-floors")]
            if side == "native" || side == "native-iter" {
                // `--profile <W1|W5> native <n>`: the native floor's side of W1 (10,000 rows) or W5 (5,000).
                let url = match dialect {
                    "postgres" => "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dorm_bench",
                    _ => "mysql://root@127.0.0.1:3306/orm_bench",
                };
                let mut floor = native::Native::open(dialect, url).await.expect("native client");
                for _ in 0..iters {
                    if w == "W5" {
                        assert_eq!(floor.insert_users(&bulk, max_params).await.len(), 5_000);
                        continue;
                    }
                    let got = if side == "native" {
                        floor.users(10_000).await
                    } else {
                        floor.users_iter(10_000).await
                    };
                    assert_eq!(got.len(), 10_000);
                }
                continue;
            }
            for _ in 0..iters {
                match (w, side) {
                    ("W1", "orm") => assert_eq!(orm_users(&db, 10_000).await.len(), 10_000),
                    ("W1", "orm-tuples") => {
                        // Diagnostic: the same statement into tuples (no model).
                        let rows: Vec<(i64, String, Option<String>)> = orm_core::raw(if dialect == "postgres" {
                            "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT $1"
                        } else {
                            "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?"
                        })
                        .bind(10_000i64)
                        .fetch_as(&db)
                        .await
                        .unwrap();
                        assert_eq!(rows.len(), 10_000)
                    }
                    ("W1", "orm-ids") => {
                        // Diagnostic: the same statement, only the first column decoded.
                        let ids: Vec<i64> = orm_core::raw(if dialect == "postgres" {
                            "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT $1"
                        } else {
                            "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?"
                        })
                        .bind(10_000i64)
                        .fetch_scalars(&db)
                        .await
                        .unwrap();
                        assert_eq!(ids.len(), 10_000)
                    }
                    ("W1", _) => assert_eq!(raw.users(10_000).await.len(), 10_000),
                    ("W2", "orm") => assert_eq!(orm_users_with_posts(&db).await.len(), 5_000),
                    ("W2J", "orm") => assert_eq!(orm_users_join_posts(&db).await.len(), 5_000),
                    ("W2" | "W2J", _) => assert_eq!(raw.users_join_posts("black").await.len(), 5_000),
                    ("W5", "orm") => assert_eq!(orm_bulk_insert(&db, &bulk).await, 5_000),
                    ("W5", _) => assert_eq!(raw.insert_users(&bulk, max_params).await.len(), 5_000),
                    ("W4", "orm") => assert_eq!(orm_users_posts_comments(&db, 10_000).await.len(), 10_000),
                    ("W9", "orm") => assert_eq!(orm_upsert(&db, &upsert_rows()).await, 5_000),
                    ("W9", _) => assert_eq!(raw.upsert_counters(&upsert_rows(), max_params).await, 5_000),
                    ("W10", "orm") => assert_eq!(orm_keyset_walk(&db).await, 10_000),
                    ("W10F", "orm") => {
                        // The same pages through a plain query (no cursor), to part the keyset's own cost.
                        let mut last = 0i64;
                        let mut seen = 0;
                        loop {
                            let page = BUser::find()
                                .filter(BUser::ID.gt(last))
                                .order_by(BUser::ID)
                                .limit(101)
                                .all(&db)
                                .await
                                .unwrap();
                            let more = page.len() > 100;
                            seen += page.len().min(100);
                            last = page[page.len().min(100) - 1].id;
                            if !more {
                                break;
                            }
                        }
                        assert_eq!(seen, 10_000);
                    }
                    ("W10", _) => assert_eq!(raw.keyset_walk(100).await, 10_000),
                    ("W6", "orm") => {
                        let mut users = BUser::find().order_by(BUser::ID).limit(100).all(&db).await.unwrap();
                        for u in &mut users {
                            u.name.push('!');
                            u.name.truncate(30);
                            u.save(&db).await.unwrap();
                        }
                    }
                    _ => assert_eq!(raw.users_posts_comments(10_000).await.len(), 10_000),
                }
            }
            return;
        }
        if bulk_only {
            let rows: Vec<(String, Option<String>)> = (0..100_000).map(|i| (format!("Bulk {i}"), None)).collect();
            let s = compare(
                3,
                1,
                &mut rng,
                || async { assert_eq!(orm_bulk_insert(&db, &rows).await, 100_000) },
                || async {
                    assert_eq!(raw.insert_users(&rows, max_params).await.len(), 100_000);
                },
            )
            .await;
            println!(
                "| {dialect} | bulk_create 100,000 rows | {:.3} | {:?} | {:?} |",
                s.median, s.orm, s.raw
            );
            continue;
        }
        println!(
            "\n### {dialect}\n\n| workload | ORM / raw sqlx (median) | spread (p10–p90) | ORM per iteration | raw per iteration |\n|---|---|---|---|---|"
        );
        let s = compare(
            rounds,
            200,
            &mut rng,
            || async { assert_eq!(orm_users(&db, 1).await.len(), 1) },
            || async { assert_eq!(raw.users(1).await.len(), 1) },
        )
        .await;
        println!("{}", row("W1 select users, 1 row", &s));
        let s = compare(
            rounds,
            5,
            &mut rng,
            || async { assert_eq!(orm_users(&db, 10_000).await.len(), 10_000) },
            || async { assert_eq!(raw.users(10_000).await.len(), 10_000) },
        )
        .await;
        println!("{}", row("W1 select users, 10,000 rows", &s));
        #[cfg(feature = "native-floors")]
        {
            let url = match dialect {
                "postgres" => "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dorm_bench",
                _ => "mysql://root@127.0.0.1:3306/orm_bench",
            };
            if let Some(n) = native::Native::open(dialect, url).await {
                let floor = tokio::sync::Mutex::new(n);
                let client = if dialect == "postgres" {
                    "tokio-postgres"
                } else {
                    "mysql_async"
                };
                for (n, iters) in [(1i64, 200), (10_000, 5)] {
                    let s = compare(
                        rounds,
                        iters,
                        &mut rng,
                        || async { assert_eq!(orm_users(&db, n as u64).await.len(), n as usize) },
                        || async { assert_eq!(floor.lock().await.users(n).await.len(), n as usize) },
                    )
                    .await;
                    println!(
                        "{}",
                        row(&format!("native floor: W1 {n} row(s), ORM / raw {client}"), &s)
                    );
                    let s = compare(
                        rounds,
                        iters,
                        &mut rng,
                        || async { assert_eq!(raw.users(n).await.len(), n as usize) },
                        || async { assert_eq!(floor.lock().await.users(n).await.len(), n as usize) },
                    )
                    .await;
                    println!(
                        "{}",
                        row(&format!("native floor: W1 {n} row(s), raw sqlx / raw {client}"), &s)
                    );
                }
                // The pool's own share of a one-row read: the same query
                // through the pool (a connection taken and given back per
                // statement) and on one connection held throughout.
                let held = db.acquire().await.unwrap();
                let s = compare(
                    rounds,
                    200,
                    &mut rng,
                    || async { assert_eq!(orm_users(&db, 1).await.len(), 1) },
                    || async { assert_eq!(orm_users(&held, 1).await.len(), 1) },
                )
                .await;
                println!(
                    "{}",
                    row("pool: W1 1 row, per pooled statement / on a held connection", &s)
                );
                held.release().await;
                let s = compare(
                    rounds,
                    1,
                    &mut rng,
                    || async {
                        for id in 1..=100 {
                            assert!(BUser::find_by_pk(id * 97).one(&db).await.unwrap().is_some());
                        }
                    },
                    || async {
                        let mut f = floor.lock().await;
                        for id in 1..=100 {
                            assert!(f.user(id * 97).await.is_some());
                        }
                    },
                )
                .await;
                println!(
                    "{}",
                    row(&format!("native floor: W3 100 find_by_pk, ORM / raw {client}"), &s)
                );
                for n in [100usize, 5_000] {
                    let rows: Vec<(String, Option<String>)> =
                        (0..n).map(|i| (format!("New {i}"), Some("red".into()))).collect();
                    let iters = if n == 100 { 20 } else { 2 };
                    let s = compare(
                        rounds,
                        iters,
                        &mut rng,
                        || async { assert_eq!(orm_bulk_insert(&db, &rows).await, n) },
                        || async {
                            let ids = floor.lock().await.insert_users(&rows, max_params).await;
                            assert_eq!(ids.len(), n);
                        },
                    )
                    .await;
                    println!(
                        "{}",
                        row(
                            &format!("native floor: W5 bulk insert {n} rows, ORM / raw {client}"),
                            &s
                        )
                    );
                }
            }
        }
        if dialect == "sqlite" {
            // The in-thread floor, in place of raw sqlx on the right.
            let floor = Floor::open();
            for (n, iters, name) in [
                (1, 200, "floor: W1 1 row, ORM / rusqlite on the calling thread"),
                (10_000, 5, "floor: W1 10,000 rows, ORM / rusqlite on the calling thread"),
            ] {
                let s = compare(
                    rounds,
                    iters,
                    &mut rng,
                    || async { assert_eq!(orm_users(&db, n as u64).await.len(), n as usize) },
                    || async { assert_eq!(floor.users(n).len(), n as usize) },
                )
                .await;
                println!("{}", row(name, &s));
            }
        }
        let s = compare(
            rounds,
            5,
            &mut rng,
            || async {
                let users = orm_users_with_posts(&db).await;
                assert_eq!(
                    users
                        .iter()
                        .map(|u| u.posts.get().map_or(0, |p| p.len()))
                        .sum::<usize>(),
                    5_000
                );
            },
            || async { assert_eq!(raw.users_join_posts("black").await.len(), 5_000) },
        )
        .await;
        println!("{}", row("W2 users + posts, hair_color filter (5,000 rows)", &s));
        let s = compare(
            rounds,
            5,
            &mut rng,
            || async {
                let users = orm_users_join_posts(&db).await;
                assert_eq!(
                    users
                        .iter()
                        .map(|u| u.posts.get().map_or(0, |p| p.len()))
                        .sum::<usize>(),
                    5_000
                );
            },
            || async { assert_eq!(raw.users_join_posts("black").await.len(), 5_000) },
        )
        .await;
        println!("{}", row("W2 by .join() (one statement, 5,000 rows)", &s));
        for join in [true, false] {
            let s = compare(
                rounds,
                20,
                &mut rng,
                || async {
                    let posts = orm_posts_with_users(&db, join).await;
                    assert!(posts.len() == 500 && posts[499].user.get().is_some());
                },
                || async { assert_eq!(raw.posts_join_users(500).await.len(), 500) },
            )
            .await;
            let how = if join { ".join()" } else { "a second statement" };
            println!("{}", row(&format!("W7 500 posts with their users, by {how}"), &s));
        }
        let s = compare(
            rounds,
            1,
            &mut rng,
            || async {
                for id in 1..=100 {
                    assert!(BUser::find_by_pk(id * 97).one(&db).await.unwrap().is_some());
                }
            },
            || async {
                for id in 1..=100 {
                    assert!(raw.user(id * 97).await.is_some());
                }
            },
        )
        .await;
        println!("{}", row("W3 100 sequential find_by_pk", &s));
        for n in [100i64, 1_000, 10_000] {
            let iters = (2_000 / n as usize).max(2);
            let s = compare(
                rounds,
                iters,
                &mut rng,
                || async {
                    let users = orm_users_posts_comments(&db, n as u64).await;
                    assert_eq!(users.len(), n as usize);
                    assert!(users[0].posts.get().unwrap()[0].comments.get().unwrap().len() == 1);
                },
                || async {
                    let users = raw.users_posts_comments(n).await;
                    assert_eq!(users.len(), n as usize);
                    assert!(users[0].1[0].1.len() == 1);
                },
            )
            .await;
            println!(
                "{}",
                row(&format!("W4 users → posts → comments, {n} users (3 statements)"), &s)
            );
        }
        for n in [100usize, 5_000] {
            let rows: Vec<(String, Option<String>)> =
                (0..n).map(|i| (format!("New {i}"), Some("red".into()))).collect();
            let iters = if n == 100 { 20 } else { 2 };
            let s = compare(
                rounds,
                iters,
                &mut rng,
                || async { assert_eq!(orm_bulk_insert(&db, &rows).await, n) },
                || async {
                    assert_eq!(raw.insert_users(&rows, max_params).await.len(), n);
                },
            )
            .await;
            println!("{}", row(&format!("W5 bulk insert {n} rows (rolled back)"), &s));
        }
        let s = compare(
            rounds,
            1,
            &mut rng,
            || async {
                let mut users = BUser::find().order_by(BUser::ID).limit(100).all(&db).await.unwrap();
                for u in &mut users {
                    u.name.push('!');
                    u.name.truncate(30);
                    u.save(&db).await.unwrap();
                }
            },
            || async {
                let mut users = raw.users(100).await;
                for u in &mut users {
                    u.name.push('!');
                    u.name.truncate(30);
                    raw.save_user(u).await;
                }
            },
        )
        .await;
        println!("{}", row("W6 load 100 users, change one field, save each", &s));
        // W8 needs 20 posts per user for the first 1,000 (added last: the
        // other workloads count one post per user).
        let more: Vec<models::NewBPost> = (1..=1_000)
            .flat_map(|u| {
                (0..19).map(move |i| models::NewBPost {
                    user_id: u,
                    title: format!("More {i}"),
                    body: None,
                })
            })
            .collect();
        BPost::bulk_create_unvalidated(&db, more).await.unwrap();
        let s = compare(
            rounds,
            5,
            &mut rng,
            || async {
                let users = orm_users_latest_posts(&db).await;
                assert!(users.len() == 1_000 && users.iter().all(|u| u.posts.get().unwrap().len() == 3));
            },
            || async {
                let users = raw.users_latest_posts(1_000, 3).await;
                assert!(users.len() == 1_000 && users.iter().all(|u| u.1.len() == 3));
            },
        )
        .await;
        println!(
            "{}",
            row("W8 1,000 users, each one's 3 latest of 20 posts (window function)", &s)
        );
        let upserts = upsert_rows();
        let s = compare(
            rounds,
            2,
            &mut rng,
            || async { assert_eq!(orm_upsert(&db, &upserts).await, 5_000) },
            || async { assert_eq!(raw.upsert_counters(&upserts, max_params).await, 5_000) },
        )
        .await;
        println!(
            "{}",
            row("W9 bulk upsert 5,000 rows, half conflicting (rolled back)", &s)
        );
        let s = compare(
            rounds,
            2,
            &mut rng,
            || async { assert_eq!(orm_keyset_walk(&db).await, 10_000) },
            || async { assert_eq!(raw.keyset_walk(100).await, 10_000) },
        )
        .await;
        println!("{}", row("W10 keyset walk, 100 pages of 100 users", &s));
        db.close().await;
    }
}
