//! Frame sources: a live interface through libpcap (TPACKET_V3 ring, never immediate mode; the
//! fallback of the library's own ring reader, ring.rs) and a replay of a pcap/pcapng file (the
//! "replay NIC" of the README).

use crate::capfile::Timestamp;
use std::path::Path;
use std::time::{Duration, Instant};

// By job: the trait and what every source shares (here), the libpcap live source (live.rs), the
// replay NIC (replay.rs), the classic pcap reader (classic.rs). The kernel ring is ../ring.rs.
mod classic;
mod live;
mod remote;
mod replay;
mod stream;

pub use classic::classic_pcap_magic;
use classic::*;
pub use live::*;
pub use remote::*;
pub use replay::*;
pub use stream::*;

/// How long one `next` call may wait for traffic: it bounds how late a Stop or Pause is seen.
pub(crate) const POLL_TIMEOUT_MS: i32 = 50;

/// How long a live source may wait for traffic when the capture thread has nothing pending
/// (`Source::set_idle`): a quiet link costs a wake-up every quarter second instead of every
/// POLL_TIMEOUT_MS. Stop wakes the source (`Waker`), which then waits POLL_TIMEOUT_MS as before,
/// so that frames of a block the kernel has not retired yet are still drained.
pub(crate) const IDLE_WAIT_MS: i32 = 250;

/// Wakes a source waiting for traffic (an eventfd in its wait): Stop and special frames do not
/// wait for the end of a long idle wait.
pub struct Waker(std::os::fd::OwnedFd);

impl Waker {
    /// A new waker (close-on-exec, non-blocking); None when the system has no eventfd left.
    pub fn new() -> Option<Waker> {
        // SAFETY: a plain eventfd() call; the descriptor is owned by the returned value.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        // SAFETY: a descriptor just created and owned by nobody else.
        (fd >= 0).then(|| Waker(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }))
    }

    /// Makes the descriptor readable until `clear`.
    pub fn wake(&self) {
        let one = 1u64;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd (a full counter only fails).
        unsafe { libc::write(self.fd(), (&one as *const u64).cast(), 8) };
    }

    /// Makes the descriptor unreadable again.
    pub fn clear(&self) {
        let mut n = 0u64;
        // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
        unsafe { libc::read(self.fd(), (&mut n as *mut u64).cast(), 8) };
    }

    pub fn fd(&self) -> libc::c_int {
        std::os::fd::AsRawFd::as_raw_fd(&self.0)
    }
}

/// A source with nothing to read (a replay at its end): quiet for a poll timeout, or until Stop,
/// which wakes the capture thread at once (`Engine::stop` unparks it).
pub(crate) fn quiet(before_wait: &mut dyn FnMut() -> bool) -> Next<'static> {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(POLL_TIMEOUT_MS as u64);
    while !before_wait() {
        let now = std::time::Instant::now();
        if now >= until {
            break;
        }
        std::thread::park_timeout(until - now);
    }
    Next::Idle
}

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
    /// The connection to a remote capture was lost: the frames that came were delivered;
    /// nothing more will come.
    Lost(String),
    /// The input ended and the source ends with it (a replay with `NPP:Config:ReplayEndAtEof`):
    /// every frame was delivered.
    End,
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
    /// Hands the frames this source already holds in memory to `each`, in order, without waiting
    /// (a batch: the rest of a read buffer), until `each` answers false; returns how many it
    /// handed. What it cannot hand this way (the end, damage, a record not yet read) is left for
    /// `next`. The default holds nothing back: 0.
    fn each_ready(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
        let _ = each;
        0
    }
    /// What wakes this source from a wait (Stop, special frames), if it has anything (the live
    /// ring); the other sources wait at most POLL_TIMEOUT_MS.
    fn waker(&self) -> Option<std::sync::Arc<Waker>> {
        None
    }
    /// The capture thread has nothing pending (nothing to flush, hand over or rotate): a source
    /// with a waker may then wait up to IDLE_WAIT_MS for traffic.
    fn set_idle(&mut self, _idle: bool) {}
    /// The live ring itself, for the capture loop to walk it inlined (`Walk`); None for the
    /// other sources.
    fn as_ring(&mut self) -> Option<&mut crate::capture::ring::Ring> {
        None
    }
    /// Turns lending on, when the source can (the live ring): frames whose bytes lie in the
    /// returned range then stay where they are after the source moves on, for as long as the
    /// consumer keeps the blocks they lie in (`keep_held`, `take_lent`). None: the consumer
    /// copies what it keeps, as always.
    fn lend(&mut self) -> Option<Lending> {
        None
    }
    /// Lending: the consumer kept frames of the block the source holds now; the block is lent
    /// (not reused) when the source moves on.
    fn keep_held(&mut self) {}
    /// Lending: moves the blocks lent since the last call to `out`; each goes back to the source
    /// when dropped, once nothing reads the frames kept from it. `all`: the source reads no
    /// further (the end), so the held block goes too if frames were kept from it.
    fn take_lent(&mut self, out: &mut Vec<crate::capture::ring::LentBlock>, all: bool) {
        let _ = (out, all);
    }
}

