//! Digest and signature algorithms, mapped from their ASN.1 identifiers onto aws-lc-rs.
//!
//! Every cryptographic operation of the S/MIME verifier goes through here: the CMS
//! SignerInfo signatures and, through certval's callback, the certificate signatures of
//! the path. Nothing here implements cryptography; it only chooses the vetted primitive.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_lc_rs::signature::{self, RsaParameters, RsaPssSaltLength, VerificationAlgorithm};
use aws_lc_rs::{cipher, digest};
use const_oid::ObjectIdentifier;
use der::asn1::ObjectIdentifier as Oid;
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

pub mod oid {
    use const_oid::ObjectIdentifier as O;
    pub const MD5: O = O::new_unwrap("1.2.840.113549.2.5");
    pub const SHA1: O = O::new_unwrap("1.3.14.3.2.26");
    pub const SHA224: O = O::new_unwrap("2.16.840.1.101.3.4.2.4");
    pub const SHA256: O = O::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: O = O::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: O = O::new_unwrap("2.16.840.1.101.3.4.2.3");

    pub const RSA_ENCRYPTION: O = O::new_unwrap("1.2.840.113549.1.1.1");
    pub const MD5_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.4");
    pub const SHA1_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.5");
    pub const RSASSA_PSS: O = O::new_unwrap("1.2.840.113549.1.1.10");
    pub const SHA256_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.13");
    pub const SHA224_WITH_RSA: O = O::new_unwrap("1.2.840.113549.1.1.14");
    pub const MGF1: O = O::new_unwrap("1.2.840.113549.1.1.8");

    pub const EC_PUBLIC_KEY: O = O::new_unwrap("1.2.840.10045.2.1");
    pub const ECDSA_WITH_SHA1: O = O::new_unwrap("1.2.840.10045.4.1");
    pub const ECDSA_WITH_SHA224: O = O::new_unwrap("1.2.840.10045.4.3.1");
    pub const ECDSA_WITH_SHA256: O = O::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_WITH_SHA384: O = O::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_WITH_SHA512: O = O::new_unwrap("1.2.840.10045.4.3.4");
    pub const P256: O = O::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: O = O::new_unwrap("1.3.132.0.34");
    pub const P521: O = O::new_unwrap("1.3.132.0.35");
    pub const ED25519: O = O::new_unwrap("1.3.101.112");

    // Content encryption (CMS EnvelopedData, PBES2).
    pub const AES128_CBC: O = O::new_unwrap("2.16.840.1.101.3.4.1.2");
    pub const AES192_CBC: O = O::new_unwrap("2.16.840.1.101.3.4.1.22");
    pub const AES256_CBC: O = O::new_unwrap("2.16.840.1.101.3.4.1.42");
    pub const AES128_GCM: O = O::new_unwrap("2.16.840.1.101.3.4.1.6");
    pub const AES192_GCM: O = O::new_unwrap("2.16.840.1.101.3.4.1.26");
    pub const AES256_GCM: O = O::new_unwrap("2.16.840.1.101.3.4.1.46");
    pub const DES_EDE3_CBC: O = O::new_unwrap("1.2.840.113549.3.7");
    pub const RC2_CBC: O = O::new_unwrap("1.2.840.113549.3.2");
    pub const DES_CBC: O = O::new_unwrap("1.3.14.3.2.7");

    pub const DATA: O = O::new_unwrap("1.2.840.113549.1.7.1");
    pub const SIGNED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.2");
    pub const ENVELOPED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.3");
    pub const AUTH_ENVELOPED_DATA: O = O::new_unwrap("1.2.840.113549.1.9.16.1.23");
    pub const CONTENT_TYPE: O = O::new_unwrap("1.2.840.113549.1.9.3");
    pub const MESSAGE_DIGEST: O = O::new_unwrap("1.2.840.113549.1.9.4");
    pub const SIGNING_TIME: O = O::new_unwrap("1.2.840.113549.1.9.5");

    pub const EMAIL_ADDRESS: O = O::new_unwrap("1.2.840.113549.1.9.1");
    pub const KP_EMAIL_PROTECTION: O = O::new_unwrap("1.3.6.1.5.5.7.3.4");
    pub const ANY_EXTENDED_KEY_USAGE: O = O::new_unwrap("2.5.29.37.0");
}

