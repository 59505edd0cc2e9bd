//! Microsoft Network Monitor 2.x capture files (`.cap`), the layout Wireshark's wiretap/netmon.c reads (sections below).
//!
//! Layout written: a 128-byte header, the frame records right after it in order, then the frame
//! table (one `u32` record offset per frame). The header is written as zeros first and completed
//! by `finish`, once the frame table's place and size are known (the sink must be seekable).
//!
//! The link type is a LINKTYPE_* value or a DLT_* value as libpcap reports it (mapped to its
//! LINKTYPE as the pcap writer does: `pcap::file_linktype`).
//!
//! * Ethernet (LINKTYPE 1): version 2.0, header MacType 1.
//! * Raw IP (LINKTYPE 101): version 2.1, header MacType 1, media type 9 (raw IP) after every frame.
//! * Any other LINKTYPE `L` up to 0xFFF except 123 and 128..=138: version 2.1, header MacType 1,
//!   and a 2-byte media type `0xE000 | L` after every frame ("converted pcap", which Wireshark
//!   reads).
//! * Other link types cannot be written (`io::ErrorKind::Unsupported` from `new`): SunATM (123),
//!   because Wireshark decodes it in a Network Monitor file as LANE/Ethernet without its SunATM
//!   header (not as it reads the same frames from pcap), and 128..=138, whose converted values
//!   Wireshark takes for Message Analyzer's.
//!
//! Network Monitor's own frames (the statistics frame, special frames) are 802.3 frames with
//! LLC/SNAP: in a version 2.1 file their media type is 1 (Ethernet), whatever the capture's link
//! type, so that Wireshark reads them as such.
//!
//! Frames longer than 262144 stored bytes are clipped to 262144 (the length on the wire is kept):
//! Wireshark refuses larger records.
//!
//! Time: the header holds the first frame's time truncated to milliseconds, as the **local**
//! wall-clock time of this host (`localtime_r`, which honours `TZ`); each record holds its
//! offset from that in microseconds, rounded to nearest (never negative: a frame older than the
//! first one gets offset 0). Read the file back in the same time zone.
//!
//! Size limit: offsets are 32-bit, so the file may not pass 4 GiB. A frame whose record end plus
//! the frame table (including its own entry) would pass the limit is refused with
//! `WriteError::FileLimit` and nothing is written; every later frame is refused the same way, and
//! `finish` completes the file with the frames before.
//!
//! Write errors: see `CaptureWriter` in `mod.rs`. On an `Io` error the writer cuts the file back
//! to its last whole frame and completes it at once (frame table and header), dropping frames
//! from the end if the table does not fit otherwise; `frames()` then tells exactly how many
//! frames the file holds, and `finish` has nothing more to do.

use std::fs::File;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{frame_lengths, write_counted_at, CaptureWriter, Finished, Sink, StreamInfo, Timestamp, WriteError};
use super::{BUF_SIZE, MAX_STORED};

/// Size of the file header.
pub(crate) const HEADER_LEN: usize = 128;
/// Size of a frame record's header (time offset, wire length, stored length).
pub(crate) const RECORD_HEADER_LEN: usize = 16;
/// The default size limit: every offset must fit in 32 bits.
pub(crate) const DEFAULT_LIMIT: u64 = u32::MAX as u64;

const MAGIC: &[u8; 4] = b"GMBU";
const MAJOR: u8 = 2;

/// How the frames of one link type are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Media {
    /// Version 2.`minor`.
    minor: u8,
    /// The header MacType.
    mac_type: u16,
    /// The per-frame media type trailer (version 2.1), if any.
    trailer: Option<u16>,
}

fn media_for(linktype: u32) -> io::Result<Media> {
    match super::pcap::file_linktype(linktype) {
        1 => Ok(Media { minor: 0, mac_type: 1, trailer: None }),
        101 => Ok(Media { minor: 1, mac_type: 1, trailer: Some(9) }),
        123 | 128..=138 => Err(unsupported(linktype)),
        l if l <= 0xFFF => Ok(Media { minor: 1, mac_type: 1, trailer: Some(0xE000 | l as u16) }),
        _ => Err(unsupported(linktype)),
    }
}

/// The media type trailer of Network Monitor's own frames (802.3 with LLC/SNAP) in a 2.1 file.
const ETHERNET_TRAILER: [u8; 2] = 1u16.to_le_bytes();

fn unsupported(linktype: u32) -> io::Error {
    let l = super::pcap::file_linktype(linktype);
    let name = if l == linktype { format!("LINKTYPE {l}") } else { format!("LINKTYPE {l} (DLT {linktype})") };
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{name} cannot be written in a Network Monitor 2 file (Wireshark would not read it as in pcap); use pcap or pcapng"),
    )
}

