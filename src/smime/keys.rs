//! `[smime] keys`: the organisation's certificates with their private keys, for decryption.
//!
//! A key file that group or others can read is refused, as ssh refuses such keys. Key
//! material never reaches a log or an error message: errors name the file and the problem.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_lc_rs::rsa::PrivateDecryptingKey;
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use crate::diag::Diagnostic;

const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// One configured decryption key: the certificate mail is encrypted to, and its key.
pub struct DecryptionKey {
    pub cert: Certificate,
    pub skid: Option<Vec<u8>>,
    pub key: PrivateKey,
    pub source: PathBuf,
}

/// RSA for key transport, EC for ECDH key agreement.
pub enum PrivateKey {
    Rsa(PrivateDecryptingKey),
    Ec(aws_lc_rs::agreement::PrivateKey),
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("DecryptionKey")
            .field(
                "subject",
                &self.cert.tbs_certificate().subject().to_string(),
            )
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    /// Whether a recipient named by issuer and serial number is this certificate.
    pub fn is_issuer_serial(&self, issuer: &x509_cert::name::Name, serial: &[u8]) -> bool {
        let tbs = self.cert.tbs_certificate();
        tbs.issuer() == issuer && tbs.serial_number().as_bytes() == serial
    }

    pub fn is_skid(&self, skid: &[u8]) -> bool {
        self.skid.as_deref() == Some(skid)
    }

    /// For the audit line and the decrypted-by header: subject and serial.
    pub fn label(&self) -> String {
        let tbs = self.cert.tbs_certificate();
        format!(
            "{} serial {}",
            tbs.subject(),
            super::trust::hex(tbs.serial_number().as_bytes())
        )
    }
}

/// A configured certificate and key file pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Loads every pair; every problem is reported, any problem fails the load.
pub fn load(refs: &[KeyRef]) -> Result<Vec<DecryptionKey>, Vec<Diagnostic>> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for r in refs {
        match load_one(r) {
            Ok(k) => keys.push(k),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

fn load_one(r: &KeyRef) -> Result<DecryptionKey, Diagnostic> {
    let key_err = |msg: String| Diagnostic::new(&r.key, 0, msg);
    check_private(&r.key)?;
    let cert_bytes = std::fs::read(&r.cert)
        .map_err(|e| Diagnostic::new(&r.cert, 0, format!("cannot read: {e}")))?;
    let cert = parse_cert(&cert_bytes).map_err(|m| Diagnostic::new(&r.cert, 0, m))?;
    let key_bytes = std::fs::read(&r.key).map_err(|e| key_err(format!("cannot read: {e}")))?;
    let cert_key = cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let mismatch = || {
        key_err(format!(
            "does not belong to the certificate {}",
            r.cert.display()
        ))
    };
    let (kind, der) = private_key_der(&key_bytes).map_err(key_err)?;
    let key = match ec_algorithm(&cert) {
        // An EC certificate: its key is used for ECDH (SEC1 or PKCS#8).
        Some(alg) => {
            if kind == KeyDer::Rsa {
                return Err(mismatch());
            }
            let k = aws_lc_rs::agreement::PrivateKey::from_private_key_der(alg, &der).map_err(
                |_| key_err("not a usable EC private key for this certificate's curve".into()),
            )?;
            let public = k
                .compute_public_key()
                .map_err(|_| key_err("cannot read the public half of the key".into()))?;
            if public.as_ref() != cert_key.as_slice() {
                return Err(mismatch());
            }
            PrivateKey::Ec(k)
        }
        None => {
            let pkcs8 = match kind {
                KeyDer::Rsa => rsa_pkcs8(der).map_err(key_err)?,
                _ => der,
            };
            let rsa = PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(|_| {
                key_err("not a usable RSA private key (RSA 2048 to 8192 bits)".into())
            })?;
            let ours = rsa.public_key();
            let ours = aws_lc_rs::encoding::AsDer::<
                aws_lc_rs::encoding::PublicKeyX509Der<'static>,
            >::as_der(&ours)
            .map_err(|_| key_err("cannot read the public half of the key".into()))?;
            let ours = spki::SubjectPublicKeyInfoOwned::from_der(ours.as_ref())
                .map_err(|_| key_err("cannot read the public half of the key".into()))?;
            if ours.subject_public_key.raw_bytes() != cert_key.as_slice() {
                return Err(mismatch());
            }
            PrivateKey::Rsa(rsa)
        }
    };
    let skid = match cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, s))) => Some(s.0.as_bytes().to_vec()),
        _ => None,
    };
    Ok(DecryptionKey {
        cert,
        skid,
        key,
        source: r.key.clone(),
    })
}

