//! Load and soak: 200 concurrent SMTP sessions through a real Postfix for
//! `MAILWARDEN_SOAK_SECS` (default 600), mixing plain mail, policy refusals and S/MIME
//! (signed, encrypted to us, tampered). Every reply must be the expected one, Postfix must
//! log no milter timeout or protocol error, and mailwarden's RSS (sampled every 10 s) and
//! open file descriptors must stay flat after warm-up. Prints the curve.
//!
//! Not part of tests/run.sh (it runs for minutes and loads both cores):
//!   cargo test --release --test soak -- --ignored --nocapture

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Milter;
use common::postfix::Postfix;
use common::smtp::Client;

fn proc_status(pid: i32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[test]
#[ignore = "minutes long; run explicitly (see the file's header)"]
fn soak_200_sessions() {
    let secs: u64 = std::env::var("MAILWARDEN_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let f = common::pki::fixture(
        "[reload]\ncontrol_socket = \"\"\n[milter]\nmax_connections = 400\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\nactions = { fail = \"reject\" }\nkeys = [{ cert = \"bob.pem\", key = \"bob.key\" }]\n\n[[policy]]\nname = \"customer\"\nwhen = { recipient_domain = \"customer.example\" }\naccess_rules = [\"rules.txt\"]\n",
    );
    f.write("rules.txt", "* ok@customer.example <reg> - 0\n");
    let load = |n: &str| {
        let t = std::fs::read_to_string(f.path(n)).unwrap();
        Arc::new(t.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes())
    };
    let (signed, encrypted, tampered) = (
        load("pass-rsa.eml"),
        load("enc-aes256.eml"),
        load("tampered-body.eml"),
    );
    let plain = Arc::new(b"From: alice@example.org\r\nSubject: plain\r\n\r\nhello\r\n".to_vec());
    let config = f.config();
    let milter = Milter::start_args(&[
        "serve",
        "-c",
        config.to_str().unwrap(),
        "--listen",
        "inet:127.0.0.1:0",
    ]);
    let pf = Postfix::start_with(
        &milter.socket(),
        "default_process_limit = 400\nsmtpd_client_connection_count_limit = 0\nsmtpd_client_connection_rate_limit = 0\nsmtpd_client_message_rate_limit = 0\nin_flow_delay = 0\n",
    );

    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let transactions = Arc::new(AtomicU64::new(0));
    let port = pf.port;
    let threads: Vec<_> = (0..200)
        .map(|t| {
            let (stop, errors, transactions) = (stop.clone(), errors.clone(), transactions.clone());
            let (plain, signed, encrypted, tampered) = (
                plain.clone(),
                signed.clone(),
                encrypted.clone(),
                tampered.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let kind = (n + t) % 5;
                    let result = (|| -> Result<(), String> {
                        let mut c = match Client::try_connect(port) {
                            Ok(Ok(c)) => c,
                            Ok(Err(r)) => return Err(format!("greeting/EHLO: {r}")),
                            Err(e) => return Err(format!("connect: {e}")),
                        };
                        let e = |what: &str, e: std::io::Error| format!("{what}: {e}");
                        let r = c
                            .cmd("MAIL FROM:<alice@example.org>")
                            .map_err(|x| e("MAIL", x))?;
                        if r.code != 250 {
                            return Err(format!("MAIL: {r}"));
                        }
                        let (rcpt, want_rcpt) = if kind == 0 {
                            ("no@customer.example", 550)
                        } else {
                            ("ok@customer.example", 250)
                        };
                        let r = c
                            .cmd(&format!("RCPT TO:<{rcpt}>"))
                            .map_err(|x| e("RCPT", x))?;
                        if r.code != want_rcpt {
                            return Err(format!("RCPT {rcpt}: {r}"));
                        }
                        if kind != 0 {
                            let (msg, want) = match kind {
                                1 => (&plain, 250),
                                2 => (&signed, 250),
                                3 => (&encrypted, 250),
                                _ => (&tampered, 550),
                            };
                            let r = c.data(msg).map_err(|x| e("DATA", x))?;
                            if r.code != want {
                                return Err(format!("DATA kind {kind}: {r}"));
                            }
                        }
                        c.quit();
                        Ok(())
                    })();
                    match result {
                        Ok(()) => {
                            transactions.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(msg) => errors.lock().unwrap().push(format!("t{t} #{n}: {msg}")),
                    }
                }
            })
        })
        .collect();

    let pid = milter.pid();
    let started = Instant::now();
    let mut curve = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(10));
        let sample = (
            started.elapsed().as_secs(),
            proc_status(pid, "VmRSS:"),
            open_fds(pid),
            transactions.load(Ordering::Relaxed),
        );
        println!(
            "soak: t={}s rss_kb={} fds={} transactions={}",
            sample.0, sample.1, sample.2, sample.3
        );
        curve.push(sample);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let errors = errors.lock().unwrap();
    let total = transactions.load(Ordering::Relaxed);
    let maillog = pf.maillog();
    let milter_trouble: Vec<&str> = maillog
        .lines()
        .filter(|l| {
            l.contains("milter")
                && (l.contains("timeout")
                    || l.contains("error")
                    || l.contains("unexpected")
                    || l.contains("warning"))
        })
        .collect();
    println!(
        "soak: {secs}s, 200 sessions, {total} transactions ({:.0}/s), {} errors, {} milter warnings or timeouts in Postfix's log",
        total as f64 / secs as f64,
        errors.len(),
        milter_trouble.len()
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        milter_trouble.is_empty(),
        "{:?}",
        &milter_trouble[..milter_trouble.len().min(5)]
    );
    // Flat after warm-up: the last third's peak within 15 % (and 16 MiB) of the middle third's.
    let third = curve.len() / 3;
    if third >= 2 {
        let peak = |s: &[(u64, u64, usize, u64)]| s.iter().map(|x| x.1).max().unwrap_or(0);
        let (mid, last) = (peak(&curve[third..2 * third]), peak(&curve[2 * third..]));
        assert!(
            last <= mid + (mid * 15 / 100).max(16 * 1024),
            "RSS still growing: middle third peak {mid} kB, last third peak {last} kB"
        );
        let fds = |s: &[(u64, u64, usize, u64)]| s.iter().map(|x| x.2).max().unwrap_or(0);
        // One descriptor per open MTA connection: compare like with like, under full load.
        let (mid_fds, last_fds) = (fds(&curve[third..2 * third]), fds(&curve[2 * third..]));
        assert!(
            last_fds <= mid_fds + 32,
            "file descriptors growing: {curve:?}"
        );
    }
}
