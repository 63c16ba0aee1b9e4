#!/usr/bin/env bash
# Load benchmark of the app on this machine (make bench). The app is pinned
# to CPU 1; wrk and PostgreSQL share CPU 0. Three wrk runs against
# 127.0.0.1 (GET /healthz, GET /api/v1/notes/{id}, POST /api/v1/notes), then
# `pgbench -S` (primary-key SELECTs, pinned to CPU 1 in the app's place) as
# the ceiling the database sets for a by-id read; then the Go handler
# benchmarks. Prints requests/s with p50/p99 latency; every run is bounded
# by BENCH_DURATION (default 10s). Numbers are recorded in docs/app.md.
#
# Usage: scripts/bench.sh   (BENCH_DURATION=10 BENCH_CONNECTIONS=32)
# Needs: wrk, taskset, PostgreSQL server binaries incl. pgbench, go.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-32}
log() { printf 'bench: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

for tool in wrk taskset go curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install -y wrk util-linux curl)"
done
pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/pgbench ]] || fail "no PostgreSQL server binaries with pgbench in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
(($(nproc) >= 2)) || fail "needs 2 CPUs: the app gets one, wrk and PostgreSQL the other"

work=$(mktemp -d /var/tmp/bench.XXXXXX)
chmod 755 "$work"
app_pid=
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  local rc=$?
  if [[ -n $app_pid ]]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  if [[ -f $work/pg/data/postmaster.pid ]]; then as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free TCP port found"
}

# PostgreSQL with default durability (fsync on), on CPU 0.
pg_port=$(free_port)
mkdir -p "$work/pg"
if [[ $(id -u) == 0 ]]; then chown postgres: "$work/pg"; fi
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; fail "initdb"; }
as_pg taskset -c 0 "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c shared_buffers=256MB" start >/dev/null ||
  { cat "$work/pg/postgres.log" >&2; fail "pg_ctl start"; }
psql=("$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qAtX)
"${psql[@]}" -c 'CREATE DATABASE octabyte'
"${psql[@]}" -c 'CREATE DATABASE pgbench'

log "building the app"
(cd app && CGO_ENABLED=0 go build -trimpath -o "$work/app" .)
app_port=$(free_port)
base=http://127.0.0.1:$app_port
# Logs are formatted as in production (info level) but written to /dev/null.
PORT=$app_port APP_ENV=bench LOG_LEVEL=info DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/octabyte?sslmode=disable" \
  taskset -c 1 "$work/app" >/dev/null 2>&1 &
app_pid=$!
for _ in $(seq 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited"
  sleep 0.25
done
curl -fsS "$base/readyz" >/dev/null || fail "the app did not become ready"

# 10 000 notes so the by-id read is an index lookup in a real table.
"${psql[@]}" -d octabyte -c "INSERT INTO notes (title, body) SELECT 'seed ' || i, repeat('x', 200) FROM generate_series(1, 10000) i"
"${psql[@]}" -d octabyte -c 'VACUUM ANALYZE notes'
id=$("${psql[@]}" -d octabyte -c 'SELECT id FROM notes ORDER BY random() LIMIT 1')

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"bench","body":"a note written by wrk"}'
LUA

results=()
# to_ms VALUE: wrk prints 812.00us, 1.23ms or 1.02s.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

run_wrk() {
  local name=$1 url=$2 script=${3:-}
  local args=(-t1 -c"$conns" -d"${duration}s" --latency)
  [[ -n $script ]] && args+=(-s "$script")
  log "wrk $name (${duration}s, $conns connections)"
  taskset -c 0 wrk "${args[@]}" "$url" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; fail "wrk $name"; }
  if grep -q 'Non-2xx or 3xx responses' "$work/wrk.out"; then
    cat "$work/wrk.out" >&2
    fail "$name: some responses were errors"
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$work/wrk.out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$work/wrk.out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk.out")")
  results+=("$(printf '%-28s %10s %9s %9s' "$name" "$rps" "$p50" "$p99")")
}

run_wrk "GET /healthz" "$base/healthz"
run_wrk "GET /api/v1/notes/{id}" "$base/api/v1/notes/$id"
run_wrk "POST /api/v1/notes" "$base/api/v1/notes" "$work/post.lua"

# The ceiling: PostgreSQL's own primary-key SELECT rate, with pgbench on
# the app's CPU and as many connections as the app's pool (10).
log "pgbench -S (${duration}s, 10 connections)"
"$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -i -s 10 -q pgbench >"$work/pgbench-init.log" 2>&1 ||
  { cat "$work/pgbench-init.log" >&2; fail "pgbench -i"; }
(cd "$work" && taskset -c 1 "$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -S -M prepared -c 10 -j 1 \
  -T "$duration" --log --log-prefix=pgb pgbench >"$work/pgbench.out" 2>&1) || { cat "$work/pgbench.out" >&2; fail "pgbench -S"; }
tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$work/pgbench.out")
# Per-transaction log: column 3 is the latency in microseconds.
cat "$work"/pgb.* | awk '{ print $3 }' | sort -n >"$work/lat"
n=$(wc -l <"$work/lat")
pct() { awk -v k="$(((n * $1 + 99) / 100))" 'NR == k { printf "%.2f", $1 / 1000; exit }' "$work/lat"; }
results+=("$(printf '%-28s %10s %9s %9s' "pgbench -S (ceiling)" "$tps" "$(pct 50)" "$(pct 99)")")

printf '\n%-28s %10s %9s %9s\n' "scenario" "req/s" "p50 ms" "p99 ms"
printf '%s\n' "${results[@]}"
printf '(app on CPU 1 with a 10-connection pool, wrk -t1 -c%s and PostgreSQL on CPU 0, %ss each, %s)\n\n' \
  "$conns" "$duration" "$(date -u +%Y-%m-%dT%H:%MZ)"

log "Go handler benchmarks (in-process, fake store)"
(cd app && go test -run '^$' -bench . -benchmem -benchtime=1s ./internal/api/)
