//! Reload benchmarks (figures for docs/reload.md and the issue note):
//! - time from the last write (a rename into place) to the rules applied, through the real
//!   inotify watcher with the default 300 ms debounce, for 100,000 and 1,000,000 lines;
//! - lookup latency p50/p99 without reloads and while reloads run back to back;
//! - peak heap during a reload relative to one loaded rule set (counting allocator).
//!
//!   cargo bench --bench reload
//!
//! Under `cargo test --benches` it runs once with small files.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use mailwarden::policy::{Address, Facts, Stage};
use mailwarden::rules::Change;
use mailwarden::runtime::{Runtime, Shared};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let now = LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed) + n as isize
            - l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn rules_text(n: usize, marker: &str) -> String {
    let mut s = String::with_capacity(n * 40);
    s.push_str(&format!("* {marker}@c.example <reg> - 0\n"));
    for i in 1..n {
        s.push_str(&format!("* user{i}@customer{}.example <reg> - 0\n", i % 97));
    }
    s
}

fn setup(dir: &Path, n: usize) -> Arc<Shared> {
    std::fs::write(dir.join("rules.txt"), rules_text(n, "v0")).unwrap();
    std::fs::write(
        dir.join("mailwarden.toml"),
        "[reload]\ncontrol_socket = \"\"\nmin_keep_ratio = 0.0\n[[policy]]\nname = \"b\"\naccess_rules = [\"rules.txt\"]\n",
    )
    .unwrap();
    let cfg = dir.join("mailwarden.toml");
    let (rt, table) = Runtime::load(Some(&cfg), 1).unwrap();
    Shared::new(rt, table, Some(cfg))
}

fn replace(dir: &Path, text: &str) {
    std::fs::write(dir.join(".rules.tmp"), text).unwrap();
    std::fs::rename(dir.join(".rules.tmp"), dir.join("rules.txt")).unwrap();
}

fn accepted(shared: &Shared, rcpt: &Address) -> bool {
    let sender = Address::parse("s@example.org", "+");
    let facts = Facts {
        daemon_name: None,
        auth_user: None,
        sender: &sender,
        headers: None,
        delimiters: "+",
        directory: &mailwarden::policy::NoDirectories,
    };
    !shared
        .snapshot()
        .policies
        .check_recipient(&facts, rcpt, Stage::Envelope)
        .is_rejected()
}

/// Last write to applied, through the watcher (debounce included).
fn write_to_applied(n: usize, rounds: usize) {
    let dir = tempfile::tempdir().unwrap();
    let shared = setup(dir.path(), n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (ready, ready_rx) = tokio::sync::oneshot::channel();
    let watcher = rt.spawn(mailwarden::runtime::watch::run(shared.clone(), ready));
    rt.block_on(ready_rx).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut times = Vec::new();
    for r in 1..=rounds {
        let marker = format!("v{r}");
        let text = rules_text(n, &marker);
        let probe = Address::parse(&format!("{marker}@c.example"), "+");
        replace(dir.path(), &text);
        let t = Instant::now();
        while !accepted(&shared, &probe) {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "reload never applied"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        times.push(t.elapsed());
    }
    watcher.abort();
    times.sort();
    println!(
        "write-to-applied, {n} lines: median {:.0} ms (min {:.0}, max {:.0}; includes the 300 ms debounce; {rounds} rounds)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Lookup latency with and without reloads running, and the heap peak during reloads.
fn lookups_and_memory(n: usize, samples: usize) {
    let dir = tempfile::tempdir().unwrap();
    let base = LIVE.load(Ordering::Relaxed);
    let shared = setup(dir.path(), n);
    let steady = LIVE.load(Ordering::Relaxed) - base;
    let rcpts: Vec<Address> = (0..samples)
        .map(|i| {
            Address::parse(
                &format!(
                    "user{}@customer{}.example",
                    (i * 7919) % n,
                    ((i * 7919) % n) % 97
                ),
                "+",
            )
        })
        .collect();
    // Everything the bench itself keeps (addresses, timings, the two texts) is not the daemon's.
    let times_bytes = 2 * samples as isize * std::mem::size_of::<Duration>() as isize;
    let measure = |shared: &Shared, until: &dyn Fn() -> bool| {
        let sender = Address::parse("s@example.org", "+");
        let mut times = Vec::with_capacity(rcpts.len());
        for r in rcpts.iter().cycle() {
            if times.len() == rcpts.len() && until() {
                break;
            }
            if times.len() == rcpts.len() {
                times.clear();
            }
            let t = Instant::now();
            let snap = shared.snapshot();
            let facts = Facts {
                daemon_name: None,
                auth_user: None,
                sender: &sender,
                headers: None,
                delimiters: "+",
                directory: &mailwarden::policy::NoDirectories,
            };
            black_box(snap.policies.check_recipient(&facts, r, Stage::Envelope));
            times.push(t.elapsed());
        }
        times.sort();
        times
    };
    measure(&shared, &|| true);
    let quiet = measure(&shared, &|| true);
    // Reloads back to back on another thread (alternating two versions).
    let stop = Arc::new(AtomicBool::new(false));
    let texts = [rules_text(n, "a"), rules_text(n, "b")];
    let outside = LIVE.load(Ordering::Relaxed) - base - steady + times_bytes;
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let reloads_done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reloader = {
        let done = reloads_done.clone();
        let (shared, stop, dir) = (shared.clone(), stop.clone(), dir.path().to_path_buf());
        std::thread::spawn(move || {
            let mut count = 0;
            while !stop.load(Ordering::Relaxed) || count == 0 {
                replace(&dir, &texts[count % 2]);
                let v = shared.reload_changed(&[(dir.join("rules.txt"), Change::Complete)]);
                assert!(v.iter().all(|v| v.is_apply()));
                count += 1;
                done.store(count, Ordering::Relaxed);
            }
            count
        })
    };
    let busy = measure(&shared, &|| reloads_done.load(Ordering::Relaxed) >= 5);
    stop.store(true, Ordering::Relaxed);
    let reloads = reloader.join().unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base - outside;
    println!(
        "lookup, {n} rules, no reload: p50 {:?} p99 {:?}; during {reloads} reloads: p50 {:?} p99 {:?}",
        percentile(&quiet, 0.5),
        percentile(&quiet, 0.99),
        percentile(&busy, 0.5),
        percentile(&busy, 0.99)
    );
    println!(
        "heap, {n} rules: one set loaded {:.1} MiB; peak during reloads {:.1} MiB = {:.2}x one set",
        steady as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        peak as f64 / steady as f64,
    );
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    if bench {
        write_to_applied(100_000, 9);
        write_to_applied(1_000_000, 5);
        lookups_and_memory(1_000_000, 300_000);
    } else {
        write_to_applied(2_000, 2);
        lookups_and_memory(2_000, 2_000);
    }
}
