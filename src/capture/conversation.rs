//! Conversation statistics (spec h.2): a station per MAC address seen, a one-way session per
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
}

fn is_broadcast(mac: &[u8]) -> bool {
    mac == [0xFF; 6]
}

impl Conversations {
    pub fn new() -> Self {
        Conversations::default()
    }

    fn station(&mut self, mac: &[u8]) -> Option<usize> {
        if let Some(i) = self.stations.iter().position(|s| s.StationAddress == mac) {
            return Some(i);
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

    /// Counts one frame (Ethernet link type only; other frames are ignored).
    pub fn record(&mut self, linktype: u32, frame: &[u8], wire_len: u32) {
        if linktype != 1 || frame.len() < 12 {
            return;
        }
        let (dst, src) = (&frame[0..6], &frame[6..12]);
        let group = dst[0] & 1 == 1;
        if let Some(s) = self.station(src) {
            let st = &mut self.stations[s];
            st.TotalBytesSent = st.TotalBytesSent.wrapping_add(wire_len);
            if is_broadcast(dst) {
                st.TotalBroadcastPacketsSent = st.TotalBroadcastPacketsSent.wrapping_add(1);
            } else if group {
                st.TotalMulticastPacketsSent = st.TotalMulticastPacketsSent.wrapping_add(1);
            } else {
                st.TotalDirectedPacketsSent = st.TotalDirectedPacketsSent.wrapping_add(1);
            }
        }
        if group {
            return;
        }
        let d = self.station(dst);
        if let Some(d) = d {
            let st = &mut self.stations[d];
            st.TotalPacketsReceived = st.TotalPacketsReceived.wrapping_add(1);
            st.TotalBytesReceived = st.TotalBytesReceived.wrapping_add(wire_len);
        }
        let s = self.stations.iter().position(|x| x.StationAddress == src);
        if let (Some(s), Some(d)) = (s, d) {
            if let Some(k) = self.session(s, d) {
                self.sessions[k].TotalPacketsSent = self.sessions[k].TotalPacketsSent.wrapping_add(1);
            }
        }
    }

    pub fn stations(&self) -> &[STATIONSTATS] {
        &self.stations
    }

    pub fn sessions(&self) -> &[SESSIONSTATS] {
        &self.sessions
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
        let st = c.stations();
        assert_eq!(st.len(), 3, "A, B, C; no station for group addresses");
        let (a, b, cc) = (&st[0], &st[1], &st[2]);
        assert_eq!(a.StationAddress, A);
        assert_eq!((a.TotalDirectedPacketsSent, a.TotalBytesSent, a.TotalPacketsReceived, a.TotalBytesReceived), (3, 240, 1, 70));
        assert_eq!((b.TotalDirectedPacketsSent, b.TotalPacketsReceived, b.TotalBytesReceived), (1, 2, 160));
        assert_eq!((cc.TotalBroadcastPacketsSent, cc.TotalMulticastPacketsSent, cc.TotalPacketsReceived), (1, 1, 1));
        assert_eq!((a.NextStationStats, b.NextStationStats, cc.NextStationStats), (1, 2, NO_INDEX));
        let se = c.sessions();
        assert_eq!(se.len(), 3, "A->B, B->A, A->C");
        let first = &se[a.SessionPartnerList as usize];
        assert_eq!((first.StationOwner, first.StationPartner, first.TotalPacketsSent), (0, 1, 2));
        let second = &se[first.NextSession as usize];
        assert_eq!((second.StationOwner, second.StationPartner, second.TotalPacketsSent, second.NextSession), (0, 2, 1, NO_INDEX));
        assert_eq!(cc.SessionPartnerList, NO_INDEX);
        assert!(st.iter().all(|s| s.Flags == STATIONSTATS_FLAGS_INITIALIZED));
    }

    #[test]
    fn pools_stop_growing_at_100() {
        let mut c = Conversations::new();
        for i in 0..150u32 {
            let mut m = [2, 0, 0, 0x77, 0, 0];
            m[4..6].copy_from_slice(&(i as u16).to_be_bytes());
            c.record(1, &frame(A, m), 60);
        }
        assert_eq!(c.stations().len(), 100, "the first sender, A, then 98 more senders");
        assert_eq!(c.stations()[1].StationAddress, A);
        assert_eq!(c.sessions().len(), 99, "one session per sender that has a station, to A");
        assert_eq!(c.stations()[1].TotalPacketsReceived, 150, "A keeps counting");
        c.clear();
        assert!(c.stations().is_empty());
    }
}
