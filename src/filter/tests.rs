//! Unit tests of the filter rules with hand-built frames. The frame and filter builders are
//! shared with `equiv_tests.rs`.

use super::*;
use crate::blob::filters::{parse_address_table, parse_expression, parse_list};

// ------------------------------------------------------------------ frame builders

pub(super) const A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub(super) const B: [u8; 6] = [0x00, 0x66, 0x77, 0x88, 0x99, 0xAA];
pub(super) const BCAST: [u8; 6] = [0xFF; 6];
pub(super) const MCAST: [u8; 6] = [0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB];
pub(super) const IP_A: [u8; 4] = [10, 0, 0, 1];
pub(super) const IP_B: [u8; 4] = [10, 0, 0, 2];
pub(super) const IP6_A: [u8; 16] = [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub(super) const IP6_B: [u8; 16] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/// IPX network + node.
pub(super) const IPX_A: [u8; 10] = [0, 0, 0, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub(super) const IPX_B: [u8; 10] = [0, 0, 0, 2, 0x00, 0x66, 0x77, 0x88, 0x99, 0xAA];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Ethernet II.
pub(super) fn eth(dst: [u8; 6], src: [u8; 6], etype: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[&dst, &src, &etype.to_be_bytes(), payload])
}

/// Ethernet with VLAN tags (TPIDs in order), then the type field `etype`.
pub(super) fn tagged(dst: [u8; 6], src: [u8; 6], tpids: &[u16], etype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = cat(&[&dst, &src]);
    for (i, t) in tpids.iter().enumerate() {
        f.extend_from_slice(&t.to_be_bytes());
        f.extend_from_slice(&(100 + i as u16).to_be_bytes());
    }
    f.extend_from_slice(&etype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// 802.3 + LLC (`control` 1 or 2 bytes).
pub(super) fn llc(dst: [u8; 6], src: [u8; 6], dsap: u8, ssap: u8, control: &[u8], payload: &[u8]) -> Vec<u8> {
    let body = cat(&[&[dsap, ssap], control, payload]);
    cat(&[&dst, &src, &(body.len() as u16).to_be_bytes(), &body])
}

/// 802.3 + LLC + SNAP.
pub(super) fn snap(dst: [u8; 6], src: [u8; 6], etype: u16, payload: &[u8]) -> Vec<u8> {
    llc(dst, src, 0xAA, 0xAA, &[0x03], &cat(&[&[0, 0, 0], &etype.to_be_bytes(), payload]))
}

/// Novell raw 802.3 (the IPX packet starts with its 0xFFFF checksum).
pub(super) fn raw_ipx(dst: [u8; 6], src: [u8; 6], ipx_packet: &[u8]) -> Vec<u8> {
    cat(&[&dst, &src, &(ipx_packet.len() as u16).to_be_bytes(), ipx_packet])
}

/// An IPv4 header with `opts` 4-byte option words, then `l4`.
pub(super) fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, opts: usize, l4: &[u8]) -> Vec<u8> {
    let hl = 20 + 4 * opts;
    let mut h = vec![0u8; hl];
    h[0] = 0x40 | (hl / 4) as u8;
    h[2..4].copy_from_slice(&((hl + l4.len()) as u16).to_be_bytes());
    h[8] = 64;
    h[9] = proto;
    h[12..16].copy_from_slice(&src);
    h[16..20].copy_from_slice(&dst);
    for (i, b) in h[20..].iter_mut().enumerate() {
        *b = 0x01 + i as u8; // NOP-ish option bytes, distinct
    }
    cat(&[&h, l4])
}

pub(super) fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, l4: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 40];
    h[0] = 0x60;
    h[4..6].copy_from_slice(&(l4.len() as u16).to_be_bytes());
    h[6] = next;
    h[7] = 64;
    h[8..24].copy_from_slice(&src);
    h[24..40].copy_from_slice(&dst);
    cat(&[&h, l4])
}

/// An IPX header (30 bytes) then `payload`; sockets in host numbers.
pub(super) fn ipx(dst: [u8; 10], dst_sock: u16, src: [u8; 10], src_sock: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 30];
    h[0] = 0xFF;
    h[1] = 0xFF;
    h[2..4].copy_from_slice(&((30 + payload.len()) as u16).to_be_bytes());
    h[5] = 4;
    h[6..16].copy_from_slice(&dst);
    h[16..18].copy_from_slice(&dst_sock.to_be_bytes());
    h[18..28].copy_from_slice(&src);
    h[28..30].copy_from_slice(&src_sock.to_be_bytes());
    cat(&[&h, payload])
}

pub(super) fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[&sport.to_be_bytes(), &dport.to_be_bytes(), &((8 + payload.len()) as u16).to_be_bytes(), &[0, 0], payload])
}

pub(super) fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut h = vec![0u8; 20];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[12] = 0x50;
    h[13] = flags;
    h
}

pub(super) fn icmp_echo() -> Vec<u8> {
    vec![8, 0, 0xF7, 0xFF, 0, 1, 0, 1, b'p', b'i', b'n', b'g']
}

pub(super) fn arp(sender: [u8; 4], target: [u8; 4]) -> Vec<u8> {
    cat(&[&[0, 1, 8, 0, 6, 4, 0, 1], &A, &sender, &[0; 6], &target])
}

/// A whole Ethernet frame: A → B, IPv4 UDP 10.0.0.1:1000 → 10.0.0.2:53.
pub(super) fn udp_frame() -> Vec<u8> {
    eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b"query")))
}

// ------------------------------------------------------------------ filter builders

/// A filter from the BLOB grammar of each part (None: part not set).
pub(super) fn filt(saps: Option<&str>, etypes: Option<&str>, pairs: Option<&str>, expr: Option<&str>) -> CaptureFilter {
    try_filt(saps, etypes, pairs, expr).expect("a filter")
}

pub(super) fn try_filt(saps: Option<&str>, etypes: Option<&str>, pairs: Option<&str>, expr: Option<&str>) -> Option<CaptureFilter> {
    let saps = saps.map(|s| parse_list(s, 0xFF).unwrap());
    let etypes = etypes.map(|s| parse_list(s, 0xFFFF).unwrap());
    let table = pairs.map(|s| parse_address_table(s).unwrap());
    let e = expr.map(|s| parse_expression(s).unwrap());
    CaptureFilter::from_parts(saps.as_ref(), etypes.as_ref(), table.as_ref(), e.as_ref()).unwrap()
}