/// Writes a Network Monitor 2.0/2.1 file. Make it with `new` (or `writer` in `mod.rs`).
pub struct Netmon2Writer {
    sink: Sink,
    media: Media,
    /// The trailer's bytes and how many of them each record gets (0 or 2).
    trailer: [u8; 2],
    trailer_len: usize,
    /// The header time: the first frame's, truncated to milliseconds.
    base: Option<Timestamp>,
    /// Used for the header time of a file with no frame.
    created: Timestamp,
    /// The latest frame time written, and when it was written (for the statistics frame's time).
    latest: Option<(Timestamp, std::time::Instant)>,
    /// Record offset of every frame accepted and not lost.
    offsets: Vec<u32>,
    limit: u64,
    at_limit: bool,
    /// The file is complete (after `finish`, or at once after a write error).
    done: bool,
    /// Completing the file after a write error failed: `finish` returns this.
    complete_error: Option<io::Error>,
}

impl Netmon2Writer {
    /// A writer over `file`, which must be empty and positioned at 0 (as `create_unique` gives
    /// it) and seekable. Fails with `Unsupported` for a link type that can't be written, or
    /// with the error of writing the header's place.
    pub fn new(file: File, info: StreamInfo) -> io::Result<Netmon2Writer> {
        Self::with_limit(file, info, DEFAULT_LIMIT)
    }

    /// Like `new`, with a file size limit other than 4 GiB (for tests; values above
    /// `DEFAULT_LIMIT` are lowered to it).
    pub fn with_limit(file: File, info: StreamInfo, limit: u64) -> io::Result<Netmon2Writer> {
        let media = media_for(info.linktype)?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        // A valid header from the start (signature, version, media type, the creation time; no
        // frame table yet): a file cut off by a crash is recognisable, and repair.rs completes
        // it. The time becomes the first frame's when that arrives; finish writes the table.
        let created = Timestamp { sec: now.as_secs() as i64, nsec: now.subsec_nanos() };
        let sink = Sink::new(file, &file_header(media, &systemtime_local(created), 0, 0))?;
        let (trailer, trailer_len) = match media.trailer {
            Some(t) => (t.to_le_bytes(), 2),
            None => ([0; 2], 0),
        };
        Ok(Netmon2Writer {
            sink,
            media,
            trailer,
            trailer_len,
            base: None,
            created: Timestamp { sec: now.as_secs() as i64, nsec: now.subsec_nanos() },
            latest: None,
            offsets: Vec::new(),
            limit: limit.min(DEFAULT_LIMIT),
            at_limit: false,
            done: false,
            complete_error: None,
        })
    }

