//! Real-time delivery (IRTC): Network Monitor's double buffer on the capture thread's side.
//!
//! Two [`Batch`]es circulate: the capture thread fills one (frame bytes + descriptors) while the
//! delivery thread (src/npp/delivery.rs) hands the other to the application's frames callback.
//! The capture thread hands its batch over when the table or the buffer is full, when the
//! update interval has passed since the last handover, or early, when the delivery thread is
//! free and the source has nothing more for the moment or the batch holds enough frames
//! (`hand_over_early`); it then continues in the batch the
//! delivery thread gave back. When the delivery thread still holds that one (a slow callback),
//! frames that do not fit are dropped and counted: memory stays two batches, and the capture
//! thread never waits for the callback, except at the very end, when Stop delivers what is left.

use super::ring::LentBlock;
use crate::filter::frame::{self, Net, Ty};
use crate::types::*;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

/// Why a batch was handed over (the UPDATE_EVENT of its delivery).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handover {
    /// The update interval passed (UPDATE_EVENT_RTC_INTERVAL_ELAPSED); also the last batch at Stop.
    Interval,
    /// The frame table is full (UPDATE_EVENT_RTC_FRAME_TABLE_FULL).
    TableFull,
    /// The frame buffer is full (UPDATE_EVENT_RTC_BUFFER_FULL).
    BufferFull,
}

impl Handover {
    pub fn event(self) -> u16 {
        (match self {
            Handover::Interval => UPDATE_EVENT_RTC_INTERVAL_ELAPSED,
            Handover::TableFull => UPDATE_EVENT_RTC_FRAME_TABLE_FULL,
            Handover::BufferFull => UPDATE_EVENT_RTC_BUFFER_FULL,
        }) as u16
    }
}

/// The sizes of an IRTC delivery (from `NPP:Config:BufferSize`, `FrameTableLength`,
/// `UpdateInterval` / `UpdateFreq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcSettings {
    /// Bytes of frame data per batch.
    pub buffer_size: usize,
    /// Frames per batch (FRAMETABLE.FrameTableLength).
    pub table_len: usize,
    /// The longest a frame waits in a batch before it is handed over.
    pub interval: Duration,
}

/// Frames on their way to the callback: their bytes and their FRAMETABLE, built in place as the
/// capture thread adds each frame (the delivery thread hands the table over as it is).
pub struct Batch {
    /// The frames' bytes. Its capacity is the buffer size and it never grows past it, so the
    /// buffer never moves: the descriptors' FramePointers stay valid wherever the batch goes.
    data: Vec<u8>,
    /// The FRAMETABLE: 8-byte units, room for the header and `table_len` descriptors.
    table: Vec<u64>,
    table_len: usize,
    buffer_size: usize,
    count: usize,
    /// Why it was handed over.
    pub reason: Handover,
    /// Frames dropped since the batch before it was handed over (UPDATE_EVENT.FramesDropped).
    pub dropped: u32,
    /// Ring blocks lent by a live source that frames of this batch (or of the one before it) lie
    /// in: given back to the kernel when the batch is emptied, after its delivery.
    blocks: Vec<LentBlock>,
    /// Lending: keeps the source's ring mapped while this batch is delivered, whatever happens
    /// to the source meanwhile.
    keep_alive: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

impl Batch {
    /// A batch for `s`, the beginning of its memory touched now (on the thread that calls this,
    /// at Start) rather than by the capture and delivery threads' first frames.
    ///
    /// Only the first `PREFAULT_BYTES` of each part are touched: a large BufferSize or
    /// FrameTableLength reserves address space, and the kernel commits its pages as frames use them.
    pub fn new(s: &RtcSettings) -> Batch {
        let table_bytes = FRAMETABLE_HEADER + s.table_len * std::mem::size_of::<FRAME_DESCRIPTOR>();
        let mut data = vec![0u8; s.buffer_size];
        prefault(&mut data[..s.buffer_size.min(PREFAULT_BYTES)]);
        data.clear();
        let mut table = vec![0u64; table_bytes.div_ceil(8)];
        let table_view = bytemuck_u64(&mut table);
        let n = table_view.len().min(PREFAULT_BYTES);
        prefault(&mut table_view[..n]);
        Batch {
            data,
            table,
            table_len: s.table_len,
            buffer_size: s.buffer_size,
            count: 0,
            reason: Handover::Interval,
            dropped: 0,
            blocks: Vec::new(),
            keep_alive: None,
        }
    }

    /// Frames in the batch.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Nothing for the callback: no frame and no drop to report (a batch that only carries lent
    /// blocks back).
    pub fn has_nothing_to_deliver(&self) -> bool {
        self.count == 0 && self.dropped == 0
    }

    /// Bytes of frame data in the batch.
    #[cfg(test)]
    fn data_len(&self) -> usize {
        self.data.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.count = 0;
        self.dropped = 0;
        // The frames that lay in these blocks were delivered: the kernel may refill them.
        self.blocks.clear();
    }

    /// Why a frame of `stored` bytes does not fit (None: it does). A frame left in a lent ring
    /// block (`in_place`) takes no room in the buffer; the batch holds at most `block_limit`
    /// lent blocks instead, so that the kernel keeps room in its ring.
    fn full_for(&self, stored: usize, in_place: bool, block_limit: usize) -> Option<Handover> {
        if self.count >= self.table_len {
            Some(Handover::TableFull)
        } else if if in_place { self.blocks.len() >= block_limit } else { self.data.len() + stored > self.buffer_size } {
            Some(Handover::BufferFull)
        } else {
            None
        }
    }

