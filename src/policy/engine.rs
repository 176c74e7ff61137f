//! Policies and their evaluation. Pure: no I/O, no logging, no clock.

use std::sync::Arc;

use super::address::Address;
use super::ruleset::{AccessRuleFile, AllowlistFile, RuleRef};
use super::verdict::{Action, Decision, RecipientVerdict, SenderVerdict};
use crate::config::model::{NoMatch, SenderSource};

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
    pub no_match: NoMatch,
    pub sender_source: SenderSource,
    pub sender_reply: String,
    pub recipient_reply: String,
    pub annotate: bool,
    /// False while a file it needs has never loaded: it then answers tempfail in its scope.
    pub available: bool,
}

impl Policy {
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
        if let Some(want) = w.authenticated {
            if facts.auth_user.is_some_and(|u| !u.is_empty()) != want {
                return false;
            }
        }
        let headers = facts.headers.unwrap_or(&EMPTY_HEADERS);
        if let Some(tag) = &w.subject_tag {
            if !headers
                .get("subject")
                .is_some_and(|s| s.to_lowercase().contains(tag.as_str()))
            {
                return false;
            }
        }
        if let Some(cond) = &w.header {
            let found = headers
                .all(&cond.name)
                .any(|v| cond.value.as_ref().is_none_or(|re| re.is_match(v)));
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

    /// The senders this policy checks: the envelope sender, the From: addresses, or both.
    fn senders(&self, facts: &Facts<'_>) -> Vec<Address> {
        let mut out = Vec::new();
        if self.sender_source != SenderSource::Header {
            out.push(facts.sender.clone());
        }
        if self.sender_source != SenderSource::Envelope {
            out.extend(
                facts
                    .headers
                    .map(|h| h.from_addresses(facts.delimiters))
                    .unwrap_or_default(),
            );
        }
        out
    }

    /// First match over the allowlist files in order; a missing From: header is a refusal.
    fn check_senders(
        &self,
        facts: &Facts<'_>,
    ) -> Result<Option<RuleRef>, (Option<RuleRef>, Address)> {
        let senders = self.senders(facts);
        if self.sender_source != SenderSource::Envelope
            && senders.len() == usize::from(self.sender_source == SenderSource::Both)
        {
            return Err((None, Address::null()));
        }
        let mut accepted_by = None;
        for s in &senders {
            let hit = self
                .sender_allowlist
                .iter()
                .find_map(|f| f.first_match(s).map(|e| (f, e)));
            match hit {
                Some((f, e)) if !e.deny => accepted_by = accepted_by.or(Some(f.rule_ref(e))),
                Some((f, e)) => return Err((Some(f.rule_ref(e)), s.clone())),
                None => return Err((None, s.clone())),
            }
        }
        Ok(accepted_by)
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

/// Keeps attacker-controlled text printable and bounded inside an SMTP reply line.
fn reply_safe(s: &str) -> String {
    s.chars()
        .take(256)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
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

    /// The addresses in the From: header(s): those in `<...>`, else the bare tokens.
    pub fn from_addresses(&self, delimiters: &str) -> Vec<Address> {
        let mut out = Vec::new();
        for value in self.all("from") {
            let mut found = false;
            let mut rest = value;
            while let Some(open) = rest.find('<') {
                let Some(close) = rest[open..].find('>') else {
                    break;
                };
                let inner = &rest[open + 1..open + close];
                if inner.contains('@') {
                    out.push(Address::parse(inner, delimiters));
                    found = true;
                }
                rest = &rest[open + close + 1..];
            }
            if !found {
                out.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|t| t.contains('@') && !t.contains(char::is_whitespace))
                        .map(|t| Address::parse(t, delimiters)),
                );
            }
        }
        out
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
        for p in self.applicable(facts, stage) {
            if p.sender_allowlist.is_empty() || !p.when.recipient_domain.is_empty() {
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
                Err((rule, address)) => {
                    let reply = p.reply(&p.sender_reply, &address, None);
                    return SenderVerdict::Rejected {
                        policy: p.name.clone(),
                        rule,
                        address,
                        reply,
                    };
                }
            }
        }
        verdict
    }

    /// Recipient checks: the access rules, and the sender allowlist of policies scoped by
    /// recipient domain. The first refusal wins; otherwise the first access-rule match is
    /// reported (its method, param and flags go downstream).
    pub fn check_recipient(
        &self,
        facts: &Facts<'_>,
        rcpt: &Address,
        stage: Stage,
    ) -> RecipientVerdict {
        let mut verdict = RecipientVerdict::unaffected();
        for p in self.applicable(facts, stage) {
            let checks_sender_per_rcpt =
                !p.when.recipient_domain.is_empty() && !p.sender_allowlist.is_empty();
            if !p.recipient_condition_holds(rcpt)
                || (p.access_rules.is_empty() && !checks_sender_per_rcpt)
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
                    Err((rule, address)) => {
                        return refusal(p, rule, p.reply(&p.sender_reply, &address, Some(rcpt)));
                    }
                }
            }
            if p.access_rules.is_empty() {
                continue;
            }
            let senders = p.senders(facts);
            if senders.is_empty() {
                return refusal(
                    p,
                    None,
                    p.reply(&p.recipient_reply, &Address::null(), Some(rcpt)),
                );
            }
            let mut first_hit = None;
            for s in &senders {
                let hit = p.access_rules.iter().find_map(|f| f.first_match(s, rcpt));
                match hit {
                    Some(m) if m.is_deny() => {
                        return refusal(
                            p,
                            Some(m.rule_ref()),
                            p.reply(&p.recipient_reply, s, Some(rcpt)),
                        );
                    }
                    Some(m) => {
                        first_hit.get_or_insert(m);
                    }
                    None if p.no_match == NoMatch::Reject => {
                        return refusal(p, None, p.reply(&p.recipient_reply, s, Some(rcpt)));
                    }
                    None => {}
                }
            }
            if let Some(m) = first_hit {
                if verdict.method.is_none() {
                    verdict.policy = Some(p.name.clone());
                    verdict.rule = Some(m.rule_ref());
                    verdict.method = Some(m.method().into());
                    verdict.param = m.rule.param.as_deref().map(Arc::from);
                    verdict.flags = Some(m.rule.flags);
                }
            }
        }
        verdict
    }

    /// The whole decision the milter would reach: envelope stage, then header stage.
    pub fn evaluate(&self, facts: &Facts<'_>, recipients: &[Address]) -> Decision {
        let mut sender = self.check_sender(facts, Stage::Envelope);
        let mut rcpts: Vec<(Address, RecipientVerdict)> = recipients
            .iter()
            .map(|r| (r.clone(), self.check_recipient(facts, r, Stage::Envelope)))
            .collect();
        let mut refused_at_headers = false;
        if !sender.stops() && rcpts.iter().any(|(_, v)| !v.stops()) {
            let header_sender = self.check_sender(facts, Stage::Headers);
            if header_sender.stops() {
                refused_at_headers = true;
                sender = header_sender;
            } else if sender == SenderVerdict::NotChecked {
                sender = header_sender;
            }
            for (r, v) in rcpts.iter_mut().filter(|(_, v)| !v.stops()) {
                let hv = self.check_recipient(facts, r, Stage::Headers);
                if hv.stops() {
                    refused_at_headers = true;
                    *v = hv;
                } else if v.policy.is_none() || (v.method.is_none() && hv.method.is_some()) {
                    *v = hv;
                }
            }
        }
        let all_refused = !rcpts.is_empty() && rcpts.iter().all(|(_, v)| v.is_rejected());
        let unavailable = matches!(sender, SenderVerdict::Unavailable { .. })
            || rcpts.iter().any(|(_, v)| v.action == Action::Tempfail);
        let action = if sender.is_rejected() || all_refused || (refused_at_headers && !unavailable)
        {
            Action::Reject
        } else if unavailable {
            Action::Tempfail
        } else {
            Action::Accept
        };
        Decision {
            action,
            sender,
            recipients: rcpts,
            refused_at_headers,
        }
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
            no_match: NoMatch::Reject,
            sender_source: SenderSource::Envelope,
            sender_reply: DEFAULT_SENDER_REPLY.into(),
            recipient_reply: DEFAULT_RECIPIENT_REPLY.into(),
            annotate: false,
            available: true,
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
        }
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
    fn reply_text_is_sanitised() {
        let p = policy("p");
        let s = a("evil\r\n550 x@y");
        let r = p.reply(DEFAULT_SENDER_REPLY, &s, None);
        assert!(!r.contains('\r') && !r.contains('\n'), "{r}");
    }
}
