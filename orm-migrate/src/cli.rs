//! The `orm-migrate` command line: clap definitions and the commands.

use crate::fail;
use crate::{Event, Migrator, Options, UndoTarget, load_dir};
use clap::{Parser, Subcommand};
use orm_core::MigrationErrorKind;
use orm_core::{Db, Dialect, Result, Schema, Scratch, raw};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Versioned up/down migrations, as in Sequelize's CLI.
#[derive(Debug, Parser)]
#[command(name = "orm-migrate", version, about)]
pub struct Cli {
    /// Database URL (default: $DATABASE_URL, then orm.toml's entry for $ORM_ENV or `development`).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// The migrations folder.
    #[arg(long, global = true, default_value = "migrations")]
    pub dir: PathBuf,
    /// The seeders folder (for `seed`).
    #[arg(long, global = true, default_value = "seeders")]
    pub seeders_dir: PathBuf,
    /// Seconds to wait for another runner's lock.
    #[arg(long, global = true, default_value_t = 60)]
    pub lock_timeout: u64,
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create `migrations/` and `orm.toml`.
    Init,
    /// Create a new timestamped migration folder with empty up/down
    /// scripts; with `--auto`, scripts for every dialect with what changed
    /// in the models since `migrations/schema.json` (then updated).
    Generate {
        /// The migration's name (`add-users` becomes `..._add_users`).
        #[arg(long)]
        name: String,
        /// Write the scripts from the models' changes (needs the models:
        /// run it through `orm_migrate::cli::main_with(schema)`).
        #[arg(long)]
        auto: bool,
        /// A renamed column, `table.old:new` (else a dropped and an added
        /// column); repeatable.
        #[arg(long = "rename", requires = "auto")]
        renames: Vec<String>,
        /// Write no migration: record the models as the schema the existing
        /// (hand-written) migrations produce, in `schema.json` (then run
        /// `check` to confirm it).
        #[arg(long, requires = "auto", conflicts_with = "renames")]
        baseline: bool,
        /// Write column changes that may not keep every stored value
        /// (shorter text, narrower numbers, float to integer, time to
        /// date); their scripts refuse to run while a value would change.
        #[arg(long, requires = "auto")]
        allow_lossy: bool,
    },
    /// Apply every pending migration, oldest first.
    #[command(alias = "up")]
    Migrate {
        /// Accept applied migrations whose files changed.
        #[arg(long)]
        allow_edited: bool,
        /// Apply pending migrations older than the newest applied one.
        #[arg(long)]
        allow_out_of_order: bool,
        /// Lint the pending migrations first (DDL that rewrites or locks a
        /// large table, each with the safer form); with any finding, apply
        /// nothing and fail. A statement after `-- orm:safe` is exempt.
        #[arg(long)]
        check_safety: bool,
    },
    /// Revert the last migration (or all, or down to a version).
    Undo {
        /// Revert every applied migration.
        #[arg(long, conflicts_with = "to")]
        all: bool,
        /// Revert everything newer than this version.
        #[arg(long)]
        to: Option<u64>,
    },
    /// Revert the last migration and apply it again.
    Redo,
    /// List migrations and whether they are applied.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget migrations left dirty by a failed run (after fixing the database by hand).
    Repair,
    /// Seeders: `seed` applies the pending ones (recorded in `orm_seeds`),
    /// `seed generate --name x` makes a folder, `seed undo [--all]` reverts.
    Seed {
        /// Accept applied seeders whose files changed (their new checksum
        /// is recorded), to apply pending ones or to undo.
        #[arg(long, global = true)]
        allow_edited: bool,
        /// What to do (default: apply the pending seeders).
        #[command(subcommand)]
        action: Option<SeedCmd>,
    },
    /// Print `#[derive(Model)]` source for the database's tables (columns
    /// no Rust type maps are listed, as comments and on stderr).
    Introspect {
        /// Only these tables (comma separated; default: all).
        #[arg(long, value_delimiter = ',')]
        tables: Vec<String>,
    },
    /// Apply every migration to a scratch database (a temporary SQLite
    /// file, and one on each `--server-url`) and compare the result with
    /// the models; a difference is listed and the command fails. Needs the
    /// models: run it through `orm_migrate::cli::main_with(schema)`.
    Check {
        /// A PostgreSQL or MySQL/MariaDB server to check on too (a scratch
        /// schema or database is created there and dropped); repeatable.
        #[arg(long = "server-url")]
        server_urls: Vec<String>,
    },
}

