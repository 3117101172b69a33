package storecache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storecache"
	"github.com/switchboard-voice/switchboard/storetest"
)

const ttl = time.Second

// openSQLite opens a fresh, migrated SQLite store at path, closed with t.
func openSQLite(t *testing.T, path string, clock switchboard.Clock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path, clock)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// env is a real SQLite store (raw), the cache over it, and their clock.
// Writes through raw stand for another node or the CLI: they bypass the
// cache's invalidation.
type env struct {
	t     *testing.T
	ctx   context.Context
	path  string
	raw   *sqlite.DB
	cache switchboard.Store
	clock *storetest.Clock
}

// newEnv returns an env whose cache is a checking one (see NewChecking).
func newEnv(t *testing.T) *env { return newEnvMode(t, true) }

func newEnvMode(t *testing.T, checking bool) *env {
	clock := storetest.NewClock()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	raw := openSQLite(t, path, clock.Now)
	newCache := storecache.New
	if checking {
		newCache = storecache.NewChecking
	}
	return &env{t: t, ctx: t.Context(), path: path, raw: raw, cache: newCache(raw, ttl, clock.Now), clock: clock}
}

// bothModes runs test on a plain cache, as production uses it, and on a
// checking one.
func bothModes(t *testing.T, test func(t *testing.T, e *env)) {
	for _, checking := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "checking"}[checking], func(t *testing.T) {
			test(t, newEnvMode(t, checking))
		})
	}
}

