//! Certificate revocation over the configured CRLs, as RFC 5280 §6.3.3 defines it: issuing
//! distribution points and their scope, reason masks (onlySomeReasons), indirect CRLs
//! (cRLIssuer, certificateIssuer entries), delta CRLs applied to their base (removeFromCRL
//! lifts a hold), CRLs signed by another key of the CA (the signer's own path is validated by
//! the caller), freshness (nextUpdate) and critical extensions we cannot process.
//!
//! certval checks a CRL's signature and dates but knows none of the scope rules, so it
//! would let a signer through on a CRL that does not cover it; this module replaces its
//! `check_revocation` for us. Nothing here does I/O: the caller passes the parsed CRLs, the
//! certificates a CRL signer may be, and a callback that validates such a signer's path.

use std::collections::HashMap;
use std::sync::Mutex;

use der::{Decode, Encode, Reader, SliceReader};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint, Reasons};
use x509_cert::ext::pkix::crl::{BaseCrlNumber, CrlDistributionPoints, CrlNumber, CrlReason};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, GeneralNames};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::name::{Name, RdnSequence};

use serde::Deserialize;

use crate::smime::algorithms;
use crate::smime::limits::path_budget;

/// `[smime] revocation`: what a certificate's revocation status must be for its path to
/// pass (docs/smime.md, "Revocation").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationSetting {
    /// A CA with no CRL in `crls` is not checked; a CRL that is there for it and cannot be
    /// used (bad signature, stale, out of scope...) keeps the signer from passing.
    #[default]
    BestEffort,
    /// Every certificate of the path must be covered by a current, valid CRL.
    Require,
}

/// The CRL extensions this module processes; any other critical one makes a CRL unusable
/// (RFC 5280 §5.2).
const KNOWN_CRL_EXTENSIONS: &[der::asn1::ObjectIdentifier] = &[
    const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    const_oid::db::rfc5280::ID_CE_ISSUER_ALT_NAME,
    const_oid::db::rfc5280::ID_CE_CRL_NUMBER,
    const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR,
    const_oid::db::rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT,
    const_oid::db::rfc5280::ID_CE_FRESHEST_CRL,
    const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
];

/// The CRL entry extensions we understand (RFC 5280 §5.3).
const KNOWN_ENTRY_EXTENSIONS: &[der::asn1::ObjectIdentifier] = &[
    const_oid::db::rfc5280::ID_CE_CRL_REASONS,
    const_oid::db::rfc5280::ID_CE_HOLD_INSTRUCTION_CODE,
    const_oid::db::rfc5280::ID_CE_INVALIDITY_DATE,
    const_oid::db::rfc5280::ID_CE_CERTIFICATE_ISSUER,
];

/// One configured CRL, parsed once when the trust store is loaded. The entries are kept as
/// an index by serial number, not as decoded structures (a CRL of 100,000 entries decodes
/// to ten times its size).
pub struct Crl {
    issuer: Name,
    /// The signed bytes (tbsCertList as it appears in the file), the algorithm and value.
    tbs: Vec<u8>,
    signature_algorithm: spki::AlgorithmIdentifierOwned,
    signature: Vec<u8>,
    /// Serial number → (index into `entry_issuers`, reason) of each entry listing it.
    entries: HashMap<Vec<u8>, Vec<(usize, CrlReason)>>,
    /// The issuers entries speak for: 0 is the CRL issuer; an indirect CRL's
    /// certificateIssuer extensions add the others (RFC 5280 §5.3.3).
    entry_issuers: Vec<Vec<Name>>,
    number: Option<Vec<u8>>,
    /// `Some` for a delta CRL: the cRLNumber of the base it applies to.
    delta_base: Option<Vec<u8>>,
    idp: Option<IssuingDistributionPoint>,
    /// The IDP's encoding, to compare scopes of a base and a delta.
    idp_der: Option<Vec<u8>>,
    /// No critical CRL or entry extension we cannot process, and certificateIssuer readable.
    usable: bool,
    this_update: u64,
    next_update: Option<u64>,
    /// Signature checks done (signer key DER → verified), so that a large CRL is hashed once
    /// per key rather than once per signer path.
    verified: Mutex<Vec<(Vec<u8>, bool)>>,
}

