//! `generate --auto` against real databases: nine model changes (add
//! tables, add a column with a default, make one nullable, add an index, a
//! unique, a foreign key, rename with a hint, drop a column, add an enum
//! value, add a model with a join table), each generated, migrated and
//! checked against the models, the
//! rows kept; then undone one by one, checked at every step, back to
//! nothing. The scripts are compared with golden files
//! (`tests/golden/auto/`; `ORM_BLESS=1` rewrites them).

use orm_core::prelude::*;
use orm_migrate::{Migrator, UndoTarget, load_dir};
use orm_tests::TestDb;
use std::path::{Path, PathBuf};

/// One version of the models per step; the tables keep their names.
macro_rules! authors {
    ($status:ident { $($variant:ident),* }, { $($field:tt)* }) => {
        #[derive(DbEnum, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $status { $($variant),* }

        #[derive(Model, Debug, Clone)]
        #[orm(table = "aut_authors", timestamps = false)]
        pub struct Author {
            pub id: i64,
            pub status: $status,
            $($field)*
        }
    };
}

macro_rules! books {
    () => {
        #[derive(Model, Debug, Clone)]
        #[orm(table = "aut_books", timestamps = false)]
        pub struct Book {
            pub id: i64,
            #[orm(length = 120)]
            pub title: String,
            pub author_id: Option<i64>,
        }
    };
    (fk) => {
        #[derive(Model, Debug, Clone)]
        #[orm(table = "aut_books", timestamps = false)]
        pub struct Book {
            pub id: i64,
            #[orm(length = 120)]
            pub title: String,
            pub author_id: Option<i64>,
            #[orm(on_delete = "cascade")]
            pub author: BelongsTo<Author>,
        }
    };
}

mod s1 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80)] pub name: String, });
    books!();
}
mod s2 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80)] pub name: String, #[orm(default = 0)] pub age: i32, });
    books!();
}
mod s3 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80)] pub name: Option<String>, #[orm(default = 0)] pub age: i32, });
    books!();
}
mod s4 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80)] pub name: Option<String>, #[orm(default = 0, index)] pub age: i32, });
    books!();
}
mod s5 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80, unique)] pub name: Option<String>, #[orm(default = 0, index)] pub age: i32, });
    books!();
}
mod s6 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80, unique)] pub name: Option<String>, #[orm(default = 0, index)] pub age: i32, });
    books!(fk);
}
mod s7 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80, unique)] pub full_name: Option<String>, #[orm(default = 0, index)] pub age: i32, });
    books!(fk);
}
mod s8 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away }, { #[orm(length = 80, unique)] pub full_name: Option<String>, });
    books!(fk);
}
mod s9 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away, Gone }, { #[orm(length = 80, unique)] pub full_name: Option<String>, });
    books!(fk);
}

mod s10 {
    use orm_core::prelude::*;
    authors!(Status { Active, Away, Gone }, { #[orm(length = 80, unique)] pub full_name: Option<String>, });
    books!(fk);

    #[derive(Model, Debug, Clone)]
    #[orm(table = "aut_tags", timestamps = false)]
    pub struct Tag {
        pub id: i64,
        #[orm(length = 30)]
        pub label: String,
        #[orm(through = "aut_author_tags", foreign_key = "tag_id", other_key = "author_id")]
        pub authors: BelongsToMany<Author>,
    }
}

/// Model-level constraints: a unique pair, a two-column index, a CHECK.
mod s11 {
    use orm_core::prelude::*;

    #[derive(DbEnum, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Status {
        Active,
        Away,
        Gone,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "aut_authors", timestamps = false)]
    #[orm(
        unique(status, full_name),
        index(status, id),
        check = "full_name IS NULL OR full_name <> ''"
    )]
    pub struct Author {
        pub id: i64,
        pub status: Status,
        #[orm(length = 80, unique)]
        pub full_name: Option<String>,
    }
    books!(fk);

    #[derive(Model, Debug, Clone)]
    #[orm(table = "aut_tags", timestamps = false)]
    pub struct Tag {
        pub id: i64,
        #[orm(length = 30)]
        pub label: String,
        #[orm(through = "aut_author_tags", foreign_key = "tag_id", other_key = "author_id")]
        pub authors: BelongsToMany<Author>,
    }
}

