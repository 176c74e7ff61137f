//! The cost of a real-time directory lookup answered from the cache, against the same
//! decision from a file (criterion): the policy core renders and escapes the filter, the
//! milter's `Directories::decide` finds the answer in the cache, one round.
//!
//!   cargo bench --bench directory
//!
//! Also: one answer going into a full cache of 100,000 (the price of a never-seen sender
//! once the cache is full). The cache is primed (`Directories::prime`): no server is needed. Uncached latency
//! against a real slapd is in the closing note of issue 18 (measured by the metrics
//! histogram `mailwarden_directory_lookup_seconds`).

use std::hint::black_box;
use std::sync::Arc;

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

/// A miss's answer going into a full cache (a run of never-seen senders, which an attacker
/// chooses): what the cache's lock is held for.
fn full_cache(c: &mut Criterion) {
    use mailwarden::directory::cache::{Cache, CachePolicy};
    use std::time::{Duration, Instant};
    let n = 100_000;
    let mut cache = Cache::new(CachePolicy {
        ttl: Duration::from_secs(60),
        negative_ttl: Duration::from_secs(30),
        max_stale: Duration::from_secs(900),
        max_entries: n,
    });
    let t0 = Instant::now();
    for i in 0..n {
        cache.insert(
            format!("\0(mail=user{i}@example.org)"),
            Arc::from(Vec::new()),
            t0,
        );
    }
    let mut i = n;
    c.bench_function("insert into a full cache of 100,000 answers", |b| {
        b.iter(|| {
            i += 1;
            cache.insert(
                format!("\0(mail=user{i}@example.org)"),
                Arc::from(Vec::new()),
                t0,
            );
        })
    });
}

criterion_group!(benches, bench, full_cache);
criterion_main!(benches);
