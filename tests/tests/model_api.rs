//! The rest of Sequelize's model API: bulk_create, upsert, find_or_create,
//! increment, aggregates, grouping, attributes, streaming, raw SQL into
//! models, paranoid models, optimistic locking and hooks.

use futures_util::StreamExt;
use orm_core::prelude::*;
use orm_core::{Having, raw};
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};
use std::time::Instant;

fn user(i: usize) -> NewUser {
    NewUser {
        name: format!("U{i}"),
        email: format!("u{i}@example.com"),
        role: None,
        age: Some((i % 50) as i32),
        bio: None,
        visits: Some(i as i64),
    }
}

async fn bulk_create_100k_returns_matching_ids(t: &TestDb) {
    Schema::new().model::<Tag>().sync(&t.db).await.unwrap();
    let n = 100_000;
    let rows: Vec<NewTag> = (0..n)
        .map(|i| NewTag {
            name: format!("tag-{i:06}"),
        })
        .collect();
    let started = Instant::now();
    let tags = Tag::bulk_create(&t.db, rows).await.expect("bulk_create");
    let orm = started.elapsed();
    assert_eq!(tags.len(), n);
    let stored: Vec<(i64, String)> = Tag::find().attributes((Tag::ID, Tag::NAME)).all(&t.db).await.unwrap();
    assert_eq!(stored.len(), n);
    let by_id: std::collections::HashMap<i64, String> = stored.into_iter().collect();
    for tag in &tags {
        assert_eq!(
            by_id.get(&tag.id),
            Some(&tag.name),
            "returned id {} matches its row",
            tag.id
        );
    }
    println!("{:?}: bulk_create of {n} rows took {orm:?}", t.backend);
}

