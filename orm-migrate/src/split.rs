//! Splitting a script into statements: `;` ends a statement except inside
//! quotes, comments, PostgreSQL dollar-quoted bodies, and `BEGIN ... END`
//! blocks of trigger bodies.

/// The statements of `sql`, trimmed, empty ones (and comment-only ones) dropped.
///
/// ```
/// let parts = orm_migrate::split_statements("CREATE TABLE a (s TEXT DEFAULT ';');\nDROP TABLE b;");
/// assert_eq!(parts, vec!["CREATE TABLE a (s TEXT DEFAULT ';')", "DROP TABLE b"]);
/// ```
pub fn split_statements(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut depth = 0usize; // BEGIN ... END nesting (trigger bodies)
    let mut word = String::new();
    let mut in_trigger = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                flush_word(&mut word, &mut depth, &mut in_trigger);
                i = skip_quoted(b, i, c);
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                flush_word(&mut word, &mut depth, &mut in_trigger);
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                flush_word(&mut word, &mut depth, &mut in_trigger);
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                continue;
            }
            b'$' => {
                flush_word(&mut word, &mut depth, &mut in_trigger);
                if let Some(end) = skip_dollar(sql, i) {
                    i = end;
                    continue;
                }
            }
            b';' => {
                flush_word(&mut word, &mut depth, &mut in_trigger);
                if depth == 0 {
                    push(&mut out, &sql[start..i]);
                    start = i + 1;
                    in_trigger = false;
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => word.push(c.to_ascii_uppercase() as char),
            _ => flush_word(&mut word, &mut depth, &mut in_trigger),
        }
        i += 1;
    }
    push(&mut out, &sql[start..]);
    out
}

/// Track `CREATE TRIGGER ... BEGIN ... END` (and CASE ... END inside it).
fn flush_word(word: &mut String, depth: &mut usize, in_trigger: &mut bool) {
    match word.as_str() {
        "TRIGGER" => *in_trigger = true,
        "BEGIN" | "CASE" if *in_trigger => *depth += 1,
        "END" if *depth > 0 => *depth -= 1,
        _ => {}
    }
    word.clear();
}

fn push(out: &mut Vec<String>, stmt: &str) {
    let t = stmt.trim();
    let meaningful = t.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with("--")
    });
    if meaningful {
        out.push(t.to_owned());
    }
}

fn skip_quoted(b: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\\' && q != b'"' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// `$tag$ ... $tag$` (PostgreSQL); `None` if this `$` does not open one.
fn skip_dollar(sql: &str, start: usize) -> Option<usize> {
    let rest = &sql[start + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    if !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || tag.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return None;
    }
    let delim = format!("${tag}$");
    let body_start = start + delim.len();
    let end = sql[body_start..].find(&delim)?;
    Some(body_start + end + delim.len())
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn plain_statements() {
        let s = split_statements("CREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\n-- trailing comment\n");
        assert_eq!(s, ["CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"]);
    }

    #[test]
    fn semicolons_in_strings_and_comments() {
        let s = split_statements("INSERT INTO t VALUES ('a;b', \"c;d\", 'it''s;'); -- x; y\n/* a; b */ SELECT 1;");
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("'it''s;')"));
        assert!(s[1].ends_with("SELECT 1"));
    }

    #[test]
    fn dollar_quoted_bodies() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.x := 1; RETURN NEW; END; $body$ LANGUAGE plpgsql;\nSELECT $$a;b$$;";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("LANGUAGE plpgsql"));
    }

    #[test]
    fn trigger_bodies() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; INSERT INTO c VALUES (CASE WHEN 1 THEN 2 END); END;\nSELECT 1;";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("END"));
    }

    #[test]
    fn transaction_words_outside_triggers_do_not_nest() {
        let s = split_statements("BEGIN; SELECT 1; END;");
        assert_eq!(s, ["BEGIN", "SELECT 1", "END"]);
    }
}
