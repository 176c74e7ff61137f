//! S/MIME verification throughput, one thread, in the output format of
//! ../shared/bench/cms-verify-bench.c so both can be compared side by side
//! (benches/smime-verify.sh alternates the two).
//!
//! Usage: smime_verify -CAfile ca.pem [-recip cert.pem -key key.pem] [-mode verify|decrypt|decrypt-verify]
//!                     [-t SECONDS] [-s LABEL] [-L LIST | files...]
//! Every message must verify as `pass` (verify, decrypt-verify) or decrypt (decrypt); the
//! first that does not stops the run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mailwarden::smime::Engine;

fn cpu_seconds() -> f64 {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .expect("getrusage");
    let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    t(usage.user_time()) + t(usage.system_time())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut ca = None;
    let mut seconds = 2.0f64;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut label = String::from("-");
    let mut recip: Option<PathBuf> = None;
    let mut key: Option<PathBuf> = None;
    let mut mode = String::from("verify");
    while let Some(a) = args.next() {
        match a.as_str() {
            "-CAfile" => ca = args.next().map(PathBuf::from),
            "-t" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(2.0),
            "-s" => label = args.next().unwrap_or_default(),
            "-recip" => recip = args.next().map(PathBuf::from),
            "-key" => key = args.next().map(PathBuf::from),
            "-mode" => mode = args.next().unwrap_or_default(),
            "-L" => {
                let list =
                    std::fs::read_to_string(args.next().expect("-L LIST")).expect("read list");
                files.extend(list.lines().filter(|l| !l.is_empty()).map(PathBuf::from));
            }
            "--bench" => {}
            _ => files.push(PathBuf::from(a)),
        }
    }
    let Some(ca) = ca else {
        // `cargo bench`/`cargo test --bench` without arguments: nothing to measure.
        eprintln!(
            "usage: smime_verify -CAfile ca.pem [-t SECONDS] [-s LABEL] [-L LIST | files...]"
        );
        return;
    };
    let mut text = format!(
        "[smime]\ntrust = [\"{}\"]\nauthserv_id = \"bench\"\n",
        ca.display()
    );
    if let (Some(r), Some(k)) = (&recip, &key) {
        text.push_str(&format!(
            "keys = [{{ cert = \"{}\", key = \"{}\" }}]\n",
            r.display(),
            k.display()
        ));
    }
    let settings =
        mailwarden::config::parse(&text, Path::new("<bench>"), Path::new("/")).expect("settings");
    let engine = Engine::load(&settings.smime.engine).expect("trust store");
    let msgs: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read message"))
        .collect();
    assert!(!msgs.is_empty(), "no messages");
    let now = mailwarden::smime::pki::path::unix_secs(std::time::SystemTime::now());
    // One checked pass first (also warms the path cache, as steady traffic would).
    for (m, f) in msgs.iter().zip(&files) {
        let r = engine.verify(m, now, None);
        let decrypted = r.decryption == mailwarden::smime::outcome::Decryption::Ok;
        let passed = r.outcome.result == mailwarden::smime::outcome::SmimeResult::Pass;
        let ok = match mode.as_str() {
            // Failure paths (benches/decrypt-failure-timing.sh): any answer is measured.
            "any" => true,
            "decrypt" => decrypted,
            "decrypt-verify" => decrypted && passed,
            _ => passed,
        };
        if !ok {
            eprintln!(
                "smime_verify: {}: {:?} decryption {:?}",
                f.display(),
                r.outcome,
                r.decryption
            );
            std::process::exit(1);
        }
    }
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    let mut iters = 0u64;
    while wall0.elapsed() < Duration::from_secs_f64(seconds) {
        for m in &msgs {
            let r = engine.verify(m, now, None);
            std::hint::black_box(&r);
        }
        iters += 1;
    }
    let wall = wall0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let n = iters as f64 * msgs.len() as f64;
    println!(
        "RESULT tool=mailwarden set={label} mode={mode} msgs={} avg_bytes={:.0} iters={iters} wall_s={wall:.3} cpu_s={cpu:.3} msgs_per_s={:.1} msgs_per_cpu_s={:.1} us_per_msg={:.1}",
        msgs.len(),
        bytes as f64 / msgs.len() as f64,
        n / wall,
        n / cpu,
        cpu / n * 1e6
    );
}
