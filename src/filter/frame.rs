//! How the filter reads a frame: one pass over the link-layer headers gives a [`View`] that the
//! three filter parts are evaluated on. The BPF translation (`bpf.rs`) follows exactly the same
//! decisions, case by case; the equivalence test keeps the two in step.

/// Ethernet (DLT_EN10MB / LINKTYPE_ETHERNET).
pub(crate) const LINKTYPE_ETHERNET: u32 = 1;
/// Raw IP as libpcap reports it on Linux (DLT_RAW) and on OpenBSD, and as stored in files.
pub(crate) const DLT_RAW: u32 = 12;
pub(crate) const DLT_RAW_OPENBSD: u32 = 14;
pub(crate) const LINKTYPE_RAW: u32 = 101;
/// Linux cooked capture v1 (the "any" device).
pub(crate) const LINKTYPE_LINUX_SLL: u32 = 113;
/// Raw IPv4 / raw IPv6 without a link-layer header.
pub(crate) const LINKTYPE_IPV4: u32 = 228;
pub(crate) const LINKTYPE_IPV6: u32 = 229;

pub(crate) const ETYPE_IP: u16 = 0x0800;
pub(crate) const ETYPE_IP6: u16 = 0x86DD;
pub(crate) const ETYPE_IPX: u16 = 0x8137;
pub(crate) const ETYPE_VLAN: u16 = 0x8100;
pub(crate) const ETYPE_QINQ: u16 = 0x88A8;
/// Values of the type/length field below this are an 802.3 length ("LLC follows").
pub(crate) const ETHERNET_FRAME_TYPE: u16 = 0x0600;
/// VLAN tags skipped before the type is judged (a third tag is judged as an Etype).
pub(crate) const MAX_VLAN_TAGS: usize = 2;
pub(crate) const SAP_IPX: u8 = 0xE0;
pub(crate) const SAP_SNAP: u8 = 0xAA;
/// Novell "raw 802.3": IPX directly after the length field, starting with its 0xFFFF checksum.
/// Judged by the SAP rule as DSAP 0xFF (the byte where the DSAP would be).
pub(crate) const SAP_RAW_IPX: u8 = 0xFF;
/// Linux cooked capture: `sll_protocol` values below 0x0600 that say what follows.
pub(crate) const SLL_PROTO_802_3: u16 = 0x0001;
pub(crate) const SLL_PROTO_802_2: u16 = 0x0004;
pub(crate) const SLL_HDR_LEN: usize = 16;

/// What decides the Etype/SAP part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Etype(u16),
    Sap(u8),
    /// The frame ends before its type could be read (or the link type does not say).
    Unknown,
}

/// The network-layer header the frame carries, and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    None,
    Ip4(usize),
    Ip6(usize),
    Ipx(usize),
}

/// The facts the filter needs about one frame. `None` means "cannot be decided for this frame
/// (or this link type)", which is different from "absent".
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub f: &'a [u8],
    /// Offsets of the 6-byte destination / source MAC addresses.
    pub mac_dst: Option<usize>,
    pub mac_src: Option<usize>,
    /// The destination is a group (broadcast/multicast) address.
    pub group: Option<bool>,
    pub ty: Ty,
    /// Start of the effective protocol (after the Ethernet/VLAN/LLC/SNAP headers).
    pub payload: Option<usize>,
    /// The 802.2 DSAP (0xAA for SNAP), 0 for frames without an 802.2 header.
    pub dsap: u8,
    pub net: Option<Net>,
}

fn be16(f: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([f[at], f[at + 1]])
}

pub(crate) fn net_for_etype(e: u16, p: usize) -> Net {
    match e {
        ETYPE_IP => Net::Ip4(p),
        ETYPE_IP6 => Net::Ip6(p),
        ETYPE_IPX => Net::Ipx(p),
        _ => Net::None,
    }
}

/// Type, effective protocol, network layer, and the 802.2 DSAP (0 when the frame has no 802.2
/// header; 0xAA for SNAP, whose type is the Etype inside it).
type Upper = (Ty, Option<usize>, Net, u8);

/// A frame that ends inside its link-layer headers: no type, no effective protocol, and no room
/// for a network-layer header.
const TRUNCATED: Upper = (Ty::Unknown, None, Net::None, 0);

fn ethernet2(f: &[u8], t: usize) -> Upper {
    let e = be16(f, t);
    (Ty::Etype(e), Some(t + 2), net_for_etype(e, t + 2), 0)
}

