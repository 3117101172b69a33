package sipedge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/callrec"
	"github.com/switchboard-voice/switchboard/internal/dbtest"
	"github.com/switchboard-voice/switchboard/internal/sipptest"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// origEdge is a running edge with a real store and recorder, for
// API-originated calls against SIPp carriers and agents.
type origEdge struct {
	*Edge
	db    *sqlite.DB
	orgID string
}

// startOrigEdge starts an edge on 127.0.0.1 (port 0) with a SQLite store;
// tweak may change its configuration. It drains when the test ends.
func startOrigEdge(t *testing.T, tweak func(*Config)) *origEdge {
	t.Helper()
	db, orgID := dbtest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := Config{
		Addr: "127.0.0.1:0", Node: "test-node", Routing: db, Logger: log,
		TryingTimeout: 2 * time.Second, // short, for the dead addresses; not too short for a busy machine
		OpenRecorder: func(ctx context.Context, node string) (switchboard.CallRecorder, error) {
			return callrec.Open(ctx, callrec.Config{Store: db, Node: node, Logger: log})
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Drain(ctx)
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &origEdge{Edge: e, db: db, orgID: orgID}
}

// outbound is an API-originated call from +15550001000 to +15550002000
// through a trunk at the given addresses to the agent at agentURI.
func (o *origEdge) outbound(agentURI string, trunkAddrs ...string) *switchboard.OutboundCall {
	return &switchboard.OutboundCall{
		OrganizationID: o.orgID,
		Number:         &switchboard.PhoneNumber{ID: "pn_test", OrganizationID: o.orgID, E164: "+15550001000"},
		To:             "+15550002000",
		Endpoint: &switchboard.Endpoint{ID: "ep_test", OrganizationID: o.orgID, Type: switchboard.EndpointAgent,
			URL: agentURI, Status: "active"},
		Trunk: &switchboard.Trunk{ID: "trk_test", OrganizationID: o.orgID, Address: trunkAddrs[0],
			FailoverAddresses: trunkAddrs[1:], Transport: "udp", NumberFormat: "e164", Status: "active"},
		Metadata:    []byte(`{"campaign":"test"}`),
		RingTimeout: 10 * time.Second,
	}
}

// originate places oc and returns its record, failing the test on error.
func (o *origEdge) originate(t *testing.T, oc *switchboard.OutboundCall) *switchboard.Call {
	t.Helper()
	c, err := o.Originate(t.Context(), oc)
	if err != nil {
		t.Fatalf("originate: %v", err)
	}
	if c.Status != switchboard.CallInitiated || c.Direction != switchboard.DirectionOutbound ||
		c.FromNumber != oc.Number.E164 || c.ToNumber != oc.To || c.Node != "test-node" {
		t.Fatalf("originated record %+v", c)
	}
	// Durable before Originate returned.
	stored, err := o.db.FindCall(t.Context(), o.orgID, c.ID)
	if err != nil {
		t.Fatalf("the initiated record is not stored: %v", err)
	}
	if *stored.PhoneNumberID != "pn_test" || *stored.EndpointID != "ep_test" {
		t.Errorf("stored record %+v", stored)
	}
	return c
}

// waitEvent polls the organisation's event log until the call emitted an
// event of type typ: a call's changes before its answer emit their events
// without writing its record.
func (o *origEdge) waitEvent(t *testing.T, id, typ string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		evs, _, err := o.db.ListEvents(t.Context(), o.orgID, switchboard.EventFilter{Types: []string{typ}, Page: switchboard.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var d switchboard.CallEventData
			if json.Unmarshal(ev.Data, &d) == nil && d.CallID == id {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("call %s never emitted %s", id, typ)
}

// waitStatus polls the stored record until it has one of the statuses,
// and returns it.
func (o *origEdge) waitStatus(t *testing.T, id string, statuses ...string) *switchboard.Call {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last *switchboard.Call
	for time.Now().Before(deadline) {
		c, err := o.db.FindCall(t.Context(), o.orgID, id)
		if err == nil {
			last = c
			if slices.Contains(statuses, c.Status) {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("call %s never reached %v; last %+v", id, statuses, last)
	return nil
}

// waitLive polls until the edge holds no live call.
func (o *origEdge) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for o.LiveCalls() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still live", o.LiveCalls())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// timeline returns the types of the call's timeline entries, in order.
// liveTimeline is the timeline the edge holds for a live call, whose
// record is written only once the call is connected or ends.
func (o *origEdge) liveTimeline(id string) []string {
	v, ok := o.byID.Load(id)
	if !ok {
		return nil
	}
	c := v.(*call)
	c.mu.Lock()
	defer c.mu.Unlock()
	var types []string
	for _, e := range c.record.Timeline {
		types = append(types, e.Type)
	}
	return types
}

func (o *origEdge) timeline(t *testing.T, id string) []string {
	t.Helper()
	evs, err := o.db.ListCallEvents(t.Context(), o.orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

// scenario is the absolute path of one of this package's SIPp scenarios
// (SIPp runs in a directory of its own).
func scenario(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", "sipp", name+".xml"))
	return p
}

// sipURI is a sip: URI for a SIPp at addr.
func sipURI(user, addr string) string { return "sip:" + user + "@" + addr }

// deadAddr is an address on which nothing answers SIP over UDP.
func deadAddr(t *testing.T, ip string) string {
	return net.JoinHostPort(ip, strconv.Itoa(sipptest.FreePort(t, "udp", ip)))
}

// ackPorts returns the media ports of the SDP in the first ACK the
// carrier received: the one of its 200 to our INVITE.
func ackPorts(t *testing.T, r sipptest.Result) []int {
	t.Helper()
	acks := r.Requests("ACK")
	if len(acks) == 0 {
		t.Fatalf("the carrier got no ACK\n%s", r.Diagnostics())
	}
	return mediaPorts([]byte(acks[0].Body))
}

// TestOriginateCompleted: the callee answers with an offer, the agent
// gets it (with the outbound headers, and our number as the Request-URI
// user for a provider that routes by number) and answers, the callee
// gets that answer in its ACK; then either side's BYE completes the call.
func TestOriginateCompleted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip       string
		carrier, agent string
		agentVars      map[string]string
		maxDuration    time.Duration
		by, cause      string
	}{
		{"callee hangs up", "127.0.2.1", scenario("carrier_bye_first"), "uas_answer", nil, 0, switchboard.HangupByCaller, switchboard.HangupUser},
		{"agent hangs up", "127.0.2.2", "uas_carrier_late_offer", "uas_bye_first", nil, 0, switchboard.HangupByAgent, switchboard.HangupAgent},
		// The agent answers after the callee's INVITE transaction is
		// gone (Timer M, the transaction linger): the ACK still goes.
		{"slow agent", "127.0.2.3", scenario("carrier_bye_first"), "uas_answer", map[string]string{"ring": "5000"}, 0,
			switchboard.HangupByCaller, switchboard.HangupUser},
		{"maximum duration", "127.0.2.4", "uas_carrier_late_offer", "uas_answer", nil, 500 * time.Millisecond,
			switchboard.HangupBySystem, switchboard.HangupTimeout},
		// The callee puts the call on hold (a re-INVITE relayed to the
		// agent, its answer back), then hangs up.
		{"callee re-INVITE", "127.0.2.5", scenario("carrier_reinvite"), scenario("../../../cmd/switchboard/testdata/sipp/uas_reinvite"), nil, 0,
			switchboard.HangupByCaller, switchboard.HangupUser},
		// The agent puts the callee on hold (a re-INVITE relayed to the
		// callee, a leg we placed), then the callee hangs up.
		{"agent re-INVITE", "127.0.2.7", scenario("carrier_take_reinvite"), scenario("agent_reinvite"), nil, 0,
			switchboard.HangupByCaller, switchboard.HangupUser},
		// The trunk on TCP: the callee's BYE comes over our connection.
		{"trunk over TCP", "127.0.2.6", scenario("carrier_bye_first"), "uas_answer", nil, 0, switchboard.HangupByCaller, switchboard.HangupUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, nil)
			tcp := strings.Contains(tc.name, "TCP")
			transport := sipptest.UDP
			if tcp {
				transport = sipptest.TCP
			}
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.carrier, IP: tc.ip, Calls: 1, Transport: transport,
				ExtraArgs: []string{"-d", "300"}})
			agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.agent, IP: tc.ip, Calls: 1, Vars: tc.agentVars})
			oc := o.outbound(sipURI("agent", agent.Addr()), carrier.Addr())
			oc.MaxDuration = tc.maxDuration
			if tcp {
				oc.Trunk.Transport = switchboard.TransportTCP
			}
			oc.Endpoint.ProviderConfig = &switchboard.ProviderConfig{Provider: switchboard.ProviderLiveKit}
			c := o.originate(t, oc)

			cr := carrier.Wait(20 * time.Second)
			cr.ExpectCalls(t, 1, 0)
			ar := agent.Wait(20 * time.Second)
			ar.ExpectCalls(t, 1, 0)
			if ports := ackPorts(t, cr); len(ports) != 1 || ports[0] == 0 {
				t.Errorf("the callee's ACK answers with ports %v, want the agent's", ports)
			}
			inv := cr.Requests("INVITE")[0]
			if inv.Body != "" || inv.Header("X-Switchboard-Call-Id") != c.ID {
				t.Errorf("callee INVITE body %q, X-Switchboard-Call-Id %q", inv.Body, inv.Header("X-Switchboard-Call-Id"))
			}
			ainv := ar.Requests("INVITE")[0]
			if u := sipptest.URIUser(ainv.RequestURI); u != oc.Number.E164 {
				t.Errorf("agent Request-URI user %q, want our number %s", u, oc.Number.E164)
			}
			if u := sipptest.URIUser(ainv.Header("From")); u != oc.To {
				t.Errorf("agent INVITE From user %q (%s), want the callee %s", u, ainv.Header("From"), oc.To)
			}
			for h, want := range map[string]string{"X-Switchboard-Direction": "outbound", "X-Switchboard-To": oc.To, "X-Switchboard-Call-Id": c.ID} {
				if got := ainv.Header(h); got != want {
					t.Errorf("agent INVITE %s: %q, want %q", h, got, want)
				}
			}
			if !strings.Contains(ainv.Body, "o=callee") {
				t.Errorf("the agent's INVITE does not carry the callee's offer:\n%s", ainv.Body)
			}

			got := o.waitStatus(t, c.ID, switchboard.CallCompleted)
			if got.HangupBy != tc.by || got.HangupCause != tc.cause || got.AnsweredAt == nil || got.CompletedAt == nil ||
				got.Direction != switchboard.DirectionOutbound {
				t.Errorf("record %+v, want completed by %s (%s)", got, tc.by, tc.cause)
			}
			// The agent's ringing is on the timeline unless its 200
			// overtook its 180 (sipgo takes each in a goroutine of its own).
			want := []string{switchboard.EventCallInitiated, switchboard.EventCallRinging, switchboard.EventCallAnswered,
				eventAgentConnected, switchboard.EventCallCompleted}
			tl := slices.DeleteFunc(o.timeline(t, c.ID), func(s string) bool { return s == eventAgentRinging })
			if !slices.Equal(tl, want) {
				t.Errorf("timeline %v, want %v", tl, want)
			}
			o.waitIdle(t)
		})
	}
}

// TestOriginateNotAnswered: the callee is busy, does not answer in time,
// or is hung up on through the API while it rings (the 200 crossing the
// CANCEL too); the agent is never called.
func TestOriginateNotAnswered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip, carrier string
		ring              time.Duration
		hangup            bool // through the API once the callee rings
		status, reason    string
		sipStatus         int
		refusedACK        bool // the callee's 200 crossed our CANCEL
	}{
		{"busy", "127.0.2.10", "uas_busy", 0, false, switchboard.CallBusy, "busy", 486, false},
		{"no answer", "127.0.2.11", "uas_ring", time.Second, false, switchboard.CallNoAnswer, "ring_timeout", 480, false},
		{"hangup API while ringing", "127.0.2.12", "uas_ring", 0, true, switchboard.CallCanceled, "hangup_api", 487, false},
		{"answer crosses the CANCEL", "127.0.2.13", scenario("carrier_answer_on_cancel"), 0, true, switchboard.CallCanceled, "hangup_api", 487, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, nil)
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.carrier, IP: tc.ip, Calls: 1})
			// An agent that would fail the test if it were called.
			agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: tc.ip, Calls: 1})
			oc := o.outbound(sipURI("agent", agent.Addr()), carrier.Addr())
			if tc.ring > 0 {
				oc.RingTimeout = tc.ring
			}
			c := o.originate(t, oc)
			if tc.hangup {
				o.waitEvent(t, c.ID, switchboard.EventCallRinging)
				if err := o.Hangup(t.Context(), o.orgID, c.ID); err != nil {
					t.Fatalf("hangup: %v", err)
				}
			}
			cr := carrier.Wait(20 * time.Second)
			cr.ExpectCalls(t, 1, 0)
			got := o.waitStatus(t, c.ID, tc.status)
			if got.FailureReason != tc.reason || got.SIPStatus != tc.sipStatus || got.AnsweredAt != nil || got.CompletedAt == nil {
				t.Errorf("record %+v, want %s (%s, %d)", got, tc.status, tc.reason, tc.sipStatus)
			}
			if tc.refusedACK {
				if ports := ackPorts(t, cr); !slices.Equal(ports, []int{0}) {
					t.Errorf("the callee's ACK has ports %v, want the refusal [0]", ports)
				}
			}
			o.waitIdle(t)
			if n := len(agent.Stop().Requests("INVITE")); n != 0 {
				t.Errorf("the agent got %d INVITEs, want none", n)
			}
			if n := o.perTrunk.live("trk_test"); n != 0 {
				t.Errorf("%d trunk slots still taken", n)
			}
		})
	}
}

