//! NPP objects: the table behind HNPP handles, and what the capture families do to them. The
//! state machine (`state.rs`) decides; this module does the I/O (libpcap, capture files,
//! callback thread) and keeps the NPP as it was when a call fails.

pub mod callback;
pub mod config;
pub mod delivery;
pub mod finder;
pub mod gate;
pub mod state;

use crate::blob::names::*;
use crate::blob::{store, Blob};
use crate::capfile::{self, StreamInfo};
use crate::capture::conversation::Conversations;
use crate::capture::engine::{EndReason, Engine, EngineReader, Notice, Stages, Totals};
use crate::capture::source::{LiveSettings, OpenError, Replay, Source};
use crate::capture::trigger::TriggerState;
use crate::handles::HandleTable;
use crate::nmerr::*;
use crate::stations;
use crate::types::*;
use callback::{Callback, Event, Poster};
use config::CaptureConfig;
use gate::{Gate, Held, Waiter};
use parking_lot::Mutex;
use state::{Machine, Op};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub use state::Family;

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

/// Waits for the captures of `e` being finished on threads of their own (a Stop or destroy from
/// inside a callback), unless the call is detached (it would wait for itself).
fn join_finishing(e: &NppEntry, detached: bool) {
    if !detached {
        e.gate.wait_finished();
    }
}

/// Enters a control call on NPP `e`: its place in the wait graph, and the control lock. A
/// detached call does not wait while a capture of the NPP is being stopped (that waits for the
/// callback it comes from): it answers `busy` (what it would answer once the capture has stopped
/// is not known yet; NOT_CAPTURING for a Stop, CAPTURING otherwise).
fn control(e: &NppEntry, busy: NmErr) -> NmResult<(Waiter, Held<'_>)> {
    let waiter = Waiter::enter(e.handle());
    let held = e.gate.hold(waiter.detached).ok_or(busy)?;
    Ok((waiter, held))
}

static NPPS: HandleTable<NppEntry> = HandleTable::new(0x4E);

/// Error BLOB entries (category, tag, value) gathered under the NPP's locks and written into the
/// caller's error BLOB after they are released: the caller may hold that BLOB's lock
/// (LockBlob) while another of its threads calls on this NPP.
#[derive(Default)]
struct Reports(Vec<(String, String, String)>);

impl Reports {
    fn add(&mut self, category: &str, tag: &str, value: &str) {
        self.0.push((category.to_string(), tag.to_string(), value.to_string()));
    }

    /// Writes the entries into the error BLOB `err` (if any). Call with no NPP lock held.
    fn write(self, err: Option<u64>) {
        for (c, t, v) in self.0 {
            store::report(err, &c, &t, &v);
        }
    }
}

/// npp_create: the NIC BLOB must name an interface (`NPP:Location:Name`) or a replay file
/// (`NPP:Location:ReplayFile`), else `NMERR_BLOB_ENTRY_DOES_NOT_EXIST`.
pub fn create(nic: Blob) -> NmResult<u64> {
    let has = |tag: &str| nic.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), tag.as_bytes());
    if !has(TAG_NAME) && !has(TAG_REPLAY_FILE) {
        return Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    }
    let npp = Npp { nic, machine: Machine::new(), faulted: false, conn: None };
    let entry = NppEntry {
        gate: Gate::default(),
        state: Mutex::new(npp),
        handle: AtomicU64::new(0),
        cancelled: Arc::new(AtomicBool::new(false)),
        detail: Arc::default(),
    };
    let handle = NPPS.insert(entry).ok_or(NMERR_NO_HANDLES)?;
    if let Some(e) = NPPS.get(handle) {
        e.handle.store(handle, Ordering::Release);
    }
    Ok(handle)
}

fn entry(handle: u64) -> NmResult<Arc<NppEntry>> {
    NPPS.get(handle).ok_or(NMERR_INVALID_HNETWORK)
}

