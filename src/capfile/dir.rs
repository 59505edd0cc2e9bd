//! The capture directory: where capture files go, checked so that no other local user controls
//! it (README, "Security: the capture directory").
//!
//! * An explicit directory (`NPP:Config:CaptureDirectory`, `$NETMON_CAPTURE_DIR`) must be an
//!   absolute path without `.` or `..` components. Its parent must exist: only the last
//!   component is created (mode 0700), never its parents. The directory it names (a symlink is
//!   followed) must be owned by the effective user or by root, and not writable by group or
//!   others unless it has the sticky bit (`/tmp` is fine, a 0777 or 0770 directory is not):
//!   otherwise `DirError::Unsafe` (`NMERR_ACCESS_DENIED`). Only the mode bits are read (no ACL),
//!   and only of the directory itself, not of its parents.
//! * The default, `$TMPDIR/netmon` (or `/tmp/netmon`), lives in a directory every user may write
//!   to: it is used only if it is a real directory (not a symlink: opened with `O_NOFOLLOW`),
//!   owned by the effective user and writable by nobody else. Otherwise the per-user
//!   `$TMPDIR/netmon-<uid>` is used under the same checks; if that fails too, there is no default
//!   directory (`NMERR_NO_DEFAULT_CAPTURE_DIRECTORY`, with the reason).
//! * Files are created relative to the opened directory's descriptor (`openat`, `O_EXCL`,
//!   `O_NOFOLLOW`, mode 0600), so a directory renamed or replaced after the check cannot redirect
//!   them.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// An opened, checked capture directory.
#[derive(Debug)]
pub struct CaptureDir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Why a capture directory cannot be used.
#[derive(Debug)]
pub enum DirError {
    /// The configured path is not absolute, or has `.`/`..` components.
    BadPath(String),
    /// The directory (default or explicit) cannot be opened or created, or (default) is not safe:
    /// the reason.
    Unusable(String),
    /// The explicit directory is controlled by another user (see `check_shared`): the reason.
    Unsafe(String),
}

impl DirError {
    /// Its NMERR: `NMERR_ACCESS_DENIED` for a directory another user controls, else `otherwise`.
    pub fn code(&self, otherwise: crate::nmerr::NmErr) -> crate::nmerr::NmErr {
        match self {
            DirError::Unsafe(_) => crate::nmerr::NMERR_ACCESS_DENIED,
            _ => otherwise,
        }
    }
}

impl std::fmt::Display for DirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirError::BadPath(m) | DirError::Unusable(m) | DirError::Unsafe(m) => f.write_str(m),
        }
    }
}

/// `Ok` when `path` may name a capture directory: absolute, no `.` or `..` components.
pub fn check_path(path: &Path) -> Result<(), String> {
    if !path.is_absolute() {
        return Err(format!("{}: the capture directory must be an absolute path", path.display()));
    }
    // Components normalise "a//b" and a trailing "/", and drop "."s in the middle, so look at the
    // text as well.
    let text = path.as_os_str().as_bytes();
    let has_dot = text.split(|&b| b == b'/').any(|c| c == b"." || c == b"..");
    if has_dot || path.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(format!("{}: the capture directory may not contain '.' or '..' components", path.display()));
    }
    Ok(())
}

fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn last_os_error() -> io::Error {
    io::Error::last_os_error()
}

/// Creates `path`'s last component (mode 0700) if it does not exist; its parent must.
fn create_last(path: &Path) -> io::Result<()> {
    let c = cstring(path)?;
    // SAFETY: a valid NUL-terminated path; mkdir creates one directory, never its parents.
    if unsafe { libc::mkdir(c.as_ptr(), 0o700) } == 0 {
        return Ok(());
    }
    let e = last_os_error();
    if e.raw_os_error() == Some(libc::EEXIST) {
        Ok(())
    } else {
        Err(e)
    }
}

