/*!
Usage errors as one line, like every other captar error: `captar: WHAT; see \`captar COMMAND
--help\``. clap renders five lines (the error, a tip, the usage, a pointer to --help); the
error and a short tip are kept, on one line, and the pointer names the subcommand that was
being parsed.
*/

use std::ffi::OsString;

/// A tip longer than this is left out: the line must stay readable.
const TIP_MAX: usize = 80;

/// The one-line message (without the `captar: ` prefix) of a clap usage error for `args` (the
/// program name first).
pub fn one_line(e: &clap::Error, args: &[OsString]) -> String {
    let text = e.render().to_string();
    let text = text.trim_start().strip_prefix("error: ").unwrap_or(&text);
    let mut what: Vec<&str> = Vec::new();
    let mut tips: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        match line.strip_prefix("tip: ") {
            Some(tip) => tips.push(tip),
            None if !line.is_empty() => what.push(line),
            None => {}
        }
    }
    // A mistyped first word (not one of `caps scna` or `help bogus`, which clap words well),
    // or one of caps' subcommands: said so, with a like subcommand, never a one-letter alias
    // (clap offered `c` and `d` for `decode`); a word of four letters or more with none is
    // said to be no subcommand, after a tar bundle's unknown letters are looked for.
    let rejected = match e.get(clap::error::ContextKind::InvalidSubcommand) {
        Some(clap::error::ContextValue::String(word)) if e.kind() == clap::error::ErrorKind::InvalidSubcommand => {
            Some(word.as_bytes()).filter(|w| super::tarstyle::first_word_of(args) == Some(*w))
        }
        _ => None,
    };
    if let Some(word) = rejected
        && let Some(instead) = super::tarstyle::mistyped_subcommand(word, None)
    {
        return instead;
    }
    // A dashless tar bundle with a letter captar does not take reads to clap as a subcommand.
    if e.kind() == clap::error::ErrorKind::InvalidSubcommand
        && let Some(word) =
            args.iter().skip(1).map(|a| a.as_encoded_bytes()).find(|a| !matches!(*a, b"-q" | b"--quiet"))
        && let Some(letters) = super::tarstyle::unknown_bundle_letters(word)
    {
        let list: Vec<String> = letters.chars().map(|c| format!("-{c}")).collect();
        return format!(
            "unknown tar option {} in '{}'; see `captar --help`",
            list.join(" "),
            String::from_utf8_lossy(word)
        );
    }
    // No like subcommand: none offered (clap's were one-letter aliases, `r` for `frobnicate`).
    if let Some(word) = rejected.filter(|w| w.len() >= 4 && w.iter().all(u8::is_ascii_alphabetic)) {
        return format!("unrecognized subcommand '{}'; see `captar --help`", String::from_utf8_lossy(word));
    }
    // GNU tar's `--totals=SIGNAL` (totals each time the signal comes): its own refusal, not
    // clap's word for a flag given a value, which reads as the user's typo (found by review).
    if e.kind() == clap::error::ErrorKind::TooManyValues
        && let Some(clap::error::ContextValue::String(arg)) = e.get(clap::error::ContextKind::InvalidArg)
        && arg.split('=').next() == Some("--totals")
    {
        return "GNU tar's --totals=SIGNAL (totals each time the signal comes) is not supported by captar; \
                use --totals, which prints them at the end"
            .to_string();
    }
    // An option of other commands (`--numeric-owner` when listing): named as such, rather
    // than with clap's tip for a file name that starts with a dash.
    if e.kind() == clap::error::ErrorKind::UnknownArgument
        && let Some(clap::error::ContextValue::String(arg)) = e.get(clap::error::ContextKind::InvalidArg)
        && let Some(name) = arg.strip_prefix("--").map(|a| a.split('=').next().unwrap_or(a))
    {
        let cmd = <super::Cli as clap::CommandFactory>::command();
        let mut owners = Vec::new();
        commands_taking(&cmd, name, "", &mut owners);
        // One of the subcommands beneath the one given takes it (`caps --beyond scan`): clap's
        // tip says to give it after that subcommand.
        let beneath = format!("{} ", command_path(args).trim_start_matches("captar").trim_start());
        let misplaced = beneath != " " && owners.iter().any(|o| o.starts_with(&beneath));
        if !owners.is_empty() && !misplaced {
            let path = command_path(args);
            return format!(
                "`{path}` does not take --{name} (an option of {}); leave it out (see `{path} --help`)",
                owners.join(", ")
            );
        }
        // GNU tar's long options captar has nowhere: named as such, rather than with clap's
        // tip for a file name that starts with a dash or a similar option of captar's.
        if super::tarstyle::TAR_LINE_LONGS.contains(&name) {
            let path = command_path(args);
            return format!(
                "`{path}` does not take --{name}, GNU tar's, which tar's own command line takes (`captar -t ... --{name}`); leave it out (see `{path} --help`)"
            );
        }
        if super::tarstyle::GNU_LONGS.contains(&name) {
            return format!(
                "GNU tar's --{name} is not supported by captar; leave it out (see `{} --help`)",
                command_path(args)
            );
        }
    }
    // A short option of other commands (`list -C DIR`): named as such, rather than with clap's
    // tip to pass it as a value, which makes it a member name (found by audit).
    if e.kind() == clap::error::ErrorKind::UnknownArgument
        && let Some(clap::error::ContextValue::String(arg)) = e.get(clap::error::ContextKind::InvalidArg)
        && let [b'-', letter] = arg.as_bytes()
        && letter.is_ascii_alphanumeric()
    {
        let letter = char::from(*letter);
        let mut owners = Vec::new();
        let cmd = <super::Cli as clap::CommandFactory>::command();
        commands_with(&cmd, &|a| a.get_short() == Some(letter), "", &mut owners);
        if !owners.is_empty() {
            let path = command_path(args);
            return format!(
                "`{path}` does not take -{letter} (an option of {}); leave it out (see `{path} --help`)",
                owners.join(", ")
            );
        }
    }
    // An empty argument (`''`, `--file=`): clap says that none was supplied, as for an option
    // given last without its value.
    if let Some(arg) = empty_value_given(e, args) {
        return format!(
            "an empty value was given for '{arg}' (an empty name names no file; `.` is the current directory); see `{} --help`",
            command_path(args)
        );
    }
    let mut msg = what.join(" ");
    if let Some(shorter) = msg.strip_suffix(" found") {
        msg.truncate(shorter.len()); // "unexpected argument '--bogus' found"
    }
    for tip in tips.into_iter().filter(|t| t.len() <= TIP_MAX) {
        msg.push_str("; ");
        msg.push_str(tip);
    }
    msg.push_str(&format!("; see `{} --help`", command_path(args)));
    msg
}

