/*!
Running a command: the global options read, the command's options made (the smaller commands'
here) and its operation called, then --totals. Create, append and update share the writing and
-W's read-back of what was written.
*/

use crate::error::ShowPath;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::options::{is_root, record_size};
use super::{Cli, Command, CreateArgs, caps, man, tarstyle, usage};
use crate::copy::CopyOptions;
use crate::create::{CreateOptions, Target};
use crate::error::{Error, Outcome, Report, Result};
use crate::extract::RootidPolicy;
use crate::format::compress::Compression;
use crate::list::ListOptions;
use crate::select::{Excludes, Selection};
use crate::verify::{Source, VerifyOptions};

fn write_stdout(text: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text).and_then(|()| out.flush()).map_err(crate::error::Error::stdout)
}

/// The global options of the archive's bytes and records (as tar's, they may come anywhere on the
/// command line), of no use to `caps`, which reads and writes no archive.
const ARCHIVE_ONLY: [&str; 5] = ["totals", "checkpoint", "checkpoint_action", "blocking_factor", "record_size"];

/// Of `ARCHIVE_ONLY`, what `copy` has no use for: its archive is a pipe of its own, with no
/// records to count or size (`--totals` counts what it reads).
const NOT_FOR_COPY: [&str; 4] = ["checkpoint", "checkpoint_action", "blocking_factor", "record_size"];

/// The command line's definition, with `ARCHIVE_ONLY` left out of `caps`' help and
/// `NOT_FOR_COPY` out of `copy`'s: they were listed there, and taken to no effect (`caps scan
/// --checkpoint`, `copy -b 1`); now they are a usage error there (`refuse_archive_only`).
/// Those commands get hidden copies of them, which clap passes on to their subcommands in
/// place of the top level's (mutating them once built breaks clap's lookup).
pub(super) fn cli_command() -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    let hidden = ["caps", "copy"].map(|name| {
        let ids = refused_by(name);
        let args: Vec<clap::Arg> =
            cmd.get_arguments().filter(|a| ids.contains(&a.get_id().as_str())).map(|a| a.clone().hide(true)).collect();
        (name, args)
    });
    let cmd = hidden
        .into_iter()
        .fold(cmd, |cmd, (name, args)| cmd.mut_subcommand(name, |sc| args.into_iter().fold(sc, |c, a| c.arg(a))));
    // Each given -f and --manifest is kept, not only the last (`args_override_self`), so that
    // `refuse_repeated` can refuse a second one.
    let names: Vec<String> = cmd.get_subcommands().map(|sc| sc.get_name().to_string()).collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sc| {
            let ids: Vec<String> = sc
                .get_arguments()
                .map(|a| a.get_id().to_string())
                .filter(|id| REFUSED_TWICE.contains(&id.as_str()))
                .collect();
            ids.iter().fold(sc, |sc, id| sc.mut_arg(id, |a| a.action(clap::ArgAction::Append)))
        })
    })
}

/// The options given once at most: each names the one file the command works on, so that a
/// second one taken in its place (clap's `args_override_self`, which makes the last win) would
/// act on the other file without a word (found by audit: `delete -f e1.tar -f e2.tar` deleted
/// from e2.tar alone, exit 0).
const REFUSED_TWICE: [&str; 2] = ["file", "manifest"];

/// Refuses `REFUSED_TWICE` options given more than once, as the tar-style form refuses `-f`
/// twice and GNU tar refuses it without -M.
fn refuse_repeated(matches: &clap::ArgMatches) -> Result<()> {
    let Some((_, sub)) = matches.subcommand() else { return Ok(()) };
    for id in REFUSED_TWICE {
        let given: Vec<&OsStr> = match sub.try_get_raw(id) {
            Ok(Some(values)) => values.collect(),
            _ => continue,
        };
        if given.len() > 1 {
            let option = if id == "file" { "-f" } else { "--manifest" };
            return Err(usage::given_twice(option, given.into_iter()));
        }
    }
    Ok(())
}