/// A composite foreign key to a composite primary key.
mod s12 {
    use orm_core::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[orm(table = "aut_orders", timestamps = false)]
    pub struct Order {
        #[orm(primary_key)]
        pub tenant_id: i64,
        #[orm(primary_key)]
        pub order_no: i64,
        #[orm(foreign_key = ["tenant_id", "order_no"])]
        pub lines: HasMany<Line>,
    }

    #[derive(Model, Debug, Clone)]
    #[orm(table = "aut_lines", timestamps = false)]
    pub struct Line {
        pub id: i64,
        pub tenant_id: i64,
        pub order_no: i64,
        #[orm(foreign_key = ["tenant_id", "order_no"], on_delete = "cascade")]
        pub order: BelongsTo<Order>,
    }
}

/// (migration name, models, renames) per step.
fn steps() -> Vec<(&'static str, Schema, Vec<String>)> {
    macro_rules! schema {
        ($m:ident) => {
            Schema::new().model::<$m::Author>().model::<$m::Book>()
        };
    }
    vec![
        ("create-authors-and-books", schema!(s1), vec![]),
        ("add-age", schema!(s2), vec![]),
        ("name-nullable", schema!(s3), vec![]),
        ("index-age", schema!(s4), vec![]),
        ("unique-name", schema!(s5), vec![]),
        ("books-reference-authors", schema!(s6), vec![]),
        (
            "rename-name",
            schema!(s7),
            vec!["aut_authors.name:full_name".to_string()],
        ),
        ("drop-age", schema!(s8), vec![]),
        ("status-gone", schema!(s9), vec![]),
        ("tags", schema!(s10).model::<s10::Tag>(), vec![]),
        ("constraints", schema!(s11).model::<s11::Tag>(), vec![]),
        (
            "orders",
            schema!(s11)
                .model::<s11::Tag>()
                .model::<s12::Order>()
                .model::<s12::Line>(),
            vec![],
        ),
    ]
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orm-auto-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn generate(dir: &Path, name: &str, schema: &Schema, renames: &[String]) -> Vec<String> {
    let lines = std::sync::Mutex::new(Vec::new());
    orm_migrate::auto::generate(dir, name, schema, renames, &|l| lines.lock().unwrap().push(l))
        .expect("generate --auto");
    lines.into_inner().unwrap()
}

/// A book whose author does not exist.
const ORPHAN_BOOK: &str = "INSERT INTO {table} (id, title, author_id) VALUES (3, 'x', 99)";

/// Run a statement; `{table}` in it is the quoted table name.
async fn exec(t: &TestDb, table: &str, sql: &str) -> orm_core::Result<u64> {
    raw(sql.replace("{table}", &t.q(table))).execute(&t.db).await
}

async fn count(t: &TestDb, table: &str) -> i64 {
    raw(format!("SELECT COUNT(*) FROM {}", t.q(table)))
        .fetch_scalars::<i64, _>(&t.db)
        .await
        .unwrap()[0]
}

async fn names(t: &TestDb, column: &str) -> Vec<Option<String>> {
    raw(format!(
        "SELECT {} FROM {} ORDER BY id",
        t.q(column),
        t.q("aut_authors")
    ))
    .fetch_scalars(&t.db)
    .await
    .unwrap()
}

async fn table_exists(t: &TestDb, table: &str) -> bool {
    raw(format!("SELECT 1 FROM {} WHERE 1 = 0", t.q(table)))
        .execute(&t.db)
        .await
        .is_ok()
}

async fn model_changes_migrate_and_undo(t: &TestDb) {
    let dir = scratch(&format!("{:?}", t.dialect()));
    let steps = steps();
    for (i, (name, schema, renames)) in steps.iter().enumerate() {
        // Before its migration the catalog differs from the new models
        // (`check` does not see a dropped column or an enum's labels).
        if !matches!(*name, "drop-age" | "status-gone") {
            assert!(schema.check(&t.db).await.is_err(), "before step {name}");
        }
        let lines = generate(&dir, name, schema, renames);
        assert!(lines[0].starts_with("created "), "step {name}: {lines:?}");
        if *name == "index-age" {
            // The safety lint reads what was written: an index on an existing table.
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("safety: up.postgres.sql:") && l.contains("CONCURRENTLY")),
                "{lines:?}"
            );
        }
        if *name == "drop-age" {
            assert!(
                lines
                    .iter()
                    .any(|l| l == "warning: column `aut_authors`.`age` is dropped, with its data"),
                "{lines:?}"
            );
        }
        let applied = Migrator::new(load_dir(&dir).unwrap()).run(&t.db).await;
        assert_eq!(
            applied.unwrap_or_else(|e| panic!("step {name}: {e}")).len(),
            1,
            "step {name}"
        );
        schema
            .check(&t.db)
            .await
            .unwrap_or_else(|e| panic!("after step {name}: {e}"));
        if i == 0 {
            let authors = "INSERT INTO {table} (id, status, name) VALUES (1, 'active', 'ann'), (2, 'away', 'bob')";
            exec(t, "aut_authors", authors).await.unwrap();
            let books = "INSERT INTO {table} (id, title, author_id) VALUES (1, 'b1', 1), (2, 'b2', 2)";
            exec(t, "aut_books", books).await.unwrap();
            if t.dialect() == orm_core::Dialect::Sqlite {
                // The AUTOINCREMENT counter passes 3, then the row goes:
                // no rebuild below may hand id 3 out again.
                exec(
                    t,
                    "aut_books",
                    "INSERT INTO {table} (title, author_id) VALUES ('b3', 1)",
                )
                .await
                .unwrap();
                exec(t, "aut_books", "DELETE FROM {table} WHERE id = 3").await.unwrap();
            }
        }
        // No step loses a row: the table rebuilds (SQLite) neither, nor
        // the cascade a rebuilt parent would set off with foreign keys on.
        assert_eq!(
            (count(t, "aut_authors").await, count(t, "aut_books").await),
            (2, 2),
            "after step {name}"
        );
    }
    let ann_bob = vec![Some("ann".to_string()), Some("bob".to_string())];
    assert_eq!(names(t, "full_name").await, ann_bob, "the rename kept the data");
    // The model-level CHECK and unique pair hold, and errors name them.
    let negative = "INSERT INTO {table} (id, status, full_name) VALUES (5, 'gone', '')";
    match exec(t, "aut_authors", negative).await {
        Err(Error::CheckViolation { constraint, .. }) => {
            assert_eq!(constraint.as_deref(), Some("aut_authors_check"))
        }
        other => panic!("expected the table CHECK to refuse: {other:?}"),
    }
    // `full_name` is unique alone too: the pair is checked through the
    // catalog (`check` above), the alone-unique refuses the duplicate here.
    let twin = "INSERT INTO {table} (id, status, full_name) VALUES (7, 'active', 'ann')";
    assert!(matches!(
        exec(t, "aut_authors", twin).await,
        Err(Error::UniqueViolation { .. })
    ));
    // The new enum value is accepted; the foreign key holds.
    let gone = "INSERT INTO {table} (id, status) VALUES (3, 'gone')";
    exec(t, "aut_authors", gone).await.expect("the added enum value");
    if t.dialect() == orm_core::Dialect::Sqlite {
        exec(
            t,
            "aut_books",
            "INSERT INTO {table} (title, author_id) VALUES ('b4', 1)",
        )
        .await
        .unwrap();
        let ids = raw(format!("SELECT MAX(id) FROM {}", t.q("aut_books")))
            .fetch_scalars::<i64, _>(&t.db)
            .await
            .unwrap();
        assert_eq!(ids, [4], "the rebuilds kept the AUTOINCREMENT counter");
        exec(t, "aut_books", "DELETE FROM {table} WHERE id = 4").await.unwrap();
    }
    let orphan = exec(t, "aut_books", ORPHAN_BOOK).await;
    assert!(matches!(orphan, Err(Error::ForeignKeyViolation { .. })), "{orphan:?}");
    exec(t, "aut_authors", "DELETE FROM {table} WHERE id = 3")
        .await
        .unwrap();
    // The join table links authors and tags, and only existing ones.
    exec(t, "aut_tags", "INSERT INTO {table} (id, label) VALUES (1, 'poet')")
        .await
        .unwrap();
    let link = |author: i64| format!("INSERT INTO {{table}} (author_id, tag_id) VALUES ({author}, 1)");
    exec(t, "aut_author_tags", &link(1))
        .await
        .expect("a link between existing rows");
    let dangling = exec(t, "aut_author_tags", &link(99)).await;
    assert!(
        matches!(dangling, Err(Error::ForeignKeyViolation { .. })),
        "{dangling:?}"
    );
    // The composite foreign key holds over both columns.
    exec(
        t,
        "aut_orders",
        "INSERT INTO {table} (tenant_id, order_no) VALUES (1, 1), (2, 2)",
    )
    .await
    .unwrap();
    exec(
        t,
        "aut_lines",
        "INSERT INTO {table} (id, tenant_id, order_no) VALUES (1, 1, 1)",
    )
    .await
    .expect("a line of an existing order");
    let crossed = exec(
        t,
        "aut_lines",
        "INSERT INTO {table} (id, tenant_id, order_no) VALUES (2, 1, 2)",
    )
    .await;
    assert!(matches!(crossed, Err(Error::ForeignKeyViolation { .. })), "{crossed:?}");
    // The models unchanged: nothing to write.
    let (_, last, _) = steps.last().unwrap();
    let before = std::fs::read_dir(&dir).unwrap().count();
    let lines = generate(&dir, "nothing", last, &[]);
    assert!(lines[0].starts_with("No changes"), "{lines:?}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        before,
        "no folder for no change"
    );
    // Back down, one migration at a time, the catalog equal to the models at each.
    let migrator = Migrator::new(load_dir(&dir).unwrap());
    for i in (0..steps.len()).rev() {
        let undone = migrator.undo(&t.db, UndoTarget::Last).await;
        assert_eq!(undone.unwrap_or_else(|e| panic!("undo {}: {e}", steps[i].0)).len(), 1);
        if steps[i].0 == "orders" {
            assert!(!table_exists(t, "aut_lines").await && !table_exists(t, "aut_orders").await);
        }
        if steps[i].0 == "tags" {
            assert!(!table_exists(t, "aut_author_tags").await && !table_exists(t, "aut_tags").await);
        }
        match i.checked_sub(1) {
            Some(prev) => {
                steps[prev]
                    .1
                    .check(&t.db)
                    .await
                    .unwrap_or_else(|e| panic!("after undoing {}: {e}", steps[i].0));
                assert_eq!(count(t, "aut_books").await, 2, "after undoing {}", steps[i].0);
                if prev == 5 {
                    assert_eq!(names(t, "name").await, ann_bob, "the rename undone");
                }
                if prev == 4 {
                    // The foreign key is gone with its migration.
                    exec(t, "aut_books", ORPHAN_BOOK)
                        .await
                        .expect("no foreign key after undoing it");
                    exec(t, "aut_books", "DELETE FROM {table} WHERE id = 3").await.unwrap();
                }
            }
            None => {
                assert!(!table_exists(t, "aut_authors").await && !table_exists(t, "aut_books").await);
            }
        }
    }
    if t.dialect() == Dialect::Sqlite {
        compare_with_golden(&dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every generated script, by step, against `tests/golden/auto/`.
fn compare_with_golden(dir: &Path) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/auto");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut files = vec![(PathBuf::from("schema.json"), dir.join("schema.json"))];
    for (i, f) in folders.iter().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy();
        let step = format!("{}_{}", i + 1, name.split_once('_').unwrap().1);
        let mut scripts: Vec<PathBuf> = std::fs::read_dir(f).unwrap().map(|e| e.unwrap().path()).collect();
        scripts.sort();
        for s in scripts {
            files.push((Path::new(&step).join(s.file_name().unwrap()), s));
        }
    }
    for (rel, path) in files {
        let got = std::fs::read_to_string(&path).unwrap();
        orm_tests::golden(&golden.join(&rel), &got);
    }
}

