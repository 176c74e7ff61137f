//! The cert_source module provides implementation of a manually populated in-memory certificate
//! store with serialization and certification path building support.
//!
//! The following snip, similar to code in [PITTv3](https://github.com/carl-wallace/rust-pki/tree/main/pittv3), illustrates preparation
//! and use of a [`CertSource`] object.
//!
//! ```
//! use certval::PkiEnvironment;
//! use certval::CertSource;
//!
//! // the default PkiEnvironment uses `oid_lookup` to look up friendly names for OIDs
//! let mut pe = PkiEnvironment::default();
//!
//! let mut cert_source = CertSource::default();
//! // Add certificates with `CertVector::push`, or, in a build with the `std` feature, read a
//! // folder of them with `cert_folder_to_vec`. Then call
//! // [`initialize`](crate::CertSource::initialize) to parse them and build the key identifier and
//! // subject name indexes. Partial paths need not be supplied: leave them empty and call
//! // [`find_all_partial_paths`](crate::CertSource::find_all_partial_paths) to discover them.
//!
//! // add cert_source to provide access to intermediate CA certificates
//!  pe.add_certificate_source(Box::new(cert_source.clone()));
//! ```
//!
//! [`CertSource`] instances are used when preparing a serialized file containing intermediate CA
//! certificates and partial paths (see [`find_all_partial_paths`](crate::CertSource::find_all_partial_paths)).
//!

use alloc::{
    boxed::Box,
    collections::BTreeMap,
    string::{String, ToString},
};
use alloc::{format, vec, vec::Vec};

use log::{debug, error, info};

use ciborium::ser::into_writer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_NAME_CONSTRAINTS,
    ID_CE_SUBJECT_ALT_NAME, ID_CE_SUBJECT_KEY_IDENTIFIER,
};
use der::Decode;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::CertificateInner;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::{
    compare_names,
    environment::pki_environment_traits::*,
    get_leaf_rdn,
    pdv_certificate::*,
    pdv_extension::*,
    pdv_trust_anchor::get_trust_anchor_name,
    source::rows::*,
    source::ta_source::*,
    util::error::*,
    util::pdv_utilities::{is_self_issued, name_to_string, valid_at_time},
    CertificateSource, CertificationPath, CertificationPathSettings, ExtensionProcessing,
    NameConstraintsSet, PDVCertificate, PkiEnvironment, TimeOfInterest,
    PS_MAX_PATH_LENGTH_CONSTRAINT,
};

use ciborium::from_reader;

/// The largest a DER-encoded certificate may declare itself to be when read as a CBOR sequence of
/// bytes. Not a size a certificate is expected to reach; it is the point past which a declared
/// length is a statement about the encoding rather than about a certificate.
const MAX_DER_BYTES: usize = 16 * 1024 * 1024;

/// The CertFile struct associates a string, notionally containing a filename or URI, with a vector
/// of bytes. The vector of bytes is assumed to contain a binary DER encoded certificate.
#[derive(Clone, Serialize, Deserialize)]
pub struct CertFile {
    /// The filename field enables association of a string value, possibly a filename or URI, with a binary certificate
    pub filename: String,

    /// The bytes field stores a binary DER encoded certificate
    #[serde(serialize_with = "serialize_der", deserialize_with = "deserialize_der")]
    pub bytes: Vec<u8>,
}

