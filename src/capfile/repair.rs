//! Repair of a capture file cut off by a crash (`ndisnpp_repair_capture`, `nmcap --repair`).
//!
//! * Network Monitor 2: the writer puts a valid header at the start of the file (netmon2.rs) and
//!   writes the frame table and the header's table fields only when the capture is finished. A
//!   file without them is completed in place: the records are scanned from the first one (offset
//!   128), the scan stops at the first record that is incomplete or implausible (stored length
//!   beyond the largest record, wire length below the stored length, past the end of the file),
//!   the file is cut there, and the frame table and the header's table fields are written.
//! * pcap and pcapng: a trailing partial record (or block) is cut off.
//!
//! A sound file is left as it is; the answer is then its frame count.

use super::MAX_STORED;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Why a file could not be repaired.
#[derive(Debug)]
pub enum RepairError {
    NotFound,
    /// Not a Network Monitor 2, pcap or pcapng file (the reason).
    NotCapture(String),
    Io(io::Error),
}

impl From<io::Error> for RepairError {
    fn from(e: io::Error) -> Self {
        RepairError::Io(e)
    }
}

/// The largest wire length a scan of records takes as plausible (a stored frame is at most
/// MAX_STORED bytes).
const MAX_WIRE: u32 = 1 << 24;

/// Makes the capture file at `path` readable in place; returns the frames it holds.
pub fn repair(path: &Path) -> Result<u64, RepairError> {
    let file = OpenOptions::new().read(true).write(true).open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => RepairError::NotFound,
        _ => RepairError::Io(e),
    })?;
    if !file.metadata()?.is_file() {
        return Err(RepairError::NotCapture("not a regular file".into()));
    }
    let mut magic = [0u8; 4];
    if (&file).take(4).read(&mut magic)? < 4 {
        return Err(RepairError::NotCapture("shorter than any capture file header".into()));
    }
    match &magic {
        b"GMBU" => netmon2(&file),
        [0xD4, 0xC3, 0xB2, 0xA1] | [0x4D, 0x3C, 0xB2, 0xA1] => pcap(&file, false),
        [0xA1, 0xB2, 0xC3, 0xD4] | [0xA1, 0xB2, 0x3C, 0x4D] => pcap(&file, true),
        [0x0A, 0x0D, 0x0D, 0x0A] => pcapng(&file),
        _ => Err(RepairError::NotCapture(format!("unknown signature {:02x?}", magic))),
    }
}

fn read_at(file: &File, len: usize, at: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, at)?;
    Ok(buf)
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Network Monitor 2: sound (a consistent frame table) or completed from its records.
fn netmon2(file: &File) -> Result<u64, RepairError> {
    let len = file.metadata()?.len();
    if len < 128 {
        return Err(RepairError::NotCapture("a Network Monitor signature but no whole header".into()));
    }
    let h = read_at(file, 128, 0)?;
    let (minor, major) = (h[4], h[5]);
    if major != 2 || minor > 3 {
        return Err(RepairError::NotCapture(format!("Network Monitor version {major}.{minor}: only 2.x is repaired")));
    }
    let trailer = [0u64, 2, 6, 15][minor as usize];
    // The end of the record at `pos` if its header is plausible (a wire length up to `max_wire`)
    // and the record ends by `limit`.
    let record_end = |pos: u64, limit: u64, max_wire: u32| -> io::Result<Option<u64>> {
        let mut head = [0u8; 16];
        if pos + 16 > limit {
            return Ok(None);
        }
        file.read_exact_at(&mut head, pos)?;
        let (wire, stored) = (u32_le(&head, 8), u32_le(&head, 12));
        let end = pos + 16 + stored as u64 + trailer;
        Ok((stored <= MAX_STORED && wire >= stored && wire <= max_wire && end <= limit).then_some(end))
    };
    let (table_off, table_len) = (u32_le(&h, 0x18) as u64, u32_le(&h, 0x1C) as u64);
    if table_len > 0 && table_len % 4 == 0 && table_off >= 128 && table_off + table_len <= len {
        // A finished file: its table must point at whole, plausible records, in order, after the
        // header and before the table. Any wire length: the writer keeps the one it is given.
        let t = read_at(file, table_len as usize, table_off)?;
        let mut sound = true;
        let mut end_of_last = 128;
        for at in t.chunks_exact(4).map(|c| u32_le(c, 0) as u64) {
            match record_end(at, table_off, u32::MAX)? {
                Some(end) if at >= end_of_last => end_of_last = end,
                _ => {
                    sound = false;
                    break;
                }
            }
        }
        if sound {
            return Ok(table_len / 4);
        }
    }
    // Scan the records from the first one.
    let mut offsets: Vec<u32> = Vec::new();
    let mut pos = 128u64;
    while pos <= u32::MAX as u64 {
        let Some(end) = record_end(pos, len, MAX_WIRE)? else { break };
        offsets.push(pos as u32);
        pos = end;
    }
    // Cut after the last whole record; the table goes there, then the header's table fields.
    let table: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    file.set_len(pos)?;
    file.write_all_at(&table, pos)?;
    let mut fields = [0u8; 8];
    fields[..4].copy_from_slice(&(pos as u32).to_le_bytes());
    fields[4..].copy_from_slice(&(table.len() as u32).to_le_bytes());
    file.write_all_at(&fields, 0x18)?;
    file.sync_all()?;
    Ok(offsets.len() as u64)
}

