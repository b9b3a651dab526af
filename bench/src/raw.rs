//! The floor: the same work written by hand with sqlx (same SQL shapes,
//! same pool settings, index-based decoding).

use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;

/// A user row.
#[derive(Debug, Clone)]
pub struct RUser {
    pub id: i64,
    pub name: String,
    pub hair_color: Option<String>,
}

/// A post row (decoded in full, as the ORM does).
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct RPost {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: Option<String>,
}

/// A comment row (decoded in full).
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct RComment {
    pub id: i64,
    pub post_id: i64,
    pub text: String,
}

/// One pool per dialect.
pub enum RawPool {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
    Lite(sqlx::SqlitePool),
}

fn ph(pg: bool, n: usize) -> String {
    if pg { format!("${n}") } else { "?".into() }
}

fn in_list(pg: bool, col: &str, n: usize) -> String {
    if pg {
        format!("{col} IN (SELECT unnest($1))")
    } else {
        format!("{col} IN ({})", vec!["?"; n].join(", "))
    }
}

macro_rules! user {
    ($r:expr, $o:expr) => {
        RUser {
            id: $r.get($o),
            name: $r.get($o + 1),
            hair_color: $r.get($o + 2),
        }
    };
}
macro_rules! post {
    ($r:expr, $o:expr) => {
        RPost {
            id: $r.get($o),
            user_id: $r.get($o + 1),
            title: $r.get($o + 2),
            body: $r.get($o + 3),
        }
    };
}
macro_rules! comment {
    ($r:expr) => {
        RComment {
            id: $r.get(0),
            post_id: $r.get(1),
            text: $r.get(2),
        }
    };
}

/// Run `$body` with `$p` bound to the pool and `$pg` telling the dialect.
macro_rules! on {
    ($pool:expr, |$p:ident, $pg:ident| $body:expr) => {
        match $pool {
            RawPool::Pg($p) => {
                let $pg = true;
                $body
            }
            RawPool::My($p) => {
                let $pg = false;
                $body
            }
            RawPool::Lite($p) => {
                let $pg = false;
                $body
            }
        }
    };
}

