//! Every filter operator returns exactly the rows it should; ordering,
//! paging, counting, and filtered bulk update/delete.

use orm_core::Condition;
use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};

/// Five users with distinct names, ages and roles.
async fn seed(t: &TestDb) -> Vec<User> {
    Schema::new().model::<User>().sync(&t.db).await.expect("sync");
    let rows = [
        ("Alice", "alice@example.com", Some(30), Role::Admin),
        ("alfred", "alfred@test.org", Some(40), Role::Member),
        ("Bob", "bob@example.com", None, Role::Member),
        ("Carol_1", "carol@example.com", Some(25), Role::Member),
        ("Dan%", "dan@test.org", Some(50), Role::Admin),
    ];
    let mut out = Vec::new();
    for (name, email, age, role) in rows {
        let new = NewUser {
            name: name.into(),
            email: email.into(),
            role: Some(role),
            age,
            bio: None,
            visits: None,
        };
        out.push(User::create(&t.db, new).await.expect("seed"));
    }
    out
}

async fn names(t: &TestDb, cond: Condition<User>) -> Vec<String> {
    let users = User::find()
        .filter(cond)
        .order_by(User::ID.asc())
        .all(&t.db)
        .await
        .expect("query");
    users.into_iter().map(|u| u.name).collect()
}

async fn comparison_operators(t: &TestDb) {
    seed(t).await;
    assert_eq!(names(t, User::NAME.eq("Bob")).await, ["Bob"]);
    assert_eq!(
        names(t, User::NAME.ne("Bob")).await,
        ["Alice", "alfred", "Carol_1", "Dan%"]
    );
    assert_eq!(names(t, User::AGE.gt(30)).await, ["alfred", "Dan%"]);
    assert_eq!(names(t, User::AGE.gte(30)).await, ["Alice", "alfred", "Dan%"]);
    assert_eq!(names(t, User::AGE.lt(30)).await, ["Carol_1"]);
    assert_eq!(names(t, User::AGE.lte(30)).await, ["Alice", "Carol_1"]);
    assert_eq!(
        names(t, User::AGE.between(25, 40)).await,
        ["Alice", "alfred", "Carol_1"]
    );
    assert_eq!(names(t, User::ROLE.eq(Role::Admin)).await, ["Alice", "Dan%"]);
}

async fn set_and_null_operators(t: &TestDb) {
    seed(t).await;
    assert_eq!(
        names(t, User::NAME.is_in(["Bob", "Alice", "nobody"])).await,
        ["Alice", "Bob"]
    );
    assert_eq!(
        names(t, User::NAME.not_in(["Bob", "Alice"])).await,
        ["alfred", "Carol_1", "Dan%"]
    );
    assert_eq!(
        names(t, User::NAME.is_in(Vec::<String>::new())).await,
        Vec::<String>::new()
    );
    assert_eq!(names(t, User::NAME.not_in(Vec::<String>::new())).await.len(), 5);
    assert_eq!(names(t, User::AGE.is_null()).await, ["Bob"]);
    assert_eq!(names(t, User::AGE.is_not_null()).await.len(), 4);
    assert_eq!(names(t, User::ROLE.is_in([Role::Admin])).await, ["Alice", "Dan%"]);
}

async fn pattern_operators(t: &TestDb) {
    seed(t).await;
    assert_eq!(
        names(t, User::NAME.like("A%")).await,
        ["Alice"],
        "LIKE is case-sensitive everywhere"
    );
    assert_eq!(
        names(t, User::NAME.not_like("A%")).await,
        ["alfred", "Bob", "Carol_1", "Dan%"]
    );
    assert_eq!(names(t, User::NAME.ilike("a%")).await, ["Alice", "alfred"]);
    assert_eq!(names(t, User::NAME.ilike("%OB")).await, ["Bob"]);
    assert_eq!(names(t, User::EMAIL.ends_with("@test.org")).await, ["alfred", "Dan%"]);
    assert_eq!(names(t, User::NAME.starts_with("al")).await, ["alfred"]);
    assert_eq!(
        names(t, User::NAME.contains("ol_")).await,
        ["Carol_1"],
        "_ is literal in contains"
    );
    assert_eq!(
        names(t, User::NAME.contains("%")).await,
        ["Dan%"],
        "% is literal in contains"
    );
    assert_eq!(names(t, User::NAME.contains("l_1")).await, ["Carol_1"]);
    assert_eq!(names(t, User::NAME.starts_with("C_")).await, Vec::<String>::new());
}

