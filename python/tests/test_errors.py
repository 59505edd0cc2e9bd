"""NmError: code, name, str() = nmerr_text, raised by every failing call."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require

import ndisnpp


def test_fields_and_text() -> None:
    e = ndisnpp.NmError(ndisnpp.NMERR_CAPTURING, "esp_start")
    assert isinstance(e, Exception)
    assert (e.code, e.name, e.function) == (3, "NMERR_CAPTURING", "esp_start")
    text = ndisnpp._lib.lib.nmerr_text(3).decode()
    assert str(e) == text and text
    assert ndisnpp.NmError(4242).name == "NMERR_4242"  # not a netmon.h code
    assert ndisnpp.NMERR_NAMES[1001] == "NMERR_INVALID_BLOB"


def test_codes_from_the_library(replay_file: Path, capture_dir: str) -> None:
    cfg = {"NPP:Config:CaptureDirectory": capture_dir}
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), cfg) as esp:
        with pytest.raises(ndisnpp.NmError) as e:
            esp.stop()
        assert (e.value.code, e.value.name, e.value.function) == (4, "NMERR_NOT_CAPTURING", "esp_stop")
        assert str(e.value) == ndisnpp._lib.text(4)
        esp.start()
        with pytest.raises(ndisnpp.NmError) as e:
            esp.start()
        assert e.value.code == ndisnpp.NMERR_CAPTURING
        with pytest.raises(ndisnpp.NmError) as e:
            esp.resume()
        assert e.value.code == ndisnpp.NMERR_CAPTURE_NOT_PAUSED
        with pytest.raises(ndisnpp.NmError) as e:
            esp.disconnect()
        assert e.value.code == ndisnpp.NMERR_CAPTURING
        esp.pause()
        with pytest.raises(ndisnpp.NmError) as e:
            esp.pause()
        assert e.value.code == ndisnpp.NMERR_CAPTURE_PAUSED
    # The with block stopped and disconnected the paused capture; the NPP is gone.
    with pytest.raises(ValueError):
        esp.status()


def test_connect_errors_carry_the_error_blob(tmp_path: Path) -> None:
    rt = ndisnpp.RealTime(ndisnpp.replay_nic(tmp_path / "missing.pcap"))
    with pytest.raises(ndisnpp.NmError) as e:
        with rt:
            pass
    assert e.value.code == ndisnpp.NMERR_FILE_NOT_FOUND and e.value.function == "rtc_connect"
    bad = ndisnpp.Stats(ndisnpp.replay_nic(tmp_path / "missing.pcap"), {"NPP:Config:FrameSize": "lots"})
    with pytest.raises(ndisnpp.NmError) as e:
        bad.connect()
    assert e.value.code == ndisnpp.NMERR_BLOB_CONVERSION_ERROR
    assert e.value.details == {"NPP:Config:FrameSize": "lots"}
    # str() says what Connect objected to, after nmerr_text.
    assert str(e.value) == f"{ndisnpp._lib.text(e.value.code)} [NPP:Config:FrameSize=lots]"
    bad.close()


# Connect on lo without CAP_NET_RAW, as a user without it; prints str() of the NmError.
NO_CAP_NET_RAW = """
import ndisnpp
lo = next(nic for nic in ndisnpp.nics() if nic.name == "lo")
try:
    ndisnpp.RealTime(lo).connect()
except ndisnpp.NmError as e:
    print(e.name)
    print(e)
"""


def test_connect_without_cap_net_raw_says_so_in_str() -> None:
    command = [sys.executable, "-c", NO_CAP_NET_RAW]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        require(setpriv is not None, "setpriv (util-linux) to drop root for this test")
        assert setpriv is not None
        no_caps = "--reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
        command = [setpriv, *no_caps.split(), *command]
    r = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    assert r.returncode == 0, r.stderr
    name, text = r.stdout.rstrip("\n").split("\n")
    assert name == "NMERR_ACCESS_DENIED"
    assert text.startswith(ndisnpp._lib.text(ndisnpp.NMERR_ACCESS_DENIED) + " [")
    assert "NPP:Error:Permission=capturing on lo needs CAP_NET_RAW" in text, text


def test_npp_create_and_family_errors(replay_file: Path) -> None:
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.Esp(ndisnpp.Nic("none", "00:00:00:00:00:00", ndisnpp.Blob()))
    assert e.value.name == "NMERR_BLOB_ENTRY_DOES_NOT_EXIST" and e.value.function == "npp_create"
    with ndisnpp.Stats(ndisnpp.replay_nic(replay_file)) as stats:
        # Another family's call on an NPP that IStats connected answers that family's code.
        rc = ndisnpp._lib.lib.rtc_start(stats._session.npp)
        assert ndisnpp.NMERR_NAMES[rc] == "NMERR_NOT_REALTIME"
        with pytest.raises(ndisnpp.NmError) as e:
            stats.conversations()
        assert e.value.code == ndisnpp.NMERR_NOT_CAPTURING
    assert ctypes.sizeof(ndisnpp._lib.UPDATE_EVENT) == 576


def test_a_capture_directory_another_user_can_write_is_refused(replay_file: Path, tmp_path: Path) -> None:
    """A capture directory writable by others without the sticky bit: NMERR_ACCESS_DENIED at
    Connect, the directory and the reason in the error BLOB; with the sticky bit it is used."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    for family in (ndisnpp.Esp, ndisnpp.Delayed):
        capture = family(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureDirectory": str(shared)})
        with pytest.raises(ndisnpp.NmError) as e:
            capture.connect()
        assert e.value.name == "NMERR_ACCESS_DENIED", e.value
        details = {key.lower(): value for key, value in e.value.details.items()}
        assert details.get("npp:config:capturedirectory") == str(shared), e.value.details
        assert "without the sticky bit" in details.get("npp:error:detail", ""), e.value.details
        capture.close()
    assert list(shared.iterdir()) == []
    shared.chmod(0o1777)
    with ndisnpp.Esp(ndisnpp.replay_nic(replay_file), {"NPP:Config:CaptureDirectory": str(shared)}) as esp:
        assert esp.start().startswith(str(shared) + "/")
        esp.stop()
