//! pcap-filter(7) expressions (`NPP:Config:BpfFilter`, README "Linux configuration tags"): the
//! filter language of tcpdump and every libpcap tool, compiled by libpcap for a link type.
//!
//! A frame is kept when it passes this expression and the Netmon filter parts (src/filter). Live
//! sources attach it in the kernel (capture/ring.rs, and libpcap's `pcap_setfilter` in the
//! libpcap source); a replay judges each frame with the same program in user space
//! ([`BpfFilter::matches`], libpcap's `pcap_offline_filter`), with the frame's wire length as
//! `len`, as the kernel does.

/// struct bpf_program (pcap/bpf.h).
#[repr(C)]
struct BpfProgramC {
    bf_len: libc::c_uint,
    bf_insns: *const libc::sock_filter,
}

/// struct pcap_pkthdr (pcap/pcap.h).
#[repr(C)]
struct PktHdrC {
    ts: libc::timeval,
    caplen: u32,
    len: u32,
}

extern "C" {
    /// libpcap (linked through the pcap crate): runs a compiled program over one frame; 0 when
    /// the frame fails it. Pure: it reads only its arguments.
    fn pcap_offline_filter(prog: *const BpfProgramC, hdr: *const PktHdrC, pkt: *const u8) -> libc::c_int;
}

/// A compiled pcap-filter expression.
#[derive(Clone, Debug)]
pub struct BpfFilter {
    /// The expression as given.
    pub text: String,
    /// libpcap's program (classic BPF, optimized), in the kernel's `sock_filter` layout.
    pub insns: Vec<libc::sock_filter>,
}

// A Vec of plain instructions; the program reads nothing else.
impl PartialEq for BpfFilter {
    fn eq(&self, o: &BpfFilter) -> bool {
        self.text == o.text
            && self.insns.len() == o.insns.len()
            && self.insns.iter().zip(&o.insns).all(|(a, b)| (a.code, a.jt, a.jf, a.k) == (b.code, b.jt, b.jf, b.k))
    }
}

/// The expression of a configuration value: None when it is empty or only blanks (no filter,
/// as tcpdump without an expression).
pub fn expression_of(value: &str) -> Option<&str> {
    let t = value.trim();
    (!t.is_empty()).then_some(t)
}