/// Writes a certificate as a CBOR byte string.
///
/// `Vec<u8>` has no distinguished representation in serde: its `Serialize` goes through the
/// sequence path, so a DER-encoded certificate came out as one CBOR integer per octet. Every octet
/// of 24 or more then costs two bytes rather than one, which for real material is not a rounding
/// error -- measured at **1.80x** across the 2,563 certificates of the Web PKI store, where 3.41 MB
/// of DER occupied 6.12 MB. That is the file a browser downloads when a store is selected.
fn serialize_der<S: Serializer>(
    bytes: &[u8],
    serializer: S,
) -> core::result::Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Reads a certificate written either way.
///
/// Deliberately asymmetric with [`serialize_der`]: new stores are written as byte strings, and
/// stores written before that change -- every `.cbor` generated up to this point -- are still read.
/// Without this, halving the size would mean a flag day for every store on disk, in the trust store
/// provider crates, and in the browser application's resources.
fn deserialize_der<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> core::result::Result<Vec<u8>, D::Error> {
    struct DerVisitor;

    impl<'de> serde::de::Visitor<'de> for DerVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a DER-encoded certificate as a byte string or a sequence of bytes")
        }

        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> core::result::Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: serde::de::Error>(
            self,
            v: Vec<u8>,
        ) -> core::result::Result<Vec<u8>, E> {
            Ok(v)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> core::result::Result<Vec<u8>, A::Error> {
            // The element count comes from the array header and nothing has checked it against
            // the bytes that follow, while both apps offer this decoder whatever a user chose to
            // open. A declared length is therefore refused rather than allocated from, so it costs
            // nothing before the bytes arrive. The ceiling sits well above any certificate: the
            // largest Classic McEliece public key is about 1.3 MB, and the signatures that drive
            // the other PQC sizes are far smaller.
            if seq
                .size_hint()
                .is_some_and(|declared| declared > MAX_DER_BYTES)
            {
                return Err(serde::de::Error::custom(
                    "declared length exceeds any certificate",
                ));
            }
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_any(DerVisitor)
}

impl PartialEq for CertFile {
    /// Equality only checks that the `bytes` fields are equal, i.e., the `filename` fields are ignored
    /// (so as to not return mismatch for cert from file vs one from URI)
    fn eq(&self, other: &CertFile) -> bool {
        self.bytes == other.bytes
    }
}

/// BuffersAndPaths is the target of serialization and deserialization. It features a vector
/// of [`CertFile`] structures (which contain buffers containing binary DER-encoded certificates)
/// and a vector of maps that feature vectors of indices of items in the buffers vector. Each vector
/// of indices denotes a partial certification path (featuring intermediate CAs only).
///
/// The first index in a vector of indices corresponds to a certificate signed by a trust anchor that
/// was available when partial paths were discovered. The last index is a leaf CA and is what is
/// used when building certification paths. For example, the authority key identifier from a target
/// certificate is used to as a map key to find partial paths beginning from shortest to longest.
/// Partial paths are subject to some basic immutable validation checks (i.e., name chaining, name
/// constraints and signature verification) as well as a validity check relative to specified time
/// of interest, which is typically current time.
///
/// This structure is deserialized into a field of a CertSource instance the the certs buffer and
/// name_map and skid_map fields are populated. See [CertSource] for a deserialization example.
///
/// Below is the JSON representation of a sample CBOR file featuring two intermediate CA
/// certificates. When this is paired with a TA store containing two trust anchors (corresponding to
/// the issuers of each intermediate CA certificate), the resulting partial paths vector is as shown,
/// with two partial paths.
///
/// ```json
/// {"buffers": [
///   {"filename": "76.der",
///    "bytes": [48, 130, 5, 70, 48, 130, 4, 46, 160, 3, 2, 1, 2, 2, 2, 8, 123, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 11, 5, 0, 48, 108, 49, 11, 48, 9, 6, 3, 85, 4, 6, 19, 2, 85, 83, 49, 24, 48, 22, 6, 3, 85, 4, 10, 19, 15, 85, 46, 83, 46, 32, 71, 111, 118, 101, 114, 110, 109, 101, 110, 116, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 68, 111, 68, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 80, 75, 73, 49, 39, 48, 37, 6, 3, 85, 4, 3, 19, 30, 68, 111, 68, 32, 73, 110, 116, 101, 114, 111, 112, 101, 114, 97, 98, 105, 108, 105, 116, 121, 32, 82, 111, 111, 116, 32, 67, 65, 32, 50, 48, 30, 23, 13, 50, 49, 49, 49, 49, 54, 49, 52, 53, 55, 49, 54, 90, 23, 13, 50, 52, 49, 49, 49, 54, 49, 52, 53, 55, 49, 54, 90, 48, 91, 49, 11, 48, 9, 6, 3, 85, 4, 6, 19, 2, 85, 83, 49, 24, 48, 22, 6, 3, 85, 4, 10, 19, 15, 85, 46, 83, 46, 32, 71, 111, 118, 101, 114, 110, 109, 101, 110, 116, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 68, 111, 68, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 80, 75, 73, 49, 22, 48, 20, 6, 3, 85, 4, 3, 19, 13, 68, 111, 68, 32, 82, 111, 111, 116, 32, 67, 65, 32, 51, 48, 130, 1, 34, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 1, 5, 0, 3, 130, 1, 15, 0, 48, 130, 1, 10, 2, 130, 1, 1, 0, 169, 236, 20, 114, 138, 232, 75, 112, 163, 218, 16, 3, 132, 166, 251, 167, 54, 13, 42, 58, 82, 22, 191, 48, 21, 82, 134, 5, 71, 32, 207, 170, 166, 205, 117, 196, 100, 110, 239, 241, 96, 35, 203, 10, 102, 64, 174, 180, 200, 104, 42, 0, 81, 104, 73, 55, 233, 89, 50, 77, 149, 188, 67, 39, 233, 64, 141, 58, 16, 206, 20, 188, 67, 24, 161, 249, 222, 204, 231, 133, 118, 115, 94, 24, 26, 35, 91, 189, 63, 31, 242, 237, 141, 25, 204, 3, 209, 64, 164, 143, 167, 32, 2, 76, 39, 90, 121, 54, 246, 163, 55, 33, 142, 0, 90, 6, 22, 202, 211, 85, 150, 111, 49, 41, 187, 114, 14, 203, 226, 72, 81, 242, 212, 55, 164, 53, 214, 111, 238, 23, 179, 177, 6, 171, 11, 25, 134, 232, 35, 109, 49, 27, 40, 120, 101, 197, 222, 98, 82, 188, 193, 125, 235, 238, 160, 93, 84, 4, 251, 178, 203, 43, 178, 35, 84, 145, 130, 76, 240, 191, 186, 116, 64, 59, 12, 4, 69, 128, 103, 92, 197, 235, 162, 87, 195, 26, 127, 10, 45, 189, 127, 185, 220, 193, 153, 176, 200, 7, 228, 12, 134, 54, 148, 58, 37, 47, 242, 125, 230, 151, 60, 27, 148, 180, 151, 89, 6, 201, 58, 228, 11, 217, 234, 233, 252, 59, 115, 52, 111, 253, 231, 152, 228, 243, 161, 194, 144, 95, 28, 245, 63, 46, 215, 25, 211, 127, 2, 3, 1, 0, 1, 163, 130, 2, 1, 48, 130, 1, 253, 48, 31, 6, 3, 85, 29, 35, 4, 24, 48, 22, 128, 20, 255, 248, 174, 19, 139, 146, 43, 121, 146, 65, 163, 118, 92, 44, 129, 158, 154, 197, 156, 120, 48, 15, 6, 3, 85, 29, 19, 1, 1, 255, 4, 5, 48, 3, 1, 1, 255, 48, 14, 6, 3, 85, 29, 15, 1, 1, 255, 4, 4, 3, 2, 1, 6, 48, 71, 6, 3, 85, 29, 31, 4, 64, 48, 62, 48, 60, 160, 58, 160, 56, 134, 54, 104, 116, 116, 112, 58, 47, 47, 99, 114, 108, 46, 100, 105, 115, 97, 46, 109, 105, 108, 47, 99, 114, 108, 47, 68, 79, 68, 73, 78, 84, 69, 82, 79, 80, 69, 82, 65, 66, 73, 76, 73, 84, 89, 82, 79, 79, 84, 67, 65, 50, 46, 99, 114, 108, 48, 29, 6, 3, 85, 29, 14, 4, 22, 4, 20, 108, 138, 148, 162, 119, 177, 128, 114, 29, 129, 122, 22, 170, 242, 220, 206, 102, 238, 69, 192, 48, 124, 6, 8, 43, 6, 1, 5, 5, 7, 1, 1, 4, 112, 48, 110, 48, 74, 6, 8, 43, 6, 1, 5, 5, 7, 48, 2, 134, 62, 104, 116, 116, 112, 58, 47, 47, 99, 114, 108, 46, 100, 105, 115, 97, 46, 109, 105, 108, 47, 105, 115, 115, 117, 101, 100, 116, 111, 47, 68, 79, 68, 73, 78, 84, 69, 82, 79, 80, 69, 82, 65, 66, 73, 76, 73, 84, 89, 82, 79, 79, 84, 67, 65, 50, 95, 73, 84, 46, 112, 55, 99, 48, 32, 6, 8, 43, 6, 1, 5, 5, 7, 48, 1, 134, 20, 104, 116, 116, 112, 58, 47, 47, 111, 99, 115, 112, 46, 100, 105, 115, 97, 46, 109, 105, 108, 48, 118, 6, 3, 85, 29, 32, 4, 111, 48, 109, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 36, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 39, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 42, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 13, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 17, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 39, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 40, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 41, 48, 15, 6, 3, 85, 29, 36, 1, 1, 255, 4, 5, 48, 3, 128, 1, 0, 48, 74, 6, 8, 43, 6, 1, 5, 5, 7, 1, 11, 4, 62, 48, 60, 48, 58, 6, 8, 43, 6, 1, 5, 5, 7, 48, 5, 134, 46, 104, 116, 116, 112, 58, 47, 47, 99, 114, 108, 46, 100, 105, 115, 97, 46, 109, 105, 108, 47, 105, 115, 115, 117, 101, 100, 98, 121, 47, 68, 79, 68, 82, 79, 79, 84, 67, 65, 51, 95, 73, 66, 46, 112, 55, 99, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 11, 5, 0, 3, 130, 1, 1, 0, 220, 151, 25, 58, 239, 169, 147, 36, 8, 107, 67, 226, 161, 188, 172, 8, 103, 168, 125, 124, 149, 86, 46, 253, 184, 144, 99, 66, 80, 93, 145, 42, 255, 179, 119, 84, 80, 102, 177, 13, 37, 98, 219, 204, 5, 181, 245, 112, 213, 153, 160, 199, 169, 231, 195, 62, 115, 28, 93, 155, 122, 192, 85, 139, 130, 253, 83, 83, 31, 123, 50, 184, 250, 12, 231, 3, 91, 60, 208, 247, 207, 80, 21, 12, 87, 106, 10, 32, 104, 251, 159, 225, 116, 156, 128, 116, 206, 78, 80, 236, 117, 185, 113, 85, 133, 41, 121, 27, 157, 248, 147, 248, 229, 0, 81, 245, 214, 44, 27, 132, 240, 166, 238, 46, 238, 71, 137, 111, 255, 169, 162, 45, 11, 153, 211, 165, 248, 28, 219, 4, 104, 235, 242, 222, 128, 134, 8, 108, 15, 106, 165, 245, 238, 2, 27, 244, 211, 233, 153, 99, 198, 127, 248, 247, 143, 110, 3, 74, 178, 16, 2, 235, 142, 187, 75, 39, 9, 207, 159, 198, 1, 194, 30, 15, 172, 37, 170, 160, 18, 234, 0, 185, 158, 188, 175, 76, 212, 243, 0, 98, 183, 196, 97, 157, 2, 239, 239, 197, 186, 183, 162, 236, 142, 115, 7, 252, 178, 82, 84, 22, 93, 190, 30, 102, 177, 158, 179, 85, 179, 89, 126, 183, 13, 23, 140, 41, 79, 12, 57, 24, 205, 76, 13, 213, 0, 142, 88, 175, 184, 69, 84, 32, 210, 4, 160, 3]},
///   {"filename": "30.der",
///    "bytes": [48, 130, 4, 188, 48, 130, 3, 164, 160, 3, 2, 1, 2, 2, 2, 3, 4, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 11, 5, 0, 48, 91, 49, 11, 48, 9, 6, 3, 85, 4, 6, 19, 2, 85, 83, 49, 24, 48, 22, 6, 3, 85, 4, 10, 19, 15, 85, 46, 83, 46, 32, 71, 111, 118, 101, 114, 110, 109, 101, 110, 116, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 68, 111, 68, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 80, 75, 73, 49, 22, 48, 20, 6, 3, 85, 4, 3, 19, 13, 68, 111, 68, 32, 82, 111, 111, 116, 32, 67, 65, 32, 51, 48, 30, 23, 13, 49, 57, 48, 52, 48, 50, 49, 51, 51, 55, 50, 53, 90, 23, 13, 50, 53, 48, 52, 48, 50, 49, 51, 51, 55, 50, 53, 90, 48, 93, 49, 11, 48, 9, 6, 3, 85, 4, 6, 19, 2, 85, 83, 49, 24, 48, 22, 6, 3, 85, 4, 10, 19, 15, 85, 46, 83, 46, 32, 71, 111, 118, 101, 114, 110, 109, 101, 110, 116, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 68, 111, 68, 49, 12, 48, 10, 6, 3, 85, 4, 11, 19, 3, 80, 75, 73, 49, 24, 48, 22, 6, 3, 85, 4, 3, 19, 15, 68, 79, 68, 32, 69, 77, 65, 73, 76, 32, 67, 65, 45, 53, 57, 48, 130, 1, 34, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 1, 5, 0, 3, 130, 1, 15, 0, 48, 130, 1, 10, 2, 130, 1, 1, 0, 192, 141, 136, 255, 19, 236, 62, 67, 222, 43, 175, 213, 114, 208, 4, 179, 207, 105, 203, 120, 160, 48, 43, 141, 9, 71, 101, 112, 227, 255, 46, 139, 179, 15, 135, 216, 112, 217, 8, 50, 28, 108, 244, 17, 202, 29, 78, 147, 229, 4, 77, 187, 208, 68, 206, 248, 58, 89, 4, 58, 224, 24, 144, 159, 233, 58, 67, 159, 22, 18, 91, 229, 208, 234, 213, 31, 154, 33, 215, 121, 174, 118, 53, 223, 234, 3, 66, 32, 200, 3, 45, 105, 171, 93, 177, 185, 78, 44, 6, 135, 23, 87, 64, 164, 193, 52, 170, 218, 203, 28, 164, 204, 158, 8, 210, 124, 227, 174, 61, 173, 127, 88, 216, 210, 230, 166, 77, 96, 143, 91, 49, 156, 120, 123, 237, 165, 201, 42, 39, 196, 220, 169, 148, 247, 234, 214, 123, 5, 131, 131, 254, 74, 129, 168, 169, 11, 47, 18, 245, 100, 149, 69, 8, 175, 78, 100, 96, 2, 178, 106, 129, 200, 167, 15, 136, 137, 247, 113, 58, 38, 209, 203, 131, 195, 3, 49, 50, 168, 206, 177, 37, 174, 244, 104, 208, 68, 170, 152, 50, 138, 196, 148, 108, 20, 44, 136, 129, 114, 13, 254, 125, 189, 232, 6, 53, 124, 139, 36, 118, 9, 99, 97, 8, 51, 4, 89, 87, 195, 215, 46, 103, 119, 210, 233, 58, 200, 62, 33, 71, 89, 123, 102, 56, 91, 172, 104, 191, 122, 11, 135, 240, 67, 55, 169, 143, 47, 2, 3, 1, 0, 1, 163, 130, 1, 134, 48, 130, 1, 130, 48, 31, 6, 3, 85, 29, 35, 4, 24, 48, 22, 128, 20, 108, 138, 148, 162, 119, 177, 128, 114, 29, 129, 122, 22, 170, 242, 220, 206, 102, 238, 69, 192, 48, 29, 6, 3, 85, 29, 14, 4, 22, 4, 20, 119, 20, 65, 166, 93, 149, 38, 208, 29, 255, 149, 59, 98, 140, 234, 183, 181, 93, 59, 146, 48, 14, 6, 3, 85, 29, 15, 1, 1, 255, 4, 4, 3, 2, 1, 134, 48, 103, 6, 3, 85, 29, 32, 4, 96, 48, 94, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 36, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 39, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 42, 48, 11, 6, 9, 96, 134, 72, 1, 101, 2, 1, 11, 59, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 13, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 17, 48, 12, 6, 10, 96, 134, 72, 1, 101, 3, 2, 1, 3, 39, 48, 18, 6, 3, 85, 29, 19, 1, 1, 255, 4, 8, 48, 6, 1, 1, 255, 2, 1, 0, 48, 12, 6, 3, 85, 29, 36, 4, 5, 48, 3, 128, 1, 0, 48, 55, 6, 3, 85, 29, 31, 4, 48, 48, 46, 48, 44, 160, 42, 160, 40, 134, 38, 104, 116, 116, 112, 58, 47, 47, 99, 114, 108, 46, 100, 105, 115, 97, 46, 109, 105, 108, 47, 99, 114, 108, 47, 68, 79, 68, 82, 79, 79, 84, 67, 65, 51, 46, 99, 114, 108, 48, 108, 6, 8, 43, 6, 1, 5, 5, 7, 1, 1, 4, 96, 48, 94, 48, 58, 6, 8, 43, 6, 1, 5, 5, 7, 48, 2, 134, 46, 104, 116, 116, 112, 58, 47, 47, 99, 114, 108, 46, 100, 105, 115, 97, 46, 109, 105, 108, 47, 105, 115, 115, 117, 101, 100, 116, 111, 47, 68, 79, 68, 82, 79, 79, 84, 67, 65, 51, 95, 73, 84, 46, 112, 55, 99, 48, 32, 6, 8, 43, 6, 1, 5, 5, 7, 48, 1, 134, 20, 104, 116, 116, 112, 58, 47, 47, 111, 99, 115, 112, 46, 100, 105, 115, 97, 46, 109, 105, 108, 48, 13, 6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 11, 5, 0, 3, 130, 1, 1, 0, 77, 203, 205, 215, 101, 60, 152, 187, 134, 1, 209, 205, 201, 72, 211, 128, 92, 230, 37, 99, 39, 51, 197, 10, 94, 187, 205, 50, 88, 86, 50, 254, 72, 35, 62, 1, 36, 73, 191, 7, 218, 215, 143, 110, 69, 74, 221, 99, 128, 217, 75, 132, 125, 17, 93, 149, 89, 122, 29, 148, 81, 103, 6, 122, 88, 13, 14, 225, 180, 97, 132, 164, 24, 144, 128, 169, 195, 163, 74, 72, 18, 187, 172, 61, 190, 56, 13, 231, 70, 42, 148, 58, 125, 243, 139, 165, 106, 231, 250, 100, 219, 66, 165, 232, 165, 172, 55, 121, 41, 2, 173, 57, 114, 167, 39, 136, 7, 133, 12, 203, 216, 206, 230, 14, 137, 199, 95, 249, 252, 113, 130, 164, 155, 118, 198, 116, 152, 24, 151, 39, 238, 144, 100, 34, 158, 123, 6, 236, 174, 217, 248, 92, 183, 84, 28, 59, 27, 55, 242, 157, 227, 14, 205, 130, 247, 113, 202, 139, 151, 39, 45, 135, 7, 81, 150, 224, 130, 215, 28, 0, 98, 165, 73, 251, 91, 181, 57, 189, 117, 225, 246, 44, 188, 222, 45, 208, 129, 77, 55, 144, 124, 37, 46, 217, 132, 87, 151, 194, 179, 213, 68, 241, 129, 182, 220, 104, 77, 158, 38, 226, 175, 205, 193, 162, 101, 202, 242, 35, 133, 62, 224, 105, 91, 182, 232, 202, 208, 55, 219, 118, 189, 141, 181, 19, 169, 11, 148, 17, 63, 113, 55, 230, 46, 30, 158, 244]}],
/// "partial_paths": [
///  {"6C8A94A277B180721D817A16AAF2DCCE66EE45C0": [[0]],
///   "771441A65D9526D01DFF953B628CEAB7B55D3B92": [[1]]},
///  {"771441A65D9526D01DFF953B628CEAB7B55D3B92": [[0, 1]]}
///  ]}
/// ```
/// An ASCII hex representation of the CBOR that resulted in the above JSON presentation is below.
///
/// ```text
/// A2676275666665727382A26866696C656E616D656637362E64657265627974657399054A183018820518461830
/// 188204182E18A003020102020208187B18300D0609182A18861848188618F70D01010B05001830186C18310B18
/// 30090603185504061302185518531831181818301606031855040A130F1855182E1853182E18201847186F1876
/// 18651872186E186D1865186E187418310C18300A06031855040B13031844186F184418310C18300A0603185504
/// 0B13031850184B1849183118271830182506031855040313181E1844186F184418201849186E18741865187218
/// 6F187018651872186118621869186C18691874187918201852186F186F1874182018431841182018321830181E
/// 170D183218311831183118311836183118341835183718311836185A170D183218341831183118311836183118
/// 341835183718311836185A1830185B18310B183009060318550406130218551853183118181830160603185504
/// 0A130F1855182E1853182E18201847186F187618651872186E186D1865186E187418310C18300A06031855040B
/// 13031844186F184418310C18300A06031855040B13031850184B1849183116183014060318550403130D184418
/// 6F184418201852186F186F1874182018431841182018331830188201182218300D0609182A18861848188618F7
/// 0D0101010500031882010F0018301882010A02188201010018A918EC141872188A18E8184B187018A318DA1003
/// 188418A618FB18A718360D182A183A18521618BF18301518521886051847182018CF18AA18A618CD187518C418
/// 64186E18EF18F11860182318CB0A1866184018AE18B418C81868182A00185118681849183718E918591832184D
/// 189518BC1843182718E91840188D183A1018CE1418BC1843181818A118F918DE18CC18E7188518761873185E18
/// 18181A1823185B18BD183F181F18F218ED188D181918CC0318D1184018A4188F18A7182002184C1827185A1879
/// 183618F618A318371821188E00185A061618CA18D318551896186F1831182918BB18720E18CB18E21848185118
/// F218D4183718A4183518D6186F18EE1718B318B10618AB0B1819188618E81823186D1831181B18281878186518
/// C518DE1862185218BC18C1187D18EB18EE18A0185D18540418FB18B218CB182B18B21823185418911882184C18
/// F018BF18BA18741840183B0C04184518801867185C18C518EB18A2185718C3181A187F0A182D18BD187F18B918
/// DC18C1189918B018C80718E40C188618361894183A1825182F18F2187D18E61897183C181B189418B418971859
/// 0618C9183A18E40B18D918EA18E918FC183B18731834186F18FD18E7189818E418F318A118C21890185F181C18
/// F5183F182E18D7181918D3187F020301000118A318820201183018820118FD1830181F06031855181D18230418
/// 1818301618801418FF18F818AE13188B1892182B18791892184118A31876185C182C1881189E189A18C5189C18
/// 7818300F06031855181D13010118FF0405183003010118FF18300E06031855181D0F010118FF04040302010618
/// 30184706031855181D181F0418401830183E1830183C18A0183A18A01838188618361868187418741870183A18
/// 2F182F18631872186C182E1864186918731861182E186D1869186C182F18631872186C182F1844184F18441849
/// 184E185418451852184F185018451852184118421849184C1849185418591852184F184F185418431841183218
/// 2E18631872186C1830181D06031855181D0E04160414186C188A189418A2187718B118801872181D1881187A16
/// 18AA18F218DC18CE186618EE184518C01830187C0608182B060105050701010418701830186E1830184A060818
/// 2B06010505071830021886183E1868187418741870183A182F182F18631872186C182E1864186918731861182E
/// 186D1869186C182F1869187318731875186518641874186F182F1844184F18441849184E185418451852184F18
/// 5018451852184118421849184C1849185418591852184F184F1854184318411832185F18491854182E18701837
/// 1863183018200608182B06010505071830011886141868187418741870183A182F182F186F186318731870182E
/// 1864186918731861182E186D1869186C1830187606031855181D182004186F1830186D18300B06091860188618
/// 4801186502010B182418300B060918601886184801186502010B182718300B060918601886184801186502010B
/// 182A18300C060A186018861848011865030201030D18300C060A186018861848011865030201031118300C060A
/// 18601886184801186503020103182718300C060A18601886184801186503020103182818300C060A1860188618
/// 4801186503020103182918300F06031855181D1824010118FF0405183003188001001830184A0608182B060105
/// 0507010B04183E1830183C1830183A0608182B06010505071830051886182E1868187418741870183A182F182F
/// 18631872186C182E1864186918731861182E186D1869186C182F18691873187318751865186418621879182F18
/// 44184F18441852184F184F1854184318411833185F18491842182E18701837186318300D0609182A1886184818
/// 8618F70D01010B050003188201010018DC18971819183A18EF18A91893182408186B184318E218A118BC18AC08
/// 186718A8187D187C18951856182E18FD18B81890186318421850185D1891182A18FF18B3187718541850186618
/// B10D1825186218DB18CC0518B518F5187018D5189918A018C718A918E718C3183E1873181C185D189B187A18C0
/// 1855188B188218FD18531853181F187B183218B818FA0C18E703185B183C18D018F718CF1850150C1857186A0A
/// 1820186818FB189F18E11874189C1880187418CE184E185018EC187518B918711855188518291879181B189D18
/// F8189318F818E500185118F518D6182C181B188418F018A618EE182E18EE18471889186F18FF18A918A2182D0B
/// 189918D318A518F8181C18DB04186818EB18F218DE1880188608186C0F186A18A518F518EE02181B18F418D318
/// E91899186318C6187F18F818F7188F186E03184A18B2100218EB188E18BB184B18270918CF189F18C60118C218
/// 1E0F18AC182518AA18A01218EA0018B9189E18BC18AF184C18D418F300186218B718C41861189D0218EF18EF18
/// C518BA18B718A218EC188E18730718FC18B21852185416185D18BE181E186618B1189E18B3185518B31859187E
/// 18B70D17188C1829184F0C1839181818CD184C0D18D500188E185818AF18B818451854182018D20418A003A268
/// 66696C656E616D656633302E6465726562797465739904C0183018820418BC183018820318A418A00302010202
/// 02030418300D0609182A18861848188618F70D01010B05001830185B18310B1830090603185504061302185518
/// 531831181818301606031855040A130F1855182E1853182E18201847186F187618651872186E186D1865186E18
/// 7418310C18300A06031855040B13031844186F184418310C18300A06031855040B13031850184B184918311618
/// 3014060318550403130D1844186F184418201852186F186F1874182018431841182018331830181E170D183118
/// 391830183418301832183118331833183718321835185A170D1832183518301834183018321831183318331837
/// 18321835185A1830185D18310B1830090603185504061302185518531831181818301606031855040A130F1855
/// 182E1853182E18201847186F187618651872186E186D1865186E187418310C18300A06031855040B1303184418
/// 6F184418310C18300A06031855040B13031850184B184918311818183016060318550403130F1844184F184418
/// 201845184D18411849184C182018431841182D183518391830188201182218300D0609182A18861848188618F7
/// 0D0101010500031882010F0018301882010A02188201010018C0188D188818FF1318EC183E184318DE182B18AF
/// 18D5187218D00418B318CF186918CB187818A01830182B188D0918471865187018E318FF182E188B18B30F1887
/// 18D8187018D9081832181C186C18F41118CA181D184E189318E504184D18BB18D0184418CE18F8183A18590418
/// 3A18E018181890189F18E9183A1843189F1612185B18E518D018EA18D5181F189A182118D7187918AE18761835
/// 18DF18EA031842182018C803182D186918AB185D18B118B9184E182C061887171857184018A418C1183418AA18
/// DA18CB181C18A418CC189E0818D2187C18E318AE183D18AD187F185818D818D218E618A6184D1860188F185B18
/// 31189C1878187B18ED18A518C9182A182718C418DC18A9189418F718EA18D6187B051883188318FE184A188118
/// A818A90B182F1218F51864189518450818AF184E186418600218B2186A188118C818A70F1888188918F7187118
/// 3A182618D118CB188318C3031831183218A818CE18B1182518AE18F4186818D0184418AA18981832188A18C418
/// 94186C14182C1888188118720D18FE187D18BD18E8061835187C188B1824187609186318610818330418591857
/// 18C318D7182E1867187718D218E9183A18C8183E182118471859187B18661838185B18AC186818BF187A0B1887
/// 18F01843183718A9188F182F020301000118A31882011886183018820118821830181F06031855181D18230418
/// 18183016188014186C188A189418A2187718B118801872181D1881187A1618AA18F218DC18CE186618EE184518
/// C01830181D06031855181D0E04160414187714184118A6185D1895182618D0181D18FF1895183B1862188C18EA
/// 18B718B5185D183B189218300E06031855181D0F010118FF040403020118861830186706031855181D18200418
/// 601830185E18300B060918601886184801186502010B182418300B060918601886184801186502010B18271830
/// 0B060918601886184801186502010B182A18300B060918601886184801186502010B183B18300C060A18601886
/// 1848011865030201030D18300C060A186018861848011865030201031118300C060A1860188618480118650302
/// 0103182718301206031855181D13010118FF0408183006010118FF02010018300C06031855181D182404051830
/// 03188001001830183706031855181D181F0418301830182E1830182C18A0182A18A01828188618261868187418
/// 741870183A182F182F18631872186C182E1864186918731861182E186D1869186C182F18631872186C182F1844
/// 184F18441852184F184F1854184318411833182E18631872186C1830186C0608182B0601050507010104186018
/// 30185E1830183A0608182B06010505071830021886182E1868187418741870183A182F182F18631872186C182E
/// 1864186918731861182E186D1869186C182F1869187318731875186518641874186F182F1844184F1844185218
/// 4F184F1854184318411833185F18491854182E187018371863183018200608182B060105050718300118861418
/// 68187418741870183A182F182F186F186318731870182E1864186918731861182E186D1869186C18300D060918
/// 2A18861848188618F70D01010B0500031882010100184D18CB18CD18D71865183C189818BB18860118D118CD18
/// C9184818D31880185C18E6182518631827183318C50A185E18BB18CD183218581856183218FE18481823183E01
/// 1824184918BF0718DA18D7188F186E1845184A18DD1863188018D9184B1884187D11185D18951859187A181D18
/// 941851186706187A18580D0E18E118B41861188418A418181890188018A918C318A3184A18481218BB18AC183D
/// 18BE18380D18E71846182A1894183A187D18F3188B18A5186A18E718FA186418DB184218A518E818A518AC1837
/// 187918290218AD1839187218A7182718880718850C18CB18D818CE18E60E188918C7185F18F918FC1871188218
/// A4189B187618C61874189818181897182718EE189018641822189E187B0618EC18AE18D918F8185C18B7185418
/// 1C183B181B183718F2189D18E30E18CD188218F7187118CA188B18971827182D1887071851189618E0188218D7
/// 181C00186218A5184918FB185B18B5183918BD187518E118F6182C18BC18DE182D18D01881184D18371890187C
/// 1825182E18D918841857189718C218B318D5184418F1188118B618DC1868184D189E182618E218AF18CD18C118
/// A2186518CA18F218231885183E18E01869185B18B618E818CA18D0183718DB187618BD188D18B51318A90B1894
/// 11183F1871183718E6182E181E189E18F46D7061727469616C5F706174687382A2782836433841393441323737
/// 423138303732314438313741313641414632444343453636454534354330818100782837373134343141363544
/// 393532364430314446463935334236323843454142374235354433423932818101A17828373731343431413635
/// 4439353236443031444646393533423632384345414237423535443342393281820001
/// ```
///
/// The command below can be used to validate a target certificate issued by the CA in the 0th slot.
///
/// ```text
/// pittv3 -t ~/pitt/tas -b ~/pitt/pitt_focused_2026.cbor -i 1787616000 -s ~/pitt/no-remote-ocsp.json --crl-folder ~/pitt/crls -v -e ~/pitt/target-2026.der
/// ```
///
/// The following output results in the location specified in the logging configuration. It shows
/// two certification paths were found and validated.
///
/// ```text
/// 2026-08-24T08:57:48.298425-05:00 INFO pittv3_lib::options_std - Stats for ~/pitt/target-2026.der
/// 2026-08-24T08:57:48.298428-05:00 INFO pittv3_lib::options_std - 	 * Paths found: 2
/// 2026-08-24T08:57:48.298441-05:00 INFO pittv3_lib::options_std - 	 * Valid paths found: 2
/// 2026-08-24T08:57:48.298444-05:00 INFO pittv3_lib::options_std - 	 * Invalid paths found: 0
/// 2026-08-24T08:57:48.298446-05:00 INFO pittv3_lib::options_std - 	 * Status codes
/// 2026-08-24T08:57:48.298450-05:00 INFO pittv3_lib::options_std - 		 - Valid: 2 - Result folder indices: [0, 1]
/// 2026-08-24T08:57:48.298453-05:00 INFO pittv3_lib::options_std - Total paths found: 2
/// 2026-08-24T08:57:48.298456-05:00 INFO pittv3_lib::options_std - Total valid paths found: 2
/// 2026-08-24T08:57:48.298458-05:00 INFO pittv3_lib::options_std - Total invalid paths found: 0
/// 2026-08-24T08:57:48.298469-05:00 INFO pittv3_lib::options_std - 236.316542ms to deserialize graph and perform build and validation operation(s) for 1 file(s)
/// ```
/// A dump of the partial certification paths included in the CBOR file illustrates why two paths
/// were found instead of three. When reading the vector containing the indices that compose a
/// partial certification path, the rightmost element (i.e., last element) issued the target and the
/// leftmost element (i.e., first) was issued by a trust anchor. Note, if the contents of the set of
/// trust anchors changes some partial paths may be orphaned.
///
/// ```text
/// $ pittv3 -b ~/pitt/pitt_focused_2026.cbor -t ~/pitt/tas -i 1787616000 --list-partial-paths
/// 2026-08-24T08:57:48.026823-05:00 DEBUG pittv3 - PITTv3 start
/// 2026-08-24T08:57:48.028019-05:00 INFO certval::source::cert_source - CN=DOD EMAIL CA-63:
/// 2026-08-24T08:57:48.028051-05:00 INFO certval::source::cert_source - 	* TA subject: CN=DoD Root CA 3 - [1],
/// 2026-08-24T08:57:48.028063-05:00 INFO certval::source::cert_source - CN=DoD Root CA 3:
/// 2026-08-24T08:57:48.028071-05:00 INFO certval::source::cert_source - 	* TA subject: CN=DoD Interoperability Root CA 2 - [0],
/// 2026-08-24T08:57:48.028080-05:00 INFO certval::source::cert_source - CN=DOD EMAIL CA-63:
/// 2026-08-24T08:57:48.028088-05:00 INFO certval::source::cert_source - 	* TA subject: CN=DoD Interoperability Root CA 2 - [0, 1],
/// 2026-08-24T08:57:48.028095-05:00 INFO certval::source::cert_source - 2 certificates yielded:
///  - 2 paths with 1 certificate;
///  - 1 paths with 2 certificates
/// 2026-08-24T08:57:48.028120-05:00 DEBUG pittv3 - PITTv3 end
/// ```
/// The discovered paths are the second and third available, as left CA certificate in the first
/// partial path did not issue the target certificate being validated. This is illustrated below by
/// listing all partial paths for the target certificate.
///
/// ```text
/// $ pittv3 -b ~/pitt/pitt_focused_2026.cbor -t ~/pitt/tas -i 1787616000 -z ~/pitt/target-2026.der
/// 2026-08-24T08:57:48.036677-05:00 DEBUG pittv3 - PITTv3 start
/// 2026-08-24T08:57:48.037662-05:00 INFO certval::source::cert_source - CN=DOD EMAIL CA-63:
/// 2026-08-24T08:57:48.037680-05:00 INFO certval::source::cert_source - 	* TA subject: CN=DoD Root CA 3 - [1],
/// 2026-08-24T08:57:48.037691-05:00 INFO certval::source::cert_source - CN=DOD EMAIL CA-63:
/// 2026-08-24T08:57:48.037699-05:00 INFO certval::source::cert_source - 	* TA subject: CN=DoD Interoperability Root CA 2 - [0, 1],
/// 2026-08-24T08:57:48.037710-05:00 INFO certval::source::cert_source - Index: 0; SKID: 6C8A94A277B180721D817A16AAF2DCCE66EE45C0; Issuer: CN=DoD Interoperability Root CA 2; Subject: CN=DoD Root CA 3
/// 2026-08-24T08:57:48.037721-05:00 INFO certval::source::cert_source - Index: 1; SKID: 4D31AD51D64E577E67693325037EC629A5DDBAF3; Issuer: CN=DoD Root CA 3; Subject: CN=DOD EMAIL CA-63
/// 2026-08-24T08:57:48.037725-05:00 INFO certval::source::cert_source - Found 2 partial paths featuring 2 different intermediate CA certificates
/// 2026-08-24T08:57:48.037747-05:00 DEBUG pittv3 - PITTv3 end
/// ```
/// To complete the picture, below are dump of the buffers contained in the CBOR file and in the
/// operative trust anchors folder:
///
/// ```text
/// $ pittv3 -b ~/pitt/pitt_focused_2026.cbor -i 1787616000 --list-buffers
/// 2026-08-24T08:57:48.045727-05:00 DEBUG pittv3 - PITTv3 start
/// 2026-08-24T08:57:48.046067-05:00 INFO certval::source::cert_source - Index: 0; SKID: 6C8A94A277B180721D817A16AAF2DCCE66EE45C0; Issuer: CN=DoD Interoperability Root CA 2; Subject: CN=DoD Root CA 3
/// 2026-08-24T08:57:48.046085-05:00 INFO certval::source::cert_source - Index: 1; SKID: 4D31AD51D64E577E67693325037EC629A5DDBAF3; Issuer: CN=DoD Root CA 3; Subject: CN=DOD EMAIL CA-63
/// 2026-08-24T08:57:48.046101-05:00 DEBUG pittv3 - PITTv3 end
/// ```
/// ```text
/// $ pittv3 -b ~/pitt/pitt_focused_2026.cbor -t ~/pitt/tas -i 1787616000 --list-trust-anchors
/// 2026-08-24T08:57:48.053886-05:00 DEBUG pittv3 - PITTv3 start
/// 2026-08-24T08:57:48.054229-05:00 INFO certval::source::ta_source - Index:   0; SKID: FFF8AE138B922B799241A3765C2C819E9AC59C78; Subject: CN=DoD Interoperability Root CA 2; Filename: ~/pitt/tas/29.der
/// 2026-08-24T08:57:48.054242-05:00 INFO certval::source::ta_source - Index:   1; SKID: 6C8A94A277B180721D817A16AAF2DCCE66EE45C0; Subject: CN=DoD Root CA 3; Filename: ~/pitt/tas/11.der
/// 2026-08-24T08:57:48.054428-05:00 DEBUG pittv3 - PITTv3 end
/// ```
/// The resulting paths will flow as follows:
/// - From the target through the certificate at Index 1 to the trust anchor at Index 1
/// - From the target through the certificates at indices 1 and 0 to the trust anchor at Index 0.
///
///
/// The two fields are readable everywhere and writable only inside certval, which is what keeps the
/// indices in `partial_paths` meaningful: they are positions in `buffers`, so a caller able to
/// replace either field could desync the pair after [`CertSource::new_from_cbor`] had validated it.
/// Dynamic path building appends to both from within the crate, so the restriction costs nothing
/// there.
#[readonly::make]
#[derive(Clone, Serialize, Deserialize)]
pub struct BuffersAndPaths {
    /// List of buffers containing binary DER-encoded certificates
    pub buffers: Vec<CertFile>,

    /// Maps skid of leaf CA (i.e., last index in each vector) to a vector of indices into buffers
    pub partial_paths: PartialPaths,
}

#[cfg(test)]
mod der_encoding_tests {
    use super::CertFile;
    // Spelled out because this module builds without `std`: the prelude that would supply these is
    // not there, and `--all-features` hides it by pulling in a shape where it is.
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;

    /// A certificate is written as a CBOR byte string, not as one integer per octet.
    ///
    /// Asserted on the bytes rather than through a round trip, because a round trip passes either
    /// way -- which is exactly how the sequence encoding went unnoticed.
    #[test]
    fn a_certificate_is_written_as_a_byte_string() {
        let cf = CertFile {
            filename: "c".to_string(),
            bytes: vec![0x30, 0x82, 0xff, 0x00],
        };
        let mut out = vec![];
        ciborium::into_writer(&cf, &mut out).unwrap();
        // 0x44 is a 4-byte string; 0x84 would be a 4-element array.
        assert!(
            out.windows(5).any(|w| w == [0x44, 0x30, 0x82, 0xff, 0x00]),
            "DER was not written as a byte string: {out:02x?}"
        );
    }

    /// Stores written before that change are still read: every `.cbor` generated up to this point
    /// holds a sequence, and a reader that rejected one would mean a flag day.
    #[test]
    fn a_certificate_written_as_a_sequence_is_still_read() {
        // {"filename": "c", "bytes": [0x30, 0x82, 0xff, 0x00]} -- the old encoding, by hand.
        let old: Vec<u8> = vec![
            0xa2, 0x68, b'f', b'i', b'l', b'e', b'n', b'a', b'm', b'e', 0x61, b'c', 0x65, b'b',
            b'y', b't', b'e', b's', 0x84, 0x18, 0x30, 0x18, 0x82, 0x18, 0xff, 0x00,
        ];
        let cf: CertFile = ciborium::from_reader(old.as_slice()).unwrap();
        assert_eq!(cf.filename, "c");
        assert_eq!(cf.bytes, vec![0x30, 0x82, 0xff, 0x00]);
    }

    /// Round-tripping the new encoding still works, and is smaller than the old one.
    #[test]
    fn the_new_encoding_round_trips_and_is_smaller() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let cf = CertFile {
            filename: "c".to_string(),
            bytes: bytes.clone(),
        };
        let mut new = vec![];
        ciborium::into_writer(&cf, &mut new).unwrap();
        let back: CertFile = ciborium::from_reader(new.as_slice()).unwrap();
        assert_eq!(back.bytes, bytes);
        // The old encoding spends two bytes on every octet of 24 or more.
        let old_len = new.len() + bytes.iter().filter(|b| **b >= 24).count();
        assert!(new.len() < old_len, "{} !< {old_len}", new.len());
    }
}

