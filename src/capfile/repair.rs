//! Repair of a damaged capture file (`ndisnpp_repair_capture`, `ndisnpp_repair_capture_ex`,
//! `nmcap --repair`).
//!
//! Repair keeps every record a reader can use: a damaged record in the middle of a file is
//! skipped, only a damaged tail is cut, and a file whose damage cannot be passed is left as it is
//! (`RepairError::Damaged`).
//!
//! * Network Monitor 2: readers find the frames through the frame table, which the writer
//!   (netmon2.rs) writes only when the capture is finished. A finished file whose table points at
//!   whole, plausible records, in order, is sound. A table in order that points at some damaged
//!   records (or records overlapping the next one) is rewritten without them. Otherwise (no table:
//!   a crash cut the capture off; or a damaged table) the records are scanned from the first one
//!   (offset 128); a record that is not plausible (stored length beyond the largest record, wire
//!   length below the stored length ...) is passed by looking, within the next MiB, for the place
//!   where a chain of plausible records starts again (three in a row, or up to the end of the
//!   records, with times close to the last good record's). The table is written after the last
//!   whole record and the rest is cut. Of the two (table, scan), the one that keeps more frames
//!   wins. Records stay where they are: the frame table points past a skipped one.
//! * pcap and pcapng: readers go from record to record, so a damaged record (block) in the middle
//!   is passed the same way and removed; a trailing partial record (block) is cut off.
//! * A damage that no chain of records follows is a damaged tail when what is left is shorter than
//!   the largest record (or all zeros: a crash may leave zero blocks behind), and is cut; otherwise
//!   the file is left as it is.
//!
//! The repaired file is written beside the original (a new file in the same directory, with the
//! original's owner and mode), synced, and renamed over it: a crash during repair leaves the
//! original or the repaired file, never a mix. A symbolic link is not followed (refused). A sound
//! file is only read (it may be read-only).

use super::MAX_STORED;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a file was not repaired. The file is left as it was.
#[derive(Debug)]
pub enum RepairError {
    NotFound,
    /// Not a Network Monitor 2, pcap or pcapng file, or not a regular file (the reason).
    NotCapture(String),
    /// Refused: a symbolic link, or a file that needs repair and may not be written (the reason).
    Denied(String),
    /// A damaged record in the middle that no readable record follows (the reason): cutting there
    /// would lose the rest of the file, so it is left as it is.
    Damaged(String),
    Io(io::Error),
}

impl From<io::Error> for RepairError {
    fn from(e: io::Error) -> Self {
        RepairError::Io(e)
    }
}

impl std::fmt::Display for RepairError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepairError::NotFound => write!(f, "no such file"),
            RepairError::NotCapture(m) | RepairError::Denied(m) | RepairError::Damaged(m) => write!(f, "{m}"),
            RepairError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What a repair found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// Frames the file holds afterwards.
    pub frames: u64,
    /// The file was rewritten (false: it was sound and left as it is).
    pub rewritten: bool,
    /// Bytes of damaged records skipped and of a tail cut off: what the repaired file no longer
    /// holds or no longer points to (a frame table rebuilt is not counted).
    pub bytes_dropped: u64,
    /// Damaged places in the middle of the file that were skipped.
    pub damaged_skipped: u64,
    /// A damaged or partial tail was cut off.
    pub tail_cut: bool,
    /// What was found, in words.
    pub detail: String,
}

/// The largest wire length a scan of records takes as plausible (a stored frame is at most
/// MAX_STORED bytes).
const MAX_WIRE: u32 = 1 << 24;
/// How far past a damaged record a scan looks for the next readable one.
const RESYNC_SPAN: u64 = 1 << 20;
/// Plausible records in a row that make a place where reading can go on.
const CHAIN: usize = 3;
/// Times of the records after a damaged one must be within this of the last good record
/// (microseconds): an hour earlier, 30 days later.
const BEFORE_US: i64 = 3_600_000_000;
const AFTER_US: i64 = 30 * 86_400_000_000;
/// The file is read in windows of this size.
const WINDOW: usize = 4 << 20;

/// Repairs the capture file at `path` if it needs it (see the module documentation).
pub fn repair(path: &Path) -> Result<Repaired, RepairError> {
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY).open(path).map_err(|e| {
        match e.raw_os_error() {
            _ if e.kind() == io::ErrorKind::NotFound => RepairError::NotFound,
            Some(libc::ELOOP) => RepairError::Denied("a symbolic link: repair the file it names (links are not followed)".into()),
            _ => RepairError::Io(e),
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
        return Err(RepairError::NotCapture(format!("{what}, not a capture file")));
    }
    let len = meta.len();
    let mut r = Reader { file: &file, len, start: 0, buf: Vec::new() };
    let Some(magic) = r.get(0, 4)?.map(|m| [m[0], m[1], m[2], m[3]]) else {
        return Err(RepairError::NotCapture("shorter than any capture file header".into()));
    };
    let verdict = match &magic {
        b"GMBU" => netmon2(&mut r)?,
        [0xD4, 0xC3, 0xB2, 0xA1] | [0x4D, 0x3C, 0xB2, 0xA1] => pcap(&mut r, false)?,
        [0xA1, 0xB2, 0xC3, 0xD4] | [0xA1, 0xB2, 0x3C, 0x4D] => pcap(&mut r, true)?,
        [0x0A, 0x0D, 0x0D, 0x0A] => pcapng(&mut r)?,
        _ => return Err(RepairError::NotCapture(format!("unknown signature {:02x?}", magic))),
    };
    let mut plan = match verdict {
        Verdict::Sound(frames) => return Ok(Repaired { frames, detail: format!("sound: {frames} frames"), ..Default::default() }),
        Verdict::Rewrite(plan) if unchanged(&mut r, &plan.pieces)? => {
            let frames = plan.result.frames;
            return Ok(Repaired { frames, detail: format!("sound: {frames} frames"), ..Default::default() });
        }
        Verdict::Rewrite(plan) => plan,
    };
    plan.result.rewritten = true;
    plan.result.detail = describe(&plan.result);
    // SAFETY: the path is a NUL-terminated copy; access(2) only reads it.
    let writable = CString::new(path.as_os_str().as_bytes()).map(|c| unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) } == 0);
    if writable != Ok(true) {
        return Err(RepairError::Denied(format!("needs repair ({}), but this process may not write it", plan.result.detail)));
    }
    replace(path, &file, &meta, &plan.pieces)?;
    Ok(plan.result)
}

