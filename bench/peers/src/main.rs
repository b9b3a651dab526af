//! The ORM next to its peers on the workloads of ../src (W1–W6, W9 bulk upsert, W10 keyset walk), rounds
//! interleaving the implementations in random order. PostgreSQL: ours, raw
//! sqlx (the floor), SeaORM and Diesel in one process. MariaDB: ours, SeaORM
//! and Diesel (libmysqlclient: `apt-get install libmariadb-dev-compat`).
//! SQLite: ours and SeaORM here, Diesel in the `../diesel-sqlite` process.
//! Run from this folder: `cargo run --release` (servers as in the README).

mod ours {
    use orm_core::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "users", timestamps = false)]
    pub struct BUser {
        pub id: i64,
        pub name: String,
        pub hair_color: Option<String>,
        #[orm(foreign_key = "user_id")]
        pub posts: HasMany<BPost>,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "posts", timestamps = false)]
    pub struct BPost {
        pub id: i64,
        pub user_id: i64,
        pub title: String,
        pub body: Option<String>,
        #[orm(foreign_key = "post_id")]
        pub comments: HasMany<BComment>,
    }
    #[derive(Model, Debug, Clone)]
    #[orm(table = "comments", timestamps = false)]
    pub struct BComment {
        pub id: i64,
        pub post_id: i64,
        pub text: String,
    }
    /// W9's upsert target: `name` is unique.
    #[derive(Model, Debug, Clone)]
    #[orm(table = "counters", timestamps = false)]
    pub struct BCounter {
        pub id: i64,
        #[orm(unique, length = 40)]
        pub name: String,
        pub hits: i64,
    }
}

mod sea {
    pub mod user {
        use sea_orm::entity::prelude::*;
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "users")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub name: String,
            pub hair_color: Option<String>,
        }
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(has_many = "super::post::Entity")]
            Post,
        }
        impl Related<super::post::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Post.def()
            }
        }
        impl ActiveModelBehavior for ActiveModel {}
    }
    pub mod post {
        use sea_orm::entity::prelude::*;
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "posts")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub user_id: i64,
            pub title: String,
            pub body: Option<String>,
        }
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::user::Entity",
                from = "Column::UserId",
                to = "super::user::Column::Id"
            )]
            User,
            #[sea_orm(has_many = "super::comment::Entity")]
            Comment,
        }
        impl Related<super::user::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::User.def()
            }
        }
        impl Related<super::comment::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Comment.def()
            }
        }
        impl ActiveModelBehavior for ActiveModel {}
    }
    pub mod comment {
        use sea_orm::entity::prelude::*;
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "comments")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub post_id: i64,
            pub text: String,
        }
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::post::Entity",
                from = "Column::PostId",
                to = "super::post::Column::Id"
            )]
            Post,
        }
        impl Related<super::post::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Post.def()
            }
        }
        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// W9's counters for SeaORM.
mod sea_counter {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "counters")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub name: String,
        pub hits: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

include!("diesel_work.rs");
include!("../../src/pool_setup.rs");

use diesel::prelude::*;
use orm_core::prelude::*;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, LoaderTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const IMPLS: [&str; 4] = ["orm", "raw", "sea", "diesel"];

struct Ctx {
    db: Db,
    raw: sqlx::PgPool,
    sea: sea_orm::DatabaseConnection,
    diesel: std::cell::RefCell<diesel::PgConnection>,
}

/// Our median milliseconds per iteration, by dialect and workload, for
/// the Sequelize comparison (../sequelize reads target/ours.json).
static OURS: std::sync::Mutex<Vec<(String, String, f64)>> = std::sync::Mutex::new(Vec::new());

fn record_ours(dialect: &str, label: &str, mut per_iter: Vec<f64>) {
    per_iter.sort_by(f64::total_cmp);
    let median = per_iter[per_iter.len() / 2];
    OURS.lock().unwrap().push((dialect.into(), label.into(), median));
}

fn write_ours() {
    let all = OURS.lock().unwrap();
    let mut json = String::from("{");
    for (i, d) in ["postgres", "mysql", "sqlite"].iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!("\"{d}\":{{"));
        let items: Vec<String> = all
            .iter()
            .filter(|(dd, _, _)| dd == d)
            .map(|(_, l, v)| format!("\"{l}\":{v}"))
            .collect();
        json.push_str(&items.join(","));
        json.push('}');
    }
    json.push('}');
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ours.json");
    std::fs::write(path, json).unwrap();
}

/// PostgreSQL ratios to raw sqlx, for the chart: (short label, [ours, SeaORM, Diesel]).
static CHART: std::sync::Mutex<Vec<(String, [f64; 3])>> = std::sync::Mutex::new(Vec::new());

/// MariaDB and SQLite ratios, for the second chart: (dialect, short label,
/// [ours / SeaORM, ours / Diesel]).
static PEER_CHART: std::sync::Mutex<Vec<(String, String, [f64; 2])>> = std::sync::Mutex::new(Vec::new());

