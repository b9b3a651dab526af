//! `generate --auto`: the models compared with the schema snapshot kept
//! beside the migrations (`schema.json`, the state the migrations so far
//! produce), and the difference written as up and down scripts for every
//! dialect, with the snapshot brought up to date.

use crate::fail;
use orm_core::MigrationErrorKind;
use orm_core::{ColumnRename, Dialect, Result, Schema, Snapshot};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The snapshot's file name inside the migrations folder.
pub const SNAPSHOT_FILE: &str = "schema.json";

/// The snapshot stored in `dir` (empty when there is none yet).
pub fn read_snapshot(dir: &Path) -> Result<Snapshot> {
    let path = dir.join(SNAPSHOT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Snapshot::from_json(&text).map_err(|e| fail(MigrationErrorKind::Files, format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Snapshot::empty()),
        Err(e) => Err(fail(
            MigrationErrorKind::Files,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Write the scripts for what changed between `dir`'s snapshot and the
/// models into a new migration folder, and update the snapshot. Nothing
/// changed: no folder, a message, `Ok`. `renames` are `table.old:new`;
/// without them, and with a terminal attached, a table's one dropped and
/// one added column are asked about.
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64, name: String }
/// let schema = Schema::new().model::<User>();
/// orm_migrate::auto::generate(std::path::Path::new("migrations"), "add-users", &schema, &[], &|line| println!("{line}"))?;
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn generate(
    dir: &Path,
    name: &str,
    schema: &Schema,
    renames: &[String],
    out: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    generate_with(dir, name, schema, renames, false, out)
}

/// [`generate`], and with `allow_lossy` the column changes that may not
/// keep every stored value (a shorter VARCHAR, a narrower number, a float
/// to an integer, a time to a date, ...) too; without it they are refused,
/// each named. Either way each such change's scripts carry a guard that
/// fails the migration before anything changes when a stored value would
/// not survive.
pub fn generate_with(
    dir: &Path,
    name: &str,
    schema: &Schema,
    renames: &[String],
    allow_lossy: bool,
    out: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    if !dir.join(SNAPSHOT_FILE).exists() && has_migrations(dir) {
        return Err(fail(
            MigrationErrorKind::Usage,
            format!(
                "{} has migrations but no {SNAPSHOT_FILE}: the models would be written as new tables. \
             If the migrations give the models' schema, record it with `generate --auto --baseline` (and confirm with `check`)",
                dir.display()
            ),
        ));
    }
    let old = read_snapshot(dir)?;
    let target = schema.snapshot();
    let mut renames: Vec<ColumnRename> = renames.iter().map(|r| r.parse()).collect::<Result<_>>()?;
    let mut diff = old.diff(&target, &renames)?;
    if renames.is_empty() && std::io::stdin().is_terminal() {
        let asked: Vec<ColumnRename> = diff.possible_renames().into_iter().filter(ask_rename).collect();
        if !asked.is_empty() {
            renames = asked;
            diff = old.diff(&target, &renames)?;
        }
    }
    if diff.is_empty() {
        out(format!(
            "No changes: the models match {}; no migration was written.",
            dir.join(SNAPSHOT_FILE).display()
        ));
        return Ok(());
    }
    let lossy = diff.lossy();
    if !lossy.is_empty() && !allow_lossy {
        return Err(fail(
            MigrationErrorKind::Lossy,
            format!(
                "these column changes may not keep every stored value: {}. Generate again with --allow-lossy to write them \
             (the scripts then refuse to run while a stored value would change); nothing was written",
                lossy.join("; ")
            ),
        ));
    }
    let folder = new_folder(dir, name)?;
    let write = |file: String, text: String| {
        std::fs::write(folder.join(&file), text)
            .map_err(|e| fail(MigrationErrorKind::Files, format!("cannot write {file}: {e}")))
    };
    for d in Dialect::all() {
        write(format!("up.{}.sql", d.name()), diff.up_sql(d))?;
        write(format!("down.{}.sql", d.name()), diff.down_sql(d))?;
    }
    std::fs::write(dir.join(SNAPSHOT_FILE), target.to_json())
        .map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    out(format!("created {}", folder.display()));
    for line in diff.summary() {
        out(format!("  {line}"));
    }
    for w in diff.warnings() {
        out(format!("warning: {w}"));
    }
    for l in &lossy {
        out(format!(
            "lossy: {l} (guarded: the migration refuses to run while a stored value would change)"
        ));
    }
    for d in Dialect::all() {
        for w in crate::safety::lint(&diff.up_sql(d), d) {
            out(format!("safety: up.{}.sql: {w}", d.name()));
        }
    }
    Ok(())
}

/// `generate --auto --baseline`: the models recorded as what the existing
/// migrations produce, without a migration.
pub fn baseline(dir: &Path, schema: &Schema, out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    let path = dir.join(SNAPSHOT_FILE);
    std::fs::write(&path, schema.snapshot().to_json()).map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    out(format!(
        "wrote {}: the models as the schema the migrations give (`check` confirms it)",
        path.display()
    ));
    Ok(())
}

fn has_migrations(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| crate::source::parse_folder(&e.file_name().to_string_lossy()).is_some())
}

fn ask_rename(r: &ColumnRename) -> bool {
    print!(
        "Was `{0}`.`{1}` renamed to `{2}`? [y/N] (no: `{1}` is dropped with its data and `{2}` added) ",
        r.table, r.from, r.to
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// A new `<version>_<name>` folder in `dir`: the version is now's
/// timestamp, or one past the newest folder's when that is later (two
/// generated in one second).
pub(crate) fn new_folder(dir: &Path, name: &str) -> Result<PathBuf> {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if clean.trim_matches('_').is_empty() {
        return Err(fail(MigrationErrorKind::Usage, "--name needs letters or digits"));
    }
    let now: u64 = chrono::Utc::now()
        .format("%Y%m%d%H%M%S")
        .to_string()
        .parse()
        .unwrap_or(0);
    let newest = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| crate::source::parse_folder(&e.file_name().to_string_lossy()).map(|(v, _)| v))
        .max()
        .unwrap_or(0);
    let folder = dir.join(format!("{}_{}", now.max(newest + 1), clean.trim_matches('_')));
    std::fs::create_dir_all(&folder).map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    Ok(folder)
}
