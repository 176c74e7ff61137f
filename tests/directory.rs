//! Directories (`[directory.NAME]`) and `mailwarden sync`, against a real slapd per test
//! (tests/common/slapd.rs): paging, the line templates, the shrink guard, outages,
//! failover, TLS with the test CA, and the daemon reading what sync writes.

mod common;

use common::postfix::Postfix;
use common::slapd::{self, Slapd, person};
use common::smtp::{Client, Reply};
use common::{Fixture, run};
use serde_json::json;
use std::time::Duration;

/// Settings with one directory `corp` (bound as the reader over `urls`) and `syncs`.
fn settings(
    fx: &Fixture,
    ldap: &Slapd,
    urls: &[String],
    tls: &str,
    syncs: &str,
) -> std::path::PathBuf {
    let pw = ldap.password_file(fx.dir.path());
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    fx.write(
        "mailwarden.toml",
        &format!(
            "[reload]\nmin_keep_ratio = 0.5\ncontrol_socket = {:?}\n\n\
             [directory.corp]\nurls = [{}]\ntls = \"{tls}\"\nca_file = {:?}\nbind_dn = \"{}\"\n\
             password_file = {:?}\nbase = \"ou=people,{}\"\ntimeout_ms = 2000\n\n{syncs}",
            fx.path("control.sock").display().to_string(),
            urls.join(", "),
            ldap.ca_file().display().to_string(),
            slapd::READER_DN,
            pw.display().to_string(),
            slapd::SUFFIX,
        ),
    )
}

const SENDERS_SYNC: &str = "[[sync]]\nname = \"senders\"\ndirectory = \"corp\"\n\
    filter = \"(businessCategory=secure)\"\noutput = \"allowed_senders_ldap.txt\"\nline = \"{mail}\"\n";

/// `n` secure members with mixed-case addresses (every 7th a duplicate in other case),
/// and some people outside the group.
fn group_ldif(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let mail = if i % 7 == 3 {
            format!("User{}@Example.ORG", i - 1)
        } else {
            format!("User{i}@Example.org")
        };
        s.push_str(&person(
            &format!("u{i}"),
            &mail,
            Some(&format!("+35840{i:07}")),
            "secure",
        ));
    }
    for i in 0..10 {
        s.push_str(&person(
            &format!("o{i}"),
            &format!("other{i}@example.org"),
            None,
            "staff",
        ));
    }
    s
}

/// What the cron scripts it replaces produce: every `mail` of the group, lower-cased,
/// duplicates dropped, sorted bytewise.
fn script_output(ldap: &Slapd, filter: &str) -> String {
    let mut lines: Vec<String> = ldap
        .ldapsearch(filter, &["mail"])
        .lines()
        .filter_map(|l| l.strip_prefix("mail: "))
        .map(str::to_lowercase)
        .collect();
    lines.sort();
    lines.dedup();
    lines.join("\n") + "\n"
}

