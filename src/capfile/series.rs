//! Rotation: a capture written to a series of files in one capture directory (README,
//! "Rotation"). This module names and creates the files (with the capture directory's rules:
//! relative to its checked descriptor, mode 0600, O_EXCL, no symlink followed) and deletes the
//! oldest beyond the number to keep; the capture thread decides when to switch.
//!
//! Names: `<base>_<sequence>_<start>.<ext>`: `base` is the configured `RotateBaseName`, else
//! `nm-<16 random hex digits>` (one per series); `sequence` counts from 1, at least 5 digits
//! (`00001`); `start` is the UTC wall-clock time the file was created, `YYYYMMDDTHHMMSSZ`; `ext`
//! is `cap` (Network Monitor 2), `pcap` or `pcapng`. Sorted by name, a series is in order.

use super::dir::CaptureDir;
use super::{writer, CaptureWriter, FileFormat, StreamInfo};
use std::collections::VecDeque;
use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// The file name extension of a format's rotated files.
pub fn extension(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Netmon2 => "cap",
        FileFormat::Pcap => "pcap",
        FileFormat::Pcapng => "pcapng",
    }
}

/// `YYYYMMDDTHHMMSSZ` of `secs` since the Unix epoch (UTC).
fn utc_stamp(secs: i64) -> String {
    // SAFETY: `tm` is plain data that gmtime_r fills; both pointers are valid for the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let t: libc::time_t = secs as libc::time_t;
        libc::gmtime_r(&t, &mut tm);
        tm
    };
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The name of file `seq` of series `base` started at `secs` (UTC).
pub fn file_name(base: &str, seq: u64, secs: i64, format: FileFormat) -> String {
    format!("{base}_{seq:05}_{}.{}", utc_stamp(secs), extension(format))
}

/// A new file of a series: its path, its sequence number, its writer.
pub struct NewFile {
    pub path: PathBuf,
    pub seq: u64,
    pub writer: Box<dyn CaptureWriter>,
}

/// The files of one rotating capture.
pub struct Series {
    dir: CaptureDir,
    base: String,
    format: FileFormat,
    info: StreamInfo,
    /// Files to keep (0 = all).
    keep: u32,
    /// The last sequence number used.
    seq: u64,
    /// Names of this series' files still on disk, oldest first (only kept when `keep` > 0).
    kept: VecDeque<String>,
}

impl Series {
    /// Creates the first file (sequence 1) in `dir`. Without `base`, the series is named
    /// `nm-<random>` (a name taken already is tried again with another); with one, an existing
    /// file of that name is an error (`AlreadyExists`), never overwritten.
    pub fn start(dir: CaptureDir, base: Option<&str>, format: FileFormat, info: StreamInfo, keep: u32) -> io::Result<(Series, NewFile)> {
        let mut series = Series { dir, base: String::new(), format, info, keep, seq: 0, kept: VecDeque::new() };
        const ATTEMPTS: usize = 8;
        for attempt in 0.. {
            series.base = match base {
                Some(b) => b.to_string(),
                None => format!("nm-{:016x}", super::random_u64()?),
            };
            match series.next_file() {
                Ok(f) => return Ok((series, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && base.is_none() && attempt + 1 < ATTEMPTS => {}
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns")
    }

    /// The series' directory.
    pub fn dir(&self) -> &CaptureDir {
        &self.dir
    }

    /// Creates the next file (call once the current one is complete), then deletes the oldest
    /// files beyond the number to keep (a file already gone is no error; one that cannot be
    /// deleted is left). On an error nothing was created and the sequence number is not used.
    pub fn next_file(&mut self) -> io::Result<NewFile> {
        let seq = self.seq + 1;
        let name = file_name(&self.base, seq, now_secs(), self.format);
        let file = self.dir.create_file(&name)?;
        let path = self.dir.path().join(&name);
        let w = match writer(self.format, file, self.info) {
            Ok(w) => w,
            Err(e) => {
                self.unlink(&name);
                return Err(e);
            }
        };
        self.seq = seq;
        if self.keep > 0 {
            self.kept.push_back(name);
            while self.kept.len() > self.keep as usize {
                if let Some(old) = self.kept.pop_front() {
                    self.unlink(&old);
                }
            }
        }
        Ok(NewFile { path, seq, writer: w })
    }

    /// Removes `name` from the directory (relative to its descriptor); errors are ignored.
    fn unlink(&self, name: &str) {
        if let Ok(c) = CString::new(name) {
            // SAFETY: a valid directory descriptor and NUL-terminated name.
            unsafe { libc::unlinkat(self.dir.fd().as_raw_fd(), c.as_ptr(), 0) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capfile::Timestamp;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ndisnpp-series-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn stamps_and_names() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_796_599_800), "20261206T233000Z");
        assert_eq!(file_name("cap", 1, 1_796_599_800, FileFormat::Pcapng), "cap_00001_20261206T233000Z.pcapng");
        assert_eq!(file_name("x", 123_456, 0, FileFormat::Netmon2), "x_123456_19700101T000000Z.cap");
        assert_eq!(file_name("x", 2, 0, FileFormat::Pcap), "x_00002_19700101T000000Z.pcap");
    }

    /// Keeping 3: after 7 files, exactly files 5, 6 and 7 are left, each complete.
    #[test]
    fn the_oldest_beyond_keep_are_deleted() {
        let d = scratch("keep");
        let dir = CaptureDir::open_explicit(&d).unwrap();
        let info = StreamInfo { linktype: 1, snaplen: 0 };
        let (mut s, first) = Series::start(dir, Some("ring"), FileFormat::Pcap, info, 3).unwrap();
        assert_eq!(first.seq, 1);
        assert!(first.path.file_name().unwrap().to_str().unwrap().starts_with("ring_00001_"));
        let mut w = first.writer;
        for i in 2..=7u64 {
            w.write_frame(Timestamp { sec: i as i64, nsec: 0 }, 60, &[i as u8; 60]).unwrap();
            assert!(w.finish().result.is_ok());
            let f = s.next_file().unwrap();
            assert_eq!(f.seq, i);
            w = f.writer;
        }
        drop(w);
        let left = names(&d);
        assert_eq!(left.len(), 3, "{left:?}");
        for (n, seq) in left.iter().zip(5..) {
            assert!(n.starts_with(&format!("ring_{seq:05}_")) && n.ends_with(".pcap"), "{n}");
        }
        // A name that exists already is not overwritten: the configured base collides.
        let dir = CaptureDir::open_explicit(&d).unwrap();
        std::fs::write(d.join(file_name("taken", 1, now_secs(), FileFormat::Pcap)), b"x").unwrap();
        std::fs::write(d.join(file_name("taken", 1, now_secs() + 1, FileFormat::Pcap)), b"x").unwrap();
        let e = Series::start(dir, Some("taken"), FileFormat::Pcap, info, 0).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Keeping all (0): nothing is deleted; the default base is random and the same for the series.
    #[test]
    fn keep_all_and_default_base() {
        let d = scratch("all");
        let dir = CaptureDir::open_explicit(&d).unwrap();
        let (mut s, first) = Series::start(dir, None, FileFormat::Netmon2, StreamInfo { linktype: 1, snaplen: 0 }, 0).unwrap();
        drop(first);
        for _ in 0..4 {
            drop(s.next_file().unwrap());
        }
        let left = names(&d);
        assert_eq!(left.len(), 5);
        let base = &left[0][..19];
        assert!(base.starts_with("nm-") && left.iter().all(|n| n.starts_with(base) && n.ends_with(".cap")), "{left:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
