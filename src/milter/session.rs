//! Per-connection and per-message state, and what the milter answers at each stage.
//! No indymilter types here: `callbacks.rs` maps these answers to the protocol.

use std::borrow::Cow;
use std::sync::Arc;

use tracing::{debug, error, info, warn};

use crate::policy::{Action, Address, Decision, Facts, Headers, RecipientVerdict, SenderVerdict};
use crate::runtime::{InFlight, Runtime, Shared};

/// Most header bytes kept for header-scoped policies (Postfix's own default limit is 100 KB).
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// Recipients named one per line in a whole-message refusal; the rest are counted.
const MAX_NAMED_RECIPIENTS: usize = 20;

pub const ANNOTATION_HEADER: &str = "X-Mailwarden-Policy";

/// Header edits at end of message: delete `ANNOTATION_HEADER` occurrences (1-based,
/// highest first so indices stay valid), then add headers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HeaderChanges {
    pub delete: Vec<i32>,
    pub add: Vec<(String, String)>,
}

/// What to answer the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Continue,
    /// A permanent refusal: SMTP code, enhanced code, reply lines.
    Reject {
        code: &'static str,
        xcode: &'static str,
        lines: Vec<String>,
    },
    /// 451 4.3.0: we could not decide; the client retries.
    Tempfail {
        reason: &'static str,
    },
}

impl Answer {
    fn reject(lines: Vec<String>) -> Self {
        Self::Reject {
            code: "550",
            xcode: "5.7.1",
            lines,
        }
    }
}

/// The message edits the milter may make, as negotiated with the MTA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edits {
    pub add_header: bool,
    pub change_header: bool,
    pub quarantine: bool,
    pub replace_body: bool,
}

impl Edits {
    /// What the configuration can use: header edits for annotations and S/MIME verdicts,
    /// quarantine for S/MIME actions, body replacement for decrypted delivery.
    pub fn needed(rt: &Runtime) -> Edits {
        let annotate = rt.policies.policies.iter().any(|p| p.annotate);
        let smime = rt.smime.as_ref();
        Edits {
            add_header: annotate || smime.is_some(),
            change_header: annotate || smime.is_some(),
            quarantine: smime.is_some(),
            replace_body: smime.is_some()
                && rt.settings.smime.deliver == crate::policy::smime_action::DeliverMode::Decrypted,
        }
    }

    /// The edits `need` asks for that `self` lacks, by their protocol names.
    pub fn missing(self, need: Edits) -> Vec<&'static str> {
        [
            (
                need.add_header && !self.add_header,
                "add header (SMFIF_ADDHDRS)",
            ),
            (
                need.change_header && !self.change_header,
                "change header (SMFIF_CHGHDRS)",
            ),
            (
                need.quarantine && !self.quarantine,
                "quarantine (SMFIF_QUARANTINE)",
            ),
            (
                need.replace_body && !self.replace_body,
                "replace body (SMFIF_CHGBODY)",
            ),
        ]
        .into_iter()
        .filter_map(|(lacking, name)| lacking.then_some(name))
        .collect()
    }
}

/// Macros of the current stage that the session uses.
/// The macros of one stage, borrowed from the MTA's packet: copied only when kept.
#[derive(Debug, Clone, Default)]
pub struct StageMacros<'a> {
    pub queue_id: Option<Cow<'a, str>>,
    pub daemon_name: Option<Cow<'a, str>>,
    pub auth_user: Option<Cow<'a, str>>,
}

pub struct Transaction {
    runtime: Arc<Runtime>,
    queue_id: Option<String>,
    daemon_name: Option<String>,
    auth_user: Option<String>,
    sender: Address,
    /// The policy decision so far: the sender's verdict and each accepted recipient's.
    decision: Decision,
    headers: Headers,
    header_bytes: usize,
    headers_overflow: bool,
    /// How many `X-Mailwarden-Policy` headers arrived (forged or stale; removed at EOM).
    annotations_seen: i32,
    /// The message being captured for S/MIME verification, when that is on.
    smime: Option<super::smime::Capture>,
    _in_flight: InFlight,
}

impl Transaction {
    fn qid(&self) -> &str {
        self.queue_id.as_deref().unwrap_or("NONE")
    }

    fn facts<'a>(&'a self, directory: &'a dyn crate::policy::DirectoryAnswers) -> Facts<'a> {
        Facts {
            directory,
            daemon_name: self.daemon_name.as_deref(),
            auth_user: self.auth_user.as_deref(),
            sender: &self.sender,
            headers: Some(&self.headers),
            delimiters: &self.runtime.settings.subaddress_delimiter,
        }
    }

