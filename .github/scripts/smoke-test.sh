#!/usr/bin/env bash
# The deploy smoke test on BASE_URL: waits (until SMOKE_DEADLINE_SECONDS)
# for /healthz and /readyz, then creates a note, reads it back and deletes
# it, with retries. The POST carries an Idempotency-Key unique to this run,
# attempt and environment, so a retried POST cannot create a second note.
# Env: BASE_URL STACK [SMOKE_DEADLINE_SECONDS SMOKE_POLL_SECONDS].
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Smoke test"

base="${BASE_URL%/}"
deadline=$((SECONDS + ${SMOKE_DEADLINE_SECONDS:-600}))
curl_json() { curl --fail --silent --show-error --max-time 10 "$@"; }
wait_for() {
  until curl_json --output /dev/null "$base$1"; do
    if ((SECONDS >= deadline)); then
      fail "$STACK: $base$1 did not answer 2xx within ${SMOKE_DEADLINE_SECONDS:-600}s"
    fi
    sleep "${SMOKE_POLL_SECONDS:-5}"
  done
  echo "$1 OK"
}
wait_for /healthz
wait_for /readyz
key="deploy-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}-${STACK}"
created="$(curl_json --retry 5 --retry-all-errors --retry-delay 3 \
  -H 'Content-Type: application/json' -H "Idempotency-Key: $key" \
  --data "$(jq -cn --arg t "smoke $key" '{title: $t, body: "created by the deploy smoke test"}')" \
  "$base/api/v1/notes")" || fail "$STACK: POST /api/v1/notes failed"
id="$(jq -er '.id' <<<"$created")" || fail "$STACK: POST /api/v1/notes returned no id"
fetched="$(curl_json --retry 5 --retry-all-errors --retry-delay 3 "$base/api/v1/notes/$id")" || fail "$STACK: GET /api/v1/notes/$id failed"
jq -e --arg t "smoke $key" '.title == $t' <<<"$fetched" >/dev/null ||
  fail "$STACK: GET /api/v1/notes/$id did not return the note just created"
curl_json --retry 5 --retry-all-errors --retry-delay 3 --output /dev/null -X DELETE "$base/api/v1/notes/$id" ||
  fail "$STACK: DELETE /api/v1/notes/$id failed"
echo "API round trip OK (note $id created, read back and deleted)"
