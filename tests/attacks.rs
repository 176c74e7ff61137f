//! Attack classes (issue 15): attacker-shaped addresses and headers, judged as the MTA
//! and the reader see them, through the real binary (`query`, `smime`, `check`, `serve`)
//! and real Postfix. Each test names the class it covers; docs/robustness.md lists them.

mod common;

use std::time::Duration;

use common::postfix::Postfix;
use common::smtp::{Client, Reply};
use common::{Fixture, Milter, run};

const WAIT: Duration = Duration::from_secs(30);

/// `mailwarden query ... --json`, parsed.
fn query(f: &Fixture, args: &[&str]) -> serde_json::Value {
    let config = f.config();
    let mut all = vec!["query", "-c", config.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "query {args:?}: {err}");
    serde_json::from_str(out.trim()).unwrap()
}

/// One SMTP transaction; the first reply that is not 250, or DATA's.
fn transact(port: u16, from: &str, rcpts: &[&str], message: &[u8]) -> Reply {
    let mut c = Client::connect(port).unwrap();
    let r = c.cmd(&format!("MAIL FROM:{from}")).unwrap();
    if r.code != 250 {
        return r;
    }
    for rcpt in rcpts {
        let r = c.cmd(&format!("RCPT TO:{rcpt}")).unwrap();
        if r.code != 250 {
            return r;
        }
    }
    let r = c.data(message).unwrap();
    c.quit();
    r
}

/// The S/MIME settings most tests start from, then `extra`, with the test PKI.
fn smime_fixture(extra: &str) -> Fixture {
    common::pki::fixture(&format!(
        "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"mx.test\"\n{extra}"
    ))
}

/// One transaction to bob@elsewhere.example (no policy covers him).
fn to_bob(port: u16, from: &str, message: &[u8]) -> Reply {
    transact(port, from, &["<bob@elsewhere.example>"], message)
}

/// The header section of the first message the sink receives.
fn first_delivered_headers(pf: &Postfix) -> String {
    let got = pf.sink.wait_for(1, WAIT);
    assert!(
        !got.is_empty(),
        "nothing delivered; maillog:\n{}",
        pf.maillog()
    );
    got[0].header_section()
}

fn plain(from_headers: &str, subject: &str) -> Vec<u8> {
    format!("{from_headers}To: someone@elsewhere.example\r\nSubject: {subject}\r\nMessage-ID: <a1@example.org>\r\n\r\nhello\r\n").into_bytes()
}

/// The cases of the From: class: (From header lines, is it alice alone).
const FROM_CASES: [(&str, bool); 8] = [
    (
        "From: mallory@evil.example (<alice@example.org>)\r\n",
        false,
    ),
    ("From: mallory@evil.example, <alice@example.org>\r\n", false),
    (
        "From: alice@example.org\r\nFrom: mallory@evil.example\r\n",
        false,
    ),
    ("From: alice@example.org:;, mallory@evil.example\r\n", false),
    ("From: \"alice\"@example.org\r\n", false),
    (
        "From: \"Mallory <mallory@evil.example>\" <alice@example.org>\r\n",
        true,
    ),
    (
        "From: (comment <x@evil.example>) alice@example.org\r\n",
        true,
    ),
    ("From: Alice\r\n <Alice@Example.ORG.>\r\n", true),
];

fn header_allowlist() -> Fixture {
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[[policy]]\nname = \"authors\"\nsender_source = \"header\"\nsender_allowlist = [\"senders.txt\"]\n",
    );
    f
}

/// Class: From: read as RFC 5322 by one parser; every mailbox of every From: judged.
#[test]
fn from_header_is_judged_mailbox_by_mailbox_in_query() {
    let f = header_allowlist();
    for (from, is_alice) in FROM_CASES {
        let mut args = vec!["--from", "bounce@x.example", "--rcpt", "a@b.example"];
        let headers: Vec<String> = from
            .split("\r\n")
            .filter(|l| l.starts_with("From:"))
            .map(str::to_owned)
            .collect();
        // A folded header is one --header value.
        let folded = from.replace("\r\n ", " ");
        let headers = if from.contains("\r\n ") {
            vec![folded.trim_end().to_owned()]
        } else {
            headers
        };
        for h in &headers {
            args.extend(["--header", h.as_str()]);
        }
        let v = query(&f, &args);
        let want = if is_alice { "accept" } else { "reject" };
        assert_eq!(v["action"], want, "{from:?}: {v}");
    }
}