/// The `seed` subcommands.
#[derive(Debug, Subcommand)]
pub enum SeedCmd {
    /// Create a new timestamped seeder folder with empty up/down scripts.
    Generate {
        /// The seeder's name (`demo-users` becomes `..._demo_users`).
        #[arg(long)]
        name: String,
    },
    /// Revert the last seeder (or all of them, newest first).
    Undo {
        /// Revert every applied seeder.
        #[arg(long)]
        all: bool,
    },
}

const ORM_TOML: &str = "# Database URLs per environment; ORM_ENV picks one (default: development).\n# DATABASE_URL or --database-url override them.\n\n[development]\nurl = \"sqlite://dev.db\"\n\n[test]\nurl = \"sqlite://test.db\"\n\n[production]\nurl = \"postgres://user:password@localhost:5432/app\"\n";

/// The URL for the environment from a minimal `orm.toml` (`[env]` then `url = "..."`).
pub fn url_from_toml(text: &str, env: &str) -> Option<String> {
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
        } else if section == env
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == "url"
        {
            return Some(v.trim().trim_matches('"').to_owned());
        }
    }
    None
}

fn database_url(cli: &Cli) -> Result<String> {
    if let Some(u) = &cli.database_url {
        return Ok(u.clone());
    }
    if let Ok(u) = std::env::var("DATABASE_URL") {
        return Ok(u);
    }
    let env = std::env::var("ORM_ENV").unwrap_or_else(|_| "development".into());
    let text = std::fs::read_to_string("orm.toml").map_err(|_| {
        fail(
            MigrationErrorKind::Usage,
            "no database URL: pass --database-url, set DATABASE_URL, or run `orm-migrate init` for orm.toml",
        )
    })?;
    url_from_toml(&text, &env).ok_or_else(|| {
        fail(
            MigrationErrorKind::Usage,
            format!("orm.toml has no url for the `{env}` environment"),
        )
    })
}

fn init(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    std::fs::create_dir_all(dir).map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    out.push(format!("created {}/", dir.display()));
    if !Path::new("orm.toml").exists() {
        std::fs::write("orm.toml", ORM_TOML).map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
        out.push("created orm.toml".into());
    }
    Ok(out)
}

fn generate(dir: &Path, name: &str) -> Result<Vec<String>> {
    let folder = crate::auto::new_folder(dir, name)?;
    std::fs::write(folder.join("up.sql"), "-- Write the forward migration here.\n")
        .map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    std::fs::write(folder.join("down.sql"), "-- Write the reverse of up.sql here.\n")
        .map_err(|e| fail(MigrationErrorKind::Files, e.to_string()))?;
    Ok(vec![format!("created {}", folder.display())])
}

/// The `orm-migrate` binary: parse the arguments, run, print; exit 1 on an error.
pub fn main() -> ExitCode {
    run_main(None)
}

/// The same CLI inside a user's binary, knowing the models (for `check`):
///
/// ```no_run
/// // src/bin/migrate.rs
/// use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # struct User { id: i64 }
/// fn main() -> std::process::ExitCode {
///     orm_migrate::cli::main_with(Schema::new().model::<User>())
/// }
/// ```
pub fn main_with(schema: Schema) -> ExitCode {
    run_main(Some(schema))
}

