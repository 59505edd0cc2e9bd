//! The capture-file writers checked with Wireshark's own reader: every file is read back with
//! `tshark` and `capinfos` (TZ=UTC), and the frame count, lengths, timestamps, encapsulation and
//! every stored byte must be exactly what was written.
//!
//! Skips (with a note) when tshark/capinfos are not installed; the full-disk test also needs root
//! (it mounts a 64 KiB tmpfs).

use std::path::{Path, PathBuf};
use std::process::Command;

use ndisnpp::capfile::netmon2::Netmon2Writer;
use ndisnpp::capfile::{self, CaptureWriter, FileFormat, StreamInfo, Timestamp, WriteError};

extern "C" {
    fn tzset();
}

const ALL: [FileFormat; 3] = [FileFormat::Netmon2, FileFormat::Pcap, FileFormat::Pcapng];
const ETHERNET: StreamInfo = StreamInfo { linktype: 1, snaplen: 0 };

/// Writer and readers agree on the zone: Network Monitor files hold local time.
fn utc() {
    std::env::set_var("TZ", "UTC");
    // SAFETY: no arguments; re-reads TZ.
    unsafe { tzset() };
}

fn tools_present(test: &str) -> bool {
    let ok = |tool: &str| Command::new(tool).arg("-v").output().map(|o| o.status.success()).unwrap_or(false);
    if ok("tshark") && ok("capinfos") {
        return true;
    }
    missing(test, "tshark/capinfos not installed (apt-get install tshark)");
    false
}

/// A prerequisite of `test` is missing: the test fails, unless NDISNPP_ALLOW_SKIP=1 says that
/// skipping is wanted (then it says SKIPPED and passes). A run that cannot check something never
/// looks like one that checked it.
fn missing(test: &str, why: &str) {
    if std::env::var("NDISNPP_ALLOW_SKIP").is_ok_and(|v| v == "1") {
        println!("SKIPPED {test}: {why}");
    } else {
        panic!("{test}: {why}; set NDISNPP_ALLOW_SKIP=1 to skip the tests whose prerequisites are missing");
    }
}

/// A scratch directory, removed with everything in it when dropped.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("capfile-tshark-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted (and the directory removed) when
/// dropped, also when the test fails.
struct Tmpfs {
    dir: TempDir,
}
impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = TempDir::new("tmpfs");
        let out =
            Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "none"]).arg(&dir.0).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs { dir })
    }
    fn path(&self) -> &Path {
        &self.dir.0
    }
}
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir.0).status();
    }
}

/// One frame as given to a writer.
#[derive(Clone)]
struct Frame {
    ts: Timestamp,
    wire: u32,
    data: Vec<u8>,
}

fn ts(sec: i64, nsec: u32) -> Timestamp {
    Timestamp { sec, nsec }
}

/// Ethernet frame `len` bytes long: broadcast, source 02:00:00:00:nn:nn, EtherType 0x88B5 (local
/// experimental: tshark shows the rest as `data`), then a pattern depending on `n`.
fn eth_frame(n: u32, len: usize) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, (n >> 8) as u8, n as u8, 0x88, 0xb5]);
    let head = f.len();
    f.extend((0..len - head).map(|i| (n as usize * 7 + i) as u8));
    f
}

/// Linux cooked (SLL) frame: sent by us, ARPHRD_ETHER, 6-byte address, protocol 0x88B5.
fn sll_frame(n: u32, payload: usize) -> Vec<u8> {
    let mut f = vec![0, 4, 0, 1, 0, 6, 0x02, 0, 0, 0, (n >> 8) as u8, n as u8, 0, 0, 0x88, 0xb5];
    f.extend((0..payload).map(|i| (n as usize * 3 + i) as u8));
    f
}

/// IPv4 packet 10.0.0.1 → 10.0.0.2, protocol 253 (experimental: tshark shows `data`), with a
/// correct header checksum.
fn ipv4_packet(n: u32, payload: usize) -> Vec<u8> {
    let total = (20 + payload) as u16;
    let mut p = vec![0x45, 0, (total >> 8) as u8, total as u8, (n >> 8) as u8, n as u8, 0x40, 0, 64, 253, 0, 0];
    p.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    let sum: u32 = p.chunks(2).map(|w| u32::from(w[0]) << 8 | u32::from(w[1])).sum();
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p.extend((0..payload).map(|i| (n as usize + i) as u8));
    p
}

