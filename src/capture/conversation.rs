//! Conversation statistics (SDK h.2): a station per MAC address seen, a one-way session per
//! (sender, unicast receiver), at most 100 of each (further ones are not created; existing ones
//! keep counting). Filled by the capture thread from every frame that passes the filter.

use crate::types::*;

/// End of an index chain (NextStationStats, SessionPartnerList, NextSession).
pub(crate) const NO_INDEX: u32 = 0xFFFF_FFFF;

#[derive(Clone, Debug, Default)]
pub struct Conversations {
    stations: Vec<STATIONSTATS>,
    sessions: Vec<SESSIONSTATS>,
    /// Last session of each station's chain (to append in O(1)).
    last_session: Vec<u32>,
    /// Station index by MAC address (`mac_key`): every frame looks up two addresses, and a scan
    /// of up to 100 stations per lookup would cost more than the rest of the frame's work.
    by_mac: std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<MacHasher>>,
    /// The last two lookups (key | RECENT_VALID, index), tried before the map: a stream of frames
    /// mostly goes back and forth between the same two stations. (0, 0) is an empty entry.
    recent: [(u64, u32); 2],
    /// The last frame's destination and source addresses (`pair_key`) and what they resolved to
    /// (sender, receiver, session): a stream of frames between the same two stations skips every
    /// lookup. Entries are only ever added (until `clear`), so a resolution stays right.
    last_pair: Option<((u64, u32), Resolved)>,
    /// Frames (and their bytes, modulo 2^32 as the counters) of the last pair not yet added to
    /// its stations and session: a run of frames between the same two stations costs a compare
    /// and two additions each; `settle` adds them when the pair changes and before the tables
    /// are read (`tables`).
    pending: (u32, u32),
}

/// Station and session indexes of one (destination, source) pair: sender, receiver (None for a
/// group destination), session (None when either is None or the table is full).
#[derive(Clone, Copy, Debug, Default)]
struct Resolved {
    sender: Option<u32>,
    receiver: Option<u32>,
    session: Option<u32>,
}

/// Marks a used `recent` entry (a key has 48 bits).
const RECENT_VALID: u64 = 1 << 63;

/// The 48-bit address as a number (the map's key).
fn mac_key(mac: &[u8]) -> u64 {
    let mut k = [0u8; 8];
    k[..6].copy_from_slice(&mac[..6]);
    u64::from_le_bytes(k)
}

/// A hasher for `mac_key`s: one multiplication (the keys are not chosen by an adversary who
/// gains anything from collisions: at most 100 entries exist).
#[derive(Default, Clone, Copy, Debug)]
struct MacHasher(u64);

