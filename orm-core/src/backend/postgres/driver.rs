//! PostgreSQL on tokio-postgres: connect (URL, session settings, probe,
//! multi-host failover), the pool's connections with their prepared
//! statement cache, running statements, and what its errors say.
//!
//! A multi-host URL (`postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write`)
//! is tokio-postgres's own: each new connection tries the hosts in order
//! and keeps the first that takes writes. When the primary dies, its pooled
//! connections fail their next statement with `Error::Connection` and are
//! dropped; the next connection finds the promoted host.

use super::values::{Param, cache_key, param_type};
use crate::dialect::{SqlDialect, Statement};
use crate::driver::pool::{Held, Manage, Pool, PoolSettings, Pooled, Use, open_within, with_sources};
use crate::driver::{ConnectOptions, Connected, Done, Driver, DriverConn, OwnedRow, RowSink, redacted};
use crate::error::{DbError, Error, Result, ViolationKind};
use crate::row::RowRef;
use foldhash::HashMap;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use std::sync::Arc;
use tokio_postgres::{Client, Config, NoTls};

/// Prepared statements kept per connection; when full, half of them (in
/// the map's order, not by age) are closed to make room.
const STATEMENT_CACHE: usize = 256;

const SQL: &dyn SqlDialect = &super::dialect::Postgres;

pub(super) async fn connect(o: &ConnectOptions) -> Result<Connected> {
    let target = redacted(&o.url);
    let mut config: Config = o.url.parse().map_err(|e| Error::Connection {
        message: format!("invalid PostgreSQL URL {target}: {}", cause(&e)),
    })?;
    // Session settings the server enforces: it cancels the statement (57014)
    // or gives up on the lock (55P03) itself.
    let mut options = config.get_options().unwrap_or_default().to_owned();
    if let Some(d) = o.statement_timeout {
        options.push_str(&format!(" -c statement_timeout={}ms", d.as_millis().max(1)));
    }
    if let Some(d) = o.lock_timeout {
        options.push_str(&format!(" -c lock_timeout={}ms", d.as_millis().max(1)));
    }
    if !options.is_empty() {
        config.options(options.trim_start());
    }
    let manager = PgManager { config };
    let settings = PoolSettings {
        max_connections: o.max_connections,
        idle_timeout: o.idle_timeout,
        acquire_timeout: o.acquire_timeout,
        connect_timeout: o.connect_timeout,
    };
    let mut first = Vec::new();
    if !o.lazy {
        // One connection of our own first, within `connect_timeout`, so a
        // bad URL or a server that is down says why at once.
        for _ in 0..o.min_connections.max(1) {
            first.push(open_within(&manager, o.connect_timeout, &target).await?);
        }
    }
    Ok(Connected {
        driver: Arc::new(PgPool {
            whole_results: o.whole_results,
            pool: Pool::new(manager, settings, first),
        }),
        max_statement_bytes: None,
    })
}

/// How the pool opens and checks PostgreSQL connections.
pub(super) struct PgManager {
    config: Config,
}

impl Manage for PgManager {
    type Conn = PgConn;

    fn connect(&self) -> BoxFuture<'_, Result<PgConn>> {
        Box::pin(async move {
            let (client, connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|e| Error::Connection { message: cause(&e) })?;
            // The socket's reader and writer; it ends when the client is
            // dropped (a Terminate is sent) or the server goes away.
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok(PgConn {
                client,
                statements: HashMap::default(),
            })
        })
    }

    fn ping<'a>(&'a self, conn: &'a mut PgConn) -> BoxFuture<'a, bool> {
        Box::pin(async move { conn.client.batch_execute("").await.is_ok() })
    }

    fn must_close(&self, conn: &PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// One connection and its prepared statements.
pub(super) struct PgConn {
    client: Client,
    statements: HashMap<String, tokio_postgres::Statement>,
}

impl PgConn {
    /// The statement prepared for `st`'s text and parameter types.
    async fn prepare(&mut self, st: &mut Statement) -> Result<tokio_postgres::Statement> {
        let sql_len = st.sql.len();
        cache_key(&mut st.sql, &st.params);
        if let Some(prepared) = self.statements.get(st.sql.as_str()) {
            return Ok(prepared.clone());
        }
        let types: Vec<_> = st.params.iter().map(param_type).collect();
        let prepared = self
            .client
            .prepare_typed(&st.sql[..sql_len], &types)
            .await
            .map_err(error)?;
        if self.statements.len() >= STATEMENT_CACHE {
            let drop: Vec<String> = self.statements.keys().take(STATEMENT_CACHE / 2).cloned().collect();
            for key in drop {
                self.statements.remove(&key);
            }
        }
        self.statements.insert(std::mem::take(&mut st.sql), prepared.clone());
        Ok(prepared)
    }

    /// Run `st`, each row to `sink` as it arrives, or with `whole` only
    /// once the statement completed (see `ConnectOptions::whole_results`).
    async fn fetch(&mut self, mut st: Statement, sink: &mut RowSink<'_>, whole: bool) -> Result<()> {
        let prepared = self.prepare(&mut st).await?;
        let rows = self
            .client
            .query_raw(&prepared, params(&st.params))
            .await
            .map_err(error)?;
        futures_util::pin_mut!(rows);
        if whole {
            let rows: Vec<tokio_postgres::Row> = rows.try_collect().await.map_err(error)?;
            for row in &rows {
                if !sink(RowRef::new(row)) {
                    break;
                }
            }
            return Ok(());
        }
        while let Some(row) = rows.try_next().await.map_err(error)? {
            if !sink(RowRef::new(&row)) {
                break;
            }
        }
        Ok(())
    }

    async fn execute(&mut self, mut st: Statement) -> Result<Done> {
        let prepared = self.prepare(&mut st).await?;
        let n = self
            .client
            .execute_raw(&prepared, params(&st.params))
            .await
            .map_err(error)?;
        Ok(Done {
            rows_affected: n,
            last_insert_id: None,
        })
    }
}

fn params(values: &[crate::value::Value]) -> impl ExactSizeIterator<Item = Param<'_>> {
    values.iter().map(Param)
}

