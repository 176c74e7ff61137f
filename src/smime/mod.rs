//! S/MIME: the trust store and keys, verification of signed and decryption of enveloped
//! messages.
//!
//! [`Engine`] is what the milter and `mailwarden smime` share: the loaded trust store and
//! CRLs, the path validator with its cache, and the `[smime]` settings.

pub mod algorithms;
pub mod crl;
pub mod ecdh;
pub mod enveloped;
pub mod keys;
pub mod limits;
pub mod mime;
pub mod path;
pub mod pbe;
pub mod pipeline;
pub mod pkcs12;
pub mod signed;
pub mod trust;
pub mod verdict;

use crate::config::model::VerifyTimeSetting;
use crate::config::{Settings, SmimeSettings};
use crate::diag::Diagnostic;

/// A loaded trust store, ready to verify.
pub struct Engine {
    pub trust: trust::TrustStore,
    /// Decryption keys (`[smime] keys`).
    pub keys: Vec<keys::DecryptionKey>,
    pub paths: path::PathValidator,
    pub settings: SmimeSettings,
    pub crl_count: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("certificates", &self.trust.certs.len())
            .field("crls", &self.crl_count)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads `[smime] trust` and `crls`; every problem names its file.
    pub fn load(settings: &Settings) -> Result<Engine, Vec<Diagnostic>> {
        let sources: Vec<_> = settings
            .smime_trust
            .iter()
            .map(|t| (t.path.clone(), t.role))
            .collect();
        let trust = trust::load(&sources);
        let crls = crl::load(&settings.smime.crls);
        let keys = keys::load(&settings.smime.keys);
        let (trust, crls, keys) = match (trust, crls, keys) {
            (Ok(t), Ok(c), Ok(k)) => (t, c, k),
            (t, c, k) => {
                let mut errors = t.err().unwrap_or_default();
                errors.extend(c.err().unwrap_or_default());
                errors.extend(k.err().unwrap_or_default());
                return Err(errors);
            }
        };
        let paths = path::PathValidator::new(
            &trust,
            &crls,
            settings.smime.allow_sha1,
            settings.smime.limits.max_path_signature_checks,
        );
        Ok(Engine {
            trust,
            keys,
            paths,
            settings: settings.smime.clone(),
            crl_count: crls.len(),
        })
    }

    /// Verifies one message (CRLF line ends). `at` overrides the verification time.
    pub fn verify(&self, raw: &[u8], now: u64, at: Option<u64>) -> pipeline::Report {
        let time = match (at, self.settings.verify_time) {
            (Some(t), _) => signed::VerifyTime::At(t),
            (None, VerifyTimeSetting::Now) => signed::VerifyTime::At(now),
            (None, VerifyTimeSetting::SigningTime) => signed::VerifyTime::SigningTimeOr(now),
        };
        let v = signed::Verifier {
            keys: &self.keys,
            trust: &self.trust,
            paths: &self.paths,
            time,
            allow_sha1: self.settings.allow_sha1,
            allow_3des: self.settings.allow_3des,
            limits: self.settings.limits,
        };
        // The panic boundary around the whole evaluation (cms, der, certval, mail-parser and
        // ours): a bug reachable from message bytes gives temperror (internal-error), which
        // the milter logs and counts, never a failed job and a tempfail on every retry.
        // Nothing shared is left half-updated: the path cache and the budget recover.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pipeline::verify_message(raw, &v)
        }))
        .unwrap_or_else(|_| pipeline::Report::internal_error())
    }
}

/// Test builds only: `MAILWARDEN_TEST_PANIC=<site>` panics at that site, so that the panic
/// boundary is tested through the real binary (no message is known to make cms, der or
/// certval panic). Release builds have no such hook.
#[cfg(debug_assertions)]
pub fn injected_panic(site: &str) {
    if std::env::var("MAILWARDEN_TEST_PANIC").is_ok_and(|v| v == site) {
        panic!("injected panic at {site}");
    }
}

/// Converts bare LF line ends to CRLF, as the message travels in SMTP. Files on disk often
/// have LF only; a message that already has CRLF is returned unchanged.
pub fn to_crlf(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let bare_lf = raw
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'));
    if !bare_lf {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    std::borrow::Cow::Owned(out)
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

    #[test]
    fn crlf() {
        assert_eq!(&*to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert!(matches!(
            to_crlf(b"a\r\nb\r\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