/// One series of bars: its legend name, colour and a value per workload
/// (NaN: no bar).
type Series<'a> = (&'a str, plotters::style::RGBColor, Vec<f64>);

/// Draw grouped bars (one group per label, one bar per series) with a line
/// at 1.0 on `area`.
fn draw_bars<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    labels: &[String],
    series: &[Series<'_>],
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    use plotters::prelude::*;
    let max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied().filter(|x| x.is_finite()))
        .fold(1.5, f64::max)
        .min(9.0);
    let group = series.len() as f64 + 1.0;
    let width = labels.len() as f64 * group;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(20)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..width, 0.0..max * 1.3)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .draw()?;
    for (k, (name, color, values)) in series.iter().enumerate() {
        let c = *color;
        chart
            .draw_series(values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| {
                let x0 = i as f64 * group + 0.5 + k as f64;
                Rectangle::new([(x0, 0.0), (x0 + 0.9, v.min(max * 1.08))], c.filled())
            }))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], c.filled()));
    }
    chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 1.0), (width, 1.0)], BLACK)))?;
    chart.draw_series(labels.iter().enumerate().map(|(i, l)| {
        Text::new(
            l.clone(),
            (i as f64 * group + 0.5, max * 1.05),
            ("sans-serif", 15).into_font(),
        )
    }))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    Ok(())
}

