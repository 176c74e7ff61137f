//! Prometheus metrics. Counters live for the whole process (one registry, bumped by the
//! milter glue and the reloader with plain atomics, whether or not anyone scrapes), and
//! `[metrics] listen` serves them as OpenMetrics text on `GET /metrics`. The exposition
//! format comes from `prometheus-client`; the HTTP side is the minimum a scraper needs.
//!
//! Label values are bounded sets (policy names from the settings, verdict tokens, rule
//! file paths), never message content: an attacker cannot grow the registry.

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    policy: PolicyName,
    action: &'static str,
}

/// A policy name as a label value: shared with the policy set, so counting a decision
/// does not copy it.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct PolicyName(std::sync::Arc<str>);

impl prometheus_client::encoding::EncodeLabelValue for PolicyName {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder,
    ) -> Result<(), std::fmt::Error> {
        prometheus_client::encoding::EncodeLabelValue::encode(&&*self.0, encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    result: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileOutcomeLabels {
    file: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabels {
    file: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CrlLabels {
    file: String,
    crl: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectoryResultLabels {
    directory: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectoryLabels {
    directory: String,
}

pub struct Metrics {
    registry: Registry,
    directory_lookups: Family<DirectoryResultLabels, Counter>,
    directory_latency: Histogram,
    directory_up: Family<DirectoryLabels, Gauge>,
    messages: Counter,
    decisions: Family<DecisionLabels, Counter>,
    smime_verdicts: Family<VerdictLabels, Counter>,
    smime_actions: Family<ActionLabels, Counter>,
    decryptions: Family<OutcomeLabels, Counter>,
    rule_reloads: Family<FileOutcomeLabels, Counter>,
    trust_reloads: Family<OutcomeLabels, Counter>,
    config_reloads: Family<OutcomeLabels, Counter>,
    rule_entries: Family<FileLabels, Gauge>,
    since_reload: Family<FileLabels, Gauge<f64, AtomicU64>>,
    crl_next_update: Family<CrlLabels, Gauge>,
    sessions: Gauge,
    in_flight: Gauge,
    processing: Histogram,
    audit_write_errors: Counter,
    internal_errors: Counter,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    /// The real-time directory lookup metrics.
    fn register_directory(&mut self) {
        self.registry.register(
            "directory_lookups",
            "Real-time directory lookups by directory and result: hit (cache), miss (asked the server), error, stale (served past its lifetime while the directory was down)",
            self.directory_lookups.clone(),
        );
        self.registry.register(
            "directory_lookup_seconds",
            "Time a lookup that asked the directory server took",
            self.directory_latency.clone(),
        );
        self.registry.register(
            "directory_up",
            "1 when the directory's last lookup succeeded, 0 when it failed",
            self.directory_up.clone(),
        );
    }

    fn new() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("mailwarden"),
            directory_lookups: Family::default(),
            // 100 µs .. ~3.3 s: a local slapd answers in well under a millisecond.
            directory_latency: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            directory_up: Family::default(),
            messages: Counter::default(),
            decisions: Family::default(),
            smime_verdicts: Family::default(),
            smime_actions: Family::default(),
            decryptions: Family::default(),
            rule_reloads: Family::default(),
            trust_reloads: Family::default(),
            config_reloads: Family::default(),
            rule_entries: Family::default(),
            since_reload: Family::default(),
            crl_next_update: Family::default(),
            sessions: Gauge::default(),
            in_flight: Gauge::default(),
            // 100 µs .. ~3.3 s: policy-only messages sit at the bottom, S/MIME higher up.
            processing: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            audit_write_errors: Counter::default(),
            internal_errors: Counter::default(),
        };
        m.register_directory();
        m.registry.register(
            "messages",
            "Transactions (MAIL FROM) seen",
            m.messages.clone(),
        );
        m.registry.register(
            "decisions",
            "Policy decisions: accept (per accepted recipient), reject, tempfail",
            m.decisions.clone(),
        );
        m.registry.register(
            "smime_verdicts",
            "S/MIME verdicts of messages that carried S/MIME, by result and reason",
            m.smime_verdicts.clone(),
        );
        m.registry.register(
            "smime_actions",
            "What was done with S/MIME messages: accept, tag, quarantine, reject, tempfail",
            m.smime_actions.clone(),
        );
        m.registry.register(
            "decryptions",
            "Decryption outcome of S/MIME messages",
            m.decryptions.clone(),
        );
        m.registry.register(
            "rule_reloads",
            "Rule file reload attempts by file and outcome (applied, or why the previous version was kept)",
            m.rule_reloads.clone(),
        );
        m.registry.register(
            "smime_store_reloads",
            "Trust store, CRL and key reloads by outcome",
            m.trust_reloads.clone(),
        );
        m.registry.register(
            "config_reloads",
            "Full reloads (SIGHUP, mailwarden reload) by outcome: applied, or failed (previous configuration kept)",
            m.config_reloads.clone(),
        );
        m.registry.register(
            "rule_entries",
            "Entries in force per rule file",
            m.rule_entries.clone(),
        );
        m.registry.register(
            "rule_seconds_since_last_successful_reload",
            "Seconds since each rule file was last applied (loaded at start or reloaded)",
            m.since_reload.clone(),
        );
        m.registry.register(
            "smime_crl_next_update_seconds",
            "Seconds until each configured CRL's nextUpdate (negative: stale; its CA's certificates are revocation-unknown)",
            m.crl_next_update.clone(),
        );
        m.registry.register(
            "milter_sessions_active",
            "Open MTA connections",
            m.sessions.clone(),
        );
        m.registry.register(
            "messages_in_flight",
            "Messages between MAIL FROM and end of message",
            m.in_flight.clone(),
        );
        m.registry.register(
            "eom_processing_seconds",
            "Time mailwarden spent at end of message (S/MIME verification, header edits)",
            m.processing.clone(),
        );
        m.registry.register(
            "audit_write_errors",
            "Audit lines that could not be written to [smime] audit_file",
            m.audit_write_errors.clone(),
        );
        m.registry.register(
            "smime_internal_errors",
            "S/MIME evaluations that panicked inside a dependency or our code (temperror (internal-error))",
            m.internal_errors.clone(),
        );
        m
    }
}

/// One real-time lookup: `hit`, `miss`, `error` or `stale`.
pub fn directory_lookup(directory: &str, result: &'static str) {
    metrics()
        .directory_lookups
        .get_or_create(&DirectoryResultLabels {
            directory: directory.to_owned(),
            result,
        })
        .inc();
}

/// A lookup that asked the server, and whether the directory answered.
pub fn directory_asked(directory: &str, took: Duration, up: bool) {
    let m = metrics();
    m.directory_latency.observe(took.as_secs_f64());
    m.directory_up
        .get_or_create(&DirectoryLabels {
            directory: directory.to_owned(),
        })
        .set(i64::from(up));
}

pub fn message_seen() {
    metrics().messages.inc();
}

/// A policy decision; `policy` is a configured policy name (a bounded set).
pub fn decision(policy: &str, action: &'static str) {
    decision_of(&std::sync::Arc::from(policy), action);
}

/// [`decision`] with the policy set's own copy of the name: no allocation (the path of
/// every accepted message).
pub fn decision_of(policy: &std::sync::Arc<str>, action: &'static str) {
    metrics()
        .decisions
        .get_or_create(&DecisionLabels {
            policy: PolicyName(policy.clone()),
            action,
        })
        .inc();
}

pub fn smime_verdict(result: &'static str, reason: &'static str, action: &'static str) {
    let m = metrics();
    m.smime_verdicts
        .get_or_create(&VerdictLabels { result, reason })
        .inc();
    m.smime_actions
        .get_or_create(&ActionLabels { action })
        .inc();
}

pub fn decryption(outcome: &'static str) {
    metrics()
        .decryptions
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

pub fn rule_reload(file: &std::path::Path, outcome: &'static str) {
    metrics()
        .rule_reloads
        .get_or_create(&FileOutcomeLabels {
            file: file.display().to_string(),
            outcome,
        })
        .inc();
}

pub fn smime_store_reload(outcome: &'static str) {
    metrics()
        .trust_reloads
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

pub fn config_reload(outcome: &'static str) {
    metrics()
        .config_reloads
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

pub fn smime_internal_error() {
    metrics().internal_errors.inc();
}

pub fn audit_write_error() {
    metrics().audit_write_errors.inc();
}

/// An MTA connection; the gauge goes down when the guard is dropped.
pub struct SessionGuard(());

impl SessionGuard {
    pub fn open() -> Self {
        metrics().sessions.inc();
        SessionGuard(())
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        metrics().sessions.dec();
    }
}

/// Times end-of-message handling; observed when dropped, whichever way the handler returns.
pub struct EomTimer(Instant);

impl EomTimer {
    pub fn start() -> Self {
        EomTimer(Instant::now())
    }
}

impl Drop for EomTimer {
    fn drop(&mut self) {
        metrics().processing.observe(self.0.elapsed().as_secs_f64());
    }
}

/// What a scrape reads at that moment, from whoever owns it (the runtime).
pub trait Gauges: Send + Sync {
    fn source_gauges(&self) -> Vec<SourceGauge>;
    fn in_flight(&self) -> usize;
    /// The CRLs of the S/MIME store in force.
    fn crls(&self) -> Vec<crate::smime::pki::crl::CrlSummary> {
        Vec::new()
    }
}

/// One configured rule file's gauges.
#[derive(Debug, Clone)]
pub struct SourceGauge {
    pub path: std::path::PathBuf,
    /// `None` until a version was loaded.
    pub entries: Option<usize>,
    pub loaded_at: Option<SystemTime>,
}

/// The text a scrape returns: the counters, plus the per-file gauges read now.
pub fn render(shared: &dyn Gauges) -> String {
    let m = metrics();
    m.rule_entries.clear();
    m.since_reload.clear();
    let now = SystemTime::now();
    for s in shared.source_gauges() {
        let labels = FileLabels {
            file: s.path.display().to_string(),
        };
        if let Some(n) = s.entries {
            m.rule_entries.get_or_create(&labels).set(n as i64);
        }
        if let Some(at) = s.loaded_at {
            let age = now.duration_since(at).unwrap_or_default().as_secs_f64();
            m.since_reload.get_or_create(&labels).set(age);
        }
    }
    m.in_flight.set(shared.in_flight() as i64);
    m.crl_next_update.clear();
    let now_secs = crate::smime::pki::path::unix_secs(now);
    for c in shared.crls() {
        if let Some(next) = c.next_update {
            let labels = CrlLabels {
                file: c.file.display().to_string(),
                crl: c.label(),
            };
            let left =
                i64::try_from(next).unwrap_or(i64::MAX) - i64::try_from(now_secs).unwrap_or(0);
            m.crl_next_update.get_or_create(&labels).set(left);
        }
    }
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &m.registry)
        .expect("writing to a String cannot fail");
    out
}

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// A scrape request is one short header block; anything longer is not a scraper.
const MAX_REQUEST: usize = 8192;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `GET /metrics` until the task is aborted.
pub async fn serve(listener: TcpListener, shared: std::sync::Arc<dyn Gauges>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &*shared).await {
                debug!(peer = %peer, error = %e, "metrics: request not answered");
            }
        });
    }
}

pub async fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let l = TcpListener::bind(addr).await?;
    info!(listen = %l.local_addr()?, "metrics endpoint ready");
    Ok(l)
}

async fn answer(mut stream: TcpStream, shared: &dyn Gauges) -> std::io::Result<()> {
    let started = Instant::now();
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() >= MAX_REQUEST {
            return respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                "",
            )
            .await;
        }
        let left = REQUEST_TIMEOUT.saturating_sub(started.elapsed());
        let mut chunk = [0u8; 1024];
        let n = match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(r) => r?,
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
        };
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => {
            let body = render(shared);
            respond(&mut stream, "200 OK", CONTENT_TYPE, &body).await
        }
        ("GET", _) => respond(&mut stream, "404 Not Found", "text/plain", "see /metrics\n").await,
        _ => {
            respond(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                "GET only\n",
            )
            .await
        }
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_prefix_and_labels() {
        decision("unit-test-policy", "reject");
        smime_verdict("fail", "digest-mismatch", "reject");
        let m = metrics();
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry).unwrap();
        assert!(
            out.contains(
                r#"mailwarden_decisions_total{policy="unit-test-policy",action="reject"}"#
            ),
            "{out}"
        );
        assert!(
            out.contains(
                r#"mailwarden_smime_verdicts_total{result="fail",reason="digest-mismatch"}"#
            ),
            "{out}"
        );
        assert!(
            out.contains("# TYPE mailwarden_eom_processing_seconds histogram"),
            "{out}"
        );
        assert!(out.ends_with("# EOF\n"), "{out}");
    }
}
