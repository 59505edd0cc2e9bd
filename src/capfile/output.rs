//! Moving a finished capture file to where the user wants it (`ndisnpp_move_capture`, `nmcap -w`),
//! so that no other local user can redirect it (README "Security: the capture directory").
//!
//! * The source's and the destination's directories are opened once and checked as an explicit
//!   capture directory is (`dir::check_shared`: owned by the caller or root, not writable by group
//!   or others without the sticky bit); every later step is relative to those descriptors.
//! * The source must be a regular file (not a symlink) of the caller.
//! * A destination name that does not exist is taken with `renameat2(RENAME_NOREPLACE)` (or
//!   `linkat` where the filesystem lacks it): a name planted meanwhile is never replaced blindly.
//! * An existing destination is replaced (the name only: a symlink is replaced, never written
//!   through) when it belongs to the caller; one that belongs to another user is refused. In a
//!   checked directory nobody but the caller and root can swap an entry of the caller between
//!   the check and the rename (a sticky directory lets others remove only their own entries).
//! * Across filesystems the file is copied into a new file (`O_EXCL`, `O_NOFOLLOW`, mode 0600) in
//!   the destination directory, which is then moved in as above, and the source is removed.

use super::dir::{euid, CaptureDir};
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Why a move failed, with the reason (for the error BLOB).
#[derive(Debug)]
pub enum MoveError {
    /// The source file does not exist.
    NotFound(String),
    /// The destination's directory does not exist.
    NoDirectory(String),
    /// A directory another user controls, a destination of another user, a source that is not a
    /// regular file of the caller, or the system said EACCES/EPERM.
    Denied(String),
    /// A bad name: empty, or ending in `/`, `.` or `..`.
    BadName(String),
    /// Another I/O error (a full disk while copying, a destination that is a directory).
    Io(String),
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::NotFound(m) | MoveError::NoDirectory(m) | MoveError::Denied(m) | MoveError::BadName(m) | MoveError::Io(m) => f.write_str(m),
        }
    }
}

/// `path`'s directory (`.` for a bare name) and last component, which must be a file name.
fn split(path: &Path) -> Result<(&Path, CString), MoveError> {
    let bad = || MoveError::BadName(format!("{}: not a file name", path.display()));
    let text = path.as_os_str().as_bytes();
    if text.is_empty() || text.ends_with(b"/") {
        return Err(bad());
    }
    let name = path.file_name().ok_or_else(bad)?;
    if name.as_bytes() == b"." || name.as_bytes() == b".." || text.ends_with(b"/.") || text == b"." {
        return Err(bad());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, CString::new(name.as_bytes()).map_err(|_| bad())?))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
