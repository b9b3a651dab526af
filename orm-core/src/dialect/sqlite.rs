//! SQLite: `?` placeholders, RETURNING (3.35+), type affinity, CHECK for enums.

use super::{SqlDialect, Writer};
use crate::error::Violation;
use crate::value::{SqlType, Value};

pub(crate) struct Sqlite;

impl SqlDialect for Sqlite {
    fn buffer_rows(&self) -> bool {
        true
    }

    /// Always serializable; IMMEDIATE takes the write lock up front, so a
    /// transaction never fails later trying to upgrade it.
    fn begin(&self, _isolation: Option<&str>) -> String {
        "BEGIN IMMEDIATE".to_owned()
    }

    fn max_params(&self) -> usize {
        32_766
    }

    fn float_type(&self) -> &'static str {
        "REAL"
    }

    fn max_keys_per_statement(&self) -> usize {
        // 32,766 variables per statement.
        30_000
    }

    fn write_no_limit(&self, w: &mut Writer<'_>) {
        w.push(" LIMIT -1");
    }

    fn column_type(&self, ty: SqlType) -> String {
        match ty {
            SqlType::SmallInt | SqlType::Int | SqlType::BigInt => "INTEGER".into(),
            SqlType::Real | SqlType::Double => "REAL".into(),
            SqlType::Bool => "BOOLEAN".into(),
            SqlType::Varchar(n) => format!("VARCHAR({n})"),
            SqlType::Bytes => "BLOB".into(),
            SqlType::Text
            | SqlType::TimestampTz
            | SqlType::Timestamp
            | SqlType::Date
            | SqlType::Time
            | SqlType::Uuid
            | SqlType::Json
            | SqlType::Decimal
            | SqlType::Enum(_) => "TEXT".into(),
        }
    }

    fn auto_pk(&self, _ty: SqlType) -> String {
        "INTEGER PRIMARY KEY AUTOINCREMENT".into()
    }

    fn violation(&self, err: &dyn sqlx::error::DatabaseError) -> Violation {
        // "UNIQUE constraint failed: users.email, users.name"
        // "NOT NULL constraint failed: users.name"
        // "CHECK constraint failed: users_role_check"
        // "FOREIGN KEY constraint failed" (SQLite names nothing)
        let msg = err.message();
        let mut v = Violation::default();
        if let Some((_, rest)) = msg.split_once("constraint failed: ") {
            if msg.starts_with("CHECK") {
                v.constraint = Some(rest.trim().to_owned());
            } else {
                for part in rest.split(", ") {
                    if let Some((table, col)) = part.split_once('.') {
                        v.table = Some(table.to_owned());
                        v.columns.push(col.to_owned());
                    }
                }
            }
        }
        v
    }

    fn introspect_columns(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT name FROM pragma_table_info(?)".into(),
            vec![Value::String(table.into())],
        )
    }

    fn introspect_indexes(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT name FROM pragma_index_list(?)".into(),
            vec![Value::String(table.into())],
        )
    }
}