/// A digest algorithm a signature may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha1 => "sha1",
            Digest::Sha224 => "sha224",
            Digest::Sha256 => "sha256",
            Digest::Sha384 => "sha384",
            Digest::Sha512 => "sha512",
        }
    }

    pub fn aws(self) -> &'static digest::Algorithm {
        match self {
            Digest::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Digest::Sha224 => &digest::SHA224,
            Digest::Sha256 => &digest::SHA256,
            Digest::Sha384 => &digest::SHA384,
            Digest::Sha512 => &digest::SHA512,
        }
    }

    /// The digest's length in bytes.
    pub fn output_len(self) -> usize {
        self.aws().output_len()
    }
}

/// Why a signature could not be checked or did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgError {
    /// An algorithm we recognise but refuse by policy (MD5 always, SHA-1 unless allowed,
    /// RSA keys below 2048 bits).
    Weak,
    /// An algorithm or key type we do not implement, or parameters we cannot read.
    Unsupported,
    /// The key could not be parsed.
    BadKey,
    /// The cryptography ran and the signature does not verify.
    BadSignature,
}

/// Maps a digest AlgorithmIdentifier. MD5 is `Weak`, unknown ones `Unsupported`.
pub fn digest_from_oid(o: &Oid) -> Result<Digest, AlgError> {
    match *o {
        oid::SHA1 => Ok(Digest::Sha1),
        oid::SHA224 => Ok(Digest::Sha224),
        oid::SHA256 => Ok(Digest::Sha256),
        oid::SHA384 => Ok(Digest::Sha384),
        oid::SHA512 => Ok(Digest::Sha512),
        oid::MD5 => Err(AlgError::Weak),
        _ => Err(AlgError::Unsupported),
    }
}

/// The signature scheme named by a signatureAlgorithm, with the digest it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    RsaPkcs1(Digest),
    /// RSA-PSS with the declared digest (MGF1 uses the same digest) and salt length.
    RsaPss(Digest, u16),
    Ecdsa(Digest),
    Ed25519,
}

impl Scheme {
    pub fn name(self) -> String {
        match self {
            Scheme::RsaPkcs1(d) => format!("rsa-{}", d.name()),
            Scheme::RsaPss(d, salt) => format!("rsa-pss-{}-salt{}", d.name(), salt),
            Scheme::Ecdsa(d) => format!("ecdsa-{}", d.name()),
            Scheme::Ed25519 => "ed25519".to_string(),
        }
    }

    pub fn digest(self) -> Option<Digest> {
        match self {
            Scheme::RsaPkcs1(d) | Scheme::RsaPss(d, _) | Scheme::Ecdsa(d) => Some(d),
            Scheme::Ed25519 => None,
        }
    }
}

/// Reads a signature AlgorithmIdentifier. `digest_hint` is the SignerInfo's digestAlgorithm,
/// needed where the signature OID names only the key type (`rsaEncryption`, as NSS and
/// OpenSSL write for PKCS#1 v1.5, or `id-ecPublicKey`).
pub fn scheme_from_alg(
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<Digest>,
) -> Result<Scheme, AlgError> {
    let hinted = || digest_hint.ok_or(AlgError::Unsupported);
    match alg.oid {
        oid::RSA_ENCRYPTION => Ok(Scheme::RsaPkcs1(hinted()?)),
        oid::SHA1_WITH_RSA => Ok(Scheme::RsaPkcs1(Digest::Sha1)),
        oid::SHA224_WITH_RSA => Ok(Scheme::RsaPkcs1(Digest::Sha224)),
        oid::SHA256_WITH_RSA => Ok(Scheme::RsaPkcs1(Digest::Sha256)),
        oid::SHA384_WITH_RSA => Ok(Scheme::RsaPkcs1(Digest::Sha384)),
        oid::SHA512_WITH_RSA => Ok(Scheme::RsaPkcs1(Digest::Sha512)),
        oid::MD5_WITH_RSA => Err(AlgError::Weak),
        oid::RSASSA_PSS => pss_params(alg),
        oid::EC_PUBLIC_KEY => Ok(Scheme::Ecdsa(hinted()?)),
        oid::ECDSA_WITH_SHA1 => Ok(Scheme::Ecdsa(Digest::Sha1)),
        oid::ECDSA_WITH_SHA224 => Ok(Scheme::Ecdsa(Digest::Sha224)),
        oid::ECDSA_WITH_SHA256 => Ok(Scheme::Ecdsa(Digest::Sha256)),
        oid::ECDSA_WITH_SHA384 => Ok(Scheme::Ecdsa(Digest::Sha384)),
        oid::ECDSA_WITH_SHA512 => Ok(Scheme::Ecdsa(Digest::Sha512)),
        oid::ED25519 => Ok(Scheme::Ed25519),
        _ => Err(AlgError::Unsupported),
    }
}