    fn note_macros(&mut self, m: StageMacros<'_>) {
        if let Some(id) = m.queue_id
            && self.queue_id.as_deref() != Some(&*id)
        {
            self.queue_id = Some(id.into_owned());
        }
    }
}

pub struct Session {
    shared: Arc<Shared>,
    /// Whether this connection negotiated header delivery.
    pub receives_headers: bool,
    /// Whether this connection negotiated body delivery (S/MIME needs it).
    pub receives_body: bool,
    /// The edits this connection negotiated.
    pub edits: Edits,
    txn: Option<Transaction>,
    /// Counts this connection in `mailwarden_milter_sessions_active` while it lives.
    _connection: crate::metrics::SessionGuard,
}

impl Session {
    pub fn new(
        shared: Arc<Shared>,
        receives_headers: bool,
        receives_body: bool,
        edits: Edits,
    ) -> Self {
        Self {
            shared,
            receives_headers,
            receives_body,
            edits,
            txn: None,
            _connection: crate::metrics::SessionGuard::open(),
        }
    }

    /// MAIL FROM: a new transaction with the current rule snapshot.
    pub async fn mail(&mut self, sender_arg: Option<&str>, macros: StageMacros<'_>) -> Answer {
        self.txn = None;
        let runtime = self.shared.snapshot();
        let smime_on = runtime.smime.is_some();
        if (runtime.policies.wants_headers() || smime_on) && !self.receives_headers
            || smime_on && !self.receives_body
        {
            // Rules changed to need headers after this connection negotiated without them.
            warn!(
                generation = runtime.generation,
                "connection negotiated without headers; asking the client to retry"
            );
            return Answer::Tempfail {
                reason: "policy reloaded, please retry",
            };
        }
        let missing = self.edits.missing(Edits::needed(&runtime));
        if !missing.is_empty() {
            // Never deliver without the edits we promise (forged headers removed, our
            // verdict added): the MTA must allow them, or the settings just changed.
            error!(
                generation = runtime.generation,
                missing = %missing.join(", "),
                "this milter connection may not make the message changes the settings need; tempfail (allow them in the MTA, or reconnect after a reload)"
            );
            return Answer::Tempfail {
                reason: "message changes not permitted by the MTA",
            };
        }
        let sender = match Address::envelope(
            sender_arg.unwrap_or("<>"),
            &runtime.settings.subaddress_delimiter,
        ) {
            Ok(a) => a,
            Err(e) => return bad_address("sender", sender_arg.unwrap_or(""), e),
        };
        let capture = runtime
            .smime
            .as_ref()
            .map(|_| super::smime::Capture::new(runtime.settings.smime.max_message_size));
        let txn = Transaction {
            runtime,
            queue_id: macros.queue_id.map(Cow::into_owned),
            daemon_name: macros.daemon_name.map(Cow::into_owned),
            auth_user: macros.auth_user.map(Cow::into_owned),
            sender,
            decision: Decision::new(SenderVerdict::NotChecked),
            headers: Headers::new(),
            header_bytes: 0,
            headers_overflow: false,
            annotations_seen: 0,
            smime: capture,
            _in_flight: self.shared.begin_message(),
        };
        crate::metrics::message_seen();
        let mut txn = txn;
        let runtime = txn.runtime.clone();
        let verdict = runtime
            .directories
            .decide(|d| {
                runtime.policies.at_mail(&Facts {
                    headers: None,
                    ..txn.facts(d)
                })
            })
            .await;
        let answer = sender_answer(&txn, verdict.clone(), "envelope");
        if answer == Answer::Continue {
            txn.decision.sender = verdict;
            self.txn = Some(txn);
        }
        answer
    }

