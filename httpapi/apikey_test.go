package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storetest"
)

// keysEnv is an API over a fresh SQLite store, both on one fake clock,
// with a key cache that trusts a key for an hour: only invalidation and
// the expiry check make it let go of a key.
type keysEnv struct {
	t     *testing.T
	db    *sqlite.DB
	api   *httpapi.Server
	clock *storetest.Clock
	org   string
	admin string // a secret with every scope
}

func newKeysEnv(t *testing.T) *keysEnv {
	t.Helper()
	clock := storetest.NewClock()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "keys.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	o, _, err := db.EnsureOrganization(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e := &keysEnv{t: t, db: db, clock: clock, org: o.ID}
	e.api = httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{Clock: clock.Now, KeyCacheTTL: time.Hour})
	e.admin = newTestKey(t, db, o.ID, switchboard.AllScopes...)
	return e
}

// do sends a request with the secret and decodes the JSON answer.
func (e *keysEnv) do(secret, method, path, body string, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("x-api-key", secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("%s %s: %d %q is not a JSON object", method, path, rec.Code, rec.Body)
	}
	return rec.Code, out
}

// create makes a key through the API and returns its secret and ID.
func (e *keysEnv) create(by, body string) (string, string) {
	e.t.Helper()
	code, out := e.do(by, "POST", "/v1/api-keys", body)
	if code != http.StatusCreated {
		e.t.Fatalf("create %s: %d %v", body, code, out)
	}
	return out["key"].(string), out["id"].(string)
}