/// What tshark shows of one frame.
#[derive(Debug)]
struct Shown {
    number: u64,
    len: u32,
    cap_len: u32,
    epoch: String,
    encap: String,
    protocols: String,
    raw: Vec<u8>,
}

fn run(tool: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(tool).env("TZ", "UTC").args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr: Vec<&str> = stderr.lines().filter(|l| !l.contains("Running as user")).collect();
    assert!(out.status.success(), "{tool} {args:?} {}: {}\n{}", file.display(), out.status, stderr.join("\n"));
    assert!(stderr.is_empty(), "{tool} {args:?} {}: {}", file.display(), stderr.join("\n"));
    String::from_utf8(out.stdout).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Reads `file` with tshark: fields of every frame, and its bytes (`frame_raw` of `-T ek -x`).
fn tshark(file: &Path) -> Vec<Shown> {
    let fields = run(
        "tshark",
        &[
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.encap_type",
            "-e",
            "frame.protocols",
            "-r",
        ],
        file,
    );
    let ek = run("tshark", &["-T", "ek", "-x", "-r"], file);
    let raws: Vec<Vec<u8>> = ek
        .lines()
        .filter(|l| l.contains("\"layers\""))
        .map(|l| {
            let key = "\"frame_raw\":\"";
            let at = l.find(key).expect("frame_raw") + key.len();
            let end = at + l[at..].find('"').unwrap();
            unhex(&l[at..end])
        })
        .collect();
    let shown: Vec<Shown> = fields
        .lines()
        .zip(raws)
        .map(|(line, raw)| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "{line}");
            Shown {
                number: f[0].parse().unwrap(),
                len: f[1].parse().unwrap(),
                cap_len: f[2].parse().unwrap(),
                epoch: f[3].to_owned(),
                encap: f[4].to_owned(),
                protocols: f[5].to_owned(),
                raw,
            }
        })
        .collect();
    assert_eq!(shown.len(), fields.lines().count(), "one frame_raw per frame");
    shown
}

/// `capinfos -c -M`: the number of packets.
fn capinfos_count(file: &Path) -> u64 {
    let out = run("capinfos", &["-c", "-M"], file);
    let line = out.lines().find(|l| l.starts_with("Number of packets:")).expect(&out);
    line["Number of packets:".len()..].trim().parse().unwrap()
}

/// The time a reader gets back: exact for pcap/pcapng (ns); for Network Monitor the first frame's
/// time truncated to ms plus the offset rounded to the nearest µs.
fn expected_epoch(format: FileFormat, first: Timestamp, t: Timestamp) -> String {
    let ns = |t: Timestamp| i128::from(t.sec) * 1_000_000_000 + i128::from(t.nsec);
    let total = match format {
        FileFormat::Netmon2 => {
            let base = ns(first) - i128::from(first.nsec % 1_000_000);
            let off_us = (ns(t) - base + 500).div_euclid(1000).max(0);
            base + off_us * 1000
        }
        _ => ns(t),
    };
    format!("{}.{:09}", total.div_euclid(1_000_000_000), total.rem_euclid(1_000_000_000))
}

/// Checks that tshark and capinfos read exactly `frames` from `file`.
fn check(file: &Path, format: FileFormat, frames: &[Frame], encap: &str, protocols: &str) {
    let what = format!("{format:?} {}", file.display());
    assert_eq!(capinfos_count(file), frames.len() as u64, "{what}: capinfos count");
    let shown = tshark(file);
    assert_eq!(shown.len(), frames.len(), "{what}: tshark count");
    for (i, (s, f)) in shown.iter().zip(frames).enumerate() {
        assert_eq!(s.number, i as u64 + 1, "{what}");
        assert_eq!(s.len, f.wire, "{what}: frame {} frame.len", i + 1);
        assert_eq!(s.cap_len as usize, f.data.len(), "{what}: frame {} frame.cap_len", i + 1);
        assert_eq!(s.epoch, expected_epoch(format, frames[0].ts, f.ts), "{what}: frame {} time", i + 1);
        assert_eq!(s.encap, encap, "{what}: frame {} encapsulation", i + 1);
        assert_eq!(s.protocols, protocols, "{what}: frame {} protocols", i + 1);
        assert!(s.raw == f.data, "{what}: frame {} bytes differ:\n{:02x?}\n{:02x?}", i + 1, s.raw, f.data);
    }
}

