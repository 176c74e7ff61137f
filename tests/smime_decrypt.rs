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
    let body = common::base64_lines(&der, "\n");
    std::fs::write(f.path(to), format!("{head}\n\n{body}\n")).unwrap();
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

/// Settings with one `keys` entry (`entry` is the inside of its `{ }`).
fn with_key(f: &Fixture, entry: &str) {
    f.write(
        "mailwarden.toml",
        &format!("[smime]\ntrust = [\"trust.pem\"]\nkeys = [{{ {entry} }}]\n"),
    );
}

fn check(f: &Fixture, env: &[(&str, &str)]) -> (i32, String) {
    let config = f.config();
    let (code, out, err) = common::run_env(&["check", "-c", config.to_str().unwrap()], env);
    (code, format!("{out}{err}"))
}

#[test]
fn pkcs12_files_and_encrypted_keys_open_mail() {
    let f = fixture();
    // (keys entry, message it must open, message for the other key type)
    let cases = [
        // OpenSSL 3 default: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC.
        (
            r#"pkcs12 = "bob.p12", password_file = "bob.pw""#,
            "enc-aes256.eml",
            "enc-ec.eml",
        ),
        // PKCS#12 PBE SHA-1/3DES for key and certificates, SHA-1 MAC.
        (
            r#"pkcs12 = "bob-3des.p12", password_file = "bob.pw""#,
            "enc-oaep.eml",
            "enc-ec.eml",
        ),
        (
            r#"pkcs12 = "bob-ec.p12", password_file = "bob.pw""#,
            "enc-ec.eml",
            "enc-aes256.eml",
        ),
        // `openssl pkcs12 -legacy`: certificates under RC2-40, the key under 3DES.
        (
            r#"pkcs12 = "bob-rc2.p12", password_file = "bob.pw""#,
            "enc-aes128.eml",
            "enc-ec.eml",
        ),
        // No password, as two zero bytes (OpenSSL) and as nothing at all (GnuTLS
        // --null-password): an empty password file means "no password".
        (
            r#"pkcs12 = "bob-nopass.p12", password_file = "empty.pw""#,
            "enc-aes256.eml",
            "enc-ec.eml",
        ),
        (
            r#"pkcs12 = "bob-null.p12", password_file = "empty.pw""#,
            "enc-aes256.eml",
            "enc-ec.eml",
        ),
        // Encrypted PKCS#8: PBES2 HMAC-SHA512/AES-256 in PEM; PBE-SHA1-3DES in DER.
        (
            r#"cert = "bob.pem", key = "bob.enc.key", password_file = "bob.pw""#,
            "enc-gcm.eml",
            "enc-ec.eml",
        ),
        (
            r#"cert = "bob-ec.pem", key = "bob-ec.enc.der", password_env = "BOB_KEY_PASSWORD""#,
            "enc-ec-sha256.eml",
            "enc-aes256.eml",
        ),
    ];
    let password = std::fs::read_to_string(f.path("bob.pw")).unwrap();
    let env = [("BOB_KEY_PASSWORD", password.trim_end())];
    for (entry, opens, other) in cases {
        with_key(&f, entry);
        let (code, out) = check(&f, &env);
        assert_eq!(code, 0, "{entry}: {out}");
        assert!(
            out.contains("smime decryption key: CN=Bob"),
            "{entry}: {out}"
        );
        // Only the legacy export is reported weak, with the way out.
        let weak = out
            .contains("weak: its certificates are protected with pbeWithSHAAnd40BitRC2-CBC")
            && out.contains("re-export");
        assert_eq!(weak, entry.contains("bob-rc2.p12"), "{entry}: {out}");
        let config = f.config();
        let (code, out, err) = common::run_env(
            &[
                "smime",
                "-c",
                config.to_str().unwrap(),
                "--json",
                f.path(opens).to_str().unwrap(),
                f.path(other).to_str().unwrap(),
            ],
            &env,
        );
        assert_eq!(code, 0, "{err}");
        let v: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(v[0]["decryption"], "ok", "{entry}: {opens}: {}", v[0]);
        assert_eq!(v[1]["decryption"], "no-key", "{entry}: {other}: {}", v[1]);
    }
}

