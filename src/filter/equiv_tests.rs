//! The kernel path and the user-space path agree: for a corpus of crafted frames and a set of
//! filters, the BPF program compiled from `to_bpf` (run in user space by libpcap's
//! `pcap_offline_filter`) accepts exactly the frames that `matches` accepts.

use super::tests::*;
use super::*;

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Network-layer packets: (Etype, packet).
fn packets() -> Vec<(u16, Vec<u8>)> {
    let c = [10, 0, 0, 3];
    vec![
        (0x0800, ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b"query"))),
        (0x0800, ipv4(IP_B, IP_A, 17, 0, &udp(53, 1000, b"answer"))),
        (0x0800, ipv4(IP_A, c, 17, 2, &udp(1000, 53, b"opt"))),
        (0x0800, ipv4(IP_A, IP_B, 6, 0, &tcp(40000, 80, 0x02))),
        (0x0800, ipv4(IP_A, IP_B, 6, 10, &tcp(40000, 53, 0x12))),
        (0x0800, ipv4(IP_B, c, 1, 0, &icmp_echo())),
        (0x0800, ipv4(IP_A, [224, 0, 0, 251], 17, 0, &udp(5353, 5353, b"mdns"))),
        (0x86DD, ipv6(IP6_A, IP6_B, 17, &udp(1000, 53, b"q6"))),
        (0x86DD, ipv6(IP6_B, IP6_A, 6, &tcp(80, 40000, 0x10))),
        (0x86DD, ipv6(IP6_A, IP6_B, 58, &[128, 0, 0, 0, 0, 1, 0, 1])),
        (0x0806, arp(IP_A, IP_B)),
        (0x8137, ipx(IPX_B, 0x0452, IPX_A, 0x4000, b"\x00\x03")),
        (0x8137, ipx(IPX_A, 0x0453, IPX_B, 0x0452, b"\x00\x02")),
        (0x88CC, vec![0x02, 0x07, 0x04, 0, 0x11, 0x22, 0x33, 0x44, 0x55]),
        (0x0600, ipx(IPX_B, 1, IPX_A, 2, b"xns")),
    ]
}

