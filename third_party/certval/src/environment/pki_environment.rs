//! PkiEnvironment aggregates a set of function pointers and trait objects that supply functionality
//! useful when building and/or validating a certification path, processing or generating a CMS
//! message, or performing other actions that benefit from certification path validation.
//!
//! The sample below illustrates preparation of a PkiEnvironment object for use in
//! building and validating certification paths.
//! ```
//! use certval::PkiEnvironment;
//! use certval::*;
//!
//! // the default PkiEnvironment uses `oid_lookup` to look up friendly names for OIDs
//! let mut pe = PkiEnvironment::default();
//!
//! // add basic hashing, signature verification and path validation capabilities
//! pe.populate_5280_pki_environment();
//!
//! let mut ta_source = TaSource::default();
//! // populate the ta_store.buffers and ta_store.tas fields then index the trust anchors. see the
//! // `populate_parsed_ta_vector` usage in `Pittv3` for file-system based sample.
//! ta_source.index_tas();
//!
//! let mut cert_source = CertSource::default();
//! // populate the cert_source.buffers and cert_source.certs fields then index the certificates,
//! // i.e., populate the name and spki maps.
//!
//! // add ta_source and cert_source to provide access to trust anchors and intermediate CA certificates
//! pe.add_trust_anchor_source(Box::new(ta_source.clone()));
//!  pe.add_certificate_source(Box::new(cert_source.clone()));
//! ```
//!
//! The aggregation of function pointers and trait objects allows for implementations of features to
//! vary. For example, one app may desire path validation without some PKIX features (like
//! certificate policy) processing and another may desire access to trust anchors via a system store
//! (via an FFI implementation) or much smaller sets of trust anchors for selected operations.
//!

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::{vec, vec::Vec};

use der::asn1::{BitString, ObjectIdentifier};
use der::Encode;
use log::error;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::{certificate::Raw, crl::CertificateList, name::Name};

use crate::source::ta_source::{
    buffer_to_hex, get_subject_public_key_info_from_trust_anchor, hex_skid_from_cert,
    hex_skid_from_ta,
};
use crate::PathValidationStatus::RevocationStatusNotDetermined;
use crate::{
    environment::pki_environment_traits::*, path_settings::*, util::crypto::*, util::error::*,
    util::pdv_utilities::oid_lookup, validate_path_rfc5280, CertificationPath,
    CertificationPathResults, PDVCertificate, PDVTrustAnchorChoice, SubjectNameAndKey,
    TimeOfInterest,
};

#[cfg(feature = "pqc")]
use crate::util::{
    crypto_composite::verify_signature_message_composite_rustcrypto,
    crypto_pqc::{verify_signature_message_ctx_rustcrypto, verify_signature_message_rustcrypto},
};

/// [`PkiEnvironment`] provides a switchboard of callback functions that allow support to vary on
/// different platforms or to allow support to be tailored for specific use cases.
pub struct PkiEnvironment {
    //--------------------------------------------------------------------------
    //Crypto interfaces
    //--------------------------------------------------------------------------
    /// List of implementations that provide a message digest functionality
    calculate_hash_callbacks: Vec<Box<dyn CalculateHash + Send + Sync>>,

    /// List of implementations that provide a signature verification functionality given a digest
    verify_signature_digest_callbacks: Vec<Box<dyn VerifySignatureDigest + Send + Sync>>,

    /// List of implementations that provide a signature verification functionality given a message
    verify_signature_message_callbacks: Vec<Box<dyn VerifySignatureMessage + Send + Sync>>,

    /// List of implementations that provide a signature verification functionality given a digest and optional context
    verify_signature_digest_ctx_callbacks:
        Vec<Box<dyn VerifySignatureDigestWithContext + Send + Sync>>,

    /// List of implementations that provide a signature verification functionality given a message and optional context
    verify_signature_message_ctx_callbacks:
        Vec<Box<dyn VerifySignatureMessageWithContext + Send + Sync>>,

    //--------------------------------------------------------------------------
    //Certification path processing interfaces
    //--------------------------------------------------------------------------
    /// List of functions that provide certification path validation functionality
    validate_path_callbacks: Vec<ValidatePath>,

    //--------------------------------------------------------------------------
    //Storage and retrieval interfaces
    //--------------------------------------------------------------------------
    /// List of trait objects that provide access to trust anchors
    trust_anchor_sources: Vec<Box<dyn TrustAnchorSource + Send + Sync>>,

    /// Hex-encoded subject key identifiers that resolve to more than one distinct public key across
    /// the registered `trust_anchor_sources`. Such a SKID cannot unambiguously identify a trust
    /// anchor, so trust-anchor lookups keyed on it are refused (fail-closed). Recomputed whenever the
    /// set of trust anchor sources changes; see `add_trust_anchor_source`.
    poisoned_ta_skids: BTreeSet<String>,

    /// List of trait objects that provide access to certificates
    certificate_sources: Vec<Box<dyn CertificateSource + Send + Sync>>,

    /// List of trait objects that provide access to CRLs
    crl_sources: Vec<Box<dyn CrlSource + Send + Sync>>,

    /// List of trait objects that provide access to cached revocation status determinations
    revocation_cache: Vec<Box<dyn RevocationStatusCache + Send + Sync>>,

    /// List of trait objects that cache successful certificate signature verifications
    signature_cache: Vec<Box<dyn SignatureVerificationCache + Send + Sync>>,

    /// List of trait objects that provide access to blocklist and last modified info
    check_remote: Vec<Box<dyn CheckRemoteResource + Send + Sync>>,

    /// Supplies the HTTP client used for artifact retrieval. `None` means the built-in client,
    /// which is what every consumer got before this existed.
    ///
    /// Singular where the sources above are lists, because those are searched and this is used:
    /// every registered certificate source contributes certificates, but exactly one client
    /// carries a request. A list here would accept a second registration and silently ignore it.
    #[cfg(feature = "remote")]
    http_client_source: Option<Box<dyn HttpClientSource + Send + Sync>>,

    //--------------------------------------------------------------------------
    //Miscellaneous interfaces
    //--------------------------------------------------------------------------
    /// List of functions that provide OID lookup capabilities
    oid_lookups: Vec<OidLookup>,
}