fn run_main(schema: Option<Schema>) -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let print = |line: String| println!("{line}");
    match runtime.block_on(run_with(cli, schema.as_ref(), &print)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Run the CLI; progress and results go to `out`, one line per call.
pub async fn run(cli: Cli, out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    run_with(cli, None, out).await
}

/// [`run`], with the models for the commands that need them (`check`).
pub async fn run_with(cli: Cli, schema: Option<&Schema>, out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    match &cli.command {
        Cmd::Init => return init(&cli.dir).map(|lines| lines.into_iter().for_each(out)),
        Cmd::Generate { name, auto: false, .. } => {
            return generate(&cli.dir, name).map(|lines| lines.into_iter().for_each(out));
        }
        Cmd::Generate {
            name,
            auto: true,
            renames,
            baseline,
            allow_lossy,
        } => {
            let schema = schema.ok_or_else(|| {
                fail(MigrationErrorKind::Usage, "`generate --auto` needs the models: run it from your crate's binary through orm_migrate::cli::main_with(Schema::new().model::<..>())")
            })?;
            if *baseline {
                return crate::auto::baseline(&cli.dir, schema, out);
            }
            return crate::auto::generate_with(&cli.dir, name, schema, renames, *allow_lossy, out);
        }
        Cmd::Seed {
            action: Some(SeedCmd::Generate { name }),
            ..
        } => return generate(&cli.seeders_dir, name).map(|lines| lines.into_iter().for_each(out)),
        Cmd::Check { server_urls } => {
            let schema = schema.ok_or_else(|| {
                fail(MigrationErrorKind::Usage, "`check` needs the models: run it from your crate's binary through orm_migrate::cli::main_with(Schema::new().model::<..>())")
            })?;
            return check(&cli.dir, schema, server_urls, out).await;
        }
        _ => {}
    }
    let url = database_url(&cli)?;
    let db = Db::builder(url)
        .max_connections(3)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await?;
    let result = match &cli.command {
        Cmd::Introspect { tables } => introspect(&db, tables, out).await,
        _ => command(&cli, &db, out).await,
    };
    db.close().await;
    result
}

async fn command(cli: &Cli, db: &Db, out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    let seeding = matches!(cli.command, Cmd::Seed { .. });
    let folder = if seeding { &cli.seeders_dir } else { &cli.dir };
    let migrations = load_dir(folder)?;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
    let runner = if seeding {
        Migrator::seeders(migrations)
    } else {
        Migrator::new(migrations)
    };
    let mut migrator = runner
        .lock_timeout(std::time::Duration::from_secs(cli.lock_timeout))
        .on_event(move |e: &Event| {
            let _ = sender.send(e.to_string());
        });
    let drain = |rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>| {
        while let Ok(line) = rx.try_recv() {
            out(line);
        }
    };
    let res = match &cli.command {
        Cmd::Migrate {
            allow_edited,
            allow_out_of_order,
            check_safety,
        } => {
            migrator = migrator.options(Options {
                allow_edited: *allow_edited,
                allow_out_of_order: *allow_out_of_order,
            });
            if *check_safety {
                let found = migrator.check_safety(db).await?;
                for (file, w) in &found {
                    out(format!("warning: {file}: {w}"));
                }
                if !found.is_empty() {
                    return Err(fail(
                        MigrationErrorKind::Unsafe,
                        format!(
                            "{} unsafe statement(s) in pending migrations; nothing was applied (mark a reviewed statement with `-- orm:safe` on the line before it)",
                            found.len()
                        ),
                    ));
                }
            }
            let r = migrator.run(db).await;
            drain(&mut receiver);
            r.map(|v| {
                if v.is_empty() {
                    out("No migrations were executed, database schema was already up to date.".into())
                }
            })
        }
        Cmd::Undo { all, to } => {
            let target = match (all, to) {
                (true, _) => UndoTarget::All,
                (_, Some(v)) => UndoTarget::To(*v),
                _ => UndoTarget::Last,
            };
            let r = migrator.undo(db, target).await;
            drain(&mut receiver);
            r.map(|v| {
                if v.is_empty() {
                    out("No executed migrations found.".into())
                }
            })
        }
        Cmd::Redo => {
            let r = migrator.redo(db).await;
            drain(&mut receiver);
            r.map(|_| ())
        }
        Cmd::Status { json } => {
            let rows = migrator.status(db).await?;
            if *json {
                let list: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| serde_json::json!({"version": r.version, "migration": r.id, "state": r.state, "appliedAt": r.applied_at}))
                    .collect();
                out(serde_json::Value::Array(list).to_string());
            } else {
                for r in rows {
                    let state = match r.state {
                        "applied" => "up",
                        "pending" => "down",
                        other => other,
                    };
                    out(format!("{state:<8} {}  {}", r.id, r.applied_at.unwrap_or_default()));
                }
            }
            Ok(())
        }
        Cmd::Repair => {
            let fixed = migrator.repair(db).await?;
            if fixed.is_empty() {
                out("Nothing to repair.".into());
            }
            for v in fixed {
                out(format!("forgot dirty migration {v}; it will run again"));
            }
            Ok(())
        }
        Cmd::Seed { action, allow_edited } => {
            migrator = migrator.options(Options {
                allow_edited: *allow_edited,
                allow_out_of_order: false,
            });
            let r = match action {
                Some(SeedCmd::Undo { all }) => {
                    let target = if *all { UndoTarget::All } else { UndoTarget::Last };
                    migrator.undo(db, target).await
                }
                _ => migrator.run(db).await,
            };
            drain(&mut receiver);
            r.map(|v| {
                if v.is_empty() {
                    out("No seeders were executed.".into())
                }
            })
        }
        Cmd::Init | Cmd::Generate { .. } | Cmd::Check { .. } | Cmd::Introspect { .. } => Ok(()),
    };
    drain(&mut receiver);
    res
}

