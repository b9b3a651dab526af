//! Expressions: a column compared with another column, SQL functions
//! (`lower`, `upper`, `length`, `trim`, `coalesce`), raw fragments
//! (`Condition::sql`, `Order::sql`), and portable raw SQL placeholders.

use chrono::{Duration, Utc};
use orm_core::prelude::*;
use orm_core::{Condition, Order};
use orm_tests::{Backend, TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub subtitle: Option<String>,
    pub views: i64,
    pub likes: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

async fn seed(t: &TestDb) -> Vec<Article> {
    Schema::new().model::<Article>().sync(&t.db).await.unwrap();
    let mut out = Vec::new();
    for (title, subtitle, views, likes) in [
        ("  Rust ", Some("fast"), 10, 20),
        ("SQL", None, 30, 5),
        ("Äpfel", Some(""), 7, 7),
    ] {
        out.push(
            Article::create(
                &t.db,
                NewArticle {
                    title: title.into(),
                    subtitle: subtitle.map(Into::into),
                    views,
                    likes,
                },
            )
            .await
            .unwrap(),
        );
    }
    out
}

fn titles(rows: &[Article]) -> Vec<&str> {
    rows.iter().map(|a| a.title.as_str()).collect()
}

async fn column_against_column(t: &TestDb) {
    let rows = seed(t).await;
    let liked = Article::find()
        .filter(Article::LIKES.gt(Article::VIEWS))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&liked), ["  Rust "]);
    let even = Article::find()
        .filter(Article::LIKES.eq(Article::VIEWS))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&even), ["Äpfel"]);
    // updated_at > created_at after a save one second later.
    let mut a = rows[1].clone();
    a.created_at -= Duration::seconds(5);
    a.save(&t.db).await.unwrap();
    let newer = Article::find()
        .filter(Article::UPDATED_AT.gt(Article::CREATED_AT))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&newer), ["SQL"]);
}

async fn sql_functions(t: &TestDb) {
    seed(t).await;
    let find = |c: Condition<Article>| async move {
        titles(
            &Article::find()
                .filter(c)
                .order_by(Article::ID.asc())
                .all(&t.db)
                .await
                .unwrap(),
        )
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
    };
    assert_eq!(find(Article::TITLE.lower().eq("sql")).await, ["SQL"]);
    assert_eq!(
        find(Article::TITLE.upper().eq("ÄPFEL")).await,
        ["Äpfel"],
        "Unicode upper case"
    );
    assert_eq!(find(Article::TITLE.trim().eq("Rust")).await, ["  Rust "]);
    assert_eq!(
        find(Article::TITLE.length().eq(5)).await,
        ["Äpfel"],
        "characters, not bytes"
    );
    assert_eq!(
        find(Article::TITLE.trim().lower().length().gte(4)).await,
        ["  Rust ", "Äpfel"]
    );
    assert_eq!(find(Article::SUBTITLE.coalesce("none").eq("none")).await, ["SQL"]);
    assert_eq!(
        find(Article::TITLE.lower().eq(Article::TITLE.upper().lower()))
            .await
            .len(),
        3
    );
    // Ordering by a computed value.
    let by_len = Article::find()
        .order_by(Article::TITLE.trim().length().desc())
        .order_by(Article::ID.asc())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&by_len), ["Äpfel", "  Rust ", "SQL"]);
}

async fn raw_fragments(t: &TestDb) {
    seed(t).await;
    let len = match t.backend {
        Backend::Sqlite => "length",
        _ => "char_length",
    };
    let rows = Article::find()
        .filter(Condition::sql(format!("{len}(title) > ?"), [3]).and(Article::VIEWS.lt(20)))
        .order_by(Order::sql(format!("{len}(title) DESC")))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&rows), ["  Rust ", "Äpfel"]);
    let rows = Article::find()
        .order_by(Order::sql_with("CASE WHEN views = ? THEN 0 ELSE 1 END", [30]))
        .order_by(Article::ID.asc())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(rows[0].title, "SQL");
}

async fn portable_raw_placeholders(t: &TestDb) {
    seed(t).await;
    let q = |s: &str| t.q(s);
    let sql = format!(
        "SELECT {id}, {title}, {subtitle}, {views}, {likes}, {c}, {u} FROM {t} WHERE {views} >= :min AND {title} <> ? AND {title} <> ':min' -- ? :min\nORDER BY {id}",
        id = q("id"),
        title = q("title"),
        subtitle = q("subtitle"),
        views = q("views"),
        likes = q("likes"),
        c = q("created_at"),
        u = q("updated_at"),
        t = q("articles"),
    );
    let rows: Vec<Article> = raw(sql)
        .bind_named("min", 8_i64)
        .bind("SQL")
        .fetch_models(&t.db)
        .await
        .unwrap();
    assert_eq!(titles(&rows), ["  Rust "]);
    // A name used twice, a quote with '' inside, a `::` cast on PostgreSQL.
    let n: Vec<i64> = raw("SELECT CASE WHEN 'it''s ?' = 'it''s ?' THEN :x + :x ELSE 0 END")
        .bind_named("x", 21_i64)
        .fetch_scalars(&t.db)
        .await
        .unwrap();
    assert_eq!(n, [42]);
    if t.backend == Backend::Postgres {
        let v: Vec<String> = raw("SELECT ?::text || $q$ ? :x $q$")
            .bind(7_i64.to_string())
            .fetch_scalars(&t.db)
            .await
            .unwrap();
        assert_eq!(v, ["7 ? :x "]);
        // jsonb `?` operators with no value bound are left alone.
        let b: Vec<bool> = raw(r#"SELECT '{"a":1}'::jsonb ? 'a'"#)
            .fetch_scalars(&t.db)
            .await
            .unwrap();
        assert_eq!(b, [true]);
        let b: Vec<bool> = raw(r#"SELECT '{"a":1}'::jsonb ?| array['b', 'a'] AND $1"#)
            .bind(true)
            .fetch_scalars(&t.db)
            .await
            .unwrap();
        assert_eq!(b, [true], "$1 numbering is sent as written");
    }
    // A wrong count is refused before anything is sent.
    let err = raw("SELECT ?, ?")
        .bind(1_i64)
        .execute(&t.db)
        .await
        .expect_err("two ? one value");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    let err = raw("SELECT 1")
        .bind_named("nope", 1_i64)
        .execute(&t.db)
        .await
        .expect_err("unused name");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
}

dialect_tests!(
    column_against_column,
    sql_functions,
    raw_fragments,
    portable_raw_placeholders
);
