package sipedge

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/callrec"
	"github.com/switchboard-voice/switchboard/internal/dbtest"
)

// This file drives whole calls through a real edge on loopback UDP, from
// a carrier to an agent that are as cheap as a SIP peer can be: their
// messages are prebuilt templates, and they read of what they receive
// only the lines they must echo. What a call costs is then the edge's.

const benchCalled = "+2348031000000"

// discardRecorder takes every update and keeps none: with it a benchmark
// measures the SIP side alone.
type discardRecorder struct{}

func (discardRecorder) Save(switchboard.CallUpdate)                               {}
func (discardRecorder) SaveDurable(context.Context, switchboard.CallUpdate) error { return nil }
func (discardRecorder) SaveStored(context.Context, switchboard.CallUpdate) error  { return nil }
func (discardRecorder) Close(context.Context) error                               { return nil }

// benchCall is a running edge with a carrier and an agent peer.
type benchCall struct {
	e       *Edge
	carrier *benchPeer
	agent   *benchPeer
	edge    netip.AddrPort
	n       int // calls placed so far
}

// benchPeer is one UDP peer, with a receive buffer and a message buffer
// reused from message to message.
type benchPeer struct {
	conn *net.UDPConn
	addr netip.AddrPort
	in   []byte
	out  []byte
	ech  []byte // the lines a response echoes (echo)
	last []byte // the message read last (a slice of in)
}

func newBenchPeer(tb testing.TB) *benchPeer {
	tb.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &benchPeer{conn: conn, addr: conn.LocalAddr().(*net.UDPAddr).AddrPort(), in: make([]byte, 65535), out: make([]byte, 0, 4096), ech: make([]byte, 0, 1024)}
}

// startBenchCall starts an edge whose one number routes to the agent
// peer; records says where the call records go: "discard" or "sqlite"
// (a real SQLite store behind callrec, with its journal, as served).
func startBenchCall(tb testing.TB, records string) *benchCall {
	tb.Helper()
	carrier, agent := newBenchPeer(tb), newBenchPeer(tb)
	orgID := "org_bench"
	open := func(context.Context, string) (switchboard.CallRecorder, error) { return discardRecorder{}, nil }
	if records == "sqlite" {
		var db switchboard.CallService
		db, orgID = dbtest.SQLite(tb)
		journal := filepath.Join(tb.TempDir(), "calls")
		open = func(ctx context.Context, node string) (switchboard.CallRecorder, error) {
			return callrec.Open(ctx, callrec.Config{Store: db, Node: node, Journal: journal, Logger: slog.New(slog.DiscardHandler)})
		}
	}
	epID := "ep_agent"
	routing := staticRouting{
		numbers: []*switchboard.PhoneNumber{{ID: "pn_1", OrganizationID: orgID, E164: benchCalled,
			AllowInbound: true, EndpointID: &epID}},
		endpoints: []*switchboard.Endpoint{{ID: epID, OrganizationID: orgID, Type: switchboard.EndpointAgent,
			Status: switchboard.StatusActive, URL: "sip:agent@" + agent.addr.String()}},
	}
	e, err := New(tb.Context(), Config{
		Addr: "127.0.0.1:0", Node: "bench", Routing: routing, Logger: slog.New(slog.DiscardHandler),
		Trusted:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		OpenRecorder: open,
	})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Serve() }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Drain(ctx)
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return &benchCall{e: e, carrier: carrier, agent: agent, edge: netip.MustParseAddrPort(e.Addr())}
}

// call places one call and follows it to its end on both legs:
// INVITE→100→180→200→ACK on each, then the carrier's BYE, relayed to the
// agent, and both 200s.
func (bc *benchCall) call(tb testing.TB) {
	bc.n++
	n, c, a := bc.n, bc.carrier, bc.agent

	c.send(tb, bc.edge, c.request("INVITE", n, 1, nil, benchSDP))
	a.expect(tb, "INVITE ")
	inv := a.echo()
	a.send(tb, bc.edge, a.response("100 Trying", inv, "", nil))
	a.send(tb, bc.edge, a.response("180 Ringing", inv, strconv.Itoa(n), nil))
	// The 200 waits for the 180 to reach the carrier, as it would after
	// a ring: sent at once, it may overtake the 180 in the edge.
	c.expectStatus(tb, "180", "INVITE")
	a.send(tb, bc.edge, a.response("200 OK", inv, strconv.Itoa(n), benchSDP))
	c.expectStatus(tb, "200", "INVITE")
	to := c.line("To:")
	c.send(tb, bc.edge, c.request("ACK", n, 1, to, nil))
	a.expect(tb, "ACK ")
	c.send(tb, bc.edge, c.request("BYE", n, 2, to, nil))
	a.expect(tb, "BYE ")
	a.send(tb, bc.edge, a.response("200 OK", a.echo(), "", nil))
	c.expectStatus(tb, "200", "BYE")
}

