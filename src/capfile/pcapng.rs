//! pcapng files, as Wireshark reads them: little-endian; one Section Header Block (version
//! 1.0, section length unknown), one Interface Description Block (the link type, the snap length,
//! `if_tsresol` = 9: nanosecond timestamps), then one Enhanced Packet Block per frame.
//!
//! Snap length and link type as in `pcap.rs`: 0 (or more than 262144) is written as 262144,
//! stored bytes beyond it are clipped, a DLT value becomes its LINKTYPE (`pcap::file_linktype`). A link type above 0xFFFF
//! can't be written (`io::ErrorKind::Unsupported`).
//!
//! Write errors: see `CaptureWriter` in `mod.rs`. The file is cut back to its last whole block
//! and `frames()` tells how many frames it holds.

use std::fs::File;
use std::io;

use super::pcap::{effective_snaplen, file_linktype};
use super::{frame_lengths, CaptureWriter, Sink, StreamInfo, Timestamp, WriteError};

pub(crate) const SHB_TYPE: u32 = 0x0A0D_0D0A;
pub(crate) const IDB_TYPE: u32 = 0x0000_0001;
pub(crate) const EPB_TYPE: u32 = 0x0000_0006;
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_ENDOFOPT: u16 = 0;
pub(crate) const IF_TSRESOL: u16 = 9;

/// Size of the Section Header Block (no options).
pub(crate) const SHB_LEN: usize = 28;
/// Size of the Interface Description Block (options `if_tsresol` and `opt_endofopt`).
pub(crate) const IDB_LEN: usize = 32;
/// An Enhanced Packet Block without its data: 28 bytes before the data, 4 after.
pub(crate) const EPB_HEAD_LEN: usize = 28;

/// The Section Header Block followed by the Interface Description Block.
fn file_header(linktype: u16, snaplen: u32) -> [u8; SHB_LEN + IDB_LEN] {
    let mut h = [0u8; SHB_LEN + IDB_LEN];
    let put32 = |h: &mut [u8], at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put16 = |h: &mut [u8], at: usize, v: u16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    // SHB
    put32(&mut h, 0, SHB_TYPE);
    put32(&mut h, 4, SHB_LEN as u32);
    put32(&mut h, 8, BYTE_ORDER_MAGIC);
    put16(&mut h, 12, 1); // major
    put16(&mut h, 14, 0); // minor
    h[16..24].copy_from_slice(&(-1i64).to_le_bytes()); // section length unknown
    put32(&mut h, 24, SHB_LEN as u32);
    // IDB
    let i = SHB_LEN;
    put32(&mut h, i, IDB_TYPE);
    put32(&mut h, i + 4, IDB_LEN as u32);
    put16(&mut h, i + 8, linktype);
    put16(&mut h, i + 10, 0); // reserved
    put32(&mut h, i + 12, snaplen);
    put16(&mut h, i + 16, IF_TSRESOL);
    put16(&mut h, i + 18, 1);
    h[i + 20] = 9; // 10^-9 s; 3 bytes of padding follow
    put16(&mut h, i + 24, OPT_ENDOFOPT);
    put16(&mut h, i + 26, 0);
    put32(&mut h, i + 28, IDB_LEN as u32);
    h
}

/// Nanoseconds since 1970 (times before 1970 become 0).
fn timestamp_ns(ts: Timestamp) -> u64 {
    let ns = i128::from(ts.sec) * 1_000_000_000 + i128::from(ts.nsec);
    ns.clamp(0, i128::from(u64::MAX)) as u64
}

