//! PostgreSQL: `$n` placeholders, native ILIKE, RETURNING, identity columns.

use crate::ast::CmpOp;
use crate::dialect::ValueLimits;
use crate::dialect::{AlterSyntax, Capabilities, ColumnChange, InsertId, SqlDialect, StatementTimeout, Writer};
use crate::error::{DbError, Violation, ViolationKind, between};
use crate::value::{SqlType, Value};

pub(crate) struct Postgres;

/// Lists longer than this are bound as `IN (SELECT unnest($n))`.
const LARGE_LIST: usize = 32;

impl SqlDialect for Postgres {
    /// undefined_table (42P01), undefined_column (42703).
    fn is_missing_object(&self, code: &str) -> bool {
        matches!(code, "42P01" | "42703")
    }

    fn alter_syntax(&self) -> &'static AlterSyntax {
        &AlterSyntax {
            column_change: ColumnChange::AlterColumn,
            drop_index_on_table: false,
            drop_unique: "DROP CONSTRAINT",
            drop_foreign_key: "DROP CONSTRAINT",
            alter_constraints: true,
            add_column_simple_only: false,
            rebuild_keeps_counter: &[],
        }
    }

    fn statement_timeout(&self, limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::InTransaction {
            set: format!("SET LOCAL statement_timeout = '{}ms'", limit.as_millis().max(1)),
            reset: "SET LOCAL statement_timeout TO DEFAULT",
        }
    }

    fn lock_wait_limit(&self, limit: std::time::Duration) -> StatementTimeout {
        StatementTimeout::InTransaction {
            set: format!("SET LOCAL lock_timeout = '{}ms'", limit.as_millis().max(1)),
            reset: "SET LOCAL lock_timeout TO DEFAULT",
        }
    }

    fn caps(&self) -> &'static Capabilities {
        static CAPS: Capabilities = Capabilities {
            insert_id: InsertId::Returning,
            max_params: 65_535,
            max_keys_per_statement: usize::MAX, // keys travel as one array parameter
            enum_check: true,
            create_index_if_not_exists: true,
            transactional_ddl: true,
            upsert_any_unique_key: false,
        };
        &CAPS
    }
    fn replica_sql(&self) -> Option<crate::dialect::ReplicaSql> {
        Some(crate::dialect::ReplicaSql {
            position: "SELECT pg_current_wal_lsn()::text",
            reached: "SELECT CASE WHEN pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn) THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END",
        })
    }

    /// `$n`, digits written by hand: a bulk INSERT writes tens of
    /// thousands of these, where `write!` cost ~100 instructions each.
    fn placeholder(&self, n: usize, out: &mut String) {
        out.push('$');
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0"));
    }

    fn write_ilike(&self, w: &mut Writer<'_>, column: &'static str, pattern: Value, negated: bool) {
        w.col(column);
        w.push(if negated { " NOT ILIKE " } else { " ILIKE " });
        w.param(pattern);
    }

    /// One array parameter (`= ANY($1)`) when the values share a type:
    /// stable SQL text whatever the list length.
    fn write_in(&self, w: &mut Writer<'_>, column: &'static str, values: &[Value], negated: bool) {
        if array_kind(values).is_some() {
            w.col(column);
            if values.len() > LARGE_LIST {
                // A large array as a relation: the planner hashes or indexes
                // it even in a generic plan, where `= ANY($1)` would be
                // scanned linearly for every row.
                w.push(if negated {
                    " NOT IN (SELECT unnest("
                } else {
                    " IN (SELECT unnest("
                });
                w.param(Value::Array(values.to_vec()));
                w.push("))");
            } else {
                w.push(if negated { " <> ALL(" } else { " = ANY(" });
                w.param(Value::Array(values.to_vec()));
                w.push(")");
            }
        } else {
            w.in_list(column, values, negated);
        }
    }

    fn char_length_fn(&self) -> &'static str {
        "char_length("
    }

    /// `col #>> '{keys}'`, the keys bound as one text array.
    fn write_json_text(&self, w: &mut Writer<'_>, column: &'static str, keys: &[String]) {
        w.push("(");
        w.col(column);
        w.push(" #>> ");
        w.param(Value::Array(keys.iter().map(|k| Value::String(k.clone())).collect()));
        w.push(")");
    }

    /// No MIN/MAX for booleans (`bool_and`/`bool_or` are) or UUIDs (their
    /// text orders as their bytes do); float4 sums are added as float8, as
    /// `f64` would (a float4 sum overflows at 3.4e38).
    fn write_aggregate(
        &self,
        w: &mut Writer<'_>,
        f: crate::ast::AggFn,
        column: &str,
        cast: Option<crate::ast::AggCast>,
        ty: SqlType,
    ) {
        use crate::ast::AggFn;
        match (f, ty) {
            (AggFn::Min | AggFn::Max, SqlType::Bool) => {
                w.push(if f == AggFn::Min { "bool_and(" } else { "bool_or(" });
                w.col(column);
                w.push(")");
            }
            (AggFn::Min | AggFn::Max, SqlType::Uuid) => {
                w.push(f.sql());
                w.push("(");
                w.col(column);
                w.push("::text)::uuid");
            }
            (AggFn::Sum, SqlType::Real) => {
                w.push("SUM(");
                w.col(column);
                w.push("::float8)");
            }
            _ => crate::dialect::render::aggregate(self, w, f, column, cast),
        }
    }

    /// NULL orders as the largest value here; Rust's `Option` puts `None` first.
    fn nulls_order(&self, direction: crate::ast::Direction) -> &'static str {
        match direction {
            crate::ast::Direction::Asc => " NULLS FIRST",
            crate::ast::Direction::Desc => " NULLS LAST",
        }
    }

    /// By [`JsonOperand`](crate::dialect::JsonOperand)'s rule: `jsonb_typeof` picks
    /// the field's kind; numbers compare as float8, strings in byte order
    /// (`COLLATE "C"`), booleans as booleans. Each kind has its own SQL
    /// text and parameter type, so a prepared statement never sees two.
    fn write_json_cmp(&self, w: &mut Writer<'_>, column: &'static str, keys: &[String], op: CmpOp, v: &Value) {
        use crate::dialect::JsonOperand;
        let keys = Value::Array(keys.iter().map(|k| Value::String(k.clone())).collect());
        let (kind, read, operand) = match JsonOperand::of(v) {
            JsonOperand::Number(n) => ("'number'", ")::float8", Value::F64(n)),
            JsonOperand::Text(s) => ("'string'", ") COLLATE \"C\"", Value::String(s)),
            JsonOperand::Bool(b) => ("'boolean'", ")::boolean", Value::Bool(b)),
            JsonOperand::Nothing => return w.push("1 = 0"),
        };
        // CASE, not AND: only CASE keeps the cast from reading another kind.
        w.push("CASE WHEN jsonb_typeof(");
        w.col(column);
        w.push(" #> ");
        w.param(keys.clone());
        w.push(") = ");
        w.push(kind);
        w.push(" THEN (");
        w.col(column);
        w.push(" #>> ");
        w.param(keys);
        w.push(read);
        w.push(" END");
        w.push(op.sql());
        w.param(operand);
    }

    /// Text cannot hold NUL; timestamps and dates are kept from 4712 BC
    /// (year -4711): the server's range starts inside 4713 BC, and chrono
    /// ends (262143 AD) before PostgreSQL does.
    fn value_limits(&self) -> &'static ValueLimits {
        &ValueLimits {
            non_finite_floats: true,
            nan: true,
            nul_in_text: false,
            timestamp_years: (-4711, 262_142),
            date_years: (-4711, 262_142),
            decimal_scale: None,
            decimal_integer_digits: None,
            max_value_bytes: Some((1 << 30) - 1),
        }
    }

    fn column_type(&self, ty: SqlType) -> String {
        match ty {
            SqlType::SmallInt => "SMALLINT".into(),
            SqlType::Int => "INTEGER".into(),
            SqlType::BigInt => "BIGINT".into(),
            SqlType::Real => "REAL".into(),
            SqlType::Double => "DOUBLE PRECISION".into(),
            SqlType::Bool => "BOOLEAN".into(),
            SqlType::Varchar(n) => format!("VARCHAR({n})"),
            SqlType::Text => "TEXT".into(),
            SqlType::Bytes => "BYTEA".into(),
            SqlType::TimestampTz => "TIMESTAMPTZ".into(),
            SqlType::Timestamp => "TIMESTAMP".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME".into(),
            SqlType::Uuid => "UUID".into(),
            SqlType::Json => "JSONB".into(),
            SqlType::Decimal => "NUMERIC".into(),
            // The CHECK constraint holds the set; TEXT keeps an out-of-set
            // value a check violation rather than a length error.
            SqlType::Enum(_) => "TEXT".into(),
        }
    }

    fn drop_table_suffix(&self) -> &'static str {
        " CASCADE"
    }

    fn auto_pk(&self, ty: SqlType) -> String {
        format!("{} GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", self.column_type(ty))
    }

    fn bytes_literal(&self, b: &[u8], out: &mut String) {
        out.push_str("'\\x");
        for byte in b {
            out.push_str(&format!("{byte:02x}"));
        }
        out.push_str("'::bytea");
    }

    /// Class 08, and 57P01-57P03: the server is shutting down or starting.
    fn is_session_lost(&self, code: &str, _message: &str) -> bool {
        code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
    }

    fn violation(&self, err: &DbError) -> Violation {
        let mut columns: Vec<String> = Vec::new();
        if let Some(col) = &err.column {
            columns.push(col.clone());
        } else if let Some(keys) = err.detail.as_deref().and_then(|d| between(d, "Key ", '(', ')')) {
            columns.extend(keys.split(", ").map(str::to_owned));
        }
        Violation {
            table: err.table.clone(),
            constraint: err.constraint.clone(),
            columns,
        }
    }

    /// 23514 (check_violation), which the driver does not classify.
    fn violation_kind(&self, err: &DbError) -> Option<ViolationKind> {
        (err.code.as_deref() == Some("23514")).then_some(ViolationKind::Check)
    }
}

