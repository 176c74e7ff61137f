//! Provides support for composite ML-DSA signatures
//!
#![cfg(feature = "pqc")]

use crate::crypto::{is_ecdsa, is_eddsa, is_rsa};
use crate::util::pqc_oids::*;
use crate::{
    Error, PathValidationStatus, PkiEnvironment, PKIXALG_ECDSA_WITH_SHA256,
    PKIXALG_ECDSA_WITH_SHA384, PKIXALG_ECDSA_WITH_SHA512, PKIXALG_SECP256R1, PKIXALG_SECP384R1,
    PKIXALG_SECP521R1, PKIXALG_SHA256_WITH_RSA_ENCRYPTION, PKIXALG_SHA384_WITH_RSA_ENCRYPTION,
};
use alloc::{vec, vec::Vec};
use const_oid::db::fips204::*;
use const_oid::db::rfc5912::{
    ID_EC_PUBLIC_KEY, ID_MGF_1, ID_RSASSA_PSS, ID_SHA_256, ID_SHA_384, RSA_ENCRYPTION,
};
#[cfg(feature = "eddsa")]
use const_oid::db::rfc8410::ID_ED_25519;
use const_oid::ObjectIdentifier;
use der::asn1::BitString;
use der::Decode;
use der::Encode;
use der::{Any, AnyRef};
use log::error;
use pkcs1::{RsaPssParams, TrailerField};
use sha2::Digest;
use sha2::{Sha256, Sha512};
use spki::{
    AlgorithmIdentifier, AlgorithmIdentifierOwned, AlgorithmIdentifierRef,
    SubjectPublicKeyInfoOwned,
};

/// Returns DER encoded RSA PSS parameters for use with 2048- and 3072-bit RSA keys, or with 4096-bit
/// keys, as per Tables 2 and 3 in section
/// [6.1 of draft-ietf-lamps-pq-composite-sigs-19](https://datatracker.ietf.org/doc/html/draft-ietf-lamps-pq-composite-sigs-19#section-6.1).
/// The composite spec fixes these parameters per algorithm rather than carrying
/// them on the wire; they are encoded here only so the traditional half can be
/// handed to the `AlgorithmIdentifier`-shaped verification interface, which then
/// decodes them again. Generator and consumer are therefore both this crate.
///
/// `saltLength` is an octet count, 32 with SHA-256 and 48 with SHA-384, the
/// digest length in each case.
fn get_rss_params(for_4096: bool) -> crate::Result<Vec<u8>> {
    let hash_oid = if for_4096 { ID_SHA_384 } else { ID_SHA_256 };
    let salt_len: u8 = if for_4096 { 48 } else { 32 };
    let params = RsaPssParams {
        hash: AlgorithmIdentifierRef {
            oid: hash_oid,
            parameters: None,
        },
        mask_gen: AlgorithmIdentifier {
            oid: ID_MGF_1,
            parameters: Some(AlgorithmIdentifierRef {
                oid: hash_oid,
                parameters: Some(AnyRef::NULL),
            }),
        },
        salt_len,
        trailer_field: TrailerField::BC,
    };
    Ok(params.to_der()?)
}

/// Whether `oid` is a composite algorithm, whether or not this build can use it.
pub(crate) fn is_composite(oid: ObjectIdentifier) -> bool {
    get_domain(oid).is_ok()
}