#[test]
fn sync_pages_through_a_5000_member_group_and_writes_what_the_script_would() {
    let ldap = Slapd::start(&group_ldif(5000));
    let fx = Fixture::new();
    let access = "[[sync]]\nname = \"sms\"\ndirectory = \"corp\"\nfilter = \"(businessCategory=secure)\"\n\
        output = \"gsm_auth_auto.txt\"\nline = \"* {mail} <sms> {mobile} 0\"\npage_size = 1000\n";
    let cfg = settings(
        &fx,
        &ldap,
        &[ldap.url()],
        "none",
        &format!("{SENDERS_SYNC}\n{access}"),
    );
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let expected = script_output(&ldap, "(businessCategory=secure)");
    assert!(
        expected.lines().count() > 4000,
        "the fixture has a big group"
    );
    let written = std::fs::read_to_string(fx.path("allowed_senders_ldap.txt")).unwrap();
    assert_eq!(written, expected);
    assert!(
        out.contains(&format!(
            "sync senders: {}: wrote {} lines (was 0)",
            fx.path("allowed_senders_ldap.txt").display(),
            expected.lines().count()
        )),
        "{out}"
    );
    let rules = std::fs::read_to_string(fx.path("gsm_auth_auto.txt")).unwrap();
    assert!(
        rules
            .lines()
            .any(|l| l == "* user0@example.org <sms> +358400000000 0"),
        "{rules}"
    );
    // One rule per distinct (mail, mobile): a duplicate address with its own number stays.
    assert_eq!(rules.lines().count(), 5000);
    // A search without paging is refused past 1,000 entries: paging is what made it work.
    let unpaged = common::output_within(
        std::process::Command::new("ldapsearch").args([
            "-x",
            "-LLL",
            "-H",
            &ldap.url(),
            "-b",
            slapd::SUFFIX,
            "(businessCategory=secure)",
            "mail",
        ]),
        common::HELPER_LIMIT,
    );
    assert_eq!(
        unpaged.status.code(),
        Some(4),
        "sizeLimitExceeded without paging"
    );

    // The written files are valid rule files: a policy over them loads.
    fx.write(
        "policy.toml",
        &format!(
            "{}\n[[policy]]\nname = \"d\"\nsender_allowlist = [\"allowed_senders_ldap.txt\"]\naccess_rules = [\"gsm_auth_auto.txt\"]\n",
            std::fs::read_to_string(&cfg).unwrap()
        ),
    );
    let (code, out, err) = run(&["check", "-c", fx.path("policy.toml").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning"), "{err}");

    // A second run over the same directory changes nothing, not even the inode.
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(fx.path("allowed_senders_ldap.txt"))
        .unwrap()
        .ino();
    let (code, out, _) = run(&["sync", "-c", cfg.to_str().unwrap(), "senders"]);
    assert_eq!(code, 0);
    assert!(out.contains("unchanged"), "{out}");
    assert!(!out.contains("sync sms"), "only the named block ran: {out}");
    assert_eq!(
        std::fs::metadata(fx.path("allowed_senders_ldap.txt"))
            .unwrap()
            .ino(),
        ino
    );
}

#[test]
fn values_that_would_split_a_rule_line_are_skipped_with_a_warning() {
    let mut ldif = person("a", "alice@example.org", Some("+1"), "secure");
    ldif.push_str(&person(
        "e",
        "eve@example.org * <none> - 0",
        Some("+2"),
        "secure",
    ));
    ldif.push_str(&person("n", "nomobile@example.org", None, "secure"));
    let ldap = Slapd::start(&ldif);
    let fx = Fixture::new();
    let sync = "[[sync]]\nname = \"sms\"\ndirectory = \"corp\"\nfilter = \"(businessCategory=secure)\"\n\
        output = \"gsm.txt\"\nline = \"{mail} * <sms> {mobile} 0\"\n";
    let cfg = settings(&fx, &ldap, &[ldap.url()], "none", sync);
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(fx.path("gsm.txt")).unwrap(),
        "alice@example.org * <sms> +1 0\n"
    );
    assert!(
        err.contains(
            "skipped uid=e,ou=people,dc=example,dc=org: mail has whitespace or a control character"
        ),
        "{err}"
    );
    assert!(
        err.contains("skipped uid=n,ou=people,dc=example,dc=org: no mobile"),
        "{err}"
    );
}

#[test]
fn the_shrink_guard_holds_back_a_near_empty_result_until_forced() {
    let ldap = Slapd::start(&group_ldif(40));
    let fx = Fixture::new();
    let cfg = settings(&fx, &ldap, &[ldap.url()], "none", SENDERS_SYNC);
    assert_eq!(run(&["sync", "-c", cfg.to_str().unwrap()]).0, 0);
    let before = std::fs::read(fx.path("allowed_senders_ldap.txt")).unwrap();
    // A broken group: all but two members lose it.
    let mut change = String::new();
    for i in 2..40 {
        change.push_str(&format!(
            "dn: uid=u{i},ou=people,{}\nchangetype: modify\nreplace: businessCategory\nbusinessCategory: former\n\n",
            slapd::SUFFIX
        ));
    }
    ldap.modify(&change);
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("not written: 2 lines would replace 34") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(fx.path("allowed_senders_ldap.txt")).unwrap(),
        before,
        "left byte-identical"
    );
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(fx.path("allowed_senders_ldap.txt")).unwrap(),
        "user0@example.org\nuser1@example.org\n"
    );
}