/// Type used to represent partial certification paths in [`BuffersAndPaths`] struct
pub type PartialPaths = Vec<BTreeMap<String, Vec<Vec<usize>>>>;

/// Rejects a set of buffers and paths whose paths name a certificate the buffers do not contain.
///
/// A partial path is a list of positions in `buffers`, and nothing in the serialized form ties the
/// two halves together: a truncated, hand-edited, or version-skewed store can name a position that
/// does not exist. The indices are what make a serialized store useful -- they are consumed as-is,
/// without the path search that produced them being repeated -- so they are also the one part of it
/// that has to be believed, and this is where that belief is established.
///
/// Checked once, at the boundary where bytes become indices, rather than at each of the places that
/// later walk a path: those run per path per build, while an index that is wrong is wrong for the
/// whole life of the store. Callers that index defensively anyway are belt and braces, not a
/// substitute -- this states the invariant, and states it where a violation can still be reported
/// as a parse failure rather than having to be absorbed as a missing certificate.
fn validate_partial_path_indices(bap: &BuffersAndPaths) -> Result<()> {
    let num_buffers = bap.buffers.len();
    for outer in &bap.partial_paths {
        for paths in outer.values() {
            for path in paths {
                for i in path {
                    if *i >= num_buffers {
                        error!("Partial path references certificate index {i} in a store that contains {num_buffers} certificate(s)");
                        return Err(Error::ParseError);
                    }
                }
            }
        }
    }
    Ok(())
}

impl Default for BuffersAndPaths {
    /// BuffersAndPaths::new instantiates a new empty BuffersAndPaths, i.e., both buffers and
    /// partial_paths contain empty vectors.
    fn default() -> Self {
        Self::new()
    }
}

impl BuffersAndPaths {
    /// BuffersAndPaths::new instantiates a new empty BuffersAndPaths, i.e., both buffers and
    /// partial_paths contain empty vectors.
    pub fn new() -> BuffersAndPaths {
        BuffersAndPaths {
            buffers: Vec::new(),
            partial_paths: Vec::new(),
        }
    }

