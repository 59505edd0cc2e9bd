//! The table of live BLOBs behind HBLOB handles, with each BLOB's own lock (LockBlob/UnlockBlob).
//!
//! Every BLOB operation takes the entry's mutex; while a thread holds the BLOB through LockBlob,
//! operations from other threads wait until it is unlocked (the holder's own calls go through).
//! Memory handed out to C (strings, marshalled bytes, Etype/SAP tables) lives in the entry.

use super::Blob;
use crate::handles::HandleTable;
use crate::nmerr::*;
use parking_lot::{Condvar, Mutex};
use std::thread::ThreadId;

/// What the library keeps for one HBLOB.
#[derive(Default)]
pub struct BlobState {
    pub blob: Blob,
    dead: bool,
    lock_owner: Option<ThreadId>,
    lock_depth: u32,
    /// Bytes returned by the last MarshalBlob; valid until the next one or DestroyBlob.
    pub marshalled: Vec<u8>,
    /// Tables returned by the last GetNPPEtypeSapFilter; valid until the next one or DestroyBlob.
    pub sap_table: Vec<u8>,
    pub etype_table: Vec<u16>,
}

pub struct BlobEntry {
    state: Mutex<BlobState>,
    unlocked: Condvar,
}

/// LockBlob nesting limit (`NMERR_LOCK_NESTING_TOO_DEEP` past it).
pub const MAX_LOCK_DEPTH: u32 = 1 << 16;

static BLOBS: HandleTable<BlobEntry> = HandleTable::new(0xB1);

/// Stores a new BLOB and returns its handle.
pub fn create(blob: Blob) -> NmResult<u64> {
    BLOBS.insert(BlobEntry { state: Mutex::new(BlobState { blob, ..Default::default() }), unlocked: Condvar::new() }).ok_or(NMERR_NO_HANDLES)
}

/// Runs `f` on the BLOB behind `handle` (waiting while another thread holds it by LockBlob).
pub fn with<R>(handle: u64, f: impl FnOnce(&mut BlobState) -> R) -> NmResult<R> {
    let entry = BLOBS.get(handle).ok_or(NMERR_INVALID_BLOB)?;
    let me = std::thread::current().id();
    let mut st = entry.state.lock();
    loop {
        if st.dead {
            return Err(NMERR_INVALID_BLOB);
        }
        match st.lock_owner {
            Some(owner) if owner != me => entry.unlocked.wait(&mut st),
            _ => break,
        }
    }
    Ok(f(&mut st))
}

/// Like `with`, for closures that can fail.
pub fn try_with<R>(handle: u64, f: impl FnOnce(&mut BlobState) -> NmResult<R>) -> NmResult<R> {
    with(handle, f)?
}

/// A copy of the BLOB's entries.
pub fn snapshot(handle: u64) -> NmResult<Blob> {
    with(handle, |st| st.blob.clone())
}

/// Checks that `handle` names a live BLOB.
pub fn exists(handle: u64) -> bool {
    BLOBS.get(handle).is_some_and(|e| !e.state.lock().dead)
}

/// DestroyBlob.
pub fn destroy(handle: u64) -> NmResult<()> {
    let entry = BLOBS.get(handle).ok_or(NMERR_INVALID_BLOB)?;
    with(handle, |st| st.dead = true)?;
    BLOBS.remove(handle);
    // Threads waiting for a LockBlob held by the destroyer wake up and answer NMERR_INVALID_BLOB.
    entry.unlocked.notify_all();
    Ok(())
}

/// LockBlob: takes the BLOB for this thread (nestable).
pub fn lock(handle: u64) -> NmResult<()> {
    try_with(handle, |st| {
        if st.lock_depth >= MAX_LOCK_DEPTH {
            return Err(NMERR_LOCK_NESTING_TOO_DEEP);
        }
        st.lock_owner = Some(std::thread::current().id());
        st.lock_depth += 1;
        Ok(())
    })
}

/// UnlockBlob: `NMERR_NOT_LOCKED` unless this thread holds the BLOB.
pub fn unlock(handle: u64) -> NmResult<()> {
    let entry = BLOBS.get(handle).ok_or(NMERR_INVALID_BLOB)?;
    let mut st = entry.state.lock();
    if st.dead {
        return Err(NMERR_INVALID_BLOB);
    }
    if st.lock_owner != Some(std::thread::current().id()) {
        return Err(NMERR_NOT_LOCKED);
    }
    st.lock_depth -= 1;
    if st.lock_depth == 0 {
        st.lock_owner = None;
        entry.unlocked.notify_all();
    }
    Ok(())
}

/// Adds `NPP:<category>:<tag>=<value>` to an error BLOB, if there is one (best effort: an error
/// BLOB destroyed meanwhile is ignored).
pub fn report(err: Option<u64>, category: &str, tag: &str, value: &str) {
    if let Some(h) = err {
        let _ = with(h, |st| st.blob.set(super::names::OWNER_NPP.as_bytes(), category.as_bytes(), tag.as_bytes(), value.as_bytes()));
    }
}

/// Number of live BLOBs: the fuzz targets (fuzz/, outside this crate's build) check after every
/// run that no BLOB leaked.
#[doc(hidden)]
pub fn live_count() -> usize {
    BLOBS.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn lock_blocks_other_threads() {
        let h = create(Blob::new()).unwrap();
        lock(h).unwrap();
        lock(h).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let d2 = done.clone();
        let t = std::thread::spawn(move || {
            assert_eq!(unlock(h), Err(NMERR_NOT_LOCKED));
            with(h, |st| st.blob.set_str("A", "B", "C", "D")).unwrap().unwrap();
            d2.store(true, Ordering::SeqCst);
        });
        std::thread::sleep(Duration::from_millis(100));
        assert!(!done.load(Ordering::SeqCst), "other thread must wait while locked");
        unlock(h).unwrap();
        assert!(!done.load(Ordering::SeqCst), "still locked once");
        unlock(h).unwrap();
        t.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(unlock(h), Err(NMERR_NOT_LOCKED));
        // a thread waiting on a locked BLOB is released when the holder destroys it
        lock(h).unwrap();
        let waiter = std::thread::spawn(move || with(h, |_| ()));
        std::thread::sleep(Duration::from_millis(50));
        destroy(h).unwrap();
        assert_eq!(waiter.join().unwrap(), Err(NMERR_INVALID_BLOB));
        assert_eq!(destroy(h), Err(NMERR_INVALID_BLOB));
        assert_eq!(lock(h), Err(NMERR_INVALID_BLOB));
    }
}
