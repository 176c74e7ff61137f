//! Certificate path building and RFC 5280 validation, done by certval with aws-lc-rs plugged
//! into its signature callback. This module only assembles the environment (anchors and
//! intermediates from the trust store, certificates carried by the message, CRLs), maps
//! certval's statuses onto our reasons, and caches results for signers seen before.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certval::{
    CertFile, CertSource, CertVector, CertificationPath, CertificationPathResults,
    CertificationPathSettings, Error as CvError, PDVCertificate, PathValidationStatus,
    PkiEnvironment, TaSource, TimeOfInterest, parse_cert, validate_path_rfc5280,
};
use der::asn1::BitString;
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::revocation::RevocationSetting;
use super::revocation::{self, Crl, Status};
use super::trust::{Kind, TrustStore};
use crate::smime::algorithms::{self, AlgError};
use crate::smime::limits::{Exceeded, path_budget};
use crate::smime::outcome::Reason;

/// Cached results older than this are recomputed (a CRL or the clock may have moved).
const CACHE_WINDOW_SECS: u64 = 300;
/// At most this many cached paths; the cache is emptied when full.
const CACHE_CAP: usize = 10_000;
/// How deep CRL signers' own paths are followed (a CRL signer whose CRL has a signer ...).
const MAX_SIGNER_DEPTH: usize = 3;

/// A validated path, as the audit line reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathInfo {
    /// Certificates from the signer up to and including the trust anchor.
    pub chain_len: usize,
}

/// Why a signer's path did not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub reason: Reason,
    /// For `revoked`: the CRL (issuer and number) that listed a certificate of the path.
    pub revoked_by: Option<Arc<str>>,
}

impl From<Reason> for PathError {
    fn from(reason: Reason) -> PathError {
        PathError {
            reason,
            revoked_by: None,
        }
    }
}

type CacheKey = ([u8; 32], u64);
type Cached = (u64, Result<PathInfo, PathError>);

/// Path validation against one trust store generation.
pub struct PathValidator {
    base: PkiEnvironment,
    anchors: Vec<(String, Vec<u8>)>,
    intermediates: Vec<(String, Vec<u8>)>,
    crls: Vec<Crl>,
    /// The store's certificates, parsed: CRL signers may be among them.
    store_certs: Vec<Certificate>,
    revocation: RevocationSetting,
    allow_sha1: bool,
    /// Signature checks one signer's path may spend (`max_path_signature_checks`) plus
    /// what building partial paths among the store's own certificates costs, which a
    /// path with certificates from the message pays again.
    budget: usize,
    cache: Mutex<HashMap<CacheKey, Cached>>,
}

