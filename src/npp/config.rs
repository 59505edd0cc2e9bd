//! The capture configuration an NPP reads from its Connect/Configure BLOB (SDK d.3/d.4, README
//! "Linux configuration tags"), validated as a whole: a BLOB with a bad entry leaves the previous configuration in force.

use crate::blob::names::*;
use crate::blob::{filters, values, Blob};
use crate::capfile::dir::{CaptureDir, DirError};
use crate::capfile::FileFormat;
use crate::nmerr::*;
use crate::types::{NDISNPP_ROTATE_BASE_NAME_MAX, NDISNPP_ROTATE_BYTES_MAX, NDISNPP_ROTATE_BYTES_MIN, NDISNPP_ROTATE_FILES_MAX, NDISNPP_ROTATE_SECONDS_MAX};
use std::path::PathBuf;

/// Everything Start needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureConfig {
    /// `NPP:Config:CaptureDirectory`, if the BLOB names one (else environment and default).
    pub capture_dir: Option<PathBuf>,
    pub format: FileFormat,
    /// `NPP:Config:FrameSize`: bytes stored per frame, 0 = whole frame.
    pub frame_size: u32,
    /// `NPP:Config:BufferSize`: kernel ring bytes, 0 = libpcap's default.
    pub buffer_size: u32,
    /// Promiscuous unless `NPP:Config:LocalOnly` is TRUE or `NPP:NetworkInfo:PMode` is FALSE.
    pub promiscuous: bool,
    pub dont_delete_empty: bool,
    pub no_stats_frame: bool,
    pub replay_pace: bool,
    pub no_conversation_stats: bool,
    /// `NPP:Config:FrameLimit` (ndisnpp): the capture ends by itself after this many frames; 0 = none.
    pub frame_limit: u32,
    /// IRTC: how long a frame waits before delivery, ms (`NPP:Config:UpdateInterval`, else
    /// `NPP:Config:UpdateFreq` seconds; default 100).
    pub update_interval_ms: u32,
    /// IRTC: frames per delivery (`NPP:Config:FrameTableLength`, default 4096).
    pub frame_table_length: u32,
    /// `NPP:Config:CaptureFileDescriptor` (ndisnpp): write the capture to this descriptor (a
    /// duplicate of it, made at Start) instead of a new file in the capture directory.
    pub capture_fd: Option<i32>,
    /// `NPP:Config:ReplayEndAtEof` (ndisnpp): a replay NIC ends the capture at the end of its input.
    pub replay_end_at_eof: bool,
    /// Rotation (README, "Rotation"): the settings, `None` when neither RotateBytes nor
    /// RotateSeconds is set.
    pub rotation: Option<Rotation>,
}

/// Ring-buffer capture to a series of files (`NPP:Config:Rotate*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// A new file before the frame that would take the current one past this size (0 = no limit).
    pub bytes: u64,
    /// A new file once the current one has been open this long (0 = no limit).
    pub seconds: u32,
    /// Keep at most this many files, the oldest deleted (0 = all).
    pub files: u32,
    /// The name before `_<sequence>_<time>.<ext>` (None: `nm-<16 random hex digits>`).
    pub base_name: Option<String>,
}

/// IRTC defaults and limits (README, "IRTC delivery").
pub const DEFAULT_UPDATE_INTERVAL_MS: u32 = 100;
pub const MAX_UPDATE_INTERVAL_MS: u32 = 3_600_000;
pub const DEFAULT_FRAME_TABLE_LENGTH: u32 = 4096;
pub const MAX_FRAME_TABLE_LENGTH: u32 = 1 << 20;
/// The largest `NPP:Config:BufferSize` (bytes): the kernel ring of a live capture, and each of
/// IRTC's two frame buffers (netmon.h: NDISNPP_MAX_BUFFER_SIZE).
pub const MAX_BUFFER_SIZE: u32 = crate::types::NDISNPP_MAX_BUFFER_SIZE;

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            capture_dir: None,
            format: FileFormat::Netmon2,
            frame_size: 0,
            buffer_size: 0,
            promiscuous: true,
            dont_delete_empty: false,
            no_stats_frame: false,
            replay_pace: false,
            no_conversation_stats: false,
            frame_limit: 0,
            update_interval_ms: DEFAULT_UPDATE_INTERVAL_MS,
            frame_table_length: DEFAULT_FRAME_TABLE_LENGTH,
            rotation: None,
            capture_fd: None,
            replay_end_at_eof: false,
        }
    }
}

