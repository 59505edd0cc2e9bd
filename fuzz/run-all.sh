#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other (one libFuzzer job each), and prints
# per target: seconds (wall clock, with a rebuild if sources changed), executions, executions per
# second (libFuzzer's average), corpus size and findings.
#
#   fuzz/run-all.sh SECONDS [TARGET ...]     (default: every target `cargo fuzz list` names)
#
# Installs cargo-fuzz (cargo install --locked) and the nightly toolchain (rustup) when they are
# missing. Without nightly it says so and builds with the default toolchain and RUSTC_BOOTSTRAP=1
# (see README.md: that works with stable rustc too). A target that crashes stops there (the input
# is in artifacts/<target>/, the log in logs/<target>.log); the others still run. Exit status 1
# when any target found something.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ || $1 -eq 0 ]]; then
    echo "usage: $0 SECONDS [TARGET ...]" >&2
    exit 2
fi
seconds=$1
shift
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo-fuzz is missing: cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal; then
    toolchain=(+nightly)
else
    echo "== no nightly toolchain and 'rustup toolchain install nightly' failed:" >&2
    echo "   building with the default toolchain and RUSTC_BOOTSTRAP=1 instead" >&2
    export RUSTC_BOOTSTRAP=1
fi
fuzz=(cargo "${toolchain[@]}" fuzz)

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <("${fuzz[@]}" list)
fi
"${fuzz[@]}" build

mkdir -p logs
summary=()
found_any=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${seconds} s"
    start=$(date +%s)
    set +e
    "${fuzz[@]}" run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -print_final_stats=1 >"logs/$t.log" 2>&1
    rc=$?
    set -e
    elapsed=$(($(date +%s) - start))
    # libFuzzer's final statistics (stat::number_of_executed_units), else its last status line.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    [[ -n $execs ]] || execs=$(grep -o '^#[0-9]*' "logs/$t.log" | tail -1 | tr -d '#')
    execs=${execs:-0}
    corpus=$(find "corpus/$t" -type f | wc -l)
    new=$(($(find "artifacts/$t" -type f | wc -l) - before))
    if [[ $rc -eq 0 && $new -eq 0 ]]; then
        findings="none"
    else
        found_any=1
        findings="exit $rc, $new new file(s) in artifacts/$t: $(grep -m1 -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)' "logs/$t.log" || echo 'see the log')"
    fi
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log" | tail -1)
    [[ -n $rate ]] || rate=$((execs / (elapsed > 0 ? elapsed : 1)))
    line="$t: ${elapsed} s, ${execs} execs, ${rate} exec/s, corpus ${corpus} files, findings: ${findings}"
    echo "$line"
    summary+=("$line")
done
echo "== summary (logs in fuzz/logs/)"
printf '%s\n' "${summary[@]}"
exit $found_any
