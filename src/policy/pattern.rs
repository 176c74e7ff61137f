//! Address patterns of the rule files: `*`, `<>`, `local@domain`, `@domain` / `*@domain`,
//! globs with `*` and `?`, and `/regex/` (full match). All matching is case-insensitive.

use crate::mail::address::Address;

/// Largest compiled size of one `/regex/` pattern; keeps a hostile rule file bounded.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub enum Pattern {
    /// `*`: every address, the null sender included.
    Any,
    /// `<>`: the null sender of bounces.
    Null,
    /// `local@domain`, lower-case.
    Exact(Box<str>),
    /// `@domain` or `*@domain`, lower-case, without the `@`.
    Domain(Box<str>),
    /// Lower-case glob with `*` and `?`.
    Glob(Box<str>),
    Regex(Box<regex::Regex>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad pattern \"{}\": {reason}", crate::diag::excerpt(token))]
pub struct PatternError {
    pub token: String,
    pub reason: String,
}

pub fn parse_pattern(token: &str) -> Result<Pattern, PatternError> {
    let err = |reason: &str| PatternError {
        token: token.to_owned(),
        reason: reason.to_owned(),
    };
    if token == "*" {
        return Ok(Pattern::Any);
    }
    if token == "<>" {
        return Ok(Pattern::Null);
    }
    if token.len() >= 2 && token.starts_with('/') && token.ends_with('/') {
        let inner = &token[1..token.len() - 1];
        if inner.is_empty() {
            return Err(err("empty regular expression"));
        }
        let re = regex::RegexBuilder::new(&format!("^(?:{inner})$"))
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                err(&format!(
                    "invalid regular expression: {}",
                    one_line(&e.to_string())
                ))
            })?;
        return Ok(Pattern::Regex(Box::new(re)));
    }
    if token.starts_with('/') {
        return Err(err("a regular expression must end with '/'"));
    }
    if token
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
    {
        return Err(err(
            "control characters, spaces and angle brackets are not allowed",
        ));
    }
    // Addresses are judged without RFC 5321 quoting (`"ceo"@x` is `ceo@x`): a quoted
    // entry could never match, and a `!` entry would be silently gone.
    if token.contains(['"', '\\']) {
        return Err(err(
            "quotes and backslashes never match: addresses are compared without RFC 5321 quoting, so write the address unquoted",
        ));
    }
    let mut lower = token.to_lowercase();
    // The root dot: `@partner.example.` is `@partner.example`, as addresses are judged.
    if lower.ends_with('.') && lower.contains('@') {
        lower.pop();
    }
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return Err(err(
            "expected an address (local@domain), @domain, *, <>, a glob or /regex/",
        ));
    };
    if domain.is_empty() {
        return Err(err("missing domain after '@'"));
    }
    let has_glob = |s: &str| s.contains(['*', '?']);
    if (local.is_empty() || local == "*") && !has_glob(domain) {
        return Ok(Pattern::Domain(domain.into()));
    }
    if local.is_empty() {
        return Ok(Pattern::Glob(format!("*@{domain}").into()));
    }
    if has_glob(&lower) {
        return Ok(Pattern::Glob(lower.into()));
    }
    Ok(Pattern::Exact(lower.into()))
}

/// The regex crate's message without its copy of the pattern (the `error:` line), on one
/// line: the pattern is file text, which diagnostics quote only as a short excerpt.
fn one_line(s: &str) -> String {
    let msg = s
        .lines()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .unwrap_or(s);
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Pattern {
    /// Whether the address matches; `user+tag@d` also matches patterns for `user@d`.
    pub fn matches(&self, addr: &Address) -> bool {
        let one = |s: &str| match self {
            Pattern::Any => true,
            Pattern::Null => s.is_empty(),
            Pattern::Exact(e) => **e == *s,
            Pattern::Domain(d) => s.rsplit_once('@').is_some_and(|(_, dom)| dom == &**d),
            Pattern::Glob(g) => !s.is_empty() && glob_match(g.as_bytes(), s.as_bytes()),
            Pattern::Regex(r) => !s.is_empty() && r.is_match(s),
        };
        one(addr.as_str()) || addr.base().is_some_and(one)
    }
}

/// `*` matches any run of bytes, `?` exactly one character. Linear in practice: on a
/// mismatch it backtracks only to the last `*` (the classic two-pointer algorithm).
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            if pattern[p] == b'?' {
                // `?` is one character, which may be several UTF-8 bytes.
                t += utf8_len(text[t]);
            } else {
                t += 1;
            }
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, addr: &str) -> bool {
        parse_pattern(pattern)
            .unwrap()
            .matches(&Address::parse(addr, "+"))
    }

    #[test]
    fn pattern_forms_match_as_documented() {
        let table = [
            ("*", "anyone@anywhere.example", true),
            ("*", "<>", true),
            ("<>", "<>", true),
            ("<>", "a@b.example", false),
            ("user@customer.fi", "USER@Customer.FI", true),
            ("user@customer.fi", "other@customer.fi", false),
            ("@customer.fi", "x@customer.fi", true),
            ("*@customer.fi", "x@customer.fi", true),
            ("@customer.fi", "x@sub.customer.fi", false),
            ("*@*.example.org", "a@mail.example.org", true),
            ("*@*.example.org", "a@example.org", false),
            ("a?c@example.org", "abc@example.org", true),
            ("a?c@example.org", "ac@example.org", false),
            ("/[a-z]+[0-9]+@example\\.org/", "Bob42@example.org", true),
            ("/[a-z]+@example\\.org/", "bob42@example.org", false),
            ("/bob/", "bob@example.org", false),
            ("*@customer.fi", "<>", false),
            ("/.*/", "<>", false),
        ];
        for (p, a, want) in table {
            assert_eq!(m(p, a), want, "pattern {p} vs {a}");
        }
    }

    #[test]
    fn pattern_subaddress_matches_base_entry() {
        assert!(m("user@d.fi", "user+tag@d.fi"));
        assert!(m("u*@d.fi", "user+tag@d.fi"));
        assert!(!m("user+other@d.fi", "user+tag@d.fi"));
        assert!(m("user+tag@d.fi", "user+tag@d.fi"));
    }

    #[test]
    fn pattern_malformed_forms_rejected() {
        for bad in [
            "user",
            "user@",
            "/unterminated",
            "//",
            "/a(b/",
            "a b@c",
            "<a@b>",
            "a@b\u{7}",
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn glob_handles_backtracking_and_utf8() {
        assert!(glob_match(b"*a*b*c", b"xxaxxbxxc"));
        assert!(!glob_match(b"*a*b*c", b"xxaxxbxx"));
        assert!(glob_match(b"?@x", "ä@x".as_bytes()));
        assert!(glob_match(b"**", b""));
        // Pathological input stays fast (quadratic at worst, bounded by line length).
        let text = vec![b'a'; 4000];
        assert!(!glob_match(b"*a*a*a*a*b", &text));
    }

    #[test]
    fn quoted_entries_are_errors_and_the_root_dot_is_dropped() {
        assert!(parse_pattern("\"ceo\"@board.example.org").is_err());
        assert!(parse_pattern("c\\eo@board.example.org").is_err());
        let p = parse_pattern("@Partner.Example.").unwrap();
        assert!(p.matches(&Address::parse("x@partner.example.", "+")));
        let p = parse_pattern("ceo@board.example.org.").unwrap();
        assert!(p.matches(&Address::parse("<\"ceo\"@board.example.org>", "+")));
    }
}
