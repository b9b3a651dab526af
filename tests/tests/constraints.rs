//! Model-level constraints (issue 28 §1): `unique(a, b)`, `index(a, b)` and
//! `check = ".."` on the struct, on every database — made by `sync`, added
//! by `sync_alter`, enforced with errors that name them, read back by
//! `check` and `introspect`, and a declared pair as an upsert target.

use chrono::{DateTime, Utc};
use orm_core::Snapshot;
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "cn_accounts")]
#[orm(unique(tenant_id, email), index(tenant_id, created_at), check = "credit >= 0")]
struct Account {
    id: i64,
    tenant_id: i64,
    #[orm(length = 60)]
    email: String,
    credit: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The same table before the pair and the index were declared.
mod before {
    use chrono::{DateTime, Utc};
    use orm_core::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[orm(table = "cn_accounts", check = "credit >= 0")]
    pub struct Account {
        pub id: i64,
        pub tenant_id: i64,
        #[orm(length = 60)]
        pub email: String,
        pub credit: i64,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

fn new(tenant_id: i64, email: &str, credit: i64) -> NewAccount {
    NewAccount {
        tenant_id,
        email: email.into(),
        credit,
    }
}

async fn violations_name_the_constraint(t: &TestDb) {
    Schema::new().model::<Account>().sync(&t.db).await.unwrap();
    Account::create(&t.db, new(1, "a@x", 5)).await.unwrap();
    // The same email in another tenant is another account.
    Account::create(&t.db, new(2, "a@x", 5)).await.unwrap();
    match Account::create(&t.db, new(1, "a@x", 7)).await {
        Err(Error::UniqueViolation { table, columns, .. }) => {
            assert_eq!(table.as_deref(), Some("cn_accounts"));
            let mut columns = columns;
            columns.sort();
            assert_eq!(columns, ["email", "tenant_id"]);
        }
        other => panic!("expected the pair to refuse: {other:?}"),
    }
    match Account::create(&t.db, new(3, "b@x", -1)).await {
        Err(Error::CheckViolation { table, constraint, .. }) => {
            assert_eq!(constraint.as_deref(), Some("cn_accounts_check"));
            assert_eq!(table.as_deref(), Some("cn_accounts"));
        }
        other => panic!("expected the CHECK to refuse: {other:?}"),
    }
    // An update that breaks the CHECK loses nothing.
    let mut a = Account::find().one(&t.db).await.unwrap().unwrap();
    a.credit = -5;
    assert!(matches!(a.save(&t.db).await, Err(Error::CheckViolation { .. })));
    let stored = Account::find_by_pk(a.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.credit, 5);
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 2);
}

async fn check_and_introspect_read_them_back(t: &TestDb) {
    let schema = Schema::new().model::<Account>();
    schema.sync(&t.db).await.unwrap();
    schema.check(&t.db).await.unwrap();
    let found = Snapshot::introspect(&t.db, &["cn_accounts".to_string()]).await.unwrap();
    let rust = found.snapshot.to_rust();
    assert!(rust.contains("unique(tenant_id, email)"), "{rust}");
    assert!(rust.contains("index(tenant_id, created_at)"), "{rust}");
    // Each database writes the condition its own way (`credit >= 0`, `(credit >= 0)`, `` `credit` >= 0 ``).
    let check = rust
        .lines()
        .find(|l| l.contains("check = "))
        .unwrap_or_else(|| panic!("{rust}"));
    let plain: String = check.chars().filter(|c| !"`\\\"() ".contains(*c)).collect();
    assert!(plain.contains("check=credit>=0"), "{check}");
    // The catalog read back is the models' snapshot (the CHECK by name).
    let live = &found.snapshot;
    assert_eq!(live.table_names(), ["cn_accounts"]);
    // A table with the pair and index dropped is told apart by `check`.
    raw(format!("DROP TABLE {}", t.q("cn_accounts")))
        .execute(&t.db)
        .await
        .unwrap();
    Schema::new().model::<before::Account>().sync(&t.db).await.unwrap();
    let report = schema.check(&t.db).await.unwrap_err().to_string();
    assert!(
        report.contains("(tenant_id, email) have no UNIQUE constraint"),
        "{report}"
    );
    assert!(report.contains("(tenant_id, created_at) have no index"), "{report}");
    // `sync_alter` adds them; then the catalog matches the model.
    schema.sync_alter(&t.db).await.unwrap();
    schema.check(&t.db).await.unwrap();
    Account::create(&t.db, new(1, "a@x", 1)).await.unwrap();
    assert!(matches!(
        Account::create(&t.db, new(1, "a@x", 2)).await,
        Err(Error::UniqueViolation { .. })
    ));
}

async fn a_declared_pair_is_an_upsert_target(t: &TestDb) {
    Schema::new().model::<Account>().sync(&t.db).await.unwrap();
    Account::create(&t.db, new(1, "a@x", 5)).await.unwrap();
    let stored = Account::insert_many(vec![new(1, "a@x", 9), new(2, "a@x", 3)])
        .on_conflict((Account::TENANT_ID, Account::EMAIL))
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await
        .unwrap();
    let got: Vec<(i64, i64)> = stored.iter().map(|a| (a.tenant_id, a.credit)).collect();
    assert_eq!(got, [(1, 9), (2, 3)]);
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 2);
    // The pair in the other order is the same key.
    let n = Account::insert_many(vec![new(1, "a@x", 0)])
        .on_conflict((Account::EMAIL, Account::TENANT_ID))
        .do_nothing()
        .exec(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // A set the model does not declare is refused before any statement.
    let r = Account::insert_many(vec![new(1, "a@x", 0)])
        .on_conflict((Account::EMAIL, Account::CREDIT))
        .do_nothing()
        .exec(&t.db)
        .await;
    match r {
        Err(Error::InvalidQuery { message }) => assert!(message.contains("not a key"), "{message}"),
        other => panic!("expected InvalidQuery: {other:?}"),
    }
    // A row breaking the CHECK in a batch: nothing of the batch is written.
    let r = Account::insert_many(vec![new(3, "c@x", 1), new(4, "d@x", -1)])
        .on_conflict((Account::TENANT_ID, Account::EMAIL))
        .do_update([Account::CREDIT])
        .all(&t.db)
        .await;
    assert!(matches!(r, Err(Error::CheckViolation { .. })), "{r:?}");
    assert_eq!(Account::find().count(&t.db).await.unwrap(), 2);
}

dialect_tests!(
    violations_name_the_constraint,
    check_and_introspect_read_them_back,
    a_declared_pair_is_an_upsert_target
);
