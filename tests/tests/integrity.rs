//! Nothing is silently lost: one test per case where the ORM used to change
//! or lose data without an error (issue 12), and the optimistic-locking
//! races, on every dialect.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use orm_core::Condition;
use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::{Audited, AuditedPatch, NewAudited, NewUser, Role, User, new_user};
use orm_tests::{Backend, TestDb, dialect_tests};
use std::time::{Duration, Instant};

/// A timestamp column of each kind, and a float.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Moment {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub maybe_ts: Option<DateTime<Utc>>,
    pub ratio: f64,
}

fn moment(ts: DateTime<Utc>) -> NewMoment {
    NewMoment {
        ts,
        maybe_ts: Some(ts),
        ratio: 1.0,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_micro_opt(h, mi, s, us)
            .unwrap(),
    )
}

fn refused_field(err: &Error, field: &str) -> bool {
    matches!(err, Error::Validation { fields, .. } if fields.contains_key(field))
}

/// Case 1: `DateTime<Utc>` outside 1970..2038 on MySQL became NULL.
async fn utc_times_outside_1970_to_2038_round_trip(t: &TestDb) {
    Schema::new().model::<Moment>().sync(&t.db).await.unwrap();
    for ts in [
        utc(9999, 12, 31, 23, 59, 59, 999_999),
        utc(1969, 12, 31, 23, 59, 59, 999_999),
        utc(1000, 1, 1, 0, 0, 0, 0),
        utc(2038, 1, 19, 3, 14, 8, 1),
    ] {
        let m = Moment::create(&t.db, moment(ts)).await.expect("stored");
        let back = Moment::find_by_pk(m.id).one(&t.db).await.unwrap().unwrap();
        assert_eq!((back.ts, back.maybe_ts), (ts, Some(ts)), "{:?}", t.backend);
    }
    // Years a MySQL DATETIME cannot hold are refused there, naming the field.
    for ts in [utc(1, 1, 1, 0, 0, 0, 0), utc(999, 12, 31, 23, 59, 59, 999_999)] {
        let res = Moment::create(&t.db, moment(ts)).await;
        match t.backend {
            Backend::MySql => assert!(refused_field(&res.unwrap_err(), "ts")),
            _ => {
                let m = res.expect("PostgreSQL and SQLite hold years 1-999");
                let back = Moment::find_by_pk(m.id).one(&t.db).await.unwrap().unwrap();
                assert_eq!(back.ts, ts);
            }
        }
    }
}

/// Case 2: year 10000 became MySQL's zero date.
async fn year_10000_is_refused_where_it_cannot_be_stored(t: &TestDb) {
    Schema::new().model::<Moment>().sync(&t.db).await.unwrap();
    let ts = utc(10000, 1, 1, 0, 0, 0, 0);
    let res = Moment::create(&t.db, moment(ts)).await;
    match t.backend {
        Backend::Postgres => {
            let m = res.expect("PostgreSQL holds year 10000");
            assert_eq!(Moment::find_by_pk(m.id).one(&t.db).await.unwrap().unwrap().ts, ts);
        }
        _ => {
            let err = res.expect_err("refused");
            assert!(refused_field(&err, "ts"), "{err:?}");
            assert!(err.to_string().contains("10000"), "{err}");
            assert_eq!(Moment::find().count(&t.db).await.unwrap(), 0);
        }
    }
}

/// Case 3: NaN became NULL on SQLite.
async fn nan_is_stored_or_refused_never_null(t: &TestDb) {
    Schema::new().model::<Moment>().sync(&t.db).await.unwrap();
    let mut new = moment(utc(2020, 1, 1, 0, 0, 0, 0));
    new.ratio = f64::NAN;
    let res = Moment::create(&t.db, new).await;
    match t.backend {
        Backend::Postgres => {
            let m = res.expect("PostgreSQL stores NaN");
            assert!(
                Moment::find_by_pk(m.id)
                    .one(&t.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .ratio
                    .is_nan()
            );
        }
        _ => {
            let err = res.expect_err("refused");
            assert!(refused_field(&err, "ratio"), "{err:?}");
            assert_eq!(Moment::find().count(&t.db).await.unwrap(), 0);
        }
    }
}

/// A counter of each integer width.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Counter {
    pub id: i64,
    pub small: i16,
    pub medium: i32,
    pub big: i64,
}

