//! The capture filter (SDK h.3, README, "Filters"): the Etype/SAP part, the address part and the pattern
//! part of `NPP:Config`, evaluated per frame in user space ([`CaptureFilter::matches`]) and
//! translated to the libpcap filter language for the kernel ([`CaptureFilter::to_bpf`]). A frame
//! is kept when it passes every part that is present. The two paths agree frame for frame
//! (`equiv_tests.rs` checks it by running the compiled BPF program over a corpus).
//!
//! # Rules (where the SDK leaves room, the choice is marked *choice*)
//!
//! **Reading the frame** (Ethernet, link type 1):
//! * A frame shorter than 14 bytes has no MAC header: its type, addresses and effective protocol
//!   cannot be decided.
//! * *Choice*: up to two VLAN tags (TPID 0x8100 or 0x88A8, 4 bytes each) are skipped; the frame is
//!   judged by the type field after them (a third tag is judged as Etype 0x8100), and the
//!   effective protocol starts after that type field. This also keeps the kernel and the user
//!   space in step when the NIC strips the outer tag (the kernel filter then sees the untagged
//!   frame): only FRAME-based pattern offsets past byte 12 differ in that case.
//! * Type field ≥ 0x0600: Ethernet II, the Etype decides; the effective protocol follows it.
//! * Type field < 0x0600 (802.3 length): 802.2 LLC follows at `p`.
//!   * `FF FF` at `p` (*choice*): Novell raw 802.3. Judged by the SAP rule as DSAP 0xFF (the
//!     byte where the DSAP would be); IPX starts at `p`.
//!   * `AA AA 03` (SNAP): the Etype after the 3-byte OUI (any OUI) decides; the effective
//!     protocol starts after it (`p + 8`).
//!   * Otherwise the DSAP decides by the SAP rule; the effective protocol starts after the
//!     control field, which is 1 byte for U-format (`control & 3 == 3`) and 2 bytes otherwise.
//!     DSAP 0xE0 means IPX at the effective protocol.
//!   * A frame that ends inside the LLC or SNAP header (or inside a VLAN tag) has no type and no
//!     effective protocol (*choice*: it then fails a present Etype/SAP part).
//! * IPv4 = Etype 0x0800, IPv6 = Etype 0x86DD, IPX = Etype 0x8137 or DSAP 0xE0 or raw 802.3. The
//!   IP version nibble is not checked on Ethernet.
//!
//! **Other link types**: raw IP (DLT_RAW 12/14, LINKTYPE_RAW 101: IPv4 or IPv6 by the version
//! nibble, judged as Etype 0x0800/0x86DD), LINKTYPE_IPV4 228 and LINKTYPE_IPV6 229: no MAC
//! addresses; the effective protocol is the frame start. Linux cooked capture (113): the
//! `sll_protocol` field is the type field (VLAN tags skipped as above; 0x0004 = LLC follows,
//! 0x0001 = raw 802.3 IPX, other values below 0x0600 = unknown type); the source MAC is known when
//! `sll_halen` is 6, the destination MAC never; the group bit comes from `sll_pkttype` (1, 2:
//! group; 0, 3: not; 4 outgoing: unknown). Any other link type: only what needs no link header
//! can be decided (FRAME patterns, ANY addresses).
//!
//! **Undecidable facts** (a MAC address on raw IP, the type of a truncated frame ...): a frame
//! passes only when every present part is *decided* to pass. So: a pattern whose basis cannot be
//! found fails (whether NOT or not); an EXCLUDE pair that might match excludes; an INCLUDE pair
//! includes only when it certainly matches.
//!
//! **Etype/SAP** (h.3.1, README, "Filters"): present when `Saps` or `Etypes` is set; a missing one of the
//! two passes everything of its kind. An accept list (EXCLUDE ALL EXCEPT) passes only its values
//! (empty: nothing of that kind); an exception list (INCLUDE ALL EXCEPT) passes everything else.
//! A frame whose type cannot be decided fails.
//!
//! **Addresses** (h.3.2 [REC]): pass = (no INCLUDE pair, or one matches) and no EXCLUDE pair
//! matches. A pair matches when each side it selects matches, in the stated direction only:
//! `MATCH_DST` compares the frame's destination with `DstAddress`, `MATCH_SRC` the source with
//! `SrcAddress`; a pair that selects no side matches every frame. `DST_GROUP_ADDR` (*choice*):
//! the destination side is the group bit of the destination MAC (the `DstAddress` value is not
//! compared), whether or not `MATCH_DST` is set. Address types: ETHERNET, TOKENRING, FDDI compare
//! the MAC header addresses (no bit reversal); IP the IPv4 header's (source at 12, destination at
//! 16), IP6 the IPv6 header's (8, 24), IPX network + node (10 bytes; destination at 6, source at
//! 18 of the IPX header) — a frame without that header, or too short to hold the address, does
//! not match; ANY matches everything; ANY_GROUP matches when that side's MAC address has the
//! group bit (*choice* for the source side); other types (XNS, VINES IP, ATM ...) never match.
//! The ADDRESS2 `Flags` (NORMALIZE, BIT_REVERSE) and `nNonMacAddressPairs` are not used.
//!
//! **Patterns** (h.3.3): the EXPRESSION ANDs its groups, each group ORs its patterns; *choice*:
//! a group with no pattern is ignored (passes), like an expression with no group. One pattern:
//! the basis (FRAME: frame start; EFFECTIVE_PROTOCOL: see above; IP/IP6/IPX: that header's start,
//! or the pattern fails when the frame does not carry it) plus `Offset`, compare `Length` bytes;
//! equal xor NOT → pass; a frame too short counts as "different". `PORT_SPECIFIED` with basis
//! IP: the IPv4 protocol byte must equal `Port.IPPort` and the offset counts from the end of the
//! IPv4 header (IHL × 4, taken as it is); IP6: NextHeader must equal `Port.NextHeader`, the
//! offset counts from byte 40 (extension headers not walked); IPX: the destination socket must
//! equal the two bytes of `Port.ByteSwappedIPXPort` in memory (network) order, the offset counts
//! from byte 30. *Choice*: a port that differs, or a header too short to read it, fails the
//! pattern like a missing basis (NOT does not turn it into a pass). `PORT_SPECIFIED` with another
//! basis is ignored. A zero-length pattern is "equal" when the offset is within the frame.
//!
//! # For the capture engine
//!
//! * `matches` must see the whole frame: the filter comes before clipping (h.3.4). With a
//!   snap length shorter than the frame, a pattern or address beyond it reads as "different" /
//!   "no match". So either filter in the kernel (`to_bpf`: the kernel judges the whole frame,
//!   and `len` there is the wire length) and do not judge again in user space, or capture whole
//!   frames, judge them with `matches`, and clip afterwards.
//! * Judging again in user space after the kernel filter is not always neutral: with VLAN
//!   offload the kernel filter sees the frame without its outer tag while libpcap hands user
//!   space the frame with the tag put back, so FRAME-based patterns past byte 12 differ (all
//!   other rules are unaffected: they skip the tag either way).
//! * `linktype` is what `pcap_datalink` reports (DLT_RAW 12 for raw IP on Linux is understood).
//! * Cost: `matches` parses the link-layer headers once and needs no allocation (about 15 ns per
//!   frame in a release build for a filter with all three parts); `to_bpf` compiles the
//!   expression once to check it (a few milliseconds).
//! * The `Pattern` tag (one PATTERNMATCH) is not a filter part; only `PatternMatch` is read.

