//! Translation of a [`CaptureFilter`] to the libpcap filter language.
//!
//! The frame reader (`frame.rs`) takes one of a fixed set of paths through the link-layer
//! headers (no MAC header; 0, 1 or 2 VLAN tags; then Ethernet II, raw 802.3, SNAP, LLC with a 1-
//! or 2-byte control field, or a truncation). Here the same reader is a decision [`Tree`] whose
//! branch conditions are byte tests, and whose leaves ([`Layout`]) hold the constant offsets that
//! follow from the path. The filter is written out under every leaf, with constants folded; a
//! branch whose two sides give the same expression disappears, and `(c and X) or (not c and Y)`
//! is what remains of the others.
//!
//! Only explicit byte loads (`ether[off:size]`, which libpcap reads from the start of the frame
//! for every link type) and `len` are used: libpcap's protocol keywords (`ip`, `vlan`, `llc` ...)
//! have their own ideas (e.g. `vlan` moves later offsets, and uses Linux's VLAN-offload
//! metadata). A load beyond the frame makes a BPF program reject the frame at once (even under
//! `not`), so every load is guarded by a `len >=` test evaluated first; the tree's conditions
//! carry the guards of their own loads.
//!
//! Every offset is a constant: the end of an IPv4 header (PORT_SPECIFIED) is written as one
//! case per IHL value. A computed offset (`ether[14 + ((ether[14] & 0xf) << 2) + 2:2]`) or a
//! `len >= <expression>` makes libpcap keep values in scratch memory, and libpcap 1.10.3's
//! optimizer was seen to read a scratch slot on a path that never wrote it (wrong answers in
//! user space; a program the kernel refuses). As a safety net, every program is checked the
//! way the kernel checks scratch memory before the expression is handed out.

use super::frame::*;
use super::{Basis, CaptureFilter, List, Pair, Pattern, Side};

/// Classic BPF programs longer than this are refused by the Linux kernel (BPF_MAXINSNS).
const MAX_INSNS: usize = 4096;
/// Every frame with a MAC header has at least this many bytes (the guard of MAC comparisons).
const MAC_HDR: usize = 14;

#[derive(Clone, Debug, PartialEq)]
enum Bx {
    True,
    False,
    Atom(String),
    Not(Box<Bx>),
    And(Vec<Bx>),
    Or(Vec<Bx>),
}

fn atom(s: String) -> Bx {
    Bx::Atom(s)
}

/// AND, in order (earlier terms guard the loads of later ones), with constants folded.
fn and(items: impl IntoIterator<Item = Bx>) -> Bx {
    let mut out = Vec::new();
    for b in items {
        match b {
            Bx::True => {}
            Bx::False => return Bx::False,
            Bx::And(v) => out.extend(v),
            b => out.push(b),
        }
    }
    match out.len() {
        0 => Bx::True,
        1 => out.pop().unwrap_or(Bx::True),
        _ => Bx::And(out),
    }
}

fn or(items: impl IntoIterator<Item = Bx>) -> Bx {
    let mut out = Vec::new();
    for b in items {
        match b {
            Bx::False => {}
            Bx::True => return Bx::True,
            Bx::Or(v) => out.extend(v),
            b => out.push(b),
        }
    }
    match out.len() {
        0 => Bx::False,
        1 => out.pop().unwrap_or(Bx::False),
        _ => Bx::Or(out),
    }
}

fn not(b: Bx) -> Bx {
    match b {
        Bx::True => Bx::False,
        Bx::False => Bx::True,
        Bx::Not(x) => *x,
        // Length tests are negated in place (easier to read).
        Bx::Atom(s) if s.starts_with("len < ") => Bx::Atom(s.replacen("len < ", "len >= ", 1)),
        Bx::Atom(s) if s.starts_with("len >= ") => Bx::Atom(s.replacen("len >= ", "len < ", 1)),
        b => Bx::Not(Box::new(b)),
    }
}

fn render(b: &Bx) -> String {
    fn wrap(b: &Bx) -> String {
        match b {
            Bx::Atom(s) => s.clone(),
            b => format!("({})", render(b)),
        }
    }
    match b {
        Bx::True => "len >= 0".into(),
        Bx::False => "len < 0".into(),
        Bx::Atom(s) => s.clone(),
        Bx::Not(x) => format!("not ({})", render(x)),
        Bx::And(v) => v.iter().map(wrap).collect::<Vec<_>>().join(" and "),
        Bx::Or(v) => v.iter().map(wrap).collect::<Vec<_>>().join(" or "),
    }
}

