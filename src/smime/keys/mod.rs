//! `[smime] keys`: the organisation's certificates with their private keys, for decryption.
//!
//! A key file that group or others can read is refused, as ssh refuses such keys. Key
//! material never reaches a log or an error message: errors name the file and the problem.

pub mod pbe;
pub mod pkcs12;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_lc_rs::rsa::PrivateDecryptingKey;
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use zeroize::Zeroizing;

use crate::diag::{Diagnostic, Origin};

const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// One configured decryption key: the certificate mail is encrypted to, and its key.
pub struct DecryptionKey {
    pub cert: Certificate,
    pub skid: Option<Vec<u8>>,
    pub key: PrivateKey,
    pub source: PathBuf,
    /// A weak algorithm that protected the file's certificates (a legacy PKCS#12's RC2),
    /// which `check` reports; the key itself is never read under RC2.
    pub weak_protection: Option<&'static str>,
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
            crate::smime::asn1::hex(tbs.serial_number().as_bytes())
        )
    }
}

/// A configured decryption key: its files and, when they are encrypted, its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub files: KeyFiles,
    pub password: Option<PasswordRef>,
    pub named_at: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFiles {
    /// A PEM/DER certificate and a PEM (or DER PKCS#8) private key, maybe encrypted.
    Pem { cert: PathBuf, key: PathBuf },
    /// A PKCS#12 file holding the key and its certificate.
    Pkcs12(PathBuf),
}

/// Where a password is read from: never the command line or the config file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRef {
    /// A file holding the password (one line) that only the owner can read.
    File(PathBuf),
    /// An environment variable (e.g. from a systemd `EnvironmentFile=`).
    Env(String),
}

impl KeyRef {
    /// Every file the key is read from, for change detection.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = match &self.files {
            KeyFiles::Pem { cert, key } => vec![cert.clone(), key.clone()],
            KeyFiles::Pkcs12(p) => vec![p.clone()],
        };
        if let Some(PasswordRef::File(f)) = &self.password {
            out.push(f.clone());
        }
        out
    }

    /// The file that holds the private key, named by errors about it.
    fn key_path(&self) -> &Path {
        match &self.files {
            KeyFiles::Pem { key, .. } => key,
            KeyFiles::Pkcs12(p) => p,
        }
    }
}

