//! Test harness: the real `mailwarden` binary, a throw-away real Postfix, an SMTP sink and
//! an SMTP client. Everything listens on loopback only and is torn down on drop.
#![allow(dead_code)]

pub mod pki;
pub mod postfix;
pub mod sendmail;
pub mod slapd;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback port nobody listens on right now, and one this test process has not handed
/// out before: the kernel may give a port just released again, and tests running in
/// parallel would then start two servers for one port (or talk to each other's).
pub fn free_port() -> u16 {
    bind_unique().local_addr().unwrap().port()
}

/// A loopback listener on a port this test process has not handed out before (see
/// [`free_port`]); for servers the tests run themselves.
pub fn bind_unique() -> std::net::TcpListener {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if !given.contains(&port) {
            given.push(port);
            return listener;
        }
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mailwarden")
}

/// `bytes` in base64, 64 characters a line, lines joined by `eol` (no final line end), as
/// PEM and MIME bodies carry it.
pub fn base64_lines(bytes: &[u8], eol: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    b64.as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(eol)
}

/// Runs `cmd` with no standard input, as `Command::output` does, but fails the test if it
/// has not exited within `limit` (a hung helper must not hang the suite).
pub fn output_within(cmd: &mut Command, limit: Duration) -> std::process::Output {
    try_output_within(cmd, limit).unwrap_or_else(|partial| {
        panic!(
            "{cmd:?} did not exit within {limit:?}; its output so far:\n{}{}",
            String::from_utf8_lossy(&partial.stdout),
            String::from_utf8_lossy(&partial.stderr)
        )
    })
}

/// As `output_within`, but a command past `limit` is killed and its output so far is the
/// `Err`: for teardown, which must not panic. Output goes through files, not pipes, so a
/// daemon the command leaves running (Postfix's master, slapd) that kept them open cannot
/// hold the caller up either.
pub fn try_output_within(
    cmd: &mut Command,
    limit: Duration,
) -> Result<std::process::Output, std::process::Output> {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let start = Instant::now();
    let (status, in_time) = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break (status, true);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break (child.wait().unwrap(), false);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = std::process::Output {
        status,
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
    };
    if in_time { Ok(out) } else { Err(out) }
}

/// How long a helper command (postfix, postconf, openssl scripts) may take.
pub const HELPER_LIMIT: Duration = Duration::from_secs(120);

/// Runs `mailwarden ARGS` to completion: (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// As `run`, with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = output_within(
        Command::new(bin()).args(args).envs(env.iter().copied()),
        Duration::from_secs(300),
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd`, which must succeed within `HELPER_LIMIT`; its standard output.
pub fn run_ok(cmd: &mut Command) -> String {
    run_ok_within(cmd, HELPER_LIMIT)
}

/// As `run_ok`, for a command that may take up to `limit` (a release build).
pub fn run_ok_within(cmd: &mut Command, limit: Duration) -> String {
    let out = output_within(cmd, limit);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory with a settings file and rule files, removed on drop.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("mailwarden-test.")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("mailwarden.toml")
    }
}

/// A running `mailwarden serve`, killed on drop.
pub struct Milter {
    child: Option<Child>,
    pub port: u16,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Milter {
    /// Starts on a free loopback port and waits until it listens.
    pub fn start(config: &Path) -> Self {
        Self::spawn(&mut Self::serve_on_free_port(config))
    }

    /// The `serve` command `start` runs, for callers that add environment or limits.
    pub fn serve_on_free_port(config: &Path) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args([
            "serve",
            "-c",
            config.to_str().unwrap(),
            "--listen",
            "inet:127.0.0.1:0",
            "-v",
        ]);
        cmd
    }

    pub fn start_args(args: &[&str]) -> Self {
        Self::spawn(Command::new(bin()).args(args))
    }

    /// Starts as an unprivileged user (tests run as root, which reads any file).
    pub fn start_as(config: &Path, uid: u32, gid: u32) -> Self {
        use std::os::unix::process::CommandExt;
        let mut cmd = Self::serve_on_free_port(config);
        cmd.uid(uid).gid(gid);
        Self::spawn(&mut cmd)
    }

    /// Starts `cmd` (a `serve` command) and waits until it listens.
    pub fn spawn(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mailwarden");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut m = Self {
            child: Some(child),
            port: 0,
            logs,
        };
        let line = m.wait_log("listening", Duration::from_secs(20));
        let re = regex::Regex::new(r#"listen"?[=:]"?inet:127\.0\.0\.1:(\d+)"#).unwrap();
        // 0 for a unix socket.
        m.port = re
            .captures(&line)
            .and_then(|c| c[1].parse().ok())
            .unwrap_or(0);
        m
    }

    pub fn socket(&self) -> String {
        format!("inet:127.0.0.1:{}", self.port)
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Waits for a log line containing `needle` (appearing after `skip` lines).
    pub fn wait_log_after(&self, skip: usize, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .skip(skip)
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            if start.elapsed() > timeout {
                panic!(
                    "no log line with {needle:?} within {timeout:?}; logs:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_log(&self, needle: &str, timeout: Duration) -> String {
        self.wait_log_after(0, needle, timeout)
    }

    pub fn log_len(&self) -> usize {
        self.logs.lock().unwrap().len()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), sig).unwrap();
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Milter {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One transaction on a new milter connection: the answer to RCPT TO.
pub async fn rcpt_status(port: u16, rcpt: &str) -> indymilter_test::Status {
    use indymilter_test::{Status, TestConnection};
    let mut conn = TestConnection::open(("127.0.0.1", port)).await.unwrap();
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    let s = conn.rcpt([rcpt]).await.unwrap();
    conn.abort().await.unwrap();
    conn.close().await.unwrap();
    s
}

/// Polls until RCPT TO `rcpt` is accepted (`true`) or refused (`false`), or the timeout.
pub async fn wait_rcpt(port: u16, rcpt: &str, accepted: bool, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        let s = rcpt_status(port, rcpt).await;
        if (s == indymilter_test::Status::Continue) == accepted {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