    /// Builds a pair from its parts.
    ///
    /// Crate-private, and the only way to make one with contents from outside this module:
    /// `readonly` leaves the fields readable everywhere and writable here, which is what keeps the
    /// indices in `partial_paths` meaningful as positions in `buffers`. A caller outside certval
    /// assembles a store through a source, which maintains the pairing.
    pub(crate) fn from_parts(buffers: Vec<CertFile>, partial_paths: PartialPaths) -> Self {
        BuffersAndPaths {
            buffers,
            partial_paths,
        }
    }

    /// Consumes the instance, returning its buffers and its partial paths.
    ///
    /// The fields are readable from anywhere but writable only inside certval, and that also means
    /// they cannot be moved out of from outside it. A caller holding an instance it owns and
    /// wanting its contents rather than a copy of them uses this.
    pub fn into_parts(self) -> (Vec<CertFile>, PartialPaths) {
        (self.buffers, self.partial_paths)
    }
}

/// The [`CertSource`] structure serves two purposes. First, it serves as a source of certificates by
/// maintaining a vector of certificate buffers and a corresponding vector of parsed certificates.
/// Second, it serves as a path builder implementation by maintaining a map of partial certificate
/// paths that can be serialized/deserialized.
///
/// Preparation of a [`CertSource`] takes two steps:
///   1. Obtain a [`CertSource`] instance — either [`CertSource::new_from_cbor`] to deserialize a
///      previously generated store, or [`CertSource::new`]/[`CertSource::default`] when populating the
///      [`buffers_and_paths`](`CertSource`) member from other sources (files, URIs, etc.).
///   2. Call [`CertSource::initialize`], which parses the immutable buffers into the vector of
///      long-lived parsed certificates and prepares the key-identifier- and name-based maps used for
///      lookups and path building.
///
/// The snippet below, similar to code found in the PITTv3 utility, prepares a [`CertSource`] from a
/// serialized store: [`CertSource::new_from_cbor`] deserializes the `Vec<u8>` into the instance's
/// [`BuffersAndPaths`]. The initialized [`CertSource`] is then passed to a [`PkiEnvironment`] to
/// serve both as a certificate source and as a path builder. (With the `std` feature, `read_cbor`
/// is a convenience for loading the serialized bytes from a file.)
///
/// ```no_run
/// use certval::*;
/// # fn main() -> certval::Result<()> {
/// // `cbor` holds a previously generated store, e.g. read from a file with `read_cbor`.
/// let cbor: &[u8] = &[];
/// let cps = CertificationPathSettings::new();
/// let mut pe = PkiEnvironment::new();
///
/// let mut cert_source = CertSource::new_from_cbor(cbor)?;
/// cert_source.initialize(&cps)?;
///
/// pe.add_certificate_source(Box::new(cert_source));
/// # Ok(())
/// # }
/// ```
///
/// The general idea is to prepare an as comprehensive as possible set of partial certification paths
/// for the target environment in an offline manner then serialize it for deserialization later. This
/// should facilitate fairly robust certification path building in no-std apps. Deserialization of
/// partial paths moves the expensive path building aspects to offline (for most cases) while enabling
/// simple map lookups to serve the general case. The pace of new CA introduction is slow in many PKIs,
/// but this is not a universal truth, so dynamic building is possible and is demonstrated in
/// [PITTv3](https://github.com/carl-wallace/rust-pki/tree/main/pittv3).
///
/// Dynamic building support can return a list of AIAs and SIAs encountered during path discovery for
/// consideration, i.e., enabling additional certs to be downloaded before repeating the steps above to
/// gather new paths. Dynamic building consists of appending the downloaded certificates to the
/// instance, calling [`initialize`](CertSource::initialize) again -- which parses what was appended
/// and rebuilds the indexes -- then re-discovering all partial paths.
/// [PITTv3](https://github.com/carl-wallace/rust-pki/tree/main/pittv3) demonstrates an approach to performing these steps.
#[derive(Clone)]
pub struct CertSource {
    /// Contains list of parsed certificates prepared by the caller. The order of the certificates
    /// MUST be the same as the order of buffers in the buffers_and_paths.buffers field. If a buffer
    /// cannot be parsed successfully (or is otherwise rejected immediately, i.e., expired), the
    /// corresponding element in the certs field should be set to None.
    certs: Vec<Option<PDVCertificate>>,

    /// Why each `None` in `certs` is a `None`, at the same position.
    ///
    /// The distinction is drawn while populating and was, until this field, only logged: a buffer
    /// that does not decode and a certificate outside the time of interest both left a bare `None`
    /// behind. They are not the same thing to anyone deciding what to do about one -- the first is
    /// a bad file, the second is an answer to the question as asked, and asking as of another time
    /// may return it to use. Entries holding a certificate carry `None` here.
    unusable: Vec<Option<UnusableReason>>,

    /// Contains list of buffers referenced by certs field and, optionally, partial paths
    /// relationships between certificates corresponding to those buffers. This field is the target
    /// of serialization/deserialization.
    buffers_and_paths: BuffersAndPaths,

    /// Maps certificate SKIDs to keys in the `certs` field. Typically, the SKID value is read from
    /// a SKID extension. If no extension is present, the value is calculated as the SHA256 hash of
    /// the SubjectPublicKeyInfoOwned field from the certificate.
    skid_map: BTreeMap<String, Vec<usize>>,

    /// Maps certificate subject names to keys in the `certs` field.
    name_map: BTreeMap<String, Vec<usize>>,
}

impl Default for CertSource {
    /// CertSource::default instantiates a new empty CertSource. The caller adds certificates with
    /// `CertVector::push`, then calls [`initialize`](CertSource::initialize) to parse them and build
    /// the key identifier and subject name indexes, before using the instance.
    fn default() -> Self {
        Self::new()
    }
}

impl CertVector for CertSource {
    fn contains(&self, cert: &CertFile) -> bool {
        self.buffers_and_paths.buffers.contains(cert)
    }
    fn push(&mut self, cert: CertFile) {
        if !self.buffers_and_paths.buffers.contains(&cert) {
            self.buffers_and_paths.buffers.push(cert)
        }
    }
    fn len(&self) -> usize {
        self.buffers_and_paths.buffers.len()
    }

    fn is_empty(&self) -> bool {
        self.buffers_and_paths.buffers.is_empty()
    }
}

impl CertSource {
    /// CertSource::new instantiates a new empty CertSource. The caller adds certificates with
    /// `CertVector::push`, then calls [`initialize`](CertSource::initialize) to parse them and build
    /// the key identifier and subject name indexes, before using the instance.
    pub fn new() -> Self {
        Self {
            certs: Vec::new(),
            unusable: Vec::new(),
            buffers_and_paths: BuffersAndPaths::default(),
            skid_map: BTreeMap::new(),
            name_map: BTreeMap::new(),
        }
    }

    /// Clear list of partial paths
    #[cfg(feature = "std")]
    pub fn clear_paths(&mut self) {
        self.buffers_and_paths.partial_paths.clear();
    }

    /// Create new instance from CBOR
    ///
    /// The partial paths carried by the store are checked against the certificates it carries, and
    /// a store naming a certificate it does not contain is rejected as [`Error::ParseError`].
    pub fn new_from_cbor(cbor: &[u8]) -> Result<Self> {
        let buffers_and_paths: BuffersAndPaths = match from_reader(cbor) {
            Ok(buffers_and_paths) => buffers_and_paths,
            Err(e) => {
                error!("Failed to decode a CBOR certificate store: {e:?}");
                return Err(Error::ParseError);
            }
        };
        validate_partial_path_indices(&buffers_and_paths)?;
        Ok(Self {
            certs: Vec::new(),
            unusable: Vec::new(),
            buffers_and_paths,
            skid_map: BTreeMap::new(),
            name_map: BTreeMap::new(),
        })
    }

    /// Processes any buffers passed to the instance, i.e., via new_from_cbor
    ///
    /// Can be called again after more buffers have been added with only the ones not already parsed
    /// being parsed, and the key identifier and name maps are rebuilt over the result. That allows a
    /// caller to have one instance while appending certificates fetched from AIA and SIA instead of
    /// discarding it and deserializing a fresh one to get a vector that lines up with its buffers.
    pub fn initialize(&mut self, cps: &CertificationPathSettings) -> Result<()> {
        // Both maps are rebuilt from `certs`, so running them over an unchanged vector produces
        // exactly what is already there. Parsing reports whether it appended anything, which is
        // the same question.
        if self.populate_parsed_cert_vector(cps)? {
            self.index_certs();
        }
        Ok(())
    }

    /// Returns number of certificates currently held by instance
    pub fn num_buffers(&self) -> usize {
        self.buffers_and_paths.buffers.len()
    }

    /// Returns number of certificates currently held by instance
    pub fn num_certs(&self) -> usize {
        self.certs.len()
    }
    /// Returns the number of partial paths the instance holds, whether deserialized with it or
    /// recorded by [`CertSource::find_all_partial_paths`].
    ///
    /// Zero means path building would have to search. That is what lets a caller tell a serialized
    /// store that carries its own graph from one that carries only certificates, and so decide
    /// whether searching again would recompute an answer it already has.
    pub fn num_partial_paths(&self) -> usize {
        self.buffers_and_paths
            .partial_paths
            .iter()
            .flat_map(|row| row.values())
            .map(|paths| paths.len())
            .sum()
    }
    /// Returns the parsed certificate vector prepared by [`CertSource::initialize`]. Entries are
    /// `None` where the corresponding buffer could not be parsed or was invalid at the time of
    /// interest.
    pub fn certs(&self) -> &[Option<PDVCertificate>] {
        &self.certs
    }
    /// Retrieves certificate at a given index, or `None` when the index is out of range or the
    /// certificate at it could not be parsed or was not valid at the time of interest.
    pub fn get_cert_at_index(&self, index: usize) -> Option<PDVCertificate> {
        self.certs.get(index).cloned().flatten()
    }

    /// Returns the partial paths the instance holds: the outer vector indexed by path length minus
    /// one, each map keyed by the key identifier of the leaf CA a path terminates at, each value a
    /// list of paths given as indices into the buffer vector. Returns a reference because
    /// [`BuffersAndPaths`] is `readonly`.
    pub fn partial_paths(&self) -> &PartialPaths {
        &self.buffers_and_paths.partial_paths
    }

    /// Returns one [`CertRow`] per position in the pool, including positions holding no usable
    /// certificate.
    pub fn cert_rows(&self) -> Vec<CertRow> {
        let buffers = &self.buffers_and_paths.buffers;
        // The buffer vector is the spine rather than `certs`, because the indices in the partial
        // paths are positions in it. The two are the same length after `initialize`; taking the
        // longer of them means a caller mid-population sees every position either holds.
        let count = core::cmp::max(buffers.len(), self.certs.len());
        let mut rows = Vec::with_capacity(count);
        for index in 0..count {
            let filename = match buffers.get(index) {
                Some(cf) => cf.filename.clone(),
                None => String::new(),
            };
            // A position past the end of `certs` is a buffer added since the last `initialize`,
            // which is a third thing from a bad file and from one outside the time of interest.
            let entry = match self.certs.get(index) {
                Some(Some(cert)) => PoolEntry::Certificate(Box::new(CertDetail::from_cert(cert))),
                Some(None) => PoolEntry::Unusable(
                    self.unusable
                        .get(index)
                        .copied()
                        .flatten()
                        .unwrap_or(UnusableReason::NotParsed),
                ),
                None => PoolEntry::Unusable(UnusableReason::NotParsed),
            };
            rows.push(CertRow {
                index,
                filename,
                entry,
            });
        }
        rows
    }

    /// Returns one [`PathRow`] per partial path, in the order the listings print them: by path
    /// length, then by the leaf CA's key identifier.
    pub fn path_rows(&self) -> Vec<PathRow> {
        let mut rows = Vec::with_capacity(self.num_partial_paths());
        for outer in self.buffers_and_paths.partial_paths.iter() {
            for (key, inner) in outer.iter() {
                for indices in inner {
                    rows.push(self.path_row(key, indices));
                }
            }
        }
        rows
    }

    /// Builds the row for one stored path. Shared by [`CertSource::path_rows`] and
    /// [`CertSource::log_partial_paths`] so that the listing and the rows cannot describe a path
    /// differently.
    fn path_row(&self, key: &str, indices: &[usize]) -> PathRow {
        let leaf_ca_indices = match self.skid_map.get(key) {
            Some(v) => v.clone(),
            None => vec![],
        };

        let mut ta_subject = String::new();
        if let Some(Some(cert)) = indices.first().and_then(|i| self.certs.get(*i)) {
            ta_subject = get_leaf_rdn(cert.decoded().tbs_certificate().issuer());
        }

        PathRow {
            leaf_ca_skid: key.to_string(),
            // The key identifier stands in when the pool holds no usable certificate to read a
            // name from, which is what the listings have always printed in that case.
            leaf_ca_subject: self.leaf_ca_label(key),
            leaf_ca_indices,
            ta_subject,
            indices: indices.to_vec(),
        }
    }

    /// Logs every certificate the instance holds -- index, key identifier, issuer and subject --
    /// through `log` at info level.
    pub fn log_certs(&self) {
        if self.certs.is_empty() {
            info!("No certificates present");
        }

        for row in self.cert_rows() {
            if let Some(line) = row.log_line() {
                info!("{line}");
            }
        }
    }

    /// Logs every AIA and SIA URI the certificates carry, through `log` at info level, and
    /// collects into `fresh_uris` the ones not already known to the instance.
    pub fn log_all_aia_and_sia(&self, fresh_uris: &mut Vec<String>) {
        for row in self.cert_rows() {
            let Some(detail) = row.detail() else {
                continue;
            };
            for uri in &detail.aia_and_sia {
                if !fresh_uris.contains(uri) {
                    fresh_uris.push(uri.clone());
                }
            }
        }

        if fresh_uris.is_empty() {
            info!("No AIA or SIA URIs observed");
            return;
        }

        fresh_uris.sort();
        for u in fresh_uris {
            info!("{}", u.as_str());
        }
    }

    /// Logs the permitted and excluded subtrees of every certificate that constrains names,
    /// through `log` at info level.
    pub fn log_all_name_constraints(&self) {
        let mut logged_some = false;
        for row in self.cert_rows() {
            let Some(detail) = row.detail() else {
                continue;
            };
            // The heading repeats before each half rather than being printed once for the pair:
            // a certificate that both permits and excludes produces two labelled blocks, and
            // reading the second without its own heading would attach it to the first.
            let heading = row.log_line().unwrap_or_default();
            if !detail.permitted.is_empty() {
                logged_some = true;
                info!("{heading}");
                info!("Permitted Name Constraints");
                for gs in &detail.permitted {
                    info!("- {gs}");
                }
            }
            if !detail.excluded.is_empty() {
                logged_some = true;
                info!("{heading}");
                info!("Excluded Name Constraints");
                for gs in &detail.excluded {
                    info!("- {gs}");
                }
            }
        }
        if !logged_some {
            info!("No name constraints observed");
        }
    }

    /// Logs every partial path the instance holds, grouped by the leaf CA it terminates at,
    /// through `log` at info level.
    pub fn log_partial_paths(&self) {
        let partial_paths = &self.buffers_and_paths.partial_paths;

        if partial_paths.is_empty() {
            info!("No partial paths available");
            return;
        }

        let mut counts = vec![];

        for (i, outer) in partial_paths.iter().enumerate() {
            counts.push(0);
            for key in outer.keys() {
                let inner = &outer[key];
                counts[i] += inner.len();

                // The label line names the group, so it is printed from the group rather than
                // from a path: a key holding no paths still announces itself, and the count
                // above has already recorded that it holds none.
                let label = match inner.first() {
                    Some(indices) => self.path_row(key, indices).leaf_ca_subject,
                    None => key.clone(),
                };
                info!("{label}: ");

                for v in inner {
                    info!("{}", self.path_row(key, v).log_line());
                }
            }
        }
        let mut non_null_certs = 0;
        for _ in self.certs.iter().flatten() {
            non_null_certs += 1;
        }
        let mut message = format!("{non_null_certs} certificates yielded: ");
        for (i, count) in counts.iter().enumerate() {
            if 0 == i {
                message.push_str(format!("\n - {count} paths with 1 certificate").as_str());
            } else if counts[i] != 0 {
                message
                    .push_str(format!(";\n - {count} paths with {} certificates", i + 1).as_str());
            }
        }
        info!("{}", message.as_str());
    }

