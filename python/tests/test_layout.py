"""The ctypes mirrors of netmon.h's structures against a C compiler's sizes and offsets."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

from conftest import REPO, require

from ndisnpp import _lib

STRUCTS = {
    "STATISTICS": _lib.STATISTICS,
    "STATISTICS_EX": _lib.STATISTICS_EX,
    "NETWORKSTATUS": _lib.NETWORKSTATUS,
    "SESSIONSTATS": _lib.SESSIONSTATS,
    "STATIONSTATS": _lib.STATIONSTATS,
    "FRAME_DESCRIPTOR": _lib.FRAME_DESCRIPTOR,
    "FRAMETABLE": _lib.FRAMETABLE,
    "BLOB_TABLE": _lib.BLOB_TABLE,
    "UPDATE_EVENT": _lib.UPDATE_EVENT,
}
# Fields of the mirrors that stand for something else in C (the union's first member).
RENAMED = {("UPDATE_EVENT", "_data"): "lpFrameTable"}


def test_sizes_and_offsets_match_the_header(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    require(cc is not None, "a C compiler (cc)")
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "netmon.h"', "int main(void) {"]
    expected = []
    for name, mirror in STRUCTS.items():
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        expected.append(f"{name} {ctypes.sizeof(mirror)}")
        for field, *_ in mirror._fields_:
            c_field = RENAMED.get((name, field), field)
            if c_field.startswith("_"):
                continue
            lines.append(f'printf("{name}.{c_field} %zu\\n", offsetof({name}, {c_field}));')
            expected.append(f"{name}.{c_field} {getattr(mirror, field).offset}")
    lines += ["return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    assert cc is not None
    subprocess.run([cc, "-std=c11", "-I", str(REPO / "include"), "-o", str(tmp_path / "layout"), str(source)], check=True)
    printed = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True, check=True).stdout
    assert printed.splitlines() == expected
