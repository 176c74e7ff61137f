//! The settings file (`mailwarden.toml`): reading, validating, and resolving the files it names.

pub mod directory;
pub mod model;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use model::{
    LogSection, OnBadLine, OnMissing, RawFileRef, RawPolicy, RawSettings, RawTrustRef,
    ReloadSection, TrustRole,
};
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, Origin, line_col};
use crate::listen::{ListenAddr, UnixSocketOptions};
use crate::policy::engine::{DEFAULT_RECIPIENT_REPLY, DEFAULT_SENDER_REPLY, HeaderCondition, When};
use crate::policy::ruleset::resolve_path;
use crate::policy::{NoMatch, SenderSource};

/// Used when `-c` is not given and this file exists.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/mailwarden/mailwarden.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// A rule file named in the settings, with the settings line that names it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub path: PathBuf,
    pub key: &'static str,
    pub config_path: PathBuf,
    pub config_line: usize,
    pub options: SourceOptions,
}

/// Per-file reload behaviour (defaults from `[reload]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceOptions {
    pub on_bad_line: OnBadLine,
    pub on_missing: OnMissing,
    pub min_keep_ratio: f64,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub struct PolicySpec {
    pub name: String,
    /// The settings line of its `name`, for diagnostics.
    pub line: usize,
    /// Whether `recipient_reply` was set (it is only used for access-rule refusals).
    pub recipient_reply_set: bool,
    pub when: When,
    pub sender_allowlist: Vec<FileRef>,
    pub access_rules: Vec<FileRef>,
    /// Directory lookups of the allowlist (each knows its place among the files).
    pub sender_directory: Vec<std::sync::Arc<crate::policy::DirectoryQuery>>,
    /// Directory lookups of the access rules (each knows its place among the files).
    pub access_directory: Vec<std::sync::Arc<crate::policy::DirectoryQuery>>,
    pub no_match: NoMatch,
    pub sender_source: SenderSource,
    pub sender_reply: String,
    pub recipient_reply: String,
    pub annotate: bool,
    pub smime_actions: Option<crate::policy::smime_action::ActionsOverride>,
    pub mode: crate::policy::Mode,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file they came from; `None` for built-in defaults.
    pub path: Option<PathBuf>,
    pub listen: ListenAddr,
    pub unix_socket: UnixSocketOptions,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    pub connection_timeout: Duration,
    pub log: LogSection,
    pub subaddress_delimiter: String,
    pub reload: ReloadSection,
    /// `[smime]`.
    pub smime: SmimeSettings,
    /// `[metrics] listen`: where to serve Prometheus metrics; `None` = off.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub policies: Vec<PolicySpec>,
    /// `[directory.NAME]`, in name order.
    pub directories: Vec<std::sync::Arc<crate::directory::DirectorySpec>>,
    /// `[[sync]]`, in order.
    pub syncs: Vec<crate::directory::SyncSpec>,
}

/// `[smime]` verification settings, validated.
#[derive(Debug, Clone)]
pub struct SmimeSettings {
    /// Verify messages in the milter (on when a trust store is configured, unless turned off).
    pub verify: bool,
    /// What the S/MIME engine loads and how it verifies: trust, CRLs, keys, limits.
    pub engine: crate::smime::Config,
    pub authserv_id: String,
    pub max_message_size: u64,
    pub actions: crate::policy::smime_action::SmimeActions,
    pub tag_prefix: String,
    pub require_signature: Vec<crate::policy::pattern::Pattern>,
    pub audit_file: Option<PathBuf>,
    pub deliver: crate::policy::smime_action::DeliverMode,
    pub decryption_failure: crate::policy::smime_action::SmimeAction,
}

impl SmimeSettings {
    /// The settings that decide what a verdict leads to.
    pub fn rules(&self) -> crate::policy::smime_action::Rules<'_> {
        crate::policy::smime_action::Rules {
            actions: &self.actions,
            decryption_failure: self.decryption_failure,
            tag_prefix: &self.tag_prefix,
            require_signature: &self.require_signature,
            max_message_size: self.max_message_size,
        }
    }
}

