//! Password-based decryption, for private keys stored encrypted: PBES2 (RFC 8018: PBKDF2
//! with HMAC-SHA1/256/384/512, then AES-CBC or DES-EDE3-CBC) and the PKCS#12 PBE that older
//! Windows and NSS exports use (RFC 7292 App. C, pbeWithSHAAnd3-KeyTripleDES-CBC), plus the
//! PKCS#12 MAC check. For the *certificates* of a PKCS#12 file (never a key) also
//! pbeWithSHAAnd40BitRC2-CBC and its 128-bit sibling, the pre-2019 Windows and
//! `openssl pkcs12 -legacy` default.
//!
//! PBKDF2, HMAC and the ciphers are aws-lc-rs; the PKCS#12 key derivation (App. B) is
//! RustCrypto's `pkcs12::kdf`, RC2 RustCrypto's `rc2` (aws-lc-rs has none). Nothing here is
//! hand-made cryptography: this module only reads the parameters and feeds them to those.

use std::num::NonZeroU32;

use aws_lc_rs::{cipher, hmac, pbkdf2};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::OctetString;
use pkcs12::kdf::{Pkcs12KeyType, derive_key};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

/// More iterations than any exporter writes (Windows 2000–600,000, OpenSSL 2,048–10,000)
/// would only make loading slow.
pub const MAX_ITERATIONS: u32 = 10_000_000;

mod alg {
    use const_oid::ObjectIdentifier as O;
    pub const PBES2: O = O::new_unwrap("1.2.840.113549.1.5.13");
    pub const PBKDF2: O = O::new_unwrap("1.2.840.113549.1.5.12");
    pub const HMAC_SHA1: O = O::new_unwrap("1.2.840.113549.2.7");
    pub const HMAC_SHA256: O = O::new_unwrap("1.2.840.113549.2.9");
    pub const HMAC_SHA384: O = O::new_unwrap("1.2.840.113549.2.10");
    pub const HMAC_SHA512: O = O::new_unwrap("1.2.840.113549.2.11");
    /// pkcs-12PbeIds: 1 and 2 are RC4, 3 three-key 3DES, 4 two-key 3DES, 5 and 6 RC2.
    pub const PKCS12_PBE_SHA1_3DES: O = O::new_unwrap("1.2.840.113549.1.12.1.3");
    pub const PKCS12_PBE_SHA1_RC2_128: O = O::new_unwrap("1.2.840.113549.1.12.1.5");
    pub const PKCS12_PBE_SHA1_RC2_40: O = O::new_unwrap("1.2.840.113549.1.12.1.6");
    pub const PKCS12_PBE_PREFIX: &str = "1.2.840.113549.1.12.1.";
    pub use crate::smime::algorithms::oid::{
        AES128_CBC, AES192_CBC, AES256_CBC, DES_EDE3_CBC, SHA1, SHA224, SHA256, SHA384, SHA512,
    };
}

/// A password as configured (UTF-8 bytes), and how PKCS#12 writes it when it is empty.
#[derive(Debug, Clone, Copy)]
pub struct Password<'a> {
    pub utf8: &'a [u8],
    /// The empty password as a zero-length BMPString ("no password": GnuTLS
    /// `--null-password`, some Windows exports) instead of RFC 7292 B.1's two zero bytes.
    /// OpenSSL and NSS try both; so do we.
    pub null: bool,
}

impl<'a> Password<'a> {
    pub fn new(utf8: &'a [u8]) -> Password<'a> {
        Password { utf8, null: false }
    }

    /// The forms to try, in order: as RFC 7292 writes it, then, for an empty password,
    /// the zero-length one.
    pub fn forms(utf8: &'a [u8]) -> Vec<Password<'a>> {
        let mut out = vec![Password::new(utf8)];
        if utf8.is_empty() {
            out.push(Password { utf8, null: true });
        }
        out
    }
}

/// Why a password-protected object did not open. `WrongPassword` covers "or damaged":
/// with CBC padding and a MAC those cannot be told apart.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PbeError {
    #[error("wrong password (or the file is damaged)")]
    WrongPassword,
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("malformed: {0}")]
    Malformed(String),
}

