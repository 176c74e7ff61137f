//! The milter: protocol glue (`callbacks`) over per-connection state (`session`).

pub mod callbacks;
pub mod session;

pub use session::{Answer, Session};
