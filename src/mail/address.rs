//! Mail addresses as the policy core sees them: the mailbox the MTA delivers to, lower-case,
//! without angle brackets or RFC 5321 quoting, with the subaddress-free form precomputed.
//!
//! Every gate (allowlists, access rules, `recipient_domain`, `require_signature`, `query`)
//! sees the same form, so `<"ceo"@Board.Example.ORG.>` is judged as `ceo@board.example.org`,
//! the address Postfix relays and delivers.

/// A normalised address. The null sender (`<>`) is the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    full: String,
    /// `user@domain` for `user+tag@domain`, when a delimiter is configured and present.
    base: Option<String>,
    /// The other mailboxes the MTA may deliver to: Postfix's `allow_percent_hack` and
    /// `swap_bangpath` (both on by default) turn `user%domain@local` and
    /// `domain!user@local` into `user@domain` when `local` is one of its own domains,
    /// which a milter cannot know. Every gate judges every reading (see `readings`).
    routed: Vec<Address>,
}

/// Most routed readings kept (`a%b%c%d@local` has three).
const MAX_ROUTED: usize = 3;

/// Why an envelope address was refused (Postfix refuses these too, with 501).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("unbalanced quotes or a trailing backslash")]
    Quoting,
    #[error("control character in address")]
    Control,
    #[error("empty local part")]
    EmptyLocal,
    #[error("empty domain or domain label")]
    EmptyDomainLabel,
}

impl Address {
    /// Normalises an address from SMTP (`<User@Example.ORG>`), a rule file or the command
    /// line, leniently: what cannot be cleaned is kept as it is. `delimiters` are the
    /// characters that start a subaddress extension ("" for none).
    pub fn parse(raw: &str, delimiters: &str) -> Self {
        let (local, domain) = split(strip_brackets(raw));
        let local = unquote_local(local).unwrap_or_else(|_| local.to_owned());
        Self::from_parts(&local, domain, delimiters)
    }

    /// An envelope address (MAIL FROM / RCPT TO argument) reduced to the mailbox the MTA
    /// delivers to: RFC 5321 quoting removed, one trailing root dot removed, lower-case.
    /// What no MTA would accept is an error, so nothing malformed reaches a gate.
    pub fn envelope(raw: &str, delimiters: &str) -> Result<Self, AddressError> {
        let s = strip_brackets(raw);
        if s.chars().any(char::is_control) {
            return Err(AddressError::Control);
        }
        if s.is_empty() {
            return Ok(Self::null());
        }
        let (local, domain) = split(s);
        let local = unquote_local(local)?;
        if let Some(d) = domain {
            if local.is_empty() {
                return Err(AddressError::EmptyLocal);
            }
            let d = d.strip_suffix('.').unwrap_or(d);
            if !d.starts_with('[') && d.split('.').any(str::is_empty) {
                return Err(AddressError::EmptyDomainLabel);
            }
        }
        Ok(Self::from_parts(&local, domain, delimiters))
    }

    /// A header mailbox's addr-spec as mail-parser returns it (quotes kept inside `<>`).
    /// `None` when it is no usable mailbox (no local part or no domain).
    pub fn mailbox(addr_spec: &str, delimiters: &str) -> Option<Self> {
        let a = Self::envelope(addr_spec, delimiters).ok()?;
        let (local, domain) = a.full.rsplit_once('@')?;
        (!local.is_empty() && !domain.is_empty()).then_some(a)
    }

    fn from_parts(local: &str, domain: Option<&str>, delimiters: &str) -> Self {
        let full = match domain {
            // The root dot: `example.org.` is `example.org` (Postfix strips it too).
            Some(d) => format!("{local}@{}", d.strip_suffix('.').unwrap_or(d)),
            None => local.to_owned(),
        }
        .to_lowercase();
        let base = subaddress_base(&full, delimiters);
        let routed = routed_readings(&full, delimiters);
        Self { full, base, routed }
    }

