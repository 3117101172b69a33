package storetest

import "context"

// testPing: an open store answers the health check, and a check whose
// time is up fails instead of waiting.
func testPing(f *fixture) {
	if err := f.s.Ping(f.ctx); err != nil {
		f.t.Fatalf("Ping on an open store: %v", err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := f.s.Ping(ctx); err == nil {
		f.t.Errorf("Ping with a cancelled context succeeded")
	}
}