func (e *env) org(name string) string {
	e.t.Helper()
	o, _, err := e.raw.EnsureOrganization(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

func (e *env) webhook(s switchboard.Store, orgID, name string) *switchboard.Endpoint {
	e.t.Helper()
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: name, Type: "webhook", URL: "https://example.com/" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	e.create(s, orgID, ep)
	return ep
}

// create stores ep through s. The stopped clock moves a microsecond first,
// so that lists (newest first) have a fixed order; that does not expire
// cache entries.
func (e *env) create(s switchboard.Store, orgID string, ep *switchboard.Endpoint) {
	e.t.Helper()
	e.clock.Advance(time.Microsecond)
	if err := s.CreateEndpoint(e.ctx, orgID, ep); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) agent(s switchboard.Store, orgID, name string) *switchboard.Endpoint {
	e.t.Helper()
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{
		Name: name, Type: "agent",
		ProviderConfig: map[string]any{"provider": "elevenlabs", "agent_id": "a-" + name},
		Headers:        map[string]string{"X-Team": "sales"},
		Credentials:    &switchboard.CredentialsInput{Username: "u", Password: "p"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.create(s, orgID, ep)
	return ep
}

// rename renames the endpoint through s.
func (e *env) rename(s switchboard.Store, orgID, id, name string) {
	e.t.Helper()
	_, err := s.UpdateEndpoint(e.ctx, orgID, id, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{Name: switchboard.Optional[string]{Set: true, Value: name}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// name is the endpoint's name as the cache's FindEndpoint returns it.
func (e *env) name(orgID, id string) string {
	e.t.Helper()
	ep, err := e.cache.FindEndpoint(e.ctx, orgID, id)
	if err != nil {
		e.t.Fatalf("FindEndpoint(%s): %v", id, err)
	}
	return ep.Name
}

// listNames is the names of the organisation's first page as the cache
// returns it, and the total.
func (e *env) listNames(orgID string) ([]string, int) {
	e.t.Helper()
	eps, total, err := e.cache.ListEndpoints(e.ctx, orgID, switchboard.EndpointFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, ep := range eps {
		names = append(names, ep.Name)
	}
	return names, total
}

// TestConformance runs the store conformance suite against the cache over
// SQLite: with every write going through the cache, it must be
// indistinguishable from the bare store. The cache is a checking one, so
// the suite also shows that its callers never modify a shared endpoint.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock switchboard.Clock) switchboard.Store {
		raw := openSQLite(t, filepath.Join(t.TempDir(), "switchboard.db"), clock)
		return storecache.NewChecking(raw, ttl, clock)
	})
}

// TestHitAfterMissAndTTL: the first read goes to the database, the next
// ones come from the cache (a change made behind its back is not seen),
// until the TTL has passed.
func TestHitAfterMissAndTTL(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgID := e.org("acme")
		ep := e.webhook(e.cache, orgID, "one")

		readAt := e.clock.Now()
		if got := e.name(orgID, ep.ID); got != "one" { // miss
			t.Fatalf("first read = %q", got)
		}
		if names, total := e.listNames(orgID); !slices.Equal(names, []string{"one"}) || total != 1 {
			t.Fatalf("first list = %v, %d", names, total)
		}
		e.rename(e.raw, orgID, ep.ID, "two") // another node
		e.webhook(e.raw, orgID, "other")     // another node

		e.clock.Advance(readAt.Add(ttl - time.Microsecond).Sub(e.clock.Now()))
		if got := e.name(orgID, ep.ID); got != "one" {
			t.Errorf("read within the TTL = %q, want the cached %q", got, "one")
		}
		if names, total := e.listNames(orgID); !slices.Equal(names, []string{"one"}) || total != 1 {
			t.Errorf("list within the TTL = %v, %d; want the cached [one], 1", names, total)
		}

		e.clock.Advance(time.Microsecond) // exactly ttl after the read
		if got := e.name(orgID, ep.ID); got != "two" {
			t.Errorf("read at the TTL = %q, want %q from the database", got, "two")
		}
		if names, total := e.listNames(orgID); !slices.Equal(names, []string{"other", "two"}) || total != 2 {
			t.Errorf("list at the TTL = %v, %d; want [other two], 2", names, total)
		}
	})
}

// TestOtherNode writes through a second store on the same database file,
// as another node or the CLI would: the change shows once the TTL passes.
func TestOtherNode(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		other := openSQLite(t, e.path, e.clock.Now)
		orgID := e.org("acme")
		ep := e.webhook(e.cache, orgID, "one")
		e.name(orgID, ep.ID)
		e.listNames(orgID)

		e.rename(other, orgID, ep.ID, "renamed elsewhere")
		if _, err := other.DeleteEndpoint(e.ctx, orgID, ep.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.name(orgID, ep.ID); got != "one" {
			t.Errorf("within the TTL = %q, want the cached %q", got, "one")
		}
		e.clock.Advance(ttl)
		_, err := e.cache.FindEndpoint(e.ctx, orgID, ep.ID)
		if switchboard.ErrorCode(err) != switchboard.ECodeEndpointNotFound {
			t.Errorf("after the TTL: %v, want ENDPOINT_NOT_FOUND", err)
		}
		if names, total := e.listNames(orgID); len(names) != 0 || total != 0 {
			t.Errorf("list after the TTL = %v, %d; want empty", names, total)
		}
	})
}

// TestInvalidation: every write of an organisation through the cache makes
// its next reads go to the database, even for a change the cache could
// not know about (made behind its back before the write).
func TestInvalidation(t *testing.T) {
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	writes := map[string]func(e *env, s switchboard.Store, orgID string){
		"CreateEndpoint": func(e *env, s switchboard.Store, orgID string) { e.webhook(s, orgID, "new") },
		"UpdateEndpoint": func(e *env, s switchboard.Store, orgID string) {
			other := e.webhook(e.raw, orgID, "other")
			e.rename(s, orgID, other.ID, "other renamed")
		},
		"DeleteEndpoint": func(e *env, s switchboard.Store, orgID string) {
			other := e.webhook(e.raw, orgID, "other")
			if _, err := s.DeleteEndpoint(e.ctx, orgID, other.ID); err != nil {
				e.t.Fatal(err)
			}
		},
		"CreateAPIKey": func(e *env, s switchboard.Store, orgID string) {
			_, key := switchboard.GenerateAPIKey(true)
			key.OrganizationID, key.Scopes = orgID, switchboard.AllScopes
			if err := s.CreateAPIKey(e.ctx, &key); err != nil {
				e.t.Fatal(err)
			}
		},
		"ClaimNumber": func(e *env, s switchboard.Store, orgID string) {
			e.stock("+14155550101")
			if _, err := s.ClaimNumber(e.ctx, orgID, switchboard.ClaimRequest{Number: "+14155550101"}); err != nil {
				e.t.Fatal(err)
			}
		},
		"UpdatePhoneNumber": func(e *env, s switchboard.Store, orgID string) {
			pn := e.claim(orgID, "+14155550102")
			_, err := s.UpdatePhoneNumber(e.ctx, orgID, pn.ID, switchboard.PhoneNumberPatch{
				AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true}})
			if err != nil {
				e.t.Fatal(err)
			}
		},
		"ReleaseNumber": func(e *env, s switchboard.Store, orgID string) {
			pn := e.claim(orgID, "+14155550103")
			if _, err := s.ReleaseNumber(e.ctx, orgID, pn.ID); err != nil {
				e.t.Fatal(err)
			}
		},
		"EmitEvent": func(e *env, s switchboard.Store, orgID string) {
			if _, err := s.EmitEvent(e.ctx, orgID, switchboard.EventCallCompleted, map[string]string{"call_id": "call_1"}, switchboard.EmitOptions{}); err != nil {
				e.t.Fatal(err)
			}
		},
		"CreateWebhook": func(e *env, s switchboard.Store, orgID string) { e.subscribe(s, orgID) },
		"UpdateWebhook": func(e *env, s switchboard.Store, orgID string) {
			w := e.subscribe(e.raw, orgID)
			_, err := s.UpdateWebhook(e.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
				return cur.Apply(switchboard.WebhookPatch{Active: switchboard.Optional[bool]{Set: true, Value: false}})
			})
			if err != nil {
				e.t.Fatal(err)
			}
		},
		"DeleteWebhook": func(e *env, s switchboard.Store, orgID string) {
			if err := s.DeleteWebhook(e.ctx, orgID, e.subscribe(e.raw, orgID).ID); err != nil {
				e.t.Fatal(err)
			}
		},
		"RotateWebhookSecret": func(e *env, s switchboard.Store, orgID string) {
			if _, err := s.RotateWebhookSecret(e.ctx, orgID, e.subscribe(e.raw, orgID).ID); err != nil {
				e.t.Fatal(err)
			}
		},
		// No failed delivery to retry or replay here: the calls fail (or
		// do nothing), and a failed write invalidates all the same.
		"RetryDelivery": func(e *env, s switchboard.Store, orgID string) {
			s.RetryDelivery(e.ctx, orgID, "whd_doesnotexist")
		},
		"ReplayDeliveries": func(e *env, s switchboard.Store, orgID string) {
			s.ReplayDeliveries(e.ctx, orgID, e.subscribe(e.raw, orgID).ID, since)
		},
	}
	for _, name := range invalidating {
		if writes[name] == nil {
			t.Errorf("no invalidation test for %s", name)
		}
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			bothModes(t, func(t *testing.T, e *env) {
				orgID := e.org("acme")
				ep := e.webhook(e.cache, orgID, "one")
				e.name(orgID, ep.ID)
				e.listNames(orgID)
				e.rename(e.raw, orgID, ep.ID, "two") // behind the cache's back
				if got := e.name(orgID, ep.ID); got != "one" {
					t.Fatalf("before the write: %q, want the cached %q", got, "one")
				}

				write(e, e.cache, orgID)
				if got := e.name(orgID, ep.ID); got != "two" {
					t.Errorf("FindEndpoint after %s = %q, want %q", name, got, "two")
				}
				if names, _ := e.listNames(orgID); !slices.Contains(names, "two") {
					t.Errorf("ListEndpoints after %s = %v, want it to contain %q", name, names, "two")
				}
			})
		})
	}
}

