/*!
`captar extract -O` (GNU tar's `--to-stdout`): the data of the selected regular files, one
after the other, on standard output. Nothing is created on disk, so there is no capability to
restore: this reads an archive's files (`captar -xOf backup.tar etc/passwd`), it restores none.
*/

use crate::error::ShowPath;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Outcome, Report, Result};
use crate::extract::{ExtractOptions, SafeName};
use crate::format::{Kind, open_archive};
use crate::list::quote_name;

/// Writes the data of each selected regular file to standard output; `-v` names each selected
/// member on standard error, as GNU tar does when the data has standard output.
pub fn to_stdout(opts: &ExtractOptions, report: &Report) -> Result<Outcome> {
    let (_, mut reader) = open_archive(&opts.archive)?;
    opts.select.prepare(&mut reader)?;
    reader.refuse_empty();
    if let Some(c) = &opts.checkpoints {
        reader.set_checkpoints(c.counter());
    }
    let mut members = super::members_of(opts);
    let mut out = std::io::stdout().lock();
    let mut buf = vec![0u8; 256 << 10];
    while !members.done() {
        let Some(mut entry) = reader.next_reporting(report, None)? else { break };
        let meta = &mut entry.meta;
        let Ok(name) = SafeName::parse(&meta.path) else {
            // As extract: a `..` member is refused, when it was to be written.
            if members.selects(&meta.path, &meta.path) {
                report.error(format!("{}: member name contains '..'; skipped", meta.path.escaped()));
            }
            continue;
        };
        if !members.selects(&name.rel, &meta.path) {
            continue;
        }
        // The name extract would give it (--transform, then --strip-components); one it would
        // refuse is refused here too.
        let archived = meta.path.clone();
        if let Err(why) = SafeName::renamed(&opts.select.transforms, meta) {
            report.error(format!("{}: {why}; skipped", archived.escaped()));
            continue;
        }
        // Too short for --strip-components: not extracted, so not written here either.
        if opts.strip_components > 0 && super::strip(&meta.path, opts.strip_components).is_none() {
            continue;
        }
        if opts.verbose {
            let shown: &Path = if opts.select.transforms.show { &meta.path } else { &archived };
            crate::error::print_stderr(&quote_name(std::os::unix::ffi::OsStrExt::as_bytes(shown.as_os_str())));
        }
        // A hard link's data is its first name's, printed there (as GNU tar).
        if meta.kind != Kind::File {
            continue;
        }
        loop {
            let n = reader.read_data(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| cut_off(e, &meta.path))?;
        }
    }
    out.flush().map_err(|e| cut_off(e, Path::new("the data")))?;
    report.set_total(reader.records_read(opts.record));
    for e in members.not_found("archive") {
        report.error(e);
    }
    Ok(report.outcome())
}

/// A failed write of file data. Unlike a listing's, output cut off by a reader that went away
/// (`| head -c 100`) is an error: the data asked for was not all delivered.
fn cut_off(e: std::io::Error, member: &Path) -> Error {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::entry(
            crate::error::STDOUT,
            format!("closed by its reader before {} was written whole (broken pipe)", member.escaped()),
        ),
        _ => Error::stdout(e),
    }
}