/// RSASSA-PSS-params (RFC 4055): hashAlgorithm [0] default SHA-1, maskGenAlgorithm [1]
/// default MGF1-SHA-1, saltLength [2] default 20, trailerField [3] default 1.
#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mgf: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer: Option<u32>,
}

fn pss_params(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, AlgError> {
    let params = alg.parameters.as_ref().ok_or(AlgError::Unsupported)?;
    let bytes = params.to_der().map_err(|_| AlgError::Unsupported)?;
    let p = PssParams::from_der(&bytes).map_err(|_| AlgError::Unsupported)?;
    let hash = match &p.hash {
        Some(h) => digest_from_oid(&h.oid)?,
        None => Digest::Sha1,
    };
    // aws-lc-rs uses MGF1 with the message digest; other combinations are not supported.
    if let Some(mgf) = &p.mgf {
        if mgf.oid != oid::MGF1 {
            return Err(AlgError::Unsupported);
        }
        let inner = mgf.parameters.as_ref().ok_or(AlgError::Unsupported)?;
        let inner =
            AlgorithmIdentifierOwned::from_der(&inner.to_der().map_err(|_| AlgError::Unsupported)?)
                .map_err(|_| AlgError::Unsupported)?;
        if digest_from_oid(&inner.oid)? != hash {
            return Err(AlgError::Unsupported);
        }
    } else if hash != Digest::Sha1 {
        return Err(AlgError::Unsupported);
    }
    if p.trailer.unwrap_or(1) != 1 {
        return Err(AlgError::Unsupported);
    }
    let salt = u16::try_from(p.salt.unwrap_or(20)).map_err(|_| AlgError::Unsupported)?;
    Ok(Scheme::RsaPss(hash, salt))
}

/// Verifies `signature` over `message` with the public key in `spki`.
pub fn verify(
    scheme: Scheme,
    spki: &SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
    allow_sha1: bool,
) -> Result<(), AlgError> {
    if scheme.digest() == Some(Digest::Sha1) && !allow_sha1 {
        return Err(AlgError::Weak);
    }
    let key = spki.subject_public_key.as_bytes().ok_or(AlgError::BadKey)?;
    let alg: &'static dyn VerificationAlgorithm = match scheme {
        Scheme::RsaPkcs1(d) | Scheme::RsaPss(d, _) => {
            if spki.algorithm.oid != oid::RSA_ENCRYPTION && spki.algorithm.oid != oid::RSASSA_PSS {
                return Err(AlgError::Unsupported);
            }
            let bits = RsaParameters::public_modulus_len(key).map_err(|_| AlgError::BadKey)?;
            if bits < 2048 {
                return Err(AlgError::Weak);
            }
            rsa_params(scheme, d, bits)?
        }
        Scheme::Ecdsa(d) => {
            if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
                return Err(AlgError::Unsupported);
            }
            let curve: Oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<Oid>().ok())
                .ok_or(AlgError::BadKey)?;
            ecdsa_alg(curve, d)?
        }
        Scheme::Ed25519 => {
            if spki.algorithm.oid != oid::ED25519 {
                return Err(AlgError::Unsupported);
            }
            &signature::ED25519
        }
    };
    signature::UnparsedPublicKey::new(alg, key)
        .verify(message, signature)
        .map_err(|_| AlgError::BadSignature)
}

