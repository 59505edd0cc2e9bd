"""The README's two Python examples, taken from README.md and run as they are written."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

from conftest import REPO, require, replay_frame, write_pcap


def example(marker: str) -> str:
    """The ```python block of the README's Python section that contains `marker`."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("\n## Python\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if marker in b]
    assert len(blocks) == 1, f"one README example with {marker!r}"
    assert len(blocks[0].splitlines()) <= 10, "the README promises 10-line examples"
    return blocks[0]


def test_esp_example(tmp_path: Path) -> None:
    script = tmp_path / "esp_example.py"
    script.write_text(example("ndisnpp.Esp("))
    capture_dir = tmp_path / "captures"
    capture_dir.mkdir(mode=0o700)
    replay = write_pcap(tmp_path / "in.pcap", 50)
    r = subprocess.run(
        [sys.executable, str(script), str(replay)],
        env={**os.environ, "NETMON_CAPTURE_DIR": str(capture_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    stored = sum(len(replay_frame(i)) for i in range(50))
    match = re.fullmatch(r"(\S+): 50 frames, (\d+) bytes\n", r.stdout)
    assert match and int(match.group(2)) == stored, r.stdout
    path = Path(match.group(1))
    assert path.parent == capture_dir and path.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"  # pcapng


def test_realtime_example(tmp_path: Path) -> None:
    require(os.geteuid() == 0, "root (the example captures on lo)")
    script = tmp_path / "rt_example.py"
    script.write_text(example("ndisnpp.RealTime("))
    done = threading.Event()

    def traffic() -> None:  # UDP on lo until the example has finished
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not done.wait(0.01):
                s.sendto(b"readme example", ("127.0.0.1", 9))

    sender = threading.Thread(target=traffic)
    sender.start()
    try:
        r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    finally:
        done.set()
        sender.join()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 11, r.stdout
    for line in lines[:10]:
        assert re.fullmatch(r"\d+\.\d{6} \d+ B Etype 0x[0-9a-f]{4} IP protocol (\d+|None)", line), line
    assert re.fullmatch(r"\d+ captured, \d+ dropped", lines[10]), lines[10]
