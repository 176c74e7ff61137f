//! `[smime] crls`: certificate revocation lists, PEM (`X509 CRL`) or DER, from files or
//! directories. Each one must parse, extensions included; `revocation` checks signatures,
//! dates and scope when a certificate is judged.

use std::path::{Path, PathBuf};

use super::revocation::Crl;
use crate::diag::{Diagnostic, Origin};

/// One `[smime] crls` entry: a file or directory and the settings line naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSource {
    pub path: PathBuf,
    pub named_at: Origin,
}

const MAX_CRL_FILE_BYTES: u64 = 256 << 20;

/// A CRL whose nextUpdate is this close is reported before it goes stale.
pub const FRESHNESS_WARNING_SECS: u64 = 86_400;

/// What `check`, `trust list` and the metrics show of one loaded CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSummary {
    pub file: PathBuf,
    pub issuer: String,
    /// cRLNumber, hex.
    pub number: Option<String>,
    pub delta: bool,
    pub this_update: u64,
    pub next_update: Option<u64>,
}

impl CrlSummary {
    fn of(file: &Path, crl: &Crl) -> CrlSummary {
        CrlSummary {
            file: file.to_path_buf(),
            issuer: crl.issuer().to_string(),
            number: crl.number_hex(),
            delta: crl.is_delta(),
            this_update: crl.this_update(),
            next_update: crl.next_update(),
        }
    }

    /// Issuer and number, as logs name a CRL.
    pub fn label(&self) -> String {
        match &self.number {
            Some(n) => format!("{} #{n}", self.issuer),
            None => self.issuer.clone(),
        }
    }

    /// `stale` (nextUpdate passed), `expiring` (within [`FRESHNESS_WARNING_SECS`]) or
    /// `current` at `now` (Unix seconds).
    pub fn freshness(&self, now: u64) -> &'static str {
        match self.next_update {
            Some(n) if n <= now => "stale",
            Some(n) if n - now < FRESHNESS_WARNING_SECS => "expiring",
            _ => "current",
        }
    }
}

/// A loaded CRL: its summary, and the CRL parsed for revocation checking.
pub struct Loaded {
    pub summary: CrlSummary,
    pub crl: Crl,
}

/// Loads every CRL.
pub fn load(sources: &[CrlSource]) -> Result<Vec<Loaded>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for CrlSource { path, named_at } in sources {
        let named = |d: Diagnostic| d.named_by("smime.crls", named_at);
        let files = match super::trust::files_of(path) {
            Ok(f) => f,
            Err(d) => {
                errors.push(named(d));
                continue;
            }
        };
        for file in files {
            match read_file(&file) {
                Ok(mut crls) => out.append(&mut crls),
                Err(d) => errors.push(named(d)),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn read_file(path: &Path) -> Result<Vec<Loaded>, Diagnostic> {
    let len = std::fs::metadata(path)
        .map_err(|e| Diagnostic::new(path, 0, format!("cannot read: {e}")))?
        .len();
    if len > MAX_CRL_FILE_BYTES {
        return Err(Diagnostic::new(
            path,
            0,
            format!("larger than {MAX_CRL_FILE_BYTES} bytes"),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| Diagnostic::new(path, 0, format!("cannot read: {e}")))?;
    let crls = parse(&bytes).map_err(|(line, msg)| Diagnostic::new(path, line, msg))?;
    Ok(crls
        .into_iter()
        .map(|crl| Loaded {
            summary: CrlSummary::of(path, &crl),
            crl,
        })
        .collect())
}

/// Parses CRLs from one file's bytes; errors carry the line of the PEM block.
pub fn parse(bytes: &[u8]) -> Result<Vec<Crl>, (usize, String)> {
    let text_start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if text_start.is_some_and(|i| bytes[i..].starts_with(b"-----BEGIN"))
        || bytes.windows(11).any(|w| w == b"-----BEGIN ")
    {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| (0, "PEM file is not valid text".to_string()))?;
        let mut out = Vec::new();
        let mut n = 0;
        let mut rest = text;
        let mut offset = 0;
        while let Some(begin) = rest.find("-----BEGIN ") {
            n += 1;
            let line = text[..offset + begin].matches('\n').count() + 1;
            let block = &rest[begin..];
            let end_marker = block
                .find("-----END ")
                .ok_or((line, format!("PEM block {n}: no END line")))?;
            let end = block[end_marker..]
                .find('\n')
                .map(|e| end_marker + e + 1)
                .unwrap_or(block.len());
            let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..end])
                .map_err(|e| (line, format!("PEM block {n}: {e}")))?;
            if label != "X509 CRL" {
                return Err((
                    line,
                    format!("PEM block {n} is {label:?}, expected \"X509 CRL\""),
                ));
            }
            let crl =
                Crl::parse(&der).map_err(|e| (line, format!("PEM block {n}: not a CRL: {e}")))?;
            out.push(crl);
            offset += begin + end;
            rest = &rest[begin + end..];
        }
        if out.is_empty() {
            return Err((0, "no CRL found".to_string()));
        }
        return Ok(out);
    }
    let crl = Crl::parse(bytes).map_err(|e| (0, format!("not a DER CRL: {e}")))?;
    Ok(vec![crl])
}