impl Settings {
    /// Settings that are valid but can never take effect, as `PATH:LINE: ...` lines for
    /// `mailwarden check` (the daemon runs with them; nothing is enforced by them).
    pub fn ineffective(&self) -> Vec<String> {
        let path = self.path.as_deref().map_or_else(
            || "built-in defaults".to_owned(),
            |p| p.display().to_string(),
        );
        let mut out = Vec::new();
        let verify = self.smime.verify;
        for p in &self.policies {
            let at = format!("{path}:{}: policy {:?}", p.line, p.name);
            if p.smime_actions.is_some() && !verify {
                out.push(format!("{at}: smime_actions never apply: S/MIME verification is off (set [smime] trust)"));
            }
            let no_access = p.access_rules.is_empty() && p.access_directory.is_empty();
            if no_access && p.no_match != NoMatch::Reject {
                out.push(format!(
                    "{at}: no_match applies to access_rules only, and this policy has none"
                ));
            }
            if no_access && p.recipient_reply_set {
                out.push(format!("{at}: recipient_reply is used for access-rule refusals only, and this policy has none"));
            }
        }
        if !self.smime.require_signature.is_empty() && !verify {
            out.push(format!(
                "{path}: smime.require_signature is never checked: S/MIME verification is off"
            ));
        }
        if self.smime.decryption_failure != crate::policy::smime_action::SmimeAction::Accept
            && self.smime.engine.keys.is_empty()
        {
            out.push(format!(
                "{path}: smime.decryption_failure never applies: no smime.keys to decrypt with"
            ));
        }
        out
    }
}

/// The host name, for the default authserv-id.
fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

impl Settings {
    pub fn defaults() -> Self {
        let raw = RawSettings::default();
        compile(&raw, Path::new("<defaults>"), "", Path::new("/"))
            .expect("built-in defaults are valid")
    }

    /// The settings file chosen when `-c` is absent: the system one if it exists.
    pub fn default_path() -> Option<PathBuf> {
        let p = PathBuf::from(DEFAULT_CONFIG_PATH);
        p.exists().then_some(p)
    }

    /// Reads `path`, or returns the built-in defaults for `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Self::defaults());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Relative rule paths are relative to the settings file, wherever we were started.
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut s = parse(&text, &abs, &dir).map_err(ConfigError::Invalid)?;
        s.path = Some(abs);
        Ok(s)
    }

    /// Every rule file named, in configuration order (duplicates kept).
    pub fn file_refs(&self) -> impl Iterator<Item = &FileRef> {
        self.policies
            .iter()
            .flat_map(|p| p.sender_allowlist.iter().chain(p.access_rules.iter()))
    }
}

/// Parses settings text. `path` is used in messages; `dir` resolves relative rule paths.
pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<Settings, Diagnostics> {
    let raw: RawSettings = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        let mut d = Diagnostic::new(path, line, e.message().trim().to_owned());
        if line > 0 {
            d = d.with_column(col);
        }
        Diagnostics(vec![d])
    })?;
    compile(&raw, path, text, dir)
}

/// Where each key of the plain sections is written, for the checks made after
/// deserializing (which sees only values): `[milter]`, `[rules]`, `[reload]`, `[smime]`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct KeySpans {
    milter: BTreeMap<String, Spanned<toml::Value>>,
    rules: BTreeMap<String, Spanned<toml::Value>>,
    reload: BTreeMap<String, Spanned<toml::Value>>,
    smime: BTreeMap<String, Spanned<toml::Value>>,
}

