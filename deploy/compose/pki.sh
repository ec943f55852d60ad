#!/bin/sh
# One-shot, run by the compose service `pki` (as root, then files are handed to
# the image's user 10001): the deployment CA, one certificate per node, and the
# two deployment-wide secrets. Idempotent: what exists is kept, so a restart
# of the stack never replaces a key. The CA key stays in the `ca` volume, which
# no node mounts.
set -eu
umask 077
PKI=${PKI:-/pki}   # deploy/check.sh runs this script on a scratch directory
own() { if [ "$(id -u)" = 0 ]; then chown -R 10001:10001 "$@"; fi; }

[ -f "$PKI/ca/ca.pem" ] || fengqiao ca init --dir "$PKI/ca"

# NODES: "UNIT=HOST,HOST UNIT=HOST …" — the hosts are the compose service
# names the node is reached at (its children's `parent` URL).
for spec in $NODES; do
  unit=${spec%%=*}
  hosts=$(echo "${spec#*=}" | tr ',' ' ')
  dir=$PKI/$unit
  if [ ! -f "$dir/node.pem" ]; then
    set --
    for host in $hosts; do set -- "$@" --host "$host"; done
    fengqiao ca issue --ca-dir "$PKI/ca" --unit "$unit" "$@" --out "$dir/node"
  fi
  cp "$PKI/ca/ca.pem" "$dir/ca.pem"
  own "$dir"
done

[ -f "$PKI/secrets/personal-data.key" ] || fengqiao pii keygen --out "$PKI/secrets/personal-data.key"
if [ ! -f "$PKI/secrets/petitioner-secret" ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PKI/secrets/petitioner-secret"
  echo "wrote $PKI/secrets/petitioner-secret"
fi
own "$PKI/secrets"
