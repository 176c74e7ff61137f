//! S/MIME verification through `mailwarden smime --json`, over messages signed with the
//! openssl CLI at test time (tests/smime/make-pki.sh): every reason token, both signature
//! forms, RSA PKCS#1, RSA-PSS, ECDSA, name constraints, CRLs, nesting.

mod common;

use std::path::Path;

use common::{Fixture, run};
use serde_json::Value;

fn pki() -> Fixture {
    let f = common::pki::fixture(
        "[smime]\ntrust = [\"trust.pem\"]\ncrls = [\"int.crl.pem\"]\nauthserv_id = \"mx.test\"\n",
    );
    derive_broken_signatures(&f);
    f
}

/// From pass-rsa.eml: `tampered-sig.eml` (one byte of the RSA signature value flipped)
/// and `malformed.eml` (a signature part that is not CMS).
fn derive_broken_signatures(f: &Fixture) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = std::fs::read_to_string(f.path("pass-rsa.eml"))
        .unwrap()
        .replace("\r\n", "\n");
    let marker = "filename=\"smime.p7s\"\n\n";
    let start = text.find(marker).expect("signature part") + marker.len();
    let end = start + text[start..].find("\n\n").expect("end of signature");
    let sig: String = text[start..end].split_whitespace().collect();
    let mut der = b64.decode(sig).unwrap();
    // The RSA-2048 signature value is the last OCTET STRING of 256 bytes.
    let at = der
        .windows(4)
        .rposition(|w| w == [0x04, 0x82, 0x01, 0x00])
        .unwrap()
        + 4
        + 100;
    der[at] ^= 1;
    let wrap = |bytes: &[u8]| common::base64_lines(bytes, "\n");
    let write = |name: &str, sig: String| {
        std::fs::write(
            f.path(name),
            format!("{}{sig}{}", &text[..start], &text[end..]),
        )
        .unwrap();
    };
    write("tampered-sig.eml", wrap(&der));
    write("malformed.eml", wrap(&b"\x30\x82\x01\x00garbage".repeat(8)));
    der.truncate(der.len() / 2);
    write("truncated.eml", wrap(&der));
}

/// Runs the verifier over `files` (relative to the fixture): one JSON object each.
fn verify(f: &Fixture, extra: &[&str], files: &[&str]) -> Vec<Value> {
    common::pki::smime_json(f, extra, files)
}

fn verdict(v: &Value) -> (String, Option<String>) {
    (
        v["result"].as_str().unwrap().to_string(),
        v["reason"].as_str().map(str::to_string),
    )
}

