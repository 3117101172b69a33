package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestAPIKeysE2E: keys made, listed and revoked through the API and the
// CLI of the real program, every response checked against the spec.
func TestAPIKeysE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	admin := ts.client(ts.BootstrapKey)

	// The bootstrap key holds every scope, keys:write included.
	made := admin.must(201, admin.do("POST", "/v1/api-keys", map[string]any{
		"name": "dashboard reader", "scopes": []string{"endpoints:read", "keys:read"}, "mode": "test",
	}))
	secret, id := made.str("key"), made.str("id")
	if !strings.HasPrefix(secret, "kros_test_") || made.str("prefix") != secret[:14] || made.str("mode") != "test" {
		t.Fatalf("created key: %s", made.Raw)
	}
	reader := ts.client(secret)
	reader.must(200, reader.do("GET", "/api/v1/endpoints", nil))
	reader.mustErr(403, "INSUFFICIENT_SCOPE", reader.do("POST", "/v1/api-keys", map[string]any{"name": "x", "scopes": []string{"endpoints:read"}}))
	if got := reader.must(200, reader.do("GET", "/v1/api-keys/"+id, nil)); got.str("key") != "" || got.Body["last_used_at"] == nil {
		t.Errorf("GET of a used key: %s", got.Raw)
	}
	lim := ts.client(admin.must(201, admin.do("POST", "/v1/api-keys", map[string]any{
		"name": "limited writer", "scopes": []string{"keys:write", "calls:read"},
	})).str("key"))
	lim.mustErr(403, "INSUFFICIENT_SCOPE", lim.do("POST", "/v1/api-keys", map[string]any{"name": "x", "scopes": []string{"calls:write"}}))

	// keys list shows both, with their prefixes and never a secret.
	out := ts.cli("keys", "list", "--org", "default")
	if !strings.Contains(out, id) || !strings.Contains(out, secret[:14]) || strings.Contains(out, secret) ||
		strings.Contains(out, ts.BootstrapKey) || strings.Count(out, "\n") != 3 {
		t.Errorf("keys list:\n%s", out)
	}
	if out := ts.cli("keys", "list", "--org", "default", "--mode", "test"); strings.Count(out, "\n") != 1 || !strings.Contains(out, id) {
		t.Errorf("keys list --mode test:\n%s", out)
	}

	// Revoked through the API: refused at once.
	rev := admin.must(200, admin.do("DELETE", "/v1/api-keys/"+id, nil))
	if rev.Body["revoked_at"] == nil {
		t.Fatalf("revoke: %s", rev.Raw)
	}
	reader.mustErr(401, "INVALID_API_KEY", reader.do("GET", "/v1/endpoints", nil))
	if again := admin.must(200, admin.do("DELETE", "/v1/api-keys/"+id, nil)); again.Body["revoked_at"] != rev.Body["revoked_at"] {
		t.Errorf("second revoke changed revoked_at: %s", again.Raw)
	}
	if out := ts.cli("keys", "revoke", id); !strings.Contains(out, "already revoked") {
		t.Errorf("keys revoke of a revoked key: %q", out)
	}

	// Revoked by the CLI (another process as far as serve knows): refused
	// within the key cache's 10 s.
	other := ts.client(admin.must(201, admin.do("POST", "/v1/api-keys", map[string]any{"name": "cli", "scopes": []string{"endpoints:read"}})).str("key"))
	other.must(200, other.do("GET", "/v1/endpoints", nil))
	otherID := admin.must(200, admin.do("GET", "/v1/api-keys?limit=1", nil)).list("api_keys")[0].(map[string]any)["id"].(string)
	if out := ts.cli("keys", "revoke", otherID); !strings.HasPrefix(out, "revoked "+otherID) {
		t.Errorf("keys revoke: %q", out)
	}
	eventually(t, 11*time.Second, "the key revoked by the CLI refused", func() bool {
		return other.do("GET", "/v1/endpoints", nil).Status == 401
	})
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"keys", "revoke", "--database", ts.dsn, "key_doesnotexist"}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no such API key") {
		t.Errorf("keys revoke of a missing key: %v", err)
	}
	err = run(context.Background(), []string{"keys", "list", "--database", ts.dsn, "--org", "nobody"}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("keys list of a missing organisation: %v", err)
	}
}

// TestMultiNodeKeyRevocation: a key revoked through one node is refused
// by another that has it cached, through the change feed, well within
// the key cache's 10 s.
func TestMultiNodeKeyRevocation(t *testing.T) {
	t.Parallel()
	dsn := sharedSchema(t)
	a := startNode(t, dsn)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn)
	ca := &client{t: t, base: a.httpURL, key: key}
	made := ca.must(201, ca.do("POST", "/v1/api-keys", map[string]any{"name": "roaming", "scopes": []string{"endpoints:read"}}))
	cb := &client{t: t, base: b.httpURL, key: made.str("key")}
	cb.must(200, cb.do("GET", "/v1/endpoints", nil)) // now cached on B
	ca.must(200, ca.do("DELETE", "/v1/api-keys/"+made.str("id"), nil))
	start := time.Now()
	eventually(t, 5*time.Second, "node B refusing the key revoked through node A", func() bool {
		return cb.do("GET", "/v1/endpoints", nil).Status == 401
	})
	t.Logf("node B refused the revoked key %v after node A revoked it", time.Since(start).Round(time.Millisecond))
}
