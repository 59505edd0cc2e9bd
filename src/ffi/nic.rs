//! NIC discovery (SDK e.1): GetNPPBlobTable, the non-interactive UI functions, BLOB tables.

use super::*;
use crate::blob::{store, Blob};
use crate::npp::{discover, finder};
use crate::types::*;
use parking_lot::Mutex;
use std::collections::HashSet;

/// Tables this library allocated and has not freed (so FreeBlobTable detects foreign and
/// double frees instead of corrupting the heap).
static TABLES: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

const HEADER: usize = core::mem::offset_of!(BLOB_TABLE, hBlobs);

fn alloc_table(n: usize) -> NmResult<PBLOB_TABLE> {
    let count = u32::try_from(n).map_err(|_| NMERR_OUT_OF_RANGE)?;
    let bytes = HEADER.checked_add(n.max(1).checked_mul(core::mem::size_of::<HBLOB>()).ok_or(NMERR_OUT_OF_MEMORY)?).ok_or(NMERR_OUT_OF_MEMORY)?;
    // SAFETY: calloc of a non-zero size; checked for NULL.
    let p = unsafe { libc::calloc(1, bytes) } as PBLOB_TABLE;
    if p.is_null() {
        return Err(NMERR_OUT_OF_MEMORY);
    }
    // SAFETY: p points to `bytes` zeroed bytes, enough for the header.
    unsafe { (*p).dwNumBlobs = count };
    TABLES.lock().get_or_insert_with(HashSet::new).insert(p as usize);
    Ok(p)
}

/// The handles of a caller's table.
///
/// # Safety
/// `t` is NULL or points to a BLOB_TABLE followed by its `dwNumBlobs` handles.
unsafe fn table_handles(t: PBLOB_TABLE) -> NmResult<Vec<HBLOB>> {
    let t = t as *const BLOB_TABLE;
    // SAFETY: the caller's table pointer (its contract: NULL or a BLOB_TABLE).
    let t = unsafe { input_ref(&t)? };
    let base = t.hBlobs.as_ptr();
    // SAFETY: the table holds dwNumBlobs handles (C contract, as BLOB_TABLE_SIZE allocates).
    Ok((0..t.dwNumBlobs as usize).map(|i| unsafe { *base.add(i) }).collect())
}

/// Fills a new table with new BLOBs; on failure destroys what it made.
fn table_of(blobs: Vec<Blob>) -> NmResult<PBLOB_TABLE> {
    let mut handles = Vec::with_capacity(blobs.len());
    for b in blobs {
        match store::create(b) {
            Ok(h) => handles.push(h),
            Err(e) => {
                handles.into_iter().for_each(|h| {
                    let _ = store::destroy(h);
                });
                return Err(e);
            }
        }
    }
    let t = alloc_table(handles.len()).inspect_err(|_| {
        handles.iter().for_each(|h| {
            let _ = store::destroy(*h);
        });
    })?;
    // SAFETY: t was allocated above with room for handles.len() entries.
    unsafe {
        let base = (*t).hBlobs.as_mut_ptr();
        for (i, h) in handles.into_iter().enumerate() {
            *base.add(i) = to_hblob(h);
        }
    }
    Ok(t)
}

fn filter_of(h: HBLOB) -> NmResult<Option<Blob>> {
    if h.is_null() {
        Ok(None)
    } else {
        store::snapshot(blob_handle(h)).map(Some)
    }
}

ffi_fn! {
    /// Returns in `*ppBlobTable` a table with one new NIC BLOB per capture interface that libpcap finds
    /// and that passes `hFilterBlob` (NULL = no filter; every filter entry outside `NPP:Finder` must
    /// match). The caller destroys each BLOB (DestroyBlob) and frees the table (FreeBlobTable).
    /// `NMERR_NO_NPPS` (no interface), `NMERR_NO_MATCHING_NPPS` (none passed the filter),
    /// `NMERR_WINDOWS_ERROR` (libpcap failed). Needs no privilege.
    ///
    /// A filter with `NPP:Remote:RemoteComputer` lists that host's interfaces instead (remote
    /// NIC BLOBs: the remote capture program's `--list` over ssh, only the entries that describe
    /// an interface kept, the filter's `NPP:Remote:*` entries added, `NPP:Config:IsRemote` TRUE);
    /// the remote failures answer as a remote NIC's Connect (`NMERR_TIMEOUT`,
    /// `NMERR_ACCESS_DENIED`, ...). Without that entry it never touches the network.
    #[must_use]
    fn GetNPPBlobTable(hFilterBlob: HBLOB, ppBlobTable: *mut PBLOB_TABLE) -> DWORD {
        let out = out!(ppBlobTable);
        let filter = filter_of(hFilterBlob)?;
        let found = match filter.as_ref().filter(|f| discover::is_remote_filter(f)) {
            Some(f) => discover::remote_nic_blobs(f)?,
            None => finder::nic_blobs()?,
        };
        let kept = finder::select(found, filter.as_ref())?;
        *out = table_of(kept)?;
        Ok(())
    }
}

