//! Replays every input the fuzzers found (fuzz/regressions/<target>/) through the same
//! entry points the fuzz targets call (`mailwarden::fuzzing`), and runs a short,
//! deterministic mutation pass over the test data for each target, so CI catches a
//! regression without cargo-fuzz. A panic anywhere fails the test, naming the input.

mod common;

use std::path::{Path, PathBuf};

use mailwarden::fuzzing;

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != ".keep"))
        .collect();
    files.sort();
    files
}

/// Runs `f` on `input`; on a panic, saves nothing and names what failed.
fn check(target: &str, what: &str, input: &[u8], f: &dyn Fn(&[u8])) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(input)));
    if result.is_err() {
        let hex: String = input.iter().take(256).map(|b| format!("{b:02x}")).collect();
        panic!(
            "{target}: {what} panicked; input ({} bytes) starts {hex}",
            input.len()
        );
    }
}

/// xorshift64*: deterministic, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One libFuzzer-style mutation: flip, set, insert, delete, duplicate or truncate.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = [0, 0xff, 0x80, b'\n', b'\r', b'"', b';', b'='][rng.below(8)];
            }
            2 => {
                let i = rng.below(len + 1);
                v.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i).min(64) + 1;
                v.drain(i..(i + n).min(len));
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i).min(256) + 1;
                let chunk = v[i..(i + n).min(len)].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            5 if len > 0 => v.truncate(rng.below(len)),
            _ => {
                // DER length bytes are a favourite: make one huge.
                if let Some(i) = v.iter().position(|&b| b == 0x30)
                    && i + 1 < v.len()
                {
                    v[i + 1] = 0x84;
                }
            }
        }
    }
    v
}

fn run_target(target: &str, seeds: &[Vec<u8>], iterations: usize, f: &dyn Fn(&[u8])) {
    for path in regressions(target) {
        let input = std::fs::read(&path).unwrap();
        check(target, &path.display().to_string(), &input, f);
    }
    assert!(!seeds.is_empty(), "{target}: no seeds");
    for (i, seed) in seeds.iter().enumerate() {
        check(target, &format!("seed {i}"), seed, f);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for i in 0..iterations {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        check(target, &format!("mutation {i}"), &input, f);
    }
}

fn files(dir: &Path, names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect()
}

#[test]
fn rule_files_settings_and_header_builder() {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut rules = files(
        &policies,
        &[
            "access_rules.txt",
            "allowed_senders.txt",
            "gsm_auth_auto.txt",
        ],
    );
    rules.push(
        b"* user@customer.fi <reg> - 0\n/^a.*@x\\.fi$/ *@*.example <sms> +358 2\n<> * <deny> - 0\n"
            .to_vec(),
    );
    run_target("rule_files", &rules, 4000, &fuzzing::rule_files);

    let settings = files(&policies, &["mailwarden.toml"]);
    run_target("settings", &settings, 2000, &fuzzing::settings);

    let ar = vec![
        b"mx.example\x01alice@example.org\x011F2E\x01CN=Test CA, O=Example".to_vec(),
        b"mx.example\x01a@b\"c;d\r\nX: y\x01zz\x01CN=\"q\\\"(x;y)\r\n".to_vec(),
    ];
    run_target(
        "authentication_results",
        &ar,
        4000,
        &fuzzing::authentication_results_value,
    );
}

#[test]
fn trust_store_key_containers_and_messages() {
    let f = common::pki::fixture("");
    let dir = f.dir.path();
    let trust = files(dir, &["root.pem", "int.pem", "trust.pem"]);
    run_target("trust_store", &trust, 800, &fuzzing::trust_store);

    // CRLs: the fixture's, and PKITS's with an IDP, indirect and delta CRLs, judged for
    // the fixture's root -> int -> alice path.
    let pkits = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pkits/crls");
    let mut crls = files(dir, &["int.crl.pem"]);
    crls.extend(files(
        Path::new(pkits),
        &[
            "distributionPoint1CACRL.crl",
            "indirectCRLCA3cRLIssuerCRL.crl",
            "deltaCRLCA1deltaCRL.crl",
            "onlySomeReasonsCA1compromiseCRL.crl",
        ],
    ));
    let path: Vec<x509_cert::Certificate> = ["root.pem", "int.pem", "alice.pem"]
        .iter()
        .map(|n| {
            let pem = std::fs::read(dir.join(n)).unwrap();
            let (_, der) = pem_rfc7468::decode_vec(&pem).unwrap();
            <x509_cert::Certificate as der::Decode>::from_der(&der).unwrap()
        })
        .collect();
    run_target("crls", &crls, 800, &|d| fuzzing::crls(d, &path));

    let keys = files(
        dir,
        &[
            "bob.p12",
            "bob-3des.p12",
            "bob-ec.p12",
            "bob.enc.key",
            "bob-ec.enc.der",
        ],
    );
    // Each attempt runs the PKCS#12 KDF / PBKDF2 (2048 iterations): fewer rounds.
    run_target("key_containers", &keys, 150, &fuzzing::key_containers);

    let engine = fuzzing::engine_for_test_pki(dir);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let messages = files(dir, &refs);
    run_target("smime_message", &messages, 400, &|d| {
        fuzzing::smime_message(&engine, d)
    });
}
