//! `nmerr_text`, `nmerr_name`, `NMERR_TO_HRESULT`, `HRESULT_TO_NMERR`, `ndisnpp_version`.

use crate::nmerr::{self, NmErr};
use crate::types::{DWORD, HRESULT};
use core::ffi::c_char;

ffi_fn! {
    /// A short English description of any NMERR number (a static string; never NULL, never freed).
    /// Numbers that Network Monitor does not define answer "Unknown NMERR code.".
    safe fn nmerr_text(code: DWORD) -> *const c_char, panic => nmerr::UNKNOWN_TEXT_NUL.as_ptr().cast(), {
    let t = NmErr::from_code(code).map_or(nmerr::UNKNOWN_TEXT_NUL, |e| e.text_nul());
    t.as_ptr().cast()
    }
}

ffi_fn! {
    /// The name of an NMERR number as this header spells it, e.g. "NMERR_NOT_CAPTURING" (a static
    /// string; never NULL, never freed). Numbers that Network Monitor does not define answer
    /// "unknown NMERR code".
    safe fn nmerr_name(code: DWORD) -> *const c_char, panic => nmerr::UNKNOWN_NAME_NUL.as_ptr().cast(), {
    let t = NmErr::from_code(code).map_or(nmerr::UNKNOWN_NAME_NUL, |e| e.name_nul());
    t.as_ptr().cast()
    }
}

ffi_fn! {
    /// 0 stays 0; any other code becomes `0x80040000 | (code & 0xFFFF)` (SEVERITY_ERROR, FACILITY_ITF).
    safe fn NMERR_TO_HRESULT(nmerror: DWORD) -> HRESULT, panic => nmerr::nmerr_to_hresult(nmerr::NMERR_INTERNAL_EXCEPTION.code()), {
        nmerr::nmerr_to_hresult(nmerror)
    }
}

ffi_fn! {
    /// The NMERR number inside an HRESULT: its low 16 bits.
    safe fn HRESULT_TO_NMERR(hr: HRESULT) -> DWORD, panic => nmerr::NMERR_INTERNAL_EXCEPTION.code(), {
        nmerr::hresult_to_nmerr(hr)
    }
}

ffi_fn! {
    /// The library version, e.g. "0.1.0" (a static string).
    safe fn ndisnpp_version() -> *const c_char, panic => c"".as_ptr(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    }
}
