#!/usr/bin/env bash
# Soak: DURATION of mixed load on one `switchboard serve` node (SQLite), with
# a kill -9 and restart of switchboard half-way, then a check that nothing
# was lost. Not a CI test: it takes minutes and a machine of its own.
#
# Run from the repository root:
#
#   bash bench/soak/run.sh                 # 10 minutes
#   DURATION=60 bash bench/soak/run.sh     # a short run, to check the script
#
# The load, all at once for DURATION:
#   calls      three SIPp carriers (internal/sipptest/scenarios) through
#              switchboard to three SIPp agents, provisioned as bench/sip/run.sh
#              does (inventory add, then bench/sip/provision): CALL_RATE calls/s
#              answered (uac_call -> uas_answer, held HOLD ms), BUSY_RATE calls/s
#              refused by an agent that answers 486 (uac_expect -> uas_reject),
#              CANCEL_RATE calls/s the carrier CANCELs after RING ms of ringing
#              (uac_cancel -> uas_ring)
#   API        a curl loop: create a webhook-type endpoint, read it, list
#              endpoints and calls, delete every third endpoint
#   webhooks   one subscription to every event ("*"), to bench/webhooks/receiver;
#              the receiver is killed (from OUTAGE_EVERY/2 s on, every
#              OUTAGE_EVERY s) and started again OUTAGE s later, so deliveries
#              fail and are retried (a retry schedule of seconds, SCHEDULE)
#   crash      at DURATION/2 switchboard gets SIGKILL and is started again on
#              the same database and call journal
# Every SAMPLE s it records switchboard's RSS (/proc/PID/status), goroutines
# (go_goroutines from /metrics), open files (/proc/PID/fd), live calls and
# webhook queue depth, and prints them as a table at the end.
#
# Then the receiver stays up, the carriers finish, and the checks run (each
# carrier's calls have callers of their own, one per call, so a record is
# matched to the SIPp call that made it by its from_number):
#   calls lost        a call SIPp placed that has no record, except those
#                     placed in the seconds around the kill (from the last
#                     SIPp statistics before the kill to 2 s after the
#                     restart): a crash may lose a change not yet committed,
#                     docs/calls.md; these are reported as "in the crash
#                     window"; plus a call SIPp saw answered whose record is
#                     not completed (an answered call is never lost); plus a
#                     record still not ended once every call is over
#   deliveries lost   once the receiver is back for good, within SETTLE_WAIT s
#                     every delivery of the subscription is delivered (none
#                     pending, none failed); every endpoint the API loop saw
#                     created (201) has its endpoint.created delivery, and
#                     every ended call its call.completed or call.failed one
# The script exits 1 if anything was lost (or a step failed), 0 otherwise.
# SIPp's own failed calls are reported but expected: the calls up at the kill
# fail on the carrier's side.
#
# Environment (all optional):
#   DURATION=600       seconds of load (or 10m, 90s)
#   CALL_RATE=5  BUSY_RATE=1  CANCEL_RATE=1   calls/s of each carrier
#   HOLD=2000          ms an answered call is held before the carrier's BYE
#   RING=500           ms the cancelled calls ring before the CANCEL
#   NUMBERS=10         numbers (and agent endpoints) per agent
#   SAMPLE=5           seconds between samples
#   OUTAGE=8  OUTAGE_EVERY=40   the receiver's outages (seconds)
#   SCHEDULE=0s,1s,2s,4s,8s,15s,15s,15s,15s,15s,15s,15s   --webhook-retry-schedule
#   SETTLE_WAIT=180    seconds to wait at the end for deliveries and records
#   KEEP=              a directory to copy the logs and raw outputs to
#   SWITCHBOARD_BIN=   a prebuilt switchboard binary instead of building
#                      ./cmd/switchboard
#   SB_IP=127.0.60.1  AGENT_NET=127.0.61  CARRIER_NET=127.0.62
#                      loopback addresses: switchboard's SIP (port 5060),
#                      agents .1-.3 (port 5090), carriers .1-.3 (port 5070)
#
# Everything listens on loopback only; every process it started is killed on
# exit.
set -euo pipefail

