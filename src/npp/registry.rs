//! The NPP table: creating, finding and destroying NPPs, and the locks every call takes.

use super::*;

/// Waits for the captures of `e` being finished on threads of their own (a Stop or destroy from
/// inside a callback), unless the call is detached (it would wait for itself).
pub(super) fn join_finishing(e: &NppEntry, detached: bool) {
    if !detached {
        e.gate.wait_finished();
    }
}

/// Enters a control call on NPP `e`: its place in the wait graph, and the control lock. A
/// detached call does not wait while a capture of the NPP is being stopped (that waits for the
/// callback it comes from): it answers `busy` (what it would answer once the capture has stopped
/// is not known yet; NOT_CAPTURING for a Stop, CAPTURING otherwise).
pub(super) fn control(e: &NppEntry, busy: NmErr) -> NmResult<(Waiter, Held<'_>)> {
    let waiter = Waiter::enter(e.handle());
    let held = e.gate.hold(waiter.detached).ok_or(busy)?;
    Ok((waiter, held))
}

/// npp_create: the NIC BLOB must name an interface (`NPP:Location:Name`) or a replay file
/// (`NPP:Location:ReplayFile`), else `NMERR_BLOB_ENTRY_DOES_NOT_EXIST`; a remote NIC's entries
/// must be valid (`NMERR_INVALID_REMOTE_COMPUTERNAME` for its destination). No I/O.
pub fn create(nic: Blob) -> NmResult<u64> {
    match SourceSpec::of(&nic, false) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST),
        Err(e) => return Err(e.code),
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

pub(super) fn entry(handle: u64) -> NmResult<Arc<NppEntry>> {
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
    let (callback, master) = {
        // Destroy always goes on: a detached call whose capture is being stopped by another thread
        // gets no control lock (that thread waits for the callback this call comes from), and
        // takes the connection all the same; the stopping call finishes its capture.
        let _held = e.gate.hold(waiter.detached);
        let conn = {
            let mut npp = e.state.lock();
            npp.machine = Machine::new();
            npp.conn.take()
        };
        match conn {
            Some(mut c) => {
                if let Some(cap) = c.capture.take() {
                    finish(&e, cap, c.config.dont_delete_empty, waiter.detached, |_, _| {});
                }
                (c.callback.take(), c.master.take())
            }
            None => (None, None),
        }
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
    // A remote NIC's ssh master ends with its last NPP, outside every lock.
    drop(master);
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

/// Runs `f` on the NPP behind `e` (state lock held), after folding in a capture that ended by
/// itself; that capture's thread is joined after the lock is released.
pub(super) fn locked<R>(e: &Arc<NppEntry>, f: impl FnOnce(&mut Npp) -> NmResult<R>) -> NmResult<R> {
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
pub(super) fn with_npp<R>(handle: u64, f: impl FnOnce(&mut Npp) -> NmResult<R>) -> NmResult<R> {
    locked(&entry(handle)?, f)
}
