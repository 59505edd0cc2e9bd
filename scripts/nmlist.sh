#!/bin/bash
# The main job (until the capture tool exists): build ndisnpp and list this machine's capture
# interfaces as Network Monitor NIC BLOBs. Arguments go to nmlist (e.g. -q, -f NPP:Location:Name=lo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j2 >/dev/null
exec build/release/tools/nmlist "$@"
