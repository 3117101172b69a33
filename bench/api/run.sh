#!/usr/bin/env bash
# API read-path benchmark: authenticated GET /v1/endpoints/{id} and
# GET /v1/endpoints (50 rows) on the real `switchboard serve`, driven by wrk,
# beside bare net/http handlers (bench/api/bare) measured in the same run.
#
# The ratio to a bare handler measures our overhead per request only if both
# send the same bytes, so the script captures the real responses once with
# curl and starts one bare server per body size:
#   bare      serves the captured GET /v1/endpoints/{id} body (~326 bytes):
#             the baseline of the single get, and the issue's small-body
#             baseline for the list (reported, not the target comparison)
#   barelist  serves the captured GET /v1/endpoints body (~16 KB): the
#             like-for-like baseline of the list, the target comparison
#
# Run from the repository root:
#
#   bash bench/api/run.sh                          # SQLite, one node
#   STORE=postgres bash bench/api/run.sh           # PostgreSQL, one node
#   STORE=postgres NODES=2 bash bench/api/run.sh   # and two nodes, one database
#
# With NODES=2, a second node serves the same database, and four more
# targets run: the same two routes through both nodes at once ("2 nodes"),
# one wrk per node with half the threads and connections each, their req/s
# summed, the server CPU summed over the nodes, and p50/p99 the larger of
# the two; and, as their baseline, two bare servers per body size driven the
# same way ("2 servers"). On one machine both nodes share the same CPUs with
# wrk, so this measures what a second node costs, not what it adds.
#
# Environment (all optional):
#   ROUNDS=5         measured rounds; each round runs every target once, in a
#                    rotating order so no target always goes first
#   DURATION=10s     wrk duration per run (wrk syntax: 10s, 1m)
#   WARMUP=2s        unrecorded wrk run per target before round 1 ("0" skips)
#   THREADS=2        wrk -t
#   CONNS=32         wrk -c
#   INFO_ROUND=1     also run one round against a second server started with
#                    --log-level info --log-format json, logs to /dev/null
#   KEEP=            a directory to copy the raw wrk outputs and server logs to
#   SWITCHBOARD_BIN= a prebuilt switchboard binary to measure instead of
#                    building ./cmd/switchboard (e.g. a build of a scratch copy)
#   STORE=sqlite     sqlite, or postgres (a fresh schema, dropped on exit)
#   NODES=1          1, or 2 (postgres only): see above
#   PG=              the PostgreSQL to use (default $SWITCHBOARD_TEST_POSTGRES,
#                    else postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
#
# Everything listens on 127.0.0.1 only. The servers are killed on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
INFO_ROUND=${INFO_ROUND:-1}
KEEP=${KEEP:-}
SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-}
STORE=${STORE:-sqlite}
NODES=${NODES:-1}
PG=${PG:-${SWITCHBOARD_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
NROWS=50
SCHEMA=

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[[ -f go.mod && -d cmd/switchboard && -d bench/api/bare ]] || die "run me from the repository root"
for tool in go wrk curl timeout; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
case $STORE/$NODES in
sqlite/1 | postgres/1 | postgres/2) ;;
*) die "STORE must be sqlite or postgres, and NODES 1 (or 2 on postgres)" ;;
esac
if [[ $STORE == postgres ]]; then
	command -v psql >/dev/null || die "psql is not installed (it drops the schema)"
	psql "$PG" -qAtc 'SELECT 1' >/dev/null || die "PostgreSQL is not reachable at PG=$PG"
	((THREADS % NODES == 0 && CONNS % NODES == 0)) || die "THREADS and CONNS must divide by NODES"
fi

