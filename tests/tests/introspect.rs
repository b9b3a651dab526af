//! Introspection of the test suite's schema (issue 16): its eleven models
//! synced, read back from the catalog, and compared with what the models
//! declare — every table, column, type, nullability, default, key, index,
//! UNIQUE and foreign key, on every dialect — apart from what a database
//! cannot tell (listed per dialect below, and asserted to be exactly that).
//!
//! PostgreSQL tells everything. MySQL stores `DateTime<Utc>` and
//! `NaiveDateTime` both as DATETIME, read back as the first. SQLite keeps
//! declared types only: this crate declares every integer INTEGER, every
//! float REAL, and times, UUIDs, JSON and decimals TEXT, so those read back
//! as `i64`, `f64` and `String`.
//!
//! The generated source is compared with `tests/introspected/<db>.rs`
//! (`ORM_BLESS=1` rewrites them), which are compiled here as modules: rows
//! written through the suite's models are read back through them, and
//! `Schema::check` of the generated models passes against the database.

use orm_core::prelude::*;
use orm_core::{ModelMeta, Snapshot, SqlType};
use orm_tests::TestDb;
use orm_tests::models::*;

#[allow(dead_code, missing_docs)]
#[path = "introspected/mysql.rs"]
mod from_mysql;
#[allow(dead_code, missing_docs)]
#[path = "introspected/postgres.rs"]
mod from_postgres;
#[allow(dead_code, missing_docs)]
#[path = "introspected/sqlite.rs"]
mod from_sqlite;

