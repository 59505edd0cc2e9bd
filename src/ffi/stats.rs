//! The IStats family: `stats_*` functions on NPP handles — statistics without a capture file.
//! Same state rules and check order as `esp_*`, with `NMERR_NOT_STATS_ONLY` for an NPP that
//! `esp_connect` connected.

use super::*;
use crate::npp::{self, Family};
use crate::types::*;

const F: Family = Family::Stats;

family_common! {
    F,
    query_status: stats_query_status,
    control_state: stats_get_control_state,
    conversations: stats_get_conversation_statistics,
    query_stations: stats_query_stations,
}

ffi_fn! {
    /// Connects for statistics only (see esp_connect; no capture directory is needed).
    #[must_use]
    fn stats_connect(hNpp: HNPP, hInputBlob: HBLOB, StatusCallbackProc: LPNETWORKCALLBACKPROC, UserContext: LPVOID, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        connect_family(h, F, hInputBlob, (StatusCallbackProc, None), UserContext, hErrorBlob)
    }
}

ffi_fn! {
    /// Disconnects (`NMERR_CAPTURING` while running or paused).
    fn stats_disconnect(hNpp: HNPP) -> DWORD for npp |h| {
        npp::disconnect(h, F)
    }
}

ffi_fn! {
    /// As esp_configure.
    fn stats_configure(hNpp: HNPP, hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        configure_family(h, F, hConfigurationBlob, hErrorBlob)
    }
}

ffi_fn! {
    /// Starts counting (no file).
    #[must_use]
    fn stats_start(hNpp: HNPP) -> DWORD for npp |h| {
        npp::start(h, F, None).map(|_| ())
    }
}

ffi_fn! {
    /// Pauses counting (frames still count as seen).
    fn stats_pause(hNpp: HNPP) -> DWORD for npp |h| {
        npp::pause(h, F).map(|_| ())
    }
}

ffi_fn! {
    /// Resumes counting.
    fn stats_resume(hNpp: HNPP) -> DWORD for npp |h| {
        npp::resume(h, F)
    }
}

ffi_fn! {
    /// Stops counting; the totals stay readable with stats_get_total_statistics.
    fn stats_stop(hNpp: HNPP) -> DWORD for npp |h| {
        npp::stop(h, F).and_then(|(_, finished)| finished)
    }
}

ffi_fn! {
    /// Copies the totals of the running (or paused) capture, else of the last one since Connect, into
    /// `*lpStats`; `fClearAfterReading` TRUE then resets them (and TimeElapsed's base).
    /// `NMERR_NOT_CAPTURING` when no capture ran since Connect.
    #[must_use]
    fn stats_get_total_statistics(hNpp: HNPP, lpStats: LPSTATISTICS, fClearAfterReading: BOOL) -> DWORD for npp |h| {
        total_statistics_into(h, F, out!(lpStats), fClearAfterReading)
    }
}

ffi_fn! {
    /// ndisnpp extension: stats_get_total_statistics in 64 bits (see STATISTICS_EX), without clearing.
    #[must_use]
    fn stats_get_statistics_ex(hNpp: HNPP, lpStats: LPSTATISTICS_EX) -> DWORD for npp |h| {
        // SAFETY: lpStats is this call's argument: by the shared contract NULL or the caller's
        // STATISTICS_EX, StructSize bytes long.
        unsafe { write_statistics_ex(lpStats, || npp::totals(h, F, false)) }
    }
}

ffi_fn! {
    /// IStats keeps no frames, so there is nothing to insert a special frame into:
    /// `NMERR_NOT_SUPPORTED` once the handle, the connection and the family are checked.
    fn stats_insert_special_frame(hNpp: HNPP, FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) -> DWORD for npp |h| {
        // SAFETY: pUserData is this call's argument: by the shared contract NULL or
        // UserDataLength readable bytes.
        unsafe { insert_special_from(h, F, FrameType, Flags, pUserData, UserDataLength) }
    }
}
