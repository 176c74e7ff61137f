//! S/MIME at end of message: the message is captured as it streams in (headers, then the
//! body as Postfix sends it, CRLF line ends), verified off the async runtime, and turned
//! into header edits, an audit line and a disposition. No indymilter types here.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use tracing::{error, info, warn};

use crate::policy::Address;
pub use crate::policy::smime_action::Disposition;
use crate::policy::smime_action::{self, ActionsOverride, DeliverMode};
use crate::runtime::Runtime;
use crate::smime::Engine;
use crate::smime::outcome::{Decryption, Reason, Report, SignerReport};

pub use crate::auth_results::AR_HEADER;
use crate::auth_results::claims_authserv_id;

/// The message as it arrives, bounded by `max_message_size`.
#[derive(Debug)]
pub struct Capture {
    raw: Vec<u8>,
    limit: usize,
    pub too_large: bool,
    /// 1-based indices (among Authentication-Results headers) of those claiming our
    /// authserv-id.
    pub forged: Vec<i32>,
    ar_seen: i32,
    /// How many `X-Mailwarden-Decrypted` headers arrived (only we may set it).
    pub decrypted_seen: i32,
    /// Every Subject value in order, for the `tag` action (which tags each of them: a
    /// reader may show any one).
    pub subjects: Vec<String>,
    /// Every From: value in order (the policy header store stops at 1 MiB; this one does
    /// not), for `require_signature`.
    pub from_values: Vec<String>,
    /// Whether the top-level Content-Type looks like S/MIME (for "too large" audit lines).
    pub looks_smime: bool,
    /// The top-level media type (`type/subtype`, sanitised), for a log line that describes
    /// a message's shape without its content.
    pub media_type: Option<String>,
    size: usize,
}

impl Capture {
    pub fn new(limit: u64) -> Capture {
        Capture {
            raw: Vec::new(),
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            too_large: false,
            forged: Vec::new(),
            ar_seen: 0,
            decrypted_seen: 0,
            subjects: Vec::new(),
            from_values: Vec::new(),
            looks_smime: false,
            media_type: None,
            size: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.size += bytes.len();
        if self.too_large {
            return;
        }
        if self.raw.len() + bytes.len() > self.limit {
            self.too_large = true;
            self.raw = Vec::new();
            return;
        }
        self.raw.extend_from_slice(bytes);
    }

    pub fn header(&mut self, name: &str, value: &str, authserv_id: &str) {
        if name.eq_ignore_ascii_case(AR_HEADER) {
            self.ar_seen += 1;
            if claims_authserv_id(value, authserv_id) {
                self.forged.push(self.ar_seen);
            }
        } else if name.eq_ignore_ascii_case(DECRYPTED_HEADER) {
            self.decrypted_seen += 1;
        } else if name.eq_ignore_ascii_case("Subject") {
            if self.subjects.len() < MAX_SUBJECTS {
                self.subjects.push(value.to_string());
            }
        } else if name.eq_ignore_ascii_case("From") {
            // One past the reader's own cap is enough for it to say "identifies nobody".
            if self.from_values.len() <= MAX_FROM_VALUES {
                self.from_values.push(value.to_string());
            }
        } else if name.eq_ignore_ascii_case("Content-Type") {
            let v = value.to_ascii_lowercase();
            self.looks_smime =
                v.contains("pkcs7") || v.contains("multipart/signed") || v.contains(".p7m");
            let media = crate::diag::printable(
                v.split(';').next().unwrap_or("").trim(),
                crate::diag::Placement::MediaType,
            );
            self.media_type.get_or_insert(media);
        }
        let mut line = Vec::with_capacity(name.len() + value.len() + 4);
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(b": ");
        // Postfix sends folded values with bare LF; the wire form is CRLF.
        line.extend_from_slice(&crate::smime::mime::to_crlf(value.trim_start().as_bytes()));
        line.extend_from_slice(b"\r\n");
        self.push(&line);
    }

    pub fn end_of_headers(&mut self) {
        self.push(b"\r\n");
    }

    pub fn body(&mut self, chunk: &[u8]) {
        self.push(chunk);
    }
}

/// Subjects kept for tagging (each is bounded by Postfix's header_size_limit).
const MAX_SUBJECTS: usize = 1000;
/// From: values kept: one past what the reader reads, so that `Job::run` knows there were
/// more.
const MAX_FROM_VALUES: usize = crate::mail::reader::MAX_FROM_HEADERS;

/// Header edits and disposition for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Authentication-Results occurrences to delete (1-based, highest first).
    pub delete_ar: Vec<i32>,
    /// Our Authentication-Results value, inserted at the top.
    pub insert_ar: Option<String>,
    /// New Subject values (`tag`).
    pub subject: Option<SubjectTag>,
    /// `deliver = "decrypted"`: the message's new MIME headers and body.
    pub replace: Option<Replacement>,
    /// Incoming `X-Mailwarden-Decrypted` headers to delete (1-based, highest first).
    pub delete_decrypted: Vec<i32>,
    pub disposition: Disposition,
}