/// `introspect`: the source on `out`; unmapped columns as comments and on stderr.
async fn introspect(db: &Db, tables: &[String], out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    let found = orm_core::Snapshot::introspect(db, tables).await?;
    let mut source = String::new();
    for u in &found.unmapped {
        eprintln!("warning: {u} has no Rust type; the column is left out");
        source.push_str(&format!("// NOT MAPPED (left out, no Rust type): {u}\n"));
    }
    source.push_str(&found.snapshot.to_rust());
    out(source.trim_end().to_owned());
    Ok(())
}

/// `check`: the migrations applied to scratch databases, compared with the models.
async fn check(dir: &Path, schema: &Schema, servers: &[String], out: &(dyn Fn(String) + Send + Sync)) -> Result<()> {
    let stamp = format!("{}_{}", std::process::id(), chrono::Utc::now().format("%H%M%S%f"));
    let mut problems = Vec::new();
    // Every backend that keeps a database in a file is checked on a
    // temporary one; servers on the URLs given.
    for d in Dialect::all() {
        if let Scratch::File { url, .. } = d.migration().scratch {
            let file = std::env::temp_dir().join(format!("orm-check-{stamp}.{}.db", d.name()));
            let result = check_one(dir, schema, &url(&file.display().to_string())).await;
            let _ = std::fs::remove_file(&file);
            report(d.name(), result, &mut problems, out)?;
        }
    }
    for url in servers {
        let name = format!("orm_check_{stamp}");
        let admin = Db::connect(url).await?;
        let d = admin.dialect();
        let (scratch, drop) = match d.migration().scratch {
            Scratch::Namespace {
                create,
                drop,
                url: url_in,
                ..
            } => {
                raw(create(&name)).execute(&admin).await?;
                (url_in(url, &name), drop(&name))
            }
            Scratch::File { .. } => {
                admin.close().await;
                return Err(fail(
                    MigrationErrorKind::Usage,
                    format!(
                        "--server-url takes the URL of a database server, not of {} (its check runs on a temporary file)",
                        d.name()
                    ),
                ));
            }
        };
        let result = check_one(dir, schema, &scratch).await;
        raw(drop).execute(&admin).await?;
        admin.close().await;
        report(d.name(), result, &mut problems, out)?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(fail(
            MigrationErrorKind::Schema,
            format!("the migrations do not give the models' schema: {}", problems.join("; ")),
        ))
    }
}

/// Apply every migration to the database at `url` and compare it with the models.
async fn check_one(dir: &Path, schema: &Schema, url: &str) -> Result<orm_core::CheckReport> {
    let db = Db::connect(url).await?;
    let result = async {
        Migrator::new(load_dir(dir)?).run(&db).await?;
        schema.check_report(&db).await
    }
    .await;
    db.close().await;
    result
}

/// Print what one dialect's check found: its problems (which fail the
/// command) and the extras the models do not use (listed as notes).
fn report(
    dialect: &str,
    result: Result<orm_core::CheckReport>,
    problems: &mut Vec<String>,
    out: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    let found = result?;
    for extra in &found.extras {
        out(format!("{dialect}: note: {extra}"));
    }
    if found.problems.is_empty() {
        out(format!("{dialect}: the migrations give the models' schema"));
    }
    for p in &found.problems {
        out(format!("{dialect}: {p}"));
    }
    problems.extend(found.problems.into_iter().map(|p| format!("{dialect}: {p}")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_urls() {
        assert_eq!(url_from_toml(ORM_TOML, "test").as_deref(), Some("sqlite://test.db"));
        assert_eq!(
            url_from_toml(ORM_TOML, "production").as_deref(),
            Some("postgres://user:password@localhost:5432/app")
        );
        assert_eq!(url_from_toml(ORM_TOML, "staging"), None);
    }

    #[test]
    fn event_lines() {
        let d = std::time::Duration::from_millis(41);
        assert_eq!(
            Event::Migrating("20260614120000_add_users".into()).to_string(),
            "== 20260614120000_add_users: migrating ======="
        );
        assert_eq!(
            Event::Migrated("20260614120000_add_users".into(), d).to_string(),
            "== 20260614120000_add_users: migrated (0.041s)"
        );
        assert_eq!(Event::Reverted("x".into(), d).to_string(), "== x: reverted (0.041s)");
    }
}