/// Draw BENCHMARKS-peers.png (repository root): ours / SeaORM and ours /
/// Diesel per workload on MariaDB and SQLite, one panel each.
fn draw_peer_chart() -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let cache = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chart-peers.txt");
    let mut data = PEER_CHART.lock().unwrap().clone();
    if data.is_empty() {
        for line in std::fs::read_to_string(&cache)?.lines() {
            let f: Vec<&str> = line.split('|').collect();
            data.push((f[0].into(), f[1].into(), [f[2].parse()?, f[3].parse()?]));
        }
    } else {
        let lines: Vec<String> = data
            .iter()
            .map(|(d, l, r)| format!("{d}|{l}|{}|{}", r[0], r[1]))
            .collect();
        std::fs::write(&cache, lines.join("\n"))?;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../BENCHMARKS-peers.png");
    let root = BitMapBackend::new(&path, (1400, 1100)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((2, 1));
    for (panel, (dialect, title)) in panels.iter().zip([("mysql", "MariaDB"), ("sqlite", "SQLite")]) {
        let rows: Vec<&(String, String, [f64; 2])> = data.iter().filter(|(d, _, _)| d == dialect).collect();
        let labels: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        let column = |k: usize| rows.iter().map(|r| r.2[k]).collect::<Vec<f64>>();
        draw_bars(
            panel,
            &format!("{title}: our time relative to each peer's (1.0 = equal; below 1 = ours faster)"),
            "ours / peer",
            &labels,
            &[
                ("ours / SeaORM 2.0", RGBColor(255, 127, 14), column(0)),
                ("ours / Diesel 2.3", RGBColor(44, 160, 44), column(1)),
            ],
        )?;
    }
    root.present()?;
    Ok(())
}

/// Draw BENCHMARKS.png (repository root): grouped bars of the median
/// ratio to raw sqlx per workload on PostgreSQL.
fn draw_chart() -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(font.into_boxed_slice()))
        .map_err(|_| "font")?;
    let cache = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chart.txt");
    let mut data = CHART.lock().unwrap().clone();
    if data.is_empty() {
        // `--chart`: redraw from the last run.
        for line in std::fs::read_to_string(&cache)?.lines() {
            let f: Vec<&str> = line.split('|').collect();
            data.push((f[0].to_string(), [f[1].parse()?, f[2].parse()?, f[3].parse()?]));
        }
    } else {
        let lines: Vec<String> = data
            .iter()
            .map(|(l, r)| format!("{l}|{}|{}|{}", r[0], r[1], r[2]))
            .collect();
        std::fs::write(&cache, lines.join("\n"))?;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../BENCHMARKS.png");
    let root = BitMapBackend::new(&path, (1400, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let labels: Vec<String> = data.iter().map(|(l, _)| l.clone()).collect();
    let column = |k: usize| data.iter().map(|(_, r)| r[k]).collect::<Vec<f64>>();
    draw_bars(
        &root,
        "PostgreSQL: median time relative to hand-written sqlx (1.0 = raw sqlx; lower is faster)",
        "ratio to raw sqlx",
        &labels,
        &[
            ("this ORM", RGBColor(31, 119, 180), column(0)),
            ("SeaORM 2.0", RGBColor(255, 127, 14), column(1)),
            ("Diesel 2.3", RGBColor(44, 160, 44), column(2)),
        ],
    )?;
    root.present()?;
    Ok(())
}

/// Per-round ratios to raw for each implementation; the median.
async fn run(ctx: &Ctx, rounds: usize, iters: usize, rng: &mut Rng, w: &str, n: i64, label: &str) -> [f64; 4] {
    let mut ours_ms = Vec::new();
    let mut ratios: [Vec<f64>; 4] = Default::default();
    for round in 0..=rounds {
        let mut order = [0usize, 1, 2, 3];
        for i in (1..4).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let mut times = [Duration::ZERO; 4];
        for &imp in &order {
            let started = Instant::now();
            for _ in 0..iters {
                work(ctx, IMPLS[imp], w, n).await;
            }
            times[imp] = started.elapsed();
        }
        if round > 0 {
            for i in 0..4 {
                ratios[i].push(times[i].as_secs_f64() / times[1].as_secs_f64());
            }
            ours_ms.push(times[0].as_secs_f64() * 1e3 / iters as f64);
        }
    }
    record_ours("postgres", label, ours_ms);
    let mut out = [0.0; 4];
    for i in 0..4 {
        ratios[i].sort_by(f64::total_cmp);
        out[i] = ratios[i][ratios[i].len() / 2];
    }
    out
}

async fn work(ctx: &Ctx, imp: &str, w: &str, n: i64) {
    match (imp, w) {
        ("orm", _) => ours_work(&ctx.db, w, n).await,
        ("sea", _) => sea_work(&ctx.sea, w, n, "postgres").await,
        ("diesel", _) => diesel_workload!(&mut *ctx.diesel.borrow_mut(), w, n, returning = true),
        ("raw", "W10") => {
            let (mut last, mut seen) = (0i64, 0usize);
            loop {
                let mut page: Vec<(i64, String, Option<String>)> =
                    sqlx::query_as("SELECT id, name, hair_color FROM users WHERE id > $1 ORDER BY id ASC LIMIT 101")
                        .bind(last)
                        .fetch_all(&ctx.raw)
                        .await
                        .unwrap();
                match keyset_step(&mut page, &mut seen, |u| u.0) {
                    Some(key) => last = key,
                    None => break,
                }
            }
            assert_eq!(seen, 10_000);
        }
        ("raw", "W9") => {
            let rows = upsert_rows();
            let mut tx = ctx.raw.begin().await.unwrap();
            let mut sql = String::from("INSERT INTO counters (name, hits) VALUES ");
            for i in 0..rows.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
            }
            sql.push_str(" ON CONFLICT (name) DO UPDATE SET hits = EXCLUDED.hits RETURNING id, name, hits");
            let mut q = sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(sql));
            for (name, hits) in rows {
                q = q.bind(name).bind(hits);
            }
            assert_eq!(q.fetch_all(&mut *tx).await.unwrap().len(), 5_000);
            tx.rollback().await.unwrap();
        }
        ("raw", "W1") => {
            let rows: Vec<(i64, String, Option<String>)> =
                sqlx::query_as("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT $1")
                    .bind(n)
                    .fetch_all(&ctx.raw)
                    .await
                    .unwrap();
            assert_eq!(rows.len(), n as usize);
        }
        ("raw", "W2") => {
            /// A user and its post, if any (the LEFT JOIN's row).
            type UserPost = (i64, String, Option<String>, Option<i64>, Option<i64>, Option<String>, Option<String>);
            let rows: Vec<UserPost> = sqlx::query_as(
                "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = $1",
            )
            .bind("black")
            .fetch_all(&ctx.raw)
            .await
            .unwrap();
            assert_eq!(rows.len(), 5_000);
        }
        ("raw", "W3") => {
            for id in 1..=100i64 {
                let row: Option<(i64, String, Option<String>)> =
                    sqlx::query_as("SELECT id, name, hair_color FROM users WHERE id = $1")
                        .bind(id * 97)
                        .fetch_optional(&ctx.raw)
                        .await
                        .unwrap();
                assert!(row.is_some());
            }
        }
        ("raw", "W4") => {
            let users: Vec<(i64, String, Option<String>)> =
                sqlx::query_as("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT $1")
                    .bind(n)
                    .fetch_all(&ctx.raw)
                    .await
                    .unwrap();
            let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
            let posts: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, user_id, title, body FROM posts WHERE user_id IN (SELECT unnest($1)) ORDER BY id ASC",
            )
            .bind(&ids)
            .fetch_all(&ctx.raw)
            .await
            .unwrap();
            let pids: Vec<i64> = posts.iter().map(|p| p.0).collect();
            let comments: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT id, post_id, text FROM comments WHERE post_id IN (SELECT unnest($1)) ORDER BY id ASC",
            )
            .bind(&pids)
            .fetch_all(&ctx.raw)
            .await
            .unwrap();
            let mut by_post: std::collections::HashMap<i64, Vec<(i64, i64, String)>> = Default::default();
            for c in comments {
                by_post.entry(c.1).or_default().push(c);
            }
            let mut by_user: std::collections::HashMap<i64, Vec<_>> = Default::default();
            for p in posts {
                let cs = by_post.remove(&p.0).unwrap_or_default();
                by_user.entry(p.1).or_default().push((p, cs));
            }
            let nested: Vec<_> = users
                .into_iter()
                .map(|u| {
                    let ps = by_user.remove(&u.0).unwrap_or_default();
                    (u, ps)
                })
                .collect();
            assert_eq!(nested.len(), n as usize);
        }
        ("raw", "W5") => {
            let mut tx = ctx.raw.begin().await.unwrap();
            let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
            for i in 0..n {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
            }
            sql.push_str(" RETURNING id");
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            for i in 0..n {
                q = q.bind(format!("New {i}")).bind("red");
            }
            assert_eq!(q.fetch_all(&mut *tx).await.unwrap().len(), n as usize);
            tx.rollback().await.unwrap();
        }
        ("raw", "W6") => {
            let users: Vec<(i64, String, Option<String>)> =
                sqlx::query_as("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT 100")
                    .fetch_all(&ctx.raw)
                    .await
                    .unwrap();
            for (id, name, color) in users {
                let name = format!("{}!", &name[..name.len().min(20)]);
                sqlx::query("UPDATE users SET name = $1, hair_color = $2 WHERE id = $3")
                    .bind(name)
                    .bind(color)
                    .bind(id)
                    .execute(&ctx.raw)
                    .await
                    .unwrap();
            }
        }
        other => panic!("{other:?}"),
    }
}

