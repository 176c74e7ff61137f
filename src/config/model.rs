//! The settings file as typed values. Every struct rejects unknown keys:
//! a misspelt key must never silently switch a policy off.

use serde::Deserialize;

use crate::policy::smime_action::{DeliverMode, SmimeAction, SmimeActions};
use crate::policy::{NoMatch, SenderSource};
use crate::smime::VerifyTimeSetting;
use toml::Spanned;

/// Default listen address, in Postfix's milter syntax.
pub const DEFAULT_LISTEN: &str = "inet:127.0.0.1:8895";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    #[serde(default)]
    pub milter: MilterSection,
    #[serde(default)]
    pub log: LogSection,
    #[serde(default)]
    pub rules: RulesSection,
    #[serde(default)]
    pub reload: ReloadSection,
    #[serde(default)]
    pub smime: SmimeSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub policy: Vec<RawPolicy>,
    /// `[directory.NAME]`: LDAP directories, by name.
    #[serde(default)]
    pub directory: std::collections::BTreeMap<String, Spanned<RawDirectory>>,
    /// `[[sync]]`: rule files `mailwarden sync` writes from a directory.
    #[serde(default)]
    pub sync: Vec<RawSync>,
}

/// `[metrics]`: the Prometheus endpoint, off unless `listen` is given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// `HOST:PORT` for the HTTP endpoint serving `/metrics`.
    pub listen: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MilterSection {
    /// `inet:HOST:PORT`, `inet6:[ADDR]:PORT` or `unix:/path`.
    pub listen: Spanned<String>,
    /// Octal permission bits of a unix socket, as a string ("0660").
    pub socket_mode: Spanned<String>,
    /// Group that owns a unix socket (Postfix's smtpd must be able to connect).
    pub socket_group: Option<Spanned<String>>,
    pub max_connections: usize,
    /// Seconds to wait for in-flight messages on SIGTERM/SIGINT.
    pub shutdown_timeout: u64,
    /// Seconds of silence from the MTA before a milter connection is closed.
    pub connection_timeout: u64,
}

