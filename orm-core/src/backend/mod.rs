//! One home per database, and the registry that lists them.
//!
//! Each folder holds everything the ORM knows about one database: its SQL
//! dialect (`dialect.rs`: rendering hooks, capabilities, value limits, error
//! classification), its catalog (`catalog.rs`: the queries `introspect` and
//! `Schema::check` read and the type map), its driver (`driver.rs`; SQLite
//! with `pool.rs`, `values.rs`, `functions.rs`), and its migration data
//! (`mod.rs`: how migrations lock, how foreign keys are switched off around
//! a table rebuild, how a scratch namespace is made, the safety lint's
//! rules). The shared traits stay with the layers that use them
//! ([`SqlDialect`] in `dialect.rs`, [`Catalog`] in `schema/catalog.rs`,
//! `Driver` in `driver/mod.rs`, [`MigrationSupport`] in `migration.rs`).
//!
//! The registry below is the one place that names every database: a
//! [`Dialect`] variant and a [`Backend`] row (name, URL schemes, dialect,
//! catalog, connect, migration data), read by [`Dialect::from_url`],
//! [`Dialect::name`], `Db::connect`, orm-migrate and the test harness.
//! Adding a database is a folder, a variant and a row; the one exhaustive
//! `match` in [`backend`] then asks for the rest.

pub(crate) mod migration;
pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::dialect::SqlDialect;
use crate::driver::{ConnectOptions, Connected};
use crate::error::{Error, Result};
use crate::schema::catalog::Catalog;
use futures_util::future::BoxFuture;
use migration::MigrationSupport;

/// A SQL dialect the ORM can generate SQL for: one per database the
/// registry lists.
///
/// ```
/// use orm_core::Dialect;
/// assert_eq!(Dialect::from_url("postgres://localhost/db").unwrap(), Dialect::Postgres);
/// assert_eq!(Dialect::from_url("mariadb://localhost/db").unwrap(), Dialect::MySql);
/// assert_eq!(Dialect::from_url("sqlite::memory:").unwrap(), Dialect::Sqlite);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

/// How a pool is opened for one database.
pub(crate) type ConnectFn = for<'a> fn(&'a ConnectOptions) -> BoxFuture<'a, Result<Connected>>;

/// One database in the registry.
pub(crate) struct Backend {
    /// Its variant.
    pub dialect: Dialect,
    /// Its short name, as in per-dialect file names (`up.postgres.sql`).
    pub name: &'static str,
    /// Its name in OpenTelemetry's `db.system.name` attribute.
    pub otel_name: &'static str,
    /// The URL schemes that select it (`postgres`, `postgresql`).
    pub schemes: &'static [&'static str],
    /// Its SQL rendering.
    pub sql: &'static dyn SqlDialect,
    /// Its catalog queries and type map.
    pub catalog: &'static dyn Catalog,
    /// Opens a pool (an error naming the feature where built without it).
    pub connect: ConnectFn,
    /// What migrations and tooling need to know.
    pub migration: &'static MigrationSupport,
}

static POSTGRES: Backend = Backend {
    dialect: Dialect::Postgres,
    name: "postgres",
    otel_name: "postgresql",
    schemes: &["postgres", "postgresql"],
    sql: &postgres::dialect::Postgres,
    catalog: &postgres::catalog::PostgresCatalog,
    connect: postgres::connect,
    migration: &postgres::MIGRATION,
};

static MYSQL: Backend = Backend {
    dialect: Dialect::MySql,
    name: "mysql",
    otel_name: "mysql",
    schemes: &["mysql", "mariadb"],
    sql: &mysql::dialect::MySql,
    catalog: &mysql::catalog::MySqlCatalog,
    connect: mysql::connect,
    migration: &mysql::MIGRATION,
};

static SQLITE: Backend = Backend {
    dialect: Dialect::Sqlite,
    name: "sqlite",
    otel_name: "sqlite",
    schemes: &["sqlite"],
    sql: &sqlite::dialect::Sqlite,
    catalog: &sqlite::catalog::SqliteCatalog,
    connect: sqlite::connect,
    migration: &sqlite::MIGRATION,
};

/// Every database, in the order tools list them.
pub(crate) static BACKENDS: [&Backend; 3] = [&POSTGRES, &MYSQL, &SQLITE];

/// The registry row of `d`: the one exhaustive `match` on a dialect.
pub(crate) fn backend(d: Dialect) -> &'static Backend {
    match d {
        Dialect::Postgres => &POSTGRES,
        Dialect::MySql => &MYSQL,
        Dialect::Sqlite => &SQLITE,
    }
}