#[test]
fn a_directory_error_leaves_the_old_file_byte_identical_and_exits_non_zero() {
    let mut ldap = Slapd::start(&group_ldif(20));
    let fx = Fixture::new();
    let cfg = settings(&fx, &ldap, &[ldap.url()], "none", SENDERS_SYNC);
    assert_eq!(run(&["sync", "-c", cfg.to_str().unwrap()]).0, 0);
    let before = std::fs::read(fx.path("allowed_senders_ldap.txt")).unwrap();
    ldap.stop();
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one clear line: {err}");
    assert!(
        lines[0].starts_with(
            "mailwarden: sync senders: directory corp: no server answered: ldap://127.0.0.1:"
        ),
        "{err}"
    );
    assert!(lines[0].ends_with("left as it was"), "{err}");
    assert_eq!(
        std::fs::read(fx.path("allowed_senders_ldap.txt")).unwrap(),
        before
    );

    // A wrong password is a directory error too, and the password never shows.
    ldap.resume_serving();
    std::fs::write(fx.path("ldap.password"), "wrong-password\n").unwrap();
    let (code, _, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("bind as \"cn=mailwarden,dc=example,dc=org\" failed"),
        "{err}"
    );
    assert!(
        !err.contains("wrong-password") && !err.contains(slapd::READER_PASSWORD),
        "{err}"
    );
    assert_eq!(
        std::fs::read(fx.path("allowed_senders_ldap.txt")).unwrap(),
        before
    );
}

#[test]
fn the_second_url_answers_when_the_first_is_down() {
    let ldap = Slapd::start(&group_ldif(5));
    let fx = Fixture::new();
    let dead = format!("ldap://127.0.0.1:{}", common::free_port());
    let cfg = settings(&fx, &ldap, &[dead, ldap.url()], "none", SENDERS_SYNC);
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(fx.path("allowed_senders_ldap.txt")).unwrap(),
        script_output(&ldap, "(businessCategory=secure)")
    );
}

#[test]
fn tls_trusts_the_configured_ca_only() {
    let ldap = Slapd::start(&group_ldif(5));
    let fx = Fixture::new();
    for (urls, tls) in [
        (vec![ldap.ldaps_url()], "ldaps"),
        (vec![ldap.url()], "starttls"),
    ] {
        let cfg = settings(&fx, &ldap, &urls, tls, SENDERS_SYNC);
        let _ = std::fs::remove_file(fx.path("allowed_senders_ldap.txt"));
        let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
        assert_eq!(code, 0, "{tls}: {out}{err}");
        assert!(out.contains("wrote 4 lines"), "{tls}: {out}");
    }
    // Another CA: the server's certificate is not trusted, nothing is written.
    slapd::self_signed_ca(fx.dir.path(), "other", "other");
    let cfg = settings(&fx, &ldap, &[ldap.ldaps_url()], "ldaps", SENDERS_SYNC);
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        &ldap.ca_file().display().to_string(),
        &fx.path("other.pem").display().to_string(),
    );
    std::fs::write(&cfg, text).unwrap();
    let _ = std::fs::remove_file(fx.path("allowed_senders_ldap.txt"));
    let (code, _, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no server answered") && err.to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(!fx.path("allowed_senders_ldap.txt").exists());
}

#[test]
fn a_password_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let ldap = Slapd::start(&group_ldif(2));
    let fx = Fixture::new();
    let cfg = settings(&fx, &ldap, &[ldap.url()], "none", SENDERS_SYNC);
    std::fs::set_permissions(
        fx.path("ldap.password"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (code, _, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("password_file") && err.contains("chmod 0600"),
        "{err}"
    );
    assert!(!err.contains(slapd::READER_PASSWORD), "{err}");
}

#[test]
fn bad_sync_settings_name_the_line() {
    let fx = Fixture::new();
    let cfg = fx.write(
        "mailwarden.toml",
        "[directory.corp]\nurls = [\"ldaps://127.0.0.1:1\"]\ntls = \"starttls\"\nbase = \"dc=x\"\n\n\
         [[sync]]\nname = \"s\"\ndirectory = \"nope\"\nfilter = \"mail=*\"\noutput = \"o.txt\"\nline = \"{mail\"\n\n\
         [[sync]]\nname = \"t\"\ndirectory = \"corp\"\nfilter = \"(mail=a\\\\zz)\"\noutput = \"t.txt\"\nline = \"{mail}\"\n",
    );
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_ne!(code, 0);
    let p = cfg.display().to_string();
    assert!(
        err.contains(&format!(
            "{p}:1: directory.corp.urls: \"ldaps://127.0.0.1:1\" must start with ldap://"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:7: sync \"s\": no [directory.nope]")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:7: sync \"s\": filter \"mail=*\" is not one parenthesised"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:7: sync \"s\": line \"{{mail\": unclosed")),
        "{err}"
    );
    // Found on load, not by the first search that fails.
    assert!(
        err.contains(&format!(
            "{p}:14: sync \"t\": filter \"(mail=a\\\\zz)\" is not a valid LDAP filter"
        )),
        "{err}"
    );
}