/// A rejected entry: the code and the `(category, tag, value)` for the error BLOB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub code: NmErr,
    pub category: &'static str,
    pub tag: String,
    pub value: String,
}

/// `NPP:Config` tags this library understands.
const KNOWN_CONFIG_TAGS: &[&str] = &[
    TAG_FRAME_SIZE,
    TAG_UPDATE_FREQUENCY,
    TAG_BUFFER_SIZE,
    TAG_DRIVE_LETTER,
    TAG_PATTERN_DESIGNATOR,
    TAG_PATTERN,
    TAG_ADDRESS_PAIR,
    TAG_CONNECTIONFLAGS,
    TAG_ETYPES,
    TAG_SAPS,
    TAG_NO_CONVERSATION_STATS,
    TAG_NO_STATS_FRAME,
    TAG_DONT_DELETE_EMPTY_CAPTURE,
    TAG_WANT_PROTOCOL_INFO,
    TAG_INTERFACE_DELAYED_CAPTURE,
    TAG_INTERFACE_REALTIME_CAPTURE,
    TAG_INTERFACE_STATS,
    TAG_INTERFACE_EXPERT_STATS,
    TAG_INTERFACE_TRANSMIT,
    TAG_LOCAL_ONLY,
    TAG_IS_REMOTE,
    TAG_FILTER_FLAGS,
    TAG_CAPTURE_DIRECTORY,
    TAG_FILE_FORMAT,
    TAG_REPLAY_PACE,
    TAG_BPF_FILTER,
    TAG_FRAME_LIMIT,
    TAG_UPDATE_INTERVAL,
    TAG_FRAME_TABLE_LENGTH,
    TAG_QUERY_TIMEOUT,
    TAG_ANSWER_STATION_QUERIES,
    TAG_ROTATE_BYTES,
    TAG_ROTATE_SECONDS,
    TAG_ROTATE_FILES,
    TAG_ROTATE_BASE_NAME,
    TAG_CAPTURE_FILE_DESCRIPTOR,
    TAG_REPLAY_END_AT_EOF,
];
const KNOWN_CATEGORIES: &[&str] = &[CATEGORY_NETWORKINFO, CATEGORY_LOCATION, CATEGORY_CONFIG, CATEGORY_TRIGGER, CATEGORY_FINDER, CATEGORY_REMOTE, CATEGORY_ESP];

fn get(b: &Blob, category: &str, tag: &str) -> Option<String> {
    b.get_str(OWNER_NPP.as_bytes(), category.as_bytes(), tag.as_bytes()).ok()
}

fn reject(code: NmErr, category: &'static str, tag: &str, value: &str) -> Rejected {
    Rejected { code, category, tag: tag.to_string(), value: value.to_string() }
}

/// The `NPP:*` entries this library does not know (copied to the error BLOB; Configure still
/// succeeds, a point the SDK leaves open). Other owners are ignored.
pub fn unknown_entries(b: &Blob) -> Vec<(String, String, String)> {
    b.entries_under(OWNER_NPP.as_bytes(), None)
        .filter(|e| {
            let cat = e.category.to_bytes();
            let known_cat = KNOWN_CATEGORIES.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(cat));
            let config = CATEGORY_CONFIG.as_bytes().eq_ignore_ascii_case(cat);
            !known_cat || (config && !KNOWN_CONFIG_TAGS.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(e.tag.to_bytes())))
        })
        .map(|e| (e.category.to_string_lossy().into_owned(), e.tag.to_string_lossy().into_owned(), e.value.to_string_lossy().into_owned()))
        .collect()
}

