//! The replay source on a classic pcap file (arbitrary bytes after one of the four magic numbers):
//! what the library's own record reader (ClassicPcap) delivers must be what libpcap delivers from
//! the same file, frame for frame, and end the same way; then the frames take the capture
//! thread's per-frame path (see `files::capture_path`).
#![no_main]

mod files;

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    let classic = [[0xD4, 0xC3, 0xB2, 0xA1], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0xA1, 0xB2, 0x3C, 0x4D]];
    if data.len() < 4 || !classic.iter().any(|m| data[..4] == m[..]) {
        return Corpus::Reject;
    }
    files::replay_and_compare(data, "replay_pcap");
    Corpus::Keep
});
