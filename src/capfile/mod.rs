//! Capture files: one `CaptureWriter` trait and its three formats (docs/architecture.md, Layers):
//! Network Monitor 2 (`netmon2.rs`, the default), pcap (`pcap.rs`) and pcapng (`pcapng.rs`).
//!
//! A writer takes frames in order (timestamp, length on the wire, stored bytes) and makes large
//! sequential writes. `finish` completes the file (for Network Monitor 2: the frame table and the
//! header). After a write error (a full disk) the writer cuts the file back to its last complete
//! frame, so `finish` still leaves a file that Wireshark reads with every frame written before.
//!
//! What the engine can rely on (all three formats):
//! * Frames are copied into a 1 MiB buffer and written one buffer at a time; `flush` writes what
//!   is buffered now (the engine calls it when the link goes quiet and at least twice a second),
//!   `finish` (or dropping the writer, which finishes it and loses any error) writes the rest.
//! * `write_frame` stores at most the snap length (pcap, pcapng) or 262144 bytes (Network
//!   Monitor) of `data`, and writes the wire length as at least the stored length.
//! * `Err(WriteError::Io)`: the buffer could not be written. The file is cut back to its last
//!   whole frame, and `frames()` / `bytes()` drop to the frames it holds and their stored bytes
//!   (frames accepted earlier but still buffered may be lost). For Network Monitor the file is completed at once (frame
//!   table and header; frames are dropped from the end if the table does not fit otherwise), so
//!   `frames()` is exact. Every later `write_frame` returns `Io` too; call `finish` (it returns
//!   `Ok` unless completing the file failed).
//! * `Err(WriteError::FileLimit)` (Network Monitor only, 4 GiB): nothing was written; every later
//!   `write_frame` returns `FileLimit` too; `finish` completes the file with the frames before.
//! * `finish` returns `Err` when frames accepted were lost (the disk filled while writing the
//!   buffer or the frame table; the file is still complete with the frames that fit) or when the
//!   file could not be completed. It does not fsync.
//! * With no frame, `finish` still completes the file: a valid empty pcap/pcapng file, and a
//!   Network Monitor file with an empty frame table (which Wireshark refuses to open).
//! * `finish_with_statistics` is `finish` for pcap and pcapng; the Network Monitor writer first
//!   appends the statistics frame to a file with frames, stamped when the capture ended on the
//!   frames' clock (the latest frame's time plus the time since it was written: now for a live
//!   capture; for a replay of old frames, just after them).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The `CaptureWriter` methods of a writer that is its `Sink` plus a `done` flag and a
/// `complete()` (pcap, pcapng): counts from the sink; `flush` writes its buffer (nothing once
/// complete or failed); `finish` completes the file.
macro_rules! sink_writer_methods {
    () => {
        fn frames(&self) -> u64 {
            self.sink.frames()
        }

        fn bytes(&self) -> u64 {
            self.sink.bytes()
        }

        fn flush(&mut self) -> Result<(), WriteError> {
            if self.done || self.sink.failed {
                return Ok(());
            }
            self.sink.flush().map_err(WriteError::Io)
        }

        fn finish(mut self: Box<Self>) -> super::Finished {
            let result = self.complete();
            super::Finished { frames: self.frames(), bytes: self.bytes(), result }
        }
    };
}

pub mod dir;
pub mod netmon2;
pub mod output;
pub mod pcap;
pub mod pcapng;
pub mod pcapng_stream;
pub mod repair;
pub mod series;

/// The file formats the library writes (`NPP:Config:FileFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Netmon2,
    Pcap,
    Pcapng,
}

impl FileFormat {
    /// From the `NPP:Config:FileFormat` text (`NETMON2`, `PCAP`, `PCAPNG`, any case).
    pub fn from_name(s: &str) -> Option<FileFormat> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NETMON2" => Some(FileFormat::Netmon2),
            "PCAP" => Some(FileFormat::Pcap),
            "PCAPNG" => Some(FileFormat::Pcapng),
            _ => None,
        }
    }

    /// The file name extension of a file in this format, without the dot: `cap` (Network Monitor
    /// 2), `pcap`, `pcapng`.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Netmon2 => "cap",
            FileFormat::Pcap => "pcap",
            FileFormat::Pcapng => "pcapng",
        }
    }
}

/// A frame's capture time: seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub sec: i64,
    pub nsec: u32,
}

