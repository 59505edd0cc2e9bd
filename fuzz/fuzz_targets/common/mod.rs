//! Checks shared by the fuzz targets: everything done with a BLOB that was read successfully.
//!
//! All calls go through the exported C functions (`ndisnpp::ffi::blob`), as a C caller would make
//! them. Every BLOB created here is destroyed here; the caller destroys the BLOB it passes in.

use core::ffi::{c_char, CStr};
use core::mem::MaybeUninit;
use core::ptr;
use ndisnpp::ffi::blob::*;
use ndisnpp::nmerr::NmErr::*;
use ndisnpp::types::*;

pub const SUCCESS: u32 = NMERR_SUCCESS.code();

/// Upper bound on GetStringsFromBlob calls in one walk, whatever the BLOB holds.
const MAX_WALK: usize = 1 << 16;

/// Creates a BLOB (asserts success).
pub unsafe fn create_blob() -> HBLOB {
    let mut h: HBLOB = ptr::null();
    assert_eq!(CreateBlob(&mut h), SUCCESS, "CreateBlob");
    assert!(!h.is_null());
    h
}

/// Destroys a BLOB (asserts success).
pub unsafe fn destroy_blob(h: HBLOB) {
    assert_eq!(DestroyBlob(h), SUCCESS, "DestroyBlob");
}

/// MarshalBlob, copying the bytes out (they belong to the BLOB).
pub unsafe fn marshal(h: HBLOB) -> Vec<u8> {
    let mut size: DWORD = 0;
    let mut bytes: *mut BYTE = ptr::null_mut();
    assert_eq!(
        MarshalBlob(h, &mut size, &mut bytes),
        SUCCESS,
        "MarshalBlob of a live BLOB"
    );
    assert!(!bytes.is_null());
    core::slice::from_raw_parts(bytes, size as usize).to_vec()
}

/// UnMarshalBlob of `data` (through a private copy, since the C signature takes `BYTE *`).
/// Returns the NMERR code and, on success, the new BLOB.
pub unsafe fn unmarshal(data: &[u8]) -> (u32, Option<HBLOB>) {
    let mut copy = data.to_vec();
    let p = if copy.is_empty() {
        ptr::null_mut()
    } else {
        copy.as_mut_ptr()
    };
    let mut h: HBLOB = ptr::null();
    let rc = UnMarshalBlob(&mut h, copy.len() as DWORD, p);
    if rc == SUCCESS {
        assert!(!h.is_null(), "UnMarshalBlob succeeded with a NULL handle");
        (rc, Some(h))
    } else {
        assert!(h.is_null(), "UnMarshalBlob wrote the handle on failure");
        (rc, None)
    }
}

/// The text form's escaping (src/blob/text.rs): `\`, LF, CR everywhere, `:` and `=` in names.
fn escape(out: &mut Vec<u8>, bytes: &[u8], name: bool) {
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' if name => out.extend_from_slice(b"\\:"),
            b'=' if name => out.extend_from_slice(b"\\="),
            _ => out.push(b),
        }
    }
}

unsafe fn cstr<'a>(p: *const c_char, what: &str) -> &'a [u8] {
    assert!(!p.is_null(), "GetStringsFromBlob returned a NULL {what}");
    CStr::from_ptr(p).to_bytes()
}

/// Walks every entry with GetStringsFromBlob (bounded) and checks that the walk yields the
/// marshalled entries in order (all of them, or a prefix when the restart key runs out of range).
unsafe fn walk_entries(h: HBLOB, marshalled: &[u8]) {
    // Lines after the version line, one per entry (serialize writes no comments or blank lines).
    let body = &marshalled[marshalled
        .iter()
        .position(|&b| b == b'\n')
        .expect("version line")
        + 1..];
    let expected: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();

    let mut key: DWORD = 0;
    let mut walked = 0usize;
    for _ in 0..MAX_WALK.min(expected.len() + 2) {
        let (mut o, mut c, mut t, mut v): (
            *const c_char,
            *const c_char,
            *const c_char,
            *const c_char,
        ) = (ptr::null(), ptr::null(), ptr::null(), ptr::null());
        let rc = GetStringsFromBlob(
            h,
            ptr::null(),
            ptr::null(),
            ptr::null(),
            &mut o,
            &mut c,
            &mut t,
            &mut v,
            &mut key,
        );
        if rc == SUCCESS {
            let mut line = Vec::new();
            let owner = cstr(o, "owner");
            // A line starting with '#' is a comment: an owner name starting with it is written `\#`.
            if owner.first() == Some(&b'#') {
                line.push(b'\\');
            }
            escape(&mut line, owner, true);
            line.push(b':');
            escape(&mut line, cstr(c, "category"), true);
            line.push(b':');
            escape(&mut line, cstr(t, "tag"), true);
            line.push(b'=');
            escape(&mut line, cstr(v, "value"), false);
            assert!(
                walked < expected.len(),
                "GetStringsFromBlob returned more entries than MarshalBlob wrote"
            );
            assert_eq!(
                line.as_slice(),
                expected[walked],
                "GetStringsFromBlob entry {walked} differs from the marshalled line"
            );
            walked += 1;
        } else if rc == NMERR_BLOB_ENTRY_DOES_NOT_EXIST.code() {
            assert_eq!(key, 0, "restart key not reset at the end of the walk");
            assert_eq!(
                walked,
                expected.len(),
                "GetStringsFromBlob ended before the last entry"
            );
            return;
        } else if rc == NMERR_OUT_OF_RANGE.code() {
            // Documented limit of the restart key (64 owners, 1024 categories, 16384 tags).
            return;
        } else {
            panic!("GetStringsFromBlob answered {rc}");
        }
    }
    panic!(
        "GetStringsFromBlob did not end after {} entries",
        expected.len()
    );
}

