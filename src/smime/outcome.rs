//! What verification found: RFC 8601 result words and our reason tokens (RFC 7281 `smime`
//! method), each signer's and each layer's report, and the report on a whole message.

use std::fmt;

use super::mime::TopHeaders;

/// RFC 8601 result of the `smime` method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmimeResult {
    Pass,
    Fail,
    Policy,
    PermError,
    TempError,
    None,
}

impl SmimeResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Policy => "policy",
            Self::PermError => "permerror",
            Self::TempError => "temperror",
            Self::None => "none",
        }
    }

    /// How bad a result is when layers are combined: fail > permerror > policy >
    /// temperror > pass > none.
    pub fn severity(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Pass => 1,
            Self::TempError => 2,
            Self::Policy => 3,
            Self::PermError => 4,
            Self::Fail => 5,
        }
    }

    /// Which signer of a layer to report: pass first, then the least bad.
    pub fn severity_for_choice(self) -> u8 {
        match self {
            Self::Pass => 0,
            other => other.severity() + 1,
        }
    }
}

impl fmt::Display for SmimeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature did not pass. The token is what the header, the audit line and the
/// JSON output carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    BadSignature,
    DigestMismatch,
    UntrustedIssuer,
    Expired,
    NotYetValid,
    Revoked,
    /// A certificate's revocation status could not be established: a CRL for its CA is
    /// configured but cannot be used (bad signature, stale, out of scope, unknown critical
    /// extension), or `revocation = "require"` and no CRL covers it.
    RevocationUnknown,
    BadKeyUsage,
    WeakAlgorithm,
    FromMismatch,
    Malformed,
    UnsupportedAlgorithm,
    /// The message went past one of the `[smime.limits]` (permerror).
    Limit(crate::smime::limits::Exceeded),
    /// Internal trouble that a retry may not have (temperror).
    Internal,
}

impl Reason {
    pub fn token(self) -> &'static str {
        match self {
            Self::BadSignature => "bad-signature",
            Self::DigestMismatch => "digest-mismatch",
            Self::UntrustedIssuer => "untrusted-issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::Revoked => "revoked",
            Self::RevocationUnknown => "revocation-unknown",
            Self::BadKeyUsage => "bad-key-usage",
            Self::WeakAlgorithm => "weak-algorithm",
            Self::FromMismatch => "from-mismatch",
            Self::Malformed => "malformed",
            Self::UnsupportedAlgorithm => "unsupported-algorithm",
            Self::Limit(e) => e.token(),
            Self::Internal => "internal-error",
        }
    }

    /// The result class a reason belongs to.
    pub fn result(self) -> SmimeResult {
        match self {
            Self::BadSignature | Self::DigestMismatch => SmimeResult::Fail,
            Self::Malformed | Self::UnsupportedAlgorithm | Self::Limit(_) => SmimeResult::PermError,
            Self::Internal => SmimeResult::TempError,
            _ => SmimeResult::Policy,
        }
    }
}

/// A result with its reason (none for pass and none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub result: SmimeResult,
    pub reason: Option<Reason>,
}

impl Outcome {
    pub const PASS: Outcome = Outcome {
        result: SmimeResult::Pass,
        reason: None,
    };
    pub const NONE: Outcome = Outcome {
        result: SmimeResult::None,
        reason: None,
    };

    pub fn from_reason(reason: Reason) -> Outcome {
        Outcome {
            result: reason.result(),
            reason: Some(reason),
        }
    }

    /// The worse of two outcomes; on equal severity the first stays.
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.result.severity() > self.result.severity() {
            other
        } else {
            self
        }
    }
}

/// What the header says about the deciding signer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerIdentity {
    pub email: Option<String>,
    pub serial_hex: Option<String>,
    pub issuer: Option<String>,
}

/// Result of one SignerInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerReport {
    pub outcome: Outcome,
    /// Every e-mail address of the signer certificate: rfc822Name SANs, then the legacy
    /// emailAddress attributes of the subject.
    pub emails: Vec<String>,
    pub serial_hex: Option<String>,
    pub issuer: Option<String>,
    pub not_after: Option<u64>,
    pub digest: Option<&'static str>,
    pub signature: Option<String>,
    pub chain_len: usize,
    /// For `revoked`: the CRL (issuer and number) that listed a certificate of the path.
    pub revoked_by: Option<String>,
}

impl SignerReport {
    pub(crate) fn failed(reason: Reason) -> SignerReport {
        SignerReport {
            outcome: Outcome::from_reason(reason),
            emails: Vec::new(),
            serial_hex: None,
            issuer: None,
            not_after: None,
            digest: None,
            signature: None,
            chain_len: 0,
            revoked_by: None,
        }
    }
}

/// Whether an enveloped layer was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decryption {
    None,
    Ok,
    NoKey,
    Failed,
    Unsupported,
}

impl Decryption {
    /// Order for reporting several encrypted parts: the worst one.
    pub(crate) fn severity(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Ok => 1,
            Self::NoKey => 2,
            Self::Unsupported => 3,
            Self::Failed => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ok => "ok",
            Self::NoKey => "no-key",
            Self::Failed => "failed",
            Self::Unsupported => "unsupported",
        }
    }
}

