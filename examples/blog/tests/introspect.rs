//! `orm-migrate introspect` on the blog's schema (plus tags joined to
//! posts, and a column no Rust type maps) on SQLite, PostgreSQL and
//! MariaDB: the generated source is compared with `tests/introspected/<db>.rs`
//! (`ORM_BLESS=1` rewrites them), and those files are compiled here as
//! modules: the data written through the blog's models is read back through
//! them, and `Schema::check` finds their schema in the database.

use blog::models::{NewPost, NewUser, Post, User};
use orm_core::Snapshot;
use orm_core::prelude::*;
use orm_tests::TestDb;
use std::path::Path;

#[allow(dead_code, missing_docs)]
#[path = "introspected/mysql.rs"]
mod from_mysql;
#[allow(dead_code, missing_docs)]
#[path = "introspected/postgres.rs"]
mod from_postgres;
#[allow(dead_code, missing_docs)]
#[path = "introspected/sqlite.rs"]
mod from_sqlite;

/// Tags on posts, through a join table of their own.
#[derive(Model, Debug, Clone)]
#[orm(table = "tags", timestamps = false)]
pub struct Tag {
    pub id: i64,
    #[orm(length = 40, unique)]
    pub label: String,
    #[orm(default = 0, index)]
    pub uses: i32,
    #[orm(through = "post_tags", foreign_key = "tag_id", other_key = "post_id")]
    pub posts: BelongsToMany<Post>,
}

/// A column no Rust type maps, per dialect.
fn odd_column(d: Dialect) -> (&'static str, &'static str) {
    match d {
        Dialect::Postgres => ("ip", "inet"),
        Dialect::MySql => ("flags", "bit(8)"),
        _ => ("shape", "GEOMETRY"),
    }
}

macro_rules! read_through {
    ($m:ident, $t:expr) => {{
        let t: &TestDb = $t;
        let users = $m::User::find()
            .include($m::User::posts())
            .order_by($m::User::ID.asc())
            .all(&t.db)
            .await
            .unwrap();
        let seen: Vec<(String, String, Vec<String>)> = users
            .iter()
            .map(|u| {
                let role = serde_json::to_value(u.role).unwrap().as_str().unwrap().to_owned();
                (
                    u.email.clone(),
                    role,
                    u.posts.get().unwrap().iter().map(|p| p.title.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "ada@example.com".to_string(),
                    "admin".to_string(),
                    vec!["Engines".to_string()]
                ),
                ("bob@example.com".to_string(), "member".to_string(), vec![]),
            ]
        );
        let tags = $m::Tag::find().include($m::Tag::posts()).all(&t.db).await.unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!(
            tags[0]
                .posts
                .get()
                .unwrap()
                .iter()
                .map(|p| p.title.as_str())
                .collect::<Vec<_>>(),
            ["Engines"]
        );
        Schema::new()
            .model::<$m::User>()
            .model::<$m::Post>()
            .model::<$m::Tag>()
            .check(&t.db)
            .await
            .expect("the introspected models' schema is the database's");
    }};
}

async fn introspect_the_blog(t: &TestDb) {
    let d = t.dialect();
    Schema::new()
        .model::<User>()
        .model::<Post>()
        .model::<Tag>()
        .sync(&t.db)
        .await
        .unwrap();
    let (odd, odd_type) = odd_column(d);
    raw(format!("ALTER TABLE {} ADD COLUMN {odd} {odd_type}", t.q("tags")))
        .execute(&t.db)
        .await
        .unwrap();
    let ada = User::create(
        &t.db,
        NewUser {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: Some(blog::models::Role::Admin),
        },
    )
    .await
    .unwrap();
    User::create(
        &t.db,
        NewUser {
            name: "Bob".into(),
            email: "bob@example.com".into(),
            role: None,
        },
    )
    .await
    .unwrap();
    let post = Post::create(
        &t.db,
        NewPost {
            title: "Engines".into(),
            body: None,
            author_id: ada.id,
        },
    )
    .await
    .unwrap();
    let tag = Tag::create(
        &t.db,
        NewTag {
            label: "history".into(),
            uses: None,
        },
    )
    .await
    .unwrap();
    tag.add_post(&t.db, &post).await.unwrap();

    let found = Snapshot::introspect(&t.db, &[]).await.unwrap();
    assert_eq!(
        found.unmapped,
        [format!("tags.{odd}: {}", unmapped_type(d, odd_type))],
        "reported, not dropped"
    );
    let source = found.snapshot.to_rust();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/introspected/{}.rs", d.name()));
    orm_tests::golden(&golden, &source);
    let only = Snapshot::introspect(&t.db, &["users".to_string()]).await.unwrap();
    assert_eq!(only.snapshot.table_names(), ["users"]);
    match d {
        Dialect::Postgres => read_through!(from_postgres, t),
        Dialect::MySql => read_through!(from_mysql, t),
        _ => read_through!(from_sqlite, t),
    }
}

/// The type as the catalog names it.
fn unmapped_type(d: Dialect, declared: &str) -> String {
    match d {
        Dialect::Postgres => "inet".into(),
        _ => declared.into(),
    }
}

orm_tests::shared_dialect_tests!(introspect_the_blog);
