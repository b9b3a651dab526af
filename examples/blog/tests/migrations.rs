//! The blog's migrations are what `generate --auto` writes for its models:
//! the snapshot beside them equals the models' (so `generate --auto` has
//! nothing to add), the first migration is the models' tables written
//! again, and `check` applies them to scratch databases on SQLite,
//! PostgreSQL and MariaDB and finds the models' schema.

use orm_core::{Dialect, Snapshot};
use orm_migrate::auto::{DIALECTS, read_snapshot};
use orm_migrate::cli::{Cli, run_with};
use std::path::{Path, PathBuf};

fn migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

#[test]
fn the_snapshot_is_the_models() {
    let stored = read_snapshot(&migrations()).unwrap();
    let models = blog::schema().snapshot();
    assert_eq!(
        stored, models,
        "models changed: run `cargo run -p blog --bin migrate -- --dir examples/blog/migrations generate --name <change> --auto`"
    );
    assert!(Snapshot::from_json(&models.to_json()).unwrap() == stored);
}

#[test]
fn the_first_migration_is_regenerated_from_the_models() {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(migrations())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 1, "one migration: {folders:?}");
    let diff = Snapshot::empty().diff(&blog::schema().snapshot(), &[]).unwrap();
    for d in DIALECTS {
        for (file, written) in [("up", diff.up_sql(d)), ("down", diff.down_sql(d))] {
            let path = folders[0].join(format!("{file}.{}.sql", d.name()));
            let stored = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                stored,
                written,
                "{} differs from what generate --auto writes",
                path.display()
            );
        }
    }
    assert!(diff.up_sql(Dialect::Sqlite).contains("CREATE TABLE `users`"));
}

#[tokio::test]
async fn check_passes_on_every_dialect() {
    let servers = orm_tests::server_urls().await;
    let mut args = vec![
        "migrate".to_string(),
        "--dir".into(),
        migrations().display().to_string(),
        "check".into(),
    ];
    for s in &servers {
        args.push("--server-url".into());
        args.push(s.clone());
    }
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let lines = std::sync::Mutex::new(Vec::new());
    let schema = blog::schema();
    run_with(cli, Some(&schema), &|l| lines.lock().unwrap().push(l))
        .await
        .expect("check");
    let lines = lines.into_inner().unwrap();
    assert_eq!(lines.len(), 1 + servers.len(), "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with("the migrations give the models' schema")),
        "{lines:?}"
    );
}