fn load(at: usize, size: usize) -> String {
    match size {
        1 => format!("ether[{at}]"),
        _ => format!("ether[{at}:{size}]"),
    }
}

fn eq(at: usize, size: usize, value: u32) -> Bx {
    atom(format!("{} = 0x{value:x}", load(at, size)))
}

/// The frame holds at least `n` bytes (`True` when `known` says so already).
fn len_ge(n: usize, known: usize) -> Bx {
    if n <= known {
        Bx::True
    } else {
        atom(format!("len >= {n}"))
    }
}

fn len_lt(n: usize) -> Bx {
    atom(format!("len < {n}"))
}

/// The frame holds `bytes` at `at` (false when it is too short); `known`: a length the caller
/// already guarantees.
fn bytes_eq(at: usize, bytes: &[u8], known: usize) -> Bx {
    let mut terms = vec![len_ge(at + bytes.len(), known)];
    let mut i = 0;
    while i < bytes.len() {
        let size = match bytes.len() - i {
            n if n >= 4 => 4,
            n if n >= 2 => 2,
            _ => 1,
        };
        let v = bytes[i..i + size].iter().fold(0u32, |a, b| (a << 8) | *b as u32);
        terms.push(eq(at + i, size, v));
        i += size;
    }
    and(terms)
}

#[derive(Clone, Copy, Debug)]
enum LTy {
    /// Etype in the 2 bytes at this offset.
    EtypeAt(usize),
    /// DSAP in the byte at this offset.
    SapAt(usize),
    Etype(u16),
    Sap(u8),
    Unknown,
}

/// One path of the frame reader (a leaf of the [`Tree`]). Loads of the fields that the path
/// itself tested (`ip4` ...) need no guard.
#[derive(Clone, Debug)]
struct Layout {
    mac_dst: Option<usize>,
    mac_src: Option<usize>,
    /// Destination is a group address; None: cannot be decided.
    group: Option<Bx>,
    ty: LTy,
    payload: Option<usize>,
    /// Whether IPv4 / IPv6 / IPX starts at `payload`.
    ip4: Bx,
    ip6: Bx,
    ipx: Bx,
}

impl Layout {
    fn bare(ty: LTy, payload: Option<usize>) -> Layout {
        Layout { mac_dst: None, mac_src: None, group: None, ty, payload, ip4: Bx::False, ip6: Bx::False, ipx: Bx::False }
    }

    /// The frame ends inside the link-layer headers.
    fn truncated() -> Layout {
        Layout::bare(LTy::Unknown, None)
    }

    /// Etype at `x` (Ethernet II, SNAP): the network layer follows it.
    fn etype_at(x: usize) -> Layout {
        Layout {
            ip4: eq(x, 2, ETYPE_IP as u32),
            ip6: eq(x, 2, ETYPE_IP6 as u32),
            ipx: eq(x, 2, ETYPE_IPX as u32),
            ..Layout::bare(LTy::EtypeAt(x), Some(x + 2))
        }
    }

    /// With an Ethernet MAC header.
    fn mac(self) -> Tree {
        Tree::Leaf(Layout { mac_dst: Some(0), mac_src: Some(6), group: Some(atom("ether[0] & 1 = 1".into())), ..self })
    }
}

/// The frame reader as a decision tree: `cond` (whose loads the conditions above it guard)
/// chooses `then` or `other`.
#[derive(Clone, Debug)]
enum Tree {
    Leaf(Layout),
    Branch { cond: Bx, then: Box<Tree>, other: Box<Tree> },
}

fn branch(cond: Bx, then: Tree, other: Tree) -> Tree {
    Tree::Branch { cond, then: Box::new(then), other: Box::new(other) }
}

