//! The shared harness: every integration test is written once and run on
//! SQLite, PostgreSQL and MariaDB/MySQL, each in its own database or schema.
//!
//! Servers come from `ORM_TEST_PG_URL` / `ORM_TEST_MYSQL_URL` (defaults:
//! the local test servers). An unreachable server skips its tests with a
//! printed line, except under `CI=true`, where it fails them.

pub mod models;

/// orm-core under another name, as a crate that re-exports it would have
/// it (models derived with `#[orm(crate = "orm_tests::reexported")]`).
pub use orm_core as reexported;

use orm_core::{Db, Dialect, Scratch};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded, in memory.
    Sqlite,
    /// The local PostgreSQL server.
    Postgres,
    /// The local MariaDB (or MySQL) server.
    MySql,
}

impl Backend {
    /// The server the test namespaces are made on (`None`: a file database).
    pub fn server(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(pg_server()),
            Backend::MySql => Some(mysql_server()),
        }
    }

    /// The ORM dialect for this backend.
    pub fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
            Backend::MySql => Dialect::MySql,
        }
    }
}

/// A database of one's own for one test.
pub struct TestDb {
    /// The pool, connected to the test's own schema/database.
    pub db: Db,
    /// Where it runs.
    pub backend: Backend,
    /// The URL the pool was made from (for tests that make more pools).
    pub url: String,
    namespace: String,
}

fn pg_server() -> String {
    std::env::var("ORM_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_server() -> String {
    std::env::var("ORM_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The PostgreSQL and MySQL server URLs to run a server-side check on
/// (`orm-migrate check --server-url`): the reachable ones, each skipped one
/// printed; in CI all of them (an unreachable server then fails the test).
pub async fn server_urls() -> Vec<String> {
    let mut out = Vec::new();
    for url in [pg_server(), mysql_server()] {
        match orm_core::Db::connect(&url).await {
            Ok(db) => {
                db.close().await;
                out.push(url);
            }
            Err(_) if in_ci() => out.push(url),
            Err(e) => println!("skipped {url}: unreachable ({e})"),
        }
    }
    out
}

/// A short identifier unique to the test.
fn namespace(test: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    test.hash(&mut h);
    let short: String = test
        .rsplit("::")
        .next()
        .unwrap_or(test)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    format!("t_{}_{:08x}", short.to_lowercase(), h.finish() as u32)
}

impl TestDb {
    /// Connect `backend` for the test named `test`, or `None` (with a printed
    /// line) when its server is unreachable outside CI.
    pub async fn setup(backend: Backend, test: &str) -> Option<TestDb> {
        Self::setup_with(backend, test, |b| b).await
    }

    /// Like [`setup`](TestDb::setup), with pool options applied.
    pub async fn setup_with(
        backend: Backend,
        test: &str,
        configure: impl FnOnce(orm_core::DbBuilder) -> orm_core::DbBuilder,
    ) -> Option<TestDb> {
        Self::setup_full(backend, test, false, configure).await
    }

    /// Like [`setup`](TestDb::setup), but SQLite gets a file (so several
    /// pools or processes can share the database).
    pub async fn setup_shared(backend: Backend, test: &str) -> Option<TestDb> {
        Self::setup_full(backend, test, true, |b| b).await
    }

    async fn setup_full(
        backend: Backend,
        test: &str,
        file: bool,
        configure: impl FnOnce(orm_core::DbBuilder) -> orm_core::DbBuilder,
    ) -> Option<TestDb> {
        let ns = namespace(test);
        if let (true, Scratch::File { url, .. }) = (file, backend.dialect().migration().scratch) {
            // A file several pools or processes can share.
            let dir = std::env::temp_dir().join("orm-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{ns}_{}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let url = url(&path.display().to_string());
            let db = configure(Db::builder(url.clone()).max_connections(5))
                .connect()
                .await
                .expect("connect to the test database");
            return Some(TestDb {
                db,
                backend,
                url,
                namespace: ns,
            });
        }
        // Everything else is a sandbox of orm-core's own testing support: a
        // private schema / database (dropped with the last handle) or an
        // in-memory SQLite database.
        let server = match backend.server() {
            Some(server) => {
                Self::admin(backend, &server, test).await?.close().await;
                server
            }
            None => "sqlite::memory:".to_owned(),
        };
        let sandbox = orm_core::testing::sandbox(&server, orm_core::Schema::new(), |b| configure(b.max_connections(5)))
            .await
            .expect("a sandbox for the test");
        Some(TestDb {
            db: sandbox.db,
            backend,
            url: sandbox.url,
            namespace: sandbox.namespace.unwrap_or(ns),
        })
    }

    async fn admin(backend: Backend, url: &str, test: &str) -> Option<Db> {
        match Db::builder(url)
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect()
            .await
        {
            Ok(db) => Some(db),
            Err(e) if !in_ci() => {
                // Written to the real stderr: libtest captures print!/eprint! of passing tests.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {backend:?} test {test}: server unreachable at {url} ({e})"
                );
                None
            }
            Err(e) => panic!("CI=true and the {backend:?} server at {url} is unreachable: {e}"),
        }
    }

    /// The test's schema (PostgreSQL; also the pool's application_name),
    /// database (MariaDB) or namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The dialect under test.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Close the pool; a sandbox's schema/database is dropped with its
    /// last handle, a shared SQLite file removed.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some(path) = self.url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
    }

    /// A placeholder for parameter `n` (1-based) in raw SQL on this backend.
    pub fn ph(&self, n: usize) -> String {
        match self.backend {
            Backend::Postgres => format!("${n}"),
            _ => "?".into(),
        }
    }

    /// `INSERT INTO table (cols..) VALUES (placeholders..)` for raw SQL on this backend.
    pub fn insert_sql(&self, table: &str, columns: &[&str]) -> String {
        let cols: Vec<String> = columns.iter().map(|c| self.q(c)).collect();
        let phs: Vec<String> = (1..=columns.len()).map(|n| self.ph(n)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.q(table),
            cols.join(", "),
            phs.join(", ")
        )
    }

    /// Quote an identifier for raw SQL on this backend.
    pub fn q(&self, ident: &str) -> String {
        self.dialect().quote(ident)
    }
}

/// Generate one `#[tokio::test]` per backend for each listed
/// `async fn name(t: &TestDb)` in the calling file.
#[macro_export]
macro_rules! dialect_tests {
    ($($name:ident),* $(,)?) => {
        $crate::dialect_tests!(@backend sqlite, Sqlite, $($name),*);
        $crate::dialect_tests!(@backend postgres, Postgres, $($name),*);
        $crate::dialect_tests!(@backend mysql, MySql, $($name),*);
    };
    (@backend $module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    if let Some(t) = $crate::TestDb::setup($crate::Backend::$backend, test).await {
                        super::$name(&t).await;
                        t.cleanup().await;
                    }
                }
            )*
        }
    };
}

