//! `[directory.NAME]` and `[[sync]]` as validated settings.

use std::path::PathBuf;
use std::time::Duration;

use super::template::Template;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// `ldap://` upgraded with the StartTLS extended operation before binding.
    Starttls,
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
    /// Plain LDAP: only for a directory on this host or a protected link.
    None,
}

/// A `[directory.NAME]` table, validated.
#[derive(Debug, Clone)]
pub struct DirectorySpec {
    pub name: String,
    /// Tried in order: the first that connects (and binds) answers.
    pub urls: Vec<String>,
    pub tls: Tls,
    /// PEM CA certificates the server's certificate must chain to; `None`: the system's.
    pub ca_file: Option<PathBuf>,
    /// Simple bind; `None` binds anonymously.
    pub bind_dn: Option<String>,
    /// Holds the bind password; must not be readable by group or others.
    pub password_file: Option<PathBuf>,
    /// Search base for every filter of this directory.
    pub base: String,
    /// Per connection attempt and per operation; bounds a whole real-time lookup.
    pub timeout: Duration,
    /// Real-time lookups: how long an answer with entries is used.
    pub cache_ttl: Duration,
    /// How long an answer without entries is used.
    pub negative_ttl: Duration,
    /// How old a cached answer may be and still be served while the directory is down.
    pub max_stale: Duration,
    /// Cached answers kept at most.
    pub max_entries: usize,
    /// Settings line of the table, for diagnostics.
    pub line: usize,
}

/// A `[[sync]]` block, validated.
#[derive(Debug, Clone)]
pub struct SyncSpec {
    pub name: String,
    pub directory: String,
    /// Overrides the directory's `base`.
    pub base: Option<String>,
    pub filter: String,
    pub output: PathBuf,
    /// One output line per entry; placeholders are attribute names.
    pub line_template: Template,
    /// A result with fewer than this share of the lines it replaces is not written.
    pub min_keep_ratio: f64,
    /// Entries per page of the paged-results control (RFC 2696).
    pub page_size: i32,
    pub line: usize,
}
