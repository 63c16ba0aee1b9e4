#!/usr/bin/env bash
# production-approval.sh OWNER/REPO APPROVER...
# Sets up the gate before production deploys (docs/setup.md, step 5) and
# records which one in the repository variable PRODUCTION_APPROVAL, which the
# deploy workflow requires (it fails when no gate is configured):
#   reviewers  the production environment's required reviewers approve each
#              run (GitHub offers them on public repositories, and on private
#              ones only with GitHub Enterprise; on Free, Pro and Team plans
#              they exist only for public repositories);
#   dispatch   where they are not available (a private repository on Pro or
#              Team): the deploy stops after staging, and one of
#              PRODUCTION_APPROVERS promotes the verified digest with
#              `gh workflow run deploy.yml -f digest=... -f promote=true`.
# A private repository on GitHub Free has no environments at all, so neither
# gate holds (nothing limits which branch reaches the production role): it
# stops with that message. It asks GitHub and reads the environment back:
# the answer, not the plan's name, decides. APPROVER: GitHub user logins
# (at most 6). Needs `gh auth login` as a repository admin.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 OWNER/REPO APPROVER..." >&2; exit 2; }
repo=$1
shift
env_path="repos/$repo/environments/production"

# GitHub takes at most 6 required reviewers (REST "Create or update an
# environment": reviewers); more would be refused and read as a plan without
# them. Each login must be a user: a lookup inside one $(...) would drop a
# failed one silently (errexit does not reach command substitutions).
(($# <= 6)) || { echo "at most 6 approvers (GitHub's limit for required reviewers), got $#" >&2; exit 2; }
reviewers='[]'
for login in "$@"; do
  user="$(gh api "users/$login")" || { echo "$login is not a GitHub user login" >&2; exit 1; }
  reviewers="$(jq -c --argjson u "$user" '. + [{type: "User", id: $u.id}]' <<<"$reviewers")"
done
request="$(jq -cn --argjson r "$reviewers" '{reviewers: $r, prevent_self_review: true,
  deployment_branch_policy: {protected_branches: true, custom_branch_policies: false}}')"
if ! gh api --method PUT "$env_path" --input - <<<"$request" >/dev/null; then
  echo "GitHub refused required reviewers on $repo's production environment; falling back to the dispatch gate." >&2
  if ! gh api --method PUT "$env_path" --input - <<<'{"deployment_branch_policy": {"protected_branches": true, "custom_branch_policies": false}}' >/dev/null; then
    echo "GitHub refused the production environment itself: a private repository on GitHub Free has no environments, so no gate can limit which branch deploys to prod. Make the repository public, or move it to GitHub Pro or Team (dispatch gate) or Enterprise (required reviewers), then run this again." >&2
    exit 1
  fi
fi
rules="$(gh api "$env_path" | jq '[.protection_rules[]? | select(.type == "required_reviewers")] | length')"

approvers="$(IFS=,; echo "$*")"
if ((rules > 0)); then
  gh variable set PRODUCTION_APPROVAL --repo "$repo" --body reviewers
  echo "production approval: required reviewers ($approvers) approve each deploy in the run's page."
else
  gh variable set PRODUCTION_APPROVAL --repo "$repo" --body dispatch
  echo "production approval: this plan offers no required reviewers for $repo. Deploys stop after staging;"
  echo "one of $approvers promotes with: gh workflow run deploy.yml --ref main -f digest=sha256:... -f promote=true"
fi
gh variable set PRODUCTION_APPROVERS --repo "$repo" --body "$approvers"
