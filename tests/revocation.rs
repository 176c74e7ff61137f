//! Revocation with CRLs made by the openssl CLI at test time (besides NIST PKITS in
//! tests/pkits.rs): stale, bad signature, out of scope, delta with and without its base,
//! removeFromCRL lifting a hold, `revocation = "require"`, and what `check`, `trust list`
//! and the audit fields say about them.
//!
//! The PKI is tests/smime/make-pki.sh's: root -> int -> alice (pass-rsa.eml), alice-ec
//! (pass-ec.eml), alice-revoked (revoked.eml, on int.crl.pem). Each test writes further CRLs
//! with `openssl ca` from int's database (crlca.cnf).

mod common;

use common::pki::openssl;
use common::{Fixture, run};

/// Extra `openssl ca` sections: a delta CRL indicator (base CRL number 2; openssl has no
/// config name for it, so its DER), and issuing distribution points for CA or user
/// certificates only.
const CRL_SECTIONS: &str = "
[delta_of_2]
deltaCRL = critical,DER:02:01:02
[only_ca]
issuingDistributionPoint = critical,@only_ca_idp
[only_ca_idp]
onlyCA = TRUE
[only_user]
issuingDistributionPoint = critical,@only_user_idp
[only_user_idp]
onlyuser = TRUE
";

fn fixture() -> Fixture {
    let f = common::pki::fixture("");
    let cnf = std::fs::read_to_string(f.path("crlca.cnf")).unwrap();
    f.write("crlca.cnf", &format!("{cnf}{CRL_SECTIONS}"));
    f
}

fn configure(f: &Fixture, crls: &[&str], revocation: &str) {
    let list: Vec<String> = crls.iter().map(|c| format!("\"{c}\"")).collect();
    f.write(
        "mailwarden.toml",
        &format!(
            "[smime]\ntrust = [\"trust.pem\"]\ncrls = [{}]\nrevocation = \"{revocation}\"\nauthserv_id = \"mx.test\"\n",
            list.join(", ")
        ),
    );
}

/// `openssl ca -config crlca.cnf ARGS...` in the fixture.
fn ca(f: &Fixture, args: &[&str]) {
    let mut all = vec!["ca", "-config", "crlca.cnf", "-batch"];
    all.extend_from_slice(args);
    openssl(f.dir.path(), &all);
}

/// (result, reason, revoked_by) of each file, in order.
fn verdicts(f: &Fixture, extra: &[&str], files: &[&str]) -> Vec<(String, String, String)> {
    common::pki::smime_json(f, extra, files)
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("-").to_string();
            (s("result"), s("reason"), s("revoked_by"))
        })
        .collect()
}

fn rv(result: &str, reason: &str) -> (String, String) {
    (result.to_string(), reason.to_string())
}

fn short(v: &[(String, String, String)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b, _)| (a.clone(), b.clone())).collect()
}

