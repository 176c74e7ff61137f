//! Policies and their evaluation. Pure: no I/O, no logging, no clock.

use std::sync::Arc;

use super::ruleset::{AccessRuleFile, AllowlistFile, RuleRef};
use super::verdict::{Action, Decision, RecipientVerdict, SenderVerdict, WouldRefuse};
use crate::mail::address::Address;
use crate::mail::reader::{FromMailboxes, decoded_text, from_mailboxes};
use serde::Deserialize;

use super::lookup::{DirectoryAnswers, DirectoryQuery, DirectoryUnavailable, RuleHit};
use super::smime_action::ActionsOverride;

/// Why a sender check did not pass.
enum SenderRefusal {
    /// Refused: the deciding rule (none: no match) and the address.
    Refuse(Option<RuleRef>, Address),
    /// A directory the decision needs could not answer.
    Unavailable,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoMatch {
    #[default]
    Reject,
    Accept,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderSource {
    #[default]
    Envelope,
    Header,
    Both,
}

pub const DEFAULT_SENDER_REPLY: &str =
    "Sender {sender} is not allowed to send here (policy {policy})";
pub const DEFAULT_RECIPIENT_REPLY: &str =
    "Sender {sender} may not send to {recipient} (policy {policy})";

/// When the milter can decide a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// At MAIL FROM / RCPT TO: the policy needs only envelope and connection facts.
    Envelope,
    /// At end of headers: the policy looks at Subject, another header or From:.
    Headers,
}

#[derive(Debug, Clone)]
pub struct HeaderCondition {
    /// Lower-case header name.
    pub name: String,
    /// Searched (not anchored) in the value, case-insensitive; `None`: presence suffices.
    pub value: Option<regex::Regex>,
}

/// The `when` selector; every given key must hold.
#[derive(Debug, Clone, Default)]
pub struct When {
    pub daemon_name: Vec<String>,
    /// Lower-case domains; a recipient-level condition.
    pub recipient_domain: Vec<String>,
    /// Lower-case substring of Subject.
    pub subject_tag: Option<String>,
    pub header: Option<HeaderCondition>,
    pub authenticated: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: Arc<str>,
    pub when: When,
    pub sender_allowlist: Vec<Arc<AllowlistFile>>,
    pub access_rules: Vec<Arc<AccessRuleFile>>,
    /// Directory lookups of the allowlist, each asked where the settings list it.
    pub sender_directory: Vec<Arc<DirectoryQuery>>,
    /// Directory lookups of the access rules, each asked where the settings list it.
    pub access_directory: Vec<Arc<DirectoryQuery>>,
    pub no_match: NoMatch,
    pub sender_source: SenderSource,
    pub sender_reply: String,
    pub recipient_reply: String,
    pub annotate: bool,
    /// S/MIME actions for mail in this policy's scope (overrides `[smime] actions`).
    pub smime_actions: Option<ActionsOverride>,
    /// False while a file it needs has never loaded: it then answers tempfail in its scope.
    pub available: bool,
    /// `report`: decide as usual, but only report refusals (`would refuse`).
    pub mode: Mode,
}

/// `[[policy]] mode`: whether a policy's refusals are enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Enforce,
    /// Decide exactly as in enforce mode, then accept: for rolling a policy out.
    Report,
}

impl Policy {
    /// Whether it checks senders against an allowlist (files or directory).
    pub fn has_allowlist(&self) -> bool {
        !self.sender_allowlist.is_empty() || !self.sender_directory.is_empty()
    }

    /// Whether it checks recipients against access rules (files or directory).
    pub fn has_access_rules(&self) -> bool {
        !self.access_rules.is_empty() || !self.access_directory.is_empty()
    }

    pub fn stage(&self) -> Stage {
        if self.when.subject_tag.is_some()
            || self.when.header.is_some()
            || self.sender_source != SenderSource::Envelope
        {
            Stage::Headers
        } else {
            Stage::Envelope
        }
    }

    fn message_conditions_hold(&self, facts: &Facts<'_>) -> bool {
        let w = &self.when;
        if !w.daemon_name.is_empty()
            && !facts
                .daemon_name
                .is_some_and(|d| w.daemon_name.iter().any(|n| n == d))
        {
            return false;
        }
        if let Some(want) = w.authenticated
            && facts.auth_user.is_some_and(|u| !u.is_empty()) != want
        {
            return false;
        }
        // Any instance of the header counts, as received or as a reader sees it (encoded
        // words decoded): a second Subject or an encoded tag must not step out of scope.
        let headers = facts.headers.unwrap_or(&EMPTY_HEADERS);
        if let Some(tag) = &w.subject_tag {
            let tagged = |v: &str| v.to_lowercase().contains(tag.as_str());
            if !headers
                .all("subject")
                .any(|s| tagged(s) || decoded_text(s).is_some_and(|d| tagged(&d)))
            {
                return false;
            }
        }
        if let Some(cond) = &w.header {
            let holds = |v: &str| cond.value.as_ref().is_none_or(|re| re.is_match(v));
            let found = headers
                .all(&cond.name)
                .any(|v| holds(v) || decoded_text(v).is_some_and(|d| holds(&d)));
            if !found {
                return false;
            }
        }
        true
    }

