"""The installation: the package comes from a virtual environment with its own copy of the
library (not from the source tree), NDISNPP_LIBRARY overrides it, and `python -m ndisnpp`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, require

import ndisnpp


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, cwd="/", capture_output=True, text=True, timeout=60
    )


def test_installed_into_a_venv_not_the_source_tree() -> None:
    package = Path(ndisnpp.__file__).resolve().parent
    assert sys.prefix != sys.base_prefix, "pytest must run in a virtual environment"
    assert package.is_relative_to(Path(sys.prefix).resolve()), f"{package} is not inside {sys.prefix}"
    assert not package.is_relative_to(REPO / "python"), f"{package} is the source tree"
    assert "NDISNPP_LIBRARY" not in os.environ
    assert ndisnpp.LIBRARY_PATH == str(package / "libndisnpp.so") and os.path.isfile(ndisnpp.LIBRARY_PATH)
    assert (package / "py.typed").is_file()


def test_version() -> None:
    assert isinstance(ndisnpp.__version__, str)
    cargo = (REPO / "Cargo.toml").read_text()
    assert f'\nversion = "{ndisnpp.__version__}"\n' in cargo


def test_ndisnpp_library_overrides(tmp_path: Path) -> None:
    copy = tmp_path / "libcopy.so"
    shutil.copy(ndisnpp.LIBRARY_PATH, copy)
    r = run_python("import ndisnpp; print(ndisnpp.LIBRARY_PATH)", NDISNPP_LIBRARY=str(copy))
    assert r.returncode == 0 and r.stdout.strip() == str(copy), r.stderr
    r = run_python("import ndisnpp", NDISNPP_LIBRARY=str(tmp_path / "missing.so"))
    assert r.returncode != 0 and "NDISNPP_LIBRARY" in r.stderr and "missing.so" in r.stderr


def test_python_m_ndisnpp_lists_the_nics() -> None:
    r = subprocess.run([sys.executable, "-m", "ndisnpp"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    found = ndisnpp.nics()
    assert found, "no capture interface at all"
    for i, nic in enumerate(found):
        assert f"NIC {i}: {nic.name} ({nic.mac})\n" in r.stdout
        assert f"  NPP:Location:Name={nic.name}\n" in r.stdout
    r = subprocess.run([sys.executable, "-m", "ndisnpp", "-q"], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == [nic.name for nic in found]
    r = subprocess.run([sys.executable, "-m", "ndisnpp", "-x"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr


def test_python_m_ndisnpp_agrees_with_nmlist(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    require(cc is not None, "a C compiler (cc) to build tools/nmlist.c")
    assert cc is not None
    # nmlist built against this package's library (under its SONAME, as the linker records it).
    shutil.copy(ndisnpp.LIBRARY_PATH, tmp_path / "libndisnpp.so.0")
    nmlist = tmp_path / "nmlist"
    subprocess.run(
        [cc, "-I", str(REPO / "include"), "-o", str(nmlist), str(REPO / "tools" / "nmlist.c"), str(tmp_path / "libndisnpp.so.0")],
        check=True,
    )
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path)}
    listed = subprocess.run([str(nmlist), "-q"], capture_output=True, text=True, timeout=60, env=env)
    assert listed.returncode == 0, listed.stderr
    mine = subprocess.run([sys.executable, "-m", "ndisnpp", "-q"], capture_output=True, text=True, timeout=60)
    assert mine.stdout == listed.stdout


def test_nic_fields() -> None:
    lo = next((nic for nic in ndisnpp.nics() if nic.name == "lo"), None)
    require(lo is not None, "a loopback interface named lo")
    assert lo is not None
    assert lo.mac == "00:00:00:00:00:00" and lo.blob["NPP:Location:Name"] == "lo"
    for nic in ndisnpp.nics():
        assert len(nic.mac) == 17 and nic.mac.count(":") == 5 and nic.mac == nic.mac.lower()