    /// Returns the partial paths that could certify `target`, as rows.
    ///
    /// The paths are found by the key the target's issuer is indexed under: the key identifier from
    /// its authority key identifier extension, or, where the extension carries names instead of a
    /// key identifier, whatever key identifier the name map leads to. A target naming an issuer this
    /// source does not hold yields no paths.
    ///
    /// Two kinds of stored path are declined rather than returned, both reported through `log` at
    /// error level because each describes a store that is not what it claims: one naming no
    /// certificates, and one whose leaf CA carries the target's issuer key identifier under a
    /// different name. Each path is judged on its own, as [`CertificateSource::get_paths_for_target`]
    /// judges them, so the rows are the paths the builder would try.
    pub fn paths_for_target(
        &self,
        target: &PDVCertificate,
        time_of_interest: TimeOfInterest,
    ) -> Vec<PathRow> {
        if valid_at_time(target.decoded().tbs_certificate(), time_of_interest, true).is_err() {
            error!(
                "No paths found because target is not valid at indicated time of interest ({time_of_interest})"
            );
            return vec![];
        }

        if self.buffers_and_paths.partial_paths.is_empty() {
            if self.certs.is_empty() {
                info!("No partial paths present");
            }
            return vec![];
        }

        let key = self.issuer_key_for_target(target);
        if key.is_empty() {
            let fname = get_filename_from_cert_metadata(target);
            let issuer = get_leaf_rdn(target.decoded().tbs_certificate().issuer());
            debug!("Missing AKID in target and failed to find issuer by name - {issuer} ({fname})");
            return vec![];
        }

        let mut rows = vec![];
        for outer in self.buffers_and_paths.partial_paths.iter() {
            let Some(inner) = outer.get(&key) else {
                continue;
            };
            for v in inner {
                if v.is_empty() {
                    let label = self.leaf_ca_label(&key);
                    error!("Empty partial paths vector for {label}: . Skipping.");
                    continue;
                }

                // Accounts for CAs that use the same key identifier under different names. Could
                // add a name constraints check here too, maybe.
                let mut mismatched = false;
                if let Some(Some(ca)) = v.last().and_then(|li| self.certs.get(*li)) {
                    mismatched = !compare_names(
                        ca.decoded().tbs_certificate().subject(),
                        target.decoded().tbs_certificate().issuer(),
                    );
                }
                if mismatched {
                    error!( "Encountered CA that is likely using same SKID with different names. Skipping partial path due to name mismatch.");
                    continue;
                }

                rows.push(self.path_row(&key, v));
            }
        }
        rows
    }

    /// Logs info about partial paths and corresponding buffers for a given target
    pub fn log_paths_for_target(&self, target: &PDVCertificate, time_of_interest: TimeOfInterest) {
        let rows = self.paths_for_target(target, time_of_interest);
        self.log_path_rows(&rows);
    }

