//! Finding S/MIME in a MIME entity (mail-parser does the MIME parsing).
//!
//! A detached signature covers the first body part exactly as transmitted, so that part is
//! returned as a byte range of the input, never re-encoded.

use std::ops::Range;

use mail_parser::parsers::MessageStream;
use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::limits::{Exceeded, Limits, MAX_BOUNDARY_LEN};

/// What one MIME entity is, as far as S/MIME goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Entity {
    /// `multipart/signed` with a PKCS#7 signature: the signed first part (a range of the
    /// input) and the decoded signature.
    Detached {
        signed: Range<usize>,
        signature: Vec<u8>,
        inner_may_be_smime: bool,
    },
    /// `application/pkcs7-mime` (or a sniffed `smime.p7m`): the decoded CMS, with the
    /// `smime-type` parameter when there was one.
    Pkcs7 {
        der: Vec<u8>,
        smime_type: Option<String>,
    },
    /// Claims to be S/MIME but is not usable (no signature part, empty body...).
    Broken(&'static str),
    /// Claims to be S/MIME but goes past a limit (a boundary longer than RFC 2046 allows).
    OverLimit(Exceeded),
    /// Not S/MIME.
    Plain,
}

/// Header facts the verdict needs, read from the top-level entity.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TopHeaders {
    /// Every mailbox of every From: header, read by the policy core's RFC 5322 reader.
    pub from: crate::mail::reader::FromMailboxes,
    /// The Sender: mailbox, when there is exactly one Sender: header naming exactly one
    /// readable mailbox (RFC 8550 §3 binds a signer to From: or Sender:).
    pub sender: Option<crate::mail::address::Address>,
    pub message_id: Option<String>,
    pub subject: Option<String>,
}

fn is_pkcs7_signature(s: &str) -> bool {
    s.eq_ignore_ascii_case("application/pkcs7-signature")
        || s.eq_ignore_ascii_case("application/x-pkcs7-signature")
}

fn is_pkcs7_mime(s: &str) -> bool {
    s.eq_ignore_ascii_case("pkcs7-mime") || s.eq_ignore_ascii_case("x-pkcs7-mime")
}

/// Classifies `raw`, a whole message or a MIME entity (headers, blank line, body).
///
/// Only the header section is parsed first. A multipart/signed body is then split with
/// mail-parser's boundary scanner, without decoding the signed part (which may be
/// megabytes of text nobody needs decoded); only the small signature part is decoded.
/// PKCS#7 bodies are decoded in full, since their bytes are the CMS.
pub fn classify(raw: &[u8]) -> (Entity, TopHeaders) {
    guarded(|| classify_unguarded(raw)).unwrap_or((
        Entity::Broken("MIME structure the parser cannot handle"),
        TopHeaders::default(),
    ))
}

/// Runs mail-parser on attacker-controlled bytes behind a panic boundary: a parser bug (one
/// of its internal assertions, found by fuzzing) must give a broken-MIME verdict, not a
/// failed verification job and a tempfail for a message that will never parse. The parser
/// keeps no state across calls, so nothing is left half-updated by an unwind.
pub fn guarded<T>(parse: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).ok()
}

