#!/usr/bin/env bash
# SIP call rate: SIPp carriers place calls at fixed rates through the real
# `switchboard serve` to SIPp agents (inbound), SIPp agents place calls with
# digest credentials through switchboard to SIPp carriers behind trunks
# (agent-originated, issue 15 §2), and SIPp calls SIPp straight (the
# baseline, no switchboard), in the same run, so the cost of SIPp itself on
# this machine is known.
#
# Run from the repository root:
#
#   bash bench/sip/run.sh             # RATES 500..5000, 3 rounds x 10 s, ~10-15 min
#   QUICK=1 bash bench/sip/run.sh     # 1 round x 5 s at 500 and 1000 calls/s, ~2 min
#
# Set-up (once): a fresh SQLite database; NUMBERS Nigerian mobile numbers
# (+2348031000000, +2348031000001, ...) loaded with `switchboard inventory
# add`; one agent endpoint per number (provider "sip", url
# sip:agent@<agent ip>:5090) and each number claimed with its endpoint, through
# the API (bench/sip/provision). Number i goes to SIPp agent i mod AGENTS;
# each agent is its own SIPp process on its own loopback address.
#
# A step is one rate for DURATION seconds. It runs K = ceil(rate / PER_SIPP)
# SIPp carriers (internal/sipptest/scenarios/uac_call.xml: INVITE with SDP,
# 200, ACK, HOLD ms, BYE, 200), each on its own loopback address at rate/K
# calls/s, each reading the numbers (SEQUENTIAL, each carrier starting at a
# different offset). The agents run uas_answer.xml (180, 200 with SDP, ACK,
# BYE, 200). For each step it records:
#   placed, failed       the carriers' OutgoingCall(C) and FailedCall(C)
#   retrans              Retransmissions(C) of the carriers plus the agents
#   answered/s           per carrier, answered calls over the span of their
#                        200s in the rtt file, summed: below the rate when
#                        setup times grow during the step
#   p50, p99             INVITE -> 200 at the carrier (SIPp response time 1,
#                        from -trace_rtt; SIPp measures whole milliseconds)
#   sb p50/p99           switchboard's own switchboard_call_setup_seconds
#                        histogram over the step (upper bucket bounds)
#   sb cpu/call          utime+stime of switchboard (/proc/PID/stat) from the
#                        step's start until its calls are drained and
#                        recorded, over placed calls
#   sipp cpu/call        CPU of every SIPp process of the step (carriers and
#                        agents, from bash `times`), over placed calls
#   sb/sipp              sb cpu/call over sipp cpu/call (the summary's median
#                        of each round's ratio). SIPp does the same work per
#                        call in every run, so its CPU per call tracks how
#                        fast the shared machine is at the time; the ratio
#                        compares builds measured hours apart, or while a
#                        neighbour slows the machine, where CPU per call
#                        alone moves by a third
#   RSS, active          process_resident_memory_bytes and
#                        switchboard_calls_active from /metrics, sampled at
#                        30, 50 and 70 % of the step (medians)
#   KB/active call       (RSS mid-step - RSS idle) / active calls, RSS idle
#                        being the value after the warm-up, drained; and the
#                        same from go_memstats_heap_inuse_bytes
#   recorded             GET /v1/calls total equals every call placed so far,
#                        and GET /v1/calls?status=completed total every
#                        successful one (polled up to RECORD_WAIT s: records
#                        are written in batches)
#   rcvbuf               RcvbufErrors delta of /proc/net/snmp (machine-wide)
# A step is clean when no call failed, nothing was retransmitted (carriers or
# agents), answered/s is at least 95 % of the rate and (switchboard steps) every
# call was recorded. After ROUNDS rounds of a rate, a mode whose every round
# failed stops there; the other mode carries on. Rounds alternate which mode
# goes first.
#
# The baseline steps are the same with carrier k sending straight to its own
# agent (K agents at K distinct addresses), no switchboard.
#
# The Kamailio steps ("kam", "kamacc"; KAMAILIO=1) are the same load through
# Kamailio instead of switchboard: the benchmark peer
# bench/sip/kamailio/kamailio.cfg (a stateful tm + rr proxy, KAM_CHILDREN=2
# UDP workers for 2 cores, -m KAM_SHM -M KAM_PKG MB), with a DID table
# (kamailio_dids.cfg, htable assignments) generated from the very numbers
# provisioned in switchboard and the same number -> agent mapping, so both
# routers route the same calls to the same agents. "kam" records nothing;
# "kamacc" (KAMAILIO_ACC=1) writes acc rows to PostgreSQL (127.0.0.1:5432, a
# database sipbench_acc_<pid> created from kamailio's standard-create.sql and
# acc-create.sql, dropped on exit): one row for the INVITE's 200 and one for
# the BYE's 200 per answered call (ACKs and 180s write none; failed calls a
# missed_calls row). Each runs on its own loopback address (KAM_IP,
# KAMACC_IP, port 5060), started once after the set-up. For them:
#   sb cpu/call          holds Kamailio's: utime+stime of its main process
#                        and all its children over placed calls
#   pg cpu/call          (kamacc) PostgreSQL's: its backends connected to the
#                        acc database (they insert and commit each row);
#                        the server's shared processes (WAL writer,
#                        checkpointer, autovacuum) are left out, as they
#                        work for every database on the machine: a floor
#   recorded             (kamacc) the acc table grew by 2 rows per answered
#                        call (polled up to RECORD_WAIT s)
# The summary sets the highest clean rates, CPU per call and p99 of sb, kam
# and kamacc side by side, with their ratios and issue #18's targets.
#
# The refused-INVITE memory steps (REFUSE=1) send INVITEs at REFUSE_RATE/s
# for REFUSE_DURATION s to numbers nobody holds (+2348034...): from a
# trusted carrier (answered 404, ACKed; recorded as failed calls), then, if
# REFUSE_UNTRUSTED=1, from an address outside the trusted networks (sent
# once each, not waited on; switchboard answers a few, 407 or 403, and drops
# the rest). Memory per refused INVITE = growth over the idle samples taken
# just before (RSS and heap in use: medians; heap: also the smallest
# heap_alloc of each phase) sampled from 33 s into the step to its end,
# divided by the INVITEs refused in the last 32 s (REFUSE_RATE x 32): a
# refusal's traces (transaction, linger marks, the record) live at most
# 64 x T1 = 32 s, so that many are the most that can be held at once.
#
# The agent-originated steps ("out") are the same through switchboard the
# other way: K SIPp agents (internal/sipptest/scenarios/uac_call_auth.xml:
# INVITE, 407, ACK, INVITE with Proxy-Authorization, 200, ACK, HOLD ms, BYE,
# 200), agent k with the SIP credentials of its own number (-au/-ap; set-up:
# MAX_K numbers +2348032000001... claimed with allow_outbound, each with a
# trunk of its own, PATCHed as its trunk_id), calling OUT_DEST; switchboard
# checks the digest (a SQLite read of the credentials per call) and relays
# each call to the number's trunk, whose address is SIPp carrier k running
# uas_answer.xml. The challenge is part of every call: INVITE -> 200 (p50,
# p99) runs from the first INVITE, so it includes the 407 round trip. Their
# records count with the inbound ones.
#
# Environment (all optional):
#   RATES="500 1000 2000 3000 4000 5000"  calls/s, ascending
#   DURATION=10        seconds of calls per step
#   ROUNDS=3           rounds of every rate
#   QUICK=0            1: RATES="500 1000" DURATION=5 ROUNDS=1 MEM_HOLD=5000
#                      MEM_DURATION=10 REFUSE_DURATION=36 (unless set)
#   HOLD=100           ms between ACK and BYE (SIPp -d)
#   NUMBERS=1000       numbers, endpoints and claims
#   NUMBERS_PER_ORG=1000  numbers per organisation (more than that are
#                      split between organisations, each with its API key:
#                      provisioning one large organisation slows down as it
#                      grows)
#   PER_SIPP=1000      calls/s per SIPp carrier at most (one SIPp process
#                      saturates not far above this, so a higher rate runs
#                      more carriers)
#   AGENTS=            SIPp agent processes behind switchboard (default
#                      ceil(max rate / PER_SIPP), at least 2)
#   BASELINE=1         0: skip the SIPp-to-SIPp steps
#   OUTBOUND=1         0: skip the agent-originated steps
#   OUT_DEST=+14155550100  the number the agents call
#   MEM=1              0: skip the memory step. It runs once, after the
#                      warm-up: MEM_RATE calls/s for MEM_DURATION s, each held
#                      MEM_HOLD ms, so MEM_RATE x MEM_HOLD / 1000 calls are up
#                      at once; memory per call = (RSS while they are all up
#                      - RSS before) / calls up (medians of samples every
#                      0.25 s), and the same from the smallest heap_alloc
#                      sample of each phase (the nearest to the live heap).
#                      The rate steps' own figure (below) divides by the
#                      ~100-300 calls a 100 ms hold keeps up, so GC headroom
#                      and the record queue swamp it.
#   MEM_RATE=200  MEM_HOLD=10000  MEM_DURATION=20
#   REFUSE=1           0: skip the refused-INVITE memory steps (above)
#   REFUSE_UNTRUSTED=1 0: only the trusted one
#   REFUSE_RATE=500  REFUSE_DURATION=40 (more than 35 s)
#   ONLY_MEM=0         1: set-up, warm-up and the memory steps only, no rate
#                      steps (compare NUMBERS=1000 with NUMBERS=100000)
#   KAMAILIO=1         (default when kamailio is installed) 0: skip the
#                      Kamailio steps
#   KAMAILIO_ACC=1     0: skip the kamacc steps (they need psql and a
#                      PostgreSQL at 127.0.0.1:5432, trust auth, as PGUSER)
#   KAM_CHILDREN=2  KAM_SHM=2048  KAM_PKG=8   Kamailio's workers and memory
#   WARMUP=3           seconds of calls at WARMUP_RATE before the first step
#                      (not reported; 0 skips)
#   WARMUP_RATE=200
#   SETTLE=2           seconds of pause before each step
#   RECV_TIMEOUT=10000 SIPp -recv_timeout (ms): a call waiting longer for a
#                      message fails
#   RTT_FREQ=100       SIPp -rtt_freq: response times are written in batches
#                      of this many, so up to RTT_FREQ-1 per carrier are not
#                      written (the count used is printed as "rtt n")
#   RECORD_WAIT=30     seconds to wait for the call records after a step
#   DRAIN_WAIT=30      seconds to wait for switchboard_calls_active = 0
#   ALLOW_OTHER_SIPP=0 1: run even though other SIPp processes exist (they
#                      are watched; a step during which one used more than
#                      2 % of a core, or a new one appeared, is flagged
#                      "other-sipp" and not trusted)
#   WAIT_OTHER=300     before each step, seconds to wait at most for SIPp
#                      processes that others started during the run to end
#   AGENT_PAUSE=1      0: the agents send their 200 right after their 180.
#                      uas_answer.xml has a zero-length <pause/> between
#                      them, which SIPp ends only at its next scheduler
#                      tick, later still when the CPUs are busy: most of
#                      INVITE -> 200 is then the agents' wait, not
#                      switchboard's (docs/performance.md)
#   PERF=0             1: `perf record` switchboard from 20 to 80 % of each
#                      switchboard step and print its top functions (perf
#                      costs CPU itself: do not quote figures of such a run)
#   KEEP=              a directory to copy the raw SIPp outputs and logs to
#   SWITCHBOARD_BIN=   a prebuilt switchboard binary instead of building
#                      ./cmd/switchboard
#   SB_IP=127.0.50.1  AGENT_NET=127.0.51  CARRIER_NET=127.0.52  BASE_NET=127.0.53
#   OUT_CARRIER_NET=127.0.54  OUT_AGENT_NET=127.0.55  KAM_IP=127.0.56.1
#   KAMACC_IP=127.0.56.2  UNTRUSTED_NET=127.0.57
#                      loopback addresses: switchboard's SIP (port 5060),
#                      agents .1.. (port 5090), carriers .1.. (port 5070),
#                      baseline agents .1.. (port 5090); agent-originated:
#                      carriers (trunks) .1.. (port 5090), agents .1.. (port
#                      5070); Kamailio: port 5060; untrusted senders .1..
#                      (port 5070). switchboard trusts CARRIER_NET.0/24
#                      only (--sip-trusted), so the agents are challenged
#
# Everything listens on loopback only; every process it started is killed on
# exit. Results: a line per step as it ends, then markdown tables of the
# medians per rate on stdout. Progress goes to stderr.
set -euo pipefail

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	RATES=${RATES:-500 1000}
	DURATION=${DURATION:-5}
	ROUNDS=${ROUNDS:-1}
	MEM_HOLD=${MEM_HOLD:-5000}
	MEM_DURATION=${MEM_DURATION:-10}
	REFUSE_DURATION=${REFUSE_DURATION:-36}