/// The `tag` action's edit of the Subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectTag {
    /// The new value of each Subject header, in order (1-based index = position + 1).
    Replace(Vec<String>),
    /// There was none: add one.
    Add(String),
}

/// Everything verification needs, moved to a blocking thread.
pub struct Job {
    /// The snapshot the message started with: `[smime]` settings and the engine.
    pub runtime: Arc<Runtime>,
    pub engine: Arc<Engine>,
    pub capture: Capture,
    pub queue_id: String,
    pub sender: Address,
    /// `smime_actions` of the policies whose scope the message is in.
    pub overrides: Vec<Option<ActionsOverride>>,
}

impl Job {
    /// Verifies, then carries out what `policy::smime_action` chooses. CPU-bound: run it off
    /// the async runtime.
    pub fn run(self) -> Plan {
        let settings = &self.runtime.settings.smime;
        let rules = settings.rules();
        let capture = &self.capture;
        let mut plan = Plan::unchanged(capture);
        for index in &plan.delete_ar {
            info!(queue_id = %self.queue_id, index, authserv_id = %settings.authserv_id,
                "removed an Authentication-Results header claiming our authserv-id");
        }
        // The envelope sender or the author a reader sees: mail that shows From: the CEO
        // must be signed whatever its bounce address says.
        let from = crate::mail::reader::from_mailboxes(
            capture.from_values.iter().map(String::as_str),
            &self.runtime.settings.subaddress_delimiter,
        );
        let required = smime_action::signature_required(&rules, &self.sender, &from);
        if capture.too_large {
            if capture.looks_smime || required {
                audit_skipped(&self.audit_sink(), &self.queue_id, capture.size);
            }
            plan.disposition = smime_action::too_large(&rules, required).disposition;
            return plan;
        }
        let (report, micros) = self.verify();
        if !report.is_smime() && !required {
            return plan;
        }
        plan.replace = self.decrypted_form(&report);
        let delivered = if plan.replace.is_some() {
            "decrypted"
        } else {
            "original"
        };
        audit(
            &self.audit_sink(),
            &report,
            &self.queue_id,
            capture.size,
            micros,
            delivered,
        );
        let verdict = smime_action::Verdict {
            result: report.outcome.result,
            reason: report.outcome.reason,
            undecryptable: matches!(
                report.decryption,
                Decryption::Failed | Decryption::Unsupported
            ),
        };
        let choice = smime_action::choose(&rules, &self.overrides, &verdict, required);
        crate::metrics::smime_verdict(
            verdict.result.as_str(),
            smime_action::reason_word(&verdict),
            choice.action(),
        );
        crate::metrics::decryption(report.decryption.as_str());
        plan.subject = choice.tag.as_deref().map(|prefix| tagged(prefix, capture));
        plan.insert_ar = Some(crate::auth_results::for_report(
            &settings.authserv_id,
            &report,
        ));
        plan.disposition = choice.disposition;
        plan
    }

    /// The report and how long it took (µs).
    fn verify(&self) -> (Report, u128) {
        let started = Instant::now();
        let now = crate::smime::pki::path::unix_secs(std::time::SystemTime::now());
        let report = self.engine.verify(&self.capture.raw, now, None);
        let micros = started.elapsed().as_micros();
        if report.outcome.reason == Some(Reason::Internal) {
            let capture = &self.capture;
            // The shape, never the content: whoever reads the log may not read the mail.
            error!(queue_id = %self.queue_id, size = capture.size,
                media_type = %capture.media_type.as_deref().unwrap_or("-"),
                subjects = capture.subjects.len(), forged_ar = capture.forged.len(),
                "S/MIME evaluation failed internally (a bug); the verdict is temperror (internal-error)");
            crate::metrics::smime_internal_error();
        }
        (report, micros)
    }