DURATION=${DURATION:-600}
CALL_RATE=${CALL_RATE:-5}
BUSY_RATE=${BUSY_RATE:-1}
CANCEL_RATE=${CANCEL_RATE:-1}
HOLD=${HOLD:-2000}
RING=${RING:-500}
NUMBERS=${NUMBERS:-10}
SAMPLE=${SAMPLE:-5}
OUTAGE=${OUTAGE:-8}
OUTAGE_EVERY=${OUTAGE_EVERY:-40}
SCHEDULE=${SCHEDULE:-0s,1s,2s,4s,8s,15s,15s,15s,15s,15s,15s,15s}
SETTLE_WAIT=${SETTLE_WAIT:-180}
KEEP=${KEEP:-}
SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-}
SB_IP=${SB_IP:-127.0.60.1}
AGENT_NET=${AGENT_NET:-127.0.61}
CARRIER_NET=${CARRIER_NET:-127.0.62}
SB_PORT=5060
AGENT_PORT=5090
CARRIER_PORT=5070

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
log() { echo "== $(date -u +%T) $*" >&2; }

[[ -f go.mod && -d cmd/switchboard && -d bench/sip/provision && -d bench/webhooks/receiver &&
	-f internal/sipptest/scenarios/uac_call.xml ]] || die "run me from the repository root"
for tool in go sipp curl jq timeout ss awk sed; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
case $DURATION in
*m) DURATION=$((${DURATION%m} * 60)) ;;
*s) DURATION=${DURATION%s} ;;
esac
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }
for v in DURATION CALL_RATE BUSY_RATE CANCEL_RATE HOLD RING NUMBERS SAMPLE OUTAGE OUTAGE_EVERY SETTLE_WAIT; do
	posint "$v" "${!v}"
done
((DURATION >= 30)) || die "DURATION must be at least 30 s (the kill is at half of it)"
((OUTAGE < OUTAGE_EVERY)) || die "OUTAGE must be shorter than OUTAGE_EVERY"

for a in "$SB_IP:$SB_PORT" "$AGENT_NET".{1,2,3}:$AGENT_PORT "$CARRIER_NET".{1,2,3}:$CARRIER_PORT; do
	[[ -z $(ss -Hunl "src $a" 2>/dev/null) ]] || die "UDP $a is in use already"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-soak.XXXXXX")
SB_PID=
RECV_PID=
PIDS=() # SIPp, loops and helpers
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}" $RECV_PID; do kill "$p" 2>/dev/null || true; done
	if [[ -n $SB_PID ]]; then
		kill "$SB_PID" 2>/dev/null || true
		await_exit "$SB_PID" 50
	fi
	wait 2>/dev/null || true
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP" && cp -r "$WORK"/sipp "$WORK"/*.log "$WORK"/*.txt "$KEEP"/ 2>/dev/null || true
		echo "logs and raw outputs kept in $KEEP" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/sipp" "$WORK/scenarios"

{
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "code:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
		[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' + uncommitted changes')"
	echo "go:      $(go version)"
	echo "cpu:     $(nproc) x $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
		"load average$(uptime | sed 's/.*load average//')"
	echo "load:    $DURATION s; calls/s answered $CALL_RATE (held $HOLD ms), busy $BUSY_RATE," \
		"cancelled $CANCEL_RATE (after $RING ms); API loop; receiver down $OUTAGE s every $OUTAGE_EVERY s;" \
		"kill -9 at $((DURATION / 2)) s"
	echo
}

# Scenarios: the shared files, the answered call logging its caller, the
# templates rendered as internal/sipptest renders them.
S=internal/sipptest/scenarios
sed 's|<recv response="200" rrs="true" rtd="true"/>|<recv response="200" rrs="true" rtd="true"><action><log message="answered [field1]"/></action></recv>|' \
	"$S/uac_call.xml" >"$WORK/scenarios/uac_call.xml"
