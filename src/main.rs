//! The `captar` binary: parse, run, print the error once, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match captar::cli::run(std::env::args_os().collect()) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            // `captar list ... | head`: the reader of a listing went away, which is not an error.
            // An archive written to a closed pipe is (create -f - labels that output otherwise).
            if let captar::error::Error::Io { source, path, .. } = &err
                && source.kind() == std::io::ErrorKind::BrokenPipe
                && path.as_os_str() == captar::error::STDOUT
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("captar: {}", captar::error::terminal_safe(&err.to_string()));
            ExitCode::from(2)
        }
    }
}