mod bpf;
mod expr;
pub(crate) mod frame;

pub use expr::{expression_of, BpfFilter};

#[cfg(test)]
mod equiv_tests;
#[cfg(test)]
mod tests;

use crate::blob::filters::{self, ListFilter};
use crate::blob::names::*;
use crate::blob::Blob;
use crate::nmerr::*;
use crate::types::*;
use frame::{Net, Ty, View};
#[cfg(test)]
use frame::{DLT_RAW, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_RAW};

/// One list of the Etype/SAP part, ready for lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
struct List {
    include_all: bool,
    /// Sorted, without duplicates.
    values: Vec<u16>,
}

impl List {
    fn new(l: &ListFilter) -> List {
        let mut values = l.values.clone();
        values.sort_unstable();
        values.dedup();
        List { include_all: l.include_all, values }
    }

    fn passes(&self, v: u16) -> bool {
        self.values.binary_search(&v).is_ok() != self.include_all
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct EtypeSap {
    /// None: that kind all passes.
    saps: Option<List>,
    etypes: Option<List>,
}

/// What one side of an address pair compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Mac([u8; 6]),
    Ip4([u8; 4]),
    Ip6([u8; 16]),
    Ipx([u8; 10]),
    Any,
    /// That side's MAC address is a group address (ANY_GROUP, or DST_GROUP_ADDR on the
    /// destination).
    Group,
    /// An address type the filter cannot compare.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pair {
    exclude: bool,
    /// None: that side is not compared.
    dst: Option<Side>,
    src: Option<Side>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
    Frame,
    Effective,
    /// With PORT_SPECIFIED: the IPv4 protocol number.
    Ip(Option<u8>),
    /// With PORT_SPECIFIED: the IPv6 NextHeader.
    Ip6(Option<u8>),
    /// With PORT_SPECIFIED: the destination socket in network order.
    Ipx(Option<[u8; 2]>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    not: bool,
    basis: Basis,
    offset: u16,
    bytes: Vec<u8>,
}

/// The capture filter of a configuration. Absent parts pass every frame; a `CaptureFilter` has
/// at least one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureFilter {
    etype_sap: Option<EtypeSap>,
    /// Pairs, at least one when present.
    addresses: Option<Vec<Pair>>,
    /// Groups (ANDed) of patterns (ORed); empty groups are dropped; at least one group.
    patterns: Option<Vec<Vec<Pattern>>>,
}

/// The first N bytes of an address union.
fn head<const N: usize>(b: &[u8; 16]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn side(a: &ADDRESS2, is_dst: bool, flags: u32) -> Side {
    if is_dst && flags & ADDRESS_FLAGS_DST_GROUP_ADDR != 0 {
        return Side::Group;
    }
    let b = a.Address;
    match a.Type {
        ADDRESS_TYPE_ETHERNET | ADDRESS_TYPE_TOKENRING | ADDRESS_TYPE_FDDI => Side::Mac(head(&b)),
        ADDRESS_TYPE_IP => Side::Ip4(head(&b)),
        ADDRESS_TYPE_IP6 => Side::Ip6(b),
        ADDRESS_TYPE_IPX => Side::Ipx(head(&b)),
        ADDRESS_TYPE_ANY => Side::Any,
        ADDRESS_TYPE_ANY_GROUP => Side::Group,
        _ => Side::Never,
    }
}

fn pattern(p: &PATTERNMATCH) -> NmResult<Pattern> {
    let bad = NMERR_BLOB_CONVERSION_ERROR;
    if p.Length as u32 > MAX_PATTERN_LENGTH {
        return Err(bad);
    }
    let port = p.Flags & PATTERN_MATCH_FLAGS_PORT_SPECIFIED != 0;
    // SAFETY: GENERIC_PORT is two plain bytes; every member is valid for any bit pattern (the
    // one-byte members read the first byte).
    let (ip_port, ipx_port) = unsafe { (p.Port.IPPort, p.Port.ByteSwappedIPXPort) };
    let basis = match p.OffsetBasis as u32 {
        OFFSET_BASIS_RELATIVE_TO_FRAME => Basis::Frame,
        OFFSET_BASIS_RELATIVE_TO_EFFECTIVE_PROTOCOL => Basis::Effective,
        OFFSET_BASIS_RELATIVE_TO_IP => Basis::Ip(port.then_some(ip_port)),
        OFFSET_BASIS_RELATIVE_TO_IP6 => Basis::Ip6(port.then_some(ip_port)),
        OFFSET_BASIS_RELATIVE_TO_IPX => Basis::Ipx(port.then_some(ipx_port.to_ne_bytes())),
        _ => return Err(bad),
    };
    Ok(Pattern { not: p.Flags & PATTERN_MATCH_FLAGS_NOT != 0, basis, offset: p.Offset, bytes: p.PatternToMatch[..p.Length as usize].to_vec() })
}

impl CaptureFilter {
    /// The filter of a configuration BLOB (`NPP:Config:Saps`, `Etypes`, `AddressPair`,
    /// `PatternMatch`); `Ok(None)` when the BLOB has none of the parts (or only empty ones).
    /// Errors: those of the parts' parsers (`NMERR_BLOB_CONVERSION_ERROR`).
    pub fn from_blob(b: &Blob) -> NmResult<Option<CaptureFilter>> {
        let text = |tag: &str| b.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), tag.as_bytes()).ok();
        let saps = text(TAG_SAPS).map(|s| filters::parse_list(&s, 0xFF)).transpose()?;
        let etypes = text(TAG_ETYPES).map(|s| filters::parse_list(&s, 0xFFFF)).transpose()?;
        let table = text(TAG_ADDRESS_PAIR).map(|s| filters::parse_address_table(&s)).transpose()?;
        let expr = text(TAG_PATTERN_DESIGNATOR).map(|s| filters::parse_expression(&s)).transpose()?;
        CaptureFilter::from_parts(saps.as_ref(), etypes.as_ref(), table.as_ref(), expr.as_ref())
    }