/// Reads and validates the configuration in `b`, starting from `base` (what is not in `b` keeps
/// its value from `base`).
pub fn parse(b: &Blob, base: &CaptureConfig) -> Result<CaptureConfig, Rejected> {
    let mut c = base.clone();
    let dword = |tag: &'static str| -> Result<Option<u32>, Rejected> {
        get(b, CATEGORY_CONFIG, tag).map(|v| values::parse_dword(&v).map_err(|e| reject(e, CATEGORY_CONFIG, tag, &v))).transpose()
    };
    let boolean = |cat: &'static str, tag: &'static str| -> Result<Option<bool>, Rejected> {
        get(b, cat, tag).map(|v| values::parse_bool(&v).map_err(|e| reject(e, cat, tag, &v))).transpose()
    };
    if let Some(v) = dword(TAG_FRAME_SIZE)? {
        c.frame_size = v;
    }
    if let Some(v) = dword(TAG_FRAME_LIMIT)? {
        c.frame_limit = v;
    }
    // Sizes and IRTC's delivery: each within its range, else the entry is named as malformed.
    let in_range = |tag: &'static str, v: Option<u32>, lo: u32, hi: u32| -> Result<Option<u32>, Rejected> {
        match v {
            Some(n) if n < lo || n > hi => Err(reject(NMERR_BLOB_CONVERSION_ERROR, CATEGORY_CONFIG, tag, &n.to_string())),
            other => Ok(other),
        }
    };
    if let Some(v) = in_range(TAG_BUFFER_SIZE, dword(TAG_BUFFER_SIZE)?, 0, MAX_BUFFER_SIZE)? {
        c.buffer_size = v;
    }
    // QueryStations' settings (read by src/stations when it queries): checked here like the rest.
    in_range(TAG_QUERY_TIMEOUT, dword(TAG_QUERY_TIMEOUT)?, 0, crate::stations::NDISNPP_QUERY_TIMEOUT_MAX)?;
    boolean(CATEGORY_CONFIG, TAG_ANSWER_STATION_QUERIES)?;
    if let Some(secs) = in_range(TAG_UPDATE_FREQUENCY, dword(TAG_UPDATE_FREQUENCY)?, 1, MAX_UPDATE_INTERVAL_MS / 1000)? {
        c.update_interval_ms = secs * 1000;
    }
    if let Some(ms) = in_range(TAG_UPDATE_INTERVAL, dword(TAG_UPDATE_INTERVAL)?, 1, MAX_UPDATE_INTERVAL_MS)? {
        c.update_interval_ms = ms;
    }
    if let Some(n) = in_range(TAG_FRAME_TABLE_LENGTH, dword(TAG_FRAME_TABLE_LENGTH)?, 1, MAX_FRAME_TABLE_LENGTH)? {
        c.frame_table_length = n;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_FILE_FORMAT) {
        c.format = FileFormat::from_name(&v).ok_or_else(|| reject(NMERR_BLOB_CONVERSION_ERROR, CATEGORY_CONFIG, TAG_FILE_FORMAT, &v))?;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY) {
        // Absolute, without '.' or '..' (capfile::dir): anything else names the entry.
        if crate::capfile::dir::check_path(std::path::Path::new(&v)).is_err() {
            return Err(reject(NMERR_BLOB_CONVERSION_ERROR, CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, &v));
        }
        c.capture_dir = Some(PathBuf::from(v));
    }
    parse_rotation(b, &mut c)?;
    let pmode = boolean(CATEGORY_NETWORKINFO, TAG_PROMISCUOUS_MODE)?;
    let local_only = boolean(CATEGORY_CONFIG, TAG_LOCAL_ONLY)?;
    if pmode.is_some() || local_only.is_some() {
        c.promiscuous = pmode.unwrap_or(true) && !local_only.unwrap_or(false);
    }
    if let Some(v) = boolean(CATEGORY_CONFIG, TAG_DONT_DELETE_EMPTY_CAPTURE)? {
        c.dont_delete_empty = v;
    }
    if let Some(v) = boolean(CATEGORY_CONFIG, TAG_NO_STATS_FRAME)? {
        c.no_stats_frame = v;
    }
    if let Some(v) = boolean(CATEGORY_CONFIG, TAG_REPLAY_PACE)? {
        c.replay_pace = v;
    }
    if let Some(v) = boolean(CATEGORY_CONFIG, TAG_REPLAY_END_AT_EOF)? {
        c.replay_end_at_eof = v;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR) {
        // A decimal descriptor number; whether it is open for writing is checked by `check_output`.
        let fd = v.trim().parse::<i32>().ok().filter(|fd| *fd >= 0 && !v.trim().starts_with('+'));
        c.capture_fd = Some(fd.ok_or_else(|| reject(NMERR_BLOB_CONVERSION_ERROR, CATEGORY_CONFIG, TAG_CAPTURE_FILE_DESCRIPTOR, &v))?);
    }
    if let Some(v) = boolean(CATEGORY_CONFIG, TAG_NO_CONVERSATION_STATS)? {
        c.no_conversation_stats = v;
    }
    // The filter and trigger parts must be well-formed (they are applied by the filter stage).
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR) {
        filters::parse_expression(&v).map_err(|e| reject(e, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, &v))?;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_ADDRESS_PAIR) {
        filters::parse_address_table(&v).map_err(|e| reject(e, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &v))?;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_SAPS) {
        filters::parse_list(&v, 0xFF).map_err(|e| reject(e, CATEGORY_CONFIG, TAG_SAPS, &v))?;
    }
    if let Some(v) = get(b, CATEGORY_CONFIG, TAG_ETYPES) {
        filters::parse_list(&v, 0xFFFF).map_err(|e| reject(e, CATEGORY_CONFIG, TAG_ETYPES, &v))?;
    }
    if let Some(v) = get(b, CATEGORY_TRIGGER, TAG_TRIGGER) {
        filters::parse_trigger(&v).map_err(|e| reject(e, CATEGORY_TRIGGER, TAG_TRIGGER, &v))?;
    }
    Ok(c)
}

