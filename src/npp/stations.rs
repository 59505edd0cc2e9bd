//! QueryStations (spec b.2, f.4, f.14): which stations on the local link run this library and
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

use crate::blob::names::*;
use crate::blob::{values, Blob};
use crate::nmerr::*;
use crate::types::*;
use parking_lot::Mutex;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// ndisnpp: the EtherType of station-query frames (IEEE 802 local experimental EtherType 1).
pub(crate) const NDISNPP_STATION_QUERY_ETHERTYPE: u32 = 0x88B5;
/// ndisnpp: `NPP:Config:QueryTimeout` when absent, 0 or malformed (milliseconds).
pub(crate) const NDISNPP_QUERY_TIMEOUT_DEFAULT: u32 = 1000;
/// ndisnpp: the largest `NPP:Config:QueryTimeout` honoured (milliseconds); larger values are cut.
pub(crate) const NDISNPP_QUERY_TIMEOUT_MAX: u32 = 10000;

const BONE_LEN: usize = 12;
const STATIONQUERY_LEN: usize = 192;
const OLD_STATIONQUERY_LEN: usize = 96;
const BROADCAST: [u8; 6] = [0xFF; 6];
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const PACKET_OTHERHOST: u8 = 3;
const PACKET_OUTGOING: u8 = 4;
/// Responses sent per second at most (process-wide).
const ANSWER_RATE: u32 = 100;
/// How long the responder sleeps in poll when nothing happens (it is woken on every change).
const IDLE_POLL_MS: i32 = 5000;

// ---------------------------------------------------------------------------------------------
// Wire format

/// A BONEPACKET header as read from / written to the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bone {
    pub command: u8,
    pub flags: u8,
    /// `Reserved`: the query id.
    pub id: u32,
    pub length: u16,
}

/// The 12 header bytes, little-endian.
pub fn encode_bone(b: &Bone) -> [u8; BONE_LEN] {
    let mut out = [0u8; BONE_LEN];
    out[0..4].copy_from_slice(&BONE_PACKET_SIGNATURE.to_le_bytes());
    out[4] = b.command;
    out[5] = b.flags;
    out[6..10].copy_from_slice(&b.id.to_le_bytes());
    out[10..12].copy_from_slice(&b.length.to_le_bytes());
    out
}

/// The header of a message, None unless it is at least 12 bytes with the 'RTSS' signature.
pub fn decode_bone(buf: &[u8]) -> Option<Bone> {
    if buf.len() < BONE_LEN || buf[0..4] != BONE_PACKET_SIGNATURE.to_le_bytes() {
        return None;
    }
    Some(Bone {
        command: buf[4],
        flags: buf[5],
        id: u32::from_le_bytes(buf[6..10].try_into().expect("4 bytes")),
        length: u16::from_le_bytes(buf[10..12].try_into().expect("2 bytes")),
    })
}

/// A request with query id `id`.
pub fn encode_request(id: u32) -> [u8; BONE_LEN] {
    encode_bone(&Bone { command: BONE_COMMAND_STATION_QUERY_REQUEST as u8, flags: 0, id, length: 0 })
}

/// The query id of a request, None for anything else.
pub fn decode_request(buf: &[u8]) -> Option<u32> {
    let b = decode_bone(buf)?;
    (b.command == BONE_COMMAND_STATION_QUERY_REQUEST as u8).then_some(b.id)
}

/// A response to query `id`: header + one STATIONQUERY.
pub fn encode_response(id: u32, sq: &STATIONQUERY) -> [u8; BONE_LEN + STATIONQUERY_LEN] {
    let mut out = [0u8; BONE_LEN + STATIONQUERY_LEN];
    let bone = Bone { command: BONE_COMMAND_STATION_QUERY_RESPONSE as u8, flags: 0, id, length: STATIONQUERY_LEN as u16 };
    out[..BONE_LEN].copy_from_slice(&encode_bone(&bone));
    out[BONE_LEN..].copy_from_slice(&station_to_bytes(sq));
    out
}

/// The STATIONQUERY of a response to query `id`; None for anything else (other id, other
/// command, too short). A `Length` of 96..191 is a pre-2.0 OLDSTATIONQUERY.
pub fn decode_response(buf: &[u8], id: u32) -> Option<STATIONQUERY> {
    let b = decode_bone(buf)?;
    if b.command != BONE_COMMAND_STATION_QUERY_RESPONSE as u8 || b.id != id {
        return None;
    }
    let len = b.length as usize;
    if len < OLD_STATIONQUERY_LEN || buf.len() < BONE_LEN + len.min(STATIONQUERY_LEN) {
        return None;
    }
    Some(station_from_bytes(&buf[BONE_LEN..BONE_LEN + len.min(STATIONQUERY_LEN)]))
}