/// Case 4: `increment` past `i64::MAX` left a REAL on SQLite (and an INT
/// column past 32 bits kept a value that no longer decoded).
async fn increment_past_the_range_is_out_of_range(t: &TestDb) {
    Schema::new().model::<Counter>().sync(&t.db).await.unwrap();
    let mut c = Counter::create(
        &t.db,
        NewCounter {
            small: i16::MAX,
            medium: i32::MAX,
            big: i64::MAX,
        },
    )
    .await
    .unwrap();
    let before = c.clone();
    let err = c.increment(&t.db, Counter::BIG, 1).await.expect_err("past i64::MAX");
    assert!(
        matches!(&err, Error::OutOfRange { table, column, .. } if table == "counters" && column == "big"),
        "{err:?}"
    );
    assert_eq!(err.status_code(), 400);
    let err = c.increment(&t.db, Counter::MEDIUM, 1).await.expect_err("past i32::MAX");
    assert!(
        matches!(&err, Error::OutOfRange { column, .. } if column == "medium"),
        "{err:?}"
    );
    let err = c.increment(&t.db, Counter::SMALL, 1).await.expect_err("past i16::MAX");
    assert!(
        matches!(&err, Error::OutOfRange { column, .. } if column == "small"),
        "{err:?}"
    );
    c.decrement(&t.db, Counter::BIG, i64::MAX).await.expect("to 0");
    c.decrement(&t.db, Counter::BIG, i64::MAX)
        .await
        .expect("to i64::MIN + 1");
    let err = c.decrement(&t.db, Counter::BIG, 2).await.expect_err("below i64::MIN");
    assert!(matches!(&err, Error::OutOfRange { .. }), "{err:?}");
    // Nothing changed by the refused statements, and every row still reads.
    let all = Counter::find().all(&t.db).await.expect("the table still decodes");
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].small, all[0].medium, all[0].big),
        (before.small, before.medium, i64::MIN + 1)
    );
    // An increment inside the range works as before.
    c.increment(&t.db, Counter::BIG, 5).await.unwrap();
    assert_eq!(c.big, i64::MIN + 6);
}

