//! Structures and functions related to configuring certification path processing operations

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::{vec, vec::Vec};
use core::str::FromStr;
use core::time::Duration;

use flagset::FlagSet;
use serde::{Deserialize, Serialize};

use const_oid::db::rfc5280::ANY_POLICY;
use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::KeyUsages;

use pkiprocmacros::*;

use crate::alloc::string::ToString;
use crate::pdv_certificate::*;
use crate::{
    name_constraints_set_to_name_constraints_settings,
    name_constraints_settings_to_name_constraints_set, NameConstraintsSet, NameConstraintsSettings,
    Result, TimeOfInterest,
};

#[cfg(feature = "std")]
use std::path::Path;
#[cfg(all(test, feature = "std"))]
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "std")]
use serde_json::Result as SerdeResult;

#[cfg(feature = "std")]
use crate::builder::file_utils::get_file_as_byte_vec;
#[cfg(feature = "std")]
use crate::Error;

//-----------------------------------------------------------------------------------------------
// Type definitions used in the definition of path settings
//-----------------------------------------------------------------------------------------------
/// `ObjectIdentifierSet` is a typedef for a vector of ObjectIdentifier values.
/// #[Derive(Serialize, Deserialize)]
pub type ObjectIdentifierSet = BTreeSet<ObjectIdentifier>;

/// `Strings` is a typedef for a vector of String values.
pub type Strings = Vec<String>;

/// `Buffers` is a typedef for a vector of `Vec<u8>` values.
pub type Buffers = Vec<Vec<u8>>;

/// `ListOfBuffers` is a typedef for a vector of vectors of `Vec<u8>` values.
pub type ListOfBuffers = Vec<Vec<Vec<u8>>>;

/// `CrlInfoLists` holds per-position lists of [`CrlInfo`](crate::revocation::crl::CrlInfo) metadata
/// records used to note which CRLs were consulted, without retaining the (potentially very large)
/// CRL bodies.
#[cfg(feature = "revocation")]
pub type CrlInfoLists = Vec<Vec<crate::revocation::crl::CrlInfo>>;

/// `Bools` is a typedef for a vector bool values.
pub type Bools = Vec<bool>;

/// `RevocationSources` holds, per position, which source settled that certificate's revocation
/// status. See [`RevocationSource`](crate::validator::path_results::RevocationSource).
pub type RevocationSources = Vec<crate::validator::path_results::RevocationSource>;

/// `CertificationPathSettings` is a typedef for a `BTreeMap` that maps arbitrary string values to a
/// variant map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificationPathSettings(pub BTreeMap<String, CertificationPathProcessingTypes>);

impl CertificationPathSettings {
    /// Creates a new empty [`CertificationPathSettings`]
    pub fn new() -> Self {
        Self::default()
    }
}

/// `CertificateChain` is a typedef for a vector of `PDVCertificate`.
pub type CertificateChain = Vec<PDVCertificate>;

//-----------------------------------------------------------------------------------------------
// A few enum and struct definitions used in the definition of path settings
//-----------------------------------------------------------------------------------------------
/// `OcspNonceSetting` controls how OCSP responses are processed with respect to nonce values.
#[derive(Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OcspNonceSetting {
    /// DoNotSendNonce indicates that the OCSP client should not include nonce values in OCSP requests
    DoNotSendNonce,
    /// SendNonceRequireMatch indicates that the OCSP client should include nonce values in OCSP requests
    /// and should fail when responses do not feature the value.
    SendNonceRequireMatch,
    /// SendNonceTolerateMismatchAbsence indicates that the OCSP client should include nonce values in OCSP
    /// requests and should not fail when responses do not feature the value.
    SendNonceTolerateMismatchAbsence,
}

/// The `ValidPolicyTreeNode` is used to represent nodes returned via a [`PR_FINAL_VALID_POLICY_GRAPH`](crate::PR_FINAL_VALID_POLICY_GRAPH) entry in a
/// [`CertificationPathResults`](crate::CertificationPathResults) instance. Each node in the valid_policy_tree includes three data
//  objects: the valid policy, a set of associated policy qualifiers, and a set of one or more expected
//  policy values. Each node relative to a depth x.
#[derive(Clone, Debug)]
pub struct ValidPolicyTreeNode {
    /// The valid_policy is a single policy OID representing a valid policy for the path of length x.
    pub valid_policy: ObjectIdentifier,
    /// The qualifier_set is a set of policy qualifiers associated with the valid policy in certificate x.
    pub qualifier_set: Option<Vec<u8>>,
    /// The expected_policy_set contains one or more policy OIDs that would satisfy this policy in the certificate x+1.
    pub expected_policy_set: ObjectIdentifierSet,
}

/// Define a type to serve as the final value of the valid_policy_tree returned from [`check_certificate_policies_graph`](crate::validator::policy_graph::check_certificate_policies_graph)
/// (or similar implementation).
pub type FinalValidPolicyTree = Vec<Vec<ValidPolicyTreeNode>>;

/// KeyUsageSettings provides a flagset that can be used to serialize key usage settings
pub type KeyUsageSettings = FlagSet<KeyUsages>;

/// Serde for the `KeyUsageValue` variant. `FlagSet<KeyUsages>` (de)serializes as its raw `u16` bits
/// — the same wire form flagset's own serde impl produces — but without enabling `flagset/serde`,
/// whose dependency declaration pulls `serde` with its default (std) features and would break the
/// no_std build.
mod keyusage_serde {
    use super::KeyUsageSettings;
    use serde::{Deserialize, Serialize};

