//! Frame sources: a live interface through libpcap (TPACKET_V3 ring, never immediate mode; the
//! fallback of the library's own ring reader, ring.rs) and a replay of a pcap/pcapng file (the
//! "replay NIC" of the README).

use crate::capfile::Timestamp;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long one `next` call may wait for traffic: it bounds how late a Stop or Pause is seen.
pub(crate) const POLL_TIMEOUT_MS: i32 = 50;

/// One frame as the source delivers it.
pub struct Frame<'a> {
    pub ts: Timestamp,
    /// Length on the wire.
    pub wire_len: u32,
    /// Captured bytes (at most the snap length).
    pub data: &'a [u8],
}

/// What `next` found.
pub enum Next<'a> {
    Frame(Frame<'a>),
    /// Nothing arrived within the poll timeout.
    Idle,
    /// The source cannot deliver any more (the interface went away, a read failed).
    Failed(String),
    /// The link went down (false) or came back up (true). The capture goes on: a live source
    /// delivers the frames that arrive once the link is back.
    Link(bool),
    /// A replay file holds a record that cannot be read (cut short, impossible length): the
    /// frames before it were delivered; nothing after it will be.
    Corrupt(String),
}

/// Kernel-side counters (pcap_stats): frames the kernel saw and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    pub received: u64,
    pub dropped: u64,
    pub if_dropped: u64,
}

/// A source of frames for the capture thread.
pub trait Source: Send {
    /// The next frame, waiting at most about `POLL_TIMEOUT_MS`. Before the source waits (for
    /// traffic, or for a paced frame's time) it calls `before_wait`, so that the capture thread
    /// can publish what it counted while nothing happens.
    /// `before_wait` answers true once Stop was called: a source that has nothing to drain then
    /// need not wait (a replay: nothing more arrives while it would sleep).
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_>;
    /// pcap LINKTYPE_* of the frames.
    fn linktype(&self) -> u32;
    /// Kernel counters since the source opened, if it has any.
    fn kernel_stats(&mut self) -> Option<KernelStats>;
    /// True when the capture filter already runs in the kernel for this source (frames it
    /// delivers have passed it).
    fn kernel_filtered(&self) -> bool {
        false
    }
    /// True for a live interface (a kernel ring that overflows when it is not read in time).
    fn is_live(&self) -> bool {
        false
    }
    /// True when nothing overflows while the capture thread waits (an unpaced replay: the file
    /// simply waits to be read), so a consumer that is behind may be waited for instead of
    /// losing frames.
    fn can_wait(&self) -> bool {
        false
    }
}

/// Why a live source could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// No such interface.
    NoDevice(String),
    /// The process lacks CAP_NET_RAW (or the right to capture on this interface).
    Permission(String),
    /// The interface refused promiscuous mode.
    Promiscuous(String),
    /// Any other libpcap failure; for a replay file: it cannot be read.
    Other(String),
    /// Replay file missing.
    FileNotFound(String),
    /// Replay file is not a pcap/pcapng file.
    BadFile(String),
}

/// Settings of a live capture.
#[derive(Clone, Copy, Debug)]
pub struct LiveSettings {
    /// Bytes kept per frame (0 = whole frame).
    pub snaplen: u32,
    /// Kernel ring size in bytes (0 = libpcap's default, 2 MiB).
    pub buffer_size: u32,
    pub promiscuous: bool,
}

fn classify(msg: String) -> OpenError {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        OpenError::Permission(msg)
    } else if lower.contains("no such device") || lower.contains("doesn't exist") || lower.contains("does not exist") {
        OpenError::NoDevice(msg)
    } else if lower.contains("promisc") {
        OpenError::Promiscuous(msg)
    } else {
        OpenError::Other(msg)
    }
}

fn pcap_message(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s,
        other => other.to_string(),
    }
}

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
    cap: pcap::Capture<pcap::Active>,
    fd: libc::c_int,
    linktype: u32,
    /// True when the capture filter runs in the kernel.
    pub kernel_filter: bool,
    link: LinkWatch,
}

/// The link of a live source's interface, watched through its capture socket: errors the socket
/// reports, the interface's flags, and what was last reported (shared by `Live` and the ring).
pub(crate) struct LinkWatch {
    fd: libc::c_int,
    /// The interface's index (0: unknown, no link checks): the socket is bound to it, so another
    /// interface that later takes the same name is not this one.
    ifindex: libc::c_int,
    /// The link was last reported down (`Next::Link(false)`).
    link_down: bool,
    /// When the link state was last read while all was quiet.
    last_link_check: Instant,
}

