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
}
