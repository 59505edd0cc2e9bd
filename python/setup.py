"""Build step of the ndisnpp Python package.

The package is pure ctypes over the C library, so building it means: build the library with cargo
in the repository that contains this directory (or reuse the up-to-date build there), copy the
shared library into the package, and write ``ndisnpp/_constants.py`` from ``include/netmon.h``
(the NMERR numbers and names and the other numeric constants the package uses), so that nothing in
Python restates the C API.

Environment: ``NDISNPP_SOURCE_DIR`` names the repository when this directory is not inside it
(for example when building from an sdist); ``CARGO_TARGET_DIR`` is honoured as cargo does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LIBRARY = "libndisnpp.so"

# The numeric #defines of netmon.h that the package exports next to the NMERR codes.
DEFINES = re.compile(
    r"^#define ((?:LOW_PROTOCOL|NETWORKSTATUS_STATE|NETWORKSTATUS_FLAGS|UPDATE_EVENT|UPDATE_ACTION)_\w+"
    r"|MAX_STATIONS|MAX_SESSIONS) (\d+)\s*$",
    re.M,
)
NMERR = re.compile(r"^\s*(NMERR_\w+) = (\d+),?\s*$", re.M)


def repository() -> Path:
    """The ndisnpp repository: $NDISNPP_SOURCE_DIR, else the parent of this directory."""
    root = Path(os.environ.get("NDISNPP_SOURCE_DIR") or HERE.parent).resolve()
    if not (root / "Cargo.toml").is_file() or not (root / "include" / "netmon.h").is_file():
        raise SystemExit(
            f"ndisnpp: {root} is not the ndisnpp repository (no Cargo.toml and include/netmon.h); "
            "build from python/ inside a clone, or set NDISNPP_SOURCE_DIR to the clone"
        )
    return root


def version() -> str:
    """The crate's version from Cargo.toml (the Python package has the same)."""
    text = (repository() / "Cargo.toml").read_text()
    match = re.search(r'^\[package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    if not match:
        raise SystemExit("ndisnpp: no [package] version in Cargo.toml")
    return match.group(1)


def cargo() -> str:
    """The cargo program: on PATH, else rustup's default place."""
    found = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    if not os.access(found, os.X_OK):
        raise SystemExit("ndisnpp: cargo not found (install a Rust toolchain: https://rustup.rs)")
    return found


def build_library(root: Path) -> Path:
    """Runs `cargo build --release --lib` in the repository (a no-op when the build is current)."""
    subprocess.run([cargo(), "build", "--release", "--lib", "--locked"], cwd=root, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    if not target.is_absolute():
        target = root / target
    built = target / "release" / LIBRARY
    if not built.is_file():
        raise SystemExit(f"ndisnpp: cargo finished but {built} does not exist")
    return built


def constants_module(header: str) -> str:
    """Python source defining the constants of netmon.h and NMERR_NAMES."""
    nmerr = [(name, int(value)) for name, value in NMERR.findall(header)]
    defines = [(name, int(value)) for name, value in DEFINES.findall(header)]
    if not nmerr or not defines:
        raise SystemExit("ndisnpp: include/netmon.h has no NMERR enum or constants")
    lines = ['"""Constants of include/netmon.h (written by setup.py at build time; do not edit)."""', ""]
    lines += [f"{name}: int = {value}" for name, value in nmerr + defines]
    lines += ["", "#: NMERR number -> its name in netmon.h.", "NMERR_NAMES: dict[int, str] = {"]
    lines += [f"    {value}: {name!r}," for name, value in nmerr]
    lines += ["}", ""]
    return "\n".join(lines)


class BuildWithLibrary(build_py):
    """build_py that also puts the shared library and the generated constants into the package."""

    def run(self) -> None:
        super().run()
        root = repository()
        package = Path(self.build_lib) / "ndisnpp"
        package.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_library(root), package / LIBRARY)
        header = (root / "include" / "netmon.h").read_text()
        (package / "_constants.py").write_text(constants_module(header))


class PlatformWheel(bdist_wheel):
    """The wheel holds a Linux shared library but no Python extension: py3-none-<platform>."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple:
        return ("py3", "none", super().get_tag()[2])


setup(version=version(), cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
