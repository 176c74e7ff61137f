//! Provides a place to store CRLs for retrieval at a later time

use alloc::collections::BTreeMap;
use alloc::{vec, vec::Vec};
use core::ops::{Deref, DerefMut};
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use log::{debug, error};

use walkdir::WalkDir;

use sha2::{Digest, Sha256};

use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_ISSUING_DISTRIBUTION_POINT,
};
use der::{Decode, Encode};
use x509_cert::{certificate::Raw, crl::CertificateList, ext::pkix::IssuingDistributionPoint};

use crate::pdv_extension::ExtensionProcessing;
use crate::PathValidationStatus::RevocationStatusNotDetermined;
use crate::{buffer_to_hex, CheckRemoteResource, PathValidationStatus, RevocationStatusCache};
use crate::{
    get_file_as_byte_vec_pem, name_to_string, CrlSource, Error, PDVCertificate, PDVExtension,
    Result, SubjectNameAndKey, TimeOfInterest,
};

#[cfg(feature = "revocation")]
use crate::revocation::crl::{
    build_kept_serials, check_crl_validity, crl_covers_cert, get_crl_info, CrlInfo, CrlScope,
};

/// This is the inner structure in [`CrlSourceFolders`].
/// it is held under a read-write lock and various maps should be kept consistent with the content
/// of the `crl_info`.
struct CrlSourceFoldersInner {
    crl_info: Vec<CrlInfo>,
    issuer_map: IssuerMap,
    skid_map: SkidMap,
    dp_map: DpMap,
    /// Revoked serials of verified full/direct CRLs, keyed by CRL scope (not by crl_info index, so
    /// it is independent of the append-only crl_info vector). Populated only via keep_verified_crl,
    /// which the post-verification CRL processing path invokes; never populated by a cold index.
    kept: BTreeMap<CrlKey, KeptCrl>,
}

/// CrlSourceFolders provides a simple CRL store that supports storing CRL retrieved from remote
/// resources for subsequent use. When constructed with `keep_entries_in_memory` set (see
/// [`CrlSourceFolders::with_options`]) it also implements [`RevocationStatusCache`]: after a CRL is
/// verified and processed once (via `keep_verified_crl` from the CRL processing path), the revoked
/// serial numbers of full/direct CRLs are retained in memory so subsequent certificates under the
/// same scope are answered without re-parsing or re-verifying the CRL. Kept entries are bound to
/// the key that verified the CRL and answer only on behalf of that same issuing key, so issuers
/// sharing a subject name (e.g. across a key rollover) can never answer for one another. As a
/// RevocationStatusCache it answers only from those kept CRLs and abstains otherwise; register a
/// [`crate::RevocationCache`] alongside it to cache OCSP determinations and anything not covered by a
/// kept CRL.
#[readonly::make]
pub struct CrlSourceFolders {
    /// Folder where CRLs are stored
    #[readonly]
    pub crls_folder: String,

    /// When true, retain verified full/direct CRLs' revoked serials in memory (see the type doc).
    keep_entries_in_memory: bool,

    inner: RwLock<CrlSourceFoldersInner>,
}

/// Provides file-based remote URI status information (relative to a file folder, typically the CRLs
/// folder used by a CrlSourceFolders instance)
#[readonly::make]
pub struct RemoteStatus {
    /// Folder where remote status information is stored, i.e., last_modified_map.json. This is
    /// typically the same as the crls_folder used by a CrlSourceFolders instance
    #[readonly]
    pub lmm_folder: String,

    last_modified_map: RwLock<LastModifiedMap>,
}

type IssuerMap = BTreeMap<String, Vec<usize>>;
type SkidMap = BTreeMap<Vec<u8>, Vec<usize>>;
type DpMap = BTreeMap<Vec<u8>, Vec<usize>>;
type LastModifiedMap = BTreeMap<String, String>;
/// Scope key for kept CRL entries. Issuer-qualified so two issuers that share an idp name cannot
/// collide; the optional idp distinguishes distribution-point partitions within a single issuer.
/// The verifier SPKI binds the entries to the key that verified the CRL's signature: population
/// keys on the SPKI that did verify, lookup keys on the SPKI that would verify for the current
/// path, so issuers sharing a subject name (e.g. across a key rollover) occupy separate slots and
/// can never answer for one another's certificates.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CrlKey {
    issuer: String,
    idp: Option<String>,
    verifier_spki: Vec<u8>,
}

