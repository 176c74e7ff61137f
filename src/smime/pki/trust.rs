//! The S/MIME trust store: every certificate in the configured files and directories,
//! whatever container it comes in, recognised by content, not by file name:
//! PEM (`CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED CERTIFICATE`, `PKCS7`, and a
//! `CERTIFICATE` block that is really a PKCS#7 bundle), DER certificates, DER PKCS#7
//! certs-only bundles (.p7b/.p7c), and Microsoft serialized certificate stores (.sst).
//!
//! Self-signed certificates are trust anchors, the others intermediates for chain
//! building (a file can be restricted to one role). Duplicates collapse.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData};
use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::diag::{Diagnostic, Origin};
use crate::smime::asn1::hex;

/// RFC 5652 id-signedData.
const ID_SIGNED_DATA: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// Largest trust file read (a whole .sst of a Windows store is a few MB).
const MAX_TRUST_FILE_BYTES: u64 = 64 << 20;
/// Serialized store element id of an encoded certificate (CERT_CERT_PROP_ID... 0x20).
const SST_CERT_ELEMENT: u32 = 0x20;

/// Certificates with the DER bytes they were read from.
pub type CertsWithDer = Vec<(Certificate, Vec<u8>)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Self-signed: anchor; otherwise intermediate.
    Auto,
    AnchorsOnly,
    IntermediatesOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Anchor,
    Intermediate,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anchor => "anchor",
            Self::Intermediate => "intermediate",
        }
    }
}

/// A certificate of the store, with what listings and chain building need.
#[derive(Debug, Clone)]
pub struct TrustCert {
    pub cert: Certificate,
    pub der: Vec<u8>,
    pub sha256: [u8; 32],
    pub kind: Kind,
    pub source: PathBuf,
}

impl TrustCert {
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    pub fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    pub fn serial_hex(&self) -> String {
        hex(self.cert.tbs_certificate().serial_number().as_bytes())
    }

    pub fn fingerprint(&self) -> String {
        hex(&self.sha256)
    }

    pub fn not_before(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    pub fn not_after(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }
}

#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    pub certs: Vec<TrustCert>,
}

impl TrustStore {
    pub fn anchors(&self) -> impl Iterator<Item = &TrustCert> {
        self.certs.iter().filter(|c| c.kind == Kind::Anchor)
    }

    pub fn intermediates(&self) -> impl Iterator<Item = &TrustCert> {
        self.certs.iter().filter(|c| c.kind == Kind::Intermediate)
    }

    /// Adds certificates; a duplicate (same SHA-256 over the DER) is kept once.
    pub fn add(&mut self, certs: CertsWithDer, role: Role, source: &Path) {
        for (cert, der) in certs {
            let sha256: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der)
                .as_ref()
                .try_into()
                .expect("SHA-256 is 32 bytes");
            if self.certs.iter().any(|c| c.sha256 == sha256) {
                continue;
            }
            let tbs = cert.tbs_certificate();
            let self_signed = tbs.subject() == tbs.issuer();
            let kind = match role {
                Role::AnchorsOnly => Kind::Anchor,
                Role::IntermediatesOnly => Kind::Intermediate,
                Role::Auto if self_signed => Kind::Anchor,
                Role::Auto => Kind::Intermediate,
            };
            self.certs.push(TrustCert {
                cert,
                der,
                sha256,
                kind,
                source: source.to_path_buf(),
            });
        }
    }
}

/// `path` itself, or every regular file of the directory `path`, in name order.
pub fn files_of(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let entries = std::fs::read_dir(path)
                .map_err(|e| Diagnostic::new(path, 0, format!("cannot read directory: {e}")))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
                .collect();
            files.sort();
            Ok(files)
        }
        Ok(_) => Ok(vec![path.to_path_buf()]),
        Err(e) => Err(Diagnostic::new(path, 0, format!("cannot read: {e}"))),
    }
}

/// One `[smime] trust` entry: a file or directory, its role, and the settings line naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustSource {
    pub path: PathBuf,
    pub role: Role,
    pub named_at: Origin,
}

/// Loads every file (and every regular file of each directory, in name order).
/// Every problem is reported; any problem fails the load.
pub fn load(sources: &[TrustSource]) -> Result<TrustStore, Vec<Diagnostic>> {
    let mut store = TrustStore::default();
    let mut errors = Vec::new();
    for TrustSource {
        path,
        role,
        named_at,
    } in sources
    {
        let named = |d: Diagnostic| d.named_by("smime.trust", named_at);
        let files = match files_of(path) {
            Ok(f) => f,
            Err(d) => {
                errors.push(named(d));
                continue;
            }
        };
        for file in files {
            match read_file(&file) {
                Ok(certs) if certs.is_empty() => {
                    errors.push(named(Diagnostic::new(&file, 0, "no certificate found")))
                }
                Ok(certs) => store.add(certs, *role, &file),
                Err(e) => errors.extend(e.into_iter().map(named)),
            }
        }
    }
    if errors.is_empty() {
        Ok(store)
    } else {
        Err(errors)
    }
}

fn read_file(path: &Path) -> Result<CertsWithDer, Vec<Diagnostic>> {
    let one = |msg: String| vec![Diagnostic::new(path, 0, msg)];
    let len = std::fs::metadata(path)
        .map_err(|e| one(format!("cannot read: {e}")))?
        .len();
    if len > MAX_TRUST_FILE_BYTES {
        return Err(one(format!("larger than {MAX_TRUST_FILE_BYTES} bytes")));
    }
    let bytes = std::fs::read(path).map_err(|e| one(format!("cannot read: {e}")))?;
    parse_bytes(path, &bytes)
}

