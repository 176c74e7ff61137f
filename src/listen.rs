//! Milter socket addresses in Postfix's syntax, and binding them.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::task::{Context, Poll};

/// How long to wait after a failed accept before trying again.
pub const ACCEPT_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

use indymilter::{EitherListener, Listener};
use tokio::net::{TcpListener, TcpStream, UnixListener};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Inet(SocketAddr),
    Unix(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad listen address {input:?}: {reason} (expected inet:HOST:PORT, inet6:[ADDR]:PORT or unix:/path)"
)]
pub struct ListenAddrError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for ListenAddr {
    type Err = ListenAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ListenAddrError {
            input: s.to_owned(),
            reason,
        };
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if !path.starts_with('/') {
                return Err(err("a unix socket path must be absolute"));
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("inet6:") {
            // inet6:[::1]:PORT (brackets optional for Postfix compatibility: inet6:PORT@::1 is not supported)
            let (host, port) = split_host_port(rest).ok_or_else(|| err("missing port"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let ip: IpAddr = host.parse().map_err(|_| err("not an IPv6 address"))?;
            if !ip.is_ipv6() {
                return Err(err("not an IPv6 address"));
            }
            let port = port.parse().map_err(|_| err("bad port"))?;
            return Ok(Self::Inet(SocketAddr::new(ip, port)));
        }
        if let Some(rest) = s.strip_prefix("inet:") {
            // Postfix also accepts the Sendmail form inet:PORT@HOST.
            let (host, port) = match rest.split_once('@') {
                Some((port, host)) => (host, port),
                None => split_host_port(rest).ok_or_else(|| err("missing port"))?,
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let ip: IpAddr = match host {
                "localhost" => IpAddr::from([127, 0, 0, 1]),
                "" | "*" => IpAddr::from([0, 0, 0, 0]),
                h => h
                    .parse()
                    .map_err(|_| err("HOST must be an IP address or localhost"))?,
            };
            let port = port.parse().map_err(|_| err("bad port"))?;
            return Ok(Self::Inet(SocketAddr::new(ip, port)));
        }
        Err(err("unknown socket type"))
    }
}

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let i = s.rfind(':')?;
    Some((&s[..i], &s[i + 1..]))
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inet(SocketAddr::V4(a)) => write!(f, "inet:{}:{}", a.ip(), a.port()),
            Self::Inet(SocketAddr::V6(a)) => write!(f, "inet6:[{}]:{}", a.ip(), a.port()),
            Self::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Options that apply to unix sockets only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocketOptions {
    pub mode: u32,
    pub group: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("{addr}: cannot bind: {source}")]
    Bind { addr: String, source: io::Error },
    #[error("{path}: another process is already listening on this socket")]
    InUse { path: String },
    #[error("{path}: exists and is not a socket; refusing to remove it")]
    NotASocket { path: String },
    #[error("{path}: cannot set mode {mode:o} or group {group:?}: {reason}")]
    Permissions {
        path: String,
        mode: u32,
        group: Option<String>,
        reason: String,
    },
}

/// A TCP listener that turns Nagle's algorithm off on each connection: indymilter writes a
/// reply in several small writes, which Nagle plus delayed ACK would hold back.
pub struct NoDelayTcpListener(TcpListener);

impl Listener for NoDelayTcpListener {
    type Io = TcpStream;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        self.0.poll_accept(cx).map_ok(|(stream, _)| {
            let _ = stream.set_nodelay(true);
            stream
        })
    }
}

pub type MilterListener = EitherListener<NoDelayTcpListener, UnixListener>;

/// A bound socket; removes its unix socket file when dropped.
pub struct BoundSocket {
    pub listener: Option<MilterListener>,
    pub local: ListenAddr,
    unix_path: Option<PathBuf>,
}

impl Drop for BoundSocket {
    fn drop(&mut self) {
        if let Some(p) = &self.unix_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub fn bind(addr: &ListenAddr, unix: &UnixSocketOptions) -> Result<BoundSocket, BindError> {
    match addr {
        ListenAddr::Inet(sa) => {
            let std_listener =
                std::net::TcpListener::bind(sa).map_err(|source| BindError::Bind {
                    addr: addr.to_string(),
                    source,
                })?;
            std_listener
                .set_nonblocking(true)
                .map_err(|source| BindError::Bind {
                    addr: addr.to_string(),
                    source,
                })?;
            let local = std_listener
                .local_addr()
                .map(ListenAddr::Inet)
                .unwrap_or(addr.clone());
            let l = TcpListener::from_std(std_listener).map_err(|source| BindError::Bind {
                addr: addr.to_string(),
                source,
            })?;
            Ok(BoundSocket {
                listener: Some(EitherListener::Tcp(NoDelayTcpListener(l))),
                local,
                unix_path: None,
            })
        }
        ListenAddr::Unix(path) => {
            remove_stale_socket(path)?;
            let l = UnixListener::bind(path).map_err(|source| BindError::Bind {
                addr: addr.to_string(),
                source,
            })?;
            let bound = BoundSocket {
                listener: Some(EitherListener::Unix(l)),
                local: addr.clone(),
                unix_path: Some(path.clone()),
            };
            set_socket_permissions(path, unix)?;
            Ok(bound)
        }
    }
}

/// A socket file left by a crashed instance is removed; one that a live instance answers on
/// is not (two daemons on one socket would split the traffic unpredictably).
fn remove_stale_socket(path: &Path) -> Result<(), BindError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let shown = path.display().to_string();
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket { path: shown });
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(BindError::InUse { path: shown }),
        Err(_) => std::fs::remove_file(path).map_err(|source| BindError::Bind {
            addr: format!("unix:{shown}"),
            source,
        }),
    }
}

