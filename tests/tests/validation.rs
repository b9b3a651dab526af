//! Validation rules run before SQL: the failing fields are named, and
//! nothing is written.

use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};

fn valid() -> NewUser {
    NewUser {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        role: None,
        age: None,
        bio: None,
        visits: None,
    }
}

fn fields(err: &Error) -> Vec<String> {
    match err {
        Error::Validation { fields, .. } => fields.keys().cloned().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn create_rejects_invalid_values_and_writes_nothing(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let err = User::create(
        &t.db,
        NewUser {
            email: "not-an-email".into(),
            ..valid()
        },
    )
    .await
    .expect_err("bad email");
    assert_eq!(fields(&err), ["email"]);
    assert_eq!(err.status_code(), 400);
    assert!(err.to_string().contains("email"), "{err}");

    let long = "x".repeat(81);
    let err = User::create(&t.db, NewUser { name: long, ..valid() })
        .await
        .expect_err("too long");
    assert_eq!(fields(&err), ["name"]);
    if let Error::Validation { fields, model, .. } = &err {
        assert_eq!(*model, "User");
        assert_eq!(fields["name"], ["must be at most 80 characters"]);
    }
    // 80 multi-byte characters fit: the limit is in characters, as in VARCHAR(80).
    let ok = User::create(
        &t.db,
        NewUser {
            name: "é".repeat(80),
            ..valid()
        },
    )
    .await
    .expect("80 chars fit");
    assert_eq!(ok.name.chars().count(), 80);

    let err = User::create(
        &t.db,
        NewUser {
            email: "bad".into(),
            age: Some(200),
            name: "forbidden".into(),
            ..valid()
        },
    )
    .await
    .expect_err("three bad fields");
    assert_eq!(
        fields(&err),
        ["age", "email", "name"],
        "all failing fields come back together"
    );
    assert_eq!(
        User::find().count(&t.db).await.unwrap(),
        1,
        "only the valid row was written"
    );
}

async fn save_and_update_validate(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let mut user = User::create(&t.db, valid()).await.unwrap();
    user.email = "broken".into();
    let err = user.save(&t.db).await.expect_err("invalid save");
    assert_eq!(fields(&err), ["email"]);
    user.email = "ada@example.com".into();

    let err = user
        .update(
            &t.db,
            UserPatch {
                age: Some(Some(-1)),
                ..Default::default()
            },
        )
        .await
        .expect_err("bad patch");
    assert_eq!(fields(&err), ["age"]);
    assert_eq!(user.age, None, "a refused patch leaves the instance as it was");
    let err = User::find()
        .filter(User::ID.eq(user.id))
        .update(
            &t.db,
            UserPatch {
                email: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("bulk patch validated");
    assert_eq!(fields(&err), ["email"]);
    let stored = User::find_by_pk(user.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.email, "ada@example.com");
    assert_eq!(stored.age, None);
}

async fn new_and_model_validate_without_a_database(t: &TestDb) {
    let _ = t;
    assert!(valid().validate().is_ok());
    let err = NewUser {
        email: "x".into(),
        ..valid()
    }
    .validate()
    .expect_err("bad");
    assert!(matches!(err, Error::Validation { model: "NewUser", .. }));
}

dialect_tests!(
    create_rejects_invalid_values_and_writes_nothing,
    save_and_update_validate,
    new_and_model_validate_without_a_database,
);