/// The element type of a list that PostgreSQL binds as one array parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrayKind {
    I64,
    F64,
    Bool,
    Text,
    Uuid,
    Bytes,
    TimestampTz,
    Timestamp,
    Date,
    Time,
    Decimal,
}

/// The array type a list binds as, when its values share one.
pub(crate) fn array_kind(values: &[Value]) -> Option<ArrayKind> {
    let kind = |v: &Value| match v {
        Value::I16(_) | Value::I32(_) | Value::I64(_) => Some(ArrayKind::I64),
        Value::F32(_) | Value::F64(_) => Some(ArrayKind::F64),
        Value::Bool(_) => Some(ArrayKind::Bool),
        Value::String(_) | Value::Str(_) => Some(ArrayKind::Text),
        Value::Uuid(_) => Some(ArrayKind::Uuid),
        Value::Bytes(_) => Some(ArrayKind::Bytes),
        Value::DateTimeUtc(_) => Some(ArrayKind::TimestampTz),
        Value::DateTime(_) => Some(ArrayKind::Timestamp),
        Value::Date(_) => Some(ArrayKind::Date),
        Value::Time(_) => Some(ArrayKind::Time),
        Value::Decimal(_) => Some(ArrayKind::Decimal),
        _ => None,
    };
    let first = kind(values.first()?)?;
    values.iter().all(|v| kind(v) == Some(first)).then_some(first)
}
