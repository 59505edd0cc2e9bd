//! NPP objects: the table behind HNPP handles. The capture families (`esp_*`, `stats_*`) connect
//! and drive these objects; for now an NPP holds its NIC BLOB and who connected it.

pub mod finder;

use crate::blob::names::*;
use crate::blob::Blob;
use crate::handles::HandleTable;
use crate::nmerr::*;
use parking_lot::Mutex;

/// The interface family that connected an NPP; until it disconnects, other families' calls answer
/// with their "not mine" code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Esp,
    Stats,
}

/// One NPP object.
#[derive(Debug)]
pub struct Npp {
    /// The NIC BLOB it was created from (a private copy).
    pub nic: Blob,
    pub connected: Option<Family>,
    /// Set when a panic was caught inside a call on this NPP; parking_lot locks do not poison,
    /// so the state says it.
    pub faulted: bool,
}

pub struct NppEntry {
    pub state: Mutex<Npp>,
}

static NPPS: HandleTable<NppEntry> = HandleTable::new(0x4E);

/// npp_create: the NIC BLOB must name an interface (`NPP:Location:Name`) or a replay file
/// (`NPP:Location:ReplayFile`), else `NMERR_BLOB_ENTRY_DOES_NOT_EXIST`.
pub fn create(nic: Blob) -> NmResult<u64> {
    let has = |tag: &str| nic.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), tag.as_bytes());
    if !has(TAG_NAME) && !has(TAG_REPLAY_FILE) {
        return Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    }
    NPPS.insert(NppEntry { state: Mutex::new(Npp { nic, connected: None, faulted: false }) })
        .ok_or(NMERR_NO_HANDLES)
}

/// npp_destroy: `NMERR_INVALID_HNETWORK` for an unknown or already destroyed handle.
pub fn destroy(handle: u64) -> NmResult<()> {
    NPPS.remove(handle).map(|_| ()).ok_or(NMERR_INVALID_HNETWORK)
}

/// Runs `f` on the NPP behind `handle` (entry lock held only for the call).
pub fn with<R>(handle: u64, f: impl FnOnce(&mut Npp) -> R) -> NmResult<R> {
    let entry = NPPS.get(handle).ok_or(NMERR_INVALID_HNETWORK)?;
    let mut npp = entry.state.lock();
    Ok(f(&mut npp))
}

/// Marks the NPP faulted after a caught panic (no-op for a dead handle).
pub fn mark_faulted(handle: u64) {
    if let Some(entry) = NPPS.get(handle) {
        entry.state.lock().faulted = true;
    }
}

/// Number of live NPPs.
pub fn live_count() -> usize {
    NPPS.len()
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
        assert_eq!(with(h, |n| n.connected).unwrap(), None);
        mark_faulted(h);
        assert!(with(h, |n| n.faulted).unwrap());
        destroy(h).unwrap();
        assert_eq!(destroy(h).unwrap_err(), NMERR_INVALID_HNETWORK);
        assert_eq!(with(h, |_| ()).unwrap_err(), NMERR_INVALID_HNETWORK);
    }
}
