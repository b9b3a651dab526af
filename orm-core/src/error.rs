//! The one error type of the ORM, and the mapping of driver errors onto it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What kind of failure an [`Error::Migration`] is.
///
/// ```
/// use orm_core::{Error, MigrationErrorKind};
/// fn retry_later(e: &Error) -> bool {
///     matches!(e, Error::Migration { kind: MigrationErrorKind::Locked, .. })
/// }
/// assert!(!retry_later(&Error::Connection { message: "down".into() }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrationErrorKind {
    /// A migration started and never finished: fix by hand, then `repair`.
    Dirty,
    /// An applied migration's script changed since.
    Edited,
    /// An applied migration's folder is gone.
    Missing,
    /// A pending migration is older than the newest applied one.
    OutOfOrder,
    /// The version to undo to, or to run, is not known.
    UnknownVersion,
    /// The migration lock was not taken (another runner holds it).
    Locked,
    /// A migration has no script for this database or direction.
    MissingScript,
    /// A statement of a script failed; nothing of that migration stayed.
    Script,
    /// A guard found rows whose values the change would lose or break.
    Guarded,
    /// A table rebuild left rows pointing at rows that are gone.
    BrokenForeignKeys,
    /// `generate --auto` refused a change that may lose values.
    Lossy,
    /// A migrations folder, script or snapshot file could not be read or written.
    Files,
    /// The command or configuration is incomplete or wrong.
    Usage,
    /// The migrations do not give the models' schema (`check`).
    Schema,
    /// The safety lint found statements that lock or rewrite a large table.
    Unsafe,
}