/// A kept CRL: the sorted revoked serial numbers plus the validity window through which they may be
/// used (mirroring check_crl_validity, the time of interest must fall within thisUpdate/nextUpdate).
/// Serial numbers are INTEGER value octets (canonical for a DER-decoded serial number). The
/// per-validation revocation max age was applied by the processing path that verified the CRL and is
/// not re-applied here; a validation configured with a stricter max age that shares this store gets
/// answers vetted under the policy in force at keep time.
struct KeptCrl {
    this_update: u64,
    next_update: u64,
    serials: Vec<Vec<u8>>,
}

#[cfg(feature = "revocation")]
fn crl_key(info: &CrlInfo, verifier_spki: &[u8]) -> CrlKey {
    CrlKey {
        issuer: info.issuer_name.clone(),
        idp: info.idp_name.clone(),
        verifier_spki: verifier_spki.to_vec(),
    }
}

impl CrlSourceFolders {
    /// Instantiates a new CrlSourceFolders instance that uses the indicated folder for storage and
    /// retrieval of CRLs.
    pub fn new(crls_folder: &str) -> Self {
        Self::with_options(crls_folder, false)
    }

    /// Instantiates a CrlSourceFolders instance that, when `keep_entries_in_memory` is true, retains
    /// the revoked serial numbers of each verified full/direct CRL in memory so subsequent
    /// certificates under the same scope are answered via the [`RevocationStatusCache`]
    /// implementation without re-parsing or re-verifying the CRL. Memory is traded for speed; a
    /// value of false yields the original file-backed behavior.
    pub fn with_options(crls_folder: &str, keep_entries_in_memory: bool) -> Self {
        CrlSourceFolders {
            crls_folder: crls_folder.to_string(),
            keep_entries_in_memory,
            inner: RwLock::new(CrlSourceFoldersInner {
                crl_info: vec![],
                issuer_map: BTreeMap::new(),
                dp_map: BTreeMap::new(),
                skid_map: BTreeMap::new(),
                kept: BTreeMap::new(),
            }),
        }
    }

    /// index_crls populates the internal name and IDP maps used to retrieve CRLs.
    pub fn index_crls(&self, toi: TimeOfInterest) -> Result<usize> {
        let mut inner = self.inner.write().map_err(|_| Error::Unrecognized)?;
        let inner = inner.deref_mut();
        index_crls_internal(
            self.crls_folder.as_str(),
            &mut inner.crl_info,
            &mut inner.issuer_map,
            &mut inner.dp_map,
            &mut inner.skid_map,
            toi,
        )
    }

    fn read_all_crls(&self) -> Result<Vec<Vec<u8>>> {
        let crl_info_guard = self.inner.read().map_err(|_| Error::LockGuardError)?;
        let crl_info = crl_info_guard.crl_info.as_slice();
        let mut retval = vec![];
        for ci in crl_info.iter() {
            let Some(filename) = &ci.filename else {
                continue;
            };

            if let Ok(crl_buf) = get_file_as_byte_vec_pem(Path::new(filename.as_str())) {
                retval.push(crl_buf);
            }
        }
        Ok(retval)
    }
}

impl CrlSourceFoldersInner {
    // A method on the inner struct (not on CrlSourceFolders) because it reads only inner's data and
    // operates through the read guard the caller already holds.
    fn read_crl_at_index(&self, index: usize) -> Option<Vec<u8>> {
        let ci = &self.crl_info[index];
        if let Some(filename) = &ci.filename {
            if let Ok(crl_buf) = get_file_as_byte_vec_pem(Path::new(filename.as_str())) {
                return Some(crl_buf);
            }
        }
        None
    }
}

impl RemoteStatus {
    /// Create new RemoteStatus instance
    pub fn new(folder: &str) -> Self {
        RemoteStatus {
            lmm_folder: folder.to_string(),
            last_modified_map: RwLock::new(Default::default()),
        }
    }
    fn load_lmm(&self, last_modified_map: &mut RwLockWriteGuard<'_, LastModifiedMap>) {
        let p = Path::new(&self.lmm_folder);
        let lmmp = p.join("last_modified_map.json");
        if let Some(lmmp) = lmmp.as_path().to_str() {
            last_modified_map.clear();
            let lmm = crate::file_utils::read_last_modified_map(lmmp);
            for k in lmm {
                if let std::collections::btree_map::Entry::Vacant(e) = last_modified_map.entry(k.0)
                {
                    e.insert(k.1);
                }
            }
        }
    }
}

