#!/bin/bash
# nmlist lists lo (always present) with its Location:Name, honours a filter, and reports no match;
# its command line (issue 20): -h/--help (every option, its default, the exit status table of
# tools/exit_codes.h) and --version exit 0; the exit status: 0 listed, 1 none matched, 2 usage
# (a bad -f entry, -f without a value, an unknown option, a stray argument).
# Usage: tool_nmlist.sh NMLIST SOURCE_DIR
set -u
nmlist="$1"
src="${2:-}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
out=$("$nmlist") || fail "nmlist exited $?"
grep -q '^NIC [0-9]*: lo$' <<<"$out" || fail "lo not listed: $out"
grep -q '  NPP:Location:Name=lo$' <<<"$out" || fail "no NPP:Location:Name=lo"
only=$("$nmlist" -q -f NPP:Location:Name=lo) || fail "filter by name failed"
[ "$only" = "lo" ] || fail "filtered list is '$only'"
"$nmlist" -f NPP:Location:Name=no-such-nic0 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "no-match exit code $rc, expected 1"
# usage errors: exit 2 with a message naming what is wrong
usage_error() { # usage_error REGEX ARGS...
    local want="$1" rc err
    shift
    err=$("$nmlist" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 2 ]; then
        fail "nmlist $*: exit $rc, expected 2: $err"
    elif ! grep -qE -- "$want" <<<"$err"; then
        fail "nmlist $*: stderr does not match '$want': $err"
    else
        echo "ok: nmlist $*: exit 2: $(head -1 <<<"$err")"
    fi
}
usage_error '^nmlist: -f bogus: bad filter entry; expected Owner:Category:Tag=Value$' -f bogus
usage_error '^nmlist: -f takes a value' -f
usage_error '^nmlist: -x: unknown option$' -x
usage_error '^nmlist: --bogus: unknown option$' --bogus
usage_error '^nmlist: stray: unexpected argument$' stray
# --help, -h, --version
help=$("$nmlist" --help 2>"${TMPDIR:-/tmp}/nmlist-help-err.$$"); rc=$?
err=$(cat "${TMPDIR:-/tmp}/nmlist-help-err.$$"); rm -f "${TMPDIR:-/tmp}/nmlist-help-err.$$"
if [ $rc -ne 0 ] || [ -n "$err" ]; then
    fail "--help: exit $rc, stderr '$err'"
else
    for opt in -f -q -h --help --version; do
        grep -qE -- "^  ($opt[ ,]|-h, $opt )|^  $opt$|^  $opt Owner" <<<"$help" || fail "--help does not explain $opt"
    done
    grep -qF "Default: every interface" <<<"$help" || fail "--help does not name -f's default"
    for code in 0 1 2; do grep -qE "^  $code  " <<<"$help" || fail "--help has no exit status $code"; done
    echo "ok: nmlist --help exits 0 and explains every option and the exit status"
fi
[ "$("$nmlist" -h)" = "$help" ] || fail "-h is not --help"
if [ -n "$src" ]; then
    version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$src/Cargo.toml" | head -1)
    got=$("$nmlist" --version); rc=$?
    if [ $rc -eq 0 ] && [ "$got" = "nmlist (ndisnpp) $version" ]; then
        echo "ok: nmlist --version: $got"
    else
        fail "--version: exit $rc, '$got', expected 'nmlist (ndisnpp) $version'"
    fi
fi
[ $failures -eq 0 ] || { echo "tool_nmlist: $failures failure(s)"; exit 1; }
echo "tool_nmlist: ok"
