#!/usr/bin/env bash
# Prints scripts/bench.sh's summary from its per-run results: each
# scenario's medians over the rounds, the ratios the issue sets targets for
# (taken within each round, median over the rounds), and the ceiling of the
# by-id ratio. BENCH_RAW=1 make bench prints the results too, so a run can
# be summarised again later.
#
# Usage: scripts/bench-report.sh RESULTS ROUNDS DURATION CONNECTIONS
#   RESULTS: lines of "scenario round req/s p50_ms p99_ms cpu_us_per_req cpu0% cpu1%"
set -euo pipefail
(($# == 4)) || { echo "usage: $0 RESULTS ROUNDS DURATION CONNECTIONS" >&2; exit 2; }
results=$1 rounds=$2 duration=$3 conns=$4
[[ -s $results ]] || { echo "bench-report: no results in $results" >&2; exit 1; }

# median_of_lines: the median of the numbers on stdin, one per line.
median_of_lines() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median COLUMN SCENARIO
median() { awk -v s="$2" -v c="$1" '$1 == s { print $c }' "$results" | median_of_lines; }
# ratio NUM DEN: the median over rounds of NUM/DEN within each round.
ratio() {
  awk -v a="$1" -v b="$2" '$1 == a { x[$2] = $3 } $1 == b { y[$2] = $3 } END { for (r in x) if (y[r] > 0) printf "%.3f\n", x[r] / y[r] }' \
    "$results" | median_of_lines
}
# byid_ceiling: the by-id ratio an app costing no CPU at all could reach.
# PostgreSQL and wrk share CPU 0, so each app request costs CPU 0 its query
# and wrk's work; a pgbench transaction costs it the query only. Per round,
# CPU 0's busy time per pgbench transaction over its busy time per app
# request (both at the busy level pgbench drives CPU 0 to); the median.
byid_ceiling() {
  awk '$1 == "app-get-by-id" && $3 > 0 { a[$2] = $7 / $3 } $1 == "pgbench-S" && $3 > 0 { p[$2] = $7 / $3 }
    END { for (r in a) if (a[r] > 0 && r in p) printf "%.3f\n", p[r] / a[r] }' "$results" | median_of_lines
}
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "target reached" : "BELOW target") }'; }

printf '\n%-22s %10s %9s %9s %12s %7s %7s\n' "scenario (median)" "req/s" "p50 ms" "p99 ms" "CPU us/req" "CPU0 %" "CPU1 %"
for s in bare-healthz app-healthz bare-timeouts-healthz bare-headers-healthz app-get-by-id pgbench-S app-post app-post-idempotent; do
  printf '%-22s %10s %9s %9s %12s %7s %7s\n' "$s" "$(median 3 "$s")" "$(median 4 "$s")" "$(median 5 "$s")" \
    "$(median 6 "$s")" "$(median 7 "$s")" "$(median 8 "$s")"
done
healthz_ratio=$(ratio app-healthz bare-healthz)
byid_ratio=$(ratio app-get-by-id pgbench-S)
printf '\nratio app /healthz : bare net/http                  %s  (target >= 0.95: %s)\n' "$healthz_ratio" "$(verdict "$healthz_ratio" 0.95)"
printf 'ratio app /healthz : bare handler, app server config %s  (only the handler stack differs)\n' \
  "$(ratio app-healthz bare-timeouts-healthz)"
printf 'ratio app /healthz : bare handler, app config+headers %s  (only the app'"'"'s own work differs)\n' \
  "$(ratio app-healthz bare-headers-healthz)"
printf 'ratio bare, app config+headers : bare net/http      %s  (what the required timeouts and headers cost)\n' \
  "$(ratio bare-headers-healthz bare-healthz)"
printf 'ratio app by-id read : pgbench -S                  %s  (target >= 0.70: %s)\n' "$byid_ratio" "$(verdict "$byid_ratio" 0.70)"
printf 'ceiling of that ratio set by CPU 0                 %s  (an app costing no CPU: wrk and PostgreSQL share CPU 0)\n' \
  "$(byid_ceiling)"
printf '(%s rounds of %ss per scenario, interleaved; servers on CPU 1, wrk -t1 -c%s and PostgreSQL on CPU 0;\n' \
  "$rounds" "$duration" "$conns"
printf ' CPU us/req: the server process only; CPU0/CPU1 %%: how busy each CPU was, whatever ran there; %s)\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)"
