//! NPP objects: `npp_create`, `npp_destroy`.

use super::*;
use crate::blob::store;
use crate::npp;
use crate::types::*;

/// Creates an NPP object for the NIC that `nic` describes (a BLOB from GetNPPBlobTable, or one
/// naming a replay file in `NPP:Location:ReplayFile`); the NPP keeps its own copy of the BLOB.
/// `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` when the BLOB names no interface. Destroy with npp_destroy.
#[no_mangle]
pub unsafe extern "C" fn npp_create(nic: HBLOB, out_npp: *mut HNPP) -> DWORD {
    guard(|| {
        let out = unsafe { out(out_npp)? };
        let blob = store::snapshot(blob_handle(nic))?;
        *out = npp::create(blob)? as usize as HNPP;
        Ok(())
    })
}

/// Destroys an NPP (stopping and disconnecting it as needed). `NMERR_INVALID_HNETWORK` for NULL,
/// unknown or already destroyed handles.
#[no_mangle]
pub unsafe extern "C" fn npp_destroy(h: HNPP) -> DWORD {
    guard(|| npp::destroy(h as usize as u64))
}
