//! mailwarden: a policy milter for Postfix and Sendmail.
//!
//! `policy` is the pure decision core; `config` and `rules` read files into it;
//! `milter` is the protocol glue; `server` runs it; `cli` is the command line.

pub mod auth_results;
pub mod cli;
pub mod config;
pub mod control;
pub mod diag;
pub mod fuzzing;
pub mod listen;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod milter;
pub mod notify;
pub mod policy;
pub mod rules;
pub mod runtime;
pub mod server;
pub mod smime;
