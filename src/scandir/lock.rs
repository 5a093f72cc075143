//! One process at a time in a scan directory: an exclusive `flock(2)` on `DIR/.lock`,
//! held for the whole run. The kernel releases it when the process ends, however it
//! ends, so a killed scan never leaves its directory blocked.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use rustix::fs::{FlockOperation, OFlags, flock};

/// The lock file's name in a scan directory; it holds the holder's PID as text.
const LOCK_FILE: &str = ".lock";

/// The exclusive lock on a scan directory, released when dropped (or when the process
/// ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock on `dir` (which must exist) at once, or says which process holds it.
    pub(crate) fn acquire(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut text = String::new();
                // The holder writes its PID just after taking the lock: it may not be
                // there yet.
                let holder = match file.read_to_string(&mut text) {
                    Ok(_) if !text.trim().is_empty() => format!("PID {}", text.trim()),
                    _ => "PID not yet recorded".to_owned(),
                };
                bail!(
                    "{} is in use by another mailposture process ({holder}); wait for it to finish",
                    dir.display()
                );
            }
            Err(e) => {
                return Err(io::Error::from(e))
                    .with_context(|| format!("locking {}", path.display()));
            }
        }
        // The file may hold the PID of an earlier, ended holder, longer than ours.
        file.set_len(0)
            .and_then(|()| file.write_all_at(format!("{}\n", std::process::id()).as_bytes(), 0))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Self { _file: file })
    }
}
