#!/bin/sh
# Fills secrets/ for this overlay's secretGenerator: the deployment CA (when
# none is there yet), a certificate for each node naming its Service, the
# personal-data key, the petitioner secret, and db.env from db.env.example.
# What exists is kept. Needs the fengqiao binary (FENGQIAO=path, default:
# `fengqiao` on PATH). Afterwards: edit secrets/db.env, and move
# secrets/ca-key.pem somewhere offline (it is needed only to issue
# certificates, never by a node).
set -eu
FENGQIAO=${FENGQIAO:-fengqiao}
NAMESPACE=${NAMESPACE:-fengqiao-zhanhe}
# UNIT:SERVICE for every node of this overlay.
NODES="410411:district 410411001:township-410411001"
# Host names a node is reached at from outside the cluster (a LoadBalancer
# Service; TLS must pass through to the node, which verifies the caller's
# certificate): "UNIT=HOST,HOST UNIT=HOST". OPERATOR: set before issuing.
EXTRA_HOSTS=${EXTRA_HOSTS:-}

cd "$(dirname "$0")/secrets"
umask 077
[ -f ca.pem ] || "$FENGQIAO" ca init --dir .
for node in $NODES; do
  unit=${node%%:*}
  service=${node#*:}
  [ -f "$unit.pem" ] && continue
  set -- --host "$service" --host "$service.$NAMESPACE" --host "$service.$NAMESPACE.svc" \
    --host "$service.$NAMESPACE.svc.cluster.local"
  for extra in $EXTRA_HOSTS; do
    if [ "${extra%%=*}" = "$unit" ]; then
      for host in $(echo "${extra#*=}" | tr ',' ' '); do set -- "$@" --host "$host"; done
    fi
  done
  "$FENGQIAO" ca issue --ca-dir . --unit "$unit" --out "./$unit" "$@"
done
[ -f personal-data.key ] || "$FENGQIAO" pii keygen --out personal-data.key
if [ ! -f petitioner-secret ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > petitioner-secret
  echo "wrote petitioner-secret"
fi
if [ ! -f db.env ]; then
  cp db.env.example db.env
  echo "OPERATOR: put the real database URLs in $(pwd)/db.env"
fi