fn etypes(s: &str) -> CaptureFilter {
    filt(None, Some(s), None, None)
}

fn saps_etypes(s: &str, e: &str) -> CaptureFilter {
    filt(Some(s), Some(e), None, None)
}

fn pairs(s: &str) -> CaptureFilter {
    filt(None, None, Some(s), None)
}

fn pat(s: &str) -> CaptureFilter {
    filt(None, None, None, Some(s))
}

fn eth_ok(f: &CaptureFilter, frame: &[u8]) -> bool {
    f.matches(LINKTYPE_ETHERNET, frame)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

// ------------------------------------------------------------------ Etype / SAP

#[test]
fn documented_ipx_only_example() {
    // SAPs {0x10, 0xE0}, Etypes {0x8137}, FilterFlags 0.
    let f = saps_etypes("EXCLUDE ALL EXCEPT 0x10 0xE0", "EXCLUDE ALL EXCEPT 0x8137");
    let pkt = ipx(IPX_B, 0x452, IPX_A, 0x4000, b"sap");
    assert!(eth_ok(&f, &eth(B, A, 0x8137, &pkt)));
    assert!(eth_ok(&f, &llc(B, A, 0xE0, 0xE0, &[0x03], &pkt)));
    assert!(eth_ok(&f, &llc(B, A, 0x10, 0x10, &[0x03], b"xx")));
    assert!(eth_ok(&f, &snap(B, A, 0x8137, &pkt)));
    assert!(eth_ok(&f, &tagged(B, A, &[0x8100], 0x8137, &pkt)));
    assert!(!eth_ok(&f, &udp_frame()));
    assert!(!eth_ok(&f, &snap(B, A, 0x0800, &ipv4(IP_A, IP_B, 1, 0, &icmp_echo()))));
    assert!(!eth_ok(&f, &llc(B, A, 0x42, 0x42, &[0x03], b"stp-bpdu")));
    assert!(!eth_ok(&f, &llc(B, A, 0xF0, 0xF0, &[0x00, 0x00], b"netbios")));
    // Novell raw 802.3 is judged as DSAP 0xFF.
    assert!(!eth_ok(&f, &raw_ipx(B, A, &pkt)));
    assert!(eth_ok(&saps_etypes("EXCLUDE ALL EXCEPT 0xFF", "EXCLUDE ALL EXCEPT"), &raw_ipx(B, A, &pkt)));
}

#[test]
fn missing_list_passes_its_kind() {
    let only_etypes = etypes("EXCLUDE ALL EXCEPT 0x0800");
    assert!(eth_ok(&only_etypes, &udp_frame()));
    assert!(!eth_ok(&only_etypes, &eth(BCAST, A, 0x0806, &arp(IP_A, IP_B))));
    assert!(eth_ok(&only_etypes, &llc(B, A, 0x42, 0x42, &[0x03], b"bpdu")), "no SAP list: every SAP passes");
    let only_saps = filt(Some("EXCLUDE ALL EXCEPT 0x42"), None, None, None);
    assert!(eth_ok(&only_saps, &llc(B, A, 0x42, 0x42, &[0x03], b"bpdu")));
    assert!(!eth_ok(&only_saps, &llc(B, A, 0x43, 0x42, &[0x03], b"bpdu")));
    assert!(eth_ok(&only_saps, &eth(BCAST, A, 0x0806, &arp(IP_A, IP_B))), "no Etype list: every Etype passes");
}

#[test]
fn include_all_except_and_empty_accept_list() {
    let f = etypes("INCLUDE ALL EXCEPT 0x0800 0x86DD");
    assert!(!eth_ok(&f, &udp_frame()));
    assert!(!eth_ok(&f, &eth(B, A, 0x86DD, &ipv6(IP6_A, IP6_B, 17, &udp(1, 2, b"")))));
    assert!(eth_ok(&f, &eth(BCAST, A, 0x0806, &arp(IP_A, IP_B))));
    let none = etypes("EXCLUDE ALL EXCEPT");
    assert!(!eth_ok(&none, &udp_frame()), "an empty accept list accepts no Etype");
    assert!(eth_ok(&none, &llc(B, A, 0x42, 0x42, &[0x03], b"bpdu")));
    let all = etypes("INCLUDE ALL EXCEPT");
    assert!(eth_ok(&all, &udp_frame()));
    // Duplicates and order do not matter.
    let dup = etypes("EXCLUDE ALL EXCEPT 0x86DD 0x0800 0x0800");
    assert!(eth_ok(&dup, &udp_frame()));
}

#[test]
fn snap_judged_by_its_etype_and_llc_by_dsap() {
    let f = saps_etypes("EXCLUDE ALL EXCEPT", "EXCLUDE ALL EXCEPT 0x0800");
    let ip = ipv4(IP_A, IP_B, 1, 0, &icmp_echo());
    assert!(eth_ok(&f, &snap(B, A, 0x0800, &ip)), "SNAP: Etype 0x0800, not SAP 0xAA");
    assert!(!eth_ok(&f, &snap(B, A, 0x0806, &ip)));
    // AA AA with a control field other than 03 is not SNAP: judged by DSAP 0xAA.
    assert!(!eth_ok(&f, &llc(B, A, 0xAA, 0xAA, &[0x13], &ip)));
    let sap_aa = saps_etypes("EXCLUDE ALL EXCEPT 0xAA", "EXCLUDE ALL EXCEPT");
    assert!(eth_ok(&sap_aa, &llc(B, A, 0xAA, 0xAA, &[0x13], &ip)));
    assert!(!eth_ok(&sap_aa, &snap(B, A, 0x0800, &ip)));
    // DSAP, not SSAP.
    let sap42 = filt(Some("EXCLUDE ALL EXCEPT 0x42"), None, None, None);
    assert!(eth_ok(&sap42, &llc(B, A, 0x42, 0x99, &[0x03], b"x")));
    assert!(!eth_ok(&sap42, &llc(B, A, 0x99, 0x42, &[0x03], b"x")));
}

#[test]
fn length_versus_type_boundary() {
    let f = saps_etypes("EXCLUDE ALL EXCEPT 0x42", "EXCLUDE ALL EXCEPT 0x0600");
    // 0x0600 is an Etype.
    assert!(eth_ok(&f, &eth(B, A, 0x0600, &[0x42; 20])));
    // 0x05FF is a length: LLC with DSAP 0x42.
    assert!(eth_ok(&f, &eth(B, A, 0x05FF, &[0x42, 0x42, 0x03, 0, 0])));
    assert!(!eth_ok(&f, &eth(B, A, 0x05FF, &[0x43, 0x42, 0x03, 0, 0])));
}

#[test]
fn vlan_tags_are_skipped() {
    let f = etypes("EXCLUDE ALL EXCEPT 0x0800");
    let ip = ipv4(IP_A, IP_B, 17, 0, &udp(1, 53, b"q"));
    assert!(eth_ok(&f, &tagged(B, A, &[0x8100], 0x0800, &ip)));
    assert!(eth_ok(&f, &tagged(B, A, &[0x88A8, 0x8100], 0x0800, &ip)));
    assert!(!eth_ok(&f, &tagged(B, A, &[0x8100], 0x86DD, &ip)));
    // A third tag is judged as Etype 0x8100.
    assert!(!eth_ok(&f, &tagged(B, A, &[0x8100, 0x8100, 0x8100], 0x0800, &ip)));
    assert!(eth_ok(&etypes("EXCLUDE ALL EXCEPT 0x8100"), &tagged(B, A, &[0x8100, 0x8100, 0x8100], 0x0800, &ip)));
    // The tag's own Etype is not judged.
    assert!(!eth_ok(&etypes("EXCLUDE ALL EXCEPT 0x8100"), &tagged(B, A, &[0x8100], 0x0800, &ip)));
    // LLC inside a VLAN tag.
    let sap = filt(Some("EXCLUDE ALL EXCEPT 0x42"), Some("EXCLUDE ALL EXCEPT"), None, None);
    let body = [0x42, 0x42, 0x03, 0, 0, 0];
    assert!(eth_ok(&sap, &tagged(B, A, &[0x8100], body.len() as u16, &body)));
}

#[test]
fn truncated_frames_fail_a_present_etype_sap_part() {
    let f = etypes("INCLUDE ALL EXCEPT");
    let full = udp_frame();
    assert!(!eth_ok(&f, &full[..13]), "no type field");
    assert!(eth_ok(&f, &full[..14]), "type field present");
    let l = llc(B, A, 0x42, 0x42, &[0x03], b"");
    assert!(!eth_ok(&f, &l[..16]), "LLC cut inside its header");
    assert!(eth_ok(&f, &l[..17]));
    let s = snap(B, A, 0x0800, b"");
    assert!(!eth_ok(&f, &s[..21]), "SNAP cut before its Etype is complete");
    assert!(eth_ok(&f, &s[..22]));
    let v = tagged(B, A, &[0x8100], 0x0800, b"");
    assert!(!eth_ok(&f, &v[..17]), "cut inside the VLAN tag");
    assert!(eth_ok(&f, &v[..18]));
    assert!(!eth_ok(&f, &[]));
}

// ------------------------------------------------------------------ addresses

fn mac_pair(mode: &str, flags: u32, dst: [u8; 6], src: [u8; 6]) -> String {
    format!("{mode},0x{flags:X},ETHERNET,{},0x0,ETHERNET,{},0x0", hex(&dst), hex(&src))
}

#[test]
fn mac_pairs_direction_and_both() {
    let from_a = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, B, A));
    assert!(eth_ok(&from_a, &eth(B, A, 0x0800, b"")));
    assert!(eth_ok(&from_a, &eth(BCAST, A, 0x0806, b"")), "dst not compared");
    assert!(!eth_ok(&from_a, &eth(A, B, 0x0800, b"")), "no reverse match");
    let to_b = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_DST, B, A));
    assert!(eth_ok(&to_b, &eth(B, B, 0x0800, b"")));
    assert!(!eth_ok(&to_b, &eth(A, B, 0x0800, b"")));
    let both = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_BOTH, B, A));
    assert!(eth_ok(&both, &eth(B, A, 0x0800, b"")));
    assert!(!eth_ok(&both, &eth(B, B, 0x0800, b"")));
    assert!(!eth_ok(&both, &eth(A, B, 0x0800, b"")));
}

