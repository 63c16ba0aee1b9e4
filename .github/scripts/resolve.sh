#!/usr/bin/env bash
# What this deploy run deploys, and how production is approved.
#   push, or workflow_dispatch without a digest: build this commit (mode build).
#   digest=D: deploy D, which an earlier run built and scanned (its image in
#     staging's repository carries scanned-<commit>): mode redeploy; with
#     rollback=true it may be older than what the stacks run.
#   digest=D promote=true: production only, for repositories whose plan has
#     no required reviewers (PRODUCTION_APPROVAL=dispatch): D must carry
#     staging-<commit> (staging verified it) and the actor must be one of
#     PRODUCTION_APPROVERS.
# The approval gate is never silently absent: PRODUCTION_APPROVAL must be
# "reviewers" (and the production environment must have required reviewers)
# or "dispatch" (with approvers listed); anything else fails the run.
# Env: APPROVAL APPROVERS DIGEST ROLLBACK PROMOTE STAGING_REPOSITORY GITHUB_*.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Deploy request"

case "${APPROVAL:-}" in
  reviewers)
    env_json="$(gh api "repos/$GITHUB_REPOSITORY/environments/production")" ||
      fail "cannot read the production environment (gh api repos/$GITHUB_REPOSITORY/environments/production)"
    reviewers="$(jq '[.protection_rules[]? | select(.type == "required_reviewers")] | length' <<<"$env_json")"
    ((reviewers > 0)) || fail "PRODUCTION_APPROVAL is 'reviewers' but the production environment has no required reviewers, so nothing would stop a deploy to prod: run .github/scripts/production-approval.sh (docs/setup.md)"
    ;;
  dispatch)
    [[ -n ${APPROVERS// /} ]] || fail "PRODUCTION_APPROVAL is 'dispatch' but PRODUCTION_APPROVERS lists nobody: run .github/scripts/production-approval.sh (docs/setup.md)"
    ;;
  *) fail "repository variable PRODUCTION_APPROVAL is '${APPROVAL:-}', not 'reviewers' or 'dispatch': no production approval gate is configured. Run .github/scripts/production-approval.sh (docs/setup.md)" ;;
esac
output approval "$APPROVAL"

if [[ -z ${DIGEST:-} ]]; then
  [[ ${ROLLBACK:-false} != true && ${PROMOTE:-false} != true ]] || fail "rollback and promote need a digest"
  output mode build
  output commit "$GITHUB_SHA"
  output allow-older false
  exit 0
fi

[[ $DIGEST =~ ^sha256:[0-9a-f]{64}$ ]] || fail "digest '$DIGEST' is not sha256:<64 hex digits>"
images="$(aws ecr describe-images --repository-name "$STAGING_REPOSITORY" --image-ids "imageDigest=$DIGEST" --output json 2>/dev/null)" ||
  fail "$DIGEST is not an image in $STAGING_REPOSITORY: only images this workflow built can be deployed"
tags="$(jq -r '.imageDetails[0].imageTags // [] | .[]' <<<"$images")"
commit="$(sed -n 's/^scanned-\([0-9a-f]\{40\}\)$/\1/p' <<<"$tags" | head -n 1)"
[[ -n $commit ]] || fail "$DIGEST was never scanned (no scanned-<commit> tag): deploy only images that passed this workflow's Trivy scan"
url="$(aws ecr describe-repositories --repository-names "$STAGING_REPOSITORY" --output json | jq -r '.repositories[0].repositoryUri')"
output commit "$commit"
output digest "$DIGEST"
output staging-repository-url "$url"
output allow-older "${ROLLBACK:-false}"

if [[ ${PROMOTE:-false} == true ]]; then
  [[ $APPROVAL == dispatch ]] || fail "promote=true is for PRODUCTION_APPROVAL=dispatch; here the production environment's reviewers approve each run"
  approvers=",${APPROVERS// /},"
  [[ $approvers == *",$GITHUB_ACTOR,"* ]] || fail "$GITHUB_ACTOR is not one of PRODUCTION_APPROVERS ($APPROVERS): only they may promote to production"
  grep -qxF "staging-$commit" <<<"$tags" || fail "staging never verified $DIGEST (no staging-$commit tag): promote what staging runs"
  output mode promote
else
  output mode redeploy
fi
