//! The capture thread: source → (statistics, pause) → writer. Control calls reach it only through
//! atomics, so a control call never waits for traffic and the thread never waits for a control
//! call. One engine per capturing NPP.

use super::conversation::{Conversations, Run};
pub use super::counters::Totals;
use super::counters::{Counters, Tally};
use super::rtc::Slots;
use super::source::{Frame, Next, Source, Waker, Walk};
use super::trigger::{Fired, TriggerState};
use crate::capfile::{CaptureWriter, WriteError};
use crate::filter::frame::{self, View};
use crate::types::PATTERNMATCH;
use crate::types::{UPDATE_ACTION_PAUSE_CAPTURE, UPDATE_ACTION_STOP_CAPTURE};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long Stop keeps draining frames that are already queued before it closes the file.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_millis(200);

/// How many frames the capture thread handles between two publications of its counters (it also
/// publishes whenever the source is idle and before it reports anything).
pub(crate) const PUBLISH_EVERY: u32 = 64;
/// How many frames it handles between two looks at the clock (kernel counters are read every
/// `KERNEL_POLL_EVERY`, the writer is flushed every `FLUSH_EVERY`).
const CLOCK_EVERY: u32 = 1024;
/// The most frames one step takes from a source's batch (`Source::each_ready`).
const BATCH: u32 = 256;
/// How often the capture thread reads the kernel's counters (pcap_stats).
const KERNEL_POLL_EVERY: Duration = Duration::from_millis(250);
/// Frames reach the file at least this often while they arrive (and at once when the link goes
/// quiet for a poll timeout), so a crash loses no frame older than about this; a busy capture
/// still writes in 1 MiB pieces, as its buffer fills sooner.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// Why a capture ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Stop was called.
    Stopped,
    /// The interface went away or a read failed (the libpcap message).
    SourceFailed(String),
    /// The connection to a remote capture was lost (what ssh said).
    Lost(String),
    /// A replay file holds a damaged record (the reader's message); the frames before it were
    /// captured.
    BadInput(String),
    /// Writing the capture file failed (the OS message); the file keeps the frames written before.
    WriteFailed(String),
    /// The file format's size limit was reached (Network Monitor 2: 4 GiB).
    FileLimit,
    /// The configured number of frames (`NPP:Config:FrameLimit`) was captured.
    FrameLimit,
    /// A trigger with the STOP action fired.
    Trigger(Fired),
    /// A replay NIC with `NPP:Config:ReplayEndAtEof` reached the end of its input: every frame
    /// was handed to the capture.
    EndOfInput,
}