/// Ethernet frames: every packet in every encapsulation, some MAC variations, LLC with several
/// DSAPs, all prefixes of a few frames, and random mutations of the type bytes.
fn ethernet_corpus() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let tag_sets: [&[u16]; 4] = [&[0x8100], &[0x88A8, 0x8100], &[0x8100, 0x8100, 0x8100], &[0x88A8]];
    for (et, p) in packets() {
        v.push(eth(B, A, et, &p));
        v.push(snap(B, A, et, &p));
        for tags in tag_sets {
            v.push(tagged(B, A, tags, et, &p));
        }
        // SNAP inside a VLAN tag.
        let s = snap(B, A, et, &p);
        v.push(tagged(B, A, &[0x8100], (s.len() - 14) as u16, &s[14..]));
    }
    for (dst, src) in [(BCAST, A), (MCAST, A), (A, B), (B, B), (BCAST, MCAST), (MCAST, B)] {
        let p = ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b"q"));
        v.push(eth(dst, src, 0x0800, &p));
        v.push(eth(dst, src, 0x0806, &arp(IP_B, IP_A)));
        v.push(llc(dst, src, 0x42, 0x42, &[0x03], &[0; 35]));
    }
    let ipxp = ipx(IPX_B, 0x0452, IPX_A, 0x4000, b"\x00\x03");
    let ip = ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b"in llc"));
    for (dsap, ssap, ctl) in [
        (0x42u8, 0x42u8, &[0x03u8][..]),
        (0xE0, 0xE0, &[0x03]),
        (0xE0, 0xE0, &[0x00, 0x00]),
        (0xF0, 0xF0, &[0x00, 0x02]),
        (0xF0, 0xF1, &[0x01, 0x02]),
        (0x06, 0x06, &[0x03]),
        (0xAA, 0xAA, &[0x13]),
        (0xAA, 0xAB, &[0x03]),
        (0xFE, 0xFE, &[0x03]),
        (0x10, 0x10, &[0x03]),
        (0xFF, 0xFE, &[0x03]),
    ] {
        v.push(llc(B, A, dsap, ssap, ctl, &ipxp));
        v.push(llc(B, A, dsap, ssap, ctl, &ip));
        v.push(tagged(B, A, &[0x8100], 0x0040, &llc(B, A, dsap, ssap, ctl, &ip)[14..]));
    }
    v.push(raw_ipx(B, A, &ipxp));
    v.push(raw_ipx(BCAST, B, &ipx(IPX_A, 0x0453, IPX_B, 0x0452, b"")));
    v.push(tagged(B, A, &[0x8100], ipxp.len() as u16, &ipxp));
    v.push(eth(B, A, 0x05FF, &ip));
    v.push(eth(B, A, 0x0600, &ip));
    // Prefixes: every truncation point of some frames.
    let cut_from = [
        eth(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 1, &udp(1000, 53, b"q"))),
        tagged(B, A, &[0x88A8, 0x8100], 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b""))),
        snap(B, A, 0x0800, &ipv4(IP_A, IP_B, 17, 0, &udp(1000, 53, b""))),
        llc(B, A, 0xE0, 0xE0, &[0x03], &ipxp),
        llc(B, A, 0xF0, 0xF0, &[0x00, 0x00], &ip),
        raw_ipx(B, A, &ipxp),
        eth(B, A, 0x86DD, &ipv6(IP6_A, IP6_B, 17, &udp(1000, 53, b""))),
        tagged(B, A, &[0x8100], 0x0030, &snap(B, A, 0x8137, &ipxp)[14..]),
    ];
    for f in &cut_from {
        for n in 0..f.len().min(72) {
            v.push(f[..n].to_vec());
        }
    }
    // Mutations of the bytes that steer the reader.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base = v.clone();
    let spots = [0usize, 6, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
    let values = [0x00u8, 0x03, 0x05, 0x06, 0x08, 0x81, 0x88, 0xA8, 0x86, 0xDD, 0xAA, 0xE0, 0xFF, 0x45, 0x11, 0x13, 0x37];
    for _ in 0..300 {
        let mut f = rng.pick(&base).clone();
        for _ in 0..1 + rng.below(3) {
            let at = *rng.pick(&spots);
            if at < f.len() {
                f[at] = *rng.pick(&values);
            }
        }
        v.push(f);
    }
    v
}

/// Raw IP frames (IPv4, IPv6, prefixes, garbage).
fn raw_corpus() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = packets().into_iter().filter(|(e, _)| *e == 0x0800 || *e == 0x86DD).map(|(_, p)| p).collect();
    let cut = [ipv4(IP_A, IP_B, 17, 1, &udp(1000, 53, b"q")), ipv6(IP6_A, IP6_B, 17, &udp(1000, 53, b""))];
    for f in &cut {
        for n in 0..f.len() {
            v.push(f[..n].to_vec());
        }
    }
    v.push(vec![0x50, 0, 0, 0]);
    v.push(vec![0x00; 30]);
    v.push(arp(IP_A, IP_B));
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