fn describe(r: &Repaired) -> String {
    let mut s = format!("repaired: {} frames kept", r.frames);
    if r.damaged_skipped > 0 {
        s += &format!(", {} damaged place(s) skipped", r.damaged_skipped);
    }
    if r.tail_cut {
        s += ", a damaged or partial tail cut off";
    }
    s + &format!(", {} bytes dropped", r.bytes_dropped)
}

/// A part of the repaired file: bytes of the original, or new bytes.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Copy(u64, u64),
    Bytes(Vec<u8>),
}

struct Plan {
    pieces: Vec<Piece>,
    result: Repaired,
}

enum Verdict {
    Sound(u64),
    Rewrite(Plan),
}

/// True when `pieces` make the file as it is (nothing to repair).
fn unchanged(r: &mut Reader, pieces: &[Piece]) -> io::Result<bool> {
    let mut at = 0u64;
    for p in pieces {
        match p {
            Piece::Copy(from, n) => {
                if *n > 0 && *from != at {
                    return Ok(false);
                }
                at += n;
            }
            Piece::Bytes(b) => {
                if r.get(at, b.len())? != Some(b.as_slice()) {
                    return Ok(false);
                }
                at += b.len() as u64;
            }
        }
    }
    Ok(at == r.len)
}

/// Writes `pieces` into a new file beside `path` with the original's owner and mode, syncs it and
/// renames it over `path` (which must still name `original`).
fn replace(path: &Path, original: &File, meta: &std::fs::Metadata, pieces: &[Piece]) -> Result<(), RepairError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| RepairError::NotCapture(format!("{}: not a file name", path.display())))?;
    let cdir = CString::new(dir.as_os_str().as_bytes()).map_err(|_| RepairError::NotFound)?;
    let cname = CString::new(name.as_bytes()).map_err(|_| RepairError::NotFound)?;
    // SAFETY: a NUL-terminated path; the descriptor returned is owned below.
    let dfd = unsafe { libc::open(cdir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
    if dfd < 0 {
        return Err(io::Error::last_os_error().into());
    }
    // SAFETY: dfd is a descriptor we just opened and nobody else owns.
    let dfd = unsafe { OwnedFd::from_raw_fd(dfd) };
    let tmp_name =
        CString::new([b".", name.as_bytes(), format!(".repair-{:016x}", super::random_u64()?).as_bytes()].concat()).map_err(|_| RepairError::NotFound)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: dfd is open; tmp_name is NUL-terminated; the descriptor returned is owned below.
    let fd = unsafe { libc::openat(dfd.as_raw_fd(), tmp_name.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error().into());
    }
    // SAFETY: fd is a descriptor we just opened and nobody else owns.
    let mut tmp = unsafe { File::from_raw_fd(fd) };
    let written = (|| -> io::Result<()> {
        std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()))?;
        tmp.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        write_pieces(&mut tmp, original, pieces)?;
        tmp.sync_all()?;
        // The name must still be the file we read (not replaced meanwhile, not a link now).
        // SAFETY: zeroed stat is a valid out-buffer; dfd and cname are valid.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstatat(dfd.as_raw_fd(), cname.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if st.st_dev != meta.dev() || st.st_ino != meta.ino() {
            return Err(io::Error::other("the file was replaced while it was being repaired"));
        }
        // SAFETY: dfd is open; both names are NUL-terminated.
        if unsafe { libc::renameat(dfd.as_raw_fd(), tmp_name.as_ptr(), dfd.as_raw_fd(), cname.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // The rename itself reaches the disk (best effort: the data did already).
        // SAFETY: dfd is open.
        unsafe { libc::fsync(dfd.as_raw_fd()) };
        Ok(())
    })();
    if let Err(e) = written {
        // SAFETY: dfd is open; tmp_name is NUL-terminated.
        unsafe { libc::unlinkat(dfd.as_raw_fd(), tmp_name.as_ptr(), 0) };
        return Err(e.into());
    }
    Ok(())
}

fn write_pieces(out: &mut File, original: &File, pieces: &[Piece]) -> io::Result<()> {
    use std::io::Write;
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    let mut buf = vec![0u8; 1 << 20];
    for p in pieces {
        match p {
            Piece::Bytes(b) => w.write_all(b)?,
            Piece::Copy(mut at, len) => {
                let end = at + len;
                while at < end {
                    let n = ((end - at) as usize).min(buf.len());
                    original.read_exact_at(&mut buf[..n], at)?;
                    w.write_all(&buf[..n])?;
                    at += n as u64;
                }
            }
        }
    }
    w.flush()
}

