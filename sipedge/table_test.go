package sipedge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/dbtest"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// countingRouting is a real store that counts its routing reads and can
// hold the next one until the test lets it go.
type countingRouting struct {
	switchboard.RoutingService
	mu     sync.Mutex
	reads  int
	starts []time.Time   // when each read began
	hold   chan struct{} // when set, the next read waits for it to close
	held   chan struct{} // closed when a read starts waiting
}

func (c *countingRouting) RoutingEntries(ctx context.Context, orgID string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	c.mu.Lock()
	c.reads++
	c.starts = append(c.starts, time.Now())
	hold, held := c.hold, c.held
	c.hold = nil
	c.mu.Unlock()
	if hold != nil {
		close(held)
		<-hold
	}
	return c.RoutingService.RoutingEntries(ctx, orgID)
}

func (c *countingRouting) started(i int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.starts[i]
}

func (c *countingRouting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// claimTestNumber adds a number to the inventory and claims it for the
// organisation, inbound allowed: a change the routing table must pick up.
func claimTestNumber(t *testing.T, db *sqlite.DB, orgID, e164 string) {
	t.Helper()
	inv, err := switchboard.NewInventoryNumber(e164, "", switchboard.NumberMobile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddInventory(t.Context(), []*switchboard.InventoryNumber{inv}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimNumber(t.Context(), orgID, switchboard.ClaimRequest{Number: inv.Number, AllowInbound: true}); err != nil {
		t.Fatal(err)
	}
}

// TestTableFollowCoalesces: changes that come while a reload runs cost one
// more reload, not one each, and the table ends with the latest state.
func TestTableFollowCoalesces(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	ctx := t.Context()
	src := &countingRouting{RoutingService: db}
	tab := NewTable(src)
	follow, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tab.Follow(follow, func(org string, err error) { t.Errorf("reload %s: %v", org, err) })
	}()
	defer func() { stop(); <-done }()

	hold, held := make(chan struct{}), make(chan struct{})
	src.mu.Lock()
	src.hold, src.held = hold, held
	src.mu.Unlock()
	tab.Changed(orgID)
	<-held // the first reload runs, and waits
	// A number is added meanwhile, and 50 changes are announced.
	claimTestNumber(t, db, orgID, "+2348031000009")
	for range 50 {
		tab.Changed(orgID)
	}
	close(hold)
	deadline := time.Now().Add(10 * time.Second)
	for tab.Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the table never got the number; %d reads", src.count())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The one more reload comes after the gap.
	pending := func() int {
		tab.dirtyMu.Lock()
		defer tab.dirtyMu.Unlock()
		return len(tab.dirty)
	}
	for src.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n, p := src.count(), pending(); n != 2 || p != 0 {
		t.Errorf("%d reads and %d organisations still pending after 51 changes, want 2 and 0", n, p)
	}
}

// failingOnce is a real store whose first routing read fails, as a
// database that restarts does.
type failingOnce struct {
	switchboard.RoutingService
	once sync.Once
}

func (f *failingOnce) RoutingEntries(ctx context.Context, orgID string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	var fail bool
	f.once.Do(func() { fail = true })
	if fail {
		return nil, nil, context.DeadlineExceeded
	}
	return f.RoutingService.RoutingEntries(ctx, orgID)
}

// TestTableFollowRetries: a reload that fails is reported and tried again,
// so the table does not stay stale until the next change.
func TestTableFollowRetries(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	ctx := t.Context()
	claimTestNumber(t, db, orgID, "+2348031000010")
	tab := NewTable(&failingOnce{RoutingService: db})
	reported := make(chan string, 1)
	follow, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tab.Follow(follow, func(org string, err error) { reported <- org })
	}()
	defer func() { stop(); <-done }()
	tab.Changed(orgID)
	select {
	case org := <-reported:
		if org != orgID {
			t.Errorf("reported %q, want %q", org, orgID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the failed reload was not reported")
	}
	deadline := time.Now().Add(10 * time.Second)
	for tab.Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the failed reload was never tried again")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTableFollowGap: changes that keep coming are reloaded at most every
// gap, not as fast as a reload runs.
func TestTableFollowGap(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	src := &countingRouting{RoutingService: db}
	tab := NewTable(src)
	tab.gap = 300 * time.Millisecond
	follow, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tab.Follow(follow, func(org string, err error) { t.Errorf("reload %s: %v", org, err) })
	}()
	defer func() { stop(); <-done }()

	waitReads := func(n int) time.Time {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for src.count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d reads, want %d", src.count(), n)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Now()
	}
	start := time.Now()
	tab.Changed(orgID)
	first := waitReads(1)
	if d := first.Sub(start); d >= tab.gap {
		t.Errorf("the first change after a quiet spell waited %v, want no gap", d)
	}
	claimTestNumber(t, db, orgID, "+2348031000011")
	tab.Changed(orgID)
	waitReads(2)
	// Without the gap the second read would start within a millisecond or
	// two; half the gap allows for the first read starting a little after
	// its round.
	if d := src.started(1).Sub(src.started(0)); d < tab.gap/2 {
		t.Errorf("second reload %v after the first, want about %v", d, tab.gap)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tab.Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the table never got the number")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
