//! Every `[smime.limits]` bound at its value and one below what a message needs: the
//! message passes at the limit, and one step past it gets the limit's name in the verdict
//! (or in `decryption_detail`). Messages come from tests/smime/make-pki.sh or are made here
//! with the openssl CLI; verification runs through `mailwarden smime --json`, and the
//! buffered message size through the milter protocol.

mod common;

use std::time::Duration;

use common::{Fixture, Milter};
use indymilter_test::{EomAction, Status, TestConnection};
use serde_json::Value;

const BASE: &str = "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }]\n";

fn pki() -> Fixture {
    let f = common::pki::fixture(BASE);
    make_messages(&f);
    f
}

/// Runs openssl in the fixture directory; its standard output.
fn openssl(f: &Fixture, args: &[&str]) -> Vec<u8> {
    common::pki::openssl(f.dir.path(), args)
}

fn header(subject: &str) -> String {
    format!("From: alice@example.org\r\nTo: bob@example.org\r\nSubject: {subject}\r\n")
}

/// An `application/pkcs7-mime` part holding `der`, base64 in 64-column lines.
fn p7m_part(der: &[u8]) -> String {
    format!(
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        common::base64_lines(der, "\r\n")
    )
}

/// Size of the entity inside `lf-enc.eml` and `lf-opaque.eml` before line-end conversion:
/// bare LFs only, so the CRLF form is twice as long.
const LF_CONTENT: usize = 20_000;

fn make_messages(f: &Fixture) {
    // Two RecipientInfos: bob, then carol.
    let enc_two = openssl(
        f,
        &[
            "cms",
            "-encrypt",
            "-in",
            "two.content",
            "-aes256",
            "-recip",
            "bob.pem",
            "-recip",
            "carol.pem",
        ],
    );
    let mut m = header("enc-two").into_bytes();
    m.extend_from_slice(&enc_two);
    std::fs::write(f.path("enc-two.eml"), m).unwrap();

    let to = |cert: &str| {
        openssl(
            f,
            &[
                "cms",
                "-encrypt",
                "-in",
                "two.content",
                "-aes256",
                "-outform",
                "DER",
                "-recip",
                cert,
            ],
        )
    };
    let (for_bob, for_carol) = (to("bob.pem"), to("carol.pem"));
    // Two multipart levels, the encrypted part in the inner one.
    f.write(
        "enclosed-deep.eml",
        &format!(
            "{}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\nSee inside.\r\n--outer\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n--inner\r\n{}--inner--\r\n--outer--\r\n",
            header("enclosed-deep"),
            p7m_part(&for_bob)
        ),
    );
    // Two encrypted parts: the first for bob (our key), the second for carol.
    f.write(
        "enclosed-two.eml",
        &format!(
            "{}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n{}--b\r\n{}--b--\r\n",
            header("enclosed-two"),
            p7m_part(&for_bob),
            p7m_part(&for_carol)
        ),
    );
    // Content of bare LFs, binary (no canonicalisation), encrypted and opaque-signed.
    std::fs::write(f.path("lf.content"), vec![b'\n'; LF_CONTENT]).unwrap();
    let mut m = header("lf-enc").into_bytes();
    m.extend(openssl(
        f,
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            "lf.content",
            "-aes256",
            "-recip",
            "bob.pem",
        ],
    ));
    std::fs::write(f.path("lf-enc.eml"), m).unwrap();
    let mut m = header("lf-opaque").into_bytes();
    m.extend(openssl(
        f,
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-in",
            "lf.content",
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
            "-certfile",
            "int.pem",
        ],
    ));
    std::fs::write(f.path("lf-opaque.eml"), m).unwrap();
}

