//! One `ssh` process running a remote command, as the remote NIC drives it.
//!
//! * Spawned without a shell (an argument vector, [`super::command::ssh_args`]), in a process
//!   group of its own: the application's Ctrl-C (sent to its foreground group) does not end it
//!   before a clean Stop; every descriptor of the library stays close-on-exec, so ssh inherits
//!   only its three standard ones.
//! * Its standard input is one end of a local socket pair: the library writes heartbeat bytes to
//!   it with `MSG_NOSIGNAL` (no SIGPIPE in the application when ssh is gone), and ends the remote
//!   command by shutting it down (the remote side sees end of file).
//! * Its standard output is read without blocking (the caller polls it with a timeout).
//! * Its standard error is read by a thread of its own, which keeps the last
//!   [`STDERR_TAIL`] bytes of text (for error messages) and the remote program's report lines
//!   (`@nmcap 1 ...`, at most [`MAX_REPORTS`]), which a caller can wait for.
//! * [`SshProcess::finish`] (and drop) end it: input closed, a bounded wait, then SIGTERM and
//!   SIGKILL to its group; it is always reaped, so no ssh outlives the capture that started it.

use super::command::{ssh_args, ssh_program, RemoteCommand, SshOptions};
use super::dest::Destination;
use super::diagnose::Exit;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of ssh's standard error kept for messages (the last ones).
pub(crate) const STDERR_TAIL: usize = 4096;
/// Report lines (`@nmcap ...`) kept; older ones are dropped.
pub(crate) const MAX_REPORTS: usize = 256;
/// The longest report line kept, in bytes (longer lines are cut).
const MAX_LINE: usize = 1024;

#[derive(Default)]
struct ErrState {
    tail: VecDeque<u8>,
    reports: VecDeque<String>,
    /// Reports taken by `next_report` so far (an index into the whole sequence).
    taken: u64,
    /// Reports received so far.
    received: u64,
    closed: bool,
}

struct ErrLog {
    state: Mutex<ErrState>,
    changed: Condvar,
}

/// A running `ssh` (see the module's documentation).
pub struct SshProcess {
    child: Child,
    input: UnixStream,
    output: ChildStdout,
    err: Arc<ErrLog>,
    drain: Option<std::thread::JoinHandle<()>>,
    exit: Option<Exit>,
}

/// Why `SshProcess::read_to_end` did not read the whole output.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadAll {
    /// More than the bound was written.
    TooLong,
    /// The deadline passed first.
    TimedOut,
}

/// Why ssh could not be started.
#[derive(Debug)]
pub struct SpawnError {
    pub program: std::ffi::OsString,
    pub error: std::io::Error,
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot run {}: {} (set NDISNPP_SSH or install the OpenSSH client)", self.program.to_string_lossy(), self.error)
    }
}