/// Case 5: a model column the table lacks read as a string constant on SQLite.
async fn a_missing_column_is_an_error_not_a_constant(t: &TestDb) {
    // The table without the model's `email`.
    raw(format!(
        "CREATE TABLE {} ({} BIGINT PRIMARY KEY, {} VARCHAR(80) NOT NULL)",
        t.q("ghosts"),
        t.q("id"),
        t.q("name")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    raw(format!(
        "INSERT INTO {} ({}, {}) VALUES (1, 'x')",
        t.q("ghosts"),
        t.q("id"),
        t.q("name")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let err = Ghost::find().all(&t.db).await.expect_err("no such column");
    assert!(matches!(err, Error::Database { .. }), "{err:?}");
    let err = Ghost::find()
        .filter(Ghost::EMAIL.eq("email"))
        .count(&t.db)
        .await
        .expect_err("a filter on the missing column");
    assert!(matches!(err, Error::Database { .. }), "{err:?}");
    // Schema::check names it.
    let err = Schema::new().model::<Ghost>().check(&t.db).await.expect_err("mismatch");
    match &err {
        Error::SchemaMismatch { problems } => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("`ghosts`.`email` is missing"), "{problems:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// A model whose table may lack a column.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Ghost {
    pub id: i64,
    #[orm(length = 80)]
    pub name: String,
    pub email: String,
}

/// `Schema::check`: types and nullability too, and a clean bill after sync.
async fn schema_check_compares_models_with_the_catalog(t: &TestDb) {
    let err = Schema::new()
        .model::<Moment>()
        .check(&t.db)
        .await
        .expect_err("no table");
    assert!(matches!(&err, Error::SchemaMismatch { problems } if problems[0].contains("`moments` is missing")));
    Schema::new()
        .model::<Moment>()
        .model::<Counter>()
        .model::<User>()
        .sync(&t.db)
        .await
        .unwrap();
    Schema::new()
        .model::<Moment>()
        .model::<Counter>()
        .model::<User>()
        .check(&t.db)
        .await
        .expect("matches");
    // A table made by hand with a wrong type, a wrong length and a nullable column.
    raw(format!(
        "CREATE TABLE {} ({} BIGINT PRIMARY KEY, {} VARCHAR(40), {} BOOLEAN NOT NULL)",
        t.q("ghosts"),
        t.q("id"),
        t.q("name"),
        t.q("email")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let Error::SchemaMismatch { problems } = Schema::new().model::<Ghost>().check(&t.db).await.unwrap_err() else {
        panic!("expected a mismatch");
    };
    let text = problems.join("\n");
    assert!(text.contains("`ghosts`.`name` is varchar(40)"), "{text}");
    assert!(text.contains("`ghosts`.`name` is nullable"), "{text}");
    assert!(text.contains("`ghosts`.`email` is"), "{text}");
    assert_eq!(problems.len(), 3, "{text}");
}

/// Two unique columns.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Account {
    pub id: i64,
    #[orm(unique)]
    pub username: String,
    #[orm(unique)]
    pub email: String,
    pub plan: String,
}

/// No unique column.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Reading {
    pub id: i64,
    pub value: i64,
}

/// Case 7: upsert with two unique columns targeted both together (no such
/// constraint); MariaDB returned NotFound after writing.
async fn upsert_has_one_conflict_target_and_returns_the_row(t: &TestDb) {
    Schema::new()
        .model::<Account>()
        .model::<Reading>()
        .sync(&t.db)
        .await
        .unwrap();
    let new = |u: &str, e: &str, p: &str| NewAccount {
        username: u.into(),
        email: e.into(),
        plan: p.into(),
    };
    let err = Account::upsert(&t.db, new("ada", "ada@x", "free"))
        .await
        .expect_err("ambiguous");
    assert!(
        matches!(&err, Error::InvalidQuery { message } if message.contains("upsert_on")),
        "{err:?}"
    );
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 0, "nothing written");
    let first = Account::upsert_on(&t.db, Account::EMAIL, new("ada", "ada@x", "free"))
        .await
        .unwrap();
    let second = Account::upsert_on(&t.db, Account::EMAIL, new("ada2", "ada@x", "pro"))
        .await
        .unwrap();
    assert_eq!(second.id, first.id, "the same row");
    assert_eq!((second.username.as_str(), second.plan.as_str()), ("ada2", "pro"));
    let stored = Account::find_by_pk(first.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored, second, "the returned row is the stored row");
    let by_name = Account::upsert_on(&t.db, Account::USERNAME, new("ada2", "ada@x", "team"))
        .await
        .unwrap();
    assert_eq!((by_name.id, by_name.plan.as_str()), (first.id, "team"));
    // A row that matches the target but collides on another unique column
    // is refused on every database (MariaDB's ON DUPLICATE KEY UPDATE would
    // have updated the other row).
    let bob = Account::create(&t.db, new("bob", "bob@x", "free")).await.unwrap();
    let err = Account::upsert_on(&t.db, Account::EMAIL, new("bob", "ada@x", "pro"))
        .await
        .expect_err("username taken by bob");
    assert!(matches!(&err, Error::UniqueViolation { .. }), "{err:?}");
    let (ada, bob_now) = (
        Account::find_by_pk(first.id).one(&t.db).await.unwrap().unwrap(),
        Account::find_by_pk(bob.id).one(&t.db).await.unwrap().unwrap(),
    );
    assert_eq!(
        (ada.username.as_str(), ada.plan.as_str()),
        ("ada2", "team"),
        "ada untouched"
    );
    assert_eq!(bob_now, bob, "bob untouched");
    let err = Account::upsert_on(&t.db, Account::PLAN, new("b", "b@x", "free"))
        .await
        .expect_err("not unique");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    // No unique column: the key is the target; a new row every time, returned.
    let a = Reading::upsert(&t.db, NewReading { value: 1 })
        .await
        .expect("inserted and returned");
    let b = Reading::upsert(&t.db, NewReading { value: 2 })
        .await
        .expect("inserted and returned");
    assert_ne!(a.id, b.id);
    assert_eq!(Reading::find_by_pk(b.id).one(&t.db).await.unwrap(), Some(b));
}

/// Case 8: lists of any length work, in filters and filtered includes.
async fn lists_of_any_length_work(t: &TestDb) {
    Schema::new()
        .model::<Reading>()
        .model::<Moment>()
        .sync(&t.db)
        .await
        .unwrap();
    let rows: Vec<NewReading> = (0..100).map(|i| NewReading { value: i }).collect();
    Reading::bulk_create(&t.db, rows).await.unwrap();
    let ids: Vec<i64> = (0..70_000).collect();
    let n = Reading::find()
        .filter(Reading::ID.is_in(ids.clone()))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 100);
    let n = Reading::find()
        .filter(Reading::VALUE.not_in((0..70_000).map(|v| v * 2)))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 50, "the odd values");
    // Types PostgreSQL did not send as an array (one placeholder each).
    Moment::create(&t.db, moment(utc(2020, 1, 1, 0, 0, 0, 0)))
        .await
        .unwrap();
    let ratios: Vec<f64> = (0..70_000).map(|i| f64::from(i) / 2.0).collect();
    let n = Moment::find()
        .filter(Moment::RATIO.is_in(ratios))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let times: Vec<DateTime<Utc>> = (0..70_000)
        .map(|i| utc(2020, 1, 1, 0, 0, 0, 0) + Duration::from_secs(i))
        .collect();
    let n = Moment::find()
        .filter(Moment::TS.is_in(times))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // An include whose filter has its own long list, over many parents.
    Schema::new()
        .model::<User>()
        .model::<orm_tests::models::Post>()
        .sync(&t.db)
        .await
        .unwrap();
    let users: Vec<NewUser> = (0..200).map(|i| new_user(&format!("u{i}"))).collect();
    let users = User::bulk_create(&t.db, users).await.unwrap();
    let posts: Vec<orm_tests::models::NewPost> = users
        .iter()
        .map(|u| orm_tests::models::NewPost {
            title: format!("t{}", u.id),
            body: None,
            author_id: u.id,
            editor_id: None,
        })
        .collect();
    orm_tests::models::Post::bulk_create(&t.db, posts).await.unwrap();
    let titles: Vec<String> = (0..40_000).map(|i| format!("t{i}")).collect();
    let loaded = User::find()
        .include(User::posts().filter(orm_tests::models::Post::TITLE.is_in(titles)))
        .all(&t.db)
        .await
        .expect("include with a 40,000-value filter");
    assert_eq!(loaded.len(), 200);
    assert!(loaded.iter().all(|u| u.posts.get().map(<[_]>::len) == Some(1)));
}

/// Wide rows for case 9.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Blob {
    pub id: i64,
    #[orm(text)]
    pub body: String,
}

/// Case 9: MariaDB `bulk_create` chunked by parameter count only, and
/// 3,276 rows of 10 KB broke the connection (max_allowed_packet).
async fn bulk_create_stays_under_the_packet_limit(t: &TestDb) {
    Schema::new().model::<Blob>().sync(&t.db).await.unwrap();
    let rows: Vec<NewBlob> = (0..3_276)
        .map(|i| NewBlob {
            body: format!("{i:05}{}", "x".repeat(10_000)),
        })
        .collect();
    let stored = Blob::bulk_create(&t.db, rows).await.expect("chunked under every limit");
    assert_eq!(stored.len(), 3_276);
    assert_eq!(Blob::find().count(&t.db).await.unwrap(), 3_276);
    let last = Blob::find_by_pk(stored[3_275].id).one(&t.db).await.unwrap().unwrap();
    assert!(last.body.starts_with("03275"));
}

fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

/// Case 10: a dead database waited 30 s for a bare PoolTimeout; wrong
/// credentials were `Error::Database`.
async fn connect_failures_are_connection_errors_with_the_cause(t: &TestDb) {
    let (closed, wrong_user, wrong_db) = match t.backend {
        Backend::Postgres => (
            "postgres://postgres@127.0.0.1:1/test".to_owned(),
            with_user(&t.url, "no_such_role"),
            t.url.replacen(
                &format!("/{}", t.url.rsplit('/').next().unwrap()),
                "/no_such_database",
                1,
            ),
        ),
        Backend::MySql => (
            "mysql://root@127.0.0.1:1/test".to_owned(),
            with_user(&t.url, "no_such_user"),
            format!("{}/no_such_database", t.url.rsplit_once('/').unwrap().0),
        ),
        Backend::Sqlite => (
            "sqlite:///no/such/directory/x.db".to_owned(),
            "sqlite:///no/such/directory/y.db".to_owned(),
            "sqlite:///proc/not-writable.db".to_owned(),
        ),
    };
    let causes = match t.backend {
        Backend::Sqlite => ["unable to open", "unable to open", "unable to open"],
        _ => ["refused", "no_such_", "no_such_database"],
    };
    for (url, cause) in [closed, wrong_user, wrong_db].into_iter().zip(causes) {
        let started = Instant::now();
        let err = Db::builder(&url)
            .connect_timeout(Duration::from_secs(2))
            .connect()
            .await
            .expect_err("cannot connect");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "{url}: {took:?}");
        match &err {
            Error::Connection { message } => {
                assert!(message.contains("could not connect to"), "{message}");
                assert!(message.to_lowercase().contains(cause), "{url}: {message}");
                assert!(!message.contains("PoolTimedOut"), "{message}");
            }
            other => panic!("{url}: expected Error::Connection, got {other:?}"),
        }
        assert_eq!(err.status_code(), 503);
    }
}