/// The `ARCHIVE_ONLY` options the command `name` refuses (`refuse_archive_only`): all of them
/// for `caps`, `NOT_FOR_COPY` for `copy`, none for the others.
fn refused_by(name: &str) -> &'static [&'static str] {
    match name {
        "caps" => &ARCHIVE_ONLY,
        "copy" => &NOT_FOR_COPY,
        _ => &[],
    }
}

/// The command line's definition for shell completions: `ARCHIVE_ONLY` made local, and given
/// to each command that takes them (all of them to the archive commands, `--totals` alone to
/// `copy`, none to `caps`, `completions` and `man`). clap_complete offers hidden options as
/// well, so `cli_command`'s hidden copies would still be offered where they are refused.
fn completion_command() -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    let archive: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| ARCHIVE_ONLY.contains(&a.get_id().as_str()))
        .map(|a| a.clone().global(false))
        .collect();
    let names: Vec<String> = cmd.get_subcommands().map(|sc| sc.get_name().to_string()).collect();
    let cmd = ARCHIVE_ONLY.iter().fold(cmd, |c, id| c.mut_arg(*id, |a| a.global(false)));
    names.into_iter().fold(cmd, |cmd, name| {
        let takes = |id: &str| match name.as_str() {
            "completions" | "man" => false,
            name => !refused_by(name).contains(&id),
        };
        let args: Vec<clap::Arg> = archive.iter().filter(|a| takes(a.get_id().as_str())).cloned().collect();
        cmd.mut_subcommand(name, |sc| args.into_iter().fold(sc, |c, a| c.arg(a)))
    })
}

/// A usage error for an `ARCHIVE_ONLY` option given to `caps`, or to `verify --manifest`, which
/// reads a getcap listing, not an archive, or a `NOT_FOR_COPY` one to `copy` (all took them
/// to no effect).
fn refuse_archive_only(command: &Command, matches: &clap::ArgMatches) -> Result<()> {
    let (who, reads, ids): (_, _, &[&str]) = match command {
        Command::Caps(_) => ("caps", "caps reads and writes none", refused_by("caps")),
        Command::Verify(v) if v.manifest.is_some() => ("verify --manifest", "a manifest is none", &ARCHIVE_ONLY),
        Command::Copy(_) => ("copy", "copy's is a pipe between its two halves", refused_by("copy")),
        _ => return Ok(()),
    };
    let given = ids.iter().find(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine));
    match given {
        Some(id) => {
            let option = match *id {
                "blocking_factor" => "-b/--blocking-factor".to_string(),
                id => format!("--{}", id.replace('_', "-")),
            };
            Err(Error::Usage(format!("{who}: {option} is for the commands that read or write an archive; {reads}")))
        }
        None => Ok(()),
    }
}