/// 802.2 LLC, SNAP or raw 802.3 at `p`.
fn llc_tree(p: usize) -> Tree {
    let raw = and([len_ge(p + 2, 0), eq(p, 2, 0xFFFF)]);
    let raw_leaf = Layout { ipx: Bx::True, ..Layout::bare(LTy::Sap(SAP_RAW_IPX), Some(p)) }.mac();
    let is_snap = and([eq(p, 2, 0xAAAA), eq(p + 2, 1, 3)]);
    let snap = branch(len_lt(p + 8), Layout::truncated().mac(), Layout::etype_at(p + 6).mac());
    let llc = |hdr: usize| Layout { ipx: eq(p, 1, SAP_IPX as u32), ..Layout::bare(LTy::SapAt(p), Some(p + hdr)) }.mac();
    // U-format control fields are one byte, I- and S-format two.
    let plain = branch(atom(format!("ether[{}] & 3 = 3", p + 2)), llc(3), llc(4));
    branch(raw, raw_leaf, branch(len_lt(p + 3), Layout::truncated().mac(), branch(is_snap, snap, plain)))
}

/// After the type/length field at `t`.
fn type_tree(t: usize) -> Tree {
    branch(atom(format!("{} >= 0x600", load(t, 2))), Layout::etype_at(t).mac(), llc_tree(t + 2))
}

/// At the type field `t`, after `tags` VLAN tags.
fn tags_tree(t: usize, tags: usize) -> Tree {
    if tags == MAX_VLAN_TAGS {
        return type_tree(t);
    }
    let vlan = or([eq(t, 2, ETYPE_VLAN as u32), eq(t, 2, ETYPE_QINQ as u32)]);
    let tagged = branch(len_lt(t + 6), Layout::truncated().mac(), tags_tree(t + 4, tags + 1));
    branch(vlan, tagged, type_tree(t))
}

fn ethernet_tree() -> Tree {
    branch(len_lt(MAC_HDR), Tree::Leaf(Layout::truncated()), tags_tree(12, 0))
}

fn raw_ip_tree() -> Tree {
    let version = |n: u32| atom(format!("ether[0] & 0xf0 = 0x{:x}", n << 4));
    let v4 = Tree::Leaf(Layout { ip4: Bx::True, ..Layout::bare(LTy::Etype(ETYPE_IP), Some(0)) });
    let v6 = Tree::Leaf(Layout { ip6: Bx::True, ..Layout::bare(LTy::Etype(ETYPE_IP6), Some(0)) });
    let other = || Tree::Leaf(Layout::bare(LTy::Unknown, Some(0)));
    branch(len_lt(1), other(), branch(version(4), v4, branch(version(6), v6, other())))
}

/// The reader of a link type, and the DLT to compile with; None when not translated. Linux
/// cooked capture is not: libpcap rewrites loads of the SLL header for the kernel (which does not
/// see it) and the kernel's `len` does not count it, so the kernel would judge differently.
fn tree(linktype: u32) -> Option<(Tree, i32)> {
    let leaf = |ty: u16| Layout::bare(LTy::Etype(ty), Some(0));
    match linktype {
        LINKTYPE_ETHERNET => Some((ethernet_tree(), 1)),
        DLT_RAW | DLT_RAW_OPENBSD | LINKTYPE_RAW => Some((raw_ip_tree(), DLT_RAW as i32)),
        LINKTYPE_IPV4 => Some((Tree::Leaf(Layout { ip4: Bx::True, ..leaf(ETYPE_IP) }), LINKTYPE_IPV4 as i32)),
        LINKTYPE_IPV6 => Some((Tree::Leaf(Layout { ip6: Bx::True, ..leaf(ETYPE_IP6) }), LINKTYPE_IPV6 as i32)),
        _ => None,
    }
}

fn list_bx(l: &List, at: usize, size: usize) -> Bx {
    let m = or(l.values.iter().map(|v| eq(at, size, *v as u32)));
    if l.include_all {
        not(m)
    } else {
        m
    }
}

fn etype_sap_bx(f: &CaptureFilter, l: &Layout) -> Bx {
    let Some(es) = &f.etype_sap else { return Bx::True };
    let konst = |b: bool| if b { Bx::True } else { Bx::False };
    match l.ty {
        LTy::EtypeAt(x) => es.etypes.as_ref().map_or(Bx::True, |e| list_bx(e, x, 2)),
        LTy::SapAt(x) => es.saps.as_ref().map_or(Bx::True, |s| list_bx(s, x, 1)),
        LTy::Etype(e) => konst(es.etypes.as_ref().map_or(true, |x| x.passes(e))),
        LTy::Sap(s) => konst(es.saps.as_ref().map_or(true, |x| x.passes(s as u16))),
        LTy::Unknown => Bx::False,
    }
}

