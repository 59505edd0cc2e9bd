//! The replay NIC: the frames of a pcap/pcapng file, as fast as possible or at recorded pace.

use super::*;

/// Where a replay's frames come from.
pub(super) enum ReplayReader {
    Classic(ClassicPcap),
    /// Any other file libpcap reads; for a classic pcap file `Some(nanos)`: its 32-bit times,
    /// which libpcap may sign-extend, are read back as unsigned (`classic_time_from_libpcap`).
    Libpcap(pcap::Capture<pcap::Offline>, Option<bool>),
}

/// A paced frame read before its time: kept (copied) until it is due.
pub(super) struct Held {
    pub(super) ts: Timestamp,
    pub(super) wire_len: u32,
    pub(super) due: Instant,
}

/// Replay of a pcap/pcapng file: its frames with their recorded timestamps, as fast as possible or
/// at the recorded pace; then the source is quiet until the capture stops.
pub struct Replay {
    pub(super) reader: ReplayReader,
    pub(super) linktype: u32,
    pub(super) exhausted: bool,
    pub(super) pace: bool,
    /// (first frame's recorded time, when we delivered it)
    pub(super) pace_origin: Option<(Timestamp, Instant)>,
    /// At recorded pace: the next frame, waiting for its time (its bytes in `held_data`).
    pub(super) held: Option<Held>,
    pub(super) held_data: Vec<u8>,
    /// Whole records read so far (named when a damaged one ends the replay).
    pub(super) records: u64,
    /// At the end of the file: `Next::End` (`NPP:Config:ReplayEndAtEof`), else quiet until Stop.
    pub(super) end_at_eof: bool,
    /// libpcap's words for a record a batch read (`each_ready`) could not read: reported by the
    /// next `next`, after the frames before it.
    pub(super) damage: Option<String>,
}

/// What a replay that stops on a record it cannot read reports: whether the file is cut short or
/// the record damaged, after how many whole records, and the reader's (libpcap's) own words.
pub(super) fn replay_damage(reason: String, records: u64) -> String {
    let what = if reason.contains("truncated") { "is cut short" } else { "has a damaged record" };
    format!("the replay file {what} after {records} whole records: {reason}")
}

/// Opens `path` for reading without blocking (a FIFO with no writer would block `open`) and
/// without following it into a terminal; only a regular file is accepted: a FIFO, a socket or a
/// device could block a control call (Connect, Start) or the capture thread without limit.
pub(super) fn open_regular(path: &Path) -> Result<std::fs::File, OpenError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpenError::FileNotFound(path.display().to_string()),
        _ => OpenError::Other(format!("{}: {e}", path.display())),
    })?;
    let kind = file.metadata().map_err(|e| OpenError::Other(format!("{}: {e}", path.display())))?.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a device"
        };
        return Err(OpenError::BadFile(format!("{}: {what}, not a regular file: only regular pcap/pcapng files can be replayed", path.display())));
    }
    Ok(file)
}

impl Replay {
    pub fn open(path: &Path, pace: bool) -> Result<Replay, OpenError> {
        use std::os::unix::io::AsRawFd;
        let file = open_regular(path)?;
        // libpcap checks the header (any format it reads) and names the link type. It opens the
        // file we checked, not whatever the path names by now (/proc/self/fd), where /proc is
        // mounted. Its fopen leaves the descriptor inheritable: sealed right after (fds.rs).
        let by_fd = std::path::PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        let libpcap_path = if by_fd.exists() { by_fd.as_path() } else { path };
        let before = crate::capture::fds::open_fds();
        let cap = pcap::Capture::from_file_with_precision(libpcap_path, pcap::Precision::Nano)
            .map_err(|e| OpenError::BadFile(format!("{}: {}", path.display(), pcap_message(e))))?;
        crate::capture::fds::seal_same_file(&file, &before).map_err(|e| OpenError::Other(format!("{}: close-on-exec: {e}", path.display())))?;
        let linktype = cap.get_datalink().0 as u32;
        let reader = match ClassicPcap::open(&file) {
            Ok(Some(classic)) => ReplayReader::Classic(classic),
            Ok(None) => ReplayReader::Libpcap(cap, classic_magic(&file)),
            Err(e) => return Err(OpenError::Other(format!("{}: {e}", path.display()))),
        };
        Ok(Replay::with_reader(reader, linktype, pace))
    }