#[test]
fn from_header_is_judged_mailbox_by_mailbox_through_postfix() {
    let f = header_allowlist();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut delivered = 0;
    // Postfix's cleanup may rewrite a quoted local part in a header to its plain form
    // before the milter sees it; that case is judged through `query` above.
    for (from, is_alice) in FROM_CASES
        .into_iter()
        .filter(|(f, _)| !f.contains("\"alice\"@"))
    {
        let r = to_bob(pf.port, "<bounce@x.example>", &plain(from, "from class"));
        if is_alice {
            assert_eq!(r.code, 250, "{from:?}: {r}");
            delivered += 1;
        } else {
            assert_eq!(r.code, 550, "{from:?}: {r}");
            assert!(r.text().contains("policy authors"), "{r}");
        }
    }
    assert_eq!(pf.sink.wait_for(delivered, WAIT).len(), delivered);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(pf.sink.received().len(), delivered, "a spoof was delivered");
}

/// pass-rsa.eml (signed by alice@example.org) with its From: replaced: the headers are not
/// signed, so the signature still verifies.
fn with_from(f: &Fixture, name: &str, from_lines: &str, subject: Option<&str>) -> Vec<u8> {
    let mut text = String::from_utf8(common::pki::wire(f, "pass-rsa.eml")).unwrap();
    text = text.replacen("From: alice@example.org\r\n", from_lines, 1);
    if let Some(s) = subject {
        text = text.replacen("Subject: pass-rsa\r\n", &format!("Subject: {s}\r\n"), 1);
    }
    f.write(name, &text);
    text.into_bytes()
}

/// Class: the S/MIME From binding holds only when every From: mailbox is the signer's.
#[test]
fn smime_from_binding_needs_every_from_mailbox() {
    let f = smime_fixture("");
    let cases = [
        (
            "two-from.eml",
            "From: bob@example.org\r\nFrom: alice@example.org\r\n",
            false,
        ),
        (
            "list-from.eml",
            "From: alice@example.org, bob@example.org\r\n",
            false,
        ),
        (
            "group-from.eml",
            "From: bob@example.org:;, alice@example.org\r\n",
            false,
        ),
        (
            "comment-from.eml",
            "From: bob@example.org (<alice@example.org>)\r\n",
            false,
        ),
        (
            "named-from.eml",
            "From: \"Bob <bob@example.org>\" <alice@example.org>\r\n",
            true,
        ),
    ];
    for (name, from, _) in cases {
        with_from(&f, name, from, None);
    }
    // A second From: that is not UTF-8 still counts (mail-parser's headers_raw skips it).
    let mut raw = common::pki::wire(&f, "pass-rsa.eml");
    let at = common::smtp::find(&raw, b"From: alice@example.org\r\n").unwrap();
    raw.splice(at..at, b"From: bob@example.org\xff\r\n".iter().copied());
    std::fs::write(f.path("latin1-from.eml"), &raw).unwrap();

    let names: Vec<&str> = cases
        .iter()
        .map(|c| c.0)
        .chain(["latin1-from.eml"])
        .collect();
    let out = common::pki::smime_json(&f, &[], &names);
    for (v, name) in out.iter().zip(&names) {
        let bound = cases.iter().any(|c| c.0 == *name && c.2);
        if bound {
            assert_eq!(v["result"], "pass", "{name}: {v}");
        } else {
            assert_eq!(
                (v["result"].as_str(), v["reason"].as_str()),
                (Some("policy"), Some("from-mismatch")),
                "{name}: {v}"
            );
        }
    }

    // Through Postfix: the two-From message is not smime=pass for alice.
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let r = to_bob(
        pf.port,
        "<alice@example.org>",
        &common::pki::wire(&f, "two-from.eml"),
    );
    assert_eq!(r.code, 250, "{r}");
    let headers = first_delivered_headers(&pf);
    assert!(
        headers.contains("Authentication-Results: mx.test; smime=policy (from-mismatch)"),
        "{headers}"
    );
}

fn envelope_gates() -> Fixture {
    let f = smime_fixture(
        "require_signature = [\"ceo@board.example.org\"]\n\n\
[[policy]]\nname = \"secure\"\nwhen = { daemon_name = \"secure-submission\" }\nsender_allowlist = [\"senders.txt\"]\n\n\
[[policy]]\nname = \"customer\"\nwhen = { recipient_domain = \"customer.example\" }\naccess_rules = [\"customer.txt\"]\nno_match = \"accept\"\n\n\
[[policy]]\nname = \"partner\"\nwhen = { recipient_domain = \"partner.example\" }\naccess_rules = [\"partner.txt\"]\nno_match = \"accept\"\n",
    );
    f.write(
        "senders.txt",
        "!former@secure.example.org\n@secure.example.org\n",
    );
    f.write("customer.txt", "* blocked@customer.example <deny> - 0\n");
    f.write("partner.txt", "* @partner.example <deny> - 0\n");
    f
}

