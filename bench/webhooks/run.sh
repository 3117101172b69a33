#!/usr/bin/env bash
# Webhook delivery throughput: durable, signed deliveries per second from the
# real `switchboard serve` (SQLite or PostgreSQL queue + delivery worker) to
# a local receiver, beside a plain non-durable POST loop
# (bench/webhooks/postloop) measured against the same receiver in the same
# run. On PostgreSQL, NODES servers can share one database, as several
# nodes do in production (docs/operations.md).
#
# Run from the repository root:
#
#   bash bench/webhooks/run.sh                      # SQLite, one node
#   STORE=postgres bash bench/webhooks/run.sh       # PostgreSQL, one node
#   STORE=postgres NODES=2 bash bench/webhooks/run.sh   # two nodes, one database
#
# Each round starts a fresh server on a fresh database, creates SUBS
# subscriptions (events ["*"]) pointing at the receiver, then creates EVENTS
# webhook-type endpoints through the API (bench/webhooks/load, LOAD_CONNS
# connections). Each create commits one endpoint.created event, fanned out
# to SUBS durable deliveries, so the receiver must see EVENTS x SUBS POSTs.
# The durable rate is that count over the receiver's first -> last arrival;
# "e2e" is the same count over first create -> last arrival. The baseline
# then POSTs the same number of signed bodies, as large as the real ones
# (the mean size the receiver saw in the first durable run), with the same
# concurrency and the same HTTP client, without a queue. Rounds alternate
# which of the two goes first. CPU per delivery comes from /proc/PID/stat
# (server, receiver) and getrusage (event generator, POST loop).
#
# With several nodes, the first starts alone on the fresh database (it
# bootstraps the API key), then the others; the subscriptions are created
# through the first, and the event generator spreads its connections over
# all of them. Every node's delivery worker drains the one queue. The
# server CPU is the sum over the nodes; on PostgreSQL the CPU of every
# process named postgres is measured too (pg_cpu_us), which includes
# whatever else uses that server meanwhile.
#
# Environment (all optional):
#   ROUNDS=3           measured rounds (fresh database each)
#   SUBS=20            subscriptions, i.e. deliveries per event
#   EVENTS=1000        endpoints created, i.e. events
#   LOAD_CONNS=8       API connections of the event generator
#   CONCURRENCIES=64   --webhook-concurrency values, space-separated (e.g.
#                      "64 128"); each round runs every value, and the
#                      baseline uses the same number of senders
#   VERIFY_EVERY=100   the receiver verifies every Nth signature
#   WAIT=120           seconds to wait at most for all deliveries of a round
#   KEEP=              a directory to copy the raw outputs and logs to
#   STORE=sqlite       sqlite, or postgres (a fresh schema per round, dropped
#                      after it)
#   NODES=1            serve processes sharing the database (postgres only
#                      when more than 1)
#   PG=                the PostgreSQL to use (default $SWITCHBOARD_TEST_POSTGRES,
#                      else postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
#   PG_POOL=           pool_max_conns of each node (default: pgx's, the larger
#                      of 4 and the number of CPUs)
#   TARGET=            the rate to meet (default 2000 on SQLite, 10000 on
#                      PostgreSQL)
#   BACKLOG=0          1: measure the drain of a committed backlog instead.
#                      The receiver holds every POST (unanswered, uncounted)
#                      while the events are created; once every create is
#                      answered and every sender of every node waits in the
#                      receiver, it lets them all through. deliv/s is then
#                      the drain rate of the queue, and the CPU columns cover
#                      the drain alone (claim, sign, POST, record), not the
#                      creates. The nodes run with --webhook-timeout 300s so
#                      that no held POST times out.
#   SWITCHBOARD_BIN=   a prebuilt switchboard binary to measure instead of
#                      building ./cmd/switchboard
#
# Everything listens on, and sends to, 127.0.0.1 only. Processes are killed
# on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SUBS=${SUBS:-20}
EVENTS=${EVENTS:-1000}
LOAD_CONNS=${LOAD_CONNS:-8}
CONCURRENCIES=${CONCURRENCIES:-64}
VERIFY_EVERY=${VERIFY_EVERY:-100}
WAIT=${WAIT:-120}
KEEP=${KEEP:-}
STORE=${STORE:-sqlite}
NODES=${NODES:-1}
PG=${PG:-${SWITCHBOARD_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
PG_POOL=${PG_POOL:-}
SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-}
BACKLOG=${BACKLOG:-0}
if [[ $STORE == postgres ]]; then
	TARGET=${TARGET:-10000}
else
	TARGET=${TARGET:-2000}
fi

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[[ -f go.mod && -d cmd/switchboard && -d bench/webhooks/receiver ]] || die "run me from the repository root"
for tool in go curl timeout awk sed; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
for v in ROUNDS SUBS EVENTS LOAD_CONNS WAIT NODES TARGET; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $VERIFY_EVERY =~ ^[0-9]+$ ]] || die "VERIFY_EVERY must be a non-negative integer"
[[ $BACKLOG == 0 || $BACKLOG == 1 ]] || die "BACKLOG must be 0 or 1"
for c in $CONCURRENCIES; do
	[[ $c =~ ^[1-9][0-9]*$ ]] || die "CONCURRENCIES must be positive integers"