impl RemoteStatus {
    /// Whether the CRL this URI last produced is still on disk.
    ///
    /// **The map records a time and nothing else, so on its own it asserts that a copy exists and
    /// nothing checks.** Remove the file -- a tidy, a purge, a folder moved -- and the next run
    /// sends `If-Modified-Since`, is told 304, and comes away with no CRL at all: the folder has
    /// nothing to offer and the fetch declined to transfer anything. That costs a *verdict* rather
    /// than a pool position, since a certificate whose CRL cannot be obtained is undetermined
    /// rather than not-revoked.
    ///
    /// No map of its own is needed here, unlike the certificate side: `add_crl` names a CRL
    /// `sha256(uri)` in hex, so the file a URI produced is derivable from the URI.
    ///
    /// Checked against `lmm_folder`, which is where the caller is expected to keep both -- pittv3
    /// builds this and its `CrlSourceFolders` from one `crl_folder` argument. A caller that splits
    /// them gets a conservative answer rather than a wrong one: the file looks absent, so no
    /// conditional request is made and the CRL is fetched in full.
    fn crl_present(&self, uri: &str) -> bool {
        let hex = buffer_to_hex(Sha256::digest(uri).to_vec().as_slice());
        if hex.is_empty() {
            return false;
        }
        Path::new(self.lmm_folder.as_str())
            .join(format!("{hex}.crl"))
            .is_file()
    }
}

impl CheckRemoteResource for RemoteStatus {
    /// get_last_modified takes a URI and returns stored last modified value or None.
    ///
    /// `None` when the CRL that value describes is no longer on disk, so a conditional request is
    /// only made when a 304 can be honoured -- see `crl_present`.
    fn get_last_modified(&self, uri: &str) -> Option<String> {
        if !self.crl_present(uri) {
            return None;
        }
        // Fast path: once the map has been loaded a shared read lock suffices.
        {
            let last_modified_map = self.last_modified_map.read().ok()?;
            if !last_modified_map.is_empty() {
                return last_modified_map.get(uri).cloned();
            }
        }
        // The map has not been loaded yet; take the write lock to populate it, then read.
        let mut last_modified_map = self.last_modified_map.write().ok()?;
        if last_modified_map.is_empty() {
            self.load_lmm(&mut last_modified_map);
        }
        last_modified_map.get(uri).cloned()
    }
    /// Save last modified value, if desired
    fn set_last_modified(&self, uri: &str, last_modified: &str) {
        // Update the in-memory map and serialize it (both in-memory operations) under the write
        // lock, but release the lock before writing to disk so the slow filesystem I/O does not
        // block other readers and writers.
        let json_lmm = {
            let mut last_modified_map = if let Ok(l) = self.last_modified_map.write() {
                l
            } else {
                return;
            };
            if last_modified_map.is_empty() {
                self.load_lmm(&mut last_modified_map);
            }
            // Insert unconditionally, and serialize only when the value moved. The map is
            // written whole, so a write on every fetch would be a write per CRL check; a CA that
            // reissues supplies a new Last-Modified, which is the case the conditional request
            // exists for.
            let previous = last_modified_map.insert(uri.to_string(), last_modified.to_string());
            if previous.as_deref() == Some(last_modified) {
                None
            } else {
                serde_json::to_string(&last_modified_map.deref()).ok()
            }
        };

        if let Some(json_lmm) = json_lmm {
            let p = Path::new(&self.lmm_folder);
            let lmmp = p.join("last_modified_map.json");
            if fs::write(lmmp, json_lmm).is_err() {
                error!("Unable to write last modified map file",);
            }
        }
    }
}

impl CrlSource for CrlSourceFolders {
    fn get_all_crls(&self) -> Result<Vec<Vec<u8>>> {
        self.read_all_crls()
    }

    fn add_crl(&self, crl_buf: &[u8], crl: &CertificateList<Raw>, uri: &str) -> Result<()> {
        let mut cur_crl_info = get_crl_info(crl)?;
        let digest = Sha256::digest(uri).to_vec();
        let hex = buffer_to_hex(digest.as_slice());
        if !hex.is_empty() {
            let filename = format!("{hex}.crl");
            let path = Path::new(self.crls_folder.as_str()).join(filename);
            if let Err(_e) = std::fs::write(&path, crl_buf) {
                return Err(Error::Unrecognized);
            }
            cur_crl_info.filename = path.to_str().map(|s| s.to_string());
            cur_crl_info.uri = Some(uri.to_string());

            let mut inner = self.inner.write().map_err(|_| Error::Unrecognized)?;
            let inner = inner.deref_mut();
            add_crl_info(
                &mut inner.crl_info,
                &mut inner.issuer_map,
                &mut inner.dp_map,
                &mut inner.skid_map,
                crl,
                cur_crl_info,
            );
        }
        Ok(())
    }

