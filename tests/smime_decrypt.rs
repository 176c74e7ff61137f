//! Decryption of messages encrypted with the openssl CLI at test time: AES-CBC, AES-GCM
//! (AuthEnvelopedData), RSA PKCS#1 v1.5 and OAEP key transport, signed-then-encrypted, a
//! message for another key, broken ciphertext, and the key-file checks.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Fixture, run};
use serde_json::Value;

fn fixture() -> Fixture {
    common::pki::fixture(
        "[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }, { cert = \"bob-ec.pem\", key = \"bob-ec.key\" }, { cert = \"bob-p384.pem\", key = \"bob-p384.key\" }]\n",
    )
}

fn verify(f: &Fixture, files: &[&str]) -> Vec<Value> {
    common::pki::smime_json(f, &[], files)
}

/// `name` with its base64 CMS changed by `change` (the message is one header block, a
/// blank line and base64).
fn derive(f: &Fixture, from: &str, to: &str, change: impl Fn(&mut Vec<u8>)) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = std::fs::read_to_string(f.path(from))
        .unwrap()
        .replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap();
    let mut der = b64
        .decode(body.split_whitespace().collect::<String>())
        .unwrap();
    change(&mut der);
    let body = b64.encode(&der);
    let body: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    std::fs::write(f.path(to), format!("{head}\n\n{}\n", body.join("\n"))).unwrap();
}

#[test]
fn content_and_key_transport_algorithms() {
    let f = fixture();
    let cases: &[(&str, &str)] = &[
        ("enc-aes128.eml", "ok"),
        ("enc-aes256.eml", "ok"),
        ("enc-gcm.eml", "ok"),
        ("enc-oaep.eml", "ok"),
        ("enc-oaep256.eml", "ok"),
        ("enc-carol.eml", "no-key"),
        ("enc-ec.eml", "ok"),
        ("enc-ec-sha256.eml", "ok"),
        ("enc-p384.eml", "ok"),
        // Legacy 3DES opens (allow_3des defaults to true).
        ("enc-3des.eml", "ok"),
    ];
    let files: Vec<&str> = cases.iter().map(|c| c.0).collect();
    for ((file, want), v) in cases.iter().zip(verify(&f, &files)) {
        assert_eq!(v["decryption"], *want, "{file}: {v}");
        assert_eq!(v["layers"], serde_json::json!(["enveloped"]), "{file}");
        // Encrypted but not signed: no verdict about a signature.
        assert_eq!(v["result"], "none", "{file}");
    }
}

#[test]
fn triple_des_can_be_refused() {
    let f = fixture();
    f.write(
        "mailwarden.toml",
        "[smime]\ntrust = [\"trust.pem\"]\nallow_3des = false\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }]\n",
    );
    let v = &verify(&f, &["enc-3des.eml", "enc-aes128.eml"]);
    assert_eq!(v[0]["decryption"], "unsupported", "{}", v[0]);
    assert_eq!(v[1]["decryption"], "ok", "{}", v[1]);
}

#[test]
fn signed_then_encrypted_is_verified_inside() {
    let f = fixture();
    let v = &verify(&f, &["sign-enc.eml"])[0];
    assert_eq!(
        v["layers"],
        serde_json::json!(["enveloped", "signed"]),
        "{v}"
    );
    assert_eq!(v["decryption"], "ok");
    assert_eq!(v["result"], "pass", "{v}");
    assert_eq!(v["signer"], "alice@example.org");
    // --decrypt-out writes the decrypted entity: the signed message openssl encrypted.
    let out_dir = f.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let (code, _, err) = run(&[
        "smime",
        "-c",
        f.config().to_str().unwrap(),
        "--decrypt-out",
        out_dir.to_str().unwrap(),
        f.path("sign-enc.eml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(out_dir.join("sign-enc.eml.decrypted.eml")).unwrap();
    let signed = std::fs::read_to_string(f.path("signed.part"))
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    assert_eq!(written, signed);
    // Without the key, the signature is out of reach.
    f.write("mailwarden.toml", "[smime]\ntrust = [\"trust.pem\"]\n");
    let v = &verify(&f, &["sign-enc.eml"])[0];
    assert_eq!(v["layers"], serde_json::json!(["enveloped"]), "{v}");
    assert_eq!(v["decryption"], "no-key");
    assert_eq!(v["result"], "none");
}

#[test]
fn broken_ciphertext_fails_cleanly() {
    let f = fixture();
    // The last byte of the next-to-last block: the padding no longer checks out.
    derive(&f, "enc-aes256.eml", "flipped.eml", |der| {
        let n = der.len();
        der[n - 17] ^= 0x01;
    });
    derive(&f, "enc-gcm.eml", "flipped-gcm.eml", |der| {
        let n = der.len();
        der[n / 2] ^= 0x01;
    });
    derive(&f, "enc-ec.eml", "flipped-ec.eml", |der| {
        let n = der.len();
        der[n - 17] ^= 0x01;
    });
    derive(&f, "enc-aes256.eml", "truncated.eml", |der| {
        der.truncate(der.len() - 10);
    });
    let out = verify(
        &f,
        &[
            "flipped.eml",
            "flipped-gcm.eml",
            "flipped-ec.eml",
            "truncated.eml",
        ],
    );
    for v in &out {
        assert_eq!(v["decryption"], "failed", "{v}");
        assert_ne!(v["result"], "pass", "{v}");
    }
}

#[test]
fn key_files_must_be_private_and_match_their_certificate() {
    let f = fixture();
    let config = f.config();
    let (code, out, err) = run(&["check", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::set_permissions(f.path("bob.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = run(&["check", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bob.key")
            && err.contains("readable by group or others")
            && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(f.path("bob.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(f.path("carol.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    f.write(
        "mailwarden.toml",
        "[smime]\ntrust = [\"trust.pem\"]\nkeys = [{ cert = \"bob.pem\", key = \"carol.key\" }]\n",
    );
    let (code, _, err) = run(&["check", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("carol.key") && err.contains("does not belong"),
        "{err}"
    );
    // No key material in what was printed.
    let key = std::fs::read_to_string(f.path("carol.key")).unwrap();
    let line = key.lines().nth(1).unwrap();
    assert!(!err.contains(line), "{err}");
}