fn ecdsa_alg(
    curve: ObjectIdentifier,
    d: Digest,
) -> Result<&'static dyn VerificationAlgorithm, AlgError> {
    use signature::*;
    Ok(match (curve, d) {
        (oid::P256, Digest::Sha1) => &ECDSA_P256_SHA1_ASN1,
        (oid::P256, Digest::Sha256) => &ECDSA_P256_SHA256_ASN1,
        (oid::P256, Digest::Sha384) => &ECDSA_P256_SHA384_ASN1,
        (oid::P256, Digest::Sha512) => &ECDSA_P256_SHA512_ASN1,
        (oid::P384, Digest::Sha256) => &ECDSA_P384_SHA256_ASN1,
        (oid::P384, Digest::Sha384) => &ECDSA_P384_SHA384_ASN1,
        (oid::P384, Digest::Sha512) => &ECDSA_P384_SHA512_ASN1,
        (oid::P521, Digest::Sha1) => &ECDSA_P521_SHA1_ASN1,
        (oid::P521, Digest::Sha224) => &ECDSA_P521_SHA224_ASN1,
        (oid::P521, Digest::Sha256) => &ECDSA_P521_SHA256_ASN1,
        (oid::P521, Digest::Sha384) => &ECDSA_P521_SHA384_ASN1,
        (oid::P521, Digest::Sha512) => &ECDSA_P521_SHA512_ASN1,
        _ => return Err(AlgError::Unsupported),
    })
}

fn rsa_params(
    scheme: Scheme,
    d: Digest,
    bits: u32,
) -> Result<&'static dyn VerificationAlgorithm, AlgError> {
    use signature::*;
    match scheme {
        Scheme::RsaPkcs1(_) => Ok(match d {
            Digest::Sha1 => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Digest::Sha256 => &RSA_PKCS1_2048_8192_SHA256,
            Digest::Sha384 => &RSA_PKCS1_2048_8192_SHA384,
            Digest::Sha512 => &RSA_PKCS1_2048_8192_SHA512,
            Digest::Sha224 => return Err(AlgError::Unsupported),
        }),
        Scheme::RsaPss(_, salt) => {
            let base: &'static RsaParameters = match d {
                Digest::Sha256 => &RSA_PSS_2048_8192_SHA256,
                Digest::Sha384 => &RSA_PSS_2048_8192_SHA384,
                Digest::Sha512 => &RSA_PSS_2048_8192_SHA512,
                _ => return Err(AlgError::Unsupported),
            };
            if usize::from(salt) == d.output_len() {
                return Ok(base);
            }
            // Keys beyond 8192 bits cannot verify with these parameters anyway; refusing
            // them first bounds the salts, and so the table of leaked parameters below.
            if bits > MAX_RSA_BITS {
                return Err(AlgError::Unsupported);
            }
            // The salt may be any length that fits the key; bigger cannot verify.
            let em_len = (bits as usize).div_ceil(8);
            if usize::from(salt) + d.output_len() + 2 > em_len {
                return Err(AlgError::BadSignature);
            }
            Ok(pss_with_salt(d, salt, base))
        }
        _ => Err(AlgError::Unsupported),
    }
}

/// Largest RSA key the verification parameters accept (aws-lc-rs's `*_2048_8192_*`).
const MAX_RSA_BITS: u32 = 8192;
/// Largest PSS salt that fits an 8192-bit key: emLen 1024 - hLen (at least 32) - 2.
const MAX_PSS_SALT: u16 = 1024 - 32 - 2;