/// Loads every key; every problem is reported, any problem fails the load.
pub fn load(refs: &[KeyRef]) -> Result<Vec<DecryptionKey>, Vec<Diagnostic>> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for r in refs {
        match load_one(r) {
            Ok(k) => keys.push(k),
            Err(d) => errors.push(d.named_by("smime.keys", &r.named_at)),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

/// The password, without the line end an editor or `echo` leaves.
fn read_password(r: &PasswordRef) -> Result<Zeroizing<Vec<u8>>, Diagnostic> {
    match r {
        PasswordRef::File(path) => {
            check_private(path)?;
            let mut bytes = Zeroizing::new(
                std::fs::read(path)
                    .map_err(|e| Diagnostic::new(path, 0, format!("cannot read: {e}")))?,
            );
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
            if bytes.contains(&b'\n') {
                return Err(Diagnostic::new(
                    path,
                    0,
                    "a password file holds one line: the password",
                ));
            }
            Ok(bytes)
        }
        PasswordRef::Env(name) => match std::env::var_os(name) {
            Some(v) => Ok(Zeroizing::new(v.into_encoded_bytes())),
            None => Err(Diagnostic::new(
                Path::new("<environment>"),
                0,
                format!("{name} (smime.keys password_env) is not set"),
            )),
        },
    }
}

fn load_one(r: &KeyRef) -> Result<DecryptionKey, Diagnostic> {
    let key_path = r.key_path();
    let key_err = |msg: String| Diagnostic::new(key_path, 0, msg);
    check_private(key_path)?;
    let password = r.password.as_ref().map(read_password).transpose()?;
    let password = password.as_ref().map(|p| p.as_slice());
    let key_bytes =
        Zeroizing::new(std::fs::read(key_path).map_err(|e| key_err(format!("cannot read: {e}")))?);
    let mut weak_protection = None;
    let (cert, key) = match &r.files {
        KeyFiles::Pem {
            cert: cert_path, ..
        } => {
            let cert_bytes = std::fs::read(cert_path)
                .map_err(|e| Diagnostic::new(cert_path, 0, format!("cannot read: {e}")))?;
            let cert = parse_cert(&cert_bytes)
                .map_err(|e| Diagnostic::new(cert_path, 0, e.to_string()))?;
            let (kind, der) =
                private_key_der(&key_bytes, password).map_err(|e| key_err(e.to_string()))?;
            let key = key_for_cert(&cert, kind, der).map_err(|p| {
                key_err(match p {
                    KeyProblem::Mismatch => {
                        format!("does not belong to the certificate {}", cert_path.display())
                    }
                    KeyProblem::Unusable(m) => m.into(),
                })
            })?;
            (cert, key)
        }
        KeyFiles::Pkcs12(_) => {
            let contents = pkcs12::open(&key_bytes, password.unwrap_or(b""))
                .map_err(|e| key_err(e.to_string()))?;
            weak_protection = contents.weak_certificate_protection;
            // The certificate is the one whose public key is the private key's.
            // The file's CA certificates (other algorithms, other curves) are passed over.
            let mut found = None;
            for der in &contents.certs {
                let Ok(cert) = Certificate::from_der(der) else {
                    continue;
                };
                if let Ok(key) = key_for_cert(&cert, KeyDer::Pkcs8, contents.pkcs8.clone()) {
                    found = Some((cert, key));
                    break;
                }
            }
            found.ok_or_else(|| {
                key_err("holds no certificate that matches its private key".into())
            })?
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
        source: key_path.to_path_buf(),
        weak_protection,
    })
}

/// Why a private key cannot serve a certificate.
enum KeyProblem {
    /// A good key, but another certificate's.
    Mismatch,
    Unusable(&'static str),
}

/// The key in the form the certificate's algorithm needs, checked to be its private half.
fn key_for_cert(
    cert: &Certificate,
    kind: KeyDer,
    der: Zeroizing<Vec<u8>>,
) -> Result<PrivateKey, KeyProblem> {
    let cert_key = cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    let no_public = KeyProblem::Unusable("cannot read the public half of the key");
    match ec_algorithm(cert) {
        // An EC certificate: its key is used for ECDH (SEC1 or PKCS#8).
        Some(alg) => {
            if kind == KeyDer::Rsa {
                return Err(KeyProblem::Mismatch);
            }
            let k = aws_lc_rs::agreement::PrivateKey::from_private_key_der(alg, &der).map_err(
                |_| match kind {
                    // An RSA key in PKCS#8 (say) for an EC certificate is a mismatch.
                    KeyDer::Pkcs8 if !is_ec_pkcs8(&der) => KeyProblem::Mismatch,
                    _ => KeyProblem::Unusable(
                        "not a usable EC private key for this certificate's curve",
                    ),
                },
            )?;
            let public = k.compute_public_key().map_err(|_| no_public)?;
            if public.as_ref() != cert_key {
                return Err(KeyProblem::Mismatch);
            }
            Ok(PrivateKey::Ec(k))
        }
        None => {
            if kind == KeyDer::Sec1 || is_ec_pkcs8(&der) {
                return Err(KeyProblem::Mismatch);
            }
            let pkcs8 = match kind {
                KeyDer::Rsa => rsa_pkcs8(&der)
                    .map_err(|_| KeyProblem::Unusable("not a readable PKCS#1 RSA private key"))?,
                _ => der,
            };
            let rsa = PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(|_| {
                KeyProblem::Unusable("not a usable RSA private key (RSA 2048 to 8192 bits)")
            })?;
            let ours = rsa.public_key();
            let ours = aws_lc_rs::encoding::AsDer::<
                aws_lc_rs::encoding::PublicKeyX509Der<'static>,
            >::as_der(&ours)
            .map_err(|_| no_public)?;
            let ours = spki::SubjectPublicKeyInfoOwned::from_der(ours.as_ref())
                .map_err(|_| KeyProblem::Unusable("cannot read the public half of the key"))?;
            if ours.subject_public_key.raw_bytes() != cert_key {
                return Err(KeyProblem::Mismatch);
            }
            Ok(PrivateKey::Rsa(rsa))
        }
    }
}

/// Whether a PKCS#8 PrivateKeyInfo holds an EC key.
fn is_ec_pkcs8(der: &[u8]) -> bool {
    pkcs8::PrivateKeyInfoRef::from_der(der)
        .is_ok_and(|info| info.algorithm.oid == crate::smime::algorithms::oid::EC_PUBLIC_KEY)
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

/// Why a certificate or private-key file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("PEM: {0}")]
    Pem(pem_rfc7468::Error),
    #[error("expected a CERTIFICATE, found {0:?}")]
    NotCertificateLabel(String),
    #[error("not a certificate: {0}")]
    NotCertificate(der::Error),
    #[error("neither a PEM nor a DER certificate: {0}")]
    NeitherPemNorDer(der::Error),
    #[error("no PEM private key block")]
    NoPrivateKeyBlock,
    #[error(
        "the key is not encrypted but a password is configured: remove password_file/password_env"
    )]
    PasswordForPlainKey,
    #[error("the key is encrypted: set password_file or password_env")]
    EncryptedWithoutPassword,
    #[error("expected a PRIVATE KEY block, found {0:?}")]
    NotPrivateKeyLabel(String),
    #[error(transparent)]
    Encrypted(#[from] pkcs12::Pkcs12Error),
}

fn parse_cert(bytes: &[u8]) -> Result<Certificate, KeyFileError> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(begin) = text.find("-----BEGIN CERTIFICATE-----")
    {
        let (label, der) =
            pem_rfc7468::decode_vec(&text.as_bytes()[begin..]).map_err(KeyFileError::Pem)?;
        if label != "CERTIFICATE" {
            return Err(KeyFileError::NotCertificateLabel(label.to_owned()));
        }
        return Certificate::from_der(&der).map_err(KeyFileError::NotCertificate);
    }
    Certificate::from_der(bytes).map_err(KeyFileError::NeitherPemNorDer)
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

/// The key's DER and its form, from PEM `PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`
/// or `ENCRYPTED PRIVATE KEY` (with the password), or DER PKCS#8 (encrypted when a password
/// is configured).
fn private_key_der(
    bytes: &[u8],
    password: Option<&[u8]>,
) -> Result<(KeyDer, Zeroizing<Vec<u8>>), KeyFileError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return match password {
            Some(pw) => Ok((KeyDer::Pkcs8, pkcs12::decrypt_pkcs8(bytes, pw)?)),
            None => Ok((KeyDer::Pkcs8, Zeroizing::new(bytes.to_vec()))),
        };
    };
    let Some(begin) = text.find("-----BEGIN ") else {
        return Err(KeyFileError::NoPrivateKeyBlock);
    };
    let (label, der) = pem_rfc7468::decode_vec(&bytes[begin..]).map_err(KeyFileError::Pem)?;
    let der = Zeroizing::new(der);
    let plain = |kind| match password {
        Some(_) => Err(KeyFileError::PasswordForPlainKey),
        None => Ok(kind),
    };
    match label {
        "PRIVATE KEY" => Ok((plain(KeyDer::Pkcs8)?, der)),
        "RSA PRIVATE KEY" => Ok((plain(KeyDer::Rsa)?, der)),
        "EC PRIVATE KEY" => Ok((plain(KeyDer::Sec1)?, der)),
        "ENCRYPTED PRIVATE KEY" => match password {
            Some(pw) => Ok((KeyDer::Pkcs8, pkcs12::decrypt_pkcs8(&der, pw)?)),
            None => Err(KeyFileError::EncryptedWithoutPassword),
        },
        other => Err(KeyFileError::NotPrivateKeyLabel(other.to_owned())),
    }
}

/// A PKCS#1 RSAPrivateKey wrapped as PKCS#8.
fn rsa_pkcs8(pkcs1: &[u8]) -> Result<Zeroizing<Vec<u8>>, der::Error> {
    let info = PrivateKeyInfo {
        version: 0,
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: crate::smime::algorithms::oid::RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        },
        private_key: der::asn1::OctetString::new(pkcs1)?,
    };
    info.to_der().map(Zeroizing::new)
}

/// The ECDH algorithm of an EC certificate's curve; `None` for other keys.
pub fn ec_algorithm(cert: &Certificate) -> Option<&'static aws_lc_rs::agreement::Algorithm> {
    use crate::smime::algorithms::oid;
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