/// Takes a composite OID and returns a pair of AlgorithmIdentifiers representing the two algorithms
/// represented by the composite OID.
fn composite_components(
    composite_oid: ObjectIdentifier,
) -> crate::Result<(AlgorithmIdentifierOwned, AlgorithmIdentifierOwned)> {
    use crate::util::pqc_oids::*;
    if ID_MLDSA44_RSA2048_PSS_SHA256 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_44,
            parameters: None,
        };
        let der_params = get_rss_params(false)?;
        let trad = AlgorithmIdentifierOwned {
            oid: ID_RSASSA_PSS,
            parameters: Some(Any::from_der(&der_params)?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA44_RSA2048_PKCS15_SHA256 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_44,
            parameters: None,
        };
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_SHA256_WITH_RSA_ENCRYPTION,
            parameters: Some(Any::from(AnyRef::NULL)),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA44_ED25519_SHA512 == composite_oid {
        #[cfg(feature = "eddsa")]
        {
            let pqc = AlgorithmIdentifierOwned {
                oid: ID_ML_DSA_44,
                parameters: None,
            };
            let trad = AlgorithmIdentifierOwned {
                oid: ID_ED_25519,
                parameters: None,
            };
            Ok((pqc, trad))
        }
        #[cfg(not(feature = "eddsa"))]
        {
            Err(Error::Unrecognized)
        }
    } else if ID_MLDSA44_ECDSA_P256_SHA256 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_44,
            parameters: None,
        };
        let trad_der = PKIXALG_SECP256R1.to_der()?;
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_ECDSA_WITH_SHA256,
            parameters: Some(Any::from_der(trad_der.as_slice())?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_RSA3072_PSS_SHA512 == composite_oid
        || ID_MLDSA65_RSA4096_PSS_SHA512 == composite_oid
    {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_65,
            parameters: None,
        };
        let der_params = get_rss_params(ID_MLDSA65_RSA4096_PSS_SHA512 == composite_oid)?;
        let trad = AlgorithmIdentifierOwned {
            oid: ID_RSASSA_PSS,
            parameters: Some(Any::from_der(&der_params)?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_RSA3072_PKCS15_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_65,
            parameters: None,
        };
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_SHA256_WITH_RSA_ENCRYPTION,
            parameters: Some(Any::from(AnyRef::NULL)),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_RSA4096_PKCS15_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_65,
            parameters: None,
        };
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_SHA384_WITH_RSA_ENCRYPTION,
            parameters: Some(Any::from(AnyRef::NULL)),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_ECDSA_P256_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_65,
            parameters: None,
        };
        let trad_der = PKIXALG_SECP256R1.to_der()?;
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_ECDSA_WITH_SHA256,
            parameters: Some(Any::from_der(trad_der.as_slice())?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_ECDSA_P384_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_65,
            parameters: None,
        };
        let trad_der = PKIXALG_SECP384R1.to_der()?;
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_ECDSA_WITH_SHA384,
            parameters: Some(Any::from_der(trad_der.as_slice())?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA65_ED25519_SHA512 == composite_oid {
        #[cfg(feature = "eddsa")]
        {
            let pqc = AlgorithmIdentifierOwned {
                oid: ID_ML_DSA_65,
                parameters: None,
            };
            let trad = AlgorithmIdentifierOwned {
                oid: ID_ED_25519,
                parameters: None,
            };
            Ok((pqc, trad))
        }
        #[cfg(not(feature = "eddsa"))]
        {
            Err(Error::Unrecognized)
        }
    } else if ID_MLDSA87_ECDSA_P384_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_87,
            parameters: None,
        };
        let trad_der = PKIXALG_SECP384R1.to_der()?;
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_ECDSA_WITH_SHA384,
            parameters: Some(Any::from_der(trad_der.as_slice())?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA87_ED448_SHAKE256 == composite_oid {
        // ML-DSA-87 + Ed448 is not supported (no eddsa/Ed448 wiring); treat as unrecognized
        // rather than panicking on an otherwise well-formed composite OID.
        Err(Error::Unrecognized)
    } else if ID_MLDSA87_RSA3072_PSS_SHA512 == composite_oid
        || ID_MLDSA87_RSA4096_PSS_SHA512 == composite_oid
    {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_87,
            parameters: None,
        };
        let der_params = get_rss_params(ID_MLDSA87_RSA4096_PSS_SHA512 == composite_oid)?;
        let trad = AlgorithmIdentifierOwned {
            oid: ID_RSASSA_PSS,
            parameters: Some(Any::from_der(&der_params)?),
        };
        Ok((pqc, trad))
    } else if ID_MLDSA87_ECDSA_P521_SHA512 == composite_oid {
        let pqc = AlgorithmIdentifierOwned {
            oid: ID_ML_DSA_87,
            parameters: None,
        };
        let trad_der = PKIXALG_SECP521R1.to_der()?;
        let trad = AlgorithmIdentifierOwned {
            oid: PKIXALG_ECDSA_WITH_SHA512,
            parameters: Some(Any::from_der(trad_der.as_slice())?),
        };
        Ok((pqc, trad))
    } else {
        Err(Error::Unrecognized)
    }
}