    /// RCPT TO: refuse this recipient alone, or remember it.
    pub async fn rcpt(&mut self, rcpt_arg: Option<&str>, macros: StageMacros<'_>) -> Answer {
        let Some(txn) = self.txn.as_mut() else {
            error!("RCPT without a transaction");
            return Answer::Tempfail {
                reason: "internal error",
            };
        };
        txn.note_macros(macros);
        let Some(raw) = rcpt_arg else {
            return Answer::Tempfail {
                reason: "internal error",
            };
        };
        let rcpt = match Address::envelope(raw, &txn.runtime.settings.subaddress_delimiter) {
            Ok(a) => a,
            Err(e) => return bad_address("recipient", raw, e),
        };
        let runtime = txn.runtime.clone();
        let txn_now = &*txn;
        let verdict = runtime
            .directories
            .decide(|d| {
                runtime.policies.at_rcpt(
                    &Facts {
                        headers: None,
                        ..txn_now.facts(d)
                    },
                    &rcpt,
                )
            })
            .await;
        if verdict.action == Action::Tempfail {
            return unavailable(txn, verdict.policy.as_deref().unwrap_or("-"), Some(&rcpt));
        }
        if verdict.is_rejected() {
            info!(
                queue_id = %txn.qid(),
                policy = %verdict.policy.as_deref().unwrap_or("-"),
                sender = %txn.sender,
                rcpt = %rcpt,
                rule = %rule_text(&verdict.rule),
                "recipient refused"
            );
            crate::metrics::decision(verdict.policy.as_deref().unwrap_or("-"), "reject");
            return Answer::reject(vec![verdict.reply.unwrap_or_default()]);
        }
        if let Some(w) = &verdict.would_refuse {
            would_refuse(txn, w, Some(&rcpt), "envelope");
        }
        txn.decision.recipients.push((rcpt, verdict));
        Answer::Continue
    }

    pub fn header(&mut self, name: &str, value: &str) -> Answer {
        let Some(txn) = self.txn.as_mut() else {
            return Answer::Continue;
        };
        if name.eq_ignore_ascii_case(ANNOTATION_HEADER) {
            txn.annotations_seen += 1;
        }
        if let (Some(capture), Some(_)) = (txn.smime.as_mut(), txn.runtime.smime.as_ref()) {
            capture.header(name, value, &txn.runtime.settings.smime.authserv_id);
        }
        txn.header_bytes += name.len() + value.len() + 4;
        if txn.header_bytes > MAX_HEADER_BYTES {
            txn.headers_overflow = true;
        } else {
            txn.headers.push(name, value);
        }
        Answer::Continue
    }

    /// End of headers: the header-scoped policies decide for the whole message.
    pub async fn end_of_headers(&mut self, macros: StageMacros<'_>) -> Answer {
        let Some(txn) = self.txn.as_mut() else {
            return Answer::Continue;
        };
        txn.note_macros(macros);
        if let Some(capture) = txn.smime.as_mut() {
            capture.end_of_headers();
        }
        let policies = &txn.runtime.policies;
        if !policies.needs_headers() {
            return Answer::Continue;
        }
        if txn.headers_overflow {
            warn!(
                queue_id = %txn.qid(),
                bytes = txn.header_bytes,
                "header too large for policy checks"
            );
            return Answer::Reject {
                code: "552",
                xcode: "5.3.4",
                lines: vec![format!(
                    "Message header larger than {MAX_HEADER_BYTES} bytes"
                )],
            };
        }

        let before: Vec<bool> = txn
            .decision
            .recipients
            .iter()
            .map(|(_, v)| v.stops())
            .collect();
        let sender_before = txn.decision.sender.stops();
        let reported_before: Vec<bool> = txn
            .decision
            .recipients
            .iter()
            .map(|(_, v)| v.would_refuse.is_some())
            .collect();
        let sender_reported_before = matches!(txn.decision.sender, SenderVerdict::WouldReject(_));
        let runtime = txn.runtime.clone();
        let envelope_decision = txn.decision.clone();
        let txn_now = &*txn;
        let decision = runtime
            .directories
            .decide(|d| {
                let mut decision = envelope_decision.clone();
                runtime
                    .policies
                    .at_end_of_headers(&txn_now.facts(d), &mut decision);
                decision
            })
            .await;
        txn.decision = decision;
        let txn = &*txn;
        let d = &txn.decision;
        // What report-mode policies would have refused at this stage.
        if let (SenderVerdict::WouldReject(w), false) = (&d.sender, sender_reported_before) {
            would_refuse(txn, w, None, "headers");
        }
        for ((r, v), before) in d.recipients.iter().zip(&reported_before) {
            if let (Some(w), false) = (&v.would_refuse, before) {
                would_refuse(txn, w, Some(r), "headers");
            }
        }
        if d.action == Action::Accept {
            return Answer::Continue;
        }
        let mut lines = Vec::new();
        // A refusal anywhere is final (Decision::final_action); 451 only when nothing
        // refused and a policy could not decide.
        if !sender_before {
            match (&d.sender, d.action) {
                (SenderVerdict::Unavailable { policy }, Action::Tempfail) => {
                    return unavailable(txn, policy, None);
                }
                (SenderVerdict::Rejected { .. }, _) => {
                    if let Answer::Reject { lines: l, .. } =
                        sender_answer(txn, d.sender.clone(), "headers")
                    {
                        lines = l;
                    }
                }
                _ => {}
            }
        }
        if let Err(answer) = refuse_recipients_at_headers(txn, &before, &mut lines) {
            return answer;
        }
        if lines.is_empty() {
            // Undecidable without a named policy: never accept by accident.
            return Answer::Tempfail {
                reason: "policy rules unavailable",
            };
        }
        Answer::reject(lines)
    }

