"""Shared helpers: replay files written here, private capture directories, bounded waits, and the
project rule that a test whose prerequisite is missing fails (unless NDISNPP_ALLOW_SKIP=1)."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path
from typing import Callable, List

import pytest

#: The repository (python/tests/ is two levels below it).
REPO = Path(__file__).resolve().parents[2]
ETHERTYPE = 0x88B5
DEADLINE = 10.0


def require(condition: bool, what: str) -> None:
    """Fails the test when a prerequisite is missing; skips instead with NDISNPP_ALLOW_SKIP=1."""
    if condition:
        return
    if os.environ.get("NDISNPP_ALLOW_SKIP") == "1":
        pytest.skip(what)
    pytest.fail(f"prerequisite missing: {what} (NDISNPP_ALLOW_SKIP=1 to skip)")


def replay_frame(i: int) -> bytes:
    """Frame i of the replay files: 60+i bytes to 02:00:00:00:00:01 from 02:00:00:00:00:02,
    EtherType 0x88B5, filled with the byte i+1."""
    head = bytes.fromhex("020000000001" "020000000002") + struct.pack(">H", ETHERTYPE)
    return head + bytes([(i + 1) & 0xFF]) * (60 + i - len(head))


def replay_time_us(i: int) -> int:
    """Timestamp of frame i in microseconds since the epoch."""
    return (1_700_000_000 + i) * 1_000_000 + 1000 * i


def write_pcap(path: Path, count: int) -> Path:
    """A classic pcap file (microseconds, LINKTYPE_ETHERNET) of `count` replay frames."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i in range(count):
        frame = replay_frame(i)
        out.append(struct.pack("<IIII", 1_700_000_000 + i, 1000 * i, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))
    return path


def read_pcap(path: Path) -> List[bytes]:
    """The frames of a classic pcap file (either timestamp resolution, little-endian)."""
    data = path.read_bytes()
    assert struct.unpack_from("<I", data)[0] in (0xA1B2C3D4, 0xA1B23C4D), "not a little-endian pcap file"
    frames, at = [], 24
    while at < len(data):
        _, _, stored, _ = struct.unpack_from("<IIII", data, at)
        frames.append(data[at + 16 : at + 16 + stored])
        at += 16 + stored
    return frames


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` until it holds; fails after DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def capture_dir(tmp_path: Path) -> str:
    """A private (0700) capture directory."""
    d = tmp_path / "captures"
    d.mkdir(mode=0o700)
    return str(d)


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    """A replay file of 50 frames."""
    return write_pcap(tmp_path / "in.pcap", 50)
