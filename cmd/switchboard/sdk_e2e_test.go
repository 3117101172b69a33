package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

// The Go SDK (package client) against the real program: every resource
// through its typed methods, errors as *client.Error, pagination, the
// Idempotency-Key, and retries on a real rate limit. Every response is
// checked against the OpenAPI document, as for the raw-HTTP tests.

// specTransport validates every response the SDK receives.
type specTransport struct{ t *testing.T }

func (s specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		specValidator(s.t).Check(s.t, req, resp, nil)
	}
	return resp, err
}

// sdk returns the Go SDK on this server with key.
func (ts *testServer) sdk(key string, opts ...sdk.Option) *sdk.Client {
	hc := &http.Client{Transport: specTransport{ts.t}, Timeout: 30 * time.Second}
	return sdk.New(ts.HTTPURL(), key, append([]sdk.Option{sdk.WithHTTPClient(hc)}, opts...)...)
}

// wantAPIError asserts that err is an *sdk.Error with status and code, a
// message and a request id, and returns it.
func wantAPIError(t *testing.T, err error, status int, code string) *sdk.Error {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *client.Error %d %s", err, status, code)
	}
	if e.Status != status || e.Code != code || e.Message == "" || !strings.HasPrefix(e.RequestID, "req_") {
		t.Fatalf("got %+v, want %d %s with a message and a request id", e, status, code)
	}
	return e
}

func TestSDKEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()

	ep, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "Support", Type: "elevenlabs",
		ProviderConfig: map[string]any{"agent_id": "a1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.ID, "ep_") || ep.Type != "agent" || ep.ProviderConfig == nil || ep.ProviderConfig.Provider != "elevenlabs" || ep.RingTimeout != 30 {
		t.Fatalf("created %+v", ep)
	}
	got, err := c.GetEndpoint(ctx, ep.ID)
	if err != nil || got.ID != ep.ID || got.Name != "Support" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	// PATCH sends only what is set: the name changes, the rest stays.
	up, err := c.UpdateEndpoint(ctx, ep.ID, sdk.EndpointUpdate{Name: switchboard.Some("Sales"), RingTimeout: switchboard.Some(45)})
	if err != nil || up.Name != "Sales" || up.RingTimeout != 45 || up.ProviderConfig.AgentID != "a1" || up.URL != ep.URL {
		t.Fatalf("update: %+v, %v", up, err)
	}

	// Several pages: 7 endpoints in pages of 3, each once, newest first.
	for i := range 6 {
		if _, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "hook " + string(rune('a'+i)), Type: "webhook", URL: "https://example.com/hook"}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for e, err := range c.ListEndpoints(ctx, sdk.ListEndpointsParams{ListOptions: sdk.ListOptions{Limit: 3}}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "hook f,hook e,hook d,hook c,hook b,hook a,Sales" {
		t.Fatalf("iterated %v", names)
	}
	hooks, err := sdk.Collect(c.ListEndpoints(ctx, sdk.ListEndpointsParams{Type: "webhook", ListOptions: sdk.ListOptions{Limit: 4}}))
	if err != nil || len(hooks) != 6 || hooks[0].Secret == "" {
		t.Fatalf("webhook endpoints: %d, %v", len(hooks), err)
	}
	page, err := c.ListEndpointsPage(ctx, sdk.ListEndpointsParams{ListOptions: sdk.ListOptions{Limit: 5, Offset: 5}})
	if err != nil || len(page.Items) != 2 || page.Total != 7 || page.Offset != 5 || page.HasMore() {
		t.Fatalf("page: %+v, %v", page, err)
	}

	del, err := c.DeleteEndpoint(ctx, ep.ID)
	if err != nil || !del.Deleted || del.ID != ep.ID {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = c.GetEndpoint(ctx, ep.ID)
	wantAPIError(t, err, 404, "ENDPOINT_NOT_FOUND")

	// A validation error names the field.
	_, err = c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "x", Type: "webhook", URL: "ftp://nope"})
	if e := wantAPIError(t, err, 400, "VALIDATION_ERROR"); e.Details["field"] != "url" {
		t.Fatalf("details %v", e.Details)
	}
	// Keys: none, a bad one, one without the scope.
	// (client.New would take an empty key from SWITCHBOARD_API_KEY, so
	// "no key at all" goes through the raw client.)
	raw := ts.client("")
	raw.mustErr(401, "MISSING_API_KEY", raw.do("GET", "/v1/endpoints/ep_x", nil))
	_, err = ts.sdk("kros_live_nope").GetEndpoint(ctx, "ep_x")
	wantAPIError(t, err, 401, "INVALID_API_KEY")
	ro := ts.sdk(ts.cli("keys", "create", "--org", "default", "--scopes", "endpoints:read"))
	_, err = ro.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "x", Type: "webhook", URL: "https://example.com"})
	wantAPIError(t, err, 403, "INSUFFICIENT_SCOPE")
	// An iterator yields the error and stops.
	n := 0
	for _, err := range ts.sdk("kros_live_nope").ListEndpoints(ctx, sdk.ListEndpointsParams{}) {
		n++
		wantAPIError(t, err, 401, "INVALID_API_KEY")
	}
	if n != 1 {
		t.Fatalf("the iterator yielded %d times after an error", n)
	}
}

func TestSDKIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.sdk(ts.BootstrapKey)
	ctx := sdk.WithIdempotencyKey(context.Background(), "create-support-1")
	in := sdk.EndpointCreate{Name: "Support", Type: "webhook", URL: "https://example.com/a"}

	var first, second sdk.Response
	a, err := c.CreateEndpoint(sdk.CaptureResponse(ctx, &first), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateEndpoint(sdk.CaptureResponse(ctx, &second), in)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || first.Replayed() || !second.Replayed() || first.StatusCode != 201 || second.StatusCode != 201 {
		t.Fatalf("first %s (replayed %v), second %s (replayed %v)", a.ID, first.Replayed(), b.ID, second.Replayed())
	}
	// The same key with another body is refused, and not retried.
	in.Name = "Other"
	_, err = c.CreateEndpoint(ctx, in)
	wantAPIError(t, err, 422, "IDEMPOTENCY_KEY_REUSED")

	// Without a key of the caller's, every write gets its own: two creates
	// make two endpoints.
	x, err := c.CreateEndpoint(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	y, err := c.CreateEndpoint(context.Background(), in)
	if err != nil || x.ID == y.ID {
		t.Fatalf("two creates without a key: %v %v, %v", x.ID, y.ID, err)
	}
	all, err := sdk.Collect(c.ListEndpoints(context.Background(), sdk.ListEndpointsParams{}))
	if err != nil || len(all) != 3 {
		t.Fatalf("%d endpoints, %v; want 3", len(all), err)
	}
}

// TestSDKRetriesARateLimit runs the server with a real, low rate limit:
// the SDK waits the Retry-After the server sends and gets through.
func TestSDKRetriesARateLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withRateLimit(1)) // 1 request a second, burst 2
	ctx := context.Background()

	// Without retries the 429 surfaces, with its Retry-After.
	noRetry := ts.sdk(ts.BootstrapKey, sdk.WithRetries(0))
	var err error
	for range 5 {
		if _, err = noRetry.ListEndpointsPage(ctx, sdk.ListEndpointsParams{}); err != nil {
			break
		}
	}
	if e := wantAPIError(t, err, 429, "RATE_LIMIT_EXCEEDED"); e.RetryAfter <= 0 || !e.Retryable() {
		t.Fatalf("429 without a Retry-After: %+v", e)
	}

	// With retries, every request succeeds; the waits are the server's.
	var mu sync.Mutex
	var waits []time.Duration
	c := ts.sdk(ts.BootstrapKey, sdk.WithSleep(func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		select { // the client's own wait, as the server asked
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	for i := range 3 {
		var resp sdk.Response
		if _, err := c.CreateEndpoint(sdk.CaptureResponse(ctx, &resp), sdk.EndpointCreate{Name: "e", Type: "webhook", URL: "https://example.com"}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// Retried writes were not done twice: 3 endpoints.
	all, err := sdk.Collect(c.ListEndpoints(ctx, sdk.ListEndpointsParams{}))
	if err != nil || len(all) != 3 {
		t.Fatalf("%d endpoints, %v; want 3", len(all), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) == 0 {
		t.Fatal("no request was rate limited; the test proves nothing")
	}
	for _, w := range waits {
		if w < time.Second || w > 2*time.Second {
			t.Errorf("waited %v; the server's Retry-After is whole seconds, 1 at this rate", w)
		}
	}
}

func TestSDKPhoneNumbers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.cli("inventory", "add", "+2348012345631", "+2348012345632", "+2348012345633")
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()

	avail, err := sdk.Collect(c.ListAvailablePhoneNumbers(ctx, sdk.ListAvailableParams{Country: "NG", ListOptions: sdk.ListOptions{Limit: 2}}))
	if err != nil || len(avail) != 3 || !strings.HasPrefix(avail[0].ID, "inv_") {
		t.Fatalf("available: %d, %v", len(avail), err)
	}
	ep, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "Agent", Type: "custom_sip", URL: "sip:agent@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	pn, err := c.ClaimPhoneNumber(ctx, sdk.ClaimPhoneNumberParams{Number: "+2348012345631", EndpointID: ep.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pn.ID, "pn_") || pn.Number != "+2348012345631" || pn.EndpointID == nil || *pn.EndpointID != ep.ID ||
		pn.SIPCredentials == nil || pn.SIPCredentials.Password == "" {
		t.Fatalf("claimed %+v", pn)
	}
	free := avail[0]
	if free.Number == pn.Number {
		free = avail[1]
	}
	byInv, err := c.ClaimPhoneNumber(ctx, sdk.ClaimPhoneNumberParams{InventoryID: free.ID})
	if err != nil || byInv.Number != free.Number {
		t.Fatalf("claim by inventory id: %+v, %v", byInv, err)
	}
	_, err = c.ClaimPhoneNumber(ctx, sdk.ClaimPhoneNumberParams{Number: "+2348012345631"})
	wantAPIError(t, err, 404, "NUMBER_NOT_AVAILABLE")

	got, err := c.GetPhoneNumber(ctx, pn.ID)
	if err != nil || got.Endpoint == nil || got.Endpoint.ID != ep.ID || got.SIPCredentials.Password != "" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	route, err := c.ExplainPhoneNumberRoute(ctx, pn.ID)
	if err != nil || route.Decision == "" || route.EndpointID == nil || *route.EndpointID != ep.ID || len(route.Targets) != 1 {
		t.Fatalf("route: %+v, %v", route, err)
	}
	rot, err := c.RotatePhoneNumberSIPCredentials(ctx, pn.ID)
	if err != nil || rot.SIPCredentials.Password == "" || rot.SIPCredentials.Password == pn.SIPCredentials.Password {
		t.Fatalf("rotate: %+v, %v", rot, err)
	}
	// Null detaches; an omitted field stays.
	up, err := c.UpdatePhoneNumber(ctx, pn.ID, sdk.PhoneNumberUpdate{EndpointID: switchboard.Null[string](), AllowOutbound: switchboard.Some(false)})
	if err != nil || up.EndpointID != nil || up.AllowOutbound || !up.AllowInbound {
		t.Fatalf("update: %+v, %v", up, err)
	}
	mine, err := sdk.Collect(c.ListPhoneNumbers(ctx, sdk.ListPhoneNumbersParams{Country: "NG"}))
	if err != nil || len(mine) != 2 {
		t.Fatalf("list: %d, %v", len(mine), err)
	}
	rel, err := c.ReleasePhoneNumber(ctx, pn.ID)
	if err != nil || !rel.Released || rel.Number != pn.Number {
		t.Fatalf("release: %+v, %v", rel, err)
	}
	_, err = c.GetPhoneNumber(ctx, pn.ID)
	wantAPIError(t, err, 404, "PHONE_NUMBER_NOT_FOUND")
	_, err = c.ListAvailablePhoneNumbersPage(ctx, sdk.ListAvailableParams{Type: "fax"})
	wantAPIError(t, err, 400, "VALIDATION_ERROR")
}

func TestSDKCalls(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.cli("inventory", "add", "+2348012345641")
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()
	ep, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "Agent", Type: "custom_sip", URL: "sip:agent@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	pn, err := c.ClaimPhoneNumber(ctx, sdk.ClaimPhoneNumberParams{Number: "+2348012345641", EndpointID: ep.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Five completed calls, a minute apart, each with a two-entry timeline.
	day := time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC)
	var ids []string
	var updates []switchboard.CallUpdate
	for i := range 5 {
		at := day.Add(time.Duration(i) * time.Minute)
		call := &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: ep.OrganizationID,
			Direction: switchboard.DirectionInbound, FromNumber: "+14155550100", ToNumber: pn.Number,
			PhoneNumberID: &pn.ID, EndpointID: &ep.ID, Status: switchboard.CallCompleted, SIPCallID: switchboard.RandomBase62(16) + "@carrier",
			Node: "e2e", CreatedAt: at, UpdatedAt: at.Add(time.Minute), CompletedAt: ptrTo(at.Add(time.Minute)),
			HangupCause: switchboard.HangupUser, HangupBy: switchboard.HangupByCaller}
		ids = append([]string{call.ID}, ids...) // newest first
		updates = append(updates, switchboard.CallUpdate{Call: call, Events: []*switchboard.CallEvent{
			{Type: switchboard.EventCallInitiated, Status: switchboard.CallInitiated, Timestamp: at},
			{Type: switchboard.EventCallCompleted, Status: switchboard.CallCompleted, Timestamp: at.Add(time.Minute)},
		}})
	}
	ts.seedCalls(updates...)

	var listed []string
	for call, err := range c.ListCalls(ctx, sdk.ListCallsParams{PhoneNumberID: pn.ID, FromDate: "2025-01-10", ToDate: "2025-01-10", ListOptions: sdk.ListOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, call.ID)
	}
	if !slices.Equal(listed, ids) {
		t.Fatalf("listed %v, want %v", listed, ids)
	}
	call, err := c.GetCall(ctx, ids[0])
	if err != nil || call.Status != "completed" || call.HangupCause != "user_hangup" {
		t.Fatalf("get: %+v, %v", call, err)
	}
	events, err := sdk.Collect(c.ListCallEvents(ctx, ids[0], sdk.ListOptions{Limit: 1}))
	if err != nil || len(events) != 2 || events[0].Type != switchboard.EventCallInitiated || events[1].Type != switchboard.EventCallCompleted {
		t.Fatalf("timeline: %v, %v", events, err)
	}
	_, err = c.HangupCall(ctx, ids[0])
	if e := wantAPIError(t, err, 409, "CONFLICT"); e.Details["status"] != "completed" {
		t.Fatalf("hangup details %v", e.Details)
	}
	_, err = c.GetCall(ctx, "call_nope")
	wantAPIError(t, err, 404, "CALL_NOT_FOUND")
	_, err = c.ListCallsPage(ctx, sdk.ListCallsParams{Status: "ringing_loudly"})
	wantAPIError(t, err, 400, "VALIDATION_ERROR")

	// Outbound calls: from a number the organisation does not hold, and
	// from its own number with no trunk to call through.
	_, err = c.CreateOutboundCall(ctx, sdk.OutboundCallParams{FromNumber: "+2348099999999", ToNumber: "+14155550100"})
	wantAPIError(t, err, 404, "NUMBER_NOT_OWNED")
	_, err = c.CreateOutboundCall(ctx, sdk.OutboundCallParams{FromNumber: pn.Number, ToNumber: "+14155550100", Metadata: []byte(`{"k":"v"}`)})
	wantAPIError(t, err, 409, "NO_TRUNK")
}

func ptrTo[T any](v T) *T { return &v }

func TestSDKTrunks(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()
	tr, err := c.CreateTrunk(ctx, sdk.TrunkCreate{Name: "Telnyx", Address: "sip.telnyx.com:5060", Transport: "tcp",
		AuthUsername: "acme", AuthPassword: "s3cret-pass", Default: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.ID, "trk_") || tr.AuthPassword != "" || !tr.Default || tr.NumberFormat != "e164" {
		t.Fatalf("created %+v", tr)
	}
	got, err := c.GetTrunk(ctx, tr.ID)
	if err != nil || got.Name != "Telnyx" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	up, err := c.UpdateTrunk(ctx, tr.ID, sdk.TrunkUpdate{MaxConcurrentCalls: switchboard.Some(5), TechPrefix: switchboard.Some("99")})
	if err != nil || up.MaxConcurrentCalls != 5 || up.TechPrefix != "99" || up.Address != tr.Address {
		t.Fatalf("update: %+v, %v", up, err)
	}
	if _, err := c.CreateTrunk(ctx, sdk.TrunkCreate{Name: "Backup", Address: "sip.backup.example"}); err != nil {
		t.Fatal(err)
	}
	all, err := sdk.Collect(c.ListTrunks(ctx, sdk.ListTrunksParams{ListOptions: sdk.ListOptions{Limit: 1}}))
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %d, %v", len(all), err)
	}
	del, err := c.DeleteTrunk(ctx, tr.ID)
	if err != nil || !del.Deleted {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = c.GetTrunk(ctx, tr.ID)
	wantAPIError(t, err, 404, "TRUNK_NOT_FOUND")
	_, err = c.CreateTrunk(ctx, sdk.TrunkCreate{Name: "x"})
	wantAPIError(t, err, 400, "VALIDATION_ERROR")
}

func TestSDKAPIKeys(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()

	made, err := c.CreateAPIKey(ctx, sdk.APIKeyCreate{Name: "ci", Scopes: []string{"calls:read", "keys:read"}, Mode: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(made.Key, "kros_test_") || !strings.HasPrefix(made.ID, "key_") || made.Live ||
		made.KeyPrefix == "" || !strings.HasPrefix(made.Key, made.KeyPrefix) || len(made.Scopes) != 2 {
		t.Fatalf("created %+v", made)
	}
	// The new key works, within its scopes.
	ci := ts.sdk(made.Key)
	if got, err := ci.GetAPIKey(ctx, made.ID); err != nil || got.Name != "ci" || got.LastUsedAt == nil {
		t.Fatalf("get with the new key: %+v, %v", got, err)
	}
	_, err = ci.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "x", Type: "webhook", URL: "https://example.com"})
	wantAPIError(t, err, 403, "INSUFFICIENT_SCOPE")

	test, err := sdk.Collect(c.ListAPIKeys(ctx, sdk.ListAPIKeysParams{Mode: "test"}))
	if err != nil || len(test) != 1 || test[0].ID != made.ID {
		t.Fatalf("test keys: %v, %v", test, err)
	}
	rev, err := c.RevokeAPIKey(ctx, made.ID)
	if err != nil || rev.RevokedAt == nil {
		t.Fatalf("revoke: %+v, %v", rev, err)
	}
	_, err = ci.GetAPIKey(ctx, made.ID)
	wantAPIError(t, err, 401, "INVALID_API_KEY")
	revoked, err := sdk.Collect(c.ListAPIKeys(ctx, sdk.ListAPIKeysParams{Revoked: "true"}))
	if err != nil || len(revoked) != 1 {
		t.Fatalf("revoked keys: %v, %v", revoked, err)
	}
	_, err = c.GetAPIKey(ctx, "key_nope")
	wantAPIError(t, err, 404, "API_KEY_NOT_FOUND")
}

func TestSDKWebhooksAndDeliveries(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t, answer(500, "not yet"))
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms"))
	c := ts.sdk(ts.BootstrapKey)
	ctx := context.Background()

	hook, err := c.CreateWebhook(ctx, sdk.WebhookCreate{URL: recv.url(), Events: []string{"trunk.*"}, Description: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	recv.setSecrets(hook.Secret)
	if !strings.HasPrefix(hook.ID, "wh_") || !hook.Active || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("created %+v", hook)
	}
	since := time.Now().Add(-time.Minute)
	evt, err := c.TestWebhook(ctx, hook.ID)
	if err != nil || evt.Type != "webhook.test" || !strings.HasPrefix(evt.ID, "evt_") {
		t.Fatalf("test: %+v, %v", evt, err)
	}
	// The receiver refuses both attempts: the delivery fails.
	var failed *switchboard.Delivery
	eventually(t, 15*time.Second, "the test delivery to fail", func() bool {
		ds, err := sdk.Collect(c.ListWebhookDeliveries(ctx, sdk.ListDeliveriesParams{WebhookID: hook.ID, Status: "failed"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 {
			failed = ds[0]
		}
		return failed != nil
	})
	// What arrived verifies with the SDK, as a Go receiver would check it.
	got := recv.of(evt.ID)
	if len(got) != 2 {
		t.Fatalf("%d attempts received, want 2", len(got))
	}
	for _, r := range got {
		if err := sdk.VerifyWebhook(hook.Secret, r.Header, r.Body, time.Now(), time.Minute); err != nil {
			t.Errorf("VerifyWebhook: %v", err)
		}
		if err := sdk.VerifyWebhook(hook.Secret, r.Header, append(r.Body, ' '), time.Now(), time.Minute); !errors.Is(err, sdk.ErrWebhookBadSignature) {
			t.Errorf("VerifyWebhook of a tampered body: %v", err)
		}
	}

	d, err := c.GetWebhookDelivery(ctx, failed.ID)
	if err != nil || d.Status != "failed" || len(d.Attempts) != 2 || len(d.Payload) == 0 {
		t.Fatalf("get delivery: %+v, %v", d, err)
	}
	// Retry it with the receiver fixed; then replay (nothing failed left).
	recv.setAnswer(answer(200, "ok"))
	if _, err := c.RetryWebhookDelivery(ctx, failed.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the retried delivery to be delivered", func() bool {
		d, err := c.GetWebhookDelivery(ctx, failed.ID)
		return err == nil && d.Status == "delivered"
	})
	rep, err := c.ReplayWebhookDeliveries(ctx, hook.ID, since)
	if err != nil || rep.Replayed != 0 || rep.WebhookID != hook.ID {
		t.Fatalf("replay: %+v, %v", rep, err)
	}

	rot, err := c.RotateWebhookSecret(ctx, hook.ID)
	if err != nil || rot.Secret == hook.Secret || rot.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotate: %+v, %v", rot, err)
	}
	up, err := c.UpdateWebhook(ctx, hook.ID, sdk.WebhookUpdate{Active: switchboard.Some(false)})
	if err != nil || up.Active || up.Description != "crm" {
		t.Fatalf("update: %+v, %v", up, err)
	}
	all, err := sdk.Collect(c.ListWebhooks(ctx, sdk.ListOptions{}))
	if err != nil || len(all) != 1 {
		t.Fatalf("list: %v, %v", all, err)
	}
	if g, err := c.GetWebhook(ctx, hook.ID); err != nil || g.ID != hook.ID {
		t.Fatalf("get: %+v, %v", g, err)
	}
	del, err := c.DeleteWebhook(ctx, hook.ID)
	if err != nil || !del.Deleted {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = c.GetWebhook(ctx, hook.ID)
	wantAPIError(t, err, 404, "WEBHOOK_NOT_FOUND")
	_, err = c.GetWebhookDelivery(ctx, "whd_nope")
	wantAPIError(t, err, 404, "DELIVERY_NOT_FOUND")
}

func TestSDKHealthAndOpenAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.sdk("")
	ctx := context.Background()
	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" {
		t.Fatalf("health: %+v, %v", h, err)
	}
	doc, err := c.OpenAPI(ctx)
	if err != nil || !strings.Contains(string(doc), `"openapi"`) {
		t.Fatalf("openapi: %.80s, %v", doc, err)
	}
}
