//! A pcapng reader for a stream that arrives in pieces (a remote capture's output over ssh, a
//! replay from standard input): the caller appends what it read ([`StreamReader::space`],
//! [`StreamReader::commit`]) and takes whole blocks ([`StreamReader::next_item`]); nothing is
//! ever sought. [`Blocks`] is the parser alone, for a reader that keeps its own buffer.
//!
//! Blocks read: Section Header (either byte order; a new section resets the interfaces),
//! Interface Description (link type, snap length, `if_tsresol`, `if_tsoffset`), Enhanced
//! Packet, Simple Packet, (obsolete) Packet, Interface Statistics (`isb_ifrecv`, `isb_ifdrop`;
//! skipped by [`Blocks::without_statistics`]); other block types are skipped. A block is at most
//! [`MAX_BLOCK`] bytes; anything malformed (a first block that is not a section header, a length
//! that is not a multiple of 4 or disagrees with its copy at the end, a packet of an undeclared
//! interface or longer than its block) is an error, after which the reader returns nothing more.

use super::Timestamp;

/// The largest block accepted, in bytes (a 256 KiB frame and its headers fit many times over).
pub(crate) const MAX_BLOCK: usize = 16 << 20;

use super::pcapng::{BYTE_ORDER_MAGIC as MAGIC, EPB_TYPE as EPB, IDB_TYPE as IDB, IF_TSRESOL, SHB_TYPE as SHB};
const OPB: u32 = 2;
const SPB: u32 = 3;
const ISB: u32 = 5;
const IF_TSOFFSET: u16 = 14;
const ISB_IFRECV: u16 = 4;
const ISB_IFDROP: u16 = 5;

/// What a block said.
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// An interface was declared (index in its section, link type, snap length; 0 = none).
    Interface { index: u32, linktype: u16, snaplen: u32 },
    /// A frame of interface `interface`.
    Frame { interface: u32, ts: Timestamp, wire_len: u32, data: &'a [u8] },
    /// An interface's counters (either may be missing).
    Stats { interface: u32, received: Option<u64>, dropped: Option<u64> },
}

#[derive(Clone, Copy, Debug)]
struct Iface {
    /// Timestamp units per second.
    units: u64,
    offset: i64,
    snaplen: u32,
}

/// See the module's documentation.
pub struct StreamReader {
    buf: Vec<u8>,
    /// Where the next block starts in `buf`.
    at: usize,
    blocks: Blocks,
    failed: bool,
}

/// The pcapng parser: the state a stream's blocks build up (byte order, section, interfaces),
/// fed the unread bytes of a buffer its caller keeps ([`Blocks::next`]).
pub struct Blocks {
    big_endian: bool,
    in_section: bool,
    ifaces: Vec<Iface>,
    /// Interface Statistics blocks are read (and checked); else skipped unread, as libpcap does.
    statistics: bool,
}

impl Default for Blocks {
    fn default() -> Self {
        Blocks { big_endian: false, in_section: false, ifaces: Vec::new(), statistics: true }
    }
}

/// What [`Blocks::next`] found at the start of the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A whole block needs at least this many bytes; fewer were given.
    Need(usize),
    /// A whole block of `len` bytes, and what it said (None: nothing for the caller); a frame's
    /// range is within the bytes given.
    Block { len: usize, raw: Option<Raw> },
}

impl Default for StreamReader {
    fn default() -> Self {
        StreamReader::new()
    }
}

impl StreamReader {
    pub fn new() -> StreamReader {
        StreamReader { buf: Vec::new(), at: 0, blocks: Blocks::default(), failed: false }
    }

