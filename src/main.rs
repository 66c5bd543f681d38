//! The `captar` binary: parse, run, print the error once, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match captar::cli::run(std::env::args_os().collect()) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            if let captar::error::Error::Io { source, .. } = &err
                && source.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("captar: {err}");
            ExitCode::from(2)
        }
    }
}