done
case $STORE in
sqlite) ((NODES == 1)) || die "NODES=$NODES needs STORE=postgres: nodes share a database over the network" ;;
postgres)
	command -v psql >/dev/null || die "psql is not installed (it drops each round's schema)"
	psql "$PG" -qAtc 'SELECT 1' >/dev/null || die "PostgreSQL is not reachable at PG=$PG"
	[[ -z $PG_POOL || $PG_POOL =~ ^[1-9][0-9]*$ ]] || die "PG_POOL must be a positive integer"
	;;
*) die "STORE must be sqlite or postgres" ;;
esac
TOTAL=$((EVENTS * SUBS))
SCHEMAS=() # PostgreSQL schemas made by this run, dropped on exit

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-whbench.XXXXXX")
PIDS=()
cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		await_exit "$pid" 10
	done
	for schema in "${SCHEMAS[@]}"; do
		[[ -n $schema ]] || continue
		psql "$PG" -qAtc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || echo "run.sh: could not drop schema $schema" >&2
	done
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP" && cp -r "$WORK"/out "$WORK"/*.log "$KEEP"/ 2>/dev/null || true
		echo "raw outputs kept in $KEEP" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/out"

# free_port (lib.sh) picks below the ephemeral range when there is room: the
# thousands of client connections of a run use ephemeral ports, and a
# listener that picked one would fail to bind.
read -r EPH_LOW _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || EPH_LOW=32768
if ((EPH_LOW > 12000)); then
	PORT_BASE=10000 PORT_SPAN=$((EPH_LOW - 10000))
else
	PORT_BASE=20000 PORT_SPAN=40000
fi

# stop PID: SIGTERM, up to 10 s to exit, then SIGKILL.
stop() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	await_exit "$pid" 50
	wait "$pid" 2>/dev/null || true
}

TICK=$(getconf CLK_TCK)
# cpu_ticks PID... prints the user+system CPU ticks the processes have used
# so far, summed.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# pg_ticks prints the CPU ticks of every process named postgres (0 on
# SQLite): the server's, and of whatever else uses it meanwhile.
pg_ticks() {
	if [[ $STORE == postgres ]]; then
		# shellcheck disable=SC2046
		cpu_ticks $(pgrep -x postgres)
	else
		echo 0
	fi
}
# per_delivery TICKS N prints CPU µs per delivery.
per_delivery() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }'; }

# field NAME < "a=1 b=2" prints the value of NAME in a key=value line.
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
# jfield NAME < json prints a scalar field of the receiver's /stats.
jfield() { sed -n "s/.*\"$1\":\\([0-9-]*\\).*/\\1/p"; }
# peak1s < json prints the most arrivals in any 10 consecutive 100 ms buckets.
peak1s() {
	sed -n 's/.*"buckets_100ms":\[\([0-9,]*\)\].*/\1/p' | tr ',' '\n' |
		awk '{ b[NR] = $1; s += $1; if (NR > 10) s -= b[NR - 10]; if (s > m) m = s } END { print m + 0 }'
}

median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

