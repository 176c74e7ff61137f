//! S/MIME results and reasons (RFC 7281 `smime` method, RFC 8601 result words) and the
//! `Authentication-Results` header value built from them.

use std::fmt;

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
    BadKeyUsage,
    WeakAlgorithm,
    FromMismatch,
    Malformed,
    UnsupportedAlgorithm,
    /// The message went past one of the `[smime.limits]` (permerror).
    Limit(super::limits::Exceeded),
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

/// Builds the `Authentication-Results` value (without the field name). Everything that comes
/// from the message is reduced to safe characters so the value stays one header line that
/// no attacker-chosen text can extend: RFC 8601 `value` tokens or quoted strings with `"`
/// and `\` escaped, no control characters, bounded length.
pub fn authentication_results(
    authserv_id: &str,
    outcome: Outcome,
    signer: &SignerIdentity,
) -> String {
    let mut v = format!("{}; smime={}", sanitize_token(authserv_id), outcome.result);
    if let Some(r) = outcome.reason {
        v.push_str(&format!(" ({})", r.token()));
    }
    if let Some(email) = &signer.email {
        let email = sanitize_token(email);
        if !email.is_empty() {
            v.push_str(&format!(" body.smime-identifier={email}"));
        }
    }
    if let Some(serial) = &signer.serial_hex {
        let serial: String = serial
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .take(128)
            .collect();
        if !serial.is_empty() {
            v.push_str(&format!(" body.smime-serial={serial}"));
        }
    }
    if let Some(issuer) = &signer.issuer {
        v.push_str(&format!(" body.smime-issuer={}", quoted(issuer)));
    }
    v
}

/// Keeps the characters an RFC 8601 `value` token and an address may hold.
fn sanitize_token(s: &str) -> String {
    s.chars()
        .filter(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '"' | '(' | ')' | ';' | '\\' | ',' | '<' | '>' | '[' | ']' | ':'
                )
        })
        .take(256)
        .collect()
}

/// An RFC 5322 quoted-string of printable ASCII (non-ASCII and controls become `?`).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars().take(512) {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
    out
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

    #[test]
    fn header_value_cannot_be_broken_by_signer_text() {
        let signer = SignerIdentity {
            email: Some("a@b.example\r\nX-Evil: 1".into()),
            serial_hex: Some("1E\r\n".into()),
            issuer: Some("CN=\"Evil\" (CA)\\\r\nX-Injected: yes".into()),
        };
        let v = authentication_results(
            "mx.example.org",
            Outcome::from_reason(Reason::Expired),
            &signer,
        );
        assert!(!v.contains('\r') && !v.contains('\n'), "{v}");
        assert_eq!(
            v,
            "mx.example.org; smime=policy (expired) body.smime-identifier=a@b.exampleX-Evil1 \
             body.smime-serial=1E body.smime-issuer=\"CN=\\\"Evil\\\" (CA)\\\\??X-Injected: yes\""
        );
    }

    #[test]
    fn pass_has_no_reason() {
        let v = authentication_results("mx", Outcome::PASS, &SignerIdentity::default());
        assert_eq!(v, "mx; smime=pass");
    }
}
