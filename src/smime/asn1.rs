//! ASN.1 reading shared by every CMS, PKI and key-container module: messages and key files
//! come in DER or BER (NSS and OpenSSL's streaming mode write indefinite lengths).

use cms::content_info::ContentInfo;
use der::{Any, Decode, Encode};

/// Decodes DER, then BER (NSS and OpenSSL's streaming mode write indefinite lengths).
pub fn decode_lenient<'a, T: Decode<'a, Error = der::Error>>(
    bytes: &'a [u8],
) -> Result<T, der::Error> {
    T::from_der(bytes).or_else(|_| T::from_ber(bytes))
}

/// Parses a ContentInfo (DER or BER).
pub fn content_info(bytes: &[u8]) -> Result<ContentInfo, der::Error> {
    decode_lenient(bytes)
}

/// Decodes the `[0] EXPLICIT` content of a ContentInfo as `T`.
pub fn decode_any<T: for<'a> Decode<'a, Error = der::Error>>(any: &Any) -> Result<T, der::Error> {
    let bytes = any.to_der()?;
    decode_lenient(&bytes)
}

/// Lower-case hex, as serial numbers and fingerprints are shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
