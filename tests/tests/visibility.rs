//! Soft delete and default scopes hold in every association statement:
//! `has_x` (has-many and belongs-to-many), `count_x`, `get_x`, and
//! association-column filters and orders (`Shelf::books().col(..)`).
//! A soft-deleted target, or one outside its model's default scope, is not
//! there for any of them. Orders through associations place NULLs as
//! Rust's `Option` does on all three dialects.

use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Shelf {
    pub id: i64,
    pub name: String,
    pub books: HasMany<Book>,
    #[orm(through = "shelf_badges", foreign_key = "shelf_id", other_key = "badge_id")]
    pub badges: BelongsToMany<Badge>,
}

/// Soft-deleted, and scoped to books in print.
#[derive(Model, Debug, Clone)]
#[orm(paranoid, timestamps = false, default_scope = Self::in_print)]
pub struct Book {
    pub id: i64,
    pub title: String,
    pub pages: i64,
    pub in_print: bool,
    pub subtitle: Option<String>,
    pub shelf_id: i64,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Book {
    fn in_print(q: Find<Self>) -> Find<Self> {
        q.filter(Self::IN_PRINT.eq(true))
    }
}

#[derive(Model, Debug, Clone)]
#[orm(paranoid, timestamps = false)]
pub struct Badge {
    pub id: i64,
    pub label: String,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn setup(t: &TestDb) -> (Shelf, Shelf, Vec<Book>, Vec<Badge>) {
    Schema::new()
        .model::<Shelf>()
        .model::<Book>()
        .model::<Badge>()
        .sync(&t.db)
        .await
        .unwrap();
    let a = Shelf::create(&t.db, NewShelf { name: "a".into() }).await.unwrap();
    let b = Shelf::create(&t.db, NewShelf { name: "b".into() }).await.unwrap();
    let mut books = Vec::new();
    // a: a live book (10 pages), a deleted one (500), one out of print (900);
    // b: one live book (20 pages).
    for (title, pages, in_print, shelf, subtitle) in [
        ("live", 10, true, a.id, Some("z")),
        ("deleted", 500, true, a.id, None),
        ("out of print", 900, false, a.id, None),
        ("other", 20, true, b.id, None),
    ] {
        let book = Book::create(
            &t.db,
            NewBook {
                title: title.into(),
                pages,
                in_print,
                subtitle: subtitle.map(str::to_owned),
                shelf_id: shelf,
            },
        )
        .await
        .unwrap();
        books.push(book);
    }
    books[1].destroy(&t.db).await.unwrap();
    let mut badges = Vec::new();
    for label in ["kept", "dropped"] {
        let badge = Badge::create(&t.db, NewBadge { label: label.into() }).await.unwrap();
        a.add_badge(&t.db, &badge).await.unwrap();
        badges.push(badge);
    }
    badges[1].destroy(&t.db).await.unwrap();
    (a, b, books, badges)
}

async fn has_sees_only_visible_targets(t: &TestDb) {
    let (a, _, books, badges) = setup(t).await;
    assert!(a.has_book(&t.db, &books[0]).await.unwrap());
    assert!(!a.has_book(&t.db, &books[1]).await.unwrap(), "a soft-deleted book");
    assert!(
        !a.has_book(&t.db, &books[2]).await.unwrap(),
        "a book outside the default scope"
    );
    assert!(!a.has_book(&t.db, &books[3]).await.unwrap(), "another shelf's book");
    assert_eq!(a.count_books(&t.db).await.unwrap(), 1);
    assert!(a.has_badge(&t.db, &badges[0]).await.unwrap());
    assert!(!a.has_badge(&t.db, &badges[1]).await.unwrap(), "a soft-deleted badge");
    assert_eq!(a.count_badges(&t.db).await.unwrap(), 1);
    // Restored, it is there again.
    let mut deleted = Book::find()
        .with_deleted()
        .filter(Book::ID.eq(books[1].id))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    deleted.restore(&t.db).await.unwrap();
    assert!(a.has_book(&t.db, &books[1]).await.unwrap());
}

async fn association_columns_see_only_visible_rows(t: &TestDb) {
    let (a, b, _, _) = setup(t).await;
    // Shelf a's only visible book has 10 pages: a filter on more than 100
    // pages must not find it through the deleted (500) or out-of-print (900) one.
    let big: Vec<i64> = Shelf::find()
        .filter(Shelf::books().col(Book::PAGES).gt(100))
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(big, Vec::<i64>::new());
    // Ordered by their books' largest page count, descending: b (20) before a (10).
    let order: Vec<i64> = Shelf::find()
        .order_by(Shelf::books().col(Book::PAGES).desc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(order, vec![b.id, a.id]);
    // Badges: the dropped one does not match.
    let dropped = Shelf::find()
        .filter(Shelf::badges().col(Badge::LABEL).eq("dropped"))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(dropped, 0);
}

/// Orders through associations place NULLs as Rust's `Option` does (first
/// ascending, last descending) on every dialect: a parent without rows in a
/// to-many order, and a nullable column in an include's own order, loaded
/// by its own statement or joined.
async fn association_orders_place_nulls_as_option(t: &TestDb) {
    let (a, b, _, _) = setup(t).await;
    let c = Shelf::create(&t.db, NewShelf { name: "c".into() }).await.unwrap();
    let ids = |shelves: Vec<Shelf>| shelves.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let asc = Shelf::find()
        .order_by(Shelf::books().col(Book::PAGES).asc())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(ids(asc), vec![c.id, a.id, b.id], "no books first ascending");
    let desc = Shelf::find()
        .order_by(Shelf::books().col(Book::PAGES).desc())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(ids(desc), vec![b.id, a.id, c.id], "no books last descending");
    // Shelf a's visible books after adding one without a subtitle.
    Book::create(
        &t.db,
        NewBook {
            title: "plain".into(),
            pages: 5,
            in_print: true,
            subtitle: None,
            shelf_id: a.id,
        },
    )
    .await
    .unwrap();
    for joined in [false, true] {
        for (order, want) in [
            (Book::SUBTITLE.asc(), ["plain", "live"]),
            (Book::SUBTITLE.desc(), ["live", "plain"]),
        ] {
            let include = Shelf::books().order_by(order);
            let include = if joined { include.join() } else { include };
            let shelf = Shelf::find()
                .filter(Shelf::ID.eq(a.id))
                .include(include)
                .one(&t.db)
                .await
                .unwrap()
                .unwrap();
            let titles: Vec<&str> = shelf.books.get().unwrap().iter().map(|b| b.title.as_str()).collect();
            assert_eq!(titles, want, "joined: {joined}");
        }
    }
}

dialect_tests!(
    has_sees_only_visible_targets,
    association_columns_see_only_visible_rows,
    association_orders_place_nulls_as_option
);
