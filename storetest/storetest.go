// Package storetest is the conformance suite every switchboard.Store must
// pass. It uses nothing but the Store interface, so the SQLite and
// PostgreSQL stores run it unchanged:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clock switchboard.Clock) switchboard.Store {
//			return openFreshMigratedStore(t, clock)
//		})
//	}
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Run runs the suite. open must return a fresh, migrated and empty store
// that reads the time from clock; each subtest opens its own, runs in
// parallel with the others, and closes its store when it ends.
func Run(t *testing.T, open func(t *testing.T, clock switchboard.Clock) switchboard.Store) {
	tests := []struct {
		name string
		fn   func(f *fixture)
	}{
		{"Ping", testPing},
		{"Organizations", testOrganizations},
		{"APIKeys", testAPIKeys},
		{"Sessions", testSessions},
		{"APIKeyIssue", testAPIKeyIssue},
		{"APIKeyUse", testAPIKeyUse},
		{"APIKeyList", testAPIKeyList},
		{"APIKeyIsolation", testAPIKeyIsolation},
		{"APIKeyRevokeFeed", testAPIKeyRevokeFeed},
		{"EndpointCreateFind", testEndpointCreateFind},
		{"EndpointUpdate", testEndpointUpdate},
		{"EndpointDelete", testEndpointDelete},
		{"EndpointBadIDs", testEndpointBadIDs},
		{"EndpointList", testEndpointList},
		{"EndpointIsolation", testEndpointIsolation},
		{"Inventory", testInventory},
		{"InventoryListRemove", testInventoryListRemove},
		{"Claim", testClaim},
		{"ClaimErrors", testClaimErrors},
		{"PhoneNumberList", testPhoneNumberList},
		{"PhoneNumberUpdate", testPhoneNumberUpdate},
		{"DeleteEndpointDetaches", testDeleteEndpointDetaches},
		{"Release", testRelease},
		{"PhoneNumberIsolation", testPhoneNumberIsolation},
		{"SIPCredentials", testSIPCredentials},
		{"TrunkCRUD", testTrunkCRUD},
		{"TrunkDefault", testTrunkDefault},
		{"TrunkIsolation", testTrunkIsolation},
		{"NumberTrunk", testNumberTrunk},
		{"ConcurrentTrunkDefault", testConcurrentTrunkDefault},
		{"RoutingTrunks", testRoutingTrunks},
		{"Idempotency", testIdempotency},
		{"IdempotencyAbort", testIdempotencyAbort},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"IdempotencyScope", testIdempotencyScope},
		{"ConcurrentClaimSameNumber", testConcurrentClaimSameNumber},
		{"ConcurrentClaimDistinctNumbers", testConcurrentClaimDistinctNumbers},
		{"ConcurrentEnsureOrganization", testConcurrentEnsureOrganization},
		{"ConcurrentUpdateEndpoint", testConcurrentUpdateEndpoint},
		{"EventsFromChanges", testEventsFromChanges},
		{"EventFilters", testEventFilters},
		{"EventAtomicity", testEventAtomicity},
		{"EmitEvent", testEmitEvent},
		{"ConcurrentEvents", testConcurrentEvents},
		{"EventLog", testEventLog},
		{"EventPositions", testEventPositions},
		{"EventFeed", testEventFeed},
		{"WebhookCRUD", testWebhookCRUD},
		{"WebhookBadIDs", testWebhookBadIDs},
		{"WebhookList", testWebhookList},
		{"WebhookIsolation", testWebhookIsolation},
		{"WebhookRotate", testWebhookRotate},
		{"DeliveryList", testDeliveryList},
		{"QueueClaim", testQueueClaim},
		{"QueueConcurrentClaim", testQueueConcurrentClaim},
		{"QueueFinish", testQueueFinish},
		{"QueueReceivers", testQueueReceivers},
		{"QueueRetry", testQueueRetry},
		{"QueueReplay", testQueueReplay},
		{"QueueCount", testQueueCount},
		{"CallSaveFind", testCallSaveFind},
		{"CallBatchAtomic", testCallBatchAtomic},
		{"CallTimeline", testCallTimeline},
		{"CallEvents", testCallEvents},
		{"CallBatchOrgs", testCallBatchOrgs},
		{"CallIsolation", testCallIsolation},
		{"CallList", testCallList},
		{"CallStats", testCallStats},
		{"EndOrphanCalls", testEndOrphanCalls},
		{"CallMetadata", testCallMetadata},
		{"PrepareOutboundCall", testPrepareOutboundCall},
		{"RoutingEntries", testRoutingEntries},
		{"HangupRelay", testHangupRelay},
		{"ChangeFeed", testChangeFeed},
		{"ChangeFeedSlowSubscriber", testChangeFeedSlowSubscriber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock()
			s := open(t, clock.Now)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(&fixture{t: t, ctx: t.Context(), s: s, clock: clock})
		})
	}
}