    fn descriptors(&mut self) -> *mut FRAME_DESCRIPTOR {
        let t = self.table.as_mut_ptr().cast::<FRAMETABLE>();
        // SAFETY: `table` holds the FRAMETABLE header (the Frames field is within it).
        unsafe { core::ptr::addr_of_mut!((*t).Frames).cast::<FRAME_DESCRIPTOR>() }
    }

    /// Adds a frame that fits (`full_for` said so): its bytes (unless `in_place`: they stay in a
    /// lent ring block, which the batch or a later one holds until delivered), and its
    /// descriptor (with FramePointer set here) straight into the table.
    #[inline]
    fn push(&mut self, layers: Layers, ts_us: i64, wire_len: u32, stored: &[u8], in_place: bool) {
        let at = if in_place {
            stored.as_ptr().cast_mut()
        } else {
            let offset = self.data.len();
            // Within the capacity (full_for): no reallocation, the buffer stays where it is.
            self.data.extend_from_slice(stored);
            // SAFETY: `offset` is within the buffer (the bytes were just written there), whose
            // heap memory does not move while the batch lives.
            unsafe { self.data.as_mut_ptr().add(offset) }
        };
        // SAFETY: `count < table_len` (full_for), and the table has room for `table_len`
        // descriptors, 8-aligned as FRAME_DESCRIPTOR needs.
        unsafe { self.descriptors().add(self.count).write(layers.descriptor(at, ts_us, wire_len, stored.len())) };
        self.count += 1;
    }

    /// The descriptor of frame `i` (< len).
    #[cfg(test)]
    fn descriptor(&mut self, i: usize) -> FRAME_DESCRIPTOR {
        assert!(i < self.count);
        // SAFETY: written by push (i < count).
        unsafe { self.descriptors().add(i).read() }
    }

    /// The FRAMETABLE of this batch, its descriptors already in place: only the header is set
    /// here. Valid until the batch is changed.
    pub fn frame_table(&mut self) -> *mut FRAMETABLE {
        let t = self.table.as_mut_ptr().cast::<FRAMETABLE>();
        let n = self.count;
        // SAFETY: `table` has room for the FRAMETABLE header and is 8-aligned.
        unsafe {
            (*t).FrameTableLength = self.table_len as DWORD;
            (*t).StartIndex = 0;
            (*t).EndIndex = n.saturating_sub(1) as DWORD;
            (*t).FrameCount = n as DWORD;
        }
        t
    }

