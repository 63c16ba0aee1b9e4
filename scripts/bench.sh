#!/usr/bin/env bash
# Load benchmark of the app on this machine (make bench), side by side with
# its two yardsticks in the same run:
#   - a bare net/http handler (app/internal/barehttp) for GET /healthz, on a
#     plain http.Server (the target), on the app's http.Server settings
#     (its timeouts: then only the handler stack differs), and on those
#     settings sending the app's response headers (then only the app's own
#     work differs);
#   - `pgbench -S -M prepared -c 10` (primary-key SELECTs through 10
#     connections, the app's pool size) for GET /api/v1/notes/{id}.
# The servers (app, bare handler, pgbench) take turns on CPU 1; wrk and
# PostgreSQL share CPU 0. Every round runs each scenario once, back to back,
# and the ratios are taken within a round, so the machine's drift (other
# tenants, thermal, cache) cancels; the medians over the rounds are printed,
# with the app's CPU time per request (from /proc/<pid>/task/*/schedstat).
# Then the Go handler benchmarks print allocations per request.
# Numbers are recorded in docs/app.md.
#
# Many short rounds rather than a few long ones: the machine's other tenants
# load it in bursts of seconds, which skew whichever scenario they hit; the
# median over 11 rounds of 2 s shrugs off more of them than over 3 of 5 s
# (in the same time, about 3.5 minutes).
#
# Usage: scripts/bench.sh   (BENCH_ROUNDS=11 BENCH_DURATION=2 BENCH_CONNECTIONS=32)
# Needs: wrk, taskset, PostgreSQL server binaries incl. pgbench, go, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${BENCH_ROUNDS:-11}
duration=${BENCH_DURATION:-2}
conns=${BENCH_CONNECTIONS:-32}
log() { printf 'bench: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

for tool in wrk taskset go curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install -y wrk util-linux curl)"
done
pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/pgbench ]] || fail "no PostgreSQL server binaries with pgbench in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
(($(nproc) >= 2)) || fail "needs 2 CPUs: the servers get one, wrk and PostgreSQL the other"

work=$(mktemp -d /var/tmp/bench.XXXXXX)
chmod 755 "$work"
pids=()
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ -f $work/pg/data/postmaster.pid ]]; then as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/free-port.sh
source scripts/free-port.sh

# PostgreSQL with default durability (fsync on), on CPU 0.
pg_port=$(free_port) || fail "no free TCP port"
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

log "building the app and the bare net/http handler"
(cd app && CGO_ENABLED=0 go build -trimpath -o "$work/app" . && CGO_ENABLED=0 go build -trimpath -o "$work/bare" ./internal/barehttp)

# start NAME URL CMD...: start a server pinned to CPU 1 and wait for URL;
# its process id is server_pid[NAME].
declare -A server_pid
start() {
  local name=$1 url=$2
  shift 2
  taskset -c 1 "$@" >/dev/null 2>&1 &
  pids+=($!)
  server_pid[$name]=$!
  for _ in $(seq 120); do
    curl -fsS "$url" >/dev/null 2>&1 && return
    kill -0 "${pids[-1]}" 2>/dev/null || fail "$name exited"
    sleep 0.25
  done
  fail "$name did not answer $url"
}
app_port=$(free_port) || fail "no free TCP port"
bare_port=$(free_port) || fail "no free TCP port"
bare_timeouts_port=$(free_port) || fail "no free TCP port"
bare_headers_port=$(free_port) || fail "no free TCP port"
app=http://127.0.0.1:$app_port
bare=http://127.0.0.1:$bare_port
bare_timeouts=http://127.0.0.1:$bare_timeouts_port
bare_headers=http://127.0.0.1:$bare_headers_port
# The app logs as in production (info level, one JSON line per request, EMF
# lines for failures), to /dev/null.
PORT=$app_port APP_ENV=bench LOG_LEVEL=info DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/octabyte?sslmode=disable" \
  start app "$app/readyz" "$work/app"
PORT=$bare_port start bare "$bare/healthz" "$work/bare"
PORT=$bare_timeouts_port BARE_SERVER=app start bare_timeouts "$bare_timeouts/healthz" "$work/bare"
PORT=$bare_headers_port BARE_SERVER=app-headers start bare_headers "$bare_headers/healthz" "$work/bare"

# 10 000 notes so the by-id read is an index lookup in a real table.
"${psql[@]}" -d octabyte -c "INSERT INTO notes (title, body) SELECT 'seed ' || i, repeat('x', 200) FROM generate_series(1, 10000) i"
"${psql[@]}" -d octabyte -c 'VACUUM ANALYZE notes'
id=$("${psql[@]}" -d octabyte -c 'SELECT id FROM notes ORDER BY random() LIMIT 1')
"$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -i -s 10 -q pgbench >"$work/pgbench-init.log" 2>&1 ||
  { cat "$work/pgbench-init.log" >&2; fail "pgbench -i"; }

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"bench","body":"a note written by wrk"}'
LUA
# Every request a fresh key: the write path with its idempotency record.
cat >"$work/post-key.lua" <<'LUA'
local body = '{"title":"bench","body":"a note written by wrk"}'
local n = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1e9))
request = function()
  n = n + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. n,
  }, body)
