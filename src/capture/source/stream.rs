//! The replay NIC on a stream: a pcap or pcapng capture arriving on a descriptor (standard input,
//! `NPP:Location:ReplayFile` = `-`), read as it comes, unpaced. Nothing is ever sought: the
//! format is told from the first four bytes, and every record is parsed from a buffer filled by
//! `poll` + `read`, so a reader that has to wait for the writer waits at most `POLL_TIMEOUT_MS`
//! per `next` call (Stop and Pause are seen as with any source).
//!
//! * pcap: either byte order, microsecond or nanosecond timestamps, version 2.x; a record longer
//!   than the file's snap length is cut to it (as libpcap does); a record of more than 262144
//!   bytes is damage.
//! * pcapng: sections (SHB, either byte order), interfaces (IDB with `if_tsresol` and
//!   `if_tsoffset`), Enhanced, Simple and (obsolete) Packet blocks; every other block is skipped.
//!   All packets must have the link type of the first interface (one capture has one link type).
//!   The blocks are parsed by the pcapng stream reader's parser (`capfile::pcapng_stream::Blocks`,
//!   which the remote source uses too); this source keeps its own buffer.
//! * The end of the input between two records is the end of the capture's frames: the source is
//!   then quiet until Stop, or with `NPP:Config:ReplayEndAtEof` it reports `Next::End`. The end
//!   inside a record is damage (`Next::Corrupt`, "cut short").

use super::*;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// How long `StreamReplay::open` (in Start) waits for the capture header to arrive.
pub const STREAM_HEADER_WAIT: Duration = Duration::from_secs(10);
/// Bytes asked for per `read`.
const READ_SIZE: usize = 1 << 20;

use crate::capfile::pcapng::SHB_TYPE as SHB;
use crate::capfile::pcapng_stream::{Blocks, Raw, Step};

enum Format {
    /// `swapped`: big-endian fields.
    Classic { swapped: bool, nanos: bool, snaplen: u32 },
    /// The blocks parsed by the pcapng stream reader's parser (`capfile::pcapng_stream`), and
    /// the link type of each interface of the section.
    Pcapng { blocks: Blocks, linktypes: Vec<u32> },
}

/// What the buffered bytes hold next.
enum Parsed {
    /// A frame: its time, length on the wire and where its bytes are in the buffer.
    Frame(Timestamp, u32, usize, usize),
    /// A block that is not a packet was taken in (pcapng).
    Skipped,
    /// At least this many unread bytes are needed.
    Need(usize),
    Bad(String),
}

/// What filling the buffer gave.
enum Got {
    Ready,
    Eof,
    /// Nothing more arrived within the time allowed.
    Wait,
}

/// A replay of the capture that arrives on a descriptor (see the module documentation).
pub struct StreamReplay {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    format: Format,
    linktype: u32,
    end_at_eof: bool,
    /// `linktype` is the first interface's (pcapng; pcap: from the header).
    named: bool,
    /// The end (or damage) was reported: nothing more comes.
    done: bool,
    records: u64,
}

