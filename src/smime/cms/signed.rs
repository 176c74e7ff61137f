//! One CMS SignedData layer: every SignerInfo checked (signed attributes, message digest,
//! signature), its signer certificate found, its path validated and its usage checked.

use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectKeyIdentifier};

use crate::smime::algorithms::{self, AlgError, Digest, oid};
use crate::smime::limits::{Exceeded, Limits};
use crate::smime::outcome::{Outcome, Reason, SignerReport};
use crate::smime::pki::path::{PathValidator, unix_secs};
use crate::smime::pki::trust::TrustStore;

/// When certificates are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyTime {
    /// At this instant (Unix seconds): "now", or `--at`.
    At(u64),
    /// At the CMS signing time when the signer gave one, else at this instant.
    SigningTimeOr(u64),
}

/// What verification needs besides the message.
pub struct Verifier<'a> {
    pub trust: &'a TrustStore,
    pub paths: &'a PathValidator,
    pub time: VerifyTime,
    pub allow_sha1: bool,
    pub limits: Limits,
}

/// EncapsulatedContentInfo with eContent read as an OCTET STRING, so that BER's
/// constructed (chunked, indefinite-length) form is reassembled by the decoder.
#[derive(der::Sequence)]
struct EncapOctets {
    #[allow(dead_code)]
    econtent_type: der::asn1::ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    econtent: Option<OctetString>,
}

/// The encapsulated content of a SignedData (`content` is the ContentInfo's content).
/// `cms` keeps eContent as an `Any`, which loses the chunk structure of BER's constructed
/// OCTET STRING (NSS writes that), so the SignedData is read a second time for it.
pub fn encapsulated_content(content: &Any) -> Result<Option<Vec<u8>>, der::Error> {
    let bytes = content.to_der()?;
    let read = |rules| -> Result<Option<Vec<u8>>, der::Error> {
        let mut r = der::SliceReader::new_with_encoding_rules(&bytes, rules)?;
        let out = r.sequence(|r| {
            let _version: Any = r.decode()?;
            let _digest_algorithms: Any = r.decode()?;
            let eci: EncapOctets = r.decode()?;
            while !r.is_finished() {
                let _rest: Any = r.decode()?;
            }
            Ok::<_, der::Error>(eci.econtent.map(|o| o.into_bytes().into_vec()))
        })?;
        r.finish()?;
        Ok(out)
    };
    read(der::EncodingRules::Der).or_else(|_| read(der::EncodingRules::Ber))
}

/// Checks every SignerInfo of `sd` over `content` (the detached MIME part, or the
/// encapsulated content of an opaque signature).
pub fn verify(sd: &SignedData, content: &[u8], v: &Verifier<'_>) -> Vec<SignerReport> {
    #[cfg(debug_assertions)]
    crate::smime::outcome::injected_panic("verify");
    let signer_infos: Vec<&SignerInfo> = sd.signer_infos.0.iter().collect();
    if signer_infos.is_empty() {
        return vec![SignerReport::failed(Reason::Malformed)];
    }
    if signer_infos.len() > v.limits.max_signers {
        return vec![SignerReport::failed(Reason::Limit(Exceeded::Signers))];
    }
    let mut certs: Vec<(Certificate, Vec<u8>)> = Vec::new();
    if let Some(set) = &sd.certificates {
        if set.0.len() > v.limits.max_certificates {
            return vec![SignerReport::failed(Reason::Limit(Exceeded::Certificates))];
        }
        for choice in set.0.iter() {
            if let CertificateChoices::Certificate(c) = choice
                && let Ok(der) = c.to_der()
            {
                certs.push((c.clone(), der));
            }
        }
    }
    // One digest per algorithm, however many signers use it.
    let mut digests: Vec<(Digest, Vec<u8>)> = Vec::new();
    signer_infos
        .into_iter()
        .map(|si| verify_signer(sd, si, content, &certs, &mut digests, v))
        .collect()
}

