//! The C boundary and nothing else: exported functions, pointer and string checks, the panic
//! guard, and conversion of handles. One file per function family.
#![allow(non_snake_case)]

#[macro_use]
mod macros;

pub mod blob;
pub mod capfile;
pub mod com;
pub mod dc;
pub mod esp;
pub mod nic;
pub mod nmerr;
pub mod npp;
pub mod rtc;
pub mod stats;

use crate::nmerr::*;
use crate::types::HBLOB;
use core::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning its result into the raw NMERR number and a panic into
/// `NMERR_INTERNAL_EXCEPTION` (a panic never crosses into C).
pub(crate) fn guard(f: impl FnOnce() -> NmResult<()>) -> u32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => NMERR_SUCCESS.code(),
        Ok(Err(e)) => e.code(),
        Err(_) => NMERR_INTERNAL_EXCEPTION.code(),
    }
}

/// `guard` for functions whose C return type is not an NMERR (BOOL, pointers): `on_panic` then.
pub(crate) fn guard_value<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// `guard` for calls on an NPP: the handle's table value goes to `f`, and a caught panic marks the
/// NPP faulted (its later calls answer `NMERR_INTERNAL_EXCEPTION`; npp_destroy still works).
pub(crate) fn npp_guard(h: crate::types::HNPP, f: impl FnOnce(u64) -> NmResult<()>) -> u32 {
    let v = h as usize as u64;
    match catch_unwind(AssertUnwindSafe(|| f(v))) {
        Ok(Ok(())) => NMERR_SUCCESS.code(),
        Ok(Err(e)) => e.code(),
        Err(_) => {
            crate::npp::mark_faulted(v);
            NMERR_INTERNAL_EXCEPTION.code()
        }
    }
}

/// Writes a STATISTICS_EX into the caller's size-prefixed structure (at most `StructSize` bytes).
///
/// # Safety
/// `p` is NULL or points to the caller's writable STATISTICS_EX whose first field, StructSize, is
/// set and no larger than the memory behind `p`.
pub(crate) unsafe fn write_statistics_ex(p: crate::types::LPSTATISTICS_EX, get: impl FnOnce() -> NmResult<crate::capture::engine::Totals>) -> NmResult<()> {
    let size_field = p as *const u32;
    // SAFETY: p is the caller's STATISTICS_EX pointer (the caller's contract); its first field is
    // StructSize.
    let size = unsafe { input_ref(&size_field)? };
    let size = *size as usize;
    if size < 16 {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let full = get()?.statistics_ex();
    let n = size.min(core::mem::size_of::<crate::types::STATISTICS_EX>());
    // SAFETY: the caller's structure is StructSize bytes long (C contract); we copy at most that.
    unsafe { core::ptr::copy_nonoverlapping((&full as *const crate::types::STATISTICS_EX).cast::<u8>().add(4), p.cast::<u8>().add(4), n - 4) };
    Ok(())
}

/// `esp_query_stations` / `stats_query_stations`: `table->nStationQueries` in = capacity, out =
/// entries written. NULL table → `NMERR_INVALID_PARAMETER`; bad handle → `NMERR_INVALID_HNETWORK`.
/// On an error the table is left as it was.
///
/// # Safety
/// `table` is NULL or points to a QUERYTABLE with room for `nStationQueries` entries.
pub(crate) unsafe fn query_stations_into(handle: u64, table: crate::types::LPQUERYTABLE) -> NmResult<()> {
    use crate::types::{DWORD, STATIONQUERY};
    if table.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let target = crate::npp::nic_blob_of(handle)?;
    // SAFETY: table is non-NULL and points to a QUERYTABLE (C contract); the read is unaligned
    // because the caller's table need not be aligned.
    let capacity = unsafe { core::ptr::addr_of!((*table).nStationQueries).read_unaligned() } as usize;
    let found = crate::stations::query_for(&target, capacity)?;
    let n = found.len().min(capacity);
    // SAFETY: the caller's table has room for `capacity` >= n entries (C contract); STATIONQUERY
    // is packed (alignment 1), so any address is aligned for it; `found` is our own Vec and
    // cannot overlap the caller's table.
    unsafe {
        let entries = core::ptr::addr_of_mut!((*table).StationQuery).cast::<STATIONQUERY>();
        core::ptr::copy_nonoverlapping(found.as_ptr(), entries, n);
        core::ptr::addr_of_mut!((*table).nStationQueries).write_unaligned(n as DWORD);
    }
    Ok(())
}

/// The shared argument handling of `*_connect` (`frames` only for IRTC).
pub(crate) fn connect_family(
    h: u64,
    family: crate::npp::Family,
    input: HBLOB,
    callbacks: (crate::types::LPNETWORKCALLBACKPROC, crate::types::LPNETWORKCALLBACKPROC),
    context: crate::types::LPVOID,
    err: HBLOB,
) -> NmResult<()> {
    crate::npp::check_handle(h)?;
    let input = crate::blob::store::snapshot(blob_handle(input))?;
    let error_blob = error_blob(err)?;
    let (callback, frames_callback) = callbacks;
    crate::npp::connect(h, family, crate::npp::ConnectArgs { input, callback, frames_callback, context: context as usize, error_blob })
}

/// `esp_start` / `dc_start`: starts a capture into a new file and writes its NUL-terminated name
/// into `name` (`room` bytes); `NMERR_INVALID_PARAMETER` (nothing started) when it would not fit.
///
/// # Safety
/// `name` is NULL or points to `room` writable bytes.
pub(crate) unsafe fn start_into(h: u64, family: crate::npp::Family, name: *mut c_char, room: usize) -> NmResult<()> {
    if name.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let path = crate::npp::start(h, family, Some(room))?.unwrap_or_default();
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.len() >= room {
        // npp::start checked the room before anything started; a name that still does not fit is
        // not copied: the capture is undone and the call fails as if it had not started.
        let _ = crate::npp::stop(h, family);
        let _ = std::fs::remove_file(&path);
        return Err(NMERR_INVALID_PARAMETER);
    }
    // SAFETY: the name and its NUL fit in `room` bytes (checked just above), which the caller
    // provides (this function's contract).
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), name.cast::<u8>(), bytes.len());
        *name.add(bytes.len()) = 0;
    }
    Ok(())
}

