//! Conformance with the real-client corpus in ../shared/corpus/thunderbird-smime (72
//! NSS/Thunderbird messages; manifest.json records, per layer, what OpenSSL found).
//!
//! Every signature layer we reach must get OpenSSL's cryptographic verdict at the
//! reference time: "ok" is pass (SHA-1: policy/weak-algorithm), a failing `-noverify`
//! run is fail, a failing chain is policy. The innermost layer may instead be
//! policy/from-mismatch where From: names someone else (our From binding). Signers are
//! found by the legacy emailAddress of the subject. Where our message verdict differs
//! from Thunderbird's, the message must be listed in docs/known-divergences.md.

mod common;

use std::path::{Path, PathBuf};

use common::Fixture;
use serde_json::Value;

const REFERENCE_TIME: &str = "2026-02-01T00:00:00Z";

/// The shared corpus: `$MAILWARDEN_SHARED_DIR`, else `../shared` next to the checkout, else
/// `/work/shared` (where this machine keeps it when the checkout lives elsewhere).
fn corpus() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MAILWARDEN_SHARED_DIR").map(PathBuf::from),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared"
        ))),
        Some(PathBuf::from("/work/shared")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|d| d.join("corpus/thunderbird-smime"))
        .find(|d| d.join("manifest.json").exists())
}

/// Runs `mailwarden smime --json --at REFERENCE_TIME` over every message of the manifest.
fn run_corpus(dir: &Path, f: &Fixture, keys: &str) -> Vec<Value> {
    f.write(
        "mailwarden.toml",
        &format!(
            "[smime]\ntrust = [\"{}\"]\nauthserv_id = \"mx.test\"\n{keys}",
            dir.join("TestCA.pem").display()
        ),
    );
    let manifest = manifest(dir);
    let files: Vec<String> = manifest
        .iter()
        .map(|e| dir.join(e["file"].as_str().unwrap()).display().to_string())
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    // Absolute paths: the fixture only holds the settings.
    let ours = common::pki::smime_json(f, &["--at", REFERENCE_TIME], &files);
    assert_eq!(ours.len(), manifest.len());
    ours
}

fn manifest(dir: &Path) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

const DECRYPTION_SECTION: &str = "Decryption reached where Thunderbird stops";