    pub(super) fn serialize<S: serde::Serializer>(
        v: &KeyUsageSettings,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.bits().serialize(s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<KeyUsageSettings, D::Error> {
        Ok(KeyUsageSettings::new_truncated(u16::deserialize(d)?))
    }
}

//-----------------------------------------------------------------------------------------------
// Enum used to define all path settings and results
//-----------------------------------------------------------------------------------------------
/// `CertificationPathProcessingTypes` is used to define a variant map with types associated with
/// performing certification path discovery and validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CertificationPathProcessingTypes {
    /// Represents bool values
    Bool(bool),
    /// Represents u8 values
    U8(u8),
    /// Represents u16 values
    U16(u16),
    /// Represents u64 values
    U64(u64),
    /// Represents NameConstraintsSet values
    NameConstraintsSettings(NameConstraintsSettings),
    /// Represents String values
    String(String),
    /// Represents vectors of u8 values
    Buffer(Vec<u8>),
    /// Represents vectors of Strings
    Strings(Strings),
    /// Represents vectors of bools
    Bools(Vec<bool>),
    /// Represents vectors of buffers
    Buffers(Vec<Vec<u8>>),
    /// Represents vectors of vectors of buffers
    ListOfBuffers(Vec<Vec<Vec<u8>>>),
    /// Represents KeyUsageValues values
    KeyUsageValue(#[serde(with = "keyusage_serde")] KeyUsageSettings),
    /// Represents instruction for nonce handling in OCSP client
    OcspNonceSetting(OcspNonceSetting),
    /// Represents duration or a timeout
    Duration(Duration),
    /// Represents the time when the certificate path should be checked
    TimeOfInterest(TimeOfInterest),
}

//-----------------------------------------------------------------------------------------------
// Types of path settings
//-----------------------------------------------------------------------------------------------
/// `PS_INITIAL_EXPLICIT_POLICY_INDICATOR` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. This corresponds to the initial-explicit-policy value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>. By default,
// /// this setting is set to false.
pub static PS_INITIAL_EXPLICIT_POLICY_INDICATOR: &str = "psInitialExplicitPolicyIndicator";

/// `PS_INITIAL_POLICY_MAPPING_INHIBIT_INDICATOR` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. This corresponds to the initial-policy-mapping-inhibit value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>. By default,
// /// this setting is set to false.
pub static PS_INITIAL_POLICY_MAPPING_INHIBIT_INDICATOR: &str =
    "psInitialPolicyMappingInhibitIndicator";

/// `PS_INITIAL_INHIBIT_ANY_POLICY_INDICATOR` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. This corresponds to the initial-any-policy-inhibit value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>. By default,
/// this setting is set to false.
pub static PS_INITIAL_INHIBIT_ANY_POLICY_INDICATOR: &str = "psInitialInhibitAnyPolicyIndicator";

/// `PS_INITIAL_POLICY_SET` is used to retrieve a list of policy OIDs, as dotted-decimal strings, from a
/// [`CertificationPathSettings`] object; a settings file writes it as `{"Strings": ["2.16.840.1.101.3.2.1.48.1"]}`. This corresponds to the user-initial-policy-set value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>. By default,
/// a set containing ANY_POLICY is used.
pub static PS_INITIAL_POLICY_SET: &str = "psInitialPolicySet";

/// `PS_INITIAL_PERMITTED_SUBTREES` is used to retrieve a NameConstraints value from a [`CertificationPathSettings`]
/// object. This corresponds to the initial-permitted-subtrees value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>.
pub static PS_INITIAL_PERMITTED_SUBTREES: &str = "psInitialPermittedSubtrees";

/// `PS_INITIAL_EXCLUDED_SUBTREES` is used to retrieve a NameConstraints value from a [`CertificationPathSettings`]
/// object. This corresponds to the initial-excluded-subtrees value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>.
pub static PS_INITIAL_EXCLUDED_SUBTREES: &str = "psInitialExcludedSubtrees";

/// `PS_TIME_OF_INTEREST` is used to retrieve a Time value from a [`CertificationPathSettings`]
/// object. This corresponds to the current date/time value described in
/// [RFC 5280 Section 6.1.1]: <https://datatracker.ietf.org/doc/html/rfc5280#section-6.1.1>. The value
/// need not be current data/time and can be a time in the past to support retrospective validation.
/// The value is expressed as a u64 containing seconds since Unix epoch (i.e., 1970-01-01T00:00:00Z).
/// By default, the value is set to current time if std is available, else the value defaults to 0.
pub static PS_TIME_OF_INTEREST: &str = "psTimeOfInterest";

/// `PS_ENFORCE_TRUST_ANCHOR_CONSTRAINTS` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. This corresponds to the enforceTrustAnchorConstraints value described in
/// [RFC 5937 Section 3.1]: <https://datatracker.ietf.org/doc/html/rfc5937#section-3.1>. By default,
/// this value is set to false, i.e., trust anchor constraints are not enforced delta possible
/// EKU enforcement per the PS_EXTENDED_KEY_USAGE_PATH setting.
pub static PS_ENFORCE_TRUST_ANCHOR_CONSTRAINTS: &str = "psEnforceTrustAnchorConstraints";

/// `PS_ENFORCE_TRUST_ANCHOR_VALIDITY` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. By default, this setting is set to true (per industry convention, RFC5280 does not
/// require checking trust anchor (TA) validity. Turn this value off to refrain from checking TA validity.
pub static PS_ENFORCE_TRUST_ANCHOR_VALIDITY: &str = "psEnforceTrustAnchorValidity";

/// `PS_MIN_RSA_MODULUS_BITS` is used to retrieve the shortest RSA modulus, in bits, that a key
/// verifying a signature in a certification path may have, i.e., the key of the trust anchor or of an
/// intermediate CA certificate. By default, this value is 2048. Set it to 0 to accept any size.
pub static PS_MIN_RSA_MODULUS_BITS: &str = "psMinRsaModulusBits";

/// `PS_KEY_USAGE` is used to retrieve a [`KeyUsageSettings`] flag set from a [`CertificationPathSettings`]
/// object; a settings file writes it as its raw bits, `{"KeyUsageValue": 5}` for digitalSignature and
/// keyEncipherment. The first 9 bits from the value will be considered (all other bits are ignored) when evaluating
/// the target certificate, i.e., a target certificate that has a KeyUsage extension must have at
/// least the bits indicated set. A target certificate without a KeyUsage extension is unconstrained
/// with regard to key usage and satisfies any value. When this is absent, KeyUsage values in the
/// target certificate are not considered when validating a certification path.
pub static PS_KEY_USAGE: &str = "psKeyUsage";

/// `PS_EXTENDED_KEY_USAGE` is used to retrieve an ObjectIdentifierSet from a [`CertificationPathSettings`]
/// object. There is no default. Absence of this configuration indicates EKU usage is unconstrained
/// by the caller. EKU processing for the path may still occur per the PS_EXTENDED_KEY_USAGE_PATH
/// configuration value.
pub static PS_EXTENDED_KEY_USAGE: &str = "psExtendedKeyUsage";

/// `PS_EXTENDED_KEY_USAGE_PATH` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is false. When true, certification path validation should ensure the
/// intersection of extended key usage values that appear in a certification path is not empty,
/// consistent with the prevailing practices.
pub static PS_EXTENDED_KEY_USAGE_PATH: &str = "psExtendedKeyUsagePath";

/// `PS_INITIAL_PATH_LENGTH_CONSTRAINT` is used to retrieve a u8 value from a [`CertificationPathSettings`]
/// object. It seeds RFC 5280's `max_path_length` state variable, which is decremented for each
/// non-self-issued certificate in the path and further reduced by any basicConstraints
/// `pathLenConstraint`. RFC 5280 6.1.2 initializes that variable to the path length itself; this
/// implementation instead defaults it to the fixed ceiling [`PS_MAX_PATH_LENGTH_CONSTRAINT`] (15), so
/// a path with more than that many non-self-issued certificates is rejected with `InvalidPathLength`
/// even when no certificate asserts a `pathLenConstraint`. Raise this value to validate a longer
/// caller-supplied path; note that dynamically built paths are additionally limited by the builder's
/// search depth, which is bounded by [`PS_MAX_PATH_LENGTH_CONSTRAINT`] independently of this setting.
pub static PS_INITIAL_PATH_LENGTH_CONSTRAINT: &str = "psInitialPathLengthConstraint";

/// `PS_MAX_PATH_LENGTH_CONSTRAINT` is the maximum number of non-self-issued certificates accepted in a
/// certification path. It is a deliberate system-wide resource ceiling rather than merely the default
/// for [`PS_INITIAL_PATH_LENGTH_CONSTRAINT`]: it also bounds the depth to which the path builder
/// searches for candidate paths and scales the per-validation policy-node pool. Paths exceeding it are
/// rejected with `InvalidPathLength` even absent any certificate-asserted `pathLenConstraint`, which
/// RFC 5280 permits as local policy.
pub const PS_MAX_PATH_LENGTH_CONSTRAINT: u8 = 15;

/// `PS_CRL_TIMEOUT_DEFAULT` sets the maximum amount of time to spend downloading a CRL expressed in seconds.
pub static PS_CRL_TIMEOUT_DEFAULT: Duration = Duration::from_secs(60);

/// `PS_CRL_TIMEOUT` bounds the time spent downloading a CRL from a distribution point, connection
/// setup included. The default is [`PS_CRL_TIMEOUT_DEFAULT`].
///
/// Applied per request, so it overrides any client-level timeout on a client supplied through
/// `HttpClientSource`: reqwest lets a per-request bound win over the client's own.
pub static PS_CRL_TIMEOUT: &str = "psCrlTimeout";

/// `PS_OCSP_TIMEOUT` bounds the time spent on a single OCSP request, connection setup included. It
/// is the time companion to [`PS_MAX_OCSP_FETCH_BYTES`]: one bounds how long a responder may take,
/// the other how much it may send. The default is [`PS_OCSP_TIMEOUT_DEFAULT`].
///
/// Applied per request, so it overrides any client-level timeout on a client supplied through
/// `HttpClientSource`: reqwest lets a per-request bound win over the client's own.
pub static PS_OCSP_TIMEOUT: &str = "psOcspTimeout";

/// Default value for [`PS_OCSP_TIMEOUT`]: 10 seconds, the value this fetch was fixed at before it
/// became a setting. A responder either returns a prepared response or signs one on demand, and
/// ten seconds covers both; the bound exists so a stalled responder does not hold up a path.
pub static PS_OCSP_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

/// `PS_AIA_TIMEOUT` bounds the time spent fetching one artifact from an AIA or SIA URI, connection
/// setup included. It is the time companion to [`PS_MAX_AIA_FETCH_BYTES`], and applies to each
/// fetch in a chase rather than to the chase as a whole. The default is
/// [`PS_AIA_TIMEOUT_DEFAULT`].
///
/// Applied per request, so it overrides any client-level timeout on a client supplied through
/// `HttpClientSource`: reqwest lets a per-request bound win over the client's own.
pub static PS_AIA_TIMEOUT: &str = "psAiaTimeout";

/// Default value for [`PS_AIA_TIMEOUT`]: 10 seconds, the value this fetch was fixed at before it
/// became a setting. The artifacts are single certificates or certs-only PKCS#7 bags, so a
/// responsive publisher answers well inside it and a slow one is what the bound is for. Lower than
/// [`PS_CRL_TIMEOUT_DEFAULT`] because a chase makes many of these fetches where a CRL check makes
/// one much larger one.
pub static PS_AIA_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

/// `PS_URI_BLOCKLIST_TTL` bounds how long a URI stays on the fetch blocklist after the transport
/// failure that put it there. The blocklist spares a run from re-requesting what did not answer
/// last time; the bound is what keeps a DNS hiccup, a refused connection during an outage or one
/// [`PS_AIA_TIMEOUT`] from removing a repository for good. The default is
/// [`PS_URI_BLOCKLIST_TTL_DEFAULT`].
///
/// Entries that have outlived it are dropped when the list is read, so a URI that answers on the
/// next run simply leaves, and one that fails again is recorded afresh.
pub static PS_URI_BLOCKLIST_TTL: &str = "psUriBlocklistTtl";

/// Default value for [`PS_URI_BLOCKLIST_TTL`]: one hour. Each expired entry costs at most one
/// request bounded by [`PS_AIA_TIMEOUT`], which is what an hour is trading against: long enough
/// that a run repeated within the hour pays nothing, short enough that a repository reachable again
/// is chased again the same day.
pub static PS_URI_BLOCKLIST_TTL_DEFAULT: Duration = Duration::from_secs(60 * 60);

/// `PS_CHECK_REVOCATION_STATUS` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is true. When true, certification path validation should perform
/// revocation status checks via available means, i.e., CRLs, OCSP, etc.
pub static PS_CHECK_REVOCATION_STATUS: &str = "psCheckRevocationStatus";

/// `PS_CHECK_OCSP_FROM_AIA` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is true. When true, certification path validation should perform
/// revocation status checks via OCSP as indicated in operative AIA extension.
pub static PS_CHECK_OCSP_FROM_AIA: &str = "psCheckOcspFromAia";

/// `PS_RETRIEVE_FROM_AIA_SIA_HTTP` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is true. When true, certification path building should fetch certificates
/// from locations identified by HTTP/HTTPS URIs in AIA extensions.
pub static PS_RETRIEVE_FROM_AIA_SIA_HTTP: &str = "psRetrieveFromAiaSiaHttp";

/// `PS_CHECK_CRLS` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is true. When true, certification path validation should perform
/// revocation status checks via available CRLs.
pub static PS_CHECK_CRLS: &str = "psCheckCrls";

/// `PS_CHECK_CRLDP_HTTP` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is true. When true, certification path building should fetch CRLs
/// from locations identified by HTTP/HTTPS URIs in AIA extensions.
pub static PS_CHECK_CRLDP_HTTP: &str = "psCheckCrlDpHttp";

/// `PS_RETAIN_EXPIRED_KEPT_CRLS` is used to retrieve a boolean value from a [`CertificationPathSettings`]
/// object. The default value is false. It governs only the opt-in in-memory kept-CRL cache (see
/// `CrlSourceFolders::with_options`, which needs `revocation` and `std`). When false,
/// a kept CRL whose `nextUpdate` has passed the time of interest is evicted on the next insert to
/// bound memory. When true, expired kept CRLs are retained so a later validation at an earlier time
/// of interest (retroactive / long-term-validation checks) can still be answered from them.
pub static PS_RETAIN_EXPIRED_KEPT_CRLS: &str = "psRetainExpiredKeptCrls";

/// `PS_OCSP_AIA_NONCE_SETTING` is used to retrieve an [`OcspNonceSetting`] value that determines whether
/// or not OCSP requests associated with OCSP responders arrived at via AIA extensions
/// should include a nonce value.
pub static PS_OCSP_AIA_NONCE_SETTING: &str = "psOcspAiaNonceSetting";

/// `PS_REVOCATION_MAX_AGE` is used to retrieve a [`Duration`] value from a [`CertificationPathSettings`]
/// object. It bounds how old a CRL or OCSP response that omits `nextUpdate` may be, measured from its
/// `thisUpdate` relative to the time of interest. RFC 5280 Section 5.1.2.5 requires conforming CRL
/// issuers to include `nextUpdate`, and RFC 6960 Section 4.2.2.1 lets an OCSP responder omit it to
/// signal that newer information is always available; either way, an absent `nextUpdate` otherwise
/// leaves the revocation information with no upper time bound, so an arbitrarily old artifact would be
/// treated as fresh. The default is zero, which fails closed: revocation information that lacks
/// `nextUpdate` is rejected as stale unless an operator configures a non-zero tolerance here.
pub static PS_REVOCATION_MAX_AGE: &str = "psRevocationMaxAge";

/// Default value for [`PS_REVOCATION_MAX_AGE`]: zero, i.e., fail closed when `nextUpdate` is absent.
pub static PS_REVOCATION_MAX_AGE_DEFAULT: Duration = Duration::from_secs(0);

/// `PS_MAX_AIA_SIA_CERTS` is used to retrieve a u64 value from a [`CertificationPathSettings`] object.
/// It bounds the number of certificates the graph builder will accumulate while iteratively fetching
/// AIA and SIA URIs. A hostile or misconfigured responder can serve a fresh certificate on every hop
/// (each pointing at another URI), so the fetch loop would otherwise never reach a fixed point and
/// would grow the certificate store without bound (which in turn feeds partial-path enumeration).
/// When the store reaches this many certificates, collection halts and graph building proceeds with
/// what has been gathered. The default is [`PS_MAX_AIA_SIA_CERTS_DEFAULT`].
pub static PS_MAX_AIA_SIA_CERTS: &str = "psMaxAiaSiaCerts";

/// Default value for [`PS_MAX_AIA_SIA_CERTS`]: 2000, well above any realistic store while still
/// bounding an AIA/SIA fetch loop that never converges.
pub static PS_MAX_AIA_SIA_CERTS_DEFAULT: u64 = 2000;

/// `PS_MAX_CRL_FETCH_BYTES` bounds, in bytes, the size of a CRL body accepted from a remote CRL
/// distribution point. The fetch path enforces it while streaming the response, so a hostile or
/// misconfigured responder cannot exhaust memory by streaming an unbounded body regardless of the
/// (attacker-controlled) `Content-Length`. This is an OOM ceiling, not artifact-size validation:
/// pick it comfortably above the largest legitimate CRL and far below "exhausts RAM". The default is
/// [`PS_MAX_CRL_FETCH_BYTES_DEFAULT`].
pub static PS_MAX_CRL_FETCH_BYTES: &str = "psMaxCrlFetchBytes";

/// Default value for [`PS_MAX_CRL_FETCH_BYTES`]: 100 MiB. Enterprise CRLs are large -- the biggest
/// current DoD CRL is ~25 MB -- so the ceiling leaves several-fold headroom for growth while still
/// bounding an unbounded-ingest DoS.
pub static PS_MAX_CRL_FETCH_BYTES_DEFAULT: u64 = 100 * 1024 * 1024;

/// `PS_MAX_OCSP_FETCH_BYTES` bounds, in bytes, the size of an OCSP response body accepted from a
/// remote responder, enforced while streaming the response (see [`PS_MAX_CRL_FETCH_BYTES`] for the
/// rationale). Legitimate OCSP responses are tens of KB even with a delegated-responder certificate,
/// so the default ceiling is generous. The default is [`PS_MAX_OCSP_FETCH_BYTES_DEFAULT`].
pub static PS_MAX_OCSP_FETCH_BYTES: &str = "psMaxOcspFetchBytes";

/// Default value for [`PS_MAX_OCSP_FETCH_BYTES`]: 1 MiB, far above any realistic OCSP response.
pub static PS_MAX_OCSP_FETCH_BYTES_DEFAULT: u64 = 1024 * 1024;

/// `PS_MAX_AIA_FETCH_BYTES` bounds, in bytes, the size of a single artifact (certificate or
/// certs-only PKCS#7) fetched from an AIA/SIA URI, enforced while streaming the response (see
/// [`PS_MAX_CRL_FETCH_BYTES`] for the rationale). Fetched artifacts are CA certificates (moderate
/// signature-key certs); the default leaves headroom for a large PQC certificate (a Classic McEliece
/// public key can approach ~1.5 MB) should one be served via caIssuers. The default is
/// [`PS_MAX_AIA_FETCH_BYTES_DEFAULT`].
pub static PS_MAX_AIA_FETCH_BYTES: &str = "psMaxAiaFetchBytes";

/// Default value for [`PS_MAX_AIA_FETCH_BYTES`]: 4 MiB, above the largest legitimate certificate
/// (including a Classic McEliece cert) while bounding an unbounded-ingest DoS.
pub static PS_MAX_AIA_FETCH_BYTES_DEFAULT: u64 = 4 * 1024 * 1024;

/// PS_TRUST_ANCHOR_FOLDER is used to retrieve a String value containing the full path of a folder containing trust anchors
pub static PS_TRUST_ANCHOR_FOLDER: &str = "psTrustAnchorFolder";
/// PS_CERTIFICATION_AUTHORITY_FOLDER is used to retrieve a String value containing the full path of a folder containing CA certificates
pub static PS_CERTIFICATION_AUTHORITY_FOLDER: &str = "psCertificationAuthorityFolder";
/// PS_DOWNLOAD_FOLDER is used to retrieve a String value containing the full path of a folder where certificates downloaded via SIA or AIA should be stored
pub static PS_DOWNLOAD_FOLDER: &str = "psDownloadFolder";
/// PS_CBOR_TA_STORE is used to indicate a generated graph will include only trust anchors, so no need for partial paths and no need to exclude self-signed certificates.
pub static PS_CBOR_TA_STORE: &str = "psCborTaStore";
/// PS_REQUIRE_TA_STORE is used to indicate that the validator should require a TA to affirm given TA is actually a TA.
pub static PS_REQUIRE_TA_STORE: &str = "psRequireTaStore";
/// PS_FORBID_SELF_SIGNED_EE is used to forbid allowing self-signed end-identity certificates
pub static PS_FORBID_SELF_SIGNED_EE: &str = "psForbidSelfSignedEE";

//-----------------------------------------------------------------------------------------------
// Getters/setters for settings
//-----------------------------------------------------------------------------------------------
cps_gets_and_sets_with_default!(PS_INITIAL_EXPLICIT_POLICY_INDICATOR, bool, false);
cps_gets_and_sets_with_default!(PS_INITIAL_POLICY_MAPPING_INHIBIT_INDICATOR, bool, false);
cps_gets_and_sets_with_default!(PS_INITIAL_INHIBIT_ANY_POLICY_INDICATOR, bool, false);
// cps_gets_and_sets_with_default!(PS_INITIAL_POLICY_SET, Strings, {
//     let mut bts = BTreeSet::new();
//     bts.insert(ANY_POLICY.to_string());
//     bts
// });
impl CertificationPathSettings {
    ///`get_initial_policy_set` is used to retrieve `PS_INITIAL_POLICY_SET` items from a [`CertificationPathSettings`] instance
    pub fn get_initial_policy_set(&self) -> Strings {
        if self.0.contains_key(PS_INITIAL_POLICY_SET) {
            return match &self.0[PS_INITIAL_POLICY_SET] {
                CertificationPathProcessingTypes::Strings(v) => v.clone(),
                _ => {
                    vec![ANY_POLICY.to_string()]
                }
            };
        }
        {
            vec![ANY_POLICY.to_string()]
        }
    }
    ///`set_initial_policy_set` is used to set `PS_INITIAL_POLICY_SET` items in a [`CertificationPathSettings`] instance
    pub fn set_initial_policy_set(&mut self, v: Strings) {
        self.0.insert(
            PS_INITIAL_POLICY_SET.to_string(),
            CertificationPathProcessingTypes::Strings(v),
        );
    }

    /// `set_initial_policy_set_from_oid_set` is used to set `PS_INITIAL_POLICY_SET` items in a [`CertificationPathSettings`] instance
    /// given an ObjectIdentifierSet object instead of a Strings object.
    pub fn set_initial_policy_set_from_oid_set(&mut self, v: ObjectIdentifierSet) {
        let mut s = Strings::new();
        for o in v {
            s.push(o.to_string());
        }

        self.0.insert(
            PS_INITIAL_POLICY_SET.to_string(),
            CertificationPathProcessingTypes::Strings(s),
        );
    }

    ///`get_initial_policy_set_as_oid_set` is used to retrieve `PS_INITIAL_POLICY_SET` items from a [`CertificationPathSettings`] instance
    /// as an ObjectIdentifierSet object instead of a Strings object.
    pub fn get_initial_policy_set_as_oid_set(&self) -> ObjectIdentifierSet {
        let strs = self.get_initial_policy_set();
        let mut bts = BTreeSet::new();
        for s in strs {
            if let Ok(oid) = ObjectIdentifier::from_str(s.as_str()) {
                bts.insert(oid);
            }
        }
        bts
    }

    // PS_INITIAL_EXCLUDED_SUBTREES (will need lifetime aware macro)

    /// `get_initial_permitted_subtrees` retrieves the `PS_INITIAL_PERMITTED_SUBTREES` value from a
    /// [`CertificationPathSettings`] map. If present, a [`NameConstraintsSettings`] value is returned, else None is returned.
    pub fn get_initial_permitted_subtrees(&self) -> Option<NameConstraintsSettings> {
        if self.0.contains_key(PS_INITIAL_PERMITTED_SUBTREES) {
            return match &self.0[PS_INITIAL_PERMITTED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => Some(ncs.clone()),
                _ => None,
            };
        }
        None
    }

    /// `get_initial_permitted_subtrees_as_set` retrieves the `PS_INITIAL_PERMITTED_SUBTREES` value from
    /// a [`CertificationPathSettings`] map as a [`NameConstraintsSet`] instead of as a
    /// [`NameConstraintsSettings`], which is what [`get_initial_permitted_subtrees`](Self::get_initial_permitted_subtrees)
    /// returns. `Ok(None)` when the setting is absent.
    pub fn get_initial_permitted_subtrees_as_set(
        &self,
        bufs: &mut BTreeMap<String, Vec<Vec<u8>>>,
    ) -> Result<Option<NameConstraintsSet>> {
        if self.0.contains_key(PS_INITIAL_PERMITTED_SUBTREES) {
            return match &self.0[PS_INITIAL_PERMITTED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => {
                    match name_constraints_settings_to_name_constraints_set(ncs, bufs) {
                        Ok(nc) => Ok(Some(nc)),
                        Err(e) => Err(e),
                    }
                }
                _ => Ok(None),
            };
        }
        Ok(None)
    }

    /// `get_initial_permitted_subtrees_with_default_as_set` retrieves the `PS_INITIAL_PERMITTED_SUBTREES` value from a
    /// [`CertificationPathSettings`] map as a NameConstraintsSet object instead of as a NameConstraintsSettings object.
    /// If present, a [`NameConstraintsSet`] value containing configured values is returned, else a default
    /// instance is returned.
    pub fn get_initial_permitted_subtrees_with_default_as_set(
        &self,
        bufs: &mut BTreeMap<String, Vec<Vec<u8>>>,
    ) -> Result<NameConstraintsSet> {
        if self.0.contains_key(PS_INITIAL_PERMITTED_SUBTREES) {
            return match &self.0[PS_INITIAL_PERMITTED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => {
                    match name_constraints_settings_to_name_constraints_set(ncs, bufs) {
                        Ok(nc) => Ok(nc),
                        Err(e) => Err(e),
                    }
                }
                _ => Ok(NameConstraintsSet::default()),
            };
        }
        Ok(NameConstraintsSet::default())
    }

    /// `get_initial_permitted_subtrees_with_default` retrieves the `PS_INITIAL_PERMITTED_SUBTREES` value
    /// from a [`CertificationPathSettings`] map, returning [`NameConstraintsSettings::default`] when the
    /// setting is absent.
    pub fn get_initial_permitted_subtrees_with_default(&self) -> NameConstraintsSettings {
        if self.0.contains_key(PS_INITIAL_PERMITTED_SUBTREES) {
            return match &self.0[PS_INITIAL_PERMITTED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => ncs.clone(),
                _ => NameConstraintsSettings::default(),
            };
        }
        NameConstraintsSettings::default()
    }

    /// `set_initial_permitted_subtrees` is used to set the `PS_INITIAL_PERMITTED_SUBTREES` value in
    /// a [`CertificationPathSettings`] map.
    pub fn set_initial_permitted_subtrees(&mut self, ncs: NameConstraintsSettings) {
        self.0.insert(
            PS_INITIAL_PERMITTED_SUBTREES.to_string(),
            CertificationPathProcessingTypes::NameConstraintsSettings(ncs),
        );
    }

    /// `set_initial_permitted_subtrees_from_set` sets the `PS_INITIAL_PERMITTED_SUBTREES` value in a
    /// [`CertificationPathSettings`] map from a [`NameConstraintsSet`] instead of from a
    /// [`NameConstraintsSettings`], which is what [`set_initial_permitted_subtrees`](Self::set_initial_permitted_subtrees)
    /// takes.
    pub fn set_initial_permitted_subtrees_from_set(
        &mut self,
        ncs: &NameConstraintsSet,
    ) -> Result<()> {
        self.0.insert(
            PS_INITIAL_PERMITTED_SUBTREES.to_string(),
            CertificationPathProcessingTypes::NameConstraintsSettings(
                name_constraints_set_to_name_constraints_settings(ncs)?,
            ),
        );
        Ok(())
    }

    /// `get_initial_excluded_subtrees` retrieves the `PS_INITIAL_EXCLUDED_SUBTREES` value from a
    /// [`CertificationPathSettings`] map. If present, a [`NameConstraintsSettings`] value is returned, else None is returned.
    pub fn get_initial_excluded_subtrees(&self) -> Option<NameConstraintsSettings> {
        if self.0.contains_key(PS_INITIAL_EXCLUDED_SUBTREES) {
            return match &self.0[PS_INITIAL_EXCLUDED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => Some(ncs.clone()),
                _ => None,
            };
        }
        None
    }

    /// `get_initial_excluded_subtrees_as_set` retrieves the `PS_INITIAL_EXCLUDED_SUBTREES` value from a
    /// [`CertificationPathSettings`] map as a [`NameConstraintsSet`] instead of as a
    /// [`NameConstraintsSettings`], which is what [`get_initial_excluded_subtrees`](Self::get_initial_excluded_subtrees)
    /// returns. `Ok(None)` when the setting is absent.
    pub fn get_initial_excluded_subtrees_as_set(
        &self,
        bufs: &mut BTreeMap<String, Vec<Vec<u8>>>,
    ) -> Result<Option<NameConstraintsSet>> {
        if self.0.contains_key(PS_INITIAL_EXCLUDED_SUBTREES) {
            return match &self.0[PS_INITIAL_EXCLUDED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => {
                    match name_constraints_settings_to_name_constraints_set(ncs, bufs) {
                        Ok(nc) => Ok(Some(nc)),
                        Err(e) => Err(e),
                    }
                }
                _ => Ok(None),
            };
        }
        Ok(None)
    }

    /// `get_initial_excluded_subtrees_with_default_as_set` retrieves the `PS_INITIAL_EXCLUDED_SUBTREES`
    /// value from a [`CertificationPathSettings`] map as a [`NameConstraintsSet`] instead of as a
    /// [`NameConstraintsSettings`], returning [`NameConstraintsSet::default`] when the setting is
    /// absent.
    pub fn get_initial_excluded_subtrees_with_default_as_set(
        &self,
        bufs: &mut BTreeMap<String, Vec<Vec<u8>>>,
    ) -> Result<NameConstraintsSet> {
        if self.0.contains_key(PS_INITIAL_EXCLUDED_SUBTREES) {
            return match &self.0[PS_INITIAL_EXCLUDED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => {
                    match name_constraints_settings_to_name_constraints_set(ncs, bufs) {
                        Ok(nc) => Ok(nc),
                        Err(e) => Err(e),
                    }
                }
                _ => Ok(NameConstraintsSet::default()),
            };
        }
        Ok(NameConstraintsSet::default())
    }

    /// `get_initial_excluded_subtrees_with_default` retrieves the `PS_INITIAL_EXCLUDED_SUBTREES` value
    /// from a [`CertificationPathSettings`] map, returning [`NameConstraintsSettings::default`] when the
    /// setting is absent.
    pub fn get_initial_excluded_subtrees_with_default(&self) -> NameConstraintsSettings {
        if self.0.contains_key(PS_INITIAL_EXCLUDED_SUBTREES) {
            return match &self.0[PS_INITIAL_EXCLUDED_SUBTREES] {
                CertificationPathProcessingTypes::NameConstraintsSettings(ncs) => ncs.clone(),
                _ => NameConstraintsSettings::default(),
            };
        }
        NameConstraintsSettings::default()
    }

    /// `set_initial_excluded_subtrees` is used to set the `PS_INITIAL_EXCLUDED_SUBTREES` value in
    /// a [`CertificationPathSettings`] map.
    pub fn set_initial_excluded_subtrees(&mut self, ncs: NameConstraintsSettings) {
        self.0.insert(
            PS_INITIAL_EXCLUDED_SUBTREES.to_string(),
            CertificationPathProcessingTypes::NameConstraintsSettings(ncs),
        );
    }

    /// `set_initial_excluded_subtrees_from_set` is used to set the `PS_INITIAL_EXCLUDED_SUBTREES` value in
    /// a [`CertificationPathSettings`] map given a NameConstraintsSet object instead of a NameConstraintsSettings object.
    pub fn set_initial_excluded_subtrees_from_set(
        &mut self,
        ncs: &NameConstraintsSet,
    ) -> Result<()> {
        self.0.insert(
            PS_INITIAL_EXCLUDED_SUBTREES.to_string(),
            CertificationPathProcessingTypes::NameConstraintsSettings(
                name_constraints_set_to_name_constraints_settings(ncs)?,
            ),
        );
        Ok(())
    }
}

cps_gets_and_sets_with_default!(PS_TIME_OF_INTEREST, TimeOfInterest, {
    TimeOfInterest::default()
});
cps_gets_and_sets_with_default!(PS_ENFORCE_TRUST_ANCHOR_CONSTRAINTS, bool, false);
cps_gets_and_sets_with_default!(PS_ENFORCE_TRUST_ANCHOR_VALIDITY, bool, true);
cps_gets_and_sets_with_default!(PS_MIN_RSA_MODULUS_BITS, u16, 2048);

impl CertificationPathSettings {
    // PS_KEY_USAGE (see below, need lifetime aware macro to avoid manual implementation)
    //cps_gets_and_sets!(PS_EXTENDED_KEY_USAGE, Strings);
    ///`get_extended_key_usage` is used to retrieve `PS_EXTENDED_KEY_USAGE` items from a [`CertificationPathSettings`] instance
    pub fn get_extended_key_usage(&self) -> Option<Strings> {
        if self.0.contains_key(PS_EXTENDED_KEY_USAGE) {
            return match &self.0[PS_EXTENDED_KEY_USAGE] {
                CertificationPathProcessingTypes::Strings(v) => Some(v.clone()),
                _ => None,
            };
        }
        None
    }

    ///`set_extended_key_usage` is used to set `PS_EXTENDED_KEY_USAGE` items in a [`CertificationPathSettings`] instance
    pub fn set_extended_key_usage(&mut self, v: Strings) {
        self.0.insert(
            PS_EXTENDED_KEY_USAGE.to_string(),
            CertificationPathProcessingTypes::Strings(v),
        );
    }

    /// `set_extended_key_usage_from_oid_set` sets `PS_EXTENDED_KEY_USAGE` items in a
    /// [`CertificationPathSettings`] instance from an [`ObjectIdentifierSet`] instead of from a
    /// [`Strings`], which is what [`set_extended_key_usage`](Self::set_extended_key_usage) takes.
    pub fn set_extended_key_usage_from_oid_set(&mut self, v: ObjectIdentifierSet) {
        let mut s = Strings::new();
        for o in v {
            s.push(o.to_string());
        }

        self.0.insert(
            PS_EXTENDED_KEY_USAGE.to_string(),
            CertificationPathProcessingTypes::Strings(s),
        );
    }

    ///`get_extended_key_usage_as_oid_set` is used to retrieve `PS_EXTENDED_KEY_USAGE` items from a [`CertificationPathSettings`] instance
    /// as an ObjectIdentifierSet object instead of a Strings object.
    pub fn get_extended_key_usage_as_oid_set(&self) -> Option<ObjectIdentifierSet> {
        let mut bts = BTreeSet::new();
        if let Some(strs) = self.get_extended_key_usage() {
            for s in strs {
                if let Ok(oid) = ObjectIdentifier::from_str(s.as_str()) {
                    bts.insert(oid);
                }
            }
            Some(bts)
        } else {
            None
        }
    }
}

cps_gets_and_sets_with_default!(PS_EXTENDED_KEY_USAGE_PATH, bool, false);
cps_gets_and_sets_with_default!(
    PS_INITIAL_PATH_LENGTH_CONSTRAINT,
    u8,
    PS_MAX_PATH_LENGTH_CONSTRAINT
);
cps_gets_and_sets_with_default!(PS_CRL_TIMEOUT, Duration, PS_CRL_TIMEOUT_DEFAULT);
cps_gets_and_sets_with_default!(PS_OCSP_TIMEOUT, Duration, PS_OCSP_TIMEOUT_DEFAULT);
cps_gets_and_sets_with_default!(PS_AIA_TIMEOUT, Duration, PS_AIA_TIMEOUT_DEFAULT);
cps_gets_and_sets_with_default!(PS_URI_BLOCKLIST_TTL, Duration, PS_URI_BLOCKLIST_TTL_DEFAULT);

cps_gets_and_sets_with_default!(PS_CHECK_REVOCATION_STATUS, bool, true);
cps_gets_and_sets_with_default!(PS_CHECK_OCSP_FROM_AIA, bool, true);
cps_gets_and_sets_with_default!(PS_RETRIEVE_FROM_AIA_SIA_HTTP, bool, true);
cps_gets_and_sets_with_default!(PS_CHECK_CRLS, bool, true);
cps_gets_and_sets_with_default!(PS_CHECK_CRLDP_HTTP, bool, true);
cps_gets_and_sets_with_default!(PS_RETAIN_EXPIRED_KEPT_CRLS, bool, false);
cps_gets_and_sets_with_default!(
    PS_OCSP_AIA_NONCE_SETTING,
    OcspNonceSetting,
    OcspNonceSetting::DoNotSendNonce
);
cps_gets_and_sets_with_default!(
    PS_REVOCATION_MAX_AGE,
    Duration,
    PS_REVOCATION_MAX_AGE_DEFAULT
);
cps_gets_and_sets_with_default!(PS_MAX_AIA_SIA_CERTS, u64, PS_MAX_AIA_SIA_CERTS_DEFAULT);
cps_gets_and_sets_with_default!(PS_MAX_CRL_FETCH_BYTES, u64, PS_MAX_CRL_FETCH_BYTES_DEFAULT);
cps_gets_and_sets_with_default!(
    PS_MAX_OCSP_FETCH_BYTES,
    u64,
    PS_MAX_OCSP_FETCH_BYTES_DEFAULT
);
cps_gets_and_sets_with_default!(PS_MAX_AIA_FETCH_BYTES, u64, PS_MAX_AIA_FETCH_BYTES_DEFAULT);
// PS_MAXIMUM_PATH_DEPTH (ditch this and use PS_INITIAL_PATH_LENGTH_CONSTRAINT)
cps_gets_and_sets_with_default!(PS_REQUIRE_TA_STORE, bool, true);
cps_gets_and_sets_with_default!(PS_FORBID_SELF_SIGNED_EE, bool, false);

impl CertificationPathSettings {
    /// `get_target_key_usage` retrieves the `PS_KEY_USAGE` value from a
    /// [`CertificationPathSettings`] map. If present, a [`KeyUsageSettings`] flag set is returned, else None
    /// is returned.
    pub fn get_target_key_usage(&self) -> Option<KeyUsageSettings> {
        if self.0.contains_key(PS_KEY_USAGE) {
            return match &self.0[PS_KEY_USAGE] {
                CertificationPathProcessingTypes::KeyUsageValue(v) => Some(*v),
                _ => None,
            };
        }
        None
    }

    /// `set_target_key_usage` is used to set the [`PS_KEY_USAGE`] value in a [`CertificationPathSettings`] map.
    pub fn set_target_key_usage(&mut self, v: KeyUsageSettings) {
        self.0.insert(
            PS_KEY_USAGE.to_string(),
            CertificationPathProcessingTypes::KeyUsageValue(v),
        );
    }
}

/// `read_settings` accepts an optional string containing the name of a file that notionally contains
/// JSON data representing a [`CertificationPathSettings`] map, and returns the deserialized settings.
///
/// A `None` filename, or a name that does not exist, yields default settings. A file that exists but
/// does not deserialize yields [`Error::ParseError`].
#[cfg(feature = "std")]
pub fn read_settings(fname: &Option<String>) -> Result<CertificationPathSettings> {
    if let Some(fname) = fname {
        let p = Path::new(fname.as_str());
        if Path::exists(p) {
            if let Ok(json) = get_file_as_byte_vec(p) {
                let r: SerdeResult<CertificationPathSettings> = serde_json::from_slice(&json);
                match r {
                    Ok(cps) => {
                        warn_retired_keys(&cps);
                        return Ok(cps);
                    }
                    Err(_e) => return Err(Error::ParseError),
                };
            }
        }
    }
    Ok(CertificationPathSettings::new())
}

/// Setting names a file may still carry that no longer do anything.
///
/// Public because more than one place has to agree about them: this module warns when a file
/// carries one, and a caller writing settings out for someone else to reuse has reason to leave
/// them behind rather than pass on a name that will only be warned about again. A list kept in two
/// places would drift, and the drift would be silent in both.
///
/// Not gated on `std`: the names are facts about the format, and a no-std caller writing settings
/// for someone else to read has the same reason to know them.
pub const RETIRED_SETTINGS_KEYS: [&str; 6] = [
    "psLastModifiedMapFile",
    "psUriBlocklistFile",
    "psRetrieveFromAiaSiaLdap",
    "psCheckCrlDpLdap",
    "psCertificates",
    "psCrlGracePeriodsAsLastResort",
];

/// Names a settings file may still carry that no longer do anything.
///
/// A file naming them still parses, so say so rather than ignore it silently: the value is visibly
/// there and its effect is not.
#[cfg(feature = "std")]
fn warn_retired_keys(cps: &CertificationPathSettings) {
    for key in RETIRED_SETTINGS_KEYS {
        if cps.0.contains_key(key) {
            log::warn!("Ignoring {key}: {}", retired_key_reason(key));
        }
    }
}

/// Why a retired setting does nothing, in the words the warning uses.
#[cfg(feature = "std")]
fn retired_key_reason(key: &str) -> &'static str {
    match key {
        // Both once pointed a file somewhere other than the folder whose contents it describes. A
        // map kept apart from its folder can outlive it, and then every URI is answered 304 with
        // nothing on disk to read.
        "psLastModifiedMapFile" | "psUriBlocklistFile" => {
            "the last-modified map and the URI blocklist are kept in the folder they describe and can no longer be relocated"
        }
        "psRetrieveFromAiaSiaLdap" | "psCheckCrlDpLdap" => {
            "certval does not retrieve from LDAP URIs, so LDAP retrieval cannot be turned on"
        }
        "psCertificates" => "certificates are supplied as inputs to a run, not carried in settings",
        "psCrlGracePeriodsAsLastResort" => {
            "a CRL past its next update is not used, so there is no grace period to allow"
        }
        _ => "this setting is no longer used",
    }
}

cps_gets_and_sets!(PS_TRUST_ANCHOR_FOLDER, String);
cps_gets_and_sets!(PS_CERTIFICATION_AUTHORITY_FOLDER, String);
cps_gets_and_sets!(PS_DOWNLOAD_FOLDER, String);
cps_gets_and_sets_with_default!(PS_CBOR_TA_STORE, bool, false);

#[test]
fn test_default_gets_cps() {
    let cps = CertificationPathSettings::default();

    assert!(!cps.get_initial_explicit_policy_indicator());
    assert!(!cps.get_initial_policy_mapping_inhibit_indicator());
    assert!(!cps.get_initial_inhibit_any_policy_indicator());

    #[cfg(feature = "std")]
    {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1000));
        assert!(cps.get_time_of_interest().as_unix_secs() > before.as_secs());
    }
    #[cfg(not(feature = "std"))]
    {
        assert_eq!(cps.get_time_of_interest().as_unix_secs(), 0);
    }

    assert!(!cps.get_enforce_trust_anchor_constraints());
    assert!(cps.get_enforce_trust_anchor_validity());
    assert!(!cps.get_extended_key_usage_path());
    assert_eq!(Duration::from_secs(60), cps.get_crl_timeout());
    // Ten seconds each: the values these two fetches were fixed at before they became settings, so
    // a consumer that sets neither sees no change from when they could not be set.
    assert_eq!(Duration::from_secs(10), cps.get_ocsp_timeout());
    assert_eq!(Duration::from_secs(10), cps.get_aia_timeout());

    assert!(cps.get_check_revocation_status());
    assert!(cps.get_check_ocsp_from_aia());
    assert!(cps.get_retrieve_from_aia_sia_http());
    assert!(cps.get_check_crls());
    assert!(cps.get_check_crldp_http());
    assert_eq!(
        OcspNonceSetting::DoNotSendNonce,
        cps.get_ocsp_aia_nonce_setting()
    );
    assert_eq!(Duration::from_secs(0), cps.get_revocation_max_age());
    assert_eq!(2000, cps.get_max_aia_sia_certs());

    assert_eq!(vec![ANY_POLICY.to_string()], cps.get_initial_policy_set());
    assert!(!cps.get_cbor_ta_store());
}