/// The argument clap names when it says that none was supplied for it, where a value was given
/// and is empty: `''` after the option (or as a positional argument), or `--long=`. Not for an
/// option given last without a value, which clap says the same of, nor for one of fixed
/// values (clap's text lists them).
fn empty_value_given<'e>(e: &'e clap::Error, args: &[OsString]) -> Option<&'e str> {
    use clap::error::{ContextKind, ContextValue};
    let fixed = matches!(e.get(ContextKind::ValidValue), Some(ContextValue::Strings(v)) if !v.is_empty());
    if e.kind() != clap::error::ErrorKind::InvalidValue || fixed {
        return None;
    }
    let Some(ContextValue::String(value)) = e.get(ContextKind::InvalidValue) else { return None };
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else { return None };
    if !value.is_empty() {
        return None;
    }
    let given = args.iter().skip(1).map(|a| a.as_encoded_bytes()).collect::<Vec<_>>();
    let Some(long) = arg.strip_prefix("--").map(|a| a.split(' ').next().unwrap_or(a)) else {
        // A positional argument: one given empty.
        return given.contains(&&b""[..]).then_some(arg.as_str());
    };
    let short = parsed_command(args)
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(clap::Arg::get_short)
        .map(|c| format!("-{c}"));
    let names = |a: &[u8]| a == format!("--{long}").as_bytes() || short.as_ref().is_some_and(|s| a == s.as_bytes());
    let with_equals = |a: &[u8]| a.strip_suffix(b"=").is_some_and(names);
    let empty = given.iter().any(|a| with_equals(a)) || given.windows(2).any(|w| names(w[0]) && w[1].is_empty());
    empty.then_some(arg.as_str())
}

