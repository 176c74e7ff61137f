//! 100 reloads of a 100,000-line file under continuous lookups. A test binary of its own:
//! it keeps both cores busy, which would skew the timing bounds of tests/reload.rs.

mod common;

use common::Fixture;

fn replace(dir: &std::path::Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// 100 reloads of a 100,000-line file while two threads look up continuously, through the
/// same snapshot path the milter sessions use: every decision comes from one whole version.
#[test]
fn concurrent_lookups_during_100_reloads_are_all_consistent() {
    use mailwarden::policy::{Action, Address, Facts, Stage};
    use mailwarden::rules::Change;
    use mailwarden::runtime::{Runtime, Shared};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    let f = Fixture::new();
    f.write("mailwarden.toml", "[reload]\nwatch = \"off\"\ncontrol_socket = \"\"\n[[policy]]\nname = \"c\"\naccess_rules = [\"rules.txt\"]\n");
    let mut filler = String::new();
    for i in 0..100_000 - 2 {
        filler.push_str(&format!("* f{i}@x.example <reg> - 0\n"));
    }
    // Version A: x accepted, y denied; version B: the reverse. Never both, never neither.
    let version = |a: bool| {
        let (x, y) = if a { ("reg", "deny") } else { ("deny", "reg") };
        format!("* x@c.example <{x}> - 0\n{filler}* y@c.example <{y}> - 0\n")
    };
    std::fs::write(f.path("rules.txt"), version(true)).unwrap();
    let cfg = f.config();
    let (rt, table) = Runtime::load(Some(&cfg), 1).unwrap();
    let shared = Shared::new(rt, table, Some(cfg));
    let stop = Arc::new(AtomicBool::new(false));
    let (lookups, bad) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (shared, stop, lookups, bad) =
                (shared.clone(), stop.clone(), lookups.clone(), bad.clone());
            std::thread::spawn(move || {
                let sender = Address::parse("s@example.org", "+");
                let (x, y) = (
                    Address::parse("x@c.example", "+"),
                    Address::parse("y@c.example", "+"),
                );
                while !stop.load(Ordering::Relaxed) {
                    let snap = shared.snapshot();
                    let facts = Facts {
                        daemon_name: None,
                        auth_user: None,
                        sender: &sender,
                        headers: None,
                        delimiters: "+",
                        directory: &mailwarden::policy::NoDirectories,
                    };
                    let vx = snap
                        .policies
                        .check_recipient(&facts, &x, Stage::Envelope)
                        .action;
                    let vy = snap
                        .policies
                        .check_recipient(&facts, &y, Stage::Envelope)
                        .action;
                    if !matches!(
                        (vx, vy),
                        (Action::Accept, Action::Reject) | (Action::Reject, Action::Accept)
                    ) {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                    lookups.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let path = f.path("rules.txt");
    let before = shared.snapshot().generation;
    for i in 0..100 {
        replace(f.dir.path(), "rules.txt", &version(i % 2 == 1));
        let verdicts = shared.reload_changed(&[(path.clone(), Change::Complete)]);
        assert!(
            verdicts.len() == 1 && verdicts[0].is_apply(),
            "reload {i}: {verdicts:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(shared.snapshot().generation, before + 100);
    assert!(
        lookups.load(Ordering::Relaxed) > 1000,
        "too few lookups: {}",
        lookups.load(Ordering::Relaxed)
    );
    assert_eq!(bad.load(Ordering::Relaxed), 0, "inconsistent decisions");
}