/// `result="applied"` log lines of the daemon after `mark`.
fn applied_since(m: &common::Milter, mark: usize) -> usize {
    m.logs()
        .lines()
        .skip(mark)
        .filter(|l| l.contains("result=\"applied\"") && l.contains("gsm_auth_auto.txt"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_applies_each_version_sync_writes_exactly_once() {
    let ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    let sync = "[[sync]]\nname = \"rcpts\"\ndirectory = \"corp\"\nfilter = \"(businessCategory=secure)\"\n\
        output = \"gsm_auth_auto.txt\"\nline = \"* {mail} <reg> - 0\"\n";
    let cfg = settings(&fx, &ldap, &[ldap.url()], "none", sync);
    assert_eq!(run(&["sync", "-c", cfg.to_str().unwrap()]).0, 0);
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "\n[[policy]]\nname = \"d\"\naccess_rules = [\"gsm_auth_auto.txt\"]\n";
    std::fs::write(&cfg, text).unwrap();
    let m = common::Milter::start(&cfg);
    use indymilter_test::Status;
    assert_eq!(
        common::rcpt_status(m.port, "<user0@example.org>").await,
        Status::Continue
    );
    assert_ne!(
        common::rcpt_status(m.port, "<new@example.org>").await,
        Status::Continue
    );

    let settle = Duration::from_millis(1500);
    let mark = m.log_len();
    ldap.modify(&person("n", "New@Example.org", None, "secure"));
    let (code, out, err) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(common::wait_rcpt(m.port, "<new@example.org>", true, Duration::from_secs(10)).await);
    std::thread::sleep(settle);
    assert_eq!(applied_since(&m, mark), 1, "{}", m.logs());

    // Nothing changed in the directory: nothing written, nothing reloaded.
    let mark = m.log_len();
    let (code, out, _) = run(&["sync", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("unchanged"), "{out}");
    std::thread::sleep(settle);
    assert_eq!(applied_since(&m, mark), 0, "{}", m.logs());

    // A member leaves: one more version, applied once, and the recipient is refused.
    let mark = m.log_len();
    ldap.modify(&format!(
        "dn: uid=u1,ou=people,{}\nchangetype: modify\nreplace: businessCategory\nbusinessCategory: former\n",
        slapd::SUFFIX
    ));
    assert_eq!(run(&["sync", "-c", cfg.to_str().unwrap()]).0, 0);
    assert!(
        common::wait_rcpt(
            m.port,
            "<user1@example.org>",
            false,
            Duration::from_secs(10)
        )
        .await
    );
    std::thread::sleep(settle);
    assert_eq!(applied_since(&m, mark), 1, "{}", m.logs());
}

#[test]
fn check_connects_binds_and_runs_each_filter_once_unless_offline() {
    let mut ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    // A base the server does not hold: the client can send the search, the server refuses it.
    let bad = format!(
        "[[sync]]\nname = \"typo\"\ndirectory = \"corp\"\nbase = \"ou=nowhere,{}\"\n\
         filter = \"(mail=a)\"\noutput = \"t.txt\"\nline = \"{{mail}}\"\n",
        slapd::SUFFIX
    );
    let lookups = "[[policy]]\nname = \"d\"\n\
        sender_allowlist = [{ directory = \"corp\", filter = \"(&(mail={address})(businessCategory=secure))\" }]\n\
        access_rules = [{ directory = \"corp\", filter = \"(mail={recipient})\", rule = \"* {recipient} <sms> {mobile} 0\" }]\n";
    let cfg = settings(
        &fx,
        &ldap,
        &[ldap.url()],
        "none",
        &format!("{SENDERS_SYNC}\n{lookups}"),
    );
    let (code, out, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok: directory corp: connected, bound as cn=mailwarden,dc=example,dc=org"),
        "{out}"
    );
    assert!(
        out.contains("ok: sync senders: filter (businessCategory=secure) runs (entries match)"),
        "{out}"
    );
    // Real-time lookups run once with the probe address, which no entry has.
    assert!(
        out.contains(
            "ok: policy d: sender_allowlist lookup \
             (&(mail=probe@example.invalid)(businessCategory=secure)) runs (no entry matches, as expected)"
        ) && out.contains(
            "ok: policy d: access_rules lookup (mail=probe@example.invalid) runs (no entry matches, as expected)"
        ),
        "{out}"
    );

    let text = std::fs::read_to_string(&cfg).unwrap();
    let sync_line = text.lines().count() + 3;
    std::fs::write(&cfg, format!("{text}\n{bad}")).unwrap();
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}:{sync_line}: sync typo: directory corp: search (mail=a) under \"ou=nowhere,{}\" failed",
            cfg.display(),
            slapd::SUFFIX
        )),
        "{err}"
    );

    // The same for a real-time lookup: the directory's own base is wrong.
    let base = format!("base = \"ou=people,{}\"", slapd::SUFFIX);
    assert!(text.contains(&base));
    let nowhere = format!("base = \"ou=nowhere,{}\"", slapd::SUFFIX);
    std::fs::write(&cfg, text.replace(&base, &nowhere)).unwrap();
    let lookup_line = text
        .lines()
        .position(|l| l.starts_with("sender_allowlist"))
        .unwrap()
        + 1;
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}:{lookup_line}: policy d: sender_allowlist: directory corp: \
             search (&(mail=probe@example.invalid)(businessCategory=secure)) under \"ou=nowhere,",
            cfg.display()
        )),
        "{err}"
    );
    std::fs::write(&cfg, format!("{text}\n{bad}")).unwrap();

    ldap.stop();
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}:5: directory corp: no server answered",
            cfg.display()
        )) && err.contains("--offline"),
        "{err}"
    );
    let (code, out, err) = run(&["check", "--offline", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("directory corp"), "{out}");
}