#[test]
fn includes_or_and_exclude_wins() {
    let two = pairs(&format!("{};{}", mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, BCAST, A), mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, BCAST, B)));
    assert!(eth_ok(&two, &eth(BCAST, A, 0x0800, b"")));
    assert!(eth_ok(&two, &eth(BCAST, B, 0x0800, b"")));
    assert!(!eth_ok(&two, &eth(BCAST, MCAST, 0x0800, b"")));
    let excl = pairs(&format!("{};{}", mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, BCAST, A), mac_pair("EXCLUDE", ADDRESS_FLAGS_MATCH_DST, B, BCAST)));
    assert!(eth_ok(&excl, &eth(MCAST, A, 0x0800, b"")));
    assert!(!eth_ok(&excl, &eth(B, A, 0x0800, b"")), "exclude wins over include");
    assert!(!eth_ok(&excl, &eth(MCAST, B, 0x0800, b"")), "no include pair matches");
    let only_excl = pairs(&mac_pair("EXCLUDE", ADDRESS_FLAGS_MATCH_SRC, BCAST, A));
    assert!(!eth_ok(&only_excl, &eth(B, A, 0x0800, b"")));
    assert!(eth_ok(&only_excl, &eth(A, B, 0x0800, b"")), "only exclude pairs: the rest passes");
}

#[test]
fn pair_without_sides_matches_everything() {
    let inc = pairs(&mac_pair("INCLUDE", 0, B, A));
    assert!(eth_ok(&inc, &eth(MCAST, MCAST, 0x0800, b"")));
    assert!(eth_ok(&inc, &[1, 2, 3]), "nothing to decide");
    let exc = pairs(&mac_pair("EXCLUDE", 0, B, A));
    assert!(!eth_ok(&exc, &udp_frame()));
}