// TestOriginateAgentFails: once the callee answered, an agent that fails
// (503, unreachable, or still ringing at the bound of its setup) leaves
// the callee with an ACK that refuses its offer and a BYE; the call fails
// as agent_unreachable.
func TestOriginateAgentFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip string
		agent    string        // a scenario, or "" for an address nobody answers
		bound    time.Duration // the agent's setup bound, if not the default
	}{
		{"agent answers 503", "127.0.2.20", "uas_503", 0},
		{"agent unreachable", "127.0.2.21", "", 0},
		// The agent rings past the bound of its setup: it is cancelled.
		{"agent setup too long", "127.0.2.22", "uas_ring", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, nil)
			if tc.bound > 0 {
				o.agentSetup = tc.bound
			}
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_carrier_late_offer", IP: tc.ip, Calls: 1})
			agentAddr := deadAddr(t, tc.ip)
			var agent *sipptest.Process
			if tc.agent != "" {
				agent = sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.agent, IP: tc.ip, Calls: 1})
				agentAddr = agent.Addr()
			}
			c := o.originate(t, o.outbound(sipURI("agent", agentAddr), carrier.Addr()))
			cr := carrier.Wait(20 * time.Second)
			cr.ExpectCalls(t, 1, 0)
			if ports := ackPorts(t, cr); !slices.Equal(ports, []int{0}) {
				t.Errorf("the callee's ACK has ports %v, want the refusal [0]", ports)
			}
			if n := len(cr.Requests("BYE")); n != 1 {
				t.Errorf("the callee got %d BYEs, want 1", n)
			}
			if agent != nil {
				agent.Wait(10*time.Second).ExpectCalls(t, 1, 0)
			}
			got := o.waitStatus(t, c.ID, switchboard.CallFailed)
			if got.FailureReason != "agent_unreachable" || got.HangupCause != switchboard.HangupNetworkError {
				t.Errorf("record %+v, want failed agent_unreachable", got)
			}
			tl := o.timeline(t, c.ID)
			if !slices.Contains(tl, switchboard.EventCallAnswered) || !slices.Contains(tl, "call.target_failed") ||
				tl[len(tl)-1] != switchboard.EventCallFailed {
				t.Errorf("timeline %v", tl)
			}
			o.waitIdle(t)
		})
	}
}