fn set_nonblocking(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor this process owns, with plain integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl SshProcess {
    /// Starts `ssh` to run `remote` on `dest`.
    pub fn spawn(dest: &Destination, options: &SshOptions, remote: &RemoteCommand) -> Result<SshProcess, SpawnError> {
        let program = ssh_program();
        let fail = |error: std::io::Error| SpawnError { program: program.clone(), error };
        // Both ends close-on-exec (std makes them with SOCK_CLOEXEC); the child's end becomes
        // its descriptor 0, which exec keeps.
        let (input, theirs) = UnixStream::pair().map_err(fail)?;
        let mut cmd = Command::new(&program);
        cmd.args(ssh_args(dest, options, remote)).stdin(Stdio::from(OwnedFd::from(theirs))).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        let mut child = cmd.spawn().map_err(fail)?;
        let output = child.stdout.take().expect("stdout was piped");
        let stderr = child.stderr.take().expect("stderr was piped");
        let finish_spawn = |child: &mut Child, e: std::io::Error| {
            let _ = child.kill();
            let _ = child.wait();
            fail(e)
        };
        if let Err(e) = set_nonblocking(output.as_raw_fd()) {
            return Err(finish_spawn(&mut child, e));
        }
        let err = Arc::new(ErrLog { state: Mutex::new(ErrState::default()), changed: Condvar::new() });
        let log = err.clone();
        let drain = std::thread::Builder::new().name("ndisnpp-ssh-err".into()).spawn(move || drain_stderr(stderr, &log));
        let drain = match drain {
            Ok(d) => d,
            Err(e) => return Err(finish_spawn(&mut child, e)),
        };
        Ok(SshProcess { child, input, output, err, drain: Some(drain), exit: None })
    }

    /// The ssh process's ID (also its process group's).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The descriptor to poll for the remote command's output.
    pub fn output_fd(&self) -> RawFd {
        self.output.as_raw_fd()
    }

    /// Reads what the remote command wrote (never blocks: `WouldBlock` when nothing is there;
    /// 0 at its end).
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.output.read(buf)
    }

    /// Reads the remote command's output to its end, polling until `deadline`: keeps it when
    /// `keep` bounds it (more than that many bytes is `ReadAll::TooLong`), else reads and drops it
    /// (so that the program never blocks on it). A read error is taken as the end.
    pub fn read_to_end(&mut self, keep: Option<usize>, deadline: Instant) -> Result<Vec<u8>, ReadAll> {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 << 10];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => {
                    if let Some(max) = keep {
                        if out.len() + n > max {
                            return Err(ReadAll::TooLong);
                        }
                        out.extend_from_slice(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(ReadAll::TimedOut);
                    }
                    let mut pfd = libc::pollfd { fd: self.output_fd(), events: libc::POLLIN, revents: 0 };
                    // SAFETY: one pollfd on the stack, for the duration of the call.
                    unsafe { libc::poll(&mut pfd, 1, 50) };
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(out),
            }
        }
    }

    /// Sends one heartbeat byte to the remote command's input (never blocks, never raises
    /// SIGPIPE; an error when ssh is gone or its input is full).
    pub fn heartbeat(&self) -> std::io::Result<()> {
        let b = [0u8; 1];
        // SAFETY: sends one byte from a live buffer on our own socket.
        let r = unsafe { libc::send(self.input.as_raw_fd(), b.as_ptr().cast(), 1, libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
        if r == 1 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Ends the remote command's input (it sees end of file and ends).
    pub fn close_input(&self) {
        let _ = self.input.shutdown(std::net::Shutdown::Write);
    }

    /// The next report line (`@nmcap ...`) not taken yet, waiting until `deadline` for one; None
    /// when none came by then or standard error ended without one.
    pub fn next_report(&self, deadline: Instant) -> Option<String> {
        let mut s = self.err.state.lock();
        loop {
            if s.taken < s.received {
                let oldest = s.received - s.reports.len() as u64;
                s.taken = s.taken.max(oldest);
                let line = s.reports[(s.taken - oldest) as usize].clone();
                s.taken += 1;
                return Some(line);
            }
            if s.closed || self.err.changed.wait_until(&mut s, deadline).timed_out() {
                return None;
            }
        }
    }

    /// The last bytes ssh and the remote command wrote on standard error, as text.
    pub fn stderr_tail(&self) -> String {
        let s = self.err.state.lock();
        let (a, b) = s.tail.as_slices();
        let mut v = a.to_vec();
        v.extend_from_slice(b);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// How ssh ended, if it has (never blocks).
    pub fn try_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none() {
            self.exit = match self.child.try_wait() {
                Ok(Some(st)) => Some(exit_of(st)),
                Ok(None) => None,
                // ECHILD: the application ignores SIGCHLD, so the kernel reaped it already.
                Err(_) => Some(Exit::Unknown),
            };
        }
        self.exit
    }

    /// Ends ssh: its input closed, then up to `grace` for it to exit by itself (the remote
    /// command finishing its output; the caller reads that output before, this does not), then
    /// SIGTERM to its process group and, a second later, SIGKILL. Returns how it ended; standard
    /// error has been read to its end (or for at most a second more).
    pub fn finish(&mut self, grace: Duration) -> Exit {
        self.close_input();
        let deadline = Instant::now() + grace;
        while self.try_exit().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.try_exit().is_none() {
            self.signal_group(libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(1);
            while self.try_exit().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if self.try_exit().is_none() {
            self.signal_group(libc::SIGKILL);
            self.exit = Some(self.child.wait().map(exit_of).unwrap_or(Exit::Unknown));
        }
        // ssh is gone; anything it started in its group too (SIGKILL), or its pipes would keep
        // standard error open. Wait for the reader to see the end, for a bounded time.
        {
            let mut s = self.err.state.lock();
            let until = Instant::now() + Duration::from_secs(1);
            while !s.closed && !self.err.changed.wait_until(&mut s, until).timed_out() {}
        }
        if self.err.state.lock().closed {
            if let Some(d) = self.drain.take() {
                let _ = d.join();
            }
        }
        self.exit.unwrap_or(Exit::Unknown)
    }

    fn signal_group(&self, sig: libc::c_int) {
        // SAFETY: kill() with our child's process group (made with process_group(0), so its ID
        // is the child's PID, not yet reaped: the ID cannot have been reused).
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), sig) };
    }
}

impl Drop for SshProcess {
    fn drop(&mut self) {
        if self.exit.is_none() {
            self.finish(Duration::ZERO);
        }
    }
}

fn exit_of(st: std::process::ExitStatus) -> Exit {
    match (st.code(), st.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        _ => Exit::Unknown,
    }
}

/// The standard-error reader: report lines into `reports`, everything into the bounded tail.
fn drain_stderr(mut stderr: std::process::ChildStderr, log: &ErrLog) {
    let mut buf = [0u8; 4096];
    let mut line: Vec<u8> = Vec::new();
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut s = log.state.lock();
        for &b in &buf[..n] {
            if s.tail.len() == STDERR_TAIL {
                s.tail.pop_front();
            }
            s.tail.push_back(b);
            if b == b'\n' {
                if line.starts_with(b"@nmcap ") {
                    let text = String::from_utf8_lossy(&line).into_owned();
                    if s.reports.len() == MAX_REPORTS {
                        s.reports.pop_front();
                    }
                    s.reports.push_back(text);
                    s.received += 1;
                }
                line.clear();
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
        drop(s);
        log.changed.notify_all();
    }
    log.state.lock().closed = true;
    log.changed.notify_all();
}