/// Case 11: strings longer than the column, and NUL on PostgreSQL.
async fn strings_longer_than_the_column_are_refused(t: &TestDb) {
    Schema::new().model::<Ghost>().sync(&t.db).await.unwrap();
    let new = |name: String, email: String| NewGhost { name, email };
    let err = Ghost::create(&t.db, new("n".into(), "e".repeat(256)))
        .await
        .expect_err("256 > 255");
    assert!(refused_field(&err, "email"), "{err:?}");
    assert_eq!(err.status_code(), 400);
    // Characters, not bytes.
    let g = Ghost::create(&t.db, new("n".into(), "é".repeat(255)))
        .await
        .expect("255 characters");
    let mut g2 = g.clone();
    g2.email = "x".repeat(300);
    assert!(refused_field(&g2.save(&t.db).await.unwrap_err(), "email"));
    let n = Ghost::find()
        .filter(Ghost::ID.eq(g.id))
        .update(
            &t.db,
            GhostPatch {
                email: Some("y".repeat(300)),
                ..Default::default()
            },
        )
        .await;
    assert!(refused_field(&n.unwrap_err(), "email"));
    let stored = Ghost::find_by_pk(g.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.email, "é".repeat(255), "nothing overwritten");
    let nul = Ghost::create(&t.db, new("n".into(), "a\0b".into())).await;
    match t.backend {
        Backend::Postgres => assert!(refused_field(&nul.unwrap_err(), "email")),
        _ => assert_eq!(nul.unwrap().email, "a\0b"),
    }
}