    /// The filter of the parsed parts. The Etype/SAP part is present when `saps` or `etypes` is
    /// given (a missing one passes its whole kind); an address table with no pair and an
    /// expression with no group are absent. `Ok(None)` when no part is present;
    /// `NMERR_BLOB_CONVERSION_ERROR` for counts beyond 8 pairs / 4 groups / 4 patterns, an
    /// unknown offset basis or a pattern longer than 16 bytes.
    pub fn from_parts(
        saps: Option<&ListFilter>,
        etypes: Option<&ListFilter>,
        addresses: Option<&ADDRESSTABLE2>,
        expression: Option<&EXPRESSION>,
    ) -> NmResult<Option<CaptureFilter>> {
        let bad = NMERR_BLOB_CONVERSION_ERROR;
        if saps.is_some_and(|s| s.values.iter().any(|v| *v > 0xFF)) {
            return Err(bad);
        }
        let etype_sap = (saps.is_some() || etypes.is_some()).then(|| EtypeSap { saps: saps.map(List::new), etypes: etypes.map(List::new) });
        let addresses = match addresses {
            Some(t) if t.nAddressPairs > MAX_ADDRESS_PAIRS => return Err(bad),
            Some(t) if t.nAddressPairs > 0 => Some(
                t.AddressPair[..t.nAddressPairs as usize]
                    .iter()
                    .map(|p| {
                        let flags = p.AddressFlags as u32;
                        let dst_sel = flags & (ADDRESS_FLAGS_MATCH_DST | ADDRESS_FLAGS_DST_GROUP_ADDR) != 0;
                        let src_sel = flags & ADDRESS_FLAGS_MATCH_SRC != 0;
                        Pair {
                            exclude: flags & ADDRESS_FLAGS_EXCLUDE != 0,
                            dst: dst_sel.then(|| side(&p.DstAddress, true, flags)),
                            src: src_sel.then(|| side(&p.SrcAddress, false, flags)),
                        }
                    })
                    .collect(),
            ),
            _ => None,
        };
        let patterns = match expression {
            Some(e) if e.nAndExps > MAX_PATTERNS => return Err(bad),
            Some(e) => {
                let mut groups = Vec::new();
                for g in &e.AndExp[..e.nAndExps as usize] {
                    if g.nPatternMatches > MAX_PATTERNS {
                        return Err(bad);
                    }
                    let pats = g.PatternMatch[..g.nPatternMatches as usize].iter().map(pattern).collect::<NmResult<Vec<_>>>()?;
                    if !pats.is_empty() {
                        groups.push(pats);
                    }
                }
                (!groups.is_empty()).then_some(groups)
            }
            None => None,
        };
        if etype_sap.is_none() && addresses.is_none() && patterns.is_none() {
            return Ok(None);
        }
        Ok(Some(CaptureFilter { etype_sap, addresses, patterns }))
    }

