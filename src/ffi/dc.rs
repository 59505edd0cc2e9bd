//! The IDelaydC family: `dc_*` functions on NPP handles — a capture file per Start, as IESP, plus
//! the statistics methods (SDK c, README, "IRTC delivery"). Same state rules and check order as `esp_*`,
//! with `NMERR_NOT_DELAYED` for an NPP another family connected.

use super::*;
use crate::npp::{self, Family};
use crate::types::*;
use core::ffi::c_char;

const F: Family = Family::Delayed;

family_common! {
    F,
    query_status: dc_query_status,
    control_state: dc_get_control_state,
    conversations: dc_get_conversation_statistics,
    query_stations: dc_query_stations,
}

ffi_fn! {
    /// As esp_connect (the capture directory must be usable: NMERR_NO_DEFAULT_CAPTURE_DIRECTORY, or
    /// NMERR_ACCESS_DENIED for one another user controls).
    #[must_use]
    fn dc_connect(hNpp: HNPP, hInputBlob: HBLOB, StatusCallbackProc: LPNETWORKCALLBACKPROC, UserContext: LPVOID, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        connect_family(h, F, hInputBlob, (StatusCallbackProc, None), UserContext, hErrorBlob)
    }
}

ffi_fn! {
    /// As esp_disconnect.
    fn dc_disconnect(hNpp: HNPP) -> DWORD for npp |h| {
        npp::disconnect(h, F)
    }
}

ffi_fn! {
    /// As esp_configure.
    fn dc_configure(hNpp: HNPP, hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        configure_family(h, F, hConfigurationBlob, hErrorBlob)
    }
}

ffi_fn! {
    /// As esp_start: a new capture file per Start, its NUL-terminated name into `pFileName`
    /// (`FileNameLength` bytes; NMERR_INVALID_PARAMETER, nothing started, when it would not fit).
    #[must_use]
    fn dc_start(hNpp: HNPP, pFileName: *mut c_char, FileNameLength: usize) -> DWORD for npp |h| {
        // SAFETY: pFileName is this call's argument: by the shared contract NULL or
        // FileNameLength writable bytes.
        unsafe { start_into(h, F, pFileName, FileNameLength) }
    }
}

ffi_fn! {
    /// Pauses: frames are no longer written (they count as seen); the file stays open.
    fn dc_pause(hNpp: HNPP) -> DWORD for npp |h| {
        npp::pause(h, F).map(|_| ())
    }
}

ffi_fn! {
    /// Resumes into the same file.
    fn dc_resume(hNpp: HNPP) -> DWORD for npp |h| {
        npp::resume(h, F)
    }
}

ffi_fn! {
    /// As esp_stop: drains, completes and closes the file, fills `lpStats` (may be NULL).
    fn dc_stop(hNpp: HNPP, lpStats: LPSTATISTICS) -> DWORD for npp |h| {
        stop_into(h, F, opt_out!(lpStats))
    }
}

ffi_fn! {
    /// The running capture's totals (`fClearAfterReading` TRUE resets them after the copy). Only
    /// while running: NMERR_CAPTURE_PAUSED while paused, NMERR_NOT_CAPTURING when no capture runs
    /// (SDK c; dc_stop returns the final statistics).
    #[must_use]
    fn dc_get_total_statistics(hNpp: HNPP, lpStats: LPSTATISTICS, fClearAfterReading: BOOL) -> DWORD for npp |h| {
        total_statistics_into(h, F, out!(lpStats), fClearAfterReading)
    }
}

ffi_fn! {
    /// Writes Network Monitor's special frame into the capture file at this point (see
    /// rtc_insert_special_frame for its bytes; in a pcapng file it carries an opt_comment naming
    /// its type). Counts in TotalFramesCaptured. Only while running.
    fn dc_insert_special_frame(hNpp: HNPP, FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) -> DWORD for npp |h| {
        // SAFETY: pUserData is this call's argument: by the shared contract NULL or
        // UserDataLength readable bytes.
        unsafe { insert_special_from(h, F, FrameType, Flags, pUserData, UserDataLength) }
    }
}

ffi_fn! {
    /// ndisnpp extension: dc_get_total_statistics in 64 bits (see STATISTICS_EX), with the same
    /// rules, without clearing.
    #[must_use]
    fn dc_get_statistics_ex(hNpp: HNPP, lpStats: LPSTATISTICS_EX) -> DWORD for npp |h| {
        // SAFETY: lpStats is this call's argument: by the shared contract NULL or the caller's
        // STATISTICS_EX, StructSize bytes long.
        unsafe { write_statistics_ex(lpStats, || npp::totals(h, F, false)) }
    }
}