// TestOriginateHangupConnected: the hangup API, or the node's drain, on
// a connected outbound call BYEs both sides and completes it.
func TestOriginateHangupConnected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip  string
		drain     bool
		by, cause string
	}{
		{"hangup API", "127.0.2.30", false, switchboard.HangupByAPI, switchboard.HangupNormalClearing},
		{"drain", "127.0.2.31", true, switchboard.HangupBySystem, switchboard.HangupShutdown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, nil)
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_carrier_late_offer", IP: tc.ip, Calls: 1})
			agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: tc.ip, Calls: 1})
			c := o.originate(t, o.outbound(sipURI("agent", agent.Addr()), carrier.Addr()))
			o.waitStatus(t, c.ID, switchboard.CallInProgress)
			if tc.drain {
				// Calls may go on for no time at all: they are hung up at once.
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				o.Drain(ctx)
			} else if err := o.Hangup(t.Context(), o.orgID, c.ID); err != nil {
				t.Fatalf("hangup: %v", err)
			}
			carrier.Wait(20*time.Second).ExpectCalls(t, 1, 0)
			agent.Wait(20*time.Second).ExpectCalls(t, 1, 0)
			got := o.waitStatus(t, c.ID, switchboard.CallCompleted)
			if got.HangupBy != tc.by || got.HangupCause != tc.cause {
				t.Errorf("record %+v, want completed by %s (%s)", got, tc.by, tc.cause)
			}
			o.waitIdle(t)
			var se *switchboard.Error
			if err := o.Hangup(t.Context(), o.orgID, c.ID); !errors.As(err, &se) || se.Code != switchboard.ECodeCallNotFound {
				t.Errorf("hangup of an ended call: %v, want %s", err, switchboard.ECodeCallNotFound)
			}
		})
	}
}