{
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "code:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
		[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' + uncommitted changes')"
	echo "go:      $(go version)"
	echo "cpu:     $(nproc) x $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
		"load average$(uptime | sed 's/.*load average//')"
	echo "kernel:  $(uname -sr)"
	echo "load:    $ROUNDS rounds x $EVENTS events x $SUBS subscriptions = $TOTAL deliveries per run;" \
		"$LOAD_CONNS API connections; --webhook-concurrency $CONCURRENCIES"
	if ((BACKLOG)); then
		echo "mode:    BACKLOG=1: drain of a committed backlog (senders held while the events are created);" \
			"CPU columns cover the drain only"
	fi
	if [[ $STORE == postgres ]]; then
		echo "store:   PostgreSQL $(psql "$PG" -qAtc 'SHOW server_version'), $NODES node(s) on one schema;" \
			"synchronous_commit=$(psql "$PG" -qAtc 'SHOW synchronous_commit')," \
			"fsync=$(psql "$PG" -qAtc 'SHOW fsync'); pool_max_conns ${PG_POOL:-default}"
	else
		echo "store:   SQLite (WAL, synchronous=NORMAL), 1 node"
	fi
	echo "         receiver, event generator, baseline (and PostgreSQL) share the CPUs with the server"
	echo
}

echo "== building" >&2
BIN=$WORK/bin
if [[ -n $SWITCHBOARD_BIN ]]; then
	[[ -x $SWITCHBOARD_BIN ]] || die "SWITCHBOARD_BIN=$SWITCHBOARD_BIN is not an executable"
	mkdir -p "$BIN" && cp "$SWITCHBOARD_BIN" "$BIN/switchboard"
	echo "switchboard binary: $SWITCHBOARD_BIN (prebuilt, not ./cmd/switchboard)"
	echo
else
	timeout 300 go build -o "$BIN/switchboard" ./cmd/switchboard
fi
timeout 300 go build -o "$BIN/receiver" ./bench/webhooks/receiver
timeout 300 go build -o "$BIN/postloop" ./bench/webhooks/postloop
timeout 300 go build -o "$BIN/load" ./bench/webhooks/load

RECV_PORT=$(free_port)
RECV=http://127.0.0.1:$RECV_PORT
HOOK=$RECV/hook
SECRETS=$WORK/secrets.txt
: >"$SECRETS"
echo "== starting the receiver on $RECV" >&2
"$BIN/receiver" -addr "127.0.0.1:$RECV_PORT" -secrets "$SECRETS" -verify-every "$VERIFY_EVERY" \
	>"$WORK/receiver.log" 2>&1 &
PIDS+=($!)
RECV_PID=$!
wait_http "$RECV/stats" "$RECV_PID"

reset_receiver() {
	curl -fsS --max-time 5 -X POST -o /dev/null "$RECV/reset" || die "POST $RECV/reset failed"
}
stats() { curl -fsS --max-time 5 "$RECV/stats" || die "GET $RECV/stats failed"; }

# start_node DIR N DATABASE: starts serve node N on DATABASE, waits until it
# answers, and appends its URL and pid to APIS and API_PIDS.
start_node() {
	local dir=$1 n=$2 db=$3 port try pid extra=()
	if ((BACKLOG)); then
		extra=(--webhook-timeout 300s)
	fi
	for try in 1 2 3; do
		port=$(free_port)
		while [[ $port == "$RECV_PORT" ]]; do port=$(free_port); done
		"$BIN/switchboard" serve --database "$db" --http "127.0.0.1:$port" --sip 127.0.0.1:0 \
			--webhook-allow-private --webhook-concurrency "$CONC" --rate-limit 0 --log-level warn --log-format json \
			"${extra[@]}" >"$dir/serve-$n.stdout" 2>"$dir/serve-$n.log" &
		pid=$!
		PIDS+=($pid)
		sleep 0.2
		# A port taken between the probe and the bind: try another.
		if ! kill -0 "$pid" 2>/dev/null && grep -q 'address already in use' "$dir/serve-$n.log" && ((try < 3)); then
			continue
		fi
		break
	done
	wait_http "http://127.0.0.1:$port/healthz" "$pid"
	APIS+=("http://127.0.0.1:$port")
	API_PIDS+=($pid)
}

