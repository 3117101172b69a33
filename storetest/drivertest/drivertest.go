// Package drivertest is the conformance suite of switchboard.Driver, like
// River's riverdrivertest: what each SQL driver must do on its own, below
// the rules the Service adds (storetest covers those, over both drivers).
// Extend it whenever the semantics of a driver method change.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Run runs the suite; open returns a migrated driver on an empty database,
// closed when t ends.
func Run(t *testing.T, open func(t *testing.T) switchboard.Driver) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d switchboard.Driver)
	}{
		{"LeaseExclusive", testLeaseExclusive},
		{"NotifyOnCommit", testNotifyOnCommit},
		{"OutboxRoundTrip", testOutboxRoundTrip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// seed creates an organisation with one subscription and n events, each
// with one pending delivery to it, due now, written in one outbox batch.
func seed(t *testing.T, d switchboard.Driver, n int) (orgID, webhookID string, b *switchboard.OutboxBatch) {
	t.Helper()
	ctx := t.Context()
	now := switchboard.SystemClock()
	org, _, err := d.EnsureOrganization(ctx, switchboard.NewID(switchboard.PrefixOrg), "acme", now)
	if err != nil {
		t.Fatalf("EnsureOrganization: %v", err)
	}
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://example.com/in"})
	if err != nil {
		t.Fatal(err)
	}
	w.ID, w.OrganizationID, w.CreatedAt, w.UpdatedAt = switchboard.NewID(switchboard.PrefixWebhook), org.ID, now, now
	b = &switchboard.OutboxBatch{OrganizationID: org.ID, At: now}
	for i := range n {
		ev := switchboard.NewID(switchboard.PrefixEvent)
		b.EventIDs = append(b.EventIDs, ev)
		b.EventTypes = append(b.EventTypes, switchboard.EventEndpointCreated)
		b.EventData = append(b.EventData, fmt.Sprintf(`{"n":%d}`, i))
		b.DeliveryIDs = append(b.DeliveryIDs, switchboard.NewID(switchboard.PrefixDelivery))
		b.DeliveryEventIDs = append(b.DeliveryEventIDs, ev)
		b.DeliveryTypes = append(b.DeliveryTypes, switchboard.EventEndpointCreated)
		b.DeliveryURLs = append(b.DeliveryURLs, w.URL)
		b.DeliveryWebhookIDs = append(b.DeliveryWebhookIDs, &w.ID)
		b.DeliveryEndpointIDs = append(b.DeliveryEndpointIDs, nil)
	}
	err = d.Write(ctx, func(tx switchboard.Tx) error {
		if err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		return tx.InsertOutbox(ctx, b)
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return org.ID, w.ID, b
}

// testLeaseExclusive: workers claiming at once never hold the same lease,
// and a held lease is not claimed again.
func testLeaseExclusive(t *testing.T, d switchboard.Driver) {
	const n = 20
	_, _, b := seed(t, d, n)
	ctx := t.Context()
	claimed := map[string]string{} // delivery → owner
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error // as many as a broken driver makes
	claim := func(owner string) {
		jobs, err := d.ClaimDeliveries(ctx, owner, n, time.Minute)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, j := range jobs {
			if prev, ok := claimed[j.ID]; ok {
				errs = append(errs, fmt.Errorf("delivery %s leased to %s and %s", j.ID, prev, owner))
			}
			claimed[j.ID] = owner
		}
	}
	for _, owner := range []string{"w1", "w2"} {
		wg.Go(func() { claim(owner) })
	}
	wg.Wait()
	claim("w3") // takes what the two left, nothing they hold
	for _, err := range errs {
		t.Error(err)
	}
	if len(claimed) != n {
		t.Errorf("claimed %d deliveries, want %d", len(claimed), n)
	}
	for _, id := range b.DeliveryIDs {
		if claimed[id] == "" {
			t.Errorf("delivery %s never claimed", id)
		}
	}
	if jobs, err := d.ClaimDeliveries(ctx, "w4", n, time.Minute); err != nil || len(jobs) != 0 {
		t.Errorf("claim while every lease is held = %d jobs, %v; want none", len(jobs), err)
	}
}

// testNotifyOnCommit: a routing change is announced if and only if its
// transaction commits.
func testNotifyOnCommit(t *testing.T, d switchboard.Driver) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan string, 16)
	done := make(chan error, 1)
	go func() { done <- d.SubscribeChanges(ctx, func(orgID string) { got <- orgID }) }()
	deadline := time.After(10 * time.Second)
	// The first call, "" (reload everything), says the subscription listens.
	select {
	case org := <-got:
		if org != "" {
			t.Fatalf("first change = %q, want \"\"", org)
		}
	case <-deadline:
		t.Fatal("no first change before the deadline")
	}
	rolledBack, committed := switchboard.NewID(switchboard.PrefixOrg), switchboard.NewID(switchboard.PrefixOrg)
	boom := errors.New("boom")
	err := d.Write(ctx, func(tx switchboard.Tx) error {
		if err := tx.NotifyRoutingChanged(ctx, rolledBack); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	if err := d.Write(ctx, func(tx switchboard.Tx) error { return tx.NotifyRoutingChanged(ctx, committed) }); err != nil {
		t.Fatalf("Write: %v", err)
	}
	for {
		select {
		case org := <-got:
			switch org {
			case committed:
				cancel()
				if err := <-done; err != nil {
					t.Errorf("SubscribeChanges: %v", err)
				}
				return
			case rolledBack:
				t.Fatalf("the rolled-back change of %s was announced", rolledBack)
			}
		case <-deadline:
			t.Fatal("the committed change was not announced before the deadline")
		}
	}
}

// testOutboxRoundTrip: one InsertOutbox batch reads back as the
// deliveries' payloads and queue entries.
func testOutboxRoundTrip(t *testing.T, d switchboard.Driver) {
	orgID, webhookID, b := seed(t, d, 3)
	ctx := t.Context()
	for i, id := range b.DeliveryIDs {
		got, err := d.Delivery(ctx, orgID, id)
		if err != nil {
			t.Fatalf("Delivery %s: %v", id, err)
		}
		want, err := switchboard.EventEnvelope(b.EventIDs[i], b.EventTypes[i], b.At, b.EventData[i])
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Payload) != string(want) || got.Status != switchboard.DeliveryPending ||
			got.WebhookID == nil || *got.WebhookID != webhookID {
			t.Errorf("delivery %d = %s, %s, %v; want %s, pending, %s", i, got.Payload, got.Status, got.WebhookID, want, webhookID)
		}
	}
	if n, err := d.CountPendingDeliveries(ctx); err != nil || n != len(b.DeliveryIDs) {
		t.Errorf("CountPendingDeliveries = %d, %v; want %d", n, err, len(b.DeliveryIDs))
	}
	if _, err := d.Delivery(ctx, orgID, switchboard.NewID(switchboard.PrefixDelivery)); !errors.Is(err, switchboard.ErrNoRows) {
		t.Errorf("Delivery of an unknown ID = %v, want ErrNoRows", err)
	}
}
