//! Model power (issue 15): composite primary keys, per-insert and SQL
//! defaults, default and named scopes, model-level validation, and async
//! hooks that receive the operation's executor, on every dialect.

use chrono::{DateTime, NaiveDate, Utc};
use orm_core::prelude::*;
use orm_core::{BulkEvent, Event, Executor, Hooks, raw};
use orm_tests::{TestDb, dialect_tests};
use std::collections::HashSet;
use uuid::Uuid;

/// A join table with a column of its own and a two-column key.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "playlist_tracks", timestamps = false)]
pub struct PlaylistTrack {
    #[orm(primary_key)]
    pub playlist_id: i64,
    #[orm(primary_key)]
    pub track_id: i64,
    #[orm(default = 0)]
    pub position: i32,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Playlist {
    pub id: i64,
    pub name: String,
    #[orm(through = PlaylistTrack)]
    pub tracks: BelongsToMany<Track, PlaylistTrack>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(timestamps = false)]
pub struct Track {
    pub id: i64,
    pub title: String,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Seller {
    pub id: i64,
    pub name: String,
    pub listings: HasMany<Listing>,
}

#[derive(Model, Debug, Clone)]
#[orm(default_scope = Self::live, validate = Self::dates_in_order)]
pub struct Listing {
    #[orm(primary_key, default = Uuid::now_v7())]
    pub id: Uuid,
    #[orm(default_sql = "CURRENT_TIMESTAMP")]
    pub listed_at: DateTime<Utc>,
    #[orm(default = 1)]
    pub quantity: i32,
    pub price: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub archived: bool,
    pub seller_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Listing {
    fn live(q: Find<Self>) -> Find<Self> {
        q.filter(Self::ARCHIVED.eq(false))
    }

    fn dates_in_order(&self) -> std::result::Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.ends_on < self.starts_on {
            errors
                .entry("ends_on".into())
                .or_default()
                .push("must not be before starts_on".into());
        }
        if self.quantity < 0 {
            errors
                .entry("quantity".into())
                .or_default()
                .push("cannot be negative".into());
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

fn cheap(q: Find<Listing>) -> Find<Listing> {
    q.filter(Listing::PRICE.lt(10))
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn listing(price: i64, archived: bool, seller: Option<i64>) -> NewListing {
    NewListing {
        id: None,
        listed_at: None,
        quantity: None,
        price,
        starts_on: day(1),
        ends_on: day(2),
        archived,
        seller_id: seller,
    }
}

/// An invoice whose async hooks write audit rows through the operation's executor.
#[derive(Model, Debug, Clone)]
#[orm(hooks, timestamps = false)]
pub struct Invoice {
    pub id: i64,
    pub total: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct AuditEntry {
    pub id: i64,
    pub note: String,
}

async fn audit(db: &dyn Executor, note: String) -> orm_core::Result<()> {
    AuditEntry::create(db, NewAuditEntry { note }).await.map(|_| ())
}

impl Hooks for Invoice {
    async fn before_write(&self, event: Event, db: &dyn Executor) -> orm_core::Result<()> {
        // A check that reads the database: at most three invoices of 666.
        if event == Event::Create && self.total == 666 {
            let n = Invoice::find().filter(Invoice::TOTAL.eq(666)).count(db).await?;
            if n >= 3 {
                return Err(Error::validation("Invoice", "total", "too many invoices of 666"));
            }
        }
        Ok(())
    }

    async fn after_write(&self, event: Event, db: &dyn Executor) -> orm_core::Result<()> {
        audit(db, format!("{event:?} {}", self.total)).await
    }

    async fn after_bulk(event: BulkEvent, db: &dyn Executor, rows: u64) -> orm_core::Result<()> {
        audit(db, format!("bulk {event:?} {rows}")).await
    }
}

async fn notes(db: &Db) -> Vec<String> {
    AuditEntry::find()
        .order_by(AuditEntry::ID)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.note)
        .collect()
}

async fn composite_key_crud(t: &TestDb) {
    Schema::new().model::<PlaylistTrack>().sync(&t.db).await.unwrap();
    let a = PlaylistTrack::create(
        &t.db,
        NewPlaylistTrack {
            playlist_id: 1,
            track_id: 10,
            position: Some(3),
        },
    )
    .await
    .unwrap();
    let b = PlaylistTrack::create(
        &t.db,
        NewPlaylistTrack {
            playlist_id: 1,
            track_id: 11,
            position: None,
        },
    )
    .await
    .unwrap();
    PlaylistTrack::create(
        &t.db,
        NewPlaylistTrack {
            playlist_id: 2,
            track_id: 10,
            position: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((b.position, a.playlist_id, a.track_id), (0, 1, 10));

    // The same pair again is the key's violation, on every dialect.
    let dup = PlaylistTrack::create(
        &t.db,
        NewPlaylistTrack {
            playlist_id: 1,
            track_id: 10,
            position: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(dup, Error::UniqueViolation { .. }), "{dup:?}");

    let found = PlaylistTrack::find_by_pk((1, 11)).one(&t.db).await.unwrap();
    assert_eq!(found, Some(b.clone()));
    assert_eq!(PlaylistTrack::find_by_pk((2, 11)).one(&t.db).await.unwrap(), None);

    // save/update/destroy touch only the row with both key values.
    let mut a2 = a.clone();
    a2.position = 7;
    a2.save(&t.db).await.unwrap();
    let mut b2 = b.clone();
    b2.update(&t.db, PlaylistTrackPatch { position: Some(9) })
        .await
        .unwrap();
    let rows = PlaylistTrack::find()
        .order_by(PlaylistTrack::PLAYLIST_ID)
        .order_by(PlaylistTrack::TRACK_ID)
        .all(&t.db)
        .await
        .unwrap();
    let positions: Vec<(i64, i64, i32)> = rows.iter().map(|r| (r.playlist_id, r.track_id, r.position)).collect();
    assert_eq!(positions, vec![(1, 10, 7), (1, 11, 9), (2, 10, 0)]);

    raw(format!(
        "UPDATE {} SET {} = 42 WHERE {} = 2",
        t.q("playlist_tracks"),
        t.q("position"),
        t.q("playlist_id")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let mut other = rows[2].clone();
    other.reload(&t.db).await.unwrap();
    assert_eq!(other.position, 42);

    a2.destroy(&t.db).await.unwrap();
    let left: Vec<(i64, i64)> = PlaylistTrack::find()
        .order_by(PlaylistTrack::PLAYLIST_ID)
        .all(&t.db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.playlist_id, r.track_id))
        .collect();
    assert_eq!(left, vec![(1, 11), (2, 10)]);
    // An upsert conflicts on the whole key: one row updated, one inserted.
    for (pl, tr, pos) in [(1, 11, 5), (3, 3, 6)] {
        let up = PlaylistTrack::upsert(
            &t.db,
            NewPlaylistTrack {
                playlist_id: pl,
                track_id: tr,
                position: Some(pos),
            },
        )
        .await
        .unwrap();
        assert_eq!((up.playlist_id, up.track_id, up.position), (pl, tr, pos));
    }
    assert_eq!(PlaylistTrack::find().count(&t.db).await.unwrap(), 3);
    assert_eq!(
        PlaylistTrack::find_by_pk((2, 10))
            .one(&t.db)
            .await
            .unwrap()
            .map(|r| r.position),
        Some(42),
        "the other rows are untouched"
    );
    // The schema's key is both columns.
    assert!(
        Schema::new()
            .model::<PlaylistTrack>()
            .to_sql(t.dialect())
            .contains(&format!("PRIMARY KEY ({}, {})", t.q("playlist_id"), t.q("track_id")))
    );
}

async fn through_a_model_with_its_own_columns(t: &TestDb) {
    let schema = Schema::new()
        .model::<Playlist>()
        .model::<Track>()
        .model::<PlaylistTrack>();
    schema.sync(&t.db).await.unwrap();
    let mix = Playlist::create(&t.db, NewPlaylist { name: "mix".into() })
        .await
        .unwrap();
    let other = Playlist::create(&t.db, NewPlaylist { name: "other".into() })
        .await
        .unwrap();
    let mut tracks = Vec::new();
    for title in ["a", "b", "c"] {
        tracks.push(Track::create(&t.db, NewTrack { title: title.into() }).await.unwrap());
    }
    // The link row's own values; the keys are filled in.
    let link = mix
        .add_track_with(
            &t.db,
            &tracks[2],
            NewPlaylistTrack {
                position: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (link.playlist_id, link.track_id, link.position),
        (mix.id, tracks[2].id, 1)
    );
    mix.add_track_with(
        &t.db,
        &tracks[0],
        NewPlaylistTrack {
            position: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A plain add takes the column's default.
    other.add_track(&t.db, &tracks[1]).await.unwrap();
    assert!(mix.has_track(&t.db, &tracks[0]).await.unwrap());
    assert!(!mix.has_track(&t.db, &tracks[1]).await.unwrap());
    assert_eq!(mix.count_tracks(&t.db).await.unwrap(), 2);

    // An include loads each row with its link row.
    let lists = Playlist::find()
        .include(Playlist::tracks())
        .order_by(Playlist::ID)
        .all(&t.db)
        .await
        .unwrap();
    let seen: Vec<(String, i32)> = lists[0]
        .tracks
        .with_links()
        .map(|(tr, l)| (tr.title.clone(), l.position))
        .collect();
    assert_eq!(
        seen,
        vec![("a".to_string(), 2), ("c".to_string(), 1)],
        "key order, each with its link"
    );
    // Joined into the playlists' statement: the same rows and link rows.
    let joined = Playlist::find()
        .include(Playlist::tracks().join())
        .order_by(Playlist::ID)
        .all(&t.db)
        .await
        .unwrap();
    let joined_seen: Vec<(String, i32)> = joined[0]
        .tracks
        .with_links()
        .map(|(tr, l)| (tr.title.clone(), l.position))
        .collect();
    assert_eq!(joined_seen, seen);
    assert_eq!(joined[1].tracks.links().map(|l| l.len()), Some(1));
    let links = lists[1].tracks.links().unwrap();
    assert_eq!(
        (links.len(), links[0].track_id, links[0].position),
        (1, tracks[1].id, 0)
    );
    // The link rows are a model: found by their composite key.
    let row = PlaylistTrack::find_by_pk((mix.id, tracks[0].id))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.position, 2);
    mix.remove_track(&t.db, &tracks[0]).await.unwrap();
    assert_eq!(mix.get_tracks(&t.db).await.unwrap(), vec![tracks[2].clone()]);
}

async fn defaults_per_insert_and_in_sql(t: &TestDb) {
    Schema::new()
        .model::<Seller>()
        .model::<Listing>()
        .sync(&t.db)
        .await
        .unwrap();
    // A call runs for every row: 1,000 distinct keys from one bulk_create.
    let rows: Vec<NewListing> = (0..1000).map(|i| listing(i, false, None)).collect();
    let made = Listing::bulk_create(&t.db, rows).await.unwrap();
    let ids: HashSet<Uuid> = made.iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), 1000, "one key per row");
    assert!(made.iter().all(|l| l.quantity == 1), "the constant default");
    // default_sql: the database filled listed_at, and the instances hold it.
    let stored = Listing::find_by_pk(made[17].id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(stored.listed_at, made[17].listed_at);
    // Every row was read back (by chunks of keys), each into its own place.
    let all: std::collections::HashMap<Uuid, DateTime<Utc>> = Listing::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.listed_at))
        .collect();
    assert!(made.iter().all(|l| all[&l.id] == l.listed_at));
    assert!(
        made.iter().enumerate().all(|(i, l)| l.price == i as i64),
        "each instance in its input position"
    );
    let age = Utc::now() - made[17].listed_at;
    assert!(
        age.num_seconds().abs() < 600,
        "CURRENT_TIMESTAMP, not a placeholder: {age:?}"
    );

    // One create reads the database's value back too.
    let one = Listing::create(&t.db, listing(5, false, None)).await.unwrap();
    assert!((Utc::now() - one.listed_at).num_seconds().abs() < 600);
    // A value given is used as is.
    let given = DateTime::parse_from_rfc3339("2020-05-06T07:08:09Z").unwrap().to_utc();
    let mut new = listing(6, false, None);
    new.listed_at = Some(given);
    new.quantity = Some(4);
    let explicit = Listing::create(&t.db, new).await.unwrap();
    assert_eq!((explicit.listed_at, explicit.quantity), (given, 4));

    // The SQL DEFAULTs apply to an insert the ORM did not write; a call has none.
    let key = Uuid::now_v7();
    raw(t.insert_sql(
        "listings",
        &[
            "id",
            "price",
            "starts_on",
            "ends_on",
            "archived",
            "created_at",
            "updated_at",
        ],
    ))
    .bind(key)
    .bind(7_i64)
    .bind(day(1))
    .bind(day(3))
    .bind(false)
    .bind(Utc::now())
    .bind(Utc::now())
    .execute(&t.db)
    .await
    .unwrap();
    let by_raw = Listing::find_by_pk(key).one(&t.db).await.unwrap().unwrap();
    assert_eq!(by_raw.quantity, 1, "the constant is the column's SQL DEFAULT");
    assert!((Utc::now() - by_raw.listed_at).num_seconds().abs() < 600);
    let ddl = Schema::new().model::<Listing>().to_sql(t.dialect());
    let id_line = ddl.lines().find(|l| l.trim_start().starts_with(&t.q("id"))).unwrap();
    assert!(
        !id_line.contains("DEFAULT"),
        "a call is not frozen into the DDL: {id_line}"
    );
}

async fn default_scope_and_named_scopes(t: &TestDb) {
    Schema::new()
        .model::<Seller>()
        .model::<Listing>()
        .sync(&t.db)
        .await
        .unwrap();
    let s = Seller::create(&t.db, NewSeller { name: "ada".into() }).await.unwrap();
    let rows = vec![
        listing(5, false, Some(s.id)),
        listing(50, false, Some(s.id)),
        listing(3, true, Some(s.id)),
        listing(70, true, None),
    ];
    let made = Listing::bulk_create(&t.db, rows).await.unwrap();
    let archived = made[2].id;

    assert_eq!(
        Listing::find().count(&t.db).await.unwrap(),
        2,
        "find() hides archived rows"
    );
    assert_eq!(Listing::unscoped().count(&t.db).await.unwrap(), 4);
    assert_eq!(
        Listing::find_by_pk(archived).one(&t.db).await.unwrap().map(|l| l.id),
        None
    );
    assert!(
        Listing::unscoped()
            .filter(Listing::ID.eq(archived))
            .one(&t.db)
            .await
            .unwrap()
            .is_some()
    );
    let cheap_live: Vec<i64> = Listing::find()
        .scope(cheap)
        .all(&t.db)
        .await
        .unwrap()
        .iter()
        .map(|l| l.price)
        .collect();
    assert_eq!(cheap_live, vec![5]);
    let mut cheap_all: Vec<i64> = Listing::unscoped()
        .scope(cheap)
        .all(&t.db)
        .await
        .unwrap()
        .iter()
        .map(|l| l.price)
        .collect();
    cheap_all.sort();
    assert_eq!(cheap_all, vec![3, 5]);

    // Includes and association methods see the target's default scope.
    let loaded = Seller::find().include(Seller::listings()).all(&t.db).await.unwrap();
    let mut prices: Vec<i64> = loaded[0].listings.get().unwrap().iter().map(|l| l.price).collect();
    prices.sort();
    assert_eq!(prices, vec![5, 50]);
    assert_eq!(s.count_listings(&t.db).await.unwrap(), 2);
    // Joined, the default scope is part of the join's condition.
    let joined = Seller::find()
        .include(Seller::listings().join())
        .all(&t.db)
        .await
        .unwrap();
    let mut joined_prices: Vec<i64> = joined[0].listings.get().unwrap().iter().map(|l| l.price).collect();
    joined_prices.sort();
    assert_eq!(joined_prices, vec![5, 50]);
    assert_eq!(s.get_listings(&t.db).await.unwrap().len(), 2);
    // A bulk update goes through the scope too.
    let n = Listing::find()
        .filter(Listing::PRICE.gt(0))
        .update(
            &t.db,
            ListingPatch {
                quantity: Some(8),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
}

async fn model_level_validation_names_the_fields(t: &TestDb) {
    Schema::new()
        .model::<Seller>()
        .model::<Listing>()
        .sync(&t.db)
        .await
        .unwrap();
    let mut bad = listing(5, false, None);
    bad.ends_on = day(1);
    bad.starts_on = day(9);
    bad.quantity = Some(-1);
    let err = Listing::create(&t.db, bad).await.unwrap_err();
    match &err {
        Error::Validation { fields, .. } => {
            assert!(
                fields.contains_key("ends_on") && fields.contains_key("quantity"),
                "{err}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(Listing::unscoped().count(&t.db).await.unwrap(), 0, "nothing written");
    let mut ok = Listing::create(&t.db, listing(5, false, None)).await.unwrap();
    ok.ends_on = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let err = ok.save(&t.db).await.unwrap_err();
    assert!(matches!(&err, Error::Validation { fields, .. } if fields.contains_key("ends_on")));
    // Bulk creation names the row.
    let mut bad = listing(1, false, None);
    bad.quantity = Some(-5);
    let err = Listing::bulk_create(&t.db, vec![listing(1, false, None), bad])
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Validation { row: Some(1), fields, .. } if fields.contains_key("quantity")));
    assert_eq!(Listing::unscoped().count(&t.db).await.unwrap(), 1);
}

async fn async_hooks_write_in_the_operations_transaction(t: &TestDb) {
    Schema::new()
        .model::<Invoice>()
        .model::<AuditEntry>()
        .sync(&t.db)
        .await
        .unwrap();
    let mut inv = Invoice::create(&t.db, NewInvoice { total: 10 }).await.unwrap();
    inv.update(&t.db, InvoicePatch { total: Some(20) }).await.unwrap();
    inv.destroy(&t.db).await.unwrap();
    assert_eq!(notes(&t.db).await, vec!["Create 10", "Update 20", "Destroy 20"]);

    // In a transaction the hook writes there: a later error rolls both back.
    let res: Result<()> =
        t.db.transaction(async |tx| {
            Invoice::create(tx, NewInvoice { total: 30 }).await?;
            assert_eq!(
                AuditEntry::find().count(tx).await?,
                4,
                "the audit row is visible in the transaction"
            );
            Err(Error::NotFound {
                model: "changed my mind",
            })
        })
        .await;
    assert!(res.is_err());
    assert_eq!(Invoice::find().count(&t.db).await.unwrap(), 0);
    assert_eq!(
        notes(&t.db).await.len(),
        3,
        "the audit row was rolled back with the invoice"
    );

    // Bulk operations run the hooks too.
    let made = Invoice::bulk_create(&t.db, (1..=3).map(|total| NewInvoice { total }).collect())
        .await
        .unwrap();
    assert_eq!(made.len(), 3);
    let n = Invoice::find()
        .filter(Invoice::TOTAL.lt(3))
        .update(&t.db, InvoicePatch { total: Some(100) })
        .await
        .unwrap();
    assert_eq!(n, 2);
    Invoice::find()
        .filter(Invoice::TOTAL.eq(100))
        .delete(&t.db)
        .await
        .unwrap();
    let all = notes(&t.db).await;
    assert_eq!(
        all[3..],
        [
            "Create 1",
            "Create 2",
            "Create 3",
            "bulk Create 3",
            "bulk Update 2",
            "bulk Destroy 2"
        ]
    );

    // A before hook that reads the database can refuse the write.
    for _ in 0..3 {
        Invoice::create(&t.db, NewInvoice { total: 666 }).await.unwrap();
    }
    let err = Invoice::create(&t.db, NewInvoice { total: 666 }).await.unwrap_err();
    assert!(err.to_string().contains("too many invoices"), "{err}");
    assert_eq!(
        Invoice::find()
            .filter(Invoice::TOTAL.eq(666))
            .count(&t.db)
            .await
            .unwrap(),
        3
    );
}

/// A model and an enum whose generated code names orm-core through a re-export.
#[derive(orm_core::DbEnum, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[orm(crate = "orm_tests::reexported")]
pub enum Shade {
    Light,
    Dark,
}

#[derive(orm_core::Model, Debug, Clone, PartialEq)]
#[orm(crate = "orm_tests::reexported", timestamps = false)]
pub struct Swatch {
    pub id: i64,
    #[orm(default = Shade::Light)]
    pub shade: Shade,
    pub label: Option<String>,
}

async fn crate_path_through_a_reexport(t: &TestDb) {
    Schema::new().model::<Swatch>().sync(&t.db).await.unwrap();
    let s = Swatch::create(
        &t.db,
        NewSwatch {
            shade: None,
            label: Some("x".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(Swatch::find_by_pk(s.id).one(&t.db).await.unwrap(), Some(s.clone()));
    assert_eq!(s.shade, Shade::Light);
}

/// Generic code reaches every model's CRUD through `Crud`.
async fn generic_crud<M: Model + Clone>(db: &Db, new: Vec<M::New>) -> (usize, i64) {
    let made = <M as orm_core::Crud>::bulk_create(db, new).await.unwrap();
    let mut first = made[0].clone();
    orm_core::Crud::save(&mut first, db).await.unwrap();
    orm_core::Crud::reload(&mut first, db).await.unwrap();
    orm_core::Crud::destroy(&first, db).await.unwrap();
    (made.len(), <M as orm_core::Crud>::find().count(db).await.unwrap())
}

async fn crud_from_generic_code(t: &TestDb) {
    Schema::new()
        .model::<Invoice>()
        .model::<AuditEntry>()
        .model::<PlaylistTrack>()
        .sync(&t.db)
        .await
        .unwrap();
    let invoices = (1..=3).map(|total| NewInvoice { total }).collect();
    assert_eq!(generic_crud::<Invoice>(&t.db, invoices).await, (3, 2));
    let links = (1..=2)
        .map(|track_id| NewPlaylistTrack {
            playlist_id: 1,
            track_id,
            position: None,
        })
        .collect();
    assert_eq!(
        generic_crud::<PlaylistTrack>(&t.db, links).await,
        (2, 1),
        "a composite key too"
    );
}

/// Field attributes that name the model as `Self`: the derive's helpers are
/// free functions (not methods on the model), so `Self` is rewritten to the
/// model's name inside them.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Gauge {
    pub id: i64,
    #[orm(default = Self::START)]
    pub level: i32,
    #[validate(custom(function = Self::check_label))]
    pub label: String,
}

impl Gauge {
    const START: i32 = 7;

    fn check_label(label: &str) -> Result<(), String> {
        if label.starts_with('g') {
            Ok(())
        } else {
            Err("must start with g".into())
        }
    }
}

/// A model declared by a `macro_rules!` whose attribute values are
/// fragments (`$table:literal`, passed in an invisible group).
macro_rules! macro_made_model {
    ($name:ident, $table:literal, $length:literal) => {
        #[derive(Model, Debug, Clone)]
        #[orm(table = $table, timestamps = false)]
        pub struct $name {
            pub id: i64,
            #[orm(length = $length)]
            pub code: String,
        }
    };
}

macro_made_model!(MacroMade, "macro_made", 8);

async fn self_in_field_attributes(t: &TestDb) {
    assert_eq!(<MacroMade as Model>::META.table, "macro_made");
    assert_eq!(
        <MacroMade as Model>::META.column("code").unwrap().sql_type,
        orm_core::SqlType::Varchar(8)
    );
    Schema::new().model::<Gauge>().sync(&t.db).await.unwrap();
    let g = Gauge::create(
        &t.db,
        NewGauge {
            level: None,
            label: "gas".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(g.level, 7);
    let read = Gauge::find_by_pk(g.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(read.level, 7);
    let err = Gauge::create(
        &t.db,
        NewGauge {
            level: Some(1),
            label: "oil".into(),
        },
    )
    .await
    .unwrap_err();
    match err {
        Error::Validation { fields, .. } => assert_eq!(fields["label"], vec!["must start with g".to_string()]),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(Gauge::find().count(&t.db).await.unwrap(), 1);
}

dialect_tests!(
    self_in_field_attributes,
    crate_path_through_a_reexport,
    crud_from_generic_code,
    composite_key_crud,
    through_a_model_with_its_own_columns,
    defaults_per_insert_and_in_sql,
    default_scope_and_named_scopes,
    model_level_validation_names_the_fields,
    async_hooks_write_in_the_operations_transaction,
);