/// PBES2-params (RFC 8018 A.4).
#[derive(der::Sequence)]
struct Pbes2Params {
    kdf: AlgorithmIdentifierOwned,
    encryption: AlgorithmIdentifierOwned,
}

/// PBKDF2-params (RFC 8018 A.2); the `otherSource` salt choice is not supported.
#[derive(der::Sequence)]
struct Pbkdf2Params {
    salt: OctetString,
    iterations: u32,
    #[asn1(optional = "true")]
    key_length: Option<u32>,
    #[asn1(optional = "true")]
    prf: Option<AlgorithmIdentifierOwned>,
}

/// pkcs-12PbeParams (RFC 7292 App. C).
#[derive(der::Sequence)]
struct Pkcs12PbeParams {
    salt: OctetString,
    iterations: u32,
}

/// Decrypts `ciphertext` encrypted under `alg` with `password` (UTF-8 as configured).
pub fn decrypt(
    alg: &AlgorithmIdentifierOwned,
    password: Password<'_>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    if alg.oid == alg::PBES2 {
        pbes2(alg, password.utf8, ciphertext)
    } else if alg.oid == alg::PKCS12_PBE_SHA1_3DES {
        let (key, iv) = pkcs12_pbe_key_iv(alg, password, 24)?;
        cbc(legacy_3des(), &key, &iv, ciphertext)
    } else if let Some(n) = alg.oid.to_string().strip_prefix(alg::PKCS12_PBE_PREFIX) {
        let name = match n {
            "1" => "pbeWithSHAAnd128BitRC4",
            "2" => "pbeWithSHAAnd40BitRC4",
            "4" => "pbeWithSHAAnd2-KeyTripleDES-CBC",
            "5" => "pbeWithSHAAnd128BitRC2-CBC",
            "6" => "pbeWithSHAAnd40BitRC2-CBC",
            _ => "an unknown PKCS#12 PBE",
        };
        Err(PbeError::Unsupported(format!(
            "{name} (legacy export); re-export with AES-256 (Windows: \"AES256-SHA256\") or \
             convert: openssl pkcs12 -legacy -in OLD.p12 -nodes | openssl pkcs12 -export -out NEW.p12"
        )))
    } else {
        Err(PbeError::Unsupported(format!(
            "password-based encryption {}",
            alg.oid
        )))
    }
}

fn pbes2(
    alg: &AlgorithmIdentifierOwned,
    password: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    let p: Pbes2Params = params(alg)?;
    if p.kdf.oid != alg::PBKDF2 {
        return Err(PbeError::Unsupported(format!(
            "key derivation {} (PBKDF2 expected)",
            p.kdf.oid
        )));
    }
    let kdf: Pbkdf2Params = params(&p.kdf)?;
    // The PRF's parameters are NULL or absent (NSS omits them).
    let prf = match kdf.prf.as_ref().map(|a| a.oid) {
        None | Some(alg::HMAC_SHA1) => pbkdf2::PBKDF2_HMAC_SHA1,
        Some(alg::HMAC_SHA256) => pbkdf2::PBKDF2_HMAC_SHA256,
        Some(alg::HMAC_SHA384) => pbkdf2::PBKDF2_HMAC_SHA384,
        Some(alg::HMAC_SHA512) => pbkdf2::PBKDF2_HMAC_SHA512,
        Some(other) => return Err(PbeError::Unsupported(format!("PBKDF2 with PRF {other}"))),
    };
    let (cipher_alg, key_len) = match p.encryption.oid {
        alg::AES128_CBC => (&cipher::AES_128, 16),
        alg::AES192_CBC => (&cipher::AES_192, 24),
        alg::AES256_CBC => (&cipher::AES_256, 32),
        alg::DES_EDE3_CBC => (legacy_3des(), 24),
        other => return Err(PbeError::Unsupported(format!("PBES2 cipher {other}"))),
    };
    if kdf.key_length.is_some_and(|l| l as usize != key_len) {
        return Err(PbeError::Malformed(
            "PBKDF2 key length differs from the cipher's".into(),
        ));
    }
    let iv: OctetString = params(&p.encryption)?;
    let rounds = NonZeroU32::new(kdf.iterations)
        .filter(|n| n.get() <= MAX_ITERATIONS)
        .ok_or_else(|| bad_iterations(kdf.iterations))?;
    let mut key = Zeroizing::new(vec![0u8; key_len]);
    pbkdf2::derive(prf, rounds, kdf.salt.as_bytes(), password, &mut key);
    cbc(cipher_alg, &key, iv.as_bytes(), ciphertext)
}

