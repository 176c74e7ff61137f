//! Rule-engine benchmarks: load time for 1,000,000 access rules, lookup latency (criterion,
//! plus a p50/p99 pass over single lookups), and memory per rule (counting allocator).
//!
//!   cargo bench --bench rules
//!
//! Under `cargo test --all-targets` this runs once in test mode with a small rule count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use mailwarden::policy::Address;
use mailwarden::policy::ruleset::{parse_access_rules, parse_allowlist};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn test_mode() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A synced-file shape: mostly `* user@domain <reg> - 0`, some sender-keyed and domain rules.
fn access_text(n: usize) -> String {
    let mut s = String::with_capacity(n * 40);
    s.push_str("# generated\n");
    for i in 0..n {
        match i % 10 {
            0 => s.push_str(&format!("sender{i}@example.org * <sms> +35840{i:07} 0\n")),
            1 => s.push_str(&format!("* @dom{i}.example <reg> - 1\n")),
            _ => s.push_str(&format!("* user{i}@customer{}.example <reg> - 0\n", i % 97)),
        }
    }
    s.push_str("* *@*.glob.example <reg> - 2\n");
    s
}

fn allow_text(n: usize) -> String {
    (0..n).map(|i| format!("sender{i}@example.org\n")).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Figures criterion does not give: per-lookup p50/p99 and bytes per rule.
fn report(n: usize) {
    let text = access_text(n);
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let (file, errors) = parse_access_rules(Path::new("/bench/rules.txt"), text.as_bytes());
    let load = t.elapsed();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    assert!(errors.is_empty());
    println!(
        "access rules: {n} loaded in {:.3} s; {:.1} bytes/rule ({:.1} MiB)",
        load.as_secs_f64(),
        bytes as f64 / n as f64,
        bytes as f64 / 1048576.0
    );
    let allow = allow_text(n / 10);
    let before = LIVE.load(Ordering::Relaxed);
    let (alist, _) = parse_allowlist(Path::new("/bench/allow.txt"), allow.as_bytes());
    let abytes = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "allowlist: {} entries, {:.1} bytes/entry",
        alist.len(),
        abytes as f64 / alist.len() as f64
    );

    let sender = Address::parse("someone@elsewhere.example", "+");
    let samples = if test_mode() { 1_000 } else { 200_000 };
    for (label, make) in [
        (
            "exact recipient hit",
            Box::new(|i: usize| {
                format!(
                    "user{}@customer{}.example",
                    (i * 10 + 2) % n,
                    ((i * 10 + 2) % n) % 97
                )
            }) as Box<dyn Fn(usize) -> String>,
        ),
        (
            "domain hit",
            Box::new(|i: usize| format!("x@dom{}.example", (i * 10 + 1) % n)),
        ),
        (
            "no match (falls to scan)",
            Box::new(|i: usize| format!("nobody{i}@nowhere.example")),
        ),
    ] {
        let addrs: Vec<Address> = (0..samples)
            .map(|i| Address::parse(&make(i), "+"))
            .collect();
        let mut times = Vec::with_capacity(samples);
        for a in &addrs {
            let t = Instant::now();
            black_box(file.first_match(&sender, a));
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "lookup {label}: p50 {:?} p99 {:?} ({} samples; includes ~20 ns timer overhead)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            samples
        );
    }
}

fn benches(c: &mut Criterion) {
    let n = if test_mode() { 10_000 } else { 1_000_000 };
    report(n);
    let text = access_text(n);
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function(format!("parse+index {n} access rules"), |b| {
        b.iter(|| parse_access_rules(Path::new("/bench/rules.txt"), black_box(text.as_bytes())))
    });
    g.finish();
    let (file, _) = parse_access_rules(Path::new("/bench/rules.txt"), text.as_bytes());
    let sender = Address::parse("someone@elsewhere.example", "+");
    let rcpt = Address::parse("user502@customer17.example", "+");
    let miss = Address::parse("nobody@nowhere.example", "+");
    c.bench_function("lookup exact recipient", |b| {
        b.iter(|| file.first_match(black_box(&sender), black_box(&rcpt)))
    });
    c.bench_function("lookup no match", |b| {
        b.iter(|| file.first_match(black_box(&sender), black_box(&miss)))
    });
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
}
