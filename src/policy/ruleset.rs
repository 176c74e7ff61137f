//! The two rule-file formats, parsed from bytes into indexed, immutable sets.
//!
//! Sender allowlist: one pattern per line, `!pattern` denies.
//! Access rules: `SENDER RECIPIENT <METHOD> PARAM FLAGS`.
//! Both: `#` comments (whole lines, or from a field that starts with `#`), blank lines,
//! CRLF, a UTF-8 BOM and surrounding white space are accepted.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::index::FirstMatchIndex;
use super::pattern::{Pattern, PatternError, parse_pattern};
use crate::diag::Diagnostic;
use crate::mail::address::Address;

/// Longest accepted line; longer ones are an error, not a truncation.
pub const MAX_LINE_BYTES: usize = 8192;
/// Most fields a rule line has (access rules have 5); more is an error on its own.
const MAX_FIELDS: usize = 8;
/// Errors collected per file before giving up on listing them.
pub const MAX_ERRORS: usize = 100;

/// Where a rule came from, shown as `PATH:LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub path: Arc<Path>,
    pub line: u32,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Line 0: a source without lines, a directory (`ldap corp`).
        if self.line == 0 {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{}:{}", self.path.display(), self.line)
        }
    }
}

#[derive(Debug, Clone)]
pub struct AllowEntry {
    pub pattern: Pattern,
    pub deny: bool,
    pub line: u32,
}

/// One parsed sender-allowlist file.
#[derive(Debug, Clone)]
pub struct AllowlistFile {
    pub path: Arc<Path>,
    entries: Vec<AllowEntry>,
    index: FirstMatchIndex,
}

/// What the downstream system gets for an accepted recipient.
#[derive(Debug, Clone)]
pub struct AccessRule {
    pub sender: Pattern,
    pub recipient: Pattern,
    /// Index into the file's method table.
    method: u16,
    pub param: Option<Box<str>>,
    pub flags: u64,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct AccessRuleFile {
    pub path: Arc<Path>,
    rules: Vec<AccessRule>,
    methods: Vec<Box<str>>,
    index: FirstMatchIndex,
}

/// A matched access rule, borrowed from its file.
#[derive(Debug, Clone, Copy)]
pub struct AccessMatch<'a> {
    pub file: &'a AccessRuleFile,
    pub rule: &'a AccessRule,
}

impl AccessMatch<'_> {
    pub fn method(&self) -> &str {
        &self.file.methods[self.rule.method as usize]
    }

    pub fn is_deny(&self) -> bool {
        self.method() == "deny"
    }

    pub fn rule_ref(&self) -> RuleRef {
        RuleRef {
            path: self.file.path.clone(),
            line: self.rule.line,
        }
    }
}

impl AllowlistFile {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry matching the address, in file order.
    pub fn first_match(&self, addr: &Address) -> Option<&AllowEntry> {
        self.index
            .first_match(
                addr,
                None,
                |i| [Some(&self.entries[i].pattern), None],
                |o| self.entries[o as usize].pattern.matches(addr),
            )
            .map(|o| &self.entries[o as usize])
    }

    pub fn rule_ref(&self, entry: &AllowEntry) -> RuleRef {
        RuleRef {
            path: self.path.clone(),
            line: entry.line,
        }
    }
}

impl AccessRuleFile {
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule whose sender and recipient both match, in file order.
    pub fn first_match(&self, sender: &Address, rcpt: &Address) -> Option<AccessMatch<'_>> {
        // Recipient first: real files mostly key rules on the recipient (`* user@x <reg> - 0`).
        self.index
            .first_match(
                rcpt,
                Some(sender),
                |i| [Some(&self.rules[i].recipient), Some(&self.rules[i].sender)],
                |o| {
                    let r = &self.rules[o as usize];
                    r.recipient.matches(rcpt) && r.sender.matches(sender)
                },
            )
            .map(|o| AccessMatch {
                file: self,
                rule: &self.rules[o as usize],
            })
    }
}

