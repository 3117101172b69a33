package postgres

import (
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// BenchmarkSaveCalls is sqlite's BenchmarkSaveCalls on PostgreSQL: batches
// of 64 updates, each with 2 timeline entries, a quarter of them new
// calls, moving calls through initiated, ringing (events-only), in
// progress and completed (the two row writes). ns/update is the cost of
// one update, its 2 entries, 2 events and (with 2 subscriptions) 4
// deliveries.
func BenchmarkSaveCalls(b *testing.B) {
	adminPool(b)
	b.Run("subscriptions=2", func(b *testing.B) { benchmarkSaveCalls(b, [][]string{{"call.*"}, {"*"}}) })
	b.Run("subscriptions=0", func(b *testing.B) { benchmarkSaveCalls(b, nil) })
}

func benchmarkSaveCalls(b *testing.B, filters [][]string) {
	ctx := b.Context()
	db, _ := openTest(b, nil)
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
