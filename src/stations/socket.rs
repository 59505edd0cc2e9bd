//! The sockets of station queries: an AF_PACKET/SOCK_DGRAM socket for the station-query
//! EtherType with a classic-BPF filter in the kernel, sending and receiving on it, and what the
//! kernel says about an interface.

use super::NDISNPP_STATION_QUERY_ETHERTYPE;
use crate::nmerr::*;
use crate::types::BONE_PACKET_SIGNATURE;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The Ethernet broadcast address (where requests go).
pub(super) const BROADCAST: [u8; 6] = [0xFF; 6];
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
/// `sll_pkttype` of a frame to another host (seen in promiscuous mode) ...
pub(super) const PACKET_OTHERHOST: u8 = 3;
/// ... and of a frame this host sent: neither is a message to us.
pub(super) const PACKET_OUTGOING: u8 = 4;

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
pub(super) struct Link {
    pub(super) index: i32,
    hwtype: u16,
    pub(super) mac: [u8; 6],
}

/// `NMERR_NETWORK_NOT_PRESENT` when there is no such interface.
pub(super) fn link_info(name: &str) -> NmResult<Link> {
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

/// True for an interface that takes part: Ethernet-like (ARPHRD_ETHER, ARPHRD_LOOPBACK).
pub(super) fn takes_part(l: &Link) -> bool {
    matches!(l.hwtype, ARPHRD_ETHER | ARPHRD_LOOPBACK)
}

/// The inode of the calling thread's network namespace (0 when /proc cannot tell).
pub(super) fn netns_id() -> u64 {
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
pub(super) fn packet_socket(index: i32, command: u8) -> NmResult<OwnedFd> {
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
    let rc = unsafe { libc::bind(fd.as_raw_fd(), (&sll as *const libc::sockaddr_ll).cast(), std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t) };
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
pub(super) fn send_to(fd: &OwnedFd, index: i32, dest: [u8; 6], payload: &[u8]) -> NmResult<()> {
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
pub(super) fn recv_from(fd: &OwnedFd, buf: &mut [u8]) -> Option<(usize, u8, [u8; 6])> {
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
pub(super) fn poll_in(fds: &[i32], timeout_ms: i32) -> Vec<bool> {
    let mut p: Vec<libc::pollfd> = fds.iter().map(|fd| libc::pollfd { fd: *fd, events: libc::POLLIN, revents: 0 }).collect();
    // SAFETY: p is a valid array of p.len() pollfds.
    let rc = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) };
    if rc <= 0 {
        return vec![false; fds.len()];
    }
    p.iter().map(|x| x.revents != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::super::in_private_netns;
    use super::super::local_station;
    use super::super::wire::{decode_bone, encode_request, encode_response};
    use super::*;
    use crate::types::*;
    use std::time::{Duration, Instant};

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
            crate::prerequisite_missing("station_sockets_receive_only_their_command", "needs CAP_SYS_ADMIN for a private network namespace");
        }
    }
}
