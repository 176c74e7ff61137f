//! Rule files on disk: reading them, deciding whether a new version may replace the one in
//! force (`guard`), the table of every source's state, and building the policy set from it.

pub mod file;
pub mod guard;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::config::model::OnBadLine;
use crate::config::{FileRef, Settings, SourceOptions};
use crate::diag::{Diagnostic, Diagnostics};
use crate::policy::{Policy, PolicySet};

pub use file::{Change, Compiled, Fingerprint, Kind, MAX_RULE_FILE_BYTES, Read, read_file};
pub use guard::{Verdict, decide};

/// The state of one configured rule file.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub kind: Kind,
    pub options: SourceOptions,
    pub config_path: PathBuf,
    pub config_line: usize,
    /// The version in force; `None` when it never loaded (a `required = false` file).
    pub current: Option<Compiled>,
    pub fingerprint: Option<Fingerprint>,
    /// Counts the versions applied to this source.
    pub generation: u64,
    pub loaded_at: Option<SystemTime>,
    pub last_error: Option<String>,
}

impl Source {
    fn new(r: &FileRef) -> Self {
        Self {
            path: r.path.clone(),
            kind: Kind::of(r.key),
            options: r.options,
            config_path: r.config_path.clone(),
            config_line: r.config_line,
            current: None,
            fingerprint: None,
            generation: 0,
            loaded_at: None,
            last_error: None,
        }
    }

    pub fn entries(&self) -> Option<usize> {
        self.current.as_ref().map(Compiled::len)
    }

    /// Reads the file and applies it if `decide` allows. Returns the verdict for logging.
    pub fn refresh(&mut self, force: bool) -> Verdict {
        let read = read_file(&self.path, self.kind);
        self.apply(read, force)
    }

    pub fn apply(&mut self, read: Read, force: bool) -> Verdict {
        let fingerprint = match &read {
            Read::Parsed { fingerprint, .. } => Some(*fingerprint),
            _ => None,
        };
        let verdict = decide(
            &self.path,
            self.kind,
            self.entries(),
            read,
            &self.options,
            force,
        );
        // What was seen is remembered either way, so an unchanged (even broken) version is
        // not re-read on every event; a missing file has no fingerprint.
        self.fingerprint = fingerprint;
        match &verdict {
            Verdict::Apply { compiled, .. } => {
                self.current = Some(compiled.clone());
                self.generation += 1;
                self.loaded_at = Some(SystemTime::now());
                self.last_error = None;
            }
            Verdict::Keep { reason, .. } => self.last_error = Some(reason.clone()),
        }
        verdict
    }

    /// The problem as a `check`-style diagnostic, naming the settings line.
    fn diagnostic(&self, message: &str) -> Diagnostic {
        Diagnostic::new(
            &self.config_path,
            self.config_line,
            format!("{}: {}: {message}", self.kind.key(), self.path.display()),
        )
    }
}

/// Every configured rule file, once each, in configuration order.
#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    pub sources: Vec<Source>,
}

impl SourceTable {
    pub fn get(&self, path: &Path) -> Option<&Source> {
        self.sources.iter().find(|s| s.path == path)
    }

    pub fn get_mut(&mut self, path: &Path) -> Option<&mut Source> {
        self.sources.iter_mut().find(|s| s.path == path)
    }

    /// Loads every file for a start (or a settings reload, carrying over `previous`
    /// sources so their guards apply). Fails on any required file that cannot be loaded;
    /// the problems name the file and line (parse errors) or the settings line.
    pub fn load(
        settings: &Settings,
        previous: Option<&SourceTable>,
        force: bool,
    ) -> Result<(Self, Vec<Verdict>), Diagnostics> {
        let mut table = Self::default();
        let mut errors = Vec::new();
        let mut verdicts = Vec::new();
        for r in settings.file_refs() {
            if table.get(&r.path).is_some() {
                continue;
            }
            let mut source = match previous
                .and_then(|p| p.get(&r.path))
                .filter(|s| s.kind == Kind::of(r.key))
            {
                Some(old) => Source {
                    options: r.options,
                    config_path: r.config_path.clone(),
                    config_line: r.config_line,
                    ..old.clone()
                },
                None => Source::new(r),
            };
            let read = read_file(&r.path, source.kind);
            // First load of a required file: every problem stops the start (or the reload).
            if source.current.is_none() && source.options.required {
                match &read {
                    Read::Missing => {
                        errors.push(source.diagnostic("cannot read: No such file or directory"))
                    }
                    Read::Unreadable(e) => {
                        errors.push(source.diagnostic(&format!("cannot read: {e}")))
                    }
                    Read::Parsed { problems, .. }
                        if source.options.on_bad_line == OnBadLine::Reject =>
                    {
                        errors.extend(problems.iter().cloned())
                    }
                    Read::Parsed { .. } => {}
                }
            }
            let v = source.apply(read, force);
            verdicts.push(v);
            table.sources.push(source);
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        Ok((table, verdicts))
    }

    /// The policies over the versions in force. A policy with a file that never loaded is
    /// marked unavailable: the milter then answers 451 in its scope instead of guessing.
    pub fn build_policies(&self, settings: &Settings) -> PolicySet {
        let mut policies = Vec::new();
        for spec in &settings.policies {
            let mut available = true;
            let mut sender_allowlist = Vec::new();
            let mut access_rules = Vec::new();
            for r in spec.sender_allowlist.iter().chain(spec.access_rules.iter()) {
                // A file that never loaded stands in as empty, so the policy keeps its shape
                // (what it checks), and `available` makes it answer tempfail, not decide.
                let compiled = self
                    .get(&r.path)
                    .and_then(|s| s.current.clone())
                    .unwrap_or_else(|| {
                        available = false;
                        Compiled::empty(Kind::of(r.key), &r.path)
                    });
                match compiled {
                    Compiled::Allow(f) => sender_allowlist.push(f),
                    Compiled::Access(f) => access_rules.push(f),
                }
            }
            policies.push(Policy {
                name: spec.name.as_str().into(),
                when: spec.when.clone(),
                sender_allowlist,
                access_rules,
                sender_directory: spec.sender_directory.clone(),
                access_directory: spec.access_directory.clone(),
                no_match: spec.no_match,
                sender_source: spec.sender_source,
                sender_reply: spec.sender_reply.clone(),
                recipient_reply: spec.recipient_reply.clone(),
                annotate: spec.annotate,
                smime_actions: spec.smime_actions,
                available,
                mode: spec.mode,
            });
        }
        PolicySet { policies }
    }

    /// Directories to watch: where each configured path lives.
    pub fn directories(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .sources
            .iter()
            .filter_map(|s| s.path.parent().map(Path::to_path_buf))
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }
}

/// One loaded file, for `check` and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSummary {
    pub path: PathBuf,
    pub kind: &'static str,
    pub entries: usize,
}

impl SourceTable {
    pub fn summaries(&self) -> Vec<SourceSummary> {
        self.sources
            .iter()
            .map(|s| SourceSummary {
                path: s.path.clone(),
                kind: s.kind.key(),
                entries: s.entries().unwrap_or(0),
            })
            .collect()
    }
}