/// Recognises the container by its content.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<CertsWithDer, Vec<Diagnostic>> {
    let trimmed = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text_start = trimmed
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if trimmed[text_start..].starts_with(b"-----BEGIN ")
        || find(trimmed, b"\n-----BEGIN ").is_some()
    {
        return parse_pem(path, trimmed);
    }
    if let Some(certs) = parse_sst(bytes) {
        return certs.map_err(|e| vec![Diagnostic::new(path, 0, e.to_string())]);
    }
    parse_der(bytes).map_err(|e| vec![Diagnostic::new(path, 0, e.to_string())])
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Why a trust file (or one part of it) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustFileError {
    #[error("neither a DER certificate, a PKCS#7 bundle, a PEM file nor a serialized store: {0}")]
    Unrecognised(Box<TrustFileError>),
    #[error("not PKCS#7: {0}")]
    NotPkcs7(der::Error),
    #[error("PKCS#7 content type {0} is not signedData")]
    NotSignedData(der::asn1::ObjectIdentifier),
    #[error("malformed PKCS#7 SignedData: {0}")]
    MalformedSignedData(der::Error),
    #[error("cannot re-encode a certificate: {0}")]
    Reencode(der::Error),
    #[error("PEM block {block} is {label:?}, not a certificate or PKCS7 bundle")]
    NotCertificateBlock { block: usize, label: String },
    #[error("serialized store: truncated element header at byte {0}")]
    SstTruncated(usize),
    #[error("serialized store: element at byte {0} runs past the end")]
    SstPastEnd(usize),
    #[error("serialized store: certificate at byte {at}: {source}")]
    SstCertificate { at: usize, source: der::Error },
}

/// DER: a certificate, or a PKCS#7 SignedData (certs-only bundle).
fn parse_der(der: &[u8]) -> Result<CertsWithDer, TrustFileError> {
    if let Ok(cert) = Certificate::from_der(der) {
        return Ok(vec![(cert, der.to_vec())]);
    }
    pkcs7_certs(der).map_err(|e| TrustFileError::Unrecognised(Box::new(e)))
}

fn pkcs7_certs(der: &[u8]) -> Result<CertsWithDer, TrustFileError> {
    let ci = ContentInfo::from_der(der).map_err(TrustFileError::NotPkcs7)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(TrustFileError::NotSignedData(ci.content_type));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(TrustFileError::MalformedSignedData)?;
    let Some(CertificateSet(set)) = sd.certificates else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for choice in set.iter() {
        if let cms::cert::CertificateChoices::Certificate(c) = choice {
            let der = c.to_der().map_err(TrustFileError::Reencode)?;
            out.push((c.clone(), der));
        }
    }
    Ok(out)
}

/// PEM: every block, numbered from 1 in messages.
fn parse_pem(path: &Path, text: &[u8]) -> Result<CertsWithDer, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut rest = text;
    let mut block = 0;
    let line_of = |offset: usize| text[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    while let Some(start) = find(rest, b"-----BEGIN ") {
        block += 1;
        let offset = text.len() - rest.len() + start;
        let after = &rest[start..];
        let Some(end_marker) = find(after, b"-----END ") else {
            errors.push(Diagnostic::new(
                path,
                line_of(offset),
                format!("PEM block {block}: no END line"),
            ));
            break;
        };
        let end_line = after[end_marker..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(after.len(), |p| end_marker + p + 1);
        let pem = &after[..end_line];
        rest = &after[end_line..];
        let (label, der) = match pem_rfc7468::decode_vec(pem) {
            Ok(v) => v,
            Err(e) => {
                errors.push(Diagnostic::new(
                    path,
                    line_of(offset),
                    format!("PEM block {block}: {e}"),
                ));
                continue;
            }
        };
        let parsed = match label {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => parse_der(&der),
            "PKCS7" | "CMS" => pkcs7_certs(&der),
            // Keys, CRLs and parameters are not certificates; say so rather than guess.
            other => Err(TrustFileError::NotCertificateBlock {
                block,
                label: other.to_owned(),
            }),
        };
        match parsed {
            Ok(mut certs) => out.append(&mut certs),
            Err(e) => errors.push(Diagnostic::new(
                path,
                line_of(offset),
                format!("PEM block {block} ({label}): {e}"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A Microsoft serialized certificate store: an 8-byte header (version 0, magic "CERT"),
/// then elements `id: u32 LE, encoding: u32 LE, length: u32 LE, data`; certificates are
/// element 0x20; element 0 with length 0 ends the store. `None`: not this format.
fn parse_sst(bytes: &[u8]) -> Option<Result<CertsWithDer, TrustFileError>> {
    if bytes.len() < 8 || bytes[0..4] != [0, 0, 0, 0] || &bytes[4..8] != b"CERT" {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 8;
    let u32_at = |p: usize| -> Option<u32> {
        bytes
            .get(p..p + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    while pos < bytes.len() {
        let (Some(id), Some(_encoding), Some(len)) =
            (u32_at(pos), u32_at(pos + 4), u32_at(pos + 8))
        else {
            return Some(Err(TrustFileError::SstTruncated(pos)));
        };
        let data_start = pos + 12;
        let Some(data) = bytes.get(data_start..data_start + len as usize) else {
            return Some(Err(TrustFileError::SstPastEnd(pos)));
        };
        if id == 0 && len == 0 {
            break;
        }
        if id == SST_CERT_ELEMENT {
            match Certificate::from_der(data) {
                Ok(c) => out.push((c, data.to_vec())),
                Err(e) => {
                    return Some(Err(TrustFileError::SstCertificate {
                        at: data_start,
                        source: e,
                    }));
                }
            }
        }
        pos = data_start + len as usize;
    }
    Some(Ok(out))
}