/// Parses `args` (with the program name first) and runs the command.
pub fn run(args: Vec<OsString>) -> Result<Outcome> {
    // GNU tar's TAR_OPTIONS, in tar's own command lines (the subcommand form is captar's).
    let tar_style = tarstyle::is_tar_style(&args);
    let tar_options = match tar_style {
        true => tarstyle::tar_options(std::env::var_os("TAR_OPTIONS").as_deref())?,
        false => None,
    };
    // The word a failed tar-style line may have meant as a subcommand (`in_tar_options`).
    let first: Option<Vec<u8>> = tar_style.then(|| tarstyle::first_word_of(&args).map(<[u8]>::to_vec)).flatten();
    let in_tar_options = |e: Error| match (&tar_options, e) {
        (Some(_), Error::Usage(m)) => Error::Usage(format!(
            "{m} (TAR_OPTIONS is set, {:?}: its options are read first, as GNU tar reads them)",
            std::env::var_os("TAR_OPTIONS").unwrap_or_default()
        )),
        // A mistyped subcommand read as a tar bundle: said as such.
        (_, Error::Usage(m)) if tar_style => {
            match first.as_deref().and_then(|word| tarstyle::mistyped_subcommand(word, Some(&m))) {
                Some(instead) => Error::Usage(instead),
                None => Error::Usage(m),
            }
        }
        (_, e) => e,
    };
    let args = match &tar_options {
        Some(words) => tarstyle::rewrite(&tarstyle::with_tar_options(&args, words.clone())).map_err(in_tar_options)?,
        None if tar_style => tarstyle::rewrite(&args).map_err(in_tar_options)?,
        None => args,
    };
    let matches = cli_command().try_get_matches_from(&args);
    if let Ok(m) = &matches {
        refuse_repeated(m)?;
    }
    let parsed = matches.and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m).map(|cli| (cli, m)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        // Help and version go to standard output, where a failed write is an error.
        Err(e) if !e.use_stderr() => {
            write_stdout(e.render().to_string().as_bytes())?;
            return Ok(Outcome::Ok);
        }
        // `captar` or `captar caps` alone: the help, on stderr, exit 2.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return Ok(Outcome::Errors);
        }
        Err(e) => return Err(in_tar_options(crate::error::Error::Usage(usage::one_line(&e, &args)))),
    };
    refuse_archive_only(&cli.command, &matches)?;
    // GNU tar's `-d` prints nothing when nothing differs, and scripts take any output for a
    // difference (found by audit); with -v, whose names end in the summary, it is said. Not an
    // option of its own: a hidden one was offered by completions and taken as an abbreviation
    // (found by review).
    if tar_style && let Command::Verify(v) = &mut cli.command {
        v.summary_on_difference = !v.verbose;
    }
    let silenced = crate::error::silenced_warnings(&cli.warning).map_err(Error::Usage)?;
    let report = Report::with_quiet(cli.quiet).with_silenced(silenced);
    let record = record_size(cli.blocking_factor.as_deref(), cli.record_size.as_deref()).map_err(Error::Usage)?;
    let spec =
        crate::checkpoint::Spec::parse(cli.checkpoint.as_deref(), &cli.checkpoint_action).map_err(Error::Usage)?;
    // The checkpoint actions are the progress shown (both would write to the terminal).
    let progress = crate::progress::wanted(cli.quiet, false) && spec.is_none();
    let started = std::time::Instant::now();
    let verb = if matches!(
        cli.command,
        Command::Create(_) | Command::Append(_) | Command::Update(_) | Command::Concatenate(_) | Command::Delete(_)
    ) {
        "written"
    } else {
        "read"
    };
    let outcome = command(cli.command, &matches, &report, progress, spec.as_ref(), record)?;
    if cli.totals
        && let Some(bytes) = report.total()
    {
        crate::error::print_stderr(&totals_line(verb, bytes, started.elapsed().as_secs_f64()));
    }
    Ok(outcome)
}

/// GNU tar's --totals line: `Total bytes read: 10240 (10KiB, 9.8MiB/s)`.
fn totals_line(verb: &str, bytes: u64, seconds: f64) -> String {
    format!("Total bytes {verb}: {}", crate::checkpoint::stats(bytes, seconds))
}

/// `append` (tar's -r) and `update` (tar's -u): members added to an uncompressed archive file.
fn add_to(
    a: CreateArgs,
    matches: &clap::ArgMatches,
    report: &Report,
    progress: bool,
    name: &str,
    checkpoints: Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    record: u64,
) -> Result<Outcome> {
    let matches = matches.subcommand_matches(name).expect("the subcommand was parsed");
    let file = a.file.clone();
    let a_verify = a.verify;
    let compress = a.compression_option().is_some() || a.level.is_some();
    if a.label.is_some() {
        return Err(Error::Usage(format!(
            "{name}: --label writes a volume label at the start of a new archive; use it with create"
        )));
    }
    // What the archive holds decides, not its name (`a.tar.Z` may be plain): no compression
    // is taken from the name (found by review: `.Z`, `.lz4` refused a plain archive).
    let mut a = a;
    a.no_auto_compress = true;
    if file.as_os_str() == "-" {
        return Err(Error::Usage(format!("{name}: -f - cannot be added to; name the archive file")));
    }
    // Before create's own checks: `--level` alone was told to add -z, which this refuses
    // (found by review).
    if compress {
        return Err(Error::Usage(format!(
            "{name} adds to uncompressed archives only (nor can GNU tar add to a compressed one); leave out the compression options and --level"
        )));
    }
    let mut opts = a.options(progress, matches)?;
    // Nothing to add: the archive is left as it is (as tar -r), or made empty when missing (as
    // GNU tar makes it).
    if opts.paths.is_empty() && !opts.empty_ok {
        if file.exists() {
            return Ok(Outcome::Ok);
        }
        opts.empty_ok = true;
    }
    // What the archive holds decides, not its name (`a.tgz` may be plain).
    opts.compression = Compression::None;
    opts.target = Target::Append(file.clone());
    opts.update = name == "update";
    opts.checkpoints = checkpoints;
    opts.record = record;
    write_and_verify(&opts, &file, a_verify, progress, report)
}