impl Default for MilterSection {
    fn default() -> Self {
        Self {
            listen: Spanned::new(0..0, DEFAULT_LISTEN.to_owned()),
            socket_mode: Spanned::new(0..0, "0660".to_owned()),
            socket_group: None,
            max_connections: 256,
            shutdown_timeout: 30,
            connection_timeout: 300,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    pub level: LogLevel,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesSection {
    /// Characters that start a subaddress extension (`user+tag@domain`); "" disables.
    pub subaddress_delimiter: String,
}

impl Default for RulesSection {
    fn default() -> Self {
        Self {
            subaddress_delimiter: "+".to_owned(),
        }
    }
}

/// A string or a list of strings (`recipient_domain = "a.fi"` or `["a.fi", "b.fi"]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    pub daemon_name: Option<OneOrMany>,
    pub recipient_domain: Option<OneOrMany>,
    pub subject_tag: Option<String>,
    pub header: Option<Spanned<String>>,
    pub authenticated: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub name: Spanned<String>,
    #[serde(default)]
    pub when: RawWhen,
    #[serde(default)]
    pub sender_allowlist: Vec<Spanned<RawFileRef>>,
    #[serde(default)]
    pub access_rules: Vec<Spanned<RawFileRef>>,
    #[serde(default)]
    pub no_match: NoMatch,
    #[serde(default)]
    pub sender_source: SenderSource,
    /// Reply text for a refused sender; `{address}` and `{policy}` are substituted.
    pub sender_reply: Option<Spanned<String>>,
    /// Reply text for a refused recipient; `{address}`, `{sender}` and `{policy}` are substituted.
    pub recipient_reply: Option<Spanned<String>>,
    /// Add an `X-Mailwarden-Policy` header to accepted mail.
    #[serde(default)]
    pub annotate: bool,
    /// S/MIME actions for mail in this policy's scope (overrides `[smime] actions`).
    #[serde(default)]
    pub smime_actions: Option<crate::policy::smime_action::ActionsOverride>,
    /// `report`: decide, but only log and count refusals (`would refuse`).
    #[serde(default)]
    pub mode: crate::policy::Mode,
}

/// How rule files are watched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// inotify: close-after-write and rename-into-place events.
    #[default]
    Inotify,
    /// Periodic stat, for filesystems without inotify (NFS); a weaker guarantee.
    Poll,
    /// Only SIGHUP and `mailwarden reload`.
    Off,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    /// Keep enforcing the last good version.
    #[default]
    Keep,
    /// Treat a deleted file as empty (subject to the shrink guard).
    Empty,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBadLine {
    /// One bad line rejects the whole new version (the previous one stays).
    #[default]
    Reject,
    /// Bad lines are logged and left out; the rest is applied.
    Skip,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadSection {
    pub watch: WatchMode,
    pub debounce_ms: u64,
    pub poll_interval_ms: u64,
    /// Polls a changed file must stay unchanged before it is read (poll mode).
    pub poll_stable_polls: u32,
    /// A new version with fewer than this share of the previous entries is held back.
    pub min_keep_ratio: f64,
    pub on_missing: OnMissing,
    pub on_bad_line: OnBadLine,
    /// Unix socket for `mailwarden reload` / `status`; "" disables it.
    pub control_socket: String,
}

impl Default for ReloadSection {
    fn default() -> Self {
        Self {
            watch: WatchMode::Inotify,
            debounce_ms: 300,
            poll_interval_ms: 1000,
            poll_stable_polls: 3,
            min_keep_ratio: 0.5,
            on_missing: OnMissing::Keep,
            on_bad_line: OnBadLine::Reject,
            control_socket: "/run/mailwarden/control.sock".to_owned(),
        }
    }
}

/// A rule file: a path, or a table with per-file reload options.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawFileRef {
    Path(String),
    Table(RawFileTable),
    /// A real-time directory lookup standing where a file could.
    Directory(RawDirectoryRef),
}

/// `{ directory = "corp", filter = "(mail={address})" }` in `sender_allowlist`, or with
/// `rule = "* {recipient} <sms> {mobile} 0"` in `access_rules`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDirectoryRef {
    pub directory: String,
    pub filter: String,
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFileTable {
    pub path: String,
    pub on_bad_line: Option<OnBadLine>,
    pub on_missing: Option<OnMissing>,
    pub min_keep_ratio: Option<f64>,
    /// false: start (and answer 451 in this policy's scope) while the file cannot be loaded.
    pub required: Option<bool>,
}

/// `[smime]`: the trust store and how signed mail is verified and acted on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmimeSection {
    /// Files or directories of CA certificates (PEM, DER, PKCS#7, .sst).
    pub trust: Vec<Spanned<RawTrustRef>>,
    /// Files or directories of CRLs (PEM or DER).
    pub crls: Vec<Spanned<String>>,
    /// Certificates with their private keys, for decryption.
    pub keys: Vec<Spanned<RawKeyRef>>,
    /// Verify S/MIME in messages passing through. Default: on when `trust` is set.
    pub verify: Option<bool>,
    /// authserv-id of the Authentication-Results header; default: the host name.
    pub authserv_id: Option<String>,
    /// When certificates are judged: "now" or "signing-time".
    pub verify_time: VerifyTimeSetting,
    /// Revocation checking: "best-effort" (default) or "require".
    pub revocation: crate::smime::RevocationSetting,
    /// Accept SHA-1 signatures (otherwise `policy (weak-algorithm)`).
    pub allow_sha1: bool,
    /// Open 3DES-encrypted mail (legacy; reported as weak). Otherwise `unsupported`.
    pub allow_3des: bool,
    /// Messages larger than this (bytes) are not buffered for verification.
    pub max_message_size: u64,
    /// What to do per result.
    pub actions: SmimeActions,
    /// Subject prefix for the `tag` action; `{result}` is replaced by the result word.
    pub tag_prefix: String,
    /// Senders (address patterns, as in allowlists) whose mail must be signed.
    pub require_signature: Vec<String>,
    /// Also write audit lines to this file (appended), besides the `audit` log target.
    pub audit_file: Option<Spanned<String>>,
    /// What is delivered when the message was encrypted to us: as received, or decrypted.
    pub deliver: DeliverMode,
    /// What to do when an encrypted message addressed to us cannot be opened
    /// (`failed` or `unsupported`).
    pub decryption_failure: SmimeAction,
    /// `[smime.limits]`: bounds on what a message may make verification do.
    pub limits: RawSmimeLimits,
}

/// `[smime.limits]`, each unset key at its default (`crate::smime::limits::SETTINGS`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSmimeLimits {
    pub max_layers: Option<Spanned<i64>>,
    pub max_signers: Option<Spanned<i64>>,
    pub max_certificates: Option<Spanned<i64>>,
    pub max_recipients: Option<Spanned<i64>>,
    pub max_mime_depth: Option<Spanned<i64>>,
    pub max_mime_parts: Option<Spanned<i64>>,
    pub max_enclosed: Option<Spanned<i64>>,
    pub max_path_signature_checks: Option<Spanned<i64>>,
}

