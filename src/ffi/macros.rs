//! The one form of every exported function, and the pointer helpers its bodies use.
//!
//! `ffi_fn!` writes the whole export from its doc comment, name, C signature and body: the doc
//! comment (which cbindgen copies into netmon.h), `#[no_mangle]`, `extern "C"`, and the panic
//! guard with the result a panic gives. Four shapes:
//!
//! ```ignore
//! ffi_fn! { /// doc
//!     fn CreateBlob(phBlob: *mut HBLOB) -> DWORD { /* NmResult<()> */ } }
//! ffi_fn! { /// doc: the first argument is the NPP; `h` is its table value, a panic marks it faulted
//!     fn esp_stop(hNpp: HNPP, lpStats: LPSTATISTICS) -> DWORD for npp |h| { /* NmResult<()> */ } }
//! ffi_fn! { /// doc: a result that is not an NMERR; a panic answers the value after `panic =>`
//!     fn IsRemoteNPP(hBlob: HBLOB) -> BOOL, panic => FALSE, { /* BOOL */ } }
//! ffi_fn! { /// doc: no pointer argument is read, so the function is safe to call
//!     safe fn nmerr_text(code: DWORD) -> *const c_char, panic => core::ptr::null(), { ... } }
//! ```
//!
//! The contract every unsafe export shares (stated once in netmon.h's opening comment): each
//! pointer argument is NULL or valid for the use its documentation gives (a readable structure or
//! NUL-terminated string, writable storage for an output) for the duration of the call, and
//! outputs do not overlap the inputs. The helpers below rely on exactly that.
//!
//! The pointer helpers check, convert and return early in one token: `out!(p)` is `&mut T` for a
//! non-NULL output pointer, else the enclosing body returns `NMERR_INVALID_PARAMETER`; `input!(p)`
//! the same for `&T`; `text!(p)` a NUL-terminated string's bytes; `opt_text!(p)` an optional one.
//! The references they give borrow the pointer argument itself, so they cannot outlive the call.