/// 802.2 LLC (or SNAP, or Novell raw 802.3) starting at `p`.
fn llc(f: &[u8], p: usize) -> Upper {
    let n = f.len();
    if n >= p + 2 && f[p] == 0xFF && f[p + 1] == 0xFF {
        return (Ty::Sap(SAP_RAW_IPX), Some(p), Net::Ipx(p), SAP_RAW_IPX);
    }
    if n < p + 3 {
        return TRUNCATED;
    }
    if f[p] == SAP_SNAP && f[p + 1] == SAP_SNAP && f[p + 2] == 0x03 {
        if n < p + 8 {
            return TRUNCATED;
        }
        // OUI (3 bytes) not checked: the Etype after it decides.
        let e = be16(f, p + 6);
        return (Ty::Etype(e), Some(p + 8), net_for_etype(e, p + 8), SAP_SNAP);
    }
    let dsap = f[p];
    // U-format control fields are one byte, I- and S-format two.
    let hdr = if f[p + 2] & 3 == 3 { 3 } else { 4 };
    let net = if dsap == SAP_IPX { Net::Ipx(p + hdr) } else { Net::None };
    (Ty::Sap(dsap), Some(p + hdr), net, dsap)
}

fn is_vlan(v: u16) -> bool {
    v == ETYPE_VLAN || v == ETYPE_QINQ
}

/// Skips up to two VLAN tags from the type field at `t`; then Ethernet or SLL rules.
fn after_type_field(f: &[u8], mut t: usize, sll: bool) -> Upper {
    let mut tags = 0;
    loop {
        if f.len() < t + 2 {
            return TRUNCATED;
        }
        let v = be16(f, t);
        if is_vlan(v) && tags < MAX_VLAN_TAGS {
            tags += 1;
            t += 4;
            continue;
        }
        if v >= ETHERNET_FRAME_TYPE {
            return ethernet2(f, t);
        }
        if !sll {
            return llc(f, t + 2);
        }
        return match v {
            SLL_PROTO_802_2 => llc(f, t + 2),
            SLL_PROTO_802_3 => (Ty::Sap(SAP_RAW_IPX), Some(t + 2), Net::Ipx(t + 2), SAP_RAW_IPX),
            _ => (Ty::Unknown, Some(t + 2), Net::None, 0),
        };
    }
}

pub fn view(linktype: u32, f: &[u8]) -> View<'_> {
    let unknown = View { f, mac_dst: None, mac_src: None, group: None, ty: Ty::Unknown, payload: None, dsap: 0, net: None };
    match linktype {
        LINKTYPE_ETHERNET => {
            if f.len() < 14 {
                return View { net: Some(Net::None), ..unknown };
            }
            let (ty, payload, net, dsap) = after_type_field(f, 12, false);
            View { f, mac_dst: Some(0), mac_src: Some(6), group: Some(f[0] & 1 == 1), ty, payload, dsap, net: Some(net) }
        }
        DLT_RAW | DLT_RAW_OPENBSD | LINKTYPE_RAW => {
            let (ty, net) = match f.first().map(|b| b >> 4) {
                Some(4) => (Ty::Etype(ETYPE_IP), Net::Ip4(0)),
                Some(6) => (Ty::Etype(ETYPE_IP6), Net::Ip6(0)),
                _ => (Ty::Unknown, Net::None),
            };
            View { ty, payload: Some(0), net: Some(net), ..unknown }
        }
        LINKTYPE_IPV4 => View { ty: Ty::Etype(ETYPE_IP), payload: Some(0), net: Some(Net::Ip4(0)), ..unknown },
        LINKTYPE_IPV6 => View { ty: Ty::Etype(ETYPE_IP6), payload: Some(0), net: Some(Net::Ip6(0)), ..unknown },
        LINKTYPE_LINUX_SLL => {
            if f.len() < SLL_HDR_LEN {
                return View { net: Some(Net::None), ..unknown };
            }
            // sll_pkttype: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us
            // (destination unknown).
            let group = match be16(f, 0) {
                0 | 3 => Some(false),
                1 | 2 => Some(true),
                _ => None,
            };
            // sll_halen 6: the sender's MAC address is at 6.
            let mac_src = if be16(f, 4) == 6 { Some(6) } else { None };
            let (ty, payload, net, dsap) = after_type_field(f, 14, true);
            View { f, mac_dst: None, mac_src, group, ty, payload, dsap, net: Some(net) }
        }
        _ => unknown,
    }
}
