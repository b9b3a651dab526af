//! `tx.after_commit(f)` and the `after_commit` hook (issue 29 §2): run once
//! after COMMIT succeeds, in order; never after a rollback; a savepoint's
//! callbacks move to the transaction around it or go with its rollback.

use orm_core::prelude::*;
use orm_core::{AfterCommit, Event, Hooks};
use orm_tests::{TestDb, dialect_tests};
use std::sync::{Arc, Mutex};

#[derive(Model, Debug, Clone)]
#[orm(table = "ac_orders", hooks, timestamps = false)]
struct Shipment {
    id: i64,
    /// The test's namespace, so parallel tests read only their own events.
    tag: String,
}

/// `(tag, event, id)` of every after_commit hook that ran, across tests.
static SEEN: Mutex<Vec<(String, Event, i64)>> = Mutex::new(Vec::new());

impl Hooks for Shipment {
    fn after_commit(&self, event: Event) -> Option<AfterCommit> {
        let (tag, id) = (self.tag.clone(), self.id);
        Some(Box::new(move || SEEN.lock().unwrap().push((tag, event, id))))
    }
}

fn seen(t: &TestDb) -> Vec<(Event, i64)> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|(tag, ..)| tag == t.namespace())
        .map(|(_, e, id)| (*e, *id))
        .collect()
}

/// What the callbacks of one test ran, in order.
type Log = Arc<Mutex<Vec<&'static str>>>;

/// A log, and a maker of callbacks that append to it.
fn log() -> (Log, impl Fn(&'static str) -> AfterCommit) {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let push = move |what: &'static str| -> AfterCommit {
        let l = l.clone();
        Box::new(move || l.lock().unwrap().push(what))
    };
    (log, push)
}

async fn runs_once_after_commit_in_order(t: &TestDb) {
    let (log, push) = log();
    let n =
        t.db.transaction(async |tx| -> orm_core::Result<_> {
            tx.after_commit(push("first"));
            tx.after_commit(push("second"));
            tx.authenticate().await?;
            assert!(log.lock().unwrap().is_empty(), "nothing runs before COMMIT");
            Ok(2)
        })
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(*log.lock().unwrap(), ["first", "second"]);
    // Manual form.
    let tx = t.db.begin().await.unwrap();
    tx.after_commit(push("manual"));
    tx.commit().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["first", "second", "manual"]);
}

async fn never_after_a_rollback(t: &TestDb) {
    let (log, push) = log();
    let r: Result<()> =
        t.db.transaction(async |tx| {
            tx.after_commit(push("err"));
            Err(Error::NotFound { model: "x" })
        })
        .await;
    assert!(r.is_err());
    let tx = t.db.begin().await.unwrap();
    tx.after_commit(push("rolled back"));
    tx.rollback().await.unwrap();
    let tx = t.db.begin().await.unwrap();
    tx.after_commit(push("dropped"));
    drop(tx);
    assert!(log.lock().unwrap().is_empty(), "{:?}", log.lock().unwrap());
}

async fn savepoints_hand_up_or_drop_their_callbacks(t: &TestDb) {
    let (log, push) = log();
    t.db.transaction(async |tx| -> orm_core::Result<_> {
        tx.after_commit(push("outer"));
        tx.transaction(async |sp| {
            sp.after_commit(push("released"));
            sp.transaction(async |deep| {
                deep.after_commit(push("deep released"));
                Ok(())
            })
            .await
        })
        .await?;
        let undone: Result<()> = tx
            .transaction(async |sp| {
                sp.after_commit(push("savepoint rolled back"));
                Err(Error::NotFound { model: "x" })
            })
            .await;
        assert!(undone.is_err());
        let sp = tx.begin().await?;
        sp.after_commit(push("savepoint dropped"));
        drop(sp);
        tx.authenticate().await?;
        assert!(log.lock().unwrap().is_empty());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(*log.lock().unwrap(), ["outer", "released", "deep released"]);
    // Released into an outer transaction that then rolls back: never.
    let (log, push) = self::log();
    let r: Result<()> =
        t.db.transaction(async |tx| {
            tx.transaction(async |sp| {
                sp.after_commit(push("inner of a rolled-back outer"));
                Ok(())
            })
            .await?;
            Err(Error::NotFound { model: "x" })
        })
        .await;
    assert!(r.is_err());
    assert!(log.lock().unwrap().is_empty());
}

async fn the_hook_runs_after_the_writes_commit(t: &TestDb) {
    Schema::new().model::<Shipment>().sync(&t.db).await.unwrap();
    let tag = || t.namespace().to_owned();
    // Outside a transaction the write commits by itself: the hook runs now.
    let a = Shipment::create(&t.db, NewShipment { tag: tag() }).await.unwrap();
    assert_eq!(seen(t), [(Event::Create, a.id)]);
    // Inside one: after its COMMIT, for every write, in order.
    let b =
        t.db.transaction(async |tx| -> orm_core::Result<_> {
            let mut b = Shipment::create(tx, NewShipment { tag: tag() }).await?;
            b.save(tx).await?;
            assert_eq!(seen(t).len(), 1, "not before COMMIT");
            Ok(b)
        })
        .await
        .unwrap();
    assert_eq!(
        seen(t),
        [(Event::Create, a.id), (Event::Create, b.id), (Event::Update, b.id)]
    );
    // Rolled back: never.
    let r: Result<()> =
        t.db.transaction(async |tx| {
            Shipment::create(tx, NewShipment { tag: tag() }).await?;
            a.destroy(tx).await?;
            Err(Error::NotFound { model: "x" })
        })
        .await;
    assert!(r.is_err());
    assert_eq!(seen(t).len(), 3);
    assert_eq!(Shipment::find().count(&t.db).await.unwrap(), 2);
}

dialect_tests!(
    runs_once_after_commit_in_order,
    never_after_a_rollback,
    savepoints_hand_up_or_drop_their_callbacks,
    the_hook_runs_after_the_writes_commit
);