/// Classic pcap: the records up to the first one cut short or longer than any record; the rest
/// is cut off.
fn pcap(file: &File, big_endian: bool) -> Result<u64, RepairError> {
    let len = file.metadata()?.len();
    if len < 24 {
        return Err(RepairError::NotCapture("a pcap signature but no whole header".into()));
    }
    let field = |b: &[u8], at: usize| {
        let x = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big_endian {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        }
    };
    // Files before version 2.3 have the two lengths the other way round; in 2.3 either order
    // occurs, and the smaller one is the captured length (libpcap reads them so).
    let header = read_at(file, 8, 0)?;
    let half = |at: usize| if big_endian { u16::from_be_bytes([header[at], header[at + 1]]) } else { u16::from_le_bytes([header[at], header[at + 1]]) };
    let captured: fn(u32, u32) -> u32 = match (half(4), half(6)) {
        (2, 0..=2) | (543, 0) => |_, wire| wire,
        (2, 3) => |stored, wire| stored.min(wire),
        _ => |stored, _| stored,
    };
    let mut frames = 0u64;
    let mut pos = 24u64;
    let mut head = [0u8; 16];
    while pos + 16 <= len {
        file.read_exact_at(&mut head, pos)?;
        let caplen = captured(field(&head, 8), field(&head, 12));
        let end = pos + 16 + caplen as u64;
        if caplen > MAX_STORED || end > len {
            break;
        }
        frames += 1;
        pos = end;
    }
    if pos < len {
        file.set_len(pos)?;
        file.sync_all()?;
    }
    Ok(frames)
}

