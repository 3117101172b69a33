package client

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// TestCallParams is the body of TestCallPhoneNumber; both members are
// optional.
type TestCallParams struct {
	// From is the caller's number (E.164); "" means the called number.
	From string `json:"from,omitempty"`
	// Hold is how long the test user agent stays on the line once the
	// call is answered, in whole seconds from 0 to 60; nil means 10 s.
	Hold *int `json:"hold,omitempty"`
}

// TestCall is what a test call met (POST /v1/phone-numbers/{id}/test-call):
// the server's own type.
type TestCall = switchboard.TestCallReport

// TestCallPhoneNumber places a real SIP call to the organisation's number
// id from the node's own user agent and returns, once the call is over,
// what it met (POST /v1/phone-numbers/{id}/test-call). The request lasts
// as long as the call (up to 90 s of setup plus the hold), so this call
// lifts the client's HTTP timeout for itself when it is shorter; ctx still
// bounds it, and ending ctx hangs the call up.
func (c *Client) TestCallPhoneNumber(ctx context.Context, id string, p TestCallParams) (*TestCall, error) {
	hold := switchboard.DefaultTestCallHold
	if p.Hold != nil {
		hold = time.Duration(*p.Hold) * time.Second
	}
	limit := switchboard.TestCallTimeLimit(hold) + 30*time.Second
	cc := c
	if c.hc.Timeout > 0 && c.hc.Timeout < limit {
		hc := *c.hc
		hc.Timeout = limit
		copied := *c
		copied.hc = &hc
		cc = &copied
	}
	return call[TestCall](ctx, cc, "POST", "/phone-numbers/"+pathID(id)+"/test-call", nil, p)
}
