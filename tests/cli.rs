//! `mailwarden check` and `mailwarden query` as an operator runs them.

mod common;

use common::{Fixture, run};

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write("rules.txt", "* user@customer.example <reg> - 0\n* blocked@customer.example <deny> - 0\ntest@example.org * <sms> 0401234567 3\n");
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"env\"\nwhen = { daemon_name = \"secure\" }\nsender_allowlist = [\"senders.txt\"]\n\n[[policy]]\nname = \"rcpt\"\naccess_rules = [\"rules.txt\"]\n",
    );
    f
}

#[test]
fn check_valid_config_prints_one_line_per_source() {
    let f = fixture();
    let (code, out, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let senders = f.path("senders.txt");
    assert!(
        out.contains(&format!(
            "ok: sender_allowlist {}: 1 entries",
            senders.display()
        )),
        "{out}"
    );
    assert!(out.contains("rules.txt: 3 entries"), "{out}");
    assert!(out.lines().next().unwrap().contains("2 policies"), "{out}");
}

#[test]
fn check_rejects_unknown_key_with_path_and_line() {
    let f = fixture();
    f.write("mailwarden.toml", "[milter]\nlisten = \"inet:127.0.0.1:1\"\n\n[[policy]]\nname = \"p\"\nsender_allowlists = [\"senders.txt\"]\n");
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    let want = format!(
        "{}:6:1: unknown field `sender_allowlists`",
        f.config().display()
    );
    assert!(err.contains(&want), "{err}");
}

#[test]
fn check_rejects_missing_referenced_file_naming_the_setting_line() {
    let f = fixture();
    f.write("mailwarden.toml", "[[policy]]\nname = \"p\"\nsender_allowlist = [\n  \"senders.txt\",\n  \"missing.txt\",\n]\n");
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    let want = format!(
        "{}:5: sender_allowlist: {}: cannot read: No such file",
        f.config().display(),
        f.path("missing.txt").display()
    );
    assert!(err.contains(&want), "{err}");
}

#[test]
fn check_reports_every_malformed_rule_line() {
    let f = fixture();
    f.write("rules.txt", "# header\n* a@b.example <reg> -\n* a@b.example <reg> - x\nnot-an-address * <reg> - 0\n* ok@b.example <reg> - 0\n");
    let (code, _, err) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1);
    let p = f.path("rules.txt");
    let p = p.display();
    assert!(
        err.contains(&format!(
            "{p}:2: expected 5 fields (SENDER RECIPIENT <METHOD> PARAM FLAGS), found 4"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:3: FLAGS must be a non-negative integer")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:4: SENDER: bad pattern")),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("rules.txt:")).count(),
        3,
        "{err}"
    );
}

#[test]
fn check_without_config_uses_builtin_defaults() {
    // -c is absent and /etc/mailwarden/mailwarden.toml does not exist on a test machine.
    if std::path::Path::new("/etc/mailwarden/mailwarden.toml").exists() {
        return;
    }
    let (code, out, _) = run(&["check"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("built-in defaults: listen inet:127.0.0.1:8895, 0 policies"),
        "{out}"
    );
}

#[test]
fn query_json_has_the_documented_shape() {
    let f = fixture();
    let cfg = f.config();
    let (code, out, err) = run(&[
        "query",
        "-c",
        cfg.to_str().unwrap(),
        "--from",
        "test@example.org",
        "--rcpt",
        "User@Customer.example",
        "--rcpt",
        "blocked@customer.example",
        "--rcpt",
        "x@y.example",
        "--daemon-name",
        "secure",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let rules = f.path("rules.txt").display().to_string();
    let senders = f.path("senders.txt").display().to_string();
    let want = serde_json::json!({
        "action": "reject",
        "sender": {"action": "reject", "policy": "env", "rule": null},
        "recipients": [
            {"rcpt": "User@Customer.example", "action": "accept", "policy": "rcpt", "rule": format!("{rules}:1"), "method": "reg", "param": null, "flags": 0},
            {"rcpt": "blocked@customer.example", "action": "reject", "policy": "rcpt", "rule": format!("{rules}:2"), "method": null, "param": null, "flags": null},
            {"rcpt": "x@y.example", "action": "accept", "policy": "rcpt", "rule": format!("{rules}:3"), "method": "sms", "param": "0401234567", "flags": 3},
        ],
        "in_scope": []
    });
    assert_eq!(v, want);
    let (_, out, _) = run(&[
        "query",
        "-c",
        cfg.to_str().unwrap(),
        "--from",
        "alice@example.org",
        "--rcpt",
        "x@y.example",
        "--daemon-name",
        "secure",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        v["action"], "reject",
        "no access rule for alice -> x@y.example: {v}"
    );
    assert_eq!(
        v["sender"],
        serde_json::json!({"action": "accept", "policy": "env", "rule": format!("{senders}:1")})
    );
    let (_, out, _) = run(&[
        "query",
        "-c",
        cfg.to_str().unwrap(),
        "--from",
        "<>",
        "--rcpt",
        "user@customer.example",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["action"].as_str(), v["sender"]["action"].as_str()),
        (Some("accept"), Some("none"))
    );
}

#[test]
fn query_text_explains_the_decision() {
    let f = fixture();
    let (code, out, _) = run(&[
        "query",
        "-c",
        f.config().to_str().unwrap(),
        "--from",
        "a@b.example",
        "--rcpt",
        "blocked@customer.example",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("REJECT: message from a@b.example"), "{out}");
    assert!(
        out.contains("rcpt blocked@customer.example: reject (policy rcpt, rule ")
            && out.contains("rules.txt:2"),
        "{out}"
    );
}

#[test]
fn check_warns_about_settings_that_can_never_take_effect() {
    let f = Fixture::new();
    f.write("senders.txt", "alice@example.org\n");
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[smime]\nrequire_signature = [\"@board.example.org\"]\n\n[[policy]]\nname = \"p\"\nsender_allowlist = [\"senders.txt\"]\nno_match = \"accept\"\nrecipient_reply = \"no\"\nsmime_actions = { none = \"reject\" }\n",
    );
    let cfg = f.config();
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "valid settings: {err}");
    let at = format!("{}:7: policy \"p\"", cfg.display());
    for want in [
        format!("{at}: smime_actions never apply: S/MIME verification is off"),
        format!("{at}: no_match applies to access_rules only"),
        format!("{at}: recipient_reply is used for access-rule refusals only"),
        "smime.require_signature is never checked".to_owned(),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
}
