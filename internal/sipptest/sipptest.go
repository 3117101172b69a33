// Package sipptest drives SIPp (3.6.1, Debian package sip-tester) from Go
// tests: as the carrier placing calls (a UAC) and as the AI agents taking
// them (UASes), with the scenarios embedded in this package.
//
// A test starts its agents, runs the carrier, and checks both sides:
//
//	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: "127.0.0.11", Calls: 1})
//	carrier := sipptest.RunUAC(t, sipptest.UACOptions{
//		Scenario: "uac_call",
//		Target:   routerAddr,
//		Rows:     [][]string{{"+15551230001", "+15559870001"}}, // [field0] called, [field1] caller
//	})
//	carrier.ExpectCalls(t, 1, 0)
//	got := agent.Wait(10 * time.Second)
//	got.ExpectCalls(t, 1, 0)
//	inv := got.Requests("INVITE")[0]
//	// inv.RequestURI, inv.Header("To"), inv.Header("X-Switchboard-Call-Id"), inv.Body ...
//
// StartUAS, StartUAC and RunUAC skip the test when sipp is not installed
// (see Require). Each SIPp runs in a directory of its own under t.TempDir,
// with -nostdin, -trace_msg, -trace_stat (-fd 1), -trace_err,
// -trace_screen, -timeout with -timeout_error and -buff_size 4194304; its
// Result carries the parsed statistics and the logs. Every process is
// killed when the test ends.
//
// # Scenarios
//
// Scenario names a built-in scenario (the files in scenarios/, each
// documenting its flow at its top) or is a path to a scenario file of the
// test's own. A built-in takes the variables listed below in Vars;
// sipptest passes each to SIPp the way SIPp can take it (a -set global, a
// command-line option, or rendered into the XML where SIPp wants a
// literal) and fails the test on a variable the scenario does not take.
// For a file of the test's own, every Vars entry becomes -set name value.
//
// The carrier scenarios read the injection file (Rows): [field0] is the
// called number (user part of the Request-URI and To), [field1] the
// caller's (From, Contact). Each INVITE carries X-Carrier-Trace: [call_id]
// and an SDP body, and the ACK and BYE follow the 200's route set.
//
//	uac_call       INVITE, 1xx, 200, ACK, hold, BYE, 200.
//	               hold: ms between ACK and BYE (-d), default 100.
//	uac_call_auth  uac_call answering one 401/407 challenge.
//	               username, password (-au, -ap), required; hold as uac_call.
//	uac_expect     INVITE, 1xx, the expected final status, ACK.
//	               status: the non-2xx code expected, required (template).
//	uac_call_auth_expect
//	               uac_call_auth whose authenticated INVITE gets the
//	               expected final status, then ACK.
//	               status as uac_expect; username, password as uac_call_auth.
//	uac_call_auth_cancel
//	               uac_cancel after uac_call_auth's challenge: the
//	               authenticated INVITE rings and is cancelled.
//	               ring as uac_cancel; username, password as uac_call_auth.
//	uac_call_auth_wait_bye
//	               uac_call_auth then waiting for the network's BYE, 200.
//	               wait as uac_wait_bye; username, password as uac_call_auth.
//	uac_cancel     INVITE, 180, CANCEL, 200, 487, ACK.
//	               ring: ms between 180 and CANCEL (-d), default 0.
//	uac_wait_bye   INVITE, 1xx, 200, ACK, then a BYE from the network, 200.
//	               wait: ms to wait for each message (-recv_timeout),
//	               default 20000; the call fails without the BYE by then.
//
// The agent scenarios:
//
//	uas_answer     INVITE, 180, 200 (SDP), ACK, BYE from the other side, 200.
//	               ring: ms between 180 and 200 (-d), default 0.
//	uas_reject     INVITE, status, ACK.
//	               status (template), required; reason (template), by
//	               default the usual phrase for status.
//	uas_busy       uas_reject with 486 Busy Here.
//	uas_503        uas_reject with 503 Service Unavailable.
//	uas_ring       INVITE, 180, then CANCEL, 200, 487, ACK.
//	               wait: ms to wait for the CANCEL (-recv_timeout), default none.
//	uas_silent     INVITE, no response at all; a CANCEL is answered 200/487.
//	               wait: ms to stay silent (-recv_timeout), default 5000;
//	               the call counts as successful when it passes.
//	uas_auth       INVITE, 407, ACK, INVITE with Proxy-Authorization, 180,
//	               200, ACK, BYE, 200; a missing or other username gets 403.
//	               username (template), required; realm (-set), default
//	               switchboard.test. SIPp cannot check a Proxy-Authorization
//	               digest: check it with Message.VerifyDigest.
//	uas_auth_401   The same with 401/WWW-Authenticate, which SIPp verifies
//	               (verifyauth): wrong credentials get 403 and fail the call.
//	               username, password (-set), required; realm as uas_auth.
//	uas_bye_first  INVITE, 180, 200, ACK, hold, BYE to the caller, 200.
//	               hold: ms between ACK and BYE (-d), default 100.
//
// The callee's carrier of an API-originated call (RFC 3725 flow I, the
// callee first), which the agent scenarios above also serve as (uas_busy,
// uas_ring, uas_auth and uas_auth_401 take an INVITE without SDP too):
//
//	uas_carrier_late_offer
//	               INVITE without SDP, 180, 200 with the SDP offer, ACK
//	               with the answer, BYE from the other side, 200. An INVITE
//	               with a body gets 488 and fails the call; an ACK without
//	               an answer gets a BYE to the caller and fails the call.
//	               ring: ms between 180 and 200 (-d), default 0.
//
// The files that need no template (all but uac_expect, uas_reject and
// uas_auth) also run under bare SIPp, e.g. from a benchmark script:
//
//	sipp -sf internal/sipptest/scenarios/uas_answer.xml -i 127.0.0.11 -p 5090 ...
//	sipp -sf internal/sipptest/scenarios/uac_call.xml -inf dids.csv -d 100 ...
//
// # Results
//
// Result.ExpectCalls checks the call counts and exit status and, when they
// are off, prints Result.Diagnostics (errors log, final screen, stderr).
// Result.Requests and Result.Responses return the messages SIPp received
// (Sent and All the others), parsed from the -trace_msg log, with UDP
// retransmissions left out; Message.Header, Param and URIUser pick them
// apart, and Message.VerifyDigest checks digest credentials.
package sipptest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Transport is a SIPp -t transport mode.
type Transport string