    fn recipient_condition_holds(&self, rcpt: &Address) -> bool {
        self.when.recipient_domain.is_empty()
            || rcpt
                .domain()
                .is_some_and(|d| self.when.recipient_domain.iter().any(|w| w == d))
    }

    /// The senders this policy checks: the envelope sender, every From: mailbox, or both,
    /// each with every reading the MTA may route it to (`Address::readings`): all must
    /// pass. `Err` names the address to refuse when From: identifies nobody (no From:, no
    /// mailbox, a group or an unreadable entry): a header-scoped check never passes then.
    fn senders(&self, facts: &Facts<'_>) -> Result<Vec<Address>, Address> {
        let mut out = Vec::new();
        if self.sender_source != SenderSource::Header {
            out.extend(facts.sender.readings().cloned());
        }
        if self.sender_source != SenderSource::Envelope {
            let from = facts
                .headers
                .map(|h| h.from_mailboxes(facts.delimiters))
                .unwrap_or_default();
            if !from.identifies_author() {
                return Err(from
                    .mailboxes
                    .first()
                    .cloned()
                    .unwrap_or_else(Address::null));
            }
            out.extend(from.mailboxes.iter().flat_map(|m| m.readings().cloned()));
        }
        Ok(out)
    }

    /// First match over the allowlist's sources in order, for every sender: all must be
    /// allowed. A From: that identifies nobody is a refusal.
    fn check_senders(&self, facts: &Facts<'_>) -> Result<Option<RuleRef>, SenderRefusal> {
        let senders = self
            .senders(facts)
            .map_err(|a| SenderRefusal::Refuse(None, a))?;
        let mut accepted_by = None;
        for s in &senders {
            match self.allowlist_hit(facts, s) {
                Ok(Some((rule, false))) => accepted_by = accepted_by.or(Some(rule)),
                Ok(Some((rule, true))) => return Err(SenderRefusal::Refuse(Some(rule), s.clone())),
                Ok(None) => return Err(SenderRefusal::Refuse(None, s.clone())),
                Err(DirectoryUnavailable) => return Err(SenderRefusal::Unavailable),
            }
        }
        Ok(accepted_by)
    }

