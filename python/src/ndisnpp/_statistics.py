"""STATISTICS as a Python value."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Dict

#: The two 64-bit fields; the others are 32-bit DWORDs that saturate.
WIDE_FIELDS = frozenset({"TimeElapsed", "MacBytesReceivedEx"})


@dataclass(frozen=True)
class Statistics:
    """The totals of a capture: netmon.h's STATISTICS, one int attribute per C field.

    ``TimeElapsed`` is in microseconds. For :class:`ndisnpp.RealTime`, frames the Python queue
    had no room for are moved from ``TotalFramesCaptured``/``TotalBytesCaptured`` to
    ``TotalFramesDropped`` (see :meth:`ndisnpp.RealTime.stop`).
    """

    TimeElapsed: int
    TotalFramesCaptured: int
    TotalBytesCaptured: int
    TotalFramesFiltered: int
    TotalBytesFiltered: int
    TotalMulticastsFiltered: int
    TotalBroadcastsFiltered: int
    TotalFramesSeen: int
    TotalBytesSeen: int
    TotalMulticastsReceived: int
    TotalBroadcastsReceived: int
    TotalFramesDropped: int
    TotalFramesDroppedFromBuffer: int
    MacFramesReceived: int
    MacCRCErrors: int
    MacBytesReceivedEx: int
    MacFramesDropped_NoBuffers: int
    MacMulticastsReceived: int
    MacBroadcastsReceived: int
    MacFramesDropped_HwError: int

    @classmethod
    def _from_c(cls, st: object) -> "Statistics":
        return cls(**{f.name: getattr(st, f.name) for f in dataclasses.fields(cls)})

    def as_dict(self) -> Dict[str, int]:
        """The fields as a dict (C field name -> value)."""
        return dataclasses.asdict(self)
