"""The shared library and its C declarations (ctypes mirrors of include/netmon.h).

Only the structures and functions the package calls are declared. Sizes are checked at import
against the header's documented sizes, and the tests compare every offset with a C compiler.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_void_p
from pathlib import Path
from typing import Any

from ._statistics import WIDE_FIELDS, Statistics

DWORD = c_uint32
BOOL = c_int32
HBLOB = c_void_p
HNPP = c_void_p

#: Where the library comes from: $NDISNPP_LIBRARY, else the copy built into the package.
LIBRARY_PATH: str = os.environ.get("NDISNPP_LIBRARY") or str(Path(__file__).with_name("libndisnpp.so"))

try:
    lib = ctypes.CDLL(LIBRARY_PATH)
except OSError as e:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"ndisnpp: cannot load the ndisnpp library {LIBRARY_PATH!r} ({e}); reinstall the package "
        "(pip install ./python) or set NDISNPP_LIBRARY to a libndisnpp.so"
    ) from e


class STATISTICS(ctypes.Structure):
    # The field list is the Statistics dataclass's (one list of names for both).
    _fields_ = [(f.name, c_int64 if f.name in WIDE_FIELDS else DWORD) for f in dataclasses.fields(Statistics)]


class STATISTICS_EX(ctypes.Structure):
    _fields_ = [("StructSize", DWORD), ("Reserved", DWORD), ("TimeElapsed", c_int64)] + [
        (name, ctypes.c_uint64)
        for name in (
            "FramesSeen BytesSeen FramesFiltered BytesFiltered FramesCaptured BytesCaptured "
            "FramesDropped BroadcastsSeen MulticastsSeen KernelFramesReceived KernelFramesDropped LinkOutages"
        ).split()
    ]


class NETWORKSTATUS(ctypes.Structure):
    _fields_ = [("State", DWORD), ("Flags", DWORD)]


class SESSIONSTATS(ctypes.Structure):
    _fields_ = [(name, DWORD) for name in ("NextSession", "StationOwner", "StationPartner", "Flags", "TotalPacketsSent")]


class STATIONSTATS(ctypes.Structure):
    _fields_ = [
        ("NextStationStats", DWORD),
        ("SessionPartnerList", DWORD),
        ("Flags", DWORD),
        ("StationAddress", c_uint8 * 6),
        ("Pad", c_uint16),
        ("TotalPacketsReceived", DWORD),
        ("TotalDirectedPacketsSent", DWORD),
        ("TotalBroadcastPacketsSent", DWORD),
        ("TotalMulticastPacketsSent", DWORD),
        ("TotalBytesReceived", DWORD),
        ("TotalBytesSent", DWORD),
    ]


class FRAME_DESCRIPTOR(ctypes.Structure):
    _fields_ = [
        ("FramePointer", c_void_p),
        ("TimeStamp", c_int64),
        ("FrameLength", DWORD),
        ("nBytesAvail", DWORD),
        ("Etype", c_uint16),
        ("Sap", c_uint8),
        ("LowProtocol", c_uint8),
        ("LowProtocolOffset", c_uint16),
        ("HighPort", c_uint16),  # union: IPPort is its first byte (little-endian)
        ("HighProtocolOffset", c_uint16),
    ]


class FRAMETABLE(ctypes.Structure):
    _fields_ = [
        ("FrameTableLength", DWORD),
        ("StartIndex", DWORD),
        ("EndIndex", DWORD),
        ("FrameCount", DWORD),
        ("Frames", FRAME_DESCRIPTOR * 1),  # FrameTableLength entries in fact
    ]


class _EventData(ctypes.Structure):
    # UPDATE_EVENT's nameless union (520 bytes: the packed SECURITY_PERMISSION_RESPONSE, aligned
    # to 8). Written as a structure: only lpFrameTable is read, and it is the union's start.
    _fields_ = [("lpFrameTable", POINTER(FRAMETABLE)), ("_rest", c_uint8 * 512)]


class UPDATE_EVENT(ctypes.Structure):
    _anonymous_ = ("_data",)
    _fields_ = [
        ("Event", c_uint16),
        ("Action", DWORD),
        ("Status", DWORD),
        ("Value", DWORD),
        ("TimeStamp", c_int64),
        ("lpUserContext", c_void_p),
        ("lpReserved", c_void_p),
        ("FramesDropped", DWORD),
        ("_data", _EventData),
        ("lpFinalStats", c_void_p),
    ]


class BLOB_TABLE(ctypes.Structure):
    _fields_ = [("dwNumBlobs", DWORD), ("hBlobs", HBLOB * 1)]


LPNETWORKCALLBACKPROC = ctypes.CFUNCTYPE(DWORD, UPDATE_EVENT)
NO_CALLBACK = LPNETWORKCALLBACKPROC()  # NULL


def _declare(name: str, restype: Any, *argtypes: Any) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


def _declare_all() -> None:
    s = c_char_p
    ps = POINTER(c_char_p)
    _declare("nmerr_text", c_char_p, DWORD)
    _declare("ndisnpp_version", c_char_p)
    _declare("CreateBlob", DWORD, POINTER(HBLOB))
    _declare("DestroyBlob", DWORD, HBLOB)
    _declare("DuplicateBlob", DWORD, HBLOB, POINTER(HBLOB))
    _declare("MergeBlob", DWORD, HBLOB, HBLOB)
    _declare("SetStringInBlob", DWORD, HBLOB, s, s, s, s)
    _declare("GetStringFromBlob", DWORD, HBLOB, s, s, s, ps)
    _declare("GetStringsFromBlob", DWORD, HBLOB, s, s, s, ps, ps, ps, ps, POINTER(DWORD))
    _declare("RemoveFromBlob", DWORD, HBLOB, s, s, s)
    _declare("GetMacAddressFromBlob", DWORD, HBLOB, s, s, s, POINTER(c_uint8 * 6))
    _declare("WriteBlobToFile", DWORD, HBLOB, s)
    _declare("ReadBlobFromFile", DWORD, POINTER(HBLOB), s)
    _declare("GetNPPBlobTable", DWORD, HBLOB, POINTER(POINTER(BLOB_TABLE)))
    _declare("FreeBlobTable", DWORD, POINTER(BLOB_TABLE))
    _declare("npp_create", DWORD, HBLOB, POINTER(HNPP))
    _declare("npp_destroy", DWORD, HNPP)
    cb = LPNETWORKCALLBACKPROC
    for family in ("esp", "dc", "stats"):
        _declare(f"{family}_connect", DWORD, HNPP, HBLOB, cb, c_void_p, HBLOB)
    _declare("rtc_connect", DWORD, HNPP, HBLOB, cb, cb, c_void_p, HBLOB)
    for family in ("esp", "dc"):
        _declare(f"{family}_start", DWORD, HNPP, ctypes.c_char_p, c_size_t)
        _declare(f"{family}_stop", DWORD, HNPP, POINTER(STATISTICS))
    _declare("esp_pause", DWORD, HNPP, POINTER(STATISTICS))
    for family in ("stats", "rtc"):
        _declare(f"{family}_start", DWORD, HNPP)
        _declare(f"{family}_stop", DWORD, HNPP)
    for family in ("dc", "stats", "rtc"):
        _declare(f"{family}_pause", DWORD, HNPP)
        _declare(f"{family}_get_total_statistics", DWORD, HNPP, POINTER(STATISTICS), BOOL)
        _declare(
            f"{family}_get_conversation_statistics",
            DWORD,
            HNPP,
            POINTER(DWORD),
            POINTER(SESSIONSTATS),
            POINTER(DWORD),
            POINTER(STATIONSTATS),
            BOOL,
        )
    for family in ("esp", "dc", "stats", "rtc"):
        _declare(f"{family}_disconnect", DWORD, HNPP)
        _declare(f"{family}_resume", DWORD, HNPP)
        _declare(f"{family}_query_status", DWORD, HNPP, POINTER(NETWORKSTATUS))
        _declare(f"{family}_get_control_state", DWORD, HNPP, POINTER(BOOL), POINTER(BOOL))
        _declare(f"{family}_get_statistics_ex", DWORD, HNPP, POINTER(STATISTICS_EX))


# The sizes netmon.h documents for x86-64; tests/test_layout.py checks every offset with a C compiler.
for _struct, _size in ((STATISTICS, 88), (UPDATE_EVENT, 576), (FRAME_DESCRIPTOR, 40), (STATISTICS_EX, 112)):
    if ctypes.sizeof(_struct) != _size:  # pragma: no cover - would be a bug in this file
        raise ImportError(f"ndisnpp: sizeof({_struct.__name__}) is {ctypes.sizeof(_struct)}, not {_size}")
_declare_all()


def text(code: int) -> str:
    """nmerr_text(code)."""
    return str(lib.nmerr_text(code).decode())
