/*!
The top of the command line: the options every command takes and the commands, with the help
and examples `--help` and the man page show. The commands' own arguments are in `args_write`,
`args_read` and `args_shared`.
*/

use clap::{Parser, Subcommand};

use super::caps;
use super::{ConcatArgs, CopyArgs, CreateArgs, DeleteArgs, ExtractArgs, ListArgs, TestLabelArgs, VerifyArgs};

#[derive(Debug, Parser)]
#[command(
    name = "captar",
    version,
    // A flag given twice is the flag, as in tar (`tar -itf a.tar -i`).
    args_override_self = true,
    about = "A tar-compatible archiver that keeps Linux file capabilities",
    after_help = "Examples:
  captar create -f backup.tar.zst /usr/bin        archive with capabilities (zstd from the name)
  captar list --caps -f backup.tar.zst            members and their capabilities
  sudo captar extract -f backup.tar.zst -C /mnt   restore, capabilities included
  captar verify -f backup.tar.zst -C /mnt         prove the restore kept every capability
  captar -czf out.tar.gz DIR; captar -xvf a.tar -C dst; captar -tvf a.tar; captar -df a.tar
  captar caps scan -n /usr                         like getcap -n -r

Exit status: 0 ok; 1 differences (verify) or warnings (files changed while read, xattrs no Linux file can carry); 2 errors."
)]
pub struct Cli {
    /// Print only errors and what the command is for (a listing, verify's differences): no
    /// notes, warnings or progress (the exit code still counts them)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When the work is done, print on stderr the archive bytes written or read (uncompressed;
    /// whole records when reading), as GNU tar's --totals: `Total bytes written: N (SIZE, RATE/s)`
    #[arg(long, global = true)]
    pub totals: bool,
    /// Run the checkpoint actions every N records (10 KiB) of the archive written or read
    /// (default 10), as GNU tar's --checkpoint; `.N` adds the dot action; no progress bar then
    #[arg(long, global = true, value_name = "[.]N", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub checkpoint: Option<String>,
    /// What a checkpoint does, as GNU tar's: dot, bell, echo[=FORMAT], ttyout=FORMAT,
    /// sleep=SECONDS, exec=COMMAND, totals (FORMAT: %s %u %d %T %t %* %c, see the README);
    /// repeatable, run in order; given alone, checkpoints every 10 records
    #[arg(long, global = true, value_name = "ACTION")]
    pub checkpoint_action: Vec<String>,
    /// Silence one kind of warning, as GNU tar's --warning: no-KEYWORD silences it, KEYWORD
    /// brings it back, none/all for every kind; repeatable, taken in order. captar's kinds:
    /// file-changed, file-shrank, file-removed, failed-read, cachedir, ignore-archive,
    /// file-ignored, ignore-newer, rename-directory, timestamp, xdev, alone-zero-block (GNU
    /// tar's other keywords are accepted).
    /// A silenced warning
    /// still counts in the exit status
    #[arg(long, global = true, value_name = "KEYWORD")]
    pub warning: Vec<String>,
    /// Records of N blocks of 512 bytes, as GNU tar's -b: an archive written ends on a whole
    /// record (20 by default: 10 KiB); --totals and --checkpoint count records of this size
    #[arg(short = 'b', long, global = true, value_name = "N", overrides_with = "record_size")]
    pub blocking_factor: Option<String>,
    /// Records of SIZE bytes, a multiple of 512 (suffixes b, k, M, G), as GNU tar's
    /// --record-size; -b N is --record-size=N*512
    #[arg(long, global = true, value_name = "SIZE", overrides_with = "blocking_factor")]
    pub record_size: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a pax archive; file capabilities are captured by default
    #[command(
        visible_alias = "c",
        after_help = "Examples:
  captar create -f backup.tar.zst /usr/bin       capabilities captured; zstd from the name
  captar create -f root.tar -C /srv/root .       the contents of /srv/root
  captar create --zstd --level 9 -f - /opt       to standard output
  captar create --xattrs -f all.tar /data        every xattr, not only capabilities
  find /opt -newer stamp -print0 | captar create --no-recursion --null -T - -f new.tar"
    )]
    Create(CreateArgs),
    /// Add members to the end of an uncompressed archive, like tar -r (made when missing)
    #[command(
        visible_alias = "r",
        after_help = "Takes create's options, but the archive must be an uncompressed file: not -f -, and no
