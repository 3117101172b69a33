package switchboard_test

import (
	"slices"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	number := func(inbound bool) *switchboard.PhoneNumber {
		return &switchboard.PhoneNumber{ID: "pn_1", Number: "+2348012345678", AllowInbound: inbound}
	}
	endpoint := func(id, typ, status string) *switchboard.Endpoint {
		return &switchboard.Endpoint{ID: id, Type: typ, Status: status}
	}
	agent := endpoint("ep_agent", switchboard.EndpointAgent, switchboard.StatusActive)
	hook := endpoint("ep_hook", switchboard.EndpointWebhook, switchboard.StatusActive)
	idleAgent := endpoint("ep_idle", switchboard.EndpointAgent, switchboard.StatusInactive)
	idleHook := endpoint("ep_idlehook", switchboard.EndpointWebhook, switchboard.StatusInactive)
	primary := func(e *switchboard.Endpoint) switchboard.RouteTarget { return switchboard.RouteTarget{Endpoint: e} }
	fallback := func(e *switchboard.Endpoint) switchboard.RouteTarget {
		return switchboard.RouteTarget{Endpoint: e, Fallback: true}
	}
	type want struct {
		result  string
		targets []switchboard.RouteTarget
		reason  string
		sip     int // 0: routed
	}
	routed := func(reason string, targets ...switchboard.RouteTarget) want {
		return want{result: targets[0].Endpoint.Type, targets: targets, reason: reason}
	}
	reject := func(reason string, status int) want {
		return want{result: switchboard.RouteReject, reason: reason, sip: status}
	}

	tests := []struct {
		name string
		in   switchboard.RouteInput
		want want
	}{
		{"no number", switchboard.RouteInput{}, reject(switchboard.ReasonNumberNotFound, 404)},
		{"no number, endpoints ignored", switchboard.RouteInput{Endpoint: agent, Fallback: hook},
			reject(switchboard.ReasonNumberNotFound, 404)},
		{"inbound disabled", switchboard.RouteInput{Number: number(false), Endpoint: agent, Fallback: hook},
			reject(switchboard.ReasonInboundDisabled, 404)},
		{"agent", switchboard.RouteInput{Number: number(true), Endpoint: agent},
			routed(switchboard.ReasonRouted, primary(agent))},
		{"webhook", switchboard.RouteInput{Number: number(true), Endpoint: hook},
			routed(switchboard.ReasonRouted, primary(hook))},
		{"active primary first, then the fallback", switchboard.RouteInput{Number: number(true), Endpoint: agent, Fallback: hook},
			routed(switchboard.ReasonRouted, primary(agent), fallback(hook))},
		{"active primary, inactive fallback", switchboard.RouteInput{Number: number(true), Endpoint: agent, Fallback: idleHook},
			routed(switchboard.ReasonRouted, primary(agent))},
		{"fallback is the endpoint", switchboard.RouteInput{Number: number(true), Endpoint: agent, Fallback: agent},
			routed(switchboard.ReasonRouted, primary(agent))},
		{"no endpoint", switchboard.RouteInput{Number: number(true)}, reject(switchboard.ReasonNoEndpoint, 480)},
		{"no endpoint, fallback", switchboard.RouteInput{Number: number(true), Fallback: hook},
			routed(switchboard.ReasonNoEndpoint, fallback(hook))},
		{"no endpoint, inactive fallback", switchboard.RouteInput{Number: number(true), Fallback: idleHook},
			reject(switchboard.ReasonNoEndpoint, 480)},
		{"inactive", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent}, reject(switchboard.ReasonEndpointInactive, 480)},
		{"inactive, fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleHook, Fallback: agent},
			routed(switchboard.ReasonEndpointInactive, fallback(agent))},
		{"inactive, inactive fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent, Fallback: idleHook},
			reject(switchboard.ReasonEndpointInactive, 480)},
		{"inactive, missing fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent},
			reject(switchboard.ReasonEndpointInactive, 480)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := switchboard.Route(tt.in)
			if got.Result() != tt.want.result || got.Reason != tt.want.reason || !slices.Equal(got.Targets, tt.want.targets) {
				t.Errorf("Route() = %s %s %+v, want %s %s %+v", got.Result(), got.Reason, got.Targets,
					tt.want.result, tt.want.reason, tt.want.targets)
			}
			switch {
			case tt.want.sip == 0 && got.Reject != nil:
				t.Errorf("routed call rejected with %+v", *got.Reject)
			case tt.want.sip != 0 && (got.Reject == nil || got.Reject.SIPStatus != tt.want.sip):
				t.Errorf("Route().Reject = %+v, want SIP %d", got.Reject, tt.want.sip)
			case tt.want.sip != 0 && len(got.Targets) != 0:
				t.Errorf("rejected call has targets %+v", got.Targets)
			}
		})
	}
}

func TestRoutedEndpointIDs(t *testing.T) {
	t.Parallel()
	id := func(s string) *string { return &s }
	num := func(ep, fb *string) *switchboard.PhoneNumber {
		return &switchboard.PhoneNumber{EndpointID: ep, FallbackEndpointID: fb}
	}
	tests := []struct {
		name    string
		numbers []*switchboard.PhoneNumber
		want    []string
	}{
		{"none", nil, []string{}},
		{"detached", []*switchboard.PhoneNumber{num(nil, nil)}, []string{}},
		{"endpoint and fallback", []*switchboard.PhoneNumber{num(id("ep_a"), id("ep_b"))}, []string{"ep_a", "ep_b"}},
		{"fallback only", []*switchboard.PhoneNumber{num(nil, id("ep_b"))}, []string{"ep_b"}},
		{"each once", []*switchboard.PhoneNumber{num(id("ep_a"), id("ep_a")), num(id("ep_b"), id("ep_a")), num(id("ep_b"), nil)}, []string{"ep_a", "ep_b"}},
	}
	for _, tt := range tests {
		got := switchboard.RoutedEndpointIDs(tt.numbers)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: RoutedEndpointIDs = %q, want %q", tt.name, got, tt.want)
		}
	}
}