fn stat_at(dir: &CaptureDir, name: &CString) -> io::Result<libc::stat> {
    // SAFETY: `stat` is plain data, filled by fstatat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid directory descriptor, a NUL-terminated name, a writable stat buffer.
    if unsafe { libc::fstatat(dir.fd().as_raw_fd(), name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn is_denied(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM | libc::EROFS))
}

/// Opens `path`'s directory and checks it; `missing` makes the error for a directory that is not there.
fn open_dir(path: &Path, missing: fn(String) -> MoveError) -> Result<CaptureDir, MoveError> {
    CaptureDir::open_checked(path).map_err(|(e, why)| match e {
        None => MoveError::Denied(why),
        Some(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => missing(why),
        Some(e) if is_denied(&e) => MoveError::Denied(why),
        Some(_) => MoveError::Io(why),
    })
}

/// What one attempt to take the destination name gave.
enum Placed {
    Done,
    /// The name appeared between the check and the rename: look again.
    Raced,
    /// Source and destination are on different filesystems.
    CrossDevice,
}

/// Moves `src_dir/src` to `dst_dir/dst` under the rules above (module documentation).
fn place(src_dir: &CaptureDir, src: &CString, dst_dir: &CaptureDir, dst: &CString, shown: &Path) -> Result<Placed, MoveError> {
    let (sfd, dfd) = (src_dir.fd().as_raw_fd(), dst_dir.fd().as_raw_fd());
    let fail = |e: io::Error| {
        let why = format!("{}: {e}", shown.display());
        if is_denied(&e) {
            MoveError::Denied(why)
        } else {
            MoveError::Io(why)
        }
    };
    match stat_at(dst_dir, dst) {
        Ok(st) => {
            let me = euid();
            if st.st_uid != me {
                return Err(MoveError::Denied(format!(
                    "{}: exists and belongs to uid {}, not to this user (uid {me}): not replaced",
                    shown.display(),
                    st.st_uid
                )));
            }
            if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                return Err(MoveError::Io(format!("{}: is a directory", shown.display())));
            }
            // SAFETY: valid directory descriptors and NUL-terminated names.
            if unsafe { libc::renameat(sfd, src.as_ptr(), dfd, dst.as_ptr()) } == 0 {
                return Ok(Placed::Done);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EXDEV) => Ok(Placed::CrossDevice),
                // Our own entry was removed meanwhile (by us or root): look again.
                Some(libc::ENOENT) if stat_at(src_dir, src).is_ok() => Ok(Placed::Raced),
                _ => Err(fail(e)),
            }
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
            // SAFETY: valid directory descriptors and NUL-terminated names; RENAME_NOREPLACE
            // fails with EEXIST rather than replace a name that appeared meanwhile.
            let r = unsafe { libc::syscall(libc::SYS_renameat2, sfd, src.as_ptr(), dfd, dst.as_ptr(), libc::RENAME_NOREPLACE) };
            if r == 0 {
                return Ok(Placed::Done);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EEXIST) => Ok(Placed::Raced),
                Some(libc::EXDEV) => Ok(Placed::CrossDevice),
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => {
                    // No RENAME_NOREPLACE here: link (which never replaces and, without
                    // AT_SYMLINK_FOLLOW, links the entry itself), then remove the source name.
                    // SAFETY: valid directory descriptors and NUL-terminated names.
                    if unsafe { libc::linkat(sfd, src.as_ptr(), dfd, dst.as_ptr(), 0) } != 0 {
                        let e = io::Error::last_os_error();
                        return match e.raw_os_error() {
                            Some(libc::EEXIST) => Ok(Placed::Raced),
                            Some(libc::EXDEV) => Ok(Placed::CrossDevice),
                            _ => Err(fail(e)),
                        };
                    }
                    // SAFETY: a valid directory descriptor and a NUL-terminated name.
                    if unsafe { libc::unlinkat(sfd, src.as_ptr(), 0) } != 0 {
                        return Err(fail(io::Error::last_os_error()));
                    }
                    Ok(Placed::Done)
                }
                _ => Err(fail(e)),
            }
        }
        Err(e) => Err(fail(e)),
    }
}

/// Takes the destination name, looking again (a few times) when a name appeared meanwhile.
fn place_retrying(src_dir: &CaptureDir, src: &CString, dst_dir: &CaptureDir, dst: &CString, shown: &Path) -> Result<Placed, MoveError> {
    for _ in 0..8 {
        match place(src_dir, src, dst_dir, dst, shown)? {
            Placed::Raced => continue,
            done => return Ok(done),
        }
    }
    Err(MoveError::Denied(format!("{}: the name keeps changing: not replaced", shown.display())))
}