/// The state of a live source's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkState {
    /// Administratively up with a carrier.
    Up,
    /// Down, or without a carrier.
    Down,
    /// Removed (its index names no interface any more).
    Gone,
}

/// How often a quiet live source reads its link state (a carrier lost without an error on the
/// socket is seen within this time).
const LINK_CHECK_EVERY: Duration = Duration::from_secs(1);

/// One frame found by `Live::read`: its bytes stay in libpcap's ring until the next read.
struct RawFrame {
    ts: Timestamp,
    wire_len: u32,
    data: *const u8,
    len: usize,
}

impl Live {
    /// Opens the interface. A `filter` that libpcap can express is compiled into the kernel
    /// (frames that fail it never reach user space); the capture thread applies it again in user
    /// space, which agrees by construction (see src/filter), so a filter that cannot be installed
    /// still holds.
    pub fn open(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>) -> Result<Live, OpenError> {
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
        let before = super::fds::open_fds();
        let mut cap = inactive.open().map_err(|e| classify(pcap_message(e)))?;
        // libpcap opens its packet socket and eventfd without FD_CLOEXEC (see fds.rs).
        super::fds::seal_activated(cap.as_raw_fd(), &before).map_err(|e| OpenError::Other(format!("{name}: close-on-exec: {e}")))?;
        if super::devices::is_loopback(name) {
            // Every frame on a loopback device passes twice: sent (PACKET_OUTGOING) and received.
            // Keep only the received copy, as libpcap's own loopback rule and tcpdump do, so that
            // each frame is captured and counted once whatever libpcap's heuristics do on this
            // kernel (libpcap checks the packet type of each frame in user space).
            cap.direction(pcap::Direction::In).map_err(|e| OpenError::Other(pcap_message(e)))?;
        }
        let linktype = cap.get_datalink().0 as u32;
        let mut kernel_filter = false;
        if let Some(expr) = filter.and_then(|f| f.to_bpf(linktype)) {
            kernel_filter = cap.filter(&expr, true).is_ok();
        }
        let cap = cap.setnonblock().map_err(|e| OpenError::Other(pcap_message(e)))?;
        let fd = cap.as_raw_fd();
        let ifindex = interface_index(fd, name).unwrap_or(0);
        Ok(Live { cap, fd, linktype, kernel_filter, link: LinkWatch::new(fd, ifindex) })
    }

    fn read(&mut self) -> Result<Option<RawFrame>, String> {
        match self.cap.next_packet() {
            Ok(p) => Ok(Some(RawFrame {
                ts: Timestamp { sec: p.header.ts.tv_sec, nsec: (p.header.ts.tv_usec as u32).saturating_mul(1000) },
                wire_len: p.header.len,
                data: p.data.as_ptr(),
                len: p.data.len(),
            })),
            // Non-blocking: nothing ready.
            Err(pcap::Error::TimeoutExpired) => Ok(None),
            Err(e) => Err(pcap_message(e)),
        }
    }
}

