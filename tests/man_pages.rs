//! The man pages cannot go stale: every command and flag of the clap definition is in
//! mailwarden(8), every settings key the parser accepts is in mailwarden.toml(5), and
//! `man --warnings` renders all three pages without a warning.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use clap::CommandFactory;

fn page(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("packaging/man")
        .join(name)
}

/// The page's roff source with `\-` read as `-`.
fn source(name: &str) -> String {
    std::fs::read_to_string(page(name))
        .unwrap()
        .replace("\\-", "-")
}

/// Every subcommand path and every `--long` / `-s` flag, below `cmd`.
fn cli_surface(cmd: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
    for arg in cmd.get_arguments() {
        if let Some(l) = arg.get_long() {
            out.insert(format!("--{l}"));
        }
        if let Some(s) = arg.get_short() {
            out.insert(format!("-{s}"));
        }
    }
    // clap's generated `help` subcommands are not ours to document.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix}{}", sub.get_name());
        // A group (`trust`) is documented through its subcommands (`trust list`).
        if !sub.has_subcommands() {
            out.insert(name.clone());
        }
        cli_surface(sub, &format!("{name} "), out);
    }
}

#[test]
fn every_command_and_flag_is_in_mailwarden_8() {
    let mut surface = BTreeSet::new();
    let mut cmd = mailwarden::cli::Cli::command();
    cmd.build();
    cli_surface(&cmd, "", &mut surface);
    // clap's own flags are there too (help, version).
    assert!(
        surface.contains("--help") && surface.contains("trust list"),
        "{surface:?}"
    );
    let text = source("mailwarden.8");
    let missing: Vec<_> = surface
        .iter()
        .filter(|s| {
            if s.starts_with('-') {
                // As a flag in bold: `.BR -c ", " --config`, `.BI --at " RFC3339"`, `.B --json`.
                !text
                    .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
                    .any(|w| w == s.as_str())
            } else {
                !text.contains(&format!(".B mailwarden {s}"))
                    || !text.contains(&format!(".B {s}\n"))
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "not in packaging/man/mailwarden.8: {missing:?}"
    );
}

/// The keys a settings table accepts, as the parser lists them for an unknown key.
fn accepted_keys(toml: &str) -> Vec<String> {
    let f = common::Fixture::new();
    f.write("mailwarden.toml", toml);
    let (code, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 1, "{toml}: {err}");
    let list = err
        .split_once("unknown field `zz_probe`, expected ")
        .unwrap_or_else(|| panic!("no key list for {toml:?}: {err}"))
        .1
        .lines()
        .next()
        .unwrap();
    let keys: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(!keys.is_empty(), "{err}");
    keys
}

#[test]
fn every_settings_key_is_in_mailwarden_toml_5() {
    let probes = [
        "zz_probe = 1\n",
        "[milter]\nzz_probe = 1\n",
        "[log]\nzz_probe = 1\n",
        "[rules]\nzz_probe = 1\n",
        "[reload]\nzz_probe = 1\n",
        "[smime]\nzz_probe = 1\n",
        "[metrics]\nzz_probe = 1\n",
        "[smime]\nactions = { zz_probe = 1 }\n",
        "[smime]\nkeys = [{ zz_probe = 1 }]\n",
        "[smime.limits]\nzz_probe = 1\n",
        "[[policy]]\nname = \"p\"\nzz_probe = 1\n",
        "[[policy]]\nname = \"p\"\nwhen = { zz_probe = 1 }\n",
        "[[policy]]\nname = \"p\"\nsmime_actions = { zz_probe = 1 }\n",
        "[directory.d]\nzz_probe = 1\n",
        "[[sync]]\nzz_probe = 1\n",
    ];
    let mut keys: BTreeSet<String> = probes.iter().flat_map(|p| accepted_keys(p)).collect();
    // Untagged tables (a path or a table) do not list their keys in the error: named here,
    // and proven accepted by `check` below.
    for k in [
        "path",
        "role",
        "required",
        "min_keep_ratio",
        "on_missing",
        "on_bad_line",
    ] {
        keys.insert(k.to_owned());
    }
    let f = common::Fixture::new();
    f.write("a.txt", "* @x.example <reg> - 0\n");
    f.write("ca.pem", "");
    f.write(
        "mailwarden.toml",
        "[[policy]]\nname = \"p\"\naccess_rules = [{ path = \"a.txt\", required = true, min_keep_ratio = 0.5, on_missing = \"keep\", on_bad_line = \"skip\" }]\n",
    );
    let (code, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    f.write(
        "mailwarden.toml",
        "[smime]\ntrust = [{ path = \"ca.pem\", role = \"anchors\" }]\n",
    );
    let (_, _, err) = common::run(&["check", "-c", f.config().to_str().unwrap()]);
    assert!(!err.contains("untagged enum"), "{err}");

    // A key counts as documented when it is set in bold (`.B`, `.BR`) or is a section name.
    let text = source("mailwarden.toml.5");
    let bold: BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with(".B ") || l.starts_with(".BR ") || l.starts_with(".SH "))
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || "\",[]".contains(c)))
        .collect();
    let missing: Vec<_> = keys.iter().filter(|k| !bold.contains(k.as_str())).collect();
    assert!(
        missing.is_empty(),
        "settings keys not in packaging/man/mailwarden.toml.5: {missing:?}"
    );
}

#[test]
fn pages_render_without_warnings() {
    for name in ["mailwarden.8", "mailwarden.toml.5", "mailwarden-rules.5"] {
        let out = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(page(name))
            .env("MANWIDTH", "80")
            .output()
            .expect("run man (man-db, installed by tests/run.sh)");
        assert!(out.status.success(), "{name}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.trim().is_empty(), "{name}: {err}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("NAME") && text.contains("SEE ALSO"),
            "{name}: {text}"
        );
    }
    // The rules page carries both formats with their examples.
    let rules = source("mailwarden-rules.5");
    for needle in [
        "SENDER ALLOWLIST",
        "ACCESS RULES",
        "ADDRESS PATTERNS",
        "<deny>",
        "user@customer.fi    <reg>",
        "@secure.example.org",
    ] {
        assert!(rules.contains(needle), "{needle}");
    }
}