/// Reads the file through a window.
struct Reader<'a> {
    file: &'a File,
    len: u64,
    start: u64,
    buf: Vec<u8>,
}

impl Reader<'_> {
    /// `n` bytes at `at`, or None when the file ends before.
    fn get(&mut self, at: u64, n: usize) -> io::Result<Option<&[u8]>> {
        let end = match at.checked_add(n as u64) {
            Some(e) if e <= self.len => e,
            _ => return Ok(None),
        };
        if at < self.start || end > self.start + self.buf.len() as u64 {
            self.load(at, n)?;
        }
        let o = (at - self.start) as usize;
        Ok(Some(&self.buf[o..o + n]))
    }

    /// Reads the window at `at` (at least `n` bytes, less at the end of the file).
    fn load(&mut self, at: u64, n: usize) -> io::Result<()> {
        let want = (self.len.saturating_sub(at)).min(WINDOW.max(n) as u64) as usize;
        self.buf.resize(want, 0);
        self.file.read_exact_at(&mut self.buf, at)?;
        self.start = at;
        Ok(())
    }

    fn u32_at(&mut self, at: u64, big_endian: bool) -> io::Result<Option<u32>> {
        Ok(self.get(at, 4)?.map(|b| {
            let x = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(x)
            } else {
                u32::from_le_bytes(x)
            }
        }))
    }

    /// True when every byte from `at` to `end` is zero.
    fn zeros(&mut self, mut at: u64, end: u64) -> io::Result<bool> {
        while at < end {
            let n = ((end - at) as usize).min(WINDOW);
            let Some(b) = self.get(at, n)? else { return Ok(false) };
            if b.iter().any(|&x| x != 0) {
                return Ok(false);
            }
            at += n as u64;
        }
        Ok(true)
    }
}

/// One record (frame record or pcapng block) as a format reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rec {
    /// Whole and plausible: where it ends, whether it is a frame, its time (microseconds, on the
    /// format's own scale) if it has one.
    Whole { end: u64, frame: bool, time: Option<i64> },
    /// A plausible header whose record runs past the end: a partial last record.
    Partial,
    /// Not a record.
    Bad,
}

/// How a format reads a record at `pos` with the records ending at `limit`. `strict`: the checks
/// of a place to go on from after damage (stricter than what a reader accepts).
trait Records {
    fn at(&mut self, r: &mut Reader, pos: u64, limit: u64, strict: bool) -> io::Result<Rec>;
    /// Records start at multiples of this.
    const ALIGN: u64;
    /// The largest record: less than this left after damage may be a partial last record.
    fn max_record(&self) -> u64;
}

/// The records found between `first` and `limit`: (start, end, is a frame) of each one kept.
struct Scan {
    records: Vec<(u64, u64, bool)>,
    /// Bytes of damaged places skipped and of the tail cut.
    dropped: u64,
    skipped: u64,
    tail_cut: bool,
}

impl Scan {
    fn frames(&self) -> u64 {
        self.records.iter().filter(|r| r.2).count() as u64
    }
}

/// Reads the records from `first` to `limit`, passing damaged places (see the module
/// documentation). Err(reason): damage that no readable record follows, not at the end.
fn scan<F: Records>(r: &mut Reader, f: &mut F, first: u64, limit: u64) -> io::Result<Result<Scan, String>> {
    let mut s = Scan { records: Vec::new(), dropped: 0, skipped: 0, tail_cut: false };
    let mut last_time = None;
    let mut pos = first;
    while pos < limit {
        match f.at(r, pos, limit, false)? {
            Rec::Whole { end, frame, time } => {
                s.records.push((pos, end, frame));
                last_time = time.or(last_time);
                pos = end;
                continue;
            }
            // A damaged record, or a partial one: if readable records follow, it is passed.
            Rec::Partial | Rec::Bad => {
                if let Some(next) = resync(r, f, pos, limit, last_time)? {
                    s.skipped += 1;
                    s.dropped += next - pos;
                    pos = next;
                    continue;
                }
            }
        }
        if limit - pos < f.max_record() || r.zeros(pos, limit)? {
            s.tail_cut = true;
            s.dropped += limit - pos;
            return Ok(Ok(s));
        }
        let frames = s.frames();
        return Ok(Err(format!("damaged record at byte {pos} after {frames} whole frames, and no readable record in the {RESYNC_SPAN} bytes after it; {} bytes follow: left as it is", limit - pos)));
    }
    Ok(Ok(s))
}

/// The first place after the damaged record at `pos` where `CHAIN` plausible records in a row (or
/// fewer, up to exactly `limit`) start, with times close to `last_time`.
fn resync<F: Records>(r: &mut Reader, f: &mut F, pos: u64, limit: u64, last_time: Option<i64>) -> io::Result<Option<u64>> {
    r.load(pos, 0)?;
    let mut q = pos + F::ALIGN;
    let stop = limit.min(pos + RESYNC_SPAN);
    'candidates: while q < stop {
        let (mut p, mut n, mut reference) = (q, 0, last_time);
        while n < CHAIN {
            match f.at(r, p, limit, true)? {
                Rec::Whole { end, time, .. } => {
                    if let (Some(t), Some(rf)) = (time, reference) {
                        if t < rf.saturating_sub(BEFORE_US) || t > rf.saturating_add(AFTER_US) {
                            q += F::ALIGN;
                            continue 'candidates;
                        }
                    }
                    reference = time.or(reference);
                    n += 1;
                    p = end;
                    if p == limit {
                        break;
                    }
                }
                _ => {
                    q += F::ALIGN;
                    continue 'candidates;
                }
            }
        }
        return Ok(Some(q));
    }
    Ok(None)
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Network Monitor 2 frame records.
struct Netmon2Records {
    trailer: u64,
}

