//! MySQL and MariaDB: backtick quoting, `?` placeholders, last-insert-id,
//! native ENUM, a binary collation so comparisons match the other dialects.

use crate::dialect::ValueLimits;
use crate::dialect::{AlterSyntax, Capabilities, ColumnChange, InsertId, SqlDialect, StatementTimeout, Writer};
use crate::error::{DbError, Violation, ViolationKind, between};
use crate::value::{SqlType, Value};

pub(crate) struct MySql;

impl SqlDialect for MySql {
    fn alter_syntax(&self) -> &'static AlterSyntax {
        &AlterSyntax {
            column_change: ColumnChange::Modify,
            drop_index_on_table: true,
            drop_unique: "DROP INDEX",
            drop_foreign_key: "DROP FOREIGN KEY",
            alter_constraints: true,
            add_column_simple_only: false,
            rebuild_keeps_counter: &[],
        }
    }

    fn f32_image(&self, col: &str) -> String {
        format!("CAST({col} AS FLOAT)")
    }

    fn text_cast(&self) -> &'static str {
        "CHAR"
    }

    fn midnight(&self, col: &str) -> String {
        format!("TIME({col}) = '00:00:00'")
    }

    fn decode_may_lose(&self, ty: SqlType) -> bool {
        // A TINYINT(1) of another program's may hold 2, which reads as true.
        matches!(ty, SqlType::Json | SqlType::Bool)
    }

    /// MariaDB's per-statement variable (MySQL would need an optimizer hint).
    fn statement_timeout(&self, limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::Prefix(format!(
            "SET STATEMENT max_statement_time = {} FOR ",
            limit.as_secs_f64().max(0.001)
        ))
    }

    /// InnoDB counts its lock wait in whole seconds.
    fn lock_wait_limit(&self, limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::Prefix(format!(
            "SET STATEMENT innodb_lock_wait_timeout = {} FOR ",
            limit.as_secs_f64().ceil().max(1.0)
        ))
    }

    fn caps(&self) -> &'static Capabilities {
        static CAPS: Capabilities = Capabilities {
            insert_id: InsertId::LastInsertId,
            max_params: 65_535,
            max_keys_per_statement: 60_000, // 65,535 placeholders per statement
            enum_check: false,
            create_index_if_not_exists: false,
            transactional_ddl: false,
            upsert_any_unique_key: true,
        };
        &CAPS
    }
    fn replica_sql(&self) -> Option<crate::dialect::ReplicaSql> {
        // MASTER_GTID_WAIT with a zero timeout answers at once: 0 when the
        // replica has applied every GTID of the position.
        Some(crate::dialect::ReplicaSql {
            position: "SELECT @@gtid_binlog_pos",
            reached: "SELECT CAST(MASTER_GTID_WAIT(?, 0) = 0 AS SIGNED)",
        })
    }

    fn quote_ident(&self, name: &str, out: &mut String) {
        crate::dialect::quote_with('`', name, out);
    }

    /// The level applies to the next transaction, so it is set just before it.
    fn begin(&self, isolation: Option<&str>) -> String {
        match isolation {
            Some(level) => format!("SET TRANSACTION ISOLATION LEVEL {level}; START TRANSACTION"),
            None => "BEGIN".to_owned(),
        }
    }

    /// `DATETIME(6)` and `DATE` hold years 1000-9999 (later years become the
    /// zero date); DOUBLE has no NaN or infinities; `DECIMAL(38, 10)`.
    fn value_limits(&self) -> &'static ValueLimits {
        &ValueLimits {
            non_finite_floats: false,
            nan: false,
            nul_in_text: true,
            timestamp_years: (1000, 9999),
            date_years: (1000, 9999),
            decimal_scale: Some(10),
            decimal_integer_digits: Some(28),
            max_value_bytes: None,
        }
    }

    fn float_type(&self) -> &'static str {
        "DOUBLE"
    }

    /// `CAST(.. AS SIGNED)` clamps an overflowing sum to the i64 bounds
    /// with only a warning: the DECIMAL sum is read as it is, and `i64`'s
    /// decoder refuses one past its range.
    fn integer_cast_type(&self) -> Option<&'static str> {
        None
    }

    /// `ON DUPLICATE KEY UPDATE col = VALUES(col)`; the conflict target is
    /// whichever unique key matched.
    /// The version is bumped in place, and `key = LAST_INSERT_ID(key)` makes
    /// the driver report the key of an updated row too (the row is then read
    /// back by it).
    fn write_upsert(&self, w: &mut Writer<'_>, oc: &crate::ast::OnConflict) {
        w.push(" ON DUPLICATE KEY UPDATE ");
        if oc.update.is_empty() && oc.bump.is_none() && oc.auto_key.is_none() {
            // Nothing to set: the target assigned itself, a no-op (the ORM
            // has refused rows that collide on another key).
            let t = oc.target.first().copied().unwrap_or("id");
            w.ident(t);
            w.push(" = ");
            w.ident(t);
            return;
        }
        let mut first = true;
        let mut sep = |w: &mut Writer<'_>| {
            if !std::mem::take(&mut first) {
                w.push(", ");
            }
        };
        for c in &oc.update {
            sep(w);
            w.ident(c);
            w.push(" = VALUES(");
            w.ident(c);
            w.push(")");
        }
        if let Some(v) = oc.bump {
            sep(w);
            w.ident(v);
            w.push(" = ");
            w.ident(v);
            w.push(" + 1");
        }
        if let Some(k) = oc.auto_key {
            sep(w);
            w.ident(k);
            w.push(" = LAST_INSERT_ID(");
            w.ident(k);
            w.push(")");
        }
    }

    /// A long list of one type is one JSON parameter read by `JSON_TABLE`
    /// with the column's type, so any length stays under the parameter limit.
    fn write_in(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value], negated: bool) {
        match (values.len() > LONG_LIST).then(|| json_list(values)).flatten() {
            Some((json, ty)) => {
                w.col(column);
                w.push(if negated { " NOT IN (" } else { " IN (" });
                w.push("SELECT j.v FROM JSON_TABLE(");
                w.param(Value::String(json));
                w.push(", '$[*]' COLUMNS (v ");
                w.push(ty);
                w.push(" PATH '$')) AS j)");
            }
            None => w.in_list(column, values, negated),
        }
    }

    /// MariaDB spells a shared lock `LOCK IN SHARE MODE` (no `FOR SHARE`
    /// before 11.x); NOWAIT and SKIP LOCKED follow either (10.6+).
    fn write_lock(&self, w: &mut Writer<'_>, lock: &crate::ast::LockClause) {
        w.push(if lock.exclusive {
            " FOR UPDATE"
        } else {
            " LOCK IN SHARE MODE"
        });
        crate::dialect::write_lock_wait(w, lock.wait);
    }

    /// 1205 "Lock wait timeout exceeded" (MariaDB's NOWAIT answer too) and
    /// MySQL 8's 3572 NOWAIT error, both SQLSTATE HY000.
    /// MariaDB's ER_OPTION_PREVENTS_STATEMENT for a `--read-only` server.
    fn is_read_only_refusal(&self, _code: &str, message: &str) -> bool {
        message.contains("--read-only")
    }

    /// No such table (1146) or column (1054), by SQLSTATE.
    fn is_missing_object(&self, code: &str) -> bool {
        matches!(code, "42S02" | "42S22")
    }

    /// MariaDB 1969 (`max_statement_time exceeded`), MySQL 3024
    /// (`maximum statement execution time exceeded`).
    fn is_timeout(&self, _code: &str, message: &str) -> bool {
        message.contains("max_statement_time exceeded") || message.contains("maximum statement execution time exceeded")
    }

    /// 1213 (SQLSTATE 40001, "Deadlock found when trying to get lock").
    /// A lock wait timeout (1205) stays `LockNotAvailable`: by default the
    /// server undoes only the statement, not the transaction.
    fn is_transaction_conflict(&self, code: &str, message: &str) -> bool {
        code == "40001" || message.starts_with("Deadlock found")
    }

    fn is_lock_not_available(&self, _code: &str, message: &str) -> bool {
        message.starts_with("Lock wait timeout exceeded")
            || message.starts_with("Statement aborted because lock(s) could not be acquired immediately")
    }

    /// A native ENUM sorts by position; its label sorts as on the other dialects.
    fn write_label_order(&self, w: &mut Writer<'_>, column: &'static str) {
        w.push("CAST(");
        w.col(column);
        w.push(" AS CHAR) COLLATE utf8mb4_nopad_bin");
    }

    fn write_keys(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value]) {
        w.in_list(column, values, false);
    }

    fn write_json_text(&self, w: &mut Writer<'_>, column: &'static str, keys: &[String]) {
        w.push("JSON_UNQUOTE(JSON_EXTRACT(");
        w.col(column);
        w.push(", ");
        w.param(Value::String(crate::dialect::json_path(keys)));
        w.push("))");
    }

    /// By [`JsonOperand`](crate::dialect::JsonOperand)'s rule: `JSON_TYPE` picks the
    /// field's kind; numbers compare as DOUBLE (`+ 0e0`), strings as bytes
    /// (`CAST(.. AS BINARY)`: no trailing-space padding), booleans by their
    /// unquoted text (`'false' < 'true'`).
    fn write_json_cmp(
        &self,
        w: &mut Writer<'_>,
        column: &'static str,
        keys: &[String],
        op: crate::ast::CmpOp,
        v: &Value,
    ) {
        use crate::dialect::JsonOperand;
        let path = Value::String(crate::dialect::json_path(keys));
        let (kinds, operand) = match JsonOperand::of(v) {
            JsonOperand::Number(n) => ("IN ('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER')", Value::F64(n)),
            JsonOperand::Text(s) => ("= 'STRING'", Value::String(s)),
            JsonOperand::Bool(b) => ("= 'BOOLEAN'", Value::Str(if b { "true" } else { "false" })),
            JsonOperand::Nothing => return w.push("1 = 0"),
        };
        let text = matches!(operand, Value::String(_));
        w.push("(JSON_TYPE(JSON_EXTRACT(");
        w.col(column);
        w.push(", ");
        w.param(path.clone());
        w.push(")) ");
        w.push(kinds);
        w.push(" AND ");
        if text {
            w.push("CAST(");
        }
        w.push("JSON_UNQUOTE(JSON_EXTRACT(");
        w.col(column);
        w.push(", ");
        w.param(path);
        w.push("))");
        match &operand {
            Value::F64(_) => w.push(" + 0e0"),
            Value::String(_) => w.push(" AS BINARY)"),
            _ => {}
        }
        w.push(op.sql());
        if text {
            w.push("CAST(");
            w.param(operand);
            w.push(" AS BINARY))");
        } else {
            w.param(operand);
            w.push(")");
        }
    }

    /// `INSERT IGNORE` would also hide foreign-key errors; a no-op update does not.
    fn write_ignore_conflicts(&self, w: &mut Writer<'_>, first_column: &'static str) {
        w.push(" ON DUPLICATE KEY UPDATE ");
        w.ident(first_column);
        w.push(" = ");
        w.ident(first_column);
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
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
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
    /// Also the server refusing a connection over a limit (1040 "Too many
    /// connections", 1203/1226 a user's `max_user_connections`), which
    /// MySQL reports as SQLSTATE 42000/08004: the database is unavailable.
    fn is_session_lost(&self, code: &str, message: &str) -> bool {
        code.starts_with("08")
            || (code == "70100" && message.starts_with("Connection was killed"))
            || message.contains("'max_user_connections'")
            || message.starts_with("Too many connections")
    }

    /// Field without a default / enum value out of the set (strict mode),
    /// and CHECK failures, known by their messages.
    fn violation_kind(&self, err: &DbError) -> Option<ViolationKind> {
        let msg = err.message.as_str();
        err.code.as_ref()?;
        if matches!(err.code.as_deref(), Some("1364" | "HY000")) && msg.contains("doesn't have a default value") {
            Some(ViolationKind::NotNull)
        } else if msg.starts_with("Data truncated for column")
            || (msg.starts_with("CONSTRAINT ") && msg.contains(" failed for "))
        {
            Some(ViolationKind::Check)
        } else {
            None
        }
    }

    fn violation(&self, err: &DbError) -> Violation {
        let msg = err.message.as_str();
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
}

/// Lists longer than this travel as one JSON parameter.
const LONG_LIST: usize = 500;

/// The values as a JSON array and the `JSON_TABLE` column type that reads
/// them back, when they share a type with a JSON form.
fn json_list(values: &[Value]) -> Option<(String, &'static str)> {
    use serde_json::Value as J;
    let ty = |v: &Value| -> Option<&'static str> {
        Some(match v {
            Value::I16(_) | Value::I32(_) | Value::I64(_) | Value::Bool(_) => "BIGINT",
            Value::F32(f) if f.is_finite() => "DOUBLE",
            Value::F64(f) if f.is_finite() => "DOUBLE",
            Value::String(_) | Value::Str(_) => "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
            Value::Uuid(_) => "CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
            Value::Decimal(_) => "DECIMAL(38, 10)",
            Value::DateTimeUtc(_) | Value::DateTime(_) => "DATETIME(6)",
            Value::Date(_) => "DATE",
            Value::Time(_) => "TIME(6)",
            _ => return None,
        })
    };
    let first = ty(values.first()?)?;
    let mut items = Vec::with_capacity(values.len());
    for v in values {
        if ty(v)? != first {
            return None;
        }
        items.push(crate::dialect::json_scalar(v, date_text)?);
    }
    Some((J::Array(items).to_string(), first))
}

/// A time as `JSON_TABLE` reads it into `DATETIME(6)`, `DATE` or `TIME(6)`.
fn date_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::DateTimeUtc(t) => t.naive_utc().format("%F %T%.6f").to_string(),
        Value::DateTime(t) => t.format("%F %T%.6f").to_string(),
        Value::Date(d) => d.format("%F").to_string(),
        Value::Time(t) => t.format("%T%.6f").to_string(),
        _ => return None,
    })
}
