/*!
Progress on stderr for long runs: shown only when stderr is a terminal and neither `-q` nor
`--json` was given, so scripts and logs never see it. indicatif draws at most a few times a
second, so the counters updated per file cost nothing measurable.
*/

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar, or nothing when progress is not shown.
#[derive(Clone)]
pub struct Progress(Option<ProgressBar>);

/// Whether progress may be drawn: stderr is a terminal and the user did not ask for quiet or
/// machine-readable output.
pub fn wanted(quiet: bool, json: bool) -> bool {
    !quiet && !json && std::io::stderr().is_terminal()
}

impl Progress {
    pub fn hidden() -> Progress {
        Progress(None)
    }

    /// A byte bar: `len` when known (a plain archive's size, a tree's total), else a spinner.
    pub fn bytes(enabled: bool, len: Option<u64>, verb: &str) -> Progress {
        if !enabled {
            return Progress(None);
        }
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if len.is_some() {
            format!("{verb} {{bar:30}} {{bytes}}/{{total_bytes}} {{binary_bytes_per_sec}} ETA {{eta}} {{msg}}")
        } else {
            format!("{verb} {{spinner}} {{bytes}} {{binary_bytes_per_sec}} {{msg}}")
        };
        bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    pub fn bar(&self) -> Option<&ProgressBar> {
        self.0.as_ref()
    }

    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    pub fn set_position(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_position(n);
        }
    }

    pub fn set_length(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_length(n);
        }
    }

    pub fn message(&self, msg: String) {
        if let Some(b) = &self.0 {
            b.set_message(msg);
        }
    }

    /// Removes the bar, leaving the terminal as it was before.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }

    /// Counts, on another thread, the bytes `create` will read, so the bar has a total and an
    /// ETA while the real walk goes on; nothing waits for it. Without `recursive`, only the
    /// roots count (tar's --no-recursion).
    pub fn count_tree(&self, roots: Vec<PathBuf>, one_file_system: bool, recursive: bool) {
        let Some(bar) = self.0.clone() else { return };
        std::thread::spawn(move || {
            let mut total = 0u64;
            let mut files = 0u64;
            for root in roots {
                let walk = walkdir::WalkDir::new(root)
                    .follow_links(false)
                    .follow_root_links(false)
                    .same_file_system(one_file_system)
                    .max_depth(if recursive { usize::MAX } else { 0 });
                for e in walk.into_iter().flatten() {
                    if e.file_type().is_file()
                        && let Ok(md) = e.metadata()
                    {
                        total += md.len();
                        files += 1;
                        if files.is_multiple_of(4096) {
                            bar.set_length(total.max(bar.position()));
                        }
                    }
                }
            }
            bar.set_length(total.max(bar.position()));
        });
    }
}
