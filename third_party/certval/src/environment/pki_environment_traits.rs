//! The pki_environment_traits module features trait definitions and type definitions that are used
//! by [`PkiEnvironment`] to provide functionality that supports building and/or validating X.509
//! certification paths.

use alloc::{string::String, sync::Arc, vec::Vec};

use der::asn1::{BitString, ObjectIdentifier};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::{certificate::Raw, crl::CertificateList, name::Name};

use crate::util::error::*;
use crate::{
    CertFile, CertificationPath, CertificationPathResults, CertificationPathSettings,
    PDVCertificate, PDVTrustAnchorChoice, PkiEnvironment, SubjectNameAndKey, TimeOfInterest,
};

/// `ValidatePath` provides a function signature for implementations that perform certification path
/// validation or that provide functionality in support of certification path validation.
pub type ValidatePath = fn(
    &PkiEnvironment,
    &CertificationPathSettings,    // path settings to govern validation
    &CertificationPath,            // path to verify
    &mut CertificationPathResults, // path validation results
) -> Result<()>;

/// `CalculateHash` provides an interface for implementations that perform hashing.
///
/// A blanket implementation covers every function with a matching signature, so a bare function
/// (like `calculate_hash_rust_crypto`) can still be handed to
/// [`PkiEnvironment::add_calculate_hash_callback`] directly. Implement the trait on a type when the
/// implementation needs to carry state that a function pointer cannot, e.g. a handle to a hardware
/// module.
pub trait CalculateHash {
    /// calculate_hash returns the hash of `buffer_to_hash` using the algorithm named by `hash_alg`.
    fn calculate_hash(
        &self,
        pe: &PkiEnvironment,
        hash_alg: &AlgorithmIdentifierOwned,
        buffer_to_hash: &[u8],
    ) -> Result<Vec<u8>>;
}

impl<F> CalculateHash for F
where
    F: Fn(&PkiEnvironment, &AlgorithmIdentifierOwned, &[u8]) -> Result<Vec<u8>>,
{
    fn calculate_hash(
        &self,
        pe: &PkiEnvironment,
        hash_alg: &AlgorithmIdentifierOwned,
        buffer_to_hash: &[u8],
    ) -> Result<Vec<u8>> {
        self(pe, hash_alg, buffer_to_hash)
    }
}

impl<T: CalculateHash + ?Sized> CalculateHash for Arc<T> {
    fn calculate_hash(
        &self,
        pe: &PkiEnvironment,
        hash_alg: &AlgorithmIdentifierOwned,
        buffer_to_hash: &[u8],
    ) -> Result<Vec<u8>> {
        (**self).calculate_hash(pe, hash_alg, buffer_to_hash)
    }
}