/// Checks a PKCS#12 MacData: HMAC over the authenticated safe with a key from the PKCS#12
/// KDF (ID 3). Constant-time comparison (aws-lc-rs `hmac::verify`).
pub fn check_pkcs12_mac(
    digest_alg: &Oid,
    expected: &[u8],
    salt: &[u8],
    iterations_count: u32,
    password: Password<'_>,
    data: &[u8],
) -> Result<(), PbeError> {
    let rounds = iterations(iterations_count)?;
    let bmp = bmp_password(password)?;
    let (algorithm, key) = match *digest_alg {
        alg::SHA1 => (
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            derive_key::<sha1_v010::Sha1>(&bmp, salt, Pkcs12KeyType::Mac, rounds, 20),
        ),
        alg::SHA224 => (
            hmac::HMAC_SHA224,
            derive_key::<sha2_v010::Sha224>(&bmp, salt, Pkcs12KeyType::Mac, rounds, 28),
        ),
        alg::SHA256 => (
            hmac::HMAC_SHA256,
            derive_key::<sha2_v010::Sha256>(&bmp, salt, Pkcs12KeyType::Mac, rounds, 32),
        ),
        alg::SHA384 => (
            hmac::HMAC_SHA384,
            derive_key::<sha2_v010::Sha384>(&bmp, salt, Pkcs12KeyType::Mac, rounds, 48),
        ),
        alg::SHA512 => (
            hmac::HMAC_SHA512,
            derive_key::<sha2_v010::Sha512>(&bmp, salt, Pkcs12KeyType::Mac, rounds, 64),
        ),
        other => {
            return Err(PbeError::Unsupported(format!(
                "PKCS#12 MAC digest {other} (PBMAC1 and others)"
            )));
        }
    };
    let key = Zeroizing::new(key);
    hmac::verify(&hmac::Key::new(algorithm, &key), data, expected)
        .map_err(|_| PbeError::WrongPassword)
}

/// The weak PBE a PKCS#12 file's certificates were protected with, as `check` names it.
pub const RC2_40: &str = "pbeWithSHAAnd40BitRC2-CBC";
pub const RC2_128: &str = "pbeWithSHAAnd128BitRC2-CBC";

/// Decrypts a PKCS#12 file's certificate EncryptedData: whatever [`decrypt`] reads, and
/// also RC2 (RFC 7292 App. C ids 5 and 6). The weak algorithm's name comes back with it.
pub fn decrypt_certificates(
    alg: &AlgorithmIdentifierOwned,
    password: Password<'_>,
    ciphertext: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, Option<&'static str>), PbeError> {
    let (name, key_len) = match alg.oid {
        alg::PKCS12_PBE_SHA1_RC2_40 => (RC2_40, 5),
        alg::PKCS12_PBE_SHA1_RC2_128 => (RC2_128, 16),
        _ => return decrypt(alg, password, ciphertext).map(|plain| (plain, None)),
    };
    let (key, iv) = pkcs12_pbe_key_iv(alg, password, key_len)?;
    use cbc::cipher::{BlockDecryptMut, InnerIvInit, block_padding::Pkcs7};
    let rc2 = rc2::Rc2::new_with_eff_key_len(&key, key_len * 8);
    let decryptor = cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(rc2, &iv)
        .map_err(|_| PbeError::Malformed("RC2 IV".into()))?;
    let plain = decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| PbeError::WrongPassword)?;
    Ok((Zeroizing::new(plain), Some(name)))
}