/// The content length of an overlong line whose first `head` bytes were read: the rest is
/// skipped without being kept, and the line end (LF or CRLF) is not counted.
fn content_len(head: &[u8], reader: &mut impl BufRead) -> std::io::Result<usize> {
    let mut len = head.len();
    let mut last = head.last().copied();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(len);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => {
                let before = if at > 0 { Some(chunk[at - 1]) } else { last };
                // The CR was counted already, in this chunk or an earlier one.
                len = len + at - usize::from(before == Some(b'\r'));
                reader.consume(at + 1);
                return Ok(len);
            }
            None => {
                let n = chunk.len();
                last = chunk.last().copied();
                len += n;
                reader.consume(n);
            }
        }
    }
}

/// Splits a file into numbered, trimmed, non-comment lines of fields, reading it line by
/// line (a reload never holds a second copy of a large file in memory).
/// Calls `each(line_no, fields)`; reports encoding and length problems itself.
fn for_each_line(
    path: &Path,
    reader: &mut impl BufRead,
    errors: &mut Vec<Diagnostic>,
    mut each: impl FnMut(u32, &[&str], &mut Vec<Diagnostic>),
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(256);
    let mut i = 0usize;
    loop {
        buf.clear();
        // At most one byte over the limit is kept; the rest of an overlong line is skipped.
        let n = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let mut overlong = 0;
        if !buf.ends_with(b"\n") && buf.len() > MAX_LINE_BYTES {
            overlong = content_len(&buf, reader)?;
        }
        i += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = if i == 1 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        if errors.len() >= MAX_ERRORS {
            errors.push(Diagnostic::new(path, i, "too many errors; stopped here"));
            return Ok(());
        }
        let line_no = i;
        let raw = if overlong > 0 {
            &buf[..MAX_LINE_BYTES + 1]
        } else {
            raw
        };
        // The limit is on the line's content: a CRLF file gets as many bytes as an LF one.
        let raw = if overlong > 0 {
            raw
        } else {
            raw.strip_suffix(b"\r").unwrap_or(raw)
        };
        let raw_len = overlong.max(raw.len());
        if raw_len > MAX_LINE_BYTES {
            errors.push(Diagnostic::new(
                path,
                line_no,
                format!("line too long ({raw_len} bytes, at most {MAX_LINE_BYTES})"),
            ));
            continue;
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(raw) else {
            errors.push(Diagnostic::new(path, line_no, "invalid UTF-8"));
            continue;
        };
        // No allocation per line: at most MAX_FIELDS are kept, the count is exact.
        let mut fields = [""; MAX_FIELDS];
        let mut count = 0;
        for f in text.split_whitespace().take_while(|f| !f.starts_with('#')) {
            if count < MAX_FIELDS {
                fields[count] = f;
            }
            count += 1;
        }
        if count == 0 {
            continue;
        }
        if let Some(problem) = character_problem(text) {
            errors.push(Diagnostic::new(path, line_no, problem));
            continue;
        }
        if count > MAX_FIELDS {
            errors.push(Diagnostic::new(
                path,
                line_no,
                format!("too many fields ({count})"),
            ));
            continue;
        }
        each(line_no as u32, &fields[..count], errors);
    }
}

/// A character no rule line may hold: a control character, or one that is invisible (a
/// BOM, zero-width or direction mark, or a non-ASCII space inside an entry makes it one
/// that never matches: a `!` entry would be silently gone).
fn character_problem(text: &str) -> Option<String> {
    if let Some(bad) = text.chars().find(|c| c.is_control() && !c.is_whitespace()) {
        return Some(format!("control character U+{:04X} in line", bad as u32));
    }
    let bad = text.chars().find(|&c| is_invisible(c))?;
    Some(format!(
        "invisible character U+{:04X} in line (a byte-order mark, zero-width or direction mark, or non-ASCII space would make the entry never match)",
        bad as u32
    ))
}

/// Unicode format characters (general category Cf) and non-ASCII white space: invisible in
/// an editor, different bytes to a matcher. Only a BOM at the very start of a file is
/// allowed (it is stripped before lines are read).
fn is_invisible(c: char) -> bool {
    let cf = matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F);
    cf || (c.is_whitespace() && !c.is_ascii())
}