/// Writes `frames` into a new file in `dir` and finishes it.
fn write(dir: &Path, format: FileFormat, info: StreamInfo, frames: &[Frame]) -> PathBuf {
    let (path, file) = capfile::create_unique(dir, format.extension()).unwrap();
    let mut w = capfile::writer(format, file, info).unwrap();
    for f in frames {
        w.write_frame(f.ts, f.wire, &f.data).unwrap();
    }
    assert_eq!(w.frames(), frames.len() as u64);
    w.finish().result.unwrap();
    path
}

/// Ethernet frames with sub-microsecond times (rounding down, up and across a second for
/// Network Monitor), a 60-byte frame, frames clipped 1514 → 128, a full 1514-byte frame.
fn sample_ethernet() -> Vec<Frame> {
    let big = |n| eth_frame(n, 1514);
    vec![
        Frame { ts: ts(1_700_000_000, 123_456_789), wire: 60, data: eth_frame(1, 60) },
        Frame { ts: ts(1_700_000_000, 123_706_001), wire: 98, data: eth_frame(2, 98) },
        Frame { ts: ts(1_700_000_001, 623_456_499), wire: 1514, data: big(3)[..128].to_vec() },
        Frame { ts: ts(1_700_000_001, 999_999_500), wire: 1514, data: big(4)[..128].to_vec() },
        Frame { ts: ts(1_700_000_002, 5), wire: 1514, data: big(5) },
        Frame { ts: ts(1_700_000_002, 5), wire: 64, data: eth_frame(6, 64) },
        Frame { ts: ts(1_700_003_600, 999_999_999), wire: 61, data: eth_frame(7, 61) },
    ]
}

#[test]
fn every_format_reads_back_exactly() {
    if !tools_present("every_format_reads_back_exactly") {
        return;
    }
    utc();
    let dir = TempDir::new("formats");
    let frames = sample_ethernet();
    for format in ALL {
        let path = write(&dir.0, format, ETHERNET, &frames);
        check(&path, format, &frames, "1", "eth:ethertype:data");
    }
    // The netmon2 file is version 2.0 with MacType 1, like Wireshark's own writer makes.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.iter().any(|p| std::fs::read(p).unwrap().starts_with(b"GMBU\x00\x02\x01\x00")));
}

#[test]
fn many_frames_across_buffer_flushes_read_back() {
    if !tools_present("many_frames_across_buffer_flushes_read_back") {
        return;
    }
    utc();
    let dir = TempDir::new("many");
    // About 2.9 MB: the writers' 1 MiB buffer is written several times.
    let frames: Vec<Frame> = (0..3000u32)
        .map(|i| {
            let len = 60 + (i as usize * 37) % 1455;
            let t = ts(1_700_000_000 + i64::from(i / 1000), (i % 1000) * 999_999 + i % 7);
            Frame { ts: t, wire: len as u32 + (i % 3) * 100, data: eth_frame(i, len) }
        })
        .collect();
    for format in ALL {
        let path = write(&dir.0, format, ETHERNET, &frames);
        check(&path, format, &frames, "1", "eth:ethertype:data");
    }
}

#[test]
fn linux_cooked_frames() {
    if !tools_present("linux_cooked_frames") {
        return;
    }
    utc();
    let dir = TempDir::new("sll");
    let frames: Vec<Frame> =
        (0..5u32).map(|i| Frame { ts: ts(1_700_000_000, 1000 * i + 17), wire: 16 + 50 + i, data: sll_frame(i, 50 + i as usize) }).collect();
    let info = StreamInfo { linktype: 113, snaplen: 0 };
    for format in ALL {
        let path = write(&dir.0, format, info, &frames);
        // WTAP_ENCAP_SLL = 25.
        check(&path, format, &frames, "25", "sll:ethertype:data");
        if format == FileFormat::Netmon2 {
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..8], b"GMBU\x01\x02\x01\x00", "version 2.1, MacType 1");
            let first_trailer = 128 + 16 + frames[0].data.len();
            assert_eq!(&bytes[first_trailer..first_trailer + 2], &[0x71, 0xE0], "media 0xE071");
        }
    }
}