/// The ORM's pool on `url`, with the schema created and the data every
/// implementation reads: 10,000 users (half black-haired), a post each and
/// a comment per post.
async fn seeded(url: &str) -> Db {
    use ours::*;
    let db = Db::builder(url)
        .max_connections(5)
        .min_connections(5)
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
    let users = BUser::bulk_create(
        &db,
        (0..10_000)
            .map(|i| NewBUser {
                name: format!("User {i}"),
                hair_color: Some(if i % 2 == 0 { "black" } else { "brown" }.into()),
            })
            .collect(),
    )
    .await
    .unwrap();
    let posts = BPost::bulk_create(
        &db,
        users
            .iter()
            .map(|u| NewBPost {
                user_id: u.id,
                title: format!("Post by {}", u.name),
                body: None,
            })
            .collect(),
    )
    .await
    .unwrap();
    BComment::bulk_create(
        &db,
        posts
            .iter()
            .map(|p| NewBComment {
                post_id: p.id,
                text: "Nice".into(),
            })
            .collect(),
    )
    .await
    .unwrap();
    Schema::new().model::<BCounter>().sync(&db).await.unwrap();
    BCounter::bulk_create(
        &db,
        (0..2_500)
            .map(|i| NewBCounter {
                name: format!("k{i}"),
                hits: 0,
            })
            .collect(),
    )
    .await
    .unwrap();
    db
}

/// Diesel on MariaDB (in process, over libmysqlclient) or SQLite (the
/// `bench/diesel-sqlite` process, fed workloads over a pipe).
enum DieselPeer {
    MySql(diesel::MysqlConnection),
    Sqlite {
        child: std::process::Child,
        out: std::io::BufReader<std::process::ChildStdout>,
    },
}

impl DieselPeer {
    fn open(dialect: &str, url: &str) -> Option<DieselPeer> {
        use std::process::{Command, Stdio};
        if dialect == "mysql" {
            return Some(DieselPeer::MySql(
                diesel::MysqlConnection::establish(url).expect("Diesel on MariaDB"),
            ));
        }
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../diesel-sqlite/target/release/orm-bench-diesel-sqlite");
        if !bin.exists() {
            eprintln!("Diesel on SQLite skipped: build it first (cd bench/diesel-sqlite && cargo build --release)");
            return None;
        }
        let path = url.trim_start_matches("sqlite://").split('?').next().unwrap();
        let mut child = Command::new(bin)
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the Diesel SQLite process");
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        Some(DieselPeer::Sqlite { child, out })
    }

    /// Runs `iters` iterations; the time Diesel itself measured (SQLite)
    /// or the wall time here (MariaDB).
    fn run(&mut self, w: &str, n: i64, iters: usize) -> Duration {
        use std::io::{BufRead, Write};
        match self {
            DieselPeer::MySql(conn) => {
                let started = Instant::now();
                for _ in 0..iters {
                    diesel_workload!(&mut *conn, w, n, returning = false);
                }
                started.elapsed()
            }
            DieselPeer::Sqlite { child, out } => {
                let stdin = child.stdin.as_mut().unwrap();
                writeln!(stdin, "{w} {n} {iters}").unwrap();
                stdin.flush().unwrap();
                let mut line = String::new();
                out.read_line(&mut line).unwrap();
                Duration::from_secs_f64(line.trim().parse().expect("seconds from the Diesel process"))
            }
        }
    }
}