/// The result type of every fallible ORM call; see [`Error`] for the
/// variants and an example of matching them.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Field name -> messages, as carried by [`Error::Validation`].
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Everything that can go wrong, with constraint violations mapped to the
/// same variant on every dialect.
///
/// ```
/// use orm_core::Error;
/// let err = Error::NotFound { model: "User" };
/// assert_eq!(err.status_code(), 404);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value broke a validation rule; nothing was written.
    #[error("validation failed for {model}{}: {}", row_suffix(*row), FieldList(fields))]
    Validation {
        /// The model (or `NewX`/`XPatch`) that was validated.
        model: &'static str,
        /// The index of the failing row in a bulk operation.
        row: Option<usize>,
        /// Field name -> messages.
        fields: FieldErrors,
    },
    /// A UNIQUE or PRIMARY KEY constraint was violated.
    #[error("unique violation{}", Constraint(table, constraint, columns))]
    UniqueViolation {
        /// The table, when known.
        table: Option<String>,
        /// The constraint or index name, when the database names it.
        constraint: Option<String>,
        /// The columns involved, when known.
        columns: Vec<String>,
        /// The database's own message.
        message: String,
    },
    /// A FOREIGN KEY constraint was violated (a missing parent, or a parent still referenced).
    #[error("foreign key violation{}", Constraint(table, constraint, columns))]
    ForeignKeyViolation {
        /// The table, when known.
        table: Option<String>,
        /// The constraint name, when the database names it.
        constraint: Option<String>,
        /// The columns involved, when known.
        columns: Vec<String>,
        /// The database's own message.
        message: String,
    },
    /// A NOT NULL constraint was violated.
    #[error("not null violation{}", Constraint(table, constraint, columns))]
    NotNullViolation {
        /// The table, when known.
        table: Option<String>,
        /// Always `None` except where a dialect names one.
        constraint: Option<String>,
        /// The column that was NULL.
        columns: Vec<String>,
        /// The database's own message.
        message: String,
    },
    /// A CHECK constraint (including enum value checks) was violated.
    #[error("check violation{}", Constraint(table, constraint, columns))]
    CheckViolation {
        /// The table, when known.
        table: Option<String>,
        /// The constraint name, when the database names it.
        constraint: Option<String>,
        /// The columns involved, when known.
        columns: Vec<String>,
        /// The database's own message.
        message: String,
    },
    /// A row that was expected to exist does not.
    #[error("{model} not found")]
    NotFound {
        /// The model looked for.
        model: &'static str,
    },
    /// An optimistic-locking write found a newer version of the row.
    #[error("{model} was changed by someone else (stale version)")]
    StaleRow {
        /// The model written.
        model: &'static str,
    },
    /// No pooled connection became free within the acquire timeout.
    #[error("timed out after {waited:?} waiting for a pooled connection")]
    PoolTimeout {
        /// The configured acquire timeout.
        waited: Duration,
    },
    /// The database could not be reached, or the connection broke.
    #[error("connection error: {message}")]
    Connection {
        /// What the driver said.
        message: String,
    },
    /// A migration could not be planned or applied.
    #[error("migration error: {message}")]
    Migration {
        /// What went wrong, naming the migration.
        message: String,
        /// Which kind of failure it is, for code that handles some.
        kind: MigrationErrorKind,
    },
    /// The query was refused before reaching the database (e.g. an
    /// unfiltered bulk update, or an unknown column name).
    #[error("invalid query: {message}")]
    InvalidQuery {
        /// Why it was refused.
        message: String,
    },
    /// A locking read could not take its row lock: `nowait()` on a row
    /// another transaction holds, or a lock wait that timed out.
    #[error("lock not available: the row is locked by another transaction")]
    LockNotAvailable,
    /// The statement ran past its timeout
    /// ([`DbBuilder::statement_timeout`](crate::DbBuilder::statement_timeout))
    /// and the database cancelled it; the connection stays usable.
    #[error("statement timeout: the database cancelled the statement")]
    Timeout,
    /// The database rolled the transaction back because it conflicted with
    /// a concurrent one: a serialization failure (PostgreSQL 40001, a
    /// stale SQLite snapshot) or a deadlock (PostgreSQL 40P01, MariaDB
    /// 1213). Running the whole transaction again may succeed;
    /// [`Db::transaction_retry`](crate::Db::transaction_retry) does.
    #[error("transaction conflict (run it again): {message}")]
    TransactionConflict {
        /// What the database said.
        message: String,
    },
    /// Arithmetic (`increment`, a bulk update expression) would take a
    /// column past the range of its type; nothing was changed.
    #[error("out of range: {table}.{column} would leave the range of its type")]
    OutOfRange {
        /// The table written.
        table: String,
        /// The column whose range was exceeded.
        column: String,
    },
    /// [`Schema::check`](crate::Schema::check) found the live database
    /// different from the models.
    #[error("the database schema does not match the models: {}", problems.join("; "))]
    SchemaMismatch {
        /// Every difference found, one sentence each.
        problems: Vec<String>,
    },
    /// A stored value does not decode into its field's Rust type: a label
    /// the `DbEnum` does not know, a document that does not fit `Json<T>`,
    /// text that is not a UUID, a column of another type.
    #[error("could not decode a column: {message}")]
    Decode {
        /// What did not decode, and why.
        message: String,
    },
    /// Any other database error.
    #[error("database error{}: {message}", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default())]
    Database {
        /// SQLSTATE or the vendor code, when there is one.
        code: Option<String>,
        /// The database's own message.
        message: String,
    },
}