/// Waits up to the poll timeout for `fd` to be readable; true when it reported an error/hang-up.
pub(crate) fn wait_readable(fd: libc::c_int) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, POLL_TIMEOUT_MS) };
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
    fn link_state(&self) -> LinkState {
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
    fn take_socket_error(&self) -> libc::c_int {
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

/// The records of a classic pcap file, read in large pieces and handed out in place (no copy,
/// one `pread` per `READ_SIZE`). libpcap reads such a file with two `fread` calls per record,
/// which cost a third of a replay of small frames; it still checks the file header and names the
/// link type (see `Replay::open`), and reads every other format.
struct ClassicPcap {
    /// Read with `pread` at `offset`: libpcap holds a descriptor of the same open file.
    file: std::fs::File,
    offset: u64,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Fields are big-endian (the file was written on the other byte order).
    swapped: bool,
    /// The timestamp's second field holds nanoseconds (magic 0xA1B23C4D).
    nanos: bool,
    /// The file's snap length (records longer than it are cut, as libpcap does).
    snaplen: u32,
}

/// Bytes read per `read` call by `ClassicPcap`.
const READ_SIZE: usize = 1 << 20;
/// The largest record libpcap accepts (its limit for most link types).
const MAX_RECORD: u32 = 262_144;

impl ClassicPcap {
    /// Recognises a classic pcap file header that this reader handles like libpcap: (big-endian
    /// fields, nanosecond timestamps, snap length). None for any other format or version, and for
    /// link types whose records libpcap allows beyond 262144 bytes or fixes up (USB, NFLOG ...):
    /// those stay with libpcap.
    fn header(h: &[u8; 24]) -> Option<(bool, bool, u32)> {
        let (swapped, nanos) = classic_pcap_magic([h[0], h[1], h[2], h[3]])?;
        let field = |at: usize| {
            let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
            if swapped {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let half = |at: usize| if swapped { u16::from_be_bytes([h[at], h[at + 1]]) } else { u16::from_le_bytes([h[at], h[at + 1]]) };
        if (half(4), half(6)) != (2, 4) {
            return None;
        }
        // LINKTYPE_ETHERNET, _RAW, _LINUX_SLL, _IPV4, _IPV6, _LINUX_SLL2 (FCS bits clear).
        if !matches!(field(20), 1 | 101 | 113 | 228 | 229 | 276) {
            return None;
        }
        let snaplen = field(16);
        let snaplen = if snaplen == 0 || snaplen > MAX_RECORD { MAX_RECORD } else { snaplen };
        Some((swapped, nanos, snaplen))
    }

    /// A reader of `file` (a regular file) if it is in classic pcap format, positioned at its
    /// first record.
    fn open(file: &std::fs::File) -> std::io::Result<Option<ClassicPcap>> {
        use std::os::unix::fs::FileExt;
        let mut h = [0u8; 24];
        if file.read_exact_at(&mut h, 0).is_err() {
            return Ok(None);
        }
        let Some((swapped, nanos, snaplen)) = Self::header(&h) else { return Ok(None) };
        Ok(Some(ClassicPcap {
            file: file.try_clone()?,
            offset: 24,
            // Room for a read and for the longest record left over from the one before.
            buf: vec![0; READ_SIZE.max(2 * (16 + MAX_RECORD as usize))],
            start: 0,
            end: 0,
            eof: false,
            swapped,
            nanos,
            snaplen,
        }))
    }

    /// Makes at least `n` unread bytes available unless the file ends first; false then.
    #[inline]
    fn fill(&mut self, n: usize) -> Result<bool, String> {
        // Almost every call: the bytes are already read.
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.fill_more(n)
    }

    #[cold]
    fn fill_more(&mut self, n: usize) -> Result<bool, String> {
        use std::os::unix::fs::FileExt;
        while self.end - self.start < n && !self.eof {
            if self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let room = self.buf.len() - self.end;
            match self.file.read_at(&mut self.buf[self.end..self.end + room.min(READ_SIZE)], self.offset) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    self.end += k;
                    self.offset += k as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(self.end - self.start >= n)
    }

    /// The four fields of the record header at `at` (seconds, sub-second part, captured length,
    /// length on the wire), in this machine's byte order.
    #[inline]
    fn record_header(&self, at: usize) -> [u32; 4] {
        let h: &[u8; 16] = self.buf[at..at + 16].try_into().expect("16 bytes");
        std::array::from_fn(|i| {
            let b = [h[4 * i], h[4 * i + 1], h[4 * i + 2], h[4 * i + 3]];
            if self.swapped {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        })
    }

    /// The next record, `Ok(None)` at the end of the file; an error for a record that is cut
    /// short or longer than any record can be (the messages follow libpcap's).
    fn next(&mut self) -> Result<Option<Frame<'_>>, String> {
        if !self.fill(16)? {
            let left = self.end - self.start;
            if left == 0 {
                return Ok(None);
            }
            return Err(format!("truncated dump file; tried to read 16 header bytes, only got {left}"));
        }
        let at = self.start;
        let [sec, frac, caplen, wire_len] = self.record_header(at);
        if caplen > MAX_RECORD {
            return Err(format!("invalid packet capture length {caplen}, bigger than maximum of {MAX_RECORD}"));
        }
        let need = 16 + caplen as usize;
        if !self.fill(need)? {
            let got = self.end - self.start - 16;
            return Err(format!("truncated dump file; tried to read {caplen} captured bytes, only got {got}"));
        }
        let at = self.start;
        self.start += need;
        let kept = caplen.min(self.snaplen) as usize;
        // Seconds and fraction are the format's unsigned 32-bit fields, in either byte order: 1970
        // to 2106 (libpcap reads them signed from a file in this machine's byte order, turning
        // 2038 and later into 1901).
        let ns = i64::from(frac) * if self.nanos { 1 } else { 1000 };
        Ok(Some(Frame { ts: timestamp(i64::from(sec), ns), wire_len, data: &self.buf[at + 16..at + 16 + kept] }))
    }
}

/// Where a replay's frames come from.
enum ReplayReader {
    Classic(ClassicPcap),
    /// Any other file libpcap reads; for a classic pcap file `Some(nanos)`: its 32-bit times,
    /// which libpcap may sign-extend, are read back as unsigned (`classic_time_from_libpcap`).
    Libpcap(pcap::Capture<pcap::Offline>, Option<bool>),
}

/// A classic pcap file's first four bytes: (its fields are byte-swapped, its fractions of a
/// second are nanoseconds); None for any other file.
#[doc(hidden)]
pub fn classic_pcap_magic(m: [u8; 4]) -> Option<(bool, bool)> {
    match u32::from_le_bytes(m) {
        0xA1B2_C3D4 => Some((false, false)),
        0xA1B2_3C4D => Some((false, true)),
        0xD4C3_B2A1 => Some((true, false)),
        0x4D3C_B2A1 => Some((true, true)),
        _ => None,
    }
}

/// For a file that starts with a classic pcap magic number (either byte order): whether its
/// fractions of a second are nanoseconds. None for any other file.
fn classic_magic(file: &std::fs::File) -> Option<bool> {
    use std::os::unix::fs::FileExt;
    let mut m = [0u8; 4];
    file.read_exact_at(&mut m, 0).ok()?;
    classic_pcap_magic(m).map(|(_, nanos)| nanos)
}

/// A paced frame read before its time: kept (copied) until it is due.
struct Held {
    ts: Timestamp,
    wire_len: u32,
    due: Instant,
}

/// Replay of a pcap/pcapng file: its frames with their recorded timestamps, as fast as possible or
/// at the recorded pace; then the source is quiet until the capture stops.
pub struct Replay {
    reader: ReplayReader,
    linktype: u32,
    exhausted: bool,
    pace: bool,
    /// (first frame's recorded time, when we delivered it)
    pace_origin: Option<(Timestamp, Instant)>,
    /// At recorded pace: the next frame, waiting for its time (its bytes in `held_data`).
    held: Option<Held>,
    held_data: Vec<u8>,
    /// Whole records read so far (named when a damaged one ends the replay).
    records: u64,
}

/// What a replay that stops on a record it cannot read reports: whether the file is cut short or
/// the record damaged, after how many whole records, and the reader's (libpcap's) own words.
fn replay_damage(reason: String, records: u64) -> String {
    let what = if reason.contains("truncated") { "is cut short" } else { "has a damaged record" };
    format!("the replay file {what} after {records} whole records: {reason}")
}

/// Opens `path` for reading without blocking (a FIFO with no writer would block `open`) and
/// without following it into a terminal; only a regular file is accepted: a FIFO, a socket or a
/// device could block a control call (Connect, Start) or the capture thread without limit.
fn open_regular(path: &Path) -> Result<std::fs::File, OpenError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpenError::FileNotFound(path.display().to_string()),
        _ => OpenError::Other(format!("{}: {e}", path.display())),
    })?;
    let kind = file.metadata().map_err(|e| OpenError::Other(format!("{}: {e}", path.display())))?.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a device"
        };
        return Err(OpenError::BadFile(format!("{}: {what}, not a regular file: only regular pcap/pcapng files can be replayed", path.display())));
    }
    Ok(file)
}