/// Class: envelope addresses reduced to the mailbox the MTA delivers to (RFC 5321 quoting,
/// the root dot) before any gate.
#[test]
fn quoted_and_dotted_envelope_addresses_meet_the_gates_in_query() {
    let f = envelope_gates();
    let v = query(
        &f,
        &[
            "--daemon-name",
            "secure-submission",
            "--from",
            "<\"former\"@secure.example.org>",
            "--rcpt",
            "x@y.example",
        ],
    );
    assert_eq!(v["sender"]["action"], "reject", "{v}");
    for rcpt in [
        "<\"blocked\"@customer.example>",
        "<blocked@customer.example.>",
        "<x@partner.example.>",
        "<\"x\"@Partner.Example.>",
    ] {
        let v = query(&f, &["--from", "a@b.example", "--rcpt", rcpt]);
        assert_eq!(v["recipients"][0]["action"], "reject", "{rcpt}: {v}");
    }
    // What Postfix refuses is an error here too, never a silently different address.
    let config = f.config();
    let (code, _, err) = run(&[
        "query",
        "-c",
        config.to_str().unwrap(),
        "--from",
        "<\"open@x.example>",
        "--rcpt",
        "a@b.example",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unbalanced quotes"), "{err}");
}

#[test]
fn quoted_and_dotted_envelope_addresses_meet_the_gates_through_postfix() {
    let f = envelope_gates();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let msg = plain("From: someone@example.org\r\n", "envelope class");
    let r = transact(
        pf.secure_port,
        "<\"former\"@secure.example.org>",
        &["<x@y.example>"],
        &msg,
    );
    assert_eq!(r.code, 550, "quoted former sender: {r}");
    let r = transact(
        pf.secure_port,
        "<former@secure.example.org.>",
        &["<x@y.example>"],
        &msg,
    );
    assert_eq!(r.code, 550, "dotted former sender: {r}");
    for rcpt in ["<\"blocked\"@customer.example>", "<x@partner.example.>"] {
        let r = transact(pf.port, "<a@b.example>", &[rcpt], &msg);
        assert_eq!(r.code, 550, "{rcpt}: {r}");
    }
    // The third: a reader sees From: the CEO whatever the bounce address says.
    for sender in [
        "<\"ceo\"@board.example.org>",
        "<ceo@board.example.org.>",
        "<bounces@lists.example>",
    ] {
        let unsigned = plain("From: ceo@board.example.org\r\n", "unsigned");
        let r = transact(pf.port, sender, &["<x@y.example>"], &unsigned);
        assert_eq!(r.code, 550, "{sender}: {r}");
        assert!(r.text().contains("signature is required"), "{r}");
    }
    std::thread::sleep(Duration::from_secs(1));
    assert!(pf.sink.received().is_empty(), "refused mail was delivered");
}

fn header_stage_fixture() -> Fixture {
    let f = smime_fixture(
        "\n\
[[policy]]\nname = \"compose\"\nwhen = { subject_tag = \"[secure]\" }\naccess_rules = [\"compose.txt\"]\nannotate = true\nsmime_actions = { policy = \"reject\" }\n\n\
[[policy]]\nname = \"board\"\nwhen = { daemon_name = \"secure-submission\" }\nsender_allowlist = [\"board.txt\"]\nsmime_actions = { policy = \"reject\" }\n",
    );
    f.write("compose.txt", "* @elsewhere.example <reg> - 0\n");
    f.write("board.txt", "alice@example.org\n");
    f
}

/// Class: header-stage decisions are kept: annotation and smime_actions of policies
/// decided at end of headers, and of allowlist-only policies.
#[test]
fn header_stage_policies_are_in_scope_in_query() {
    let f = header_stage_fixture();
    let v = query(
        &f,
        &[
            "--from",
            "alice@example.org",
            "--rcpt",
            "bob@elsewhere.example",
            "--subject",
            "[secure] board minutes",
        ],
    );
    assert_eq!(
        (v["action"].as_str(), &v["in_scope"]),
        (Some("accept"), &serde_json::json!(["compose"])),
        "{v}"
    );
    let v = query(
        &f,
        &[
            "--daemon-name",
            "secure-submission",
            "--from",
            "alice@example.org",
            "--rcpt",
            "bob@elsewhere.example",
        ],
    );
    assert_eq!(v["in_scope"], serde_json::json!(["board"]), "{v}");
}

#[test]
fn header_stage_policies_apply_smime_actions_and_annotate_through_postfix() {
    let f = header_stage_fixture();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    // Signed by alice, From: someone else: smime=policy (from-mismatch).
    let mismatch = with_from(
        &f,
        "m1.eml",
        "From: mallory@example.org\r\n",
        Some("[secure] board minutes"),
    );
    let r = to_bob(pf.port, "<alice@example.org>", &mismatch);
    assert_eq!(
        r.code, 550,
        "header-stage policy's smime_actions ignored: {r}"
    );
    assert!(r.text().contains("from-mismatch"), "{r}");
    // The allowlist-only policy's smime_actions apply too.
    let mismatch = with_from(&f, "m2.eml", "From: mallory@example.org\r\n", Some("plain"));
    let r = to_bob(pf.secure_port, "<alice@example.org>", &mismatch);
    assert_eq!(
        r.code, 550,
        "allowlist-only policy's smime_actions ignored: {r}"
    );
    // A good message in the header-scoped policy's scope carries its annotation.
    let good = with_from(
        &f,
        "g.eml",
        "From: alice@example.org\r\n",
        Some("[secure] agenda"),
    );
    let r = to_bob(pf.port, "<alice@example.org>", &good);
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    let headers = got[0].header_section();
    assert!(
        headers.contains("X-Mailwarden-Policy: accepted; policy=compose; method=reg"),
        "{headers}"
    );
}

/// Class: a header condition holds when any instance matches, as received or decoded.
#[test]
fn a_second_or_encoded_subject_cannot_step_out_of_scope() {
    let f = header_stage_fixture();
    for subjects in [
        vec!["Subject: hello", "Subject: [secure] hi"],
        vec!["Subject: =?utf-8?q?=5Bsecure=5D_hi?="],
    ] {
        let mut args = vec!["--from", "a@b.example", "--rcpt", "x@unregistered.example"];
        for s in &subjects {
            args.extend(["--header", s]);
        }
        let v = query(&f, &args);
        assert_eq!(v["action"], "reject", "{subjects:?}: {v}");
        assert_eq!(v["recipients"][0]["policy"], "compose", "{v}");
    }
}

#[test]
fn the_tag_action_tags_every_subject_through_postfix() {
    let f = smime_fixture("actions = { policy = \"tag\" }\n");
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let mut text = String::from_utf8(common::pki::wire(&f, "untrusted.eml")).unwrap();
    text = text.replacen(
        "Subject: untrusted\r\n",
        "Subject: first\r\nSubject: second\r\n",
        1,
    );
    let r = to_bob(pf.port, "<alice@example.org>", text.as_bytes());
    assert_eq!(r.code, 250, "{r}");
    let headers = first_delivered_headers(&pf);
    assert!(
        headers.contains("Subject: [S/MIME policy] first"),
        "{headers}"
    );
    assert!(
        headers.contains("Subject: [S/MIME policy] second"),
        "{headers}"
    );
}

/// Class: forged Authentication-Results in every form RFC 8601 allows for our id.
#[test]
fn forged_authentication_results_in_rfc8601_forms_are_removed_through_postfix() {
    let f = smime_fixture("");
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    let forged = "Authentication-Results: \"mx.test\"; smime=pass (forged-1)\r\n\
                  Authentication-Results: ((x)) mx.test; smime=pass (forged-2)\r\n\
                  Authentication-Results: (a\\) b) mx.test; smime=pass (forged-3)\r\n\
                  Authentication-Results: other.example; dkim=pass (kept)\r\n\
                  X-Mailwarden-Decrypted: by mx.test with forged (forged-4)\r\n";
    let mut message = forged.as_bytes().to_vec();
    message.extend(common::pki::wire(&f, "untrusted.eml"));
    let r = to_bob(pf.port, "<alice@example.org>", &message);
    assert_eq!(r.code, 250, "{r}");
    let headers = first_delivered_headers(&pf);
    for n in 1..=4 {
        assert!(
            !headers.contains(&format!("forged-{n}")),
            "forged-{n} survived:\n{headers}"
        );
    }
    assert!(headers.contains("(kept)"), "{headers}");
    assert!(
        headers.contains("mx.test; smime=policy (untrusted-issuer)"),
        "{headers}"
    );
}

/// Class: invisible characters in synced rule files.
#[test]
fn invisible_characters_inside_rule_files_fail_check_naming_the_line() {
    let f = Fixture::new();
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[[policy]]\nname = \"p\"\nsender_allowlist = [\"senders.txt\"]\n",
    );
    for bad in [
        "\u{feff}!former@secure.example.org",
        "!former@secure.example.org\u{200b}",
        "!former\u{2060}@secure.example.org",
    ] {
        f.write("senders.txt", &format!("@secure.example.org\n{bad}\n"));
        let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
        assert_ne!(code, 0, "{bad:?} loaded");
        assert!(
            err.contains("senders.txt:2: invisible character U+"),
            "{bad:?}: {err}"
        );
    }
    f.write(
        "senders.txt",
        "\u{feff}@secure.example.org\n!former@secure.example.org\n",
    );
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "a BOM that starts the file is fine: {err}");
}

