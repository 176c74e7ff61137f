//! The live state of a running milter: the current settings and compiled policies,
//! swapped atomically on reload, the table of rule sources, and the count of messages in
//! flight. Reloads are serialised; parsing happens on the caller's (blocking) thread, never
//! on a milter session's.

pub mod reload;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use serde_json::json;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::config::{ConfigError, Settings};
use crate::diag::Diagnostics;
use crate::metrics::SourceGauge;
use crate::policy::PolicySet;
use crate::rules::{Change, Fingerprint, SourceSummary, SourceTable, Verdict};

/// One consistent snapshot: a message keeps the one it started with.
#[derive(Debug)]
pub struct Runtime {
    pub settings: Settings,
    pub policies: PolicySet,
    pub sources: Vec<SourceSummary>,
    pub generation: u64,
    /// The S/MIME verifier, when `[smime]` verification is on.
    pub smime: Option<Arc<crate::smime::Engine>>,
    /// Real-time lookups: connections and caches, new (flushed) with each settings load.
    pub directories: Arc<crate::directory::live::Directories>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Rules(Diagnostics),
    /// The `[smime]` trust store, CRLs or keys.
    #[error("{0}")]
    Smime(Diagnostics),
}

impl Runtime {
    /// Reads the settings and every file they name (for `serve` at start, `check`, `query`).
    pub fn load(config: Option<&Path>, generation: u64) -> Result<(Self, SourceTable), LoadError> {
        let settings = Settings::load(config)?;
        let (table, _) = SourceTable::load(&settings, None, false).map_err(LoadError::Rules)?;
        let smime = load_smime(&settings)?;
        let directories = Arc::new(crate::directory::live::Directories::new(
            &settings.directories,
        ));
        Ok((
            Self::build(settings, &table, generation, smime, directories),
            table,
        ))
    }

    fn build(
        settings: Settings,
        table: &SourceTable,
        generation: u64,
        smime: Option<Arc<crate::smime::Engine>>,
        directories: Arc<crate::directory::live::Directories>,
    ) -> Self {
        Self {
            directories,
            policies: table.build_policies(&settings),
            sources: table.summaries(),
            settings,
            generation,
            smime,
        }
    }

    pub fn rule_count(&self) -> usize {
        self.sources.iter().map(|s| s.entries).sum()
    }
}

/// State shared by every milter session, the watcher and the control socket.
pub struct Shared {
    current: ArcSwap<Runtime>,
    table: Mutex<SourceTable>,
    config_path: Option<PathBuf>,
    next_generation: AtomicU64,
    /// Bumped (under the table lock) each time the settings are read again: a slow trust
    /// store load that started before must not publish the settings it started with.
    settings_epoch: AtomicU64,
    in_flight: AtomicUsize,
    idle: Notify,
    /// Wakes the watcher after a settings reload (the set of files may have changed).
    pub sources_changed: Notify,
    /// The trust store and CRL files as last loaded, and a changed state waiting to hold.
    smime_watch: Mutex<SmimeWatch>,
}

/// Files of the trust store, CRLs and keys, each with its fingerprint (`None`: cannot be
/// read). A permission change counts too: a key file made group-readable is refused.
type SourcesState = Vec<(PathBuf, Option<Fingerprint>)>;

#[derive(Debug, Default)]
struct SmimeWatch {
    loaded: SourcesState,
    candidate: Option<(SourcesState, u32)>,
}

/// How many consecutive checks (one a second) a changed trust store must hold still before
/// it is read: a sync writing several files finishes first.
const SMIME_STABLE_CHECKS: u32 = 2;

/// The state of every file under the `[smime]` trust and CRL paths (directories listed) and
/// of every key, certificate and password file.
fn smime_sources_state(settings: &Settings) -> SourcesState {
    let mut out = Vec::new();
    let engine = &settings.smime.engine;
    let paths = engine
        .trust
        .iter()
        .map(|t| t.path.clone())
        .chain(engine.crls.iter().map(|c| c.path.clone()));
    // The same files the loaders read; a path that cannot be read is kept as "missing".
    let trust_files = paths
        .flat_map(|p| crate::smime::pki::trust::files_of(&p).unwrap_or_else(|_| vec![p.clone()]));
    let key_files = engine.keys.iter().flat_map(|k| k.files());
    {
        for f in trust_files.chain(key_files) {
            let fingerprint = Fingerprint::read(&f);
            out.push((f, fingerprint));
        }
    }
    out
}

