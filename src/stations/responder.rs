//! The responder: one library thread per process that answers other stations' queries for every
//! capture registered with it, and the `Registration` that a capture holds while it answers.

use super::socket::{link_info, netns_id, packet_socket, poll_in, recv_from, send_to, takes_part, PACKET_OTHERHOST, PACKET_OUTGOING};
use super::wire::{decode_request, encode_response};
use super::{local_station, settings};
use crate::blob::names::*;
use crate::blob::{nic_name, Blob};
use crate::types::*;
use parking_lot::Mutex;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Responses sent per second at most (process-wide).
const ANSWER_RATE: u32 = 100;
/// How long the responder sleeps in poll when nothing happens (it is woken on every change).
const IDLE_POLL_MS: i32 = 5000;

struct Reg {
    id: u64,
    /// The NPP whose capture this is (for diagnosis).
    #[allow(dead_code)]
    npp: u64,
    ifname: String,
    ifindex: i32,
    netns: u64,
    mac: [u8; 6],
    fd: Arc<OwnedFd>,
}

struct Responder {
    /// The process the state belongs to (a forked child starts afresh).
    pid: u32,
    regs: Vec<Reg>,
    next_id: u64,
    running: bool,
    wake: Option<Arc<OwnedFd>>,
}

static RESPONDER: Mutex<Responder> = Mutex::new(Responder { pid: 0, regs: Vec::new(), next_id: 1, running: false, wake: None });
/// Query ids this process is waiting for answers to (its responder ignores them).
static OUTSTANDING: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Responses sent by this process (for tests and diagnosis).
static ANSWERS: AtomicU64 = AtomicU64::new(0);

impl Responder {
    /// Forgets what a parent process had (its thread does not exist in a forked child).
    fn own(&mut self) {
        let pid = std::process::id();
        if self.pid != pid {
            self.pid = pid;
            // Inherited descriptors are copies; dropping closes the child's copies only.
            self.regs.clear();
            self.running = false;
            self.wake = None;
        }
    }