type Spec = (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<&'static str>);

fn fixed_filters() -> Vec<Spec> {
    const EX: &str = "EXCLUDE ALL EXCEPT";
    let _ = EX;
    vec![
        // Etype / SAP
        (None, Some("EXCLUDE ALL EXCEPT 0x0800"), None, None),
        (None, Some("EXCLUDE ALL EXCEPT 0x0800 0x86DD 0x8137 0x0806"), None, None),
        (None, Some("INCLUDE ALL EXCEPT 0x0800"), None, None),
        (Some("EXCLUDE ALL EXCEPT 0x10 0xE0"), Some("EXCLUDE ALL EXCEPT 0x8137"), None, None),
        (Some("EXCLUDE ALL EXCEPT 0xAA"), None, None, None),
        (Some("INCLUDE ALL EXCEPT 0x42"), Some("INCLUDE ALL EXCEPT"), None, None),
        (Some("EXCLUDE ALL EXCEPT 0xFF"), Some("EXCLUDE ALL EXCEPT"), None, None),
        (None, Some("EXCLUDE ALL EXCEPT 0x8100 0x0600"), None, None),
        (Some("EXCLUDE ALL EXCEPT"), Some("EXCLUDE ALL EXCEPT"), None, None),
        (Some("INCLUDE ALL EXCEPT"), None, None, None),
        // addresses
        (None, None, Some("INCLUDE,0x2,ETHERNET,001122334455,0x0,ETHERNET,001122334455,0x0"), None),
        (None, None, Some("INCLUDE,0x3,ETHERNET,0066778899AA,0x0,ETHERNET,001122334455,0x0"), None),
        (None, None, Some("EXCLUDE,0x1,ETHERNET,FFFFFFFFFFFF,0x0,ANY,,0x0"), None),
        (None, None, Some("INCLUDE,0x2,ANY,,0x0,ETHERNET,001122334455,0x0;EXCLUDE,0x1,ETHERNET,0066778899AA,0x0,ANY,,0x0"), None),
        (None, None, Some("INCLUDE,0x3,IP,10.0.0.2,0x0,IP,10.0.0.1,0x0"), None),
        (None, None, Some("EXCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0"), None),
        (None, None, Some("INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0;INCLUDE,0x1,IP,10.0.0.3,0x0,ANY,,0x0;EXCLUDE,0x1,IP,224.0.0.251,0x0,ANY,,0x0"), None),
        (None, None, Some("INCLUDE,0x3,IP6,2001:db8::2,0x0,IP6,fe80::1,0x0"), None),
        (None, None, Some("EXCLUDE,0x1,IP6,fe80::1,0x0,ANY,,0x0"), None),
        (None, None, Some("INCLUDE,0x3,IPX,000000020066778899AA,0x0,IPX,00000001001122334455,0x0"), None),
        (None, None, Some("INCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0"), None),
        (None, None, Some("EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0"), None),
        (None, None, Some("INCLUDE,0x2,ANY,,0x0,ANY GROUP,,0x0"), None),
        (None, None, Some("INCLUDE,0xA,ETHERNET,0066778899AA,0x0,ETHERNET,001122334455,0x0"), None),
        (None, None, Some("INCLUDE,0x0,IP,1.2.3.4,0x0,IP,1.2.3.4,0x0"), None),
        (None, None, Some("EXCLUDE,0x0,IP,1.2.3.4,0x0,IP,1.2.3.4,0x0"), None),
        (None, None, Some("INCLUDE,0x2,ANY,,0x0,TOKENRING,001122334455,0x0;INCLUDE,0x2,ANY,,0x0,XNS,00000001001122334455,0x0"), None),
        (None, None, Some("EXCLUDE,0x3,ETHERNET,0066778899AA,0x0,IP,10.0.0.1,0x0"), None),
        // patterns
        (None, None, None, Some("AND(OR(FRAME 12 0800))")),
        (None, None, None, Some("AND(OR(NOT FRAME 12 0800))")),
        (None, None, None, Some("AND(OR(FRAME 40 00))")),
        (None, None, None, Some("AND(OR(NOT FRAME 60 00))")),
        (None, None, None, Some("AND(OR(FRAME 0 0066778899AA00112233445508004500))")),
        (None, None, None, Some("AND(OR(EFFECTIVE 0 4500))")),
        (None, None, None, Some("AND(OR(NOT EFFECTIVE 0 45))")),
        (None, None, None, Some("AND(OR(EFFECTIVE 0 FFFF))")),
        (None, None, None, Some("AND(OR(EFFECTIVE 3 -))")),
        (None, None, None, Some("AND(OR(IP 9 11))")),
        (None, None, None, Some("AND(OR(NOT IP 9 11))")),
        (None, None, None, Some("AND(OR(IP 12 0A000001))")),
        (None, None, None, Some("AND(OR(IP PORT 0x11 2 0035))")),
        (None, None, None, Some("AND(OR(NOT IP PORT 0x11 2 0035))")),
        (None, None, None, Some("AND(OR(IP PORT 6 0 9C40))")),
        (None, None, None, Some("AND(OR(IP PORT 0x11 0 -))")),
        (None, None, None, Some("AND(OR(NOT IP PORT 6 13 12))")),
        (None, None, None, Some("AND(OR(IP6 6 11))")),
        (None, None, None, Some("AND(OR(IP6 PORT 0x11 2 0035))")),
        (None, None, None, Some("AND(OR(NOT IP6 PORT 0x06 0 0050))")),
        (None, None, None, Some("AND(OR(IPX 5 04))")),
        (None, None, None, Some("AND(OR(IPX PORT 0x5204 0 0003))")),
        (None, None, None, Some("AND(OR(NOT IPX PORT 0x5204 0 0003))")),
        (None, None, None, Some("AND(OR(NOT IPX 0 FFFF))")),
        // question 2: two groups of two patterns
        (None, None, None, Some("AND(OR(IP 9 11,IP 9 06),OR(IP 16 0A000002,IP 16 0A000003))")),
        (None, None, None, Some("AND(OR(FRAME 12 0800,NOT FRAME 12 86DD),OR(EFFECTIVE 0 45,NOT IP6 6 11))")),
        (None, None, None, Some("AND(OR(),OR(FRAME 0 FF))")),
        // combined
        (None, Some("EXCLUDE ALL EXCEPT 0x0800"), Some("INCLUDE,0x2,ANY,,0x0,IP,10.0.0.1,0x0"), Some("AND(OR(IP PORT 0x11 2 0035))")),
        (Some("EXCLUDE ALL EXCEPT 0xE0"), Some("EXCLUDE ALL EXCEPT 0x8137"), Some("EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0"), Some("AND(OR(IPX 5 04))")),
        (
            Some("INCLUDE ALL EXCEPT 0x42"),
            Some("INCLUDE ALL EXCEPT 0x0806"),
            Some("INCLUDE,0x2,ANY,,0x0,ETHERNET,001122334455,0x0;EXCLUDE,0x3,IP,10.0.0.2,0x0,IP,10.0.0.1,0x0"),
            Some("AND(OR(NOT FRAME 12 86DD),OR(EFFECTIVE 0 45,EFFECTIVE 0 60,NOT IP 9 01))"),
        ),
        (None, Some("INCLUDE ALL EXCEPT"), Some("INCLUDE,0x0,ANY,,0x0,ANY,,0x0"), None),
    ]
}

const SAP_POOL: &[&str] =
    &["EXCLUDE ALL EXCEPT 0x42", "EXCLUDE ALL EXCEPT 0xE0 0xF0", "INCLUDE ALL EXCEPT 0xAA", "EXCLUDE ALL EXCEPT", "INCLUDE ALL EXCEPT 0xFF 0x06"];
const ETYPE_POOL: &[&str] =
    &["EXCLUDE ALL EXCEPT 0x0800", "EXCLUDE ALL EXCEPT 0x86DD 0x8137", "INCLUDE ALL EXCEPT 0x0806", "EXCLUDE ALL EXCEPT", "INCLUDE ALL EXCEPT 0x8100 0x0800"];
const PAIR_POOL: &[&str] = &[
    "INCLUDE,0x2,ANY,,0x0,ETHERNET,001122334455,0x0",
    "EXCLUDE,0x1,ETHERNET,FFFFFFFFFFFF,0x0,ANY,,0x0",
    "INCLUDE,0x3,IP,10.0.0.2,0x0,IP,10.0.0.1,0x0",
    "EXCLUDE,0x2,ANY,,0x0,IP,10.0.0.2,0x0",
    "INCLUDE,0x1,IP6,2001:db8::2,0x0,ANY,,0x0",
    "INCLUDE,0x2,ANY,,0x0,IPX,00000001001122334455,0x0",
    "EXCLUDE,0x1,ANY GROUP,,0x0,ANY,,0x0",
    "INCLUDE,0x8,ANY,,0x0,ANY,,0x0",
    "EXCLUDE,0x3,ETHERNET,0066778899AA,0x0,IP6,fe80::1,0x0",
];
const PATTERN_POOL: &[&str] = &[
    "FRAME 12 0800",
    "NOT FRAME 12 0800",
    "FRAME 14 AAAA03",
    "NOT FRAME 50 00",
    "EFFECTIVE 0 45",
    "NOT EFFECTIVE 2 0000",
    "IP 9 06",
    "NOT IP 9 11",
    "IP PORT 0x11 2 0035",
    "NOT IP PORT 6 2 0050",
    "IP6 6 3A",
    "NOT IP6 PORT 0x11 0 03E8",
    "IPX 16 0452",
    "NOT IPX PORT 0x5204 0 00",
    "EFFECTIVE 30 -",
];

fn random_filter(rng: &mut Rng) -> (Option<String>, Option<String>, Option<String>, Option<String>) {
    let maybe = |rng: &mut Rng, pool: &[&str]| (rng.below(3) == 0).then(|| rng.pick(pool).to_string());
    let saps = maybe(rng, SAP_POOL);
    let etypes = maybe(rng, ETYPE_POOL);
    let pairs = (rng.below(2) == 0).then(|| (0..1 + rng.below(3)).map(|_| rng.pick(PAIR_POOL).to_string()).collect::<Vec<_>>().join(";"));
    let expr = (rng.below(2) == 0).then(|| {
        let groups: Vec<String> = (0..1 + rng.below(3))
            .map(|_| format!("OR({})", (0..1 + rng.below(3)).map(|_| rng.pick(PATTERN_POOL).to_string()).collect::<Vec<_>>().join(",")))
            .collect();
        format!("AND({})", groups.join(","))
    });
    (saps, etypes, pairs, expr)
}

/// Checks one filter on one link type; returns the number of frames compared, or the mismatches.
fn check(f: &CaptureFilter, label: &str, linktype: u32, corpus: &[Vec<u8>], optimize_both: bool) -> Result<usize, String> {
    let Some(expr) = f.to_bpf(linktype) else {
        return Err(format!("{label}: to_bpf({linktype}) = None"));
    };
    let dlt = if linktype == LINKTYPE_RAW { DLT_RAW } else { linktype };
    let mut n = 0;
    for opt in if optimize_both { vec![true, false] } else { vec![true] } {
        let cap = pcap::Capture::dead(pcap::Linktype(dlt as i32)).unwrap();
        let prog = cap.compile(&expr, opt).map_err(|e| format!("{label}: compile({opt}) failed: {e}\n  {expr}"))?;
        let mut bad = Vec::new();
        for frame in corpus {
            let (k, u) = (prog.filter(frame), f.matches(linktype, frame));
            if k != u {
                bad.push(format!("  bpf {k} user {u} len {} {}", frame.len(), hex(frame)));
            }
            n += 1;
        }
        if !bad.is_empty() {
            bad.truncate(8);
            return Err(format!("{label} (link type {linktype}, optimize {opt}):\n  {expr}\n{}", bad.join("\n")));
        }
    }
    Ok(n)
}

#[test]
fn corpus_is_large_and_varied() {
    let c = ethernet_corpus();
    assert!(c.len() >= 300, "{} frames", c.len());
    let count = |f: &dyn Fn(&frame::View) -> bool| c.iter().filter(|x| f(&frame::view(1, x))).count();
    assert!(count(&|v| matches!(v.net, Some(Net::Ip4(_)))) > 50);
    assert!(count(&|v| matches!(v.net, Some(Net::Ip6(_)))) > 10);
    assert!(count(&|v| matches!(v.net, Some(Net::Ipx(_)))) > 10);
    assert!(count(&|v| matches!(v.ty, Ty::Sap(_))) > 20);
    assert!(count(&|v| v.ty == Ty::Unknown) > 20);
    assert!(count(&|v| v.group == Some(true)) > 5);
}

#[test]
fn bpf_agrees_with_user_space_fixed_filters() {
    let eth = ethernet_corpus();
    let raw = raw_corpus();
    let mut errors = Vec::new();
    let mut compared = 0;
    let mut accepted_some = 0;
    for (i, (s, e, p, x)) in fixed_filters().into_iter().enumerate() {
        let f = filt(s, e, p, x);
        let label = format!("filter #{i} {s:?} {e:?} {p:?} {x:?}");
        for (lt, corpus) in [(LINKTYPE_ETHERNET, &eth), (DLT_RAW, &raw), (LINKTYPE_RAW, &raw), (LINKTYPE_IPV4, &raw), (LINKTYPE_IPV6, &raw)] {
            match check(&f, &label, lt, corpus, lt == LINKTYPE_ETHERNET) {
                Ok(n) => compared += n,
                Err(m) => errors.push(m),
            }
        }
        let passed = eth.iter().filter(|fr| f.matches(1, fr)).count();
        if passed > 0 && passed < eth.len() {
            accepted_some += 1;
        }
    }
    assert!(errors.is_empty(), "{} mismatching filters:\n{}", errors.len(), errors.join("\n"));
    // The filters really split the corpus (a test that cannot fail is a defect).
    assert!(accepted_some >= fixed_filters().len() - 4, "only {accepted_some} filters split the corpus");
    assert!(compared > 100_000, "{compared}");
}

#[test]
fn bpf_agrees_with_user_space_random_filters() {
    let eth = ethernet_corpus();
    let raw = raw_corpus();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut errors = Vec::new();
    let mut checked = 0;
    for i in 0..200 {
        let (s, e, p, x) = random_filter(&mut rng);
        let Some(f) = try_filt(s.as_deref(), e.as_deref(), p.as_deref(), x.as_deref()) else { continue };
        let label = format!("random #{i} {s:?} {e:?} {p:?} {x:?}");
        for (lt, corpus) in [(LINKTYPE_ETHERNET, &eth), (LINKTYPE_RAW, &raw)] {
            if let Err(m) = check(&f, &label, lt, corpus, false) {
                errors.push(m);
            }
        }
        checked += 1;
    }
    assert!(errors.is_empty(), "{} mismatching filters:\n{}", errors.len(), errors.join("\n"));
    assert!(checked > 150);
}

#[test]
fn expressions_use_only_byte_loads_and_len() {
    for (s, e, p, x) in fixed_filters() {
        let f = filt(s, e, p, x);
        let t = f.to_bpf(1).unwrap();
        for word in [" ip ", "vlan", "llc", " host ", "proto", "tcp", "udp", "broadcast"] {
            assert!(!format!(" {t} ").contains(word), "{word} in {t}");
        }
        // Constant offsets only: no computed index, no arithmetic (see bpf.rs).
        for bad in ["<<", "+", "*", "ether[ether"] {
            assert!(!t.contains(bad), "{bad} in {t}");
        }
    }
}

#[test]
fn programs_stay_small() {
    // The kernel refuses more than 4096 instructions; these filters stay far below (a frame runs
    // only the instructions of its own path).
    let mut largest = 0;
    for (s, e, p, x) in fixed_filters() {
        let t = filt(s, e, p, x).to_bpf(1).unwrap();
        let cap = pcap::Capture::dead(pcap::Linktype(1)).unwrap();
        largest = largest.max(cap.compile(&t, true).unwrap().get_instructions().len());
    }
    assert!(largest < 1024, "{largest} instructions");
}

/// libpcap 1.10.3's optimizer turns this expression (a reduced form of what an earlier version
/// of `to_bpf` wrote for IP PORT patterns) into a program that reads scratch memory it never
/// wrote on some paths. The check `to_bpf` applies must catch that, unless the installed
/// libpcap compiles it correctly (then the optimized program behaves like the unoptimized one).
#[test]
fn scratch_memory_check_catches_the_optimizer_bug() {
    const REDUCED: &str = "len >= 18 and ((ether[16:2] = 0x8100 or ether[16:2] = 0x88a8) and len >= 22 and \
        (ether[20:2] >= 0x600 and ((len >= 23 and ether[22] = 0x45) or (ether[20:2] = 0x800 and len >= 32 and \
        ether[31] = 0x11 and len >= 22 + ((ether[22] & 0xf) << 2) + 4))))";
    let cap = pcap::Capture::dead(pcap::Linktype(1)).unwrap();
    let opt = cap.compile(REDUCED, true).unwrap();
    let plain = cap.compile(REDUCED, false).unwrap();
    assert!(bpf::scratch_memory_valid(&plain), "unoptimized programs use scratch memory correctly");
    if bpf::scratch_memory_valid(&opt) {
        for frame in ethernet_corpus() {
            assert_eq!(opt.filter(&frame), plain.filter(&frame), "{}", hex(&frame));
        }
    }
    // Every program to_bpf hands out passes the check, optimized or not.
    for (s, e, p, x) in fixed_filters() {
        let t = filt(s, e, p, x).to_bpf(1).unwrap();
        for o in [true, false] {
            assert!(bpf::scratch_memory_valid(&cap.compile(&t, o).unwrap()), "{t}");
        }
    }
}