/// Signer keys remembered per CRL (a CRL has one signer; a few more allow for rollover).
const VERIFIED_CAP: usize = 8;

impl Crl {
    pub fn parse(der: &[u8]) -> Result<Crl, der::Error> {
        let list = <CertificateList>::from_der(der)?;
        let tbs = first_element(der)?.to_vec();
        let t = list.tbs_cert_list;
        let exts = t.crl_extensions.as_deref().unwrap_or_default();
        let mut usable = exts
            .iter()
            .all(|e| !e.critical || KNOWN_CRL_EXTENSIONS.contains(&e.extn_id));
        let ext = |oid| exts.iter().find(|e| e.extn_id == oid);
        let number = ext(const_oid::db::rfc5280::ID_CE_CRL_NUMBER)
            .map(|e| CrlNumber::from_der(e.extn_value.as_bytes()).map(|n| n.0.as_bytes().to_vec()))
            .transpose()?;
        let delta_base = ext(const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR)
            .map(|e| {
                BaseCrlNumber::from_der(e.extn_value.as_bytes()).map(|n| n.0.as_bytes().to_vec())
            })
            .transpose()?;
        let idp_ext = ext(const_oid::db::rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT);
        let idp = idp_ext
            .map(|e| IssuingDistributionPoint::from_der(e.extn_value.as_bytes()))
            .transpose()?;
        let idp_der = idp_ext.map(|e| e.extn_value.as_bytes().to_vec());
        let indirect = idp.as_ref().is_some_and(|i| i.indirect_crl);
        let this_update = t.this_update.to_unix_duration().as_secs();
        let next_update = t.next_update.map(|n| n.to_unix_duration().as_secs());
        let mut entries: HashMap<Vec<u8>, Vec<(usize, CrlReason)>> = HashMap::new();
        let mut entry_issuers = vec![vec![t.issuer.clone()]];
        for revoked in t.revoked_certificates.iter().flatten() {
            let exts = revoked.crl_entry_extensions.as_deref().unwrap_or_default();
            usable &= exts
                .iter()
                .all(|e| !e.critical || KNOWN_ENTRY_EXTENSIONS.contains(&e.extn_id));
            let find = |oid| exts.iter().find(|e| e.extn_id == oid);
            if let (true, Some(e)) = (
                indirect,
                find(const_oid::db::rfc5280::ID_CE_CERTIFICATE_ISSUER),
            ) {
                match GeneralNames::from_der(e.extn_value.as_bytes()) {
                    Ok(names) => entry_issuers.push(directory_names(&names).cloned().collect()),
                    // Whose certificates the entries name is unknown: use none of them.
                    Err(_) => usable = false,
                }
            }
            let reason = find(const_oid::db::rfc5280::ID_CE_CRL_REASONS)
                .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                .unwrap_or(CrlReason::Unspecified);
            entries
                .entry(revoked.serial_number.as_bytes().to_vec())
                .or_default()
                .push((entry_issuers.len() - 1, reason));
        }
        Ok(Crl {
            issuer: t.issuer,
            tbs,
            signature_algorithm: list.signature_algorithm,
            signature: list.signature.as_bytes().unwrap_or_default().to_vec(),
            entries,
            entry_issuers,
            number,
            delta_base,
            idp,
            idp_der,
            usable,
            this_update,
            next_update,
            verified: Mutex::new(Vec::new()),
        })
    }

    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// Seconds since the Unix epoch of nextUpdate, if the CRL has one.
    pub fn next_update(&self) -> Option<u64> {
        self.next_update
    }

    /// cRLNumber, hex.
    pub fn number_hex(&self) -> Option<String> {
        self.number.as_deref().map(crate::smime::asn1::hex)
    }

    /// How logs and audit lines name it: issuer and CRL number.
    pub fn label(&self) -> String {
        match self.number_hex() {
            Some(n) => format!("{} #{n}", self.issuer()),
            None => self.issuer().to_string(),
        }
    }

