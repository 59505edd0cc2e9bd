//! QueryStations (SDK b.2, f.4, f.14): which stations on the local link run this library and
//! are capturing.
//!
//! # Transport and protocol (ndisnpp's own; Network Monitor's wire protocol is undocumented)
//!
//! * Raw Ethernet frames of EtherType 0x88B5 (IEEE 802 "local experimental"), sent and received
//!   with `AF_PACKET`/`SOCK_DGRAM` sockets bound to the NPP's interface. Nothing is routed, no IP
//!   is involved, and Ethernet broadcast never leaves the link. Sending and receiving need
//!   CAP_NET_RAW. Only Ethernet-like interfaces (ARPHRD_ETHER, ARPHRD_LOOPBACK) take part.
//! * Every message starts with a BONEPACKET (f.14, 12 bytes, little-endian fields):
//!   `Signature` = BONE_PACKET_SIGNATURE ('RTSS'), `Command`, `Flags` = 0, `Reserved` = the query
//!   id, `Length` = the number of bytes after the header. Bytes beyond `12 + Length` (Ethernet
//!   padding) are ignored.
//! * Request: `Command` = BONE_COMMAND_STATION_QUERY_REQUEST, `Reserved` = a random 32-bit id,
//!   `Length` = 0, to the broadcast address ff:ff:ff:ff:ff:ff.
//! * Response: `Command` = BONE_COMMAND_STATION_QUERY_RESPONSE, `Reserved` = the request's id,
//!   `Length` = 192, then one STATIONQUERY (f.4, packed, little-endian), unicast to the source
//!   address of the request. A response with `Length` 96..191 is read as a pre-2.0
//!   OLDSTATIONQUERY (the wide names stay zero).
//! * The querier sends one request and collects responses with its id until the configured time
//!   (`NPP:Config:QueryTimeout`, ms, default 1000, at most 10000) has passed or the caller's
//!   table is full. Entries with the same AdapterAddress and MachineName count once.
//! * The responder is one library thread per process, started when the first capture that
//!   answers starts (`NPP:Config:AnswerStationQueries`, default TRUE; a live interface only) and
//!   ending when no such capture is left. For each capture it answers each query id once with
//!   Flags = STATIONQUERY_FLAGS_CAPTURING (also while paused), version 2.1, the host name and
//!   the effective user's name (truncated to 15 / 31 bytes or UTF-16 units, NUL-padded),
//!   AdapterAddress = the interface's address when the capture started, LicenseNumber 0. It never
//!   answers frames the host sent (PACKET_OUTGOING) nor its own process's queries, and answers
//!   at most 100 requests per second.
//! * This process's own answering captures on the queried interface (same network namespace)
//!   are listed without going through the wire. Other processes on the same host are not heard
//!   on a real NIC (the kernel does not loop a host's own broadcast back to protocol sockets);
//!   on `lo` they are.
//!
//! # The parts
//!
//! `wire` encodes and decodes the messages; `socket` is the AF_PACKET socket (with its kernel
//! filter), sending, receiving and what the kernel says about an interface; `responder` is the
//! process-wide thread that answers and the `Registration` a capture holds while it answers;
//! `query` sends a request and collects the answers. This module holds what they share: the
//! settings and what this station answers with. It uses `blob`, `types` and `nmerr` only; `npp`
//! registers its captures here, and `ffi` marshals a query's answers into the caller's table.

mod query;
mod responder;
mod socket;
pub mod wire;

pub use query::{query, query_for};
pub use responder::{answers_sent, register, register_for, Registration};

use crate::blob::names::*;
use crate::blob::{values, Blob};
use crate::types::*;
use std::time::Duration;

/// ndisnpp: the EtherType of station-query frames (IEEE 802 local experimental EtherType 1).
pub(crate) const NDISNPP_STATION_QUERY_ETHERTYPE: u32 = 0x88B5;
/// ndisnpp: `NPP:Config:QueryTimeout` when absent, 0 or malformed (milliseconds).
pub(crate) const NDISNPP_QUERY_TIMEOUT_DEFAULT: u32 = 1000;
/// ndisnpp: the largest `NPP:Config:QueryTimeout` (milliseconds); Connect and Configure refuse
/// larger values (NMERR_BLOB_CONVERSION_ERROR), a QUERYTABLE BLOB's are cut to it.
pub(crate) const NDISNPP_QUERY_TIMEOUT_MAX: u32 = 10000;

// ---------------------------------------------------------------------------------------------
// Configuration

/// True when the BLOB names a remote NIC (`NPP:Remote:RemoteComputer`): its link is on another
/// host, so QueryStations neither queries nor answers for it here.
pub fn is_remote(b: &Blob) -> bool {
    b.get_str(OWNER_NPP.as_bytes(), CATEGORY_REMOTE.as_bytes(), TAG_REMOTECOMPUTER.as_bytes()).is_ok_and(|c| !c.is_empty())
}

/// The station-query settings of a (merged) target BLOB: `NPP:Config:QueryTimeout` (DWORD ms;
/// absent, 0 or malformed = 1000; cut to 10000) and `NPP:Config:AnswerStationQueries` (BOOL;
/// absent or malformed = TRUE).
pub fn settings(b: &Blob) -> (Duration, bool) {
    let get = |tag: &str| b.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), tag.as_bytes()).ok();
    let ms = get(TAG_QUERY_TIMEOUT)
        .and_then(|v| values::parse_dword(&v).ok())
        .filter(|v| *v != 0)
        .unwrap_or(NDISNPP_QUERY_TIMEOUT_DEFAULT)
        .min(NDISNPP_QUERY_TIMEOUT_MAX);
    let answer = get(TAG_ANSWER_STATION_QUERIES).and_then(|v| values::parse_bool(&v).ok()).unwrap_or(true);
    (Duration::from_millis(ms as u64), answer)
}