    /// Empties the batch for reuse (after delivery).
    pub fn recycle(&mut self) {
        self.clear();
    }
}

/// How much of each part of a batch is mapped at Start (the default 1 MiB buffer and 4096-entry
/// table entirely).
const PREFAULT_BYTES: usize = 256 << 10;

/// Writes one byte per page, so that the pages are mapped now (zeroed allocations are mapped
/// lazily, at their first write).
fn prefault(bytes: &mut [u8]) {
    for b in bytes.iter_mut().step_by(4096) {
        // SAFETY: `b` is a valid, exclusive reference to one byte; the volatile write only keeps
        // the compiler from dropping a store of the value the byte already has.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
}

/// The bytes of a `u64` slice.
fn bytemuck_u64(words: &mut [u64]) -> &mut [u8] {
    let len = std::mem::size_of_val(words);
    // SAFETY: the same memory, viewed as bytes (any byte value is a valid u8; alignment 1).
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
}

/// Bytes before the first descriptor of a FRAMETABLE.
const FRAMETABLE_HEADER: usize = std::mem::offset_of!(FRAMETABLE, Frames);

/// The capture thread's side of the double buffer.
pub struct RtcFeed {
    settings: RtcSettings,
    linktype: u32,
    fill: Option<Batch>,
    /// Batches going to the delivery thread.
    full: Option<SyncSender<Batch>>,
    /// Batches the delivery thread gave back, emptied.
    spare: Receiver<Batch>,
    last_handover: Instant,
    /// Frames dropped since the last handover.
    dropped: u32,
    /// Wait for the other batch instead of dropping (a source that never overflows: see
    /// `Source::can_wait`).
    wait_for_spare: bool,
    /// Frames after which the batch is handed over as soon as the other one is back
    /// (`hand_over_early`): EARLY_FIRST at first, doubled at each early handover up to EARLY_MOST.
    early_at: usize,
    /// The time stamp (µs since 1970) of the filling batch's first frame (None: it is empty).
    first_ts_us: Option<i64>,
    /// Lending (`set_lending`): the most lent ring blocks a batch holds (0: frames are copied).
    block_limit: usize,
    /// Lending: the source's ring memory, held by every batch handed over.
    keep_alive: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

/// The first batch goes to the callback once it holds this many frames and the delivery thread
/// is free: the first delivery comes within a fraction of a millisecond of the first frame, even
/// with a large FrameTableLength.
const EARLY_FIRST: usize = 512;
/// Early handovers grow to batches of this many frames: fewer handovers (each costs the two
/// threads a wake-up) while a fast source keeps both threads busy.
const EARLY_MOST: usize = 8192;
/// When the source has nothing more for the moment, a batch smaller than `early_at` still goes
/// to the callback if its first frame arrived this long ago (by its time stamp, so a replayed
/// file's frames always go at once): a trickle of frames is delivered at once, while a fast
/// source's short pauses (a live ring between two blocks) do not cost a handover each (two
/// wake-ups on one CPU).
const WAITING_AGE_US: i64 = 10_000;

/// The delivery thread's side of the double buffer: the batches the capture thread hands over,
/// each given back once delivered.
pub struct Deliveries {
    full: Receiver<Batch>,
    spare: SyncSender<Batch>,
}

impl Deliveries {
    /// Runs `deliver` on each batch the capture thread hands over, in order, and gives each back
    /// emptied; returns once the capture thread has closed its side (after its last batch).
    pub fn each(self, mut deliver: impl FnMut(&mut Batch)) {
        for mut batch in self.full {
            deliver(&mut batch);
            batch.recycle();
            // Room for both batches: never blocks. The capture thread may be gone (then the
            // batch is simply dropped).
            let _ = self.spare.send(batch);
        }
    }
}

/// The double buffer of one IRTC capture: the capture thread's feed (one batch to fill) and the
/// delivery thread's side (the other batch, given back through it). This is the whole protocol:
/// two batches circulate over two channels with room for both, so neither side ever blocks on a
/// send; the capture thread waits for a batch only when `wait_for_spare` (an unpaced replay) or
/// at the end (`RtcFeed::finish`).
pub fn double_buffer(settings: RtcSettings, linktype: u32, wait_for_spare: bool) -> (RtcFeed, Deliveries) {
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel(2);
    let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel(2);
    let _ = spare_tx.send(Batch::new(&settings));
    (RtcFeed::new(settings, linktype, full_tx, spare_rx, wait_for_spare), Deliveries { full: full_rx, spare: spare_tx })
}

/// Descriptor slots reserved in the filling batch (`RtcFeed::reserve`): frames left in place
/// are written into them with no check but the room left, and join the batch at `commit`.
pub struct Slots {
    next: *mut FRAME_DESCRIPTOR,
    room: usize,
    used: usize,
    buffer_size: usize,
    linktype: u32,
}

impl Slots {
    /// No slots (no IRTC stage): every `push` answers false.
    pub fn none() -> Slots {
        Slots { next: std::ptr::null_mut(), room: 0, used: 0, buffer_size: 0, linktype: 0 }
    }

    /// Adds a frame whose bytes (`data`) lie in a lent ring block, as `push_parsed` with
    /// `in_place` would; false when no slot is left (the frame is not added: `commit`, then
    /// `push_parsed`).
    #[inline(always)]
    pub fn push(&mut self, ts_us: i64, wire_len: u32, data: &[u8]) -> bool {
        if self.used == self.room {
            return false;
        }
        let data = &data[..data.len().min(self.buffer_size)];
        let d = Layers::of(self.linktype, data).descriptor(data.as_ptr().cast_mut(), ts_us, wire_len, data.len());
        // SAFETY: `used < room`: the slot is within the table (`reserve`), and nothing else
        // writes the batch until `commit`.
        unsafe { self.next.add(self.used).write(d) };
        self.used += 1;
        true
    }
}

/// What `RtcFeed::push` did with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Copied into the batch.
    Stored,
    /// Left where it lies, in a block the source lends (`push_parsed` with `in_place`).
    InPlace,
    /// No room, and the other batch is still with the callback.
    Dropped,
}

impl RtcFeed {
    /// A feed that sends full batches on `full` and takes emptied ones from `spare`; the caller
    /// puts the second batch into `spare`'s channel (`double_buffer` does). With `wait_for_spare`
    /// (an unpaced replay), a full batch waits for the other one instead of dropping frames.
    fn new(settings: RtcSettings, linktype: u32, full: SyncSender<Batch>, spare: Receiver<Batch>, wait_for_spare: bool) -> RtcFeed {
        RtcFeed {
            settings,
            linktype,
            fill: Some(Batch::new(&settings)),
            full: Some(full),
            spare,
            last_handover: Instant::now(),
            dropped: 0,
            wait_for_spare,
            early_at: EARLY_FIRST,
            first_ts_us: None,
            block_limit: 0,
            keep_alive: None,
        }
    }

    /// Hands the batch over before it is full when it holds enough frames (512 at first, then
    /// twice as many each time, up to 8,192) and the delivery thread has given the other one
    /// back: a fast source then keeps the callback busy from its first frames on, instead of
    /// making it wait for a full table. Called once per batch of frames the engine takes.
    pub fn hand_over_early(&mut self) {
        if self.fill.as_ref().is_some_and(|b| b.len() >= self.early_at) && self.hand_over(Handover::Interval) {
            self.early_at = (self.early_at * 2).min(EARLY_MOST);
        }
    }

    /// The source has nothing more for the moment: hands the batch over if the other one is back
    /// and the batch holds `early_at` frames or its first frame has waited WAITING_AGE (a frame
    /// should not wait for the interval then). Otherwise the next call, an early handover or the
    /// interval hands it over.
    pub fn hand_over_waiting(&mut self) {
        let now_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(i64::MAX, |d| d.as_micros() as i64);
        self.hand_over_waiting_at(now_us);
    }

    fn hand_over_waiting_at(&mut self, now_us: i64) {
        if self.fill.as_ref().is_some_and(|b| b.is_empty() && !b.blocks.is_empty()) {
            // No frame, only lent blocks (whose frames went with the batch before): they go back
            // once that batch is delivered.
            self.hand_over(Handover::Interval);
            return;
        }
        let Some(len) = self.fill.as_ref().map(Batch::len).filter(|&n| n > 0) else { return };
        let waited = self.first_ts_us.is_some_and(|t| now_us.saturating_sub(t) >= WAITING_AGE_US);
        let enough = len >= self.early_at;
        if !(enough || waited) || !self.hand_over(Handover::Interval) {
            return;
        }
        if enough {
            self.early_at = (self.early_at * 2).min(EARLY_MOST);
        }
    }

    /// Adds one frame (`data`: its stored bytes).
    pub fn push(&mut self, ts_us: i64, wire_len: u32, data: &[u8]) -> Pushed {
        self.push_parsed(ts_us, wire_len, data, None, false)
    }

    /// Lending: frames may be left where they lie in a live source's ring blocks (`push_parsed`
    /// with `in_place`), a batch holding at most a quarter of the ring's `blocks`.
    pub fn set_lending(&mut self, lending: &crate::capture::source::Lending) {
        self.block_limit = (lending.blocks / 4).max(1);
        self.keep_alive = Some(std::sync::Arc::clone(&lending.keep_alive));
    }

    /// Lent ring blocks whose frames were all read: they go with the filling batch (whose
    /// frames, or those of the batch before it, lie in them) and back to the source after its
    /// delivery.
    pub fn attach(&mut self, blocks: &mut Vec<LentBlock>) {
        if let Some(b) = self.fill.as_mut() {
            b.blocks.append(blocks);
        }
    }

    /// Descriptor slots of the filling batch for frames left in place, taken for one walk of a
    /// ring block (`Slots::push`, then `commit`): as many as the table has left, none when
    /// lending is off or the batch holds its share of the ring already. Until `commit`, nothing
    /// else may add to the batch or hand it over.
    #[inline(always)]
    pub fn reserve(&mut self) -> Slots {
        let (buffer_size, linktype) = (self.settings.buffer_size, self.linktype);
        match self.fill.as_mut() {
            Some(b) if self.block_limit > 0 && b.blocks.len() < self.block_limit => {
                // SAFETY: `count <= table_len`: the slots from `count` on are within the table.
                let next = unsafe { b.descriptors().add(b.count) };
                Slots { next, room: b.table_len - b.count, used: 0, buffer_size, linktype }
            }
            _ => Slots { buffer_size, linktype, ..Slots::none() },
        }
    }

    /// The frames pushed into `slots` join the filling batch; gives how many. The slots are
    /// spent (no room left).
    pub fn commit(&mut self, slots: &mut Slots) -> usize {
        let n = slots.used;
        if n > 0 {
            let b = self.fill.as_mut().expect("the batch the slots were reserved in");
            // Nothing added to the batch (or replaced it) since `reserve`.
            debug_assert_eq!(slots.next, b.descriptors().wrapping_add(b.count), "slots committed to another batch, or after other frames");
            if b.count == 0 {
                // SAFETY: the first slot was written by `Slots::push`.
                self.first_ts_us = Some(unsafe { b.descriptors().read() }.TimeStamp);
            }
            b.count += n;
        }
        slots.room = 0;
        slots.used = 0;
        n
    }

    /// Adds one frame (`data`: its stored bytes), with the capture thread's parse of the whole
    /// frame when it made one (`view.f` is the whole frame: used as is when nothing was clipped).
    /// `in_place`: the bytes lie in a block the source lends (`set_lending`): not copied.
    ///
    /// Inlined into the capture loop: a frame that fits the filling batch costs the checks, the
    /// layers and the descriptor's store; a full batch goes the cold way (`push_when_full`).
    #[inline(always)]
    pub fn push_parsed(&mut self, ts_us: i64, wire_len: u32, data: &[u8], view: Option<&frame::View<'_>>, in_place: bool) -> Pushed {
        let stored = data.len().min(self.settings.buffer_size);
        let data = &data[..stored];
        let in_place = in_place && self.block_limit > 0;
        if self.fill.as_ref().is_some_and(|b| b.full_for(stored, in_place, self.block_limit).is_none()) {
            self.push_into_fill(ts_us, wire_len, data, view, in_place)
        } else {
            self.push_when_full(ts_us, wire_len, data, view, in_place)
        }
    }

    /// `push_parsed` of a frame the filling batch has no room for: the batch is handed over
    /// (or waited for), else the frame is copied when only its share of the ring is used up,
    /// else dropped (counted).
    #[cold]
    #[inline(never)]
    fn push_when_full(&mut self, ts_us: i64, wire_len: u32, data: &[u8], view: Option<&frame::View<'_>>, in_place: bool) -> Pushed {
        let stored = data.len();
        let full = |feed: &Self, in_place: bool| feed.fill.as_ref().expect("a batch until finish").full_for(stored, in_place, feed.block_limit);
        let mut in_place = in_place;
        if let Some(reason) = full(self, in_place) {
            let handed_over = self.hand_over(reason) || (self.wait_for_spare && self.wait_and_hand_over(reason));
            if !handed_over {
                // The batch holds its share of the ring while the callback still has the other
                // one: the frame is copied into the batch's buffer while that has room (the ring
                // keeps room for the kernel).
                if !(in_place && full(self, false).is_none()) {
                    self.dropped = self.dropped.saturating_add(1);
                    return Pushed::Dropped;
                }
                in_place = false;
            }
        }
        self.push_into_fill(ts_us, wire_len, data, view, in_place)
    }

    /// Adds a frame the filling batch has room for.
    #[inline(always)]
    fn push_into_fill(&mut self, ts_us: i64, wire_len: u32, data: &[u8], view: Option<&frame::View<'_>>, in_place: bool) -> Pushed {
        let layers = match view {
            Some(v) if v.f.len() == data.len() => Layers::of_view(v),
            _ => Layers::of(self.linktype, data),
        };
        let fill = self.fill.as_mut().expect("a batch until finish");
        if fill.is_empty() {
            self.first_ts_us = Some(ts_us);
        }
        fill.push(layers, ts_us, wire_len, data, in_place);
        if in_place {
            Pushed::InPlace
        } else {
            Pushed::Stored
        }
    }

    /// True when the filling batch holds no frame and no lent block (nothing waits for a
    /// handover).
    pub fn is_idle(&self) -> bool {
        self.fill.as_ref().map_or(true, |b| b.is_empty() && b.blocks.is_empty())
    }

    /// True when pushing a frame of `stored` bytes may wait for the delivery thread (the batch is
    /// full and this feed waits instead of dropping): the caller lets go of what the callback
    /// might need first.
    pub fn may_wait(&self, stored: usize) -> bool {
        self.wait_for_spare && self.fill.as_ref().is_some_and(|b| b.full_for(stored.min(self.settings.buffer_size), false, self.block_limit).is_some())
    }

    /// Hands the batch over when the update interval has passed (and it holds a frame, or lent
    /// blocks to give back).
    pub fn tick(&mut self, now: Instant) {
        if now.duration_since(self.last_handover) >= self.settings.interval {
            if self.fill.as_ref().is_some_and(|b| !b.is_empty() || !b.blocks.is_empty()) {
                self.hand_over(Handover::Interval);
            } else {
                self.last_handover = now;
            }
        }
    }

    /// Sends the filling batch to the delivery thread if it gave the other one back; false when
    /// it has not (the batch stays).
    fn hand_over(&mut self, reason: Handover) -> bool {
        let spare = match self.spare.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty) => return false,
            // The delivery thread is gone (only after a panic there): nothing can be delivered.
            Err(TryRecvError::Disconnected) => return false,
        };
        self.send(spare, reason);
        true
    }