    /// A body chunk, kept for S/MIME verification.
    pub fn body(&mut self, chunk: &[u8]) -> Answer {
        if let Some(capture) = self.txn.as_mut().and_then(|t| t.smime.as_mut()) {
            capture.body(chunk);
        }
        Answer::Continue
    }

    /// End of message: the header changes to make and the S/MIME verification to run,
    /// then the transaction ends.
    pub fn end_of_message(
        &mut self,
        macros: StageMacros<'_>,
    ) -> (HeaderChanges, Option<super::smime::Job>) {
        let Some(mut txn) = self.txn.take() else {
            return (HeaderChanges::default(), None);
        };
        txn.note_macros(macros);
        let annotating = txn.runtime.policies.policies.iter().any(|p| p.annotate);
        // Nothing depends on the scope without annotations or S/MIME: skip working it out.
        let (add, overrides) = if annotating || txn.smime.is_some() {
            scoped_edits(&txn)
        } else {
            (Vec::new(), Vec::new())
        };
        // Only our own annotation may reach downstream: upstream ones could be forged.
        let delete = if annotating {
            (1..=txn.annotations_seen).rev().collect()
        } else {
            Vec::new()
        };
        info!(
            queue_id = %txn.qid(),
            sender = %txn.sender,
            rcpts = txn.decision.recipients.len(),
            generation = txn.runtime.generation,
            "message accepted"
        );
        for (_, v) in &txn.decision.recipients {
            if let Some(policy) = &v.policy {
                crate::metrics::decision_of(policy, "accept");
            }
        }
        let job = match (txn.smime.take(), txn.runtime.smime.clone()) {
            (Some(capture), Some(engine)) => Some(super::smime::Job {
                runtime: txn.runtime.clone(),
                overrides,
                engine,
                capture,
                queue_id: txn.qid().to_string(),
                sender: txn.sender.clone(),
            }),
            _ => None,
        };
        (HeaderChanges { delete, add }, job)
    }

    pub fn abort(&mut self) {
        self.txn = None;
    }
}

/// The recipients the header stage refused (those still open before it), as reply lines;
/// `Err` with a 451 when a policy could not decide and nothing refused.
fn refuse_recipients_at_headers(
    txn: &Transaction,
    before: &[bool],
    lines: &mut Vec<String>,
) -> Result<(), Answer> {
    let d = &txn.decision;
    let judged = d
        .recipients
        .iter()
        .zip(before.iter().copied())
        .filter(|(_, stopped)| !stopped);
    let mut refused = Vec::new();
    for ((rcpt, v), _) in judged {
        if v.action == Action::Tempfail && d.action == Action::Tempfail {
            return Err(unavailable(
                txn,
                v.policy.as_deref().unwrap_or("-"),
                Some(rcpt),
            ));
        }
        if v.is_rejected() {
            info!(
                queue_id = %txn.qid(),
                policy = %v.policy.as_deref().unwrap_or("-"),
                sender = %txn.sender,
                rcpt = %rcpt,
                rule = %rule_text(&v.rule),
                stage = "headers",
                "recipient refused"
            );
            crate::metrics::decision(v.policy.as_deref().unwrap_or("-"), "reject");
            refused.push((rcpt, v));
        }
    }
    if !refused.is_empty() {
        let policy = refused[0].1.policy.as_deref().unwrap_or("-");
        lines.push(format!(
            "Message refused by policy {policy}: recipients not allowed:"
        ));
        for (rcpt, _) in refused.iter().take(MAX_NAMED_RECIPIENTS) {
            lines.push(format!("<{}>", reply_safe(rcpt.as_str())));
        }
        if refused.len() > MAX_NAMED_RECIPIENTS {
            lines.push(format!("and {} more", refused.len() - MAX_NAMED_RECIPIENTS));
        }
    }
    Ok(())
}

