//! S/MIME at end of message: the message is captured as it streams in (headers, then the
//! body as Postfix sends it, CRLF line ends), verified off the async runtime, and turned
//! into header edits, an audit line and a disposition. No indymilter types here.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use tracing::{error, info, warn};

use crate::config::model::{DeliverMode, SmimeAction};
use crate::policy::Address;
use crate::smime::Engine;
use crate::smime::pipeline::Decryption;
use crate::smime::pipeline::Report;
use crate::smime::verdict::SmimeResult;

pub const AR_HEADER: &str = "Authentication-Results";

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
            let media: String = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(64)
                .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                .collect();
            self.media_type.get_or_insert(media);
        }
        let mut line = Vec::with_capacity(name.len() + value.len() + 4);
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(b": ");
        // Postfix sends folded values with bare LF; the wire form is CRLF.
        line.extend_from_slice(&crate::smime::to_crlf(value.trim_start().as_bytes()));
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
const MAX_FROM_VALUES: usize = crate::policy::reader::MAX_FROM_HEADERS;

/// Whether an Authentication-Results value names `authserv_id`, read by RFC 8601's
/// grammar: `[CFWS] authserv-id` where authserv-id is a `value` (RFC 2045: a token or a
/// quoted-string) and CFWS is RFC 5322's folding white space and comments, which nest and
/// may hold quoted-pairs. Any letter case: `"mx.test"` and `((x)) mx.test` claim it. A value
/// that cannot be read (an unterminated comment or quoted-string) claims it when it
/// mentions it anywhere: a lenient reader downstream might still believe it.
pub fn claims_authserv_id(value: &str, authserv_id: &str) -> bool {
    let mentions = || {
        value
            .to_ascii_lowercase()
            .contains(&authserv_id.to_ascii_lowercase())
    };
    let Some(rest) = skip_cfws(value) else {
        return mentions();
    };
    let id = match rest.strip_prefix('"') {
        Some(quoted) => {
            let mut id = String::new();
            let mut chars = quoted.chars();
            loop {
                match chars.next() {
                    None => return mentions(),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => id.push(c),
                        None => return mentions(),
                    },
                    Some(c) if c == '\r' || c == '\n' => {}
                    Some(c) => id.push(c),
                }
            }
            id
        }
        // RFC 2045 token: anything but SPACE, CTLs and tspecials.
        None => rest
            .chars()
            .take_while(|c| {
                !c.is_whitespace() && !c.is_control() && !"()<>@,;:\\\"/[]?=".contains(*c)
            })
            .collect(),
    };
    id.trim().eq_ignore_ascii_case(authserv_id)
}

/// `s` after RFC 5322 CFWS: white space and (nested) comments with quoted-pairs. `None`
/// for an unterminated comment, or one nested deeper than anyone writes.
fn skip_cfws(s: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if depth > 0 => escaped = true,
            '(' => {
                depth += 1;
                if depth > 32 {
                    return None;
                }
            }
            ')' if depth > 0 => depth -= 1,
            c if depth > 0 || c.is_whitespace() => {}
            _ => return Some(&s[i..]),
        }
    }
    (depth == 0).then_some("")
}

/// What the milter does with the message after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Continue,
    Quarantine(String),
    Reject {
        code: &'static str,
        xcode: &'static str,
        line: String,
    },
    Tempfail {
        line: String,
    },
}

impl Disposition {
    /// The action taken, as a metrics label; `subject` is set when the Subject was tagged.
    pub fn action(&self, subject: &Option<SubjectTag>) -> &'static str {
        match self {
            Self::Continue if subject.is_some() => "tag",
            Self::Continue => "accept",
            Self::Quarantine(_) => "quarantine",
            Self::Reject { .. } => "reject",
            Self::Tempfail { .. } => "tempfail",
        }
    }
}

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
    pub engine: Arc<Engine>,
    pub capture: Capture,
    pub queue_id: String,
    pub sender: Address,
    /// `[rules] subaddress_delimiter`, for reading the From: mailboxes.
    pub delimiters: String,
    pub json_audit: bool,
    /// `smime_actions` of the policies whose scope the message is in.
    pub overrides: Vec<Option<crate::config::model::RawSmimeActionsOverride>>,
}