// Clock is a fake switchboard.Clock that moves only when told to, so tests
// check timestamps exactly and expire idempotency keys without sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at a fixed UTC instant with microsecond
// precision, the precision both stores keep.
func NewClock() *Clock {
	return &Clock{now: time.Date(2025, time.June, 1, 12, 0, 0, 123456000, time.UTC)}
}

// Now returns the clock's time; pass c.Now as a switchboard.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is one subtest's store, clock and helpers.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	s     switchboard.Store
	clock *Clock
}

// Numbers used across the tests; each is a possible number of its country.
const (
	numUS1 = "+14155550101"
	numUS2 = "+14155550102"
	numUS3 = "+14155550103"
	numNG1 = "+2348031234567"
	numNG2 = "+2348031234568"
	numGB1 = "+442079460001"
)

func (f *fixture) org(name string) string {
	f.t.Helper()
	org, _, err := f.s.EnsureOrganization(f.ctx, name)
	if err != nil {
		f.t.Fatalf("EnsureOrganization(%q): %v", name, err)
	}
	return org.ID
}

func (f *fixture) apiKey(orgID string) string {
	f.t.Helper()
	_, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID = orgID
	key.Scopes = switchboard.AllScopes
	if err := f.s.CreateAPIKey(f.ctx, &key); err != nil {
		f.t.Fatalf("CreateAPIKey: %v", err)
	}
	return key.ID
}

// endpoint validates in with the domain's rules and stores it.
func (f *fixture) endpoint(orgID string, in switchboard.EndpointInput) *switchboard.Endpoint {
	f.t.Helper()
	e, err := switchboard.NewEndpoint(in)
	if err != nil {
		f.t.Fatalf("NewEndpoint(%+v): %v", in, err)
	}
	if err := f.s.CreateEndpoint(f.ctx, orgID, e); err != nil {
		f.t.Fatalf("CreateEndpoint: %v", err)
	}
	return e
}

// agent stores an ElevenLabs agent endpoint with every optional field set.
func (f *fixture) agent(orgID, name string) *switchboard.Endpoint {
	f.t.Helper()
	ring := 20
	return f.endpoint(orgID, switchboard.EndpointInput{
		Name:           name,
		Type:           switchboard.EndpointAgent,
		ProviderConfig: map[string]any{"provider": switchboard.ProviderElevenLabs, "agent_id": "agent-" + name},
		Headers:        map[string]string{"X-Team": "sales", "X-Name": name},
		RingTimeout:    &ring,
		Credentials:    &switchboard.CredentialsInput{Username: "user-" + name, Password: "pw-" + name},
	})
}

// webhook stores a webhook endpoint (the domain gives it a signing secret).
func (f *fixture) webhook(orgID, name string) *switchboard.Endpoint {
	f.t.Helper()
	return f.endpoint(orgID, switchboard.EndpointInput{
		Name: name, Type: switchboard.EndpointWebhook, URL: "https://example.com/hooks/" + name,
	})
}