impl Default for PkiEnvironment {
    /// PkiEnvironment::default returns a new [`PkiEnvironment`] with empty callback vectors for each
    /// type of callback except `oid_lookups`, which features the [`oid_lookup`] function.
    fn default() -> Self {
        PkiEnvironment {
            calculate_hash_callbacks: vec![],
            verify_signature_digest_callbacks: vec![],
            verify_signature_message_callbacks: vec![],
            verify_signature_digest_ctx_callbacks: vec![],
            verify_signature_message_ctx_callbacks: vec![],
            validate_path_callbacks: vec![],
            trust_anchor_sources: vec![],
            poisoned_ta_skids: BTreeSet::new(),
            certificate_sources: vec![],
            oid_lookups: vec![oid_lookup],
            crl_sources: vec![],
            revocation_cache: vec![],
            signature_cache: vec![],
            check_remote: vec![],
            #[cfg(feature = "remote")]
            http_client_source: None,
        }
    }
}

impl PkiEnvironment {
    /// PkiEnvironment::new returns a new [`PkiEnvironment`] with empty callback vectors for each type of callback
    pub fn new() -> PkiEnvironment {
        PkiEnvironment {
            calculate_hash_callbacks: vec![],
            verify_signature_digest_callbacks: vec![],
            verify_signature_message_callbacks: vec![],
            verify_signature_digest_ctx_callbacks: vec![],
            verify_signature_message_ctx_callbacks: vec![],
            validate_path_callbacks: vec![],
            trust_anchor_sources: vec![],
            poisoned_ta_skids: BTreeSet::new(),
            certificate_sources: vec![],
            oid_lookups: vec![],
            crl_sources: vec![],
            revocation_cache: vec![],
            signature_cache: vec![],
            check_remote: vec![],
            #[cfg(feature = "remote")]
            http_client_source: None,
        }
    }

    /// clear_all_callbacks clears the contents of all function pointer and trait object vectors
    /// associated with an instance of [`PkiEnvironment`].
    pub fn clear_all_callbacks(&mut self) {
        self.clear_crl_sources();
        self.clear_oid_lookups();
        self.clear_revocation_cache();
        self.clear_signature_cache();
        self.clear_certificate_sources();
        self.clear_calculate_hash_callbacks();
        self.clear_trust_anchor_sources();
        self.clear_validate_path_callbacks();
        self.clear_verify_signature_digest_callbacks();
        self.clear_verify_signature_message_callbacks();
        self.clear_verify_signature_digest_ctx_callbacks();
        self.clear_verify_signature_message_ctx_callbacks();
        self.clear_check_remote_callbacks();
    }

    /// add_validate_path_callback adds a [`ValidatePath`] callback to the list used by validate_path.
    pub fn add_validate_path_callback(&mut self, c: ValidatePath) {
        self.validate_path_callbacks.push(c);
    }

    /// clear_validate_path_callbacks clears the list of [`ValidatePath`] callbacks used by validate_path.
    pub fn clear_validate_path_callbacks(&mut self) {
        self.validate_path_callbacks.clear();
    }