func (e *env) stock(number string) {
	e.t.Helper()
	n, err := switchboard.NewInventoryNumber(number, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.raw.AddInventory(e.ctx, []*switchboard.InventoryNumber{n}); err != nil {
		e.t.Fatal(err)
	}
}

// claim stocks and claims a number through the raw store.
func (e *env) claim(orgID, number string) *switchboard.PhoneNumber {
	e.t.Helper()
	e.stock(number)
	pn, err := e.raw.ClaimNumber(e.ctx, orgID, switchboard.ClaimRequest{Number: number})
	if err != nil {
		e.t.Fatal(err)
	}
	return pn
}

func (e *env) subscribe(s switchboard.Store, orgID string) *switchboard.Webhook {
	e.t.Helper()
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://example.com/in", Events: []string{"call.*"}})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.CreateWebhook(e.ctx, orgID, w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// TestIsolation: a write invalidates only its own organisation, and one
// organisation never reads another's endpoint from the cache.
func TestIsolation(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgA, orgB := e.org("a"), e.org("b")
		epA, epB := e.webhook(e.cache, orgA, "a1"), e.webhook(e.cache, orgB, "b1")
		e.name(orgA, epA.ID)
		e.name(orgB, epB.ID)
		e.listNames(orgA)
		e.listNames(orgB)

		if _, err := e.cache.FindEndpoint(e.ctx, orgB, epA.ID); switchboard.ErrorCode(err) != switchboard.ECodeEndpointNotFound {
			t.Errorf("B reading A's cached endpoint: %v, want ENDPOINT_NOT_FOUND", err)
		}
		e.rename(e.raw, orgB, epB.ID, "b1 renamed") // behind the cache's back
		e.webhook(e.cache, orgA, "a2")              // invalidates A only
		if got := e.name(orgB, epB.ID); got != "b1" {
			t.Errorf("B after a write of A = %q, want the cached %q", got, "b1")
		}
		if names, _ := e.listNames(orgB); !slices.Equal(names, []string{"b1"}) {
			t.Errorf("B's list after a write of A = %v, want the cached [b1]", names)
		}
		if names, total := e.listNames(orgA); !slices.Equal(names, []string{"a2", "a1"}) || total != 2 {
			t.Errorf("A's list after its write = %v, %d; want [a2 a1], 2", names, total)
		}
		if names, _ := e.listNames(orgB); slices.Contains(names, "a1") || slices.Contains(names, "a2") {
			t.Errorf("B's list %v has A's endpoints", names)
		}
	})
}

