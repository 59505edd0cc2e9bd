#!/bin/bash
# ctests/test_stress.c (16 threads, 64 NPPs over replay NICs, deadlock watchdog) under
# ThreadSanitizer: the Rust static library instrumented by nightly rustc (-Zsanitizer=thread,
# with -Zbuild-std so that std is instrumented too, when the rust-src component is there), the
# test instrumented by gcc (-fsanitize=thread), linked with the TSan runtime rustc ships.
#
#   scripts/tsan-stress.sh [SECONDS]      (default 30; the build goes to target/tsan, build/tsan)
#
# Exit status: the test's (non-zero on a violation, a hang, or a TSan report: halt_on_error=1).
# Not part of scripts/test-all.sh: it needs the nightly toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-30}
triple=x86_64-unknown-linux-gnu

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "tsan-stress: needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
build_std=(-Zbuild-std)
rustflags="-Zsanitizer=thread -Cforce-frame-pointers=yes"
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "tsan-stress: no rust-src for nightly (rustup component add rust-src --toolchain nightly):" >&2
    echo "  std stays uninstrumented (rustc needs -Cunsafe-allow-abi-mismatch=sanitizer for that);" >&2
    echo "  TSan may then report false races inside std's synchronization, and miss real ones there" >&2
    build_std=()
    rustflags="$rustflags -Cunsafe-allow-abi-mismatch=sanitizer"
fi

echo "== Rust static library, -Zsanitizer=thread ${build_std[*]}"
# A staticlib carries no sanitizer runtime: the link below adds it.
RUSTFLAGS="$rustflags" \
    cargo +nightly rustc --locked --release --lib --crate-type staticlib --target "$triple" \
    --target-dir target/tsan "${build_std[@]}"
lib=target/tsan/$triple/release/libndisnpp.a

echo "== test_stress, gcc -fsanitize=thread"
# The runtime is the one rustc ships for this instrumentation (LLVM's): gcc's libtsan (gcc 12)
# lacks entry points that the nightly's LLVM emits (__tsan_memcpy ...). gcc instruments the C test.
runtime=$(rustc +nightly --print sysroot)/lib/rustlib/$triple/lib/librustc-nightly_rt.tsan.a
mkdir -p build/tsan
gcc -std=c99 -Wall -Wextra -Werror -g -O1 -fsanitize=thread -fno-omit-frame-pointer -Iinclude -Ictests \
    -c ctests/test_stress.c -o build/tsan/test_stress.o
gcc -g -o build/tsan/test_stress build/tsan/test_stress.o "$lib" \
    -Wl,--whole-archive "$runtime" -Wl,--no-whole-archive $(pkg-config --libs libpcap) -lpthread -ldl -lm

echo "== run: ${seconds} s (suppressions: scripts/tsan.supp)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}" \
    NDISNPP_STRESS_SECONDS="$seconds" build/tsan/test_stress
