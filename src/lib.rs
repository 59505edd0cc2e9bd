//! ndisnpp — the Network Monitor 2 network packet provider (NPP) for Linux, as a C library.
//!
//! Layers (docs/architecture.md, Layers): `ffi` is the C boundary only; `npp` holds the NPP objects and the NIC
//! finder; `capture` talks to libpcap; `stations` is QueryStations and its responder (used by
//! `npp` and `ffi`, using only `blob`); `blob` is the BLOB model. `nmerr`, `types` and `handles`
//! are used by all.
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod blob;
pub mod capfile;
pub mod capture;
pub mod ffi;
pub mod filter;
pub mod handles;
pub mod nmerr;
pub mod npp;
pub mod remote;
pub mod stations;
pub mod types;

/// A unit test's prerequisite (root, a network namespace ...) is missing: the test fails, unless
/// NDISNPP_ALLOW_SKIP=1 says skipping is wanted (then it says SKIPPED and passes).
#[cfg(test)]
pub(crate) fn prerequisite_missing(test: &str, why: &str) {
    if std::env::var("NDISNPP_ALLOW_SKIP").is_ok_and(|v| v == "1") {
        println!("SKIPPED {test}: {why}");
    } else {
        panic!("{test}: {why}; set NDISNPP_ALLOW_SKIP=1 to skip the tests whose prerequisites are missing");
    }
}