/// Decides whether a frame passes the capture filter, from the frame's one parse.
pub type FrameFilter = Box<dyn Fn(&View<'_>) -> bool + Send>;
/// Decides whether a trigger's pattern matches a frame: (the frame's parse, pattern, data-relative).
pub type PatternCheck = Box<dyn Fn(&View<'_>, &PATTERNMATCH, bool) -> bool + Send>;

/// What runs between the source and the writer, besides the counters.
#[derive(Default)]
pub struct Stages {
    pub filter: Option<FrameFilter>,
    /// A pcap-filter expression judged here (a replay's; a live source applies it in the
    /// kernel): a frame that fails it counts as seen, not as filtered, like one the capture
    /// filter refuses.
    pub bpf: Option<crate::filter::BpfFilter>,
    pub trigger: Option<(TriggerState, PatternCheck)>,
    /// Conversation statistics, shared with the readers.
    pub conversations: Option<Arc<Mutex<Conversations>>>,
    /// Hand the final statistics to the writer's `finish_with_statistics`, so that a Network
    /// Monitor 2 file gets Network Monitor's statistics frame (not counted as captured; not for an
    /// empty capture).
    pub stats_frame: bool,
    /// IRTC: frames go to the application's callback through this double buffer (instead of, or
    /// besides, a writer).
    pub rtc: Option<super::rtc::RtcFeed>,
    /// Rotation: the writer's file is the first of this series, and the thread starts the next
    /// file when the current one is due (README, "Rotation").
    pub rotation: Option<Rotation>,
}

/// When a rotating capture starts its next file, and the series that makes it.
pub struct Rotation {
    pub series: crate::capfile::series::Series,
    /// A new file before the frame that would take the current one past this many bytes (its
    /// `CaptureWriter::size_with`); 0 = no limit.
    pub bytes: u64,
    /// A new file once the current one has been open this many seconds (checked before each frame
    /// and whenever the thread looks at the clock; a file is never left empty); 0 = no limit.
    pub seconds: u32,
}

/// What the capture thread reports to the connection (its status callback).
#[derive(Clone, Debug)]
pub enum Notice {
    /// The capture ended by itself (not by Stop), with the final totals.
    Ended(EndReason, Totals),
    /// A trigger fired (and, for STOP, the capture ended; for PAUSE, it is paused).
    Trigger(Fired, Totals),
    /// The link went down (false) or came back (true); the capture goes on. `paused`: the
    /// capture's state at that moment.
    Link { up: bool, paused: bool },
    /// A rotating capture created its next file, just before the frame that opens it is written.
    FileStarted { path: std::path::PathBuf },
}

/// A special frame waiting for the capture thread (`Engine::insert_special`).
struct Special {
    frame: Vec<u8>,
    comment: String,
}

struct Shared {
    /// Special frames to insert at the current point of the capture (`special_pending` says the
    /// queue is not empty, so the thread looks at the lock only then).
    specials: Mutex<Vec<Special>>,
    special_pending: AtomicBool,
    paused: AtomicBool,
    trigger_pending: AtomicBool,
    stop: AtomicBool,
    ended: AtomicBool,
    counters: Counters,
    /// Start of TimeElapsed and the counters at the last clearing read (subtracted from what the
    /// thread publishes).
    base: Mutex<(Instant, Tally)>,
    /// Wakes the source from a wait (`Source::waker`): Stop and special frames.
    waker: Option<Arc<Waker>>,
}

impl Shared {
    fn wake(&self) {
        if let Some(w) = &self.waker {
            w.wake();
        }
    }
}

/// What the capture thread hands back.
pub struct Outcome {
    pub reason: EndReason,
    /// Error from finishing the file, if any.
    pub finish_error: Option<String>,
}

/// Called on the capture thread for each Notice (it must not block).
pub type Notifier = Box<dyn Fn(Notice) + Send>;

/// A running capture.
pub struct Engine {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Outcome>>,
    /// The capture thread reads nothing until `go` (or until this is dropped): the NPP records
    /// the capture as running first, so that no callback sees it before it is.
    go: Option<std::sync::mpsc::SyncSender<()>>,
}

/// Reads a capture's counters (see `Engine::reader`).
pub struct EngineReader(Arc<Shared>);

impl EngineReader {
    /// The totals now.
    pub fn totals(&self) -> Totals {
        snapshot(&self.0)
    }
}

fn snapshot(shared: &Shared) -> Totals {
    let (t0, base) = *shared.base.lock();
    totals_between(t0, &base, &shared.counters.load())
}

/// The totals `now` shows against the base of the last clearing read.
fn totals_between(t0: Instant, base: &Tally, now: &Tally) -> Totals {
    now.since(base, t0.elapsed().as_micros().min(i64::MAX as u128) as i64)
}

/// The nice value the capture thread asks for (best effort, see `raise_priority`).
pub(crate) const CAPTURE_NICE: i32 = -10;

/// Gives the calling (capture) thread nice `CAPTURE_NICE` when the process may (root or
/// CAP_SYS_NICE; else it keeps its nice value): when the caller's own threads keep the CPU busy,
/// the capture thread of a live source still runs soon after the kernel hands it a full ring
/// block, so the ring does not overflow. Only for live sources: a replay has no ring to overflow
/// and, unpaced, would take the CPU from the caller's threads.
fn raise_priority() {
    // SAFETY: gettid and setpriority on this thread only; a failure changes nothing.
    unsafe {
        let tid = libc::gettid();
        let current = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        if current > CAPTURE_NICE {
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, CAPTURE_NICE);
        }
    }
}

/// Microseconds since the Unix epoch (FRAME_DESCRIPTOR.TimeStamp).
fn micros(ts: crate::capfile::Timestamp) -> i64 {
    ts.sec.saturating_mul(1_000_000).saturating_add(i64::from(ts.nsec / 1000))
}

/// Broadcast / multicast by the Ethernet destination address (LINKTYPE 1 only).
fn classify_dst(linktype: u32, data: &[u8]) -> (bool, bool) {
    if linktype != 1 || data.len() < 6 {
        return (false, false);
    }
    let broadcast = data[..6] == [0xFF; 6];
    (broadcast, !broadcast && data[0] & 1 == 1)
}

/// What the capture loop does after a step.
enum Flow {
    /// Read on.
    Continue,
    /// End: Stop was called, and what was queued is drained (or the drain's time is up).
    Stopped,
    /// End by itself (`Notice::Ended`, or `Notice::Trigger` for a trigger's STOP).
    Ended(EndReason),
}

/// The capture thread's state. The source is not part of it: the frame the source returns
/// borrows the source while `on_frame` changes this state.
struct Loop {
    shared: Arc<Shared>,
    writer: Option<Box<dyn CaptureWriter>>,
    stages: Stages,
    notify: Notifier,
    snaplen: usize,
    linktype: u32,
    frame_limit: u64,
    /// The running counts (published to `shared.counters`).
    tally: Tally,
    /// When the thread first saw Stop: from then it drains what is queued, for at most
    /// DRAIN_LIMIT, and ends at the first Idle.
    stop_seen: Option<Instant>,
    /// Frames until the next publication.
    to_publish: u32,
    /// Frames until the next look at the clock.
    to_clock: u32,
    /// Look at the clock (kernel counters, flush) before the next read: set every CLOCK_EVERY
    /// frames, and after the source waited.
    look_at_clock: bool,
    last_kernel_poll: Instant,
    last_flush: Instant,
    /// `before_wait` ran during the current read.
    waited: bool,
    /// The flush in `before_wait` failed: the capture ends once the read returns.
    flush_error: Option<WriteError>,
    /// The conversation tables, held by this thread across frames (not locked per frame): let
    /// go every CLOCK_EVERY frames and whenever the counts are published (before the source
    /// waits, when it is idle, at the end), so a reader waits at most that long and sees the
    /// tables up to the counts it read.
    conv_held: Option<parking_lot::ArcMutexGuard<parking_lot::RawMutex, Conversations>>,
    /// Rotation: when the current file was opened (its age for `Rotation::seconds`).
    file_opened: Instant,
    /// Rotation: where the current file's statistics start (when the file before it ended, and
    /// the counts then).
    file_stats_base: (Instant, Tally),
    /// Rotation: the frames and stored bytes the completed files hold (statistics frames not
    /// counted).
    closed: (u64, u64),
    /// Rotation: the current file was completed because of its age while the link was quiet; the
    /// next one is created at the next frame to store.
    file_pending: bool,
    /// IRTC on a lending source (`Source::lend`): the addresses frames are lent from (start,
    /// end); a frame that lies there is delivered where it lies.
    lend: Option<(usize, usize)>,
    /// Lending: a frame of the block the source holds was left in place since the last read.
    kept: bool,
    /// Lending: blocks taken from the source on their way to the filling batch.
    lent: Vec<super::ring::LentBlock>,
    /// Frames were written since the writer's last flush.
    unflushed: bool,
    /// What the source was last told by `Source::set_idle`.
    told_idle: bool,
}

/// The counts a frame added before it was stored (seen, and filtered unless it is a special
/// frame): they belong to the file that stores it.
#[derive(Clone, Copy, Default)]
struct FrameCounts {
    /// A frame from the source (not a special frame).
    seen: bool,
    wire: u64,
    bcast: bool,
    mcast: bool,
    filtered: bool,
}

impl FrameCounts {
    /// `t` without this frame's counts.
    fn before(&self, t: &Tally) -> Tally {
        let mut t = *t;
        t.seen_frames -= u64::from(self.seen).min(t.seen_frames);
        t.seen_bytes -= self.wire.min(t.seen_bytes);
        t.seen_broadcasts -= u64::from(self.bcast).min(t.seen_broadcasts);
        t.seen_multicasts -= u64::from(self.mcast).min(t.seen_multicasts);
        if self.filtered {
            t.filtered_frames -= 1.min(t.filtered_frames);
            t.filtered_bytes -= self.wire.min(t.filtered_bytes);
            t.filtered_broadcasts -= u64::from(self.bcast).min(t.filtered_broadcasts);
            t.filtered_multicasts -= u64::from(self.mcast).min(t.filtered_multicasts);
        }
        t
    }
}

impl Loop {
    fn publish(&mut self) {
        self.conv_held = None;
        self.shared.counters.publish(&self.tally);
    }

    fn poll_kernel(&mut self, source: &mut dyn Source) {
        if let Some(k) = source.kernel_stats() {
            self.tally.kernel_received = k.received;
            self.tally.kernel_dropped = k.dropped + k.if_dropped;
        }
    }

    /// Reads the kernel counters if KERNEL_POLL_EVERY has passed since the last time.
    fn poll_kernel_when_due(&mut self, source: &mut dyn Source) {
        if self.last_kernel_poll.elapsed() >= KERNEL_POLL_EVERY {
            self.poll_kernel(source);
            self.last_kernel_poll = Instant::now();
        }
    }

    /// Makes "frames captured" and "bytes captured" those the file holds (`frames`, `bytes`);
    /// frames accepted but lost to a write error count as dropped. (Only when frames were lost:
    /// the statistics frame, written last, is in the file but not counted.)
    fn settle(&mut self, frames: u64, bytes: u64) {
        // Rotation: the completed files hold their frames too.
        let (frames, bytes) = (frames + self.closed.0, bytes + self.closed.1);
        let t = &mut self.tally;
        if frames < t.captured_frames {
            t.dropped_frames += t.captured_frames - frames;
            t.captured_frames = frames;
            t.captured_bytes = bytes;
        }
    }

    /// After a write or flush error: the counts as the file holds them, and why it ended.
    fn write_failed(&mut self, e: WriteError) -> EndReason {
        if let Some((frames, bytes)) = self.writer.as_ref().map(|w| (w.frames(), w.bytes())) {
            self.settle(frames, bytes);
        }
        match e {
            WriteError::FileLimit => EndReason::FileLimit,
            WriteError::Io(e) => EndReason::WriteFailed(crate::capfile::stream_error_text(&e)),
        }
    }

    /// Writes what the writer buffered; the reason the capture ends if that failed.
    fn flush(&mut self) -> Option<EndReason> {
        self.last_flush = Instant::now();
        self.unflushed = false;
        let e = self.writer.as_mut()?.flush().err()?;
        Some(self.write_failed(e))
    }

    /// Runs the capture until Stop (and the drain) or until it ends by itself; then finishes it.
    fn run(mut self, mut source: Box<dyn Source>) -> (Outcome, Option<EndReason>, Notifier) {
        if let Some(rtc) = self.stages.rtc.as_mut() {
            // IRTC reads a live ring's frames where they lie.
            if let Some(l) = source.lend() {
                rtc.set_lending(&l);
                self.lend = Some((l.range.start, l.range.end));
            }
        }
        self.last_kernel_poll = Instant::now();
        self.last_flush = Instant::now();
        let ended_by_itself = match source.as_ring() {
            Some(ring) => self.turns(ring),
            None => self.turns(source.as_mut()),
        };
        self.finish(source.as_mut(), ended_by_itself)
    }

    /// Turns of the loop until Stop (and the drain) or the capture's end by itself (the reason).
    /// Built once for any source and once for the live ring, whose walk is then inlined.
    fn turns<S: Walk + ?Sized>(&mut self, source: &mut S) -> Option<EndReason> {
        loop {
            match self.step(source) {
                Flow::Continue => {}
                Flow::Stopped => return None,
                Flow::Ended(reason) => return Some(reason),
            }
        }
    }

    /// One turn of the loop: Stop and the drain, the clock, one read from the source, and what
    /// the read returned.
    fn step<S: Walk + ?Sized>(&mut self, walk: &mut S) -> Flow {
        let source = walk.source();
        if self.shared.special_pending.load(Acquire) {
            if let Flow::Ended(reason) = self.insert_specials() {
                return Flow::Ended(reason);
            }
        }
        if self.stop_seen.is_none() && self.shared.stop.load(Acquire) {
            self.stop_seen = Some(Instant::now());
        }
        if self.stop_seen.is_some_and(|t| t.elapsed() >= DRAIN_LIMIT) {
            return Flow::Stopped;
        }
        if self.look_at_clock {
            self.look_at_clock = false;
            if let Flow::Ended(reason) = self.on_clock(source) {
                return Flow::Ended(reason);
            }
        }
        if self.lend.is_some() {
            self.lend_blocks(source, false);
        }
        let idle = self.is_idle();
        if idle != self.told_idle {
            source.set_idle(idle);
            self.told_idle = idle;
        }
        self.waited = false;
        let next = source.next(&mut || self.before_wait());
        if let Some(e) = self.flush_error.take() {
            // The frame `next` may have returned is seen but not written: dropped.
            if let Next::Frame(f) = &next {
                self.tally.seen_frames += 1;
                self.tally.seen_bytes += f.wire_len as u64;
                self.tally.dropped_frames += 1;
            }
            return Flow::Ended(self.write_failed(e));
        }
        // A source that waits reads few frames: look at the clock (kernel counters) then too.
        self.look_at_clock |= self.waited;
        match next {
            Next::Frame(f) => {
                let flow = self.on_frame(&f);
                self.batch(walk, flow)
            }
            // Stop set while the source waited (a parked replay is woken by it): nothing is queued.
            Next::Idle if self.stop_seen.is_some() || self.shared.stop.load(Acquire) => Flow::Stopped,
            Next::Idle => self.on_idle(source),
            Next::Failed(msg) => self.on_failure(EndReason::SourceFailed(msg)),
            Next::Corrupt(msg) => self.on_failure(EndReason::BadInput(msg)),
            Next::Lost(msg) => self.on_failure(EndReason::Lost(msg)),
            Next::Link(up) => self.on_link(up),
            // The input ended (a replay that ends at it): everything before it was captured.
            Next::End if self.stop_seen.is_some() => Flow::Stopped,
            Next::End => Flow::Ended(EndReason::EndOfInput),
        }
    }

    /// Lending: the block the source holds is kept if frames were left in it, and the blocks it
    /// lent go to the filling batch (`all`: the end; the held block goes too).
    fn lend_blocks(&mut self, source: &mut dyn Source, all: bool) {
        if std::mem::take(&mut self.kept) {
            source.keep_held();
        }
        source.take_lent(&mut self.lent, all);
        if !self.lent.is_empty() {
            match self.stages.rtc.as_mut() {
                Some(rtc) => rtc.attach(&mut self.lent),
                None => self.lent.clear(),
            }
        }
    }

    /// After a frame: the frames the source holds already (`Source::each_ready`, a batch), each
    /// through `on_frame` (which still looks at Pause for every frame), up to BATCH; Stop,
    /// special frames and the clock are looked at again by the next step.
    fn batch<S: Walk + ?Sized>(&mut self, source: &mut S, flow: Flow) -> Flow {
        if !matches!(flow, Flow::Continue) || self.look_at_clock {
            return flow;
        }
        if self.is_plain() && !self.shared.paused.load(Acquire) {
            return self.plain_batch(source);
        }
        let mut flow = flow;
        let mut n = 1;
        source.walk(|f| match self.on_frame(f) {
            // The common case leaves `flow` alone (writing the enum for every frame and reading
            // it back costs a store-forwarding stall per frame).
            Flow::Continue => {
                n += 1;
                !self.look_at_clock && n < BATCH
            }
            other => {
                flow = other;
                false
            }
        });
        if let Some(rtc) = self.stages.rtc.as_mut() {
            rtc.hand_over_early();
        }
        flow
    }

    /// True when nothing waits for the clock: not stopping, no frame waits to be flushed or
    /// handed over, no file rotates by age. The source may then wait longer for traffic
    /// (`Source::set_idle`).
    fn is_idle(&self) -> bool {
        self.stop_seen.is_none()
            && !self.shared.stop.load(Acquire)
            && !self.unflushed
            && !self.shared.special_pending.load(Acquire)
            && self.stages.rtc.as_ref().map_or(true, |r| r.is_idle())
            && self.stages.rotation.as_ref().map_or(true, |r| r.seconds == 0)
    }

    /// True when no stage judges frames one by one (no capture filter, pcap-filter expression or
    /// trigger) and files do not rotate: every frame that arrives while not paused is stored, and
    /// a batch can go through `plain_batch`.
    fn is_plain(&self) -> bool {
        let s = &self.stages;
        s.filter.is_none() && s.bpf.is_none() && s.trigger.is_none() && s.rotation.is_none()
    }

    /// `batch` for a plain capture (`is_plain`) that is not paused (a frame read once Pause has
    /// returned ends the batch and goes through `on_frame`). What `on_frame` does for each frame,
    /// in a plain loop: the counts add up in local variables, added to the tally once at the end, and the
    /// batch stops short of the next publication, the next look at the clock and the frame
    /// limit, so nothing reads the tally in between. The ring's walk is inlined here (`Walk`):
    /// this is the live capture's per-frame work, measured in bench/README.md.
    fn plain_batch<S: Walk + ?Sized>(&mut self, source: &mut S) -> Flow {
        /// The counts a plain batch adds: seen and filtered alike (no stage refuses a frame).
        #[derive(Default)]
        struct Plain {
            frames: u64,
            bytes: u64,
            broadcasts: u64,
            multicasts: u64,
            captured: u64,
            captured_bytes: u64,
            dropped: u64,
        }
        impl Plain {
            /// The broadcasts and multicasts of a run that ends (`cast`: its destination's kind).
            #[inline(always)]
            fn end_run(&mut self, run: &Run, cast: (bool, bool)) {
                let n = u64::from(run.frames());
                self.broadcasts += n * u64::from(cast.0);
                self.multicasts += n * u64::from(cast.1);
            }
        }
        let limit = self.frame_limit.saturating_sub(self.tally.captured_frames);
        let most = u64::from((BATCH - 1).min(self.to_publish).min(self.to_clock)).min(limit);
        let mut add = Plain::default();
        let mut ended = None;
        // What stays the same through the batch, in locals (registers), not re-read per frame.
        let (linktype, snaplen) = (self.linktype, self.snaplen);
        let (lend_start, lend_end) = self.lend.unwrap_or((0, 0));
        // Conversations (Ethernet only): frames of one pair in a row are counted here and added
        // to the tables when the pair changes and at the end.
        let conversations = linktype == frame::LINKTYPE_ETHERNET && self.stages.conversations.is_some();
        let mut run = Run::default();
        // Whether the run's destination is a broadcast or a multicast address.
        let mut run_cast = (false, false);
        let mut after_pause = None;
        // IRTC over lent ring blocks: the frames go into descriptor slots reserved in the batch
        // (no per-frame check but the room left); any other way of adding a frame commits them
        // first.
        let mut slots = match (self.lend, self.stages.rtc.as_mut()) {
            (Some(_), Some(rtc)) if most > 0 => rtc.reserve(),
            _ => Slots::none(),
        };
        let lend_len = lend_end.wrapping_sub(lend_start);
        if most > 0 {
            source.walk(|f| {
                if self.shared.paused.load(Acquire) {
                    // Pause returned during the batch: this frame goes frame by frame (as one
                    // read while paused, unless Resume came too), and the batch ends here.
                    add.end_run(&run, run_cast);
                    self.add_run(&run);
                    run = Run::default();
                    if let Some(rtc) = self.stages.rtc.as_mut() {
                        self.kept |= rtc.commit(&mut slots) > 0;
                    }
                    after_pause = Some(self.on_frame(f));
                    return false;
                }
                add.frames += 1;
                add.bytes += u64::from(f.wire_len);
                if conversations && f.data.len() >= 12 {
                    // The frames of a run share their destination: its broadcasts and multicasts
                    // are counted when it ends.
                    if !run.extend(f.data, f.wire_len) {
                        add.end_run(&run, run_cast);
                        self.add_run(&run);
                        run = Run::new(f.data, f.wire_len);
                        run_cast = classify_dst(linktype, f.data);
                    }
                } else {
                    let (bcast, mcast) = classify_dst(linktype, f.data);
                    add.broadcasts += u64::from(bcast);
                    add.multicasts += u64::from(mcast);
                }
                let stored = &f.data[..f.data.len().min(snaplen)];
                let wire = f.wire_len.max(stored.len() as u32);
                if let Some(rtc) = self.stages.rtc.as_mut() {
                    // In the lent range: at - start <= len - stored, as one unsigned comparison
                    // (the range is never shorter than a frame in it).
                    let in_place = (stored.as_ptr() as usize).wrapping_sub(lend_start) <= lend_len.wrapping_sub(stored.len()) && lend_len >= stored.len();
                    let ts_us = micros(f.ts);
                    if !(in_place && slots.push(ts_us, wire, stored)) {
                        self.kept |= rtc.commit(&mut slots) > 0;
                        if rtc.may_wait(stored.len()) {
                            // The frames callback may read the conversations while this thread waits.
                            self.conv_held = None;
                        }
                        match rtc.push_parsed(ts_us, wire, stored, None, in_place) {
                            super::rtc::Pushed::Dropped => {
                                add.dropped += 1;
                                return add.frames < most;
                            }
                            super::rtc::Pushed::InPlace => self.kept = true,
                            super::rtc::Pushed::Stored => {}
                        }
                    }
                }
                if let Some(w) = self.writer.as_mut() {
                    if let Err(e) = w.write_frame(f.ts, wire, stored) {
                        ended = Some(e);
                        return false;
                    }
                }
                add.captured += 1;
                add.captured_bytes += stored.len() as u64;
                add.frames < most
            });
        }
        if let Some(rtc) = self.stages.rtc.as_mut() {
            self.kept |= rtc.commit(&mut slots) > 0;
        }
        add.end_run(&run, run_cast);
        self.add_run(&run);
        let t = &mut self.tally;
        t.seen_frames += add.frames;
        t.seen_bytes += add.bytes;
        t.seen_broadcasts += add.broadcasts;
        t.seen_multicasts += add.multicasts;
        t.filtered_frames += add.frames;
        t.filtered_bytes += add.bytes;
        t.filtered_broadcasts += add.broadcasts;
        t.filtered_multicasts += add.multicasts;
        t.captured_frames += add.captured;
        t.captured_bytes += add.captured_bytes;
        t.dropped_frames += add.dropped;
        self.unflushed |= self.writer.is_some() && add.captured > 0;
        if let Some(e) = ended {
            // The frame the writer refused is seen and filtered, not captured: dropped.
            self.tally.dropped_frames += 1;
            return Flow::Ended(self.write_failed(e));
        }
        self.count_down(add.frames as u32);
        if let Some(rtc) = self.stages.rtc.as_mut() {
            rtc.hand_over_early();
        }
        if let Some(Flow::Ended(reason)) = after_pause {
            return Flow::Ended(reason);
        }
        if self.tally.captured_frames == self.frame_limit && self.stop_seen.is_none() {
            return Flow::Ended(EndReason::FrameLimit);
        }
        Flow::Continue
    }

    /// `n` more frames seen (at most what is left until the next publication and the next look
    /// at the clock): the counts are published every PUBLISH_EVERY frames, and the clock is
    /// looked at every CLOCK_EVERY.
    #[inline(always)]
    fn count_down(&mut self, n: u32) {
        self.to_publish -= n;
        self.to_clock -= n;
        if self.to_publish == 0 {
            self.to_publish = PUBLISH_EVERY;
            self.shared.counters.publish(&self.tally);
        }
        if self.to_clock == 0 {
            self.to_clock = CLOCK_EVERY;
            self.look_at_clock = true;
        }
    }

    /// Adds a run of frames of one pair to the conversation tables (held from now on, as
    /// `on_frame` holds them).
    fn add_run(&mut self, run: &Run) {
        if run.is_empty() {
            return;
        }
        if let Some(conv) = &self.stages.conversations {
            self.conv_held.get_or_insert_with(|| conv.lock_arc()).add_run(run);
        }
    }

    /// The link went down or came back: counted (outages), published and reported; the capture
    /// goes on.
    fn on_link(&mut self, up: bool) -> Flow {
        if !up {
            self.tally.link_outages += 1;
        }
        self.publish();
        let paused = self.shared.paused.load(Acquire);
        (self.notify)(Notice::Link { up, paused });
        Flow::Continue
    }

    /// Every CLOCK_EVERY frames and after the source waited: the kernel counters (every
    /// KERNEL_POLL_EVERY), and the frames buffered for FLUSH_EVERY go to the file.
    fn on_clock(&mut self, source: &mut dyn Source) -> Flow {
        self.conv_held = None;
        self.poll_kernel_when_due(source);
        if let Some(rtc) = self.stages.rtc.as_mut() {
            rtc.tick(Instant::now());
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            if let Some(reason) = self.flush() {
                return Flow::Ended(reason);
            }
        }
        if let Some(reason) = self.close_when_old() {
            return Flow::Ended(reason);
        }
        Flow::Continue
    }

    /// Before the source waits for traffic: publish the counts, and write out frames that have
    /// waited in the buffer for FLUSH_EVERY (a trickle of frames never lets the source go idle
    /// for a whole poll timeout). A flush error is dealt with once the read returns.
    fn before_wait(&mut self) -> bool {
        self.publish();
        self.waited = true;
        if let Some(rtc) = self.stages.rtc.as_mut() {
            // Nothing more to read right now: what waits goes to the callback (if it is free).
            rtc.hand_over_waiting();
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.last_flush = Instant::now();
            self.unflushed = false;
            if let Some(w) = self.writer.as_mut() {
                if let Err(e) = w.flush() {
                    self.flush_error = Some(e);
                }
            }
        }
        self.stop_seen.is_some() || self.shared.stop.load(Acquire)
    }

    /// One frame from the source: counted as seen; unless paused and if the filter passes it,
    /// recorded in the conversations, counted as filtered, written, and then counted as captured
    /// and shown to the trigger; the frame limit ends the capture.
    #[inline(always)]
    fn on_frame(&mut self, f: &Frame<'_>) -> Flow {
        // Read after the frame arrived (next() may have waited): a frame read after Pause
        // returned is not written, one read after Resume returned is.
        let paused = self.shared.paused.load(Acquire);
        let (bcast, mcast) = classify_dst(self.linktype, f.data);
        let t = &mut self.tally;
        t.seen_frames += 1;
        t.seen_bytes += f.wire_len as u64;
        t.seen_broadcasts += bcast as u64;
        t.seen_multicasts += mcast as u64;
        self.count_down(1);
        if paused {
            return Flow::Continue;
        }
        if let Some(b) = &self.stages.bpf {
            if !b.matches(f.data, f.wire_len) {
                return Flow::Continue;
            }
        }
        // One parse of the whole frame, for the filter and the trigger's pattern, also used for
        // the FRAME_DESCRIPTOR then (none when no stage needs it: a plain capture to a file, or
        // IRTC alone, whose descriptor reads an untagged Ethernet frame directly).
        let wants_pattern = self.stages.trigger.as_ref().is_some_and(|(t, _)| t.wants_pattern());
        let view = (self.stages.filter.is_some() || wants_pattern).then(|| frame::view(self.linktype, f.data));
        if let (Some(filter), Some(v)) = (&self.stages.filter, &view) {
            if !filter(v) {
                return Flow::Continue;
            }
        }
        if let Some(conv) = &self.stages.conversations {
            self.conv_held.get_or_insert_with(|| conv.lock_arc()).record(self.linktype, f.data, f.wire_len);
        }
        let t = &mut self.tally;
        t.filtered_frames += 1;
        t.filtered_bytes += f.wire_len as u64;
        t.filtered_broadcasts += bcast as u64;
        t.filtered_multicasts += mcast as u64;
        let stored = &f.data[..f.data.len().min(self.snaplen)];
        let wire = f.wire_len.max(stored.len() as u32);
        if let Some(rtc) = self.stages.rtc.as_mut() {
            if rtc.may_wait(stored.len()) {
                // The frames callback may read the conversations while this thread waits for it.
                self.conv_held = None;
            }
            let at = stored.as_ptr() as usize;
            let in_place = self.lend.is_some_and(|(start, end)| at >= start && at + stored.len() <= end);
            match rtc.push_parsed(micros(f.ts), wire, stored, view.as_ref(), in_place) {
                super::rtc::Pushed::Dropped => {
                    // The callback still holds the other buffer: this frame is lost, and counted.
                    self.tally.dropped_frames += 1;
                    return Flow::Continue;
                }
                super::rtc::Pushed::InPlace => self.kept = true,
                super::rtc::Pushed::Stored => {}
            }
        }
        if self.writer.is_some() || self.stages.rotation.is_some() {
            let counts = FrameCounts { seen: true, wire: f.wire_len as u64, bcast, mcast, filtered: true };
            if let Err(reason) = self.store(f.ts, wire, stored, None, &counts) {
                self.tally.dropped_frames += 1;
                return Flow::Ended(reason);
            }
        }
        let t = &mut self.tally;
        t.captured_frames += 1;
        t.captured_bytes += stored.len() as u64;
        let (n, bytes) = (t.captured_frames, t.captured_bytes);
        if self.stages.trigger.is_some() {
            if let Flow::Ended(reason) = self.check_trigger(view.as_ref(), bytes) {
                return Flow::Ended(reason);
            }
        }
        if n == self.frame_limit && self.stop_seen.is_none() {
            return Flow::Ended(EndReason::FrameLimit);
        }
        Flow::Continue
    }

    /// Writes a frame (with `comment`: a special frame) to the file, if there is one; with
    /// rotation, into the next file when the current one is due (`counts`: what the frame added
    /// to the tally already). `Err`: why the capture ends (a write error may lose frames the
    /// writer had buffered: the counts are then those the files really hold); the frame is not
    /// stored.
    fn store(&mut self, ts: crate::capfile::Timestamp, wire: u32, data: &[u8], comment: Option<&str>, counts: &FrameCounts) -> Result<(), EndReason> {
        if self.stages.rotation.is_some() {
            if self.file_pending {
                self.open_next_file()?;
            } else if self.rotation_due(data.len(), comment) {
                self.close_file(counts)?;
                self.open_next_file()?;
            }
        }
        let mut retried = false;
        loop {
            let Some(w) = self.writer.as_mut() else { return Ok(()) };
            let result = match comment {
                Some(c) => w.write_special(ts, data, c),
                None => w.write_frame(ts, wire, data),
            };
            match result {
                Ok(()) => {
                    self.unflushed = true;
                    return Ok(());
                }
                // Rotation: the format's size limit starts the next file instead of ending the
                // capture (once: a frame that does not fit an empty file ends it).
                Err(WriteError::FileLimit) if self.stages.rotation.is_some() && !retried && w.frames() > 0 => {
                    retried = true;
                    self.close_file(counts)?;
                    self.open_next_file()?;
                }
                Err(e) => return Err(self.write_failed(e)),
            }
        }
    }

    /// Rotation: whether the current file is to be completed before a frame of `len` bytes
    /// (`comment`: a special frame's) is stored: it holds a frame, and the frame would take it past
    /// `Rotation::bytes`, or it is `Rotation::seconds` old.
    fn rotation_due(&self, len: usize, comment: Option<&str>) -> bool {
        let (Some(r), Some(w)) = (&self.stages.rotation, &self.writer) else { return false };
        if w.frames() == 0 {
            return false;
        }
        (r.bytes > 0 && w.size_with(len, comment) > r.bytes) || (r.seconds > 0 && self.file_opened.elapsed() >= Duration::from_secs(u64::from(r.seconds)))
    }

    /// Rotation: completes the current file (with its own statistics frame, for Network Monitor 2:
    /// the counts since the file before it ended, without those of the frame `counts` that is
    /// about to open the next file). The frames it holds move to `closed`; frames lost to a write
    /// error are counted as dropped, and end the capture.
    fn close_file(&mut self, counts: &FrameCounts) -> Result<(), EndReason> {
        let Some(w) = self.writer.take() else { return Ok(()) };
        let upto = counts.before(&self.tally);
        let (t0, base) = self.file_stats_base;
        let statistics = self.stages.stats_frame.then(|| totals_between(t0, &base, &upto).statistics());
        let (frames, bytes) = (w.frames(), w.bytes());
        let done = w.finish_with_statistics(statistics.as_ref());
        // The statistics frame is the last record: when frames were lost, it was lost first.
        let held = if done.frames >= frames { (frames, bytes) } else { (done.frames, done.bytes) };
        self.closed.0 += held.0;
        self.closed.1 += held.1;
        self.settle(0, 0);
        self.file_stats_base = (Instant::now(), upto);
        match done.result {
            Ok(()) => Ok(()),
            Err(e) => Err(EndReason::WriteFailed(e.to_string())),
        }
    }

    /// Rotation: creates the next file of the series and reports it; `Err` when it cannot be
    /// created (the capture ends: the files before it are complete).
    fn open_next_file(&mut self) -> Result<(), EndReason> {
        let Some(r) = self.stages.rotation.as_mut() else { return Ok(()) };
        match r.series.next_file() {
            Ok(f) => {
                self.writer = Some(f.writer);
                self.file_opened = Instant::now();
                self.file_pending = false;
                (self.notify)(Notice::FileStarted { path: f.path });
                Ok(())
            }
            Err(e) => Err(EndReason::WriteFailed(format!("{}: cannot create the next capture file: {e}", r.series.dir().path().display()))),
        }
    }

    /// Rotation by time on a quiet link: a file that holds frames and has been open
    /// `Rotation::seconds` is completed now (the next is created with the next frame to store).
    fn close_when_old(&mut self) -> Option<EndReason> {
        let r = self.stages.rotation.as_ref()?;
        let w = self.writer.as_ref()?;
        if r.seconds == 0 || w.frames() == 0 || self.file_opened.elapsed() < Duration::from_secs(u64::from(r.seconds)) {
            return None;
        }
        let reason = self.close_file(&FrameCounts::default()).err();
        self.file_pending = reason.is_none();
        reason
    }

    /// The trigger after a frame was stored (`bytes`: the captured bytes with it). STOP ends the
    /// capture (the thread reports it when it has finished the file); PAUSE pauses it; either
    /// action, and NOTIFY, is reported now with the counts that include this frame.
    fn check_trigger(&mut self, view: Option<&View<'_>>, bytes: u64) -> Flow {
        let Some((state, check)) = self.stages.trigger.as_mut() else { return Flow::Continue };
        let matched = state.wants_pattern() && view.is_some_and(|v| check(v, &state.pattern, state.data_relative));
        let Some(fired) = state.on_stored(matched, bytes) else { return Flow::Continue };
        self.shared.trigger_pending.store(false, Relaxed);
        match fired.action {
            UPDATE_ACTION_STOP_CAPTURE => return Flow::Ended(EndReason::Trigger(fired)),
            UPDATE_ACTION_PAUSE_CAPTURE => self.shared.paused.store(true, Release),
            _ => {}
        }
        self.shared.counters.publish(&self.tally);
        (self.notify)(Notice::Trigger(fired, snapshot(&self.shared)));
        Flow::Continue
    }

    /// Inserts the special frames queued by `Engine::insert_special`, in order, at this point of
    /// the capture: written (pcapng with its comment) or delivered, counted as captured.
    fn insert_specials(&mut self) -> Flow {
        // Delivering may wait for the frames callback, which may read the conversations.
        self.conv_held = None;
        self.shared.special_pending.store(false, Release);
        let queued = std::mem::take(&mut *self.shared.specials.lock());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let ts = crate::capfile::Timestamp { sec: now.as_secs() as i64, nsec: now.subsec_nanos() };
        for s in queued {
            if let Some(rtc) = self.stages.rtc.as_mut() {
                if rtc.push(micros(ts), s.frame.len() as u32, &s.frame) == super::rtc::Pushed::Dropped {
                    self.tally.dropped_frames += 1;
                    continue;
                }
            }
            if let Err(reason) = self.store(ts, s.frame.len() as u32, &s.frame, Some(&s.comment), &FrameCounts::default()) {
                self.tally.dropped_frames += 1;
                return Flow::Ended(reason);
            }
            self.tally.captured_frames += 1;
            self.tally.captured_bytes += s.frame.len() as u64;
        }
        self.publish();
        Flow::Continue
    }

    /// The source had nothing for a poll timeout and Stop was not called: the link is quiet, so
    /// what is buffered goes to the file now, and the counts are published.
    fn on_idle(&mut self, source: &mut dyn Source) -> Flow {
        if let Some(reason) = self.flush().or_else(|| self.close_when_old()) {
            return Flow::Ended(reason);
        }
        if let Some(rtc) = self.stages.rtc.as_mut() {
            rtc.hand_over_waiting();
            rtc.tick(Instant::now());
        }
        self.poll_kernel_when_due(source);
        self.publish();
        self.to_publish = PUBLISH_EVERY;
        Flow::Continue
    }

    /// The source failed or met a damaged record: the capture ends by itself, unless Stop was
    /// already called (then it simply ends).
    fn on_failure(&self, reason: EndReason) -> Flow {
        match self.stop_seen {
            None => Flow::Ended(reason),
            Some(_) => Flow::Stopped,
        }
    }

    /// The end: the last kernel counters, the file finished (with the statistics frame when
    /// `stages.stats_frame`), the counts settled to what it holds and published.
    fn finish(mut self, source: &mut dyn Source, ended_by_itself: Option<EndReason>) -> (Outcome, Option<EndReason>, Notifier) {
        // Special frames inserted before Stop are part of the capture.
        self.conv_held = None;
        if ended_by_itself.is_none() {
            let _ = self.insert_specials();
        }
        if self.lend.is_some() {
            self.lend_blocks(source, true);
        }
        if let Some(rtc) = self.stages.rtc.as_mut() {
            // The frames not yet delivered go to the callback before Stop returns.
            rtc.finish();
        }
        self.poll_kernel(source);
        self.publish();
        self.shared.trigger_pending.store(false, Relaxed);
        // With rotation, the last file's own statistics (as every file's); else the capture's.
        let statistics = self.stages.stats_frame.then(|| match &self.stages.rotation {
            Some(_) => totals_between(self.file_stats_base.0, &self.file_stats_base.1, &self.tally).statistics(),
            None => snapshot(&self.shared).statistics(),
        });
        let finish_error = match self.writer.take() {
            Some(w) => {
                let done = w.finish_with_statistics(statistics.as_ref());
                self.settle(done.frames, done.bytes);
                done.result.err().map(|e| e.to_string())
            }
            None => None,
        };
        self.publish();
        let reason = ended_by_itself.clone().unwrap_or(EndReason::Stopped);
        (Outcome { reason, finish_error }, ended_by_itself, self.notify)
    }
}

impl Engine {
    /// Starts the capture thread. `frame_limit` 0 = none. `notify` hears of a capture that ends by
    /// itself and of triggers.
    pub fn start(
        source: Box<dyn Source>,
        writer: Option<Box<dyn CaptureWriter>>,
        snaplen: u32,
        frame_limit: u64,
        stages: Stages,
        notify: Notifier,
    ) -> std::io::Result<Engine> {
        let shared = Arc::new(Shared {
            specials: Mutex::new(Vec::new()),
            special_pending: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            trigger_pending: AtomicBool::new(stages.trigger.is_some()),
            stop: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            counters: Counters::default(),
            base: Mutex::new((Instant::now(), Tally::default())),
            waker: source.waker(),
        });
        let linktype = source.linktype();
        let live = source.is_live();
        let lp = Loop {
            shared: shared.clone(),
            writer,
            stages,
            notify,
            snaplen: if snaplen == 0 { usize::MAX } else { snaplen as usize },
            linktype,
            frame_limit: if frame_limit == 0 { u64::MAX } else { frame_limit },
            tally: Tally::default(),
            stop_seen: None,
            to_publish: PUBLISH_EVERY,
            to_clock: CLOCK_EVERY,
            look_at_clock: false,
            last_kernel_poll: Instant::now(),
            last_flush: Instant::now(),
            waited: false,
            flush_error: None,
            conv_held: None,
            file_opened: Instant::now(),
            file_stats_base: (Instant::now(), Tally::default()),
            closed: (0, 0),
            file_pending: false,
            lend: None,
            kept: false,
            lent: Vec::new(),
            unflushed: false,
            told_idle: false,
        };
        let thread_shared = shared.clone();
        let (go, wait_for_go) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new().name("ndisnpp-capture".into()).spawn(move || {
            if live {
                raise_priority();
            }
            // A capture written to a pipe whose reader went away gets EPIPE, not the process a
            // SIGPIPE (NPP:Config:CaptureFileDescriptor).
            let _quiet = super::fds::SigpipeBlocked::new();
            // A stream whose reader stopped reading gives up writing once Stop was called.
            let stop_flag = thread_shared.clone();
            crate::capfile::stop_requested_is(Box::new(move || stop_flag.stop.load(Acquire)));
            // `go`, or the Engine gone before it (then Stop is set and the loop ends at once).
            let _ = wait_for_go.recv();
            let (outcome, by_itself, notify) = lp.run(source);
            thread_shared.ended.store(true, Release);
            match by_itself {
                Some(EndReason::Trigger(fired)) => notify(Notice::Trigger(fired, snapshot(&thread_shared))),
                Some(reason) => notify(Notice::Ended(reason, snapshot(&thread_shared))),
                None => {}
            }
            outcome
        })?;
        Ok(Engine { shared, thread: Some(thread), go: Some(go) })
    }

    /// Lets the capture thread read frames (see `Engine::go`'s field). Tests and callers that
    /// need no such ordering call it right after `start`.
    pub fn go(&mut self) {
        if let Some(g) = self.go.take() {
            let _ = g.send(());
        }
    }

    /// Pause (true) or resume (false): while paused, frames are counted as seen and not written.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Release);
    }

    /// Queues a special frame (`frame`: its bytes; `comment`: what it is, for pcapng) for the
    /// capture thread, which inserts it at the current point of the capture within one poll
    /// timeout (or before Stop finishes the capture). Counted as captured once inserted.
    pub fn insert_special(&self, frame: Vec<u8>, comment: String) {
        self.shared.specials.lock().push(Special { frame, comment });
        self.shared.special_pending.store(true, Release);
        self.shared.wake();
    }

    /// True while a trigger is armed and has not fired (NETWORKSTATUS_FLAGS_TRIGGER_PENDING).
    pub fn trigger_pending(&self) -> bool {
        self.shared.trigger_pending.load(Relaxed)
    }

    /// True while paused (by Pause or by a trigger's PAUSE action).
    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Acquire)
    }

    /// True once the capture thread has finished by itself (see `EndReason`).
    pub fn has_ended(&self) -> bool {
        self.shared.ended.load(Acquire)
    }

    /// The totals now.
    pub fn totals(&self) -> Totals {
        snapshot(&self.shared)
    }

    /// A reader of this capture's counters that outlives the engine (while Stop finishes it).
    pub fn reader(&self) -> EngineReader {
        EngineReader(self.shared.clone())
    }

    /// A clearing read: the totals now, and every counter and the TimeElapsed base reset, so that
    /// later readings count from exactly what this one returned.
    pub fn take_statistics(&self) -> Totals {
        let mut base = self.shared.base.lock();
        let now = self.shared.counters.load();
        let totals = totals_between(base.0, &base.1, &now);
        *base = (Instant::now(), now);
        totals
    }

    /// Stops the capture: drains what is queued (at most DRAIN_LIMIT), finishes and flushes the
    /// file, and returns how it ended with the final statistics.
    pub fn stop(mut self) -> (Outcome, Totals) {
        self.shared.stop.store(true, Release);
        // A source waiting (a replay in park_timeout, the ring in a long idle wait) sees Stop
        // now, not at its next look.
        self.shared.wake();
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
        self.go = None;
        let outcome = match self.thread.take().map(|t| t.join()) {
            Some(Ok(o)) => o,
            Some(Err(_)) => Outcome { reason: EndReason::SourceFailed("capture thread panicked".into()), finish_error: None },
            None => Outcome { reason: EndReason::Stopped, finish_error: None },
        };
        (outcome, snapshot(&self.shared))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shared.stop.store(true, Release);
        self.shared.wake();
        self.go = None;
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{CaptureWriter, Timestamp, WriteError};
    use crate::capture::source::{Frame, KernelStats, Next, Source};
    use crate::types::{SESSIONSTATS, STATIONSTATS};
    use std::sync::mpsc;

    /// Delivers the frames it receives on a channel; Idle when none arrives within 5 ms (with
    /// `block`: it waits for the next frame as long as it takes, like a quiet link between two
    /// frames that each arrive before the poll timeout).
    struct ChannelSource {
        rx: mpsc::Receiver<Vec<u8>>,
        current: Vec<u8>,
        fail_after_closed: bool,
        block: bool,
    }

    impl Source for ChannelSource {
        fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
            let got = match self.rx.try_recv() {
                Ok(f) => Ok(f),
                Err(mpsc::TryRecvError::Disconnected) => Err(mpsc::RecvTimeoutError::Disconnected),
                Err(mpsc::TryRecvError::Empty) => {
                    before_wait();
                    if self.block {
                        self.rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
                    } else {
                        self.rx.recv_timeout(Duration::from_millis(5))
                    }
                }
            };
            match got {
                Ok(f) => {
                    self.current = f;
                    Next::Frame(Frame { ts: Timestamp { sec: 1, nsec: 0 }, wire_len: self.current.len() as u32 + 10, data: &self.current })
                }
                Err(mpsc::RecvTimeoutError::Timeout) => Next::Idle,
                Err(mpsc::RecvTimeoutError::Disconnected) if self.fail_after_closed => Next::Failed("gone".into()),
                Err(mpsc::RecvTimeoutError::Disconnected) => Next::Idle,
            }
        }
        fn linktype(&self) -> u32 {
            1
        }
        fn kernel_stats(&mut self) -> Option<KernelStats> {
            Some(KernelStats { received: 7, dropped: 2, if_dropped: 1 })
        }
        fn is_live(&self) -> bool {
            true
        }
    }

    /// Keeps frame lengths; fails (losing `lose` buffered frames) after `fail_at` frames.
    struct MemWriter {
        frames: Arc<Mutex<Vec<usize>>>,
        fail_at: usize,
        lose: usize,
    }

    impl CaptureWriter for MemWriter {
        fn write_frame(&mut self, _ts: Timestamp, wire: u32, data: &[u8]) -> Result<(), WriteError> {
            let mut f = self.frames.lock();
            assert!(wire as usize >= data.len());
            if f.len() == self.fail_at {
                let keep = f.len() - self.lose;
                f.truncate(keep);
                return Err(WriteError::Io(std::io::Error::from_raw_os_error(libc::ENOSPC)));
            }
            f.push(data.len());
            Ok(())
        }
        fn frames(&self) -> u64 {
            self.frames.lock().len() as u64
        }
        fn bytes(&self) -> u64 {
            self.frames.lock().iter().map(|&n| n as u64).sum()
        }
        fn flush(&mut self) -> Result<(), WriteError> {
            Ok(())
        }
        fn finish(self: Box<Self>) -> crate::capfile::Finished {
            crate::capfile::Finished { frames: self.frames(), bytes: self.bytes(), result: Ok(()) }
        }
    }

    fn wait_for(mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < deadline, "condition not reached");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// An engine, the sender of its source's frames, the writer's stored lengths, its notices.
    type Setup = (Engine, mpsc::Sender<Vec<u8>>, Arc<Mutex<Vec<usize>>>, mpsc::Receiver<(EndReason, Totals)>);

    fn setup(fail_at: usize, lose: usize, snaplen: u32, limit: u64, fail_after_closed: bool) -> Setup {
        setup_with(fail_at, lose, snaplen, limit, fail_after_closed, Stages::default())
    }

    fn setup_with(fail_at: usize, lose: usize, snaplen: u32, limit: u64, fail_after_closed: bool, stages: Stages) -> Setup {
        let (tx, rx) = mpsc::channel();
        let frames = Arc::new(Mutex::new(Vec::new()));
        let w = MemWriter { frames: frames.clone(), fail_at, lose };
        let (etx, erx) = mpsc::channel();
        let notify: Notifier = Box::new(move |n: Notice| {
            let _ = match n {
                Notice::Ended(r, t) => etx.send((r, t)),
                Notice::Trigger(f, t) => etx.send((EndReason::Trigger(f), t)),
                Notice::Link { .. } | Notice::FileStarted { .. } => Ok(()),
            };
        });
        let src = ChannelSource { rx, current: Vec::new(), fail_after_closed, block: false };
        let mut e = Engine::start(Box::new(src), Some(Box::new(w)), snaplen, limit, stages, notify).unwrap();
        e.go();
        (e, tx, frames, erx)
    }

    #[test]
    fn pause_resume_stop_and_clipping() {
        let (e, tx, frames, erx) = setup(usize::MAX, 0, 4, 0, false);
        let mut bcast = vec![0xFF; 6];
        bcast.extend_from_slice(&[0; 8]);
        tx.send(bcast).unwrap();
        tx.send(vec![1, 2, 3]).unwrap();
        wait_for(|| e.totals().captured_frames == 2);
        e.set_paused(true);
        tx.send(vec![8; 20]).unwrap();
        wait_for(|| e.totals().seen_frames == 3);
        e.set_paused(false);
        tx.send(vec![0x01, 0, 0x5e, 0, 0, 1, 7, 7]).unwrap();
        wait_for(|| e.totals().captured_frames == 3);
        let (o, t) = e.stop();
        assert_eq!(o.reason, EndReason::Stopped);
        assert_eq!(*frames.lock(), vec![4, 3, 4], "stored lengths clipped to the snap length");
        assert_eq!((t.seen_frames, t.filtered_frames, t.captured_frames, t.dropped_frames), (4, 3, 3, 0));
        assert_eq!((t.seen_broadcasts, t.seen_multicasts), (1, 1));
        assert_eq!(t.captured_bytes, 11);
        assert_eq!(t.seen_bytes, (14 + 10) + (3 + 10) + (20 + 10) + (8 + 10));
        assert_eq!((t.kernel_received, t.kernel_dropped), (7, 3));
        assert!(erx.try_recv().is_err(), "no end event for a Stop");
        let s = t.statistics();
        assert_eq!((s.TotalFramesCaptured, s.TotalFramesSeen, s.MacFramesDropped_NoBuffers), (3, 4, 3));
    }

    /// The nice value of every thread of this process named `name` (from /proc).
    fn nice_of_threads(name: &str) -> Vec<i32> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
            let Some((head, rest)) = stat.rsplit_once(')') else { continue };
            if head.split_once('(').map(|x| x.1) != Some(name) {
                continue;
            }
            // Fields after the name: state is field 3, nice field 19.
            out.push(rest.split_whitespace().nth(19 - 3).unwrap().parse().unwrap());
        }
        out
    }

    #[test]
    fn the_capture_thread_runs_at_a_higher_priority_when_permitted() {
        let (e, tx, _frames, _erx) = setup(usize::MAX, 0, 0, 0, false);
        tx.send(vec![1; 20]).unwrap();
        wait_for(|| e.totals().captured_frames == 1);
        let nice = nice_of_threads("ndisnpp-capture");
        assert!(!nice.is_empty());
        // SAFETY: plain geteuid call.
        let root = unsafe { libc::geteuid() } == 0;
        // SAFETY: getpriority on this (test) thread.
        let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        for n in nice {
            if root {
                assert_eq!(n, CAPTURE_NICE);
            } else {
                assert!(n >= own.min(CAPTURE_NICE), "{n}");
            }
        }
        e.stop();
    }

    /// An engine (no writer) over a source that waits for each frame as long as it takes. Bind
    /// it as `let (e, tx)`: `tx` is then dropped first if a check fails, which ends the source's
    /// wait so that dropping `e` can join the capture thread.
    fn blocking_engine() -> (Engine, mpsc::Sender<Vec<u8>>) {
        let (tx, rx) = mpsc::channel();
        let src = ChannelSource { rx, current: Vec::new(), fail_after_closed: false, block: true };
        let mut e = Engine::start(Box::new(src), None, 0, 0, Stages::default(), Box::new(|_| {})).unwrap();
        e.go();
        (e, tx)
    }

    /// Counts are published before the source waits: a reader sees a frame while the link is
    /// quiet even when the source never reports Idle.
    #[test]
    fn counts_are_published_before_the_source_waits() {
        let (e, tx) = blocking_engine();
        tx.send(vec![1; 30]).unwrap();
        wait_for(|| e.totals().seen_frames == 1);
        assert_eq!(e.totals().captured_frames, 1);
        tx.send(vec![2; 30]).unwrap();
        wait_for(|| e.totals().seen_frames == 2);
        drop(tx); // the source's wait ends; Stop is seen
        let (o, t) = e.stop();
        assert_eq!(o.reason, EndReason::Stopped);
        assert_eq!(t.captured_frames, 2);
    }

    /// Light traffic (every frame arrives after a wait): the kernel counters are still read
    /// every 250 ms, not every 1024 frames.
    #[test]
    fn kernel_counters_follow_a_quiet_link() {
        let (e, tx) = blocking_engine();
        std::thread::sleep(Duration::from_millis(300));
        tx.send(vec![1; 30]).unwrap();
        wait_for(|| e.totals().kernel_received == 7);
        assert_eq!(e.totals().kernel_dropped, 3);
        drop(tx);
        e.stop();
    }

    #[test]
    fn frame_limit_ends_by_itself() {
        let (e, tx, frames, erx) = setup(usize::MAX, 0, 0, 2, false);
        for i in 0..5u8 {
            // The capture may end (and drop its source) before the last frames are sent.
            let _ = tx.send(vec![i; 10]);
        }
        let (reason, totals) = erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(reason, EndReason::FrameLimit);
        assert_eq!(totals.captured_frames, 2);
        assert!(e.has_ended());
        assert_eq!(frames.lock().len(), 2);
        assert_eq!(e.stop().1.captured_frames, 2);
    }

    #[test]
    fn write_failure_counts_only_frames_in_the_file() {
        let (e, tx, frames, erx) = setup(3, 2, 0, 0, false);
        for i in 0..6u8 {
            // The capture ends (and drops its source) at the fourth frame.
            let _ = tx.send(vec![i; 10]);
        }
        let (reason, totals) = erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(reason, EndReason::WriteFailed(_)), "{reason:?}");
        assert_eq!(frames.lock().len(), 1);
        assert_eq!((totals.captured_frames, totals.dropped_frames), (1, 3), "2 lost from the buffer + the refused one");
        assert_eq!(totals.captured_bytes, 10, "the bytes of the one frame in the file");
        let (o, t) = e.stop();
        assert!(matches!(o.reason, EndReason::WriteFailed(_)));
        assert_eq!(t.captured_frames, 1);
    }

    /// Hands a list of frames in batches (`each_ready`), as the ring and the replay do, then
    /// idles.
    struct BatchSource {
        frames: std::collections::VecDeque<Vec<u8>>,
        current: Vec<u8>,
        /// After handing frame number `.0` (from 0) in a batch: says so on `.1` and waits on `.2`
        /// (the test pauses the capture meanwhile).
        hold: Option<(usize, mpsc::Sender<()>, mpsc::Receiver<()>)>,
        handed: usize,
    }

    impl Source for BatchSource {
        fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
            match self.frames.pop_front() {
                Some(f) => {
                    self.current = f;
                    self.handed += 1;
                    Next::Frame(Frame { ts: Timestamp { sec: 1, nsec: 0 }, wire_len: self.current.len() as u32 + 10, data: &self.current })
                }
                None => {
                    before_wait();
                    std::thread::sleep(Duration::from_millis(2));
                    Next::Idle
                }
            }
        }
        fn each_ready(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
            let mut n = 0;
            while let Some(f) = self.frames.pop_front() {
                n += 1;
                self.current = f;
                let go_on = each(&Frame { ts: Timestamp { sec: 1, nsec: 0 }, wire_len: self.current.len() as u32 + 10, data: &self.current });
                if let Some((at, said, go)) = &self.hold {
                    if self.handed == *at {
                        said.send(()).unwrap();
                        go.recv().unwrap();
                    }
                }
                self.handed += 1;
                if !go_on {
                    break;
                }
            }
            n
        }
        fn linktype(&self) -> u32 {
            1
        }
        fn kernel_stats(&mut self) -> Option<KernelStats> {
            None
        }
    }

    /// 1,000 frames of 3 to 99 bytes: every 7th to the broadcast address, every 5th (of the
    /// others) to a multicast address.
    fn batch_frames() -> Vec<Vec<u8>> {
        (0..1000usize)
            .map(|i| {
                // Three frames in a row share their addresses (mostly: runs for the conversations).
                let mut f = vec![(i / 3 % 251) as u8; 3 + i % 97];
                if f.len() >= 6 && i % 7 == 0 {
                    f[..6].copy_from_slice(&[0xFF; 6]);
                } else if f.len() >= 6 && i % 5 == 0 {
                    f[..6].copy_from_slice(&[0x01, 0, 0x5E, 0, 0, 1]);
                } else {
                    f[0] = 2;
                }
                f
            })
            .collect()
    }

    /// Runs `frames` through an engine with a writer failing at `fail_at` and a frame limit;
    /// (how it ended, totals at the end, the stored lengths).
    fn run_batches(frames: &[Vec<u8>], stages: Stages, fail_at: usize, limit: u64) -> BatchRun {
        run_batches_with(frames, stages, fail_at, limit).0
    }

    /// How a run of `run_batches` ended: the reason, the totals, the stored lengths.
    type BatchRun = (EndReason, Totals, Vec<usize>);
    /// The conversation tables: stations, sessions.
    type Tables = (Vec<STATIONSTATS>, Vec<SESSIONSTATS>);

    /// `run_batches` with conversation statistics; their tables too.
    fn run_batches_with(frames: &[Vec<u8>], mut stages: Stages, fail_at: usize, limit: u64) -> (BatchRun, Tables) {
        let conv = Arc::new(Mutex::new(Conversations::new()));
        stages.conversations = Some(conv.clone());
        let stored = Arc::new(Mutex::new(Vec::new()));
        let w = MemWriter { frames: stored.clone(), fail_at, lose: 0 };
        let src = BatchSource { frames: frames.iter().cloned().collect(), current: Vec::new(), hold: None, handed: 0 };
        let mut e = Engine::start(Box::new(src), Some(Box::new(w)), 40, limit, stages, Box::new(|_| {})).unwrap();
        e.go();
        let n = frames.len() as u64;
        wait_for(|| e.has_ended() || e.totals().seen_frames == n);
        let (o, t) = e.stop();
        let lengths = stored.lock().clone();
        let mut c = conv.lock();
        let (stations, sessions) = c.tables();
        ((o.reason, t, lengths), (stations.to_vec(), sessions.to_vec()))
    }

    /// A plain capture (no stage judges frames: the batch loop adds counts up locally) counts
    /// exactly as the frame-by-frame path (a capture filter that passes everything), ends at the
    /// frame limit in the middle of a batch, and at a write error counts the refused frame as
    /// dropped.
    #[test]
    fn a_plain_batch_counts_as_frame_by_frame() {
        let frames = batch_frames();
        let pass_all = || Stages { filter: Some(Box::new(|_: &View<'_>| true)), ..Stages::default() };
        let ((r1, plain, stored1), tables1) = run_batches_with(&frames, Stages::default(), usize::MAX, 0);
        let ((r2, general, stored2), tables2) = run_batches_with(&frames, pass_all(), usize::MAX, 0);
        assert_eq!(tables1, tables2, "the same conversations, counted by runs or frame by frame");
        let mut one_by_one = Conversations::new();
        for f in &frames {
            one_by_one.record(1, f, f.len() as u32 + 10);
        }
        let (st, se) = one_by_one.tables();
        assert_eq!(tables1, (st.to_vec(), se.to_vec()));
        assert!(st.len() > 50 && st.iter().any(|s| s.TotalDirectedPacketsSent >= 3), "runs of one pair among many stations");
        assert_eq!((r1, r2), (EndReason::Stopped, EndReason::Stopped));
        let expect: Vec<usize> = frames.iter().map(|f| f.len().min(40)).collect();
        assert_eq!(stored1, expect);
        assert_eq!(stored2, expect);
        let strip = |t: Totals| Totals { elapsed_us: 0, ..t };
        assert_eq!(strip(plain), strip(general));
        let wire: u64 = frames.iter().map(|f| f.len() as u64 + 10).sum();
        let bcast = (0..1000).filter(|i| i % 7 == 0 && 3 + i % 97 >= 6).count() as u64;
        let mcast = (0..1000).filter(|i| i % 7 != 0 && i % 5 == 0 && 3 + i % 97 >= 6).count() as u64;
        assert_eq!((plain.seen_frames, plain.filtered_frames, plain.captured_frames, plain.dropped_frames), (1000, 1000, 1000, 0));
        assert_eq!((plain.seen_bytes, plain.filtered_bytes, plain.captured_bytes), (wire, wire, expect.iter().sum::<usize>() as u64));
        assert_eq!((plain.seen_broadcasts, plain.seen_multicasts, plain.filtered_broadcasts, plain.filtered_multicasts), (bcast, mcast, bcast, mcast));

        for stages in [Stages::default(), pass_all()] {
            let (reason, t, stored) = run_batches(&frames, stages, usize::MAX, 300);
            assert_eq!(reason, EndReason::FrameLimit);
            assert_eq!((t.captured_frames, stored.len()), (300, 300));
        }
        for stages in [Stages::default(), pass_all()] {
            let (reason, t, stored) = run_batches(&frames, stages, 500, 0);
            assert!(matches!(reason, EndReason::WriteFailed(_)), "{reason:?}");
            assert_eq!((t.seen_frames, t.filtered_frames, t.captured_frames, t.dropped_frames, stored.len()), (501, 501, 500, 1, 500));
        }
    }

    /// A frame read once Pause has returned is not captured, also in the middle of a plain batch
    /// (the pause is looked at for every frame, as `on_frame` does).
    #[test]
    fn pause_in_the_middle_of_a_plain_batch() {
        let frames = batch_frames();
        let (said_tx, said) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let stored = Arc::new(Mutex::new(Vec::new()));
        let w = MemWriter { frames: stored.clone(), fail_at: usize::MAX, lose: 0 };
        let src = BatchSource { frames: frames.iter().take(40).cloned().collect(), current: Vec::new(), hold: Some((10, said_tx, go_rx)), handed: 0 };
        let mut e = Engine::start(Box::new(src), Some(Box::new(w)), 0, 0, Stages::default(), Box::new(|_| {})).unwrap();
        e.go();
        said.recv_timeout(Duration::from_secs(10)).unwrap();
        e.set_paused(true);
        go.send(()).unwrap();
        wait_for(|| e.totals().seen_frames == 40);
        let (_, t) = e.stop();
        assert_eq!((t.seen_frames, t.filtered_frames, t.captured_frames), (40, 11, 11), "frames 0 to 10 arrived before Pause");
        assert_eq!(stored.lock().len(), 11);
    }

    #[test]
    fn source_failure_and_clearing() {
        let (e, tx, _frames, erx) = setup(usize::MAX, 0, 0, 0, true);
        tx.send(vec![1; 10]).unwrap();
        wait_for(|| e.totals().captured_frames == 1);
        let taken = e.take_statistics();
        assert_eq!((taken.seen_frames, taken.captured_frames), (1, 1));
        let t = e.totals();
        assert_eq!((t.seen_frames, t.captured_frames, t.kernel_received), (0, 0, 0));
        drop(tx);
        let (reason, _) = erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(reason, EndReason::SourceFailed("gone".into()));
    }

    #[test]
    fn filter_conversations_and_triggers() {
        use crate::blob::filters::zero_trigger;
        let conv = Arc::new(Mutex::new(Conversations::new()));
        let mut t = zero_trigger();
        t.TriggerActive = 1;
        t.TriggerType = crate::types::TRIGGER_TYPE_PATTERN_MATCH as u8;
        t.TriggerAction = crate::types::TRIGGER_ACTION_PAUSE as u8;
        let stages = Stages {
            // keep frames whose first byte is even
            filter: Some(Box::new(|v: &View<'_>| v.f[0] % 2 == 0)),
            // the trigger pattern "matches" frames whose second byte is 0x77
            trigger: Some((TriggerState::new(&t, 0).unwrap(), Box::new(|v: &View<'_>, _: &PATTERNMATCH, _| v.f[1] == 0x77))),
            conversations: Some(conv.clone()),
            stats_frame: false,
            rtc: None,
            bpf: None,
            rotation: None,
        };
        let (e, tx, frames, erx) = setup_with(usize::MAX, 0, 0, 0, false, stages);
        assert!(e.trigger_pending());
        for f in [[2u8; 14], [3; 14], [4; 14]] {
            tx.send(f.to_vec()).unwrap();
        }
        wait_for(|| e.totals().seen_frames == 3);
        let mut fire = [6u8; 14];
        fire[1] = 0x77;
        tx.send(fire.to_vec()).unwrap();
        let (reason, totals) = erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(reason, EndReason::Trigger(Fired { event: crate::types::UPDATE_EVENT_TRIGGER_PATTERN_MATCH, action: UPDATE_ACTION_PAUSE_CAPTURE }));
        assert_eq!(totals.captured_frames, 3, "the firing frame is stored and counted");
        assert!(!e.trigger_pending() && e.is_paused() && !e.has_ended());
        tx.send(vec![8; 14]).unwrap();
        wait_for(|| e.totals().seen_frames == 5);
        let (_, t) = e.stop();
        assert_eq!((t.seen_frames, t.filtered_frames, t.captured_frames), (5, 3, 3));
        assert_eq!(frames.lock().len(), 3);
        // 02..02 -> itself, 04..04 -> itself, 06 06.. -> 06 77 06..: the frame read while paused is not counted
        assert_eq!(conv.lock().tables().0.len(), 4, "stations of the 3 frames that passed the filter");
    }

    #[test]
    fn trigger_stop_ends_the_capture() {
        use crate::blob::filters::zero_trigger;
        let mut t = zero_trigger();
        t.TriggerActive = 1;
        t.TriggerType = crate::types::TRIGGER_TYPE_BUFFER_CONTENT as u8;
        t.TriggerAction = crate::types::TRIGGER_ACTION_STOP as u8;
        t.TriggerBufferSize = crate::types::TRIGGER_BUFFER_FULL_50_PERCENT;
        let stages = Stages { trigger: Some((TriggerState::new(&t, 100).unwrap(), Box::new(|_: &View<'_>, _: &PATTERNMATCH, _| false))), ..Default::default() };
        let (e, tx, frames, erx) = setup_with(usize::MAX, 0, 0, 0, false, stages);
        for _ in 0..10 {
            // The capture ends at the third frame and drops its source (the receiver) then: a
            // send after that fails, and the frames are not wanted anyway.
            let _ = tx.send(vec![0; 20]);
        }
        let (reason, totals) = erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(
            matches!(reason, EndReason::Trigger(f) if f.action == UPDATE_ACTION_STOP_CAPTURE && f.event == crate::types::UPDATE_EVENT_TRIGGER_BUFFER_CONTENT)
        );
        assert_eq!(totals.captured_frames, 3, "50 % of 100 bytes is reached by the third 20-byte frame, the last stored");
        assert_eq!(frames.lock().len(), 3);
        wait_for(|| e.has_ended());
    }

    /// Takes `cap` frames, then answers FileLimit (as the Network Monitor writer at 4 GiB).
    struct LimitWriter {
        cap: u64,
        n: u64,
    }

    impl CaptureWriter for LimitWriter {
        fn write_frame(&mut self, _ts: Timestamp, _wire: u32, _data: &[u8]) -> Result<(), WriteError> {
            if self.n == self.cap {
                return Err(WriteError::FileLimit);
            }
            self.n += 1;
            Ok(())
        }
        fn frames(&self) -> u64 {
            self.n
        }
        fn bytes(&self) -> u64 {
            self.n * 10
        }
        fn flush(&mut self) -> Result<(), WriteError> {
            Ok(())
        }
        fn finish(self: Box<Self>) -> crate::capfile::Finished {
            crate::capfile::Finished { frames: self.n, bytes: self.n * 10, result: Ok(()) }
        }
    }

    /// The format's size limit ends a capture, unless it rotates: then the next file takes the
    /// frame that did not fit, and the capture goes on.
    #[test]
    fn file_limit_starts_the_next_file_when_rotating() {
        use crate::capfile::{series::Series, FileFormat, StreamInfo};
        let d = std::env::temp_dir().join(format!("ndisnpp-engine-limit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for rotating in [false, true] {
            let (tx, rx) = mpsc::channel();
            let (etx, erx) = mpsc::channel();
            let notify: Notifier = Box::new(move |n: Notice| {
                let _ = etx.send(n);
            });
            let mut stages = Stages::default();
            if rotating {
                let dir = crate::capfile::dir::CaptureDir::open_explicit(&d).unwrap();
                let (series, first) = Series::start(dir, Some("lim"), FileFormat::Pcap, StreamInfo { linktype: 1, snaplen: 0 }, 0).unwrap();
                drop(first.writer); // file 1 stays empty: the test's LimitWriter stands for it
                stages.rotation = Some(Rotation { series, bytes: 0, seconds: 0 });
            }
            let src = ChannelSource { rx, current: Vec::new(), fail_after_closed: false, block: false };
            let w = LimitWriter { cap: 3, n: 0 };
            let mut e = Engine::start(Box::new(src), Some(Box::new(w)), 0, 0, stages, notify).unwrap();
            e.go();
            for i in 0..5u8 {
                let _ = tx.send(vec![i; 10]);
            }
            if rotating {
                wait_for(|| e.totals().captured_frames == 5);
                let (o, t) = e.stop();
                assert_eq!((o.reason, t.captured_frames, t.dropped_frames), (EndReason::Stopped, 5, 0));
                let started: Vec<Notice> = erx.try_iter().collect();
                assert_eq!(started.len(), 1, "{started:?}");
                let Notice::FileStarted { path } = &started[0] else { panic!("{started:?}") };
                assert!(path.file_name().unwrap().to_str().unwrap().starts_with("lim_00002_"));
                // The second file: the pcap header and the 2 frames after the first 3.
                assert_eq!(std::fs::metadata(path).unwrap().len(), 24 + 2 * (16 + 10));
            } else {
                let Notice::Ended(reason, t) = erx.recv_timeout(Duration::from_secs(10)).unwrap() else { panic!() };
                assert_eq!((reason, t.captured_frames, t.dropped_frames), (EndReason::FileLimit, 3, 1));
                e.stop();
            }
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