/// Calls every filter getter with an error BLOB. Their result codes are not checked (a malformed
/// value is a documented error), only that they do not crash or panic, and that what they return
/// on success respects the structures' documented bounds.
unsafe fn filter_getters(h: HBLOB) {
    let err = create_blob();

    let mut e: EXPRESSION = MaybeUninit::zeroed().assume_init();
    let rc = GetNPPPatternFilterFromBlob(h, &mut e, err);
    assert_ne!(
        rc,
        NMERR_INTERNAL_EXCEPTION.code(),
        "GetNPPPatternFilterFromBlob panicked"
    );
    if rc == SUCCESS {
        assert!(e.nAndExps as usize <= e.AndExp.len());
        for a in &e.AndExp[..e.nAndExps as usize] {
            assert!(a.nPatternMatches as usize <= a.PatternMatch.len());
            for p in &a.PatternMatch[..a.nPatternMatches as usize] {
                assert!(p.Length as usize <= p.PatternToMatch.len());
            }
        }
    }

    let mut t = ADDRESSTABLE2::default();
    let rc = GetNPPAddress2FilterFromBlob(h, &mut t, err);
    assert_ne!(
        rc,
        NMERR_INTERNAL_EXCEPTION.code(),
        "GetNPPAddress2FilterFromBlob panicked"
    );
    if rc == SUCCESS {
        assert!(t.nAddressPairs as usize <= t.AddressPair.len());
        assert!(t.nNonMacAddressPairs <= t.nAddressPairs);
    }

    let mut tr: TRIGGER = MaybeUninit::zeroed().assume_init();
    let rc = GetNPPTriggerFromBlob(h, &mut tr, err);
    assert_ne!(
        rc,
        NMERR_INTERNAL_EXCEPTION.code(),
        "GetNPPTriggerFromBlob panicked"
    );
    if rc == SUCCESS {
        assert!(
            tr.TriggerPatternMatch.Length as usize <= tr.TriggerPatternMatch.PatternToMatch.len()
        );
        assert!(
            tr.TriggerCommandLine.contains(&0),
            "trigger command line not NUL-terminated"
        );
    }

    let (mut ns, mut ne): (WORD, WORD) = (0, 0);
    let (mut sp, mut ep): (LPBYTE, LPWORD) = (ptr::null_mut(), ptr::null_mut());
    let mut flags: DWORD = 0;
    let rc = GetNPPEtypeSapFilter(h, &mut ns, &mut ne, &mut sp, &mut ep, &mut flags, err);
    assert_ne!(
        rc,
        NMERR_INTERNAL_EXCEPTION.code(),
        "GetNPPEtypeSapFilter panicked"
    );
    if rc == SUCCESS {
        assert_eq!(sp.is_null(), ns == 0, "SAP table pointer vs count");
        assert_eq!(ep.is_null(), ne == 0, "Etype table pointer vs count");
        // Touch the tables (owned by the BLOB) so a bad pointer or length shows up.
        if ns > 0 {
            let _ = core::hint::black_box(
                core::slice::from_raw_parts(sp, ns as usize)
                    .iter()
                    .map(|b| *b as u32)
                    .sum::<u32>(),
            );
        }
        if ne > 0 {
            let _ = core::hint::black_box(
                core::slice::from_raw_parts(ep, ne as usize)
                    .iter()
                    .map(|w| *w as u32)
                    .sum::<u32>(),
            );
        }
    }

    destroy_blob(err);
}

/// Everything done with a BLOB read successfully (the caller still owns and destroys `h`):
/// marshal, unmarshal the marshalled bytes, check they re-marshal identically, walk the entries,
/// call the filter getters.
pub unsafe fn check_blob(h: HBLOB) {
    let first = marshal(h);

    let (rc, h2) = unmarshal(&first);
    assert_eq!(
        rc,
        SUCCESS,
        "UnMarshalBlob rejected MarshalBlob's own output {:?}",
        String::from_utf8_lossy(&first)
    );
    let h2 = h2.unwrap();
    let second = marshal(h2);
    assert!(
        first == second,
        "marshal -> unmarshal -> marshal changed the bytes:\n first: {:?}\nsecond: {:?}",
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second)
    );

    walk_entries(h, &first);
    filter_getters(h);
    // The getters only read: the BLOB must marshal as before.
    assert!(marshal(h) == first, "a filter getter changed the BLOB");

    destroy_blob(h2);
}

/// No BLOB may outlive one fuzz run (the fuzzer runs inputs one at a time on one thread).
pub fn assert_no_leak() {
    assert_eq!(ndisnpp::blob::store::live_count(), 0, "a BLOB was leaked");
}