/// `esp_stop` / `dc_stop`: the statistics go to `out` (if given) also when finishing the file
/// failed (`NMERR_FILE_WRITE_ERROR`).
pub(crate) fn stop_into(h: u64, family: crate::npp::Family, out: Option<&mut crate::types::STATISTICS>) -> NmResult<()> {
    let (stats, finished) = crate::npp::stop(h, family)?;
    if let Some(s) = out {
        *s = stats;
    }
    finished
}

/// `*_get_total_statistics`.
pub(crate) fn total_statistics_into(h: u64, family: crate::npp::Family, out: &mut crate::types::STATISTICS, clear: crate::types::BOOL) -> NmResult<()> {
    *out = crate::npp::totals(h, family, clear != 0)?.statistics();
    Ok(())
}

/// `*_get_conversation_statistics`: the counts into `ns`/`nt`, the tables into the caller's
/// arrays.
///
/// # Safety
/// `sessions` / `stations` are NULL or hold MAX_SESSIONS / MAX_STATIONS writable entries.
pub(crate) unsafe fn conversations_into(
    h: u64,
    family: crate::npp::Family,
    (ns, sessions): (&mut crate::types::DWORD, crate::types::LPSESSIONSTATS),
    (nt, stations): (&mut crate::types::DWORD, crate::types::LPSTATIONSTATS),
    clear: crate::types::BOOL,
) -> NmResult<()> {
    use crate::types::{DWORD, MAX_SESSIONS, MAX_STATIONS};
    if sessions.is_null() || stations.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let (st, se) = crate::npp::conversations(h, family, clear != 0)?;
    // SAFETY: the caller's arrays hold MAX_STATIONS / MAX_SESSIONS entries (this function's
    // contract); the tables never hold more.
    unsafe {
        core::ptr::copy_nonoverlapping(st.as_ptr(), stations, st.len().min(MAX_STATIONS as usize));
        core::ptr::copy_nonoverlapping(se.as_ptr(), sessions, se.len().min(MAX_SESSIONS as usize));
    }
    (*nt, *ns) = (st.len() as DWORD, se.len() as DWORD);
    Ok(())
}

/// `*_insert_special_frame`.
///
/// # Safety
/// `data` is NULL (with `len` 0) or points to `len` readable bytes.
pub(crate) unsafe fn insert_special_from(h: u64, family: crate::npp::Family, frame_type: u32, flags: u32, data: *const u8, len: u32) -> NmResult<()> {
    let bytes: &[u8] = if len == 0 {
        &[]
    } else if data.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    } else {
        // SAFETY: non-NULL (checked) and `len` readable bytes (this function's contract).
        unsafe { core::slice::from_raw_parts(data, len as usize) }
    };
    crate::npp::insert_special(h, family, frame_type, flags, bytes)
}