    /// The key identifier the issuer of `target` is indexed under, or an empty string when none
    /// can be established.
    ///
    /// Read from the authority key identifier extension where it carries one. Where it carries
    /// issuer names instead, and where there is no extension at all, the issuer name is looked up
    /// in the name map and the key identifier of the first certificate found under it is used.
    fn issuer_key_for_target(&self, target: &PDVCertificate) -> String {
        let mut name_vec = vec![target.decoded().tbs_certificate().issuer()];
        let akid_ext = target.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER);
        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(akid))) = akid_ext {
            if let Some(kid) = &akid.key_identifier {
                return buffer_to_hex(kid.as_bytes());
            }
            if let Some(names) = &akid.authority_cert_issuer {
                for n in names {
                    if let GeneralName::DirectoryName(dn) = n {
                        name_vec.push(dn);
                    }
                }
            }
        }

        for n in name_vec {
            let name_str = name_to_string(n);
            let Some(candidates) = self.name_map.get(&name_str) else {
                continue;
            };
            for i in candidates {
                if let Some(Some(cert)) = self.certs.get(*i) {
                    let skid = hex_skid_from_cert(cert);
                    if !skid.is_empty() {
                        debug!("Using calculated key identifier in lieu of AKID for {name_str}");
                        return skid;
                    }
                }
            }
        }

        String::new()
    }

    /// The name a key identifier is labelled by in the listings: the leaf RDN of the first
    /// certificate found under it, or the key identifier itself when none is held.
    fn leaf_ca_label(&self, key: &str) -> String {
        if let Some(candidates) = self.skid_map.get(key) {
            for c in candidates {
                if let Some(Some(cert)) = self.certs.get(*c) {
                    return get_leaf_rdn(cert.decoded().tbs_certificate().subject());
                }
            }
        }
        key.to_string()
    }

    /// Logs a set of partial paths the way the per-target and per-leaf-CA listings report one: the
    /// paths under a label naming their leaf CA, then the certificates they name between them, then
    /// a count of each.
    fn log_path_rows(&self, rows: &[PathRow]) {
        let mut labelled: Option<(usize, &str)> = None;
        for row in rows {
            let group = (row.len(), row.leaf_ca_skid.as_str());
            if labelled != Some(group) {
                info!("{}: ", row.leaf_ca_subject);
                labelled = Some(group);
            }
            info!("{}", row.log_line());
        }

        // In order of first appearance, which is the order the paths name them; the listing below
        // prints them in index order regardless, so this only decides membership.
        let mut indices = vec![];
        for row in rows {
            for i in &row.indices {
                if !indices.contains(i) {
                    indices.push(*i);
                }
            }
        }

        for row in self.cert_rows() {
            if !indices.contains(&row.index) {
                continue;
            }
            if let Some(line) = row.log_line() {
                info!("{line}");
            }
        }

        info!(
            "Found {} partial paths featuring {} different intermediate CA certificates",
            rows.len(),
            indices.len()
        );
    }

    /// Returns the partial paths that terminate at `target`, as rows.
    ///
    /// The paths are found by the target's own key identifier: the value of its subject key
    /// identifier extension, or the calculated one the source would index it under when it carries
    /// no such extension. Unlike [`CertSource::paths_for_target`], every stored path under that key
    /// is returned — the caller has named the leaf CA itself, so there is no issuer name to hold
    /// the paths against.
    pub fn paths_for_leaf_ca(&self, target: &PDVCertificate) -> Vec<PathRow> {
        if self.buffers_and_paths.partial_paths.is_empty() {
            if self.certs.is_empty() {
                info!("No partial paths present");
            }
            return vec![];
        }

        let mut key = String::new();
        if let Ok(Some(PDVExtension::SubjectKeyIdentifier(skid))) =
            target.get_extension(&ID_CE_SUBJECT_KEY_IDENTIFIER)
        {
            key = buffer_to_hex(skid.0.as_bytes());
        }
        if key.is_empty() {
            key = hex_skid_from_cert(target);
        }
        if key.is_empty() {
            let fname = get_filename_from_cert_metadata(target);
            error!("Missing SKID in leaf CA and failed to calculate one - {fname}");
            return vec![];
        }

        let mut rows = vec![];
        for outer in self.buffers_and_paths.partial_paths.iter() {
            let Some(inner) = outer.get(&key) else {
                continue;
            };
            for v in inner {
                rows.push(self.path_row(&key, v));
            }
        }
        rows
    }

    /// Logs info about partial paths and corresponding buffers for a given leaf CA
    pub fn log_paths_for_leaf_ca(&self, target: &PDVCertificate) {
        let rows = self.paths_for_leaf_ca(target);
        self.log_path_rows(&rows);
    }

    /// serialize returns a buffer containing a CBOR encoding of the buffers_and_paths
    /// field of a CertSource instance. This can be deserialized then used as input to the process
    /// to prepare a new CertSource instance for use.
    pub fn serialize(&self, format: CertificationPathBuilderFormats) -> Result<Vec<u8>> {
        if CertificationPathBuilderFormats::Cbor != format {
            error!("Format other than CBOR requested when serializing partial paths. Only CBOR is accepted presently.");
            return Err(Error::Unrecognized);
        }

        let mut ppcounter = 0;

        let partial_paths = &self.buffers_and_paths.partial_paths;

        for outer in partial_paths.iter() {
            for key in outer.keys() {
                let inner = &outer[key];
                ppcounter += inner.len();
            }
        }
        info!(
            "Serializing {} buffers and {} partial paths",
            self.buffers_and_paths.buffers.len(),
            ppcounter
        );

        let mut buffer = Vec::new();
        let r = into_writer(&self.buffers_and_paths, &mut buffer);
        match r {
            Ok(_) => Ok(buffer),
            Err(e) => {
                error!("Failed to generate CBOR file containing partial paths with error: {e:?}");
                Err(Error::Unrecognized)
            }
        }
    }

    /// normalize_buffer_labels reduces each buffer's `filename` label to its basename (the
    /// final path component, splitting on both `/` and `\`). Folder-based ingest records the
    /// absolute source path in `filename`; serializing that into a distributed store would
    /// bake the generating machine's directory layout and username into the artifact and make
    /// the output non-deterministic across machines. The label is only ever surfaced in logs
    /// and reports (path building indexes by key identifier and name, and [`CertFile`]
    /// equality ignores `filename`), so a basename preserves a useful label while keeping
    /// generated stores leak-free and reproducible. Intended to be called just before
    /// serialization; labels that are already path-free are left unchanged.
    pub fn normalize_buffer_labels(&mut self) {
        for cf in self.buffers_and_paths.buffers.iter_mut() {
            if let Some(base) = cf.filename.rsplit(['/', '\\']).next() {
                cf.filename = base.to_string();
            }
        }
    }

    /// find_all_partial_paths is a slow recursive builder intended for offline use prior to
    /// serializing a set of partial paths.
    pub fn find_all_partial_paths(&mut self, pe: &PkiEnvironment, cps: &CertificationPathSettings) {
        let partial_paths = &mut self.buffers_and_paths.partial_paths;

        partial_paths.clear();

        self.find_all_partial_paths_internal(pe, cps, 0);
    }

    /// Returns the buffer at a given index, or `None` when the index is out of range.
    ///
    /// Borrowed, and available for every position rather than only the ones that parsed. Both
    /// matter: [`CertSource::get_buffers`] clones the whole vector to answer about one, and
    /// [`CertSource::get_cert_at_index`] answers with nothing for a position whose buffer did not
    /// parse -- which is the position whose bytes are most worth having, since a file that will not
    /// parse here is one to examine somewhere else.
    pub fn buffer_at(&self, index: usize) -> Option<&CertFile> {
        self.buffers_and_paths.buffers.get(index)
    }

    /// Return list of buffers
    pub fn get_buffers(&self) -> Vec<CertFile> {
        self.buffers_and_paths.buffers.clone()
    }

    /// Parses the buffers held in this instance's [`BuffersAndPaths`] into its `certs` field, so that
    /// the [`CertSource`] can serve [`PDVCertificate`] instances rather than raw bytes.
    ///
    /// The two vectors stay index-aligned: a buffer that fails to parse, or that is not valid at the
    /// time of interest carried in `cps`, leaves a `None` in `certs` rather than being skipped,
    /// because the partial paths in [`BuffersAndPaths`] address certificates by index.
    ///
    /// Only the buffers that have not been parsed yet are parsed, with the index alignment determining
    /// which.
    fn populate_parsed_cert_vector(&mut self, cps: &CertificationPathSettings) -> Result<bool> {
        let time_of_interest = cps.get_time_of_interest();
        let already_parsed = self.certs.len();
        for (i, cert_file) in self
            .buffers_and_paths
            .buffers
            .iter()
            .enumerate()
            .skip(already_parsed)
        {
            if let Ok(cert) =
                CertificateInner::from_der(self.buffers_and_paths.buffers[i].bytes.as_slice())
            {
                let valid = if time_of_interest.is_disabled() {
                    true
                } else {
                    // A CA certificate in a store expiring is ordinary lifecycle, not an error.
                    let r = valid_at_time(cert.tbs_certificate(), time_of_interest, true);
                    if r.is_err() {
                        debug!(
                            "Ignoring certificate {} from {} as not valid at the time of interest",
                            name_to_string(cert.tbs_certificate().subject()),
                            cert_file.filename
                        );
                    }
                    matches!(r, Ok(_x))
                };

                if valid {
                    // A parse failure pushes `None` like the other two branches rather than
                    // returning: this vector is positionally paired with `buffers`, and every
                    // index held in `partial_paths` and in the skid and name maps is a position in
                    // it. Returning here would leave it short, so those positions would address the
                    // wrong certificate or none at all. All three pittv3 call sites log and carry
                    // on regardless, so the early return did not stop a run either -- it only made
                    // the vector it left behind untrustworthy.
                    match parse_cert(
                        self.buffers_and_paths.buffers[i].bytes.as_slice(),
                        &cert_file.filename,
                    ) {
                        Ok(pdvcert) => {
                            self.certs.push(Some(pdvcert));
                            self.unusable.push(None);
                        }
                        Err(e) => {
                            error!(
                                "Failed to parse certificate from {} with {e}. Continuing without it.",
                                cert_file.filename
                            );
                            self.certs.push(None);
                            self.unusable.push(Some(UnusableReason::Unparsed));
                        }
                    }
                } else {
                    self.certs.push(None);
                    self.unusable
                        .push(Some(UnusableReason::NotValidAtTimeOfInterest));
                }
            } else {
                self.certs.push(None);
                self.unusable.push(Some(UnusableReason::Unparsed));
            }
        }
        // Whether anything was appended, so a caller knows whether the maps built over `certs` are
        // still current. One entry is pushed per buffer processed -- a certificate that fails to
        // parse or is invalid at the time of interest pushes `None` rather than being skipped,
        // since the positions are what the maps and the partial paths address -- so the length
        // answers it exactly.
        Ok(already_parsed != self.certs.len())
    }

    /// index_certs prepares internally used key identifier and name maps after the caller has modified
    /// the buffers_and_paths and certs fields.
    ///
    /// Both maps are rebuilt rather than added to, so calling this again after more certificates have
    /// been parsed does not enter the ones already indexed a second time. The values are positions in
    /// `certs`, which only grows, so a rebuild yields what was there plus the new positions.
    pub fn index_certs(&mut self) {
        self.skid_map.clear();
        self.name_map.clear();
        for (i, cert) in self.certs.iter().enumerate() {
            if let Some(cert) = cert {
                let hex_skid = hex_skid_from_cert(cert);
                // a cert whose key identifier cannot be computed (e.g. malformed public key) is
                // left out of the SKID index rather than bucketed under an empty key
                if !hex_skid.is_empty() {
                    if self.skid_map.contains_key(&hex_skid) {
                        let mut v = self.skid_map[&hex_skid].clone();
                        v.push(i);
                        self.skid_map.insert(hex_skid, v);
                    } else {
                        self.skid_map.insert(hex_skid, vec![i]);
                    }
                }

                let name_str = name_to_string(cert.decoded().tbs_certificate().subject());
                if self.name_map.contains_key(&name_str) {
                    let mut v = self.name_map[&name_str].clone();
                    v.push(i);
                    self.name_map.insert(name_str, v);
                } else {
                    self.name_map.insert(name_str, vec![i]);
                }
            }
        }
    }

    fn pub_key_in_path(&self, prospective_cert: &PDVCertificate, path: &[usize]) -> bool {
        for i in path {
            if let Some(Some(path_item)) = self.certs.get(*i) {
                if path_item
                    .as_ref()
                    .tbs_certificate()
                    .subject_public_key_info()
                    == prospective_cert
                        .as_ref()
                        .tbs_certificate()
                        .subject_public_key_info()
                {
                    return true;
                }
            } else {
                // the index references an empty slot where an un-parseable or time invalid buffer was found
                return false;
            }
        }
        false
    }

    fn get_operative_path_len_constraint(&self, path: &[usize]) -> u8 {
        let mut path_len_constraint = 15;
        for i in path {
            if let Some(Some(ca_cert)) = self.certs.get(*i) {
                if !is_self_issued(ca_cert.decoded()) {
                    if path_len_constraint == 0 {
                        return 0;
                    }
                    path_len_constraint -= 1;
                }

                let pdv_ext = ca_cert.get_extension(&ID_CE_BASIC_CONSTRAINTS);
                if let Ok(Some(PDVExtension::BasicConstraints(bc))) = pdv_ext {
                    // (k)  If certificate i is a version 3 certificate, verify that the
                    //       basicConstraints extension is present and that cA is set to
                    //       TRUE.  (If certificate i is a version 1 or version 2
                    //       certificate, then the application MUST either verify that
                    //       certificate i is a CA certificate through out-of-band means
                    //       or reject the certificate.  Conforming implementations may
                    //       choose to reject all version 1 and version 2 intermediate
                    //       certificates.)
                    if !bc.ca {
                        return 0;
                    }

                    if let Some(pl) = bc.path_len_constraint {
                        // (m)  If pathLenConstraint is present in the certificate and is
                        //       less than max_path_length, set max_path_length to the value
                        //       of pathLenConstraint.
                        path_len_constraint = if path_len_constraint > pl {
                            pl
                        } else {
                            path_len_constraint
                        }
                    }
                } else {
                    // no basic constraints
                    return 0;
                }
            } else {
                return 0;
            }
        }
        path_len_constraint
    }

    /// check_validity_in_partial_path takes a set of indices and returns true if all are valid at time of interest and false
    /// otherwise. if there is no time of interest, true is returned.
    fn check_validity_in_partial_path(
        &self,
        path: &[usize],
        cps: &CertificationPathSettings,
    ) -> bool {
        let time_of_interest = cps.get_time_of_interest();
        if time_of_interest.is_disabled() {
            return true;
        }
        for i in path.iter() {
            if let Some(Some(ca_cert)) = self.certs.get(*i) {
                if let Err(_e) =
                    valid_at_time(ca_cert.decoded().tbs_certificate(), time_of_interest, true)
                {
                    return false;
                }
            }
        }
        true
    }

    /// check_names_in_partial_path takes a vector of indices that comprise a prospective partial
    /// path and checks for name constraints violations. This only checks for violations in the
    /// partial path itself. Issues when paired with some trust anchors or targets may still exist.
    fn check_names_in_partial_path(&self, path: &[usize]) -> bool {
        let mut permitted_subtrees = NameConstraintsSet::default();
        let mut excluded_subtrees = NameConstraintsSet::default();

        // Iterate over the list of intermediate CA certificates plus target to check name chaining
        for (pos, i) in path.iter().enumerate() {
            if let Some(Some(ca_cert)) = self.certs.get(*i) {
                let self_issued = is_self_issued(ca_cert.decoded());

                if (pos + 1) == path.len() || !self_issued {
                    if !permitted_subtrees.subject_within_permitted_subtrees(
                        ca_cert.decoded().tbs_certificate().subject(),
                    ) {
                        return false;
                    }

                    if excluded_subtrees.subject_within_excluded_subtrees(
                        ca_cert.decoded().tbs_certificate().subject(),
                    ) {
                        return false;
                    }

                    let san = if let Ok(Some(PDVExtension::SubjectAltName(san))) =
                        ca_cert.get_extension(&ID_CE_SUBJECT_ALT_NAME)
                    {
                        Some(san)
                    } else {
                        None
                    };

                    if !permitted_subtrees.san_within_permitted_subtrees(&san) {
                        return false;
                    }

                    if excluded_subtrees.san_within_excluded_subtrees(&san) {
                        return false;
                    }
                }

                if pos + 1 != path.len() {
                    if let Ok(Some(PDVExtension::NameConstraints(nc))) =
                        ca_cert.get_extension(&ID_CE_NAME_CONSTRAINTS)
                    {
                        if let Some(excl) = &nc.excluded_subtrees {
                            excluded_subtrees.calculate_union(excl);
                        }
                        if let Some(perm) = &nc.permitted_subtrees {
                            permitted_subtrees.calculate_intersection(perm);
                        }

                        // An empty permitted subtree for some name form does not prune the partial
                        // path: names are checked per form against the operative subtrees above, so
                        // a form no certificate in the path presents is vacuously satisfied. This
                        // filter is approximate and never rejects a path the full validator accepts.
                    }
                }
            }
        } // end for (pos, ca_cert_ref) in v.iter_mut().enumerate() {

        true
    }

    fn find_prospective_issuers(&self, target: &PDVCertificate) -> Vec<String> {
        let mut retval: Vec<String> = vec![];

        let mut akid_hex = "".to_string();
        let mut name_vec = vec![target.decoded().tbs_certificate().issuer()];
        let akid_ext = target.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER);
        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(akid))) = akid_ext {
            if let Some(kid) = &akid.key_identifier {
                akid_hex = buffer_to_hex(kid.as_bytes());
            } else if let Some(names) = &akid.authority_cert_issuer {
                for n in names {
                    if let GeneralName::DirectoryName(dn) = n {
                        name_vec.push(dn);
                    }
                }
            }
        }

        if !akid_hex.is_empty() {
            retval.push(akid_hex);
        }
        for n in name_vec {
            let name_str = name_to_string(n);
            if self.name_map.contains_key(&name_str) {
                for i in &self.name_map[&name_str] {
                    if let Some(Some(c)) = self.certs.get(*i) {
                        let skid = hex_skid_from_cert(c);
                        if !retval.contains(&skid) {
                            retval.push(skid);
                        }
                    }
                }
            }
        }

        retval
    }

    /// find_all_partial_paths_internal is a slow recursive builder intended for offline use prior
    /// to serializing a set of partial paths. Partial paths are represented as a vector of maps,
    /// where the maps are keyed using an ASCII hex key identifier with a vector of indices as the
    /// value: Vec<BTreeMap<String, Vec<usize>>>. The key identifier value used as the key is that of
    /// the last element in the vector of indices. Key identifier values are typically read from
    /// a subject key identifier extension, but if that is absent a value is calculated.
    ///
    /// The 0th element in the outer vector features a map that contains paths that feature one CA
    /// certificate, i.e., CAs that are issued by an available trust anchor. The 1st element in the
    /// outer vector features a map that contains paths that feature two CA certificates, i.e., a
    /// copy of an item in the 0th element with one certificate added.
    ///
    /// To build a path for a given target certificate, one iterates over the outer vector and saves
    /// vectors of indices from the map element corresponding to the desired key identifier. The
    /// resulting set of partial paths will proceed from shortest available path to longest.
    ///
    fn find_all_partial_paths_internal(
        &mut self,
        pe: &PkiEnvironment,
        cps: &CertificationPathSettings,
        pass: u8,
    ) {
        // Instantiate a map that will aggregate paths built relative to the 0th or pass-1 row in
        // self.buffers_and_paths.partial_paths, if any.
        let mut new_additions: BTreeMap<String, Vec<Vec<usize>>> = BTreeMap::new();

        // iterate over all certs in the self.certs vector.
        for (cur_cert_index, cur_cert) in self.certs.iter().enumerate() {
            // skip over elements that don't have a cert (these correspond to buffers in
            // self.buffers_and_paths.buffers that could not be parsed when self.certs was prepared.
            if let Some(cur_cert) = cur_cert {
                let cur_cert_hex_skid = hex_skid_from_cert(cur_cert);
                if 0 == pass {
                    let ta = pe.get_trust_anchor_for_target(cur_cert);
                    if let Ok(ta) = ta {
                        // RFC 5914 TAs do not necessary have to have a name, if this is one of those, ignore it
                        let ta_name = get_trust_anchor_name(ta.decoded());
                        if let Ok(ta_name) = ta_name {
                            if compare_names(cur_cert.decoded().tbs_certificate().issuer(), ta_name)
                            {
                                let defer_cert = DeferDecodeSigned::from_der(cur_cert.as_bytes());
                                if let Ok(defer_cert) = defer_cert {
                                    let spki =
                                        get_subject_public_key_info_from_trust_anchor(ta.decoded());
                                    let r = pe.verify_signature_message(
                                        pe,
                                        &defer_cert.tbs_field,
                                        cur_cert.decoded().signature(),
                                        cur_cert.decoded().tbs_certificate().signature(),
                                        spki,
                                    );
                                    if let Ok(_r) = r {
                                        let new_path = vec![cur_cert_index];
                                        if new_additions.contains_key(&cur_cert_hex_skid) {
                                            if !new_additions[&cur_cert_hex_skid]
                                                .contains(&new_path)
                                            {
                                                let mut v =
                                                    new_additions[&cur_cert_hex_skid].clone();
                                                v.push(new_path);
                                                new_additions.insert(cur_cert_hex_skid.clone(), v);
                                            }
                                        } else {
                                            new_additions
                                                .insert(cur_cert_hex_skid.clone(), vec![new_path]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                } else {
                    let defer_cert = DeferDecodeSigned::from_der(cur_cert.as_bytes());
                    if let Ok(defer_cert) = defer_cert {
                        // look for matches in map from previous row of partial_paths
                        let last_row = &self.buffers_and_paths.partial_paths[(pass - 1) as usize];

                        // get list of SKIDs for possible issuers (based on AKID and name lookups)
                        let prospective_issuers = self.find_prospective_issuers(cur_cert);
                        for k in prospective_issuers {
                            //log_message(&PeLogLevels::PeDebug, format!("LAST ROW FOR PASS #{} {:?}", pass, last_row.keys()).as_str());
                            if !last_row.contains_key(&k) {
                                continue;
                            }
                            let prospective_paths = &last_row[&k];
                            for prospective_path in prospective_paths {
                                if let Some(Some(prospective_ca_cert)) =
                                    prospective_path.last().and_then(|i| self.certs.get(*i))
                                {
                                    // A partial path whose path length constraint is exhausted is
                                    // not extended, the elimination RFC 4158 section 3.5.7 describes,
                                    // unless the next certificate is self-issued, which RFC 5280
                                    // 6.1.4 (l) does not count (mailwarden patch: such paths were
                                    // not built, PKITS 4.6.15 and 4.6.17).
                                    if 0 == self.get_operative_path_len_constraint(prospective_path)
                                        && !is_self_issued(cur_cert.decoded())
                                    {
                                        continue;
                                    }

                                    // should path settings be used more generally than time of interest?
                                    // Not doing that at present because policy and name constraints
                                    // are more variable than use of current time as time of interest
                                    if compare_names(
                                        cur_cert.decoded().tbs_certificate().issuer(),
                                        prospective_ca_cert.decoded().tbs_certificate().subject(),
                                    ) && self.check_names_in_partial_path(prospective_path)
                                        && self
                                            .check_validity_in_partial_path(prospective_path, cps)
                                    {
                                        let r = pe.verify_signature_message(
                                            pe,
                                            &defer_cert.tbs_field,
                                            cur_cert.decoded().signature(),
                                            cur_cert.decoded().tbs_certificate().signature(),
                                            prospective_ca_cert
                                                .as_ref()
                                                .tbs_certificate()
                                                .subject_public_key_info(),
                                        );
                                        if let Ok(_r) = r {
                                            if !self.pub_key_in_path(cur_cert, prospective_path) {
                                                let mut new_path = prospective_path.clone();
                                                new_path.push(cur_cert_index);
                                                if new_additions
                                                    .contains_key(&cur_cert_hex_skid.clone())
                                                {
                                                    if !new_additions[&cur_cert_hex_skid]
                                                        .contains(&new_path)
                                                    {
                                                        let mut v = new_additions
                                                            [&cur_cert_hex_skid]
                                                            .clone();
                                                        v.push(new_path);
                                                        new_additions
                                                            .insert(cur_cert_hex_skid.clone(), v);
                                                    }
                                                } else {
                                                    new_additions.insert(
                                                        cur_cert_hex_skid.clone(),
                                                        vec![new_path],
                                                    );
                                                }
                                            }
                                        }
                                    } // end compare_names
                                }
                            }
                        }
                    }
                } // end if 0 == pass {
            } // end if let Some(cur_cert) = cur_cert {
        }
        if !new_additions.is_empty() {
            // error!("NEW ADDITIONS FOR PASS #{}: {:?}", pass, new_additions);
            self.buffers_and_paths.partial_paths.push(new_additions);
            // 13 because the number of passes does not count TA or target
            if (PS_MAX_PATH_LENGTH_CONSTRAINT - 2) > pass {
                self.find_all_partial_paths_internal(pe, cps, pass + 1);
            }
        }
    }
}

impl CertificateSource for CertSource {
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
    ) -> Result<()> {
        if let Err(e) = valid_at_time(target.decoded().tbs_certificate(), time_of_interest, true) {
            error!(
                "No paths found because target is not valid at indicated time of interest ({time_of_interest})"
            );
            return Err(e);
        }

        let ta = pe.get_trust_anchor_for_target(target);
        if let Ok(ta) = ta {
            let path = CertificationPath::new(ta.clone(), vec![], target.clone());
            paths.push(path);
        }

        let mut akid_hex = "".to_string();
        let mut name_vec = vec![target.decoded().tbs_certificate().issuer()];
        let akid_ext = target.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER);
        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(akid))) = akid_ext {
            if let Some(kid) = &akid.key_identifier {
                akid_hex = buffer_to_hex(kid.as_bytes());
            } else if let Some(names) = &akid.authority_cert_issuer {
                for n in names {
                    if let GeneralName::DirectoryName(dn) = n {
                        name_vec.push(dn);
                    }
                }
            }
        }

        let paths_count = paths.len();

        let mut ii = 0;
        while ii < 2 {
            ii += 1;
            if !akid_hex.is_empty() {
                let partial_paths = &self.buffers_and_paths.partial_paths;

                for p in partial_paths.iter() {
                    if p.contains_key(&akid_hex) {
                        let indices_vec = &p[&akid_hex];
                        for indices in indices_vec {
                            if !above_threshold(indices, threshold) {
                                continue;
                            }

                            // This block accounts for CAs that use different names for same SKID. Could add name constraints check here too, maybe.
                            let last_index = if let Some(li) = indices.last() {
                                li
                            } else {
                                continue;
                            };
                            if let Some(Some(ca)) = self.certs.get(*last_index) {
                                if !compare_names(
                                    ca.decoded().tbs_certificate().subject(),
                                    target.decoded().tbs_certificate().issuer(),
                                ) {
                                    error!("Encountered CA that is likely using same SKID with different names. Skipping partial path due to name mismatch.");
                                    continue;
                                }
                            }

                            let mut ta = None;
                            let mut intermediates = vec![];
                            let mut found_blank = false;
                            for (i, index) in indices.iter().enumerate() {
                                if let Some(Some(cert)) = self.certs.get(*index) {
                                    intermediates.push(cert.clone());
                                    if 0 == i {
                                        let mut ta_akid_hex = "".to_string();
                                        let mut ta_name_vec =
                                            vec![target.decoded().tbs_certificate().issuer()];
                                        let ca_akid_ext =
                                            cert.get_extension(&ID_CE_AUTHORITY_KEY_IDENTIFIER);
                                        if let Ok(Some(PDVExtension::AuthorityKeyIdentifier(
                                            ca_akid,
                                        ))) = ca_akid_ext
                                        {
                                            if let Some(ca_kid) = &ca_akid.key_identifier {
                                                ta_akid_hex = buffer_to_hex(ca_kid.as_bytes());
                                            } else if let Some(names) =
                                                &ca_akid.authority_cert_issuer
                                            {
                                                for n in names {
                                                    if let GeneralName::DirectoryName(dn) = n {
                                                        ta_name_vec.push(dn);
                                                    }
                                                }
                                            }
                                        }

                                        let mut resolved = None;
                                        if !ta_akid_hex.is_empty() {
                                            resolved =
                                                pe.get_trust_anchor_by_hex_skid(&ta_akid_hex).ok();
                                        }
                                        // Falls back on the result rather than on the presence of an AKID, so an AKID that
                                        // resolves to nothing reaches the name lookup too. A store indexes an anchor by its
                                        // SKID extension where it has one and by a hash of its public key where it does not,
                                        // so an AKID carrying a value derived the other way misses here and is found by name.
                                        if resolved.is_none() {
                                            resolved = pe.get_trust_anchor_for_target(cert).ok();
                                        }
                                        if resolved.is_some() {
                                            ta = resolved;
                                        }
                                    }
                                } else {
                                    // some cert slots are empty (due to parse or validity error). skip those.
                                    found_blank = true;
                                    break;
                                }
                            }
                            if !found_blank {
                                if let Some(ta) = ta {
                                    let path = CertificationPath::new(
                                        ta.clone(),
                                        intermediates,
                                        target.clone(),
                                    );
                                    if !pub_key_repeats(&path) {
                                        ii = 2;
                                        paths.push(path);
                                    }
                                }
                            }
                        }
                    }
                }
            } else {
                let fname = get_filename_from_cert_metadata(target);
                let issuer = get_leaf_rdn(target.decoded().tbs_certificate().issuer());
                debug!(
                    "Missing AKID in target and failed to find issuer by name - {issuer} ({fname})"
                );
            }

            if akid_hex.is_empty() || paths_count == paths.len() {
                // try to use name map to find AKID
                let mut changed = false;
                for n in &name_vec {
                    let name_str = name_to_string(n);
                    if self.name_map.contains_key(&name_str) {
                        for i in &self.name_map[&name_str] {
                            if let Some(Some(cert)) = self.certs.get(*i) {
                                let skid = hex_skid_from_cert(cert);
                                if !skid.is_empty() {
                                    debug!(
                                        "Using calculated key identifier in lieu of AKID for {name_str}"
                                    );
                                    akid_hex = skid;
                                    changed = true;
                                    break;
                                }
                            }
                        }
                    }
                }
                if !changed {
                    ii = 2;
                }
            }
        }

        Ok(())
    }

    fn get_certificates_for_skid(&self, skid: &[u8]) -> Result<Vec<&PDVCertificate>> {
        let hex_skid = buffer_to_hex(skid);
        let mut retval = vec![];
        if let Some(skid_map) = self.skid_map.get(hex_skid.as_str()) {
            for i in skid_map {
                if let Some(Some(cert)) = &self.certs.get(*i) {
                    retval.push(cert);
                }
            }
        }

        if retval.is_empty() {
            Err(Error::NotFound)
        } else {
            Ok(retval)
        }
    }

    fn get_certificates_for_name(&self, name: &Name) -> Result<Vec<&PDVCertificate>> {
        let name_str = name_to_string(name);
        let mut retval = vec![];
        if let Some(name_map) = self.name_map.get(name_str.as_str()) {
            for i in name_map {
                if let Some(Some(cert)) = &self.certs.get(*i) {
                    retval.push(cert);
                }
            }
        }

        if retval.is_empty() {
            Err(Error::NotFound)
        } else {
            Ok(retval)
        }
    }

    fn get_certificates(&self) -> Result<Vec<&PDVCertificate>> {
        let mut v = vec![];
        for ta in self.certs.iter().flatten() {
            v.push(ta);
        }

        Ok(v)
    }

    fn get_encoded_certificates_for_skid(&self, skid: &[u8]) -> Result<Vec<Vec<u8>>> {
        let hex_skid = buffer_to_hex(skid);
        let mut retval = vec![];
        if self.skid_map.contains_key(hex_skid.as_str()) {
            for i in &self.skid_map[&hex_skid] {
                if let Some(Some(cert)) = self.certs.get(*i) {
                    retval.push(cert.as_bytes().to_vec());
                }
            }
        }

        if retval.is_empty() {
            Err(Error::NotFound)
        } else {
            Ok(retval)
        }
    }

    fn get_encoded_certificates_for_name(&self, name: &Name) -> Result<Vec<Vec<u8>>> {
        let name_str = name_to_string(name);
        let mut retval = vec![];
        if self.name_map.contains_key(name_str.as_str()) {
            for i in &self.name_map[&name_str] {
                if let Some(Some(cert)) = self.certs.get(*i) {
                    retval.push(cert.as_bytes().to_vec());
                }
            }
        }

        if retval.is_empty() {
            Err(Error::NotFound)
        } else {
            Ok(retval)
        }
    }

    fn get_encoded_certificates(&self) -> Result<Vec<Vec<u8>>> {
        let mut v = vec![];
        for cert in self.certs.iter().flatten() {
            v.push(cert.as_bytes().to_vec());
        }
        Ok(v)
    }
}

fn above_threshold(v: &[usize], t: usize) -> bool {
    if 0 == t {
        return true;
    }

    for i in v {
        if *i > t - 1 {
            // if at least one item is above the threshold, let it pass
            return true;
        }
    }
    false
}

fn pub_key_repeats(path: &CertificationPath) -> bool {
    let mut spki_array: Vec<&SubjectPublicKeyInfoOwned> =
        vec![get_subject_public_key_info_from_trust_anchor(
            path.trust_anchor.decoded(),
        )];
    for c in &path.intermediates {
        let ca = c.clone();
        if spki_array.contains(&ca.decoded().tbs_certificate().subject_public_key_info()) {
            return true;
        } else {
            spki_array.push(c.decoded().tbs_certificate().subject_public_key_info());
        }
    }
    false
}

/// get_filename_from_ta_metadata returns the trust anchor's locator, i.e. the name of the file or
/// URI it was read from, or an
/// empty string.
pub fn get_filename_from_cert_metadata(cert: &PDVCertificate) -> String {
    cert.locator().map(str::to_string).unwrap_or_default()
}

#[cfg(feature = "std")]
#[test]
fn get_certificates_test() {
    use crate::encode_dn_from_string;
    use crate::file_utils::cert_folder_to_vec;
    use der::Decode;
    use hex_literal::hex;

    let mut cert_store = CertSource::new();
    let pe = PkiEnvironment::default();
    assert!(cert_folder_to_vec(
        &pe,
        "tests/examples/PKITS_data_2048/certs",
        &mut cert_store,
        TimeOfInterest::from_unix_secs(1647258133).unwrap(),
    )
    .is_ok());
    let cps = CertificationPathSettings::default();
    assert!(cert_store.populate_parsed_cert_vector(&cps,).is_ok());
    for (i, cert) in cert_store.certs.iter().enumerate() {
        if let Some(cert) = cert {
            let hex_skid = hex_skid_from_cert(cert);
            if cert_store.skid_map.contains_key(&hex_skid) {
                let mut v = cert_store.skid_map[&hex_skid].clone();
                v.push(i);
                cert_store.skid_map.insert(hex_skid, v);
            } else {
                cert_store.skid_map.insert(hex_skid, vec![i]);
            }

            let name_str = name_to_string(cert.decoded().tbs_certificate().subject());
            if cert_store.name_map.contains_key(&name_str) {
                let mut v = cert_store.name_map[&name_str].clone();
                v.push(i);
                cert_store.name_map.insert(name_str, v);
            } else {
                cert_store.name_map.insert(name_str, vec![i]);
            }
        }
    }

    let v = cert_store
        .get_certificates_for_skid(&hex!("A83C099D67F6D847BAA2D0FC18725688406D9595"))
        .unwrap();
    assert_eq!(v.len(), 1);
    let r = cert_store.get_certificates_for_skid(&hex!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert!(r.is_err());
    assert_eq!(r.err(), Some(Error::NotFound));

    let en = encode_dn_from_string("CN=Valid EE Certificate Test1,O=Test Certificates 2011,C=US")
        .unwrap();
    let n = Name::from_der(en.as_slice()).unwrap();
    let en2 = encode_dn_from_string("CN=Does Not Exist,O=Test Certificates 2011,C=US").unwrap();
    let n2 = Name::from_der(en2.as_slice()).unwrap();
    let v = cert_store.get_certificates_for_name(&n).unwrap();
    assert_eq!(v.len(), 1);
    let r = cert_store.get_certificates_for_name(&n2);
    assert!(r.is_err());
    assert_eq!(r.err(), Some(Error::NotFound));

    let v = cert_store.get_certificates().unwrap();
    // there are 405 certs in the folder, but some fail to parse, and the 16 self-issued ones are
    // skipped because this environment has no verifier to check their signatures
    assert_eq!(383, v.len());

    let v = cert_store
        .get_encoded_certificates_for_skid(&hex!("A83C099D67F6D847BAA2D0FC18725688406D9595"))
        .unwrap();
    assert_eq!(v.len(), 1);
    let r = cert_store
        .get_encoded_certificates_for_skid(&hex!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert!(r.is_err());
    assert_eq!(r.err(), Some(Error::NotFound));

    let v = cert_store.get_encoded_certificates_for_name(&n).unwrap();
    assert_eq!(v.len(), 1);
    let r = cert_store.get_encoded_certificates_for_name(&n2);
    assert!(r.is_err());
    assert_eq!(r.err(), Some(Error::NotFound));

    let v = cert_store.get_encoded_certificates().unwrap();
    assert_eq!(383, v.len());
}

// A dynamic build appends what it fetched to the source it already has and initializes it again,
// rather than starting over from a serialized copy. That only works if the second call parses just
// the buffers that were added and rebuilds the two maps instead of adding to them -- otherwise the
// parsed vector ends up twice as long as the buffers it is positionally paired with, and every
// certificate is indexed at two positions.
#[cfg(feature = "std")]
#[test]
fn initialize_again_after_appending_test() {
    use crate::file_utils::cert_folder_to_vec;
    use hex_literal::hex;

    let pe = PkiEnvironment::default();
    let toi = TimeOfInterest::from_unix_secs(1647258133).unwrap();
    let cps = CertificationPathSettings::default();

    let mut cert_store = CertSource::new();
    assert!(cert_folder_to_vec(
        &pe,
        "tests/examples/PKITS_data_2048/certs",
        &mut cert_store,
        toi,
    )
    .is_ok());
    assert!(cert_store.initialize(&cps).is_ok());

    let buffers_before = cert_store.num_buffers();
    let certs_before = cert_store.num_certs();
    assert_eq!(buffers_before, certs_before);
    let skid = hex!("A83C099D67F6D847BAA2D0FC18725688406D9595");
    assert_eq!(
        cert_store.get_certificates_for_skid(&skid).unwrap().len(),
        1
    );

    // A certificate the folder does not hold, pushed the way a fetch pushes what it retrieved.
    let extra = std::fs::read("tests/examples/DigiCertGlobalCAG2.der").unwrap();
    cert_store.push(CertFile {
        filename: "DigiCertGlobalCAG2.der".to_string(),
        bytes: extra,
    });
    assert_eq!(cert_store.num_buffers(), buffers_before + 1);

    assert!(cert_store.initialize(&cps).is_ok());

    // Grew by exactly the buffer that was added, so the two vectors still address the same
    // certificate at the same index.
    assert_eq!(cert_store.num_certs(), certs_before + 1);
    assert_eq!(cert_store.num_buffers(), cert_store.num_certs());
    assert_eq!(383 + 1, cert_store.get_certificates().unwrap().len());
    // And a certificate that was already indexed is still held at one position rather than two.
    assert_eq!(
        cert_store.get_certificates_for_skid(&skid).unwrap().len(),
        1
    );
}

// Building the partial-path graph records the trust-anchor-to-CA signature it verifies into a
// configured signature cache, so path validation can later skip re-verifying it.
//
// The cache key is the environment's own business -- nothing outside `PkiEnvironment` can mint one --
// so this asserts the observable consequence instead of the key bytes: with every verification
// callback removed, no signature can be verified afresh, and the same edge still coming back Ok can
// only mean it was served from the cache.
#[cfg(all(feature = "std", feature = "rsa"))]
#[test]
fn build_records_verified_signatures() {
    use crate::environment::pki_environment::DefaultSignatureVerificationCache;
    use crate::PDVTrustAnchorChoice;

    let ta_der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let ca_der =
        include_bytes!("../../tests/examples/rfc822_dn_nc/nameConstraintsRFC822CA1Cert.crt");

    let mut ta_source = TaSource::new();
    ta_source.push(CertFile {
        filename: "ta".to_string(),
        bytes: ta_der.to_vec(),
    });
    ta_source.initialize().unwrap();

    let mut pe = PkiEnvironment::new();
    pe.populate_5280_pki_environment();
    pe.add_trust_anchor_source(Box::new(ta_source));
    pe.add_signature_cache(Box::new(DefaultSignatureVerificationCache::new()));

    let cps = CertificationPathSettings::new();
    let mut cert_source = CertSource::new();
    cert_source.push(CertFile {
        filename: "ca".to_string(),
        bytes: ca_der.to_vec(),
    });
    cert_source.initialize(&cps).unwrap();
    cert_source.find_all_partial_paths(&pe, &cps);

    let ta = PDVTrustAnchorChoice::try_from(ta_der.as_slice()).unwrap();
    let ta_spki = get_subject_public_key_info_from_trust_anchor(ta.decoded());
    let defer_ca = DeferDecodeSigned::from_der(ca_der.as_slice()).unwrap();

    // Negative control: the same environment minus both the callbacks and the cache cannot verify
    // anything, which is what makes the assertion below non-vacuous.
    let mut bare = PkiEnvironment::new();
    bare.populate_5280_pki_environment();
    bare.clear_verify_signature_message_callbacks();
    assert!(
        bare.verify_signature_message(
            &bare,
            &defer_ca.tbs_field,
            &defer_ca.signature,
            &defer_ca.signature_algorithm,
            ta_spki,
        )
        .is_err(),
        "control: with no callbacks and no cache, nothing can verify"
    );

    pe.clear_verify_signature_message_callbacks();
    assert!(
        pe.verify_signature_message(
            &pe,
            &defer_ca.tbs_field,
            &defer_ca.signature,
            &defer_ca.signature_algorithm,
            ta_spki,
        )
        .is_ok(),
        "graph build should have recorded the trust-anchor-to-CA signature"
    );
}

// Building the partial-path graph over the PKITS certificates records every verified edge into a
// configured cache; re-verifying all of those paths is then measurably faster with the cache (the
// expensive signature verifications are skipped) than without it (every signature is verified).
#[cfg(all(feature = "std", feature = "rsa"))]
#[test]
fn signature_cache_speeds_up_verification() {
    use crate::environment::pki_environment::DefaultSignatureVerificationCache;
    use crate::file_utils::cert_folder_to_vec;
    use crate::validator::path_validator::verify_signatures;
    use crate::CertificationPathResults;
    use std::time::Instant;

    let toi = TimeOfInterest::disabled();

    let ta_der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut ta_source = TaSource::new();
    ta_source.push(CertFile {
        filename: "ta".to_string(),
        bytes: ta_der.to_vec(),
    });
    ta_source.initialize().unwrap();

    let mut pe = PkiEnvironment::new();
    pe.populate_5280_pki_environment();
    pe.add_trust_anchor_source(Box::new(ta_source));
    pe.add_signature_cache(Box::new(DefaultSignatureVerificationCache::with_capacity(
        usize::MAX,
    )));

    // Load all PKITS certificates and build the partial-path graph, recording the verified edges.
    let cps = CertificationPathSettings::new();
    let mut cert_source = CertSource::new();
    cert_folder_to_vec(
        &pe,
        "tests/examples/PKITS_data_2048/certs",
        &mut cert_source,
        toi,
    )
    .unwrap();
    cert_source.initialize(&cps).unwrap();
    cert_source.find_all_partial_paths(&pe, &cps);

    // Collect every path the builder found across all certificates.
    let mut paths: Vec<CertificationPath> = vec![];
    for cert in cert_source.get_certificates().unwrap() {
        let _ = cert_source.get_paths_for_target(&pe, cert, &mut paths, 0, toi);
    }
    assert!(!paths.is_empty(), "expected the PKITS graph to yield paths");

    let verify_all = |pe: &PkiEnvironment, paths: &mut [CertificationPath]| {
        for cp in paths.iter_mut() {
            let mut cpr = CertificationPathResults::new();
            let _ = verify_signatures(pe, &cps, cp, &mut cpr);
        }
    };

    // A few iterations suffice: the cache skips essentially all verifications, so the gap is large
    // (well over 10x) and the assertion is not sensitive to timing noise.
    let iters = 3;

    // With the cache populated the intermediate signatures are skipped.
    verify_all(&pe, &mut paths);
    let start = Instant::now();
    for _ in 0..iters {
        verify_all(&pe, &mut paths);
    }
    let cached = start.elapsed();

    // Drop the cache; every signature is verified again.
    pe.clear_signature_cache();
    verify_all(&pe, &mut paths);
    let start = Instant::now();
    for _ in 0..iters {
        verify_all(&pe, &mut paths);
    }
    let uncached = start.elapsed();

    println!(
        "verify_signatures over {} PKITS paths x{iters}: cached={cached:?} uncached={uncached:?}",
        paths.len()
    );
    assert!(
        cached < uncached,
        "cached ({cached:?}) should be faster than uncached ({uncached:?})"
    );
}

// `deserialize_der` reads a DER certificate as either a CBOR byte string or, for stores written
// before it became one, a sequence of integers. The sequence arm sizes its vector from the element
// count in the array header, which is a number the encoding supplies and nothing has checked. Both
// frontends offer this decoder whatever a user uploaded, to decide whether a dropped file is a
// store, so the declared length is attacker-chosen. A length above `isize::MAX` panics on the
// allocation; one merely enormous aborts the process through `handle_alloc_error`, which no caller
// can contain, and on wasm the memory cap puts that within easy reach.
#[cfg(feature = "std")]
#[test]
fn an_absurd_declared_length_is_refused_rather_than_allocated() {
    // {"filename": "x", "bytes": <array declaring 2^63 elements, none present>}
    let mut cbor: Vec<u8> = vec![0xA2];
    cbor.push(0x68);
    cbor.extend_from_slice(b"filename");
    cbor.push(0x61);
    cbor.push(b'x');
    cbor.push(0x65);
    cbor.extend_from_slice(b"bytes");
    cbor.push(0x9B);
    cbor.extend_from_slice(&(1u64 << 63).to_be_bytes());

    let r: core::result::Result<CertFile, _> = from_reader(cbor.as_slice());
    assert!(
        r.is_err(),
        "an array header declaring more elements than the input holds must be an error"
    );

    // And the guard is what refuses it, not the loop reaching the end of the input: with nothing
    // pre-allocated an absurd declaration would otherwise arrive as a plain truncation, which says
    // nothing about the declaration and would pass whether or not the ceiling existed.
    let mut over: Vec<u8> = vec![0xA2];
    over.push(0x68);
    over.extend_from_slice(b"filename");
    over.push(0x61);
    over.push(b'x');
    over.push(0x65);
    over.extend_from_slice(b"bytes");
    over.push(0x9B);
    over.extend_from_slice(&((MAX_DER_BYTES as u64) + 1).to_be_bytes());

    let r: core::result::Result<CertFile, _> = from_reader(over.as_slice());
    let e = r
        .err()
        .expect("a declaration past the ceiling must be refused");
    assert!(
        alloc::format!("{e}").contains("declared length"),
        "the ceiling must be what refuses it, got: {e}"
    );
}

// A serialized store's partial paths are indices into its buffers, and nothing in the encoding ties
// the two together. A store naming a certificate it does not carry is refused at the boundary
// rather than deserialized into a source whose every path walk would have to survive it.
#[cfg(feature = "std")]
#[test]
fn out_of_range_partial_path_index_is_rejected() {
    use alloc::collections::BTreeMap;

    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut bap = BuffersAndPaths::new();
    bap.buffers.push(CertFile {
        filename: "ta".to_string(),
        bytes: der.to_vec(),
    });

    // One certificate, so index 0 is the only one that exists.
    let mut row = BTreeMap::new();
    row.insert("00".to_string(), vec![vec![0usize, 1usize]]);
    bap.partial_paths.push(row);

    let mut cbor = vec![];
    into_writer(&bap, &mut cbor).unwrap();
    assert!(
        matches!(CertSource::new_from_cbor(&cbor), Err(Error::ParseError)),
        "a path naming index 1 of a one-certificate store must be refused"
    );
}

// The counterpart of the above: the check has to admit a store whose paths are all in range, or it
// would reject every real store as well as the broken ones.
#[cfg(feature = "std")]
#[test]
fn in_range_partial_path_index_is_accepted() {
    use alloc::collections::BTreeMap;

    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut bap = BuffersAndPaths::new();
    bap.buffers.push(CertFile {
        filename: "ta".to_string(),
        bytes: der.to_vec(),
    });
    let mut row = BTreeMap::new();
    row.insert("00".to_string(), vec![vec![0usize]]);
    bap.partial_paths.push(row);

    let mut cbor = vec![];
    into_writer(&bap, &mut cbor).unwrap();
    let source = CertSource::new_from_cbor(&cbor).expect("an in-range store must still load");
    assert_eq!(1, source.num_buffers());
}

// `certs` is positionally paired with `buffers` -- every index in `partial_paths`, `skid_map` and
// `name_map` is a position in it -- so a buffer that cannot be used has to leave a `None` behind
// rather than shorten the vector. Asserted with a store whose middle entry is unusable, which is
// the case that would misalign every index after it.
#[cfg(feature = "std")]
#[test]
fn an_unusable_buffer_leaves_the_parsed_vector_aligned() {
    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut source = CertSource::new();
    for (name, bytes) in [
        ("good-0", der.to_vec()),
        ("garbage", vec![0x30, 0x03, 0x02, 0x01, 0x00]),
        ("good-2", der.to_vec()),
    ] {
        source.buffers_and_paths.buffers.push(CertFile {
            filename: name.to_string(),
            bytes,
        });
    }

    let cps = CertificationPathSettings::default();
    source.initialize(&cps).unwrap();

    assert_eq!(source.num_buffers(), source.num_certs());
    assert!(source.get_cert_at_index(0).is_some());
    assert!(source.get_cert_at_index(1).is_none());
    assert!(
        source.get_cert_at_index(2).is_some(),
        "the certificate after the unusable one must still be at its own index"
    );
}

// `get_cert_at_index` is public and answers with an `Option`, so an index past the end is a `None`
// to report rather than a panic to propagate into a caller that has no way to avoid it.
#[cfg(feature = "std")]
#[test]
fn get_cert_at_index_past_the_end_is_none() {
    let source = CertSource::new();
    assert!(source.get_cert_at_index(0).is_none());
    assert!(source.get_cert_at_index(usize::MAX).is_none());
}

// Every position in the pool gets a row, including the ones holding nothing usable. `log_certs`
// passes those over, so from its output alone a pool of two certificates and a pool of three with
// a hole in it read the same -- and the hole is what makes every index after it read wrong.
#[cfg(feature = "std")]
#[test]
fn cert_rows_cover_every_position_including_unusable_ones() {
    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut source = CertSource::new();
    for (name, bytes) in [
        ("good-0", der.to_vec()),
        ("garbage", vec![0x30, 0x03, 0x02, 0x01, 0x00]),
        ("good-2", der.to_vec()),
    ] {
        source.buffers_and_paths.buffers.push(CertFile {
            filename: name.to_string(),
            bytes,
        });
    }
    let cps = CertificationPathSettings::default();
    source.initialize(&cps).unwrap();

    let rows = source.cert_rows();
    assert_eq!(rows.len(), source.num_buffers());
    assert_eq!(
        rows.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(rows[0].detail().is_some());
    assert!(rows[1].detail().is_none());
    assert!(rows[2].detail().is_some());

    // The reason survives, so a reader can tell a bad file from a certificate the time of
    // interest simply does not cover.
    assert_eq!(rows[1].unusable(), Some(UnusableReason::Unparsed));

    // The name it was read under survives the failure to parse it, and is the only description an
    // unusable entry has.
    assert_eq!(rows[1].filename, "garbage");
    assert!(rows[1].log_line().is_none());

    let detail = rows[0].detail().unwrap();
    assert!(detail.is_ca);
    assert!(detail.not_before < detail.not_after);
    assert_eq!(
        detail.skid,
        hex_skid_from_cert(&source.get_cert_at_index(0).unwrap())
    );
}

// `path_rows` and `num_partial_paths` count the same thing by different routes -- one builds a row
// per stored path, the other sums the lengths of the graph's inner vectors -- so each is a check on
// the other.
#[cfg(feature = "std")]
#[test]
fn path_rows_describe_each_stored_path() {
    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut source = CertSource::new();
    source.buffers_and_paths.buffers.push(CertFile {
        filename: "0.der".to_string(),
        bytes: der.to_vec(),
    });
    let cps = CertificationPathSettings::default();
    source.initialize(&cps).unwrap();

    let cert = source.get_cert_at_index(0).unwrap();
    let skid = hex_skid_from_cert(&cert);
    let subject = get_leaf_rdn(cert.decoded().tbs_certificate().subject());
    let issuer = get_leaf_rdn(cert.decoded().tbs_certificate().issuer());

    let mut outer = BTreeMap::new();
    outer.insert(skid.clone(), vec![vec![0usize]]);
    source.buffers_and_paths.partial_paths = vec![outer];

    let rows = source.path_rows();
    assert_eq!(rows.len(), source.num_partial_paths());
    assert_eq!(rows.len(), 1);

    let row = &rows[0];
    assert_eq!(row.leaf_ca_skid, skid);
    assert_eq!(row.leaf_ca_subject, subject);
    assert_eq!(row.leaf_ca_indices, vec![0]);
    assert_eq!(row.ta_subject, issuer);
    assert_eq!(row.indices, vec![0]);
    assert_eq!(row.log_line(), format!("\t* TA subject: {issuer} - [0], "));
}

// A leaf CA whose key identifier the pool cannot resolve to a certificate is labelled by the key
// identifier itself, which is what the listing has always printed in that case. The path still
// describes itself, so a store carrying paths without their certificates remains readable.
#[cfg(feature = "std")]
#[test]
fn an_unresolvable_leaf_ca_is_labelled_by_its_key_identifier() {
    let mut source = CertSource::new();
    let mut outer = BTreeMap::new();
    outer.insert("DEADBEEF".to_string(), vec![vec![0usize]]);
    source.buffers_and_paths.partial_paths = vec![outer];

    let rows = source.path_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].leaf_ca_subject, "DEADBEEF");
    assert!(rows[0].leaf_ca_indices.is_empty());
    assert_eq!(rows[0].ta_subject, "");
}

// A certificate the time of interest does not cover is unusable for a different reason than a bad
// file is, and the difference is what a reader needs: this one is answerable by asking as of
// another time, and removing it would be removing a certificate that is merely out of scope.
#[cfg(feature = "std")]
#[test]
fn an_entry_outside_the_time_of_interest_says_so() {
    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let mut source = CertSource::new();
    source.buffers_and_paths.buffers.push(CertFile {
        filename: "0.der".to_string(),
        bytes: der.to_vec(),
    });

    let mut cps = CertificationPathSettings::default();
    cps.set_time_of_interest(TimeOfInterest::from_unix_secs(4102444800).unwrap());
    source.initialize(&cps).unwrap();

    let rows = source.cert_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].unusable(),
        Some(UnusableReason::NotValidAtTimeOfInterest)
    );
}

// A buffer added since the last `initialize` is not a bad buffer, and reporting it as one would
// send a reader looking for a fault in a file that has not been read yet.
#[cfg(feature = "std")]
#[test]
fn a_buffer_not_yet_parsed_says_so() {
    let mut source = CertSource::new();
    source.buffers_and_paths.buffers.push(CertFile {
        filename: "0.der".to_string(),
        bytes: vec![],
    });

    let rows = source.cert_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].unusable(), Some(UnusableReason::NotParsed));
    assert_eq!(rows[0].filename, "0.der");
}

