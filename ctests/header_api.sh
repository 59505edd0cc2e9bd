#!/bin/bash
# The header declares nothing but ndisnpp's API: every function that netmon.h declares is
# exported by the shared library (nm -D --defined-only) and named in README.md.
# The declarations are gcc's own list (-aux-info) of the functions a program including the
# header sees, keeping those whose declaration is in netmon.h.
# usage: header_api.sh CC include/netmon.h libndisnpp.so README.md
set -eu
cc="$1"; header="$2"; lib="$3"; readme="$4"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <netmon.h>\n' >"$tmp/h.c"
"$cc" -std=c99 -I"$(dirname "$header")" -fsyntax-only -aux-info "$tmp/aux" "$tmp/h.c"
# "/* <path>/netmon.h:1214:NC */ extern DWORD CreateBlob (HBLOB *);" -> CreateBlob
grep '^/\* [^ ]*/netmon\.h:[0-9]*:' "$tmp/aux" \
    | sed -E 's|^/\* [^ ]* \*/ ||; s/ \(.*//; s/.*[^A-Za-z0-9_]//' | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TWi]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
n=$(wc -l <"$tmp/declared")
[ "$n" -ge 50 ] || { echo "FAIL: only $n functions found in $header"; cat "$tmp/aux"; exit 1; }
bad=0
for f in $(comm -23 "$tmp/declared" "$tmp/exported"); do
    echo "FAIL: $f is declared in netmon.h but not exported by $(basename "$lib")"; bad=1
done
while read -r f; do
    grep -Fqw -- "$f" "$readme" || { echo "FAIL: $f is declared in netmon.h but README.md does not name it"; bad=1; }
done <"$tmp/declared"
[ $bad -eq 0 ] || exit 1
echo "header_api: ok ($n functions, each exported and in README.md)"