end
LUA

# cpu_ns PID: CPU time of all the process's threads so far, in ns.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
# cpu_ticks: "busy total" jiffies of CPU 0 and of CPU 1, from /proc/stat.
cpu_ticks() { awk '$1 == "cpu0" || $1 == "cpu1" { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d %d ", t - $5 - $6, t }' /proc/stat; }
# busy BEFORE AFTER N: how busy CPU N (0 or 1) was between two cpu_ticks, in %.
busy() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { split(a, x, " "); split(b, y, " "); i = 2 * n + 1;
  printf "%.0f", 100 * (y[i] - x[i]) / (y[i + 1] - x[i + 1]) }'; }
# to_ms VALUE: wrk prints 812.00us, 1.23ms or 1.02s.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

# Each run appends "scenario round req/s p50 p99 cpu_us_per_req cpu0% cpu1%"
# to results: the CPU columns show which side was the limit.
: >"$work/results"
run_wrk() {
  local scenario=$1 round=$2 pid=$3 url=$4 script=${5:-}
  local args=(-t1 -c"$conns" -d"${duration}s" --latency)
  [[ -n $script ]] && args+=(-s "$script")
  local before after ticks0 ticks1
  before=$(cpu_ns "$pid")
  ticks0=$(cpu_ticks)
  taskset -c 0 wrk "${args[@]}" "$url" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; fail "wrk $scenario"; }
  ticks1=$(cpu_ticks)
  after=$(cpu_ns "$pid")
  if grep -q 'Non-2xx or 3xx responses\|Socket errors' "$work/wrk.out"; then
    cat "$work/wrk.out" >&2
    fail "$scenario: some requests failed"
  fi
  local requests rps
  requests=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$work/wrk.out")
  printf '%s %s %s %s %s %s %s %s\n' "$scenario" "$round" "$rps" \
    "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$work/wrk.out")")" \
    "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk.out")")" \
    "$(awk -v a="$after" -v b="$before" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) / n / 1000 }')" \
    "$(busy "$ticks0" "$ticks1" 0)" "$(busy "$ticks0" "$ticks1" 1)" >>"$work/results"
}
run_pgbench() {
  local round=$1 ticks0 ticks1
  rm -f "$work"/pgb.*
  ticks0=$(cpu_ticks)
  (cd "$work" && taskset -c 1 "$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -S -M prepared -c 10 -j 1 \
    -T "$duration" --log --log-prefix=pgb pgbench >"$work/pgbench.out" 2>&1) || { cat "$work/pgbench.out" >&2; fail "pgbench -S"; }
  ticks1=$(cpu_ticks)
  # Per-transaction log: column 3 is the latency in microseconds.
  cat "$work"/pgb.* | awk '{ print $3 }' | sort -n >"$work/lat"
  local n
  n=$(wc -l <"$work/lat")
  pct() { awk -v k="$(((n * $1 + 99) / 100))" 'NR == k { printf "%.3f", $1 / 1000; exit }' "$work/lat"; }
  printf 'pgbench-S %s %s %s %s - %s %s\n' "$round" "$(awk '/^tps = / { printf "%.0f", $3 }' "$work/pgbench.out")" \
    "$(pct 50)" "$(pct 99)" "$(busy "$ticks0" "$ticks1" 0)" "$(busy "$ticks0" "$ticks1" 1)" >>"$work/results"
}

for round in $(seq "$rounds"); do
  log "round $round of $rounds (${duration}s per scenario, wrk -t1 -c$conns)"
  run_wrk bare-healthz "$round" "${server_pid[bare]}" "$bare/healthz"
  run_wrk app-healthz "$round" "${server_pid[app]}" "$app/healthz"
  run_wrk bare-timeouts-healthz "$round" "${server_pid[bare_timeouts]}" "$bare_timeouts/healthz"
  run_wrk bare-headers-healthz "$round" "${server_pid[bare_headers]}" "$bare_headers/healthz"
  run_wrk app-get-by-id "$round" "${server_pid[app]}" "$app/api/v1/notes/$id"
  run_pgbench "$round"
  run_wrk app-post "$round" "${server_pid[app]}" "$app/api/v1/notes" "$work/post.lua"
  run_wrk app-post-idempotent "$round" "${server_pid[app]}" "$app/api/v1/notes" "$work/post-key.lua"
done

bash scripts/bench-report.sh "$work/results" "$rounds" "$duration" "$conns"
if [[ -n ${BENCH_RAW:-} ]]; then cat "$work/results"; fi

log "Go handler benchmarks (in-process, fake store): allocations per request"
(cd app && go test -run '^$' -bench . -benchmem -benchtime=1s ./internal/api/)
