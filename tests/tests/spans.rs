//! Every statement is a `tracing` span with OpenTelemetry's database
//! attributes (issue 29 §5), captured here by a subscriber layer.

use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Model, Debug, Clone)]
#[orm(table = "sp_items", timestamps = false)]
struct Item {
    id: i64,
    #[orm(unique)]
    code: String,
}

/// A closed span's fields, as text.
type Fields = HashMap<String, String>;

#[derive(Clone, Default)]
struct Capture {
    open: Arc<Mutex<HashMap<u64, Fields>>>,
    closed: Arc<Mutex<Vec<Fields>>>,
}

struct Text<'a>(&'a mut Fields);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().target() != "orm_core::sql" {
            return;
        }
        let mut fields = Fields::new();
        attrs.record(&mut Text(&mut fields));
        self.open.lock().unwrap().insert(id.into_u64(), fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Text(fields));
        }
    }
    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(fields);
        }
    }
}

/// A process-wide subscriber that enables nothing but asks about every
/// callsite each time. Without one, a callsite first reached by another
/// test's thread while this test's scoped subscriber is being registered
/// can keep a cached "never" (tracing's interest cache), and the test sees
/// no spans under a loaded parallel run.
struct AskEachTime;

impl tracing::Subscriber for AskEachTime {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

async fn statements_are_spans_with_database_attributes(t: &TestDb) {
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(AskEachTime);
    });
    Schema::new().model::<Item>().sync(&t.db).await.unwrap();
    let capture = Capture::default();
    // The test's own future runs on this thread: its statements' spans go here.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    tracing::callsite::rebuild_interest_cache();
    Item::create(&t.db, NewItem { code: "a".into() }).await.unwrap();
    let found = Item::find().filter(Item::CODE.eq("a")).all(&t.db).await.unwrap();
    assert_eq!(found.len(), 1);
    let dup = Item::create(&t.db, NewItem { code: "a".into() }).await.unwrap_err();
    assert!(matches!(dup, Error::UniqueViolation { .. }), "{dup:?}");
    drop(_guard);

    let spans = capture.closed.lock().unwrap().clone();
    let system = match t.dialect() {
        Dialect::Postgres => "postgresql",
        Dialect::MySql => "mysql",
        _ => "sqlite",
    };
    let select = spans
        .iter()
        .find(|s| {
            s.get("db.operation.name").map(String::as_str) == Some("SELECT") && s["db.query.text"].contains("sp_items")
        })
        .unwrap_or_else(|| panic!("no SELECT span in {spans:#?}"));
    assert_eq!(select["db.system.name"], system);
    assert_eq!(select["db.response.returned_rows"], "1");
    assert!(!select.contains_key("error.type"));
    if t.dialect() != Dialect::Sqlite {
        // The database (MariaDB) or the sandbox's database name (PostgreSQL's URL path).
        assert!(select.contains_key("db.namespace"), "{select:?}");
    }
    let inserts: Vec<&Fields> = spans
        .iter()
        .filter(|s| s.get("db.operation.name").map(String::as_str) == Some("INSERT"))
        .collect();
    assert_eq!(inserts.len(), 2, "{spans:#?}");
    assert_eq!(inserts[1]["error.type"], "UniqueViolation");
    assert!(!inserts[0].contains_key("error.type"));
    // The values are bound parameters, never in the text.
    assert!(spans.iter().all(|s| !s["db.query.text"].contains("'a'")));
}

dialect_tests!(statements_are_spans_with_database_attributes);