// The transports the scenarios support: one socket for all calls.
const (
	UDP Transport = "u1"
	TCP Transport = "t1"
)

func (tr Transport) network() string {
	if tr == TCP {
		return "tcp"
	}
	return "udp"
}

// The defaults of the options.
const (
	DefaultIP         = "127.0.0.1"
	DefaultUACTimeout = 30 * time.Second
	DefaultUASTimeout = 60 * time.Second
)

// DefaultRow is the injection row used when UACOptions.Rows is empty:
// called number, caller number.
var DefaultRow = []string{"+15550100001", "+15550100002"}

var sipp struct {
	once sync.Once
	path string
	err  error
}

// Require returns the path of the sipp binary. If there is none it skips
// the test, or fails it when SWITCHBOARD_REQUIRE_ALL=1 (as CI sets).
func Require(t testing.TB) string {
	t.Helper()
	sipp.once.Do(func() { sipp.path, sipp.err = exec.LookPath("sipp") })
	if sipp.err != nil {
		msg := fmt.Sprintf("sipp is not installed (Debian package sip-tester): %v", sipp.err)
		if os.Getenv("SWITCHBOARD_REQUIRE_ALL") == "1" {
			t.Fatalf("%s; SWITCHBOARD_REQUIRE_ALL=1 requires it", msg)
		}
		t.Skipf("%s; skipping (set SWITCHBOARD_REQUIRE_ALL=1 to fail instead)", msg)
	}
	return sipp.path
}