fi
RATES=${RATES:-500 1000 2000 3000 4000 5000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
HOLD=${HOLD:-100}
NUMBERS=${NUMBERS:-1000}
NUMBERS_PER_ORG=${NUMBERS_PER_ORG:-1000}
PER_SIPP=${PER_SIPP:-1000}
AGENTS=${AGENTS:-}
BASELINE=${BASELINE:-1}
OUTBOUND=${OUTBOUND:-1}
OUT_DEST=${OUT_DEST:-+14155550100}
WARMUP=${WARMUP:-3}
WARMUP_RATE=${WARMUP_RATE:-200}
SETTLE=${SETTLE:-2}
RECV_TIMEOUT=${RECV_TIMEOUT:-10000}
RTT_FREQ=${RTT_FREQ:-100}
RECORD_WAIT=${RECORD_WAIT:-30}
DRAIN_WAIT=${DRAIN_WAIT:-30}
ALLOW_OTHER_SIPP=${ALLOW_OTHER_SIPP:-0}
WAIT_OTHER=${WAIT_OTHER:-300}
KEEP=${KEEP:-}
PERF=${PERF:-0}
AGENT_PAUSE=${AGENT_PAUSE:-1}
MEM=${MEM:-1}
MEM_RATE=${MEM_RATE:-200}
MEM_HOLD=${MEM_HOLD:-10000}
MEM_DURATION=${MEM_DURATION:-20}
REFUSE=${REFUSE:-1}
REFUSE_UNTRUSTED=${REFUSE_UNTRUSTED:-1}
REFUSE_RATE=${REFUSE_RATE:-500}
REFUSE_DURATION=${REFUSE_DURATION:-40}
ONLY_MEM=${ONLY_MEM:-0}
if [[ -z ${KAMAILIO:-} ]]; then
	KAMAILIO=0
	command -v kamailio >/dev/null && KAMAILIO=1
fi
KAMAILIO_ACC=${KAMAILIO_ACC:-1}
KAM_CHILDREN=${KAM_CHILDREN:-2}
KAM_SHM=${KAM_SHM:-2048}
KAM_PKG=${KAM_PKG:-8}
SWITCHBOARD_BIN=${SWITCHBOARD_BIN:-}
SB_IP=${SB_IP:-127.0.50.1}
AGENT_NET=${AGENT_NET:-127.0.51}
CARRIER_NET=${CARRIER_NET:-127.0.52}
BASE_NET=${BASE_NET:-127.0.53}
OUT_CARRIER_NET=${OUT_CARRIER_NET:-127.0.54}
OUT_AGENT_NET=${OUT_AGENT_NET:-127.0.55}
KAM_IP=${KAM_IP:-127.0.56.1}
KAMACC_IP=${KAMACC_IP:-127.0.56.2}
UNTRUSTED_NET=${UNTRUSTED_NET:-127.0.57}
SB_PORT=5060
AGENT_PORT=5090
CARRIER_PORT=5070

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
log() { echo "== $*" >&2; }

[[ -f go.mod && -d cmd/switchboard && -d bench/sip/provision && -f internal/sipptest/scenarios/uac_call.xml &&
	-f internal/sipptest/scenarios/uac_call_auth.xml ]] ||
	die "run me from the repository root"
for tool in go sipp curl timeout ss awk sort; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [[ $PERF == 1 ]]; then command -v perf >/dev/null || die "PERF=1 needs perf"; fi
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }
posint DURATION "$DURATION"
posint ROUNDS "$ROUNDS"
posint HOLD "$HOLD"
posint NUMBERS "$NUMBERS"
posint NUMBERS_PER_ORG "$NUMBERS_PER_ORG"
posint PER_SIPP "$PER_SIPP"
posint RECV_TIMEOUT "$RECV_TIMEOUT"
posint RTT_FREQ "$RTT_FREQ"
posint RECORD_WAIT "$RECORD_WAIT"
posint DRAIN_WAIT "$DRAIN_WAIT"
[[ $WARMUP =~ ^[0-9]+$ && $SETTLE =~ ^[0-9]+$ && $WAIT_OTHER =~ ^[0-9]+$ ]] ||
	die "WARMUP, SETTLE and WAIT_OTHER must be whole seconds"
posint WARMUP_RATE "$WARMUP_RATE"
posint MEM_RATE "$MEM_RATE"
posint MEM_HOLD "$MEM_HOLD"
posint MEM_DURATION "$MEM_DURATION"
((MEM_DURATION * 1000 > MEM_HOLD + 3000)) || die "MEM_DURATION must exceed MEM_HOLD by more than 3 s"
((MEM_RATE <= PER_SIPP)) || die "MEM_RATE must be at most PER_SIPP"
posint REFUSE_RATE "$REFUSE_RATE"
posint REFUSE_DURATION "$REFUSE_DURATION"
((REFUSE_DURATION > 35)) || die "REFUSE_DURATION must exceed 35 s (32 s of refusals, then samples)"
((REFUSE_RATE <= PER_SIPP)) || die "REFUSE_RATE must be at most PER_SIPP"
[[ $ONLY_MEM == 1 ]] && KAMAILIO=0
if [[ $KAMAILIO == 1 ]]; then
	command -v kamailio >/dev/null || die "KAMAILIO=1: kamailio is not installed"
	posint KAM_CHILDREN "$KAM_CHILDREN"
	posint KAM_SHM "$KAM_SHM"
	posint KAM_PKG "$KAM_PKG"
	if [[ $KAMAILIO_ACC == 1 ]]; then
		command -v psql >/dev/null || die "KAMAILIO_ACC=1 needs psql (or set KAMAILIO_ACC=0)"
		for f in standard acc; do
			[[ -f /usr/share/kamailio/postgres/$f-create.sql ]] ||
				die "KAMAILIO_ACC=1 needs /usr/share/kamailio/postgres/$f-create.sql (kamailio-postgres-modules), or set KAMAILIO_ACC=0"
		done
		psql -h 127.0.0.1 -d postgres -qAtc 'select 1' >/dev/null 2>&1 ||
			die "KAMAILIO_ACC=1 needs PostgreSQL at 127.0.0.1:5432 (trust auth), or set KAMAILIO_ACC=0"
	fi
else
	KAMAILIO_ACC=0
