//! Entry points for the fuzz targets (`fuzz/`) and for the regression test that replays
//! every saved input in CI (`tests/fuzz_regressions.rs`): one definition of what each
//! target exercises and which invariants it asserts. A panic is a finding.

use std::path::Path;

use crate::auth_results::authentication_results;
use crate::policy::Address;
use crate::policy::ruleset::{parse_access_rules, parse_allowlist};
use crate::smime::Engine;
use crate::smime::outcome::{Outcome, Reason, SignerIdentity};

/// Rule-file parsers (allowlist and access rules), then lookups with addresses taken from
/// the same bytes.
pub fn rule_files(data: &[u8]) {
    let path = Path::new("/fuzz/rules.txt");
    let (allow, _) = parse_allowlist(path, data);
    let (access, _) = parse_access_rules(path, data);
    let text = String::from_utf8_lossy(data);
    let mut words = text.split_whitespace().take(4);
    let a = Address::parse(words.next().unwrap_or(""), "+");
    let b = Address::parse(words.next().unwrap_or("x@y.example"), "+-");
    let _ = allow.first_match(&a);
    let _ = allow.first_match(&b);
    let _ = access.first_match(&a, &b);
    let _ = access.first_match(&b, &a);
}

/// The settings parser (no file is read: paths are only resolved).
pub fn settings(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::config::parse(
            text,
            Path::new("/fuzz/mailwarden.toml"),
            Path::new("/nonexistent-fuzz"),
        );
    }
}

/// The trust-store reader (PEM, DER, PKCS#7, also PEM-labelled, .sst), what `trust list`
/// prints, and handing the certificates to the path validator, as a reload does.
pub fn trust_store(data: &[u8]) {
    use crate::smime::pki::trust::{Role, TrustStore, parse_bytes};
    let path = Path::new("/fuzz/ca.pem");
    if let Ok(certs) = parse_bytes(path, data) {
        let mut store = TrustStore::default();
        store.add(certs, Role::Auto, path);
        for tc in &store.certs {
            let _ = (tc.subject(), tc.issuer(), tc.serial_hex(), tc.fingerprint());
            let _ = (tc.not_before(), tc.not_after());
        }
        let _ = crate::smime::pki::path::PathValidator::new(
            &store,
            Vec::new(),
            crate::smime::RevocationSetting::BestEffort,
            false,
            200,
        );
    }
}

/// The CRL reader, and RFC 5280 revocation over the CRLs it read for the certificates of
/// `path` (anchor first; empty for the fuzz target), every signer taken as valid.
pub fn crls(data: &[u8], path: &[x509_cert::Certificate]) {
    use crate::smime::pki::revocation::{Context, path_status};
    let Ok(list) = crate::smime::pki::crl::parse(data) else {
        return;
    };
    for c in &list {
        let _ = (c.label(), c.next_update(), c.is_delta(), c.this_update());
    }
    for at in [0, 1_800_000_000, u64::MAX] {
        let ctx = Context {
            crls: &list,
            pool: path,
            at,
            allow_sha1: true,
            signer_valid: &|_| true,
        };
        let _ = path_status(&ctx, path);
    }
}

/// PKCS#12 and encrypted PKCS#8 readers (wrong passwords, broken MACs, odd PBEs).
pub fn key_containers(data: &[u8]) {
    let _ = crate::smime::keys::pkcs12::open(data, b"nss");
    let _ = crate::smime::keys::pkcs12::open(data, b"");
    let _ = crate::smime::keys::pkcs12::decrypt_pkcs8(data, b"nss");
}

/// The whole S/MIME pipeline from raw message bytes to verdict (MIME detection, CMS
/// parsing, decryption with the engine's keys, verification), then the header we would
/// write from that verdict.
pub fn smime_message(engine: &Engine, data: &[u8]) {
    let raw = crate::smime::mime::to_crlf(data);
    let now = crate::smime::pki::path::unix_secs(std::time::SystemTime::now());
    let report = engine.verify(&raw, now, None);
    let value = crate::auth_results::for_report("mx.fuzz.example", &report);
    assert_one_header_line(&value, "mx.fuzz.example");
    let _ = report.identity();
}

/// The engine the message target runs with: the test PKI that tests/smime/make-pki.sh
/// wrote into `dir` (its root as the trust store; Bob's RSA, P-256 and P-384 keys).
pub fn engine_for_test_pki(dir: &Path) -> Engine {
    let toml = "[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.fuzz.example\"\n\
                keys = [{ cert = \"bob.pem\", key = \"bob.key\" }, { cert = \"bob-ec.pem\", key = \"bob-ec.key\" }, { cert = \"bob-p384.pem\", key = \"bob-p384.key\" }]\n";
    let settings = crate::config::parse(toml, &dir.join("mailwarden.toml"), dir)
        .unwrap_or_else(|e| panic!("fuzz settings: {e}"));
    Engine::load(&settings.smime.engine).unwrap_or_else(|e| panic!("fuzz engine: {e:?}"))
}

/// The Authentication-Results builder with attacker-chosen signer text: the value is
/// always one header line with exactly one `smime=` result.
pub fn authentication_results_value(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let authserv = parts.next().unwrap_or("").to_owned();
    let signer = SignerIdentity {
        email: parts.next().map(str::to_owned),
        serial_hex: parts.next().map(str::to_owned),
        issuer: parts.next().map(str::to_owned),
    };
    let outcome = match data.first().map(|b| b % 4) {
        Some(0) => Outcome::PASS,
        Some(1) => Outcome::from_reason(Reason::BadSignature),
        Some(2) => Outcome::from_reason(Reason::Malformed),
        _ => Outcome::NONE,
    };
    let value = authentication_results(&authserv, outcome, &signer);
    let id: String = value.split(';').next().unwrap_or("").to_owned();
    assert_one_header_line(&value, &id);
}

/// One unfolded header line: printable ASCII, our authserv-id, then one `smime=` result;
/// no `;` outside quoted strings and comments (which would start another result).
pub fn assert_one_header_line(value: &str, authserv_id: &str) {
    assert!(
        value.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "not printable ASCII: {value:?}"
    );
    let rest = value
        .strip_prefix(authserv_id)
        .and_then(|r| r.strip_prefix("; smime="))
        .unwrap_or_else(|| panic!("does not start with the authserv-id and smime=: {value:?}"));
    let (mut quoted, mut escaped, mut depth) = (false, false, 0u32);
    for c in rest.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            ';' if !quoted && depth == 0 => panic!("a second result: {value:?}"),
            _ => {}
        }
    }
    assert!(!quoted, "unterminated quoted string: {value:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_invariant_rejects_injection() {
        assert_one_header_line(
            "mx.example; smime=pass (ok) body.smime-issuer=\"a;b\"",
            "mx.example",
        );
        let injected = std::panic::catch_unwind(|| {
            assert_one_header_line("mx.example; smime=pass; dkim=pass", "mx.example")
        });
        assert!(injected.is_err());
        let folded = std::panic::catch_unwind(|| {
            assert_one_header_line("mx.example; smime=pass\r\n\tx=y", "mx.example")
        });
        assert!(folded.is_err());
    }
}
