//! The libpcap live source (the fallback of ring.rs) and the link watching both share.

use super::*;

/// The index of interface `name`, asked through socket `fd` (in the socket's network namespace).
pub(crate) fn interface_index(fd: libc::c_int, name: &str) -> Option<libc::c_int> {
    if name.len() >= libc::IFNAMSIZ {
        return None;
    }
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: SIOCGIFINDEX reads the NUL-terminated name and writes the index into the ifreq.
    if unsafe { libc::ioctl(fd, libc::SIOCGIFINDEX, &mut ifr) } != 0 {
        return None;
    }
    // SAFETY: SIOCGIFINDEX filled the index member of the union.
    Some(unsafe { ifr.ifr_ifru.ifru_ifindex })
}

/// Live capture on an interface.
///
/// The handle is non-blocking and the thread waits on its descriptor with its own poll timeout:
/// with TPACKET_V3, libpcap's own read timeout only retires blocks that hold a frame, so a blocking
/// read on a quiet link would never return and Stop would wait for traffic.
pub struct Live {
    pub(super) cap: pcap::Capture<pcap::Active>,
    pub(super) fd: libc::c_int,
    pub(super) linktype: u32,
    /// True when the Netmon capture filter runs in the kernel (the pcap-filter expression, when
    /// given, always does).
    pub kernel_filter: bool,
    pub(super) link: LinkWatch,
    /// A batch read (`each_ready`) failed with libpcap's message: reported by the next `next`.
    pub(super) failed: Option<String>,
}

/// The link of a live source's interface, watched through its capture socket: errors the socket
/// reports, the interface's flags, and what was last reported (shared by `Live` and the ring).
pub(crate) struct LinkWatch {
    pub(super) fd: libc::c_int,
    /// The interface's index (0: unknown, no link checks): the socket is bound to it, so another
    /// interface that later takes the same name is not this one.
    pub(super) ifindex: libc::c_int,
    /// The link was last reported down (`Next::Link(false)`).
    pub(super) link_down: bool,
    /// When the link state was last read while all was quiet.
    pub(super) last_link_check: Instant,
}

/// The state of a live source's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkState {
    /// Administratively up with a carrier.
    Up,
    /// Down, or without a carrier.
    Down,
    /// Removed (its index names no interface any more).
    Gone,
}

/// How often a quiet live source reads its link state (a carrier lost without an error on the
/// socket is seen within this time).
pub(super) const LINK_CHECK_EVERY: Duration = Duration::from_secs(1);

/// One frame found by `Live::read`: its bytes stay in libpcap's ring until the next read.
pub(super) struct RawFrame {
    pub(super) ts: Timestamp,
    pub(super) wire_len: u32,
    pub(super) data: *const u8,
    pub(super) len: usize,
}

