//! Associations and eager loading: each kind with its methods, nested
//! includes with a fixed statement count, required/filtered includes,
//! self-reference, ON DELETE actions, and the JSON shape.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn schema() -> Schema {
    // Declared children-first on purpose: sync orders tables by foreign keys.
    Schema::new()
        .model::<Comment>()
        .model::<Post>()
        .model::<Tag>()
        .model::<Profile>()
        .model::<User>()
        .model::<Employee>()
}

fn new_post(title: &str) -> NewPost {
    NewPost {
        title: title.into(),
        body: None,
        author_id: 0,
        editor_id: None,
    }
}

/// A test database whose statements are counted.
async fn counted(backend: Backend, test: &str) -> Option<(TestDb, Arc<AtomicUsize>)> {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    let t = TestDb::setup_with(backend, test, move |b| {
        b.logging(move |_q: &QueryEvent| {
            c.fetch_add(1, Ordering::SeqCst);
        })
    })
    .await?;
    schema().sync(&t.db).await.expect("sync");
    Some((t, n))
}

async fn has_many_methods(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let p1 = ada.create_post(&t.db, new_post("First")).await.unwrap();
    ada.create_post(&t.db, new_post("Second")).await.unwrap();
    assert_eq!(p1.author_id, ada.id, "create_post sets the foreign key");
    let posts = ada.get_posts(&t.db).await.unwrap();
    assert_eq!(
        posts.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        ["First", "Second"]
    );
    assert_eq!(ada.count_posts(&t.db).await.unwrap(), 2);
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    assert_eq!(bob.count_posts(&t.db).await.unwrap(), 0);
    assert!(bob.get_posts(&t.db).await.unwrap().is_empty());
}

