//! The pure planner: from what is applied and what exists, decide what to
//! run, and refuse edited, missing, dirty or out-of-order migrations.

use std::fmt;

/// A migration recorded in the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Version.
    pub version: u64,
    /// Name when applied.
    pub name: String,
    /// Checksum of the script applied.
    pub checksum: String,
    /// Started but not finished (MySQL, where DDL cannot be rolled back).
    pub dirty: bool,
}

/// A migration that exists in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// Version.
    pub version: u64,
    /// `version_name`.
    pub id: String,
    /// The up script's path in the source, as `version_name/up.sql`.
    pub script: String,
    /// Checksum of the current script.
    pub checksum: String,
}

/// What to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// See the example on [`Migrator`](crate::Migrator).
pub enum UndoTarget {
    /// The most recent migration.
    Last,
    /// Every applied migration.
    All,
    /// Everything newer than this version (which stays applied).
    To(u64),
}

/// A command to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Apply what is pending.
    Migrate,
    /// Revert.
    Undo(UndoTarget),
    /// Revert the last, then apply it again.
    Redo,
}

/// Overrides for the checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
///
/// See the example on [`Migrator`](crate::Migrator).
pub struct Options {
    /// Run even if an applied migration's file changed.
    pub allow_edited: bool,
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
}

/// One step of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Run the up script of this version.
    Apply(u64),
    /// Run the down script of this version.
    Revert(u64),
}

/// Why a plan was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A migration started and never finished.
    Dirty(String),
    /// An applied migration's up script changed (its path).
    Edited(String),
    /// An applied migration has no file.
    Missing(String),
    /// A pending migration is older than the newest applied one.
    OutOfOrder {
        /// The pending migration.
        pending: String,
        /// The newest applied migration.
        newest: String,
    },
    /// `undo --to` names a version that is not applied.
    UnknownTarget(u64),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Dirty(id) => write!(
                f,
                "migration {id} started but did not finish (the database may be partly migrated): fix it by hand, then run `orm-migrate repair`"
            ),
            PlanError::Edited(script) => write!(
                f,
                "{script} was applied and has changed since; restore it, or pass --allow-edited to accept the change"
            ),
            PlanError::Missing(id) => write!(f, "migration {id} is applied but its folder {id}/ is missing"),
            PlanError::OutOfOrder { pending, newest } => write!(
                f,
                "migration {pending}/ is older than the newest applied one ({newest}); pass --allow-out-of-order to apply it"
            ),
            PlanError::UnknownTarget(v) => write!(f, "version {v} is not applied: nothing to undo to"),
        }
    }
}

fn id_of(applied: &Applied) -> String {
    format!("{}_{}", applied.version, applied.name)
}

