//! The S/MIME test PKI and messages, made with the openssl CLI (tests/smime/make-pki.sh).

use std::process::Command;

use super::Fixture;

/// A fixture holding the PKI and signed messages, with `config` as its settings file.
pub fn fixture(config: &str) -> Fixture {
    let f = Fixture::new();
    let status = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/smime/make-pki.sh"
        ))
        .arg(f.dir.path())
        .status()
        .expect("run make-pki.sh");
    assert!(status.success(), "make-pki.sh failed");
    f.write("mailwarden.toml", config);
    f
}
