package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The exported helpers below are the setup and the worker loop that the
// stores' own tests and benchmarks share, so each store tests its
// specifics without writing the common part again.

// Subscribed creates the organisation "acme" in s with one subscription
// to url for events (every event when none is given), and returns both:
// the start of a test that needs deliveries.
func Subscribed(tb testing.TB, s switchboard.Store, url string, events ...string) (*switchboard.Organization, *switchboard.Webhook) {
	tb.Helper()
	ctx := tb.Context()
	org, _, err := s.EnsureOrganization(ctx, "acme")
	if err != nil {
		tb.Fatal(err)
	}
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: url, Events: events})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.CreateWebhook(ctx, org.ID, w); err != nil {
		tb.Fatal(err)
	}
	return org, w
}

// AllDelivered appends to results[:0] a successful attempt at at (200 "ok")
// for each of jobs, as a worker reports them, and returns it; results is
// reused across batches.
func AllDelivered(results []switchboard.DeliveryResult, jobs []*switchboard.DeliveryJob, at time.Time) []switchboard.DeliveryResult {
	results = results[:0]
	for _, j := range jobs {
		results = append(results, switchboard.DeliveryResult{ID: j.ID, Status: switchboard.DeliveryDelivered,
			Attempt: switchboard.DeliveryAttempt{AttemptedAt: at, StatusCode: 200, LatencyMS: 5, ResponseExcerpt: "ok"}})
	}
	return results
}