/// Like [`dialect_tests!`], with [`TestDb::setup_shared`]: SQLite gets a
/// file, so other pools and processes (a CLI run, concurrent runners) see
/// the same database. Each test is a module with `sqlite`, `postgres` and
/// `mysql` tests.
#[macro_export]
macro_rules! shared_dialect_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                async fn run(backend: $crate::Backend) {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    if let Some(t) = $crate::TestDb::setup_shared(backend, test).await {
                        super::$name(&t).await;
                        t.cleanup().await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { run($crate::Backend::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { run($crate::Backend::Postgres).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() { run($crate::Backend::MySql).await }
            }
        )*
    };
}

/// Compare `actual` with the golden file at `path`, or, with
/// `ORM_BLESS=1`, write it there (making its folder). Every golden-file
/// test of the workspace goes through here, so one variable blesses them
/// all.
///
/// ```no_run
/// let source = "pub struct User;";
/// orm_tests::golden(std::path::Path::new("tests/introspected/sqlite.rs"), source);
/// ```
pub fn golden(path: &std::path::Path, actual: &str) {
    if blessing() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("make the golden folder");
        }
        std::fs::write(path, actual).expect("write the golden file");
        return;
    }
    let want = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("no golden file {} (run with ORM_BLESS=1)", path.display()));
    assert_eq!(
        actual,
        want,
        "{} differs from its golden file (ORM_BLESS=1 rewrites it)",
        path.display()
    );
}

/// Whether golden files are being rewritten (`ORM_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var("ORM_BLESS").is_ok_and(|v| v == "1")
}
