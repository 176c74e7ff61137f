//! S/MIME through a real Postfix: the verdict arrives as an Authentication-Results header
//! at the top, a forged one claiming our authserv-id is removed, the signed body is
//! delivered untouched, actions apply, and one audit line is logged per S/MIME message.

mod common;

use std::time::Duration;

use common::postfix::Postfix;
use common::smtp::Client;
use common::{Fixture, Milter};

const WAIT: Duration = Duration::from_secs(30);

fn pki(config: &str) -> Fixture {
    common::pki::fixture(config)
}

/// A generated message as it goes on the wire (CRLF), with `extra` headers on top.
fn wire(f: &Fixture, name: &str, extra: &str) -> Vec<u8> {
    let raw = std::fs::read(f.path(name)).unwrap();
    let text = String::from_utf8(raw)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    format!("{extra}{text}").into_bytes()
}

fn send(port: u16, message: &[u8]) -> common::smtp::Reply {
    let mut c = Client::connect(port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
    let r = c.data(message).unwrap();
    c.quit();
    r
}

#[test]
fn signed_message_gets_our_header_and_a_forged_one_is_removed() {
    let f = pki(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nactions = { fail = \"reject\" }\naudit_file = \"audit.log\"\n",
    );
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());

    let forged = "Authentication-Results: other.example; dkim=pass\r\n\
                  Authentication-Results: MX.Test;\r\n\tsmime=pass (forged upstream)\r\n";
    let message = wire(&f, "pass-rsa.eml", forged);
    let r = send(pf.port, &message);
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let headers = got[0].header_section();
    let ours: Vec<&str> = headers
        .lines()
        .filter(|l| {
            l.to_ascii_lowercase()
                .starts_with("authentication-results:")
        })
        .collect();
    assert_eq!(ours.len(), 2, "{headers}");
    // Ours, first of all the Authentication-Results (Postfix puts its Received: above).
    assert!(
        ours[0].starts_with("Authentication-Results: mx.test; smime=pass body.smime-identifier=alice@example.org body.smime-serial="),
        "{headers}"
    );
    assert!(ours[1].contains("other.example; dkim=pass"), "{headers}");
    assert!(!headers.contains("forged upstream"), "{headers}");
    // The signed body arrives byte for byte.
    let original = &message[common::smtp::find(&message, b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(got[0].body(), original);
    milter.wait_log(
        "removed an Authentication-Results header claiming our authserv-id",
        WAIT,
    );
    let audit = milter.wait_log("result=pass", WAIT);
    assert!(audit.contains("signer=alice@example.org"), "{audit}");
    assert!(audit.contains("layers=signed"), "{audit}");
    let file = std::fs::read_to_string(f.path("audit.log")).unwrap();
    assert_eq!(file.lines().count(), 1, "{file}");
    assert!(
        file.starts_with("queue_id=") && file.contains(" result=pass "),
        "{file}"
    );
}

#[test]
fn actions_reject_fail_and_tag_policy() {
    let f = pki(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nactions = { fail = \"reject\", policy = \"tag\" }\nrequire_signature = [\"@secure.example\"]\n\n[[policy]]\nname = \"strict\"\nwhen = { recipient_domain = \"strict.example\" }\naccess_rules = [\"strict.txt\"]\nsmime_actions = { policy = \"reject\" }\n",
    );
    f.write("strict.txt", "* @strict.example <reg> - 0\n");
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());

    let r = send(pf.port, &wire(&f, "tampered-body.eml", ""));
    assert_eq!(r.code, 550, "{r}");
    assert!(
        r.text().contains("5.7.7") && r.text().contains("digest-mismatch"),
        "{r}"
    );

    let r = send(pf.port, &wire(&f, "untrusted.eml", ""));
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let headers = got[0].header_section();
    assert!(
        headers.contains("Subject: [S/MIME policy] untrusted"),
        "{headers}"
    );
    assert!(
        headers.contains("smime=policy (untrusted-issuer)"),
        "{headers}"
    );

    // The same verdict for a recipient in a policy that overrides the action: refused.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<carol@strict.example>").unwrap().code, 250);
    let r = c.data(&wire(&f, "untrusted.eml", "")).unwrap();
    c.quit();
    assert_eq!(r.code, 550, "{r}");
    assert!(r.text().contains("untrusted-issuer"), "{r}");

    // A sender that must sign, and did not.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<boss@secure.example>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
    let r = c
        .data(b"From: boss@secure.example\r\nSubject: unsigned\r\n\r\nhello\r\n")
        .unwrap();
    c.quit();
    assert_eq!(r.code, 550, "{r}");
    assert!(r.text().contains("signature is required"), "{r}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(pf.sink.received().len(), 1, "refused mail was delivered");
}

#[test]
fn messages_over_the_size_limit_are_delivered_unverified_and_audited_as_skipped() {
    let f = pki(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nmax_message_size = 2000\nactions = { none = \"reject\" }\n",
    );
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let message = wire(
        &f,
        "pass-rsa.eml",
        "Authentication-Results: mx.test; smime=pass\r\n",
    );
    assert!(message.len() > 2000);
    let r = send(pf.port, &message);
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    // Not verified, so no verdict of ours, and the forged one is still removed.
    assert!(
        !got[0].header_section().contains("mx.test"),
        "{}",
        got[0].header_section()
    );
    let audit = milter.wait_log("result=skipped", WAIT);
    assert!(audit.contains("reason=\"too large\""), "{audit}");
}

#[test]
fn signed_then_encrypted_mail_is_opened_verified_and_delivered_as_received() {
    let f = pki(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }]\n",
    );
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let message = wire(&f, "sign-enc.eml", "");
    let r = send(pf.port, &message);
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let headers = got[0].header_section();
    assert!(
        headers.contains(
            "Authentication-Results: mx.test; smime=pass body.smime-identifier=alice@example.org"
        ),
        "{headers}"
    );
    // deliver = "original" (the only mode so far): the encrypted body is untouched.
    let original = &message[common::smtp::find(&message, b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(got[0].body(), original);
    let audit = milter.wait_log("result=pass", WAIT);
    assert!(
        audit.contains("layers=enveloped,signed") && audit.contains("decryption=ok"),
        "{audit}"
    );
    assert!(audit.contains("content_encryption=aes-256-cbc"), "{audit}");
}

#[test]
fn deliver_decrypted_replaces_body_and_mime_headers_and_failures_share_one_reply() {
    let f = pki(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }]\ndeliver = \"decrypted\"\ndecryption_failure = \"reject\"\nallow_3des = false\n",
    );
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());

    let forged = "X-Mailwarden-Decrypted: by mx.test with a forged key\r\n";
    let r = send(pf.port, &wire(&f, "sign-enc.eml", forged));
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let headers = got[0].header_section();
    assert!(
        headers.contains("smime=pass body.smime-identifier=alice@example.org"),
        "{headers}"
    );
    assert!(
        headers.contains("X-Mailwarden-Decrypted: by mx.test with CN=Bob serial"),
        "{headers}"
    );
    assert!(!headers.contains("forged key"), "{headers}");
    assert!(
        !headers.to_ascii_lowercase().contains("pkcs7-mime"),
        "{headers}"
    );
    assert!(headers.contains("multipart/signed"), "{headers}");
    // The cleartext is the signed entity openssl encrypted, whole: its signature still checks.
    let signed = std::fs::read_to_string(f.path("signed.part"))
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let body = String::from_utf8_lossy(got[0].body()).into_owned();
    let inner_body = &signed[signed.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(body, inner_body);
    std::fs::write(f.path("delivered.eml"), &got[0].data).unwrap();
    let (code, out, err) = common::run(&[
        "smime",
        "-c",
        f.config().to_str().unwrap(),
        "--json",
        f.path("delivered.eml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"layers\":[\"signed\"]") && out.contains("\"result\":\"pass\""),
        "{out}"
    );

    // Undecryptable mail for us: the same reply whatever the cause.
    let replies: Vec<String> = ["enc-3des.eml", "enc-aes256.eml"]
        .iter()
        .map(|name| {
            let mut m = wire(&f, name, "");
            if *name == "enc-aes256.eml" {
                // Corrupt the base64 body's last line: the CMS no longer decrypts.
                let end = m.len() - 8;
                m[end] = if m[end] == b'A' { b'B' } else { b'A' };
            }
            let r = send(pf.port, &m);
            assert_eq!(r.code, 550, "{name}: {r}");
            r.text()
        })
        .collect();
    assert_eq!(replies[0], replies[1]);
    assert!(replies[0].contains("cannot decrypt"), "{}", replies[0]);
    assert!(
        !replies[0].contains("des") && !replies[0].contains("padding"),
        "{}",
        replies[0]
    );
}