/// npp_destroy: stops and disconnects as needed. `NMERR_INVALID_HNETWORK` for an unknown or
/// already destroyed handle. From another thread it waits for the NPP's callbacks as Stop and
/// Disconnect do; from inside one of them (detached) it returns at once and no callback of the NPP
/// runs after the one that called it.
pub fn destroy(handle: u64) -> NmResult<()> {
    let e = NPPS.remove(handle).ok_or(NMERR_INVALID_HNETWORK)?;
    let waiter = Waiter::enter(handle);
    if waiter.detached {
        e.cancelled.store(true, Ordering::Release);
    }
    let callback = {
        // Destroy always goes on: a detached call whose capture is being stopped by another thread
        // gets no control lock (that thread waits for the callback this call comes from), and
        // takes the connection all the same; the stopping call finishes its capture.
        let _held = e.gate.hold(waiter.detached);
        let conn = {
            let mut npp = e.state.lock();
            npp.machine = Machine::new();
            npp.conn.take()
        };
        conn.and_then(|mut c| {
            if let Some(cap) = c.capture.take() {
                finish(&e, cap, c.config.dont_delete_empty, waiter.detached, |_, _| {});
            }
            c.callback.take()
        })
    };
    // From inside one of its own callbacks: the NPP's other callback thread is waited for (it calls
    // the application no more, and a call it makes on this NPP never waits for this thread), so
    // that no callback of the NPP runs once the calling one returns. From the frames callback,
    // that is the status thread; from the status callback, the delivery (its capture's finishing).
    let own = waiter.detached && gate::serving() == handle;
    if own && !gate::serving_frames_of(handle) {
        e.gate.wait_finished();
    }
    join_finishing(&e, waiter.detached);
    if let Some(cb) = callback {
        cb.terminate(waiter.detached && !own);
    }
    Ok(())
}

/// `NMERR_INVALID_HNETWORK` unless `handle` is a live NPP.
pub fn check_handle(handle: u64) -> NmResult<()> {
    entry(handle).map(|_| ())
}

/// Marks the NPP faulted after a caught panic (no-op for a dead handle).
pub fn mark_faulted(handle: u64) {
    if let Some(e) = NPPS.get(handle) {
        e.state.lock().faulted = true;
    }
}

/// A capture that ended by itself, taken out of its NPP: finished (its thread joined, an empty
/// file deleted) by `done`, with no lock held.
struct Ended(Option<(Capture, bool)>);

impl Ended {
    fn done(self, e: &Arc<NppEntry>) {
        if let Some((cap, dont_delete_empty)) = self.0 {
            let waiter = Waiter::enter(e.handle());
            finish(e, cap, dont_delete_empty, waiter.detached, |_, _| {});
        }
    }
}

/// Runs `f` on the NPP behind `e` (state lock held), after folding in a capture that ended by
/// itself; that capture's thread is joined after the lock is released.
fn locked<R>(e: &Arc<NppEntry>, f: impl FnOnce(&mut Npp) -> NmResult<R>) -> NmResult<R> {
    let (r, ended) = {
        let mut npp = e.state.lock();
        if npp.faulted {
            return Err(NMERR_INTERNAL_EXCEPTION);
        }
        let ended = npp.reconcile();
        (f(&mut npp), ended)
    };
    ended.done(e);
    r
}

/// Runs `f` on a live, healthy NPP (state lock only).
fn with_npp<R>(handle: u64, f: impl FnOnce(&mut Npp) -> NmResult<R>) -> NmResult<R> {
    locked(&entry(handle)?, f)
}

/// Stops the engine and waits for it (joining its thread and, for IRTC, the last delivery: call
/// with no NPP lock held, never from one of the NPP's callbacks), then deletes an empty file unless
/// it is to be kept; returns the statistics and how finishing the file went.
fn finish_file(cap: Capture, dont_delete_empty: bool) -> (Totals, Option<String>) {
    let (outcome, stats) = cap.engine.stop();
    if let Some(d) = cap.delivery {
        d.join();
    }
    if let Some(path) = &cap.file {
        if stats.captured_frames == 0 && !dont_delete_empty {
            let _ = std::fs::remove_file(path);
        }
    }
    (stats, outcome.finish_error)
}