/// One signature layer: every signer, and the layer's outcome (a layer passes when one of
/// its signers passes).
#[derive(Debug, Clone)]
pub struct SignatureLayer {
    pub outcome: Outcome,
    pub signers: Vec<SignerReport>,
    /// The signer that decides the layer (the passing one, else the least bad).
    pub decisive: Option<usize>,
}

impl SignatureLayer {
    pub fn signer(&self) -> Option<&SignerReport> {
        self.decisive.and_then(|i| self.signers.get(i))
    }

    pub(crate) fn malformed() -> SignatureLayer {
        SignatureLayer::failed(Reason::Malformed)
    }

    pub(crate) fn failed(reason: Reason) -> SignatureLayer {
        SignatureLayer {
            outcome: Outcome::from_reason(reason),
            signers: Vec::new(),
            decisive: None,
        }
    }
}

/// The verdict on a whole message.
#[derive(Debug, Clone)]
pub struct Report {
    /// Outermost first: "signed" or "enveloped".
    pub layers: Vec<&'static str>,
    pub signatures: Vec<SignatureLayer>,
    pub outcome: Outcome,
    pub decryption: Decryption,
    /// Why decryption failed (for the audit line only, never the SMTP reply).
    pub decryption_detail: Option<String>,
    /// The bound of `[smime.limits]` that stopped decryption, if one did (its token leads
    /// `decryption_detail`).
    pub decryption_limit: Option<crate::smime::limits::Exceeded>,
    /// Each enveloped layer opened, outermost first.
    pub decrypted: Vec<DecryptedLayer>,
    /// The decrypted MIME entity (CRLF) when the message itself was the enveloped layer,
    /// for `deliver = "decrypted"`.
    pub cleartext: Option<Vec<u8>>,
    pub headers: TopHeaders,
    /// The signature layer (index into `signatures`) whose signer From: or Sender: is bound
    /// to, if any.
    pub bound_layer: Option<usize>,
}

/// An opened enveloped layer: with which key and content algorithm.
#[derive(Debug, Clone)]
pub struct DecryptedLayer {
    pub key: String,
    pub algorithm: String,
    pub weak: bool,
}

impl Report {
    /// Whether the message had any S/MIME at all (a layer, or an enclosed encrypted part),
    /// or its evaluation broke down (then it must be judged, never waved through).
    pub fn is_smime(&self) -> bool {
        !self.layers.is_empty()
            || self.decryption != Decryption::None
            || self.outcome.reason == Some(Reason::Internal)
    }

    /// Nothing found yet: the start of an evaluation.
    pub(crate) fn empty() -> Report {
        Report {
            layers: Vec::new(),
            signatures: Vec::new(),
            outcome: Outcome::NONE,
            decryption: Decryption::None,
            decryption_detail: None,
            decryption_limit: None,
            decrypted: Vec::new(),
            cleartext: None,
            headers: TopHeaders::default(),
            bound_layer: None,
        }
    }

    /// The verdict when evaluation panicked: temperror (internal-error), nothing else known.
    pub fn internal_error() -> Report {
        let outcome = Outcome::from_reason(Reason::Internal);
        Report {
            layers: Vec::new(),
            signatures: vec![SignatureLayer::failed(Reason::Internal)],
            outcome,
            decryption: Decryption::None,
            decryption_detail: None,
            decryption_limit: None,
            decrypted: Vec::new(),
            cleartext: None,
            headers: TopHeaders::default(),
            bound_layer: None,
        }
    }

    /// The signer the message is bound to (From: or Sender:), else the innermost signature
    /// layer's deciding signer.
    pub fn signer(&self) -> Option<&SignerReport> {
        self.bound_layer
            .and_then(|i| self.signatures.get(i))
            .or(self.signatures.last())
            .and_then(|l| l.signer())
    }

    pub fn identity(&self) -> SignerIdentity {
        match self.signer() {
            Some(s) => SignerIdentity {
                email: s.emails.first().cloned(),
                serial_hex: s.serial_hex.clone(),
                issuer: s.issuer.clone(),
            },
            None => SignerIdentity::default(),
        }
    }
}

/// Test builds only: `MAILWARDEN_TEST_PANIC=<site>` panics at that site, so that the panic
/// boundary ([`super::Engine::verify`], which turns a panic into
/// [`Report::internal_error`]) is tested through the real binary (no message is known to
/// make cms, der or certval panic). Release builds have no such hook.
#[cfg(debug_assertions)]
pub fn injected_panic(site: &str) {
    if std::env::var("MAILWARDEN_TEST_PANIC").is_ok_and(|v| v == site) {
        panic!("injected panic at {site}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_orders_fail_permerror_policy_temperror_pass() {
        let fail = Outcome::from_reason(Reason::BadSignature);
        let perm = Outcome::from_reason(Reason::Malformed);
        let policy = Outcome::from_reason(Reason::Expired);
        let temp = Outcome::from_reason(Reason::Internal);
        assert_eq!(Outcome::PASS.worst(temp), temp);
        assert_eq!(temp.worst(policy), policy);
        assert_eq!(policy.worst(perm), perm);
        assert_eq!(perm.worst(fail), fail);
        assert_eq!(fail.worst(Outcome::PASS), fail);
        assert_eq!(Outcome::NONE.worst(Outcome::PASS), Outcome::PASS);
    }
}
