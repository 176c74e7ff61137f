//! Watching the rule files' directories and turning events into reloads.
//!
//! inotify mode: a file is complete when its writer closes it (IN_CLOSE_WRITE) or when it
//! is renamed or linked into place (IN_MOVED_TO, a new symlink); a bare modification never
//! triggers a read, however long the writer pauses. Other swaps in the directory (a
//! Kubernetes `..data` symlink, a replaced directory) trigger a read only of files that are
//! now a different inode. Bursts are debounced. Once a second the directories themselves are
//! checked, so a directory that was replaced whole is watched again.
//!
//! poll mode (filesystems without inotify, e.g. NFS): a changed file is read once its size
//! and times have stayed the same for `poll_stable_polls` polls and it ends with a newline.
//! That is weaker: a writer that pauses longer than that, at a line end, is read early.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::Shared;
use crate::config::model::WatchMode;
use crate::rules::{Change, Fingerprint};

/// Runs until the task is aborted. `ready` fires once the watches are in place, so that the
/// daemon announces itself only when no change can slip by unseen.
pub async fn run(shared: Arc<Shared>, ready: tokio::sync::oneshot::Sender<()>) {
    let settings = shared.snapshot().settings.reload.clone();
    match settings.watch {
        WatchMode::Off => {
            info!(
                "rule files are not watched (reload.watch = \"off\"); use SIGHUP or mailwarden reload"
            );
            let _ = ready.send(());
        }
        WatchMode::Inotify => {
            inotify_loop(shared, Duration::from_millis(settings.debounce_ms), ready).await
        }
        WatchMode::Poll => {
            let _ = ready.send(());
            poll_loop(
                shared,
                Duration::from_millis(settings.poll_interval_ms),
                settings.poll_stable_polls,
            )
            .await
        }
    }
}

/// What an event says about a file we load, given the file and directory sets.
fn classify(kind: &EventKind, path: &Path, ours: &[PathBuf]) -> Vec<(PathBuf, Change)> {
    let is_ours = ours.iter().any(|p| p == path);
    let dir_files = || -> Vec<PathBuf> {
        let dir = path.parent();
        ours.iter().filter(|p| p.parent() == dir).cloned().collect()
    };
    let each = |files: Vec<PathBuf>, c: Change| files.into_iter().map(|p| (p, c)).collect();
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) if is_ours => {
            vec![(path.to_path_buf(), Change::Complete)]
        }
        EventKind::Modify(ModifyKind::Name(
            RenameMode::To | RenameMode::Both | RenameMode::Any,
        )) if is_ours => {
            vec![(path.to_path_buf(), Change::Complete)]
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) if is_ours => {
            vec![(path.to_path_buf(), Change::Removed)]
        }
        // A new symlink is complete the moment it exists; a new regular file is not (its
        // IN_CLOSE_WRITE follows).
        EventKind::Create(_) if is_ours => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if link {
                vec![(path.to_path_buf(), Change::Complete)]
            } else {
                vec![]
            }
        }
        EventKind::Modify(ModifyKind::Metadata(_)) if is_ours => {
            vec![(path.to_path_buf(), Change::Metadata)]
        }
        // Something else in the directory was renamed, created or removed: maybe a symlink
        // our path goes through.
        EventKind::Modify(ModifyKind::Name(_)) | EventKind::Create(_) | EventKind::Remove(_)
            if !is_ours =>
        {
            each(dir_files(), Change::Identity)
        }
        _ => vec![],
    }
}

/// What an event on the *target* of one of our symlinked files says about that file: the
/// target written in place and closed, or replaced, is a complete new version; the target
/// gone leaves our path dangling. (A target created anew is complete only at its close.)
fn classify_target(kind: &EventKind, ours: &Path) -> Option<(PathBuf, Change)> {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write))
        | EventKind::Modify(ModifyKind::Name(
            RenameMode::To | RenameMode::Both | RenameMode::Any,
        )) => Some((ours.to_path_buf(), Change::Complete)),
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
            Some((ours.to_path_buf(), Change::Removed))
        }
        _ => None,
    }
}

/// Our files that are symlinks, by the file they resolve to: a file written in place
/// behind a symlink raises its events under the target's name, in the target's directory.
fn symlink_targets(ours: &[PathBuf]) -> HashMap<PathBuf, PathBuf> {
    ours.iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
        .filter_map(|p| Some((std::fs::canonicalize(p).ok()?, p.clone())))
        .filter(|(target, p)| target != p)
        .collect()
}

