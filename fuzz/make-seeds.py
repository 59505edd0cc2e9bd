#!/usr/bin/env python3
"""Writes the seeds of the capture-file targets (seeds/replay_pcap, seeds/replay_pcapng,
seeds/repair_capture): small valid files in the layouts the library reads and writes, and the
same files cut short. Run from fuzz/: python3 make-seeds.py (the files are committed; rerunning
rewrites them identically)."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# A few frames: Ethernet/IPv4/UDP, Ethernet ARP (broadcast), Ethernet/IPv6/TCP, 802.3 LLC/SNAP.
ETH_IP4 = bytes.fromhex("0200000000010200000000020800" "45000020000100004011f9c80a0000010a000002" "003500350008abcd" "01020304")
ETH_ARP = bytes.fromhex("ffffffffffff0200000000010806" "0001080006040001020000000001" "0a000001000000000000" "0a000002")
ETH_IP6 = bytes.fromhex("333300000001020000000001" "86dd" "6000000000140601" + "fe80" + "00" * 13 + "01" + "ff02" + "00" * 13 + "01"
                        + "1f90005000000001000000005002200000000000")
ETH_SNAP = bytes.fromhex("0180c20000000200000000010016" "aaaa03000000" "0800" + "45000014000140004006" + "0000" + "0a0000010a000002")
RAW_IP4 = ETH_IP4[14:]
SLL = bytes.fromhex("0000" "0001" "0006" "020000000001" "0000" "0800") + RAW_IP4
SLL2 = bytes.fromhex("0800" "0000" "00000002" "0001" "00" "06" "0200000000010000") + RAW_IP4
FRAMES = [ETH_IP4, ETH_ARP, ETH_IP6, ETH_SNAP]


def pcap(records, linktype=1, big=False, nanos=False, snaplen=65535, version=(2, 4)):
    e = ">" if big else "<"
    out = struct.pack(e + "IHHiIII", 0xA1B23C4D if nanos else 0xA1B2C3D4, version[0], version[1], 0, 0, snaplen, linktype)
    for i, (data, wire) in enumerate(records):
        out += struct.pack(e + "IIII", 1_700_000_000 + i, (123_456_789 if nanos else 123_456) + i, len(data), wire) + data
    return out


def block(e, kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack(e + "II", kind, 12 + len(body)) + body + struct.pack(e + "I", 12 + len(body))


def option(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def pcapng(frames, big=False, tsresol=9, linktype=1, comment=False, simple=False):
    e = ">" if big else "<"
    out = block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb_opts = b""
    if tsresol is not None:
        idb_opts = option(e, 9, bytes([tsresol])) + option(e, 0, b"")
    out += block(e, 1, struct.pack(e + "HHI", linktype, 0, 262144) + idb_opts)
    t = 1_700_000_000 * (10 ** (tsresol if tsresol is not None else 6))
    for i, data in enumerate(frames):
        body = struct.pack(e + "IIIII", 0, (t + i) >> 32, (t + i) & 0xFFFFFFFF, len(data), len(data)) + data
        body += b"\0" * (-len(data) % 4)
        if comment and i == 0:
            body += option(e, 1, b"a comment") + option(e, 0, b"")
        out += block(e, 6, body)
    if simple:
        out += block(e, 3, struct.pack(e + "I", len(frames[0])) + frames[0])
    return out


def netmon2(frames, minor=0, finished=False, media=None):
    """The layout of src/capfile/netmon2.rs: header, records, and (finished) the frame table with
    the header's table fields; unfinished, as a crash leaves the writer's file."""
    recs = b""
    offsets = []
    for i, data in enumerate(frames):
        offsets.append(128 + len(recs))
        recs += struct.pack("<QII", 1000 * i, len(data) + 4, len(data)) + data
        if minor == 1:
            recs += struct.pack("<H", media)
    header = bytearray(128)
    header[0:4] = b"GMBU"
    header[4], header[5] = minor, 2
    header[6:8] = struct.pack("<H", 1)
    header[8:24] = struct.pack("<8H", 2023, 11, 2, 14, 22, 13, 20, 123)
    table = b"".join(struct.pack("<I", o) for o in offsets)
    if finished:
        header[24:32] = struct.pack("<II", 128 + len(recs), len(table))
        return bytes(header) + recs + table
    return bytes(header) + recs


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    eth = [(f, len(f)) for f in FRAMES]
    le_us = pcap(eth)
    seeds = {
        "le_us_eth.pcap": le_us,
        "be_ns_eth.pcap": pcap(eth, big=True, nanos=True),
        "le_ns_raw.pcap": pcap([(RAW_IP4, len(RAW_IP4))], linktype=101, nanos=True),
        "be_us_ipv4.pcap": pcap([(RAW_IP4, len(RAW_IP4))], linktype=228, big=True),
        "le_us_sll.pcap": pcap([(SLL, len(SLL))], linktype=113),
        "le_us_sll2.pcap": pcap([(SLL2, len(SLL2))], linktype=276),
        "snaplen_40.pcap": pcap([(ETH_IP6, len(ETH_IP6) + 100)], snaplen=40),
        "usb_libpcap.pcap": pcap([(bytes(48), 48)], linktype=189),
        "v2_3_libpcap.pcap": pcap(eth[:2], version=(2, 3)),
        "cut_in_data.pcap": le_us[:-5],
        "cut_in_header.pcap": le_us[:-(len(FRAMES[-1]) + 9)],
    }
    for name, data in seeds.items():
        write("replay_pcap", name, data)

    le_ns = pcapng(FRAMES)
    seeds_ng = {
        "le_ns.pcapng": le_ns,
        "be_ns.pcapng": pcapng(FRAMES, big=True),
        "le_us_comment_spb.pcapng": pcapng(FRAMES[:2], tsresol=None, comment=True, simple=True),
        "raw.pcapng": pcapng([RAW_IP4], linktype=101),
        "cut.pcapng": le_ns[:-7],
    }
    for name, data in seeds_ng.items():
        write("replay_pcapng", name, data)

    nm = netmon2(FRAMES)
    seeds_repair = {
        "nm20_cut.cap": nm,
        "nm20_cut_partial.cap": nm + struct.pack("<QII", 9999, 1000, 1000) + bytes(30),
        "nm21_sll_cut.cap": netmon2([SLL, SLL], minor=1, media=0xE000 | 113),
        "nm20_finished.cap": netmon2(FRAMES, finished=True),
        "nm20_header_only.cap": netmon2([]),
        "cut.pcap": le_us[:-5],
        "cut.pcapng": le_ns[:-7],
    }
    for name, data in seeds_repair.items():
        write("repair_capture", name, data)


main()