impl Error {
    /// The HTTP status that fits the error: 400 for bad input, 409 for
    /// conflicts, 404 for a missing row, 503 when the database cannot be
    /// reached, 500 for everything else.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::Validation { .. }
            | Error::NotNullViolation { .. }
            | Error::ForeignKeyViolation { .. }
            | Error::CheckViolation { .. }
            | Error::InvalidQuery { .. }
            | Error::OutOfRange { .. } => 400,
            Error::UniqueViolation { .. }
            | Error::StaleRow { .. }
            | Error::LockNotAvailable
            | Error::TransactionConflict { .. } => 409,
            Error::NotFound { .. } => 404,
            Error::Connection { .. } | Error::PoolTimeout { .. } => 503,
            Error::Timeout => 504,
            _ => 500,
        }
    }

    /// Build a one-field validation error.
    pub fn validation(model: &'static str, field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.into()]);
        Error::Validation {
            model,
            row: None,
            fields,
        }
    }

    /// For a constraint violation (unique, foreign key, not null, check):
    /// its table, constraint name and columns, whichever the database named.
    ///
    /// ```
    /// use orm_core::Error;
    /// let e = Error::UniqueViolation { table: Some("users".into()), constraint: None, columns: vec!["email".into()], message: String::new() };
    /// assert_eq!(e.constraint(), Some((Some("users"), None, &["email".to_string()][..])));
    /// assert_eq!(Error::NotFound { model: "User" }.constraint(), None);
    /// ```
    pub fn constraint(&self) -> Option<(Option<&str>, Option<&str>, &[String])> {
        self.violation()
            .map(|(_, v, _)| (v.table.as_deref(), v.constraint.as_deref(), v.columns))
    }

    /// A constraint violation's kind, parts and message: the one place
    /// that reads the four variants ([`Violation::into_error`] is the one
    /// that builds them).
    fn violation(&self) -> Option<(ViolationKind, ViolationRef<'_>, &str)> {
        let (kind, table, constraint, columns, message) = match self {
            Error::UniqueViolation {
                table,
                constraint,
                columns,
                message,
            } => (ViolationKind::Unique, table, constraint, columns, message),
            Error::ForeignKeyViolation {
                table,
                constraint,
                columns,
                message,
            } => (ViolationKind::ForeignKey, table, constraint, columns, message),
            Error::NotNullViolation {
                table,
                constraint,
                columns,
                message,
            } => (ViolationKind::NotNull, table, constraint, columns, message),
            Error::CheckViolation {
                table,
                constraint,
                columns,
                message,
            } => (ViolationKind::Check, table, constraint, columns, message),
            _ => return None,
        };
        let parts = ViolationRef {
            table,
            constraint,
            columns,
        };
        Some((kind, parts, message))
    }

    /// A constraint violation with its parts changed by `fill` (the
    /// table and columns a model knows); any other error unchanged.
    pub(crate) fn fill_violation(self, fill: impl FnOnce(ViolationKind, &mut Violation)) -> Self {
        let Some((kind, parts, message)) = self.violation() else {
            return self;
        };
        let mut v = Violation {
            table: parts.table.clone(),
            constraint: parts.constraint.clone(),
            columns: parts.columns.to_vec(),
        };
        let message = message.to_owned();
        fill(kind, &mut v);
        v.into_error(kind, message)
    }

    /// The variant's name (`"UniqueViolation"`, `"Connection"`): what a
    /// span's `error.type` attribute records.
    ///
    /// ```
    /// assert_eq!(orm_core::Error::LockNotAvailable.kind_name(), "LockNotAvailable");
    /// ```
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "Validation",
            Error::UniqueViolation { .. } => "UniqueViolation",
            Error::ForeignKeyViolation { .. } => "ForeignKeyViolation",
            Error::NotNullViolation { .. } => "NotNullViolation",
            Error::CheckViolation { .. } => "CheckViolation",
            Error::NotFound { .. } => "NotFound",
            Error::StaleRow { .. } => "StaleRow",
            Error::PoolTimeout { .. } => "PoolTimeout",
            Error::Connection { .. } => "Connection",
            Error::Migration { .. } => "Migration",
            Error::InvalidQuery { .. } => "InvalidQuery",
            Error::LockNotAvailable => "LockNotAvailable",
            Error::Timeout => "Timeout",
            Error::TransactionConflict { .. } => "TransactionConflict",
            Error::OutOfRange { .. } => "OutOfRange",
            Error::SchemaMismatch { .. } => "SchemaMismatch",
            Error::Decode { .. } => "Decode",
            Error::Database { .. } => "Database",
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidQuery {
            message: message.into(),
        }
    }
}

fn row_suffix(row: Option<usize>) -> String {
    row.map(|r| format!(" (row {r})")).unwrap_or_default()
}

struct FieldList<'a>(&'a FieldErrors);

impl fmt::Display for FieldList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, msgs)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {}", msgs.join(", "))?;
        }
        Ok(())
    }
}

struct Constraint<'a>(&'a Option<String>, &'a Option<String>, &'a Vec<String>);

impl fmt::Display for Constraint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = self.0 {
            write!(f, " on {t}")?;
        }
        if !self.2.is_empty() {
            write!(f, " ({})", self.2.join(", "))?;
        }
        if let Some(c) = self.1 {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

/// The kind of a constraint violation, as classified by a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViolationKind {
    Unique,
    ForeignKey,
    NotNull,
    Check,
}

/// A constraint violation's parts, borrowed from the error.
struct ViolationRef<'a> {
    table: &'a Option<String>,
    constraint: &'a Option<String>,
    columns: &'a [String],
}

