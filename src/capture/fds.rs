//! Close-on-exec for the descriptors libpcap opens: its packet socket (which reads the capture
//! ring and injects frames) and the eventfd it wakes its poll with are created without
//! FD_CLOEXEC, so a program that the capturing process runs (after dropping its privileges, say)
//! would inherit them. Every descriptor the library opens itself is created with O_CLOEXEC /
//! SOCK_CLOEXEC / EFD_CLOEXEC.

use std::os::unix::io::RawFd;

/// Sets FD_CLOEXEC on `fd`.
pub fn set_cloexec(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor number: no memory is involved; a closed number answers EBADF.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if flags & libc::FD_CLOEXEC != 0 {
        return Ok(());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The process's open descriptors (from /proc/self/fd; empty when /proc is not mounted), without
/// the one that listing them used.
pub fn open_fds() -> Vec<RawFd> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return Vec::new() };
    let listed: Vec<RawFd> = dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    // SAFETY: fcntl on descriptor numbers, no memory involved: a closed one answers EBADF.
    listed.into_iter().filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0).collect()
}

/// True when `fd` is an eventfd without FD_CLOEXEC.
fn inheritable_eventfd(fd: RawFd) -> bool {
    // SAFETY: as in set_cloexec.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    flags >= 0 && flags & libc::FD_CLOEXEC == 0 && std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok_and(|t| t.as_os_str() == "anon_inode:[eventfd]")
}

/// After libpcap activated a live capture whose socket is `socket`: sets FD_CLOEXEC on it and on
/// the inheritable eventfds that appeared since `before` (libpcap's wake-up descriptor; the
/// library's own eventfds are created close-on-exec, so they are not among them).
pub fn seal_activated(socket: RawFd, before: &[RawFd]) -> std::io::Result<()> {
    set_cloexec(socket)?;
    for fd in open_fds() {
        if !before.contains(&fd) && inheritable_eventfd(fd) {
            seal_found(fd)?;
        }
    }
    Ok(())
}

/// `set_cloexec` on a descriptor found by listing them: one that another thread closed meanwhile
/// (EBADF) needs nothing.
fn seal_found(fd: RawFd) -> std::io::Result<()> {
    match set_cloexec(fd) {
        Err(e) if e.raw_os_error() == Some(libc::EBADF) => Ok(()),
        other => other,
    }
}

/// After libpcap opened `file` again (a replay): sets FD_CLOEXEC on the descriptors that appeared
/// since `before` and open the same file.
pub fn seal_same_file(file: &std::fs::File, before: &[RawFd]) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata()?;
    for fd in open_fds() {
        if before.contains(&fd) {
            continue;
        }
        // SAFETY: fstat into a zeroed stat buffer of our own; a closed number answers EBADF.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd, &mut st) } == 0 && st.st_dev == m.dev() && st.st_ino == m.ino() {
            // Another thread's descriptor of the same file may be among them (it is sealed too).
            seal_found(fd)?;
        }
    }
    Ok(())
}

/// SIGPIPE blocked on the calling thread while this lives (pthread_sigmask: the process's signal
/// dispositions are left alone). A write to a pipe whose reader went away then fails with EPIPE
/// instead of killing the process; the SIGPIPE that such a write still raises for this thread is
/// taken back (sigtimedwait, not waiting) before the thread's mask is restored, unless one was
/// already pending before. Used by the capture thread and around the header written at Start, so
/// that a capture on a descriptor (`NPP:Config:CaptureFileDescriptor`) never signals the caller.
pub struct SigpipeBlocked {
    old: libc::sigset_t,
    was_pending: bool,
}

fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise the set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

fn sigpipe_pending() -> bool {
    // SAFETY: sigpending fills the set we own; sigismember reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut set) == 0 && libc::sigismember(&set, libc::SIGPIPE) == 1
    }
}

impl SigpipeBlocked {
    /// Blocks SIGPIPE on this thread.
    pub fn new() -> SigpipeBlocked {
        let set = sigpipe_set();
        // SAFETY: `old` is ours to fill; the new mask only adds SIGPIPE for this thread.
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        SigpipeBlocked { old, was_pending: sigpipe_pending() }
    }
}

impl Default for SigpipeBlocked {
    fn default() -> Self {
        SigpipeBlocked::new()
    }
}

impl Drop for SigpipeBlocked {
    fn drop(&mut self) {
        if !self.was_pending && sigpipe_pending() {
            let set = sigpipe_set();
            let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: takes the pending SIGPIPE (blocked, so it cannot be delivered meanwhile)
            // without waiting; a null info pointer is allowed.
            unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        }
        // SAFETY: restores the mask this thread had before.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloexec_is_set() {
        // SAFETY: a plain eventfd; closed below.
        let fd = unsafe { libc::eventfd(0, 0) };
        assert!(fd >= 0);
        assert!(inheritable_eventfd(fd));
        seal_activated(fd, &[]).unwrap();
        assert!(!inheritable_eventfd(fd));
        // SAFETY: as above.
        assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC, 0);
        // SAFETY: our descriptor.
        unsafe { libc::close(fd) };
        assert!(set_cloexec(fd).is_err());
    }

    /// A write to a pipe with no reader: EPIPE, and the process lives on; no SIGPIPE is left
    /// pending once the guard is gone.
    #[test]
    fn sigpipe_is_blocked_and_taken_back() {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        // SAFETY: pipe fills the two descriptors, ours from now.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: ours, closed here: the write end has no reader any more.
        unsafe { libc::close(fds[0]) };
        // SAFETY: the write end is ours.
        let mut w = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        {
            let _quiet = SigpipeBlocked::new();
            let e = w.write_all(b"x").unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
            // (Rust's runtime ignores SIGPIPE, so none is pending here; the C test
            // test_stream checks a process with the default disposition.)
        }
        assert!(!sigpipe_pending());
    }
}