impl Records for Netmon2Records {
    const ALIGN: u64 = 1;

    fn max_record(&self) -> u64 {
        16 + u64::from(MAX_STORED) + self.trailer
    }

    fn at(&mut self, r: &mut Reader, pos: u64, limit: u64, strict: bool) -> io::Result<Rec> {
        if pos + 16 > limit {
            return Ok(Rec::Partial);
        }
        let Some(head) = r.get(pos, 16)? else { return Ok(Rec::Partial) };
        let offset = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        let (wire, stored) = (le32(head, 8), le32(head, 12));
        let plausible = stored <= MAX_STORED && wire >= stored && wire <= MAX_WIRE && wire > 0 && (!strict || (stored > 0 && offset < 1 << 62));
        if !plausible {
            return Ok(Rec::Bad);
        }
        let end = pos + 16 + u64::from(stored) + self.trailer;
        Ok(if end > limit { Rec::Partial } else { Rec::Whole { end, frame: true, time: Some(offset as i64) } })
    }
}

/// Network Monitor 2: sound, or rewritten from its table or its records.
fn netmon2(r: &mut Reader) -> Result<Verdict, RepairError> {
    let len = r.len;
    let Some(h) = r.get(0, 128)?.map(<[u8]>::to_vec) else {
        return Err(RepairError::NotCapture("a Network Monitor signature but no whole header".into()));
    };
    let (minor, major) = (h[4], h[5]);
    if major != 2 || minor > 3 {
        return Err(RepairError::NotCapture(format!("Network Monitor version {major}.{minor}: only 2.x is repaired")));
    }
    let trailer = [0u64, 2, 6, 15][minor as usize];
    let (table_off, table_len) = (u64::from(le32(&h, 0x18)), u64::from(le32(&h, 0x1C)));
    let table_in_range = table_len > 0 && table_len % 4 == 0 && table_off >= 128 && table_off + table_len <= len;

    // The table: its entries in order, and which of them point at usable records.
    let mut from_table = None;
    if table_in_range {
        let t = read_vec(r, table_off, table_len as usize)?;
        let entries: Vec<u64> = t.chunks_exact(4).map(|c| u64::from(le32(c, 0))).collect();
        let in_order = entries.iter().all(|&e| e >= 128 && e + 16 <= table_off) && entries.windows(2).all(|w| w[0] < w[1]);
        if in_order {
            let mut usable = Vec::new();
            for (i, &e) in entries.iter().enumerate() {
                let bound = entries.get(i + 1).copied().unwrap_or(table_off);
                let head = read_vec(r, e, 16)?;
                let (wire, stored) = (le32(&head, 8), le32(&head, 12));
                // Any wire length: the writer keeps the one it is given.
                let end = e + 16 + u64::from(stored) + trailer;
                if stored <= MAX_STORED && wire >= stored && end <= bound {
                    usable.push((e, end));
                }
            }
            if usable.len() == entries.len() {
                return Ok(Verdict::Sound(entries.len() as u64));
            }
            from_table = Some((usable, entries.len()));
        }
    }

    // The records, scanned from the first one up to the table (when the header points at a table
    // that ends the file) or the end.
    let region_end = if table_in_range && table_off + table_len == len { table_off } else { len };
    let limit = region_end.min(u64::from(u32::MAX));
    let scanned = scan(r, &mut Netmon2Records { trailer }, 128, limit)?;

    let header_fields = |table_pos: u64, frames: usize, cut: Option<u64>| {
        let mut header = h.clone();
        header[0x18..0x1C].copy_from_slice(&(table_pos as u32).to_le_bytes());
        header[0x1C..0x20].copy_from_slice(&(4 * frames as u32).to_le_bytes());
        if let Some(cut) = cut {
            // Tables after the cut are gone.
            for at in [0x20, 0x28, 0x30, 0x38, 0x40] {
                if u64::from(le32(&header, at)) >= cut {
                    header[at..at + 8].fill(0);
                }
            }
        }
        header
    };
    let table_bytes = |offsets: &mut dyn Iterator<Item = u64>| offsets.flat_map(|o| (o as u32).to_le_bytes()).collect::<Vec<u8>>();

    let scan_frames = scanned.as_ref().map_or(0, |s| s.records.len());
    match (from_table, scanned) {
        (Some((usable, entries)), scanned) if scanned.is_err() || usable.len() >= scan_frames => {
            // The table in order, without the entries of damaged records: written where it was.
            let table = table_bytes(&mut usable.iter().map(|u| u.0));
            let kept: u64 = usable.iter().map(|u| u.1 - u.0).sum();
            let pieces = vec![
                Piece::Bytes(header_fields(table_off, usable.len(), None)),
                Piece::Copy(128, table_off - 128),
                Piece::Bytes(table.clone()),
                Piece::Copy(table_off + table.len() as u64, len - table_off - table.len() as u64),
            ];
            let result = Repaired {
                frames: usable.len() as u64,
                bytes_dropped: (table_off - 128).saturating_sub(kept),
                damaged_skipped: (entries - usable.len()) as u64,
                ..Default::default()
            };
            Ok(Verdict::Rewrite(Plan { pieces, result }))
        }
        (_, Ok(s)) => {
            // The table right after the last whole record; the rest is cut.
            let mut records: Vec<(u64, u64)> = s.records.iter().map(|x| (x.0, x.1)).collect();
            let mut dropped = s.dropped;
            let mut tail_cut = s.tail_cut;
            while records.last().is_some_and(|l| l.1 + 4 * records.len() as u64 > u64::from(u32::MAX)) {
                let (a, b) = records.pop().expect("non-empty");
                dropped += b - a;
                tail_cut = true;
            }
            let cut = records.last().map_or(128, |l| l.1);
            let pieces = vec![
                Piece::Bytes(header_fields(cut, records.len(), Some(cut))),
                Piece::Copy(128, cut - 128),
                Piece::Bytes(table_bytes(&mut records.iter().map(|x| x.0))),
            ];
            if region_end > limit {
                tail_cut = true;
                dropped += region_end - limit;
            }
            let result = Repaired { frames: records.len() as u64, bytes_dropped: dropped, damaged_skipped: s.skipped, tail_cut, ..Default::default() };
            Ok(Verdict::Rewrite(Plan { pieces, result }))
        }
        (_, Err(why)) => Err(RepairError::Damaged(why)),
    }
}