    /// `deliver = "decrypted"`: the message's decrypted form, when there is one.
    fn decrypted_form(&self, report: &Report) -> Option<Replacement> {
        let settings = &self.runtime.settings.smime;
        let clear = report.cleartext.as_ref()?;
        if settings.deliver != DeliverMode::Decrypted {
            return None;
        }
        let r = replacement(clear, &settings.authserv_id, report);
        if r.is_none() {
            warn!(queue_id = %self.queue_id, "decrypted content is not a MIME entity; delivering the message as received");
        }
        r
    }

    fn audit_sink(&self) -> AuditSink<'_> {
        AuditSink {
            file: self.runtime.settings.smime.audit_file.as_deref(),
            json: self.runtime.settings.log.format == crate::config::model::LogFormat::Json,
        }
    }
}

impl Plan {
    /// No verdict yet: only the headers nobody but us may set are removed.
    fn unchanged(capture: &Capture) -> Plan {
        let mut delete_ar = capture.forged.clone();
        delete_ar.sort_unstable_by(|a, b| b.cmp(a));
        Plan {
            delete_ar,
            insert_ar: None,
            subject: None,
            replace: None,
            // Only our own note may say a message was decrypted, whatever `deliver` is:
            // downstream cannot tell which mode wrote it.
            delete_decrypted: (1..=capture.decrypted_seen).rev().collect(),
            disposition: Disposition::Continue,
        }
    }
}

/// Where audit lines go besides the `audit` log target.
struct AuditSink<'a> {
    file: Option<&'a std::path::Path>,
    json: bool,
}

/// Every Subject with `prefix` in front, or a new Subject when there is none.
fn tagged(prefix: &str, capture: &Capture) -> SubjectTag {
    if capture.subjects.is_empty() {
        return SubjectTag::Add(prefix.to_string());
    }
    SubjectTag::Replace(
        capture
            .subjects
            .iter()
            .map(|s| format!("{prefix}{}", s.trim_start()))
            .collect(),
    )
}

/// The MIME headers the decrypted entity replaces at the top of the message (Content-Type
/// first: without it the cleartext is not a MIME entity).
const REPLACED_HEADERS: [&str; 4] = [
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-Description",
];

pub const DECRYPTED_HEADER: &str = "X-Mailwarden-Decrypted";

/// How to turn the message into its decrypted form: the top-level MIME headers (a value,
/// or `None` to delete), the body, and a header naming who decrypted with which key.
/// `None` when the cleartext is not a MIME entity with a Content-Type.
fn replacement(clear: &[u8], authserv_id: &str, report: &Report) -> Option<Replacement> {
    let (values, split) = crate::smime::mime::first_header_values(clear, &REPLACED_HEADERS)?;
    // No Content-Type: not a MIME entity to put in the message's place.
    values[0].as_ref()?;
    let headers: Vec<_> = REPLACED_HEADERS.into_iter().zip(values).collect();
    let key = report
        .decrypted
        .first()
        .map(|d| d.key.as_str())
        .unwrap_or("-");
    let algorithm = report
        .decrypted
        .first()
        .map(|d| d.algorithm.as_str())
        .unwrap_or("-");
    let note = crate::diag::printable(
        &format!("by {authserv_id} with {key} ({algorithm})"),
        crate::diag::Placement::HeaderNote,
    );
    Some(Replacement {
        headers,
        body: clear[split..].to_vec(),
        note,
    })
}

/// The decrypted form of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub headers: Vec<(&'static str, Option<String>)>,
    pub body: Vec<u8>,
    /// Value of `X-Mailwarden-Decrypted`.
    pub note: String,
}

