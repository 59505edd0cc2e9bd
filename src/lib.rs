//! ndisnpp — the Network Monitor 2 network packet provider (NPP) for Linux, as a C library.
//!
//! Layers (design.md §1): `ffi` is the C boundary only; `npp` holds the NPP objects and the NIC
//! finder; `capture` talks to libpcap; `blob` is the BLOB model. `nmerr`, `types` and `handles`
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
pub mod types;
