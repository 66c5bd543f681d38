/*!
The command line: the only code that knows clap. Arguments become a validated options struct of
the operation before any work starts; the operations never see clap.

`dispatch` takes a command line through the others: `tarstyle` rewrites tar's own command
lines into the subcommand form; clap parses them into the definitions in `args` (the top level
and the commands), `args_shared` (the option groups several commands take), `args_write` and
`args_read`, and `usage` words what it refuses; `options` turns the arguments into the
operations' options structs; then the operation runs. `caps` and `man` are the commands of
those names.
*/

mod args;
mod args_read;
mod args_shared;
mod args_write;
pub mod caps;
mod dispatch;
mod man;
mod options;
mod tarstyle;
mod usage;

pub use args::{Cli, Command};
pub use args_read::{CopyArgs, ExtractArgs, ListArgs, ListXattrArgs, TestLabelArgs, VerifyArgs};
pub use args_shared::{NameArgs, SelectArgs, XattrArgs};
pub use args_write::{ConcatArgs, CreateArgs, DeleteArgs};
pub use dispatch::run;
