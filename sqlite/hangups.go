package sqlite

import (
	"context"
	"sync"
)

// hangupHub delivers hangup requests between the edges of this process.
// An SQLite database serves one node, so a request for another node has
// nobody to reach and is dropped.
type hangupHub struct {
	mu   sync.Mutex
	subs map[string][]func(orgID, callID string)
}

// RequestHangup implements switchboard.HangupRelay within this process.
func (db *Driver) RequestHangup(_ context.Context, node, orgID, callID string) error {
	db.hangups.mu.Lock()
	subs := append([]func(string, string){}, db.hangups.subs[node]...)
	db.hangups.mu.Unlock()
	for _, fn := range subs {
		fn(orgID, callID)
	}
	return nil
}

// SubscribeHangups implements switchboard.HangupRelay within this process.
func (db *Driver) SubscribeHangups(ctx context.Context, node string, fn func(orgID, callID string)) error {
	h := &db.hangups
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[string][]func(string, string){}
	}
	h.subs[node] = append(h.subs[node], fn)
	i := len(h.subs[node]) - 1
	h.mu.Unlock()
	<-ctx.Done()
	h.mu.Lock()
	h.subs[node][i] = func(string, string) {}
	h.mu.Unlock()
	return nil
}
