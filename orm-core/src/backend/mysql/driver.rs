//! MySQL and MariaDB on mysql_async: connect (session settings, reading
//! `max_allowed_packet`, a host list whose writable member is the
//! primary), the pool's connections, running statements (binary protocol,
//! mysql_async's per-connection statement cache), and what errors say.

use super::values::{largest_packet, params};
use crate::dialect::{SqlDialect, Statement};
use crate::driver::pool::{Held, Manage, Pool, PoolSettings, Pooled, Use, open_within, with_sources};
use crate::driver::{ConnectOptions, Connected, Done, Driver, DriverConn, OwnedRow, RowSink, redacted};
use crate::error::{DbError, Error, Result, ViolationKind};
use crate::row::RowRef;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const SQL: &dyn SqlDialect = &super::dialect::MySql;

/// Prepared statements kept per connection (mysql_async's LRU cache).
const STATEMENT_CACHE: usize = 256;

/// What every session starts with: `||` concatenates, times are UTC, text
/// is utf8mb4 (the settings sqlx used, so stored data reads the same).
/// The server's network buffer for a new connection unless it says
/// otherwise (`net_buffer_length`'s default on MariaDB and MySQL).
const NET_BUFFER: usize = 16 * 1024;

const SESSION: &str = "SET sql_mode=(SELECT CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION')), time_zone='+00:00', NAMES utf8mb4";

pub(super) async fn connect(o: &ConnectOptions) -> Result<Connected> {
    let url = match o.url.strip_prefix("mariadb:") {
        Some(rest) => format!("mysql:{rest}"),
        None => o.url.clone(),
    };
    let target = redacted(&o.url);
    let hosts = hosts(&url).map_err(|message| Error::Connection {
        message: format!("invalid MySQL URL {target}: {message}"),
    })?;
    // `localhost`, no socket named and `prefer_socket` not turned off: the
    // server's Unix socket, once the first connection says where it is
    // (see `onto_socket`).
    let try_socket = hosts.len() == 1
        && hosts[0].socket().is_none()
        && hosts[0].ip_or_hostname() == "localhost"
        && Opts::from_url(&url).is_ok_and(|opts| opts.prefer_socket());
    let mut manager = MyManager {
        hosts,
        settings: session_settings(o),
        net_buffer: AtomicUsize::new(NET_BUFFER),
    };
    let settings = PoolSettings {
        max_connections: o.max_connections,
        idle_timeout: o.idle_timeout,
        acquire_timeout: o.acquire_timeout,
        connect_timeout: o.connect_timeout,
    };
    let mut first = Vec::new();
    let mut max_statement_bytes = None;
    if !o.lazy {
        let mut probe = open_within(&manager, o.connect_timeout, &target).await?;
        let sizes: Option<(u64, u64)> = probe
            .conn
            .query_first("SELECT @@max_allowed_packet, @@net_buffer_length")
            .await
            .map_err(|e| error(&mut probe.broken, e))?;
        if let Some((packet, buffer)) = sizes {
            max_statement_bytes = usize::try_from(packet).ok();
            let buffer = usize::try_from(buffer).unwrap_or(NET_BUFFER);
            manager.net_buffer.store(buffer, Ordering::Relaxed);
            probe.net_buffer = buffer;
        }
        if try_socket && let Some(on_socket) = onto_socket(&mut manager, &mut probe, o.connect_timeout).await {
            let tcp = std::mem::replace(&mut probe, on_socket);
            let _ = tcp.conn.disconnect().await;
        }
        first.push(probe);
        for _ in 1..o.min_connections {
            first.push(open_within(&manager, o.connect_timeout, &target).await?);
        }
    }
    Ok(Connected {
        driver: Arc::new(MyPool {
            whole_results: o.whole_results,
            pool: Pool::new(manager, settings, first),
        }),
        max_statement_bytes,
    })
}

