//! `insert_many(rows).on_conflict(target).do_update(..)/do_nothing()` (issue
//! 28 §3): the same stored rows, in input order, on every database; a row
//! colliding on another unique key than the target is refused everywhere
//! (MariaDB's ON DUPLICATE KEY UPDATE would update that other row).

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "im_accounts")]
struct Account {
    id: i64,
    #[orm(unique, length = 60)]
    email: String,
    credit: i64,
    #[orm(unique, length = 30)]
    handle: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn new(email: &str, credit: i64, handle: Option<&str>) -> NewAccount {
    NewAccount {
        email: email.into(),
        credit,
        handle: handle.map(Into::into),
    }
}

async fn setup(t: &TestDb) -> (Account, Account) {
    Schema::new().model::<Account>().sync(&t.db).await.unwrap();
    let a = Account::create(&t.db, new("a@x", 1, Some("ann"))).await.unwrap();
    let b = Account::create(&t.db, new("b@x", 2, None)).await.unwrap();
    (a, b)
}

async fn do_update_returns_stored_rows_in_input_order(t: &TestDb) {
    let (a, b) = setup(t).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let stored = Account::insert_many(vec![
        new("c@x", 30, None),
        new("a@x", 10, Some("ann")),
        new("d@x", 40, Some("dee")),
        new("b@x", 20, None),
    ])
    .on_conflict(Account::EMAIL)
    .do_update([Account::CREDIT])
    .all(&t.db)
    .await
    .unwrap();
    let got: Vec<(&str, i64)> = stored.iter().map(|r| (r.email.as_str(), r.credit)).collect();
    assert_eq!(got, [("c@x", 30), ("a@x", 10), ("d@x", 40), ("b@x", 20)]);
    // Existing rows keep their key and created_at; updated_at moves.
    assert_eq!((stored[1].id, stored[3].id), (a.id, b.id));
    assert_eq!(stored[1].created_at, a.created_at);
    assert!(stored[1].updated_at > a.updated_at);
    // What was returned is what is stored.
    let again = Account::find()
        .filter(Account::EMAIL.eq("a@x"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.id, again.credit, again.updated_at),
        (stored[1].id, 10, stored[1].updated_at)
    );
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 4);
    // exec counts inserted and updated rows.
    let n = Account::insert_many(vec![new("a@x", 11, Some("ann")), new("e@x", 50, None)])
        .on_conflict(Account::EMAIL)
        .do_update([Account::CREDIT])
        .exec(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // A tuple as the target, columns of two types to update.
    let by_key = Account::insert_many(vec![new("a@x", 12, Some("ann"))])
        .on_conflict((Account::EMAIL,))
        .do_update((Account::CREDIT, Account::HANDLE))
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!((by_key[0].id, by_key[0].credit), (a.id, 12));
}

async fn do_nothing_leaves_stored_rows_and_omits_them(t: &TestDb) {
    let (a, _) = setup(t).await;
    let stored = Account::insert_many(vec![new("a@x", 99, Some("ann")), new("z@x", 5, None)])
        .on_conflict(Account::EMAIL)
        .do_nothing()
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "the skipped row is absent");
    assert_eq!(stored[0].email, "z@x");
    let kept = Account::find_by_pk(a.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!((kept.credit, kept.updated_at), (1, a.updated_at), "untouched");
    let n = Account::insert_many(vec![new("a@x", 99, Some("ann")), new("z@x", 5, None)])
        .on_conflict(Account::EMAIL)
        .do_nothing()
        .exec(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 3);
}

/// `b@x` is new by email but takes `ann`, a's handle: every database
/// refuses it, and nothing of the batch is written.
async fn another_unique_key_is_refused_everywhere(t: &TestDb) {
    let (a, _) = setup(t).await;
    let before = Account::find().order_by(Account::ID.asc()).all(&t.db).await.unwrap();
    for action in ["update", "nothing"] {
        let q = Account::insert_many(vec![new("q@x", 7, None), new("n@x", 8, Some("ann"))]).on_conflict(Account::EMAIL);
        let q = if action == "update" {
            q.do_update([Account::CREDIT])
        } else {
            q.do_nothing()
        };
        let err = q.all(&t.db).await.unwrap_err();
        match &err {
            Error::UniqueViolation { columns, .. } => assert_eq!(columns, &["handle"], "{err:?}"),
            other => panic!("{action}: {other:?}"),
        }
    }
    // Two new rows sharing a handle between them: refused too.
    let err = Account::insert_many(vec![new("p@x", 1, Some("pat")), new("r@x", 1, Some("pat"))])
        .on_conflict(Account::EMAIL)
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
    let after = Account::find().order_by(Account::ID.asc()).all(&t.db).await.unwrap();
    assert_eq!(after.len(), before.len(), "nothing written");
    assert_eq!(after[0].credit, a.credit);
}

async fn bad_targets_and_rows_are_refused(t: &TestDb) {
    setup(t).await;
    let r = Account::insert_many(vec![new("a@x", 1, None)])
        .on_conflict(Account::CREDIT)
        .do_nothing()
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "not unique: {r:?}");
    let r = Account::insert_many(vec![new("a@x", 1, None)])
        .on_conflict((Account::EMAIL, Account::CREDIT))
        .do_nothing()
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "undeclared set: {r:?}");
    let r = Account::insert_many(vec![new("a@x", 1, None)])
        .on_conflict(Account::EMAIL)
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "no action: {r:?}");
    let r = Account::insert_many(vec![new("m@x", 1, None), new("m@x", 2, None)])
        .on_conflict(Account::EMAIL)
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "repeated target: {r:?}");
    let r = Account::insert_many(vec![new("m@x", 1, None), new(&"x".repeat(61), 2, None)])
        .on_conflict(Account::EMAIL)
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await;
    match r {
        Err(Error::Validation { row, fields, .. }) => {
            assert_eq!(row, Some(1));
            assert!(fields.contains_key("email"), "{fields:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 2, "nothing written");
}

/// Thousands of rows, half of them conflicting: several statements on
/// SQLite (its parameter limit), one transaction, input order kept.
async fn many_rows_half_conflicting(t: &TestDb) {
    Schema::new().model::<Account>().sync(&t.db).await.unwrap();
    let first: Vec<NewAccount> = (0..3500).map(|i| new(&format!("u{i}@x"), i, None)).collect();
    Account::insert_many(first).exec(&t.db).await.unwrap();
    let second: Vec<NewAccount> = (1750..8750).map(|i| new(&format!("u{i}@x"), -i, None)).collect();
    let stored = Account::insert_many(second)
        .on_conflict(Account::EMAIL)
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 7000);
    assert!(
        stored.iter().enumerate().all(|(i, r)| r.credit == -(1750 + i as i64)),
        "input order"
    );
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 8750);
    assert_eq!(
        Account::find()
            .filter(Account::CREDIT.lt(0))
            .count(&t.db)
            .await
            .unwrap(),
        7000,
        "u0..u1749 kept their credit, every row of the second batch has its own"
    );
}

dialect_tests!(
    do_update_returns_stored_rows_in_input_order,
    do_nothing_leaves_stored_rows_and_omits_them,
    another_unique_key_is_refused_everywhere,
    bad_targets_and_rows_are_refused,
    many_rows_half_conflicting
);
