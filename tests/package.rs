//! The Debian package, built by packaging/build-deb.sh: its contents and conffiles, its
//! maintainer scripts (`sh -n`), its unit (`systemd-analyze verify` inside the unpacked
//! tree), the unpacked binary's `check` of the shipped config; then a real `dpkg -i` on
//! this (throw-away) machine: the user, its postfix group, the socket directory, and the
//! installed daemon, started as `mailwarden`, answering a real Postfix through the socket
//! under /var/spool/postfix. Purged (and the user deleted) at the end, also on failure.
//!
//! `MAILWARDEN_DEB=path.deb` tests a package built elsewhere instead of building one.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::postfix::Postfix;
use common::smtp::Client;

const SOCKET_DIR: &str = "/var/spool/postfix/mailwarden";
const SOCKET: &str = "/var/spool/postfix/mailwarden/mailwarden.sock";

/// Building the package is a release build (`lto`, one codegen unit): minutes, not seconds.
fn run(cmd: &mut Command) -> String {
    common::run_ok_within(cmd, std::time::Duration::from_secs(1800))
}

fn build_deb() -> PathBuf {
    if let Some(p) = std::env::var_os("MAILWARDEN_DEB") {
        return PathBuf::from(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/build-deb.sh");
    let out = run(Command::new("bash").arg(script));
    let deb = PathBuf::from(
        out.lines()
            .last()
            .expect("build-deb.sh prints the path")
            .trim(),
    );
    assert!(deb.exists(), "{}", deb.display());
    deb
}

/// Installs the package for real; purges it and removes the user when dropped.
struct Installed;

impl Installed {
    fn install(deb: &Path) -> Self {
        let guard = Installed;
        run(Command::new("dpkg")
            .arg("-i")
            .arg(deb)
            .env("DEBIAN_FRONTEND", "noninteractive"));
        // Where systemd runs, postinst started the unit; this test starts the daemon itself.
        if Path::new("/run/systemd/system").exists() {
            let _ = Command::new("systemctl")
                .args(["stop", "mailwarden"])
                .status();
        }
        guard
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "mailwarden"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output();
        // Debian keeps system users on purge; this machine should look as before the test.
        let _ = Command::new("deluser")
            .args(["--quiet", "--system", "mailwarden"])
            .output();
    }
}

/// `systemd-analyze verify` of the unit inside `root`, with this host's units beside it.
fn verify_unit(root: &Path) {
    let units = root.join("usr/lib/systemd/system");
    for host_dir in ["/usr/lib/systemd/system", "/lib/systemd/system"] {
        let Ok(entries) = std::fs::read_dir(host_dir) else {
            continue;
        };
        for e in entries.flatten() {
            let dest = units.join(e.file_name());
            if !dest.exists() && e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::copy(e.path(), dest);
            }
        }
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.display()))
        .args([
            "mailwarden.service",
            "mailwarden-sync.service",
            "mailwarden-sync.timer",
        ])
        .output()
        .expect("systemd-analyze (installed by tests/run.sh)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "systemd-analyze verify: {err}"
    );
}

