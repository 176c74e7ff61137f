//! `[metrics] listen`: after real traffic through Postfix (policy refusals, accepted mail,
//! signed and tampered S/MIME, a rule reload and a held-back one) the Prometheus endpoint
//! shows the counters moved. Also: systemd readiness (`READY=1`, `STOPPING=1`) reaches
//! `$NOTIFY_SOCKET`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Milter;
use common::postfix::Postfix;
use common::smtp::Client;

const WAIT: Duration = Duration::from_secs(30);

/// One HTTP request: (status line, body).
fn http_get(port: u16, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The value of the sample `name{labels}` (exact text up to the value), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn counters_move_with_traffic_and_reloads() {
    let metrics_port = common::free_port();
    let f = common::pki::fixture(&format!(
        r#"
[metrics]
listen = "127.0.0.1:{metrics_port}"

[reload]
control_socket = ""
debounce_ms = 50

[smime]
trust = ["trust.pem"]
crls = ["int.crl.pem"]
authserv_id = "mx.test"
actions = {{ fail = "reject" }}

[[policy]]
name = "secure-envelope"
when = {{ daemon_name = "secure-submission" }}
sender_allowlist = ["senders.txt"]

[[policy]]
name = "customer-rcpt"
when = {{ recipient_domain = "customer.example" }}
access_rules = ["rules.txt"]
"#
    ));
    f.write("senders.txt", "alice@example.org\n");
    f.write(
        "rules.txt",
        "* user@customer.example <reg> - 0\n* a@customer.example <reg> - 0\n* b@customer.example <reg> - 0\n* c@customer.example <reg> - 0\n",
    );
    let milter = Milter::start(&f.config());
    milter.wait_log("metrics endpoint ready", WAIT);

    let (status, before) = http_get(metrics_port, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(before.ends_with("# EOF\n"), "{before}");
    let rules_path = f.path("rules.txt").display().to_string();
    let entries = format!("mailwarden_rule_entries{{file=\"{rules_path}\"}}");
    assert_eq!(sample(&before, &entries), Some(4.0), "{before}");
    assert!(
        sample(
            &before,
            &format!(
                "mailwarden_rule_seconds_since_last_successful_reload{{file=\"{rules_path}\"}}"
            )
        )
        .is_some_and(|s| (0.0..60.0).contains(&s)),
        "{before}"
    );

    let pf = Postfix::start(&milter.socket());
    // A sender refused on the secure port.
    let mut c = Client::connect(pf.secure_port).unwrap();
    let r = c.cmd("MAIL FROM:<mallory@example.net>").unwrap();
    assert_eq!(r.code, 550, "{r}\n{}\n{}", pf.maillog(), milter.logs());
    c.quit();
    // A refused and an accepted recipient, with a signed message.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<x@customer.example>").unwrap().code, 550);
    assert_eq!(c.cmd("RCPT TO:<user@customer.example>").unwrap().code, 250);
    assert_eq!(
        c.data(&common::pki::wire(&f, "pass-rsa.eml")).unwrap().code,
        250
    );
    c.quit();
    // A tampered signature: rejected by the S/MIME action.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
    assert_eq!(
        c.data(&common::pki::wire(&f, "tampered-body.eml"))
            .unwrap()
            .code,
        550
    );
    c.quit();
    assert_eq!(pf.sink.wait_for(1, WAIT).len(), 1);

    // A good reload, then an emptied file the shrink guard holds back.
    let skip = milter.log_len();
    f.write(
        "rules.txt",
        "* user@customer.example <reg> - 0\n* a@customer.example <reg> - 0\n* b@customer.example <reg> - 0\n* c@customer.example <reg> - 0\n* d@customer.example <reg> - 0\n",
    );
    milter.wait_log_after(skip, "result=\"applied\"", WAIT);
    let skip = milter.log_len();
    f.write("rules.txt", "");
    milter.wait_log_after(skip, "result=\"kept-previous\"", WAIT);

    let (_, after) = http_get(metrics_port, "/metrics");
    let check = |series: &str, at_least: f64| {
        let v = sample(&after, series).unwrap_or(0.0);
        assert!(
            v >= at_least,
            "{series} = {v}, expected >= {at_least}\n{after}"
        );
    };
    check("mailwarden_messages_total", 3.0);
    check(
        r#"mailwarden_decisions_total{policy="secure-envelope",action="reject"}"#,
        1.0,
    );
    check(
        r#"mailwarden_decisions_total{policy="customer-rcpt",action="reject"}"#,
        1.0,
    );
    check(
        r#"mailwarden_decisions_total{policy="customer-rcpt",action="accept"}"#,
        1.0,
    );
    check(
        r#"mailwarden_smime_verdicts_total{result="pass",reason="-"}"#,
        1.0,
    );
    check(
        r#"mailwarden_smime_verdicts_total{result="fail",reason="digest-mismatch"}"#,
        1.0,
    );
    check(r#"mailwarden_smime_actions_total{action="reject"}"#, 1.0);
    // int.crl.pem (make-pki.sh) is good for 30 days from its making.
    let crl = f.path("int.crl.pem").display().to_string();
    let left = sample(
        &after,
        &format!(
            r#"mailwarden_smime_crl_next_update_seconds{{file="{crl}",crl="O=mailwarden tests,CN=Test Intermediate CA #01"}}"#
        ),
    )
    .unwrap_or_else(|| panic!("a CRL freshness gauge\n{after}"));
    assert!(
        (29.0 * 86_400.0..=30.0 * 86_400.0).contains(&left),
        "seconds until nextUpdate: {left}"
    );
    check(r#"mailwarden_decryptions_total{outcome="none"}"#, 2.0);
    check(
        &format!(r#"mailwarden_rule_reloads_total{{file="{rules_path}",outcome="applied"}}"#),
        1.0,
    );
    check(
        &format!(r#"mailwarden_rule_reloads_total{{file="{rules_path}",outcome="shrink-guard"}}"#),
        1.0,
    );
    // The held-back empty file left the five entries in force.
    assert_eq!(sample(&after, &entries), Some(5.0), "{after}");
    check("mailwarden_eom_processing_seconds_count", 2.0);
    assert!(
        after.contains("# TYPE mailwarden_milter_sessions_active gauge"),
        "{after}"
    );
    assert!(
        sample(&after, "mailwarden_milter_sessions_active").is_some(),
        "{after}"
    );

    // Anything but GET /metrics is refused; a huge request is cut off.
    assert_eq!(http_get(metrics_port, "/").0, "HTTP/1.1 404 Not Found");
    let mut s = TcpStream::connect(("127.0.0.1", metrics_port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(&vec![b'A'; 20_000]);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
}

#[test]
fn metrics_off_by_default_and_bad_address_named() {
    let f = common::Fixture::new();
    f.write(
        "mailwarden.toml",
        "[metrics]\nlisten = \"localhost:9795\"\n",
    );
    let (code, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("mailwarden.toml:2: metrics.listen:"), "{err}");
    f.write("mailwarden.toml", "[reload]\ncontrol_socket = \"\"\n");
    let milter = Milter::start(&f.config());
    assert!(
        !milter.logs().contains("metrics endpoint"),
        "{}",
        milter.logs()
    );
}

#[test]
fn systemd_readiness_and_stopping_are_notified() {
    use std::os::unix::net::UnixDatagram;
    let f = common::Fixture::new();
    f.write("mailwarden.toml", "[reload]\ncontrol_socket = \"\"\n");
    let sock_path = f.path("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut child = std::process::Command::new(common::bin())
        .args([
            "serve",
            "-c",
            f.config().to_str().unwrap(),
            "--listen",
            "inet:127.0.0.1:0",
        ])
        .env("NOTIFY_SOCKET", &sock_path)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 512];
    let n = sock.recv(&mut buf).expect("READY=1 within 20 s");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        msg.starts_with("READY=1\nSTATUS=listening on inet:127.0.0.1:"),
        "{msg}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let n = sock.recv(&mut buf).expect("STOPPING=1 on SIGTERM");
    assert_eq!(&buf[..n], b"STOPPING=1");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < WAIT, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A full disk (/dev/full gives ENOSPC) or an unwritable audit file: mail keeps flowing,
/// each failure is logged and counted, nothing blocks.
#[test]
fn audit_file_failures_keep_mail_flowing_and_are_counted() {
    for audit in ["/dev/full", "senders.txt/audit.log"] {
        let metrics_port = common::free_port();
        let f = common::pki::fixture(&format!(
            "[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\naudit_file = \"{audit}\"\n"
        ));
        // A regular file as the parent directory: ENOTDIR, even for root.
        f.write("senders.txt", "alice@example.org\n");
        let milter = Milter::start(&f.config());
        let pf = Postfix::start(&milter.socket());
        for _ in 0..3 {
            let mut c = Client::connect(pf.port).unwrap();
            assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
            assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
            let r = c.data(&common::pki::wire(&f, "pass-rsa.eml")).unwrap();
            assert_eq!(r.code, 250, "{audit}: {r}");
            c.quit();
        }
        let got = pf.sink.wait_for(3, WAIT);
        assert_eq!(got.len(), 3, "{audit}: {}", pf.maillog());
        assert!(
            got.iter()
                .all(|m| m.header_section().contains("smime=pass")),
            "{audit}"
        );
        let line = milter.wait_log("cannot write the audit file; mail keeps flowing", WAIT);
        assert!(line.contains("path="), "{line}");
        // The audit line itself still reached the log.
        milter.wait_log("audit: ", WAIT);
        let (_, text) = http_get(metrics_port, "/metrics");
        assert_eq!(
            sample(&text, "mailwarden_audit_write_errors_total"),
            Some(3.0),
            "{audit}: {text}"
        );
    }
}
