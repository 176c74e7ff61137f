//! A full reload (SIGHUP, `mailwarden reload`): built off the async runtime, logged and
//! counted, and answered as JSON for the control socket.

use std::sync::Arc;

use tracing::{error, info};

use super::{LoadError, Shared};
use crate::rules::Verdict;

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The settings or a required file were invalid: the previous configuration stays.
    #[error("{0}")]
    Rejected(LoadError),
    /// The blocking reload task itself failed (a panic in it).
    #[error("{0}")]
    Task(tokio::task::JoinError),
}

/// SIGHUP: build everything anew off the hot path; swap only a complete, valid set.
pub async fn reload(shared: &Arc<Shared>, force: bool) -> Result<serde_json::Value, ReloadError> {
    let s = shared.clone();
    let result = tokio::task::spawn_blocking(move || s.reload_all(force)).await;
    match result {
        Ok(Ok((rt, verdicts))) => {
            crate::metrics::config_reload("applied");
            info!(
                generation = rt.generation,
                policies = rt.policies.policies.len(),
                rules = rt.rule_count(),
                force,
                "configuration reloaded"
            );
            let files: Vec<_> = verdicts
                .iter()
                .map(|v| match v {
                    Verdict::Apply { path, compiled, note, .. } => {
                        serde_json::json!({"path": path.display().to_string(), "result": "applied", "entries": compiled.len(), "note": note})
                    }
                    Verdict::Keep { path, reason, .. } => {
                        serde_json::json!({"path": path.display().to_string(), "result": "kept-previous", "reason": reason})
                    }
                })
                .collect();
            Ok(serde_json::json!({"ok": true, "generation": rt.generation, "files": files}))
        }
        Ok(Err(e)) => {
            crate::metrics::config_reload("failed");
            for line in e.to_string().lines() {
                error!(
                    problem = line,
                    "reload failed; keeping the previous configuration"
                );
            }
            error!(
                generation = shared.snapshot().generation,
                "reload failed; keeping the previous configuration"
            );
            Err(ReloadError::Rejected(e))
        }
        Err(e) => {
            error!(error = %e, "reload task failed; keeping the previous configuration");
            Err(ReloadError::Task(e))
        }
    }
}
