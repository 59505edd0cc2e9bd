"""Every capture class on a replay NIC (50 known frames), with exact counts."""

from __future__ import annotations

import inspect
import itertools
import os
import threading
from pathlib import Path

import pytest
from conftest import ETHERTYPE, read_pcap, replay_frame, replay_time_us, wait_for, write_pcap

import ndisnpp

N = 50
SRC, DST = "02:00:00:00:00:02", "02:00:00:00:00:01"


def stored_bytes(count: int) -> int:
    return sum(len(replay_frame(i)) for i in range(count))


def test_replay_nic(replay_file: Path) -> None:
    nic = ndisnpp.replay_nic(replay_file)
    assert nic.name == str(replay_file) and nic.mac == "00:00:00:00:00:00"
    assert nic.blob["NPP:Location:ReplayFile"] == str(replay_file)


def test_esp_file_and_statistics(replay_file: Path, capture_dir: str) -> None:
    cfg = ndisnpp.Blob({"NPP:Config:CaptureDirectory": capture_dir, "NPP:Config:FileFormat": "PCAP"})
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), cfg) as esp:
        assert esp.status() == ndisnpp.Status("VOID", 0, False, False)
        path = esp.start()
        assert os.path.dirname(path) == capture_dir and path.endswith(".pcap")
        assert esp.status().state == "CAPTURING" and esp.status().running
        wait_for(lambda: esp.frames_captured() >= N, "50 frames")
        esp.pause()
        assert esp.status() == ndisnpp.Status("PAUSED", 0, True, True)
        esp.resume()
        st = esp.stop()
        assert isinstance(st, ndisnpp.Statistics)
        assert (st.TotalFramesCaptured, st.TotalBytesCaptured, st.TotalFramesDropped) == (N, stored_bytes(N), 0)
        assert st.as_dict()["TotalFramesSeen"] == N and st.TimeElapsed > 0
        assert esp.status().state == "VOID"
        esp.disconnect()
    assert read_pcap(Path(path)) == [replay_frame(i) for i in range(N)]


def test_esp_rotation_by_size(tmp_path: Path, capture_dir: str) -> None:
    """NPP:Config:RotateBytes (README "Rotation"): the files the rule gives (a new file before the
    frame that would take the current pcap file past 4096 bytes), named <base>_<seq>_<time>.pcap,
    start() naming the first; every frame once, in order; RotateFiles 2 keeps the 2 newest."""
    n = 150
    replay_file = write_pcap(tmp_path / "rotate.pcap", n)
    expected, size = [0], 24
    for i in range(n):
        rec = 16 + len(replay_frame(i))
        if expected[-1] and size + rec > 4096:
            expected.append(0)
            size = 24
        size += rec
        expected[-1] += 1
    cfg = {"NPP:Config:CaptureDirectory": capture_dir, "NPP:Config:FileFormat": "PCAP", "NPP:Config:RotateBytes": "4096"}
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), cfg) as esp:
        first = esp.start()
        wait_for(lambda: esp.frames_captured() >= n, "150 frames")
        assert esp.stop().TotalFramesCaptured == n
    files = sorted(Path(capture_dir).iterdir())
    assert str(files[0]) == first and len(expected) == 6
    assert [len(read_pcap(f)) for f in files] == expected
    base = files[0].name[:19]
    for seq, f in enumerate(files, 1):
        assert f.name.startswith(f"{base}_{seq:05d}_") and f.name.endswith("Z.pcap") and f.stat().st_size <= 4096
    assert [fr for f in files for fr in read_pcap(f)] == [replay_frame(i) for i in range(n)]
    for f in files:
        f.unlink()
    cfg["NPP:Config:RotateFiles"] = "2"
    cfg["NPP:Config:RotateBaseName"] = "ring"
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), cfg) as esp:
        assert os.path.basename(esp.start()).startswith("ring_00001_")
        wait_for(lambda: esp.frames_captured() >= n, "150 frames")
        esp.stop()
    files = sorted(Path(capture_dir).iterdir())
    assert [f.name[:11] for f in files] == ["ring_00005_", "ring_00006_"]
    assert [fr for f in files for fr in read_pcap(f)] == [replay_frame(i) for i in range(sum(expected[:4]), n)]


def test_esp_exit_stops_a_running_capture(replay_file: Path, capture_dir: str) -> None:
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureDirectory": capture_dir, "NPP:Config:FileFormat": "PCAP"}) as esp:
        path = esp.start()
        wait_for(lambda: esp.frames_captured() >= N, "50 frames")
    assert len(read_pcap(Path(path))) == N  # stopped, so the file is complete