    /// A replay from its first record, read by `reader`.
    pub(super) fn with_reader(reader: ReplayReader, linktype: u32, pace: bool) -> Replay {
        Replay { reader, linktype, exhausted: false, pace, pace_origin: None, held: None, held_data: Vec::new(), records: 0, end_at_eof: false, damage: None }
    }

    /// With `end`, the replay ends the capture at the end of the file (`Next::End`) instead of
    /// staying quiet until Stop (`NPP:Config:ReplayEndAtEof`).
    pub fn ending_at_eof(mut self, end: bool) -> Replay {
        self.end_at_eof = end;
        self
    }

    /// At recorded pace: reads the next frame into `held` (with the time it is due), or ends the
    /// replay. Returns what to report instead of a frame (end of file, damage), if anything.
    pub(super) fn hold_next(&mut self) -> Option<Next<'static>> {
        let Replay { reader, exhausted, pace_origin, held, held_data, records, .. } = self;
        match read_replay(reader) {
            Ok(Some(f)) => {
                *records += 1;
                let due = match *pace_origin {
                    None => {
                        let now = Instant::now();
                        *pace_origin = Some((f.ts, now));
                        now
                    }
                    Some((t0, i0)) => i0 + Duration::from_nanos(nanos_between(t0, f.ts).clamp(0, u64::MAX as i128) as u64),
                };
                held_data.clear();
                held_data.extend_from_slice(f.data);
                *held = Some(Held { ts: f.ts, wire_len: f.wire_len, due });
                None
            }
            Ok(None) => {
                *exhausted = true;
                Some(Next::Idle)
            }
            Err(m) => {
                *exhausted = true;
                Some(Next::Corrupt(replay_damage(m, *records)))
            }
        }
    }
}

/// The time `sec` seconds plus `ns` nanoseconds of a replay record. A record's fraction of a
/// second may say a second or more (a damaged or odd file: libpcap passes it on as it is): its
/// whole seconds are carried into `sec`, not cut off or saturated.
#[inline]
pub(super) fn timestamp(sec: i64, ns: i64) -> Timestamp {
    if (0..1_000_000_000).contains(&ns) {
        // Every record of a well-formed file: no division.
        return Timestamp { sec, nsec: ns as u32 };
    }
    Timestamp { sec: sec.saturating_add(ns.div_euclid(1_000_000_000)), nsec: ns.rem_euclid(1_000_000_000) as u32 }
}

/// A classic pcap record's time as libpcap delivers it (opened with nanosecond precision:
/// `tv_usec` holds the fraction scaled to nanoseconds), read back as the format's unsigned 32-bit
/// seconds and fraction (libpcap sign-extends both from a file in this machine's byte order).
/// `nanos`: the file's fraction is in nanoseconds (else microseconds, which libpcap multiplied by
/// 1000).
#[doc(hidden)]
pub fn classic_time_from_libpcap(tv_sec: i64, tv_usec: i64, nanos: bool) -> Timestamp {
    let raw_frac = if nanos { tv_usec } else { tv_usec / 1000 } as u32;
    let ns = i64::from(raw_frac) * if nanos { 1 } else { 1000 };
    timestamp(i64::from(tv_sec as u32), ns)
}

