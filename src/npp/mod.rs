//! NPP objects: the table behind HNPP handles, and what the capture families do to them. The
//! state machine (`state.rs`) decides; this module does the I/O (libpcap, capture files,
//! callback thread) and keeps the NPP as it was when a call fails.
//!
//! Here: the NPP's types (an entry of the table, its connection, its capture). By job:
//! `registry` (the table, create/destroy, the locks a call takes), `ops` (the families'
//! operations), `plan` (what Connect decides), `assemble` (what Start puts together),
//! `finishing` (ending a capture), `events` (what the status callback hears), `errors` (error
//! BLOB entries and NMERRs), `gate` (who waits for whom), `callback` and `delivery` (the threads
//! that call the application), `config`, `finder`, `state`.

pub mod callback;
pub mod config;
pub mod delivery;
pub mod discover;
pub mod finder;
pub mod gate;
pub mod plan;
pub mod state;

use crate::blob::names::*;
use crate::blob::{store, Blob};
use crate::capfile::{self, StreamInfo};
use crate::capture::conversation::Conversations;
use crate::capture::engine::{EndReason, Engine, EngineReader, Notice, Rotation, Stages, Totals};
use crate::capture::source::{LiveSettings, OpenError, Replay, Source, StreamReplay};
use crate::capture::trigger::TriggerState;
use crate::handles::HandleTable;
use crate::nmerr::*;
use crate::stations;
use crate::types::*;
use callback::{Callback, Event, Poster};
use config::CaptureConfig;
use gate::{Gate, Held, Waiter};
use parking_lot::Mutex;
use plan::{Plan, PlanError, SourceSpec};
use state::{Machine, Op};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub use state::Family;

mod assemble;
mod errors;
mod events;
mod finishing;
mod ops;
mod registry;

use assemble::*;
use errors::*;
use events::*;
use finishing::*;
pub use ops::*;
use registry::*;
pub use registry::{check_handle, create, destroy, mark_faulted};

/// A capture in progress.
struct Capture {
    engine: Engine,
    /// The capture file (ESP).
    file: Option<PathBuf>,
    /// Conversation statistics (None with NoConversationStats).
    conversations: Option<Arc<Mutex<Conversations>>>,
    /// Answers other stations' QueryStations while it runs (None: replay, or
    /// AnswerStationQueries FALSE); dropping it stops answering.
    #[allow(dead_code)] // held for its Drop
    station: Option<stations::Registration>,
    /// Tells the status callback (if any) how the capture ended when Stop finds that finishing
    /// the file failed.
    poster: Option<Poster>,
    /// IRTC: the thread that hands the frames to the frames callback.
    delivery: Option<delivery::Delivery>,
}

/// What a connection keeps.
struct Connection {
    config: CaptureConfig,
    /// Where the frames come from, the filter and the trigger: decided with `config`.
    plan: Plan,
    /// The link type of the source as Connect opened it (Configure compiles the pcap-filter
    /// expression for it).
    linktype: u32,
    /// The NIC BLOB merged with the Connect BLOB.
    target: Blob,
    callback: Option<Callback>,
    /// IRTC's frames callback.
    frames: Option<delivery::FramesCallback>,
    capture: Option<Capture>,
    /// A capture that Stop is finishing (outside the NPP's lock): its counters, read while the
    /// file is completed.
    stopping: Option<EngineReader>,
    /// Statistics of the last finished capture.
    last: Option<Totals>,
    /// A remote NIC's share of its ssh ControlMaster (crate::remote::master), from Connect to
    /// Disconnect: let go outside the NPP's locks (ending a master waits for ssh).
    master: Option<crate::remote::master::MasterRef>,
}

/// One NPP object.
pub struct Npp {
    /// The NIC BLOB it was created from (a private copy).
    pub nic: Blob,
    machine: Machine,
    /// Set when a panic was caught inside a call on this NPP; parking_lot locks do not poison,
    /// so the state says it.
    pub faulted: bool,
    conn: Option<Connection>,
}