    /// Seconds since the Unix epoch of thisUpdate.
    pub fn this_update(&self) -> u64 {
        self.this_update
    }

    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    fn current_at(&self, at: u64) -> bool {
        self.this_update <= at && self.next_update.is_none_or(|n| at < n)
    }

    fn indirect(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.indirect_crl)
    }
}

/// The bytes of the first element inside the outer SEQUENCE of `der`.
fn first_element(der: &[u8]) -> Result<&[u8], der::Error> {
    let mut outer = SliceReader::new(der)?;
    let header = der::Header::decode(&mut outer)?;
    let start = usize::try_from(header.encoded_len()?)?;
    let rest = der.get(start..).ok_or(der::ErrorKind::Incomplete {
        expected_len: header.encoded_len()?,
        actual_len: der::Length::ZERO,
    })?;
    let mut inner = SliceReader::new(rest)?;
    let tbs = der::Header::peek(&inner)?;
    let len = usize::try_from((tbs.encoded_len()? + tbs.length())?)?;
    inner.read_slice(der::Length::try_from(len)?)
}

/// Where a certificate's revocation stands after every configured CRL was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every reason is covered by a usable, current CRL, and none lists it.
    Good,
    /// Listed (revoked or on hold) by the CRL at this index.
    Revoked(usize),
    /// A CRL of its CA is configured but none settles it (stale, bad signature, signer
    /// without cRLSign, unknown critical extension, scope that does not cover it, delta
    /// without its base).
    Unknown,
    /// No configured CRL is from its CA at all.
    NoCrl,
}

/// What checking one path needs besides the path.
pub struct Context<'a> {
    pub crls: &'a [Crl],
    /// Certificates a CRL signer may be (trust store and message), DER.
    pub pool: &'a [Certificate],
    pub at: u64,
    pub allow_sha1: bool,
    /// Whether `cert`, a CRL signer outside the path, has a valid path to this path's trust
    /// anchor, itself not revoked.
    pub signer_valid: &'a dyn Fn(&Certificate) -> bool,
}

/// The status of each certificate after the anchor in `path` (anchor first, target last).
pub fn path_status(ctx: &Context, path: &[Certificate]) -> Vec<Status> {
    path.windows(2)
        .enumerate()
        .map(|(i, pair)| cert_status(ctx, &pair[1], &pair[0], &path[..=i]))
        .collect()
}

/// RFC 5280 §6.3.3 for `cert`, issued by `issuer`; `above` is the path up to and including
/// the issuer (certificates whose validity the path has established).
fn cert_status(
    ctx: &Context,
    cert: &Certificate,
    issuer: &Certificate,
    above: &[Certificate],
) -> Status {
    let points: Vec<DistributionPoint> = cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
        .ok()
        .flatten()
        .map(|(_, dps)| dps.0)
        .unwrap_or_default();
    let all = all_reasons();
    let mut reasons = flagset::FlagSet::<Reasons>::default();
    let mut seen_crl = false;
    // The certificate's distribution points, then a CRL of its issuer named by none
    // (a DP with neither reasons nor cRLIssuer, named after the issuer).
    for dp in points.iter().map(Some).chain([None]) {
        for (index, crl) in ctx.crls.iter().enumerate() {
            if reasons == all {
                return Status::Good;
            }
            if !issuer_matches(crl, cert, dp) {
                continue;
            }
            seen_crl = true;
            if crl.is_delta() || !crl.usable || !scope_covers(crl, cert, dp) {
                continue;
            }
            let interim = interim_reasons(crl, dp);
            if (interim & !reasons).is_empty() {
                continue;
            }
            // A certificate whose DP names itself as cRLIssuer vouches for itself (an
            // indirect CRL issuer, PKITS 4.14.30): the CA that issued it chose so.
            let vouching = dp.is_some_and(|d| d.crl_issuer.is_some()).then_some(cert);
            let Some(key) = crl_signer(ctx, crl, issuer, above, vouching) else {
                continue;
            };
            let delta = delta_for(ctx, crl, &key);
            if !crl.current_at(ctx.at) && delta.is_none() {
                continue;
            }
            // (i)–(k): the delta first; removeFromCRL there lifts a hold on the base.
            let listed = match delta.and_then(|d| entry(&ctx.crls[d], cert)) {
                Some(reason) => Some((reason, delta.unwrap_or(index))),
                None => entry(crl, cert).map(|r| (r, index)),
            };
            match listed {
                Some((CrlReason::RemoveFromCRL, _)) | None => {}
                Some((_, by)) => return Status::Revoked(by),
            }
            reasons |= interim;
        }
    }
    if reasons == all {
        Status::Good
    } else if seen_crl {
        Status::Unknown
    } else {
        Status::NoCrl
    }
}

