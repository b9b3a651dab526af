//! The safety lint: DDL that rewrites or locks a large table, found in a
//! migration script before it runs, each finding with the safer form.
//!
//! It reads statements as text (after [`split_statements`]); the rules are
//! each backend's migration data (`MigrationSupport::safety_rules`):
//!
//! - PostgreSQL: `CREATE INDEX` without `CONCURRENTLY` (blocks writes for
//!   the whole build), `ALTER COLUMN .. TYPE` (rewrites the table under an
//!   exclusive lock), `ADD COLUMN .. NOT NULL` without a `DEFAULT` (fails
//!   on a table with rows), `SET NOT NULL` (scans under an exclusive lock),
//!   a foreign key added without `NOT VALID` (validates under lock).
//! - MySQL/MariaDB: `ALTER`s that copy the table: a column's type changed
//!   (`MODIFY`/`CHANGE`), a primary key added or dropped,
//!   `CONVERT TO CHARACTER SET`, `ALGORITHM=COPY`, `ADD COLUMN .. FIRST/AFTER`.
//! - SQLite: nothing (its databases are local files; a table rebuild is
//!   the documented way to change a column).
//!
//! Tables created earlier in the same script are new and empty: statements
//! on them are not reported. A statement preceded by the comment
//! `-- orm:safe` is not reported either (a reviewed exception).
//!
//! ```
//! use orm_core::Dialect;
//! use orm_migrate::safety::lint;
//! let found = lint("CREATE INDEX users_email_idx ON users (email);", Dialect::Postgres);
//! assert_eq!(found.len(), 1);
//! assert!(found[0].safer.contains("CONCURRENTLY"));
//! assert!(lint("CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", Dialect::Postgres).is_empty());
//! ```

use crate::split::split_statements;
use orm_core::Dialect;
use std::fmt;

/// The comment that marks the next statement as reviewed and safe.
pub const SAFE_MARKER: &str = "-- orm:safe";

/// One statement the lint reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyWarning {
    /// The statement, shortened to its first 120 characters.
    pub statement: String,
    /// What the statement does to a large table.
    pub problem: &'static str,
    /// The safer way to get the same schema.
    pub safer: &'static str,
}

impl fmt::Display for SafetyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n    {}\n    safer: {}", self.statement, self.problem, self.safer)
    }
}

/// The findings for one script on one dialect, in statement order.
pub fn lint(sql: &str, dialect: Dialect) -> Vec<SafetyWarning> {
    let mut created: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for raw in split_statements(sql) {
        let reviewed = raw.lines().any(|l| l.trim() == SAFE_MARKER);
        let text = normalize(&raw);
        if let Some(table) = created_table(&text) {
            created.push(table);
            continue;
        }
        if reviewed || touches_new_table(&text, &created) {
            continue;
        }
        let found = (dialect.migration().safety_rules)(&text);
        out.extend(found.into_iter().map(|(problem, safer)| SafetyWarning {
            statement: shorten(raw.trim()),
            problem,
            safer,
        }));
    }
    out
}

/// Upper case, comments dropped, runs of whitespace as one space, quotes
/// around identifiers removed: the shape the rules match on.
fn normalize(stmt: &str) -> String {
    let mut s = String::new();
    for line in stmt.lines() {
        let line = line.split("--").next().unwrap_or_default();
        s.push_str(line);
        s.push(' ');
    }
    let s: String = s.chars().filter(|c| !matches!(c, '"' | '`')).collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

fn shorten(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

/// The table a `CREATE TABLE` makes.
fn created_table(text: &str) -> Option<String> {
    let rest = text.strip_prefix("CREATE TABLE ")?;
    let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
    Some(rest.split(['(', ' ']).next()?.to_owned())
}

/// Whether the statement's target (`ALTER TABLE t`, `CREATE INDEX .. ON t`)
/// was created earlier in the script.
fn touches_new_table(text: &str, created: &[String]) -> bool {
    let target = if let Some(rest) = text.strip_prefix("ALTER TABLE ") {
        let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
        rest.split(' ').next()
    } else if text.starts_with("CREATE ") && text.contains(" INDEX ") {
        text.split(" ON ").nth(1).and_then(|r| r.split([' ', '(']).next())
    } else {
        None
    };
    target.is_some_and(|t| created.iter().any(|c| c == t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(sql: &str, d: Dialect) -> usize {
        lint(sql, d).len()
    }

    #[test]
    fn postgres_rules() {
        let pg = Dialect::Postgres;
        assert_eq!(problems("CREATE INDEX i ON t (a)", pg), 1);
        assert_eq!(problems("CREATE UNIQUE INDEX i ON \"t\" (a)", pg), 1);
        assert_eq!(problems("CREATE INDEX CONCURRENTLY i ON t (a)", pg), 0);
        assert_eq!(problems("ALTER TABLE t ALTER COLUMN a TYPE BIGINT", pg), 1);
        assert_eq!(problems("ALTER TABLE t ADD COLUMN a INT NOT NULL", pg), 1);
        assert_eq!(problems("ALTER TABLE t ADD COLUMN a INT NOT NULL DEFAULT 0", pg), 0);
        assert_eq!(problems("ALTER TABLE t ADD COLUMN a INT", pg), 0);
        assert_eq!(problems("ALTER TABLE t ALTER COLUMN a SET NOT NULL", pg), 1);
        assert_eq!(
            problems("ALTER TABLE p ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id)", pg),
            1
        );
        assert_eq!(
            problems(
                "ALTER TABLE p ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) NOT VALID",
                pg
            ),
            0
        );
    }

    #[test]
    fn mysql_rules() {
        let my = Dialect::MySql;
        assert_eq!(problems("ALTER TABLE t MODIFY a BIGINT", my), 1);
        assert_eq!(problems("ALTER TABLE `t` CHANGE `a` `b` BIGINT", my), 1);
        assert_eq!(problems("ALTER TABLE t ADD COLUMN a INT AFTER b", my), 1);
        assert_eq!(problems("ALTER TABLE t ADD COLUMN a INT", my), 0);
        assert_eq!(
            problems("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)", my),
            1
        );
        assert_eq!(problems("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", my), 1);
        assert_eq!(problems("ALTER TABLE t ADD INDEX i (a), ALGORITHM=COPY", my), 1);
        assert_eq!(problems("CREATE INDEX i ON t (a)", my), 0);
    }

    #[test]
    fn sqlite_has_no_rules() {
        assert_eq!(
            problems(
                "CREATE INDEX i ON t (a); ALTER TABLE t ADD COLUMN b INT NOT NULL",
                Dialect::Sqlite
            ),
            0
        );
    }

    #[test]
    fn new_tables_and_reviewed_statements_are_not_reported() {
        let sql = "CREATE TABLE t (a INT);\nCREATE INDEX i ON t (a);\nALTER TABLE t ALTER COLUMN a TYPE BIGINT;\n\
                   -- orm:safe\nCREATE INDEX j ON old (a);\nCREATE INDEX k ON old (b);";
        let found = lint(sql, Dialect::Postgres);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].statement.contains("ON old (b)"));
        assert!(found[0].to_string().contains("safer: CREATE INDEX CONCURRENTLY"));
    }
}
