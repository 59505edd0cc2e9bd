//! The IESP family: `esp_*` functions on NPP handles (SDK b, docs/architecture.md, Layers).
//!
//! Check order: a NULL mandatory pointer → `NMERR_INVALID_PARAMETER`; a bad NPP handle →
//! `NMERR_INVALID_HNETWORK`; a bad BLOB handle → `NMERR_INVALID_BLOB`; not connected →
//! `NMERR_NOT_CONNECTED`; connected by `stats_connect` → `NMERR_NOT_ESP`; then the state; then
//! resources.

use super::*;
use crate::npp::{self, Family};
use crate::types::*;
use core::ffi::c_char;

const F: Family = Family::Esp;

ffi_fn! {
    /// Connects the NPP to the NIC (or replay file) that `hInputBlob` and the NPP's NIC BLOB name, and
    /// applies the configuration in `hInputBlob` (as esp_configure). `StatusCallbackProc` (may be
    /// NULL) receives UPDATE_EVENTs on a library thread, with `UserContext` in `lpUserContext`.
    /// Errors: `NMERR_ALREADY_CONNECTED`; configuration errors as esp_configure;
    /// `NMERR_NETWORK_NOT_PRESENT` (no such interface), `NMERR_ACCESS_DENIED` (the process lacks
    /// CAP_NET_RAW: the error BLOB says so under `NPP:Error:Permission`; or the capture directory
    /// named by `NPP:Config:CaptureDirectory` or `$NETMON_CAPTURE_DIR` is one another user
    /// controls: owned by a user other than the caller and root, or writable by group or others
    /// without the sticky bit; the error BLOB then holds `NPP:Config:CaptureDirectory` (when
    /// configured) and the reason in `NPP:Error:Detail`),
    /// `NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED`, `NMERR_MAC_DRIVER_OPEN_FAILURE`,
    /// `NMERR_FILE_NOT_FOUND` / `NMERR_INVALID_FILE_FORMAT` (replay file),
    /// `NMERR_NO_DEFAULT_CAPTURE_DIRECTORY` (the capture directory cannot be created or opened, or
    /// no safe default exists; the reason in `NPP:Error:Detail`). Entries that
    /// are missing, malformed or unknown are written to `hErrorBlob` (may be NULL).
    #[must_use]
    fn esp_connect(hNpp: HNPP, hInputBlob: HBLOB, StatusCallbackProc: LPNETWORKCALLBACKPROC, UserContext: LPVOID, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        connect_family(h, F, hInputBlob, (StatusCallbackProc, None), UserContext, hErrorBlob)
    }
}

ffi_fn! {
    /// Disconnects. `NMERR_CAPTURING` while a capture runs or is paused (stop it first),
    /// `NMERR_NOT_CONNECTED`, `NMERR_NOT_ESP`. The callback receives UPDATE_EVENT_TERMINATE_THREAD last.
    fn esp_disconnect(hNpp: HNPP) -> DWORD for npp |h| {
        npp::disconnect(h, F)
    }
}

ffi_fn! {
    /// Fills `*pNetworkStatus`: State VOID (not connected or idle), CAPTURING or PAUSED. Works in every
    /// state, whichever family connected the NPP.
    #[must_use]
    fn esp_query_status(hNpp: HNPP, pNetworkStatus: LPNETWORKSTATUS) -> DWORD for npp |h| {
        query_status_into(h, out!(pNetworkStatus))
    }
}

ffi_fn! {
    /// Applies a configuration BLOB (`NPP:Config:*`, the filter parts, `NPP:Trigger:Trigger`). A
    /// malformed entry answers `NMERR_BLOB_CONVERSION_ERROR` (`NMERR_ILLEGAL_TRIGGER` for the
    /// trigger), names the entry in `hErrorBlob`, and keeps the previous configuration; unknown
    /// `NPP:*` entries are copied to `hErrorBlob` and ignored. `NMERR_CAPTURING` while capturing.
    /// Streams (README "Streams"): `NPP:Config:CaptureFileDescriptor` (a decimal descriptor) makes
    /// Start write to a duplicate of that descriptor (F_DUPFD_CLOEXEC, closed when the capture
    /// ends) instead of a new file; only `PCAP` and `PCAPNG` stream: with Network Monitor 2 it
    /// answers `NMERR_NOT_SUPPORTED` (that format seeks back to complete the file), with a closed
    /// or read-only descriptor `NMERR_INVALID_PARAMETER`, the entry and the reason
    /// (`NPP:Error:Detail`) in `hErrorBlob`. `NPP:Config:ReplayEndAtEof` TRUE: a replay NIC ends
    /// the capture by itself at the end of its input, every frame written (the status callback
    /// gets UPDATE_EVENT_NETWORK_STATUS / UPDATE_ACTION_STOP_CAPTURE with Value `NMERR_SUCCESS`).
    fn esp_configure(hNpp: HNPP, hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) -> DWORD for npp |h| {
        configure_family(h, F, hConfigurationBlob, hErrorBlob)
    }
}