async fn bulk_create_with_one_invalid_row_writes_nothing(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let mut rows: Vec<NewUser> = (0..50).map(user).collect();
    rows[37].email = "broken".into();
    let err = User::bulk_create(&t.db, rows).await.expect_err("row 37 is invalid");
    match err {
        Error::Validation { row, fields, .. } => {
            assert_eq!(row, Some(37));
            assert!(fields.contains_key("email"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
    // A database error in a later chunk rolls back the earlier ones too.
    let mut rows: Vec<NewUser> = (0..20).map(user).collect();
    rows[19].email = rows[0].email.clone();
    let err = User::bulk_create_unvalidated(&t.db, rows)
        .await
        .expect_err("duplicate email");
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
}

async fn upsert_inserts_then_updates(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Country>()
        .sync(&t.db)
        .await
        .unwrap();
    let first = User::upsert(&t.db, user(1)).await.unwrap();
    assert!(first.id > 0);
    let again = User::upsert(
        &t.db,
        NewUser {
            name: "Renamed".into(),
            ..user(1)
        },
    )
    .await
    .unwrap();
    assert_eq!(again.id, first.id, "same unique email: same row");
    assert_eq!(again.name, "Renamed");
    assert_eq!(again.created_at, first.created_at, "created_at is kept");
    assert_eq!(User::find().count(&t.db).await.unwrap(), 1);
    let c = Country::upsert(
        &t.db,
        NewCountry {
            code: "NL".into(),
            name: "Holland".into(),
            population: None,
        },
    )
    .await
    .unwrap();
    let c2 = Country::upsert(
        &t.db,
        NewCountry {
            code: "NL".into(),
            name: "Netherlands".into(),
            population: Some(18),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (c.name.as_str(), c2.name.as_str(), c2.population),
        ("Holland", "Netherlands", 18)
    );
}

async fn find_or_create_is_race_safe(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move {
                User::find_or_create(
                    &db,
                    User::EMAIL.eq("race@example.com"),
                    NewUser {
                        email: "race@example.com".into(),
                        ..user(0)
                    },
                )
                .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().expect("no caller fails"));
    }
    let created = results.iter().filter(|(_, c)| *c).count();
    assert_eq!(created, 1, "exactly one caller created the row");
    assert!(
        results.iter().all(|(u, _)| u.id == results[0].0.id),
        "all 16 got the same row"
    );
    assert_eq!(User::find().count(&t.db).await.unwrap(), 1);
    // Inside a transaction too (the conflict must not abort it).
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        let (u, created) = User::find_or_create(tx, User::EMAIL.eq("race@example.com"), user(5)).await?;
        assert!(!created);
        assert_eq!(u.id, results[0].0.id);
        Ok(())
    })
    .await
    .unwrap();
}

async fn increment_loses_no_update(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let u = User::create(&t.db, user(0)).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let db = t.db.clone();
            let mut mine = u.clone();
            tokio::spawn(async move { mine.increment(&db, User::VISITS, 5).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("increment");
    }
    let mut fresh = User::find_by_pk(u.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(fresh.visits, 80, "16 concurrent increments of 5");
    fresh.decrement(&t.db, User::VISITS, 30).await.unwrap();
    assert_eq!(fresh.visits, 50, "the instance is reloaded");
}

async fn aggregates_grouping_and_attributes(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    for i in 1..=6 {
        let role = if i % 3 == 0 { Some(Role::Admin) } else { None };
        User::create(&t.db, NewUser { role, ..user(i) }).await.unwrap();
    }
    assert_eq!(
        User::find().sum(User::VISITS, &t.db).await.unwrap(),
        Some(21),
        "integer sums stay integers"
    );
    assert_eq!(User::find().avg(User::VISITS, &t.db).await.unwrap(), Some(3.5));
    assert_eq!(User::find().min(User::VISITS, &t.db).await.unwrap(), Some(1));
    assert_eq!(
        User::find()
            .filter(User::ROLE.eq(Role::Member))
            .max(User::VISITS, &t.db)
            .await
            .unwrap(),
        Some(5)
    );
    assert_eq!(User::find().max(User::AGE, &t.db).await.unwrap(), Some(Some(6)));
    assert_eq!(
        User::find()
            .filter(User::ID.lt(0))
            .sum(User::VISITS, &t.db)
            .await
            .unwrap(),
        None,
        "no rows: NULL"
    );
    let per_role: Vec<(Role, i64)> = User::find().group_by(User::ROLE).count(&t.db).await.unwrap();
    assert_eq!(per_role, [(Role::Admin, 2), (Role::Member, 4)]);
    let busy: Vec<(Role, i64)> = User::find()
        .group_by(User::ROLE)
        .having(Having::count().gt(2))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(busy, [(Role::Member, 4)]);
    let sums: Vec<(Role, Option<i64>)> = User::find()
        .group_by(User::ROLE)
        .sum(User::VISITS, &t.db)
        .await
        .unwrap();
    assert_eq!(sums, [(Role::Admin, Some(9)), (Role::Member, Some(12))]);
    let pairs: Vec<(i64, String)> = User::find()
        .filter(User::VISITS.lte(2))
        .order_by(User::ID)
        .attributes((User::ID, User::NAME))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(pairs.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["U1", "U2"]);
    #[derive(Debug, PartialEq)]
    struct Short {
        name: String,
        role: Role,
    }
    impl From<(String, Role)> for Short {
        fn from((name, role): (String, Role)) -> Self {
            Short { name, role }
        }
    }
    let shorts: Vec<Short> = User::find()
        .filter(User::ROLE.eq(Role::Admin))
        .order_by(User::ID)
        .attributes((User::NAME, User::ROLE))
        .all_as(&t.db)
        .await
        .unwrap();
    assert_eq!(
        shorts,
        [
            Short {
                name: "U3".into(),
                role: Role::Admin
            },
            Short {
                name: "U6".into(),
                role: Role::Admin
            }
        ]
    );
}

async fn streaming_and_raw_models(t: &TestDb) {
    Schema::new().model::<Tag>().sync(&t.db).await.unwrap();
    Tag::bulk_create(
        &t.db,
        (0..2000)
            .map(|i| NewTag {
                name: format!("s{i:05}"),
            })
            .collect(),
    )
    .await
    .unwrap();
    let mut stream = Tag::find().order_by(Tag::NAME).stream(&t.db);
    let mut seen = 0;
    let mut last = String::new();
    while let Some(tag) = stream.next().await {
        let tag = tag.unwrap();
        assert!(tag.name > last);
        last = tag.name;
        seen += 1;
    }
    assert_eq!(seen, 2000);
    let in_tx =
        t.db.transaction(async |tx| Ok::<_, orm_core::Error>(Tag::find().limit(10).stream(tx).count().await))
            .await
            .unwrap();
    assert_eq!(in_tx, 10);
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} = {}",
        t.q("id"),
        t.q("name"),
        t.q("tags"),
        t.q("name"),
        t.ph(1)
    );
    let tags: Vec<Tag> = raw(sql).bind("s00042").fetch_models(&t.db).await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "s00042");
    struct Named {
        id: i64,
        name: String,
    }
    impl orm_core::FromRow for Named {
        fn from_row(row: orm_core::RowRef<'_>) -> orm_core::Result<Self> {
            use orm_core::FieldType;
            Ok(Named {
                id: i64::decode(row, 0)?,
                name: String::decode(row, 1)?,
            })
        }
    }
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} < {} ORDER BY {}",
        t.q("id"),
        t.q("name"),
        t.q("tags"),
        t.q("name"),
        t.ph(1),
        t.q("name")
    );
    let rows: Vec<Named> = raw(sql.clone()).bind("s00003").fetch_as(&t.db).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["s00000", "s00001", "s00002"]
    );
    assert!(rows.iter().all(|r| r.id > 0));
    let pairs: Vec<(i64, String)> = raw(sql).bind("s00001").fetch_as(&t.db).await.unwrap();
    assert_eq!(pairs.len(), 1);
}

