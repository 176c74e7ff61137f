//! The live state of a running milter: the current settings and compiled policies,
//! swapped atomically on reload, and the count of messages in flight.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arc_swap::ArcSwap;
use tokio::sync::Notify;

use crate::config::{ConfigError, Settings};
use crate::diag::Diagnostics;
use crate::policy::PolicySet;
use crate::rules::{SourceSummary, load_policies};

/// One consistent snapshot: a message keeps the one it started with.
#[derive(Debug)]
pub struct Runtime {
    pub settings: Settings,
    pub policies: PolicySet,
    pub sources: Vec<SourceSummary>,
    pub generation: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Rules(Diagnostics),
}

impl Runtime {
    /// Reads the settings and every file they name.
    pub fn load(config: Option<&Path>, generation: u64) -> Result<Self, LoadError> {
        let settings = Settings::load(config)?;
        Self::from_settings(settings, generation)
    }

    pub fn from_settings(settings: Settings, generation: u64) -> Result<Self, LoadError> {
        let (policies, sources) = load_policies(&settings).map_err(LoadError::Rules)?;
        Ok(Self {
            settings,
            policies,
            sources,
            generation,
        })
    }

    pub fn rule_count(&self) -> usize {
        self.sources.iter().map(|s| s.entries).sum()
    }
}

/// State shared by every milter session and the control loop.
pub struct Shared {
    current: ArcSwap<Runtime>,
    config_path: Option<PathBuf>,
    next_generation: AtomicU64,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Shared {
    pub fn new(runtime: Runtime, config_path: Option<PathBuf>) -> Arc<Self> {
        let next = runtime.generation + 1;
        Arc::new(Self {
            current: ArcSwap::from_pointee(runtime),
            config_path,
            next_generation: AtomicU64::new(next),
            in_flight: AtomicUsize::new(0),
            idle: Notify::new(),
        })
    }

    pub fn snapshot(&self) -> Arc<Runtime> {
        self.current.load_full()
    }

    pub fn config_path(&self) -> Option<&Path> {
        self.config_path.as_deref()
    }

    /// Builds a complete new runtime and swaps it in; on error the old one stays.
    pub fn reload(&self) -> Result<Arc<Runtime>, LoadError> {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let rt = Arc::new(Runtime::load(self.config_path.as_deref(), generation)?);
        self.current.store(rt.clone());
        Ok(rt)
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
