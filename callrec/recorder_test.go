package callrec

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func TestCoalesce(t *testing.T) {
	t.Parallel()
	upd := func(id, status, typ string) recItem {
		return recItem{upd: switchboard.CallUpdate{
			Call:   &switchboard.Call{ID: id, Status: status},
			Events: []*switchboard.CallEvent{{Type: typ, Status: status}},
		}}
	}
	batch := []recItem{
		upd("a", "initiated", "call.initiated"),
		upd("b", "initiated", "call.initiated"),
		upd("a", "ringing", "call.ringing"),
		upd("a", "in_progress", "call.answered"),
	}
	out := coalesce(batch)
	if len(out) != 2 || out[0].Call.ID != "a" || out[1].Call.ID != "b" {
		t.Fatalf("calls: %+v", out)
	}
	a := out[0]
	if a.Call.Status != "in_progress" || len(a.Events) != 3 {
		t.Fatalf("merged a: %+v", a)
	}
	for i, want := range []string{"initiated", "ringing", "in_progress"} {
		if ev := a.Events[i]; ev.Data == nil || ev.Data.Status != want {
			t.Errorf("event %d keeps status %+v, want %s", i, ev.Data, want)
		}
	}
	if out[1].Events[0].Data != nil {
		t.Errorf("an unmerged update needs no per-event data")
	}
	// The batch's own updates are untouched in length: a retry one by one
	// writes each as it was.
	if len(batch[0].upd.Events) != 1 {
		t.Errorf("coalesce grew the first update's events")
	}
}

// flakyCalls fails the first failures SaveCalls, as a database that is
// briefly unreachable does, then keeps what it is given.
type flakyCalls struct {
	switchboard.CallService
	mu       sync.Mutex
	failures int
	saved    []switchboard.CallUpdate
}

func (f *flakyCalls) SaveCalls(_ context.Context, u []switchboard.CallUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errors.New("connection refused")
	}
	f.saved = append(f.saved, u...)
	return nil
}

// TestRecorderOutlastsOutage: updates handed over while the database
// fails are written once it is back, not dropped.
func TestRecorderOutlastsOutage(t *testing.T) {
	t.Parallel()
	store := &flakyCalls{failures: 4}
	r := newRecorder(store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.Save(switchboard.CallUpdate{Call: &switchboard.Call{ID: "call_a", Status: "initiated"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.SaveDurable(ctx, switchboard.CallUpdate{Call: &switchboard.Call{ID: "call_b", Status: "in_progress"}}); err != nil {
		t.Fatalf("durable save through an outage: %v", err)
	}
	r.Close(ctx)
	store.mu.Lock()
	defer store.mu.Unlock()
	ids := map[string]bool{}
	for _, u := range store.saved {
		ids[u.Call.ID] = true
	}
	if !ids["call_a"] || !ids["call_b"] {
		t.Fatalf("saved %v, want both calls", ids)
	}
}
