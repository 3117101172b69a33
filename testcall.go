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

// TestCallReport is what a test call met as the API shows it
// (POST /v1/phone-numbers/{id}/test-call): the server writes it and the
// SDK reads it.
type TestCallReport struct {
	// CallID is the call's record; "" when the node recorded no call.
	CallID        string `json:"call_id"`
	PhoneNumberID string `json:"phone_number_id"`
	Number        string `json:"number"`
	From          string `json:"from"`
	Hold          int    `json:"hold"`
	// Route is the routing decision, as GET /phone-numbers/{id}/route
	// answers it, taken when the call was placed.
	Route RouteExplanation `json:"route"`
	// SIPResponses are every SIP response the test user agent received,
	// with the milliseconds since its INVITE.
	SIPResponses []SIPResponse `json:"sip_responses"`
	Answered     bool          `json:"answered"`
	// HungUpBy is "test" (the test user agent, after the hold) or "node"
	// (the agent hung up) for an answered call.
	HungUpBy string `json:"hung_up_by,omitempty"`
	// Error says why the call could not be followed to its end.
	Error string `json:"error,omitempty"`
	// Status is the call's final status in its record ("" when the node
	// recorded no call).
	Status string       `json:"status"`
	Call   *Call        `json:"call"`
	Events []*CallEvent `json:"events"`
}

// TestCaller places test calls. The SIP edge implements it.
type TestCaller interface {
	// TestCall places req's call and follows it to its end. It fails
	// (UNAVAILABLE) only when no call can be placed at all, as on a
	// draining node; what the call met is in the result.
	TestCall(ctx context.Context, req TestCallRequest) (*TestCallResult, error)
}