async fn paranoid_soft_delete(t: &TestDb) {
    Schema::new().model::<Note>().sync(&t.db).await.unwrap();
    let a = Note::create(&t.db, NewNote { text: "a".into() }).await.unwrap();
    let b = Note::create(&t.db, NewNote { text: "b".into() }).await.unwrap();
    a.destroy(&t.db).await.unwrap();
    assert_eq!(Note::find().count(&t.db).await.unwrap(), 1, "destroyed rows are hidden");
    assert!(Note::find_by_pk(a.id).one(&t.db).await.unwrap().is_none());
    assert_eq!(Note::find().with_deleted().count(&t.db).await.unwrap(), 2);
    let gone = Note::find().only_deleted().all(&t.db).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert!(gone[0].deleted_at.is_some(), "deleted_at is set");
    let mut back = gone[0].clone();
    back.restore(&t.db).await.unwrap();
    assert_eq!(back.deleted_at, None);
    assert_eq!(Note::find().count(&t.db).await.unwrap(), 2);
    assert_eq!(
        Note::find().filter(Note::TEXT.eq("b")).delete(&t.db).await.unwrap(),
        1,
        "bulk delete is soft too"
    );
    assert_eq!(Note::find().with_deleted().count(&t.db).await.unwrap(), 2);
    b.destroy_force(&t.db).await.unwrap();
    assert_eq!(
        Note::find().with_deleted().count(&t.db).await.unwrap(),
        1,
        "destroy_force deletes"
    );
}