#[test]
fn key_passwords_and_containers_fail_with_clear_errors() {
    let f = fixture();
    let password = std::fs::read_to_string(f.path("bob.pw")).unwrap();
    let password = password.trim_end();
    let mut outputs = Vec::new();
    let mut expect_error = |entry: &str, env: &[(&str, &str)], wanted: &[&str]| {
        with_key(&f, entry);
        let (code, out) = check(&f, env);
        assert_eq!(code, 1, "{entry}: {out}");
        for w in wanted {
            assert!(out.contains(w), "{entry}: wanted {w:?} in: {out}");
        }
        outputs.push(out);
    };
    f.write("wrong.pw", "not the password\n");
    std::fs::set_permissions(f.path("wrong.pw"), std::fs::Permissions::from_mode(0o600)).unwrap();
    expect_error(
        r#"pkcs12 = "bob.p12", password_file = "wrong.pw""#,
        &[],
        &["bob.p12", "wrong password"],
    );
    expect_error(
        r#"pkcs12 = "bob-3des.p12", password_file = "wrong.pw""#,
        &[],
        &["bob-3des.p12", "wrong password"],
    );
    expect_error(
        r#"cert = "bob.pem", key = "bob.enc.key", password_file = "wrong.pw""#,
        &[],
        &["bob.enc.key", "wrong password"],
    );
    expect_error(
        r#"cert = "bob.pem", key = "bob.enc.key""#,
        &[],
        &["bob.enc.key", "encrypted", "password_file or password_env"],
    );
    expect_error(
        r#"cert = "bob.pem", key = "bob.key", password_file = "bob.pw""#,
        &[],
        &["bob.key", "not encrypted"],
    );
    // A private key under RC2-40: named, with the way out (only certificates are read so).
    expect_error(
        r#"pkcs12 = "bob-rc2-key.p12", password_file = "bob.pw""#,
        &[],
        &["bob-rc2-key.p12", "RC2", "re-export"],
    );
    // The empty password is tried in both forms, and a wrong one is still wrong.
    expect_error(
        r#"pkcs12 = "bob.p12", password_file = "empty.pw""#,
        &[],
        &["bob.p12", "wrong password"],
    );
    expect_error(
        r#"pkcs12 = "bob.p12", password_env = "MAILWARDEN_TEST_UNSET""#,
        &[],
        &["MAILWARDEN_TEST_UNSET", "not set"],
    );
    // The config itself: a PKCS#12 file needs a password source, and only one.
    expect_error(
        r#"pkcs12 = "bob.p12""#,
        &[],
        &["mailwarden.toml:3", "password_file"],
    );
    expect_error(
        r#"pkcs12 = "bob.p12", password_file = "bob.pw", password_env = "X""#,
        &[],
        &["mailwarden.toml:3", "not both"],
    );
    expect_error(
        r#"pkcs12 = "bob.p12", cert = "bob.pem", password_file = "bob.pw""#,
        &[],
        &["mailwarden.toml:3", "pkcs12 alone"],
    );
    // Password files and PKCS#12 files are secrets: group/world readable is refused.
    for (file, entry) in [
        ("bob.pw", r#"pkcs12 = "bob.p12", password_file = "bob.pw""#),
        ("bob.p12", r#"pkcs12 = "bob.p12", password_file = "bob.pw""#),
    ] {
        std::fs::set_permissions(f.path(file), std::fs::Permissions::from_mode(0o640)).unwrap();
        expect_error(
            entry,
            &[],
            &[file, "readable by group or others", "chmod 600"],
        );
        std::fs::set_permissions(f.path(file), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // A garbage PKCS#12 file.
    let mut garbage = std::fs::read(f.path("bob.p12")).unwrap();
    garbage.truncate(garbage.len() / 2);
    std::fs::write(f.path("half.p12"), &garbage).unwrap();
    std::fs::set_permissions(f.path("half.p12"), std::fs::Permissions::from_mode(0o600)).unwrap();
    expect_error(
        r#"pkcs12 = "half.p12", password_file = "bob.pw""#,
        &[],
        &["half.p12", "not a readable PKCS#12 file"],
    );
    // And with the right password from the environment, it loads.
    with_key(&f, r#"pkcs12 = "bob.p12", password_env = "BOB_PW""#);
    let (code, out) = check(&f, &[("BOB_PW", password)]);
    assert_eq!(code, 0, "{out}");
    // Neither the password nor key material is ever printed.
    let key = std::fs::read_to_string(f.path("bob.key")).unwrap();
    let key_line = key.lines().nth(1).unwrap();
    for out in &outputs {
        assert!(!out.contains(password), "{out}");
        assert!(!out.contains(key_line), "{out}");
    }
}

#[test]
fn encrypted_parts_enclosed_in_a_multipart_are_reported() {
    let f = fixture();
    let v = verify(
        &f,
        &["enclosed-bob.eml", "enclosed-carol.eml", "enc-aes128.eml"],
    );
    // Not a layer of the message, but the gateway says whether it can read it.
    assert_eq!(v[0]["decryption"], "ok", "{}", v[0]);
    assert_eq!(v[1]["decryption"], "no-key", "{}", v[1]);
    for m in &v[..2] {
        assert_eq!(m["layers"], serde_json::json!([]), "{m}");
        assert_eq!(m["result"], "none", "{m}");
    }
    assert_eq!(v[2]["layers"], serde_json::json!(["enveloped"]));
}

#[test]
fn the_running_daemon_follows_key_and_password_file_changes() {
    use common::Milter;
    use std::time::Duration;
    let f = fixture();
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nkeys = [{ pkcs12 = \"bob.p12\", password_file = \"bob.pw\" }]\n",
    );
    let password = std::fs::read(f.path("bob.pw")).unwrap();
    let milter = Milter::start(&f.config());
    // A wrong password (a half-done rotation) is refused; the loaded key stays.
    std::fs::write(f.path("bob.pw"), "not the password\n").unwrap();
    let line = milter.wait_log("smime trust store not reloaded", Duration::from_secs(20));
    assert!(
        line.contains("bob.p12") && line.contains("wrong password"),
        "{line}"
    );
    // The rotation completes: a new PKCS#12 file (the EC key) with its password.
    let skip = milter.log_len();
    std::fs::copy(f.path("bob-ec.p12"), f.path("bob.p12")).unwrap();
    std::fs::write(f.path("bob.pw"), &password).unwrap();
    let line = milter.wait_log_after(skip, "smime trust store reloaded", Duration::from_secs(20));
    assert!(line.contains("keys=1"), "{line}");
    let password = String::from_utf8(password).unwrap();
    assert!(
        !milter.logs().contains(password.trim_end()),
        "the password was logged"
    );
}