/// `VerifySignatureDigest` provides an interface for implementations that perform signature
/// verification over a message digest.
///
/// A blanket implementation covers every function with a matching signature, so a bare function
/// (like `verify_signature_digest_rust_crypto`) can still be handed to
/// [`PkiEnvironment::add_verify_signature_digest_callback`] directly. Implement the trait on a type
/// when the implementation needs to carry state that a function pointer cannot, e.g. a handle to a
/// hardware module along with a cache of the key objects it has already imported.
pub trait VerifySignatureDigest {
    /// verify_signature_digest verifies `signature` over `hash_to_verify` using the algorithm named
    /// by `signature_alg` and the public key conveyed in `spki`.
    fn verify_signature_digest(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()>;
}

impl<F> VerifySignatureDigest for F
where
    F: Fn(
        &PkiEnvironment,
        &[u8],
        &BitString,
        &AlgorithmIdentifierOwned,
        &SubjectPublicKeyInfoOwned,
    ) -> Result<()>,
{
    fn verify_signature_digest(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()> {
        self(pe, hash_to_verify, signature, signature_alg, spki)
    }
}

impl<T: VerifySignatureDigest + ?Sized> VerifySignatureDigest for Arc<T> {
    fn verify_signature_digest(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()> {
        (**self).verify_signature_digest(pe, hash_to_verify, signature, signature_alg, spki)
    }
}

/// `VerifySignatureDigestWithContext` provides an interface for implementations that perform
/// signature verification over a message digest with an optional context provided.
///
/// See [`VerifySignatureDigest`] for the blanket implementation that keeps bare functions
/// registrable.
pub trait VerifySignatureDigestWithContext {
    /// verify_signature_digest_with_context verifies `signature` over `hash_to_verify` using the
    /// algorithm named by `signature_alg`, the public key conveyed in `spki` and the context in
    /// `ctx`.
    fn verify_signature_digest_with_context(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()>;
}

impl<F> VerifySignatureDigestWithContext for F
where
    F: Fn(
        &PkiEnvironment,
        &[u8],
        &BitString,
        &AlgorithmIdentifierOwned,
        &SubjectPublicKeyInfoOwned,
        &Option<Vec<u8>>,
    ) -> Result<()>,
{
    fn verify_signature_digest_with_context(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()> {
        self(pe, hash_to_verify, signature, signature_alg, spki, ctx)
    }
}

impl<T: VerifySignatureDigestWithContext + ?Sized> VerifySignatureDigestWithContext for Arc<T> {
    fn verify_signature_digest_with_context(
        &self,
        pe: &PkiEnvironment,
        hash_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()> {
        (**self).verify_signature_digest_with_context(
            pe,
            hash_to_verify,
            signature,
            signature_alg,
            spki,
            ctx,
        )
    }
}

/// `VerifySignatureMessage` provides an interface for implementations that perform signature
/// verification over a message, i.e., where the implementation hashes the message itself.
///
/// See [`VerifySignatureDigest`] for the blanket implementation that keeps bare functions
/// registrable.
pub trait VerifySignatureMessage {
    /// verify_signature_message verifies `signature` over `message_to_verify` using the algorithm
    /// named by `signature_alg` and the public key conveyed in `spki`.
    fn verify_signature_message(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()>;
}

impl<F> VerifySignatureMessage for F
where
    F: Fn(
        &PkiEnvironment,
        &[u8],
        &BitString,
        &AlgorithmIdentifierOwned,
        &SubjectPublicKeyInfoOwned,
    ) -> Result<()>,
{
    fn verify_signature_message(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()> {
        self(pe, message_to_verify, signature, signature_alg, spki)
    }
}

impl<T: VerifySignatureMessage + ?Sized> VerifySignatureMessage for Arc<T> {
    fn verify_signature_message(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> Result<()> {
        (**self).verify_signature_message(pe, message_to_verify, signature, signature_alg, spki)
    }
}

/// `VerifySignatureMessageWithContext` provides an interface for implementations that perform
/// signature verification over a message with an optional context provided.
///
/// See [`VerifySignatureDigest`] for the blanket implementation that keeps bare functions
/// registrable.
pub trait VerifySignatureMessageWithContext {
    /// verify_signature_message_with_context verifies `signature` over `message_to_verify` using
    /// the algorithm named by `signature_alg`, the public key conveyed in `spki` and the context in
    /// `ctx`.
    fn verify_signature_message_with_context(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()>;
}

impl<F> VerifySignatureMessageWithContext for F
where
    F: Fn(
        &PkiEnvironment,
        &[u8],
        &BitString,
        &AlgorithmIdentifierOwned,
        &SubjectPublicKeyInfoOwned,
        &Option<Vec<u8>>,
    ) -> Result<()>,
{
    fn verify_signature_message_with_context(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()> {
        self(pe, message_to_verify, signature, signature_alg, spki, ctx)
    }
}

impl<T: VerifySignatureMessageWithContext + ?Sized> VerifySignatureMessageWithContext for Arc<T> {
    fn verify_signature_message_with_context(
        &self,
        pe: &PkiEnvironment,
        message_to_verify: &[u8],
        signature: &BitString,
        signature_alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        ctx: &Option<Vec<u8>>,
    ) -> Result<()> {
        (**self).verify_signature_message_with_context(
            pe,
            message_to_verify,
            signature,
            signature_alg,
            spki,
            ctx,
        )
    }
}

/// `GetTrustAnchors` provides a function signature for implementations that return a list of trust anchors
pub type GetTrustAnchors = fn(&PkiEnvironment, &mut Vec<Vec<u8>>) -> Result<()>;

/// `OidLookup` implementations take an OID and returns either a friendly name for the OID or a
/// NotFound error. Where NotFound is returned by all OidLookup implementations, the
/// [`PkiEnvironment`] returns a dot notation version of the OID.
pub type OidLookup = fn(&ObjectIdentifier) -> Result<String>;

/// The [`TrustAnchorSource`] trait enables trait objects to provide access to trust anchors backed via
/// some means, i.e., hard-coded, file-based, system store accessed via FFI, etc.
pub trait TrustAnchorSource {
    /// get_trust_anchors returns a vector with references to available trust anchors.
    fn get_trust_anchors(&self) -> Result<Vec<&PDVTrustAnchorChoice>>;

    /// get_trust_anchor_by_skid returns a reference to a trust anchor corresponding to the presented SKID.
    fn get_trust_anchor_by_skid(&self, skid: &[u8]) -> Result<&PDVTrustAnchorChoice>;

    /// get_trust_anchor_by_hex_skid returns a reference to a trust anchor corresponding to the presented hexadecimal SKID.
    fn get_trust_anchor_by_hex_skid(&self, hex_skid: &str) -> Result<&PDVTrustAnchorChoice>;

    /// get_trust_anchor_by_name returns a reference to a trust anchor corresponding to the presented name.
    fn get_trust_anchor_by_name(&self, target: &Name) -> Result<&PDVTrustAnchorChoice>;

    /// get_trust_anchor_for_target returns a reference to a trust anchor corresponding to AKID or name from presented target.
    fn get_trust_anchor_for_target(&self, target: &PDVCertificate)
        -> Result<&PDVTrustAnchorChoice>;

    /// get_encoded_trust_anchor returns a copy of the encoded buffer for the trust anchor corresponding
    /// to the given SKID.
    fn get_encoded_trust_anchor(&self, skid: &[u8]) -> Result<Vec<u8>>;

    /// get_encoded_trust_anchors returns a vector containing copies of the available encoded trust anchors.
    fn get_encoded_trust_anchors(&self) -> Result<Vec<Vec<u8>>>;

    /// is_trust_anchor returns true if presented ta object is a trust anchor
    fn is_trust_anchor(&self, ta: &PDVTrustAnchorChoice) -> Result<()>;

    /// is_cert_a_trust_anchor returns Ok(()) if the presented certificate is a trust anchor
    fn is_cert_a_trust_anchor(&self, ta: &PDVCertificate) -> Result<()>;
}

/// Vector-like methods for TA store or certificate store
pub trait CertVector {
    /// Returns true if cert is already present and false otherwise
    fn contains(&self, cert: &CertFile) -> bool;
    /// Adds cert to collection
    fn push(&mut self, cert: CertFile);
    /// Returns number of certs in collection
    fn len(&self) -> usize;
    /// Returns true if len is 0
    fn is_empty(&self) -> bool;
}

/// The [`CertificateSource`] trait enables trait objects to provide access to certificates backed via
/// some means, i.e., hard-coded, file-based, system store accessed via FFI, etc.
pub trait CertificateSource {
    /// get_certificates returns a vector with references to available certificates.
    fn get_certificates(&self) -> Result<Vec<&PDVCertificate>>;

    /// get_certificates_for_skid returns a vector of references to certificates corresponding to the presented SKID.
    fn get_certificates_for_skid(&self, skid: &[u8]) -> Result<Vec<&PDVCertificate>>;

    /// get_certificates_for_name returns a vector of references to certificates corresponding to the presented subject name.
    fn get_certificates_for_name(&self, name: &Name) -> Result<Vec<&PDVCertificate>>;

    /// get_encoded_certificates_for_skid returns a vector of buffers corresponding to the presented SKID.
    fn get_encoded_certificates_for_skid(&self, skid: &[u8]) -> Result<Vec<Vec<u8>>>;

    /// get_encoded_certificates_for_name returns a vector of buffers corresponding to the presented subject name.
    fn get_encoded_certificates_for_name(&self, name: &Name) -> Result<Vec<Vec<u8>>>;

    /// get_encoded_certificates returns a vector containing copies of the available encoded certificates.
    fn get_encoded_certificates(&self) -> Result<Vec<Vec<u8>>>;

    /// `get_paths_for_target` takes a target certificate and appends the certification paths built
    /// for it to `paths`. Certificates that are not valid at `time_of_interest` are not used.
    ///
    /// `threshold` selects by position in the certificate pool rather than limiting how many paths
    /// come back. When it is non-zero, a path is returned only if at least one of its intermediate
    /// certificates sits at buffer index `threshold` or above, which lets a caller that has just added
    /// certificates to the pool ask only for the paths those additions make possible. Zero returns every
    /// path. A path straight from a trust anchor to the target has no intermediates and is always
    /// returned.
    fn get_paths_for_target(
        &self,
        pe: &PkiEnvironment,
        target: &PDVCertificate,
        paths: &mut Vec<CertificationPath>,
        threshold: usize,
        time_of_interest: TimeOfInterest,
    ) -> Result<()>;
}

/// The `CertificationPathBuilderFormats` enum is used to support possible future support for alternative
/// formats when serializing partial certification paths. At present, only CBOR is supported.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum CertificationPathBuilderFormats {
    /// Serialize using CBOR format
    Cbor,
}

/// The [`CrlSource`] trait defines the interface for storing and retrieving CRLs in support of certification path validation.
pub trait CrlSource {
    /// Lists all CRLs available
    fn get_all_crls(&self) -> Result<Vec<Vec<u8>>>;
    /// Retrieves CRLs for given certificate from store
    fn get_crls(&self, cert: &PDVCertificate) -> Result<Vec<Vec<u8>>>;
    /// Adds a CRL to the store
    fn add_crl(&self, crl_buf: &[u8], crl: &CertificateList<Raw>, uri: &str) -> Result<()>;

    /// Offered a CRL that the caller has already verified so a store may retain its revoked serial
    /// numbers in memory for fast subsequent revocation status determinations. The default
    /// implementation is a no-op; only stores that support in-memory retention override it. The
    /// caller MUST have verified the CRL signature against `verifier`'s key (the store cannot, and
    /// when loaded cold has no issuer to verify against), so this is invoked only from the
    /// post-verification path. Retained entries must be bound to `verifier`'s SPKI so that issuers
    /// sharing a subject name (e.g. across a key rollover) can never answer for one another's
    /// certificates.
    fn keep_verified_crl(
        &self,
        _crl_buf: &[u8],
        _crl: &CertificateList<Raw>,
        _verifier: &dyn SubjectNameAndKey,
        _toi: TimeOfInterest,
        _retain_expired: bool,
    ) -> Result<()> {
        Ok(())
    }
}

/// The [`CheckRemoteResource`] trait defines an interface for checking last modified and blocklist values when downloading remote item
pub trait CheckRemoteResource {
    /// Gets last modified map or empty map
    fn get_last_modified(&self, uri: &str) -> Option<String>;

    /// Save last modified map, if desired
    fn set_last_modified(&self, uri: &str, last_modified: &str);
}

/// The [`HttpClientSource`] trait lets a consumer supply the HTTP client used for every outbound
/// artifact retrieval: AIA/SIA certificate fetching, OCSP requests and CRL downloads.
///
/// Without one, certval builds a bare process-wide client and uses that, which is what it has
/// always done. Registering a source is how a consumer sets a proxy, presents a client
/// certificate, pins or replaces the TLS roots, or applies connection settings of its own — none
/// of which was reachable before. `certval_stores_core::get_reqwest_client` builds exactly such a
/// client, trusting a provider's roots and nothing else.
///
/// # A registered source that fails is not rescued by the default
///
/// certval falls back to its built-in client only when *nothing* has been set. If a source that
/// has been set returns an error, the retrieval fails. The usual reason to
/// register one is to control which roots the connection trusts, and quietly substituting a client
/// that trusts the platform's roots instead would undo exactly that — a silent downgrade rather
/// than a visible failure.
///
/// # One error an implementation must not return
///
/// The error an instance returns is propagated to the caller unchanged, on the view that the
/// instance knows why it failed better than certval does. [`Error::ResourceUnchanged`] is the
/// exception: it means *the server answered 304*, and CRL retrieval treats it as "nothing new to
/// process" rather than as a failure. An instance returning it would make a fetch that never
/// happened look like a successful no-op -- which is the confusion this interface's own call site
/// was fixed to stop. Prefer [`Error::NetworkError`], or whichever variant names the real cause.
///
/// # certval applies its own timeout to every request
///
/// Each retrieval sets a per-request bound, and `reqwest` lets a per-request timeout win over the
/// client's own, so a client built with `ClientBuilder::timeout` has that setting overridden on
/// every request certval makes. The bound is not fixed, though: it comes from
/// [`CertificationPathSettings`] -- [`PS_CRL_TIMEOUT`](crate::PS_CRL_TIMEOUT),
/// [`PS_OCSP_TIMEOUT`](crate::PS_OCSP_TIMEOUT) or [`PS_AIA_TIMEOUT`](crate::PS_AIA_TIMEOUT)
/// according to what is being fetched -- so a consumer moves it there rather than on the client.
/// Between those, the size caps beside them and the client itself, every dimension of a retrieval
/// is the consumer's to set.
///
/// A [`reqwest::Client`] is reference-counted internally, so returning one by value is cheap and an
/// implementation is expected to build it once and hand out clones. Building a fresh client per
/// call would discard the connection pool, which is the cost the shared client exists to avoid.
#[cfg(feature = "remote")]
pub trait HttpClientSource {
    /// Returns the client to use for outbound artifact retrieval.
    fn client(&self) -> Result<reqwest::Client>;
}

/// The [`RevocationStatusCache`] trait defines the interface for storing and retrieving cached revocation status determinations
/// in support of certification path validation.
pub trait RevocationStatusCache {
    /// Returns Valid if status is known to be good at time of interest, CertificateRevoked if
    /// certificate is known to be revoked and RevocationStatusNotDetermined otherwise. `issuer` is
    /// the subject that would verify revocation data for `cert` (its issuing CA or trust anchor);
    /// implementations must bind answers to the issuer's key, not just its name, so that issuers
    /// sharing a subject name (e.g. across a key rollover) can never answer for one another's
    /// certificates.
    fn get_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        time_of_interest: TimeOfInterest,
    ) -> PathValidationStatus;

    /// Sets status for certificate to one of Valid or Revoked and a next update value. `issuer` is
    /// the subject whose key verified the revocation data behind the determination and must key the
    /// cached entry alongside the certificate identity (see `get_status`).
    fn add_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        next_update: u64,
        status: PathValidationStatus,
    );
}
// TODO add allowlist and blocklist as RevocationStatusCache implementations

/// The [`SignatureVerificationCache`] trait defines an interface for caching successful certificate
/// signature verifications so a signature verified once (for example while building the partial-path
/// graph) need not be re-verified on every subsequent path validation. Entries are keyed by a hash
/// of the certificate and a hash of the issuer's subject public key, which together fully determine
/// the verification, so a positive result is always sound to trust. An absent entry means the
/// signature is verified as usual, so correctness never depends on the cache being present or
/// populated.
pub trait SignatureVerificationCache {
    /// Returns true if the signed data identified by `signed_data_hash`, verified by the key
    /// identified by `issuer_spki_hash`, has already been verified successfully.
    ///
    /// Both arguments are opaque digests minted by [`PkiEnvironment`]; an implementation stores and
    /// compares them and must not attempt to interpret either as a certificate or derive one of its
    /// own. The signed data is whatever was verified -- a TBSCertificate, a TBSCertList, an OCSP
    /// tbsResponseData -- and the digest commits to the signature and signature algorithm alongside
    /// it, so an entry means "this exact signature verified under this exact key".
    fn is_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]) -> bool;

    /// Records a successful signature verification. See [`SignatureVerificationCache::is_verified`]
    /// for what the two digests mean.
    fn add_verified(&self, signed_data_hash: &[u8], issuer_spki_hash: &[u8]);
}
