//! Create, find, save, update, reload, destroy; defaults and timestamps.

use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};

async fn schema(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Country>()
        .sync(&t.db)
        .await
        .expect("sync");
}

fn ada() -> NewUser {
    NewUser {
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        role: None,
        age: Some(36),
        bio: None,
        visits: None,
    }
}

async fn create_applies_defaults_and_timestamps(t: &TestDb) {
    schema(t).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let user = User::create(&t.db, ada()).await.expect("create");
    assert!(user.id > 0, "the key is filled in");
    assert_eq!(user.role, Role::Member, "the Rust default applies");
    assert_eq!(user.visits, 0);
    assert!(user.created_at >= before && user.created_at == user.updated_at);
    let stored = User::find_by_pk(user.id)
        .one(&t.db)
        .await
        .expect("find")
        .expect("row exists");
    assert_eq!(stored, user, "what create returns is what was stored");
    let second = User::create(
        &t.db,
        NewUser {
            email: "b@example.com".into(),
            ..ada()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.id, user.id + 1);
}

async fn sql_default_applies_to_raw_inserts(t: &TestDb) {
    schema(t).await;
    let sql = t.insert_sql("users", &["name", "email", "created_at", "updated_at"]);
    let now = chrono::Utc::now();
    orm_core::raw(sql)
        .bind("Raw")
        .bind("raw@example.com")
        .bind(now)
        .bind(now)
        .execute(&t.db)
        .await
        .expect("raw insert");
    let u = User::find()
        .filter(User::EMAIL.eq("raw@example.com"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.role, Role::Member, "the column's SQL DEFAULT is the Rust default");
    assert_eq!(u.visits, 0);
}

async fn save_bumps_updated_at_and_writes(t: &TestDb) {
    schema(t).await;
    let mut user = User::create(&t.db, ada()).await.unwrap();
    let created = user.created_at;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    user.name = "Countess".into();
    user.role = Role::Admin;
    user.save(&t.db).await.expect("save");
    assert!(user.updated_at > created);
    let stored = User::find_by_pk(user.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.name, "Countess");
    assert_eq!(stored.role, Role::Admin);
    assert_eq!(stored.created_at, created, "created_at never moves");
    assert_eq!(stored.updated_at, user.updated_at);
}

async fn save_of_a_deleted_row_is_not_found(t: &TestDb) {
    schema(t).await;
    let mut user = User::create(&t.db, ada()).await.unwrap();
    user.destroy(&t.db).await.unwrap();
    let err = user.save(&t.db).await.expect_err("row is gone");
    assert!(matches!(err, Error::NotFound { model: "User" }), "{err:?}");
    assert_eq!(err.status_code(), 404);
}

async fn update_with_patch_sets_only_given_columns(t: &TestDb) {
    schema(t).await;
    let mut user = User::create(
        &t.db,
        NewUser {
            bio: Some("mathematician".into()),
            ..ada()
        },
    )
    .await
    .unwrap();
    // Someone else changes the name meanwhile.
    let mut other = User::find_by_pk(user.id).one(&t.db).await.unwrap().unwrap();
    other.name = "Changed Elsewhere".into();
    other.save(&t.db).await.unwrap();

    let patch = UserPatch {
        age: Some(Some(37)),
        bio: Some(None),
        ..Default::default()
    };
    user.update(&t.db, patch).await.expect("update");
    assert_eq!(user.age, Some(37));
    assert_eq!(user.bio, None, "Some(None) sets NULL");
    let stored = User::find_by_pk(user.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.age, Some(37));
    assert_eq!(stored.bio, None);
    assert_eq!(stored.name, "Changed Elsewhere", "a patch leaves other columns alone");
}

async fn patch_from_json_tells_null_from_absent(t: &TestDb) {
    schema(t).await;
    let mut user = User::create(
        &t.db,
        NewUser {
            bio: Some("x".into()),
            ..ada()
        },
    )
    .await
    .unwrap();
    let patch: UserPatch = serde_json::from_str(r#"{"bio": null, "name": "Ada King"}"#).unwrap();
    assert_eq!(patch.bio, Some(None));
    assert_eq!(patch.age, None);
    user.update(&t.db, patch).await.unwrap();
    let stored = User::find_by_pk(user.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.bio, stored.age),
        ("Ada King", None, Some(36))
    );
    let unknown = serde_json::from_str::<UserPatch>(r#"{"nmae": "typo"}"#);
    assert!(unknown.is_err(), "unknown fields are refused");
    let new: NewUser = serde_json::from_str(r#"{"name":"J","email":"j@example.com"}"#).unwrap();
    assert_eq!(new.role, None);
}

async fn reload_and_destroy(t: &TestDb) {
    schema(t).await;
    let mut user = User::create(&t.db, ada()).await.unwrap();
    user.scratch = Some("kept in memory".into());
    orm_core::raw(format!("UPDATE {} SET {} = {}", t.q("users"), t.q("visits"), t.ph(1)))
        .bind(9_i64)
        .execute(&t.db)
        .await
        .unwrap();
    user.reload(&t.db).await.expect("reload");
    assert_eq!(user.visits, 9);
    assert_eq!(user.scratch, None, "skip fields are not columns: reload resets them");
    user.destroy(&t.db).await.unwrap();
    assert!(User::find_by_pk(user.id).one(&t.db).await.unwrap().is_none());
    assert!(matches!(user.reload(&t.db).await, Err(Error::NotFound { .. })));
}

async fn natural_key_and_renamed_column(t: &TestDb) {
    schema(t).await;
    let fr = Country::create(
        &t.db,
        NewCountry {
            code: "FR".into(),
            name: "France".into(),
            population: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(fr.population, 0);
    let found = Country::find_by_pk("FR").one(&t.db).await.unwrap().unwrap();
    assert_eq!(found, fr);
    let names = orm_core::raw(format!("SELECT {} FROM {}", t.q("country_name"), t.q("countries")))
        .fetch_scalars::<String, _>(&t.db)
        .await
        .unwrap();
    assert_eq!(names, vec!["France".to_string()]);
    let dup = Country::create(
        &t.db,
        NewCountry {
            code: "FR".into(),
            name: "Again".into(),
            population: None,
        },
    )
    .await
    .expect_err("duplicate key");
    assert!(matches!(dup, Error::UniqueViolation { .. }), "{dup:?}");
}

async fn works_inside_a_transaction(t: &TestDb) {
    schema(t).await;
    let id =
        t.db.transaction(async |tx| -> orm_core::Result<_> {
            let u = User::create(tx, ada()).await?;
            assert_eq!(User::find().count(tx).await?, 1);
            Ok(u.id)
        })
        .await
        .unwrap();
    assert!(User::find_by_pk(id).one(&t.db).await.unwrap().is_some());
    let res: Result<()> =
        t.db.transaction(async |tx| {
            User::create(
                tx,
                NewUser {
                    email: "x@example.com".into(),
                    ..ada()
                },
            )
            .await?;
            Err(Error::NotFound { model: "anything" })
        })
        .await;
    assert!(res.is_err());
    assert_eq!(
        User::find().count(&t.db).await.unwrap(),
        1,
        "the failed transaction left nothing"
    );
}

dialect_tests!(
    create_applies_defaults_and_timestamps,
    sql_default_applies_to_raw_inserts,
    save_bumps_updated_at_and_writes,
    save_of_a_deleted_row_is_not_found,
    update_with_patch_sets_only_given_columns,
    patch_from_json_tells_null_from_absent,
    reload_and_destroy,
    natural_key_and_renamed_column,
    works_inside_a_transaction,
);