    /// Completes the file: writes what is buffered, then the frame table and the header
    /// (`finalize`). Returns the first error met, also when the file was completed with fewer
    /// frames than were accepted; after an earlier `Io` error, only a failure to complete it.
    fn complete(&mut self) -> io::Result<()> {
        if self.done {
            return match self.complete_error.take() {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        self.done = true;
        let flushed = self.sink.flush();
        self.offsets.truncate(self.sink.frames() as usize);
        let dropped = self.finalize()?;
        flushed?;
        dropped.map_or(Ok(()), Err)
    }

    /// Writes the frame table after the last whole frame, then the header. When the table
    /// doesn't fit on the disk, drops frames from the end until it does, and then returns the
    /// error that showed the lack of space as `Ok(Some(e))`: the file is complete. `Err`: the
    /// file could not be completed.
    fn finalize(&mut self) -> io::Result<Option<io::Error>> {
        let mut dropped = None;
        let table_pos = loop {
            let table_pos = self.sink.file_end;
            let Err((written, e)) = self.write_table(table_pos) else { break table_pos };
            if !is_no_space(&e) || self.offsets.is_empty() {
                let _ = self.sink.file.set_len(table_pos);
                return Err(e);
            }
            // Drop as few frames from the end as can free the space the table lacked; if the
            // retry still fails (block granularity), this runs again and drops more.
            let n = self.offsets.len();
            let need = 4 * n as u64 - written as u64;
            let mut keep = n - 1;
            while keep > 0 && table_pos - u64::from(self.offsets[keep]) + 4 * ((n - keep) as u64) < need {
                keep -= 1;
            }
            let new_end = u64::from(self.offsets[keep]);
            self.offsets.truncate(keep);
            // What the kept records hold besides their headers and trailers.
            let records = new_end - HEADER_LEN as u64;
            let bytes = records - keep as u64 * (RECORD_HEADER_LEN + self.trailer_len) as u64;
            self.sink.cut_back(new_end, keep as u64, bytes)?;
            dropped.get_or_insert(e);
        };

        let base = self.base.unwrap_or(Timestamp { sec: self.created.sec, nsec: self.created.nsec - self.created.nsec % 1_000_000 });
        let header = file_header(self.media, &systemtime_local(base), table_pos as u32, 4 * self.offsets.len() as u32);
        let (_, err) = write_counted_at(&self.sink.file, &header, 0);
        match err {
            Some(e) => Err(e),
            None => Ok(dropped),
        }
    }

    /// After a failed write (the sink cut the file back to its last whole frame): completes the
    /// file now, so that `frames()` is what it holds; `finish` reports a failure to complete it.
    fn failed(&mut self, e: io::Error) -> WriteError {
        self.done = true;
        self.offsets.truncate(self.sink.frames() as usize);
        self.complete_error = self.finalize().err();
        WriteError::Io(e)
    }

    /// Writes the frame table at `pos`, through the (empty) sink buffer in 1 MiB pieces. On an
    /// error: how many table bytes reached the file, and the error.
    fn write_table(&mut self, mut pos: u64) -> Result<(), (usize, io::Error)> {
        let mut total = 0;
        let buf = &mut self.sink.buf;
        for chunk in self.offsets.chunks(BUF_SIZE / 4) {
            buf.clear();
            for off in chunk {
                buf.extend_from_slice(&off.to_le_bytes());
            }
            let (written, err) = write_counted_at(&self.sink.file, buf, pos);
            total += written;
            if let Some(e) = err {
                buf.clear();
                return Err((total, e));
            }
            pos += written as u64;
        }
        buf.clear();
        Ok(())
    }
}

impl Netmon2Writer {
    /// Appends one record; `own`: one of Network Monitor's own frames (Ethernet media type).
    fn write_record(&mut self, ts: Timestamp, wire_len: u32, data: &[u8], own: bool) -> Result<(), WriteError> {
        if self.done {
            return Err(WriteError::Io(io::Error::other("the capture file is complete or failed before")));
        }
        if self.at_limit {
            return Err(WriteError::FileLimit);
        }
        let (stored, wire) = frame_lengths(wire_len, data, MAX_STORED);
        let start = self.sink.pos();
        let end = start + (RECORD_HEADER_LEN + stored + self.trailer_len) as u64;
        let table = 4 * (self.offsets.len() as u64 + 1);
        if end + table > self.limit {
            self.at_limit = true;
            return Err(WriteError::FileLimit);
        }
        let ts = normalize(ts);
        let base = match self.base {
            Some(b) => b,
            None => {
                let b = Timestamp { sec: ts.sec, nsec: ts.nsec - ts.nsec % 1_000_000 };
                self.base = Some(b);
                // The header's time is the base of every record's offset: written now, so that a
                // file cut off later still dates its frames right (best effort: finish writes the
                // whole header again).
                let _ = write_counted_at(&self.sink.file, &systemtime_local(b), 8);
                b
            }
        };
        let header = record_header(offset_us(base, ts), wire, stored as u32);
        let trailer = if own { &ETHERNET_TRAILER[..self.trailer_len] } else { &self.trailer[..self.trailer_len] };
        match self.sink.frame(&[&header, &data[..stored], trailer], stored) {
            Ok(()) => {
                self.offsets.push(start as u32);
                if !self.latest.is_some_and(|(t, _)| ts < t) {
                    self.latest = Some((ts, std::time::Instant::now()));
                }
                Ok(())
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// The statistics frame's time: when the capture ended on the frames' clock, i.e. the latest
    /// frame's time plus the time that passed since it was written. For a live capture that is
    /// about the current time; for a replay of old frames it follows them, not today's date.
    fn end_time(&self) -> Timestamp {
        match self.latest {
            Some((t, at)) => {
                let ns = u64::from(t.nsec) + at.elapsed().as_nanos().min(u64::MAX as u128 / 2) as u64;
                Timestamp { sec: t.sec.saturating_add((ns / 1_000_000_000) as i64), nsec: (ns % 1_000_000_000) as u32 }
            }
            None => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                Timestamp { sec: now.as_secs() as i64, nsec: now.subsec_nanos() }
            }
        }
    }
}

impl CaptureWriter for Netmon2Writer {
    fn write_frame(&mut self, ts: Timestamp, wire_len: u32, data: &[u8]) -> Result<(), WriteError> {
        self.write_record(ts, wire_len, data, false)
    }

    fn write_special(&mut self, ts: Timestamp, data: &[u8], _comment: &str) -> Result<(), WriteError> {
        self.write_record(ts, data.len() as u32, data, true)
    }

    fn frames(&self) -> u64 {
        self.offsets.len() as u64
    }

    fn bytes(&self) -> u64 {
        self.sink.bytes()
    }

    fn flush(&mut self) -> Result<(), WriteError> {
        if self.done {
            return Ok(());
        }
        self.sink.flush().map_err(|e| self.failed(e))
    }

    /// With the frame table (4 bytes per frame) and room for the statistics frame's record.
    fn size_with(&self, data_len: usize, _comment: Option<&str>) -> u64 {
        let record = |stored: usize| (RECORD_HEADER_LEN + stored + self.trailer_len) as u64 + 4;
        self.sink.pos() + 4 * self.offsets.len() as u64 + record(data_len.min(MAX_STORED as usize)) + record(STATS_FRAME_LEN)
    }

    fn finish(mut self: Box<Self>) -> Finished {
        let result = self.complete();
        Finished { frames: self.frames(), bytes: self.bytes(), result }
    }

    fn finish_with_statistics(mut self: Box<Self>, statistics: Option<&crate::types::STATISTICS>) -> Finished {
        if let Some(st) = statistics.filter(|_| self.frames() > 0) {
            let frame = stats_frame(st);
            let ts = self.end_time();
            // Not written (file limit, full disk): the file keeps every captured frame without it.
            let _ = self.write_record(ts, frame.len() as u32, &frame, true);
        }
        self.finish()
    }
}

impl Drop for Netmon2Writer {
    /// A writer dropped without `finish` still completes its file (errors are lost).
    fn drop(&mut self) {
        let _ = self.complete();
    }
}

/// Bytes of the Network Monitor statistics frame (ESTATFRAME without its 16-byte record header).
pub(crate) const STATS_FRAME_LEN: usize = 128;

/// Bytes of a special frame before its user data.
pub(crate) const SPECIAL_FRAME_HEADER: usize = 36;
/// The most user data a special frame carries (its 802.3 length field stays a length, <= 1500).
pub const MAX_SPECIAL_DATA: usize = 1500 - (SPECIAL_FRAME_HEADER - 14);

/// A Network Monitor special frame, as the SDK's ESTATFRAME lays out its statistics frame: an
/// 802.3 frame with zero addresses, LLC/SNAP (AA AA 03, OUI 000000, type 0x8419 =
/// DEFAULT_ETHERTYPE), then "$MST", `flags` (4 bytes), `frame_type` (4 bytes), the length of
/// `data` (2 bytes) and `data`. Numbers after "$MST" are little-endian; the 802.3 length and the
/// SNAP type are in network order, as on a wire. `data` longer than MAX_SPECIAL_DATA is cut.
pub fn special_frame(frame_type: u32, flags: u32, data: &[u8]) -> Vec<u8> {
    use crate::types::*;
    let data = &data[..data.len().min(MAX_SPECIAL_DATA)];
    let mut f = vec![0u8; SPECIAL_FRAME_HEADER + data.len()];
    let len = f.len();
    f[12..14].copy_from_slice(&((len - 14) as u16).to_be_bytes());
    f[14] = DEFAULT_SAP as u8;
    f[15] = DEFAULT_SAP as u8;
    f[16] = DEFAULT_CONTROL as u8;
    f[20..22].copy_from_slice(&(DEFAULT_ETHERTYPE as u16).to_be_bytes());
    f[22..26].copy_from_slice(b"$MST");
    f[26..30].copy_from_slice(&flags.to_le_bytes());
    f[30..34].copy_from_slice(&frame_type.to_le_bytes());
    f[34..36].copy_from_slice(&(data.len() as u16).to_le_bytes());
    f[36..].copy_from_slice(data);
    f
}

/// What a special frame of `frame_type` is, in words (pcapng's opt_comment).
pub fn special_frame_comment(frame_type: u32) -> String {
    match frame_type {
        crate::types::STATS_FRAME_TYPE => format!("Network Monitor special frame: statistics (type {frame_type})"),
        _ => format!("Network Monitor special frame: type {frame_type}"),
    }
}

/// The statistics frame Network Monitor appends to a capture (the SDK's ESTATFRAME after its
/// record header): a special frame (see `special_frame`) with Flags 0, FrameType
/// STATS_FRAME_TYPE (103), and as its 92 bytes of data StatsVersion STATISTICS_VERSION_2_0 and
/// the STATISTICS (88 bytes, little-endian).
pub fn stats_frame(st: &crate::types::STATISTICS) -> [u8; STATS_FRAME_LEN] {
    use crate::types::*;
    // StatsVersion, then the STATISTICS packed little-endian.
    let mut data = Vec::with_capacity(STATS_FRAME_LEN - SPECIAL_FRAME_HEADER);
    data.extend_from_slice(&STATISTICS_VERSION_2_0.to_le_bytes());
    data.extend_from_slice(&st.TimeElapsed.to_le_bytes());
    for v in [
        st.TotalFramesCaptured,
        st.TotalBytesCaptured,
        st.TotalFramesFiltered,
        st.TotalBytesFiltered,
        st.TotalMulticastsFiltered,
        st.TotalBroadcastsFiltered,
        st.TotalFramesSeen,
        st.TotalBytesSeen,
        st.TotalMulticastsReceived,
        st.TotalBroadcastsReceived,
        st.TotalFramesDropped,
        st.TotalFramesDroppedFromBuffer,
        st.MacFramesReceived,
        st.MacCRCErrors,
    ] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    data.extend_from_slice(&st.MacBytesReceivedEx.to_le_bytes());
    for v in [st.MacFramesDropped_NoBuffers, st.MacMulticastsReceived, st.MacBroadcastsReceived, st.MacFramesDropped_HwError] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    special_frame(STATS_FRAME_TYPE, 0, &data).try_into().expect("a statistics frame is STATS_FRAME_LEN bytes")
}

/// The disk (or quota, or file size limit) is full: dropping frames can make room.
fn is_no_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG))
}

/// `ts` with `nsec < 10^9`.
fn normalize(ts: Timestamp) -> Timestamp {
    Timestamp { sec: ts.sec.saturating_add(i64::from(ts.nsec / 1_000_000_000)), nsec: ts.nsec % 1_000_000_000 }
}

/// Microseconds from `base` to `ts`, rounded to nearest; 0 if `ts` is before `base`.
fn offset_us(base: Timestamp, ts: Timestamp) -> u64 {
    let dsec = ts.sec.saturating_sub(base.sec);
    let dns = i64::from(ts.nsec) - i64::from(base.nsec);
    let us = dsec.saturating_mul(1_000_000).saturating_add((dns + 500).div_euclid(1000));
    us.max(0) as u64
}

/// The 16-byte record header: time offset (µs), length on the wire, stored length.
fn record_header(offset_us: u64, wire_len: u32, stored_len: u32) -> [u8; RECORD_HEADER_LEN] {
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[0..8].copy_from_slice(&offset_us.to_le_bytes());
    h[8..12].copy_from_slice(&wire_len.to_le_bytes());
    h[12..16].copy_from_slice(&stored_len.to_le_bytes());
    h
}

/// The 128-byte file header: magic, version, MacType, SYSTEMTIME, frame table offset and length
/// in bytes; everything else zero.
fn file_header(media: Media, time: &[u8; 16], table_offset: u32, table_len: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(MAGIC);
    h[4] = media.minor;
    h[5] = MAJOR;
    h[6..8].copy_from_slice(&media.mac_type.to_le_bytes());
    h[8..24].copy_from_slice(time);
    h[24..28].copy_from_slice(&table_offset.to_le_bytes());
    h[28..32].copy_from_slice(&table_len.to_le_bytes());
    h
}

use sys::tzset;

/// cbindgen:ignore
mod sys {
    // A private binding, not part of ndisnpp's C interface: the annotation above keeps cbindgen
    // from declaring it in netmon.h.
    extern "C" {
        /// POSIX tzset(3): (re)reads `TZ`, as C `localtime` does before converting (the libc
        /// crate doesn't declare it for Linux).
        pub(super) fn tzset();
    }
}

/// SYSTEMTIME (year, month, day of week with Sunday 0, day, hour, minute, second, millisecond,
/// each a little-endian u16) of `t` in this host's local time zone.
fn systemtime_local(t: Timestamp) -> [u8; 16] {
    // SAFETY: tzset has no arguments; localtime_r writes only into `tm`, a plain C struct for
    // which all zero bytes is a valid value.
    let tm = unsafe {
        tzset();
        let secs = t.sec as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            tm = std::mem::zeroed(); // out of range: an obviously wrong but readable date
            tm.tm_mday = 1;
            tm.tm_year = 70;
        }
        tm
    };
    let fields = [tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_wday, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (t.nsec / 1_000_000) as i32];
    let mut out = [0u8; 16];
    for (i, f) in fields.iter().enumerate() {
        out[2 * i..2 * i + 2].copy_from_slice(&(*f as u16).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod stats_frame_tests {
    use super::*;

    #[test]
    fn layout() {
        let st =
            crate::types::STATISTICS { TimeElapsed: 0x0102030405060708, TotalFramesCaptured: 5, MacFramesDropped_HwError: 0xAABBCCDD, ..Default::default() };
        let f = stats_frame(&st);
        assert_eq!(&f[12..22], &[0, 114, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x84, 0x19]);
        assert_eq!(&f[22..26], b"$MST");
        assert_eq!(u32::from_le_bytes(f[30..34].try_into().unwrap()), 103);
        assert_eq!(u16::from_le_bytes(f[34..36].try_into().unwrap()), 92);
        assert_eq!(u32::from_le_bytes(f[36..40].try_into().unwrap()), 0x20);
        assert_eq!(i64::from_le_bytes(f[40..48].try_into().unwrap()), 0x0102030405060708);
        assert_eq!(u32::from_le_bytes(f[48..52].try_into().unwrap()), 5);
        assert_eq!(u32::from_le_bytes(f[124..128].try_into().unwrap()), 0xAABBCCDD);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{writer, FileFormat};
    use std::path::PathBuf;

    /// A scratch file path, removed when dropped.
    struct Scratch(PathBuf);
    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let name = format!("ndisnpp-netmon2-{}-{}-{:x}", tag, std::process::id(), super::super::random_u64().unwrap());
            Scratch(std::env::temp_dir().join(name))
        }
        fn create(&self) -> File {
            std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&self.0).unwrap()
        }
        fn read(&self) -> Vec<u8> {
            std::fs::read(&self.0).unwrap()
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    const ETH: StreamInfo = StreamInfo { linktype: 1, snaplen: 0 };

    fn set_tz_utc() {
        std::env::set_var("TZ", "UTC");
        // SAFETY: no arguments; re-reads TZ.
        unsafe { super::tzset() };
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// netmon2_write_example.py's frame: broadcast, source 02:00:00:00:00:0n, EtherType 0x88B5,
    /// then the bytes n, n+1, ...
    fn example_frame(n: u8, wire_len: usize) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, n, 0x88, 0xb5]);
        let head = f.len();
        f.extend((0..wire_len - head).map(|i| (n as usize + i) as u8));
        f
    }

    /// `TZ=UTC python3 netmon2_write_example.py t20.cap --minor 0` (474 bytes).
    const EXAMPLE_T20: &str = "
        474d425500020100e7070b0002000e0016000d0014007b00ce0100000c000000
        0000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000
        c8010000000000003c0000003c000000ffffffffffff02000000000188b50102
        030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122
        232425262728292a2b2c2d2ec2020000000000006200000062000000ffffffff
        ffff02000000000288b502030405060708090a0b0c0d0e0f1011121314151617
        18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637
        38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253545528e5
        160000000000ea05000080000000ffffffffffff02000000000388b503040506
        0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526
        2728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546
        4748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263646566
        6768696a6b6c6d6e6f707172737480000000cc0000003e010000";

    #[test]
    fn reproduces_the_reference_file_byte_for_byte() {
        set_tz_utc();
        let f = Scratch::new("ref");
        let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        let t0 = Timestamp { sec: 1_700_000_000, nsec: 123_456_000 };
        let big = example_frame(3, 1514);
        w.write_frame(t0, 60, &example_frame(1, 60)).unwrap();
        w.write_frame(Timestamp { nsec: t0.nsec + 250_000, ..t0 }, 98, &example_frame(2, 98)).unwrap();
        w.write_frame(Timestamp { sec: t0.sec + 1, nsec: 623_456_000 }, 1514, &big[..128]).unwrap();
        assert_eq!(w.frames(), 3);
        w.finish().result.unwrap();
        let got = f.read();
        let want = hex(EXAMPLE_T20);
        assert_eq!(want.len(), 474);
        assert_eq!(got, want);
    }

    #[test]
    fn header_layout() {
        let time: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let h = file_header(Media { minor: 1, mac_type: 1, trailer: Some(0xE071) }, &time, 0x1234_5678, 12);
        assert_eq!(&h[0..8], b"GMBU\x01\x02\x01\x00");
        assert_eq!(&h[8..24], &time);
        assert_eq!(&h[24..32], &[0x78, 0x56, 0x34, 0x12, 12, 0, 0, 0]);
        assert!(h[32..].iter().all(|&b| b == 0));
    }

    #[test]
    fn systemtime_is_local_time_of_the_base() {
        set_tz_utc();
        // the header's SYSTEMTIME example: 2023-11-14 22:13:20.123 UTC, a Tuesday.
        let st = systemtime_local(Timestamp { sec: 1_700_000_000, nsec: 123_000_000 });
        assert_eq!(st, *b"\xe7\x07\x0b\x00\x02\x00\x0e\x00\x16\x00\x0d\x00\x14\x00\x7b\x00");
    }

    #[test]
    fn record_header_layout() {
        let h = record_header(0x0102_0304_0506_0708, 1514, 128);
        assert_eq!(h, [8, 7, 6, 5, 4, 3, 2, 1, 0xea, 5, 0, 0, 128, 0, 0, 0]);
    }

    #[test]
    fn offsets_round_to_nearest_microsecond() {
        let base = Timestamp { sec: 100, nsec: 123_000_000 };
        let at = |sec, nsec| offset_us(base, Timestamp { sec, nsec });
        assert_eq!(at(100, 123_000_000), 0);
        assert_eq!(at(100, 123_000_499), 0);
        assert_eq!(at(100, 123_000_500), 1);
        assert_eq!(at(100, 123_456_789), 457);
        assert_eq!(at(101, 0), 877_000);
        assert_eq!(at(102, 122_999_999), 2_000_000);
        assert_eq!(at(99, 999_999_999), 0, "earlier than the base: clamped to 0");
        assert_eq!(normalize(Timestamp { sec: 5, nsec: 2_500_000_000 }), Timestamp { sec: 7, nsec: 500_000_000 });
    }

    #[test]
    fn media_types() {
        assert_eq!(media_for(1).unwrap(), Media { minor: 0, mac_type: 1, trailer: None });
        for raw in [101, 12, 14] {
            assert_eq!(media_for(raw).unwrap(), Media { minor: 1, mac_type: 1, trailer: Some(9) });
        }
        assert_eq!(media_for(113).unwrap(), Media { minor: 1, mac_type: 1, trailer: Some(0xE071) });
        // DLT values as libpcap reports them are written as their LINKTYPE (issue 18 item 8).
        assert_eq!(media_for(19).unwrap().trailer, Some(0xE000 | 106), "DLT_ATM_CLIP");
        assert_eq!(media_for(11).unwrap().trailer, Some(0xE000 | 100), "DLT_ATM_RFC1483");
        assert_eq!(media_for(276).unwrap(), Media { minor: 1, mac_type: 1, trailer: Some(0xE114) });
        assert_eq!(media_for(0).unwrap().trailer, Some(0xE000));
        assert_eq!(media_for(0xFFF).unwrap().trailer, Some(0xEFFF));
        for bad in [123, 128, 133, 138, 0x1000, u32::MAX] {
            assert_eq!(media_for(bad).unwrap_err().kind(), io::ErrorKind::Unsupported, "{bad}");
        }
        let f = Scratch::new("unsup");
        let err = writer(FileFormat::Netmon2, f.create(), StreamInfo { linktype: 130, snaplen: 0 }).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    }

    /// Parses a file: (version minor, MacType, [(offset_us, wire, stored, data, trailer)]).
    type Record = (u64, u32, u32, Vec<u8>, Vec<u8>);
    fn parse(file: &[u8], trailer_len: usize) -> (u8, u16, Vec<Record>) {
        let u32_at = |o: usize| u32::from_le_bytes(file[o..o + 4].try_into().unwrap());
        assert_eq!(&file[0..4], b"GMBU");
        assert_eq!(file[5], 2);
        let table = u32_at(24) as usize;
        let table_len = u32_at(28) as usize;
        assert_eq!(table + table_len, file.len(), "the table ends the file");
        let mut out = Vec::new();
        for i in 0..table_len / 4 {
            let r = u32_at(table + 4 * i) as usize;
            let off = u64::from_le_bytes(file[r..r + 8].try_into().unwrap());
            let (wire, stored) = (u32_at(r + 8), u32_at(r + 12));
            let d = r + 16;
            let t = d + stored as usize;
            out.push((off, wire, stored, file[d..t].to_vec(), file[t..t + trailer_len].to_vec()));
        }
        (file[4], u16::from_le_bytes([file[6], file[7]]), out)
    }

    #[test]
    fn sll_frames_get_version_2_1_and_the_media_trailer() {
        let f = Scratch::new("sll");
        let mut w = writer(FileFormat::Netmon2, f.create(), StreamInfo { linktype: 113, snaplen: 0 }).unwrap();
        let t = Timestamp { sec: 1_700_000_000, nsec: 1_000_000 };
        w.write_frame(t, 40, &[7u8; 40]).unwrap();
        w.write_frame(Timestamp { nsec: 2_000_400, ..t }, 50, &[9u8; 20]).unwrap();
        w.finish().result.unwrap();
        let file = f.read();
        let (minor, mac, recs) = parse(&file, 2);
        assert_eq!((minor, mac), (1, 1));
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0], (0, 40, 40, vec![7; 40], vec![0x71, 0xE0]));
        assert_eq!(recs[1], (1000, 50, 20, vec![9; 20], vec![0x71, 0xE0]));
        assert_eq!(u32::from_le_bytes(file[128 + 16 + 40 + 2 + 8..][..4].try_into().unwrap()), 50);
    }

    /// Raw IP is a version 2.1 file with media type 9 per frame, so that Network Monitor's own
    /// frames can say Ethernet (issue 18 item 8: in the 2.0 file with MacType 9 that raw IP was,
    /// Wireshark read the statistics frame as a bogus IP packet).
    #[test]
    fn raw_ip_is_version_2_1_with_media_type_9() {
        let f = Scratch::new("raw");
        let mut w = writer(FileFormat::Netmon2, f.create(), StreamInfo { linktype: 101, snaplen: 0 }).unwrap();
        w.write_frame(Timestamp { sec: 1, nsec: 0 }, 20, &[0x45; 20]).unwrap();
        w.finish().result.unwrap();
        let (minor, mac, recs) = parse(&f.read(), 2);
        assert_eq!((minor, mac, recs.len()), (1, 1, 1));
        assert_eq!(recs[0].4, [9, 0]);
    }

    /// Network Monitor's own frames say Ethernet in a 2.1 file, whatever the capture's link type
    /// (issue 18 item 8: they carried the capture's, and Wireshark read them as SLL or raw IP).
    #[test]
    fn own_frames_are_ethernet_in_a_2_1_file() {
        for (linktype, first) in [(113u32, vec![0x71, 0xE0]), (101, vec![9, 0])] {
            let f = Scratch::new("own");
            let mut w = writer(FileFormat::Netmon2, f.create(), StreamInfo { linktype, snaplen: 0 }).unwrap();
            w.write_frame(Timestamp { sec: 1, nsec: 0 }, 20, &[0x45; 20]).unwrap();
            w.write_special(Timestamp { sec: 2, nsec: 0 }, &special_frame(7, 0, b"x"), "").unwrap();
            let st = crate::types::STATISTICS::default();
            w.finish_with_statistics(Some(&st)).result.unwrap();
            let (_, _, recs) = parse(&f.read(), 2);
            let media: Vec<Vec<u8>> = recs.iter().map(|r| r.4.clone()).collect();
            assert_eq!(media, [first, vec![1, 0], vec![1, 0]], "LINKTYPE {linktype}: the capture's frame, a special frame, the statistics frame");
        }
    }

    #[test]
    fn oversized_frames_are_clipped_and_short_wire_lengths_raised() {
        let f = Scratch::new("clip");
        let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        let big = vec![0xAB; 300_000];
        w.write_frame(Timestamp { sec: 1, nsec: 0 }, 300_000, &big).unwrap();
        w.write_frame(Timestamp { sec: 1, nsec: 0 }, 10, &[1u8; 60]).unwrap();
        w.finish().result.unwrap();
        let (_, _, recs) = parse(&f.read(), 0);
        assert_eq!((recs[0].1, recs[0].2, recs[0].3.len()), (300_000, 262_144, 262_144));
        assert_eq!((recs[1].1, recs[1].2), (60, 60));
    }

    #[test]
    fn many_frames_across_buffer_flushes() {
        let f = Scratch::new("many");
        let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        let n = 20_000u32; // 20000 * 1530 B: about 30 buffer flushes
        let mut frame = vec![0u8; 1514];
        for i in 0..n {
            frame[..4].copy_from_slice(&i.to_le_bytes());
            w.write_frame(Timestamp { sec: 10 + i64::from(i), nsec: 0 }, 1514, &frame).unwrap();
        }
        assert_eq!(w.frames(), u64::from(n));
        w.finish().result.unwrap();
        let (_, _, recs) = parse(&f.read(), 0);
        assert_eq!(recs.len(), n as usize);
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.0, i as u64 * 1_000_000);
            assert_eq!(&r.3[..4], &(i as u32).to_le_bytes());
        }
    }

    #[test]
    fn file_limit_refuses_the_frame_that_would_not_fit() {
        let f = Scratch::new("limit");
        let limit = 4096;
        let mut w = Netmon2Writer::with_limit(f.create(), ETH, limit).unwrap();
        let frame = [0x5Au8; 100];
        let mut accepted = 0u64;
        let err = loop {
            match w.write_frame(Timestamp { sec: 1, nsec: 0 }, 100, &frame) {
                Ok(()) => accepted += 1,
                Err(e) => break e,
            }
        };
        assert!(matches!(err, WriteError::FileLimit));
        // 128 + n * (116 + 4) <= 4096 → n = 33.
        assert_eq!(accepted, 33);
        assert_eq!(w.frames(), 33);
        // Sticky, even for a frame that would fit.
        assert!(matches!(w.write_frame(Timestamp::default(), 1, &[0]), Err(WriteError::FileLimit)));
        Box::new(w).finish().result.unwrap();
        let file = f.read();
        assert_eq!(file.len(), 128 + 33 * 120);
        assert!(file.len() as u64 <= limit);
        let (_, _, recs) = parse(&file, 0);
        assert_eq!(recs.len(), 33);
        assert!(recs.iter().all(|r| r.3 == frame));
    }

    #[test]
    fn an_empty_capture_is_completed_with_an_empty_table() {
        let f = Scratch::new("empty");
        let w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        assert_eq!(w.frames(), 0);
        w.finish().result.unwrap();
        let file = f.read();
        assert_eq!(file.len(), 128);
        assert_eq!(&file[24..32], &[128, 0, 0, 0, 0, 0, 0, 0]);
        assert_ne!(&file[8..10], &[0, 0], "the header time is the creation time");
    }

    #[test]
    fn finish_with_statistics_appends_the_statistics_frame_to_a_file_with_frames() {
        let st = crate::types::STATISTICS { TimeElapsed: 5_000_000, TotalFramesCaptured: 2, TotalFramesSeen: 3, ..Default::default() };
        let f = Scratch::new("stats");
        let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        w.write_frame(Timestamp { sec: 1_700_000_000, nsec: 0 }, 60, &[1u8; 60]).unwrap();
        w.write_frame(Timestamp { sec: 1_700_000_001, nsec: 0 }, 60, &[2u8; 60]).unwrap();
        let done = w.finish_with_statistics(Some(&st));
        done.result.unwrap();
        assert_eq!(done.frames, 3, "the file holds the statistics frame last");
        let (_, _, recs) = parse(&f.read(), 0);
        assert_eq!(recs.len(), 3);
        assert_eq!((recs[2].1, recs[2].2), (STATS_FRAME_LEN as u32, STATS_FRAME_LEN as u32));
        assert_eq!(recs[2].3, stats_frame(&st));
        // An empty capture gets none; without statistics there is none.
        let f = Scratch::new("stats-empty");
        let w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        assert_eq!(w.finish_with_statistics(Some(&st)).frames, 0);
        assert_eq!(f.read().len(), 128);
        let f = Scratch::new("stats-none");
        let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
        w.write_frame(Timestamp { sec: 1, nsec: 0 }, 60, &[1u8; 60]).unwrap();
        assert_eq!(w.finish_with_statistics(None).frames, 1);
        assert_eq!(parse(&f.read(), 0).2.len(), 1);
    }

    #[test]
    fn dropped_writer_still_completes_the_file() {
        let f = Scratch::new("drop");
        {
            let mut w = writer(FileFormat::Netmon2, f.create(), ETH).unwrap();
            w.write_frame(Timestamp { sec: 1, nsec: 0 }, 60, &[1u8; 60]).unwrap();
        }
        let (_, _, recs) = parse(&f.read(), 0);
        assert_eq!(recs.len(), 1);
    }

    /// The statistics frame is the special frame of type STATS_FRAME_TYPE with the version and
    /// the STATISTICS as its data: one layout for both.
    #[test]
    fn the_statistics_frame_is_a_special_frame() {
        let st = crate::types::STATISTICS { TotalFramesCaptured: 7, TimeElapsed: 99, ..Default::default() };
        let stats = stats_frame(&st);
        assert_eq!(special_frame(crate::types::STATS_FRAME_TYPE, 0, &stats[36..]), stats.to_vec());
        let f = special_frame(0x1234, 5, b"hello");
        assert_eq!(f.len(), 36 + 5);
        assert_eq!(&f[12..14], &(41u16 - 14).to_be_bytes());
        assert_eq!(&f[14..22], &[0xAA, 0xAA, 0x03, 0, 0, 0, 0x84, 0x19]);
        assert_eq!(&f[22..26], b"$MST");
        assert_eq!(
            (&f[26..30], &f[30..34], &f[34..36], &f[36..]),
            (&5u32.to_le_bytes()[..], &0x1234u32.to_le_bytes()[..], &5u16.to_le_bytes()[..], &b"hello"[..])
        );
        assert_eq!(special_frame(1, 0, &[7; 4000]).len(), 1514, "user data is cut to what an 802.3 length allows");
    }
}
