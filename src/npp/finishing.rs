//! Finishing a capture: joining its threads, deleting an empty file, on this thread or (from
//! inside a callback) on a thread of its own.

use super::*;

/// Why a capture's file could not be finished; `reported`: the capture thread already told the
/// status callback (it ended by itself on that error).
pub(super) struct FinishError {
    pub(super) message: String,
    pub(super) reported: bool,
}

/// A capture that ended by itself, taken out of its NPP: finished (its thread joined, an empty
/// file deleted) by `done`, with no lock held.
pub(super) struct Ended(pub(super) Option<(Capture, bool)>);

impl Ended {
    pub(super) fn done(self, e: &Arc<NppEntry>) {
        if let Some((cap, dont_delete_empty)) = self.0 {
            let waiter = Waiter::enter(e.handle());
            finish(e, cap, dont_delete_empty, waiter.detached, |_, _| {});
        }
    }
}

/// Stops the engine and waits for it (joining its thread and, for IRTC, the last delivery: call
/// with no NPP lock held, never from one of the NPP's callbacks), then deletes an empty file unless
/// it is to be kept; returns the statistics and how finishing the file went.
pub(super) fn finish_file(cap: Capture, dont_delete_empty: bool) -> (Totals, Option<FinishError>) {
    let (outcome, stats) = cap.engine.stop();
    if let Some(d) = cap.delivery {
        d.join();
    }
    if let Some(path) = &cap.file {
        if stats.captured_frames == 0 && !dont_delete_empty {
            let _ = std::fs::remove_file(path);
        }
    }
    // A capture that ended by itself on a write error just as Stop came: Stop says so too (the
    // capture thread has already told the status callback).
    let finish_error = match (outcome.finish_error, outcome.reason) {
        (Some(m), _) => Some(FinishError { message: m, reported: false }),
        (None, EndReason::WriteFailed(m)) => Some(FinishError { message: m, reported: true }),
        _ => None,
    };
    (stats, finish_error)
}

/// Finishes a capture taken out of NPP `e` (call with no NPP lock held). Not detached: here, with
/// the gate saying meanwhile that it is stopping (calls from the callbacks then do not wait for the
/// control lock), returning the statistics and how finishing the file went. Detached (from inside
/// a callback): on a thread of its own, since the capture thread hands over its last frames only
/// once the callback has returned; `done` runs there with the final statistics, and this returns
/// None at once. Non-detached calls wait for that thread (`join_finishing`).
pub(super) fn finish(
    e: &Arc<NppEntry>,
    cap: Capture,
    dont_delete_empty: bool,
    detached: bool,
    done: impl FnOnce(&NppEntry, Totals) + Send + 'static,
) -> Option<(Totals, Option<FinishError>)> {
    if !detached {
        let _stopping = e.gate.stopping();
        return Some(finish_file(cap, dont_delete_empty));
    }
    e.gate.begin_stopping();
    e.gate.begin_finishing();
    let spawned = std::thread::Builder::new().name("ndisnpp-stop".into()).spawn({
        let e = e.clone();
        move || {
            let (totals, _) = finish_file(cap, dont_delete_empty);
            done(&e, totals);
            e.gate.end_stopping();
            e.gate.finished();
        }
    });
    if spawned.is_err() {
        // No thread to finish it: the engine went with the closure (its Drop stops it); the last
        // frames are not delivered.
        e.gate.end_stopping();
        e.gate.finished();
    }
    None
}