/// Refuses a key file that group or others may read (or that is not a regular file).
pub fn check_private(path: &Path) -> Result<(), Diagnostic> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::new(path, 0, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(Diagnostic::new(path, 0, "not a regular file"));
    }
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(Diagnostic::new(
            path,
            0,
            format!("larger than {MAX_KEY_FILE_BYTES} bytes"),
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Diagnostic::new(
            path,
            0,
            format!(
                "private key is readable by group or others (mode {mode:04o}); run: chmod 600 {}",
                path.display()
            ),
        ));
    }
    Ok(())
}

fn parse_cert(bytes: &[u8]) -> Result<Certificate, String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(begin) = text.find("-----BEGIN CERTIFICATE-----") {
            let (label, der) = pem_rfc7468::decode_vec(text[begin..].as_bytes())
                .map_err(|e| format!("PEM: {e}"))?;
            if label != "CERTIFICATE" {
                return Err(format!("expected a CERTIFICATE, found {label:?}"));
            }
            return Certificate::from_der(&der).map_err(|e| format!("not a certificate: {e}"));
        }
    }
    Certificate::from_der(bytes).map_err(|e| format!("neither a PEM nor a DER certificate: {e}"))
}

/// PKCS#1 RSAPrivateKey wrapped as a PKCS#8 PrivateKeyInfo (RFC 5208).
#[derive(der::Sequence)]
struct PrivateKeyInfo {
    version: u8,
    algorithm: spki::AlgorithmIdentifierOwned,
    private_key: der::asn1::OctetString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyDer {
    Pkcs8,
    Rsa,
    Sec1,
}

/// The key's DER and its form, from PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or
/// `EC PRIVATE KEY`, or DER PKCS#8.
fn private_key_der(bytes: &[u8]) -> Result<(KeyDer, Vec<u8>), String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok((KeyDer::Pkcs8, bytes.to_vec()));
    };
    let Some(begin) = text.find("-----BEGIN ") else {
        return Err("no PEM private key block".into());
    };
    let (label, der) =
        pem_rfc7468::decode_vec(text[begin..].as_bytes()).map_err(|e| format!("PEM: {e}"))?;
    match label {
        "PRIVATE KEY" => Ok((KeyDer::Pkcs8, der)),
        "RSA PRIVATE KEY" => Ok((KeyDer::Rsa, der)),
        "EC PRIVATE KEY" => Ok((KeyDer::Sec1, der)),
        "ENCRYPTED PRIVATE KEY" => Err(
            "encrypted private keys are not supported yet; store it unencrypted with mode 0600"
                .into(),
        ),
        other => Err(format!("expected a PRIVATE KEY block, found {other:?}")),
    }
}

/// A PKCS#1 RSAPrivateKey wrapped as PKCS#8.
fn rsa_pkcs8(pkcs1: Vec<u8>) -> Result<Vec<u8>, String> {
    let info = PrivateKeyInfo {
        version: 0,
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: super::algorithms::oid::RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        },
        private_key: der::asn1::OctetString::new(pkcs1).map_err(|e| e.to_string())?,
    };
    info.to_der().map_err(|e| e.to_string())
}

/// The ECDH algorithm of an EC certificate's curve; `None` for other keys.
pub fn ec_algorithm(cert: &Certificate) -> Option<&'static aws_lc_rs::agreement::Algorithm> {
    use super::algorithms::oid;
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
        return None;
    }
    let curve: der::asn1::ObjectIdentifier =
        spki.algorithm.parameters.as_ref()?.decode_as().ok()?;
    match curve {
        oid::P256 => Some(&aws_lc_rs::agreement::ECDH_P256),
        oid::P384 => Some(&aws_lc_rs::agreement::ECDH_P384),
        oid::P521 => Some(&aws_lc_rs::agreement::ECDH_P521),
        _ => None,
    }
}