/// Class: a rule file replaced by a symlink to a secret is not copied into the log.
#[test]
fn a_rule_file_linked_to_a_secret_is_not_echoed_into_logs() {
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\ndebounce_ms = 50\n[[policy]]\nname = \"p\"\nsender_allowlist = [\"senders.txt\"]\n",
    );
    let secret = tempfile::Builder::new()
        .prefix("mailwarden-secret.")
        .tempdir()
        .unwrap();
    let shadow = secret.path().join("shadow");
    std::fs::write(
        &shadow,
        "root:$6$saltsalt$TOPSECRETHASHVALUE0123456789abcdef:19000:0:99999:7:::\n",
    )
    .unwrap();
    let milter = Milter::start(&f.config());
    let skip = milter.log_len();
    let tmp = f.path("link.tmp");
    std::os::unix::fs::symlink(&shadow, &tmp).unwrap();
    std::fs::rename(&tmp, f.path("senders.txt")).unwrap();
    milter.wait_log_after(skip, "senders.txt:1", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let logs = milter.logs();
    assert!(!logs.contains("TOPSECRET"), "{logs}");
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        !err.contains("TOPSECRET") && err.contains("senders.txt:1"),
        "{err}"
    );
}

/// Class: a panic anywhere in S/MIME evaluation (cms, der, certval, ours) is a verdict,
/// never a failed job that temp-fails the message on every retry. Test builds panic on
/// request (MAILWARDEN_TEST_PANIC); no input is known to make a dependency panic.
#[test]
fn a_panic_in_verification_is_temperror_internal_error() {
    let f = smime_fixture("");
    let config = f.config();
    let file = f.path("pass-rsa.eml");
    let (code, out, err) = common::run_env(
        &[
            "smime",
            "-c",
            config.to_str().unwrap(),
            "--json",
            file.to_str().unwrap(),
        ],
        &[("MAILWARDEN_TEST_PANIC", "verify")],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["result"].as_str(), v["reason"].as_str()),
        (Some("temperror"), Some("internal-error")),
        "{v}"
    );

    let mut cmd = Milter::serve_on_free_port(&config);
    cmd.env("MAILWARDEN_TEST_PANIC", "verify");
    let milter = Milter::spawn(&mut cmd);
    let pf = Postfix::start(&milter.socket());
    let r = to_bob(
        pf.port,
        "<alice@example.org>",
        &common::pki::wire(&f, "pass-rsa.eml"),
    );
    assert_eq!(r.code, 250, "a panic became a tempfail: {r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert!(
        got[0]
            .header_section()
            .contains("mx.test; smime=temperror (internal-error)"),
        "{}",
        got[0].header_section()
    );
    let line = milter.wait_log("S/MIME evaluation failed internally", WAIT);
    assert!(
        line.contains("queue_id") && line.contains("media_type"),
        "{line}"
    );
    assert!(!line.contains("Hello from Alice"), "{line}");
}

