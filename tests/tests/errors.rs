//! Constraint violations map to the same variants on every dialect, and the
//! database itself refuses NULLs and out-of-set enum values.

use orm_core::Json;
use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb, dialect_tests};

fn new(email: &str) -> NewUser {
    NewUser {
        name: "N".into(),
        email: email.into(),
        role: None,
        age: None,
        bio: None,
        visits: None,
    }
}

async fn unique_violation_names_table_and_column(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    User::create(&t.db, new("a@example.com")).await.unwrap();
    let err = User::create(&t.db, new("a@example.com"))
        .await
        .expect_err("duplicate email");
    match &err {
        Error::UniqueViolation { table, columns, .. } => {
            assert_eq!(table.as_deref(), Some("users"));
            assert_eq!(columns, &["email"]);
        }
        other => panic!("expected UniqueViolation, got {other:?}"),
    }
    assert_eq!(err.status_code(), 409);
    let mut second = User::create(&t.db, new("b@example.com")).await.unwrap();
    second.email = "a@example.com".into();
    assert!(matches!(second.save(&t.db).await, Err(Error::UniqueViolation { .. })));
    assert_eq!(User::find().count(&t.db).await.unwrap(), 2);
}

async fn not_null_is_enforced_by_the_database(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let sql = t.insert_sql("users", &["name", "email", "created_at", "updated_at"]);
    let now = chrono::Utc::now();
    let err = raw(sql)
        .bind(None::<String>)
        .bind("n@example.com")
        .bind(now)
        .bind(now)
        .execute(&t.db)
        .await
        .expect_err("NULL name");
    match &err {
        Error::NotNullViolation { columns, .. } => assert_eq!(columns, &["name"]),
        other => panic!("expected NotNullViolation, got {other:?}"),
    }
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
}

async fn enum_values_outside_the_set_are_refused(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let sql = t.insert_sql("users", &["name", "email", "role", "created_at", "updated_at"]);
    let now = chrono::Utc::now();
    let err = raw(sql)
        .bind("N")
        .bind("n@example.com")
        .bind("superuser")
        .bind(now)
        .bind(now)
        .execute(&t.db)
        .await
        .expect_err("bad enum");
    match &err {
        Error::CheckViolation { columns, .. } => assert_eq!(columns, &["role"], "{err:?}"),
        other => panic!("expected CheckViolation, got {other:?}"),
    }
    assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
}

async fn foreign_key_violation(t: &TestDb) {
    let (parent, child) = (t.q("fk_parent"), t.q("fk_child"));
    let int = "BIGINT";
    raw(format!("CREATE TABLE {parent} ({} {int} PRIMARY KEY)", t.q("id")))
        .execute(&t.db)
        .await
        .unwrap();
    raw(format!(
        "CREATE TABLE {child} ({} {int} PRIMARY KEY, {} {int} NOT NULL, CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {parent} ({}))",
        t.q("id"), t.q("parent_id"), t.q("fk_child_parent_id_fkey"), t.q("parent_id"), t.q("id")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let err = raw(format!("INSERT INTO {child} VALUES ({}, {})", t.ph(1), t.ph(2)))
        .bind(1_i64)
        .bind(99_i64)
        .execute(&t.db)
        .await
        .expect_err("no parent");
    assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
    if t.backend != orm_tests::Backend::Sqlite {
        // SQLite's message names nothing; the servers name the constraint.
        let Error::ForeignKeyViolation { constraint, .. } = &err else {
            unreachable!()
        };
        assert_eq!(constraint.as_deref(), Some("fk_child_parent_id_fkey"));
    }
    raw(format!("INSERT INTO {parent} VALUES ({})", t.ph(1)))
        .bind(1_i64)
        .execute(&t.db)
        .await
        .unwrap();
    raw(format!("INSERT INTO {child} VALUES ({}, {})", t.ph(1), t.ph(2)))
        .bind(1_i64)
        .bind(1_i64)
        .execute(&t.db)
        .await
        .unwrap();
    let err = raw(format!("DELETE FROM {parent}"))
        .execute(&t.db)
        .await
        .expect_err("still referenced");
    assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
}

async fn other_errors_are_database_errors(t: &TestDb) {
    let err = raw("SELECT * FROM no_such_table")
        .execute(&t.db)
        .await
        .expect_err("missing table");
    assert!(matches!(err, Error::Database { .. }), "{err:?}");
    assert_eq!(err.status_code(), 500);
}

/// A JSON column whose document has to fit a struct.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dims {
    pub w: i64,
    pub h: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Sheet {
    pub id: i64,
    pub dims: Json<Dims>,
}

/// A stored value that does not fit its field is `Error::Decode`, naming
/// the type, not a generic database error.
async fn values_that_do_not_decode_are_decode_errors(t: &TestDb) {
    Schema::new().model::<Sheet>().sync(&t.db).await.unwrap();
    raw(t.insert_sql("sheets", &["dims"]))
        .bind(serde_json::json!({"w": "wide", "h": 2}))
        .execute(&t.db)
        .await
        .unwrap();
    let err = Sheet::find().all(&t.db).await.expect_err("w is not a number");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("Dims"), "{err}");
    assert_eq!(err.status_code(), 500);
}

/// Two models over one table: the wide one writes what the narrow one's
/// fields cannot hold.
#[derive(Model, Debug, Clone)]
#[orm(table = "gauges", timestamps = false)]
pub struct WideGauge {
    pub id: i64,
    pub count: i64,
    pub level: f64,
    pub amount: String,
}

/// Each narrow model reads one column of `gauges` into a narrower type.
#[derive(Model, Debug, Clone)]
#[orm(table = "gauges", timestamps = false)]
pub struct NarrowCount {
    pub id: i64,
    pub count: i32,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "gauges", timestamps = false)]