#[test]
fn ip_pairs() {
    let f = pairs("INCLUDE,0x3,IP,10.0.0.2,0x0,IP,10.0.0.1,0x0");
    let ip = ipv4(IP_A, IP_B, 17, 0, &udp(1, 53, b"q"));
    assert!(eth_ok(&f, &eth(B, A, 0x0800, &ip)));
    assert!(eth_ok(&f, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 6, 3, &tcp(1, 2, 2)))), "options do not move the addresses");
    assert!(eth_ok(&f, &tagged(B, A, &[0x8100], 0x0800, &ip)));
    assert!(eth_ok(&f, &snap(B, A, 0x0800, &ip)));
    assert!(!eth_ok(&f, &eth(B, A, 0x0800, &ipv4(IP_B, IP_A, 17, 0, b""))), "reverse direction");
    // The same bytes at the same offsets, but not IPv4.
    assert!(!eth_ok(&f, &eth(B, A, 0x0801, &ip)));
    assert!(!eth_ok(&f, &llc(B, A, 0x06, 0x06, &[0x03], &ip)));
    let full = eth(B, A, 0x0800, &ip);
    assert!(!eth_ok(&f, &full[..14 + 19]), "destination address cut");
    assert!(eth_ok(&f, &full[..14 + 20]));
    let src_only = pairs("INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0");
    assert!(eth_ok(&src_only, &eth(B, A, 0x0800, &ipv4(IP_A, [1, 2, 3, 4], 1, 0, b""))));
    // An IPv4 exclude does not touch other protocols.
    let ex = pairs("EXCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0");
    assert!(!eth_ok(&ex, &full));
    assert!(eth_ok(&ex, &eth(BCAST, A, 0x0806, &arp(IP_A, IP_B))));
    assert!(eth_ok(&ex, &full[..10]), "a runt has no IPv4 header");
}

#[test]
fn ip6_and_ipx_pairs() {
    let f6 = pairs("INCLUDE,0x3,IP6,2001:db8::2,0x0,IP6,fe80::1,0x0");
    let p6 = ipv6(IP6_A, IP6_B, 17, &udp(1, 2, b""));
    assert!(eth_ok(&f6, &eth(B, A, 0x86DD, &p6)));
    assert!(!eth_ok(&f6, &eth(B, A, 0x86DD, &ipv6(IP6_B, IP6_A, 17, b""))));
    assert!(!eth_ok(&f6, &eth(B, A, 0x0800, &p6)));
    let fx = pairs(&format!("INCLUDE,0x3,IPX,{},0x0,IPX,{},0x0", hex(&IPX_B), hex(&IPX_A)));
    let px = ipx(IPX_B, 0x452, IPX_A, 0x4000, b"");
    assert!(eth_ok(&fx, &eth(B, A, 0x8137, &px)));
    assert!(eth_ok(&fx, &llc(B, A, 0xE0, 0xE0, &[0x03], &px)));
    assert!(eth_ok(&fx, &snap(B, A, 0x8137, &px)));
    assert!(eth_ok(&fx, &raw_ipx(B, A, &px)));
    assert!(!eth_ok(&fx, &eth(B, A, 0x8137, &ipx(IPX_A, 0x452, IPX_B, 0x4000, b""))));
    assert!(!eth_ok(&fx, &llc(B, A, 0xE1, 0xE0, &[0x03], &px)));
}

#[test]
fn group_addresses() {
    let any_group = pairs("INCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0");
    assert!(eth_ok(&any_group, &eth(BCAST, A, 0x0806, b"")));
    assert!(eth_ok(&any_group, &eth(MCAST, A, 0x0800, b"")));
    assert!(!eth_ok(&any_group, &eth(B, A, 0x0800, b"")));
    // DST_GROUP_ADDR: only the group bit of the destination, whatever DstAddress says.
    let flag = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_DST_GROUP_ADDR, B, A));
    assert!(eth_ok(&flag, &eth(MCAST, B, 0x0800, b"")));
    assert!(!eth_ok(&flag, &eth(B, A, 0x0800, b"")));
    let flag_src = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_DST_GROUP_ADDR | ADDRESS_FLAGS_MATCH_SRC, B, A));
    assert!(eth_ok(&flag_src, &eth(BCAST, A, 0x0800, b"")));
    assert!(!eth_ok(&flag_src, &eth(BCAST, B, 0x0800, b"")));
    let no_bcast = pairs("EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0");
    assert!(!eth_ok(&no_bcast, &eth(BCAST, A, 0x0800, b"")));
    assert!(eth_ok(&no_bcast, &eth(B, A, 0x0800, b"")));
    // ANY_GROUP on the source side: the source's group bit.
    let src_group = pairs("INCLUDE,0x2,ANY,,0x0,ANY GROUP,,0x0");
    assert!(eth_ok(&src_group, &eth(B, MCAST, 0x0800, b"")));
    assert!(!eth_ok(&src_group, &eth(MCAST, B, 0x0800, b"")));
}

#[test]
fn other_mac_types_and_unsupported_types() {
    let tr = pairs(&format!("INCLUDE,0x2,ANY,,0x0,TOKENRING,{},0x0", hex(&A)));
    assert!(eth_ok(&tr, &eth(B, A, 0x0800, b"")));
    let fddi = pairs(&format!("INCLUDE,0x1,FDDI,{},0x0,ANY,,0x0", hex(&B)));
    assert!(eth_ok(&fddi, &eth(B, A, 0x0800, b"")));
    assert!(!eth_ok(&fddi, &eth(A, B, 0x0800, b"")));
    let xns = pairs(&format!("INCLUDE,0x2,ANY,,0x0,XNS,{},0x0", hex(&IPX_A)));
    assert!(!eth_ok(&xns, &eth(B, A, 0x0600, &ipx(IPX_B, 1, IPX_A, 1, b""))), "XNS is never matched");
    let xns_ex = pairs(&format!("EXCLUDE,0x2,ANY,,0x0,XNS,{},0x0", hex(&IPX_A)));
    assert!(eth_ok(&xns_ex, &udp_frame()));
}

