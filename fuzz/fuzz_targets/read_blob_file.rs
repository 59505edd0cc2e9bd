//! ReadBlobFromFile on a file holding arbitrary bytes; it must agree with UnMarshalBlob on the
//! same bytes, and on success the BLOB gets the same checks as in `unmarshal_blob`.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use ndisnpp::ffi::blob::ReadBlobFromFile;
use ndisnpp::types::HBLOB;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One file per fuzzing process, overwritten by each run.
fn input_path() -> &'static (PathBuf, CString) {
    static PATH: OnceLock<(PathBuf, CString)> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!(
            "ndisnpp-fuzz-read_blob_file-{}.blob",
            std::process::id()
        ));
        let c = CString::new(p.as_os_str().as_bytes()).expect("temp path without NUL");
        (p, c)
    })
}

fuzz_target!(|data: &[u8]| {
    let (path, cpath) = input_path();
    std::fs::write(path, data).expect("write the fuzz input file");
    // SAFETY: every pointer passed below is valid for the call (C contract of the functions).
    unsafe {
        let mut h: HBLOB = std::ptr::null();
        let rc = ReadBlobFromFile(&mut h, cpath.as_ptr());
        assert_ne!(
            rc,
            ndisnpp::nmerr::NMERR_INTERNAL_EXCEPTION.code(),
            "ReadBlobFromFile panicked"
        );

        // "content errors as UnMarshalBlob": both read the same text form.
        let (urc, uh) = common::unmarshal(data);
        assert_eq!(
            rc, urc,
            "ReadBlobFromFile and UnMarshalBlob disagree on the same bytes"
        );

        if rc == common::SUCCESS {
            assert!(!h.is_null());
            let uh = uh.unwrap();
            assert!(
                common::marshal(h) == common::marshal(uh),
                "ReadBlobFromFile and UnMarshalBlob read different BLOBs"
            );
            common::destroy_blob(uh);
            common::check_blob(h);
            common::destroy_blob(h);
        } else {
            assert!(h.is_null(), "ReadBlobFromFile wrote the handle on failure");
        }
    }
    common::assert_no_leak();
});
