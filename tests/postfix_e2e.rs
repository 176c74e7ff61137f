//! End to end through a real Postfix: client -> smtpd (+ mailwarden) -> qmgr/smtp -> sink.

mod common;

use std::time::Duration;

use common::postfix::Postfix;
use common::smtp::Client;
use common::{Fixture, Milter};

const WAIT: Duration = Duration::from_secs(30);

/// A settings file with one envelope-scoped and one header-scoped policy.
fn policy_fixture() -> Fixture {
    let f = Fixture::new();
    f.write(
        "senders.txt",
        "# manual\nalice@example.org\n@trusted.example\n",
    );
    f.write(
        "rules.txt",
        "* user@customer.example <reg> - 0\n* sms@customer.example <sms> +358401234567 2\n* @open.example <reg> - 0\n",
    );
    f.write(
        "mailwarden.toml",
        r#"
[[policy]]
name = "secure-envelope"
when = { daemon_name = "secure-submission" }
sender_allowlist = ["senders.txt"]

[[policy]]
name = "customer-rcpt"
when = { recipient_domain = "customer.example" }
access_rules = ["rules.txt"]
recipient_reply = "Recipient {recipient} needs a registration (policy {policy})"

[[policy]]
name = "secure-compose"
when = { subject_tag = "[secure]" }
access_rules = ["rules.txt"]
"#,
    );
    f
}

/// The same policies in report mode.
fn report_fixture() -> Fixture {
    let f = policy_fixture();
    let text = std::fs::read_to_string(f.config()).unwrap();
    f.write(
        "mailwarden.toml",
        &text.replace("[[policy]]\n", "[[policy]]\nmode = \"report\"\n"),
    );
    f
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.org>\r\nTo: someone\r\nSubject: {subject}\r\nMessage-ID: <t1@example.org>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n{body}"
    )
    .into_bytes()
}

#[test]
fn message_passes_through_postfix_and_mailwarden_with_body_byte_identical() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let body =
        "Line one\r\n.leading dot stays\r\n..two dots\r\n\r\n  indented\ttab\r\nlast line\r\n";
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<anyone@elsewhere.example>").unwrap().code,
        250
    );
    let r = c.data(&message("hello", body)).unwrap();
    assert_eq!(r.code, 250, "{r}");
    c.quit();
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "not delivered; maillog:\n{}", pf.maillog());
    assert_eq!(got[0].body(), body.as_bytes());
    assert_eq!(got[0].rcpts, vec!["<anyone@elsewhere.example>".to_owned()]);
    assert!(got[0].header_section().contains("Subject: hello"));
    assert!(
        !got[0].header_section().contains("X-Mailwarden"),
        "unannotated policy added a header"
    );
    milter.wait_log("message accepted", WAIT);
}

#[test]
fn milter_down_means_4xx_and_nothing_delivered() {
    let f = policy_fixture();
    let mut milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    milter.stop();
    let mut c = Client::connect(pf.port).unwrap();
    // Postfix applies milter_default_action = tempfail at the first milter stage.
    let mail = c.cmd("MAIL FROM:<bob@example.net>").unwrap();
    let refused = if mail.code == 250 {
        let r = c.cmd("RCPT TO:<x@elsewhere.example>").unwrap();
        if r.code == 250 {
            c.data(&message("x", "y\r\n")).unwrap()
        } else {
            r
        }
    } else {
        mail
    };
    assert!(
        (400..500).contains(&refused.code),
        "expected 4xx, got {refused}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        pf.sink.received().is_empty(),
        "mail delivered without the milter"
    );
}

