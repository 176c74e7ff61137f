//! Whether a new version of a rule file may replace the one in force. Pure: the caller
//! reads the file and applies the verdict.
//!
//! The rules, safest first: an unreadable or deleted file keeps the previous version
//! (`on_missing = "empty"` treats deletion as an empty file); a version with a bad line is
//! rejected whole (`on_bad_line = "skip"` drops only the bad lines); and a version with
//! fewer than `min_keep_ratio` of the previous entries is held back (the shrink guard),
//! because an emptied allowlist refuses every protected message. `force` passes the
//! shrink guard only.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::file::{Compiled, Kind, Read};
use crate::config::SourceOptions;
use crate::config::model::{OnBadLine, OnMissing};
use crate::diag::Diagnostic;

#[derive(Debug, Clone)]
pub enum Verdict {
    Apply {
        path: PathBuf,
        compiled: Compiled,
        entries_before: Option<usize>,
        /// When the file was last written (for the change-to-applied latency).
        modified: Option<SystemTime>,
        /// Something the log should say: skipped lines, a forced shrink, a deletion.
        note: Option<String>,
        problems: Vec<Diagnostic>,
    },
    Keep {
        path: PathBuf,
        cause: KeepCause,
        reason: String,
        entries_before: Option<usize>,
        entries_after: Option<usize>,
        problems: Vec<Diagnostic>,
    },
}

/// Why a new version was not applied: a fixed set, for metrics labels and alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepCause {
    Missing,
    Unreadable,
    BadLines,
    ShrinkGuard,
}

impl KeepCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unreadable => "unreadable",
            Self::BadLines => "bad-lines",
            Self::ShrinkGuard => "shrink-guard",
        }
    }
}

impl Verdict {
    /// `applied`, or the cause it was kept back: a metrics label.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Apply { .. } => "applied",
            Self::Keep { cause, .. } => cause.as_str(),
        }
    }

    pub fn is_apply(&self) -> bool {
        matches!(self, Self::Apply { .. })
    }

    pub fn path(&self) -> &Path {
        match self {
            Self::Apply { path, .. } | Self::Keep { path, .. } => path,
        }
    }
}

