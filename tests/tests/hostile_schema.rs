//! `introspect` on a hostile schema per dialect (issue 25 §4): names that
//! clash once in Rust case (`a-b`/`a_b`, `größe`/`grüße`, PostgreSQL's
//! `Name`/`name`), a keyword, enum labels that clash (`in-progress`/
//! `in_progress`) or hold a backslash (MariaDB), a table without a primary
//! key, a generated column, a decimal past 28 digits, SQLite's NUMERIC, a
//! PostgreSQL native enum. The generated source is compared with
//! `tests/introspected/hostile_<db>.rs` (`ORM_BLESS=1` rewrites them), which
//! are compiled here as modules: a row written by hand is read through them,
//! and one is created through them and read back by hand.

use orm_core::{Snapshot, raw};
use orm_tests::{Backend, TestDb, dialect_tests};
use rust_decimal::Decimal;
use std::str::FromStr;

#[allow(dead_code, missing_docs, non_snake_case)]
#[path = "introspected/hostile_mysql.rs"]
mod from_mysql;
#[allow(dead_code, missing_docs, non_snake_case)]
#[path = "introspected/hostile_postgres.rs"]
mod from_postgres;
#[allow(dead_code, missing_docs, non_snake_case)]
#[path = "introspected/hostile_sqlite.rs"]
mod from_sqlite;

fn ddl(b: Backend) -> Vec<&'static str> {
    match b {
        Backend::Postgres => vec![
            "CREATE TYPE hs_mood AS ENUM ('ok', 'in-progress', 'in_progress')",
            "CREATE TABLE hs_people (id BIGSERIAL PRIMARY KEY, \"Name\" TEXT NOT NULL, \"name\" TEXT, \
             \"a-b\" INTEGER, \"a_b\" INTEGER, \"größe\" INTEGER, \"grüße\" INTEGER, \"type\" TEXT, \
             state TEXT NOT NULL CHECK (state IN ('in-progress', 'in_progress')), mood hs_mood, \
             qty INTEGER NOT NULL DEFAULT 1, total INTEGER GENERATED ALWAYS AS (qty * 2) STORED, \
             big NUMERIC(40, 0), amount NUMERIC(10, 2))",
            "CREATE TABLE hs_loose (a INTEGER, b TEXT)",
        ],
        Backend::MySql => vec![
            "CREATE TABLE hs_people (id BIGINT AUTO_INCREMENT PRIMARY KEY, `Name` TEXT NOT NULL, \
             `a-b` INT, `a_b` INT, `größe` INT, `grüße` INT, `type` TEXT, \
             state ENUM('in-progress', 'in_progress', 'a\\\\b') NOT NULL, \
             qty INT NOT NULL DEFAULT 1, total INT GENERATED ALWAYS AS (qty * 2) STORED, \
             big DECIMAL(40, 0), amount DECIMAL(10, 2))",
            "CREATE TABLE hs_loose (a INT, b TEXT)",
        ],
        Backend::Sqlite => vec![
            "CREATE TABLE hs_people (id INTEGER PRIMARY KEY AUTOINCREMENT, \"Name\" TEXT NOT NULL, \
             \"a-b\" INTEGER, \"a_b\" INTEGER, \"größe\" INTEGER, \"grüße\" INTEGER, \"type\" TEXT, \
             state TEXT NOT NULL CHECK (state IN ('in-progress', 'in_progress')), \
             qty INTEGER NOT NULL DEFAULT 1, total INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL, \
             big NUMERIC(40, 0), amount DECIMAL(10, 2))",
            "CREATE TABLE hs_loose (a INTEGER, b TEXT)",
        ],
    }
}

/// The introspected source as the CLI prints it: the columns left out as
/// comments, then the models.
async fn introspected(t: &TestDb) -> String {
    let tables = ["hs_people".to_string(), "hs_loose".to_string()];
    let found = Snapshot::introspect(&t.db, &tables).await.unwrap();
    let mut out = String::new();
    for u in &found.unmapped {
        out.push_str(&format!("// NOT MAPPED (left out, no Rust type): {u}\n"));
    }
    out.push_str(&found.snapshot.to_rust());
    out
}

fn golden(t: &TestDb, source: &str) {
    let name = match t.backend {
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
        Backend::Sqlite => "sqlite",
    };
    let path = format!("{}/tests/introspected/hostile_{name}.rs", env!("CARGO_MANIFEST_DIR"));
    orm_tests::golden(std::path::Path::new(&path), source);
}

/// The hand-written row, by each dialect's SQL.
async fn seed(t: &TestDb) {
    let sql = match t.backend {
        Backend::Postgres => {
            "INSERT INTO hs_people (\"Name\", \"name\", \"a-b\", \"a_b\", \"größe\", \"grüße\", \"type\", state, mood, qty, amount) \
             VALUES ('N', 'n', 1, 2, 3, 4, 't', 'in_progress', 'in-progress', 5, 1.50)"
        }
        _ => {
            "INSERT INTO hs_people (`Name`, `a-b`, `a_b`, `größe`, `grüße`, `type`, state, qty, amount) \
             VALUES ('N', 1, 2, 3, 4, 't', 'in_progress', 5, 1.50)"
        }
    };
    raw(sql).execute(&t.db).await.unwrap();
}