impl Job {
    /// Verifies and decides. CPU-bound: run it off the async runtime.
    pub fn run(self) -> Plan {
        let Job {
            engine,
            capture,
            queue_id,
            sender,
            delimiters,
            json_audit,
            overrides,
        } = self;
        let settings = &engine.settings;
        let mut delete_ar = capture.forged.clone();
        delete_ar.sort_unstable_by(|a, b| b.cmp(a));
        for index in &delete_ar {
            info!(queue_id = %queue_id, index, authserv_id = %settings.authserv_id,
                "removed an Authentication-Results header claiming our authserv-id");
        }
        // Only our own note may say a message was decrypted, whatever `deliver` is:
        // downstream cannot tell which mode wrote it.
        let delete_decrypted: Vec<i32> = (1..=capture.decrypted_seen).rev().collect();
        let unchanged = |delete_ar, delete_decrypted| Plan {
            delete_ar,
            insert_ar: None,
            subject: None,
            replace: None,
            delete_decrypted,
            disposition: Disposition::Continue,
        };
        // The envelope sender or the author a reader sees: mail that shows From: the CEO
        // must be signed whatever its bounce address says.
        let from = crate::policy::reader::from_mailboxes(
            capture.from_values.iter().map(String::as_str),
            &delimiters,
        );
        // A From: nobody could read might be the CEO's: then a signature is required.
        let required = settings.require_signature.iter().any(|p| {
            let mut readings = sender
                .readings()
                .chain(from.mailboxes.iter().flat_map(Address::readings));
            readings.any(|a| p.matches(a))
        }) || (from.unread && !settings.require_signature.is_empty());
        if capture.too_large {
            if capture.looks_smime || required {
                audit_skipped(&engine, &queue_id, capture.size, json_audit);
            }
            // A sender who must sign cannot have the check skipped by sending more bytes.
            if required {
                return Plan {
                    disposition: Disposition::Reject {
                        code: "552",
                        xcode: "5.3.4",
                        line: format!(
                            "Message larger than {} bytes cannot be checked for the required S/MIME signature",
                            settings.max_message_size
                        ),
                    },
                    ..unchanged(delete_ar, delete_decrypted)
                };
            }
            return unchanged(delete_ar, delete_decrypted);
        }
        let started = Instant::now();
        let now = crate::smime::path::unix_secs(std::time::SystemTime::now());
        let report = engine.verify(&capture.raw, now, None);
        let micros = started.elapsed().as_micros();
        if report.outcome.reason == Some(crate::smime::verdict::Reason::Internal) {
            // The shape, never the content: whoever reads the log may not read the mail.
            error!(queue_id = %queue_id, size = capture.size,
                media_type = %capture.media_type.as_deref().unwrap_or("-"),
                subjects = capture.subjects.len(), forged_ar = capture.forged.len(),
                "S/MIME evaluation failed internally (a bug); the verdict is temperror (internal-error)");
            crate::metrics::smime_internal_error();
        }
        if !report.is_smime() && !required {
            return unchanged(delete_ar, delete_decrypted);
        }
        let replace = match (settings.deliver, &report.cleartext) {
            (DeliverMode::Decrypted, Some(clear)) => {
                let r = replacement(clear, &settings.authserv_id, &report);
                if r.is_none() {
                    warn!(queue_id = %queue_id, "decrypted content is not a MIME entity; delivering the message as received");
                }
                r
            }
            _ => None,
        };
        let delivered = if replace.is_some() {
            "decrypted"
        } else {
            "original"
        };
        audit(
            &engine,
            &report,
            &queue_id,
            capture.size,
            micros,
            delivered,
            json_audit,
        );
        let result = report.outcome.result;
        let mut action = settings.action_for(result, &overrides);
        if result == SmimeResult::None && required {
            action = SmimeAction::Reject;
        }
        let reason =
            report
                .outcome
                .reason
                .map(|r| r.token())
                .unwrap_or(if result == SmimeResult::None {
                    "no signature"
                } else {
                    "-"
                });
        let mut subject = None;
        // A message for us that does not open: its own action, and a reply that never says
        // why (no oracle for whoever crafted it).
        let undecryptable = matches!(
            report.decryption,
            Decryption::Failed | Decryption::Unsupported
        );
        let disposition = if undecryptable
            && settings.decryption_failure.strictness() >= action.strictness()
            && settings.decryption_failure != SmimeAction::Accept
        {
            match settings.decryption_failure {
                SmimeAction::Quarantine => Disposition::Quarantine("S/MIME: cannot decrypt".into()),
                SmimeAction::Reject => Disposition::Reject {
                    code: "550",
                    xcode: "5.7.1",
                    line: "Message refused: cannot decrypt".into(),
                },
                SmimeAction::Tempfail => Disposition::Tempfail {
                    line: "cannot decrypt, try again later".into(),
                },
                SmimeAction::Tag => {
                    subject = Some(tagged(
                        &settings.tag_prefix.replace("{result}", "undecryptable"),
                        &capture,
                    ));
                    Disposition::Continue
                }
                SmimeAction::Accept => Disposition::Continue,
            }
        } else {
            match action {
                SmimeAction::Accept => Disposition::Continue,
                SmimeAction::Tag => {
                    subject = Some(tagged(
                        &settings.tag_prefix.replace("{result}", result.as_str()),
                        &capture,
                    ));
                    Disposition::Continue
                }
                SmimeAction::Quarantine => {
                    Disposition::Quarantine(format!("S/MIME {result} ({reason})"))
                }
                SmimeAction::Reject => Disposition::Reject {
                    code: "550",
                    xcode: if result == SmimeResult::Fail {
                        "5.7.7"
                    } else {
                        "5.7.1"
                    },
                    line: if result == SmimeResult::None {
                        "Message refused: an S/MIME signature is required".to_string()
                    } else {
                        format!("Message refused: S/MIME signature {result} ({reason})")
                    },
                },
                SmimeAction::Tempfail => Disposition::Tempfail {
                    line: format!("S/MIME signature {result} ({reason}), try again later"),
                },
            }
        };
        crate::metrics::smime_verdict(result.as_str(), reason, disposition.action(&subject));
        crate::metrics::decryption(report.decryption.as_str());
        Plan {
            delete_ar,
            insert_ar: Some(report.authentication_results(&settings.authserv_id)),
            subject,
            replace,
            delete_decrypted,
            disposition,
        }
    }
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

/// The MIME headers the decrypted entity replaces at the top of the message.
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
    let split = crate::smime::mime::body_offset(clear);
    let head = crate::smime::mime::guarded(|| {
        mail_parser::MessageParser::new().parse_headers(&clear[..split])
    })??;
    let mut headers = Vec::new();
    let mut has_type = false;
    for name in REPLACED_HEADERS {
        let value = head
            .headers_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.replace("\r\n", "").replace('\n', "").trim().to_string());
        has_type |= name == "Content-Type" && value.is_some();
        headers.push((name, value));
    }
    if !has_type {
        return None;
    }
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
    let note: String = format!("by {authserv_id} with {key} ({algorithm})")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(900)
        .collect();
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
    engine: &Engine,
    report: &Report,
    queue_id: &str,
    size: usize,
    micros: u128,
    delivered: &str,
    json: bool,
) {
    let signer = report.signer();
    let h = &report.headers;
    let fields: Vec<(&str, String)> = vec![
        ("queue_id", queue_id.to_string()),
        ("message_id", h.message_id.clone().unwrap_or_default()),
        (
            "from",
            h.from
                .mailboxes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("layers", report.layers.join(",")),
        ("result", report.outcome.result.as_str().to_string()),
        (
            "reason",
            report
                .outcome
                .reason
                .map(|r| r.token())
                .unwrap_or("")
                .to_string(),
        ),
        (
            "signer",
            signer
                .and_then(|s| s.emails.first().cloned())
                .unwrap_or_default(),
        ),
        ("subject", h.subject.clone().unwrap_or_default()),
        (
            "issuer",
            signer.and_then(|s| s.issuer.clone()).unwrap_or_default(),
        ),
        (
            "serial",
            signer
                .and_then(|s| s.serial_hex.clone())
                .unwrap_or_default(),
        ),
        (
            "not_after",
            signer
                .and_then(|s| s.not_after)
                .map(|t| {
                    crate::runtime::rfc3339(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t),
                    )
                })
                .unwrap_or_default(),
        ),
        (
            "digest",
            signer.and_then(|s| s.digest).unwrap_or("").to_string(),
        ),
        (
            "signature",
            signer.and_then(|s| s.signature.clone()).unwrap_or_default(),
        ),
        (
            "chain_len",
            signer.map(|s| s.chain_len).unwrap_or(0).to_string(),
        ),
        ("decryption", report.decryption.as_str().to_string()),
        (
            "decrypted_with",
            report
                .decrypted
                .iter()
                .map(|d| d.key.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            "content_encryption",
            report
                .decrypted
                .iter()
                .map(|d| {
                    if d.weak {
                        format!("{}(weak)", d.algorithm)
                    } else {
                        d.algorithm.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "decryption_detail",
            report.decryption_detail.clone().unwrap_or_default(),
        ),
        ("delivered", delivered.to_string()),
        ("size", size.to_string()),
        ("verify_us", micros.to_string()),
    ];
    emit(engine, &fields, json);
}

fn audit_skipped(engine: &Engine, queue_id: &str, size: usize, json: bool) {
    let fields = vec![
        ("queue_id", queue_id.to_string()),
        ("result", "skipped".to_string()),
        ("reason", "too large".to_string()),
        ("size", size.to_string()),
    ];
    emit(engine, &fields, json);
}

fn emit(engine: &Engine, fields: &[(&str, String)], json: bool) {
    let line = format_audit(fields, json);
    info!(target: "audit", "audit: {line}");
    if let Some(path) = &engine.settings.audit_file {
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
    fn forged_header_detection_any_case_and_folding() {
        assert!(claims_authserv_id(
            "mx.example.org; smime=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            " MX.Example.ORG;\n\tsmime=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            "(forged) mx.example.org 1; none",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            "\n mx.example.org\n ; smime=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "other.example.org; smime=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "mx.example.org.evil; smime=pass",
            "mx.example.org"
        ));
    }

    #[test]
    fn forged_header_detection_reads_rfc8601_cfws_and_quoted_ids() {
        for v in [
            "\"mx.test\"; smime=pass",
            "\"MX.\\test\" ; smime=pass",
            "((x)) mx.test; smime=pass",
            "(a\\) b) mx.test; smime=pass",
            "(one (two) three)\n\t mx.test 1; none",
            "mx.test(comment); smime=pass",
            "(unterminated mx.test; smime=pass",
            "\"mx.test; smime=pass",
        ] {
            assert!(claims_authserv_id(v, "mx.test"), "{v:?}");
        }
        for v in [
            "(mx.test) other.example; smime=pass",
            "\"mx.test.evil\"; smime=pass",
            "(unterminated other.example; smime=pass",
        ] {
            assert!(!claims_authserv_id(v, "mx.test"), "{v:?}");
        }
    }

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
