//! `[directory.NAME]` and `[[sync]]`: their raw shape and their checks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;

use super::Compiler;
use super::model::{RawDirectory, RawSync};
use crate::directory::spec::{DirectorySpec, SyncSpec, Tls};
use crate::directory::template::{Template, filter_is_well_formed, filter_parses};
use crate::policy::DirectoryQuery;
use crate::policy::lookup::probe_filter;
use crate::policy::ruleset::resolve_path;

/// Default `timeout_ms`: per connection attempt and per operation.
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;
/// Default `cache_ttl`, `negative_ttl`, `max_stale` (seconds) and `max_entries`.
pub const DEFAULT_CACHE_TTL: u64 = 60;
pub const DEFAULT_NEGATIVE_TTL: u64 = 30;
pub const DEFAULT_MAX_STALE: u64 = 900;
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;
/// Default `page_size`: below Active Directory's MaxPageSize of 1,000.
pub const DEFAULT_PAGE_SIZE: i32 = 500;

/// The error for a filter of the right shape that cannot be encoded (a bad escape).
fn not_a_filter(what: &str, filter: &str) -> String {
    format!(
        "{what}: filter {filter:?} is not a valid LDAP filter (RFC 4515: write a literal \\ * ( ) as \\5c \\2a \\28 \\29)"
    )
}

