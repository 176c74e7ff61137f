//! S/MIME: the trust store so far (verification and decryption follow).

pub mod trust;
