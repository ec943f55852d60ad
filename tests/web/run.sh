#!/usr/bin/env bash
# The browser tests of the web dashboard: Playwright (playwright-core, no
# browser download) driving Debian's Chromium against real nodes, with
# node's own test runner (web.test.mjs says what it checks; pages.mjs lists
# the pages). Starts, in a temporary directory:
#   - `fengqiao demo --scale 0.2 --days 7 --keep-running`: two townships
#     over mTLS with a week of reports and ten weeks of cases; the district's node and
#     the first township's serve the dashboard over HTTP on loopback, and the
#     demo prints a login link for the district leader and one for a
#     township admin, which the tests open (and open again: refused);
#   - one `fengqiao node` of its own with TLS material and web.listen, for
#     the client-certificate login over HTTPS, and a one-minute login link
#     issued at start-up with `fengqiao web link`, opened after it expired.
# Kills both on exit. Screenshots of every page go to
# <target dir>/web-screenshots/. Ends with "web: N checks passed" (exit 0)
# or "web: K of N checks failed" (exit 1).
#
# usage: tests/web/run.sh [BINARY]
#   BINARY  the fengqiao binary (default: $CARGO_TARGET_DIR/debug/fengqiao,
#           else target/debug/fengqiao)
# env:   CHROMIUM            the browser (default: /usr/bin/chromium)
#        WEB_DOC_SCREENSHOT  a path to write the Chinese overview at 1366×768
#                            to (refreshes docs/dashboard-overview.png:
#                            WEB_DOC_SCREENSHOT=docs/dashboard-overview.png)
# Needs node ≥ 18 and `npm ci` done in tests/web (.ci/run does it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target = /* ]] || target=$root/$target
binary=${1:-$target/debug/fengqiao}
[[ $binary = /* ]] || binary=$PWD/$binary
# A relative screenshot path is the caller's, not the test runner's (tests/web).
if [[ -n ${WEB_DOC_SCREENSHOT:-} && $WEB_DOC_SCREENSHOT != /* ]]; then
  export WEB_DOC_SCREENSHOT=$PWD/$WEB_DOC_SCREENSHOT
fi
if [[ ! -x $binary ]]; then
  echo "web: no fengqiao binary at $binary (build it: cargo build -p fengqiao)" >&2
  exit 2
fi
if [[ ! -d $here/node_modules/playwright-core || ! -d $here/node_modules/axe-core ]]; then
  echo "web: run npm ci in $here first" >&2
  exit 2
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "web: no Chromium at $chromium (apt-get install chromium fonts-noto-cjk)" >&2
  exit 2
fi
started=$(date +%s)

work=$(mktemp -d -t fengqiao-web.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
# No FENGQIAO_* setting of the caller's may reconfigure what this starts.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(FENGQIAO[A-Z0-9_]*\)=.*/\1/p')

fail() {
  echo "web: $*" >&2
  for log in "$work"/*.log; do
    [[ -f $log ]] || continue
    echo "--- last lines of $(basename "$log") ---" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}

# Waits up to $2 seconds for a line matching $3 in file $1.
wait_for() {
  local file=$1 seconds=$2 pattern=$3
  for _ in $(seq 1 "$((seconds * 5))"); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---- the node with TLS ----------------------------------------------------
unit=410411
"$binary" ca init --dir "$work/ca" >/dev/null
"$binary" ca issue --ca-dir "$work/ca" --unit "$unit" --out "$work/node" >/dev/null
"$binary" ca issue --ca-dir "$work/ca" --unit "$unit" --person web-leader --role leader \
  --name 王区长 --out "$work/leader" >/dev/null
web_port=$(free_port)
cat >"$work/node.toml" <<EOF
[node]
unit = "$unit"
listen = "127.0.0.1:0"
tree = "$root/deploy/zhanhe-410411.csv"
[tls]
ca = "$work/ca/ca.pem"
cert = "$work/node.pem"
key = "$work/node-key.pem"
[database]
url = "sqlite://$work/node.db"
[reporting]
start_date = "2026-01-01"
[web]
listen = "127.0.0.1:$web_port"
EOF
"$binary" node --config "$work/node.toml" >"$work/node.out" 2>"$work/node.log" &
pids+=($!)

# The node has bound its dashboard's port before the demo's nodes take
# ephemeral ports: one of them could take the port found free above
# (seen once: "web.listen: … Address already in use").
wait_for "$work/node.out" 60 "web dashboard of node" || fail "the node with TLS did not serve its dashboard"

# ---- the demo ---------------------------------------------------------------
"$binary" demo --scale 0.2 --days 7 --keep-running --dir "$work/demo" >"$work/demo.out" 2>"$work/demo.log" &
pids+=($!)

# Issued now, valid one minute: the last test opens it after it expired.
expired_link=$("$binary" web link --config "$work/node.toml" --unit "$unit" --person web-late --role leader \
  --minutes 1 2>/dev/null)
expired_at=$(($(date +%s) + 60))

wait_for "$work/demo.out" 240 "the network is up" || fail "the demo did not come up within 240 s"
links=$(grep -o 'http://[^ ]*/login?token=[0-9a-zA-Z]*' "$work/demo.out") || fail "the demo printed no login links"
district_link=$(sed -n 1p <<<"$links")
township_link=$(sed -n 2p <<<"$links")
[[ -n $township_link ]] || fail "the demo printed one login link, not two"
summary_flags=$(sed -n 's/.*e\.g\. fengqiao summary \(.*\) --unit .*/\1/p' "$work/demo.out" | head -n 1)
[[ -n $summary_flags ]] || fail "the demo printed no summary command"
# The receipt the demo printed for its petitioner (case, query code, tracker).
track_case=$(sed -n 's/.*案件编号 case: *//p' "$work/demo.out" | head -n 1)
track_code=$(sed -n 's/.*查询码 *code: *//p' "$work/demo.out" | head -n 1)
track_url=$(sed -n 's/.*查询网址 at: *//p' "$work/demo.out" | head -n 1)
[[ -n $track_case && -n $track_code && -n $track_url ]] || fail "the demo printed no receipt"

echo "web: network up in $(($(date +%s) - started)) s; running the browser tests" >&2
set +e
(
  cd "$here"
  WEB_BINARY=$binary \
    WEB_DISTRICT_BASE=${district_link%/login*} WEB_TOWNSHIP_BASE=${township_link%/login*} \
    WEB_DISTRICT_LINK=$district_link WEB_TOWNSHIP_LINK=$township_link \
    WEB_SUMMARY_FLAGS=$summary_flags \
    WEB_TRACK_URL=$track_url WEB_TRACK_CASE=$track_case WEB_TRACK_CODE=$track_code \
    WEB_TLS_BASE=https://127.0.0.1:$web_port WEB_TLS_UNIT=$unit \
    WEB_TLS_CERT=$work/leader.pem WEB_TLS_KEY=$work/leader-key.pem \
    WEB_EXPIRED_LINK=$expired_link WEB_EXPIRED_AT=$expired_at \
    WEB_SCREENSHOTS=$target/web-screenshots CHROMIUM=$chromium \
    node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/tap" web.test.mjs
)
status=$?
set -e
passed=$(grep -c '^ok ' "$work/tap" || true)
failed=$(grep -c '^not ok ' "$work/tap" || true)
total=$((passed + failed))
seconds=$(($(date +%s) - started))
if [[ $status -ne 0 || $failed -ne 0 || $total -eq 0 ]]; then
  echo "web: $failed of $total checks failed (${seconds} s)"
  exit 1
fi
echo "web: $total checks passed (${seconds} s; screenshots in $target/web-screenshots)"