/// Copies `src_dir/src` into a new file in `dst_dir` and returns its name (removed on failure).
fn copy_in(src_dir: &CaptureDir, src: &CString, dst_dir: &CaptureDir, from: &Path, to: &Path) -> Result<CString, MoveError> {
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: a valid directory descriptor and NUL-terminated name; the descriptor returned is ours.
    let fd = unsafe { libc::openat(src_dir.fd().as_raw_fd(), src.as_ptr(), flags) };
    if fd < 0 {
        return Err(MoveError::Io(format!("{}: {}", from.display(), io::Error::last_os_error())));
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    let mut input = unsafe { File::from_raw_fd(fd) };
    // The copy keeps the extension of what it copies (it is renamed to `to` next).
    let extension = from.extension().and_then(|e| e.to_str()).filter(|e| ["cap", "pcap", "pcapng"].contains(e)).unwrap_or("cap");
    let (path, mut output) =
        super::create_unique_in(dst_dir, extension).map_err(|e| MoveError::Io(format!("{}: cannot create a file there: {e}", to.display())))?;
    let name = CString::new(path.file_name().map(|n| n.as_bytes().to_vec()).unwrap_or_default()).map_err(|_| MoveError::Io(String::new()))?;
    let copied = io::copy(&mut input, &mut output).and_then(|_| output.sync_all());
    if let Err(e) = copied {
        // SAFETY: a valid directory descriptor and a NUL-terminated name (the file just made).
        unsafe { libc::unlinkat(dst_dir.fd().as_raw_fd(), name.as_ptr(), 0) };
        return Err(MoveError::Io(format!("{}: copying {} failed: {e}", to.display(), from.display())));
    }
    Ok(name)
}

/// Moves the finished capture file `from` to `to` (module documentation for the rules).
pub fn move_capture(from: &Path, to: &Path) -> Result<(), MoveError> {
    let (from_dir, src) = split(from)?;
    let (to_dir, dst) = split(to)?;
    let src_dir = open_dir(from_dir, MoveError::NotFound)?;
    let dst_dir = open_dir(to_dir, MoveError::NoDirectory)?;
    let st = stat_at(&src_dir, &src).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOENT) => MoveError::NotFound(format!("{}: {e}", from.display())),
        _ => MoveError::Io(format!("{}: {e}", from.display())),
    })?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_uid != euid() {
        return Err(MoveError::Denied(format!("{}: not a regular file of this user: refused", from.display())));
    }
    match place_retrying(&src_dir, &src, &dst_dir, &dst, to)? {
        Placed::CrossDevice => {
            let tmp = copy_in(&src_dir, &src, &dst_dir, from, to)?;
            match place_retrying(&dst_dir, &tmp, &dst_dir, &dst, to) {
                Ok(Placed::Done) => {}
                r => {
                    // SAFETY: a valid directory descriptor and a NUL-terminated name (our copy).
                    unsafe { libc::unlinkat(dst_dir.fd().as_raw_fd(), tmp.as_ptr(), 0) };
                    r?;
                    return Err(MoveError::Io(format!("{}: cannot move the copy in", to.display())));
                }
            }
            // SAFETY: a valid directory descriptor and a NUL-terminated name.
            if unsafe { libc::unlinkat(src_dir.fd().as_raw_fd(), src.as_ptr(), 0) } != 0 {
                return Err(MoveError::Io(format!("{}: copied to {}, but not removed: {}", from.display(), to.display(), io::Error::last_os_error())));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::PathBuf;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ndisnpp-move-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }

    #[test]
    fn names() {
        for bad in ["", "/", "a/", "a/.", "..", "a/.."] {
            assert!(matches!(split(Path::new(bad)), Err(MoveError::BadName(_))), "{bad}");
        }
        let (d, n) = split(Path::new("x.cap")).unwrap();
        assert_eq!((d, n.as_bytes()), (Path::new("."), &b"x.cap"[..]));
        let (d, n) = split(Path::new("/a/b/x.cap")).unwrap();
        assert_eq!((d, n.as_bytes()), (Path::new("/a/b"), &b"x.cap"[..]));
    }

    #[test]
    fn moves_replaces_own_files_and_never_writes_through_a_symlink() {
        let d = scratch("basic");
        let src = d.join("nm-1.cap");
        std::fs::write(&src, b"frames").unwrap();
        move_capture(&src, &d.join("out.cap")).unwrap();
        assert_eq!(std::fs::read(d.join("out.cap")).unwrap(), b"frames");
        assert!(!src.exists());
        // An existing file of ours: replaced.
        std::fs::write(&src, b"second").unwrap();
        move_capture(&src, &d.join("out.cap")).unwrap();
        assert_eq!(std::fs::read(d.join("out.cap")).unwrap(), b"second");
        // A symlink of ours: the link is replaced, its target is not written.
        std::fs::write(d.join("target"), b"keep").unwrap();
        std::os::unix::fs::symlink(d.join("target"), d.join("link.cap")).unwrap();
        std::fs::write(&src, b"third").unwrap();
        move_capture(&src, &d.join("link.cap")).unwrap();
        assert_eq!(std::fs::read(d.join("target")).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(d.join("link.cap")).unwrap().file_type().is_file());
        // A source that is a symlink or missing; a missing destination directory.
        assert!(matches!(move_capture(&d.join("link-src"), &d.join("x")), Err(MoveError::NotFound(_))));
        std::os::unix::fs::symlink(d.join("target"), d.join("link-src")).unwrap();
        assert!(matches!(move_capture(&d.join("link-src"), &d.join("x")), Err(MoveError::Denied(_))));
        std::fs::write(&src, b"4").unwrap();
        assert!(matches!(move_capture(&src, &d.join("none").join("x")), Err(MoveError::NoDirectory(_))));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Across filesystems (/dev/shm is a tmpfs): copied in, the source removed.
    #[test]
    fn moves_across_filesystems() {
        let shm = Path::new("/dev/shm");
        if std::fs::metadata(shm).map(|m| m.dev()).ok() == std::fs::metadata(std::env::temp_dir()).map(|m| m.dev()).ok() || !shm.is_dir() {
            eprintln!("SKIPPED: /dev/shm is not another filesystem here");
            return;
        }
        let d = scratch("xdev");
        let other = shm.join(format!("ndisnpp-move-xdev-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&other);
        std::fs::create_dir(&other).unwrap();
        let src = other.join("nm-1.cap");
        std::fs::write(&src, b"frames").unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o600)).unwrap();
        move_capture(&src, &d.join("out.cap")).unwrap();
        assert_eq!(std::fs::read(d.join("out.cap")).unwrap(), b"frames");
        assert_eq!(std::fs::metadata(d.join("out.cap")).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!src.exists());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "no copy left behind");
        std::fs::remove_dir_all(&other).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn refuses_directories_and_files_of_other_users() {
        let d = scratch("refuse");
        let src = d.join("nm-1.cap");
        std::fs::write(&src, b"frames").unwrap();
        // World-writable without the sticky bit: refused; with it: fine.
        let open = d.join("open");
        std::fs::create_dir(&open).unwrap();
        for (mode, ok) in [(0o777, false), (0o770, false), (0o1777, true), (0o755, true)] {
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(mode)).unwrap();
            let r = move_capture(&src, &open.join("out.cap"));
            assert_eq!(r.is_ok(), ok, "mode {mode:o}: {r:?}");
            if ok {
                std::fs::rename(open.join("out.cap"), &src).unwrap();
            } else {
                assert!(matches!(r, Err(MoveError::Denied(ref m)) if m.contains("sticky")), "{r:?}");
            }
        }
        if euid() == 0 {
            // Owned by another user (nobody): refused even with mode 0700.
            let theirs = d.join("theirs");
            std::fs::create_dir(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let r = move_capture(&src, &theirs.join("out.cap"));
            assert!(matches!(r, Err(MoveError::Denied(ref m)) if m.contains("owned by uid 65534")), "{r:?}");
            // A sticky directory with a name planted by another user: not replaced.
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", open.join("planted.cap")).unwrap();
            std::os::unix::fs::lchown(open.join("planted.cap"), Some(65534), Some(65534)).unwrap();
            let r = move_capture(&src, &open.join("planted.cap"));
            assert!(matches!(r, Err(MoveError::Denied(ref m)) if m.contains("belongs to uid 65534")), "{r:?}");
            assert_eq!(std::fs::symlink_metadata(open.join("planted.cap")).unwrap().uid(), 65534);
            assert!(src.exists(), "the capture stays where it was");
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