fn compile(
    raw: &RawSettings,
    path: &Path,
    text: &str,
    dir: &Path,
) -> Result<Settings, Diagnostics> {
    let mut c = Compiler {
        path,
        text,
        dir,
        // The text parsed once already, so this cannot fail; if it did, lines would be 0.
        key_spans: toml::from_str(text).unwrap_or_default(),
        errors: Vec::new(),
        directory_names: raw.directory.keys().cloned().collect(),
    };
    let m = &raw.milter;
    let (listen, metrics_listen, mode) = c.addresses(raw);
    c.check_limits(raw);
    let policies = c.policies(raw);
    c.check_file_meanings(&policies);
    let smime = c.smime(&raw.smime);
    let directories = c.directories(&raw.directory);
    let syncs = c.syncs(&raw.sync, &directories, raw.reload.min_keep_ratio);
    if !c.errors.is_empty() {
        return Err(Diagnostics(c.errors));
    }
    Ok(Settings {
        smime,
        metrics_listen,
        path: None,
        listen: listen.expect("checked above"),
        unix_socket: UnixSocketOptions {
            mode,
            group: m.socket_group.as_ref().map(|g| g.get_ref().clone()),
        },
        max_connections: m.max_connections,
        shutdown_timeout: Duration::from_secs(m.shutdown_timeout),
        connection_timeout: Duration::from_secs(m.connection_timeout.max(1)),
        log: raw.log.clone(),
        subaddress_delimiter: raw.rules.subaddress_delimiter.clone(),
        reload: raw.reload.clone(),
        policies,
        directories,
        syncs,
    })
}

/// Validates one settings file, collecting every problem with its line.
struct Compiler<'a> {
    path: &'a Path,
    text: &'a str,
    dir: &'a Path,
    key_spans: KeySpans,
    errors: Vec<Diagnostic>,
    /// The `[directory.NAME]` names, for policies that look up in one.
    directory_names: Vec<String>,
}