impl Live {
    /// Opens the interface. A `filter` that libpcap can express is compiled into the kernel
    /// (frames that fail it never reach user space); when it cannot be installed the capture
    /// thread applies it in user space, which agrees by construction (see src/filter). `bpf`, a
    /// pcap-filter expression, is compiled for this handle and set with `pcap_setfilter` (in the
    /// kernel; libpcap filters in user space itself when the kernel refuses the program), together
    /// with `filter` when the two compile as one; one that does not compile is
    /// `OpenError::Filter` with libpcap's message.
    pub fn open(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<Live, OpenError> {
        use std::os::unix::io::AsRawFd;
        let snaplen = if s.snaplen == 0 { 262_144 } else { s.snaplen.clamp(1, 262_144) };
        let mut inactive = pcap::Capture::from_device(name)
            .map_err(|e| classify(pcap_message(e)))?
            .promisc(s.promiscuous)
            .snaplen(snaplen as i32)
            .timeout(POLL_TIMEOUT_MS)
            .immediate_mode(false);
        if s.buffer_size > 0 {
            inactive = inactive.buffer_size(s.buffer_size.min(i32::MAX as u32) as i32);
        }
        let before = crate::capture::fds::open_fds();
        let mut cap = inactive.open().map_err(|e| classify(pcap_message(e)))?;
        // libpcap opens its packet socket and eventfd without FD_CLOEXEC (see fds.rs).
        crate::capture::fds::seal_activated(cap.as_raw_fd(), &before).map_err(|e| OpenError::Other(format!("{name}: close-on-exec: {e}")))?;
        if crate::capture::devices::is_loopback(name) {
            // Every frame on a loopback device passes twice: sent (PACKET_OUTGOING) and received.
            // Keep only the received copy, as libpcap's own loopback rule and tcpdump do, so that
            // each frame is captured and counted once whatever libpcap's heuristics do on this
            // kernel (libpcap checks the packet type of each frame in user space).
            cap.direction(pcap::Direction::In).map_err(|e| OpenError::Other(pcap_message(e)))?;
        }
        let linktype = cap.get_datalink().0 as u32;
        let mut kernel_filter = false;
        let netmon = filter.and_then(|f| f.to_bpf(linktype));
        match (netmon, bpf) {
            (None, None) => {}
            (Some(n), None) => kernel_filter = cap.filter(&n, true).is_ok(),
            (n, Some(b)) => {
                let both = n.map(|n| format!("({n}) and ({b})"));
                let accepted = |t: &String| cap.compile(t, true).is_ok_and(|p| crate::filter::BpfFilter::kernel_accepts_program(&p));
                kernel_filter = both.filter(accepted).is_some_and(|t| cap.filter(&t, true).is_ok());
                if !kernel_filter {
                    cap.filter(b, true).map_err(|e| OpenError::Filter(pcap_message(e)))?;
                }
            }
        }
        let cap = cap.setnonblock().map_err(|e| OpenError::Other(pcap_message(e)))?;
        let fd = cap.as_raw_fd();
        let ifindex = interface_index(fd, name).unwrap_or(0);
        Ok(Live { cap, fd, linktype, kernel_filter, link: LinkWatch::new(fd, ifindex), failed: None })
    }

    pub(super) fn read(&mut self) -> Result<Option<RawFrame>, String> {
        match self.cap.next_packet() {
            Ok(p) => {
                Ok(Some(RawFrame { ts: live_time(p.header.ts.tv_sec, p.header.ts.tv_usec), wire_len: p.header.len, data: p.data.as_ptr(), len: p.data.len() }))
            }
            // Non-blocking: nothing ready.
            Err(pcap::Error::TimeoutExpired) => Ok(None),
            Err(e) => Err(pcap_message(e)),
        }
    }
}

/// A frame's time as the live handle gives it (microseconds).
fn live_time(sec: i64, usec: i64) -> Timestamp {
    Timestamp { sec, nsec: (usec as u32).saturating_mul(1000) }
}

/// Waits up to the poll timeout for `fd` to be readable; true when it reported an error/hang-up.
pub(crate) fn wait_readable(fd: libc::c_int) -> bool {
    wait_readable_for(fd, POLL_TIMEOUT_MS)
}

/// `wait_readable` for up to `ms`.
pub(crate) fn wait_readable_for(fd: libc::c_int, ms: i32) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    n > 0 && pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
}

impl LinkWatch {
    /// Watches interface `ifindex` (0: unknown) through socket `fd`. An interface that is down
    /// already is reported (and counted) at the first quiet look, so that every "up" follows a
    /// "down".
    pub(crate) fn new(fd: libc::c_int, ifindex: libc::c_int) -> LinkWatch {
        LinkWatch { fd, ifindex, link_down: false, last_link_check: Instant::now() }
    }

    /// True when the link was reported down and is up again (report `Next::Link(true)`).
    pub(crate) fn came_back(&mut self) -> bool {
        if self.link_down && self.link_state() == LinkState::Up {
            self.link_down = false;
            return true;
        }
        false
    }