fn classify_unguarded(raw: &[u8]) -> (Entity, TopHeaders) {
    let parser = MessageParser::new();
    let Some(head) = parser.parse_headers(raw) else {
        return (Entity::Plain, TopHeaders::default());
    };
    // Every From: (Sender:) header, also one that is not valid UTF-8 (mail-parser's
    // headers_raw() would skip it, and the binding would see only the other one).
    let values = |name: &str| -> Vec<std::borrow::Cow<'_, str>> {
        head.headers()
            .iter()
            .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .map(|h| {
                let range = h.offset_start as usize..h.offset_end as usize;
                String::from_utf8_lossy(raw.get(range).unwrap_or_default())
            })
            .collect()
    };
    let from_values = values("from");
    let sender_values = values("sender");
    let sender = crate::mail::reader::from_mailboxes(sender_values.iter().map(|v| &**v), "");
    let top = TopHeaders {
        from: crate::mail::reader::from_mailboxes(from_values.iter().map(|v| &**v), ""),
        sender: match (
            sender_values.len(),
            sender.identifies_author(),
            sender.unread,
        ) {
            (1, true, false) if sender.mailboxes.len() == 1 => sender.mailboxes.into_iter().next(),
            _ => None,
        },
        message_id: head.message_id().map(|s| s.to_string()),
        subject: head.subject().map(|s| s.to_string()),
    };
    let root = head.root_part();
    let Some(ct) = root.content_type() else {
        return (Entity::Plain, top);
    };
    let ctype = ct.ctype();
    let subtype = ct.subtype().unwrap_or("");
    let entity =
        if ctype.eq_ignore_ascii_case("multipart") && subtype.eq_ignore_ascii_case("signed") {
            match (ct.attribute("protocol"), ct.attribute("boundary")) {
                (Some(p), Some(boundary)) if is_pkcs7_signature(p) && !boundary.is_empty() => {
                    if boundary.len() > MAX_BOUNDARY_LEN {
                        Entity::OverLimit(Exceeded::BoundaryLength)
                    } else {
                        detached(raw, body_offset(raw), boundary.as_bytes())
                    }
                }
                (Some(p), None) if is_pkcs7_signature(p) => {
                    Entity::Broken("multipart/signed without boundary")
                }
                _ => Entity::Plain,
            }
        } else if ctype.eq_ignore_ascii_case("application") && is_pkcs7_mime(subtype) {
            pkcs7(
                raw,
                ct.attribute("smime-type").map(|s| s.to_ascii_lowercase()),
            )
        } else if ctype.eq_ignore_ascii_case("application")
            && subtype.eq_ignore_ascii_case("octet-stream")
        {
            // Some clients label S/MIME as octet-stream and rely on the file name.
            let name = ct
                .attribute("name")
                .or_else(|| root.attachment_name())
                .unwrap_or("");
            if name.to_ascii_lowercase().ends_with(".p7m") {
                pkcs7(raw, None)
            } else {
                Entity::Plain
            }
        } else {
            Entity::Plain
        };
    (entity, top)
}

/// PKCS#7 parts found below the root of an entity, and the limit that stopped the search
/// early, if one did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Enclosed {
    /// Decoded bodies, at most `max_enclosed`.
    pub parts: Vec<Vec<u8>>,
    pub exceeded: Option<Exceeded>,
}

/// The decoded bodies of PKCS#7 parts (`application/pkcs7-mime`, or octet-stream named
/// `*.p7m`) below the root of `raw`, at any depth of multipart nesting (not inside attached
/// messages), within `max_mime_depth`, `max_mime_parts` and `max_enclosed`. Nothing is
/// parsed when the bytes cannot hold one.
///
/// The parts are walked with mail-parser's boundary scanner, reading only each part's
/// headers, rather than parsing the whole message: mail-parser keeps every part it
/// parses, and a 10 MB message of empty parts took it 270 MB.
pub fn enclosed_pkcs7(raw: &[u8], limits: &Limits) -> Enclosed {
    // Every verified message passes here: a literal search (SIMD in the regex crate) keeps
    // a megabyte of plain text from being walked.
    static MAY_HOLD_PKCS7: std::sync::LazyLock<regex::bytes::Regex> =
        std::sync::LazyLock::new(|| {
            regex::bytes::Regex::new(r"(?i)pkcs7-mime|\.p7m").expect("valid pattern")
        });
    if !MAY_HOLD_PKCS7.is_match(raw) {
        return Enclosed::default();
    }
    guarded(|| {
        let mut walk = Walk {
            limits,
            parts: 0,
            found: Enclosed::default(),
        };
        if let Err(e) = walk.entity(raw, 0, true) {
            walk.found.exceeded = Some(e);
        }
        walk.found
    })
    .unwrap_or_default()
}

struct Walk<'l> {
    limits: &'l Limits,
    /// Body parts seen so far, at any depth.
    parts: usize,
    found: Enclosed,
}