    /// validate_path iterates over validate_path_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    ///
    /// The callbacks are alternative ways to establish trust in the target's key, so the first to
    /// succeed settles the matter. Each starts from the results passed in rather than from what an
    /// earlier attempt left in them. When all fail, the last error is returned and `cpr` holds the
    /// last attempt's results.
    pub fn validate_path(
        &self,
        pe: &PkiEnvironment,
        cps: &CertificationPathSettings,
        cp: &CertificationPath,
        cpr: &mut CertificationPathResults,
    ) -> Result<()> {
        let initial = (self.validate_path_callbacks.len() > 1).then(|| cpr.clone());
        let mut err = None;
        for (i, f) in self.validate_path_callbacks.iter().enumerate() {
            if i > 0 {
                if let Some(initial) = &initial {
                    *cpr = initial.clone();
                }
            }
            match f(pe, cps, cp, cpr) {
                Ok(r) => {
                    return Ok(r);
                }
                Err(e) => {
                    err = Some(e);
                }
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
        Err(Error::Unrecognized)
    }

    /// add_calculate_hash_callback adds a [`CalculateHash`] callback to the list used by calculate_hash.
    pub fn add_calculate_hash_callback<C: CalculateHash + Send + Sync + 'static>(&mut self, c: C) {
        self.calculate_hash_callbacks.push(Box::new(c));
    }

    /// clear_calculate_hash_callbacks clears the list of [`CalculateHash`] callbacks used by calculate_hash.
    pub fn clear_calculate_hash_callbacks(&mut self) {
        self.calculate_hash_callbacks.clear();
    }

    /// calculate_hash iterates over calculate_hash_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    pub fn calculate_hash(
        &self,
        pe: &PkiEnvironment,
        hash_alg: &AlgorithmIdentifierOwned,
        buffer_to_hash: &[u8],
    ) -> Result<Vec<u8>> {
        for f in &self.calculate_hash_callbacks {
            match f.calculate_hash(pe, hash_alg, buffer_to_hash) {
                Ok(r) => return Ok(r),
                // Unrecognized is a callback saying it does not implement this
                // algorithm, which is the only reason to ask the next one. Any
                // other error is the authoritative answer this loop is looking
                // for; returning it beats continuing and reporting Unrecognized,
                // which would misdescribe a real failure as an unsupported one.
                Err(Error::Unrecognized) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Unrecognized)
    }

    /// add_verify_signature_digest_callback adds a [`VerifySignatureDigest`] callback to the list used by verify_signature_digest.
    pub fn add_verify_signature_digest_callback<
        C: VerifySignatureDigest + Send + Sync + 'static,
    >(
        &mut self,
        c: C,
    ) {
        self.verify_signature_digest_callbacks.push(Box::new(c));
    }

    /// clear_verify_signature_digest_callbacks clears the list of [`VerifySignatureDigest`] callbacks used by verify_signature_digest.
    pub fn clear_verify_signature_digest_callbacks(&mut self) {
        self.verify_signature_digest_callbacks.clear();
    }

    /// verify_signature_ctx_digest iterates over verify_signature_ctx_digest_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    pub fn verify_signature_digest(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],                    // buffer to verify
        signature: &BitString,                    // signature
        signature_alg: &AlgorithmIdentifierOwned, // signature algorithm
        spki: &SubjectPublicKeyInfoOwned,         // public key
    ) -> Result<()> {
        for f in &self.verify_signature_digest_callbacks {
            match f.verify_signature_digest(pe, hash_to_verify, signature, signature_alg, spki) {
                Ok(()) => return Ok(()),
                // See calculate_hash: only an Unrecognized means "ask the next
                // callback". A SignatureVerificationFailure here is a fact about
                // the signature, not about this callback's capabilities.
                Err(Error::Unrecognized) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Unrecognized)
    }

    /// add_verify_signature_digest_ctx_callback adds a [`VerifySignatureDigestWithContext`] callback to the list used by verify_signature_ctx_digest.
    pub fn add_verify_signature_digest_ctx_callback<
        C: VerifySignatureDigestWithContext + Send + Sync + 'static,
    >(
        &mut self,
        c: C,
    ) {
        self.verify_signature_digest_ctx_callbacks.push(Box::new(c));
    }

    /// clear_verify_signature_digest_ctx_callbacks clears the list of [`VerifySignatureDigestWithContext`] callbacks used by verify_signature_ctx_digest.
    pub fn clear_verify_signature_digest_ctx_callbacks(&mut self) {
        self.verify_signature_digest_ctx_callbacks.clear();
    }

    /// verify_signature_digest iterates over verify_signature_digest_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    pub fn verify_signature_ctx_digest(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],                    // buffer to verify
        signature: &BitString,                    // signature
        signature_alg: &AlgorithmIdentifierOwned, // signature algorithm
        spki: &SubjectPublicKeyInfoOwned,         // public key
        ctx: &Option<Vec<u8>>,                    // context
    ) -> Result<()> {
        for f in &self.verify_signature_digest_ctx_callbacks {
            match f.verify_signature_digest_with_context(
                pe,
                hash_to_verify,
                signature,
                signature_alg,
                spki,
                ctx,
            ) {
                Ok(()) => return Ok(()),
                Err(Error::Unrecognized) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Unrecognized)
    }
    /// add_verify_signature_message_callback adds a [`VerifySignatureMessage`] callback to the list used by verify_signature_message.
    pub fn add_verify_signature_message_callback<
        C: VerifySignatureMessage + Send + Sync + 'static,
    >(
        &mut self,
        c: C,
    ) {
        self.verify_signature_message_callbacks.push(Box::new(c));
    }

    /// clear_verify_signature_message_callbacks clears the list of [`VerifySignatureMessage`] callbacks used by verify_signature_message.
    pub fn clear_verify_signature_message_callbacks(&mut self) {
        self.verify_signature_message_callbacks.clear();
    }

    /// verify_signature_message iterates over verify_signature_message_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    pub fn verify_signature_message(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],                 // buffer to verify
        signature: &BitString,                    // signature
        signature_alg: &AlgorithmIdentifierOwned, // signature algorithm
        spki: &SubjectPublicKeyInfoOwned,         // public key
    ) -> Result<()> {
        // The key commits to the signature and the algorithm as well as the signed bytes and the
        // verifying key: an entry must mean "THIS signature verified", not "some signature over
        // these bytes verified once", or a certificate whose signature is swapped for garbage
        // would hit an entry left by its legitimate twin.
        let cache_key = if self.has_signature_cache() {
            signature_cache_key(message_to_verify, signature, signature_alg, spki)
        } else {
            None
        };
        if let Some((m, k)) = &cache_key {
            if self.is_signature_verified(m, k) {
                return Ok(());
            }
        }
        for f in &self.verify_signature_message_callbacks {
            match f.verify_signature_message(pe, message_to_verify, signature, signature_alg, spki)
            {
                Ok(r) => {
                    if let Some((m, k)) = &cache_key {
                        self.add_verified_signature(m, k);
                    }
                    return Ok(r);
                }
                Err(Error::Unrecognized) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Unrecognized)
    }

    /// add_verify_signature_message_ctx_callback adds a [`VerifySignatureMessageWithContext`] callback to the list used by verify_signature_message_ctx.
    pub fn add_verify_signature_message_ctx_callback<
        C: VerifySignatureMessageWithContext + Send + Sync + 'static,
    >(
        &mut self,
        c: C,
    ) {
        self.verify_signature_message_ctx_callbacks
            .push(Box::new(c));
    }

    /// clear_verify_signature_message_ctx_callbacks clears the list of [`VerifySignatureMessageWithContext`] callbacks used by verify_signature_message_ctx.
    pub fn clear_verify_signature_message_ctx_callbacks(&mut self) {
        self.verify_signature_message_ctx_callbacks.clear();
    }

    /// verify_signature_message_ctx iterates over verify_signature_message_ctx_callbacks until an authoritative answer is found
    /// or all options have been exhausted
    pub fn verify_signature_message_ctx(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],                 // buffer to verify
        signature: &BitString,                    // signature
        signature_alg: &AlgorithmIdentifierOwned, // signature algorithm
        spki: &SubjectPublicKeyInfoOwned,         // public key
        ctx: &Option<Vec<u8>>,                    // context
    ) -> Result<()> {
        for f in &self.verify_signature_message_ctx_callbacks {
            match f.verify_signature_message_with_context(
                pe,
                message_to_verify,
                signature,
                signature_alg,
                spki,
                ctx,
            ) {
                Ok(r) => return Ok(r),
                Err(Error::Unrecognized) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Unrecognized)
    }

    /// add_trust_anchor_source adds a [`TrustAnchorSource`] object to the list used by get_trust_anchor.
    ///
    /// Adding a source re-evaluates subject key identifier collisions across all registered trust
    /// anchor sources (see `poisoned_ta_skids`). A source whose membership changes after it is added
    /// must be removed and re-added for the collision set to be recomputed; the environment does not
    /// observe a source mutating itself in place.
    pub fn add_trust_anchor_source(&mut self, c: Box<dyn TrustAnchorSource + Send + Sync>) {
        self.trust_anchor_sources.push(c);
        self.reindex_poisoned_ta_skids();
    }

    /// clear_trust_anchor_sources clears the list of [`TrustAnchorSource`] objects used by get_trust_anchor.
    pub fn clear_trust_anchor_sources(&mut self) {
        self.trust_anchor_sources.clear();
        self.reindex_poisoned_ta_skids();
    }

    /// Recomputes [`poisoned_ta_skids`] from the current trust anchor sources. A subject key
    /// identifier is poisoned when two trust anchors share it but carry different public keys, since
    /// the SKID can then no longer identify a unique anchor. Same-key duplicates are benign and are
    /// not poisoned. Runs whenever the set of sources changes; anchors are few, so the scan is cheap.
    fn reindex_poisoned_ta_skids(&mut self) {
        let mut first_spki: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut poisoned: BTreeSet<String> = BTreeSet::new();
        for ta in self.get_trust_anchors() {
            let hex_skid = hex_skid_from_ta(ta);
            if hex_skid.is_empty() || poisoned.contains(&hex_skid) {
                continue;
            }
            let spki_der =
                match get_subject_public_key_info_from_trust_anchor(ta.decoded()).to_der() {
                    Ok(d) => d,
                    Err(_e) => continue,
                };
            match first_spki.get(&hex_skid) {
                Some(existing) if *existing != spki_der => {
                    error!("Trust anchor subject key identifier {hex_skid} resolves to more than one public key across registered sources; refusing to anchor on it");
                    first_spki.remove(&hex_skid);
                    poisoned.insert(hex_skid);
                }
                Some(_) => {} // same SKID, same key: benign duplicate
                None => {
                    first_spki.insert(hex_skid, spki_der);
                }
            }
        }
        self.poisoned_ta_skids = poisoned;
    }

    /// Returns true if `hex_skid` is ambiguous across the registered trust anchor sources, i.e., it
    /// maps to more than one public key. Trust-anchor lookups keyed on such a SKID are refused.
    fn ta_skid_poisoned(&self, hex_skid: &str) -> bool {
        self.poisoned_ta_skids.contains(hex_skid)
    }

    /// get_trust_anchor iterates over trust_anchor_sources until an authoritative answer is found
    /// or all options have been exhausted
    pub fn get_trust_anchor(&self, skid: &[u8]) -> Result<&PDVTrustAnchorChoice> {
        if self.ta_skid_poisoned(&buffer_to_hex(skid)) {
            return Err(Error::Unrecognized);
        }
        for f in &self.trust_anchor_sources {
            let r = f.get_trust_anchor_by_skid(skid);
            if let Ok(r) = r {
                return Ok(r);
            }
        }
        Err(Error::Unrecognized)
    }

    /// get_trust_anchors returns the trust anchors from every registered trust anchor source,
    /// merged into a single collection. Sources that yield no anchors are skipped (previously only
    /// the first source that returned successfully was consulted; see issue #79).
    pub fn get_trust_anchors(&self) -> Vec<&PDVTrustAnchorChoice> {
        self.trust_anchor_sources
            .iter()
            .filter_map(|src| src.get_trust_anchors().ok())
            .flatten()
            .collect()
    }

    /// get_trust_anchor_by_hex_skid returns a reference to a trust anchor corresponding to the presented hexadecimal SKID.
    pub fn get_trust_anchor_by_hex_skid(&self, hex_skid: &str) -> Result<&PDVTrustAnchorChoice> {
        if self.ta_skid_poisoned(hex_skid) {
            return Err(Error::Unrecognized);
        }
        for f in &self.trust_anchor_sources {
            let r = f.get_trust_anchor_by_hex_skid(hex_skid);
            if let Ok(r) = r {
                return Ok(r);
            }
        }
        Err(Error::Unrecognized)
    }

    /// get_trust_anchor_for_target takes a target certificate and returns a trust anchor that may
    /// be useful in verifying the certificate.
    pub fn get_trust_anchor_for_target(
        &self,
        target: &PDVCertificate,
    ) -> Result<&PDVTrustAnchorChoice> {
        for f in &self.trust_anchor_sources {
            if let Ok(r) = f.get_trust_anchor_for_target(target) {
                // Refuse a candidate whose SKID is ambiguous across sources rather than anchoring on
                // a guess; the collision may be why this source matched by name in the first place.
                if self.ta_skid_poisoned(&hex_skid_from_ta(r)) {
                    continue;
                }
                return Ok(r);
            }
        }
        Err(Error::Unrecognized)
    }

    /// Retrieves a trust anchor for a given Name
    pub fn get_trust_anchor_by_name(&'_ self, name: &Name) -> Result<&PDVTrustAnchorChoice> {
        for f in &self.trust_anchor_sources {
            if let Ok(r) = f.get_trust_anchor_by_name(name) {
                if self.ta_skid_poisoned(&hex_skid_from_ta(r)) {
                    continue;
                }
                return Ok(r);
            }
        }

        Err(Error::Unrecognized)
    }

    /// Retrieves a set of certificates from certificate sources (i.e. intermediate CAs) matching a certain name
    pub fn get_cert_by_name(&'_ self, name: &Name) -> Vec<&PDVCertificate> {
        self.certificate_sources.iter().fold(vec![], |mut acc, f| {
            if let Ok(mut r) = f.get_certificates_for_name(name) {
                acc.append(&mut r);
            }
            acc
        })
    }

    /// `is_cert_a_trust_anchor` takes a certificate and returns `Ok(())` if it is a trust anchor in
    /// this environment, or an error if it is not.
    pub fn is_cert_a_trust_anchor(&self, target: &PDVCertificate) -> Result<()> {
        // An ambiguous SKID cannot identify a unique anchor, so do not treat a cert bearing one as a
        // trust anchor even if a source matches it.
        if self.ta_skid_poisoned(&hex_skid_from_cert(target)) {
            return Err(Error::NotFound);
        }
        for f in &self.trust_anchor_sources {
            if f.is_cert_a_trust_anchor(target).is_ok() {
                return Ok(());
            }
        }
        Err(Error::NotFound)
    }

    /// `is_trust_anchor` takes a [`PDVTrustAnchorChoice`] and returns `Ok(())` if it is a trust
    /// anchor in this environment, or an error if it is not.
    pub fn is_trust_anchor(&self, target: &PDVTrustAnchorChoice) -> Result<()> {
        if self.ta_skid_poisoned(&hex_skid_from_ta(target)) {
            return Err(Error::NotFound);
        }
        for f in &self.trust_anchor_sources {
            if f.is_trust_anchor(target).is_ok() {
                return Ok(());
            }
        }
        Err(Error::NotFound)
    }

    /// add_certificate_source adds a [`CertificateSource`] object to the list.
    pub fn add_certificate_source(&mut self, c: Box<dyn CertificateSource + Send + Sync>) {
        self.certificate_sources.push(c);
    }

    /// clear_certificate_sources clears the list of [`CertificateSource`] objects.
    pub fn clear_certificate_sources(&mut self) {
        self.certificate_sources.clear();
    }

    /// gives all the intermediate certificates, gathered from every certificate source, as
    /// [`get_cert_by_name`](Self::get_cert_by_name) does. `Err` only when no source answered.
    pub fn get_intermediates(&self) -> Result<Vec<&PDVCertificate>> {
        let mut found: Option<Vec<&PDVCertificate>> = None;
        for f in &self.certificate_sources {
            if let Ok(mut r) = f.get_certificates() {
                found.get_or_insert_with(Vec::new).append(&mut r);
            }
        }
        found.ok_or(Error::Unrecognized)
    }

    /// Fetches all intermediate certs matching a particular skid, gathered from every certificate
    /// source. `Err` only when no source answered.
    pub fn get_intermediates_by_skid(&self, skid: &[u8]) -> Result<Vec<&PDVCertificate>> {
        let mut found: Option<Vec<&PDVCertificate>> = None;
        for f in &self.certificate_sources {
            if let Ok(mut r) = f.get_certificates_for_skid(skid) {
                found.get_or_insert_with(Vec::new).append(&mut r);
            }
        }
        found.ok_or(Error::Unrecognized)
    }

    /// add_crl_source adds a [`CrlSource`] object to the list.
    pub fn add_crl_source(&mut self, c: Box<dyn CrlSource + Send + Sync>) {
        self.crl_sources.push(c);
    }

    /// clear_crl_sources clears the list of [`CrlSource`] objects.
    pub fn clear_crl_sources(&mut self) {
        self.crl_sources.clear();
    }

    /// Retrieves all the CRLs made available by the various [`CrlSource`] objects
    pub fn get_all_crls(&self) -> Result<Vec<Vec<u8>>> {
        let mut retval = vec![];
        for f in &self.crl_sources {
            let Ok(mut crls) = f.get_all_crls() else {
                continue;
            };
            retval.append(&mut crls);
        }
        retval.dedup();
        Ok(retval)
    }

    /// Retrieves CRLs for given certificate from store
    pub fn get_crls(&self, cert: &PDVCertificate) -> Result<Vec<Vec<u8>>> {
        let mut retval = vec![];
        for f in &self.crl_sources {
            if let Ok(crls) = f.get_crls(cert) {
                for crl in crls {
                    retval.push(crl);
                }
            }
        }
        if !retval.is_empty() {
            return Ok(retval);
        }
        Err(Error::NotFound)
    }

    /// Adds a CRL to the store
    pub fn add_crl(&self, crl_buf: &[u8], crl: &CertificateList<Raw>, uri: &str) -> Result<()> {
        let mut at_least_one_success = false;
        for f in &self.crl_sources {
            if f.add_crl(crl_buf, crl, uri).is_ok() {
                at_least_one_success = true;
            }
        }
        if at_least_one_success {
            return Ok(());
        }
        Err(Error::NotFound)
    }

    /// Offers a CRL that the caller has already verified to every [`CrlSource`] so any configured to
    /// retain entries in memory may do so. A no-op for sources that do not support retention. Invoked
    /// from the post-verification CRL processing path (see `keep_verified_crl` on [`CrlSource`]);
    /// `verifier` is the issuer whose key verified the CRL and bounds who the kept entries may answer.
    pub fn keep_verified_crl(
        &self,
        crl_buf: &[u8],
        crl: &CertificateList<Raw>,
        verifier: &dyn SubjectNameAndKey,
        toi: TimeOfInterest,
        retain_expired: bool,
    ) {
        for f in &self.crl_sources {
            let _ = f.keep_verified_crl(crl_buf, crl, verifier, toi, retain_expired);
        }
    }

    /// add_revocation_cache adds a [`RevocationStatusCache`] object to the list.
    pub fn add_revocation_cache(&mut self, c: Box<dyn RevocationStatusCache + Send + Sync>) {
        self.revocation_cache.push(c);
    }

    /// clear_revocation_cache clears the list of [`CertificateSource`] objects.
    pub fn clear_revocation_cache(&mut self) {
        self.revocation_cache.clear();
    }

    /// add_signature_cache adds a [`SignatureVerificationCache`] object to the list. Adding one opts
    /// the environment into caching every signature verification it performs successfully -- graph
    /// building and path validation, and CRL and OCSP response signatures alike, since the cache sits
    /// in [`PkiEnvironment::verify_signature_message`] rather than at any one caller. With none
    /// added, every signature is verified afresh each time it is presented, as usual.
    pub fn add_signature_cache(&mut self, c: Box<dyn SignatureVerificationCache + Send + Sync>) {
        self.signature_cache.push(c);
    }

    /// clear_signature_cache clears the list of [`SignatureVerificationCache`] objects.
    pub fn clear_signature_cache(&mut self) {
        self.signature_cache.clear();
    }

    /// has_signature_cache returns true if at least one [`SignatureVerificationCache`] is configured.
    ///
    /// This reports how the environment was set up, not that caching is doing anything: a configured
    /// cache may have reached its capacity and be dropping new entries, or be an implementation that
    /// never reports a hit.
    /// Callers use this to avoid computing cache keys when caching is not in use.
    pub fn has_signature_cache(&self) -> bool {
        !self.signature_cache.is_empty()
    }

    /// Returns true if any configured [`SignatureVerificationCache`] reports the signed data
    /// identified by `signed_data_hash`, verified by the key identified by `issuer_spki_hash`, as
    /// already verified.
    ///
    /// Private on purpose. Only [`PkiEnvironment::verify_signature_message`] creates cache keys, which
    /// is what lets an entry carry a single unambiguous meaning: were callers able to insert keys of
    /// their own devising, one that committed to less than this one does -- the signed bytes without
    /// the signature, say -- would be indistinguishable from a sound entry on the way back out.
    fn is_signature_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) -> bool {
        self.signature_cache
            .iter()
            .any(|c| c.is_verified(signed_data_hash, issuer_spki_hash))
    }

