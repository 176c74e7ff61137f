//! What a message says about who sent it, read the way the MTA and a mail reader read it:
//! envelope and header addresses (RFC 5321 / RFC 5322) and the From: mailboxes. Shared by
//! the policy core and the S/MIME signer binding; depends on neither.

pub mod address;
pub mod reader;
