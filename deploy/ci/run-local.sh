#!/bin/sh
# The CI gate of deploy/ci/github-actions.yml, runnable on a machine without a Docker engine:
# `shipshape promote` scans the image the build produced and, only when the verdict passes,
# copies it by digest to the registry, signed and attested. Its exit code is the script's
# (1: gate failed, nothing pushed; 2: error, nothing tagged).
#
# Usage: deploy/ci/run-local.sh IMAGE DEST [EXTRA PROMOTE FLAGS...]
#   IMAGE  what the build produced: oci:DIR[:TAG] (e.g. `docker buildx build --output
#          type=oci,tar=false,dest=DIR`) or docker-archive:FILE (e.g. `docker save -o FILE`)
#   DEST   where to push it: HOST[:PORT]/REPOSITORY:TAG
# Environment:
#   SHIPSHAPE               the shipshape command (default: shipshape on PATH)
#   SHIPSHAPE_DB            advisory database; unset: `shipshape db update` fetches one, as in CI
#   SIGNING_KEY             the signing key file (default: cosign.key)
#   SHIPSHAPE_KEY_PASSWORD  its passphrase (from the CI secret store)
#   FAIL_ON                 lowest failing severity (default: high)
#   REPORT_DIR              where shipshape.sarif goes (default: .)
#   DEST_INSECURE           true for a plain-HTTP registry (default: false)
#   DEST_CA_CERT            CA certificate (PEM) of the registry's TLS
#   SHIPSHAPE_DEST_USERNAME / SHIPSHAPE_DEST_PASSWORD   credentials for DEST
set -eu

if [ "$#" -lt 2 ]; then
  sed -n '7,22p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
image=$1
dest=$2
shift 2

shipshape=${SHIPSHAPE:-shipshape}
fail_on=${FAIL_ON:-high}
report_dir=${REPORT_DIR:-.}
key=${SIGNING_KEY:-cosign.key}
mkdir -p "$report_dir"

# 1. Advisory database: the CI job runs `shipshape db update` (cached between runs).
if [ -n "${SHIPSHAPE_DB:-}" ]; then
  db=$SHIPSHAPE_DB
else
  db=${XDG_CACHE_HOME:-$HOME/.cache}/shipshape/db/shipshape.db
  $shipshape db update --db "$db"
fi

# 2. Promote: scan (SARIF for code scanning, the table for the log), and only on a pass copy by
#    digest, sign, attest, tag last. The last line of stdout is DEST@sha256:… .
set -- "$@"
registry_host=${dest%%/*}
if [ "${DEST_INSECURE:-false}" = true ]; then set -- "$@" --insecure-registry "$registry_host"; fi
if [ -n "${DEST_CA_CERT:-}" ]; then set -- "$@" --ca-cert "$DEST_CA_CERT"; fi
echo "shipshape: promoting $image to $dest" >&2
set +e
$shipshape promote "$image" "$dest" --key "$key" --db "$db" --format "sarif=$report_dir/shipshape.sarif" --format table --fail-on "$fail_on" "$@"
rc=$?
set -e

if [ "$rc" -eq 0 ]; then echo "shipshape: gate passed: $image pushed to $dest, signed and attested" >&2
elif [ "$rc" -eq 1 ]; then echo "shipshape: gate failed: $image NOT pushed to $dest" >&2
else echo "shipshape: promote error (exit $rc): $image NOT pushed to $dest" >&2; fi
exit "$rc"
