/*!
`create --sparse` (GNU tar's `-S`): a file with holes is archived as its data runs, found with
`lseek(SEEK_DATA/SEEK_HOLE)`, in GNU's sparse format 1.0, which GNU tar and bsdtar write and
read (and captar reads): the member's data is the map (the number of runs, then each run's
offset and length, one decimal number per line, padded to a block), then the runs. Extraction
leaves the holes as holes.
*/

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use rustix::fs::SeekFrom;

use crate::format::BLOCK;
use crate::format::reader::{SPARSE_RUNS_MAX, padding};

/// The data runs (offset, length) of `file` between `start` and `end`, where the filesystem
/// reports holes (SEEK_DATA, SEEK_HOLE); `None` when it cannot say, or the file changed under
/// us. Used by create (`--sparse`); verify, which checks a member's holes one by one, keeps
/// what the seeks found instead (`verify::archive`'s `DiskRuns`).
///
/// The file's position is where it was: SEEK_DATA and SEEK_HOLE move it, and a file found to
/// have no hole (sysfs's, of 4096 bytes in no block; a compressed filesystem's) was then read
/// from its end, archived as zeros ("file shrank"; found by review: `copy` of sysfs, whose
/// verify then compared the zeros with zeros).
fn data_runs(file: &File, start: u64, end: u64) -> Option<Vec<(u64, u64)>> {
    let at = rustix::fs::seek(file, SeekFrom::Current(0)).ok()?;
    let runs = probe_runs(file, start, end);
    rustix::fs::seek(file, SeekFrom::Start(at)).ok()?;
    runs
}

fn probe_runs(file: &File, start: u64, end: u64) -> Option<Vec<(u64, u64)>> {
    let mut runs = Vec::new();
    let mut pos = start;
    while pos < end {
        let data = match rustix::fs::seek(file, SeekFrom::Data(pos)) {
            Ok(data) if data < end => data,
            Ok(_) | Err(rustix::io::Errno::NXIO) => break, // a hole to the end
            Err(_) => return None,
        };
        let hole = rustix::fs::seek(file, SeekFrom::Hole(data)).ok()?.min(end);
        if hole <= data {
            return None; // the file changed under us
        }
        runs.push((data, hole - data));
        pos = hole;
    }
    Some(runs)
}

/// `runs` (in order, apart) made at most `max` by joining those apart by the narrowest holes:
/// the holes between joined runs are read as the zeros they hold.
fn coarsen(runs: &mut Vec<(u64, u64)>, max: usize) {
    if runs.len() <= max {
        return;
    }
    let gap = |i: usize, runs: &[(u64, u64)]| runs[i + 1].0 - (runs[i].0 + runs[i].1);
    let mut gaps: Vec<u64> = (0..runs.len() - 1).map(|i| gap(i, runs)).collect();
    // The widest hole of those to be filled: every hole narrower goes, and of those as wide,
    // only as many as needed.
    let fill = runs.len() - max;
    let widest = *gaps.select_nth_unstable(fill - 1).1;
    let mut narrower = gaps.iter().filter(|&&g| g < widest).count();
    let mut as_wide = fill - narrower;
    let mut joined: Vec<(u64, u64)> = Vec::with_capacity(max);
    for (i, &run) in runs.iter().enumerate() {
        let hole = (i > 0).then(|| gap(i - 1, runs));
        let join = match hole {
            Some(g) if g < widest => {
                narrower -= 1;
                true
            }
            Some(g) if g == widest && as_wide > 0 => {
                as_wide -= 1;
                true
            }
            _ => false,
        };
        match joined.last_mut() {
            Some(last) if join => last.1 = run.0 + run.1 - last.0,
            _ => joined.push(run),
        }
    }
    debug_assert_eq!(narrower, 0);
    *runs = joined;
}

/// A file's data runs and the map that describes them.
pub(super) struct Sparse {
    runs: Vec<(u64, u64)>,
    map: Vec<u8>,
}