grep -q 'log message' "$WORK/scenarios/uac_call.xml" || die "could not add the answered log to uac_call.xml"
sed 's/{{\.status}}/486/g' "$S/uac_expect.xml" >"$WORK/scenarios/uac_expect_486.xml"
sed 's/{{\.status}}/486/g; s/{{\.reason}}/Busy Here/g' "$S/uas_reject.xml" >"$WORK/scenarios/uas_reject_486.xml"
cp "$S/uac_cancel.xml" "$S/uas_answer.xml" "$S/uas_ring.xml" "$WORK/scenarios/"
! grep -q '{{' "$WORK"/scenarios/*.xml || die "a scenario template was not rendered"

log "building"
BIN=$WORK/bin
mkdir -p "$BIN"
if [[ -n $SWITCHBOARD_BIN ]]; then
	[[ -x $SWITCHBOARD_BIN ]] || die "SWITCHBOARD_BIN=$SWITCHBOARD_BIN is not an executable"
	cp "$SWITCHBOARD_BIN" "$BIN/switchboard"
else
	timeout 300 go build -o "$BIN/switchboard" ./cmd/switchboard
fi
timeout 300 go build -o "$BIN/provision" ./bench/sip/provision
timeout 300 go build -o "$BIN/receiver" ./bench/webhooks/receiver

RECV_PORT=$(free_port)
HOOK=http://127.0.0.1:$RECV_PORT/hook
start_receiver() {
	"$BIN/receiver" -addr "127.0.0.1:$RECV_PORT" -verify-every 0 >>"$WORK/receiver.log" 2>&1 &
	RECV_PID=$!
	for _ in $(seq 100); do
		curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$RECV_PORT/stats" 2>/dev/null && return
		sleep 0.1
	done
	die "the receiver did not come up"
}
stop_receiver() {
	kill -9 "$RECV_PID" 2>/dev/null || true
	wait "$RECV_PID" 2>/dev/null || true
	RECV_PID=
}
start_receiver

DB=$WORK/soak.db
HTTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
STARTS=0
# start_sb starts serve on the one database and waits until it answers.
start_sb() {
	STARTS=$((STARTS + 1))
	"$BIN/switchboard" serve --database "sqlite:$DB" --http "127.0.0.1:$HTTP_PORT" --sip "$SB_IP:$SB_PORT" \
		--node soak --webhook-allow-private --webhook-retry-schedule "$SCHEDULE" --rate-limit 0 \
		--log-level warn --log-format json >"$WORK/serve-$STARTS.stdout.txt" 2>>"$WORK/serve.log" &
	SB_PID=$!
	wait_switchboard 30 "$SB_PID" "$API" "$SB_IP:$SB_PORT" "$WORK/serve.log"
}
log "starting switchboard: HTTP $API, SIP $SB_IP:$SB_PORT"
start_sb
KEY=$(grep -m1 '^kros_live_' "$WORK/serve-1.stdout.txt" || true)
[[ -n $KEY ]] || die "no kros_live_ key on serve's stdout"

# api METHOD PATH [BODY]: prints the body, then the status on a line of its own.
api() {
	local body=()
	[[ -z ${3:-} ]] || body=(-H 'Content-Type: application/json' -d "$3")
	curl -sS --max-time 10 -w '\n%{http_code}' -X "$1" "$API$2" -H "x-api-key: $KEY" "${body[@]}"
}

# The subscription first: every later event must reach it.
resp=$(api POST /v1/webhooks "{\"url\":\"$HOOK\",\"events\":[\"*\"],\"description\":\"soak\"}")
[[ ${resp##*$'\n'} == 201 ]] || die "POST /v1/webhooks: $resp"
WH=$(jq -r .id <<<"${resp%$'\n'*}")

# Numbers and agents, as bench/sip/run.sh provisions them: agent 1 answers,
# agent 2 is busy, agent 3 rings until cancelled.
log "provisioning $((3 * NUMBERS)) numbers and agent endpoints"
for a in 1 2 3; do
	for i in $(seq 0 $((NUMBERS - 1))); do printf '+23480310%02d%03d\n' "$a" "$i"; done >"$WORK/numbers-$a.txt"
done
{
	echo "number,country,type"
	cat "$WORK"/numbers-{1,2,3}.txt | sed 's/$/,NG,mobile/'
} >"$WORK/numbers.csv"
timeout 120 "$BIN/switchboard" inventory add --database "sqlite:$DB" --file "$WORK/numbers.csv" >"$WORK/inventory.txt" 2>&1 ||
	die "inventory add failed: $(cat "$WORK/inventory.txt")"
for a in 1 2 3; do
	"$BIN/provision" -api "$API" -key "$KEY" -numbers "$WORK/numbers-$a.txt" -agents "$AGENT_NET.$a:$AGENT_PORT" -c 2 \
		>>"$WORK/provision.txt" 2>&1 || die "provisioning failed: $(cat "$WORK/provision.txt")"
done

# run_sipp NAME ARGS...: SIPp in the background, in $WORK/sipp/NAME.
run_sipp() {
	local dir=$WORK/sipp/$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec sipp "$@" -nostdin >out.txt 2>&1) &
	PIDS+=($!)
	echo $! >"$dir/pid"
}
log "starting the agents"
run_sipp agent-answer -sf "$WORK/scenarios/uas_answer.xml" -i "$AGENT_NET.1" -p "$AGENT_PORT" -recv_timeout 60000
run_sipp agent-busy -sf "$WORK/scenarios/uas_reject_486.xml" -i "$AGENT_NET.2" -p "$AGENT_PORT" -recv_timeout 60000
run_sipp agent-ring -sf "$WORK/scenarios/uas_ring.xml" -i "$AGENT_NET.3" -p "$AGENT_PORT" -recv_timeout 60000
for a in 1 2 3; do
	for _ in $(seq 50); do
		[[ -n $(ss -Hunl "src $AGENT_NET.$a:$AGENT_PORT") ]] && break
		sleep 0.1
	done
done

# Carrier k calls the numbers of agent k round-robin, each call from a
# caller of its own (+234809k + the call's index): the record's from_number
# names the SIPp call.
CARRIERS=(answer busy cancel)
RATES=("$CALL_RATE" "$BUSY_RATE" "$CANCEL_RATE")
declare -A MAXCALLS
for k in 1 2 3; do
	name=${CARRIERS[k - 1]}
	MAXCALLS[$name]=$((RATES[k - 1] * DURATION))
	awk -v n="${MAXCALLS[$name]}" -v k="$k" 'NR == FNR {num[FNR - 1] = $1; c = FNR; next}
		END {print "SEQUENTIAL"; for (i = 0; i < n; i++) printf "%s;+234809%d%06d\n", num[i % c], k, i}' \
		"$WORK/numbers-$k.txt" /dev/null >"$WORK/inf-$name.csv"
done

T0=$(date +%s)
END=$((T0 + DURATION))
log "load for $DURATION s"
carrier() { # carrier NAME K SCENARIO RATE DELAY_MS
	run_sipp "carrier-$1" "$SB_IP:$SB_PORT" -sf "$WORK/scenarios/$3" -inf "$WORK/inf-$1.csv" \
		-i "$CARRIER_NET.$2" -p "$CARRIER_PORT" -r "$4" -m "${MAXCALLS[$1]}" -d "$5" -l $(($4 * (HOLD / 1000 + 30))) \
		-recv_timeout 20000 -timeout $((DURATION + 120))s -trace_stat -stf stat.csv -fd 1 \
		-trace_logs -log_file answered.log -trace_err -error_file err.log
}
carrier answer 1 uac_call.xml "$CALL_RATE" "$HOLD"
carrier busy 2 uac_expect_486.xml "$BUSY_RATE" 0
carrier cancel 3 uac_cancel.xml "$CANCEL_RATE" "$RING"

# The API loop: counts in api-*.txt.
(
	i=0
	: >"$WORK/api-created.txt"
	: >"$WORK/api-codes.txt"
	while (($(date +%s) < END)); do
		i=$((i + 1))
		r=$(api POST /v1/endpoints "{\"name\":\"soak $i\",\"type\":\"webhook\",\"url\":\"$HOOK/ep$i\"}" 2>/dev/null) || r=$'\n000'
		code=${r##*$'\n'}
		echo "$code" >>"$WORK/api-codes.txt"
		if [[ $code == 201 ]]; then
			id=$(jq -r .id <<<"${r%$'\n'*}")
			echo "$id" >>"$WORK/api-created.txt"
			for p in "/v1/endpoints/$id" "/v1/endpoints?limit=20" "/v1/calls?limit=20"; do
				r=$(api GET "$p" 2>/dev/null) || r=$'\n000'
				echo "${r##*$'\n'}" >>"$WORK/api-codes.txt"
			done
			if ((i % 3 == 0)); then
				r=$(api DELETE "/v1/endpoints/$id" 2>/dev/null) || r=$'\n000'
				echo "${r##*$'\n'}" >>"$WORK/api-codes.txt"
			fi
		fi
		sleep 0.2
	done
) &
PIDS+=($!)
API_LOOP=$!

# metric NAME: a sample's value from /metrics ("-" when it does not answer).
metric() {
	awk -v n="$1" '$1 == n {print $2; found = 1} END {if (!found) print "-"}' "$WORK/metrics.txt"
}
sample() {
	local rss fds
	curl -fsS --max-time 2 "$API/metrics" >"$WORK/metrics.txt" 2>/dev/null || : >"$WORK/metrics.txt"
	rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$SB_PID/status" 2>/dev/null || echo -)
	fds=$(ls "/proc/$SB_PID/fd" 2>/dev/null | wc -l)
	echo "$(($(date +%s) - T0)) $SB_PID $rss $(metric go_goroutines) $fds $(metric switchboard_calls_active) $(metric switchboard_webhook_queue_depth)" >>"$WORK/samples.txt"
}

# stat_col NAME COL: column COL of the last line of carrier NAME's statistics
# (12 OutgoingCall(C), 16 SuccessfulCall(C), 18 FailedCall(C)).
stat_col() {
	awk -F';' -v c="$2" 'NR > 1 && NF > c {v = $c} END {print v + 0}' "$WORK/sipp/carrier-$1/stat.csv" 2>/dev/null || echo 0
}

KILLED=0
NEXT_OUTAGE=$((T0 + OUTAGE_EVERY / 2))
RECV_BACK=0
NEXT_SAMPLE=$T0
declare -A WIN_LO WIN_HI
while :; do
	now=$(date +%s)
	((now < END)) || break
	if ((now >= NEXT_SAMPLE)); then
		sample
		NEXT_SAMPLE=$((NEXT_SAMPLE + SAMPLE))
	fi
	if ((KILLED == 0 && now >= T0 + DURATION / 2)); then
		for c in "${CARRIERS[@]}"; do WIN_LO[$c]=$(stat_col "$c" 12); done
		log "kill -9 switchboard (pid $SB_PID) at $((now - T0)) s"
		kill -9 "$SB_PID"
		wait "$SB_PID" 2>/dev/null || true
		start_sb
		log "switchboard restarted (pid $SB_PID) in $(($(date +%s) - now)) s"
		sleep 2
		for c in "${CARRIERS[@]}"; do WIN_HI[$c]=$(stat_col "$c" 12); done
		KILLED=1
	fi
	if [[ -n $RECV_PID ]] && ((now >= NEXT_OUTAGE && now + OUTAGE < END)); then
		log "receiver down for $OUTAGE s"
		stop_receiver
		RECV_BACK=$((now + OUTAGE))
		NEXT_OUTAGE=$((now + OUTAGE_EVERY))
	elif [[ -z $RECV_PID ]] && ((now >= RECV_BACK)); then
		start_receiver
		log "receiver up"
	fi
	sleep 0.5
done
[[ -n $RECV_PID ]] || start_receiver
sample
wait "$API_LOOP" 2>/dev/null || true

log "load over; waiting for the carriers to finish their calls"
for c in "${CARRIERS[@]}"; do
	p=$(cat "$WORK/sipp/carrier-$c/pid")
	for _ in $(seq 1800); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill "$p" 2>/dev/null; then echo "run.sh: carrier $c still running after 3 min; stopped" >&2; fi
done
for _ in $(seq 600); do
	curl -fsS --max-time 2 "$API/metrics" >"$WORK/metrics.txt" 2>/dev/null || : >"$WORK/metrics.txt"
	[[ $(metric switchboard_calls_active) == 0 ]] && break
	sleep 0.1
done
for a in agent-answer agent-busy agent-ring; do kill "$(cat "$WORK/sipp/$a/pid")" 2>/dev/null || true; done
sample

# total PATH: the total of a list.
total() {
	local r
	r=$(api GET "$1" 2>/dev/null) || return 1
	[[ ${r##*$'\n'} == 200 ]] || return 1
	jq -r .total <<<"${r%$'\n'*}"
}

log "waiting up to $SETTLE_WAIT s for the deliveries"
deadline=$(($(date +%s) + SETTLE_WAIT))
while :; do
	pending=$(total "/v1/webhook-deliveries?webhook_id=$WH&status=pending&limit=1" || echo "?")
	[[ $pending == 0 ]] && break
	(($(date +%s) < deadline)) || break
	sleep 1
done
sample

# Every call record of the organisation: from_number and status.
: >"$WORK/records.txt"
off=0
while :; do
	r=$(api GET "/v1/calls?limit=100&offset=$off") || die "GET /v1/calls failed"
	[[ ${r##*$'\n'} == 200 ]] || die "GET /v1/calls: $r"
	n=$(jq -r '.calls | length' <<<"${r%$'\n'*}")
	jq -r '.calls[] | "\(.from_number) \(.status)"' <<<"${r%$'\n'*}" >>"$WORK/records.txt"
	((n == 100)) || break
	off=$((off + 100))
done

LOST=0
WINDOWS=
echo "== calls"
printf '%-8s %7s %10s %7s %9s %7s %11s %6s\n' carrier placed successful failed recorded lost crash-window answered
for k in 1 2 3; do
	c=${CARRIERS[k - 1]}
	placed=$(stat_col "$c" 12)
	# Per placed call: its index, whether it has a record, whether SIPp saw
	# it answered and whether its record is completed.
	read -r recorded lost window answered answer_lost < <(awk -v placed="$placed" -v lo="${WIN_LO[$c]}" -v hi="${WIN_HI[$c]}" -v k="$k" '
		FILENAME == ARGV[1] {st[$1] = $2; next}
		FILENAME == ARGV[2] {if ($1 == "answered") ans[$2] = 1; next}
		END {
			for (i = 0; i < placed; i++) {
				from = sprintf("+234809%d%06d", k, i)
				if (from in st) rec++
				if (from in ans) {
					a++
					if (st[from] != "completed") alost++
				} else if (!(from in st)) {
					if (i >= lo && i < hi) win++
					else lost++
				}
			}
			print rec + 0, lost + 0, win + 0, a + 0, alost + 0
		}' "$WORK/records.txt" <(cat "$WORK/sipp/carrier-$c/answered.log" 2>/dev/null || true))
	printf '%-8s %7s %10s %7s %9s %7s %11s %6s\n' "$c" "$placed" "$(stat_col "$c" 16)" "$(stat_col "$c" 18)" \
		"$recorded" "$((lost + answer_lost))" "$window" "$answered"
	LOST=$((LOST + lost + answer_lost))
	((answer_lost == 0)) || echo "   $answer_lost answered call(s) of $c without a completed record"
	((placed > 0)) || { echo "   carrier $c placed no call"; LOST=$((LOST + 1)); }
	if [[ $c == answer ]] && ((answered < $(stat_col "$c" 16))); then
		echo "   SIPp logged $answered answered calls, fewer than its $(stat_col "$c" 16) successful ones: is the answered log written?"
		LOST=$((LOST + 1))
	fi
	WINDOWS="$WINDOWS $c #${WIN_LO[$c]}-#$((WIN_HI[$c] - 1))"
done
echo "crash window (calls by index, from the last SIPp statistics before the kill to 2 s after the restart):$WINDOWS"
open=$(awk '$2 ~ /^(initiated|ringing|in_progress)$/' "$WORK/records.txt" | wc -l)
echo "records: $(wc -l <"$WORK/records.txt") ($(awk '{print $2}' "$WORK/records.txt" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')); not ended: $open"
LOST=$((LOST + open))

echo
echo "== deliveries"
delivered=$(total "/v1/webhook-deliveries?webhook_id=$WH&status=delivered&limit=1" || echo "?")
pending=$(total "/v1/webhook-deliveries?webhook_id=$WH&status=pending&limit=1" || echo "?")
failed=$(total "/v1/webhook-deliveries?webhook_id=$WH&status=failed&limit=1" || echo "?")
ep_events=$(total "/v1/webhook-deliveries?webhook_id=$WH&event=endpoint.created&limit=1" || echo "?")
call_ends=$(($(total "/v1/webhook-deliveries?webhook_id=$WH&event=call.completed&limit=1" || echo 0) +
	$(total "/v1/webhook-deliveries?webhook_id=$WH&event=call.failed&limit=1" || echo 0)))
created=$(wc -l <"$WORK/api-created.txt")
ended=$(awk '$2 !~ /^(initiated|ringing|in_progress)$/' "$WORK/records.txt" | wc -l)
echo "subscription deliveries: delivered $delivered, pending $pending, failed $failed"
echo "endpoint.created deliveries $ep_events for $created endpoints the API loop created (201) + $((3 * NUMBERS)) of the set-up" \
	"(more is fine: a create cut off by the kill may have committed)"
echo "call.completed + call.failed deliveries $call_ends for $ended ended calls"
dlost=0
[[ $pending == 0 && $failed == 0 ]] || dlost=$((dlost + ${pending/\?/1} + ${failed/\?/1}))
want_ep=$((created + 3 * NUMBERS)) # and the agent endpoints of the set-up
[[ $ep_events =~ ^[0-9]+$ ]] && ((ep_events >= want_ep)) || dlost=$((dlost + want_ep - ${ep_events/\?/0}))
((call_ends == ended)) || dlost=$((dlost + (ended > call_ends ? ended - call_ends : call_ends - ended)))
echo "deliveries lost: $dlost"
LOST=$((LOST + dlost))

echo
echo "== API"
awk '{n[$1]++} END {for (c in n) printf "%s %d\n", c, n[c]}' "$WORK/api-codes.txt" | sort |
	awk '{printf "%s%s x%s", (NR > 1 ? ", " : "status "), $1, $2} END {print " (000: no answer, around the kill)"}'
fivexx=$(grep -c '^5' "$WORK/api-codes.txt" || true)
((fivexx == 0)) || echo "WARNING: $fivexx API answers were 5xx"

echo
echo "== switchboard over time (every $SAMPLE s; the pid changes at the kill)"
printf '%6s %8s %8s %10s %9s %6s %12s\n' t_s pid rss_MB goroutines open_fds calls queue_depth
awk '{printf "%6s %8s %8s %10s %9s %6s %12s\n", $1, $2, $3, $4, $5, $6, $7}' "$WORK/samples.txt"
awk '$3 != "-" {
		if (first == "") first = $2
		p = $2 == first ? 1 : 2
		if (!(p in n)) { f3[p] = $3; f4[p] = $4; f5[p] = $5 }
		n[p]++; l3[p] = $3; l4[p] = $4; l5[p] = $5
		if ($3 > m3[p]) m3[p] = $3; if ($4 > m4[p]) m4[p] = $4; if ($5 > m5[p]) m5[p] = $5 }
	END { for (p = 1; p <= 2; p++) if (p in n)
		printf "%s: RSS %s -> %s MB (max %s), goroutines %s -> %s (max %s), open files %s -> %s (max %s)\n",
			(p == 1 ? "before the kill" : "after the restart"), f3[p], l3[p], m3[p], f4[p], l4[p], m4[p], f5[p], l5[p], m5[p] }' \
	"$WORK/samples.txt"
echo "load average at the end$(uptime | sed 's/.*load average//')"

echo
if ((LOST > 0)); then
	echo "FAIL: $LOST lost (calls and deliveries above)"
	exit 1
fi
echo "OK: no call and no delivery lost"