pub fn decide(
    path: &Path,
    kind: Kind,
    before: Option<usize>,
    read: Read,
    opts: &SourceOptions,
    force: bool,
) -> Verdict {
    let keep = |cause: KeepCause,
                reason: String,
                after: Option<usize>,
                problems: Vec<Diagnostic>| Verdict::Keep {
        path: path.to_path_buf(),
        cause,
        reason,
        entries_before: before,
        entries_after: after,
        problems,
    };
    let (compiled, problems, modified, mut note) = match read {
        Read::Missing if opts.on_missing == OnMissing::Keep => {
            return keep(
                KeepCause::Missing,
                "file missing; keeping the previous version (on_missing = \"keep\")".into(),
                None,
                vec![],
            );
        }
        Read::Missing => (
            Compiled::empty(kind, path),
            vec![],
            None,
            Some("file missing: treated as empty (on_missing = \"empty\")".to_owned()),
        ),
        Read::Unreadable(e) => {
            return keep(
                KeepCause::Unreadable,
                format!("cannot read: {e}"),
                None,
                vec![],
            );
        }
        Read::Parsed {
            compiled,
            problems,
            modified,
            ..
        } => {
            if !problems.is_empty() && opts.on_bad_line == OnBadLine::Reject {
                let first = problems[0].to_string();
                return keep(
                    KeepCause::BadLines,
                    format!("{} bad line(s), first: {first}", problems.len()),
                    None,
                    problems,
                );
            }
            let note = (!problems.is_empty()).then(|| {
                format!(
                    "{} bad line(s) skipped (on_bad_line = \"skip\")",
                    problems.len()
                )
            });
            (compiled, problems, Some(modified), note)
        }
    };
    let after = compiled.len();
    if let Some(prev) = before.filter(|&p| p > 0)
        && (after as f64) < opts.min_keep_ratio * prev as f64
    {
        if !force {
            return keep(
                KeepCause::ShrinkGuard,
                format!(
                    "shrink guard: {after} entries is less than {:.0} % of the previous {prev}; held back (confirm with `mailwarden reload --force`, or lower min_keep_ratio)",
                    opts.min_keep_ratio * 100.0
                ),
                Some(after),
                problems,
            );
        }
        note = Some(format!(
            "shrink from {prev} to {after} entries applied by --force"
        ));
    }
    Verdict::Apply {
        path: path.to_path_buf(),
        compiled,
        entries_before: before,
        modified,
        note,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Fingerprint;

    fn opts() -> SourceOptions {
        SourceOptions {
            on_bad_line: OnBadLine::Reject,
            on_missing: OnMissing::Keep,
            min_keep_ratio: 0.5,
            required: true,
        }
    }

    fn parsed(text: &str) -> Read {
        let (compiled, problems) =
            super::super::file::parse(Kind::Allowlist, Path::new("/r/a.txt"), text.as_bytes());
        Read::Parsed {
            compiled,
            problems,
            fingerprint: Fingerprint {
                dev: 1,
                ino: 1,
                size: 0,
                mtime_ns: 0,
                ctime_ns: 0,
            },
            modified: SystemTime::UNIX_EPOCH,
        }
    }

    fn lines(n: usize) -> String {
        (0..n).map(|i| format!("u{i}@example.org\n")).collect()
    }

    fn run(before: Option<usize>, read: Read, o: &SourceOptions, force: bool) -> Verdict {
        decide(
            Path::new("/r/a.txt"),
            Kind::Allowlist,
            before,
            read,
            o,
            force,
        )
    }

    #[test]
    fn guard_missing_file_keeps_previous_unless_on_missing_empty() {
        let v = run(Some(10), Read::Missing, &opts(), false);
        assert!(
            matches!(&v, Verdict::Keep { reason, .. } if reason.starts_with("file missing")),
            "{v:?}"
        );
        let mut o = opts();
        o.on_missing = OnMissing::Empty;
        // Empty is still a shrink: held back without --force.
        assert!(!run(Some(10), Read::Missing, &o, false).is_apply());
        assert!(run(Some(10), Read::Missing, &o, true).is_apply());
        assert!(run(Some(0), Read::Missing, &o, false).is_apply());
    }

    #[test]
    fn guard_bad_line_rejects_whole_file_or_skips_the_line() {
        let text = format!("{}not an address\n", lines(5));
        let v = run(Some(5), parsed(&text), &opts(), false);
        assert!(
            matches!(&v, Verdict::Keep { reason, problems, .. } if reason.contains("a.txt:6") && problems.len() == 1),
            "{v:?}"
        );
        let mut o = opts();
        o.on_bad_line = OnBadLine::Skip;
        let Verdict::Apply { compiled, note, .. } = run(Some(5), parsed(&text), &o, false) else {
            panic!()
        };
        assert_eq!(compiled.len(), 5);
        assert!(note.unwrap().contains("1 bad line(s) skipped"));
    }

    #[test]
    fn guard_shrink_below_ratio_is_held_back_until_forced() {
        let v = run(Some(100), parsed(&lines(49)), &opts(), false);
        assert!(
            matches!(&v, Verdict::Keep { reason, entries_after: Some(49), .. } if reason.starts_with("shrink guard")),
            "{v:?}"
        );
        assert!(run(Some(100), parsed(&lines(50)), &opts(), false).is_apply());
        assert!(
            !run(Some(100), parsed(""), &opts(), false).is_apply(),
            "emptied file applied"
        );
        let Verdict::Apply { note, .. } = run(Some(100), parsed(""), &opts(), true) else {
            panic!()
        };
        assert!(note.unwrap().contains("--force"));
        let mut o = opts();
        o.min_keep_ratio = 0.0;
        assert!(run(Some(100), parsed(""), &o, false).is_apply());
    }

    #[test]
    fn guard_unreadable_keeps_previous() {
        let v = run(
            Some(3),
            Read::Unreadable("Permission denied (os error 13)".into()),
            &opts(),
            true,
        );
        assert!(
            matches!(&v, Verdict::Keep { reason, .. } if reason.contains("Permission denied")),
            "{v:?}"
        );
    }
}