    /// Records a successful signature verification in each configured
    /// [`SignatureVerificationCache`]. It is a no-op when no cache has been added.
    ///
    /// Private for the reason given on [`PkiEnvironment::is_signature_verified`].
    fn add_verified_signature(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) {
        for c in &self.signature_cache {
            c.add_verified(signed_data_hash, issuer_spki_hash);
        }
    }

    /// Retrieves cached revocation status determination for given certificate from store. `issuer`
    /// is the subject that would verify revocation data for the certificate on the current path;
    /// caches bind their answers to its key (see [`RevocationStatusCache`]).
    pub fn get_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        time_of_interest: TimeOfInterest,
    ) -> PathValidationStatus {
        for f in &self.revocation_cache {
            let status = f.get_status(cert, issuer, time_of_interest);
            if RevocationStatusNotDetermined != status {
                return status;
            }
        }
        RevocationStatusNotDetermined
    }

    /// Adds a cached revocation status determination to the store, keyed to the issuer whose key
    /// verified the revocation data behind it.
    pub fn add_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        next_update: u64,
        status: PathValidationStatus,
    ) {
        for f in &self.revocation_cache {
            f.add_status(cert, issuer, next_update, status);
        }
    }

    /// `get_paths_for_target` takes a target certificate and appends the certification paths built
    /// for it to `paths`. Certificates that are not valid at `time_of_interest` are not used.
    ///
    /// `threshold` selects by position in the certificate pool rather than limiting how many paths
    /// come back. When it is non-zero, a path is returned only if at least one of its intermediate
    /// certificates sits at buffer index `threshold` or above, which lets a caller that has just added
    /// certificates to the pool ask only for the paths those additions make possible. Zero returns every
    /// path. A path straight from a trust anchor to the target has no intermediates and is always
    /// returned.
    pub fn get_paths_for_target(
        &self,
        target: &PDVCertificate,
        paths: &mut Vec<CertificationPath>,
        threshold: usize,
        time_of_interest: TimeOfInterest,
    ) -> Result<()> {
        let mut some_valid = false;
        let mut last_error = Error::Unrecognized;
        for f in &self.certificate_sources {
            match f.get_paths_for_target(self, target, paths, threshold, time_of_interest) {
                Ok(_) => some_valid = true,
                Err(e) => {
                    last_error = e;
                }
            }
        }
        if some_valid {
            Ok(())
        } else {
            Err(last_error)
        }
    }

    /// add_oid_lookup adds a oid_lookup callback to the list used by get_trust_anchors.
    pub fn add_oid_lookup(&mut self, c: OidLookup) {
        self.oid_lookups.push(c);
    }

    /// clear_oid_lookups clears the list of oid_lookup callbacks used by oid_lookup.
    pub fn clear_oid_lookups(&mut self) {
        self.oid_lookups.clear();
    }

    /// oid_lookup takes an [`ObjectIdentifier`] and returns either a friendly name for the OID or the
    /// OID represented in dot notation.
    pub fn oid_lookup(&self, oid: &ObjectIdentifier) -> String {
        for f in &self.oid_lookups {
            let r = f(oid);
            if let Ok(r) = r {
                return r;
            }
        }
        oid.to_string()
    }

    /// add_check_remote adds a [`CheckRemoteResource`] object to the list.
    pub fn add_check_remote(&mut self, c: Box<dyn CheckRemoteResource + Send + Sync>) {
        self.check_remote.push(c);
    }

    /// clear_check_remote_callbacks clears the list of [`CheckRemoteResource`] objects.
    pub fn clear_check_remote_callbacks(&mut self) {
        self.check_remote.clear();
    }

    /// set_http_client_source sets the [`HttpClientSource`] used for artifact retrieval,
    /// replacing the built-in client and any previously set one.
    #[cfg(feature = "remote")]
    pub fn set_http_client_source(&mut self, c: Box<dyn HttpClientSource + Send + Sync>) {
        self.http_client_source = Some(c);
    }

    /// clear_http_client_source drops the [`HttpClientSource`], restoring the built-in client.
    #[cfg(feature = "remote")]
    pub fn clear_http_client_source(&mut self) {
        self.http_client_source = None;
    }

    /// Returns the HTTP client to use for artifact retrieval.
    ///
    /// The set [`HttpClientSource`], or the built-in process-wide client when none is set. A set
    /// source that fails is reported rather than replaced by the built-in one: see
    /// [`HttpClientSource`] for why that distinction is deliberate.
    #[cfg(feature = "remote")]
    pub(crate) fn http_client(&self) -> Result<reqwest::Client> {
        match self.http_client_source.as_ref() {
            Some(source) => source.client(),
            None => crate::builder::uri_utils::shared_http_client()
                .cloned()
                .ok_or(Error::NetworkError),
        }
    }

    /// get_last_modified takes a URI and returns stored last modified value or None.
    pub fn get_last_modified(&self, uri: &str) -> Option<String> {
        for f in &self.check_remote {
            let r = f.get_last_modified(uri);
            if let Some(r) = r {
                return Some(r);
            }
        }
        None
    }
    /// Save last modified value, if desired
    pub fn set_last_modified(&self, uri: &str, last_modified: &str) {
        for f in &self.check_remote {
            f.set_last_modified(uri, last_modified);
        }
    }

    /// `populate_5280_pki_environment` populates a default [`PkiEnvironment`] instance with a default set of callback
    /// functions specified.
    ///
    /// The following callbacks are added:
    /// - [`validate_path_rfc5280`]
    /// - [`calculate_hash_rust_crypto`]
    /// - [`verify_signature_digest_rust_crypto`]
    /// - [`verify_signature_message_rust_crypto`]
    ///
    /// This function assumes that [`oid_lookup`] is either present due to [`PkiEnvironment::default`] creation
    /// or that it has been deliberately removed or replaced by the caller but will add oid_lookup if
    /// OID lookup support is absent.
    pub fn populate_5280_pki_environment(&mut self) {
        self.add_validate_path_callback(validate_path_rfc5280);
        self.add_calculate_hash_callback(calculate_hash_rust_crypto);
        self.add_verify_signature_digest_callback(verify_signature_digest_rust_crypto);
        self.add_verify_signature_message_callback(verify_signature_message_rust_crypto);
        if self.oid_lookups.is_empty() {
            self.add_oid_lookup(oid_lookup);
        }

        #[cfg(feature = "pqc")]
        self.add_verify_signature_message_callback(verify_signature_message_rustcrypto);
        #[cfg(feature = "pqc")]
        self.add_verify_signature_message_ctx_callback(verify_signature_message_ctx_rustcrypto);
        #[cfg(feature = "pqc")]
        self.add_verify_signature_message_callback(verify_signature_message_composite_rustcrypto);
    }
}