/// Finishes a capture taken out of NPP `e` (call with no NPP lock held). Not detached: here, with
/// the gate saying meanwhile that it is stopping (calls from the callbacks then do not wait for the
/// control lock), returning the statistics and how finishing the file went. Detached (from inside
/// a callback): on a thread of its own, since the capture thread hands over its last frames only
/// once the callback has returned; `done` runs there with the final statistics, and this returns
/// None at once. Non-detached calls wait for that thread (`join_finishing`).
fn finish(
    e: &Arc<NppEntry>,
    cap: Capture,
    dont_delete_empty: bool,
    detached: bool,
    done: impl FnOnce(&NppEntry, Totals) + Send + 'static,
) -> Option<(Totals, Option<String>)> {
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

/// Error BLOB entries for a failed open, and its NMERR.
fn open_error(e: &OpenError, target: &Blob, reports: &mut Reports) -> NmErr {
    let name = finder::nic_name(target).unwrap_or_default();
    match e {
        OpenError::NoDevice(m) => {
            reports.add(CATEGORY_LOCATION, TAG_NAME, &name);
            reports.add("Error", "Detail", m);
            NMERR_NETWORK_NOT_PRESENT
        }
        OpenError::Permission(m) => {
            reports.add("Error", "Permission", &format!("capturing on {name} needs CAP_NET_RAW (run as root, or grant the program cap_net_raw)"));
            reports.add("Error", "Detail", m);
            NMERR_ACCESS_DENIED
        }
        OpenError::Promiscuous(m) => {
            reports.add("Error", "Detail", m);
            NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED
        }
        OpenError::Other(m) => {
            reports.add("Error", "Detail", m);
            NMERR_MAC_DRIVER_OPEN_FAILURE
        }
        OpenError::FileNotFound(m) => {
            reports.add(CATEGORY_LOCATION, TAG_REPLAY_FILE, m);
            NMERR_FILE_NOT_FOUND
        }
        OpenError::BadFile(m) => {
            reports.add("Error", "Detail", m);
            NMERR_INVALID_FILE_FORMAT
        }
    }
}

/// What the configuration asks of every frame, parsed once per Start (Connect/Configure validated
/// the text; an absent or empty part is None).
struct FramePlan {
    filter: Option<crate::filter::CaptureFilter>,
    trigger: Option<TRIGGER>,
}

fn frame_plan(target: &Blob) -> FramePlan {
    FramePlan {
        filter: crate::filter::CaptureFilter::from_blob(target).ok().flatten(),
        trigger: target
            .get_str(OWNER_NPP.as_bytes(), CATEGORY_TRIGGER.as_bytes(), TAG_TRIGGER.as_bytes())
            .ok()
            .and_then(|s| crate::blob::filters::parse_trigger(&s).ok()),
    }
}

/// Opens the frame source the target BLOB names (a replay file or a live interface).
fn open_source(target: &Blob, config: &CaptureConfig, plan: &FramePlan) -> Result<Box<dyn Source>, OpenError> {
    let replay = target.get_str(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_REPLAY_FILE.as_bytes()).ok();
    if let Some(path) = replay {
        return Ok(Box::new(Replay::open(std::path::Path::new(&path), config.replay_pace)?));
    }
    let name = finder::nic_name(target).ok_or_else(|| OpenError::NoDevice(String::new()))?;
    // The filter and the trigger judge whole frames (spec h.3.4: clipping applies to frames that
    // passed): with either, the kernel hands over whole frames and the engine clips.
    let snaplen = if plan.filter.is_some() || plan.trigger.is_some() { 0 } else { config.frame_size };
    // The kernel ring read in place, or libpcap for what the ring does not take (capture/ring.rs).
    crate::capture::ring::open_live(&name, LiveSettings { snaplen, buffer_size: config.buffer_size, promiscuous: config.promiscuous }, plan.filter.as_ref())
}

fn io_to_nmerr(e: &std::io::Error) -> NmErr {
    match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM | libc::EROFS) => NMERR_ACCESS_DENIED,
        Some(libc::ENOENT | libc::ENOTDIR) => NMERR_PATH_NOT_FOUND,
        Some(libc::ENOSPC | libc::EDQUOT | libc::EIO) => NMERR_FILE_WRITE_ERROR,
        _ => NMERR_COULD_NOT_CREATE_TEMPFILE,
    }
}