impl PathValidator {
    pub fn new(
        store: &TrustStore,
        crls: Vec<Crl>,
        revocation: RevocationSetting,
        allow_sha1: bool,
        max_signature_checks: usize,
    ) -> PathValidator {
        let label = |c: &super::trust::TrustCert| format!("{}", c.source.display());
        let anchors: Vec<_> = store
            .certs
            .iter()
            .filter(|c| c.kind == Kind::Anchor)
            .map(|c| (label(c), c.der.clone()))
            .collect();
        let intermediates: Vec<_> = store
            .certs
            .iter()
            .filter(|c| c.kind == Kind::Intermediate)
            .map(|c| (label(c), c.der.clone()))
            .collect();
        let (base, store_cost) = path_budget::scope(usize::MAX, || {
            environment(&anchors, &intermediates, &[], allow_sha1)
        });
        let store_certs = anchors
            .iter()
            .chain(&intermediates)
            .filter_map(|(_, d)| Certificate::from_der(d).ok())
            .collect();
        PathValidator {
            base,
            anchors,
            intermediates,
            crls,
            store_certs,
            revocation,
            allow_sha1,
            budget: max_signature_checks.saturating_add(store_cost.checks),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Validates the signer certificate `leaf` at `at` (Unix seconds), with `extra` the other
    /// certificates the message carries (possible intermediates).
    pub fn validate(&self, leaf: &[u8], extra: &[&[u8]], at: u64) -> Result<PathInfo, PathError> {
        let key = cache_key(leaf, extra, at);
        if let Some((_, cached)) = self.cache_lock().get(&key) {
            return cached.clone();
        }
        let (result, spent) =
            path_budget::scope(self.budget, || self.validate_uncached(leaf, extra, at));
        // Past the budget every check failed, whatever the path would have given.
        let result = match result {
            Err(_) if spent.exhausted => Err(Reason::Limit(Exceeded::PathSignatureChecks).into()),
            other => other,
        };
        let mut cache = self.cache_lock();
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(key, (at, result.clone()));
        result
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Cached>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn validate_uncached(
        &self,
        leaf: &[u8],
        extra: &[&[u8]],
        at: u64,
    ) -> Result<PathInfo, PathError> {
        let target = parse_cert(leaf, "signer").map_err(|_| Reason::Malformed)?;
        let toi = TimeOfInterest::from_unix_secs(at).map_err(|_| Reason::Internal)?;
        let checker = |env, pool| Checker {
            env,
            crls: &self.crls,
            pool,
            revocation: self.revocation,
            allow_sha1: self.allow_sha1,
            toi,
            at,
            revoked_by: RefCell::new(None),
        };
        let store_only = checker(&self.base, &self.store_certs);
        let first = store_only
            .try_paths(&target)
            .map_err(|r| store_only.error(r));
        if first.is_ok() {
            return first;
        }
        // The store alone gave no valid path; try again with the certificates the message
        // brought, which are often the intermediates.
        let novel: Vec<(String, Vec<u8>)> = extra
            .iter()
            .filter(|der| **der != leaf && !self.intermediates.iter().any(|(_, d)| d == *der))
            .filter(|der| !self.anchors.iter().any(|(_, d)| d == *der))
            .map(|der| ("message".to_string(), der.to_vec()))
            .collect();
        if novel.is_empty() {
            return first;
        }
        let env = environment(&self.anchors, &self.intermediates, &novel, self.allow_sha1);
        let mut pool = self.store_certs.clone();
        pool.extend(
            novel
                .iter()
                .filter_map(|(_, d)| Certificate::from_der(d).ok()),
        );
        let with_message = checker(&env, &pool);
        let second = with_message
            .try_paths(&target)
            .map_err(|r| with_message.error(r));
        match (&first, &second) {
            // Report the more specific of two failures.
            (Err(a), Err(b))
                if b.reason == Reason::UntrustedIssuer && a.reason != Reason::UntrustedIssuer =>
            {
                first
            }
            _ => second,
        }
    }
}

fn cache_key(leaf: &[u8], extra: &[&[u8]], at: u64) -> CacheKey {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(&(leaf.len() as u64).to_be_bytes());
    ctx.update(leaf);
    for e in extra {
        ctx.update(&(e.len() as u64).to_be_bytes());
        ctx.update(e);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    (out, at / CACHE_WINDOW_SECS)
}

/// certval validates the path; revocation is ours (`revocation`), so its own is off.
fn settings(toi: TimeOfInterest) -> CertificationPathSettings {
    let mut cps = CertificationPathSettings::new();
    cps.set_time_of_interest(toi);
    // Nothing is fetched from the network by a mail filter.
    cps.set_retrieve_from_aia_sia_http(false);
    cps.set_check_ocsp_from_aia(false);
    cps.set_check_crldp_http(false);
    cps.set_check_revocation_status(false);
    cps.set_check_crls(false);
    cps
}

/// What validating one signer's paths needs: the environment to build them in, and what
/// revocation checking (ours, RFC 5280 §6.3.3, in `revocation`) needs besides.
struct Checker<'a> {
    env: &'a PkiEnvironment,
    crls: &'a [Crl],
    /// Certificates a CRL signer may be: the store's and the message's.
    pool: &'a [Certificate],
    revocation: RevocationSetting,
    allow_sha1: bool,
    toi: TimeOfInterest,
    at: u64,
    /// The CRL that listed a certificate, when one did.
    revoked_by: RefCell<Option<Arc<str>>>,
}

impl Checker<'_> {
    fn error(&self, reason: Reason) -> PathError {
        PathError {
            reason,
            revoked_by: (reason == Reason::Revoked)
                .then(|| self.revoked_by.take())
                .flatten(),
        }
    }

    fn try_paths(&self, target: &PDVCertificate) -> Result<PathInfo, Reason> {
        let cps = settings(self.toi);
        let mut paths = Vec::new();
        if self
            .env
            .get_paths_for_target(target, &mut paths, 0, self.toi)
            .is_err()
            || paths.is_empty()
        {
            return Err(Reason::UntrustedIssuer);
        }
        let mut best = Reason::UntrustedIssuer;
        for path in paths.iter().take(16) {
            let mut cpr = CertificationPathResults::new();
            let outcome = match self.env.validate_path(self.env, &cps, path, &mut cpr) {
                Ok(()) => self.revocation_status(path, 0),
                Err(e) => Err(map_error(&e)),
            };
            match outcome {
                Ok(()) => {
                    return Ok(PathInfo {
                        chain_len: path.intermediates.len() + 2,
                    });
                }
                Err(reason) if reason != Reason::UntrustedIssuer => best = reason,
                Err(_) => {}
            }
        }
        Err(best)
    }

    /// `revoked` if a CRL lists a certificate of the path; `revocation-unknown` if a CRL of
    /// its CA is on hand but settles nothing, or, under `require`, if no CRL is.
    fn revocation_status(&self, path: &CertificationPath, depth: usize) -> Result<(), Reason> {
        let certs = path_certificates(path).ok_or(Reason::Malformed)?;
        let anchor = path.trust_anchor.as_bytes();
        let signer_valid =
            |c: &Certificate| depth < MAX_SIGNER_DEPTH && self.signer_valid(c, anchor, depth + 1);
        let ctx = revocation::Context {
            crls: self.crls,
            pool: self.pool,
            at: self.at,
            allow_sha1: self.allow_sha1,
            signer_valid: &signer_valid,
        };
        let statuses = revocation::path_status(&ctx, &certs);
        for (status, cert) in statuses.iter().zip(&certs[1..]) {
            if let Status::Revoked(by) = status {
                tracing::info!(
                    certificate = %cert.tbs_certificate().subject(),
                    serial = %crate::smime::asn1::hex(cert.tbs_certificate().serial_number().as_bytes()),
                    crl = %self.crls[*by].label(),
                    "certificate revoked"
                );
                *self.revoked_by.borrow_mut() = Some(self.crls[*by].label().into());
                return Err(Reason::Revoked);
            }
        }
        let unknown = statuses.iter().any(|s| match s {
            Status::Unknown => true,
            Status::NoCrl => self.revocation == RevocationSetting::Require,
            Status::Good | Status::Revoked(_) => false,
        });
        if unknown {
            Err(Reason::RevocationUnknown)
        } else {
            Ok(())
        }
    }

    /// A CRL signer outside the path: some path to the same anchor validates, and nothing
    /// on it is revoked (RFC 5280 §6.3.3 (f)).
    fn signer_valid(&self, cert: &Certificate, anchor: &[u8], depth: usize) -> bool {
        let Ok(der) = cert.to_der() else {
            return false;
        };
        let Ok(target) = parse_cert(&der, "CRL signer") else {
            return false;
        };
        let mut paths = Vec::new();
        if self
            .env
            .get_paths_for_target(&target, &mut paths, 0, self.toi)
            .is_err()
        {
            return false;
        }
        let cps = settings(self.toi);
        paths
            .iter()
            .filter(|p| p.trust_anchor.as_bytes() == anchor)
            .take(4)
            .any(|p| {
                let mut cpr = CertificationPathResults::new();
                self.env.validate_path(self.env, &cps, p, &mut cpr).is_ok()
                    && self.revocation_status(p, depth).is_ok()
            })
    }
}

/// The path's certificates, anchor first.
fn path_certificates(path: &CertificationPath) -> Option<Vec<Certificate>> {
    let mut out = vec![Certificate::from_der(path.trust_anchor.as_bytes()).ok()?];
    for c in path.intermediates.iter() {
        out.push(Certificate::from_der(c.as_bytes()).ok()?);
    }
    out.push(Certificate::from_der(path.target.as_bytes()).ok()?);
    Some(out)
}

fn map_error(e: &CvError) -> Reason {
    match e {
        CvError::PathValidation(s) => match s {
            PathValidationStatus::InvalidNotAfterDate => Reason::Expired,
            PathValidationStatus::InvalidNotBeforeDate => Reason::NotYetValid,
            PathValidationStatus::CertificateRevoked
            | PathValidationStatus::CertificateRevokedEndEntity
            | PathValidationStatus::CertificateRevokedIntermediateCa
            | PathValidationStatus::CertificateOnHold => Reason::Revoked,
            PathValidationStatus::InvalidKeyUsage => Reason::BadKeyUsage,
            _ => Reason::UntrustedIssuer,
        },
        _ => Reason::UntrustedIssuer,
    }
}

fn environment(
    anchors: &[(String, Vec<u8>)],
    intermediates: &[(String, Vec<u8>)],
    extra: &[(String, Vec<u8>)],
    allow_sha1: bool,
) -> PkiEnvironment {
    let mut pe = PkiEnvironment::new();
    pe.add_validate_path_callback(validate_path_rfc5280);
    pe.add_verify_signature_message_callback(
        move |_pe: &PkiEnvironment,
              message: &[u8],
              signature: &BitString,
              alg: &AlgorithmIdentifierOwned,
              spki: &SubjectPublicKeyInfoOwned|
              -> certval::Result<()> {
            if !path_budget::charge() {
                return Err(CvError::PathValidation(
                    PathValidationStatus::SignatureVerificationFailure,
                ));
            }
            let scheme =
                algorithms::scheme_from_alg(alg, None).map_err(|_| CvError::Unrecognized)?;
            let sig = signature.as_bytes().ok_or(CvError::Unrecognized)?;
            match algorithms::verify(scheme, spki, message, sig, allow_sha1) {
                Ok(()) => Ok(()),
                Err(AlgError::BadSignature) => Err(CvError::PathValidation(
                    PathValidationStatus::SignatureVerificationFailure,
                )),
                Err(_) => Err(CvError::Unrecognized),
            }
        },
    );
    let mut tas = TaSource::new();
    for (name, der) in anchors {
        tas.push(CertFile {
            filename: name.clone(),
            bytes: der.clone(),
        });
    }
    let _ = tas.initialize();
    pe.add_trust_anchor_source(Box::new(tas));

    let cps = settings(TimeOfInterest::disabled());
    let mut cs = CertSource::new();
    for (name, der) in intermediates.iter().chain(extra) {
        cs.push(CertFile {
            filename: name.clone(),
            bytes: der.clone(),
        });
    }
    let _ = cs.initialize(&cps);
    cs.find_all_partial_paths(&pe, &cps);
    pe.add_certificate_source(Box::new(cs));

    pe
}

/// Seconds since the Unix epoch of `t`.
pub fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}
