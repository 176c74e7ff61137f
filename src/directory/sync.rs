//! `mailwarden sync`: one directory search per `[[sync]]` block, written as a rule file
//! the way the daemon's reload wants it: complete, in one rename, or not at all.

use std::io::Write;
use std::path::Path;

use thiserror::Error;

use super::client::Client;
use super::entry::Entry;
use super::spec::{DirectorySpec, SyncSpec};
use super::template::Template;

/// No sync writes more lines than this: a runaway filter is an error, not a huge file.
pub const MAX_ENTRIES: usize = 2_000_000;

/// An entry that produced no line, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub dn: String,
    pub reason: String,
}

/// The lines a search produced: lower-cased, duplicates dropped, in byte order, so that
/// two runs over the same directory write the same bytes and a diff means a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub lines: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Each entry through the line template (first value of each attribute). A value with
/// whitespace or a control character is refused: it could split one rule into two
/// (`a@x * <reg> - 0` in a `mail` attribute) or break the line.
pub fn render(entries: &[Entry], template: &Template) -> Rendered {
    let mut out = Rendered::default();
    for e in entries {
        let mut problem = None;
        let line = template.render(
            |name| {
                let v = e.first(name);
                match v {
                    None | Some("") => {
                        problem.get_or_insert(format!("no {name}"));
                        None
                    }
                    Some(v) if v.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                        problem
                            .get_or_insert(format!("{name} has whitespace or a control character"));
                        None
                    }
                    Some(v) => Some(v),
                }
            },
            |v| v.to_lowercase(),
        );
        match line {
            Some(l) => out.lines.push(l),
            None => out.skipped.push(Skipped {
                dn: crate::diag::printable(&e.dn, crate::diag::Placement::Token),
                reason: problem.unwrap_or_default(),
            }),
        }
    }
    out.lines.sort();
    out.lines.dedup();
    out
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error(
        "not written: {new} lines would replace {old} (below min_keep_ratio {ratio}); \
         run with --force if the directory really shrank"
    )]
    Shrink {
        path: std::path::PathBuf,
        old: usize,
        new: usize,
        ratio: f64,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What `write_guarded` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file already held exactly these lines: not touched, so the daemon sees nothing.
    Unchanged {
        lines: usize,
    },
    Replaced {
        old: usize,
        new: usize,
    },
}

/// Rule lines of a file: neither blank nor comments.
fn rule_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