    pub fn null() -> Self {
        Self {
            full: String::new(),
            base: None,
            routed: Vec::new(),
        }
    }

    /// This address, then each mailbox the MTA may route it to instead (percent hack,
    /// bang path). A gate refuses when it refuses any reading, and allows only when it
    /// allows every reading it covers.
    pub fn readings(&self) -> impl Iterator<Item = &Address> + '_ {
        std::iter::once(self).chain(self.routed.iter())
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    pub fn is_null(&self) -> bool {
        self.full.is_empty()
    }

    pub fn domain(&self) -> Option<&str> {
        self.full
            .rsplit_once('@')
            .map(|(_, d)| d)
            .filter(|d| !d.is_empty())
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_null() {
            f.write_str("<>")
        } else {
            f.write_str(&self.full)
        }
    }
}

/// `<...>` removed, and an RFC 5321 source route (`@a,@b:user@d`, obsolete).
fn strip_brackets(raw: &str) -> &str {
    let mut s = raw.trim();
    if let Some(inner) = s.strip_prefix('<').and_then(|x| x.strip_suffix('>')) {
        s = inner.trim();
    }
    if s.starts_with('@')
        && let Some((_, mailbox)) = s.split_once(':')
    {
        s = mailbox;
    }
    s
}

/// Local part and domain, split at the last `@` outside quotes.
fn split(s: &str) -> (&str, Option<&str>) {
    let mut quoted = false;
    let mut escaped = false;
    let mut at = None;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '@' if !quoted => at = Some(i),
            _ => {}
        }
    }
    match at {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// The local part without RFC 5321/5322 quoting: `"ceo"` and `"c\eo"` are `ceo`, as
/// Postfix's internal form has it (`"a"."b"` is `a.b`).
fn unquote_local(local: &str) -> Result<String, AddressError> {
    if !local.contains(['"', '\\']) {
        return Ok(local.to_owned());
    }
    let mut out = String::with_capacity(local.len());
    let mut quoted = false;
    let mut chars = local.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => out.push(chars.next().ok_or(AddressError::Quoting)?),
            c => out.push(c),
        }
    }
    if quoted {
        return Err(AddressError::Quoting);
    }
    Ok(out)
}

/// Postfix's rewrites of routing in the local part, applied as if every domain were local:
/// the rightmost `%` becomes `@` (`user%domain`), else the first `!` swaps
/// (`domain!user`), repeatedly.
fn routed_readings(full: &str, delimiters: &str) -> Vec<Address> {
    let mut out = Vec::new();
    // The common case, on every MAIL and RCPT: nothing to route, nothing allocated.
    let local = full.rsplit_once('@').map_or(full, |(l, _)| l);
    if !local.contains(['%', '!']) {
        return out;
    }
    let mut current = full.to_owned();
    while out.len() < MAX_ROUTED {
        let local = current
            .rsplit_once('@')
            .map_or(current.as_str(), |(l, _)| l);
        let next = if let Some((user, domain)) = local.rsplit_once('%') {
            format!("{user}@{domain}")
        } else if let Some((domain, user)) = local.split_once('!') {
            format!("{user}@{domain}")
        } else {
            break;
        };
        if next.starts_with('@') || next.ends_with('@') {
            break;
        }
        let base = subaddress_base(&next, delimiters);
        out.push(Address {
            full: next.clone(),
            base,
            routed: Vec::new(),
        });
        current = next;
    }
    out
}

