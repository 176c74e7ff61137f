//! Command line: `serve`, `check`, `query`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// println! that does not panic when stdout is closed (`mailwarden check | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use serde_json::json;

use crate::config::Settings;
use crate::listen::ListenAddr;
use crate::logging;
use crate::policy::{Action, Address, Decision, Facts, Headers, SenderVerdict};
use crate::runtime::{LoadError, Runtime, Shared};

#[derive(Debug, Parser)]
#[command(
    name = "mailwarden",
    version,
    about = "Policy milter for Postfix and Sendmail"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct ConfigArg {
    /// Settings file [default: /etc/mailwarden/mailwarden.toml if it exists, else built-in defaults]
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    fn path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(Settings::default_path)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the milter
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Socket to listen on: inet:HOST:PORT, inet6:[ADDR]:PORT or unix:/path (overrides milter.listen)
        #[arg(short = 'l', long, value_name = "SOCKET")]
        listen: Option<ListenAddr>,
        /// More log output (repeatable)
        #[arg(short, long, action = clap::ArgAction::Count)]
        verbose: u8,
        /// Less log output (repeatable)
        #[arg(short, long, action = clap::ArgAction::Count)]
        quiet: u8,
    },
    /// Validate the settings and every file they name; exit 1 on any problem
    Check {
        #[command(flatten)]
        config: ConfigArg,
        /// Do not connect to the [directory.NAME] servers
        #[arg(long)]
        offline: bool,
    },
    /// Show what the milter would decide for a message
    Query(QueryArgs),
    /// Ask the running daemon to re-read its settings and rule files (like SIGHUP)
    Reload {
        #[command(flatten)]
        config: ConfigArg,
        /// Also apply a version the shrink guard held back
        #[arg(long)]
        force: bool,
    },
    /// The S/MIME trust store
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Verify S/MIME messages offline with the configured trust store, as the milter would
    Smime {
        #[command(flatten)]
        config: ConfigArg,
        /// Judge certificates at this time (RFC 3339) instead of now
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print one JSON object per file, one per line
        #[arg(long)]
        json: bool,
        /// Write the decrypted MIME entity of each encrypted message to DIR/NAME.decrypted.eml
        #[arg(long, value_name = "DIR")]
        decrypt_out: Option<PathBuf>,
        /// Messages (.eml); LF line ends are read as CRLF, as they travel
        #[arg(required = true, value_name = "FILE.eml")]
        files: Vec<PathBuf>,
    },
    /// Write rule files from the directory: every [[sync]] block, or those named
    Sync {
        #[command(flatten)]
        config: ConfigArg,
        /// Write even a result much smaller than the file it replaces (min_keep_ratio)
        #[arg(long)]
        force: bool,
        /// [[sync]] names [default: all]
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Show the running daemon's rule sources: path, entries, generation, loaded-at, last error
    Status {
        #[command(flatten)]
        config: ConfigArg,
        /// Print the JSON object
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// List every certificate of [smime] trust: subject, issuer, serial, SHA-256, validity, role
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Envelope sender ("" or "<>" for the null sender)
    #[arg(long = "from", value_name = "ADDR", allow_hyphen_values = true)]
    pub from: String,
    /// Envelope recipient (repeatable)
    #[arg(long = "rcpt", value_name = "ADDR", required = true)]
    pub rcpt: Vec<String>,
    /// Subject header
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Another header, "Name: value" (repeatable)
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// Postfix's {daemon_name} macro
    #[arg(long = "daemon-name", value_name = "NAME")]
    pub daemon_name: Option<String>,
    /// SASL login ({auth_authen}); absent means not authenticated
    #[arg(long = "auth", value_name = "USER")]
    pub auth: Option<String>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            listen,
            verbose,
            quiet,
        } => serve(config.path(), listen, verbose, quiet),
        Command::Check { config, offline } => check(config.path().as_deref(), offline),
        Command::Query(q) => query(&q),
        Command::Reload { config, force } => control_request(
            config.path().as_deref(),
            if force { "reload --force" } else { "reload" },
            true,
        ),
        Command::Trust {
            command: TrustCommand::List { config, json },
        } => trust_list(config.path().as_deref(), json),
        Command::Smime {
            config,
            at,
            json,
            decrypt_out,
            files,
        } => smime(
            config.path().as_deref(),
            at.as_deref(),
            json,
            decrypt_out.as_deref(),
            &files,
        ),
        Command::Sync {
            config,
            force,
            names,
        } => sync(config.path().as_deref(), &names, force),
        Command::Status { config, json } => {
            control_request(config.path().as_deref(), "status", json)
        }
    }
}

