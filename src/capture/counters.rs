//! The capture's counters: one list of names, the capture thread's running tally, what it
//! publishes for readers (a seqlock), and the totals readers get, as Netmon's STATISTICS and the
//! 64-bit STATISTICS_EX.

use crate::types::{STATISTICS, STATISTICS_EX};
use std::sync::atomic::{fence, AtomicU64, Ordering::*};

/// Generates, from one list of counter names, everything that names each counter: the fields of
/// `Tally` (the capture thread's running counts) and of `Totals` (what readers get), the array
/// `Counters` publishes them as (`to_array` / `from_array`, in the list's order) and the
/// difference a clearing read takes (`Tally::since`).
macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// The counters as plain numbers: the capture thread's running tally, what it last
        /// published, or the base a clearing read subtracts.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub(crate) struct Tally {
            $(pub(crate) $name: u64,)*
        }

        /// How many counters there are.
        pub(crate) const COUNTERS: usize = [$(stringify!($name)),*].len();

        impl Tally {
            /// The counters in the list's order (as `Counters` stores them).
            pub(crate) fn to_array(self) -> [u64; COUNTERS] {
                [$(self.$name),*]
            }

            /// The inverse of `to_array`.
            pub(crate) fn from_array(v: [u64; COUNTERS]) -> Tally {
                let [$($name),*] = v;
                Tally { $($name),* }
            }

            /// These counts minus `base` (the counts at the last clearing read), each at least 0.
            pub(crate) fn since(&self, base: &Tally, elapsed_us: i64) -> Totals {
                Totals { elapsed_us, $($name: self.$name.saturating_sub(base.$name)),* }
            }
        }

        /// The totals at one moment, in 64 bits.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Totals {
            /// Microseconds since the capture started or since the last clearing read.
            pub elapsed_us: i64,
            $($(#[doc = $doc])* pub $name: u64,)*
        }
    };
}

counters! {
    /// Frames the source delivered, paused or not.
    seen_frames,
    /// Their wire lengths.
    seen_bytes,
    /// Seen frames to the Ethernet broadcast address.
    seen_broadcasts,
    /// Seen frames to an Ethernet multicast address.
    seen_multicasts,
    /// Frames that arrived while not paused and passed the capture filter.
    filtered_frames,
    /// Their wire lengths.
    filtered_bytes,
    /// Filtered frames to the Ethernet broadcast address.
    filtered_broadcasts,
    /// Filtered frames to an Ethernet multicast address.
    filtered_multicasts,
    /// Filtered frames stored: written (at the end, exactly those the file holds), or accepted
    /// when there is no file. The statistics frame is not counted.
    captured_frames,
    /// Their stored bytes (clipped to the snap length).
    captured_bytes,
    /// Frames lost to a write error: the one the writer refused, those lost from its buffer, and
    /// one read while a flush failed.
    dropped_frames,
    /// Frames the kernel received (libpcap's ps_recv).
    kernel_received,
    /// Frames the kernel dropped (ps_drop + ps_ifdrop).
    kernel_dropped,
    /// Times the link went down while capturing (each outage once, however long).
    link_outages,
}

/// What the capture thread last published. It is their only writer: it counts in a local `Tally`
/// (no shared-memory traffic per frame) and stores the tally here every `engine::PUBLISH_EVERY` frames and
/// before it waits, so a reader is at most that many frames behind while traffic flows and exact
/// once it pauses. A sequence number makes each publication one consistent set for readers (a
/// seqlock: the writer never waits; a reader retries while a publication is under way).
#[derive(Default)]
pub(crate) struct Counters {
    seq: AtomicU64,
    values: [AtomicU64; COUNTERS],
}

impl Counters {
    pub(crate) fn publish(&self, t: &Tally) {
        let v = t.to_array();
        let seq = self.seq.load(Relaxed);
        self.seq.store(seq.wrapping_add(1), Relaxed); // odd: under way
        fence(Release);
        for (c, v) in self.values.iter().zip(v) {
            c.store(v, Relaxed);
        }
        self.seq.store(seq.wrapping_add(2), Release);
    }

