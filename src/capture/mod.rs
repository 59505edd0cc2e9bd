//! Capture: the interfaces libpcap finds, live sources (the kernel ring, libpcap) and replay sources, the capture thread (engine),
//! its stages (conversations, triggers) and IRTC's double buffer (rtc).

pub mod conversation;
pub mod counters;
pub mod devices;
pub mod engine;
pub mod fds;
pub mod ring;
pub mod rtc;
pub mod source;
pub mod trigger;
