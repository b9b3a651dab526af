//! Every supported column type round-trips on every dialect, NULLs included.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use orm_core::Condition;
use orm_core::prelude::*;
use orm_tests::models::*;
use orm_tests::{Backend, TestDb, dialect_tests};
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

/// A UTC time the database fills itself.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Stamp {
    pub id: i64,
    #[orm(default_sql = "CURRENT_TIMESTAMP")]
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The same shape over a table another program made (SQLite only).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "julian_stamps", timestamps = false)]
pub struct JulianStamp {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// Times in the forms a database may hold compare and read exactly (issue
/// 25 §2): SQLite's `CURRENT_TIMESTAMP` default used to store a text form
/// that comparisons with bound times missed, and a REAL julian day before
/// 1970 read one second late.
async fn stored_time_forms_compare_and_read_exactly(t: &TestDb) {
    Schema::new().model::<Stamp>().sync(&t.db).await.unwrap();
    let before = Utc::now() - chrono::Duration::hours(1);
    let after = Utc::now() + chrono::Duration::hours(1);
    let made = Stamp::create(
        &t.db,
        NewStamp {
            at: None,
            note: "filled".into(),
        },
    )
    .await
    .unwrap();
    assert!(made.at > before && made.at < after, "{}", made.at);
    let q = |c: Condition<Stamp>| async move { Stamp::find().filter(c).count(&t.db).await.unwrap() };
    assert_eq!(q(Stamp::AT.gt(before)).await, 1, "gt a bound time");
    assert_eq!(q(Stamp::AT.lt(after)).await, 1, "lt a bound time");
    assert_eq!(q(Stamp::AT.eq(made.at)).await, 1, "eq the value read");
    assert_eq!(q(Stamp::AT.between(before, after)).await, 1, "between");
    let bound = Stamp::create(
        &t.db,
        NewStamp {
            at: Some(made.at + chrono::Duration::milliseconds(1)),
            note: "bound".into(),
        },
    )
    .await
    .unwrap();
    let order: Vec<String> = Stamp::find()
        .order_by(Stamp::AT.desc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.note)
        .collect();
    assert_eq!(order, ["bound", "filled"], "a default and a bound time order together");

    // SQLite only: a REAL julian day (what other programs store) before,
    // at and after 1970 reads as the instant it names, to the millisecond.
    if t.backend == Backend::Sqlite {
        // A column of another program's: DATETIME has NUMERIC affinity, so
        // a REAL stays REAL (the ORM's TEXT columns would turn it into text).
        orm_core::raw("CREATE TABLE julian_stamps (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, note TEXT NOT NULL)")
            .execute(&t.db)
            .await
            .unwrap();
        orm_core::raw("INSERT INTO julian_stamps (id, at, note) VALUES (?, 0.0, 'julian')")
            .bind(bound.id)
            .execute(&t.db)
            .await
            .unwrap();
        for (julian, want) in [
            (
                2_440_587.499_994_212_8,
                Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::milliseconds(500),
            ),
            (2_440_587.5, Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()),
            (2_415_020.5, Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap()),
            // (A whole number would be stored as INTEGER: Unix seconds.)
            (2_451_545.25, Utc.with_ymd_and_hms(2000, 1, 1, 18, 0, 0).unwrap()),
        ] {
            orm_core::raw("UPDATE julian_stamps SET at = ? WHERE id = ?")
                .bind(julian)
                .bind(bound.id)
                .execute(&t.db)
                .await
                .unwrap();
            let back = JulianStamp::find_by_pk(bound.id).one(&t.db).await.unwrap().unwrap();
            assert_eq!(back.at, want, "julian {julian}");
        }
    }
}

dialect_tests!(
    stored_time_forms_compare_and_read_exactly,
    every_type_round_trips,
    nullable_columns_can_be_set_to_null_and_back
);
