//! Grouping on several columns, integer sums that stay integers, having on
//! aggregates, and `all_and_count` (a page and its total).

use orm_core::Having;
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Track {
    pub id: i64,
    pub genre_id: i64,
    pub media_type_id: i64,
    pub milliseconds: i64,
    pub seconds: i32,
    pub price: f64,
}

async fn seed(t: &TestDb) {
    Schema::new().model::<Track>().sync(&t.db).await.unwrap();
    let rows: Vec<NewTrack> = [
        (1, 1, 100),
        (1, 1, 200),
        (1, 2, 300),
        (2, 1, 400),
        (2, 1, 500),
        (2, 1, 600),
    ]
    .into_iter()
    .map(|(g, m, ms)| NewTrack {
        genre_id: g,
        media_type_id: m,
        milliseconds: ms,
        seconds: (ms / 100) as i32,
        price: 0.5,
    })
    .collect();
    Track::bulk_create(&t.db, rows).await.unwrap();
}

async fn group_by_two_columns(t: &TestDb) {
    seed(t).await;
    let rows: Vec<((i64, i64), i64)> = Track::find()
        .group_by((Track::GENRE_ID, Track::MEDIA_TYPE_ID))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(rows, [((1, 1), 2), ((1, 2), 1), ((2, 1), 3)]);
    let sums: Vec<((i64, i64), Option<i64>)> = Track::find()
        .group_by((Track::GENRE_ID, Track::MEDIA_TYPE_ID))
        .having(Having::sum(Track::MILLISECONDS).gt(250))
        .sum(Track::MILLISECONDS, &t.db)
        .await
        .unwrap();
    assert_eq!(sums, [((1, 1), Some(300)), ((1, 2), Some(300)), ((2, 1), Some(1500))]);
    let avgs: Vec<(i64, Option<f64>)> = Track::find()
        .group_by(Track::GENRE_ID)
        .avg(Track::MILLISECONDS, &t.db)
        .await
        .unwrap();
    assert_eq!(avgs, [(1, Some(200.0)), (2, Some(500.0))]);
    let busy: Vec<(i64, i64)> = Track::find()
        .group_by(Track::GENRE_ID)
        .having(Having::avg(Track::MILLISECONDS).gte(500))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(busy, [(2, 3)]);
}

async fn integer_sums_stay_integers(t: &TestDb) {
    seed(t).await;
    let total: Option<i64> = Track::find().sum(Track::MILLISECONDS, &t.db).await.unwrap();
    assert_eq!(total, Some(2100));
    let secs: Option<i64> = Track::find().sum(Track::SECONDS, &t.db).await.unwrap();
    assert_eq!(secs, Some(21), "an INT column sums to i64 too");
    let price: Option<f64> = Track::find().sum(Track::PRICE, &t.db).await.unwrap();
    assert_eq!(price, Some(3.0));
    let none: Option<i64> = Track::find()
        .filter(Track::ID.lt(0))
        .sum(Track::MILLISECONDS, &t.db)
        .await
        .unwrap();
    assert_eq!(none, None);
    // Beyond i64: OutOfRange on the servers (the sum is widened there).
    Track::create(
        &t.db,
        NewTrack {
            genre_id: 9,
            media_type_id: 9,
            milliseconds: i64::MAX,
            seconds: 0,
            price: 0.0,
        },
    )
    .await
    .unwrap();
    let err = Track::find()
        .sum(Track::MILLISECONDS, &t.db)
        .await
        .expect_err("past i64::MAX");
    assert!(matches!(err, Error::OutOfRange { .. }), "{err:?}");
}

async fn a_page_and_its_total(t: &TestDb) {
    seed(t).await;
    let (rows, total) = Track::find()
        .filter(Track::MILLISECONDS.gte(200))
        .order_by(Track::ID.asc())
        .limit(2)
        .offset(1)
        .all_and_count(&t.db)
        .await
        .unwrap();
    assert_eq!(total, 5);
    assert_eq!(rows.iter().map(|r| r.milliseconds).collect::<Vec<_>>(), [300, 400]);
    let tx = t.db.begin().await.unwrap();
    let (rows, total) = Track::find().limit(1).all_and_count(&tx).await.unwrap();
    assert_eq!((rows.len(), total), (1, 6));
    tx.commit().await.unwrap();
}

dialect_tests!(group_by_two_columns, integer_sums_stay_integers, a_page_and_its_total);
