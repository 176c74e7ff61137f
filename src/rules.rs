//! Reads the rule files the settings name and compiles the policy set.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{FileRef, Settings};
use crate::diag::{Diagnostic, Diagnostics};
use crate::policy::ruleset::{parse_access_rules, parse_allowlist};
use crate::policy::{AccessRuleFile, AllowlistFile, Policy, PolicySet};

/// Largest rule file read; a synced file beyond this is almost surely broken.
pub const MAX_RULE_FILE_BYTES: u64 = 1 << 30;

/// One loaded file, for `check` and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSummary {
    pub path: PathBuf,
    pub kind: &'static str,
    pub entries: usize,
}

#[derive(Default)]
struct Loaded {
    allow: HashMap<PathBuf, Arc<AllowlistFile>>,
    access: HashMap<PathBuf, Arc<AccessRuleFile>>,
    summaries: Vec<SourceSummary>,
    errors: Vec<Diagnostic>,
}

impl Loaded {
    fn read(&mut self, r: &FileRef) -> Option<Vec<u8>> {
        let result = std::fs::metadata(&r.path).and_then(|m| {
            if !m.is_file() {
                Err(std::io::Error::other("not a regular file"))
            } else if m.len() > MAX_RULE_FILE_BYTES {
                Err(std::io::Error::other(format!(
                    "larger than {MAX_RULE_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read(&r.path)
            }
        });
        match result {
            Ok(b) => Some(b),
            Err(e) => {
                self.errors.push(Diagnostic::new(
                    &r.config_path,
                    r.config_line,
                    format!("{}: cannot read {}: {e}", r.key, r.path.display()),
                ));
                None
            }
        }
    }

    fn allowlist(&mut self, r: &FileRef) -> Option<Arc<AllowlistFile>> {
        if let Some(f) = self.allow.get(&r.path) {
            return Some(f.clone());
        }
        let bytes = self.read(r)?;
        let (file, mut errs) = parse_allowlist(&r.path, &bytes);
        self.finish(r, "sender_allowlist", file.len(), &mut errs)?;
        let file = Arc::new(file);
        self.allow.insert(r.path.clone(), file.clone());
        Some(file)
    }

    fn access(&mut self, r: &FileRef) -> Option<Arc<AccessRuleFile>> {
        if let Some(f) = self.access.get(&r.path) {
            return Some(f.clone());
        }
        let bytes = self.read(r)?;
        let (file, mut errs) = parse_access_rules(&r.path, &bytes);
        self.finish(r, "access_rules", file.len(), &mut errs)?;
        let file = Arc::new(file);
        self.access.insert(r.path.clone(), file.clone());
        Some(file)
    }

    /// One bad line rejects the whole file: enforcing part of a list is never safe.
    fn finish(
        &mut self,
        r: &FileRef,
        kind: &'static str,
        entries: usize,
        errs: &mut Vec<Diagnostic>,
    ) -> Option<()> {
        if !errs.is_empty() {
            self.errors.append(errs);
            return None;
        }
        self.summaries.push(SourceSummary {
            path: r.path.clone(),
            kind,
            entries,
        });
        Some(())
    }
}

/// Loads every rule file and builds the policies. On any problem, returns all of them.
pub fn load_policies(settings: &Settings) -> Result<(PolicySet, Vec<SourceSummary>), Diagnostics> {
    let mut loaded = Loaded::default();
    let mut policies = Vec::new();
    for spec in &settings.policies {
        let sender_allowlist: Vec<_> = spec
            .sender_allowlist
            .iter()
            .filter_map(|r| loaded.allowlist(r))
            .collect();
        let access_rules: Vec<_> = spec
            .access_rules
            .iter()
            .filter_map(|r| loaded.access(r))
            .collect();
        policies.push(Policy {
            name: spec.name.as_str().into(),
            when: spec.when.clone(),
            sender_allowlist,
            access_rules,
            no_match: spec.no_match,
            sender_source: spec.sender_source,
            sender_reply: spec.sender_reply.clone(),
            recipient_reply: spec.recipient_reply.clone(),
            annotate: spec.annotate,
        });
    }
    if !loaded.errors.is_empty() {
        return Err(Diagnostics(loaded.errors));
    }
    Ok((PolicySet { policies }, loaded.summaries))
}