/// Writes `lines` to `path` through a temporary file in the same directory, fsynced and
/// renamed over the target, then the directory fsynced: a reader sees the old version or
/// the whole new one. Held back when it would shrink the file below `min_keep_ratio` of
/// its rule lines, unless `force`. The new file keeps the old one's permissions.
pub fn write_guarded(
    path: &Path,
    lines: &[String],
    min_keep_ratio: f64,
    force: bool,
) -> Result<Written, WriteError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    let mut content = lines.join("\n");
    if !content.is_empty() {
        content.push('\n');
    }
    let (old, mode) = match std::fs::read(path) {
        Ok(bytes) => {
            if bytes == content.as_bytes() {
                return Ok(Written::Unchanged { lines: lines.len() });
            }
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o7777;
            (rule_lines(&String::from_utf8_lossy(&bytes)), mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, 0o644),
        Err(e) => return Err(io(e)),
    };
    let new = lines.len();
    if !force && old > 0 && (new as f64) < old as f64 * min_keep_ratio {
        return Err(WriteError::Shrink {
            path: path.to_owned(),
            old,
            new,
            ratio: min_keep_ratio,
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mailwarden-sync.{}", std::process::id()));
    let result = (|| {
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // create_new's mode passes through the umask; the old file's mode is wanted.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(Written::Replaced { old, new })
}

/// Why a `[[sync]]` block wrote nothing.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Directory(#[from] super::client::DirectoryError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("no [[sync]] named {0:?}")]
    Unknown(String),
}

/// The outcome of one `[[sync]]` block, for the command's one line per block.
#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub output: std::path::PathBuf,
    pub result: Result<(Written, Vec<Skipped>), SyncError>,
}

/// Runs `spec` against its directory's client: search, render, write.
pub async fn run_one(client: &Client, spec: &SyncSpec, force: bool) -> Outcome {
    let result = async {
        let mut ldap = client.connect().await?;
        let attrs: Vec<String> = spec
            .line_template
            .names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let base = spec.base.as_deref().unwrap_or(&client.spec().base);
        let entries = client
            .search_all(
                &mut ldap,
                base,
                &spec.filter,
                &attrs,
                spec.page_size,
                MAX_ENTRIES,
            )
            .await;
        let _ = ldap.unbind().await;
        let rendered = render(&entries?, &spec.line_template);
        let written = write_guarded(&spec.output, &rendered.lines, spec.min_keep_ratio, force)?;
        Ok((written, rendered.skipped))
    }
    .await;
    Outcome {
        name: spec.name.clone(),
        output: spec.output.clone(),
        result,
    }
}

/// Runs the named `[[sync]]` blocks (all when `names` is empty), one after another.
/// `Err` names a block that does not exist; nothing runs then.
pub async fn run_all(
    directories: &[std::sync::Arc<DirectorySpec>],
    syncs: &[SyncSpec],
    names: &[String],
    force: bool,
) -> Result<Vec<Outcome>, SyncError> {
    if let Some(unknown) = names.iter().find(|n| !syncs.iter().any(|s| &s.name == *n)) {
        return Err(SyncError::Unknown(unknown.clone()));
    }
    let mut out = Vec::new();
    for spec in syncs
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
    {
        let dir = directories
            .iter()
            .find(|d| d.name == spec.directory)
            .expect("checked when the settings loaded");
        match Client::new(dir.clone()) {
            Ok(client) => out.push(run_one(&client, spec, force).await),
            Err(e) => out.push(Outcome {
                name: spec.name.clone(),
                output: spec.output.clone(),
                result: Err(e.into()),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dn: &str, attrs: &[(&str, &str)]) -> Entry {
        Entry {
            dn: dn.into(),
            attrs: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), vec![v.to_string()]))
                .collect(),
        }
    }

    #[test]
    fn lines_are_lowercased_deduplicated_sorted_and_unsafe_values_skipped() {
        let t = Template::parse("* {mail} <sms> {mobile} 0").unwrap();
        let entries = [
            entry(
                "uid=b",
                &[("mail", "Bob@Example.org"), ("mobile", "+358402")],
            ),
            entry(
                "uid=a",
                &[("mail", "alice@example.org"), ("mobile", "+358401")],
            ),
            entry(
                "uid=b2",
                &[("mail", "bob@example.org"), ("mobile", "+358402")],
            ),
            entry("uid=c", &[("mail", "carol@example.org")]),
            entry("uid=e", &[("mail", "eve@x * <none> - 0"), ("mobile", "1")]),
            entry("uid=f", &[("mail", "f@x\nf2@x"), ("mobile", "1")]),
        ];
        let r = render(&entries, &t);
        assert_eq!(
            r.lines,
            [
                "* alice@example.org <sms> +358401 0",
                "* bob@example.org <sms> +358402 0"
            ]
        );
        let skipped: Vec<_> = r
            .skipped
            .iter()
            .map(|s| (s.dn.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("uid=c", "no mobile"),
                ("uid=e", "mail has whitespace or a control character"),
                ("uid=f", "mail has whitespace or a control character"),
            ]
        );
    }

    #[test]
    fn written_atomically_unchanged_untouched_and_shrink_held_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("allowed.txt");
        let many: Vec<String> = (0..10).map(|i| format!("u{i}@example.org")).collect();
        assert_eq!(
            write_guarded(&p, &many, 0.5, false).unwrap(),
            Written::Replaced { old: 0, new: 10 }
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), many.join("\n") + "\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::metadata(&p).unwrap();
        assert_eq!(
            write_guarded(&p, &many, 0.5, false).unwrap(),
            Written::Unchanged { lines: 10 }
        );
        let after = std::fs::metadata(&p).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            before.ino(),
            after.ino(),
            "an unchanged file is not rewritten"
        );
        let e = write_guarded(&p, &many[..4], 0.5, false).unwrap_err();
        assert!(
            matches!(
                e,
                WriteError::Shrink {
                    old: 10,
                    new: 4,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), many.join("\n") + "\n");
        assert_eq!(
            write_guarded(&p, &many[..4], 0.5, true).unwrap(),
            Written::Replaced { old: 10, new: 4 }
        );
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert_ne!(meta.ino(), before.ino(), "replaced by rename");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
