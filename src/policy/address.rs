//! Mail addresses as the policy core sees them: lower-case, without angle brackets,
//! with the subaddress-free form precomputed.

/// A normalised address. The null sender (`<>`) is the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    full: String,
    /// `user@domain` for `user+tag@domain`, when a delimiter is configured and present.
    base: Option<String>,
}

impl Address {
    /// Normalises an address from SMTP (`<User@Example.ORG>`), a rule file or the command line.
    /// `delimiters` are the characters that start a subaddress extension ("" for none).
    pub fn parse(raw: &str, delimiters: &str) -> Self {
        let mut s = raw.trim();
        if let Some(inner) = s.strip_prefix('<').and_then(|x| x.strip_suffix('>')) {
            s = inner.trim();
        }
        // RFC 5321 source routes (`@a,@b:user@d`) are obsolete; the mailbox is what counts.
        if s.starts_with('@') {
            if let Some((_, mailbox)) = s.split_once(':') {
                s = mailbox;
            }
        }
        let full = s.to_lowercase();
        let base = subaddress_base(&full, delimiters);
        Self { full, base }
    }

    pub fn null() -> Self {
        Self {
            full: String::new(),
            base: None,
        }
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
}