// FreePort returns a port on which nothing listens at ip for network
// ("udp" or "tcp"), found by binding port 0 and closing it again.
func FreePort(t testing.TB, network, ip string) int {
	t.Helper()
	addr := net.JoinHostPort(ip, "0")
	var port int
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatalf("sipptest: free UDP port on %s: %v", ip, err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	case "tcp":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("sipptest: free TCP port on %s: %v", ip, err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	default:
		t.Fatalf("sipptest: FreePort: network %q, want udp or tcp", network)
	}
	return port
}

// UASOptions configure a SIPp UAS (an agent).
type UASOptions struct {
	// Scenario is a built-in scenario name or a path to a scenario file.
	Scenario string
	// IP is the address to listen on (-i): DefaultIP if empty. Give each
	// agent of a test a loopback address of its own (127.0.0.11, ...).
	IP string
	// Port is the port to listen on (-p): a free one if 0.
	Port int
	// Transport is UDP if empty.
	Transport Transport
	// Calls makes SIPp exit after that many calls (-m); 0 runs until
	// Stop, Timeout or the end of the test.
	Calls int
	// Vars are the scenario's variables (see the package documentation).
	Vars map[string]string
	// Timeout is SIPp's global -timeout, reached as an error (exit 255):
	// DefaultUASTimeout if 0.
	Timeout time.Duration
	// ExtraArgs go last on the SIPp command line, so they override.
	ExtraArgs []string
}

// UACOptions configure a SIPp UAC (the carrier).
type UACOptions struct {
	// Scenario is a built-in scenario name or a path to a scenario file.
	Scenario string
	// Target is the "ip:port" to send the calls to.
	Target string
	// IP and Port are the local address (-i, -p): DefaultIP and a free
	// port if empty.
	IP   string
	Port int
	// Transport is UDP if empty.
	Transport Transport
	// Calls is how many calls to place (-m): len(Rows) if 0 (rows are
	// used in order, and again from the first when they run out).
	Calls int
	// Rate is calls per RatePeriod (-r, SIPp's default 10 if 0), and
	// RatePeriod its period (-rp, a second if 0).
	Rate       float64
	RatePeriod time.Duration
	// Limit caps simultaneous calls (-l) if not 0.
	Limit int
	// Rows are the injection file's rows ([field0], [field1], ...),
	// written after a SEQUENTIAL line: DefaultRow if empty. A field must
	// not contain ';' or a line break.
	Rows [][]string
	// Vars are the scenario's variables (see the package documentation).
	Vars map[string]string
	// Timeout is SIPp's global -timeout, reached as an error (exit 255):
	// DefaultUACTimeout if 0.
	Timeout time.Duration
	// ExtraArgs go last on the SIPp command line, so they override.
	ExtraArgs []string
}

// Process is a running SIPp.
type Process struct {
	t         testing.TB
	name      string
	dir       string
	ip        string
	port      int
	transport Transport
	cmd       *exec.Cmd
	stderr    bytes.Buffer // written by exec's copier until done
	done      chan struct{}
	exitCode  int

	mu       sync.Mutex
	result   *Result
	timedOut bool
}

// Addr returns the "ip:port" SIPp listens on.
func (p *Process) Addr() string { return net.JoinHostPort(p.ip, strconv.Itoa(p.port)) }

// IP returns the address SIPp listens on.
func (p *Process) IP() string { return p.ip }

// Port returns the port SIPp listens on.
func (p *Process) Port() int { return p.port }

// Done is closed when SIPp has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// StartUAS starts SIPp as a UAS and returns once it listens.
func StartUAS(t testing.TB, o UASOptions) *Process {
	t.Helper()
	path := Require(t)
	ip := cmp.Or(o.IP, DefaultIP)
	tr := cmp.Or(o.Transport, UDP)
	port := o.Port
	if port == 0 {
		port = FreePort(t, tr.network(), ip)
	}
	dir, scen, args := setup(t, "uas", o.Scenario, o.Vars, ip)
	if o.Calls > 0 {
		args = append(args, "-m", strconv.Itoa(o.Calls))
	}
	p := start(t, path, "uas "+o.Scenario, dir, ip, port, tr, scen, args, cmp.Or(o.Timeout, DefaultUASTimeout), o.ExtraArgs)
	p.awaitListening()
	return p
}

// StartUAC starts SIPp as a UAC and returns at once, for a test that acts
// while the calls are up (an API hangup against uac_wait_bye, say); Wait
// collects the Result.
func StartUAC(t testing.TB, o UACOptions) *Process {
	t.Helper()
	path := Require(t)
	if o.Target == "" {
		t.Fatalf("sipptest: UACOptions.Target is empty")
	}
	ip := cmp.Or(o.IP, DefaultIP)
	tr := cmp.Or(o.Transport, UDP)
	port := o.Port
	if port == 0 {
		port = FreePort(t, tr.network(), ip)
	}
	dir, scen, args := setup(t, "uac", o.Scenario, o.Vars, ip)

	rows := o.Rows
	if len(rows) == 0 {
		rows = [][]string{DefaultRow}
	}
	var inf strings.Builder
	inf.WriteString("SEQUENTIAL\n")
	for i, row := range rows {
		for _, f := range row {
			if strings.ContainsAny(f, ";\r\n") {
				t.Fatalf("sipptest: row %d field %q contains ';' or a line break", i, f)
			}
			inf.WriteString(f + ";")
		}
		inf.WriteString("\n")
	}
	infPath := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(infPath, []byte(inf.String()), 0o644); err != nil {
		t.Fatalf("sipptest: write injection file: %v", err)
	}
	args = append(args, "-inf", infPath, "-m", strconv.Itoa(cmp.Or(o.Calls, len(rows))))
	if o.Rate > 0 {
		args = append(args, "-r", strconv.FormatFloat(o.Rate, 'f', -1, 64))
	}
	if o.RatePeriod > 0 {
		args = append(args, "-rp", strconv.FormatInt(o.RatePeriod.Milliseconds(), 10))
	}
	if o.Limit > 0 {
		args = append(args, "-l", strconv.Itoa(o.Limit))
	}
	args = append([]string{o.Target}, args...)
	return start(t, path, "uac "+o.Scenario, dir, ip, port, tr, scen, args, cmp.Or(o.Timeout, DefaultUACTimeout), o.ExtraArgs)
}

// RunUAC runs SIPp as a UAC to its end and returns its Result. SIPp ends
// itself at Timeout at the latest; a SIPp that outlives it by 10 s is
// killed (Result.TimedOut).
func RunUAC(t testing.TB, o UACOptions) Result {
	t.Helper()
	p := StartUAC(t, o)
	return p.Wait(cmp.Or(o.Timeout, DefaultUACTimeout) + 10*time.Second)
}

// setup makes the directory of one SIPp run, writes its scenario there
// and returns the scenario path and the arguments for its variables.
func setup(t testing.TB, role, scenario string, vars map[string]string, ip string) (dir, path string, args []string) {
	t.Helper()
	dir, err := os.MkdirTemp(t.TempDir(), role+"-")
	if err != nil {
		t.Fatalf("sipptest: %v", err)
	}
	path, args, err = prepareScenario(dir, scenario, vars)
	if err != nil {
		t.Fatalf("sipptest: %v", err)
	}
	// SIPp's control socket defaults to 0.0.0.0:8888 and up; keep it on
	// the test's own address and a free port.
	args = append(args, "-ci", ip, "-cp", strconv.Itoa(FreePort(t, "udp", ip)))
	return dir, path, args
}

// The files of a run, in its directory.
const (
	messagesFile = "messages.log"
	errorsFile   = "errors.log"
	statsFile    = "stats.csv"
	screenFile   = "screen.log"
)

func start(t testing.TB, sippPath, name, dir, ip string, port int, tr Transport, scenario string, args []string, timeout time.Duration, extra []string) *Process {
	t.Helper()
	full := append([]string{
		"-sf", scenario,
		"-i", ip, "-p", strconv.Itoa(port), "-t", string(tr),
		"-nostdin",
		"-trace_msg", "-message_file", filepath.Join(dir, messagesFile),
		"-trace_err", "-error_file", filepath.Join(dir, errorsFile),
		"-trace_stat", "-stf", filepath.Join(dir, statsFile), "-fd", "1",
		"-trace_screen", "-screen_file", filepath.Join(dir, screenFile),
		"-timeout", strconv.FormatInt(timeout.Milliseconds(), 10) + "ms", "-timeout_error",
		"-buff_size", "4194304",
	}, args...)
	full = noZeroPause(append(full, extra...))

	p := &Process{t: t, name: name, dir: dir, ip: ip, port: port, transport: tr, done: make(chan struct{})}
	p.cmd = exec.Command(sippPath, full...)
	p.cmd.Dir = dir // SIPp writes any other file it makes to its working directory
	stdout, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatalf("sipptest: %v", err)
	}
	// The screen SIPp redraws each second: kept on disk, not in Result.
	p.cmd.Stdout = stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		stdout.Close()
		t.Fatalf("sipptest: start %s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		stdout.Close()
		p.exitCode = p.cmd.ProcessState.ExitCode()
		if err != nil && p.exitCode == 0 {
			p.exitCode = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	t.Logf("sipptest: %s: sipp %s", name, strings.Join(full, " "))
	return p
}

// noZeroPause makes the length of the scenarios' plain <pause/> (-d) at
// least 1 ms: SIPp 3.6.1 now and then never wakes a call paused for 0 ms
// (about one call in sixty here: a UAS stuck after its 180 until the
// caller gives up and cancels), and a millisecond is nothing to a test.
// Without -d, SIPp's default is 0, so one is added.
func noZeroPause(args []string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-d" {
			if args[i+1] == "0" {
				args[i+1] = "1"
			}
			return args
		}
	}
	return append(args, "-d", "1")
}