/// Defines an exported C function (see the module documentation).
macro_rules! ffi_fn {
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> DWORD $body:block) => {
        $(#[$m])*
        #[no_mangle]
        #[allow(clippy::missing_safety_doc)] // the shared contract: see src/ffi/macros.rs and netmon.h
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> $crate::types::DWORD {
            $crate::ffi::guard(|| -> $crate::nmerr::NmResult<()> { $body })
        }
    };
    ($(#[$m:meta])* fn $name:ident($npp:ident: HNPP $(, $arg:ident: $ty:ty)* $(,)?) -> DWORD for npp |$h:ident| $body:block) => {
        $(#[$m])*
        #[no_mangle]
        #[allow(clippy::missing_safety_doc)] // the shared contract: see src/ffi/macros.rs and netmon.h
        pub unsafe extern "C" fn $name($npp: $crate::types::HNPP $(, $arg: $ty)*) -> $crate::types::DWORD {
            $crate::ffi::npp_guard($npp, |$h| -> $crate::nmerr::NmResult<()> { $body })
        }
    };
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty, panic => $default:expr, $body:block) => {
        $(#[$m])*
        #[no_mangle]
        #[allow(clippy::missing_safety_doc)] // the shared contract: see src/ffi/macros.rs and netmon.h
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> $ret {
            $crate::ffi::guard_value($default, || -> $ret { $body })
        }
    };
    ($(#[$m:meta])* safe fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty, panic => $default:expr, $body:block) => {
        $(#[$m])*
        #[no_mangle]
        pub extern "C" fn $name($($arg: $ty),*) -> $ret {
            $crate::ffi::guard_value($default, || -> $ret { $body })
        }
    };
}

/// `&mut T` from a mandatory output pointer argument, or return `NMERR_INVALID_PARAMETER`.
macro_rules! out {
    ($p:ident) => {
        // SAFETY: `$p` is an argument of the exported function being run; by the shared contract
        // it is NULL (checked) or points to writable storage for one value, for the whole call.
        unsafe { $crate::ffi::out_ref(&$p) }?
    };
}

/// `&T` from a mandatory input pointer argument, or return `NMERR_INVALID_PARAMETER`.
macro_rules! input {
    ($p:ident) => {
        // SAFETY: `$p` is an argument of the exported function being run; by the shared contract
        // it is NULL (checked) or points to a readable value, for the whole call.
        unsafe { $crate::ffi::input_ref(&$p) }?
    };
}

/// The bytes of a mandatory NUL-terminated string argument, or return `NMERR_INVALID_PARAMETER`.
macro_rules! text {
    ($p:ident) => {
        // SAFETY: `$p` is an argument of the exported function being run; by the shared contract
        // it is NULL (checked) or a NUL-terminated string that stays unchanged during the call.
        unsafe { $crate::ffi::text_ref(&$p) }?
    };
}

/// `Option<&mut T>` from an optional output pointer argument (None for NULL).
macro_rules! opt_out {
    ($p:ident) => {
        // SAFETY: `$p` is an argument of the exported function being run; by the shared contract
        // it is NULL (None) or points to writable storage for one value, for the whole call.
        unsafe { $crate::ffi::out_ref(&$p) }.ok()
    };
}

/// The bytes of an optional NUL-terminated string argument (None for NULL).
macro_rules! opt_text {
    ($p:ident) => {
        // SAFETY: as for `text!`; NULL gives None.
        unsafe { $crate::ffi::opt_text_ref(&$p) }
    };
}

/// The four calls that IStats, IRTC and IDelaydC answer alike (their C names differ): query
/// status, control state, conversation statistics, other stations. `$family` is the family's
/// `Family`; every export is an `ffi_fn!`.
macro_rules! family_common {
    ($family:expr, query_status: $qs:ident, control_state: $cs:ident, conversations: $cv:ident, query_stations: $qst:ident $(,)?) => {
        ffi_fn! {
            /// As esp_query_status: State VOID (not connected or idle), CAPTURING or PAUSED; works in
            /// every state, whichever family connected the NPP.
            #[must_use]
            fn $qs(hNpp: HNPP, pNetworkStatus: LPNETWORKSTATUS) -> DWORD for npp |h| {
                query_status_into(h, out!(pNetworkStatus))
            }
        }

        ffi_fn! {
            /// As esp_get_control_state: `*IsRunnning` TRUE while a capture is started (also paused),
            /// `*IsPaused` TRUE while paused.
            #[must_use]
            fn $cs(hNpp: HNPP, IsRunnning: *mut BOOL, IsPaused: *mut BOOL) -> DWORD for npp |h| {
                control_state_into(h, $family, out!(IsRunnning), out!(IsPaused))
            }
        }

        ffi_fn! {
            /// Copies the conversation statistics of the running capture: `*nStations` stations into
            /// `lpStationStats` and `*nSessions` sessions into `lpSessionStats` (each array must have
            /// room for MAX_STATIONS / MAX_SESSIONS = 100 entries; chains end with 0xFFFFFFFF). A
            /// station is a MAC address seen; a session is one-way traffic from one station to a
            /// unicast partner. `fClearAfterReading` empties the tables after the copy. Only while
            /// running: `NMERR_NOT_CAPTURING` (no capture running), `NMERR_CAPTURE_PAUSED` (paused);
            /// `NMERR_NO_CONVERSATION_STATS` when the configuration set
            /// `NPP:Config:NoConversationStats` TRUE.
            #[must_use]
            fn $cv(
                hNpp: HNPP,
                nSessions: *mut DWORD,
                lpSessionStats: LPSESSIONSTATS,
                nStations: *mut DWORD,
                lpStationStats: LPSTATIONSTATS,
                fClearAfterReading: BOOL,
            ) -> DWORD for npp |h| {
                let (ns, nt) = (out!(nSessions), out!(nStations));
                // SAFETY: the arrays are this call's arguments: by the shared contract NULL or room
                // for MAX_SESSIONS / MAX_STATIONS entries.
                unsafe { conversations_into(h, $family, (ns, lpSessionStats), (nt, lpStationStats), fClearAfterReading) }
            }
        }

        ffi_fn! {
            /// As esp_query_stations (works whichever family connected the NPP, or none).
            #[must_use]
            fn $qst(hNpp: HNPP, lpQueryTable: LPQUERYTABLE) -> DWORD for npp |h| {
                // SAFETY: lpQueryTable is this call's argument: by the shared contract NULL or the
                // caller's QUERYTABLE with room for its nStationQueries entries.
                unsafe { query_stations_into(h, lpQueryTable) }
            }
        }
    };
}

/// Defines an exported C variable: `#[no_mangle] pub static` (cbindgen declares it `extern const`).
macro_rules! ffi_static {
    ($(#[$m:meta])* $name:ident: $ty:ty = $value:expr;) => {
        $(#[$m])*
        #[no_mangle]
        pub static $name: $ty = $value;
    };
}

/// Defines a COM-style vtable (src/ffi/com.rs): the `#[repr(C)]` struct `$vtbl` with IUnknown's
/// three slots then the listed methods in order, and `$instance`, its one value for the object's
/// view number `$view` (behind the Itanium C++ ABI's vtable prefix). Every slot is an `extern "C"` function whose first argument is the view
/// (`This`); a method's body sees the object's NPP handle as `$h` and calls the flat function of
/// its family, whose DWORD answer goes back as the HRESULT. A NULL `This` answers
/// `NMERR_INVALID_PARAMETER` (0 from AddRef / Release); a panic never crosses into C.
macro_rules! com_vtable {
    ($vtbl:ident, $instance:ident, view $view:literal, |$h:ident| { $( fn $m:ident($($arg:ident: $ty:ty),*) => $body:expr; )* }) => {
        #[repr(C)]
        pub(crate) struct $vtbl {
            QueryInterface: unsafe extern "C" fn(*mut View, REFIID, *mut *mut c_void) -> HRESULT,
            AddRef: unsafe extern "C" fn(*mut View) -> ULONG,
            Release: unsafe extern "C" fn(*mut View) -> ULONG,
            $($m: unsafe extern "C" fn(*mut View $(, $ty)*) -> HRESULT,)*
        }

        pub(crate) static $instance: ItaniumVtable<$vtbl> = ItaniumVtable { offset_to_top: 0, type_info: 0, slots: $vtbl {
            QueryInterface: {
                unsafe extern "C" fn query_interface(this: *mut View, riid: REFIID, ppv: *mut *mut c_void) -> HRESULT {
                    // SAFETY: `this` is the caller's view of one of our objects (or NULL, checked),
                    // `riid` and `ppv` its arguments under the shared contract.
                    unsafe { com_query_interface(this, $view, riid, ppv) }
                }
                query_interface
            },
            AddRef: {
                unsafe extern "C" fn add_ref(this: *mut View) -> ULONG {
                    // SAFETY: `this` is the caller's view of one of our objects, or NULL (checked).
                    unsafe { com_add_ref(this, $view) }
                }
                add_ref
            },
            Release: {
                unsafe extern "C" fn release(this: *mut View) -> ULONG {
                    // SAFETY: `this` is the caller's view of one of our objects, or NULL (checked).
                    unsafe { com_release(this, $view) }
                }
                release
            },
            $($m: {
                unsafe extern "C" fn $m(this: *mut View $(, $arg: $ty)*) -> HRESULT {
                    // SAFETY: `this` is the caller's view of one of our objects, or NULL (checked).
                    let npp = unsafe { com_npp(this, $view) };
                    com_call(npp, |$h| {
                        // SAFETY: the method's arguments are the caller's, under the shared
                        // contract, and go unchanged to the flat function of the family.
                        unsafe { $body }
                    })
                }
                $m
            },)*
        } };
    };
}