async fn a_hostile_schema_introspects_compiles_and_reads(t: &TestDb) {
    for statement in ddl(t.backend) {
        raw(statement).execute(&t.db).await.unwrap();
    }
    seed(t).await;
    let source = introspected(t).await;
    golden(t, &source);
    assert!(
        source.contains("NOT MAPPED: table `hs_loose` has no primary key"),
        "{source}"
    );
    assert!(
        source.contains("hs_people.total") && source.contains("generated"),
        "{source}"
    );
    assert!(source.contains("hs_people.big"), "{source}");
    let amount = Decimal::from_str("1.50").unwrap();
    match t.backend {
        Backend::Postgres => {
            use from_postgres::*;
            let read = HsPeople::find().one(&t.db).await.unwrap().unwrap();
            assert_eq!((read.name.as_str(), read.name_2.as_deref()), ("N", Some("n")));
            assert_eq!(
                (read.a_b, read.a_b_2, read.gr_e, read.gr_e_2),
                (Some(1), Some(2), Some(3), Some(4))
            );
            assert_eq!(
                (read.state, read.mood),
                (HsPeopleState::InProgress2, Some(HsPeopleMood::InProgress))
            );
            assert_eq!((read.qty, read.amount), (5, Some(amount)));
            let made = HsPeople::create(
                &t.db,
                NewHsPeople {
                    name: "M".into(),
                    name_2: None,
                    a_b: None,
                    a_b_2: None,
                    gr_e: None,
                    gr_e_2: None,
                    type_: Some("x".into()),
                    state: HsPeopleState::InProgress,
                    mood: Some(HsPeopleMood::InProgress2),
                    qty: None,
                    amount: None,
                },
            )
            .await
            .unwrap();
            let back = HsPeople::find_by_pk(made.id).one(&t.db).await.unwrap().unwrap();
            assert_eq!(
                (back.state, back.mood, back.qty),
                (HsPeopleState::InProgress, Some(HsPeopleMood::InProgress2), 1)
            );
            let n = HsPeople::find()
                .filter(HsPeople::MOOD.eq(HsPeopleMood::InProgress2))
                .count(&t.db)
                .await
                .unwrap();
            assert_eq!(n, 1, "a native enum compares with a label");
        }
        Backend::MySql => {
            use from_mysql::*;
            let read = HsPeople::find().one(&t.db).await.unwrap().unwrap();
            assert_eq!(
                (read.a_b, read.a_b_2, read.gr_e, read.gr_e_2),
                (Some(1), Some(2), Some(3), Some(4))
            );
            assert_eq!(
                (read.state, read.qty, read.amount),
                (HsPeopleState::InProgress2, 5, Some(amount))
            );
            let made = HsPeople::create(
                &t.db,
                NewHsPeople {
                    name: "M".into(),
                    a_b: None,
                    a_b_2: None,
                    gr_e: None,
                    gr_e_2: None,
                    type_: None,
                    state: HsPeopleState::AB,
                    qty: None,
                    amount: None,
                },
            )
            .await
            .unwrap();
            let label: Vec<String> = raw("SELECT CAST(state AS CHAR) FROM hs_people WHERE id = ?")
                .bind(made.id)
                .fetch_scalars(&t.db)
                .await
                .unwrap();
            assert_eq!(label, ["a\\b"], "the backslash label as stored");
        }
        Backend::Sqlite => {
            use from_sqlite::*;
            let read = HsPeople::find().one(&t.db).await.unwrap().unwrap();
            assert_eq!(
                (read.a_b, read.a_b_2, read.gr_e, read.gr_e_2),
                (Some(1), Some(2), Some(3), Some(4))
            );
            assert_eq!((read.state, read.qty), (HsPeopleState::InProgress2, 5));
            assert_eq!(
                read.amount,
                Some(Decimal::from_str("1.5").unwrap()),
                "NUMERIC keeps 1.50 as 1.5"
            );
            let made = HsPeople::create(
                &t.db,
                NewHsPeople {
                    name: "M".into(),
                    a_b: None,
                    a_b_2: None,
                    gr_e: None,
                    gr_e_2: None,
                    type_: None,
                    state: HsPeopleState::InProgress,
                    qty: None,
                    amount: Some(amount),
                },
            )
            .await
            .unwrap();
            let back = HsPeople::find_by_pk(made.id).one(&t.db).await.unwrap().unwrap();
            assert_eq!((back.state, back.qty), (HsPeopleState::InProgress, 1));
        }
    }
}

dialect_tests!(a_hostile_schema_introspects_compiles_and_reads);
