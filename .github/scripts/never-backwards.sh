#!/usr/bin/env bash
# Refuses to deploy COMMIT to STACK when the stack runs a commit that COMMIT
# does not descend from: a late re-run, or the approval of an older run,
# would otherwise put older code over newer. The stack records what it runs
# in its appCommit output (set with appImage by every deploy).
# ALLOW_OLDER=true is the intentional rollback of a workflow_dispatch that
# names a digest (docs/ci.md). Needs the full history (fetch-depth: 0).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Never backwards"

deployed="$(pulumi stack output appCommit --stack "$STACK" 2>/dev/null || true)"
if [[ -z $deployed ]]; then
  echo "$STACK records no deployed commit yet: deploying $COMMIT"
elif [[ $deployed == "$COMMIT" ]]; then
  echo "$STACK already runs $COMMIT: deploying it again"
elif git merge-base --is-ancestor "$deployed" "$COMMIT" 2>/dev/null; then
  echo "$COMMIT descends from $deployed, which $STACK runs: deploying"
elif [[ ${ALLOW_OLDER:-false} == true ]]; then
  echo "::notice title=Intentional rollback::$STACK runs $deployed; rolling back to $COMMIT as requested"
else
  fail "refusing to deploy $COMMIT to $STACK: it runs $deployed, and $COMMIT does not descend from it (an older or unrelated commit). To roll back on purpose, run the deploy workflow with digest=<an image built and scanned before> and rollback=true."
fi