#[test]
fn undecidable_mac_on_runts() {
    let runt = &udp_frame()[..13];
    let inc = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_DST, B, A));
    assert!(!eth_ok(&inc, runt));
    let exc = pairs(&mac_pair("EXCLUDE", ADDRESS_FLAGS_MATCH_DST, A, A));
    assert!(!eth_ok(&exc, runt), "an exclude that cannot be decided excludes");
    // Decided to not match by the other side: the exclude does not apply.
    let exc_ip = pairs(&format!("EXCLUDE,0x3,ETHERNET,{},0x0,IP,10.0.0.1,0x0", hex(&B)));
    assert!(eth_ok(&exc_ip, runt), "no IPv4 in a runt: the pair cannot match");
}

// ------------------------------------------------------------------ patterns

#[test]
fn frame_patterns_and_not() {
    let f = pat("AND(OR(FRAME 12 0800))");
    assert!(eth_ok(&f, &udp_frame()));
    assert!(!eth_ok(&f, &eth(B, A, 0x0806, b"")));
    let n = pat("AND(OR(NOT FRAME 12 0800))");
    assert!(!eth_ok(&n, &udp_frame()));
    assert!(eth_ok(&n, &eth(B, A, 0x0806, b"")));
    // Short frame = different.
    let far = pat("AND(OR(FRAME 100 01))");
    let far_not = pat("AND(OR(NOT FRAME 100 01))");
    assert!(!eth_ok(&far, &udp_frame()));
    assert!(eth_ok(&far_not, &udp_frame()));
    let mut long = vec![0u8; 101];
    long[100] = 1;
    assert!(eth_ok(&far, &long));
    assert!(!eth_ok(&far_not, &long));
    // Partly beyond the end.
    let frame = udp_frame();
    let tail = format!("AND(OR(FRAME {} {}00))", frame.len() - 1, hex(&frame[frame.len() - 1..]));
    assert!(!eth_ok(&pat(&tail), &frame));
    // 16 bytes.
    let p16 = format!("AND(OR(FRAME 0 {}))", hex(&frame[..16]));
    assert!(eth_ok(&pat(&p16), &frame));
}

#[test]
fn effective_protocol_basis() {
    let p = pat("AND(OR(EFFECTIVE 0 4500))");
    let ip = ipv4(IP_A, IP_B, 1, 0, &icmp_echo());
    assert!(eth_ok(&p, &eth(B, A, 0x0800, &ip)));
    assert!(eth_ok(&p, &tagged(B, A, &[0x8100], 0x0800, &ip)));
    assert!(eth_ok(&p, &tagged(B, A, &[0x88A8, 0x8100], 0x0800, &ip)));
    assert!(eth_ok(&p, &snap(B, A, 0x0800, &ip)));
    assert!(eth_ok(&p, &llc(B, A, 0x06, 0x06, &[0x03], &ip)), "after a 1-byte control field");
    assert!(eth_ok(&p, &llc(B, A, 0x06, 0x06, &[0x00, 0x01], &ip)), "after a 2-byte control field");
    assert!(!eth_ok(&p, &llc(B, A, 0x06, 0x06, &[0x03, 0x00], &ip)));
    let px = pat("AND(OR(EFFECTIVE 0 FFFF))");
    assert!(eth_ok(&px, &raw_ipx(B, A, &ipx(IPX_B, 1, IPX_A, 2, b""))), "raw 802.3: IPX at 14");
    // Truncated before the effective protocol is known: fails, NOT too.
    let n = pat("AND(OR(NOT EFFECTIVE 0 4500))");
    let s = snap(B, A, 0x0800, &ip);
    assert!(!eth_ok(&n, &s[..20]));
    assert!(!eth_ok(&n, &s[..10]));
    // Known, but the frame ends there: different.
    assert!(eth_ok(&n, &s[..22]));
}

#[test]
fn ip_basis_and_ports() {
    let proto = pat("AND(OR(IP 9 11))");
    assert!(eth_ok(&proto, &udp_frame()));
    assert!(!eth_ok(&proto, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 6, 0, &tcp(1, 2, 2)))));
    let not_proto = pat("AND(OR(NOT IP 9 11))");
    assert!(!eth_ok(&not_proto, &eth(BCAST, A, 0x0806, &arp(IP_A, IP_B))), "no IPv4: fails even with NOT");
    assert!(eth_ok(&not_proto, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 6, 0, &tcp(1, 2, 2)))));
    // UDP destination port 53, offset from the end of the IP header (IHL honoured).
    let dns = pat("AND(OR(IP PORT 0x11 2 0035))");
    assert!(eth_ok(&dns, &udp_frame()));
    assert!(eth_ok(&dns, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 2, &udp(9, 53, b"")))));
    assert!(eth_ok(&dns, &tagged(B, A, &[0x8100], 0x0800, &ipv4(IP_A, IP_B, 17, 1, &udp(9, 53, b"")))));
    assert!(!eth_ok(&dns, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(53, 9, b"")))));
    // TCP port 53 has protocol 6: port check fails, NOT does not help.
    let tcp53 = eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 6, 0, &tcp(9, 53, 2)));
    assert!(!eth_ok(&dns, &tcp53));
    assert!(!eth_ok(&pat("AND(OR(NOT IP PORT 0x11 2 0035))"), &tcp53));
    assert!(eth_ok(&pat("AND(OR(NOT IP PORT 0x11 2 0035))"), &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(9, 54, b"")))));
    // Port only: any UDP.
    assert!(eth_ok(&pat("AND(OR(IP PORT 0x11 0 -))"), &udp_frame()));
    // Header cut before the protocol byte: fails.
    let full = udp_frame();
    assert!(!eth_ok(&pat("AND(OR(NOT IP PORT 0x11 0 -))"), &full[..14 + 9]));
}