    /// Waits for the delivery thread to give the other batch back, then hands over; false when
    /// that thread is gone.
    fn wait_and_hand_over(&mut self, reason: Handover) -> bool {
        match self.spare.recv() {
            Ok(spare) => {
                self.send(spare, reason);
                true
            }
            Err(_) => false,
        }
    }

    fn send(&mut self, next: Batch, reason: Handover) {
        let mut batch = self.fill.replace(next).expect("a batch until finish");
        batch.reason = reason;
        if batch.keep_alive.is_none() {
            batch.keep_alive.clone_from(&self.keep_alive);
        }
        batch.dropped = std::mem::take(&mut self.dropped);
        if let Some(tx) = &self.full {
            // Room for both batches: never blocks.
            let _ = tx.send(batch);
        }
        if let Some(b) = self.fill.as_mut() {
            b.clear();
        }
        self.first_ts_us = None;
        self.last_handover = Instant::now();
    }

    /// At the end of the capture: waits for the other batch to come back, hands over the last
    /// frames, and closes the channel (the delivery thread ends after delivering them).
    pub fn finish(&mut self) {
        // Lent blocks too: frames of the batch being delivered may lie in them, so they go back
        // only after it.
        let has_frames = self.fill.as_ref().is_some_and(|b| !b.is_empty() || !b.blocks.is_empty() || self.dropped > 0);
        if has_frames {
            if let Ok(spare) = self.spare.recv() {
                self.send(spare, Handover::Interval);
            }
        }
        self.fill = None;
        self.full = None;
    }
}

