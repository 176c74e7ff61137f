//! Secrets never reach the logs: with trace logging (ours and every library's), in text and
//! JSON format, mail is signed, encrypted to our keys (RSA from PEM, EC from a PKCS#12 with
//! a password file), decrypted for delivery, tampered with, and the keys are reloaded.
//! Then the whole log is searched for the private keys (PEM lines, DER in hex and base64)
//! and the password.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::Milter;
use common::postfix::Postfix;
use common::smtp::Client;

const WAIT: Duration = Duration::from_secs(30);

/// Every form in which key material could leak: PEM body lines, and 24-byte windows of
/// the DER as hex (either case) and base64.
fn key_needles(f: &common::Fixture, pem_key: &str) -> Vec<String> {
    let pem = std::fs::read_to_string(f.path(pem_key)).unwrap();
    let mut needles: Vec<String> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body");
    for window in der.chunks(24).filter(|c| c.len() == 24) {
        let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
        needles.push(hex.to_uppercase());
        needles.push(hex);
        needles.push(base64::engine::general_purpose::STANDARD.encode(window));
    }
    needles
}

fn exercise(format: &str) {
    let f = common::pki::fixture(&format!(
        "[log]\nlevel = \"trace\"\nformat = \"{format}\"\n[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\ndeliver = \"decrypted\"\nactions = {{ fail = \"reject\" }}\nkeys = [{{ cert = \"bob.pem\", key = \"bob.key\" }}, {{ pkcs12 = \"bob-ec.p12\", password_file = \"bob.pw\" }}]\n"
    ));
    let password = std::fs::read_to_string(f.path("bob.pw")).unwrap();
    let password = password.trim_end();
    let config = f.config();
    let milter = Milter::start_args(&[
        "serve",
        "-c",
        config.to_str().unwrap(),
        "--listen",
        "inet:127.0.0.1:0",
        "-vv",
    ]);
    let pf = Postfix::start(&milter.socket());
    for (name, code) in [
        ("pass-rsa.eml", 250),
        ("enc-aes256.eml", 250),
        ("enc-oaep.eml", 250),
        ("enc-ec.eml", 250),
        ("sign-enc.eml", 250),
        ("enc-carol.eml", 250),
        ("tampered-body.eml", 550),
    ] {
        let mut c = Client::connect(pf.port).unwrap();
        assert_eq!(c.cmd("MAIL FROM:<alice@example.org>").unwrap().code, 250);
        assert_eq!(c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap().code, 250);
        let r = c.data(&common::pki::wire(&f, name)).unwrap();
        assert_eq!(r.code, code, "{name}: {r}");
        c.quit();
    }
    assert_eq!(pf.sink.wait_for(6, WAIT).len(), 6, "{}", pf.maillog());
    // A key reload (the password file is read again).
    let skip = milter.log_len();
    std::fs::write(f.path("bob.pw"), format!("{password}\n")).unwrap();
    milter.wait_log_after(skip, "smime trust store reloaded", WAIT);
    milter.signal(nix::sys::signal::Signal::SIGHUP);
    milter.wait_log_after(skip, "configuration reloaded", WAIT);

    let logs = milter.logs();
    // Trace logging was really on, libraries included.
    assert!(
        logs.lines().count() > 50 && logs.to_ascii_lowercase().contains("trace"),
        "{logs}"
    );
    // Mail was really decrypted (the audit line; JSON escapes it inside the message).
    assert!(
        logs.contains("decryption=ok") || logs.contains(r#"\"decryption\":\"ok\""#),
        "{logs}"
    );
    let mut needles = key_needles(&f, "bob.key");
    needles.extend(key_needles(&f, "bob-ec.key"));
    needles.push(password.to_owned());
    assert!(needles.len() > 20, "{needles:?}");
    for n in &needles {
        assert!(
            !logs.contains(n.as_str()),
            "key material or password in the log: {n}"
        );
    }
}

#[test]
fn no_key_material_or_password_in_trace_logs_text() {
    exercise("text");
}

#[test]
fn no_key_material_or_password_in_trace_logs_json() {
    exercise("json");
}