// TestListKeyedByFilter: each filter and page is its own entry.
func TestListKeyedByFilter(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgID := e.org("acme")
		e.webhook(e.cache, orgID, "w1")
		e.agent(e.cache, orgID, "a1")
		e.webhook(e.cache, orgID, "w2")
		for _, tc := range []struct {
			f     switchboard.EndpointFilter
			names []string
			total int
		}{
			{switchboard.EndpointFilter{}, []string{"w2", "a1", "w1"}, 3},
			{switchboard.EndpointFilter{Type: "webhook"}, []string{"w2", "w1"}, 2},
			{switchboard.EndpointFilter{Type: "agent"}, []string{"a1"}, 1},
			{switchboard.EndpointFilter{Status: "inactive"}, nil, 0},
			{switchboard.EndpointFilter{Page: switchboard.Page{Limit: 1, Offset: 1}}, []string{"a1"}, 3},
			{switchboard.EndpointFilter{Page: switchboard.Page{Limit: 2}}, []string{"w2", "a1"}, 3},
		} {
			for range 2 { // miss, then hit
				eps, total, err := e.cache.ListEndpoints(e.ctx, orgID, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, ep := range eps {
					names = append(names, ep.Name)
				}
				if !slices.Equal(names, tc.names) || total != tc.total {
					t.Errorf("ListEndpoints(%+v) = %v, %d; want %v, %d", tc.f, names, total, tc.names, tc.total)
				}
			}
		}
	})
}

