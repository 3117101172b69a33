package sqlite

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// TestCallQueryPlans checks that the call lists, the timeline and the
// restart's scan read their indexes, in list order, without sorting.
func TestCallQueryPlans(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	list := `SELECT ` + switchboard.CallColumns + ` FROM calls WHERE organization_id = ? %s ORDER BY created_at DESC, id DESC LIMIT 10`
	for _, tc := range []struct{ query, index string }{
		{strings.Replace(list, "%s", "", 1), "calls_org_created"},
		{strings.Replace(list, "%s", "AND direction = 'inbound' AND created_at >= 5", 1), "calls_org_created"},
		{strings.Replace(list, "%s", "AND status = 'completed'", 1), "calls_org_status"},
		{strings.Replace(list, "%s", "AND phone_number_id = 'pn_x'", 1), "calls_org_number"},
		{strings.Replace(list, "%s", "AND endpoint_id = 'ep_x'", 1), "calls_org_endpoint"},
		{strings.Replace(openCallsSQL, "?", "'node-a'", 1), "calls_open"},
		{strings.NewReplacer("?", "'x'").Replace(callTimelineSQL), "sqlite_autoindex_calls_1"},
	} {
		rows, err := db.d.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tc.query, "o")
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		// The restart's scan sorts a node's few open calls by ID, and the
		// timeline a call's few entries; the lists must not sort.
		sorts := strings.Contains(got, "TEMP B-TREE") && strings.HasPrefix(tc.index, "calls_org")
		if !strings.Contains(got, "INDEX "+tc.index) || sorts {
			t.Errorf("%s\nplan: %s\nwant it to use %s without sorting", tc.query, got, tc.index)
		}
	}
}

// BenchmarkSaveCalls measures SaveCalls as the SIP edge drives it: batches
// of 64 updates, each with 2 timeline entries, in an organisation with 2
// subscriptions that match them, for calls to an agent endpoint. Each
// batch moves 64 calls in flight one step on (initiated, ringing, in
// progress, completed), a quarter of them new calls, so it inserts and
// updates as the edge does: the first two steps events-only, the answer
// and the end writing the call's row with its timeline so far. ns/update
// is the cost of one update, its 2 entries, 2 events and 4 deliveries;
// rows/call counts the rows a call's four updates insert or update, as
// SQLite's total_changes() counts them (calls, timeline, events and
// deliveries rows).
func BenchmarkSaveCalls(b *testing.B) {
	// With two subscriptions every call event fans out to deliveries; with
	// none (the SIP benchmark's set-up) only the records are written.
	b.Run("subscriptions=2", func(b *testing.B) { benchmarkSaveCalls(b, [][]string{{"call.*"}, {"*"}}) })
	b.Run("subscriptions=0", func(b *testing.B) { benchmarkSaveCalls(b, nil) })
}

func benchmarkSaveCalls(b *testing.B, filters [][]string) {
	ctx := b.Context()
	db := openTest(b, filepath.Join(b.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	for _, filter := range filters {
		w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://example.com/in", Events: filter})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.CreateWebhook(ctx, org.ID, w); err != nil {
			b.Fatal(err)
		}
	}
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{
		Name: "Support", Type: switchboard.EndpointAgent,
		ProviderConfig: map[string]any{"provider": switchboard.ProviderElevenLabs, "agent_id": "agent-1"},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, org.ID, ep); err != nil {
		b.Fatal(err)
	}
	pn := switchboard.NewID(switchboard.PrefixNumber)

	const batchSize = 64
	steps := []struct{ status, ev1, ev2 string }{
		{switchboard.CallInitiated, switchboard.EventCallInitiated, switchboard.EventCallRinging},
		{switchboard.CallRinging, switchboard.EventCallRinging, switchboard.EventCallAnswered},
		{switchboard.CallInProgress, switchboard.EventCallAnswered, switchboard.EventCallRinging},
		{switchboard.CallCompleted, switchboard.EventCallCompleted, switchboard.EventCallFailed},
	}
	calls := make([]*switchboard.Call, batchSize)
	stage := make([]int, batchSize)
	for i := range calls {
		stage[i] = i % len(steps) // staggered, so every batch has each step
	}
	batch := make([]switchboard.CallUpdate, batchSize)
	changes := func() int64 {
		var n int64
		if err := db.d.writer.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := changes()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		now := time.Now().UTC()
		for i := range calls {
			if stage[i] == 0 || calls[i] == nil {
				calls[i] = &switchboard.Call{
					ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: org.ID,
					Direction: switchboard.DirectionInbound, FromNumber: "+2348031234567", ToNumber: "+14155550101",
					PhoneNumberID: &pn, EndpointID: &ep.ID, SIPCallID: "a84b4c76e66710@carrier.example.com",
					Node: "node-a", CreatedAt: now,
				}
			}
			s := steps[stage[i]]
			calls[i].Status, calls[i].UpdatedAt = s.status, now
			evs := []*switchboard.CallEvent{
				switchboard.NewCallEntry(calls[i], s.ev1, now, ""),
				switchboard.NewCallEntry(calls[i], s.ev2, now, ""),
			}
			calls[i].Timeline = append(calls[i].Timeline, *evs[0], *evs[1])
			c := *calls[i]
			batch[i] = switchboard.CallUpdate{Call: &c, Events: evs}
			batch[i].EventsOnly = stage[i] < 2
			stage[i] = (stage[i] + 1) % len(steps)
		}
		if err := db.SaveCalls(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	updates := float64(b.N * batchSize)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/updates, "ns/update")
	// The CPU this process spent (its goroutines, the GC, and SQLite's
	// work, which runs in process) is steadier than the wall clock on a
	// machine shared with other work.
	b.ReportMetric(float64(processCPU(b)-cpu0)/updates, "cpu-ns/update")
	b.ReportMetric(float64(changes()-before)/(updates/float64(len(steps))), "rows/call")
}

// processCPU returns the user and system CPU time of this process so far,
// in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