/// Decide the steps for `cmd`. `applied` and `available` may be in any order.
pub fn plan(applied: &[Applied], available: &[Available], cmd: Command, opts: Options) -> Result<Vec<Step>, PlanError> {
    let mut applied: Vec<&Applied> = applied.iter().collect();
    applied.sort_by_key(|a| a.version);
    if let Some(d) = applied.iter().find(|a| a.dirty) {
        return Err(PlanError::Dirty(id_of(d)));
    }
    for a in &applied {
        match available.iter().find(|m| m.version == a.version) {
            None => return Err(PlanError::Missing(id_of(a))),
            Some(m) if m.checksum != a.checksum && !opts.allow_edited => {
                return Err(PlanError::Edited(m.script.clone()));
            }
            Some(_) => {}
        }
    }
    let newest = applied.last().map(|a| a.version).unwrap_or(0);
    let mut pending: Vec<&Available> = available
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect();
    pending.sort_by_key(|m| m.version);
    match cmd {
        Command::Migrate => {
            if let Some(old) = pending.iter().find(|m| m.version < newest)
                && !opts.allow_out_of_order
            {
                let newest_id = applied.last().map(|a| id_of(a)).unwrap_or_default();
                return Err(PlanError::OutOfOrder {
                    pending: old.id.clone(),
                    newest: newest_id,
                });
            }
            Ok(pending.iter().map(|m| Step::Apply(m.version)).collect())
        }
        Command::Undo(UndoTarget::Last) => Ok(applied
            .last()
            .map(|a| vec![Step::Revert(a.version)])
            .unwrap_or_default()),
        Command::Undo(UndoTarget::All) => Ok(applied.iter().rev().map(|a| Step::Revert(a.version)).collect()),
        Command::Undo(UndoTarget::To(v)) => {
            if v != 0 && !applied.iter().any(|a| a.version == v) {
                return Err(PlanError::UnknownTarget(v));
            }
            Ok(applied
                .iter()
                .rev()
                .filter(|a| a.version > v)
                .map(|a| Step::Revert(a.version))
                .collect())
        }
        Command::Redo => Ok(applied
            .last()
            .map(|a| vec![Step::Revert(a.version), Step::Apply(a.version)])
            .unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avail(v: u64, sum: &str) -> Available {
        Available {
            version: v,
            id: format!("{v}_m"),
            script: format!("{v}_m/up.sql"),
            checksum: sum.into(),
        }
    }
    fn done(v: u64, sum: &str) -> Applied {
        Applied {
            version: v,
            name: "m".into(),
            checksum: sum.into(),
            dirty: false,
        }
    }
    const O: Options = Options {
        allow_edited: false,
        allow_out_of_order: false,
    };

    #[test]
    fn migrate_applies_pending_oldest_first() {
        let files = [avail(3, "c"), avail(1, "a"), avail(2, "b")];
        assert_eq!(
            plan(&[], &files, Command::Migrate, O),
            Ok(vec![Step::Apply(1), Step::Apply(2), Step::Apply(3)])
        );
        assert_eq!(
            plan(&[done(1, "a")], &files, Command::Migrate, O),
            Ok(vec![Step::Apply(2), Step::Apply(3)])
        );
        let all = [done(1, "a"), done(2, "b"), done(3, "c")];
        assert_eq!(plan(&all, &files, Command::Migrate, O), Ok(vec![]));
    }

    #[test]
    fn undo_variants() {
        let files = [avail(1, "a"), avail(2, "b"), avail(3, "c")];
        let all = [done(1, "a"), done(2, "b"), done(3, "c")];
        assert_eq!(
            plan(&all, &files, Command::Undo(UndoTarget::Last), O),
            Ok(vec![Step::Revert(3)])
        );
        assert_eq!(
            plan(&all, &files, Command::Undo(UndoTarget::All), O),
            Ok(vec![Step::Revert(3), Step::Revert(2), Step::Revert(1)])
        );
        assert_eq!(
            plan(&all, &files, Command::Undo(UndoTarget::To(1)), O),
            Ok(vec![Step::Revert(3), Step::Revert(2)])
        );
        assert_eq!(
            plan(&all, &files, Command::Undo(UndoTarget::To(0)), O).unwrap().len(),
            3
        );
        assert_eq!(
            plan(&all, &files, Command::Undo(UndoTarget::To(9)), O),
            Err(PlanError::UnknownTarget(9))
        );
        assert_eq!(plan(&[], &files, Command::Undo(UndoTarget::Last), O), Ok(vec![]));
        assert_eq!(
            plan(&all, &files, Command::Redo, O),
            Ok(vec![Step::Revert(3), Step::Apply(3)])
        );
    }

    #[test]
    fn edited_missing_dirty_and_out_of_order_are_refused() {
        let files = [avail(1, "a"), avail(2, "b"), avail(3, "c")];
        let edited = plan(&[done(1, "OLD")], &files, Command::Migrate, O);
        assert_eq!(edited, Err(PlanError::Edited("1_m/up.sql".into())));
        assert!(edited.unwrap_err().to_string().contains("1_m/up.sql"));
        let allowed = Options {
            allow_edited: true,
            ..O
        };
        assert_eq!(
            plan(&[done(1, "OLD")], &files, Command::Migrate, allowed)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            plan(&[done(9, "z")], &files, Command::Migrate, O),
            Err(PlanError::Missing("9_m".into()))
        );
        let dirty = Applied {
            dirty: true,
            ..done(2, "b")
        };
        assert!(matches!(
            plan(&[done(1, "a"), dirty], &files, Command::Migrate, O),
            Err(PlanError::Dirty(_))
        ));
        let gap = [done(1, "a"), done(3, "c")];
        assert!(matches!(
            plan(&gap, &files, Command::Migrate, O),
            Err(PlanError::OutOfOrder { .. })
        ));
        let late = Options {
            allow_out_of_order: true,
            ..O
        };
        assert_eq!(plan(&gap, &files, Command::Migrate, late), Ok(vec![Step::Apply(2)]));
        assert_eq!(
            plan(&gap, &files, Command::Undo(UndoTarget::Last), O),
            Ok(vec![Step::Revert(3)]),
            "undo ignores pending gaps"
        );
    }
}