    fn get_crls(&self, cert: &PDVCertificate) -> Result<Vec<Vec<u8>>> {
        let inner = self.inner.read().map_err(|_| Error::Unrecognized)?;

        if let Some(dps) = get_dps_from_cert(cert) {
            for dp in dps {
                if inner.dp_map.contains_key(&dp) {
                    let indices = &inner.dp_map[&dp];
                    let mut retval = vec![];
                    for index in indices {
                        if let Some(crl_buf) = inner.read_crl_at_index(*index) {
                            retval.push(crl_buf);
                        }
                    }
                    return Ok(retval);
                }
            }
        }

        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(akid))) =
            cert.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER)
        {
            if let Some(kid) = &akid.key_identifier {
                if inner.skid_map.contains_key(kid.as_bytes()) {
                    let indices = &inner.skid_map[&kid.as_bytes().to_vec()];
                    let mut retval = vec![];
                    for index in indices {
                        if let Some(crl_buf) = inner.read_crl_at_index(*index) {
                            retval.push(crl_buf);
                        }
                    }
                    return Ok(retval);
                }
            }
        }

        let issuer_name = name_to_string(cert.decoded().tbs_certificate().issuer());
        if inner.issuer_map.contains_key(&issuer_name) {
            let indices = &inner.issuer_map[&issuer_name];
            let mut retval = vec![];
            for index in indices {
                if let Some(crl_buf) = inner.read_crl_at_index(*index) {
                    retval.push(crl_buf);
                }
            }
            return Ok(retval);
        }
        Err(Error::NotFound)
    }

    #[cfg_attr(not(feature = "revocation"), allow(unused_variables))]
    fn keep_verified_crl(
        &self,
        _crl_buf: &[u8],
        crl: &CertificateList<Raw>,
        verifier: &dyn SubjectNameAndKey,
        toi: TimeOfInterest,
        retain_expired: bool,
    ) -> Result<()> {
        #[cfg(feature = "revocation")]
        {
            if !self.keep_entries_in_memory {
                return Ok(());
            }
            let info = match get_crl_info(crl) {
                Ok(info) => info,
                Err(_e) => return Ok(()),
            };
            // A CRL with no nextUpdate cannot be freshness-bounded, mirroring add_status which only
            // caches determinations that carry a nextUpdate.
            let next_update = match info.next_update {
                Some(nu) => nu,
                None => return Ok(()),
            };
            // The kept entries are bound to the key that verified the CRL; with no encodable SPKI
            // there is nothing sound to bind to, so decline to keep.
            let verifier_spki = match verifier.spki().to_der() {
                Ok(spki) => spki,
                Err(_e) => return Ok(()),
            };
            let serials = match build_kept_serials(crl, &info) {
                Some(serials) => serials,
                None => return Ok(()),
            };
            let key = crl_key(&info, &verifier_spki);
            let mut inner = self.inner.write().map_err(|_| Error::Unrecognized)?;
            // unless configured to retain expired entries (for retroactive / past-time-of-interest
            // checks such as long-term validation), drop stale CRLs.
            if !retain_expired {
                let toi_secs = toi.as_unix_secs();
                inner.kept.retain(|_, k| k.next_update > toi_secs);
            }
            // Latest-verified wins so a reissued CRL replaces stale serials for the same scope.
            // Replacement only ever compares CRLs verified by the same key, since the key is part
            // of the slot identity.
            let fresher = inner
                .kept
                .get(&key)
                .is_none_or(|k| next_update >= k.next_update);
            if fresher {
                inner.kept.insert(
                    key,
                    KeptCrl {
                        this_update: info.this_update,
                        next_update,
                        serials,
                    },
                );
            }
        }
        Ok(())
    }
}