    /// True when the frame passes the filter. `linktype` is a LINKTYPE_* or DLT_* value as
    /// libpcap reports it (see the module documentation for the ones understood). `frame` must be
    /// the whole frame (filter before clipping). No allocation; cost is a few byte comparisons
    /// per list entry, pair and pattern.
    pub fn matches(&self, linktype: u32, frame: &[u8]) -> bool {
        self.matches_view(&frame::view(linktype, frame))
    }

    /// [`matches`](Self::matches) on a frame already parsed (the capture thread parses each frame
    /// once, for the filter, the trigger and the FRAME_DESCRIPTOR).
    pub fn matches_view(&self, v: &View) -> bool {
        self.etype_sap.as_ref().map_or(true, |es| etype_sap_passes(es, v))
            && self.addresses.as_ref().map_or(true, |pairs| addresses_pass(pairs, v))
            && self.patterns.as_ref().map_or(true, |groups| groups.iter().all(|g| g.iter().any(|p| pattern_passes(p, v))))
    }

    /// A libpcap filter expression (for a capture handle of this `linktype`) that accepts exactly
    /// the frames [`matches`](Self::matches) accepts, or `None` when it cannot be written: a link
    /// type other than Ethernet (1) or raw IP (12, 14, 101, 228, 229), a program beyond the
    /// kernel's 4096 instructions (long Etype/SAP lists: each list entry is tested at each place
    /// an Etype can sit), or a program that libpcap's optimizer got wrong (it reads scratch
    /// memory it never wrote; the kernel would refuse it). Then filter in user space only. The
    /// expression is compiled (with optimization, as `Capture::filter(expr, true)` does) and
    /// checked before it is returned; a filter that rejects everything comes back as `len < 0`
    /// (libpcap refuses a program that is only "reject"), one that accepts everything as
    /// `len >= 0`.
    pub fn to_bpf(&self, linktype: u32) -> Option<String> {
        bpf::to_bpf(self, linktype)
    }
}