fn read_vec(r: &mut Reader, at: u64, n: usize) -> io::Result<Vec<u8>> {
    Ok(r.get(at, n)?.map(<[u8]>::to_vec).unwrap_or_else(|| vec![0xFF; n]))
}

/// Classic pcap records.
struct PcapRecords {
    big_endian: bool,
    /// Captured length from the two length fields (see `pcap`).
    captured: fn(u32, u32) -> u32,
    /// Fraction of a second in nanoseconds (else microseconds).
    nanos: bool,
}

impl Records for PcapRecords {
    const ALIGN: u64 = 1;

    fn max_record(&self) -> u64 {
        16 + u64::from(MAX_STORED)
    }

    fn at(&mut self, r: &mut Reader, pos: u64, limit: u64, strict: bool) -> io::Result<Rec> {
        if pos + 16 > limit {
            return Ok(Rec::Partial);
        }
        let Some(head) = r.get(pos, 16)? else { return Ok(Rec::Partial) };
        let field = |at: usize| {
            let x = [head[at], head[at + 1], head[at + 2], head[at + 3]];
            if self.big_endian {
                u32::from_be_bytes(x)
            } else {
                u32::from_le_bytes(x)
            }
        };
        let (sec, frac, first, second) = (field(0), field(4), field(8), field(12));
        let caplen = (self.captured)(first, second);
        let wire = first.max(second);
        // An all-zero header is not a record: what a crash may leave behind.
        if caplen > MAX_STORED
            || (sec, frac, first, second) == (0, 0, 0, 0)
            || (strict && (caplen == 0 || wire > MAX_WIRE || frac >= if self.nanos { 1_000_000_000 } else { 1_000_000 }))
        {
            return Ok(Rec::Bad);
        }
        let end = pos + 16 + u64::from(caplen);
        let time = i64::from(sec) * 1_000_000 + i64::from(if self.nanos { frac / 1000 } else { frac });
        Ok(if end > limit { Rec::Partial } else { Rec::Whole { end, frame: true, time: Some(time) } })
    }
}

/// Classic pcap: the records, with damaged ones skipped and a partial last one cut off.
fn pcap(r: &mut Reader, big_endian: bool) -> Result<Verdict, RepairError> {
    let len = r.len;
    let Some(header) = r.get(0, 24)?.map(<[u8]>::to_vec) else {
        return Err(RepairError::NotCapture("a pcap signature but no whole header".into()));
    };
    let half = |at: usize| if big_endian { u16::from_be_bytes([header[at], header[at + 1]]) } else { u16::from_le_bytes([header[at], header[at + 1]]) };
    // Files before version 2.3 have the two lengths the other way round; in 2.3 either order
    // occurs, and the smaller one is the captured length (libpcap reads them so).
    let captured: fn(u32, u32) -> u32 = match (half(4), half(6)) {
        (2, 0..=2) | (543, 0) => |_, wire| wire,
        (2, 3) => |stored, wire| stored.min(wire),
        _ => |stored, _| stored,
    };
    let nanos = matches!(header[..4], [0x4D, 0x3C, 0xB2, 0xA1] | [0xA1, 0xB2, 0x3C, 0x4D]);
    let s = scan(r, &mut PcapRecords { big_endian, captured, nanos }, 24, len)?.map_err(RepairError::Damaged)?;
    sequential(s, 24, len)
}

/// A format read record after record: sound when nothing was dropped, else the header (`first`
/// bytes) and the records kept.
fn sequential(s: Scan, first: u64, len: u64) -> Result<Verdict, RepairError> {
    let frames = s.frames();
    if s.dropped == 0 {
        return Ok(Verdict::Sound(frames));
    }
    let mut pieces = vec![Piece::Copy(0, first)];
    for &(a, b, _) in &s.records {
        match pieces.last_mut() {
            Some(Piece::Copy(at, n)) if *at + *n == a => *n += b - a,
            _ => pieces.push(Piece::Copy(a, b - a)),
        }
    }
    debug_assert_eq!(len - first - s.dropped, s.records.iter().map(|x| x.1 - x.0).sum::<u64>());
    let result = Repaired { frames, bytes_dropped: s.dropped, damaged_skipped: s.skipped, tail_cut: s.tail_cut, ..Default::default() };
    Ok(Verdict::Rewrite(Plan { pieces, result }))
}