/// Compares every reachable signature layer with OpenSSL's verdict and the message verdict
/// (and, with keys, the decryption) with Thunderbird's, unless documented as a divergence.
/// `with_key`: enveloped layers that Bob's key opens are reached.
fn check(manifest: &[Value], ours: &[Value], with_key: bool) -> (Vec<String>, usize) {
    let divergences = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/known-divergences.md"
    ))
    .unwrap();
    // Decryption differences are listed in their own section.
    let decryption_section = divergences
        .split("\n## ")
        .find(|s| s.starts_with(DECRYPTION_SECTION))
        .expect("the decryption section of docs/known-divergences.md");
    // Verdict differences: every other section but PKITS's.
    let verdict_sections: String = divergences
        .split("\n## ")
        .filter(|s| !s.starts_with(DECRYPTION_SECTION) && !s.starts_with("NIST PKITS"))
        .collect();
    let mut problems = Vec::new();
    let mut layers_checked = 0;
    for (e, o) in manifest.iter().zip(ours) {
        let file = e["file"].as_str().unwrap();
        let name = file.rsplit('/').next().unwrap();
        // The signature layers before the first layer we cannot open (an enveloped layer
        // without our key; an OpenPGP signature: not S/MIME).
        let mut expected = Vec::new();
        for l in e["layers"].as_array().unwrap() {
            let kind = l["layer"].as_str().unwrap();
            if kind == "enveloped" && !(with_key && l["decrypts_with"] == "bob")
                || kind.contains("[pgp]")
            {
                break;
            }
            if kind == "multipart/signed" || kind == "opaque-signed" {
                expected.push(l);
            }
        }
        let got = o["signatures"].as_array().unwrap();
        if got.len() != expected.len() {
            problems.push(format!(
                "{file}: {} signature layers, expected {}",
                got.len(),
                expected.len()
            ));
            continue;
        }
        let from = e["from"].as_str().unwrap_or("").to_ascii_lowercase();
        for (i, (l, s)) in expected.iter().zip(got).enumerate() {
            layers_checked += 1;
            let at_ref = l["openssl_verify_at_ref"].as_str().unwrap_or("");
            let noverify = l["openssl_verify_noverify"].as_str().unwrap_or("");
            let signer = l["signer"].as_str().map(str::to_ascii_lowercase);
            let (want, want_reason) = if at_ref == "ok" {
                if l["digest"] == "sha1" {
                    ("policy", Some("weak-algorithm"))
                } else {
                    ("pass", None)
                }
            } else if noverify != "ok" {
                ("fail", None)
            } else {
                ("policy", None)
            };
            let result = s["result"].as_str().unwrap();
            let reason = s["reason"].as_str();
            let innermost = i + 1 == expected.len();
            let from_bound = innermost
                && want == "pass"
                && result == "policy"
                && reason == Some("from-mismatch")
                && signer.as_deref() != Some(from.as_str());
            let ok =
                from_bound || (result == want && (want_reason.is_none() || reason == want_reason));
            if !ok {
                problems.push(format!("{file} layer {i}: got {result}/{reason:?}, OpenSSL says {want}/{want_reason:?} ({at_ref})"));
            }
            if s["signer"].as_str() != signer.as_deref() {
                problems.push(format!(
                    "{file} layer {i}: signer {:?}, expected {signer:?}",
                    s["signer"]
                ));
            }
        }
        let expect = &e["expect"];
        let same = o["result"] == expect["result"]
            && (o["reason"] == expect["reason"]
                || (expect["reason"] == "weak-digest" && o["reason"] == "weak-algorithm"));
        let listed = verdict_sections.contains(name);
        if !same && !listed {
            problems.push(format!(
                "{file}: ours {}/{} vs Thunderbird {}/{} is not listed in docs/known-divergences.md",
                o["result"], o["reason"], expect["result"], expect["reason"]
            ));
        }
        // The reported signer is Thunderbird's (the bound one, RFC 8550 §3) where both name one.
        let signer_agrees = match (o["signer"].as_str(), expect["signer"].as_str()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        if !signer_agrees && !listed {
            problems.push(format!(
                "{file}: signer {} vs Thunderbird's {} is not listed in docs/known-divergences.md",
                o["signer"], expect["signer"]
            ));
        }
        // The list stays true: a message without encryption (same answer with or without a
        // key) that agrees in every respect must not be listed.
        let has_enveloped = e["layers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["layer"] == "enveloped");
        if same && signer_agrees && listed && !has_enveloped {
            problems.push(format!(
                "{file}: listed in docs/known-divergences.md but agrees with Thunderbird ({}/{})",
                o["result"], o["reason"]
            ));
        }
        if with_key && o["decryption"] != expect["decryption"] && !decryption_section.contains(name)
        {
            problems.push(format!(
                "{file}: decryption {} vs Thunderbird {} is not listed under \"{DECRYPTION_SECTION}\" in docs/known-divergences.md",
                o["decryption"], expect["decryption"]
            ));
        }
    }
    (problems, layers_checked)
}

#[test]
fn every_reachable_signature_layer_matches_openssl_and_divergences_are_documented() {
    let dir = corpus().expect(
        "the corpus shared/corpus/thunderbird-smime is missing (looked in $MAILWARDEN_SHARED_DIR, ../shared, /work/shared)",
    );
    let manifest = manifest(&dir);
    assert_eq!(manifest.len(), 72);
    let f = Fixture::new();
    let ours = run_corpus(&dir, &f, "");
    // Without a key, no enveloped layer opens.
    for o in &ours {
        assert_ne!(o["decryption"], "ok", "{o}");
    }
    let (problems, layers) = check(&manifest, &ours, false);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(layers >= 70, "only {layers} layers checked");
}

#[test]
fn with_bobs_key_the_layers_inside_encryption_match_too() {
    use std::os::unix::fs::PermissionsExt;
    let dir = corpus().expect("the shared corpus is missing");
    let manifest = manifest(&dir);
    let f = Fixture::new();
    // The corpus files are world-readable; a key must not be.
    std::fs::copy(dir.join("keys/bob.key.pem"), f.path("bob.key")).unwrap();
    std::fs::set_permissions(f.path("bob.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let keys = format!(
        "keys = [{{ cert = \"{}\", key = \"bob.key\" }}]\n",
        dir.join("keys/bob.cert.pem").display()
    );
    let ours = run_corpus(&dir, &f, &keys);
    // The same key from the original PKCS#12 file (PBES2/AES-256, SHA-256 MAC, BER, password
    // "nss" from a file) gives exactly the same answers.
    std::fs::copy(dir.join("keys/Bob.p12"), f.path("Bob.p12")).unwrap();
    std::fs::set_permissions(f.path("Bob.p12"), std::fs::Permissions::from_mode(0o600)).unwrap();
    f.write("bob.pw", "nss\n");
    std::fs::set_permissions(f.path("bob.pw"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_p12 = run_corpus(
        &dir,
        &f,
        "keys = [{ pkcs12 = \"Bob.p12\", password_file = \"bob.pw\" }]\n",
    );
    assert_eq!(from_p12, ours, "Bob.p12 and the PEM key disagree");
    let opened = ours.iter().filter(|o| o["decryption"] == "ok").count();
    // Every message with a layer Bob's key opens, where mailwarden reaches it.
    assert_eq!(opened, 32, "decrypted {opened}");
    let (problems, layers) = check(&manifest, &ours, true);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(layers >= 90, "only {layers} layers checked");
}