#[test]
fn test_no_default_gets_cps() {
    let cps = CertificationPathSettings::default();

    assert_eq!(None, cps.get_initial_permitted_subtrees());
    let mut bufs1 = BTreeMap::new();
    assert_eq!(
        None,
        cps.get_initial_permitted_subtrees_as_set(&mut bufs1)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSettings::default(),
        cps.get_initial_permitted_subtrees_with_default()
    );
    assert_eq!(
        NameConstraintsSet::default(),
        cps.get_initial_permitted_subtrees_with_default_as_set(&mut bufs1)
            .unwrap()
    );
    assert_eq!(None, cps.get_initial_excluded_subtrees());
    let mut bufs2 = BTreeMap::new();
    assert_eq!(
        None,
        cps.get_initial_excluded_subtrees_as_set(&mut bufs2)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSet::default(),
        cps.get_initial_excluded_subtrees_with_default_as_set(&mut bufs2)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSettings::default(),
        cps.get_initial_excluded_subtrees_with_default()
    );
    assert_eq!(None, cps.get_extended_key_usage());
    assert_eq!(None, cps.get_target_key_usage());

    assert_eq!(None, cps.get_trust_anchor_folder());
    assert_eq!(None, cps.get_certification_authority_folder());
    assert_eq!(None, cps.get_download_folder());
}