    pub(crate) fn load(&self) -> Tally {
        let v: [u64; COUNTERS] = loop {
            let before = self.seq.load(Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let v = std::array::from_fn(|i| self.values[i].load(Relaxed));
            fence(Acquire);
            if self.seq.load(Relaxed) == before {
                break v;
            }
        };
        Tally::from_array(v)
    }
}

fn sat32(v: u64) -> u32 {
    v.min(u32::MAX as u64) as u32
}

impl Totals {
    /// Netmon's STATISTICS (32-bit counters saturate), as SDK h.1 fills it.
    pub fn statistics(&self) -> STATISTICS {
        STATISTICS {
            TimeElapsed: self.elapsed_us,
            TotalFramesCaptured: sat32(self.captured_frames),
            TotalBytesCaptured: sat32(self.captured_bytes),
            TotalFramesFiltered: sat32(self.filtered_frames),
            TotalBytesFiltered: sat32(self.filtered_bytes),
            TotalMulticastsFiltered: sat32(self.filtered_multicasts),
            TotalBroadcastsFiltered: sat32(self.filtered_broadcasts),
            TotalFramesSeen: sat32(self.seen_frames),
            TotalBytesSeen: sat32(self.seen_bytes),
            TotalMulticastsReceived: sat32(self.seen_multicasts),
            TotalBroadcastsReceived: sat32(self.seen_broadcasts),
            TotalFramesDropped: sat32(self.dropped_frames),
            TotalFramesDroppedFromBuffer: 0,
            MacFramesReceived: sat32(self.kernel_received),
            MacCRCErrors: 0,
            MacBytesReceivedEx: 0,
            MacFramesDropped_NoBuffers: sat32(self.kernel_dropped),
            MacMulticastsReceived: 0,
            MacBroadcastsReceived: sat32(self.seen_broadcasts),
            MacFramesDropped_HwError: 0,
        }
    }

    /// The 64-bit extension (StructSize set to its full size).
    pub fn statistics_ex(&self) -> STATISTICS_EX {
        STATISTICS_EX {
            StructSize: std::mem::size_of::<STATISTICS_EX>() as u32,
            Reserved: 0,
            TimeElapsed: self.elapsed_us,
            FramesSeen: self.seen_frames,
            BytesSeen: self.seen_bytes,
            FramesFiltered: self.filtered_frames,
            BytesFiltered: self.filtered_bytes,
            FramesCaptured: self.captured_frames,
            BytesCaptured: self.captured_bytes,
            FramesDropped: self.dropped_frames,
            BroadcastsSeen: self.seen_broadcasts,
            MulticastsSeen: self.seen_multicasts,
            KernelFramesReceived: self.kernel_received,
            KernelFramesDropped: self.kernel_dropped,
            LinkOutages: self.link_outages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// A reader never sees half of one publication and half of another.
    #[test]
    fn a_publication_is_read_whole() {
        let c = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (c, stop) = (c.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut k = 0u64;
                while !stop.load(Relaxed) {
                    k += 1;
                    let t = Tally::from_array([k; COUNTERS]);
                    c.publish(&t);
                    // As the capture thread: a publication now and then (every 64 frames), not
                    // back to back, which would keep readers retrying.
                    for _ in 0..500 {
                        std::hint::spin_loop();
                    }
                }
            })
        };
        let mut last = 0;
        let mut reads = 0u64;
        while last < 20_000 {
            reads += 1;
            let t = c.load();
            let all = t.to_array();
            assert!(all.iter().all(|v| *v == t.seen_frames), "torn: {t:?}");
            assert!(t.seen_frames >= last);
            last = t.seen_frames;
        }
        assert!(reads > 20_000, "{reads} reads over 20,000 publications");
        stop.store(true, Relaxed);
        writer.join().unwrap();
    }
}