    fn poke(&self) {
        if let Some(w) = &self.wake {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from `one` to an eventfd.
            let _ = unsafe { libc::write(w.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }
}

/// A capture that answers station queries; dropping it stops answering for it (and ends the
/// responder thread when it was the last).
#[derive(Debug)]
pub struct Registration {
    id: Option<u64>,
}

impl Registration {
    /// True when queries are answered for it (false when the interface or socket was not usable).
    pub fn is_active(&self) -> bool {
        self.id.is_some()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let mut r = RESPONDER.lock();
        if r.pid != std::process::id() {
            return;
        }
        r.regs.retain(|g| g.id != id);
        r.poke();
    }
}

/// Starts answering station queries on `ifname` for the capture of NPP `npp_handle`, with
/// `adapter_mac` as AdapterAddress. The socket is opened here, in the caller's network
/// namespace. When the interface is not Ethernet-like, gone, or the process lacks CAP_NET_RAW,
/// the registration is inert (nothing is answered) — a capture never fails because of it.
pub fn register(npp_handle: u64, ifname: &str, adapter_mac: [u8; 6]) -> Registration {
    let inert = Registration { id: None };
    let Ok(link) = link_info(ifname) else { return inert };
    if !takes_part(&link) {
        return inert;
    }
    let Ok(fd) = packet_socket(link.index, BONE_COMMAND_STATION_QUERY_REQUEST as u8) else { return inert };
    let netns = netns_id();
    let mut r = RESPONDER.lock();
    r.own();
    if r.wake.is_none() {
        // SAFETY: plain eventfd() call.
        let w = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if w < 0 {
            return inert;
        }
        // SAFETY: w is a fresh descriptor we own.
        r.wake = Some(Arc::new(unsafe { OwnedFd::from_raw_fd(w) }));
    }
    let id = r.next_id;
    r.next_id += 1;
    r.regs.push(Reg { id, npp: npp_handle, ifname: ifname.to_string(), ifindex: link.index, netns, mac: adapter_mac, fd: Arc::new(fd) });
    if r.running {
        r.poke();
    } else {
        let spawned = std::thread::Builder::new().name("ndisnpp-stations".into()).spawn(responder_thread);
        if spawned.is_err() {
            r.regs.retain(|g| g.id != id);
            return inert;
        }
        r.running = true;
    }
    Registration { id: Some(id) }
}

/// `register` for a capture about to start on `target` (the NPP's merged BLOB): None for a replay
/// file, a remote NIC (its link is on another host), or when `NPP:Config:AnswerStationQueries`
/// is FALSE.
pub fn register_for(npp_handle: u64, target: &Blob) -> Option<Registration> {
    if target.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_REPLAY_FILE.as_bytes()) || super::is_remote(target) || !settings(target).1 {
        return None;
    }
    let name = nic_name(target)?;
    let link = link_info(&name).ok()?;
    Some(register(npp_handle, &name, link.mac))
}

/// Recently answered (registration, query id, requester) and the rate limit.
struct AnswerLog {
    recent: std::collections::VecDeque<(u64, u32, [u8; 6])>,
    window: Instant,
    sent: u32,
}

impl AnswerLog {
    /// True when this answer may go out (not a repeat, within the rate); records it.
    fn admit(&mut self, reg: u64, id: u32, from: [u8; 6]) -> bool {
        if self.recent.contains(&(reg, id, from)) {
            return false;
        }
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = Instant::now();
            self.sent = 0;
        }
        if self.sent >= ANSWER_RATE {
            return false;
        }
        self.sent += 1;
        if self.recent.len() >= 256 {
            self.recent.pop_front();
        }
        self.recent.push_back((reg, id, from));
        true
    }
}

fn responder_thread() {
    let mut log = AnswerLog { recent: Default::default(), window: Instant::now(), sent: 0 };
    let mut buf = [0u8; 2048];
    loop {
        let (wake, regs) = {
            let mut r = RESPONDER.lock();
            if r.regs.is_empty() || r.pid != std::process::id() {
                if r.pid == std::process::id() {
                    r.running = false;
                }
                return;
            }
            let regs: Vec<(u64, i32, [u8; 6], Arc<OwnedFd>)> = r.regs.iter().map(|g| (g.id, g.ifindex, g.mac, g.fd.clone())).collect();
            (r.wake.clone().expect("set with the first registration"), regs)
        };
        let mut fds = vec![wake.as_raw_fd()];
        fds.extend(regs.iter().map(|g| g.3.as_raw_fd()));
        let ready = poll_in(&fds, IDLE_POLL_MS);
        if ready[0] {
            let mut v = 0u64;
            // SAFETY: reads 8 bytes into v from the eventfd.
            let _ = unsafe { libc::read(wake.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
        }
        for (i, (reg, ifindex, mac, fd)) in regs.iter().enumerate() {
            if !ready[i + 1] {
                continue;
            }
            while let Some((n, pkttype, from)) = recv_from(fd, &mut buf) {
                if pkttype == PACKET_OUTGOING || pkttype == PACKET_OTHERHOST {
                    continue;
                }
                let Some(id) = decode_request(&buf[..n.min(buf.len())]) else { continue };
                if OUTSTANDING.lock().contains(&id) {
                    continue; // this process's own query: it lists its captures itself
                }
                if !RESPONDER.lock().regs.iter().any(|g| g.id == *reg) {
                    break; // stopped meanwhile
                }
                if !log.admit(*reg, id, from) {
                    continue;
                }
                let msg = encode_response(id, &local_station(*mac));
                if send_to(fd, *ifindex, from, &msg).is_ok() {
                    ANSWERS.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Responses this process has sent so far.
pub fn answers_sent() -> u64 {
    ANSWERS.load(Ordering::Relaxed)
}

/// While it lives, the responder ignores query `id`: this process's own query, whose querier
/// lists the process's captures itself.
pub(super) struct Outstanding(u32);

impl Outstanding {
    pub(super) fn new(id: u32) -> Outstanding {
        OUTSTANDING.lock().push(id);
        Outstanding(id)
    }
}

impl Drop for Outstanding {
    fn drop(&mut self) {
        let mut o = OUTSTANDING.lock();
        if let Some(i) = o.iter().position(|x| *x == self.0) {
            o.swap_remove(i);
        }
    }
}

/// The adapter addresses of this process's answering captures on interface `ifname` (index
/// `ifindex`) in network namespace `netns`.
pub(super) fn own_captures(ifindex: i32, ifname: &str, netns: u64) -> Vec<[u8; 6]> {
    let mut r = RESPONDER.lock();
    r.own();
    r.regs.iter().filter(|g| g.ifindex == ifindex && g.ifname == ifname && g.netns == netns).map(|g| g.mac).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_log_dedupes_and_limits() {
        let mut log = AnswerLog { recent: Default::default(), window: Instant::now(), sent: 0 };
        assert!(log.admit(1, 5, [1; 6]));
        assert!(!log.admit(1, 5, [1; 6]));
        assert!(log.admit(2, 5, [1; 6]));
        assert!(log.admit(1, 6, [1; 6]));
        let mut n = 3;
        while log.admit(1, 1000 + n, [1; 6]) {
            n += 1;
        }
        assert_eq!(n, ANSWER_RATE);
    }
}