impl BpfFilter {
    /// Compiles `expr` with optimization for `linktype` (a DLT as libpcap reports it, which is
    /// what the sources' `linktype` answer). The error is libpcap's message ("syntax error",
    /// "unknown host 'x'", "ether proto not supported on ..."), prefixed with nothing.
    pub fn compile(expr: &str, linktype: u32) -> Result<BpfFilter, String> {
        let cap = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| e.to_string())?;
        let prog = cap.compile(expr, true).map_err(|e| match e {
            pcap::Error::PcapError(m) => m,
            e => e.to_string(),
        })?;
        let insns = prog.get_instructions();
        // SAFETY: pcap::BpfInstruction is repr(transparent) over struct bpf_insn, which has
        // sock_filter's layout (u16 code, u8 jt, u8 jf, u32 k); the slice lives as long as `prog`.
        let raw: &[libc::sock_filter] = unsafe { std::slice::from_raw_parts(insns.as_ptr().cast(), insns.len()) };
        Ok(BpfFilter { text: expr.to_string(), insns: raw.to_vec() })
    }

    /// True when the kernel would take the program: at most 4096 instructions (BPF_MAXINSNS),
    /// and no path reads scratch memory before writing it (libpcap 1.10's optimizer can make
    /// such programs out of combined expressions; the kernel refuses them).
    pub fn kernel_accepts(&self) -> bool {
        let code: Vec<_> = self.insns.iter().map(|i| (i.code, i.jt as usize, i.jf as usize, i.k as usize)).collect();
        code.len() <= 4096 && super::bpf::scratch_valid(&code)
    }

    /// [`kernel_accepts`](Self::kernel_accepts) for a program libpcap compiled on an open handle.
    pub fn kernel_accepts_program(p: &pcap::BpfProgram) -> bool {
        p.get_instructions().len() <= 4096 && super::bpf::scratch_memory_valid(p)
    }

    /// True when the program reads the packet metadata of a Linux socket (libpcap's code for
    /// `inbound`, `outbound`, `ifindex`: loads at the kernel's SKF_AD_OFF), which a frame read
    /// from a file does not carry: in user space such a load fails every frame.
    pub fn uses_socket_metadata(&self) -> bool {
        const BPF_LD: u16 = 0x00;
        const BPF_ABS: u16 = 0x20;
        const SKF_AD_OFF: u32 = (-0x1000i32) as u32;
        self.insns.iter().any(|i| i.code & 0x07 == BPF_LD && i.code & 0xe0 == BPF_ABS && i.k >= SKF_AD_OFF)
    }

    /// True when the frame (its stored bytes, and its length on the wire) passes the program.
    /// A load beyond the stored bytes fails the frame, as in the kernel.
    pub fn matches(&self, data: &[u8], wire_len: u32) -> bool {
        let prog = BpfProgramC { bf_len: self.insns.len() as libc::c_uint, bf_insns: self.insns.as_ptr() };
        let hdr = PktHdrC { ts: libc::timeval { tv_sec: 0, tv_usec: 0 }, caplen: data.len() as u32, len: wire_len.max(data.len() as u32) };
        // SAFETY: `prog` points to `insns` (alive for the call), `hdr` and `data` are valid for
        // the lengths they state; libpcap's interpreter bounds every load by `caplen` and only
        // reads its arguments.
        unsafe { pcap_offline_filter(&prog, &hdr, data.as_ptr()) != 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 + UDP frame to `dport`.
    fn udp(dport: u16, pad: usize) -> Vec<u8> {
        let mut f = vec![0xff; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let mut ip = vec![0x45, 0, 0, 28 + pad as u8, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        ip.extend_from_slice(&1234u16.to_be_bytes());
        ip.extend_from_slice(&dport.to_be_bytes());
        ip.extend_from_slice(&[0, 8 + pad as u8, 0, 0]);
        f.extend_from_slice(&ip);
        f.extend(std::iter::repeat(0).take(pad));
        f
    }

    #[test]
    fn compiles_and_matches() {
        let f = BpfFilter::compile("udp port 53", 1).unwrap();
        assert!(f.matches(&udp(53, 0), 42));
        assert!(f.kernel_accepts());
        assert!(!f.matches(&udp(54, 0), 42));
        // `len` is the wire length: a clipped frame is judged by what it was.
        let big = BpfFilter::compile("greater 100", 1).unwrap();
        assert!(!big.matches(&udp(53, 0), 42));
        assert!(big.matches(&udp(53, 0), 200));
        // A load past the stored bytes fails the frame.
        assert!(!BpfFilter::compile("ether[100] = 0", 1).unwrap().matches(&udp(53, 0), 200));
        // Raw IP (DLT_RAW): the same expression, no link header.
        let raw = BpfFilter::compile("udp port 53", 12).unwrap();
        assert!(raw.matches(&udp(53, 0)[14..], 28));
    }

    #[test]
    fn libpcap_words_for_errors() {
        let e = BpfFilter::compile("udp port", 1).unwrap_err();
        assert!(e.contains("syntax error"), "{e}");
        let e = BpfFilter::compile("ether host 1:2:3:4:5:6", 12).unwrap_err();
        assert!(!e.is_empty());
        assert_eq!(expression_of("  "), None);
        assert!(BpfFilter::compile("inbound", 1).unwrap().uses_socket_metadata());
        assert!(!BpfFilter::compile("vlan and udp", 1).unwrap().uses_socket_metadata());
        assert_eq!(expression_of(" udp "), Some("udp"));
    }
}