/// Whether `name` may be a `RotateBaseName`: 1 to NDISNPP_ROTATE_BASE_NAME_MAX bytes, no '/', no
/// control character, not starting with '.' (a plain, visible name inside the capture directory).
pub fn valid_base_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= NDISNPP_ROTATE_BASE_NAME_MAX as usize && !name.starts_with('.') && !name.chars().any(|ch| ch == '/' || ch.is_control())
}

/// The `NPP:Config:Rotate*` entries (README, "Rotation"): each within its bounds, and RotateFiles
/// or RotateBaseName only with RotateBytes or RotateSeconds; the rejected entry is named.
fn parse_rotation(b: &Blob, c: &mut CaptureConfig) -> Result<(), Rejected> {
    let text = |tag: &'static str| get(b, CATEGORY_CONFIG, tag);
    let bad = |tag: &'static str, v: &str| reject(NMERR_BLOB_CONVERSION_ERROR, CATEGORY_CONFIG, tag, v);
    let mut r = c.rotation.clone().unwrap_or(Rotation { bytes: 0, seconds: 0, files: 0, base_name: None });
    if let Some(v) = text(TAG_ROTATE_BYTES) {
        match values::parse_qword(&v) {
            Ok(n) if n == 0 || (NDISNPP_ROTATE_BYTES_MIN..=NDISNPP_ROTATE_BYTES_MAX).contains(&n) => r.bytes = n,
            _ => return Err(bad(TAG_ROTATE_BYTES, &v)),
        }
    }
    if let Some(v) = text(TAG_ROTATE_SECONDS) {
        match values::parse_dword(&v) {
            Ok(n) if n <= NDISNPP_ROTATE_SECONDS_MAX => r.seconds = n,
            _ => return Err(bad(TAG_ROTATE_SECONDS, &v)),
        }
    }
    if let Some(v) = text(TAG_ROTATE_FILES) {
        match values::parse_dword(&v) {
            Ok(n) if n <= NDISNPP_ROTATE_FILES_MAX => r.files = n,
            _ => return Err(bad(TAG_ROTATE_FILES, &v)),
        }
    }
    if let Some(v) = text(TAG_ROTATE_BASE_NAME) {
        if !valid_base_name(&v) {
            return Err(bad(TAG_ROTATE_BASE_NAME, &v));
        }
        r.base_name = Some(v);
    }
    if r.bytes == 0 && r.seconds == 0 {
        // Keeping M files or naming them means nothing without a reason to start a new one.
        if r.files != 0 {
            return Err(bad(TAG_ROTATE_FILES, &r.files.to_string()));
        }
        if let Some(n) = &r.base_name {
            return Err(bad(TAG_ROTATE_BASE_NAME, n));
        }
        c.rotation = None;
    } else {
        c.rotation = Some(r);
    }
    Ok(())
}