impl Replay {
    pub fn open(path: &Path, pace: bool) -> Result<Replay, OpenError> {
        use std::os::unix::io::AsRawFd;
        let file = open_regular(path)?;
        // libpcap checks the header (any format it reads) and names the link type. It opens the
        // file we checked, not whatever the path names by now (/proc/self/fd), where /proc is
        // mounted. Its fopen leaves the descriptor inheritable: sealed right after (fds.rs).
        let by_fd = std::path::PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        let libpcap_path = if by_fd.exists() { by_fd.as_path() } else { path };
        let before = super::fds::open_fds();
        let cap = pcap::Capture::from_file_with_precision(libpcap_path, pcap::Precision::Nano)
            .map_err(|e| OpenError::BadFile(format!("{}: {}", path.display(), pcap_message(e))))?;
        super::fds::seal_same_file(&file, &before).map_err(|e| OpenError::Other(format!("{}: close-on-exec: {e}", path.display())))?;
        let linktype = cap.get_datalink().0 as u32;
        let reader = match ClassicPcap::open(&file) {
            Ok(Some(classic)) => ReplayReader::Classic(classic),
            Ok(None) => ReplayReader::Libpcap(cap, classic_magic(&file)),
            Err(e) => return Err(OpenError::Other(format!("{}: {e}", path.display()))),
        };
        Ok(Replay { reader, linktype, exhausted: false, pace, pace_origin: None, held: None, held_data: Vec::new(), records: 0 })
    }