// TestOriginateTrunk: the callee is reached through the trunk's failover
// address when the first is down or answers 503, and with the trunk's
// credentials when the carrier challenges (401 and 407).
func TestOriginateTrunk(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip, carrier string
		vars              map[string]string
		first             string // the trunk's first address: "dead" (nobody answers), or a scenario; "": none
	}{
		{"failover, first address down", "127.0.2.40", "uas_carrier_late_offer", nil, "dead"},
		{"failover, first address 503", "127.0.2.43", "uas_carrier_late_offer", nil, "uas_503"},
		{"digest 401", "127.0.2.41", "uas_auth_401", map[string]string{"username": "trunkuser", "password": "trunkpass"}, ""},
		{"digest 407", "127.0.2.42", "uas_auth", map[string]string{"username": "trunkuser"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, nil)
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.carrier, IP: tc.ip, Calls: 1, Vars: tc.vars})
			agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_bye_first", IP: tc.ip, Calls: 1})
			addrs := []string{carrier.Addr()}
			switch tc.first {
			case "":
			case "dead":
				addrs = []string{deadAddr(t, tc.ip), carrier.Addr()}
			default:
				first := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.first, IP: tc.ip, Calls: 1})
				addrs = []string{first.Addr(), carrier.Addr()}
			}
			oc := o.outbound(sipURI("agent", agent.Addr()), addrs...)
			oc.Trunk.AuthUsername, oc.Trunk.AuthPassword = "trunkuser", "trunkpass"
			c := o.originate(t, oc)
			cr := carrier.Wait(20 * time.Second)
			cr.ExpectCalls(t, 1, 0)
			agent.Wait(20*time.Second).ExpectCalls(t, 1, 0)
			got := o.waitStatus(t, c.ID, switchboard.CallCompleted)
			if got.HangupBy != switchboard.HangupByAgent {
				t.Errorf("record %+v, want completed by the agent", got)
			}
			if tc.name == "digest 407" {
				invs := cr.Requests("INVITE")
				if len(invs) != 2 {
					t.Fatalf("the carrier got %d INVITEs, want 2", len(invs))
				}
				if err := invs[1].VerifyDigest("trunkuser", "trunkpass"); err != nil {
					t.Errorf("digest of the second INVITE: %v", err)
				}
			}
			tl := o.timeline(t, c.ID)
			if failover := tc.first != ""; failover != slices.Contains(tl, "call.target_failed") {
				t.Errorf("timeline %v: a failed target %v, want %v", tl, !failover, failover)
			}
			o.waitIdle(t)
		})
	}
}