fn set_socket_permissions(path: &Path, opts: &UnixSocketOptions) -> Result<(), BindError> {
    let fail = |reason: String| BindError::Permissions {
        path: path.display().to_string(),
        mode: opts.mode,
        group: opts.group.clone(),
        reason,
    };
    if let Some(group) = &opts.group {
        let gid = nix::unistd::Group::from_name(group)
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail(format!("no such group {group:?}")))?
            .gid;
        std::os::unix::fs::chown(path, None, Some(gid.as_raw()))
            .map_err(|e| fail(e.to_string()))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(opts.mode))
        .map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addr_accepts_postfix_forms() {
        assert_eq!(
            "inet:127.0.0.1:8895".parse::<ListenAddr>().unwrap(),
            ListenAddr::Inet("127.0.0.1:8895".parse().unwrap())
        );
        assert_eq!(
            "inet:localhost:10".parse::<ListenAddr>().unwrap(),
            ListenAddr::Inet("127.0.0.1:10".parse().unwrap())
        );
        assert_eq!(
            "inet:8895@127.0.0.1".parse::<ListenAddr>().unwrap(),
            ListenAddr::Inet("127.0.0.1:8895".parse().unwrap())
        );
        assert_eq!(
            "inet6:[::1]:8895".parse::<ListenAddr>().unwrap(),
            ListenAddr::Inet("[::1]:8895".parse().unwrap())
        );
        assert_eq!(
            "unix:/run/mw.sock".parse::<ListenAddr>().unwrap(),
            ListenAddr::Unix("/run/mw.sock".into())
        );
    }

    #[test]
    fn listen_addr_rejects_garbage() {
        for bad in [
            "",
            "tcp:1.2.3.4:5",
            "inet:127.0.0.1",
            "inet:host.example:25",
            "inet6:[127.0.0.1]:5",
            "unix:relative.sock",
            "inet:127.0.0.1:99999",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn listen_addr_display_round_trips() {
        for s in ["inet:127.0.0.1:8895", "inet6:[::1]:25", "unix:/tmp/x.sock"] {
            assert_eq!(s.parse::<ListenAddr>().unwrap().to_string(), s);
        }
    }

    #[tokio::test]
    async fn unix_socket_stale_file_removed_live_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sock");
        let opts = UnixSocketOptions {
            mode: 0o660,
            group: None,
        };
        // A stale socket: bound once, listener gone, file left behind.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let live = bind(&ListenAddr::Unix(path.clone()), &opts).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        let second = bind(&ListenAddr::Unix(path.clone()), &opts);
        assert!(
            matches!(second, Err(BindError::InUse { .. })),
            "live socket was taken over"
        );
        drop(live);
        assert!(!path.exists(), "socket file not removed on drop");
        std::fs::write(&path, "x").unwrap();
        assert!(matches!(
            bind(&ListenAddr::Unix(path.clone()), &opts),
            Err(BindError::NotASocket { .. })
        ));
    }
}