/// Case 12: `update(patch)` runs the save path's hooks (a lowercasing
/// `before_validate`), as create and save do.
async fn update_patch_runs_the_validation_hooks(t: &TestDb) {
    Schema::new().model::<Audited>().sync(&t.db).await.unwrap();
    let mut a = Audited::create(&t.db, NewAudited { name: "Ada".into() }).await.unwrap();
    assert_eq!(a.name, "ada");
    a.update(
        &t.db,
        AuditedPatch {
            name: Some("GRACE".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(a.name, "grace");
    let stored = Audited::find_by_pk(a.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.name, "grace", "the hook's value is what was written");
}

/// Labels in another order than their declaration.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Zeta,
    Alpha,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Entry {
    pub id: i64,
    pub level: Level,
}

/// A row that belongs to an `Entry`.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct EntryNote {
    pub id: i64,
    pub entry_id: i64,
    pub text: String,
    pub entry: BelongsTo<Entry>,
}

/// Case 12: `group_by(..).count()` is ordered by key on every dialect (MariaDB
/// ordered a native ENUM by declaration position).
async fn group_by_an_enum_orders_by_label(t: &TestDb) {
    Schema::new().model::<Entry>().sync(&t.db).await.unwrap();
    for level in [Level::Zeta, Level::Alpha, Level::Zeta] {
        Entry::create(&t.db, NewEntry { level }).await.unwrap();
    }
    let groups = Entry::find()
        .filter(Condition::all())
        .group_by(Entry::LEVEL)
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(groups, vec![(Level::Alpha, 1), (Level::Zeta, 2)]);
    let ordered: Vec<Level> = Entry::find()
        .order_by(Entry::LEVEL.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.level)
        .collect();
    assert_eq!(ordered[0], Level::Alpha);
    // Through an association's column, and inside a joined include, too.
    Schema::new().model::<EntryNote>().sync(&t.db).await.unwrap();
    let entries = Entry::find().order_by(Entry::ID).all(&t.db).await.unwrap();
    for (e, text) in entries.iter().zip(["z1", "a1", "z2"]) {
        EntryNote::create(
            &t.db,
            NewEntryNote {
                entry_id: e.id,
                text: text.into(),
            },
        )
        .await
        .unwrap();
    }
    let notes = EntryNote::find()
        .order_by(EntryNote::entry().col(Entry::LEVEL).asc())
        .order_by(EntryNote::ID)
        .all(&t.db)
        .await
        .unwrap();
    let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["a1", "z1", "z2"], "alpha before zeta by label");
    let joined = EntryNote::find()
        .order_by(EntryNote::ID)
        .include(EntryNote::entry().join())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(joined.len(), 3);
}

/// Case 12: `find_or_create` whose condition disagrees with its values
/// created a row that the next call could not find.
async fn find_or_create_refuses_a_row_its_condition_misses(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let new = || new_user("Ada");
    let err = User::find_or_create(&t.db, User::EMAIL.eq("grace@example.com"), new())
        .await
        .expect_err("disagrees");
    assert!(
        matches!(&err, Error::InvalidQuery { message } if message.contains("does not match")),
        "{err:?}"
    );
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0, "rolled back");
    let (u, created) = User::find_or_create(&t.db, User::EMAIL.eq("ada@example.com"), new())
        .await
        .unwrap();
    assert!(created);
    let (again, created) = User::find_or_create(&t.db, User::EMAIL.eq("ada@example.com"), new())
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, u.id);
    // Inside a transaction the refusal rolls back a savepoint only.
    let tx = t.db.begin().await.unwrap();
    User::find_or_create(&tx, User::NAME.eq("Other"), new())
        .await
        .expect_err("disagrees");
    assert_eq!(User::find().count(&tx).await.unwrap(), 1, "the transaction goes on");
    tx.commit().await.unwrap();
    let _ = Role::Member;
}