async fn optimistic_locking(t: &TestDb) {
    Schema::new().model::<Doc>().sync(&t.db).await.unwrap();
    let doc = Doc::create(
        &t.db,
        NewDoc {
            title: "t".into(),
            body: "b".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(doc.version, 0);
    let mut mine = doc.clone();
    let mut theirs = doc.clone();
    theirs.title = "theirs".into();
    theirs.save(&t.db).await.unwrap();
    assert_eq!(theirs.version, 1);
    mine.body = "mine".into();
    let err = mine.save(&t.db).await.expect_err("stale");
    assert!(matches!(err, Error::StaleRow { model: "Doc" }), "{err:?}");
    assert_eq!(err.status_code(), 409);
    let err = mine
        .update(
            &t.db,
            DocPatch {
                body: Some("x".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("stale patch");
    assert!(matches!(err, Error::StaleRow { .. }));
    mine.reload(&t.db).await.unwrap();
    mine.body = "mine".into();
    mine.save(&t.db).await.unwrap();
    let stored = Doc::find_by_pk(doc.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.body.as_str(), stored.version),
        ("theirs", "mine", 2)
    );
    // `theirs` is stale too: destroying it is refused, nothing is deleted.
    let err = theirs.destroy(&t.db).await.expect_err("stale destroy");
    assert!(matches!(err, Error::StaleRow { .. }), "{err:?}");
    assert!(Doc::find_by_pk(doc.id).one(&t.db).await.unwrap().is_some());
    theirs.reload(&t.db).await.unwrap();
    theirs.destroy(&t.db).await.unwrap();
    assert!(
        matches!(mine.save(&t.db).await, Err(Error::NotFound { .. })),
        "a deleted row is not stale, it is gone"
    );
}

async fn hooks_run_in_order_and_can_abort(t: &TestDb) {
    Schema::new().model::<Audited>().sync(&t.db).await.unwrap();
    let mut a = Audited::create(&t.db, NewAudited { name: "MiXeD".into() })
        .await
        .unwrap();
    assert_eq!(a.trail, ["before_validate", "before_save", "before_create"]);
    assert_eq!(a.name, "mixed", "a hook changed the value before it was written");
    assert_eq!(
        Audited::find_by_pk(a.id).one(&t.db).await.unwrap().unwrap().name,
        "mixed"
    );
    assert!(HOOK_LOG.lock().unwrap().contains(&format!("after_create {}", a.id)));
    a.trail.clear();
    a.save(&t.db).await.unwrap();
    assert_eq!(a.trail, ["before_validate", "before_save", "before_update"]);
    let err = Audited::create(&t.db, NewAudited { name: "REJECT".into() })
        .await
        .expect_err("aborted");
    assert!(matches!(err, Error::Validation { .. }));
    assert_eq!(
        Audited::find().count(&t.db).await.unwrap(),
        1,
        "an aborted create writes nothing"
    );
    let keep = Audited::create(&t.db, NewAudited { name: "keep".into() })
        .await
        .unwrap();
    assert!(keep.destroy(&t.db).await.is_err());
    assert_eq!(
        Audited::find().count(&t.db).await.unwrap(),
        2,
        "an aborted destroy deletes nothing"
    );
}

/// Models whose names are the derive's own generic parameters used to be
/// (`E`, `T`), and a has-many field that is its own singular (`staff`),
/// whose `add_staff` was defined twice (issue 25 §4).
mod awkward_names {
    use orm_core::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[orm(table = "es", timestamps = false)]
    pub struct E {
        pub id: i64,
        pub name: String,
        pub staff: HasMany<Staff>,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "staff", timestamps = false)]
    pub struct Staff {
        pub id: i64,
        pub name: String,
        pub e_id: Option<i64>,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "ts", timestamps = false)]
    pub struct T {
        pub id: i64,
        pub n: i64,
    }
}

async fn models_named_like_generics_and_self_singular_fields(t: &TestDb) {
    use awkward_names::*;
    Schema::new()
        .model::<E>()
        .model::<Staff>()
        .model::<T>()
        .sync(&t.db)
        .await
        .unwrap();
    let mut e = E::create(&t.db, NewE { name: "e".into() }).await.unwrap();
    e.name = "e2".into();
    e.save(&t.db).await.unwrap();
    let made = e
        .create_staff(
            &t.db,
            NewStaff {
                name: "one".into(),
                e_id: None,
            },
        )
        .await
        .unwrap();
    let loose = |name: &str| NewStaff {
        name: name.into(),
        e_id: None,
    };
    let two = Staff::create(&t.db, loose("two")).await.unwrap();
    let more = Staff::bulk_create(&t.db, vec![loose("three"), loose("four")])
        .await
        .unwrap();
    e.add_staff(&t.db, &two).await.unwrap();
    e.add_staffs(&t.db, &more).await.unwrap();
    assert_eq!(e.count_staff(&t.db).await.unwrap(), 4);
    assert!(e.has_staff(&t.db, &made).await.unwrap());
    e.remove_staff(&t.db, &made).await.unwrap();
    assert_eq!(e.get_staff(&t.db).await.unwrap().len(), 3);
    let mut n = T::create(&t.db, NewT { n: 1 }).await.unwrap();
    n.increment(&t.db, T::N, 41).await.unwrap();
    assert_eq!(n.n, 42);
    let found = T::upsert_on(&t.db, T::ID, NewT { n: 7 }).await.unwrap();
    assert_eq!(found.n, 7);
}

dialect_tests!(
    models_named_like_generics_and_self_singular_fields,
    bulk_create_100k_returns_matching_ids,
    bulk_create_with_one_invalid_row_writes_nothing,
    upsert_inserts_then_updates,
    find_or_create_is_race_safe,
    increment_loses_no_update,
    aggregates_grouping_and_attributes,
    streaming_and_raw_models,
    paranoid_soft_delete,
    optimistic_locking,
    hooks_run_in_order_and_can_abort,
    tracked_save_writes_only_changed_columns,
);

async fn tracked_save_writes_only_changed_columns(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let u = User::create(&t.db, user(1)).await.unwrap();
    let mut a = orm_core::Tracked::new(User::find_by_pk(u.id).one(&t.db).await.unwrap().unwrap());
    let mut b = orm_core::Tracked::new(User::find_by_pk(u.id).one(&t.db).await.unwrap().unwrap());
    a.name = "Name from A".into();
    b.age = Some(99);
    assert_eq!(a.changed(), ["name"]);
    a.save(&t.db).await.unwrap();
    b.save(&t.db).await.unwrap();
    let stored = User::find_by_pk(u.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.age),
        ("Name from A", Some(99)),
        "neither writer overwrote the other"
    );
    assert!(b.changed().is_empty(), "saved values become the tracked ones");
}
