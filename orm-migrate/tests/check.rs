//! `check` (through `cli::run_with`, as `main_with(schema)` runs it): the
//! migrations applied to scratch databases — a temporary SQLite file, and a
//! scratch schema/database on each PostgreSQL and MariaDB server — compared
//! with the models.

use clap::Parser;
use orm_core::prelude::*;
use orm_migrate::cli::{Cli, run_with};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Model, Debug, Clone)]
#[orm(table = "gadgets", timestamps = false)]
pub struct Gadget {
    pub id: i64,
    #[orm(length = 40)]
    pub name: String,
    pub qty: Option<i32>,
}

/// A migrations folder whose first migration is each dialect's DDL for
/// the models, plus `extra` (folder name, up.sql) migrations after it.
fn migrations(tag: &str, extra: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orm-check-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = dir.join("20260101000000_gadgets");
    std::fs::create_dir_all(&first).unwrap();
    for (d, name) in [
        (Dialect::Postgres, "postgres"),
        (Dialect::MySql, "mysql"),
        (Dialect::Sqlite, "sqlite"),
    ] {
        let sql = Schema::new().model::<Gadget>().to_sql(d);
        std::fs::write(first.join(format!("up.{name}.sql")), sql).unwrap();
    }
    std::fs::write(first.join("down.sql"), "DROP TABLE gadgets").unwrap();
    for (folder, up) in extra {
        let f = dir.join(folder);
        std::fs::create_dir_all(&f).unwrap();
        std::fs::write(f.join("up.sql"), up).unwrap();
    }
    dir
}

async fn run_check(dir: &std::path::Path, servers: &[String], schema: &Schema) -> (orm_core::Result<()>, Vec<String>) {
    let mut args = vec![
        "orm-migrate".to_string(),
        "--dir".into(),
        dir.display().to_string(),
        "check".into(),
    ];
    for s in servers {
        args.push("--server-url".into());
        args.push(s.clone());
    }
    let cli = Cli::try_parse_from(args).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let out = move |l: String| sink.lock().unwrap().push(l);
    let res = run_with(cli, Some(schema), &out).await;
    let lines = lines.lock().unwrap().clone();
    (res, lines)
}

#[tokio::test]
async fn check_passes_when_the_migrations_give_the_models() {
    let servers = orm_tests::server_urls().await;
    let dir = migrations("ok", &[]);
    let (res, lines) = run_check(&dir, &servers, &Schema::new().model::<Gadget>()).await;
    res.unwrap();
    assert_eq!(lines.len(), 1 + servers.len(), "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with("the migrations give the models' schema")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn check_lists_each_difference_and_fails() {
    let servers = orm_tests::server_urls().await;
    // A later migration drops `qty` on every dialect: the models still have it.
    let dir = migrations(
        "drift",
        &[("20260102000000_drop_qty", "ALTER TABLE gadgets DROP COLUMN qty")],
    );
    let (res, lines) = run_check(&dir, &servers, &Schema::new().model::<Gadget>()).await;
    let err = res.unwrap_err();
    assert!(err.to_string().contains("qty"), "{err}");
    let per_dialect: Vec<&String> = lines.iter().filter(|l| l.contains("qty")).collect();
    assert_eq!(per_dialect.len(), 1 + servers.len(), "{lines:?}");
}

/// A column the models do not read is a note when it is nullable, and
/// fails the check when it is NOT NULL without a default (every insert of
/// the model would fail); a changed DEFAULT fails it too.
#[tokio::test]
async fn check_notes_extra_columns_and_fails_on_ones_that_break_inserts() {
    let servers = orm_tests::server_urls().await;
    let dir = migrations(
        "extras",
        &[(
            "20260102000000_add_note",
            "ALTER TABLE gadgets ADD COLUMN note VARCHAR(20)",
        )],
    );
    let (res, lines) = run_check(&dir, &servers, &Schema::new().model::<Gadget>()).await;
    res.unwrap();
    let notes: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("note: column `gadgets`.`note` is not in the model"))
        .collect();
    assert_eq!(notes.len(), 1 + servers.len(), "{lines:?}");

    let dir = migrations(
        "breaking",
        &[(
            "20260102000000_add_code",
            "ALTER TABLE gadgets ADD COLUMN code VARCHAR(20) NOT NULL",
        )],
    );
    let (res, lines) = run_check(&dir, &servers, &Schema::new().model::<Gadget>()).await;
    let err = res.unwrap_err();
    assert!(
        err.to_string()
            .contains("`gadgets`.`code` is NOT NULL without a default"),
        "{err}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("`code`")).count(),
        1 + servers.len(),
        "{lines:?}"
    );
}

#[tokio::test]
async fn check_needs_the_models() {
    let dir = migrations("nomodels", &[]);
    let cli = Cli::try_parse_from(["orm-migrate", "--dir", &dir.display().to_string(), "check"]).unwrap();
    let err = orm_migrate::cli::run(cli, &|_l: String| {}).await.unwrap_err();
    assert!(err.to_string().contains("main_with"), "{err}");
}

mod badges_then {
    use orm_core::prelude::*;

    #[derive(DbEnum, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Metal {
        Gold,
        Silver,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "badges", timestamps = false)]
    pub struct Badge {
        pub id: i64,
        pub metal: Metal,
    }
}

mod badges_now {
    use orm_core::prelude::*;

    #[derive(DbEnum, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Metal {
        Gold,
        Silver,
        Bronze,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "badges", timestamps = false)]
    pub struct Badge {
        pub id: i64,
        pub metal: Metal,
    }
}

/// A migration whose enum has fewer labels than the model's `DbEnum`
/// (a CHECK on PostgreSQL and SQLite, an ENUM on MariaDB): listed on each.
#[tokio::test]
async fn check_finds_enum_labels_the_migrations_lack() {
    let servers = orm_tests::server_urls().await;
    let dir = std::env::temp_dir().join(format!("orm-check-labels-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = dir.join("20260101000000_badges");
    std::fs::create_dir_all(&first).unwrap();
    for d in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let sql = Schema::new().model::<badges_then::Badge>().to_sql(d);
        std::fs::write(first.join(format!("up.{}.sql", d.name())), sql).unwrap();
    }
    std::fs::write(first.join("down.sql"), "DROP TABLE badges").unwrap();
    let (res, lines) = run_check(&dir, &servers, &Schema::new().model::<badges_now::Badge>()).await;
    let err = res.unwrap_err();
    assert!(err.to_string().contains("bronze"), "{err}");
    let drift: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.contains("column `badges`.`metal` allows gold, silver; the model's metal has gold, silver, bronze")
        })
        .collect();
    assert_eq!(drift.len(), 1 + servers.len(), "{lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
