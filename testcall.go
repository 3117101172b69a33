package switchboard

import (
	"context"
	"time"
)

// Test calls (POST /v1/phone-numbers/{id}/test-call): the node places a
// real SIP call into itself from a user agent of its own, so the call
// goes through admission, routing, the endpoint, failover and the records
// exactly as a carrier's would, with no carrier. Its record and its
// events say test: true.

// Bounds of a test call's hold: how long the test user agent stays on
// the line once the call is answered before it hangs up.
const (
	DefaultTestCallHold = 10 * time.Second
	MaxTestCallHold     = 60 * time.Second
)

// TestCallSetupLimit bounds a test call's setup, from the INVITE to its
// final response (every webhook, every target's ring timeout): past it
// the test user agent cancels. A failover through two agents at the
// default ring timeout (30 s each) fits.
const TestCallSetupLimit = 90 * time.Second

// TestCallTimeLimit bounds a whole test call held for hold: its setup,
// the hold and the BYE's transaction (64×T1, 32 s).
func TestCallTimeLimit(hold time.Duration) time.Duration {
	return TestCallSetupLimit + hold + 32*time.Second
}

// TestCallRequest is one test call to place: to Number (which belongs to
// OrganizationID), from From (E.164), held Hold once answered.
type TestCallRequest struct {
	OrganizationID string
	Number         *PhoneNumber
	From           string
	Hold           time.Duration
}

// SIPResponse is one SIP response the test user agent received.
type SIPResponse struct {
	// Method is the request it answers: INVITE, or BYE for our hangup.
	Method string `json:"method"`
	Status int    `json:"status"`
	Reason string `json:"reason"`
	// ElapsedMS is the time since the INVITE was sent, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// TestCallResult is what the test user agent saw of its call.
type TestCallResult struct {
	// CallID is the call's record (empty when the node refused the INVITE
	// before recording anything).
	CallID string
	// Responses are every SIP response received, in order.
	Responses []SIPResponse
	// Answered reports a 2xx to the INVITE.
	Answered bool
	// HungUpBy is who ended an answered call: "test" (our BYE after the
	// hold) or "node" (a BYE from the node: the agent hung up).
	HungUpBy string
	// Error says why the call could not be followed to its end (no
	// response, a transport error); empty when it was.
	Error string
}

// TestCaller places test calls. The SIP edge implements it.
type TestCaller interface {
	// TestCall places req's call and follows it to its end. It fails
	// (UNAVAILABLE) only when no call can be placed at all, as on a
	// draining node; what the call met is in the result.
	TestCall(ctx context.Context, req TestCallRequest) (*TestCallResult, error)
}
