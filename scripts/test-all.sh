#!/bin/bash
# Every test: the format and lint gates (cargo fmt --check, cargo clippy -D warnings), the Rust
# tests, the C tests under CTest, the C tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer (linked against the static library), and the
# README's "Build and install" commands (Release) with programs built against the installation,
# and the Python package installed into a fresh virtual environment with its pytest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check (rustfmt.toml)"
cargo fmt --check

echo "== cargo clippy --all-targets -D warnings (src/lib.rs denies undocumented unsafe blocks)"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --locked

echo "== C tests (shared library)"
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/test -j2
ctest --test-dir build/test --output-on-failure

echo "== C tests under ASan + UBSan (static library)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DNDISNPP_SANITIZE=ON >/dev/null
cmake --build build/asan -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure

echo "== README build and install (Release), consumers of the installation"
cmake -S . -B build/release-install -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release-install -j2
bash ctests/install_consumers.sh build/release-install ctests/consumer

echo "== Python: pip install ./python into a fresh venv, pytest python/tests"
bash scripts/test-python.sh