/// A versioned, paranoid model for the races.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(version, paranoid, timestamps = false)]
pub struct Ledger {
    pub id: i64,
    pub title: String,
    pub amount: i64,
    pub version: i32,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Write {
    Save,
    Update,
    Increment,
    Destroy,
    Restore,
    BulkUpdate,
}

const WRITES: [Write; 6] = [
    Write::Save,
    Write::Update,
    Write::Increment,
    Write::Destroy,
    Write::Restore,
    Write::BulkUpdate,
];

async fn write(db: &Db, l: &mut Ledger, w: Write, tag: &str) -> orm_core::Result<()> {
    match w {
        Write::Save => {
            l.title = format!("save {tag}");
            l.save(db).await
        }
        Write::Update => {
            l.update(
                db,
                LedgerPatch {
                    title: Some(format!("update {tag}")),
                    ..Default::default()
                },
            )
            .await
        }
        Write::Increment => l.increment(db, Ledger::AMOUNT, 7).await,
        Write::Destroy => l.destroy(db).await,
        Write::Restore => l.restore(db).await,
        Write::BulkUpdate => Ledger::find()
            .with_deleted()
            .filter(Ledger::ID.eq(l.id))
            .update(
                db,
                LedgerPatch {
                    title: Some(format!("bulk {tag}")),
                    ..Default::default()
                },
            )
            .await
            .map(|n| assert_eq!(n, 1)),
    }
}

async fn load(db: &Db, id: i64) -> Ledger {
    Ledger::find()
        .with_deleted()
        .filter(Ledger::ID.eq(id))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// Case 6 and the races: two copies loaded, one writes through any path,
/// then the other through any path is `StaleRow` and overwrites nothing.
async fn every_write_path_checks_and_bumps_the_version(t: &TestDb) {
    Schema::new().model::<Ledger>().sync(&t.db).await.unwrap();
    let mut pairs = 0;
    for first in WRITES {
        for second in WRITES {
            if second == Write::BulkUpdate {
                continue; // a bulk update has no loaded copy to be stale
            }
            if (first, second) == (Write::Destroy, Write::Restore) {
                continue; // restore accepts one soft delete: see the next test
            }
            let row = Ledger::create(
                &t.db,
                NewLedger {
                    title: "start".into(),
                    amount: 1,
                },
            )
            .await
            .unwrap();
            if first == Write::Restore {
                row.destroy(&t.db).await.unwrap();
            }
            let mut mine = load(&t.db, row.id).await;
            let mut theirs = load(&t.db, row.id).await;
            write(&t.db, &mut mine, first, "first")
                .await
                .unwrap_or_else(|e| panic!("{first:?}: {e:?}"));
            let after_first = load(&t.db, row.id).await;
            assert_eq!(after_first.version, theirs.version + 1, "{first:?} bumps the version");
            let err = write(&t.db, &mut theirs, second, "second")
                .await
                .expect_err("a stale instance");
            assert!(
                matches!(err, Error::StaleRow { .. }),
                "{first:?} then stale {second:?}: {err:?}"
            );
            assert_eq!(
                load(&t.db, row.id).await,
                after_first,
                "{first:?} then {second:?} overwrote"
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 29);
}

/// `destroy` takes `&self`, so a paranoid, versioned instance cannot
/// record its own soft delete: `restore` on it accepts the row deleted and
/// exactly one version ahead (that delete), and nothing else.
async fn destroy_then_restore_on_the_same_instance(t: &TestDb) {
    Schema::new().model::<Ledger>().sync(&t.db).await.unwrap();
    let new = NewLedger {
        title: "keep".into(),
        amount: 3,
    };
    let mut row = Ledger::create(&t.db, new.clone()).await.unwrap();
    row.destroy(&t.db).await.unwrap();
    assert_eq!(Ledger::find().count(&t.db).await.unwrap(), 0, "soft-deleted");
    row.restore(&t.db).await.expect("restore after its own destroy");
    assert_eq!(row, load(&t.db, row.id).await, "the instance matches the row");
    assert_eq!((row.version, row.deleted_at), (2, None));
    row.title = "saved after".into();
    row.save(&t.db).await.expect("the instance is current");
    // A change besides the delete is still stale, and changes nothing.
    let mut stale = Ledger::create(&t.db, new).await.unwrap();
    stale.destroy(&t.db).await.unwrap();
    let mut other = load(&t.db, stale.id).await;
    other.title = "changed while deleted".into();
    other.save(&t.db).await.unwrap();
    let before = load(&t.db, stale.id).await;
    let err = stale.restore(&t.db).await.expect_err("stale");
    assert!(matches!(err, Error::StaleRow { .. }), "{err:?}");
    assert_eq!(load(&t.db, stale.id).await, before);
    // Restoring a live row is stale too: there is no delete to undo.
    let mut live = load(&t.db, row.id).await;
    let err = live.restore(&t.db).await.expect_err("not deleted");
    assert!(matches!(err, Error::StaleRow { .. }), "{err:?}");
}

/// Case 12: MariaDB migration errors repeated their prefix; covered with
/// the migrator in orm-migrate's tests. Here: `upsert` keeps the version.
async fn upsert_bumps_the_version(t: &TestDb) {
    Schema::new().model::<VersionedTag>().sync(&t.db).await.unwrap();
    let new = |note: &str| NewVersionedTag {
        name: "rust".into(),
        note: note.into(),
    };
    let a = VersionedTag::upsert(&t.db, new("one")).await.unwrap();
    let b = VersionedTag::upsert(&t.db, new("two")).await.unwrap();
    assert_eq!((a.id, a.version), (b.id, 0));
    assert_eq!(b.version, 1, "the update of an existing row bumps the version");
    let mut stale = a;
    stale.note = "stale".into();
    assert!(matches!(stale.save(&t.db).await, Err(Error::StaleRow { .. })));
}

#[derive(Model, Debug, Clone)]
#[orm(version, timestamps = false)]
pub struct VersionedTag {
    pub id: i64,
    #[orm(unique)]
    pub name: String,
    pub note: String,
    pub version: i32,
}

/// Columns whose stored values may not decode exactly.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Setting {
    pub id: i64,
    pub flag: bool,
    pub doc: serde_json::Value,
    pub note: String,
}

/// `save` writes only what the program changed (issue 25 §2): a JSON number
/// beyond f64 and a boolean column of another program's holding 2 survive a
/// save of another column; a changed one is written.
async fn save_leaves_untouched_columns_as_stored(t: &TestDb) {
    Schema::new().model::<Setting>().sync(&t.db).await.unwrap();
    let big = "123456789012345678901234567890";
    let s = Setting::create(
        &t.db,
        NewSetting {
            flag: true,
            doc: serde_json::json!({}),
            note: "a".into(),
        },
    )
    .await
    .unwrap();
    // What another program wrote: PostgreSQL's boolean cannot hold 2.
    let (flag_two, doc_param, as_text, as_int) = match t.backend {
        Backend::Postgres => ("TRUE", "CAST(? AS JSONB)", "CAST(doc AS TEXT)", "CAST(flag AS INTEGER)"),
        Backend::MySql => ("2", "?", "CAST(doc AS CHAR)", "flag"),
        Backend::Sqlite => ("2", "?", "doc", "flag"),
    };
    raw(format!(
        "UPDATE settings SET flag = {flag_two}, doc = {doc_param} WHERE id = ?"
    ))
    .bind(format!("{{\"n\": {big}}}"))
    .bind(s.id)
    .execute(&t.db)
    .await
    .unwrap();
    let stored = || {
        let sql = format!("SELECT {as_text}, {as_int} FROM settings WHERE id = ?");
        async move {
            raw(sql)
                .bind(s.id)
                .fetch_as::<(String, i64), _>(&t.db)
                .await
                .unwrap()
                .remove(0)
        }
    };
    let mut loaded = Setting::find_by_pk(s.id).one(&t.db).await.unwrap().unwrap();
    assert!(loaded.flag);
    loaded.note = "b".into();
    loaded.save(&t.db).await.unwrap();
    let (doc, flag) = stored().await;
    assert!(doc.contains(big), "the JSON number was rewritten: {doc}");
    let want_flag = if t.backend == Backend::Postgres { 1 } else { 2 };
    assert_eq!(flag, want_flag, "the boolean was rewritten");
    let back = Setting::find_by_pk(s.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(back.note, "b", "the changed column was written");
    // Changed by the program: written.
    loaded.flag = false;
    loaded.doc = serde_json::json!({"n": 1});
    loaded.save(&t.db).await.unwrap();
    let (doc, flag) = stored().await;
    assert_eq!(
        (serde_json::from_str::<serde_json::Value>(&doc).unwrap(), flag),
        (serde_json::json!({"n": 1}), 0)
    );
}

/// A blob column.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Attachment {
    pub id: i64,
    pub data: Vec<u8>,
}

/// A value longer than one value may be on the dialect (SQLite's 10^9
/// bytes, PostgreSQL's 1 GB, MySQL's packet) is a Validation error naming
/// the field, before any SQL (SQLite's "string or blob too big" was a
/// Database error).
async fn a_value_past_the_length_limit_is_refused_naming_the_field(t: &TestDb) {
    Schema::new().model::<Attachment>().sync(&t.db).await.unwrap();
    let huge = NewAttachment { data: vec![7; 1 << 30] };
    let err = Attachment::create(&t.db, huge).await.expect_err("1 GiB");
    assert!(refused_field(&err, "data"), "{err:?}");
    assert_eq!(Attachment::find().count(&t.db).await.unwrap(), 0);
}

dialect_tests!(
    a_value_past_the_length_limit_is_refused_naming_the_field,
    save_leaves_untouched_columns_as_stored,
    utc_times_outside_1970_to_2038_round_trip,
    year_10000_is_refused_where_it_cannot_be_stored,
    nan_is_stored_or_refused_never_null,
    increment_past_the_range_is_out_of_range,
    a_missing_column_is_an_error_not_a_constant,
    schema_check_compares_models_with_the_catalog,
    upsert_has_one_conflict_target_and_returns_the_row,
    lists_of_any_length_work,
    bulk_create_stays_under_the_packet_limit,
    connect_failures_are_connection_errors_with_the_cause,
    strings_longer_than_the_column_are_refused,
    update_patch_runs_the_validation_hooks,
    group_by_an_enum_orders_by_label,
    find_or_create_refuses_a_row_its_condition_misses,
    every_write_path_checks_and_bumps_the_version,
    destroy_then_restore_on_the_same_instance,
    upsert_bumps_the_version,
);
