//! The remote NIC's source: the frames a capture program on another host streams as pcapng
//! over ssh (crate::remote), read without blocking and parsed as they arrive
//! (capfile::pcapng_stream).
//!
//! The remote program reports on its standard error, one line each (`@nmcap 1 ...`): `ready`
//! once it captures, `link down` / `link up`, and `end NMERR_NAME` when it ends. Its interface
//! statistics blocks carry the remote kernel's counters (this source's `kernel_stats`).
//! Its input is a heartbeat: a byte every [`HEARTBEAT`]; closing it (at Stop) makes it flush,
//! report its end and exit.

use super::{Frame, KernelStats, Next, Source, POLL_TIMEOUT_MS};
use crate::capfile::pcapng_stream::{Raw, StreamReader};
use crate::nmerr::NmErr;
use crate::remote::command::{RemoteCommand, SshOptions};
use crate::remote::dest::Destination;
use crate::remote::diagnose::{diagnose, end_report, Diagnosis};
use crate::remote::process::SshProcess;
use std::time::{Duration, Instant};

/// How often the remote program is told this side is still there.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// Bytes read from ssh at a time.
const READ_SIZE: usize = 64 << 10;
/// How long the end of a capture waits for the remote program and ssh to exit by themselves
/// (after its input was closed) before they are killed.
const END_GRACE: Duration = Duration::from_secs(2);

/// A remote capture (see the module's documentation).
pub struct RemoteSource {
    ssh: SshProcess,
    reader: StreamReader,
    linktype: u32,
    program: String,
    stats: KernelStats,
    last_heartbeat: Instant,
    /// Stop was seen: the remote program's input is closed.
    stopping: bool,
    /// The stream ended (ssh's output closed).
    at_end: bool,
    /// The remote program reported its end (the NMERR it named).
    ended: Option<NmErr>,
}