impl Walk<'_> {
    /// `entity` is a MIME entity at multipart nesting `depth`; the root itself is never
    /// taken as an enclosed part.
    fn entity(&mut self, entity: &[u8], depth: usize, root: bool) -> Result<(), Exceeded> {
        if self.found.parts.len() >= self.limits.max_enclosed {
            return Ok(());
        }
        let Some(head) = MessageParser::new().parse_headers(entity) else {
            return Ok(());
        };
        let part = head.root_part();
        let Some(ct) = part.content_type() else {
            return Ok(());
        };
        if ct.ctype().eq_ignore_ascii_case("multipart") {
            let Some(boundary) = ct.attribute("boundary").filter(|b| !b.is_empty()) else {
                return Ok(());
            };
            if boundary.len() > MAX_BOUNDARY_LEN {
                return Err(Exceeded::BoundaryLength);
            }
            if depth >= self.limits.max_mime_depth {
                return Err(Exceeded::MimeDepth);
            }
            return self.multipart(&entity[body_offset(entity)..], boundary.as_bytes(), depth);
        }
        if root || !ct.ctype().eq_ignore_ascii_case("application") {
            return Ok(());
        }
        let subtype = ct.subtype().unwrap_or("");
        let p7m_name = || {
            ct.attribute("name")
                .or_else(|| part.attachment_name())
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m"))
        };
        if is_pkcs7_mime(subtype) || subtype.eq_ignore_ascii_case("octet-stream") && p7m_name() {
            // A single part: parsing it decodes just its body.
            if let Some(message) = MessageParser::new().parse(entity) {
                let der = message.root_part().contents();
                if !der.is_empty() {
                    self.found.parts.push(der.to_vec());
                }
            }
        }
        Ok(())
    }

    /// The parts of a multipart body, each walked at `depth + 1`.
    fn multipart(&mut self, body: &[u8], boundary: &[u8], depth: usize) -> Result<(), Exceeded> {
        let mut stream = MessageStream::new(body);
        if !stream.seek_next_part(boundary) {
            return Ok(());
        }
        // Each round moves past one delimiter, so the loop ends.
        while !stream.is_multipart_end() {
            stream.skip_crlf();
            let start = stream.offset();
            let (end, found) = stream.seek_part_end(Some(boundary));
            self.parts += 1;
            if self.parts > self.limits.max_mime_parts {
                return Err(Exceeded::MimeParts);
            }
            if let Some(part) = body.get(start..end) {
                self.entity(part, depth + 1, false)?;
            }
            if !found {
                break;
            }
        }
        Ok(())
    }
}

/// The first value of each of `names` in the header block of `entity` (unfolded, trimmed;
/// `None` where the header is absent), and where the body starts. `None` when the headers
/// cannot be read.
pub fn first_header_values(entity: &[u8], names: &[&str]) -> Option<(Vec<Option<String>>, usize)> {
    let split = body_offset(entity);
    let head = guarded(|| mail_parser::MessageParser::new().parse_headers(&entity[..split]))??;
    let values = names
        .iter()
        .map(|name| {
            head.headers_raw()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.replace("\r\n", "").replace('\n', "").trim().to_string())
        })
        .collect();
    Some((values, split))
}

/// Where the body starts: after the first empty line (CRLF or bare LF).
pub fn body_offset(raw: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(nl) = raw[pos..].iter().position(|&b| b == b'\n') {
        let line = &raw[pos..pos + nl];
        if line.is_empty() || line == b"\r" {
            return pos + nl + 1;
        }
        pos += nl + 1;
    }
    raw.len()
}

/// The decoded body of a single-part entity.
fn pkcs7(raw: &[u8], smime_type: Option<String>) -> Entity {
    let Some(message) = MessageParser::new().parse(raw) else {
        return Entity::Broken("unparseable application/pkcs7-mime entity");
    };
    let der = message.root_part().contents();
    if der.is_empty() {
        return Entity::Broken("empty application/pkcs7-mime body");
    }
    Entity::Pkcs7 {
        der: der.to_vec(),
        smime_type,
    }
}

