//! One rule file: reading it within its size limit, parsing it by kind, and the identity
//! (fingerprint) that tells one version from the next; and how a watched file changed.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::diag::Diagnostic;
use crate::policy::ruleset::{read_access_rules, read_allowlist};
use crate::policy::{AccessRuleFile, AllowlistFile};

/// Largest rule file read; a synced file beyond this is almost surely broken.
pub const MAX_RULE_FILE_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Allowlist,
    AccessRules,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Allowlist => "sender_allowlist",
            Self::AccessRules => "access_rules",
        }
    }

    pub fn of(key: &str) -> Self {
        if key == "sender_allowlist" {
            Self::Allowlist
        } else {
            Self::AccessRules
        }
    }
}

/// A parsed, indexed rule file.
#[derive(Debug, Clone)]
pub enum Compiled {
    Allow(Arc<AllowlistFile>),
    Access(Arc<AccessRuleFile>),
}

impl Compiled {
    pub fn len(&self) -> usize {
        match self {
            Self::Allow(f) => f.len(),
            Self::Access(f) => f.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn empty(kind: Kind, path: &Path) -> Self {
        parse(kind, path, b"").0
    }
}

pub(super) fn parse(kind: Kind, path: &Path, mut bytes: &[u8]) -> (Compiled, Vec<Diagnostic>) {
    parse_from(kind, path, &mut bytes).expect("reading from memory cannot fail")
}

fn parse_from(
    kind: Kind,
    path: &Path,
    reader: &mut impl std::io::BufRead,
) -> std::io::Result<(Compiled, Vec<Diagnostic>)> {
    Ok(match kind {
        Kind::Allowlist => {
            let (f, e) = read_allowlist(path, reader)?;
            (Compiled::Allow(Arc::new(f)), e)
        }
        Kind::AccessRules => {
            let (f, e) = read_access_rules(path, reader)?;
            (Compiled::Access(Arc::new(f)), e)
        }
    })
}

/// Identity and version of the file a path resolves to (symlinks followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

impl Fingerprint {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
            ctime_ns: meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
        }
    }

    pub fn read(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Self::of(&m))
    }

    pub fn same_file(&self, other: &Self) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// What reading a rule file gave.
#[derive(Debug)]
pub enum Read {
    Missing,
    Unreadable(String),
    Parsed {
        compiled: Compiled,
        /// Problems found; with `on_bad_line = "skip"` their lines are left out of `compiled`.
        problems: Vec<Diagnostic>,
        fingerprint: Fingerprint,
        modified: SystemTime,
    },
}

/// Reads and parses one file. Never panics; every failure is a value.
pub fn read_file(path: &Path, kind: Kind) -> Read {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Read::Missing,
        Err(e) => return Read::Unreadable(e.to_string()),
    };
    if !meta.is_file() {
        return Read::Unreadable("not a regular file".into());
    }
    if meta.len() > MAX_RULE_FILE_BYTES {
        return Read::Unreadable(format!("larger than {MAX_RULE_FILE_BYTES} bytes"));
    }
    // Streamed: a reload holds the old and the new rule set, never the file text as well.
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Read::Missing,
        Err(e) => return Read::Unreadable(e.to_string()),
    };
    // The identity of what is read is the open file's: if the path is swapped meanwhile, the
    // next event sees a different file and reads again.
    let fingerprint = file
        .metadata()
        .map(|m| Fingerprint::of(&m))
        .unwrap_or(Fingerprint::of(&meta));
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let (compiled, problems) = match parse_from(kind, path, &mut reader) {
        Ok(parsed) => parsed,
        Err(e) => return Read::Unreadable(e.to_string()),
    };
    Read::Parsed {
        compiled,
        problems,
        fingerprint,
        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    }
}

/// How a watched file changed, which decides whether it may be read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Its writer closed it, or it was renamed/linked into place: complete.
    Complete,
    /// Something else in its directory was swapped (a `..data` symlink, the directory):
    /// read it only if it is now a different file, never a file still being written.
    Identity,
    /// Deleted or renamed away: apply `on_missing` if it is still gone.
    Removed,
    /// Its permissions changed: report it if it can no longer be read.
    Metadata,
}