/// `mailwarden smime --json FILE` with `limits` appended to the settings.
fn verify_with(f: &Fixture, smime_extra: &str, limits: &str, file: &str) -> Value {
    f.write(
        "mailwarden.toml",
        &format!("{BASE}{smime_extra}[smime.limits]\n{limits}"),
    );
    let mut out = common::pki::smime_json(f, &[], &[file]);
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn verdict(v: &Value) -> (&str, Option<&str>) {
    (v["result"].as_str().unwrap(), v["reason"].as_str())
}

/// `decryption` and the leading token of `decryption_detail`.
/// The decryption result and the limit token its detail starts with; a limit token must
/// also be the typed `decryption_limit`.
fn decryption(v: &Value) -> (&str, Option<&str>) {
    let token = v["decryption_detail"]
        .as_str()
        .map(|d| d.split(':').next().unwrap());
    assert_eq!(v["decryption_limit"].as_str(), token, "{v}");
    (v["decryption"].as_str().unwrap(), token)
}

#[test]
fn signature_limits_pass_at_the_limit_and_are_named_one_past_it() {
    let f = pki();
    // (setting, what the message needs, message)
    let cases = [
        ("max_layers", 2, "nested.eml", "too-many-layers"),
        ("max_signers", 2, "two-signers.eml", "too-many-signers"),
        // alice-untrusted, alice and the intermediate.
        (
            "max_certificates",
            3,
            "two-signers.eml",
            "too-many-certificates",
        ),
    ];
    for (key, needed, file, token) in cases {
        let at = verify_with(&f, "", &format!("{key} = {needed}\n"), file);
        assert_eq!(verdict(&at), ("pass", None), "{key} = {needed}: {at}");
        let past = verify_with(&f, "", &format!("{key} = {}\n", needed - 1), file);
        assert_eq!(
            verdict(&past),
            ("permerror", Some(token)),
            "{key} = {}: {past}",
            needed - 1
        );
        assert!(
            past["authentication_results"]
                .as_str()
                .unwrap()
                .contains(&format!("smime=permerror ({token})")),
            "{past}"
        );
    }
}

#[test]
fn decryption_limits_pass_at_the_limit_and_are_named_one_past_it() {
    let f = pki();
    let cases = [
        (
            "max_recipients",
            2,
            "enc-two.eml",
            "failed",
            "too-many-recipients",
        ),
        // The text part and the encrypted part.
        (
            "max_mime_parts",
            2,
            "enclosed-bob.eml",
            "unsupported",
            "too-many-mime-parts",
        ),
        (
            "max_mime_depth",
            2,
            "enclosed-deep.eml",
            "unsupported",
            "mime-too-deep",
        ),
    ];
    for (key, needed, file, outcome, token) in cases {
        let at = verify_with(&f, "", &format!("{key} = {needed}\n"), file);
        assert_eq!(decryption(&at), ("ok", None), "{key} = {needed}: {at}");
        let past = verify_with(&f, "", &format!("{key} = {}\n", needed - 1), file);
        assert_eq!(
            decryption(&past),
            (outcome, Some(token)),
            "{key} = {}: {past}",
            needed - 1
        );
    }
    // The third level is one more than enclosed-bob.eml has.
    let v = verify_with(&f, "", "max_mime_depth = 1\n", "enclosed-bob.eml");
    assert_eq!(decryption(&v), ("ok", None), "{v}");
}

#[test]
fn enclosed_parts_beyond_max_enclosed_are_not_tried() {
    let f = pki();
    // Both tried: carol's part is not ours, and the worst answer is reported.
    let two = verify_with(&f, "", "max_enclosed = 2\n", "enclosed-two.eml");
    assert_eq!(decryption(&two), ("no-key", None), "{two}");
    let one = verify_with(&f, "", "max_enclosed = 1\n", "enclosed-two.eml");
    assert_eq!(decryption(&one), ("ok", None), "{one}");
}

#[test]
fn path_building_budget_passes_at_the_checks_the_path_needs_and_is_named_below() {
    let f = pki();
    let pass_at = |n: usize| {
        verify_with(
            &f,
            "",
            &format!("max_path_signature_checks = {n}\n"),
            "pass-rsa.eml",
        )
    };
    // The smallest budget that validates root -> int -> alice (with int from the message).
    let needed = (1..=50)
        .find(|&n| verdict(&pass_at(n)).0 == "pass")
        .expect("a path within 50 signature checks");
    // At least the intermediate's and the leaf's signatures are checked.
    assert!(needed >= 2, "{needed}");
    let below = pass_at(needed - 1);
    assert_eq!(
        verdict(&below),
        ("permerror", Some("path-budget-exceeded")),
        "{below}"
    );
    let default = verify_with(&f, "", "", "pass-rsa.eml");
    assert_eq!(verdict(&default), ("pass", None), "{default}");
}

#[test]
fn decrypted_and_encapsulated_entities_are_bounded_by_max_message_size() {
    let f = pki();
    let crlf = 2 * LF_CONTENT;
    for file in ["lf-enc.eml", "lf-opaque.eml"] {
        // The message itself is below the bound; only its CRLF-converted inside reaches it.
        assert!(std::fs::metadata(f.path(file)).unwrap().len() < crlf as u64 - 1);
    }
    let size = |n: usize| format!("max_message_size = {n}\n");
    let at = verify_with(&f, &size(crlf), "", "lf-enc.eml");
    assert_eq!(decryption(&at), ("ok", None), "{at}");
    let past = verify_with(&f, &size(crlf - 1), "", "lf-enc.eml");
    assert_eq!(
        decryption(&past),
        ("failed", Some("content-too-large")),
        "{past}"
    );

    let at = verify_with(&f, &size(crlf), "", "lf-opaque.eml");
    assert_eq!(verdict(&at), ("pass", None), "{at}");
    let past = verify_with(&f, &size(crlf - 1), "", "lf-opaque.eml");
    assert_eq!(
        verdict(&past),
        ("permerror", Some("content-too-large")),
        "{past}"
    );
    // One opaque layer is one layer, its signer still named (it was pushed twice, and the
    // second, signerless entry hid the signer from the header).
    assert_eq!(past["layers"], serde_json::json!(["signed"]), "{past}");
    assert_eq!(past["signatures"].as_array().unwrap().len(), 1, "{past}");
    assert_eq!(past["signer"], "alice@example.org", "{past}");
}

#[test]
fn limits_outside_their_range_are_settings_errors_naming_the_line() {
    let f = Fixture::new();
    for (limits, want) in [
        (
            "max_layers = 0\n",
            "mailwarden.toml:3: smime.limits.max_layers = 0: must be between 1 and 64",
        ),
        (
            "max_mime_depth = 129\n",
            "mailwarden.toml:3: smime.limits.max_mime_depth = 129: must be between 1 and 128",
        ),
        (
            "max_signers = -1\n",
            "mailwarden.toml:3: smime.limits.max_signers = -1: must be between 1 and 1024",
        ),
        ("max_parts = 5\n", "unknown field `max_parts`"),
    ] {
        f.write(
            "mailwarden.toml",
            &format!("[smime]\n[smime.limits]\n{limits}"),
        );
        let (code, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
        assert_eq!(code, 1, "{limits}: {err}");
        assert!(err.contains(want), "{limits}: {err}");
    }
    f.write(
        "mailwarden.toml",
        "[smime]\n[smime.limits]\nmax_mime_depth = 128\nmax_layers = 1\n",
    );
    let (code, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// The headers and body of a message file as the milter receives them, and the number of
/// bytes the milter buffers for them ("Name: value" CRLF per header, CRLF, the body).
fn as_milter_sees(f: &Fixture, file: &str) -> (Vec<(String, String)>, Vec<u8>, usize) {
    let wire = common::pki::wire(f, file);
    let split = common::smtp::find(&wire, b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&wire[..split]).unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1 = format!("{}\r\n{line}", last.1);
        } else {
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.to_string(), v.trim_start().to_string()));
        }
    }
    let body = wire[split + 4..].to_vec();
    let size = headers
        .iter()
        .map(|(n, v)| n.len() + 2 + v.len() + 2)
        .sum::<usize>()
        + 2
        + body.len();
    (headers, body, size)
}

