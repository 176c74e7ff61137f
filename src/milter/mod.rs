//! The milter: protocol glue (`callbacks`) over per-connection state (`session`).

pub mod callbacks;
pub mod session;
pub mod smime;

pub use session::{Answer, Session};
