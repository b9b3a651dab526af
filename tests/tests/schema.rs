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

/// A shelf, and a bin: two tables a book could point at.
#[derive(Model, Debug, Clone)]
#[orm(table = "shelves", timestamps = false)]
struct Shelf {
    id: i64,
    name: String,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Bin {
    id: i64,
    name: String,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Book {
    id: i64,
    #[orm(default = "draft")]
    status: String,
    shelf_id: i64,
    #[orm(on_delete = "cascade")]
    shelf: BelongsTo<Shelf>,
}

/// `check` compares foreign-key targets and actions, DEFAULTs, and the
/// columns the database has beyond the model (issue 25 §2): it used to
/// pass a table whose foreign key pointed elsewhere without ON DELETE
/// CASCADE, whose DEFAULT differed, and which had a NOT NULL column no
/// insert of the model fills.
async fn check_compares_foreign_keys_defaults_and_extra_columns(t: &TestDb) {
    let schema = || Schema::new().model::<Shelf>().model::<Bin>().model::<Book>();
    schema().sync(&t.db).await.unwrap();
    let report = schema().check_report(&t.db).await.unwrap();
    assert_eq!(report, Default::default(), "as synced: nothing to say");
    raw(format!("DROP TABLE {}", t.q("books")))
        .execute(&t.db)
        .await
        .unwrap();
    let q = |s: &str| t.q(s);
    raw(format!(
        "CREATE TABLE {books} ({id} BIGINT PRIMARY KEY, {status} VARCHAR(255) NOT NULL DEFAULT 'published', \
         {shelf_id} BIGINT NOT NULL, {isbn} VARCHAR(20) NOT NULL, {note} VARCHAR(50), \
         FOREIGN KEY ({shelf_id}) REFERENCES {bins} ({id}) ON UPDATE CASCADE)",
        books = q("books"),
        id = q("id"),
        status = q("status"),
        shelf_id = q("shelf_id"),
        isbn = q("isbn"),
        note = q("note"),
        bins = q("bins"),
    ))
    .execute(&t.db)
    .await
    .unwrap();
    raw(format!(
        "CREATE INDEX {} ON {} ({})",
        q("books_note_idx"),
        q("books"),
        q("note")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let report = schema().check_report(&t.db).await.unwrap();
    let problems = report.problems.join("\n");
    for want in [
        "`books`.`shelf_id` references `bins`.`id`; the model's references `shelves`.`id`",
        "has ON DELETE NO ACTION; the model's has ON DELETE CASCADE",
        "has ON UPDATE CASCADE; the model's has ON UPDATE NO ACTION",
        "`books`.`status` has DEFAULT 'published'; the model's has DEFAULT 'draft'",
        "`books`.`isbn` is NOT NULL without a default",
    ] {
        assert!(problems.contains(want), "{want} in:\n{problems}");
    }
    assert!(
        !problems.contains("`note`"),
        "a nullable extra is not a problem: {problems}"
    );
    let extras = report.extras.join("\n");
    assert!(extras.contains("`books`.`note` is not in the model"), "{extras}");
    assert!(extras.contains("`books`.`note` has an index"), "{extras}");
    let err = schema().check(&t.db).await.expect_err("problems fail check");
    assert!(matches!(err, Error::SchemaMismatch { problems } if problems == report.problems));
}

dialect_tests!(
    check_compares_foreign_keys_defaults_and_extra_columns,
    sync_is_idempotent,
    sync_alter_adds_columns_and_indexes,
    sync_force_recreates
);