/// None: cannot be decided under this layout.
fn side_bx(s: &Side, is_dst: bool, l: &Layout) -> Option<Bx> {
    let net = |present: &Bx, rel: usize, addr: &[u8]| -> Bx {
        match l.payload {
            Some(p) => and([present.clone(), bytes_eq(p + rel, addr, 0)]),
            None => Bx::False,
        }
    };
    match s {
        Side::Mac(m) => (if is_dst { l.mac_dst } else { l.mac_src }).map(|o| bytes_eq(o, m, MAC_HDR)),
        Side::Ip4(a) => Some(net(&l.ip4, if is_dst { 16 } else { 12 }, a)),
        Side::Ip6(a) => Some(net(&l.ip6, if is_dst { 24 } else { 8 }, a)),
        Side::Ipx(a) => Some(net(&l.ipx, if is_dst { 6 } else { 18 }, a)),
        Side::Any => Some(Bx::True),
        Side::Group if is_dst => l.group.clone(),
        Side::Group => l.mac_src.map(|o| atom(format!("ether[{o}] & 1 = 1"))),
        Side::Never => Some(Bx::False),
    }
}

/// (certainly matches, might match).
fn pair_bx(p: &Pair, l: &Layout) -> (Bx, Bx) {
    let sides: Vec<Option<Bx>> = [p.dst.map(|s| side_bx(&s, true, l)), p.src.map(|s| side_bx(&s, false, l))].into_iter().flatten().collect();
    let must = and(sides.iter().map(|s| s.clone().unwrap_or(Bx::False)));
    let may = and(sides.iter().map(|s| s.clone().unwrap_or(Bx::True)));
    (must, may)
}

fn addresses_bx(f: &CaptureFilter, l: &Layout) -> Bx {
    let Some(pairs) = &f.addresses else { return Bx::True };
    let excluded = or(pairs.iter().filter(|p| p.exclude).map(|p| pair_bx(p, l).1));
    let includes: Vec<&Pair> = pairs.iter().filter(|p| !p.exclude).collect();
    let included = if includes.is_empty() { Bx::True } else { or(includes.iter().map(|p| pair_bx(p, l).0)) };
    and([not(excluded), included])
}

/// The pattern's bytes compared at `base` (+ its offset), NOT applied.
fn compare_at(p: &Pattern, base: usize) -> Bx {
    let same = bytes_eq(base + p.offset as usize, &p.bytes, 0);
    if p.not {
        not(same)
    } else {
        same
    }
}

fn pattern_bx(p: &Pattern, l: &Layout) -> Bx {
    if p.basis == Basis::Frame {
        return compare_at(p, 0);
    }
    let Some(at) = l.payload else { return Bx::False };
    match p.basis {
        Basis::Frame => compare_at(p, 0),
        Basis::Effective => compare_at(p, at),
        Basis::Ip(None) => and([l.ip4.clone(), compare_at(p, at)]),
        // The end of the IPv4 header, one case per IHL value: a computed offset
        // (`ether[14 + ((ether[14] & 0xf) << 2) ...]`) needs scratch memory, which libpcap 1.10's
        // optimizer gets wrong.
        Basis::Ip(Some(port)) => and([
            l.ip4.clone(),
            len_ge(at + 10, 0),
            eq(at + 9, 1, port as u32),
            or((0..16).map(|ihl| and([atom(format!("ether[{at}] & 0xf = {ihl}")), compare_at(p, at + 4 * ihl)]))),
        ]),
        Basis::Ip6(None) => and([l.ip6.clone(), compare_at(p, at)]),
        Basis::Ip6(Some(nh)) => and([l.ip6.clone(), len_ge(at + 7, 0), eq(at + 6, 1, nh as u32), compare_at(p, at + 40)]),
        Basis::Ipx(None) => and([l.ipx.clone(), compare_at(p, at)]),
        Basis::Ipx(Some(sock)) => and([l.ipx.clone(), bytes_eq(at + 16, &sock, 0), compare_at(p, at + 30)]),
    }
}

fn patterns_bx(f: &CaptureFilter, l: &Layout) -> Bx {
    let Some(groups) = &f.patterns else { return Bx::True };
    and(groups.iter().map(|g| or(g.iter().map(|p| pattern_bx(p, l)))))
}