/// The filter, trigger and conversation stages of a capture, from the configuration.
/// With `kernel_filtered`, the kernel already applied the filter (to the frame as the kernel
/// sees it: with VLAN offload, without its outer tag), so it is not applied again.
fn stages_for(plan: FramePlan, config: &CaptureConfig, kernel_filtered: bool) -> (Stages, Option<Arc<Mutex<Conversations>>>) {
    let conversations = (!config.no_conversation_stats).then(|| Arc::new(Mutex::new(Conversations::new())));
    let trigger = plan.trigger.and_then(|t| TriggerState::new(&t, config.buffer_size)).map(|t| (t, pattern_check()));
    let filter = plan.filter.filter(|_| !kernel_filtered).map(|f| {
        let f: crate::capture::engine::FrameFilter = Box::new(move |lt, frame| f.matches(lt, frame));
        f
    });
    (Stages { filter, trigger, conversations: conversations.clone(), stats_frame: false, rtc: None }, conversations)
}

/// The trigger's pattern test (spec h.4: the pattern rules of h.3.3).
fn pattern_check() -> crate::capture::engine::PatternCheck {
    Box::new(crate::filter::pattern_check)
}

/// Length of the capture file names this library makes (`<dir>/nm-<16 hex>.cap`).
fn file_name_len(dir: &std::path::Path) -> usize {
    // The same join as capfile::create_unique (a trailing '/' of dir is not doubled).
    dir.join("nm-0123456789abcdef.cap").as_os_str().len()
}

fn end_value(reason: &EndReason) -> NmErr {
    match reason {
        EndReason::Stopped | EndReason::FrameLimit | EndReason::Trigger(_) => NMERR_SUCCESS,
        EndReason::SourceFailed(_) => NMERR_NETWORK_NOT_PRESENT,
        EndReason::BadInput(_) => NMERR_INVALID_FILE_FORMAT,
        EndReason::WriteFailed(_) => NMERR_FILE_WRITE_ERROR,
        EndReason::FileLimit => NMERR_OUT_OF_RANGE,
    }
}

/// The status event of a capture that ended: `value` says why (an NMERR), with the statistics.
fn ended_event(value: NmErr, totals: &Totals) -> Event {
    Event {
        event: UPDATE_EVENT_NETWORK_STATUS,
        action: UPDATE_ACTION_STOP_CAPTURE,
        status: NETWORKSTATUS_STATE_VOID,
        value: value.code(),
        final_stats: Some(totals.statistics()),
    }
}

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
        if conn.capture.as_ref().is_some_and(|c| c.engine.has_ended()) {
            let cap = conn.capture.take().expect("checked");
            conn.last = Some(cap.engine.totals());
            self.machine.capture_ended();
            return Ended(Some((cap, conn.config.dont_delete_empty)));
        }
        Ended(None)
    }

    fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connected per the state machine")
    }
}

/// What the family's Connect receives.
pub struct ConnectArgs {
    pub input: Blob,
    pub callback: LPNETWORKCALLBACKPROC,
    /// IRTC's frames callback (NULL for the other families).
    pub frames_callback: LPNETWORKCALLBACKPROC,
    pub context: usize,
    pub error_blob: Option<u64>,
}

/// Connect: checks the state, reads the configuration, verifies that the source can be opened
/// (and for ESP and IDelaydC that the capture directory is usable), starts the callback thread.
pub fn connect(handle: u64, family: Family, a: ConnectArgs) -> NmResult<()> {
    let e = entry(handle)?;
    let mut reports = Reports::default();
    let r = control(&e, NMERR_ALREADY_CONNECTED).and_then(|_control| connect_locked(&e, handle, family, &a, &mut reports));
    reports.write(a.error_blob);
    r
}

