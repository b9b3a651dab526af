//! The dialect layer: the [`SqlDialect`] trait that renders the statement
//! tree (defaults hold the common SQL, hooks what differs: quoting,
//! placeholders, types, RETURNING vs last-insert-id, ILIKE, limits,
//! literals, error codes), the data types its implementations answer with,
//! and the shared rendering (`render.rs`). Each database's implementation
//! lives in its home, `backend/<db>/dialect.rs`.

pub(crate) mod render;

use crate::error::Error;
use crate::value::{SqlType, Value};

pub use render::Statement;
pub(crate) use render::{Writer, literal_text, render_delete, render_insert, render_select, render_update};

/// What a dialect's column types can store exactly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueLimits {
    /// NaN and ±infinity in float columns.
    pub non_finite_floats: bool,
    /// NaN (SQLite stores it as NULL, but keeps the infinities).
    pub nan: bool,
    /// A NUL character inside text or JSON strings.
    pub nul_in_text: bool,
    /// Years a timestamp column holds (inclusive).
    pub timestamp_years: (i32, i32),
    /// Years a date column holds (inclusive).
    pub date_years: (i32, i32),
    /// Most digits after the decimal point of a decimal column.
    pub decimal_scale: Option<u32>,
    /// Most digits before the decimal point of a decimal column.
    pub decimal_integer_digits: Option<u32>,
    /// Most bytes one text or blob value holds (SQLite's SQLITE_MAX_LENGTH,
    /// PostgreSQL's 1 GB field limit; MySQL's is its packet size, checked
    /// per statement).
    pub max_value_bytes: Option<usize>,
}

/// How a dialect tells replica positions (PostgreSQL and MySQL/MariaDB).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplicaSql {
    /// On the primary: its current position, as text.
    pub position: &'static str,
    /// On a replica, with the position bound: 1 when it has replayed it.
    pub reached: &'static str,
}

/// How a dialect reports the key of a row it just inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InsertId {
    /// `INSERT ... RETURNING pk`
    Returning,
    /// The driver's last-insert-id; a multi-row insert gets consecutive ids.
    LastInsertId,
}

/// What a dialect's server can do, as data: the runtime and the schema
/// code read these instead of asking which dialect they have.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Capabilities {
    /// How an insert reports its generated key.
    pub insert_id: InsertId,
    /// The most bind parameters one statement takes.
    pub max_params: usize,
    /// The most keys one include statement sends (under `max_params`).
    pub max_keys_per_statement: usize,
    /// An enum column needs a CHECK constraint (no native ENUM type).
    pub enum_check: bool,
    /// `CREATE INDEX IF NOT EXISTS` is understood (else indexes are
    /// declared inside CREATE TABLE).
    pub create_index_if_not_exists: bool,
    /// DDL runs inside a transaction and is rolled back with it.
    pub transactional_ddl: bool,
    /// An upsert takes no conflict target: it fires on whichever unique key
    /// collides (MySQL's `ON DUPLICATE KEY UPDATE`), so the ORM checks the
    /// other unique keys itself to refuse what the other databases refuse.
    pub upsert_any_unique_key: bool,
}

/// How a dialect changes an existing table, as data: `schema/alter.rs`
/// renders `generate --auto`'s migrations from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlterSyntax {
    /// How a column's type, nullability or default changes in place.
    pub column_change: ColumnChange,
    /// `DROP INDEX name` names its table too (`DROP INDEX name ON table`).
    pub drop_index_on_table: bool,
    /// The ALTER TABLE clause that drops a UNIQUE constraint.
    pub drop_unique: &'static str,
    /// The ALTER TABLE clause that drops a foreign key.
    pub drop_foreign_key: &'static str,
    /// UNIQUE, CHECK and foreign-key constraints can be added to or dropped
    /// from an existing table (else the table is rebuilt).
    pub alter_constraints: bool,
    /// ADD COLUMN takes only a column that is nullable or has a constant
    /// default, without UNIQUE, CHECK or REFERENCES (else: rebuild).
    pub add_column_simple_only: bool,
    /// Statements a table rebuild runs before dropping the old table so the
    /// new one keeps its auto-increment counter (`{old}` and `{new}` stand
    /// for the two table names as string literals); none where no rebuild.
    pub rebuild_keeps_counter: &'static [&'static str],
}

