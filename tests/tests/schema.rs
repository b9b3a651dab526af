//! Schema sync: create, alter (add missing columns and indexes), force.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};

/// The first version of a table.
#[derive(Model, Debug, Clone)]
#[orm(table = "items", timestamps = false)]
struct ItemV1 {
    id: i64,
    name: String,
}

/// The same table, grown.
#[derive(Model, Debug, Clone)]
#[orm(table = "items", timestamps = false)]
struct Item {
    id: i64,
    name: String,
    #[orm(index)]
    price: Option<i64>,
    #[orm(default = 1)]
    qty: i32,
    #[orm(unique)]
    sku: Option<String>,
}

async fn sync_is_idempotent(t: &TestDb) {
    let schema = Schema::new().model::<User>().model::<Sample>().model::<Country>();
    schema.sync(&t.db).await.expect("first sync");
    User::create(
        &t.db,
        NewUser {
            name: "A".into(),
            email: "a@example.com".into(),
            role: None,
            age: None,
            bio: None,
            visits: None,
        },
    )
    .await
    .unwrap();
    schema.sync(&t.db).await.expect("second sync changes nothing");
    assert_eq!(User::find().count(&t.db).await.unwrap(), 1, "sync never drops data");
}

async fn sync_alter_adds_columns_and_indexes(t: &TestDb) {
    Schema::new().model::<ItemV1>().sync(&t.db).await.unwrap();
    ItemV1::create(&t.db, NewItemV1 { name: "old".into() }).await.unwrap();
    Schema::new().model::<Item>().sync_alter(&t.db).await.expect("alter");
    let items = Item::find().all(&t.db).await.expect("the new columns exist");
    assert_eq!(items.len(), 1, "existing rows are kept");
    assert_eq!(
        (items[0].qty, items[0].price, items[0].sku.clone()),
        (1, None, None),
        "defaults fill old rows"
    );
    Item::create(
        &t.db,
        NewItem {
            name: "new".into(),
            price: Some(5),
            qty: None,
            sku: Some("S1".into()),
        },
    )
    .await
    .unwrap();
    let dup = Item::create(
        &t.db,
        NewItem {
            name: "dup".into(),
            price: None,
            qty: None,
            sku: Some("S1".into()),
        },
    )
    .await;
    assert!(
        matches!(dup, Err(Error::UniqueViolation { .. })),
        "the unique index was added: {dup:?}"
    );
    let idx = match t.backend {
        orm_tests::Backend::Postgres => {
            raw("SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'items'")
        }
        orm_tests::Backend::MySql => raw(
            "SELECT DISTINCT CAST(INDEX_NAME AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items'",
        ),
        orm_tests::Backend::Sqlite => raw("SELECT name FROM pragma_index_list('items')"),
    };
    let names = idx.fetch_scalars::<String, _>(&t.db).await.unwrap();
    assert!(names.contains(&"items_price_idx".to_string()), "{names:?}");
    assert!(names.contains(&"items_sku_key".to_string()), "{names:?}");
    Schema::new()
        .model::<Item>()
        .sync_alter(&t.db)
        .await
        .expect("a second alter is a no-op");
}

async fn sync_force_recreates(t: &TestDb) {
    let schema = Schema::new().model::<Country>();
    schema.sync(&t.db).await.unwrap();
    Country::create(
        &t.db,
        NewCountry {
            code: "DE".into(),
            name: "Germany".into(),
            population: None,
        },
    )
    .await
    .unwrap();
    schema.sync_force(&t.db).await.unwrap();
    assert_eq!(Country::find().count(&t.db).await.unwrap(), 0);
}

dialect_tests!(
    sync_is_idempotent,
    sync_alter_adds_columns_and_indexes,
    sync_force_recreates
);
