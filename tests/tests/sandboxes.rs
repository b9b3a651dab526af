//! `orm_core::testing`: a database of one's own per test (issue 29 §4). Two
//! sandboxes on one server never see each other's rows; the namespace goes
//! with the last handle; what a dead test process left is swept.

use orm_core::prelude::*;
use orm_core::testing::{fresh, host_prefix, sandbox};
use orm_core::{Scratch, raw};
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "sb_notes", timestamps = false)]
struct Note {
    id: i64,
    text: String,
}

fn schema() -> Schema {
    Schema::new().model::<Note>()
}

/// The server the test's backend runs on (SQLite: any SQLite URL).
fn server(t: &TestDb) -> String {
    t.backend.server().unwrap_or_else(|| "sqlite::memory:".to_owned())
}

/// Every namespace on the test's server (none for SQLite).
async fn namespaces(t: &TestDb) -> Vec<String> {
    match t.dialect().migration().scratch {
        Scratch::Namespace { list, .. } => raw(list).fetch_scalars::<String, _>(&t.db).await.unwrap(),
        Scratch::File { .. } => Vec::new(),
    }
}

async fn sandboxes_do_not_see_each_other(t: &TestDb) {
    let url = server(t);
    let (a, b) = tokio::join!(fresh(&url, schema()), fresh(&url, schema()));
    let (a, b) = (a.unwrap(), b.unwrap());
    Note::create(&a, NewNote { text: "a".into() }).await.unwrap();
    Note::create(&a, NewNote { text: "a2".into() }).await.unwrap();
    Note::create(&b, NewNote { text: "b".into() }).await.unwrap();
    assert_eq!(Note::find().count(&a).await.unwrap(), 2);
    let in_b: Vec<String> = Note::find()
        .all(&b)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(in_b, ["b"]);
    // The test's own database does not have the table at all.
    assert!(Note::find().count(&t.db).await.is_err());
}

async fn the_last_handle_drops_the_namespace(t: &TestDb) {
    let sb = sandbox(server(t), schema(), |b| b.max_connections(2)).await.unwrap();
    Note::create(&sb.db, NewNote { text: "x".into() }).await.unwrap();
    let Some(name) = sb.namespace.clone() else {
        // SQLite: an in-memory database, gone with its pool.
        assert_eq!(t.dialect(), Dialect::Sqlite);
        return;
    };
    assert!(name.starts_with(host_prefix()), "{name}");
    let clone = sb.db.clone();
    drop(sb);
    assert!(namespaces(t).await.contains(&name), "a clone still holds it");
    assert_eq!(Note::find().count(&clone).await.unwrap(), 1);
    drop(clone);
    assert!(!namespaces(t).await.contains(&name), "{name} outlived its last handle");
}

async fn a_dead_process_leftovers_are_swept(t: &TestDb) {
    let Scratch::Namespace { create, drop, .. } = t.dialect().migration().scratch else {
        return; // SQLite sandboxes live in memory: nothing to leave behind.
    };
    // A pid no process has, and this process's own.
    let dead = format!("{}4000000000_7", host_prefix());
    let alive = format!("{}{}_999999", host_prefix(), std::process::id());
    for name in [&dead, &alive] {
        raw(drop(name)).execute(&t.db).await.unwrap();
        raw(create(name)).execute(&t.db).await.unwrap();
    }
    let db = fresh(server(t), schema()).await.unwrap();
    let names = namespaces(t).await;
    assert!(!names.contains(&dead), "the dead process's namespace was swept");
    assert!(names.contains(&alive), "a running process's namespace is left alone");
    raw(drop(&alive)).execute(&t.db).await.unwrap();
    db.close().await;
}

dialect_tests!(
    sandboxes_do_not_see_each_other,
    the_last_handle_drops_the_namespace,
    a_dead_process_leftovers_are_swept
);