/// The pool behind a `Db` on PostgreSQL.
struct PgPool {
    pool: Pool<PgManager>,
    /// See `ConnectOptions::whole_results`.
    whole_results: bool,
}

/// A failed statement on a pooled connection: a connection the client
/// saw close is not returned to the pool.
fn settle<T>(conn: &mut Pooled<PgManager>, r: Result<T>) -> Result<T> {
    if r.is_err() && conn.client.is_closed() {
        conn.discard = true;
    }
    r
}

impl Driver for PgPool {
    fn fetch<'a>(&'a self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut conn = self.pool.acquire(Use::Small).await?;
            let r = conn.fetch(st, sink, self.whole_results).await;
            settle(&mut conn, r)
        })
    }

    fn execute(&self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let mut conn = self.pool.acquire(Use::Small).await?;
            let r = conn.execute(st).await;
            settle(&mut conn, r)
        })
    }

    fn stream(&self, mut st: Statement) -> BoxStream<'_, Result<OwnedRow>> {
        let open = async move {
            let mut conn = self.pool.acquire(Use::Small).await?;
            let prepared = conn.prepare(&mut st).await;
            let prepared = settle(&mut conn, prepared)?;
            let rows = conn
                .client
                .query_raw(&prepared, params(&st.params))
                .await
                .map_err(error);
            let rows = settle(&mut conn, rows)?;
            Ok((conn, Box::pin(rows)))
        };
        futures_util::stream::once(open)
            .map_ok(|(conn, rows)| {
                futures_util::stream::unfold((conn, rows), |(mut conn, mut rows)| async move {
                    match rows.next().await? {
                        Ok(row) => Some((Ok(Box::new(row) as OwnedRow), (conn, rows))),
                        Err(e) => {
                            let r = settle(&mut conn, Err(error(e)));
                            Some((r, (conn, rows)))
                        }
                    }
                })
            })
            .try_flatten()
            .boxed()
    }

    fn acquire(&self) -> BoxFuture<'_, Result<Box<dyn DriverConn>>> {
        Box::pin(async move { Ok(Box::new(self.pool.held().await?) as Box<dyn DriverConn>) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        self.pool.close();
        Box::pin(async {})
    }
}

impl DriverConn for Held<PgManager> {
    fn fetch<'a>(&'a mut self, st: Statement, sink: &'a mut RowSink<'_>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // A held connection is the primary's (transactions never go to a replica).
            let r = self.conn.fetch(st, sink, false).await;
            settle(&mut self.conn, r)
        })
    }

    fn execute(&mut self, st: Statement) -> BoxFuture<'_, Result<Done>> {
        Box::pin(async move {
            let r = self.conn.execute(st).await;
            settle(&mut self.conn, r)
        })
    }

    fn simple<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let r = self.conn.client.batch_execute(sql).await.map_err(error);
            settle(&mut self.conn, r)
        })
    }

    fn set_dirty(&mut self, dirty: bool) {
        self.dirty = dirty;
    }
}

/// Map a tokio-postgres error: the server's refusal through the dialect's
/// classification of its SQLSTATE, a parameter the client could not encode
/// as `InvalidQuery`, and anything else (socket, protocol) as a lost
/// connection.
fn error(e: tokio_postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let kind = match code {
            "23505" => Some(ViolationKind::Unique),
            "23503" => Some(ViolationKind::ForeignKey),
            "23502" => Some(ViolationKind::NotNull),
            "23514" => Some(ViolationKind::Check),
            _ => None,
        };
        return crate::dialect::classify(
            SQL,
            DbError {
                code: Some(code.to_owned()),
                message: db.message().to_owned(),
                kind,
                table: db.table().map(str::to_owned),
                constraint: db.constraint().map(str::to_owned),
                column: db.column().map(str::to_owned),
                detail: db.detail().map(str::to_owned),
            },
        );
    }
    let text = cause(&e);
    if text.starts_with("error serializing parameter") {
        return Error::InvalidQuery {
            message: format!("could not bind a parameter: {text}"),
        };
    }
    Error::Connection { message: text }
}

/// The error with its source chain (a server's refusal in its own words).
fn cause(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    with_sources(e)
}
