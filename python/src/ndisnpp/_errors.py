"""NmError: every failing call of the library raises it."""

from __future__ import annotations

from typing import Dict, Optional

from . import _lib
from ._constants import NMERR_NAMES


class NmError(Exception):
    """A call answered an NMERR code other than NMERR_SUCCESS.

    ``code`` is the number, ``name`` its netmon.h name (``"NMERR_CAPTURING"``), ``function`` the C
    function that answered it, and ``details`` the entries the library wrote to the error BLOB of
    a Connect (``"NPP:Error:Detail"`` ...), if any. ``str()`` is ``nmerr_text(code)`` followed by
    those entries, so that a printed Connect failure says why::

        Access denied. [NPP:Error:Permission=capturing on lo needs CAP_NET_RAW (run as root, or
        grant the program cap_net_raw); NPP:Error:Detail=socket: Operation not permitted]
    """

    code: int
    name: str
    function: str
    details: Dict[str, str]

    def __init__(self, code: int, function: str = "", details: Optional[Dict[str, str]] = None) -> None:
        """An error for NMERR ``code`` answered by ``function``, with the error BLOB's entries."""
        super().__init__(code)
        self.code = code
        self.name = NMERR_NAMES.get(code, f"NMERR_{code}")
        self.function = function
        self.details = dict(details or {})

    def __str__(self) -> str:
        text = _lib.text(self.code)
        if not self.details:
            return text
        return f"{text} [{'; '.join(f'{key}={value}' for key, value in self.details.items())}]"

    def __repr__(self) -> str:
        return f"NmError({self.name}, function={self.function!r})"


def check(code: int, function: str, details: Optional[Dict[str, str]] = None) -> None:
    """Raises NmError unless code is NMERR_SUCCESS."""
    if code != 0:
        raise NmError(code, function, details)


def call(function: str, *args: object) -> None:
    """Calls the library function `function` and raises NmError when it fails."""
    check(getattr(_lib.lib, function)(*args), function)
