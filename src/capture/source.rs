//! Frame sources: a live interface through libpcap (TPACKET_V3 ring, never immediate mode) and a
//! replay of a pcap/pcapng file (the "replay NIC" of design.md §4).

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
    /// The next frame, waiting at most about `POLL_TIMEOUT_MS`.
    fn next(&mut self) -> Next<'_>;
    /// pcap LINKTYPE_* of the frames.
    fn linktype(&self) -> u32;
    /// Kernel counters since the source opened, if it has any.
    fn kernel_stats(&mut self) -> Option<KernelStats>;
    /// True when the capture filter already runs in the kernel for this source (frames it
    /// delivers have passed it).
    fn kernel_filtered(&self) -> bool {
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
}

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
        let mut cap = inactive.open().map_err(|e| classify(pcap_message(e)))?;
        let linktype = cap.get_datalink().0 as u32;
        let mut kernel_filter = false;
        if let Some(expr) = filter.and_then(|f| f.to_bpf(linktype)) {
            kernel_filter = cap.filter(&expr, true).is_ok();
        }
        let cap = cap.setnonblock().map_err(|e| OpenError::Other(pcap_message(e)))?;
        let fd = cap.as_raw_fd();
        Ok(Live { cap, fd, linktype, kernel_filter })
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

    /// Waits up to the poll timeout for the descriptor; true when it reported an error/hang-up.
    fn wait(&self) -> bool {
        let mut pfd = libc::pollfd { fd: self.fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, POLL_TIMEOUT_MS) };
        n > 0 && pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
    }
}

impl Source for Live {
    fn next(&mut self) -> Next<'_> {
        let mut r = self.read();
        if let Ok(None) = r {
            let trouble = self.wait();
            r = self.read();
            if trouble && matches!(r, Ok(None)) {
                r = Err("the interface went down".to_string());
            }
        }
        match r {
            // SAFETY: the bytes are in libpcap's ring and stay valid until the next read on this
            // handle, which needs `&mut self` again, so not before the returned Frame is gone.
            Ok(Some(f)) => Next::Frame(Frame { ts: f.ts, wire_len: f.wire_len, data: unsafe { std::slice::from_raw_parts(f.data, f.len) } }),
            Ok(None) => Next::Idle,
            Err(m) => Next::Failed(m),
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
}

/// Replay of a pcap/pcapng file: its frames with their recorded timestamps, as fast as possible or
/// at the recorded pace; then the source is quiet until the capture stops.
pub struct Replay {
    cap: pcap::Capture<pcap::Offline>,
    linktype: u32,
    exhausted: bool,
    pace: bool,
    /// (first frame's recorded time, when we delivered it)
    pace_origin: Option<(Timestamp, Instant)>,
}

impl Replay {
    pub fn open(path: &Path, pace: bool) -> Result<Replay, OpenError> {
        if !path.exists() {
            return Err(OpenError::FileNotFound(path.display().to_string()));
        }
        let cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano)
            .map_err(|e| OpenError::BadFile(format!("{}: {}", path.display(), pcap_message(e))))?;
        let linktype = cap.get_datalink().0 as u32;
        Ok(Replay { cap, linktype, exhausted: false, pace, pace_origin: None })
    }
}

fn nanos_between(a: Timestamp, b: Timestamp) -> i128 {
    (b.sec as i128 - a.sec as i128) * 1_000_000_000 + (b.nsec as i128 - a.nsec as i128)
}

impl Source for Replay {
    fn next(&mut self) -> Next<'_> {
        if self.exhausted {
            std::thread::sleep(Duration::from_millis(POLL_TIMEOUT_MS as u64));
            return Next::Idle;
        }
        match self.cap.next_packet() {
            Ok(p) => {
                // With nanosecond precision, libpcap puts nanoseconds in tv_usec.
                let ts = Timestamp { sec: p.header.ts.tv_sec, nsec: p.header.ts.tv_usec as u32 };
                if self.pace {
                    match self.pace_origin {
                        None => self.pace_origin = Some((ts, Instant::now())),
                        Some((t0, i0)) => {
                            let due = nanos_between(t0, ts).clamp(0, u64::MAX as i128) as u64;
                            let due = i0 + Duration::from_nanos(due);
                            let now = Instant::now();
                            if due > now {
                                std::thread::sleep(due - now);
                            }
                        }
                    }
                }
                Next::Frame(Frame { ts, wire_len: p.header.len, data: p.data })
            }
            Err(pcap::Error::NoMorePackets) => {
                self.exhausted = true;
                Next::Idle
            }
            Err(e) => {
                self.exhausted = true;
                Next::Failed(pcap_message(e))
            }
        }
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn classify_messages() {
        assert!(matches!(classify("socket: Operation not permitted".into()), OpenError::Permission(_)));
        assert!(matches!(classify("You don't have permission to perform this capture on that device".into()), OpenError::Permission(_)));
        assert!(matches!(classify("eth9: No such device exists".into()), OpenError::NoDevice(_)));
        assert!(matches!(classify("weird".into()), OpenError::Other(_)));
    }
}
