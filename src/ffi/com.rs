//! COM-style objects over the flat families (README, "Porting Network Monitor 2 code"): `CreateNPPInterface`, the SDK's IIDs
//! and the vtables of IESP, IRTC, IDelaydC and IStats, so SDK code that calls
//! `pESP->lpVtbl->Disconnect(pESP)` (C) or `pESP->Disconnect()` (C++) runs unchanged.
//!
//! An object wraps one HNPP. Its four interfaces cannot share one vtable (their slots 3, 7, 8, 10
//! and 12 take different arguments), so an object is four *views* side by side, each a pointer to
//! its interface's vtable, as a C++ class deriving from the four would be laid out: view 0 is
//! IESP (and the object's IUnknown identity), 1 IRTC, 2 IDelaydC, 3 IStats. QueryInterface
//! between them returns the same object through the asked view; all views share one reference
//! count and one NPP. Which family drives the NPP is decided by the Connect called, as with the
//! flat functions.
//!
//! Objects hold the NPP's table handle, never a pointer into the NPP. The object's memory is
//! never given back to the allocator: the last Release destroys the NPP (npp_destroy), clears the
//! handle and puts the block on a free list that CreateNPPInterface reuses. So a call through a
//! released object (the caller's bug) reads valid memory and answers `NMERR_INVALID_HNETWORK`
//! (until the block is reused), and a Release past zero answers 0 and frees nothing.

use super::*;
use crate::types::*;
use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use parking_lot::Mutex;

/// The COM result for an interface an object does not have.
pub const E_NOINTERFACE: HRESULT = 0x8000_4002_u32 as HRESULT;

const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> GUID {
    GUID { Data1: d1, Data2: d2, Data3: d3, Data4: d4 }
}

