/*!
Progress on stderr for long runs: shown only when stderr is a terminal and neither `-q` nor
`--json` was given, so scripts and logs never see it. indicatif draws at most a few times a
second, so the counters updated per file cost nothing measurable.
*/

use std::ffi::CString;
use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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

    /// Follows `position` (the archive's bytes read so far) on another thread until the bar
    /// is finished or gone, so that it moves while one large member is read, not only from one
    /// member to the next (found by review: it stood still through a member of gigabytes).
    pub fn follow(&self, position: Arc<std::sync::atomic::AtomicU64>) {
        let Some(bar) = &self.0 else { return };
        let weak = bar.downgrade();
        // Without a thread to spare (the process limit), the bar moves from member to member.
        let _ = std::thread::Builder::new().spawn(move || {
            while let Some(bar) = weak.upgrade().filter(|b| !b.is_finished()) {
                bar.set_position(position.load(std::sync::atomic::Ordering::Relaxed));
                drop(bar);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
    }

    /// Removes the bar, leaving the terminal as it was before.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }

    /// Counts, on another thread, the bytes `create` will read, so the bar has a total and an
    /// ETA while the real walk goes on; nothing waits for it. Without `recursive`, only the
    /// roots count (tar's --no-recursion). Directories are read as create reads them, with
    /// O_NOATIME where allowed, so counting leaves access times alone too.
    pub fn count_tree(&self, roots: Vec<PathBuf>, one_file_system: bool, recursive: bool) {
        let Some(bar) = self.0.clone() else { return };
        // Without a thread to spare (the process limit), the bar has no total.
        let _ = std::thread::Builder::new().spawn(move || {
            let mut count = Count { total: 0, files: 0, bar };
            for root in roots {
                count.root(&root, one_file_system, recursive);
            }
            count.bar.set_length(count.total.max(count.bar.position()));
        });
    }
}

/// `Progress::count_tree`'s walk.
struct Count {
    total: u64,
    files: u64,
    bar: ProgressBar,
}

impl Count {
    fn file(&mut self, size: u64) {
        self.total += size;
        self.files += 1;
        if self.files.is_multiple_of(4096) {
            self.bar.set_length(self.total.max(self.bar.position()));
        }
    }

    /// A named path (a symlink itself, not followed) and, with `recursive`, what is beneath it.
    fn root(&mut self, root: &Path, one_file_system: bool, recursive: bool) {
        use rustix::fs::{AtFlags, Dir, FileType, OFlags};
        let Ok(st) = rustix::fs::statat(rustix::fs::CWD, root, AtFlags::SYMLINK_NOFOLLOW) else { return };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => return self.file(st.st_size as u64),
            FileType::Directory if recursive => {}
            _ => return,
        }
        let root_dev = st.st_dev;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let Ok(Ok((fd, _))) = std::ffi::CString::new(root.as_os_str().as_bytes())
            .map(|name| crate::create::open_noatime(rustix::fs::CWD, &name, flags))
        else {
            return;
        };
        // Directories still to read: each held by its parent's descriptor and its name, opened
        // when its turn comes (open descriptors: the depth of the tree, not its width).
        let mut pending: Vec<(Arc<OwnedFd>, CString)> = Vec::new();
        let mut current = Some(Arc::new(fd));
        while let Some(dir) = current.take().or_else(|| {
            let (parent, name) = pending.pop()?;
            crate::create::open_noatime(parent.as_fd(), &name, flags).ok().map(|(fd, _)| Arc::new(fd))
        }) {
            let Ok(entries) = Dir::read_from(&*dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if matches!(name.to_bytes(), b"." | b"..") {
                    continue;
                }
                let Ok(st) = rustix::fs::statat(&*dir, name, AtFlags::SYMLINK_NOFOLLOW) else { continue };
                match FileType::from_raw_mode(st.st_mode) {
                    FileType::RegularFile => self.file(st.st_size as u64),
                    FileType::Directory if !one_file_system || st.st_dev == root_dev => {
                        pending.push((dir.clone(), name.to_owned()));
                    }
                    _ => {}
                }
            }
        }
    }
}
