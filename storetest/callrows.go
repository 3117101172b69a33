package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/callrec"
)

// RunCallRowWrites checks the bound on a call's record writes (issue #18):
// through the real recorder (with its journal) and a store over the
// driver open returns (fresh, migrated, empty), a call's row is written at
// most twice, when it is answered or fails and when it ends, whatever the
// number of its state changes; once for a call that fails. It counts the
// rows the driver's UpsertCalls writes, the one statement that writes
// calls rows, in committed transactions only. Every catalogue event is in
// the event log exactly once, and the row holds the whole timeline.
//
// The updates go through the recorder each in its own batch (SaveStored
// waits for each one's commit), so that no coalescing helps, and all at
// once (Save), as the SIP edge hands them over under load.
func RunCallRowWrites(t *testing.T, open func(t *testing.T) switchboard.Driver) {
	for _, split := range []bool{true, false} {
		t.Run(fmt.Sprintf("split=%v", split), func(t *testing.T) {
			t.Parallel()
			testCallRowWrites(t, open(t), split)
		})
	}
}

// callSteps are the changes of a call through the edge, in order: the
// entry type and the status the call is in from then on ("" keeps it).
type callStep struct{ typ, status string }

var (
	// An inbound call that rings two targets, fails over, rings again,
	// is answered, changes media (timeline-only entries stand for the
	// changes the edge makes between answer and end) and completes.
	answeredSteps = []callStep{
		{switchboard.EventCallInitiated, switchboard.CallInitiated},
		{switchboard.EventCallRinging, switchboard.CallRinging},
		{"call.target_failed", ""},
		{"call.failover", ""},
		{switchboard.EventCallRinging, switchboard.CallRinging},
		{"call.agent_ringing", ""},
		{switchboard.EventCallAnswered, switchboard.CallInProgress},
		{"call.agent_connected", ""},
		{"call.reinvite", ""},
		{switchboard.EventCallCompleted, switchboard.CallCompleted},
	}
	// A call that rings, fails over and fails.
	failedSteps = []callStep{
		{switchboard.EventCallInitiated, switchboard.CallInitiated},
		{switchboard.EventCallRinging, switchboard.CallRinging},
		{"call.failover", ""},
		{"call.target_failed", ""},
		{switchboard.EventCallFailed, switchboard.CallFailed},
	}
)

