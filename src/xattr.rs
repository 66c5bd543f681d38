/*!
The xattr layer: the only code that calls getxattr/setxattr. Works on open file descriptors
wherever a file is open (the fd is the file we created or opened, never a path an archive entry
could have redirected), and on paths only with the `l*` calls, which never follow a symlink.
*/

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::fs::XattrFlags;

/// Large enough for any capability value (24 bytes) and most small xattrs, so the common case
/// is one syscall.
const FIRST_TRY: usize = 256;

fn cname(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name holds a NUL byte"))
}

/// Calls `call` with a buffer that grows on ERANGE until the answer fits.
fn with_buffer(
    first: usize,
    mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; first];
    loop {
        match call(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 26 => {
                let len = buf.len() * 4;
                buf.resize(len, 0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads a value with one call in the common case; `None` when absent.
fn read_value(call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Option<Vec<u8>>> {
    match with_buffer(FIRST_TRY, call) {
        Ok(v) => Ok(Some(v)),
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn split_list(call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Vec<OsString>> {
    let buf = with_buffer(1024, call)?;
    Ok(buf.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| OsString::from_vec(s.to_vec())).collect())
}

/// Whether an error means "this filesystem keeps no xattrs of this kind".
pub fn is_unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTSUP))
}

/// One xattr of an open file; `None` when it is absent.
pub fn get_fd(fd: impl AsFd, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    let name = cname(name)?;
    read_value(|buf| rustix::fs::fgetxattr(&fd, name.as_c_str(), buf))
}

/// One xattr of a path, never following a final symlink; `None` when absent or unsupported.
pub fn get_path(path: &Path, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    let name = cname(name)?;
    match read_value(|buf| rustix::fs::lgetxattr(path, name.as_c_str(), buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// The xattr names of an open file (empty where the filesystem keeps none).
pub fn list_fd(fd: impl AsFd) -> io::Result<Vec<OsString>> {
    match split_list(|buf| rustix::fs::flistxattr(&fd, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// The xattr names of a path, never following a final symlink.
pub fn list_path(path: &Path) -> io::Result<Vec<OsString>> {
    match split_list(|buf| rustix::fs::llistxattr(path, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// Sets an xattr on an open file.
pub fn set_fd(fd: impl AsFd, name: &OsStr, value: &[u8]) -> io::Result<()> {
    let name = cname(name)?;
    rustix::fs::fsetxattr(&fd, name.as_c_str(), value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Sets an xattr on a path without following a final symlink.
pub fn set_path(path: &Path, name: &OsStr, value: &[u8]) -> io::Result<()> {
    let name = cname(name)?;
    rustix::fs::lsetxattr(path, name.as_c_str(), value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Removes an xattr from an open file; absent is not an error.
pub fn remove_fd(fd: impl AsFd, name: &OsStr) -> io::Result<()> {
    let name = cname(name)?;
    match rustix::fs::fremovexattr(&fd, name.as_c_str()) {
        Ok(()) | Err(rustix::io::Errno::NODATA) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `security.capability` as a C string, for callers on hot paths.
pub const CAPABILITY: &CStr = c"security.capability";

/// The capability xattr of an open file: one getxattr.
pub fn get_caps_fd(fd: impl AsFd) -> io::Result<Option<Vec<u8>>> {
    match read_value(|buf| rustix::fs::fgetxattr(&fd, CAPABILITY, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// The capability xattr of a path (never following a final symlink): one lgetxattr.
pub fn get_caps_path(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match read_value(|buf| rustix::fs::lgetxattr(path, CAPABILITY, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}
