"""A live RealTime capture on lo: UDP datagrams this test sends, counted exactly."""

from __future__ import annotations

import os
import socket
import struct
import uuid

from conftest import require

import ndisnpp

COUNT = 25


def test_realtime_on_lo() -> None:
    require(os.geteuid() == 0, "root (live capture on lo needs CAP_NET_RAW)")
    lo = next((nic for nic in ndisnpp.nics() if nic.name == "lo"), None)
    require(lo is not None, "a loopback interface named lo")
    assert lo is not None
    marker = uuid.uuid4().bytes  # only this test's datagrams carry it
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    port = receiver.getsockname()[1]
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mine = []
    with receiver, sender, ndisnpp.RealTime(lo) as rt:
        rt.start()
        for i in range(COUNT):
            sender.sendto(marker + struct.pack(">I", i), ("127.0.0.1", port))
        for frame in rt.frames(timeout=10):
            if marker in frame.data:
                mine.append(frame)
                if len(mine) == COUNT:
                    break
        st = rt.stop()
        # Everything captured before Stop is in the queue now: no copy of ours may follow.
        mine += [frame for frame in rt.frames() if marker in frame.data]
    assert len(mine) == COUNT, f"{len(mine)} of our {COUNT} datagrams captured"
    payload = len(marker) + 4
    for i, frame in enumerate(mine):
        assert frame.data.endswith(marker + struct.pack(">I", i))  # in the order sent
        assert frame.wire_length == len(frame.data) == 14 + 20 + 8 + payload
        assert (frame.etype, frame.low_protocol, frame.ip_protocol) == (0x0800, ndisnpp.LOW_PROTOCOL_IP, 17)
        assert struct.unpack(">H", frame.data[36:38])[0] == port  # UDP destination port
    assert st.TotalFramesCaptured >= COUNT and rt.dropped == 0