# seconds converts a wrk duration (10s, 2m, 1h, or bare seconds) to seconds.
seconds() {
	local d=$1
	case $d in
	*s) echo "${d%s}" ;;
	*m) echo $((${d%m} * 60)) ;;
	*h) echo $((${d%h} * 3600)) ;;
	*) echo "$d" ;;
	esac
}
[[ $(seconds "$DURATION") =~ ^[1-9][0-9]*$ ]] || die "DURATION must be whole seconds, minutes or hours (e.g. 10s)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")
PIDS=()
cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		# Give each server a moment to exit on SIGTERM, then insist.
		await_exit "$pid" 10
	done
	if [[ -n $SCHEMA ]]; then
		psql "$PG" -qAtc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 ||
			echo "run.sh: could not drop schema $SCHEMA" >&2
	fi
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP" && cp -r "$WORK"/out "$WORK"/*.log "$WORK"/*.json "$KEEP"/ 2>/dev/null || true
		echo "raw outputs kept in $KEEP" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/out"

# The machine and the code measured, first in the output.
{
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "code:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
		[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' + uncommitted changes')"
	echo "go:      $(go version)"
	echo "cpu:     $(nproc) x $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
		"load average$(uptime | sed 's/.*load average//')"
	echo "kernel:  $(uname -sr)"
	echo "wrk:     $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), on the same CPUs as the servers"
	if [[ $STORE == postgres ]]; then
		echo "store:   PostgreSQL $(psql "$PG" -qAtc 'SHOW server_version') on this machine, $NODES node(s) on one schema"
	else
		echo "store:   SQLite, 1 node"
	fi
	echo
}
echo "== building" >&2
if [[ -n $SWITCHBOARD_BIN ]]; then
	[[ -x $SWITCHBOARD_BIN ]] || die "SWITCHBOARD_BIN=$SWITCHBOARD_BIN is not an executable"
	cp "$SWITCHBOARD_BIN" "$WORK/switchboard"
	echo "switchboard binary: $SWITCHBOARD_BIN (prebuilt, not ./cmd/switchboard)"
	echo
else
	timeout 300 go build -o "$WORK/switchboard" ./cmd/switchboard
fi
timeout 300 go build -o "$WORK/bare" ./bench/api/bare

API_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
if [[ $STORE == postgres ]]; then
	SCHEMA="apibench_$(date +%s)_$RANDOM"
	DB="$PG$([[ $PG == *\?* ]] && echo '&' || echo '?')schema=$SCHEMA"
else
	DB=$WORK/bench.db
fi

echo "== starting switchboard on $API" >&2
"$WORK/switchboard" serve --database "$DB" --http "127.0.0.1:$API_PORT" \
	--sip 127.0.0.1:0 --webhook-allow-private --rate-limit 1000000 --log-level warn --log-format json \
	>"$WORK/serve.stdout" 2>"$WORK/serve.log" &
PIDS+=($!)
API_PID=$!
wait_http "$API/healthz" "$API_PID"

KEY=$(grep -m1 '^kros_live_' "$WORK/serve.stdout" || true)
[[ -n $KEY ]] || die "no kros_live_ key on serve's stdout (is the database fresh?)"

if ((NODES == 2)); then
	# The second node starts once the first has bootstrapped the database.
	API2_PORT=$(free_port)
	while [[ $API2_PORT == "$API_PORT" ]]; do API2_PORT=$(free_port); done
	API2=http://127.0.0.1:$API2_PORT
	echo "== starting a second node on $API2" >&2
	"$WORK/switchboard" serve --database "$DB" --http "127.0.0.1:$API2_PORT" \
		--sip 127.0.0.1:0 --webhook-allow-private --rate-limit 1000000 --log-level warn --log-format json \
		>"$WORK/serve2.stdout" 2>"$WORK/serve2.log" &
	PIDS+=($!)
	API2_PID=$!
	wait_http "$API2/healthz" "$API2_PID"
fi

