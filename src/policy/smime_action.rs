//! What to do with a message once its S/MIME verdict is known: the action per result, a
//! policy's overrides, the `require_signature` rule and the strictness of a decryption
//! failure. Pure: no milter, no I/O; the milter glue only carries the answer out.

use serde::Deserialize;

use super::pattern::Pattern;
use crate::mail::address::Address;
use crate::mail::reader::FromMailboxes;
use crate::smime::outcome::{Reason, SmimeResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliverMode {
    Original,
    Decrypted,
}

/// One action per S/MIME result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmimeAction {
    #[default]
    Accept,
    Tag,
    Quarantine,
    Reject,
    Tempfail,
}

impl SmimeAction {
    /// Where several policies apply, the strictest action wins.
    pub fn strictness(self) -> u8 {
        match self {
            SmimeAction::Accept => 0,
            SmimeAction::Tag => 1,
            SmimeAction::Quarantine => 2,
            SmimeAction::Tempfail => 3,
            SmimeAction::Reject => 4,
        }
    }
}

/// One value per S/MIME result, as `[smime.actions]` and a policy's `smime_actions` write
/// it: `pass = "accept"`, `fail = "reject"`, ...
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerResult<T: Default> {
    pub pass: T,
    pub fail: T,
    pub policy: T,
    pub permerror: T,
    pub temperror: T,
    pub none: T,
}

impl<T: Copy + Default> PerResult<T> {
    /// The value for `result`.
    pub fn get(&self, result: SmimeResult) -> T {
        match result {
            SmimeResult::Pass => self.pass,
            SmimeResult::Fail => self.fail,
            SmimeResult::Policy => self.policy,
            SmimeResult::PermError => self.permerror,
            SmimeResult::TempError => self.temperror,
            SmimeResult::None => self.none,
        }
    }
}

/// `[smime.actions]`: every result is accepted unless configured otherwise.
pub type SmimeActions = PerResult<SmimeAction>;

/// A policy's overrides: `None` where it leaves the `[smime.actions]` choice.
pub type ActionsOverride = PerResult<Option<SmimeAction>>;

/// The `[smime]` settings that decide what a verdict leads to.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub actions: &'a SmimeActions,
    pub decryption_failure: SmimeAction,
    /// `tag_prefix`, with `{result}` for the result word.
    pub tag_prefix: &'a str,
    pub require_signature: &'a [Pattern],
    pub max_message_size: u64,
}

/// What verification found, as far as the choice of action needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub result: SmimeResult,
    pub reason: Option<Reason>,
    /// An enveloped layer for us that did not open (failed or unsupported).
    pub undecryptable: bool,
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

/// The answer: a disposition, and the Subject prefix when the action is `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub disposition: Disposition,
    pub tag: Option<String>,
}

impl Choice {
    fn only(disposition: Disposition) -> Choice {
        Choice {
            disposition,
            tag: None,
        }
    }

    fn tag(prefix: String) -> Choice {
        Choice {
            disposition: Disposition::Continue,
            tag: Some(prefix),
        }
    }

    /// The action taken, as a metrics label.
    pub fn action(&self) -> &'static str {
        match self.disposition {
            Disposition::Continue if self.tag.is_some() => "tag",
            Disposition::Continue => "accept",
            Disposition::Quarantine(_) => "quarantine",
            Disposition::Reject { .. } => "reject",
            Disposition::Tempfail { .. } => "tempfail",
        }
    }
}

/// The action for `result`: the strictest of the overrides of the policies in scope (each
/// falling back to `[smime] actions`), or `[smime] actions` when none is.
pub fn action_for(
    actions: &SmimeActions,
    result: SmimeResult,
    overrides: &[Option<ActionsOverride>],
) -> SmimeAction {
    let global = actions.get(result);
    overrides
        .iter()
        .map(|o| o.and_then(|o| o.get(result)).unwrap_or(global))
        .max_by_key(|a| a.strictness())
        .unwrap_or(global)
}

/// Whether the message must carry a valid signature: the envelope sender or any From:
/// mailbox (the author a reader sees) matches `require_signature`. A From: nobody could
/// read might be the CEO's: then a signature is required too.
pub fn signature_required(rules: &Rules<'_>, sender: &Address, from: &FromMailboxes) -> bool {
    if rules.require_signature.is_empty() {
        return false;
    }
    from.unread
        || rules.require_signature.iter().any(|p| {
            let mut readings = sender
                .readings()
                .chain(from.mailboxes.iter().flat_map(Address::readings));
            readings.any(|a| p.matches(a))
        })
}

