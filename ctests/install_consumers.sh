#!/bin/bash
# cmake --install into a temporary prefix, then build and run programs outside the tree:
# one with pkg-config (shared and static), one with find_package(ndisnpp) (both targets).
# The installed shared library carries the SONAME libndisnpp.so.<major>, every program linked
# against it (and the installed tools) records that name, not a path, and they all still run
# from a copy of the prefix in another place: nothing of theirs leads back to the build tree.
set -eu
build="$1"; consumer="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
dyn_field() { readelf -d "$2" | sed -n "s/.*($1).*\[\(.*\)\]\$/\1/p"; }  # dyn_field SONAME|NEEDED|RPATH|RUNPATH file
# The library ldd resolves for the ndisnpp entry of a program (with the environment given).
resolved() { ldd "$1" | awk '/libndisnpp/ { print ($2 == "=>") ? $3 : $1; exit }'; }
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/netmon.h include/netmon_names.h lib/libndisnpp.a lib/libndisnpp.so lib/pkgconfig/ndisnpp.pc lib/cmake/ndisnpp/ndisnppConfig.cmake \
         share/man/man3/ndisnpp.3; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# The tools' man pages come with the tools; `man -l` formats each installed page.
[ -e "$prefix/bin/nmcap" ] && for f in share/man/man1/nmcap.1 share/man/man1/nmlist.1; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
for f in "$prefix"/share/man/man*/*; do
    if command -v man >/dev/null 2>&1; then
        [ -n "$(MANWIDTH=80 man -l "$f" 2>/dev/null | head -1)" ] || { echo "FAIL: man -l $f shows nothing"; exit 1; }
    fi
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

# ---- SONAME: the library names itself, programs record that name -------------------------------
soname="libndisnpp.so.$(pkg-config --modversion ndisnpp | cut -d. -f1)"
[ -f "$prefix/lib/$soname" ] || fail "$soname not installed"
got=$(dyn_field SONAME "$prefix/lib/$soname")
[ "$got" = "$soname" ] || fail "installed $soname has SONAME '${got}', expected '$soname'"
cargo_dir=$(sed -n 's/^NDISNPP_CARGO_TARGET_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
programs="pc_shared cbuild/consumer_shared"
for tool in nmlist nmcap; do
    [ -e "$prefix/bin/$tool" ] && programs="$programs bin/$tool"
done
for p in $programs; do
    case $p in bin/*) f="$prefix/$p" ;; *) f="$tmp/$p" ;; esac
    got=$(dyn_field NEEDED "$f" | grep ndisnpp || true)
    [ "$got" = "$soname" ] || fail "$p needs '$(echo $got)', expected '$soname' (a name, not a path)"
    for dir in $(dyn_field RPATH "$f" | tr : ' ') $(dyn_field RUNPATH "$f" | tr : ' '); do
        case $dir in
            "$build"* | "$cargo_dir"*) fail "$p has the build tree in its run path: $dir" ;;
        esac
    done
done
# The build tree's programs find the library through their BUILD_RPATH and the SONAME link
# there (the one CMake makes next to cargo's libndisnpp.so).
if [ -e "$build/tools/nmlist" ]; then
    got=$(resolved "$build/tools/nmlist")
    case $got in
        "$cargo_dir"/*/"$soname") ;;
        *) fail "build-tree nmlist resolves $soname to '$got', expected $cargo_dir/<profile>/$soname" ;;
    esac
fi
# The prefix moved elsewhere (the original gone): the shared programs resolve the library from
# the new place only, and run.
moved="$tmp/moved"
mv "$prefix" "$moved"
for p in $programs; do
    case $p in bin/*) f="$moved/$p" ;; *) f="$tmp/$p" ;; esac
    got=$(LD_LIBRARY_PATH="$moved/lib" resolved "$f")
    [ "$got" = "$moved/lib/$soname" ] || fail "$p resolves ndisnpp to '$got', expected $moved/lib/$soname"
done
LD_LIBRARY_PATH="$moved/lib" "$tmp/pc_shared"
LD_LIBRARY_PATH="$moved/lib" "$tmp/cbuild/consumer_shared"
if [ -e "$moved/bin/nmlist" ]; then
    LD_LIBRARY_PATH="$moved/lib" "$moved/bin/nmlist" -q >/dev/null || fail "installed nmlist does not run from the moved prefix"
fi
echo "install_consumers: ok ($soname)"