/// How a column changes in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnChange {
    /// `ALTER COLUMN c TYPE t USING c::t`, `SET/DROP NOT NULL`, `SET/DROP DEFAULT`.
    AlterColumn,
    /// `MODIFY COLUMN` with the whole new definition.
    Modify,
    /// Not at all: the table is rebuilt (SQLite's documented procedure).
    Rebuild,
}

/// How one statement is given a timeout of its own (`Find::timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatementTimeout {
    /// Put this before the statement's text (MariaDB's `SET STATEMENT
    /// max_statement_time = s FOR ..`).
    Prefix(String),
    /// Run the statement in a transaction that first runs `set`
    /// (PostgreSQL's `SET LOCAL statement_timeout`); inside the caller's
    /// transaction, `reset` afterwards gives the session's own value back.
    InTransaction { set: String, reset: &'static str },
    /// The in-process driver interrupts it at the deadline (SQLite).
    Deadline,
    /// The in-process driver stops waiting for a lock at the deadline
    /// (SQLite's busy loop); the statement itself runs as long as it takes.
    LockWaitDeadline,
}

/// What differs between databases. Default methods hold the common SQL.
pub(crate) trait SqlDialect: Sync {
    /// What the server can do, as data (kept apart from the rendering hooks).
    fn caps(&self) -> &'static Capabilities;

    /// How the server alters an existing table, as data.
    fn alter_syntax(&self) -> &'static AlterSyntax;

    fn quote_ident(&self, name: &str, out: &mut String) {
        quote_with('"', name, out);
    }

    /// Write the placeholder for the `n`th (1-based) parameter.
    fn placeholder(&self, _n: usize, out: &mut String) {
        out.push('?');
    }

    /// `col [NOT] ILIKE pattern`; the default lowers both sides.
    fn write_ilike(&self, w: &mut Writer<'_>, column: &'static str, pattern: Value, negated: bool) {
        w.push("LOWER(");
        w.col(column);
        w.push(if negated { ") NOT LIKE LOWER(" } else { ") LIKE LOWER(" });
        w.param(pattern);
        w.push(")");
    }

    /// `col + v` / `col - v` in an UPDATE's SET. Servers fail past the
    /// column's range by themselves (SQLSTATE 22003).
    fn write_arith(&self, w: &mut Writer<'_>, column: &'static str, op: &str, v: &Value) {
        w.ident(column);
        w.push(op);
        w.param(v.clone());
    }

    /// `AGG(column)` in a select list, computed as Rust would for the
    /// column's type; the default is the plain function, cast as asked.
    fn write_aggregate(
        &self,
        w: &mut Writer<'_>,
        f: crate::ast::AggFn,
        column: &str,
        cast: Option<crate::ast::AggCast>,
        _ty: SqlType,
    ) {
        render::aggregate(w.d, w, f, column, cast);
    }

    /// A model column in ORDER BY: enums by label, with the collation its
    /// type needs, NULLs first ascending and last descending (Rust's
    /// `Option` order) when it is nullable.
    fn write_order_column(&self, w: &mut Writer<'_>, c: &crate::ast::TypedColumn, direction: crate::ast::Direction) {
        use crate::ast::Direction;
        if matches!(c.sql_type, Some(SqlType::Enum(_))) {
            self.write_label_order(w, c.name);
        } else {
            w.col(c.name);
            if let Some(collation) = c.sql_type.and_then(|ty| self.collation(ty)) {
                w.push(" COLLATE ");
                w.push(collation);
            }
        }
        w.push(match direction {
            Direction::Asc => " ASC",
            Direction::Desc => " DESC",
        });
        if c.nullable {
            w.push(self.nulls_order(direction));
        }
    }

    /// Whether a stored value of this column type can decode to a field
    /// value that writes back differently (a JSON number beyond f64, a
    /// boolean stored as 2): `save` then compares the stored row before
    /// rewriting such a column it may not have changed.
    fn decode_may_lose(&self, ty: SqlType) -> bool {
        matches!(ty, SqlType::Json)
    }

