//! The scan directory as a unit of data: one writer at a time ([`Lock`]), and every file
//! in it complete or absent ([`write_atomic`]), never written through a symbolic link.

mod atomic;
mod lock;

pub use atomic::{create_new, open_append, sync_dir, write_atomic, write_atomic_with};
pub use lock::{LOCK_FILE, Lock};

use std::io;
use std::path::Path;

/// `error` as said to the user of the scan in `dir`: a full disk names the directory and
/// how to go on, as the records written so far are kept and the scan can be resumed.
pub fn resumable(error: anyhow::Error, dir: &Path) -> anyhow::Error {
    let full = error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::StorageFull);
    if full {
        let dir = dir.display();
        error.context(format!(
            "no space left on the device of {dir}: once space is freed, \
             `mailposture scan --resume {dir}` continues the scan"
        ))
    } else {
        error
    }
}