/// The fields of a FRAME_DESCRIPTOR that the frame's parse decides.
///
/// The first five (Etype, Sap, LowProtocol, LowProtocolOffset, HighPort: 8 neighbouring bytes of
/// the descriptor) are held as one number, so that they travel in one register and are written
/// with one store. Held as separate fields, they were written to the stack piece by piece and
/// read back in one wide load: a store-forwarding stall per frame (`perf annotate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layers {
    /// Etype in bits 0-15, Sap 16-23, LowProtocol 24-31, LowProtocolOffset 32-47, HighPort (its
    /// 16-bit view: IPPort in the low byte, or ByteSwappedIPXPort) 48-63.
    packed: u64,
    high_protocol_offset: u16,
}

impl Layers {
    /// The network layer's fields; no Etype or SAP.
    #[inline(always)]
    fn network(low_protocol: u32, low_protocol_offset: usize, high_port: u16, high_protocol_offset: u16) -> Layers {
        let packed = u64::from(low_protocol as BYTE) << 24 | (low_protocol_offset as u64 & 0xFFFF) << 32 | u64::from(high_port) << 48;
        Layers { packed, high_protocol_offset }
    }

    /// These layers with Etype `etype` and Sap `sap`.
    #[inline(always)]
    fn with_link(self, etype: u16, sap: u8) -> Layers {
        Layers { packed: self.packed | u64::from(etype) | u64::from(sap) << 16, ..self }
    }

    /// The layers of a frame (`data`: its stored bytes), by the frame parser the capture filter
    /// uses. An untagged Ethernet II frame (nearly every frame on an Ethernet link) is read
    /// directly, without the general parse.
    #[inline(always)]
    pub fn of(linktype: u32, data: &[u8]) -> Layers {
        if linktype == frame::LINKTYPE_ETHERNET && data.len() >= 14 {
            let e = u16::from_be_bytes([data[12], data[13]]);
            if e >= frame::ETHERNET_FRAME_TYPE && e != frame::ETYPE_VLAN && e != frame::ETYPE_QINQ {
                // What `frame::view` finds for such a frame: Etype `e`, the network layer at 14.
                return network_layer(data, frame::net_for_etype(e, 14)).with_link(e, 0);
            }
        }
        Layers::of_view(&frame::view(linktype, data))
    }

    /// The layers of a frame already parsed (`v.f`: its stored bytes).
    #[inline(never)]
    pub fn of_view(v: &frame::View<'_>) -> Layers {
        // Sap: the DSAP of every 802.2 frame, SNAP's 0xAA included (its Etype is the one inside).
        let (etype, sap) = match v.ty {
            Ty::Etype(e) => (e, v.dsap),
            Ty::Sap(s) => (0, s),
            Ty::Unknown => (0, 0),
        };
        network_layer(v.f, v.net.unwrap_or(Net::None)).with_link(etype, sap)
    }

