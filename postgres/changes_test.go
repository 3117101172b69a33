package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// nodeWait is how soon a change made through one node must reach another:
// the SIP edge's table must follow the database within a second.
const nodeWait = time.Second

// feed is a subscription whose calls are recorded, stopped when the test
// ends.
type feed struct {
	t      *testing.T
	ch     chan string
	cancel context.CancelFunc
	done   chan error
}

func subscribe(t *testing.T, db *DB) *feed {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &feed{t: t, ch: make(chan string, 4096), cancel: cancel, done: make(chan error, 1)}
	go func() {
		f.done <- db.SubscribeChanges(ctx, func(orgID string) {
			select {
			case f.ch <- orgID:
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			t.Errorf("SubscribeChanges did not return after its context ended")
		}
	})
	return f
}

// wait waits up to within for a call with orgID, skipping others (the
// stores of other tests share the channel).
func (f *feed) wait(what, orgID string, within time.Duration) {
	f.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-f.ch:
			if got == orgID {
				return
			}
		case err := <-f.done:
			f.t.Fatalf("%s: SubscribeChanges returned %v", what, err)
		case <-deadline:
			f.t.Fatalf("%s: no call with %q within %v", what, orgID, within)
		}
	}
}

// withAppName adds an application_name to a DSN, so that a test can find
// its store's connections in pg_stat_activity.
func withAppName(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return dsn + "&application_name=" + name
	}
	return dsn + " application_name=" + name
}

// TestChangesReachOtherNode subscribes on node B and writes through node
// A, two stores on one schema: each change reaches B within a second.
func TestChangesReachOtherNode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, schema := openTest(t, nil)
	b := openSchema(t, withSearchPath(testDSN(), schema), nil)
	org, _, err := a.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	n, err := switchboard.NewInventoryNumber("+14155550199", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddInventory(ctx, []*switchboard.InventoryNumber{n}); err != nil {
		t.Fatal(err)
	}

	f := subscribe(t, b)
	f.wait("first call", "", 10*time.Second)

	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "crm", Type: "webhook", URL: "https://example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateEndpoint(ctx, org.ID, ep); err != nil {
		t.Fatal(err)
	}
	f.wait("CreateEndpoint through A", org.ID, nodeWait)
	pn, err := a.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{InventoryID: n.ID, EndpointID: &ep.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.wait("ClaimNumber through A", org.ID, nodeWait)

	// What B reads once told is what A wrote.
	nums, eps, err := b.RoutingEntries(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(nums) != 1 || nums[0].ID != pn.ID || len(eps) != 1 || eps[0].ID != ep.ID || eps[0].Secret != ep.Secret {
		t.Errorf("B's RoutingEntries after the notification = %d numbers, %d endpoints; want %s and %s", len(nums), len(eps), pn.ID, ep.ID)
	}

	if _, err := a.ReleaseNumber(ctx, org.ID, pn.ID); err != nil {
		t.Fatal(err)
	}
	f.wait("ReleaseNumber through A", org.ID, nodeWait)
}

// TestChangesReconnect terminates the listener's connection: the
// subscription reconnects, calls fn("") since it may have missed changes,
// and later changes still arrive. When its context ends it closes its
// connection.
func TestChangesReconnect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, schema := openTest(t, nil)
	app := "sb_listen_" + schema
	b := openSchema(t, withAppName(withSearchPath(testDSN(), schema), app), nil)
	org, _, err := a.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	admin := adminPool(t)

	// listeners returns the PIDs of B's listening connections.
	listeners := func() []int32 {
		t.Helper()
		rows, err := admin.Query(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %'`, app)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var pids []int32
		for rows.Next() {
			var pid int32
			if err := rows.Scan(&pid); err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return pids
	}
	// waitListeners polls until B has n listening connections, none of
	// them not, and returns their PIDs.
	waitListeners := func(what string, n int, not int32) []int32 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			pids := listeners()
			if len(pids) == n && (n == 0 || pids[0] != not) {
				return pids
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: listening connections %v, want %d other than %d", what, pids, n, not)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	f := subscribe(t, b)
	f.wait("first call", "", 10*time.Second)
	old := waitListeners("after subscribing", 1, 0)[0]

	var ok bool
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, old).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", old, ok, err)
	}
	f.wait("after the connection was terminated", "", 10*time.Second)
	waitListeners("after the reconnection", 1, old)

	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "crm", Type: "webhook", URL: "https://example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateEndpoint(ctx, org.ID, ep); err != nil {
		t.Fatal(err)
	}
	f.wait("CreateEndpoint after the reconnection", org.ID, nodeWait)

	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("SubscribeChanges after its context ended = %v, want nil", err)
		}
		f.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("SubscribeChanges did not return after its context ended")
	}
	waitListeners("after the subscription ended", 0, 0)
}
