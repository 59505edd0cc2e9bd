//! NPP objects: `npp_create`, `npp_destroy`.

use super::*;
use crate::blob::store;
use crate::npp;
use crate::types::*;

ffi_fn! {
    /// Creates an NPP object for the NIC that `nic` describes (a BLOB from GetNPPBlobTable, or one
    /// naming a replay file in `NPP:Location:ReplayFile`); the NPP keeps its own copy of the BLOB.
    /// `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` when the BLOB names no interface. Destroy with npp_destroy.
    #[must_use]
    fn npp_create(nic: HBLOB, out_npp: *mut HNPP) -> DWORD {
        let out = out!(out_npp);
        let blob = store::snapshot(blob_handle(nic))?;
        *out = npp::create(blob)? as usize as HNPP;
        Ok(())
    }
}

ffi_fn! {
    /// Destroys an NPP (stopping and disconnecting it as needed). `NMERR_INVALID_HNETWORK` for NULL,
    /// unknown or already destroyed handles.
    fn npp_destroy(h: HNPP) -> DWORD {
        npp::destroy(h as usize as u64)
    }
}
