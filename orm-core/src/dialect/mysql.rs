//! MySQL and MariaDB: backtick quoting, `?` placeholders, last-insert-id,
//! native ENUM, a binary collation so comparisons match the other dialects.

use super::{InsertId, SqlDialect, Writer};
use crate::error::{Violation, between};
use crate::value::{SqlType, Value};

pub(crate) struct MySql;

impl SqlDialect for MySql {
    fn quote_ident(&self, name: &str, out: &mut String) {
        out.push('`');
        for c in name.chars() {
            if c == '`' {
                out.push('`');
            }
            out.push(c);
        }
        out.push('`');
    }

    /// The level applies to the next transaction, so it is set just before it.
    fn begin(&self, isolation: Option<&str>) -> String {
        match isolation {
            Some(level) => format!("SET TRANSACTION ISOLATION LEVEL {level}; START TRANSACTION"),
            None => "BEGIN".to_owned(),
        }
    }

    fn max_params(&self) -> usize {
        65_535
    }

    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }

    /// `ON DUPLICATE KEY UPDATE col = VALUES(col)`; the conflict target is
    /// whichever unique key matched.
    fn write_upsert(&self, w: &mut Writer<'_>, oc: &crate::ast::OnConflict) {
        w.push(" ON DUPLICATE KEY UPDATE ");
        for (i, c) in oc.update.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.ident(c);
            w.push(" = VALUES(");
            w.ident(c);
            w.push(")");
        }
    }

    fn max_keys_per_statement(&self) -> usize {
        // 65,535 placeholders per statement.
        60_000
    }

    /// `INSERT IGNORE` would also hide foreign-key errors; a no-op update does not.
    fn write_ignore_conflicts(&self, w: &mut Writer<'_>, first_column: &'static str) {
        w.push(" ON DUPLICATE KEY UPDATE ");
        w.ident(first_column);
        w.push(" = ");
        w.ident(first_column);
    }

    fn insert_id(&self) -> InsertId {
        InsertId::LastInsertId
    }

    fn write_no_limit(&self, w: &mut Writer<'_>) {
        w.push(" LIMIT 18446744073709551615");
    }

    fn column_type(&self, ty: SqlType) -> String {
        match ty {
            SqlType::SmallInt => "SMALLINT".into(),
            SqlType::Int => "INT".into(),
            SqlType::BigInt => "BIGINT".into(),
            SqlType::Real => "FLOAT".into(),
            SqlType::Double => "DOUBLE".into(),
            SqlType::Bool => "BOOLEAN".into(),
            SqlType::Varchar(n) => format!("VARCHAR({n})"),
            SqlType::Text => "LONGTEXT".into(),
            SqlType::Bytes => "LONGBLOB".into(),
            SqlType::TimestampTz | SqlType::Timestamp => "DATETIME(6)".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME(6)".into(),
            SqlType::Uuid => "CHAR(36)".into(),
            SqlType::Json => "JSON".into(),
            SqlType::Decimal => "DECIMAL(38, 10)".into(),
            SqlType::Enum(values) => {
                let mut s = String::from("ENUM(");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    self.string_literal(v, &mut s);
                }
                s.push(')');
                s
            }
        }
    }

    fn auto_pk(&self, ty: SqlType) -> String {
        format!("{} NOT NULL AUTO_INCREMENT PRIMARY KEY", self.column_type(ty))
    }

    fn table_options(&self) -> &'static str {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    }

    fn enum_needs_check(&self) -> bool {
        false
    }

    fn create_index_if_not_exists(&self) -> bool {
        false
    }

    fn string_literal(&self, s: &str, out: &mut String) {
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                '\0' => out.push_str("\\0"),
                c => out.push(c),
            }
        }
        out.push('\'');
    }

    /// Class 08 (1053 server shutdown), and MariaDB's 1927 "Connection was
    /// killed" (SQLSTATE 70100, which `KILL QUERY` shares without the session
    /// ending, hence the message).
    fn is_session_lost(&self, code: &str, message: &str) -> bool {
        code.starts_with("08") || (code == "70100" && message.starts_with("Connection was killed"))
    }

    fn violation(&self, err: &dyn sqlx::error::DatabaseError) -> Violation {
        let msg = err.message();
        let mut v = Violation::default();
        if msg.starts_with("Duplicate entry") {
            // Duplicate entry 'x' for key 'users_email_key' (MySQL 8: 'users.users_email_key')
            if let Some(idx) = msg.rfind(" for key '") {
                let key = msg[idx + 10..].trim_end_matches('\'');
                let key = key.rsplit('.').next().unwrap_or(key);
                v.constraint = Some(key.to_owned());
            }
        } else if msg.contains("a foreign key constraint fails") {
            // (`db`.`posts`, CONSTRAINT `fk` FOREIGN KEY (`author_id`) REFERENCES ...
            if let Some(t) = between(msg, "fails (", '.', ',') {
                v.table = Some(t.trim_matches('`').to_owned());
            }
            v.constraint = between(msg, "CONSTRAINT ", '`', '`').map(str::to_owned);
            if let Some(cols) = between(msg, "FOREIGN KEY ", '(', ')') {
                v.columns = cols.split(", ").map(|c| c.trim_matches('`').to_owned()).collect();
            }
        } else if let Some(col) = between(msg, "Column ", '\'', '\'').or_else(|| between(msg, "Field ", '\'', '\'')) {
            v.columns.push(col.to_owned());
        } else if let Some(col) = between(msg, "Data truncated for column ", '\'', '\'') {
            v.columns.push(col.to_owned());
        } else if msg.starts_with("CONSTRAINT ") {
            // MariaDB: CONSTRAINT `users_role_check` failed for `db`.`users`
            v.constraint = between(msg, "CONSTRAINT ", '`', '`').map(str::to_owned);
            if let Some(t) = msg.rsplit('.').next() {
                v.table = Some(t.trim_matches('`').to_owned());
            }
        } else if let Some(c) = between(msg, "Check constraint ", '\'', '\'') {
            v.constraint = Some(c.to_owned());
        }
        v
    }

    fn introspect_columns(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?".into(),
            vec![Value::String(table.into())],
        )
    }

    fn introspect_indexes(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT DISTINCT CAST(INDEX_NAME AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?".into(),
            vec![Value::String(table.into())],
        )
    }
}