/// Computes the hash used to key a [`SignatureVerificationCache`] entry from a certificate DER or an
/// issuer subject-public-key-info DER. SHA-256 uniquely identifies the input for this purpose.
fn signature_cache_key(
    message_to_verify: &[u8],
    signature: &BitString,
    signature_alg: &AlgorithmIdentifierOwned,
    spki: &SubjectPublicKeyInfoOwned,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let alg_der = der::Encode::to_der(signature_alg).ok()?;
    let sig_der = der::Encode::to_der(signature).ok()?;
    let spki_der = der::Encode::to_der(spki).ok()?;
    // The algorithm and signature are DER TLVs, which carry their own lengths, so the message that
    // follows them is whatever remains and no two inputs share an encoding.
    let mut buf = Vec::with_capacity(alg_der.len() + sig_der.len() + message_to_verify.len());
    buf.extend_from_slice(&alg_der);
    buf.extend_from_slice(&sig_der);
    buf.extend_from_slice(message_to_verify);
    Some((signature_cache_hash(&buf), signature_cache_hash(&spki_der)))
}

fn signature_cache_hash(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).to_vec()
}

/// A bounded, thread-safe [`SignatureVerificationCache`] backed by an in-memory set. Recording stops
/// once the cap is reached so a long-lived environment that validates many distinct signatures cannot
/// grow it without bound.
///
/// Available in every build: the lock behind it is `std::sync::RwLock` where `std` exists and a spin
/// lock otherwise, so `no_std` consumers get the same cache rather than having to write one.
///
/// Every successful verification the environment performs is recorded, including one-shot checks --
/// a self-signature test during ingest, an end-entity signature -- that will never be asked for
/// again. Which entries survive the cap is therefore whichever the run happened to reach first, not
/// the ones with the most reuse. For an estate large enough to reach the cap, prefer a cache of your
/// own with an eviction policy that suits it.
pub struct DefaultSignatureVerificationCache {
    verified: crate::util::lock::Lock<alloc::collections::BTreeSet<(Vec<u8>, Vec<u8>)>>,
    cap: usize,
}