/// Parses a sender allowlist held in memory. See `read_allowlist`.
pub fn parse_allowlist(path: &Path, mut bytes: &[u8]) -> (AllowlistFile, Vec<Diagnostic>) {
    read_allowlist(path, &mut bytes).expect("reading from memory cannot fail")
}

/// Parses an access-rule file held in memory. See `read_access_rules`.
pub fn parse_access_rules(path: &Path, mut bytes: &[u8]) -> (AccessRuleFile, Vec<Diagnostic>) {
    read_access_rules(path, &mut bytes).expect("reading from memory cannot fail")
}

/// Vec::shrink_to_fit only when it frees a noticeable share (it may copy the whole vector).
fn trim<T>(v: &mut Vec<T>) {
    if v.capacity() - v.len() > v.len() / 16 {
        v.shrink_to_fit();
    }
}

/// Reads a sender allowlist. Returns the file and every problem found; the caller decides
/// whether problems reject the whole file (the safe default) or only their lines.
pub fn read_allowlist(
    path: &Path,
    reader: &mut impl BufRead,
) -> std::io::Result<(AllowlistFile, Vec<Diagnostic>)> {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for_each_line(path, reader, &mut errors, |line, fields, errors| {
        if fields.len() != 1 {
            errors.push(Diagnostic::new(
                path,
                line as usize,
                format!("expected 1 address pattern, found {} fields", fields.len()),
            ));
            return;
        }
        let (deny, token) = match fields[0].strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, fields[0]),
        };
        match parse_pattern(token) {
            Ok(pattern) => entries.push(AllowEntry {
                pattern,
                deny,
                line,
            }),
            Err(e) => errors.push(Diagnostic::new(path, line as usize, e.to_string())),
        }
    })?;
    trim(&mut entries);
    let index = FirstMatchIndex::build(entries.len(), |i| [Some(&entries[i].pattern), None]);
    let file = AllowlistFile {
        path: Arc::from(path),
        entries,
        index,
    };
    Ok((file, errors))
}

/// Reads an access-rule file (`SENDER RECIPIENT <METHOD> PARAM FLAGS`).
pub fn read_access_rules(
    path: &Path,
    reader: &mut impl BufRead,
) -> std::io::Result<(AccessRuleFile, Vec<Diagnostic>)> {
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    let mut methods: Vec<Box<str>> = Vec::new();
    for_each_line(path, reader, &mut errors, |line, fields, errors| {
        let mut fail = |msg: String| errors.push(Diagnostic::new(path, line as usize, msg));
        if fields.len() != 5 {
            fail(format!(
                "expected 5 fields (SENDER RECIPIENT <METHOD> PARAM FLAGS), found {}",
                fields.len()
            ));
            return;
        }
        let sender = parse_pattern(fields[0]).map_err(FieldError::Sender);
        let recipient = parse_pattern(fields[1]).map_err(FieldError::Recipient);
        let method = parse_method(fields[2]);
        let param = parse_param(fields[3]);
        let flags = fields[4]
            .parse::<u64>()
            .map_err(|_| FieldError::Flags(fields[4].to_owned()));
        match (sender, recipient, method, param, flags) {
            (Ok(sender), Ok(recipient), Ok(method), Ok(param), Ok(flags)) => {
                let method = intern(&mut methods, method);
                rules.push(AccessRule {
                    sender,
                    recipient,
                    method,
                    param,
                    flags,
                    line,
                });
            }
            (s, r, m, p, f) => {
                for e in [s.err(), r.err(), m.err(), p.err(), f.err()]
                    .into_iter()
                    .flatten()
                {
                    fail(e.to_string());
                }
            }
        }
    })?;
    trim(&mut rules);
    let index = FirstMatchIndex::build(rules.len(), |i| {
        [Some(&rules[i].recipient), Some(&rules[i].sender)]
    });
    let file = AccessRuleFile {
        path: Arc::from(path),
        rules,
        methods,
        index,
    };
    Ok((file, errors))
}

