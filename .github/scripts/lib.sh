# Sourced by the deploy scripts. fail prints a GitHub error annotation and
# records the reason, which the job's "Failure reason" step turns into the
# job output the notification quotes.
# shellcheck shell=bash

fail() {
  echo "::error title=${FAIL_TITLE:-Deploy}::$1"
  if [[ -n ${RUNNER_TEMP:-} ]]; then printf '%s\n' "$1" >>"$RUNNER_TEMP/failure-reason"; fi
  exit 1
}

# output NAME VALUE: a step output (single line).
output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