/// Class: operator input that panicked or spun.
#[test]
fn smime_at_with_non_ascii_text_is_an_error_not_a_panic() {
    let f = common::pki::fixture("[smime]\ntrust = [\"trust.pem\"]\n");
    let config = f.config();
    let file = f.path("pass-rsa.eml");
    // The first sliced the offset inside a multi-byte character and panicked.
    for at in [
        "2026-02-01T00:00:00+0\u{e9}00",
        "2026-02-01T00:00:0\u{e9}Z",
        "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
    ] {
        let (code, _, err) = run(&[
            "smime",
            "-c",
            config.to_str().unwrap(),
            "--at",
            at,
            file.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{at:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("--at: not an RFC 3339 time"), "{err}");
    }
}

/// CPU seconds (user + system) a process has used.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Out of file descriptors: accept errors neither end the milter (indymilter stops on
/// the first one) nor spin a core on the control socket; service resumes afterwards.
#[test]
fn running_out_of_descriptors_neither_stops_the_milter_nor_spins() {
    use std::os::unix::process::CommandExt;
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    let control = f.path("control.sock");
    f.write(
        "mailwarden.toml",
        &format!("[reload]\ncontrol_socket = \"{}\"\n[[policy]]\nname = \"p\"\nsender_allowlist = [\"senders.txt\"]\n", control.display()),
    );
    let mut cmd = Milter::serve_on_free_port(&f.config());
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, 48, 48)
                .map_err(std::io::Error::from)
        });
    }
    let mut milter = Milter::spawn(&mut cmd);
    // Hold connections until the daemon has no descriptor left to accept with.
    let mut held = Vec::new();
    for _ in 0..80 {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", milter.port)) {
            held.push(s);
        }
    }
    let mut control_conns = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = std::os::unix::net::UnixStream::connect(&control) {
            control_conns.push(s);
        }
    }
    // Let every accept the daemon will attempt fail.
    std::thread::sleep(Duration::from_secs(1));
    let before = cpu_seconds(milter.pid());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_seconds(milter.pid()) - before;
    assert!(
        used < 1.0,
        "{used} CPU seconds in 2 s: an accept loop spins"
    );
    assert!(
        milter.wait_exit(Duration::from_millis(10)).is_none(),
        "the milter exited: {}",
        milter.logs()
    );
    assert!(
        milter.logs().contains("cannot accept"),
        "descriptors were not exhausted: {}",
        milter.logs()
    );
    drop(held);
    drop(control_conns);
    // Still serving: a milter connection negotiates, MAIL is judged.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut conn = indymilter_test::TestConnection::open(("127.0.0.1", milter.port))
            .await
            .expect("milter still accepts");
        conn.macros(indymilter_test::MacroStage::Mail, [("i", "Q1")])
            .await
            .unwrap();
        let s = conn.mail(["<mallory@evil.example>"]).await.unwrap();
        assert!(matches!(s, indymilter_test::Status::Reject { .. }), "{s:?}");
    });
    assert!(
        !milter.logs().contains("milter exited with error"),
        "{}",
        milter.logs()
    );
}