#[test]
fn raw_ip_frames() {
    if !tools_present("raw_ip_frames") {
        return;
    }
    utc();
    let dir = TempDir::new("raw");
    let frames: Vec<Frame> =
        (0..4u32).map(|i| Frame { ts: ts(1_700_000_000 + i64::from(i), 999_000_000), wire: 20 + 30 + i, data: ipv4_packet(i, 30 + i as usize) }).collect();
    // LINKTYPE_RAW, and DLT_RAW as libpcap reports it on Linux.
    for linktype in [101, 12] {
        let info = StreamInfo { linktype, snaplen: 0 };
        for format in ALL {
            let path = write(&dir.0, format, info, &frames);
            // WTAP_ENCAP_RAW_IP = 7.
            check(&path, format, &frames, "7", "raw:ip:data");
            if format == FileFormat::Netmon2 {
                assert_eq!(&std::fs::read(&path).unwrap()[..8], b"GMBU\x01\x02\x01\x00", "version 2.1 (media type 9 per frame), MacType 1");
            }
        }
    }
}

/// Issue 18 items 7 and 8: the statistics frame at the end of a Network Monitor 2 file is read by
/// Wireshark as what it is (802.3 with LLC/SNAP), whatever the capture's link type (it carried the
/// capture's: "Bogus IP version" in a raw IP file, SLL in a cooked one), and it is stamped when the
/// capture ended on the frames' clock: frames from 2015 are not followed by a frame dated today.
#[test]
fn statistics_frame_is_ethernet_and_follows_the_frames() {
    if !tools_present("statistics_frame_is_ethernet_and_follows_the_frames") {
        return;
    }
    utc();
    let dir = TempDir::new("stats-frame");
    let t0 = 1_420_070_400; // 2015-01-01
    for (linktype, data, protocols) in
        [(1u32, eth_frame(0, 60), "eth:ethertype:data"), (101, ipv4_packet(0, 30), "raw:ip:data"), (113, sll_frame(0, 30), "sll:ethertype:data")]
    {
        let (path, file) = capfile::create_unique(&dir.0, "cap").unwrap();
        let mut w = capfile::writer(FileFormat::Netmon2, file, StreamInfo { linktype, snaplen: 0 }).unwrap();
        for i in 0..3 {
            w.write_frame(ts(t0 + i, 0), data.len() as u32, &data).unwrap();
        }
        let st = ndisnpp::types::STATISTICS { TotalFramesCaptured: 3, ..Default::default() };
        w.finish_with_statistics(Some(&st)).result.unwrap();
        let shown = tshark(&path);
        assert_eq!(shown.len(), 4, "LINKTYPE {linktype}");
        assert!(shown[..3].iter().all(|s| s.protocols == protocols), "LINKTYPE {linktype}: {:?}", shown[0].protocols);
        let stats = &shown[3];
        assert!(stats.protocols.starts_with("eth:llc"), "LINKTYPE {linktype}: the statistics frame reads as {}", stats.protocols);
        assert_eq!(stats.encap, "1", "LINKTYPE {linktype}: Ethernet");
        let sec: f64 = stats.epoch.parse().unwrap();
        assert!(sec >= (t0 + 2) as f64 && sec < (t0 + 2 + 60) as f64, "LINKTYPE {linktype}: the statistics frame at {sec}, the last frame at {}", t0 + 2);
    }
}

