"""NICs: the capture interfaces (GetNPPBlobTable) and replay NICs."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from typing import List, Union

from . import _lib
from ._blob import Blob
from ._constants import NMERR_NO_NPPS
from ._errors import check


@dataclass
class Nic:
    """A network card as the library describes it: its NIC BLOB, and from it the Linux interface
    name (``NPP:Location:Name``) and current MAC address (``"aa:bb:cc:dd:ee:ff"``).
    """

    name: str
    mac: str
    blob: Blob

    @classmethod
    def _from_blob(cls, blob: Blob) -> "Nic":
        address = (ctypes.c_uint8 * 6)()
        for category, tag in ((b"NetworkInfo", b"CurrentAddress"), (b"Location", b"MacAddress")):
            if _lib.lib.GetMacAddressFromBlob(blob.handle, b"NPP", category, tag, ctypes.byref(address)) == 0:
                break
        return cls(blob.get("NPP:Location:Name", ""), ":".join(f"{b:02x}" for b in address), blob)


def nics(remote: Optional[str] = None, **remote_entries: str) -> List[Nic]:
    """The capture interfaces libpcap finds (GetNPPBlobTable; no privilege needed).

    With ``remote`` (``host``, ``user@host``, an ssh alias or ``ssh://[user@]host[:port]``), the
    interfaces of that host instead, listed over ssh by ndisnpp's nmcap there, as remote NICs
    (``NPP:Remote:RemoteComputer``): capturing on one of them runs the capture there and streams
    it here. Further ``NPP:Remote:*`` entries go as keyword arguments, by tag
    (``nics(remote="probe", Program="/opt/ndisnpp/bin/nmcap", HostKeyCheck="yes")``). Failures
    raise NmError (``NMERR_ACCESS_DENIED`` for an unknown host key or a refused login,
    ``NMERR_REMOTE_NOT_A_SERVER`` when nmcap is not there, ...). Without ``remote`` nothing
    touches the network.
    """
    table = ctypes.POINTER(_lib.BLOB_TABLE)()
    filt = None
    if remote is not None:
        filt = Blob({"NPP:Remote:RemoteComputer": remote})
        for tag, value in remote_entries.items():
            filt["NPP:Remote:" + tag] = str(value)
    elif remote_entries:
        raise TypeError("NPP:Remote entries need remote=")
    rc = _lib.lib.GetNPPBlobTable(filt._handle if filt is not None else None, ctypes.byref(table))
    if rc == NMERR_NO_NPPS:
        return []
    check(rc, "GetNPPBlobTable")
    try:
        count = table.contents.dwNumBlobs
        handles = (_lib.HBLOB * count).from_address(ctypes.addressof(table.contents) + _lib.BLOB_TABLE.hBlobs.offset)
        return [Nic._from_blob(Blob._adopt(handle)) for handle in handles]
    finally:
        _lib.lib.FreeBlobTable(table)


def replay_nic(path: Union[str, "os.PathLike[str]"]) -> Nic:
    """A NIC that delivers the frames of a pcap or pcapng file (``NPP:Location:ReplayFile``), then
    stays quiet until Stop; with ``{"NPP:Config:ReplayEndAtEof": "TRUE"}`` in the configuration
    the capture ends by itself at the end of the file, every frame written (the end event's value
    is NMERR_SUCCESS; ``stop()`` then returns the final statistics). Its name is the file's
    absolute path. The file is opened at Connect: a missing one raises NmError
    ``NMERR_FILE_NOT_FOUND`` there. ``"-"`` replays standard input (pcap or pcapng arriving
    through a pipe, unpaced; README "Streams"), and is kept as it is.
    """
    if os.fspath(path) == "-":
        return Nic("-", "00:00:00:00:00:00", Blob({"NPP:Location:ReplayFile": "-"}))
    absolute = os.path.abspath(os.fspath(path))
    blob = Blob({"NPP:Location:ReplayFile": absolute})
    return Nic(absolute, "00:00:00:00:00:00", blob)