#[test]
fn test_default_sets_cps() {
    use const_oid::db::rfc5912::ID_CE_POLICY_MAPPINGS;

    let mut cps = CertificationPathSettings::default();

    cps.set_initial_explicit_policy_indicator(true);
    assert!(cps.get_initial_explicit_policy_indicator());
    cps.set_initial_policy_mapping_inhibit_indicator(true);
    assert!(cps.get_initial_policy_mapping_inhibit_indicator());
    cps.set_initial_inhibit_any_policy_indicator(true);
    assert!(cps.get_initial_inhibit_any_policy_indicator());

    #[cfg(feature = "std")]
    {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        cps.set_time_of_interest(TimeOfInterest::from_unix_secs(before.as_secs()).unwrap());
        assert_eq!(cps.get_time_of_interest().as_unix_secs(), before.as_secs());
    }
    #[cfg(not(feature = "std"))]
    {
        cps.set_time_of_interest(TimeOfInterest::from_unix_secs(1).unwrap());
        assert_eq!(cps.get_time_of_interest().as_unix_secs(), 1);
    }

    cps.set_enforce_trust_anchor_constraints(true);
    assert!(cps.get_enforce_trust_anchor_constraints());
    cps.set_enforce_trust_anchor_validity(false);
    assert!(!cps.get_enforce_trust_anchor_validity());
    cps.set_extended_key_usage_path(true);
    assert!(cps.get_extended_key_usage_path());
    cps.set_crl_timeout(Duration::from_secs(120));
    assert_eq!(Duration::from_secs(120), cps.get_crl_timeout());
    cps.set_ocsp_timeout(Duration::from_secs(5));
    assert_eq!(Duration::from_secs(5), cps.get_ocsp_timeout());
    cps.set_aia_timeout(Duration::from_secs(30));
    assert_eq!(Duration::from_secs(30), cps.get_aia_timeout());
    // The three are independent keys, not one bound wearing three names.
    assert_eq!(Duration::from_secs(120), cps.get_crl_timeout());

    cps.set_check_revocation_status(false);
    assert!(!cps.get_check_revocation_status());
    cps.set_check_ocsp_from_aia(false);
    assert!(!cps.get_check_ocsp_from_aia());
    cps.set_retrieve_from_aia_sia_http(false);
    assert!(!cps.get_retrieve_from_aia_sia_http());

    cps.set_check_crls(false);
    assert!(!cps.get_check_crls());
    cps.set_check_crldp_http(false);
    assert!(!cps.get_check_crldp_http());

    cps.set_ocsp_aia_nonce_setting(OcspNonceSetting::SendNonceRequireMatch);
    assert_eq!(
        OcspNonceSetting::SendNonceRequireMatch,
        cps.get_ocsp_aia_nonce_setting()
    );

    cps.set_revocation_max_age(Duration::from_secs(3600));
    assert_eq!(Duration::from_secs(3600), cps.get_revocation_max_age());
    cps.set_max_aia_sia_certs(500);
    assert_eq!(500, cps.get_max_aia_sia_certs());

    cps.set_initial_policy_set(vec![ID_CE_POLICY_MAPPINGS.to_string()]);
    assert_eq!(
        vec![ID_CE_POLICY_MAPPINGS.to_string()],
        cps.get_initial_policy_set()
    );

    cps.set_cbor_ta_store(true);
    assert!(cps.get_cbor_ta_store());
}

