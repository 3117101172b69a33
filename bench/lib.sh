# Shell helpers the bench scripts share; sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

die() { echo "run.sh: $*" >&2; exit 1; }

# free_port prints a TCP port on 127.0.0.1 that nothing answers on, in
# [PORT_BASE, PORT_BASE+PORT_SPAN) (default 20000-59999).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((${PORT_BASE:-20000} + RANDOM % ${PORT_SPAN:-40000}))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# await_exit gives process pid (already sent SIGTERM) tries x 0.2 s to exit,
# then sends it SIGKILL.
await_exit() {
	local pid=$1 tries=$2
	for _ in $(seq "$tries"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
}

# wait_http waits (10 s at most) until url answers 2xx, or dies if process
# pid exits first.
wait_http() {
	local url=$1 pid=$2
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || die "server for $url exited early"
		if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
			return
		fi
		sleep 0.1
	done
	die "$url did not come up within 10 s"
}

# wait_switchboard SECONDS PID API SIPADDR LOG waits (SECONDS at most) until
# the switchboard serve of pid answers API/healthz, then (5 s at most) until
# it listens on UDP SIPADDR; it dies, with LOG's tail, if serve exits first.
wait_switchboard() {
	local secs=$1 pid=$2 api=$3 sip=$4 log=$5
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || die "switchboard exited early: $(tail -5 "$log")"
		curl -fsS -o /dev/null --max-time 1 "$api/healthz" 2>/dev/null && break
		sleep 0.1
	done
	curl -fsS -o /dev/null --max-time 1 "$api/healthz" || die "switchboard did not come up within $secs s"
	for _ in $(seq 50); do
		[[ -n $(ss -Hunl "src $sip") ]] && return
		sleep 0.1
	done
	die "switchboard does not listen on UDP $sip"
}