/// Issue 18 item 8: a DLT value as libpcap reports it is written as its LINKTYPE (ATM CLIP, DLT 19,
/// was written as LINKTYPE 19, which Wireshark happens to read too), and SunATM is refused for
/// Network Monitor 2, where Wireshark would read it as LANE.
#[test]
fn dlt_values_are_written_as_their_linktype() {
    if !tools_present("dlt_values_are_written_as_their_linktype") {
        return;
    }
    utc();
    let dir = TempDir::new("dlt");
    let packet = ipv4_packet(0, 30);
    let mut clip = vec![0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00];
    clip.extend_from_slice(&packet);
    for format in ALL {
        let frames = [Frame { ts: ts(1_700_000_000, 0), wire: clip.len() as u32, data: clip.clone() }];
        let path = write(&dir.0, format, StreamInfo { linktype: 19, snaplen: 0 }, &frames);
        // What Wireshark reads from LINKTYPE 106 (Linux ATM CLIP).
        let shown = tshark(&path);
        assert_eq!((shown.len(), shown[0].protocols.as_str()), (1, "clip:ip"), "{format:?}");
        let bytes = std::fs::read(&path).unwrap();
        let written = match format {
            FileFormat::Netmon2 => u32::from(u16::from_le_bytes([bytes[bytes.len() - 6], bytes[bytes.len() - 5]])) & 0xFFF,
            FileFormat::Pcap => u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
            FileFormat::Pcapng => u32::from(u16::from_le_bytes([bytes[36], bytes[37]])),
        };
        assert_eq!(written, 106, "{format:?}: the LINKTYPE in the file");
    }
    let (path, file) = capfile::create_unique(&dir.0, "cap").unwrap();
    let err = capfile::writer(FileFormat::Netmon2, file, StreamInfo { linktype: 123, snaplen: 0 }).err().expect("SunATM refused");
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("LINKTYPE 123"), "{err}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn snaplen_clips_pcap_and_pcapng() {
    if !tools_present("snaplen_clips_pcap_and_pcapng") {
        return;
    }
    utc();
    let dir = TempDir::new("snap");
    let full = eth_frame(9, 1514);
    let given = [Frame { ts: ts(1_700_000_000, 1), wire: 1514, data: full.clone() }];
    let stored = [Frame { data: full[..96].to_vec(), ..given[0].clone() }];
    for format in [FileFormat::Pcap, FileFormat::Pcapng] {
        let path = write(&dir.0, format, StreamInfo { linktype: 1, snaplen: 96 }, &given);
        check(&path, format, &stored, "1", "eth:ethertype:data");
    }
}

#[test]
fn netmon2_file_limit() {
    if !tools_present("netmon2_file_limit") {
        return;
    }
    utc();
    let dir = TempDir::new("limit");
    let (path, file) = capfile::create_unique(&dir.0, "cap").unwrap();
    let limit = 8192;
    let mut w = Netmon2Writer::with_limit(file, ETHERNET, limit).unwrap();
    let mut written = Vec::new();
    for i in 0..1000u32 {
        let f = Frame { ts: ts(1_700_000_000, i * 1000), wire: 1514, data: eth_frame(i, 60 + i as usize * 13 % 300) };
        match w.write_frame(f.ts, f.wire, &f.data) {
            Ok(()) => written.push(f),
            Err(WriteError::FileLimit) => break,
            Err(WriteError::Io(e)) => panic!("{e}"),
        }
    }
    assert!(written.len() > 10 && written.len() < 1000, "{}", written.len());
    assert_eq!(w.frames(), written.len() as u64);
    Box::new(w).finish().result.unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= limit, "{size}");
    // The refused frame would not have fit: header + records + table of one more entry.
    let refused = 60 + written.len() * 13 % 300;
    assert!(size + 16 + refused as u64 + 4 > limit, "{size}");
    check(&path, FileFormat::Netmon2, &written, "1", "eth:ethertype:data");
}

fn is_root() -> bool {
    // SAFETY: no arguments.
    unsafe { libc::geteuid() == 0 }
}

/// Mounts a 64 KiB tmpfs, or prints why the test is skipped.
fn small_disk(test: &str) -> Option<Tmpfs> {
    if !tools_present(test) {
        return None;
    }
    if !is_root() {
        missing(test, "needs root to mount a small tmpfs");
        return None;
    }
    match Tmpfs::mount("64k") {
        Ok(t) => Some(t),
        Err(e) => {
            missing(test, &format!("cannot mount a tmpfs: {e}"));
            None
        }
    }
}

/// `count` Ethernet frames of `len` bytes, 10 ms apart.
fn frames_for_disk(count: u32, len: usize) -> Vec<Frame> {
    (0..count).map(|i| Frame { ts: ts(1_700_000_000, i * 10_000 + 123), wire: len as u32 + 10, data: eth_frame(i, len) }).collect()
}