/// aws-lc-rs wants `&'static` parameters. Parameters for non-default salt lengths are made
/// once per (digest, salt) and kept. The caller refuses keys over `MAX_RSA_BITS`, so salts
/// are at most `MAX_PSS_SALT` and the table at most 3 x 991 entries (about 100 KB); a salt
/// past that is clamped to a parameter that cannot verify rather than leaked.
fn pss_with_salt(d: Digest, salt: u16, base: &'static RsaParameters) -> &'static RsaParameters {
    let salt = salt.min(MAX_PSS_SALT + 1);
    static TABLE: OnceLock<Mutex<HashMap<(Digest, u16), &'static RsaParameters>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = table.lock().unwrap_or_else(|e| e.into_inner());
    map.entry((d, salt)).or_insert_with(|| {
        let params = clone_params(base).with_pss_salt_length(RsaPssSaltLength::Custom(salt));
        Box::leak(Box::new(params))
    })
}

fn clone_params(base: &'static RsaParameters) -> RsaParameters {
    use signature::*;
    // RsaParameters is not Clone; rebuild from the constant it came from.
    if std::ptr::eq(base, &RSA_PSS_2048_8192_SHA384) {
        RSA_PSS_2048_8192_SHA384
    } else if std::ptr::eq(base, &RSA_PSS_2048_8192_SHA512) {
        RSA_PSS_2048_8192_SHA512
    } else {
        RSA_PSS_2048_8192_SHA256
    }
}

/// Hashes `data` with `d` in one pass.
pub fn hash(d: Digest, data: &[u8]) -> Vec<u8> {
    digest::digest(d.aws(), data).as_ref().to_vec()
}

/// CBC decryption with PKCS#7 padding; `None` for a wrong key or IV length, or bad padding.
pub fn cbc_decrypt(
    cipher_alg: &'static cipher::Algorithm,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Option<Vec<u8>> {
    let key = cipher::UnboundCipherKey::new(cipher_alg, key).ok()?;
    let key = cipher::PaddedBlockDecryptingKey::cbc_pkcs7(key).ok()?;
    let context = if cipher_alg.block_len() == 8 {
        cipher::DecryptionContext::Iv64(aws_lc_rs::iv::FixedLength::<8>::try_from(iv).ok()?)
    } else {
        cipher::DecryptionContext::Iv128(aws_lc_rs::iv::FixedLength::<16>::try_from(iv).ok()?)
    };
    let mut buf = ciphertext.to_vec();
    let n = key.decrypt(&mut buf, context).ok()?.len();
    buf.truncate(n);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_parameters_are_made_only_for_keys_that_can_verify() {
        let pss =
            |salt, bits| rsa_params(Scheme::RsaPss(Digest::Sha256, salt), Digest::Sha256, bits);
        // A key past 8192 bits is refused before a parameter would be made (and leaked).
        assert!(matches!(pss(40, 8193), Err(AlgError::Unsupported)));
        assert!(matches!(pss(40, 16384), Err(AlgError::Unsupported)));
        // A salt that cannot fit the key cannot verify.
        assert!(pss(990, 8192).is_ok());
        assert!(matches!(pss(991, 8192), Err(AlgError::BadSignature)));
        // The default salt needs no table entry, whatever the size.
        assert!(pss(32, 2048).is_ok());
    }

    #[test]
    fn md5_is_weak_and_unknown_unsupported() {
        assert_eq!(digest_from_oid(&oid::MD5), Err(AlgError::Weak));
        assert_eq!(digest_from_oid(&oid::DATA), Err(AlgError::Unsupported));
        assert_eq!(digest_from_oid(&oid::SHA384), Ok(Digest::Sha384));
    }

    #[test]
    fn rsa_encryption_needs_a_digest_hint() {
        let alg = AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: None,
        };
        assert_eq!(scheme_from_alg(&alg, None), Err(AlgError::Unsupported));
        assert_eq!(
            scheme_from_alg(&alg, Some(Digest::Sha256)),
            Ok(Scheme::RsaPkcs1(Digest::Sha256))
        );
    }

    #[test]
    fn ed25519_signatures_verify_and_a_changed_message_does_not() {
        use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
        // OpenSSL 3.0's CLI cannot make Ed25519 CMS, so the mapping is checked here.
        let key = Ed25519KeyPair::generate().unwrap();
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid::ED25519,
                parameters: None,
            },
            subject_public_key: der::asn1::BitString::from_bytes(key.public_key().as_ref())
                .unwrap(),
        };
        let sig = key.sign(b"signed attributes");
        let alg = AlgorithmIdentifierOwned {
            oid: oid::ED25519,
            parameters: None,
        };
        let scheme = scheme_from_alg(&alg, Some(Digest::Sha512)).unwrap();
        assert_eq!(
            verify(scheme, &spki, b"signed attributes", sig.as_ref(), false),
            Ok(())
        );
        assert_eq!(
            verify(scheme, &spki, b"signed attributez", sig.as_ref(), false),
            Err(AlgError::BadSignature)
        );
        // The key must be of the scheme's type.
        assert_eq!(
            verify(
                Scheme::Ecdsa(Digest::Sha256),
                &spki,
                b"x",
                sig.as_ref(),
                false
            ),
            Err(AlgError::Unsupported)
        );
    }

    #[test]
    fn pss_salt_table_is_shared() {
        let a = pss_with_salt(Digest::Sha256, 222, &signature::RSA_PSS_2048_8192_SHA256);
        let b = pss_with_salt(Digest::Sha256, 222, &signature::RSA_PSS_2048_8192_SHA256);
        assert!(std::ptr::eq(a, b));
    }
}