/// The next frame of a replay file: Ok(None) at its end.
pub(super) fn read_replay(reader: &mut ReplayReader) -> Result<Option<Frame<'_>>, String> {
    match reader {
        ReplayReader::Classic(c) => c.next(),
        ReplayReader::Libpcap(cap, classic) => match cap.next_packet() {
            Ok(p) => Ok(Some(Frame { ts: libpcap_time(*classic, p.header.ts.tv_sec, p.header.ts.tv_usec), wire_len: p.header.len, data: p.data })),
            Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(pcap_message(e)),
        },
    }
}

/// A record's time as libpcap's reader gives it (`ReplayReader::Libpcap`): with nanosecond
/// precision, nanoseconds in `tv_usec`; a classic file's 32-bit seconds read back as unsigned.
fn libpcap_time(classic: Option<bool>, tv_sec: i64, tv_usec: i64) -> Timestamp {
    match classic {
        Some(nanos) => classic_time_from_libpcap(tv_sec, tv_usec, nanos),
        None => timestamp(tv_sec, tv_usec),
    }
}

pub(super) fn nanos_between(a: Timestamp, b: Timestamp) -> i128 {
    (b.sec as i128 - a.sec as i128) * 1_000_000_000 + (b.nsec as i128 - a.nsec as i128)
}

impl Source for Replay {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        if self.exhausted && self.held.is_none() && self.end_at_eof {
            return Next::End;
        }
        if self.exhausted && self.held.is_none() {
            // Nothing more can come.
            return quiet(before_wait);
        }
        if let Some(m) = self.damage.take() {
            self.exhausted = true;
            return Next::Corrupt(replay_damage(m, self.records));
        }
        if !self.pace {
            let Replay { reader, exhausted, records, .. } = self;
            return match read_replay(reader) {
                Ok(Some(f)) => {
                    *records += 1;
                    Next::Frame(f)
                }
                Ok(None) => {
                    *exhausted = true;
                    Next::Idle
                }
                Err(m) => {
                    *exhausted = true;
                    Next::Corrupt(replay_damage(m, *records))
                }
            };
        }
        if self.held.is_none() {
            if let Some(other) = self.hold_next() {
                return other;
            }
        }
        // Wait for the held frame's time in slices no longer than the poll timeout, so that a
        // long gap between two recorded frames never holds off Stop or Pause.
        let due = self.held.as_ref().expect("held").due;
        let now = Instant::now();
        if due > now {
            if before_wait() {
                // Stopped: a frame not due yet was not captured before Stop.
                return Next::Idle;
            }
            // Parked, not slept: Stop wakes the thread at once (Engine::stop unparks it). A gap
            // longer than the poll timeout is waited a slice at a time (Idle in between).
            let slice = Duration::from_millis(POLL_TIMEOUT_MS as u64);
            if due - now > slice {
                std::thread::park_timeout(slice);
                return Next::Idle;
            }
            let mut now = now;
            loop {
                std::thread::park_timeout(due - now);
                now = Instant::now();
                if now >= due {
                    break;
                }
                // Woken early: by Stop (then the frame, not due yet, is not captured), or
                // spuriously (wait on).
                if before_wait() {
                    return Next::Idle;
                }
            }
        }
        let h = self.held.take().expect("held");
        Next::Frame(Frame { ts: h.ts, wire_len: h.wire_len, data: &self.held_data })
    }

    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        None
    }

    fn each_ready(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
        if self.pace || self.exhausted || self.damage.is_some() {
            return 0;
        }
        let Replay { reader, records, damage, .. } = self;
        let n = match reader {
            ReplayReader::Classic(c) => c.each_buffered(each),
            // One pcap_dispatch (a pcapng file, or what else libpcap reads).
            ReplayReader::Libpcap(cap, classic) => {
                let classic = *classic;
                let (n, failed) = dispatch(cap, each, &|sec, frac| libpcap_time(classic, sec, frac));
                *damage = failed;
                n
            }
        };
        *records += n as u64;
        n
    }

    fn can_wait(&self) -> bool {
        !self.pace
    }
}
