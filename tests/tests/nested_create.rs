//! Nested create (issue 28 §4): `create(..).with(assoc, children)` for
//! has-many, has-one and belongs-to-many, to any depth, in one
//! transaction, keys filled in and the tree returned loaded; a child's
//! validation error names its path and nothing is written.

use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "nc_authors", timestamps = false)]
struct Author {
    id: i64,
    #[validate(length(min = 1))]
    name: String,
    books: HasMany<Book>,
    bio: HasOne<Bio>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "nc_books", timestamps = false)]
struct Book {
    id: i64,
    author_id: i64,
    #[validate(length(min = 1))]
    title: String,
    #[orm(on_delete = "cascade")]
    author: BelongsTo<Author>,
    chapters: HasMany<Chapter>,
    #[orm(through = "nc_book_genres", foreign_key = "book_id", other_key = "genre_id")]
    genres: BelongsToMany<Genre>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "nc_chapters", timestamps = false)]
struct Chapter {
    id: i64,
    book_id: i64,
    #[validate(length(min = 1))]
    title: String,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "nc_bios", timestamps = false)]
struct Bio {
    id: i64,
    author_id: Option<i64>,
    text: String,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "nc_genres", timestamps = false)]
struct Genre {
    id: i64,
    #[orm(unique, length = 40)]
    name: String,
    #[orm(through = "nc_book_genres", foreign_key = "genre_id", other_key = "book_id")]
    books: BelongsToMany<Book>,
}

async fn setup(t: &TestDb) {
    Schema::new()
        .model::<Author>()
        .model::<Book>()
        .model::<Chapter>()
        .model::<Bio>()
        .model::<Genre>()
        .sync(&t.db)
        .await
        .unwrap();
}

fn author(name: &str) -> NewAuthor {
    NewAuthor { name: name.into() }
}

/// A book with chapters and genres (the keys given are overwritten).
fn book(title: &str, chapters: &[&str], genres: &[&str]) -> Nested<Book> {
    Nested::new(NewBook {
        author_id: -1,
        title: title.into(),
    })
    .with(
        Book::chapters(),
        chapters
            .iter()
            .map(|c| NewChapter {
                book_id: -1,
                title: (*c).into(),
            })
            .collect::<Vec<_>>(),
    )
    .with(
        Book::genres(),
        genres
            .iter()
            .map(|g| NewGenre { name: (*g).into() })
            .collect::<Vec<_>>(),
    )
}

/// Rows in every table of the tree.
async fn counts(t: &TestDb) -> [i64; 5] {
    let links = raw(format!("SELECT COUNT(*) FROM {}", t.q("nc_book_genres")))
        .fetch_scalars::<i64, _>(&t.db)
        .await
        .unwrap()[0];
    [
        Author::find().count(&t.db).await.unwrap(),
        Book::find().count(&t.db).await.unwrap(),
        Chapter::find().count(&t.db).await.unwrap(),
        Bio::find().count(&t.db).await.unwrap(),
        links,
    ]
}