    /// The collation comparisons and orders on a column of this type need
    /// to follow Rust's order (SQLite's decimals, stored as text). None: the
    /// column's own.
    fn collation(&self, _ty: SqlType) -> Option<&'static str> {
        None
    }

    /// After a nullable column's direction in ORDER BY: what puts NULLs
    /// first ascending and last descending. The default is nothing, for
    /// databases where NULL orders as the smallest value.
    fn nulls_order(&self, _direction: crate::ast::Direction) -> &'static str {
        ""
    }

    /// An enum column in ORDER BY, ordered by its label.
    fn write_label_order(&self, w: &mut Writer<'_>, column: &'static str) {
        w.col(column);
    }

    /// Whether a server error means a value went past its column's range.
    fn is_out_of_range(&self, code: &str, _message: &str) -> bool {
        code == "22003"
    }

    /// What the column types store exactly; values outside are refused
    /// before SQL is sent (see `guard.rs`).
    fn value_limits(&self) -> &'static ValueLimits;

    /// How replica positions are read (`None`: the dialect has no replicas).
    fn replica_sql(&self) -> Option<ReplicaSql> {
        None
    }

    /// The type SUM/AVG results are cast to, so they decode as `f64`.
    fn float_type(&self) -> &'static str {
        "DOUBLE PRECISION"
    }

    /// The type integer SUMs are cast to, so they decode as `i64` (a sum
    /// past its range then fails as out of range); `None`: not cast, the
    /// decoder checks the range.
    fn integer_cast_type(&self) -> Option<&'static str> {
        Some("BIGINT")
    }

    /// `ON CONFLICT ... DO UPDATE` for an upsert.
    fn write_upsert(&self, w: &mut Writer<'_>, oc: &crate::ast::OnConflict) {
        render::upsert_excluded(w, oc);
    }

    /// After an INSERT's VALUES: skip rows that hit a unique key.
    fn write_ignore_conflicts(&self, w: &mut Writer<'_>, _first_column: &'static str) {
        w.push(" ON CONFLICT DO NOTHING");
    }

    /// `col [NOT] IN (...)` for a non-empty list.
    fn write_in(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value], negated: bool) {
        w.in_list(column, values, negated);
    }

    /// `col IN (...)` for a chunk of keys the ORM sized under the parameter
    /// limit itself. Where `write_in` sends long lists as JSON (MySQL,
    /// SQLite), keys stay a plain list: the servers plan a constant list
    /// better than a JSON table (MariaDB's W2 and W4 were 20-40% slower).
    fn write_keys(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value]) {
        self.write_in(w, column, values, false);
    }

    /// `LIMIT/OFFSET`, with limit and offset bound as parameters.
    fn write_limit(&self, w: &mut Writer<'_>, limit: Option<u64>, offset: Option<u64>) {
        if let Some(l) = limit {
            w.push(" LIMIT ");
            w.param(Value::I64(clamp(l)));
        }
        if let Some(o) = offset {
            if limit.is_none() {
                self.write_no_limit(w);
            }
            w.push(" OFFSET ");
            w.param(Value::I64(clamp(o)));
        }
    }

    /// A row lock after LIMIT: `FOR UPDATE` / `FOR SHARE` [`NOWAIT` | `SKIP LOCKED`].
    fn write_lock(&self, w: &mut Writer<'_>, lock: &crate::ast::LockClause) {
        w.push(if lock.exclusive { " FOR UPDATE" } else { " FOR SHARE" });
        write_lock_wait(w, lock.wait);
    }

    /// A double column's value rounded to f32 and back (migration guards).
    fn f32_image(&self, col: &str) -> String {
        format!("CAST(CAST({col} AS REAL) AS DOUBLE PRECISION)")
    }

    /// The type a value is cast to for its text (`CAST(x AS TEXT)`).
    fn text_cast(&self) -> &'static str {
        "TEXT"
    }

    /// A column of type `ty` as a number (SQLite keeps decimals as text).
    fn as_number(&self, col: &str, _ty: SqlType) -> String {
        col.to_owned()
    }

    /// True where a numeric column of type `ty` has a fractional part.
    fn has_fraction(&self, col: &str, _ty: SqlType) -> String {
        format!("{col} <> ROUND({col})")
    }

    /// True where a time column's value is at midnight exactly.
    fn midnight(&self, col: &str) -> String {
        format!("CAST({col} AS TIME) = '00:00:00'")
    }

    /// The value a table rebuild copies for a column whose type changes
    /// (SQLite: its affinity alone leaves times and fractions as they were).
    fn rebuild_value(&self, col: &str, _from: SqlType, _to: SqlType) -> String {
        col.to_owned()
    }

    /// The function that counts a string's characters, with its `(`.
    fn char_length_fn(&self) -> &'static str {
        "CHAR_LENGTH("
    }

    /// A JSON field as SQL text (a field compared with another expression).
    fn write_json_text(&self, w: &mut Writer<'_>, column: &'static str, keys: &[String]) {
        w.push("json_extract(");
        w.col(column);
        w.push(", ");
        w.param(Value::String(json_path(keys)));
        w.push(")");
    }

    /// `field op value` for a field of a JSON column, by [`JsonOperand`]'s
    /// rule. The default is SQLite's: `json_type` picks the field's kind,
    /// numbers compare as REAL, strings by bytes (BINARY), booleans as 1/0.
    fn write_json_cmp(
        &self,
        w: &mut Writer<'_>,
        column: &'static str,
        keys: &[String],
        op: crate::ast::CmpOp,
        v: &Value,
    ) {
        let path = Value::String(json_path(keys));
        let (kinds, cast, operand) = match JsonOperand::of(v) {
            JsonOperand::Number(n) => ("IN ('integer', 'real')", true, Value::F64(n)),
            JsonOperand::Text(s) => ("= 'text'", false, Value::String(s)),
            JsonOperand::Bool(b) => ("IN ('true', 'false')", false, Value::I64(i64::from(b))),
            JsonOperand::Nothing => return w.push("1 = 0"),
        };
        w.push("(json_type(");
        w.col(column);
        w.push(", ");
        w.param(path.clone());
        w.push(") ");
        w.push(kinds);
        w.push(" AND ");
        w.push(if cast { "CAST(json_extract(" } else { "json_extract(" });
        w.col(column);
        w.push(", ");
        w.param(path);
        w.push(if cast { ") AS REAL)" } else { ")" });
        w.push(op.sql());
        w.param(operand);
        w.push(")");
    }

    /// Whether a server error means a row lock could not be taken in time
    /// (`NOWAIT`, lock wait timeout): [`Error::LockNotAvailable`].
    fn is_lock_not_available(&self, code: &str, _message: &str) -> bool {
        code == "55P03"
    }

    /// How one statement gets a timeout of its own, cancelled by the database.
    fn statement_timeout(&self, limit: std::time::Duration) -> StatementTimeout;

    /// How one statement gets a lock wait limit of its own (ending in
    /// [`Error::LockNotAvailable`], or `Timeout` where the in-process
    /// driver ends the wait): for a statement on `&db` inside a
    /// transaction on the same pool, which may wait on that transaction.
    fn lock_wait_limit(&self, limit: std::time::Duration) -> StatementTimeout;

    /// Whether a server error means the statement ran past its timeout
    /// and was cancelled: [`Error::Timeout`] (PostgreSQL 57014 by default).
    fn is_timeout(&self, code: &str, _message: &str) -> bool {
        code == "57014"
    }

    /// Whether a server error means the transaction was rolled back for
    /// conflicting with a concurrent one (serialization failure, deadlock):
    /// [`Error::TransactionConflict`], which `transaction_retry` reruns.
    fn is_transaction_conflict(&self, code: &str, _message: &str) -> bool {
        matches!(code, "40001" | "40P01")
    }

    /// A read replica refused the statement because it writes (a raw
    /// `SELECT nextval(..)`): the runner runs it again on the primary.
    fn is_read_only_refusal(&self, code: &str, _message: &str) -> bool {
        code == "25006"
    }

    /// The server does not know a table or column the statement names: on a
    /// replica behind the primary's schema, the runner runs the read again
    /// on the primary. Each server dialect says by which codes.
    fn is_missing_object(&self, _code: &str) -> bool {
        false
    }

    /// What to write for "no limit" when only an offset is given.
    fn write_no_limit(&self, _w: &mut Writer<'_>) {}

    /// The column type for DDL.
    fn column_type(&self, ty: SqlType) -> String;

    /// The full definition of an auto-increment integer primary key, after its name.
    fn auto_pk(&self, ty: SqlType) -> String;

    /// Appended after a CREATE TABLE's closing parenthesis.
    fn table_options(&self) -> &'static str {
        ""
    }

    /// The statement(s) that open a transaction, at an isolation level if given.
    fn begin(&self, isolation: Option<&str>) -> String {
        match isolation {
            Some(level) => format!("BEGIN ISOLATION LEVEL {level}"),
            None => "BEGIN".to_owned(),
        }
    }

    /// After `DROP TABLE IF EXISTS name`.
    fn drop_table_suffix(&self) -> &'static str {
        ""
    }

    /// A column's `default_sql` as DDL writes it: the text unchanged,
    /// except where the dialect stores the type in its own form (SQLite's
    /// `CURRENT_TIMESTAMP` for a UTC time).
    fn default_sql(&self, _ty: SqlType, sql: &str, out: &mut String) {
        out.push_str(sql);
    }

    /// Write a value as a SQL literal (for DEFAULT clauses in DDL only).
    fn literal(&self, v: &Value, out: &mut String) {
        render::default_literal(self, v, out)
    }

    fn bool_literal(&self, b: bool) -> &'static str {
        if b { "TRUE" } else { "FALSE" }
    }

    fn string_literal(&self, s: &str, out: &mut String) {
        out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
    }

    fn bytes_literal(&self, b: &[u8], out: &mut String) {
        out.push_str("X'");
        for byte in b {
            out.push_str(&format!("{byte:02x}"));
        }
        out.push('\'');
    }

    /// Read table, constraint and columns out of a constraint error.
    fn violation(&self, err: &crate::error::DbError) -> crate::error::Violation;

    /// Constraint violations the driver does not classify, by code and message.
    fn violation_kind(&self, _err: &crate::error::DbError) -> Option<crate::error::ViolationKind> {
        None
    }

    /// Whether a server error means the session is gone (shut down, killed,
    /// connection failure): reported as [`Error::Connection`], not as a
    /// failed statement. SQLSTATE class 08 on every server by default.
    fn is_session_lost(&self, code: &str, _message: &str) -> bool {
        code.starts_with("08")
    }
}