fi
read -r -a RATE_LIST <<<"$RATES"
((${#RATE_LIST[@]} > 0)) || die "RATES is empty"
prev=0
for r in "${RATE_LIST[@]}"; do
	posint "each rate in RATES" "$r"
	((r > prev)) || die "RATES must be ascending"
	prev=$r
done
MAX_RATE=$prev
MAX_K=$(((MAX_RATE + PER_SIPP - 1) / PER_SIPP))
if [[ -z $AGENTS ]]; then
	AGENTS=$((MAX_K > 2 ? MAX_K : 2))
fi
posint AGENTS "$AGENTS"
((AGENTS <= 250 && MAX_K <= 250)) || die "too many SIPp processes for one /24 of loopback addresses"
((NUMBERS <= 1000000)) || die "NUMBERS must be at most 1,000,000"

# sipp_pids prints the pids of live (not zombie) sipp processes.
sipp_pids() { { ps -C sipp -o pid=,stat= 2>/dev/null || true; } | awk '$2 !~ /^Z/ {print $1}'; }
# cpu_ticks prints the user+system CPU ticks a process has used so far (0 if gone).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# sipp_snapshot prints "pid ticks" for every live sipp process.
sipp_snapshot() {
	local p
	for p in $(sipp_pids); do echo "$p $(cpu_ticks "$p")"; done
}

others=$(sipp_pids | paste -sd' ')
OTHERS_AT_START=$(sipp_pids)
if [[ -n $others ]]; then
	if [[ $ALLOW_OTHER_SIPP != 1 ]]; then
		ps -o pid,etime,args -p "${others// /,}" >&2 || true
		die "other SIPp processes are running (pids $others); a run beside them cannot be trusted.
  Wait for them to end, or set ALLOW_OTHER_SIPP=1 to run anyway (steps during which
  one of them uses CPU are flagged other-sipp)."
	fi
	echo "run.sh: WARNING: other SIPp processes are running (pids $others); watching them" >&2
fi

# addresses_free checks that nothing listens on our SIP addresses yet.
for a in "$SB_IP:$SB_PORT" $(for i in $(seq "$AGENTS"); do echo "$AGENT_NET.$i:$AGENT_PORT"; done) \
	$(for i in $(seq "$MAX_K"); do echo "$CARRIER_NET.$i:$CARRIER_PORT $BASE_NET.$i:$AGENT_PORT $OUT_CARRIER_NET.$i:$AGENT_PORT $OUT_AGENT_NET.$i:$CARRIER_PORT"; done) \
	$([[ $KAMAILIO == 1 ]] && echo "$KAM_IP:$SB_PORT") $([[ $KAMAILIO_ACC == 1 ]] && echo "$KAMACC_IP:$SB_PORT") \
	$([[ $REFUSE == 1 && $REFUSE_UNTRUSTED == 1 ]] && echo "$UNTRUSTED_NET.1:$CARRIER_PORT"); do
	if [[ -n $(ss -Hunl "src $a" 2>/dev/null) ]]; then
		die "UDP $a is in use already"
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-sipbench.XXXXXX")
SB_PID=
KAM_PIDS=() # the Kamailio main processes (their children exit with them)
ACC_DB=
BG=() # background wrapper and helper pids
cleanup() {
	local rc=$? f p
	trap - EXIT INT TERM
	for p in "${KAM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${KAM_PIDS[@]}"; do await_exit "$p" 25; done
	if [[ -n $ACC_DB ]]; then
		psql -h 127.0.0.1 -d postgres -qc "DROP DATABASE IF EXISTS $ACC_DB WITH (FORCE)" >/dev/null 2>&1 ||
			echo "run.sh: could not drop database $ACC_DB" >&2
	fi
	# Our SIPp processes run under `timeout`, whose pids are in */pid.
	for f in "$WORK"/steps/*/*/pid; do
		[[ -f $f ]] || continue
		p=$(cat "$f")
		[[ -n $p ]] && kill "$p" 2>/dev/null || true
	done
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n $SB_PID ]]; then
		kill "$SB_PID" 2>/dev/null || true
		await_exit "$SB_PID" 25
	fi
	wait 2>/dev/null || true
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP" && cp -r "$WORK"/steps "$WORK"/*.log "$WORK"/*.txt "$WORK"/kam-* "$KEEP"/ 2>/dev/null || true
		echo "raw outputs kept in $KEEP" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/steps" "$WORK/scenarios"
cp internal/sipptest/scenarios/uac_call.xml internal/sipptest/scenarios/uac_call_auth.xml \
	internal/sipptest/scenarios/uas_answer.xml bench/sip/scenarios/uac_flood.xml "$WORK/scenarios/"
sed 's/EXPECTED_STATUS/404/' bench/sip/scenarios/uac_refused.xml >"$WORK/scenarios/uac_refused.xml"
if [[ $AGENT_PAUSE == 0 ]]; then
	# The agents' 200 follows their 180 at once: SIPp's zero-length
	# <pause/> waits for its next scheduler tick instead.
	sed -i '/^ *<pause\/> *$/d' "$WORK/scenarios/uas_answer.xml"
	grep -q '<pause' "$WORK/scenarios/uas_answer.xml" && die "AGENT_PAUSE=0: uas_answer.xml still pauses"
fi

# The machine and the code measured, first in the output.
{
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "code:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
		[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' + uncommitted changes')"
	echo "go:      $(go version)"
	echo "cpu:     $(nproc) x $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
	echo "load:    load average$(uptime | sed 's/.*load average//') at the start"
	echo "kernel:  $(uname -sr); net.core.rmem_max $(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo ?)," \
		"rmem_default $(cat /proc/sys/net/core/rmem_default 2>/dev/null || echo ?)"
	sippv=$(sipp -v 2>&1 || true)
	echo "sipp:    $(grep -m1 -o 'SIPp v[^ ]*[^ .]' <<<"$sippv" || echo unknown), on the same CPUs as switchboard"
	echo "setup:   rates $RATES calls/s, $DURATION s per step, $ROUNDS round(s), hold $HOLD ms," \
		"$NUMBERS numbers/endpoints, $AGENTS agents, <= $PER_SIPP calls/s per SIPp carrier," \
		"agents pause between 180 and 200: $([[ $AGENT_PAUSE == 0 ]] && echo no || echo "SIPp's zero-length pause")"
	if [[ $KAMAILIO == 1 ]]; then
		echo "peer:    $(kamailio -v 2>&1 | head -1 | awk '{print $2, $3}'), bench/sip/kamailio/kamailio.cfg, stateful (tm + rr)," \
			"$KAM_CHILDREN UDP workers, -m $KAM_SHM -M $KAM_PKG$([[ $KAMAILIO_ACC == 1 ]] && echo "; kamacc: acc rows in PostgreSQL $(psql -h 127.0.0.1 -d postgres -qAtc 'show server_version' 2>/dev/null)")"
	fi
	[[ -n $others ]] && echo "WARNING: other SIPp processes were running at the start: $others"
	echo
}

log "building"
if [[ -n $SWITCHBOARD_BIN ]]; then
	[[ -x $SWITCHBOARD_BIN ]] || die "SWITCHBOARD_BIN=$SWITCHBOARD_BIN is not an executable"
	cp "$SWITCHBOARD_BIN" "$WORK/switchboard"
	echo "switchboard binary: $SWITCHBOARD_BIN (prebuilt, not ./cmd/switchboard)"
	echo
else
	timeout 300 go build -o "$WORK/switchboard" ./cmd/switchboard
fi
timeout 300 go build -o "$WORK/provision" ./bench/sip/provision

DB=$WORK/db.sqlite
HTTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
log "starting switchboard: HTTP $API, SIP $SB_IP:$SB_PORT"
"$WORK/switchboard" serve --database "sqlite:$DB" --http "127.0.0.1:$HTTP_PORT" --sip "$SB_IP:$SB_PORT" \
	--log-level warn --log-format json --max-call-duration 0 --rate-limit 0 --sip-trusted "$CARRIER_NET.0/24" \
	>"$WORK/serve.stdout.txt" 2>"$WORK/serve.log" &
SB_PID=$!
wait_switchboard 10 "$SB_PID" "$API" "$SB_IP:$SB_PORT" "$WORK/serve.log"
KEY=$(grep -m1 '^kros_live_' "$WORK/serve.stdout.txt" || true)
[[ -n $KEY ]] || die "no kros_live_ key on serve's stdout"

log "loading $NUMBERS numbers, $NUMBERS agent endpoints over $AGENTS agents, claims"
for i in $(seq 0 $((NUMBERS - 1))); do printf '+2348031%06d\n' "$i"; done >"$WORK/numbers.txt"
{
	echo "number,country,type"
	sed 's/$/,NG,mobile/' "$WORK/numbers.txt"
} >"$WORK/numbers.csv"
timeout 120 "$WORK/switchboard" inventory add --database "sqlite:$DB" --file "$WORK/numbers.csv" >"$WORK/inventory.txt" 2>&1 ||
	die "inventory add failed: $(cat "$WORK/inventory.txt")"
AGENT_ADDRS=$(for i in $(seq "$AGENTS"); do echo "$AGENT_NET.$i:$AGENT_PORT"; done | paste -sd,)
# NUMBERS_PER_ORG numbers per organisation: the first is serve's, the
# others get a key from the CLI. Each claim makes switchboard reload its
# organisation's routing entries (at most every 50 ms), which costs more as
# the organisation grows: 100,000 numbers in one organisation take tens of
# minutes to provision, in organisations of 1,000 a few.
KEYS=("$KEY")
ORGS=$(((NUMBERS + NUMBERS_PER_ORG - 1) / NUMBERS_PER_ORG))
for o in $(seq 2 "$ORGS"); do
	k=$(timeout 30 "$WORK/switchboard" keys create --database "sqlite:$DB" --org "bench org $o" 2>"$WORK/keys.txt" | grep -m1 '^kros_live_' || true)
	[[ -n $k ]] || die "keys create for organisation $o failed: $(cat "$WORK/keys.txt")"
	KEYS+=("$k")
done
split -d -a 4 -l "$NUMBERS_PER_ORG" "$WORK/numbers.txt" "$WORK/numbers-org-"
prov_start=$(date +%s.%N)
: >"$WORK/provision.txt"
for o in $(seq 0 $((ORGS - 1))); do
	"$WORK/provision" -api "$API" -key "${KEYS[$o]}" -numbers "$(printf '%s/numbers-org-%04d' "$WORK" "$o")" -agents "$AGENT_ADDRS" \
		-offset $((o * NUMBERS_PER_ORG)) -c 8 >>"$WORK/provision.txt" 2>&1 || die "provisioning failed: $(tail -3 "$WORK/provision.txt")"
done
echo "set-up:  $(cat "$WORK/inventory.txt"); provisioned $(awk -F'[= ]' '{n += $2; e += $4; c += $6} END {printf "numbers=%d endpoints=%d claimed=%d", n, e, c}' "$WORK/provision.txt")" \
	"in $ORGS organisation(s) of at most $NUMBERS_PER_ORG numbers, $(awk -v a="$prov_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"

# api METHOD PATH JSON: the API's answer (dies on a non-2xx).
api() {
	curl -fsS --max-time 10 -X "$1" -H "x-api-key: $KEY" -H "Content-Type: application/json" -d "$3" "$API$2" ||
		die "$1 $2 failed"
}
# json_str FIELD: the first string value of FIELD in the JSON on stdin.
json_str() { sed -n "s/^[^{]*{.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -1; }

if [[ $OUTBOUND == 1 ]]; then
	# Agent-originated set-up: number k (+2348032000001...) with a trunk of
	# its own to carrier k; its SIP credentials go to agent k.
	log "agent-originated set-up: $MAX_K numbers with SIP credentials, each with its own trunk"
	for i in $(seq "$MAX_K"); do printf '+2348032%06d\n' "$i"; done >"$WORK/out-numbers.txt"
	{
		echo "number,country,type"
		sed 's/$/,NG,mobile/' "$WORK/out-numbers.txt"
	} >"$WORK/out-numbers.csv"
	timeout 120 "$WORK/switchboard" inventory add --database "sqlite:$DB" --file "$WORK/out-numbers.csv" >"$WORK/out-inventory.txt" 2>&1 ||
		die "inventory add failed: $(cat "$WORK/out-inventory.txt")"
	: >"$WORK/out-creds.txt"
	i=0
	while read -r n; do
		i=$((i + 1))
		trk=$(api POST /v1/trunks "{\"name\":\"bench carrier $i\",\"address\":\"$OUT_CARRIER_NET.$i:$AGENT_PORT\"}" | json_str id)
		pn=$(api POST /v1/phone-numbers "{\"number\":\"$n\",\"allow_outbound\":true}")
		id=$(json_str id <<<"$pn")
		user=$(json_str username <<<"$pn")
		pw=$(json_str password <<<"$pn")
		[[ $trk == trk_* && $id == pn_* && -n $user && -n $pw ]] || die "agent-originated set-up of $n: trunk '$trk', number '$pn'"
		api PATCH "/v1/phone-numbers/$id" "{\"trunk_id\":\"$trk\"}" >/dev/null
		echo "$n $user $pw" >>"$WORK/out-creds.txt"
	done <"$WORK/out-numbers.txt"
	echo "set-up:  agent-originated: $MAX_K numbers with SIP credentials, each its own trunk, calling $OUT_DEST"
fi

# start_kamailio NAME IP [-A ...]: runs the peer (bench/sip/kamailio/) from
# $WORK/kam-NAME, with the DID table, listening on UDP IP:5060, and adds
# its main pid to KAM_PIDS.
start_kamailio() {
	local name=$1 ip=$2 dir=$WORK/kam-$1 pid
	shift 2
	mkdir -p "$dir"
	cp bench/sip/kamailio/kamailio.cfg "$WORK/kamailio_dids.cfg" "$dir/"
	# The cfg includes kamailio_dids.cfg by a relative path.
	(cd "$dir" && exec kamailio -f kamailio.cfg -DD -E -m "$KAM_SHM" -M "$KAM_PKG" \
		-A "LISTEN=udp:$ip:$SB_PORT" -A "KAM_CHILDREN=$KAM_CHILDREN" "$@" >kamailio.log 2>&1) &
	pid=$!
	KAM_PIDS+=("$pid")
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || die "kamailio ($name) exited early: $(tail -5 "$dir/kamailio.log")"
		[[ -n $(ss -Hunl "src $ip:$SB_PORT") ]] && return
		sleep 0.1
	done
	die "kamailio ($name) does not listen on UDP $ip:$SB_PORT after 30 s: $(tail -5 "$dir/kamailio.log")"
}

# kam_ticks PID: the CPU ticks of Kamailio's main process PID and all its
# children (its UDP workers, timers and, with acc, their database links).
kam_ticks() {
	local t p
	t=$(cpu_ticks "$1")
	for p in $(ps --ppid "$1" -o pid= 2>/dev/null || true); do t=$((t + $(cpu_ticks "$p"))); done
	echo "$t"
}

# pg_snapshot: "pid ticks" of the PostgreSQL backends connected to ACC_DB
# (one per Kamailio process). They insert the rows and, committing each,
# flush the WAL themselves; the server's shared processes (WAL writer,
# checkpointer, autovacuum) are left out: on a shared machine they work
# for every other database too.
pg_snapshot() {
	local p args
	{ ps -C postgres -o pid=,args= 2>/dev/null || true; } | while read -r p args; do
		[[ " $args " == *" $ACC_DB "* ]] && echo "$p $(cpu_ticks "$p")"
	done
	return 0
}

# pg_ticks_between SNAP0 SNAP1: the ticks the processes of SNAP1 used since
# SNAP0 (all of them for a process that started in between).
pg_ticks_between() {
	awk 'NR == FNR {if ($1 != "") t[$1] = $2; next} $1 != "" {d += $2 - t[$1]} END {print d + 0}' <(echo "$1") <(echo "$2")
}

# acc_rows: the rows of ACC_DB's acc table.
acc_rows() { psql -h 127.0.0.1 -d "$ACC_DB" -qAtc 'select count(*) from acc' 2>/dev/null || echo "?"; }

KAM_PID=
KAMACC_PID=
if [[ $KAMAILIO == 1 ]]; then
	# The DID table: number i -> the agent switchboard routes it to
	# (bench/sip/provision: agent i mod AGENTS).
	awk -v agents="$AGENTS" -v net="$AGENT_NET" -v port="$AGENT_PORT" '
		BEGIN {print "# generated by bench/sip/run.sh from the numbers provisioned in switchboard"; print "event_route[htable:mod-init] {"}
		{printf "    $sht(did=>%s) = \"sip:agent@%s.%d:%d\";\n", $1, net, (NR - 1) % agents + 1, port}
		END {print "}"}' "$WORK/numbers.txt" >"$WORK/kamailio_dids.cfg"
	log "starting kamailio (kam): SIP $KAM_IP:$SB_PORT"
	start_kamailio kam "$KAM_IP"
	KAM_PID=${KAM_PIDS[-1]}
	if [[ $KAMAILIO_ACC == 1 ]]; then
		ACC_DB=sipbench_acc_$$
		log "creating database $ACC_DB; starting kamailio (kamacc): SIP $KAMACC_IP:$SB_PORT"
		psql -h 127.0.0.1 -d postgres -qc "CREATE DATABASE $ACC_DB" >"$WORK/acc-db.txt" 2>&1 ||
			die "CREATE DATABASE $ACC_DB failed: $(cat "$WORK/acc-db.txt")"
		psql -h 127.0.0.1 -d "$ACC_DB" -q -v ON_ERROR_STOP=1 -f /usr/share/kamailio/postgres/standard-create.sql \
			-f /usr/share/kamailio/postgres/acc-create.sql >>"$WORK/acc-db.txt" 2>&1 ||
			die "creating the acc tables failed: $(cat "$WORK/acc-db.txt")"
		start_kamailio kamacc "$KAMACC_IP" -A WITH_ACC -A ACC_POSTGRES \
			-A "ACC_URL=\"postgres://${PGUSER:-$(id -un)}@127.0.0.1:5432/$ACC_DB\""
		KAMACC_PID=${KAM_PIDS[-1]}
	fi
	echo "set-up:  kamailio: the same $NUMBERS numbers -> the same agents (kamailio_dids.cfg); kam on $KAM_IP:$SB_PORT$(
		[[ $KAMAILIO_ACC == 1 ]] && echo ", kamacc on $KAMACC_IP:$SB_PORT (acc rows in database $ACC_DB)")"
fi

# out_inf_file K: the injection file of agent k: "called;caller" = OUT_DEST
# and number k.
out_inf_file() {
	local f=$WORK/out-inf-$1.csv
	if [[ ! -f $f ]]; then
		printf 'SEQUENTIAL\n%s;%s\n' "$OUT_DEST" "$(sed -n "$1p" "$WORK/out-numbers.txt")" >"$f"
	fi
	echo "$f"
}

# inf_file K N: the injection file of carrier k of n: the numbers, rotated so
# carrier k starts at k * NUMBERS / n, as "called;caller" rows.
inf_file() {
	local k=$1 n=$2 f=$WORK/inf-$1-of-$2.csv
	if [[ ! -f $f ]]; then
		local off=$((k * NUMBERS / n))
		{
			echo SEQUENTIAL
			{ tail -n +$((off + 1)) "$WORK/numbers.txt"; head -n "$off" "$WORK/numbers.txt"; } |
				awk '{printf "%s;+2348099%06d\n", $1, NR - 1}'
		} >"$f"
	fi
	echo "$f"
}

# unheld_file: an injection file of numbers nobody holds (+2348034...).
unheld_file() {
	local f=$WORK/inf-unheld.csv
	if [[ ! -f $f ]]; then
		{
			echo SEQUENTIAL
			for i in $(seq 0 999); do printf '+2348034%06d;+2348099%06d\n' "$i" "$i"; done
		} >"$f"
	fi
	echo "$f"
}

# spawn DIR SECONDS CMD...: runs CMD (under `timeout SECONDS`) in DIR in the
# background. DIR/pid gets the timeout's pid, DIR/rc the exit status and
# DIR/times the CPU time of the command and its children (bash `times`).
spawn() {
	local dir=$1 limit=$2
	shift 2
	mkdir -p "$dir"
	(
		cd "$dir"
		timeout -k 5 "$limit" "$@" >out.txt 2>&1 &
		echo $! >pid.tmp && mv pid.tmp pid
		rc=0
		wait $! || rc=$?
		times >times
		echo "$rc" >rc
	) &
	BG+=($!)
	for _ in $(seq 100); do
		[[ -f $dir/pid ]] && return
		sleep 0.05
	done
	die "could not start $*"
}

# cpu_seconds DIR: the children's user+system seconds from DIR/times.
cpu_seconds() {
	awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.3f", t }' "$1/times"
}

# last_stat DIR COL: column COL of the last line of SIPp's -trace_stat file.
last_stat() {
	local f
	f=$(ls "$1"/stat.csv 2>/dev/null || true)
	[[ -n $f ]] || { echo 0; return; }
	awk -F';' -v c="$2" 'NR > 1 && NF > c {v = $c} END {print v + 0}' "$f"
}

# metrics prints "rss active heap_inuse heap_alloc gc_cycles" from /metrics.
metrics() {
	{ curl -fsS --max-time 2 "$API/metrics" 2>/dev/null || true; } | awk '
		$1 == "process_resident_memory_bytes" {r = $2}
		$1 == "switchboard_calls_active" {a = $2}
		$1 == "go_memstats_heap_inuse_bytes" {h = $2}
		$1 == "go_memstats_heap_alloc_bytes" {l = $2}
		$1 == "go_gc_duration_seconds_count" {g = $2}
		END {printf "%.0f %.0f %.0f %.0f %.0f\n", r, a, h, l, g}'
}

# idle_samples FILE: samples /metrics every 0.25 s into FILE, at least 12
# times, until the collector has run twice (20 s at most), while 4 loops
# read the API as fast as they can: no collection runs while switchboard is
# idle, so without their garbage the smallest heap_alloc sample would hold
# the last step's garbage rather than the live heap.
idle_samples() {
	local stop=$WORK/idle-stop p pids=() g0 g n=0
	rm -f "$stop"
	for _ in 1 2 3 4; do
		(while [[ ! -f $stop ]]; do
			curl -fsS --max-time 2 -o /dev/null -H "x-api-key: $KEY" "$API/v1/calls?limit=100" 2>/dev/null || true
			curl -fsS --max-time 2 -o /dev/null "$API/metrics" 2>/dev/null || true
		done) &
		pids+=($!)
	done
	g0=$(metrics | awk '{print $5}')
	while ((n < 80)); do
		metrics >>"$1" || true
		n=$((n + 1))
		g=$(tail -1 "$1" | awk '{print $5}')
		((n >= 12 && ${g:-0} >= ${g0:-0} + 2)) && break
		sleep 0.25
	done
	touch "$stop"
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

# setup_hist prints the cumulative switchboard_call_setup_seconds buckets as
# "le count" lines.
setup_hist() {
	{ curl -fsS --max-time 2 "$API/metrics" 2>/dev/null || true; } |
		sed -n 's/^switchboard_call_setup_seconds_bucket{le="\([^"]*\)"} \(.*\)$/\1 \2/p'
}

# hist_quantile BEFORE AFTER Q: the upper bound (ms) of the bucket holding
# quantile Q of the observations between two setup_hist snapshots.
hist_quantile() {
	awk -v q="$3" 'NR == FNR {b[$1] = $2; next} {n[++k] = $1; c[k] = $2 - b[$1]}
		END {
			tot = c[k]
			if (tot <= 0) { print "-"; exit }
			for (i = 1; i <= k; i++) if (c[i] >= q * tot) {
				if (n[i] == "+Inf") print ">" n[i - 1] * 1000; else print "<=" n[i] * 1000
				exit
			}
		}' "$1" "$2"
}

# calls_total [QUERY]: the total of GET /v1/calls?limit=1&QUERY, summed over
# the organisations; empty if one of them did not answer.
calls_total() {
	printf '%s\n' "${KEYS[@]}" |
		xargs -P 8 -I '{}' curl -fsS --max-time 5 -H "x-api-key: {}" "$API/v1/calls?limit=1${1:+&$1}" 2>/dev/null |
		grep -o '"total":[0-9]*' | awk -F: -v want="${#KEYS[@]}" '{t += $2; n++} END {if (n == want) print t}' || true
}

# rcvbuf_errors: RcvbufErrors of /proc/net/snmp (all UDP sockets).
rcvbuf_errors() {
	awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

# wait_bound IP:PORT PID: waits until a UDP socket is bound on IP:PORT.
wait_bound() {
	for _ in $(seq 100); do
		[[ -n $(ss -Hunl "src $1") ]] && return 0
		sleep 0.05
	done
	die "nothing listens on UDP $1 (SIPp failed to start: $(tail -3 "$2/out.txt" 2>/dev/null))"
}

# median [FORMAT]: the median of the numbers on stdin; the mean of the two
# middle ones, printed with FORMAT (default %.1f), when there is an even count.
median() { sort -g | awk -v f="${1:-%.1f}" '{a[NR] = $1} END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf f "\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

CUM_PLACED=0
CUM_OK=0
RSS_IDLE=0
HEAP_IDLE=0
RESULTS=$WORK/results.txt
: >"$RESULTS"
STEP_NO=0
# Columns of $RESULTS, one line per step (see run_step):
COLS="mode rate round placed failed retrans answered_per_s p50 p99 rtt_n sb_p50 sb_p99 sb_cpu_us sipp_cpu_us rss_mb active kb_per_call_rss kb_per_call_heap recorded rcvbuf clean pg_cpu_us note"

# run_step MODE RATE ROUND [DURATION [HOLD]]: one step. MODE is sb
# (through switchboard), out (agent-originated, through switchboard), base
# (SIPp to SIPp), kam or kamacc (through Kamailio, without or with acc
# rows), warmup (through switchboard, not reported), memory (through
# switchboard, long hold: samples /metrics every 0.25 s before the calls
# and while all of them are up, and writes $WORK/memory.txt) or refuse and
# refuse_untrusted (INVITEs to numbers nobody holds, from a trusted carrier
# or an untrusted address: samples /metrics before and from 33 s on, and
# writes $WORK/memory-MODE.txt). SB_CPU in the result line is the router's
# CPU: switchboard's, or Kamailio's. Appends a line to $RESULTS and prints it.
run_step() {
	local mode=$1 rate=$2 round=$3 dur=${4:-$DURATION} hold=${5:-$HOLD}
	local via=sb # whose CPU, metrics and records the step measures
	case $mode in
	base) via=none ;;
	kam | kamacc) via=kam ;;
	esac
	local memstep=
	[[ $mode == memory || $mode == refuse* ]] && memstep=1
	STEP_NO=$((STEP_NO + 1))
	local dir=$WORK/steps/$(printf '%03d' "$STEP_NO")-$mode-$rate-$round
	mkdir -p "$dir"
	local k=$(((rate + PER_SIPP - 1) / PER_SIPP))
	local nuas agent_net i
	if [[ $mode == base ]]; then
		nuas=$k
		agent_net=$BASE_NET
	elif [[ $mode == out ]]; then
		nuas=$k # the carriers, one per trunk
		agent_net=$OUT_CARRIER_NET
	elif [[ $mode == refuse* ]]; then
		nuas=0 # nobody answers
		agent_net=$AGENT_NET
	else
		nuas=$AGENTS
		agent_net=$AGENT_NET
	fi
	local limit=$((dur * 3 + hold / 1000 + RECV_TIMEOUT / 1000 * 4 + 60))

	sleep "$SETTLE"
	# Wait (WAIT_OTHER s at most) for SIPp processes started by others since
	# the start of the run to end.
	local waited=0 extra
	while extra=$(sipp_pids | grep -vxF -e "${OTHERS_AT_START:-none}" | paste -sd' ') && [[ -n $extra ]] &&
		((waited < WAIT_OTHER)); do
		((waited % 30 == 0)) && echo "run.sh: waiting for other SIPp processes to end (pids $extra)" >&2
		sleep 1
		waited=$((waited + 1))
	done
	local snap0 snap1 note="" w0 w1
	snap0=$(sipp_snapshot)
	w0=$(date +%s.%N)

	# Agents.
	for i in $(seq "$nuas"); do
		spawn "$dir/uas$i" $((limit + 120)) sipp -sf "$WORK/scenarios/uas_answer.xml" \
			-i "$agent_net.$i" -p "$AGENT_PORT" -ci "$agent_net.$i" -nostdin -buff_size 4194304 \
			-trace_stat -stf stat.csv -fd 1 -trace_err -error_file err.log -recv_timeout $((RECV_TIMEOUT + hold))
	done
	for i in $(seq "$nuas"); do wait_bound "$agent_net.$i:$AGENT_PORT" "$dir/uas$i"; done

	[[ -n $memstep ]] && idle_samples "$dir/idle.txt"

	local t0=0 h0=$dir/hist0.txt rb0 kpid= pg0= acc0=0
	rb0=$(rcvbuf_errors)
	if [[ $via == sb ]]; then
		t0=$(cpu_ticks "$SB_PID")
		setup_hist >"$h0"
	elif [[ $via == kam ]]; then
		kpid=$KAM_PID
		if [[ $mode == kamacc ]]; then
			kpid=$KAMACC_PID
			acc0=$(acc_rows)
			pg0=$(pg_snapshot)
		fi
		t0=$(kam_ticks "$kpid")
	fi

	# Carriers: rate split as evenly as whole numbers allow.
	local uacs=() r_k m_k target
	for i in $(seq "$k"); do
		r_k=$((rate / k + (i <= rate % k ? 1 : 0)))
		m_k=$((r_k * dur))
		case $mode in
		base) target=$BASE_NET.$i:$AGENT_PORT ;;
		kam) target=$KAM_IP:$SB_PORT ;;
		kamacc) target=$KAMACC_IP:$SB_PORT ;;
		*) target=$SB_IP:$SB_PORT ;;
		esac
		local uac_args=(-sf "$WORK/scenarios/uac_call.xml" -inf "$(inf_file $((i - 1)) "$k")"
			-i "$CARRIER_NET.$i" -ci "$CARRIER_NET.$i")
		if [[ $mode == refuse ]]; then
			uac_args=(-sf "$WORK/scenarios/uac_refused.xml" -inf "$(unheld_file)" -i "$CARRIER_NET.$i" -ci "$CARRIER_NET.$i")
		elif [[ $mode == refuse_untrusted ]]; then
			uac_args=(-sf "$WORK/scenarios/uac_flood.xml" -inf "$(unheld_file)" -i "$UNTRUSTED_NET.$i" -ci "$UNTRUSTED_NET.$i")
		fi
		if [[ $mode == out ]]; then
			# Agent i, with number i's credentials; the digest covers the
			# Request-URI, sip:OUT_DEST@switchboard.
			local user pw
			read -r _ user pw < <(sed -n "${i}p" "$WORK/out-creds.txt")
			uac_args=(-sf "$WORK/scenarios/uac_call_auth.xml" -inf "$(out_inf_file "$i")"
				-i "$OUT_AGENT_NET.$i" -ci "$OUT_AGENT_NET.$i" -au "$user" -ap "$pw" -auth_uri "$OUT_DEST@$target")
		fi
		spawn "$dir/uac$i" "$limit" sipp "$target" "${uac_args[@]}" -p "$CARRIER_PORT" \
			-nostdin -d "$hold" -r "$r_k" -m "$m_k" -l $((r_k * (10 + hold / 1000))) -buff_size 4194304 \
			-trace_rtt -rtt_freq "$RTT_FREQ" -trace_stat -stf stat.csv -fd 1 \
			-trace_err -error_file err.log -recv_timeout "$RECV_TIMEOUT" -timeout $((limit - 10))s
		uacs+=("$dir/uac$i")
	done

	# Mid-step samples of switchboard's memory and live calls.
	local sampler=
	if [[ $mode == memory ]]; then
		(
			# every 0.25 s from 1 s after the first calls have all been
			# placed-and-held (hold + 1 s) until the last call is placed
			sleep "$(awk -v h="$hold" 'BEGIN {printf "%.2f", h / 1000 + 1}')"
			end=$(awk -v d="$dur" -v h="$hold" -v n="$(date +%s.%N)" 'BEGIN {printf "%.2f", n + d - h / 1000 - 1}')
			while awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN {exit !(n < e)}'; do
				metrics >>"$dir/samples.txt" || true
				sleep 0.25
			done
		) &
		sampler=$!
		BG+=($sampler)
	elif [[ $mode == refuse* ]]; then
		(
			# every 0.25 s from 33 s (32 s of refusals, the most any can be
			# held) until the last INVITE is sent
			sleep 33
			end=$(awk -v d="$dur" -v n="$(date +%s.%N)" 'BEGIN {printf "%.2f", n + d - 33.5}')
			while awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN {exit !(n < e)}'; do
				metrics >>"$dir/samples.txt" || true
				sleep 0.25
			done
		) &
		sampler=$!
		BG+=($sampler)
	elif [[ $via == sb ]]; then
		(
			# at 30, 50 and 70 % of the step
			for f in 0.3 0.2 0.2; do
				sleep "$(awk -v d="$dur" -v f="$f" 'BEGIN {printf "%.2f", d * f}')"
				metrics >>"$dir/samples.txt" || true
			done
		) &
		sampler=$!
		BG+=($sampler)
		if [[ $PERF == 1 && $mode == sb ]]; then
			(
				sleep "$(awk -v d="$dur" 'BEGIN {printf "%.2f", d * 0.2}')"
				perf record -q -F 499 -g -p "$SB_PID" -o "$dir/perf.data" -- \
					sleep "$(awk -v d="$dur" 'BEGIN {printf "%.2f", d * 0.6}')" >/dev/null 2>&1 || true
			) &
			BG+=($!)
			PERF_JOB=$!
		fi
	fi

	# Wait for the carriers (their wrappers write rc last).
	for d in "${uacs[@]}"; do
		while [[ ! -f $d/rc ]]; do sleep 0.1; done
	done
	[[ -n $sampler ]] && { wait "$sampler" 2>/dev/null || true; }
	if [[ $PERF == 1 && $mode == sb ]]; then
		wait "$PERF_JOB" 2>/dev/null || true
		if [[ -f $dir/perf.data ]]; then
			perf report -i "$dir/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
				grep -v '^#' | grep '%' | head -30 >"$dir/perf.txt" || true
			echo "   perf, switchboard, top functions (self):" >&2
			head -15 "$dir/perf.txt" | sed 's/^/   /' >&2
		fi
	fi

	local placed=0 ok=0 failed=0 retrans=0 sipp_cpu=0 v rcs=""
	for d in "${uacs[@]}"; do
		placed=$((placed + $(last_stat "$d" 12)))
		ok=$((ok + $(last_stat "$d" 16)))
		failed=$((failed + $(last_stat "$d" 18)))
		retrans=$((retrans + $(last_stat "$d" 58)))
		v=$(cat "$d/rc")
		[[ $v == 0 ]] || rcs="$rcs ${d##*/}=$v"
	done

	# Drain and records (switchboard steps; acc rows for kamacc).
	local active_left=0 recorded=- tot=0 comp=0 t1=0 h1=$dir/hist1.txt pg1= pg_us=- acc1
	if [[ $via == kam ]]; then
		if [[ $mode == kamacc ]]; then
			# One row for the INVITE's 200 and one for the BYE's of each
			# answered call.
			recorded=no
			for _ in $(seq $((RECORD_WAIT * 2))); do
				acc1=$(acc_rows)
				if [[ $acc0 != "?" && $acc1 == $((acc0 + 2 * ok)) ]]; then
					recorded=yes
					break
				fi
				sleep 0.5
			done
			[[ $recorded == yes ]] || note="$note acc-rows:$((${acc1//\?/0} - ${acc0//\?/0}))/$((2 * ok))"
			pg1=$(pg_snapshot)
			pg_us=$(awk -v t="$(pg_ticks_between "$pg0" "$pg1")" -v hz="$(getconf CLK_TCK)" -v n="$placed" 'BEGIN {printf "%.0f", n ? t / hz * 1e6 / n : 0}')
		fi
		t1=$(kam_ticks "$kpid")
	elif [[ $via == sb ]]; then
		for _ in $(seq $((DRAIN_WAIT * 10))); do
			active_left=$(metrics | awk '{print $2}')
			[[ $active_left == 0 ]] && break
			sleep 0.1
		done
		# A refused INVITE (a number nobody holds, or an untrusted sender)
		# belongs to no organisation: it is in no one's GET /v1/calls.
		if [[ $mode != refuse* ]]; then
			CUM_PLACED=$((CUM_PLACED + placed))
			CUM_OK=$((CUM_OK + ok))
		fi
		recorded=no
		for _ in $(seq $((RECORD_WAIT * 2))); do
			sleep 0.5
			tot=$(calls_total || true)
			comp=$(calls_total status=completed || true)
			if [[ $tot == "$CUM_PLACED" && $comp == "$CUM_OK" ]]; then
				recorded=yes
				break
			fi
		done
		t1=$(cpu_ticks "$SB_PID")
		setup_hist >"$h1"
		[[ $recorded == yes ]] || note="$note records:${tot:-?}/$CUM_PLACED,completed:${comp:-?}/$CUM_OK"
		[[ $active_left == 0 ]] || note="$note active-after:$active_left"
	fi

	# Let the agents write their last stats (every second), then stop them.
	sleep 1.2
	for i in $(seq "$nuas"); do kill "$(cat "$dir/uas$i/pid")" 2>/dev/null || true; done
	for i in $(seq "$nuas"); do
		while [[ ! -f $dir/uas$i/rc ]]; do sleep 0.1; done
		retrans=$((retrans + $(last_stat "$dir/uas$i" 58)))
	done
	local rb1
	rb1=$(rcvbuf_errors)

	snap1=$(sipp_snapshot)
	w1=$(date +%s.%N)
	# Another SIPp that appeared during the step, or used more than 2 % of a
	# core (an idle SIPp polls its sockets and uses a little).
	local other_ticks
	other_ticks=$(awk -v lim="$(awk -v a="$w0" -v b="$w1" -v hz="$(getconf CLK_TCK)" 'BEGIN {print (b - a) * hz * 0.02}')" '
		NR == FNR {if ($1 != "") t[$1] = $2; next}
		$1 == "" {next}
		!($1 in t) {new = 1; next}
		{used += $2 - t[$1]}
		END {print (new || used > lim) ? "busy:" (new ? "new," : "") used + 0 "ticks" : "idle"}' <(echo "$snap0") <(echo "$snap1"))
	[[ $other_ticks == busy* ]] && note="$note other-sipp(${other_ticks#busy:})"
	[[ -z $rcs ]] || note="$note exit:${rcs# }"

	for d in "${uacs[@]}" $(for i in $(seq "$nuas"); do echo "$dir/uas$i"; done); do
		sipp_cpu=$(awk -v a="$sipp_cpu" -v b="$(cpu_seconds "$d")" 'BEGIN {print a + b}')
	done

	# INVITE -> 200 (response time 1) of every call written to the rtt files,
	# and the rate placed: per carrier, answered calls over the span of their 200s.
	local rtts=$dir/rtt.txt achieved=0 n p50=- p99=-
	: >"$rtts"
	for d in "${uacs[@]}"; do
		for f in "$d"/*_rtt.csv; do
			[[ -f $f ]] || continue
			awk -F';' 'NR > 1 && $3 == 1 {print $2}' "$f" >>"$rtts"
			achieved=$(awk -F';' -v a="$achieved" 'NR > 1 && $3 == 1 {n++; if (n == 1) f = $1; l = $1}
				END {print a + (n > 1 && l > f ? (n - 1) / (l - f) * 1000 : 0)}' "$f")
		done
	done
	n=$(wc -l <"$rtts")
	if ((n > 0)); then
		sort -n "$rtts" -o "$rtts"
		p50=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.999999) {print; exit}' "$rtts")
		p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.999999) {print; exit}' "$rtts")
	fi
	# An untrusted sender waits for nothing: its rate is what it sent.
	[[ $mode == refuse_untrusted ]] && achieved=$(awk -v p="$placed" -v d="$dur" 'BEGIN {print p / d}')
	achieved=$(awk -v a="$achieved" 'BEGIN {printf "%.0f", a}')

	local sb_p50=- sb_p99=- sb_cpu=- rss=- active=- kb_rss=- kb_heap=-
	if [[ $via != none ]]; then
		sb_cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$placed" 'BEGIN {printf "%.0f", n ? t / hz * 1e6 / n : 0}')
	fi
	if [[ $via == sb ]]; then
		sb_p50=$(hist_quantile "$h0" "$h1" 0.50)
		sb_p99=$(hist_quantile "$h0" "$h1" 0.99)
		if [[ -s $dir/samples.txt ]]; then
			local rss_b act heap_b
			rss_b=$(awk '{print $1}' "$dir/samples.txt" | median)
			act=$(awk '{print $2}' "$dir/samples.txt" | median)
			heap_b=$(awk '{print $3}' "$dir/samples.txt" | median)
			rss=$(awk -v r="$rss_b" 'BEGIN {printf "%.1f", r / 1048576}')
			active=$act
			if [[ $mode == memory && -s $dir/idle.txt && $act != 0 ]]; then
				# RSS: medians; heap: the smallest heap_alloc of each phase, the
				# nearest to the live heap (just after a GC) the samples get.
				awk -v hold="$hold" -v rate="$rate" 'NR == FNR {ir[FNR] = $1; il = (FNR == 1 || $4 < il) ? $4 : il; g0 = (FNR == 1) ? $5 : g0; g1 = $5; next}
					{r[FNR] = $1; a[FNR] = $2; l = (FNR == 1 || $4 < l) ? $4 : l; n = FNR}
					function med(x, m,   i, j, t) { for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
						return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
					END {
						ni = 0; for (k in ir) ni++
						rss0 = med(ir, ni); rss1 = med(r, n); act = med(a, n)
						printf "memory: %d calls up (%d calls/s held %d ms), %d samples (%d GCs while idle):", act, rate, hold, n, g1 - g0
						printf " RSS %.1f -> %.1f MB, %.1f KB per call;", rss0 / 1048576, rss1 / 1048576, (rss1 - rss0) / act / 1024
						printf " heap (smallest heap_alloc) %.1f -> %.1f MB, %.1f KB per call\n", il / 1048576, l / 1048576, (l - il) / act / 1024
					}' "$dir/idle.txt" "$dir/samples.txt" >"$WORK/memory.txt" || true
			fi
			if [[ $mode == refuse* && -s $dir/idle.txt ]]; then
				# Growth over idle (RSS and heap in use: medians; heap_alloc:
				# the smallest of each phase) over the INVITEs refused in the
				# last 32 s.
				awk -v rate="$rate" -v dur="$dur" -v who="$([[ $mode == refuse ]] && echo "trusted carrier, 404" || echo "untrusted address, 407/403 or dropped")" '
					function med(x, m,   i, j, t) { for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
						return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
					NR == FNR {ir[FNR] = $1; ih[FNR] = $3; il = (FNR == 1 || $4 < il) ? $4 : il; ni = FNR; g0 = (FNR == 1) ? $5 : g0; g1 = $5; next}
					{r[FNR] = $1; h[FNR] = $3; l = (FNR == 1 || $4 < l) ? $4 : l; n = FNR}
					END {
						inv = rate * 32
						rss0 = med(ir, ni); rss1 = med(r, n); h0 = med(ih, ni); h1 = med(h, n)
						printf "refused INVITEs (%s): %d/s for %d s, %d in the last 32 s, %d samples (%d GCs while idle):", who, rate, dur, inv, n, g1 - g0
						printf " RSS %.1f -> %.1f MB, %.0f B per INVITE;", rss0 / 1048576, rss1 / 1048576, (rss1 - rss0) / inv
						printf " heap in use %.1f -> %.1f MB, %.0f B per INVITE;", h0 / 1048576, h1 / 1048576, (h1 - h0) / inv
						printf " smallest heap_alloc %.1f -> %.1f MB, %.0f B per INVITE\n", il / 1048576, l / 1048576, (l - il) / inv
					}' "$dir/idle.txt" "$dir/samples.txt" >"$WORK/memory-$mode.txt" || true
			fi
			if [[ ($mode == sb || $mode == out) && $act != 0 ]]; then
				kb_rss=$(awk -v r="$rss_b" -v i="$RSS_IDLE" -v a="$act" 'BEGIN {printf "%.1f", (r - i) / a / 1024}')
				kb_heap=$(awk -v r="$heap_b" -v i="$HEAP_IDLE" -v a="$act" 'BEGIN {printf "%.1f", (r - i) / a / 1024}')
			fi
		fi
	fi
	local sipp_us
	sipp_us=$(awk -v c="$sipp_cpu" -v n="$placed" 'BEGIN {printf "%.0f", n ? c * 1e6 / n : 0}')

	local clean=no
	if ((failed == 0 && retrans == 0 && placed > 0)) && [[ $recorded != no && -z $rcs ]] &&
		awk -v a="$achieved" -v r="$rate" 'BEGIN {exit !(a >= 0.95 * r)}'; then
		clean=yes
	fi
	[[ $note == *other-sipp* ]] && clean="$clean(untrusted)"
	note=${note# }
	echo "$mode $rate $round $placed $failed $retrans $achieved $p50 $p99 $n $sb_p50 $sb_p99 $sb_cpu $sipp_us $rss $active $kb_rss $kb_heap $recorded $((rb1 - rb0)) $clean $pg_us ${note:--}" |
		tee -a "$RESULTS"
	if [[ $failed != 0 || $retrans != 0 ]]; then
		# What SIPp says about the failures (its Failed* and Retransmissions
		# counters, cumulative), for the report.
		for d in "${uacs[@]}" $(for i in $(seq "$nuas"); do echo "$dir/uas$i"; done); do
			[[ -f $d/stat.csv ]] || continue
			awk -F';' -v d="${d##*/}" 'NR == 1 {for (i = 1; i <= NF; i++) h[i] = $i; next} {last = $0}
				END {
					n = split(last, v, ";"); s = ""
					for (i = 1; i <= n; i++) if ((h[i] ~ /^Failed.*\(C\)$/ || h[i] == "Retransmissions(C)" ||
						h[i] == "DeadCallMsgs(C)" || h[i] == "OutOfCallMsgs(C)") && v[i] + 0 > 0) s = s " " h[i] "=" v[i]
					if (s != "") print "   " d ":" s
				}' "$d/stat.csv" >&2 || true
		done
	fi
	if [[ $via == sb ]]; then
		# How switchboard recorded the calls that did not complete: totals by
		# status since the start of the run, and the failure reasons of the
		# last 100 failed calls.
		local st line=""
		for st in failed busy no_answer canceled; do
			v=$(calls_total "status=$st")
			[[ ${v:-0} != 0 ]] && line="$line $st=$v"
		done
		if [[ -n $line ]]; then
			echo "   call records so far (not completed):$line" >&2
			{ curl -fsS --max-time 5 -H "x-api-key: $KEY" "$API/v1/calls?status=failed&limit=100" 2>/dev/null || true; } |
				grep -o '"failure_reason":"[^"]*"\(,"sip_status":[0-9]*\)\?' | sort | uniq -c | sort -rn |
				sed 's/^/     last 100 failed: /' >&2 || true
		fi
	fi
}

