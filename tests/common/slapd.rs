//! A throw-away OpenLDAP server (Debian's `slapd`): its own database directory, loopback
//! ports, an `ldaps://` listener with a certificate from its own openssl test CA, and
//! `ldapmodify` to change it under a running test. Killed and removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
pub const ADMIN_PASSWORD: &str = "admin-secret";
/// A read-only account for mailwarden (bound with a password file).
pub const READER_DN: &str = "cn=mailwarden,dc=example,dc=org";
pub const READER_PASSWORD: &str = "reader-secret";

pub struct Slapd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
    child: Option<Child>,
}

fn slapd_bin() -> &'static str {
    if Path::new("/usr/sbin/slapd").exists() {
        "/usr/sbin/slapd"
    } else {
        "slapd"
    }
}

/// The base entries every test directory has: the suffix, people, and the reader.
fn base_ldif() -> String {
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {READER_DN}\nobjectClass: person\ncn: mailwarden\nsn: reader\nuserPassword: {READER_PASSWORD}\n\n"
    )
}

/// One person under ou=people. `category` lands in businessCategory (the group the
/// tests filter on); `mobile` is optional.
pub fn person(uid: &str, mail: &str, mobile: Option<&str>, category: &str) -> String {
    let mut s = format!(
        "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\nmail: {mail}\nbusinessCategory: {category}\n"
    );
    if let Some(m) = mobile {
        s.push_str(&format!("mobile: {m}\n"));
    }
    s.push('\n');
    s
}

impl Slapd {
    /// A server holding the base entries and `ldif`, listening on `ldap://127.0.0.1:port`
    /// and `ldaps://127.0.0.1:tls_port`. Like Active Directory, it answers at most 1,000
    /// entries to a search without the paged-results control.
    pub fn start(ldif: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mailwarden-slapd.")
            .tempdir()
            .unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("db")).unwrap();
        make_tls(d);
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             pidfile {d}/slapd.pid\n\
             TLSCACertificateFile {d}/ca.pem\n\
             TLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n\
             sizelimit size.soft=1000 size.hard=1000 size.prtotal=unlimited\n\
             database mdb\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ADMIN_DN}\"\n\
             rootpw {ADMIN_PASSWORD}\n\
             directory {d}/db\n\
             maxsize 268435456\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by * read\n",
            d = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        std::fs::write(d.join("data.ldif"), base_ldif() + ldif).unwrap();
        super::run_ok(
            Command::new("slapadd")
                .arg("-q")
                .arg("-f")
                .arg(d.join("slapd.conf"))
                .arg("-l")
                .arg(d.join("data.ldif")),
        );
        let mut s = Self {
            port: super::free_port(),
            tls_port: super::free_port(),
            dir,
            child: None,
        };
        s.resume_serving();
        s
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.tls_port)
    }

    /// The test CA's certificate (PEM), for `ca_file`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// (Re)starts the server on the same ports and database; waits until it answers.
    pub fn resume_serving(&mut self) {
        assert!(self.child.is_none(), "slapd already running");
        let d = self.dir.path();
        let log = std::fs::File::create(d.join("slapd.log")).unwrap();
        let child = Command::new(slapd_bin())
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-h")
            .arg(format!("{} {}/", self.url() + "/", self.ldaps_url()))
            // With a debug level slapd stays in the foreground, so it is our child.
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start slapd (tests/run.sh installs it)");
        let pid = child.id();
        self.child = Some(child);
        // Our slapd, not whatever took a port while it was stopped: a server that answers
        // on the port could be another test's, and ours then exits with "address in use".
        let deadline = Instant::now() + Duration::from_secs(15);
        while !(listens_on(pid, self.port) && listens_on(pid, self.tls_port)) {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "slapd did not start on ports {} and {} ({exited:?}): {}",
                self.port,
                self.tls_port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (SIGTERM, then waits): every connection to it is refused.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(c.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Freezes the server as a hung one is (it accepts TCP, never answers) and returns once
    /// every thread of it has stopped. `kill(SIGSTOP)` only asks one thread to begin the
    /// stop: until it runs, the others go on serving. Measured here: 2 of 300 searches sent
    /// right after the kill were still answered, none once every thread was stopped.
    pub fn freeze(&self) {
        self.signal_and_wait(nix::sys::signal::Signal::SIGSTOP, true);
    }

    /// Lets a frozen server go on; returns once no thread of it is stopped.
    pub fn thaw(&self) {
        self.signal_and_wait(nix::sys::signal::Signal::SIGCONT, false);
    }

    fn signal_and_wait(&self, sig: nix::sys::signal::Signal, stopped: bool) {
        let c = self.child.as_ref().expect("slapd running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), sig).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let states = thread_states(c.id());
            if !states.is_empty() && states.iter().all(|&s| (s == 'T') == stopped) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "slapd {} after {sig}: thread states {states:?}",
                c.id()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }

    /// `ldapmodify -a` as the admin: add, change or delete entries while it runs.
    pub fn modify(&self, ldif: &str) {
        let p = self.dir.path().join("change.ldif");
        std::fs::write(&p, ldif).unwrap();
        super::run_ok(
            Command::new("ldapmodify")
                .args([
                    "-x",
                    "-a",
                    "-c",
                    "-H",
                    &self.url(),
                    "-D",
                    ADMIN_DN,
                    "-w",
                    ADMIN_PASSWORD,
                    "-f",
                ])
                .arg(&p),
        );
    }

    /// `ldapsearch` with the paged-results control, as a cron script would run it.
    pub fn ldapsearch(&self, filter: &str, attrs: &[&str]) -> String {
        super::run_ok(
            Command::new("ldapsearch")
                .args([
                    "-x",
                    "-LLL",
                    "-o",
                    "ldif-wrap=no",
                    "-E",
                    "pr=1000/noprompt",
                    "-H",
                    &self.url(),
                    "-b",
                    SUFFIX,
                    filter,
                ])
                .args(attrs),
        )
    }

    /// A file holding the reader's password, mode 0600.
    pub fn password_file(&self, dir: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("ldap.password");
        std::fs::write(&p, format!("{READER_PASSWORD}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port` (from
/// `/proc/net/tcp` and the process's file descriptors).
fn listens_on(pid: u32, port: u16) -> bool {
    let local = format!("0100007F:{port:04X}");
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 9 && f[1] == local && f[3] == "0A")
        .map(|f| format!("socket:[{}]", f[9]))
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
}

/// The state letter (`R`, `S`, `T` for stopped, ...) of each thread of process `pid`, from
/// `/proc/PID/task/TID/stat`; empty when the process is gone.
fn thread_states(pid: u32) -> Vec<char> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
        // The state follows the command name, which is in parentheses and may hold any byte.
        .filter_map(|stat| stat.rsplit_once(')')?.1.trim_start().chars().next())
        .collect()
}

/// A self-signed CA made by openssl: `DIR/STEM.pem` and its key `DIR/STEM.key`.
pub fn self_signed_ca(d: &Path, name: &str, stem: &str) {
    super::run_ok(Command::new("openssl").current_dir(d).args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        &format!("{stem}.key"),
        "-out",
        &format!("{stem}.pem"),
    ]));
}

/// A test CA and a server certificate for 127.0.0.1 and localhost, made by openssl.
fn make_tls(d: &Path) {
    let run = |args: &[&str]| {
        super::run_ok(Command::new("openssl").current_dir(d).args(args));
    };
    self_signed_ca(d, "mailwarden test LDAP CA", "ca");
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
}
