//! Seeders against real databases: embedded seeders applied once by 8
//! concurrent runners and undone newest first, recorded in `orm_seeds`
//! apart from migrations; and the `seed` commands of the CLI end to end.

mod common;
use common::{cli, table_exists};
use orm_core::{Db, raw};
use orm_migrate::{Migrations, UndoTarget, embed_migrations};
use orm_tests::TestDb;

static SEEDERS: Migrations = embed_migrations!("tests/fixtures/seeders");

async fn create_tags(db: &Db) {
    raw("CREATE TABLE seed_tags (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, note VARCHAR(40))")
        .execute(db)
        .await
        .unwrap();
}

async fn tags(db: &Db) -> Vec<(i64, String, Option<String>)> {
    raw("SELECT id, name, note FROM seed_tags ORDER BY id")
        .fetch_as(db)
        .await
        .unwrap()
}

async fn seeds_recorded(db: &Db) -> Vec<i64> {
    raw("SELECT version FROM orm_seeds ORDER BY version")
        .fetch_scalars(db)
        .await
        .unwrap()
}

async fn seeders_apply_once_and_undo_newest_first(t: &TestDb) {
    create_tags(&t.db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = t.url.clone();
        tasks.push(tokio::spawn(async move {
            let db = Db::builder(url).max_connections(2).connect().await?;
            let applied = SEEDERS.seed(&db).await;
            db.close().await;
            applied
        }));
    }
    let mut total = Vec::new();
    for task in tasks {
        total.extend(task.await.unwrap().expect("no runner fails"));
    }
    total.sort();
    assert_eq!(
        total,
        [20260201000001, 20260201000002, 20260201000003],
        "each seeder applied once by 8 runners"
    );
    let seeded = |note: Option<&str>| {
        vec![
            (1, "rust".to_string(), note.map(str::to_owned)),
            (2, "sql".to_string(), note.map(str::to_owned)),
            (3, "orm".to_string(), note.map(str::to_owned)),
        ]
    };
    assert_eq!(tags(&t.db).await, seeded(Some("seeded")));
    assert_eq!(
        seeds_recorded(&t.db).await,
        [20260201000001, 20260201000002, 20260201000003]
    );
    assert!(
        !table_exists(t, "orm_migrations").await,
        "seeders keep their own history"
    );
    let status = SEEDERS.seeder().unwrap().status(&t.db).await.unwrap();
    assert!(status.iter().all(|s| s.state == "applied"), "{status:?}");

    let seeder = SEEDERS.seeder().unwrap();
    assert_eq!(seeder.undo(&t.db, UndoTarget::Last).await.unwrap(), [20260201000003]);
    assert_eq!(tags(&t.db).await, seeded(None));
    assert_eq!(
        seeder.undo(&t.db, UndoTarget::All).await.unwrap(),
        [20260201000002, 20260201000001],
        "newest first"
    );
    assert!(tags(&t.db).await.is_empty());
    assert!(seeds_recorded(&t.db).await.is_empty());
    assert_eq!(SEEDERS.seed(&t.db).await.unwrap().len(), 3, "applied again after undo");
}

async fn cli_seed_commands(t: &TestDb) {
    create_tags(&t.db).await;
    let dir = std::env::temp_dir().join(format!("orm-seed-cli-{:?}-{}", t.backend, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out, err) = cli(&dir, &t.url, &["seed", "generate", "--name", "demo-tags"]);
    assert!(ok, "{out}{err}");
    let folder = std::fs::read_dir(dir.join("seeders"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let id = folder.file_name().unwrap().to_string_lossy().into_owned();
    assert!(id.ends_with("_demo_tags") && folder.join("up.sql").exists() && folder.join("down.sql").exists());
    std::fs::write(
        folder.join("up.sql"),
        "INSERT INTO seed_tags (id, name) VALUES (7, 'cli');\n",
    )
    .unwrap();
    std::fs::write(folder.join("down.sql"), "DELETE FROM seed_tags WHERE id = 7;\n").unwrap();

    let (ok, out, err) = cli(&dir, &t.url, &["seed"]);
    assert!(ok, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("== {id}: migrating ======="), "{out}");
    assert!(lines[1].starts_with(&format!("== {id}: migrated (")), "{out}");
    assert_eq!(tags(&t.db).await, vec![(7, "cli".to_string(), None)]);
    let (ok, out, _) = cli(&dir, &t.url, &["seed"]);
    assert!(ok && out.contains("No seeders were executed."), "{out}");
    let (ok, out, _) = cli(&dir, &t.url, &["status"]);
    assert!(!ok || !out.contains(&id), "migrations know nothing of seeders: {out}");
    // An applied seeder edited afterwards: refused, then accepted with
    // --allow-edited (the new checksum recorded), then runs plainly again.
    std::fs::write(
        folder.join("up.sql"),
        "INSERT INTO seed_tags (id, name) VALUES (7, 'cli'); -- reviewed\n",
    )
    .unwrap();
    let (ok, out, err) = cli(&dir, &t.url, &["seed"]);
    assert!(
        !ok && err.contains("has changed") && err.contains("--allow-edited"),
        "{out}{err}"
    );
    let (ok, out, err) = cli(&dir, &t.url, &["seed", "--allow-edited"]);
    assert!(ok && out.contains("No seeders were executed."), "{out}{err}");
    let (ok, out, err) = cli(&dir, &t.url, &["seed"]);
    assert!(ok, "the edit was accepted: {out}{err}");
    // Edited again, it can still be undone, with the flag.
    std::fs::write(
        folder.join("up.sql"),
        "INSERT INTO seed_tags (id, name) VALUES (7, 'cli2');\n",
    )
    .unwrap();
    let (ok, out, err) = cli(&dir, &t.url, &["seed", "undo", "--all"]);
    assert!(!ok && err.contains("has changed"), "{out}{err}");
    let (ok, out, err) = cli(&dir, &t.url, &["seed", "undo", "--all", "--allow-edited"]);
    assert!(ok && out.contains(&format!("== {id}: reverted (")), "{out}{err}");
    assert!(tags(&t.db).await.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

orm_tests::shared_dialect_tests!(seeders_apply_once_and_undo_newest_first, cli_seed_commands);
