//! The public-key infrastructure a signer is judged against: the configured trust store,
//! the CRLs, and RFC 5280 path validation (certval, with aws-lc-rs as its crypto).

pub mod crl;
pub mod path;
pub mod revocation;
pub mod trust;