compression option or --level.

Examples:
  captar append -f backup.tar /usr/local/bin/tool     added after the archive's members
  captar -rf backup.tar -C /srv new.conf              tar's own command line",
        mut_arg("file", adding_to),
        mut_args(hidden_when_adding)
    )]
    Append(CreateArgs),
    /// Add what an uncompressed archive lacks, or holds an older copy of (or with another capability), like tar -u
    #[command(
        after_help = "Takes create's options, but the archive must be an uncompressed file: not -f -, and no
compression option or --level. A file is added when the archive holds no member of its name, or
only ones with an older modification time.

Examples:
  captar update -f backup.tar /etc                  what changed in /etc since it was archived
  captar -uf backup.tar /etc                        tar's own command line",
        mut_arg("file", adding_to),
        mut_args(hidden_when_adding)
    )]
    Update(CreateArgs),
    /// Add the members of other archives to the end of an uncompressed archive, as they are,
    /// like tar -A (made when missing)
    #[command(
        visible_alias = "catenate",
        after_help = "Examples:
  captar concatenate -f all.tar part1.tar part2.tar   part1's then part2's members after all.tar's
  captar -Af all.tar more.tar                         tar's own command line"
    )]
    Concatenate(ConcatArgs),
    /// Take members out of an uncompressed archive, like tar --delete (a new archive is
    /// written beside it and renamed over it)
    #[command(after_help = "Examples:
  captar delete -f backup.tar etc/shadow             that member, every copy of it
  captar delete -f backup.tar --wildcards '*.log'    members the glob matches
  captar --delete -f backup.tar tmp                  tar's own command line: tmp and beneath")]
    Delete(DeleteArgs),
    /// List an archive's members, like tar -t / tar -tv
    #[command(
        visible_alias = "t",
        after_help = "Examples:
  captar list -v -f backup.tar                   like tar -tv
  captar list --caps -f backup.tar usr/bin       capabilities in getcap's text, under usr/bin
  captar list --json --risk -f backup.tar        one JSON object per member, with risk classes
  captar list -f backup.tar --exclude='*.gz'     all but what the pattern matches"
    )]
    List(ListArgs),
    /// Print an archive's volume label, or test it against LABELs, like tar --test-label
    #[command(
        name = "test-label",
        after_help = "Reads only the archive's first header. With no LABEL, prints the label (nothing when there is
none) and exits 0. With LABELs, exits 0 when the label is one of them, else 1 (silently, for
scripts; -v prints the label and says it does not match), as GNU tar's --test-label.

