//! IRTC's delivery thread: hands each batch the capture thread filled (src/capture/rtc.rs) to the
//! application's frames callback, as Network Monitor did: UPDATE_EVENT with the reason of the
//! switch (`UPDATE_EVENT_RTC_*`), `UPDATE_ACTION_RTC_BUFFER_SWITCH`, the FRAMETABLE in
//! `Data.lpFrameTable` and the frames dropped since the previous delivery in `FramesDropped`.
//! It then gives the emptied batch back. It runs no library lock while the callback runs, so the
//! callback may call back into the library, even to pause, stop or disconnect its own NPP.

use crate::capture::rtc::Deliveries;
use crate::types::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The frames callback and its context.
#[derive(Clone, Copy)]
pub struct FramesCallback {
    pub proc_: unsafe extern "C" fn(UPDATE_EVENT) -> DWORD,
    pub context: usize,
}

/// A running delivery thread.
pub struct Delivery {
    thread: Option<JoinHandle<()>>,
}

fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// The delivery loop: each batch to the callback (rtc::Deliveries), until the capture thread's
/// last one. Once `cancelled` (the NPP was destroyed from inside a callback), the batches go back
/// undelivered.
fn deliver_all(cb: FramesCallback, batches: Deliveries, cancelled: &AtomicBool) {
    batches.each(|batch| {
        // Cancelled, or a batch that only gives lent ring blocks back: no callback.
        if cancelled.load(Ordering::Acquire) || batch.has_nothing_to_deliver() {
            return;
        }
        let table = batch.frame_table();
        let ev = UPDATE_EVENT {
            Event: batch.reason.event(),
            Action: UPDATE_ACTION_RTC_BUFFER_SWITCH,
            Status: NETWORKSTATUS_STATE_CAPTURING,
            Value: 0,
            TimeStamp: now_us(),
            lpUserContext: cb.context,
            lpReserved: 0,
            FramesDropped: batch.dropped,
            Data: UPDATE_EVENT_DATA { lpFrameTable: table },
            lpFinalStats: core::ptr::null_mut(),
        };
        // SAFETY: the application gave this function for exactly this signature; the
        // table and the frame bytes it points to live in `batch`, untouched until the
        // callback has returned.
        let _ = unsafe { (cb.proc_)(ev) };
    });
}

impl Delivery {
    /// Starts the thread for NPP `handle`: it delivers the batches of `batches` (rtc.rs has the
    /// double buffer's protocol); it ends after the capture thread's last batch.
    pub fn start(handle: u64, cb: FramesCallback, batches: Deliveries, cancelled: Arc<AtomicBool>) -> std::io::Result<Delivery> {
        let thread = std::thread::Builder::new().name("ndisnpp-rtc".into()).spawn(move || {
            super::gate::serve(handle, true);
            // A panic in this thread's own code (not the application's callback, which is C)
            // must not abort the process: the NPP is marked faulted (its calls then answer
            // NMERR_INTERNAL_EXCEPTION) and delivery ends; the capture thread then drops what
            // it cannot hand over, and its Stop does not wait for this thread.
            let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| deliver_all(cb, batches, &cancelled)));
            if delivered.is_err() {
                super::mark_faulted(handle);
            }
        })?;
        Ok(Delivery { thread: Some(thread) })
    }

    /// Waits until every batch has been delivered (the capture thread has closed its side).
    /// Never from the delivery thread itself (a detached call, see gate.rs).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