/// The key (`key_len` bytes) and 8-byte IV of a PKCS#12 PBE (RFC 7292 App. B and C:
/// SHA-1 KDF, IDs 1 and 2).
fn pkcs12_pbe_key_iv(
    alg: &AlgorithmIdentifierOwned,
    password: Password<'_>,
    key_len: usize,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), PbeError> {
    let p: Pkcs12PbeParams = params(alg)?;
    let rounds = iterations(p.iterations)?;
    let bmp = bmp_password(password)?;
    let salt = p.salt.as_bytes();
    let key = Zeroizing::new(derive_key::<sha1_v010::Sha1>(
        &bmp,
        salt,
        Pkcs12KeyType::EncryptionKey,
        rounds,
        key_len,
    ));
    let iv = derive_key::<sha1_v010::Sha1>(&bmp, salt, Pkcs12KeyType::Iv, rounds, 8);
    Ok((key, iv))
}

fn params<T: for<'a> der::Decode<'a, Error = der::Error>>(
    alg: &AlgorithmIdentifierOwned,
) -> Result<T, PbeError> {
    let any = alg
        .parameters
        .as_ref()
        .ok_or_else(|| PbeError::Malformed(format!("{}: parameters missing", alg.oid)))?;
    crate::smime::asn1::decode_any(any)
        .map_err(|e| PbeError::Malformed(format!("{} parameters: {e}", alg.oid)))
}

fn bad_iterations(n: u32) -> PbeError {
    PbeError::Unsupported(format!(
        "iteration count {n} (1 to {MAX_ITERATIONS} accepted)"
    ))
}

/// The PKCS#12 KDF's iteration count (the crate takes an `i32`).
fn iterations(n: u32) -> Result<i32, PbeError> {
    if n == 0 || n > MAX_ITERATIONS {
        return Err(bad_iterations(n));
    }
    Ok(n as i32)
}

/// The password as PKCS#12 wants it (RFC 7292 B.1): a BMPString, big-endian UTF-16 with two
/// terminating zero bytes (none at all for the null form of the empty password).
fn bmp_password(password: Password<'_>) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    if password.null && password.utf8.is_empty() {
        return Ok(Zeroizing::new(Vec::new()));
    }
    let text = std::str::from_utf8(password.utf8)
        .map_err(|_| PbeError::Unsupported("a password that is not UTF-8".into()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 2 + 2));
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out.extend_from_slice(&[0, 0]);
    Ok(out)
}

#[allow(deprecated)] // Old exports protect keys with 3DES; reading them is all we do.
fn legacy_3des() -> &'static cipher::Algorithm {
    &cipher::DES_EDE3_FOR_LEGACY_USE_ONLY
}

fn cbc(
    alg: &'static cipher::Algorithm,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    crate::smime::algorithms::cbc_decrypt(alg, key, iv, ciphertext)
        .map(Zeroizing::new)
        .ok_or(PbeError::WrongPassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_password_is_utf16_big_endian_with_terminator() {
        assert_eq!(
            bmp_password(Password::new(b"n\xc3\xa4"))
                .unwrap()
                .as_slice(),
            &[0, b'n', 0, 0xe4, 0, 0]
        );
        assert_eq!(
            bmp_password(Password::new(b"")).unwrap().as_slice(),
            &[0, 0]
        );
        let null = Password::forms(b"")[1];
        assert!(bmp_password(null).unwrap().is_empty());
        assert_eq!(Password::forms(b"x").len(), 1);
        assert!(bmp_password(Password::new(b"\xff")).is_err());
    }

    #[test]
    fn iteration_counts_are_bounded() {
        assert!(iterations(0).is_err());
        assert!(iterations(MAX_ITERATIONS).is_ok());
        assert!(iterations(MAX_ITERATIONS + 1).is_err());
    }
}