def test_delayed_totals_and_conversations(replay_file: Path, capture_dir: str) -> None:
    with ndisnpp.Delayed(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureDirectory": capture_dir}) as dc:
        path = dc.start()
        wait_for(lambda: dc.frames_captured() >= N, "50 frames")
        st = dc.total_statistics()
        assert (st.TotalFramesCaptured, st.TotalBytesCaptured) == (N, stored_bytes(N))
        conv = dc.conversations()
        assert sorted(s.address for s in conv.stations) == [DST, SRC]
        assert conv.sessions == [ndisnpp.Session(SRC, DST, N)]
        sender = next(s for s in conv.stations if s.address == SRC)
        assert (sender.TotalDirectedPacketsSent, sender.TotalBytesSent) == (N, stored_bytes(N))
        dc.pause()
        with pytest.raises(ndisnpp.NmError) as e:
            dc.total_statistics()
        assert e.value.code == ndisnpp.NMERR_CAPTURE_PAUSED
        dc.resume()
        assert dc.stop().TotalFramesCaptured == N
    assert os.path.getsize(path) > stored_bytes(N)  # a Network Monitor 2 file with the frames


def test_stats_counts_without_a_file(replay_file: Path, capture_dir: str) -> None:
    with ndisnpp.Stats(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureDirectory": capture_dir}) as stats:
        assert stats.start() is None
        wait_for(lambda: stats.frames_captured() >= N, "50 frames")
        assert stats.total_statistics(clear=True).TotalFramesSeen == N
        assert stats.total_statistics().TotalFramesSeen == 0  # cleared
        assert len(stats.conversations().stations) == 2
        stats.pause()
        stats.resume()
        st = stats.stop()
        assert st.TotalFramesSeen == 0 and st.TotalFramesDropped == 0
        assert stats.total_statistics() == st
    assert os.listdir(capture_dir) == []


def expect_replay_frame(frame: ndisnpp.Frame, i: int) -> None:
    assert frame.data == replay_frame(i)
    assert frame.wire_length == len(replay_frame(i))
    assert frame.timestamp_us == replay_time_us(i) and frame.timestamp == pytest.approx(replay_time_us(i) / 1e6)
    assert (frame.etype, frame.sap, frame.low_protocol, frame.ip_protocol) == (ETHERTYPE, 0, ndisnpp.LOW_PROTOCOL_UNKNOWN, None)


def test_realtime_frames_in_order(replay_file: Path) -> None:
    with ndisnpp.RealTime(ndisnpp.replay_nic(replay_file), {"NPP:Config:FrameTableLength": "7"}) as rt:
        rt.start()
        got = list(itertools.islice(rt.frames(timeout=10), N))
        assert len(got) == N
        for i, frame in enumerate(got):
            expect_replay_frame(frame, i)
        assert rt.total_statistics().TotalFramesCaptured == N
        rt.pause()
        rt.resume()
        st = rt.stop()
        assert (st.TotalFramesCaptured, st.TotalFramesDropped, rt.dropped) == (N, 0, 0)
        assert list(rt.frames()) == []  # stopped: the iterator ends at once, without a timeout
        assert list(rt.frames(timeout=0.1)) == []
        rt.start()  # a second capture of the same NIC replays the file again
        assert [f.data for f in itertools.islice(rt.frames(timeout=10), 3)] == [replay_frame(i) for i in range(3)]


def test_realtime_frame_size_clips(replay_file: Path) -> None:
    with ndisnpp.RealTime(ndisnpp.replay_nic(replay_file), {"NPP:Config:FrameSize": "20"}) as rt:
        rt.start()
        got = list(itertools.islice(rt.frames(timeout=10), N))
    assert [f.data for f in got] == [replay_frame(i)[:20] for i in range(N)]
    assert [f.wire_length for f in got] == [len(replay_frame(i)) for i in range(N)]


def test_realtime_ends_with_a_capture_that_ends_by_itself(replay_file: Path) -> None:
    with ndisnpp.RealTime(ndisnpp.replay_nic(replay_file), {"NPP:Config:FrameLimit": "20"}) as rt:
        rt.start()
        got = list(rt.frames())  # no timeout: the frame limit ends the capture and the iteration
        assert [f.data for f in got] == [replay_frame(i) for i in range(20)]
        st = rt.stop()  # rtc_stop answers NMERR_NOT_CAPTURING; Python returns the final totals
        assert (st.TotalFramesCaptured, st.TotalBytesCaptured, st.TotalFramesDropped) == (20, stored_bytes(20), 0)


FAMILIES = [ndisnpp.Esp, ndisnpp.Delayed, ndisnpp.Stats, ndisnpp.RealTime]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_stop_after_a_capture_that_ended_by_itself_returns_the_final_statistics(
    family: type, replay_file: Path, capture_dir: str
) -> None:
    cfg = {"NPP:Config:FrameLimit": "20", "NPP:Config:CaptureDirectory": capture_dir}
    with family(ndisnpp.replay_nic(replay_file), cfg) as capture:
        for _ in range(2):  # and again after a second Start
            capture.start()
            wait_for(lambda: not capture.status().running, "the frame limit to end the capture")
            st = capture.stop()
            assert isinstance(st, ndisnpp.Statistics)
            assert (st.TotalFramesCaptured, st.TotalBytesCaptured, st.TotalFramesSeen) == (20, stored_bytes(20), 20)
            assert st.TotalFramesDropped == 0 and st.TimeElapsed > 0
            if family is ndisnpp.RealTime:
                assert [f.data for f in capture.frames()] == [replay_frame(i) for i in range(20)]
            with pytest.raises(ndisnpp.NmError) as e:
                capture.stop()  # stopped already: the library's answer
            assert e.value.code == ndisnpp.NMERR_NOT_CAPTURING


def _keeps_the_first_five(rt: "ndisnpp.RealTime", many: int) -> None:
    """Starts a capture of `many` replayed frames into a queue with room for five, and checks
    that exactly the first five are kept and the rest counted as drops."""
    rt.start()
    wait_for(lambda: rt.frames_captured() >= many, f"{many} frames captured")
    # Captured frames reach the callback at the next delivery (UpdateInterval); Stop delivers
    # every one of them before it returns, so only then are the drops all counted.
    st = rt.stop()
    assert rt.dropped == many - 5
    assert (st.TotalFramesCaptured, st.TotalFramesDropped) == (5, many - 5)
    assert st.TotalBytesCaptured == stored_bytes(5)
    assert [f.data for f in rt.frames()] == [replay_frame(i) for i in range(5)]


def test_realtime_queue_overflow_counts_drops(tmp_path: Path) -> None:
    many = 1000
    nic = ndisnpp.replay_nic(write_pcap(tmp_path / "many.pcap", many))
    with ndisnpp.RealTime(nic, queue_size=5) as rt:
        _keeps_the_first_five(rt, many)


def test_realtime_queue_is_bounded_in_bytes(tmp_path: Path) -> None:
    many = 1000
    nic = ndisnpp.replay_nic(write_pcap(tmp_path / "many.pcap", many))
    # Room for frames 0-4 (60..64 bytes); frame 5 and every later one (65 bytes and more) misses.
    with ndisnpp.RealTime(nic, queue_bytes=stored_bytes(5)) as rt:
        _keeps_the_first_five(rt, many)
        # Read frames make room again: the next capture queues as many.
        rt.start()
        wait_for(lambda: rt.frames_captured() >= many, "1000 frames captured")
        assert rt.stop().TotalFramesCaptured == 5 and rt.dropped == many - 5
    assert inspect.signature(ndisnpp.RealTime).parameters["queue_bytes"].default == 64 * 1024 * 1024
    with pytest.raises(ValueError):
        ndisnpp.RealTime(nic, queue_bytes=0)


def test_realtime_stop_from_another_thread_ends_the_iteration(replay_file: Path) -> None:
    with ndisnpp.RealTime(ndisnpp.replay_nic(replay_file), queue_size=10) as rt:
        rt.start()
        got = []
        consumer = threading.Thread(target=lambda: got.extend(rt.frames()))  # no timeout
        consumer.start()
        wait_for(lambda: rt.frames_captured() >= N, "50 frames")
        st = rt.stop()
        consumer.join(timeout=10)
        assert not consumer.is_alive()
    assert len(got) == st.TotalFramesCaptured and len(got) + st.TotalFramesDropped == N
    indices = [f.data[14] - 1 for f in got]  # frame i is filled with the byte i+1
    assert indices == sorted(set(indices)) and all(f.data == replay_frame(i) for f, i in zip(got, indices))


def test_stream_to_a_descriptor_ending_at_eof(replay_file: Path, tmp_path: Path) -> None:
    """README "Streams": the capture written to a pipe (CaptureFileDescriptor), the replay ending
    by itself at the end of its file (ReplayEndAtEof) with every frame; "-" is standard input."""
    assert ndisnpp.replay_nic("-").blob["NPP:Location:ReplayFile"] == "-"
    r, w = os.pipe()
    got = bytearray()

    def read_all() -> None:
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=read_all)
    reader.start()
    cfg = {"NPP:Config:CaptureFileDescriptor": str(w), "NPP:Config:FileFormat": "PCAP", "NPP:Config:ReplayEndAtEof": "TRUE"}
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), cfg) as esp:
        assert esp.start() == ""
        wait_for(lambda: not esp.status().running, "the end of the replay")
        st = esp.stop()
        assert st.TotalFramesCaptured == N
    os.close(w)
    reader.join(10)
    os.close(r)
    out = tmp_path / "out.pcap"
    out.write_bytes(bytes(got))
    assert read_pcap(out) == [replay_frame(i) for i in range(N)]
    # Network Monitor 2 (the default format) cannot stream: refused at Connect, with the reason.
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.Esp(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureFileDescriptor": "1"}).connect()
    assert e.value.name == "NMERR_NOT_SUPPORTED" and "Network Monitor 2" in e.value.details["NPP:Error:Detail"]