impl Shared {
    pub fn new(runtime: Runtime, table: SourceTable, config_path: Option<PathBuf>) -> Arc<Self> {
        let next = runtime.generation + 1;
        Arc::new(Self {
            current: ArcSwap::from_pointee(runtime),
            table: Mutex::new(table),
            config_path,
            next_generation: AtomicU64::new(next),
            settings_epoch: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            idle: Notify::new(),
            sources_changed: Notify::new(),
            smime_watch: Mutex::new(SmimeWatch::default()),
        })
        .with_smime_state()
    }

    fn with_smime_state(self: Arc<Self>) -> Arc<Self> {
        let state = smime_sources_state(&self.snapshot().settings);
        self.smime_lock().loaded = state;
        self
    }

    fn smime_lock(&self) -> MutexGuard<'_, SmimeWatch> {
        self.smime_watch.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Called by the watcher once a second (blocking): when the trust store or CRL files
    /// changed and have held still, read them again and swap the verifier in; a store
    /// that does not load (a half-synced or emptied file) keeps the previous one.
    pub fn check_smime_sources(&self) {
        let epoch = self.settings_epoch.load(Ordering::Acquire);
        let before = self.snapshot();
        if !before.settings.smime.verify {
            return;
        }
        let now = smime_sources_state(&before.settings);
        {
            let mut w = self.smime_lock();
            if now == w.loaded {
                w.candidate = None;
                return;
            }
            let count = match &w.candidate {
                Some((c, n)) if *c == now => n + 1,
                _ => 1,
            };
            w.candidate = Some((now.clone(), count));
            if count < SMIME_STABLE_CHECKS {
                return;
            }
            w.loaded = now;
            w.candidate = None;
        }
        info!("smime trust store, CRL or key files changed; loading them");
        // Slow (PBKDF2 for protected keys), so without the table lock: a SIGHUP may reload
        // everything meanwhile.
        match crate::smime::Engine::load(&before.settings.smime.engine) {
            Ok(engine) => {
                let table = self.table();
                if self.settings_epoch.load(Ordering::Acquire) != epoch {
                    // A full reload ran meanwhile and loaded the store from newer settings;
                    // publishing ours would undo it.
                    drop(table);
                    info!("smime store reload superseded by a settings reload; not applied");
                    return;
                }
                // The rules may have changed meanwhile (the watcher): keep the current ones.
                let current = self.snapshot();
                let rt = self.publish(
                    current.settings.clone(),
                    &table,
                    Some(Arc::new(engine)),
                    current.directories.clone(),
                );
                drop(table);
                crate::metrics::smime_store_reload("applied");
                info!(
                    generation = rt.generation,
                    certificates = rt.smime.as_ref().map_or(0, |e| e.trust.certs.len()),
                    crls = rt.smime.as_ref().map_or(0, |e| e.crls.len()),
                    keys = rt.smime.as_ref().map_or(0, |e| e.keys.len()),
                    "smime trust store reloaded"
                );
            }
            Err(errors) => {
                crate::metrics::smime_store_reload("kept-previous");
                for e in &errors {
                    error!(problem = %e, "smime trust store not reloaded; keeping the previous one");
                }
            }
        }
    }

    pub fn snapshot(&self) -> Arc<Runtime> {
        self.current.load_full()
    }

    pub fn config_path(&self) -> Option<&Path> {
        self.config_path.as_deref()
    }

