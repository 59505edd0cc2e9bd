//! Capture sources. For now: the list of capture interfaces that libpcap finds.

pub mod conversation;
pub mod devices;
pub mod engine;
pub mod source;
pub mod trigger;