ffi_fn! {
    /// Non-interactive "Select a network": returns in `*phBlob` a new NIC BLOB (the caller destroys
    /// it) for the interface named by the environment variable `NETMON_NPP_NAME`, or else the first
    /// interface that passes `hFilterBlob`. `hwnd` is ignored. `NMERR_NO_NPP_SELECTED` when nothing
    /// qualifies.
    #[must_use]
    fn GetNPPBlobFromUI(hwnd: HWND, hFilterBlob: HBLOB, phBlob: *mut HBLOB) -> DWORD {
        let _ = hwnd;
        let out = out!(phBlob);
        let filter = filter_of(hFilterBlob)?;
        let kept = match finder::select(finder::nic_blobs()?, filter.as_ref()) {
            Ok(k) => k,
            Err(NMERR_NO_NPPS | NMERR_NO_MATCHING_NPPS) => Vec::new(),
            Err(e) => return Err(e),
        };
        let i = finder::choose(&kept)?;
        *out = to_hblob(store::create(kept[i].clone())?);
        Ok(())
    }
}

ffi_fn! {
    /// Non-interactive choice from the caller's table: the entry whose `NPP:Location:Name` is
    /// `$NETMON_NPP_NAME`, or else the first. `*hBlob` receives a new copy of it (the caller destroys
    /// it; the table is unchanged). `NMERR_NO_NPP_SELECTED` for an empty table or no such name;
    /// `NMERR_INVALID_BLOB` when a table entry is not a live BLOB.
    #[must_use]
    fn SelectNPPBlobFromTable(hwnd: HWND, pBlobTable: PBLOB_TABLE, hBlob: *mut HBLOB) -> DWORD {
        let _ = hwnd;
        let out = out!(hBlob);
        // SAFETY: pBlobTable is NULL or a BLOB_TABLE with dwNumBlobs handles (its contract).
        let handles = unsafe { table_handles(pBlobTable)? };
        let blobs = handles.iter().map(|h| store::snapshot(blob_handle(*h))).collect::<NmResult<Vec<_>>>()?;
        let i = finder::choose(&blobs)?;
        *out = to_hblob(store::create(blobs[i].clone())?);
        Ok(())
    }
}

ffi_fn! {
    /// TRUE when the NPP BLOB passes the filter BLOB (the rule of GetNPPBlobTable); FALSE otherwise
    /// and for invalid handles.
    #[must_use]
    fn FilterNPPBlob(hBlob: HBLOB, FilterBlob: HBLOB) -> BOOL, panic => FALSE, {
    match (store::snapshot(blob_handle(hBlob)), store::snapshot(blob_handle(FilterBlob))) {
        (Ok(b), Ok(f)) => finder::passes_filter(&b, &f) as BOOL,
        _ => FALSE,
    }
    }
}

ffi_fn! {
    /// A zeroed table with room for `nBlobs` handles and `dwNumBlobs` = `nBlobs` (for
    /// SelectNPPBlobFromTable). Free it with FreeBlobTable. NULL when out of memory.
    #[must_use]
    fn AllocBlobTable(nBlobs: DWORD) -> PBLOB_TABLE, panic => core::ptr::null_mut(), {
        alloc_table(nBlobs as usize).unwrap_or(core::ptr::null_mut())
    }
}

ffi_fn! {
    /// Frees a table from GetNPPBlobTable or AllocBlobTable (not the BLOBs in it: destroy those with
    /// DestroyBlob). `NMERR_INVALID_PARAMETER` for NULL, a table this library did not allocate, or one
    /// already freed.
    fn FreeBlobTable(pBlobTable: PBLOB_TABLE) -> DWORD {
        let known = TABLES.lock().get_or_insert_with(HashSet::new).remove(&(pBlobTable as usize));
        if pBlobTable.is_null() || !known {
            return Err(NMERR_INVALID_PARAMETER);
        }
        // SAFETY: allocated by alloc_table with calloc and not freed before (checked above).
        unsafe { libc::free(pBlobTable.cast()) };
        Ok(())
    }
}
