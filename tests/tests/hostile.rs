//! Hostile values are bound, never spliced: they round-trip unchanged and
//! touch nothing else.

use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb, dialect_tests};

const HOSTILE: &[&str] = &[
    "Robert'); DROP TABLE users;--",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "`; DELETE FROM users; --",
    "back\\slash \\' \\\" \\\\",
    "/* comment */ -- trailing",
    "$1 ? :name ::text %s {0}",
    "unicode: Ωμέγα 漢字 🦀 \u{202e}rtl",
    "tab\tnew\nline\rcr",
    "%_%!",
];

fn user(name: &str, i: usize) -> NewUser {
    NewUser {
        name: name.into(),
        email: format!("u{i}@example.com"),
        role: None,
        age: None,
        bio: Some(name.into()),
        visits: None,
    }
}

async fn hostile_strings_round_trip(t: &TestDb) {
    Schema::new().model::<User>().sync(&t.db).await.unwrap();
    let canary = User::create(&t.db, user("canary", 999)).await.unwrap();
    for (i, s) in HOSTILE.iter().enumerate() {
        let created = User::create(&t.db, user(s, i)).await.expect("create");
        let by_name = User::find().filter(User::NAME.eq(*s)).all(&t.db).await.unwrap();
        assert_eq!(by_name.len(), 1, "eq finds exactly the row for {s:?}");
        assert_eq!(by_name[0].name, *s);
        assert_eq!(by_name[0].bio.as_deref(), Some(*s));
        assert_eq!(
            User::find().filter(User::NAME.contains(s)).count(&t.db).await.unwrap(),
            1,
            "contains {s:?}"
        );
        assert_eq!(
            User::find()
                .filter(User::NAME.starts_with(s))
                .count(&t.db)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            User::find()
                .filter(User::NAME.is_in([*s, "x"]))
                .count(&t.db)
                .await
                .unwrap(),
            1
        );
        let mut u = created.clone();
        u.update(
            &t.db,
            UserPatch {
                bio: Some(Some(format!("{s}{s}"))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let stored = User::find_by_pk(u.id).one(&t.db).await.unwrap().unwrap();
        assert_eq!(stored.bio, Some(format!("{s}{s}")));
    }
    assert_eq!(User::find().count(&t.db).await.unwrap(), HOSTILE.len() as i64 + 1);
    assert_eq!(
        User::find_by_pk(canary.id).one(&t.db).await.unwrap().unwrap(),
        canary,
        "the canary is untouched"
    );
}

async fn nul_bytes(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Sample>()
        .sync(&t.db)
        .await
        .unwrap();
    let with_nul = "before\0after";
    let res = User::create(&t.db, user(with_nul, 1)).await;
    if t.backend == Backend::Postgres {
        // PostgreSQL text cannot hold NUL: refused before SQL, naming the field.
        let err = res.expect_err("PostgreSQL refuses NUL in text");
        match &err {
            Error::Validation { fields, .. } => assert!(fields["name"][0].contains("NUL"), "{err}"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert_eq!(err.status_code(), 400);
        assert_eq!(User::find().count(&t.db).await.unwrap(), 0);
    } else {
        let created = res.expect("NUL is stored");
        let stored = User::find_by_pk(created.id).one(&t.db).await.unwrap().unwrap();
        assert_eq!(stored.name, with_nul);
    }
}

async fn binary_data_round_trips_byte_for_byte(t: &TestDb) {
    Schema::new()
        .model::<User>()
        .model::<Sample>()
        .sync(&t.db)
        .await
        .unwrap();
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 39, 34, 92, 0]).collect();
    let mut new = NewSample {
        small: 0,
        medium: 0,
        big: 0,
        single: 0.0,
        double: 0.0,
        flag: false,
        label: String::new(),
        body: String::new(),
        blob: bytes.clone(),
        at: chrono::Utc::now(),
        local: chrono::NaiveDateTime::default(),
        day: chrono::NaiveDate::default(),
        clock: chrono::NaiveTime::default(),
        uid: uuid::Uuid::nil(),
        doc: serde_json::Value::Null,
        price: Default::default(),
        role: Role::Member,
        maybe_int: None,
        maybe_text: None,
        maybe_at: None,
        maybe_uid: None,
        maybe_doc: None,
        maybe_price: None,
        maybe_role: None,
        maybe_blob: Some(vec![0; 1 << 16]),
    };
    new.at = orm_core::__private::DateTime::from_timestamp_micros(new.at.timestamp_micros()).unwrap();
    let created = Sample::create(&t.db, new).await.unwrap();
    let stored = Sample::find_by_pk(created.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.blob, bytes);
    assert_eq!(stored.maybe_blob.map(|b| b.len()), Some(1 << 16));
    assert_eq!(
        Sample::find()
            .filter(Sample::BLOB.eq(bytes))
            .count(&t.db)
            .await
            .unwrap(),
        1
    );
}

dialect_tests!(
    hostile_strings_round_trip,
    nul_bytes,
    binary_data_round_trips_byte_for_byte
);
