//! The replay source on a classic pcap file (arbitrary bytes after one of the four magic numbers):
//! what the library's own record reader (ClassicPcap) delivers must be what libpcap delivers from
//! the same file, frame for frame, and end the same way; then the frames take the capture
//! thread's per-frame path (see `files::capture_path`).
#![no_main]

mod files;

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    if data.len() < 4 || ndisnpp::capture::source::classic_pcap_magic([data[0], data[1], data[2], data[3]]).is_none() {
        return Corpus::Reject;
    }
    files::replay_and_compare(data, "replay_pcap");
    Corpus::Keep
});
