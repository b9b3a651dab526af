//! JSON columns: `serde_json::Value` and `Json<T>`, filtered by field
//! (`get`) and nested path (`path`): nested objects, array positions,
//! numbers compared as numbers, strings as text, missing keys.

use orm_core::Value;
use orm_core::prelude::*;
use orm_core::{Condition, Json};
use orm_tests::{TestDb, dialect_tests};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Settings {
    pub theme: String,
    pub size: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub data: serde_json::Value,
    pub settings: Json<Settings>,
}

async fn seed(t: &TestDb) {
    Schema::new().model::<Event>().sync(&t.db).await.unwrap();
    for (name, data, theme, size) in [
        (
            "a",
            json!({"kind": "signup", "user": {"id": 42, "tags": ["x", "y"]}, "score": 1.5}),
            "dark",
            3,
        ),
        (
            "b",
            json!({"kind": "login", "user": {"id": 7}, "score": 10}),
            "light",
            12,
        ),
        (
            "c",
            json!({"kind": "signup", "user": {"id": 42.0}, "note": "it's \"quoted\""}),
            "dark",
            1,
        ),
        ("d", json!({"other": true}), "", 0),
    ] {
        Event::create(
            &t.db,
            NewEvent {
                name: name.into(),
                data,
                settings: Json(Settings {
                    theme: theme.into(),
                    size,
                }),
            },
        )
        .await
        .unwrap();
    }
}

async fn names(t: &TestDb, c: Condition<Event>) -> Vec<String> {
    Event::find()
        .filter(c)
        .order_by(Event::ID.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect()
}

async fn fields_and_paths(t: &TestDb) {
    seed(t).await;
    assert_eq!(names(t, Event::DATA.get("kind").eq("signup")).await, ["a", "c"]);
    assert_eq!(
        names(t, Event::DATA.get("kind").ne("signup")).await,
        ["b"],
        "a missing key matches nothing"
    );
    // Numbers as numbers: 42 and 42.0 are equal, 7 < 10 < 42.
    assert_eq!(names(t, Event::DATA.path(["user", "id"]).eq(42)).await, ["a", "c"]);
    assert_eq!(names(t, Event::DATA.path(["user", "id"]).lt(10)).await, ["b"]);
    assert_eq!(names(t, Event::DATA.get("score").gt(2)).await, ["b"]);
    assert_eq!(names(t, Event::DATA.get("score").gte(1.5)).await, ["a", "b"]);
    // Array positions, nested.
    assert_eq!(names(t, Event::DATA.path(["user", "tags", "1"]).eq("y")).await, ["a"]);
    // Quotes inside values and keys travel as parameters.
    assert_eq!(names(t, Event::DATA.get("note").eq("it's \"quoted\"")).await, ["c"]);
    assert!(names(t, Event::DATA.get("no\"such'key").eq("x")).await.is_empty());
    // Json<T> columns: the same filters, and the typed value back.
    assert_eq!(names(t, Event::SETTINGS.get("theme").eq("dark")).await, ["a", "c"]);
    assert_eq!(names(t, Event::SETTINGS.get("size").gte(3)).await, ["a", "b"]);
    let b = Event::find()
        .filter(Event::NAME.eq("b"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        b.settings.0,
        Settings {
            theme: "light".into(),
            size: 12
        }
    );
    assert_eq!(b.settings.size, 12, "Json<T> derefs to T");
}

/// One statement's text bound with values of other types on one
/// connection (issue 25 §2): PostgreSQL's prepared statement kept the
/// first values' types, so `CAST(? AS TEXT)` bound 7 then 2.5 read the
/// float's bits as an integer, and raw `to_jsonb(?)` answered
/// 4612811918334230528.
async fn one_statement_text_with_values_of_other_types(t: &TestDb) {
    let conn = t.db.acquire().await.unwrap();
    let sql = match t.backend {
        orm_tests::Backend::MySql => "SELECT CAST(? AS CHAR)",
        _ => "SELECT CAST(? AS TEXT)",
    };
    let text = |v: Value| {
        let conn = &conn;
        async move {
            orm_core::raw(sql)
                .bind(v)
                .fetch_scalars::<String, _>(conn)
                .await
                .unwrap()
                .remove(0)
        }
    };
    for _ in 0..2 {
        assert_eq!(text(Value::I64(7)).await, "7");
        assert_eq!(text(Value::F64(2.5)).await, "2.5");
        let yes = text(Value::Bool(true)).await;
        assert!(["true", "1"].contains(&yes.as_str()), "{yes}");
        assert_eq!(text(Value::String("x".into())).await, "x");
    }
    if t.backend == orm_tests::Backend::Postgres {
        for _ in 0..2 {
            for (v, want) in [
                (Value::I64(7), json!(7)),
                (Value::F64(2.5), json!(2.5)),
                (Value::Bool(true), json!(true)),
            ] {
                let got: Vec<serde_json::Value> = orm_core::raw("SELECT to_jsonb(?)")
                    .bind(v)
                    .fetch_scalars(&conn)
                    .await
                    .unwrap();
                assert_eq!(got, [want]);
            }
        }
    }
    conn.release().await;
}

/// `NewEvent: Default` although it holds JSON (`serde_json::Value` is
/// null, `Json<Settings>` the settings' default): `..Default::default()`.
async fn new_x_has_a_default_with_json_fields(t: &TestDb) {
    Schema::new().model::<Event>().sync(&t.db).await.unwrap();
    let e = Event::create(
        &t.db,
        NewEvent {
            name: "defaulted".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let back = Event::find_by_pk(e.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(back.data, serde_json::Value::Null);
    assert_eq!(back.settings, Json(Settings::default()));
}

dialect_tests!(
    fields_and_paths,
    one_statement_text_with_values_of_other_types,
    new_x_has_a_default_with_json_fields
);