/// The subcommands beneath `cmd`, at any depth (`caps scan`), that take `--long`, by their
/// names after `prefix`.
fn commands_taking(cmd: &clap::Command, long: &str, prefix: &str, owners: &mut Vec<String>) {
    commands_with(cmd, &|a| a.get_long() == Some(long), prefix, owners);
}

/// `commands_taking` for the options `takes` picks.
fn commands_with(cmd: &clap::Command, takes: &dyn Fn(&clap::Arg) -> bool, prefix: &str, owners: &mut Vec<String>) {
    for sub in cmd.get_subcommands() {
        let name = format!("{prefix}{}", sub.get_name());
        if sub.get_arguments().any(takes) {
            owners.push(name.clone());
        }
        commands_with(sub, takes, &format!("{name} "), owners);
    }
}

/// The refusal of `option` (`-f`, `--manifest`), each naming the one file a command works on,
/// given more than once (`given`: the values), in either form of the command line.
pub(super) fn given_twice<'a>(option: &str, given: impl Iterator<Item = &'a std::ffi::OsStr>) -> crate::error::Error {
    let names: Vec<_> = given.map(|a| a.to_string_lossy()).collect();
    let what = match option {
        "-f" => {
            "captar works on one archive (GNU tar takes several only with -M, multi-volume, which captar does not have)"
        }
        _ => "verify compares one manifest",
    };
    crate::error::Error::Usage(format!(
        "{option} given {} times ({}): {what}; give {option} once",
        names.len(),
        names.join(", ")
    ))
}

/// `captar SUBCOMMAND...` as far as `args` name subcommands (by name or alias), after the
/// global options.
fn command_path(args: &[OsString]) -> String {
    let mut path = vec!["captar".to_string()];
    walk_subcommands(args, |sub| path.push(sub.get_name().to_string()));
    path.join(" ")
}

/// The (sub)command `args` name, as `command_path` finds it.
fn parsed_command(args: &[OsString]) -> clap::Command {
    let mut cmd = <super::Cli as clap::CommandFactory>::command();
    walk_subcommands(args, |sub| cmd = sub.clone());
    cmd
}