fn connect_locked(e: &Arc<NppEntry>, handle: u64, family: Family, a: &ConnectArgs, reports: &mut Reports) -> NmResult<()> {
    let nic = locked(e, |npp| {
        npp.machine.check(family, Op::Connect)?;
        Ok(npp.nic.clone())
    })?;
    let mut target = nic;
    target.merge(&a.input)?;
    let config = config::parse(&target, &CaptureConfig::default()).map_err(|r| {
        reports.add(r.category, &r.tag, &r.value);
        r.code
    })?;
    for (c, t, v) in config::unknown_entries(&a.input) {
        reports.add(&c, &t, &v);
    }
    drop(open_source(&target, &config, &frame_plan(&target)).map_err(|e| open_error(&e, &target, reports))?);
    if family.writes_file() {
        if let Err(why) = config::open_capture_dir(&config) {
            if let Some(d) = &config.capture_dir {
                reports.add(CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY, &d.to_string_lossy());
            }
            reports.add("Error", "Detail", &why.to_string());
            return Err(why.code(NMERR_NO_DEFAULT_CAPTURE_DIRECTORY));
        }
    }
    let callback = match a.callback {
        Some(cb) => Some(Callback::start(cb, a.context, handle, e.cancelled.clone()).map_err(|_| NMERR_OUT_OF_MEMORY)?),
        None => None,
    };
    // Nothing else changed the NPP's connection meanwhile: control calls take turns, and the
    // others do not connect.
    locked(e, |npp| {
        let frames = a.frames_callback.map(|proc_| delivery::FramesCallback { proc_, context: a.context });
        npp.conn = Some(Connection { config, target, callback, frames, capture: None, stopping: None, last: None });
        npp.machine.apply(family, Op::Connect);
        Ok(())
    })
}

/// Disconnect; the callback thread gets UPDATE_EVENT_TERMINATE_THREAD and ends (waited for
/// outside the NPP's locks).
pub fn disconnect(handle: u64, family: Family) -> NmResult<()> {
    let e = entry(handle)?;
    let (waiter, held) = control(&e, NMERR_CAPTURING)?;
    let callback = locked(&e, |npp| {
        npp.machine.check(family, Op::Disconnect)?;
        let conn = npp.conn.take();
        npp.machine.apply(family, Op::Disconnect);
        Ok(conn.and_then(|mut c| c.callback.take()))
    });
    drop(held);
    join_finishing(&e, waiter.detached);
    if let Some(cb) = callback? {
        cb.terminate(false);
    }
    Ok(())
}

/// Configure: a BLOB with a bad entry leaves the previous configuration in force.
pub fn configure(handle: u64, family: Family, blob: &Blob, error_blob: Option<u64>) -> NmResult<()> {
    let e = entry(handle)?;
    let mut reports = Reports::default();
    let r = control(&e, NMERR_CAPTURING).and_then(|_control| {
        locked(&e, |npp| {
            npp.machine.check(family, Op::Configure)?;
            let conn = npp.conn();
            let mut target = conn.target.clone();
            target.merge(blob)?;
            let config = config::parse(&target, &conn.config).map_err(|r| {
                reports.add(r.category, &r.tag, &r.value);
                r.code
            })?;
            for (c, t, v) in config::unknown_entries(blob) {
                reports.add(&c, &t, &v);
            }
            conn.config = config;
            conn.target = target;
            npp.machine.apply(family, Op::Configure);
            Ok(())
        })
    });
    reports.write(error_blob);
    r
}

/// The words of an end reason that its NMERR alone does not give.
fn end_detail(reason: &EndReason) -> Option<String> {
    match reason {
        EndReason::SourceFailed(m) | EndReason::BadInput(m) | EndReason::WriteFailed(m) => Some(m.clone()),
        EndReason::FileLimit => Some("the capture file reached its format's size limit".into()),
        EndReason::Stopped | EndReason::FrameLimit | EndReason::Trigger(_) => None,
    }
}

/// The status callback's notifier for a capture: how it ended by itself (also kept, in words, in
/// `detail`), and triggers.
fn notifier(poster: Option<Poster>, detail: Arc<Mutex<String>>) -> crate::capture::engine::Notifier {
    Box::new(move |n: Notice| {
        if let Notice::Ended(reason, _) = &n {
            if let Some(d) = end_detail(reason) {
                *detail.lock() = d;
            }
        }
        let Some(p) = &poster else { return };
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
            },
            Notice::Link { up, paused } => Event {
                event: UPDATE_EVENT_NETWORK_STATUS,
                action: UPDATE_ACTION_NOTIFY,
                status: if paused { NETWORKSTATUS_STATE_PAUSED } else { NETWORKSTATUS_STATE_CAPTURING },
                value: if up { NDISNPP_LINK_UP } else { NDISNPP_LINK_DOWN },
                final_stats: None,
            },
        });
    })
}

