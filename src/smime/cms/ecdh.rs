//! ECDH key agreement for EnvelopedData (RFC 5753 dhSinglePass-stdDH): the originator's
//! ephemeral key and our static key give a shared secret (aws-lc-rs), the ANSI X9.63 KDF
//! over ECC-CMS-SharedInfo gives the key-encryption key (RustCrypto `ansi-x963-kdf`: aws-lc-rs
//! has no X9.63 KDF), and AES key unwrap (RFC 3394, aws-lc-rs) gives the content key.

use aws_lc_rs::agreement::{self, UnparsedPublicKey};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap};
use cms::enveloped_data::{KeyAgreeRecipientInfo, OriginatorIdentifierOrKey};
use der::asn1::OctetString;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;

/// Why the key agreement gave no key; the enveloped layer reports it as it reports its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Failed(String),
}

mod alg {
    use const_oid::ObjectIdentifier as O;
    pub const STD_DH_SHA1: O = O::new_unwrap("1.3.133.16.840.63.0.2");
    pub const STD_DH_SHA224: O = O::new_unwrap("1.3.132.1.11.0");
    pub const STD_DH_SHA256: O = O::new_unwrap("1.3.132.1.11.1");
    pub const STD_DH_SHA384: O = O::new_unwrap("1.3.132.1.11.2");
    pub const STD_DH_SHA512: O = O::new_unwrap("1.3.132.1.11.3");
    pub const AES128_WRAP: O = O::new_unwrap("2.16.840.1.101.3.4.1.5");
    pub const AES256_WRAP: O = O::new_unwrap("2.16.840.1.101.3.4.1.45");
}

/// ECC-CMS-SharedInfo (RFC 5753 7.2).
#[derive(der::Sequence)]
struct SharedInfo {
    key_info: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    entity_u_info: Option<OctetString>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    supp_pub_info: OctetString,
}

#[derive(Clone, Copy)]
enum KdfHash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// The content-encryption key for `wrapped`. Failures after the algorithms are known give a
/// random key instead, so the content decryption fails like any other wrong key.
pub(super) fn unwrap_key(
    kari: &KeyAgreeRecipientInfo,
    ours: &agreement::PrivateKey,
    wrapped: &[u8],
) -> Result<Vec<u8>, Failure> {
    let unsupported = |what: &str| Failure::Unsupported(format!("key agreement: {what}"));
    let hash = match kari.key_enc_alg.oid {
        alg::STD_DH_SHA1 => KdfHash::Sha1,
        alg::STD_DH_SHA224 => KdfHash::Sha224,
        alg::STD_DH_SHA256 => KdfHash::Sha256,
        alg::STD_DH_SHA384 => KdfHash::Sha384,
        alg::STD_DH_SHA512 => KdfHash::Sha512,
        other => return Err(unsupported(&other.to_string())),
    };
    let wrap = kari
        .key_enc_alg
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok())
        .and_then(|d| AlgorithmIdentifierOwned::from_der(&d).ok())
        .ok_or_else(|| unsupported("no key-wrap algorithm"))?;
    let (kek_len, cipher) = match wrap.oid {
        alg::AES128_WRAP => (16, &AES_128),
        alg::AES256_WRAP => (32, &AES_256),
        other => return Err(unsupported(&format!("key wrap {other}"))),
    };
    let OriginatorIdentifierOrKey::OriginatorKey(originator) = &kari.originator else {
        return Err(unsupported("originator is not an ephemeral key"));
    };
    let peer = originator.public_key.raw_bytes();
    let shared_info = SharedInfo {
        // The key-wrap algorithm, parameters absent (RFC 5753 7.2).
        key_info: AlgorithmIdentifierOwned {
            oid: wrap.oid,
            parameters: None,
        },
        entity_u_info: kari
            .ukm
            .as_ref()
            .and_then(|u| OctetString::new(u.as_bytes()).ok()),
        supp_pub_info: OctetString::new(((kek_len * 8) as u32).to_be_bytes().to_vec())
            .map_err(|_| unsupported("shared info"))?,
    }
    .to_der()
    .map_err(|_| unsupported("shared info"))?;
    let kek = agreement::agree(
        ours,
        UnparsedPublicKey::new(ours.algorithm(), peer),
        (),
        |z| {
            let mut kek = vec![0u8; kek_len];
            let derived = match hash {
                KdfHash::Sha1 => {
                    ansi_x963_kdf::derive_key_into::<sha1::Sha1>(z, &shared_info, &mut kek)
                }
                KdfHash::Sha224 => {
                    ansi_x963_kdf::derive_key_into::<sha2::Sha224>(z, &shared_info, &mut kek)
                }
                KdfHash::Sha256 => {
                    ansi_x963_kdf::derive_key_into::<sha2::Sha256>(z, &shared_info, &mut kek)
                }
                KdfHash::Sha384 => {
                    ansi_x963_kdf::derive_key_into::<sha2::Sha384>(z, &shared_info, &mut kek)
                }
                KdfHash::Sha512 => {
                    ansi_x963_kdf::derive_key_into::<sha2::Sha512>(z, &shared_info, &mut kek)
                }
            };
            derived.map(|_| kek).map_err(|_| ())
        },
    );
    let cek = kek.ok().and_then(|kek| {
        let kek = AesKek::new(cipher, &kek).ok()?;
        let mut out = vec![0u8; wrapped.len()];
        let n = kek.unwrap(wrapped, &mut out).ok()?.len();
        out.truncate(n);
        Some(out)
    });
    match cek {
        Some(cek) => Ok(cek),
        None => {
            let mut random = vec![0u8; 32];
            aws_lc_rs::rand::fill(&mut random)
                .map_err(|_| Failure::Failed("no randomness".into()))?;
            Ok(random)
        }
    }
}
