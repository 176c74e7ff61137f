//! The real `mailwarden` binary driven from the MTA side of the milter protocol.

mod common;

use indymilter_test::{EomAction, MacroStage, ProtoOpts, Status, TestConnection};
use std::ffi::CString;

use common::{Fixture, Milter};

fn envelope_only() -> Fixture {
    let f = Fixture::new();
    f.write(
        "senders.txt",
        "alice@example.org\n!blocked@trusted.example\n@trusted.example\n",
    );
    f.write(
        "rules.txt",
        "* user@customer.example <reg> - 0\n* * <deny> - 0\n",
    );
    f.write(
        "mailwarden.toml",
        r#"
[[policy]]
name = "secure-envelope"
when = { daemon_name = "secure-submission" }
sender_allowlist = ["senders.txt"]
sender_reply = "No, {sender} ({policy})"

[[policy]]
name = "customer"
when = { recipient_domain = "customer.example" }
access_rules = ["rules.txt"]
"#,
    );
    f
}

fn reject_text(s: &Status) -> String {
    match s {
        Status::Reject { message: Some(m) } => m.to_string_lossy().into_owned(),
        other => panic!("expected a reject with text, got {other:?}"),
    }
}

async fn open(m: &Milter) -> TestConnection {
    TestConnection::open(("127.0.0.1", m.port))
        .await
        .expect("negotiate")
}