/// A message larger than `max_message_size` is not checked; a sender who must sign cannot
/// have the check skipped by sending more bytes.
pub fn too_large(rules: &Rules<'_>, required: bool) -> Choice {
    if !required {
        return Choice::only(Disposition::Continue);
    }
    Choice::only(Disposition::Reject {
        code: "552",
        xcode: "5.3.4",
        line: format!(
            "Message larger than {} bytes cannot be checked for the required S/MIME signature",
            rules.max_message_size
        ),
    })
}

/// The reason word of replies and metrics: the reason token, `no signature`, or `-`.
pub fn reason_word(verdict: &Verdict) -> &'static str {
    match verdict.reason {
        Some(r) => r.token(),
        None if verdict.result == SmimeResult::None => "no signature",
        None => "-",
    }
}

/// The action and reply for a verified message.
pub fn choose(
    rules: &Rules<'_>,
    overrides: &[Option<ActionsOverride>],
    verdict: &Verdict,
    required: bool,
) -> Choice {
    let result = verdict.result;
    let mut action = action_for(rules.actions, result, overrides);
    if result == SmimeResult::None && required {
        action = SmimeAction::Reject;
    }
    // A message for us that does not open: its own action, and a reply that never says
    // why (no oracle for whoever crafted it).
    let failure = rules.decryption_failure;
    if verdict.undecryptable
        && failure.strictness() >= action.strictness()
        && failure != SmimeAction::Accept
    {
        return undecryptable(rules, failure);
    }
    let reason = reason_word(verdict);
    match action {
        SmimeAction::Accept => Choice::only(Disposition::Continue),
        SmimeAction::Tag => Choice::tag(rules.tag_prefix.replace("{result}", result.as_str())),
        SmimeAction::Quarantine => Choice::only(Disposition::Quarantine(format!(
            "S/MIME {result} ({reason})"
        ))),
        SmimeAction::Reject => Choice::only(Disposition::Reject {
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
        }),
        SmimeAction::Tempfail => Choice::only(Disposition::Tempfail {
            line: format!("S/MIME signature {result} ({reason}), try again later"),
        }),
    }
}