/// The disk fills while frames are written: the write that fails returns `Io`, the file is cut
/// back to its last whole frame, `frames()` tells how many it holds, and after `finish` tshark
/// reads exactly those.
#[test]
fn full_disk_while_writing() {
    let Some(disk) = small_disk("full_disk_while_writing") else { return };
    utc();
    let frames = frames_for_disk(2000, 1000); // ~2 MB: the buffer is written when 1 MiB is full
    for format in ALL {
        let (path, file) = capfile::create_unique(disk.path(), format.extension()).unwrap();
        let mut w = capfile::writer(format, file, ETHERNET).unwrap();
        let mut accepted = 0;
        let err = frames.iter().find_map(|f| match w.write_frame(f.ts, f.wire, &f.data) {
            Ok(()) => {
                accepted += 1;
                None
            }
            Err(e) => Some(e),
        });
        let Some(WriteError::Io(e)) = err else { panic!("{format:?}: no Io error, {accepted} frames accepted") };
        let kept = w.frames() as usize;
        println!("{format:?}: {e}; {accepted} frames accepted, {kept} in the file");
        assert!(kept > 0 && kept <= accepted, "{format:?}: {kept} of {accepted}");
        assert!(matches!(w.write_frame(frames[0].ts, 60, &frames[0].data), Err(WriteError::Io(_))), "{format:?}: no frame is accepted after an error");
        assert_eq!(w.frames() as usize, kept);
        assert_eq!(w.bytes(), kept as u64 * 1000, "{format:?}: stored bytes of the frames in the file");
        w.finish().result.unwrap();
        check(&path, format, &frames[..kept], "1", "eth:ethertype:data");
        std::fs::remove_file(&path).unwrap();
    }
}

/// The disk fills only when `finish` writes the buffer: `finish` fails, but the file still reads
/// with the frames that fit.
#[test]
fn full_disk_at_finish() {
    let Some(disk) = small_disk("full_disk_at_finish") else { return };
    utc();
    let frames = frames_for_disk(100, 1000); // ~100 KB: stays in the buffer until finish
    for format in ALL {
        let (path, file) = capfile::create_unique(disk.path(), format.extension()).unwrap();
        let mut w = capfile::writer(format, file, ETHERNET).unwrap();
        for f in &frames {
            w.write_frame(f.ts, f.wire, &f.data).unwrap();
        }
        let capfile::Finished { frames: reported, bytes, result: r } = w.finish();
        let e = r.expect_err("the disk is too small");
        let kept = capinfos_count(&path) as usize;
        assert_eq!(reported, kept as u64, "{format:?}: finish reports the frames in the file");
        assert_eq!(bytes, kept as u64 * 1000, "{format:?}: and their stored bytes");
        println!("{format:?}: finish: {e}; {kept} of {} frames in the file", frames.len());
        assert!(kept > 0 && kept < frames.len(), "{format:?}: {kept}");
        check(&path, format, &frames[..kept], "1", "eth:ethertype:data");
        std::fs::remove_file(&path).unwrap();
    }
}

/// The records fill the disk exactly, so the Network Monitor frame table does not fit: `finish`
/// drops frames from the end until it does, and the file still reads.
#[test]
fn netmon2_table_that_does_not_fit() {
    let Some(disk) = small_disk("netmon2_table_that_does_not_fit") else { return };
    utc();
    // 128-byte header + 64 records of 16 + 1006 bytes = 65536 bytes: the whole tmpfs.
    let frames = frames_for_disk(64, 1006);
    let (path, file) = capfile::create_unique(disk.path(), "cap").unwrap();
    let mut w = capfile::writer(FileFormat::Netmon2, file, ETHERNET).unwrap();
    for f in &frames {
        w.write_frame(f.ts, f.wire, &f.data).unwrap();
    }
    let capfile::Finished { frames: reported, bytes, result: r } = w.finish();
    let e = r.expect_err("the table cannot fit");
    let kept = capinfos_count(&path) as usize;
    assert_eq!(reported, kept as u64, "finish reports the frames in the file");
    assert_eq!(bytes, kept as u64 * 1006, "and their stored bytes");
    println!("Netmon2: finish: {e}; {kept} of {} frames in the file", frames.len());
    assert!(kept > 0 && kept < frames.len(), "{kept}");
    check(&path, FileFormat::Netmon2, &frames[..kept], "1", "eth:ethertype:data");
}