# start_server CONC DIR: starts NODES fresh servers on a fresh database and
# creates the subscriptions; sets API (the first node), API_LIST (every
# node, comma-separated), API_PIDS, KEY and SECRET (the first
# subscription's secret), and writes every subscription's secret to
# $SECRETS.
start_server() {
	local dir=$2 i n resp code db
	CONC=$1
	mkdir -p "$dir"
	APIS=()
	API_PIDS=()
	if [[ $STORE == postgres ]]; then
		SCHEMA="whbench_$(date +%s)_$RANDOM"
		SCHEMAS+=("$SCHEMA")
		db="$PG$([[ $PG == *\?* ]] && echo '&' || echo '?')schema=$SCHEMA${PG_POOL:+&pool_max_conns=$PG_POOL}"
	else
		rm -rf "$dir"/wh.db*
		db=$dir/wh.db
	fi
	# The first node alone: it migrates the empty database and prints the
	# bootstrap key, which two nodes starting at once could both do.
	start_node "$dir" 1 "$db"
	API=${APIS[0]}
	API_PID=${API_PIDS[0]}
	KEY=$(grep -m1 '^kros_live_' "$dir/serve-1.stdout" || true)
	[[ -n $KEY ]] || die "no kros_live_ key on serve's stdout (is the database fresh?)"
	for n in $(seq 2 "$NODES"); do
		start_node "$dir" "$n" "$db"
	done
	API_LIST=$(IFS=,; echo "${APIS[*]}")
	: >"$SECRETS"
	for i in $(seq "$SUBS"); do
		resp=$(curl -sS --max-time 5 -w '\n%{http_code}' -X POST "$API/v1/webhooks" \
			-H "x-api-key: $KEY" -H 'Content-Type: application/json' \
			-d "{\"url\":\"$HOOK\",\"events\":[\"*\"],\"description\":\"bench $i\"}")
		code=${resp##*$'\n'}
		[[ $code == 201 ]] || die "POST /v1/webhooks #$i answered $code: ${resp%$'\n'*}"
		sed -n 's/.*"secret":"\(whsec_[A-Za-z0-9+\/=]*\)".*/\1/p' <<<"${resp%$'\n'*}" >>"$SECRETS"
	done
	[[ $(wc -l <"$SECRETS") == "$SUBS" ]] || die "could not read $SUBS subscription secrets"
	SECRET=$(head -1 "$SECRETS")
	reset_receiver # also makes the receiver read the new secrets
}

# stop_server: stops every node and drops the round's database.
stop_server() {
	local pid
	for pid in "${API_PIDS[@]}"; do
		stop "$pid"
	done
	if [[ $STORE == postgres ]]; then
		psql "$PG" -qAtc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null || die "could not drop schema $SCHEMA"
		SCHEMAS=("${SCHEMAS[@]/$SCHEMA/}")
	fi
}

# wait_count N PID...: polls the receiver until it has seen N requests (WAIT
# s at most) and prints its stats; dies when a PID (a server) exits.
wait_count() {
	local want=$1 s n pid deadline=$((SECONDS + WAIT))
	shift
	while :; do
		s=$(stats)
		n=$(jfield count <<<"$s")
		if ((n >= want)); then
			break
		fi
		((SECONDS < deadline)) || die "only $n of $want deliveries arrived within $WAIT s"
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null || die "a server exited with $n of $want deliveries made"
		done
		sleep 0.1
	done
	sleep 0.3 # let late duplicates, if any, show up in the count
	stats
}

SIZE= # bytes per delivery body, measured on the first durable run
RESULTS=$WORK/results.txt
: >"$RESULTS"

# run_durable ROUND CONC: one durable run on fresh servers; appends
# "ROUND durable CONC rate e2e peak1s server_cpu_us recv_cpu_us bad verified count".
run_durable() {
	local r=$1 conc=$2 dir=$WORK/out/r$r-c$2 s0 s1 v0 v1 g0 g1 out st count first last bytes
	s0=$(cpu_ticks "${API_PIDS[@]}")
	v0=$(cpu_ticks "$RECV_PID")
	g0=$(pg_ticks)
	if ((BACKLOG)); then
		curl -fsS --max-time 5 -X POST -o /dev/null "$RECV/hold" || die "POST $RECV/hold failed"
	fi
	out=$(timeout $((WAIT + 30)) "$BIN/load" -api "$API_LIST" -key "$KEY" -n "$EVENTS" -c "$LOAD_CONNS" \
		-limit "${WAIT}s" 2>"$dir/load.err") || die "event generator failed: $out $(cat "$dir/load.err")"
	echo "$out" >"$dir/load.txt"
	if ((BACKLOG)); then
		# Every create is committed; wait until every sender of every node
		# holds a claimed delivery in the receiver, then let them through.
		local want=$((NODES * conc < TOTAL ? NODES * conc : TOTAL)) deadline=$((SECONDS + WAIT)) held
		while :; do
			held=$(stats | jfield held)
			((held >= want)) && break
			((SECONDS < deadline)) || die "only $held of $want senders reached the held receiver within $WAIT s"
			sleep 0.05
		done
		s0=$(cpu_ticks "${API_PIDS[@]}")
		v0=$(cpu_ticks "$RECV_PID")
		g0=$(pg_ticks)
		curl -fsS --max-time 5 -X POST -o /dev/null "$RECV/release" || die "POST $RECV/release failed"
	fi
	st=$(wait_count "$TOTAL" "${API_PIDS[@]}")
	s1=$(cpu_ticks "${API_PIDS[@]}")
	v1=$(cpu_ticks "$RECV_PID")
	g1=$(pg_ticks)
	echo "$st" >"$dir/durable-stats.json"
	count=$(jfield count <<<"$st")
	first=$(jfield first_ns <<<"$st")
	last=$(jfield last_ns <<<"$st")
	bytes=$(jfield bytes <<<"$st")
	[[ -n $SIZE ]] || SIZE=$((bytes / count))
	awk -v r="$r" -v c="$conc" -v n="$count" -v f="$first" -v l="$last" -v t0="$(field first_ns <<<"$out")" \
		-v peak="$(peak1s <<<"$st")" -v scpu="$(per_delivery $((s1 - s0)) "$count")" \
		-v rcpu="$(per_delivery $((v1 - v0)) "$count")" -v lcpu="$(field cpu_ms <<<"$out")" \
		-v bad="$(jfield bad_signatures <<<"$st")" -v ok="$(jfield verified <<<"$st")" \
		-v crate="$(field rate <<<"$out")" -v gcpu="$(per_delivery $((g1 - g0)) "$count")" \
		'BEGIN { printf "%s durable %s %.0f %.0f %d %s %s %.1f %s %s %s %s %.2f %s\n", r, c, n / ((l - f) / 1e9),
			n / ((l - t0) / 1e9), peak, scpu, rcpu, lcpu * 1000 / n, bad, ok, n, crate, (l - t0) / 1e9, gcpu }' >>"$RESULTS"
}