/// The policies in scope, whichever stage decided them: our annotation header, and the
/// `smime_actions` that apply.
fn scoped_edits(
    txn: &Transaction,
) -> (
    Vec<(String, String)>,
    Vec<Option<crate::policy::smime_action::ActionsOverride>>,
) {
    let facts = txn.facts(&crate::policy::NoDirectories);
    let accepted = txn.decision.recipients.iter().map(|(a, _)| a);
    let in_scope: Vec<&crate::policy::Policy> =
        txn.runtime.policies.in_scope(&facts, accepted).collect();
    let annotated: Vec<&str> = in_scope
        .iter()
        .filter(|p| p.annotate)
        .map(|p| &*p.name)
        .collect();
    let mut add = Vec::new();
    if !annotated.is_empty() {
        add.push((
            ANNOTATION_HEADER.to_owned(),
            annotation(&annotated, &txn.decision.recipients),
        ));
    }
    let overrides = in_scope.iter().map(|p| p.smime_actions).collect();
    (add, overrides)
}

/// The decision for downstream systems. Method, param and flags are per recipient, so
/// they are given only for a single-recipient message: with several, one recipient's
/// details (a Bcc recipient's phone number, say) would be shown to the others.
fn annotation(policies: &[&str], recipients: &[(Address, RecipientVerdict)]) -> String {
    let mut v = format!("accepted; policy={}", policies.join(","));
    if let [(_, verdict)] = recipients {
        if let Some(m) = &verdict.method {
            v.push_str(&format!("; method={}", reply_safe(m)));
            v.push_str(&format!(
                "; param={}",
                verdict
                    .param
                    .as_deref()
                    .map(reply_safe)
                    .unwrap_or_else(|| "-".into())
            ));
            v.push_str(&format!("; flags={}", verdict.flags.unwrap_or(0)));
        }
    } else {
        v.push_str(&format!("; recipients={}", recipients.len()));
    }
    v
}

fn reply_safe(s: &str) -> String {
    crate::diag::printable(s, crate::diag::Placement::Token)
}

/// The answer to a sender verdict, logged once, at either stage.
fn sender_answer(txn: &Transaction, verdict: SenderVerdict, stage: &'static str) -> Answer {
    match verdict {
        SenderVerdict::Rejected {
            policy,
            rule,
            address,
            reply,
        } => {
            info!(queue_id = %txn.qid(), policy = %policy, sender = %address, rule = %rule_text(&rule), stage, "sender refused");
            crate::metrics::decision(&policy, "reject");
            Answer::reject(vec![reply])
        }
        SenderVerdict::Accepted { policy, rule } => {
            debug!(queue_id = %txn.qid(), policy = %policy, sender = %txn.sender, rule = %rule_text(&rule), stage, "sender accepted");
            Answer::Continue
        }
        SenderVerdict::NotChecked => Answer::Continue,
        SenderVerdict::Unavailable { policy } => unavailable(txn, &policy, None),
        SenderVerdict::WouldReject(w) => {
            would_refuse(txn, &w, None, stage);
            Answer::Continue
        }
    }
}

/// A refusal a policy in report mode made: logged at info and counted, not enforced.
fn would_refuse(
    txn: &Transaction,
    w: &crate::policy::WouldRefuse,
    rcpt: Option<&Address>,
    stage: &'static str,
) {
    info!(
        queue_id = %txn.qid(),
        policy = %w.policy,
        address = %w.address,
        rcpt = %rcpt.map(ToString::to_string).unwrap_or_default(),
        rule = %rule_text(&w.rule),
        reply = %w.reply,
        stage,
        "would refuse (report mode)"
    );
    crate::metrics::decision(&w.policy, "would_reject");
}

/// An envelope address no MTA would accept (Postfix refuses these itself; Sendmail and
/// `smtpd_milters` on other MTAs may pass them on): refused before any policy sees it.
fn bad_address(role: &str, raw: &str, e: crate::policy::AddressError) -> Answer {
    info!(role, address = %reply_safe(raw), problem = %e, "malformed envelope address refused");
    Answer::Reject {
        code: "501",
        xcode: if role == "sender" { "5.1.7" } else { "5.1.3" },
        lines: vec![format!("Bad {role} address syntax: {e}")],
    }
}

/// A policy whose rules never loaded: 451, so the client retries.
fn unavailable(txn: &Transaction, policy: &str, rcpt: Option<&Address>) -> Answer {
    error!(queue_id = %txn.qid(), policy, rcpt = %rcpt.map(ToString::to_string).unwrap_or_default(), "rules of this policy are not loaded; tempfail");
    crate::metrics::decision(policy, "tempfail");
    Answer::Tempfail {
        reason: "policy rules unavailable",
    }
}

fn rule_text(rule: &Option<crate::policy::RuleRef>) -> String {
    rule.as_ref()
        .map_or_else(|| "no match".to_owned(), ToString::to_string)
}