fn intern(methods: &mut Vec<Box<str>>, method: &str) -> u16 {
    if let Some(i) = methods.iter().position(|m| &**m == method) {
        return i as u16;
    }
    methods.push(method.into());
    (methods.len() - 1) as u16
}

/// Why a field of an access-rule line cannot be used.
#[derive(Debug, thiserror::Error)]
enum FieldError {
    #[error("SENDER: {0}")]
    Sender(PatternError),
    #[error("RECIPIENT: {0}")]
    Recipient(PatternError),
    #[error(
        "METHOD must be a token in angle brackets like <reg>, found \"{}\"",
        crate::diag::excerpt(.0)
    )]
    MethodBrackets(String),
    #[error(
        "METHOD \"{}\": expected letters, digits, '-', '_' or '.' inside <>",
        crate::diag::excerpt(.0)
    )]
    MethodToken(String),
    #[error("PARAM is longer than 1024 bytes")]
    ParamTooLong,
    #[error(
        "FLAGS must be a non-negative integer, found \"{}\"",
        crate::diag::excerpt(.0)
    )]
    Flags(String),
}

/// `<token>`: letters, digits, `-`, `_`, `.`; at most 64 characters.
fn parse_method(field: &str) -> Result<&str, FieldError> {
    let inner = field
        .strip_prefix('<')
        .and_then(|f| f.strip_suffix('>'))
        .ok_or_else(|| FieldError::MethodBrackets(field.to_owned()))?;
    if inner.is_empty()
        || inner.len() > 64
        || !inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(FieldError::MethodToken(field.to_owned()));
    }
    Ok(inner)
}

/// `-` (none) or one printable token, carried unchanged to the downstream system.
fn parse_param(field: &str) -> Result<Option<Box<str>>, FieldError> {
    if field == "-" {
        return Ok(None);
    }
    if field.len() > 1024 {
        return Err(FieldError::ParamTooLong);
    }
    Ok(Some(field.into()))
}

