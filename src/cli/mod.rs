/*!
The command line: the only code that knows clap. Arguments become a validated options struct of
the operation before any work starts; the operations never see clap.
*/

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::error::{Outcome, Result};

#[derive(Debug, Parser)]
#[command(name = "captar", version, about = "A tar-compatible archiver that keeps Linux file capabilities")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {}

/// Parses `args` (with the program name first) and runs the command.
pub fn run(args: Vec<OsString>) -> Result<Outcome> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { Outcome::Errors } else { Outcome::Ok };
            let _ = e.print();
            return Ok(code);
        }
    };
    match cli.command {}
}