/// Negotiation asks only for the changes the settings can make, and an MTA that lacks
/// one gets a clear log line and 451s rather than a dropped connection.
#[test]
fn negotiation_requests_only_the_edits_the_settings_use() {
    use indymilter_test::{Actions, TestConnection};
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[[policy]]\nname = \"p\"\nsender_allowlist = [\"senders.txt\"]\n",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let milter = Milter::start(&f.config());
    let actions = rt.block_on(async {
        TestConnection::open(("127.0.0.1", milter.port))
            .await
            .unwrap()
            .negotiated_actions()
    });
    assert_eq!(
        actions,
        Actions::empty(),
        "policy-only milter asked for {actions:?}"
    );
    drop(milter);

    let f = smime_fixture("");
    let milter = Milter::start(&f.config());
    let actions = rt.block_on(async {
        TestConnection::open(("127.0.0.1", milter.port))
            .await
            .unwrap()
            .negotiated_actions()
    });
    assert!(
        actions.contains(Actions::ADD_HEADER | Actions::CHANGE_HEADER),
        "{actions:?}"
    );
    assert!(
        !actions.contains(Actions::REPLACE_BODY),
        "deliver = original asked for body replacement: {actions:?}"
    );
    // An MTA that does not let us change headers: told why, and mail is temp-failed.
    rt.block_on(async {
        let mut conn = TestConnection::configure()
            .available_actions(Actions::ADD_HEADER)
            .open_tcp(("127.0.0.1", milter.port))
            .await
            .expect("negotiation still succeeds");
        let s = conn.mail(["<alice@example.org>"]).await.unwrap();
        assert!(
            matches!(s, indymilter_test::Status::Tempfail { .. }),
            "{s:?}"
        );
    });
    let line = milter.wait_log("does not offer message changes", WAIT);
    assert!(line.contains("SMFIF_CHGHDRS"), "{line}");
}

