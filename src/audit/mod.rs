/*!
Capability audits, the operations behind `captar caps`: decode masks and raw values like
`capsh --decode`, find capped files like `getcap -r` (faster: in parallel, one getxattr per regular
file), and list processes holding capabilities like `pscap -a`.

Each operation takes a plain options struct (the CLI builds it; nothing here knows clap), writes
its report to the writer it is given, and returns the run's outcome: a problem with one argument,
file or process is printed on stderr and counted (exit 2 at the end), and the run goes on.
*/

use std::io;

use crate::error::Error;

pub mod decode;
pub mod procs;
pub mod scan;
mod walk;

/// A failed write of the report (a closed pipe among them, which the binary treats as success).
fn write_error(e: io::Error) -> Error {
    Error::stdout(e)
}

use crate::list::hex;