#[cfg(feature = "revocation")]
impl CrlSourceFoldersInner {
    /// Candidate crl_info indices for a certificate, mirroring the distribution-point / SKID /
    /// issuer-name lookup precedence used by get_crls. Used by the RevocationStatusCache path.
    fn matching_indices(&self, cert: &PDVCertificate) -> Vec<usize> {
        if let Some(dps) = get_dps_from_cert(cert) {
            for dp in dps {
                if let Some(indices) = self.dp_map.get(&dp) {
                    return indices.clone();
                }
            }
        }
        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(akid))) =
            cert.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER)
        {
            if let Some(kid) = &akid.key_identifier {
                if let Some(indices) = self.skid_map.get(kid.as_bytes()) {
                    return indices.clone();
                }
            }
        }
        let issuer_name = name_to_string(cert.decoded().tbs_certificate().issuer());
        self.issuer_map
            .get(&issuer_name)
            .cloned()
            .unwrap_or_default()
    }
}

fn get_dps_from_cert(cert: &PDVCertificate) -> Option<Vec<Vec<u8>>> {
    match cert.get_extension(&ID_CE_CRL_DISTRIBUTION_POINTS) {
        Ok(Some(PDVExtension::CrlDistributionPoints(crl_dps))) => {
            let mut retval = vec![];
            for crl_dp in &crl_dps.0 {
                if let Some(dp) = &crl_dp.distribution_point {
                    if let Ok(enc_dp) = dp.to_der() {
                        retval.push(enc_dp);
                    }
                }
            }
            Some(retval)
        }
        _ => None,
    }
}

fn get_dp_from_crl(crl: &CertificateList<Raw>) -> Option<Vec<u8>> {
    if let Some(exts) = &crl.tbs_cert_list.crl_extensions {
        for ext in exts {
            if ext.extn_id == ID_CE_ISSUING_DISTRIBUTION_POINT {
                if let Ok(idp) = IssuingDistributionPoint::from_der(ext.extn_value.as_bytes()) {
                    if let Some(dp) = idp.distribution_point {
                        if let Ok(enc_dp) = dp.to_der() {
                            return Some(enc_dp);
                        }
                    }
                }
            }
        }
    }
    None
}

fn add_crl_info(
    crl_info: &mut Vec<CrlInfo>,
    issuer_map: &mut BTreeMap<String, Vec<usize>>,
    idp_map: &mut BTreeMap<Vec<u8>, Vec<usize>>,
    skid_map: &mut BTreeMap<Vec<u8>, Vec<usize>>,
    crl: &CertificateList<Raw>,
    cur_crl_info: CrlInfo,
) {
    if !crl_info.contains(&cur_crl_info) {
        let mut is_dp = false;

        let ti = cur_crl_info.type_info;
        crl_info.push(cur_crl_info.clone());
        let index = crl_info.len() - 1;

        // delta CRLs are not supported (no base+delta merge); leave them unindexed so a
        // lone delta is never served for processing as if it were a complete CRL
        if CrlScope::Delta == ti.scope || CrlScope::DeltaDp == ti.scope {
            return;
        }

        if let Some(dp) = get_dp_from_crl(crl) {
            // assuming that partitions are managed such that key rollover does not occur
            //  within a partition
            if idp_map.contains_key(&dp) {
                let mut v = idp_map[&dp].clone();
                v.push(index);
                idp_map.insert(dp, v);
            } else {
                idp_map.insert(dp, vec![index]);
            }
            is_dp = true;
        } else if let Some(akid) = &cur_crl_info.skid {
            if skid_map.contains_key(akid) {
                let mut v = skid_map[akid].clone();
                v.push(index);
                skid_map.insert(akid.clone(), v);
            } else {
                skid_map.insert(akid.clone(), vec![index]);
            }
        }

        if !is_dp && ti.scope == CrlScope::Complete {
            let issuer_name = name_to_string(&crl.tbs_cert_list.issuer);
            if issuer_map.contains_key(&issuer_name) {
                let mut v = issuer_map[&issuer_name].clone();
                v.push(index);
                issuer_map.insert(issuer_name, v);
            } else {
                issuer_map.insert(issuer_name, vec![index]);
            }
        }
    }
}

