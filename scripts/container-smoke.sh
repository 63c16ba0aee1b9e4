#!/usr/bin/env bash
# Container smoke test for the app image: builds the real Dockerfile with
# podman (offline: the builder base image is a local stand-in, see
# scripts/standin-builder.sh), runs it with a read-only root filesystem
# against a throwaway PostgreSQL on 127.0.0.1 and checks what ECS relies on:
# /healthz, an API round trip, the `healthcheck` subcommand, the non-root
# user, a clean exit on SIGTERM; then cross-builds for arm64 and prints the
# image sizes. Fails on the first problem; always cleans up.
#
# Usage: scripts/container-smoke.sh   (as root, as CI runs it; about 2-3 minutes the first time)
# Needs: podman buildah runc debootstrap curl, and PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
log() { printf 'container-smoke: %s\n' "$*"; }
ok() { passed=$((passed + 1)); log "ok: $*"; }
fail() {
  log "FAIL: $*" >&2
  if [[ -n ${ctr:-} ]] && podman container exists "$ctr" 2>/dev/null; then
    log "container log (last 40 lines):" >&2
    podman logs --tail 40 "$ctr" >&2 || true
  fi
  printf 'container-smoke: %d passed, 1 failed\n' "$passed"
  exit 1
}

for tool in podman buildah runc debootstrap curl runuser; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install -y podman buildah runc debootstrap curl)"
done
[[ $(id -u) == 0 ]] || fail "run as root (rootful podman, debootstrap), as CI does"
pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/pg_ctl ]] || fail "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
id postgres >/dev/null 2>&1 || fail "no postgres user to run the test database as"

image=localhost/octabyte-app:smoke
image_arm64=localhost/octabyte-app:smoke-arm64
ctr=octabyte-smoke-$$
work=$(mktemp -d /var/tmp/container-smoke.XXXXXX)
chmod 755 "$work" # the postgres user runs the database in here

cleanup() {
  local rc=$?
  if [[ -n ${ctr:-} ]]; then podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || true; fi
  if [[ -f $work/pg/data/postmaster.pid ]]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Rootful podman here needs runc and fixed ulimits (crun cannot set them).
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$work/containers.conf

# shellcheck source=scripts/free-port.sh
source scripts/free-port.sh

# wait_for SECONDS WHAT COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq $((limit * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n ${ctr_started:-} && $(podman inspect -f '{{.State.Running}}' "$ctr" 2>/dev/null) != true ]]; then
      fail "container stopped while waiting for $what"
    fi
    sleep 0.25
  done
  fail "timed out after ${limit}s waiting for $what"
}

# --- image ------------------------------------------------------------------
bash scripts/standin-builder.sh || fail "could not build the stand-in builder image"

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=smoke-${commit:0:12}
log "building $image (VERSION=$version)"
podman build --pull=never --build-arg VERSION="$version" --build-arg COMMIT="$commit" \
  -t "$image" -f Dockerfile . >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; fail "podman build"; }
ok "Dockerfile builds"

[[ $(podman image inspect -f '{{.Config.User}}' "$image") == 65532:65532 ]] || fail "image USER is not 65532:65532"
[[ $(podman image inspect -f '{{json .Config.Entrypoint}}' "$image") == '["/app"]' ]] || fail "ENTRYPOINT is not [\"/app\"]"
[[ $(podman image inspect -f '{{json .Config.ExposedPorts}}' "$image") == *5000/tcp* ]] || fail "port 5000 not exposed"
mnt=$(podman image mount "$image")
files=$(cd "$mnt" && find . -type f | sort | tr '\n' ' ')
podman image unmount "$image" >/dev/null
[[ $files == "./app ./etc/ssl/certs/ca-certificates.crt " ]] || fail "image holds more than /app and the CA bundle: $files"
ok "image: USER 65532:65532, ENTRYPOINT /app, EXPOSE 5000, only /app and CA certificates"

# --- throwaway PostgreSQL on 127.0.0.1 --------------------------------------
pg_port=$(free_port) || fail "no free TCP port"
mkdir -p "$work/pg"
chown postgres: "$work/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; fail "initdb"; }
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=off" start >/dev/null ||
  { cat "$work/pg/postgres.log" >&2; fail "pg_ctl start"; }
"$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'CREATE DATABASE octabyte' || fail "CREATE DATABASE"
ok "PostgreSQL on 127.0.0.1:$pg_port"

# --- run it as ECS would: read-only root, no capabilities, DB_* variables ----
app_port=$(free_port) || fail "no free TCP port"
base=http://127.0.0.1:$app_port
podman run -d --name "$ctr" --read-only --cap-drop ALL --security-opt no-new-privileges --network host \
  -e PORT="$app_port" -e APP_ENV=smoke \
  -e DB_HOST=127.0.0.1 -e DB_PORT="$pg_port" -e DB_NAME=octabyte \
  -e DB_USER=postgres -e DB_PASSWORD=smoke-password-never-logged -e DB_SSLMODE=disable \
  "$image" >/dev/null || fail "podman run"