    /// Room for at least `want` more bytes at the end of the buffer, to read into; then
    /// [`commit`](Self::commit) how many were read.
    pub fn space(&mut self, want: usize) -> &mut [u8] {
        if self.at > 0 && self.at >= self.buf.len() / 2 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + want, 0);
        &mut self.buf[len..]
    }

    /// `n` bytes of the last [`space`](Self::space) hold data (the rest is given back).
    pub fn commit(&mut self, n: usize, asked: usize) {
        let len = self.buf.len() - asked + n.min(asked);
        self.buf.truncate(len);
    }

    /// Appends `bytes` (a convenience over space/commit).
    pub fn feed(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        self.space(n).copy_from_slice(bytes);
    }

    /// Bytes received but not yet taken as whole blocks.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.at
    }

    /// True once a section header was read.
    pub fn started(&self) -> bool {
        self.blocks.in_section
    }

    /// The next item of a whole block, None when more bytes are needed (or after an error).
    pub fn next_item(&mut self) -> Result<Option<Item<'_>>, String> {
        Ok(self.next_raw()?.map(|raw| raw.into_item(&self.buf)))
    }

    /// As [`next_item`](Self::next_item), with a frame's bytes as a range for
    /// [`bytes`](Self::bytes) (valid until the reader is given more bytes or read on).
    pub fn next_raw(&mut self) -> Result<Option<Raw>, String> {
        while !self.failed {
            match self.blocks.next(&self.buf[self.at..]) {
                Ok(Step::Need(_)) => return Ok(None),
                Ok(Step::Block { len, raw }) => {
                    let start = self.at;
                    self.at += len;
                    if let Some(raw) = raw {
                        return Ok(Some(raw.moved(start)));
                    }
                }
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
        Ok(None)
    }

    /// The bytes of a frame `next_raw` returned.
    pub fn bytes(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.buf[range]
    }
}

impl Blocks {
    /// The block at the start of `b` (the caller's unread bytes): how many bytes it needs, or
    /// its length and item, after checking its framing; updates the section's state for section
    /// and interface blocks. After an error the caller reads no further.
    pub fn next(&mut self, b: &[u8]) -> Result<Step, String> {
        let Some((len, kind)) = self.block(b)? else {
            return Ok(Step::Need(if b.len() < 12 { 12 } else { self.u32_at(b, 4) as usize }));
        };
        let raw = self.item(&b[..len], kind)?;
        Ok(Step::Block { len, raw })
    }

    /// A parser that skips Interface Statistics blocks unread (a replay, which has no use for
    /// them, reads what libpcap reads).
    pub fn without_statistics() -> Blocks {
        Blocks { statistics: false, ..Blocks::default() }
    }

    fn u16_at(&self, b: &[u8], i: usize) -> u16 {
        let v = [b[i], b[i + 1]];
        if self.big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        }
    }

    fn u32_at(&self, b: &[u8], i: usize) -> u32 {
        let v = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if self.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }

    fn u64_at(&self, b: &[u8], i: usize) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[i..i + 8]);
        if self.big_endian {
            u64::from_be_bytes(v)
        } else {
            u64::from_le_bytes(v)
        }
    }

    /// The whole block at the start of `b`: (length, type), after checking its framing; None
    /// when `b` does not hold all of it.
    fn block(&mut self, b: &[u8]) -> Result<Option<(usize, u32)>, String> {
        if b.len() < 12 {
            return Ok(None);
        }
        let raw_type = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if raw_type == SHB {
            let magic = [b[8], b[9], b[10], b[11]];
            self.big_endian = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
                (MAGIC, _) => false,
                (_, MAGIC) => true,
                _ => return Err("a section header without the byte-order magic".into()),
            };
        } else if !self.in_section {
            return Err("the stream does not start with a pcapng section header".into());
        }
        let kind = self.u32_at(b, 0);
        let len = self.u32_at(b, 4) as usize;
        if len < 12 || len % 4 != 0 || len > MAX_BLOCK {
            return Err(format!("a block of type {kind:#x} has length {len} (a multiple of 4, 12 to {MAX_BLOCK})"));
        }
        if b.len() < len {
            return Ok(None);
        }
        if self.u32_at(b, len - 4) as usize != len {
            return Err(format!("a block of type {kind:#x}: its two lengths differ"));
        }
        Ok(Some((len, kind)))
    }

    /// The item of the whole block `block` (None for blocks that carry none; a frame's range is
    /// within `block`); updates the section's state for section and interface blocks.
    fn item(&mut self, block: &[u8], kind: u32) -> Result<Option<Raw>, String> {
        let len = block.len();
        let b = &block[..len - 4];
        match kind {
            SHB => {
                if b.len() < 24 {
                    return Err("a section header shorter than 28 bytes".into());
                }
                if self.u16_at(b, 12) != 1 {
                    return Err(format!("pcapng major version {} (1 is read)", self.u16_at(b, 12)));
                }
                self.in_section = true;
                self.ifaces.clear();
                Ok(None)
            }
            IDB => {
                if b.len() < 16 {
                    return Err("an interface description shorter than 20 bytes".into());
                }
                let linktype = self.u16_at(b, 8);
                let snaplen = self.u32_at(b, 12);
                let mut iface = Iface { units: 1_000_000, offset: 0, snaplen };
                for (code, v) in self.options(&b[16..])? {
                    match code {
                        IF_TSRESOL if v.len() == 1 => {
                            let r = block[16 + v.start];
                            let exp = u32::from(r & 0x7F);
                            let units = if r & 0x80 != 0 { 2u64.checked_pow(exp) } else { 10u64.checked_pow(exp) };
                            iface.units = units.filter(|&u| u > 0).ok_or_else(|| format!("if_tsresol {r:#x} is out of range"))?;
                        }
                        IF_TSOFFSET if v.len() == 8 => iface.offset = self.u64_at(&block[16..], v.start) as i64,
                        _ => {}
                    }
                }
                if self.ifaces.len() >= 65_536 {
                    return Err("more than 65536 interfaces in one section".into());
                }
                self.ifaces.push(iface);
                Ok(Some(Raw::Interface { index: self.ifaces.len() as u32 - 1, linktype, snaplen }))
            }
            EPB | OPB => {
                if b.len() < 28 {
                    return Err(format!("a packet block (type {kind}) shorter than 32 bytes"));
                }
                // The obsolete Packet Block has a 16-bit interface id (and a drop count).
                let interface = if kind == OPB { u32::from(self.u16_at(b, 8)) } else { self.u32_at(b, 8) };
                let iface = *self.ifaces.get(interface as usize).ok_or_else(|| format!("a packet of interface {interface}, which was not declared"))?;
                let units = (u64::from(self.u32_at(b, 12)) << 32) | u64::from(self.u32_at(b, 16));
                let captured = self.u32_at(b, 20) as usize;
                let wire_len = self.u32_at(b, 24);
                if 28 + captured > b.len() {
                    return Err(format!("a packet of {captured} bytes in a block of {len}"));
                }
                Ok(Some(Raw::Frame { interface, ts: timestamp(units, &iface), wire_len, data: 28..28 + captured }))
            }
            SPB => {
                if b.len() < 12 {
                    return Err("a simple packet block shorter than 16 bytes".into());
                }
                let iface = *self.ifaces.first().ok_or("a simple packet before any interface")?;
                let wire_len = self.u32_at(b, 8);
                let mut captured = (wire_len as usize).min(b.len() - 12);
                if iface.snaplen > 0 {
                    captured = captured.min(iface.snaplen as usize);
                }
                Ok(Some(Raw::Frame { interface: 0, ts: Timestamp { sec: 0, nsec: 0 }, wire_len, data: 12..12 + captured }))
            }
            ISB if self.statistics => {
                if b.len() < 20 {
                    return Err("an interface statistics block shorter than 24 bytes".into());
                }
                let interface = self.u32_at(b, 8);
                if interface as usize >= self.ifaces.len() {
                    return Err(format!("statistics of interface {interface}, which was not declared"));
                }
                let (mut received, mut dropped) = (None, None);
                for (code, v) in self.options(&b[20..])? {
                    if v.len() == 8 {
                        let n = self.u64_at(&block[20..], v.start);
                        match code {
                            ISB_IFRECV => received = Some(n),
                            ISB_IFDROP => dropped = Some(n),
                            _ => {}
                        }
                    }
                }
                Ok(Some(Raw::Stats { interface, received, dropped }))
            }
            _ => Ok(None),
        }
    }

    /// The options in `b`: (code, value range within `b`), up to opt_endofopt or the end.
    fn options(&self, b: &[u8]) -> Result<Vec<(u16, std::ops::Range<usize>)>, String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i + 4 <= b.len() {
            let code = self.u16_at(b, i);
            let n = self.u16_at(b, i + 2) as usize;
            if code == 0 {
                break;
            }
            let end = i + 4 + n;
            if end > b.len() {
                return Err(format!("option {code} runs past its block"));
            }
            out.push((code, i + 4..end));
            i = end + (4 - n % 4) % 4;
        }
        Ok(out)
    }
}

