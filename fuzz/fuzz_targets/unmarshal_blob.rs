//! UnMarshalBlob on arbitrary bytes; on success, the round trip and the read-only API on the BLOB.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // SAFETY: every pointer passed below is valid for the call (C contract of the functions).
    unsafe {
        let (rc, h) = common::unmarshal(data);
        assert_ne!(
            rc,
            ndisnpp::nmerr::NMERR_INTERNAL_EXCEPTION.code(),
            "UnMarshalBlob panicked"
        );
        if let Some(h) = h {
            common::check_blob(h);
            common::destroy_blob(h);
        }
    }
    common::assert_no_leak();
});