/// Evaluates one trigger pattern (SDK h.4, PatternCheck of the capture engine): the pattern part
/// rules of h.3.3 for a single PATTERNMATCH; `data_relative` (TRIGGER_FLAGS_DATA_RELATIVE) makes
/// a FRAME basis count from the effective protocol. False for a malformed pattern.
pub fn pattern_check(linktype: u32, frame: &[u8], p: &PATTERNMATCH, data_relative: bool) -> bool {
    pattern_check_view(&frame::view(linktype, frame), p, data_relative)
}

/// [`pattern_check`] on a frame already parsed.
pub fn pattern_check_view(v: &View, p: &PATTERNMATCH, data_relative: bool) -> bool {
    let Ok(mut p) = pattern(p) else {
        return false;
    };
    if data_relative && p.basis == Basis::Frame {
        p.basis = Basis::Effective;
    }
    pattern_passes(&p, v)
}

fn etype_sap_passes(es: &EtypeSap, v: &View) -> bool {
    match v.ty {
        Ty::Etype(e) => es.etypes.as_ref().map_or(true, |l| l.passes(e)),
        Ty::Sap(s) => es.saps.as_ref().map_or(true, |l| l.passes(s as u16)),
        Ty::Unknown => false,
    }
}

fn bytes_at(f: &[u8], at: usize, want: &[u8]) -> bool {
    f.get(at..at + want.len()) == Some(want)
}

/// Three-valued: None = cannot be decided for this frame.
fn side_matches(s: &Side, is_dst: bool, v: &View) -> Option<bool> {
    let f = v.f;
    let net =
        |want: fn(&Net) -> Option<usize>, rel: usize, addr: &[u8]| -> Option<bool> { v.net.map(|n| want(&n).is_some_and(|o| bytes_at(f, o + rel, addr))) };
    match s {
        Side::Mac(m) => {
            let at = if is_dst { v.mac_dst } else { v.mac_src };
            at.map(|o| bytes_at(f, o, m))
        }
        Side::Ip4(a) => net(|n| if let Net::Ip4(o) = n { Some(*o) } else { None }, if is_dst { 16 } else { 12 }, a),
        Side::Ip6(a) => net(|n| if let Net::Ip6(o) = n { Some(*o) } else { None }, if is_dst { 24 } else { 8 }, a),
        Side::Ipx(a) => net(|n| if let Net::Ipx(o) = n { Some(*o) } else { None }, if is_dst { 6 } else { 18 }, a),
        Side::Any => Some(true),
        Side::Group if is_dst => v.group,
        Side::Group => v.mac_src.map(|o| f[o] & 1 == 1),
        Side::Never => Some(false),
    }
}

fn pair_matches(p: &Pair, v: &View) -> Option<bool> {
    let d = p.dst.as_ref().map_or(Some(true), |s| side_matches(s, true, v));
    let s = p.src.as_ref().map_or(Some(true), |s| side_matches(s, false, v));
    match (d, s) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn addresses_pass(pairs: &[Pair], v: &View) -> bool {
    let mut any_include = false;
    let mut included = false;
    for p in pairs {
        let m = pair_matches(p, v);
        if p.exclude {
            // An exclude that might match excludes.
            if m != Some(false) {
                return false;
            }
        } else {
            any_include = true;
            included |= m == Some(true);
        }
    }
    !any_include || included
}

/// Start of the compared bytes' basis, or None when the basis (or its port) is missing.
fn basis_start(b: &Basis, v: &View) -> Option<usize> {
    let f = v.f;
    match *b {
        Basis::Frame => Some(0),
        Basis::Effective => v.payload,
        Basis::Ip(port) => {
            let Some(Net::Ip4(o)) = v.net else { return None };
            match port {
                None => Some(o),
                Some(p) => (f.len() >= o + 10 && f[o + 9] == p).then(|| o + ((f[o] & 0xF) as usize) * 4),
            }
        }
        Basis::Ip6(port) => {
            let Some(Net::Ip6(o)) = v.net else { return None };
            match port {
                None => Some(o),
                Some(p) => (f.len() >= o + 7 && f[o + 6] == p).then_some(o + 40),
            }
        }
        Basis::Ipx(port) => {
            let Some(Net::Ipx(o)) = v.net else { return None };
            match port {
                None => Some(o),
                Some(p) => bytes_at(f, o + 16, &p).then_some(o + 30),
            }
        }
    }
}

fn pattern_passes(p: &Pattern, v: &View) -> bool {
    match basis_start(&p.basis, v) {
        None => false,
        Some(base) => bytes_at(v.f, base + p.offset as usize, &p.bytes) != p.not,
    }
}
