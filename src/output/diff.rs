//! `diff.csv`: the domains that changed between two scans, one row each, written whole
//! (a temporary file renamed into place) or to standard output.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::csv::neutralise;
use crate::stats::diff::{COLUMNS, Diff};

/// Refuses an existing `out` unless `force`: said before millions of lines are read,
/// not after.
pub(crate) fn check_out(out: &Path, force: bool) -> anyhow::Result<()> {
    if !super::is_stdout(out) && !force && out.symlink_metadata().is_ok() {
        anyhow::bail!("{} exists (--force replaces it)", out.display());
    }
    Ok(())
}

/// Writes the changed domains of `diff` to `out` (`-`: standard output).
pub(crate) fn write_csv(diff: &Diff, out: &Path, force: bool) -> anyhow::Result<()> {
    if super::is_stdout(out) {
        return write(diff, std::io::stdout().lock()).context("writing to standard output");
    }
    check_out(out, force)?;
    crate::scandir::write_atomic_with(out, |file| {
        write(diff, std::io::BufWriter::new(file)).map_err(std::io::Error::other)
    })
    .with_context(|| format!("writing {}", out.display()))
}

fn write(diff: &Diff, out: impl Write) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(COLUMNS)?;
    for row in &diff.rows {
        let cells = row.cells();
        csv.write_record(cells.iter().map(|c| neutralise(c).into_owned()))?;
    }
    csv.flush()?;
    Ok(())
}
