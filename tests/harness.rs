//! The test harness's own promise (docs/architecture.md): nothing a test waits for waits
//! forever. A helper command past its limit fails the test; one that leaves a daemon
//! holding its output open does not hold the test up.

mod common;

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