# The webhook URL is a loopback IP literal on the discard port, the same
# length as https://example.com/hook: serve's SSRF guard resolves host names
# at creation (this must work offline), and should anything ever deliver to
# these endpoints it stays on this machine. --webhook-allow-private lets the
# guard accept a loopback address.
HOOK=https://127.0.0.1:9/hook
echo "== creating $NROWS webhook endpoints ($HOOK)" >&2
ID=
for i in $(seq "$NROWS"); do
	resp=$(curl -sS --max-time 5 -w '\n%{http_code}' -X POST "$API/v1/endpoints" \
		-H "x-api-key: $KEY" -H 'Content-Type: application/json' \
		-d "{\"name\":\"ep $i\",\"type\":\"webhook\",\"url\":\"$HOOK\"}")
	code=${resp##*$'\n'}
	[[ $code == 201 ]] || die "POST /v1/endpoints #$i answered $code: ${resp%$'\n'*}"
	if [[ $i == $((NROWS / 2)) ]]; then
		ID=$(sed -n 's/^{"id":"\(ep_[A-Za-z0-9]*\)".*/\1/p' <<<"${resp%$'\n'*}")
	fi
done
[[ -n $ID ]] || die "could not read an endpoint id"

# Capture each real response once (body bytes exactly as sent, trailing
# newline included) and check it before timing anything.
curl -fsS --max-time 5 -H "x-api-key: $KEY" -o "$WORK/get.json" "$API/v1/endpoints/$ID"
grep -q "^{\"id\":\"$ID\"" "$WORK/get.json" || die "GET /v1/endpoints/$ID: unexpected body: $(cat "$WORK/get.json")"
curl -fsS --max-time 5 -H "x-api-key: $KEY" -o "$WORK/list.json" "$API/v1/endpoints"
rows=$(grep -o '"id":"ep_' "$WORK/list.json" | wc -l)
[[ $rows == "$NROWS" ]] || die "GET /v1/endpoints returned $rows rows, want $NROWS"
if ((NODES == 2)); then
	# Both nodes must answer the same bytes (the endpoints were created
	# through the first; the second reads them from the shared database).
	curl -fsS --max-time 5 -H "x-api-key: $KEY" -o "$WORK/get2.json" "$API2/v1/endpoints/$ID"
	curl -fsS --max-time 5 -H "x-api-key: $KEY" -o "$WORK/list2.json" "$API2/v1/endpoints"
	cmp -s "$WORK/get.json" "$WORK/get2.json" && cmp -s "$WORK/list.json" "$WORK/list2.json" ||
		die "the second node answers differently from the first"
fi

# One bare server per body size, serving the captured bytes.
BARE_PORT=$(free_port)
while [[ $BARE_PORT == "$API_PORT" ]]; do BARE_PORT=$(free_port); done
BARELIST_PORT=$(free_port)
while [[ $BARELIST_PORT == "$API_PORT" || $BARELIST_PORT == "$BARE_PORT" ]]; do BARELIST_PORT=$(free_port); done
BARE=http://127.0.0.1:$BARE_PORT
BARELIST=http://127.0.0.1:$BARELIST_PORT
echo "== starting bare servers on $BARE (get body) and $BARELIST (list body)" >&2
"$WORK/bare" -addr "127.0.0.1:$BARE_PORT" -body-file "$WORK/get.json" >"$WORK/bare.log" 2>&1 &
PIDS+=($!)
BARE_PID=$!
"$WORK/bare" -addr "127.0.0.1:$BARELIST_PORT" -body-file "$WORK/list.json" >"$WORK/barelist.log" 2>&1 &
PIDS+=($!)
BARELIST_PID=$!
wait_http "$BARE/" "$BARE_PID"
wait_http "$BARELIST/" "$BARELIST_PID"
if ((NODES == 2)); then
	# The baseline of the two-node targets: two bare servers per body size,
	# driven the same way (one wrk each, half the threads and connections).
	used=" $API_PORT $API2_PORT $BARE_PORT $BARELIST_PORT "
	BARE2_PORT=$(free_port)
	while [[ $used == *" $BARE2_PORT "* ]]; do BARE2_PORT=$(free_port); done
	used+="$BARE2_PORT "
	BARELIST2_PORT=$(free_port)
	while [[ $used == *" $BARELIST2_PORT "* ]]; do BARELIST2_PORT=$(free_port); done
	"$WORK/bare" -addr "127.0.0.1:$BARE2_PORT" -body-file "$WORK/get.json" >"$WORK/bare2.log" 2>&1 &
	PIDS+=($!)
	BARE2_PID=$!
	"$WORK/bare" -addr "127.0.0.1:$BARELIST2_PORT" -body-file "$WORK/list.json" >"$WORK/barelist2.log" 2>&1 &
	PIDS+=($!)
	BARELIST2_PID=$!
	wait_http "http://127.0.0.1:$BARE2_PORT/" "$BARE2_PID"
	wait_http "http://127.0.0.1:$BARELIST2_PORT/" "$BARELIST2_PID"
fi
size() { curl -fsS --max-time 5 -H "x-api-key: $KEY" -o /dev/null -w '%{size_download}' "$1"; }
SIZE_BARE=$(size "$BARE/")
SIZE_GET=$(size "$API/v1/endpoints/$ID")
SIZE_LIST=$(size "$API/v1/endpoints")
SIZE_BARELIST=$(size "$BARELIST/")
[[ $SIZE_BARE == "$SIZE_GET" && $SIZE_BARELIST == "$SIZE_LIST" ]] ||
	die "body sizes differ: bare $SIZE_BARE vs get $SIZE_GET, bare list $SIZE_BARELIST vs list $SIZE_LIST"
echo "body bytes: get $SIZE_GET = bare $SIZE_BARE; list $SIZE_LIST = bare list $SIZE_BARELIST"
echo

TARGETS=(bare get list barelist)
# URL and PID_OF hold one URL and pid per node the target runs on, space-separated.
declare -A URL=([bare]="$BARE/" [get]="$API/v1/endpoints/$ID" [list]="$API/v1/endpoints" [barelist]="$BARELIST/")
declare -A PID_OF=([bare]=$BARE_PID [get]=$API_PID [list]=$API_PID [barelist]=$BARELIST_PID)
declare -A LABEL=([bare]="bare, get-size body" [get]="GET /v1/endpoints/{id}" [list]="GET /v1/endpoints (50)"
	[barelist]="bare, list-size body")
# BASE is the like-for-like baseline of each target: the target comparison.
declare -A BASE=([bare]=bare [get]=bare [list]=barelist [barelist]=barelist)
if ((NODES == 2)); then
	TARGETS+=(bare2 get2 list2 barelist2)
	URL[bare2]="$BARE/ http://127.0.0.1:$BARE2_PORT/"
	URL[get2]="$API/v1/endpoints/$ID $API2/v1/endpoints/$ID"
	URL[list2]="$API/v1/endpoints $API2/v1/endpoints"
	URL[barelist2]="$BARELIST/ http://127.0.0.1:$BARELIST2_PORT/"
	PID_OF[bare2]="$BARE_PID $BARE2_PID"
	PID_OF[get2]="$API_PID $API2_PID"
	PID_OF[list2]="$API_PID $API2_PID"
	PID_OF[barelist2]="$BARELIST_PID $BARELIST2_PID"
	LABEL[bare2]="bare, get-size body, 2 servers"
	LABEL[get2]="GET /v1/endpoints/{id}, 2 nodes"
	LABEL[list2]="GET /v1/endpoints (50), 2 nodes"
	LABEL[barelist2]="bare, list-size body, 2 servers"
	BASE[bare2]=bare2
	BASE[get2]=bare2
	BASE[list2]=barelist2
	BASE[barelist2]=barelist2
fi
TICK=$(getconf CLK_TCK)

# cpu_ticks PID... prints the user+system CPU ticks the processes have used
# so far, summed.
cpu_ticks() { for p in "$@"; do cat "/proc/$p/stat"; done | awk '{t += $14 + $15} END {print t}'; }

# to_ms converts a wrk latency (850.00us, 1.23ms, 1.02s, 2.00m) to milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.3f", n }'
}

