//! A directory entry, and the answers to lookups, as the policy core sees them. Pure.

use std::fmt::Debug;
use std::sync::Arc;

/// One entry: its DN and its text attributes, names lower-case.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub dn: String,
    pub attrs: Vec<(String, Vec<String>)>,
}

impl Entry {
    /// The first value of an attribute (names compare case-insensitively).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

/// What a directory said to one filter.
#[derive(Debug, Clone)]
pub enum DirectoryAnswer {
    /// The entries found (none: not listed).
    Entries(Arc<[Entry]>),
    /// It could not answer (and no recent-enough answer is kept): decide nothing.
    Unavailable,
}

/// The caller's answers to the lookups the core asks for. `attrs`: the attributes the
/// entries must carry (empty: none needed).
pub trait DirectoryAnswers: Debug + Sync {
    fn answer(&self, directory: &str, filter: &str, attrs: &[String]) -> DirectoryAnswer;

    /// Where that answer came from (`cached 12 s`), for `query` to show next to the
    /// source. The milter's answers say nothing: the source is named alone.
    fn provenance(&self, _directory: &str, _filter: &str, _attrs: &[String]) -> Option<String> {
        None
    }
}

/// For callers with no directories: every lookup is unavailable.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDirectories;

impl DirectoryAnswers for NoDirectories {
    fn answer(&self, _: &str, _: &str, _: &[String]) -> DirectoryAnswer {
        DirectoryAnswer::Unavailable
    }
}