fn u16_at(b: &[u8], at: usize, swapped: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if swapped {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

fn u32_at(b: &[u8], at: usize, swapped: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if swapped {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

const STDIN_NAME: &str = "standard input";

fn name_of(fd: i32) -> String {
    if fd == 0 {
        STDIN_NAME.to_string()
    } else {
        format!("descriptor {fd}")
    }
}

impl StreamReplay {
    /// Connect's check: `fd` is open for reading (nothing is read).
    pub fn check(fd: i32) -> Result<(), OpenError> {
        // SAFETY: fcntl on a descriptor number, no memory involved (a closed one answers EBADF).
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 {
            return Err(OpenError::FileNotFound(format!("{}: {}", name_of(fd), std::io::Error::last_os_error())));
        }
        if flags & libc::O_ACCMODE == libc::O_WRONLY {
            return Err(OpenError::Other(format!("{}: not open for reading", name_of(fd))));
        }
        Ok(())
    }

    /// Start: takes a duplicate of `fd` (F_DUPFD_CLOEXEC, owned by the source) and reads the
    /// capture's header from it, waiting at most `STREAM_HEADER_WAIT` for it to arrive.
    /// `end_at_eof`: `NPP:Config:ReplayEndAtEof`.
    pub fn open(fd: i32, end_at_eof: bool) -> Result<StreamReplay, OpenError> {
        Self::check(fd)?;
        // SAFETY: as in `check`; the descriptor returned is new and ours.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(OpenError::Other(format!("{}: {}", name_of(fd), std::io::Error::last_os_error())));
        }
        // SAFETY: `dup` was just made and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(dup) };
        Self::from_fd(owned, &name_of(fd), end_at_eof, STREAM_HEADER_WAIT)
    }

    fn from_fd(fd: OwnedFd, name: &str, end_at_eof: bool, wait: Duration) -> Result<StreamReplay, OpenError> {
        let mut s = StreamReplay {
            fd,
            buf: vec![0; READ_SIZE],
            start: 0,
            end: 0,
            eof: false,
            format: Format::Pcapng { blocks: Blocks::without_statistics(), linktypes: Vec::new() },
            linktype: 0,
            end_at_eof,
            named: false,
            done: false,
            records: 0,
        };
        let deadline = Instant::now() + wait;
        let bad = |m: String| OpenError::BadFile(format!("{name}: {m}"));
        let need = |s: &mut StreamReplay, n: usize| -> Result<(), OpenError> {
            match s.fill(n, Some(deadline)).map_err(|e| OpenError::Other(format!("{name}: {e}")))? {
                Got::Ready => Ok(()),
                Got::Eof if s.end == s.start => Err(bad("empty: no pcap or pcapng capture arrived".into())),
                Got::Eof => Err(bad("ends inside the capture header".into())),
                Got::Wait => Err(bad(format!("no pcap or pcapng header arrived within {} s", wait.as_secs()))),
            }
        };
        need(&mut s, 4)?;
        let magic = [s.buf[s.start], s.buf[s.start + 1], s.buf[s.start + 2], s.buf[s.start + 3]];
        if let Some((swapped, nanos)) = classic_pcap_magic(magic) {
            need(&mut s, 24)?;
            let h = &s.buf[s.start..s.start + 24];
            if u16_at(h, 4, swapped) != 2 {
                return Err(bad(format!("pcap version {}.{} (only 2.x is read)", u16_at(h, 4, swapped), u16_at(h, 6, swapped))));
            }
            let snaplen = u32_at(h, 16, swapped);
            let snaplen = if snaplen == 0 || snaplen > MAX_RECORD { MAX_RECORD } else { snaplen };
            s.linktype = u32_at(h, 20, swapped) & 0xFFFF;
            s.format = Format::Classic { swapped, nanos, snaplen };
            s.start += 24;
            return Ok(s);
        }
        if u32::from_le_bytes(magic) != SHB {
            return Err(bad(format!("not a pcap or pcapng capture (it starts with {:02x} {:02x} {:02x} {:02x})", magic[0], magic[1], magic[2], magic[3])));
        }
        // pcapng: the blocks up to the first interface description (which names the link type).
        loop {
            if matches!(&s.format, Format::Pcapng { linktypes, .. } if !linktypes.is_empty()) {
                return Ok(s);
            }
            match s.parse() {
                Parsed::Skipped => {}
                Parsed::Need(n) => need(&mut s, n)?,
                Parsed::Bad(m) => return Err(bad(m)),
                Parsed::Frame(..) => return Err(bad("a packet before any interface description".into())),
            }
        }
    }

    /// Makes `n` unread bytes available, reading what has arrived; waits for more until
    /// `deadline` (None: not at all).
    fn fill(&mut self, n: usize, deadline: Option<Instant>) -> std::io::Result<Got> {
        loop {
            if self.end - self.start >= n {
                return Ok(Got::Ready);
            }
            if self.eof {
                return Ok(Got::Eof);
            }
            if self.buf.len() - self.start < n || self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < n {
                    self.buf.resize(n, 0);
                }
            }
            let timeout = match deadline {
                None => 0,
                Some(d) => d.saturating_duration_since(Instant::now()).as_millis().min(i32::MAX as u128) as i32,
            };
            let mut p = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one pollfd of our own.
            let r = unsafe { libc::poll(&mut p, 1, timeout) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if r == 0 {
                return Ok(Got::Wait);
            }
            let room = (self.buf.len() - self.end).min(READ_SIZE);
            // SAFETY: reads into the unused tail of our buffer (`room` bytes from `end`).
            let k = unsafe { libc::read(self.fd.as_raw_fd(), self.buf[self.end..].as_mut_ptr().cast(), room) };
            if k < 0 {
                let e = std::io::Error::last_os_error();
                if matches!(e.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock) {
                    continue;
                }
                return Err(e);
            }
            if k == 0 {
                self.eof = true;
            }
            self.end += k as usize;
        }
    }

    /// The next record or block in the buffered bytes (no I/O).
    fn parse(&mut self) -> Parsed {
        let avail = self.end - self.start;
        let at = self.start;
        match &mut self.format {
            Format::Classic { swapped, nanos, snaplen } => {
                if avail < 16 {
                    return Parsed::Need(16);
                }
                let b = &self.buf[at..];
                let (sec, frac, caplen, wire) = (u32_at(b, 0, *swapped), u32_at(b, 4, *swapped), u32_at(b, 8, *swapped), u32_at(b, 12, *swapped));
                if caplen > MAX_RECORD {
                    return Parsed::Bad(format!("a record of {caplen} bytes (more than {MAX_RECORD})"));
                }
                let total = 16 + caplen as usize;
                if avail < total {
                    return Parsed::Need(total);
                }
                self.start += total;
                let ns = i64::from(frac) * if *nanos { 1 } else { 1000 };
                let kept = caplen.min(*snaplen) as usize;
                Parsed::Frame(replay::timestamp(i64::from(sec), ns), wire, at + 16, at + 16 + kept)
            }
            Format::Pcapng { blocks, linktypes } => {
                let (len, raw) = match blocks.next(&self.buf[at..self.end]) {
                    Err(m) => return Parsed::Bad(m),
                    Ok(Step::Need(n)) => return Parsed::Need(n),
                    Ok(Step::Block { len, raw }) => (len, raw),
                };
                self.start += len;
                match raw {
                    Some(Raw::Interface { index, linktype, .. }) => {
                        // A new section numbers its interfaces from 0 again.
                        if index == 0 {
                            linktypes.clear();
                        }
                        linktypes.push(u32::from(linktype));
                        if !self.named {
                            self.named = true;
                            self.linktype = u32::from(linktype);
                        }
                        Parsed::Skipped
                    }
                    Some(Raw::Frame { interface, ts, wire_len, data }) => match linktypes.get(interface as usize) {
                        Some(&l) if l == self.linktype => Parsed::Frame(ts, wire_len, at + data.start, at + data.end),
                        Some(&l) => Parsed::Bad(format!(
                            "interface {interface} has link type {l}, the capture's first interface {}: one capture holds one link type",
                            self.linktype
                        )),
                        None => Parsed::Bad(format!("a packet of interface {interface}, which no interface description names")),
                    },
                    Some(Raw::Stats { .. }) | None => Parsed::Skipped,
                }
            }
        }
    }

    /// The end of the input, reached between two records (`clean`) or inside one.
    fn at_end(&mut self, clean: bool) -> Next<'static> {
        self.done = true;
        if !clean {
            let m = format!("truncated: the input ended inside a record ({} bytes of it arrived)", self.end - self.start);
            return Next::Corrupt(replay::replay_damage(m, self.records));
        }
        if self.end_at_eof {
            Next::End
        } else {
            Next::Idle
        }
    }
}

impl Source for StreamReplay {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        if self.done {
            return if self.end_at_eof { Next::End } else { quiet(before_wait) };
        }
        let (ts, wire, a, b) = loop {
            match self.parse() {
                Parsed::Frame(ts, wire, a, b) => break (ts, wire, a, b),
                Parsed::Skipped => {}
                Parsed::Bad(m) => {
                    self.done = true;
                    return Next::Corrupt(replay::replay_damage(m, self.records));
                }
                Parsed::Need(n) => {
                    let got = match self.fill(n, None) {
                        Ok(Got::Wait) => {
                            // Nothing buffered: the capture publishes its counts (and flushes
                            // its file), then the wait is one poll timeout at most.
                            if before_wait() {
                                return Next::Idle;
                            }
                            self.fill(n, Some(Instant::now() + Duration::from_millis(POLL_TIMEOUT_MS as u64)))
                        }
                        other => other,
                    };
                    match got {
                        Ok(Got::Ready) => {}
                        Ok(Got::Wait) => return Next::Idle,
                        Ok(Got::Eof) => {
                            let clean = self.end == self.start;
                            return self.at_end(clean);
                        }
                        Err(e) => {
                            self.done = true;
                            return Next::Corrupt(replay::replay_damage(format!("reading failed: {e}"), self.records));
                        }
                    }
                }
            }
        };
        self.records += 1;
        Next::Frame(Frame { ts, wire_len: wire, data: &self.buf[a..b] })
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        None
    }

    fn can_wait(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{writer, FileFormat, StreamInfo};

    /// Frames as (timestamp, length on the wire, stored bytes).
    type Frames = Vec<(Timestamp, u32, Vec<u8>)>;

    fn sample() -> Frames {
        (0..300u32)
            .map(|i| {
                let len = [60usize, 1514, 0, 9000, 77][i as usize % 5];
                let data: Vec<u8> = (0..len).map(|k| (k as u32 ^ i) as u8).collect();
                (Timestamp { sec: 1_700_000_000 + i64::from(i), nsec: i * 1000 + 7 }, len as u32 + (i % 2) * 4, data)
            })
            .collect()
    }

    /// The bytes of a capture of `frames` in `format`, as the library writes it.
    fn file_bytes(format: FileFormat, frames: &Frames) -> Vec<u8> {
        let (path, file) = crate::capfile::create_unique(&std::env::temp_dir(), "pcap").unwrap();
        let mut w = writer(format, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for (ts, wire, data) in frames {
            w.write_frame(*ts, *wire, data).unwrap();
        }
        w.finish().result.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    /// A pipe whose read end is the returned descriptor; `bytes` are written to it in pieces of
    /// `piece` bytes by a thread (then the write end is closed unless `keep_open`).
    fn piped(bytes: Vec<u8>, piece: usize) -> OwnedFd {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two new descriptors, ours.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both are ours.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) };
        std::thread::spawn(move || {
            use std::io::Write;
            let mut w = w;
            for c in bytes.chunks(piece.max(1)) {
                if w.write_all(c).is_err() {
                    return;
                }
            }
        });
        r
    }

    fn drain(mut s: StreamReplay) -> (Frames, Next<'static>) {
        let mut out = Vec::new();
        loop {
            match s.next(&mut || false) {
                Next::Frame(f) => out.push((f.ts, f.wire_len, f.data.to_vec())),
                Next::Idle => continue,
                Next::End => return (out, Next::End),
                Next::Corrupt(m) => return (out, Next::Corrupt(m)),
                Next::Failed(m) => panic!("{m}"),
                Next::Link(_) => panic!("link"),
                Next::Lost(m) => panic!("lost {m}"),
            }
        }
    }

    #[test]
    fn pcap_and_pcapng_through_a_pipe_give_every_frame() {
        let frames = sample();
        for format in [FileFormat::Pcap, FileFormat::Pcapng] {
            for piece in [1usize << 20, 4093, 7] {
                let bytes = file_bytes(format, &frames);
                let s = StreamReplay::from_fd(piped(bytes, piece), "test", true, Duration::from_secs(5)).unwrap();
                assert_eq!(s.linktype(), 1);
                let (got, end) = drain(s);
                assert!(matches!(end, Next::End), "{format:?} {piece}");
                assert_eq!(got, frames, "{format:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn damage_empty_and_foreign_input() {
        let frames = sample();
        let mut bytes = file_bytes(FileFormat::Pcapng, &frames);
        bytes.truncate(bytes.len() - 10);
        let (got, end) = drain(StreamReplay::from_fd(piped(bytes, 1000), "t", true, Duration::from_secs(5)).unwrap());
        assert_eq!(got.len(), frames.len() - 1);
        assert!(
            matches!(end, Next::Corrupt(ref m) if m.contains("cut short after 299 whole records")),
            "{}",
            match end {
                Next::Corrupt(m) => m,
                _ => String::new(),
            }
        );
        let err = |b: Vec<u8>| match StreamReplay::from_fd(piped(b, 100), "t", true, Duration::from_millis(300)) {
            Err(OpenError::BadFile(m)) => m,
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("opened"),
        };
        assert!(err(Vec::new()).contains("empty"));
        assert!(err(b"GIF89a and more".to_vec()).contains("not a pcap or pcapng capture"));
        assert!(err(file_bytes(FileFormat::Pcap, &frames)[..20].to_vec()).contains("ends inside the capture header"));
    }

    /// Without ReplayEndAtEof the end of the input is quiet (Idle), as a network.
    #[test]
    fn quiet_at_the_end_unless_asked_to_end() {
        let frames = sample();
        let mut s = StreamReplay::from_fd(piped(file_bytes(FileFormat::Pcap, &frames), 1 << 16), "t", false, Duration::from_secs(5)).unwrap();
        let mut n = 0;
        let mut idle_after = 0;
        while idle_after < 3 {
            match s.next(&mut || false) {
                Next::Frame(_) => n += 1,
                Next::Idle if n == frames.len() => idle_after += 1,
                Next::Idle => {}
                _ => panic!("only frames and Idle"),
            }
        }
        assert_eq!(n, frames.len());
    }

    /// One pcapng block (little-endian) of type `kind` with body `body` (padded to 4 bytes).
    fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        body.resize(body.len().div_ceil(4) * 4, 0);
        let len = (body.len() + 12) as u32;
        [&kind.to_le_bytes()[..], &len.to_le_bytes(), &body, &len.to_le_bytes()].concat()
    }

    /// The obsolete Packet Block and a second section are read; Interface Statistics blocks are
    /// skipped unread (as libpcap does), even one of an undeclared interface; a packet of an
    /// interface whose link type is not the first interface's is damage, after the frames
    /// before it.
    #[test]
    fn packet_blocks_sections_and_one_link_type() {
        let shb = ng_block(0x0A0D_0D0A, &[&0x1A2B_3C4Du32.to_le_bytes()[..], &1u16.to_le_bytes(), &0u16.to_le_bytes(), &u64::MAX.to_le_bytes()].concat());
        let idb = |linktype: u16| ng_block(1, &[&linktype.to_le_bytes()[..], &[0, 0], &0u32.to_le_bytes()].concat());
        // Time 1.5 s in microseconds; 4 bytes stored of 6 on the wire.
        let packet = |kind: u32, iface: u32| {
            let id = if kind == 2 { [&(iface as u16).to_le_bytes()[..], &[0, 0]].concat() } else { iface.to_le_bytes().to_vec() };
            ng_block(kind, &[&id[..], &0u32.to_le_bytes(), &1_500_000u32.to_le_bytes(), &4u32.to_le_bytes(), &6u32.to_le_bytes(), &[9, 8, 7, 6]].concat())
        };
        let frame = (Timestamp { sec: 1, nsec: 500_000_000 }, 6, vec![9, 8, 7, 6]);
        let stats_of_7 = ng_block(5, &[&7u32.to_le_bytes()[..], &[0; 8]].concat());
        let good = [shb.clone(), idb(1), packet(2, 0), packet(6, 0), stats_of_7, shb.clone(), idb(1), packet(2, 0)].concat();
        let (got, end) = drain(StreamReplay::from_fd(piped(good.clone(), 5), "t", true, Duration::from_secs(5)).unwrap());
        assert!(matches!(end, Next::End));
        assert_eq!(got, vec![frame.clone(); 3]);
        let mixed = [good, idb(101), packet(6, 1), packet(6, 0)].concat();
        let (got, end) = drain(StreamReplay::from_fd(piped(mixed, 5), "t", true, Duration::from_secs(5)).unwrap());
        assert_eq!(got, vec![frame; 3]);
        match end {
            Next::Corrupt(m) => assert!(m.contains("one capture holds one link type"), "{m}"),
            _ => panic!("a packet of another link type is damage"),
        }
    }
}