/// MAIL FROM through the milter protocol: the status the milter answers.
async fn mail_status(port: u16, sender: &str) -> indymilter_test::Status {
    use indymilter_test::TestConnection;
    let mut conn = TestConnection::open(("127.0.0.1", port)).await.unwrap();
    let s = conn.mail([sender]).await.unwrap();
    let _ = conn.abort().await;
    let _ = conn.close().await;
    s
}

/// `mailwarden query` of user1 → user2 under `cfg`: its output.
fn query_user1_to_user2(cfg: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "query",
        "-c",
        cfg.to_str().unwrap(),
        "--from",
        "user1@example.org",
        "--rcpt",
        "user2@example.org",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    out
}

/// MAIL FROM:<sender> is accepted (the milter says continue).
async fn assert_passes(port: u16, sender: &str) {
    let s = mail_status(port, sender).await;
    assert_eq!(s, indymilter_test::Status::Continue, "{sender}");
}

fn is_tempfail(s: &indymilter_test::Status) -> bool {
    matches!(s, indymilter_test::Status::Tempfail { .. })
}

fn is_reject(s: &indymilter_test::Status) -> bool {
    matches!(s, indymilter_test::Status::Reject { .. })
}

/// A daemon whose allowlist is a manual file, then the directory.
fn realtime(fx: &Fixture, ldap: &Slapd, extra_dir: &str) -> common::Milter {
    realtime_over(fx, ldap, &[ldap.url()], extra_dir)
}

/// As `realtime`, the directory at `urls` (tried in order).
fn realtime_over(fx: &Fixture, ldap: &Slapd, urls: &[String], extra_dir: &str) -> common::Milter {
    fx.write("manual.txt", "manual@example.org\n");
    let cfg = settings(fx, ldap, urls, "none", "");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "timeout_ms = 2000\n",
        &format!("timeout_ms = 700\n{extra_dir}"),
    ) + "[[policy]]\nname = \"d\"\nsender_allowlist = [\"manual.txt\", { directory = \"corp\", filter = \"(&(mail={address})(businessCategory=secure))\" }]\n\
           access_rules = [{ directory = \"corp\", filter = \"(&(mail={recipient})(mobile=*))\", rule = \"* {recipient} <sms> {mobile} 0\" }]\n";
    std::fs::write(&cfg, text).unwrap();
    common::Milter::start(&cfg)
}

