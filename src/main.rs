#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    mailwarden::cli::main()
}
