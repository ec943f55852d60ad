#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (not part of CI).
#   fuzz/run.sh [SECONDS_PER_TARGET]   (default 60)
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The machine's
# toolchain is stable, so RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags.
# Corpora live in fuzz/corpus/<target> (not committed); a crash is written to
# fuzz/artifacts/<target>/, and the script exits non-zero naming it.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build --release || exit 1
status=0
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target" logs
    log="logs/$target.log"
    cargo fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 >"$log" 2>&1
    code=$?
    execs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" | tail -1)
    corpus=$(ls "corpus/$target" | wc -l)
    if [ "$code" -eq 0 ]; then
        echo "$target: ${seconds}s, ${execs:-?} execs, corpus $corpus, no crash"
    else
        echo "$target: FAILED (exit $code) after ${execs:-?} execs; see fuzz/$log"
        grep -E "panicked|ERROR|Test unit written" "$log" | head -5
        status=1
    fi
done
exit $status
