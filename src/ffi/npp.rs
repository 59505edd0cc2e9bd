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

ffi_fn! {
    /// ndisnpp extension: why the NPP's last Start failed, or its last capture ended by itself, in
    /// words, where the NMERR alone does not say (a replay file cut short after N whole records and
    /// the reader's reason, a link type that the file format cannot hold, the interface that went
    /// away, the write error). Empty when neither happened since the last successful Start. Writes
    /// at most `DetailLength` bytes with the terminating NUL into `pDetail` (a longer text is cut
    /// at a character boundary). `NMERR_INVALID_PARAMETER` for a NULL `pDetail` or a
    /// `DetailLength` of 0; `NMERR_INVALID_HNETWORK`.
    fn npp_get_error_detail(hNpp: HNPP, pDetail: *mut c_char, DetailLength: usize) -> DWORD {
        if pDetail.is_null() || DetailLength == 0 {
            return Err(crate::nmerr::NMERR_INVALID_PARAMETER);
        }
        let text = npp::error_detail(hNpp as usize as u64)?;
        let mut n = text.len().min(DetailLength - 1);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: pDetail is writable for DetailLength bytes (the shared contract) and n + 1 <=
        // DetailLength.
        unsafe {
            core::ptr::copy_nonoverlapping(text.as_ptr(), pDetail.cast::<u8>(), n);
            *pDetail.add(n) = 0;
        }
        Ok(())
    }
}
