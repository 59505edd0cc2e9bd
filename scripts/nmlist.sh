#!/bin/bash
# The main job (until the capture tool exists): build ndisnpp and list this machine's capture
# interfaces as Network Monitor NIC BLOBs. Arguments go to nmlist (e.g. -q, -f NPP:Location:Name=lo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
log=build/release-build.log
mkdir -p build
if ! { cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF &&
       cmake --build build/release -j2; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "nmlist.sh: build failed (log above, also in $log)" >&2
    exit 2
fi
exec build/release/tools/nmlist "$@"