// waitIdle waits until the edge holds no live call.
func (bc *benchCall) waitIdle(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for bc.e.LiveCalls() != 0 {
		if time.Now().After(deadline) {
			tb.Fatalf("%d calls still live", bc.e.LiveCalls())
		}
		runtime.Gosched()
	}
}

var benchSDP = []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

// request builds the carrier's request of call n; to is the To line of
// the dialog (nil: the INVITE's, without a tag).
func (p *benchPeer) request(method string, n, seq int, to, body []byte) []byte {
	b := p.out[:0]
	b = append(b, method...)
	b = append(b, " sip:"+benchCalled+"@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "...)
	b = p.addr.AppendTo(b)
	b = append(b, ";branch=z9hG4bK-"...)
	b = append(b, method...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "\r\nFrom: <sip:+14155550101@127.0.0.1>;tag=c"...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "\r\n"...)
	if to == nil {
		b = append(b, "To: <sip:"+benchCalled+"@127.0.0.1>\r\n"...)
	} else {
		b = append(b, to...)
	}
	b = append(b, "Call-ID: bench-"...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "\r\nCSeq: "...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ' ')
	b = append(b, method...)
	b = append(b, "\r\nContact: <sip:carrier@"...)
	b = p.addr.AppendTo(b)
	b = append(b, ">\r\nMax-Forwards: 70\r\n"...)
	return p.finish(b, body)
}

// response builds the agent's response to the request whose Via, From,
// To, Call-ID and CSeq lines are echo; a non-empty tag is put on To.
func (p *benchPeer) response(status string, echo []byte, tag string, body []byte) []byte {
	b := p.out[:0]
	b = append(b, "SIP/2.0 "...)
	b = append(b, status...)
	b = append(b, "\r\n"...)
	for line := range bytes.Lines(echo) {
		if tag != "" && bytes.HasPrefix(line, []byte("To:")) {
			b = append(b, bytes.TrimRight(line, "\r\n")...)
			b = append(b, ";tag=a"...)
			b = append(b, tag...)
			b = append(b, "\r\n"...)
			continue
		}
		b = append(b, line...)
	}
	b = append(b, "Contact: <sip:agent@"...)
	b = p.addr.AppendTo(b)
	b = append(b, ">\r\n"...)
	return p.finish(b, body)
}