func testCallRowWrites(t *testing.T, d switchboard.Driver, split bool) {
	ctx := t.Context()
	counter := &rowCounter{Driver: d, rows: map[string]int{}}
	svc := switchboard.NewService(counter, switchboard.SystemClock)
	org, _, err := svc.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://hooks.example.com/calls", Events: []string{"call.*"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateWebhook(ctx, org.ID, w); err != nil {
		t.Fatal(err)
	}
	rec, err := callrec.Open(ctx, callrec.Config{Journal: t.TempDir(), Node: "node-a", Store: svc,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}

	calls := []struct {
		steps []callStep
		rows  int
	}{{answeredSteps, 2}, {failedSteps, 1}, {answeredSteps, 2}, {failedSteps, 1}}
	records := make([]*switchboard.Call, len(calls))
	for i, tc := range calls {
		now := time.Now().UTC()
		c := &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: org.ID,
			Direction: switchboard.DirectionInbound, FromNumber: numNG1, ToNumber: numUS1,
			SIPCallID: switchboard.RandomBase62(16) + "@carrier.example.com", Node: "node-a", CreatedAt: now}
		records[i] = c
		for k, s := range tc.steps {
			if s.status != "" {
				c.Status = s.status
			}
			at := now.Add(time.Duration(k) * time.Millisecond)
			switch s.status {
			case switchboard.CallInProgress:
				c.AnsweredAt = &at
			case switchboard.CallCompleted, switchboard.CallFailed:
				c.CompletedAt = &at
			}
			upd := c.Record(s.typ, "", at)
			if s.typ == switchboard.EventCallAnswered {
				upd.EventsOnly = false // as the edge saves the answer, its first durable state
			}
			switch {
			case split:
				err = rec.SaveStored(ctx, upd)
			case s.typ == switchboard.EventCallAnswered:
				err = rec.SaveDurable(ctx, upd) // as the edge saves the answer
			default:
				rec.Save(upd)
			}
			if err != nil {
				t.Fatalf("call %d, step %s: %v", i, s.typ, err)
			}
			if split && i == 0 && k == 1 {
				checkEventsOnly(t, svc, counter, c, upd)
			}
		}
	}
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}

	for i, tc := range calls {
		c := records[i]
		// Batches that merge a call's updates may write its row once.
		if got := counter.count(c.ID); got > tc.rows || (split && got != tc.rows) || got == 0 {
			t.Errorf("call %d (%d changes, %s, split %v): its row was written %d times, want %d",
				i, len(tc.steps), c.Status, split, got, tc.rows)
		}
		stored, err := svc.FindCall(ctx, org.ID, c.ID)
		if err != nil || stored.Status != c.Status {
			t.Fatalf("call %d: %+v, %v; want %s", i, stored, err, c.Status)
		}
		evs, err := svc.ListCallEvents(ctx, org.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, ev := range evs {
			got = append(got, ev.Type)
		}
		for _, s := range tc.steps {
			want = append(want, s.typ)
		}
		if !slices.Equal(got, want) {
			t.Errorf("call %d: timeline %v, want %v", i, got, want)
		}
	}
	// Each catalogue entry is one event in the log, no more.
	events, _, err := svc.ListEvents(ctx, org.ID, switchboard.EventFilter{Types: []string{"call.*"}, Page: switchboard.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	perType := map[string]int{}
	for _, ev := range events {
		perType[ev.Type]++
	}
	want := map[string]int{}
	for _, tc := range calls {
		for _, s := range tc.steps {
			if switchboard.IsCallEvent(s.typ) {
				want[s.typ]++
			}
		}
	}
	if fmt.Sprint(perType) != fmt.Sprint(want) {
		t.Errorf("events in the log by type: %v, want %v", perType, want)
	}
}

// checkEventsOnly checks a call whose updates so far were all events-only
// (upd the last): no record yet, its events emitted, and saving upd again
// (a retried batch) emits nothing and writes no row.
func checkEventsOnly(t *testing.T, svc *switchboard.Service, counter *rowCounter, c *switchboard.Call, upd switchboard.CallUpdate) {
	t.Helper()
	ctx := t.Context()
	if _, err := svc.FindCall(ctx, c.OrganizationID, c.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
		t.Errorf("a call saved events-only so far: FindCall = %v, want CALL_NOT_FOUND", err)
	}
	if n := counter.count(c.ID); n != 0 {
		t.Errorf("a call saved events-only so far: %d row writes, want 0", n)
	}
	before := eventCount(t, svc, c.OrganizationID)
	if before == 0 {
		t.Error("the events-only updates emitted nothing")
	}
	if err := svc.SaveCalls(ctx, []switchboard.CallUpdate{upd}); err != nil {
		t.Fatal(err)
	}
	if n := eventCount(t, svc, c.OrganizationID); n != before {
		t.Errorf("an events-only update saved again: %d events in the log, want %d", n, before)
	}
	if n := counter.count(c.ID); n != 0 {
		t.Errorf("an events-only update saved again wrote the row %d times", n)
	}
}

func eventCount(t *testing.T, svc *switchboard.Service, orgID string) int {
	t.Helper()
	_, total, err := svc.ListEvents(t.Context(), orgID, switchboard.EventFilter{Page: switchboard.Page{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// rowCounter is a driver that counts, by call, the rows its UpsertCalls
// writes in transactions that commit.
type rowCounter struct {
	switchboard.Driver
	mu   sync.Mutex
	rows map[string]int
}

// Write counts the rows fn's transaction writes once it commits.
func (d *rowCounter) Write(ctx context.Context, fn func(tx switchboard.Tx) error) error {
	var ids []string
	err := d.Driver.Write(ctx, func(tx switchboard.Tx) error {
		ids = ids[:0] // the driver may run fn again
		return fn(countingTx{tx, &ids})
	})
	if err == nil {
		d.mu.Lock()
		for _, id := range ids {
			d.rows[id]++
		}
		d.mu.Unlock()
	}
	return err
}

func (d *rowCounter) count(callID string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rows[callID]
}

// countingTx records the calls whose rows UpsertCalls writes.
type countingTx struct {
	switchboard.Tx
	ids *[]string
}

func (tx countingTx) UpsertCalls(ctx context.Context, calls []*switchboard.Call) error {
	for _, c := range calls {
		*tx.ids = append(*tx.ids, c.ID)
	}
	return tx.Tx.UpsertCalls(ctx, calls)
}
