//! The runner: takes the lock, re-reads the history, plans, and applies or
//! reverts each migration in a transaction where the dialect allows it.

use crate::fail;
use crate::history::Table;
use crate::lock::MigrationLock;
use crate::plan::{self, Applied, Available, Command, Options, Step, UndoTarget};
use crate::source::{Migration, NO_TRANSACTION};
use crate::split::split_statements;
use orm_core::prelude::*;
use orm_core::{Connection, Executor, ForeignKeySwitch, MigrationErrorKind, MigrationLockKind};
use std::time::{Duration, Instant};

/// What the runner reports as it goes (the CLI prints these); see
/// [`Migrator::on_event`] and the example on [`Migrator`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// About to apply.
    Migrating(String),
    /// Applied, with the time it took.
    Migrated(String, Duration),
    /// About to revert.
    Reverting(String),
    /// Reverted.
    Reverted(String, Duration),
}

impl std::fmt::Display for Event {
    /// Sequelize CLI's lines: `== 20260614120000_add_users: migrated (0.041s)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Migrating(id) => write!(f, "== {id}: migrating ======="),
            Event::Migrated(id, d) => write!(f, "== {id}: migrated ({:.3}s)", d.as_secs_f64()),
            Event::Reverting(id) => write!(f, "== {id}: reverting ======="),
            Event::Reverted(id, d) => write!(f, "== {id}: reverted ({:.3}s)", d.as_secs_f64()),
        }
    }
}

/// One line of `status` (see the example on [`Migrator`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// Version.
    pub version: u64,
    /// `version_name`.
    pub id: String,
    /// `applied`, `pending`, `edited`, `missing` or `dirty`.
    pub state: &'static str,
    /// When it was applied (RFC 3339).
    pub applied_at: Option<String>,
}

type Reporter = Box<dyn Fn(&Event) + Send + Sync>;

/// Runs a set of migrations against a database.
///
/// ```
/// use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
///
/// # async fn demo() -> orm_core::Result<()> {
/// let db = orm_core::Db::connect("sqlite::memory:").await?;
/// let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
/// let migrations = vec![
///     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
///     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
/// ];
/// let migrator = Migrator::new(migrations)
///     .options(Options::default())
///     .on_event(|e: &Event| println!("{e}"));            // `== 20260101000000_users: migrated (0.001s)`
/// assert_eq!(migrator.run(&db).await?, vec![20260101000000, 20260102000000]);
/// let status = migrator.status(&db).await?;
/// assert!(status.iter().all(|row| row.state == "applied"));
/// assert_eq!(migrator.undo(&db, UndoTarget::Last).await?, vec![20260102000000]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub struct Migrator {
    migrations: Vec<Migration>,
    options: Options,
    lock_timeout: Duration,
    reporter: Option<Reporter>,
    /// Where applied ones are recorded (`orm_migrations`, or `orm_seeds`).
    table: Table,
}

/// An error's text without the `migration error:` prefix when it is one
/// already (wrapping it again would repeat the prefix).
/// A guard statement's `kind what` and its count query.
fn guard_of(stmt: &str) -> Option<(&str, &str)> {
    let at = stmt.find(orm_core::MIGRATION_GUARD)?;
    let rest = &stmt[at + orm_core::MIGRATION_GUARD.len()..];
    let (what, query) = rest.split_once('\n')?;
    let query = query.trim();
    (!query.is_empty()).then_some((what.trim(), query))
}

/// A failure inside a script, as the message and kind the migration's own
/// error keeps: a nested migration error's (a guard, a missing script)
/// without its "migration error:" prefix, else the error's text as a
/// failed statement.
fn inner(e: &Error) -> (String, MigrationErrorKind) {
    match e {
        Error::Migration { message, kind } => (message.clone(), *kind),
        other => (other.to_string(), MigrationErrorKind::Script),
    }
}

