//! `[smime] trust` loading in every container a CA or Windows exports, with a PKI made by the
//! openssl CLI at test time.

mod common;

use std::path::Path;

use common::{Fixture, run};

fn openssl(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&common::pki::openssl(dir, args)).into_owned()
}

/// root -> intermediate (CA), plus a leaf expiring in 10 days.
fn pki(f: &Fixture) {
    let d = f.dir.path();
    std::fs::write(
        d.join("ca.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .unwrap();
    std::fs::write(d.join("leaf.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=emailProtection\nsubjectAltName=email:alice@example.org\n").unwrap();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=Mailwarden Test Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "int.key",
            "-out",
            "int.csr",
            "-subj",
            "/CN=Mailwarden Test Intermediate",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "int.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-CAcreateserial",
            "-out",
            "int.pem",
            "-days",
            "1825",
            "-extfile",
            "ca.ext",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=Alice/emailAddress=alice@example.org",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "int.pem",
            "-CAkey",
            "int.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "10",
            "-extfile",
            "leaf.ext",
        ],
    );
}

fn fingerprint(f: &Fixture, pem: &str) -> String {
    let out = openssl(
        f.dir.path(),
        &["x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
    );
    out.trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase()
}

fn serial(f: &Fixture, pem: &str) -> String {
    let out = openssl(f.dir.path(), &["x509", "-in", pem, "-noout", "-serial"]);
    out.trim().trim_start_matches("serial=").to_lowercase()
}

fn with_trust(f: &Fixture, trust: &str) {
    f.write("mailwarden.toml", &format!("[smime]\ntrust = [{trust}]\n"));
}

fn list(f: &Fixture) -> (i32, serde_json::Value, String) {
    let (code, out, err) = run(&[
        "trust",
        "list",
        "-c",
        f.config().to_str().unwrap(),
        "--json",
    ]);
    let v = serde_json::from_str(out.trim()).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

fn der_to_pem(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        common::base64_lines(der, "\n")
    )
}

/// A Microsoft serialized store (as certmgr exports .sst): header, a property element,
/// the certificate elements, the end element.
fn sst(certs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 0, b'C', b'E', b'R', b'T'];
    let mut element = |id: u32, data: &[u8]| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    };
    for c in certs {
        element(0x0b, "F\0r\0i\0e\0n\0d\0l\0y\0\0\0".as_bytes());
        element(0x20, c);
    }
    element(0, &[]);
    out
}

#[test]
fn every_container_format_loads_with_roles_fingerprints_and_duplicates_collapsed() {
    let f = Fixture::new();
    pki(&f);
    let d = f.dir.path();
    let root = std::fs::read_to_string(d.join("root.pem")).unwrap();
    let int = std::fs::read_to_string(d.join("int.pem")).unwrap();
    std::fs::write(
        d.join("bundle.pem"),
        format!("# CA bundle\n{root}{int}{root}"),
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509", "-in", "root.pem", "-outform", "DER", "-out", "root.der",
        ],
    );
    openssl(
        d,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "bundle.pem",
            "-outform",
            "DER",
            "-out",
            "chain.p7b",
        ],
    );
    openssl(
        d,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "bundle.pem",
            "-out",
            "chain-p7.pem",
        ],
    );
    let p7b = std::fs::read(d.join("chain.p7b")).unwrap();
    std::fs::write(d.join("mislabelled.pem"), der_to_pem("CERTIFICATE", &p7b)).unwrap();
    let int_der = {
        openssl(
            d,
            &[
                "x509", "-in", "int.pem", "-outform", "DER", "-out", "int.der",
            ],
        );
        std::fs::read(d.join("int.der")).unwrap()
    };
    std::fs::write(
        d.join("store.sst"),
        sst(&[std::fs::read(d.join("root.der")).unwrap(), int_der]),
    )
    .unwrap();
    std::fs::create_dir(d.join("dir")).unwrap();
    std::fs::copy(d.join("root.der"), d.join("dir/a.crt")).unwrap();
    std::fs::copy(d.join("int.pem"), d.join("dir/b.cer")).unwrap();

    let (root_fp, int_fp) = (fingerprint(&f, "root.pem"), fingerprint(&f, "int.pem"));
    for trust in [
        "\"bundle.pem\"",
        "\"chain.p7b\"",
        "\"chain-p7.pem\"",
        "\"mislabelled.pem\"",
        "\"store.sst\"",
        "\"dir\"",
        "\"root.der\", \"int.der\", \"bundle.pem\"",
    ] {
        with_trust(&f, trust);
        let (code, v, err) = list(&f);
        assert_eq!(code, 0, "{trust}: {err}");
        let certs = v["certificates"].as_array().unwrap();
        assert_eq!(certs.len(), 2, "{trust}: {v}");
        let by_fp = |fp: &str| {
            certs
                .iter()
                .find(|c| c["sha256"] == fp)
                .unwrap_or_else(|| panic!("{trust}: {fp} missing in {v}"))
        };
        assert_eq!(by_fp(&root_fp)["role"], "anchor", "{trust}");
        assert_eq!(by_fp(&int_fp)["role"], "intermediate", "{trust}");
        assert_eq!(by_fp(&root_fp)["subject"], "CN=Mailwarden Test Root");
        assert_eq!(by_fp(&int_fp)["issuer"], "CN=Mailwarden Test Root");
        assert_eq!(
            by_fp(&int_fp)["serial"]
                .as_str()
                .unwrap()
                .trim_start_matches('0'),
            serial(&f, "int.pem").trim_start_matches('0')
        );
    }
    // A role can be forced per file.
    with_trust(&f, "{ path = \"int.pem\", role = \"anchors\" }");
    let (_, v, _) = list(&f);
    assert_eq!(v["certificates"][0]["role"], "anchor");
}

