//! Where uploaded files go: content-addressed by SHA-256, never executed, never marked
//! executable, and bounded in total size (the oldest files are deleted first).

use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct Quarantine {
    dir: PathBuf,
    max_bytes: u64,
    lock: Mutex<()>,
}

/// A file kept (or, when over the cap, only hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: u64,
    pub path: Option<PathBuf>,
}

impl Quarantine {
    pub fn new(dir: &Path, max_bytes: u64) -> io::Result<Quarantine> {
        fs::create_dir_all(dir)?;
        Ok(Quarantine {
            dir: dir.to_owned(),
            max_bytes,
            lock: Mutex::new(()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Hashes `content` and keeps it as `<dir>/<sha256>` (mode 0600, never executable).
    pub fn store(&self, content: &[u8]) -> io::Result<Stored> {
        let sha256 = hex(&Sha256::digest(content));
        let size = content.len() as u64;
        if size > self.max_bytes {
            return Ok(Stored {
                sha256,
                size,
                path: None,
            });
        }
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.dir.join(&sha256);
        if !path.exists() {
            self.make_room(size)?;
            let tmp = self.dir.join(format!(".{sha256}.tmp"));
            fs::write(&tmp, content)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))?;
            }
            fs::rename(&tmp, &path)?;
        }
        Ok(Stored {
            sha256,
            size,
            path: Some(path),
        })
    }

    fn make_room(&self, incoming: u64) -> io::Result<()> {
        let mut files = Vec::new();
        let mut total = 0u64;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() {
                total += meta.len();
                files.push((meta.modified().ok(), meta.len(), entry.path()));
            }
        }
        files.sort();
        for (_, len, path) in files {
            if total + incoming <= self.max_bytes {
                break;
            }
            fs::remove_file(&path)?;
            total -= len;
        }
        Ok(())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_by_hash_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::new(dir.path(), 10).unwrap();
        let a = q.store(b"hello").unwrap();
        assert_eq!(
            a.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        q.store(b"world!").unwrap();
        assert!(!dir.path().join(&a.sha256).exists(), "oldest evicted");
        assert!(q.store(&[0u8; 11]).unwrap().path.is_none());
    }
}
