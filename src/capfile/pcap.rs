//! Classic pcap files ("libpcap savefile"), as libpcap and Wireshark read them: little-endian, magic
//! 0xA1B23C4D (nanosecond timestamps), version 2.4, then one 16-byte record header and the stored
//! bytes per frame.
//!
//! The snap length in the header is `StreamInfo::snaplen` (0, or more than 262144, gives 262144);
//! stored bytes beyond it are clipped. A DLT value as `pcap_datalink` reports it is written as its
//! LINKTYPE (`file_linktype`: DLT_RAW 12 → LINKTYPE_RAW 101, DLT_ATM_CLIP 19 → 106 ...). The format
//! streams: nothing is rewritten at the end.
//!
//! Write errors: see `CaptureWriter` in `mod.rs`. The file is cut back to its last whole frame
//! and `frames()` tells how many it holds.

use std::fs::File;
use std::io;

use super::{frame_lengths, CaptureWriter, Sink, StreamInfo, Timestamp, WriteError, MAX_STORED};

/// The file header's magic number for nanosecond timestamps.
pub(crate) const MAGIC_NS: u32 = 0xA1B2_3C4D;
/// Size of the file header.
pub(crate) const HEADER_LEN: usize = 24;
/// Size of a record header.
pub(crate) const RECORD_HEADER_LEN: usize = 16;

/// The snap length a writer uses: `snaplen`, with 0 (unlimited) and anything above 262144 made
/// 262144.
pub(super) fn effective_snaplen(snaplen: u32) -> u32 {
    if snaplen == 0 {
        MAX_STORED
    } else {
        snaplen.min(MAX_STORED)
    }
}

/// The LINKTYPE_* to write for `linktype`: a LINKTYPE_* value, or a DLT_* value as libpcap
/// reports it on Linux (`pcap_datalink`), mapped as libpcap maps DLT to LINKTYPE when it writes a
/// file: the DLT values that differ from their LINKTYPE are ATM RFC 1483 (11 → 100), raw IP
/// (12, and 14 as OpenBSD numbers it → 101), BSD/OS SLIP (15 → 102) and PPP (16 → 103), and ATM
/// CLIP (19 → 106). 0..=10 and everything from 104 on are the same in both; 17 and 18 (OpenBSD's
/// old pflog and pfsync) are no DLT on Linux.
pub(crate) fn file_linktype(linktype: u32) -> u32 {
    match linktype {
        11 => 100,
        12 | 14 => 101,
        15 => 102,
        16 => 103,
        19 => 106,
        l => l,
    }
}

/// Seconds and nanoseconds as a record stores them: nanoseconds below 10^9, seconds as an
/// unsigned 32-bit value (clamped; times before 1970 become 1970).
fn record_time(ts: Timestamp) -> (u32, u32) {
    let sec = ts.sec.saturating_add(i64::from(ts.nsec / 1_000_000_000));
    if sec < 0 {
        return (0, 0);
    }
    (sec.min(i64::from(u32::MAX)) as u32, ts.nsec % 1_000_000_000)
}

