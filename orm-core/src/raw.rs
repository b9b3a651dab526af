//! Raw SQL with bound parameters: the escape hatch.

use crate::db::Executor;
use crate::dialect::Statement;
use crate::error::Result;
use crate::field::FieldType;
use crate::model::Model;
use crate::row::RowRef;
use crate::value::{SqlType, Value};

/// A raw SQL statement with bound values; nothing is spliced.
///
/// Placeholders are portable: `?` (values from [`bind`](Raw::bind), in
/// order) and `:name` (values from [`bind_named`](Raw::bind_named)) work on
/// every dialect and are rewritten to its own form (`$1` on PostgreSQL).
/// Quoted text, comments, `::` casts, dollar-quoted strings and, when no
/// value is bound with `bind`, PostgreSQL's jsonb `?` operators are left
/// alone; SQL that already numbers its placeholders (`$1`) is sent as
/// written. A count that does not match is an error before anything is
/// sent. The SQL text itself is yours: never build it from user input.
///
/// ```
/// # async fn demo() -> orm_core::Result<()> {
/// use orm_core::{prelude::*, raw};
/// let db = Db::connect("sqlite::memory:").await?;
/// let n: Vec<i64> = raw("SELECT ? + :two").bind(40_i64).bind_named("two", 2_i64).fetch_scalars(&db).await?;
/// assert_eq!(n, vec![42]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[must_use = "a raw statement does nothing until it is run"]
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    params: Vec<Value>,
    named: Vec<(String, Value)>,
}

/// Start a raw statement: `?` (or `:name`) placeholders, values bound.
///
/// ```
/// use orm_core::prelude::*;
/// # async fn demo() -> orm_core::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// raw("CREATE TABLE t (n INTEGER)").execute(&db).await?;
/// raw("INSERT INTO t (n) VALUES (?), (:two)").bind(1_i64).bind_named("two", 2_i64).execute(&db).await?;
/// let n: Vec<i64> = raw("SELECT n FROM t WHERE n > ? ORDER BY n").bind(0_i64).fetch_scalars(&db).await?;
/// assert_eq!(n, vec![1, 2]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub fn raw(sql: impl Into<String>) -> Raw {
    Raw {
        sql: sql.into(),
        params: Vec::new(),
        named: Vec::new(),
    }
}

impl Raw {
    /// Bind the value of the next `?`.
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.params.push(v.into());
        self
    }

    /// Bind the value of every `:name` (a name of letters, digits and `_`).
    pub fn bind_named(mut self, name: &str, v: impl Into<Value>) -> Self {
        let v = v.into();
        match self.named.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = v,
            None => self.named.push((name.to_owned(), v)),
        }
        self
    }

    /// The statement as `dialect` receives it: placeholders rewritten,
    /// values in order.
    ///
    /// ```
    /// use orm_core::{Dialect, raw};
    /// let st = raw("SELECT * FROM users WHERE role = :role AND id > ?").bind(10_i64).bind_named("role", "admin")
    ///     .to_sql(Dialect::Postgres).unwrap();
    /// assert_eq!(st.sql, "SELECT * FROM users WHERE role = $1 AND id > $2");
    /// ```
    pub fn to_sql(&self, dialect: crate::backend::Dialect) -> Result<Statement> {
        self.clone().statement(dialect)
    }

    fn statement(self, dialect: crate::backend::Dialect) -> Result<Statement> {
        crate::placeholders::statement(dialect.sql(), self.sql, self.params, self.named)
    }

    /// Fetch rows: a `SELECT` may go to a read replica (one that writes,
    /// as `SELECT nextval(..)`, is refused there and runs on the primary);
    /// anything else (`INSERT .. RETURNING`, `WITH .. UPDATE`) runs on the
    /// primary.
    async fn fetch_with<T: Send>(
        self,
        conn: crate::db::Conn<'_>,
        decode: impl FnMut(RowRef<'_>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        let read_only = is_plain_select(&self.sql);
        let st = self.statement(conn.dialect())?;
        if read_only {
            conn.read(st, decode).await
        } else {
            conn.fetch(st, decode).await
        }
    }

    /// Run it; returns the rows affected.
    pub async fn execute<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        let conn = db.__conn();
        Ok(conn.execute(self.statement(conn.dialect())?).await?.rows_affected)
    }

    /// Run it and decode the first column of every row.
    pub async fn fetch_scalars<T: FieldType, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<T>> {
        self.fetch_with(db.__conn(), |r| T::decode(r, 0)).await
    }

    /// Run it and decode every row as a model (select the model's columns, in order).
    pub async fn fetch_models<M: Model, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        self.fetch_with(db.__conn(), M::__from_row).await
    }

    /// Run it and decode every row into `R`: a tuple of column types, or a
    /// struct of yours that implements [`FromRow`].
    pub async fn fetch_as<R: FromRow, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<R>> {
        self.fetch_with(db.__conn(), R::from_row).await
    }
}

/// A row shape for [`Raw::fetch_as`]: implemented for tuples of column
/// types; implement it for your own struct by reading columns by index.
///
/// ```
/// use orm_core::{FieldType, FromRow, Result, RowRef};
/// struct Pair { name: String, n: i64 }
/// impl FromRow for Pair {
///     fn from_row(row: RowRef<'_>) -> Result<Self> {
///         Ok(Pair { name: String::decode(row, 0)?, n: i64::decode(row, 1)? })
///     }
/// }
/// ```
pub trait FromRow: Sized + Send {
    /// Decode one row.
    fn from_row(row: RowRef<'_>) -> Result<Self>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FieldType),+> FromRow for ($($t,)+) {
            fn from_row(row: RowRef<'_>) -> Result<Self> {
                Ok(($($t::decode(row, $i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, F 4);
tuple_from_row!(A 0, B 1, C 2, D 3, F 4, G 5);

macro_rules! value_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                FieldType::to_value(&v)
            }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Value {
                FieldType::to_value(&v)
            }
        }
    )*};
}

value_from!(
    i16,
    i32,
    i64,
    f32,
    f64,
    bool,
    String,
    Vec<u8>,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDateTime,
    chrono::NaiveDate,
    chrono::NaiveTime,
    uuid::Uuid,
    serde_json::Value,
    rust_decimal::Decimal
);

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::String(v.to_owned())
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        match v {
            Some(s) => Value::String(s.to_owned()),
            None => Value::Null(SqlType::Text),
        }
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

/// A statement that starts with `SELECT` and stores nothing (`SELECT ..
/// INTO`). Row locks matter only in a transaction, which never goes to a
/// replica; a `SELECT` that writes is refused by the replica and run again
/// on the primary (`Conn::read`).
fn is_plain_select(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("select"))
        && !sql.to_ascii_uppercase().contains(" INTO ")
}
