#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use mailwarden::smime::Engine;

/// The test PKI, made by tests/smime/make-pki.sh into fuzz/target/pki once (a static is
/// never dropped, so a temp dir would be left behind at every run).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/pki"));
        if !dir.join("trust.pem").exists() {
            std::fs::create_dir_all(dir).unwrap();
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/smime/make-pki.sh");
            let status = std::process::Command::new("bash")
                .arg(script)
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run make-pki.sh");
            assert!(status.success(), "make-pki.sh failed");
        }
        mailwarden::fuzzing::engine_for_test_pki(dir)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailwarden::fuzzing::smime_message(engine(), data));
