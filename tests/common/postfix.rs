//! A throw-away real Postfix on loopback: its own config and queue in a temp dir, smtpd on
//! free 127.0.0.1 ports, mail relayed to an in-test `Sink`. Stopped and removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::smtp::Sink;

pub struct Postfix {
    pub dir: tempfile::TempDir,
    conf: PathBuf,
    /// smtpd with the default `{daemon_name}`.
    pub port: u16,
    /// smtpd with `-o milter_macro_daemon_name=secure-submission`.
    pub secure_port: u16,
    pub sink: Sink,
    started: bool,
}

fn postfix_cmd(conf: &Path, args: &[&str]) -> std::process::Output {
    super::output_within(&mut postfix_command(conf, args), super::HELPER_LIMIT)
}

fn postfix_command(conf: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("postfix");
    cmd.arg("-c").arg(conf).args(args);
    cmd
}

/// For teardown: a `postfix` command that does not finish in time is killed, not a panic.
fn postfix_cmd_quietly(conf: &Path, args: &[&str]) {
    if let Err(out) =
        super::try_output_within(&mut postfix_command(conf, args), super::HELPER_LIMIT)
    {
        eprintln!(
            "postfix {args:?} did not exit within {:?}: {}",
            super::HELPER_LIMIT,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn postconf(conf: &Path, args: &[&str]) {
    let out = super::output_within(
        Command::new("postconf").arg("-c").arg(conf).args(args),
        super::HELPER_LIMIT,
    );
    assert!(
        out.status.success(),
        "postconf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postfix {
    /// `milter`: the `smtpd_milters` value, e.g. `inet:127.0.0.1:PORT`.
    pub fn start(milter: &str) -> Self {
        Self::start_with(milter, "")
    }

    /// As `start`, with extra main.cf lines (e.g. process limits for a load test).
    pub fn start_with(milter: &str, extra_main_cf: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mailwarden-pf.")
            .tempdir_in("/tmp")
            .unwrap();
        let base = dir.path().to_path_buf();
        // Postfix daemons (user postfix) must traverse it.
        std::fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let conf = base.join("etc");
        let queue = base.join("queue");
        let data = base.join("data");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(&queue).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let out = super::output_within(
            Command::new("chown").arg("postfix").arg(&data),
            super::HELPER_LIMIT,
        );
        assert!(out.status.success());
        let master_src = [
            "/etc/postfix/master.cf",
            "/usr/share/postfix/master.cf.dist",
        ]
        .iter()
        .find(|p| Path::new(p).exists())
        .expect("postfix master.cf template");
        std::fs::copy(master_src, conf.join("master.cf")).unwrap();
        let sink = Sink::start();
        let (port, secure_port) = (super::free_port(), super::free_port());
        let b = base.display();
        let main_cf = format!(
            "# throw-away instance for mailwarden tests\n\
compatibility_level = 3.6\n\
queue_directory = {b}/queue\n\
data_directory = {b}/data\n\
command_directory = /usr/sbin\n\
daemon_directory = /usr/lib/postfix/sbin\n\
shlib_directory = /usr/lib/postfix\n\
meta_directory = /etc/postfix\n\
mail_owner = postfix\n\
setgid_group = postdrop\n\
maillog_file_prefixes = {b}\n\
maillog_file = {b}/maillog\n\
myhostname = mx.mailwarden-test.example\n\
mydomain = mailwarden-test.example\n\
myorigin = $myhostname\n\
mydestination =\n\
local_recipient_maps =\n\
local_transport = error:local delivery disabled\n\
alias_maps =\n\
alias_database =\n\
inet_interfaces = loopback-only\n\
inet_protocols = ipv4\n\
mynetworks = 127.0.0.0/8\n\
relay_domains =\n\
relayhost = [127.0.0.1]:{sink}\n\
smtpd_relay_restrictions = permit_mynetworks, reject\n\
smtpd_peername_lookup = no\n\
smtp_dns_support_level = disabled\n\
smtp_tls_security_level = none\n\
smtpd_tls_security_level = none\n\
message_size_limit = 104857600\n\
biff = no\n\
append_dot_mydomain = no\n\
readme_directory = no\n\
smtpd_milters = {milter}\n\
non_smtpd_milters = {milter}\n\
milter_default_action = tempfail\n\
milter_protocol = 6\n\
milter_connect_timeout = 5s\n\
queue_run_delay = 1s\n\
minimal_backoff_time = 1s\n\
maximal_backoff_time = 2s\n{extra_main_cf}",
            sink = sink.port
        );
        std::fs::write(conf.join("main.cf"), main_cf).unwrap();
        postconf(&conf, &["-F", "*/*/chroot = n"]);
        postconf(&conf, &["-MX", "smtp/inet"]);
        postconf(
            &conf,
            &[
                "-Me",
                &format!("127.0.0.1:{port}/inet = 127.0.0.1:{port} inet n - n - - smtpd"),
            ],
        );
        postconf(
            &conf,
            &[
                "-Me",
                &format!(
                    "127.0.0.1:{secure_port}/inet = 127.0.0.1:{secure_port} inet n - n - - smtpd -o milter_macro_daemon_name=secure-submission"
                ),
            ],
        );
        let out = postfix_cmd(&conf, &["start"]);
        let mut pf = Self {
            dir,
            conf,
            port,
            secure_port,
            sink,
            started: out.status.success(),
        };
        assert!(
            pf.started,
            "postfix start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        pf.wait_listening();
        pf
    }

    fn wait_listening(&mut self) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "postfix smtpd never listened; maillog:\n{}",
                self.maillog()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// Asks the queue manager to retry deferred mail now.
    pub fn flush(&self) {
        let _ = postfix_cmd(&self.conf, &["flush"]);
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if !self.started {
            return;
        }
        let pid_file = self.dir.path().join("queue/pid/master.pid");
        let pid: Option<i32> = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        postfix_cmd_quietly(&self.conf, &["stop"]);
        let start = Instant::now();
        while let Some(pid) = pid {
            let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
            if !alive || start.elapsed() > Duration::from_secs(10) {
                if alive {
                    postfix_cmd_quietly(&self.conf, &["abort"]);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