// TestOriginateLimits: at the trunk's max_concurrent_calls, or the
// number's limit of live calls, a call is refused with
// CONCURRENT_LIMIT_EXCEEDED, places nothing and records nothing; the
// slot is free again once the live call ended. A draining node refuses
// with SERVICE_UNAVAILABLE.
func TestOriginateLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ip string
		tweak    func(*Config)
		trunkMax int
	}{
		{"trunk", "127.0.2.50", nil, 1},
		{"number", "127.0.2.51", func(c *Config) { c.MaxCallsPerNumber = 1 }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigEdge(t, tc.tweak)
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_ring", IP: tc.ip, Calls: 1})
			oc := o.outbound(sipURI("agent", deadAddr(t, tc.ip)), carrier.Addr())
			oc.Trunk.MaxConcurrentCalls = tc.trunkMax
			first := o.originate(t, oc)
			o.waitEvent(t, first.ID, switchboard.EventCallRinging)

			_, err := o.Originate(t.Context(), oc)
			var se *switchboard.Error
			if !errors.As(err, &se) || se.Code != switchboard.ECodeConcurrentLimit {
				t.Fatalf("second call: %v, want %s", err, switchboard.ECodeConcurrentLimit)
			}
			if _, n, err := o.db.ListCalls(t.Context(), o.orgID, switchboard.CallFilter{}); err != nil || n != 1 {
				t.Errorf("%d calls recorded (%v), want only the first", n, err)
			}

			if err := o.Hangup(t.Context(), o.orgID, first.ID); err != nil {
				t.Fatal(err)
			}
			carrier.Wait(20*time.Second).ExpectCalls(t, 1, 0)
			o.waitStatus(t, first.ID, switchboard.CallCanceled)
			o.waitIdle(t)
			if !o.acquireTrunk(oc.Trunk) || !o.acquireNumber(oc.Number.E164) {
				t.Fatal("the slots were not given back")
			}
			o.releaseTrunk(oc.Trunk)
			o.releaseNumber(oc.Number.E164)

			o.Drain(t.Context())
			_, err = o.Originate(t.Context(), oc)
			if !errors.As(err, &se) || se.Code != switchboard.ECodeUnavailable {
				t.Errorf("call while draining: %v, want %s", err, switchboard.ECodeUnavailable)
			}
		})
	}
}