    /// At recorded pace: reads the next frame into `held` (with the time it is due), or ends the
    /// replay. Returns what to report instead of a frame (end of file, damage), if anything.
    fn hold_next(&mut self) -> Option<Next<'static>> {
        let Replay { reader, exhausted, pace_origin, held, held_data, records, .. } = self;
        match read_replay(reader) {
            Ok(Some(f)) => {
                *records += 1;
                let due = match *pace_origin {
                    None => {
                        let now = Instant::now();
                        *pace_origin = Some((f.ts, now));
                        now
                    }
                    Some((t0, i0)) => i0 + Duration::from_nanos(nanos_between(t0, f.ts).clamp(0, u64::MAX as i128) as u64),
                };
                held_data.clear();
                held_data.extend_from_slice(f.data);
                *held = Some(Held { ts: f.ts, wire_len: f.wire_len, due });
                None
            }
            Ok(None) => {
                *exhausted = true;
                Some(Next::Idle)
            }
            Err(m) => {
                *exhausted = true;
                Some(Next::Corrupt(replay_damage(m, *records)))
            }
        }
    }
}

/// The time `sec` seconds plus `ns` nanoseconds of a replay record. A record's fraction of a
/// second may say a second or more (a damaged or odd file: libpcap passes it on as it is): its
/// whole seconds are carried into `sec`, not cut off or saturated.
fn timestamp(sec: i64, ns: i64) -> Timestamp {
    Timestamp { sec: sec.saturating_add(ns.div_euclid(1_000_000_000)), nsec: ns.rem_euclid(1_000_000_000) as u32 }
}

/// A classic pcap record's time as libpcap delivers it (opened with nanosecond precision:
/// `tv_usec` holds the fraction scaled to nanoseconds), read back as the format's unsigned 32-bit
/// seconds and fraction (libpcap sign-extends both from a file in this machine's byte order).
/// `nanos`: the file's fraction is in nanoseconds (else microseconds, which libpcap multiplied by
/// 1000).
#[doc(hidden)]
pub fn classic_time_from_libpcap(tv_sec: i64, tv_usec: i64, nanos: bool) -> Timestamp {
    let raw_frac = if nanos { tv_usec } else { tv_usec / 1000 } as u32;
    let ns = i64::from(raw_frac) * if nanos { 1 } else { 1000 };
    timestamp(i64::from(tv_sec as u32), ns)
}

/// The next frame of a replay file: Ok(None) at its end.
fn read_replay(reader: &mut ReplayReader) -> Result<Option<Frame<'_>>, String> {
    match reader {
        ReplayReader::Classic(c) => c.next(),
        ReplayReader::Libpcap(cap, classic) => match cap.next_packet() {
            Ok(p) => {
                // With nanosecond precision, libpcap puts nanoseconds in tv_usec.
                let ts = match *classic {
                    Some(nanos) => classic_time_from_libpcap(p.header.ts.tv_sec, p.header.ts.tv_usec, nanos),
                    None => timestamp(p.header.ts.tv_sec, p.header.ts.tv_usec),
                };
                Ok(Some(Frame { ts, wire_len: p.header.len, data: p.data }))
            }
            Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(pcap_message(e)),
        },
    }
}

fn nanos_between(a: Timestamp, b: Timestamp) -> i128 {
    (b.sec as i128 - a.sec as i128) * 1_000_000_000 + (b.nsec as i128 - a.nsec as i128)
}

impl Source for Replay {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        if self.exhausted && self.held.is_none() {
            // Quiet for a poll timeout, looking for Stop every 5 ms (nothing more can come).
            for _ in 0..POLL_TIMEOUT_MS / 5 {
                if before_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            return Next::Idle;
        }
        if !self.pace {
            let Replay { reader, exhausted, records, .. } = self;
            return match read_replay(reader) {
                Ok(Some(f)) => {
                    *records += 1;
                    Next::Frame(f)
                }
                Ok(None) => {
                    *exhausted = true;
                    Next::Idle
                }
                Err(m) => {
                    *exhausted = true;
                    Next::Corrupt(replay_damage(m, *records))
                }
            };
        }
        if self.held.is_none() {
            if let Some(other) = self.hold_next() {
                return other;
            }
        }
        // Wait for the held frame's time in slices no longer than the poll timeout, so that a
        // long gap between two recorded frames never holds off Stop or Pause.
        let due = self.held.as_ref().expect("held").due;
        let now = Instant::now();
        if due > now {
            if before_wait() {
                // Stopped: a frame not due yet was not captured before Stop.
                return Next::Idle;
            }
            let slice = Duration::from_millis(POLL_TIMEOUT_MS as u64);
            if due - now > slice {
                std::thread::sleep(slice);
                return Next::Idle;
            }
            std::thread::sleep(due - now);
        }
        let h = self.held.take().expect("held");
        Next::Frame(Frame { ts: h.ts, wire_len: h.wire_len, data: &self.held_data })
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        None
    }

