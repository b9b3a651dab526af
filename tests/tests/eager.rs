//! Eager loading strategies (issue 17): `.join()` includes (to-one and
//! to-many, nested, mixed with separate ones), per-parent limits, and
//! filtering/ordering parents by an association's column, on every
//! dialect. Every joined result is compared with the same include loaded
//! by its own statement, and statements are counted.

use orm_core::Order;
use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn schema() -> Schema {
    Schema::new()
        .model::<Comment>()
        .model::<Post>()
        .model::<Tag>()
        .model::<Profile>()
        .model::<User>()
        .model::<Employee>()
}

/// A test database whose statements are counted.
struct Counted {
    t: TestDb,
    n: Arc<AtomicUsize>,
    last_sql: Arc<std::sync::Mutex<String>>,
}

impl Counted {
    async fn new(backend: Backend, test: &str) -> Option<Counted> {
        let n = Arc::new(AtomicUsize::new(0));
        let last_sql = Arc::new(std::sync::Mutex::new(String::new()));
        let (c, l) = (n.clone(), last_sql.clone());
        let t = TestDb::setup_with(backend, test, move |b| {
            b.logging(move |q: &QueryEvent| {
                c.fetch_add(1, Ordering::SeqCst);
                *l.lock().unwrap() = q.sql().to_owned();
            })
        })
        .await?;
        schema().sync(&t.db).await.expect("sync");
        seed(&t.db).await;
        Some(Counted { t, n, last_sql })
    }

    /// Statements sent by `f`.
    async fn count<T>(&self, f: impl AsyncFnOnce(&Db) -> T) -> (T, usize) {
        let before = self.n.load(Ordering::SeqCst);
        let out = f(&self.t.db).await;
        (out, self.n.load(Ordering::SeqCst) - before)
    }
}

fn user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        role: None,
        age: None,
        bio: None,
        visits: None,
    }
}

fn post(title: &str, author: i64, editor: Option<i64>) -> NewPost {
    NewPost {
        title: title.into(),
        body: None,
        author_id: author,
        editor_id: editor,
    }
}