ctr_started=1
[[ $(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$ctr") == true ]] || fail "root filesystem is not read-only"

wait_for 30 "/healthz" curl -fsS "$base/healthz"
ok "GET /healthz 200 with a read-only root filesystem"
wait_for 60 "/readyz (migrations applied)" curl -fsS "$base/readyz"
ok "GET /readyz 200: connected and migrated"

info=$(curl -fsS "$base/")
[[ $info == *"\"version\":\"$version\""* && $info == *"\"commit\":\"$commit\""* && $info == *'"environment":"smoke"'* ]] ||
  fail "GET / does not report the build's version/commit and APP_ENV: $info"
ok "GET / reports version $version"

status=$(curl -sS -o "$work/created" -D "$work/headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' -d '{"title":"smoke","body":"from the container"}' "$base/api/v1/notes")
[[ $status == 201 ]] || fail "POST /api/v1/notes: $status $(cat "$work/created")"
location=$(tr -d '\r' <"$work/headers" | awk 'tolower($1) == "location:" { print $2 }')
[[ $location == /api/v1/notes/* ]] || fail "no Location header"
got=$(curl -fsS "$base$location") || fail "GET $location"
[[ $got == *'"title":"smoke"'* && $got == *'"body":"from the container"'* ]] || fail "GET $location: $got"
[[ $(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$base$location") == 204 ]] || fail "DELETE $location"
[[ $(curl -sS -o /dev/null -w '%{http_code}' "$base$location") == 404 ]] || fail "GET after DELETE is not 404"
ok "API round trip: POST 201, GET 200, DELETE 204, GET 404"

podman exec "$ctr" /app healthcheck || fail "'/app healthcheck' in the container exited $?"
if podman exec -e PORT=1 "$ctr" /app healthcheck 2>/dev/null; then fail "'/app healthcheck' against a dead port exited 0"; fi
ok "'/app healthcheck' exits 0 when healthy, 1 when not"

pid=$(podman inspect -f '{{.State.Pid}}' "$ctr")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
gid=$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")
[[ $uid == 65532 && $gid == 65532 ]] || fail "the app runs as uid $uid gid $gid, not 65532"
ok "runs as uid 65532 gid 65532 (non-root)"

# The database goes away: the app answers 503 and its metrics say so.
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null || fail "pg_ctl stop"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"title":"t"}' "$base/api/v1/notes")
[[ $status == 503 ]] || fail "POST /api/v1/notes without a database: $status, want 503"
ok "POST /api/v1/notes without a database: 503"

podman stop -t 25 "$ctr" >/dev/null
[[ $(podman inspect -f '{{.State.ExitCode}}' "$ctr") == 0 ]] || fail "exit code after SIGTERM is $(podman inspect -f '{{.State.ExitCode}}' "$ctr")"
logs=$(podman logs "$ctr" 2>&1)
[[ $logs == *'"msg":"stopped"'* ]] || fail "no clean stop in the log"
[[ $logs == *'"Namespace":"Octabyte/App"'* && $logs == *'"Route":"POST /api/v1/notes","ServerErrors":1'* && $logs == *'"DBErrors":'* ]] ||
  fail "no ServerErrors and DBErrors EMF lines on stdout for the refused write"
[[ $logs != *smoke-password-never-logged* ]] || fail "the database password appears in the log"
ok "SIGTERM: clean exit 0; JSON logs, the refused write in the EMF metrics, no password"

# --- cross-build for arm64 (Graviton) without emulation --------------------
# BUILDPLATFORM is passed because podman 4.3 does not set it by itself.
log "cross-building $image_arm64"
podman build --pull=never --platform linux/arm64 --build-arg BUILDPLATFORM="linux/$(podman info -f '{{.Host.Arch}}')" \
  --build-arg VERSION="$version" --build-arg COMMIT="$commit" -t "$image_arm64" -f Dockerfile . >"$work/build-arm64.log" 2>&1 ||
  { tail -n 40 "$work/build-arm64.log" >&2; fail "podman build --platform linux/arm64"; }
mnt=$(podman image mount "$image_arm64")
machine=$(od -An -tx1 -j18 -N2 "$mnt/app" | tr -d ' \n')
podman image unmount "$image_arm64" >/dev/null
[[ $machine == b700 ]] || fail "arm64 image's /app is not an aarch64 ELF (e_machine $machine)"
ok "cross-built linux/arm64 image holds an aarch64 binary"

for img in "$image" "$image_arm64"; do
  size=$(podman image inspect -f '{{.Size}}' "$img")
  log "image size $img: $size bytes ($(numfmt --to=iec --suffix=B "$size"))"
done
printf 'container-smoke: %d passed, 0 failed\n' "$passed"