// TestChecking: a checking cache notices a caller that modified an
// endpoint it got (they are shared with the cache), on the next hit and on
// Close.
func TestChecking(t *testing.T) {
	spoilers := map[string]func(*switchboard.Endpoint){
		"name":            func(x *switchboard.Endpoint) { x.Name = "spoilt" },
		"header value":    func(x *switchboard.Endpoint) { x.Headers["X-Team"] = "spoilt" },
		"new header":      func(x *switchboard.Endpoint) { x.Headers["X-New"] = "spoilt" },
		"provider config": func(x *switchboard.Endpoint) { x.ProviderConfig.AgentID = "spoilt" },
		"password":        func(x *switchboard.Endpoint) { x.Credentials.Password = "spoilt" },
		"time":            func(x *switchboard.Endpoint) { x.UpdatedAt = x.UpdatedAt.Add(1) },
	}
	panics := func(f func()) (p any) {
		defer func() { p = recover() }()
		f()
		return nil
	}
	for name, spoil := range spoilers {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			orgID := e.org("acme")
			ep := e.agent(e.cache, orgID, "one")

			got, err := e.cache.FindEndpoint(e.ctx, orgID, ep.ID) // a miss: cached and shared
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := e.cache.FindEndpoint(e.ctx, orgID, ep.ID); again != got {
				t.Error("a hit returned another endpoint than the cached one")
			}
			spoil(got)
			if p := panics(func() { e.cache.FindEndpoint(e.ctx, orgID, ep.ID) }); p == nil {
				t.Error("FindEndpoint after the change did not panic")
			}

			list, _, err := e.cache.ListEndpoints(e.ctx, orgID, switchboard.EndpointFilter{})
			if err != nil || len(list) != 1 {
				t.Fatal(list, err)
			}
			list[0] = nil // the slice is the caller's
			list, _, _ = e.cache.ListEndpoints(e.ctx, orgID, switchboard.EndpointFilter{})
			if list[0] == nil {
				t.Fatal("a hit returned the caller's slice")
			}
			spoil(list[0])
			if p := panics(func() { e.cache.ListEndpoints(e.ctx, orgID, switchboard.EndpointFilter{}) }); p == nil {
				t.Error("ListEndpoints after the change did not panic")
			}
			if err := e.cache.Close(); err == nil {
				t.Error("Close did not report the changes")
			}
		})
	}
}

// TestUpdateGetsFreshCopy: UpdateEndpoint's fn sees the database's current
// endpoint, not a cached (stale) one, and what it does to it stays out of
// the cache.
func TestUpdateGetsFreshCopy(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgID := e.org("acme")
		ep := e.agent(e.cache, orgID, "one")
		e.name(orgID, ep.ID)
		e.rename(e.raw, orgID, ep.ID, "two") // behind the cache's back

		_, err := e.cache.UpdateEndpoint(e.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
			if cur.Name != "two" {
				t.Errorf("fn got name %q, want the stored %q", cur.Name, "two")
			}
			cur.Headers["X-Team"] = "mutated by fn"
			return cur.Apply(switchboard.EndpointPatch{Status: switchboard.Optional[string]{Set: true, Value: "inactive"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.cache.FindEndpoint(e.ctx, orgID, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "two" || got.Status != "inactive" || got.Headers["X-Team"] != "mutated by fn" {
			t.Errorf("after the update: %+v; want the stored name, the new status and fn's header", got)
		}
	})
}

// TestErrorsNotCached: a failed read is not cached, so the next one goes
// to the database again.
func TestErrorsNotCached(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgID := e.org("acme")
		ep := e.webhook(e.raw, orgID, "one")
		cancelled, cancel := context.WithCancel(e.ctx)
		cancel()
		if _, err := e.cache.FindEndpoint(cancelled, orgID, ep.ID); err == nil {
			t.Fatal("FindEndpoint with a cancelled context succeeded")
		}
		if _, _, err := e.cache.ListEndpoints(cancelled, orgID, switchboard.EndpointFilter{}); err == nil {
			t.Fatal("ListEndpoints with a cancelled context succeeded")
		}
		if got := e.name(orgID, ep.ID); got != "one" {
			t.Errorf("FindEndpoint after a failed one = %q, want %q", got, "one")
		}
		if names, total := e.listNames(orgID); !slices.Equal(names, []string{"one"}) || total != 1 {
			t.Errorf("ListEndpoints after a failed one = %v, %d", names, total)
		}
		if _, err := e.cache.FindEndpoint(e.ctx, orgID, "ep_nosuchendpoint"); switchboard.ErrorCode(err) != switchboard.ECodeEndpointNotFound {
			t.Errorf("missing endpoint: %v, want ENDPOINT_NOT_FOUND", err)
		}
	})
}

// TestReadYourWrites: under concurrent readers, a read that starts after a
// write through the cache returned sees that write, whatever the readers
// were doing meanwhile. The TTL never expires here (the clock is stopped),
// so only invalidation can make the new names visible. Run with -race.
func TestReadYourWrites(t *testing.T) {
	bothModes(t, func(t *testing.T, e *env) {
		orgID := e.org("acme")
		ep := e.webhook(e.cache, orgID, "v0")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					e.cache.FindEndpoint(e.ctx, orgID, ep.ID)
					e.cache.ListEndpoints(e.ctx, orgID, switchboard.EndpointFilter{})
				}
			})
		}
		for i := 1; i <= 50; i++ {
			name := fmt.Sprintf("v%d", i)
			e.rename(e.cache, orgID, ep.ID, name)
			if got := e.name(orgID, ep.ID); got != name {
				t.Errorf("FindEndpoint after write %d = %q, want %q", i, got, name)
			}
			if names, _ := e.listNames(orgID); !slices.Equal(names, []string{name}) {
				t.Errorf("ListEndpoints after write %d = %v, want [%s]", i, names, name)
			}
		}
		close(stop)
		wg.Wait()
	})
}

