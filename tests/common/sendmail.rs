//! A throw-away real Sendmail on loopback: Debian's sendmail-bin and sendmail-cf unpacked
//! by tests/run.sh (they conflict with the installed Postfix, so they are not installed),
//! a .cf generated from a .mc with `INPUT_MAIL_FILTER`, its own queue in a temp dir, and
//! mail relayed to an in-test `Sink`. Stopped and removed on drop.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::smtp::Sink;

pub struct Sendmail {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub sink: Sink,
    child: Child,
}

/// Where tests/run.sh unpacked the packages (`MAILWARDEN_SENDMAIL_ROOT`).
fn unpacked_root() -> PathBuf {
    let root = std::env::var_os("MAILWARDEN_SENDMAIL_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sendmail-root"));
    assert!(
        root.join("usr/libexec/sendmail/sendmail").exists(),
        "no unpacked Sendmail under {} (tests/run.sh unpacks sendmail-bin and sendmail-cf there)",
        root.display()
    );
    root
}

/// The .mc a site would write, plus the lines that keep this instance inside its temp dir.
/// The milter lines are the ones docs/sendmail.md documents.
fn site_mc(base: &Path, port: u16, milter_port: u16, sink_port: u16) -> String {
    let b = base.display();
    format!(
        "divert(-1)\n\
divert(0)dnl\n\
OSTYPE(`linux')dnl\n\
define(`confDOMAIN_NAME', `mx.mailwarden-test.example')dnl\n\
define(`QUEUE_DIR', `{b}/queue')dnl\n\
define(`HELP_FILE', `/dev/null')dnl\n\
define(`STATUS_FILE', `{b}/statistics')dnl\n\
define(`confPID_FILE', `{b}/sendmail.pid')dnl\n\
define(`confDONT_PROBE_INTERFACES', `True')dnl\n\
define(`confSERVICE_SWITCH_FILE', `{b}/service.switch')dnl\n\
define(`SMART_HOST', `relay:[127.0.0.1]')dnl\n\
define(`RELAY_MAILER_ARGS', `TCP $h {sink_port}')dnl\n\
define(`confMILTER_MACROS_CONNECT', `j, _, {{daemon_name}}, {{if_name}}, {{if_addr}}')dnl\n\
define(`confMILTER_MACROS_ENVFROM', `i, {{auth_type}}, {{auth_authen}}, {{auth_ssf}}, {{auth_author}}, {{mail_mailer}}, {{mail_host}}, {{mail_addr}}')dnl\n\
define(`confMILTER_MACROS_ENVRCPT', `i, {{rcpt_mailer}}, {{rcpt_host}}, {{rcpt_addr}}')dnl\n\
define(`confMILTER_MACROS_EOM', `i, {{msg_id}}')dnl\n\
FEATURE(`nocanonify')dnl\n\
FEATURE(`accept_unresolvable_domains')dnl\n\
DAEMON_OPTIONS(`Port={port}, Addr=127.0.0.1, Name=secure-submission')dnl\n\
INPUT_MAIL_FILTER(`mailwarden', `S=inet:{milter_port}@127.0.0.1, F=T, T=S:30s;R:30s;E:5m')dnl\n\
MAILER(`local')dnl\n\
MAILER(`smtp')dnl\n"
    )
}

impl Sendmail {
    /// Starts `sendmail -bD` (foreground daemon) with mailwarden on `milter_port`.
    pub fn start(milter_port: u16) -> Self {
        let root = unpacked_root();
        let dir = tempfile::Builder::new()
            .prefix("mailwarden-sm.")
            .tempdir_in("/tmp")
            .unwrap();
        let base = dir.path();
        std::fs::create_dir(base.join("queue")).unwrap();
        // Host names from /etc/hosts only: no DNS on this loopback-only machine.
        std::fs::write(base.join("service.switch"), "hosts files\naliases files\n").unwrap();
        let sink = Sink::start();
        let port = super::free_port();
        std::fs::write(
            base.join("site.mc"),
            site_mc(base, port, milter_port, sink.port),
        )
        .unwrap();
        let cf_dir = root.join("usr/share/sendmail/cf");
        let out = Command::new("m4")
            .arg(format!("-D_CF_DIR_={}/", cf_dir.display()))
            .arg(cf_dir.join("m4/cf.m4"))
            .arg(base.join("site.mc"))
            .output()
            .expect("run m4 (installed by tests/run.sh)");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "m4 site.mc: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(base.join("sendmail.cf"), &out.stdout).unwrap();

        // Sendmail sleeps a minute when it cannot qualify the host name through DNS; a
        // private UTS namespace gives it a qualified one.
        let child = Command::new("unshare")
            .args([
                "--uts",
                "sh",
                "-c",
                "hostname mx.mailwarden-test.example && exec \"$0\" -C \"$1\" -bD",
            ])
            .arg(root.join("usr/libexec/sendmail/sendmail"))
            .arg(base.join("sendmail.cf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start sendmail under unshare");
        let mut sm = Self {
            dir,
            port,
            sink,
            child,
        };
        sm.wait_listening();
        sm
    }

    fn wait_listening(&mut self) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("sendmail exited before listening: {st}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "sendmail never listened on 127.0.0.1:{}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Queue files still waiting (a delivered message leaves none).
    pub fn queue_files(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("queue"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Sendmail {
    fn drop(&mut self) {
        // The daemon and the children it forked per connection share the process group.
        let pgid = nix::unistd::Pid::from_raw(-(self.child.id() as i32));
        let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