/// Start: opens the source, (ESP) creates the capture file, starts the capture thread. For ESP,
/// `name_room` is the size of the caller's name buffer: a name that would not fit (with its NUL)
/// answers `NMERR_INVALID_PARAMETER` before anything starts. Returns the file's path (ESP).
/// The slow steps (libpcap, the file) run under the control lock only.
pub fn start(handle: u64, family: Family, name_room: Option<usize>) -> NmResult<Option<PathBuf>> {
    let e = entry(handle)?;
    let (waiter, _control) = control(&e, NMERR_CAPTURING)?;
    // A capture stopped from inside its callback is finished before the next one starts.
    join_finishing(&e, waiter.detached);
    let (config, target, poster, frames) = locked(&e, |npp| {
        npp.machine.check(family, Op::Start)?;
        let conn = npp.conn();
        Ok((conn.config.clone(), conn.target.clone(), conn.callback.as_ref().map(|c| c.poster()), conn.frames))
    })?;
    // The directory of a file family, opened and checked once: the file is created relative to it.
    let dir = if family.writes_file() { Some(config::open_capture_dir(&config).map_err(|e| e.code(NMERR_COULD_NOT_CREATE_DIRECTORY))?) } else { None };
    if let (Some(room), Some(dir)) = (name_room, &dir) {
        if file_name_len(dir.path()) + 1 > room {
            return Err(NMERR_INVALID_PARAMETER);
        }
    }
    e.detail.lock().clear();
    let fail = |code: NmErr, why: String| {
        *e.detail.lock() = why;
        code
    };
    let plan = frame_plan(&target);
    let source = open_source(&target, &config, &plan).map_err(|err| {
        let mut reports = Reports::default();
        let code = open_error(&err, &target, &mut reports);
        fail(code, reports.0.iter().map(|(_, _, v)| v.as_str()).collect::<Vec<_>>().join(": "))
    })?;
    let (writer, file) = if let Some(dir) = &dir {
        let (path, f) = capfile::create_unique_in(dir).map_err(|err| fail(io_to_nmerr(&err), format!("{}: {err}", dir.path().display())))?;
        let info = StreamInfo { linktype: source.linktype(), snaplen: config.frame_size };
        match capfile::writer(config.format, f, info) {
            Ok(w) => (Some(w), Some(path)),
            Err(err) => {
                let _ = std::fs::remove_file(&path);
                let code = if err.kind() == std::io::ErrorKind::Unsupported { NMERR_UNKNOWN_MACTYPE } else { io_to_nmerr(&err) };
                return Err(fail(code, err.to_string()));
            }
        }
    } else {
        (None, None)
    };
    let (mut stages, conversations) = stages_for(plan, &config, source.kernel_filtered());
    stages.stats_frame = family.writes_file() && config.format == capfile::FileFormat::Netmon2 && !config.no_stats_frame;
    // IRTC: the double buffer between the capture thread and the delivery thread.
    let mut delivery = None;
    if let (Family::Rtc, Some(cb)) = (family, frames) {
        let settings = rtc_settings(&config);
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel(2);
        let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel(2);
        let _ = spare_tx.send(crate::capture::rtc::Batch::new(&settings));
        stages.rtc = Some(crate::capture::rtc::RtcFeed::new(settings, source.linktype(), full_tx, spare_rx, source.can_wait()));
        delivery = Some(delivery::Delivery::start(handle, cb, settings, full_rx, spare_tx, e.cancelled.clone()).map_err(|_| NMERR_OUT_OF_MEMORY)?);
    }
    let engine = match Engine::start(source, writer, config.frame_size, config.frame_limit as u64, stages, notifier(poster.clone(), e.detail.clone())) {
        Ok(e) => e,
        Err(_) => {
            if let Some(p) = &file {
                let _ = std::fs::remove_file(p);
            }
            // The feed went with the stages: the delivery thread sees its channel close.
            if let Some(d) = delivery {
                d.join();
            }
            return Err(NMERR_OUT_OF_MEMORY);
        }
    };
    let station = stations::register_for(handle, &target);
    let capture = Capture { engine, file: file.clone(), conversations, station, poster, delivery };
    // Control calls take turns and the others do not start or stop captures: the NPP is still
    // connected and idle, unless a panic marked it faulted meanwhile (then the capture stops).
    let rejected = {
        let mut npp = e.state.lock();
        if npp.faulted {
            Some(capture)
        } else {
            let conn = npp.conn();
            conn.capture = Some(capture);
            // Running from now: the capture thread may read (and callbacks may see frames).
            conn.capture.as_mut().expect("just set").engine.go();
            npp.machine.apply(family, Op::Start);
            None
        }
    };
    if let Some(cap) = rejected {
        finish_file(cap, false);
        return Err(NMERR_INTERNAL_EXCEPTION);
    }
    Ok(file)
}