fn file_header(linktype: u32, snaplen: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC_NS.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // 8..16: thiszone, sigfigs = 0
    h[16..20].copy_from_slice(&snaplen.to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

fn record_header(ts: Timestamp, stored: u32, wire: u32) -> [u8; RECORD_HEADER_LEN] {
    let (sec, nsec) = record_time(ts);
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[0..4].copy_from_slice(&sec.to_le_bytes());
    h[4..8].copy_from_slice(&nsec.to_le_bytes());
    h[8..12].copy_from_slice(&stored.to_le_bytes());
    h[12..16].copy_from_slice(&wire.to_le_bytes());
    h
}

/// Writes a classic pcap file. Make it with `new` (or `writer` in `mod.rs`).
pub struct PcapWriter {
    sink: Sink,
    snaplen: u32,
    done: bool,
}

impl PcapWriter {
    /// A writer over `file`, which must be empty and positioned at 0 (as `create_unique` gives
    /// it). Writes the file header at once (its error is returned).
    pub fn new(file: File, info: StreamInfo) -> io::Result<PcapWriter> {
        let snaplen = effective_snaplen(info.snaplen);
        let sink = Sink::new(file, &file_header(file_linktype(info.linktype), snaplen))?;
        Ok(PcapWriter { sink, snaplen, done: false })
    }

    fn complete(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        self.sink.flush()
    }
}

impl CaptureWriter for PcapWriter {
    fn write_frame(&mut self, ts: Timestamp, wire_len: u32, data: &[u8]) -> Result<(), WriteError> {
        if self.done || self.sink.failed {
            return Err(WriteError::Io(io::Error::other("the capture file is complete or failed before")));
        }
        let (stored, wire) = frame_lengths(wire_len, data, self.snaplen);
        let header = record_header(ts, stored as u32, wire);
        self.sink.frame(&[&header, &data[..stored]], stored).map_err(WriteError::Io)
    }

    fn size_with(&self, data_len: usize, _comment: Option<&str>) -> u64 {
        self.sink.pos() + (RECORD_HEADER_LEN + data_len.min(self.snaplen as usize)) as u64
    }

    sink_writer_methods!();
}

impl Drop for PcapWriter {
    /// A writer dropped without `finish` still writes what it buffered (errors are lost).
    fn drop(&mut self) {
        let _ = self.complete();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{writer, FileFormat};

    #[test]
    fn header_bytes() {
        assert_eq!(file_header(1, 262_144), [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
        assert_eq!(&file_header(113, 65535)[16..], &[0xff, 0xff, 0, 0, 113, 0, 0, 0]);
    }

    #[test]
    fn record_header_bytes() {
        let ts = Timestamp { sec: 1_700_000_000, nsec: 123_456_789 };
        assert_eq!(record_header(ts, 128, 1514), [0x00, 0xf1, 0x53, 0x65, 0x15, 0xcd, 0x5b, 0x07, 128, 0, 0, 0, 0xea, 5, 0, 0]);
        assert_eq!(record_time(Timestamp { sec: -5, nsec: 1 }), (0, 0));
        assert_eq!(record_time(Timestamp { sec: 1, nsec: 1_500_000_000 }), (2, 500_000_000));
        assert_eq!(record_time(Timestamp { sec: 1 << 40, nsec: 0 }).0, u32::MAX);
    }

    #[test]
    fn snaplen_and_linktype() {
        assert_eq!(effective_snaplen(0), 262_144);
        assert_eq!(effective_snaplen(96), 96);
        assert_eq!(effective_snaplen(1 << 20), 262_144);
        // Issue 18 item 8: ATM CLIP (DLT 19) was written as LINKTYPE 19, ATM RFC 1483 (DLT 11) as 11.
        for (dlt, linktype) in [(11, 100), (12, 101), (14, 101), (15, 102), (16, 103), (19, 106)] {
            assert_eq!(file_linktype(dlt), linktype, "DLT {dlt}");
        }
        for same in [0, 1, 6, 9, 10, 50, 100, 101, 104, 105, 106, 113, 123, 127, 276] {
            assert_eq!(file_linktype(same), same);
        }
    }

    #[test]
    fn writes_header_and_records_clipped_to_the_snaplen() {
        let dir = std::env::temp_dir();
        let (path, file) = crate::capfile::create_unique(&dir, "pcap").unwrap();
        let mut w = writer(FileFormat::Pcap, file, StreamInfo { linktype: 12, snaplen: 64 }).unwrap();
        let ts = Timestamp { sec: 1_700_000_000, nsec: 123_456_789 };
        w.write_frame(ts, 1514, &[0xAA; 100]).unwrap();
        w.write_frame(ts, 10, &[0xBB; 20]).unwrap();
        assert_eq!(w.frames(), 2);
        w.finish().result.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 64 + 16 + 20);
        assert_eq!(&bytes[..24], &file_header(101, 64));
        assert_eq!(&bytes[24..40], &record_header(ts, 64, 1514));
        assert!(bytes[40..104].iter().all(|&b| b == 0xAA));
        assert_eq!(&bytes[104..120], &record_header(ts, 20, 20));
        assert!(bytes[120..].iter().all(|&b| b == 0xBB));
    }
}