ffi_fn! {
    /// Starts a capture into a new file (mode 0600, in the capture directory: `NPP:Config:CaptureDirectory`,
    /// else `$NETMON_CAPTURE_DIR`, else `$TMPDIR/netmon`; named `nm-<16 hex digits>.cap` for
    /// Network Monitor 2, `.pcap` for pcap, `.pcapng` for pcapng) and writes its NUL-terminated path into
    /// `pFileName` (`FileNameLength` bytes). `NMERR_INVALID_PARAMETER` when the name would not fit
    /// (nothing is started). `NMERR_CAPTURING`, `NMERR_CAPTURE_PAUSED`; file errors
    /// `NMERR_ACCESS_DENIED` (also: the capture directory is now one another user controls, as
    /// at esp_connect), `NMERR_PATH_NOT_FOUND`, `NMERR_FILE_WRITE_ERROR`,
    /// `NMERR_COULD_NOT_CREATE_DIRECTORY`, `NMERR_COULD_NOT_CREATE_TEMPFILE`; source errors as
    /// esp_connect (the interface or replay file may have gone since: `NMERR_NETWORK_NOT_PRESENT`,
    /// `NMERR_FILE_NOT_FOUND`); `NMERR_UNKNOWN_MACTYPE` when the file format cannot hold the link
    /// type (Network Monitor 2 takes Ethernet, raw IP and LINKTYPEs up to 0xFFF outside 128-138).
    /// After Stop, a Start without Configure re-uses the last configuration.
    /// With `NPP:Config:CaptureFileDescriptor` (see esp_configure) no file is made: the header goes
    /// to the descriptor now and `pFileName` receives "" (a descriptor closed since Configure:
    /// `NMERR_INVALID_PARAMETER`; a reader already gone: `NMERR_FILE_WRITE_ERROR`; the reason in
    /// npp_get_error_detail). Frames follow at least twice a second while they arrive, as whole
    /// records; SIGPIPE is blocked on the library's writing threads (never the process's
    /// disposition changed), so a reader that goes away ends the capture with
    /// `NMERR_FILE_WRITE_ERROR` ("the reader of the capture stream went away").
    /// A replay of standard input (`NPP:Location:ReplayFile` = "-") waits here at most 10 s for the
    /// pcap or pcapng header (`NMERR_INVALID_FILE_FORMAT` when none, or not a capture, arrives).
    #[must_use]
    fn esp_start(hNpp: HNPP, pFileName: *mut c_char, FileNameLength: usize) -> DWORD for npp |h| {
        // SAFETY: pFileName is this call's argument: by the shared contract NULL or
        // FileNameLength writable bytes.
        unsafe { start_into(h, F, pFileName, FileNameLength) }
    }
}

ffi_fn! {
    /// Pauses: frames are no longer written (they count as seen); the file stays open. `lpStats`
    /// (may be NULL) receives the statistics at that moment. `NMERR_NOT_CAPTURING`,
    /// `NMERR_CAPTURE_PAUSED`.
    fn esp_pause(hNpp: HNPP, lpStats: LPSTATISTICS) -> DWORD for npp |h| {
        let stats = npp::pause(h, F)?;
        if let Some(s) = opt_out!(lpStats) {
            *s = stats;
        }
        Ok(())
    }
}

ffi_fn! {
    /// Resumes a paused capture into the same file. `NMERR_CAPTURE_NOT_PAUSED`.
    fn esp_resume(hNpp: HNPP) -> DWORD for npp |h| {
        npp::resume(h, F)
    }
}

