//! Databases of one's own for tests: [`fresh`] gives each test a private
//! PostgreSQL schema, MariaDB/MySQL database or SQLite in-memory database
//! with the models synced, dropped when the last handle to it drops. Tests
//! running in parallel against one server never see each other's rows (as
//! Ecto's SQL sandbox does for Elixir, with a namespace instead of a
//! rolled-back transaction, so the code under test may commit, open
//! transactions of its own and use several connections).
//!
//! ```
//! use orm_core::prelude::*;
//!
//! #[derive(Model, Debug, Clone)]
//! struct Note { id: i64, text: String }
//!
//! # async fn demo() -> orm_core::Result<()> {
//! // In a test: the server's URL (here SQLite, which needs none).
//! let db = orm_core::testing::fresh("sqlite::memory:", Schema::new().model::<Note>()).await?;
//! Note::create(&db, NewNote { text: "mine alone".into() }).await?;
//! assert_eq!(Note::find().count(&db).await?, 1);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! How a namespace is made, reached and dropped is each backend's
//! migration data ([`Scratch`]). Namespaces are named
//! `orm_fresh_<host>_<pid>_<n>`; each `fresh` drops the ones a process of
//! the same host left behind when it died (its pid no longer runs), so a
//! killed test run leaks nothing for long.

use crate::backend::Dialect;
use crate::backend::migration::Scratch;
use crate::db::{Db, DbBuilder};
use crate::error::Result;
use crate::raw::raw;
use crate::schema::Schema;
use std::sync::atomic::{AtomicU64, Ordering};

/// The prefix of every namespace [`fresh`] makes.
const PREFIX: &str = "orm_fresh_";

/// A database of one's own at the server `url`, with `schema`'s tables
/// created: a new PostgreSQL schema or MariaDB/MySQL database (dropped
/// when the last clone of the returned [`Db`] drops), or a new SQLite
/// in-memory database (`url` may then be any SQLite URL).
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, name: String }
/// # async fn demo() -> orm_core::Result<()> {
/// let db = orm_core::testing::fresh("postgres://postgres@127.0.0.1/test", Schema::new().model::<User>()).await?;
/// assert_eq!(User::find().count(&db).await?, 0);
/// # Ok(()) }
/// ```
pub async fn fresh(url: impl AsRef<str>, schema: Schema) -> Result<Db> {
    Ok(sandbox(url, schema, |b| b).await?.db)
}

/// What [`sandbox`] made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sandbox {
    /// The pool, in the private namespace; the namespace is dropped when
    /// the last clone of it drops.
    pub db: Db,
    /// The URL the pool was made from: more pools (or processes) on it
    /// share the namespace.
    pub url: String,
    /// The schema's or database's name (`None` for an in-memory SQLite
    /// database, which has none).
    pub namespace: Option<String>,
}

/// [`fresh`] with pool settings (`max_connections`, timeouts, logging),
/// answering with the namespace's name and URL too.
///
/// ```
/// # use orm_core::prelude::*;
/// # async fn demo() -> orm_core::Result<()> {
/// let sb = orm_core::testing::sandbox("sqlite::memory:", Schema::new(), |b| b.max_connections(2)).await?;
/// sb.db.authenticate().await?;
/// assert_eq!(sb.namespace, None);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub async fn sandbox(
    url: impl AsRef<str>,
    schema: Schema,
    configure: impl FnOnce(DbBuilder) -> DbBuilder,
) -> Result<Sandbox> {
    let server = url.as_ref();
    let dialect = Dialect::from_url(server)?;
    let (url, namespace) = match dialect.migration().scratch {
        Scratch::File { memory, .. } => (memory.to_owned(), None),
        Scratch::Namespace {
            create,
            drop,
            url,
            list,
        } => {
            let name = next_name();
            let admin = admin(server).await?;
            sweep(&admin, list, drop).await;
            let made = raw(create(&name)).execute(&admin).await;
            admin.close().await;
            made?;
            (url(server, &name), Some((name, drop)))
        }
    };
    let drop_sql = namespace.as_ref().map(|(name, drop)| drop(name));
    let mut builder = configure(Db::builder(url.clone()));
    if let Some(sql) = drop_sql.clone() {
        let server = server.to_owned();
        builder.on_last_drop = Some(Box::new(move || drop_on_own_thread(server, sql)));
    }
    let db = match builder.connect().await {
        Ok(db) => db,
        Err(e) => {
            if let Some(sql) = drop_sql {
                let admin = admin(server).await?;
                let _ = raw(sql).execute(&admin).await;
                admin.close().await;
            }
            return Err(e);
        }
    };
    // Dropped on failure too: `db` is the only handle.
    schema.sync(&db).await?;
    Ok(Sandbox {
        db,
        url,
        namespace: namespace.map(|(name, _)| name),
    })
}

/// `orm_fresh_<host>_<pid>_<n>`, unique in the process.
fn next_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}{}_{}",
        host_prefix(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The start of every namespace name [`fresh`] makes on this host,
/// `orm_fresh_<six hex digits of the host's name>_`; the pid of the
/// process that made it follows. Namespaces of other hosts sharing the
/// server are never swept.
///
/// ```
/// assert!(orm_core::testing::host_prefix().starts_with("orm_fresh_"));
/// ```
pub fn host_prefix() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        host.trim().hash(&mut h);
        format!("{PREFIX}{:06x}_", h.finish() & 0xff_ffff)
    })
}

async fn admin(server: &str) -> Result<Db> {
    Db::builder(server).max_connections(1).connect().await
}

/// Drop the namespaces this host's dead processes left (one catalog
/// query per `fresh`; two sweeps at once drop with `IF EXISTS`).
async fn sweep(admin: &Db, list: &str, drop: fn(&str) -> String) {
    let Ok(names) = raw(list).fetch_scalars::<String, _>(admin).await else {
        return;
    };
    for name in names {
        let pid = name.strip_prefix(host_prefix()).and_then(|rest| rest.split('_').next());
        if pid.and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| !running(p)) {
            let _ = raw(drop(&name)).execute(admin).await;
        }
    }
}

/// Whether a process runs on this host (false only where `/proc` says so).
fn running(pid: u32) -> bool {
    !std::path::Path::new("/proc/self").exists() || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Drop a namespace from a thread with a runtime of its own (the caller's
/// may be shutting down), waiting for it up to 10 s: when the last handle
/// is gone, so is the namespace. A drop that waits longer (a lock still
/// held by a connection whose close needs the caller's runtime) goes on
/// without blocking the caller; if the process ends first, the next run's
/// sweep drops it.
fn drop_on_own_thread(server: String, sql: String) {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        rt.block_on(async {
            if let Ok(admin) = admin(&server).await {
                let _ = raw(sql).execute(&admin).await;
                admin.close().await;
            }
        });
        let _ = done.send(());
    });
    let _ = finished.recv_timeout(std::time::Duration::from_secs(10));
}