/// What a dialect could read out of a constraint error.
#[derive(Debug, Default)]
pub(crate) struct Violation {
    pub table: Option<String>,
    pub constraint: Option<String>,
    pub columns: Vec<String>,
}

impl Violation {
    pub(crate) fn into_error(self, kind: ViolationKind, message: String) -> Error {
        let Violation {
            table,
            constraint,
            columns,
        } = self;
        match kind {
            ViolationKind::Unique => Error::UniqueViolation {
                table,
                constraint,
                columns,
                message,
            },
            ViolationKind::ForeignKey => Error::ForeignKeyViolation {
                table,
                constraint,
                columns,
                message,
            },
            ViolationKind::NotNull => Error::NotNullViolation {
                table,
                constraint,
                columns,
                message,
            },
            ViolationKind::Check => Error::CheckViolation {
                table,
                constraint,
                columns,
                message,
            },
        }
    }
}

/// A database's refusal of a statement, as any driver reports it: the
/// dialect classifies it from these fields alone (`dialect::classify`).
#[derive(Debug, Default)]
pub(crate) struct DbError {
    /// SQLSTATE or the server's error code.
    pub code: Option<String>,
    /// The server's message.
    pub message: String,
    /// The driver's own classification, when it has one.
    pub kind: Option<ViolationKind>,
    /// Fields some servers report with a constraint error.
    pub table: Option<String>,
    pub constraint: Option<String>,
    pub column: Option<String>,
    pub detail: Option<String>,
}

/// Extract the text between the first pair of `open`/`close` after `after`.
pub(crate) fn between<'a>(s: &'a str, after: &str, open: char, close: char) -> Option<&'a str> {
    let start = s.find(after)? + after.len();
    let rest = &s[start..];
    let o = rest.find(open)? + open.len_utf8();
    let c = rest[o..].find(close)? + o;
    Some(&rest[o..c])
}

impl Error {
    /// The JSON body an HTTP API answers with: `{"error": "..."}` plus
    /// `"fields"` (field -> messages) for validation and constraint errors.
    /// Server-side failures say only "Internal server error".
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let column_fields = |columns: &Vec<String>, msg: &str| {
            let map: serde_json::Map<String, serde_json::Value> =
                columns.iter().map(|c| (c.clone(), json!([msg]))).collect();
            serde_json::Value::Object(map)
        };
        match self {
            Error::Validation { fields, row, .. } => {
                let mut body = json!({"error": "Validation failed", "fields": fields});
                if let Some(r) = row {
                    body["row"] = json!(r);
                }
                body
            }
            Error::UniqueViolation { columns, .. } => {
                json!({"error": "Already exists", "fields": column_fields(columns, "must be unique")})
            }
            Error::ForeignKeyViolation { columns, .. } => {
                json!({"error": "Refers to a missing or still-referenced row", "fields": column_fields(columns, "invalid reference")})
            }
            Error::NotNullViolation { columns, .. } => {
                json!({"error": "Validation failed", "fields": column_fields(columns, "is required")})
            }
            Error::CheckViolation { columns, .. } => {
                json!({"error": "Validation failed", "fields": column_fields(columns, "is not an allowed value")})
            }
            Error::NotFound { .. } => json!({"error": "Not found"}),
            Error::StaleRow { .. } => json!({"error": "The row was changed by someone else; reload and retry"}),
            Error::InvalidQuery { message } => json!({"error": message}),
            Error::OutOfRange { column, .. } => {
                json!({"error": "Value out of range", "fields": {column.clone(): ["would be out of range"]}})
            }
            Error::Connection { .. } | Error::PoolTimeout { .. } => json!({"error": "Service unavailable"}),
            Error::LockNotAvailable => json!({"error": "The row is locked by another transaction; retry"}),
            Error::Timeout => json!({"error": "The request took too long"}),
            Error::TransactionConflict { .. } => {
                json!({"error": "The change conflicted with a concurrent one; retry"})
            }
            _ => json!({"error": "Internal server error"}),
        }
    }
}

/// With the `axum` feature, an `Error` is a response: its
/// [`status_code`](Error::status_code) and [`to_json`](Error::to_json) body.
/// Server-side errors are logged with `tracing::error!`.
#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Error {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, axum::Json(self.to_json())).into_response()
    }
}