/// Why a frame was not written.
#[derive(Debug)]
pub enum WriteError {
    /// The format's size limit (Network Monitor 2: 4 GiB of 32-bit offsets) would be passed; the
    /// frame was not written and the file is intact. The capture should stop.
    FileLimit,
    /// The operating system refused the write (ENOSPC, EIO ...). The file was cut back to its last
    /// complete frame; no further frame is accepted.
    Io(io::Error),
}

/// Writes frames into one capture file.
pub trait CaptureWriter: Send {
    /// Appends one frame: `data` are the stored bytes (possibly clipped), `wire_len` the length
    /// on the wire (`wire_len >= data.len()`).
    fn write_frame(&mut self, ts: Timestamp, wire_len: u32, data: &[u8]) -> Result<(), WriteError>;
    /// Frames written so far (in the file or buffered, not lost).
    fn frames(&self) -> u64;
    /// The stored bytes (without record headers) of those frames.
    fn bytes(&self) -> u64;
    /// Writes what is buffered now. An error is a write error as from `write_frame` (`Io`: the
    /// file was cut back to its last whole frame; nothing more is accepted).
    fn flush(&mut self) -> Result<(), WriteError>;
    /// Completes and flushes the file, and returns the frames it holds and their stored bytes
    /// (fewer than `frames()` / `bytes()` said when frames still buffered were lost to a write
    /// error) and the error, if any. A file with no frame is completed too (the caller decides
    /// whether to keep it).
    fn finish(self: Box<Self>) -> Finished;
    /// Appends a Network Monitor special frame (`data`: its bytes, see `netmon2::special_frame`)
    /// at this point of the capture. pcapng stores `comment` (what the frame is) as the packet's
    /// `opt_comment`; the other formats store the bytes only.
    fn write_special(&mut self, ts: Timestamp, data: &[u8], comment: &str) -> Result<(), WriteError> {
        let _ = comment;
        self.write_frame(ts, data.len() as u32, data)
    }
    /// The size in bytes the completed file would have if one more frame of `data_len` bytes were
    /// written now (with `comment`: by `write_special`), including what completing it adds (the
    /// Network Monitor frame table and the statistics frame that `finish_with_statistics` may
    /// append). Rotation (README, "Rotation") starts a new file before a frame that would take
    /// this past its limit. The default (for writers with no overhead) is `bytes() + data_len`.
    fn size_with(&self, data_len: usize, comment: Option<&str>) -> u64 {
        let _ = comment;
        self.bytes() + data_len as u64
    }
    /// `finish`, after storing the capture's final statistics where the format has a place for
    /// them: the Network Monitor 2 writer appends Network Monitor's statistics frame (only to a
    /// file that holds frames; a frame that cannot be written is left out, and `finish` reports
    /// as if it had not been tried). pcap and pcapng have no such place and ignore `statistics`.
    fn finish_with_statistics(self: Box<Self>, statistics: Option<&crate::types::STATISTICS>) -> Finished {
        let _ = statistics;
        self.finish()
    }
}

/// What `CaptureWriter::finish` reports.
#[derive(Debug)]
pub struct Finished {
    /// Frames the completed file holds.
    pub frames: u64,
    /// Their stored bytes.
    pub bytes: u64,
    /// Why frames were lost or the file could not be completed, if so.
    pub result: io::Result<()>,
}

/// What a writer needs to know about the frames (pcap LINKTYPE_* and the snap length).
#[derive(Clone, Copy, Debug)]
pub struct StreamInfo {
    /// pcap LINKTYPE_* value of every frame (1 = Ethernet).
    pub linktype: u32,
    /// Largest stored length (0 = unlimited, written as 262144).
    pub snaplen: u32,
}

/// Creates a new capture file named `nm-<unpredictable>.<extension>` in `dir` (which must exist)
/// with mode 0600 (O_EXCL: an existing file is never overwritten), and returns its path and the
/// file. `extension` (without the dot) is the format's, `FileFormat::extension`.
pub fn create_unique(dir: &Path, extension: &str) -> io::Result<(PathBuf, File)> {
    let opened = dir::CaptureDir::open_existing(dir)?;
    create_unique_in(&opened, extension)
}