#[test]
fn every_reason_token_is_produced_by_generated_messages() {
    let f = pki();
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("pass-rsa.eml", "pass", None),
        ("pass-opaque.eml", "pass", None),
        ("pass-ec.eml", "pass", None),
        ("pass-pss.eml", "pass", None),
        ("pass-pss-salt20.eml", "pass", None),
        ("pass-p384.eml", "pass", None),
        ("pass-nc.eml", "pass", None),
        ("no-attrs.eml", "pass", None),
        ("two-signers.eml", "pass", None),
        ("tampered-body.eml", "fail", Some("digest-mismatch")),
        ("tampered-sig.eml", "fail", Some("bad-signature")),
        ("untrusted.eml", "policy", Some("untrusted-issuer")),
        ("no-chain.eml", "policy", Some("untrusted-issuer")),
        ("two-bad-signers.eml", "policy", Some("untrusted-issuer")),
        ("nc-violation.eml", "policy", Some("untrusted-issuer")),
        ("revoked.eml", "policy", Some("revoked")),
        ("wrong-eku.eml", "policy", Some("bad-key-usage")),
        ("bad-ku.eml", "policy", Some("bad-key-usage")),
        ("sha1.eml", "policy", Some("weak-algorithm")),
        ("from-mismatch.eml", "policy", Some("from-mismatch")),
        ("no-email.eml", "policy", Some("from-mismatch")),
        ("malformed.eml", "permerror", Some("malformed")),
        ("truncated.eml", "permerror", Some("malformed")),
        ("sha3.eml", "permerror", Some("unsupported-algorithm")),
    ];
    let files: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let out = verify(&f, &[], &files);
    assert_eq!(out.len(), cases.len());
    for ((file, result, reason), v) in cases.iter().zip(&out) {
        assert!(v["file"].as_str().unwrap().ends_with(file));
        assert_eq!(
            verdict(v),
            (result.to_string(), reason.map(str::to_string)),
            "{file}: {v}"
        );
        assert_eq!(v["layers"], serde_json::json!(["signed"]), "{file}");
        assert_eq!(v["decryption"], "none");
        let ar = v["authentication_results"].as_str().unwrap();
        let expected_start = match reason {
            Some(r) => format!("mx.test; smime={result} ({r})"),
            None => format!("mx.test; smime={result}"),
        };
        assert!(ar.starts_with(&expected_start), "{file}: {ar}");
    }
    // The passing ones name the signer, serial and issuer.
    let ar = out[0]["authentication_results"].as_str().unwrap();
    assert!(
        ar.contains("body.smime-identifier=alice@example.org"),
        "{ar}"
    );
    assert!(ar.contains("body.smime-serial="), "{ar}");
    assert!(
        ar.contains("body.smime-issuer=\"O=mailwarden tests,CN=Test Intermediate CA\""),
        "{ar}"
    );
    assert_eq!(out[0]["signer"], "alice@example.org");
}