    /// Nothing arrived during a wait: every LINK_CHECK_EVERY, has the carrier gone (no error on
    /// the socket says so)? Then what to report.
    pub(crate) fn quiet_look(&mut self) -> Option<Next<'static>> {
        if self.last_link_check.elapsed() < LINK_CHECK_EVERY {
            return None;
        }
        self.last_link_check = Instant::now();
        match self.link_state() {
            LinkState::Up => None,
            _ => Some(self.on_trouble(None)),
        }
    }

    /// The interface's state, asked through the capture socket (so in its network namespace,
    /// whatever namespace the calling thread is in), by index: a renamed interface is still
    /// this one.
    pub(super) fn link_state(&self) -> LinkState {
        if self.ifindex == 0 {
            return LinkState::Up;
        }
        // SAFETY: ifreq is plain data; all-zero is a valid value.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        ifr.ifr_ifru.ifru_ifindex = self.ifindex;
        // SAFETY: SIOCGIFNAME reads the index and writes the name into the ifreq we own.
        if unsafe { libc::ioctl(self.fd, libc::SIOCGIFNAME, &mut ifr) } != 0 {
            return match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::ENODEV | libc::ENXIO) => LinkState::Gone,
                // Cannot tell: assume it is there (a read error still ends the capture).
                _ => LinkState::Up,
            };
        }
        // SAFETY: SIOCGIFFLAGS reads the name just written and writes the flags into the ifreq.
        if unsafe { libc::ioctl(self.fd, libc::SIOCGIFFLAGS, &mut ifr) } != 0 {
            return LinkState::Gone;
        }
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        let flags = unsafe { ifr.ifr_ifru.ifru_flags } as libc::c_int;
        if flags & libc::IFF_UP != 0 && flags & libc::IFF_RUNNING != 0 {
            LinkState::Up
        } else {
            LinkState::Down
        }
    }

    /// Reads and clears the socket's pending error (the kernel sets ENETDOWN when the interface
    /// goes down; poll reports POLLERR until it is read). 0 when there was none.
    pub(super) fn take_socket_error(&self) -> libc::c_int {
        let mut err: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: SO_ERROR writes one int into `err`, of the length given.
        let r = unsafe { libc::getsockopt(self.fd, libc::SOL_SOCKET, libc::SO_ERROR, (&mut err as *mut libc::c_int).cast(), &mut len) };
        if r == 0 {
            err
        } else {
            0
        }
    }

    /// The read failed (`msg`, from libpcap) or the socket reported an error (`msg` None): the
    /// interface is gone (the capture ends), or its link went down (reported once; the capture
    /// goes on). An error on an interface that is up and there is a failure.
    pub(crate) fn on_trouble(&mut self, msg: Option<String>) -> Next<'static> {
        let err = self.take_socket_error();
        if self.ifindex == 0 {
            // No interface to look at (e.g. the `any` device): an error ends the capture.
            return Next::Failed(msg.unwrap_or_else(|| "the capture socket reported an error".to_string()));
        }
        let state = self.link_state();
        self.last_link_check = Instant::now();
        let netdown = err == libc::ENETDOWN
            || match &msg {
                None => err == 0,
                Some(m) => m.contains("went down") || m.contains("disappeared"),
            };
        match state {
            LinkState::Gone => Next::Failed(msg.map_or_else(|| "the interface disappeared".to_string(), |m| format!("{m} (the interface is gone)"))),
            LinkState::Up if !netdown => Next::Failed(msg.unwrap_or_else(|| std::io::Error::from_raw_os_error(err).to_string())),
            // Down, or up again already (a short flap: reported down now, up at the next call).
            _ if self.link_down => Next::Idle,
            _ => {
                self.link_down = true;
                Next::Link(false)
            }
        }
    }
}

impl Source for Live {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        if let Some(m) = self.failed.take() {
            return self.link.on_trouble(Some(m));
        }
        if self.link.came_back() {
            return Next::Link(true);
        }
        let mut r = self.read();
        if let Ok(None) = r {
            // Waits also after Stop: frames of a ring block the kernel has not retired yet become
            // readable only when it does (within the poll timeout), and Stop drains them.
            before_wait();
            let trouble = wait_readable(self.fd);
            r = self.read();
            if trouble && matches!(r, Ok(None)) {
                return self.link.on_trouble(None);
            }
            if matches!(r, Ok(None)) {
                if let Some(n) = self.link.quiet_look() {
                    return n;
                }
            }
        }
        match r {
            // SAFETY: the bytes are in libpcap's ring and stay valid until the next read on this
            // handle, which needs `&mut self` again, so not before the returned Frame is gone.
            Ok(Some(f)) => Next::Frame(Frame { ts: f.ts, wire_len: f.wire_len, data: unsafe { std::slice::from_raw_parts(f.data, f.len) } }),
            Ok(None) => Next::Idle,
            Err(m) => self.link.on_trouble(Some(m)),
        }
    }

    /// A batch: one `pcap_dispatch` over what libpcap's ring holds, without waiting (the handle
    /// is non-blocking), stopped after the frame `each` answers false to (`dispatch`). A read
    /// that fails is reported by the next `next`.
    fn each_ready(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
        if self.failed.is_some() {
            return 0;
        }
        let (n, failed) = dispatch(&mut self.cap, each, &live_time);
        self.failed = failed;
        n
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        self.cap.stats().ok().map(|s| KernelStats { received: s.received as u64, dropped: s.dropped as u64, if_dropped: s.if_dropped as u64 })
    }

    fn kernel_filtered(&self) -> bool {
        self.kernel_filter
    }

    fn is_live(&self) -> bool {
        true
    }
}