/// How the capture loop walks the frames a source holds already (`Source::each_ready`): through
/// the trait object for any source; inlined into the loop for the live ring (`Source::as_ring`),
/// whose walk is most of a live capture's work per frame besides the loop's own.
pub trait Walk {
    fn walk<F: FnMut(&Frame<'_>) -> bool>(&mut self, each: F) -> usize;
    /// The source, for everything but the walk.
    fn source(&mut self) -> &mut dyn Source;
}

impl Walk for dyn Source + '_ {
    fn walk<F: FnMut(&Frame<'_>) -> bool>(&mut self, mut each: F) -> usize {
        self.each_ready(&mut each)
    }

    fn source(&mut self) -> &mut dyn Source {
        self
    }
}

/// What a lending source lends (`Source::lend`).
#[derive(Clone)]
pub struct Lending {
    /// The addresses of the memory frames are lent from.
    pub range: std::ops::Range<usize>,
    /// How many blocks that memory has (a consumer should keep few of them at a time).
    pub blocks: usize,
    /// Keeps that memory mapped as long as a clone of it lives (held by what frames are read
    /// from after the source is gone).
    pub keep_alive: std::sync::Arc<dyn std::any::Any + Send + Sync>,
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
    /// The pcap-filter expression (`NPP:Config:BpfFilter`) does not compile for the source's
    /// link type: libpcap's message.
    Filter(String),
    /// A remote capture could not start: the NMERR its failure means, and the message.
    Remote(crate::nmerr::NmErr, String),
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

/// How many frames one batch read from libpcap (`dispatch`) asks `pcap_dispatch` for (the
/// engine stops it earlier when its batch is done).
const DISPATCH_MOST: libc::c_int = 1024;

// libpcap's own calls for batches (linked through the pcap crate): the crate's `dispatch` can
// neither stop after a given frame nor tell a break from a failure. Private, as everything that
// must stay out of netmon.h (cbindgen exports what is `pub`).

/// struct pcap_pkthdr (pcap/pcap.h).
#[repr(C)]
struct PcapPktHdr {
    ts: libc::timeval,
    caplen: u32,
    len: u32,
}

/// PCAP_ERROR_BREAK: the loop ended by pcap_breakloop.
const PCAP_ERROR_BREAK: libc::c_int = -2;

extern "C" {
    fn pcap_dispatch(p: *mut libc::c_void, cnt: libc::c_int, cb: unsafe extern "C" fn(*mut u8, *const PcapPktHdr, *const u8), user: *mut u8) -> libc::c_int;
    fn pcap_breakloop(p: *mut libc::c_void);
    fn pcap_geterr(p: *mut libc::c_void) -> *const libc::c_char;
}

/// The handle's last error message (pcap_geterr).
fn last_error(p: *mut libc::c_void) -> String {
    // SAFETY: pcap_geterr gives the handle's NUL-terminated message buffer, read at once.
    unsafe { std::ffi::CStr::from_ptr(pcap_geterr(p)) }.to_string_lossy().into_owned()
}

/// What one `dispatch` hands on, and how it stops.
struct Dispatch<'a> {
    p: *mut libc::c_void,
    each: &'a mut dyn FnMut(&Frame<'_>) -> bool,
    /// A record's time from its header's two fields (libpcap's reading of the file's).
    ts: &'a dyn Fn(i64, i64) -> Timestamp,
    handed: usize,
    /// `each` answered false: pcap_breakloop was called.
    broke: bool,
    /// `each` panicked: resumed once libpcap has returned.
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// libpcap's callback: one frame to `each`, unless the batch was stopped.
unsafe extern "C" fn dispatch_one(user: *mut u8, h: *const PcapPktHdr, bytes: *const u8) {
    // SAFETY: `user` is the Dispatch that `dispatch` passed, alive and not otherwise used for
    // the whole pcap_dispatch call.
    let d = unsafe { &mut *user.cast::<Dispatch<'_>>() };
    if d.broke || d.panic.is_some() {
        return;
    }
    // SAFETY: libpcap hands a valid header and `caplen` bytes, until this call returns.
    let (h, data) = unsafe { (&*h, std::slice::from_raw_parts(bytes, (*h).caplen as usize)) };
    let frame = Frame { ts: (d.ts)(h.ts.tv_sec, h.ts.tv_usec), wire_len: h.len, data };
    d.handed += 1;
    // No unwinding through libpcap: a panic is kept and resumed after it returns.
    let go_on = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (d.each)(&frame))) {
        Ok(go_on) => go_on,
        Err(payload) => {
            d.panic = Some(payload);
            false
        }
    };
    if !go_on {
        d.broke = true;
        // SAFETY: the handle of the running pcap_dispatch.
        unsafe { pcap_breakloop(d.p) };
    }
}