impl Compiler<'_> {
    /// The directory lookups of a policy list (`sender_allowlist` or `access_rules`).
    pub(super) fn directory_refs(
        &mut self,
        key: &'static str,
        list: &[Spanned<super::model::RawFileRef>],
    ) -> Vec<Arc<DirectoryQuery>> {
        let mut out = Vec::new();
        let mut files_before = 0;
        for s in list {
            let super::model::RawFileRef::Directory(d) = s.get_ref() else {
                files_before += 1;
                continue;
            };
            let line = self.at(s);
            let before = self.errors.len();
            let allowed: &[&str] = if key == "sender_allowlist" {
                &["address"]
            } else {
                &["recipient", "sender"]
            };
            if !self.directory_names.contains(&d.directory) {
                self.err(line, format!("{key}: no [directory.{}]", d.directory));
            }
            let filter = match Template::parse(&d.filter) {
                Ok(t) if !filter_is_well_formed(&d.filter) => {
                    self.err(
                        line,
                        format!(
                            "{key}: filter {:?} is not one parenthesised LDAP filter (RFC 4515)",
                            d.filter
                        ),
                    );
                    Some(t)
                }
                Ok(t) => {
                    if let Some(bad) = t.names().into_iter().find(|n| !allowed.contains(n)) {
                        self.err(
                            line,
                            format!(
                                "{key}: filter placeholder {{{bad}}}: use {}",
                                allowed
                                    .iter()
                                    .map(|a| format!("{{{a}}}"))
                                    .collect::<Vec<_>>()
                                    .join(" or ")
                            ),
                        );
                    } else if t.names().is_empty() {
                        self.err(line, format!("{key}: filter {:?} has no {{{}}}: every address would get the same answer", d.filter, allowed[0]));
                    } else if !filter_parses(&probe_filter(&t)) {
                        self.err(line, not_a_filter(key, &d.filter));
                    }
                    Some(t)
                }
                Err(e) => {
                    self.err(line, format!("{key}: filter {:?}: {e}", d.filter));
                    None
                }
            };
            let rule = match (&d.rule, key) {
                (Some(_), "sender_allowlist") => {
                    self.err(line, "sender_allowlist: rule is for access_rules only (an entry found allows the sender)".into());
                    None
                }
                (None, "access_rules") => {
                    self.err(line, "access_rules: a directory lookup needs rule = \"* {recipient} <METHOD> PARAM FLAGS\"".into());
                    None
                }
                (Some(r), _) => {
                    match Template::parse(r) {
                        Ok(t) => {
                            // Rendered with sample values, it must be one valid rule line.
                            let sample = t
                                .render(
                                    |n| {
                                        Some(if n == "recipient" || n == "sender" {
                                            "a@b.example"
                                        } else {
                                            "x"
                                        })
                                    },
                                    str::to_owned,
                                )
                                .unwrap_or_default();
                            let (_, problems) = crate::policy::ruleset::parse_access_rules(
                                std::path::Path::new("rule"),
                                format!("{sample}\n").as_bytes(),
                            );
                            if let Some(p) = problems.first() {
                                self.err(line, format!("access_rules: rule {r:?} does not make a valid rule line: {}", p.message));
                            }
                            Some(t)
                        }
                        Err(e) => {
                            self.err(line, format!("access_rules: rule {r:?}: {e}"));
                            None
                        }
                    }
                }
                (None, _) => None,
            };
            if self.errors.len() > before {
                continue;
            }
            if let Some(filter) = filter {
                out.push(Arc::new(
                    DirectoryQuery::new(&d.directory, filter, rule)
                        .after_files(files_before)
                        .at_line(line),
                ));
            }
        }
        out
    }

    /// Every `[directory.NAME]`, in name order.
    pub(super) fn directories(
        &mut self,
        raw: &BTreeMap<String, Spanned<RawDirectory>>,
    ) -> Vec<Arc<DirectorySpec>> {
        let mut out = Vec::new();
        for (name, d) in raw {
            let line = self.at(d);
            let before = self.errors.len();
            let d = d.get_ref();
            let at = |key: &str| format!("directory.{name}.{key}");
            if d.urls.is_empty() {
                self.err(
                    line,
                    format!("{}: give at least one ldap:// or ldaps:// URL", at("urls")),
                );
            }
            let all_ldaps = !d.urls.is_empty() && d.urls.iter().all(|u| u.starts_with("ldaps://"));
            let tls = d
                .tls
                .unwrap_or(if all_ldaps { Tls::Ldaps } else { Tls::Starttls });
            for u in &d.urls {
                let want = if tls == Tls::Ldaps {
                    "ldaps://"
                } else {
                    "ldap://"
                };
                if !u.starts_with(want) {
                    self.err(
                        line,
                        format!(
                            "{}: {u:?} must start with {want} when tls = {tls:?}",
                            at("urls")
                        )
                        .replace("Starttls", "\"starttls\"")
                        .replace("Ldaps", "\"ldaps\"")
                        .replace("None", "\"none\""),
                    );
                }
            }
            if d.password_file.is_some() && d.bind_dn.is_none() {
                self.err(line, format!("{}: set bind_dn too", at("password_file")));
            }
            if d.base.is_empty() {
                self.err(line, format!("{}: must not be empty", at("base")));
            }
            let timeout_ms = d.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
            if !(1..=600_000).contains(&timeout_ms) {
                self.err(line, format!("{}: between 1 and 600000", at("timeout_ms")));
            }
            if self.errors.len() > before {
                continue;
            }
            out.push(Arc::new(DirectorySpec {
                name: name.clone(),
                urls: d.urls.clone(),
                tls,
                ca_file: d.ca_file.as_deref().map(|p| resolve_path(self.dir, p)),
                bind_dn: d.bind_dn.clone(),
                password_file: d
                    .password_file
                    .as_deref()
                    .map(|p| resolve_path(self.dir, p)),
                base: d.base.clone(),
                timeout: Duration::from_millis(timeout_ms),
                cache_ttl: Duration::from_secs(d.cache_ttl.unwrap_or(DEFAULT_CACHE_TTL)),
                negative_ttl: Duration::from_secs(d.negative_ttl.unwrap_or(DEFAULT_NEGATIVE_TTL)),
                max_stale: Duration::from_secs(d.max_stale.unwrap_or(DEFAULT_MAX_STALE)),
                max_entries: d.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES),
                line,
            }));
        }
        out
    }

    /// Every `[[sync]]`, in order; names unique, directories defined.
    pub(super) fn syncs(
        &mut self,
        raw: &[RawSync],
        directories: &[Arc<DirectorySpec>],
        default_ratio: f64,
    ) -> Vec<SyncSpec> {
        let mut out: Vec<SyncSpec> = Vec::new();
        for s in raw {
            let line = self.at(&s.name);
            let name = s.name.get_ref();
            let before = self.errors.len();
            if out.iter().any(|o| &o.name == name) {
                self.err(line, format!("sync {name:?} is defined twice"));
            }
            if !directories.iter().any(|d| d.name == s.directory) {
                self.err(
                    line,
                    format!("sync {name:?}: no [directory.{}]", s.directory),
                );
            }
            if !filter_is_well_formed(&s.filter) {
                self.err(line, format!("sync {name:?}: filter {:?} is not one parenthesised LDAP filter (RFC 4515)", s.filter));
            } else if s.filter.contains('{') {
                self.err(line, format!("sync {name:?}: filter has a placeholder, but a sync has no value to put there"));
            } else if !filter_parses(&s.filter) {
                self.err(line, not_a_filter(&format!("sync {name:?}"), &s.filter));
            }
            let template = match Template::parse(&s.line) {
                Ok(t) if t.names().is_empty() => {
                    self.err(
                        line,
                        format!(
                            "sync {name:?}: line {:?} names no attribute (say \"{{mail}}\")",
                            s.line
                        ),
                    );
                    None
                }
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(line, format!("sync {name:?}: line {:?}: {e}", s.line));
                    None
                }
            };
            let ratio = s.min_keep_ratio.unwrap_or(default_ratio);
            if !(0.0..=1.0).contains(&ratio) {
                self.err(
                    line,
                    format!("sync {name:?}: min_keep_ratio must be between 0 and 1"),
                );
            }
            let page_size = s.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
            if !(1..=100_000).contains(&page_size) {
                self.err(
                    line,
                    format!("sync {name:?}: page_size between 1 and 100000"),
                );
            }
            if s.output.is_empty() {
                self.err(line, format!("sync {name:?}: output must not be empty"));
            }
            let Some(line_template) = template else {
                continue;
            };
            if self.errors.len() > before {
                continue;
            }
            out.push(SyncSpec {
                name: name.clone(),
                directory: s.directory.clone(),
                base: s.base.clone(),
                filter: s.filter.clone(),
                output: resolve_path(self.dir, &s.output),
                line_template,
                min_keep_ratio: ratio,
                page_size,
                line,
            });
        }
        out
    }
}