/// The server's Unix socket for a URL naming `localhost`, as the MySQL
/// client and libmysqlclient read that name (`127.0.0.1` stays TCP, as
/// there): the first connection asks where the socket is, and when this
/// process can open it, every later connection opens on it directly (a
/// one-row read costs about a quarter less than over loopback TCP). The
/// server then sees the `user@localhost` account, as those clients do.
/// mysql_async's own `prefer_socket` is not used: it opens each connection
/// over TCP first and closes it after, so the server would briefly see
/// more than `max_connections`. `?prefer_socket=false` keeps TCP.
async fn onto_socket(manager: &mut MyManager, probe: &mut MyConn, limit: std::time::Duration) -> Option<MyConn> {
    let path: Option<String> = probe.conn.query_first("SELECT @@socket").await.ok().flatten()?;
    let path = path.filter(|p| !p.is_empty() && std::path::Path::new(p).exists())?;
    let opts: Opts = OptsBuilder::from_opts(manager.hosts[0].clone())
        .socket(Some(path))
        .into();
    let conn = tokio::time::timeout(limit, manager.session(&opts, false))
        .await
        .ok()?
        .ok()?;
    manager.hosts[0] = opts;
    Some(MyConn {
        conn,
        broken: false,
        swollen: false,
        net_buffer: probe.net_buffer,
    })
}

/// The URL's hosts, each as mysql_async options: `mysql://u@h1:3306,h2:3306/db`
/// lists several (the first writable one is used), a plain URL one.
fn hosts(url: &str) -> std::result::Result<Vec<Opts>, String> {
    let (scheme, rest) = url.split_once("://").ok_or("no scheme")?;
    let (authority, tail) = rest.find(['/', '?']).map_or((rest, ""), |i| rest.split_at(i));
    let (userinfo, hostlist) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    hostlist
        .split(',')
        .map(|host| {
            let one = format!("{scheme}://{userinfo}{host}{tail}");
            let opts = Opts::from_url(&one).map_err(|e| e.to_string())?;
            Ok(OptsBuilder::from_opts(opts)
                .client_found_rows(true)
                // Not mysql_async's switch to the Unix socket: it opens a TCP
                // connection first and closes it after, so the server would
                // briefly see more than `max_connections` (a pool of 5 peaked
                // at 7 in reliability::pool_saturation).
                .prefer_socket(false)
                .stmt_cache_size(STATEMENT_CACHE)
                .into())
        })
        .collect()
}

/// `SET SESSION` statements for the pool's timeouts: MariaDB's form, and
/// MySQL's where it differs (`max_execution_time`, in milliseconds, SELECTs
/// only). Lock waits are whole seconds, at least 1.
fn session_settings(o: &ConnectOptions) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(d) = o.statement_timeout {
        out.push((
            format!("SET SESSION max_statement_time = {}", d.as_secs_f64().max(0.001)),
            Some(format!("SET SESSION max_execution_time = {}", d.as_millis().max(1))),
        ));
    }
    if let Some(d) = o.lock_timeout {
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        out.push((format!("SET SESSION innodb_lock_wait_timeout = {}", secs.max(1)), None));
        out.push((format!("SET SESSION lock_wait_timeout = {}", secs.max(1)), None));
    }
    out
}

/// How the pool opens and checks MySQL connections.
struct MyManager {
    hosts: Vec<Opts>,
    settings: Vec<(String, Option<String>)>,
    /// The server's `net_buffer_length` (read on the first connection).
    net_buffer: AtomicUsize,
}

impl MyManager {
    /// One host's session, set up; with several hosts, only a writable one.
    async fn session(&self, opts: &Opts, need_writable: bool) -> std::result::Result<Conn, String> {
        let mut conn = Conn::new(opts.clone()).await.map_err(|e| cause(&e))?;
        let setup = async {
            conn.query_drop(SESSION).await?;
            for (mariadb, mysql) in &self.settings {
                // MariaDB's variable first, then MySQL's spelling of it
                // (numbers of our own making, no user text).
                if conn.query_drop(mariadb.as_str()).await.is_err()
                    && let Some(mysql) = mysql
                {
                    conn.query_drop(mysql.as_str()).await?;
                }
            }
            if need_writable {
                let read_only: Option<i64> = conn.query_first("SELECT @@global.read_only").await?;
                if read_only != Some(0) {
                    return Ok(false);
                }
            }
            Ok::<_, mysql_async::Error>(true)
        };
        match setup.await {
            Ok(true) => Ok(conn),
            Ok(false) => {
                let _ = conn.disconnect().await;
                Err(format!("{}:{} is read-only", opts.ip_or_hostname(), opts.tcp_port()))
            }
            Err(e) => Err(cause(&e)),
        }
    }
}

impl Manage for MyManager {
    type Conn = MyConn;