fn all_reasons() -> flagset::FlagSet<Reasons> {
    flagset::FlagSet::<Reasons>::full() & !Reasons::Unused
}

fn is_ca(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate().get_extension::<BasicConstraints>(),
        Ok(Some((_, bc))) if bc.ca
    )
}

fn names_equal(a: &Name, b: &Name) -> bool {
    a == b || certval::compare_names(a, b)
}

fn general_names_equal(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::DirectoryName(x), GeneralName::DirectoryName(y)) => names_equal(x, y),
        _ => a == b,
    }
}

fn directory_names(names: &[GeneralName]) -> impl Iterator<Item = &Name> {
    names.iter().filter_map(|n| match n {
        GeneralName::DirectoryName(d) => Some(d),
        _ => None,
    })
}

/// (b)(1): a DP with cRLIssuer names the CRL issuer, and the CRL must say it is indirect;
/// otherwise the CRL is the certificate issuer's own.
fn issuer_matches(crl: &Crl, cert: &Certificate, dp: Option<&DistributionPoint>) -> bool {
    match dp.and_then(|d| d.crl_issuer.as_ref()) {
        Some(issuers) => {
            crl.indirect() && directory_names(issuers).any(|n| names_equal(n, crl.issuer()))
        }
        None => names_equal(crl.issuer(), cert.tbs_certificate().issuer()),
    }
}

/// A distribution point name as the GeneralNames it stands for; a relative name is appended
/// to `base` (the CRL issuer for an IDP, the cRLIssuer or certificate issuer for a DP).
fn full_names(name: &DistributionPointName, base: &Name) -> Vec<GeneralName> {
    match name {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            let mut seq = RdnSequence::from(base.clone());
            seq.push(rdn.clone());
            vec![GeneralName::DirectoryName(Name::hazmat_from_rdn_sequence(
                seq,
            ))]
        }
    }
}

/// (b)(2): the CRL's issuing distribution point covers this certificate through `dp`.
fn scope_covers(crl: &Crl, cert: &Certificate, dp: Option<&DistributionPoint>) -> bool {
    let Some(idp) = &crl.idp else {
        return true;
    };
    if let Some(idp_name) = &idp.distribution_point {
        let idp_names = full_names(idp_name, crl.issuer());
        let cert_issuer = cert.tbs_certificate().issuer();
        let dp_names: Vec<GeneralName> = match dp {
            Some(DistributionPoint {
                distribution_point: Some(name),
                crl_issuer,
                ..
            }) => {
                let base = crl_issuer
                    .as_deref()
                    .and_then(|i| directory_names(i).next())
                    .unwrap_or(cert_issuer);
                full_names(name, base)
            }
            Some(DistributionPoint {
                distribution_point: None,
                crl_issuer: Some(issuers),
                ..
            }) => issuers.clone(),
            _ => vec![GeneralName::DirectoryName(cert_issuer.clone())],
        };
        let common = idp_names
            .iter()
            .any(|a| dp_names.iter().any(|b| general_names_equal(a, b)));
        if !common {
            return false;
        }
    }
    let ca = is_ca(cert);
    !(idp.only_contains_user_certs && ca
        || idp.only_contains_ca_certs && !ca
        || idp.only_contains_attribute_certs)
}

/// (d): the reasons this CRL can settle for this distribution point.
fn interim_reasons(crl: &Crl, dp: Option<&DistributionPoint>) -> flagset::FlagSet<Reasons> {
    let all = all_reasons();
    let from_idp = crl.idp.as_ref().and_then(|i| i.only_some_reasons);
    let from_dp = dp.and_then(|d| d.reasons);
    match (from_idp, from_dp) {
        (Some(i), Some(d)) => i & d & all,
        (Some(m), None) | (None, Some(m)) => m & all,
        (None, None) => all,
    }
}

