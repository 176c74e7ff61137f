//! S/MIME: the trust store and keys, verification of signed and decryption of enveloped
//! messages.
//!
//! [`Engine`] is what the milter and `mailwarden smime` share: the loaded trust store and
//! CRLs, the path validator with its cache, and the `[smime]` settings.

pub mod algorithms;
pub mod asn1;
pub mod cms;
pub mod keys;
pub mod limits;
pub mod mime;
pub mod outcome;
pub mod pipeline;
pub mod pki;

use serde::Deserialize;

use crate::diag::Diagnostic;
use cms::signed;
pub use pki::revocation::RevocationSetting;
use pki::{crl, path, trust};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyTimeSetting {
    Now,
    SigningTime,
}

/// What the engine loads and how it verifies (`[smime]`, validated by `config`).
#[derive(Debug, Clone)]
pub struct Config {
    pub trust: Vec<trust::TrustSource>,
    pub crls: Vec<crl::CrlSource>,
    /// Decryption keys (certificate and private key files).
    pub keys: Vec<keys::KeyRef>,
    pub verify_time: VerifyTimeSetting,
    pub revocation: RevocationSetting,
    pub allow_sha1: bool,
    pub allow_3des: bool,
    pub limits: limits::Limits,
}

/// A loaded trust store, ready to verify.
pub struct Engine {
    pub trust: trust::TrustStore,
    /// Decryption keys (`[smime] keys`).
    pub keys: Vec<keys::DecryptionKey>,
    pub paths: path::PathValidator,
    pub config: Config,
    /// The loaded CRLs, as `check`, `trust list` and the metrics show them.
    pub crls: Vec<crl::CrlSummary>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("certificates", &self.trust.certs.len())
            .field("crls", &self.crls.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads `[smime] trust`, `crls` and `keys`; every problem names its file and the
    /// settings line that named it.
    pub fn load(config: &Config) -> Result<Engine, Vec<Diagnostic>> {
        let trust = trust::load(&config.trust);
        let crls = crl::load(&config.crls);
        let keys = keys::load(&config.keys);
        let (trust, crls, keys) = match (trust, crls, keys) {
            (Ok(t), Ok(c), Ok(k)) => (t, c, k),
            (t, c, k) => {
                let mut errors = t.err().unwrap_or_default();
                errors.extend(c.err().unwrap_or_default());
                errors.extend(k.err().unwrap_or_default());
                return Err(errors);
            }
        };
        let (crls, parsed): (Vec<_>, Vec<_>) = crls.into_iter().map(|l| (l.summary, l.crl)).unzip();
        let paths = path::PathValidator::new(
            &trust,
            parsed,
            config.revocation,
            config.allow_sha1,
            config.limits.max_path_signature_checks,
        );
        Ok(Engine {
            trust,
            keys,
            paths,
            config: config.clone(),
            crls,
        })
    }

    /// Verifies one message (CRLF line ends). `at` overrides the verification time.
    pub fn verify(&self, raw: &[u8], now: u64, at: Option<u64>) -> outcome::Report {
        let time = match (at, self.config.verify_time) {
            (Some(t), _) => signed::VerifyTime::At(t),
            (None, VerifyTimeSetting::Now) => signed::VerifyTime::At(now),
            (None, VerifyTimeSetting::SigningTime) => signed::VerifyTime::SigningTimeOr(now),
        };
        let cx = pipeline::Context {
            verifier: signed::Verifier {
                trust: &self.trust,
                paths: &self.paths,
                time,
                allow_sha1: self.config.allow_sha1,
                limits: self.config.limits,
            },
            keys: &self.keys,
            allow_3des: self.config.allow_3des,
        };
        // The panic boundary around the whole evaluation (cms, der, certval, mail-parser and
        // ours): a bug reachable from message bytes gives temperror (internal-error), which
        // the milter logs and counts, never a failed job and a tempfail on every retry.
        // Nothing shared is left half-updated: the path cache and the budget recover.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pipeline::verify_message(raw, &cx)
        }))
        .unwrap_or_else(|_| outcome::Report::internal_error())
    }
}

/// Parses an RFC 3339 time (`2026-02-01T00:00:00Z`, `...+02:00`) to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    // ASCII only: every slice below is then on a character boundary.
    if !s.is_ascii()
        || b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            let o = oh * 3600 + om * 60;
            if rest.starts_with('-') { -o } else { o }
        }
        _ => return None,
    };
    let dt = der::DateTime::new(
        u16::try_from(y).ok()?,
        mo as u8,
        d as u8,
        h as u8,
        mi as u8,
        se as u8,
    )
    .ok()?;
    let secs = dt.unix_duration().as_secs() as i64 - offset;
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("2026-02-01T00:00:00Z"), Some(1_769_904_000));
        assert_eq!(
            parse_rfc3339("2026-02-01T02:00:00+02:00"),
            Some(1_769_904_000)
        );
        assert_eq!(
            parse_rfc3339("2026-02-01T00:00:00.123Z"),
            Some(1_769_904_000)
        );
        assert_eq!(parse_rfc3339("2026-02-01"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        // Multi-byte characters where digits or the offset belong: no panic.
        assert_eq!(parse_rfc3339("2026-02-01T00:00:0\u{e9}Z"), None);
        assert_eq!(parse_rfc3339("2026-02-01T00:00:00+0\u{e9}00"), None);
        assert_eq!(
            parse_rfc3339("2026-02-01T00:00:00.\u{e9}\u{e9}\u{e9}"),
            None
        );
    }
}