impl DefaultSignatureVerificationCache {
    /// Default maximum number of cached verifications.
    pub const DEFAULT_CAP: usize = 8192;

    /// Creates a cache with the default cap ([`DefaultSignatureVerificationCache::DEFAULT_CAP`]).
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAP)
    }

    /// Creates a cache that stops recording new entries once `cap` have accumulated.
    pub fn with_capacity(cap: usize) -> Self {
        DefaultSignatureVerificationCache {
            verified: crate::util::lock::Lock::new(alloc::collections::BTreeSet::new()),
            cap,
        }
    }
}

impl Default for DefaultSignatureVerificationCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SignatureVerificationCache for DefaultSignatureVerificationCache {
    fn is_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) -> bool {
        self.verified
            .with_read(|set| set.contains(&(signed_data_hash.to_vec(), issuer_spki_hash.to_vec())))
    }

    fn add_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) {
        self.verified.with_write(|set| {
            if set.len() < self.cap {
                set.insert((signed_data_hash.to_vec(), issuer_spki_hash.to_vec()));
            }
        })
    }
}

/// Delegating implementation so a caller can retain a shared handle to a cache (for example to
/// inspect it) while also handing it to a [`PkiEnvironment`] via `add_signature_cache`. Needs only
/// `alloc`, so it is available wherever the cache is.
impl<T: SignatureVerificationCache + ?Sized> SignatureVerificationCache for alloc::sync::Arc<T> {
    fn is_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) -> bool {
        (**self).is_verified(signed_data_hash, issuer_spki_hash)
    }

    fn add_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) {
        (**self).add_verified(signed_data_hash, issuer_spki_hash)
    }
}

