"""Blob: the mapping over the library's BLOB, and its file round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

import ndisnpp


def test_mapping_set_get_contains_delete_iterate() -> None:
    b = ndisnpp.Blob()
    assert len(b) == 0 and list(b) == []
    b["NPP:Config:FrameSize"] = "64"
    b["NPP:Config:BufferSize"] = "2097152"
    b["Me:Notes:Tag with: colon"] = "a=b"
    assert b["NPP:Config:FrameSize"] == "64"
    assert "npp:config:framesize" in b  # names match case-insensitively, as in the library
    assert "NPP:Config:Nothing" not in b and 42 not in b
    assert list(b) == ["NPP:Config:FrameSize", "NPP:Config:BufferSize", "Me:Notes:Tag with: colon"]
    assert dict(b) == {"NPP:Config:FrameSize": "64", "NPP:Config:BufferSize": "2097152", "Me:Notes:Tag with: colon": "a=b"}
    b["NPP:Config:FrameSize"] = "128"  # replaces in place
    assert len(b) == 3 and b["NPP:Config:FrameSize"] == "128"
    del b["NPP:Config:FrameSize"]
    assert "NPP:Config:FrameSize" not in b and len(b) == 2
    with pytest.raises(KeyError):
        del b["NPP:Config:FrameSize"]
    with pytest.raises(KeyError):
        b["NPP:Config:FrameSize"]
    assert b.get("NPP:Config:FrameSize", "none") == "none"


def test_bad_keys_and_values() -> None:
    b = ndisnpp.Blob()
    with pytest.raises(KeyError):
        b["NPP:Config"] = "1"
    with pytest.raises(TypeError):
        b["NPP:Config:FrameSize"] = 64  # type: ignore[assignment]
    with pytest.raises(TypeError):
        b[1] = "x"  # type: ignore[index]


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    entries = {
        "NPP:Config:FrameSize": "64",
        "NPP:Location:ReplayFile": "/tmp/a file.pcap",
        "Me:Text:Unicode": "naïve ☃",
        "Me:Text:Lines": "one\ntwo\\three",
        "Me:Text:Empty": "",
    }
    b = ndisnpp.Blob(entries)
    path = tmp_path / "saved.blob"
    b.write(path)
    assert path.read_text().startswith("#NMBLOB 1\n")
    back = ndisnpp.Blob.read(str(path))
    assert dict(back) == entries and list(back) == list(entries)


def test_copy_merge_close() -> None:
    a = ndisnpp.Blob({"A:B:C": "1", "A:B:D": "2"})
    c = a.copy()
    c["A:B:C"] = "changed"
    assert a["A:B:C"] == "1"
    a.merge(ndisnpp.Blob({"A:B:D": "3", "A:B:E": "4"}))
    assert dict(a) == {"A:B:C": "1", "A:B:D": "3", "A:B:E": "4"}
    a.update({"X:Y:Z": "5"})
    assert a["X:Y:Z"] == "5"
    a.close()
    with pytest.raises(ValueError):
        a["A:B:C"]


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.Blob.read(tmp_path / "missing.blob")
    assert e.value.code == ndisnpp.NMERR_FILE_NOT_FOUND
    (tmp_path / "bad.blob").write_text("not a blob\n")
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.Blob.read(tmp_path / "bad.blob")
    assert e.value.name == "NMERR_BLOB_CONVERSION_ERROR"
    with pytest.raises(ndisnpp.NmError) as e:
        ndisnpp.Blob({"A:B:C": "1"}).write(tmp_path / "no" / "such" / "dir")
    assert e.value.code == ndisnpp.NMERR_PATH_NOT_FOUND
