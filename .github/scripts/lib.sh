# Sourced by the deploy scripts and the deploy workflow's steps. reason
# records why the job fails, which the job's "Failure reason" step turns
# into the job output the notification quotes; fail also prints a GitHub
# error annotation and exits.
# shellcheck shell=bash

reason() {
  if [[ -n ${RUNNER_TEMP:-} ]]; then printf '%s\n' "$1" >>"$RUNNER_TEMP/failure-reason"; fi
}

fail() {
  echo "::error title=${FAIL_TITLE:-Deploy}::$1"
  reason "$1"
  exit 1
}

# output NAME VALUE: a step output (single line).
output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