ffi_static! {
    /// IUnknown's IID, {00000000-0000-0000-C000-000000000046}.
    IID_IUnknown: IID = guid(0, 0, 0, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
}
ffi_static! {
    /// IESP's IID, {E99A04AA-AB95-11D0-BE96-00A0C94989DE}.
    IID_IESP: IID = guid(0xE99A_04AA, 0xAB95, 0x11D0, [0xBE, 0x96, 0x00, 0xA0, 0xC9, 0x49, 0x89, 0xDE]);
}
ffi_static! {
    /// IRTC's IID, {4811EA40-B582-11CE-B5AF-00AA006CB37D}.
    IID_IRTC: IID = guid(0x4811_EA40, 0xB582, 0x11CE, [0xB5, 0xAF, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D]);
}
ffi_static! {
    /// IDelaydC's IID, {BFF9C030-B58F-11CE-B5B0-00AA006CB37D}.
    IID_IDelaydC: IID = guid(0xBFF9_C030, 0xB58F, 0x11CE, [0xB5, 0xB0, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D]);
}
ffi_static! {
    /// IStats' IID, {944AD530-B09D-11CE-B59C-00AA006CB37D}.
    IID_IStats: IID = guid(0x944A_D530, 0xB09D, 0x11CE, [0xB5, 0x9C, 0x00, 0xAA, 0x00, 0x6C, 0xB3, 0x7D]);
}

/// A vtable as the Itanium C++ ABI lays it out: before the slots that the object's vptr (lpVtbl)
/// points to, the offset from this view to the whole object (0: C++ callers see each view as a
/// complete object, so `dynamic_cast<void *>` gives the view) and the RTTI pointer, NULL: the
/// objects carry no C++ type information (`typeid` and UBSan's `-fsanitize=vptr` need it).
#[repr(C)]
pub(crate) struct ItaniumVtable<T> {
    offset_to_top: isize,
    type_info: usize,
    slots: T,
}

/// One interface pointer of an object: what C sees as `IESP { lpVtbl }`.
#[repr(transparent)]
pub(crate) struct View {
    lpVtbl: *const c_void,
}

/// An object: its four views, then the NPP's table value (0 once destroyed) and the count.
#[repr(C)]
pub(crate) struct Object {
    views: [View; VIEWS],
    npp: AtomicUsize,
    refs: AtomicU32,
}

// SAFETY: the views are written once, when the block is made, and point to immutable statics;
// the rest is atomics.
unsafe impl Sync for Object {}
// SAFETY: as for Sync.
unsafe impl Send for Object {}

const VIEWS: usize = 4;

/// The view an IID asks for; None for an IID no object has.
fn view_of(iid: &IID) -> Option<usize> {
    [&IID_IESP, &IID_IRTC, &IID_IDelaydC, &IID_IStats].iter().position(|known| *known == iid).or((*iid == IID_IUnknown).then_some(0))
}

/// Released blocks, for reuse (never freed: see the module documentation).
static FREE: Mutex<Vec<&'static Object>> = Mutex::new(Vec::new());

impl Object {
    /// A block from the free list or a new one, holding `npp` with one reference.
    fn new(npp: usize) -> &'static Object {
        let obj = FREE.lock().pop().unwrap_or_else(|| {
            let vtables: [*const c_void; VIEWS] = [
                (&IESP_VTBL.slots as *const IEspVtbl).cast(),
                (&IRTC_VTBL.slots as *const IRtcVtbl).cast(),
                (&IDELAYDC_VTBL.slots as *const IDelaydCVtbl).cast(),
                (&ISTATS_VTBL.slots as *const IStatsVtbl).cast(),
            ];
            Box::leak(Box::new(Object { views: vtables.map(|lpVtbl| View { lpVtbl }), npp: AtomicUsize::new(0), refs: AtomicU32::new(0) }))
        });
        obj.npp.store(npp, Ordering::Release);
        obj.refs.store(1, Ordering::Release);
        obj
    }

    /// The C pointer of view `n` (derived from the whole object, so it can find the object again).
    fn view(&'static self, n: usize) -> *mut c_void {
        let base: *const Object = self;
        base.cast::<View>().wrapping_add(n).cast_mut().cast()
    }

    /// The object behind view `n`'s pointer, None for NULL.
    ///
    /// # Safety
    /// `this` is NULL or a pointer that `view(n)` gave (such blocks are never freed).
    unsafe fn of(this: *mut View, n: usize) -> Option<&'static Object> {
        // SAFETY: view(n) made `this` from the object's address plus n views (this function's
        // contract), and the object lives for ever.
        (!this.is_null()).then(|| unsafe { &*this.cast_const().sub(n).cast::<Object>() })
    }

    /// The new count; 0 (and no change) once the count has reached 0.
    fn add_ref(&self) -> ULONG {
        match self.refs.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n != 0).then(|| n.saturating_add(1))) {
            Ok(n) => n.saturating_add(1),
            Err(_) => 0,
        }
    }

    /// The new count; the last reference destroys the NPP and returns the block to the free list.
    /// Past zero: 0, nothing done.
    fn release(&'static self) -> ULONG {
        match self.refs.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)) {
            Ok(1) => {
                let npp = self.npp.swap(0, Ordering::AcqRel);
                // An NPP that is already gone answers NMERR_INVALID_HNETWORK; nothing to undo.
                let _ = crate::npp::destroy(npp as u64);
                FREE.lock().push(self);
                0
            }
            Ok(n) => n - 1,
            Err(_) => 0,
        }
    }

    fn hnpp(&self) -> HNPP {
        self.npp.load(Ordering::Acquire) as HNPP
    }
}

ffi_fn! {
    /// Creates an NPP for the NIC that `hBlob` describes (as npp_create) and returns it as a COM-style
    /// object through the interface `iid` asks for: `IID_IESP`, `IID_IRTC`, `IID_IDelaydC`,
    /// `IID_IStats` or `IID_IUnknown`, with one reference. Every method returns the raw NMERR number
    /// of the flat function it forwards to (`esp_*`, `rtc_*`, `dc_*`, `stats_*`) as HRESULT; the
    /// last Release stops, disconnects and destroys the NPP (as npp_destroy). Answers:
    /// `NMERR_INVALID_PARAMETER` when `ppvObject` is NULL (nothing written) or `iid` is NULL;
    /// `E_NOINTERFACE` for any other IID (nothing created); npp_create's code for a bad BLOB. As in
    /// COM, `*ppvObject` is set to NULL whenever the answer is not NMERR_SUCCESS.
    #[must_use]
    fn CreateNPPInterface(hBlob: HBLOB, iid: REFIID, ppvObject: *mut *mut c_void) -> HRESULT, panic => NMERR_INTERNAL_EXCEPTION.code() as HRESULT, {
        let Some(out) = opt_out!(ppvObject) else { return NMERR_INVALID_PARAMETER.code() as HRESULT };
        *out = core::ptr::null_mut();
        // SAFETY: `iid` is this call's argument (shared contract: NULL or readable for the call).
        let Some(view) = unsafe { opt_in(iid) }.map(view_of) else { return NMERR_INVALID_PARAMETER.code() as HRESULT };
        let Some(view) = view else { return E_NOINTERFACE };
        let mut npp: HNPP = core::ptr::null_mut();
        // SAFETY: `npp` is our own local, writable.
        let rc = unsafe { super::npp::npp_create(hBlob, &mut npp) };
        if rc == NMERR_SUCCESS.code() {
            *out = Object::new(npp as usize).view(view);
        }
        rc as HRESULT
    }
}