#[test]
fn test_no_default_sets_cps() {
    use der::asn1::Ia5String;
    use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
    use x509_cert::ext::pkix::name::GeneralName;

    let mut cps = CertificationPathSettings::default();

    assert_eq!(None, cps.get_initial_permitted_subtrees());
    let mut bufs1 = BTreeMap::new();
    assert_eq!(
        None,
        cps.get_initial_permitted_subtrees_as_set(&mut bufs1)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSettings::default(),
        cps.get_initial_permitted_subtrees_with_default()
    );
    assert_eq!(
        NameConstraintsSet::default(),
        cps.get_initial_permitted_subtrees_with_default_as_set(&mut bufs1)
            .unwrap()
    );
    cps.set_initial_permitted_subtrees(crate::NameConstraintsSettings {
        directory_name: Some(vec!["CN=Joe,OU=Org Unit,O=Org,C=US".to_string()]),
        rfc822_name: Some(vec!["x@example.com".to_string()]),
        dns_name: Some(vec!["j.example.com".to_string()]),
        uniform_resource_identifier: Some(vec!["https://j.example.com".to_string()]),
        ip_address: None,
        not_supported: None,
    });
    let perm = cps.get_initial_permitted_subtrees().unwrap();
    assert_eq!(
        Some(vec!["https://j.example.com".to_string()]),
        perm.uniform_resource_identifier
    );
    assert_eq!(Some(vec!["j.example.com".to_string()]), perm.dns_name);
    assert_eq!(Some(vec!["x@example.com".to_string()]), perm.rfc822_name);
    assert_eq!(
        Some(vec!["CN=Joe,OU=Org Unit,O=Org,C=US".to_string()]),
        perm.directory_name
    );
    let perm_set = cps
        .get_initial_permitted_subtrees_as_set(&mut bufs1)
        .unwrap()
        .unwrap();
    let ia5 = Ia5String::new("x@example.com").unwrap();
    let gn = GeneralName::Rfc822Name(ia5);
    let gn = GeneralSubtree {
        base: gn,
        minimum: 0,
        maximum: None,
    };
    assert_eq!(vec![gn], perm_set.rfc822_name);
    assert_eq!(1, perm_set.uniform_resource_identifier.len());
    assert_eq!(1, perm_set.dns_name.len());
    assert_eq!(1, perm_set.directory_name.len());

    assert_eq!(None, cps.get_initial_excluded_subtrees());
    let mut bufs2 = BTreeMap::new();
    assert_eq!(
        None,
        cps.get_initial_excluded_subtrees_as_set(&mut bufs2)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSet::default(),
        cps.get_initial_excluded_subtrees_with_default_as_set(&mut bufs2)
            .unwrap()
    );
    assert_eq!(
        NameConstraintsSettings::default(),
        cps.get_initial_excluded_subtrees_with_default()
    );
    cps.set_initial_excluded_subtrees(crate::NameConstraintsSettings {
        directory_name: Some(vec!["CN=Sue,OU=Org Unit,O=Org,C=US".to_string()]),
        rfc822_name: Some(vec!["y@example.com".to_string()]),
        dns_name: Some(vec!["s.example.com".to_string()]),
        uniform_resource_identifier: Some(vec!["https://s.example.com".to_string()]),
        ip_address: None,
        not_supported: None,
    });
    let excl = cps.get_initial_excluded_subtrees().unwrap();
    assert_eq!(
        Some(vec!["https://s.example.com".to_string()]),
        excl.uniform_resource_identifier
    );
    assert_eq!(Some(vec!["s.example.com".to_string()]), excl.dns_name);
    assert_eq!(Some(vec!["y@example.com".to_string()]), excl.rfc822_name);
    assert_eq!(
        Some(vec!["CN=Sue,OU=Org Unit,O=Org,C=US".to_string()]),
        excl.directory_name
    );
    let excl_set = cps
        .get_initial_excluded_subtrees_as_set(&mut bufs1)
        .unwrap()
        .unwrap();
    let ia5 = Ia5String::new("y@example.com").unwrap();
    let gn = GeneralName::Rfc822Name(ia5);
    let gn = GeneralSubtree {
        base: gn,
        minimum: 0,
        maximum: None,
    };
    assert_eq!(vec![gn], excl_set.rfc822_name);
    assert_eq!(1, excl_set.uniform_resource_identifier.len());
    assert_eq!(1, excl_set.dns_name.len());
    assert_eq!(1, excl_set.directory_name.len());

    let v = vec!["1.2.3.4.5".to_string()];
    cps.set_extended_key_usage(v.clone());
    assert_eq!(&v, &cps.get_extended_key_usage().unwrap());
    let eku_set = cps.get_extended_key_usage_as_oid_set().unwrap();
    let eku_setb = cps.get_extended_key_usage_as_oid_set().unwrap();
    let mut cps_eku_set = CertificationPathSettings::default();
    cps_eku_set.set_extended_key_usage_from_oid_set(eku_set);
    let eku_set_copy = cps_eku_set.get_extended_key_usage_as_oid_set().unwrap();
    assert_eq!(eku_setb, eku_set_copy);

    assert_eq!(None, cps.get_target_key_usage());

    let f = "/some/folder".to_string();
    cps.set_trust_anchor_folder(f.clone());
    assert_eq!(&f, &cps.get_trust_anchor_folder().unwrap());

    cps.set_certification_authority_folder(f.clone());
    assert_eq!(&f, &cps.get_certification_authority_folder().unwrap());
    cps.set_download_folder(f.clone());
    assert_eq!(&f, &cps.get_download_folder().unwrap());
}

// A settings file can state a value under the wrong variant, e.g. `{"psCheckCrls": {"String":
// "false"}}`. The getter cannot use it, so it answers as though the setting were absent -- the
// default here, None for a getter without one -- and logs the mismatch at warn.
#[test]
fn a_setting_stored_under_the_wrong_variant_reads_as_unset() {
    let mut cps = CertificationPathSettings::new();
    cps.0.insert(
        PS_CHECK_CRLS.to_string(),
        CertificationPathProcessingTypes::String("false".to_string()),
    );
    assert!(cps.get_check_crls(), "the default, not the misstated false");

    cps.0.insert(
        PS_DOWNLOAD_FOLDER.to_string(),
        CertificationPathProcessingTypes::Bool(true),
    );
    assert_eq!(cps.get_download_folder(), None);
}
