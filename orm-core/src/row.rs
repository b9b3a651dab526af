//! Rows as they come back from any driver.

use crate::driver::RowAccess;

/// A borrowed result row of whichever database the pool talks to.
///
/// Generated `from_row` code reads columns from it by index through
/// [`FieldType::decode`](crate::FieldType::decode), and so does a
/// hand-written [`FromRow`](crate::FromRow) (see the example there).
#[derive(Clone, Copy)]
pub struct RowRef<'r>(&'r dyn RowAccess);

impl<'r> RowRef<'r> {
    pub(crate) fn new(row: &'r dyn RowAccess) -> Self {
        RowRef(row)
    }

    /// The driver's typed reads of this row.
    pub(crate) fn access(&self) -> &'r dyn RowAccess {
        self.0
    }

    /// True when the column at `idx` is SQL NULL.
    pub fn is_null(&self, idx: usize) -> crate::Result<bool> {
        self.0.is_null(idx)
    }
}

impl std::fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowRef").finish_non_exhaustive()
    }
}