// awaitListening returns once SIPp's socket is bound, and fails the test
// if SIPp exits first or takes more than 10 s.
func (p *Process) awaitListening() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := listening(p.transport.network(), p.ip, p.port, p.cmd.Process.Pid)
		if err != nil {
			p.t.Fatalf("sipptest: %s: %v", p.name, err)
		}
		if ok {
			return
		}
		select {
		case <-p.done:
			r := p.collect()
			p.t.Fatalf("sipptest: %s exited before listening on %s:\n%s", p.name, p.Addr(), r.Diagnostics())
		case <-tick.C:
			if time.Now().After(deadline) {
				p.t.Fatalf("sipptest: %s does not listen on %s after 10 s", p.name, p.Addr())
			}
		}
	}
}

// Wait waits up to timeout for SIPp to exit and returns its Result. If it
// is still running then, Wait stops it as Stop does and marks the Result
// TimedOut. Later calls return the same Result.
func (p *Process) Wait(timeout time.Duration) Result {
	p.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.collect()
	case <-timer.C:
		p.mu.Lock()
		p.timedOut = p.result == nil
		p.mu.Unlock()
		return p.Stop()
	}
}

// Stop ends SIPp and returns its Result: SIGUSR1 first (SIPp's soft exit:
// no new calls, the running ones may finish, the screen file is written),
// then SIGINT after 2 s (exit at once, statistics still written), then
// SIGKILL after 2 s more.
func (p *Process) Stop() Result {
	p.t.Helper()
	for _, sig := range []os.Signal{syscall.SIGUSR1, syscall.SIGINT, os.Kill} {
		select {
		case <-p.done:
			return p.collect()
		default:
		}
		if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.t.Logf("sipptest: %s: signal %v: %v", p.name, sig, err)
		}
		timer := time.NewTimer(2 * time.Second)
		select {
		case <-p.done:
		case <-timer.C:
		}
		timer.Stop()
	}
	<-p.done
	return p.collect()
}

