package switchboard

import "context"

// CallRecorder makes the SIP edge's call updates durable without putting
// the database on the SIP path: the edge hands each update over, in its
// call's order, and goes on. A record, once a call was answered, is never
// lost.
type CallRecorder interface {
	// Save hands an update over without waiting for it to be stored. It
	// waits only when the recorder is too far behind to take more.
	Save(u CallUpdate)
	// SaveDurable hands an update over and returns once it survives a
	// crash of this process, or with the error that kept it from doing so
	// (ctx's among them). The edge waits for it before it connects an
	// answered call.
	SaveDurable(ctx context.Context, u CallUpdate) error
	// SaveStored hands an update over and returns once it is in the
	// store, where the API reads calls, or with the error that kept it
	// out (ctx's among them). An API-originated call waits for it, so that
	// the call its 201 names is found by the GET that follows.
	SaveStored(ctx context.Context, u CallUpdate) error
	// Close stores every update handed over, then takes no more. It
	// returns an error when ctx ends first; what was not stored then is
	// left to the next start, when the recorder can keep it.
	Close(ctx context.Context) error
}
