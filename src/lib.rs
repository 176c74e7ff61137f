//! mailwarden: a policy milter for Postfix and Sendmail.
//!
//! `mail` reads addresses the way the MTA does; `policy` is the pure decision core (rules
//! and the S/MIME action); `smime` verifies and decrypts; `config` and `rules` read files
//! into them; `runtime` holds the snapshot in force and reloads it; `milter` is the
//! protocol glue; `server` runs it; `cli` is the command line. docs/architecture.md has
//! the map.

#![forbid(unsafe_code)]

pub mod auth_results;
pub mod cli;
pub mod config;
pub mod control;
pub mod diag;
pub mod directory;
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
