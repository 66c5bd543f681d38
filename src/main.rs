//! The `captar` binary: parse, run, print the error once, map the outcome to an exit code.

use std::process::ExitCode;

/// Standard output closed when captar starts (`captar list -f a.tar >&-`) is taken, before the
/// Rust runtime would open /dev/null there (where what was written went, exit 0; its stdout
/// also takes EBADF for success), by a descriptor every write to fails with EINVAL (an epoll
/// instance), and `captar::error::STDOUT_CLOSED` is set: what captar has to write there is an
/// error that says so, exit 2, as GNU tar's "stdout: write error" (found by audit: a listing,
/// or the archive of `create -f -`, went to /dev/null, exit 0). The fd stays taken, so no file
/// opened later gets it. Standard input and error closed are left to the runtime (/dev/null:
/// nothing to read; errors unsaid, the exit code still counts them).
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array")]
static STDOUT_CLOSED_FAILS: extern "C" fn() = stdout_closed_fails;

#[allow(unsafe_code)]
extern "C" fn stdout_closed_fails() {
    // SAFETY: fcntl(F_GETFD), open(2) of /dev/null and epoll_create1, before anything else of
    // the program runs (an .init_array function): no fd is owned by any Rust object yet.
    unsafe {
        let closed = |fd| libc::fcntl(fd, libc::F_GETFD) == -1;
        if !closed(1) {
            return;
        }
        // New descriptors take the lowest free number: standard input's first, where it is
        // closed too (left to the runtime if that fails).
        if closed(0) && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) != 0 {
            return;
        }
        // Close-on-exec: a program captar runs (`--checkpoint-action=exec`) finds its standard
        // output closed, as captar did.
        let fd = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if fd == 1 {
            captar::error::STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
        } else if fd >= 0 {
            libc::close(fd);
        }
    }
}

fn main() -> ExitCode {
    let run = std::panic::catch_unwind(|| captar::cli::run(std::env::args_os().collect()));
    let Ok(result) = run else {
        // A bug: the panic's message is out already. No half-written archive or file is left
        // under a temporary name.
        let _held = captar::temps::remove_all();
        captar::error::print_stderr("captar: internal error (a bug; please report it): stopped");
        return ExitCode::from(2);
    };
    // What the work went on past, said once (`-v`'s names to a standard output that failed).
    let lost = captar::error::take_lost_output();
    if let Some(e) = &lost {
        captar::error::print_stderr(&format!("captar: {}", captar::error::terminal_safe(&e.to_string())));
    }
    match result {
        Ok(_) if lost.is_some() => ExitCode::from(2),
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            // `captar list ... | head`: the reader of a listing went away, which is not an error.
            // An archive written to a closed pipe is (create -f - labels that output otherwise).
            if let captar::error::Error::Io { source, path, .. } = &err
                && source.kind() == std::io::ErrorKind::BrokenPipe
                && path.as_os_str() == captar::error::STDOUT
            {
                return ExitCode::SUCCESS;
            }
            captar::error::print_stderr(&format!("captar: {}", captar::error::terminal_safe(&err.to_string())));
            ExitCode::from(2)
        }
    }
}
