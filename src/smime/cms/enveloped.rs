//! Opening EnvelopedData and AuthEnvelopedData with the configured keys: RSA key transport
//! (PKCS#1 v1.5, OAEP) and AES-CBC, 3DES-CBC or AES-GCM content, all through aws-lc-rs.
//!
//! Failures are answers, and they look alike from outside: a key-transport failure goes on
//! with a random content key (RFC 3218 "implicit rejection"), so the content decryption fails
//! the same way and in about the same time whatever went wrong; details are returned for the
//! audit line only.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher;
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey};
use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::ContentInfo;
use cms::enveloped_data::{
    EnvelopedData, KeyAgreeRecipientIdentifier, RecipientIdentifier, RecipientInfo, RecipientInfos,
};
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Any, Decode, Encode};
use spki::AlgorithmIdentifierOwned;

use crate::smime::algorithms::{Digest, digest_from_oid, oid};
use crate::smime::asn1::decode_any;
use crate::smime::keys::{DecryptionKey, PrivateKey};
use crate::smime::limits::Exceeded;

mod alg {
    use const_oid::ObjectIdentifier as O;
    pub const RSAES_OAEP: O = O::new_unwrap("1.2.840.113549.1.1.7");
    pub use crate::smime::algorithms::oid::{
        AES128_CBC, AES128_GCM, AES192_CBC, AES192_GCM, AES256_CBC, AES256_GCM, DES_CBC,
        DES_EDE3_CBC, RC2_CBC,
    };
}

/// What opening one enveloped layer gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The content, and the names of the key and algorithms used (for the audit line).
    Ok {
        content: Vec<u8>,
        key: String,
        algorithm: String,
        weak: bool,
    },
    NoKey,
    Failed(String),
    /// A bound of `[smime.limits]` stopped it; the text says by how much.
    OverLimit(Exceeded, String),
    Unsupported(String),
}

/// Opens `ci` (EnvelopedData or AuthEnvelopedData) with the first matching key that works.
/// More than `max_recipients` RecipientInfos is a failure (`too-many-recipients`).
pub fn open(
    ci: &ContentInfo,
    keys: &[DecryptionKey],
    allow_3des: bool,
    max_recipients: usize,
) -> Opened {
    if ci.content_type == oid::AUTH_ENVELOPED_DATA {
        let Ok(ad) = decode_any::<AuthEnvelopedData>(&ci.content) else {
            return Opened::Failed("malformed AuthEnvelopedData".into());
        };
        let aad = match &ad.auth_attrs {
            Some(attrs) => match attrs.to_der() {
                Ok(d) => d,
                Err(_) => return Opened::Failed("malformed authenticated attributes".into()),
            },
            None => Vec::new(),
        };
        let eci = &ad.auth_encrypted_content_info;
        return with_each_key(&ad.recip_infos, keys, max_recipients, |cek| {
            gcm_open(
                &eci.content_enc_alg,
                cek,
                eci.encrypted_content.as_ref(),
                &aad,
                ad.mac.as_bytes(),
            )
        });
    }
    let Ok(ed) = decode_any::<EnvelopedData>(&ci.content) else {
        return Opened::Failed("malformed EnvelopedData".into());
    };
    let eci = &ed.encrypted_content;
    if !allow_3des && eci.content_enc_alg.oid == alg::DES_EDE3_CBC {
        return Opened::Unsupported("des-ede3-cbc (allow_3des = false)".into());
    }
    with_each_key(&ed.recip_infos, keys, max_recipients, |cek| {
        cbc_open(&eci.content_enc_alg, cek, eci.encrypted_content.as_ref())
    })
}

