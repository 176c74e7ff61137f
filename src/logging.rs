//! tracing setup: one line per event on stderr, in a journald/syslog-friendly text form
//! (no colours; no timestamp when journald adds its own) or as JSON.

use tracing_subscriber::EnvFilter;

use crate::config::model::{LogFormat, LogLevel};

pub fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    }
}

/// Shifts the configured level by `-v` (up) and `-q` (down) counts.
pub fn adjust(level: LogLevel, verbose: u8, quiet: u8) -> LogLevel {
    const ORDER: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];
    let i =
        ORDER.iter().position(|l| *l == level).unwrap_or(2) as i32 + verbose as i32 - quiet as i32;
    ORDER[i.clamp(0, 4) as usize]
}

/// Installs the global subscriber; later calls are ignored (tests may call it repeatedly).
pub fn init(level: LogLevel, format: LogFormat) {
    // Our crate at the chosen level; dependencies one notch quieter unless tracing.
    let deps = if level >= LogLevel::Trace {
        "trace"
    } else {
        "warn"
    };
    // Audit lines are records, not diagnostics: kept at every level but "error".
    let audit = if level == LogLevel::Error {
        "error"
    } else {
        "info"
    };
    let filter = EnvFilter::new(format!(
        "{deps},mailwarden={},audit={audit}",
        level_name(level)
    ));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = match (format, under_journald) {
        (LogFormat::Json, _) => builder.json().flatten_event(true).try_init(),
        (LogFormat::Text, true) => builder.without_time().try_init(),
        (LogFormat::Text, false) => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjust_clamps_at_both_ends() {
        assert_eq!(adjust(LogLevel::Info, 1, 0), LogLevel::Debug);
        assert_eq!(adjust(LogLevel::Info, 9, 0), LogLevel::Trace);
        assert_eq!(adjust(LogLevel::Info, 0, 9), LogLevel::Error);
        assert_eq!(adjust(LogLevel::Warn, 1, 1), LogLevel::Warn);
    }
}
