"""Remote NICs from Python: ndisnpp.nics(remote=...) lists a host's interfaces over ssh, and a
capture on one streams from there. Against a private sshd on 127.0.0.1 (scripts/test-sshd.sh) and
a stand-in remote program (NPP:Remote:Program) that answers --list, --probe and --stream as
ndisnpp's nmcap does (protocol 1). Needs root and openssh-server."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from conftest import REPO, read_pcap, replay_frame, require, wait_for

import ndisnpp

N = 30


def pcapng(frames: list) -> bytes:
    """A pcapng stream: section header, one Ethernet interface (microseconds), the frames."""
    def block(kind: int, body: bytes) -> bytes:
        length = 12 + len(body)
        return struct.pack("<II", kind, length) + body + struct.pack("<I", length)

    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)), block(1, struct.pack("<HHI", 1, 0, 0))]
    for i, f in enumerate(frames):
        t = (1_700_000_000 + i) * 1_000_000
        pad = b"\0" * ((4 - len(f) % 4) % 4)
        out.append(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(f), len(f)) + f + pad))
    return b"".join(out)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Path]:
    require(os.geteuid() == 0, "root (the private sshd logs root in)")
    d = Path(f"/tmp/ndisnpp-pytest-sshd-{os.getpid()}")
    r = subprocess.run(["bash", str(REPO / "scripts" / "test-sshd.sh"), "start", str(d)], capture_output=True, text=True)
    require(r.returncode != 77, "openssh-server")
    assert r.returncode == 0, r.stderr
    old = os.environ.get("NDISNPP_SSH_CONFIG")
    os.environ["NDISNPP_SSH_CONFIG"] = str(d / "ssh_config")
    try:
        yield d
    finally:
        if old is None:
            os.environ.pop("NDISNPP_SSH_CONFIG", None)
        else:
            os.environ["NDISNPP_SSH_CONFIG"] = old
        subprocess.run(["bash", str(REPO / "scripts" / "test-sshd.sh"), "stop", str(d)])


@pytest.fixture
def fake_program(sshd: Path) -> Path:
    stream = sshd / "stream.pcapng"
    stream.write_bytes(pcapng([replay_frame(i) for i in range(N)]))
    prog = sshd / "fake-nmcap"
    prog.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "--list) printf '#NMBLOB 1\\nNPP:Location:Name=eth7\\nNPP:Location:ReplayFile=/etc/shadow\\n' ;;\n"
        "--probe) echo '@nmcap 1 ok test' >&2 ;;\n"
        f"--stream) echo '@nmcap 1 ready' >&2; cat {stream}; cat >/dev/null; echo '@nmcap 1 end NMERR_SUCCESS' >&2 ;;\n"
        "*) exit 2 ;;\n"
        "esac\n"
    )
    prog.chmod(0o755)
    return prog


def test_remote_nics_and_captures(fake_program: Path, tmp_path: Path) -> None:
    found = ndisnpp.nics(remote="capturehost", Program=str(fake_program))
    assert [n.name for n in found] == ["eth7"]
    nic = found[0]
    assert nic.blob["NPP:Remote:RemoteComputer"] == "capturehost"
    assert nic.blob["NPP:Config:IsRemote"] == "TRUE"
    assert "NPP:Location:ReplayFile" not in nic.blob, "only the entries that describe an interface are kept"
    with ndisnpp.RealTime(nic) as rt:
        rt.start()
        wait_for(lambda: rt.frames_captured() >= N, f"{N} frames")
        rt.stop()
        got = [f.data for f in rt.frames(timeout=1)]
    assert got == [replay_frame(i) for i in range(N)]
    capdir = tmp_path / "caps"
    capdir.mkdir(mode=0o700)
    with ndisnpp.Esp(nic, config={"NPP:Config:CaptureDirectory": str(capdir), "NPP:Config:FileFormat": "PCAP"}) as esp:
        path = esp.start()
        wait_for(lambda: esp.frames_captured() >= N, f"{N} frames")
        stats = esp.stop()
    assert stats.TotalFramesCaptured == N
    assert read_pcap(Path(path)) == [replay_frame(i) for i in range(N)]


def test_remote_failures_raise(sshd: Path) -> None:
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.nics(remote="capturehost", Program="/no/such/nmcap")
    assert e.value.name == "NMERR_REMOTE_NOT_A_SERVER"
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.nics(remote="-oProxyCommand=touch /tmp/pwned-ndisnpp")
    assert e.value.name == "NMERR_INVALID_REMOTE_COMPUTERNAME"
    assert not Path("/tmp/pwned-ndisnpp").exists()
    with pytest.raises(TypeError):
        ndisnpp.nics(Program="nmcap")