fn dir_identity(dir: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

async fn inotify_loop(
    shared: Arc<Shared>,
    debounce: Duration,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let (tx, mut rx) = mpsc::unbounded_channel::<notify::Result<notify::Event>>();
    let watcher = match notify::recommended_watcher(move |e| {
        let _ = tx.send(e);
    }) {
        Ok(w) => w,
        Err(e) => {
            error!(error = %e, "cannot start the file watcher; reload with SIGHUP or mailwarden reload");
            return;
        }
    };
    let mut w = Watches {
        watcher,
        dirs: HashMap::new(),
        pending: HashMap::new(),
        ours: Vec::new(),
        targets: HashMap::new(),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut resync = true;
    loop {
        if resync {
            resync = false;
            w.resync(&shared);
            if let Some(r) = ready.take() {
                // A file swapped between the first load and the watch: compare identities.
                let s = shared.clone();
                let all: Vec<(PathBuf, Change)> = w
                    .ours
                    .iter()
                    .map(|p| (p.clone(), Change::Identity))
                    .collect();
                let _ = tokio::task::spawn_blocking(move || s.reload_changed(&all)).await;
                let _ = r.send(());
            }
        }
        let next_due = w.pending.values().map(|(_, t)| *t).min();
        tokio::select! {
            ev = rx.recv() => match ev {
                None => return,
                Some(Ok(ev)) => w.note(&ev, debounce),
                Some(Err(e)) => warn!(error = %e, "file watcher error"),
            },
            _ = async {
                match next_due {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            } => {
                reload(&shared, w.take_due()).await;
                // A symlink may now point elsewhere: follow its new target.
                resync = w.has_symlinks();
            }
            _ = tick.tick() => {
                check_smime(&shared).await;
                // A settings reload may have changed the files (its wake-up can be missed
                // while this loop is busy).
                if shared.watched().into_iter().map(|(p, _)| p).ne(w.ours.iter().cloned()) {
                    resync = true;
                }
                let changed = w.replaced_dirs();
                if !changed.is_empty() {
                    reload(&shared, changed).await;
                }
            }
            _ = shared.sources_changed.notified() => resync = true,
        }
    }
}

/// What the inotify loop watches and what it has seen.
struct Watches {
    watcher: notify::RecommendedWatcher,
    /// Watched directories and the identity they had when the watch was set.
    dirs: HashMap<PathBuf, Option<(u64, u64)>>,
    /// Files with events, the strongest change seen, and when they are due.
    pending: HashMap<PathBuf, (Change, Instant)>,
    /// Our files.
    ours: Vec<PathBuf>,
    /// Symlink targets of our files, and the file each belongs to.
    targets: HashMap<PathBuf, PathBuf>,
}

impl Watches {
    /// Watches the directories of the files the runtime has now, and only those.
    fn resync(&mut self, shared: &Shared) {
        self.ours = shared.watched().into_iter().map(|(p, _)| p).collect();
        self.targets = symlink_targets(&self.ours);
        let mut wanted: Vec<PathBuf> = self
            .ours
            .iter()
            .chain(self.targets.keys())
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect();
        wanted.sort();
        wanted.dedup();
        let watcher = &mut self.watcher;
        self.dirs.retain(|d, _| {
            let keep = wanted.contains(d);
            if !keep {
                let _ = watcher.unwatch(d);
            }
            keep
        });
        for d in wanted {
            if let std::collections::hash_map::Entry::Vacant(v) = self.dirs.entry(d.clone()) {
                let id = dir_identity(&d);
                match self.watcher.watch(&d, RecursiveMode::NonRecursive) {
                    Ok(()) => debug!(dir = %d.display(), "watching"),
                    Err(e) => {
                        warn!(dir = %d.display(), error = %e, "cannot watch directory yet; checking it every second")
                    }
                }
                v.insert(id);
            }
        }
    }

    /// Records an event's files as pending, due `debounce` after the last event.
    fn note(&mut self, ev: &notify::Event, debounce: Duration) {
        for path in &ev.paths {
            let via_target = self
                .targets
                .get(path)
                .and_then(|our| classify_target(&ev.kind, our));
            for (file, change) in classify(&ev.kind, path, &self.ours)
                .into_iter()
                .chain(via_target)
            {
                let entry = self.pending.entry(file).or_insert((change, Instant::now()));
                // The strongest reason wins; the deadline moves with each event.
                if change == Change::Complete || entry.0 == Change::Metadata {
                    entry.0 = change;
                }
                entry.1 = Instant::now() + debounce;
            }
        }
    }

    /// The pending files whose time has come.
    fn take_due(&mut self) -> Vec<(PathBuf, Change)> {
        let now = Instant::now();
        let due = self
            .pending
            .iter()
            .filter(|(_, (_, t))| *t <= now)
            .map(|(p, (c, _))| (p.clone(), *c))
            .collect();
        self.pending.retain(|_, (_, t)| *t > now);
        due
    }

    fn has_symlinks(&self) -> bool {
        !self.targets.is_empty()
            || self
                .ours
                .iter()
                .any(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
    }

    /// Directories replaced or re-created: watch the new one; its files are whole (a
    /// directory is swapped in complete), so compare identities.
    fn replaced_dirs(&mut self) -> Vec<(PathBuf, Change)> {
        let mut changed = Vec::new();
        for (d, id) in self.dirs.iter_mut() {
            let now_id = dir_identity(d);
            if now_id == *id {
                continue;
            }
            let _ = self.watcher.unwatch(d);
            if now_id.is_some() && self.watcher.watch(d, RecursiveMode::NonRecursive).is_ok() {
                info!(dir = %d.display(), "directory replaced; watching the new one");
            }
            *id = now_id;
            let change = if now_id.is_some() {
                Change::Identity
            } else {
                Change::Removed
            };
            changed.extend(
                self.ours
                    .iter()
                    .filter(|p| p.parent() == Some(d))
                    .map(|p| (p.clone(), change)),
            );
        }
        changed
    }
}

/// The trust store and CRLs are compared once a second (they are few files, often whole
/// directories, where a new file must be noticed too).
async fn check_smime(shared: &Arc<Shared>) {
    let s = shared.clone();
    if let Err(e) = tokio::task::spawn_blocking(move || s.check_smime_sources()).await {
        error!(error = %e, "trust store check failed; keeping the previous one");
    }
}

async fn reload(shared: &Arc<Shared>, changes: Vec<(PathBuf, Change)>) {
    if changes.is_empty() {
        return;
    }
    let s = shared.clone();
    // Parsing a large file takes a while: never on the runtime's worker threads.
    if let Err(e) = tokio::task::spawn_blocking(move || s.reload_changed(&changes)).await {
        error!(error = %e, "reload task failed; keeping the previous rules");
    }
}

/// The last byte is a newline (or the file is empty): no line is cut in half.
fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return true;
    };
    let Ok(len) = f.seek(SeekFrom::End(0)) else {
        return true;
    };
    if len == 0 {
        return true;
    }
    let mut b = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut b).is_ok() && b[0] == b'\n'
}

async fn poll_loop(shared: Arc<Shared>, interval: Duration, stable_polls: u32) {
    // Per file: the candidate fingerprint seen and for how many polls it has held.
    let mut seen: HashMap<PathBuf, (Option<Fingerprint>, u32)> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    let mut last_smime_check = Instant::now();
    loop {
        tick.tick().await;
        if last_smime_check.elapsed() >= Duration::from_secs(1) {
            last_smime_check = Instant::now();
            check_smime(&shared).await;
        }
        let mut due = Vec::new();
        for (path, loaded) in shared.watched() {
            let now = Fingerprint::read(&path);
            if now == loaded {
                seen.remove(&path);
                continue;
            }
            let entry = seen.entry(path.clone()).or_insert((now, 0));
            if entry.0 == now {
                entry.1 += 1;
            } else {
                *entry = (now, 1);
            }
            let complete = now.is_none() || ends_with_newline(&path);
            if entry.1 >= stable_polls && complete {
                due.push((
                    path.clone(),
                    if now.is_some() {
                        Change::Complete
                    } else {
                        Change::Removed
                    },
                ));
                seen.remove(&path);
            }
        }
        reload(&shared, due).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    #[test]
    fn classify_only_completion_events_read_our_file() {
        let ours = vec![
            PathBuf::from("/r/a.txt"),
            PathBuf::from("/r/b.txt"),
            PathBuf::from("/s/c.txt"),
        ];
        let a = Path::new("/r/a.txt");
        let close = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert_eq!(
            classify(&close, a, &ours),
            vec![(a.to_path_buf(), Change::Complete)]
        );
        let moved = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert_eq!(
            classify(&moved, a, &ours),
            vec![(a.to_path_buf(), Change::Complete)]
        );
        // A bare modification or a new regular file never triggers a read.
        assert!(
            classify(
                &EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                a,
                &ours
            )
            .is_empty()
        );
        assert!(classify(&EventKind::Create(CreateKind::File), a, &ours).is_empty());
        let removed = EventKind::Remove(RemoveKind::File);
        assert_eq!(
            classify(&removed, a, &ours),
            vec![(a.to_path_buf(), Change::Removed)]
        );
        // A swap beside our files (..data symlink) checks identities in that directory only.
        let swap = classify(&moved, Path::new("/r/..data"), &ours);
        assert_eq!(
            swap,
            vec![
                (PathBuf::from("/r/a.txt"), Change::Identity),
                (PathBuf::from("/r/b.txt"), Change::Identity)
            ]
        );
        // vim's swap file closing is not our file.
        assert!(classify(&close, Path::new("/r/.a.txt.swp"), &ours).is_empty());
    }
}
