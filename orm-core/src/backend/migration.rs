//! What migrations and schema tooling need to know about a database, as
//! data each backend must supply ([`Dialect::migration`](crate::Dialect::migration)).
//! orm-migrate reads it and never asks which database it has.

/// How migrations and tooling work on one database.
#[derive(Debug)]
#[non_exhaustive]
pub struct MigrationSupport {
    /// How concurrent runners are kept apart.
    pub lock: MigrationLockKind,
    /// How foreign keys are switched off around a table rebuild and the
    /// rows it broke found; `None` where no rebuild needs it.
    pub rebuild_foreign_keys: Option<ForeignKeySwitch>,
    /// How `orm-migrate check` makes a private place to apply the
    /// migrations to.
    pub scratch: Scratch,
    /// The safety lint's rules: the findings, `(problem, safer form)`, for
    /// one statement given as normalized text (upper case, comments and
    /// identifier quotes removed, whitespace runs as one space).
    pub safety_rules: fn(&str) -> Vec<(&'static str, &'static str)>,
}

/// How the migration lock is taken. Exhaustive on purpose: a new kind is
/// a compile error in orm-migrate until it knows how to run with it.
#[derive(Debug, Clone, Copy)]
pub enum MigrationLockKind {
    /// A lock held on a dedicated connection: `try_lock` answers 1 (taken)
    /// or 0 (held elsewhere) without waiting, `unlock` gives it back.
    Advisory {
        /// Take the lock, answering 1 or 0 as a BIGINT.
        try_lock: &'static str,
        /// Give the lock back.
        unlock: &'static str,
    },
    /// The runner's write transaction is the lock (SQLite's
    /// `BEGIN IMMEDIATE`); each migration runs in a savepoint inside it.
    Transaction,
}

/// Statements that switch foreign keys off and on (outside a transaction)
/// and list the rows left pointing nowhere.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKeySwitch {
    /// Switch foreign-key enforcement off on the connection.
    pub off: &'static str,
    /// Switch it on again.
    pub on: &'static str,
    /// `(table, row id, parent table)` of every row whose parent is gone.
    pub violations: &'static str,
}

/// A private place to apply migrations or run a test in (exhaustive, as
/// [`MigrationLockKind`]): `orm-migrate check` and
/// [`testing::fresh`](crate::testing::fresh) make theirs from it.
#[derive(Debug, Clone, Copy)]
pub enum Scratch {
    /// A namespace on the server (a PostgreSQL schema, a MariaDB database).
    Namespace {
        /// The statement that makes the namespace `name`.
        create: fn(name: &str) -> String,
        /// The statement that drops it with everything in it.
        drop: fn(name: &str) -> String,
        /// A URL like `server` whose connections work in `name`.
        url: fn(server: &str, name: &str) -> String,
        /// The names of every namespace on the server, one text column
        /// (for sweeping what a test process that died left behind).
        list: &'static str,
    },
    /// A database file of its own (SQLite): the tool makes a temporary file.
    File {
        /// The URL of the database in the file at `path`.
        url: fn(path: &str) -> String,
        /// The URL of a database private to its pool that vanishes with it.
        memory: &'static str,
    },
}
