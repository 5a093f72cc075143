//! Files of a scan directory written whole or not at all, and never through a symbolic
//! link: a temporary file in the same directory, synced, renamed over the target (which
//! replaces a link instead of following it), then the directory synced so that the
//! rename itself survives a crash.

use std::fs::{File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use rustix::fs::OFlags;

/// Replaces `path` with `bytes`: readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Replaces `path` with what `fill` writes (a stream too large to hold in memory, such
/// as a rebuilt `results.csv`), as [`write_atomic`] does; an error of `fill` leaves
/// `path` as it was.
pub fn write_atomic_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<T>,
) -> io::Result<T> {
    let dir = parent(path);
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        // As `File::create` would make it (the umask applies), not tempfile's 0600.
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    let value = fill(file.as_file_mut())?;
    file.as_file().sync_all()?;
    // Dropped on failure, the temporary file is removed.
    file.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)?;
    Ok(value)
}

/// Makes the entries of `dir` (a file created or renamed in it) survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `path`, which must not exist. `O_EXCL` refuses any existing name, a symbolic
/// link (even a dangling one) included, so nothing is ever created through a link.
pub fn create_new(path: &Path) -> io::Result<File> {
    File::options().write(true).create_new(true).open(path)
}

/// Opens `path` for appending, created if missing, refusing a symbolic link
/// (`O_NOFOLLOW`).
pub fn open_append(path: &Path) -> io::Result<File> {
    File::options()
        .append(true)
        .create(true)
        .custom_flags(OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// The directory of `path`; `.` for a bare file name.
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
