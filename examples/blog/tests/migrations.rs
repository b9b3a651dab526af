//! The blog's migrations are what `generate --auto` writes for its models:
//! the snapshot beside them equals the models' (so `generate --auto` has
//! nothing to add), the first migration is the models' tables written
//! again, and `check` applies them to scratch databases on SQLite,
//! PostgreSQL and MariaDB and finds the models' schema.

use orm_core::{Dialect, Snapshot};
use orm_migrate::auto::read_snapshot;
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
    for d in Dialect::all() {
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

/// With a terminal attached (`script` gives the command one), a table's one
/// dropped and one added column are asked about: yes writes a rename, no a
/// drop and an add with a warning.
#[test]
fn the_rename_prompt_asks_at_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        println!("skipped: no `script` (util-linux) to give the command a terminal");
        return;
    }
    for (answer, expected) in [
        ("y", "ALTER TABLE \"posts\" RENAME COLUMN \"heading\" TO \"title\";"),
        ("n", "ALTER TABLE \"posts\" DROP COLUMN \"heading\";"),
    ] {
        // The blog's migrations, with a snapshot in which `posts.title` was `heading`.
        let dir = std::env::temp_dir().join(format!("orm-blog-prompt-{answer}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(migrations()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let to = dir.join(path.file_name().unwrap());
                std::fs::create_dir_all(&to).unwrap();
                for f in std::fs::read_dir(&path).unwrap() {
                    let f = f.unwrap().path();
                    std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
                }
            }
        }
        let snapshot = std::fs::read_to_string(migrations().join("schema.json")).unwrap();
        std::fs::write(
            dir.join("schema.json"),
            snapshot.replace("\"name\": \"title\"", "\"name\": \"heading\""),
        )
        .unwrap();
        let command = format!(
            "{} --dir {} generate --name retitle --auto",
            env!("CARGO_BIN_EXE_migrate"),
            dir.display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{shown}");
        assert!(
            shown.contains("Was `posts`.`heading` renamed to `title`? [y/N]"),
            "{shown}"
        );
        let folder = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("_retitle"))
            .expect("a migration");
        let up = std::fs::read_to_string(folder.join("up.postgres.sql")).unwrap();
        assert!(up.contains(expected), "answer {answer}: {up}");
        assert_eq!(
            up.contains("-- WARNING: column `posts`.`heading` is dropped"),
            answer == "n",
            "{up}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
