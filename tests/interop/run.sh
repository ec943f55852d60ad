#!/usr/bin/env bash
# The interop test: a fengqiao node driven over mTLS by a third-party gRPC
# implementation, Python grpcio with stubs generated from proto/ by
# grpcio-tools (interop_test.py says what it checks). Creates a virtualenv
# with requirements.txt, reused while that file is unchanged, generates the
# stubs into a temporary directory and runs the test against the binary.
# Ends with "interop: N checks passed" (exit 0) or "interop: K of N checks
# failed" (exit 1).
#
# usage: tests/interop/run.sh [BINARY]
#   BINARY  the fengqiao binary (default: $CARGO_TARGET_DIR/debug/fengqiao,
#           else target/debug/fengqiao)
# env:   INTEROP_VENV  the virtualenv (default: <target dir>/interop-venv)
#        PYTHON        the interpreter that creates it (default: python3, ≥ 3.9)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target = /* ]] || target=$root/$target
binary=${1:-$target/debug/fengqiao}
if [[ ! -x $binary ]]; then
  echo "interop: no fengqiao binary at $binary (build it: cargo build -p fengqiao)" >&2
  exit 2
fi

venv=${INTEROP_VENV:-$target/interop-venv}
stamp=$venv/.requirements.sha256
wanted=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
  echo "interop: creating the virtualenv $venv" >&2
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  # Wheels only: building grpcio from source would take most of an hour.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    -r "$here/requirements.txt"
  echo "$wanted" >"$stamp"
fi

stubs=$(mktemp -d -t fengqiao-interop-stubs.XXXXXX)
trap 'rm -rf "$stubs"' EXIT
"$here/gen_stubs.sh" "$venv/bin/python" "$stubs"
# The refused handshakes the test provokes would each log C-core errors.
GRPC_VERBOSITY=${GRPC_VERBOSITY:-NONE} PYTHONPATH=$stubs "$venv/bin/python" "$here/interop_test.py" --binary "$binary" --repo "$root"