/// The filter under every path of the reader; a branch whose two sides come out the same is
/// dropped (its condition does not matter).
fn fold(t: &Tree, f: &CaptureFilter) -> Bx {
    match t {
        Tree::Leaf(l) => and([etype_sap_bx(f, l), addresses_bx(f, l), patterns_bx(f, l)]),
        Tree::Branch { cond, then, other } => {
            let (a, b) = (fold(then, f), fold(other, f));
            if a == b {
                return a;
            }
            match (a, b) {
                (Bx::True, b) => or([cond.clone(), b]),
                (a, Bx::True) => or([not(cond.clone()), a]),
                (a, b) => or([and([cond.clone(), a]), and([not(cond.clone()), b])]),
            }
        }
    }
}

/// The whole filter as one expression tree (before the compile check).
fn expression(f: &CaptureFilter, linktype: u32) -> Option<(Bx, i32)> {
    let (t, dlt) = tree(linktype)?;
    Some((fold(&t, f), dlt))
}

/// Number of comparisons in the tree (each costs at least one instruction).
fn atoms(b: &Bx) -> usize {
    match b {
        Bx::True | Bx::False => 0,
        Bx::Atom(_) => 1,
        Bx::Not(x) => atoms(x),
        Bx::And(v) | Bx::Or(v) => v.iter().map(atoms).sum(),
    }
}

/// The kernel's check of a classic BPF program's scratch memory (Linux
/// `check_load_and_stores`): no path reads M[k] before storing it. libpcap 1.10's optimizer
/// can produce programs that do (the kernel then refuses them, and in user space the result
/// depends on whatever the scratch memory held).
pub(super) fn scratch_memory_valid(p: &pcap::BpfProgram) -> bool {
    let mut code = Vec::new();
    for i in p.get_instructions() {
        // Displayed as "code jt jf k" (the fields are private).
        let f: Vec<u64> = i.to_string().split(' ').filter_map(|x| x.parse().ok()).collect();
        let [c, jt, jf, k] = f[..] else { return false };
        code.push((c as u16, jt as usize, jf as usize, k as usize));
    }
    scratch_valid(&code)
}

/// [`scratch_memory_valid`] on instructions as (code, jt, jf, k).
pub(super) fn scratch_valid(code: &[(u16, usize, usize, usize)]) -> bool {
    const ST: u16 = 0x02;
    const STX: u16 = 0x03;
    const LD_MEM: u16 = 0x60;
    const LDX_MEM: u16 = 0x61;
    const JA: u16 = 0x05;
    const CLASS_JMP: u16 = 0x05;
    const CLASS_RET: u16 = 0x06;
    // Bit k of valid[pc]: M[k] is stored on every path to pc.
    let mut valid = vec![u16::MAX; code.len() + 1];
    valid[0] = 0;
    for (pc, &(c, jt, jf, k)) in code.iter().enumerate() {
        let mut v = valid[pc];
        if c == ST || c == STX {
            if k >= 16 {
                return false;
            }
            v |= 1 << k;
        }
        if (c == LD_MEM || c == LDX_MEM) && (k >= 16 || v & (1 << k) == 0) {
            return false;
        }
        let targets: &[usize] = match c & 7 {
            CLASS_RET => &[],
            CLASS_JMP if c == JA => &[k],
            CLASS_JMP => &[jt, jf],
            _ => &[0],
        };
        for t in targets {
            match valid.get_mut(pc + 1 + t) {
                Some(m) => *m &= v,
                None => return false,
            }
        }
    }
    true
}

pub(super) fn to_bpf(f: &CaptureFilter, linktype: u32) -> Option<String> {
    let (bx, dlt) = expression(f, linktype)?;
    // Too big for the kernel in any case; and libpcap's optimizer takes minutes on tens of
    // thousands of comparisons, so do not even try.
    if atoms(&bx) > MAX_INSNS {
        return None;
    }
    let text = render(&bx);
    let cap = pcap::Capture::dead(pcap::Linktype(dlt)).ok()?;
    match cap.compile(&text, true) {
        Ok(p) if p.get_instructions().len() <= MAX_INSNS && scratch_memory_valid(&p) => Some(text),
        Ok(_) => None,
        // The optimizer proved that nothing passes; it refuses such a program.
        Err(e) if e.to_string().contains("rejects all packets") => Some(render(&Bx::False)),
        Err(_) => None,
    }
}

#[cfg(test)]
pub(super) fn expression_text(f: &CaptureFilter, linktype: u32) -> Option<String> {
    expression(f, linktype).map(|(b, _)| render(&b))
}