/// Splits a multipart/signed body at its boundary: the first part (exact bytes, as
/// signed) and the decoded signature of the second.
fn detached(raw: &[u8], body_offset: usize, boundary: &[u8]) -> Entity {
    let Some(body) = raw.get(body_offset..) else {
        return Entity::Broken("multipart/signed without body");
    };
    let mut stream = MessageStream::new(body);
    if !stream.seek_next_part(boundary) {
        return Entity::Broken("multipart/signed: no boundary delimiter");
    }
    stream.skip_crlf();
    let start = stream.offset();
    // The end is before the CRLF that belongs to the next delimiter (RFC 2046 5.1.1),
    // which is exactly where the signed content ends.
    let (end, found) = stream.seek_part_end(Some(boundary));
    if !found || stream.is_multipart_end() {
        return Entity::Broken("multipart/signed needs exactly two parts");
    }
    let sig_start = stream.offset();
    let (sig_end, _) = stream.seek_part_end(Some(boundary));
    if start > end || sig_start > sig_end || sig_end > body.len() {
        return Entity::Broken("multipart/signed parts out of range");
    }
    let sig_bytes = &body[sig_start..sig_end];
    // The type is checked on the headers alone: a full parse of a second part that is a
    // multipart of its own would build every one of its parts first.
    let sig_type_ok = MessageParser::new()
        .parse_headers(sig_bytes)
        .and_then(|h| {
            h.root_part().content_type().map(|ct| {
                is_pkcs7_signature(&format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")))
            })
        })
        .unwrap_or(false);
    if !sig_type_ok {
        return Entity::Broken("second part of multipart/signed is not a PKCS#7 signature");
    }
    let Some(sig_part) = MessageParser::new().parse(sig_bytes) else {
        return Entity::Broken("unparseable signature part");
    };
    let sig_root = sig_part.root_part();
    let signature = match &sig_root.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
        PartType::Text(t) => t.as_bytes().to_vec(),
        _ => return Entity::Broken("signature part has no body"),
    };
    let inner_may_be_smime = MessageParser::new()
        .parse_headers(&body[start..end])
        .and_then(|m| {
            m.root_part().content_type().map(|ct| {
                let (t, s) = (ct.ctype(), ct.subtype().unwrap_or(""));
                t.eq_ignore_ascii_case("multipart") && s.eq_ignore_ascii_case("signed")
                    || t.eq_ignore_ascii_case("application")
                        && (is_pkcs7_mime(s) || s.eq_ignore_ascii_case("octet-stream"))
            })
        })
        .unwrap_or(false);
    Entity::Detached {
        signed: body_offset + start..body_offset + end,
        signature,
        inner_may_be_smime,
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

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &[u8] = b"From: Alice <alice@example.org>\r\n\
Subject: hi\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"B\"\r\n\
\r\n\
This is a signed message.\r\n\
--B\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello\r\n\
\r\n\
--B\r\n\
Content-Type: application/pkcs7-signature; name=smime.p7s\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAEC\r\n\
--B--\r\n";

    #[test]
    fn a_parser_panic_becomes_a_broken_entity() {
        assert_eq!(guarded(|| 7), Some(7));
        assert_eq!(guarded(|| -> u8 { panic!("parser bug") }), None);
        // The input fuzzing found (mail-parser's "Invalid part ID" assertion): a verdict.
        let raw = include_bytes!(
            "../../fuzz/regressions/smime_message/mail-parser-debug-assert-invalid-part-id.eml"
        );
        let _ = classify(raw);
        let _ = enclosed_pkcs7(raw, &Limits::default());
    }

    #[test]
    fn detached_signed_part_is_exact_bytes_without_delimiter_crlf() {
        let (entity, top) = classify(SIGNED);
        let Entity::Detached {
            signed,
            signature,
            inner_may_be_smime,
        } = entity
        else {
            panic!("{entity:?}")
        };
        assert!(!inner_may_be_smime);
        assert_eq!(
            &SIGNED[signed],
            b"Content-Type: text/plain\r\n\r\nhello\r\n"
        );
        assert_eq!(signature, vec![0, 1, 2]);
        assert_eq!(top.from.mailboxes[0].as_str(), "alice@example.org");
        assert!(top.from.identifies_author());
    }

    #[test]
    fn plain_and_broken() {
        assert_eq!(classify(b"Subject: x\r\n\r\nbody\r\n").0, Entity::Plain);
        let one_part = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B--\r\n";
        assert!(matches!(classify(one_part).0, Entity::Broken(_)));
    }

    /// A multipart/mixed holding `levels - 1` more multipart/mixed levels, the innermost
    /// with a text part and a `smime.p7m` whose body is "MAA=" (DER `30 00`).
    fn nested(levels: usize) -> Vec<u8> {
        let mut m = String::from("From: a@example.org\r\nMIME-Version: 1.0\r\n");
        for i in 0..levels {
            m += &format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        }
        m += "Content-Type: text/plain\r\n\r\nhello\r\n";
        m += &format!("--b{}\r\n", levels - 1);
        m += "Content-Type: application/pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n";
        for i in (0..levels).rev() {
            m += &format!("--b{i}--\r\n");
        }
        m.into_bytes()
    }

    fn limits(depth: usize, parts: usize) -> Limits {
        Limits {
            max_mime_depth: depth,
            max_mime_parts: parts,
            ..Limits::default()
        }
    }

    #[test]
    fn enclosed_part_found_at_depth_limit_and_refused_past_it() {
        let m = nested(3);
        let found = enclosed_pkcs7(&m, &limits(3, 100));
        assert_eq!(found.parts, vec![vec![0x30, 0]]);
        assert_eq!(found.exceeded, None);
        let found = enclosed_pkcs7(&m, &limits(2, 100));
        assert_eq!(found.exceeded, Some(Exceeded::MimeDepth));
        assert!(found.parts.is_empty());
    }

    #[test]
    fn enclosed_parts_counted_at_every_depth() {
        // Levels 1 and 2 hold one multipart each, level 3 the text and the p7m: 4 parts.
        let m = nested(3);
        assert_eq!(enclosed_pkcs7(&m, &limits(8, 4)).exceeded, None);
        assert_eq!(
            enclosed_pkcs7(&m, &limits(8, 3)).exceeded,
            Some(Exceeded::MimeParts)
        );
    }

    #[test]
    fn enclosed_walk_stops_at_max_enclosed() {
        let m = nested(1);
        let one = Limits {
            max_enclosed: 1,
            ..Limits::default()
        };
        assert_eq!(enclosed_pkcs7(&m, &one).parts.len(), 1);
    }

    #[test]
    fn boundary_longer_than_rfc_2046_allows_is_over_limit() {
        let b70 = "b".repeat(70);
        let b71 = "b".repeat(71);
        let signed = |b: &str| {
            format!(
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"{b}\"\r\n\r\n--{b}\r\n\r\nx\r\n--{b}--\r\n"
            )
        };
        assert!(matches!(
            classify(signed(&b70).as_bytes()).0,
            Entity::Broken(_)
        ));
        assert_eq!(
            classify(signed(&b71).as_bytes()).0,
            Entity::OverLimit(Exceeded::BoundaryLength)
        );
        let mixed = |b: &str| {
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n--{b}--\r\n"
            )
        };
        assert_eq!(
            enclosed_pkcs7(mixed(&b70).as_bytes(), &Limits::default())
                .parts
                .len(),
            1
        );
        assert_eq!(
            enclosed_pkcs7(mixed(&b71).as_bytes(), &Limits::default()).exceeded,
            Some(Exceeded::BoundaryLength)
        );
    }

    #[test]
    fn sniffs_octet_stream_p7m() {
        let m = b"Content-Type: application/octet-stream; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n";
        assert_eq!(
            classify(m).0,
            Entity::Pkcs7 {
                der: vec![0x30, 0],
                smime_type: None
            }
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