// invalidating lists the Store methods the cache overrides to invalidate
// the organisation they write; passThrough the ones it leaves to the
// embedded store. Together they must cover the interface.
var (
	invalidating = []string{
		"CreateEndpoint", "UpdateEndpoint", "DeleteEndpoint", "CreateAPIKey",
		"ClaimNumber", "UpdatePhoneNumber", "ReleaseNumber", "EmitEvent",
		"CreateWebhook", "UpdateWebhook", "DeleteWebhook", "RotateWebhookSecret",
		"RetryDelivery", "ReplayDeliveries",
	}
	cached      = []string{"FindEndpoint", "ListEndpoints", "Close"}
	passThrough = []string{
		// reads
		"CountOrganizations", "FindAPIKeyByHash", "ListAvailable", "FindPhoneNumber", "ListPhoneNumbers",
		"FindWebhook", "ListWebhooks", "ListDeliveries", "FindDelivery", "CountPendingDeliveries",
		// writes that cannot change an endpoint or name no organisation
		"EnsureOrganization", "AddInventory", "ListInventory", "RemoveInventory", "BeginIdempotent", "FinishIdempotent", "AbortIdempotent",
		"ClaimDeliveries", "FinishDeliveries",
		// the call plane's routing snapshot and change feed: not endpoint reads
		// the API makes, and the feed is what Invalidate is fed from
		"RoutingEntries", "RoutingTrunks", "SubscribeChanges",
		// call records: they never change an endpoint
		"SaveCalls", "FindCall", "ListCalls", "ListCallEvents", "EndOrphanCalls", "CallStats",
		"RequestHangup", "SubscribeHangups",
		// trunks: no endpoint refers to one (a deleted trunk detaches
		// numbers, which are not cached)
		"CreateTrunk", "FindTrunk", "ListTrunks", "UpdateTrunk", "DeleteTrunk",
		// a number's SIP credentials: no endpoint refers to them, and
		// numbers are not cached
		"RotateSIPCredentials", "SIPCredentials",
		// dashboard sessions: no endpoint refers to one
		"CreateSession", "FindSession", "DeleteSession",
		// API keys: no endpoint refers to one, and keys are not cached
		// here (httpapi keeps its own cache, fed by the change feed)
		"IssueAPIKey", "FindAPIKey", "FindAPIKeyByID", "FindOrganization", "ListAPIKeys", "RevokeAPIKey", "TouchAPIKey",
		// an outbound call's checks: they change nothing, and read the
		// endpoint, with its secrets, from the database
		"PrepareOutboundCall",
		// the event log and its feed: reads of events, never of endpoints
		"ListEvents", "FindEvent", "EventsAfter", "LastEvent", "SubscribeEvents",
		// the health check must reach the database, not the cache
		"Ping",
	}
)

// TestEveryStoreMethodIsClassified fails when switchboard.Store gains a
// method: decide whether it can change an endpoint, and if it can, add an
// override in write.go and a case to TestInvalidation.
func TestEveryStoreMethodIsClassified(t *testing.T) {
	known := slices.Concat(invalidating, cached, passThrough)
	typ := reflect.TypeFor[switchboard.Store]()
	for i := range typ.NumMethod() {
		if m := typ.Method(i).Name; !slices.Contains(known, m) {
			t.Errorf("switchboard.Store.%s is new: classify it for the cache (see write.go)", m)
		}
	}
	for _, m := range known {
		if _, ok := typ.MethodByName(m); !ok {
			t.Errorf("%s is no longer a Store method: drop it from the lists", m)
		}
	}
}