/// The error a backend's `connect` returns when orm-core was built
/// without its feature.
#[allow(dead_code)]
pub(crate) fn without_feature(feature: &'static str) -> BoxFuture<'static, Result<Connected>> {
    Box::pin(async move {
        Err(Error::Connection {
            message: format!("orm-core was built without the `{feature}` feature"),
        })
    })
}

#[allow(non_upper_case_globals)]
impl Dialect {
    /// The dialect's short name (`postgres`, `mysql`, `sqlite`), as in
    /// per-dialect file names (`up.postgres.sql`).
    ///
    /// ```
    /// assert_eq!(orm_core::Dialect::MySql.name(), "mysql");
    /// ```
    pub fn name(self) -> &'static str {
        backend(self).name
    }

    /// Every dialect the registry lists, in a fixed order (PostgreSQL,
    /// MySQL/MariaDB, SQLite): what `generate --auto` writes scripts for.
    ///
    /// ```
    /// use orm_core::Dialect;
    /// let names: Vec<&str> = Dialect::all().map(Dialect::name).collect();
    /// assert_eq!(names, ["postgres", "mysql", "sqlite"]);
    /// ```
    pub fn all() -> impl Iterator<Item = Dialect> {
        BACKENDS.iter().map(|b| b.dialect)
    }

    /// Whether DDL runs inside a transaction (and is rolled back with it):
    /// PostgreSQL and SQLite, not MySQL/MariaDB.
    ///
    /// ```
    /// use orm_core::Dialect;
    /// assert!(Dialect::Postgres.transactional_ddl());
    /// assert!(!Dialect::MySql.transactional_ddl());
    /// ```
    pub fn transactional_ddl(self) -> bool {
        self.sql().caps().transactional_ddl
    }

    /// What migrations and tooling need to know about this database: how
    /// the migration lock is taken, how foreign keys are switched off
    /// around a table rebuild, how a scratch namespace is made, and the
    /// safety lint's rules.
    ///
    /// ```
    /// use orm_core::{Dialect, MigrationLockKind};
    /// assert!(matches!(Dialect::Sqlite.migration().lock, MigrationLockKind::Transaction));
    /// assert!(matches!(Dialect::Postgres.migration().lock, MigrationLockKind::Advisory { .. }));
    /// ```
    pub fn migration(self) -> &'static MigrationSupport {
        backend(self).migration
    }

    /// Alias of [`Dialect::MySql`].
    pub const Mysql: Dialect = Dialect::MySql;
    /// MariaDB speaks the MySQL dialect.
    pub const MariaDb: Dialect = Dialect::MySql;
    /// Alias of [`Dialect::MySql`].
    pub const MySQL: Dialect = Dialect::MySql;
    /// Alias of [`Dialect::Sqlite`].
    pub const SQLite: Dialect = Dialect::Sqlite;
    /// Alias of [`Dialect::Postgres`].
    pub const PostgreSql: Dialect = Dialect::Postgres;

    /// The dialect named by a connection URL's scheme.
    pub fn from_url(url: &str) -> Result<Dialect, Error> {
        let scheme = url.split(':').next().unwrap_or_default();
        if let Some(b) = BACKENDS.iter().find(|b| b.schemes.contains(&scheme)) {
            return Ok(b.dialect);
        }
        let known: Vec<String> = BACKENDS
            .iter()
            .flat_map(|b| b.schemes)
            .map(|s| {
                if *s == "sqlite" {
                    "sqlite:".to_owned()
                } else {
                    format!("{s}://")
                }
            })
            .collect();
        Err(Error::Connection {
            message: format!(
                "unsupported database URL scheme `{scheme}`: expected {}",
                known.join(", ").replacen(", sqlite:", " or sqlite:", 1)
            ),
        })
    }

    pub(crate) fn sql(self) -> &'static dyn SqlDialect {
        backend(self).sql
    }

    pub(crate) fn catalog(self) -> &'static dyn Catalog {
        backend(self).catalog
    }

    pub(crate) fn otel_name(self) -> &'static str {
        backend(self).otel_name
    }

    /// Quote an identifier for this dialect.
    ///
    /// ```
    /// use orm_core::Dialect;
    /// assert_eq!(Dialect::Postgres.quote("users"), "\"users\"");
    /// assert_eq!(Dialect::MySql.quote("users"), "`users`");
    /// ```
    pub fn quote(self, ident: &str) -> String {
        let mut s = String::new();
        self.sql().quote_ident(ident, &mut s);
        s
    }
}

/// Open a pool for `dialect`, through its registry row.
pub(crate) async fn connect(dialect: Dialect, opts: &ConnectOptions) -> Result<Connected> {
    (backend(dialect).connect)(opts).await
}