ffi_fn! {
    /// Stops the capture: drains what the kernel already holds, finishes and closes the file, and
    /// fills `lpStats` (may be NULL). A file with no frame is deleted unless
    /// `NPP:Config:DontDeleteEmptyCapture` is TRUE (Wireshark cannot open an empty Network Monitor
    /// file). Unless `NPP:Config:NoStatsFrame` is TRUE, a Network Monitor 2 file with frames ends with
    /// Network Monitor's statistics frame ("$MST", STATS_FRAME_TYPE), not counted in
    /// TotalFramesCaptured. `NMERR_NOT_CAPTURING` (also after a capture ended by itself: the callback got its
    /// statistics). `NMERR_FILE_WRITE_ERROR` when the file could not be completed (the disk filled
    /// while the last frames were written): the capture is stopped all the same, `lpStats` is filled
    /// (counting the frames the file holds) and the status callback receives
    /// UPDATE_EVENT_NETWORK_STATUS / UPDATE_ACTION_STOP_CAPTURE with that Value.
    fn esp_stop(hNpp: HNPP, lpStats: LPSTATISTICS) -> DWORD for npp |h| {
        stop_into(h, F, opt_out!(lpStats))
    }
}

ffi_fn! {
    /// `*IsRunnning` = TRUE while a capture is started (also paused), `*IsPaused` = TRUE while paused.
    #[must_use]
    fn esp_get_control_state(hNpp: HNPP, IsRunnning: *mut BOOL, IsPaused: *mut BOOL) -> DWORD for npp |h| {
        control_state_into(h, F, out!(IsRunnning), out!(IsPaused))
    }
}

ffi_fn! {
    /// ndisnpp extension (IESP has no GetTotalStatistics): the running or paused capture's totals in 64
    /// bits, else the last finished capture's, without stopping or pausing it. `lpStats->StructSize`
    /// must be set (at least 16); at most that many bytes are written. `NMERR_NOT_CAPTURING` when no
    /// capture ran since Connect.
    #[must_use]
    fn esp_get_statistics_ex(hNpp: HNPP, lpStats: LPSTATISTICS_EX) -> DWORD for npp |h| {
        // SAFETY: lpStats is this call's argument: by the shared contract NULL or the caller's
        // STATISTICS_EX, StructSize bytes long.
        unsafe { write_statistics_ex(lpStats, || npp::totals(h, F, false)) }
    }
}

ffi_fn! {
    /// QueryStations: fills `lpQueryTable` with the stations on the NPP's link that run ndisnpp and
    /// are capturing (this process's own answering captures on that interface included). In:
    /// `nStationQueries` = the number of `StationQuery` entries the table has room for (allocate
    /// `4 + 192 * n` bytes). Out: `nStationQueries` = entries written. Works in every state after
    /// npp_create, whichever family connected the NPP; the interface and `NPP:Config:QueryTimeout`
    /// (ms, default 1000, at most 10000) come from the connection's BLOBs, else the NIC BLOB. Blocks
    /// for that long unless the table fills first; capacity 0 returns at once.
    /// Transport (ndisnpp's own): one broadcast Ethernet frame of EtherType 0x88B5
    /// (NDISNPP_STATION_QUERY_ETHERTYPE) holding a BONEPACKET request with a random id in `Reserved`;
    /// each answer is unicast back as a BONEPACKET response (same id, `Length` 192) followed by a
    /// STATIONQUERY. Nothing leaves the local link; sending needs CAP_NET_RAW. A capture answers
    /// unless `NPP:Config:AnswerStationQueries` is FALSE. Errors: `NMERR_INVALID_PARAMETER` (NULL
    /// table), `NMERR_INVALID_HNETWORK`, `NMERR_NETWORK_NOT_PRESENT` (interface gone or down),
    /// `NMERR_ACCESS_DENIED` (no CAP_NET_RAW), `NMERR_OUT_OF_MEMORY`, `NMERR_TRANSMIT_ERROR`; the
    /// table is then unchanged. A replay-file NPP or a non-Ethernet interface finds no station.
    #[must_use]
    fn esp_query_stations(hNpp: HNPP, lpQueryTable: LPQUERYTABLE) -> DWORD for npp |h| {
        // SAFETY: lpQueryTable is this call's argument: by the shared contract NULL or the caller's
        // QUERYTABLE with room for its nStationQueries entries.
        unsafe { super::query_stations_into(h, lpQueryTable) }
    }
}