    fn connect(&self) -> BoxFuture<'_, Result<MyConn>> {
        Box::pin(async move {
            let several = self.hosts.len() > 1;
            let mut why = Vec::new();
            for opts in &self.hosts {
                match self.session(opts, several).await {
                    Ok(conn) => {
                        return Ok(MyConn {
                            conn,
                            broken: false,
                            swollen: false,
                            net_buffer: self.net_buffer.load(Ordering::Relaxed),
                        });
                    }
                    Err(e) => why.push(e),
                }
            }
            Err(Error::Connection {
                message: why.join("; "),
            })
        })
    }

    fn ping<'a>(&'a self, conn: &'a mut MyConn) -> BoxFuture<'a, bool> {
        Box::pin(async move { conn.conn.ping().await.is_ok() })
    }

    fn must_close(&self, conn: &MyConn) -> bool {
        conn.broken
    }

    /// Swollen: the server grows a connection's network buffer to the
    /// largest packet it receives, never shrinks it, and sends results a
    /// buffer at a time. After a bulk INSERT of 200 KB every later read on
    /// that connection arrived in 200 KB pieces instead of 16 KB ones, so
    /// the client waited for most of a result before decoding any of it
    /// (a 10,000-row read took 1.3-1.5x as long). The pool gives such a
    /// connection to the next large statement or transaction, not to
    /// small statements.
    fn worn(&self, conn: &MyConn) -> bool {
        conn.swollen
    }
}

/// One connection: whether it failed below the SQL level, and whether a
/// statement larger than the server's network buffer went over it.
struct MyConn {
    conn: Conn,
    broken: bool,
    swollen: bool,
    /// The server's `net_buffer_length` when this connection opened.
    net_buffer: usize,
}

/// A statement with its values in mysql_async's form, and whether it is
/// larger than the server's network buffer (see [`MyManager::worn`]).
struct Bound {
    sql: String,
    params: mysql_async::Params,
    large: bool,
}

impl Bound {
    fn new(st: Statement, net_buffer: usize) -> Result<Bound> {
        let params = params(st.params)?;
        let large = largest_packet(&st.sql, &params) > net_buffer;
        Ok(Bound {
            sql: st.sql,
            params,
            large,
        })
    }

    /// The connection it should take from the pool.
    fn usage(&self) -> Use {
        if self.large { Use::Large } else { Use::Small }
    }
}

impl MyConn {
    /// Run `st`, each row to `sink` as it arrives, or with `whole` only
    /// once the statement completed (see `ConnectOptions::whole_results`).
    async fn fetch(&mut self, st: Bound, sink: &mut RowSink<'_>, whole: bool) -> Result<()> {
        self.swollen |= st.large;
        let broken = &mut self.broken;
        let mut rows = self
            .conn
            .exec_iter(st.sql, st.params)
            .await
            .map_err(|e| error(broken, e))?;
        if whole {
            let all: Vec<mysql_async::Row> = rows.collect().await.map_err(|e| error(broken, e))?;
            for row in &all {
                if !sink(RowRef::new(row)) {
                    break;
                }
            }
            return Ok(());
        }
        while let Some(row) = rows.next().await.map_err(|e| error(broken, e))? {
            if !sink(RowRef::new(&row)) {
                break;
            }
        }
        rows.drop_result().await.map_err(|e| error(broken, e))
    }

    async fn execute(&mut self, st: Bound) -> Result<Done> {
        self.swollen |= st.large;
        let broken = &mut self.broken;
        let rows = self
            .conn
            .exec_iter(st.sql, st.params)
            .await
            .map_err(|e| error(broken, e))?;
        let done = Done {
            rows_affected: rows.affected_rows(),
            last_insert_id: rows.last_insert_id().and_then(|n| i64::try_from(n).ok()),
        };
        rows.drop_result().await.map_err(|e| error(broken, e))?;
        Ok(done)
    }
}

/// The pool behind a `Db` on MySQL/MariaDB.
struct MyPool {
    pool: Pool<MyManager>,
    /// See `ConnectOptions::whole_results`.
    whole_results: bool,
}

impl MyPool {
    fn bind(&self, st: Statement) -> Result<Bound> {
        Bound::new(st, self.pool.manager().net_buffer.load(Ordering::Relaxed))
    }
}

/// Rows a stream's reader task hands over at a time.
const STREAM_BUFFER: usize = 64;