// ---------------------------------------------------------------------------------------------
// What this station answers with

/// This machine's host name (what a station answers with, and the NIC BLOBs' `NodeName`:
/// `npp::finder` uses it from here).
pub fn local_host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; gethostname NUL-terminates or truncates.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// `s` in N bytes: at most N-1 bytes (never splitting a character), NUL-padded.
fn fixed_bytes<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let mut end = s.len().min(N - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out[..end].copy_from_slice(&s.as_bytes()[..end]);
    out
}

/// `s` in N UTF-16 units: at most N-1 units (never splitting a surrogate pair), NUL-padded.
fn fixed_wide<const N: usize>(s: &str) -> [u16; N] {
    let mut out = [0u16; N];
    let mut n = 0;
    for c in s.chars() {
        let mut buf = [0u16; 2];
        let units = c.encode_utf16(&mut buf);
        if n + units.len() > N - 1 {
            break;
        }
        out[n..n + units.len()].copy_from_slice(units);
        n += units.len();
    }
    out
}

/// The effective user's login name (getpwuid_r), else the numeric uid.
fn user_name() -> String {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    // SAFETY: passwd is plain data (integers and pointers); all-zero is a valid value.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let mut buf = vec![0u8; 4096];
    // SAFETY: pw, buf and result are valid for the call; buf's length is passed.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut result) };
    if rc == 0 && !result.is_null() && !pw.pw_name.is_null() {
        // SAFETY: pw_name points to a NUL-terminated string inside buf.
        return unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }.to_string_lossy().into_owned();
    }
    uid.to_string()
}

/// What this process answers for a capture on an interface with address `mac`.
pub fn local_station(mac: [u8; 6]) -> STATIONQUERY {
    let host = local_host_name();
    let user = user_name();
    let mut sq = wire::empty_station();
    sq.Flags = STATIONQUERY_FLAGS_CAPTURING;
    sq.BCDVerMinor = STATIONQUERY_VERSION_MINOR as u8;
    sq.BCDVerMajor = STATIONQUERY_VERSION_MAJOR as u8;
    sq.MachineName = fixed_bytes::<16>(&host);
    sq.UserName = fixed_bytes::<32>(&user);
    sq.AdapterAddress = mac;
    sq.WMachineName = fixed_wide::<16>(&host);
    sq.WUserName = fixed_wide::<32>(&user);
    sq
}

/// Runs `f` on a thread of its own in a private network namespace with `lo` up; false when
/// that is not possible (not root).
#[cfg(test)]
fn in_private_netns(f: impl FnOnce() + Send + 'static) -> bool {
    std::thread::spawn(move || {
        // SAFETY: unshare affects only this thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return false;
        }
        // SAFETY: plain socket/ioctl calls with a valid ifreq.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            let mut ifr: libc::ifreq = std::mem::zeroed();
            for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo".iter()) {
                *d = *s as libc::c_char;
            }
            ifr.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16;
            let ok = libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &mut ifr) == 0;
            libc::close(fd);
            if !ok {
                return false;
            }
        }
        f();
        true
    })
    .join()
    .expect("no panic in the namespace thread")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_truncated_with_a_nul() {
        let b = fixed_bytes::<16>("a-very-long-host-name");
        assert_eq!(&b[..15], b"a-very-long-hos");
        assert_eq!(b[15], 0);
        // Never half a character.
        let b = fixed_bytes::<4>("abé");
        assert_eq!(&b, b"ab\0\0");
        let w = fixed_wide::<4>("a\u{1F600}b");
        assert_eq!(w, [b'a' as u16, 0xD83D, 0xDE00, 0]);
        let w = fixed_wide::<3>("a\u{1F600}");
        assert_eq!(w, [b'a' as u16, 0, 0]);
    }

    #[test]
    fn local_station_fields() {
        let sq = local_station([1, 2, 3, 4, 5, 6]);
        let flags = sq.Flags;
        assert_eq!(flags, STATIONQUERY_FLAGS_CAPTURING);
        assert_eq!((sq.BCDVerMajor, sq.BCDVerMinor), (2, 1));
        assert_eq!(sq.AdapterAddress, [1, 2, 3, 4, 5, 6]);
        let host = local_host_name();
        assert_eq!(sq.MachineName, fixed_bytes::<16>(&host));
        let wm = sq.WMachineName;
        assert_eq!(wm, fixed_wide::<16>(&host));
        assert!(sq.UserName[0] != 0);
    }

    #[test]
    fn settings_defaults_and_limits() {
        let mut b = Blob::new();
        assert_eq!(settings(&b), (Duration::from_millis(1000), true));
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, "250").unwrap();
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ANSWER_STATION_QUERIES, "FALSE").unwrap();
        assert_eq!(settings(&b), (Duration::from_millis(250), false));
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, "99999").unwrap();
        assert_eq!(settings(&b).0, Duration::from_millis(10000));
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, "0").unwrap();
        assert_eq!(settings(&b).0, Duration::from_millis(1000));
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_QUERY_TIMEOUT, "soon").unwrap();
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ANSWER_STATION_QUERIES, "perhaps").unwrap();
        assert_eq!(settings(&b), (Duration::from_millis(1000), true));
    }
}
