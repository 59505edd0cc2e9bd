//! `ndisnpp_repair_capture` on arbitrary bytes as a capture file cut off by a crash (seeds:
//! Network Monitor 2 files without their frame table, cut pcap and pcapng files). No panic; a
//! second repair of the result succeeds with the same frame count and changes no byte; a repaired
//! Network Monitor 2 file has a header and frame table that agree with its records; a repaired pcap
//! file that libpcap opens replays exactly the frames counted, without damage, and a pcapng one
//! no more frames than counted.
#![no_main]

mod files;

use libfuzzer_sys::fuzz_target;
use ndisnpp::ffi::capfile::ndisnpp_repair_capture;
use ndisnpp::nmerr::NmErr::*;
use ndisnpp::types::DWORD;

fuzz_target!(|data: &[u8]| {
    let (path, cpath) = files::scratch("repair_capture");
    std::fs::write(&path, data).expect("write the fuzz input file");
    let mut frames: DWORD = 0xDEAD_BEEF;
    // SAFETY: a NUL-terminated path and a writable DWORD, valid for the call.
    let rc = unsafe { ndisnpp_repair_capture(cpath.as_ptr(), &mut frames) };
    assert_ne!(rc, NMERR_INTERNAL_EXCEPTION.code(), "ndisnpp_repair_capture panicked");
    if rc != NMERR_SUCCESS.code() {
        // Its format, or damage in the middle that no readable record follows (left as it is).
        assert!(rc == NMERR_INVALID_FILE_FORMAT.code() || rc == NMERR_INVALID_DATA.code(), "a file that can be written: refused with {rc}");
        assert!(std::fs::read(&path).unwrap() == data, "a refused file was changed");
        return;
    }
    let repaired = std::fs::read(&path).unwrap();
    // Only a Network Monitor 2 file grows: by its frame table, at most.
    assert!(repaired.len() as u64 <= data.len() as u64 + 4 * u64::from(frames), "repair grew the file by more than a frame table");

    let mut again: DWORD = 0xDEAD_BEEF;
    // SAFETY: as above.
    let rc = unsafe { ndisnpp_repair_capture(cpath.as_ptr(), &mut again) };
    assert_eq!(rc, NMERR_SUCCESS.code(), "a second repair failed");
    assert_eq!(again, frames, "a second repair counted other frames");
    assert!(std::fs::read(&path).unwrap() == repaired, "a second repair changed the file");

    match &repaired[..4] {
        b"GMBU" => files::check_netmon2(&repaired, frames.into()),
        [0x0A, 0x0D, 0x0D, 0x0A] => {
            if let Ok((_, d)) = files::replay(&path) {
                if d.damage.is_none() {
                    assert!(d.frames.len() as u64 <= frames.into(), "pcapng: more frames replayed than the repair counted");
                }
            }
        }
        _ => {
            if let Ok((_, d)) = files::replay(&path) {
                assert_eq!(d.damage, None, "pcap: the repaired file is still damaged");
                assert_eq!(d.frames.len() as u64, u64::from(frames), "pcap: frames replayed");
            }
        }
    }
});