if ((WARMUP > 0)); then
	log "warm-up: $WARMUP s at $WARMUP_RATE calls/s through switchboard (not reported)"
	run_step warmup "$WARMUP_RATE" 0 "$WARMUP" >"$WORK/warmup.txt"
	sed 's/^/warm-up: /' "$WORK/warmup.txt" >&2
fi
sleep 1
read -r RSS_IDLE _ HEAP_IDLE _ < <(metrics)
echo "idle:    switchboard RSS $(awk -v r="$RSS_IDLE" 'BEGIN {printf "%.1f", r / 1048576}') MB," \
	"heap in use $(awk -v r="$HEAP_IDLE" 'BEGIN {printf "%.1f", r / 1048576}') MB, after set-up and warm-up"
echo

if [[ $MEM == 1 ]]; then
	log "memory: $MEM_DURATION s at $MEM_RATE calls/s held $MEM_HOLD ms through switchboard"
	run_step memory "$MEM_RATE" 0 "$MEM_DURATION" "$MEM_HOLD" >"$WORK/memory-step.txt"
	sed 's/^/memory step: /' "$WORK/memory-step.txt" >&2
	if [[ -s $WORK/memory.txt ]]; then
		cat "$WORK/memory.txt"
	else
		echo "memory: no figure (see the memory step above)"
	fi
	[[ $(awk '{print $21}' "$WORK/memory-step.txt") == yes ]] ||
		echo "memory: WARNING: the memory step was not clean: $(cat "$WORK/memory-step.txt")"
	echo