#[test]
fn ip6_and_ipx_bases() {
    let p6 = eth(B, A, 0x86DD, &ipv6(IP6_A, IP6_B, 17, &udp(5, 53, b"")));
    assert!(eth_ok(&pat("AND(OR(IP6 6 11))"), &p6));
    assert!(eth_ok(&pat("AND(OR(IP6 PORT 0x11 2 0035))"), &p6));
    assert!(!eth_ok(&pat("AND(OR(IP6 PORT 0x06 2 0035))"), &p6));
    assert!(!eth_ok(&pat("AND(OR(NOT IP6 0 60))"), &udp_frame()), "no IPv6");
    // IPX: socket 0x0452 (SAP) stored byte-swapped, as a WORD in memory order.
    let sock = u16::from_ne_bytes(0x0452u16.to_be_bytes());
    let px = eth(BCAST, A, 0x8137, &ipx(IPX_B, 0x0452, IPX_A, 0x4000, b"\x00\x03"));
    assert!(eth_ok(&pat(&format!("AND(OR(IPX PORT 0x{sock:X} 0 0003))")), &px));
    let other = u16::from_ne_bytes(0x0453u16.to_be_bytes());
    assert!(!eth_ok(&pat(&format!("AND(OR(NOT IPX PORT 0x{other:X} 0 0003))")), &px));
    assert!(eth_ok(&pat("AND(OR(IPX 5 04))"), &px));
    assert!(eth_ok(&pat("AND(OR(IPX 5 04))"), &llc(B, A, 0xE0, 0xE0, &[0x03], &ipx(IPX_B, 1, IPX_A, 2, b""))));
}

#[test]
fn and_of_or_groups_question_2() {
    // AND(OR(a, b), OR(c, d)): a = UDP, b = TCP, c = dst 10.0.0.2, d = dst 10.0.0.3.
    let f = pat("AND(OR(IP 9 11,IP 9 06),OR(IP 16 0A000002,IP 16 0A000003))");
    let mk = |proto: u8, dst: [u8; 4]| eth(B, A, 0x0800, &ipv4(IP_A, dst, proto, 0, b"xxxxxxxx"));
    assert!(eth_ok(&f, &mk(17, [10, 0, 0, 2])));
    assert!(eth_ok(&f, &mk(6, [10, 0, 0, 3])));
    assert!(eth_ok(&f, &mk(17, [10, 0, 0, 3])));
    assert!(!eth_ok(&f, &mk(1, [10, 0, 0, 2])), "first group fails");
    assert!(!eth_ok(&f, &mk(17, [10, 0, 0, 4])), "second group fails");
    assert!(!eth_ok(&f, &mk(1, [10, 0, 0, 4])));
}

#[test]
fn empty_groups_and_zero_length_patterns() {
    assert!(try_filt(None, None, None, Some("AND()")).is_none());
    assert!(try_filt(None, None, None, Some("AND(OR())")).is_none(), "an empty group is ignored");
    let f = pat("AND(OR(),OR(FRAME 12 0800))");
    assert!(eth_ok(&f, &udp_frame()));
    assert!(!eth_ok(&f, &eth(B, A, 0x0806, b"")));
    let z = pat("AND(OR(FRAME 20 -))");
    assert!(eth_ok(&z, &[0u8; 20]));
    assert!(!eth_ok(&z, &[0u8; 19]));
}

#[test]
fn all_parts_must_pass() {
    let f = filt(None, Some("EXCLUDE ALL EXCEPT 0x0800"), Some("INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0"), Some("AND(OR(IP PORT 0x11 2 0035))"));
    assert!(eth_ok(&f, &udp_frame()));
    assert!(!eth_ok(&f, &eth(B, A, 0x0800, &ipv4(IP_B, IP_B, 17, 0, &udp(1, 53, b"")))));
    assert!(!eth_ok(&f, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(1, 54, b"")))));
    assert!(!eth_ok(&f, &snap(B, A, 0x0806, &ipv4(IP_A, IP_B, 17, 0, &udp(1, 53, b"")))));
}

// ------------------------------------------------------------------ other link types

#[test]
fn raw_ip_link_types() {
    let ip = ipv4(IP_A, IP_B, 17, 0, &udp(1, 53, b"q"));
    let ip6 = ipv6(IP6_A, IP6_B, 6, &tcp(1, 2, 2));
    let f = filt(None, Some("EXCLUDE ALL EXCEPT 0x0800"), Some("INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0"), Some("AND(OR(IP PORT 0x11 2 0035))"));
    for lt in [DLT_RAW, 14, LINKTYPE_RAW, LINKTYPE_IPV4] {
        assert!(f.matches(lt, &ip), "link type {lt}");
    }
    assert!(!f.matches(LINKTYPE_RAW, &ip6));
    assert!(f.matches(LINKTYPE_RAW, &ipv4(IP_A, IP_B, 17, 1, &udp(1, 53, b""))));
    let e6 = etypes("EXCLUDE ALL EXCEPT 0x86DD");
    assert!(e6.matches(LINKTYPE_RAW, &ip6));
    assert!(e6.matches(LINKTYPE_IPV6, &ip6));
    assert!(!e6.matches(LINKTYPE_RAW, &[0x50, 0, 0]), "version 5: type unknown");
    assert!(!e6.matches(LINKTYPE_RAW, &[]));
    // Effective protocol = frame start; FRAME basis works.
    assert!(pat("AND(OR(EFFECTIVE 0 45))").matches(LINKTYPE_RAW, &ip));
    assert!(pat("AND(OR(FRAME 9 11))").matches(LINKTYPE_RAW, &ip));
    // No MAC addresses: an include cannot be certain, an exclude might match.
    assert!(!pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, B, A)).matches(LINKTYPE_RAW, &ip));
    assert!(!pairs(&mac_pair("EXCLUDE", ADDRESS_FLAGS_MATCH_SRC, B, A)).matches(LINKTYPE_RAW, &ip));
    assert!(!pairs("EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0").matches(LINKTYPE_RAW, &ip));
    // A MAC include ORed with a certain IP include passes.
    let either = pairs(&format!("{};INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0", mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, B, A)));
    assert!(either.matches(LINKTYPE_RAW, &ip));
    assert!(pairs("INCLUDE,0x3,IP6,2001:db8::2,0x0,IP6,fe80::1,0x0").matches(LINKTYPE_RAW, &ip6));
}

