/*!
How many more file descriptors this process may open: caches of open directories (create's
walk, extract's destination) are sized from it, so a low limit (`ulimit -n 256`) makes them
smaller instead of making opens fail.
*/

/// The descriptors this process may still open under its soft `RLIMIT_NOFILE`, beyond those
/// open now and `reserve` more kept for the rest of the work; `usize::MAX` without a limit.
pub fn spare(reserve: usize) -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let open_now = std::fs::read_dir("/proc/self/fd").map_or(16, Iterator::count);
    limit.saturating_sub(open_now + reserve)
}
