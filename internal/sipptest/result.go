package sipptest

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Result is what one SIPp run left: exit status, statistics and logs.
type Result struct {
	// Name is "uac <scenario>" or "uas <scenario>".
	Name string
	// ExitCode is SIPp 3.6.1's: 0 when every call succeeded, 1 when some
	// failed (or when the scenario did not load: no Stats then), 97 on an
	// internal exit command, 99 when no call was processed, 255 on a
	// fatal error or at -timeout (sipptest sets -timeout_error), 254 when
	// it could not bind its socket; -1 when killed by a signal.
	ExitCode int
	// TimedOut is set when Wait's timeout passed and sipptest stopped SIPp.
	TimedOut bool
	// Successful, Failed and Retransmissions are the cumulative
	// SuccessfulCall(C), FailedCall(C) and Retransmissions(C) of the last
	// line of the -trace_stat CSV.
	Successful, Failed, Retransmissions int
	// Stats is that last line, by column name (SIPp 3.6.1 names them as
	// "OutgoingCall(C)", "FailedUnexpectedMessage(C)", ... with (P) for
	// the last period and (C) cumulative); nil if SIPp wrote none.
	Stats map[string]string
	// Messages is the -trace_msg log: every message sent and received.
	Messages string
	// Errors is the -trace_err log: unexpected messages, aborted calls,
	// warnings.
	Errors string
	// Screen is the final -trace_screen dump: per scenario step, how many
	// messages went, were retransmitted, timed out or were unexpected.
	Screen string
	// Stderr is SIPp's standard error.
	Stderr string

	msgs []Message
}

// parseStats returns the last line of a -trace_stat CSV by column name.
func parseStats(csv string) map[string]string {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 {
		return nil
	}
	names := strings.Split(lines[0], ";")
	values := strings.Split(lines[len(lines)-1], ";")
	stats := make(map[string]string, len(names))
	for i, n := range names {
		if n != "" && i < len(values) {
			stats[n] = values[i]
		}
	}
	return stats
}

// Stat returns the statistic called name as a number, 0 if absent.
func (r Result) Stat(name string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(r.Stats[name]))
	return n
}

// All returns every message SIPp logged, sent and received, in order,
// retransmissions included.
func (r Result) All() []Message { return r.msgs }

// Received returns the messages SIPp received, without retransmissions
// (a message with the Call-ID, CSeq, top Via branch and status of an
// earlier one).
func (r Result) Received() []Message { return r.filter(false, func(Message) bool { return true }) }

// Sent returns the messages SIPp sent, without retransmissions.
func (r Result) Sent() []Message { return r.filter(true, func(Message) bool { return true }) }

// Requests returns the requests SIPp received with method (all if ""),
// without retransmissions: for an agent, the INVITEs the router sent it.
func (r Result) Requests(method string) []Message {
	return r.filter(false, func(m Message) bool {
		return m.IsRequest() && (method == "" || m.Method == method)
	})
}

// Responses returns the responses SIPp received with status code (all if
// 0), without retransmissions.
func (r Result) Responses(code int) []Message {
	return r.filter(false, func(m Message) bool {
		return !m.IsRequest() && (code == 0 || m.StatusCode == code)
	})
}

func (r Result) filter(sent bool, keep func(Message) bool) []Message {
	var out []Message
	seen := map[string]bool{}
	for _, m := range r.msgs {
		if m.Sent != sent || !keep(m) {
			continue
		}
		k := m.retransmissionKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	return out
}

// ExpectCalls reports an error on t, with r's Diagnostics, unless SIPp
// counted exactly successful and failed calls and exited accordingly (0
// with no failed call, 1 with some).
func (r Result) ExpectCalls(t testing.TB, successful, failed int) {
	t.Helper()
	wantExit := 0
	if failed > 0 {
		wantExit = 1
	}
	if r.TimedOut || r.Successful != successful || r.Failed != failed || r.ExitCode != wantExit {
		t.Errorf("sipptest: %s: %d successful, %d failed, exit %d (timed out: %t); want %d successful, %d failed, exit %d\n%s",
			r.Name, r.Successful, r.Failed, r.ExitCode, r.TimedOut, successful, failed, wantExit, r.Diagnostics())
	}
}

// Diagnostics returns what explains a run's outcome, for a test failure:
// the exit, the failure counters, the errors log, the screen and stderr
// (each cut to its last 4 KB).
func (r Result) Diagnostics() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s: exit %d, %d successful, %d failed, %d retransmissions", r.Name, r.ExitCode, r.Successful, r.Failed, r.Retransmissions)
	for _, name := range slices.Sorted(maps.Keys(r.Stats)) {
		if v := r.Stats[name]; strings.HasPrefix(name, "Failed") && strings.HasSuffix(name, "(C)") && name != "FailedCall(C)" && v != "0" {
			fmt.Fprintf(&b, ", %s=%s", name, v)
		}
	}
	b.WriteString("\n")
	for _, s := range []struct{ name, text string }{{"errors", r.Errors}, {"screen", r.Screen}, {"stderr", r.Stderr}} {
		if text := strings.TrimSpace(s.text); text != "" {
			if len(text) > 4096 {
				text = "..." + text[len(text)-4096:]
			}
			fmt.Fprintf(&b, "--- %s:\n%s\n", s.name, text)
		}
	}
	return b.String()
}

// procIP decodes an address of /proc/net/{udp,tcp}[6]: groups of 8 hex
// digits, each a 32-bit word of the address in host byte order.
func procIP(s string) (net.IP, error) {
	if len(s) != 8 && len(s) != 32 {
		return nil, fmt.Errorf("bad address %q", s)
	}
	ip := make(net.IP, len(s)/2)
	for i := 0; i < len(s); i += 8 {
		w, err := strconv.ParseUint(s[i:i+8], 16, 32)
		if err != nil {
			return nil, fmt.Errorf("bad address %q: %w", s, err)
		}
		binary.NativeEndian.PutUint32(ip[i/2:], uint32(w))
	}
	return ip, nil
}
