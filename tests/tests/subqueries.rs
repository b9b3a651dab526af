//! Subqueries: `in_query` / `not_in_query` over `Find::select(column)`, and
//! correlated `exists()` / `!exists()` through association handles, with
//! their own filters, checked against hand-computed answers.

use orm_core::prelude::*;
use orm_tests::models::{NewPost, NewTag, Post, Tag, User, new_user};
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Customer {
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Invoice {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub total: f64,
}

fn names(users: &[User]) -> Vec<String> {
    let mut n: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
    n.sort();
    n
}

async fn in_query_and_not_in_query(t: &TestDb) {
    Schema::new()
        .model::<Customer>()
        .model::<Invoice>()
        .sync(&t.db)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["ann", "bob", "cid", "dee"] {
        ids.push(
            Customer::create(&t.db, NewCustomer { name: name.into() })
                .await
                .unwrap()
                .id,
        );
    }
    // ann: 5 + 20, bob: 8, cid: 30, dee: none; one invoice without a customer.
    for (c, total) in [
        (Some(ids[0]), 5.0),
        (Some(ids[0]), 20.0),
        (Some(ids[1]), 8.0),
        (Some(ids[2]), 30.0),
        (None, 99.0),
    ] {
        Invoice::create(&t.db, NewInvoice { customer_id: c, total })
            .await
            .unwrap();
    }
    let buyers = |min: f64| {
        Invoice::find()
            .filter(Invoice::TOTAL.gt(min))
            .select(Invoice::CUSTOMER_ID)
    };
    let mut got: Vec<String> = Customer::find()
        .filter(Customer::ID.in_query(buyers(10.0)))
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    got.sort();
    assert_eq!(got, ["ann", "cid"]);
    // NOT IN over a subquery that may hold NULL: filter them out there.
    let with_customer = Invoice::find()
        .filter(Invoice::CUSTOMER_ID.is_not_null())
        .select(Invoice::CUSTOMER_ID);
    let idle: Vec<String> = Customer::find()
        .filter(Customer::ID.not_in_query(with_customer))
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(idle, ["dee"]);
    // Combined with other conditions and values on both sides.
    let n = Customer::find()
        .filter(Customer::ID.in_query(buyers(6.0)).and(Customer::NAME.ne("ann")))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 2, "bob and cid");
}

async fn exists_through_associations(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Post>()
        .model::<Tag>()
        .sync(&t.db)
        .await
        .unwrap();
    let ada = User::create(&t.db, new_user("Ada")).await.unwrap();
    let bob = User::create(&t.db, new_user("Bob")).await.unwrap();
    let _cy = User::create(&t.db, new_user("Cy")).await.unwrap();
    let post = |author: i64, title: &str| NewPost {
        title: title.into(),
        body: None,
        author_id: author,
        editor_id: None,
    };
    let p1 = Post::create(&t.db, post(ada.id, "rust")).await.unwrap();
    Post::create(&t.db, post(bob.id, "draft")).await.unwrap();
    let rust = Tag::create(&t.db, NewTag { name: "rust".into() }).await.unwrap();
    p1.add_tag(&t.db, &rust).await.unwrap();

    let authors = User::find().filter(User::posts().exists()).all(&t.db).await.unwrap();
    assert_eq!(names(&authors), ["Ada", "Bob"]);
    let idle = User::find().filter(!User::posts().exists()).all(&t.db).await.unwrap();
    assert_eq!(names(&idle), ["Cy"]);
    let no_rust = User::find()
        .filter(!User::posts().filter(Post::TITLE.eq("rust")).exists())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(names(&no_rust), ["Bob", "Cy"]);
    // belongs-to-many and belongs-to directions, nested through a filter.
    let tagged = Post::find().filter(Post::tags().exists()).all(&t.db).await.unwrap();
    assert_eq!(tagged.iter().map(|p| p.id).collect::<Vec<_>>(), [p1.id]);
    let by_ada = Post::find()
        .filter(Post::author().filter(User::NAME.eq("Ada")).exists())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(by_ada, 1);
    // EXISTS inside OR, and in a bulk update's filter.
    let either = User::find()
        .filter(User::posts().exists().or(User::NAME.eq("Cy")))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(either, 3);
    let touched = User::find()
        .filter(!User::posts().exists())
        .update(
            &t.db,
            orm_tests::models::UserPatch {
                bio: Some(Some("no posts".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(touched, 1);
}

dialect_tests!(in_query_and_not_in_query, exists_through_associations);