/// Rows in the tables that have associations, read through the generated models.
macro_rules! read_through {
    ($m:ident, $t:expr) => {{
        let t: &TestDb = $t;
        let users = $m::User::find()
            .include($m::User::author_posts().include($m::Post::comments()))
            .order_by($m::User::ID.asc())
            .all(&t.db)
            .await
            .unwrap();
        let seen: Vec<(String, Vec<(String, usize)>)> = users
            .iter()
            .map(|u| {
                let posts = u.author_posts.get().unwrap();
                (
                    u.email.clone(),
                    posts
                        .iter()
                        .map(|p| (p.title.clone(), p.comments.get().unwrap().len()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("ada@example.com".to_string(), vec![("Engines".to_string(), 2)]),
                ("bob@example.com".to_string(), vec![])
            ]
        );
        let tags = $m::Tag::find().include($m::Tag::posts()).all(&t.db).await.unwrap();
        assert_eq!(tags[0].posts.get().unwrap()[0].title, "Engines");
        let boss = $m::Employee::find()
            .include($m::Employee::employees())
            .filter($m::Employee::NAME.eq("boss"))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            boss.employees
                .get()
                .unwrap()
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>(),
            ["report"]
        );
        let country = $m::Country::find().one(&t.db).await.unwrap().unwrap();
        assert_eq!(
            (country.code.as_str(), country.country_name.as_str(), country.population),
            ("fr", "France", 0)
        );
        let sample = $m::Sample::find().one(&t.db).await.unwrap().unwrap();
        assert_eq!((sample.label.as_str(), sample.flag, sample.big), ("label", true, 7));
        Schema::new()
            .model::<$m::User>()
            .model::<$m::Post>()
            .model::<$m::Tag>()
            .model::<$m::Comment>()
            .model::<$m::Profile>()
            .model::<$m::Employee>()
            .model::<$m::Sample>()
            .model::<$m::Country>()
            .model::<$m::Note>()
            .model::<$m::Doc>()
            .model::<$m::Audited>()
            .check(&t.db)
            .await
            .expect("the generated models' schema is the database's");
    }};
}

/// Rows through the suite's models: users with a post and comments, a tag
/// on it, a manager and a report, a country, a sample.
async fn seed(t: &TestDb) {
    let ada = User::create(&t.db, new_user("ada")).await.unwrap();
    User::create(&t.db, new_user("bob")).await.unwrap();
    let post = Post::create(
        &t.db,
        NewPost {
            title: "Engines".into(),
            body: None,
            author_id: ada.id,
            editor_id: None,
        },
    )
    .await
    .unwrap();
    for body in ["first", "second"] {
        Comment::create(
            &t.db,
            NewComment {
                post_id: post.id,
                body: body.into(),
            },
        )
        .await
        .unwrap();
    }
    let tag = Tag::create(&t.db, NewTag { name: "history".into() }).await.unwrap();
    tag.add_post(&t.db, &post).await.unwrap();
    let boss = Employee::create(
        &t.db,
        NewEmployee {
            name: "boss".into(),
            manager_id: None,
        },
    )
    .await
    .unwrap();
    Employee::create(
        &t.db,
        NewEmployee {
            name: "report".into(),
            manager_id: Some(boss.id),
        },
    )
    .await
    .unwrap();
    Country::create(
        &t.db,
        NewCountry {
            code: "fr".into(),
            name: "France".into(),
            population: None,
        },
    )
    .await
    .unwrap();
    let sample = NewSample {
        small: 1,
        medium: 2,
        big: 7,
        single: 0.5,
        double: 0.25,
        flag: true,
        label: "label".into(),
        body: "body".into(),
        blob: vec![1],
        at: chrono::Utc::now(),
        local: chrono::NaiveDate::from_ymd_opt(2020, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
        day: chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap(),
        clock: chrono::NaiveTime::from_hms_opt(3, 4, 5).unwrap(),
        uid: uuid::Uuid::nil(),
        doc: serde_json::json!({"a": 1}),
        price: rust_decimal::Decimal::new(150, 2),
        role: Role::Admin,
        maybe_int: None,
        maybe_text: None,
        maybe_at: None,
        maybe_uid: None,
        maybe_doc: None,
        maybe_price: None,
        maybe_role: None,
        maybe_blob: None,
    };
    Sample::create(&t.db, sample).await.unwrap();
}

/// The suite's eleven models, as metadata and as a `Schema`.
macro_rules! suite {
    ($($m:ident),*) => {
        fn metas() -> Vec<&'static ModelMeta> {
            vec![$($m::META),*]
        }

        fn schema() -> Schema {
            Schema::new()$(.model::<$m>())*
        }
    };
}

suite!(
    User, Post, Tag, Comment, Profile, Employee, Sample, Country, Note, Doc, Audited
);

/// The columns whose type the dialect's catalog cannot tell apart from another's.
fn untellable(d: Dialect) -> Vec<String> {
    let lossy = |t: SqlType| match d {
        Dialect::Sqlite => matches!(
            t,
            SqlType::SmallInt
                | SqlType::Int
                | SqlType::Real
                | SqlType::TimestampTz
                | SqlType::Timestamp
                | SqlType::Date
                | SqlType::Time
                | SqlType::Uuid
                | SqlType::Json
                | SqlType::Decimal
        ),
        Dialect::MySql => t == SqlType::Timestamp,
        _ => false,
    };
    let mut out: Vec<String> = metas()
        .iter()
        .flat_map(|m| m.columns.iter().map(move |c| (m.table, c)))
        .filter(|(_, c)| lossy(c.sql_type))
        .map(|(table, c)| format!("alter column {table}.{}", c.name))
        .collect();
    out.sort();
    out
}

async fn the_suite_schema_reads_back(t: &TestDb) {
    let models = schema();
    models.sync(&t.db).await.unwrap();
    let found = Snapshot::introspect(&t.db, &[]).await.unwrap();
    assert!(found.unmapped.is_empty(), "{:?}", found.unmapped);
    let declared = models.snapshot();
    let mut want = declared.table_names();
    want.sort();
    assert_eq!(found.snapshot.table_names(), want);
    // What would turn the database back into the models.
    let diff = found.snapshot.diff(&declared, &[]).unwrap();
    let mut left = diff.summary();
    left.sort();
    assert_eq!(left, untellable(t.dialect()));
    if t.dialect() == Dialect::Postgres {
        assert!(diff.is_empty());
    }
    // Read back as source too: one struct per table that is not a join table.
    let source = found.snapshot.to_rust();
    assert_eq!(source.matches("#[derive(Model").count(), want.len() - 1, "{source}");
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/introspected/{}.rs", t.dialect().name()));
    orm_tests::golden(&golden, &source);
    seed(t).await;
    match t.dialect() {
        Dialect::Postgres => read_through!(from_postgres, t),
        Dialect::MySql => read_through!(from_mysql, t),
        _ => read_through!(from_sqlite, t),
    }
}

orm_tests::dialect_tests!(the_suite_schema_reads_back);
