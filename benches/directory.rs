//! The cost of a real-time directory lookup answered from the cache, against the same
//! decision from a file (criterion): the policy core renders and escapes the filter, the
//! milter's `Directories::decide` finds the answer in the cache, one round.
//!
//!   cargo bench --bench directory
//!
//! The cache is primed (`Directories::prime`): no server is needed. Uncached latency
//! against a real slapd is in the closing note of issue 18 (measured by the metrics
//! histogram `mailwarden_directory_lookup_seconds`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mailwarden::directory::Entry;
use mailwarden::policy::{Address, DirectoryAnswers, Facts, NoDirectories};
use mailwarden::runtime::Runtime;

fn load(dir: &std::path::Path, list: &str) -> Runtime {
    std::fs::write(dir.join("senders.txt"), "alice@example.org\n").unwrap();
    std::fs::write(
        dir.join("mailwarden.toml"),
        format!(
            "[reload]\ncontrol_socket = \"\"\n\
             [directory.corp]\nurls = [\"ldap://127.0.0.1:9\"]\ntls = \"none\"\nbase = \"dc=example,dc=org\"\n\
             [[policy]]\nname = \"b\"\nsender_allowlist = [{list}]\n"
        ),
    )
    .unwrap();
    Runtime::load(Some(&dir.join("mailwarden.toml")), 0)
        .unwrap()
        .0
}

fn facts<'a>(sender: &'a Address, directory: &'a dyn DirectoryAnswers) -> Facts<'a> {
    Facts {
        daemon_name: None,
        auth_user: None,
        sender,
        headers: None,
        delimiters: "+",
        directory,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let from_file = load(dir.path(), "\"senders.txt\"");
    let from_directory = load(
        dir.path(),
        "{ directory = \"corp\", filter = \"(&(mail={address})(memberOf=cn=secure-senders,ou=groups,dc=example,dc=org))\" }",
    );
    let sender = Address::parse("alice@example.org", "+");
    assert!(from_directory.directories.prime(
        "corp",
        "(&(mail=alice@example.org)(memberOf=cn=secure-senders,ou=groups,dc=example,dc=org))",
        &[],
        vec![Entry::default()],
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let v = rt.block_on(
        from_directory
            .directories
            .decide(|d| from_directory.policies.at_mail(&facts(&sender, d))),
    );
    assert!(format!("{v:?}").contains("Accepted"), "{v:?}");

    let mut g = c.benchmark_group("sender decision");
    g.bench_function("file allowlist", |b| {
        b.iter(|| black_box(from_file.policies.at_mail(&facts(&sender, &NoDirectories))))
    });
    g.bench_function("directory, cached", |b| {
        b.iter(|| {
            black_box(
                rt.block_on(
                    from_directory
                        .directories
                        .decide(|d| from_directory.policies.at_mail(&facts(&sender, d))),
                ),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