/// MariaDB and SQLite: the ORM, SeaORM and Diesel in random order each
/// round; ratios ORM / SeaORM and ORM / Diesel per round, medians.
async fn ours_vs_peers(dialect: &str, rounds: usize) {
    let url = match dialect {
        "mysql" => {
            let admin = Db::connect("mysql://root@127.0.0.1:3306/test").await.expect("MariaDB");
            orm_core::raw("DROP DATABASE IF EXISTS orm_peers")
                .execute(&admin)
                .await
                .unwrap();
            orm_core::raw("CREATE DATABASE orm_peers CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                .execute(&admin)
                .await
                .unwrap();
            "mysql://root@127.0.0.1:3306/orm_peers".to_string()
        }
        _ => {
            let path = std::env::temp_dir().join("orm_peers.db");
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}?mode=rwc", path.display())
        }
    };
    let db = seeded(&url).await;
    let mut opts = sea_orm::ConnectOptions::new(url.clone());
    opts.max_connections(5)
        .min_connections(5)
        .sqlx_logging(false)
        .test_before_acquire_if_idle_for(Duration::from_millis(500)); // as the ORM's pool
    let sea_db = sea_orm::Database::connect(opts).await.unwrap();
    if let Ok(spec) = std::env::var("PEERS_PROFILE") {
        // `PEERS_PROFILE="<ours|sea> <W> <n> <iterations>"`: one side of one
        // workload, for a profiler (run it with 0 iterations too and subtract).
        let f: Vec<&str> = spec.split_whitespace().collect();
        let (n, iters): (i64, usize) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        for _ in 0..iters {
            if f[0] == "ours" {
                ours_work(&db, f[1], n).await;
            } else {
                sea_work(&sea_db, f[1], n, dialect).await;
            }
        }
        return;
    }
    let mut diesel = DieselPeer::open(dialect, &url);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    println!("\n| workload ({dialect}) | ORM / SeaORM | ORM / Diesel |\n|---|---|---|");
    for (label, w, n, iters) in [
        ("W1 select users, 1 row", "W1", 1i64, 200),
        ("W1 select users, 10,000 rows", "W1", 10_000, 5),
        ("W2 users + posts, hair_color filter", "W2", 0, 5),
        ("W3 100 sequential find_by_pk", "W3", 0, 1),
        ("W4 users -> posts -> comments, 100", "W4", 100, 20),
        ("W4 users -> posts -> comments, 1,000", "W4", 1_000, 2),
        ("W4 users -> posts -> comments, 10,000", "W4", 10_000, 1),
        ("W5 bulk insert 100 rows", "W5", 100, 20),
        ("W5 bulk insert 5,000 rows", "W5", 5_000, 2),
        ("W6 load 100, change one field, save each", "W6", 0, 1),
        ("W9 bulk upsert 5,000 rows, half conflicting", "W9", 5_000, 2),
        ("W10 keyset walk, 100 pages of 100", "W10", 0, 2),
    ] {
        let mut vs_sea = Vec::new();
        let mut vs_diesel = Vec::new();
        let mut ours_ms = Vec::new();
        for round in 0..=rounds {
            let mut order = [0usize, 1, 2];
            for i in (1..3).rev() {
                order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
            let mut t = [Duration::ZERO; 3];
            for side in order {
                t[side] = match side {
                    0 => {
                        let started = Instant::now();
                        for _ in 0..iters {
                            ours_work(&db, w, n).await;
                        }
                        started.elapsed()
                    }
                    1 => {
                        let started = Instant::now();
                        for _ in 0..iters {
                            sea_work(&sea_db, w, n, dialect).await;
                        }
                        started.elapsed()
                    }
                    _ => match diesel.as_mut() {
                        Some(d) => d.run(w, n, iters),
                        None => Duration::ZERO,
                    },
                };
            }
            if round > 0 {
                vs_sea.push(t[0].as_secs_f64() / t[1].as_secs_f64());
                vs_diesel.push(t[0].as_secs_f64() / t[2].as_secs_f64());
                ours_ms.push(t[0].as_secs_f64() * 1e3 / iters as f64);
            }
        }
        record_ours(dialect, label, ours_ms);
        vs_sea.sort_by(f64::total_cmp);
        vs_diesel.sort_by(f64::total_cmp);
        let diesel_cell = if diesel.is_some() {
            format!("{:.3}", vs_diesel[vs_diesel.len() / 2])
        } else {
            "not run".into()
        };
        println!("| {label} | {:.3} | {diesel_cell} |", vs_sea[vs_sea.len() / 2]);
        let short = if n > 0 { format!("{w} {n}") } else { w.to_string() };
        let diesel_ratio = if diesel.is_some() {
            vs_diesel[vs_diesel.len() / 2]
        } else {
            f64::NAN
        };
        PEER_CHART
            .lock()
            .unwrap()
            .push((dialect.to_string(), short, [vs_sea[vs_sea.len() / 2], diesel_ratio]));
    }
    if let (Some(d), "mysql") = (diesel.as_mut(), dialect) {
        mysql_client_floor(&url, d, rounds).await;
    }
    if let Some(DieselPeer::Sqlite { mut child, .. }) = diesel {
        drop(child.stdin.take());
        let _ = child.wait();
    }
}

/// MariaDB's clients alone: raw mysql_async (one held connection over TCP,
/// prepared statements, every cell decoded) against Diesel
/// (libmysqlclient) on the workloads of small statements, to part the
/// client's share of the ORM's distance to Diesel there. Alternating
/// order; median of the per-round ratios.
async fn mysql_client_floor(url: &str, diesel: &mut DieselPeer, rounds: usize) {
    let opts = mysql_async::Opts::from_url(url).unwrap();
    let opts = mysql_async::OptsBuilder::from_opts(opts).prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    println!("\n| workload (mysql, raw clients) | mysql_async / Diesel |\n|---|---|");
    for (label, w, n, iters) in [
        ("W1 select users, 1 row", "W1", 1i64, 200),
        ("W3 100 sequential find_by_pk", "W3", 0, 1),
        ("W10 keyset walk, 100 pages of 100", "W10", 0, 2),
    ] {
        let mut ratios = Vec::new();
        for round in 0..=rounds {
            let mut raw = Duration::ZERO;
            let mut dsl = Duration::ZERO;
            for side in [round % 2, 1 - round % 2] {
                if side == 0 {
                    let started = Instant::now();
                    for _ in 0..iters {
                        mysql_async_work(&mut conn, w, n).await;
                    }
                    raw = started.elapsed();
                } else {
                    dsl = diesel.run(w, n, iters);
                }
            }
            if round > 0 {
                ratios.push(raw.as_secs_f64() / dsl.as_secs_f64());
            }
        }
        ratios.sort_by(f64::total_cmp);
        println!("| {label} | {:.3} |", ratios[ratios.len() / 2]);
    }
}

async fn mysql_async_work(conn: &mut mysql_async::Conn, w: &str, n: i64) {
    use mysql_async::prelude::Queryable;
    type Row = (i64, String, Option<String>);
    match w {
        "W1" => {
            let rows: Vec<Row> = conn
                .exec("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?", (n,))
                .await
                .unwrap();
            assert_eq!(rows.len(), n as usize);
        }
        "W3" => {
            for id in 1..=100i64 {
                let row: Option<Row> = conn
                    .exec_first("SELECT id, name, hair_color FROM users WHERE id = ?", (id * 97,))
                    .await
                    .unwrap();
                assert!(row.is_some());
            }
        }
        _ => {
            let (mut last, mut seen) = (0i64, 0usize);
            loop {
                let mut page: Vec<Row> = conn
                    .exec(
                        "SELECT id, name, hair_color FROM users WHERE id > ? ORDER BY id ASC LIMIT 101",
                        (last,),
                    )
                    .await
                    .unwrap();
                match keyset_step(&mut page, &mut seen, |u| u.0) {
                    Some(key) => last = key,
                    None => break,
                }
            }
            assert_eq!(seen, 10_000);
        }
    }
}

async fn ours_work(db: &Db, w: &str, n: i64) {
    use ours::*;
    match w {
        "W1" => assert_eq!(
            BUser::find()
                .order_by(BUser::ID)
                .limit(n as u64)
                .all(db)
                .await
                .unwrap()
                .len(),
            n as usize
        ),
        "W2" => {
            let users = BUser::find()
                .filter(BUser::HAIR_COLOR.eq("black"))
                .include(BUser::posts())
                .all(db)
                .await
                .unwrap();
            assert_eq!(users.len(), 5_000);
        }
        "W3" => {
            for id in 1..=100 {
                assert!(BUser::find_by_pk(id * 97).one(db).await.unwrap().is_some());
            }
        }
        "W4" => {
            let users = BUser::find()
                .order_by(BUser::ID)
                .limit(n as u64)
                .include(BUser::posts().include(BPost::comments()))
                .all(db)
                .await
                .unwrap();
            assert_eq!(users.len(), n as usize);
        }
        "W5" => {
            let tx = db.begin().await.unwrap();
            let rows = (0..n)
                .map(|i| NewBUser {
                    name: format!("New {i}"),
                    hair_color: Some("red".into()),
                })
                .collect();
            assert_eq!(BUser::bulk_create(&tx, rows).await.unwrap().len(), n as usize);
            tx.rollback().await.unwrap();
        }
        "W9" => {
            let tx = db.begin().await.unwrap();
            let rows: Vec<NewBCounter> = upsert_rows()
                .into_iter()
                .map(|(name, hits)| NewBCounter { name, hits })
                .collect();
            let stored = BCounter::insert_many(rows)
                .on_conflict(BCounter::NAME)
                .do_update([BCounter::HITS])
                .all(&tx)
                .await
                .unwrap();
            assert_eq!(stored.len(), 5_000);
            tx.rollback().await.unwrap();
        }
        "W10" => {
            let (mut cursor, mut seen) = (None, 0);
            loop {
                let page = BUser::find().paginate(100).after(cursor).all(db).await.unwrap();
                seen += page.items.len();
                match page.next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(seen, 10_000);
        }
        _ => {
            let mut users = BUser::find().order_by(BUser::ID).limit(100).all(db).await.unwrap();
            for u in &mut users {
                u.name = format!("{}!", &u.name[..u.name.len().min(20)]);
                u.save(db).await.unwrap();
            }
        }
    }
}

async fn sea_work(sea_db: &sea_orm::DatabaseConnection, w: &str, n: i64, dialect: &str) {
    match w {
        "W1" => assert_eq!(
            sea::user::Entity::find()
                .order_by_asc(sea::user::Column::Id)
                .limit(n as u64)
                .all(sea_db)
                .await
                .unwrap()
                .len(),
            n as usize
        ),
        "W2" => {
            let rows = sea::user::Entity::find()
                .filter(sea::user::Column::HairColor.eq("black"))
                .find_also_related(sea::post::Entity)
                .all(sea_db)
                .await
                .unwrap();
            assert_eq!(rows.len(), 5_000);
        }
        "W3" => {
            for id in 1..=100i64 {
                assert!(
                    sea::user::Entity::find_by_id(id * 97)
                        .one(sea_db)
                        .await
                        .unwrap()
                        .is_some()
                );
            }
        }
        "W4" => {
            let users = sea::user::Entity::find()
                .order_by_asc(sea::user::Column::Id)
                .limit(n as u64)
                .all(sea_db)
                .await
                .unwrap();
            let posts = users.load_many(sea::post::Entity, sea_db).await.unwrap();
            let flat: Vec<sea::post::Model> = posts.iter().flatten().cloned().collect();
            let comments = flat.load_many(sea::comment::Entity, sea_db).await.unwrap();
            assert_eq!(comments.len(), flat.len());
        }
        "W5" => {
            let txn = sea_db.begin().await.unwrap();
            let rows = (0..n).map(|i| sea::user::ActiveModel {
                name: Set(format!("New {i}")),
                hair_color: Set(Some("red".into())),
                ..Default::default()
            });
            if dialect == "mysql" {
                // MySQL has no INSERT .. RETURNING: SeaORM reports the last id only.
                sea::user::Entity::insert_many(rows).exec(&txn).await.unwrap();
            } else {
                assert_eq!(
                    sea::user::Entity::insert_many(rows)
                        .exec_with_returning(&txn)
                        .await
                        .unwrap()
                        .len(),
                    n as usize
                );
            }
            txn.rollback().await.unwrap();
        }
        "W9" => {
            use sea_orm::sea_query::OnConflict;
            let txn = sea_db.begin().await.unwrap();
            let rows = upsert_rows().into_iter().map(|(name, hits)| sea_counter::ActiveModel {
                name: Set(name),
                hits: Set(hits),
                ..Default::default()
            });
            let upsert = sea_counter::Entity::insert_many(rows).on_conflict(
                OnConflict::column(sea_counter::Column::Name)
                    .update_column(sea_counter::Column::Hits)
                    .to_owned(),
            );
            let stored = if dialect == "mysql" {
                // No RETURNING with ON DUPLICATE KEY UPDATE: the rows read back by name.
                upsert.exec(&txn).await.unwrap();
                sea_counter::Entity::find()
                    .filter(sea_counter::Column::Name.is_in(upsert_rows().into_iter().map(|(name, _)| name)))
                    .all(&txn)
                    .await
                    .unwrap()
            } else {
                upsert.exec_with_returning(&txn).await.unwrap()
            };
            assert_eq!(stored.len(), 5_000);
            txn.rollback().await.unwrap();
        }
        "W10" => {
            // SeaORM's cursor pagination, 101 rows a page as the others.
            let (mut last, mut seen) = (None::<i64>, 0usize);
            loop {
                let mut cursor = sea::user::Entity::find().cursor_by(sea::user::Column::Id);
                if let Some(last) = last {
                    cursor.after(last);
                }
                let mut page = cursor.first(101).all(sea_db).await.unwrap();
                match keyset_step(&mut page, &mut seen, |u| u.id) {
                    Some(key) => last = Some(key),
                    None => break,
                }
            }
            assert_eq!(seen, 10_000);
        }
        _ => {
            let users = sea::user::Entity::find()
                .order_by_asc(sea::user::Column::Id)
                .limit(100)
                .all(sea_db)
                .await
                .unwrap();
            for u in users {
                let name = format!("{}!", &u.name[..u.name.len().min(20)]);
                let mut am: sea::user::ActiveModel = u.into();
                am.name = Set(name);
                am.update(sea_db).await.unwrap();
            }
        }
    }
}

/// The servers' comparisons on a current-thread runtime (as before: sqlx's
/// async I/O then wakes the thread that waits for it), SQLite's on a
/// multi-threaded one (as a server runs; our SQLite driver then runs each
/// statement in place, where a current-thread runtime costs it a hop to
/// the blocking pool per statement). `PEERS_RUNTIME=current|multi` runs
/// everything on one kind instead.
fn main() {
    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    };
    let multi = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    };
    let pick = |dialect: &str| match std::env::var("PEERS_RUNTIME").as_deref() {
        Ok("current") => current(),
        Ok("multi") => multi(),
        _ if dialect == "sqlite" => multi(),
        _ => current(),
    };
    if std::env::args().any(|a| a == "--chart") {
        if let Err(e) = draw_chart().and_then(|()| draw_peer_chart()) {
            eprintln!("chart not drawn: {e}");
        }
        return;
    }
    let rounds: usize = std::env::args().nth(1).and_then(|r| r.parse().ok()).unwrap_or(11);
    if let Some(dialect) = std::env::args().nth(2) {
        // `<rounds> postgres|mysql|sqlite`: that comparison only.
        if dialect == "postgres" {
            pick(&dialect).block_on(postgres_all(rounds));
        } else {
            pick(&dialect).block_on(ours_vs_peers(&dialect, rounds));
        }
        return;
    }
    pick("postgres").block_on(postgres_all(rounds));
    pick("mysql").block_on(ours_vs_peers("mysql", rounds));
    pick("sqlite").block_on(ours_vs_peers("sqlite", rounds));
    write_ours();
    if let Err(e) = draw_chart().and_then(|()| draw_peer_chart()) {
        eprintln!("chart not drawn: {e}");
    }
}

