//! Keyset pagination (issue 28 §5): `paginate(n)` + `after`/`before` over
//! the query's order columns plus the primary key, NULLs placed as the ORM
//! orders them everywhere; every walk compared with Rust's own sort of the
//! same rows, on each database.

use orm_core::prelude::*;
use orm_core::{Cursor, Page};
use orm_tests::{TestDb, dialect_tests};
use std::cmp::Ordering;

#[derive(Model, Debug, Clone)]
#[orm(table = "ks_authors", timestamps = false)]
struct Author {
    id: i64,
    name: String,
    posts: HasMany<Post>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "ks_posts", timestamps = false)]
struct Post {
    id: i64,
    author_id: i64,
    score: Option<i64>,
    title: String,
    author: BelongsTo<Author>,
}

/// 23 posts with repeated scores, NULL scores and repeated titles.
async fn seed(t: &TestDb) -> Vec<Post> {
    Schema::new()
        .model::<Author>()
        .model::<Post>()
        .sync(&t.db)
        .await
        .unwrap();
    let a = Author::create(&t.db, NewAuthor { name: "ann".into() }).await.unwrap();
    let b = Author::create(&t.db, NewAuthor { name: "bob".into() }).await.unwrap();
    let mut rows = Vec::new();
    for i in 0..23i64 {
        let score = if i % 5 == 0 { None } else { Some(i % 4) };
        let title = ["kiwi", "apple", "fig", "date"][(i % 4) as usize].to_owned();
        let author_id = if i % 3 == 0 { a.id } else { b.id };
        rows.push(
            Post::create(
                &t.db,
                NewPost {
                    author_id,
                    score,
                    title,
                },
            )
            .await
            .unwrap(),
        );
    }
    rows
}

/// Rust's order for `score DESC, title ASC, id ASC`, NULLs last descending
/// (`Option`'s order reversed puts `None` last).
fn rust_order(a: &Post, b: &Post) -> Ordering {
    b.score
        .cmp(&a.score)
        .then_with(|| a.title.cmp(&b.title))
        .then(a.id.cmp(&b.id))
}

fn query() -> orm_core::Find<Post> {
    Post::find().order_by(Post::SCORE.desc()).order_by(Post::TITLE.asc())
}

fn ids(page: &Page<Post>) -> Vec<i64> {
    page.items.iter().map(|p| p.id).collect()
}

async fn walks_forward_and_back_in_rusts_order(t: &TestDb) {
    let mut expected = seed(t).await;
    expected.sort_by(rust_order);
    let expected: Vec<i64> = expected.iter().map(|p| p.id).collect();

    // Forward, page by page, to the end.
    let mut pages = vec![query().paginate(4).all(&t.db).await.unwrap()];
    assert!(pages[0].prev.is_none());
    while let Some(next) = pages.last().unwrap().next.clone() {
        pages.push(query().paginate(4).after(next).all(&t.db).await.unwrap());
    }
    let walked: Vec<i64> = pages.iter().flat_map(ids).collect();
    assert_eq!(walked, expected, "forward walk");
    assert_eq!(pages.len(), 6, "23 rows in pages of 4");
    assert_eq!(pages.last().unwrap().items.len(), 3);

    // Back from the last page, by each page's `prev`.
    let mut back = vec![pages.last().unwrap().clone()];
    while let Some(prev) = back.last().unwrap().prev.clone() {
        back.push(query().paginate(4).before(prev).all(&t.db).await.unwrap());
    }
    back.reverse();
    let walked: Vec<i64> = back.iter().flat_map(ids).collect();
    assert_eq!(walked, expected, "backward walk");
    // Walking back gives the same pages, cursors included.
    assert_eq!(ids(&back[0]), ids(&pages[0]));
    assert!(back[0].prev.is_none(), "nothing before the first page");
    assert_eq!(back[2].next, pages[2].next);

    // Ascending on the nullable column: NULLs come first.
    let asc = Post::find()
        .order_by(Post::SCORE.asc())
        .paginate(30)
        .all(&t.db)
        .await
        .unwrap();
    let mut rust: Vec<&Post> = asc.items.iter().collect();
    rust.sort_by(|a, b| a.score.cmp(&b.score).then(a.id.cmp(&b.id)));
    assert_eq!(ids(&asc), rust.iter().map(|p| p.id).collect::<Vec<_>>());
    assert_eq!(asc.items[0].score, None);
}

/// Rows written between two pages neither repeat nor vanish: the next page
/// starts after the last row seen, wherever new rows land.
async fn pages_stay_put_while_rows_are_written(t: &TestDb) {
    seed(t).await;
    let first = query().paginate(5).all(&t.db).await.unwrap();
    let last_seen = first.items.last().unwrap().clone();
    // A row that sorts before the cursor, and one right after it.
    Post::create(
        &t.db,
        NewPost {
            author_id: last_seen.author_id,
            score: Some(99),
            title: "aaa".into(),
        },
    )
    .await
    .unwrap();
    let second = query().paginate(5).after(first.next.clone()).all(&t.db).await.unwrap();
    for p in &second.items {
        assert_eq!(
            rust_order(&last_seen, p),
            Ordering::Less,
            "{p:?} comes after {last_seen:?}"
        );
    }
    assert!(
        second.items.iter().all(|p| !ids(&first).contains(&p.id)),
        "no row twice"
    );
}