    fn table(&self) -> MutexGuard<'_, SourceTable> {
        // A panic while holding the lock cannot leave a half-updated table (updates are
        // whole-value assignments), so a poisoned lock is still usable.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(
        &self,
        settings: Settings,
        table: &SourceTable,
        smime: Option<Arc<crate::smime::Engine>>,
        directories: Arc<crate::directory::live::Directories>,
    ) -> Arc<Runtime> {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let rt = Arc::new(Runtime::build(
            settings,
            table,
            generation,
            smime,
            directories,
        ));
        self.current.store(rt.clone());
        rt
    }

    /// SIGHUP / `mailwarden reload`: the settings and every file, built completely, then
    /// swapped in. Blocking. On a settings error nothing changes; per file, the guards
    /// decide (a held-back file keeps its previous version while the others apply).
    pub fn reload_all(&self, force: bool) -> Result<(Arc<Runtime>, Vec<Verdict>), LoadError> {
        let mut table = self.table();
        let before = self.snapshot();
        let settings = Settings::load(self.config_path.as_deref())?;
        let (new_table, verdicts) =
            SourceTable::load(&settings, Some(&table), force).map_err(LoadError::Rules)?;
        warn_non_reloadable(&before.settings, &settings);
        // The trust store and CRLs are read again too; any problem keeps everything as it was.
        let smime = load_smime(&settings)?;
        if let Some(e) = &smime {
            info!(
                certificates = e.trust.certs.len(),
                crls = e.crls.len(),
                "smime trust store loaded"
            );
        }
        let state = smime_sources_state(&settings);
        self.settings_epoch.fetch_add(1, Ordering::AcqRel);
        // New settings: new connections, and the cache flushed.
        let directories = Arc::new(crate::directory::live::Directories::new(
            &settings.directories,
        ));
        let rt = self.publish(settings, &new_table, smime, directories);
        self.smime_lock().loaded = state;
        *table = new_table;
        drop(table);
        for v in &verdicts {
            log_verdict(v, rt.generation);
        }
        self.sources_changed.notify_waiters();
        Ok((rt, verdicts))
    }

    /// The watcher: re-read the files that changed, if the change allows reading them now.
    /// Blocking. Publishes once if any file applied.
    pub fn reload_changed(&self, changes: &[(PathBuf, Change)]) -> Vec<Verdict> {
        let mut table = self.table();
        let mut verdicts = Vec::new();
        for (path, change) in changes {
            let Some(source) = table.get_mut(path) else {
                continue;
            };
            let now = Fingerprint::read(path);
            let due = match (change, now, source.fingerprint) {
                // Gone: act once (on_missing); the next appearance is a change again.
                (_, None, Some(_)) => true,
                (_, None, None) => false,
                (Change::Complete, Some(n), seen) => seen != Some(n),
                (Change::Identity | Change::Removed, Some(n), seen) => {
                    seen.is_none_or(|s| !s.same_file(&n))
                }
                (Change::Metadata, Some(_), _) => std::fs::File::open(path).is_err(),
            };
            if due {
                verdicts.push(source.refresh(false));
            }
        }
        if verdicts.iter().any(Verdict::is_apply) {
            let before = self.snapshot();
            let rt = self.publish(
                before.settings.clone(),
                &table,
                before.smime.clone(),
                before.directories.clone(),
            );
            drop(table);
            for v in &verdicts {
                log_verdict(v, rt.generation);
            }
        } else {
            let generation = self.snapshot().generation;
            drop(table);
            for v in &verdicts {
                log_verdict(v, generation);
            }
        }
        verdicts
    }

    /// Paths and their loaded fingerprints, for the watcher.
    pub fn watched(&self) -> Vec<(PathBuf, Option<Fingerprint>)> {
        self.table()
            .sources
            .iter()
            .map(|s| (s.path.clone(), s.fingerprint))
            .collect()
    }

    /// Per source: path, entries in force, when last applied (for metrics).
    fn source_gauges_now(&self) -> Vec<SourceGauge> {
        self.table()
            .sources
            .iter()
            .map(|s| SourceGauge {
                path: s.path.clone(),
                entries: s.entries(),
                loaded_at: s.loaded_at,
            })
            .collect()
    }

    /// `mailwarden status`: per source, what is in force and the last problem.
    pub fn status_json(&self) -> serde_json::Value {
        let rt = self.snapshot();
        let sources: Vec<_> = self
            .table()
            .sources
            .iter()
            .map(|s| {
                json!({
                    "path": s.path.display().to_string(),
                    "kind": s.kind.key(),
                    "entries": s.entries(),
                    "generation": s.generation,
                    "loaded_at": s.loaded_at.map(rfc3339),
                    "last_error": s.last_error,
                })
            })
            .collect();
        json!({
            "generation": rt.generation,
            "in_flight": self.in_flight(),
            "sources": sources,
            "directories": rt.directories.statuses(),
        })
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Marks a message in flight until the guard is dropped.
    pub fn begin_message(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// Waits until no message is in flight.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One log line (and one metrics count) per reload attempt of one file.
pub fn log_verdict(v: &Verdict, generation: u64) {
    crate::metrics::rule_reload(v.path(), v.outcome());
    match v {
        Verdict::Apply {
            path,
            compiled,
            entries_before,
            modified,
            note,
            problems,
        } => {
            for p in problems {
                warn!(problem = %p, "bad line skipped");
            }
            let latency_ms = modified
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .map(|d| d.as_millis() as u64);
            info!(
                path = %path.display(),
                result = "applied",
                entries_before = entries_before.map_or(-1, |n| n as i64),
                entries_after = compiled.len(),
                generation,
                change_to_applied_ms = latency_ms.map_or(-1, |n| n as i64),
                note = note.as_deref().unwrap_or(""),
                "rule file reloaded"
            );
        }
        Verdict::Keep {
            path,
            cause,
            reason,
            entries_before,
            entries_after,
            problems,
        } => {
            for p in problems.iter().take(20) {
                error!(problem = %p, "rule file problem");
            }
            error!(
                path = %path.display(),
                result = "kept-previous",
                cause = cause.as_str(),
                reason = %reason,
                entries_before = entries_before.map_or(-1, |n| n as i64),
                entries_after = entries_after.map_or(-1, |n| n as i64),
                generation,
                "rule file not reloaded; keeping the previous version"
            );
        }
    }
}

fn warn_non_reloadable(o: &Settings, n: &Settings) {
    if n.listen != o.listen {
        warn!(
            setting = "milter.listen",
            "changed setting needs a restart; keeping {}", o.listen
        );
    }
    if n.unix_socket != o.unix_socket
        || n.max_connections != o.max_connections
        || n.connection_timeout != o.connection_timeout
    {
        warn!(
            setting = "milter.*",
            "changed socket settings need a restart"
        );
    }
    if n.log.level != o.log.level || n.log.format != o.log.format {
        warn!(setting = "log.*", "changed log settings need a restart");
    }
    if n.reload.control_socket != o.reload.control_socket || n.reload.watch != o.reload.watch {
        warn!(
            setting = "reload.watch/control_socket",
            "changed setting needs a restart"
        );
    }
    if n.metrics_listen != o.metrics_listen {
        warn!(
            setting = "metrics.listen",
            "changed setting needs a restart"
        );
    }
}

/// UTC RFC 3339 with seconds, without a date crate.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InFlight")
    }
}

impl crate::metrics::Gauges for Shared {
    fn source_gauges(&self) -> Vec<SourceGauge> {
        self.source_gauges_now()
    }

    fn in_flight(&self) -> usize {
        Shared::in_flight(self)
    }

    fn crls(&self) -> Vec<crate::smime::pki::crl::CrlSummary> {
        self.snapshot()
            .smime
            .as_ref()
            .map(|e| e.crls.clone())
            .unwrap_or_default()
    }
}

/// The S/MIME engine when verification is on; errors name each file.
fn load_smime(settings: &Settings) -> Result<Option<Arc<crate::smime::Engine>>, LoadError> {
    if !settings.smime.verify {
        return Ok(None);
    }
    crate::smime::Engine::load(&settings.smime.engine)
        .map(|e| Some(Arc::new(e)))
        .map_err(|errors| LoadError::Smime(Diagnostics(errors)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40Z");
        let leap = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}
