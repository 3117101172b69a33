#!/usr/bin/env bash
# GET /v1/calls/stats at ten million calls, on both stores: each store's
# TestCallStatsScale fills a database (SQLite: a temp file; PostgreSQL: a
# schema of its own in SWITCHBOARD_TEST_POSTGRES, default the local `test`
# database, dropped afterwards) with the calls internal/statsbench
# describes, in one bulk statement, checks the stats' plans use the
# organisation's indexes, and times the stats for one organisation over a
# month beside the list's first page on the same database, then the list
# with each filter, FindCall and a node's restart. Then it studies each
# index of the calls table: drops it, re-times the queries whose plan
# changes, logs the plan they fall back to, and builds it again (the
# longest part; STUDY=0 skips it). What each index costs a write is
# BenchmarkCallIndexes (docs/performance.md, "Call records at 10 million
# calls").
#
# Run from the repository root (it takes minutes and a few GB of disk):
#
#   bash bench/stats/run.sh                 # 10 million calls
#   CALLS=1000000 bash bench/stats/run.sh   # fewer
#   STORES=sqlite bash bench/stats/run.sh   # one store
#   STUDY=0 bash bench/stats/run.sh         # without the index study
set -euo pipefail
calls=${CALLS:-10000000}
stores=${STORES:-"sqlite postgres"}
echo "# $(date -u +%FT%TZ) calls=$calls nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for s in $stores; do
  echo "## $s"
  SWITCHBOARD_BENCH_STATS=1 SWITCHBOARD_BENCH_STATS_CALLS=$calls SWITCHBOARD_BENCH_STATS_STUDY=${STUDY:-1} \
    SWITCHBOARD_REQUIRE_ALL=1 \
    go test "./$s/" -run '^TestCallStatsScale$' -count=1 -v -timeout 120m
done
