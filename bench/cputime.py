#!/usr/bin/env python3
"""cputime.py OUT CMD...: run CMD, then write its user+system CPU seconds (µs resolution) to OUT.
SIGINT/SIGTERM are ignored here so that they can be sent to CMD itself (the child of this process)."""
import os, resource, signal, sys
out, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
_, status, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write(f"{ru.ru_utime:.6f} {ru.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