# run_baseline ROUND CONC: the POST loop, same count, size and concurrency.
run_baseline() {
	local r=$1 conc=$2 dir=$WORK/out/r$r-c$2 v0 v1 out st count first last
	reset_receiver
	v0=$(cpu_ticks "$RECV_PID")
	out=$(timeout $((WAIT + 30)) "$BIN/postloop" -url "$HOOK" -n "$TOTAL" -c "$conc" -size "${SIZE:-600}" \
		-secret "$SECRET" -limit "${WAIT}s" 2>"$dir/postloop.err") ||
		die "postloop failed: $out $(cat "$dir/postloop.err")"
	echo "$out" >"$dir/postloop.txt"
	st=$(stats)
	v1=$(cpu_ticks "$RECV_PID")
	echo "$st" >"$dir/baseline-stats.json"
	count=$(jfield count <<<"$st")
	((count >= TOTAL)) || die "the receiver saw $count of $TOTAL baseline POSTs"
	[[ $(field errors <<<"$out") == 0 && $(field non2xx <<<"$out") == 0 ]] || die "postloop errors: $out"
	first=$(jfield first_ns <<<"$st")
	last=$(jfield last_ns <<<"$st")
	awk -v r="$r" -v c="$conc" -v n="$count" -v f="$first" -v l="$last" -v peak="$(peak1s <<<"$st")" \
		-v pcpu="$(field cpu_ms <<<"$out")" -v rcpu="$(per_delivery $((v1 - v0)) "$count")" \
		-v secs="$(field seconds <<<"$out")" \
		-v bad="$(jfield bad_signatures <<<"$st")" -v ok="$(jfield verified <<<"$st")" \
		'BEGIN { printf "%s baseline %s %.0f %.0f %d %.1f %s - %s %s %s - %.2f -\n", r, c, n / ((l - f) / 1e9),
			n / secs, peak, pcpu * 1000 / n, rcpu, bad, ok, n, secs }' >>"$RESULTS"
}

