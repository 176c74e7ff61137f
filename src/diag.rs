//! Problems found in a file, reported the way compilers do (`PATH:LINE[:COL]: message`),
//! so an editor can jump to the spot.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            column: None,
            message: message.into(),
        }
    }

    pub fn with_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    /// Adds the settings entry that named the file this problem is in, so that a bad
    /// trust file, CRL or key also points at the line of the settings to look at.
    pub fn named_by(mut self, key: &str, origin: &Origin) -> Self {
        self.message = format!("{} ({key} at {origin})", self.message);
        self
    }
}

/// Where the settings name something: `PATH:LINE` (line 0 for the built-in defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Where text from outside (a message, an address, a rule file) is put, and so how much of
/// it may go there. Whatever the place, the text is reduced to printable ASCII (anything
/// else becomes `?`): it cannot end a reply line, a header or a log line early, and holds
/// no control characters. One sanitizer, one cap per place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A value put into a `sender_reply` / `recipient_reply` template (`{sender}`,
    /// `{recipient}`, `{policy}`): 256 characters, spaces kept.
    ReplyTemplate,
    /// An address or token in an SMTP reply, our annotation header or a log field: 320
    /// characters (an RFC 5321 path is at most 256), spaces become `?`.
    Token,
    /// A media type in a log line: 64 characters.
    MediaType,
    /// Our `X-Mailwarden-Decrypted` header value: 900 characters (one header line),
    /// spaces kept.
    HeaderNote,
    /// Text of a file quoted in a diagnostic: [`EXCERPT_CHARS`], then `...` when cut. A
    /// rule file may be a symlink to anything readable by the daemon (`/etc/shadow`, for
    /// one run as root): its errors must not copy it into the log.
    Excerpt,
}

/// Most characters of a file's text quoted in a diagnostic.
pub const EXCERPT_CHARS: usize = 24;

impl Placement {
    fn cap(self) -> usize {
        match self {
            Self::ReplyTemplate => 256,
            Self::Token => 320,
            Self::MediaType => 64,
            Self::HeaderNote => 900,
            Self::Excerpt => EXCERPT_CHARS,
        }
    }

    fn keeps_spaces(self) -> bool {
        matches!(self, Self::ReplyTemplate | Self::HeaderNote)
    }
}

/// `s` made safe for `place`: printable ASCII, at most the place's cap.
pub fn printable(s: &str, place: Placement) -> String {
    let keep = |c: char| c.is_ascii_graphic() || (c == ' ' && place.keeps_spaces());
    let mut out: String = s
        .chars()
        .take(place.cap())
        .map(|c| if keep(c) { c } else { '?' })
        .collect();
    if place == Placement::Excerpt && s.chars().nth(EXCERPT_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// A short, printable prefix of text from a file, for a diagnostic
/// ([`Placement::Excerpt`]).
pub fn excerpt(s: &str) -> String {
    printable(s, Placement::Excerpt)
}

/// A non-empty list of diagnostics, as one error value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 8), (2, 3));
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn diagnostic_display_is_path_line_col_message() {
        let d = Diagnostic::new(Path::new("/x/y.toml"), 7, "bad").with_column(3);
        assert_eq!(d.to_string(), "/x/y.toml:7:3: bad");
        let d = Diagnostic::new(Path::new("/x/y.toml"), 0, "unreadable");
        assert_eq!(d.to_string(), "/x/y.toml: unreadable");
    }
}