/// Padding to the next multiple of 4 after `len` bytes.
fn pad4(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// The Enhanced Packet Block's bytes before the data, for `stored` stored bytes.
fn epb_head(ts: Timestamp, stored: u32, wire: u32) -> [u8; EPB_HEAD_LEN] {
    epb_head_with_options(ts, stored, wire, 0)
}

/// `epb_head` for a block with `options` bytes of options after the (padded) data.
fn epb_head_with_options(ts: Timestamp, stored: u32, wire: u32, options: usize) -> [u8; EPB_HEAD_LEN] {
    let total = (EPB_HEAD_LEN + stored as usize + pad4(stored as usize) + options + 4) as u32;
    let ns = timestamp_ns(ts);
    let fields = [EPB_TYPE, total, 0, (ns >> 32) as u32, ns as u32, stored, wire];
    let mut h = [0u8; EPB_HEAD_LEN];
    for (k, v) in fields.iter().enumerate() {
        h[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
    }
    h
}

/// Writes a pcapng file. Make it with `new` (or `writer` in `mod.rs`).
pub struct PcapngWriter {
    sink: Sink,
    snaplen: u32,
    done: bool,
}

impl PcapngWriter {
    /// A writer over `file`, which must be empty and positioned at 0 (as `create_unique` gives
    /// it). Writes the SHB and the IDB at once (their error is returned).
    pub fn new(file: File, info: StreamInfo) -> io::Result<PcapngWriter> {
        let linktype = u16::try_from(file_linktype(info.linktype))
            .map_err(|_| io::Error::new(io::ErrorKind::Unsupported, format!("link type {} cannot be written in a pcapng file", info.linktype)))?;
        let snaplen = effective_snaplen(info.snaplen);
        let sink = Sink::new(file, &file_header(linktype, snaplen))?;
        Ok(PcapngWriter { sink, snaplen, done: false })
    }

    fn complete(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        self.sink.flush()
    }
}

impl CaptureWriter for PcapngWriter {
    fn write_frame(&mut self, ts: Timestamp, wire_len: u32, data: &[u8]) -> Result<(), WriteError> {
        if self.done || self.sink.failed {
            return Err(WriteError::Io(io::Error::other("the capture file is complete or failed before")));
        }
        let (stored, wire) = frame_lengths(wire_len, data, self.snaplen);
        let head = epb_head(ts, stored as u32, wire);
        let mut tail = [0u8; 7];
        let pad = pad4(stored);
        tail[pad..pad + 4].copy_from_slice(&head[4..8]); // padding, then the total length again
        self.sink.frame(&[&head, &data[..stored], &tail[..pad + 4]], stored).map_err(WriteError::Io)
    }

    /// The frame with an `opt_comment` (option 1) saying what it is, then `opt_endofopt`.
    fn write_special(&mut self, ts: Timestamp, data: &[u8], comment: &str) -> Result<(), WriteError> {
        if self.done || self.sink.failed {
            return Err(WriteError::Io(io::Error::other("the capture file is complete or failed before")));
        }
        let (stored, wire) = frame_lengths(data.len() as u32, data, self.snaplen);
        let text = &comment.as_bytes()[..comment.len().min(0xFFFF)];
        let mut options = Vec::with_capacity(text.len() + 12);
        options.extend_from_slice(&1u16.to_le_bytes());
        options.extend_from_slice(&(text.len() as u16).to_le_bytes());
        options.extend_from_slice(text);
        options.resize(options.len() + pad4(text.len()), 0);
        options.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        let head = epb_head_with_options(ts, stored as u32, wire, options.len());
        let pad = [0u8; 3];
        let total = &head[4..8];
        self.sink.frame(&[&head, &data[..stored], &pad[..pad4(stored)], &options, total], stored).map_err(WriteError::Io)
    }

    fn size_with(&self, data_len: usize, comment: Option<&str>) -> u64 {
        let stored = data_len.min(self.snaplen as usize);
        // The options of write_special: opt_comment (4 + text + padding) and opt_endofopt (4).
        let options = comment.map_or(0, |c| {
            let text = c.len().min(0xFFFF);
            4 + text + pad4(text) + 4
        });
        self.sink.pos() + (EPB_HEAD_LEN + stored + pad4(stored) + options + 4) as u64
    }

    sink_writer_methods!();
}

impl Drop for PcapngWriter {
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
        let h = file_header(1, 262_144);
        #[rustfmt::skip]
        let want: [u8; 60] = [
            // SHB
            0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
            // IDB
            1, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0,
            9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0,
        ];
        assert_eq!(h, want);
    }

    #[test]
    fn epb_head_bytes() {
        // 1700000000.123456789 s = 0x1797_9CFE_3D85_CD15 ns
        let ts = Timestamp { sec: 1_700_000_000, nsec: 123_456_789 };
        assert_eq!(timestamp_ns(ts), 1_700_000_000_123_456_789);
        let h = epb_head(ts, 61, 1514);
        #[rustfmt::skip]
        let want: [u8; 28] = [
            6, 0, 0, 0, 96, 0, 0, 0, 0, 0, 0, 0,
            0xfe, 0x9c, 0x97, 0x17, 0x15, 0xcd, 0x85, 0x3d,
            61, 0, 0, 0, 0xea, 5, 0, 0,
        ];
        assert_eq!(h, want);
        assert_eq!(timestamp_ns(Timestamp { sec: -1, nsec: 0 }), 0);
        assert_eq!((pad4(0), pad4(1), pad4(2), pad4(3), pad4(4)), (0, 3, 2, 1, 0));
    }

    #[test]
    fn blocks_are_padded_and_closed_by_their_length() {
        let dir = std::env::temp_dir();
        let (path, file) = crate::capfile::create_unique(&dir, "pcapng").unwrap();
        let mut w = writer(FileFormat::Pcapng, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        let ts = Timestamp { sec: 1_700_000_000, nsec: 123_456_789 };
        for len in [60usize, 61, 62, 63] {
            w.write_frame(ts, len as u32, &vec![len as u8; len]).unwrap();
        }
        w.finish().result.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&bytes[..60], &file_header(1, 262_144));
        let mut at = 60;
        for len in [60usize, 61, 62, 63] {
            let total = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(total, 28 + len + pad4(len) + 4);
            assert_eq!(total % 4, 0);
            assert_eq!(&bytes[at..at + 28], &epb_head(ts, len as u32, len as u32));
            assert!(bytes[at + 28..at + 28 + len].iter().all(|&b| b == len as u8));
            assert!(bytes[at + 28 + len..at + total - 4].iter().all(|&b| b == 0));
            assert_eq!(&bytes[at + total - 4..at + total], &(total as u32).to_le_bytes());
            at += total;
        }
        assert_eq!(at, bytes.len());
    }

    #[test]
    fn large_link_types_are_refused() {
        let dir = std::env::temp_dir();
        let (path, file) = crate::capfile::create_unique(&dir, "pcapng").unwrap();
        let err = writer(FileFormat::Pcapng, file, StreamInfo { linktype: 0x1_0000, snaplen: 0 }).err().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    }
}