fn verify_signer(
    sd: &SignedData,
    si: &SignerInfo,
    content: &[u8],
    certs: &[(Certificate, Vec<u8>)],
    digests: &mut Vec<(Digest, Vec<u8>)>,
    v: &Verifier<'_>,
) -> SignerReport {
    let Some((cert, cert_der)) = find_signer(si, certs, v.trust) else {
        return SignerReport::failed(Reason::UntrustedIssuer);
    };
    let tbs = cert.tbs_certificate();
    let mut report = SignerReport {
        outcome: Outcome::PASS,
        emails: cert_emails(&cert),
        serial_hex: Some(crate::smime::asn1::hex(tbs.serial_number().as_bytes())),
        issuer: Some(tbs.issuer().to_string()),
        not_after: Some(unix_secs(tbs.validity().not_after.to_system_time())),
        digest: None,
        signature: None,
        chain_len: 0,
        revoked_by: None,
    };
    let digest = match algorithms::digest_from_oid(&si.digest_alg.oid) {
        Ok(d) => d,
        Err(AlgError::Weak) => return report.with(Reason::WeakAlgorithm),
        Err(_) => return report.with(Reason::UnsupportedAlgorithm),
    };
    report.digest = Some(digest.name());
    let scheme = match algorithms::scheme_from_alg(&si.signature_algorithm, Some(digest)) {
        Ok(s) => s,
        Err(AlgError::Weak) => return report.with(Reason::WeakAlgorithm),
        Err(_) => return report.with(Reason::UnsupportedAlgorithm),
    };
    report.signature = Some(scheme.name());
    let content_digest = match digests.iter().find(|(d, _)| *d == digest) {
        Some((_, h)) => h.clone(),
        None => {
            let h = algorithms::hash(digest, content);
            digests.push((digest, h.clone()));
            h
        }
    };
    let spki = tbs.subject_public_key_info();
    let spki = match spki
        .to_der()
        .and_then(|d| spki::SubjectPublicKeyInfoOwned::from_der(&d))
    {
        Ok(s) => s,
        Err(_) => return report.with(Reason::Malformed),
    };
    let mut signing_time = None;
    let crypto = match &si.signed_attrs {
        Some(attrs) => {
            match check_signed_attrs(attrs, &sd.encap_content_info.econtent_type, &content_digest) {
                Err(reason) => Err(reason),
                Ok(t) => {
                    signing_time = t;
                    match attrs.to_der() {
                        Ok(der) => sig_check(scheme, &spki, &der, si.signature.as_bytes()),
                        Err(_) => Err(Reason::Malformed),
                    }
                }
            }
        }
        None => {
            if sd.encap_content_info.econtent_type != oid::DATA {
                Err(Reason::Malformed)
            } else {
                sig_check(scheme, &spki, content, si.signature.as_bytes())
            }
        }
    };
    if let Err(reason) = crypto {
        return report.with(reason);
    }
    // The cryptography holds; SHA-1 is refused by policy after that, so a broken SHA-1
    // signature still reads as a failure.
    if scheme.digest() == Some(Digest::Sha1) && !v.allow_sha1 {
        return report.with(Reason::WeakAlgorithm);
    }
    let at = match v.time {
        VerifyTime::At(t) => t,
        VerifyTime::SigningTimeOr(now) => signing_time.unwrap_or(now),
    };
    if let Err(reason) = check_validity(&cert, at) {
        return report.with(reason);
    }
    if let Err(reason) = check_usage(&cert) {
        return report.with(reason);
    }
    let extra: Vec<&[u8]> = certs.iter().map(|(_, d)| d.as_slice()).collect();
    match v.paths.validate(&cert_der, &extra, at) {
        Ok(info) => {
            report.chain_len = info.chain_len;
            report
        }
        Err(e) => {
            report.revoked_by = e.revoked_by.map(|c| c.to_string());
            report.with(e.reason)
        }
    }
}

impl SignerReport {
    fn with(mut self, reason: Reason) -> SignerReport {
        self.outcome = Outcome::from_reason(reason);
        self
    }
}