orm_tests::shared_dialect_tests!(model_changes_migrate_and_undo);

/// The command line: `generate --auto` needs the models, checks its
/// `--rename` hints, and writes a folder per dialect's scripts.
#[tokio::test]
async fn generate_auto_through_the_cli() {
    use clap::Parser;
    use orm_migrate::cli::{Cli, run, run_with};
    let dir = scratch("cli");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "orm-migrate",
            "--dir",
            dir.to_str().unwrap(),
            "generate",
            "--name",
            "first",
            "--auto",
        ];
        a.extend_from_slice(extra);
        Cli::try_parse_from(a).unwrap()
    };
    let err = run(args(&[]), &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("main_with"), "{err}");
    let schema = Schema::new().model::<s1::Author>().model::<s1::Book>();
    let err = run_with(args(&["--rename", "aut_authors.nick:name"]), Some(&schema), &|_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("aut_authors"), "{err}");
    let bad = run_with(args(&["--rename", "no-dot"]), Some(&schema), &|_| {})
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("table.old_column:new_column"), "{bad}");
    assert!(
        Cli::try_parse_from(["orm-migrate", "generate", "--name", "x", "--rename", "a.b:c"]).is_err(),
        "--rename needs --auto"
    );
    let lines = std::sync::Mutex::new(Vec::new());
    run_with(args(&[]), Some(&schema), &|l| lines.lock().unwrap().push(l))
        .await
        .unwrap();
    let lines = lines.into_inner().unwrap();
    assert_eq!(
        lines[1..],
        ["  create table aut_authors", "  create table aut_books"],
        "{lines:?}"
    );
    let folder: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&folder[0])
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "down.mysql.sql",
            "down.postgres.sql",
            "down.sqlite.sql",
            "up.mysql.sql",
            "up.postgres.sql",
            "up.sqlite.sql"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `orm-migrate introspect` as a process: the source on stdout, a column
/// no Rust type maps as a comment there and a warning on stderr.
#[tokio::test]
async fn introspect_through_the_binary() {
    let dir = scratch("introspect");
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    let db = Db::connect(&url).await.unwrap();
    raw("CREATE TABLE line_items (id INTEGER PRIMARY KEY AUTOINCREMENT, sku VARCHAR(20) NOT NULL UNIQUE, qty INTEGER NOT NULL DEFAULT 1, shape GEOMETRY)")
        .execute(&db)
        .await
        .unwrap();
    raw("CREATE TABLE other (id INTEGER PRIMARY KEY)")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_orm-migrate"))
        .args(["--database-url", &url, "introspect", "--tables", "line_items"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("// NOT MAPPED (left out, no Rust type): line_items.shape: GEOMETRY"),
        "{stdout}"
    );
    assert!(
        stdout.contains("#[orm(table = \"line_items\", timestamps = false)]\npub struct LineItem {"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    #[orm(length = 20, unique)]\n    pub sku: String,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    #[orm(default = 1)]\n    pub qty: i64,"),
        "{stdout}"
    );
    assert!(!stdout.contains("struct Other"), "--tables limits the output");
    assert!(
        stderr.contains("warning: line_items.shape: GEOMETRY has no Rust type"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