fi

if [[ $REFUSE == 1 ]]; then
	REFUSE_MODES=(refuse)
	[[ $REFUSE_UNTRUSTED == 1 ]] && REFUSE_MODES+=(refuse_untrusted)
	for m in "${REFUSE_MODES[@]}"; do
		log "memory ($m): $REFUSE_DURATION s of INVITEs to numbers nobody holds at $REFUSE_RATE/s"
		run_step "$m" "$REFUSE_RATE" 0 "$REFUSE_DURATION" >"$WORK/$m-step.txt"
		sed "s/^/$m step: /" "$WORK/$m-step.txt" >&2
		if [[ -s $WORK/memory-$m.txt ]]; then
			cat "$WORK/memory-$m.txt"
		else
			echo "memory ($m): no figure (see the $m step above)"
		fi
		[[ $(awk '{print $21}' "$WORK/$m-step.txt") == yes ]] ||
			echo "memory ($m): WARNING: the step was not clean: $(cat "$WORK/$m-step.txt")"
	done
	echo
fi

if [[ $ONLY_MEM == 1 ]]; then
	echo "ONLY_MEM=1: no rate steps; load average at the end$(uptime | sed 's/.*load average//')"
	exit 0
fi

echo "$COLS"
declare -A STOPPED=()
MODES=(sb)
[[ $OUTBOUND == 1 ]] && MODES+=(out)
[[ $BASELINE == 1 ]] && MODES+=(base)
[[ $KAMAILIO == 1 ]] && MODES+=(kam)
[[ $KAMAILIO_ACC == 1 ]] && MODES+=(kamacc)
for rate in "${RATE_LIST[@]}"; do
	running=()
	for m in "${MODES[@]}"; do [[ -z ${STOPPED[$m]:-} ]] && running+=("$m"); done
	((${#running[@]} > 0)) || break
	for round in $(seq "$ROUNDS"); do
		# Each round starts with the next mode.
		n_run=${#running[@]}
		order=()
		for j in $(seq 0 $((n_run - 1))); do order+=("${running[$(((j + round - 1) % n_run))]}"); done
		for m in "${order[@]}"; do
			log "$m: $rate calls/s, round $round of $ROUNDS"
			run_step "$m" "$rate" "$round"
		done
	done
	for m in "${running[@]}"; do
		if ! awk -v m="$m" -v r="$rate" '$1 == m && $2 == r && $21 == "yes" {ok = 1} END {exit !ok}' "$RESULTS"; then
			STOPPED[$m]=$rate
			log "$m: no clean round at $rate calls/s; not going higher"
		fi
	done
done

# Medians per mode and rate.
col() { awk -v m="$1" -v r="$2" -v c="$3" '$1 == m && $2 == r && $c != "-" {v = $c; gsub(/[<=>]/, "", v); print v}' "$RESULTS" | median; }
ratio() { awk -v m="$1" -v r="$2" '$1 == m && $2 == r && $13 != "-" && $14 > 0 {printf "%.2f\n", $13 / $14}' "$RESULTS" | median %.2f; }
colraw() { awk -v m="$1" -v r="$2" -v c="$3" '$1 == m && $2 == r {print $c}' "$RESULTS" | sort | uniq -c | awk '{printf "%s%s", (NR > 1 ? ", " : ""), ($1 > 1 ? $1 "x " : "") $2}'; }
clean_count() { awk -v m="$1" -v r="$2" '$1 == m && $2 == r {n++; if ($21 == "yes") c++} END {printf "%d/%d", c, n}' "$RESULTS"; }
rates_of() { awk -v m="$1" '$1 == m {print $2}' "$RESULTS" | sort -un; }
highest() { # highest rate whose every round (or: at least one round) was clean
	awk -v m="$1" -v all="$2" '$1 == m {n[$2]++; if ($21 == "yes") c[$2]++}
		END {h = "none"; for (r in n) if ((all ? c[r] == n[r] : c[r] > 0) && (h == "none" || r + 0 > h + 0)) h = r; print h}' "$RESULTS"
}

echo
# switchboard_table MODE: the table of medians of a mode through switchboard.
switchboard_table() {
	local m=$1 r
	echo "| calls/s | answered/s | calls | failed | retrans | INVITE→200 p50 / p99 ms (SIPp) | switchboard setup p50 / p99 ms | switchboard CPU µs/call | SIPp CPU µs/call | sb/SIPp CPU | RSS MB | active calls | KB/active call (RSS / heap) | recorded | clean rounds |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|"
	for r in $(rates_of "$m"); do
		printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s / %s | %s | %s |\n' \
			"$r" "$(col "$m" "$r" 7)" "$(col "$m" "$r" 4)" "$(col "$m" "$r" 5)" "$(col "$m" "$r" 6)" "$(col "$m" "$r" 8)" "$(col "$m" "$r" 9)" \
			"≤$(col "$m" "$r" 11)" "≤$(col "$m" "$r" 12)" "$(col "$m" "$r" 13)" "$(col "$m" "$r" 14)" "$(ratio "$m" "$r")" "$(col "$m" "$r" 15)" \
			"$(col "$m" "$r" 16)" "$(col "$m" "$r" 17)" "$(col "$m" "$r" 18)" "$(colraw "$m" "$r" 19)" "$(clean_count "$m" "$r")"
	done
}

echo "== through switchboard, inbound (carrier -> switchboard -> agent): medians of $ROUNDS round(s) per rate"
echo "   (clean = 0 failed, 0 retransmissions, answered/s >= 95 % of the rate, every call recorded)"
echo
switchboard_table sb
if [[ $OUTBOUND == 1 ]]; then
	echo
	echo "== through switchboard, agent-originated (agent with digest -> switchboard -> trunk's carrier):"
	echo "   medians of $ROUNDS round(s) per rate; INVITE→200 includes the 407 challenge's round trip"
	echo
	switchboard_table out
	echo
	echo "agent-originated vs inbound, per rate (medians): answered/s ratio, switchboard CPU µs/call ratio"
	for r in $(rates_of out); do
		in_a=$(col sb "$r" 7) out_a=$(col out "$r" 7) in_c=$(col sb "$r" 13) out_c=$(col out "$r" 13)
		awk -v r="$r" -v ia="$in_a" -v oa="$out_a" -v ic="$in_c" -v oc="$out_c" 'BEGIN {
			printf "  %s calls/s: answered/s %s", r, (ia + 0 > 0 && oa != "-") ? sprintf("%.2f", oa / ia) : "-"
			printf ", CPU/call %s\n", (ic + 0 > 0 && oc != "-") ? sprintf("%.2f", oc / ic) : "-" }'
	done
fi
# kam_table MODE: the table of medians of a Kamailio mode.
kam_table() {
	local m=$1 r
	echo "| calls/s | answered/s | calls | failed | retrans | INVITE→200 p50 / p99 ms (SIPp) | Kamailio CPU µs/call | PostgreSQL CPU µs/call | Kamailio + PostgreSQL µs/call | SIPp CPU µs/call | Kamailio/SIPp CPU | acc rows recorded | clean rounds |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|"
	for r in $(rates_of "$m"); do
		printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$r" "$(col "$m" "$r" 7)" "$(col "$m" "$r" 4)" "$(col "$m" "$r" 5)" "$(col "$m" "$r" 6)" "$(col "$m" "$r" 8)" "$(col "$m" "$r" 9)" \
			"$(col "$m" "$r" 13)" "$(col "$m" "$r" 22)" "$(router_cpu "$m" "$r" | median %.0f)" "$(col "$m" "$r" 14)" "$(ratio "$m" "$r")" \
			"$(colraw "$m" "$r" 19)" "$(clean_count "$m" "$r")"
	done
}

# router_cpu MODE RATE: the router's CPU µs per call of each round of MODE at
# RATE (Kamailio's plus PostgreSQL's for kamacc), one line per round.
router_cpu() {
	awk -v m="$1" -v r="$2" '$1 == m && $2 == r && $13 != "-" {print $13 + ($22 == "-" ? 0 : $22)}' "$RESULTS"
}

# cpu_ratio A B RATE: the median over rounds of mode A's router CPU per call
# over mode B's in the same round, at RATE.
cpu_ratio() {
	awk -v a="$1" -v b="$2" -v r="$3" '$2 == r && $13 != "-" && ($1 == a || $1 == b) {c[$1, $3] = $13 + ($22 == "-" ? 0 : $22); seen[$3] = 1}
		END {for (k in seen) if (((a, k) in c) && ((b, k) in c) && c[b, k] > 0) printf "%.2f\n", c[a, k] / c[b, k]}' "$RESULTS" | median %.2f
}

# rate_ratio A B ALL: mode A's highest clean rate over mode B's (every round
# when ALL is 1, at least one when 0), marked ">=" when only A was clean at
# the highest rate tested (A may go higher), "<=" when only B was; "?" when
# both were. When B was never clean, its highest clean rate is below the
# lowest rate tested: A's over that is a floor (">"); "-" if A was not either.
rate_ratio() {
	local ha hb
	ha=$(highest "$1" "$3") hb=$(highest "$2" "$3")
	awk -v a="$ha" -v b="$hb" -v top="$MAX_RATE" -v low="${RATE_LIST[0]}" 'BEGIN {
		if (b == "none") { if (a == "none") print "-"; else printf ">%.2f\n", a / low; exit }
		if (a == "none") a = 0
		if (a == top && b == top) { print "?"; exit }
		printf "%s%.2f\n", (a == top ? ">=" : (b == top ? "<=" : "")), a / b }'
}

# verdict RATIO TARGET: met / NOT met / undetermined for "RATIO >= TARGET",
# RATIO as rate_ratio prints it.
verdict() {
	awk -v v="$1" -v t="$2" 'BEGIN {
		if (v == "-" || v == "?") { print "undetermined"; exit }
		below = sub(/^>/, "", v); lo = sub(/^=/, "", v); hi = sub(/^<=/, "", v)
		if (v + 0 >= t) print (hi ? "undetermined (the peer was clean at the highest rate tested: add a higher rate)" : "met")
		else if (below) print "undetermined (the peer was never clean: add a lower rate)"
		else print (lo ? "undetermined (switchboard was clean at the highest rate tested: add a higher rate)" : "NOT met") }'
}

# kamailio_summary: switchboard (inbound) and Kamailio side by side, with
# issue #18's targets.
kamailio_summary() {
	local r rates v
	echo
	echo "== switchboard vs Kamailio, the same SIPp load in the same rounds (sb: inbound through switchboard)"
	echo
	echo "| router | highest clean rate, every round | in at least one round |"
	echo "|---|---:|---:|"
	echo "| switchboard (sb) | $(highest sb 1) | $(highest sb 0) |"
	echo "| Kamailio stateful, no records (kam) | $(highest kam 1) | $(highest kam 0) |"
	[[ $KAMAILIO_ACC == 1 ]] && echo "| Kamailio stateful + acc rows in PostgreSQL (kamacc) | $(highest kamacc 1) | $(highest kamacc 0) |"
	echo
	echo "highest clean rate sb/kam:    $(rate_ratio sb kam 1) (every round), $(rate_ratio sb kam 0) (at least one)"
	[[ $KAMAILIO_ACC == 1 ]] && echo "highest clean rate sb/kamacc: $(rate_ratio sb kamacc 1) (every round), $(rate_ratio sb kamacc 0) (at least one)"
	echo "   (>= / <=: only one of the two was clean at the highest rate tested, $MAX_RATE calls/s; ?: both were;"
	echo "    >: the second never was clean, its highest clean rate is below the lowest tested, ${RATE_LIST[0]} calls/s)"
	echo
	echo "| calls/s | sb/kam CPU per call | sb/kamacc CPU per call (Kamailio + PostgreSQL) | kamacc: PostgreSQL's share | INVITE→200 p99 ms: sb / kam / kamacc |"
	echo "|---:|---:|---:|---:|---:|"
	rates=$(awk '$1 == "sb" || $1 == "kam" || $1 == "kamacc" {print $2}' "$RESULTS" | sort -un)
	for r in $rates; do
		printf '| %s | %s | %s | %s | %s / %s / %s |\n' "$r" "$(cpu_ratio sb kam "$r")" "$(cpu_ratio sb kamacc "$r")" \
			"$(awk -v m=kamacc -v r="$r" '$1 == m && $2 == r && $22 != "-" && $13 + $22 > 0 {printf "%.2f\n", $22 / ($13 + $22)}' "$RESULTS" | median %.2f)" \
			"$(col sb "$r" 9)" "$(col kam "$r" 9)" "$(col kamacc "$r" 9)"
	done
	echo "   (each CPU ratio: the median of each round's ratio; PostgreSQL's CPU: its backends of the acc database,"
	echo "    not the server's shared processes, which work for every database on the machine)"
	echo
	echo "issue #18 targets (this run):"
	v=$(for r in $rates; do cpu_ratio sb kam "$r"; done | awk '$1 != "-"' | sort -g | tail -1)
	echo "  CPU per call <= 2x kam's:                    sb/kam at most ${v:--} over the rates both ran: $(
		[[ -z $v ]] && echo undetermined || awk -v v="$v" 'BEGIN {print (v <= 2 ? "met" : "NOT met")}')"
	v=$(rate_ratio sb kam 1)
	echo "  highest clean rate >= 0.75x kam's:          sb/kam $v (every round): $(verdict "$v" 0.75)"
	if [[ $KAMAILIO_ACC == 1 ]]; then
		v=$(rate_ratio sb kamacc 1)
		echo "  highest clean rate >= 2x kamacc's:          sb/kamacc $v (every round): $(verdict "$v" 2)"
	fi
	v=$(col sb 1000 9)
	echo "  p99 INVITE→200 <= 10 ms at 1,000 calls/s:   sb ${v} ms (kam $(col kam 1000 9), kamacc $(col kamacc 1000 9)): $(
		[[ $v == - ]] && echo "undetermined (no 1,000 calls/s step)" || awk -v p="$v" 'BEGIN {print (p <= 10 ? "met" : "NOT met")}')"
}