/// An all-zero STATIONQUERY.
pub fn empty_station() -> STATIONQUERY {
    STATIONQUERY {
        Flags: 0,
        BCDVerMinor: 0,
        BCDVerMajor: 0,
        LicenseNumber: 0,
        MachineName: [0; 16],
        UserName: [0; 32],
        Reserved: [0; 32],
        AdapterAddress: [0; 6],
        WMachineName: [0; 16],
        WUserName: [0; 32],
    }
}

/// STATIONQUERY -> 192 bytes (f.4 offsets, little-endian).
fn station_to_bytes(sq: &STATIONQUERY) -> [u8; STATIONQUERY_LEN] {
    let mut out = [0u8; STATIONQUERY_LEN];
    let (flags, license) = (sq.Flags, sq.LicenseNumber);
    let (wm, wu) = (sq.WMachineName, sq.WUserName);
    out[0..4].copy_from_slice(&flags.to_le_bytes());
    out[4] = sq.BCDVerMinor;
    out[5] = sq.BCDVerMajor;
    out[6..10].copy_from_slice(&license.to_le_bytes());
    out[10..26].copy_from_slice(&sq.MachineName);
    out[26..58].copy_from_slice(&sq.UserName);
    out[58..90].copy_from_slice(&sq.Reserved);
    out[90..96].copy_from_slice(&sq.AdapterAddress);
    for (i, u) in wm.iter().enumerate() {
        out[96 + 2 * i..98 + 2 * i].copy_from_slice(&u.to_le_bytes());
    }
    for (i, u) in wu.iter().enumerate() {
        out[128 + 2 * i..130 + 2 * i].copy_from_slice(&u.to_le_bytes());
    }
    out
}

/// 96 (OLDSTATIONQUERY) or 192 bytes -> STATIONQUERY.
fn station_from_bytes(b: &[u8]) -> STATIONQUERY {
    let mut sq = empty_station();
    sq.Flags = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
    sq.BCDVerMinor = b[4];
    sq.BCDVerMajor = b[5];
    sq.LicenseNumber = u32::from_le_bytes(b[6..10].try_into().expect("4 bytes"));
    sq.MachineName.copy_from_slice(&b[10..26]);
    sq.UserName.copy_from_slice(&b[26..58]);
    sq.Reserved.copy_from_slice(&b[58..90]);
    sq.AdapterAddress.copy_from_slice(&b[90..96]);
    if b.len() >= STATIONQUERY_LEN {
        let mut wm = [0u16; 16];
        let mut wu = [0u16; 32];
        for (i, u) in wm.iter_mut().enumerate() {
            *u = u16::from_le_bytes([b[96 + 2 * i], b[97 + 2 * i]]);
        }
        for (i, u) in wu.iter_mut().enumerate() {
            *u = u16::from_le_bytes([b[128 + 2 * i], b[129 + 2 * i]]);
        }
        sq.WMachineName = wm;
        sq.WUserName = wu;
    }
    sq
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
    // SAFETY: passwd is plain data; all-zero is a valid value that getpwuid_r overwrites.
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
    let host = super::finder::local_host_name();
    let user = user_name();
    let mut sq = empty_station();
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

// ---------------------------------------------------------------------------------------------
// Configuration

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
// Sockets

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn errno_to_nmerr(e: i32) -> NmErr {
    match e {
        libc::EPERM | libc::EACCES => NMERR_ACCESS_DENIED,
        libc::ENODEV | libc::ENXIO | libc::ENETDOWN => NMERR_NETWORK_NOT_PRESENT,
        libc::ENOMEM | libc::ENOBUFS | libc::EMFILE | libc::ENFILE => NMERR_OUT_OF_MEMORY,
        libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT => NMERR_MAC_DRIVER_OPEN_FAILURE,
        _ => NMERR_TRANSMIT_ERROR,
    }
}

/// What the kernel says about an interface, in the calling thread's network namespace.
#[derive(Clone, Copy, Debug)]
struct Link {
    index: i32,
    hwtype: u16,
    mac: [u8; 6],
}

/// `NMERR_NETWORK_NOT_PRESENT` when there is no such interface.
fn link_info(name: &str) -> NmResult<Link> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
        return Err(NMERR_NETWORK_NOT_PRESENT);
    }
    // SAFETY: plain socket() call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(errno_to_nmerr(errno()));
    }
    // SAFETY: fd is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: ifreq is plain data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: ifr is a valid ifreq for SIOCGIFINDEX / SIOCGIFHWADDR.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFINDEX as _, &mut ifr) } < 0 {
        return Err(NMERR_NETWORK_NOT_PRESENT);
    }
    // SAFETY: SIOCGIFINDEX filled the ifindex member.
    let index = unsafe { ifr.ifr_ifru.ifru_ifindex };
    // SAFETY: as above.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFHWADDR as _, &mut ifr) } < 0 {
        return Err(NMERR_NETWORK_NOT_PRESENT);
    }
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member.
    let sa = unsafe { ifr.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (m, b) in mac.iter_mut().zip(sa.sa_data.iter()) {
        *m = *b as u8;
    }
    Ok(Link { index, hwtype: sa.sa_family, mac })
}