#[test]
fn expiring_certificates_are_warned_about() {
    let f = Fixture::new();
    pki(&f);
    with_trust(&f, "\"leaf.pem\", \"root.pem\"");
    let (code, out, err) = run(&["trust", "list", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("intermediate EMAIL=alice@example.org,CN=Alice"),
        "{out}"
    );
    assert!(
        out.contains("(expiring)") && out.contains("(valid)"),
        "{out}"
    );
    assert!(
        err.contains("warning:")
            && err.contains("leaf.pem: EMAIL=alice@example.org,CN=Alice")
            && err.contains("expires on"),
        "{err}"
    );
}

#[test]
fn garbage_and_non_certificate_blocks_are_errors_naming_file_and_block() {
    let f = Fixture::new();
    pki(&f);
    let d = f.dir.path();
    std::fs::write(d.join("garbage.crt"), (0u8..200).collect::<Vec<u8>>()).unwrap();
    let root = std::fs::read_to_string(d.join("root.pem")).unwrap();
    let key = std::fs::read_to_string(d.join("root.key")).unwrap();
    std::fs::write(d.join("mixed.pem"), format!("{root}{key}")).unwrap();
    std::fs::write(
        d.join("broken.pem"),
        format!(
            "{root}-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("truncated.sst"),
        &sst(&[b"\x30\x03\x02\x01\x01".to_vec()])[..20],
    )
    .unwrap();
    for (file, want) in [
        ("garbage.crt", "garbage.crt: neither a DER certificate"),
        (
            "mixed.pem",
            "PEM block 2 is \"PRIVATE KEY\", not a certificate",
        ),
        ("broken.pem", "PEM block 2"),
        ("truncated.sst", "serialized store"),
        ("missing.pem", "missing.pem: cannot read"),
    ] {
        with_trust(&f, &format!("\"{file}\""));
        let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
        assert_eq!(code, 1, "{file} accepted");
        assert!(err.contains(want), "{file}: {err}");
        let (code, _, _) = run(&["trust", "list", "-c", f.config().to_str().unwrap()]);
        assert_eq!(code, 1);
    }
    with_trust(&f, "\"root.pem\"");
    let (code, out, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ok: smime trust: 1 anchors, 0 intermediates"),
        "{out}"
    );
}

#[test]
fn bad_trust_crl_and_key_files_name_the_settings_line_that_named_them() {
    let f = Fixture::new();
    pki(&f);
    let d = f.dir.path();
    std::fs::write(d.join("garbage.crt"), (0u8..200).collect::<Vec<u8>>()).unwrap();
    std::fs::write(d.join("garbage.crl"), b"not a CRL").unwrap();
    std::fs::write(d.join("garbage.key"), b"not a key").unwrap();
    f.write(
        "mailwarden.toml",
        "# line 1\n[smime]\ntrust = [\n  \"root.pem\",\n  \"garbage.crt\",\n]\n\
         crls = [\"garbage.crl\"]\n\
         keys = [{ cert = \"root.pem\", key = \"garbage.key\" }]\n",
    );
    let config = f.config();
    let (code, _, err) = run(&["check", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let config = config.display();
    for (file, key, line) in [
        ("garbage.crt", "smime.trust", 5),
        ("garbage.crl", "smime.crls", 7),
        ("garbage.key", "smime.keys", 8),
    ] {
        let named = format!("({key} at {config}:{line})");
        assert!(
            err.lines().any(|l| l.contains(file) && l.contains(&named)),
            "{file}: no line naming {named}:\n{err}"
        );
    }
}