fn index_crls_internal(
    crls_folder: &str,
    crl_info: &mut Vec<CrlInfo>,
    issuer_map: &mut BTreeMap<String, Vec<usize>>,
    idp_map: &mut BTreeMap<Vec<u8>, Vec<usize>>,
    skid_map: &mut BTreeMap<Vec<u8>, Vec<usize>>,
    toi: TimeOfInterest,
) -> Result<usize> {
    let initial_count = crl_info.len();
    for entry in WalkDir::new(crls_folder) {
        match entry {
            Ok(e) => {
                // `WalkDir` descends into every subfolder itself, so a directory entry needs nothing
                // further; the CRLs beneath it arrive as entries of their own.
                if e.file_type().is_dir() {
                    continue;
                } else {
                    let file_exts = ["crl"];
                    if let Some(ext) = e.path().extension().and_then(OsStr::to_str) {
                        if !file_exts.contains(&ext) {
                            continue;
                        }
                    } else {
                        continue;
                    }

                    let crl_buf = match get_file_as_byte_vec_pem(e.path()) {
                        Ok(crl_buf) => crl_buf,
                        Err(err) => {
                            error!("Failed to read CRL at {} with {err}", e.path().display());
                            continue;
                        }
                    };

                    let crl = match CertificateList::from_der(crl_buf.as_slice()) {
                        Ok(crl) => crl,
                        Err(e) => {
                            error!("Failed to parse CRL with {e}");
                            continue;
                        }
                    };
                    match get_crl_info(&crl) {
                        Ok(mut cur_crl_info) => {
                            if let Some(filename) = e.path().to_str() {
                                cur_crl_info.filename = Some(filename.to_string());
                            }

                            // Store indexing is lenient about an absent nextUpdate (Duration::MAX):
                            // the fail-closed staleness decision belongs to path validation, which
                            // reads the operator's PS_REVOCATION_MAX_AGE. A nextUpdate-less CRL is
                            // therefore indexed, since a validation configured with a tolerance can
                            // still use it.
                            //
                            // A CRL that does not cover the time of interest is skipped, NOT deleted.
                            // Skipping leaves the file for a run whose time of interest it does cover.
                            if check_crl_validity(toi, core::time::Duration::MAX, &crl).is_ok() {
                                add_crl_info(
                                    crl_info,
                                    issuer_map,
                                    idp_map,
                                    skid_map,
                                    &crl,
                                    cur_crl_info,
                                );
                            } else if let Some(filename) = e.path().to_str() {
                                debug!(
                                    "Not indexing {filename}: it does not cover the time of interest"
                                );
                            }
                        }
                        Err(_) => {
                            continue;
                        }
                    }
                }
            }
            _ => {
                error!("Failed to unwrap directory entry while indexing CRLs");
                continue;
            }
        }
    }
    Ok(crl_info.len() - initial_count)
}

impl RevocationStatusCache for CrlSourceFolders {
    /// Answers only from the in-memory kept CRLs (populated via keep_verified_crl); abstains with
    /// RevocationStatusNotDetermined otherwise. A per-certificate memo registered alongside (e.g. a
    /// [`crate::RevocationCache`]) handles OCSP determinations and anything not covered by a kept CRL --
    /// PkiEnvironment::get_status consults each registered cache in turn and returns the first
    /// determination.
    #[cfg_attr(not(feature = "revocation"), allow(unused_variables))]
    fn get_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        time_of_interest: TimeOfInterest,
    ) -> PathValidationStatus {
        #[cfg(feature = "revocation")]
        {
            // The kept slot is keyed by the SPKI that verified the CRL; look it up with the SPKI
            // that would verify a CRL for this certificate (its issuer on the current path). A CRL
            // verified by a different key than the one that issued the certificate can therefore
            // never answer for it, no matter how its names line up — the miss falls through to full
            // processing, which settles matters with a signature check.
            let verifier_spki = match issuer.spki().to_der() {
                Ok(spki) => spki,
                Err(_e) => return RevocationStatusNotDetermined,
            };
            if let Ok(inner) = self.inner.read() {
                let serial = cert
                    .decoded()
                    .tbs_certificate()
                    .serial_number()
                    .as_bytes()
                    .to_vec();
                for idx in inner.matching_indices(cert) {
                    let info = match inner.crl_info.get(idx) {
                        Some(info) => info,
                        None => continue,
                    };
                    let kept = match inner.kept.get(&crl_key(info, &verifier_spki)) {
                        Some(kept) => kept,
                        None => continue,
                    };
                    // Freshness mirrors check_crl_validity in both directions: the time of interest
                    // must fall within the kept CRL's thisUpdate/nextUpdate window.
                    let toi_secs = time_of_interest.as_unix_secs();
                    if kept.this_update > toi_secs || kept.next_update <= toi_secs {
                        continue;
                    }
                    if crl_covers_cert(cert, info).is_err() {
                        continue;
                    }
                    return if kept.serials.binary_search(&serial).is_ok() {
                        PathValidationStatus::CertificateRevoked
                    } else {
                        PathValidationStatus::Valid
                    };
                }
            }
        }
        RevocationStatusNotDetermined
    }

    // Nothing to record: this store answers only from kept CRLs. Determinations are cached by a
    // separately-registered RevocationStatusCache (e.g. RevocationCache).
    fn add_status(
        &self,
        _cert: &PDVCertificate,
        _issuer: &dyn SubjectNameAndKey,
        _next_update: u64,
        _status: PathValidationStatus,
    ) {
    }
}