/// Filters, includes and a cursor that travels as JSON or a query string.
async fn filters_includes_and_cursor_serde(t: &TestDb) {
    seed(t).await;
    let q = || query().filter(Post::SCORE.is_not_null()).include(Post::author());
    let first = q().paginate(3).all(&t.db).await.unwrap();
    assert!(
        first
            .items
            .iter()
            .all(|p| p.score.is_some() && p.author.get().is_some())
    );
    let json = serde_json::to_string(&first.next).unwrap();
    let back: Option<Cursor> = serde_json::from_str(&json).unwrap();
    let as_text = back.unwrap().to_string();
    assert!(
        as_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe: {as_text}"
    );
    let cursor: Cursor = as_text.parse().unwrap();
    let second = q().paginate(3).after(cursor).all(&t.db).await.unwrap();
    assert_eq!(second.items.len(), 3);
    assert!(second.items.iter().all(|p| p.score.is_some()));
    // A has-many include on the paged model.
    let authors = Author::find()
        .include(Author::posts())
        .paginate(1)
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(authors.items[0].posts.get().unwrap().len(), 8);
    assert!(authors.next.is_some());
}

async fn foreign_and_damaged_cursors_are_refused(t: &TestDb) {
    seed(t).await;
    let page = query().paginate(2).all(&t.db).await.unwrap();
    let cursor = page.next.unwrap();
    // Another order, another table, a damaged string.
    let other = Post::find()
        .order_by(Post::TITLE.asc())
        .paginate(2)
        .after(cursor.clone())
        .all(&t.db)
        .await;
    assert!(matches!(other, Err(Error::InvalidQuery { .. })), "{other:?}");
    let table = Author::find().paginate(2).after(cursor.clone()).all(&t.db).await;
    assert!(matches!(table, Err(Error::InvalidQuery { .. })), "{table:?}");
    let damaged: Cursor = format!("{cursor}x!").parse().unwrap();
    let r = query().paginate(2).before(damaged).all(&t.db).await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
    // What a keyset cannot be.
    let r = query().limit(3).paginate(2).all(&t.db).await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
    let r = query().paginate(0).all(&t.db).await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
    let r = Post::find()
        .order_by(Post::TITLE.lower().asc())
        .paginate(2)
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
}

/// The SELECT a page after a cursor sends, per dialect (golden): the
/// keyset condition read through each column's direction and NULL place,
/// the order, one row more than the page.
async fn the_keyset_statement(t: &TestDb) {
    seed(t).await;
    let first = query().paginate(4).all(&t.db).await.unwrap();
    assert_eq!(
        first.items.last().unwrap().score,
        Some(3),
        "the cursor's score is not NULL"
    );
    let st = query().paginate(4).after(first.next).to_sql(t.dialect()).unwrap();
    let sql = st.sql.split(" WHERE ").nth(1).unwrap().to_owned();
    let expected = match t.dialect() {
        Dialect::Postgres => {
            r#"("score" < $1 OR "score" IS NULL) OR ("score" = $2 AND "title" > $3) OR ("score" = $4 AND "title" = $5 AND "id" > $6) ORDER BY "score" DESC NULLS LAST, "title" ASC, "id" ASC LIMIT $7"#
        }
        _ => {
            "(`score` < ? OR `score` IS NULL) OR (`score` = ? AND `title` > ?) OR (`score` = ? AND `title` = ? AND `id` > ?) ORDER BY `score` DESC, `title` ASC, `id` ASC LIMIT ?"
        }
    };
    assert_eq!(sql, expected);
    assert_eq!(st.params.len(), 7);
}

/// A model with a default scope: archived rows are not on any page.
#[derive(Model, Debug, Clone)]
#[orm(table = "ks_items", timestamps = false, default_scope = Self::live)]
struct Item {
    id: i64,
    rank: i64,
    archived: bool,
}

impl Item {
    fn live(q: Find<Self>) -> Find<Self> {
        q.filter(Self::ARCHIVED.eq(false))
    }
}

async fn default_scopes_apply_to_every_page(t: &TestDb) {
    Schema::new().model::<Item>().sync(&t.db).await.unwrap();
    for i in 0..12i64 {
        Item::create(
            &t.db,
            NewItem {
                rank: i % 4,
                archived: i % 3 == 0,
            },
        )
        .await
        .unwrap();
    }
    // Walk both ways in pages of 3; the scope holds on every page.
    let walk = async |scoped: bool| -> Vec<i64> {
        let q = || {
            let base = if scoped { Item::find() } else { Item::unscoped() };
            base.order_by(Item::RANK.desc())
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = q().paginate(3).after(cursor).all(&t.db).await.unwrap();
            seen.extend(page.items.iter().map(|i| i.id));
            match page.next {
                Some(c) => cursor = Some(c),
                None => return seen,
            }
        }
    };
    let all = Item::unscoped().all(&t.db).await.unwrap();
    let mut want: Vec<&Item> = all.iter().filter(|i| !i.archived).collect();
    want.sort_by(|a, b| b.rank.cmp(&a.rank).then(a.id.cmp(&b.id)));
    let want: Vec<i64> = want.iter().map(|i| i.id).collect();
    assert_eq!(walk(true).await, want);
    assert_eq!(walk(false).await.len(), 12, "unscoped pages see every row");
}

dialect_tests!(
    default_scopes_apply_to_every_page,
    the_keyset_statement,
    walks_forward_and_back_in_rusts_order,
    pages_stay_put_while_rows_are_written,
    filters_includes_and_cursor_serde,
    foreign_and_damaged_cursors_are_refused
);