/// Whether the capture can be written where the configuration says: with
/// `NPP:Config:CaptureFileDescriptor`, the format must stream (pcap, pcapng: a Network Monitor 2
/// file is completed by rewriting its header and writing its frame table at the end, which a pipe
/// cannot take) and the descriptor must be open for writing. Else the code and the reason.
pub fn check_output(c: &CaptureConfig) -> Result<(), (NmErr, String)> {
    let Some(fd) = c.capture_fd else { return Ok(()) };
    if c.format == FileFormat::Netmon2 {
        return Err((
            NMERR_NOT_SUPPORTED,
            format!(
                "descriptor {fd}: a Network Monitor 2 file cannot be written to a descriptor (the format seeks back to write its header and frame table at the end); set NPP:Config:FileFormat to PCAP or PCAPNG"
            ),
        ));
    }
    // SAFETY: fcntl on a descriptor number; no memory is involved (a closed one answers EBADF).
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err((NMERR_INVALID_PARAMETER, format!("descriptor {fd}: {}", std::io::Error::last_os_error())));
    }
    if flags & libc::O_ACCMODE == libc::O_RDONLY {
        return Err((NMERR_INVALID_PARAMETER, format!("descriptor {fd}: not open for writing")));
    }
    Ok(())
}

/// Opens the capture directory (capfile::dir has the rules): the BLOB's, else
/// `$NETMON_CAPTURE_DIR`, else the checked default (`$TMPDIR/netmon`, else `$TMPDIR/netmon-<uid>`).
pub fn open_capture_dir(c: &CaptureConfig) -> Result<CaptureDir, DirError> {
    if let Some(d) = &c.capture_dir {
        return CaptureDir::open_explicit(d);
    }
    if let Some(d) = std::env::var_os("NETMON_CAPTURE_DIR").filter(|d| !d.is_empty()) {
        return CaptureDir::open_explicit(std::path::Path::new(&d));
    }
    CaptureDir::open_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_reject() {
        let mut b = Blob::new();
        b.set_str("NPP", "Config", "FrameSize", "128").unwrap();
        b.set_str("NPP", "Config", "FileFormat", "pcapng").unwrap();
        b.set_str("NPP", "Config", "LocalOnly", "TRUE").unwrap();
        b.set_str("NPP", "Config", "Bogus", "1").unwrap();
        b.set_str("App", "X", "Y", "z").unwrap();
        let c = parse(&b, &CaptureConfig::default()).unwrap();
        assert_eq!((c.frame_size, c.format, c.promiscuous), (128, FileFormat::Pcapng, false));
        assert_eq!(unknown_entries(&b), vec![("Config".into(), "Bogus".into(), "1".into())]);
        b.set_str("NPP", "Config", "BufferSize", "lots").unwrap();
        let r = parse(&b, &CaptureConfig::default()).unwrap_err();
        assert_eq!((r.code, r.tag.as_str(), r.value.as_str()), (NMERR_BLOB_CONVERSION_ERROR, "BufferSize", "lots"));
        for bad in ["1073741825", "4294967295"] {
            b.set_str("NPP", "Config", "BufferSize", bad).unwrap();
            let r = parse(&b, &CaptureConfig::default()).unwrap_err();
            assert_eq!((r.code, r.tag.as_str(), r.value.as_str()), (NMERR_BLOB_CONVERSION_ERROR, "BufferSize", bad));
        }
        b.set_str("NPP", "Config", "BufferSize", "1073741824").unwrap();
        assert_eq!(parse(&b, &CaptureConfig::default()).unwrap().buffer_size, MAX_BUFFER_SIZE);
        for bad in ["abc", "-1", "", "10001"] {
            b.set_str("NPP", "Config", "QueryTimeout", bad).unwrap();
            let r = parse(&b, &CaptureConfig::default()).unwrap_err();
            assert_eq!((r.code, r.tag.as_str(), r.value.as_str()), (NMERR_BLOB_CONVERSION_ERROR, "QueryTimeout", bad));
        }
        b.set_str("NPP", "Config", "QueryTimeout", "10000").unwrap();
        b.set_str("NPP", "Config", "AnswerStationQueries", "maybe").unwrap();
        assert_eq!(parse(&b, &CaptureConfig::default()).unwrap_err().tag, "AnswerStationQueries");
        b.set_str("NPP", "Config", "AnswerStationQueries", "FALSE").unwrap();
        b.set_str("NPP", "Config", "BufferSize", "4096").unwrap();
        b.set_str("NPP", "Trigger", "Trigger", "SOON").unwrap();
        assert_eq!(parse(&b, &CaptureConfig::default()).unwrap_err().code, NMERR_ILLEGAL_TRIGGER);
    }

    /// Rotation's tags: their bounds, RotateFiles and RotateBaseName only with a limit, a
    /// rejected entry named (README, "Rotation").
    #[test]
    fn rotation_bounds() {
        let with = |entries: &[(&str, &str)]| {
            let mut b = Blob::new();
            for (t, v) in entries {
                b.set_str("NPP", "Config", t, v).unwrap();
            }
            parse(&b, &CaptureConfig::default())
        };
        assert_eq!(with(&[]).unwrap().rotation, None);
        let r = with(&[("RotateBytes", "4096"), ("RotateFiles", "5"), ("RotateBaseName", "ring")]).unwrap().rotation.unwrap();
        assert_eq!((r.bytes, r.seconds, r.files, r.base_name.as_deref()), (4096, 0, 5, Some("ring")));
        let r = with(&[("RotateSeconds", "31622400"), ("RotateBytes", "1099511627776"), ("RotateFiles", "100000")]).unwrap().rotation.unwrap();
        assert_eq!((r.bytes, r.seconds, r.files, r.base_name), (1 << 40, 31_622_400, 100_000, None));
        assert_eq!(with(&[("RotateBytes", "0"), ("RotateSeconds", "0")]).unwrap().rotation, None);
        for (tag, bad) in [
            ("RotateBytes", "4095"),
            ("RotateBytes", "1099511627777"),
            ("RotateBytes", "-1"),
            ("RotateBytes", "1e6"),
            ("RotateBytes", "18446744073709551616"),
            ("RotateSeconds", "31622401"),
            ("RotateSeconds", "ten"),
            ("RotateSeconds", "4294967296"),
            ("RotateFiles", "100001"),
            ("RotateFiles", "-3"),
            ("RotateBaseName", ""),
            ("RotateBaseName", "a/b"),
            ("RotateBaseName", ".hidden"),
            ("RotateBaseName", "tab\there"),
        ] {
            let r = with(&[("RotateSeconds", "60"), (tag, bad)]).err().unwrap_or_else(|| panic!("{tag}={bad} accepted"));
            assert_eq!((r.code, r.tag.as_str(), r.value.as_str()), (NMERR_BLOB_CONVERSION_ERROR, tag, bad));
        }
        let long = "n".repeat(129);
        assert_eq!(with(&[("RotateSeconds", "60"), ("RotateBaseName", &long)]).unwrap_err().tag, "RotateBaseName");
        assert!(with(&[("RotateSeconds", "60"), ("RotateBaseName", &long[..128])]).is_ok());
        // Keeping files or naming them without a limit: refused, the entry named.
        let r = with(&[("RotateFiles", "3")]).unwrap_err();
        assert_eq!((r.tag.as_str(), r.value.as_str()), ("RotateFiles", "3"));
        assert_eq!(with(&[("RotateBaseName", "x")]).unwrap_err().tag, "RotateBaseName");
        assert!(unknown_entries(&{
            let mut b = Blob::new();
            b.set_str("NPP", "Config", "RotateBytes", "4096").unwrap();
            b
        })
        .is_empty());
    }
}