#[tokio::test(flavor = "multi_thread")]
async fn realtime_lookups_allow_members_refuse_others_and_match_nothing_on_injection() {
    let ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    let m = realtime(&fx, &ldap, "cache_ttl = 1\nnegative_ttl = 1\n");
    assert_passes(m.port, "<user0@example.org>").await;
    assert_passes(m.port, "<USER0@Example.org>").await;
    assert_passes(m.port, "<manual@example.org>").await;
    assert!(is_reject(
        &mail_status(m.port, "<other0@example.org>").await
    ));
    for evil in [
        "<*)(mail=*@example.org>",
        "<*@example.org>",
        "<user0@example.org)(mail=*>",
    ] {
        let s = mail_status(m.port, evil).await;
        assert!(is_reject(&s), "{evil}: {s:?}");
    }
    // The access rule made from the entry: method and mobile number.
    let cfg = fx.config();
    let out = query_user1_to_user2(&cfg, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v["recipients"][0];
    assert_eq!(r["method"], "sms", "{out}");
    assert_eq!(r["param"], "+358400000002", "{out}");
    // The daemon never asked this recipient's lookup: query asked the server itself.
    assert_eq!(r["rule"], "ldap corp (asked now)", "{out}");

    // A member removed from the group loses access once the cached answer expires.
    ldap.modify(&format!(
        "dn: uid=u0,ou=people,{}\nchangetype: modify\nreplace: businessCategory\nbusinessCategory: former\n",
        slapd::SUFFIX
    ));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if is_reject(&mail_status(m.port, "<user0@example.org>").await) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still allowed after cache_ttl"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, out, err) = run(&["status", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("directory corp: up ({}),", ldap.url())),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn query_names_the_daemons_cached_answer_and_its_age() {
    let ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    let m = realtime(&fx, &ldap, "cache_ttl = 600\n");
    assert_passes(m.port, "<user1@example.org>").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let cfg = fx.config();
    let query = || query_user1_to_user2(&cfg, &[]);
    let out = query();
    let sender = out
        .lines()
        .find(|l| l.contains("sender:"))
        .unwrap_or_default();
    let age: u64 = sender
        .split_once("(rule ldap corp (cached ")
        .and_then(|(_, rest)| rest.split_once(" s))"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no cached age in {out}"));
    assert!((1..600).contains(&age), "{out}");
    assert!(
        out.contains("rule ldap corp (asked now)) method <sms>"),
        "{out}"
    );
    // Looking did not count as the daemon's own use of its cache.
    let (_, status, _) = run(&["status", "-c", cfg.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v["directories"][0]["hits"], 0, "{status}");
    // The control request itself, malformed or for what the daemon does not have.
    let ask = |line: &str| -> serde_json::Value {
        use std::io::{BufRead, Write};
        let mut s = std::os::unix::net::UnixStream::connect(fx.path("control.sock")).unwrap();
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut answer = String::new();
        std::io::BufReader::new(s).read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).unwrap()
    };
    assert_eq!(ask("cached {\"directory\": 1")["ok"], false);
    let none = ask(r#"cached {"directory":"nope","filter":"(mail=x)","attrs":[]}"#);
    assert_eq!(
        (&none["ok"], &none["entries"]),
        (&json!(true), &json!(null)),
        "{none}"
    );
    // No daemon: every answer is asked of the server.
    drop(m);
    let out = query();
    assert!(
        out.contains("sender: accepted by policy d (rule ldap corp (asked now))"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mailwarden_reload_flushes_the_cache() {
    let ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    let m = realtime(&fx, &ldap, "cache_ttl = 600\n");
    assert_passes(m.port, "<user1@example.org>").await;
    ldap.modify(&removed_from_group("u1"));
    // Cached for 600 s: still allowed, until the cache is flushed.
    assert_passes(m.port, "<user1@example.org>").await;
    let (code, out, err) = run(&["reload", "-c", fx.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(is_reject(&mail_status(m.port, "<user1@example.org>").await));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_serves_cached_answers_and_tempfails_the_rest() {
    let mut ldap = Slapd::start(&group_ldif(3));
    let fx = Fixture::new();
    let m = realtime(
        &fx,
        &ldap,
        "cache_ttl = 1\nnegative_ttl = 1\nmax_stale = 600\n",
    );
    assert_passes(m.port, "<user0@example.org>").await;
    ldap.stop();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Expired but within max_stale: served, and the log says so.
    assert_passes(m.port, "<user0@example.org>").await;
    m.wait_log("serving the cached answer", Duration::from_secs(5));
    // Never asked: neither accepted nor refused by accident.
    assert!(is_tempfail(
        &mail_status(m.port, "<user1@example.org>").await
    ));
    // The manual list needs no directory.
    assert_passes(m.port, "<manual@example.org>").await;
    let (_, out, _) = run(&["status", "-c", fx.config().to_str().unwrap()]);
    assert!(
        out.contains("directory corp: down") && out.contains("last error"),
        "{out}"
    );

    // Frozen: the lookup gives up within timeout_ms (700 ms), then recovers.
    ldap.resume_serving();
    assert_passes(m.port, "<user1@example.org>").await;
    ldap.freeze();
    let mark = m.log_len();
    // (The outer bound only keeps a broken build from hanging the suite.)
    let s = tokio::time::timeout(
        Duration::from_secs(20),
        mail_status(m.port, "<user2@example.org>"),
    )
    .await;
    ldap.thaw();
    let s = s.expect("the lookup never gave up");
    assert!(is_tempfail(&s), "{s:?}\n{}", m.logs());
    m.wait_log_after(mark, "no answer within 700 ms", Duration::from_secs(5));
    assert_passes(m.port, "<user2@example.org>").await;
}

#[test]
fn bad_directory_lookups_in_a_policy_name_the_line() {
    let fx = Fixture::new();
    let cfg = fx.write(
        "mailwarden.toml",
        "[directory.corp]\nurls = [\"ldap://127.0.0.1:1\"]\ntls = \"none\"\nbase = \"dc=x\"\n\n\
         [[policy]]\nname = \"p\"\nsender_allowlist = [\n  { directory = \"corp\", filter = \"(mail={recipient})\" },\n  { directory = \"nope\", filter = \"(mail={address})\" },\n  { directory = \"corp\", filter = \"(&(mail={address})(cn=a\\\\zz))\" },\n]\n\
         access_rules = [{ directory = \"corp\", filter = \"(mail={recipient})\", rule = \"* {recipient} sms\" }]\n",
    );
    let (code, _, err) = run(&["check", "--offline", "-c", cfg.to_str().unwrap()]);
    assert_ne!(code, 0);
    let p = cfg.display().to_string();
    assert!(
        err.contains(&format!(
            "{p}:9: sender_allowlist: filter placeholder {{recipient}}: use {{address}}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:10: sender_allowlist: no [directory.nope]")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:11: sender_allowlist: filter \"(&(mail={{address}})(cn=a\\\\zz))\" is not a valid LDAP filter"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:13: access_rules: rule \"* {{recipient}} sms\" does not make a valid rule line"
        )),
        "{err}"
    );
}

/// One SMTP session through the Postfix: the reply to `MAIL FROM:<sender>`.
fn smtp_mail_from(pf: &Postfix, sender: &str) -> Reply {
    let mut c = Client::connect(pf.port).unwrap();
    let r = c.cmd(&format!("MAIL FROM:<{sender}>")).unwrap();
    c.quit();
    r
}

fn removed_from_group(uid: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{}\nchangetype: modify\nreplace: businessCategory\nbusinessCategory: former\n",
        slapd::SUFFIX
    )
}

/// The real-time policy through a real Postfix, the directory on two slapds (`urls` in
/// order): members pass and others are refused at MAIL FROM, injection attempts match
/// nothing, a removed member loses access within cache_ttl, the second server answers
/// while the first is down, a frozen server costs one 451 4.3.0 (ours, not Postfix's
/// milter timeout) before the other answers, and with both down cached answers are
/// served and the rest get 451 4.3.0.
#[test]
fn through_postfix_members_pass_others_are_refused_and_outages_tempfail() {
    let mut primary = Slapd::start(&group_ldif(6));
    let mut secondary = Slapd::start(&group_ldif(6));
    let fx = Fixture::new();
    let m = realtime_over(
        &fx,
        &primary,
        &[primary.url(), secondary.url()],
        "cache_ttl = 1\nnegative_ttl = 1\nmax_stale = 600\n",
    );
    let pf = Postfix::start(&m.socket());
    let wait = Duration::from_secs(30);

    // A member sends to a member with a mobile number (the rule made from the entry);
    // a recipient without one is refused, the message delivered to the other.
    let mut c = Client::connect(pf.port).unwrap();
    assert_eq!(c.cmd("MAIL FROM:<user0@example.org>").unwrap().code, 250);
    assert_eq!(c.cmd("RCPT TO:<user1@example.org>").unwrap().code, 250);
    let r = c.cmd("RCPT TO:<other0@example.org>").unwrap();
    assert_eq!(r.code, 550, "{r}");
    let msg = b"From: user0@example.org\r\nTo: user1@example.org\r\nSubject: directory\r\n\r\nasked of slapd\r\n";
    assert_eq!(c.data(msg).unwrap().code, 250);
    c.quit();
    let got = pf.sink.wait_for(1, wait);
    assert_eq!(got.len(), 1, "maillog:\n{}", pf.maillog());
    assert_eq!(got[0].rcpts, vec!["<user1@example.org>".to_owned()]);

    assert_eq!(smtp_mail_from(&pf, "user1@example.org").code, 250);
    assert_eq!(smtp_mail_from(&pf, "manual@example.org").code, 250);
    let r = smtp_mail_from(&pf, "other0@example.org");
    assert_eq!(r.code, 550, "{r}");
    assert!(
        r.text()
            .contains("5.7.1 Sender <other0@example.org> is not allowed to send here (policy d)"),
        "{r}"
    );
    // (Postfix itself refuses an unbalanced parenthesis outside quotes: 501 5.1.7.)
    for evil in [
        "*)(mail=*@example.org",
        "*@example.org",
        "\"user0@example.org)(mail=*\"@example.org",
        "\\2a@example.org",
    ] {
        let r = smtp_mail_from(&pf, evil);
        assert_eq!(r.code, 550, "{evil}: {r}");
        assert!(r.text().contains("5.7.1 Sender"), "{evil}: {r}");
    }

    // Removed from the group (on both servers): refused once the cached answer expires.
    primary.modify(&removed_from_group("u0"));
    secondary.modify(&removed_from_group("u0"));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while smtp_mail_from(&pf, "user0@example.org").code != 550 {
        assert!(
            std::time::Instant::now() < deadline,
            "still allowed after cache_ttl"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The first URL down: the second answers a question never asked before.
    primary.stop();
    let r = smtp_mail_from(&pf, "user2@example.org");
    assert_eq!(r.code, 250, "{r}\n{}", m.logs());
    let (_, out, _) = run(&["status", "-c", fx.config().to_str().unwrap()]);
    assert!(
        out.contains(&format!("directory corp: up ({}),", secondary.url())),
        "{out}"
    );

    // The server in use frozen (it accepts TCP, never answers): our lookup timeout
    // (700 ms) answers 451 4.3.0, long before Postfix's milter timeout would (451 4.7.1),
    // and the next lookup goes to the other server.
    primary.resume_serving();
    secondary.freeze();
    let r = smtp_mail_from(&pf, "user4@example.org");
    let again = smtp_mail_from(&pf, "user4@example.org");
    secondary.thaw();
    assert_eq!(r.code, 451, "{r}\n{}", m.logs());
    assert!(r.text().contains("4.3.0"), "{r}");
    assert_eq!(again.code, 250, "{again}\n{}", m.logs());

    // Both down: the expired answer within max_stale is served, an unknown sender waits.
    primary.stop();
    secondary.stop();
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(smtp_mail_from(&pf, "user1@example.org").code, 250);
    m.wait_log("serving the cached answer", wait);
    let r = smtp_mail_from(&pf, "other1@example.org");
    assert_eq!(r.code, 451, "{r}");
    assert!(r.text().contains("4.3.0"), "{r}");

    // One back: answers again.
    secondary.resume_serving();
    assert_eq!(smtp_mail_from(&pf, "other1@example.org").code, 550);
}
