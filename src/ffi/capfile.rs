//! Capture files after the fact: `ndisnpp_repair_capture`.

use super::*;
use crate::capfile::repair::{repair, RepairError};
use crate::types::*;
use core::ffi::c_char;

ffi_fn! {
    /// Makes a capture file that a crash cut off readable, in place. A Network Monitor 2 file
    /// (whose frame table and header fields are written only when its capture is stopped) is
    /// scanned from its first record: the scan stops at the first record that is incomplete or
    /// implausible, the file is cut there, and the frame table and the header's table fields are
    /// written. A pcap or pcapng file loses a trailing partial record or block. A sound file is left
    /// as it is. `*pFramesRecovered` (may be NULL) receives the frames the file holds afterwards.
    /// `NMERR_INVALID_PARAMETER` (NULL path), `NMERR_FILE_NOT_FOUND`, `NMERR_INVALID_FILE_FORMAT`
    /// (not a Network Monitor 2, pcap or pcapng file), `NMERR_ACCESS_DENIED` (the file cannot be
    /// written), `NMERR_FILE_WRITE_ERROR` (another I/O error).
    #[must_use]
    fn ndisnpp_repair_capture(path: *const c_char, pFramesRecovered: *mut DWORD) -> DWORD {
        let file = std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(text!(path)));
        let frames = repair(file).map_err(|e| match e {
            RepairError::NotFound => NMERR_FILE_NOT_FOUND,
            RepairError::NotCapture(_) => NMERR_INVALID_FILE_FORMAT,
            RepairError::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => NMERR_ACCESS_DENIED,
            RepairError::Io(_) => NMERR_FILE_WRITE_ERROR,
        })?;
        if let Some(out) = opt_out!(pFramesRecovered) {
            *out = frames.min(DWORD::MAX as u64) as DWORD;
        }
        Ok(())
    }
}
