//! The S/MIME test PKI and messages, made with the openssl CLI (tests/smime/make-pki.sh).

use std::process::Command;

use super::Fixture;

/// Runs the openssl CLI in `dir`; its standard output (a failure fails the test).
pub fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = super::output_within(
        Command::new("openssl").current_dir(dir).args(args),
        super::HELPER_LIMIT,
    );
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fixture holding the PKI and signed messages, with `config` as its settings file.
pub fn fixture(config: &str) -> Fixture {
    let f = Fixture::new();
    let out = super::output_within(
        Command::new("bash")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/smime/make-pki.sh"
            ))
            .arg(f.dir.path()),
        super::HELPER_LIMIT,
    );
    assert!(
        out.status.success(),
        "make-pki.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.write("mailwarden.toml", config);
    f
}

/// `mailwarden smime -c CONFIG --json EXTRA... FILES...` (files relative to the fixture):
/// one JSON object per file.
pub fn smime_json(f: &Fixture, extra: &[&str], files: &[&str]) -> Vec<serde_json::Value> {
    let config = f.config();
    let mut args = vec!["smime", "-c", config.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let paths: Vec<String> = files
        .iter()
        .map(|n| f.path(n).display().to_string())
        .collect();
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = super::run(&args);
    assert_eq!(code, 0, "stderr: {err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// A generated message as it goes on the wire (CRLF line ends).
pub fn wire(f: &Fixture, name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(f.path(name)).unwrap();
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}
