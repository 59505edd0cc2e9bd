//! Capture sources. For now: the list of capture interfaces that libpcap finds.

pub mod devices;
pub mod engine;
pub mod source;
