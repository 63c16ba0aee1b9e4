#!/usr/bin/env bash
# Installs the Debian packages the test suites need (`make deps`, run by
# `make test`). The one list of them is SYSTEM_PACKAGES in the Makefile,
# passed as arguments. Idempotent: installs only what is missing; as root it
# uses apt-get, otherwise it prints the one command to run and fails.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) != 0 ]]; then
  echo "make test needs these Debian packages: run  sudo apt-get install -y ${missing[*]}  (or run make test as root)" >&2
  exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