/// A batch from a libpcap handle (a live one, non-blocking, or a file): one `pcap_dispatch` of
/// at most DISPATCH_MOST frames, each handed to `each` (its time from the record's two fields
/// by `ts`) until `each` answers false; `pcap_breakloop` then stops libpcap after that frame,
/// and the next read starts at the next one. Gives how many frames were handed, and libpcap's
/// message when the read failed after them (for the source's next `next` to report).
///
/// A live handle clears the break as it returns, with PCAP_ERROR_BREAK (pcap-linux.c). A file
/// returns the count and keeps the break (savefile.c), which is then spent at once.
pub(super) fn dispatch<T: pcap::State + ?Sized>(
    cap: &mut pcap::Capture<T>,
    each: &mut dyn FnMut(&Frame<'_>) -> bool,
    ts: &dyn Fn(i64, i64) -> Timestamp,
) -> (usize, Option<String>) {
    let p = cap.as_ptr().cast::<libc::c_void>();
    let mut d = Dispatch { p, each, ts, handed: 0, broke: false, panic: None };
    let user = (&mut d as *mut Dispatch<'_>).cast::<u8>();
    // SAFETY: the handle is `cap`'s, borrowed for the call; `user` points at `d`, which outlives
    // both calls and is reached only through it meanwhile.
    let rc = unsafe { pcap_dispatch(p, DISPATCH_MOST, dispatch_one, user) };
    // Any other negative code is a failure too (libpcap 1.10 returns only these two).
    let mut failed = (rc < 0 && rc != PCAP_ERROR_BREAK).then(|| last_error(p));
    if d.broke && rc >= 0 {
        // Stopped, yet libpcap returned a count: the handle kept the break (a file does when it
        // had read frames, savefile.c), and its next read, pcap_next_ex included, would end
        // at once as if at the end of the file. Spent here by a call that reads nothing: a file
        // looks at the break before it reads.
        let mut none = |_: &Frame<'_>| false;
        let mut spend = Dispatch { p, each: &mut none, ts, handed: 0, broke: false, panic: None };
        // SAFETY: as above, with `spend`.
        let rc = unsafe { pcap_dispatch(p, 1, dispatch_one, (&mut spend as *mut Dispatch<'_>).cast::<u8>()) };
        match rc {
            PCAP_ERROR_BREAK => {}
            // The break was not kept after all: the call read on, into a damaged record...
            r if r < 0 => failed = Some(last_error(p)),
            // ... or a frame, lost (the end of the file loses nothing).
            _ if spend.handed > 0 => failed = Some("libpcap read past the end of a batch (pcap_breakloop)".to_string()),
            _ => {}
        }
    }
    // A panic of `each` goes on once the handle is as it should be (the break spent).
    if let Some(payload) = d.panic.take() {
        std::panic::resume_unwind(payload);
    }
    (d.handed, failed)
}

fn pcap_message(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::OpenOptionsExt;

    #[test]
    fn open_errors() {
        match Live::open("no-such-nic0", LiveSettings { snaplen: 0, buffer_size: 0, promiscuous: false }, None, None) {
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

    /// `NPP:Config:ReplayEndAtEof`: after the last frame the replay reports the end (again at
    /// every later call), at recorded pace too; without it, it stays quiet.
    #[test]
    fn replay_ends_at_eof_when_asked() {
        let recs: Vec<Rec> = (0..5).map(|i| (7, i * 100_000, vec![i as u8; 60], 60)).collect();
        let path = temp_file("eof", &classic_file(&recs, false, false, 0));
        for pace in [false, true] {
            let mut r = Replay::open(&path, pace).unwrap().ending_at_eof(true);
            let mut frames = 0;
            loop {
                match r.next(&mut || false) {
                    Next::Frame(_) => frames += 1,
                    Next::Idle => {}
                    Next::End => break,
                    _ => panic!("frames, Idle, End only"),
                }
            }
            assert_eq!(frames, 5);
            assert!(matches!(r.next(&mut || false), Next::End));
            let mut quiet = Replay::open(&path, pace).unwrap();
            let mut frames = 0;
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_millis(if pace { 900 } else { 300 }) {
                match quiet.next(&mut || false) {
                    Next::Frame(_) => frames += 1,
                    Next::Idle => {}
                    _ => panic!("frames and Idle only"),
                }
            }
            assert_eq!(frames, 5);
        }
        std::fs::remove_file(path).unwrap();
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
                Next::Lost(m) => panic!("a replay has no connection to lose: {m}"),
                Next::End => return (out, None),
            }
        }
    }

    /// `drain` as the capture loop reads: a frame from `next`, then a batch (`each_ready`)
    /// stopped after 1, 2, … 13 frames in turn.
    fn drain_batched(mut r: Replay) -> (Frames, Option<String>) {
        let mut out = Vec::new();
        let mut stop_after = 1;
        loop {
            match r.next(&mut || false) {
                Next::Frame(f) => out.push((f.ts, f.wire_len, f.data.to_vec())),
                Next::Corrupt(m) => return (out, Some(m)),
                Next::Idle | Next::End => return (out, None),
                _ => panic!("not a replay's"),
            }
            let mut k = 0;
            r.each_ready(&mut |f| {
                out.push((f.ts, f.wire_len, f.data.to_vec()));
                k += 1;
                k < stop_after
            });
            stop_after = stop_after % 13 + 1;
        }
    }

    /// The same file through libpcap's reader.
    fn through_libpcap(path: &Path) -> Replay {
        let cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).unwrap();
        let linktype = cap.get_datalink().0 as u32;
        let classic = classic_magic(&std::fs::File::open(path).unwrap());
        Replay::with_reader(ReplayReader::Libpcap(cap, classic), linktype, false)
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
                // In batches, both readers (libpcap's through pcap_dispatch) give the same.
                let (c, end_c) = drain_batched(Replay::open(&path, false).unwrap());
                let (d, end_d) = drain_batched(through_libpcap(&path));
                std::fs::remove_file(&path).unwrap();
                assert_eq!((end_a, end_b, end_c, end_d), (None, None, None, None));
                assert_eq!(a.len(), recs.len());
                assert!(a == b, "big_endian {big_endian} nanos {nanos}: differs from libpcap");
                assert!(a == c && a == d, "big_endian {big_endian} nanos {nanos}: batches differ");
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
            let (c, end_c) = drain_batched(Replay::open(&path, false).unwrap());
            let (d, end_d) = drain_batched(through_libpcap(&path));
            std::fs::remove_file(&path).unwrap();
            assert_eq!(a.len(), kept, "{tag}");
            assert!(a == b, "{tag}");
            // In batches: the same frames, then the same damage, after as many records.
            assert!(a == c && a == d, "{tag}: batches differ");
            assert_eq!((&end_c, &end_d), (&end_a, &end_b), "{tag}");
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

    /// A pcapng file (libpcap's reader) in batches: the frames `next` gives one by one, and
    /// for a file cut inside a record, the same damage after as many records.
    #[test]
    fn pcapng_in_batches_reads_like_frame_by_frame() {
        use crate::capfile::{CaptureWriter, StreamInfo};
        let path = temp_file("ng-batches", b"");
        let mut w = crate::capfile::pcapng::PcapngWriter::new(std::fs::File::create(&path).unwrap(), StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for i in 0..700u32 {
            let data: Vec<u8> = (0..(14 + i % 200)).map(|b| (b ^ i) as u8).collect();
            w.write_frame(Timestamp { sec: 1_700_000_000 + i64::from(i / 10), nsec: i * 1_001 }, data.len() as u32 + i % 3, &data).unwrap();
        }
        Box::new(w).finish();
        let whole = std::fs::read(&path).unwrap();
        let cut = temp_file("ng-cut", &whole[..whole.len() * 2 / 3]);
        for (p, complete) in [(&path, true), (&cut, false)] {
            let r = Replay::open(p, false).unwrap();
            assert!(matches!(r.reader, ReplayReader::Libpcap(..)));
            let (a, end_a) = drain(r);
            let (b, end_b) = drain_batched(Replay::open(p, false).unwrap());
            assert_eq!(a.len() == 700, complete);
            assert!(a == b, "batches differ (complete: {complete})");
            assert_eq!(end_a, end_b);
            assert_eq!(end_a.is_some(), !complete, "{end_a:?}");
            assert_eq!((a[0].0, a[0].1, a[0].2.len()), (Timestamp { sec: 1_700_000_000, nsec: 0 }, 14, 14));
        }
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&cut).unwrap();
    }

    #[test]
    fn classify_messages() {
        assert!(matches!(classify("socket: Operation not permitted".into()), OpenError::Permission(_)));
        assert!(matches!(classify("You don't have permission to perform this capture on that device".into()), OpenError::Permission(_)));
        assert!(matches!(classify("eth9: No such device exists".into()), OpenError::NoDevice(_)));
        assert!(matches!(classify("weird".into()), OpenError::Other(_)));
    }
}