impl RawSmimeLimits {
    /// The value set for a key of `crate::smime::limits::SETTINGS`.
    pub fn get(&self, key: &str) -> Option<&Spanned<i64>> {
        match key {
            "max_layers" => self.max_layers.as_ref(),
            "max_signers" => self.max_signers.as_ref(),
            "max_certificates" => self.max_certificates.as_ref(),
            "max_recipients" => self.max_recipients.as_ref(),
            "max_mime_depth" => self.max_mime_depth.as_ref(),
            "max_mime_parts" => self.max_mime_parts.as_ref(),
            "max_enclosed" => self.max_enclosed.as_ref(),
            "max_path_signature_checks" => self.max_path_signature_checks.as_ref(),
            _ => None,
        }
    }
}

impl Default for SmimeSection {
    fn default() -> Self {
        SmimeSection {
            trust: Vec::new(),
            crls: Vec::new(),
            keys: Vec::new(),
            verify: None,
            authserv_id: None,
            verify_time: VerifyTimeSetting::Now,
            revocation: crate::smime::RevocationSetting::BestEffort,
            allow_sha1: false,
            allow_3des: true,
            max_message_size: 10 << 20,
            actions: SmimeActions::default(),
            tag_prefix: "[S/MIME {result}] ".to_string(),
            require_signature: Vec::new(),
            audit_file: None,
            deliver: DeliverMode::Original,
            decryption_failure: SmimeAction::Accept,
            limits: RawSmimeLimits::default(),
        }
    }
}

/// `{ cert = "...", key = "..." }` (a PEM/DER certificate and its PEM private key) or
/// `{ pkcs12 = "..." }`; a password from `password_file` or `password_env` for a PKCS#12 file
/// or an `ENCRYPTED PRIVATE KEY` (never inline: config files get copied and shown).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeyRef {
    pub cert: Option<String>,
    pub key: Option<String>,
    pub pkcs12: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustRole {
    /// Self-signed certificates are anchors, the others intermediates.
    Auto,
    Anchors,
    Intermediates,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawTrustRef {
    Path(String),
    Table(RawTrustTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrustTable {
    pub path: String,
    pub role: TrustRole,
}

/// `[directory.NAME]`: one LDAP directory (checked in `config::directory`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDirectory {
    pub urls: Vec<String>,
    pub tls: Option<crate::directory::spec::Tls>,
    pub ca_file: Option<String>,
    pub bind_dn: Option<String>,
    pub password_file: Option<String>,
    pub base: String,
    pub timeout_ms: Option<u64>,
    /// Seconds.
    pub cache_ttl: Option<u64>,
    pub negative_ttl: Option<u64>,
    pub max_stale: Option<u64>,
    pub max_entries: Option<usize>,
}

/// `[[sync]]`: a rule file written from a directory search.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    pub name: Spanned<String>,
    pub directory: String,
    pub base: Option<String>,
    pub filter: String,
    pub output: String,
    pub line: String,
    pub min_keep_ratio: Option<f64>,
    pub page_size: Option<i32>,
}
