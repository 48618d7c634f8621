#!/bin/sh
# One-shot "seed" service of docker-compose.yml: registers the demo tenants (deploy/tenants/*.json)
# in the MariaDB registry through the gateway's admin API. No SQL: the schema belongs to the
# gateway's Flyway migrations. Runs again on every `docker compose up`: a tenant that is already
# registered (409) counts as done, so edits made since through the admin API are kept.
#
#   ADMIN_URL     the admin API (http://gateway:9180)
#   ADMIN_TOKEN   its bearer token (the gateway's GATEWAY_ADMIN_TOKEN)
#   SEED_DIR      the tenant JSON files (/seed/tenants)
set -eu
admin=${ADMIN_URL:-http://gateway:9180}
: "${ADMIN_TOKEN:?ADMIN_TOKEN is not set}"
reply=$(mktemp)
for file in "${SEED_DIR:-/seed/tenants}"/*.json; do
  status=$(curl -sS -o "$reply" -w '%{http_code}' --retry 5 --retry-connrefused --retry-delay 1 \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$file" "$admin/v1/tenants")
  case "$status" in
    201) echo "seed: registered $(basename "$file" .json)" ;;
    409) echo "seed: $(basename "$file" .json) already registered" ;;
    *) echo "seed: $file: HTTP $status: $(cat "$reply")" >&2; exit 1 ;;
  esac
done
