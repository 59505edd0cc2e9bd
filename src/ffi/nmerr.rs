//! `nmerr_text`, `NMERR_TO_HRESULT`, `HRESULT_TO_NMERR`, `ndisnpp_version`.

use crate::nmerr::{self, NmErr};
use crate::types::{DWORD, HRESULT};
use core::ffi::c_char;

/// A short English description of any NMERR number (a static string; never NULL, never freed).
/// Numbers that Network Monitor does not define answer "Unknown NMERR code.".
#[no_mangle]
pub extern "C" fn nmerr_text(code: DWORD) -> *const c_char {
    let t = NmErr::from_code(code).map_or(nmerr::UNKNOWN_TEXT_NUL, |e| e.text_nul());
    t.as_ptr().cast()
}

/// 0 stays 0; any other code becomes `0x80040000 | (code & 0xFFFF)` (SEVERITY_ERROR, FACILITY_ITF).
#[no_mangle]
pub extern "C" fn NMERR_TO_HRESULT(nmerror: DWORD) -> HRESULT {
    nmerr::nmerr_to_hresult(nmerror)
}

/// The NMERR number inside an HRESULT: its low 16 bits.
#[no_mangle]
pub extern "C" fn HRESULT_TO_NMERR(hr: HRESULT) -> DWORD {
    nmerr::hresult_to_nmerr(hr)
}

/// The library version, e.g. "0.1.0" (a static string).
#[no_mangle]
pub extern "C" fn ndisnpp_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