impl RawPool {
    /// W1: the first `n` users.
    pub async fn users(&self, n: i64) -> Vec<RUser> {
        on!(self, |p, pg| {
            let sql = format!(
                "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT {}",
                ph(pg, 1)
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(n)
                .fetch(p)
                .map_ok(|r| user!(r, 0))
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// W2: users with this hair color LEFT JOIN their posts.
    pub async fn users_join_posts(&self, color: &str) -> Vec<(RUser, Option<RPost>)> {
        on!(self, |p, pg| {
            let sql = format!(
                "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = {}",
                ph(pg, 1)
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(color)
                .fetch(p)
                .map_ok(|r| {
                    let post_id: Option<i64> = r.get(3);
                    (user!(r, 0), post_id.map(|_| post!(r, 3)))
                })
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// W7: the first `n` posts with their users, in one JOIN.
    pub async fn posts_join_users(&self, n: i64) -> Vec<(RPost, RUser)> {
        on!(self, |p, pg| {
            let sql = format!(
                "SELECT p.id, p.user_id, p.title, p.body, u.id, u.name, u.hair_color FROM posts p INNER JOIN users u ON u.id = p.user_id ORDER BY p.id ASC LIMIT {}",
                ph(pg, 1)
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(n)
                .fetch(p)
                .map_ok(|r| (post!(r, 0), user!(r, 4)))
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// W8: the first `n` users and each one's `k` latest posts (a window
    /// function), grouped by user.
    pub async fn users_latest_posts(&self, n: i64, k: i64) -> Vec<(RUser, Vec<RPost>)> {
        let users = self.users(n).await;
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let template = format!(
            "SELECT id, user_id, title, body FROM (SELECT id, user_id, title, body, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id DESC) AS rn FROM posts WHERE {{}}) w WHERE rn <= {k} ORDER BY rn"
        );
        let posts: Vec<RPost> = self.by_keys(&template, "user_id", &ids, |r| post!(r, 0)).await;
        let mut by_user: HashMap<i64, Vec<RPost>> = HashMap::new();
        for p in posts {
            by_user.entry(p.user_id).or_default().push(p);
        }
        users
            .into_iter()
            .map(|u| {
                let ps = by_user.remove(&u.id).unwrap_or_default();
                (u, ps)
            })
            .collect()
    }

    /// W3: one user by key.
    pub async fn user(&self, id: i64) -> Option<RUser> {
        on!(self, |p, pg| {
            let sql = format!("SELECT id, name, hair_color FROM users WHERE id = {}", ph(pg, 1));
            sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await
                .unwrap()
                .map(|r| user!(r, 0))
        })
    }

    /// W4: n users with their posts and the posts' comments, in 3 statements.
    pub async fn users_posts_comments(&self, n: i64) -> Vec<(RUser, Vec<(RPost, Vec<RComment>)>)> {
        let users = self.users(n).await;
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let posts: Vec<RPost> = self
            .by_keys(
                "SELECT id, user_id, title, body FROM posts WHERE {} ORDER BY id ASC",
                "user_id",
                &ids,
                |r| post!(r, 0),
            )
            .await;
        let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        let comments: Vec<RComment> = self
            .by_keys(
                "SELECT id, post_id, text FROM comments WHERE {} ORDER BY id ASC",
                "post_id",
                &post_ids,
                |r| comment!(r),
            )
            .await;
        let mut by_post: HashMap<i64, Vec<RComment>> = HashMap::new();
        for c in comments {
            by_post.entry(c.post_id).or_default().push(c);
        }
        let mut by_user: HashMap<i64, Vec<(RPost, Vec<RComment>)>> = HashMap::new();
        for p in posts {
            let cs = by_post.remove(&p.id).unwrap_or_default();
            by_user.entry(p.user_id).or_default().push((p, cs));
        }
        users
            .into_iter()
            .map(|u| {
                let ps = by_user.remove(&u.id).unwrap_or_default();
                (u, ps)
            })
            .collect()
    }

    /// `template` with `{}` replaced by `col = ANY($1)` (PostgreSQL) or an IN list.
    async fn by_keys<T: Send>(&self, template: &str, col: &str, keys: &[i64], f: impl Fn(RowAny<'_>) -> T) -> Vec<T> {
        match self {
            RawPool::Pg(p) => {
                let sql = template.replace("{}", &in_list(true, col, keys.len()));
                sqlx::query(AssertSqlSafe(sql))
                    .bind(keys)
                    .fetch(p)
                    .map_ok(|r| f(RowAny::Pg(&r)))
                    .try_collect()
                    .await
                    .unwrap()
            }
            RawPool::My(p) => {
                let sql = template.replace("{}", &in_list(false, col, keys.len()));
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for k in keys {
                    q = q.bind(*k);
                }
                q.fetch(p).map_ok(|r| f(RowAny::My(&r))).try_collect().await.unwrap()
            }
            RawPool::Lite(p) => {
                let sql = template.replace("{}", &in_list(false, col, keys.len()));
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for k in keys {
                    q = q.bind(*k);
                }
                q.fetch(p).map_ok(|r| f(RowAny::Lite(&r))).try_collect().await.unwrap()
            }
        }
    }

    /// W5 / bulk: insert users with multi-row INSERTs in a transaction that
    /// is rolled back; returns the new ids.
    pub async fn insert_users(&self, rows: &[(String, Option<String>)], max_params: usize) -> Vec<i64> {
        on!(self, |p, pg| {
            let mut tx = p.begin().await.unwrap();
            let mut ids = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(max_params / 2) {
                let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("({}, {})", ph(pg, 2 * i + 1), ph(pg, 2 * i + 2)));
                }
                let returning = !matches!(self, RawPool::My(_));
                if returning {
                    sql.push_str(" RETURNING id");
                }
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (name, color) in chunk {
                    q = q.bind(name).bind(color);
                }
                if returning {
                    let got: Vec<i64> = q
                        .fetch(&mut *tx)
                        .map_ok(|r| r.get::<i64, _>(0))
                        .try_collect()
                        .await
                        .unwrap();
                    ids.extend(got);
                } else {
                    let res = q.execute(&mut *tx).await.unwrap();
                    let first = raw_last_insert_id(&res);
                    ids.extend((0..chunk.len() as i64).map(|i| first + i));
                }
            }
            tx.rollback().await.unwrap();
            ids
        })
    }

    /// W9: upsert counters by `name` in a transaction rolled back, reading
    /// the stored rows back as the ORM does (PostgreSQL and SQLite by
    /// RETURNING; MySQL, whose upsert returns nothing, by a SELECT of the names).
    pub async fn upsert_counters(&self, rows: &[(String, i64)], max_params: usize) -> usize {
        on!(self, |p, pg| {
            let mut tx = p.begin().await.unwrap();
            let mysql = matches!(self, RawPool::My(_));
            let mut stored = 0;
            for chunk in rows.chunks(max_params / 2) {
                let mut sql = String::from("INSERT INTO counters (name, hits) VALUES ");
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("({}, {})", ph(pg, 2 * i + 1), ph(pg, 2 * i + 2)));
                }
                if mysql {
                    sql.push_str(" ON DUPLICATE KEY UPDATE hits = VALUES(hits)");
                } else {
                    sql.push_str(" ON CONFLICT (name) DO UPDATE SET hits = EXCLUDED.hits RETURNING id, name, hits");
                }
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (name, hits) in chunk {
                    q = q.bind(name).bind(hits);
                }
                if mysql {
                    q.execute(&mut *tx).await.unwrap();
                    let sql = format!(
                        "SELECT id, name, hits FROM counters WHERE {}",
                        in_list(pg, "name", chunk.len())
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (name, _) in chunk {
                        q = q.bind(name);
                    }
                    let got: Vec<(i64, String, i64)> = q
                        .fetch(&mut *tx)
                        .map_ok(|r| (r.get(0), r.get(1), r.get(2)))
                        .try_collect()
                        .await
                        .unwrap();
                    stored += got.len();
                } else {
                    let got: Vec<(i64, String, i64)> = q
                        .fetch(&mut *tx)
                        .map_ok(|r| (r.get(0), r.get(1), r.get(2)))
                        .try_collect()
                        .await
                        .unwrap();
                    stored += got.len();
                }
            }
            tx.rollback().await.unwrap();
            stored
        })
    }

    /// W10: every user by key in pages of `n`, each page after the last key seen.
    pub async fn keyset_walk(&self, n: i64) -> usize {
        on!(self, |p, pg| {
            let mut last: Option<i64> = None;
            let mut seen = 0;
            loop {
                let page: Vec<RUser> = match last {
                    None => {
                        let sql = format!(
                            "SELECT id, name, hair_color FROM users ORDER BY id ASC LIMIT {}",
                            ph(pg, 1)
                        );
                        sqlx::query(AssertSqlSafe(sql))
                            .bind(n + 1)
                            .fetch(p)
                            .map_ok(|r| user!(r, 0))
                            .try_collect()
                            .await
                            .unwrap()
                    }
                    Some(k) => {
                        let sql = format!(
                            "SELECT id, name, hair_color FROM users WHERE id > {} ORDER BY id ASC LIMIT {}",
                            ph(pg, 1),
                            ph(pg, 2)
                        );
                        sqlx::query(AssertSqlSafe(sql))
                            .bind(k)
                            .bind(n + 1)
                            .fetch(p)
                            .map_ok(|r| user!(r, 0))
                            .try_collect()
                            .await
                            .unwrap()
                    }
                };
                let more = page.len() as i64 > n;
                let take = page.len().min(n as usize);
                seen += take;
                last = page.get(take.wrapping_sub(1)).map(|u| u.id);
                if !more {
                    return seen;
                }
            }
        })
    }

    /// W6: write every column of one user by key.
    pub async fn save_user(&self, u: &RUser) {
        on!(self, |p, pg| {
            let sql = format!(
                "UPDATE users SET name = {}, hair_color = {} WHERE id = {}",
                ph(pg, 1),
                ph(pg, 2),
                ph(pg, 3)
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(&u.name)
                .bind(&u.hair_color)
                .bind(u.id)
                .execute(p)
                .await
                .unwrap();
        })
    }
}

trait LastId {
    fn last_id(&self) -> i64;
}
impl LastId for sqlx::postgres::PgQueryResult {
    fn last_id(&self) -> i64 {
        0
    }
}
impl LastId for sqlx::mysql::MySqlQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_id() as i64
    }
}
impl LastId for sqlx::sqlite::SqliteQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_rowid()
    }
}
fn raw_last_insert_id<R: LastId>(r: &R) -> i64 {
    r.last_id()
}

/// A borrowed row of any of the three drivers, read by index.
pub enum RowAny<'r> {
    Pg(&'r sqlx::postgres::PgRow),
    My(&'r sqlx::mysql::MySqlRow),
    Lite(&'r sqlx::sqlite::SqliteRow),
}

impl RowAny<'_> {
    /// Column `i`, decoded.
    pub fn get<T>(&self, i: usize) -> T
    where
        T: for<'a> sqlx::Decode<'a, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
        T: for<'a> sqlx::Decode<'a, sqlx::MySql> + sqlx::Type<sqlx::MySql>,
        T: for<'a> sqlx::Decode<'a, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        match self {
            RowAny::Pg(r) => r.get(i),
            RowAny::My(r) => r.get(i),
            RowAny::Lite(r) => r.get(i),
        }
    }
}
