//! Our `Authentication-Results` header (RFC 8601, the RFC 7281 `smime` method): building
//! the value from a verdict, and recognising incoming headers that claim our authserv-id
//! (forgeries we remove).

use crate::smime::outcome::{Outcome, Report, SignerIdentity};

pub const AR_HEADER: &str = "Authentication-Results";

/// The header value for a whole message's report.
pub fn for_report(authserv_id: &str, report: &Report) -> String {
    authentication_results(authserv_id, report.outcome, &report.identity())
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

/// Whether an Authentication-Results value names `authserv_id`, read by RFC 8601's
/// grammar: `[CFWS] authserv-id` where authserv-id is a `value` (RFC 2045: a token or a
/// quoted-string) and CFWS is RFC 5322's folding white space and comments, which nest and
/// may hold quoted-pairs. Any letter case: `"mx.test"` and `((x)) mx.test` claim it. A value
/// that cannot be read (an unterminated comment or quoted-string) claims it when it
/// mentions it anywhere: a lenient reader downstream might still believe it.
pub fn claims_authserv_id(value: &str, authserv_id: &str) -> bool {
    let mentions = || {
        value
            .to_ascii_lowercase()
            .contains(&authserv_id.to_ascii_lowercase())
    };
    let Some(rest) = skip_cfws(value) else {
        return mentions();
    };
    let id = match rest.strip_prefix('"') {
        Some(quoted) => {
            let mut id = String::new();
            let mut chars = quoted.chars();
            loop {
                match chars.next() {
                    None => return mentions(),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => id.push(c),
                        None => return mentions(),
                    },
                    Some(c) if c == '\r' || c == '\n' => {}
                    Some(c) => id.push(c),
                }
            }
            id
        }
        // RFC 2045 token: anything but SPACE, CTLs and tspecials.
        None => rest
            .chars()
            .take_while(|c| {
                !c.is_whitespace() && !c.is_control() && !"()<>@,;:\\\"/[]?=".contains(*c)
            })
            .collect(),
    };
    id.trim().eq_ignore_ascii_case(authserv_id)
}

/// `s` after RFC 5322 CFWS: white space and (nested) comments with quoted-pairs. `None`
/// for an unterminated comment, or one nested deeper than anyone writes.
fn skip_cfws(s: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if depth > 0 => escaped = true,
            '(' => {
                depth += 1;
                if depth > 32 {
                    return None;
                }
            }
            ')' if depth > 0 => depth -= 1,
            c if depth > 0 || c.is_whitespace() => {}
            _ => return Some(&s[i..]),
        }
    }
    (depth == 0).then_some("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smime::outcome::Reason;

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

    #[test]
    fn forged_header_detection_any_case_and_folding() {
        assert!(claims_authserv_id(
            "mx.example.org; smime=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            " MX.Example.ORG;\n\tsmime=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            "(forged) mx.example.org 1; none",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            "\n mx.example.org\n ; smime=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "other.example.org; smime=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "mx.example.org.evil; smime=pass",
            "mx.example.org"
        ));
    }

    #[test]
    fn forged_header_detection_reads_rfc8601_cfws_and_quoted_ids() {
        for v in [
            "\"mx.test\"; smime=pass",
            "\"MX.\\test\" ; smime=pass",
            "((x)) mx.test; smime=pass",
            "(a\\) b) mx.test; smime=pass",
            "(one (two) three)\n\t mx.test 1; none",
            "mx.test(comment); smime=pass",
            "(unterminated mx.test; smime=pass",
            "\"mx.test; smime=pass",
        ] {
            assert!(claims_authserv_id(v, "mx.test"), "{v:?}");
        }
        for v in [
            "(mx.test) other.example; smime=pass",
            "\"mx.test.evil\"; smime=pass",
            "(unterminated other.example; smime=pass",
        ] {
            assert!(!claims_authserv_id(v, "mx.test"), "{v:?}");
        }
    }
}