/// A Linux cooked (SLL) frame.
pub(super) fn sll(pkttype: u16, src: Option<[u8; 6]>, proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 16];
    h[0..2].copy_from_slice(&pkttype.to_be_bytes());
    h[2..4].copy_from_slice(&1u16.to_be_bytes());
    if let Some(m) = src {
        h[4..6].copy_from_slice(&6u16.to_be_bytes());
        h[6..12].copy_from_slice(&m);
    }
    h[14..16].copy_from_slice(&proto.to_be_bytes());
    cat(&[&h, payload])
}

#[test]
fn linux_cooked() {
    let ip = ipv4(IP_A, IP_B, 17, 0, &udp(1, 53, b"q"));
    let lt = LINKTYPE_LINUX_SLL;
    assert!(etypes("EXCLUDE ALL EXCEPT 0x0800").matches(lt, &sll(0, Some(A), 0x0800, &ip)));
    assert!(!etypes("EXCLUDE ALL EXCEPT 0x0800").matches(lt, &sll(0, Some(A), 0x86DD, &ip)));
    assert!(pat("AND(OR(IP PORT 0x11 2 0035))").matches(lt, &sll(4, None, 0x0800, &ip)));
    assert!(pairs("INCLUDE,0x3,IP,10.0.0.2,0x0,IP,10.0.0.1,0x0").matches(lt, &sll(0, None, 0x0800, &ip)));
    let from_a = pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_SRC, B, A));
    assert!(from_a.matches(lt, &sll(0, Some(A), 0x0800, &ip)));
    assert!(!from_a.matches(lt, &sll(0, Some(B), 0x0800, &ip)));
    assert!(!from_a.matches(lt, &sll(0, None, 0x0800, &ip)), "no source address");
    assert!(!pairs(&mac_pair("INCLUDE", ADDRESS_FLAGS_MATCH_DST, B, A)).matches(lt, &sll(0, Some(A), 0x0800, &ip)));
    let group = pairs("INCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0");
    assert!(group.matches(lt, &sll(1, Some(A), 0x0800, &ip)));
    assert!(group.matches(lt, &sll(2, Some(A), 0x0800, &ip)));
    assert!(!group.matches(lt, &sll(0, Some(A), 0x0800, &ip)));
    assert!(!group.matches(lt, &sll(4, Some(A), 0x0800, &ip)), "outgoing: unknown");
    let no_group = pairs("EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0");
    assert!(no_group.matches(lt, &sll(3, Some(A), 0x0800, &ip)));
    assert!(!no_group.matches(lt, &sll(4, Some(A), 0x0800, &ip)));
    // 802.2 and raw 802.3 protocols, VLAN tag.
    let sap = saps_etypes("EXCLUDE ALL EXCEPT 0x42", "EXCLUDE ALL EXCEPT");
    assert!(sap.matches(lt, &sll(0, None, 0x0004, &[0x42, 0x42, 0x03])));
    let ipxp = ipx(IPX_B, 1, IPX_A, 2, b"");
    assert!(pat("AND(OR(IPX 0 FFFF))").matches(lt, &sll(0, None, 0x0001, &ipxp)));
    assert!(!sap.matches(lt, &sll(0, None, 0x0003, &[0x42, 0x42, 0x03])), "unknown protocol");
    let mut tagged_ip = vec![0x00, 0x05, 0x08, 0x00];
    tagged_ip.extend_from_slice(&ip);
    assert!(etypes("EXCLUDE ALL EXCEPT 0x0800").matches(lt, &sll(0, None, 0x8100, &tagged_ip)));
    assert!(!etypes("INCLUDE ALL EXCEPT").matches(lt, &sll(0, None, 0x0800, b"")[..15]));
}

#[test]
fn unknown_link_type_decides_what_it_can() {
    let lt = 9999;
    let frame = udp_frame();
    assert!(pat("AND(OR(FRAME 12 0800))").matches(lt, &frame));
    assert!(!pat("AND(OR(EFFECTIVE 0 45))").matches(lt, &frame));
    assert!(!etypes("INCLUDE ALL EXCEPT").matches(lt, &frame));
    assert!(pairs("INCLUDE,0x3,ANY,,0x0,ANY,,0x0").matches(lt, &frame));
    assert!(!pairs("INCLUDE,0x3,IP,10.0.0.2,0x0,ANY,,0x0").matches(lt, &frame));
    assert!(!pairs("EXCLUDE,0x3,IP,10.0.0.9,0x0,ANY,,0x0").matches(lt, &frame), "might match: excluded");
    assert!(pairs(&format!("EXCLUDE,0x3,XNS,{},0x0,ANY,,0x0", hex(&IPX_A))).matches(lt, &frame), "XNS never matches");
}

// ------------------------------------------------------------------ construction

#[test]
fn from_blob_reads_the_four_tags() {
    let mut b = Blob::new();
    assert_eq!(CaptureFilter::from_blob(&b), Ok(None));
    b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_FRAME_SIZE, "64").unwrap();
    assert_eq!(CaptureFilter::from_blob(&b), Ok(None), "other tags are not filter parts");
    b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, "").unwrap();
    b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, "AND()").unwrap();
    assert_eq!(CaptureFilter::from_blob(&b), Ok(None), "empty parts are absent");

    b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ETYPES, "EXCLUDE ALL EXCEPT 0x8137").unwrap();
    let f = CaptureFilter::from_blob(&b).unwrap().unwrap();
    assert!(f.matches(1, &eth(B, A, 0x8137, b"")));
    assert!(!f.matches(1, &udp_frame()));
    assert!(f.matches(1, &llc(B, A, 0x42, 0x42, &[3], b"")), "Saps missing: all SAPs");
    b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS, "EXCLUDE ALL EXCEPT 0xE0").unwrap();
    let f = CaptureFilter::from_blob(&b).unwrap().unwrap();
    assert!(!f.matches(1, &llc(B, A, 0x42, 0x42, &[3], b"")));

    let mut b2 = Blob::new();
    b2.set_str("npp", "config", "saps", "EXCLUDE ALL EXCEPT 0x42").unwrap();
    let f = CaptureFilter::from_blob(&b2).unwrap().unwrap();
    assert!(f.matches(1, &udp_frame()), "Etypes missing: all Etypes");
    assert!(!f.matches(1, &llc(B, A, 0xE0, 0xE0, &[3], b"")));

    let mut b3 = Blob::new();
    b3.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, "INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0").unwrap();
    b3.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, "AND(OR(IP PORT 17 2 0035))").unwrap();
    let f = CaptureFilter::from_blob(&b3).unwrap().unwrap();
    assert!(f.matches(1, &udp_frame()));
    assert!(!f.matches(1, &eth(B, A, 0x0800, &ipv4(IP_B, IP_B, 17, 0, &udp(1, 53, b"")))));
    assert!(!f.matches(1, &eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(1, 5, b"")))));
}