impl Sparse {
    /// The data runs of `file` (`size` bytes), where the filesystem reports holes; `None` when
    /// it has none (or cannot say): the file is archived whole.
    pub(super) fn of(file: &File, size: u64) -> Option<Sparse> {
        let mut runs = data_runs(file, 0, size)?;
        if runs.len() == 1 && runs[0] == (0, size) {
            return None;
        }
        // No more runs than a reader takes (one left for the end's): the narrowest holes are
        // archived as the zeros they read as (found by review: a file of 1,048,577 runs was
        // archived, and captar refused its own archive, `copy` too).
        coarsen(&mut runs, SPARSE_RUNS_MAX - 1);
        // A file that ends in a hole ends with a run of no bytes at its size, as GNU tar writes.
        if runs.last().is_none_or(|&(offset, len)| offset + len < size) {
            runs.push((size, 0));
        }
        let mut map = format!("{}\n", runs.len()).into_bytes();
        for (offset, len) in &runs {
            map.extend_from_slice(format!("{offset}\n{len}\n").as_bytes());
        }
        map.resize(map.len() + padding(map.len() as u64) as usize, 0);
        debug_assert!(map.len().is_multiple_of(BLOCK));
        Some(Sparse { runs, map })
    }

    /// The member's data size: the map and the runs.
    pub(super) fn stored_size(&self) -> u64 {
        self.map.len() as u64 + self.runs.iter().map(|r| r.1).sum::<u64>()
    }
}

/// The member's data as the writer reads it: the map, then each run read from the file at its
/// offset. A read error ends it early, kept to be reported against the file (the writer pads
/// the member, as for any file that could not be read whole).
pub(super) struct SparseSource<'a> {
    file: &'a File,
    sparse: &'a Sparse,
    /// Bytes of the map given out, then the run being read and how much of it was read.
    map_done: usize,
    run: usize,
    in_run: u64,
    pub(super) error: Option<io::Error>,
}

impl<'a> SparseSource<'a> {
    pub(super) fn new(file: &'a File, sparse: &'a Sparse) -> SparseSource<'a> {
        SparseSource { file, sparse, map_done: 0, run: 0, in_run: 0, error: None }
    }
}

impl io::Read for SparseSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let map = &self.sparse.map;
        if self.map_done < map.len() {
            let n = buf.len().min(map.len() - self.map_done);
            buf[..n].copy_from_slice(&map[self.map_done..self.map_done + n]);
            self.map_done += n;
            return Ok(n);
        }
        while let Some(&(offset, len)) = self.sparse.runs.get(self.run) {
            if self.in_run == len {
                (self.run, self.in_run) = (self.run + 1, 0);
                continue;
            }
            let want = buf.len().min((len - self.in_run).min(usize::MAX as u64) as usize);
            match self.file.read_at(&mut buf[..want], offset + self.in_run) {
                Ok(0) => return Ok(0), // the file shrank: the writer pads and says so
                Ok(n) => {
                    self.in_run += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::coarsen;

    /// The narrowest holes are filled first, ties in file order, until `max` runs are left;
    /// every byte of data stays inside a run.
    #[test]
    fn coarsen_fills_the_narrowest_holes() {
        // Holes of 10, 1, 5, 1, 10 bytes between six runs of 2 bytes.
        let runs = vec![(0, 2), (12, 2), (15, 2), (22, 2), (25, 2), (37, 2)];
        for (max, want) in [
            (6, runs.clone()),
            (9, runs.clone()),
            (5, vec![(0, 2), (12, 5), (22, 2), (25, 2), (37, 2)]),
            (4, vec![(0, 2), (12, 5), (22, 5), (37, 2)]),
            (3, vec![(0, 2), (12, 15), (37, 2)]),
            (2, vec![(0, 27), (37, 2)]),
            (1, vec![(0, 39)]),
        ] {
            let mut got = runs.clone();
            coarsen(&mut got, max);
            assert_eq!(got, want, "at most {max}");
        }
    }
}