/// A JSON path for MySQL and SQLite: `$."key"[0]` (keys of digits are
/// array positions), bound as a parameter, never spliced.
pub(crate) fn json_path(keys: &[String]) -> String {
    let mut p = String::from("$");
    for k in keys {
        if !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()) {
            p.push('[');
            p.push_str(k);
            p.push(']');
        } else {
            p.push_str(".\"");
            for c in k.chars() {
                if matches!(c, '"' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('"');
        }
    }
    p
}

/// A list value as JSON for a dialect that reads long lists from one JSON
/// parameter (MySQL's `JSON_TABLE`, SQLite's `json_each`): numbers, 0/1
/// for booleans, text for strings, UUIDs and decimals, and times in the
/// text form `date_text` gives (each dialect stores its own). `None` for a
/// value with no JSON form (bytes, documents, non-finite floats, NULL).
pub(crate) fn json_scalar(v: &Value, date_text: fn(&Value) -> Option<String>) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match v {
        Value::I16(n) => J::from(*n),
        Value::I32(n) => J::from(*n),
        Value::I64(n) => J::from(*n),
        Value::Bool(b) => J::from(i64::from(*b)),
        Value::F32(f) if f.is_finite() => J::from(f64::from(*f)),
        Value::F64(f) if f.is_finite() => J::from(*f),
        Value::String(s) => J::from(s.as_str()),
        Value::Str(s) => J::from(*s),
        Value::Uuid(u) => J::from(u.hyphenated().to_string()),
        Value::Decimal(d) => J::from(d.to_string()),
        Value::DateTimeUtc(_) | Value::DateTime(_) | Value::Date(_) | Value::Time(_) => J::from(date_text(v)?),
        _ => return None,
    })
}