// stock adds the numbers (country from the number, type "local" unless
// given as "number/type") to the inventory and returns them by number, with
// the IDs the store gave them.
func (f *fixture) stock(specs ...string) map[string]*switchboard.InventoryNumber {
	f.t.Helper()
	var nums []*switchboard.InventoryNumber
	for _, spec := range specs {
		raw, typ, _ := strings.Cut(spec, "/")
		n, err := switchboard.NewInventoryNumber(raw, "", typ)
		if err != nil {
			f.t.Fatalf("NewInventoryNumber(%q): %v", spec, err)
		}
		nums = append(nums, n)
	}
	added, err := f.s.AddInventory(f.ctx, nums)
	if err != nil || added != len(nums) {
		f.t.Fatalf("AddInventory(%v) = %d, %v; want %d", specs, added, err, len(nums))
	}
	out := map[string]*switchboard.InventoryNumber{}
	for _, n := range f.available(switchboard.AvailableFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit}}) {
		out[n.Number] = n
	}
	for _, n := range nums {
		if out[n.Number] == nil {
			f.t.Fatalf("added %s is not available", n.Number)
		}
	}
	return out
}

func (f *fixture) available(filter switchboard.AvailableFilter) []*switchboard.InventoryNumber {
	f.t.Helper()
	list, _, err := f.s.ListAvailable(f.ctx, filter)
	if err != nil {
		f.t.Fatalf("ListAvailable(%+v): %v", filter, err)
	}
	return list
}

func (f *fixture) claim(orgID string, req switchboard.ClaimRequest) *switchboard.PhoneNumber {
	f.t.Helper()
	pn, err := f.s.ClaimNumber(f.ctx, orgID, req)
	if err != nil {
		f.t.Fatalf("ClaimNumber(%+v): %v", req, err)
	}
	return pn
}

func (f *fixture) findNumber(orgID, id string) *switchboard.PhoneNumber {
	f.t.Helper()
	pn, err := f.s.FindPhoneNumber(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindPhoneNumber(%s): %v", id, err)
	}
	return pn
}

func (f *fixture) findEndpoint(orgID, id string) *switchboard.Endpoint {
	f.t.Helper()
	e, err := f.s.FindEndpoint(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindEndpoint(%s): %v", id, err)
	}
	return e
}

// wantCode fails unless err carries the switchboard error code want.
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != want {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkTime fails unless got is the instant want, in UTC.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v (UTC)", what, got, want)
	}
}

// equalEndpoint compares every field, following pointers.
func equalEndpoint(t *testing.T, what string, got, want *switchboard.Endpoint) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	g, w := *got, *want
	checkTime(t, what+": CreatedAt", g.CreatedAt, w.CreatedAt)
	checkTime(t, what+": UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtEndpoint(&g), fmtEndpoint(&w))
	}
}

func fmtEndpoint(e *switchboard.Endpoint) string {
	return fmt.Sprintf("%+v provider_config=%+v credentials=%+v", *e, e.ProviderConfig, e.Credentials)
}

// equalNumber compares every field, following pointers.
func equalNumber(t *testing.T, what string, got, want *switchboard.PhoneNumber) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	g, w := *got, *want
	checkTime(t, what+": CreatedAt", g.CreatedAt, w.CreatedAt)
	checkTime(t, what+": UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtNumber(&g), fmtNumber(&w))
	}
}

func fmtNumber(pn *switchboard.PhoneNumber) string {
	return fmt.Sprintf("%+v endpoint_id=%s fallback_endpoint_id=%s endpoint=%+v",
		*pn, deref(pn.EndpointID), deref(pn.FallbackEndpointID), pn.Endpoint)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// ids returns the IDs of a list, for comparing orders.
func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

func endpointID(e *switchboard.Endpoint) string         { return e.ID }
func numberID(pn *switchboard.PhoneNumber) string       { return pn.ID }
func inventoryID(n *switchboard.InventoryNumber) string { return n.ID }

// newestFirst sorts IDs the way every list is ordered: newest first, then
// by ID descending among equal times.
func newestFirst[T any](list []T, created func(T) time.Time, id func(T) string) []string {
	s := slices.Clone(list)
	slices.SortFunc(s, func(a, b T) int {
		if c := created(b).Compare(created(a)); c != 0 {
			return c
		}
		return strings.Compare(id(b), id(a))
	})
	return ids(s, id)
}

func equalIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}
