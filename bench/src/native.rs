//! The servers' native floors (issue 27): W1 and W3 written by hand on
//! tokio-postgres and mysql_async, one held connection each, every cell
//! decoded, as the fastest raw clients to hold the ORM (and raw sqlx) against.

/// One native connection.
pub enum Native {
    Pg(
        tokio_postgres::Client,
        tokio_postgres::Statement,
        tokio_postgres::Statement,
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
                Some(Native::Pg(client, w1, w3))
            }
            "mysql" => {
                let opts = mysql_async::Opts::from_url(url).ok()?;
                Some(Native::My(mysql_async::Conn::new(opts).await.ok()?))
            }
            _ => None,
        }
    }

    /// W1: the first `n` users.
    pub async fn users(&mut self, n: i64) -> Vec<NUser> {
        match self {
            Native::Pg(c, w1, _) => c
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

    /// W3: one user by key.
    pub async fn user(&mut self, id: i64) -> Option<NUser> {
        match self {
            Native::Pg(c, _, w3) => c.query_opt(&*w3, &[&id]).await.unwrap().map(|r| NUser {
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
}
