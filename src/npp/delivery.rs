//! IRTC's delivery thread: hands each batch the capture thread filled (src/capture/rtc.rs) to the
//! application's frames callback, as Network Monitor did: UPDATE_EVENT with the reason of the
//! switch (`UPDATE_EVENT_RTC_*`), `UPDATE_ACTION_RTC_BUFFER_SWITCH`, the FRAMETABLE in
//! `Data.lpFrameTable` and the frames dropped since the previous delivery in `FramesDropped`.
//! It then gives the emptied batch back. It runs no library lock while the callback runs, so the
//! callback may call back into the library, even to pause, stop or disconnect its own NPP.

use crate::capture::rtc::{Batch, RtcSettings};
use crate::types::*;
use std::cell::Cell;
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

thread_local! {
    /// The NPP whose frames callback this thread is running (0: none).
    static DELIVERING: Cell<u64> = const { Cell::new(0) };
}

/// True when the calling thread is the delivery thread of NPP `handle` (inside its frames
/// callback): calls from there must not wait for that thread.
pub fn is_delivering(handle: u64) -> bool {
    handle != 0 && DELIVERING.with(|d| d.get()) == handle
}

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

/// The delivery loop: each batch on `full` to the callback, then back on `spare`, until `full`
/// closes.
fn deliver_all(cb: FramesCallback, settings: RtcSettings, full: Receiver<Batch>, spare: SyncSender<Batch>) {
    for mut batch in full {
        let table = batch.frame_table(settings.table_len);
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
        batch.recycle();
        // Room for both batches: never blocks. The capture thread may be gone (then the
        // batch is simply dropped).
        let _ = spare.send(batch);
    }
}

impl Delivery {
    /// Starts the thread for NPP `handle`: it delivers the batches that come on `full` and gives
    /// each back on `spare`; it ends when `full` closes (after the capture thread's last batch).
    pub fn start(handle: u64, cb: FramesCallback, settings: RtcSettings, full: Receiver<Batch>, spare: SyncSender<Batch>) -> std::io::Result<Delivery> {
        let thread = std::thread::Builder::new().name("ndisnpp-rtc".into()).spawn(move || {
            DELIVERING.with(|d| d.set(handle));
            // A panic in this thread's own code (not the application's callback, which is C)
            // must not abort the process: the NPP is marked faulted (its calls then answer
            // NMERR_INTERNAL_EXCEPTION) and delivery ends; the capture thread then drops what
            // it cannot hand over, and its Stop does not wait for this thread.
            let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| deliver_all(cb, settings, full, spare)));
            if delivered.is_err() {
                super::mark_faulted(handle);
            }
            DELIVERING.with(|d| d.set(0));
        })?;
        Ok(Delivery { thread: Some(thread) })
    }

    /// Waits until every batch has been delivered (the capture thread has closed its side).
    /// Not from the delivery thread itself (`is_delivering`).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