// TestOriginateBridging: what ends a call while its agent is being
// dialled (the callee answered): the hangup API cancels the ringing agent
// and the callee gets the refused ACK and a BYE (completed: the callee
// had answered); a callee 200 without an offer is refused at once
// (failed, callee_no_offer).
func TestOriginateBridging(t *testing.T) {
	t.Parallel()
	t.Run("hangup API", func(t *testing.T) {
		t.Parallel()
		const ip = "127.0.2.60"
		o := startOrigEdge(t, nil)
		carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_carrier_late_offer", IP: ip, Calls: 1})
		agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_ring", IP: ip, Calls: 1})
		c := o.originate(t, o.outbound(sipURI("agent", agent.Addr()), carrier.Addr()))
		o.waitEvent(t, c.ID, switchboard.EventCallAnswered)
		// Hung up once the agent rings.
		deadline := time.Now().Add(10 * time.Second)
		for !slices.Contains(o.liveTimeline(c.ID), eventAgentRinging) {
			if time.Now().After(deadline) {
				t.Fatalf("the agent never rang: %v", o.liveTimeline(c.ID))
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := o.Hangup(t.Context(), o.orgID, c.ID); err != nil {
			t.Fatal(err)
		}
		agent.Wait(20*time.Second).ExpectCalls(t, 1, 0)
		cr := carrier.Wait(20 * time.Second)
		cr.ExpectCalls(t, 1, 0)
		if ports := ackPorts(t, cr); !slices.Equal(ports, []int{0}) {
			t.Errorf("the callee's ACK has ports %v, want the refusal [0]", ports)
		}
		got := o.waitStatus(t, c.ID, switchboard.CallCompleted)
		if got.HangupCause != switchboard.HangupNormalClearing || got.HangupBy != switchboard.HangupByAPI || got.AnsweredAt == nil {
			t.Errorf("record %+v, want completed through the API, answered", got)
		}
		if tl := o.timeline(t, c.ID); tl[len(tl)-1] != switchboard.EventCallCompleted {
			t.Errorf("timeline %v", tl)
		}
		o.waitIdle(t)
	})
	t.Run("no offer", func(t *testing.T) {
		t.Parallel()
		const ip = "127.0.2.61"
		o := startOrigEdge(t, nil)
		carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: scenario("carrier_no_offer"), IP: ip, Calls: 1})
		agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Calls: 1})
		c := o.originate(t, o.outbound(sipURI("agent", agent.Addr()), carrier.Addr()))
		carrier.Wait(20*time.Second).ExpectCalls(t, 1, 0)
		got := o.waitStatus(t, c.ID, switchboard.CallFailed)
		if got.FailureReason != "callee_no_offer" {
			t.Errorf("record %+v", got)
		}
		o.waitIdle(t)
		if n := len(agent.Stop().Requests("INVITE")); n != 0 {
			t.Errorf("the agent got %d INVITEs", n)
		}
	})
}