#[test]
fn validity_is_judged_at_the_requested_time() {
    let f = pki();
    let late = verify(&f, &["--at", "2040-01-01T00:00:00Z"], &["pass-rsa.eml"]);
    assert_eq!(verdict(&late[0]), ("policy".into(), Some("expired".into())));
    let early = verify(
        &f,
        &["--at", "2001-01-01T00:00:00+02:00"],
        &["pass-rsa.eml"],
    );
    assert_eq!(
        verdict(&early[0]),
        ("policy".into(), Some("not-yet-valid".into()))
    );
    let (code, _, err) = run(&[
        "smime",
        "-c",
        f.config().to_str().unwrap(),
        "--at",
        "yesterday",
        "x.eml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
}

#[test]
fn nested_layers_are_reported_outermost_first() {
    let f = pki();
    let out = verify(&f, &[], &["nested.eml"]);
    let v = &out[0];
    assert_eq!(v["layers"], serde_json::json!(["signed", "signed"]));
    assert_eq!(v["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(verdict(v), ("pass".into(), None));
    // Both layers' signers are alice: the innermost bound one is reported.
    assert_eq!(v["signer"], "alice@example.org");
}

#[test]
fn from_or_sender_binds_to_the_signer_of_any_passing_layer() {
    let f = pki();
    let out = verify(
        &f,
        &[],
        &[
            "resigned-dave.eml",
            "resigned-carol.eml",
            "sender.eml",
            "sender-twice.eml",
        ],
    );
    let summary: Vec<_> = out
        .iter()
        .map(|v| {
            let (result, reason) = verdict(v);
            (
                result,
                reason,
                v["signer"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    let want = |r: &str, reason: Option<&str>, signer: &str| {
        (
            r.to_string(),
            reason.map(str::to_string),
            signer.to_string(),
        )
    };
    assert_eq!(
        summary,
        [
            // Dave's outer signature covers Alice's; From: Dave binds to it.
            want("pass", None, "dave@example.org"),
            // Neither signer is From: the innermost is reported, as before.
            want("policy", Some("from-mismatch"), "alice@example.org"),
            // Sender: names the signer.
            want("pass", None, "alice@example.org"),
            // Two Sender: headers name no one; From: carol is not the signer.
            want("policy", Some("from-mismatch"), "alice@example.org"),
        ],
        "{out:?}"
    );
    assert!(
        out[0]["authentication_results"]
            .as_str()
            .unwrap()
            .contains("body.smime-identifier=dave@example.org"),
        "{}",
        out[0]
    );
}

#[test]
fn nesting_beyond_the_limit_is_a_permerror_not_unbounded_work() {
    let f = pki();
    let out = verify(&f, &[], &["deep.eml"]);
    let v = &out[0];
    assert_eq!(
        verdict(v),
        ("permerror".into(), Some("too-many-layers".into())),
        "{v}"
    );
    assert_eq!(v["layers"].as_array().unwrap().len(), 9, "{v}");
}

#[test]
fn sha1_can_be_allowed_and_store_intermediates_are_used() {
    let f = pki();
    f.write(
        "mailwarden.toml",
        "[smime]\ntrust = [\"trust.pem\", { path = \"int.pem\", role = \"intermediates\" }]\nallow_sha1 = true\nauthserv_id = \"mx.test\"\n",
    );
    let out = verify(
        &f,
        &[],
        &["sha1.eml", "pass-rsa.eml", "revoked.eml", "no-chain.eml"],
    );
    assert_eq!(verdict(&out[0]), ("pass".into(), None));
    assert_eq!(verdict(&out[1]), ("pass".into(), None));
    // Without CRLs configured, revocation is not known.
    assert_eq!(verdict(&out[2]), ("pass".into(), None));
    // The intermediate the message lacks comes from the store.
    assert_eq!(verdict(&out[3]), ("pass".into(), None));
}

#[test]
fn unsigned_and_unreadable_files() {
    let f = pki();
    f.write("plain.eml", "From: a@example.org\nSubject: x\n\nhello\n");
    let out = verify(&f, &[], &["plain.eml"]);
    assert_eq!(verdict(&out[0]), ("none".into(), None));
    assert_eq!(out[0]["layers"], serde_json::json!([]));
    assert_eq!(out[0]["authentication_results"], "mx.test; smime=none");
    let (code, out, err) = run(&[
        "smime",
        "-c",
        f.config().to_str().unwrap(),
        "--json",
        "/nonexistent.eml",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("/nonexistent.eml"), "{err}");
}

#[test]
fn a_bad_crl_file_is_an_error_naming_it() {
    let f = pki();
    f.write(
        "bad.crl",
        "-----BEGIN X509 CRL-----\nnot base64!\n-----END X509 CRL-----\n",
    );
    f.write(
        "mailwarden.toml",
        "[smime]\ntrust = [\"trust.pem\"]\ncrls = [\"bad.crl\"]\n",
    );
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.crl"), "{err}");
    assert!(Path::new(&f.path("bad.crl")).exists());
}

#[test]
fn the_running_daemon_follows_trust_store_changes_and_keeps_a_good_store() {
    use common::Milter;
    use std::time::Duration;
    let f = pki();
    std::fs::create_dir(f.path("trust.d")).unwrap();
    std::fs::copy(f.path("other-root.pem"), f.path("trust.d/other.pem")).unwrap();
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.d\"]\nauthserv_id = \"mx.test\"\n",
    );
    let milter = Milter::start(&f.config());
    // A new file in the trust directory is picked up.
    std::fs::copy(f.path("root.pem"), f.path("trust.d/root.pem")).unwrap();
    let line = milter.wait_log("smime trust store reloaded", Duration::from_secs(20));
    assert!(line.contains("certificates=2"), "{line}");
    // A file emptied by a failed sync is refused; the loaded store stays.
    let skip = milter.log_len();
    std::fs::write(f.path("trust.d/root.pem"), "").unwrap();
    let line = milter.wait_log_after(
        skip,
        "smime trust store not reloaded",
        Duration::from_secs(20),
    );
    assert!(line.contains("root.pem"), "{line}");
    let logs = milter.logs();
    assert!(
        !logs
            .lines()
            .skip(skip)
            .any(|l| l.contains("smime trust store reloaded")),
        "{logs}"
    );
}