/// (f)–(g): the key that signed `crl`, from a certificate allowed to sign it: the
/// certificate's issuer, or another certificate of the CRL issuer's name (a separate CRL
/// key, a key rollover, an indirect CRL issuer) whose own path the caller validates.
fn crl_signer(
    ctx: &Context,
    crl: &Crl,
    issuer: &Certificate,
    above: &[Certificate],
    itself: Option<&Certificate>,
) -> Option<SubjectPublicKeyInfoOwned> {
    let named = |c: &&Certificate| names_equal(c.tbs_certificate().subject(), crl.issuer());
    let in_path = above.iter().rev().filter(named);
    let others = ctx.pool.iter().filter(named).filter(|c| !above.contains(c));
    let itself = itself.into_iter().filter(named);
    for cand in std::iter::once(issuer)
        .filter(named)
        .chain(in_path)
        .chain(itself.clone())
        .chain(others)
    {
        let spki = cand.tbs_certificate().subject_public_key_info();
        if !may_sign_crls(cand) || !signed_by(ctx, crl, spki) {
            continue;
        }
        if above.contains(cand) || itself.clone().any(|c| c == cand) || (ctx.signer_valid)(cand) {
            return Some(spki.clone());
        }
    }
    None
}

fn may_sign_crls(cert: &Certificate) -> bool {
    match cert.tbs_certificate().get_extension::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.0.contains(KeyUsages::CRLSign),
        Ok(None) => true,
        Err(_) => false,
    }
}

fn signed_by(ctx: &Context, crl: &Crl, spki: &SubjectPublicKeyInfoOwned) -> bool {
    let Ok(key) = spki.to_der() else {
        return false;
    };
    let lock = || crl.verified.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ok)) = lock().iter().find(|(k, _)| *k == key) {
        return *ok;
    }
    if !path_budget::charge() {
        return false;
    }
    let ok = algorithms::scheme_from_alg(&crl.signature_algorithm, None).is_ok_and(|scheme| {
        algorithms::verify(scheme, spki, &crl.tbs, &crl.signature, ctx.allow_sha1).is_ok()
    });
    let mut memo = lock();
    if memo.len() >= VERIFIED_CAP {
        memo.remove(0);
    }
    memo.push((key, ok));
    ok
}

/// The newest usable, current delta CRL for the complete CRL `base`: same issuer, same
/// scope, based on a CRL no newer than `base`, signed by the same key.
fn delta_for(ctx: &Context, base: &Crl, key: &SubjectPublicKeyInfoOwned) -> Option<usize> {
    let number = base.number.as_deref()?;
    ctx.crls
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.usable
                && d.delta_base
                    .as_deref()
                    .is_some_and(|b| uint_cmp(b, number).is_le())
                && names_equal(d.issuer(), base.issuer())
                && d.idp_der == base.idp_der
                && d.current_at(ctx.at)
        })
        .filter(|(_, d)| signed_by(ctx, d, key))
        .max_by(|(_, a), (_, b)| {
            uint_cmp(
                a.number.as_deref().unwrap_or_default(),
                b.number.as_deref().unwrap_or_default(),
            )
        })
        .map(|(i, _)| i)
}

/// Compares two unsigned big-endian integers as DER writes them.
fn uint_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|b| *b == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

/// The reason `crl` lists `cert` with, if it does (RFC 5280 §5.3.3: on an indirect CRL an
/// entry's issuer is the last certificateIssuer seen, else the CRL issuer).
fn entry(crl: &Crl, cert: &Certificate) -> Option<CrlReason> {
    let tbs = cert.tbs_certificate();
    crl.entries
        .get(tbs.serial_number().as_bytes())?
        .iter()
        .find(|(issuers, _)| {
            crl.entry_issuers[*issuers]
                .iter()
                .any(|n| names_equal(n, tbs.issuer()))
        })
        .map(|(_, reason)| *reason)
}