    fn can_wait(&self) -> bool {
        !self.pace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::OpenOptionsExt;

    #[test]
    fn open_errors() {
        match Live::open("no-such-nic0", LiveSettings { snaplen: 0, buffer_size: 0, promiscuous: false }, None) {
            Err(OpenError::NoDevice(_)) | Err(OpenError::Permission(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
            Ok(_) => panic!("opened a missing interface"),
        }
        assert!(matches!(Replay::open(Path::new("/nonexistent/x.pcap"), false), Err(OpenError::FileNotFound(_))));
        let junk = std::env::temp_dir().join(format!("ndisnpp-junk-{}.pcap", std::process::id()));
        std::fs::write(&junk, b"not a capture file at all").unwrap();
        assert!(matches!(Replay::open(&junk, false), Err(OpenError::BadFile(_))));
        std::fs::remove_file(junk).unwrap();
    }

    /// One record: (seconds, sub-second part as stored, captured bytes, length on the wire).
    type Rec = (u32, u32, Vec<u8>, u32);

    /// A classic pcap file with `records`, in the given byte order and precision.
    fn classic_file(records: &[Rec], big_endian: bool, nanos: bool, snaplen: u32) -> Vec<u8> {
        let w = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
        let mut out = Vec::new();
        w(&mut out, if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 });
        let version = if big_endian { [0, 2, 0, 4] } else { [2, 0, 4, 0] };
        out.extend_from_slice(&version);
        for v in [0, 0, snaplen, 1] {
            w(&mut out, v);
        }
        for (sec, frac, data, wire) in records {
            for v in [*sec, *frac, data.len() as u32, *wire] {
                w(&mut out, v);
            }
            out.extend_from_slice(data);
        }
        out
    }

    fn temp_file(tag: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("ndisnpp-replay-{tag}-{}-{:?}.pcap", std::process::id(), std::thread::current().id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Frames as (timestamp, length on the wire, stored bytes).
    type Frames = Vec<(Timestamp, u32, Vec<u8>)>;

    /// Every frame a replay delivers, then how it ended (None: quiet at the end of the file).
    fn drain(mut r: Replay) -> (Frames, Option<String>) {
        let mut out = Vec::new();
        loop {
            match r.next(&mut || false) {
                Next::Frame(f) => out.push((f.ts, f.wire_len, f.data.to_vec())),
                Next::Idle => return (out, None),
                Next::Failed(m) => panic!("a replay does not fail as a live source: {m}"),
                Next::Link(_) => panic!("a replay has no link"),
                Next::Corrupt(m) => return (out, Some(m)),
            }
        }
    }

    /// The same file through libpcap's reader.
    fn through_libpcap(path: &Path) -> Replay {
        let cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).unwrap();
        let linktype = cap.get_datalink().0 as u32;
        let classic = classic_magic(&std::fs::File::open(path).unwrap());
        Replay {
            reader: ReplayReader::Libpcap(cap, classic),
            linktype,
            exhausted: false,
            pace: false,
            pace_origin: None,
            held: None,
            held_data: Vec::new(),
            records: 0,
        }
    }

    fn records(n: u32) -> Vec<Rec> {
        // Sizes that make records straddle the 1 MiB reads at many offsets; one record longer
        // than the snap length of 3000 used below; an empty one.
        (0..n)
            .map(|i| {
                let len = match i % 7 {
                    0 => 0,
                    3 => 4000,
                    _ => (i * 37 % 1514) as usize,
                };
                let data = (0..len).map(|k| (k as u32 ^ i) as u8).collect();
                (1_700_000_000 + i / 1000, i * 997 % 1_000_000, data, len as u32 + i % 3)
            })
            .collect()
    }

    #[test]
    fn classic_pcap_reads_like_libpcap() {
        let recs = records(3000);
        for big_endian in [false, true] {
            for nanos in [false, true] {
                let path = temp_file("classic", &classic_file(&recs, big_endian, nanos, 3000));
                let ours = Replay::open(&path, false).unwrap();
                assert!(matches!(ours.reader, ReplayReader::Classic(_)));
                assert_eq!(ours.linktype, 1);
                let (a, end_a) = drain(ours);
                let (b, end_b) = drain(through_libpcap(&path));
                std::fs::remove_file(&path).unwrap();
                assert_eq!((end_a, end_b), (None, None));
                assert_eq!(a.len(), recs.len());
                assert!(a == b, "big_endian {big_endian} nanos {nanos}: differs from libpcap");
                assert_eq!(a[3].2.len(), 3000, "cut to the snap length");
                let want_ns = if nanos { recs[5].1 } else { recs[5].1 * 1000 };
                assert_eq!(a[5].0, Timestamp { sec: recs[5].0 as i64, nsec: want_ns });
            }
        }
    }

    #[test]
    fn classic_pcap_damage_ends_the_replay_like_libpcap() {
        let recs = records(48); // the last record has 225 bytes of data
        let whole = classic_file(&recs, false, false, 65535);
        // Cut inside the last record's data, inside its header; and a record longer than any.
        let mut huge = classic_file(&recs[..2], false, false, 65535);
        huge.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00, 0x10, 0x00]);
        huge.extend_from_slice(&[0; 64]);
        for (tag, bytes, kept) in
            [("data", &whole[..whole.len() - 5], 47), ("header", &whole[..whole.len() - recs[47].2.len() - 9], 47), ("huge", &huge[..], 2)]
        {
            let path = temp_file(tag, bytes);
            let (a, end_a) = drain(Replay::open(&path, false).unwrap());
            let (b, end_b) = drain(through_libpcap(&path));
            std::fs::remove_file(&path).unwrap();
            assert_eq!(a.len(), kept, "{tag}");
            assert!(a == b, "{tag}");
            let (ea, eb) = (end_a.expect(tag), end_b.expect(tag));
            assert!(ea.contains("truncated dump file") || ea.contains("invalid packet capture length"), "{tag}: {ea}");
            // Issue 18 item 7: how the file ends, after how many records, in both readers' words.
            let (cut, want) = if tag == "huge" { ("has a damaged record", 2) } else { ("is cut short", 47) };
            for e in [&ea, &eb] {
                assert!(e.starts_with(&format!("the replay file {cut} after {want} whole records: ")), "{tag}: {e}");
            }
            println!("{tag}: ours {ea:?}, libpcap {eb:?}");
        }
    }

    #[test]
    fn classic_pcap_only_for_what_it_reads_like_libpcap() {
        // 0x9000_0000 s is in 2046: the format's seconds are unsigned (libpcap's would be 1901).
        let recs = vec![(0x9000_0000u32, 5, vec![1, 2, 3], 3)];
        // Ethernet, version 2.4: the classic reader, reading what libpcap reads.
        let path = temp_file("signed", &classic_file(&recs, false, false, 65535));
        let r = Replay::open(&path, false).unwrap();
        assert!(matches!(r.reader, ReplayReader::Classic(_)));
        let (a, _) = drain(r);
        let (b, _) = drain(through_libpcap(&path));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].0.sec, 0x9000_0000);
        // Another link type (USB with its pseudo-header, 189) or version 2.3: libpcap, with the
        // seconds read back as unsigned.
        let mut usb = classic_file(&recs, false, false, 65535);
        usb[20] = 189;
        let mut v23 = classic_file(&recs, false, false, 65535);
        v23[6] = 3;
        for (tag, bytes) in [("usb", usb), ("v23", v23)] {
            let path = temp_file(tag, &bytes);
            let r = Replay::open(&path, false);
            std::fs::remove_file(&path).unwrap();
            if let Ok(r) = r {
                assert!(matches!(r.reader, ReplayReader::Libpcap(_, Some(false))), "{tag}");
                let (frames, _) = drain(r);
                assert_eq!(frames[0].0.sec, 0x9000_0000, "{tag}");
            }
        }
    }

    /// Seconds and fractions of a second out of the usual range (found by fuzz/replay_pcap): both
    /// readers (the library's and the libpcap path) read the fields as the format's unsigned 32-bit
    /// values in either byte order, a fraction of a second or more carried into the seconds.
    /// (libpcap itself reads both fields signed from a file in this machine's byte order, unsigned
    /// from a byte-swapped one; the libpcap path reads its answer back as unsigned.) Before, the
    /// library's reader saturated a microsecond fraction times 1000 at u32::MAX ns, and the
    /// libpcap path cut the nanoseconds to 32 bits.
    #[test]
    fn times_out_of_range_read_as_unsigned_by_both_readers() {
        let t0 = 1_700_000_000u32;
        let big = 3_000_000_001u32; // negative as i32
        let ts = |sec: i64, nsec: u32| Timestamp { sec, nsec };
        let s0 = i64::from(t0);
        for (big_endian, nanos, sec, frac, want) in [
            (false, false, t0, 5_000_001, ts(s0 + 5, 1000)),
            (false, true, t0, 1_500_000_007, ts(s0 + 1, 500_000_007)),
            (false, false, t0, big, ts(s0 + 3000, 1000)),
            (false, true, t0, big, ts(s0 + 3, 1)),
            (false, false, big, 0, ts(i64::from(big), 0)),
            (true, false, t0, big, ts(s0 + 3000, 1000)),
            (true, true, t0, big, ts(s0 + 3, 1)),
            (true, false, big, 0, ts(i64::from(big), 0)),
        ] {
            let path = temp_file("times", &classic_file(&[(sec, frac, vec![1, 2, 3], 3)], big_endian, nanos, 65535));
            let ours = Replay::open(&path, false).unwrap();
            assert!(matches!(ours.reader, ReplayReader::Classic(_)));
            let (a, _) = drain(ours);
            let (b, _) = drain(through_libpcap(&path));
            std::fs::remove_file(&path).unwrap();
            let case = format!("big_endian {big_endian} nanos {nanos} sec {sec} frac {frac}");
            assert_eq!(a[0].0, b[0].0, "{case}: differs from libpcap");
            assert_eq!(a[0].0, want, "{case}");
        }
    }

    /// A FIFO (with or without a writer), a directory or a device is refused at once: opening or
    /// reading it could block a control call or the capture thread without limit.
    #[test]
    fn only_regular_files_are_replayed() {
        let fifo = std::env::temp_dir().join(format!("ndisnpp-replay-fifo-{}", std::process::id()));
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: must not block (before the fix, pcap_open_offline waited forever here).
        let r = Replay::open(&fifo, false);
        assert!(matches!(&r, Err(OpenError::BadFile(m)) if m.contains("FIFO")), "{:?}", r.as_ref().err());
        // A writer that stays open: refused just the same.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                let _ = f.write_all(&classic_file(&records(3), false, false, 3000));
                std::thread::sleep(Duration::from_millis(300));
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(Replay::open(&fifo, false), Err(OpenError::BadFile(_))));
        // Unblock a writer still waiting in open (if the refusal came first).
        let _ = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo);
        writer.join().unwrap();
        std::fs::remove_file(&fifo).unwrap();
        for other in ["/dev/null", "/tmp"] {
            assert!(matches!(Replay::open(Path::new(other), false), Err(OpenError::BadFile(_))), "{other}");
        }
    }

    /// At recorded pace, a long gap between two frames is waited out in slices: the source
    /// answers Idle within about the poll timeout, so Stop is never held off by it.
    #[test]
    fn paced_gaps_are_waited_in_slices() {
        let recs: Vec<Rec> = vec![(1_700_000_000, 0, vec![1; 60], 60), (1_700_000_060, 0, vec![2; 60], 60)];
        let path = temp_file("paced", &classic_file(&recs, false, false, 65535));
        let mut r = Replay::open(&path, true).unwrap();
        std::fs::remove_file(&path).unwrap();
        let t0 = Instant::now();
        assert!(matches!(r.next(&mut || false), Next::Frame(f) if f.data[0] == 1));
        for _ in 0..10 {
            let t = Instant::now();
            assert!(matches!(r.next(&mut || false), Next::Idle), "the second frame is 60 s away");
            assert!(t.elapsed() < Duration::from_millis(500), "one wait took {:?}", t.elapsed());
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn other_formats_go_through_libpcap() {
        // A pcapng file: section header, interface description (Ethernet), one enhanced packet.
        let mut ng = Vec::new();
        let block = |out: &mut Vec<u8>, kind: u32, body: &[u8]| {
            let len = 12 + body.len() as u32;
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(&len.to_le_bytes());
        };
        block(&mut ng, 0x0A0D_0D0A, &[0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        block(&mut ng, 1, &[1, 0, 0, 0, 0, 0, 0, 0]);
        let mut epb = vec![0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0F, 0, 4, 0, 0, 0, 4, 0, 0, 0];
        epb.extend_from_slice(&[1, 2, 3, 4]);
        block(&mut ng, 6, &epb);
        let path = temp_file("ng", &ng);
        let r = Replay::open(&path, false).unwrap();
        assert!(matches!(r.reader, ReplayReader::Libpcap(..)));
        let (frames, end) = drain(r);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(end, None);
        assert_eq!(frames, vec![(Timestamp { sec: 1, nsec: 0 }, 4, vec![1, 2, 3, 4])]);
    }

    #[test]
    fn classify_messages() {
        assert!(matches!(classify("socket: Operation not permitted".into()), OpenError::Permission(_)));
        assert!(matches!(classify("You don't have permission to perform this capture on that device".into()), OpenError::Permission(_)));
        assert!(matches!(classify("eth9: No such device exists".into()), OpenError::NoDevice(_)));
        assert!(matches!(classify("weird".into()), OpenError::Other(_)));
    }
}
