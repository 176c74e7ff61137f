//! The control socket: `mailwarden reload [--force]` and `mailwarden status` talk to the
//! running daemon over a unix socket that only its owner can use (mode 0600).
//!
//! Protocol: the client sends one line (`reload`, `reload --force`, `status`, or `cached`
//! and a JSON lookup), the server answers with one JSON object and closes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tracing::{info, warn};

use crate::runtime::Shared;

/// Longest request line read; anything longer is refused. A `cached` request carries an
/// LDAP filter with an escaped address in it.
const MAX_REQUEST: usize = 8192;

pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the socket; `Ok(None)` when disabled (`""`).
pub fn bind(path: &str) -> std::io::Result<Option<ControlSocket>> {
    if path.is_empty() {
        return Ok(None);
    }
    let path = PathBuf::from(path);
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::other(format!(
                "{}: exists and is not a socket",
                path.display()
            )));
        }
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(std::io::Error::other(format!(
                "{}: another instance answers on it",
                path.display()
            )));
        }
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    info!(path = %path.display(), "control socket ready");
    Ok(Some(ControlSocket { listener, path }))
}

pub async fn serve(socket: ControlSocket, shared: Arc<Shared>) {
    loop {
        let stream = match socket.listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, say: retrying at once would spin a core.
                warn!(error = %e, "cannot accept a control connection; retrying shortly");
                tokio::time::sleep(crate::listen::ACCEPT_RETRY).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let mut reader = tokio::io::BufReader::new(read).take(MAX_REQUEST as u64);
            let request =
                tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line)).await;
            let answer = match request {
                Ok(Ok(_)) => handle(line.trim(), &shared).await,
                _ => serde_json::json!({"ok": false, "error": "no request"}),
            };
            let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
        });
    }
}

/// `cached {"directory":…,"filter":…,"attrs":[…]}`: the daemon's fresh cached answer to one
/// directory lookup, for `query` to show (`ldap corp (cached 12 s)`). Never asks the server.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct CachedRequest {
    pub directory: String,
    pub filter: String,
    pub attrs: Vec<String>,
}

fn cached(json: &str, shared: &Shared) -> serde_json::Value {
    let Ok(q) = serde_json::from_str::<CachedRequest>(json) else {
        return serde_json::json!({"ok": false, "error": "cached: expected {\"directory\", \"filter\", \"attrs\"}"});
    };
    let rt = shared.snapshot();
    match rt.directories.cached(&q.directory, &q.filter, &q.attrs) {
        Some((entries, age)) => {
            serde_json::json!({"ok": true, "entries": &*entries, "age_ms": age.as_millis() as u64})
        }
        None => serde_json::json!({"ok": true, "entries": null}),
    }
}

/// Client side of `cached`: the running daemon's fresh answer and its age, if it has one.
pub fn ask_cached(
    path: &Path,
    directory: &str,
    filter: &str,
    attrs: &[String],
) -> Option<(Vec<crate::directory::entry::Entry>, Duration)> {
    let q = CachedRequest {
        directory: directory.to_owned(),
        filter: filter.to_owned(),
        attrs: attrs.to_vec(),
    };
    let line = format!("cached {}", serde_json::to_string(&q).ok()?);
    // The daemon answers from memory; a daemon that does not is asked no longer.
    let answer = request_within(path, &line, Duration::from_secs(2)).ok()?;
    let entries = serde_json::from_value(answer.get("entries")?.clone()).ok()?;
    let age = Duration::from_millis(answer.get("age_ms")?.as_u64()?);
    Some((entries, age))
}

async fn handle(request: &str, shared: &Arc<Shared>) -> serde_json::Value {
    if let Some(json) = request.strip_prefix("cached ") {
        return cached(json, shared);
    }
    match request {
        "status" => shared.status_json(),
        "reload" | "reload --force" => {
            let force = request.ends_with("--force");
            info!(force, "reload requested on the control socket");
            match crate::runtime::reload::reload(shared, force).await {
                Ok(v) => v,
                Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
            }
        }
        other => {
            warn!(request = %other.chars().take(40).collect::<String>(), "unknown control request");
            serde_json::json!({"ok": false, "error": "unknown request (expected reload, reload --force, status or cached)"})
        }
    }
}

/// Client side: sends one request and returns the answer.
pub fn request(path: &Path, line: &str) -> std::io::Result<serde_json::Value> {
    // A reload may take long (a large rule file, the trust store).
    request_within(path, line, Duration::from_secs(600))
}

fn request_within(path: &Path, line: &str, wait: Duration) -> std::io::Result<serde_json::Value> {
    let mut s = std::os::unix::net::UnixStream::connect(path)?;
    s.set_read_timeout(Some(wait))?;
    s.write_all(format!("{line}\n").as_bytes())?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer)?;
    serde_json::from_str(&answer).map_err(std::io::Error::other)
}
