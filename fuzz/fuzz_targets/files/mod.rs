//! Shared by the capture-file targets (`replay_pcap`, `replay_pcapng`, `repair_capture`): the
//! scratch files, a replay drained as the capture thread reads it, the same file read by libpcap
//! directly, the per-frame path of a capture, and the check that a Network Monitor 2 file's header
//! and frame table agree with its records.

#![allow(dead_code)] // each target uses a part

use ndisnpp::capfile::{self, FileFormat, StreamInfo, Timestamp};
use ndisnpp::capture::source::{Next, Replay, Source};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The largest record any reader or writer of the library keeps.
pub const MAX_STORED: usize = 262_144;

/// A scratch file of this fuzzing process: `<dir>/ndisnpp-fuzz-<role>-<pid>`, in `/dev/shm`
/// when it exists (a tmpfs: the repair's fsync costs nothing), else in `$TMPDIR`. Overwritten by
/// every run, left behind when the process ends.
pub fn scratch(role: &str) -> (PathBuf, CString) {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
    let p = dir.join(format!("ndisnpp-fuzz-{role}-{}", std::process::id()));
    let c = CString::new(p.as_os_str().as_bytes()).expect("scratch path without NUL");
    (p, c)
}

/// One frame as a reader delivered it: timestamp, length on the wire, stored bytes.
pub type Frame = (Timestamp, u32, Vec<u8>);

/// Every frame of a reader, and how it ended: `None` at the end of the file, else the message of
/// the record that could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Drained {
    pub frames: Vec<Frame>,
    pub damage: Option<String>,
}

/// The replay source on `path` (unpaced), drained the way the capture thread reads it (`next`
/// until it answers Idle at the end of the file, or Corrupt). Err: `Replay::open` refused it.
pub fn replay(path: &Path) -> Result<(u32, Drained), String> {
    let mut r = Replay::open(path, false).map_err(|e| format!("{e:?}"))?;
    let linktype = r.linktype();
    let mut frames = Vec::new();
    loop {
        match r.next(&mut || false) {
            Next::Frame(f) => frames.push((f.ts, f.wire_len, f.data.to_vec())),
            Next::Idle => return Ok((linktype, Drained { frames, damage: None })),
            Next::Failed(m) => panic!("a replay failed as a live source fails: {m}"),
            Next::Link(up) => panic!("a replay reported a link change ({up})"),
            Next::Corrupt(m) => return Ok((linktype, Drained { frames, damage: Some(m) })),
            Next::Lost(m) => panic!("a replay lost a connection: {m}"),
            Next::End => return Ok((linktype, Drained { frames, damage: None })),
        }
    }
}

/// The same file read by libpcap alone (nanosecond precision, as `Replay` opens it), the whole
/// seconds of a fraction of a second or more carried into the seconds; a classic pcap file's
/// times read back as the format's unsigned 32-bit fields (libpcap sign-extends them from a file
/// in this machine's byte order), as the library promises.
pub fn libpcap(path: &Path) -> Result<(u32, Drained), String> {
    let mut cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).map_err(|e| e.to_string())?;
    let linktype = cap.get_datalink().0 as u32;
    let head = std::fs::read(path).ok().and_then(|b| b.get(..4).map(|m| [m[0], m[1], m[2], m[3]]));
    let classic_nanos = head.and_then(ndisnpp::capture::source::classic_pcap_magic).map(|(_, nanos)| nanos);
    let mut frames = Vec::new();
    loop {
        match cap.next_packet() {
            Ok(p) => {
                // tv_usec holds nanoseconds, possibly a second or more (or negative) as the file says.
                let (sec, ns) = (p.header.ts.tv_sec, p.header.ts.tv_usec);
                let ts = match classic_nanos {
                    Some(nanos) => ndisnpp::capture::source::classic_time_from_libpcap(sec, ns, nanos),
                    None => Timestamp { sec: sec + ns.div_euclid(1_000_000_000), nsec: ns.rem_euclid(1_000_000_000) as u32 },
                };
                frames.push((ts, p.header.len, p.data.to_vec()))
            }
            Err(pcap::Error::NoMorePackets) => return Ok((linktype, Drained { frames, damage: None })),
            Err(e) => return Ok((linktype, Drained { frames, damage: Some(e.to_string()) })),
        }
    }
}

/// Microseconds since the epoch, as the capture thread computes FRAME_DESCRIPTOR's TimeStamp.
fn micros(ts: Timestamp) -> i64 {
    ts.sec.saturating_mul(1_000_000).saturating_add(i64::from(ts.nsec / 1000))
}

