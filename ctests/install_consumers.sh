#!/bin/bash
# cmake --install into a temporary prefix, then build and run programs outside the tree:
# one with pkg-config (shared and static), one with find_package(ndisnpp) (both targets).
set -eu
build="$1"; consumer="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/netmon.h lib/libndisnpp.a lib/libndisnpp.so lib/pkgconfig/ndisnpp.pc lib/cmake/ndisnpp/ndisnppConfig.cmake; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion ndisnpp)" = "0.1.0" ] || { echo "FAIL: pkg-config modversion"; exit 1; }
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -Werror -o "$tmp/pc_shared" "$consumer/consumer.c" $(pkg-config --cflags --libs ndisnpp)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/pc_shared"
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -Werror -o "$tmp/pc_static" "$consumer/consumer.c" $(pkg-config --cflags ndisnpp) \
    "$prefix/lib/libndisnpp.a" $(pkg-config --static --libs-only-l ndisnpp | sed 's/-lndisnpp//')
"$tmp/pc_static"
cmake -S "$consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cbuild" >/dev/null
"$tmp/cbuild/consumer_shared"
"$tmp/cbuild/consumer_static"
echo "install_consumers: ok"
