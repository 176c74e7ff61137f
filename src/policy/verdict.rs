//! Decisions of the policy core, each carrying its reason (policy and rule).

use std::sync::Arc;

use super::ruleset::RuleRef;
use crate::mail::address::Address;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
    /// The rules needed are not loaded: 451, the client retries.
    Tempfail,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::Tempfail => "tempfail",
        }
    }
}

/// A refusal that a policy in report mode (`mode = "report"`) would have made: logged as
/// `would refuse` and counted, never enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldRefuse {
    pub policy: Arc<str>,
    /// `None`: no entry matched.
    pub rule: Option<RuleRef>,
    /// The address that would have been refused (sender or From:).
    pub address: Address,
    /// The reply that would have been sent, without code.
    pub reply: String,
}

/// The outcome of the sender checks of one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderVerdict {
    /// No policy checks the sender (at this stage).
    NotChecked,
    Accepted {
        policy: Arc<str>,
        rule: Option<RuleRef>,
    },
    Rejected {
        policy: Arc<str>,
        /// `None`: no entry matched.
        rule: Option<RuleRef>,
        /// The address that was refused (envelope sender or From: header).
        address: Address,
        /// Reply text, without code.
        reply: String,
    },
    /// A file this policy needs never loaded (`required = false`): answer 451.
    Unavailable { policy: Arc<str> },
    /// Only a policy in report mode refused: accepted, and reported.
    WouldReject(WouldRefuse),
}

impl SenderVerdict {
    pub fn is_rejected(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }

    /// Refused or undecidable: the message cannot go on.
    pub fn stops(&self) -> bool {
        matches!(self, Self::Rejected { .. } | Self::Unavailable { .. })
    }
}

/// The outcome of the checks for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientVerdict {
    pub action: Action,
    /// The deciding policy; `None` when no policy applies to this recipient.
    pub policy: Option<Arc<str>>,
    /// The deciding rule; `None` when no rule matched.
    pub rule: Option<RuleRef>,
    pub method: Option<Arc<str>>,
    pub param: Option<Arc<str>>,
    pub flags: Option<u64>,
    /// Reply text for a refusal, without code.
    pub reply: Option<String>,
    /// The first refusal a policy in report mode made of this recipient.
    pub would_refuse: Option<WouldRefuse>,
}

impl RecipientVerdict {
    pub fn unaffected() -> Self {
        Self {
            action: Action::Accept,
            policy: None,
            rule: None,
            method: None,
            param: None,
            flags: None,
            reply: None,
            would_refuse: None,
        }
    }

    pub fn is_rejected(&self) -> bool {
        self.action == Action::Reject
    }

    /// Refused or undecidable: this recipient cannot go on.
    pub fn stops(&self) -> bool {
        self.action != Action::Accept
    }
}

/// What the milter decides for a whole message, built stage by stage
/// (`PolicySet::at_mail`, `at_rcpt`, `at_end_of_headers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    pub sender: SenderVerdict,
    pub recipients: Vec<(Address, RecipientVerdict)>,
    /// A header-scoped policy refused something, so the whole message is refused at
    /// end of headers (the milter cannot refuse single recipients after DATA).
    pub refused_at_headers: bool,
    /// A header-scoped policy could not decide (its rules are not loaded).
    pub unavailable_at_headers: bool,
}

impl Decision {
    /// After MAIL FROM, before any recipient.
    pub fn new(sender: SenderVerdict) -> Self {
        Self {
            action: Action::Accept,
            sender,
            recipients: Vec::new(),
            refused_at_headers: false,
            unavailable_at_headers: false,
        }
    }

    /// A refusal anywhere is final; else a policy that cannot decide makes it 451.
    pub(super) fn final_action(&self) -> Action {
        let all_refused =
            !self.recipients.is_empty() && self.recipients.iter().all(|(_, v)| v.is_rejected());
        let unavailable = matches!(self.sender, SenderVerdict::Unavailable { .. })
            || self.unavailable_at_headers
            || self
                .recipients
                .iter()
                .any(|(_, v)| v.action == Action::Tempfail);
        if self.sender.is_rejected() || all_refused || self.refused_at_headers {
            Action::Reject
        } else if unavailable {
            Action::Tempfail
        } else {
            Action::Accept
        }
    }
}