async fn belongs_to_methods(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    let mut post = ada.create_post(&t.db, new_post("Mine")).await.unwrap();
    assert_eq!(post.get_author(&t.db).await.unwrap().unwrap().id, ada.id);
    assert!(
        post.get_editor(&t.db).await.unwrap().is_none(),
        "a NULL foreign key is no row"
    );
    post.set_author(&t.db, &bob).await.unwrap();
    post.set_editor(&t.db, &ada).await.unwrap();
    let stored = Post::find_by_pk(post.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!((stored.author_id, stored.editor_id), (bob.id, Some(ada.id)));
    let err = Post::create(
        &t.db,
        NewPost {
            author_id: 9999,
            ..new_post("orphan")
        },
    )
    .await
    .expect_err("no such author");
    assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
}

async fn has_one_methods(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    assert!(ada.get_profile(&t.db).await.unwrap().is_none());
    let prof = ada
        .create_profile(
            &t.db,
            NewProfile {
                user_id: None,
                about: "math".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(prof.user_id, Some(ada.id));
    assert_eq!(ada.get_profile(&t.db).await.unwrap().unwrap().about, "math");
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    let mut other = Profile::create(
        &t.db,
        NewProfile {
            user_id: None,
            about: "loose".into(),
        },
    )
    .await
    .unwrap();
    bob.set_profile(&t.db, &mut other).await.unwrap();
    assert_eq!(other.user_id, Some(bob.id));
    assert_eq!(bob.get_profile(&t.db).await.unwrap().unwrap().about, "loose");
}

async fn belongs_to_many_methods(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let post = ada.create_post(&t.db, new_post("Tagged")).await.unwrap();
    let mut tags = Vec::new();
    for name in ["rust", "sql", "orm"] {
        tags.push(Tag::create(&t.db, NewTag { name: name.into() }).await.unwrap());
    }
    post.add_tag(&t.db, &tags[0]).await.unwrap();
    post.add_tag(&t.db, &tags[0])
        .await
        .expect("adding twice keeps one link");
    post.add_tags(&t.db, &tags[1..]).await.unwrap();
    assert_eq!(post.count_tags(&t.db).await.unwrap(), 3);
    // A link to a row that is gone: the join table's foreign key refuses
    // it, and the error names the join table on every dialect.
    let mut gone = tags[2].clone();
    gone.id += 1000;
    let err = post.add_tag(&t.db, &gone).await.unwrap_err();
    match &err {
        Error::ForeignKeyViolation { table, .. } => assert_eq!(table.as_deref(), Some("post_tags"), "{err:?}"),
        other => panic!("expected a foreign key violation, got {other:?}"),
    }
    assert_eq!(post.count_tags(&t.db).await.unwrap(), 3);
    assert!(post.has_tag(&t.db, &tags[1]).await.unwrap());
    post.remove_tag(&t.db, &tags[1]).await.unwrap();
    assert!(!post.has_tag(&t.db, &tags[1]).await.unwrap());
    let names: Vec<String> = post
        .get_tags(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["rust", "orm"]);
    post.set_tags(&t.db, &[tags[1].clone()]).await.unwrap();
    let names: Vec<String> = post
        .get_tags(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["sql"]);
    let back: Vec<String> = tags[1]
        .get_posts(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(back, ["Tagged"], "the other side sees the link");
    post.set_tags(&t.db, &[]).await.unwrap();
    assert_eq!(post.count_tags(&t.db).await.unwrap(), 0);
}

/// Users 1..=n, each with two posts, each post with one comment and tags.
async fn seed(t: &TestDb, users: usize) -> Vec<User> {
    let rust = Tag::create(&t.db, NewTag { name: "rust".into() }).await.unwrap();
    let sql = Tag::create(&t.db, NewTag { name: "sql".into() }).await.unwrap();
    let mut out = Vec::new();
    for i in 0..users {
        let u = User::create(&t.db, new_user(&format!("U{i:04}"))).await.unwrap();
        for j in 0..2 {
            let p = u.create_post(&t.db, new_post(&format!("P{i}-{j}"))).await.unwrap();
            p.create_comment(
                &t.db,
                NewComment {
                    post_id: 0,
                    body: format!("C{i}-{j}"),
                },
            )
            .await
            .unwrap();
            p.add_tag(&t.db, if j == 0 { &rust } else { &sql }).await.unwrap();
        }
        out.push(u);
    }
    out
}

async fn nested_include_uses_one_query_per_level(backend: Backend) {
    let Some((t, n)) = counted(backend, &format!("assoc::nested_{backend:?}")).await else {
        return;
    };
    seed(&t, 3).await;
    User::create(&t.db, new_user("Lonely")).await.unwrap();
    n.store(0, Ordering::SeqCst);
    let users = User::find()
        .include(
            User::posts()
                .include(Post::comments().include(Comment::post()))
                .include(Post::tags()),
        )
        .order_by(User::ID)
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(
        n.load(Ordering::SeqCst),
        5,
        "users, posts, comments, comments' post, tags"
    );
    assert_eq!(users.len(), 4);
    let posts = users[0].posts.get().expect("loaded");
    assert_eq!(posts.len(), 2);
    let comments = posts[0].comments.get().expect("loaded");
    assert_eq!(comments[0].body, "C0-0");
    assert_eq!(
        comments[0].post.get().map(|p| p.id),
        Some(posts[0].id),
        "third level loaded"
    );
    assert_eq!(
        posts[0]
            .tags
            .get()
            .unwrap()
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["rust"]
    );
    assert!(posts[0].author.is_unloaded(), "not included, not loaded");
    let lonely = &users[3];
    assert!(
        lonely.posts.is_loaded(),
        "a parent with no children gets a loaded, empty list"
    );
    assert_eq!(lonely.posts.get().map(|p| p.len()), Some(0));
    t.cleanup().await;
}

async fn statement_count_does_not_grow_with_parents(backend: Backend) {
    let Some((t, n)) = counted(backend, &format!("assoc::thousand_{backend:?}")).await else {
        return;
    };
    // 1,000 users with one post each, inserted in bulk through raw SQL for speed.
    let now = chrono::Utc::now();
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        for i in 0..1000 {
            let u = User::create(tx, new_user(&format!("M{i:04}"))).await?;
            let _ = now;
            u.create_post(tx, new_post(&format!("T{i}"))).await?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let mut counts = Vec::new();
    for limit in [1u64, 1000] {
        n.store(0, Ordering::SeqCst);
        let users = User::find()
            .include(User::posts().include(Post::tags()))
            .limit(limit)
            .all(&t.db)
            .await
            .unwrap();
        assert_eq!(users.len() as u64, limit);
        assert!(users.iter().all(|u| u.posts.get().map(|p| p.len()) == Some(1)));
        counts.push(n.load(Ordering::SeqCst));
    }
    assert_eq!(counts, [3, 3], "1 + k statements for 1 and for 1,000 parents");
    println!(
        "{backend:?}: statements for 1 parent: {}, for 1,000 parents: {}",
        counts[0], counts[1]
    );
    t.cleanup().await;
}

async fn filtered_and_required_includes(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    seed(t, 3).await;
    let untagged = User::create(&t.db, new_user("Untagged")).await.unwrap();
    untagged.create_post(&t.db, new_post("plain")).await.unwrap();
    User::create(&t.db, new_user("Empty")).await.unwrap();

    // Optional + filtered: every user, only the rust posts.
    let users = User::find()
        .include(User::posts().filter(Post::TITLE.ends_with("-0")))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(users.len(), 5);
    assert!(users.iter().take(3).all(|u| u.posts.get().unwrap().len() == 1));

    // Required: only users with a post tagged 'sql', only those posts loaded.
    let users = User::find()
        .include(
            User::posts()
                .include(Post::tags().filter(Tag::NAME.is_in(["sql"])).required())
                .required(),
        )
        .order_by(User::ID)
        .all(&t.db)
        .await
        .unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["U0000", "U0001", "U0002"]);
    for u in &users {
        let posts = u.posts.get().unwrap();
        assert_eq!(posts.len(), 1, "only the post with the sql tag");
        assert!(posts[0].title.ends_with("-1"));
        assert_eq!(posts[0].tags.get().unwrap()[0].name, "sql");
    }
    let n = User::find()
        .include(User::posts().required())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 4, "count honours required includes");
    let posts = Post::find()
        .include(Post::tags().filter(Tag::NAME.eq("rust")).required())
        .include(Post::author())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(posts.len(), 3);
    assert!(
        posts
            .iter()
            .all(|p| p.author.get().is_some_and(|a| a.id == p.author_id))
    );
    let ordered = User::find_by_pk(users[0].id)
        .include(User::posts().order_by(Post::TITLE.desc()))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    let titles: Vec<&str> = ordered.posts.get().unwrap().iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["P0-1", "P0-0"], "order_by inside an include");
}

async fn self_reference(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let boss = Employee::create(
        &t.db,
        NewEmployee {
            name: "Boss".into(),
            manager_id: None,
        },
    )
    .await
    .unwrap();
    let a = Employee::create(
        &t.db,
        NewEmployee {
            name: "A".into(),
            manager_id: Some(boss.id),
        },
    )
    .await
    .unwrap();
    Employee::create(
        &t.db,
        NewEmployee {
            name: "B".into(),
            manager_id: Some(boss.id),
        },
    )
    .await
    .unwrap();
    Employee::create(
        &t.db,
        NewEmployee {
            name: "A1".into(),
            manager_id: Some(a.id),
        },
    )
    .await
    .unwrap();
    let all = Employee::find()
        .include(Employee::manager())
        .include(Employee::reports().include(Employee::reports()))
        .order_by(Employee::ID)
        .all(&t.db)
        .await
        .unwrap();
    assert!(
        all[0].manager.is_loaded() && all[0].manager.get().is_none(),
        "the boss has no manager"
    );
    assert_eq!(all[1].manager.get().unwrap().name, "Boss");
    let reports = all[0].reports.get().unwrap();
    assert_eq!(reports.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(reports[0].reports.get().unwrap()[0].name, "A1");
    assert_eq!(boss.count_reports(&t.db).await.unwrap(), 2);
    let managers = Employee::find()
        .include(Employee::reports().required())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(managers, 2, "a required self-include");
}

async fn on_delete_actions(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let post = ada.create_post(&t.db, new_post("gone soon")).await.unwrap();
    post.create_comment(
        &t.db,
        NewComment {
            post_id: 0,
            body: "also gone".into(),
        },
    )
    .await
    .unwrap();
    let tag = Tag::create(&t.db, NewTag { name: "t".into() }).await.unwrap();
    post.add_tag(&t.db, &tag).await.unwrap();
    let prof = ada
        .create_profile(
            &t.db,
            NewProfile {
                user_id: None,
                about: "kept".into(),
            },
        )
        .await
        .unwrap();
    ada.destroy(&t.db).await.unwrap();
    assert_eq!(
        Post::find().count(&t.db).await.unwrap(),
        0,
        "ON DELETE CASCADE removed the posts"
    );
    assert_eq!(
        Comment::find().count(&t.db).await.unwrap(),
        0,
        "and, cascading, their comments"
    );
    let links = raw(format!("SELECT COUNT(*) FROM {}", t.q("post_tags")))
        .fetch_scalars::<i64, _>(&t.db)
        .await
        .unwrap();
    assert_eq!(links, [0], "join rows cascade too");
    let kept = Profile::find_by_pk(prof.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(kept.user_id, None, "ON DELETE SET NULL");
    assert_eq!(Tag::find().count(&t.db).await.unwrap(), 1);
}

async fn json_shape(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(
        &t.db,
        NewUser {
            name: "Ada Lovelace".into(),
            ..new_user("ada")
        },
    )
    .await
    .unwrap();
    ada.create_post(&t.db, new_post("On analytical engines")).await.unwrap();
    let user = User::find_by_pk(ada.id)
        .include(User::posts())
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    let json = serde_json::to_value(&user).unwrap();
    let obj = json.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    for k in ["id", "name", "email", "role", "createdAt", "updatedAt", "posts"] {
        assert!(keys.contains(&k), "{k} in {json}");
    }
    assert!(!keys.contains(&"profile"), "unloaded associations are omitted: {json}");
    assert_eq!(json["role"], "member");
    assert_eq!(json["posts"][0]["title"], "On analytical engines");
    assert_eq!(json["posts"][0]["authorId"], ada.id);
    assert!(json["posts"][0].get("author").is_none());
    assert!(json["createdAt"].as_str().unwrap().contains('T'), "ISO timestamps");
    let with_profile = User::find_by_pk(ada.id)
        .include(User::profile())
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&with_profile).unwrap()["profile"],
        serde_json::Value::Null,
        "a loaded empty to-one is null"
    );
}

async fn ddl_has_foreign_keys_and_join_table(t: &TestDb) {
    let ddl = schema().to_sql(t.dialect());
    let q = |s: &str| t.q(s);
    assert!(
        ddl.contains(&format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE CASCADE",
            q("posts_author_id_fkey"),
            q("author_id"),
            q("users"),
            q("id")
        )),
        "{ddl}"
    );
    assert!(
        ddl.contains(&format!("CREATE TABLE IF NOT EXISTS {}", q("post_tags"))),
        "{ddl}"
    );
    assert!(
        ddl.contains(&format!("PRIMARY KEY ({}, {})", q("post_id"), q("tag_id"))),
        "{ddl}"
    );
    let users = ddl
        .find(&format!("CREATE TABLE IF NOT EXISTS {} ", q("users")))
        .unwrap();
    let posts = ddl
        .find(&format!("CREATE TABLE IF NOT EXISTS {} ", q("posts")))
        .unwrap();
    let comments = ddl
        .find(&format!("CREATE TABLE IF NOT EXISTS {} ", q("comments")))
        .unwrap();
    assert!(users < posts && posts < comments, "foreign-key order");
    schema()
        .sync_force(&t.db)
        .await
        .expect("drop in reverse order and recreate");
    schema().sync_force(&t.db).await.expect("twice");
}

/// Without an `order_by`, each parent's rows come in primary-key order, even
/// when the server returns them otherwise (on PostgreSQL an updated row moves
/// to the end of the heap and of the foreign-key index's equal keys).
async fn included_rows_come_in_key_order(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    let moved = bob.create_post(&t.db, new_post("Moved")).await.unwrap();
    let second = ada.create_post(&t.db, new_post("Second")).await.unwrap();
    let third = ada.create_post(&t.db, new_post("Third")).await.unwrap();
    Post::find()
        .filter(Post::ID.eq(moved.id))
        .update(
            &t.db,
            PostPatch {
                author_id: Some(ada.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let want = vec![moved.id, second.id, third.id];
    let users = User::find()
        .filter(User::ID.eq(ada.id))
        .include(User::posts())
        .all(&t.db)
        .await
        .unwrap();
    let got: Vec<i64> = users[0].posts.get().unwrap().iter().map(|p| p.id).collect();
    assert_eq!(got, want, "include");
    let got: Vec<i64> = ada.get_posts(&t.db).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(got, want, "get_posts");
    let newest_first = User::find()
        .filter(User::ID.eq(ada.id))
        .include(User::posts().order_by(Post::ID.desc()))
        .all(&t.db)
        .await
        .unwrap();
    let got: Vec<i64> = newest_first[0].posts.get().unwrap().iter().map(|p| p.id).collect();
    assert_eq!(got, vec![third.id, second.id, moved.id], "an explicit order is kept");
}

/// The rest of Sequelize's has-many set: add, add many, remove, set, has.
async fn has_many_add_remove_set_has(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let staff = |name: &str| NewEmployee {
        name: name.into(),
        manager_id: None,
    };
    let boss = Employee::create(&t.db, staff("boss")).await.unwrap();
    let e: Vec<Employee> = Employee::bulk_create(&t.db, vec![staff("e1"), staff("e2"), staff("e3")])
        .await
        .unwrap();
    boss.add_report(&t.db, &e[0]).await.unwrap();
    assert!(boss.has_report(&t.db, &e[0]).await.unwrap());
    assert!(!boss.has_report(&t.db, &e[1]).await.unwrap());
    boss.add_reports(&t.db, &e[1..]).await.unwrap();
    assert_eq!(boss.count_reports(&t.db).await.unwrap(), 3);
    boss.remove_report(&t.db, &e[0]).await.unwrap();
    assert!(!boss.has_report(&t.db, &e[0]).await.unwrap());
    let e0 = Employee::find_by_pk(e[0].id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(e0.manager_id, None, "detached: the key is NULL");
    boss.set_reports(&t.db, &e[..1]).await.unwrap();
    let mut ids: Vec<i64> = boss.get_reports(&t.db).await.unwrap().iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, [e[0].id], "exactly the given rows");
    assert_eq!(
        Employee::find()
            .filter(Employee::MANAGER_ID.is_null())
            .count(&t.db)
            .await
            .unwrap(),
        3
    );
    boss.set_reports(&t.db, &[]).await.unwrap();
    assert_eq!(boss.count_reports(&t.db).await.unwrap(), 0);

    // A NOT NULL key: removing or replacing away a row is refused, nothing changes.
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    let post = ada
        .create_post(
            &t.db,
            NewPost {
                title: "t".into(),
                body: None,
                author_id: 0,
                editor_id: None,
            },
        )
        .await
        .unwrap();
    let err = ada.remove_post(&t.db, &post).await.expect_err("author_id is NOT NULL");
    assert!(
        matches!(&err, Error::InvalidQuery { message } if message.contains("NOT NULL")),
        "{err:?}"
    );
    let err = ada.set_posts(&t.db, &[]).await.expect_err("would detach the post");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    assert!(ada.has_post(&t.db, &post).await.unwrap(), "unchanged");
    // Moving it to another parent is allowed.
    bob.add_post(&t.db, &post).await.unwrap();
    assert!(bob.has_post(&t.db, &post).await.unwrap());
    assert!(!ada.has_post(&t.db, &post).await.unwrap());
    ada.set_posts(&t.db, &[]).await.expect("nothing left to detach");
}

/// `create_x` on `BelongsTo` (create the parent, point the key at it) and
/// on `BelongsToMany` (create and link): one transaction each, nothing
/// written and the instance unchanged when the new row is refused.
async fn create_through_belongs_to_and_belongs_to_many(t: &TestDb) {
    schema().sync(&t.db).await.unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let mut post = ada.create_post(&t.db, new_post("Mine")).await.unwrap();
    let cy = post.create_author(&t.db, new_user("Cy")).await.unwrap();
    assert_eq!(post.author_id, cy.id);
    let stored = Post::find_by_pk(post.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.author_id, cy.id, "the key is saved");
    let ed = post.create_editor(&t.db, new_user("Ed")).await.unwrap();
    assert_eq!(post.editor_id, Some(ed.id));

    // Refused by validation, then by the database (a taken email): no user
    // made, the key left as it was, in memory and stored.
    let users = User::find().count(&t.db).await.unwrap();
    let bad = NewUser {
        email: "not an email".into(),
        ..new_user("Bad")
    };
    let err = post.create_editor(&t.db, bad).await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let err = post.create_editor(&t.db, new_user("Ada")).await.unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
    assert_eq!(post.editor_id, Some(ed.id));
    assert_eq!(User::find().count(&t.db).await.unwrap(), users);
    let stored = Post::find_by_pk(post.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.editor_id, Some(ed.id));

    let rust = post.create_tag(&t.db, NewTag { name: "rust".into() }).await.unwrap();
    assert!(post.has_tag(&t.db, &rust).await.unwrap(), "created and linked");
    let err = post
        .create_tag(&t.db, NewTag { name: "rust".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
    assert_eq!(post.count_tags(&t.db).await.unwrap(), 1);
    assert_eq!(Tag::find().count(&t.db).await.unwrap(), 1);
    // The other side creates a post and links it too.
    let linked = rust
        .create_post(
            &t.db,
            NewPost {
                author_id: ada.id,
                ..new_post("Via tag")
            },
        )
        .await
        .unwrap();
    assert_eq!(linked.get_tags(&t.db).await.unwrap().len(), 1);
}

orm_tests::dialect_tests!(
    create_through_belongs_to_and_belongs_to_many,
    included_rows_come_in_key_order,
    has_many_add_remove_set_has,
    has_many_methods,
    belongs_to_methods,
    has_one_methods,
    belongs_to_many_methods,
    filtered_and_required_includes,
    self_reference,
    on_delete_actions,
    json_shape,
    ddl_has_foreign_keys_and_join_table,
);

mod counted {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nested_sqlite() {
        nested_include_uses_one_query_per_level(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nested_postgres() {
        nested_include_uses_one_query_per_level(Backend::Postgres).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nested_mysql() {
        nested_include_uses_one_query_per_level(Backend::MySql).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn thousand_sqlite() {
        statement_count_does_not_grow_with_parents(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn thousand_postgres() {
        statement_count_does_not_grow_with_parents(Backend::Postgres).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn thousand_mysql() {
        statement_count_does_not_grow_with_parents(Backend::MySql).await;
    }
}
