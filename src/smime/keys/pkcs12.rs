//! PKCS#12 files (.p12/.pfx, RFC 7292) as Windows/Exchange, NSS and OpenSSL export them, and
//! encrypted PKCS#8 keys (`ENCRYPTED PRIVATE KEY`, RFC 5958).
//!
//! Only what a decryption key needs is read: the MAC is checked (it proves the password),
//! key bags (plain or shrouded) give the private key, certificate bags the certificates;
//! other bags (CRLs, secrets) are skipped. BER (NSS and Windows write indefinite lengths) is
//! accepted. The output is an unencrypted PKCS#8 `PrivateKeyInfo`, zeroed on drop.

use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::pbe::{self, Password, PbeError};
use crate::smime::asn1::decode_lenient;

/// Bags read, all SafeContents together: a key and its chain need a handful.
const MAX_BAGS: usize = 256;
/// safeContentsBag nesting.
const MAX_NESTING: usize = 4;

mod oid {
    pub use crate::smime::algorithms::oid::DATA;
    use const_oid::ObjectIdentifier as O;
    pub const ENCRYPTED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.6");
    pub const KEY_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.1");
    pub const SHROUDED_KEY_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.2");
    pub const CERT_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.3");
    pub const SAFE_CONTENTS_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.6");
    pub const X509_CERTIFICATE: O = O::new_unwrap("1.2.840.113549.1.9.22.1");
}

/// What a PKCS#12 file holds that a decryption key needs.
pub struct Contents {
    /// The private key as unencrypted PKCS#8.
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// Every X.509 certificate in the file (DER); the caller picks the one that matches.
    pub certs: Vec<Vec<u8>>,
    /// The weak PBE that protected the certificates (RC2), which `check` reports.
    pub weak_certificate_protection: Option<&'static str>,
}

/// PFX (RFC 7292 4).
#[derive(der::Sequence)]
struct Pfx {
    version: u8,
    auth_safe: DataContentInfo,
    #[asn1(optional = "true")]
    mac_data: Option<MacData>,
}

/// A ContentInfo of type data, its content read as an OCTET STRING so that BER's chunked
/// form is reassembled.
#[derive(der::Sequence)]
struct DataContentInfo {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: OctetString,
}

#[derive(der::Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    #[asn1(default = "one")]
    iterations: u32,
}

fn one() -> u32 {
    1
}

#[derive(der::Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// The type of one element of the AuthenticatedSafe (data or encryptedData).
#[derive(der::Sequence)]
struct ContentType {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    _content: Any,
}

/// A ContentInfo of type encryptedData.
#[derive(der::Sequence)]
struct EncryptedDataContentInfo {
    _content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: EncryptedData,
}

/// EncryptedData (RFC 5652 8) with its content read as an OCTET STRING.
#[derive(der::Sequence)]
struct EncryptedData {
    version: u8,
    info: EncryptedContentInfo,
}

#[derive(der::Sequence)]
struct EncryptedContentInfo {
    content_type: ObjectIdentifier,
    algorithm: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    content: OctetString,
}

#[derive(der::Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    value: Any,
    // bagAttributes (friendly name, local key id) are not needed.
    #[asn1(optional = "true")]
    _attributes: Option<Any>,
}

#[derive(der::Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    value: OctetString,
}

/// EncryptedPrivateKeyInfo (RFC 5958 3).
#[derive(der::Sequence)]
struct EncryptedPrivateKeyInfo {
    algorithm: AlgorithmIdentifierOwned,
    data: OctetString,
}

/// Why a PKCS#12 file or an encrypted PKCS#8 key did not open.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    #[error("not a readable PKCS#12 file ({what}: {source})")]
    Malformed {
        what: &'static str,
        source: der::Error,
    },
    #[error("PKCS#12 version {0} (3 expected)")]
    Version(u8),
    #[error("public-key integrity mode (a signed PKCS#12) is not supported")]
    PublicKeyIntegrity,
    #[error("{0}")]
    Mac(PbeError),
    #[error("certificates: {0}")]
    Certificates(PbeError),
    #[error("private key: {0}")]
    PrivateKey(PbeError),
    #[error("content type {0} in the authenticated safe is not supported")]
    ContentType(der::asn1::ObjectIdentifier),
    #[error("holds no private key (export it with the private key)")]
    NoPrivateKey,
    #[error("holds more than one private key: export one key per file")]
    SeveralPrivateKeys,
    #[error("safe contents nested deeper than {MAX_NESTING}")]
    TooDeep,
    #[error("more than {MAX_BAGS} bags")]
    TooManyBags,
    #[error("not an encrypted PKCS#8 private key: {0}")]
    NotEncryptedPkcs8(der::Error),
    #[error("{0}")]
    Pkcs8(PbeError),
}

fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> Pkcs12Error {
    move |source| Pkcs12Error::Malformed { what, source }
}

/// Opens a PKCS#12 file (DER or BER) with its password. An empty password is tried in
/// both of its PKCS#12 forms ([`Password::forms`]); the first error is reported.
pub fn open(bytes: &[u8], password: &[u8]) -> Result<Contents, Pkcs12Error> {
    let mut first_error = None;
    for form in Password::forms(password) {
        match open_with(bytes, form) {
            Ok(contents) => return Ok(contents),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Pkcs12Error::NoPrivateKey))
}