// A source holding the Trust Anchor root at index 0, with one stored path naming it, and the Good
// CA certificate it issued as a target for that path.
#[cfg(all(test, feature = "std"))]
fn source_with_one_path() -> (CertSource, PDVCertificate, String) {
    let root = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let good_ca = include_bytes!("../../tests/examples/GoodCACert.crt");

    let mut source = CertSource::new();
    source.buffers_and_paths.buffers.push(CertFile {
        filename: "0.der".to_string(),
        bytes: root.to_vec(),
    });
    let cps = CertificationPathSettings::default();
    source.initialize(&cps).unwrap();

    let skid = hex_skid_from_cert(&source.get_cert_at_index(0).unwrap());
    let mut outer = BTreeMap::new();
    outer.insert(skid.clone(), vec![vec![0usize]]);
    source.buffers_and_paths.partial_paths = vec![outer];

    let target = PDVCertificate::try_from(good_ca.as_slice()).unwrap();
    (source, target, skid)
}

// The target's authority key identifier names the root, and the stored path is filed under that
// key, so the path is the one returned.
#[cfg(feature = "std")]
#[test]
fn paths_for_target_finds_the_paths_under_its_issuer_key() {
    let (source, target, skid) = source_with_one_path();

    let rows = source.paths_for_target(&target, TimeOfInterest::disabled());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].leaf_ca_skid, skid);
    assert_eq!(rows[0].indices, vec![0]);
    assert_eq!(rows[0].leaf_ca_indices, vec![0]);
}