/// One audit line per S/MIME message, on the `audit` log target (and the audit file).
fn audit(
    sink: &AuditSink<'_>,
    report: &Report,
    queue_id: &str,
    size: usize,
    micros: u128,
    delivered: &str,
) {
    let h = &report.headers;
    let from: Vec<&str> = h.from.mailboxes.iter().map(|m| m.as_str()).collect();
    let mut fields: Vec<(&str, String)> = vec![
        ("queue_id", queue_id.to_string()),
        ("message_id", h.message_id.clone().unwrap_or_default()),
        ("from", from.join(",")),
        ("layers", report.layers.join(",")),
        ("result", report.outcome.result.as_str().to_string()),
        (
            "reason",
            report.outcome.reason.map_or("", |r| r.token()).to_string(),
        ),
    ];
    signer_fields(report, &mut fields);
    decryption_fields(report, &mut fields);
    fields.extend([
        ("delivered", delivered.to_string()),
        ("size", size.to_string()),
        ("verify_us", micros.to_string()),
    ]);
    emit(sink, &fields);
}

/// The deciding signer's fields of the audit line (and the Subject, between them as
/// always).
fn signer_fields(report: &Report, fields: &mut Vec<(&str, String)>) {
    let signer = report.signer();
    let text = |f: fn(&SignerReport) -> Option<String>| signer.and_then(f).unwrap_or_default();
    let not_after = signer.and_then(|s| s.not_after).map(|t| {
        crate::runtime::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))
    });
    fields.extend([
        ("signer", text(|s| s.emails.first().cloned())),
        (
            "subject",
            report.headers.subject.clone().unwrap_or_default(),
        ),
        ("issuer", text(|s| s.issuer.clone())),
        ("serial", text(|s| s.serial_hex.clone())),
        ("not_after", not_after.unwrap_or_default()),
        ("digest", text(|s| s.digest.map(str::to_string))),
        ("signature", text(|s| s.signature.clone())),
        ("chain_len", signer.map_or(0, |s| s.chain_len).to_string()),
        ("crl", text(|s| s.revoked_by.clone())),
    ]);
}

fn decryption_fields(report: &Report, fields: &mut Vec<(&str, String)>) {
    let keys: Vec<&str> = report.decrypted.iter().map(|d| d.key.as_str()).collect();
    let algorithms: Vec<String> = report
        .decrypted
        .iter()
        .map(|d| {
            if d.weak {
                format!("{}(weak)", d.algorithm)
            } else {
                d.algorithm.clone()
            }
        })
        .collect();
    fields.extend([
        ("decryption", report.decryption.as_str().to_string()),
        ("decrypted_with", keys.join("; ")),
        ("content_encryption", algorithms.join(",")),
        (
            "decryption_detail",
            report.decryption_detail.clone().unwrap_or_default(),
        ),
    ]);
}

fn audit_skipped(sink: &AuditSink<'_>, queue_id: &str, size: usize) {
    let fields = vec![
        ("queue_id", queue_id.to_string()),
        ("result", "skipped".to_string()),
        ("reason", "too large".to_string()),
        ("size", size.to_string()),
    ];
    emit(sink, &fields);
}

fn emit(sink: &AuditSink<'_>, fields: &[(&str, String)]) {
    let line = format_audit(fields, sink.json);
    info!(target: "audit", "audit: {line}");
    if let Some(path) = sink.file {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            warn!(path = %path.display(), error = %e, "cannot write the audit file; mail keeps flowing");
            crate::metrics::audit_write_error();
        }
    }
}

/// `key=value` pairs (values with spaces or quotes are quoted, control characters
/// escaped), or one JSON object.
pub fn format_audit(fields: &[(&str, String)], json: bool) -> String {
    if json {
        let map: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        return serde_json::Value::Object(map).to_string();
    }
    let mut out = String::new();
    for (k, v) in fields {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        if !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            out.push_str(v);
        } else {
            out.push('"');
            for c in v.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_is_bounded_and_counts_forged_headers() {
        let mut c = Capture::new(200);
        c.header("Authentication-Results", "other; dkim=pass", "mx");
        c.header("authentication-results", "MX; smime=pass", "mx");
        c.end_of_headers();
        assert_eq!(c.forged, vec![2]);
        assert!(!c.too_large);
        c.body(&[b'x'; 300]);
        assert!(c.too_large);
        assert!(c.raw.is_empty());
    }

    #[test]
    fn audit_text_quotes_and_escapes() {
        let line = format_audit(
            &[
                ("a", "x".into()),
                ("b", "two words".into()),
                ("c", "q\"\n".into()),
                ("d", String::new()),
            ],
            false,
        );
        assert_eq!(line, "a=x b=\"two words\" c=\"q\\\"\\u{a}\" d=\"\"");
    }
}
