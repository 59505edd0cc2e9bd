//! The live source that reads the kernel's TPACKET_V3 packet ring directly (perf-irtc.md §4-5):
//! one AF_PACKET socket, a ring of blocks shared with the kernel through `mmap`, frames handed
//! out in place (no copy: a [`Frame`] borrows the ring block it lies in).
//!
//! libpcap still compiles the filter (into classic BPF, attached to the socket before it is bound,
//! so no unfiltered frame ever enters the ring), and it stays the live source for what the ring
//! does not take: the `any` device, link types other than Ethernet and loopback, a setup that
//! fails (an old kernel, say), and every capture when the environment variable
//! `NDISNPP_LIVE_SOURCE=libpcap` is set ([`open_live`]).
//!
//! What the ring source does as libpcap does, so that the two deliver the same frames:
//! * the kernel strips a received frame's VLAN tag into the packet header (`tp_vlan_tci`,
//!   `TP_STATUS_VLAN_VALID`, `TP_STATUS_VLAN_TPID_VALID`); it is put back in place after the
//!   MAC addresses, and the frame's lengths grow by 4 (`PACKET_RESERVE` keeps room for it);
//! * on a loopback device each frame passes twice (sent and received): the socket ignores the
//!   sent copy (`PACKET_IGNORE_OUTGOING`, or by its packet type on kernels without it);
//! * the snap length is applied by the filter program's return value (the kernel copies no
//!   more into the ring), and again when a re-inserted tag made the frame longer;
//! * kernel counters come from `PACKET_STATISTICS`, which resets on every read: they are
//!   accumulated (received includes the dropped, as libpcap's `ps_recv`).
//!
//! Blocks: the source holds at most one block (the one whose frames it is handing out) and gives
//! it back to the kernel when the capture thread asks for the frame after its last one. It waits
//! with `poll` only when it holds no block: while a reader holds the newest retired block, the
//! kernel reports the socket readable and `poll` never sleeps (perf-irtc.md §2).
//!
//! Lending (IRTC, `Source::lend`): the frames callback reads the frames where they lie in the
//! ring. A block whose frames the consumer kept (`keep_held`) is not given back when the source
//! moves on: it becomes a [`LentBlock`], which the consumer hands on with the frames and drops
//! once they were delivered; the drop gives the block back to the kernel. The source skips a
//! block that is still lent (it waits for it as for one the kernel has not filled), and waits in
//! an edge-triggered epoll, which sleeps until the kernel retires its next block whatever blocks
//! are held. The mapping ([`RingMem`]) lives as long as the source or any lent block.

use super::source::{
    interface_index, wait_readable_for, Frame, KernelStats, Lending, LinkWatch, Live, LiveSettings, Next, OpenError, Source, Waker, Walk, IDLE_WAIT_MS,
    POLL_TIMEOUT_MS,
};
use crate::capfile::Timestamp;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ETH_P_ALL: u16 = 0x0003;
const ETH_P_8021Q: u16 = 0x8100;
const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
const PACKET_RX_RING: libc::c_int = 5;
const PACKET_STATISTICS: libc::c_int = 6;
const PACKET_VERSION: libc::c_int = 10;
const PACKET_RESERVE: libc::c_int = 12;
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
const PACKET_MR_PROMISC: libc::c_ushort = 1;
const PACKET_OUTGOING: u8 = 4;
const TPACKET_V3: libc::c_int = 2;
const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;
const ARPHRD_ETHER: libc::c_ushort = 1;
const ARPHRD_LOOPBACK: libc::c_ushort = 772;
/// pcap LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u32 = 1;
/// libpcap's largest snap length (MAXIMUM_SNAPLEN); also what "whole frames" means here.
const MAX_SNAPLEN: u32 = 262_144;
/// Bytes of a VLAN tag (TPID + TCI).
const VLAN_TAG_LEN: usize = 4;
/// The MAC addresses before which a tag goes.
const VLAN_OFFSET: usize = 12;
/// Ring size when BufferSize is 0 (libpcap's default).
const DEFAULT_RING: u32 = 2 << 20;
/// The smallest block (libpcap's for TPACKET_V3: room for a frame of MAX_SNAPLEN within a block).
const MIN_BLOCK: u32 = 1 << 18;
/// The largest block: each is allocated by the kernel in one piece where it can.
const MAX_BLOCK: u32 = 1 << 20;
/// Blocks a ring is cut into, at least, when its blocks can be larger than MIN_BLOCK.
const BLOCKS_PER_RING: u32 = 16;
/// Fewest blocks: one the kernel fills while the source reads another.
const MIN_BLOCKS: u32 = 2;
/// The environment variable that selects libpcap for every live capture (`libpcap`).
pub const LIVE_SOURCE_ENV: &str = "NDISNPP_LIVE_SOURCE";

/// struct tpacket_req3.
#[repr(C)]
#[derive(Default)]
struct Req3 {
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
    retire_blk_tov: u32,
    sizeof_priv: u32,
    feature_req_word: u32,
}

/// struct tpacket3_hdr (with its `tpacket_hdr_variant1`), 48 bytes.
#[repr(C)]
#[derive(Clone, Copy)]
struct Hdr3 {
    next_offset: u32,
    sec: u32,
    nsec: u32,
    snaplen: u32,
    len: u32,
    status: u32,
    mac: u16,
    net: u16,
    rxhash: u32,
    vlan_tci: u32,
    vlan_tpid: u16,
    padding1: u16,
    padding: [u8; 8],
}
const _: () = assert!(std::mem::size_of::<Hdr3>() == 48);
/// TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the sockaddr_ll follows the header.
const SLL_AT: usize = 48;
/// The end of the sockaddr_ll (20 bytes) after the header: a re-inserted tag must not reach it.
const SLL_END: usize = SLL_AT + 20;
/// sll_pkttype within the sockaddr_ll.
const SLL_PKTTYPE_AT: usize = SLL_AT + 10;

/// The first fields of struct tpacket_block_desc (version, offset_to_priv, then
/// tpacket_hdr_v1's block_status, num_pkts, offset_to_first_pkt).
const BLOCK_STATUS_AT: usize = 8;
const BLOCK_NUM_PKTS_AT: usize = 12;
const BLOCK_FIRST_AT: usize = 16;

/// struct tpacket_stats_v3.
#[repr(C)]
#[derive(Default)]
struct StatsV3 {
    packets: u32,
    drops: u32,
    freeze_q_cnt: u32,
}