    /// The descriptor of a frame with these layers (FramePointer `at`), built from its fields in
    /// one go (so that it can be written straight to where it goes).
    #[inline]
    fn descriptor(self, at: *mut u8, ts_us: i64, wire_len: u32, stored: usize) -> FRAME_DESCRIPTOR {
        let p = self.packed;
        FRAME_DESCRIPTOR {
            FramePointer: at,
            TimeStamp: ts_us,
            FrameLength: wire_len,
            nBytesAvail: stored as DWORD,
            Etype: p as u16,
            Sap: (p >> 16) as BYTE,
            LowProtocol: (p >> 24) as BYTE,
            LowProtocolOffset: (p >> 32) as u16,
            HighPort: FRAME_DESCRIPTOR_HIGHPORT { Reserved: (p >> 48) as u16 },
            HighProtocolOffset: self.high_protocol_offset,
        }
    }
}

/// The network-layer fields (LowProtocol, its offset, HighPort, HighProtocolOffset) of a frame
/// `data` whose network layer `net` starts where it says; no Etype or SAP.
#[inline(always)]
fn network_layer(data: &[u8], net: Net) -> Layers {
    let n = data.len();
    let high = |at: usize| if at < n { at as WORD } else { 0 };
    match net {
        Net::Ip4(p) if n >= p + 20 => {
            let ihl = (data[p] & 0x0F) as usize * 4;
            // Only the first fragment carries the header above IP.
            let first_fragment = u16::from_be_bytes([data[p + 6], data[p + 7]]) & 0x1FFF == 0;
            let high_at = if ihl >= 20 && first_fragment { high(p + ihl) } else { 0 };
            Layers::network(LOW_PROTOCOL_IP, p, data[p + 9] as WORD, high_at)
        }
        Net::Ip6(p) if n >= p + 40 => Layers::network(LOW_PROTOCOL_IP6, p, data[p + 6] as WORD, high(p + 40)),
        // The destination socket, byte-swapped (the SDK's ByteSwappedIPXPort).
        Net::Ipx(p) if n >= p + 30 => Layers::network(LOW_PROTOCOL_IPX, p, u16::from_le_bytes([data[p + 16], data[p + 17]]), high(p + 30)),
        _ => Layers::network(LOW_PROTOCOL_UNKNOWN, 0, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    /// Netmon's FRAME_DESCRIPTOR of one frame (FramePointer left NULL): the frame parser the capture
    /// filter uses decides Etype, SAP and the network layer.
    fn describe(linktype: u32, ts_us: i64, wire_len: u32, data: &[u8]) -> FRAME_DESCRIPTOR {
        Layers::of(linktype, data).descriptor(core::ptr::null_mut(), ts_us, wire_len, data.len())
    }

    /// `describe` of a frame already parsed (`v.f`: its stored bytes).
    fn describe_view(v: &frame::View<'_>, ts_us: i64, wire_len: u32) -> FRAME_DESCRIPTOR {
        Layers::of_view(v).descriptor(core::ptr::null_mut(), ts_us, wire_len, v.f.len())
    }

    fn settings(buffer_size: usize, table_len: usize) -> RtcSettings {
        RtcSettings { buffer_size, table_len, interval: Duration::from_secs(3600) }
    }

    /// A feed with its two channels: (feed, batches handed over, where to give them back).
    fn feed(s: RtcSettings) -> (RtcFeed, Receiver<Batch>, SyncSender<Batch>) {
        let (full_tx, full_rx) = sync_channel(2);
        let (spare_tx, spare_rx) = sync_channel(2);
        spare_tx.send(Batch::new(&s)).unwrap();
        (RtcFeed::new(s, 1, full_tx, spare_rx, false), full_rx, spare_tx)
    }

    #[test]
    fn a_full_table_is_handed_over_and_a_busy_callback_costs_counted_drops() {
        let (mut f, full, spare) = feed(settings(1 << 20, 3));
        for i in 0..3u8 {
            assert_eq!(f.push(i64::from(i), 60, &[i; 60]), Pushed::Stored);
        }
        // The 4th frame switches buffers (the table is full).
        assert_eq!(f.push(3, 60, &[3; 60]), Pushed::Stored);
        let mut b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len(), b.dropped), (Handover::TableFull, 3, 0));
        // SAFETY: the table is read while `b` is unchanged.
        let t = unsafe { &*b.frame_table() };
        assert_eq!((t.FrameTableLength, t.StartIndex, t.EndIndex, t.FrameCount), (3, 0, 2, 3));
        // The callback still holds `b`: frames beyond the second table are dropped.
        f.push(4, 60, &[4; 60]);
        f.push(5, 60, &[5; 60]);
        assert_eq!(f.push(6, 60, &[6; 60]), Pushed::Dropped);
        assert_eq!(f.push(7, 60, &[7; 60]), Pushed::Dropped);
        // Given back: the next frame switches again, and the drops go with that batch.
        b.recycle();
        spare.send(b).unwrap();
        assert_eq!(f.push(8, 60, &[8; 60]), Pushed::Stored);
        let mut b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len(), b.dropped), (Handover::TableFull, 3, 2));
        assert_eq!((0..3).map(|i| b.descriptor(i).TimeStamp).collect::<Vec<_>>(), vec![3, 4, 5]);
        // The descriptors point at the frames' bytes in the batch.
        let d = b.descriptor(1);
        // SAFETY: FramePointer points at nBytesAvail bytes in `b`, unchanged.
        let bytes = unsafe { std::slice::from_raw_parts(d.FramePointer, d.nBytesAvail as usize) };
        assert_eq!(bytes, &[4u8; 60][..]);
        spare.send(b).unwrap();
        // At the end the last frames go too, and the channel closes.
        f.finish();
        let last = full.try_recv().unwrap();
        assert_eq!((last.reason, last.len()), (Handover::Interval, 1));
        assert!(full.try_recv().is_err());
    }

    /// Lending on, as over a ring of 8 blocks (a batch holds at most 2), frames anywhere in
    /// memory counting as lent.
    fn lend(f: &mut RtcFeed) {
        let keep: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(());
        f.set_lending(&crate::capture::source::Lending { range: 0..usize::MAX, blocks: 8, keep_alive: keep });
    }

    /// Slots reserved for frames left in place: the descriptors `push_parsed` would write, as
    /// many as the table has left, joined to the batch at `commit` (the first frame's time
    /// included); none without lending.
    #[test]
    fn reserved_slots_write_what_push_parsed_would() {
        let frames: Vec<Vec<u8>> = (0..5u8).map(|i| [vec![0xFF; 12], vec![0x08, 0x06], vec![i; 40 + usize::from(i)]].concat()).collect();
        let (mut f, full, _spare) = feed(settings(50, 4));
        assert!(!f.reserve().push(0, 60, &frames[0]), "no lending: no slots");
        lend(&mut f);
        // Frame 0 the usual way, then 3 slots (the table holds 4); the 4th push finds no room.
        assert_eq!(f.push_parsed(100, 60, &frames[0], None, true), Pushed::InPlace);
        let mut slots = f.reserve();
        for (i, fr) in frames[1..4].iter().enumerate() {
            assert!(slots.push(101 + i as i64, 70 + i as u32, fr));
        }
        assert!(!slots.push(104, 74, &frames[4]));
        assert_eq!(f.fill.as_ref().unwrap().len(), 1, "not in the batch before commit");
        assert_eq!(f.commit(&mut slots), 3);
        assert_eq!((f.commit(&mut slots), slots.push(104, 74, &frames[4])), (0, false), "spent");
        // The batch as push_parsed would have made it: 4 frames, clipped to BufferSize (50).
        assert_eq!(f.push_parsed(104, 74, &frames[4], None, true), Pushed::InPlace);
        let mut b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len()), (Handover::TableFull, 4));
        for (i, fr) in frames[..4].iter().enumerate() {
            let d = b.descriptor(i);
            let want = describe(1, 100 + i as i64, if i == 0 { 60 } else { 69 + i as u32 }, &fr[..fr.len().min(50)]);
            assert_eq!((fields(&d), d.FramePointer.cast_const()), (fields(&want), fr.as_ptr()), "frame {i}");
        }
        // Slots first in an empty batch: its first frame's time is the batch's.
        let (mut f, _full, _spare) = feed(settings(1 << 20, 16));
        lend(&mut f);
        let mut slots = f.reserve();
        assert!(slots.push(7_000, 60, &frames[0]) && slots.push(8_000, 60, &frames[1]));
        f.commit(&mut slots);
        assert_eq!((f.first_ts_us, f.fill.as_ref().unwrap().len()), (Some(7_000), 2));
    }

    #[test]
    fn a_full_buffer_is_handed_over_and_frames_are_clipped_to_it() {
        let (mut f, full, _spare) = feed(settings(100, 100));
        assert_eq!(f.push(0, 60, &[1; 60]), Pushed::Stored);
        assert_eq!(f.push(1, 60, &[2; 60]), Pushed::Stored);
        let b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len(), b.data_len()), (Handover::BufferFull, 1, 60));
        // A frame larger than the whole buffer keeps what fits.
        let (mut f, _full, _spare) = feed(settings(100, 100));
        assert_eq!(f.push(0, 1500, &[9; 1500]), Pushed::Stored);
        assert_eq!(f.fill.as_mut().unwrap().descriptor(0).nBytesAvail, 100);
        assert_eq!(f.fill.as_mut().unwrap().descriptor(0).FrameLength, 1500);
    }

    #[test]
    fn early_handovers_start_small_and_grow() {
        let (mut f, full, spare) = feed(settings(1 << 20, 65536));
        let push = |f: &mut RtcFeed, n: usize| {
            for i in 0..n {
                assert_eq!(f.push(i as i64, 60, &[0; 60]), Pushed::Stored);
            }
        };
        push(&mut f, EARLY_FIRST - 1);
        f.hand_over_early();
        assert!(full.try_recv().is_err(), "fewer than EARLY_FIRST frames wait");
        push(&mut f, 1);
        f.hand_over_early();
        let b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len()), (Handover::Interval, EARLY_FIRST));
        // The callback still holds `b`: nothing goes early, however many frames wait.
        push(&mut f, EARLY_FIRST * 3);
        f.hand_over_early();
        assert!(full.try_recv().is_err());
        spare.send(b).unwrap();
        f.hand_over_early();
        let b = full.try_recv().unwrap();
        assert_eq!(b.len(), EARLY_FIRST * 3);
        spare.send(b).unwrap();
        // Each early handover doubles the frames the next one waits for, up to EARLY_MOST.
        assert_eq!(f.early_at, EARLY_FIRST * 4);
        while f.early_at < EARLY_MOST {
            let want = f.early_at;
            push(&mut f, want - 1);
            f.hand_over_early();
            assert!(full.try_recv().is_err(), "{} frames wait for {want}", want - 1);
            push(&mut f, 1);
            f.hand_over_early();
            assert_eq!(full.try_recv().unwrap().len(), want);
            spare.send(Batch::new(&settings(1 << 20, 65536))).unwrap();
        }
        push(&mut f, EARLY_MOST);
        f.hand_over_early();
        assert_eq!(full.try_recv().unwrap().len(), EARLY_MOST);
        assert_eq!(f.early_at, EARLY_MOST);
    }

    #[test]
    fn a_pause_of_the_source_hands_over_enough_frames_or_old_ones() {
        let (mut f, full, spare) = feed(settings(1 << 20, 65536));
        // Young frames, fewer than EARLY_FIRST: they wait for more (or for their age).
        for i in 0..10 {
            assert_eq!(f.push(1_000_000 + i, 60, &[0; 60]), Pushed::Stored);
        }
        f.hand_over_waiting_at(1_000_000 + WAITING_AGE_US - 1);
        assert!(full.try_recv().is_err(), "10 frames younger than WAITING_AGE_US wait");
        f.hand_over_waiting_at(1_000_000 + WAITING_AGE_US);
        let b = full.try_recv().unwrap();
        assert_eq!((b.reason, b.len()), (Handover::Interval, 10));
        assert_eq!(f.early_at, EARLY_FIRST, "a handover for age does not grow early_at");
        spare.send(b).unwrap();
        // EARLY_FIRST young frames go at once, and the next batch waits for twice as many.
        for i in 0..EARLY_FIRST as i64 {
            f.push(2_000_000 + i, 60, &[0; 60]);
        }
        f.hand_over_waiting_at(2_000_000);
        assert_eq!(full.try_recv().unwrap().len(), EARLY_FIRST);
        assert_eq!(f.early_at, EARLY_FIRST * 2);
        // Nothing goes while the callback holds the other batch, however old.
        f.push(0, 60, &[0; 60]);
        f.hand_over_waiting_at(i64::MAX);
        assert!(full.try_recv().is_err());
    }

    #[test]
    fn the_interval_hands_over_what_waits() {
        let s = RtcSettings { interval: Duration::from_millis(10), ..settings(1 << 20, 100) };
        let (mut f, full, _spare) = feed(s);
        let t0 = Instant::now() + Duration::from_millis(20);
        f.tick(t0);
        assert!(full.try_recv().is_err(), "nothing to hand over");
        f.push(0, 60, &[0; 60]);
        f.tick(t0 + Duration::from_millis(5));
        assert!(full.try_recv().is_err(), "not yet");
        f.tick(t0 + Duration::from_millis(20));
        assert_eq!(full.try_recv().unwrap().reason, Handover::Interval);
    }

    /// Every field of a descriptor (FRAME_DESCRIPTOR has no PartialEq: a union).
    fn fields(d: &FRAME_DESCRIPTOR) -> (i64, u32, u32, u16, u8, u8, u16, u16, u16) {
        // SAFETY: Reserved is the union's 16-bit view, always initialised.
        let port = unsafe { d.HighPort.Reserved };
        (d.TimeStamp, d.FrameLength, d.nBytesAvail, d.Etype, d.Sap, d.LowProtocol, d.LowProtocolOffset, port, d.HighProtocolOffset)
    }

    #[test]
    fn the_direct_ethernet_reading_agrees_with_the_general_parse() {
        // Frames of every length up to 80 bytes, with the type fields that matter (IPv4, IPv6,
        // IPX, ARP, VLAN and QinQ tags, 802.3 lengths) and IP headers of varied lengths and
        // fragment offsets: `describe` (direct for untagged Ethernet II) must give what the
        // general parse gives.
        let types: [u16; 9] = [0x0800, 0x86DD, 0x8137, 0x0806, 0x8100, 0x88A8, 0x05FF, 0x0600, 0x002E];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut checked = 0;
        for len in 0..=80usize {
            for &ty in &types {
                for round in 0..8 {
                    let mut f: Vec<u8> = (0..len)
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            seed as u8
                        })
                        .collect();
                    if len >= 14 {
                        f[12..14].copy_from_slice(&ty.to_be_bytes());
                    }
                    if len >= 15 && round % 2 == 0 {
                        f[14] = 0x40 | (round as u8 + 3);
                    }
                    let direct = describe(1, 7, 99, &f);
                    let general = describe_view(&frame::view(1, &f), 7, 99);
                    assert_eq!(fields(&direct), fields(&general), "len {len} type {ty:#06x} round {round}: {f:02x?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 81 * 9 * 8);
    }

    #[test]
    fn descriptors() {
        // IPv4/UDP with a 20-byte header, in Ethernet II.
        let mut f = vec![0u8; 14 + 20 + 8];
        f[12] = 0x08;
        f[14] = 0x45;
        f[14 + 9] = 17;
        let d = describe(1, 42, 50, &f);
        assert_eq!((d.TimeStamp, d.FrameLength, d.nBytesAvail, d.Etype, d.Sap), (42, 50, 42, 0x0800, 0));
        assert_eq!((d.LowProtocol, d.LowProtocolOffset, d.HighProtocolOffset), (LOW_PROTOCOL_IP as u8, 14, 34));
        // SAFETY: IPPort is the union's byte view, always initialised.
        assert_eq!(unsafe { d.HighPort.IPPort }, 17);
        // A later fragment has no header above IP.
        f[14 + 6] = 0x00;
        f[14 + 7] = 0x10;
        assert_eq!(describe(1, 0, 42, &f).HighProtocolOffset, 0);
        // Raw IPv6 (LINKTYPE_IPV6), next header TCP, nothing after the fixed header.
        let mut v6 = vec![0u8; 40];
        v6[0] = 0x60;
        v6[6] = 6;
        let d = describe(229, 0, 40, &v6);
        assert_eq!((d.Etype, d.LowProtocol, d.LowProtocolOffset, d.HighProtocolOffset), (0x86DD, LOW_PROTOCOL_IP6 as u8, 0, 0));
        // An 802.2 frame: the DSAP, no Etype, no network layer.
        let mut llc = vec![0u8; 20];
        llc[12] = 0;
        llc[13] = 6;
        llc[14] = 0x42;
        llc[15] = 0x42;
        llc[16] = 0x03;
        let d = describe(1, 0, 20, &llc);
        assert_eq!((d.Etype, d.Sap, d.LowProtocol), (0, 0x42, LOW_PROTOCOL_UNKNOWN as u8));
    }
}