/// Path of a rule file relative to the configuration file's directory.
pub fn resolve_path(config_dir: &Path, value: &str) -> PathBuf {
    let p = Path::new(value);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        config_dir.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(d: &[Diagnostic]) -> Vec<String> {
        d.iter()
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect()
    }

    #[test]
    fn allowlist_accepts_comments_crlf_bom_spaces_and_case() {
        let text = "\u{feff}# manual list\r\n\r\n  Alice@Example.ORG  \r\n!bad@example.org # blocked\r\n@partner.example\r\n";
        let (f, e) = parse_allowlist(Path::new("/r/a.txt"), text.as_bytes());
        assert!(e.is_empty(), "{:?}", errs(&e));
        assert_eq!(f.len(), 3);
        let hit = f
            .first_match(&Address::parse("<alice@example.org>", "+"))
            .unwrap();
        assert_eq!((hit.line, hit.deny), (3, false));
        let hit = f
            .first_match(&Address::parse("bad@example.org", "+"))
            .unwrap();
        assert_eq!((hit.line, hit.deny), (4, true));
        assert_eq!(f.rule_ref(hit).to_string(), "/r/a.txt:4");
        assert!(
            f.first_match(&Address::parse("x@other.example", "+"))
                .is_none()
        );
    }

    #[test]
    fn allowlist_malformed_lines_are_reported_with_line_numbers() {
        let text = b"ok@example.org\ntwo fields@example.org\nnot-an-address\n/a(/\n\xff\xfe@x\n";
        let (_, e) = parse_allowlist(Path::new("a"), text);
        let e = errs(&e);
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e[0].starts_with("2: expected 1 address pattern, found 2 fields"));
        assert!(e[1].starts_with("3: bad pattern"));
        assert!(e[2].starts_with("4: bad pattern"));
        assert_eq!(e[3], "5: invalid UTF-8");
    }

    #[test]
    fn line_of_exactly_the_limit_parses_and_one_byte_more_is_too_long() {
        let line = |n: usize| {
            let entry = "alice@example.org #";
            format!("{entry}{}", "x".repeat(n - entry.len()))
        };
        for end in ["\n", "\r\n"] {
            let at = format!("{}{end}", line(MAX_LINE_BYTES));
            let (set, e) = parse_allowlist(Path::new("a"), at.as_bytes());
            assert!(e.is_empty(), "{end:?}: {:?}", errs(&e));
            assert_eq!(set.len(), 1);
            let past = format!("{}{end}", line(MAX_LINE_BYTES + 1));
            let (_, e) = parse_allowlist(Path::new("a"), past.as_bytes());
            assert_eq!(
                errs(&e),
                vec![format!("1: line too long (8193 bytes, at most 8192)")],
                "{end:?}"
            );
            // Far past the limit the rest is skipped unread, and still counted exactly.
            let far = format!("{}{end}x@y.example{end}", line(100_000));
            let (set, e) = parse_allowlist(Path::new("a"), far.as_bytes());
            assert_eq!(
                errs(&e),
                vec![format!("1: line too long (100000 bytes, at most 8192)")],
                "{end:?}"
            );
            assert_eq!(set.len(), 1, "the next line is read");
        }
    }

    #[test]
    fn overlong_line_length_counts_across_buffer_refills() {
        for (rest, want) in [
            (&b"abcdef\r\nnext"[..], 10),
            // At the end of the file a CR is content, not a line end.
            (b"abc\r", 8),
            (b"\r\n", 4),
            (b"\n", 4),
            (b"", 4),
        ] {
            let mut r = std::io::BufReader::with_capacity(2, rest);
            assert_eq!(content_len(b"1234", &mut r).unwrap(), want, "{rest:?}");
        }
        // A CR that ended the part already read.
        let mut r = std::io::BufReader::with_capacity(2, &b"\nnext"[..]);
        assert_eq!(content_len(b"123\r", &mut r).unwrap(), 3);
        let mut left = String::new();
        r.read_to_string(&mut left).unwrap();
        assert_eq!(left, "next");
    }

    #[test]
    fn allowlist_overlong_line_and_control_chars_rejected() {
        let mut text = "a".repeat(MAX_LINE_BYTES + 1);
        text.push_str("\nx@y\u{1}z.example\n");
        let (_, e) = parse_allowlist(Path::new("a"), text.as_bytes());
        let e = errs(&e);
        assert!(e[0].starts_with("1: line too long"), "{e:?}");
        assert!(e[1].starts_with("2: control character"), "{e:?}");
    }

    #[test]
    fn access_rules_parse_the_documented_examples() {
        let text = "* user@customer.fi <reg> - 0\ntest@example.org * <sms> +358401234567 3\n* * <deny> - 0\n";
        let (f, e) = parse_access_rules(Path::new("/r/gsm.txt"), text.as_bytes());
        assert!(e.is_empty(), "{:?}", errs(&e));
        let m = f
            .first_match(
                &Address::parse("a@b.example", "+"),
                &Address::parse("User@Customer.fi", "+"),
            )
            .unwrap();
        assert_eq!(
            (
                m.method(),
                m.rule.param.as_deref(),
                m.rule.flags,
                m.rule.line
            ),
            ("reg", None, 0, 1)
        );
        let m = f
            .first_match(
                &Address::parse("test@example.org", "+"),
                &Address::parse("x@y.example", "+"),
            )
            .unwrap();
        assert_eq!(
            (m.method(), m.rule.param.as_deref(), m.rule.flags),
            ("sms", Some("+358401234567"), 3)
        );
        let m = f
            .first_match(
                &Address::parse("a@b.example", "+"),
                &Address::parse("x@y.example", "+"),
            )
            .unwrap();
        assert!(m.is_deny());
        assert_eq!(m.rule_ref().to_string(), "/r/gsm.txt:3");
    }

    #[test]
    fn access_rules_every_malformed_form_reported() {
        let text = "* user@x.fi <reg> -\n* user@x.fi reg - 0\n* user@x.fi <r eg> - 0\n* user@x.fi <reg> - -1\n* user@x.fi <reg> - abc\nuser user@x.fi <reg> - 0\n* @ <reg> - 0\n* a@x.fi <> - 0\n";
        let (f, e) = parse_access_rules(Path::new("r"), text.as_bytes());
        let e = errs(&e);
        assert_eq!(f.len(), 0);
        assert!(e[0].starts_with("1: expected 5 fields"), "{e:?}");
        assert!(
            e[1].starts_with("2: METHOD must be a token in angle brackets"),
            "{e:?}"
        );
        assert!(e[2].starts_with("3: expected 5 fields"), "{e:?}");
        assert!(
            e[3].starts_with("4: FLAGS must be a non-negative integer"),
            "{e:?}"
        );
        assert!(
            e[4].starts_with("5: FLAGS must be a non-negative integer"),
            "{e:?}"
        );
        assert!(e[5].starts_with("6: SENDER: bad pattern"), "{e:?}");
        assert!(e[6].starts_with("7: RECIPIENT: bad pattern"), "{e:?}");
        assert!(e[7].starts_with("8: METHOD"), "{e:?}");
        assert_eq!(e.len(), 8);
    }

    #[test]
    fn access_rules_first_line_wins_over_later_more_specific() {
        let text = "* @customer.fi <reg> - 0\n* user@customer.fi <sms> - 1\n";
        let (f, _) = parse_access_rules(Path::new("r"), text.as_bytes());
        let m = f
            .first_match(
                &Address::parse("a@b.example", "+"),
                &Address::parse("user@customer.fi", "+"),
            )
            .unwrap();
        assert_eq!(m.rule.line, 1);
    }

    #[test]
    fn too_many_errors_stop_the_listing() {
        let text = "bad\n".repeat(500);
        let (_, e) = parse_allowlist(Path::new("a"), text.as_bytes());
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert!(e.last().unwrap().message.contains("too many errors"));
    }

    #[test]
    fn invisible_characters_inside_a_file_are_errors_naming_the_line() {
        for bad in [
            "\u{feff}!former@x.example",
            "!former@x.example\u{200b}",
            "!for\u{202e}mer@x.example",
            "!former@x.example\u{a0}#",
        ] {
            let text = format!("@x.example\n{bad}\n");
            let (_, e) = parse_allowlist(Path::new("l.txt"), text.as_bytes());
            let e = errs(&e);
            assert_eq!(e.len(), 1, "{bad:?}: {e:?}");
            assert!(e[0].starts_with("2: invisible character U+"), "{e:?}");
        }
        // A BOM that starts the file is allowed.
        let (f, e) = parse_allowlist(Path::new("l.txt"), "\u{feff}!former@x.example\n".as_bytes());
        assert!(e.is_empty() && f.entries.len() == 1);
    }

    #[test]
    fn errors_quote_only_a_short_printable_excerpt() {
        let line = "root:$6$abcdefghijklmnopqrstuvwxyz0123456789SECRETHASH:19000:0:99999:7:::\n";
        let (_, e) = parse_allowlist(Path::new("l.txt"), line.as_bytes());
        let e = errs(&e);
        assert!(!e[0].contains("SECRETHASH"), "{e:?}");
        assert!(e[0].contains("root:$6$abcdefghijklmnop..."), "{e:?}");
        let (_, e) = parse_access_rules(Path::new("r.txt"), "* * <reg> - /(secretsecretsecretsecret/\n/(aaaaaaaaaaaaaaaaaaaaaaaaaaaSECRET/ * <r> - 0\n".as_bytes());
        assert!(errs(&e).iter().all(|m| !m.contains("SECRET")), "{e:?}");
    }
}