#[cfg(all(test, feature = "std"))]
mod signature_cache_tests {
    use super::*;

    #[test]
    fn default_signature_cache_records_queries_and_caps() {
        let cache = DefaultSignatureVerificationCache::with_capacity(2);
        assert!(!cache.is_verified(b"cert-a", b"key-1"));

        cache.add_verified(b"cert-a", b"key-1");
        assert!(cache.is_verified(b"cert-a", b"key-1"));
        // The issuer key is part of the key, so the same certificate against a different key is
        // still unknown.
        assert!(!cache.is_verified(b"cert-a", b"key-2"));

        // Fill the cache to its cap; the second entry is recorded.
        cache.add_verified(b"cert-b", b"key-1");
        assert!(cache.is_verified(b"cert-b", b"key-1"));

        // At the cap, further entries are dropped, so they report as not verified.
        cache.add_verified(b"cert-c", b"key-1");
        assert!(!cache.is_verified(b"cert-c", b"key-1"));
    }

    // An entry left by a verified signature answers only for that message, signature and algorithm:
    // neither moving signature bytes onto the end of the message nor changing the signature's unused
    // bits reaches it, so both go to the verifier and fail there.
    #[cfg(feature = "rsa")]
    #[test]
    fn signature_cache_entry_answers_only_for_its_own_signature() {
        use crate::DeferDecodeSigned;
        use der::Decode;
        use x509_cert::Certificate;

        let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
        let signed = DeferDecodeSigned::from_der(der).unwrap();
        let spki = Certificate::from_der(der)
            .unwrap()
            .tbs_certificate()
            .subject_public_key_info()
            .clone();
        let alg = &signed.signature_algorithm;
        let sig = signed.signature.raw_bytes();

        let mut pe = PkiEnvironment::new();
        pe.populate_5280_pki_environment();
        pe.add_signature_cache(Box::new(DefaultSignatureVerificationCache::new()));
        assert!(pe
            .verify_signature_message(&pe, &signed.tbs_field, &signed.signature, alg, &spki)
            .is_ok());

        let mut longer_message = signed.tbs_field.clone();
        longer_message.extend_from_slice(&sig[..8]);
        let shorter_signature = BitString::new(0, &sig[8..]).unwrap();
        assert!(pe
            .verify_signature_message(&pe, &longer_message, &shorter_signature, alg, &spki)
            .is_err());

        let unused_bits = BitString::new(3, sig).unwrap();
        assert!(pe
            .verify_signature_message(&pe, &signed.tbs_field, &unused_bits, alg, &spki)
            .is_err());
    }
}

