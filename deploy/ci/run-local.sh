#!/bin/sh
# The CI gate of deploy/ci/github-actions.yml, runnable on a machine without a Docker engine:
# scan the image the build produced, keep the reports, and push it to the registry only when
# `shipshape scan` exits 0. The scan's exit code is the script's (1: gate failed, 2: error).
#
# Usage: deploy/ci/run-local.sh IMAGE DEST [EXTRA SCAN FLAGS...]
#   IMAGE  what the build produced, as shipshape and skopeo both name it:
#          oci:DIR[:TAG] (e.g. `docker buildx build --output type=oci,tar=false,dest=DIR`)
#          or docker-archive:FILE (e.g. `docker save -o FILE`)
#   DEST   where to push it: HOST[:PORT]/REPOSITORY:TAG
# Environment:
#   SHIPSHAPE           the shipshape command (default: shipshape on PATH)
#   SHIPSHAPE_DB        advisory database; unset: `shipshape db update` fetches one, as in CI
#   FAIL_ON             lowest failing severity (default: high)
#   REPORT_DIR          where shipshape.sarif goes (default: .)
#   DEST_TLS_VERIFY     false for a plain-HTTP registry (default: true)
#   DEST_CERT_DIR       directory of *.crt CAs for the registry's TLS
#   DEST_CREDS          USER:PASSWORD for the registry
#   SKOPEO_FLAGS        extra global skopeo flags, e.g. --insecure-policy
set -eu

if [ "$#" -lt 2 ]; then
  sed -n '6,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
image=$1
dest=$2
shift 2

shipshape=${SHIPSHAPE:-shipshape}
fail_on=${FAIL_ON:-high}
report_dir=${REPORT_DIR:-.}
mkdir -p "$report_dir"

# 1. Advisory database: the CI job runs `shipshape db update` (cached between runs).
if [ -n "${SHIPSHAPE_DB:-}" ]; then
  db=$SHIPSHAPE_DB
else
  db=${XDG_CACHE_HOME:-$HOME/.cache}/shipshape/db/shipshape.db
  $shipshape db update --db "$db"
fi

# 2. Scan: SARIF for code scanning, the table for the log, one exit code for the gate.
echo "shipshape: scanning $image" >&2
set +e
$shipshape scan "$image" --db "$db" --format "sarif=$report_dir/shipshape.sarif" --format table --fail-on "$fail_on" "$@"
rc=$?
set -e

if [ "$rc" -ne 0 ]; then
  if [ "$rc" -eq 1 ]; then echo "shipshape: gate failed: $image NOT pushed to $dest" >&2
  else echo "shipshape: scan error (exit $rc): $image NOT pushed to $dest" >&2; fi
  exit "$rc"
fi

# 3. Push, only after the gate passed.
set -- ${SKOPEO_FLAGS:-} copy --quiet
if [ "${DEST_TLS_VERIFY:-true}" = false ]; then set -- "$@" --dest-tls-verify=false; fi
if [ -n "${DEST_CERT_DIR:-}" ]; then set -- "$@" --dest-cert-dir "$DEST_CERT_DIR"; fi
if [ -n "${DEST_CREDS:-}" ]; then set -- "$@" --dest-creds "$DEST_CREDS"; fi
skopeo "$@" "$image" "docker://$dest"
echo "shipshape: gate passed: pushed $image to $dest" >&2