// A single CrlSourceFolders often needs to be registered in two roles at once: as a CrlSource
// (which populates the in-memory kept CRLs via keep_verified_crl) and as a RevocationStatusCache
// (which answers from them). Because the kept state is mutated at runtime, both roles must observe
// the same instance, so consumers share one via Arc and register a clone in each role. These
// delegating implementations let `Arc<CrlSourceFolders>` satisfy both traits.
impl CrlSource for Arc<CrlSourceFolders> {
    fn get_all_crls(&self) -> Result<Vec<Vec<u8>>> {
        (**self).get_all_crls()
    }
    fn get_crls(&self, cert: &PDVCertificate) -> Result<Vec<Vec<u8>>> {
        (**self).get_crls(cert)
    }
    fn add_crl(&self, crl_buf: &[u8], crl: &CertificateList<Raw>, uri: &str) -> Result<()> {
        (**self).add_crl(crl_buf, crl, uri)
    }
    fn keep_verified_crl(
        &self,
        crl_buf: &[u8],
        crl: &CertificateList<Raw>,
        verifier: &dyn SubjectNameAndKey,
        toi: TimeOfInterest,
        retain_expired: bool,
    ) -> Result<()> {
        (**self).keep_verified_crl(crl_buf, crl, verifier, toi, retain_expired)
    }
}

