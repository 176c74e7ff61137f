//! End to end through a real Sendmail 8.17 (Debian's sendmail-bin, unpacked by
//! tests/run.sh): client -> sendmail (+ mailwarden via INPUT_MAIL_FILTER) -> relay -> sink.
//! Proves the .mc lines of docs/sendmail.md and the macros Sendmail sends: `{daemon_name}`
//! picks the envelope policy, `{i}` is the queue id in our log, a refused recipient gets
//! our reply, and a signed message arrives with our Authentication-Results header.

mod common;

use std::time::Duration;

use common::Milter;
use common::sendmail::Sendmail;
use common::smtp::Client;

const WAIT: Duration = Duration::from_secs(60);

fn fixture() -> common::Fixture {
    let f = common::pki::fixture(
        r#"
[reload]
control_socket = ""

[smime]
trust = ["trust.pem"]
authserv_id = "mx.test"

[[policy]]
name = "secure-envelope"
when = { daemon_name = "secure-submission" }
sender_allowlist = ["senders.txt"]

[[policy]]
name = "customer-rcpt"
when = { recipient_domain = "customer.example" }
access_rules = ["rules.txt"]
recipient_reply = "Recipient {recipient} needs a registration (policy {policy})"
"#,
    );
    f.write("senders.txt", "alice@example.org\n");
    f.write("rules.txt", "* user@customer.example <reg> - 0\n");
    f
}

#[test]
fn sendmail_refuses_by_policy_and_delivers_with_our_header() {
    let f = fixture();
    let milter = Milter::start(&f.config());
    let sm = Sendmail::start(milter.port);

    // {daemon_name} = secure-submission (DAEMON_OPTIONS Name=): the allowlist applies.
    let mut c = Client::connect(sm.port).unwrap();
    let r = c.cmd("MAIL FROM:<mallory@example.net>").unwrap();
    assert_eq!(r.code, 550, "{r}");
    assert!(r.text().contains("mallory@example.net"), "{r}");
    c.quit();
    let line = milter.wait_log("sender refused", WAIT);
    assert!(line.contains("policy=secure-envelope"), "{line}");

    // A refused and an accepted recipient in one transaction, then a signed message.
    let mut c = Client::connect(sm.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    let r = c.cmd("RCPT TO:<other@customer.example>").unwrap();
    assert_eq!(r.code, 550, "{r}");
    assert!(
        r.text().contains(
            "Recipient <other@customer.example> needs a registration (policy customer-rcpt)"
        ),
        "{r}"
    );
    assert_eq!(c.cmd("RCPT TO:<user@customer.example>").unwrap().code, 250);
    let message = common::pki::wire(&f, "pass-rsa.eml");
    let r = c.data(&message).unwrap();
    assert_eq!(r.code, 250, "{r}");
    c.quit();
    // "250 2.0.0 QUEUEID Message accepted for delivery": the {i} we must have logged.
    let text = r.text();
    let queue_id = text
        .split_whitespace()
        .skip_while(|w| *w != "2.0.0")
        .nth(1)
        .expect("queue id in the reply")
        .to_owned();
    let line = milter.wait_log("message accepted", WAIT);
    assert!(line.contains(&format!("queue_id={queue_id}")), "{line}");
    let audit = milter.wait_log("result=pass", WAIT);
    assert!(audit.contains(&format!("queue_id={queue_id}")), "{audit}");

    let got = sm.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "queue: {:?}", sm.queue_files());
    assert_eq!(got[0].rcpts, vec!["<user@customer.example>".to_owned()]);
    let headers = got[0].header_section();
    let ours: Vec<&str> = headers
        .lines()
        .filter(|l| l.starts_with("Authentication-Results: mx.test;"))
        .collect();
    assert_eq!(ours.len(), 1, "{headers}");
    assert!(
        ours[0].contains("smime=pass body.smime-identifier=alice@example.org"),
        "{headers}"
    );
    // The signed body arrives byte for byte.
    let original = &message[common::smtp::find(&message, b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(got[0].body(), original);
}

#[test]
fn sendmail_rejects_a_tampered_signature_with_our_reply() {
    let f = common::pki::fixture(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nactions = { fail = \"reject\" }\n",
    );
    let milter = Milter::start(&f.config());
    let sm = Sendmail::start(milter.port);
    let mut c = Client::connect(sm.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
    let r = c.data(&common::pki::wire(&f, "tampered-body.eml")).unwrap();
    c.quit();
    assert_eq!(r.code, 550, "{r}");
    assert!(
        r.text().contains("5.7.7") && r.text().contains("digest-mismatch"),
        "{r}"
    );
    // Nothing was relayed.
    std::thread::sleep(Duration::from_millis(500));
    assert!(sm.sink.received().is_empty());
}
