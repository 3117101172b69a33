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
	reject := func(reason string, status int) switchboard.Decision {
		return switchboard.Decision{Result: switchboard.RouteReject, Reason: reason, SIPStatus: status}
	}

	tests := []struct {
		name string
		in   switchboard.RouteInput
		want switchboard.Decision
	}{
		{"no number", switchboard.RouteInput{}, reject(switchboard.ReasonNumberNotFound, 404)},
		{"no number, endpoints ignored", switchboard.RouteInput{Endpoint: agent, Fallback: hook},
			reject(switchboard.ReasonNumberNotFound, 404)},
		{"inbound disabled", switchboard.RouteInput{Number: number(false), Endpoint: agent, Fallback: hook},
			reject(switchboard.ReasonInboundDisabled, 404)},
		{"agent", switchboard.RouteInput{Number: number(true), Endpoint: agent},
			switchboard.Decision{Result: switchboard.RouteAgent, EndpointID: "ep_agent", Reason: switchboard.ReasonRouted}},
		{"webhook", switchboard.RouteInput{Number: number(true), Endpoint: hook},
			switchboard.Decision{Result: switchboard.RouteWebhook, EndpointID: "ep_hook", Reason: switchboard.ReasonRouted}},
		{"active primary wins over fallback", switchboard.RouteInput{Number: number(true), Endpoint: agent, Fallback: hook},
			switchboard.Decision{Result: switchboard.RouteAgent, EndpointID: "ep_agent", Reason: switchboard.ReasonRouted}},
		{"no endpoint", switchboard.RouteInput{Number: number(true)}, reject(switchboard.ReasonNoEndpoint, 480)},
		{"no endpoint, fallback", switchboard.RouteInput{Number: number(true), Fallback: hook},
			switchboard.Decision{Result: switchboard.RouteWebhook, EndpointID: "ep_hook", UsedFallback: true, Reason: switchboard.ReasonNoEndpoint}},
		{"no endpoint, inactive fallback", switchboard.RouteInput{Number: number(true), Fallback: idleHook},
			reject(switchboard.ReasonNoEndpoint, 480)},
		{"inactive", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent}, reject(switchboard.ReasonEndpointInactive, 480)},
		{"inactive, fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleHook, Fallback: agent},
			switchboard.Decision{Result: switchboard.RouteAgent, EndpointID: "ep_agent", UsedFallback: true, Reason: switchboard.ReasonEndpointInactive}},
		{"inactive, inactive fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent, Fallback: idleHook},
			reject(switchboard.ReasonEndpointInactive, 480)},
		{"inactive, missing fallback", switchboard.RouteInput{Number: number(true), Endpoint: idleAgent},
			reject(switchboard.ReasonEndpointInactive, 480)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := switchboard.Route(tt.in); got != tt.want {
				t.Errorf("Route() = %+v, want %+v", got, tt.want)
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
