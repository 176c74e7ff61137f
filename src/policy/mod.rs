//! The policy core: addresses, patterns, rule files and decisions. No I/O, no async,
//! no logging: callers pass in everything a decision needs.

pub mod address;
pub mod engine;
pub mod index;
pub mod pattern;
pub mod reader;
pub mod ruleset;
pub mod verdict;

pub use address::{Address, AddressError};
pub use engine::{Facts, Headers, Policy, PolicySet, Stage, When};
pub use ruleset::{AccessRuleFile, AllowlistFile, RuleRef};
pub use verdict::{Action, Decision, RecipientVerdict, SenderVerdict};