Examples:
  captar test-label -f backup.tar                    the label, if any
  captar test-label -f backup.tar 'Weekly 48'        exit 0 if that is the label
  captar test-label --wildcards -f backup.tar 'Weekly*'
  captar --test-label -f backup.tar                  tar's own command line"
    )]
    TestLabel(TestLabelArgs),
    /// Extract an archive; capabilities are restored by default, and a capability that cannot
    /// be restored is an error
    #[command(
        visible_alias = "x",
        after_help = "Examples:
  sudo captar extract -f backup.tar -C /mnt/root       capabilities restored
  captar extract -f backup.tar.zst -C out usr/bin/ping only some members
  captar extract --keep-going -f backup.tar -C out     go on, list what was not restored
  captar extract --cap-rootid host -f rootless.tar     namespaced (v3) capabilities as v2
  captar extract -O -f backup.tar etc/passwd           a file's data to standard output"
    )]
    Extract(ExtractArgs),
    /// Compare capabilities (and with --all, all metadata) between an archive or a getcap
    /// manifest and the filesystem; exit 1 when anything differs
    #[command(
        visible_alias = "d",
        visible_alias = "diff",
        visible_alias = "compare",
        after_help = "Examples:
  captar verify -f backup.tar.zst -C /           capabilities against the live system
  captar verify --all -f backup.tar -C /mnt      type, mode, owner, contents and xattrs too
  captar verify --manifest caps.txt -C /restored --extra --json   against a `getcap -r` record"
    )]
    Verify(VerifyArgs),
    /// Copy a tree to another place or filesystem with capabilities, owners and links, then
    /// verify the copy (`tar -C SRC -cf - . | tar -C DST -xf -` in one step)
    #[command(after_help = "Examples:
  sudo captar copy /srv/old-root /mnt/new-root             capabilities, owners, links; verified
  sudo captar copy --xattrs --one-file-system / /mnt/xfs   every xattr, one filesystem
  captar copy --no-verify --exclude '*.o' src dst")]
    Copy(CopyArgs),
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:
  captar completions bash > /etc/bash_completion.d/captar
  captar completions zsh > \"${fpath[1]}/_captar\"")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): every command and option, generated from these definitions
    #[command(after_help = "Examples:
  captar man > /usr/local/share/man/man1/captar.1
  captar man | man -l -")]
    Man,
    /// Decode capabilities, scan files for them (with --risk, --beyond) and list processes' (capsh --decode, getcap -r, pscap)
    #[command(after_help = "Examples:
  captar caps decode 00000000a80425fb            like capsh --decode
  captar caps scan -n /usr                       like getcap -n -r
  captar caps procs                              like pscap -a")]
    Caps(caps::CapsArgs),
}

/// `-f` of append and update: an archive file to add to (`-` is refused).
fn adding_to(arg: clap::Arg) -> clap::Arg {
    arg.help("Archive to add to: an uncompressed archive file (not -)")
}

/// create's options that append and update refuse (compression, a volume label, `-g`): left
/// out of their help, which listed them (found by review).
fn hidden_when_adding(arg: clap::Arg) -> clap::Arg {
    const REFUSED: [&str; 13] = [
        "gzip",
        "zstd",
        "xz",
        "bzip2",
        "lzma",
        "lzip",
        "level",
        "compression_level",
        "label",
        "listed_incremental",
        "dump_level",
        "no_check_device",
        "check_device",
    ];
    let refused = REFUSED.contains(&arg.get_id().as_str());
    arg.hide(refused)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// A flag given twice is the flag, as in tar; repeatable options keep every value.
    #[test]
    fn flags_may_be_repeated() {
        let cli =
            super::Cli::try_parse_from("captar list -i -v -i --utc --utc --exclude a --exclude b -f x.tar".split(' '))
                .unwrap();
        let super::Command::List(list) = cli.command else { panic!("not list") };
        assert!(list.select.ignore_zeros && list.verbose > 0 && list.utc);
        assert_eq!(list.select.names.exclude, ["a", "b"]);
    }

    /// The README's aliases, as tar's letters: c, r, t, x, d (and diff, compare, catenate).
    #[test]
    fn tar_letters_are_aliases() {
        let parse = |line: &str| super::Cli::try_parse_from(line.split(' ')).unwrap().command;
        assert!(matches!(parse("captar c -f a.tar x"), super::Command::Create(_)));
        assert!(matches!(parse("captar r -f a.tar x"), super::Command::Append(_)));
        assert!(matches!(parse("captar t -f a.tar"), super::Command::List(_)));
        assert!(matches!(parse("captar x -f a.tar"), super::Command::Extract(_)));
        assert!(matches!(parse("captar d -f a.tar"), super::Command::Verify(_)));
        assert!(matches!(parse("captar catenate -f a.tar b.tar"), super::Command::Concatenate(_)));
    }
}