impl std::fmt::Debug for Npp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Npp").field("machine", &self.machine).field("faulted", &self.faulted).finish()
    }
}

/// One entry of the NPP table. Two locks, always taken in this order:
/// * the control lock (`gate`) is held for the whole of a call that changes what the NPP does
///   (Connect, Configure, Start, Stop, Disconnect, destroy), so that such calls take turns. It is
///   never held while the library runs the application's callback or touches the application's
///   BLOBs.
/// * `state` guards the NPP itself and is held only for short steps, never across blocking work
///   (opening libpcap, creating the file, joining the capture thread): status calls, Pause and
///   Resume take only this lock and answer at once while a control call works.
///
/// A call from one of the NPP's own callbacks (or one that would close a cycle of callbacks waiting
/// for each other) is "detached" (see gate.rs): it never waits for the NPP's callbacks.
pub struct NppEntry {
    gate: Gate,
    state: Mutex<Npp>,
    /// Its handle (set once, right after it is entered in the table).
    handle: AtomicU64,
    /// Set by npp_destroy from inside a callback: no callback of the NPP runs any more (the one
    /// that called it returns first).
    cancelled: Arc<AtomicBool>,
    /// Why the last Start failed or the last capture ended by itself, in words (npp_get_error_detail).
    detail: Arc<Mutex<String>>,
}

impl NppEntry {
    fn handle(&self) -> u64 {
        self.handle.load(Ordering::Acquire)
    }
}

static NPPS: HandleTable<NppEntry> = HandleTable::new(0x4E);

impl Npp {
    /// A capture that ended by itself is stopped for good: as if Stop had been called. Its
    /// statistics are final (the thread published them before it said it ended); the thread
    /// is joined by the caller once the lock is released.
    fn reconcile(&mut self) -> Ended {
        let Some(conn) = self.conn.as_mut() else { return Ended(None) };
        if conn.capture.as_ref().is_some_and(|c| c.engine.is_paused()) {
            // Paused by a trigger: as if Pause had been called (no-op if already paused).
            self.machine.capture_paused();
        }
        let ended = conn.capture.as_ref().is_some_and(|c| c.engine.has_ended());
        if let Some(cap) = if ended { conn.capture.take() } else { None } {
            conn.last = Some(cap.engine.totals());
            self.machine.capture_ended();
            return Ended(Some((cap, conn.config.dont_delete_empty)));
        }
        Ended(None)
    }

    /// The connection, after `machine.check` said the NPP is connected. The machine and the
    /// connection change together under the state lock; should they ever disagree, the call
    /// answers NMERR_INTERNAL_EXCEPTION (no panic).
    fn conn(&mut self) -> NmResult<&mut Connection> {
        self.conn.as_mut().ok_or(NMERR_INTERNAL_EXCEPTION)
    }

    /// Checks `op` of `family` against the state machine, then gives the capture that the phase
    /// it allowed (running or paused) says exists.
    fn capture_for(&mut self, family: Family, op: Op) -> NmResult<&mut Capture> {
        self.machine.check(family, op)?;
        self.conn()?.capture.as_mut().ok_or(NMERR_INTERNAL_EXCEPTION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_destroy() {
        assert_eq!(create(Blob::new()).unwrap_err(), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        let mut nic = Blob::new();
        nic.set_str("NPP", "Location", "Name", "lo").unwrap();
        let h = create(nic).unwrap();
        assert_eq!(query_status(h).unwrap().State, 0);
        mark_faulted(h);
        assert_eq!(query_status(h).unwrap_err(), NMERR_INTERNAL_EXCEPTION);
        destroy(h).unwrap();
        assert_eq!(destroy(h).unwrap_err(), NMERR_INVALID_HNETWORK);
        assert_eq!(query_status(h).unwrap_err(), NMERR_INVALID_HNETWORK);
    }
}
