//! Directory lookups as a rule source, seen from the pure core: the query a policy names
//! (`{ directory = "corp", filter = "(mail={address})" }`), and the answers the caller
//! supplies through [`DirectoryAnswers`]. The core never waits on a directory: the milter
//! fills the answers in before it asks the core again (`directory::live`).

use std::path::Path;
use std::sync::Arc;

use super::ruleset::{AccessMatch, RuleRef, parse_access_rules};
pub use crate::directory::entry::{DirectoryAnswer, DirectoryAnswers, Entry, NoDirectories};
use crate::directory::template::{Template, escape_filter_value};
use crate::mail::address::Address;

/// A lookup the decision needs could not be answered: the decision is a tempfail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("directory unavailable")]
pub struct DirectoryUnavailable;

/// A directory lookup standing where a rule file could.
#[derive(Debug, Clone)]
pub struct DirectoryQuery {
    pub directory: Arc<str>,
    /// Placeholders: `{address}` (allowlists), `{recipient}` and `{sender}` (access rules).
    pub filter: Template,
    /// Access rules only: the rule one entry makes (`* {recipient} <sms> {mobile} 0`).
    pub rule: Option<Template>,
    /// The attributes `rule` names (not `recipient` / `sender`).
    pub attrs: Vec<String>,
    /// How a decision names this source: `ldap corp`.
    pub source: RuleRef,
    /// How many rule files its list names before it: it is asked after those and before
    /// the rest, in the order the settings give.
    pub files_before: usize,
    /// Settings line that names it, for `mailwarden check` (0: not from settings).
    pub line: usize,
}

/// The value `mailwarden check` puts in every placeholder of a lookup's filter: an
/// address no directory holds (`.invalid`, RFC 2606).
pub const PROBE_ADDRESS: &str = "probe@example.invalid";

/// `filter` with [`PROBE_ADDRESS`] in every placeholder, escaped as a lookup escapes.
pub fn probe_filter(filter: &Template) -> String {
    filter
        .render(|_| Some(PROBE_ADDRESS), escape_filter_value)
        .unwrap_or_default()
}

/// An access-rule match, owned (a directory's rules live only as long as the lookup).
#[derive(Debug, Clone)]
pub struct RuleHit {
    pub rule: RuleRef,
    pub deny: bool,
    pub method: Arc<str>,
    pub param: Option<Arc<str>>,
    pub flags: u64,
}

impl From<AccessMatch<'_>> for RuleHit {
    fn from(m: AccessMatch<'_>) -> Self {
        Self {
            rule: m.rule_ref(),
            deny: m.is_deny(),
            method: m.method().into(),
            param: m.rule.param.as_deref().map(Arc::from),
            flags: m.rule.flags,
        }
    }
}