/// One message through the milter protocol: the end-of-message status and our
/// Authentication-Results value, if one was added.
async fn send(
    m: &Milter,
    sender: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (Status, Option<String>) {
    let mut conn = TestConnection::open(("127.0.0.1", m.port)).await.unwrap();
    assert_eq!(conn.mail([sender]).await.unwrap(), Status::Continue);
    assert_eq!(
        conn.rcpt(["<bob@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(conn.data().await.unwrap(), Status::Continue);
    for (n, v) in headers {
        assert_eq!(
            conn.header(n.as_str(), v.as_str()).await.unwrap(),
            Status::Continue
        );
    }
    assert_eq!(conn.eoh().await.unwrap(), Status::Continue);
    // In chunks, as an MTA sends a body.
    for chunk in body.chunks(1000) {
        assert_eq!(conn.body(chunk.to_vec()).await.unwrap(), Status::Continue);
    }
    let (actions, status) = conn.eom().await.unwrap();
    let ar = actions.actions.iter().find_map(|a| match a {
        EomAction::InsertHeader { name, value, .. } | EomAction::AddHeader { name, value }
            if name.to_bytes() == b"Authentication-Results" =>
        {
            Some(value.to_string_lossy().into_owned())
        }
        _ => None,
    });
    conn.close().await.unwrap();
    (status, ar)
}

#[tokio::test(flavor = "multi_thread")]
async fn buffered_message_size_verifies_at_the_limit_and_skips_one_byte_past_it() {
    let f = pki();
    let (headers, body, size) = as_milter_sees(&f, "pass-rsa.eml");
    let config = |max: usize| {
        f.write(
            "mailwarden.toml",
            &format!(
                "{BASE}max_message_size = {max}\nrequire_signature = [\"boss@example.org\"]\n"
            ),
        );
        Milter::start(&f.config())
    };

    let at = config(size);
    let (status, ar) = send(&at, "<alice@example.org>", &headers, &body).await;
    assert_eq!(status, Status::Continue);
    let ar = ar.expect("verified at the limit");
    assert!(ar.starts_with("mx.test; smime=pass"), "{ar}");
    drop(at);

    let past = config(size - 1);
    let (status, ar) = send(&past, "<alice@example.org>", &headers, &body).await;
    assert_eq!(status, Status::Continue, "delivered unverified");
    assert_eq!(ar, None);
    let audit = past.wait_log("result=skipped", Duration::from_secs(5));
    assert!(audit.contains("reason=\"too large\""), "{audit}");
    // A sender who must sign cannot skip the check by size.
    let (status, ar) = send(&past, "<boss@example.org>", &headers, &body).await;
    let Status::Reject {
        message: Some(reply),
    } = status
    else {
        panic!("required signature skipped by size: {status:?}");
    };
    let reply = reply.to_string_lossy();
    assert!(reply.starts_with("552 5.3.4 "), "{reply}");
    assert!(reply.contains("required S/MIME signature"), "{reply}");
    assert_eq!(ar, None);
}

/// The two messages that cost the most before the MIME limits, at full size: a 100 KB
/// boundary over a 10 MB body of dashes (18 s of CPU per message, in the multipart/signed
/// split and in the enclosed-part parse alike) and 1.5 million empty parts (270 MB in
/// mail-parser's full parse). Both now get their limit's name.
#[test]
fn long_boundaries_and_part_floods_get_named_verdicts() {
    let f = pki();
    let boundary = format!("{}X", "-".repeat(99_990));
    let dashes = "-".repeat(10 << 20);
    f.write(
        "long-boundary-signed.eml",
        &format!(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"{boundary}\"\r\n\r\n{dashes}\r\n"
        ),
    );
    f.write(
        "long-boundary-mixed.eml",
        &format!(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\nX-Note: pkcs7-mime\r\n\r\n{dashes}\r\n"
        ),
    );
    f.write(
        "part-flood.eml",
        &format!(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\nX-Note: pkcs7-mime\r\n\r\n{}--b--\r\n",
            "--b\r\n\r\n".repeat(1_500_000)
        ),
    );
    let v = verify_with(&f, "", "", "long-boundary-signed.eml");
    assert_eq!(verdict(&v), ("permerror", Some("boundary-too-long")), "{v}");
    let v = verify_with(&f, "", "", "long-boundary-mixed.eml");
    assert_eq!(
        decryption(&v),
        ("unsupported", Some("boundary-too-long")),
        "{v}"
    );
    let v = verify_with(&f, "", "", "part-flood.eml");
    assert_eq!(
        decryption(&v),
        ("unsupported", Some("too-many-mime-parts")),
        "{v}"
    );
}