/// pcapng blocks.
struct PcapngRecords {
    big_endian: bool,
}

/// The largest block a scan takes as plausible.
const MAX_BLOCK: u64 = 16 << 20;

impl Records for PcapngRecords {
    const ALIGN: u64 = 4;

    fn max_record(&self) -> u64 {
        u64::from(MAX_STORED) + (128 << 10)
    }

    fn at(&mut self, r: &mut Reader, pos: u64, limit: u64, strict: bool) -> io::Result<Rec> {
        let (Some(kind), Some(total)) = (r.u32_at(pos, self.big_endian)?, r.u32_at(pos + 4, self.big_endian)?) else { return Ok(Rec::Partial) };
        let total = u64::from(total);
        if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
            return Ok(Rec::Bad);
        }
        // Kinds a reader knows (strict): section header, interface, packet (obsolete, simple,
        // enhanced), name resolution, statistics, decryption secrets, custom, journal.
        if strict && !matches!(kind, 0x0A0D_0D0A | 1..=6 | 9 | 10 | 0xBAD | 0x4000_0BAD) {
            return Ok(Rec::Bad);
        }
        if pos + total > limit {
            return Ok(Rec::Partial);
        }
        if r.u32_at(pos + total - 4, self.big_endian)? != Some(total as u32) {
            return Ok(Rec::Bad);
        }
        Ok(Rec::Whole { end: pos + total, frame: matches!(kind, 2 | 3 | 6), time: None })
    }
}