impl RevocationStatusCache for Arc<CrlSourceFolders> {
    fn get_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        time_of_interest: TimeOfInterest,
    ) -> PathValidationStatus {
        (**self).get_status(cert, issuer, time_of_interest)
    }
    fn add_status(
        &self,
        cert: &PDVCertificate,
        issuer: &dyn SubjectNameAndKey,
        next_update: u64,
        status: PathValidationStatus,
    ) {
        (**self).add_status(cert, issuer, next_update, status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckRemoteResource;

    /// The file `add_crl` would have written for `uri`, which is what a stored last-modified value
    /// describes.
    fn crl_path(folder: &str, uri: &str) -> std::path::PathBuf {
        let hex = buffer_to_hex(Sha256::digest(uri).to_vec().as_slice());
        Path::new(folder).join(format!("{hex}.crl"))
    }

    // A stored last-modified value must be readable both in memory and, after the write released the
    // lock and persisted the map, from a fresh instance over the same folder.
    #[test]
    fn last_modified_round_trips_through_disk() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        let uri = "http://example.test/crl";
        let value = "Mon, 01 Jan 2035 00:00:00 GMT";

        // The CRL the value describes. A stored time with no file behind it is deliberately not
        // reported -- see the test below -- so the round trip needs the file that a fetch would
        // have written.
        std::fs::write(crl_path(folder, uri), b"not a real CRL").unwrap();

        let rs = RemoteStatus::new(folder);
        rs.set_last_modified(uri, value);
        assert_eq!(rs.get_last_modified(uri), Some(value.to_string()));

        // A fresh instance loads the value written to disk, confirming the out-of-lock write persisted.
        let rs2 = RemoteStatus::new(folder);
        assert_eq!(rs2.get_last_modified(uri), Some(value.to_string()));
        assert_eq!(rs2.get_last_modified("http://example.test/other"), None);
    }

    // A CA that reissues its CRL supplies a new Last-Modified, and the stored value has to follow
    // it. Otherwise every later fetch sends the first value and is answered with the whole CRL, so
    // the conditional request works exactly once per URI, between the first fetch and the first
    // reissue.
    #[test]
    fn a_rotated_crl_replaces_the_stored_last_modified() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        let uri = "http://example.test/crl";
        let first = "Mon, 01 Jan 2035 00:00:00 GMT";
        let second = "Tue, 02 Jan 2035 00:00:00 GMT";

        std::fs::write(crl_path(folder, uri), b"not a real CRL").unwrap();

        let rs = RemoteStatus::new(folder);
        rs.set_last_modified(uri, first);
        rs.set_last_modified(uri, second);
        assert_eq!(rs.get_last_modified(uri), Some(second.to_string()));

        // The replacement reached disk, so the next process sends the new value too.
        let rs2 = RemoteStatus::new(folder);
        assert_eq!(rs2.get_last_modified(uri), Some(second.to_string()));
    }

    // A last-modified value is a claim that a CRL is on disk, and the claim is checked. Without
    // this, removing the file leaves the next run sending If-Modified-Since, being told 304, and
    // holding no CRL at all -- the folder has nothing and the fetch transferred nothing, which
    // turns a revocation determination undetermined rather than merely costing a re-fetch.
    #[test]
    fn a_last_modified_value_is_not_offered_once_its_crl_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        let uri = "http://example.test/crl";
        let value = "Mon, 01 Jan 2035 00:00:00 GMT";

        let path = crl_path(folder, uri);
        std::fs::write(&path, b"not a real CRL").unwrap();
        let rs = RemoteStatus::new(folder);
        rs.set_last_modified(uri, value);
        assert_eq!(rs.get_last_modified(uri), Some(value.to_string()));

        // Tidied, purged, or the folder replaced: the value stays in the map and stops being
        // offered, so the next request is unconditional and the CRL comes back in full.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(rs.get_last_modified(uri), None);
    }

    // One CRL, written twice: AmazonRootCA1.der.crl and AmazonRootCA1.pem.crl differ only in
    // encoding, so indexing them side by side and demanding the same CrlInfo from each requires the
    // PEM decode to be transparent rather than merely non-fatal. Every other CRL fixture in the
    // repository is bare DER, which left PEM CRL support resting on a decoder that certificates
    // exercised and CRLs did not: narrowing it would have stopped armored CRLs loading with nothing
    // failing.
    #[test]
    fn a_pem_encoded_crl_indexes_as_its_der_counterpart() {
        let fixtures = Path::new("tests/examples/pem_crl");
        let der = fixtures.join("AmazonRootCA1.der.crl");
        let pem = fixtures.join("AmazonRootCA1.pem.crl");

        // The premise the rest of the test rests on, checked rather than taken on trust from how the
        // pair was minted: regenerating one file and not the other then fails as the mismatched pair
        // it is, instead of looking like a decoder fault.
        assert_eq!(
            get_file_as_byte_vec_pem(&pem).unwrap(),
            fs::read(&der).unwrap()
        );

        // Indexed from a copy, which used to be necessary because indexing deleted any CRL not
        // valid at the time of interest and this CRL expired in 2022. Indexing no longer deletes
        // anything, so the copy is now only isolation from whatever else a test run does.
        let dir = tempfile::tempdir().unwrap();
        for name in ["AmazonRootCA1.der.crl", "AmazonRootCA1.pem.crl"] {
            fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
        }

        let cs = CrlSourceFolders::new(dir.path().to_str().unwrap());
        assert_eq!(2, cs.index_crls(TimeOfInterest::disabled()).unwrap());

        let inner = cs.inner.read().unwrap();
        let mut infos = inner.crl_info.clone();
        assert_eq!(2, infos.len());
        // The filename is the one field that legitimately differs between the two.
        for info in infos.iter_mut() {
            info.filename = None;
        }
        assert_eq!(infos[0], infos[1]);
        assert!(infos[0].issuer_name.contains("Amazon Root CA 1"));
    }

    // A folder holding one good CRL and one file that cannot be parsed must keep the good one
    // instead of returning prematurely.
    #[test]
    fn premature_return_upon_crl_parse_error() {
        let fixtures = Path::new("tests/examples/pem_crl");

        // Copied for the same reason as the test above. Indexing no longer deletes anything, so the
        // copy is belt and braces rather than a requirement.
        let dir = tempfile::tempdir().unwrap();
        fs::copy(
            fixtures.join("AmazonRootCA1.der.crl"),
            dir.path().join("AmazonRootCA1.der.crl"),
        )
        .unwrap();

        // Use notionally PEM-encoded CRL with a body that is not base64
        fs::write(
            dir.path().join("truncated.crl"),
            b"-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n",
        )
        .unwrap();

        let cs = CrlSourceFolders::new(dir.path().to_str().unwrap());
        assert_eq!(1, cs.index_crls(TimeOfInterest::disabled()).unwrap());

        let inner = cs.inner.read().unwrap();
        assert_eq!(1, inner.crl_info.len());
        assert!(inner.crl_info[0].issuer_name.contains("Amazon Root CA 1"));
    }
}
