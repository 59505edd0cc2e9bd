#!/bin/bash
# The Python package as a user installs it: `pip install ./python` into a fresh virtual environment
# (build/pyvenv, made anew on each run), then python/tests with that environment's pytest, so the
# tests import the installed package and its bundled library, never the source tree. Arguments go
# to pytest (`bash scripts/test-python.sh -k realtime`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
venv=build/pyvenv
rm -rf "$venv"
python3 -m venv "$venv"
# pip builds a local directory in place from 21.3 on; older ones copy it away from the repository
# that setup.py needs.
"$venv/bin/python" -c 'import pip, sys; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (21, 3))' \
    || "$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q ./python pytest
"$venv/bin/python" -m pytest -q python/tests "$@"