if [[ $KAMAILIO == 1 ]]; then
	echo
	echo "== through Kamailio stateful (kam), no records: medians of $ROUNDS round(s) per rate"
	echo
	kam_table kam
	if [[ $KAMAILIO_ACC == 1 ]]; then
		echo
		echo "== through Kamailio stateful + acc rows in PostgreSQL (kamacc): medians of $ROUNDS round(s) per rate"
		echo "   (recorded: the acc table grew by 2 rows per answered call, the INVITE's 200 and the BYE's)"
		echo
		kam_table kamacc
	fi
fi
if [[ $BASELINE == 1 ]]; then
	echo
	echo "== baseline, SIPp carrier straight to SIPp agent: medians of $ROUNDS round(s) per rate"
	echo
	echo "| calls/s | answered/s | calls | failed | retrans | INVITE→200 p50 / p99 ms (SIPp) | SIPp CPU µs/call | clean rounds |"
	echo "|---:|---:|---:|---:|---:|---:|---:|:---:|"
	for r in $(rates_of base); do
		printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n' \
			"$r" "$(col base "$r" 7)" "$(col base "$r" 4)" "$(col base "$r" 5)" "$(col base "$r" 6)" \
			"$(col base "$r" 8)" "$(col base "$r" 9)" "$(col base "$r" 14)" "$(clean_count base "$r")"
	done