fn takes_part(l: &Link) -> bool {
    matches!(l.hwtype, ARPHRD_ETHER | ARPHRD_LOOPBACK)
}

/// The inode of the calling thread's network namespace (0 when /proc cannot tell).
fn netns_id() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/thread-self/ns/net").map(|m| m.ino()).unwrap_or(0)
}

/// The classic BPF program a station socket runs in the kernel: accept a message whose BONEPACKET
/// signature is 'RTSS' and whose command is `command`, drop everything else. Other traffic of the
/// same EtherType (a benchmark's, another protocol's) then costs one short filter run in the
/// kernel instead of a queued copy and a wake-up of the responder.
fn bone_filter(command: u8) -> [libc::sock_filter; 6] {
    // With SOCK_DGRAM, offset 0 is the first byte after the link-layer header. BPF loads words
    // in network (big-endian) order.
    let signature = u32::from_be_bytes(BONE_PACKET_SIGNATURE.to_le_bytes());
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter { code: code as u16, jt, jf, k };
    [
        op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
        op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, 0, 3, signature),
        op(libc::BPF_LD | libc::BPF_B | libc::BPF_ABS, 0, 0, 4),
        op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, 0, 1, command as u32),
        op(libc::BPF_RET | libc::BPF_K, 0, 0, 0xFFFF),
        op(libc::BPF_RET | libc::BPF_K, 0, 0, 0),
    ]
}

/// An AF_PACKET/SOCK_DGRAM socket for the station-query EtherType, bound to interface `index`,
/// non-blocking, that receives only station-query messages with command `command`. The filter is
/// attached before the socket is bound to the EtherType, so no other frame is ever queued.
fn packet_socket(index: i32, command: u8) -> NmResult<OwnedFd> {
    // Protocol 0: the socket receives nothing until bind() names the EtherType.
    // SAFETY: plain socket() call.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd < 0 {
        return Err(errno_to_nmerr(errno()));
    }
    // SAFETY: fd is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut program = bone_filter(command);
    let fprog = libc::sock_fprog { len: program.len() as u16, filter: program.as_mut_ptr() };
    // SAFETY: fprog points at `program`, alive for the call; the kernel copies it.
    // Best effort: without the filter every frame of the EtherType arrives, and the user-space
    // decode (decode_request / decode_response) still drops what is not a station query.
    let _ = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    let sll = sockaddr_ll(index, None);
    // SAFETY: sll is a valid sockaddr_ll of the given length.
    let rc = unsafe {
        libc::bind(fd.as_raw_fd(), (&sll as *const libc::sockaddr_ll).cast(), std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t)
    };
    if rc != 0 {
        return Err(errno_to_nmerr(errno()));
    }
    Ok(fd)
}

fn sockaddr_ll(index: i32, dest: Option<[u8; 6]>) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain data; all-zero is valid.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = (NDISNPP_STATION_QUERY_ETHERTYPE as u16).to_be();
    sll.sll_ifindex = index;
    if let Some(mac) = dest {
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&mac);
    }
    sll
}

/// Sends `payload` to `dest` on interface `index`.
fn send_to(fd: &OwnedFd, index: i32, dest: [u8; 6], payload: &[u8]) -> NmResult<()> {
    let sll = sockaddr_ll(index, Some(dest));
    // SAFETY: payload and sll are valid for the given lengths.
    let n = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            payload.as_ptr().cast(),
            payload.len(),
            0,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(errno_to_nmerr(errno()));
    }
    Ok(())
}

/// One received frame: payload length, packet type, source address. None when nothing is left.
fn recv_from(fd: &OwnedFd, buf: &mut [u8]) -> Option<(usize, u8, [u8; 6])> {
    loop {
        // SAFETY: sockaddr_ll is plain data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buf and sll are valid for their lengths.
        let n = unsafe {
            libc::recvfrom(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT, (&mut sll as *mut libc::sockaddr_ll).cast(), &mut len)
        };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return None;
        }
        let mut src = [0u8; 6];
        src.copy_from_slice(&sll.sll_addr[..6]);
        return Some((n as usize, sll.sll_pkttype, src));
    }
}