// TestOriginateWebhookEndpoint: a webhook endpoint is asked, once the
// callee answered, with call.initiated for an outbound call, and the
// target of its reply gets the agent INVITE with the reply's headers.
func TestOriginateWebhookEndpoint(t *testing.T) {
	t.Parallel()
	const ip = "127.0.2.70"
	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_bye_first", IP: ip, Calls: 1})
	asked := make(chan []byte, 1)
	o := startOrigEdge(t, func(c *Config) {
		c.Ask = func(_ context.Context, url, secret, _ string, body []byte) ([]byte, error) {
			if url != "https://hooks.example/route" || secret != "whsec_test" {
				t.Errorf("asked %s with secret %q", url, secret)
			}
			asked <- body
			return []byte(`{"action":"dial","targets":[{"uri":"` + sipURI("agent", agent.Addr()) + `","headers":{"X-Lead":"42"}}]}`), nil
		}
	})
	carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_carrier_late_offer", IP: ip, Calls: 1})
	oc := o.outbound("", carrier.Addr())
	oc.Endpoint.Type, oc.Endpoint.URL, oc.Endpoint.Secret = switchboard.EndpointWebhook, "https://hooks.example/route", "whsec_test"
	c := o.originate(t, oc)

	var body []byte
	select {
	case body = <-asked:
	case <-time.After(20 * time.Second):
		got, _ := o.db.FindCall(t.Context(), o.orgID, c.ID)
		t.Fatalf("the webhook endpoint was never asked; record %+v, timeline %v", got, o.timeline(t, c.ID))
	}
	var msg struct {
		Event string `json:"event"`
		Data  struct {
			switchboard.CallEventData
			SIP webhookSIP `json:"sip"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	if d := msg.Data; msg.Event != switchboard.EventCallInitiated || d.CallID != c.ID || d.Direction != switchboard.DirectionOutbound ||
		d.ToNumber != oc.To || d.FromNumber != oc.Number.E164 || d.Status != switchboard.CallAnswered || d.SIP.CallID != c.SIPCallID ||
		d.SIP.SourceIP != "" || len(d.SIP.Headers) != 0 {
		t.Errorf("call.initiated asked: %s", body)
	}
	carrier.Wait(20*time.Second).ExpectCalls(t, 1, 0)
	ar := agent.Wait(20 * time.Second)
	ar.ExpectCalls(t, 1, 0)
	if inv := ar.Requests("INVITE")[0]; inv.Header("X-Lead") != "42" || inv.Header("X-Switchboard-Direction") != "outbound" {
		t.Errorf("agent INVITE headers %v", inv.Headers)
	}
	o.waitStatus(t, c.ID, switchboard.CallCompleted)
	o.waitIdle(t)
}

// TestCalleeOutcome: a callee's final status is recorded as any carrier's
// (busy, no_answer, the carrier_ reasons), with the status itself kept.
func TestCalleeOutcome(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status       int
		call, reason string
		cause        string
	}{
		{486, switchboard.CallBusy, "busy", switchboard.HangupBusy},
		{600, switchboard.CallBusy, "busy", switchboard.HangupBusy},
		{480, switchboard.CallNoAnswer, "no_answer", switchboard.HangupNoAnswer},
		{408, switchboard.CallNoAnswer, "no_answer", switchboard.HangupNoAnswer},
		{603, switchboard.CallFailed, "declined", switchboard.HangupRejected},
		{404, switchboard.CallFailed, "carrier_rejected", switchboard.HangupRejected},
		{407, switchboard.CallFailed, "carrier_rejected", switchboard.HangupRejected},
		{503, switchboard.CallFailed, "carrier_error", switchboard.HangupNetworkError},
	} {
		o := calleeOutcome(tc.status)
		if o.status != tc.status || o.call != tc.call || o.reason != tc.reason || o.cause != tc.cause {
			t.Errorf("calleeOutcome(%d) = %+v, want %s %s %s", tc.status, o, tc.call, tc.reason, tc.cause)
		}
	}
	if o := outcomeTrunkUnreachable; o.reason != "carrier_unreachable" || o.status != 0 || o.call != switchboard.CallFailed {
		t.Errorf("outcomeTrunkUnreachable = %+v", o)
	}
}
