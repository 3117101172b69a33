package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// POST /v1/phone-numbers/{id}/test-call places a real SIP call to the
// number from the node's own user agent (switchboard.TestCaller) and
// answers, once the call is over, with what it met. The response is
// synchronous: the caller (a person at `switchboard call`, a CI job) wants
// the whole story in one answer, and a call is bounded (its setup by
// switchboard.TestCallSetupLimit, its hold by MaxTestCallHold), so the
// request lifts the server's write timeout for itself to that bound.

// testCallRecordWait is how long the response waits, after the call, for
// its record to be final in the store: the SIP edge writes records in
// batches, a little after the call ends.
const testCallRecordWait = 10 * time.Second

// testCallBody is the request: both members optional.
type testCallBody struct {
	// From is the caller's number (E.164); default the number itself.
	From switchboard.Optional[string] `json:"from"`
	// Hold is how long, in seconds, the test user agent stays on the
	// line once the call is answered (0 to MaxTestCallHold); default
	// DefaultTestCallHold.
	Hold switchboard.Optional[int] `json:"hold"`
}

// handleTestCall places the test call and answers once it is over.
func (s *Server) handleTestCall(w http.ResponseWriter, r *http.Request) error {
	var b testCallBody
	if body, err := readBody(r); err != nil {
		return err
	} else if len(body) > 0 {
		if err := decodeJSON(body, &b); err != nil {
			return err
		}
	}
	ctx, org := r.Context(), apiKey(r.Context()).OrganizationID
	pn, err := s.store.FindPhoneNumber(ctx, org, r.PathValue("id"))
	if err != nil {
		return err
	}
	from := pn.E164
	if b.From.Set && !b.From.Null {
		if from, err = switchboard.NormalizeE164(b.From.Value, ""); err != nil {
			return switchboard.FieldError("from", "from must be a phone number in E.164 form (+14155550123)")
		}
	}
	hold := switchboard.DefaultTestCallHold
	if b.Hold.Set && !b.Hold.Null {
		hold = time.Duration(b.Hold.Value) * time.Second
		if hold < 0 || hold > switchboard.MaxTestCallHold {
			return switchboard.FieldError("hold", "hold must be between 0 and %d seconds", int(switchboard.MaxTestCallHold/time.Second))
		}
	}
	route, err := s.explainRoute(ctx, org, pn)
	if err != nil {
		return err
	}
	if s.testCaller == nil {
		return switchboard.Errorf(switchboard.ECodeUnavailable, "The call plane is not running here: test calls cannot be placed.")
	}
	// Best effort: a writer that cannot lift it (a test's recorder) has
	// no timeout to lift.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(
		switchboard.TestCallTimeLimit(hold) + testCallRecordWait + 10*time.Second))
	res, err := s.testCaller.TestCall(ctx, switchboard.TestCallRequest{OrganizationID: org, Number: pn, From: from, Hold: hold})
	if err != nil {
		return err
	}
	out := switchboard.TestCallReport{CallID: res.CallID, PhoneNumberID: pn.ID, Number: pn.Number, From: from,
		Hold: int(hold / time.Second), Route: route, SIPResponses: res.Responses, Answered: res.Answered,
		HungUpBy: res.HungUpBy, Error: res.Error, Events: []*switchboard.CallEvent{}}
	if out.SIPResponses == nil {
		out.SIPResponses = []switchboard.SIPResponse{}
	}
	if res.CallID != "" {
		if out.Call, out.Events, err = s.finalCall(ctx, org, res.CallID); err != nil {
			return err
		}
		if out.Call != nil {
			out.Status = out.Call.Status
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// finalCall waits (up to testCallRecordWait) for the call's record to be
// final, and returns it with its timeline; the record as it is then if it
// never gets there, nil if it was never written.
func (s *Server) finalCall(ctx context.Context, org, id string) (*switchboard.Call, []*switchboard.CallEvent, error) {
	deadline := time.Now().Add(testCallRecordWait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var call *switchboard.Call
	for {
		c, err := s.store.FindCall(ctx, org, id)
		switch {
		case err == nil:
			call = c
		case switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound:
			return nil, nil, err
		}
		if (call != nil && switchboard.CallEnded(call.Status)) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-tick.C:
		}
	}
	if call == nil {
		return nil, []*switchboard.CallEvent{}, nil
	}
	evs, err := s.store.ListCallEvents(ctx, org, id)
	if err != nil {
		return nil, nil, err
	}
	return call, evs, nil
}