/// A refused plan as a migration error of the matching kind.
fn refused(e: plan::PlanError) -> Error {
    let kind = match &e {
        plan::PlanError::Dirty(_) => MigrationErrorKind::Dirty,
        plan::PlanError::Edited(_) => MigrationErrorKind::Edited,
        plan::PlanError::Missing(_) => MigrationErrorKind::Missing,
        plan::PlanError::OutOfOrder { .. } => MigrationErrorKind::OutOfOrder,
        plan::PlanError::UnknownTarget(_) => MigrationErrorKind::UnknownVersion,
    };
    fail(kind, e.to_string())
}

impl Migrator {
    /// A runner for these migrations (any order).
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// assert_eq!(migrator.run(&db).await?.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn new(mut migrations: Vec<Migration>) -> Migrator {
        migrations.sort_by_key(|m| m.version);
        Migrator {
            migrations,
            options: Options::default(),
            lock_timeout: Duration::from_secs(60),
            reporter: None,
            table: Table::Migrations,
        }
    }

    /// A runner for seeders: the same folders, scripts, locking, planning
    /// and output as migrations, recorded in `orm_seeds` instead of
    /// `orm_migrations` (so the two histories are independent).
    ///
    /// ```
    /// # async fn demo() -> orm_core::Result<()> {
    /// use orm_migrate::{Migration, Migrator, UndoTarget};
    /// let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// orm_core::raw("CREATE TABLE tags (name TEXT)").execute(&db).await?;
    /// let files = vec![
    ///     ("up.sql".to_string(), "INSERT INTO tags (name) VALUES ('rust')".to_string()),
    ///     ("down.sql".to_string(), "DELETE FROM tags WHERE name = 'rust'".to_string()),
    /// ];
    /// let seeders = Migrator::seeders(vec![Migration::new("20260101000000_demo_tags", files)?]);
    /// assert_eq!(seeders.run(&db).await?, vec![20260101000000]);
    /// assert_eq!(seeders.run(&db).await?, Vec::<u64>::new());   // once
    /// assert_eq!(seeders.undo(&db, UndoTarget::All).await?, vec![20260101000000]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn seeders(seeders: Vec<Migration>) -> Migrator {
        Migrator {
            table: Table::Seeds,
            ..Migrator::new(seeders)
        }
    }

    /// Checks to relax (`--allow-edited`, `--allow-out-of-order`).
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?).options(Options { allow_edited: true, ..Options::default() });
    /// migrator.run(&db).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// How long to wait for another runner's lock (default 60 s).
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?).lock_timeout(std::time::Duration::from_secs(5));
    /// migrator.run(&db).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Call `f` for every migration started and finished.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let sink = lines.clone();
    /// let migrator = Migrator::new(migrations()?).on_event(move |e: &Event| sink.lock().unwrap().push(e.to_string()));
    /// migrator.run(&db).await?;
    /// assert!(lines.lock().unwrap()[0].starts_with("== 20260101000000_users: migrating"));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn on_event(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.reporter = Some(Box::new(f));
        self
    }

    fn report(&self, e: Event) {
        if let Some(r) = &self.reporter {
            r(&e);
        }
    }

    fn find(&self, version: u64) -> Result<&Migration> {
        self.migrations.iter().find(|m| m.version == version).ok_or_else(|| {
            fail(
                MigrationErrorKind::UnknownVersion,
                format!("no migration with version {version}"),
            )
        })
    }

    fn available(&self, d: Dialect) -> Vec<Available> {
        self.migrations
            .iter()
            .map(|m| Available {
                version: m.version,
                id: m.id(),
                script: m.up(d).map(|(path, _)| path).unwrap_or_else(|| m.id()),
                checksum: m.checksum(d),
            })
            .collect()
    }

    /// Apply every pending migration; returns the versions applied.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// assert_eq!(migrator.run(&db).await?, [20260101000000, 20260102000000]);
    /// assert!(migrator.run(&db).await?.is_empty(), "nothing pending");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn run(&self, db: &Db) -> Result<Vec<u64>> {
        self.execute(db, Command::Migrate).await
    }

    /// The safety lint's findings ([`crate::safety`]) for the up scripts of
    /// the migrations `run` would apply on `db`'s dialect, each with its
    /// file (`<version>_<name>/up.sql`). Nothing is applied.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// assert!(migrator.check_safety(&db).await?.is_empty(), "SQLite has no lint rules");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn check_safety(&self, db: &Db) -> Result<Vec<(String, crate::safety::SafetyWarning)>> {
        let db = &db.primary();
        let d = db.dialect();
        let mut out = Vec::new();
        for step in self.plan_on(db, Command::Migrate).await? {
            if let Step::Apply(v) = step {
                let m = self.find(v)?;
                let (file, sql) = Self::script(m, d, true)?;
                out.extend(crate::safety::lint(&sql, d).into_iter().map(|w| (file.clone(), w)));
            }
        }
        Ok(out)
    }

    /// Revert migrations; returns the versions reverted.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// migrator.run(&db).await?;
    /// assert_eq!(migrator.undo(&db, UndoTarget::All).await?, [20260102000000, 20260101000000]);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn undo(&self, db: &Db, target: UndoTarget) -> Result<Vec<u64>> {
        self.execute(db, Command::Undo(target)).await
    }

    /// Revert the last migration and apply it again.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// migrator.run(&db).await?;
    /// assert_eq!(migrator.redo(&db).await?, [20260102000000, 20260102000000]); // reverted, then applied
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn redo(&self, db: &Db) -> Result<Vec<u64>> {
        self.execute(db, Command::Redo).await
    }

    /// Forget migrations left dirty by a failure (after the database was
    /// fixed by hand), so they run again; returns their versions.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// migrator.run(&db).await?;
    /// assert!(migrator.repair(&db).await?.is_empty(), "nothing was left dirty");
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn repair(&self, db: &Db) -> Result<Vec<u64>> {
        // Migrations act on the primary, never on a read replica.
        let db = &db.primary();
        self.table.sync(db).await?;
        self.table.remove_dirty(db).await
    }

    /// Every migration with its state.
    ///
    /// ```
    /// # use orm_migrate::{Event, Migration, Migrator, Options, UndoTarget};
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = orm_core::Db::connect("sqlite::memory:").await?;
    /// # let files = |up: &str, down: &str| vec![("up.sql".to_string(), up.to_string()), ("down.sql".to_string(), down.to_string())];
    /// # let migrations = || -> orm_core::Result<Vec<Migration>> { Ok(vec![
    /// #     Migration::new("20260101000000_users", files("CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users"))?,
    /// #     Migration::new("20260102000000_posts", files("CREATE TABLE posts (id INTEGER PRIMARY KEY)", "DROP TABLE posts"))?,
    /// # ]) };
    /// let migrator = Migrator::new(migrations()?);
    /// migrator.run(&db).await?;
    /// let rows = migrator.status(&db).await?;
    /// assert!(rows.iter().all(|r| r.state == "applied"));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn status(&self, db: &Db) -> Result<Vec<StatusRow>> {
        let db = &db.primary();
        self.table.sync(db).await?;
        let rows = self.table.entries(db).await?;
        let d = db.dialect();
        let mut out = Vec::new();
        for m in &self.migrations {
            let row = rows.iter().find(|r| r.version == m.version);
            let state = match row {
                None => "pending",
                Some(r) if r.dirty => "dirty",
                Some(r) if r.checksum != m.checksum(d) => "edited",
                Some(_) => "applied",
            };
            out.push(StatusRow {
                version: m.version,
                id: m.id(),
                state,
                applied_at: row.map(|r| r.applied_at.to_rfc3339()),
            });
        }
        for r in rows
            .iter()
            .filter(|r| !self.migrations.iter().any(|m| m.version == r.version))
        {
            out.push(StatusRow {
                version: r.version,
                id: format!("{}_{}", r.version, r.name),
                state: "missing",
                applied_at: Some(r.applied_at.to_rfc3339()),
            });
        }
        out.sort_by_key(|r| r.version);
        Ok(out)
    }

    async fn plan_on<E: Executor + ?Sized>(&self, db: &E, cmd: Command) -> Result<Vec<Step>> {
        self.table.sync(db).await?;
        let applied: Vec<Applied> = self.table.entries(db).await?.iter().map(|e| e.applied()).collect();
        let available = self.available(db.dialect());
        let steps = plan::plan(&applied, &available, cmd, self.options).map_err(refused)?;
        if self.options.allow_edited {
            // Accepting an edit records the new checksum, so later runs
            // without the flag are not refused again.
            for a in &applied {
                if let Some(m) = available
                    .iter()
                    .find(|m| m.version == a.version && m.checksum != a.checksum)
                {
                    self.table
                        .set(db, a.version, Some(m.checksum.clone()), None, None)
                        .await?;
                }
            }
        }
        Ok(steps)
    }

    async fn execute(&self, db: &Db, cmd: Command) -> Result<Vec<u64>> {
        // Migrations act on the primary, never on a read replica.
        let db = &db.primary();
        match db.dialect().migration().lock {
            MigrationLockKind::Transaction => self.execute_in_transaction(db, cmd).await,
            MigrationLockKind::Advisory { .. } => {
                let lock = MigrationLock::acquire(db, self.lock_timeout).await?;
                let result = self.execute_locked(lock.conn(), cmd).await;
                lock.release().await;
                result
            }
        }
    }

    /// Everything runs on the connection that holds the lock.
    async fn execute_locked(&self, conn: &Connection, cmd: Command) -> Result<Vec<u64>> {
        // Read the history only now that the lock is held.
        let steps = self.plan_on(conn, cmd).await?;
        let mut done = Vec::new();
        for step in steps {
            match step {
                Step::Apply(v) => self.step_server(conn, self.find(v)?, true).await?,
                Step::Revert(v) => self.step_server(conn, self.find(v)?, false).await?,
            }
            done.push(match step {
                Step::Apply(v) | Step::Revert(v) => v,
            });
        }
        Ok(done)
    }

    /// A backend whose transaction is the lock (SQLite's `BEGIN
    /// IMMEDIATE`): one transaction, a savepoint per step. When a planned
    /// script starts with [`FOREIGN_KEYS_OFF`](orm_core::FOREIGN_KEYS_OFF)
    /// (a table rebuild), foreign keys go off on the connection before the
    /// transaction (they cannot change inside one, `rebuild_foreign_keys`)
    /// and are checked before each step's savepoint is released.
    async fn execute_in_transaction(&self, db: &Db, cmd: Command) -> Result<Vec<u64>> {
        let d = db.dialect();
        let switch = d.migration().rebuild_foreign_keys;
        let conn = db.acquire().await?;
        let mut keys_off = None;
        let result = loop {
            let tx = conn.begin().await.map_err(|e| {
                fail(
                    MigrationErrorKind::Locked,
                    format!("could not take the migration lock: {e}"),
                )
            })?;
            let steps = match self.plan_on(&tx, cmd).await {
                Ok(steps) => steps,
                Err(e) => break Err(e),
            };
            if let Some(switch) = switch
                && keys_off.is_none()
                && steps.iter().any(|s| self.turns_keys_off(d, *s))
            {
                tx.rollback().await?;
                conn.execute_script(switch.off).await?;
                keys_off = Some(switch);
                continue;
            }
            break self.run_steps_in(tx, steps, keys_off).await;
        };
        if let Some(switch) = keys_off {
            conn.execute_script(switch.on).await?;
        }
        conn.release().await;
        result
    }

    fn turns_keys_off(&self, d: Dialect, step: Step) -> bool {
        let (Step::Apply(v) | Step::Revert(v)) = step;
        let up = matches!(step, Step::Apply(_));
        self.find(v)
            .ok()
            .and_then(|m| if up { m.up(d) } else { m.down(d) })
            .is_some_and(|(_, sql)| sql.trim_start().starts_with(orm_core::FOREIGN_KEYS_OFF))
    }

    async fn run_steps_in(
        &self,
        tx: orm_core::Transaction,
        steps: Vec<Step>,
        check_keys: Option<ForeignKeySwitch>,
    ) -> Result<Vec<u64>> {
        let script = async |t: &orm_core::Transaction, s: &str| t.execute_script(s).await;
        let mut done = Vec::new();
        let mut failure = None;
        for step in steps {
            let sp = tx.begin().await?;
            let res = match step {
                Step::Apply(v) => self.step_in(&sp, self.find(v)?, true, script).await,
                Step::Revert(v) => self.step_in(&sp, self.find(v)?, false, script).await,
            };
            let res = match (res, check_keys) {
                (Ok(()), Some(switch)) => broken_keys(&sp, switch).await,
                (other, _) => other,
            };
            match res {
                Ok(()) => {
                    sp.commit().await?;
                    done.push(match step {
                        Step::Apply(v) | Step::Revert(v) => v,
                    });
                }
                Err(e) => {
                    sp.rollback().await?;
                    failure = Some(e);
                    break;
                }
            }
        }
        tx.commit().await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    fn script(m: &Migration, d: Dialect, up: bool) -> Result<(String, String)> {
        let found = if up { m.up(d) } else { m.down(d) };
        found.map(|(f, s)| (f, s.to_owned())).ok_or_else(|| {
            fail(
                MigrationErrorKind::MissingScript,
                format!("{} has no {} script for {d:?}", m.id(), if up { "up" } else { "down" }),
            )
        })
    }

    /// Run a script's statements; the error names the file and statement.
    /// The script's guards (`generate --auto` writes one before a change
    /// that may lose values or meet NULLs): each counts the rows that would
    /// not survive; one that counts any fails the migration before anything
    /// of the script ran.
    async fn run_guards<E: Executor + ?Sized>(exec: &E, file: &str, sql: &str) -> Result<()> {
        for stmt in split_statements(sql) {
            let Some((what, query)) = guard_of(&stmt) else { continue };
            let found: Vec<i64> = raw(query).fetch_scalars(exec).await.map_err(|e| {
                fail(
                    MigrationErrorKind::Script,
                    format!("{file}: the guard for {what} could not run: {e}"),
                )
            })?;
            let n = found.first().copied().unwrap_or(0);
            if n > 0 {
                let (kind, what) = what.split_once(' ').unwrap_or(("lossy", what));
                let kind = if kind == "not-null" {
                    "not null violation"
                } else {
                    "lossy change refused"
                };
                return Err(fail(
                    MigrationErrorKind::Guarded,
                    format!("{file}: {kind}: {n} stored row(s) would not survive {what}; nothing was changed"),
                ));
            }
        }
        Ok(())
    }

    async fn run_script<E: Executor + ?Sized>(
        exec: &E,
        file: &str,
        sql: &str,
        run: impl AsyncFn(&E, &str) -> Result<()>,
    ) -> Result<()> {
        for (i, stmt) in split_statements(sql).iter().enumerate() {
            if guard_of(stmt).is_some() {
                continue; // ran first (`run_guards`)
            }
            if let Err(e) = run(exec, stmt).await {
                let excerpt: String = stmt
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(80)
                    .collect();
                return Err(fail(
                    MigrationErrorKind::Script,
                    format!("{file}, statement {} (`{excerpt}`): {e}", i + 1),
                ));
            }
        }
        Ok(())
    }

    async fn record<E: Executor + ?Sized>(
        &self,
        exec: &E,
        m: &Migration,
        d: Dialect,
        started: Instant,
        dirty: bool,
    ) -> Result<()> {
        let ms = started.elapsed().as_millis() as i64;
        self.table
            .record(exec, m.version, &m.name, m.checksum(d), ms, dirty)
            .await
    }

    fn start_event(m: &Migration, up: bool) -> Event {
        if up {
            Event::Migrating(m.id())
        } else {
            Event::Reverting(m.id())
        }
    }

    fn done_event(m: &Migration, up: bool, started: Instant) -> Event {
        if up {
            Event::Migrated(m.id(), started.elapsed())
        } else {
            Event::Reverted(m.id(), started.elapsed())
        }
    }

    /// Apply (`up`) or revert one migration: its statements, then its
    /// history row (recorded or removed). The caller wraps both in a
    /// transaction where the dialect allows it.
    async fn step_in<E: Executor + ?Sized>(
        &self,
        exec: &E,
        m: &Migration,
        up: bool,
        run: impl AsyncFn(&E, &str) -> Result<()>,
    ) -> Result<()> {
        let d = exec.dialect();
        let (file, sql) = Self::script(m, d, up)?;
        Self::run_guards(exec, &file, &sql).await?;
        self.report(Self::start_event(m, up));
        let started = Instant::now();
        Self::run_script(exec, &file, &sql, run).await?;
        if up {
            self.record(exec, m, d, started, false).await?;
        } else {
            self.table.remove(exec, m.version).await?;
        }
        self.report(Self::done_event(m, up, started));
        Ok(())
    }

    /// On the lock connection. PostgreSQL: in a transaction unless the
    /// script opts out. MySQL: DDL commits implicitly, so the history row is
    /// marked dirty (and committed) first and settled only when the script
    /// finished.
    async fn step_server(&self, conn: &Connection, m: &Migration, up: bool) -> Result<()> {
        let d = conn.dialect();
        let (file, sql) = Self::script(m, d, up)?;
        let script = async |c: &Connection, s: &str| c.execute_script(s).await;
        if d.transactional_ddl() {
            if sql.trim_start().starts_with(NO_TRANSACTION) {
                return self.step_in(conn, m, up, script).await;
            }
            let script = async |t: &Transaction, s: &str| t.execute_script(s).await;
            return conn.transaction(async |tx| self.step_in(tx, m, up, script).await).await;
        }
        // Before the history row is marked dirty: a refused guard changed nothing.
        Self::run_guards(conn, &file, &sql).await?;
        self.report(Self::start_event(m, up));
        let started = Instant::now();
        if up {
            self.record(conn, m, d, started, true).await?;
        } else {
            self.table.set(conn, m.version, None, Some(true), None).await?;
        }
        Self::run_script(conn, &file, &sql, script).await.map_err(|e| {
            let (message, kind) = inner(&e);
            fail(
                kind,
                format!(
                    "{message}; {} is marked dirty: fix the database by hand, then run `orm-migrate repair`",
                    m.id()
                ),
            )
        })?;
        if up {
            let ms = started.elapsed().as_millis() as i64;
            self.table.set(conn, m.version, None, Some(false), Some(ms)).await?;
        } else {
            self.table.remove(conn, m.version).await?;
        }
        self.report(Self::done_event(m, up, started));
        Ok(())
    }
}

/// With foreign keys off, what a step left pointing nowhere, as an error.
async fn broken_keys(tx: &orm_core::Transaction, switch: ForeignKeySwitch) -> Result<()> {
    let rows: Vec<(String, i64, String)> = orm_core::raw(switch.violations).fetch_as(tx).await?;
    match rows.first() {
        None => Ok(()),
        Some((table, rowid, parent)) => Err(fail(
            MigrationErrorKind::BrokenForeignKeys,
            format!(
                "{} row(s) would reference rows that are gone (first: `{table}` rowid {rowid} -> `{parent}`); nothing was applied",
                rows.len()
            ),
        )),
    }
}