# Columns of $RESULTS: round kind conc rate e2e_rate peak1s sender_cpu_us
# recv_cpu_us load_cpu_us bad verified count create_rate e2e_seconds
# pg_cpu_us. For the baseline the sender is the postloop process and e2e is
# its own wall time; for the durable run, first create -> last arrival.
FMT='%-5s %-9s %5s %10s %8s %10s %8s %14s %12s %11s %10s %6s\n'
echo "== $ROUNDS rounds, $TOTAL deliveries per run ($STORE, $NODES node(s))" >&2
printf "$FMT" round kind conc deliv/s e2e_s e2e/s peak1s sender_cpu_us recv_cpu_us load_cpu_us pg_cpu_us badsig
show() {
	tail -1 "$RESULTS" | awk -v fmt="$FMT" '{ printf fmt, $1, $2, $3, $4, $14, $5, $6, $7, $8, $9, $15, $10 }'
}
for r in $(seq "$ROUNDS"); do
	for conc in $CONCURRENCIES; do
		mkdir -p "$WORK/out/r$r-c$conc"
		start_server "$conc" "$WORK/out/r$r-c$conc"
		if ((r % 2 == 1)) || [[ -z $SIZE ]]; then
			order="durable baseline"
		else
			order="baseline durable"
		fi
		for kind in $order; do
			if [[ $kind == durable ]]; then
				reset_receiver
				run_durable "$r" "$conc"
			else
				run_baseline "$r" "$conc"
			fi
			show
		done
		stop_server
		for n in $(seq "$NODES"); do
			log=$WORK/out/r$r-c$conc/serve-$n.log
			cp "$log" "$WORK/serve-r$r-c$conc-$n.log" 2>/dev/null || true
			if grep -qv 'SIP call plane is not built' "$log"; then
				echo "   node $n warnings in round $r (c=$conc), first 5:" >&2
				grep -v 'SIP call plane is not built' "$log" | head -5 >&2
			fi
		done
		rm -rf "$WORK/out/r$r-c$conc"/wh.db*
	done
done

echo
echo "== medians over $ROUNDS rounds, $STORE, $NODES node(s) (body $SIZE bytes; deliv/s = count over the receiver's first -> last arrival)"
FMT2='%-5s %10s %8s %10s %8s %11s %10s %10s %12s %7s %8s  %s\n'
printf "$FMT2" conc durable/s e2e_s e2e/s peak1s srv_cpu_us pg_cpu_us base/s base_cpu_us ratio ">=$TARGET" "signatures bad/checked"
for conc in $CONCURRENCIES; do
	col() { awk -v k="$1" -v c="$conc" -v i="$2" '$2 == k && $3 == c {print $i}' "$RESULTS" | median; }
	sum() { awk -v k="$1" -v c="$conc" -v i="$2" '$2 == k && $3 == c {s += $i} END {print s + 0}' "$RESULTS"; }
	d=$(col durable 4)
	b=$(col baseline 4)
	printf "$FMT2" "$conc" "$d" "$(col durable 14)" "$(col durable 5)" "$(col durable 6)" "$(col durable 7)" \
		"$(if [[ $STORE == postgres ]]; then col durable 15; else echo -; fi)" "$b" "$(col baseline 7)" \
		"$(awk -v a="$d" -v b="$b" 'BEGIN { printf "%.2f", a / b }')" \
		"$(awk -v a="$d" -v t="$TARGET" 'BEGIN { print (a >= t ? "met" : "NOT met") }')" \
		"$(($(sum durable 10) + $(sum baseline 10)))/$(($(sum durable 11) + $(sum baseline 11)))"
done
echo "   srv_cpu_us: server CPU per delivery over the whole durable run (API creates, fan-out, claim, sign, POST, record),"
echo "   summed over the nodes; pg_cpu_us: every postgres process's CPU per delivery over the same run"
echo "   base_cpu_us: the POST loop's own CPU per delivery (sign + POST)"
echo "   event creates/s (median): $(awk '$2 == "durable" {print $13}' "$RESULTS" | median)"