/// What the capture thread does with each replayed frame, except the threads and the filter: the
/// FRAME_DESCRIPTOR of IRTC (the capture filter's frame parser), the conversation statistics, one of the
/// three file writers (chosen by `pick`). The file written is then read back: the frames must be
/// those written (a pcap or pcapng file through the replay reader; a Network Monitor 2 file must
/// be consistent and answer its frame count to a repair that leaves it as it is).
pub fn capture_path(linktype: u32, frames: &[Frame], pick: usize) {
    let mut conv = ndisnpp::capture::conversation::Conversations::new();
    for (ts, wire, data) in frames {
        assert!(data.len() <= MAX_STORED, "a replayed frame of {} bytes", data.len());
        let d = ndisnpp::capture::rtc::describe(linktype, micros(*ts), *wire, data);
        assert_eq!(d.nBytesAvail as usize, data.len());
        assert!((d.HighProtocolOffset as usize) < data.len().max(1), "HighProtocolOffset past the stored bytes");
        assert!(d.LowProtocolOffset as usize <= data.len());
        conv.record(linktype, data, *wire);
    }
    assert!(conv.stations().len() <= 100 && conv.sessions().len() <= 100);

    let format = [FileFormat::Pcap, FileFormat::Pcapng, FileFormat::Netmon2][pick % 3];
    let (path, _) = scratch("written");
    let file = std::fs::File::create(&path).expect("create the scratch capture file");
    let Ok(mut w) = capfile::writer(format, file, StreamInfo { linktype, snaplen: 0 }) else {
        return; // a link type the format cannot hold
    };
    for (ts, wire, data) in frames {
        w.write_frame(*ts, (*wire).max(data.len() as u32), data).expect("write a frame to the scratch file");
    }
    let done = w.finish();
    done.result.expect("finish the scratch file");
    assert_eq!(done.frames, frames.len() as u64);
    match format {
        FileFormat::Netmon2 => {
            let bytes = std::fs::read(&path).unwrap();
            check_netmon2(&bytes, frames.len() as u64);
            let n = capfile::repair::repair(&path).expect("repair a finished Network Monitor 2 file").frames;
            assert_eq!(n, frames.len() as u64, "repair of a finished file: another frame count");
            assert!(std::fs::read(&path).unwrap() == bytes, "repair changed a finished file");
        }
        _ => {
            let (_, back) = replay(&path).expect("replay the file just written");
            assert_eq!(back.damage, None, "{format:?} file just written: damaged");
            assert_eq!(back.frames.len(), frames.len());
            for ((ts, wire, data), (ts2, wire2, data2)) in frames.iter().zip(&back.frames) {
                assert!(data == data2, "{format:?}: stored bytes differ");
                assert_eq!((*wire).max(data.len() as u32), *wire2, "{format:?}: wire length");
                // Times the formats hold as they are: pcap's seconds are read back signed 32-bit,
                // pcapng holds nanoseconds since 1970 in 64 bits.
                let (sec, nsec) = (ts.sec + i64::from(ts.nsec / 1_000_000_000), ts.nsec % 1_000_000_000);
                if (0..=i64::from(i32::MAX)).contains(&sec) {
                    assert_eq!(*ts2, Timestamp { sec, nsec }, "{format:?}: timestamp");
                }
            }
        }
    }
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// A Network Monitor 2 file (`bytes`) holding `frames` frames is readable the way a reader walks
/// it: version 2.0 to 2.3, the frame table at the header's offset with `frames` entries within
/// the file, and each entry pointing at a whole, plausible record (stored length at most
/// the largest record, wire length at least the stored one) after the header that ends before the
/// next record (or the table), in file order.
pub fn check_netmon2(bytes: &[u8], frames: u64) {
    assert!(bytes.len() >= 128 && &bytes[..4] == b"GMBU", "no Network Monitor header");
    let (minor, major) = (bytes[4], bytes[5]);
    assert!(major == 2 && minor <= 3, "version {major}.{minor}");
    let trailer = [0u64, 2, 6, 15][minor as usize];
    let (table_off, table_len) = (u32_le(bytes, 0x18) as u64, u32_le(bytes, 0x1C) as u64);
    assert_eq!(table_len, 4 * frames, "frame table length");
    // What follows the table (another table of the format, or anything) is not read.
    assert!(table_off + table_len <= bytes.len() as u64, "the frame table passes the end of the file");
    let table = &bytes[table_off as usize..(table_off + table_len) as usize];
    let mut end_of_last = 128u64;
    for (i, entry) in table.chunks_exact(4).enumerate() {
        let at = u32_le(entry, 0) as u64;
        assert!(at >= end_of_last, "frame {i} at {at}: before the end of the one before ({end_of_last})");
        assert!(at + 16 <= table_off, "frame {i} at {at}: its header passes the table");
        let (wire, stored) = (u32_le(bytes, at as usize + 8), u32_le(bytes, at as usize + 12));
        assert!(stored as usize <= MAX_STORED && wire >= stored, "frame {i}: wire {wire}, stored {stored}");
        end_of_last = at + 16 + u64::from(stored) + trailer;
        assert!(end_of_last <= table_off, "frame {i} at {at}: its record passes the table");
    }
}

/// `data` as a replay file: `Replay::open` accepts it exactly when libpcap opens it; the replay
/// then delivers libpcap's frames and ends as libpcap ends (at the end of the file or on a damaged
/// record, whatever the message); its frames then take `capture_path`.
pub fn replay_and_compare(data: &[u8], role: &str) {
    let (path, _) = scratch(role);
    std::fs::write(&path, data).expect("write the fuzz input file");
    let ours = replay(&path);
    let theirs = libpcap(&path);
    let (ours, theirs) = match (ours, theirs) {
        (Ok(o), Ok(t)) => (o, t),
        (Err(_), Err(_)) => return,
        (o, t) => panic!("Replay::open and libpcap disagree on opening the file: {o:?} / {t:?}"),
    };
    assert_eq!(ours.0, theirs.0, "link type");
    assert!(ours.1.frames == theirs.1.frames, "frames differ from libpcap's: {:?} / {:?}", ours.1, theirs.1);
    assert_eq!(ours.1.damage.is_some(), theirs.1.damage.is_some(), "ends differently: {:?} / {:?}", ours.1.damage, theirs.1.damage);
    capture_path(ours.0, &ours.1.frames, data.len());
}
