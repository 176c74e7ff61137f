//! The policy core: patterns, rule files and decisions. No I/O, no async, no logging:
//! callers pass in everything a decision needs.

pub mod engine;
pub mod index;
pub mod lookup;
pub mod pattern;
pub mod ruleset;
pub mod smime_action;
pub mod verdict;

pub use crate::mail::address::{Address, AddressError};
pub use engine::{Facts, Headers, Mode, NoMatch, Policy, PolicySet, SenderSource, Stage, When};
pub use lookup::{DirectoryAnswer, DirectoryAnswers, DirectoryQuery, NoDirectories};
pub use ruleset::{AccessRuleFile, AllowlistFile, RuleRef};
pub use verdict::{Action, Decision, RecipientVerdict, SenderVerdict, WouldRefuse};