async fn creates_a_tree_in_one_go(t: &TestDb) {
    setup(t).await;
    let ann = Author::create(&t.db, author("ann"))
        .with(
            Author::books(),
            vec![
                book("one", &["1a", "1b"], &["poetry"]),
                book("two", &[], &["essay", "prose"]),
            ],
        )
        .with(
            Author::bio(),
            NewBio {
                author_id: None,
                text: "born".into(),
            },
        )
        .await
        .unwrap();
    // Returned loaded, keys filled in.
    let books = ann.books.get().expect("books loaded");
    assert_eq!(
        books.iter().map(|b| b.title.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert!(books.iter().all(|b| b.author_id == ann.id && b.id > 0));
    let chapters = books[0].chapters.get().expect("chapters loaded");
    assert_eq!(chapters.len(), 2);
    assert!(chapters.iter().all(|c| c.book_id == books[0].id));
    assert_eq!(books[1].genres.get().map(<[Genre]>::len), Some(2));
    assert_eq!(ann.bio.get().map(|b| b.author_id), Some(Some(ann.id)));
    // What was returned is what is stored.
    let stored = Author::find()
        .include(Author::books().include(Book::chapters()).include(Book::genres()))
        .include(Author::bio())
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    let shape = |a: &Author| {
        let mut books: Vec<(String, Vec<String>, Vec<String>)> = a
            .books
            .get()
            .unwrap()
            .iter()
            .map(|b| {
                let mut genres: Vec<String> = b.genres.get().unwrap().iter().map(|g| g.name.clone()).collect();
                genres.sort();
                let chapters = b.chapters.get().unwrap().iter().map(|c| c.title.clone()).collect();
                (b.title.clone(), chapters, genres)
            })
            .collect();
        books.sort();
        (a.id, books, a.bio.get().map(|b| b.text.clone()))
    };
    assert_eq!(shape(&stored), shape(&ann));
    assert_eq!(counts(t).await, [1, 2, 2, 1, 3]);
    // Without `with`, create is the plain create.
    let bob = Author::create(&t.db, author("bob")).await.unwrap();
    assert!(bob.books.is_unloaded());
}

async fn a_failing_child_names_its_path_and_writes_nothing(t: &TestDb) {
    setup(t).await;
    let r = Author::create(&t.db, author("ann"))
        .with(
            Author::books(),
            vec![book("one", &["1a"], &[]), book("two", &["2a", ""], &[])],
        )
        .await;
    match r {
        Err(Error::Validation { fields, .. }) => {
            assert_eq!(fields.keys().collect::<Vec<_>>(), ["books[1].chapters[1].title"]);
        }
        other => panic!("expected the chapter's validation error: {other:?}"),
    }
    assert_eq!(counts(t).await, [0, 0, 0, 0, 0]);
    // The top row's own error is named as for a plain create.
    let r = Author::create(&t.db, author(""))
        .with(Author::books(), vec![book("one", &[], &[])])
        .await;
    assert!(matches!(r, Err(Error::Validation { fields, .. }) if fields.contains_key("name")));
    // A database refusal deep down (a taken genre name) also rolls all back.
    Genre::create(&t.db, NewGenre { name: "taken".into() }).await.unwrap();
    let r = Author::create(&t.db, author("cy"))
        .with(Author::books(), vec![book("one", &["1a"], &["fresh", "taken"])])
        .await;
    assert!(matches!(r, Err(Error::UniqueViolation { .. })), "{r:?}");
    assert_eq!(counts(t).await, [0, 0, 0, 0, 0]);
    assert_eq!(Genre::find().count(&t.db).await.unwrap(), 1);
}

async fn inside_a_transaction_it_is_a_savepoint(t: &TestDb) {
    setup(t).await;
    let kept =
        t.db.transaction(async |tx| -> orm_core::Result<i64> {
            let ann = Author::create(tx, author("ann"))
                .with(Author::books(), vec![book("one", &["1a"], &["g"])])
                .await?;
            // A failed nested create leaves the transaction usable and its work in place.
            let bad = Author::create(tx, author("bob"))
                .with(Author::books(), vec![book("", &[], &[])])
                .await;
            assert!(matches!(bad, Err(Error::Validation { fields, .. }) if fields.contains_key("books[0].title")));
            Ok(ann.id)
        })
        .await
        .unwrap();
    assert_eq!(counts(t).await, [1, 1, 1, 0, 1]);
    assert_eq!(Author::find().one(&t.db).await.unwrap().unwrap().id, kept);
}

async fn refusals_for_the_wrong_shape(t: &TestDb) {
    setup(t).await;
    let two_bios = vec![
        NewBio {
            author_id: None,
            text: "a".into(),
        },
        NewBio {
            author_id: None,
            text: "b".into(),
        },
    ];
    let r = Author::create(&t.db, author("ann")).with(Author::bio(), two_bios).await;
    assert!(
        matches!(&r, Err(Error::InvalidQuery { message }) if message.contains("has-one")),
        "{r:?}"
    );
    // A belongs-to is created first, not nested under its child.
    let r = Book::create(
        &t.db,
        NewBook {
            author_id: 0,
            title: "x".into(),
        },
    )
    .with(Book::author(), author("ann"))
    .await;
    assert!(
        matches!(&r, Err(Error::InvalidQuery { message }) if message.contains("create_author")),
        "{r:?}"
    );
    assert_eq!(counts(t).await, [0, 0, 0, 0, 0]);
    // No bio at all is fine.
    let none: Option<NewBio> = None;
    let ann = Author::create(&t.db, author("ann"))
        .with(Author::bio(), none)
        .await
        .unwrap();
    assert_eq!(ann.bio.get().map(|b| b.id), None);
}

dialect_tests!(
    creates_a_tree_in_one_go,
    a_failing_child_names_its_path_and_writes_nothing,
    inside_a_transaction_it_is_a_savepoint,
    refusals_for_the_wrong_shape
);