pub struct NarrowLevel {
    pub id: i64,
    pub level: f32,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "gauges", timestamps = false)]
pub struct NarrowAmount {
    pub id: i64,
    #[orm(column = "amount")]
    pub exact: rust_decimal::Decimal,
}

async fn wide(t: &TestDb, count: i64, level: f64, amount: &str) {
    WideGauge::find()
        .filter(WideGauge::ID.gt(0))
        .delete(&t.db)
        .await
        .unwrap();
    WideGauge::create(
        &t.db,
        NewWideGauge {
            count,
            level,
            amount: amount.into(),
        },
    )
    .await
    .unwrap();
}

/// A decode error names the table, column, model and field (issue 25 §4),
/// not "column 1"; a value past an f32 is OutOfRange (SQLite used to read
/// REAL 1e300 as infinity); decimal text with more digits than a Decimal
/// holds is an error, not rounded (SQLite used to round 31 digits).
async fn decode_errors_name_the_column_and_model(t: &TestDb) {
    Schema::new().model::<WideGauge>().sync(&t.db).await.unwrap();
    wide(t, 5_000_000_000, 1.5, "1.5").await;
    let err = NarrowCount::find().all(&t.db).await.expect_err("count past i32");
    let text = err.to_string();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(
        text.contains("gauges.count") && text.contains("NarrowCount::count"),
        "{text}"
    );
    assert!(!text.contains("column 1"), "{text}");

    wide(t, 1, 1e300, "1.5").await;
    let err = NarrowLevel::find().all(&t.db).await.expect_err("level past f32");
    match &err {
        Error::OutOfRange { table, column } => assert_eq!((table.as_str(), column.as_str()), ("gauges", "level")),
        // Server columns are typed: a DOUBLE column is not an f32 at all.
        Error::Decode { message } if t.backend != Backend::Sqlite => {
            assert!(message.contains("gauges.level"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // A string column read as a Decimal: on SQLite exactly this is how a
    // decimal is stored; the servers' text columns are not decimals at all.
    let digits31 = "1.234567890123456789012345678901";
    wide(t, 1, 1.5, digits31).await;
    let err = NarrowAmount::find().all(&t.db).await.expect_err("31 digits");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("gauges.amount"), "{err}");
    if t.backend == Backend::Sqlite {
        wide(t, 1, 1.5, "1.50").await;
        let back = NarrowAmount::find().one(&t.db).await.unwrap().unwrap();
        assert_eq!(back.exact.to_string(), "1.50", "exact text keeps its scale");
    }
}

dialect_tests!(
    decode_errors_name_the_column_and_model,
    values_that_do_not_decode_are_decode_errors,
    unique_violation_names_table_and_column,
    not_null_is_enforced_by_the_database,
    enum_values_outside_the_set_are_refused,
    foreign_key_violation,
    other_errors_are_database_errors,
);

#[tokio::test]
async fn unreachable_database_is_a_clear_error_not_a_hang() {
    let started = std::time::Instant::now();
    let err = Db::builder("postgres://postgres@127.0.0.1:1/none")
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect()
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        matches!(err, Error::Connection { .. } | Error::PoolTimeout { .. }),
        "{err:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let err = Db::connect("oracle://x").await.expect_err("unknown scheme");
    assert!(err.to_string().contains("unsupported database URL scheme"), "{err}");
}
