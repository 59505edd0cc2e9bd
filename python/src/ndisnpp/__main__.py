"""``python -m ndisnpp``: the capture interfaces as NIC BLOBs, like the nmlist tool."""

from __future__ import annotations

import sys
from typing import List, Optional

from . import NmError, nics


def main(argv: Optional[List[str]] = None) -> int:
    """Prints each NIC and its BLOB entries (``-q``: only the names). Exit 0 when it listed
    interfaces, 1 when there are none, 2 on error or bad usage."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["-q"]):
        print("usage: python -m ndisnpp [-q]", file=sys.stderr)
        return 2
    try:
        found = nics()
    except NmError as e:
        print(f"ndisnpp: GetNPPBlobTable: {e} ({e.name})", file=sys.stderr)
        return 2
    for i, nic in enumerate(found):
        if args:
            print(nic.name)
            continue
        print(f"NIC {i}: {nic.name} ({nic.mac})")
        for key, value in nic.blob.items_list():
            print(f"  {key}={value}")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
