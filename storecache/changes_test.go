package storecache_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/storecache"
)

// TestInvalidateFromChangeFeed feeds another node's change feed into the
// cache, as serve wires it: that node's change shows at once, long before
// the TTL (the clock never moves here).
func TestInvalidateFromChangeFeed(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		other := openSQLite(t, e.path, e.clock.Now) // another node on the same database
		inv, ok := e.cache.(storecache.Invalidator)
		if !ok {
			t.Fatalf("%T is not a storecache.Invalidator", e.cache)
		}
		orgID := e.org("acme")
		ep := e.webhook(e.cache, orgID, "one")
		if got := e.name(orgID, ep.ID); got != "one" {
			t.Fatalf("name = %q, want one", got)
		}

		ctx, cancel := context.WithCancel(e.ctx)
		done := make(chan error, 1)
		go func() { done <- other.SubscribeChanges(ctx, inv.Invalidate) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("SubscribeChanges: %v", err)
			}
		}()

		e.rename(other, orgID, ep.ID, "renamed elsewhere")
		deadline := time.Now().Add(5 * time.Second)
		for e.name(orgID, ep.ID) != "renamed elsewhere" {
			if time.Now().After(deadline) {
				t.Fatal("the other node's change did not reach the cache through the feed")
			}
			time.Sleep(time.Millisecond)
		}
		if names, _ := e.listNames(orgID); len(names) != 1 || names[0] != "renamed elsewhere" {
			t.Errorf("list = %v, want [renamed elsewhere]", names)
		}
	})
}

// TestInvalidateEverything: Invalidate("") drops every organisation's
// entries.
func TestInvalidateEverything(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		inv := e.cache.(storecache.Invalidator)
		a, b := e.org("a"), e.org("b")
		epA, epB := e.webhook(e.cache, a, "a1"), e.webhook(e.cache, b, "b1")
		e.name(a, epA.ID)
		e.name(b, epB.ID)
		e.listNames(a)

		e.rename(e.raw, a, epA.ID, "a2") // behind the cache's back
		e.rename(e.raw, b, epB.ID, "b2")
		if got := e.name(a, epA.ID); got != "a1" {
			t.Fatalf("before Invalidate = %q, want the cached a1", got)
		}
		inv.Invalidate("")
		if got := e.name(a, epA.ID); got != "a2" {
			t.Errorf("a after Invalidate(\"\") = %q, want a2", got)
		}
		if got := e.name(b, epB.ID); got != "b2" {
			t.Errorf("b after Invalidate(\"\") = %q, want b2", got)
		}
		if names, _ := e.listNames(a); len(names) != 1 || names[0] != "a2" {
			t.Errorf("list of a after Invalidate(\"\") = %v, want [a2]", names)
		}

		e.rename(e.raw, b, epB.ID, "b3")
		inv.Invalidate(a) // another organisation: b stays cached
		if got := e.name(b, epB.ID); got != "b2" {
			t.Errorf("b after Invalidate(a) = %q, want the cached b2", got)
		}
		inv.Invalidate(b)
		if got := e.name(b, epB.ID); got != "b3" {
			t.Errorf("b after Invalidate(b) = %q, want b3", got)
		}
	})
}