/// What a JSON field is compared with, by the one rule every dialect
/// renders: a number matches JSON numbers only, both read as `f64` (as
/// serde_json's `as_f64`: `42 == 42.0`); a string matches JSON strings only,
/// by their bytes; a boolean matches JSON booleans only (`false < true`).
/// A missing key, a JSON null, array or object matches no comparison, `ne`
/// included; so does an operand of another type (NULL, bytes, times:
/// compare their JSON text as a string instead).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonOperand {
    Number(f64),
    Text(String),
    Bool(bool),
    Nothing,
}

impl JsonOperand {
    pub(crate) fn of(v: &Value) -> JsonOperand {
        match v {
            Value::I16(n) => JsonOperand::Number(f64::from(*n)),
            Value::I32(n) => JsonOperand::Number(f64::from(*n)),
            Value::I64(n) => JsonOperand::Number(*n as f64),
            Value::F32(n) if n.is_nan() => JsonOperand::Nothing,
            Value::F32(n) => JsonOperand::Number(f64::from(*n)),
            Value::F64(n) if n.is_nan() => JsonOperand::Nothing,
            Value::F64(n) => JsonOperand::Number(*n),
            Value::Decimal(d) => {
                use rust_decimal::prelude::ToPrimitive;
                d.to_f64().map_or(JsonOperand::Nothing, JsonOperand::Number)
            }
            Value::String(s) => JsonOperand::Text(s.clone()),
            Value::Str(s) => JsonOperand::Text((*s).to_owned()),
            Value::Bool(b) => JsonOperand::Bool(*b),
            _ => JsonOperand::Nothing,
        }
    }
}