/// Ada: 3 posts and a profile; Bob: none; Cy: 2 posts and a profile; Dee: 1 post.
async fn seed(db: &Db) {
    let mut ids = Vec::new();
    for name in ["Ada", "Bob", "Cy", "Dee"] {
        ids.push(User::create(db, user(name)).await.unwrap().id);
    }
    let (ada, bob, cy, dee) = (ids[0], ids[1], ids[2], ids[3]);
    for (about, owner) in [("ada's", ada), ("cy's", cy)] {
        Profile::create(
            db,
            NewProfile {
                user_id: Some(owner),
                about: about.into(),
            },
        )
        .await
        .unwrap();
    }
    let posts = Post::bulk_create(
        db,
        vec![
            post("a1", ada, Some(cy)),
            post("a2", ada, None),
            post("c1", cy, Some(ada)),
            post("a3", ada, Some(dee)),
            post("d1", dee, Some(bob)),
            post("c2", cy, None),
        ],
    )
    .await
    .unwrap();
    for (i, body) in [(0, "nice"), (0, "more"), (2, "hm"), (4, "ok")] {
        Comment::create(
            db,
            NewComment {
                post_id: posts[i].id,
                body: body.into(),
            },
        )
        .await
        .unwrap();
    }
    let mut tags = Vec::new();
    for name in ["rust", "sql", "orm"] {
        tags.push(Tag::create(db, NewTag { name: name.into() }).await.unwrap());
    }
    posts[0]
        .add_tags(db, &[tags[0].clone(), tags[2].clone()])
        .await
        .unwrap();
    posts[2].add_tag(db, &tags[1]).await.unwrap();
    posts[3].add_tags(db, &tags).await.unwrap();
    let boss = Employee::create(
        db,
        NewEmployee {
            name: "boss".into(),
            manager_id: None,
        },
    )
    .await
    .unwrap();
    for name in ["x", "y"] {
        Employee::create(
            db,
            NewEmployee {
                name: name.into(),
                manager_id: Some(boss.id),
            },
        )
        .await
        .unwrap();
    }
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

async fn to_one_join_is_one_statement(c: &Counted) {
    let q = || Post::find().order_by(Post::ID);
    let (joined, n) = c
        .count(async |db| {
            q().include(Post::author().join())
                .include(Post::editor().join())
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1, "both to-one includes in the parents' statement");
    let (separate, m) = c
        .count(async |db| {
            q().include(Post::author())
                .include(Post::editor())
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(m, 3);
    assert_eq!(joined, separate);
    // Two associations to one table: each its own alias and its own rows.
    let a1 = &joined[0];
    assert_eq!(a1.author.get().map(|u| u.name.as_str()), Some("Ada"));
    assert_eq!(a1.editor.get().map(|u| u.name.as_str()), Some("Cy"));
    assert!(joined[1].editor.is_loaded() && joined[1].editor.get().is_none());
    // Required: INNER JOIN.
    let (edited, n) = c
        .count(async |db| q().include(Post::editor().join().required()).all(db).await.unwrap())
        .await;
    assert_eq!(n, 1);
    let titles: Vec<&str> = edited.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["a1", "c1", "a3", "d1"]);
    // Has-one, filtered, nested inside a joined belongs-to.
    let (deep, n) = c
        .count(async |db| {
            q().include(Post::author().join().include(User::profile().join()))
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    let separate = q()
        .include(Post::author().include(User::profile()))
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(deep, separate);
    let about: Vec<Option<&str>> = deep
        .iter()
        .map(|p| p.author.get().and_then(|a| a.profile.get()).map(|pr| pr.about.as_str()))
        .collect();
    assert_eq!(
        about,
        [
            Some("ada's"),
            Some("ada's"),
            Some("cy's"),
            Some("ada's"),
            None,
            Some("cy's")
        ]
    );
}

async fn to_many_join_counts_parents(c: &Counted) {
    let q = || User::find().order_by(User::NAME.desc());
    let (joined, n) = c
        .count(async |db| {
            q().include(User::posts().join().include(Post::comments().join()))
                .include(User::profile().join())
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    let separate = q()
        .include(User::posts().include(Post::comments()))
        .include(User::profile())
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(joined, separate);
    assert_eq!(names(&joined), ["Dee", "Cy", "Bob", "Ada"]);
    let ada = &joined[3];
    let titles: Vec<&str> = ada.posts.get().unwrap().iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["a1", "a2", "a3"], "each parent's rows in key order");
    let a1_comments: Vec<&str> = ada.posts.get().unwrap()[0]
        .comments
        .get()
        .unwrap()
        .iter()
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(a1_comments, ["nice", "more"]);

    // limit/offset count parents, not joined rows.
    let (page, n) = c
        .count(async |db| {
            q().include(User::posts().join())
                .limit(2)
                .offset(1)
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    assert_eq!(names(&page), ["Cy", "Bob"]);
    assert_eq!(page[0].posts.get().unwrap().len(), 2);
    let separate = q()
        .include(User::posts())
        .limit(2)
        .offset(1)
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(page, separate);

    // Limit + a required, filtered to-many join: the limit counts parents
    // that have a matching row, and each keeps only its matching rows.
    let required = || User::posts().filter(Post::TITLE.starts_with("a")).required();
    let (firsts, n) = c
        .count(async |db| {
            User::find()
                .order_by(User::NAME)
                .include(required().join())
                .limit(1)
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    let separate = User::find()
        .order_by(User::NAME)
        .include(required())
        .limit(1)
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(firsts, separate);
    assert_eq!(names(&firsts), ["Ada"]);
    assert_eq!(firsts[0].posts.get().unwrap().len(), 3);
    let withs = User::find()
        .order_by(User::NAME)
        .include(User::posts().filter(Post::TITLE.starts_with("c")).required().join())
        .limit(5)
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(names(&withs), ["Cy"]);
    // One row, found by key or by limit 1, with a to-many join.
    let one = User::find()
        .filter(User::NAME.eq("Cy"))
        .include(User::posts().join())
        .one(&c.t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.posts.get().unwrap().len(), 2);
}

async fn belongs_to_many_and_self_reference_join(c: &Counted) {
    let q = || Post::find().order_by(Post::ID);
    let (joined, n) = c
        .count(async |db| {
            q().include(Post::tags().join().order_by(Tag::NAME))
                .include(Post::comments().join())
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1, "two to-many joins in one statement");
    let separate = q()
        .include(Post::tags().order_by(Tag::NAME))
        .include(Post::comments())
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(joined, separate);
    let a3: Vec<&str> = joined[3].tags.get().unwrap().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        a3,
        ["orm", "rust", "sql"],
        "ordered, and not repeated by the other join"
    );
    assert_eq!(joined[0].comments.get().unwrap().len(), 2);

    // A self-reference: the same table three times.
    let q = || Employee::find().order_by(Employee::ID);
    let (joined, n) = c
        .count(async |db| {
            q().include(Employee::manager().join())
                .include(Employee::reports().join().include(Employee::manager().join()))
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    let separate = q()
        .include(Employee::manager())
        .include(Employee::reports().include(Employee::manager()))
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(joined, separate);
    assert_eq!(joined[0].reports.get().unwrap().len(), 2);
    assert_eq!(joined[1].manager.get().map(|m| m.name.as_str()), Some("boss"));
}

async fn mixed_plans(c: &Counted) {
    let q = || User::find().order_by(User::ID);
    // A joined to-one inside a separately loaded to-many: two statements.
    let (a, n) = c
        .count(async |db| {
            q().include(User::posts().include(Post::editor().join()))
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 2);
    // A separately loaded to-many inside a joined one: two statements.
    let (b, m) = c
        .count(async |db| {
            q().include(User::posts().join().include(Post::tags()))
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(m, 2);
    let separate = q()
        .include(User::posts().include(Post::editor()))
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(a, separate);
    let separate = q()
        .include(User::posts().include(Post::tags()))
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(b, separate);
    let a1 = &a[0].posts.get().unwrap()[0];
    assert_eq!(a1.editor.get().map(|u| u.name.as_str()), Some("Cy"));
}

async fn per_parent_limit(c: &Counted) {
    let (users, n) = c
        .count(async |db| {
            User::find()
                .order_by(User::ID)
                .include(User::posts().order_by(Post::ID.desc()).limit(2))
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 2, "still one statement per include level");
    let sql = c.last_sql.lock().unwrap().clone();
    assert!(
        sql.contains("ROW_NUMBER() OVER (PARTITION BY"),
        "a window function: {sql}"
    );
    let latest: Vec<Vec<&str>> = users
        .iter()
        .map(|u| u.posts.get().unwrap().iter().map(|p| p.title.as_str()).collect())
        .collect();
    assert_eq!(latest, vec![vec!["a3", "a2"], vec![], vec!["c2", "c1"], vec!["d1"]]);
    let skipped = User::find()
        .order_by(User::ID)
        .include(User::posts().order_by(Post::ID.desc()).offset(1).limit(1))
        .all(&c.t.db)
        .await
        .unwrap();
    let second: Vec<Vec<&str>> = skipped
        .iter()
        .map(|u| u.posts.get().unwrap().iter().map(|p| p.title.as_str()).collect())
        .collect();
    assert_eq!(second, vec![vec!["a2"], vec![], vec!["c1"], vec![]]);
    // Through a join table too, in key order without an order_by.
    let posts = Post::find()
        .order_by(Post::ID)
        .include(Post::tags().limit(1))
        .all(&c.t.db)
        .await
        .unwrap();
    let first_tags: Vec<Vec<&str>> = posts
        .iter()
        .map(|p| p.tags.get().unwrap().iter().map(|t| t.name.as_str()).collect())
        .collect();
    assert_eq!(
        first_tags,
        vec![vec!["rust"], vec![], vec!["sql"], vec!["rust"], vec![], vec![]]
    );
    // With .join() a per-parent limit is refused with a clear error.
    let err = User::find()
        .include(User::posts().limit(1).join())
        .all(&c.t.db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("per-parent limit"), "{err}");
}

async fn filter_and_order_by_an_association(c: &Counted) {
    let (posts, n) = c
        .count(async |db| {
            Post::find()
                .filter(Post::author().col(User::NAME).ne("Dee"))
                .filter(Post::editor().col(User::NAME).is_not_null().or(Post::TITLE.eq("a2")))
                .order_by(Post::author().col(User::NAME).desc())
                .order_by(Post::ID)
                .all(db)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
    let titles: Vec<&str> = posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["c1", "a1", "a2", "a3"]);
    // Count and aggregates join it too; a to-many column means "some row".
    let n = Post::find()
        .filter(Post::author().col(User::NAME).eq("Ada"))
        .count(&c.t.db)
        .await
        .unwrap();
    assert_eq!(n, 3);
    let with_rust = User::find()
        .filter(User::posts().col(Post::TITLE).starts_with("c"))
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(names(&with_rust), ["Cy"]);
    // ILIKE on an association's column is qualified like every condition
    // (users and posts both have an `id`; the tags' `name` meets the users' `name`).
    let by_ilike = Post::find()
        .filter(Post::author().col(User::NAME).ilike("cY"))
        .count(&c.t.db)
        .await
        .unwrap();
    assert_eq!(by_ilike, 2);
    let tagged = Post::find()
        .order_by(Post::ID)
        .include(Post::author().join())
        .include(Post::tags().filter(Tag::NAME.ilike("RUST")).join())
        .all(&c.t.db)
        .await
        .unwrap();
    let rust: Vec<usize> = tagged.iter().map(|p| p.tags.get().unwrap().len()).collect();
    assert_eq!(rust, [1, 0, 0, 1, 0, 0]);
    // Together with a joined include of the same association.
    let mixed = Post::find()
        .filter(Post::author().col(User::NAME).eq("Cy"))
        .include(Post::author().join())
        .order_by(Post::ID)
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(mixed.len(), 2);
    assert!(
        mixed
            .iter()
            .all(|p| p.author.get().map(|a| a.name.as_str()) == Some("Cy"))
    );
    // A bulk write cannot join: refused before any SQL.
    let err = Post::find()
        .filter(Post::author().col(User::NAME).eq("Cy"))
        .delete(&c.t.db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("association"), "{err}");
    assert_eq!(Post::find().count(&c.t.db).await.unwrap(), 6);
    // Ordering parents by a to-many association's column: by the largest
    // of their rows' values descending, the smallest ascending (Bob has no
    // posts, and the dialects place NULLs differently, so he is left out).
    let by = async |order: Order<User>| {
        let users = User::find()
            .filter(User::NAME.ne("Bob"))
            .order_by(order)
            .all(&c.t.db)
            .await
            .unwrap();
        users.into_iter().map(|u| u.name).collect::<Vec<_>>()
    };
    assert_eq!(by(User::posts().col(Post::ID).desc()).await, ["Cy", "Dee", "Ada"]);
    assert_eq!(by(User::posts().col(Post::ID).asc()).await, ["Ada", "Cy", "Dee"]);
    assert_eq!(by(User::posts().col(Post::TITLE).desc()).await, ["Dee", "Cy", "Ada"]);
    let latest_first = User::find()
        .filter(User::NAME.ne("Bob"))
        .order_by(User::posts().col(Post::ID).desc())
        .include(User::posts().join())
        .limit(2)
        .all(&c.t.db)
        .await
        .unwrap();
    assert_eq!(names(&latest_first), ["Cy", "Dee"]);
    assert_eq!(latest_first[0].posts.get().unwrap().len(), 2);
}

macro_rules! counted_tests {
    ($($name:ident),* $(,)?) => {
        counted_tests!(@backend sqlite, Sqlite, $($name),*);
        counted_tests!(@backend postgres, Postgres, $($name),*);
        counted_tests!(@backend mysql, MySql, $($name),*);
    };
    (@backend $module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    if let Some(c) = super::Counted::new(super::Backend::$backend, test).await {
                        super::$name(&c).await;
                        c.t.cleanup().await;
                    }
                }
            )*
        }
    };
}

counted_tests!(
    to_one_join_is_one_statement,
    to_many_join_counts_parents,
    belongs_to_many_and_self_reference_join,
    mixed_plans,
    per_parent_limit,
    filter_and_order_by_an_association,
);
