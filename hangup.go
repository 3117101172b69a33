package switchboard

import "context"

// HangupStore is what HangUp reads and writes: the call records and the
// relay to other nodes.
type HangupStore interface {
	CallService
	HangupRelay
}

// HangUp asks for the end of the organisation's live call, as the API and
// the dashboard do: through calls (this node's SIP edge, nil when the call
// plane does not run here) when node carries it, else relayed through the
// store to the node that does. The stored record is read first so that an
// unknown call is CALL_NOT_FOUND and an ended one a CONFLICT whether or not
// the call plane runs here. The edge ends the legs and then writes the
// record, so the record may still show the call live for a moment.
//
// A call not yet answered has no record (its row is written when it is
// answered or fails): when the store has none, this node's edge is asked,
// and ends the call if it holds it; no other node is, since only the
// record would say which one does.
func HangUp(ctx context.Context, store HangupStore, calls CallControl, node, orgID, id string) error {
	call, err := store.FindCall(ctx, orgID, id)
	if ErrorCode(err) == ECodeCallNotFound && calls != nil && ValidID(PrefixCall, id) {
		if err := calls.Hangup(ctx, orgID, id); ErrorCode(err) != ECodeCallNotFound {
			return err // hung up here (nil), or why not
		}
		return callNotFound(id)
	}
	if err != nil {
		return err
	}
	if CallEnded(call.Status) {
		return callEnded(call)
	}
	if calls == nil {
		return Errorf(ECodeUnavailable, "The call plane is not running: call %s cannot be hung up here.", id)
	}
	if call.Node != "" && node != "" && call.Node != node {
		// Another node holds the call's dialogs: relay the hangup to it.
		return store.RequestHangup(ctx, call.Node, orgID, id)
	}
	err = calls.Hangup(ctx, orgID, id)
	if ErrorCode(err) == ECodeCallNotFound {
		return notLive(ctx, store, orgID, id)
	}
	return err
}

// notLive explains why this node's SIP edge has no live call that the
// store holds as not yet ended and as this node's: it ended meanwhile
// (CONFLICT, as an ended call), it is gone (CALL_NOT_FOUND), or an earlier
// run of this node left it open (CONFLICT: nobody can end it now).
func notLive(ctx context.Context, store CallService, orgID, id string) error {
	call, err := store.FindCall(ctx, orgID, id)
	if err != nil {
		return err
	}
	if CallEnded(call.Status) {
		return callEnded(call)
	}
	return &Error{
		Code:    ECodeConflict,
		Message: "Call " + id + " is not live on node " + call.Node + ": the node stopped before the call ended; it closes the record when it starts again.",
		Details: map[string]any{"status": call.Status, "node": call.Node},
	}
}

// callEnded is the CONFLICT of hanging up a call that is over.
func callEnded(call *Call) error {
	return &Error{
		Code:    ECodeConflict,
		Message: "Call " + call.ID + " already ended (" + call.Status + ").",
		Details: map[string]any{"status": call.Status},
	}
}
