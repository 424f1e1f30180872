//! Noticing that a file changed: its modification time, length and (on Unix) inode, so a
//! file replaced by a rename counts as changed even within one clock tick.

use std::path::Path;
use std::time::SystemTime;

/// What a file looked like when it was last read; `None` fields for a missing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FileStamp {
    modified: Option<SystemTime>,
    len: Option<u64>,
    inode: Option<u64>,
}

impl FileStamp {
    /// The file's stamp now.
    pub(crate) fn of(path: &Path) -> Self {
        let Ok(meta) = std::fs::metadata(path) else {
            return Self::default();
        };
        #[cfg(unix)]
        let inode = {
            use std::os::unix::fs::MetadataExt;
            Some(meta.ino())
        };
        #[cfg(not(unix))]
        let inode = None;
        Self {
            modified: meta.modified().ok(),
            len: Some(meta.len()),
            inode,
        }
    }
}