async fn boolean_combinators(t: &TestDb) {
    seed(t).await;
    let admins_or_young = User::ROLE.eq(Role::Admin).or(User::AGE.lt(30));
    assert_eq!(names(t, admins_or_young.clone()).await, ["Alice", "Carol_1", "Dan%"]);
    assert_eq!(
        names(t, !admins_or_young.clone()).await,
        ["alfred"],
        "NOT (NULL age is unknown, so Bob is out)"
    );
    let both = User::ROLE.eq(Role::Member).and(User::NAME.like("%o%"));
    assert_eq!(names(t, both).await, ["Bob", "Carol_1"]);
    let nested = User::ROLE
        .eq(Role::Admin)
        .and(User::AGE.gt(40).or(User::NAME.eq("Alice")));
    assert_eq!(names(t, nested).await, ["Alice", "Dan%"]);
    let users = User::find()
        .filter(User::ROLE.eq(Role::Member))
        .filter(User::AGE.is_not_null())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(users.len(), 2, "two filter calls are ANDed");
    assert_eq!(names(t, Condition::all()).await.len(), 5);
}

async fn order_limit_offset(t: &TestDb) {
    seed(t).await;
    let by_age: Vec<String> = User::find()
        .filter(User::AGE.is_not_null())
        .order_by(User::AGE.desc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(by_age, ["Dan%", "alfred", "Alice", "Carol_1"]);
    let page: Vec<String> = User::find()
        .order_by(User::ID.asc())
        .limit(2)
        .offset(1)
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(page, ["alfred", "Bob"]);
    let tail: Vec<String> = User::find()
        .order_by(User::ID)
        .offset(3)
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(tail, ["Carol_1", "Dan%"], "offset without limit");
    let first = User::find()
        .order_by(User::NAME.desc())
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.name, "alfred");
    let multi = User::find()
        .order_by(User::ROLE.asc())
        .order_by(User::ID.desc())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(multi.first().unwrap().name, "Dan%");
}

async fn count(t: &TestDb) {
    seed(t).await;
    assert_eq!(User::find().count(&t.db).await.unwrap(), 5);
    assert_eq!(
        User::find()
            .filter(User::EMAIL.ends_with("@example.com"))
            .count(&t.db)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        User::find().filter(User::NAME.eq("nobody")).count(&t.db).await.unwrap(),
        0
    );
    assert_eq!(
        User::find().limit(1).count(&t.db).await.unwrap(),
        5,
        "count ignores paging"
    );
}

async fn bulk_update_and_delete(t: &TestDb) {
    let users = seed(t).await;
    let n = User::find()
        .filter(User::ROLE.eq(Role::Member))
        .update(
            &t.db,
            UserPatch {
                visits: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    let sevens = User::find().filter(User::VISITS.eq(7)).count(&t.db).await.unwrap();
    assert_eq!(sevens, 3);
    let bob = User::find_by_pk(users[2].id).one(&t.db).await.unwrap().unwrap();
    assert!(bob.updated_at >= users[2].updated_at);
    let deleted = User::find().filter(User::AGE.gte(40)).delete(&t.db).await.unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(User::find().count(&t.db).await.unwrap(), 3);
}

async fn unfiltered_bulk_writes_are_refused(t: &TestDb) {
    seed(t).await;
    let err = User::find().delete(&t.db).await.expect_err("no filter");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    let err = User::find()
        .update(
            &t.db,
            UserPatch {
                visits: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect_err("no filter");
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    assert_eq!(User::find().filter(User::VISITS.eq(1)).count(&t.db).await.unwrap(), 0);
    assert_eq!(User::find().count(&t.db).await.unwrap(), 5, "nothing was deleted");
    let all = User::find().filter(Condition::all()).delete(&t.db).await.unwrap();
    assert_eq!(all, 5, "an explicit all-rows filter is allowed");
}

/// `distinct()` on an attribute selection: each combination once, compared
/// with Rust's own dedup of the same rows; NULL counts as one value.
async fn distinct_attribute_selections(t: &TestDb) {
    let users = seed(t).await;
    let roles: Vec<(Role,)> = User::find()
        .distinct()
        .order_by(User::ROLE.asc())
        .attributes((User::ROLE,))
        .all(&t.db)
        .await
        .unwrap();
    let mut rust: Vec<Role> = users.iter().map(|u| u.role).collect();
    rust.sort_by_key(|r| format!("{r:?}").to_lowercase());
    rust.dedup();
    assert_eq!(roles.into_iter().map(|(r,)| r).collect::<Vec<_>>(), rust);
    let pairs: Vec<(Role, Option<i32>)> = User::find()
        .distinct()
        .filter(User::AGE.is_null().or(User::AGE.lt(45)))
        .attributes((User::ROLE, User::AGE))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 4, "{pairs:?}");
    // Without distinct() every row comes back.
    let all: Vec<(Role,)> = User::find().attributes((User::ROLE,)).all(&t.db).await.unwrap();
    assert_eq!(all.len(), 5);
    // Ordering by a column that is not selected has no meaning here.
    let r = User::find()
        .distinct()
        .order_by(User::NAME.asc())
        .attributes((User::ROLE,))
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
}

dialect_tests!(
    distinct_attribute_selections,
    comparison_operators,
    set_and_null_operators,
    pattern_operators,
    boolean_combinators,
    order_limit_offset,
    count,
    bulk_update_and_delete,
    unfiltered_bulk_writes_are_refused,
);