fi
echo
echo "highest clean rate through switchboard: $(highest sb 1) calls/s in every round; $(highest sb 0) in at least one"
[[ $OUTBOUND == 1 ]] && echo "highest clean agent-originated rate:     $(highest out 1) calls/s in every round; $(highest out 0) in at least one"
[[ $BASELINE == 1 ]] && echo "highest clean rate of the baseline:      $(highest base 1) calls/s in every round; $(highest base 0) in at least one"
[[ $KAMAILIO == 1 ]] && echo "highest clean rate of Kamailio (kam):    $(highest kam 1) calls/s in every round; $(highest kam 0) in at least one"
[[ $KAMAILIO_ACC == 1 ]] && echo "highest clean rate of Kamailio + acc:    $(highest kamacc 1) calls/s in every round; $(highest kamacc 0) in at least one"
p99_1000=$(col sb 1000 9)
if [[ $p99_1000 != - && $KAMAILIO != 1 ]]; then
	echo "p99 INVITE→200 at 1,000 calls/s: $p99_1000 ms (target <= 10 ms: $(awk -v p="$p99_1000" 'BEGIN {print (p <= 10 ? "met" : "NOT met")}'))"
fi
if [[ $KAMAILIO == 1 ]]; then
	kamailio_summary
fi
echo "load average at the end$(uptime | sed 's/.*load average//')"
if grep -q 'other-sipp' "$RESULTS"; then
	echo "WARNING: other SIPp processes used CPU during the steps marked other-sipp; those steps are untrusted."
fi