// A target whose issuer the source does not hold has no key to look paths up under, so it gets
// none rather than every path in the graph.
#[cfg(feature = "std")]
#[test]
fn paths_for_target_declines_a_target_whose_issuer_is_not_held() {
    let (mut source, target, _) = source_with_one_path();

    let mut outer = BTreeMap::new();
    outer.insert("DEADBEEF".to_string(), vec![vec![0usize]]);
    source.buffers_and_paths.partial_paths = vec![outer];

    assert!(source
        .paths_for_target(&target, TimeOfInterest::disabled())
        .is_empty());
}

// Validity is decided against the time of interest, so a target the caller is asking about as of a
// time it does not cover yields no paths -- the same answer the listing has always reported, and
// the reason a "no paths" result is read against the time before it is read against the store.
#[cfg(feature = "std")]
#[test]
fn paths_for_target_declines_a_target_outside_the_time_of_interest() {
    let (source, target, _) = source_with_one_path();

    // Well past the PKITS fixtures' notAfter.
    let toi = TimeOfInterest::from_unix_secs(4102444800).unwrap();
    assert!(source.paths_for_target(&target, toi).is_empty());
}

// Asking about the leaf CA itself takes its own key identifier rather than its issuer's, so the
// certificate that terminates the stored path is the one that finds it.
#[cfg(feature = "std")]
#[test]
fn paths_for_leaf_ca_finds_the_paths_under_its_own_key() {
    let (source, _, skid) = source_with_one_path();
    let leaf_ca = source.get_cert_at_index(0).unwrap();

    let rows = source.paths_for_leaf_ca(&leaf_ca);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].leaf_ca_skid, skid);
    assert_eq!(rows[0].indices, vec![0]);

    // The target of the other query is not a leaf CA of any stored path, so it finds none under
    // its own key even though it finds one under its issuer's.
    let (_, target, _) = source_with_one_path();
    assert!(source.paths_for_leaf_ca(&target).is_empty());
}

// The bytes of every position are reachable, including the one that did not parse -- which is the
// position `get_cert_at_index` answers `None` for and the one a reader most wants to take away.
#[cfg(feature = "std")]
#[test]
fn buffer_at_reaches_every_position_including_the_unusable_one() {
    let der = include_bytes!("../../tests/examples/TrustAnchorRootCertificate.crt");
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    let mut source = CertSource::new();
    for (name, bytes) in [("good-0", der.to_vec()), ("garbage", garbage.clone())] {
        source.buffers_and_paths.buffers.push(CertFile {
            filename: name.to_string(),
            bytes,
        });
    }
    let cps = CertificationPathSettings::default();
    source.initialize(&cps).unwrap();

    assert_eq!(source.buffer_at(0).unwrap().bytes, der.to_vec());
    assert_eq!(source.buffer_at(1).unwrap().bytes, garbage);
    assert_eq!(source.buffer_at(1).unwrap().filename, "garbage");
    assert!(
        source.get_cert_at_index(1).is_none(),
        "the parsed accessor has nothing for this position, which is why the buffer one exists"
    );
    assert!(source.buffer_at(2).is_none());
}

// The accessor hands back the stored graph itself, so a caller needing the storage shape neither
// goes without it nor is handed a copy that can drift from the buffers its indices refer to.
#[cfg(feature = "std")]
#[test]
fn partial_paths_accessor_reports_the_stored_graph() {
    let source = CertSource::new();
    assert!(source.partial_paths().is_empty());
    assert_eq!(source.num_partial_paths(), 0);
    assert!(source.path_rows().is_empty());
    assert!(source.cert_rows().is_empty());
}