    /// The first source of the allowlist, files and lookups in the order listed, that
    /// lists `sender`, and whether its entry denies (`!address`). `Err`: a lookup asked
    /// before any source listed the sender could not answer.
    fn allowlist_hit(
        &self,
        facts: &Facts<'_>,
        sender: &Address,
    ) -> Result<Option<(RuleRef, bool)>, DirectoryUnavailable> {
        for source in listed_order(&self.sender_allowlist, &self.sender_directory) {
            match source {
                Source::File(f) => {
                    if let Some(e) = f.first_match(sender) {
                        return Ok(Some((f.rule_ref(e), e.deny)));
                    }
                }
                Source::Lookup(q) => {
                    if let Some(source) = q.allows(facts.directory, sender)? {
                        return Ok(Some((source, false)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// The access rules for one sender and recipient: the first match over files and
    /// lookups in the order listed. `Err`: a lookup could not answer.
    fn first_rule(
        &self,
        facts: &Facts<'_>,
        sender: &Address,
        rcpt: &Address,
    ) -> Result<Option<RuleHit>, DirectoryUnavailable> {
        for source in listed_order(&self.access_rules, &self.access_directory) {
            let hit = match source {
                Source::File(f) => f.first_match(sender, rcpt).map(RuleHit::from),
                Source::Lookup(q) => q.first_rule(facts.directory, sender, rcpt)?,
            };
            if hit.is_some() {
                return Ok(hit);
            }
        }
        Ok(None)
    }

    fn reply(&self, template: &str, sender: &Address, rcpt: Option<&Address>) -> String {
        template
            .replace("{policy}", &reply_safe(&self.name))
            .replace("{sender}", &format!("<{}>", reply_safe(sender.as_str())))
            .replace(
                "{recipient}",
                &rcpt
                    .map(|r| format!("<{}>", reply_safe(r.as_str())))
                    .unwrap_or_default(),
            )
    }
}

/// One source of a rule list: a file, or a directory lookup standing where one could.
enum Source<'a, F> {
    File(&'a F),
    Lookup(&'a DirectoryQuery),
}

/// A list's files and lookups in the order the settings name them (each lookup knows how
/// many files come before it).
fn listed_order<'a, F>(
    files: &'a [Arc<F>],
    lookups: &'a [Arc<DirectoryQuery>],
) -> impl Iterator<Item = Source<'a, F>> {
    let mut files = files.iter().enumerate().peekable();
    let mut lookups = lookups.iter().peekable();
    std::iter::from_fn(move || match (files.peek(), lookups.peek()) {
        (Some((k, _)), Some(q)) if q.files_before <= *k => {
            lookups.next().map(|q| Source::Lookup(q))
        }
        (Some(_), _) => files.next().map(|(_, f)| Source::File(f.as_ref())),
        (None, _) => lookups.next().map(|q| Source::Lookup(q)),
    })
}

/// Keeps attacker-controlled text printable and bounded inside an SMTP reply line.
fn reply_safe(s: &str) -> String {
    crate::diag::printable(s, crate::diag::Placement::ReplyTemplate)
}

/// Headers of a message, in order, as the milter received them.
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(String, String)>);

static EMPTY_HEADERS: Headers = Headers(Vec::new());

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every mailbox of every From: header, read as RFC 5322 (see `reader`).
    pub fn from_mailboxes(&self, delimiters: &str) -> FromMailboxes {
        from_mailboxes(self.all("from"), delimiters)
    }
}

/// Everything the core needs to know about a message at a given stage.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub daemon_name: Option<&'a str>,
    /// `{auth_authen}`: the SASL login, when the client authenticated.
    pub auth_user: Option<&'a str>,
    pub sender: &'a Address,
    /// `None` before end of headers.
    pub headers: Option<&'a Headers>,
    pub delimiters: &'a str,
    /// Answers to directory lookups (`NoDirectories` when none are configured).
    pub directory: &'a dyn DirectoryAnswers,
}

#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub policies: Vec<Policy>,
}

impl PolicySet {
    /// Whether some policy decides at end of headers.
    pub fn needs_headers(&self) -> bool {
        self.policies.iter().any(|p| p.stage() == Stage::Headers)
    }

    /// Whether the milter must see headers: to decide, or to replace forged annotations.
    pub fn wants_headers(&self) -> bool {
        self.needs_headers() || self.policies.iter().any(|p| p.annotate)
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    fn applicable<'s>(
        &'s self,
        facts: &'s Facts<'_>,
        stage: Stage,
    ) -> impl Iterator<Item = &'s Policy> + 's {
        self.policies
            .iter()
            .filter(move |p| p.stage() == stage && p.message_conditions_hold(facts))
    }

    /// Message-level sender checks: policies with an allowlist and no recipient condition.
    /// The first refusal wins; otherwise the first policy that accepted is named.
    pub fn check_sender(&self, facts: &Facts<'_>, stage: Stage) -> SenderVerdict {
        let mut verdict = SenderVerdict::NotChecked;
        let mut would = None;
        for p in self.applicable(facts, stage) {
            if !p.has_allowlist() || !p.when.recipient_domain.is_empty() {
                continue;
            }
            if !p.available {
                return SenderVerdict::Unavailable {
                    policy: p.name.clone(),
                };
            }
            match p.check_senders(facts) {
                Ok(rule) => {
                    if verdict == SenderVerdict::NotChecked {
                        verdict = SenderVerdict::Accepted {
                            policy: p.name.clone(),
                            rule,
                        };
                    }
                }
                // A policy that only reports never holds mail back.
                Err(SenderRefusal::Unavailable) if p.mode == Mode::Report => {}
                Err(SenderRefusal::Unavailable) => {
                    return SenderVerdict::Unavailable {
                        policy: p.name.clone(),
                    };
                }
                Err(SenderRefusal::Refuse(rule, address)) => {
                    let reply = p.reply(&p.sender_reply, &address, None);
                    if p.mode == Mode::Report {
                        // Later policies still decide; only the first report is kept.
                        would.get_or_insert(WouldRefuse {
                            policy: p.name.clone(),
                            rule,
                            address,
                            reply,
                        });
                        continue;
                    }
                    return SenderVerdict::Rejected {
                        policy: p.name.clone(),
                        rule,
                        address,
                        reply,
                    };
                }
            }
        }
        match would {
            Some(w) => SenderVerdict::WouldReject(w),
            None => verdict,
        }
    }

    /// Recipient checks of every reading of `rcpt` (`Address::readings`: the mailboxes the
    /// MTA may route it to), each as a recipient of its own: a refusal of any reading
    /// refuses; otherwise the first reading's verdict that a policy decided is reported.
    pub fn check_recipient(
        &self,
        facts: &Facts<'_>,
        rcpt: &Address,
        stage: Stage,
    ) -> RecipientVerdict {
        let mut verdict = self.check_recipient_reading(facts, rcpt, stage);
        for routed in rcpt.readings().skip(1) {
            if verdict.stops() {
                break;
            }
            let mut v = self.check_recipient_reading(facts, routed, stage);
            if v.stops() || verdict.policy.is_none() {
                if v.would_refuse.is_none() {
                    v.would_refuse = verdict.would_refuse.take();
                }
                verdict = v;
            } else if verdict.would_refuse.is_none() {
                verdict.would_refuse = v.would_refuse;
            }
        }
        verdict
    }

    /// Recipient checks: the access rules, and the sender allowlist of policies scoped by
    /// recipient domain. The first refusal wins; otherwise the first access-rule match is
    /// reported (its method, param and flags go downstream).
    fn check_recipient_reading(
        &self,
        facts: &Facts<'_>,
        rcpt: &Address,
        stage: Stage,
    ) -> RecipientVerdict {
        let mut verdict = RecipientVerdict::unaffected();
        let mut would = None;
        'policies: for p in self.applicable(facts, stage) {
            // A refusal: returned, or, in report mode, kept as the first report while the
            // next policy judges.
            macro_rules! refuse {
                ($rule:expr, $address:expr, $reply:expr) => {{
                    let (rule, reply) = ($rule, $reply);
                    if p.mode == Mode::Report {
                        would.get_or_insert(WouldRefuse {
                            policy: p.name.clone(),
                            rule,
                            address: Address::clone($address),
                            reply,
                        });
                        continue 'policies;
                    }
                    return refusal(p, rule, reply);
                }};
            }
            // A lookup that could not answer: tempfail, unless the policy only reports.
            macro_rules! unavailable {
                () => {{
                    if p.mode == Mode::Report {
                        continue 'policies;
                    }
                    return RecipientVerdict {
                        action: Action::Tempfail,
                        policy: Some(p.name.clone()),
                        ..RecipientVerdict::unaffected()
                    };
                }};
            }
            let checks_sender_per_rcpt = !p.when.recipient_domain.is_empty() && p.has_allowlist();
            if !p.recipient_condition_holds(rcpt)
                || (!p.has_access_rules() && !checks_sender_per_rcpt)
            {
                continue;
            }
            if verdict.policy.is_none() {
                verdict.policy = Some(p.name.clone());
            }
            if !p.available {
                return RecipientVerdict {
                    action: Action::Tempfail,
                    policy: Some(p.name.clone()),
                    ..RecipientVerdict::unaffected()
                };
            }
            if checks_sender_per_rcpt {
                match p.check_senders(facts) {
                    Ok(rule) => {
                        if verdict.rule.is_none() {
                            verdict.rule = rule;
                        }
                    }
                    Err(SenderRefusal::Unavailable) => unavailable!(),
                    Err(SenderRefusal::Refuse(rule, address)) => {
                        refuse!(
                            rule,
                            &address,
                            p.reply(&p.sender_reply, &address, Some(rcpt))
                        )
                    }
                }
            }
            if !p.has_access_rules() {
                continue;
            }
            let senders = match p.senders(facts) {
                Ok(s) => s,
                Err(nobody) => {
                    refuse!(
                        None,
                        &nobody,
                        p.reply(&p.recipient_reply, &nobody, Some(rcpt))
                    )
                }
            };
            let mut first_hit = None;
            for s in &senders {
                let Ok(hit) = p.first_rule(facts, s, rcpt) else {
                    unavailable!()
                };
                match hit {
                    Some(m) if m.deny => {
                        refuse!(
                            Some(m.rule.clone()),
                            s,
                            p.reply(&p.recipient_reply, s, Some(rcpt))
                        )
                    }
                    Some(m) => {
                        first_hit.get_or_insert(m);
                    }
                    None if p.no_match == NoMatch::Reject => {
                        refuse!(None, s, p.reply(&p.recipient_reply, s, Some(rcpt)))
                    }
                    None => {}
                }
            }
            if let Some(m) = first_hit
                && verdict.method.is_none()
            {
                verdict.policy = Some(p.name.clone());
                verdict.rule = Some(m.rule);
                verdict.method = Some(m.method);
                verdict.param = m.param;
                verdict.flags = Some(m.flags);
            }
        }
        verdict.would_refuse = would;
        verdict
    }

    /// MAIL FROM: the envelope-stage sender checks.
    pub fn at_mail(&self, facts: &Facts<'_>) -> SenderVerdict {
        self.check_sender(facts, Stage::Envelope)
    }

    /// RCPT TO: the envelope-stage checks of one recipient.
    pub fn at_rcpt(&self, facts: &Facts<'_>, rcpt: &Address) -> RecipientVerdict {
        self.check_recipient(facts, rcpt, Stage::Envelope)
    }

    /// End of headers: the header-scoped policies judge the message, and their verdicts
    /// join `d` (the envelope stage's). The one place that merges the two stages: the
    /// milter session and `mailwarden query` both call it, so they cannot disagree.
    /// Recipients already refused or undecidable are not judged again. Sets `d.action`.
    pub fn at_end_of_headers(&self, facts: &Facts<'_>, d: &mut Decision) {
        if !d.sender.stops() && d.recipients.iter().any(|(_, v)| !v.stops()) {
            let header_sender = self.check_sender(facts, Stage::Headers);
            if header_sender.stops() {
                d.refused_at_headers |= header_sender.is_rejected();
                d.unavailable_at_headers |= !header_sender.is_rejected();
                d.sender = header_sender;
            } else if d.sender == SenderVerdict::NotChecked
                || matches!(header_sender, SenderVerdict::WouldReject(_))
                    && !matches!(d.sender, SenderVerdict::WouldReject(_))
            {
                d.sender = header_sender;
            }
            for (r, v) in d.recipients.iter_mut().filter(|(_, v)| !v.stops()) {
                let mut hv = self.check_recipient(facts, r, Stage::Headers);
                if hv.stops() {
                    d.refused_at_headers |= hv.is_rejected();
                    d.unavailable_at_headers |= !hv.is_rejected();
                    *v = hv;
                } else if v.policy.is_none() || (v.method.is_none() && hv.method.is_some()) {
                    if hv.would_refuse.is_none() {
                        hv.would_refuse = v.would_refuse.take();
                    }
                    *v = hv;
                } else if v.would_refuse.is_none() {
                    v.would_refuse = hv.would_refuse;
                }
            }
        }
        d.action = d.final_action();
    }

    /// The whole decision the milter would reach: envelope stage, then header stage.
    pub fn evaluate(&self, facts: &Facts<'_>, recipients: &[Address]) -> Decision {
        let envelope = Facts {
            headers: None,
            ..*facts
        };
        let mut d = Decision::new(self.at_mail(&envelope));
        for r in recipients {
            d.recipients.push((r.clone(), self.at_rcpt(&envelope, r)));
        }
        self.at_end_of_headers(facts, &mut d);
        d
    }

    /// The policies whose scope an accepted message is in, in settings order: their
    /// `annotate` and `smime_actions` apply. A policy is in scope when its `when` holds
    /// for the message (headers included) and it checked something of it: the sender, or
    /// a recipient it covers. `recipients` are the accepted ones.
    pub fn in_scope<'s, R>(
        &'s self,
        facts: &'s Facts<'_>,
        recipients: R,
    ) -> impl Iterator<Item = &'s Policy> + 's
    where
        R: Iterator<Item = &'s Address> + Clone + 's,
    {
        self.policies.iter().filter(move |p| {
            if !p.message_conditions_hold(facts) {
                return false;
            }
            let message_level = p.has_allowlist() && p.when.recipient_domain.is_empty();
            message_level
                || recipients
                    .clone()
                    .flat_map(Address::readings)
                    .any(|r| p.recipient_condition_holds(r))
        })
    }
}