/// Opens a live capture on `name`: the kernel ring read in place when the interface is one the
/// ring takes, else (or when setting the ring up fails, or `NDISNPP_LIVE_SOURCE=libpcap`)
/// libpcap (`Live`), which then also gives the error, in libpcap's words, when none opens.
/// `bpf`: a pcap-filter expression that every delivered frame has passed (in the kernel); one
/// that libpcap cannot compile for the interface is `OpenError::Filter` with libpcap's message.
pub fn open_live(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<Box<dyn Source>, OpenError> {
    if ring_may_take(name) {
        if let Ok(ring) = Ring::open(name, s, filter, bpf) {
            return Ok(Box::new(ring));
        }
    }
    Ok(Box::new(Live::open(name, s, filter, bpf)?))
}

/// Whether the ring is tried for `name` at all: not for `any`, nor when
/// `NDISNPP_LIVE_SOURCE=libpcap` asks for libpcap.
fn ring_may_take(name: &str) -> bool {
    name != "any" && !std::env::var_os(LIVE_SOURCE_ENV).is_some_and(|v| v == "libpcap")
}

/// Connect's check that `open_live` would open `name`, without opening it: the ring's setup short
/// of the ring (`Ring::check`), or when the ring would not be used, libpcap's source opened and
/// closed. Gives the link type the capture will have.
pub fn check_live(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<u32, OpenError> {
    if ring_may_take(name) && Ring::check(name, s, filter, bpf).is_ok() {
        return Ok(LINKTYPE_ETHERNET);
    }
    Ok(Live::open(name, s, filter, bpf)?.linktype())
}

/// The ring's mapping, shared by the source and the blocks it lent; unmapped when the last of
/// them is gone.
pub struct RingMem {
    map: *mut u8,
    map_len: usize,
    block_size: usize,
    block_nr: usize,
    /// Block i is lent (a [`LentBlock`] exists for it): the source does not read it again until
    /// the lent block gave it back.
    lent: Box<[AtomicBool]>,
}

// SAFETY: the mapping is shared memory that outlives every user (the Arc); the status words are
// accessed atomically, and a block's bytes are read by one thread at a time: the capture thread
// until it lends the block, then whoever holds the LentBlock (handed over through a channel).
unsafe impl Send for RingMem {}
// SAFETY: as above.
unsafe impl Sync for RingMem {}

impl RingMem {
    fn block(&self, i: usize) -> *mut u8 {
        debug_assert!(i < self.block_nr);
        // SAFETY: i < block_nr, so the block lies inside the mapping.
        unsafe { self.map.add(i * self.block_size) }
    }

    /// The status word of block `i`, shared with the kernel.
    fn status(&self, i: usize) -> &AtomicU32 {
        // SAFETY: the word is inside the mapping, 4-aligned (blocks are page-aligned), and lives
        // as long as `self`; the kernel and this source access it only atomically.
        unsafe { &*self.block(i).add(BLOCK_STATUS_AT).cast::<AtomicU32>() }
    }
}

impl Drop for RingMem {
    fn drop(&mut self) {
        if !self.map.is_null() {
            // SAFETY: the mapping made in `Ring::open`, of that length; nothing points into it any
            // more (the source and every lent block are gone).
            unsafe { libc::munmap(self.map.cast(), self.map_len) };
        }
    }
}

/// A ring block the source lent (its frames are being delivered where they lie). Dropping it
/// gives the block back to the kernel.
pub struct LentBlock {
    mem: Arc<RingMem>,
    index: usize,
}

impl Drop for LentBlock {
    fn drop(&mut self) {
        self.mem.status(self.index).store(TP_STATUS_KERNEL, Ordering::Release);
        // After the status: a source that sees the block free sees it the kernel's.
        self.mem.lent[self.index].store(false, Ordering::Release);
    }
}

/// A walk's position in the held block (`Ring::cursor`).
struct Cursor {
    block: *mut u8,
    left: u32,
    next_at: usize,
}

/// The fewest blocks a ring must have to lend them (a few may be lent while the source reads on).
const LEND_MIN_BLOCKS: usize = 8;

/// A live capture on the kernel's TPACKET_V3 ring (see the module's documentation).
pub struct Ring {
    fd: libc::c_int,
    mem: Arc<RingMem>,
    /// Lending is on (`Source::lend`): waits are in `epfd`.
    lending: bool,
    /// The held block's frames were kept by the consumer: it is lent when the source moves on.
    keep: bool,
    /// Blocks lent and not yet taken by the consumer (`take_lent`).
    lent_out: Vec<LentBlock>,
    /// Edge-triggered epoll on `fd` (for lending), or -1.
    epfd: libc::c_int,
    /// The block read next (or being read, when `held`).
    cur: usize,
    /// Block `cur` is the source's (the kernel retired it) and its frames are being handed out.
    held: bool,
    /// Frames of the held block not handed out yet, and the offset of the next one in it.
    left: u32,
    next_at: usize,
    /// Bytes kept per frame.
    snaplen: u32,
    /// Skip frames the host sent (a loopback device whose kernel lacks PACKET_IGNORE_OUTGOING).
    skip_outgoing: bool,
    /// The Netmon capture filter runs in the kernel (the pcap-filter expression, when given,
    /// always does).
    kernel_filter: bool,
    /// Kernel counters so far (PACKET_STATISTICS resets on each read).
    stats: KernelStats,
    link: LinkWatch,
    /// A frame whose VLAN tag had no room in front of it in the ring is put together here.
    scratch: Vec<u8>,
    /// Wakes `wait` (Stop, special frames); None when no eventfd could be made (the waits are
    /// then never longer than POLL_TIMEOUT_MS).
    waker: Option<Arc<Waker>>,
    /// The capture thread has nothing pending (`Source::set_idle`).
    idle: bool,
}

// SAFETY: the mapping and the socket belong to this value alone; they are used only through
// `&mut self` (or dropped with it), from whichever single thread owns it.
unsafe impl Send for Ring {}

/// One frame found in the held block.
struct Found {
    ts: Timestamp,
    wire_len: u32,
    data: *const u8,
    len: usize,
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> std::io::Result<()> {
    // SAFETY: `value` points to a live T of the length given, read by the kernel during the call.
    let r = unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), std::mem::size_of::<T>() as libc::socklen_t) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The Netmon capture filter compiled by libpcap for Ethernet, if it has a kernel form that
/// compiles.
fn netmon_expression(filter: Option<&crate::filter::CaptureFilter>) -> Option<String> {
    filter.and_then(|f| f.to_bpf(LINKTYPE_ETHERNET))
}

/// The filter program for the kernel: the Netmon capture filter (when it has a kernel form) and
/// the pcap-filter expression `bpf`, both compiled by libpcap (together: `(netmon) and (bpf)`),
/// with every "keep" return set to `snaplen`, as libpcap does for its ring; without either, one
/// instruction that keeps `snaplen` bytes (None when that is every byte: no program needed). The
/// flag: the Netmon filter is in the program. Err: `bpf` does not compile for Ethernet (the ring
/// then leaves the capture to libpcap, which compiles it for the open handle and has the last
/// word).
fn program(filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>, snaplen: u32) -> Result<(Option<Vec<libc::sock_filter>>, bool), String> {
    use crate::filter::BpfFilter;
    const BPF_RET_K: u16 = 0x06;
    let netmon = netmon_expression(filter);
    let compiled = match (netmon, bpf) {
        (None, None) => None,
        (Some(n), None) => BpfFilter::compile(&n, LINKTYPE_ETHERNET).ok().map(|p| (p, true)),
        (n, Some(b)) => {
            // Both in the kernel when the two compile together within the kernel's limits; else
            // the expression alone, and the Netmon filter in user space.
            let both = n.and_then(|n| BpfFilter::compile(&format!("({n}) and ({b})"), LINKTYPE_ETHERNET).ok()).filter(BpfFilter::kernel_accepts);
            match both {
                Some(p) => Some((p, true)),
                None => Some((BpfFilter::compile(b, LINKTYPE_ETHERNET)?, false)),
            }
        }
    };
    Ok(match compiled {
        Some((p, netmon_in)) => {
            let mut insns = p.insns;
            for i in insns.iter_mut().filter(|i| i.code == BPF_RET_K && i.k != 0) {
                i.k = snaplen;
            }
            (Some(insns), netmon_in)
        }
        None if snaplen < MAX_SNAPLEN => (Some(vec![libc::sock_filter { code: BPF_RET_K, jt: 0, jf: 0, k: snaplen }]), false),
        None => (None, false),
    })
}

/// An expression whose meaning on a live Linux socket libpcap compiles differently from a
/// dead handle's: `vlan` (the kernel has taken the tag out of the frame; libpcap reads it from
/// the packet's metadata on a handle it opened) and the packet-direction and interface
/// primitives. The ring leaves such captures to libpcap.
fn needs_libpcap_handle(bpf: &str) -> bool {
    bpf.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').any(|w| matches!(w, "vlan" | "mpls" | "pppoes" | "geneve" | "inbound" | "outbound" | "ifindex"))
}

impl Ring {
    /// Opens the ring on interface `name` (of the calling thread's network namespace). Fails for
    /// an interface that is not Ethernet or loopback, and whenever a step of the setup fails; the
    /// caller then uses libpcap.
    pub fn open(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<Ring, OpenError> {
        let (mut ring, ifindex, hatype) = Ring::prepare(name, s, filter, bpf)?;
        let fd = ring.fd;
        let other = |what: &str| OpenError::Other(format!("{name}: {what}: {}", std::io::Error::last_os_error()));
        let bytes = if s.buffer_size == 0 { DEFAULT_RING } else { s.buffer_size };
        let block = block_size(bytes);
        let block_nr = bytes.div_ceil(block).clamp(MIN_BLOCKS, 1 << 14);
        let req = Req3 { block_size: block, block_nr, frame_size: block, frame_nr: block_nr, retire_blk_tov: POLL_TIMEOUT_MS as u32, ..Default::default() };
        setsockopt(fd, libc::SOL_PACKET, PACKET_RX_RING, &req).map_err(|_| other("PACKET_RX_RING"))?;
        let map_len = block as usize * block_nr as usize;
        // SAFETY: maps the ring the kernel just allocated for this socket; checked below.
        let map = unsafe { libc::mmap(std::ptr::null_mut(), map_len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
        if map == libc::MAP_FAILED {
            return Err(other("mmap"));
        }
        ring.mem = Arc::new(RingMem {
            map: map.cast(),
            map_len,
            block_size: block as usize,
            block_nr: block_nr as usize,
            lent: (0..block_nr).map(|_| AtomicBool::new(false)).collect(),
        });
        if hatype == ARPHRD_LOOPBACK || super::devices::is_loopback(name) {
            // Each frame once: the received copy (Live does the same with direction In).
            ring.skip_outgoing = setsockopt(fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, &1 as &libc::c_int).is_err();
        }
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as libc::c_ushort;
        sll.sll_protocol = ETH_P_ALL.to_be();
        sll.sll_ifindex = ifindex;
        // SAFETY: binds to a sockaddr_ll of the length given.
        if unsafe { libc::bind(fd, (&sll as *const libc::sockaddr_ll).cast(), std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t) } != 0 {
            return Err(other("bind"));
        }
        ring.link = LinkWatch::new(fd, ifindex);
        ring.waker = Waker::new().map(Arc::new);
        Ok(ring)
    }

    /// Connect's check that the ring opens on `name` with these settings, short of the ring
    /// itself: the socket (CAP_NET_RAW), the interface and its hardware type, TPACKET_V3, the
    /// kernel's filter program and promiscuous mode (left again when the socket closes). No ring memory is allocated and nothing is received (the socket
    /// is never bound); Start opens the ring.
    pub fn check(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<(), OpenError> {
        Ring::prepare(name, s, filter, bpf).map(|_| ())
    }

    /// The first steps of `open` (those `check` makes): a socket with TPACKET_V3, the filter
    /// attached and promiscuous mode on, not bound, without a ring. Gives the interface's index and hardware type.
    fn prepare(name: &str, s: LiveSettings, filter: Option<&crate::filter::CaptureFilter>, bpf: Option<&str>) -> Result<(Ring, libc::c_int, u16), OpenError> {
        if bpf.is_some_and(needs_libpcap_handle) {
            return Err(OpenError::Other(format!("{name}: the filter expression is left to libpcap")));
        }
        let other = |what: &str| OpenError::Other(format!("{name}: {what}: {}", std::io::Error::last_os_error()));
        // SAFETY: a plain socket() call; the descriptor is closed by Ring's Drop or below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(other("socket"));
        }
        // From here on a Ring owns the descriptor (and later the mapping): an early return closes it.
        let snaplen = if s.snaplen == 0 { MAX_SNAPLEN } else { s.snaplen.clamp(1, MAX_SNAPLEN) };
        let mut ring = Ring {
            fd,
            mem: Arc::new(RingMem { map: std::ptr::null_mut(), map_len: 0, block_size: 0, block_nr: 0, lent: Box::new([]) }),
            lending: false,
            keep: false,
            lent_out: Vec::new(),
            epfd: -1,
            cur: 0,
            held: false,
            left: 0,
            next_at: 0,
            snaplen,
            skip_outgoing: false,
            kernel_filter: false,
            stats: KernelStats::default(),
            link: LinkWatch::new(fd, 0),
            scratch: Vec::new(),
            waker: None,
            idle: false,
        };
        let ifindex = interface_index(fd, name).ok_or_else(|| OpenError::NoDevice(format!("{name}: no such interface")))?;
        // SAFETY: ifreq is plain data; all-zero is a valid value.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, b) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
            *d = b as libc::c_char;
        }
        // SAFETY: SIOCGIFHWADDR reads the NUL-terminated name and writes into the ifreq we own.
        if unsafe { libc::ioctl(fd, libc::SIOCGIFHWADDR, &mut ifr) } != 0 {
            return Err(other("SIOCGIFHWADDR"));
        }
        // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
        let hatype = unsafe { ifr.ifr_ifru.ifru_hwaddr }.sa_family;
        if hatype != ARPHRD_ETHER && hatype != ARPHRD_LOOPBACK {
            return Err(OpenError::Other(format!("{name}: hardware type {hatype} is not read through the ring")));
        }
        setsockopt(fd, libc::SOL_PACKET, PACKET_VERSION, &TPACKET_V3).map_err(|_| other("TPACKET_V3"))?;
        setsockopt(fd, libc::SOL_PACKET, PACKET_RESERVE, &(VLAN_TAG_LEN as libc::c_int)).map_err(|_| other("PACKET_RESERVE"))?;
        // The filter goes on before bind: until bind (protocol 0) the socket receives nothing, so
        // no frame that fails the filter enters the ring.
        let (prog, kernel_filter) = program(filter, bpf, snaplen).map_err(OpenError::Filter)?;
        if let Some(insns) = &prog {
            let fprog = libc::sock_fprog { len: insns.len() as libc::c_ushort, filter: insns.as_ptr().cast_mut() };
            setsockopt(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog).map_err(|_| other("SO_ATTACH_FILTER"))?;
        }
        ring.kernel_filter = kernel_filter;
        // Promiscuous mode lasts as long as the socket (it receives once bound).
        if s.promiscuous {
            let mr = libc::packet_mreq { mr_ifindex: ifindex, mr_type: PACKET_MR_PROMISC, mr_alen: 0, mr_address: [0; 8] };
            setsockopt(fd, libc::SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr).map_err(|e| OpenError::Promiscuous(format!("{name}: promiscuous mode: {e}")))?;
        }
        Ok((ring, ifindex, hatype))
    }

    /// Gives the held block back to the kernel (or lends it, when its frames were kept) and
    /// moves on to the next.
    fn release(&mut self) {
        if self.held {
            if self.keep {
                self.mem.lent[self.cur].store(true, Ordering::Relaxed);
                self.lent_out.push(LentBlock { mem: Arc::clone(&self.mem), index: self.cur });
                self.keep = false;
            } else {
                self.mem.status(self.cur).store(TP_STATUS_KERNEL, Ordering::Release);
            }
            self.held = false;
            self.left = 0;
            self.cur = (self.cur + 1) % self.mem.block_nr;
        }
    }

    /// Waits for the kernel to retire a block, up to the poll timeout (IDLE_WAIT_MS when the
    /// capture thread is idle and not stopping); true when the socket reported an error or
    /// hang-up. The waker cuts a long wait short: from then the wait lasts at most the poll
    /// timeout (so Stop still drains a block the kernel retires by then, as before). While blocks
    /// are lent `poll` would not sleep (a lent block is not the kernel's): the edge-triggered
    /// epoll wakes at the next retirement instead.
    fn wait(&self, stopping: bool) -> bool {
        let long = self.waker.is_some() && self.idle && !stopping;
        let mut until = Instant::now() + Duration::from_millis(if long { IDLE_WAIT_MS } else { POLL_TIMEOUT_MS } as u64);
        let mut woken_before = false;
        loop {
            // Rounded up: a wait never ends before `until`.
            let ms = until.saturating_duration_since(Instant::now()).as_micros().div_ceil(1000) as i32;
            let (trouble, woken) = self.wait_for(ms);
            if !woken {
                return trouble;
            }
            if let Some(w) = &self.waker {
                w.clear();
            }
            if !woken_before {
                woken_before = true;
                until = until.min(Instant::now() + Duration::from_millis(POLL_TIMEOUT_MS as u64));
            }
            if trouble || Instant::now() >= until {
                return trouble;
            }
        }
    }

    /// One wait of up to `ms` for the socket and the waker: (error or hang-up on the socket, the
    /// waker fired).
    fn wait_for(&self, ms: i32) -> (bool, bool) {
        let wake_fd = self.waker.as_ref().map_or(-1, |w| w.fd());
        if self.epfd < 0 {
            if wake_fd < 0 {
                return (wait_readable_for(self.fd, ms), false);
            }
            let mut fds = [libc::pollfd { fd: self.fd, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: wake_fd, events: libc::POLLIN, revents: 0 }];
            // SAFETY: two pollfd entries, ours for the duration of the call.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
            let trouble = n > 0 && fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0;
            return (trouble, n > 0 && fds[1].revents & libc::POLLIN != 0);
        }
        // SAFETY: epoll_event is plain data; all-zero is a valid value.
        let mut ev: [libc::epoll_event; 2] = unsafe { std::mem::zeroed() };
        // SAFETY: room for two events for the duration of the call.
        let n = unsafe { libc::epoll_wait(self.epfd, ev.as_mut_ptr(), 2, ms) };
        let (mut trouble, mut woken) = (false, false);
        for e in ev.iter().take(n.max(0) as usize) {
            // The socket's entry carries 0, the waker's 1 (registered in `lend`).
            if e.u64 == 1 {
                woken = true;
            } else if e.events & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                trouble = true;
            }
        }
        (trouble, woken)
    }

    /// Where the walk of the held block is: its start, the frames left, the next one's offset.
    #[inline(always)]
    fn cursor(&self) -> Cursor {
        Cursor { block: if self.held { self.mem.block(self.cur) } else { std::ptr::null_mut() }, left: self.left, next_at: self.next_at }
    }

    /// The next frame of the held block, if it has one left (the block stays held).
    #[inline(always)]
    fn next_in_block(&mut self) -> Option<Found> {
        let mut c = self.cursor();
        let found = self.next_at_cursor(&mut c);
        (self.left, self.next_at) = (c.left, c.next_at);
        found
    }

    /// `next_in_block` with the walk's position in `c` (locals while a walk runs).
    #[inline(always)]
    fn next_at_cursor(&mut self, c: &mut Cursor) -> Option<Found> {
        while c.left > 0 {
            c.left -= 1;
            // SAFETY: the held block is ours until released; the kernel laid out `num_pkts`
            // headers in it, each 16-aligned, chained by `next_offset`.
            let at = unsafe { c.block.add(c.next_at) };
            // SAFETY: as above.
            let h: Hdr3 = unsafe { std::ptr::read(at.cast::<Hdr3>()) };
            c.next_at += h.next_offset as usize;
            if c.left > PREFETCH_AHEAD {
                // The kernel wrote the frames on another CPU: ask for the header and first bytes
                // of the frame PREFETCH_AHEAD further on (as far as frames of this one's size
                // go), so that they are here when the walk gets there (the first read of a
                // frame was the costliest instruction of the walk).
                let ahead = c.next_at + PREFETCH_AHEAD as usize * h.next_offset as usize;
                prefetch(c.block.wrapping_add(ahead));
            }
            // SAFETY: the sockaddr_ll follows the header inside the block.
            if self.skip_outgoing && unsafe { *at.add(SLL_PKTTYPE_AT) } == PACKET_OUTGOING {
                continue;
            }
            return Some(self.frame(at, &h));
        }
        None
    }

    /// The next frame of the ring, if one is ready: from the held block, else from the next
    /// block once the kernel retired it (the held one is given back first).
    fn take(&mut self) -> Option<Found> {
        loop {
            if let Some(f) = self.next_in_block() {
                return Some(f);
            }
            self.release();
            // A block still lent holds frames of the previous lap: not ready (its LentBlock
            // stores the kernel's status before it clears `lent`).
            if self.lending && self.mem.lent[self.cur].load(Ordering::Acquire) {
                return None;
            }
            if self.mem.status(self.cur).load(Ordering::Acquire) & TP_STATUS_USER == 0 {
                return None;
            }
            let b = self.mem.block(self.cur);
            // SAFETY: the kernel retired the block (TP_STATUS_USER, read with Acquire): its
            // header is complete and ours until released.
            let (n, first) = unsafe { (std::ptr::read(b.add(BLOCK_NUM_PKTS_AT).cast::<u32>()), std::ptr::read(b.add(BLOCK_FIRST_AT).cast::<u32>())) };
            self.held = true;
            self.left = n;
            self.next_at = first as usize;
        }
    }

    /// The frame whose header `h` is at `at`, with its VLAN tag put back when the kernel took it
    /// out (as libpcap does), cut to the snap length.
    #[inline(always)]
    fn frame(&mut self, at: *mut u8, h: &Hdr3) -> Found {
        let ts = Timestamp { sec: i64::from(h.sec), nsec: h.nsec };
        // SAFETY: tp_mac is the frame's offset from its header, inside the block.
        let mut data = unsafe { at.add(h.mac as usize) }.cast_const();
        let mut len = h.snaplen as usize;
        let mut wire = h.len;
        let tagged = h.vlan_tci != 0 || h.status & TP_STATUS_VLAN_VALID != 0;
        if tagged && len >= VLAN_OFFSET {
            let tpid = if h.vlan_tpid != 0 || h.status & TP_STATUS_VLAN_TPID_VALID != 0 { h.vlan_tpid } else { ETH_P_8021Q };
            let mut tag = [0u8; VLAN_TAG_LEN];
            tag[..2].copy_from_slice(&tpid.to_be_bytes());
            tag[2..].copy_from_slice(&(h.vlan_tci as u16).to_be_bytes());
            if h.mac as usize >= SLL_END + VLAN_TAG_LEN {
                // SAFETY: the 4 bytes before the frame are the reserve (PACKET_RESERVE) or
                // padding after the sockaddr_ll, inside the held block; `copy` allows the overlap.
                unsafe {
                    let start = at.add(h.mac as usize - VLAN_TAG_LEN);
                    std::ptr::copy(data, start, VLAN_OFFSET);
                    std::ptr::copy_nonoverlapping(tag.as_ptr(), start.add(VLAN_OFFSET), VLAN_TAG_LEN);
                    data = start;
                }
            } else {
                // SAFETY: the frame's `len` bytes are inside the held block.
                let bytes = unsafe { std::slice::from_raw_parts(data, len) };
                self.scratch.clear();
                self.scratch.extend_from_slice(&bytes[..VLAN_OFFSET]);
                self.scratch.extend_from_slice(&tag);
                self.scratch.extend_from_slice(&bytes[VLAN_OFFSET..]);
                data = self.scratch.as_ptr();
            }
            len += VLAN_TAG_LEN;
            wire += VLAN_TAG_LEN as u32;
        }
        Found { ts, wire_len: wire, data, len: len.min(self.snaplen as usize) }
    }
}

/// The capture loop walks the ring inlined (`Walk`): the walk and the loop's work on each frame
/// become one loop, without a call per frame.
impl Walk for Ring {
    #[inline(always)]
    fn walk<F: FnMut(&Frame<'_>) -> bool>(&mut self, mut each: F) -> usize {
        let mut n = 0;
        // The position in locals for the walk (`each` cannot reach the ring), written back once.
        let mut c = self.cursor();
        while let Some(f) = self.next_at_cursor(&mut c) {
            n += 1;
            // SAFETY: as in `next`: the bytes are in the held block (or the scratch buffer), which
            // stays as it is until the next `next_in_block`, after `each` has returned.
            let frame = Frame { ts: f.ts, wire_len: f.wire_len, data: unsafe { std::slice::from_raw_parts(f.data, f.len) } };
            if !each(&frame) {
                break;
            }
        }
        (self.left, self.next_at) = (c.left, c.next_at);
        n
    }

    fn source(&mut self) -> &mut dyn Source {
        self
    }
}

impl Source for Ring {
    fn next(&mut self, before_wait: &mut dyn FnMut() -> bool) -> Next<'_> {
        if self.link.came_back() {
            return Next::Link(true);
        }
        let mut found = self.take();
        if found.is_none() {
            // `take` gave every block back: poll sleeps until the kernel retires one (a poll
            // while a retired block is held would not sleep). Waits also after Stop: frames of a
            // block the kernel has not retired yet become readable when it does (within the
            // retire timeout, the poll timeout), and Stop drains them.
            let stopping = before_wait();
            let trouble = self.wait(stopping);
            found = self.take();
            if found.is_none() {
                if trouble {
                    return self.link.on_trouble(None);
                }
                if let Some(n) = self.link.quiet_look() {
                    return n;
                }
            }
        }
        match found {
            // SAFETY: the bytes are in the held ring block (or the scratch buffer), which stays
            // the source's until the next `take`, which needs `&mut self` again: not before the
            // returned Frame is gone.
            Some(f) => Next::Frame(Frame { ts: f.ts, wire_len: f.wire_len, data: unsafe { std::slice::from_raw_parts(f.data, f.len) } }),
            None => Next::Idle,
        }
    }

    fn linktype(&self) -> u32 {
        LINKTYPE_ETHERNET
    }

    /// The rest of the held block, frame by frame, in place (a batch); the block goes back to the
    /// kernel at the next `next`, as always.
    fn each_ready(&mut self, each: &mut dyn FnMut(&Frame<'_>) -> bool) -> usize {
        self.walk(each)
    }

    fn as_ring(&mut self) -> Option<&mut Ring> {
        Some(self)
    }

    fn waker(&self) -> Option<Arc<Waker>> {
        self.waker.clone()
    }

    fn set_idle(&mut self, idle: bool) {
        self.idle = idle;
    }

    fn kernel_stats(&mut self) -> Option<KernelStats> {
        let mut st = StatsV3::default();
        let mut len = std::mem::size_of::<StatsV3>() as libc::socklen_t;
        // SAFETY: PACKET_STATISTICS writes at most `len` bytes into `st`.
        let r = unsafe { libc::getsockopt(self.fd, libc::SOL_PACKET, PACKET_STATISTICS, (&mut st as *mut StatsV3).cast(), &mut len) };
        if r == 0 {
            // tp_packets counts the dropped frames too (as libpcap's ps_recv).
            self.stats.received += u64::from(st.packets);
            self.stats.dropped += u64::from(st.drops);
        }
        Some(self.stats)
    }

    fn kernel_filtered(&self) -> bool {
        self.kernel_filter
    }

    fn is_live(&self) -> bool {
        true
    }

    fn lend(&mut self) -> Option<Lending> {
        if self.mem.block_nr < LEND_MIN_BLOCKS {
            return None;
        }
        if self.epfd < 0 {
            // SAFETY: plain epoll calls on descriptors this source owns; the epoll descriptor is
            // closed by Drop.
            let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            if epfd < 0 {
                return None;
            }
            let mut ev = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLET) as u32, u64: 0 };
            // SAFETY: as above.
            if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, self.fd, &mut ev) } != 0 {
                // SAFETY: the descriptor just created, closed once.
                unsafe { libc::close(epfd) };
                return None;
            }
            if let Some(w) = &self.waker {
                // Level-triggered: readable until `wait` clears it.
                let mut wev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 1 };
                // SAFETY: as above; the waker lives as long as the ring.
                if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, w.fd(), &mut wev) } != 0 {
                    self.waker = None;
                }
            }
            self.epfd = epfd;
        }
        self.lending = true;
        let start = self.mem.map as usize;
        let keep_alive: Arc<dyn std::any::Any + Send + Sync> = self.mem.clone();
        Some(Lending { range: start..start + self.mem.map_len, blocks: self.mem.block_nr, keep_alive })
    }

    fn keep_held(&mut self) {
        self.keep |= self.held;
    }

    fn take_lent(&mut self, out: &mut Vec<LentBlock>, all: bool) {
        if all && self.keep {
            // The source reads no further: the held block goes with the frames kept from it.
            self.release();
        }
        out.append(&mut self.lent_out);
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // The mapping goes with the last of `mem`'s owners (lent blocks may outlive the source).
        if self.epfd >= 0 {
            // SAFETY: our epoll descriptor, closed once.
            unsafe { libc::close(self.epfd) };
        }
        // SAFETY: our descriptor, closed once. The mapping keeps the socket's ring alive.
        unsafe { libc::close(self.fd) };
    }
}

