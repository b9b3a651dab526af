//! Raw SQL with bound parameters: the escape hatch.

use crate::dialect::Statement;
use crate::error::Result;
use crate::exec::Executor;
use crate::field::FieldType;
use crate::model::Model;
use crate::value::{SqlType, Value};

/// A raw SQL statement. Write the dialect's own placeholders (`$1` on
/// PostgreSQL, `?` elsewhere) and bind every value; nothing is spliced.
///
/// ```
/// # async fn demo() -> orm_core::Result<()> {
/// use orm_core::{prelude::*, raw};
/// let db = Db::connect("sqlite::memory:").await?;
/// let n: Vec<i64> = raw("SELECT ? + 1").bind(41_i64).fetch_scalars(&db).await?;
/// assert_eq!(n, vec![42]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[must_use = "a raw statement does nothing until it is run"]
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    params: Vec<Value>,
}

/// Start a raw statement.
pub fn raw(sql: impl Into<String>) -> Raw {
    Raw {
        sql: sql.into(),
        params: Vec::new(),
    }
}

impl Raw {
    /// Bind the next parameter.
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.params.push(v.into());
        self
    }

    fn statement(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }

    /// Run it; returns the rows affected.
    pub async fn execute<E: Executor + ?Sized>(self, db: &E) -> Result<u64> {
        Ok(db.__conn().execute(self.statement()).await?.rows_affected)
    }

    /// Run it and decode the first column of every row.
    pub async fn fetch_scalars<T: FieldType, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<T>> {
        db.__conn().fetch(self.statement(), |r| T::decode(r, 0)).await
    }

    /// Run it and decode every row as a model (select the model's columns, in order).
    pub async fn fetch_models<M: Model, E: Executor + ?Sized>(self, db: &E) -> Result<Vec<M>> {
        db.__conn().fetch(self.statement(), M::__from_row).await
    }
}

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
