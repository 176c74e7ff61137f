//! CMS (RFC 5652) content types: SignedData verification, EnvelopedData and
//! AuthEnvelopedData decryption, and the ECDH key agreement that enveloped layers may use.

pub mod ecdh;
pub mod enveloped;
pub mod signed;
