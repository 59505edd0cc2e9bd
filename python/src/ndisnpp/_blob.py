"""Blob: a BLOB of the library as a mutable mapping "Owner:Category:Tag" -> str."""

from __future__ import annotations

import ctypes
import os
from typing import Iterator, List, Mapping, MutableMapping, Optional, Tuple, Union

from . import _lib
from ._constants import NMERR_BLOB_CATEGORY_NOT_FOUND, NMERR_BLOB_ENTRY_DOES_NOT_EXIST, NMERR_BLOB_OWNER_NOT_FOUND
from ._errors import call, check

_MISSING = (NMERR_BLOB_ENTRY_DOES_NOT_EXIST, NMERR_BLOB_OWNER_NOT_FOUND, NMERR_BLOB_CATEGORY_NOT_FOUND)


def _split(key: str) -> Tuple[bytes, bytes, bytes]:
    if not isinstance(key, str):
        raise TypeError(f"Blob keys are 'Owner:Category:Tag' strings, not {type(key).__name__}")
    parts = key.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise KeyError(f"{key!r} is not 'Owner:Category:Tag'")
    return parts[0].encode(), parts[1].encode(), parts[2].encode()


class Blob(MutableMapping[str, str]):
    """A BLOB (the library's typed key/value store) as a dict of strings.

    Keys are ``"Owner:Category:Tag"`` (the tag may contain ``:``); names match case-insensitively,
    as in the library. Values are strings (the library stores DWORDs, BOOLs and MAC addresses as
    text too: ``"64"``, ``"TRUE"``). Iteration follows insertion order. The BLOB is destroyed when
    the object is garbage-collected or :meth:`close` is called.
    """

    def __init__(self, entries: Optional[Mapping[str, str]] = None) -> None:
        """A new empty BLOB, filled from ``entries`` if given."""
        handle = _lib.HBLOB()
        call("CreateBlob", ctypes.byref(handle))
        self._handle: Optional[int] = handle.value
        if entries:
            self.update(entries)

    @classmethod
    def _adopt(cls, handle: Optional[int]) -> "Blob":
        blob = cls.__new__(cls)
        blob._handle = handle
        return blob

    @property
    def handle(self) -> int:
        """The HBLOB (for calls through ctypes); ValueError once closed."""
        if self._handle is None:
            raise ValueError("the Blob is closed")
        return self._handle

    @classmethod
    def read(cls, path: Union[str, "os.PathLike[str]"]) -> "Blob":
        """Reads a BLOB saved by :meth:`write` (ReadBlobFromFile)."""
        handle = _lib.HBLOB()
        call("ReadBlobFromFile", ctypes.byref(handle), os.fsencode(path))
        return cls._adopt(handle.value)

    def write(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Saves the BLOB in the library's text form (WriteBlobToFile)."""
        call("WriteBlobToFile", self.handle, os.fsencode(path))

    def copy(self) -> "Blob":
        """A new BLOB with the same entries (DuplicateBlob)."""
        handle = _lib.HBLOB()
        call("DuplicateBlob", self.handle, ctypes.byref(handle))
        return Blob._adopt(handle.value)

    def merge(self, other: "Blob") -> None:
        """Copies every entry of ``other`` into this BLOB (MergeBlob; ``other`` wins)."""
        call("MergeBlob", self.handle, other.handle)

    def close(self) -> None:
        """Destroys the BLOB now (DestroyBlob); later use raises ValueError."""
        handle, self._handle = self._handle, None
        if handle is not None:
            _lib.lib.DestroyBlob(handle)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __getitem__(self, key: str) -> str:
        value = ctypes.c_char_p()
        rc = _lib.lib.GetStringFromBlob(self.handle, *_split(key), ctypes.byref(value))
        if rc in _MISSING:
            raise KeyError(key)
        check(rc, "GetStringFromBlob")
        return (value.value or b"").decode()

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Blob values are strings, not {type(value).__name__}: {key}={value!r}")
        call("SetStringInBlob", self.handle, *_split(key), value.encode())

    def __delitem__(self, key: str) -> None:
        rc = _lib.lib.RemoveFromBlob(self.handle, *_split(key))
        if rc in _MISSING:
            raise KeyError(key)
        check(rc, "RemoveFromBlob")

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def items_list(self) -> List[Tuple[str, str]]:
        """Every (key, value), in order, read in one walk (GetStringsFromBlob)."""
        out: List[Tuple[str, str]] = []
        names = [ctypes.c_char_p() for _ in range(4)]
        restart = _lib.DWORD(0)
        while True:
            rc = _lib.lib.GetStringsFromBlob(
                self.handle, None, None, None, *(ctypes.byref(n) for n in names), ctypes.byref(restart)
            )
            if rc == NMERR_BLOB_ENTRY_DOES_NOT_EXIST:
                return out
            check(rc, "GetStringsFromBlob")
            owner, category, tag, value = ((n.value or b"").decode() for n in names)
            out.append((f"{owner}:{category}:{tag}", value))

    def __iter__(self) -> Iterator[str]:
        return iter([key for key, _ in self.items_list()])

    def __len__(self) -> int:
        return len(self.items_list())

    def __repr__(self) -> str:
        return f"Blob({dict(self.items_list())!r})"