/// RFC 3339 of now plus `days`.
fn days_from_now(days: u64) -> String {
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(days * 86_400);
    let out = std::process::Command::new("date")
        .args([
            "-u",
            "-d",
            &format!(
                "@{}",
                t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            ),
            "+%Y-%m-%dT%H:%M:%SZ",
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_listed_certificate_is_revoked_and_the_audit_names_the_crl() {
    let f = fixture();
    configure(&f, &["int.crl.pem"], "best-effort");
    let v = verdicts(&f, &[], &["revoked.eml", "pass-rsa.eml"]);
    assert_eq!(
        short(&v),
        [rv("policy", "revoked"), rv("pass", "-")],
        "{v:?}"
    );
    assert!(
        v[0].2.contains("CN=Test Intermediate CA") && v[0].2.ends_with("#01"),
        "revoked_by names the CRL's issuer and number: {v:?}"
    );
}

#[test]
fn a_stale_crl_settles_nothing_and_is_warned_about() {
    let f = fixture();
    configure(&f, &["int.crl.pem"], "best-effort");
    // int.crl.pem is good for 30 days; the certificates for a year.
    let later = days_from_now(40);
    let v = verdicts(&f, &["--at", &later], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [
            rv("policy", "revocation-unknown"),
            rv("policy", "revocation-unknown")
        ],
        "{v:?}"
    );
    // A CRL that goes stale within a day: check and trust list warn, and say so in JSON.
    ca(&f, &["-gencrl", "-crlhours", "2", "-out", "soon.crl.pem"]);
    configure(&f, &["soon.crl.pem"], "best-effort");
    let config = f.config();
    let (code, _, err) = run(&["check", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("soon.crl.pem") && err.contains("goes stale within 24 hours"),
        "{err}"
    );
    let (code, out, err) = run(&["trust", "list", "-c", config.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["crls"][0]["status"], "expiring", "{listed}");
    assert!(
        listed["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("soon.crl.pem")),
        "{listed}"
    );
}

#[test]
fn a_crl_with_a_bad_signature_settles_nothing() {
    let f = fixture();
    let der = openssl(
        f.dir.path(),
        &["crl", "-in", "int.crl.pem", "-outform", "DER"],
    );
    let mut bad = der.clone();
    let last = bad.len() - 10;
    bad[last] ^= 0x01;
    std::fs::write(f.path("bad-sig.crl"), bad).unwrap();
    configure(&f, &["bad-sig.crl"], "best-effort");
    let v = verdicts(&f, &[], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [
            rv("policy", "revocation-unknown"),
            rv("policy", "revocation-unknown")
        ],
        "a CRL that does not verify neither clears nor revokes: {v:?}"
    );
}

#[test]
fn a_crl_whose_scope_excludes_the_certificate_settles_nothing() {
    let f = fixture();
    ca(
        &f,
        &["-gencrl", "-crlexts", "only_ca", "-out", "only-ca.crl.pem"],
    );
    ca(
        &f,
        &[
            "-gencrl",
            "-crlexts",
            "only_user",
            "-out",
            "only-user.crl.pem",
        ],
    );
    configure(&f, &["only-ca.crl.pem"], "best-effort");
    let v = verdicts(&f, &[], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [
            rv("policy", "revocation-unknown"),
            rv("policy", "revocation-unknown")
        ],
        "an onlyContainsCACerts CRL says nothing about end entities: {v:?}"
    );
    configure(&f, &["only-user.crl.pem"], "best-effort");
    let v = verdicts(&f, &[], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [rv("pass", "-"), rv("policy", "revoked")],
        "an onlyContainsUserCerts CRL covers them: {v:?}"
    );
}

#[test]
fn a_delta_crl_applies_with_its_base_and_lifts_a_hold() {
    let f = fixture();
    // Base CRL number 02: alice-revoked (from the fixture) and alice-ec on hold.
    ca(
        &f,
        &[
            "-revoke",
            "alice-ec.pem",
            "-crl_hold",
            "holdInstructionReject",
        ],
    );
    ca(&f, &["-gencrl", "-out", "base.crl.pem"]);
    // Delta 03 on base 02, from a database of the changes since: alice revoked, alice-ec
    // removed from the CRL.
    let cnf = std::fs::read_to_string(f.path("crlca.cnf")).unwrap();
    std::fs::create_dir_all(f.path("delta")).unwrap();
    std::fs::write(f.path("delta/index.txt"), "").unwrap();
    std::fs::copy(f.path("crlca/crlnumber"), f.path("delta/crlnumber")).unwrap();
    let dir = f.dir.path().display().to_string();
    f.write(
        "delta.cnf",
        &cnf.replace(&format!("{dir}/crlca/"), &format!("{dir}/delta/")),
    );
    let delta = |args: &[&str]| {
        let mut all = vec!["ca", "-config", "delta.cnf", "-batch"];
        all.extend_from_slice(args);
        openssl(f.dir.path(), &all);
    };
    delta(&["-revoke", "alice.pem", "-crl_reason", "keyCompromise"]);
    delta(&["-revoke", "alice-ec.pem", "-crl_reason", "removeFromCRL"]);
    delta(&["-gencrl", "-crlexts", "delta_of_2", "-out", "delta.crl.pem"]);
    let files = ["pass-rsa.eml", "pass-ec.eml", "revoked.eml"];

    configure(&f, &["base.crl.pem"], "best-effort");
    assert_eq!(
        short(&verdicts(&f, &[], &files)),
        [
            rv("pass", "-"),
            rv("policy", "revoked"),
            rv("policy", "revoked")
        ],
        "the base alone: alice-ec on hold"
    );
    configure(&f, &["base.crl.pem", "delta.crl.pem"], "best-effort");
    let v = verdicts(&f, &[], &files);
    assert_eq!(
        short(&v),
        [
            rv("policy", "revoked"),
            rv("pass", "-"),
            rv("policy", "revoked")
        ],
        "with the delta: alice revoked, alice-ec's hold lifted: {v:?}"
    );
    assert!(v[0].2.ends_with("#03"), "the delta decided: {v:?}");
    configure(&f, &["delta.crl.pem"], "best-effort");
    assert_eq!(
        short(&verdicts(&f, &[], &files)),
        [
            rv("policy", "revocation-unknown"),
            rv("policy", "revocation-unknown"),
            rv("policy", "revocation-unknown")
        ],
        "a delta without its base settles nothing"
    );
}

#[test]
fn require_needs_a_current_crl_for_every_certificate_of_the_path() {
    let f = fixture();
    configure(&f, &["int.crl.pem"], "require");
    let v = verdicts(&f, &[], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [rv("policy", "revocation-unknown"), rv("policy", "revoked")],
        "the root has no CRL, so the intermediate is unsettled: {v:?}"
    );
    // The root's CRL (empty) settles the intermediate.
    let cnf = std::fs::read_to_string(f.path("crlca.cnf")).unwrap();
    std::fs::create_dir_all(f.path("rootca")).unwrap();
    std::fs::write(f.path("rootca/index.txt"), "").unwrap();
    std::fs::write(f.path("rootca/crlnumber"), "01\n").unwrap();
    let dir = f.dir.path().display().to_string();
    f.write(
        "rootca.cnf",
        &cnf.replace(&format!("{dir}/crlca/"), &format!("{dir}/rootca/"))
            .replace(&format!("{dir}/int."), &format!("{dir}/root.")),
    );
    openssl(
        f.dir.path(),
        &[
            "ca",
            "-config",
            "rootca.cnf",
            "-batch",
            "-gencrl",
            "-out",
            "root.crl.pem",
        ],
    );
    configure(&f, &["int.crl.pem", "root.crl.pem"], "require");
    let v = verdicts(&f, &[], &["pass-rsa.eml", "revoked.eml"]);
    assert_eq!(
        short(&v),
        [rv("pass", "-"), rv("policy", "revoked")],
        "{v:?}"
    );
    // Under best-effort the root's missing CRL is not held against anyone.
    configure(&f, &["int.crl.pem"], "best-effort");
    assert_eq!(
        short(&verdicts(&f, &[], &["pass-rsa.eml"])),
        [rv("pass", "-")]
    );
}