#[test]
fn multi_recipient_refused_rcpt_gets_550_others_delivered() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<user@customer.example>").unwrap().code, 250);
    let refused = c.cmd("RCPT TO:<stranger@customer.example>").unwrap();
    assert_eq!(refused.code, 550, "{refused}");
    assert!(refused.text().starts_with("5.7.1 Recipient <stranger@customer.example> needs a registration (policy customer-rcpt)"), "{refused}");
    assert_eq!(
        c.cmd("RCPT TO:<other@elsewhere.example>").unwrap().code,
        250
    );
    assert_eq!(
        c.cmd("RCPT TO:<User+Tag@Customer.Example>").unwrap().code,
        250
    );
    assert_eq!(c.data(&message("multi", "body\r\n")).unwrap().code, 250);
    c.quit();
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let mut rcpts = got[0].rcpts.clone();
    rcpts.sort();
    assert_eq!(
        rcpts,
        [
            "<User+Tag@Customer.Example>",
            "<other@elsewhere.example>",
            "<user@customer.example>"
        ]
    );
    let log = milter.wait_log("recipient refused", WAIT);
    assert!(
        log.contains("policy=\"customer-rcpt\"") || log.contains("policy=customer-rcpt"),
        "{log}"
    );
    assert!(log.contains("rule=no match"), "{log}");
}

#[test]
fn sender_allowlist_enforced_only_on_the_secure_service() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut c = Client::connect(pf.secure_port).unwrap();
    let r = c.cmd("MAIL FROM:<mallory@example.net>").unwrap();
    assert_eq!(r.code, 550, "{r}");
    assert!(r.text().contains("5.7.1 Sender <mallory@example.net> is not allowed to send here (policy secure-envelope)"), "{r}");
    assert_eq!(c.cmd("RSET").unwrap().code, 250);
    assert_eq!(c.cmd("MAIL FROM:<Alice@Example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<x@elsewhere.example>").unwrap().code, 250);
    assert_eq!(
        c.data(&message("ok", "from the allowlist\r\n"))
            .unwrap()
            .code,
        250
    );
    c.quit();
    // The same sender through the ordinary port is not in the policy's scope.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<mallory@example.net>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<x@elsewhere.example>").unwrap().code, 250);
    assert_eq!(
        c.data(&message("ok", "not in scope\r\n")).unwrap().code,
        250
    );
    c.quit();
    let got = pf.sink.wait_for(2, WAIT);
    assert_eq!(got.len(), 2, "maillog:\n{}", pf.maillog());
}

#[test]
fn header_scoped_policy_refuses_whole_message_naming_refused_recipients() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    for r in [
        "<a@open.example>",
        "<nobody@elsewhere.example>",
        "<second@elsewhere.example>",
    ] {
        assert_eq!(c.cmd(&format!("RCPT TO:{r}")).unwrap().code, 250);
    }
    let r = c.data(&message("[SECURE] contract", "secret\r\n")).unwrap();
    assert_eq!(r.code, 550, "{r}");
    let text = r.text();
    assert!(
        text.contains("Message refused by policy secure-compose"),
        "{text}"
    );
    assert!(
        text.contains("<nobody@elsewhere.example>") && text.contains("<second@elsewhere.example>"),
        "{text}"
    );
    assert!(
        !text.contains("open.example"),
        "accepted recipient named in refusal: {text}"
    );
    // Without the tag the same envelope goes through.
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<nobody@elsewhere.example>").unwrap().code,
        250
    );
    assert_eq!(c.data(&message("contract", "plain\r\n")).unwrap().code, 250);
    c.quit();
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), b"plain\r\n");
}

#[test]
fn ten_megabyte_message_is_delivered_intact() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut body = String::with_capacity(10 * 1024 * 1024 + 100);
    let mut i = 0u64;
    while body.len() < 10 * 1024 * 1024 {
        body.push_str(&format!(
            "{i:08} the quick brown fox jumps over the lazy dog 0123456789 abcdefghij\r\n"
        ));
        i += 1;
    }
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<big@elsewhere.example>").unwrap().code, 250);
    let r = c.data(&message("big", &body)).unwrap();
    assert_eq!(r.code, 250, "{r}");
    c.quit();
    let got = pf.sink.wait_for(1, Duration::from_secs(120));
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    assert!(
        got[0].body() == body.as_bytes(),
        "10 MB body changed in transit"
    );
}