#[cfg(all(test, feature = "remote"))]
mod http_client_source_tests {
    use super::*;
    use alloc::sync::Arc;
    use core::sync::atomic::{AtomicUsize, Ordering};

    /// Counts how often it is asked, so "the registered source was consulted" is observable
    /// without reaching the network.
    struct Counting(Arc<AtomicUsize>);
    impl HttpClientSource for Counting {
        fn client(&self) -> Result<reqwest::Client> {
            self.0.fetch_add(1, Ordering::SeqCst);
            reqwest::Client::builder()
                .build()
                .map_err(|_| Error::NetworkError)
        }
    }

    struct Failing;
    impl HttpClientSource for Failing {
        fn client(&self) -> Result<reqwest::Client> {
            Err(Error::Unrecognized)
        }
    }

    #[test]
    fn the_builtin_client_is_used_when_nothing_is_set() {
        let pe = PkiEnvironment::default();
        assert!(pe.http_client().is_ok());
    }

    #[test]
    fn a_set_source_is_consulted() {
        let count = Arc::new(AtomicUsize::new(0));
        let mut pe = PkiEnvironment::default();
        pe.set_http_client_source(Box::new(Counting(count.clone())));
        assert!(pe.http_client().is_ok());
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    /// Setting a second replaces the first rather than being ignored, which is the reason this is
    /// a setter and not an `add_` over a list like the sources beside it.
    #[test]
    fn setting_a_second_source_replaces_the_first() {
        let count = Arc::new(AtomicUsize::new(0));
        let mut pe = PkiEnvironment::default();
        pe.set_http_client_source(Box::new(Counting(count.clone())));
        pe.set_http_client_source(Box::new(Failing));
        assert_eq!(pe.http_client().err(), Some(Error::Unrecognized));
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    /// The deliberate part. A caller registers a client to control what the connection trusts, so
    /// falling back to one that trusts the platform's roots would undo exactly that, quietly.
    #[test]
    fn a_failing_source_is_not_rescued_by_the_builtin_client() {
        let mut pe = PkiEnvironment::default();
        pe.set_http_client_source(Box::new(Failing));
        assert_eq!(pe.http_client().err(), Some(Error::Unrecognized));
    }

    #[test]
    fn clearing_the_source_restores_the_builtin_client() {
        let mut pe = PkiEnvironment::default();
        pe.set_http_client_source(Box::new(Failing));
        assert!(pe.http_client().is_err());
        pe.clear_http_client_source();
        assert!(pe.http_client().is_ok());
    }
}

#[cfg(test)]
mod validate_path_tests {
    use super::*;
    use const_oid::db::rfc5912::ID_CE_NAME_CONSTRAINTS;

    fn marks_name_constraints_then_fails(
        _pe: &PkiEnvironment,
        _cps: &CertificationPathSettings,
        _cp: &CertificationPath,
        cpr: &mut CertificationPathResults,
    ) -> Result<()> {
        cpr.add_processed_extension(ID_CE_NAME_CONSTRAINTS);
        cpr.set_validation_status(PathValidationStatus::NameConstraintsViolation);
        Err(Error::PathValidation(
            PathValidationStatus::NameConstraintsViolation,
        ))
    }

    fn succeeds_only_from_clean_results(
        _pe: &PkiEnvironment,
        _cps: &CertificationPathSettings,
        _cp: &CertificationPath,
        cpr: &mut CertificationPathResults,
    ) -> Result<()> {
        if cpr.get_processed_extensions().is_empty()
            && cpr.get_validation_status() == Some(PathValidationStatus::NotYetValidated)
        {
            Ok(())
        } else {
            Err(Error::Unrecognized)
        }
    }

    // A validator that fails leaves nothing behind for the next: what it marked processed and the
    // status it set are gone when the next validator starts, so neither can stand in for work the
    // next one did not do.
    #[test]
    fn each_validator_starts_from_the_results_passed_in() {
        let ta = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
        let ee = include_bytes!("../../tests/examples/ValidCertificatePathTest1EE.crt");
        let cp = CertificationPath::new(
            PDVTrustAnchorChoice::try_from(ta.as_slice()).unwrap(),
            vec![],
            PDVCertificate::try_from(ee.as_slice()).unwrap(),
        );

        let mut pe = PkiEnvironment::new();
        pe.add_validate_path_callback(marks_name_constraints_then_fails);
        pe.add_validate_path_callback(succeeds_only_from_clean_results);
        let cps = CertificationPathSettings::new();
        let mut cpr = CertificationPathResults::new();
        assert!(pe.validate_path(&pe, &cps, &cp, &mut cpr).is_ok());
        assert!(cpr.get_processed_extensions().is_empty());
    }
}
