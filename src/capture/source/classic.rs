//! The classic pcap reader: reads the file as libpcap does, without libpcap, in large reads.

use super::*;

/// The records of a classic pcap file, read in large pieces and handed out in place (no copy,
/// one `pread` per `READ_SIZE`). libpcap reads such a file with two `fread` calls per record,
/// which cost a third of a replay of small frames; it still checks the file header and names the
/// link type (see `Replay::open`), and reads every other format.
pub(super) struct ClassicPcap {
    /// Read with `pread` at `offset`: libpcap holds a descriptor of the same open file.
    pub(super) file: std::fs::File,
    pub(super) offset: u64,
    pub(super) buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) eof: bool,
    /// Fields are big-endian (the file was written on the other byte order).
    pub(super) swapped: bool,
    /// The timestamp's second field holds nanoseconds (magic 0xA1B23C4D).
    pub(super) nanos: bool,
    /// The file's snap length (records longer than it are cut, as libpcap does).
    pub(super) snaplen: u32,
}

/// Bytes read per `read` call by `ClassicPcap`.
pub(super) const READ_SIZE: usize = 1 << 20;
/// The largest record libpcap accepts (its limit for most link types).
pub(super) const MAX_RECORD: u32 = 262_144;

impl ClassicPcap {
    /// Recognises a classic pcap file header that this reader handles like libpcap: (big-endian
    /// fields, nanosecond timestamps, snap length). None for any other format or version, and for
    /// link types whose records libpcap allows beyond 262144 bytes or fixes up (USB, NFLOG ...):
    /// those stay with libpcap.
    pub(super) fn header(h: &[u8; 24]) -> Option<(bool, bool, u32)> {
        let (swapped, nanos) = classic_pcap_magic([h[0], h[1], h[2], h[3]])?;
        let field = |at: usize| {
            let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
            if swapped {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let half = |at: usize| if swapped { u16::from_be_bytes([h[at], h[at + 1]]) } else { u16::from_le_bytes([h[at], h[at + 1]]) };
        if (half(4), half(6)) != (2, 4) {
            return None;
        }
        // LINKTYPE_ETHERNET, _RAW, _LINUX_SLL, _IPV4, _IPV6, _LINUX_SLL2 (FCS bits clear).
        if !matches!(field(20), 1 | 101 | 113 | 228 | 229 | 276) {
            return None;
        }
        let snaplen = field(16);
        let snaplen = if snaplen == 0 || snaplen > MAX_RECORD { MAX_RECORD } else { snaplen };
        Some((swapped, nanos, snaplen))
    }

    /// A reader of `file` (a regular file) if it is in classic pcap format, positioned at its
    /// first record.
    pub(super) fn open(file: &std::fs::File) -> std::io::Result<Option<ClassicPcap>> {
        use std::os::unix::fs::FileExt;
        let mut h = [0u8; 24];
        if file.read_exact_at(&mut h, 0).is_err() {
            return Ok(None);
        }
        let Some((swapped, nanos, snaplen)) = Self::header(&h) else { return Ok(None) };
        Ok(Some(ClassicPcap {
            file: file.try_clone()?,
            offset: 24,
            // Room for a read and for the longest record left over from the one before.
            buf: vec![0; READ_SIZE.max(2 * (16 + MAX_RECORD as usize))],
            start: 0,
            end: 0,
            eof: false,
            swapped,
            nanos,
            snaplen,
        }))
    }

    /// Makes at least `n` unread bytes available unless the file ends first; false then.
    #[inline]
    pub(super) fn fill(&mut self, n: usize) -> Result<bool, String> {
        // Almost every call: the bytes are already read.
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.fill_more(n)
    }

    #[cold]
    pub(super) fn fill_more(&mut self, n: usize) -> Result<bool, String> {
        use std::os::unix::fs::FileExt;
        while self.end - self.start < n && !self.eof {
            if self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let room = self.buf.len() - self.end;
            match self.file.read_at(&mut self.buf[self.end..self.end + room.min(READ_SIZE)], self.offset) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    self.end += k;
                    self.offset += k as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(self.end - self.start >= n)
    }

    /// The four fields of the record header at `at` (seconds, sub-second part, captured length,
    /// length on the wire), in this machine's byte order.
    #[inline]
    pub(super) fn record_header(&self, at: usize) -> [u32; 4] {
        let h: &[u8; 16] = self.buf[at..at + 16].try_into().expect("16 bytes");
        std::array::from_fn(|i| {
            let b = [h[4 * i], h[4 * i + 1], h[4 * i + 2], h[4 * i + 3]];
            if self.swapped {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        })
    }

    /// The whole records already in the buffer, each to `each` until it answers false (one
    /// header parse per record); a record not wholly read yet, or one `next` would refuse, is left
    /// to `next`. Returns how many were handed.
    pub(super) fn each_buffered(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
        let mut n = 0;
        loop {
            let at = self.start;
            if self.end - at < 16 {
                return n;
            }
            let [sec, frac, caplen, wire_len] = self.record_header(at);
            let need = 16 + caplen as usize;
            if caplen > MAX_RECORD || self.end - at < need {
                return n;
            }
            self.start += need;
            n += 1;
            let kept = caplen.min(self.snaplen) as usize;
            let ns = i64::from(frac) * if self.nanos { 1 } else { 1000 };
            let f = Frame { ts: timestamp(i64::from(sec), ns), wire_len, data: &self.buf[at + 16..at + 16 + kept] };
            if !each(&f) {
                return n;
            }
        }
    }

    #[inline]
    pub(super) fn next(&mut self) -> Result<Option<Frame<'_>>, String> {
        if !self.fill(16)? {
            let left = self.end - self.start;
            if left == 0 {
                return Ok(None);
            }
            return Err(format!("truncated dump file; tried to read 16 header bytes, only got {left}"));
        }
        let at = self.start;
        let [sec, frac, caplen, wire_len] = self.record_header(at);
        if caplen > MAX_RECORD {
            return Err(format!("invalid packet capture length {caplen}, bigger than maximum of {MAX_RECORD}"));
        }
        let need = 16 + caplen as usize;
        if !self.fill(need)? {
            let got = self.end - self.start - 16;
            return Err(format!("truncated dump file; tried to read {caplen} captured bytes, only got {got}"));
        }
        let at = self.start;
        self.start += need;
        let kept = caplen.min(self.snaplen) as usize;
        // Seconds and fraction are the format's unsigned 32-bit fields, in either byte order: 1970
        // to 2106 (libpcap reads them signed from a file in this machine's byte order, turning
        // 2038 and later into 1901).
        let ns = i64::from(frac) * if self.nanos { 1 } else { 1000 };
        Ok(Some(Frame { ts: timestamp(i64::from(sec), ns), wire_len, data: &self.buf[at + 16..at + 16 + kept] }))
    }
}

/// A classic pcap file's first four bytes: (its fields are byte-swapped, its fractions of a
/// second are nanoseconds); None for any other file.
#[doc(hidden)]
pub fn classic_pcap_magic(m: [u8; 4]) -> Option<(bool, bool)> {
    match u32::from_le_bytes(m) {
        0xA1B2_C3D4 => Some((false, false)),
        0xA1B2_3C4D => Some((false, true)),
        0xD4C3_B2A1 => Some((true, false)),
        0x4D3C_B2A1 => Some((true, true)),
        _ => None,
    }
}

/// For a file that starts with a classic pcap magic number (either byte order): whether its
/// fractions of a second are nanoseconds. None for any other file.
pub(super) fn classic_magic(file: &std::fs::File) -> Option<bool> {
    use std::os::unix::fs::FileExt;
    let mut m = [0u8; 4];
    file.read_exact_at(&mut m, 0).ok()?;
    classic_pcap_magic(m).map(|(_, nanos)| nanos)
}