# run_wrk NAME URLS PIDS DURATION OUTFILE: runs wrk and prints
# "rps p50_ms p99_ms cpu_us_per_req non2xx errors". With several URLs
# (space-separated, one per node), one wrk per URL runs at once with an
# equal share of the threads and connections; the rates, requests, non-2xx
# and errors are summed, p50 and p99 are the larger of the runs, and the CPU
# is that of every pid in PIDS.
run_wrk() {
	local urls=($2) pids=($3) dur=$4 out=$5 t0 t1 limit i n wpids=()
	n=${#urls[@]}
	limit=$(($(seconds "$dur") + 30))
	t0=$(cpu_ticks "${pids[@]}")
	for i in "${!urls[@]}"; do
		timeout "$limit" wrk -t$((THREADS / n)) -c$((CONNS / n)) -d"$dur" --latency -H "x-api-key: $KEY" "${urls[$i]}" \
			>"$out.$i" 2>&1 &
		wpids+=($!)
	done
	for i in "${!wpids[@]}"; do
		wait "${wpids[$i]}" || die "wrk on ${urls[$i]} failed: $(cat "$out.$i")"
	done
	t1=$(cpu_ticks "${pids[@]}")
	cat "$out".* >"$out"
	rm -f "$out".*
	local rps p50 p99 reqs non2xx errs
	rps=$(awk '/^Requests\/sec:/ {s += $2} END {print s}' "$out")
	p50=$(awk '$1 == "50%" {print $2}' "$out" | while read -r v; do to_ms "$v"; echo; done | sort -g | tail -1)
	p99=$(awk '$1 == "99%" {print $2}' "$out" | while read -r v; do to_ms "$v"; echo; done | sort -g | tail -1)
	reqs=$(awk '/requests in/ {s += $1} END {print s}' "$out")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}' "$out")
	errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} END {print s + 0}' "$out")
	[[ -n $rps && -n $p50 && -n $p99 && -n $reqs ]] || die "cannot parse wrk output in $out: $(cat "$out")"
	printf '%s %s %s %s %s %s\n' "$rps" "$p50" "$p99" \
		"$(awk -v t=$((t1 - t0)) -v hz="$TICK" -v n="$reqs" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')" \
		"$non2xx" "$errs"
}