/// An item whose frame bytes are a range of the reader's buffer ([`StreamReader::bytes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raw {
    Interface { index: u32, linktype: u16, snaplen: u32 },
    Frame { interface: u32, ts: Timestamp, wire_len: u32, data: std::ops::Range<usize> },
    Stats { interface: u32, received: Option<u64>, dropped: Option<u64> },
}

impl Raw {
    /// The same item, its frame's range `by` bytes further on.
    fn moved(self, by: usize) -> Raw {
        match self {
            Raw::Frame { interface, ts, wire_len, data } => Raw::Frame { interface, ts, wire_len, data: data.start + by..data.end + by },
            other => other,
        }
    }

    fn into_item(self, buf: &[u8]) -> Item<'_> {
        match self {
            Raw::Interface { index, linktype, snaplen } => Item::Interface { index, linktype, snaplen },
            Raw::Frame { interface, ts, wire_len, data } => Item::Frame { interface, ts, wire_len, data: &buf[data] },
            Raw::Stats { interface, received, dropped } => Item::Stats { interface, received, dropped },
        }
    }
}

/// A timestamp of `units` (per `iface.units` a second) plus the interface's offset in seconds.
fn timestamp(units: u64, iface: &Iface) -> Timestamp {
    let sec = (units / iface.units) as i64;
    let frac = u128::from(units % iface.units);
    let nsec = (frac * 1_000_000_000 / u128::from(iface.units)) as u32;
    Timestamp { sec: sec.saturating_add(iface.offset), nsec }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::{CaptureWriter, StreamInfo};

    /// A pcapng file written by the library's own writer, read back in pieces of every size.
    #[test]
    fn reads_the_writers_files_in_any_pieces() {
        let dir = std::env::temp_dir().join(format!("ndisnpp-pcapng-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.pcapng");
        let mut w = super::super::pcapng::PcapngWriter::new(std::fs::File::create(&path).unwrap(), StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        let frames: Vec<(Timestamp, u32, Vec<u8>)> = (0..50u32)
            .map(|i| (Timestamp { sec: 1_700_000_000 + i64::from(i), nsec: i * 1_000_001 }, 60 + i * 3, (0..(60 + i * 3)).map(|b| (b ^ i) as u8).collect()))
            .collect();
        for (ts, wire, data) in &frames {
            w.write_frame(*ts, *wire, data).unwrap();
        }
        Box::new(w).finish();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        for piece in [1, 3, 7, 64, 1000, bytes.len()] {
            let mut r = StreamReader::new();
            let mut got = Vec::new();
            let mut ifaces = 0;
            for chunk in bytes.chunks(piece) {
                r.feed(chunk);
                while let Some(item) = r.next_item().unwrap() {
                    match item {
                        Item::Frame { interface, ts, wire_len, data } => {
                            assert_eq!(interface, 0);
                            got.push((ts, wire_len, data.to_vec()));
                        }
                        Item::Interface { linktype, .. } => {
                            assert_eq!(linktype, 1);
                            ifaces += 1;
                        }
                        Item::Stats { .. } => {}
                    }
                }
            }
            assert_eq!((ifaces, r.pending()), (1, 0), "piece {piece}");
            assert_eq!(got, frames, "piece {piece}");
        }
    }

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        let mut b = kind.to_be_bytes().to_vec();
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_be_bytes());
        b
    }

    fn shb_be() -> Vec<u8> {
        let mut body = MAGIC.to_be_bytes().to_vec();
        body.extend_from_slice(&1u16.to_be_bytes());
        body.extend_from_slice(&0u16.to_be_bytes());
        body.extend_from_slice(&u64::MAX.to_be_bytes());
        block(SHB, &body)
    }

    #[test]
    fn big_endian_resolutions_statistics_and_errors() {
        let mut s = shb_be();
        // IDB: Ethernet, snaplen 0, if_tsresol 2^-10 (0x8a), if_tsoffset 100 s.
        let mut idb = vec![0, 1, 0, 0, 0, 0, 0, 0];
        idb.extend_from_slice(&[0, 9, 0, 1, 0x8a, 0, 0, 0]);
        idb.extend_from_slice(&[0, 14, 0, 8]);
        idb.extend_from_slice(&100u64.to_be_bytes());
        idb.extend_from_slice(&[0, 0, 0, 0]);
        s.extend(block(IDB, &idb));
        // EPB: 1024 * 5 + 512 units = 5.5 s (+100), 4 bytes of a 9-byte frame.
        let mut epb = 0u32.to_be_bytes().to_vec();
        epb.extend_from_slice(&0u32.to_be_bytes());
        epb.extend_from_slice(&(1024u32 * 5 + 512).to_be_bytes());
        epb.extend_from_slice(&4u32.to_be_bytes());
        epb.extend_from_slice(&9u32.to_be_bytes());
        epb.extend_from_slice(&[1, 2, 3, 4]);
        s.extend(block(EPB, &epb));
        // ISB: received 7, dropped 2.
        let mut isb = vec![0u8; 12];
        isb.extend_from_slice(&[0, 4, 0, 8]);
        isb.extend_from_slice(&7u64.to_be_bytes());
        isb.extend_from_slice(&[0, 5, 0, 8]);
        isb.extend_from_slice(&2u64.to_be_bytes());
        isb.extend_from_slice(&[0, 0, 0, 0]);
        s.extend(block(ISB, &isb));
        let mut r = StreamReader::new();
        r.feed(&s);
        assert_eq!(r.next_item().unwrap(), Some(Item::Interface { index: 0, linktype: 1, snaplen: 0 }));
        assert_eq!(r.next_item().unwrap(), Some(Item::Frame { interface: 0, ts: Timestamp { sec: 105, nsec: 500_000_000 }, wire_len: 9, data: &[1, 2, 3, 4] }));
        assert_eq!(r.next_item().unwrap(), Some(Item::Stats { interface: 0, received: Some(7), dropped: Some(2) }));
        assert_eq!(r.next_item().unwrap(), None);

        // Malformed streams: an error, then nothing.
        let epb_of_1 = {
            let mut e = epb.clone();
            e[3] = 1;
            e
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (block(IDB, &idb), "does not start with a pcapng section header"),
            ([shb_be(), block(EPB, &epb)].concat(), "not declared"),
            ([shb_be(), block(IDB, &idb), block(EPB, &epb_of_1)].concat(), "not declared"),
            ([shb_be(), block(IDB, &idb), block(EPB, &epb[..20])].concat(), "a packet of 4 bytes in a block of 32"),
            ([shb_be(), block(IDB, &idb), block(EPB, &epb[..16])].concat(), "shorter than 32"),
            (
                {
                    let mut b = shb_be();
                    let n = b.len();
                    b[n - 1] ^= 4;
                    b
                },
                "lengths differ",
            ),
            (
                {
                    let mut b = shb_be();
                    b[7] = 30;
                    b
                },
                "multiple of 4",
            ),
            (
                {
                    let mut b = shb_be();
                    b[4..8].copy_from_slice(&((MAX_BLOCK + 4) as u32).to_be_bytes());
                    b
                },
                "multiple of 4, 12 to",
            ),
        ];
        for (bytes, want) in cases {
            let mut r = StreamReader::new();
            r.feed(&bytes);
            let mut err = None;
            for _ in 0..4 {
                match r.next_item() {
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                }
            }
            let err = err.unwrap_or_else(|| panic!("no error for a stream that should give {want:?}"));
            assert!(err.contains(want), "{err} (wanted {want})");
            assert_eq!(r.next_item(), Ok(None), "nothing after an error");
        }
    }
}