/// Waits until `fd` is readable or `ms` passed.
fn wait_for(fd: std::os::fd::RawFd, ms: i32) {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd on the stack, for the duration of the call.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

impl RemoteSource {
    /// Runs `command` on `dest` (the remote capture program, `program` its name for messages)
    /// and waits until it reports `ready` and its stream has declared its interface, at most
    /// until `deadline`. The error is the failure diagnosed (crate::remote::diagnose).
    pub fn start(dest: &Destination, options: &SshOptions, command: &RemoteCommand, program: &str, deadline: Instant) -> Result<RemoteSource, Diagnosis> {
        let ssh = SshProcess::spawn(dest, options, command).map_err(|e| Diagnosis { code: NmErr::NMERR_RPC_REMOTE_FAILURE, detail: e.to_string() })?;
        let mut s = RemoteSource {
            ssh,
            reader: StreamReader::new(),
            linktype: 0,
            program: program.to_owned(),
            stats: KernelStats::default(),
            last_heartbeat: Instant::now(),
            stopping: false,
            at_end: false,
            ended: None,
        };
        let mut ready = false;
        let mut interface = None;
        loop {
            while let Some(r) = s.ssh.next_report(Instant::now()) {
                if r.trim_end() == "@nmcap 1 ready" {
                    ready = true;
                } else if end_report(&r).is_some() {
                    return Err(s.failure());
                }
            }
            if ready && interface.is_some() {
                break;
            }
            // Blocks are taken up to the interface's only: the frames after it stay in the reader
            // for `next` (they may arrive before the readiness report does).
            let block = if interface.is_none() { s.reader.next_raw() } else { Ok(None) };
            match block {
                Ok(Some(Raw::Interface { linktype, .. })) => interface = Some(u32::from(linktype)),
                Ok(Some(_)) => {}
                Ok(None) => {
                    if s.at_end {
                        return Err(s.failure());
                    }
                    if Instant::now() >= deadline {
                        let mut d = s.failure();
                        if d.code == NmErr::NMERR_RPC_REMOTE_FAILURE {
                            d = Diagnosis {
                                code: NmErr::NMERR_TIMEOUT,
                                detail: format!("the remote {program} did not start capturing in time ({})", d.detail),
                            };
                        }
                        return Err(d);
                    }
                    s.read_some(POLL_TIMEOUT_MS);
                }
                Err(e) => {
                    return Err(Diagnosis {
                        code: NmErr::NMERR_INVALID_FILE_FORMAT,
                        detail: format!("the remote {program}'s output is not a pcapng stream: {e}"),
                    })
                }
            }
        }
        s.linktype = interface.unwrap_or(1);
        Ok(s)
    }

    /// Runs the remote program's probe (`command`: crate::remote::command::probe_command) and
    /// waits, at most until `deadline`, for it to end: Ok when it exited 0 and reported
    /// `@nmcap 1 ok`. Nothing is captured.
    pub fn probe(dest: &Destination, options: &SshOptions, command: &RemoteCommand, program: &str, deadline: Instant) -> Result<(), Diagnosis> {
        let mut ssh = SshProcess::spawn(dest, options, command).map_err(|e| Diagnosis { code: NmErr::NMERR_RPC_REMOTE_FAILURE, detail: e.to_string() })?;
        ssh.close_input();
        // The output is not used; read so that the program never blocks on it.
        if ssh.read_to_end(None, deadline).is_err() {
            let d = diagnose(ssh.finish(Duration::ZERO), &ssh.stderr_tail(), program);
            return Err(Diagnosis { code: NmErr::NMERR_TIMEOUT, detail: format!("no answer from the remote {program} in time ({})", d.detail) });
        }
        let exit = ssh.finish(END_GRACE);
        let tail = ssh.stderr_tail();
        let ok = tail.lines().any(|l| l.starts_with("@nmcap 1 ok"));
        match exit {
            crate::remote::diagnose::Exit::Code(0) if ok => Ok(()),
            crate::remote::diagnose::Exit::Code(0) => Err(Diagnosis {
                code: NmErr::NMERR_REMOTE_VERSION_OUTOFSYNC,
                detail: format!("the remote {program} did not answer as ndisnpp's nmcap (protocol 1) does"),
            }),
            _ => Err(diagnose(exit, &tail, program)),
        }
    }

    /// Reads what ssh has (waiting at most `wait_ms` when nothing is there); notes the end.
    fn read_some(&mut self, wait_ms: i32) -> bool {
        let buf = self.reader.space(READ_SIZE);
        let r = self.ssh.read(buf);
        match r {
            Ok(0) => {
                self.reader.commit(0, READ_SIZE);
                self.at_end = true;
                false
            }
            Ok(n) => {
                self.reader.commit(n, READ_SIZE);
                true
            }
            Err(e) => {
                self.reader.commit(0, READ_SIZE);
                if e.kind() == std::io::ErrorKind::WouldBlock {
                    if wait_ms > 0 {
                        wait_for(self.ssh.output_fd(), wait_ms);
                    }
                } else if e.kind() != std::io::ErrorKind::Interrupted {
                    self.at_end = true;
                }
                false
            }
        }
    }

    /// The diagnosis of a remote program or ssh that ended (waited for, killed when it does
    /// not end by itself).
    fn failure(&mut self) -> Diagnosis {
        let exit = self.ssh.finish(END_GRACE);
        diagnose(exit, &self.ssh.stderr_tail(), &self.program)
    }

    /// True once the remote program's stream ended (at Stop: after it reported its end).
    pub fn has_ended(&self) -> bool {
        self.at_end
    }

    fn heartbeat_when_due(&mut self) {
        if !self.stopping && self.last_heartbeat.elapsed() >= HEARTBEAT {
            self.last_heartbeat = Instant::now();
            let _ = self.ssh.heartbeat();
        }
    }
}

impl Source for RemoteSource {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        let mut waited = false;
        loop {
            match self.reader.next_raw() {
                Ok(Some(Raw::Frame { ts, wire_len, data, .. })) => return Next::Frame(Frame { ts, wire_len, data: self.reader.bytes(data) }),
                Ok(Some(Raw::Stats { received, dropped, .. })) => {
                    if let Some(r) = received {
                        self.stats.received = r;
                    }
                    if let Some(d) = dropped {
                        self.stats.dropped = d;
                    }
                    continue;
                }
                Ok(Some(Raw::Interface { linktype, .. })) => {
                    if u32::from(linktype) != self.linktype {
                        return Next::Failed(format!("the remote {} changed link type ({} to {linktype})", self.program, self.linktype));
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => return Next::Failed(format!("the remote {}'s stream is damaged: {e}", self.program)),
            }
            while let Some(r) = self.ssh.next_report(Instant::now()) {
                match r.trim_end() {
                    "@nmcap 1 link down" => return Next::Link(false),
                    "@nmcap 1 link up" => return Next::Link(true),
                    line => {
                        if let Some(e) = end_report(line) {
                            self.ended = Some(e);
                        }
                    }
                }
            }
            if self.at_end {
                // The output ended: wait for ssh to end and its standard error to be read to its
                // end, so that the report of the end (which may come after the output's end) is
                // seen before deciding how the capture ended.
                let d = self.failure();
                while let Some(r) = self.ssh.next_report(Instant::now()) {
                    if let Some(e) = end_report(&r) {
                        self.ended = Some(e);
                    }
                }
                if self.stopping && self.ended.is_some_and(|e| e == NmErr::NMERR_SUCCESS) {
                    return Next::Idle;
                }
                if self.stopping {
                    return Next::Failed(format!("the remote capture did not end cleanly: {}", d.detail));
                }
                // The remote program reported why it ended (its interface went away, ...): its NMERR.
                if let Some(e) = self.ended.filter(|&e| e != NmErr::NMERR_SUCCESS && e != NmErr::NMERR_LOST_CONNECTION) {
                    return Next::Failed(format!("the remote capture ended: {} ({})", e.name(), d.detail));
                }
                return Next::Lost(format!("lost the remote capture: {}", d.detail));
            }
            if self.read_some(0) {
                continue;
            }
            if self.at_end {
                continue;
            }
            if waited {
                return Next::Idle;
            }
            if before_wait() && !self.stopping {
                // Stop: the remote program flushes what it has, reports its end and exits.
                self.stopping = true;
                self.ssh.close_input();
            }
            self.heartbeat_when_due();
            self.read_some(POLL_TIMEOUT_MS);
            waited = true;
        }
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        Some(self.stats)
    }

    fn is_live(&self) -> bool {
        true
    }
}

impl Drop for RemoteSource {
    fn drop(&mut self) {
        self.ssh.finish(END_GRACE);
    }
}
