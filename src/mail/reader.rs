//! Headers as a reader sees them. The author: every mailbox of every `From:` header,
//! parsed by mail-parser's RFC 5322 address parser (comments, quoted display names,
//! groups). Text: RFC 2047 encoded words decoded. The one reader used by the policy engine
//! and by the S/MIME From binding, so the two can never see different authors.

use mail_parser::{HeaderValue, MessageParser};

use super::address::Address;

/// The mailboxes of all `From:` headers, and whether any part of them could not be read
/// as a plain mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromMailboxes {
    pub mailboxes: Vec<Address>,
    /// Something other than a list of mailboxes was there: an entry without an addr-spec,
    /// a quoted local part mail-parser cannot read (`"x"@d`), or group syntax
    /// (`alice@example.org:;`, RFC 6854), which a reader shows as text that names nobody
    /// who signed or is allowed. Such a From: identifies no one.
    pub malformed: bool,
    /// Some From: was not read at all (more headers, or a longer value, than any real
    /// message has): a check that looks for one address must assume it is there.
    pub unread: bool,
}

impl FromMailboxes {
    /// Every mailbox is usable and there is at least one.
    pub fn identifies_author(&self) -> bool {
        !self.malformed && !self.mailboxes.is_empty()
    }
}

/// Most `From:` headers read; a message with more identifies nobody.
pub const MAX_FROM_HEADERS: usize = 1000;
/// Most bytes of one `From:` value read; a longer one identifies nobody.
const MAX_FROM_BYTES: usize = 16 * 1024;

/// Reads the values of every `From:` header (unfolded or folded, as received).
pub fn from_mailboxes<'a>(
    values: impl IntoIterator<Item = &'a str>,
    delimiters: &str,
) -> FromMailboxes {
    let mut out = FromMailboxes::default();
    for (n, value) in values.into_iter().enumerate() {
        if n >= MAX_FROM_HEADERS || value.len() > MAX_FROM_BYTES {
            out.malformed = true;
            out.unread = true;
            if n >= MAX_FROM_HEADERS {
                break;
            }
            continue;
        }
        read_value(value, delimiters, &mut out);
    }
    out
}

/// An unstructured header value (Subject) as a reader sees it: encoded words decoded.
/// `None` when there is nothing to decode.
pub fn decoded_text(value: &str) -> Option<String> {
    if !value.contains("=?") || value.len() > MAX_FROM_BYTES {
        return None;
    }
    parse_one("Subject", value, |head| head.subject().map(str::to_owned))
}

/// Parses `name: value` as a header section of its own and reads it with `read`. Postfix
/// passes folded values with bare LF, which mail-parser unfolds as well as CRLF. A parser
/// panic (mail-parser has debug assertions reachable from input) is `None`, never a
/// failed message.
fn parse_one<T>(
    name: &str,
    value: &str,
    read: impl FnOnce(&mail_parser::Message<'_>) -> Option<T>,
) -> Option<T> {
    let mut raw = Vec::with_capacity(name.len() + value.len() + 6);
    raw.extend_from_slice(name.as_bytes());
    raw.extend_from_slice(b": ");
    raw.extend_from_slice(value.trim_start().as_bytes());
    raw.extend_from_slice(b"\r\n\r\n");
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read(&MessageParser::new().parse_headers(&raw[..])?)
    }))
    .ok()
    .flatten()
}

fn read_value(value: &str, delimiters: &str, out: &mut FromMailboxes) {
    let parsed = parse_one("From", value, |head| {
        match head.header_values("From").next()? {
            HeaderValue::Address(a) => Some(a.clone().into_owned()),
            _ => None,
        }
    });
    // Unreadable: a From: that identifies nobody.
    let Some(addresses) = parsed else {
        out.malformed = true;
        return;
    };
    match &addresses {
        mail_parser::Address::List(list) => {
            for addr in list {
                push(addr.address(), delimiters, out);
            }
        }
        mail_parser::Address::Group(groups) => {
            // mail-parser puts plain mailboxes around a group into nameless groups.
            for g in groups {
                if g.name.is_some() {
                    out.malformed = true;
                }
                for addr in &g.addresses {
                    push(addr.address(), delimiters, out);
                }
            }
        }
    }
}

fn push(addr_spec: Option<&str>, delimiters: &str, out: &mut FromMailboxes) {
    match addr_spec.and_then(|a| Address::mailbox(a, delimiters)) {
        Some(a) => out.mailboxes.push(a),
        None => out.malformed = true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(values: &[&str]) -> (Vec<String>, bool) {
        let f = from_mailboxes(values.iter().copied(), "+");
        (
            f.mailboxes.iter().map(|a| a.as_str().to_owned()).collect(),
            f.malformed,
        )
    }

    #[test]
    fn comments_and_quoted_names_do_not_hide_the_mailbox() {
        assert_eq!(
            read(&["mallory@evil.example (<alice@example.org>)"]),
            (vec!["mallory@evil.example".into()], false)
        );
        assert_eq!(
            read(&["\"Mallory <mallory@evil.example>\" <Alice@Example.org>"]),
            (vec!["alice@example.org".into()], false)
        );
        assert_eq!(
            read(&["(comment <x@evil.example>) alice@example.org"]),
            (vec!["alice@example.org".into()], false)
        );
        assert_eq!(
            read(&["Alice\n <alice@example.org.>"]),
            (vec!["alice@example.org".into()], false)
        );
    }

    #[test]
    fn every_mailbox_of_every_header_is_read() {
        assert_eq!(
            read(&["mallory@evil.example, <alice@example.org>"]),
            (
                vec!["mallory@evil.example".into(), "alice@example.org".into()],
                false
            )
        );
        assert_eq!(
            read(&["alice@example.org", "mallory@evil.example"]),
            (
                vec!["alice@example.org".into(), "mallory@evil.example".into()],
                false
            )
        );
    }

    #[test]
    fn groups_and_unreadable_entries_identify_nobody() {
        let (boxes, malformed) = read(&["alice@example.org:;, mallory@evil.example"]);
        assert_eq!(boxes, vec!["mallory@evil.example".to_owned()]);
        assert!(malformed);
        assert!(read(&["undisclosed-recipients:;"]).1);
        assert!(read(&["no address here"]).1);
        assert!(read(&["\"quoted\"@example.org"]).1);
        assert!(!from_mailboxes([], "+").identifies_author());
    }

    #[test]
    fn headers_past_the_caps_are_unread_not_ignored() {
        let long = format!("{}@example.org", "a".repeat(MAX_FROM_BYTES));
        let f = from_mailboxes(["alice@example.org", long.as_str()], "+");
        assert!(f.unread && f.malformed);
        let many = vec!["x@example.org"; MAX_FROM_HEADERS + 1];
        let f = from_mailboxes(many.iter().copied(), "+");
        assert!(f.unread && f.mailboxes.len() == MAX_FROM_HEADERS);
    }

    #[test]
    fn encoded_words_are_decoded() {
        assert_eq!(
            decoded_text("=?utf-8?q?=5Bsecure=5D_board?= minutes").as_deref(),
            Some("[secure] board minutes")
        );
        assert_eq!(decoded_text("plain"), None);
    }
}