/// pcapng: the blocks up to the first one cut short or inconsistent (its two lengths differ); the
/// rest is cut off. Frames: enhanced, simple and obsolete packet blocks.
fn pcapng(file: &File) -> Result<u64, RepairError> {
    let len = file.metadata()?.len();
    if len < 28 {
        return Err(RepairError::NotCapture("a pcapng signature but no whole section header".into()));
    }
    let shb = read_at(file, 12, 0)?;
    let big_endian = match &shb[8..12] {
        [0x4D, 0x3C, 0x2B, 0x1A] => false,
        [0x1A, 0x2B, 0x3C, 0x4D] => true,
        _ => return Err(RepairError::NotCapture("pcapng section header without its byte-order magic".into())),
    };
    let field = |b: &[u8]| {
        let x = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        }
    };
    let mut frames = 0u64;
    let mut pos = 0u64;
    let mut head = [0u8; 8];
    let mut tail = [0u8; 4];
    while pos + 12 <= len {
        file.read_exact_at(&mut head, pos)?;
        let (kind, total) = (field(&head[..4]), field(&head[4..]) as u64);
        if total < 12 || total % 4 != 0 || pos + total > len {
            break;
        }
        file.read_exact_at(&mut tail, pos + total - 4)?;
        if field(&tail) as u64 != total {
            break;
        }
        if matches!(kind, 2 | 3 | 6) {
            frames += 1;
        }
        pos += total;
    }
    if pos == 0 {
        return Err(RepairError::NotCapture("no whole pcapng section header".into()));
    }
    if pos < len {
        file.set_len(pos)?;
        file.sync_all()?;
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{self, FileFormat, StreamInfo, Timestamp};

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ndisnpp-repair-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        d
    }

    /// A finished file of `n` frames in `format`, and the file as a crash would leave it: for
    /// Network Monitor 2 the records without table and header fields (what the writer had
    /// flushed), for pcap/pcapng the file cut inside its last record.
    fn files(dir: &Path, format: FileFormat, n: u32) -> (std::path::PathBuf, Vec<u8>) {
        let (path, file) = capfile::create_unique(dir).unwrap();
        let mut w = capfile::writer(format, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for i in 0..n {
            let mut f = vec![0x02u8; 60 + (i as usize % 40)];
            f[12] = 0x88;
            f[13] = 0xB5;
            w.write_frame(Timestamp { sec: 1_700_000_000, nsec: i * 1000 }, f.len() as u32, &f).unwrap();
        }
        w.flush().unwrap();
        // What the file holds before finish: as a SIGKILL would leave it.
        let mut cut = std::fs::read(&path).unwrap();
        assert!(w.finish().result.is_ok());
        if format != FileFormat::Netmon2 {
            cut.truncate(cut.len() - 7); // inside the last record
        }
        (path, cut)
    }

    #[test]
    fn cut_off_files_are_completed_and_sound_ones_left_alone() {
        let dir = scratch("formats");
        for format in [FileFormat::Netmon2, FileFormat::Pcap, FileFormat::Pcapng] {
            let (path, cut) = files(&dir, format, 50);
            let sound = std::fs::read(&path).unwrap();
            assert_eq!(repair(&path).unwrap(), 50, "{format:?}: a sound file answers its count");
            assert_eq!(std::fs::read(&path).unwrap(), sound, "{format:?}: and is left as it is");
            std::fs::write(&path, &cut).unwrap();
            let want = if format == FileFormat::Netmon2 { 50 } else { 49 };
            assert_eq!(repair(&path).unwrap(), want, "{format:?}: frames recovered");
            assert_eq!(repair(&path).unwrap(), want, "{format:?}: repairing again changes nothing");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn netmon2_stops_at_the_first_implausible_record() {
        let dir = scratch("garbage");
        let (path, mut cut) = files(&dir, FileFormat::Netmon2, 10);
        // A partial record: its header says more bytes than the file holds.
        cut.extend_from_slice(&[0u8; 8]);
        cut.extend_from_slice(&1000u32.to_le_bytes());
        cut.extend_from_slice(&1000u32.to_le_bytes());
        cut.extend_from_slice(&[7u8; 100]);
        std::fs::write(&path, &cut).unwrap();
        assert_eq!(repair(&path).unwrap(), 10);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A finished file whose table points at a record that is not plausible (found by
    /// fuzz/repair_capture: a stored length of 520159232 in a finished file's fourth record) is not
    /// sound: before, any table of ordered offsets before the table was, and such a file was left
    /// unreadable with success. It is completed from its records as a cut-off file is.
    #[test]
    fn a_table_pointing_at_a_bad_record_is_not_sound() {
        let dir = scratch("bad-record");
        let (path, _) = files(&dir, FileFormat::Netmon2, 10);
        let mut bytes = std::fs::read(&path).unwrap();
        let table_off = u32_le(&bytes, 0x18) as usize;
        let fourth = u32_le(&bytes, table_off + 12) as usize;
        bytes[fourth + 12..fourth + 16].copy_from_slice(&520_159_232u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(repair(&path).unwrap(), 3, "the records before the bad one");
        let repaired = std::fs::read(&path).unwrap();
        assert_eq!((u32_le(&repaired, 0x18) as usize, u32_le(&repaired, 0x1C)), (fourth, 12), "table right after the third record");
        assert_eq!(repaired.len(), fourth + 12);
        // Records that overlap (a table entry inside the record before) are not sound either.
        let (path, _) = files(&dir, FileFormat::Netmon2, 10);
        let mut bytes = std::fs::read(&path).unwrap();
        let second = u32_le(&bytes, table_off + 4);
        bytes[table_off + 4..table_off + 8].copy_from_slice(&(second - 1).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(repair(&path).unwrap(), 10, "completed again from its records");
        assert_eq!(std::fs::read(&path).unwrap().len(), bytes.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A finished file whose frame has a wire length beyond what a scan takes as plausible (found
    /// by fuzz/replay_pcap: a replayed record said 671088640 bytes on the wire, the writer kept it)
    /// is sound: its table vouches for its records. The first check of the records cut it to 0 frames.
    #[test]
    fn a_finished_file_keeps_a_frame_of_any_wire_length() {
        let dir = scratch("wire");
        let (path, file) = capfile::create_unique(&dir).unwrap();
        let mut w = capfile::writer(FileFormat::Netmon2, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for wire in [60, 0x2800_0000, u32::MAX] {
            w.write_frame(Timestamp { sec: 1_700_000_000, nsec: 0 }, wire, &[0x02; 60]).unwrap();
        }
        assert!(w.finish().result.is_ok());
        let sound = std::fs::read(&path).unwrap();
        assert_eq!(repair(&path).unwrap(), 3);
        assert_eq!(std::fs::read(&path).unwrap(), sound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A pcap file before version 2.3 has its two record lengths the other way round, and in 2.3
    /// the smaller is the captured length (found by fuzz/repair_capture: a 2.0 file whose record
    /// said 33672619 on the wire was left as it was, and libpcap still refused it). Before, repair
    /// took the first field as the captured length whatever the version.
    #[test]
    fn pcap_before_2_4_has_its_lengths_swapped() {
        let dir = scratch("pcap-versions");
        let record = |first: u32, second: u32, data: &[u8]| {
            let mut r = vec![0u8; 8];
            r.extend_from_slice(&first.to_le_bytes());
            r.extend_from_slice(&second.to_le_bytes());
            r.extend_from_slice(data);
            r
        };
        for (minor, swapped) in [(0u16, true), (2, true), (3, true), (3, false), (4, false)] {
            let mut bytes = vec![0xD4, 0xC3, 0xB2, 0xA1, 2, 0];
            bytes.extend_from_slice(&minor.to_le_bytes());
            bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]);
            // Two records of 60 stored bytes, 1000000 on the wire; a third cut short.
            for _ in 0..2 {
                bytes.extend(if swapped { record(1_000_000, 60, &[7; 60]) } else { record(60, 1_000_000, &[7; 60]) });
            }
            let whole = bytes.len();
            bytes.extend(if swapped { record(1_000_000, 60, &[7; 20]) } else { record(60, 1_000_000, &[7; 20]) });
            let path = dir.join(format!("v2.{minor}-{swapped}.pcap"));
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(repair(&path).unwrap(), 2, "2.{minor} swapped {swapped}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes[..whole], "2.{minor} swapped {swapped}");
            let lib = pcap::Capture::from_file(&path).map(|mut c| std::iter::from_fn(|| c.next_packet().ok().map(|p| p.data.len())).collect::<Vec<_>>());
            assert_eq!(lib.unwrap(), [60, 60], "libpcap reads what is left, 2.{minor} swapped {swapped}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors() {
        let dir = scratch("errors");
        assert!(matches!(repair(&dir.join("missing")), Err(RepairError::NotFound)));
        std::fs::write(dir.join("text"), b"hello, not a capture").unwrap();
        assert!(matches!(repair(&dir.join("text")), Err(RepairError::NotCapture(_))));
        std::fs::write(dir.join("short"), b"GM").unwrap();
        assert!(matches!(repair(&dir.join("short")), Err(RepairError::NotCapture(_))));
        assert!(matches!(repair(&dir), Err(RepairError::NotCapture(_)) | Err(RepairError::Io(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