fn subaddress_base(full: &str, delimiters: &str) -> Option<String> {
    if delimiters.is_empty() {
        return None;
    }
    let (local, domain) = full.rsplit_once('@')?;
    let cut = local.find(|c| delimiters.contains(c))?;
    if cut == 0 {
        return None;
    }
    Some(format!("{}@{}", &local[..cut], domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_envelope_brackets_and_case_are_normalised() {
        let a = Address::parse("<Alice@Example.ORG>", "+");
        assert_eq!(a.as_str(), "alice@example.org");
        assert_eq!(a.domain(), Some("example.org"));
        assert_eq!(a.base(), None);
    }

    #[test]
    fn address_null_sender_is_empty() {
        for raw in ["<>", "", " < > "] {
            let a = Address::parse(raw, "+");
            assert!(a.is_null(), "{raw:?}");
            assert_eq!(a.domain(), None);
            assert_eq!(a.to_string(), "<>");
        }
    }

    #[test]
    fn address_subaddress_base_uses_configured_delimiters() {
        assert_eq!(
            Address::parse("user+tag@d.fi", "+").base(),
            Some("user@d.fi")
        );
        assert_eq!(
            Address::parse("user-tag@d.fi", "+-").base(),
            Some("user@d.fi")
        );
        assert_eq!(Address::parse("user+tag@d.fi", "").base(), None);
        assert_eq!(Address::parse("+tag@d.fi", "+").base(), None);
        assert_eq!(Address::parse("user+tag", "+").base(), None);
    }

    #[test]
    fn address_source_route_is_dropped() {
        assert_eq!(
            Address::parse("<@relay.example:bob@example.com>", "+").as_str(),
            "bob@example.com"
        );
    }

    #[test]
    fn envelope_quoting_and_root_dot_are_removed() {
        for raw in [
            "<\"former\"@secure.example.org>",
            "<former@secure.example.org.>",
            "<\"for\\mer\"@Secure.Example.ORG.>",
            "<\"for\".\"mer\"@secure.example.org>",
        ] {
            let want = if raw.contains(".\"") {
                "for.mer@secure.example.org"
            } else {
                "former@secure.example.org"
            };
            assert_eq!(Address::envelope(raw, "+").unwrap().as_str(), want, "{raw}");
            assert_eq!(Address::parse(raw, "+").as_str(), want, "{raw}");
        }
        assert_eq!(
            Address::envelope("<\"a@b\"@x.example>", "+")
                .unwrap()
                .domain(),
            Some("x.example")
        );
        assert_eq!(
            Address::envelope("<postmaster>", "+").unwrap().as_str(),
            "postmaster"
        );
        assert!(Address::envelope("<>", "+").unwrap().is_null());
    }

    #[test]
    fn envelope_refuses_what_no_mta_accepts() {
        assert_eq!(
            Address::envelope("<\"open@x.example>", "+"),
            Err(AddressError::Quoting)
        );
        assert_eq!(
            Address::envelope("<@x.example>", "+"),
            Err(AddressError::EmptyLocal)
        );
        assert_eq!(
            Address::envelope("<a@x..example>", "+"),
            Err(AddressError::EmptyDomainLabel)
        );
        assert_eq!(
            Address::envelope("<a@x.example..>", "+"),
            Err(AddressError::EmptyDomainLabel)
        );
        assert_eq!(
            Address::envelope("<a@>", "+"),
            Err(AddressError::EmptyDomainLabel)
        );
        assert_eq!(
            Address::envelope("<a\u{7}@x.example>", "+"),
            Err(AddressError::Control)
        );
        assert!(Address::envelope("<a@[127.0.0.1]>", "+").is_ok());
    }

    #[test]
    fn percent_hack_and_bang_paths_are_readings_too() {
        let r = |raw: &str| {
            Address::envelope(raw, "+")
                .unwrap()
                .readings()
                .map(|a| a.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            r("<Blocked%Customer.Example@mx.example.org>"),
            [
                "blocked%customer.example@mx.example.org",
                "blocked@customer.example"
            ]
        );
        assert_eq!(
            r("<customer.example!blocked@mx.example.org>"),
            [
                "customer.example!blocked@mx.example.org",
                "blocked@customer.example"
            ]
        );
        assert_eq!(
            r("<a%b.example%c.example@local>"),
            [
                "a%b.example%c.example@local",
                "a%b.example@c.example",
                "a@b.example"
            ]
        );
        assert_eq!(r("<plain@example.org>"), ["plain@example.org"]);
        assert_eq!(r("<%x@local>"), ["%x@local"]);
    }
}