fn open_with(bytes: &[u8], password: Password<'_>) -> Result<Contents, Pkcs12Error> {
    let pfx: Pfx = decode_lenient(bytes).map_err(malformed("PFX"))?;
    if pfx.version != 3 {
        return Err(Pkcs12Error::Version(pfx.version));
    }
    if pfx.auth_safe.content_type != oid::DATA {
        return Err(Pkcs12Error::PublicKeyIntegrity);
    }
    let data = pfx.auth_safe.content.as_bytes();
    // Without a MAC, a wrong password shows as a decryption failure below.
    if let Some(mac) = &pfx.mac_data {
        pbe::check_pkcs12_mac(
            &mac.mac.algorithm.oid,
            mac.mac.digest.as_bytes(),
            mac.mac_salt.as_bytes(),
            mac.iterations,
            password,
            data,
        )
        .map_err(Pkcs12Error::Mac)?;
    }
    // Each element is read again with its own type: a data OCTET STRING must be decoded as
    // one (inside an `Any`, BER's constructed, chunked form is not reassembled).
    let safes: Vec<Any> = decode_lenient(data).map_err(malformed("AuthenticatedSafe"))?;
    let mut walk = Walk {
        password,
        keys: Vec::new(),
        certs: Vec::new(),
        bags: 0,
    };
    let mut weak = None;
    for element in &safes {
        let kind: ContentType = reread(element).map_err(malformed("ContentInfo"))?;
        let contents = match kind.content_type {
            oid::DATA => {
                let ci: DataContentInfo = reread(element).map_err(malformed("data"))?;
                Zeroizing::new(ci.content.as_bytes().to_vec())
            }
            oid::ENCRYPTED_DATA => {
                let ci: EncryptedDataContentInfo =
                    reread(element).map_err(malformed("EncryptedData"))?;
                let info = &ci.content.info;
                let (plain, weak_pbe) =
                    pbe::decrypt_certificates(&info.algorithm, password, info.content.as_bytes())
                        .map_err(Pkcs12Error::Certificates)?;
                weak = weak.or(weak_pbe);
                plain
            }
            other => {
                return Err(Pkcs12Error::ContentType(other));
            }
        };
        walk.safe_contents(&contents, 0)?;
    }
    let mut keys = walk.keys.into_iter();
    let pkcs8 = keys.next().ok_or(Pkcs12Error::NoPrivateKey)?;
    if keys.next().is_some() {
        return Err(Pkcs12Error::SeveralPrivateKeys);
    }
    Ok(Contents {
        pkcs8,
        certs: walk.certs,
        weak_certificate_protection: weak,
    })
}

/// Decrypts an `EncryptedPrivateKeyInfo` (DER) to a PKCS#8 `PrivateKeyInfo`.
pub fn decrypt_pkcs8(der: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let info: EncryptedPrivateKeyInfo =
        decode_lenient(der).map_err(Pkcs12Error::NotEncryptedPkcs8)?;
    shrouded(&info, Password::new(password)).map_err(Pkcs12Error::Pkcs8)
}

fn shrouded(
    info: &EncryptedPrivateKeyInfo,
    password: Password<'_>,
) -> Result<Zeroizing<Vec<u8>>, PbeError> {
    let plain = pbe::decrypt(&info.algorithm, password, info.data.as_bytes())?;
    // With a wrong password, CBC padding is still right one time in 256: the result is then
    // not a PrivateKeyInfo.
    if der::asn1::AnyRef::from_der(&plain).is_err() {
        return Err(PbeError::WrongPassword);
    }
    Ok(plain)
}

struct Walk<'p> {
    password: Password<'p>,
    keys: Vec<Zeroizing<Vec<u8>>>,
    certs: Vec<Vec<u8>>,
    bags: usize,
}

impl Walk<'_> {
    fn safe_contents(&mut self, bytes: &[u8], depth: usize) -> Result<(), Pkcs12Error> {
        if depth > MAX_NESTING {
            return Err(Pkcs12Error::TooDeep);
        }
        let bags: Vec<SafeBag> = decode_lenient(bytes).map_err(malformed("SafeContents"))?;
        for bag in bags {
            self.bags += 1;
            if self.bags > MAX_BAGS {
                return Err(Pkcs12Error::TooManyBags);
            }
            match bag.bag_id {
                oid::KEY_BAG => self.keys.push(Zeroizing::new(
                    bag.value.to_der().map_err(malformed("key bag"))?,
                )),
                oid::SHROUDED_KEY_BAG => {
                    let info: EncryptedPrivateKeyInfo =
                        reread(&bag.value).map_err(malformed("shrouded key bag"))?;
                    self.keys
                        .push(shrouded(&info, self.password).map_err(Pkcs12Error::PrivateKey)?);
                }
                oid::CERT_BAG => {
                    let cert: CertBag = reread(&bag.value).map_err(malformed("cert bag"))?;
                    // sdsiCertificate and others are not X.509: skipped.
                    if cert.cert_id == oid::X509_CERTIFICATE {
                        self.certs.push(cert.value.as_bytes().to_vec());
                    }
                }
                oid::SAFE_CONTENTS_BAG => {
                    let inner = bag.value.to_der().map_err(malformed("safe contents bag"))?;
                    self.safe_contents(&inner, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// An `Any` read again as `T` (leniently: the value may hold BER).
fn reread<T: for<'a> Decode<'a, Error = der::Error>>(any: &Any) -> Result<T, der::Error> {
    decode_lenient(&any.to_der()?)
}