/// `create` (append, update) with `opts`; with `verify` (`-W`), the archive `file` is then read
/// back and compared with the files.
fn write_and_verify(
    opts: &CreateOptions,
    file: &Path,
    verify: bool,
    progress: bool,
    report: &Report,
) -> Result<Outcome> {
    let root = if verify { Some(verify_root(opts, file)?) } else { None };
    let written = crate::create::create(opts, report)?;
    match root {
        Some(root) => Ok(written.max(verify_written(file, root, opts, progress, report)?)),
        None => Ok(written),
    }
}

/// With `--verify` (`-W`): the one directory the members' names are relative to, checked
/// before anything is written; an archive whose members cannot be compared with the files
/// they came from by one `verify` is refused.
fn verify_root(opts: &CreateOptions, file: &Path) -> Result<PathBuf> {
    let refuse = |why: &str| Err(Error::Usage(format!("--verify (-W): {why}")));
    if file.as_os_str() == "-" {
        return refuse("the archive goes to standard output and cannot be read back; name an archive file");
    }
    // A device, a pipe (/dev/stdout), a FIFO: what is read back would not be the archive.
    if std::fs::metadata(file).is_ok_and(|md| !md.is_file()) {
        return refuse(&format!(
            "{} is not a regular file and cannot be read back; name an archive file",
            file.escaped()
        ));
    }
    if opts.remove_files {
        return refuse("--remove-files removes the files it would compare with");
    }
    if !opts.transforms.is_empty() {
        return refuse("--transform renames members away from the files' names; leave one out");
    }
    let mut roots = opts.paths.iter().map(crate::create::Named::member_root);
    let root = roots.next().unwrap_or_else(|| PathBuf::from("."));
    if let Some(other) = roots.find(|r| *r != root) {
        return refuse(&format!(
            "members come from more than one directory ({} and {}); verify each part with `captar verify --all -C DIR -f ARCHIVE`",
            root.escaped(),
            other.escaped()
        ));
    }
    Ok(root)
}

/// `--verify`: the archive just written, compared with the files under `root` as `verify --all`
/// compares them; nothing is printed when nothing differs (GNU tar's -W).
fn verify_written(
    archive: &Path,
    root: PathBuf,
    opts: &CreateOptions,
    progress: bool,
    report: &Report,
) -> Result<Outcome> {
    let (record, name_members) = (opts.record, opts.verbose.then_some("Verify "));
    let opts = VerifyOptions {
        source: Source::Archive(archive.to_path_buf()),
        directory: Some(root),
        select: Selection::all(),
        all: true,
        json: false,
        extra: false,
        risk: false,
        progress,
        rootid: RootidPolicy::Keep,
        summary_on_pass: false,
        // A named path may go through a symlink to a directory (`bin/true`, /bin being one).
        keep_directory_symlink: true,
        // With -h the archive holds what symlinks lead to (found by audit: -chW was refused,
        // advising a verify that found each symlink a type difference).
        dereference: opts.dereference,
        strip_components: 0,
        top_level: None,
        checkpoints: None,
        record,
        name_members,
        owners: true,
        // The archive was just made from these files: their ids are in it exactly.
        numeric_owner: true,
        xattrs: None,
    };
    crate::verify::verify(&opts, report)
}

