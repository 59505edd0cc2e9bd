//! The status callback: one library thread per connection that has a callback. The capture
//! thread and the control calls post events to it without waiting; it calls the application's
//! LPNETWORKCALLBACKPROC with no library lock held, so the callback may call back into the library
//! (even stop or disconnect the NPP). UPDATE_EVENT_TERMINATE_THREAD is the last event.

use crate::types::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};

/// One event for the callback.
#[derive(Clone, Debug)]
pub struct Event {
    pub event: u32,
    pub action: u32,
    pub status: u32,
    pub value: u32,
    pub final_stats: Option<STATISTICS>,
    /// A path for `lpReserved` (NDISNPP_FILE_STARTED), valid during the callback.
    pub path: Option<std::ffi::CString>,
}

enum Msg {
    Event(Event),
    Terminate,
}

/// Posts events to a connection's callback thread.
#[derive(Clone)]
pub struct Poster(mpsc::Sender<Msg>);

impl Poster {
    pub fn post(&self, e: Event) {
        let _ = self.0.send(Msg::Event(e));
    }
}

/// The callback thread of one connection.
pub struct Callback {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
}

fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

fn deliver(cb: unsafe extern "C" fn(UPDATE_EVENT) -> DWORD, ctx: usize, e: Event) {
    let mut stats = e.final_stats.unwrap_or_default();
    let ev = UPDATE_EVENT {
        Event: e.event as u16,
        Action: e.action,
        Status: e.status,
        Value: e.value,
        TimeStamp: now_us(),
        lpUserContext: ctx,
        lpReserved: e.path.as_ref().map_or(0, |p| p.as_ptr() as usize),
        FramesDropped: 0,
        Data: UPDATE_EVENT_DATA { lpPacketQueue: 0 },
        lpFinalStats: if e.final_stats.is_some() { &mut stats } else { core::ptr::null_mut() },
    };
    // A panic cannot come back from C; the application's callback runs as it is.
    // SAFETY: the application gave this function pointer for exactly this call signature.
    let _ = unsafe { cb(ev) };
}

impl Callback {
    /// The callback thread of NPP `handle`. Once `cancelled` (the NPP was destroyed from inside a
    /// callback) it calls the application no more, not even for UPDATE_EVENT_TERMINATE_THREAD.
    pub fn start(cb: unsafe extern "C" fn(UPDATE_EVENT) -> DWORD, ctx: usize, handle: u64, cancelled: Arc<AtomicBool>) -> std::io::Result<Callback> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = std::thread::Builder::new().name("ndisnpp-callback".into()).spawn(move || {
            super::gate::serve(handle, false);
            let live = || !cancelled.load(Ordering::Acquire);
            for msg in rx {
                match msg {
                    Msg::Event(e) if live() => deliver(cb, ctx, e),
                    Msg::Event(_) => {}
                    Msg::Terminate => break,
                }
            }
            if !live() {
                return;
            }
            deliver(
                cb,
                ctx,
                Event {
                    event: UPDATE_EVENT_TERMINATE_THREAD,
                    action: UPDATE_ACTION_TERMINATE_THREAD,
                    status: NETWORKSTATUS_STATE_VOID,
                    value: 0,
                    final_stats: None,
                    path: None,
                },
            );
        })?;
        let thread_id = thread.thread().id();
        Ok(Callback { tx, thread: Some(thread), thread_id })
    }

    pub fn poster(&self) -> Poster {
        Poster(self.tx.clone())
    }

    /// Delivers what is queued, then UPDATE_EVENT_TERMINATE_THREAD, and waits for the thread —
    /// unless called from the callback itself or `detached` (a call that must not wait for this
    /// NPP's callbacks, see gate.rs): then the thread ends after the callback returns. Call with
    /// no library lock held.
    pub fn terminate(mut self, detached: bool) {
        let _ = self.tx.send(Msg::Terminate);
        if let Some(t) = self.thread.take() {
            if !detached && std::thread::current().id() != self.thread_id {
                let _ = t.join();
            }
        }
    }
}
