//! The replay source on a pcapng file (arbitrary bytes after the section header's block type):
//! libpcap reads it for the library; what the replay delivers must be what libpcap delivers, and
//! the frames then take the capture thread's per-frame path (see `files::capture_path`).
#![no_main]

mod files;

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    if !data.starts_with(&[0x0A, 0x0D, 0x0D, 0x0A]) {
        return Corpus::Reject;
    }
    files::replay_and_compare(data, "replay_pcapng");
    Corpus::Keep
});