/// pcapng: the blocks, with damaged ones skipped and a partial last one cut off. Frames: enhanced,
/// simple and obsolete packet blocks.
fn pcapng(r: &mut Reader) -> Result<Verdict, RepairError> {
    let len = r.len;
    if len < 28 {
        return Err(RepairError::NotCapture("a pcapng signature but no whole section header".into()));
    }
    let big_endian = match r.get(8, 4)? {
        Some([0x4D, 0x3C, 0x2B, 0x1A]) => false,
        Some([0x1A, 0x2B, 0x3C, 0x4D]) => true,
        _ => return Err(RepairError::NotCapture("pcapng section header without its byte-order magic".into())),
    };
    let mut f = PcapngRecords { big_endian };
    let Rec::Whole { end: shb_end, .. } = f.at(r, 0, len, false)? else {
        return Err(RepairError::NotCapture("no whole pcapng section header".into()));
    };
    let s = scan(r, &mut f, shb_end, len)?.map_err(RepairError::Damaged)?;
    sequential(s, shb_end, len)
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

    fn frames(path: &Path) -> u64 {
        repair(path).unwrap().frames
    }

    /// A finished file of `n` frames in `format`, and the file as a crash would leave it: for
    /// Network Monitor 2 the records without table and header fields (what the writer had
    /// flushed), for pcap/pcapng the file cut inside its last record.
    fn files(dir: &Path, format: FileFormat, n: u32) -> (std::path::PathBuf, Vec<u8>) {
        let (path, file) = capfile::create_unique(dir, format.extension()).unwrap();
        let mut w = capfile::writer(format, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for i in 0..n {
            let mut f = vec![0x02u8; 60 + (i as usize % 40)];
            f[12] = 0x88;
            f[13] = 0xB5;
            f[14..18].copy_from_slice(&i.to_le_bytes());
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

    /// Where frame `i`'s record starts, and its length field, in a file from `files`.
    fn record_of(format: FileFormat, i: u32) -> (usize, usize) {
        let before: usize = (0..i as usize).map(|k| 60 + k % 40).sum();
        match format {
            FileFormat::Netmon2 => (128 + 16 * i as usize + before, 12),
            FileFormat::Pcap => (24 + 16 * i as usize + before, 8),
            FileFormat::Pcapng => {
                let padded: usize = (0..i as usize).map(|k| (60 + k % 40).div_ceil(4) * 4).sum();
                (28 + 32 + 32 * i as usize + padded, 4)
            }
        }
    }

    /// The frames a reader gets: the first 4 bytes after the EtherType of each (its number).
    fn numbers(format: FileFormat, bytes: &[u8], path: &Path) -> Vec<u32> {
        match format {
            FileFormat::Netmon2 => {
                let (t, n) = (le32(bytes, 0x18) as usize, le32(bytes, 0x1C) as usize);
                (0..n / 4).map(|k| le32(bytes, le32(bytes, t + 4 * k) as usize + 16 + 14)).collect()
            }
            _ => {
                let mut c = pcap::Capture::from_file(path).unwrap();
                std::iter::from_fn(|| c.next_packet().ok().map(|p| le32(p.data, 14))).collect()
            }
        }
    }

    #[test]
    fn cut_off_files_are_completed_and_sound_ones_left_alone() {
        let dir = scratch("formats");
        for format in [FileFormat::Netmon2, FileFormat::Pcap, FileFormat::Pcapng] {
            let (path, cut) = files(&dir, format, 50);
            let sound = std::fs::read(&path).unwrap();
            let r = repair(&path).unwrap();
            assert_eq!((r.frames, r.rewritten), (50, false), "{format:?}: a sound file answers its count");
            assert_eq!(std::fs::read(&path).unwrap(), sound, "{format:?}: and is left as it is");
            std::fs::write(&path, &cut).unwrap();
            let want = if format == FileFormat::Netmon2 { 50 } else { 49 };
            let r = repair(&path).unwrap();
            assert_eq!((r.frames, r.rewritten, r.tail_cut, r.damaged_skipped), (want, true, format != FileFormat::Netmon2, 0), "{format:?}: frames recovered");
            let last = record_of(format, 49).0 as u64;
            assert_eq!(r.bytes_dropped, if format == FileFormat::Netmon2 { 0 } else { cut.len() as u64 - last }, "{format:?}");
            let again = repair(&path).unwrap();
            assert_eq!((again.frames, again.rewritten), (want, false), "{format:?}: repairing again changes nothing");
            assert_eq!(numbers(format, &std::fs::read(&path).unwrap(), &path), (0..want as u32).collect::<Vec<_>>());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 18 item 4: one damaged record length at frame 100 of 5001 cut the file to 100 frames
    /// (in Network Monitor 2 even with an intact frame table, and in pcap). Now the damaged record
    /// is skipped and every other one kept, in every format, finished or cut off by a crash.
    #[test]
    fn a_damaged_record_in_the_middle_is_skipped_not_cut() {
        let dir = scratch("middle");
        for format in [FileFormat::Netmon2, FileFormat::Pcap, FileFormat::Pcapng] {
            for finished in [true, false] {
                if !finished && format != FileFormat::Netmon2 {
                    continue; // pcap and pcapng have nothing written at the end
                }
                let tag = format!("{format:?} finished {finished}");
                let (path, cut) = files(&dir, format, 5001);
                let mut bytes = if finished { std::fs::read(&path).unwrap() } else { cut };
                let (at, field) = record_of(format, 100);
                bytes[at + field..at + field + 4].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
                std::fs::write(&path, &bytes).unwrap();
                let r = repair(&path).unwrap();
                let size = record_of(format, 101).0 - at;
                assert_eq!((r.frames, r.rewritten, r.damaged_skipped, r.tail_cut, r.bytes_dropped), (5000, true, 1, false, size as u64), "{tag}");
                let want: Vec<u32> = (0..5001).filter(|&i| i != 100).collect();
                assert_eq!(numbers(format, &std::fs::read(&path).unwrap(), &path), want, "{tag}");
                assert!(!repair(&path).unwrap().rewritten, "{tag}: sound now");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A damaged record that no readable record follows, with more than a record after it, is not a
    /// tail: the file is left as it is.
    #[test]
    fn damage_with_nothing_readable_after_it_leaves_the_file_alone() {
        let dir = scratch("unpassable");
        let (path, _) = files(&dir, FileFormat::Pcap, 5001);
        let mut bytes = std::fs::read(&path).unwrap();
        let (at, _) = record_of(FileFormat::Pcap, 100);
        // Everything from frame 100 on is noise (no record header is plausible in it).
        for (k, b) in bytes[at..].iter_mut().enumerate() {
            *b = 0xF0 | (k % 16) as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = repair(&path).unwrap_err();
        assert!(matches!(&e, RepairError::Damaged(m) if m.contains("after 100 whole frames")), "{e:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // A tail of zeros (what a crash may leave) is cut however long.
        bytes.truncate(at);
        bytes.extend(std::iter::repeat(0).take(3 << 20));
        std::fs::write(&path, &bytes).unwrap();
        let r = repair(&path).unwrap();
        assert_eq!((r.frames, r.tail_cut, r.bytes_dropped), (100, true, 3 << 20));
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
        let r = repair(&path).unwrap();
        assert_eq!((r.frames, r.tail_cut, r.bytes_dropped), (10, true, 116));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A finished file whose table points at a record that is not plausible (found by
    /// fuzz/repair_capture: a stored length of 520159232 in a finished file's fourth record) is not
    /// sound; it loses that record only (before issue 18 item 4: every record from it on).
    #[test]
    fn a_table_pointing_at_a_bad_record_is_not_sound() {
        let dir = scratch("bad-record");
        let (path, _) = files(&dir, FileFormat::Netmon2, 10);
        let mut bytes = std::fs::read(&path).unwrap();
        let table_off = le32(&bytes, 0x18) as usize;
        let fourth = le32(&bytes, table_off + 12) as usize;
        bytes[fourth + 12..fourth + 16].copy_from_slice(&520_159_232u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(frames(&path), 9, "every record but the bad one");
        let repaired = std::fs::read(&path).unwrap();
        assert_eq!(repaired.len(), bytes.len(), "the table is rewritten where it was");
        assert_eq!((le32(&repaired, 0x18) as usize, le32(&repaired, 0x1C)), (table_off, 36));
        assert_eq!(numbers(FileFormat::Netmon2, &repaired, &path), [0, 1, 2, 4, 5, 6, 7, 8, 9]);
        // Records that overlap (a table entry inside the record before) are not sound either: the
        // records themselves are whole, so they are all kept.
        let (path, _) = files(&dir, FileFormat::Netmon2, 10);
        let mut bytes = std::fs::read(&path).unwrap();
        let second = le32(&bytes, table_off + 4);
        bytes[table_off + 4..table_off + 8].copy_from_slice(&(second - 1).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(frames(&path), 10, "completed again from its records");
        assert_eq!(std::fs::read(&path).unwrap().len(), bytes.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A finished file whose frame has a wire length beyond what a scan takes as plausible (found
    /// by fuzz/replay_pcap: a replayed record said 671088640 bytes on the wire, the writer kept it)
    /// is sound: its table vouches for its records. The first check of the records cut it to 0 frames.
    #[test]
    fn a_finished_file_keeps_a_frame_of_any_wire_length() {
        let dir = scratch("wire");
        let (path, file) = capfile::create_unique(&dir, "cap").unwrap();
        let mut w = capfile::writer(FileFormat::Netmon2, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
        for wire in [60, 0x2800_0000, u32::MAX] {
            w.write_frame(Timestamp { sec: 1_700_000_000, nsec: 0 }, wire, &[0x02; 60]).unwrap();
        }
        assert!(w.finish().result.is_ok());
        let sound = std::fs::read(&path).unwrap();
        assert_eq!(frames(&path), 3);
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
            assert_eq!(frames(&path), 2, "2.{minor} swapped {swapped}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes[..whole], "2.{minor} swapped {swapped}");
            let lib = pcap::Capture::from_file(&path).map(|mut c| std::iter::from_fn(|| c.next_packet().ok().map(|p| p.data.len())).collect::<Vec<_>>());
            assert_eq!(lib.unwrap(), [60, 60], "libpcap reads what is left, 2.{minor} swapped {swapped}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// pcapng Simple Packet Blocks are frames (counted, kept); a damaged block between them is
    /// skipped.
    #[test]
    fn pcapng_simple_packet_blocks_count() {
        let dir = scratch("spb");
        let block = |kind: u32, body: &[u8]| {
            let mut body = body.to_vec();
            body.resize(body.len().div_ceil(4) * 4, 0);
            let total = (12 + body.len()) as u32;
            [&kind.to_le_bytes()[..], &total.to_le_bytes(), &body, &total.to_le_bytes()].concat()
        };
        let mut bytes = block(0x0A0D_0D0A, &[0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        bytes.extend(block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
        let mut damaged_at = 0;
        for i in 0..7u32 {
            let pkt: Vec<u8> = (0..60 + i).map(|k| k as u8 ^ i as u8).collect();
            if i == 4 {
                damaged_at = bytes.len();
            }
            bytes.extend(block(3, &[&(pkt.len() as u32).to_le_bytes()[..], &pkt].concat()));
        }
        let path = dir.join("spb.pcapng");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!((frames(&path), repair(&path).unwrap().rewritten), (7, false));
        bytes[damaged_at + 4] ^= 0x40; // its length no longer matches the one at its end
        std::fs::write(&path, &bytes).unwrap();
        let r = repair(&path).unwrap();
        assert_eq!((r.frames, r.damaged_skipped, r.bytes_dropped), (6, 1, 80));
        let mut c = pcap::Capture::from_file(&path).unwrap();
        assert_eq!(std::iter::from_fn(|| c.next_packet().ok().map(|p| p.data.len())).collect::<Vec<_>>(), [60, 61, 62, 63, 65, 66]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The repaired file replaces the original by rename: a new inode with the original's mode and
    /// owner; no temporary file is left; a symbolic link is refused, not followed.
    #[test]
    fn written_beside_and_renamed_keeping_mode_and_owner() {
        use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
        let dir = scratch("rename");
        let (path, cut) = files(&dir, FileFormat::Pcap, 20);
        std::fs::write(&path, &cut).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::metadata(&path).unwrap();
        let link = dir.join("link.pcap");
        symlink(&path, &link).unwrap();
        assert!(matches!(repair(&link), Err(RepairError::Denied(m)) if m.contains("symbolic link")));
        assert_eq!(std::fs::read(&path).unwrap(), cut, "the link's target is untouched");
        assert_eq!(frames(&path), 19);
        let after = std::fs::metadata(&path).unwrap();
        assert_ne!(after.ino(), before.ino());
        assert_eq!((after.mode(), after.uid(), after.gid()), (before.mode(), before.uid(), before.gid()));
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 18 item 4: a read-only file that needs no repair is sound (before: the file was opened
    /// for writing first, NMERR_ACCESS_DENIED); one that needs repair is refused and left alone.
    #[test]
    fn a_read_only_file_is_read_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("read-only");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (sound, _) = files(&dir, FileFormat::Netmon2, 5);
        let (cut_path, cut) = files(&dir, FileFormat::Pcap, 5);
        std::fs::write(&cut_path, &cut).unwrap();
        for p in [&sound, &cut_path] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        let check = || -> i32 {
            match (repair(&sound), repair(&cut_path)) {
                (Ok(r), Err(RepairError::Denied(_))) if r.frames == 5 && !r.rewritten => 0,
                _ => 1,
            }
        };
        // SAFETY: geteuid has no preconditions.
        let status = if unsafe { libc::geteuid() } != 0 {
            check()
        } else {
            // As root every file is writable: check as another user, in a child process.
            for p in [&sound, &cut_path] {
                std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
            }
            // SAFETY: the child only calls the repair, which allocates and does file I/O, then
            // leaves with _exit; the parent waits for it.
            unsafe {
                let pid = libc::fork();
                if pid == 0 {
                    let code = if libc::setgid(65534) == 0 && libc::setuid(65534) == 0 { check() } else { 2 };
                    libc::_exit(code);
                }
                let mut st = 0;
                libc::waitpid(pid, &mut st, 0);
                libc::WEXITSTATUS(st)
            }
        };
        assert_eq!(status, 0);
        assert_eq!(std::fs::read(&cut_path).unwrap(), cut);
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
        // A directory says so (before: opened for writing, EISDIR, NMERR_FILE_WRITE_ERROR).
        assert!(matches!(repair(&dir), Err(RepairError::NotCapture(m)) if m.contains("a directory")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
