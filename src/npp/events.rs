//! What the status callback hears of a capture: how it ended, triggers, link changes.

use super::*;

pub(super) fn end_value(reason: &EndReason) -> NmErr {
    match reason {
        EndReason::Stopped | EndReason::FrameLimit | EndReason::Trigger(_) | EndReason::EndOfInput => NMERR_SUCCESS,
        EndReason::SourceFailed(_) => NMERR_NETWORK_NOT_PRESENT,
        EndReason::Lost(_) => NMERR_LOST_CONNECTION,
        EndReason::BadInput(_) => NMERR_INVALID_FILE_FORMAT,
        EndReason::WriteFailed(_) => NMERR_FILE_WRITE_ERROR,
        EndReason::FileLimit => NMERR_OUT_OF_RANGE,
    }
}

/// The status event of a capture that ended: `value` says why (an NMERR), with the statistics.
pub(super) fn ended_event(value: NmErr, totals: &Totals) -> Event {
    Event {
        event: UPDATE_EVENT_NETWORK_STATUS,
        action: UPDATE_ACTION_STOP_CAPTURE,
        status: NETWORKSTATUS_STATE_VOID,
        value: value.code(),
        final_stats: Some(totals.statistics()),
        path: None,
    }
}

/// The words of an end reason that its NMERR alone does not give.
pub(super) fn end_detail(reason: &EndReason) -> Option<String> {
    match reason {
        EndReason::SourceFailed(m) | EndReason::Lost(m) | EndReason::BadInput(m) | EndReason::WriteFailed(m) => Some(m.clone()),
        EndReason::FileLimit => Some("the capture file reached its format's size limit".into()),
        EndReason::Stopped | EndReason::FrameLimit | EndReason::Trigger(_) | EndReason::EndOfInput => None,
    }
}

/// The status callback's notifier for a capture: how it ended by itself (also kept, in words, in
/// `detail`), and triggers.
pub(super) fn notifier(poster: Option<Poster>, detail: Arc<Mutex<String>>) -> crate::capture::engine::Notifier {
    Box::new(move |n: Notice| {
        if let Notice::Ended(reason, _) = &n {
            if let Some(d) = end_detail(reason) {
                *detail.lock() = d;
            }
        }
        let Some(p) = &poster else { return };
        if let Notice::Ended(EndReason::Lost(_), _) = &n {
            // The remote capture's loss first, as Network Monitor's remote agent reports it; then
            // its end.
            p.post(Event {
                event: UPDATE_EVENT_REMOTE_FAILURE,
                action: UPDATE_ACTION_NOTIFY,
                status: NETWORKSTATUS_STATE_CAPTURING,
                value: NMERR_LOST_CONNECTION.code(),
                final_stats: None,
                path: None,
            });
        }
        p.post(match n {
            Notice::Ended(reason, totals) => ended_event(end_value(&reason), &totals),
            Notice::Trigger(fired, totals) => Event {
                event: fired.event,
                action: fired.action,
                status: match fired.action {
                    UPDATE_ACTION_STOP_CAPTURE => NETWORKSTATUS_STATE_VOID,
                    UPDATE_ACTION_PAUSE_CAPTURE => NETWORKSTATUS_STATE_PAUSED,
                    _ => NETWORKSTATUS_STATE_CAPTURING,
                },
                value: 0,
                final_stats: Some(totals.statistics()),
                path: None,
            },
            Notice::Link { up, paused } => Event {
                event: UPDATE_EVENT_NETWORK_STATUS,
                action: UPDATE_ACTION_NOTIFY,
                status: if paused { NETWORKSTATUS_STATE_PAUSED } else { NETWORKSTATUS_STATE_CAPTURING },
                value: if up { NDISNPP_LINK_UP } else { NDISNPP_LINK_DOWN },
                final_stats: None,
                path: None,
            },
            Notice::FileStarted { path } => Event {
                event: UPDATE_EVENT_NETWORK_STATUS,
                action: UPDATE_ACTION_NOTIFY,
                status: NETWORKSTATUS_STATE_CAPTURING,
                value: NDISNPP_FILE_STARTED,
                final_stats: None,
                path: std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str())).ok(),
            },
        });
    })
}