/// ` NOWAIT` / ` SKIP LOCKED` after a lock clause.
pub(crate) fn write_lock_wait(w: &mut Writer<'_>, wait: crate::ast::LockWait) {
    use crate::ast::LockWait;
    match wait {
        LockWait::Wait => {}
        LockWait::NoWait => w.push(" NOWAIT"),
        LockWait::SkipLocked => w.push(" SKIP LOCKED"),
    }
}

/// `name` between `q`s, a `q` inside doubled.
pub(crate) fn quote_with(q: char, name: &str, out: &mut String) {
    out.push(q);
    for c in name.chars() {
        if c == q {
            out.push(q);
        }
        out.push(c);
    }
    out.push(q);
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Turn a database's refusal into the ORM's variant for it: lost
/// sessions, lock timeouts, out-of-range values and the four constraint
/// violations (with table and columns, from the error or from the
/// registered models' constraint names), else `Error::Database`.
pub(crate) fn classify(sql: &dyn SqlDialect, err: crate::error::DbError) -> Error {
    let code = err.code.as_deref().unwrap_or("");
    if err.code.is_some() && sql.is_session_lost(code, &err.message) {
        return Error::Connection { message: err.message };
    }
    if err.code.is_some() && sql.is_timeout(code, &err.message) {
        return Error::Timeout;
    }
    if err.code.is_some() && sql.is_transaction_conflict(code, &err.message) {
        return Error::TransactionConflict { message: err.message };
    }
    if err.code.is_some() && sql.is_lock_not_available(code, &err.message) {
        return Error::LockNotAvailable;
    }
    if err.code.is_some() && sql.is_out_of_range(code, &err.message) {
        // The table and column are filled in by the operation that knows them.
        return Error::OutOfRange {
            table: String::new(),
            column: String::new(),
        };
    }
    let Some(kind) = err.kind.or_else(|| sql.violation_kind(&err)) else {
        return Error::Database {
            code: err.code,
            message: err.message,
        };
    };
    let mut v = sql.violation(&err);
    if let Some(name) = &v.constraint
        && let Some((table, columns)) = crate::meta::lookup_constraint(name)
    {
        if kind == crate::error::ViolationKind::ForeignKey {
            // Name the referencing table and column on every dialect
            // (PostgreSQL reports the parent's key on a delete).
            v.table = Some(table.to_owned());
            v.columns = columns;
        } else {
            v.table.get_or_insert_with(|| table.to_owned());
            if v.columns.is_empty() {
                v.columns = columns;
            }
        }
    }
    v.into_error(kind, err.message)
}