impl Compiler<'_> {
    /// The line a value is on (0 for built-in defaults, which have no text).
    fn at<T>(&self, span: &Spanned<T>) -> usize {
        if self.text.is_empty() {
            0
        } else {
            line_col(self.text, span.span().start).0
        }
    }

    /// The line `[section] key` is written on (0 when it is not written: a default).
    fn key_line(&self, section: &str, key: &str) -> usize {
        let spans = &self.key_spans;
        let table = match section {
            "milter" => &spans.milter,
            "rules" => &spans.rules,
            "reload" => &spans.reload,
            "smime" => &spans.smime,
            _ => return 0,
        };
        table.get(key).map_or(0, |v| self.at(v))
    }

    fn err(&mut self, line: usize, msg: String) {
        self.errors.push(Diagnostic::new(self.path, line, msg));
    }

    /// `milter.listen`, `metrics.listen` and `milter.socket_mode`.
    fn addresses(
        &mut self,
        raw: &RawSettings,
    ) -> (Option<ListenAddr>, Option<std::net::SocketAddr>, u32) {
        let m = &raw.milter;
        let listen = match m.listen.get_ref().parse::<ListenAddr>() {
            Ok(l) => Some(l),
            Err(e) => {
                self.err(self.at(&m.listen), format!("milter.listen: {e}"));
                None
            }
        };
        let metrics_listen = raw.metrics.listen.as_ref().and_then(|l| {
        match l.get_ref().parse::<std::net::SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    self.at(l),
                    format!(
                        "metrics.listen: {:?} is not HOST:PORT with a numeric address (e.g. \"127.0.0.1:9795\" or \"[::1]:9795\")",
                        l.get_ref()
                    ),
                );
                None
            }
        }
    });
        let mode = match u32::from_str_radix(m.socket_mode.get_ref().trim_start_matches("0o"), 8) {
            Ok(v) if v <= 0o777 => v,
            _ => {
                self.err(
                    self.at(&m.socket_mode),
                    format!(
                        "milter.socket_mode: {:?} is not an octal mode like \"0660\"",
                        m.socket_mode.get_ref()
                    ),
                );
                0o660
            }
        };
        (listen, metrics_listen, mode)
    }

    /// Numbers and names that must be in range.
    fn check_limits(&mut self, raw: &RawSettings) {
        let m = &raw.milter;
        if m.max_connections == 0 {
            self.err(
                self.key_line("milter", "max_connections"),
                "milter.max_connections must be at least 1".into(),
            );
        }
        if raw
            .rules
            .subaddress_delimiter
            .chars()
            .any(|c| c.is_whitespace() || c == '@')
        {
            self.err(
                self.key_line("rules", "subaddress_delimiter"),
                "rules.subaddress_delimiter must not contain white space or '@'".into(),
            );
        }

        let r = &raw.reload;
        if !(0.0..=1.0).contains(&r.min_keep_ratio) {
            self.err(
                self.key_line("reload", "min_keep_ratio"),
                "reload.min_keep_ratio must be between 0 and 1".into(),
            );
        }
        let bad_timing = [
            ("debounce_ms", r.debounce_ms > 60_000),
            ("poll_interval_ms", r.poll_interval_ms == 0),
            ("poll_stable_polls", r.poll_stable_polls == 0),
        ];
        if let Some((key, _)) = bad_timing.iter().find(|(_, bad)| *bad) {
            self.err(self.key_line("reload", key), "reload: debounce_ms must be at most 60000, poll_interval_ms and poll_stable_polls at least 1".into());
        }
        if !r.control_socket.is_empty() && !r.control_socket.starts_with('/') {
            self.err(
                self.key_line("reload", "control_socket"),
                "reload.control_socket must be an absolute path (or \"\" to disable)".into(),
            );
        }
    }

    fn policies(&mut self, raw: &RawSettings) -> Vec<PolicySpec> {
        let mut policies = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for p in &raw.policy {
            let line = self.at(&p.name);
            let name = p.name.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                self.err(
                    line,
                    format!("policy.name {name:?}: use letters, digits, '-', '_' or '.'"),
                );
            }
            if names.contains(&name.as_str()) {
                self.err(line, format!("policy.name {name:?} is used twice"));
            }
            names.push(name);
            if p.sender_allowlist.is_empty() && p.access_rules.is_empty() {
                self.err(
                line,
                format!(
                    "policy {name:?} has neither sender_allowlist nor access_rules: it would enforce nothing"
                ),
            );
            }
            if let Some(spec) = self.policy(p, &raw.reload) {
                policies.push(spec);
            }
        }

        policies
    }

    /// One file, one meaning: the same path may not be two kinds or carry two option sets.
    fn check_file_meanings(&mut self, policies: &[PolicySpec]) {
        let mut seen: Vec<&FileRef> = Vec::new();
        for f in policies
            .iter()
            .flat_map(|p: &PolicySpec| p.sender_allowlist.iter().chain(p.access_rules.iter()))
        {
            match seen.iter().find(|s| s.path == f.path) {
                Some(s) if s.key != f.key => self.err(
                    f.config_line,
                    format!(
                        "{} is used as both {} and {}",
                        f.path.display(),
                        s.key,
                        f.key
                    ),
                ),
                Some(s) if s.options != f.options => self.err(
                    f.config_line,
                    format!(
                        "{} is configured twice with different options",
                        f.path.display()
                    ),
                ),
                Some(_) => {}
                None => seen.push(f),
            }
        }
    }

    fn smime(&mut self, sm: &model::SmimeSection) -> SmimeSettings {
        let mut require_signature = Vec::new();
        for p in &sm.require_signature {
            match crate::policy::pattern::parse_pattern(p) {
                Ok(pat) => require_signature.push(pat),
                Err(e) => self.err(
                    self.key_line("smime", "require_signature"),
                    format!("smime.require_signature: {e}"),
                ),
            }
        }
        let authserv_id = sm.authserv_id.clone().unwrap_or_else(host_name);
        if authserv_id.is_empty()
            || !authserv_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            self.err(
            self.key_line("smime", "authserv_id"),
            format!(
                "smime.authserv_id {authserv_id:?}: use a host name (letters, digits, '-', '.', '_')"
            ),
        );
        }
        if sm.max_message_size == 0 {
            self.err(
                self.key_line("smime", "max_message_size"),
                "smime.max_message_size must be at least 1".into(),
            );
        }
        let mut keys = Vec::new();
        for k in &sm.keys {
            let line = line_col(self.text, k.span().start).0;
            match key_ref(k.get_ref(), self.dir, self.origin(k.span())) {
                Ok(r) => keys.push(r),
                Err(m) => self.err(line, format!("smime.keys: {m}")),
            }
        }
        if sm.deliver == crate::policy::smime_action::DeliverMode::Decrypted && sm.keys.is_empty() {
            self.err(
                self.key_line("smime", "deliver"),
                "smime.deliver = \"decrypted\" needs smime.keys".into(),
            );
        }
        if sm.verify == Some(true) && sm.trust.is_empty() {
            self.err(
                self.key_line("smime", "verify"),
                "smime.verify = true needs smime.trust".into(),
            );
        }
        let limits = crate::smime::limits::Limits::from_values(
            |setting| match sm.limits.get(setting.key) {
                None => setting.default,
                Some(v) => match usize::try_from(*v.get_ref()) {
                    Ok(n) if (1..=setting.ceiling).contains(&n) => n,
                    _ => {
                        self.err(
                            line_col(self.text, v.span().start).0,
                            format!(
                                "smime.limits.{} = {}: must be between 1 and {}",
                                setting.key,
                                v.get_ref(),
                                setting.ceiling
                            ),
                        );
                        setting.default
                    }
                },
            },
            usize::try_from(sm.max_message_size).unwrap_or(usize::MAX),
        );
        SmimeSettings {
            verify: sm
                .verify
                .unwrap_or(!sm.trust.is_empty() || !sm.keys.is_empty()),
            engine: crate::smime::Config {
                trust: self.trust_sources(&sm.trust),
                crls: sm
                    .crls
                    .iter()
                    .map(|c| crate::smime::pki::crl::CrlSource {
                        path: resolve_path(self.dir, c.get_ref()),
                        named_at: self.origin(c.span()),
                    })
                    .collect(),
                keys,
                verify_time: sm.verify_time,
                revocation: sm.revocation,
                allow_sha1: sm.allow_sha1,
                allow_3des: sm.allow_3des,
                limits,
            },
            authserv_id,
            max_message_size: sm.max_message_size,
            actions: sm.actions,
            tag_prefix: sm.tag_prefix.clone(),
            require_signature,
            audit_file: sm
                .audit_file
                .as_ref()
                .map(|f| resolve_path(self.dir, f.get_ref())),
            deliver: sm.deliver,
            decryption_failure: sm.decryption_failure,
        }
    }
}

