#!/usr/bin/env bash
# Generates Python message and gRPC stubs for every file in proto/fengqiao/v1
# with grpcio-tools (python -m grpc_tools.protoc, which brings its own protoc
# and the google/protobuf well-known types). The modules land as
# OUT/fengqiao/v1/*_pb2.py and *_pb2_grpc.py: put OUT on PYTHONPATH and
# `from fengqiao.v1 import reporting_pb2, reporting_pb2_grpc`.
#
# usage: tests/interop/gen_stubs.sh PYTHON OUT
#   PYTHON  an interpreter with grpcio-tools installed (requirements.txt)
#   OUT     the directory to write into (emptied first)
set -euo pipefail
if (( $# != 2 )); then
  echo "usage: $0 PYTHON OUT" >&2
  exit 2
fi
python=$1
proto=$(cd "$(dirname "$0")/../../proto" && pwd)

rm -rf "$2"
mkdir -p "$2"
out=$(cd "$2" && pwd)
(cd "$proto" && "$python" -m grpc_tools.protoc -I . \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  fengqiao/v1/*.proto)