impl DirectoryQuery {
    pub fn new(directory: &str, filter: Template, rule: Option<Template>) -> Self {
        let attrs = rule
            .as_ref()
            .map(|r| {
                r.names()
                    .into_iter()
                    .filter(|n| *n != "recipient" && *n != "sender")
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            directory: directory.into(),
            filter,
            rule,
            attrs,
            source: RuleRef {
                path: Arc::from(Path::new(&format!("ldap {directory}"))),
                line: 0,
            },
            files_before: 0,
            line: 0,
        }
    }

    /// The same query, named by settings line `line`.
    pub fn at_line(self, line: usize) -> Self {
        Self { line, ..self }
    }

    /// The filter `mailwarden check` runs: [`PROBE_ADDRESS`] in every placeholder.
    pub fn probe_filter(&self) -> String {
        probe_filter(&self.filter)
    }

    /// The same query, standing after `n` rule files of its list.
    pub fn after_files(self, n: usize) -> Self {
        Self {
            files_before: n,
            ..self
        }
    }

    /// The filter for one address: every value escaped (RFC 4515), so an address such as
    /// `*)(mail=*` stays one literal value.
    pub fn filter_for(&self, sender: &Address, rcpt: Option<&Address>) -> String {
        self.filter
            .render(
                |name| match name {
                    "address" | "sender" => Some(sender.as_str()),
                    "recipient" => rcpt.map(Address::as_str),
                    _ => None,
                },
                escape_filter_value,
            )
            .unwrap_or_default()
    }

    /// How a decision names the answer to `filter`: `ldap corp`, or with where the answer
    /// came from when the caller says (`ldap corp (cached 12 s)`).
    fn named(&self, answers: &dyn DirectoryAnswers, filter: &str, attrs: &[String]) -> RuleRef {
        match answers.provenance(&self.directory, filter, attrs) {
            Some(p) => RuleRef {
                path: Arc::from(Path::new(&format!("{} ({p})", self.source.path.display()))),
                line: 0,
            },
            None => self.source.clone(),
        }
    }

    /// Whether a sender is listed (the directory found an entry): the source naming it.
    pub fn allows(
        &self,
        answers: &dyn DirectoryAnswers,
        sender: &Address,
    ) -> Result<Option<RuleRef>, DirectoryUnavailable> {
        let filter = self.filter_for(sender, None);
        match answers.answer(&self.directory, &filter, &[]) {
            DirectoryAnswer::Entries(e) if e.is_empty() => Ok(None),
            DirectoryAnswer::Entries(_) => Ok(Some(self.named(answers, &filter, &[]))),
            DirectoryAnswer::Unavailable => Err(DirectoryUnavailable),
        }
    }

    /// The first rule the entries make that matches `sender` → `rcpt`; `Err` when the
    /// directory could not answer. An entry whose value would not fit in one rule field
    /// (whitespace, control characters) makes no rule.
    pub fn first_rule(
        &self,
        answers: &dyn DirectoryAnswers,
        sender: &Address,
        rcpt: &Address,
    ) -> Result<Option<RuleHit>, DirectoryUnavailable> {
        let Some(template) = &self.rule else {
            return Ok(None);
        };
        let filter = self.filter_for(sender, Some(rcpt));
        let entries = match answers.answer(&self.directory, &filter, &self.attrs) {
            DirectoryAnswer::Entries(e) => e,
            DirectoryAnswer::Unavailable => return Err(DirectoryUnavailable),
        };
        let mut text = String::new();
        for e in entries.iter() {
            let line = template.render(
                |name| match name {
                    "recipient" => Some(rcpt.as_str()),
                    "sender" => Some(sender.as_str()),
                    _ => e.first(name).filter(|v| {
                        !v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c.is_control())
                    }),
                },
                str::to_owned,
            );
            if let Some(l) = line {
                text.push_str(&l);
                text.push('\n');
            }
        }
        let (file, _problems) = parse_access_rules(&self.source.path, text.as_bytes());
        Ok(file.first_match(sender, rcpt).map(|m| RuleHit {
            rule: self.named(answers, &filter, &self.attrs),
            ..RuleHit::from(m)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Recorded(Mutex<Vec<String>>, Option<Vec<Entry>>);

    impl DirectoryAnswers for Recorded {
        fn answer(&self, _: &str, filter: &str, _: &[String]) -> DirectoryAnswer {
            self.0.lock().unwrap().push(filter.to_owned());
            match &self.1 {
                Some(e) => DirectoryAnswer::Entries(Arc::from(e.clone())),
                None => DirectoryAnswer::Unavailable,
            }
        }
    }

    fn addr(s: &str) -> Address {
        Address::parse(s, "+")
    }

    #[test]
    fn an_injected_address_stays_one_literal_value() {
        let q = DirectoryQuery::new(
            "corp",
            Template::parse("(&(mail={address})(memberOf=cn=s))").unwrap(),
            None,
        );
        let answers = Recorded(Mutex::default(), Some(Vec::new()));
        assert_eq!(q.allows(&answers, &addr("*)(mail=*")), Ok(None));
        let asked = answers.0.lock().unwrap()[0].clone();
        assert_eq!(asked, "(&(mail=\\2a\\29\\28mail=\\2a)(memberOf=cn=s))");
        assert_eq!(
            q.allows(&Recorded::default(), &addr("a@b.example")),
            Err(DirectoryUnavailable)
        );
    }

    #[test]
    fn entries_become_rules_and_unsafe_values_make_none() {
        let q = DirectoryQuery::new(
            "corp",
            Template::parse("(mail={recipient})").unwrap(),
            Some(Template::parse("* {recipient} <sms> {mobile} 0").unwrap()),
        );
        assert_eq!(q.attrs, ["mobile"]);
        let entry = |m: &str| Entry {
            dn: "uid=x".into(),
            attrs: vec![("mobile".into(), vec![m.into()])],
        };
        let rcpt = addr("user@customer.example");
        let ok = Recorded(Mutex::default(), Some(vec![entry("+358401")]));
        let hit = q
            .first_rule(&ok, &addr("a@b.example"), &rcpt)
            .unwrap()
            .unwrap();
        assert_eq!(
            (&*hit.method, hit.param.as_deref(), hit.deny),
            ("sms", Some("+358401"), false)
        );
        assert_eq!(hit.rule.to_string(), "ldap corp");
        let evil = Recorded(Mutex::default(), Some(vec![entry("1 0\n* * <deny>")]));
        assert!(
            q.first_rule(&evil, &addr("a@b.example"), &rcpt)
                .unwrap()
                .is_none()
        );
        assert!(
            q.first_rule(&Recorded::default(), &addr("a@b.example"), &rcpt)
                .is_err()
        );
    }
}