impl std::hash::Hasher for MacHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = (k ^ (k >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Frames in a row between the same two addresses, counted by the caller and added to the
/// tables at once (`Conversations::add_run`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Run {
    key: (u64, u32),
    frames: u32,
    /// Their wire lengths, modulo 2^32 (as the counters).
    bytes: u32,
}

impl Run {
    /// Counts frame `frame` (`wire_len` on the wire) of an Ethernet link if it continues the run
    /// (true); false when it does not (the caller adds this run, then starts the next with
    /// `Run::new`). A frame too short for two addresses is not counted, and continues the run.
    #[inline(always)]
    pub fn extend(&mut self, frame: &[u8], wire_len: u32) -> bool {
        if frame.len() < 12 {
            return true;
        }
        if self.frames != 0 && pair_key(frame) == self.key {
            self.frames = self.frames.wrapping_add(1);
            self.bytes = self.bytes.wrapping_add(wire_len);
            return true;
        }
        false
    }

    /// Frames in the run.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// True when the run counted no frame.
    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// A run of one frame (at least 12 bytes).
    #[inline(always)]
    pub fn new(frame: &[u8], wire_len: u32) -> Run {
        Run { key: pair_key(frame), frames: 1, bytes: wire_len }
    }
}

/// A frame's destination and source addresses (its first 12 bytes) as two numbers: the
/// destination in the first one's low 48 bits.
#[inline(always)]
fn pair_key(frame: &[u8]) -> (u64, u32) {
    let head: [u8; 12] = frame[..12].try_into().expect("12 bytes");
    let (a, b) = head.split_at(8);
    (u64::from_le_bytes(a.try_into().expect("8 bytes")), u32::from_le_bytes(b.try_into().expect("4 bytes")))
}

impl Conversations {
    pub fn new() -> Self {
        Conversations::default()
    }

    fn station(&mut self, mac: &[u8]) -> Option<usize> {
        let key = mac_key(mac);
        for (k, i) in self.recent {
            if k == key | RECENT_VALID {
                return Some(i as usize);
            }
        }
        if let Some(&i) = self.by_mac.get(&key) {
            self.recent = [(key | RECENT_VALID, i), self.recent[0]];
            return Some(i as usize);
        }
        if self.stations.len() >= MAX_STATIONS as usize {
            return None;
        }
        let i = self.stations.len();
        if let Some(prev) = self.stations.last_mut() {
            prev.NextStationStats = i as u32;
        }
        let mut s = STATIONSTATS { NextStationStats: NO_INDEX, SessionPartnerList: NO_INDEX, Flags: STATIONSTATS_FLAGS_INITIALIZED, ..Default::default() };
        s.StationAddress.copy_from_slice(mac);
        self.stations.push(s);
        self.last_session.push(NO_INDEX);
        self.by_mac.insert(key, i as u32);
        self.recent = [(key | RECENT_VALID, i as u32), self.recent[0]];
        Some(i)
    }

    fn session(&mut self, owner: usize, partner: usize) -> Option<usize> {
        let mut i = self.stations[owner].SessionPartnerList;
        while i != NO_INDEX {
            let s = &self.sessions[i as usize];
            if s.StationPartner as usize == partner {
                return Some(i as usize);
            }
            i = s.NextSession;
        }
        if self.sessions.len() >= MAX_SESSIONS as usize {
            return None;
        }
        let n = self.sessions.len() as u32;
        self.sessions.push(SESSIONSTATS {
            NextSession: NO_INDEX,
            StationOwner: owner as u32,
            StationPartner: partner as u32,
            Flags: SESSION_FLAGS_INITIALIZED,
            TotalPacketsSent: 0,
        });
        match self.last_session[owner] {
            NO_INDEX => self.stations[owner].SessionPartnerList = n,
            last => self.sessions[last as usize].NextSession = n,
        }
        self.last_session[owner] = n;
        Some(n as usize)
    }

    /// The stations and session of a frame from `src` to `dst`, created as needed.
    fn resolve(&mut self, dst: &[u8], src: &[u8]) -> Resolved {
        let sender = self.station(src);
        if dst[0] & 1 == 1 {
            return Resolved { sender: sender.map(|s| s as u32), receiver: None, session: None };
        }
        let receiver = self.station(dst);
        let session = match (sender, receiver) {
            (Some(s), Some(d)) => self.session(s, d),
            _ => None,
        };
        Resolved { sender: sender.map(|s| s as u32), receiver: receiver.map(|d| d as u32), session: session.map(|k| k as u32) }
    }

    /// Counts one frame (Ethernet link type only; other frames are ignored).
    #[inline(always)]
    pub fn record(&mut self, linktype: u32, frame: &[u8], wire_len: u32) {
        if linktype != 1 || frame.len() < 12 {
            return;
        }
        self.add_run(&Run::new(frame, wire_len));
    }

    /// Counts `run.frames` frames of one pair (Ethernet link type only): they wait in `pending`
    /// while the pair stays the same (a plain batch of the capture loop counts a whole run of
    /// frames in registers first).
    #[inline(always)]
    pub fn add_run(&mut self, run: &Run) {
        if run.frames == 0 {
            return;
        }
        if !matches!(self.last_pair, Some((k, _)) if k == run.key) {
            self.start_pair(run.key);
        }
        self.pending.0 = self.pending.0.wrapping_add(run.frames);
        self.pending.1 = self.pending.1.wrapping_add(run.bytes);
    }

    /// A pair that differs from the last one: what waits is settled and the pair resolved.
    #[inline(never)]
    fn start_pair(&mut self, key: (u64, u32)) {
        self.settle();
        let mut head = [0u8; 12];
        head[..8].copy_from_slice(&key.0.to_le_bytes());
        head[8..].copy_from_slice(&key.1.to_le_bytes());
        let r = self.resolve(&head[0..6], &head[6..12]);
        self.last_pair = Some((key, r));
    }

    /// Adds the pending frames to the last pair's stations and session.
    fn settle(&mut self) {
        let ((frames, bytes), Some(((dst, _), r))) = (std::mem::take(&mut self.pending), self.last_pair) else {
            return;
        };
        if frames == 0 {
            return;
        }
        // The destination address is the key's low 48 bits.
        let group = dst & 1 == 1;
        let broadcast = dst & 0xFFFF_FFFF_FFFF == 0xFFFF_FFFF_FFFF;
        if let Some(s) = r.sender.map(|s| s as usize) {
            let st = &mut self.stations[s];
            st.TotalBytesSent = st.TotalBytesSent.wrapping_add(bytes);
            let sent = if broadcast {
                &mut st.TotalBroadcastPacketsSent
            } else if group {
                &mut st.TotalMulticastPacketsSent
            } else {
                &mut st.TotalDirectedPacketsSent
            };
            *sent = sent.wrapping_add(frames);
        }
        if group {
            return;
        }
        if let Some(d) = r.receiver.map(|d| d as usize) {
            let st = &mut self.stations[d];
            st.TotalPacketsReceived = st.TotalPacketsReceived.wrapping_add(frames);
            st.TotalBytesReceived = st.TotalBytesReceived.wrapping_add(bytes);
        }
        if let Some(k) = r.session.map(|k| k as usize) {
            self.sessions[k].TotalPacketsSent = self.sessions[k].TotalPacketsSent.wrapping_add(frames);
        }
    }

    /// The stations and the sessions, every frame recorded so far counted.
    pub fn tables(&mut self) -> (&[STATIONSTATS], &[SESSIONSTATS]) {
        self.settle();
        (&self.stations, &self.sessions)
    }

    pub fn clear(&mut self) {
        *self = Conversations::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(dst: [u8; 6], src: [u8; 6]) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend_from_slice(&src);
        f.extend_from_slice(&[0x08, 0x00, 0, 0]);
        f
    }

    const A: [u8; 6] = [2, 0, 0, 0, 0, 0xA];
    const B: [u8; 6] = [2, 0, 0, 0, 0, 0xB];
    const C: [u8; 6] = [2, 0, 0, 0, 0, 0xC];
    const BCAST: [u8; 6] = [0xFF; 6];
    const MCAST: [u8; 6] = [0x01, 0, 0x5E, 0, 0, 1];

    #[test]
    fn stations_and_sessions() {
        let mut c = Conversations::new();
        c.record(1, &frame(B, A), 100);
        c.record(1, &frame(B, A), 60);
        c.record(1, &frame(A, B), 70);
        c.record(1, &frame(C, A), 80);
        c.record(1, &frame(BCAST, C), 90);
        c.record(1, &frame(MCAST, C), 64);
        c.record(113, &frame(B, A), 1);
        let (st, se) = c.tables();
        assert_eq!(st.len(), 3, "A, B, C; no station for group addresses");
        let (a, b, cc) = (&st[0], &st[1], &st[2]);
        assert_eq!(a.StationAddress, A);
        assert_eq!((a.TotalDirectedPacketsSent, a.TotalBytesSent, a.TotalPacketsReceived, a.TotalBytesReceived), (3, 240, 1, 70));
        assert_eq!((b.TotalDirectedPacketsSent, b.TotalPacketsReceived, b.TotalBytesReceived), (1, 2, 160));
        assert_eq!((cc.TotalBroadcastPacketsSent, cc.TotalMulticastPacketsSent, cc.TotalPacketsReceived), (1, 1, 1));
        assert_eq!((a.NextStationStats, b.NextStationStats, cc.NextStationStats), (1, 2, NO_INDEX));
        assert_eq!(se.len(), 3, "A->B, B->A, A->C");
        let first = &se[a.SessionPartnerList as usize];
        assert_eq!((first.StationOwner, first.StationPartner, first.TotalPacketsSent), (0, 1, 2));
        let second = &se[first.NextSession as usize];
        assert_eq!((second.StationOwner, second.StationPartner, second.TotalPacketsSent, second.NextSession), (0, 2, 1, NO_INDEX));
        assert_eq!(cc.SessionPartnerList, NO_INDEX);
        assert!(st.iter().all(|s| s.Flags == STATIONSTATS_FLAGS_INITIALIZED));
    }

    /// A run of frames between the same two stations is added up when it ends or when the
    /// tables are read, whichever comes first: a read in the middle of a run sees every frame.
    #[test]
    fn a_read_in_the_middle_of_a_run_sees_every_frame() {
        let mut c = Conversations::new();
        for _ in 0..3 {
            c.record(1, &frame(B, A), 100);
        }
        let (st, se) = c.tables();
        assert_eq!((st[0].TotalDirectedPacketsSent, st[0].TotalBytesSent, st[1].TotalPacketsReceived, se[0].TotalPacketsSent), (3, 300, 3, 3));
        for _ in 0..2 {
            c.record(1, &frame(B, A), 100);
        }
        c.record(1, &frame(BCAST, A), 50);
        c.record(1, &frame(BCAST, A), 50);
        let (st, se) = c.tables();
        assert_eq!((st[0].TotalDirectedPacketsSent, st[0].TotalBroadcastPacketsSent, st[0].TotalBytesSent), (5, 2, 600));
        assert_eq!((st[1].TotalPacketsReceived, st[1].TotalBytesReceived, se[0].TotalPacketsSent), (5, 500, 5));
        // Settled twice (read, then the pair changed): counted once.
        c.record(1, &frame(A, B), 70);
        let (st, _) = c.tables();
        assert_eq!((st[0].TotalBroadcastPacketsSent, st[0].TotalPacketsReceived, st[1].TotalDirectedPacketsSent), (2, 1, 1));
        c.clear();
        c.record(1, &frame(B, A), 10);
        assert_eq!(c.tables().0[0].TotalBytesSent, 10, "nothing pending survives clear");
    }

    #[test]
    fn pools_stop_growing_at_100() {
        let mut c = Conversations::new();
        for i in 0..150u32 {
            let mut m = [2, 0, 0, 0x77, 0, 0];
            m[4..6].copy_from_slice(&(i as u16).to_be_bytes());
            c.record(1, &frame(A, m), 60);
        }
        let (st, se) = c.tables();
        assert_eq!(st.len(), 100, "the first sender, A, then 98 more senders");
        assert_eq!(st[1].StationAddress, A);
        assert_eq!(se.len(), 99, "one session per sender that has a station, to A");
        assert_eq!(st[1].TotalPacketsReceived, 150, "A keeps counting");
        c.clear();
        assert!(c.tables().0.is_empty());
    }

    /// The lookups (map, recent entries) agree with a plain scan of the stations: frames among
    /// 150 addresses (the zero address among them, more than the pool holds), in a pseudo-random
    /// order with runs between the same two stations.
    #[test]
    fn lookups_agree_with_a_scan() {
        let mut c = Conversations::new();
        let mut seen: Vec<[u8; 6]> = Vec::new();
        let mut x = 12345u32;
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            x >> 8
        };
        let mac = |n: u32| if n == 0 { [0u8; 6] } else { [2, 0, 0, 0, (n >> 8) as u8, n as u8] };
        for _ in 0..5000 {
            let (a, b) = (mac(next() % 150), mac(next() % 150));
            for _ in 0..(next() % 4 + 1) {
                c.record(1, &frame(b, a), 60);
                c.record(1, &frame(a, b), 60);
                for m in [a, b] {
                    if !seen.contains(&m) && seen.len() < MAX_STATIONS as usize {
                        seen.push(m);
                    }
                }
            }
        }
        let addresses: Vec<[u8; 6]> = c.tables().0.iter().map(|s| s.StationAddress).collect();
        assert_eq!(addresses, seen);
        for (i, m) in seen.iter().enumerate() {
            assert_eq!(c.station(m), Some(i));
        }
        assert_eq!(c.station(&mac(149)).is_some(), seen.contains(&mac(149)));
    }
}