func TestAPIKeyRoutes(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	expires := e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	code, created := e.do(e.admin, "POST", "/api/v1/api-keys",
		`{"name":"reader","scopes":["calls:read","keys:read"],"mode":"test","expires_at":"`+expires+`"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	secret, id := created["key"].(string), created["id"].(string)
	if !switchboard.CheckAPIKeyFormat(secret) || !strings.HasPrefix(secret, switchboard.KeyPrefixTest) ||
		created["prefix"] != secret[:switchboard.KeyDisplayLen] || created["key_prefix"] != created["prefix"] ||
		created["mode"] != "test" || created["livemode"] != false || created["expires_at"] != expires ||
		created["last_used_at"] != nil || created["revoked_at"] != nil || created["name"] != "reader" {
		t.Errorf("created key = %v", created)
	}
	// The secret is shown once: never on a read.
	code, got := e.do(e.admin, "GET", "/v1/api-keys/"+id, "")
	if code != 200 || got["key"] != nil || got["hash"] != nil || got["id"] != id || got["prefix"] != created["prefix"] {
		t.Errorf("GET = %d %v", code, got)
	}
	// The new key works, with its scopes and no others.
	if code, out := e.do(secret, "GET", "/v1/api-keys", ""); code != 200 || out["total"] != 2.0 {
		t.Errorf("list with the new key: %d %v", code, out)
	}
	for _, tc := range []struct {
		name, by, method, path, body string
		code                         int
		errCode                      string
	}{
		{"read-only key cannot create", secret, "POST", "/v1/api-keys", `{"name":"x","scopes":["calls:read"]}`, 403, "INSUFFICIENT_SCOPE"},
		{"read-only key cannot revoke", secret, "DELETE", "/v1/api-keys/" + id, "", 403, "INSUFFICIENT_SCOPE"},
		{"no scopes", e.admin, "POST", "/v1/api-keys", `{"name":"x","scopes":[]}`, 400, "VALIDATION_ERROR"},
		{"unknown field", e.admin, "POST", "/v1/api-keys", `{"name":"x","scopes":["calls:read"],"allowed_ips":[]}`, 400, "VALIDATION_ERROR"},
		{"past expiry", e.admin, "POST", "/v1/api-keys", `{"name":"x","scopes":["calls:read"],"expires_at":"2020-01-01T00:00:00Z"}`, 400, "VALIDATION_ERROR"},
		{"not RFC 3339", e.admin, "POST", "/v1/api-keys", `{"name":"x","scopes":["calls:read"],"expires_at":"tomorrow"}`, 400, "VALIDATION_ERROR"},
		{"unknown list parameter", e.admin, "GET", "/v1/api-keys?status=active", "", 400, "VALIDATION_ERROR"},
		{"bad mode filter", e.admin, "GET", "/v1/api-keys?mode=sandbox", "", 400, "VALIDATION_ERROR"},
		{"missing key", e.admin, "GET", "/v1/api-keys/key_missing", "", 404, "API_KEY_NOT_FOUND"},
		{"wrong kind of ID", e.admin, "DELETE", "/v1/api-keys/ep_123", "", 404, "API_KEY_NOT_FOUND"},
	} {
		code, out := e.do(tc.by, tc.method, tc.path, tc.body)
		if code != tc.code || out["code"] != tc.errCode {
			t.Errorf("%s: %d %v, want %d %s", tc.name, code, out, tc.code, tc.errCode)
		}
	}
	// A key never grants a scope it does not hold, even with keys:write.
	writer, _ := e.create(e.admin, `{"name":"writer","scopes":["keys:write","keys:read","calls:read"]}`)
	code, out := e.do(writer, "POST", "/v1/api-keys", `{"name":"x","scopes":["calls:read","calls:write","endpoints:write"]}`)
	if code != 403 || out["code"] != "INSUFFICIENT_SCOPE" || !strings.Contains(out["error"].(string), "calls:write") {
		t.Errorf("escalation: %d %v", code, out)
	}
	if d, _ := out["details"].(map[string]any); d == nil || len(d["scopes_not_held"].([]any)) != 2 {
		t.Errorf("escalation details = %v, want the two scopes not held", out["details"])
	}
	e.create(writer, `{"name":"sub","scopes":["calls:read"]}`)

	// Filters and paging.
	for path, total := range map[string]float64{
		"/v1/api-keys": 4, "/v1/api-keys?mode=test": 1, "/v1/api-keys?mode=live&limit=1": 3,
		"/v1/api-keys?revoked=true": 0, "/v1/api-keys?revoked=false": 4,
	} {
		if code, out := e.do(e.admin, "GET", path, ""); code != 200 || out["total"] != total {
			t.Errorf("GET %s: %d total %v, want %v", path, code, out["total"], total)
		}
	}

	// Revocation: 200 with revoked_at, at once on this node (the key was
	// cached for an hour), and the same answer again.
	code, revoked := e.do(e.admin, "DELETE", "/v1/api-keys/"+id, "")
	if code != 200 || revoked["revoked_at"] == nil || revoked["id"] != id {
		t.Fatalf("revoke: %d %v", code, revoked)
	}
	if code, out := e.do(secret, "GET", "/v1/api-keys", ""); code != 401 || out["code"] != "INVALID_API_KEY" {
		t.Errorf("revoked key: %d %v, want 401", code, out)
	}
	e.clock.Advance(time.Minute)
	if code, again := e.do(e.admin, "DELETE", "/v1/api-keys/"+id, ""); code != 200 || again["revoked_at"] != revoked["revoked_at"] {
		t.Errorf("revoke again: %d %v, want the first revoked_at %v", code, again, revoked["revoked_at"])
	}
	if code, out := e.do(e.admin, "GET", "/v1/api-keys?revoked=true", ""); code != 200 || out["total"] != 1.0 {
		t.Errorf("revoked list: %d %v", code, out)
	}
}

// TestAPIKeyOtherOrganisation: another organisation's keys are 404 and
// never listed; revoking them is impossible.
func TestAPIKeyOtherOrganisation(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	other, _, err := e.db.EnsureOrganization(context.Background(), "globex")
	if err != nil {
		t.Fatal(err)
	}
	theirs := newTestKey(t, e.db, other.ID, switchboard.AllScopes...)
	_, theirID := e.create(theirs, `{"name":"theirs","scopes":["calls:read"]}`)
	for _, m := range []string{"GET", "DELETE"} {
		if code, out := e.do(e.admin, m, "/v1/api-keys/"+theirID, ""); code != 404 || out["code"] != "API_KEY_NOT_FOUND" {
			t.Errorf("%s of another organisation's key: %d %v", m, code, out)
		}
	}
	if code, out := e.do(e.admin, "GET", "/v1/api-keys", ""); code != 200 || out["total"] != 1.0 {
		t.Errorf("list: %d %v, want only acme's key", code, out)
	}
	if code, _ := e.do(theirs, "GET", "/v1/api-keys/"+theirID, ""); code != 200 {
		t.Errorf("their key after acme's attempts: %d", code)
	}
}

// TestAPIKeyExpiry: a cached key is refused once its expiry passes, by
// the clock, without waiting for the cache.
func TestAPIKeyExpiry(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	expires := e.clock.Now().Add(time.Hour).Format(time.RFC3339Nano)
	secret, _ := e.create(e.admin, `{"name":"short","scopes":["keys:read"],"expires_at":"`+expires+`"}`)
	if code, out := e.do(secret, "GET", "/v1/api-keys", ""); code != 200 {
		t.Fatalf("before expiry: %d %v", code, out)
	}
	e.clock.Advance(time.Hour)
	code, out := e.do(secret, "GET", "/v1/api-keys", "")
	if code != 401 || out["code"] != "INVALID_API_KEY" || !strings.Contains(out["error"].(string), "expired") {
		t.Errorf("at expiry: %d %v, want 401 saying expired", code, out)
	}
}

// TestAPIKeyKeysChanged: a revocation made elsewhere (another node) is
// refused once the change feed says so, though the key is cached.
func TestAPIKeyKeysChanged(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	secret, id := e.create(e.admin, `{"name":"k","scopes":["keys:read"]}`)
	if code, _ := e.do(secret, "GET", "/v1/api-keys", ""); code != 200 {
		t.Fatal("new key refused")
	}
	if _, err := e.db.RevokeAPIKey(context.Background(), e.org, id); err != nil {
		t.Fatal(err)
	}
	// Cached for an hour: still accepted until the feed speaks.
	if code, _ := e.do(secret, "GET", "/v1/api-keys", ""); code != 200 {
		t.Fatalf("cached key refused before the change notification (the test would prove nothing)")
	}
	e.api.KeysChanged("org_other")
	if code, _ := e.do(secret, "GET", "/v1/api-keys", ""); code != 200 {
		t.Errorf("another organisation's change dropped this one's keys")
	}
	e.api.KeysChanged(e.org)
	if code, out := e.do(secret, "GET", "/v1/api-keys", ""); code != 401 || !strings.Contains(out["error"].(string), "revoked") {
		t.Errorf("after KeysChanged: %d %v, want 401 saying revoked", code, out)
	}
}

// TestAPIKeyLastUsed: a use is recorded at most once a minute.
func TestAPIKeyLastUsed(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	secret, id := e.create(e.admin, `{"name":"k","scopes":["keys:read"]}`)
	lastUsed := func() any {
		t.Helper()
		_, out := e.do(e.admin, "GET", "/v1/api-keys/"+id, "")
		return out["last_used_at"]
	}
	if got := lastUsed(); got != nil {
		t.Fatalf("last_used_at = %v before any use", got)
	}
	first := e.clock.Now().Format(time.RFC3339Nano)
	e.do(secret, "GET", "/v1/api-keys", "")
	if got := lastUsed(); got != first {
		t.Errorf("last_used_at = %v, want %v", got, first)
	}
	e.clock.Advance(59 * time.Second)
	e.do(secret, "GET", "/v1/api-keys", "")
	if got := lastUsed(); got != first {
		t.Errorf("last_used_at after a use within the minute = %v, want %v", got, first)
	}
	e.clock.Advance(time.Second)
	later := e.clock.Now().Format(time.RFC3339Nano)
	e.do(secret, "GET", "/v1/api-keys", "")
	if got := lastUsed(); got != later {
		t.Errorf("last_used_at a minute on = %v, want %v", got, later)
	}
}

// TestAPIKeyCreateReplay: an Idempotency-Key replay of a create answers
// the same key without its secret, which is never stored.
func TestAPIKeyCreateReplay(t *testing.T) {
	t.Parallel()
	e := newKeysEnv(t)
	body := `{"name":"once","scopes":["keys:read"]}`
	code, first := e.do(e.admin, "POST", "/v1/api-keys", body, "Idempotency-Key", "k1")
	if code != 201 || first["key"] == nil {
		t.Fatalf("create: %d %v", code, first)
	}
	code, replay := e.do(e.admin, "POST", "/v1/api-keys", body, "Idempotency-Key", "k1")
	if code != 201 || replay["id"] != first["id"] || replay["key"] != nil {
		t.Errorf("replay: %d %v, want the same key without its secret", code, replay)
	}
}
