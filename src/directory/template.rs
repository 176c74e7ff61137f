//! Text with `{name}` placeholders: LDAP filters (`(mail={address})`) and the line
//! templates of `[[sync]]` (`* {mail} <reg> - 0`). Pure.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A placeholder, by its lower-case name.
    Value(String),
}

/// A parsed template; `render` substitutes every placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("unclosed '{{' at byte {0}")]
    Unclosed(usize),
    #[error("'}}' without '{{' at byte {0}")]
    StrayClose(usize),
    #[error("placeholder {{{0}}} is not a name (letters, digits and '-', starting with a letter)")]
    BadName(String),
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = source.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' => {
                    let start = i + 1;
                    let end = source[start..]
                        .find('}')
                        .map(|e| start + e)
                        .ok_or(TemplateError::Unclosed(i))?;
                    let name = &source[start..end];
                    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                    if !valid {
                        return Err(TemplateError::BadName(name.to_owned()));
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Value(name.to_ascii_lowercase()));
                    while rest.peek().is_some_and(|&(j, _)| j <= end) {
                        rest.next();
                    }
                }
                '}' => return Err(TemplateError::StrayClose(i)),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self {
            source: source.to_owned(),
            pieces,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The placeholder names, lower-case, in order of first use.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.pieces {
            if let Piece::Value(n) = p
                && !out.contains(&n.as_str())
            {
                out.push(n);
            }
        }
        out
    }

    /// The text with each placeholder replaced by `value(name)`, passed through `escape`;
    /// `None` when some placeholder has no value.
    pub fn render<'v>(
        &self,
        mut value: impl FnMut(&str) -> Option<&'v str>,
        escape: impl Fn(&str) -> String,
    ) -> Option<String> {
        let mut out = String::with_capacity(self.source.len());
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(n) => out.push_str(&escape(value(n)?)),
            }
        }
        Some(out)
    }
}

/// A value as an LDAP filter assertion value (RFC 4515 §3): the five characters the
/// grammar reserves, and every byte outside printable ASCII, as `\XX`. An address is
/// attacker-controlled: `*)(mail=*` must stay one literal value.
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        match b {
            b'*' | b'(' | b')' | b'\\' | 0 => out.push_str(&format!("\\{b:02x}")),
            0x21..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:02x}")),
        }
    }
    out
}

/// Whether a filter's parentheses balance and it is wrapped in one pair: the shape every
/// RFC 4515 filter has. Catches most typing mistakes before a server sees them.
pub fn filter_is_well_formed(filter: &str) -> bool {
    let b = filter.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i < b.len() {
        match b[i] {
            // `\XX`: an escaped byte, never a parenthesis.
            b'\\' => i += 2,
            b'(' => depth += 1,
            b')' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 && i + 1 != b.len() {
                    return false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0 && filter.starts_with('(') && filter.ends_with(')')
}

/// Whether the client can encode `filter` (RFC 4515, as ldap3 parses it). A bad escape
/// such as `\zz` passes the shape check but fails every search, which marks the directory
/// down; this finds it when the settings are loaded.
pub fn filter_parses(filter: &str) -> bool {
    ldap3::parse_filter(filter).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_parse_and_render() {
        let t = Template::parse("* {Mail} <sms> {mobile} 0").unwrap();
        assert_eq!(t.names(), ["mail", "mobile"]);
        let r = t.render(
            |n| match n {
                "mail" => Some("a@b.example"),
                "mobile" => Some("+358"),
                _ => None,
            },
            str::to_owned,
        );
        assert_eq!(r.as_deref(), Some("* a@b.example <sms> +358 0"));
        assert_eq!(t.render(|_| None, str::to_owned), None);
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert_eq!(
            Template::parse("(mail={x)"),
            Err(TemplateError::Unclosed(6))
        );
        assert_eq!(Template::parse("a}"), Err(TemplateError::StrayClose(1)));
        assert!(matches!(
            Template::parse("{1x}"),
            Err(TemplateError::BadName(_))
        ));
        assert!(matches!(
            Template::parse("{}"),
            Err(TemplateError::BadName(_))
        ));
    }

    #[test]
    fn filter_values_are_escaped_as_rfc4515_requires() {
        assert_eq!(escape_filter_value("*)(mail=*"), "\\2a\\29\\28mail=\\2a");
        assert_eq!(escape_filter_value("a\\b\0c"), "a\\5cb\\00c");
        assert_eq!(escape_filter_value("ä b"), "\\c3\\a4\\20b");
        assert_eq!(
            escape_filter_value("alice@example.org"),
            "alice@example.org"
        );
        let t = Template::parse("(&(mail={address})(objectClass=person))").unwrap();
        let f = t
            .render(|_| Some("x*)(|(mail=*"), escape_filter_value)
            .unwrap();
        assert_eq!(
            f,
            "(&(mail=x\\2a\\29\\28|\\28mail=\\2a)(objectClass=person))"
        );
        assert!(filter_is_well_formed(&f));
    }

    #[test]
    fn filter_shape_check() {
        assert!(filter_is_well_formed("(mail=a)"));
        assert!(filter_is_well_formed("(&(mail=a\\29)(x=y))"));
        assert!(!filter_is_well_formed("mail=a"));
        assert!(!filter_is_well_formed("(mail=a"));
        assert!(!filter_is_well_formed("(a=b))("));
        assert!(!filter_is_well_formed("(a=b)(c=d)"));
    }

    #[test]
    fn filters_the_client_cannot_encode_are_found() {
        for good in [
            "(mail=a@b.example)",
            "(&(mail=x\\2a\\29)(objectClass=person))",
            "(memberOf:1.2.840.113556.1.4.1941:=CN=Secure Senders,OU=AADDC Users,DC=x,DC=com)",
            "(&(objectClass=person)(mobile=*)(!(mail=*@example.invalid)))",
            "(mail={address})",
        ] {
            assert!(filter_parses(good), "{good}");
        }
        // The shape is right, the escape is not.
        assert!(filter_is_well_formed("(mail=a\\zz)"));
        for bad in ["(mail=a\\zz)", "(=a)", "(mail=a\\2)", "(mail=a)(b=c)"] {
            assert!(!filter_parses(bad), "{bad}");
        }
        // Every escaped value parses, whatever the address.
        let t = Template::parse("(&(mail={address})(x=y))").unwrap();
        for v in ["*)(mail=*", "a\\b\0c", "ä b", "((((", "\\zz"] {
            let f = t.render(|_| Some(v), escape_filter_value).unwrap();
            assert!(filter_parses(&f), "{f}");
        }
    }
}