// collect builds the Result of an exited SIPp, once.
func (p *Process) collect() Result {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.result != nil {
		return *p.result
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(p.dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			p.t.Errorf("sipptest: %s: %v", p.name, err)
		}
		return string(b)
	}
	r := Result{
		Name:     p.name,
		ExitCode: p.exitCode,
		TimedOut: p.timedOut,
		Messages: read(messagesFile),
		Errors:   read(errorsFile),
		Screen:   read(screenFile),
		Stderr:   p.stderr.String(),
	}
	r.Stats = parseStats(read(statsFile))
	r.Successful = r.Stat("SuccessfulCall(C)")
	r.Failed = r.Stat("FailedCall(C)")
	r.Retransmissions = r.Stat("Retransmissions(C)")
	r.msgs = parseMessageLog(r.Messages)
	p.result = &r
	return r
}

// listening reports whether process pid has a socket listening on
// ip:port for network: a UDP socket bound there, or a TCP one in LISTEN,
// found in /proc/net and matched by inode to the process's descriptors.
// (A probe by binding or connecting would race with, or disturb, SIPp;
// and the address alone could be another process's.)
func listening(network, ip string, port, pid int) (bool, error) {
	addr := net.ParseIP(ip)
	if addr == nil {
		return false, fmt.Errorf("bad IP %q", ip)
	}
	file, want := "/proc/net/"+network, addr.To4()
	if want == nil {
		file, want = file+"6", addr.To16()
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return false, fmt.Errorf("cannot tell whether SIPp listens: %w", err)
	}
	inodes := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 10 {
			continue
		}
		hexIP, hexPort, _ := strings.Cut(f[1], ":")
		pn, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil || int(pn) != port {
			continue
		}
		if network == "tcp" && f[3] != "0A" { // TCP_LISTEN
			continue
		}
		got, err := procIP(hexIP)
		if err != nil {
			return false, fmt.Errorf("%s: %w", file, err)
		}
		if got.Equal(want) || got.IsUnspecified() {
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return false, nil
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false, nil // exited, or not yet visible: the caller polls
	}
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && inodes[link] {
			return true, nil
		}
	}
	return false, nil
}
