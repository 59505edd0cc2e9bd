#!/bin/bash
# nmlist lists lo (always present) with its Location:Name, honours a filter, and reports no match.
set -u
nmlist="$1"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$nmlist") || fail "nmlist exited $?"
grep -q '^NIC [0-9]*: lo$' <<<"$out" || fail "lo not listed: $out"
grep -q '  NPP:Location:Name=lo$' <<<"$out" || fail "no NPP:Location:Name=lo"
only=$("$nmlist" -q -f NPP:Location:Name=lo) || fail "filter by name failed"
[ "$only" = "lo" ] || fail "filtered list is '$only'"
"$nmlist" -f NPP:Location:Name=no-such-nic0 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "no-match exit code $rc, expected 1"
"$nmlist" -f bogus >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "bad filter exit code $rc, expected 2"
echo "tool_nmlist: ok"
