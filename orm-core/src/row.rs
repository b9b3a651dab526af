//! Rows as they come back from any of the three drivers.

/// A borrowed result row of whichever database the pool talks to.
///
/// Generated `from_row` code reads columns from it by index, and so does a
/// hand-written [`FromRow`](crate::FromRow) (see the example there).
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum RowRef<'r> {
    /// A PostgreSQL row.
    #[cfg(feature = "postgres")]
    Pg(&'r sqlx::postgres::PgRow),
    /// A MySQL / MariaDB row.
    #[cfg(feature = "mysql")]
    MySql(&'r sqlx::mysql::MySqlRow),
    /// A SQLite row.
    #[cfg(feature = "sqlite")]
    Sqlite(&'r sqlx::sqlite::SqliteRow),
}

impl RowRef<'_> {
    /// True when the column at `idx` is SQL NULL.
    pub fn is_null(&self, idx: usize) -> crate::Result<bool> {
        use sqlx::{Row, ValueRef};
        Ok(match self {
            #[cfg(feature = "postgres")]
            RowRef::Pg(r) => r.try_get_raw(idx).map_err(decode_error)?.is_null(),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => r.try_get_raw(idx).map_err(decode_error)?.is_null(),
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.try_get_raw(idx).map_err(decode_error)?.is_null(),
        })
    }
}

/// A column that could not be decoded into the field's type.
pub(crate) fn decode_error(e: sqlx::Error) -> crate::Error {
    crate::Error::Decode { message: e.to_string() }
}