/// Tries every key a RecipientInfo names; the content decides whether a key worked.
fn with_each_key(
    infos: &RecipientInfos,
    keys: &[DecryptionKey],
    max_recipients: usize,
    content: impl Fn(&[u8]) -> Result<(Vec<u8>, String, bool), Failure>,
) -> Opened {
    if infos.0.len() > max_recipients {
        return Opened::OverLimit(
            Exceeded::Recipients,
            format!(
                "{}: {} RecipientInfos, limit {max_recipients}",
                Exceeded::Recipients.token(),
                infos.0.len()
            ),
        );
    }
    let mut last = None;
    // Each (key, content-encryption key) candidate: RSA key transport or ECDH agreement.
    let mut try_cek = |key: &DecryptionKey, cek: Result<Vec<u8>, Failure>| -> Option<Opened> {
        let cek = match cek {
            Ok(cek) => cek,
            Err(Failure::Unsupported(what)) => {
                last = Some(Opened::Unsupported(what));
                return None;
            }
            Err(Failure::Failed(why)) => {
                last = Some(Opened::Failed(why));
                return None;
            }
        };
        match content(&cek) {
            Ok((content, algorithm, weak)) => Some(Opened::Ok {
                content,
                key: key.label(),
                algorithm,
                weak,
            }),
            Err(Failure::Unsupported(what)) => {
                last = Some(Opened::Unsupported(what));
                None
            }
            Err(Failure::Failed(why)) => {
                last = Some(Opened::Failed(why));
                None
            }
        }
    };
    for info in infos.0.iter() {
        match info {
            RecipientInfo::Ktri(ktri) => {
                for key in keys {
                    let named = match &ktri.rid {
                        RecipientIdentifier::IssuerAndSerialNumber(isn) => {
                            key.is_issuer_serial(&isn.issuer, isn.serial_number.as_bytes())
                        }
                        RecipientIdentifier::SubjectKeyIdentifier(skid) => {
                            key.is_skid(skid.0.as_bytes())
                        }
                    };
                    let PrivateKey::Rsa(rsa) = &key.key else {
                        continue;
                    };
                    if !named {
                        continue;
                    }
                    let cek = unwrap_key(&ktri.key_enc_alg, rsa, ktri.enc_key.as_bytes());
                    if let Some(opened) = try_cek(key, cek) {
                        return opened;
                    }
                }
            }
            RecipientInfo::Kari(kari) => {
                for rek in kari.recipient_enc_keys.iter() {
                    for key in keys {
                        let named = match &rek.rid {
                            KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(isn) => {
                                key.is_issuer_serial(&isn.issuer, isn.serial_number.as_bytes())
                            }
                            KeyAgreeRecipientIdentifier::RKeyId(rkid) => {
                                key.is_skid(rkid.subject_key_identifier.0.as_bytes())
                            }
                        };
                        let PrivateKey::Ec(ec) = &key.key else {
                            continue;
                        };
                        if !named {
                            continue;
                        }
                        let cek = super::ecdh::unwrap_key(kari, ec, rek.enc_key.as_bytes())
                            .map_err(Failure::from);
                        if let Some(opened) = try_cek(key, cek) {
                            return opened;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    last.unwrap_or(Opened::NoKey)
}

pub(super) enum Failure {
    Unsupported(String),
    Failed(String),
}

impl From<super::ecdh::Failure> for Failure {
    fn from(f: super::ecdh::Failure) -> Failure {
        match f {
            super::ecdh::Failure::Unsupported(s) => Failure::Unsupported(s),
            super::ecdh::Failure::Failed(s) => Failure::Failed(s),
        }
    }
}

/// RSAES-OAEP-params (RFC 4055): hash [0] default SHA-1, MGF [1] default MGF1-SHA-1,
/// pSource [2] default empty label.
#[derive(der::Sequence)]
struct OaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mgf: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    label: Option<AlgorithmIdentifierOwned>,
}

/// The content-encryption key. Any RSA failure yields a random 32-byte key instead (the
/// content decryption then fails like any other wrong key).
fn unwrap_key(
    alg: &AlgorithmIdentifierOwned,
    rsa: &aws_lc_rs::rsa::PrivateDecryptingKey,
    wrapped: &[u8],
) -> Result<Vec<u8>, Failure> {
    let mut out = vec![0u8; rsa.key_size_bytes()];
    // The unwrapped length, or `None` for any RSA failure (answered with a random key).
    let unwrapped: Option<usize> = match alg.oid {
        oid::RSA_ENCRYPTION => Pkcs1PrivateDecryptingKey::new(rsa.clone())
            .ok()
            .and_then(|k| k.decrypt(wrapped, &mut out).ok().map(|p| p.len())),
        alg::RSAES_OAEP => {
            let digest = oaep_digest(alg.parameters.as_ref())?;
            let algorithm = match digest {
                Digest::Sha1 => &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                Digest::Sha256 => &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                Digest::Sha384 => &aws_lc_rs::rsa::OAEP_SHA384_MGF1SHA384,
                Digest::Sha512 => &aws_lc_rs::rsa::OAEP_SHA512_MGF1SHA512,
                Digest::Sha224 => return Err(Failure::Unsupported("RSA-OAEP with SHA-224".into())),
            };
            OaepPrivateDecryptingKey::new(rsa.clone())
                .ok()
                .and_then(|k| {
                    k.decrypt(algorithm, wrapped, &mut out, None)
                        .ok()
                        .map(|p| p.len())
                })
        }
        other => return Err(Failure::Unsupported(format!("key transport {other}"))),
    };
    match unwrapped {
        Some(n) => {
            out.truncate(n);
            Ok(out)
        }
        None => {
            let mut random = vec![0u8; 32];
            aws_lc_rs::rand::fill(&mut random)
                .map_err(|_| Failure::Failed("no randomness".into()))?;
            Ok(random)
        }
    }
}

fn oaep_digest(params: Option<&Any>) -> Result<Digest, Failure> {
    let unsupported = |what: &str| Failure::Unsupported(format!("RSA-OAEP parameters: {what}"));
    let Some(params) = params else {
        return Ok(Digest::Sha1);
    };
    let bytes = params.to_der().map_err(|_| unsupported("unreadable"))?;
    let p = OaepParams::from_der(&bytes).map_err(|_| unsupported("unreadable"))?;
    let hash = match &p.hash {
        Some(h) => digest_from_oid(&h.oid).map_err(|_| unsupported("hash"))?,
        None => Digest::Sha1,
    };
    let mgf_hash = match &p.mgf {
        Some(m) if m.oid == oid::MGF1 => {
            let inner = m
                .parameters
                .as_ref()
                .ok_or_else(|| unsupported("MGF1 without hash"))?;
            let inner = AlgorithmIdentifierOwned::from_der(
                &inner.to_der().map_err(|_| unsupported("MGF1"))?,
            )
            .map_err(|_| unsupported("MGF1"))?;
            digest_from_oid(&inner.oid).map_err(|_| unsupported("MGF1 hash"))?
        }
        Some(_) => return Err(unsupported("mask generation function")),
        None => Digest::Sha1,
    };
    if mgf_hash != hash {
        return Err(unsupported("MGF1 hash differs from the OAEP hash"));
    }
    if p.label.is_some() {
        return Err(unsupported("a label"));
    }
    Ok(hash)
}

/// AES-CBC or 3DES-CBC with PKCS#7 padding.
#[allow(deprecated)] // 3DES: kept for old mail, reported as weak.
fn cbc_open(
    alg: &AlgorithmIdentifierOwned,
    cek: &[u8],
    ciphertext: Option<&OctetString>,
) -> Result<(Vec<u8>, String, bool), Failure> {
    let (cipher_alg, name, weak): (&'static cipher::Algorithm, &str, bool) = match alg.oid {
        alg::AES128_CBC => (&cipher::AES_128, "aes-128-cbc", false),
        alg::AES192_CBC => (&cipher::AES_192, "aes-192-cbc", false),
        alg::AES256_CBC => (&cipher::AES_256, "aes-256-cbc", false),
        // Legacy, accepted for decryption and reported as weak in the audit line.
        alg::DES_EDE3_CBC => (&cipher::DES_EDE3_FOR_LEGACY_USE_ONLY, "des-ede3-cbc", true),
        alg::RC2_CBC => return Err(Failure::Unsupported("rc2-cbc".into())),
        alg::DES_CBC => return Err(Failure::Unsupported("des-cbc".into())),
        other => return Err(Failure::Unsupported(format!("content encryption {other}"))),
    };
    let ciphertext =
        ciphertext.ok_or_else(|| Failure::Unsupported("detached encrypted content".into()))?;
    let iv = alg
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<OctetString>().ok())
        .ok_or_else(|| Failure::Failed("no IV".into()))?;
    // A wrong-length key (a random one after a key-transport failure) fails like a wrong key.
    let plain = crate::smime::algorithms::cbc_decrypt(
        cipher_alg,
        cek,
        iv.as_bytes(),
        ciphertext.as_bytes(),
    )
    .ok_or_else(|| {
        Failure::Failed("content decryption failed (wrong key, bad IV or corrupt data)".into())
    })?;
    Ok((plain, name.to_string(), weak))
}

/// GCMParameters (RFC 5084): aes-nonce, aes-ICVlen default 12.
#[derive(der::Sequence)]
struct GcmParameters {
    nonce: OctetString,
    #[asn1(default = "default_icv_len")]
    icv_len: u8,
}

fn default_icv_len() -> u8 {
    12
}

fn gcm_open(
    alg: &AlgorithmIdentifierOwned,
    cek: &[u8],
    ciphertext: Option<&OctetString>,
    aad: &[u8],
    tag: &[u8],
) -> Result<(Vec<u8>, String, bool), Failure> {
    let (aead_alg, name): (&'static aead::Algorithm, &str) = match alg.oid {
        alg::AES128_GCM => (&aead::AES_128_GCM, "aes-128-gcm"),
        alg::AES192_GCM => (&aead::AES_192_GCM, "aes-192-gcm"),
        alg::AES256_GCM => (&aead::AES_256_GCM, "aes-256-gcm"),
        other => {
            return Err(Failure::Unsupported(format!(
                "authenticated content encryption {other}"
            )));
        }
    };
    let ciphertext =
        ciphertext.ok_or_else(|| Failure::Unsupported("detached encrypted content".into()))?;
    let params = alg
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok())
        .and_then(|d| GcmParameters::from_der(&d).ok())
        .ok_or_else(|| Failure::Failed("no GCM parameters".into()))?;
    if params.nonce.as_bytes().len() != 12 {
        return Err(Failure::Unsupported("GCM nonce not 12 bytes".into()));
    }
    if tag.len() != usize::from(params.icv_len) || tag.len() != 16 {
        return Err(Failure::Unsupported(format!(
            "GCM tag of {} bytes",
            tag.len()
        )));
    }
    let failed =
        || Failure::Failed("content authentication failed (wrong key or corrupt data)".into());
    let key = UnboundKey::new(aead_alg, cek).map_err(|_| failed())?;
    let key = LessSafeKey::new(key);
    let nonce = Nonce::try_assume_unique_for_key(params.nonce.as_bytes())
        .map_err(|_| Failure::Failed("bad nonce".into()))?;
    let mut buf = Vec::with_capacity(ciphertext.as_bytes().len() + tag.len());
    buf.extend_from_slice(ciphertext.as_bytes());
    buf.extend_from_slice(tag);
    let n = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| failed())?
        .len();
    buf.truncate(n);
    Ok((buf, name.to_string(), false))
}

/// Whether an OID is one of the enveloped content types.
pub fn is_enveloped(content_type: &Oid) -> bool {
    *content_type == oid::ENVELOPED_DATA || *content_type == oid::AUTH_ENVELOPED_DATA
}
