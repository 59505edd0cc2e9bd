//! QueryStations: send one request on the interface's link and collect the answers (with this
//! process's own answering captures on that interface, which are listed without the wire).

use super::responder::{own_captures, Outstanding};
use super::socket::{link_info, netns_id, packet_socket, poll_in, recv_from, send_to, takes_part, BROADCAST, PACKET_OTHERHOST, PACKET_OUTGOING};
use super::wire::{decode_response, encode_request};
use super::{local_station, settings};
use crate::blob::names::*;
use crate::blob::{nic_name, Blob};
use crate::nmerr::*;
use crate::types::*;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A query id: random (getrandom), else made of the clock, the process id and a counter.
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

/// Entries with the same AdapterAddress and MachineName count once.
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
    let own = own_captures(link.index, ifname, netns);
    for mac in own {
        add(&mut out, local_station(mac)); // outside the lock: the user lookup may be slow
    }
    if out.len() >= capacity {
        out.truncate(capacity);
        return Ok(out);
    }
    let id = random_id();
    let _guard = Outstanding::new(id);
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
/// BLOB when not connected): a replay file has no stations; a remote NIC's are not queried
/// (`NMERR_NOT_SUPPORTED`: its link is on another host); the wait is `NPP:Config:QueryTimeout`.
pub fn query_for(target: &Blob, capacity: usize) -> NmResult<Vec<STATIONQUERY>> {
    if super::is_remote(target) {
        return Err(NMERR_NOT_SUPPORTED);
    }
    if target.contains(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_REPLAY_FILE.as_bytes()) {
        return Ok(Vec::new());
    }
    let Some(name) = nic_name(target) else { return Ok(Vec::new()) };
    query(&name, settings(target).0, capacity)
}

#[cfg(test)]
mod tests {
    use super::super::in_private_netns;
    use super::super::responder::{answers_sent, register, register_for};
    use super::super::wire::station_to_bytes;
    use super::*;

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
            crate::prerequisite_missing("loopback_answers_others_and_lists_itself_once", "needs CAP_SYS_ADMIN for a private network namespace");
        }
    }
}
