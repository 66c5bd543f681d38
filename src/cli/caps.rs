//! `captar caps`: the arguments of the capability audits, turned into the options structs of
//! [`crate::audit`].

use std::io;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::audit::{decode, procs, scan};
use crate::caps::risk::DOCKER_DEFAULT;
use crate::error::{Outcome, Report, Result};

#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct CapsArgs {
    #[command(subcommand)]
    pub command: CapsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CapsCommand {
    /// Decode capability masks like `capsh --decode`, or raw security.capability values
    #[command(
        long_about = "Decode each HEX: a capability mask of 1 to 16 hex digits (as /proc/PID/status \
        shows one) prints exactly as `capsh --decode=HEX`: `0x00000000a80425fb=cap_chown,...`. A raw \
        security.capability value of 24, 40 or 48 hex digits (v1, v2, v3, as `getfattr -e hex` shows \
        it) prints as `HEX: vREV TEXT`, plus ` [rootid=N]` for v3, TEXT being what getcap shows. \
        A leading 0x and whitespace are ignored.",
        after_help = "Examples:
  captar caps decode 00000000a80425fb                          a mask: 0x00000000a80425fb=cap_chown,...
  captar caps decode 0100000200200000000000000000000000000000  a raw value: ...: v2 cap_net_raw=ep"
    )]
    Decode(DecodeArgs),
    /// List files with capabilities, like `getcap -r` (in parallel, same output)
    #[command(after_help = "Examples:
  captar caps scan /usr > caps.txt               getcap -r /usr, byte for byte (a manifest for verify)
  captar caps scan -n --risk /usr                with rootids and risk classes
  captar caps scan --beyond docker /             only files granting more than Docker's default set")]
    Scan(ScanArgs),
    /// List processes with capabilities, like `pscap -a`
    #[command(after_help = "Examples:
  captar caps procs                              like pscap -a
  captar caps procs -p 1 --json                  all five sets of one process")]
    Procs(ProcsArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Capability masks or raw security.capability values, in hex
    #[arg(value_name = "HEX", required = true)]
    pub values: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan (symlinks are never followed)
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Show the rootid of v3 capabilities, like `getcap -n`: ` [rootid=N]`
    #[arg(short = 'n', long = "rootid")]
    pub rootid: bool,
    /// Print one JSON object per file
    #[arg(long)]
    pub json: bool,
    /// Do not descend into directories on other filesystems
    #[arg(long)]
    pub one_file_system: bool,
    /// Append the risk classes of the granted capabilities: ` [risk=root-equivalent:cap_setuid
    /// ...]`, and what about the file lets others abuse them:
    /// ` [file-risk=writable-by-group,owner-not-root]` (also writable-by-others, owner-unmapped, setuid, setgid)
    #[arg(long)]
    pub risk: bool,
    /// Only files granting capabilities outside SET (`docker`, or a hex mask); appends ` [beyond=CAPS]`
    #[arg(long, value_name = "SET", value_parser = parse_baseline)]
    pub beyond: Option<u64>,
    /// Threads reading directories, 1 to 1024 (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ProcsArgs {
    /// Only this process (repeatable); listed even without capabilities
    #[arg(short = 'p', long = "pid", value_name = "PID")]
    pub pids: Vec<u32>,
    /// Print one JSON object per process, with all five capability sets
    #[arg(long)]
    pub json: bool,
    /// Also list each thread whose capabilities differ from its process's main thread (pscap
    /// reads main threads only; capabilities are per thread)
    #[arg(long)]
    pub threads: bool,
}

/// `--beyond`: a named set or a hex capability mask.
fn parse_baseline(s: &str) -> std::result::Result<u64, String> {
    match s {
        "docker" => Ok(DOCKER_DEFAULT),
        _ => decode::parse_mask(s).map_err(|e| format!("{e}; expected `docker` or a hex capability mask")),
    }
}

/// `--threads`: 1 to [`scan::MAX_THREADS`]. Thousands of threads read no faster, and the
/// process runs out of memory maps while starting them: std then aborts in the new thread, which
/// no error handling can catch.
fn parse_threads(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=scan::MAX_THREADS) => Ok(n),
        Ok(_) => Err(format!("expected 1 to {} threads", scan::MAX_THREADS)),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `captar caps ...`, writing to standard output.
pub fn run(args: CapsArgs, report: &Report) -> Result<Outcome> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match args.command {
        CapsCommand::Decode(a) => decode::run(&decode::DecodeOptions { values: a.values }, report, &mut out),
        CapsCommand::Scan(a) => {
            let defaults = scan::ScanOptions::default();
            let opts = scan::ScanOptions {
                paths: a.paths,
                show_rootid: a.rootid,
                json: a.json,
                one_file_system: a.one_file_system,
                risk: a.risk,
                beyond: a.beyond,
                threads: a.threads.unwrap_or(defaults.threads),
            };
            scan::run(&opts, report, &mut out)
        }
        CapsCommand::Procs(a) => {
            procs::run(&procs::ProcsOptions { pids: a.pids, json: a.json, threads: a.threads }, report, &mut out)
        }
    }
}