/// The block size of a ring of `bytes`: the largest power of two that cuts it into at least
/// BLOCKS_PER_RING blocks, between MIN_BLOCK and MAX_BLOCK. The capture thread wakes once per
/// block the kernel retires, so at high rates larger blocks mean fewer wake-ups (in an 8 MiB
/// ring at 64-byte frames, 512 KiB blocks cost the capture thread about a quarter less CPU than
/// 256 KiB ones: bench/README.md); enough blocks remain for some to be lent or read while the
/// kernel fills the others.
fn block_size(bytes: u32) -> u32 {
    let per_block = bytes / BLOCKS_PER_RING;
    if per_block < MIN_BLOCK {
        return MIN_BLOCK;
    }
    (1u32 << per_block.ilog2()).min(MAX_BLOCK)
}

/// How many frames ahead of the walk `prefetch` asks for (a cross-CPU cache miss takes longer
/// than the work on one small frame).
const PREFETCH_AHEAD: u32 = 3;

/// Brings the two cache lines at `at` (a frame's header and the start of its bytes) towards
/// this CPU without waiting for them; a hint only (nothing on other architectures).
#[inline(always)]
fn prefetch(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing into the program.
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch(at.cast::<i8>(), _MM_HINT_T0);
        _mm_prefetch(at.wrapping_add(64).cast::<i8>(), _MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};

    /// Runs `f` on a thread of its own in a new network namespace whose `lo` is up (traffic stays
    /// there). None when the process may not make one (not root): the test is skipped.
    fn in_netns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        std::thread::spawn(move || {
            // SAFETY: unshare affects only the calling thread's network namespace.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                eprintln!("skipped: no network namespace ({})", std::io::Error::last_os_error());
                return None;
            }
            set_lo_up(true);
            Some(f())
        })
        .join()
        .unwrap()
    }

    fn set_lo_up(up: bool) {
        // SAFETY: plain socket/ioctl/close calls on an ifreq we own.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0);
            let mut ifr: libc::ifreq = std::mem::zeroed();
            ifr.ifr_name[..2].copy_from_slice(&[b'l' as libc::c_char, b'o' as libc::c_char]);
            assert_eq!(libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr), 0);
            let mut flags = ifr.ifr_ifru.ifru_flags as libc::c_int;
            flags = if up { flags | libc::IFF_UP } else { flags & !libc::IFF_UP };
            ifr.ifr_ifru.ifru_flags = flags as libc::c_short;
            assert_eq!(libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut ifr), 0);
            libc::close(fd);
        }
    }

    fn settings(snaplen: u32, buffer_size: u32) -> LiveSettings {
        LiveSettings { snaplen, buffer_size, promiscuous: true }
    }

    /// One frame as a source delivered it: (bytes, length on the wire).
    type Got = (Vec<u8>, u32);

    /// Reads frames (and other news, as text) until the source was idle with at least `want`
    /// frames read, or 5 s passed.
    fn read(src: &mut dyn Source, want: usize) -> (Vec<Got>, Vec<String>) {
        let (mut frames, mut news) = (Vec::new(), Vec::new());
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            match src.next(&mut || false) {
                Next::Frame(f) => frames.push((f.data.to_vec(), f.wire_len)),
                Next::Idle if frames.len() >= want => break,
                Next::Idle => {}
                Next::Link(up) => news.push(format!("link {up}")),
                Next::Failed(m) => {
                    news.push(format!("failed {m}"));
                    break;
                }
                Next::Corrupt(m) => panic!("corrupt {m}"),
                Next::Lost(m) => panic!("lost {m}"),
                Next::End => panic!("a live source does not end"),
            }
        }
        (frames, news)
    }

    /// UDP datagrams to 127.0.0.1:`port`, payload `tag` + i, padded to `size` bytes.
    fn send_udp(port: u16, tag: &str, n: usize, size: usize) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let r = UdpSocket::bind(("127.0.0.1", port)).ok(); // a receiver, so that no ICMP follows
        for i in 0..n {
            let mut p = format!("{tag}{i:06}").into_bytes();
            p.resize(size.max(p.len()), b'.');
            s.send_to(&p, ("127.0.0.1", port)).unwrap();
        }
        drop(r);
    }

    /// The UDP payload of an IPv4 frame from lo (Ethernet header, IP header of 20 bytes, UDP).
    fn payload(f: &[u8]) -> &[u8] {
        &f[14 + 20 + 8..]
    }

    #[test]
    fn each_frame_on_lo_once_with_its_bytes() {
        let r = in_netns(|| {
            let mut ring = Ring::open("lo", settings(0, 0), None, None).expect("ring on lo");
            assert!(ring.skip_outgoing || ring.kernel_stats().is_some());
            send_udp(40000, "once", 500, 100);
            let (frames, news) = read(&mut ring, 500);
            let k = ring.kernel_stats().unwrap();
            (frames, news, k)
        });
        let Some((frames, news, k)) = r else { return };
        assert!(news.is_empty(), "{news:?}");
        assert_eq!(frames.len(), 500, "each datagram once (sent and received copies would be 1000)");
        for (i, (f, wire)) in frames.iter().enumerate() {
            assert_eq!(f.len(), 14 + 20 + 8 + 100);
            assert_eq!(*wire as usize, f.len());
            assert_eq!(&payload(f)[..10], format!("once{i:06}").as_bytes(), "in order");
        }
        assert_eq!((k.received, k.dropped), (500, 0));
    }

    /// Batches as the engine takes them: one frame from `next`, then `each_ready` stopped after
    /// 1, 2, … 13 frames in turn (and the frames of a stopped batch go on at the next read).
    #[test]
    fn batches_stopped_anywhere_hand_each_frame_once() {
        fn read_batched(src: &mut dyn Source, want: usize) -> (Vec<String>, usize) {
            let (mut got, mut batched, mut stop_after) = (Vec::new(), 0, 1);
            let t0 = Instant::now();
            while got.len() < want && t0.elapsed() < Duration::from_secs(5) {
                if let Next::Frame(f) = src.next(&mut || false) {
                    got.push(String::from_utf8_lossy(&payload(f.data)[..10]).into_owned());
                }
                let mut k = 0;
                batched += src.each_ready(&mut |f| {
                    got.push(String::from_utf8_lossy(&payload(f.data)[..10]).into_owned());
                    k += 1;
                    k < stop_after
                });
                stop_after = stop_after % 13 + 1;
            }
            (got, batched)
        }
        let r = in_netns(|| {
            let mut live = Live::open("lo", settings(0, 0), None, None).unwrap();
            send_udp(40001, "libp", 600, 64);
            let libpcap = read_batched(&mut live, 600);
            let mut ring = Ring::open("lo", settings(0, 0), None, None).unwrap();
            send_udp(40002, "ring", 600, 64);
            let ring = read_batched(&mut ring, 600);
            (libpcap, ring)
        });
        let Some((libpcap, ring)) = r else { return };
        for ((got, batched), tag) in [(libpcap, "libp"), (ring, "ring")] {
            let want: Vec<String> = (0..600).map(|i| format!("{tag}{i:06}")).collect();
            assert_eq!(got, want, "{tag}: each frame once, in order");
            assert!(batched > 300, "{tag}: most frames came in batches ({batched})");
        }
    }

    /// On a quiet link a wait lasts the poll timeout; IDLE_WAIT_MS once the capture thread says
    /// it is idle, unless it is stopping; the waker cuts an idle wait short, after which the wait
    /// lasts at most the poll timeout (so that Stop still drains a block the kernel retires).
    /// Both sleeping rings, plain and lending (epoll), are checked.
    #[test]
    fn a_wake_cuts_a_long_idle_wait_short() {
        let r = in_netns(|| {
            let mut out = Vec::new();
            for lending in [false, true] {
                let mut ring = Ring::open("lo", settings(0, 0), None, None).expect("ring on lo");
                if lending {
                    assert!(ring.lend().is_some());
                }
                let waker = ring.waker().expect("an eventfd");
                let timed = |ring: &mut Ring, stopping: bool, wake_after: Option<Duration>| {
                    let w = Arc::clone(&waker);
                    let h = wake_after.map(|d| {
                        std::thread::spawn(move || {
                            std::thread::sleep(d);
                            w.wake();
                        })
                    });
                    let t0 = Instant::now();
                    let next = ring.next(&mut || stopping);
                    let took = t0.elapsed();
                    assert!(matches!(next, Next::Idle));
                    if let Some(h) = h {
                        h.join().unwrap();
                    }
                    took
                };
                let busy = timed(&mut ring, false, None);
                ring.set_idle(true);
                let idle = timed(&mut ring, false, None);
                let stopping = timed(&mut ring, true, None);
                let woken = timed(&mut ring, false, Some(Duration::from_millis(30)));
                out.push((lending, busy, idle, stopping, woken));
            }
            out
        });
        let Some(out) = r else { return };
        let ms = |n: i32| Duration::from_millis(n as u64);
        for (lending, busy, idle, stopping, woken) in out {
            let what = format!("lending {lending}: {busy:?} {idle:?} {stopping:?} {woken:?}");
            assert!(busy >= ms(POLL_TIMEOUT_MS) && busy < ms(IDLE_WAIT_MS), "{what}");
            assert!(idle >= ms(IDLE_WAIT_MS), "{what}");
            assert!(stopping >= ms(POLL_TIMEOUT_MS) && stopping < ms(IDLE_WAIT_MS), "{what}");
            assert!(woken >= ms(30 + POLL_TIMEOUT_MS) && woken < ms(IDLE_WAIT_MS - 30), "{what}");
        }
    }

    #[test]
    fn snap_length_cuts_in_the_kernel_wire_length_stays() {
        let r = in_netns(|| {
            let mut ring = Ring::open("lo", settings(60, 0), None, None).unwrap();
            send_udp(40001, "snap", 20, 1000);
            read(&mut ring, 20).0
        });
        let Some(frames) = r else { return };
        assert_eq!(frames.len(), 20);
        assert!(frames.iter().all(|(f, w)| f.len() == 60 && *w == 14 + 20 + 8 + 1000));
    }

    /// A filter is on before the socket is bound: no frame that fails it is delivered, even the
    /// ones sent while the ring was being set up; `kernel_filtered` says so.
    #[test]
    fn filter_in_the_kernel_before_bind() {
        let r = in_netns(|| {
            // IPv4 only (Etype 0x0800).
            let etypes = crate::blob::filters::ListFilter { include_all: false, values: vec![0x0800] };
            let filter = crate::filter::CaptureFilter::from_parts(None, Some(&etypes), None, None).unwrap().unwrap();
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let chatter = {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        send_v6(40002);
                    }
                })
            };
            let mut ring = Ring::open("lo", settings(0, 0), Some(&filter), None).unwrap();
            assert!(ring.kernel_filtered());
            send_udp(40002, "v4", 50, 10);
            let got = read(&mut ring, 50).0;
            stop.store(true, Ordering::Relaxed);
            chatter.join().unwrap();
            got
        });
        let Some(frames) = r else { return };
        assert_eq!(frames.len(), 50);
        assert!(frames.iter().all(|(f, _)| f[12..14] == [0x08, 0x00]));
    }

    /// A pcap-filter expression is in the kernel program, with the Netmon filter (both, ANDed)
    /// or alone; one the ring cannot judge as libpcap would is left to libpcap; one that does
    /// not compile is libpcap's error (from the libpcap source, which has the last word).
    #[test]
    fn expression_in_the_kernel_with_the_netmon_filter() {
        let r = in_netns(|| {
            let etypes = crate::blob::filters::ListFilter { include_all: false, values: vec![0x0800] };
            let filter = crate::filter::CaptureFilter::from_parts(None, Some(&etypes), None, None).unwrap().unwrap();
            let mut both = Ring::open("lo", settings(0, 0), Some(&filter), Some("udp dst port 40010 or udp dst port 40012")).unwrap();
            assert!(both.kernel_filtered());
            let mut alone = Ring::open("lo", settings(0, 0), None, Some("udp dst port 40010")).unwrap();
            assert!(!alone.kernel_filtered());
            send_udp(40010, "keep", 50, 10);
            send_udp(40011, "drop", 30, 10);
            send_v6(40012);
            send_v6(40010);
            let (a, b) = (read(&mut both, 50).0, read(&mut alone, 51).0);
            let vlan = Ring::open("lo", settings(0, 0), None, Some("vlan and udp")).is_err();
            let bad = Live::open("lo", settings(0, 0), None, Some("udp port")).err();
            (a, b, vlan, bad)
        });
        let Some((both, alone, vlan, bad)) = r else { return };
        assert_eq!(both.len(), 50, "IPv4 (the Netmon filter) and the expression");
        assert!(both.iter().all(|(f, _)| payload(f).starts_with(b"keep")));
        assert_eq!(alone.len(), 51, "the 50 IPv4 datagrams and the IPv6 one to port 40010");
        assert!(vlan, "vlan: left to libpcap");
        assert!(matches!(&bad, Some(OpenError::Filter(m)) if m.contains("syntax error")), "{bad:?}");
    }

    fn send_v6(port: u16) {
        if let Ok(s) = UdpSocket::bind("[::1]:0") {
            let _ = s.send_to(b"v6", ("::1", port));
        }
    }

    /// Raw frames sent on lo, in order, through one packet socket (the received copies are what
    /// a source delivers). One socket for all: closing a packet socket waits for an RCU grace
    /// period (synchronize_net), tens of milliseconds on a busy machine, and a socket per frame
    /// would spread a few frames over more ring blocks (each retired after POLL_TIMEOUT_MS) than
    /// a ring that nobody reads holds.
    fn send_raw(frames: &[Vec<u8>]) {
        // SAFETY: socket/sendto/close on buffers we own; the sockaddr_ll is of the length given.
        unsafe {
            let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0);
            let mut sll: libc::sockaddr_ll = std::mem::zeroed();
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_ifindex = interface_index(fd, "lo").unwrap();
            sll.sll_halen = 6;
            for frame in frames {
                let n = libc::sendto(
                    fd,
                    frame.as_ptr().cast(),
                    frame.len(),
                    0,
                    (&sll as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                );
                assert_eq!(n, frame.len() as isize, "{}", std::io::Error::last_os_error());
            }
            libc::close(fd);
        }
    }

    /// The kernel takes a received frame's VLAN tag out (into tp_vlan_tci); the ring puts it back
    /// as libpcap does: the bytes are those sent, with 802.1Q and 802.1ad tags, and with a snap
    /// length that cuts inside the frame.
    #[test]
    fn vlan_tags_are_put_back_like_libpcap() {
        let mut sent = Vec::new();
        for (tpid, tci) in [(0x8100u16, 0x2005u16), (0x88A8, 0x0064), (0x8100, 0x0000)] {
            let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&tci.to_be_bytes());
            f.extend_from_slice(&[0x88, 0xB5]); // local experimental Ethertype
            f.extend((0..80u8).map(|i| i ^ tci as u8));
            sent.push(f);
        }
        let r = in_netns(move || {
            let mut out = Vec::new();
            for snaplen in [0u32, 30] {
                let mut ring = Ring::open("lo", settings(snaplen, 0), None, None).unwrap();
                let mut live = Live::open("lo", settings(snaplen, 0), None, None).unwrap();
                send_raw(&sent);
                out.push((snaplen, sent.clone(), read(&mut ring, sent.len()).0, read(&mut live, sent.len()).0));
            }
            out
        });
        let Some(runs) = r else { return };
        for (snaplen, sent, ring, live) in runs {
            assert_eq!(ring.len(), sent.len(), "snaplen {snaplen}");
            for (i, f) in sent.iter().enumerate() {
                let keep = if snaplen == 0 { f.len() } else { snaplen as usize };
                assert_eq!(ring[i].0, f[..keep], "snaplen {snaplen} frame {i}: the tag is back in place");
                assert_eq!(ring[i].1 as usize, f.len(), "snaplen {snaplen} frame {i}: wire length with the tag");
            }
            assert_eq!(ring, live, "snaplen {snaplen}: as libpcap delivers them");
        }
    }

    /// `vlan 5`: the kernel takes the tag out of a received frame, so a program compiled on a
    /// dead handle (which reads the tag from the frame's bytes) would match nothing in the kernel;
    /// such an expression goes to libpcap's source, whose handle compiles it with the kernel's
    /// metadata: exactly the frames tagged with VLAN 5 pass, and arrive with their tag.
    #[test]
    fn vlan_expressions_go_to_libpcap_and_keep_the_tagged_frames() {
        let frame = |tci: Option<u16>, n: u8| {
            let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
            if let Some(tci) = tci {
                f.extend_from_slice(&0x8100u16.to_be_bytes());
                f.extend_from_slice(&tci.to_be_bytes());
            }
            f.extend_from_slice(&[0x88, 0xB5]);
            f.extend(std::iter::repeat(n).take(60));
            f
        };
        let sent: Vec<Vec<u8>> = (0..30u8).map(|n| frame([Some(5), Some(6), None][n as usize % 3], n)).collect();
        let want: Vec<Vec<u8>> = sent.iter().step_by(3).cloned().collect();
        let r = in_netns(move || {
            let mut src = open_live("lo", settings(0, 0), None, Some("vlan 5")).unwrap();
            // Sent while the source reads, as in a capture (the thread is in this namespace too).
            let sender = std::thread::spawn(move || send_raw(&sent));
            let got = read(src.as_mut(), 10).0;
            sender.join().unwrap();
            (got, src.kernel_stats())
        });
        let Some((got, k)) = r else { return };
        assert_eq!(k.map(|k| k.dropped), Some(0), "no frame lost for want of ring space: {k:?}");
        assert_eq!(got.into_iter().map(|(f, _)| f).collect::<Vec<_>>(), want);
    }

    /// Blocks grow with the ring (at least 16 blocks) from 256 KiB to 1 MiB; a ring too small for
    /// 16 blocks of 256 KiB keeps 256 KiB blocks.
    #[test]
    fn blocks_grow_with_the_ring() {
        const K: u32 = 1 << 10;
        const M: u32 = 1 << 20;
        for (ring, block) in [
            (1, 256 * K),
            (2 * M, 256 * K),
            (4 * M, 256 * K),
            (8 * M - 1, 256 * K),
            (8 * M, 512 * K),
            (16 * M - 1, 512 * K),
            (16 * M, M),
            (64 * M, M),
            (u32::MAX, M),
        ] {
            assert_eq!(block_size(ring), block, "ring of {ring} bytes");
        }
        let r = in_netns(|| {
            let ring = Ring::open("lo", settings(0, 8 * M), None, None).unwrap();
            (ring.mem.block_size, ring.mem.block_nr)
        });
        if let Some(got) = r {
            assert_eq!(got, (512 * K as usize, 16));
        }
    }

    /// A ring that overflows: the frames the kernel could not store are counted as dropped, and
    /// received counts them too (PACKET_STATISTICS, accumulated over reads).
    #[test]
    fn overflow_is_counted_as_kernel_drops() {
        let r = in_netns(|| {
            // The smallest ring: 2 blocks of 256 KiB; 4000 frames of 1042 bytes do not fit.
            let mut ring = Ring::open("lo", settings(0, 1), None, None).unwrap();
            assert_eq!(ring.mem.block_nr, 2);
            send_udp(40003, "burst", 2000, 1000);
            let first = ring.kernel_stats().unwrap();
            send_udp(40003, "burst", 2000, 1000);
            let (frames, _) = read(&mut ring, 1);
            let last = ring.kernel_stats().unwrap();
            (first, frames.len() as u64, last)
        });
        let Some((first, got, k)) = r else { return };
        assert!(first.dropped > 0, "{first:?}");
        assert_eq!(k.received, 4000, "{k:?}");
        assert!(k.dropped >= first.dropped, "accumulated: {first:?} then {k:?}");
        assert_eq!(got + k.dropped, 4000, "every frame delivered or counted dropped: {got} and {k:?}");
    }

    /// The link goes down while the source holds a ring block: the frames of that block are
    /// still delivered, then the outage is reported; frames after the link came back arrive.
    #[test]
    fn link_down_while_a_block_is_held() {
        let r = in_netns(|| {
            let mut ring = Ring::open("lo", settings(0, 0), None, None).unwrap();
            send_udp(40004, "before", 10, 10);
            let mut first = None;
            while first.is_none() {
                if let Next::Frame(f) = ring.next(&mut || false) {
                    first = Some(f.data.to_vec());
                }
            }
            assert!(ring.held);
            set_lo_up(false);
            let (rest, news_down) = read(&mut ring, 9);
            set_lo_up(true);
            let mut news_up = Vec::new();
            let t0 = Instant::now();
            while news_up.is_empty() && t0.elapsed() < Duration::from_secs(3) {
                if let Next::Link(up) = ring.next(&mut || false) {
                    news_up.push(up);
                }
            }
            send_udp(40004, "after", 5, 10);
            let (after, _) = read(&mut ring, 5);
            (first.unwrap(), rest, news_down, news_up, after)
        });
        let Some((first, rest, news_down, news_up, after)) = r else { return };
        assert_eq!(&payload(&first)[..6], b"before");
        assert_eq!(rest.len(), 9);
        assert_eq!(news_down.first().map(String::as_str), Some("link false"), "{news_down:?}");
        assert_eq!(news_up, vec![true]);
        assert_eq!(after.len(), 5);
        assert!(after.iter().all(|(f, _)| &payload(f)[..5] == b"after"));
    }

    #[test]
    fn connect_checks_the_setup_without_a_ring() {
        let r = in_netns(|| {
            let lo = check_live("lo", settings(0, 0), None, Some("udp port 53"));
            let ring = Ring::check("lo", settings(0, 0), None, None).is_ok();
            let missing = Ring::check("no-such-nic0", settings(0, 0), None, None).err();
            let bad = Ring::check("lo", settings(0, 0), None, Some("port 99999")).err();
            let missing_live = check_live("no-such-nic0", settings(0, 0), None, None).err();
            let bad_live = check_live("lo", settings(0, 0), None, Some("port 99999")).err();
            let any = check_live("any", settings(0, 0), None, None);
            (lo, ring, missing, bad, missing_live, bad_live, any)
        });
        let Some((lo, ring, missing, bad, missing_live, bad_live, any)) = r else { return };
        assert_eq!(lo.ok(), Some(LINKTYPE_ETHERNET));
        assert!(ring);
        assert!(matches!(missing, Some(OpenError::NoDevice(_))), "{missing:?}");
        assert!(matches!(bad, Some(OpenError::Filter(_))), "{bad:?}");
        // Where the ring does not open, libpcap's source gives the error, as at Start.
        assert!(matches!(missing_live, Some(OpenError::NoDevice(_))), "{missing_live:?}");
        assert!(matches!(bad_live, Some(OpenError::Filter(_))), "{bad_live:?}");
        // `any` is libpcap's (cooked link type), opened and closed.
        assert!(matches!(any, Ok(113 | 276)), "{any:?}");
    }

    #[test]
    fn socket_is_close_on_exec_and_other_devices_are_not_taken() {
        let r = in_netns(|| {
            let ring = Ring::open("lo", settings(0, 0), None, None).unwrap();
            // SAFETY: fcntl on our descriptor.
            let flags = unsafe { libc::fcntl(ring.fd, libc::F_GETFD) };
            let missing = Ring::open("no-such-nic0", settings(0, 0), None, None).err();
            let any = Ring::open("any", settings(0, 0), None, None).is_err();
            (flags, missing, any)
        });
        let Some((flags, missing, any)) = r else { return };
        assert_ne!(flags & libc::FD_CLOEXEC, 0);
        assert!(matches!(missing, Some(OpenError::NoDevice(_))));
        assert!(any, "`any` is libpcap's");
    }
}
