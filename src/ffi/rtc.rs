//! The IRTC family: `rtc_*` functions on NPP handles — frames to the application in real time
//! through its frames callback (SDK c, README, "IRTC delivery"). Same state rules and check order as
//! `esp_*`, with `NMERR_NOT_REALTIME` for an NPP another family connected.

use super::*;
use crate::npp::{self, Family};
use crate::types::*;

const F: Family = Family::Rtc;

family_common! {
    F,
    query_status: rtc_query_status,
    control_state: rtc_get_control_state,
    conversations: rtc_get_conversation_statistics,
    query_stations: rtc_query_stations,
}

ffi_fn! {
    /// Connects for real-time capture. `FramesCallbackProc` receives the frames: on a library
    /// thread, an UPDATE_EVENT with `Event` = UPDATE_EVENT_RTC_INTERVAL_ELAPSED (the update
    /// interval passed: `NPP:Config:UpdateInterval` ms, else `UpdateFreq` s, default 100 ms; also
    /// earlier, when the callback is free and frames wait: the source has nothing more for the
    /// moment, or the batch holds 512 frames, twice as many at each such delivery up to 8192),
    /// UPDATE_EVENT_RTC_FRAME_TABLE_FULL (`NPP:Config:FrameTableLength` frames, default 4096) or
    /// UPDATE_EVENT_RTC_BUFFER_FULL (`NPP:Config:BufferSize` bytes, default
    /// DEFAULT_RTC_BUFFER_SIZE), `Action` = UPDATE_ACTION_RTC_BUFFER_SWITCH, `Data.lpFrameTable`
    /// the FRAMETABLE (walk `FrameCount` descriptors from `StartIndex`, wrapping at
    /// `FrameTableLength`) and `FramesDropped` the frames lost since the previous delivery because
    /// the callback still held the other buffer. The table and the frame bytes are valid only
    /// during the callback. `StatusCallbackProc` receives the status events as esp_connect's.
    /// At least one callback must be given (`NMERR_INVALID_PARAMETER`); both share
    /// `UserContext`. Errors otherwise as esp_connect (no capture directory is needed).
    #[must_use]
    fn rtc_connect(
        hNpp: HNPP,
        hInputBlob: HBLOB,
        StatusCallbackProc: LPNETWORKCALLBACKPROC,
        FramesCallbackProc: LPNETWORKCALLBACKPROC,
        UserContext: LPVOID,
        hErrorBlob: HBLOB,
    ) -> DWORD for npp |h| {
        if StatusCallbackProc.is_none() && FramesCallbackProc.is_none() {
            return Err(NMERR_INVALID_PARAMETER);
        }
        connect_family(h, F, hInputBlob, (StatusCallbackProc, FramesCallbackProc), UserContext, hErrorBlob)
    }
}

ffi_fn! {
    /// Disconnects (`NMERR_CAPTURING` while running or paused). The status callback receives
    /// UPDATE_EVENT_TERMINATE_THREAD last.
    fn rtc_disconnect(hNpp: HNPP) -> DWORD for npp |h| {
        npp::disconnect(h, F)
    }
}

ffi_fn! {
    /// As esp_configure; also `NPP:Config:UpdateInterval` (1..3600000 ms), `UpdateFreq`
    /// (1..3600 s) and `FrameTableLength` (1..1048576): a value out of range answers
    /// NMERR_BLOB_CONVERSION_ERROR naming the entry.
    fn rtc_configure(hNpp: HNPP, hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        configure_family(h, F, hConfigurationBlob, hErrorBlob)
    }
}

ffi_fn! {
    /// Starts delivering frames (no file). Filters, FrameSize clipping, triggers and conversation
    /// statistics apply as for esp_start.
    #[must_use]
    fn rtc_start(hNpp: HNPP) -> DWORD for npp |h| {
        npp::start(h, F, None).map(|_| ())
    }
}

ffi_fn! {
    /// Pauses: frames that arrive are counted as seen, not delivered, until rtc_resume.
    fn rtc_pause(hNpp: HNPP) -> DWORD for npp |h| {
        npp::pause(h, F).map(|_| ())
    }
}

ffi_fn! {
    /// Resumes delivering frames.
    fn rtc_resume(hNpp: HNPP) -> DWORD for npp |h| {
        npp::resume(h, F)
    }
}

ffi_fn! {
    /// Stops: every frame captured before the call is delivered, then it returns; no frames
    /// callback runs after it has returned. Called from the frames callback itself it returns at
    /// once, and the frames not yet delivered follow after that callback returns.
    fn rtc_stop(hNpp: HNPP) -> DWORD for npp |h| {
        npp::stop(h, F).and_then(|(_, finished)| finished)
    }
}

ffi_fn! {
    /// As stats_get_total_statistics (also while paused). TotalFramesCaptured counts the frames
    /// delivered (or queued for delivery); TotalFramesDropped those a slow callback lost.
    #[must_use]
    fn rtc_get_total_statistics(hNpp: HNPP, lpStats: LPSTATISTICS, fClearAfterReading: BOOL) -> DWORD for npp |h| {
        total_statistics_into(h, F, out!(lpStats), fClearAfterReading)
    }
}

ffi_fn! {
    /// Inserts Network Monitor's special frame into the frame stream at this point: an 802.3
    /// frame with LLC/SNAP type 0x8419, "$MST", `Flags`, `FrameType` (4 bytes each, little-
    /// endian), the data length (2 bytes) and `UserDataLength` bytes of `pUserData` (at most
    /// 1478; more: NMERR_INVALID_PARAMETER). It is delivered like a captured frame and counts in
    /// TotalFramesCaptured. Only while running (`NMERR_CAPTURE_PAUSED`, `NMERR_NOT_CAPTURING`).
    fn rtc_insert_special_frame(hNpp: HNPP, FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) -> DWORD for npp |h| {
        // SAFETY: pUserData is this call's argument: by the shared contract NULL or
        // UserDataLength readable bytes.
        unsafe { insert_special_from(h, F, FrameType, Flags, pUserData, UserDataLength) }
    }
}

ffi_fn! {
    /// ndisnpp extension: rtc_get_total_statistics in 64 bits (see STATISTICS_EX), without clearing.
    #[must_use]
    fn rtc_get_statistics_ex(hNpp: HNPP, lpStats: LPSTATISTICS_EX) -> DWORD for npp |h| {
        // SAFETY: lpStats is this call's argument: by the shared contract NULL or the caller's
        // STATISTICS_EX, StructSize bytes long.
        unsafe { write_statistics_ex(lpStats, || npp::totals(h, F, false)) }
    }
}