#[test]
fn unix_socket_milter_works_with_postfix() {
    let f = policy_fixture();
    let sock = f.path("mailwarden.sock");
    let cfg = std::fs::read_to_string(f.config()).unwrap();
    f.write(
        "mailwarden.toml",
        &format!("[milter]\nlisten = \"unix:{}\"\nsocket_mode = \"0660\"\nsocket_group = \"postfix\"\n{cfg}", sock.display()),
    );
    // Postfix (user postfix) must traverse the fixture directory to reach the socket.
    std::fs::set_permissions(
        f.dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let milter = Milter::start_args(&["serve", "-c", f.config().to_str().unwrap()]);
    let pf = Postfix::start(&format!("unix:{}", sock.display()));
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<stranger@customer.example>").unwrap().code,
        550
    );
    assert_eq!(c.cmd("RCPT TO:<user@customer.example>").unwrap().code, 250);
    assert_eq!(
        c.data(&message("unix", "via a unix socket\r\n"))
            .unwrap()
            .code,
        250
    );
    c.quit();
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    assert_eq!(got[0].body(), b"via a unix socket\r\n");
    drop(milter);
}

/// The same refusal seen by a stock SMTP client (swaks), as an operator would test it.
#[test]
fn swaks_sees_the_refusal_and_delivers_to_the_allowed_recipient() {
    let f = policy_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let out = common::output_within(
        std::process::Command::new("swaks").args([
            "--server",
            &format!("127.0.0.1:{}", pf.port),
            "--from",
            "bob@example.net",
            "--to",
            "user@customer.example,stranger@customer.example",
            "--header",
            "Subject: swaks test",
            "--body",
            "sent by swaks",
            "--helo",
            "client.example",
            "--timeout",
            "30",
        ]),
        common::HELPER_LIMIT,
    );
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        transcript.contains("550 5.7.1 Recipient <stranger@customer.example> needs a registration (policy customer-rcpt)"),
        "{transcript}"
    );
    assert!(transcript.contains("250 2.0.0 Ok: queued"), "{transcript}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    assert_eq!(got[0].rcpts, vec!["<user@customer.example>".to_owned()]);
    drop(milter);
}

#[test]
fn report_mode_refuses_nothing_and_logs_every_would_be_refusal() {
    let f = report_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    // What the three enforce-mode tests above see refused: an unlisted sender on the secure
    // service, an unregistered recipient, a header-scoped refusal.
    let mut c = Client::connect(pf.secure_port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<mallory@example.net>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<x@elsewhere.example>").unwrap().code, 250);
    assert_eq!(c.data(&message("one", "sender\r\n")).unwrap().code, 250);
    c.quit();
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<stranger@customer.example>").unwrap().code,
        250
    );
    assert_eq!(c.data(&message("two", "recipient\r\n")).unwrap().code, 250);
    assert_eq!(c.cmd("MAIL FROM:<bob@example.net>").unwrap().code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<nobody@elsewhere.example>").unwrap().code,
        250
    );
    assert_eq!(
        c.data(&message("[SECURE] three", "header\r\n"))
            .unwrap()
            .code,
        250
    );
    c.quit();
    let got = pf.sink.wait_for(3, WAIT);
    assert_eq!(got.len(), 3, "maillog:\n{}", pf.maillog());
    milter.wait_log("stage=\"headers\"", WAIT);
    let logs = milter.logs();
    for (policy, address) in [
        ("secure-envelope", "mallory@example.net"),
        ("customer-rcpt", "bob@example.net"),
        ("secure-compose", "bob@example.net"),
    ] {
        assert!(
            logs.lines()
                .any(|l| l.contains("would refuse") && l.contains(policy) && l.contains(address)),
            "no would-refuse line for {policy}:\n{logs}"
        );
    }
    assert!(!logs.contains("sender refused") && !logs.contains("recipient refused"));
    // `query` says the same, and that it is not enforced.
    let cfg = f.config();
    let (code, out, err) = common::run(&[
        "query",
        "-c",
        cfg.to_str().unwrap(),
        "--from",
        "mallory@example.net",
        "--rcpt",
        "stranger@customer.example",
        "--daemon-name",
        "secure-submission",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ACCEPT"), "{out}");
    assert!(
        out.contains("would be refused by policy secure-envelope in report mode")
            && out.contains("would be refused by policy customer-rcpt in report mode"),
        "{out}"
    );
}
