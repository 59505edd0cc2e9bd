"""ndisnpp: capture with the Network Monitor 2 packet provider for Linux, from Python.

Pure ctypes over the ndisnpp C library (``include/netmon.h``): every call goes to the library,
and every failing call raises :class:`NmError`. The library is the copy built into this package,
or the one ``$NDISNPP_LIBRARY`` names.

>>> import ndisnpp
>>> [nic.name for nic in ndisnpp.nics()]          # doctest: +SKIP
['eth0', 'any', 'lo']
"""

from __future__ import annotations

from ._lib import LIBRARY_PATH, lib as _library
from ._constants import *  # noqa: F401,F403  (NMERR_*, LOW_PROTOCOL_*, NETWORKSTATUS_*, UPDATE_*)
from ._constants import NMERR_NAMES
from ._errors import NmError
from ._blob import Blob
from ._nic import Nic, nics, replay_nic
from ._statistics import Statistics
from ._capture import Config, Conversations, Delayed, Esp, Frame, RealTime, Session, Station, Stats, Status

#: The version of the loaded library (ndisnpp_version(); the package has the same).
__version__: str = _library.ndisnpp_version().decode()

__all__ = [
    "__version__",
    "LIBRARY_PATH",
    "NMERR_NAMES",
    "Blob",
    "Config",
    "Conversations",
    "Delayed",
    "Esp",
    "Frame",
    "Nic",
    "NmError",
    "RealTime",
    "Session",
    "Station",
    "Statistics",
    "Stats",
    "Status",
    "nics",
    "replay_nic",
]
