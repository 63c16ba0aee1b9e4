#!/usr/bin/env bash
# Logs in to the state backend, selects STACK, and puts the image and commit
# it runs (its appImage and appCommit outputs) back into its config: the
# deploy workflow sets them, not the stack file, so a preview, a drift check
# or a bring-up without them would plan to take the running image away.
# The workflows never create stacks (docs/setup.md). Env: STACK PULUMI_BACKEND_URL.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Missing stack"

pulumi login "$PULUMI_BACKEND_URL"
pulumi stack select "$STACK" ||
  fail "Stack $STACK does not exist in the backend; create it once as docs/setup.md describes."
for key in appImage appCommit; do
  value="$(pulumi stack output "$key" --stack "$STACK" 2>/dev/null || true)"
  if [[ -n $value ]]; then
    pulumi config set "octabyte:$key" "$value" --stack "$STACK"
  fi
done