fn sig_check(
    scheme: algorithms::Scheme,
    spki: &spki::SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Reason> {
    // SHA-1 is verified here (allowed) and refused by the caller after, see above.
    match algorithms::verify(scheme, spki, message, signature, true) {
        Ok(()) => Ok(()),
        Err(AlgError::BadSignature) => Err(Reason::BadSignature),
        Err(AlgError::Weak) => Err(Reason::WeakAlgorithm),
        Err(AlgError::BadKey) => Err(Reason::Malformed),
        Err(AlgError::Unsupported) => Err(Reason::UnsupportedAlgorithm),
    }
}

/// RFC 5652 5.4/11: content-type must equal eContentType; message-digest must equal the
/// digest of the content. Returns the signing time when one is present.
fn check_signed_attrs(
    attrs: &SetOfVec<x509_cert::attr::Attribute>,
    econtent_type: &der::asn1::ObjectIdentifier,
    digest: &[u8],
) -> Result<Option<u64>, Reason> {
    let mut content_type_ok = false;
    let mut digest_seen = false;
    let mut signing_time = None;
    for attr in attrs.iter() {
        let single = || -> Result<&Any, Reason> {
            if attr.values.len() != 1 {
                return Err(Reason::Malformed);
            }
            attr.values.iter().next().ok_or(Reason::Malformed)
        };
        match attr.oid {
            oid::CONTENT_TYPE => {
                let v = single()?
                    .decode_as::<der::asn1::ObjectIdentifier>()
                    .map_err(|_| Reason::Malformed)?;
                if v != *econtent_type {
                    return Err(Reason::Malformed);
                }
                content_type_ok = true;
            }
            oid::MESSAGE_DIGEST => {
                let v = single()?
                    .decode_as::<OctetString>()
                    .map_err(|_| Reason::Malformed)?;
                if v.as_bytes() != digest {
                    return Err(Reason::DigestMismatch);
                }
                digest_seen = true;
            }
            oid::SIGNING_TIME => {
                if let Ok(t) = single()?.decode_as::<x509_cert::time::Time>() {
                    signing_time = Some(unix_secs(t.to_system_time()));
                }
            }
            _ => {}
        }
    }
    if !content_type_ok || !digest_seen {
        return Err(Reason::Malformed);
    }
    Ok(signing_time)
}

fn find_signer(
    si: &SignerInfo,
    certs: &[(Certificate, Vec<u8>)],
    trust: &TrustStore,
) -> Option<(Certificate, Vec<u8>)> {
    let matches = |c: &Certificate| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            c.tbs_certificate().issuer() == &isn.issuer
                && c.tbs_certificate().serial_number().as_bytes() == isn.serial_number.as_bytes()
        }
        SignerIdentifier::SubjectKeyIdentifier(skid) => {
            matches!(c.tbs_certificate().get_extension::<SubjectKeyIdentifier>(),
                Ok(Some((_, ext))) if ext.0.as_bytes() == skid.0.as_bytes())
        }
    };
    certs.iter().find(|(c, _)| matches(c)).cloned().or_else(|| {
        trust
            .certs
            .iter()
            .find(|t| matches(&t.cert))
            .map(|t| (t.cert.clone(), t.der.clone()))
    })
}

/// E-mail addresses of a certificate, lower-cased: rfc822Name SANs, then emailAddress
/// attributes of the subject (legacy, as NSS's test certificates carry them).
pub fn cert_emails(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Some((_, san))) = cert.tbs_certificate().get_extension::<SubjectAltName>() {
        for name in san.0.iter() {
            if let GeneralName::Rfc822Name(s) = name {
                out.push(s.as_str().to_ascii_lowercase());
            }
        }
    }
    {
        for atv in cert.tbs_certificate().subject().iter() {
            if atv.oid == oid::EMAIL_ADDRESS {
                let s = atv
                    .value
                    .decode_as::<der::asn1::Ia5String>()
                    .map(|s| s.as_str().to_string())
                    .or_else(|_| {
                        atv.value
                            .decode_as::<der::asn1::Utf8StringRef<'_>>()
                            .map(|s| s.as_str().to_string())
                    });
                if let Ok(s) = s {
                    let s = s.to_ascii_lowercase();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

fn check_validity(cert: &Certificate, at: u64) -> Result<(), Reason> {
    let validity = cert.tbs_certificate().validity();
    if at < unix_secs(validity.not_before.to_system_time()) {
        return Err(Reason::NotYetValid);
    }
    if at > unix_secs(validity.not_after.to_system_time()) {
        return Err(Reason::Expired);
    }
    Ok(())
}

/// keyUsage, when present, must allow digitalSignature or nonRepudiation; extendedKeyUsage,
/// when present, must hold emailProtection or anyExtendedKeyUsage.
fn check_usage(cert: &Certificate) -> Result<(), Reason> {
    let tbs = cert.tbs_certificate();
    match tbs.get_extension::<KeyUsage>() {
        Ok(Some((_, ku))) if !(ku.digital_signature() || ku.non_repudiation()) => {
            return Err(Reason::BadKeyUsage);
        }
        Err(_) => return Err(Reason::Malformed),
        _ => {}
    }
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku)))
            if !eku
                .0
                .iter()
                .any(|o| *o == oid::KP_EMAIL_PROTECTION || *o == oid::ANY_EXTENDED_KEY_USAGE) =>
        {
            Err(Reason::BadKeyUsage)
        }
        Err(_) => Err(Reason::Malformed),
        _ => Ok(()),
    }
}