/// Splits a composite signature based on the OID representing the PQC algorithm component of the
/// composite signature.
fn split_sig(pqc_oid: ObjectIdentifier, composite: &[u8]) -> crate::Result<(&[u8], &[u8])> {
    let split_at = if ID_ML_DSA_44 == pqc_oid {
        2420
    } else if ID_ML_DSA_65 == pqc_oid {
        3309
    } else if ID_ML_DSA_87 == pqc_oid {
        4627
    } else {
        error!("Unrecognized PQC OID passed to split_sig: {pqc_oid}");
        return Err(Error::Unrecognized);
    };
    // split_at would panic if the composite is shorter than the expected ML-DSA component,
    // so bound-check the caller-supplied bytes and return an error instead.
    // Not Unrecognized: the composite OID was matched, so this callback does handle the algorithm
    // and the bytes are simply too short. Unrecognized would say the opposite -- that no provider
    // handles this -- which sends the caller on to the other callbacks for nothing and reports a
    // truncated signature as a gap in what this build can verify rather than as a bad signature.
    composite.split_at_checked(split_at).ok_or_else(|| {
        error!("composite signature too short to split at {split_at} for PQC OID {pqc_oid}");
        Error::PathValidation(PathValidationStatus::EncodingError)
    })
}

/// Returns a DER-encoded object identifier representing the named curve from the ECDSA component of
/// a composite algorithm.
fn get_curve(trad_oid: ObjectIdentifier) -> crate::Result<Vec<u8>> {
    if PKIXALG_ECDSA_WITH_SHA256 == trad_oid {
        Ok(PKIXALG_SECP256R1.to_der()?)
    } else if PKIXALG_ECDSA_WITH_SHA384 == trad_oid {
        Ok(PKIXALG_SECP384R1.to_der()?)
    } else if PKIXALG_ECDSA_WITH_SHA512 == trad_oid {
        Ok(PKIXALG_SECP521R1.to_der()?)
    } else {
        error!("Unrecognized OID passed to get_curve: {trad_oid}");
        Err(Error::Unrecognized)
    }
}

/// Splits a key based on the OID identifying the PQC component of a composite algorithm and returns
/// a pair of SubjectKeyIdentifiers representing the PQC and traditional keys.
fn split_key(
    pqc_oid: ObjectIdentifier,
    trad_oid: ObjectIdentifier,
    composite: &[u8],
) -> crate::Result<(SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoOwned)> {
    let split_at = if ID_ML_DSA_44 == pqc_oid {
        1312
    } else if ID_ML_DSA_65 == pqc_oid {
        1952
    } else if ID_ML_DSA_87 == pqc_oid {
        2592
    } else {
        error!("Unrecognized PQC OID passed to split_key: {pqc_oid}");
        return Err(Error::Unrecognized);
    };
    // Bound-check before split_at so a short composite key returns an error rather than panicking.
    let (pqc_key, trad_key) = match composite.split_at_checked(split_at) {
        Some(parts) => parts,
        None => {
            // Malformed input, not an unhandled algorithm -- see the note in split_sig.
            error!("composite key too short to split at {split_at} for PQC OID {pqc_oid}");
            return Err(Error::PathValidation(PathValidationStatus::EncodingError));
        }
    };

    let pqc_spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: pqc_oid,
            parameters: None,
        },
        subject_public_key: BitString::from_bytes(pqc_key)?,
    };
    let trad_spki = if is_ecdsa(&trad_oid) {
        let curve = get_curve(trad_oid)?;
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ID_EC_PUBLIC_KEY,
                parameters: Some(Any::from_der(curve.as_slice())?),
            },
            subject_public_key: BitString::from_bytes(trad_key)?,
        }
    } else if is_rsa(&trad_oid) || ID_RSASSA_PSS == trad_oid {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(Any::from(AnyRef::NULL)),
            },
            subject_public_key: BitString::from_bytes(trad_key)?,
        }
    } else if is_eddsa(&trad_oid) {
        #[cfg(feature = "eddsa")]
        {
            SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: ID_ED_25519,
                    parameters: Some(Any::from(AnyRef::NULL)),
                },
                subject_public_key: BitString::from_bytes(trad_key)?,
            }
        }
        #[cfg(not(feature = "eddsa"))]
        {
            return Err(Error::Unrecognized);
        }
    } else {
        error!("Unrecognized traditional OID passed to split_key: {trad_oid}");
        return Err(Error::Unrecognized);
    };
    Ok((pqc_spki, trad_spki))
}

