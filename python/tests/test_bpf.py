"""NPP:Config:BpfFilter from a config dict: a pcap-filter expression keeps exactly the frames
that pass it (Esp into a file, RealTime frames), alone and with a Netmon filter; one libpcap
cannot compile raises NmError with the entry and libpcap's message. Replay NICs: no privilege."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import List, Tuple

import pytest
from conftest import read_pcap, wait_for

import ndisnpp

N = 20
PORTS = (53, 4000, 4001)


def udp_frame(port: int, i: int) -> bytes:
    """Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, UDP 12345 -> port, payload "<port>-<i>" padded."""
    payload = f"{port}-{i:03d}".encode().ljust(18, b".")
    udp = struct.pack(">HHHH", 12345, port, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return bytes.fromhex("020000000001" "020000000002" "0800") + ip + udp


ARP = bytes.fromhex("ffffffffffff" "020000000002" "0806" "0001080006040001") + bytes(38)


def frames() -> List[Tuple[int, bytes]]:
    """N rounds of one datagram to each port and an ARP request (port 0): (port, frame)."""
    return [(port, udp_frame(port, i) if port else ARP) for i in range(N) for port in PORTS + (0,)]


@pytest.fixture
def udp_file(tmp_path: Path) -> Path:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for k, (_, f) in enumerate(frames()):
        out.append(struct.pack("<IIII", 1_700_000_000 + k, 0, len(f), len(f)) + f)
    path = tmp_path / "udp.pcap"
    path.write_bytes(b"".join(out))
    return path


def test_esp_keeps_exactly_the_expression(udp_file: Path, capture_dir: str) -> None:
    config = {"NPP:Config:CaptureDirectory": capture_dir, "NPP:Config:FileFormat": "PCAP", "NPP:Config:BpfFilter": "udp port 53"}
    with ndisnpp.Esp(ndisnpp.replay_nic(udp_file), config) as esp:
        path = esp.start()
        wait_for(lambda: esp.frames_captured() >= N, f"{N} frames")
        st = esp.stop()
    assert read_pcap(Path(path)) == [f for port, f in frames() if port == 53]
    assert (st.TotalFramesFiltered, st.TotalFramesCaptured, st.TotalFramesDropped) == (N, N, 0)


def test_with_a_netmon_filter_the_intersection(udp_file: Path, capture_dir: str) -> None:
    # The Netmon part keeps IPv4 (an Etype accept list), the expression port 4000 and ARP: the
    # two together keep the datagrams to port 4000 only.
    config = ndisnpp.Blob({"NPP:Config:CaptureDirectory": capture_dir, "NPP:Config:FileFormat": "PCAP"})
    config["NPP:Config:BpfFilter"] = "udp dst port 4000 or arp"
    config["NPP:Config:Etypes"] = "EXCLUDE ALL EXCEPT 0x0800"
    with ndisnpp.Esp(ndisnpp.replay_nic(udp_file), config) as esp:
        path = esp.start()
        wait_for(lambda: esp.frames_captured() >= N, f"{N} frames")
        st = esp.stop()
    assert read_pcap(Path(path)) == [f for port, f in frames() if port == 4000]
    assert st.TotalFramesCaptured == N


def test_realtime_frames(udp_file: Path) -> None:
    with ndisnpp.RealTime(ndisnpp.replay_nic(udp_file), {"NPP:Config:BpfFilter": "udp dst port 4001"}) as rt:
        rt.start()
        got = [f.data for f in rt.frames(timeout=1.0)]
        rt.stop()
    assert got == [f for port, f in frames() if port == 4001]


def test_a_bad_expression_raises_with_libpcaps_message(udp_file: Path) -> None:
    esp = ndisnpp.Esp(ndisnpp.replay_nic(udp_file), {"NPP:Config:BpfFilter": "udp port"})
    with pytest.raises(ndisnpp.NmError) as e:
        esp.connect()
    assert e.value.code == ndisnpp.NMERR_BLOB_CONVERSION_ERROR and e.value.function == "esp_connect"
    assert e.value.details["NPP:Config:BpfFilter"] == "udp port"
    assert "syntax error" in e.value.details["NPP:Error:Detail"]
    esp.close()