median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

if [[ $WARMUP != 0 ]]; then
	echo "== warm-up ($WARMUP per target, not recorded)" >&2
	for t in "${TARGETS[@]}"; do
		run_wrk "$t" "${URL[$t]}" "${PID_OF[$t]}" "$WARMUP" "$WORK/out/warmup-$t.txt" >/dev/null
	done
fi

RESULTS=$WORK/results.txt # round target rps p50 p99 cpu non2xx errors
: >"$RESULTS"
FMT='%-6s %-32s %12s %9s %9s %11s %8s\n'
echo "== $ROUNDS rounds of wrk -t$THREADS -c$CONNS -d$DURATION --latency (order rotates each round)" >&2
printf "$FMT" round target req/s p50_ms p99_ms cpu_us/req non2xx
for r in $(seq "$ROUNDS"); do
	n=${#TARGETS[@]}
	for k in $(seq 0 $((n - 1))); do
		t=${TARGETS[$(((r - 1 + k) % n))]}
		read -r rps p50 p99 cpu non2xx errs < <(run_wrk "$t" "${URL[$t]}" "${PID_OF[$t]}" "$DURATION" "$WORK/out/round$r-$t.txt")
		echo "$r $t $rps $p50 $p99 $cpu $non2xx $errs" >>"$RESULTS"
		printf "$FMT" "$r" "${LABEL[$t]}" "$rps" "$p50" "$p99" "$cpu" "$non2xx"
		if [[ $non2xx != 0 || $errs != 0 ]]; then
			echo "   WARNING: $non2xx non-2xx responses and $errs socket errors on $t in round $r" >&2
		fi
	done
done

echo
echo "== medians over $ROUNDS rounds; target: median req/s >= 0.50 x the same-size bare median"
echo "   (vs bare: ratio to the get-size bare server; vs same-size: ratio to the bare server"
echo "   sending the same body as the route, the target comparison)"
FMT2='%-32s %12s %9s %9s %11s %8s %13s  %s\n'
printf "$FMT2" target req/s p50_ms p99_ms cpu_us/req "vs bare" "vs same-size" target
declare -A MED_RPS MED_CPU
for t in "${TARGETS[@]}"; do
	col() { awk -v t="$t" -v c="$1" '$2 == t {print $c}' "$RESULTS" | median; }
	MED_RPS[$t]=$(col 3)
	MED_CPU[$t]=$(col 6)
done
for t in "${TARGETS[@]}"; do
	col() { awk -v t="$t" -v c="$1" '$2 == t {print $c}' "$RESULTS" | median; }
	ratio=$(awk -v a="${MED_RPS[$t]}" -v b="${MED_RPS[bare]}" 'BEGIN { printf "%.2f", a / b }')
	same=$(awk -v a="${MED_RPS[$t]}" -v b="${MED_RPS[${BASE[$t]}]}" 'BEGIN { printf "%.2f", a / b }')
	verdict=-
	if [[ $t == get || $t == list || $t == get2 || $t == list2 ]]; then
		verdict=$(awk -v x="$same" 'BEGIN { print (x >= 0.5 ? "met" : "NOT met") }')
	fi
	printf "$FMT2" "${LABEL[$t]}" "${MED_RPS[$t]}" "$(col 4)" "$(col 5)" "${MED_CPU[$t]}" "$ratio" "$same" "$verdict"
done
for t in "${TARGETS[@]}"; do
	[[ $t == get* || $t == list* ]] || continue
	awk -v l="${LABEL[$t]}" -v a="${MED_CPU[$t]}" -v b="${MED_CPU[${BASE[$t]}]}" \
		'BEGIN { printf "   %-32s server CPU per request %.1f x its same-size bare server\n", l, a / b }'
done

if [[ $INFO_ROUND == 1 ]]; then
	# A second server on the same database (the bootstrap key is already
	# stored, so the same key works), logging one JSON line per request to
	# /dev/null. The warn server stays up but idle.
	INFO_PORT=$(free_port)
	INFO=http://127.0.0.1:$INFO_PORT
	while [[ $INFO_PORT == "$API_PORT" || $INFO_PORT == "$BARE_PORT" || $INFO_PORT == "$BARELIST_PORT" ]]; do
		INFO_PORT=$(free_port)
	done
	"$WORK/switchboard" serve --database "$DB" --http "127.0.0.1:$INFO_PORT" \
		--sip 127.0.0.1:0 --webhook-allow-private --rate-limit 1000000 --log-level info --log-format json \
		>/dev/null 2>/dev/null &
	PIDS+=($!)
	INFO_PID=$!
	wait_http "$INFO/healthz" "$INFO_PID"
	URL[get]="$INFO/v1/endpoints/$ID"
	URL[list]="$INFO/v1/endpoints"
	PID_OF[get]=$INFO_PID
	PID_OF[list]=$INFO_PID
	echo
	echo "== one round with --log-level info --log-format json, logs to /dev/null"
	printf "$FMT" round target req/s p50_ms p99_ms cpu_us/req non2xx
	declare -A INFO_RPS
	for t in bare get list barelist; do
		if [[ $WARMUP != 0 && ($t == get || $t == list) ]]; then
			run_wrk "$t" "${URL[$t]}" "${PID_OF[$t]}" "$WARMUP" "$WORK/out/warmup-info-$t.txt" >/dev/null
		fi
		read -r rps p50 p99 cpu non2xx errs < <(run_wrk "$t" "${URL[$t]}" "${PID_OF[$t]}" "$DURATION" "$WORK/out/info-$t.txt")
		INFO_RPS[$t]=$rps
		printf "$FMT" info "${LABEL[$t]}" "$rps" "$p50" "$p99" "$cpu" "$non2xx"
		if [[ $non2xx != 0 || $errs != 0 ]]; then
			echo "   WARNING: $non2xx non-2xx responses and $errs socket errors on $t in the info round" >&2
		fi
	done
	for t in get list; do
		awk -v l="${LABEL[$t]}" -v a="${INFO_RPS[$t]}" -v b="${INFO_RPS[${BASE[$t]}]}" -v w="${MED_RPS[$t]}" \
			'BEGIN { printf "   %-24s ratio to this round'"'"'s same-size bare %.2f; %.2f x the warn-level median\n", l, a / b, a / w }'
	done
fi
