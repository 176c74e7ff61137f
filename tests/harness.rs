//! The test harness's own promise (docs/architecture.md): nothing a test waits for waits
//! forever. A helper command past its limit fails the test; one that leaves a daemon
//! holding its output open does not hold the test up. A server a test freezes answers
//! nothing until it is thawed.

mod common;

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_helper_past_its_limit_is_killed_and_fails_the_test() {
    let start = Instant::now();
    let partial = common::try_output_within(
        Command::new("sh").args(["-c", "echo started; exec sleep 60"]),
        Duration::from_millis(500),
    )
    .expect_err("sleep 60 finished within 500 ms");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(String::from_utf8_lossy(&partial.stdout), "started\n");
    assert!(!partial.status.success(), "killed: {:?}", partial.status);

    let panic = std::panic::catch_unwind(|| {
        common::output_within(Command::new("sleep").arg("60"), Duration::from_millis(200))
    })
    .expect_err("output_within returned for a command past its limit");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("did not exit within"), "{text}");
}

#[test]
fn a_daemon_left_holding_the_output_does_not_hold_up_the_test() {
    // As `postfix start` leaves a master running: the command exits, its child lives on
    // with the command's standard output and error. A pipe would stay open until it dies.
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let script = format!(
        "sleep 60 & echo $! > {}; echo detached",
        pid_file.path().display()
    );
    let start = Instant::now();
    let out = common::output_within(
        Command::new("sh").args(["-c", &script]),
        Duration::from_secs(30),
    );
    let waited = start.elapsed();
    let daemon: i32 = std::fs::read_to_string(pid_file.path())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "detached\n");
    assert!(
        waited < Duration::from_secs(10),
        "waited {waited:?} for the daemon"
    );
}

/// An anonymous base-scope search of the test suffix, `(objectClass=*)`, message `id`.
fn ldap_search_request(id: u8) -> Vec<u8> {
    let base = common::slapd::SUFFIX.as_bytes();
    let mut op = vec![0x04, base.len() as u8];
    op.extend_from_slice(base);
    // scope base, never deref, no size or time limit, types and values
    op.extend_from_slice(&[0x0a, 1, 0, 0x0a, 1, 0, 0x02, 1, 0, 0x02, 1, 0, 0x01, 1, 0]);
    op.extend_from_slice(&[0x87, 11]);
    op.extend_from_slice(b"objectClass");
    op.extend_from_slice(&[0x30, 0]);
    let mut msg = vec![0x02, 1, id, 0x63, op.len() as u8];
    msg.extend_from_slice(&op);
    let mut out = vec![0x30, msg.len() as u8];
    out.extend_from_slice(&msg);
    out
}

/// Reads until the searchResDone of message `id` has come.
fn read_search_done(s: &mut std::net::TcpStream, id: u8) -> Result<Vec<u8>, std::io::Error> {
    let done = [0x02, 1, id, 0x65];
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(done.len()).any(|w| w == done) {
        match s.read(&mut buf)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    Ok(got)
}

/// Threads that keep every core busy until dropped, as a parallel Postfix test does.
struct BusyCores {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl BusyCores {
    fn start() -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let n = std::thread::available_parallelism().map_or(2, |n| n.get()) + 2;
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for BusyCores {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// `kill(SIGSTOP)` only starts a stop: until the thread it picked runs, slapd's other
/// threads go on serving. On busy cores (CI runs two tests at once) a search sent right
/// after the kill was answered in every run of this test; the outage tests need a server
/// that answers nothing once `freeze` returns.
#[test]
fn a_frozen_slapd_answers_nothing_until_thawed() {
    let ldap = common::slapd::Slapd::start("");
    let _busy = BusyCores::start();
    for round in 0..40u8 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", ldap.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&ldap_search_request(1)).unwrap();
        read_search_done(&mut s, 1).expect("slapd answers before the freeze");
        ldap.freeze();
        s.write_all(&ldap_search_request(2)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(150)))
            .unwrap();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            other => panic!("round {round}: the frozen server answered: {other:?}"),
        }
        ldap.thaw();
        // The search was held, not lost: it is answered once the server goes on.
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        read_search_done(&mut s, 2).expect("slapd answers after the thaw");
    }
}

/// A slapd restarted on its port finds it taken (another test's server got it while this
/// one was stopped): the test fails there, rather than going on against a server that is
/// not its own and that `freeze` cannot stop.
#[test]
fn a_slapd_whose_port_was_taken_does_not_pass_for_started() {
    let mut ldap = common::slapd::Slapd::start("");
    ldap.stop();
    let squatter = std::net::TcpListener::bind(("127.0.0.1", ldap.port)).unwrap();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ldap.resume_serving()))
        .expect_err("resume_serving returned while another listener held the port");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("slapd did not start"), "{text}");
    drop(squatter);
}
