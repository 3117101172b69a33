package storetest

import (
	"context"
	"sync"
	"time"
)

// testHangupRelay: a hangup requested for a node reaches that node's
// subscriber, and not another node's.
func testHangupRelay(f *fixture) {
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var mu sync.Mutex
	var got []string
	done := make(chan error, 1)
	go func() {
		done <- f.s.SubscribeHangups(ctx, "node-a", func(orgID, callID string) {
			mu.Lock()
			got = append(got, orgID+"/"+callID)
			mu.Unlock()
		})
	}()
	// The subscription may not listen yet: ask again until it hears.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := f.s.RequestHangup(f.ctx, "node-b", "org_x", "call_other"); err != nil {
			f.t.Fatal(err)
		}
		if err := f.s.RequestHangup(f.ctx, "node-a", "org_x", "call_mine"); err != nil {
			f.t.Fatal(err)
		}
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatal("the hangup request never reached node-a's subscriber")
		}
		time.Sleep(20 * time.Millisecond) // pace the requests; the condition is polled above
	}
	mu.Lock()
	for _, g := range got {
		if g != "org_x/call_mine" {
			f.t.Errorf("node-a received %q", g)
		}
	}
	mu.Unlock()
	cancel()
	if err := <-done; err != nil {
		f.t.Errorf("SubscribeHangups: %v", err)
	}
}
