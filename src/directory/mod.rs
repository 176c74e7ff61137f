//! Directories (LDAP) as rule sources: `[directory.NAME]` connections and the
//! `[[sync]]` jobs that write rule files from them (`mailwarden sync`).
//!
//! `template` and `sync::render` are pure; `client` is the only network code, and
//! `sync::write_guarded` the only file writing.

pub mod cache;
pub mod client;
pub mod entry;
pub mod live;
pub mod spec;
pub mod sync;
pub mod template;

pub use client::{Client, DirectoryError};
pub use entry::Entry;
pub use spec::{DirectorySpec, SyncSpec, Tls};
pub use template::{Template, TemplateError, escape_filter_value};
