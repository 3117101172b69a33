package sipedge

import (
	"testing"

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