#[tokio::test(flavor = "multi_thread")]
async fn negotiation_envelope_only_skips_headers_and_body_but_keeps_data() {
    let f = envelope_only();
    let m = Milter::start(&f.config());
    let conn = open(&m).await;
    let opts = conn.negotiated_opts();
    for skipped in [
        ProtoOpts::NO_HEADER,
        ProtoOpts::NO_EOH,
        ProtoOpts::NO_BODY,
        ProtoOpts::NO_CONNECT,
        ProtoOpts::NO_HELO,
    ] {
        assert!(
            opts.contains(skipped),
            "{skipped:?} not negotiated away: {opts:?}"
        );
    }
    for kept in [ProtoOpts::NO_MAIL, ProtoOpts::NO_RCPT, ProtoOpts::NO_DATA] {
        assert!(!opts.contains(kept), "{kept:?} negotiated away: {opts:?}");
    }
    let mail_macros = conn
        .requested_macros()
        .get(&MacroStage::Mail)
        .expect("mail macros requested");
    let mail_macros = mail_macros.to_string_lossy();
    for want in ["i", "{daemon_name}", "{auth_authen}"] {
        assert!(
            mail_macros.split(' ').any(|m| m == want),
            "{want} not requested: {mail_macros}"
        );
    }
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn negotiation_with_header_policy_asks_for_headers() {
    let f = envelope_only();
    f.write("mailwarden.toml", "[[policy]]\nname = \"t\"\nwhen = { subject_tag = \"[secure]\" }\naccess_rules = [\"rules.txt\"]\n");
    let m = Milter::start(&f.config());
    let conn = open(&m).await;
    let opts = conn.negotiated_opts();
    assert!(
        !opts.contains(ProtoOpts::NO_HEADER) && !opts.contains(ProtoOpts::NO_EOH),
        "{opts:?}"
    );
    assert!(opts.contains(ProtoOpts::NO_BODY), "{opts:?}");
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_name_macro_scopes_the_sender_policy() {
    let f = envelope_only();
    let m = Milter::start(&f.config());
    let mut conn = open(&m).await;
    conn.macros(
        MacroStage::Mail,
        [("{daemon_name}", "secure-submission"), ("i", "4ABC123")],
    )
    .await
    .unwrap();
    let s = conn.mail(["<mallory@example.net>"]).await.unwrap();
    assert_eq!(
        reject_text(&s),
        "550 5.7.1 No, <mallory@example.net> (secure-envelope)"
    );
    let log = m.wait_log("sender refused", std::time::Duration::from_secs(5));
    assert!(log.contains("4ABC123"), "queue id missing from log: {log}");
    assert!(log.contains("no match"), "{log}");

    conn.macros(MacroStage::Mail, [("{daemon_name}", "secure-submission")])
        .await
        .unwrap();
    let s = conn.mail(["<blocked@trusted.example>"]).await.unwrap();
    assert!(
        matches!(s, Status::Reject { .. }),
        "explicit deny entry ignored: {s:?}"
    );
    let log = m.wait_log("blocked@trusted.example", std::time::Duration::from_secs(5));
    assert!(
        log.contains("senders.txt:2"),
        "rule PATH:LINE missing: {log}"
    );

    conn.macros(MacroStage::Mail, [("{daemon_name}", "secure-submission")])
        .await
        .unwrap();
    assert_eq!(
        conn.mail(["<carol@trusted.example>"]).await.unwrap(),
        Status::Continue
    );
    conn.abort().await.unwrap();

    conn.macros(MacroStage::Mail, [("{daemon_name}", "smtpd")])
        .await
        .unwrap();
    assert_eq!(
        conn.mail(["<mallory@example.net>"]).await.unwrap(),
        Status::Continue
    );
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn several_messages_on_one_connection_with_abort_keep_state_apart() {
    let f = envelope_only();
    let m = Milter::start(&f.config());
    let mut conn = open(&m).await;
    // Message 1: one recipient refused, one accepted, then the MTA aborts.
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.rcpt(["<user@customer.example>"]).await.unwrap(),
        Status::Continue
    );
    let s = conn.rcpt(["<other@customer.example>"]).await.unwrap();
    assert!(
        reject_text(&s).starts_with(
            "550 5.7.1 Sender <a@example.org> may not send to <other@customer.example>"
        ),
        "{s:?}"
    );
    conn.abort().await.unwrap();
    // Message 2: null sender, complete.
    assert_eq!(conn.mail(["<>"]).await.unwrap(), Status::Continue);
    assert_eq!(
        conn.rcpt(["<User+x@Customer.Example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.rcpt(["<x@elsewhere.example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(conn.data().await.unwrap(), Status::Continue);
    let (actions, status) = conn.eom().await.unwrap();
    assert_eq!(status, Status::Continue);
    assert!(actions.actions.is_empty(), "{actions:?}");
    // Message 3 after a completed one.
    assert_eq!(
        conn.mail(["<b@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert!(matches!(
        conn.rcpt(["<nobody@customer.example>"]).await.unwrap(),
        Status::Reject { .. }
    ));
    conn.abort().await.unwrap();
    conn.close().await.unwrap();
    // Log lines arrive through a pipe reader: wait for the last one before counting.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while m.logs().matches("recipient refused").count() < 2 && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let logs = m.logs();
    assert_eq!(logs.matches("message accepted").count(), 1, "{logs}");
    assert_eq!(logs.matches("recipient refused").count(), 2, "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn annotation_replaces_forged_header_and_hides_other_recipients() {
    let f = envelope_only();
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"customer\"\nwhen = { recipient_domain = \"customer.example\" }\naccess_rules = [\"rules.txt\"]\nannotate = true\n",
    );
    let m = Milter::start(&f.config());
    let mut conn = open(&m).await;
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.rcpt(["<user@customer.example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(conn.data().await.unwrap(), Status::Continue);
    assert_eq!(
        conn.header("Subject", "hi").await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.header("X-Mailwarden-Policy", "accepted; forged")
            .await
            .unwrap(),
        Status::Continue
    );
    assert_eq!(conn.eoh().await.unwrap(), Status::Continue);
    let (actions, status) = conn.eom().await.unwrap();
    assert_eq!(status, Status::Continue);
    let name = CString::new("X-Mailwarden-Policy").unwrap();
    assert!(
        actions.actions.contains(&EomAction::DeleteHeader {
            name: name.clone(),
            index: 1
        }),
        "{actions:?}"
    );
    let added = actions.actions.iter().find_map(|a| match a {
        EomAction::AddHeader { name: n, value } if *n == name => {
            Some(value.to_string_lossy().into_owned())
        }
        _ => None,
    });
    assert_eq!(
        added.as_deref(),
        Some("accepted; policy=customer; method=reg; param=-; flags=0")
    );

    // Two recipients: no per-recipient details in a header every recipient sees.
    assert_eq!(
        conn.mail(["<a@example.org>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.rcpt(["<user@customer.example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(
        conn.rcpt(["<bcc@elsewhere.example>"]).await.unwrap(),
        Status::Continue
    );
    assert_eq!(conn.data().await.unwrap(), Status::Continue);
    assert_eq!(conn.eoh().await.unwrap(), Status::Continue);
    let (actions, _) = conn.eom().await.unwrap();
    let added: Vec<_> = actions
        .actions
        .iter()
        .filter_map(|a| match a {
            EomAction::AddHeader { value, .. } => Some(value.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec!["accepted; policy=customer; recipients=2".to_owned()]
    );
    conn.close().await.unwrap();
}

/// The same milter through OpenDKIM's `miltertest`, an independent protocol implementation.
#[test]
fn miltertest_script_passes() {
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write("rules.txt", "* user@customer.example <reg> - 0\n");
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"env\"\nwhen = { daemon_name = \"secure-submission\" }\nsender_allowlist = [\"senders.txt\"]\n\n[[policy]]\nname = \"c\"\nwhen = { recipient_domain = \"customer.example\" }\naccess_rules = [\"rules.txt\"]\n",
    );
    let m = Milter::start(&f.config());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/miltertest/envelope.lua");
    let out = common::output_within(
        std::process::Command::new("miltertest").args([
            "-D",
            &format!("port={}", m.port),
            "-s",
            script,
        ]),
        common::HELPER_LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "miltertest failed: {stdout}{}\nmilter log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        m.logs()
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
    let logs = m.logs();
    assert!(
        logs.contains("MT0001") && logs.contains("sender refused"),
        "{logs}"
    );
}
