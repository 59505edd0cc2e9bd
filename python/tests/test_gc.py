"""A capture object collected by the cyclic garbage collector while frames flow: whichever thread
the collector runs on (the main thread, another Python thread, the library's delivery thread
inside the frames callback), the interpreter survives and the NPP is destroyed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs in a child interpreter (a crash must not take pytest down). Argument: where the collection
# runs. Prints the thread the object was collected on, then "destroyed" once the NPP is gone.
CHILD = r"""
import ctypes, gc, struct, sys, threading, time, weakref
import ndisnpp

where, path = sys.argv[1], sys.argv[2]
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
for i in range(20000):  # 20 s of traffic at its pace: a frame per millisecond
    t = 1_700_000_000_000_000 + i * 1000
    frame = bytes.fromhex("020000000001020000000002") + struct.pack(">H", 0x88B5) + bytes(46)
    out.append(struct.pack("<IIII", t // 10**6, t % 10**6, len(frame), len(frame)) + frame)
open(path, "wb").write(b"".join(out))

rt = ndisnpp.RealTime(ndisnpp.replay_nic(path), {"NPP:Config:ReplayPace": "TRUE", "NPP:Config:UpdateInterval": "1"})
rt.cycle = rt
rt.connect()
rt.start()
deadline = time.monotonic() + 10
while rt.frames_captured() < 100:
    assert time.monotonic() < deadline, "no traffic"
    time.sleep(0.01)
handle = rt._session.npp
main = threading.get_ident()
collected_on = []
probe = weakref.ref(rt, lambda _: collected_on.append("main" if threading.get_ident() == main else "other"))
del rt
if where == "main":
    gc.collect()
elif where == "thread":
    t = threading.Thread(target=gc.collect)
    t.start()
    t.join()
else:  # "callback": the next allocation collects, and the frames callback allocates every ms
    gc.set_threshold(1)
    time.sleep(1.0)
    gc.set_threshold(700)
print(collected_on, flush=True)
st = ctypes.byref(ndisnpp._lib.NETWORKSTATUS())
deadline = time.monotonic() + 10
while ndisnpp._lib.lib.rtc_query_status(handle, st) != ndisnpp.NMERR_INVALID_HNETWORK:
    assert time.monotonic() < deadline, "the NPP was not destroyed"
    time.sleep(0.01)
print("destroyed", flush=True)
"""


@pytest.mark.parametrize(
    "where, thread",
    [("main", "main"), ("thread", "other"), ("callback", "other"), ("callback", "other"), ("callback", "other")],
)
def test_realtime_in_a_cycle_collected_under_traffic(where: str, thread: str, tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", CHILD, where, str(tmp_path / "paced.pcap")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    assert r.returncode == 0, f"exit status {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert r.stdout.split("\n")[:2] == [f"['{thread}']", "destroyed"], r.stdout + r.stderr