fn refusal(p: &Policy, rule: Option<RuleRef>, reply: String) -> RecipientVerdict {
    RecipientVerdict {
        action: Action::Reject,
        policy: Some(p.name.clone()),
        rule,
        method: None,
        param: None,
        flags: None,
        reply: Some(reply),
        would_refuse: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ruleset::{parse_access_rules, parse_allowlist};
    use std::path::Path;

    fn allow(name: &str, text: &str) -> Arc<AllowlistFile> {
        let (f, e) = parse_allowlist(Path::new(name), text.as_bytes());
        assert!(e.is_empty(), "{e:?}");
        Arc::new(f)
    }

    fn access(name: &str, text: &str) -> Arc<AccessRuleFile> {
        let (f, e) = parse_access_rules(Path::new(name), text.as_bytes());
        assert!(e.is_empty(), "{e:?}");
        Arc::new(f)
    }

    fn policy(name: &str) -> Policy {
        Policy {
            name: name.into(),
            when: When::default(),
            sender_allowlist: vec![],
            access_rules: vec![],
            sender_directory: vec![],
            access_directory: vec![],
            no_match: NoMatch::Reject,
            sender_source: SenderSource::Envelope,
            sender_reply: DEFAULT_SENDER_REPLY.into(),
            recipient_reply: DEFAULT_RECIPIENT_REPLY.into(),
            annotate: false,
            smime_actions: None,
            available: true,
            mode: Mode::Enforce,
        }
    }

    fn a(s: &str) -> Address {
        Address::parse(s, "+")
    }

    fn facts<'a>(sender: &'a Address, headers: Option<&'a Headers>) -> Facts<'a> {
        Facts {
            daemon_name: Some("secure"),
            auth_user: None,
            sender,
            headers,
            delimiters: "+",
            directory: &crate::policy::NoDirectories,
        }
    }

    #[test]
    fn report_mode_decides_but_only_reports_and_never_hides_an_enforced_refusal() {
        let mut rollout = policy("rollout");
        rollout.mode = Mode::Report;
        rollout.sender_allowlist = vec![allow("new", "alice@example.org\n")];
        let set = PolicySet {
            policies: vec![rollout.clone()],
        };
        let s = a("mallory@example.org");
        let v = set.check_sender(&facts(&s, None), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::WouldReject(w) if &*w.policy == "rollout" && w.rule.is_none() && w.address == s),
            "{v:?}"
        );
        assert!(!v.stops());
        let ok = a("alice@example.org");
        assert!(matches!(
            set.check_sender(&facts(&ok, None), Stage::Envelope),
            SenderVerdict::Accepted { .. }
        ));
        // An enforcing policy after it still refuses.
        let mut strict = policy("strict");
        strict.sender_allowlist = vec![allow("old", "bob@example.org\n")];
        let set = PolicySet {
            policies: vec![rollout.clone(), strict],
        };
        let v = set.check_sender(&facts(&s, None), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::Rejected { policy, .. } if &**policy == "strict"),
            "{v:?}"
        );
        // Recipients: the access rules decide, the refusal is reported, the recipient accepted.
        let mut rcpts = policy("rcpt-rollout");
        rcpts.mode = Mode::Report;
        rcpts.access_rules = vec![access("rules", "* user@customer.fi <reg> - 0\n")];
        let set = PolicySet {
            policies: vec![rcpts],
        };
        let v = set.at_rcpt(&facts(&s, None), &a("other@customer.fi"));
        assert_eq!(v.action, Action::Accept, "{v:?}");
        let w = v.would_refuse.expect("a reported refusal");
        assert_eq!((&*w.policy, w.rule), ("rcpt-rollout", None));
        let v = set.at_rcpt(&facts(&s, None), &a("user@customer.fi"));
        assert!(
            v.would_refuse.is_none() && v.method.as_deref() == Some("reg"),
            "{v:?}"
        );
    }

    #[test]
    fn manual_allowlist_is_checked_before_synced_one() {
        let mut p = policy("d-envelope");
        p.sender_allowlist = vec![
            allow("manual", "!blocked@example.org\n"),
            allow("ldap", "@example.org\n"),
        ];
        let set = PolicySet { policies: vec![p] };
        let s = a("blocked@example.org");
        let v = set.check_sender(&facts(&s, None), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::Rejected { rule: Some(r), .. } if r.to_string() == "manual:1"),
            "{v:?}"
        );
        let s = a("ok@example.org");
        let v = set.check_sender(&facts(&s, None), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::Accepted { rule: Some(r), .. } if r.to_string() == "ldap:1"),
            "{v:?}"
        );
        let s = a("x@elsewhere.example");
        let v = set.check_sender(&facts(&s, None), Stage::Envelope);
        let SenderVerdict::Rejected {
            rule: None, reply, ..
        } = v
        else {
            panic!("{v:?}")
        };
        assert_eq!(
            reply,
            "Sender <x@elsewhere.example> is not allowed to send here (policy d-envelope)"
        );
    }

    /// Every lookup is answered with `entries`, or unavailable (`None`).
    #[derive(Debug)]
    struct Answering(Option<Vec<crate::policy::lookup::Entry>>);

    impl DirectoryAnswers for Answering {
        fn answer(&self, _: &str, _: &str, _: &[String]) -> crate::policy::lookup::DirectoryAnswer {
            use crate::policy::lookup::DirectoryAnswer;
            match &self.0 {
                Some(e) => DirectoryAnswer::Entries(Arc::from(e.clone())),
                None => DirectoryAnswer::Unavailable,
            }
        }
    }

    fn lookup(filter: &str, rule: Option<&str>, files_before: usize) -> Arc<DirectoryQuery> {
        use crate::directory::template::Template;
        Arc::new(
            DirectoryQuery::new(
                "corp",
                Template::parse(filter).unwrap(),
                rule.map(|r| Template::parse(r).unwrap()),
            )
            .after_files(files_before),
        )
    }

    #[test]
    fn files_and_lookups_are_asked_in_the_order_listed() {
        // sender_allowlist = ["manual", { directory }, "synced"], the same for access_rules.
        let mut p = policy("d");
        p.sender_allowlist = vec![
            allow("manual", "!blocked@example.org\n"),
            allow("synced", "synced@example.org\n"),
        ];
        p.sender_directory = vec![lookup("(mail={address})", None, 1)];
        p.access_rules = vec![
            access("manual", "* boss@example.org <reg> - 0\n"),
            access("synced", "* @example.org <pin> - 0\n"),
        ];
        p.access_directory = vec![lookup(
            "(mail={recipient})",
            Some("* {recipient} <sms> {mobile} 0"),
            1,
        )];
        let set = PolicySet { policies: vec![p] };
        let member = Answering(Some(vec![crate::policy::lookup::Entry {
            dn: "uid=x".into(),
            attrs: vec![("mobile".into(), vec!["+358401".into()])],
        }]));
        let down = Answering(None);
        fn with<'a>(s: &'a Address, d: &'a dyn DirectoryAnswers) -> Facts<'a> {
            Facts {
                directory: d,
                ..facts(s, None)
            }
        }
        // The manual deny comes before the lookup: refused even when the directory lists it.
        let s = a("blocked@example.org");
        let v = set.check_sender(&with(&s, &member), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::Rejected { rule: Some(r), .. } if r.to_string() == "manual:1"),
            "{v:?}"
        );
        let v = set.check_sender(&with(&s, &down), Stage::Envelope);
        assert!(v.is_rejected(), "{v:?}");
        // The lookup comes before the synced file: it decides, and while the directory is
        // down a sender only the synced file lists waits.
        let s = a("synced@example.org");
        let v = set.check_sender(&with(&s, &member), Stage::Envelope);
        assert!(
            matches!(&v, SenderVerdict::Accepted { rule: Some(r), .. } if r.to_string() == "ldap corp"),
            "{v:?}"
        );
        let v = set.check_sender(&with(&s, &down), Stage::Envelope);
        assert!(matches!(v, SenderVerdict::Unavailable { .. }), "{v:?}");

        // Access rules: manual, then the rule the entry makes, then the synced file.
        let s = a("any@example.net");
        let boss = set.check_recipient(&with(&s, &down), &a("boss@example.org"), Stage::Envelope);
        assert_eq!(boss.method.as_deref(), Some("reg"), "{boss:?}");
        let user = set.check_recipient(&with(&s, &member), &a("user@example.org"), Stage::Envelope);
        assert_eq!(
            (user.method.as_deref(), user.param.as_deref()),
            (Some("sms"), Some("+358401")),
            "{user:?}"
        );
        let none = Answering(Some(Vec::new()));
        let user = set.check_recipient(&with(&s, &none), &a("user@example.org"), Stage::Envelope);
        assert_eq!(user.method.as_deref(), Some("pin"), "{user:?}");
        assert!(
            user.rule
                .as_ref()
                .is_some_and(|r| r.to_string() == "synced:1"),
            "{user:?}"
        );
    }

    #[test]
    fn when_selectors_scope_policies() {
        let mut p = policy("p");
        p.sender_allowlist = vec![allow("l", "nobody@example.org\n")];
        p.when.daemon_name = vec!["other".into()];
        let set = PolicySet {
            policies: vec![p.clone()],
        };
        let s = a("x@example.org");
        assert_eq!(
            set.check_sender(&facts(&s, None), Stage::Envelope),
            SenderVerdict::NotChecked
        );
        p.when.daemon_name = vec!["secure".into()];
        p.when.authenticated = Some(true);
        let set = PolicySet { policies: vec![p] };
        assert_eq!(
            set.check_sender(&facts(&s, None), Stage::Envelope),
            SenderVerdict::NotChecked
        );
        let mut f = facts(&s, None);
        f.auth_user = Some("alice");
        assert!(set.check_sender(&f, Stage::Envelope).is_rejected());
    }

    #[test]
    fn access_rules_method_param_flags_and_no_match() {
        let mut p = policy("compose");
        p.access_rules = vec![
            access("manual", "* vip@customer.fi <deny> - 0\n"),
            access(
                "gsm",
                "* user@customer.fi <reg> - 0\ntest@example.org * <sms> 0401234567 2\n",
            ),
        ];
        let set = PolicySet {
            policies: vec![p.clone()],
        };
        let s = a("someone@example.net");
        let v = set.check_recipient(&facts(&s, None), &a("User+x@customer.fi"), Stage::Envelope);
        assert_eq!(
            (v.action, v.method.as_deref(), v.flags),
            (Action::Accept, Some("reg"), Some(0))
        );
        assert_eq!(v.rule.unwrap().to_string(), "gsm:1");
        let v = set.check_recipient(&facts(&s, None), &a("vip@customer.fi"), Stage::Envelope);
        assert_eq!(
            (v.action, v.rule.unwrap().to_string()),
            (Action::Reject, "manual:1".to_owned())
        );
        let v = set.check_recipient(&facts(&s, None), &a("nobody@customer.fi"), Stage::Envelope);
        assert_eq!((v.action, v.rule), (Action::Reject, None));
        assert_eq!(
            v.reply.unwrap(),
            "Sender <someone@example.net> may not send to <nobody@customer.fi> (policy compose)"
        );
        let t = a("test@example.org");
        let v = set.check_recipient(&facts(&t, None), &a("anyone@x.example"), Stage::Envelope);
        assert_eq!(
            (v.method.as_deref(), v.param.as_deref(), v.flags),
            (Some("sms"), Some("0401234567"), Some(2))
        );
        p.no_match = NoMatch::Accept;
        let set = PolicySet { policies: vec![p] };
        let v = set.check_recipient(&facts(&s, None), &a("nobody@customer.fi"), Stage::Envelope);
        assert_eq!(
            (v.action, v.policy.as_deref(), v.rule),
            (Action::Accept, Some("compose"), None)
        );
    }

    #[test]
    fn recipient_domain_scopes_sender_check_per_recipient() {
        let mut p = policy("to-customer");
        p.when.recipient_domain = vec!["customer.fi".into()];
        p.sender_allowlist = vec![allow("l", "boss@example.org\n")];
        let set = PolicySet { policies: vec![p] };
        let s = a("intern@example.org");
        let f = facts(&s, None);
        assert_eq!(
            set.check_sender(&f, Stage::Envelope),
            SenderVerdict::NotChecked
        );
        assert!(
            set.check_recipient(&f, &a("x@customer.fi"), Stage::Envelope)
                .is_rejected()
        );
        assert!(
            !set.check_recipient(&f, &a("x@other.example"), Stage::Envelope)
                .is_rejected()
        );
        let d = set.evaluate(&f, &[a("x@customer.fi"), a("x@other.example")]);
        assert_eq!(d.action, Action::Accept);
        let d = set.evaluate(&f, &[a("x@customer.fi")]);
        assert_eq!(d.action, Action::Reject);
    }

    #[test]
    fn header_scoped_policy_uses_subject_tag_and_from_header() {
        let mut p = policy("secure-tag");
        p.when.subject_tag = Some("[secure]".into());
        p.sender_source = SenderSource::Header;
        p.sender_allowlist = vec![allow("l", "alice@example.org\n")];
        let set = PolicySet { policies: vec![p] };
        assert!(set.needs_headers());
        let env = a("bounce@example.org");
        let mut h = Headers::new();
        h.push("Subject", "Re: [SECURE] contract");
        h.push("From", "\"Mallory\" <mallory@example.org>");
        let d = set.evaluate(&facts(&env, Some(&h)), &[a("x@customer.fi")]);
        assert!(d.refused_at_headers);
        assert_eq!(d.action, Action::Reject);
        let SenderVerdict::Rejected { address, .. } = &d.sender else {
            panic!()
        };
        assert_eq!(address.as_str(), "mallory@example.org");
        let mut h = Headers::new();
        h.push("Subject", "[secure]");
        h.push("From", "Alice <Alice@Example.org>");
        assert_eq!(
            set.evaluate(&facts(&env, Some(&h)), &[a("x@customer.fi")])
                .action,
            Action::Accept
        );
        let mut h = Headers::new();
        h.push("Subject", "plain");
        h.push("From", "mallory@example.org");
        let d = set.evaluate(&facts(&env, Some(&h)), &[a("x@customer.fi")]);
        assert_eq!(
            (d.action, d.sender),
            (Action::Accept, SenderVerdict::NotChecked)
        );
    }

    #[test]
    fn header_condition_with_regex_and_missing_from_refuses() {
        let mut p = policy("hdr");
        p.when.header = Some(HeaderCondition {
            name: "x-secure".into(),
            value: Some(
                regex::RegexBuilder::new("^yes$")
                    .case_insensitive(true)
                    .build()
                    .unwrap(),
            ),
        });
        p.sender_source = SenderSource::Both;
        p.sender_allowlist = vec![allow("l", "@example.org\n")];
        let set = PolicySet { policies: vec![p] };
        let env = a("a@example.org");
        let mut h = Headers::new();
        h.push("X-Secure", "YES");
        let d = set.evaluate(&facts(&env, Some(&h)), &[a("x@y.example")]);
        assert_eq!(
            d.action,
            Action::Reject,
            "no From: header must refuse under sender_source=both"
        );
        h.push("From", "<b@example.org>");
        assert_eq!(
            set.evaluate(&facts(&env, Some(&h)), &[a("x@y.example")])
                .action,
            Action::Accept
        );
        let bad_env = a("a@evil.example");
        assert_eq!(
            set.evaluate(&facts(&bad_env, Some(&h)), &[a("x@y.example")])
                .action,
            Action::Reject
        );
    }

    #[test]
    fn unavailable_policy_tempfails_in_its_scope_only() {
        let mut p = policy("optional");
        p.when.recipient_domain = vec!["customer.fi".into()];
        p.available = false;
        p.access_rules = vec![];
        p.sender_allowlist = vec![allow("l", "")];
        let set = PolicySet { policies: vec![p] };
        let s = a("x@example.org");
        let f = facts(&s, None);
        assert_eq!(
            set.check_recipient(&f, &a("y@customer.fi"), Stage::Envelope)
                .action,
            Action::Tempfail
        );
        assert_eq!(
            set.check_recipient(&f, &a("y@other.example"), Stage::Envelope)
                .action,
            Action::Accept
        );
        assert_eq!(
            set.evaluate(&f, &[a("y@customer.fi")]).action,
            Action::Tempfail
        );
        let mut p = policy("optional-sender");
        p.available = false;
        p.sender_allowlist = vec![allow("l", "")];
        let set = PolicySet { policies: vec![p] };
        assert!(matches!(
            set.check_sender(&f, Stage::Envelope),
            SenderVerdict::Unavailable { .. }
        ));
    }

    #[test]
    fn at_end_of_headers_a_refusal_beats_a_policy_that_cannot_decide() {
        let mut refusing = policy("refusing");
        refusing.when.subject_tag = Some("[secure]".into());
        refusing.sender_source = SenderSource::Header;
        refusing.sender_allowlist = vec![allow("l", "alice@example.org\n")];
        let mut unloaded = policy("unloaded");
        unloaded.when.subject_tag = Some("[secure]".into());
        unloaded.access_rules = vec![access("r", "")];
        unloaded.available = false;
        let set = PolicySet {
            policies: vec![unloaded, refusing],
        };
        let env = a("bounce@example.org");
        let mut h = Headers::new();
        h.push("Subject", "[secure] x");
        h.push("From", "mallory@evil.example");
        let d = set.evaluate(&facts(&env, Some(&h)), &[a("x@y.example")]);
        assert_eq!(
            (d.action, d.refused_at_headers),
            (Action::Reject, true),
            "{d:?}"
        );
        // Without the refusal, the unloaded policy makes it 451.
        h = Headers::new();
        h.push("Subject", "[secure] x");
        h.push("From", "alice@example.org");
        let d = set.evaluate(&facts(&env, Some(&h)), &[a("x@y.example")]);
        assert_eq!(
            (d.action, d.unavailable_at_headers),
            (Action::Tempfail, true),
            "{d:?}"
        );
        assert_eq!(
            set.in_scope(&facts(&env, Some(&h)), [a("x@y.example")].iter())
                .count(),
            2
        );
    }

    #[test]
    fn reply_text_is_sanitised() {
        let p = policy("p");
        let s = a("evil\r\n550 x@y");
        let r = p.reply(DEFAULT_SENDER_REPLY, &s, None);
        assert!(!r.contains('\r') && !r.contains('\n'), "{r}");
    }
}
