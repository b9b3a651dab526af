//! Portable placeholders for raw SQL (`raw`, `Condition::sql`, `Order::sql`):
//! `?` and `:name` on every dialect, rewritten to the dialect's own form.
//!
//! The rule, applied outside quoted text (`'..'`, `".."`, `` `..` ``),
//! comments (`-- ..`, `/* .. */`) and PostgreSQL dollar-quoted strings
//! (`$tag$..$tag$`):
//! - `?` is a positional placeholder when values were bound with `bind`;
//!   with none bound it is left alone (PostgreSQL's jsonb `?` operator).
//!   `?|` and `?&` (jsonb operators) are never placeholders.
//! - `:name` is a placeholder when a value was bound under that name with
//!   `bind_named`; otherwise it is left alone, and so is `::` (a cast).
//! - Text that already numbers its placeholders (`$1`) is PostgreSQL's
//!   own form: it is sent as written, values in order.
//!
//! The number of `?` must match the values bound, and every named value
//! must be used: a mismatch is [`Error::InvalidQuery`] before anything is
//! sent.

use crate::dialect::{SqlDialect, Statement, Writer};
use crate::error::{Error, Result};
use crate::value::Value;

/// A piece of raw SQL after scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Positional,
    Named(&'a str),
}

/// Split `sql` into text and placeholders under the rule above.
/// `named` says which names are bound.
fn scan<'a>(sql: &'a str, positional: bool, named: &dyn Fn(&str) -> bool) -> (Vec<Piece<'a>>, bool) {
    let b = sql.as_bytes();
    let mut pieces = Vec::new();
    let mut numbered = false;
    let mut start = 0;
    let mut i = 0;
    let cut = |pieces: &mut Vec<Piece<'a>>, from: usize, to: usize| {
        if to > from {
            pieces.push(Piece::Text(&sql[from..to]));
        }
    };
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && q == b'\'' {
                        i += 1; // MySQL's backslash escape; harmless elsewhere
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'$' if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') => i += 1, // in a name
            b'$' => {
                // `$1`: numbered; `$tag$ .. $tag$`: a dollar-quoted string.
                let rest = &sql[i + 1..];
                if rest.starts_with(|c: char| c.is_ascii_digit()) {
                    numbered = true;
                    i += 1;
                } else if let Some(end) = rest.find('$') {
                    let tag = &rest[..end];
                    if tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        let open = &sql[i..i + end + 2];
                        match sql[i + open.len()..].find(open) {
                            Some(close) => i += open.len() + close + open.len(),
                            None => i = b.len(),
                        }
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            b'?' => {
                let operator = matches!(b.get(i + 1), Some(b'|' | b'&'));
                if operator {
                    i += 2;
                } else if positional {
                    cut(&mut pieces, start, i);
                    pieces.push(Piece::Positional);
                    i += 1;
                    start = i;
                } else {
                    i += 1;
                }
            }
            b':' if b.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                let name_len = sql[i + 1..]
                    .char_indices()
                    .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
                    .count();
                let name = &sql[i + 1..i + 1 + name_len];
                let starts_ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
                if starts_ok && named(name) {
                    cut(&mut pieces, start, i);
                    pieces.push(Piece::Named(name));
                    i += 1 + name_len;
                    start = i;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    cut(&mut pieces, start, b.len().min(sql.len()));
    (pieces, numbered)
}

/// Render raw SQL with its values for a dialect: placeholders rewritten,
/// values in placeholder order (a named value repeated where its name is).
pub(crate) fn statement(
    d: &dyn SqlDialect,
    sql: String,
    positional: Vec<Value>,
    named: Vec<(String, Value)>,
) -> Result<Statement> {
    let has_positional = !positional.is_empty();
    let (pieces, numbered) = scan(&sql, has_positional, &|n| named.iter().any(|(k, _)| k == n));
    if numbered {
        if !named.is_empty() {
            return Err(Error::invalid(
                "raw SQL numbers its placeholders ($1): bind values in order, not by name",
            ));
        }
        return Ok(Statement {
            sql,
            params: positional,
        });
    }
    let mut w = Writer::new(d);
    write_pieces(&mut w, &pieces, positional, &named, &sql)?;
    Ok(w.finish())
}

/// Write scanned pieces into a statement being built.
fn write_pieces(
    w: &mut Writer<'_>,
    pieces: &[Piece<'_>],
    positional: Vec<Value>,
    named: &[(String, Value)],
    sql: &str,
) -> Result<()> {
    let wanted = pieces.iter().filter(|p| **p == Piece::Positional).count();
    if wanted != positional.len() {
        return Err(Error::invalid(format!(
            "the SQL has {wanted} `?` placeholders but {} values were bound: {sql}",
            positional.len()
        )));
    }
    for (name, _) in named {
        if !pieces.contains(&Piece::Named(name)) {
            return Err(Error::invalid(format!(
                "`:{name}` was bound but does not appear in: {sql}"
            )));
        }
    }
    let mut values = positional.into_iter();
    for p in pieces {
        match p {
            Piece::Text(t) => w.push(t),
            Piece::Positional => w.param(values.next().expect("counted")),
            Piece::Named(n) => {
                let v = named
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
                    .expect("scanned");
                w.param(v);
            }
        }
    }
    Ok(())
}

/// Check a fragment (`Condition::sql`, `Order::sql`): its `?` count must
/// match the values.
///
/// # Panics
/// On a mismatch, or `$1`-style placeholders: the fragment is code, and
/// the mistake is the caller's (as a wrong `format!` argument count).
pub(crate) fn checked_fragment(sql: String, values: Vec<Value>) -> (String, Vec<Value>) {
    let (pieces, numbered) = scan(&sql, !values.is_empty(), &|_| false);
    assert!(!numbered, "write `?` placeholders in a SQL fragment, not `$1`: {sql}");
    let wanted = pieces.iter().filter(|p| **p == Piece::Positional).count();
    assert_eq!(
        wanted,
        values.len(),
        "the SQL fragment has {wanted} `?` placeholders but {} values were given: {sql}",
        values.len()
    );
    (sql, values)
}

impl Writer<'_> {
    /// Write a checked fragment: its `?`s become this statement's parameters.
    pub(crate) fn fragment(&mut self, sql: &str, values: &[Value]) {
        let (pieces, _) = scan(sql, !values.is_empty(), &|_| false);
        let mut values = values.iter();
        for p in &pieces {
            match p {
                Piece::Text(t) => self.push(t),
                Piece::Positional | Piece::Named(_) => {
                    if let Some(v) = values.next() {
                        self.param(v.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Dialect;

    fn pg(sql: &str, pos: Vec<Value>, named: Vec<(&str, Value)>) -> Result<Statement> {
        let named = named.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        statement(Dialect::Postgres.sql(), sql.into(), pos, named)
    }

    fn lite(sql: &str, pos: Vec<Value>, named: Vec<(&str, Value)>) -> Result<Statement> {
        let named = named.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        statement(Dialect::Sqlite.sql(), sql.into(), pos, named)
    }

    #[test]
    fn question_marks_and_names_become_the_dialects_placeholders() {
        let st = pg(
            "SELECT * FROM users WHERE role = :role AND id > ? AND name <> :role",
            vec![Value::I64(10)],
            vec![("role", Value::String("admin".into()))],
        )
        .unwrap();
        assert_eq!(st.sql, "SELECT * FROM users WHERE role = $1 AND id > $2 AND name <> $3");
        assert_eq!(st.params.len(), 3);
        let st = lite("SELECT :a, ?", vec![Value::I64(1)], vec![("a", Value::I64(2))]).unwrap();
        assert_eq!(st.sql, "SELECT ?, ?");
        assert_eq!(st.params, vec![Value::I64(2), Value::I64(1)]);
    }

    #[test]
    fn quotes_comments_casts_and_dollar_quotes_are_left_alone() {
        let sql = "SELECT '?', ':x', \"a?b\", `c:d`, x::text, $q$ ? :x $q$ /* ? :x */ FROM t -- ? :x\nWHERE y = ?";
        let st = pg(sql, vec![Value::I64(1)], vec![]).unwrap();
        assert!(st.sql.ends_with("WHERE y = $1"), "{}", st.sql);
        assert!(
            st.sql
                .contains("'?', ':x', \"a?b\", `c:d`, x::text, $q$ ? :x $q$ /* ? :x */")
        );
        let st = pg("SELECT 'it''s ?' || ?", vec![Value::I64(1)], vec![]).unwrap();
        assert_eq!(st.sql, "SELECT 'it''s ?' || $1");
    }

    #[test]
    fn jsonb_operators_without_values_are_left_alone() {
        let st = pg(
            "SELECT data ? 'k', data ?| array['a'], data ?& array['b'] FROM t",
            vec![],
            vec![],
        )
        .unwrap();
        assert_eq!(
            st.sql,
            "SELECT data ? 'k', data ?| array['a'], data ?& array['b'] FROM t"
        );
        let st = pg(
            "SELECT data ?| array['a'] FROM t WHERE id = ?",
            vec![Value::I64(1)],
            vec![],
        )
        .unwrap();
        assert_eq!(st.sql, "SELECT data ?| array['a'] FROM t WHERE id = $1");
    }

    #[test]
    fn numbered_text_is_sent_as_written() {
        let st = pg("SELECT $1 + 1", vec![Value::I64(1)], vec![]).unwrap();
        assert_eq!(st.sql, "SELECT $1 + 1");
    }

    #[test]
    fn mismatches_are_refused() {
        assert!(lite("SELECT ?, ?", vec![Value::I64(1)], vec![]).is_err());
        assert!(lite("SELECT 1", vec![], vec![("unused", Value::I64(1))]).is_err());
        let st = lite("SELECT :unbound", vec![], vec![]).unwrap();
        assert_eq!(st.sql, "SELECT :unbound", "an unbound name is left alone");
    }
}