/// `&IID` from an IID argument, None for NULL.
/// The IID behind an argument, for the call.
///
/// # Safety
/// `iid` is NULL or points to an IID that stays valid for `'a` (the shared contract: the call).
unsafe fn opt_in<'a>(iid: REFIID) -> Option<&'a IID> {
    // SAFETY: this function's contract.
    unsafe { iid.as_ref() }
}

/// Every interface's QueryInterface, on view `n`.
///
/// # Safety
/// `this` as for `Object::of`; `ppv` NULL or writable, `riid` NULL or readable (shared contract).
pub(crate) unsafe fn com_query_interface(this: *mut View, n: usize, riid: REFIID, ppv: *mut *mut c_void) -> HRESULT {
    guard_value(NMERR_INTERNAL_EXCEPTION.code() as HRESULT, || {
        let Some(out) = opt_out!(ppv) else { return NMERR_INVALID_PARAMETER.code() as HRESULT };
        *out = core::ptr::null_mut();
        // SAFETY: this function's contract.
        let (Some(obj), Some(iid)) = (unsafe { Object::of(this, n) }, unsafe { opt_in(riid) }) else { return NMERR_INVALID_PARAMETER.code() as HRESULT };
        let Some(view) = view_of(iid) else { return E_NOINTERFACE };
        if obj.add_ref() == 0 {
            return NMERR_INVALID_HNETWORK.code() as HRESULT;
        }
        *out = obj.view(view);
        NMERR_SUCCESS.code() as HRESULT
    })
}

/// Every interface's AddRef, on view `n`: the new count (0 for NULL or a released object).
///
/// # Safety
/// `this` as for `Object::of`.
pub(crate) unsafe fn com_add_ref(this: *mut View, n: usize) -> ULONG {
    // SAFETY: this function's contract.
    guard_value(0, || unsafe { Object::of(this, n) }.map_or(0, Object::add_ref))
}

/// Every interface's Release, on view `n`: the new count (0 for NULL or past zero).
///
/// # Safety
/// `this` as for `Object::of`.
pub(crate) unsafe fn com_release(this: *mut View, n: usize) -> ULONG {
    // SAFETY: this function's contract.
    guard_value(0, || unsafe { Object::of(this, n) }.map_or(0, Object::release))
}

/// The NPP handle of the object behind view `n` (NULL once destroyed, which the flat functions
/// answer with NMERR_INVALID_HNETWORK); None for a NULL `this`.
///
/// # Safety
/// `this` as for `Object::of`.
pub(crate) unsafe fn com_npp(this: *mut View, n: usize) -> Option<HNPP> {
    // SAFETY: this function's contract.
    unsafe { Object::of(this, n) }.map(Object::hnpp)
}

/// A method: `f` with the object's NPP handle, its answer as HRESULT; NMERR_INVALID_PARAMETER for a
/// NULL `this`.
pub(crate) fn com_call(npp: Option<HNPP>, f: impl FnOnce(HNPP) -> DWORD) -> HRESULT {
    guard_value(NMERR_INTERNAL_EXCEPTION.code(), || npp.map_or(NMERR_INVALID_PARAMETER.code(), f)) as HRESULT
}

