#!/usr/bin/env bash
# The deploy run's outcome in one line, for the run summary, Slack and email:
# which job failed and why (its "reason" output), or what was deployed.
# Env: NEEDS (toJSON(needs) of the notify job), GITHUB_*. Outputs: status, message.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

result() { jq -r --arg j "$1" '.[$j].result // "skipped"' <<<"$NEEDS"; }
out() { jq -r --arg j "$1" --arg k "$2" '.[$j].outputs[$k] // ""' <<<"$NEEDS"; }

digest="$(out resolve digest)"
digest="${digest:-$(out build digest)}"
commit="$(out resolve commit)"
what="${commit:-$GITHUB_SHA}${digest:+ ($digest)}"
status='' message=''
for job in resolve staging-repository build scan staging production; do
  case "$(result "$job")" in
    failure)
      reason="$(out "$job" reason)"
      status=failed message="deploy of $what failed in $job: ${reason:-see the run log}"
      break
      ;;
    cancelled)
      status=cancelled message="deploy of $what was cancelled in $job"
      break
      ;;
  esac
done
if [[ -z $status ]]; then
  if [[ $(result production) == success ]]; then
    status=succeeded message="$what verified on staging and production"
  elif [[ $(result staging) == success && $(out resolve approval) == dispatch ]]; then
    status="awaiting promotion"
    message="$what verified on staging; promote it to production: gh workflow run deploy.yml --ref main -f digest=$digest -f promote=true"
  else
    status="stopped before production" message="deploy of $what stopped before production"
  fi
fi
output status "$status"
output message "$message"
echo "$message"
