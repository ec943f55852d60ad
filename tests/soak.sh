#!/usr/bin/env bash
# Soak test (not run in CI): repeats network_faults scenario (a) — the
# township node killed (kill -9) at a random moment of a burst of reports and
# corrections at the township and at the community below it, then restarted —
# until the time is up, checking after each run that the district holds
# exactly what the origins acknowledged. Ends with the line
# "N runs, L lost, D duplicated"; exits non-zero unless both are 0.
#
# usage: tests/soak.sh [DURATION]    DURATION: 10m (default), 90s, 1h, or minutes
# env:   SOAK_BACKEND=sqlite|postgres   one backend (default: both, alternating)
#        SOAK_SEED=N                    first seed (default: the time); run i uses N+i
#        FENGQIAO_TEST_PG               PostgreSQL for the postgres runs
#                                       (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10m}
case $duration in
  *h) number=${duration%h}; unit=3600 ;;
  *m) number=${duration%m}; unit=60 ;;
  *s) number=${duration%s}; unit=1 ;;
  *) number=$duration; unit=60 ;;
esac
if [[ ! $number =~ ^[0-9]+$ ]] || (( number == 0 )); then
  echo "usage: $0 [DURATION]   e.g. 10m, 90s, 1h, or a number of minutes" >&2
  exit 2
fi
seconds=$(( number * unit ))

cargo build -q -p fengqiao
cargo test -q -p fengqiao-tests --test network_faults --no-run 2>/dev/null

log=$(mktemp -t fengqiao-soak.XXXXXX)
echo "soaking for ${seconds}s; full output in $log" >&2
set +e
# A run that starts just before the deadline may take up to ~2 minutes more.
SOAK_SECONDS=$seconds timeout $(( seconds + 300 )) \
  cargo test -q -p fengqiao-tests --test network_faults -- \
  --ignored --exact soak_kill_township_in_a_burst --nocapture >"$log" 2>&1 &
runner=$!
tail -n +1 -f "$log" --pid "$runner" | grep --line-buffered -E '^run [0-9]+ ' >&2
wait "$runner"
status=$?
set -e

tally=$(grep -E '^[0-9]+ runs, [0-9]+ lost, [0-9]+ duplicated$' "$log" | tail -n 1 || true)
if [[ -z $tally ]]; then
  echo "the soak did not finish (status $status); see $log" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
grep -E ' out of place, | FAILED: ' "$log" >&2 || true
echo "$tally"
exit "$status"
