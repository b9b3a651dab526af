//! Every supported column type round-trips on every dialect, NULLs included.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{TestDb, dialect_tests};
use rust_decimal::Decimal;
use std::str::FromStr;

fn full() -> NewSample {
    NewSample {
        small: -12,
        medium: 1_000_000,
        big: i64::MAX - 1,
        single: 1.5,
        double: -2.25e10,
        flag: true,
        label: "label".into(),
        body: "long text ".repeat(1000),
        blob: vec![0, 1, 2, 255, 0],
        at: Utc.with_ymd_and_hms(2026, 6, 14, 12, 0, 0).unwrap() + chrono::Duration::microseconds(123_456),
        local: NaiveDate::from_ymd_opt(1999, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap(),
        day: NaiveDate::from_ymd_opt(2000, 2, 29).unwrap(),
        clock: NaiveTime::from_hms_micro_opt(8, 30, 5, 250_000).unwrap(),
        uid: uuid::Uuid::new_v4(),
        doc: serde_json::json!({"a": [1, 2, {"b": null}], "s": "x\"y"}),
        price: Decimal::from_str("12345.6789").unwrap(),
        role: Role::Admin,
        maybe_int: Some(-5),
        maybe_text: Some("t".into()),
        maybe_at: Some(Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap()),
        maybe_uid: Some(uuid::Uuid::nil()),
        maybe_doc: Some(serde_json::json!([true])),
        maybe_price: Some(Decimal::from_str("-0.5").unwrap()),
        maybe_role: Some(Role::Member),
        maybe_blob: Some(vec![]),
    }
}

fn empty() -> NewSample {
    NewSample {
        maybe_int: None,
        maybe_text: None,
        maybe_at: None,
        maybe_uid: None,
        maybe_doc: None,
        maybe_price: None,
        maybe_role: None,
        maybe_blob: None,
        ..full()
    }
}

async fn every_type_round_trips(t: &TestDb) {
    Schema::new().model::<Sample>().sync(&t.db).await.unwrap();
    for new in [full(), empty()] {
        let created = Sample::create(&t.db, new).await.expect("create");
        let stored = Sample::find_by_pk(created.id)
            .one(&t.db)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(stored, created);
    }
    let nulls = Sample::find()
        .filter(Sample::MAYBE_TEXT.is_null())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(nulls.len(), 1);
    let by_uid = Sample::find()
        .filter(Sample::MAYBE_UID.eq(uuid::Uuid::nil()))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(by_uid, 1, "uuids compare on every dialect");
    let by_time = Sample::find()
        .filter(Sample::AT.gt(Utc.with_ymd_and_hms(2026, 6, 14, 12, 0, 0).unwrap()))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(by_time, 2, "timestamps compare as time on every dialect");
    let by_flag = Sample::find().filter(Sample::FLAG.eq(true)).count(&t.db).await.unwrap();
    assert_eq!(by_flag, 2);
}

async fn nullable_columns_can_be_set_to_null_and_back(t: &TestDb) {
    Schema::new().model::<Sample>().sync(&t.db).await.unwrap();
    let mut s = Sample::create(&t.db, full()).await.unwrap();
    s.update(
        &t.db,
        SamplePatch {
            maybe_at: Some(None),
            maybe_role: Some(None),
            maybe_doc: Some(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let stored = Sample::find_by_pk(s.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(
        (stored.maybe_at, stored.maybe_role, stored.maybe_doc),
        (None, None, None)
    );
    s.maybe_role = Some(Role::Admin);
    s.save(&t.db).await.unwrap();
    let stored = Sample::find_by_pk(s.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.maybe_role, Some(Role::Admin));
}

dialect_tests!(every_type_round_trips, nullable_columns_can_be_set_to_null_and_back);