async fn postgres_all(rounds: usize) {
    let base = "postgres://postgres@127.0.0.1:5432/test";
    let admin = Db::connect(base).await.expect("PostgreSQL");
    orm_core::raw("DROP SCHEMA IF EXISTS orm_peers CASCADE")
        .execute(&admin)
        .await
        .unwrap();
    orm_core::raw("CREATE SCHEMA orm_peers").execute(&admin).await.unwrap();
    let url = format!("{base}?options=-c%20search_path%3Dorm_peers");
    let db = seeded(&url).await;
    let raw = same_pool_setup::<sqlx::Postgres>().connect(&url).await.unwrap();
    let mut opts = sea_orm::ConnectOptions::new(url.clone());
    opts.max_connections(5)
        .min_connections(5)
        .sqlx_logging(false)
        .test_before_acquire_if_idle_for(Duration::from_millis(500)); // as the ORM's pool
    let sea = sea_orm::Database::connect(opts).await.unwrap();
    let mut diesel_conn = diesel::PgConnection::establish(base).unwrap();
    diesel::sql_query("SET search_path TO orm_peers")
        .execute(&mut diesel_conn)
        .unwrap();
    let ctx = Ctx {
        db,
        raw,
        sea,
        diesel: std::cell::RefCell::new(diesel_conn),
    };
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    println!(
        "| workload (PostgreSQL) | ORM / raw | SeaORM / raw | Diesel / raw | ORM / SeaORM | ORM / Diesel |\n|---|---|---|---|---|---|"
    );
    for (label, w, n, iters) in [
        ("W1 select users, 1 row", "W1", 1, 200),
        ("W1 select users, 10,000 rows", "W1", 10_000, 5),
        ("W2 users + posts, hair_color filter", "W2", 0, 5),
        ("W3 100 sequential find_by_pk", "W3", 0, 1),
        ("W4 users -> posts -> comments, 100", "W4", 100, 20),
        ("W4 users -> posts -> comments, 1,000", "W4", 1_000, 2),
        ("W4 users -> posts -> comments, 10,000", "W4", 10_000, 1),
        ("W5 bulk insert 100 rows", "W5", 100, 20),
        ("W5 bulk insert 5,000 rows", "W5", 5_000, 2),
        ("W6 load 100, change one field, save each", "W6", 0, 1),
        ("W9 bulk upsert 5,000 rows, half conflicting", "W9", 5_000, 2),
        ("W10 keyset walk, 100 pages of 100", "W10", 0, 2),
    ] {
        let r = run(&ctx, rounds, iters, &mut rng, w, n, label).await;
        println!(
            "| {label} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            r[0],
            r[2],
            r[3],
            r[0] / r[2],
            r[0] / r[3]
        );
        let short = if n > 0 { format!("{w} {n}") } else { w.to_string() };
        CHART.lock().unwrap().push((short, [r[0], r[2], r[3]]));
    }
}