/// Opens `path` as a directory; with `nofollow` a symlink as its last component is refused.
fn open_dir(path: &Path, nofollow: bool) -> io::Result<OwnedFd> {
    let c = cstring(path)?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | if nofollow { libc::O_NOFOLLOW } else { 0 };
    // SAFETY: a valid NUL-terminated path; the descriptor returned is ours alone.
    let fd = unsafe { libc::open(c.as_ptr(), flags) };
    if fd < 0 {
        return Err(last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The opened directory's owner and mode.
fn owner_and_mode(fd: &OwnedFd) -> io::Result<(u32, u32)> {
    // SAFETY: `stat` is plain data; fstat fills it for a valid descriptor.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a writable stat buffer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(last_os_error());
    }
    Ok((st.st_uid, st.st_mode))
}

/// The rule for a directory that another user may share (an explicit capture directory, the
/// source and destination of `move_capture`): owned by the effective user or by root, and not
/// writable by group or others unless it has the sticky bit (where nobody but a file's owner, the
/// directory's owner and root may rename or remove an entry). The error is the reason.
pub(crate) fn check_shared(fd: &OwnedFd, path: &Path) -> Result<(), String> {
    let (uid, mode) = owner_and_mode(fd).map_err(|e| format!("{}: {e}", path.display()))?;
    let me = euid();
    if uid != me && uid != 0 {
        return Err(format!("{}: owned by uid {uid}, neither this user (uid {me}) nor root: refused", path.display()));
    }
    if mode & 0o022 != 0 && mode & libc::S_ISVTX == 0 {
        return Err(format!("{}: writable by group or others without the sticky bit (mode {:o}): refused", path.display(), mode & 0o7777));
    }
    Ok(())
}

pub(crate) fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

impl CaptureDir {
    /// An explicit directory: checked path, last component created if missing, then opened (a
    /// symlink the administrator configured is followed) and checked (`check_shared`).
    pub fn open_explicit(path: &Path) -> Result<CaptureDir, DirError> {
        check_path(path).map_err(DirError::BadPath)?;
        create_last(path).map_err(|e| DirError::Unusable(format!("{}: cannot create it: {e}", path.display())))?;
        Self::open_checked(path).map_err(|(e, why)| if e.is_some() { DirError::Unusable(why) } else { DirError::Unsafe(why) })
    }

    /// An existing directory (any path; a symlink is followed), opened and checked
    /// (`check_shared`). The error: the `open` error if opening failed (else `None`: refused), and
    /// the reason.
    pub(crate) fn open_checked(path: &Path) -> Result<CaptureDir, (Option<io::Error>, String)> {
        let fd = open_dir(path, false).map_err(|e| {
            let why = format!("{}: {e}", path.display());
            (Some(e), why)
        })?;
        check_shared(&fd, path).map_err(|why| (None, why))?;
        Ok(CaptureDir { fd, path: path.to_path_buf() })
    }

    /// The same directory on a second descriptor (dup, close-on-exec).
    pub fn try_clone(&self) -> io::Result<CaptureDir> {
        Ok(CaptureDir { fd: self.fd.try_clone()?, path: self.path.clone() })
    }

    /// The opened directory's descriptor.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// An existing directory, opened as it is (nothing created, nothing checked but that it is a
    /// directory).
    pub fn open_existing(path: &Path) -> io::Result<CaptureDir> {
        Ok(CaptureDir { fd: open_dir(path, false)?, path: path.to_path_buf() })
    }

    /// A directory in a shared place (`$TMPDIR`): a real directory (no symlink), created 0700 if
    /// missing, owned by the effective user and not writable by group or others.
    fn open_private(path: &Path) -> Result<CaptureDir, String> {
        create_last(path).map_err(|e| format!("{}: cannot create it: {e}", path.display()))?;
        let fd = open_dir(path, true).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => format!("{}: a symlink or not a directory: refused", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
        let (uid, mode) = owner_and_mode(&fd).map_err(|e| format!("{}: {e}", path.display()))?;
        let me = euid();
        if uid != me {
            return Err(format!("{}: owned by uid {uid}, not by this user (uid {me}): refused", path.display()));
        }
        if mode & 0o022 != 0 {
            return Err(format!("{}: writable by group or others (mode {:o}): refused", path.display(), mode & 0o7777));
        }
        Ok(CaptureDir { fd, path: path.to_path_buf() })
    }

    /// The default directory: `<tmp>/netmon` if it is safe, else `<tmp>/netmon-<uid>` (`tmp`:
    /// `$TMPDIR`, else `/tmp`). The error says why neither could be used.
    pub fn open_default() -> Result<CaptureDir, DirError> {
        let tmp = std::env::var_os("TMPDIR").filter(|d| !d.is_empty()).map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        Self::open_default_in(&tmp)
    }

    fn open_default_in(tmp: &Path) -> Result<CaptureDir, DirError> {
        if !tmp.is_absolute() {
            return Err(DirError::Unusable(format!("TMPDIR {} is not an absolute path", tmp.display())));
        }
        let shared = tmp.join("netmon");
        let first = match Self::open_private(&shared) {
            Ok(d) => return Ok(d),
            Err(why) => why,
        };
        let own = tmp.join(format!("netmon-{}", euid()));
        Self::open_private(&own).map_err(|second| DirError::Unusable(format!("{first}; {second}")))
    }

    /// The directory's path (as configured, or the default chosen).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a new file `name` in the directory (mode 0600; an existing file or a symlink of
    /// that name is an error), relative to the checked descriptor.
    pub fn create_file(&self, name: &str) -> io::Result<File> {
        let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: a valid directory descriptor and NUL-terminated name; the new descriptor is
        // owned by the File alone.
        let fd = unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), flags, 0o600 as libc::c_uint) };
        if fd < 0 {
            return Err(last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        Ok(unsafe { File::from_raw_fd(fd) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ndisnpp-dir-{tag}-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        d
    }

    #[test]
    fn paths_must_be_absolute_without_dots() {
        assert!(check_path(Path::new("/tmp/caps")).is_ok());
        assert!(check_path(Path::new("/tmp/caps/")).is_ok());
        for bad in ["caps", "./caps", "/tmp/../etc", "/tmp/./caps", "/tmp/caps/..", ""] {
            assert!(check_path(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_last_component_is_created() {
        let d = scratch("last");
        let ok = CaptureDir::open_explicit(&d.join("caps")).unwrap();
        assert_eq!(std::fs::metadata(ok.path()).unwrap().permissions().mode() & 0o777, 0o700);
        let deep = d.join("missing").join("caps");
        assert!(matches!(CaptureDir::open_explicit(&deep), Err(DirError::Unusable(_))));
        assert!(!d.join("missing").exists(), "no parent is created");
        assert!(matches!(CaptureDir::open_explicit(Path::new("relative")), Err(DirError::BadPath(_))));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn files_are_created_private_exclusive_and_relative_to_the_checked_directory() {
        let d = scratch("files");
        let dir = CaptureDir::open_explicit(&d.join("caps")).unwrap();
        let f = dir.create_file("a.cap").unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(dir.create_file("a.cap").unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        // A symlink planted under the name is not followed.
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join("caps").join("b.cap")).unwrap();
        assert!(dir.create_file("b.cap").is_err());
        assert!(!d.join("elsewhere").exists());
        // The directory moved away after the check: the file still goes into it, not into
        // whatever now has its name.
        std::fs::rename(d.join("caps"), d.join("moved")).unwrap();
        std::fs::create_dir(d.join("caps")).unwrap();
        dir.create_file("c.cap").unwrap();
        assert!(d.join("moved").join("c.cap").exists());
        assert!(!d.join("caps").join("c.cap").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// An explicit directory that another user controls is refused (`Unsafe`, the reason):
    /// writable by group or others without the sticky bit, or owned by another user than the
    /// caller and root; a sticky world-writable one (like /tmp) is fine.
    #[test]
    fn explicit_directories_of_other_users_are_refused() {
        let d = scratch("explicit");
        let caps = d.join("caps");
        std::fs::create_dir(&caps).unwrap();
        for (mode, ok) in [(0o700, true), (0o755, true), (0o1777, true), (0o1770, true), (0o777, false), (0o770, false), (0o702, false)] {
            std::fs::set_permissions(&caps, std::fs::Permissions::from_mode(mode)).unwrap();
            match CaptureDir::open_explicit(&caps) {
                Ok(_) => assert!(ok, "mode {mode:o} accepted"),
                Err(DirError::Unsafe(why)) => assert!(!ok && why.contains("without the sticky bit") && why.contains("refused"), "mode {mode:o}: {why}"),
                Err(e) => panic!("mode {mode:o}: {e:?}"),
            }
        }
        // A symlink to such a directory: what it points to is checked.
        std::fs::set_permissions(&caps, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::os::unix::fs::symlink(&caps, d.join("link")).unwrap();
        assert!(matches!(CaptureDir::open_explicit(&d.join("link")), Err(DirError::Unsafe(_))));
        if euid() == 0 {
            // Owned by another user: refused whatever the mode; owned by root: fine.
            for mode in [0o700, 0o1777] {
                std::fs::set_permissions(&caps, std::fs::Permissions::from_mode(mode)).unwrap();
                std::os::unix::fs::chown(&caps, Some(65534), Some(65534)).unwrap();
                let e = CaptureDir::open_explicit(&caps).unwrap_err();
                assert!(matches!(&e, DirError::Unsafe(why) if why.contains("owned by uid 65534")), "{e:?}");
                std::os::unix::fs::chown(&caps, Some(0), Some(0)).unwrap();
                CaptureDir::open_explicit(&caps).unwrap();
            }
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The shared default refuses a directory planted by someone else (writable by all, owned by
    /// another user, or a symlink) and falls back to the per-user name.
    #[test]
    fn a_planted_default_is_refused() {
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let tmp = scratch("default");
        // Fine: created private.
        let d = CaptureDir::open_default_in(&tmp).unwrap();
        assert_eq!(d.path(), tmp.join("netmon"));
        // Writable by others: refused, the per-user directory instead.
        std::fs::set_permissions(tmp.join("netmon"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let d = CaptureDir::open_default_in(&tmp).unwrap();
        assert_eq!(d.path(), tmp.join(format!("netmon-{}", euid())));
        std::fs::remove_dir(tmp.join("netmon")).unwrap();
        // A symlink to a directory of "someone else": refused.
        std::fs::create_dir(tmp.join("theirs")).unwrap();
        std::os::unix::fs::symlink(tmp.join("theirs"), tmp.join("netmon")).unwrap();
        let d = CaptureDir::open_default_in(&tmp).unwrap();
        assert_eq!(d.path(), tmp.join(format!("netmon-{}", euid())));
        if root {
            // Owned by another user (nobody): refused; the per-user one planted as a symlink too:
            // no default at all, and the reason names both.
            std::fs::remove_file(tmp.join("netmon")).unwrap();
            std::fs::create_dir(tmp.join("netmon")).unwrap();
            std::os::unix::fs::chown(tmp.join("netmon"), Some(65534), Some(65534)).unwrap();
            assert_eq!(std::fs::metadata(tmp.join("netmon")).unwrap().uid(), 65534);
            std::fs::remove_dir(tmp.join(format!("netmon-{}", euid()))).unwrap();
            std::os::unix::fs::symlink(tmp.join("theirs"), tmp.join(format!("netmon-{}", euid()))).unwrap();
            let e = CaptureDir::open_default_in(&tmp).unwrap_err().to_string();
            assert!(e.contains("owned by uid 65534") && e.contains("symlink"), "{e}");
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
