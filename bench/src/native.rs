//! The servers' native floors (issue 27): W1 and W3 written by hand on
//! tokio-postgres and mysql_async, one held connection each, every cell
//! decoded, as the fastest raw clients to hold the ORM (and raw sqlx) against.

/// One native connection (one instance per run: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Native {
    Pg(
        tokio_postgres::Client,
        tokio_postgres::Statement,
        tokio_postgres::Statement,
        /// W5's INSERTs, prepared once per chunk length.
        std::collections::HashMap<usize, tokio_postgres::Statement>,
    ),
    My(mysql_async::Conn),
}

/// A user row, decoded in full.
#[allow(dead_code)]
pub struct NUser {
    pub id: i64,
    pub name: String,
    pub hair_color: Option<String>,
}

impl Native {
    /// Connect to the dialect's database the benchmark seeded.
    pub async fn open(dialect: &str, url: &str) -> Option<Native> {
        match dialect {
            "postgres" => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.ok()?;
                tokio::spawn(conn);
                let w1 = client
                    .prepare("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT $1")
                    .await
                    .ok()?;
                let w3 = client
                    .prepare("SELECT id, name, hair_color FROM users WHERE id = $1")
                    .await
                    .ok()?;
                Some(Native::Pg(client, w1, w3, Default::default()))
            }
            "mysql" => {
                // TCP, as the ORM and raw sqlx on this URL (mysql_async
                // would move to the Unix socket on a loopback address).
                let opts = mysql_async::Opts::from_url(url).ok()?;
                let opts = mysql_async::OptsBuilder::from_opts(opts).prefer_socket(false);
                Some(Native::My(mysql_async::Conn::new(opts).await.ok()?))
            }
            _ => None,
        }
    }

    /// W1: the first `n` users.
    pub async fn users(&mut self, n: i64) -> Vec<NUser> {
        match self {
            Native::Pg(c, w1, _, _) => c
                .query(&*w1, &[&n])
                .await
                .unwrap()
                .iter()
                .map(|r| NUser {
                    id: r.get(0),
                    name: r.get(1),
                    hair_color: r.get(2),
                })
                .collect(),
            Native::My(c) => {
                use mysql_async::prelude::Queryable;
                c.exec_map(
                    "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?",
                    (n,),
                    |(id, name, hair_color)| NUser { id, name, hair_color },
                )
                .await
                .unwrap()
            }
        }
    }

    /// W1 as the ORM's MySQL driver reads it: `exec_iter`, then `next()`
    /// row by row (to part the API path from the ORM's own work).
    pub async fn users_iter(&mut self, n: i64) -> Vec<NUser> {
        match self {
            Native::Pg(..) => self.users(n).await,
            Native::My(c) => {
                use mysql_async::prelude::Queryable;
                let mut out = Vec::new();
                let mut rows = c
                    .exec_iter("SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT ?", (n,))
                    .await
                    .unwrap();
                while let Some(mut row) = rows.next().await.unwrap() {
                    out.push(NUser {
                        id: row.take(0).unwrap(),
                        name: row.take(1).unwrap(),
                        hair_color: row.take(2).unwrap(),
                    });
                }
                rows.drop_result().await.unwrap();
                out
            }
        }
    }

    /// W3: one user by key.
    pub async fn user(&mut self, id: i64) -> Option<NUser> {
        match self {
            Native::Pg(c, _, w3, _) => c.query_opt(&*w3, &[&id]).await.unwrap().map(|r| NUser {
                id: r.get(0),
                name: r.get(1),
                hair_color: r.get(2),
            }),
            Native::My(c) => {
                use mysql_async::prelude::Queryable;
                c.exec_first("SELECT id, name, hair_color FROM users WHERE id = ?", (id,))
                    .await
                    .unwrap()
                    .map(|(id, name, hair_color)| NUser { id, name, hair_color })
            }
        }
    }

    /// W5: multi-row INSERTs of `rows` (chunks of `max_params / 2`) in a
    /// transaction that is rolled back; the new keys (PostgreSQL by
    /// RETURNING, MySQL from the first generated id).
    pub async fn insert_users(&mut self, rows: &[(String, Option<String>)], max_params: usize) -> Vec<i64> {
        let mut ids = Vec::with_capacity(rows.len());
        match self {
            Native::Pg(c, _, _, inserts) => {
                use tokio_postgres::types::ToSql;
                c.batch_execute("BEGIN").await.unwrap();
                for chunk in rows.chunks(max_params / 2) {
                    let st = match inserts.get(&chunk.len()) {
                        Some(st) => st.clone(),
                        None => {
                            let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
                            for i in 0..chunk.len() {
                                if i > 0 {
                                    sql.push_str(", ");
                                }
                                sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
                            }
                            sql.push_str(" RETURNING id");
                            let st = c.prepare(&sql).await.unwrap();
                            inserts.insert(chunk.len(), st.clone());
                            st
                        }
                    };
                    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * 2);
                    for (name, color) in chunk {
                        params.push(name);
                        params.push(color);
                    }
                    ids.extend(c.query(&st, &params).await.unwrap().iter().map(|r| r.get::<_, i64>(0)));
                }
                c.batch_execute("ROLLBACK").await.unwrap();
            }
            Native::My(c) => {
                use mysql_async::prelude::Queryable;
                c.query_drop("BEGIN").await.unwrap();
                for chunk in rows.chunks(max_params / 2) {
                    let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
                    for i in 0..chunk.len() {
                        sql.push_str(if i > 0 { ", (?, ?)" } else { "(?, ?)" });
                    }
                    let mut params = Vec::with_capacity(chunk.len() * 2);
                    for (name, color) in chunk {
                        params.push(mysql_async::Value::from(name.as_str()));
                        params.push(mysql_async::Value::from(color.as_deref()));
                    }
                    c.exec_drop(sql, params).await.unwrap();
                    let first = c.last_insert_id().unwrap() as i64;
                    ids.extend((0..chunk.len() as i64).map(|i| first + i));
                }
                c.query_drop("ROLLBACK").await.unwrap();
            }
        }
        ids
    }
}