/// The shared argument handling of `esp_configure` / `stats_configure`.
pub(crate) fn configure_family(h: u64, family: crate::npp::Family, blob: HBLOB, err: HBLOB) -> NmResult<()> {
    crate::npp::check_handle(h)?;
    let blob = crate::blob::store::snapshot(blob_handle(blob))?;
    let error_blob = error_blob(err)?;
    crate::npp::configure(h, family, &blob, error_blob)
}

/// `*_query_status`.
pub(crate) fn query_status_into(h: u64, out: &mut crate::types::NETWORKSTATUS) -> NmResult<()> {
    *out = crate::npp::query_status(h)?;
    Ok(())
}

/// `*_get_control_state`.
pub(crate) fn control_state_into(h: u64, family: crate::npp::Family, r: &mut crate::types::BOOL, p: &mut crate::types::BOOL) -> NmResult<()> {
    let (is_running, is_paused) = crate::npp::control_state(h, family)?;
    (*r, *p) = (is_running as crate::types::BOOL, is_paused as crate::types::BOOL);
    Ok(())
}

/// The bytes of a C string argument `*p`, `NMERR_INVALID_PARAMETER` for NULL (`text!`).
///
/// # Safety
/// `*p` is NULL or a NUL-terminated string that stays unchanged while the result is used; the
/// result borrows `p`, so it cannot outlive the argument it came from.
pub(crate) unsafe fn text_ref(p: &*const c_char) -> NmResult<&[u8]> {
    if p.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL (checked) and NUL-terminated (the caller's contract).
    Ok(unsafe { CStr::from_ptr(*p) }.to_bytes())
}

/// `text_ref` for an optional argument: None for NULL (`opt_text!`).
///
/// # Safety
/// As `text_ref`.
pub(crate) unsafe fn opt_text_ref(p: &*const c_char) -> Option<&[u8]> {
    // SAFETY: the caller's contract is text_ref's.
    unsafe { text_ref(p) }.ok()
}

/// `&mut T` from an output pointer argument `*p`, `NMERR_INVALID_PARAMETER` for NULL (`out!`).
///
/// # Safety
/// `*p` is NULL or points to writable, aligned storage for one `T` that nothing else accesses
/// while the result is used; the result borrows `p`, so it cannot outlive the argument.
// The `&mut T` is the caller's storage, not the pointer variable it borrows: the borrow only
// bounds the lifetime to the call.
#[allow(clippy::mut_from_ref)]
pub(crate) unsafe fn out_ref<T>(p: &*mut T) -> NmResult<&mut T> {
    // SAFETY: per the caller's contract (NULL is checked by as_mut).
    unsafe { p.as_mut() }.ok_or(NMERR_INVALID_PARAMETER)
}

/// A raw pointer argument read as input, whether C declared it `const` or not.
pub(crate) trait InputPtr<T> {
    fn as_const(&self) -> *const T;
}

impl<T> InputPtr<T> for *const T {
    fn as_const(&self) -> *const T {
        *self
    }
}

impl<T> InputPtr<T> for *mut T {
    fn as_const(&self) -> *const T {
        self.cast_const()
    }
}

/// `&T` from an input pointer argument `*p`, `NMERR_INVALID_PARAMETER` for NULL (`input!`).
///
/// # Safety
/// `*p` is NULL or points to a readable, aligned `T` that nothing changes while the result is
/// used; the result borrows `p`, so it cannot outlive the argument.
pub(crate) unsafe fn input_ref<T, P: InputPtr<T>>(p: &P) -> NmResult<&T> {
    // SAFETY: per the caller's contract (NULL is checked by as_ref).
    unsafe { p.as_const().as_ref() }.ok_or(NMERR_INVALID_PARAMETER)
}

/// The table value of an HBLOB (never dereferenced).
pub(crate) fn blob_handle(h: HBLOB) -> u64 {
    h as usize as u64
}

/// The HBLOB of a table value.
pub(crate) fn to_hblob(v: u64) -> HBLOB {
    v as usize as HBLOB
}

/// An optional error BLOB: NULL means "no details wanted"; a non-NULL dead one is an error.
pub(crate) fn error_blob(h: HBLOB) -> NmResult<Option<u64>> {
    if h.is_null() {
        return Ok(None);
    }
    let v = blob_handle(h);
    if crate::blob::store::exists(v) {
        Ok(Some(v))
    } else {
        Err(NMERR_INVALID_BLOB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_catches_panics() {
        assert_eq!(guard(|| Ok(())), 0);
        assert_eq!(guard(|| Err(NMERR_NOT_ESP)), 139);
        assert_eq!(guard(|| panic!("boom")), NMERR_INTERNAL_EXCEPTION.code());
        assert_eq!(guard_value(-1, || panic!("boom")), -1);
    }
}
