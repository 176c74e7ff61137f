//! The daemon's life cycle: SIGHUP reload, SIGTERM drain, unix sockets, startup refusal.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use indymilter_test::{Status, TestConnection};
use nix::sys::signal::Signal;

use common::{Fixture, Milter, rcpt_status, run};

const WAIT: Duration = Duration::from_secs(10);

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("rules.txt", "* old@customer.example <reg> - 0\n");
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n",
    );
    f
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_applies_a_valid_change_and_keeps_the_old_rules_on_a_broken_one() {
    let f = fixture();
    // No watcher here: SIGHUP alone must apply changes.
    f.write(
        "mailwarden.toml",
        "[reload]\nwatch = \"off\"\n[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n",
    );
    let m = Milter::start(&f.config());
    assert_eq!(
        rcpt_status(m.port, "<old@customer.example>").await,
        Status::Continue
    );
    assert!(matches!(
        rcpt_status(m.port, "<new@customer.example>").await,
        Status::Reject { .. }
    ));

    f.write("rules.txt", "* new@customer.example <reg> - 0\n");
    let mark = m.log_len();
    m.signal(Signal::SIGHUP);
    let line = m.wait_log_after(mark, "configuration reloaded", WAIT);
    assert!(line.contains("generation=2"), "{line}");
    assert_eq!(
        rcpt_status(m.port, "<new@customer.example>").await,
        Status::Continue
    );
    assert!(matches!(
        rcpt_status(m.port, "<old@customer.example>").await,
        Status::Reject { .. }
    ));

    // A broken rule file: that file keeps its previous version.
    f.write("rules.txt", "* new@customer.example <reg> -\n");
    let mark = m.log_len();
    m.signal(Signal::SIGHUP);
    let line = m.wait_log_after(mark, "expected 5 fields", WAIT);
    assert!(line.contains("rules.txt:1"), "{line}");
    let line = m.wait_log_after(mark, "result=\"kept-previous\"", WAIT);
    assert!(line.contains("entries_before=1"), "{line}");
    assert_eq!(
        rcpt_status(m.port, "<new@customer.example>").await,
        Status::Continue
    );

    // A broken settings file: nothing changes.
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"c\"\naccess_rule = [\"rules.txt\"]\n",
    );
    let mark = m.log_len();
    m.signal(Signal::SIGHUP);
    let line = m.wait_log_after(mark, "unknown field", WAIT);
    assert!(line.contains("mailwarden.toml:3"), "{line}");
    assert_eq!(
        rcpt_status(m.port, "<new@customer.example>").await,
        Status::Continue
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_waits_for_the_message_in_flight_then_exits_zero() {
    let f = fixture();
    let mut m = Milter::start(&f.config());
    let mut conn = TestConnection::open(("127.0.0.1", m.port)).await.unwrap();
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    m.signal(Signal::SIGTERM);
    m.wait_log("no new connections", WAIT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        m.wait_exit(Duration::from_millis(10)).is_none(),
        "exited with a message in flight"
    );
    assert!(
        TestConnection::open(("127.0.0.1", m.port)).await.is_err(),
        "still accepting after SIGTERM"
    );
    assert_eq!(
        conn.rcpt(["<old@customer.example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(conn.data().await.unwrap(), Status::Continue);
    let (_, status) = conn.eom().await.unwrap();
    assert_eq!(status, Status::Continue, "message in flight not finished");
    let st = tokio::task::spawn_blocking(move || m.wait_exit(WAIT))
        .await
        .unwrap();
    assert_eq!(st.and_then(|s| s.code()), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shutdown_timeout_bounds_the_wait() {
    let f = fixture();
    f.write("mailwarden.toml", "[milter]\nshutdown_timeout = 1\n[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n");
    let mut m = Milter::start(&f.config());
    let mut conn = TestConnection::open(("127.0.0.1", m.port)).await.unwrap();
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    m.signal(Signal::SIGTERM);
    let st = tokio::task::spawn_blocking(move || {
        let st = m.wait_exit(WAIT);
        (st, m.logs())
    })
    .await
    .unwrap();
    assert_eq!(st.0.and_then(|s| s.code()), Some(0), "{}", st.1);
    assert!(st.1.contains("shutdown timeout"), "{}", st.1);
    drop(conn);
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_socket_gets_mode_and_group_and_is_removed_on_exit() {
    let f = fixture();
    let sock = f.path("mw.sock");
    f.write(
        "mailwarden.toml",
        &format!(
            "[milter]\nlisten = \"unix:{}\"\nsocket_mode = \"0660\"\nsocket_group = \"postfix\"\n[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n",
            sock.display()
        ),
    );
    // A stale socket file from a crashed instance is replaced.
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    let mut m = Milter::start_args(&["serve", "-c", f.config().to_str().unwrap()]);
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    let postfix_gid = nix::unistd::Group::from_name("postfix")
        .unwrap()
        .unwrap()
        .gid
        .as_raw();
    assert_eq!(meta.gid(), postfix_gid);
    // A second instance on the same live socket refuses to start.
    let (code, _, err) = run(&["serve", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("another process is already listening"),
        "{err}"
    );
    let mut conn = TestConnection::configure().open_unix(&sock).await.unwrap();
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert!(matches!(
        conn.rcpt(["<x@customer.example>"]).await.unwrap(),
        Status::Reject { .. }
    ));
    conn.abort().await.unwrap();
    conn.close().await.unwrap();
    m.signal(Signal::SIGTERM);
    let st = tokio::task::spawn_blocking(move || m.wait_exit(WAIT))
        .await
        .unwrap();
    assert_eq!(st.and_then(|s| s.code()), Some(0));
    assert!(!sock.exists(), "socket file left behind");
}

#[test]
fn serve_refuses_to_start_with_a_broken_rule_file() {
    let f = fixture();
    f.write("rules.txt", "garbage\n");
    let (code, _, err) = run(&[
        "serve",
        "-c",
        f.config().to_str().unwrap(),
        "--listen",
        "inet:127.0.0.1:0",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("rules.txt:1: expected 5 fields"), "{err}");
    assert!(err.contains("not started"), "{err}");
}

#[test]
fn json_log_format_emits_one_object_per_line() {
    let f = fixture();
    f.write(
        "mailwarden.toml",
        "[log]\nformat = \"json\"\n[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n",
    );
    let m = Milter::start(&f.config());
    let line = m.wait_log("listening", WAIT);
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
    assert_eq!(v["message"], "listening");
    assert_eq!(v["listen"], format!("inet:127.0.0.1:{}", m.port));
}