#[test]
fn from_blob_errors() {
    for (tag, bad) in [
        (TAG_SAPS, "EXCLUDE ALL EXCEPT 0x100"),
        (TAG_ETYPES, "SOME 0x800"),
        (TAG_ADDRESS_PAIR, "INCLUDE,0x3,IP,10.0.0,0x0,ANY,,0x0"),
        (TAG_PATTERN_DESIGNATOR, "AND(OR(FRAME 0 GG))"),
        (TAG_PATTERN_DESIGNATOR, "AND(OR(FRAME 0 000102030405060708090A0B0C0D0E0F10))"),
    ] {
        let mut b = Blob::new();
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, tag, bad).unwrap();
        assert_eq!(CaptureFilter::from_blob(&b), Err(NMERR_BLOB_CONVERSION_ERROR), "{tag} = {bad}");
    }
}

#[test]
fn from_parts_validates() {
    let mut e = parse_expression("AND(OR(FRAME 0 00))").unwrap();
    e.AndExp[0].PatternMatch[0].OffsetBasis = 5;
    assert_eq!(CaptureFilter::from_parts(None, None, None, Some(&e)), Err(NMERR_BLOB_CONVERSION_ERROR));
    e.AndExp[0].PatternMatch[0].OffsetBasis = 0;
    e.AndExp[0].PatternMatch[0].Length = 17;
    assert_eq!(CaptureFilter::from_parts(None, None, None, Some(&e)), Err(NMERR_BLOB_CONVERSION_ERROR));
    e.AndExp[0].PatternMatch[0].Length = 1;
    e.nAndExps = 5;
    assert_eq!(CaptureFilter::from_parts(None, None, None, Some(&e)), Err(NMERR_BLOB_CONVERSION_ERROR));
    e.nAndExps = 1;
    e.AndExp[0].nPatternMatches = 5;
    assert_eq!(CaptureFilter::from_parts(None, None, None, Some(&e)), Err(NMERR_BLOB_CONVERSION_ERROR));
    let mut t = ADDRESSTABLE2 { nAddressPairs: 9, ..Default::default() };
    assert_eq!(CaptureFilter::from_parts(None, None, Some(&t), None), Err(NMERR_BLOB_CONVERSION_ERROR));
    t.nAddressPairs = 0;
    assert_eq!(CaptureFilter::from_parts(None, None, Some(&t), None), Ok(None));
    let big_sap = ListFilter { include_all: false, values: vec![0x100] };
    assert_eq!(CaptureFilter::from_parts(Some(&big_sap), None, None, None), Err(NMERR_BLOB_CONVERSION_ERROR));
    let empty = ListFilter { include_all: false, values: vec![] };
    assert!(CaptureFilter::from_parts(Some(&empty), None, None, None).unwrap().is_some(), "an empty list is a part");
}

#[test]
fn trigger_pattern_check() {
    let e = parse_expression("AND(OR(FRAME 0 4500))").unwrap();
    let p = e.AndExp[0].PatternMatch[0];
    let frame = udp_frame();
    assert!(!pattern_check(1, &frame, &p, false));
    assert!(pattern_check(1, &frame, &p, true), "data-relative: from the effective protocol");
    let q = parse_expression("AND(OR(IP PORT 0x11 2 0035))").unwrap().AndExp[0].PatternMatch[0];
    assert!(pattern_check(1, &frame, &q, false));
    let mut bad = q;
    bad.OffsetBasis = 9;
    assert!(!pattern_check(1, &frame, &bad, false));
}

// ------------------------------------------------------------------ to_bpf basics

#[test]
fn to_bpf_link_types_and_limits() {
    let f = etypes("EXCLUDE ALL EXCEPT 0x0800");
    assert!(f.to_bpf(LINKTYPE_ETHERNET).is_some());
    for lt in [DLT_RAW, 14, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6] {
        assert!(f.to_bpf(lt).is_some(), "link type {lt}");
    }
    assert_eq!(f.to_bpf(LINKTYPE_LINUX_SLL), None);
    assert_eq!(f.to_bpf(9999), None);
    // Nothing can pass: libpcap refuses a reject-all program, so the fixed spelling.
    let nothing = saps_etypes("EXCLUDE ALL EXCEPT", "EXCLUDE ALL EXCEPT");
    assert_eq!(nothing.to_bpf(1).as_deref(), Some("len < 0"));
    assert!(!nothing.matches(1, &udp_frame()));
    // Everything passes.
    let all = pairs("INCLUDE,0x0,ANY,,0x0,ANY,,0x0");
    assert_eq!(all.to_bpf(1).as_deref(), Some("len >= 0"));
    // A list too long for the kernel's 4096 instructions.
    let many: Vec<String> = (0x0600..0x1E00).map(|v| format!("0x{v:X}")).collect();
    let huge = etypes(&format!("EXCLUDE ALL EXCEPT {}", many.join(" ")));
    assert_eq!(huge.to_bpf(1), None);
}

#[test]
fn to_bpf_text_is_explicit() {
    let f = etypes("EXCLUDE ALL EXCEPT 0x8137");
    let t = bpf::expression_text(&f, 1).unwrap();
    assert!(t.contains("ether[12:2] = 0x8137"), "{t}");
    assert!(t.contains("ether[16:2] = 0x8137"), "VLAN: {t}");
    assert!(t.contains("ether[20:2] = 0x8137"), "SNAP: {t}");
    assert!(!t.contains(" ip ") && !t.contains("vlan"), "{t}");
}
