//! Migration sources: folders `<14-digit version>_<name>/` holding
//! `up.sql` / `down.sql` and optional per-dialect overrides
//! (`up.postgres.sql`, `up.mysql.sql`, `up.sqlite.sql`).

fn err(message: impl Into<String>) -> orm_core::Error {
    crate::fail(orm_core::MigrationErrorKind::Files, message)
}
use orm_core::{Dialect, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The first line that makes a migration run outside a transaction.
pub const NO_TRANSACTION: &str = "-- orm:no-transaction";

/// One migration: its version, name and scripts (built in the example on
/// [`Migrator`](crate::Migrator), or read with [`load_dir`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The 14-digit timestamp.
    pub version: u64,
    /// The name after the version (`add_users`).
    pub name: String,
    files: Vec<(String, String)>,
}

fn dialect_suffix(d: Dialect) -> &'static str {
    d.name()
}

impl Migration {
    /// A migration from its folder name and `(file name, contents)` pairs.
    pub fn new(folder: &str, files: Vec<(String, String)>) -> Result<Migration> {
        let (version, name) = parse_folder(folder)
            .ok_or_else(|| err(format!("`{folder}` is not a migration folder name: expected <14-digit version>_<name>, as in 20260614120000_add_users")))?;
        if !files.iter().any(|(f, _)| f == "up.sql" || f.starts_with("up.")) {
            return Err(err(format!("{folder} has no up.sql")));
        }
        Ok(Migration { version, name, files })
    }

    /// `20260614120000_add_users`
    pub fn id(&self) -> String {
        format!("{}_{}", self.version, self.name)
    }

    fn file(&self, dir: &str, d: Dialect) -> Option<(String, &str)> {
        let specific = format!("{dir}.{}.sql", dialect_suffix(d));
        let plain = format!("{dir}.sql");
        for wanted in [specific, plain] {
            if let Some((f, body)) = self.files.iter().find(|(f, _)| *f == wanted) {
                return Some((format!("{}/{}", self.id(), f), body.as_str()));
            }
        }
        None
    }

    /// The up script for a dialect, with the path it came from.
    pub fn up(&self, d: Dialect) -> Option<(String, &str)> {
        self.file("up", d)
    }

    /// The down script for a dialect, with the path it came from.
    pub fn down(&self, d: Dialect) -> Option<(String, &str)> {
        self.file("down", d)
    }

    /// SHA-256 of the dialect's up script with line endings normalized, so
    /// a CRLF checkout of the same file has the same checksum.
    pub fn checksum(&self, d: Dialect) -> String {
        let body = self.up(d).map(|(_, b)| b).unwrap_or_default();
        let normalized = body.replace("\r\n", "\n");
        let digest = Sha256::digest(normalized.trim_end().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `20260614120000_add_users` -> (20260614120000, "add_users")
///
/// ```
/// assert_eq!(orm_migrate::parse_folder("20260614120000_add_users"), Some((20260614120000, "add_users".into())));
/// assert_eq!(orm_migrate::parse_folder("add_users"), None);
/// ```
pub fn parse_folder(folder: &str) -> Option<(u64, String)> {
    let (v, name) = folder.split_once('_')?;
    if v.len() != 14 || !v.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return None;
    }
    Some((v.parse().ok()?, name.to_owned()))
}

/// Read every migration folder under `dir`, oldest first (then run them
/// as in the example on [`Migrator`](crate::Migrator)).
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("cannot read {}: {e}", dir.display())))?;
    let mut out: Vec<Migration> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        if !entry.path().is_dir() {
            continue;
        }
        let folder = entry.file_name().to_string_lossy().into_owned();
        let mut files = Vec::new();
        for f in std::fs::read_dir(entry.path()).map_err(|e| err(e.to_string()))? {
            let f = f.map_err(|e| err(e.to_string()))?;
            let fname = f.file_name().to_string_lossy().into_owned();
            if fname.ends_with(".sql") {
                let body = std::fs::read_to_string(f.path())
                    .map_err(|e| err(format!("cannot read {}: {e}", f.path().display())))?;
                files.push((fname, body));
            }
        }
        out.push(Migration::new(&folder, files)?);
    }
    sort_and_check(out)
}

/// Sort by version and refuse two migrations with one version.
pub fn sort_and_check(mut out: Vec<Migration>) -> Result<Vec<Migration>> {
    out.sort_by_key(|m| m.version);
    for pair in out.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(err(format!(
                "two migrations share version {}: {} and {}",
                pair[0].version,
                pair[0].id(),
                pair[1].id()
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_overrides() {
        assert_eq!(
            parse_folder("20260614120000_add_users"),
            Some((20260614120000, "add_users".into()))
        );
        assert_eq!(parse_folder("2026061412000_short"), None);
        assert_eq!(parse_folder("20260614120000_"), None);
        let m = Migration::new(
            "20260614120000_add_users",
            vec![
                ("up.sql".into(), "CREATE TABLE a (x INT);".into()),
                ("up.postgres.sql".into(), "CREATE TABLE a (x BIGINT);".into()),
            ],
        )
        .unwrap();
        assert!(m.up(Dialect::Postgres).unwrap().1.contains("BIGINT"));
        assert!(m.up(Dialect::Sqlite).unwrap().1.contains(" INT"));
        assert_eq!(m.up(Dialect::MySql).unwrap().0, "20260614120000_add_users/up.sql");
        assert!(m.down(Dialect::MySql).is_none());
    }

    #[test]
    fn checksum_ignores_line_endings() {
        let lf = Migration::new(
            "20260614120000_a",
            vec![("up.sql".into(), "CREATE TABLE a (x INT);\nSELECT 1;\n".into())],
        )
        .unwrap();
        let crlf = Migration::new(
            "20260614120000_a",
            vec![("up.sql".into(), "CREATE TABLE a (x INT);\r\nSELECT 1;\r\n".into())],
        )
        .unwrap();
        let edited = Migration::new(
            "20260614120000_a",
            vec![("up.sql".into(), "CREATE TABLE a (x INT);\nSELECT 2;\n".into())],
        )
        .unwrap();
        assert_eq!(lf.checksum(Dialect::Postgres), crlf.checksum(Dialect::Postgres));
        assert_ne!(lf.checksum(Dialect::Postgres), edited.checksum(Dialect::Postgres));
        assert_eq!(lf.checksum(Dialect::Sqlite).len(), 64);
    }
}
