//! Hot reload against the running binary, through the milter protocol: every way a synced
//! file really changes (docs/reload.md), and a concurrency test in-process.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{Fixture, Milter, run, wait_rcpt};

/// After a change settles, the new rules must be enforced within this.
const APPLY: Duration = Duration::from_secs(2);
const LOG: Duration = Duration::from_secs(10);

fn rules(rcpts: &[&str]) -> String {
    rcpts.iter().map(|r| format!("* {r} <reg> - 0\n")).collect()
}

/// Settings with one access-rule policy over `rules.txt` (or `path`), and a control socket.
fn fixture_at(rel: &str, extra: &str) -> Fixture {
    let f = Fixture::new();
    let ctl = f.path("control.sock");
    f.write(
        "mailwarden.toml",
        &format!(
            "[reload]\ncontrol_socket = \"{}\"\ndebounce_ms = 300\n{extra}\n[[policy]]\nname = \"c\"\naccess_rules = [\"{rel}\"]\n",
            ctl.display()
        ),
    );
    f
}

fn fixture(extra: &str) -> Fixture {
    let f = fixture_at("rules.txt", extra);
    f.write("rules.txt", &rules(&["a@c.example", "b@c.example"]));
    f
}

fn replace(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn in_place_write_is_applied_only_when_the_writer_closes_the_file() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    // The new version drops a@ and adds c@ at the end, after 20,000 filler lines.
    let mut filler = String::new();
    for i in 0..20_000 {
        filler.push_str(&format!("* filler{i}@x.example <reg> - 0\n"));
    }
    let (first, second) = filler.split_at(filler.len() / 2);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(f.path("rules.txt"))
        .unwrap();
    file.write_all(b"* b@c.example <reg> - 0\n").unwrap();
    file.write_all(first.as_bytes()).unwrap();
    file.flush().unwrap();
    // The writer pauses far longer than the debounce: the half file must not be enforced.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            common::rcpt_status(m.port, "<a@c.example>").await,
            indymilter_test::Status::Continue,
            "half-written file enforced"
        );
    }
    file.write_all(second.as_bytes()).unwrap();
    file.write_all(b"* c@c.example <reg> - 0\n").unwrap();
    drop(file);
    assert!(
        wait_rcpt(
            m.port,
            "<c@c.example>",
            true,
            APPLY + Duration::from_millis(300)
        )
        .await,
        "complete file not applied"
    );
    assert!(wait_rcpt(m.port, "<a@c.example>", false, APPLY).await);
    let line = m.wait_log("result=\"applied\"", LOG);
    assert!(
        line.contains("entries_before=2") && line.contains("entries_after=20002"),
        "{line}"
    );
    assert!(!m.logs().contains("kept-previous"), "{}", m.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn temp_file_renamed_over_is_applied() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    replace(
        f.dir.path(),
        "rules.txt",
        &rules(&["b@c.example", "c@c.example"]),
    );
    assert!(wait_rcpt(m.port, "<c@c.example>", true, APPLY).await);
    assert!(wait_rcpt(m.port, "<a@c.example>", false, APPLY).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn configmap_style_symlink_swap_is_applied() {
    let f = fixture_at("conf/rules.txt", "");
    let conf = f.path("conf");
    std::fs::create_dir_all(conf.join("..v1")).unwrap();
    std::fs::write(conf.join("..v1/rules.txt"), rules(&["a@c.example"])).unwrap();
    std::os::unix::fs::symlink("..v1", conf.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/rules.txt", conf.join("rules.txt")).unwrap();
    let m = Milter::start(&f.config());
    assert!(wait_rcpt(m.port, "<a@c.example>", true, APPLY).await);
    // Kubernetes: write a new timestamped dir, point a temp link at it, rename it over ..data.
    std::fs::create_dir_all(conf.join("..v2")).unwrap();
    std::fs::write(conf.join("..v2/rules.txt"), rules(&["c@c.example"])).unwrap();
    std::os::unix::fs::symlink("..v2", conf.join("..data_tmp")).unwrap();
    std::fs::rename(conf.join("..data_tmp"), conf.join("..data")).unwrap();
    std::fs::remove_dir_all(conf.join("..v1")).unwrap();
    assert!(
        wait_rcpt(m.port, "<c@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    assert!(wait_rcpt(m.port, "<a@c.example>", false, APPLY).await);
}

/// A file that is a symlink to a file elsewhere, written in place there: its events carry
/// the target's name in the target's directory, and must still reload our file. (Found by
/// tests/fault_injection.rs: a sync that writes through a symlink was never noticed.)
#[tokio::test(flavor = "multi_thread")]
async fn file_behind_a_symlink_written_in_place_is_applied() {
    let f = fixture_at("rules.txt", "");
    std::fs::create_dir_all(f.path("store")).unwrap();
    std::fs::write(f.path("store/rules.v1"), rules(&["a@c.example"])).unwrap();
    std::os::unix::fs::symlink(f.path("store/rules.v1"), f.path("rules.txt")).unwrap();
    let m = Milter::start(&f.config());
    assert!(wait_rcpt(m.port, "<a@c.example>", true, APPLY).await);
    // Written in place through the link (the target's directory is another one).
    std::fs::write(f.path("rules.txt"), rules(&["a@c.example", "c@c.example"])).unwrap();
    assert!(
        wait_rcpt(m.port, "<c@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    // The link is swapped to another target; that one, written in place, is followed too.
    std::fs::write(
        f.path("store/rules.v2"),
        rules(&["b@c.example", "c@c.example"]),
    )
    .unwrap();
    std::os::unix::fs::symlink(f.path("store/rules.v2"), f.path(".rules.lnk")).unwrap();
    std::fs::rename(f.path(".rules.lnk"), f.path("rules.txt")).unwrap();
    assert!(
        wait_rcpt(m.port, "<b@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    std::fs::write(
        f.path("store/rules.v2"),
        rules(&["d@c.example", "c@c.example"]),
    )
    .unwrap();
    assert!(
        wait_rcpt(m.port, "<d@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    assert!(wait_rcpt(m.port, "<b@c.example>", false, APPLY).await);
    // The old target no longer matters.
    std::fs::write(
        f.path("store/rules.v1"),
        rules(&["e@c.example", "c@c.example"]),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_ne!(
        common::rcpt_status(m.port, "<e@c.example>").await,
        indymilter_test::Status::Continue
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_file_keeps_rules_until_recreated() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    std::fs::remove_file(f.path("rules.txt")).unwrap();
    let line = m.wait_log("file missing", LOG);
    assert!(line.contains("kept-previous"), "{line}");
    assert_eq!(
        common::rcpt_status(m.port, "<a@c.example>").await,
        indymilter_test::Status::Continue
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(f.path("rules.txt"), rules(&["a@c.example", "c@c.example"])).unwrap();
    assert!(wait_rcpt(m.port, "<c@c.example>", true, APPLY).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_directory_replaced_is_watched_again() {
    let f = fixture_at("sync/rules.txt", "");
    let sync = f.path("sync");
    std::fs::create_dir_all(&sync).unwrap();
    std::fs::write(sync.join("rules.txt"), rules(&["a@c.example"])).unwrap();
    let m = Milter::start(&f.config());
    let fresh = f.path("sync.new");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::write(fresh.join("rules.txt"), rules(&["c@c.example"])).unwrap();
    std::fs::rename(&sync, f.path("sync.old")).unwrap();
    std::fs::rename(&fresh, &sync).unwrap();
    assert!(
        wait_rcpt(
            m.port,
            "<c@c.example>",
            true,
            APPLY + Duration::from_secs(1)
        )
        .await,
        "{}",
        m.logs()
    );
    // And the new directory is watched: a later rename in it applies too.
    replace(&sync, "rules.txt", &rules(&["d@c.example"]));
    assert!(
        wait_rcpt(m.port, "<d@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn emptied_file_is_held_back_until_reload_force() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    std::fs::write(f.path("rules.txt"), "").unwrap();
    let line = m.wait_log("shrink guard", LOG);
    assert!(
        line.contains("entries_before=2") && line.contains("entries_after=0"),
        "{line}"
    );
    assert_eq!(
        common::rcpt_status(m.port, "<a@c.example>").await,
        indymilter_test::Status::Continue
    );
    let cfg = f.config();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || run(&["status", "-c", cfg.to_str().unwrap()]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("rules.txt: 2 entries") && out.contains("shrink guard"),
        "{out}"
    );
    let cfg = f.config();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run(&["reload", "-c", cfg.to_str().unwrap(), "--force"])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"result\":\"applied\""), "{out}");
    assert!(wait_rcpt(m.port, "<a@c.example>", false, APPLY).await);
    let cfg = f.config();
    let (_, out, _) = tokio::task::spawn_blocking(move || {
        run(&["status", "-c", cfg.to_str().unwrap(), "--json"])
    })
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let s = &v["sources"][0];
    assert_eq!(
        (
            s["entries"].as_u64(),
            s["generation"].as_u64(),
            s["last_error"].is_null()
        ),
        (Some(0), Some(2), true),
        "{v}"
    );
    assert!(s["loaded_at"].as_str().unwrap().ends_with('Z'), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cut_short_file_is_held_back_but_a_small_edit_applies() {
    let f = fixture("");
    let many: Vec<String> = (0..100).map(|i| format!("u{i}@c.example")).collect();
    let names: Vec<&str> = many.iter().map(String::as_str).collect();
    std::fs::write(f.path("rules.txt"), rules(&names)).unwrap();
    let m = Milter::start(&f.config());
    // A failed sync that wrote only 30 of 100 lines.
    replace(f.dir.path(), "rules.txt", &rules(&names[..30]));
    m.wait_log("shrink guard", LOG);
    assert_eq!(
        common::rcpt_status(m.port, "<u99@c.example>").await,
        indymilter_test::Status::Continue
    );
    // An ordinary change (one line less) applies.
    replace(f.dir.path(), "rules.txt", &rules(&names[1..]));
    assert!(wait_rcpt(m.port, "<u0@c.example>", false, APPLY).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_binary_and_overlong_lines_keep_the_previous_rules() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    for (what, bytes) in [
        (
            "invalid UTF-8",
            b"* a@c.example <reg> - 0\n\xff\xfe\xfd garbage\n".to_vec(),
        ),
        (
            "binary",
            (0u8..=255).cycle().take(4096).collect::<Vec<u8>>(),
        ),
        (
            "overlong line",
            format!("* {}@c.example <reg> - 0\n", "x".repeat(20_000)).into_bytes(),
        ),
    ] {
        let mark = m.log_len();
        std::fs::write(f.path("rules.txt"), &bytes).unwrap();
        let line = m.wait_log_after(mark, "kept-previous", LOG);
        assert!(line.contains("bad line"), "{what}: {line}");
        assert_eq!(
            common::rcpt_status(m.port, "<b@c.example>").await,
            indymilter_test::Status::Continue,
            "{what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_file_keeps_the_previous_rules_and_says_so() {
    let f = fixture("");
    // Root reads any file, so the daemon runs as nobody for this test.
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    for p in [f.dir.path().to_path_buf(), f.path("rules.txt"), f.config()] {
        let mode = if p.is_dir() { 0o777 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let m = Milter::start_as(&f.config(), nobody.uid.as_raw(), nobody.gid.as_raw());
    std::fs::set_permissions(f.path("rules.txt"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let line = m.wait_log("kept-previous", LOG);
    assert!(line.contains("Permission denied"), "{line}");
    assert_eq!(
        common::rcpt_status(m.port, "<a@c.example>").await,
        indymilter_test::Status::Continue
    );
    // Readable again with new content: applied.
    std::fs::write(f.path("rules.txt"), rules(&["a@c.example", "c@c.example"])).unwrap();
    std::fs::set_permissions(f.path("rules.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    // chmod is an attribute change; the next write completes the file.
    std::fs::OpenOptions::new()
        .append(true)
        .open(f.path("rules.txt"))
        .unwrap()
        .write_all(b"# done\n")
        .unwrap();
    assert!(
        wait_rcpt(m.port, "<c@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vim_style_save_with_swap_and_backup_files_applies_once() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    let d = f.dir.path();
    // vim: swap file, rename the original to a backup, write a new file, drop the backup.
    std::fs::write(d.join(".rules.txt.swp"), b"vim swap").unwrap();
    std::fs::write(d.join("4913"), b"").unwrap();
    std::fs::remove_file(d.join("4913")).unwrap();
    std::fs::rename(d.join("rules.txt"), d.join("rules.txt~")).unwrap();
    let mut file = std::fs::File::create(d.join("rules.txt")).unwrap();
    file.write_all(rules(&["a@c.example", "b@c.example", "c@c.example"]).as_bytes())
        .unwrap();
    drop(file);
    std::fs::remove_file(d.join("rules.txt~")).unwrap();
    std::fs::remove_file(d.join(".rules.txt.swp")).unwrap();
    assert!(
        wait_rcpt(m.port, "<c@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    assert!(wait_rcpt(m.port, "<a@c.example>", true, APPLY).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_mode_applies_a_change_once_it_is_stable() {
    let f = fixture("watch = \"poll\"\npoll_interval_ms = 200\npoll_stable_polls = 2\n");
    let m = Milter::start(&f.config());
    std::fs::write(f.path("rules.txt"), rules(&["c@c.example", "b@c.example"])).unwrap();
    assert!(
        wait_rcpt(m.port, "<c@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
    // A last line without its newline is not taken as complete.
    std::fs::write(
        f.path("rules.txt"),
        "* d@c.example <reg> - 0\n* b@c.example <reg> - 0\n* e@c.example <reg> - 0",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        matches!(
            common::rcpt_status(m.port, "<d@c.example>").await,
            indymilter_test::Status::Reject { .. }
        ),
        "{}",
        m.logs()
    );
    // Completed: applied.
    std::fs::OpenOptions::new()
        .append(true)
        .open(f.path("rules.txt"))
        .unwrap()
        .write_all(b"\n")
        .unwrap();
    assert!(
        wait_rcpt(m.port, "<d@c.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn optional_file_missing_at_start_tempfails_its_scope_until_it_appears() {
    let f = Fixture::new();
    f.write("rules.txt", &rules(&["a@c.example"]));
    f.write(
        "mailwarden.toml",
        "[reload]\ncontrol_socket = \"\"\n[[policy]]\nname = \"optional\"\nwhen = { recipient_domain = \"opt.example\" }\naccess_rules = [{ path = \"later.txt\", required = false }]\n\n[[policy]]\nname = \"c\"\nwhen = { recipient_domain = \"c.example\" }\naccess_rules = [\"rules.txt\"]\n",
    );
    // A required file missing refuses the start; an optional one does not.
    let (code, out, _) = run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let m = Milter::start(&f.config());
    assert!(matches!(
        common::rcpt_status(m.port, "<x@opt.example>").await,
        indymilter_test::Status::Tempfail { .. }
    ));
    assert_eq!(
        common::rcpt_status(m.port, "<a@c.example>").await,
        indymilter_test::Status::Continue
    );
    std::fs::write(f.path("later.txt"), rules(&["x@opt.example"])).unwrap();
    assert!(
        wait_rcpt(m.port, "<x@opt.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn file_added_by_a_settings_reload_is_watched_too() {
    let f = fixture("");
    let m = Milter::start(&f.config());
    f.write("other.txt", &rules(&["a@o.example"]));
    let cfg = std::fs::read_to_string(f.config()).unwrap().replace(
        "name = \"c\"\n",
        "name = \"c\"\nwhen = { recipient_domain = \"c.example\" }\n",
    );
    f.write("mailwarden.toml", &format!("{cfg}\n[[policy]]\nname = \"o\"\nwhen = {{ recipient_domain = \"o.example\" }}\naccess_rules = [\"other.txt\"]\n"));
    let mark = m.log_len();
    m.signal(nix::sys::signal::Signal::SIGHUP);
    m.wait_log_after(mark, "configuration reloaded", LOG);
    assert!(matches!(
        common::rcpt_status(m.port, "<b@o.example>").await,
        indymilter_test::Status::Reject { .. }
    ));
    // Give the watcher its one-second look at the new file set, then change the new file.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    replace(
        f.dir.path(),
        "other.txt",
        &rules(&["a@o.example", "b@o.example"]),
    );
    assert!(
        wait_rcpt(m.port, "<b@o.example>", true, APPLY).await,
        "{}",
        m.logs()
    );
}
