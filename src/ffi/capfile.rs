//! Capture files after the fact: `ndisnpp_repair_capture`, `ndisnpp_repair_capture_ex`,
//! `ndisnpp_move_capture`.

use super::*;
use crate::capfile::output::{move_capture, MoveError};
use crate::capfile::repair::{repair, RepairError, Repaired};
use crate::types::*;
use core::ffi::c_char;

/// The repair of the file named by `path`, as an NMERR and the result structure (on a failure:
/// zero counts and the reason in `Detail`).
fn run_repair(path: &[u8]) -> (NmErr, NDISNPP_REPAIR_RESULT) {
    let file = std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
    let mut out = NDISNPP_REPAIR_RESULT {
        StructSize: core::mem::size_of::<NDISNPP_REPAIR_RESULT>() as DWORD,
        Rewritten: FALSE,
        FramesKept: 0,
        BytesDropped: 0,
        DamagedSkipped: 0,
        TailCut: FALSE,
        Detail: [0; 256],
    };
    let (code, detail) = match repair(file) {
        Ok(Repaired { frames, rewritten, bytes_dropped, damaged_skipped, tail_cut, detail }) => {
            out.Rewritten = rewritten as BOOL;
            out.FramesKept = frames;
            out.BytesDropped = bytes_dropped;
            out.DamagedSkipped = damaged_skipped.min(DWORD::MAX as u64) as DWORD;
            out.TailCut = tail_cut as BOOL;
            (NMERR_SUCCESS, detail)
        }
        Err(e) => {
            let code = match &e {
                RepairError::NotFound => NMERR_FILE_NOT_FOUND,
                RepairError::NotCapture(_) => NMERR_INVALID_FILE_FORMAT,
                RepairError::Denied(_) => NMERR_ACCESS_DENIED,
                RepairError::Damaged(_) => NMERR_INVALID_DATA,
                RepairError::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => NMERR_ACCESS_DENIED,
                RepairError::Io(_) => NMERR_FILE_WRITE_ERROR,
            };
            (code, e.to_string())
        }
    };
    let n = detail.len().min(out.Detail.len() - 1);
    for (d, s) in out.Detail.iter_mut().zip(&detail.as_bytes()[..n]) {
        *d = *s as c_char;
    }
    (code, out)
}

ffi_fn! {
    /// Repairs a damaged capture file (a crash cut it off, a record is damaged): every record a
    /// reader can use is kept. A Network Monitor 2 file (whose frame table and header fields are
    /// written only when its capture is stopped) gets a frame table of its whole records; a damaged
    /// record in the middle of any format is skipped (found again by the records that follow it);
    /// only a damaged or partial tail is cut off. A damaged record that no readable record follows,
    /// with more than a record's length after it, is not a tail: the file is left as it is and the
    /// answer is `NMERR_INVALID_DATA`. The repaired file is written beside the original (same
    /// directory, same owner and mode), synced and renamed over it, so a crash during repair loses
    /// nothing. A sound file is only read (it may be read-only) and left as it is.
    /// `*pFramesRecovered` (may be NULL) receives the frames the file holds afterwards; see
    /// `ndisnpp_repair_capture_ex` for what was dropped. `NMERR_INVALID_PARAMETER` (NULL path),
    /// `NMERR_FILE_NOT_FOUND`, `NMERR_INVALID_FILE_FORMAT` (not a Network Monitor 2, pcap or pcapng
    /// file, or a directory or other non-regular file), `NMERR_ACCESS_DENIED` (a symbolic link,
    /// which is not followed; or a file that needs repair and may not be written),
    /// `NMERR_INVALID_DATA` (damage that cannot be passed; unchanged), `NMERR_FILE_WRITE_ERROR`
    /// (another I/O error; the original is unchanged).
    #[must_use]
    fn ndisnpp_repair_capture(path: *const c_char, pFramesRecovered: *mut DWORD) -> DWORD {
        let (code, result) = run_repair(text!(path));
        if code != NMERR_SUCCESS {
            return Err(code);
        }
        if let Some(out) = opt_out!(pFramesRecovered) {
            *out = result.FramesKept.min(DWORD::MAX as u64) as DWORD;
        }
        Ok(())
    }
}

ffi_fn! {
    /// `ndisnpp_repair_capture`, reporting in `*pResult` (may be NULL) what was found and done:
    /// `Rewritten` (FALSE: the file was sound), `FramesKept`, `BytesDropped` (damaged records
    /// skipped and a tail cut off), `DamagedSkipped` (damaged places in the middle), `TailCut`, and
    /// `Detail`, the same in words. Set `pResult->StructSize` to `sizeof(NDISNPP_REPAIR_RESULT)`
    /// first (at least 8, else `NMERR_INVALID_PARAMETER` and nothing is done); the library writes at
    /// most that many bytes. Unlike other outputs, `*pResult` is written on a failure too (other
    /// than `NMERR_INVALID_PARAMETER`): zero counts, and `Detail` says why (for example that the
    /// path is a directory, or where the damage is that could not be passed).
    #[must_use]
    fn ndisnpp_repair_capture_ex(path: *const c_char, pResult: *mut NDISNPP_REPAIR_RESULT) -> DWORD {
        let path = text!(path);
        let size = if pResult.is_null() {
            None
        } else {
            // SAFETY: pResult is the caller's NDISNPP_REPAIR_RESULT (the shared contract); its
            // first field is StructSize, readable whatever the structure's version.
            let size = unsafe { *pResult.cast::<u32>() } as usize;
            if size < 8 {
                return Err(NMERR_INVALID_PARAMETER);
            }
            Some(size)
        };
        let (code, result) = run_repair(path);
        if let Some(size) = size {
            let n = size.min(core::mem::size_of::<NDISNPP_REPAIR_RESULT>());
            // SAFETY: the caller's structure is StructSize bytes long (C contract); we copy at most
            // that, after its StructSize field.
            unsafe { core::ptr::copy_nonoverlapping((&result as *const NDISNPP_REPAIR_RESULT).cast::<u8>().add(4), pResult.cast::<u8>().add(4), n - 4) };
        }
        if code == NMERR_SUCCESS {
            Ok(())
        } else {
            Err(code)
        }
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