impl Compiler<'_> {
    /// The line at the start of `span`.
    fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    /// The settings file and line at the start of `span` (line 0 for built-in defaults).
    fn origin(&self, span: std::ops::Range<usize>) -> Origin {
        Origin {
            path: self.path.to_path_buf(),
            line: if self.text.is_empty() {
                0
            } else {
                self.line(span)
            },
        }
    }

    /// `[smime] trust`: each file or directory with its role and the settings line naming it.
    fn trust_sources(
        &self,
        raw: &[Spanned<RawTrustRef>],
    ) -> Vec<crate::smime::pki::trust::TrustSource> {
        use crate::smime::pki::trust::{Role, TrustSource};
        raw.iter()
            .map(|t| {
                let (p, role) = match t.get_ref() {
                    RawTrustRef::Path(p) => (p, Role::Auto),
                    RawTrustRef::Table(tt) => (
                        &tt.path,
                        match tt.role {
                            TrustRole::Auto => Role::Auto,
                            TrustRole::Anchors => Role::AnchorsOnly,
                            TrustRole::Intermediates => Role::IntermediatesOnly,
                        },
                    ),
                };
                TrustSource {
                    path: resolve_path(self.dir, p),
                    role,
                    named_at: self.origin(t.span()),
                }
            })
            .collect()
    }

    /// One `[[policy]]`; `None` when it has errors (they are recorded).
    fn policy(&mut self, p: &RawPolicy, reload: &ReloadSection) -> Option<PolicySpec> {
        let before = self.errors.len();
        let sender_allowlist = self.file_refs("sender_allowlist", &p.sender_allowlist, reload);
        let access_rules = self.file_refs("access_rules", &p.access_rules, reload);
        let sender_directory = self.directory_refs("sender_allowlist", &p.sender_allowlist);
        let access_directory = self.directory_refs("access_rules", &p.access_rules);
        let when = self.when(p);
        let sender_reply = self.reply(&p.sender_reply, DEFAULT_SENDER_REPLY);
        let recipient_reply = self.reply(&p.recipient_reply, DEFAULT_RECIPIENT_REPLY);
        if when.subject_tag.as_deref() == Some("") {
            let line = self.line(p.name.span());
            self.err(line, "when.subject_tag must not be empty".into());
        }
        if self.errors.len() > before {
            return None;
        }
        Some(PolicySpec {
            name: p.name.get_ref().clone(),
            line: self.line(p.name.span()),
            recipient_reply_set: p.recipient_reply.is_some(),
            when,
            sender_allowlist,
            access_rules,
            sender_directory,
            access_directory,
            no_match: p.no_match,
            sender_source: p.sender_source,
            sender_reply,
            recipient_reply,
            annotate: p.annotate,
            smime_actions: p.smime_actions,
            mode: p.mode,
        })
    }

    /// A policy's rule files, each with its reload options (defaults from `[reload]`).
    fn file_refs(
        &mut self,
        key: &'static str,
        list: &[Spanned<RawFileRef>],
        reload: &ReloadSection,
    ) -> Vec<FileRef> {
        let mut out = Vec::with_capacity(list.len());
        for s in list {
            let line = self.line(s.span());
            let mut options = SourceOptions {
                on_bad_line: reload.on_bad_line,
                on_missing: reload.on_missing,
                min_keep_ratio: reload.min_keep_ratio,
                required: true,
            };
            let file = match s.get_ref() {
                RawFileRef::Directory(_) => continue,
                RawFileRef::Path(p) => p,
                RawFileRef::Table(t) => {
                    options.on_bad_line = t.on_bad_line.unwrap_or(options.on_bad_line);
                    options.on_missing = t.on_missing.unwrap_or(options.on_missing);
                    options.min_keep_ratio = t.min_keep_ratio.unwrap_or(options.min_keep_ratio);
                    options.required = t.required.unwrap_or(true);
                    &t.path
                }
            };
            if !(0.0..=1.0).contains(&options.min_keep_ratio) {
                self.err(line, "min_keep_ratio must be between 0 and 1".into());
            }
            if file.is_empty() {
                self.err(line, format!("{key}: empty path"));
            }
            out.push(FileRef {
                path: resolve_path(self.dir, file),
                key,
                config_path: self.path.to_path_buf(),
                config_line: line,
                options,
            });
        }
        out
    }

    fn when(&mut self, p: &RawPolicy) -> When {
        let header = match &p.when.header {
            None => None,
            Some(h) => match parse_header_condition(h.get_ref()) {
                Ok(c) => Some(c),
                Err(e) => {
                    let line = self.line(h.span());
                    self.err(line, format!("when.header: {e}"));
                    None
                }
            },
        };
        let lower = |v: &Option<model::OneOrMany>| -> Vec<String> {
            v.clone()
                .map(|v| {
                    v.into_vec()
                        .into_iter()
                        .map(|s| {
                            // As addresses are judged: no `@`, no root dot, lower-case.
                            s.trim()
                                .trim_start_matches('@')
                                .trim_end_matches('.')
                                .to_lowercase()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        When {
            daemon_name: p
                .when
                .daemon_name
                .clone()
                .map(|v| v.into_vec())
                .unwrap_or_default(),
            recipient_domain: lower(&p.when.recipient_domain),
            subject_tag: p.when.subject_tag.as_ref().map(|t| t.to_lowercase()),
            header,
            authenticated: p.when.authenticated,
        }
    }

    /// A reply text, or `default` when unset.
    fn reply(&mut self, r: &Option<Spanned<String>>, default: &str) -> String {
        let Some(s) = r else {
            return default.to_owned();
        };
        let v = s.get_ref();
        if v.is_empty() || v.len() > 400 || v.chars().any(|c| c.is_control()) {
            let line = self.line(s.span());
            self.err(
                line,
                "reply text must be 1 to 400 characters without control characters".into(),
            );
        }
        v.clone()
    }
}

/// `"Name"` (present) or `"Name: regex"` (a header of that name whose value matches).
/// Why a `when.header` condition cannot be used.
#[derive(Debug, thiserror::Error)]
enum HeaderConditionError {
    #[error("{0:?}: expected \"Name\" or \"Name: regex\"")]
    Shape(String),
    #[error("invalid regular expression: {0}")]
    Regex(String),
}

fn parse_header_condition(s: &str) -> Result<HeaderCondition, HeaderConditionError> {
    let (name, value) = match s.split_once(':') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (s.trim(), None),
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(HeaderConditionError::Shape(s.to_owned()));
    }
    let value = match value.filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            regex::RegexBuilder::new(v)
                .case_insensitive(true)
                .size_limit(256 * 1024)
                .build()
                .map_err(|e| {
                    HeaderConditionError::Regex(
                        e.to_string()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                })?,
        ),
    };
    Ok(HeaderCondition {
        name: name.to_lowercase(),
        value,
    })
}

/// One `[smime] keys` entry: PEM pair or PKCS#12, and where its password comes from.
/// Why a `[smime] keys` entry cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum KeyRefError {
    #[error("give password_file or password_env, not both")]
    TwoPasswords,
    #[error("password_env {0:?} is not an environment variable name")]
    BadEnvName(String),
    #[error("a pkcs12 file needs password_file or password_env (an empty file for no password)")]
    Pkcs12WithoutPassword,
    #[error("give pkcs12 alone, or cert and key, not both")]
    Pkcs12AndPem,
    #[error("each entry needs cert and key, or pkcs12")]
    NoFiles,
}

fn key_ref(
    k: &model::RawKeyRef,
    dir: &Path,
    named_at: Origin,
) -> Result<crate::smime::keys::KeyRef, KeyRefError> {
    use crate::smime::keys::{KeyFiles, KeyRef, PasswordRef};
    let password = match (&k.password_file, &k.password_env) {
        (Some(_), Some(_)) => return Err(KeyRefError::TwoPasswords),
        (Some(f), None) => Some(PasswordRef::File(resolve_path(dir, f))),
        (None, Some(v)) if v.is_empty() || v.contains('=') || v.contains('\0') => {
            return Err(KeyRefError::BadEnvName(v.clone()));
        }
        (None, Some(v)) => Some(PasswordRef::Env(v.clone())),
        (None, None) => None,
    };
    let files = match (&k.cert, &k.key, &k.pkcs12) {
        (Some(c), Some(key), None) => KeyFiles::Pem {
            cert: resolve_path(dir, c),
            key: resolve_path(dir, key),
        },
        (None, None, Some(p)) => {
            if password.is_none() {
                return Err(KeyRefError::Pkcs12WithoutPassword);
            }
            KeyFiles::Pkcs12(resolve_path(dir, p))
        }
        (_, _, Some(_)) => return Err(KeyRefError::Pkcs12AndPem),
        _ => return Err(KeyRefError::NoFiles),
    };
    Ok(KeyRef {
        files,
        password,
        named_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> Vec<String> {
        parse(text, Path::new("/etc/mw.toml"), Path::new("/etc"))
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn defaults_listen_on_loopback_8895() {
        let s = Settings::defaults();
        assert_eq!(s.listen.to_string(), "inet:127.0.0.1:8895");
        assert!(s.policies.is_empty());
    }

    #[test]
    fn unknown_key_is_an_error_with_line_and_column() {
        let e = parse_err("[milter]\nlisten = \"inet:127.0.0.1:1\"\nlisten_adress = \"x\"\n");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("/etc/mw.toml:3:1: unknown field `listen_adress`"),
            "{e:?}"
        );
        let e = parse_err("[[policy]]\nname = \"p\"\nsender_alowlist = [\"a\"]\n");
        assert!(
            e[0].starts_with("/etc/mw.toml:3:1: unknown field `sender_alowlist`"),
            "{e:?}"
        );
    }

    #[test]
    fn range_and_combination_checks_name_the_line_of_their_key() {
        for (text, want) in [
            (
                "[milter]\n\nmax_connections = 0\n",
                "/etc/mw.toml:3: milter.max_connections",
            ),
            (
                "[rules]\n\nsubaddress_delimiter = \"@\"\n",
                "/etc/mw.toml:3: rules.subaddress_delimiter",
            ),
            (
                "[reload]\n\nmin_keep_ratio = 1.5\n",
                "/etc/mw.toml:3: reload.min_keep_ratio",
            ),
            (
                "[reload]\ndebounce_ms = 10\npoll_interval_ms = 0\n",
                "/etc/mw.toml:3: reload: debounce_ms",
            ),
            (
                "[reload]\n\ncontrol_socket = \"run/x\"\n",
                "/etc/mw.toml:3: reload.control_socket",
            ),
            (
                "[smime]\n\nrequire_signature = [\"/(/\"]\n",
                "/etc/mw.toml:3: smime.require_signature",
            ),
            (
                "[smime]\n\nauthserv_id = \"a b\"\n",
                "/etc/mw.toml:3: smime.authserv_id",
            ),
            (
                "[smime]\n\nmax_message_size = 0\n",
                "/etc/mw.toml:3: smime.max_message_size",
            ),
            (
                "[smime]\n\ndeliver = \"decrypted\"\n",
                "/etc/mw.toml:3: smime.deliver",
            ),
            ("[smime]\n\nverify = true\n", "/etc/mw.toml:3: smime.verify"),
        ] {
            let e = parse_err(text);
            assert!(e.iter().any(|l| l.starts_with(want)), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn bad_values_name_their_line() {
        let e = parse_err("[milter]\n\nlisten = \"tcp:1\"\nsocket_mode = \"rw\"\n");
        assert!(
            e[0].starts_with("/etc/mw.toml:3: milter.listen: bad listen address"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("/etc/mw.toml:4: milter.socket_mode"),
            "{e:?}"
        );
        let e = parse_err(
            "[[policy]]\nname = \"p\"\n[[policy]]\nname = \"p\"\nwhen = { header = \"X: (\" }\naccess_rules = [\"r\"]\n",
        );
        assert!(
            e.iter()
                .any(|l| l.starts_with("/etc/mw.toml:2: policy \"p\" has neither")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|l| l.starts_with("/etc/mw.toml:4: policy.name \"p\" is used twice")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|l| l.starts_with("/etc/mw.toml:5: when.header")),
            "{e:?}"
        );
        let e = parse_err("[log]\nlevel = \"loud\"\n");
        assert!(
            e[0].starts_with("/etc/mw.toml:2:9: unknown variant `loud`"),
            "{e:?}"
        );
    }

    #[test]
    fn policy_files_resolve_relative_to_config_dir_with_their_line() {
        let s = parse(
            "[[policy]]\nname = \"p\"\nsender_allowlist = [\n  \"a.txt\",\n  \"/abs/b.txt\",\n]\nwhen = { recipient_domain = \"@Customer.FI\", daemon_name = \"secure\" }\n",
            Path::new("/etc/mw/x.toml"),
            Path::new("/etc/mw"),
        )
        .unwrap();
        let p = &s.policies[0];
        assert_eq!(p.sender_allowlist[0].path, PathBuf::from("/etc/mw/a.txt"));
        assert_eq!(p.sender_allowlist[0].config_line, 4);
        assert_eq!(p.sender_allowlist[1].path, PathBuf::from("/abs/b.txt"));
        assert_eq!(p.sender_allowlist[1].config_line, 5);
        assert_eq!(p.when.recipient_domain, vec!["customer.fi".to_owned()]);
        assert_eq!(p.when.daemon_name, vec!["secure".to_owned()]);
    }

    #[test]
    fn a_directory_lookup_keeps_its_place_among_the_files() {
        let s = parse(
            "[directory.corp]\nurls = [\"ldap://127.0.0.1:1\"]\ntls = \"none\"\nbase = \"dc=x\"\n\n\
             [[policy]]\nname = \"p\"\nsender_allowlist = [\"manual.txt\", \
             { directory = \"corp\", filter = \"(mail={address})\" }, \"synced.txt\", \
             { directory = \"corp\", filter = \"(uid={address})\" }]\n",
            Path::new("/etc/mw/x.toml"),
            Path::new("/etc/mw"),
        )
        .unwrap();
        let p = &s.policies[0];
        assert_eq!(p.sender_allowlist.len(), 2);
        let places: Vec<usize> = p.sender_directory.iter().map(|q| q.files_before).collect();
        assert_eq!(places, [1, 2]);
    }
}