fn undecryptable(rules: &Rules<'_>, failure: SmimeAction) -> Choice {
    match failure {
        SmimeAction::Quarantine => {
            Choice::only(Disposition::Quarantine("S/MIME: cannot decrypt".into()))
        }
        SmimeAction::Reject => Choice::only(Disposition::Reject {
            code: "550",
            xcode: "5.7.1",
            line: "Message refused: cannot decrypt".into(),
        }),
        SmimeAction::Tempfail => Choice::only(Disposition::Tempfail {
            line: "cannot decrypt, try again later".into(),
        }),
        SmimeAction::Tag => Choice::tag(rules.tag_prefix.replace("{result}", "undecryptable")),
        SmimeAction::Accept => Choice::only(Disposition::Continue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pattern::Pattern;
    use ActionsOverride as O;
    use SmimeAction as A;

    fn rules<'a>(actions: &'a SmimeActions, patterns: &'a [Pattern]) -> Rules<'a> {
        Rules {
            actions,
            decryption_failure: A::Accept,
            tag_prefix: "[S/MIME {result}] ",
            require_signature: patterns,
            max_message_size: 1000,
        }
    }

    fn verdict(result: SmimeResult, reason: Option<Reason>) -> Verdict {
        Verdict {
            result,
            reason,
            undecryptable: false,
        }
    }

    #[test]
    fn smime_action_overrides_take_the_strictest() {
        let actions = SmimeActions::default();
        let reject = Some(O {
            fail: Some(A::Reject),
            ..O::default()
        });
        let tag = Some(O {
            fail: Some(A::Tag),
            ..O::default()
        });
        let quarantine = Some(O {
            fail: Some(A::Quarantine),
            ..O::default()
        });
        assert_eq!(action_for(&actions, SmimeResult::Fail, &[]), A::Accept);
        assert_eq!(action_for(&actions, SmimeResult::Fail, &[None]), A::Accept);
        assert_eq!(
            action_for(&actions, SmimeResult::Fail, &[reject, None]),
            A::Reject
        );
        assert_eq!(
            action_for(&actions, SmimeResult::Fail, &[tag, quarantine]),
            A::Quarantine
        );
        assert_eq!(
            action_for(&actions, SmimeResult::Pass, &[reject]),
            A::Accept
        );
    }

    #[test]
    fn reject_names_result_and_reason_and_fail_gets_5_7_7() {
        let actions = SmimeActions {
            fail: A::Reject,
            policy: A::Reject,
            ..SmimeActions::default()
        };
        let r = rules(&actions, &[]);
        let fail = choose(
            &r,
            &[],
            &verdict(SmimeResult::Fail, Some(Reason::BadSignature)),
            false,
        );
        assert_eq!(
            fail.disposition,
            Disposition::Reject {
                code: "550",
                xcode: "5.7.7",
                line: "Message refused: S/MIME signature fail (bad-signature)".into()
            }
        );
        let policy = choose(
            &r,
            &[],
            &verdict(SmimeResult::Policy, Some(Reason::Expired)),
            false,
        );
        assert!(matches!(
            policy.disposition,
            Disposition::Reject { xcode: "5.7.1", .. }
        ));
        assert_eq!(policy.action(), "reject");
    }

    #[test]
    fn a_required_signature_that_is_missing_is_refused() {
        let actions = SmimeActions::default();
        let r = rules(&actions, &[]);
        let none = verdict(SmimeResult::None, None);
        assert_eq!(choose(&r, &[], &none, false).action(), "accept");
        let refused = choose(&r, &[], &none, true);
        assert_eq!(
            refused.disposition,
            Disposition::Reject {
                code: "550",
                xcode: "5.7.1",
                line: "Message refused: an S/MIME signature is required".into()
            }
        );
    }

    #[test]
    fn undecryptable_uses_decryption_failure_when_it_is_stricter_and_says_nothing_more() {
        let actions = SmimeActions {
            permerror: A::Tag,
            ..SmimeActions::default()
        };
        let mut r = rules(&actions, &[]);
        r.decryption_failure = A::Reject;
        let v = Verdict {
            result: SmimeResult::PermError,
            reason: Some(Reason::Malformed),
            undecryptable: true,
        };
        let c = choose(&r, &[], &v, false);
        assert_eq!(
            c.disposition,
            Disposition::Reject {
                code: "550",
                xcode: "5.7.1",
                line: "Message refused: cannot decrypt".into()
            }
        );
        // Less strict than the result's own action: the result's action stands.
        r.decryption_failure = A::Accept;
        let c = choose(&r, &[], &v, false);
        assert_eq!(c.tag.as_deref(), Some("[S/MIME permerror] "));
        r.decryption_failure = A::Tag;
        let c = choose(&r, &[], &v, false);
        assert_eq!(c.tag.as_deref(), Some("[S/MIME undecryptable] "));
    }

    #[test]
    fn require_signature_matches_the_envelope_any_from_mailbox_or_an_unread_from() {
        let actions = SmimeActions::default();
        let patterns = [crate::policy::pattern::parse_pattern("ceo@example.org").unwrap()];
        let r = rules(&actions, &patterns);
        let other = Address::parse("bob@example.org", "");
        let ceo = Address::parse("ceo@example.org", "");
        let from = |mailboxes: Vec<Address>, unread| FromMailboxes {
            mailboxes,
            malformed: false,
            unread,
        };
        assert!(!signature_required(
            &r,
            &other,
            &from(vec![other.clone()], false)
        ));
        assert!(signature_required(&r, &ceo, &from(vec![], false)));
        assert!(signature_required(
            &r,
            &other,
            &from(vec![other.clone(), ceo.clone()], false)
        ));
        assert!(signature_required(&r, &other, &from(vec![], true)));
        // Nothing to require: an unreadable From: does not matter.
        assert!(!signature_required(
            &rules(&actions, &[]),
            &other,
            &from(vec![], true)
        ));
        assert_eq!(too_large(&r, false).action(), "accept");
        assert!(matches!(
            too_large(&r, true).disposition,
            Disposition::Reject {
                code: "552",
                xcode: "5.3.4",
                ..
            }
        ));
    }
}