// finish ends the headers of b with the body's.
func (p *benchPeer) finish(b, body []byte) []byte {
	if len(body) > 0 {
		b = append(b, "Content-Type: application/sdp\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	p.out = b
	return b
}

func (p *benchPeer) send(tb testing.TB, to netip.AddrPort, msg []byte) {
	if _, err := p.conn.WriteToUDPAddrPort(msg, to); err != nil {
		tb.Fatalf("send: %v", err)
	}
}

// read reads the next message, failing after 5 s of silence.
func (p *benchPeer) read(tb testing.TB) []byte {
	if err := p.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	n, _, err := p.conn.ReadFromUDPAddrPort(p.in)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	p.last = p.in[:n]
	return p.last
}

// expect reads until a request that starts with prefix, skipping
// retransmissions of what came before it.
func (p *benchPeer) expect(tb testing.TB, prefix string) {
	for !bytes.HasPrefix(p.read(tb), []byte(prefix)) {
	}
}

// expectStatus reads until a response with this status to method,
// skipping 100s and retransmissions.
func (p *benchPeer) expectStatus(tb testing.TB, status, method string) {
	for {
		msg := p.read(tb)
		if len(msg) > 12 && string(msg[8:11]) == status && bytes.HasSuffix(bytes.TrimRight(p.line("CSeq:"), "\r\n"), []byte(method)) {
			return
		}
	}
}

// line returns the header line of the last message that starts with
// name, with its CRLF.
func (p *benchPeer) line(name string) []byte {
	for line := range bytes.Lines(p.last) {
		if bytes.HasPrefix(line, []byte(name)) {
			return line
		}
	}
	return nil
}

// echo returns the lines of the last request a response must copy: Via,
// From, To, Call-ID and CSeq, in place (they are consecutive in what
// the edge sends, but need not be: what lies between is skipped by the
// response's copy). They are copied: the next read overwrites the
// message.
func (p *benchPeer) echo() []byte {
	out := p.ech[:0]
	for line := range bytes.Lines(p.last) {
		for _, h := range [...]string{"Via:", "From:", "To:", "Call-ID:", "CSeq:"} {
			if bytes.HasPrefix(line, []byte(h)) {
				out = append(out, line...)
			}
		}
	}
	p.ech = out
	return out
}

// goroutinesCreated is how many goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCall is a whole call through the edge, carrier to agent, both
// legs set up and hung up. records=discard measures the SIP side alone;
// records=sqlite adds the call records, through callrec and its journal
// to SQLite, as served. Besides allocations it reports goroutines
// started per call and the CPU time the process used per call (the
// peers' share of it is BenchmarkCallPeers'), since ns/op is mostly
// loopback round trips: calls run one after the other. The goroutines
// of timers that fire after the call (sipgo's transaction linger, 4 s)
// are counted only in runs longer than that.
func BenchmarkCall(b *testing.B) {
	for _, records := range []string{"discard", "sqlite"} {
		b.Run("records="+records, func(b *testing.B) {
			bc := startBenchCall(b, records)
			for range 10 {
				bc.call(b)
			}
			bc.waitIdle(b)
			b.ReportAllocs()
			g, cpu := goroutinesCreated(), cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				bc.call(b)
			}
			bc.waitIdle(b)
			b.ReportMetric(float64(goroutinesCreated()-g)/float64(b.N), "goroutines/op")
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkCallPeers is the peers' own share of BenchmarkCall: the same
// messages built and parsed, over loopback to a UDP sink.
func BenchmarkCallPeers(b *testing.B) {
	c, a := newBenchPeer(b), newBenchPeer(b)
	to := []byte("To: <sip:" + benchCalled + "@127.0.0.1>;tag=x\r\n")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		c.send(b, a.addr, c.request("INVITE", n, 1, nil, benchSDP))
		a.read(b)
		inv := a.echo()
		a.send(b, c.addr, a.response("180 Ringing", inv, "1", nil))
		c.expectStatus(b, "180", "INVITE")
		_ = c.line("To:")
		c.send(b, a.addr, c.request("BYE", n, 2, to, nil))
		a.expect(b, "BYE ")
	}
}

// callAllocsBound bounds the allocations of one call through the edge,
// records discarded (BenchmarkCall/records=discard): about 20 % above
// what it measures, so that it cannot grow unseen.
const callAllocsBound = 670

// TestCallAllocs: a whole call allocates no more than callAllocsBound
// objects, and the timers it creates, by creator, are logged (-v).
func TestCallAllocs(t *testing.T) {
	// Not parallel: the allocations counted are the process's.
	bc := startBenchCall(t, "discard")
	for range 20 {
		bc.call(t)
	}
	bc.waitIdle(t)
	const calls = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range calls {
		bc.call(t)
	}
	bc.waitIdle(t)
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / calls
	t.Logf("%.0f allocs per call, %.0f B", allocs, float64(after.TotalAlloc-before.TotalAlloc)/calls)
	if allocs > callAllocsBound {
		t.Errorf("%.0f allocs per call, more than %d", allocs, callAllocsBound)
	}
	if testing.Verbose() {
		timers := countTimers(t, func() {
			for range calls {
				bc.call(t)
			}
			bc.waitIdle(t)
		})
		total := 0
		for creator, n := range timers {
			total += n
			t.Logf("%5.2f timers per call from %s", float64(n)/calls, creator)
		}
		t.Logf("%5.2f timers per call", float64(total)/calls)
	}
}

// countTimers runs f with every allocation profiled and returns the
// timers created meanwhile, by the function that created them (the first
// caller outside package time and context).
func countTimers(t *testing.T, f func()) map[string]int {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	count := func() map[string]int {
		runtime.GC()
		runtime.GC()
		var recs []runtime.MemProfileRecord
		for {
			n, ok := runtime.MemProfile(recs, true)
			if ok {
				recs = recs[:n]
				break
			}
			recs = make([]runtime.MemProfileRecord, n+100)
		}
		out := map[string]int{}
		for _, r := range recs {
			frames := runtime.CallersFrames(r.Stack())
			timer, creator := false, ""
			for {
				fr, more := frames.Next()
				switch {
				case fr.Function == "time.newTimer":
					timer = true
				case timer && creator == "" && !strings.HasPrefix(fr.Function, "time.") && !strings.HasPrefix(fr.Function, "context."):
					creator = fr.Function
				}
				if !more {
					break
				}
			}
			if timer {
				out[creator] += int(r.AllocObjects)
			}
		}
		return out
	}
	before := count()
	f()
	after := count()
	for k, n := range before {
		after[k] -= n
		if after[k] == 0 {
			delete(after, k)
		}
	}
	return after
}
