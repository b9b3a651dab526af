//! Constraint violations map to the same variants on every dialect, and the
//! database itself refuses NULLs and out-of-set enum values.

use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};

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

dialect_tests!(
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
