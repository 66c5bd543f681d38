//! The `captar` binary: parse, run, print the error once, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let run = std::panic::catch_unwind(|| captar::cli::run(std::env::args_os().collect()));
    let Ok(result) = run else {
        // A bug: the panic's message is out already. No half-written archive or file is left
        // under a temporary name.
        let _held = captar::temps::remove_all();
        captar::error::print_stderr("captar: internal error (a bug; please report it): stopped");
        return ExitCode::from(2);
    };
    match result {
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
            captar::error::print_stderr(&format!("captar: {}", captar::error::terminal_safe(&err.to_string())));
            ExitCode::from(2)
        }
    }
}
