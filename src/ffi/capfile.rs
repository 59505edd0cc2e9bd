//! Capture files after the fact: `ndisnpp_repair_capture`, `ndisnpp_move_capture`.

use super::*;
use crate::capfile::output::{move_capture, MoveError};
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

ffi_fn! {
    /// Moves a finished capture file `from` to `to` (what `nmcap -w` does at the end), so that no
    /// other local user can redirect it. Both directories (`to`'s is where the file goes) must be
    /// owned by the caller or root and not writable by group or others unless they have the
    /// sticky bit; `from` must be a regular file (not a symlink) of the caller. A `to` that does
    /// not exist is created by an atomic rename that never replaces a name that appeared meanwhile
    /// (`renameat2` with `RENAME_NOREPLACE`, else `linkat`); an existing `to` that belongs to the
    /// caller is replaced (the name only: a symlink is replaced, never written through); one that
    /// belongs to another user is not replaced. Across filesystems the file is copied into a new
    /// file (mode 0600) in `to`'s directory, moved in the same way, and `from` is removed. On
    /// failure `from` is left where it was. A renamed file keeps its mode, a copy is 0600.
    /// Codes: `NMERR_INVALID_PARAMETER` (NULL, or a name that is empty or ends in `/`, `.` or
    /// `..`), `NMERR_FILE_NOT_FOUND` (no `from`), `NMERR_PATH_NOT_FOUND` (no directory for `to`),
    /// `NMERR_ACCESS_DENIED` (a directory another user controls, a `to` of another user, a
    /// `from` that is not a regular file of the caller, or the system refused),
    /// `NMERR_FILE_WRITE_ERROR` (another error: a full disk while copying, `to` is a directory),
    /// `NMERR_INVALID_BLOB` (a dead `hErrorBlob`). The reason goes to `hErrorBlob` (may be NULL)
    /// as `NPP:Error:Detail`.
    #[must_use]
    fn ndisnpp_move_capture(from: *const c_char, to: *const c_char, hErrorBlob: HBLOB) -> DWORD {
        use std::os::unix::ffi::OsStrExt;
        let err = error_blob(hErrorBlob)?;
        let from = std::path::Path::new(std::ffi::OsStr::from_bytes(text!(from)));
        let to = std::path::Path::new(std::ffi::OsStr::from_bytes(text!(to)));
        move_capture(from, to).map_err(|e| {
            crate::blob::store::report(err, "Error", "Detail", &e.to_string());
            match e {
                MoveError::NotFound(_) => NMERR_FILE_NOT_FOUND,
                MoveError::NoDirectory(_) => NMERR_PATH_NOT_FOUND,
                MoveError::Denied(_) => NMERR_ACCESS_DENIED,
                MoveError::BadName(_) => NMERR_INVALID_PARAMETER,
                MoveError::Io(_) => NMERR_FILE_WRITE_ERROR,
            }
        })
    }
}