/// poll() on `fds` for input, up to `timeout_ms`; the readable flags (all false on timeout).
fn poll_in(fds: &[i32], timeout_ms: i32) -> Vec<bool> {
    let mut p: Vec<libc::pollfd> = fds.iter().map(|fd| libc::pollfd { fd: *fd, events: libc::POLLIN, revents: 0 }).collect();
    // SAFETY: p is a valid array of p.len() pollfds.
    let rc = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) };
    if rc <= 0 {
        return vec![false; fds.len()];
    }
    p.iter().map(|x| x.revents != 0).collect()
}

fn random_id() -> u32 {
    let mut b = [0u8; 4];
    // SAFETY: b is writable for 4 bytes.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), 4, libc::GRND_NONBLOCK) };
    if n == 4 {
        return u32::from_le_bytes(b);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let x = t ^ ((std::process::id() as u64) << 32) ^ COUNTER.fetch_add(0x9E37_79B9, Ordering::Relaxed);
    (x ^ (x >> 32)) as u32
}

// ---------------------------------------------------------------------------------------------
// Responder

struct Reg {
    id: u64,
    /// The NPP whose capture this is (for diagnosis).
    #[allow(dead_code)]
    npp: u64,
    ifname: String,
    ifindex: i32,
    netns: u64,
    mac: [u8; 6],
    fd: Arc<OwnedFd>,
}

struct Responder {
    /// The process the state belongs to (a forked child starts afresh).
    pid: u32,
    regs: Vec<Reg>,
    next_id: u64,
    running: bool,
    wake: Option<Arc<OwnedFd>>,
}

static RESPONDER: Mutex<Responder> = Mutex::new(Responder { pid: 0, regs: Vec::new(), next_id: 1, running: false, wake: None });
/// Query ids this process is waiting for answers to (its responder ignores them).
static OUTSTANDING: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Responses sent by this process (for tests and diagnosis).
static ANSWERS: AtomicU64 = AtomicU64::new(0);

impl Responder {
    /// Forgets what a parent process had (its thread does not exist in a forked child).
    fn own(&mut self) {
        let pid = std::process::id();
        if self.pid != pid {
            self.pid = pid;
            // Inherited descriptors are copies; dropping closes the child's copies only.
            self.regs.clear();
            self.running = false;
            self.wake = None;
        }
    }

    fn poke(&self) {
        if let Some(w) = &self.wake {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from `one` to an eventfd.
            let _ = unsafe { libc::write(w.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }
}

/// A capture that answers station queries; dropping it stops answering for it (and ends the
/// responder thread when it was the last).
#[derive(Debug)]
pub struct Registration {
    id: Option<u64>,
}

impl Registration {
    /// True when queries are answered for it (false when the interface or socket was not usable).
    pub fn is_active(&self) -> bool {
        self.id.is_some()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let mut r = RESPONDER.lock();
        if r.pid != std::process::id() {
            return;
        }
        r.regs.retain(|g| g.id != id);
        r.poke();
    }
}

/// Starts answering station queries on `ifname` for the capture of NPP `npp_handle`, with
/// `adapter_mac` as AdapterAddress. The socket is opened here, in the caller's network
/// namespace. When the interface is not Ethernet-like, gone, or the process lacks CAP_NET_RAW,
/// the registration is inert (nothing is answered) — a capture never fails because of it.
pub fn register(npp_handle: u64, ifname: &str, adapter_mac: [u8; 6]) -> Registration {
    let inert = Registration { id: None };
    let Ok(link) = link_info(ifname) else { return inert };
    if !takes_part(&link) {
        return inert;
    }
    let Ok(fd) = packet_socket(link.index, BONE_COMMAND_STATION_QUERY_REQUEST as u8) else { return inert };
    let netns = netns_id();
    let mut r = RESPONDER.lock();
    r.own();
    if r.wake.is_none() {
        // SAFETY: plain eventfd() call.
        let w = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if w < 0 {
            return inert;
        }
        // SAFETY: w is a fresh descriptor we own.
        r.wake = Some(Arc::new(unsafe { OwnedFd::from_raw_fd(w) }));
    }
    let id = r.next_id;
    r.next_id += 1;
    r.regs.push(Reg { id, npp: npp_handle, ifname: ifname.to_string(), ifindex: link.index, netns, mac: adapter_mac, fd: Arc::new(fd) });
    if r.running {
        r.poke();
    } else {
        let spawned = std::thread::Builder::new().name("ndisnpp-stations".into()).spawn(responder_thread);
        if spawned.is_err() {
            r.regs.retain(|g| g.id != id);
            return inert;
        }
        r.running = true;
    }
    Registration { id: Some(id) }
}

/// `register` for a capture about to start on `target` (the NPP's merged BLOB): None for a replay
/// file or when `NPP:Config:AnswerStationQueries` is FALSE.
pub fn register_for(npp_handle: u64, target: &Blob) -> Option<Registration> {
    if target.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_REPLAY_FILE.as_bytes()) || !settings(target).1 {
        return None;
    }
    let name = super::finder::nic_name(target)?;
    let link = link_info(&name).ok()?;
    Some(register(npp_handle, &name, link.mac))
}

/// Recently answered (registration, query id, requester) and the rate limit.
struct AnswerLog {
    recent: std::collections::VecDeque<(u64, u32, [u8; 6])>,
    window: Instant,
    sent: u32,
}

impl AnswerLog {
    /// True when this answer may go out (not a repeat, within the rate); records it.
    fn admit(&mut self, reg: u64, id: u32, from: [u8; 6]) -> bool {
        if self.recent.contains(&(reg, id, from)) {
            return false;
        }
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = Instant::now();
            self.sent = 0;
        }
        if self.sent >= ANSWER_RATE {
            return false;
        }
        self.sent += 1;
        if self.recent.len() >= 256 {
            self.recent.pop_front();
        }
        self.recent.push_back((reg, id, from));
        true
    }
}

fn responder_thread() {
    let mut log = AnswerLog { recent: Default::default(), window: Instant::now(), sent: 0 };
    let mut buf = [0u8; 2048];
    loop {
        let (wake, regs) = {
            let mut r = RESPONDER.lock();
            if r.regs.is_empty() || r.pid != std::process::id() {
                if r.pid == std::process::id() {
                    r.running = false;
                }
                return;
            }
            let regs: Vec<(u64, i32, [u8; 6], Arc<OwnedFd>)> = r.regs.iter().map(|g| (g.id, g.ifindex, g.mac, g.fd.clone())).collect();
            (r.wake.clone().expect("set with the first registration"), regs)
        };
        let mut fds = vec![wake.as_raw_fd()];
        fds.extend(regs.iter().map(|g| g.3.as_raw_fd()));
        let ready = poll_in(&fds, IDLE_POLL_MS);
        if ready[0] {
            let mut v = 0u64;
            // SAFETY: reads 8 bytes into v from the eventfd.
            let _ = unsafe { libc::read(wake.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
        }
        for (i, (reg, ifindex, mac, fd)) in regs.iter().enumerate() {
            if !ready[i + 1] {
                continue;
            }
            while let Some((n, pkttype, from)) = recv_from(fd, &mut buf) {
                if pkttype == PACKET_OUTGOING || pkttype == PACKET_OTHERHOST {
                    continue;
                }
                let Some(id) = decode_request(&buf[..n.min(buf.len())]) else { continue };
                if OUTSTANDING.lock().contains(&id) {
                    continue; // this process's own query: it lists its captures itself
                }
                if !RESPONDER.lock().regs.iter().any(|g| g.id == *reg) {
                    break; // stopped meanwhile
                }
                if !log.admit(*reg, id, from) {
                    continue;
                }
                let msg = encode_response(id, &local_station(*mac));
                if send_to(fd, *ifindex, from, &msg).is_ok() {
                    ANSWERS.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Responses this process has sent so far.
pub fn answers_sent() -> u64 {
    ANSWERS.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Query

/// Removes a query id from OUTSTANDING when the query ends.
struct Outstanding(u32);

impl Drop for Outstanding {
    fn drop(&mut self) {
        let mut o = OUTSTANDING.lock();
        if let Some(i) = o.iter().position(|x| *x == self.0) {
            o.swap_remove(i);
        }
    }
}

fn same_station(a: &STATIONQUERY, b: &STATIONQUERY) -> bool {
    a.AdapterAddress == b.AdapterAddress && a.MachineName == b.MachineName
}

fn add(out: &mut Vec<STATIONQUERY>, sq: STATIONQUERY) {
    if !out.iter().any(|x| same_station(x, &sq)) {
        out.push(sq);
    }
}

/// The stations on `ifname`'s link that answer a query within `wait`, at most `capacity`
/// (this process's own answering captures on that interface first). `capacity` 0 sends nothing.
/// Errors: `NMERR_NETWORK_NOT_PRESENT` (no such interface, or it is down),
/// `NMERR_ACCESS_DENIED` (no CAP_NET_RAW), `NMERR_OUT_OF_MEMORY`, `NMERR_TRANSMIT_ERROR`. A
/// non-Ethernet interface has no stations (empty, no error).
pub fn query(ifname: &str, wait: Duration, capacity: usize) -> NmResult<Vec<STATIONQUERY>> {
    if capacity == 0 {
        return Ok(Vec::new());
    }
    let link = link_info(ifname)?;
    if !takes_part(&link) {
        return Ok(Vec::new());
    }
    let fd = packet_socket(link.index, BONE_COMMAND_STATION_QUERY_RESPONSE as u8)?;
    let mut out = Vec::new();
    let netns = netns_id();
    let own: Vec<[u8; 6]> = {
        let mut r = RESPONDER.lock();
        r.own();
        r.regs.iter().filter(|g| g.ifindex == link.index && g.ifname == ifname && g.netns == netns).map(|g| g.mac).collect()
    };
    for mac in own {
        add(&mut out, local_station(mac)); // outside the lock: the user lookup may be slow
    }
    if out.len() >= capacity {
        out.truncate(capacity);
        return Ok(out);
    }
    let id = random_id();
    OUTSTANDING.lock().push(id);
    let _guard = Outstanding(id);
    send_to(&fd, link.index, BROADCAST, &encode_request(id))?;
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 2048];
    while out.len() < capacity {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        if !poll_in(&[fd.as_raw_fd()], ms)[0] {
            continue;
        }
        while let Some((n, pkttype, _from)) = recv_from(&fd, &mut buf) {
            if pkttype == PACKET_OUTGOING || pkttype == PACKET_OTHERHOST {
                continue;
            }
            if let Some(sq) = decode_response(&buf[..n.min(buf.len())], id) {
                add(&mut out, sq);
                if out.len() >= capacity {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// QueryStations for the NPP whose target BLOB is `target` (the connected target, or the NIC
/// BLOB when not connected): a replay file has no stations; the wait is `NPP:Config:QueryTimeout`.
pub fn query_for(target: &Blob, capacity: usize) -> NmResult<Vec<STATIONQUERY>> {
    if target.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_REPLAY_FILE.as_bytes()) {
        return Ok(Vec::new());
    }
    let Some(name) = super::finder::nic_name(target) else { return Ok(Vec::new()) };
    query(&name, settings(target).0, capacity)
}

/// `esp_query_stations` / `stats_query_stations`: `table->nStationQueries` in = capacity, out =
/// entries written. NULL table → `NMERR_INVALID_PARAMETER`; bad handle → `NMERR_INVALID_HNETWORK`.
/// On an error the table is left as it was.
///
/// # Safety
/// `table` is NULL or points to a QUERYTABLE with room for `nStationQueries` entries.
pub unsafe fn query_into(handle: u64, table: LPQUERYTABLE) -> NmResult<()> {
    if table.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let target = super::nic_blob_of(handle)?;
    // SAFETY: table is non-NULL and points to a QUERYTABLE (C contract).
    let capacity = unsafe { std::ptr::addr_of!((*table).nStationQueries).read_unaligned() } as usize;
    let found = query_for(&target, capacity)?;
    let n = found.len().min(capacity);
    // SAFETY: the caller's table has room for `capacity` >= n entries (C contract); STATIONQUERY
    // is packed (alignment 1).
    unsafe {
        let entries = std::ptr::addr_of_mut!((*table).StationQuery).cast::<STATIONQUERY>();
        std::ptr::copy_nonoverlapping(found.as_ptr(), entries, n);
        std::ptr::addr_of_mut!((*table).nStationQueries).write_unaligned(n as DWORD);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> STATIONQUERY {
        let mut sq = local_station([0x02, 0x4E, 0x44, 0x51, 0x41, 0x01]);
        sq.MachineName = fixed_bytes::<16>("host-name");
        sq.UserName = fixed_bytes::<32>("alice");
        sq.WMachineName = fixed_wide::<16>("host-name");
        sq.WUserName = fixed_wide::<32>("alice");
        sq.LicenseNumber = 0x0102_0304;
        sq
    }

    #[test]
    fn request_bytes() {
        let r = encode_request(0xA1B2_C3D4);
        assert_eq!(&r, b"RTSS\x00\x00\xD4\xC3\xB2\xA1\x00\x00");
        assert_eq!(decode_request(&r), Some(0xA1B2_C3D4));
        // Ethernet padding after the header is ignored.
        let mut padded = r.to_vec();
        padded.resize(46, 0);
        assert_eq!(decode_request(&padded), Some(0xA1B2_C3D4));
        // Wrong signature, short, or a response: not a request.
        let mut bad = r;
        bad[0] = b'X';
        assert_eq!(decode_request(&bad), None);
        assert_eq!(decode_request(&r[..11]), None);
        assert_eq!(decode_request(&encode_response(7, &sample())), None);
    }

    #[test]
    fn response_round_trip() {
        let sq = sample();
        let msg = encode_response(0x1234_5678, &sq);
        assert_eq!(msg.len(), 204);
        let bone = decode_bone(&msg).unwrap();
        assert_eq!(bone, Bone { command: 1, flags: 0, id: 0x1234_5678, length: 192 });
        // Field offsets of f.4 on the wire (header 12 bytes first).
        let body = &msg[12..];
        assert_eq!(&body[0..4], &STATIONQUERY_FLAGS_CAPTURING.to_le_bytes());
        assert_eq!((body[4], body[5]), (1, 2));
        assert_eq!(&body[6..10], &[4, 3, 2, 1]);
        assert_eq!(&body[10..20], b"host-name\0");
        assert_eq!(&body[26..32], b"alice\0");
        assert!(body[58..90].iter().all(|b| *b == 0));
        assert_eq!(&body[90..96], &[0x02, 0x4E, 0x44, 0x51, 0x41, 0x01]);
        assert_eq!(&body[96..100], &[b'h', 0, b'o', 0]);
        assert_eq!(&body[128..132], &[b'a', 0, b'l', 0]);
        // Byte-identical to the packed in-memory layout on this (little-endian) target.
        // SAFETY: STATIONQUERY is 192 plain bytes.
        let raw: [u8; 192] = unsafe { std::mem::transmute(sq) };
        assert_eq!(body, &raw[..]);

        let back = decode_response(&msg, 0x1234_5678).unwrap();
        assert_eq!(station_to_bytes(&back), station_to_bytes(&sq));
        // Another id, a request, a truncated body: nothing.
        assert!(decode_response(&msg, 0x1234_5679).is_none());
        assert!(decode_response(&encode_request(0x1234_5678), 0x1234_5678).is_none());
        assert!(decode_response(&msg[..150], 0x1234_5678).is_none());
        // Padding after the body is ignored.
        let mut padded = msg.to_vec();
        padded.extend_from_slice(&[0xEE; 10]);
        assert_eq!(station_to_bytes(&decode_response(&padded, 0x1234_5678).unwrap()), station_to_bytes(&sq));
    }

    #[test]
    fn old_station_query() {
        // A pre-2.0 responder: Length 96, no wide names.
        let full = encode_response(9, &sample());
        let mut old = full[..12 + 96].to_vec();
        old[10..12].copy_from_slice(&96u16.to_le_bytes());
        let sq = decode_response(&old, 9).unwrap();
        assert_eq!(sq.MachineName, sample().MachineName);
        assert_eq!(sq.AdapterAddress, sample().AdapterAddress);
        let (wm, wu) = (sq.WMachineName, sq.WUserName);
        assert!(wm.iter().chain(wu.iter()).all(|u| *u == 0));
        // Less than an OLDSTATIONQUERY: nothing.
        old[10..12].copy_from_slice(&95u16.to_le_bytes());
        assert!(decode_response(&old, 9).is_none());
    }

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
        let host = super::super::finder::local_host_name();
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

    #[test]
    fn answer_log_dedupes_and_limits() {
        let mut log = AnswerLog { recent: Default::default(), window: Instant::now(), sent: 0 };
        assert!(log.admit(1, 5, [1; 6]));
        assert!(!log.admit(1, 5, [1; 6]));
        assert!(log.admit(2, 5, [1; 6]));
        assert!(log.admit(1, 6, [1; 6]));
        let mut n = 3;
        while log.admit(1, 1000 + n, [1; 6]) {
            n += 1;
        }
        assert_eq!(n, ANSWER_RATE);
    }

    #[test]
    fn query_errors_without_the_wire() {
        assert_eq!(query("ndisnpp-none0", Duration::from_millis(10), 4).err(), Some(NMERR_NETWORK_NOT_PRESENT));
        assert_eq!(query("", Duration::from_millis(10), 4).err(), Some(NMERR_NETWORK_NOT_PRESENT));
        assert!(query("ndisnpp-none0", Duration::from_millis(10), 0).unwrap().is_empty());
        let mut replay = Blob::new();
        replay.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_REPLAY_FILE, "/nonexistent.cap").unwrap();
        assert!(query_for(&replay, 4).unwrap().is_empty());
        assert!(register_for(1, &replay).is_none());
        let mut off = Blob::new();
        off.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, "lo").unwrap();
        off.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ANSWER_STATION_QUERIES, "FALSE").unwrap();
        assert!(register_for(1, &off).is_none());
        assert!(!register(1, "ndisnpp-none0", [0; 6]).is_active());
    }

    /// Runs `f` on a thread of its own in a private network namespace with `lo` up; false when
    /// that is not possible (not root).
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

    #[test]
    fn station_sockets_receive_only_their_command() {
        let ran = in_private_netns(|| {
            let lo = link_info("lo").unwrap();
            let requests = packet_socket(lo.index, BONE_COMMAND_STATION_QUERY_REQUEST as u8).unwrap();
            let responses = packet_socket(lo.index, BONE_COMMAND_STATION_QUERY_RESPONSE as u8).unwrap();
            // Same EtherType, not ours: no signature, a wrong signature, a short frame; then a
            // response and a request.
            send_to(&requests, lo.index, BROADCAST, &[0xA5; 50]).unwrap();
            let mut wrong = encode_request(9);
            wrong[0] ^= 1;
            send_to(&requests, lo.index, BROADCAST, &wrong).unwrap();
            send_to(&requests, lo.index, BROADCAST, &encode_request(9)[..3]).unwrap();
            send_to(&requests, lo.index, BROADCAST, &encode_response(7, &local_station([2, 0, 0, 0, 0, 7]))).unwrap();
            send_to(&requests, lo.index, BROADCAST, &encode_request(8)).unwrap();
            let drain = |fd: &OwnedFd| {
                let mut buf = [0u8; 2048];
                let mut got = Vec::new();
                let deadline = Instant::now() + Duration::from_millis(300);
                while Instant::now() < deadline {
                    poll_in(&[fd.as_raw_fd()], 50);
                    while let Some((n, _, _)) = recv_from(fd, &mut buf) {
                        got.push(decode_bone(&buf[..n]).map(|b| (b.command, b.id)));
                    }
                }
                got
            };
            // On lo each frame arrives twice (outgoing and incoming); only the kinds matter.
            let req = drain(&requests);
            assert!(!req.is_empty() && req.iter().all(|b| *b == Some((BONE_COMMAND_STATION_QUERY_REQUEST as u8, 8))), "{req:?}");
            let resp = drain(&responses);
            assert!(!resp.is_empty() && resp.iter().all(|b| *b == Some((BONE_COMMAND_STATION_QUERY_RESPONSE as u8, 7))), "{resp:?}");
        });
        if !ran {
            eprintln!("skipped: needs CAP_SYS_ADMIN for a private network namespace");
        }
    }

    #[test]
    fn loopback_answers_others_and_lists_itself_once() {
        let ran = in_private_netns(|| {
            let lo = link_info("lo").unwrap();
            // Nobody answers yet.
            assert!(query("lo", Duration::from_millis(100), 4).unwrap().is_empty());
            let reg = register(77, "lo", [0x02, 0, 0, 0, 0, 0x77]);
            assert!(reg.is_active());
            // This process's own capture: listed once, and its responder does not answer the
            // process's own query (which comes back on lo).
            let before = answers_sent();
            let found = query("lo", Duration::from_millis(300), 4).unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].AdapterAddress, [0x02, 0, 0, 0, 0, 0x77]);
            assert_eq!(answers_sent(), before);
            // A query from "someone else" (an id this process does not wait for) is answered.
            let fd = packet_socket(lo.index, BONE_COMMAND_STATION_QUERY_RESPONSE as u8).unwrap();
            send_to(&fd, lo.index, BROADCAST, &encode_request(0x5EED_0001)).unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut got = None;
            let mut buf = [0u8; 2048];
            while got.is_none() && Instant::now() < deadline {
                poll_in(&[fd.as_raw_fd()], 100);
                while let Some((n, _, _)) = recv_from(&fd, &mut buf) {
                    if let Some(sq) = decode_response(&buf[..n], 0x5EED_0001) {
                        got = Some(sq);
                    }
                }
            }
            let sq = got.expect("an answer");
            assert_eq!(station_to_bytes(&sq), station_to_bytes(&local_station([0x02, 0, 0, 0, 0, 0x77])));
            // Capacity is honoured; after the registration is gone nothing answers.
            assert_eq!(query("lo", Duration::from_millis(100), 1).unwrap().len(), 1);
            drop(reg);
            assert!(query("lo", Duration::from_millis(200), 4).unwrap().is_empty());
            // The responder thread starts again for a new registration.
            let reg2 = register(78, "lo", [0x02, 0, 0, 0, 0, 0x78]);
            send_to(&fd, lo.index, BROADCAST, &encode_request(0x5EED_0002)).unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut answered = false;
            while !answered && Instant::now() < deadline {
                poll_in(&[fd.as_raw_fd()], 100);
                while let Some((n, _, _)) = recv_from(&fd, &mut buf) {
                    answered |= decode_response(&buf[..n], 0x5EED_0002).is_some();
                }
            }
            assert!(answered);
            drop(reg2);
        });
        if !ran {
            eprintln!("skipped: needs CAP_SYS_ADMIN for a private network namespace");
        }
    }
}