/// Pause: frames are no longer written (counted as seen); returns the statistics at that moment.
pub fn pause(handle: u64, family: Family) -> NmResult<STATISTICS> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::Pause)?;
        let cap = npp.conn().capture.as_ref().expect("running per the state machine");
        cap.engine.set_paused(true);
        let stats = cap.engine.totals().statistics();
        npp.machine.apply(family, Op::Pause);
        Ok(stats)
    })
}

/// Resume into the same file.
pub fn resume(handle: u64, family: Family) -> NmResult<()> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::Resume)?;
        npp.conn().capture.as_ref().expect("paused per the state machine").engine.set_paused(false);
        npp.machine.apply(family, Op::Resume);
        Ok(())
    })
}

/// Stop: drains, finishes the file (deleting it when empty unless DontDeleteEmptyCapture), returns
/// the capture's statistics, and `NMERR_FILE_WRITE_ERROR` beside them when the file could not be
/// completed (the last frames could not be written: the file holds those the statistics count;
/// the status callback hears it too). The capture thread is joined outside the NPP's state lock:
/// status calls answer meanwhile (as stopped, with the counters of the capture being finished).
pub fn stop(handle: u64, family: Family) -> NmResult<(STATISTICS, NmResult<()>)> {
    let e = entry(handle)?;
    let waiter = Waiter::enter(handle);
    let r = stop_capture(&e, family, waiter.detached);
    // Whatever the answer (NOT_CAPTURING too: a callback may have stopped it a moment ago), no
    // frames callback of the capture runs once a call that is not detached returns.
    join_finishing(&e, waiter.detached);
    r
}

fn stop_capture(e: &Arc<NppEntry>, family: Family, detached: bool) -> NmResult<(STATISTICS, NmResult<()>)> {
    let _control = e.gate.hold(detached).ok_or(NMERR_NOT_CAPTURING)?;
    let (cap, dont_delete_empty) = locked(e, |npp| {
        npp.machine.check(family, Op::Stop)?;
        let conn = npp.conn();
        let cap = conn.capture.take().expect("capturing per the state machine");
        conn.stopping = Some(cap.engine.reader());
        let dont_delete_empty = conn.config.dont_delete_empty;
        npp.machine.apply(family, Op::Stop);
        Ok((cap, dont_delete_empty))
    })?;
    let poster = cap.poster.clone();
    let now = cap.engine.totals();
    let record = |e: &NppEntry, totals: Totals| {
        let mut npp = e.state.lock();
        if let Some(conn) = npp.conn.as_mut() {
            conn.stopping = None;
            conn.last = Some(totals);
        }
    };
    // Detached (from inside a callback): the rest is delivered after it returns; the statistics
    // now are those of the frames captured so far.
    let Some((totals, finish_error)) = finish(e, cap, dont_delete_empty, detached, record) else {
        return Ok((now.statistics(), Ok(())));
    };
    record(e, totals);
    let outcome = match finish_error {
        None => Ok(()),
        Some(why) => {
            *e.detail.lock() = why;
            if let Some(p) = poster {
                p.post(ended_event(NMERR_FILE_WRITE_ERROR, &totals));
            }
            Err(NMERR_FILE_WRITE_ERROR)
        }
    };
    Ok((totals.statistics(), outcome))
}

/// IRTC's delivery sizes from the configuration (design.md §7).
fn rtc_settings(config: &CaptureConfig) -> crate::capture::rtc::RtcSettings {
    let buffer = if config.buffer_size == 0 { DEFAULT_RTC_BUFFER_SIZE } else { config.buffer_size };
    crate::capture::rtc::RtcSettings {
        buffer_size: buffer as usize,
        table_len: config.frame_table_length as usize,
        interval: std::time::Duration::from_millis(config.update_interval_ms as u64),
    }
}