/// A callback given as LPVOID (the SDK's Connect signatures) is an LPNETWORKCALLBACKPROC.
fn callback(p: LPVOID) -> LPNETWORKCALLBACKPROC {
    // SAFETY: a function pointer and a data pointer have the same size and representation on the
    // platforms this library supports; NULL becomes None. The caller passes an
    // LPNETWORKCALLBACKPROC or NULL (the SDK's documented use of the argument).
    unsafe { core::mem::transmute::<LPVOID, LPNETWORKCALLBACKPROC>(p) }
}

const ROOM: usize = MAX_PATH as usize;

use super::dc::*;
use super::esp::*;
use super::rtc::*;
use super::stats::*;

com_vtable!(IEspVtbl, IESP_VTBL, view 0, |h| {
    fn Connect(hInputBlob: HBLOB, StatusCallbackProc: LPVOID, UserContext: LPVOID, hErrorBlob: HBLOB) => esp_connect(h, hInputBlob, callback(StatusCallbackProc), UserContext, hErrorBlob);
    fn Disconnect() => esp_disconnect(h);
    fn QueryStatus(pNetworkStatus: LPNETWORKSTATUS) => esp_query_status(h, pNetworkStatus);
    fn Configure(hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) => esp_configure(h, hConfigurationBlob, hErrorBlob);
    fn Start(pFileName: *mut c_char) => esp_start(h, pFileName, ROOM);
    fn Pause(lpStats: LPSTATISTICS) => esp_pause(h, lpStats);
    fn Resume() => esp_resume(h);
    fn Stop(lpStats: LPSTATISTICS) => esp_stop(h, lpStats);
    fn GetControlState(IsRunnning: *mut BOOL, IsPaused: *mut BOOL) => esp_get_control_state(h, IsRunnning, IsPaused);
    fn QueryStations(lpQueryTable: LPQUERYTABLE) => esp_query_stations(h, lpQueryTable);
});

com_vtable!(IRtcVtbl, IRTC_VTBL, view 1, |h| {
    fn Connect(hInputBlob: HBLOB, StatusCallbackProc: LPVOID, FramesCallbackProc: LPVOID, UserContext: LPVOID, hErrorBlob: HBLOB) =>
        rtc_connect(h, hInputBlob, callback(StatusCallbackProc), callback(FramesCallbackProc), UserContext, hErrorBlob);
    fn Disconnect() => rtc_disconnect(h);
    fn QueryStatus(pNetworkStatus: LPNETWORKSTATUS) => rtc_query_status(h, pNetworkStatus);
    fn Configure(hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) => rtc_configure(h, hConfigurationBlob, hErrorBlob);
    fn Start() => rtc_start(h);
    fn Pause() => rtc_pause(h);
    fn Resume() => rtc_resume(h);
    fn Stop() => rtc_stop(h);
    fn GetControlState(IsRunnning: *mut BOOL, IsPaused: *mut BOOL) => rtc_get_control_state(h, IsRunnning, IsPaused);
    fn GetTotalStatistics(lpStats: LPSTATISTICS, fClearAfterReading: BOOL) => rtc_get_total_statistics(h, lpStats, fClearAfterReading);
    fn GetConversationStatistics(nSessions: *mut DWORD, lpSessionStats: LPSESSIONSTATS, nStations: *mut DWORD, lpStationStats: LPSTATIONSTATS, fClearAfterReading: BOOL) =>
        rtc_get_conversation_statistics(h, nSessions, lpSessionStats, nStations, lpStationStats, fClearAfterReading);
    fn InsertSpecialFrame(FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) => rtc_insert_special_frame(h, FrameType, Flags, pUserData, UserDataLength);
    fn QueryStations(lpQueryTable: LPQUERYTABLE) => rtc_query_stations(h, lpQueryTable);
});