/// `mailwarden sync`: one line per block; exit 1 when any failed or was held back.
fn sync(config: Option<&Path>, names: &[String], force: bool) -> ExitCode {
    use crate::directory::sync::{Written, run_all};
    let settings = match Settings::load(config) {
        Ok(s) => s,
        Err(e) => {
            for line in e.to_string().lines() {
                eprintln!("mailwarden: {line}");
            }
            return ExitCode::from(2);
        }
    };
    if settings.syncs.is_empty() {
        eprintln!("mailwarden: sync: the settings have no [[sync]] block");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mailwarden: sync: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcomes = match rt.block_on(run_all(
        &settings.directories,
        &settings.syncs,
        names,
        force,
    )) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mailwarden: sync: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for o in outcomes {
        let path = o.output.display();
        match o.result {
            Ok((written, skipped)) => {
                const SHOWN: usize = 20;
                for s in skipped.iter().take(SHOWN) {
                    eprintln!(
                        "mailwarden: warning: sync {}: skipped {}: {}",
                        o.name, s.dn, s.reason
                    );
                }
                if skipped.len() > SHOWN {
                    eprintln!(
                        "mailwarden: warning: sync {}: {} more entries skipped",
                        o.name,
                        skipped.len() - SHOWN
                    );
                }
                match written {
                    Written::Unchanged { lines } => {
                        say!("sync {}: {path}: unchanged, {lines} lines", o.name)
                    }
                    Written::Replaced { old, new } => {
                        say!("sync {}: {path}: wrote {new} lines (was {old})", o.name)
                    }
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("mailwarden: sync {}: {e}; {path} left as it was", o.name);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_load_error(e: &LoadError) {
    for line in e.to_string().lines() {
        eprintln!("mailwarden: {line}");
    }
}

fn serve(config: Option<PathBuf>, listen: Option<ListenAddr>, verbose: u8, quiet: u8) -> ExitCode {
    let (rt, table) = match Runtime::load(config.as_deref(), 1) {
        Ok(loaded) => loaded,
        Err(e) => {
            print_load_error(&e);
            eprintln!(
                "mailwarden: not started: fix the problems above (mailwarden check shows them too)"
            );
            return ExitCode::FAILURE;
        }
    };
    logging::init(
        logging::adjust(rt.settings.log.level, verbose, quiet),
        rt.settings.log.format,
    );
    let shared = Shared::new(rt, table, config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailwarden: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::server::serve(shared, listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailwarden: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `check`: connect and bind to every directory, and run each `[[sync]]` filter and each
/// real-time lookup filter once (asking for one entry). Prints `ok:` lines; returns false
/// after printing a problem.
fn probe_directories(settings: &Settings) -> bool {
    use crate::directory::Client;
    if settings.directories.is_empty() {
        return true;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("mailwarden: cannot start the async runtime for the directory probe");
        return false;
    };
    let shown = settings.path.as_deref().map_or_else(
        || "built-in defaults".to_owned(),
        |p| p.display().to_string(),
    );
    let mut ok = true;
    for dir in &settings.directories {
        let result: Result<(), crate::directory::DirectoryError> = rt.block_on(async {
            let client = Client::new(dir.clone())?;
            let mut ldap = client.connect().await?;
            say!(
                "ok: directory {}: connected{}",
                dir.name,
                dir.bind_dn
                    .as_ref()
                    .map(|d| format!(", bound as {d}"))
                    .unwrap_or_default()
            );
            for s in settings.syncs.iter().filter(|s| s.directory == dir.name) {
                let base = s.base.as_deref().unwrap_or(&dir.base);
                match client.probe(&mut ldap, base, &s.filter).await {
                    Ok(n) => say!(
                        "ok: sync {}: filter {} runs ({})",
                        s.name,
                        s.filter,
                        if n == 0 {
                            "no entry matches now"
                        } else {
                            "entries match"
                        }
                    ),
                    Err(e) => {
                        eprintln!("mailwarden: {shown}:{}: sync {}: {e}", s.line, s.name);
                        ok = false;
                    }
                }
            }
            ok &= probe_lookups(settings, &client, &mut ldap, &shown).await;
            let _ = ldap.unbind().await;
            Ok(())
        });
        if let Err(e) = result {
            eprintln!(
                "mailwarden: {shown}:{}: {e} (check --offline skips this)",
                dir.line
            );
            ok = false;
        }
    }
    ok
}

/// `check`: each real-time lookup of the policies on `client`'s directory, run once with
/// its placeholders filled by [`PROBE_ADDRESS`](crate::policy::lookup::PROBE_ADDRESS).
async fn probe_lookups(
    settings: &Settings,
    client: &crate::directory::Client,
    ldap: &mut ldap3::Ldap,
    shown: &str,
) -> bool {
    let dir = client.spec();
    let mut ok = true;
    for p in &settings.policies {
        let lookups = (p.sender_directory.iter().map(|q| ("sender_allowlist", q)))
            .chain(p.access_directory.iter().map(|q| ("access_rules", q)));
        for (key, q) in lookups.filter(|(_, q)| *q.directory == *dir.name) {
            let filter = q.probe_filter();
            match client.probe(ldap, &dir.base, &filter).await {
                Ok(n) => say!(
                    "ok: policy {}: {key} lookup {filter} runs ({})",
                    p.name,
                    if n == 0 {
                        "no entry matches, as expected"
                    } else {
                        "an entry matches the probe address"
                    }
                ),
                Err(e) => {
                    eprintln!(
                        "mailwarden: {shown}:{}: policy {}: {key}: {e}",
                        q.line, p.name
                    );
                    ok = false;
                }
            }
        }
    }
    ok
}

fn check(config: Option<&Path>, offline: bool) -> ExitCode {
    match Runtime::load(config, 0) {
        Ok((rt, _)) => {
            for w in rt.settings.ineffective() {
                eprintln!("mailwarden: warning: {w}");
            }
            let shown = config.map_or_else(
                || "built-in defaults".to_owned(),
                |p| p.display().to_string(),
            );
            say!(
                "ok: {shown}: listen {}, {} policies",
                rt.settings.listen,
                rt.settings.policies.len()
            );
            for s in &rt.sources {
                say!("ok: {} {}: {} entries", s.kind, s.path.display(), s.entries);
            }
            if !offline && !probe_directories(&rt.settings) {
                return ExitCode::FAILURE;
            }
            if let Some(engine) = &rt.smime {
                say!(
                    "ok: smime trust: {} anchors, {} intermediates",
                    engine.trust.anchors().count(),
                    engine.trust.intermediates().count()
                );
                say!(
                    "ok: smime verification on: {} CRLs, authserv-id {}",
                    engine.crls.len(),
                    rt.settings.smime.authserv_id
                );
                let now = crate::smime::pki::path::unix_secs(std::time::SystemTime::now());
                for w in engine.crls.iter().filter_map(|c| crl_warning(c, now)) {
                    eprintln!("mailwarden: warning: {w}");
                }
                for k in &engine.keys {
                    say!(
                        "ok: smime decryption key: {} ({}), from {}",
                        k.label(),
                        match k.key {
                            crate::smime::keys::PrivateKey::Rsa(_) => "RSA",
                            crate::smime::keys::PrivateKey::Ec(_) => "EC",
                        },
                        k.source.display()
                    );
                    if let Some(weak) = k.weak_protection {
                        eprintln!(
                            "mailwarden: warning: {}: weak: its certificates are protected with {weak} (a legacy export); re-export with AES-256 (Windows: \"AES256-SHA256\") or convert: openssl pkcs12 -legacy -in OLD.p12 -nodes | openssl pkcs12 -export -out NEW.p12",
                            k.source.display()
                        );
                    }
                }
                return ExitCode::SUCCESS;
            }
            if rt.settings.smime.engine.trust.is_empty() {
                return ExitCode::SUCCESS;
            }
            match load_trust(&rt.settings) {
                Some(store) => {
                    say!(
                        "ok: smime trust: {} anchors, {} intermediates",
                        store.anchors().count(),
                        store.intermediates().count()
                    );
                    ExitCode::SUCCESS
                }
                None => ExitCode::FAILURE,
            }
        }
        Err(e) => {
            print_load_error(&e);
            ExitCode::FAILURE
        }
    }
}

fn query(q: &QueryArgs) -> ExitCode {
    let rt = match Runtime::load(q.config.path().as_deref(), 0) {
        Ok((rt, _)) => rt,
        Err(e) => {
            print_load_error(&e);
            return ExitCode::from(2);
        }
    };
    let delims = rt.settings.subaddress_delimiter.as_str();
    let envelope = |role: &str, raw: &str| {
        Address::envelope(raw, delims).map_err(|e| {
            eprintln!("mailwarden: {role} {raw:?}: {e} (Postfix refuses it with 501)");
            ExitCode::from(2)
        })
    };
    let sender = match envelope("--from", &q.from) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let mut headers = Headers::new();
    if let Some(s) = &q.subject {
        headers.push("Subject", s);
    }
    for h in &q.header {
        let Some((name, value)) = h.split_once(':') else {
            eprintln!("mailwarden: --header {h:?}: expected \"Name: value\"");
            return ExitCode::from(2);
        };
        headers.push(name.trim(), value.trim());
    }
    let facts = Facts {
        daemon_name: q.daemon_name.as_deref(),
        auth_user: q.auth.as_deref(),
        sender: &sender,
        headers: Some(&headers),
        delimiters: delims,
        directory: &crate::policy::NoDirectories,
    };
    let mut rcpts = Vec::new();
    for r in &q.rcpt {
        match envelope("--rcpt", r) {
            Ok(a) => rcpts.push(a),
            Err(code) => return code,
        }
    }
    // A directory lookup is answered from the running daemon's cache when it has the
    // answer (`ldap corp (cached 12 s)`), else asked of the server (`asked now`).
    let socket = Path::new(&rt.settings.reload.control_socket);
    let daemon_has = |d: &str, filter: &str, attrs: &[String]| {
        if socket.as_os_str().is_empty() {
            return None;
        }
        crate::control::ask_cached(socket, d, filter, attrs)
    };
    let decision = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(tokio_rt) => tokio_rt.block_on(rt.directories.decide_explained(daemon_has, |d| {
            rt.policies.evaluate(
                &Facts {
                    directory: d,
                    ..facts
                },
                &rcpts,
            )
        })),
        Err(e) => {
            eprintln!("mailwarden: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // As the milter does at end of message: the policies whose annotation and S/MIME
    // actions apply to the recipients that are accepted.
    let accepted = decision
        .recipients
        .iter()
        .filter(|(_, v)| !v.stops())
        .map(|(a, _)| a);
    let in_scope: Vec<&str> = if decision.action == Action::Accept {
        rt.policies
            .in_scope(&facts, accepted)
            .map(|p| &*p.name)
            .collect()
    } else {
        Vec::new()
    };
    let out = if q.json {
        let mut j = decision_json(&decision, &q.rcpt);
        j["in_scope"] = json!(in_scope);
        j.to_string()
    } else {
        let mut t = decision_text(&decision, &sender, &q.rcpt);
        if !in_scope.is_empty() {
            t.push_str(&format!(
                "\n  in scope (annotate, smime_actions): {}",
                in_scope.join(", ")
            ));
        }
        t
    };
    let _ = writeln!(std::io::stdout(), "{out}");
    ExitCode::SUCCESS
}

/// A report-mode refusal, as `query --json` shows it.
fn would_json(w: &crate::policy::WouldRefuse) -> serde_json::Value {
    json!({
        "policy": &*w.policy,
        "rule": w.rule.as_ref().map(ToString::to_string),
        "address": w.address.to_string(),
        "reply": w.reply,
    })
}

/// A report-mode refusal, as `query` prints it.
fn would_text(w: &crate::policy::WouldRefuse) -> String {
    format!(
        "would be refused by policy {} in report mode ({}): 550 5.7.1 {}",
        w.policy,
        w.rule
            .as_ref()
            .map_or("no entry matched".into(), |r| format!("rule {r}")),
        w.reply
    )
}

pub fn decision_json(d: &Decision, given: &[String]) -> serde_json::Value {
    let sender = match &d.sender {
        SenderVerdict::NotChecked => json!({"action": "none", "policy": null, "rule": null}),
        SenderVerdict::Accepted { policy, rule } => {
            json!({"action": "accept", "policy": &**policy, "rule": rule.as_ref().map(ToString::to_string)})
        }
        SenderVerdict::Rejected { policy, rule, .. } => {
            json!({"action": "reject", "policy": &**policy, "rule": rule.as_ref().map(ToString::to_string)})
        }
        SenderVerdict::Unavailable { policy } => {
            json!({"action": "tempfail", "policy": &**policy, "rule": null})
        }
        SenderVerdict::WouldReject(w) => {
            json!({"action": "accept", "would_reject": would_json(w), "policy": &*w.policy, "rule": w.rule.as_ref().map(ToString::to_string)})
        }
    };
    let recipients: Vec<_> = d
        .recipients
        .iter()
        .zip(given)
        .map(|((_, v), rcpt)| {
            let mut r = json!({
                "rcpt": rcpt,
                "action": v.action.as_str(),
                "policy": v.policy.as_deref(),
                "rule": v.rule.as_ref().map(ToString::to_string),
                "method": v.method.as_deref(),
                "param": v.param.as_deref(),
                "flags": v.flags,
            });
            // Only where a report-mode policy would have refused.
            if let Some(w) = &v.would_refuse {
                r["would_reject"] = would_json(w);
            }
            r
        })
        .collect();
    json!({"action": d.action.as_str(), "sender": sender, "recipients": recipients})
}

fn decision_text(d: &Decision, sender: &Address, given: &[String]) -> String {
    let mut out = String::new();
    let verdict = match d.action {
        Action::Accept => "ACCEPT",
        Action::Reject => "REJECT",
        Action::Tempfail => "TEMPFAIL",
    };
    out.push_str(&format!("{verdict}: message from {sender}\n"));
    match &d.sender {
        SenderVerdict::NotChecked => out.push_str("  sender: no policy checks the sender\n"),
        SenderVerdict::Unavailable { policy } => out.push_str(&format!(
            "  sender: policy {policy} has rules that are not loaded: 451 4.3.0\n"
        )),
        SenderVerdict::Accepted { policy, rule } => out.push_str(&format!(
            "  sender: accepted by policy {policy} ({})\n",
            rule.as_ref()
                .map_or("no rule".into(), |r| format!("rule {r}"))
        )),
        SenderVerdict::Rejected {
            policy,
            rule,
            address,
            reply,
        } => out.push_str(&format!(
            "  sender {address}: refused by policy {policy} ({}): 550 5.7.1 {reply}\n",
            rule.as_ref()
                .map_or("no entry matched".into(), |r| format!("rule {r}"))
        )),
        SenderVerdict::WouldReject(w) => out.push_str(&format!(
            "  sender {}: accepted; {}\n",
            w.address,
            would_text(w)
        )),
    }
    for ((_, v), rcpt) in d.recipients.iter().zip(given) {
        let how = match (&v.policy, &v.rule) {
            (None, _) => "no policy applies".to_owned(),
            (Some(p), Some(r)) => format!("policy {p}, rule {r}"),
            (Some(p), None) => format!("policy {p}, no rule matched"),
        };
        out.push_str(&format!("  rcpt {rcpt}: {} ({how})", v.action.as_str()));
        if let Some(m) = &v.method {
            out.push_str(&format!(
                " method <{m}> param {} flags {}",
                v.param.as_deref().unwrap_or("-"),
                v.flags.unwrap_or(0)
            ));
        }
        if let Some(r) = &v.reply {
            out.push_str(&format!(": 550 5.7.1 {r}"));
        }
        if let Some(w) = &v.would_refuse {
            out.push_str(&format!("; {}", would_text(w)));
        }
        out.push('\n');
    }
    if d.refused_at_headers {
        out.push_str(
            "  a header-scoped policy refuses: the whole message is refused at end of headers\n",
        );
    }
    out.trim_end().to_owned()
}

/// `reload` and `status`: one request on the daemon's control socket.
fn control_request(config: Option<&Path>, request: &str, json: bool) -> ExitCode {
    let settings = match Settings::load(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mailwarden: {e}");
            return ExitCode::from(2);
        }
    };
    let socket = &settings.reload.control_socket;
    if socket.is_empty() {
        eprintln!(
            "mailwarden: reload.control_socket is \"\" (disabled); send SIGHUP to the daemon instead"
        );
        return ExitCode::from(2);
    }
    let answer = match crate::control::request(Path::new(socket), request) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mailwarden: cannot reach the daemon at {socket}: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        say!("{answer}");
    } else {
        print_status(&answer);
    }
    if answer.get("ok").and_then(|v| v.as_bool()) == Some(false) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_status(v: &serde_json::Value) {
    say!(
        "generation {}, {} message(s) in flight",
        v["generation"],
        v["in_flight"]
    );
    for s in v["sources"].as_array().into_iter().flatten() {
        say!(
            "{} {}: {} entries, generation {}, loaded {}{}",
            s["kind"].as_str().unwrap_or("?"),
            s["path"].as_str().unwrap_or("?"),
            s["entries"]
                .as_u64()
                .map_or("no".to_owned(), |n| n.to_string()),
            s["generation"],
            s["loaded_at"].as_str().unwrap_or("never"),
            s["last_error"]
                .as_str()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default()
        );
    }
    for d in v["directories"].as_array().into_iter().flatten() {
        let (hits, misses) = (
            d["hits"].as_u64().unwrap_or(0),
            d["misses"].as_u64().unwrap_or(0),
        );
        say!(
            "directory {}: {}{}, {} cached answers, hit rate {}{}",
            d["name"].as_str().unwrap_or("?"),
            match d["up"].as_bool() {
                Some(true) => "up",
                Some(false) => "down",
                None => "not asked yet",
            },
            d["server"]
                .as_str()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            d["cache_entries"],
            if hits + misses == 0 {
                "-".to_owned()
            } else {
                format!("{:.0}%", 100.0 * hits as f64 / (hits + misses) as f64)
            },
            d["last_error"]
                .as_str()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default()
        );
    }
}

/// Loads `[smime] trust`, printing each problem as `PATH[:LINE]: message`.
fn load_trust(settings: &Settings) -> Option<crate::smime::pki::trust::TrustStore> {
    match crate::smime::pki::trust::load(&settings.smime.engine.trust) {
        Ok(store) => Some(store),
        Err(errors) => {
            for e in errors {
                eprintln!("mailwarden: {e}");
            }
            None
        }
    }
}

/// What an operator must hear about a CRL at `now`: stale, or stale within a day.
fn crl_warning(c: &crate::smime::pki::crl::CrlSummary, now: u64) -> Option<String> {
    let next = c.next_update?;
    let when =
        crate::runtime::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(next));
    let what = match c.freshness(now) {
        "stale" => "is stale: its nextUpdate passed on",
        "expiring" => "goes stale within 24 hours: nextUpdate",
        _ => return None,
    };
    Some(format!(
        "{}: CRL of {} {what} {when}; certificates of its CA are revocation-unknown while it is stale",
        c.file.display(),
        c.label()
    ))
}

/// Expired and soon-expiring certificates are what an operator must act on.
const EXPIRY_WARNING: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

fn trust_list(config: Option<&Path>, json: bool) -> ExitCode {
    let settings = match Settings::load(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mailwarden: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(store) = load_trust(&settings) else {
        return ExitCode::FAILURE;
    };
    let crls = match crate::smime::pki::crl::load(&settings.smime.engine.crls) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprintln!("mailwarden: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let now = std::time::SystemTime::now();
    let mut warnings = Vec::new();
    let certs = certificate_rows(&store, now, &mut warnings);
    let crls = crl_rows(&crls, now, &mut warnings);
    if json {
        say!(
            "{}",
            json!({"certificates": certs, "crls": crls, "warnings": warnings})
        );
    } else {
        print_trust_text(&certs, &crls);
        for w in &warnings {
            eprintln!("mailwarden: warning: {w}");
        }
    }
    ExitCode::SUCCESS
}

/// `trust list`'s certificate objects; expired and expiring ones add a warning.
fn certificate_rows(
    store: &crate::smime::pki::trust::TrustStore,
    now: std::time::SystemTime,
    warnings: &mut Vec<String>,
) -> Vec<serde_json::Value> {
    let mut certs = Vec::new();
    for c in &store.certs {
        let na = c.not_after();
        let status = if na < now {
            "expired"
        } else if na < now + EXPIRY_WARNING {
            "expiring"
        } else if c.not_before() > now {
            "not-yet-valid"
        } else {
            "valid"
        };
        if matches!(status, "expired" | "expiring") {
            let verb = if status == "expired" {
                "expired"
            } else {
                "expires"
            };
            let when = crate::runtime::rfc3339(na);
            warnings.push(format!(
                "{}: {} {verb} on {when}",
                c.source.display(),
                c.subject()
            ));
        }
        certs.push(json!({
            "subject": c.subject(),
            "issuer": c.issuer(),
            "serial": c.serial_hex(),
            "sha256": c.fingerprint(),
            "not_before": crate::runtime::rfc3339(c.not_before()),
            "not_after": crate::runtime::rfc3339(na),
            "role": c.kind.as_str(),
            "status": status,
            "source": c.source.display().to_string(),
        }));
    }
    certs
}

/// `trust list`'s CRL objects; stale and nearly stale ones add a warning.
fn crl_rows(
    crls: &[crate::smime::pki::crl::Loaded],
    now: std::time::SystemTime,
    warnings: &mut Vec<String>,
) -> Vec<serde_json::Value> {
    let now_secs = crate::smime::pki::path::unix_secs(now);
    let at = |secs: u64| {
        crate::runtime::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
    };
    crls.iter()
        .map(|l| {
            let c = &l.summary;
            warnings.extend(crl_warning(c, now_secs));
            json!({
                "issuer": c.issuer,
                "number": c.number,
                "delta": c.delta,
                "this_update": at(c.this_update),
                "next_update": c.next_update.map(at),
                "status": c.freshness(now_secs),
                "source": c.file.display().to_string(),
            })
        })
        .collect()
}

fn print_trust_text(certs: &[serde_json::Value], crls: &[serde_json::Value]) {
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("-").to_string();
    for c in certs {
        say!("{} {}", text(c, "role"), text(c, "subject"));
        say!("  issuer  {}", text(c, "issuer"));
        say!("  serial  {}", text(c, "serial"));
        say!("  sha256  {}", text(c, "sha256"));
        say!(
            "  valid   {} .. {} ({})",
            text(c, "not_before"),
            text(c, "not_after"),
            text(c, "status")
        );
    }
    for c in crls {
        let kind = if c["delta"] == true {
            "delta-crl"
        } else {
            "crl"
        };
        say!("{kind} {}", text(c, "issuer"));
        say!("  number  {}", text(c, "number"));
        say!(
            "  update  {} .. {} ({})",
            text(c, "this_update"),
            text(c, "next_update"),
            text(c, "status")
        );
        say!("  source  {}", text(c, "source"));
    }
}

fn reason_text(o: crate::smime::outcome::Outcome) -> String {
    o.reason
        .map(|r| format!(" ({})", r.token()))
        .unwrap_or_default()
}

/// `mailwarden smime`: the milter's verification pipeline over files.
fn smime(
    config: Option<&Path>,
    at: Option<&str>,
    json: bool,
    decrypt_out: Option<&Path>,
    files: &[PathBuf],
) -> ExitCode {
    let at = match at.map(crate::smime::parse_rfc3339) {
        Some(None) => {
            eprintln!("mailwarden: --at: not an RFC 3339 time (like 2026-02-01T00:00:00Z)");
            return ExitCode::from(2);
        }
        Some(t) => t,
        None => None,
    };
    let settings = match Settings::load(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mailwarden: {e}");
            return ExitCode::FAILURE;
        }
    };
    let engine = match crate::smime::Engine::load(&settings.smime.engine) {
        Ok(e) => e,
        Err(errors) => {
            for e in errors {
                eprintln!("mailwarden: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    if engine.trust.certs.is_empty() {
        eprintln!("mailwarden: warning: no [smime] trust configured; no signature can pass");
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let raw = match std::fs::read(file) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("mailwarden: {}: {e}", file.display());
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let raw = crate::smime::mime::to_crlf(&raw);
        let now = crate::smime::pki::path::unix_secs(std::time::SystemTime::now());
        let report = engine.verify(&raw, now, at);
        let ar = crate::auth_results::for_report(&settings.smime.authserv_id, &report);
        if let (Some(dir), Some(clear)) = (decrypt_out, &report.cleartext) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = dir.join(format!("{name}.decrypted.eml"));
            if let Err(e) = std::fs::write(&out, clear) {
                eprintln!("mailwarden: {}: {e}", out.display());
                status = ExitCode::FAILURE;
            }
        }
        print_smime_report(file, &report, &ar, json);
    }
    status
}

/// One file's verdict: a JSON object, or the header value and one line per layer.
fn print_smime_report(file: &Path, report: &crate::smime::outcome::Report, ar: &str, json: bool) {
    let signer = report.signer().and_then(|s| s.emails.first().cloned());
    if json {
        let signatures: Vec<_> = report
            .signatures
            .iter()
            .map(|l| {
                json!({
                    "result": l.outcome.result.as_str(),
                    "reason": l.outcome.reason.map(|r| r.token()),
                    "signer": l.signer().and_then(|s| s.emails.first().cloned()),
                    "revoked_by": l.signer().and_then(|s| s.revoked_by.clone()),
                })
            })
            .collect();
        say!(
            "{}",
            json!({
                "file": file.display().to_string(),
                "layers": report.layers,
                "result": report.outcome.result.as_str(),
                "reason": report.outcome.reason.map(|r| r.token()),
                "signer": signer,
                "revoked_by": report.signer().and_then(|s| s.revoked_by.clone()),
                "decryption": report.decryption.as_str(),
                "decryption_detail": report.decryption_detail,
                "decryption_limit": report.decryption_limit.map(|e| e.token()),
                "signatures": signatures,
                "authentication_results": ar,
            })
        );
    } else {
        say!("{}: {}", file.display(), ar);
        for (i, l) in report.signatures.iter().enumerate() {
            say!(
                "  layer {} {}{} signer={}",
                i + 1,
                l.outcome.result,
                reason_text(l.outcome),
                l.signer()
                    .and_then(|s| s.emails.first().cloned())
                    .unwrap_or_else(|| "-".into())
            );
            // Every SignerInfo when a layer has several.
            for s in l.signers.iter().filter(|_| l.signers.len() > 1) {
                say!(
                    "    signer {} {}{} issuer={}",
                    s.emails.first().map_or("-", String::as_str),
                    s.outcome.result,
                    reason_text(s.outcome),
                    s.issuer.as_deref().unwrap_or("-")
                );
            }
        }
    }
}