/// `*_insert_special_frame`: Network Monitor's special frame (`netmon2::special_frame`) at the
/// current point of the running capture: in its file (pcapng with an opt_comment naming the
/// type), or in IRTC's frame stream. Only while running; IStats: `NMERR_NOT_SUPPORTED`;
/// `NMERR_INVALID_PARAMETER` for user data longer than a special frame holds.
pub fn insert_special(handle: u64, family: Family, frame_type: u32, flags: u32, data: &[u8]) -> NmResult<()> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::InsertSpecialFrame)?;
        if data.len() > capfile::netmon2::MAX_SPECIAL_DATA {
            return Err(NMERR_INVALID_PARAMETER);
        }
        let cap = npp.conn().capture.as_ref().expect("running per the state machine");
        let frame = capfile::netmon2::special_frame(frame_type, flags, data);
        cap.engine.insert_special(frame, capfile::netmon2::special_frame_comment(frame_type));
        Ok(())
    })
}

/// QueryStatus: callable in any state, whoever connected the NPP.
pub fn query_status(handle: u64) -> NmResult<NETWORKSTATUS> {
    with_npp(handle, |npp| {
        let pending = npp.conn.as_ref().and_then(|c| c.capture.as_ref()).is_some_and(|c| c.engine.trigger_pending());
        Ok(NETWORKSTATUS { State: npp.machine.network_state(), Flags: if pending { NETWORKSTATUS_FLAGS_TRIGGER_PENDING } else { 0 } })
    })
}

/// GetConversationStatistics (IStats): the stations and sessions of the running capture (not
/// while paused: `NMERR_CAPTURE_PAUSED`; not capturing: `NMERR_NOT_CAPTURING`;
/// NoConversationStats: `NMERR_NO_CONVERSATION_STATS`). `clear` empties the tables after the copy.
pub fn conversations(handle: u64, family: Family, clear: bool) -> NmResult<(Vec<STATIONSTATS>, Vec<SESSIONSTATS>)> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::ReadConversations)?;
        let conn = npp.conn();
        if conn.config.no_conversation_stats {
            return Err(NMERR_NO_CONVERSATION_STATS);
        }
        let conv = conn.capture.as_ref().and_then(|c| c.conversations.clone()).ok_or(NMERR_NO_CONVERSATION_STATS)?;
        let mut c = conv.lock();
        let out = (c.stations().to_vec(), c.sessions().to_vec());
        if clear {
            c.clear();
        }
        Ok(out)
    })
}

/// GetControlState: (IsRunnning, IsPaused).
pub fn control_state(handle: u64, family: Family) -> NmResult<(bool, bool)> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::GetControlState)?;
        Ok(npp.machine.control_state())
    })
}

/// The totals of the running (or paused) capture, else of the last finished one since Connect;
/// `NMERR_NOT_CAPTURING` when no capture ran since Connect. `clear` resets them (and the time
/// base) after the copy. (stats_get_total_statistics, and the `*_get_statistics_ex` extension.)
pub fn totals(handle: u64, family: Family, clear: bool) -> NmResult<Totals> {
    with_npp(handle, |npp| {
        npp.machine.check(family, Op::ReadStatistics)?;
        let conn = npp.conn();
        if let Some(cap) = &conn.capture {
            return Ok(if clear { cap.engine.take_statistics() } else { cap.engine.totals() });
        }
        if let Some(r) = &conn.stopping {
            return Ok(r.totals());
        }
        let t = conn.last.ok_or(NMERR_NOT_CAPTURING)?;
        if clear {
            conn.last = Some(Totals::default());
        }
        Ok(t)
    })
}

/// npp_get_error_detail: why the NPP's last Start failed or its last capture ended by itself
/// (empty when neither happened since the last successful Start).
pub fn error_detail(handle: u64) -> NmResult<String> {
    Ok(entry(handle)?.detail.lock().clone())
}

/// The NPP's target BLOB: the NIC BLOB merged with Connect/Configure when connected, else the NIC
/// BLOB (QueryStations reads the interface and its settings from it).
pub fn nic_blob_of(handle: u64) -> NmResult<Blob> {
    with_npp(handle, |npp| Ok(npp.conn.as_ref().map_or_else(|| npp.nic.clone(), |c| c.target.clone())))
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