#[test]
fn debian_package_installs_and_serves_postfix_through_the_spool_socket() {
    let deb = build_deb();

    // Contents and modes.
    let listing = run(Command::new("dpkg-deb").arg("-c").arg(&deb));
    for (mode, path) in [
        ("-rwxr-xr-x", "./usr/sbin/mailwarden"),
        ("-rw-r-----", "./etc/mailwarden/mailwarden.toml"),
        ("-rw-r--r--", "./usr/lib/systemd/system/mailwarden.service"),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/mailwarden-sync.service",
        ),
        (
            "-rw-r--r--",
            "./usr/lib/systemd/system/mailwarden-sync.timer",
        ),
        ("-rw-r--r--", "./usr/share/man/man8/mailwarden.8.gz"),
        ("-rw-r--r--", "./usr/share/man/man5/mailwarden.toml.5.gz"),
        ("-rw-r--r--", "./usr/share/man/man5/mailwarden-rules.5.gz"),
        (
            "-rw-r--r--",
            "./usr/share/doc/mailwarden/examples/mailwarden.toml",
        ),
        (
            "-rw-r--r--",
            "./usr/share/doc/mailwarden/examples/access_rules.txt",
        ),
        (
            "-rw-r--r--",
            "./usr/share/doc/mailwarden/examples/allowed_senders_ldap.txt",
        ),
        ("-rw-r--r--", "./usr/share/doc/mailwarden/copyright"),
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with(mode) && l.ends_with(path)),
            "{mode} {path} not in the package:\n{listing}"
        );
    }
    let control = run(Command::new("dpkg-deb").args(["-f"]).arg(&deb));
    assert!(control.contains("Package: mailwarden"), "{control}");
    assert!(control.contains("Depends: adduser"), "{control}");

    // Control area: conffiles and maintainer scripts.
    let tmp = tempfile::Builder::new()
        .prefix("mailwarden-deb.")
        .tempdir()
        .unwrap();
    let ctl = tmp.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&ctl));
    assert_eq!(
        std::fs::read_to_string(ctl.join("conffiles")).unwrap(),
        "/etc/mailwarden/mailwarden.toml\n"
    );
    for script in ["postinst", "prerm", "postrm"] {
        let p = ctl.join(script);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            !text.contains("#DEBHELPER#"),
            "{script}: token not replaced"
        );
        run(Command::new("sh").arg("-n").arg(&p));
        assert_eq!(
            p.metadata().unwrap().permissions().mode() & 0o111,
            0o111,
            "{script}"
        );
    }
    let postinst = std::fs::read_to_string(ctl.join("postinst")).unwrap();
    assert!(postinst.contains("deb-systemd-helper enable mailwarden.service"));

    // The unpacked tree: the binary checks the shipped config, which enforces nothing.
    let root = tmp.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let bin = root.join("usr/sbin/mailwarden");
    let conf = root.join("etc/mailwarden/mailwarden.toml");
    let out = run(Command::new(&bin).arg("check").arg("-c").arg(&conf));
    assert!(
        out.contains("listen unix:/var/spool/postfix/mailwarden/mailwarden.sock, 0 policies"),
        "{out}"
    );
    let out = run(Command::new(&bin)
        .args([
            "query",
            "--json",
            "--from",
            "a@example.org",
            "--rcpt",
            "b@example.net",
            "-c",
        ])
        .arg(&conf));
    assert!(out.contains(r#""action":"accept""#), "{out}");
    verify_unit(&root);

    // Installed for real.
    let _installed = Installed::install(&deb);
    let groups = run(Command::new("id").args(["-nG", "mailwarden"]));
    assert!(
        groups.split_whitespace().any(|g| g == "postfix"),
        "mailwarden not in group postfix: {groups}"
    );
    let dir = std::fs::metadata(SOCKET_DIR).unwrap();
    assert_eq!(dir.permissions().mode() & 0o7777, 0o750);
    let uid = |name: &str| -> u32 {
        run(Command::new("id").args(["-u", name]))
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(dir.uid(), uid("mailwarden"));
    let conf = Path::new("/etc/mailwarden/mailwarden.toml");
    let meta = std::fs::metadata(conf).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(Path::new("/usr/share/man/man8/mailwarden.8.gz").exists());
    let man = run(Command::new("man").args(["-w", "mailwarden.toml"]));
    assert!(
        man.contains("/usr/share/man/man5/mailwarden.toml.5"),
        "{man}"
    );

    // The installed daemon, as the unit runs it (user mailwarden with its groups).
    let mut daemon = Command::new("setpriv")
        .args([
            "--reuid=mailwarden",
            "--regid=mailwarden",
            "--init-groups",
            "--",
            "/usr/sbin/mailwarden",
            "serve",
            "-c",
        ])
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !Path::new(SOCKET).exists() {
        if let Ok(Some(st)) = daemon.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            daemon
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("installed daemon exited ({st}): {err}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no socket at {SOCKET}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sock = std::fs::metadata(SOCKET).unwrap();
    assert_eq!(sock.permissions().mode() & 0o777, 0o660);
    assert_eq!(
        sock.gid(),
        run(Command::new("getent").args(["group", "postfix"]))
            .split(':')
            .nth(2)
            .unwrap()
            .parse::<u32>()
            .unwrap()
    );
    let result = std::panic::catch_unwind(|| {
        let pf = Postfix::start(&format!("unix:{SOCKET}"));
        let mut c = Client::connect(pf.port).unwrap();
        assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
        assert_eq!(c.cmd("RCPT TO:<bob@example.net>").unwrap().code, 250);
        let r = c
            .data(b"Subject: via the package\r\n\r\nhello\r\n")
            .unwrap();
        assert_eq!(r.code, 250, "{r}\n{}", pf.maillog());
        c.quit();
        let got = pf.sink.wait_for(1, Duration::from_secs(30));
        assert_eq!(got.len(), 1, "{}", pf.maillog());
        // Postfix talked to the milter (a refused connection would have tempfailed).
        assert!(
            !pf.maillog().contains("warning: connect to Milter"),
            "{}",
            pf.maillog()
        );
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }

    // Purge removes what postinst created.
    drop(_installed);
    assert!(!Path::new(SOCKET_DIR).exists());
    assert!(!Path::new("/usr/sbin/mailwarden").exists());
    assert!(!conf.exists());
}