com_vtable!(IDelaydCVtbl, IDELAYDC_VTBL, view 2, |h| {
    fn Connect(hInputBlob: HBLOB, StatusCallbackProc: LPVOID, UserContext: LPVOID, hErrorBlob: HBLOB) => dc_connect(h, hInputBlob, callback(StatusCallbackProc), UserContext, hErrorBlob);
    fn Disconnect() => dc_disconnect(h);
    fn QueryStatus(pNetworkStatus: LPNETWORKSTATUS) => dc_query_status(h, pNetworkStatus);
    fn Configure(hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) => dc_configure(h, hConfigurationBlob, hErrorBlob);
    fn Start(pFileName: *mut c_char) => dc_start(h, pFileName, ROOM);
    fn Pause() => dc_pause(h);
    fn Resume() => dc_resume(h);
    fn Stop(lpStats: LPSTATISTICS) => dc_stop(h, lpStats);
    fn GetControlState(IsRunnning: *mut BOOL, IsPaused: *mut BOOL) => dc_get_control_state(h, IsRunnning, IsPaused);
    fn GetTotalStatistics(lpStats: LPSTATISTICS, fClearAfterReading: BOOL) => dc_get_total_statistics(h, lpStats, fClearAfterReading);
    fn GetConversationStatistics(nSessions: *mut DWORD, lpSessionStats: LPSESSIONSTATS, nStations: *mut DWORD, lpStationStats: LPSTATIONSTATS, fClearAfterReading: BOOL) =>
        dc_get_conversation_statistics(h, nSessions, lpSessionStats, nStations, lpStationStats, fClearAfterReading);
    fn InsertSpecialFrame(FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) => dc_insert_special_frame(h, FrameType, Flags, pUserData, UserDataLength);
    fn QueryStations(lpQueryTable: LPQUERYTABLE) => dc_query_stations(h, lpQueryTable);
});

com_vtable!(IStatsVtbl, ISTATS_VTBL, view 3, |h| {
    fn Connect(hInputBlob: HBLOB, StatusCallbackProc: LPVOID, UserContext: LPVOID, hErrorBlob: HBLOB) => stats_connect(h, hInputBlob, callback(StatusCallbackProc), UserContext, hErrorBlob);
    fn Disconnect() => stats_disconnect(h);
    fn QueryStatus(pNetworkStatus: LPNETWORKSTATUS) => stats_query_status(h, pNetworkStatus);
    fn Configure(hConfigurationBlob: HBLOB, hErrorBlob: HBLOB) => stats_configure(h, hConfigurationBlob, hErrorBlob);
    fn Start() => stats_start(h);
    fn Pause() => stats_pause(h);
    fn Resume() => stats_resume(h);
    fn Stop() => stats_stop(h);
    fn GetControlState(IsRunnning: *mut BOOL, IsPaused: *mut BOOL) => stats_get_control_state(h, IsRunnning, IsPaused);
    fn GetTotalStatistics(lpStats: LPSTATISTICS, fClearAfterReading: BOOL) => stats_get_total_statistics(h, lpStats, fClearAfterReading);
    fn GetConversationStatistics(nSessions: *mut DWORD, lpSessionStats: LPSESSIONSTATS, nStations: *mut DWORD, lpStationStats: LPSTATIONSTATS, fClearAfterReading: BOOL) =>
        stats_get_conversation_statistics(h, nSessions, lpSessionStats, nStations, lpStationStats, fClearAfterReading);
    fn InsertSpecialFrame(FrameType: DWORD, Flags: DWORD, pUserData: *mut BYTE, UserDataLength: DWORD) => stats_insert_special_frame(h, FrameType, Flags, pUserData, UserDataLength);
    fn QueryStations(lpQueryTable: LPQUERYTABLE) => stats_query_stations(h, lpQueryTable);
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iids_and_views() {
        assert_eq!(view_of(&IID_IUnknown), Some(0));
        assert_eq!(view_of(&IID_IESP), Some(0));
        assert_eq!(view_of(&IID_IRTC), Some(1));
        assert_eq!(view_of(&IID_IDelaydC), Some(2));
        assert_eq!(view_of(&IID_IStats), Some(3));
        assert_eq!(view_of(&GUID::default()), None);
        assert_eq!(E_NOINTERFACE as u32, 0x8000_4002);
    }

    #[test]
    fn counts_never_go_below_zero_and_the_block_is_reused() {
        let obj = Object::new(0);
        assert_eq!(obj.add_ref(), 2);
        assert_eq!(obj.release(), 1);
        assert_eq!(obj.release(), 0);
        assert_eq!(obj.release(), 0);
        assert_eq!(obj.add_ref(), 0);
        // SAFETY: view(2) made the pointer.
        let back = unsafe { Object::of(obj.view(2).cast(), 2) }.unwrap();
        assert!(core::ptr::eq(back, obj));
    }
}