/// Hashes a given message using hash algorithm determined by a given composite OID.
fn hash_message(composite_oid: ObjectIdentifier, message: &[u8]) -> crate::Result<Vec<u8>> {
    if composite_oid == ID_MLDSA44_RSA2048_PKCS15_SHA256
        || composite_oid == ID_MLDSA44_RSA2048_PSS_SHA256
        || composite_oid == ID_MLDSA44_ECDSA_P256_SHA256
    {
        Ok(Sha256::digest(message).as_slice().to_vec())
    } else if composite_oid == ID_MLDSA87_ED448_SHAKE256 {
        // ML-DSA-87 + Ed448 (SHAKE256) is unsupported; return an error instead of panicking.
        Err(Error::Unrecognized)
    } else {
        Ok(Sha512::digest(message).as_slice().to_vec())
    }
}

const PREFIX: [u8; 32] = *b"CompositeAlgorithmSignatures2025";

/// Gets the domain separator for a given OID.
pub fn get_domain(oid: ObjectIdentifier) -> crate::Result<Vec<u8>> {
    if oid == ID_MLKEM768_RSA2048_SHA3_256 {
        Ok(DS_MLKEM768_RSA2048_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_RSA3072_SHA3_256 {
        Ok(DS_MLKEM768_RSA3072_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_RSA4096_SHA3_256 {
        Ok(DS_MLKEM768_RSA4096_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_X25519_SHA3_256 {
        Ok(DS_MLKEM768_X25519_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_ECDH_P256_SHA3_256 {
        Ok(DS_MLKEM768_ECDH_P256_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_ECDH_P384_SHA3_256 {
        Ok(DS_MLKEM768_ECDH_P384_SHA3_256.to_vec())
    } else if oid == ID_MLKEM768_ECDH_BRAINPOOL_P256R1_SHA3_256 {
        Ok(DS_MLKEM768_ECDH_BRAINPOOL_P256R1_SHA3_256.to_vec())
    } else if oid == ID_MLKEM1024_RSA3072_SHA3_256 {
        Ok(DS_MLKEM1024_RSA3072_SHA3_256.to_vec())
    } else if oid == ID_MLKEM1024_ECDH_P384_SHA3_256 {
        Ok(DS_MLKEM1024_ECDH_P384_SHA3_256.to_vec())
    } else if oid == ID_MLKEM1024_ECDH_BRAINPOOL_P384R1_SHA3_256 {
        Ok(DS_MLKEM1024_ECDH_BRAINPOOL_P384R1_SHA3_256.to_vec())
    } else if oid == ID_MLKEM1024_X448_SHA3_256 {
        Ok(DS_MLKEM1024_X448_SHA3_256.to_vec())
    } else if oid == ID_MLKEM1024_ECDH_P521_SHA3_256 {
        Ok(DS_MLKEM1024_ECDH_P521_SHA3_256.to_vec())
    } else if oid == ID_MLDSA44_RSA2048_PSS_SHA256 {
        Ok(DS_MLDSA44_RSA2048_PSS_SHA256.to_vec())
    } else if oid == ID_MLDSA44_RSA2048_PKCS15_SHA256 {
        Ok(DS_MLDSA44_RSA2048_PKCS15_SHA256.to_vec())
    } else if oid == ID_MLDSA44_ED25519_SHA512 {
        Ok(DS_MLDSA44_ED25519_SHA512.to_vec())
    } else if oid == ID_MLDSA44_ECDSA_P256_SHA256 {
        Ok(DS_MLDSA44_ECDSA_P256_SHA256.to_vec())
    } else if oid == ID_MLDSA65_RSA3072_PSS_SHA512 {
        Ok(DS_MLDSA65_RSA3072_PSS_SHA512.to_vec())
    } else if oid == ID_MLDSA65_RSA3072_PKCS15_SHA512 {
        Ok(DS_MLDSA65_RSA3072_PKCS15_SHA512.to_vec())
    } else if oid == ID_MLDSA65_RSA4096_PSS_SHA512 {
        Ok(DS_MLDSA65_RSA4096_PSS_SHA512.to_vec())
    } else if oid == ID_MLDSA65_RSA4096_PKCS15_SHA512 {
        Ok(DS_MLDSA65_RSA4096_PKCS15_SHA512.to_vec())
    } else if oid == ID_MLDSA65_ECDSA_P256_SHA512 {
        Ok(DS_MLDSA65_ECDSA_P256_SHA512.to_vec())
    } else if oid == ID_MLDSA65_ECDSA_P384_SHA512 {
        Ok(DS_MLDSA65_ECDSA_P384_SHA512.to_vec())
    } else if oid == ID_MLDSA65_ECDSA_BRAINPOOL_P256R1_SHA512 {
        Ok(DS_MLDSA65_ECDSA_BRAINPOOL_P256R1_SHA512.to_vec())
    } else if oid == ID_MLDSA65_ED25519_SHA512 {
        Ok(DS_MLDSA65_ED25519_SHA512.to_vec())
    } else if oid == ID_MLDSA87_ECDSA_P384_SHA512 {
        Ok(DS_MLDSA87_ECDSA_P384_SHA512.to_vec())
    } else if oid == ID_MLDSA87_ECDSA_BRAINPOOL_P384R1_SHA512 {
        Ok(DS_MLDSA87_ECDSA_BRAINPOOL_P384R1_SHA512.to_vec())
    } else if oid == ID_MLDSA87_ED448_SHAKE256 {
        Ok(DS_MLDSA87_ED448_SHAKE256.to_vec())
    } else if oid == ID_MLDSA87_RSA3072_PSS_SHA512 {
        Ok(DS_MLDSA87_RSA3072_PSS_SHA512.to_vec())
    } else if oid == ID_MLDSA87_RSA4096_PSS_SHA512 {
        Ok(DS_MLDSA87_RSA4096_PSS_SHA512.to_vec())
    } else if oid == ID_MLDSA87_ECDSA_P521_SHA512 {
        Ok(DS_MLDSA87_ECDSA_P521_SHA512.to_vec())
    } else {
        Err(crate::Error::Unrecognized)
    }
}

/// The RSA modulus size, in bits, a composite signature OID names, or `None` for a composite whose
/// traditional half is not RSA.
fn composite_rsa_bits(composite_oid: ObjectIdentifier) -> Option<usize> {
    use crate::util::pqc_oids::*;
    match composite_oid {
        ID_MLDSA44_RSA2048_PSS_SHA256 | ID_MLDSA44_RSA2048_PKCS15_SHA256 => Some(2048),
        ID_MLDSA65_RSA3072_PSS_SHA512
        | ID_MLDSA65_RSA3072_PKCS15_SHA512
        | ID_MLDSA87_RSA3072_PSS_SHA512 => Some(3072),
        ID_MLDSA65_RSA4096_PSS_SHA512
        | ID_MLDSA65_RSA4096_PKCS15_SHA512
        | ID_MLDSA87_RSA4096_PSS_SHA512 => Some(4096),
        _ => None,
    }
}

/// Refuses an RSA traditional key whose modulus is not the size the composite OID names
/// (draft-ietf-lamps-pq-composite-sigs), so the traditional half provides what the algorithm
/// identifier promises.
fn check_composite_rsa_size(
    composite_oid: ObjectIdentifier,
    trad_spki: &SubjectPublicKeyInfoOwned,
) -> crate::Result<()> {
    let Some(bits) = composite_rsa_bits(composite_oid) else {
        return Ok(());
    };
    let key = pkcs1::RsaPublicKeyRef::from_der(trad_spki.subject_public_key.raw_bytes())?;
    if key.modulus.as_bytes().len() * 8 != bits {
        error!(
            "composite {composite_oid} names RSA-{bits} but the key has a {}-byte modulus",
            key.modulus.as_bytes().len()
        );
        return Err(Error::PathValidation(
            PathValidationStatus::SignatureVerificationFailure,
        ));
    }
    Ok(())
}

/// verify_signature_message_composite_rustcrypto verifies a composite ML-DSA signature over a
/// message, dispatching to the RustCrypto implementations of the two component algorithms.
pub fn verify_signature_message_composite_rustcrypto(
    pe: &PkiEnvironment,
    message_to_verify: &[u8],                 // buffer to verify
    signature: &BitString,                    // signature
    signature_alg: &AlgorithmIdentifierOwned, // signature algorithm
    spki: &SubjectPublicKeyInfoOwned,         // public key
) -> crate::Result<()> {
    if let Ok((pqc, trad)) = composite_components(signature_alg.oid) {
        let (pqc_spki, trad_spki) =
            split_key(pqc.oid, trad.oid, spki.subject_public_key.raw_bytes())?;
        check_composite_rsa_size(signature_alg.oid, &trad_spki)?;

        let label = get_domain(signature_alg.oid)?;
        let ctx_len = [0x00];
        let signature = signature.as_bytes().ok_or(Error::ParseError)?;
        let (pqc_sig, trad_sig) = split_sig(pqc.oid, signature)?;
        let pqc_sig = BitString::from_bytes(pqc_sig)?;
        let trad_sig = BitString::from_bytes(trad_sig)?;
        let hash = hash_message(signature_alg.oid, message_to_verify)?;

        // Prefix || Label || len(ctx) || ctx || PH( M )
        let mut message_rep = vec![];
        message_rep.append(&mut PREFIX.to_vec());
        message_rep.append(&mut label.to_vec());
        message_rep.append(&mut ctx_len.to_vec());
        message_rep.append(&mut hash.to_vec());

        pe.verify_signature_message_ctx(pe, &message_rep, &pqc_sig, &pqc, &pqc_spki, &Some(label))?;
        pe.verify_signature_message(pe, &message_rep, &trad_sig, &trad, &trad_spki)?;
        return Ok(());
    }
    Err(Error::Unrecognized)
}

#[cfg(test)]
mod rsa_size_tests {
    use super::*;
    use x509_cert::certificate::{CertificateInner, Raw};

    /// The RSA half of a composite has to be the size its OID names: an RSA-2048 key passes under
    /// an RSA2048 composite and is refused under an RSA3072 or RSA4096 one; a composite with no RSA
    /// half is not checked.
    #[test]
    fn the_rsa_half_must_be_the_size_the_oid_names() {
        let ta = CertificateInner::<Raw>::from_der(include_bytes!(
            "../../tests/examples/PKITS_data_2048/certs/TrustAnchorRootCertificate.crt"
        ))
        .unwrap();
        let rsa_2048 = ta.tbs_certificate().subject_public_key_info().clone();

        assert!(check_composite_rsa_size(ID_MLDSA44_RSA2048_PSS_SHA256, &rsa_2048).is_ok());
        assert!(check_composite_rsa_size(ID_MLDSA44_RSA2048_PKCS15_SHA256, &rsa_2048).is_ok());
        for oid in [
            ID_MLDSA65_RSA3072_PSS_SHA512,
            ID_MLDSA65_RSA4096_PKCS15_SHA512,
            ID_MLDSA87_RSA3072_PSS_SHA512,
        ] {
            assert_eq!(
                Err(Error::PathValidation(
                    PathValidationStatus::SignatureVerificationFailure
                )),
                check_composite_rsa_size(oid, &rsa_2048)
            );
        }
        assert!(check_composite_rsa_size(ID_MLDSA65_ECDSA_P256_SHA512, &rsa_2048).is_ok());
    }
}