impl Driver for MyPool {
    /// A pooled statement cancelled mid-way (its future dropped) closes
    /// its connection: it may be part-way through a packet.
    fn fetch<'a>(&'a self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let st = self.bind(st)?;
            let mut conn = self.pool.acquire(st.usage()).await?;
            conn.discard = true;
            let r = conn.fetch(st, sink, self.whole_results).await;
            conn.discard = false;
            r
        })
    }

    fn execute(&self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let st = self.bind(st)?;
            let mut conn = self.pool.acquire(st.usage()).await?;
            conn.discard = true;
            let r = conn.execute(st).await;
            conn.discard = false;
            r
        })
    }

    /// A task of its own reads the rows on a pooled connection and hands
    /// them over a bounded channel (mysql_async's result borrows its
    /// connection); dropping the stream stops the task, which drains the
    /// rest of the result before the connection goes back.
    fn stream(&self, st: Statement) -> BoxStream<'_, Result<OwnedRow>> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<OwnedRow>>(STREAM_BUFFER);
        let pool = self.pool.clone();
        let st = self.bind(st);
        tokio::spawn(async move {
            let st = match st {
                Ok(st) => st,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let mut conn = match pool.acquire(st.usage()).await {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let r = read_into(&mut conn, st, &tx).await;
            if let Err(e) = r {
                let _ = tx.send(Err(e)).await;
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|row| (row, rx)) }).boxed()
    }

    fn acquire(&self) -> BoxFuture<'_, Result<Box<dyn DriverConn>>> {
        Box::pin(async move { Ok(Box::new(self.pool.held().await?) as Box<dyn DriverConn>) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        self.pool.close();
        Box::pin(async {})
    }
}

/// Send `st`'s rows down `tx` until the receiver is gone.
async fn read_into(
    conn: &mut Pooled<MyManager>,
    st: Bound,
    tx: &tokio::sync::mpsc::Sender<Result<OwnedRow>>,
) -> Result<()> {
    let c: &mut MyConn = conn;
    c.swollen |= st.large;
    let broken = &mut c.broken;
    let mut rows = c
        .conn
        .exec_iter(st.sql, st.params)
        .await
        .map_err(|e| error(broken, e))?;
    while let Some(row) = rows.next().await.map_err(|e| error(broken, e))? {
        if tx.send(Ok(Box::new(row) as OwnedRow)).await.is_err() {
            break;
        }
    }
    rows.drop_result().await.map_err(|e| error(broken, e))
}

impl DriverConn for Held<MyManager> {
    fn fetch<'a>(&'a mut self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let st = Bound::new(st, self.conn.net_buffer)?;
            self.conn.fetch(st, sink, false).await
        })
    }

    fn execute(&mut self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let st = Bound::new(st, self.conn.net_buffer)?;
            self.conn.execute(st).await
        })
    }

    fn simple<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let c = &mut *self.conn;
            c.swollen |= largest_packet(sql, &mysql_async::Params::Empty) > c.net_buffer;
            let broken = &mut c.broken;
            c.conn.query_drop(sql).await.map_err(|e| error(broken, e))
        })
    }

    fn set_dirty(&mut self, dirty: bool) {
        self.dirty = dirty;
    }
}

/// Map a mysql_async error: the server's refusal through the dialect's
/// classification (code = SQLSTATE), a parameter mysql_async refuses as
/// `InvalidQuery`, and anything else (socket, protocol) as a lost
/// connection, which marks the connection broken.
fn error(broken: &mut bool, e: mysql_async::Error) -> Error {
    use mysql_async::{DriverError, Error as E};
    match e {
        E::Server(s) => {
            let kind = match s.code {
                1022 | 1062 | 1169 | 1586 | 1859 => Some(ViolationKind::Unique),
                1216 | 1217 | 1451 | 1452 | 1830 | 1834 => Some(ViolationKind::ForeignKey),
                1048 | 1364 => Some(ViolationKind::NotNull),
                3819 => Some(ViolationKind::Check),
                4025 if s.state == "23000" => Some(ViolationKind::Check),
                _ => None,
            };
            let e = crate::dialect::classify(
                SQL,
                DbError {
                    code: Some(s.state),
                    message: s.message,
                    kind,
                    ..DbError::default()
                },
            );
            if matches!(e, Error::Connection { .. }) {
                *broken = true;
            }
            e
        }
        E::Driver(DriverError::StmtParamsMismatch { .. } | DriverError::StmtParamsNumberExceedsLimit { .. }) => {
            Error::InvalidQuery {
                message: format!("could not bind a parameter: {e}"),
            }
        }
        other => {
            *broken = true;
            Error::Connection { message: cause(&other) }
        }
    }
}

/// The error with its source chain.
fn cause(e: &mysql_async::Error) -> String {
    with_sources(e)
}