/// Class: a reload race. A trust-store change starts a slow load (a PKCS#12 key with a
/// high PBKDF2 count); a SIGHUP with new settings lands meanwhile; the slow load must
/// not publish the settings it started from.
#[test]
fn a_slow_trust_store_load_does_not_undo_a_sighup() {
    let settings = |id: &str| {
        format!(
            "[reload]\ncontrol_socket = \"\"\n[smime]\ntrust = [\"trust.pem\"]\nauthserv_id = \"{id}\"\nkeys = [{{ pkcs12 = \"slow.p12\", password_file = \"bob.pw\" }}]\n"
        )
    };
    let f = common::pki::fixture(&settings("before.test"));
    common::pki::openssl(
        f.dir.path(),
        &[
            "pkcs12",
            "-export",
            "-in",
            "bob.pem",
            "-inkey",
            "bob.key",
            "-passout",
            "file:bob.pw",
            "-iter",
            "3000000",
            "-out",
            "slow.p12",
        ],
    );
    let milter = Milter::start(&f.config());
    let pf = Postfix::start(&milter.socket());
    // Touch the trust store: the watcher starts its (slow) load two checks later.
    let skip = milter.log_len();
    let trust = std::fs::read(f.path("trust.pem")).unwrap();
    std::fs::write(f.path("trust.pem"), &trust).unwrap();
    milter.wait_log_after(skip, "files changed; loading them", WAIT);
    f.write("mailwarden.toml", &settings("after.test"));
    milter.signal(nix::sys::signal::Signal::SIGHUP);
    // Both loads are over when the slow one reports (applied, or superseded).
    let start = std::time::Instant::now();
    loop {
        let logs: Vec<String> = milter
            .logs()
            .lines()
            .skip(skip)
            .map(str::to_owned)
            .collect();
        let sighup_done = logs.iter().any(|l| l.contains("smime trust store loaded"));
        let slow_done = logs.iter().any(|l| {
            l.contains("smime store reload superseded") || l.contains("smime trust store reloaded")
        });
        if sighup_done && slow_done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{}",
            milter.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = to_bob(
        pf.port,
        "<alice@example.org>",
        &common::pki::wire(&f, "pass-rsa.eml"),
    );
    assert_eq!(r.code, 250, "{r}");
    let headers = first_delivered_headers(&pf);
    assert!(
        headers.contains("Authentication-Results: after.test; smime=pass"),
        "the SIGHUP was undone:\n{headers}"
    );
}

/// Class: any authenticated user sending as an allowlisted address. mailwarden sees the
/// SASL login only as `{auth_authen}`; Postfix's own smtpd_sender_login_maps binds logins
/// to senders (docs/postfix.md). The documented example, through real Postfix with Cyrus
/// SASL (sasldb).
#[test]
fn sasl_logins_are_bound_to_senders_by_postfix_as_documented() {
    use base64::Engine as _;
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\nceo@board.example.org\n");
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[[policy]]\nname = \"secure\"\nwhen = { daemon_name = \"secure-submission\", authenticated = true }\nsender_allowlist = [\"senders.txt\"]\n",
    );
    let sasl = tempfile::Builder::new()
        .prefix("mailwarden-sasl.")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = sasl.path();
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let db = dir.join("sasldb2");
    let mut child = std::process::Command::new("saslpasswd2")
        .args([
            "-p",
            "-c",
            "-f",
            db.to_str().unwrap(),
            "-u",
            "example.org",
            "alice",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("saslpasswd2 (sasl2-bin, installed by tests/run.sh)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"alice-password")
        .unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::set_permissions(&db, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    // The map of docs/postfix.md: which logins may use which envelope sender.
    std::fs::write(
        dir.join("sender_logins"),
        "alice@example.org    alice@example.org\nceo@board.example.org    ceo@example.org\n",
    )
    .unwrap();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start_with(
        &milter.socket(),
        &format!(
            "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = cyrus\nsmtpd_sasl_path = smtpd\nsmtpd_sasl_security_options = noanonymous\nsmtpd_sender_login_maps = texthash:{d}/sender_logins\nsmtpd_sender_restrictions = reject_authenticated_sender_login_mismatch\n",
            d = dir.display()
        ),
    );
    // Debian's smtpd reads $config_directory/sasl/smtpd.conf (/etc/postfix/sasl/ on a
    // real system); smtpd processes read it at start, hence the reload.
    let sasl_conf = pf.dir.path().join("etc/sasl");
    std::fs::create_dir_all(&sasl_conf).unwrap();
    std::fs::write(
        sasl_conf.join("smtpd.conf"),
        format!(
            "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN\nsasldb_path: {}\n",
            db.display()
        ),
    )
    .unwrap();
    let reload = common::output_within(
        std::process::Command::new("postfix")
            .arg("-c")
            .arg(pf.dir.path().join("etc"))
            .arg("reload"),
        common::HELPER_LIMIT,
    );
    assert!(reload.status.success(), "{reload:?}");
    std::thread::sleep(Duration::from_secs(1));
    let login =
        base64::engine::general_purpose::STANDARD.encode(b"\0alice@example.org\0alice-password");
    let send_as = |sender: &str| {
        let mut c = Client::connect(pf.secure_port).unwrap();
        let r = c.cmd(&format!("AUTH PLAIN {login}")).unwrap();
        assert_eq!(r.code, 235, "AUTH: {r}\n{}", pf.maillog());
        let r = c.cmd(&format!("MAIL FROM:<{sender}>")).unwrap();
        if r.code != 250 {
            return r;
        }
        // smtpd_delay_reject: Postfix applies sender restrictions at RCPT TO.
        let r = c.cmd("RCPT TO:<bob@elsewhere.example>").unwrap();
        if r.code != 250 {
            return r;
        }
        let r = c
            .data(&plain(&format!("From: {sender}\r\n"), "sasl"))
            .unwrap();
        c.quit();
        r
    };
    // alice may not use the CEO's allowlisted address: Postfix refuses before mailwarden.
    let r = send_as("ceo@board.example.org");
    assert_eq!(r.code, 553, "{r}");
    assert!(
        r.text().contains("not owned by user alice@example.org"),
        "{r}"
    );
    // Her own address passes both Postfix and mailwarden's allowlist.
    let r = send_as("alice@example.org");
    assert_eq!(r.code, 250, "{r}\n{}", pf.maillog());
    assert_eq!(pf.sink.wait_for(1, WAIT).len(), 1);
}

/// Class: require_signature judges the author a reader sees, even a From: that arrives
/// after more header bytes than the policy header store keeps (1 MiB).
#[test]
fn require_signature_sees_a_from_after_a_megabyte_of_headers() {
    use indymilter_test::{MacroStage, Status, TestConnection};
    let f = smime_fixture("require_signature = [\"ceo@board.example.org\"]\n");
    let milter = Milter::start(&f.config());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut conn = TestConnection::open(("127.0.0.1", milter.port))
            .await
            .unwrap();
        conn.macros(MacroStage::Mail, [("i", "Q2")]).await.unwrap();
        assert_eq!(
            conn.mail(["<bounces@lists.example>"]).await.unwrap(),
            Status::Continue
        );
        assert_eq!(
            conn.rcpt(["<x@y.example>"]).await.unwrap(),
            Status::Continue
        );
        assert_eq!(conn.data().await.unwrap(), Status::Continue);
        let pad = "x".repeat(100_000);
        for _ in 0..11 {
            assert_eq!(
                conn.header("X-Pad", pad.as_str()).await.unwrap(),
                Status::Continue
            );
        }
        conn.header("From", "ceo@board.example.org").await.unwrap();
        conn.header("Subject", "unsigned").await.unwrap();
        conn.eoh().await.unwrap();
        conn.body("hello\r\n").await.unwrap();
        let (_, status) = conn.eom().await.unwrap();
        match status {
            Status::Reject { message: Some(m) } => {
                assert!(
                    m.to_string_lossy().contains("signature is required"),
                    "{m:?}"
                )
            }
            other => panic!("unsigned mail shown From: the CEO was not refused: {other:?}"),
        }
    });
}

/// Class: routing in the local part. With its own domain in mydestination, Postfix's
/// default allow_percent_hack and swap_bangpath deliver `user%domain@ours` and
/// `domain!user@ours` to `user@domain`; every gate judges that reading too.
#[test]
fn percent_hack_and_bang_paths_meet_the_gates_through_postfix() {
    let f = envelope_gates();
    let milter = Milter::start(&f.config());
    let pf = Postfix::start_with(&milter.socket(), "mydestination = secure.example.org\n");
    let msg = plain("From: someone@example.org\r\n", "routing class");
    for rcpt in [
        "<blocked%customer.example@secure.example.org>",
        "<customer.example!blocked@secure.example.org>",
        "<x%partner.example@secure.example.org>",
    ] {
        let r = transact(pf.port, "<a@b.example>", &[rcpt], &msg);
        assert_eq!(r.code, 550, "{rcpt}: {r}");
    }
    let r = transact(
        pf.secure_port,
        "<former%secure.example.org@secure.example.org>",
        &["<x@y.example>"],
        &msg,
    );
    assert_eq!(r.code, 550, "routed former sender: {r}");
    // The rewrite is live in this Postfix: an unscoped routed recipient is delivered
    // to the mailbox after the `%`.
    let r = transact(
        pf.port,
        "<a@b.example>",
        &["<bob%elsewhere.example@secure.example.org>"],
        &msg,
    );
    assert_eq!(r.code, 250, "{r}");
    let got = pf.sink.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    assert_eq!(got[0].rcpts, vec!["<bob@elsewhere.example>".to_owned()]);
}
