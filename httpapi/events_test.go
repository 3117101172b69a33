package httpapi_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// eventEnv is the API over a fresh store with one organisation.
type eventEnv struct {
	t     *testing.T
	db    *sqlite.DB
	store switchboard.Store
	orgID string
	api   *httpapi.Server
	srv   *httptest.Server
}

func newEventEnv(t *testing.T, cfg httpapi.Config) *eventEnv {
	t.Helper()
	db, store, orgID := checkingStore(t, "acme")
	api := httpapi.NewServer(store, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &eventEnv{t: t, db: db, store: store, orgID: orgID, api: api, srv: srv}
}

func (e *eventEnv) get(key, path string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func (e *eventEnv) endpoint(name string) {
	e.t.Helper()
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: name, Type: "webhook", URL: "https://x.example/" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateEndpoint(context.Background(), e.orgID, ep); err != nil {
		e.t.Fatal(err)
	}
}

// lines reads a stream's lines in the background.
func lines(t *testing.T, resp *http.Response) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return ch
}

// waitLine waits for a line with the prefix; ok is false when the stream
// ended first.
func waitLine(t *testing.T, ch <-chan string, prefix string) (string, bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				return "", false
			}
			if strings.HasPrefix(l, prefix) {
				return l, true
			}
		case <-deadline:
			t.Fatalf("no line starting %q within 5 s", prefix)
		}
	}
}

func TestEventRoutesScopeAndValidation(t *testing.T) {
	t.Parallel()
	e := newEventEnv(t, httpapi.Config{})
	full := newTestKey(t, e.db, e.orgID, switchboard.AllScopes...)
	calls := newTestKey(t, e.db, e.orgID, switchboard.ScopeCallsRead)
	for _, path := range []string{"/v1/events", "/v1/events/stream", "/v1/events/evt_x"} {
		if resp := e.get(calls, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s without webhooks:read = %d, want 403", path, resp.StatusCode)
		}
	}
	for _, q := range []string{"type=nope", "type=call.*,", "since=yesterday", "limit=0", "limit=101", "status=x", "type=a&type=b"} {
		if resp := e.get(full, "/v1/events?"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /v1/events?%s = %d, want 400", q, resp.StatusCode)
		}
	}
	for _, q := range []string{"type=nope", "since=2020-01-01T00:00:00Z"} {
		if resp := e.get(full, "/v1/events/stream?"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /v1/events/stream?%s = %d, want 400", q, resp.StatusCode)
		}
	}
}

// TestEventStreamWakes: with the event feed followed, a stream gets an
// event at once; without it, at the next heartbeat, which also reads the
// log; CloseStreams ends streams with a comment and refuses new ones.
func TestEventStreamWakes(t *testing.T) {
	t.Parallel()
	for _, follow := range []bool{true, false} {
		name := map[bool]string{true: "followed", false: "heartbeat only"}[follow]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hb := time.Hour
			if !follow {
				hb = 50 * time.Millisecond
			}
			e := newEventEnv(t, httpapi.Config{StreamHeartbeat: hb})
			if follow {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- e.api.FollowEvents(ctx) }()
				t.Cleanup(func() {
					cancel()
					if err := <-done; err != nil {
						t.Errorf("FollowEvents = %v", err)
					}
				})
			}
			key := newTestKey(t, e.db, e.orgID, switchboard.ScopeWebhooksRead, switchboard.ScopeEndpointsWrite)
			resp := e.get(key, "/v1/events/stream")
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("stream = %d %v", resp.StatusCode, resp.Header)
			}
			ch := lines(t, resp)
			waitLine(t, ch, ": stream of")
			if n := e.api.OpenStreams(); n != 1 {
				t.Errorf("OpenStreams = %d, want 1", n)
			}
			e.endpoint("one")
			if l, ok := waitLine(t, ch, "data: "); !ok || !strings.Contains(l, `"endpoint.created"`) {
				t.Fatalf("stream line %q (open %v), want endpoint.created", l, ok)
			}
			e.api.CloseStreams()
			if l, ok := waitLine(t, ch, ": server shutting down"); !ok {
				t.Fatalf("after CloseStreams: %q", l)
			}
			if _, ok := waitLine(t, ch, "never"); ok {
				t.Fatal("the stream goes on after CloseStreams")
			}
			if resp := e.get(key, "/v1/events/stream"); resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("a stream after CloseStreams = %d, want 503", resp.StatusCode)
			}
		})
	}
}

// TestEventStreamRevokedKey: a stream whose key is revoked ends at the
// next heartbeat with an error naming why.
func TestEventStreamRevokedKey(t *testing.T) {
	t.Parallel()
	e := newEventEnv(t, httpapi.Config{StreamHeartbeat: 50 * time.Millisecond, KeyCacheTTL: -1})
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = e.orgID, []switchboard.Scope{switchboard.ScopeWebhooksRead}
	if err := e.db.CreateAPIKey(context.Background(), &key); err != nil {
		t.Fatal(err)
	}
	ch := lines(t, e.get(secret, "/v1/events/stream"))
	waitLine(t, ch, ": heartbeat")
	if _, err := e.store.RevokeAPIKey(context.Background(), e.orgID, key.ID); err != nil {
		t.Fatal(err)
	}
	if l, ok := waitLine(t, ch, "data: "); !ok || !strings.Contains(l, switchboard.ECodeInvalidAPIKey) {
		t.Fatalf("after the key's revocation the stream sent %q (open %v), want an INVALID_API_KEY error", l, ok)
	}
	if _, ok := waitLine(t, ch, "never"); ok {
		t.Fatal("the stream goes on after its key was revoked")
	}
}