/// `create_unique` in an opened, checked capture directory: the file is created relative to its
/// descriptor (`openat`, no symlink followed).
pub fn create_unique_in(dir: &dir::CaptureDir, extension: &str) -> io::Result<(PathBuf, File)> {
    const ATTEMPTS: usize = 8;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let name = format!("nm-{:016x}.{extension}", random_u64()?);
        match dir.create_file(&name) {
            Ok(file) => return Ok((dir.path().join(name), file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// A writer of `format` over `file`, which must be empty and positioned at 0 (as
/// `create_unique` returns it). Fails with `Unsupported` for a link type the format can't hold
/// (Network Monitor: see `netmon2.rs`; pcapng: above 0xFFFF), or with the error of writing the
/// file header.
pub fn writer(format: FileFormat, file: File, info: StreamInfo) -> io::Result<Box<dyn CaptureWriter>> {
    match format {
        FileFormat::Netmon2 => Ok(Box::new(netmon2::Netmon2Writer::new(file, info)?)),
        FileFormat::Pcap => Ok(Box::new(pcap::PcapWriter::new(file, info)?)),
        FileFormat::Pcapng => Ok(Box::new(pcapng::PcapngWriter::new(file, info)?)),
    }
}

/// A capture "file" on a descriptor the caller gave (`NPP:Config:CaptureFileDescriptor`): a
/// duplicate of `fd` (F_DUPFD_CLOEXEC), owned by the writer and closed when it finishes; the
/// caller's descriptor stays the caller's. pcap and pcapng stream (they never seek), so `fd` may
/// be a pipe, a socket or a terminal as well as a file (written from its current offset).
pub fn open_stream(fd: i32) -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // A pipe is opened again (a description of its own, non-blocking, which the caller's
    // descriptor does not share): a reader that stops reading then cannot hold Stop up.
    // SAFETY: fstat fills a stat struct we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above; a bad descriptor answers an error.
    if unsafe { libc::fstat(fd, &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO {
        let path = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL");
        // SAFETY: opens a NUL-terminated path; the descriptor returned is new and ours.
        let again = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if again >= 0 {
            // SAFETY: `again` was just opened and is owned by nobody else.
            return Ok(unsafe { File::from_raw_fd(again) });
        }
    }
    // SAFETY: fcntl on a descriptor number, no memory involved; the descriptor it returns is new
    // and owned by nobody else.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `dup` was just made and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(dup) })
}

/// The words for a write error on a capture stream: a reader that went away (EPIPE) is named so.
pub fn stream_error_text(e: &io::Error) -> String {
    if e.raw_os_error() == Some(libc::EPIPE) {
        format!("the reader of the capture stream went away ({e})")
    } else {
        e.to_string()
    }
}

/// The largest stored frame length any writer puts in a file (and the snap length written for
/// "unlimited"): Wireshark refuses larger records (wiretap's WTAP_MAX_PACKET_SIZE_STANDARD).
pub(crate) const MAX_STORED: u32 = 262_144;

/// Size of a writer's buffer: frames are copied into it and written with one `write` per MiB.
const BUF_SIZE: usize = 1 << 20;

/// 64 bits from the kernel's random source (getrandom(2); blocks only before the pool is seeded).
fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    let mut got = 0;
    while got < bytes.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `bytes`.
        let n = unsafe { libc::getrandom(bytes[got..].as_mut_ptr().cast(), bytes.len() - got, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        got += n as usize;
    }
    Ok(u64::from_ne_bytes(bytes))
}

/// The stored length and the length on the wire actually written for a frame: the stored bytes
/// are clipped to `max_stored`, and the wire length is raised to the stored length if the caller
/// gave less (every format requires wire >= stored).
fn frame_lengths(wire_len: u32, data: &[u8], max_stored: u32) -> (usize, u32) {
    let stored = data.len().min(max_stored as usize);
    (stored, wire_len.max(stored as u32))
}

/// Writes `buf` at the file's current position; returns how many bytes reached the file and the
/// error that stopped it, if any. `Interrupted` is retried.
fn write_counted(file: &mut File, buf: &[u8]) -> (usize, Option<io::Error>) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let mut done = 0;
    let mut stop_seen: Option<std::time::Instant> = None;
    while done < buf.len() {
        match file.write(&buf[done..]) {
            Ok(0) => return (done, Some(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A stream (open_stream: a pipe, written without blocking) whose reader is not
            // reading: wait for room, but give up once the capture was stopped STREAM_GIVE_UP ago.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // A thread that was not told (Start writing the header) waits that long at most.
                if STOP_REQUESTED.with(|s| s.borrow().as_ref().map_or(true, |f| f())) {
                    let since = *stop_seen.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() >= STREAM_GIVE_UP {
                        return (done, Some(io::Error::new(io::ErrorKind::TimedOut, "the reader of the capture stream stopped reading")));
                    }
                }
                let mut pfd = libc::pollfd { fd: file.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
                // SAFETY: one pollfd on the stack, for the duration of the call.
                unsafe { libc::poll(&mut pfd, 1, 50) };
            }
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// How long writing to a stream whose reader does not read goes on after the capture was
/// stopped: then the write gives up (the capture ends with NMERR_FILE_WRITE_ERROR) and Stop
/// returns.
pub const STREAM_GIVE_UP: std::time::Duration = std::time::Duration::from_secs(2);

thread_local! {
    /// Whether the capture that writes on this thread was stopped (set by the capture thread).
    static STOP_REQUESTED: std::cell::RefCell<Option<Box<dyn Fn() -> bool>>> = const { std::cell::RefCell::new(None) };
}

/// Tells the writes of this thread how to know that their capture was stopped (a write to a
/// stream that cannot go on gives up STREAM_GIVE_UP after it).
pub fn stop_requested_is(f: Box<dyn Fn() -> bool>) {
    STOP_REQUESTED.with(|s| *s.borrow_mut() = Some(f));
}

/// Like `write_counted`, at absolute offset `pos` (pwrite; the file position is not used).
fn write_counted_at(file: &File, buf: &[u8], pos: u64) -> (usize, Option<io::Error>) {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match file.write_at(&buf[done..], pos + done as u64) {
            Ok(0) => return (done, Some(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// The buffered, sequential file under every writer. It knows where each complete frame ends,
/// so that after a failed write it can cut the file back to the last frame that reached it
/// whole.
///
/// Invariants: the file holds bytes `0..file_end`, all of them complete (header + whole frames);
/// `buf` holds the bytes for `file_end..file_end + buf.len()`, and `ends` the absolute end of
/// each whole frame in `buf`, in order, `stored` its stored bytes. `file_bytes` / `buf_bytes`
/// are the stored bytes of the frames in the file / in `buf`.
struct Sink {
    file: File,
    buf: Vec<u8>,
    ends: Vec<u64>,
    stored: Vec<u32>,
    file_end: u64,
    file_frames: u64,
    file_bytes: u64,
    buf_bytes: u64,
    failed: bool,
}

impl Sink {
    /// Writes `header` straight to the (empty, position 0) file, then buffers what follows.
    fn new(mut file: File, header: &[u8]) -> io::Result<Sink> {
        let (_, err) = write_counted(&mut file, header);
        if let Some(e) = err {
            return Err(e);
        }
        Ok(Sink {
            file,
            buf: Vec::with_capacity(BUF_SIZE),
            ends: Vec::with_capacity(4096),
            stored: Vec::with_capacity(4096),
            file_end: header.len() as u64,
            file_frames: 0,
            file_bytes: 0,
            buf_bytes: 0,
            failed: false,
        })
    }

    /// Absolute offset where the next frame's record starts.
    fn pos(&self) -> u64 {
        self.file_end + self.buf.len() as u64
    }

    /// Frames accepted and not lost: in the file or in the buffer.
    fn frames(&self) -> u64 {
        self.file_frames + self.ends.len() as u64
    }

    /// The stored bytes of those frames.
    fn bytes(&self) -> u64 {
        self.file_bytes + self.buf_bytes
    }

    /// Appends one frame record made of `parts`, of which `stored` bytes are the frame's own.
    /// Fails (with the file cut back, see `flush`) when the buffer had to be written and the
    /// write failed; the frame is then not taken.
    fn frame(&mut self, parts: &[&[u8]], stored: usize) -> io::Result<()> {
        debug_assert!(!self.failed);
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if !self.buf.is_empty() && self.buf.len() + len > BUF_SIZE {
            self.flush()?;
        }
        // Only a frame larger than the whole buffer makes it grow (once, to that size).
        self.buf.reserve(len);
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        self.ends.push(self.pos());
        self.stored.push(stored as u32);
        self.buf_bytes += stored as u64;
        Ok(())
    }

    /// Writes the buffer. On an error the file is cut back to the end of the last frame that
    /// reached it whole, the rest of the buffer is dropped, and the sink is marked failed.
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let (written, err) = write_counted(&mut self.file, &self.buf);
        let reached = self.file_end + written as u64;
        match err {
            None => {
                self.file_end = reached;
                self.file_frames += self.ends.len() as u64;
                self.file_bytes += self.buf_bytes;
                self.clear_buf();
                Ok(())
            }
            Some(e) => {
                let whole = self.ends.partition_point(|&end| end <= reached);
                if whole > 0 {
                    self.file_end = self.ends[whole - 1];
                }
                self.file_frames += whole as u64;
                self.file_bytes += self.stored[..whole].iter().map(|&n| u64::from(n)).sum::<u64>();
                self.clear_buf();
                self.failed = true;
                // Best effort: if even this fails the error below is still what the caller sees.
                let _ = self.file.set_len(self.file_end);
                Err(e)
            }
        }
    }

    fn clear_buf(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.stored.clear();
        self.buf_bytes = 0;
    }

    /// Drops the last frames so that the file ends at `end` and holds `frames` frames of `bytes`
    /// stored bytes (used by the Network Monitor writer when its frame table does not fit).
    /// Buffer must be empty.
    fn cut_back(&mut self, end: u64, frames: u64, bytes: u64) -> io::Result<()> {
        debug_assert!(self.buf.is_empty());
        self.file_end = end;
        self.file_frames = frames;
        self.file_bytes = bytes;
        self.file.set_len(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn format_names() {
        assert_eq!(FileFormat::from_name(" netmon2 "), Some(FileFormat::Netmon2));
        assert_eq!(FileFormat::from_name("PcapNG"), Some(FileFormat::Pcapng));
        assert_eq!(FileFormat::from_name("pcap"), Some(FileFormat::Pcap));
        assert_eq!(FileFormat::from_name("cap"), None);
        let exts: Vec<_> = [FileFormat::Netmon2, FileFormat::Pcap, FileFormat::Pcapng].iter().map(|f| f.extension()).collect();
        assert_eq!(exts, ["cap", "pcap", "pcapng"]);
    }

    #[test]
    fn unique_files_are_new_private_and_unpredictable() {
        let dir = std::env::temp_dir().join(format!("ndisnpp-capfile-{}-{:x}", std::process::id(), random_u64().unwrap()));
        std::fs::create_dir(&dir).unwrap();
        let mut names = std::collections::HashSet::new();
        for i in 0..21 {
            let ext = ["cap", "pcap", "pcapng"][i % 3];
            let (path, _file) = create_unique(&dir, ext).unwrap();
            assert_eq!(path.parent(), Some(dir.as_path()));
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            assert_eq!(name.len(), "nm-".len() + 16 + 1 + ext.len(), "{name}");
            assert!(name.starts_with("nm-") && name.ends_with(&format!(".{ext}")), "{name}");
            assert!(name[3..19].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{name}");
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            assert!(names.insert(name));
        }
        let missing = create_unique(&dir.join("missing"), "cap");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn pcap_and_pcapng_ignore_the_final_statistics() {
        let st = crate::types::STATISTICS { TotalFramesCaptured: 1, ..Default::default() };
        for format in [FileFormat::Pcap, FileFormat::Pcapng] {
            // The same frame finished with and without statistics: the same file.
            let files: Vec<Vec<u8>> = [None, Some(&st)]
                .into_iter()
                .map(|statistics| {
                    let (path, file) = create_unique(&std::env::temp_dir(), format.extension()).unwrap();
                    let mut w = writer(format, file, StreamInfo { linktype: 1, snaplen: 0 }).unwrap();
                    w.write_frame(Timestamp { sec: 1, nsec: 0 }, 60, &[1u8; 60]).unwrap();
                    let done = w.finish_with_statistics(statistics);
                    let bytes = std::fs::read(&path).unwrap();
                    std::fs::remove_file(&path).unwrap();
                    done.result.unwrap();
                    assert_eq!((done.frames, done.bytes), (1, 60), "{format:?}");
                    bytes
                })
                .collect();
            assert_eq!(files[0], files[1], "{format:?}");
        }
    }

    #[test]
    fn frame_lengths_clip_and_raise() {
        assert_eq!(frame_lengths(1514, &[0; 100], 64), (64, 1514));
        assert_eq!(frame_lengths(10, &[0; 60], 262_144), (60, 60));
        assert_eq!(frame_lengths(60, &[0; 60], 262_144), (60, 60));
    }
}