/// The checkpoints of a run (`--checkpoint`), if asked for: `subcommand` is GNU tar's letter
/// (for `exec`'s TAR_SUBCOMMAND); dots go to stderr when stdout carries the archive, data or JSON.
fn checkpoints(
    spec: Option<&crate::checkpoint::Spec>,
    operation: crate::checkpoint::Operation,
    archive: &Path,
    subcommand: &'static str,
    stdout_taken: bool,
    record: u64,
) -> Option<std::sync::Arc<crate::checkpoint::Checkpoints>> {
    let spec = spec?.clone();
    let cp = crate::checkpoint::Checkpoints::new(spec, operation, archive.to_path_buf(), subcommand, stdout_taken)
        .with_record(record);
    Some(std::sync::Arc::new(cp))
}

fn command(
    command: Command,
    matches: &clap::ArgMatches,
    report: &Report,
    progress: bool,
    spec: Option<&crate::checkpoint::Spec>,
    record: u64,
) -> Result<Outcome> {
    use crate::checkpoint::Operation::{Read, Write};
    let checkpoints = |operation, archive: &Path, subcommand, stdout_taken| {
        checkpoints(spec, operation, archive, subcommand, stdout_taken, record)
    };
    match command {
        Command::Create(a) => {
            let matches = matches.subcommand_matches("create").expect("the create subcommand was parsed");
            let cp = checkpoints(Write, &a.file, "-c", a.file.as_os_str() == "-");
            let (file, verify) = (a.file.clone(), a.verify);
            let mut opts = a.options(progress, matches)?;
            opts.checkpoints = cp;
            opts.record = record;
            write_and_verify(&opts, &file, verify, progress, report)
        }
        Command::Append(a) => {
            let cp = checkpoints(Write, &a.file, "-r", false);
            add_to(a, matches, report, progress, "append", cp, record)
        }
        Command::Update(a) => {
            let cp = checkpoints(Write, &a.file, "-u", false);
            add_to(a, matches, report, progress, "update", cp, record)
        }
        Command::Concatenate(a) => {
            if a.file.as_os_str() == "-" {
                return Err(Error::Usage("concatenate: -f - cannot be added to; name the archive file".into()));
            }
            crate::create::concatenate(&a.file, &a.archives, a.ignore_zeros, record, report)
        }
        Command::Delete(a) => {
            if a.file.as_os_str() == "-" {
                return Err(Error::Usage("delete: -f - cannot be changed; name the archive file".into()));
            }
            let opts = crate::delete::DeleteOptions {
                select: a.select.selection(&a.file)?,
                archive: a.file,
                verbose: a.verbose,
                record,
            };
            crate::delete::delete(&opts, report)
        }
        Command::List(a) => crate::list::list(
            &ListOptions {
                select: a.select.selection(&a.file)?,
                checkpoints: checkpoints(Read, &a.file, "-t", a.json),
                record,
                archive: a.file,
                verbose: a.verbose > 0,
                extended: a.shown.extended(a.verbose)?,
                caps: a.caps,
                json: a.json,
                risk: a.risk,
                full_time: a.full_time,
                utc: a.utc,
                numeric_owner: a.numeric_owner,
                absolute_names: a.absolute_names,
                dumpdirs: (a.incremental || a.listed_incremental.is_some()) && a.verbose > 1,
            },
            report,
        ),
        Command::TestLabel(a) => crate::list::test_label(&crate::list::TestLabelOptions {
            archive: a.file,
            verbose: a.verbose,
            wildcards: a.wildcards,
            full_time: a.full_time,
            utc: a.utc,
            labels: a.labels,
        }),
        Command::Extract(a) => {
            let cp = checkpoints(Read, &a.file, "-x", a.to_stdout);
            let matches = matches.subcommand_matches("extract").expect("the extract subcommand was parsed");
            let mut opts = a.options(progress, matches)?;
            opts.checkpoints = cp;
            opts.record = record;
            crate::extract::extract(&opts, report)
        }
        Command::Verify(a) => {
            let (source, input) = match (a.file, a.manifest) {
                (Some(f), _) => (Source::Archive(f.clone()), f),
                (None, Some(m)) => (Source::Manifest(m.clone()), m),
                (None, None) => unreachable!("clap requires one"),
            };
            if matches!(source, Source::Manifest(_)) && a.select.label.is_some() {
                return Err(Error::Usage("--label checks an archive's volume label; a manifest has none".into()));
            }
            if matches!(source, Source::Manifest(_)) && a.select.occurrence.is_some() {
                return Err(Error::Usage(
                    "--occurrence picks among an archive's members of one name; a manifest names each path once".into(),
                ));
            }
            if matches!(source, Source::Manifest(_)) && a.dereference {
                return Err(Error::Usage(
                    "--dereference follows the symlinks an archive made with create --dereference went through; a manifest names files, as getcap -r lists them without following one".into(),
                ));
            }
            if matches!(source, Source::Manifest(_)) && a.one_top_level.is_some() {
                return Err(Error::Usage(
                    "--one-top-level moves an archive's members; a manifest's paths are looked for beneath -C DIR, so name DIR/TOP there".into(),
                ));
            }
            let top_level =
                a.one_top_level.as_deref().map(|d| super::options::top_level(Path::new(d), &input)).transpose()?;
            let opts = VerifyOptions {
                source,
                directory: super::options::reading_directory(
                    a.directory,
                    matches.subcommand_matches("verify").expect("the verify subcommand was parsed"),
                )?,
                select: a.select.selection(&input)?,
                all: a.all,
                json: a.json,
                extra: a.extra,
                risk: a.risk,
                progress: progress && !a.json,
                rootid: a.cap_rootid,
                summary_on_pass: !a.summary_on_difference,
                keep_directory_symlink: a.keep_directory_symlink,
                dereference: a.dereference,
                strip_components: a.strip_components,
                top_level,
                checkpoints: checkpoints(Read, &input, "-d", a.json),
                record,
                name_members: a.verbose.then_some(""),
                owners: true,
                numeric_owner: a.numeric_owner,
                xattrs: a.xattrs.policy()?.map(std::sync::Arc::new),
            };
            // Refused before any file is compared (found by audit: the differences were
            // printed, then this error, without the summary).
            if matches!(opts.source, Source::Manifest(_))
                && opts.extra
                && opts.directory.is_none()
                && opts.select.members.is_empty()
            {
                return Err(Error::Usage(crate::verify::EXTRA_NOWHERE.into()));
            }
            if matches!(opts.source, Source::Manifest(_)) && !opts.select.transforms.is_empty() {
                return Err(Error::Usage(
                    "--transform renames archive members; a manifest names files on disk: leave it out".into(),
                ));
            }
            crate::verify::verify(&opts, report)
        }
        Command::Caps(args) => caps::run(args, report),
        Command::Copy(a) => {
            let opts = CopyOptions {
                xattrs: a.xattrs.policy(None)?,
                note_uncaptured: !a.xattrs.declined(),
                excludes: Excludes::new(&crate::copy::anchored_excludes(&a.src, &a.exclude))?,
                src: a.src,
                dst: a.dst,
                one_file_system: a.one_file_system,
                same_owner: !a.no_same_owner && is_root(),
                numeric_owner: a.numeric_owner,
                keep_going: a.keep_going,
                rootid: a.cap_rootid,
                verify: !a.no_verify,
                verbose: a.verbose,
                progress,
            };
            crate::copy::copy(&opts, report)
        }
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a failed write.
            let mut cmd = completion_command();
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cmd, "captar", &mut text);
            write_stdout(&text)?;
            Ok(Outcome::Ok)
        }
        Command::Man => {
            let text = man::page(cli_command()).map_err(Error::stdout)?;
            write_stdout(&text)?;
            Ok(Outcome::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_as_gnu_tar_writes_them() {
        assert_eq!(
            super::totals_line("written", 10240, 10240.0 / (9.75 * 1048576.0)),
            "Total bytes written: 10240 (10KiB, 9.8MiB/s)"
        );
        assert_eq!(
            super::totals_line("read", 121047040, 121047040.0 / (72.3 * 1048576.0)),
            "Total bytes read: 121047040 (116MiB, 73MiB/s)"
        );
        assert_eq!(super::totals_line("read", 512, 0.0), "Total bytes read: 512 (512B, ?/s)");
        assert_eq!(super::totals_line("read", 1048575, 1.0), "Total bytes read: 1048575 (1.0MiB, 1.0MiB/s)");
    }
}