/// Calls `each` with every subcommand `args` name in turn (after the global options).
fn walk_subcommands(args: &[OsString], mut each: impl FnMut(&clap::Command)) {
    let mut cmd = <super::Cli as clap::CommandFactory>::command();
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { break };
        if matches!(arg, "-q" | "--quiet") {
            continue;
        }
        let Some(sub) = cmd.find_subcommand(arg).cloned() else { break };
        each(&sub);
        cmd = sub;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GNU tar's options that captar lacks are named as such, in either form of command line.
    #[test]
    fn gnu_tar_only_options_are_named() {
        assert_eq!(
            error_of("captar list -f a.tar --anchored"),
            "GNU tar's --anchored is not supported by captar; leave it out (see `captar list --help`)"
        );
        let args: Vec<OsString> = ["captar", "-cf", "a.tar", "--tape-length=1024", "x"].map(OsString::from).to_vec();
        let e = crate::cli::run(args).unwrap_err().to_string();
        assert_eq!(e, "GNU tar's --tape-length is not supported by captar; leave it out (see `captar create --help`)");
    }

    fn error_of(line: &str) -> String {
        let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        let e = <super::super::Cli as clap::Parser>::try_parse_from(&args).unwrap_err();
        one_line(&e, &args)
    }

    #[test]
    fn usage_errors_are_one_line() {
        assert_eq!(
            error_of("captar list --bogus"),
            "unexpected argument '--bogus'; to pass '--bogus' as a value, use '-- --bogus'; see `captar list --help`"
        );
        assert_eq!(
            error_of("captar t --fiel x"),
            "unexpected argument '--fiel'; a similar argument exists: '--file'; see `captar list --help`"
        );
        assert_eq!(
            error_of("captar -q list"),
            "the following required arguments were not provided: --file <ARCHIVE>; see `captar list --help`"
        );
        assert_eq!(
            error_of("captar completions foo"),
            "invalid value 'foo' for '<SHELL>' [possible values: bash, elvish, fish, powershell, zsh]; see `captar completions --help`"
        );
        assert_eq!(error_of("captar bogus"), "unrecognized subcommand 'bogus'; see `captar --help`");
        assert_eq!(error_of("captar xYf a.tar"), "unknown tar option -Y in 'xYf'; see `captar --help`");
        assert!(error_of("captar lsit").starts_with("unrecognized subcommand 'lsit'"));
        assert!(error_of("captar frobnicate").starts_with("unrecognized subcommand 'frobnicate'"));
        assert_eq!(
            error_of("captar caps scan --bogus"),
            "unexpected argument '--bogus'; to pass '--bogus' as a value, use '-- --bogus'; see `captar caps scan --help`"
        );
    }

    /// An empty argument is said to be empty (found by review: clap's text says that none was
    /// supplied).
    #[test]
    fn an_empty_value_is_named_as_such() {
        let args: Vec<OsString> = ["captar", "caps", "scan", ""].map(OsString::from).to_vec();
        let e = <super::super::Cli as clap::Parser>::try_parse_from(&args).unwrap_err();
        assert_eq!(
            one_line(&e, &args),
            "an empty value was given for '[PATH]...' (an empty name names no file; `.` is the current directory); see `captar caps scan --help`"
        );
        let args: Vec<OsString> = ["captar", "list", "-f", ""].map(OsString::from).to_vec();
        let e = <super::super::Cli as clap::Parser>::try_parse_from(&args).unwrap_err();
        assert!(one_line(&e, &args).starts_with("an empty value was given for '--file <ARCHIVE>'"));
        // An option given last without its value is not an empty one, also after an argument
        // ending in `=` (found by review); nor is one of fixed values left empty.
        for line in ["captar list -f", "captar list a= -f"] {
            assert_eq!(
                error_of(line),
                "a value is required for '--file <ARCHIVE>' but none was supplied; see `captar list --help`",
                "{line}"
            );
        }
        for (line, empty) in
            [("captar list --file=", true), ("captar list -f=", true), ("captar list -f x= --file", false)]
        {
            assert_eq!(error_of(line).starts_with("an empty value was given"), empty, "{line}");
        }
        assert!(error_of("captar create -f x.tar --sort= .").contains("[possible values: "));
    }

    /// The commands named as taking an option include the `caps` ones (found by review: `caps
    /// decode --json` named list and verify only, `caps procs --risk` too).
    #[test]
    fn the_commands_taking_an_option_include_nested_ones() {
        assert_eq!(
            error_of("captar caps decode --json 5"),
            "`captar caps decode` does not take --json (an option of list, verify, caps scan, caps procs); leave it out (see `captar caps decode --help`)"
        );
        assert_eq!(
            error_of("captar caps procs --risk"),
            "`captar caps procs` does not take --risk (an option of list, verify, caps scan); leave it out (see `captar caps procs --help`)"
        );
        // Given before the subcommand that takes it: clap's tip says where it goes.
        assert_eq!(
            error_of("captar caps --beyond scan ."),
            "unexpected argument '--beyond'; 'scan --beyond' exists; see `captar caps --help`"
        );
        assert_eq!(
            error_of("captar caps procs --one-file-system"),
            "`captar caps procs` does not take --one-file-system (an option of create, append, update, copy, caps scan); leave it out (see `captar caps procs --help`)"
        );
    }
}
