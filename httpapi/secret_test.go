package httpapi_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
)

// TestSecretsNeedWriteScope: a key with only endpoints:read or
// webhooks:read never receives a whsec_ signing secret (it could forge
// webhooks with it), while a key with the :write scope does. The API runs
// over a checking storecache, which caches encoded endpoint bodies, and
// the reads alternate between the keys so that neither view can be served
// from bytes cached for the other.
func TestSecretsNeedWriteScope(t *testing.T) {
	t.Parallel()
	db, cache, orgID := checkingStore(t, "secrets")
	newKey := func(scopes ...switchboard.Scope) string { return newTestKey(t, db, orgID, scopes...) }
	all := newKey(switchboard.AllScopes...)
	readers := map[string]string{
		"endpoints:read": newKey(switchboard.ScopeEndpointsRead),
		"webhooks:read":  newKey(switchboard.ScopeWebhooksRead),
		"all reads": newKey(switchboard.ScopeEndpointsRead, switchboard.ScopeWebhooksRead,
			switchboard.ScopeNumbersRead, switchboard.ScopeCallsRead),
	}
	endpointWriter := newKey(switchboard.ScopeEndpointsRead, switchboard.ScopeEndpointsWrite)
	webhookWriter := newKey(switchboard.ScopeWebhooksRead, switchboard.ScopeWebhooksWrite)
	api := httpapi.NewServer(cache, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{RateLimit: 1e6})

	ep := do(t, api, all, "POST", "/v1/endpoints", `{"name":"hook","type":"webhook","url":"https://example.com/calls"}`)
	hook := do(t, api, all, "POST", "/v1/webhooks", `{"url":"https://example.com/events","events":["call.*"]}`)
	if ep.status != 201 || hook.status != 201 {
		t.Fatalf("create: %d %s / %d %s", ep.status, ep.raw, hook.status, hook.raw)
	}
	epSecret, _ := ep.body["secret"].(string)
	hookSecret, _ := hook.body["secret"].(string)
	if len(epSecret) < 10 || len(hookSecret) < 10 {
		t.Fatalf("creates must return the secrets: %s %s", ep.raw, hook.raw)
	}
	epPaths := []string{"/v1/endpoints/" + ep.body["id"].(string), "/v1/endpoints", "/v1/endpoints?type=webhook", "/api/v1/endpoints/" + ep.body["id"].(string)}
	hookPaths := []string{"/v1/webhooks/" + hook.body["id"].(string), "/v1/webhooks"}

	type read struct {
		key    string
		paths  []string
		secret string // "" when the key must not see it
	}
	var reads []read
	for name, key := range readers {
		if name != "webhooks:read" {
			reads = append(reads, read{key, epPaths, ""})
		}
		if name != "endpoints:read" {
			reads = append(reads, read{key, hookPaths, ""})
		}
	}
	reads = append(reads,
		read{all, epPaths, epSecret}, read{all, hookPaths, hookSecret},
		read{endpointWriter, epPaths, epSecret}, read{webhookWriter, hookPaths, hookSecret})
	// Twice over, full and redacted views interleaved, so each kind of
	// read comes both before and after the other has filled the cache.
	for round := range 2 {
		for i := range reads {
			rd := reads[i]
			if round == 1 {
				rd = reads[len(reads)-1-i]
			}
			for _, p := range rd.paths {
				r := do(t, api, rd.key, "GET", p, "")
				if r.status != 200 {
					t.Fatalf("GET %s: %d %s", p, r.status, r.raw)
				}
				has := bytes.Contains(r.raw, []byte("whsec_"))
				switch {
				case rd.secret == "" && has:
					t.Errorf("round %d: GET %s with a read-only key returned a secret: %s", round, p, r.raw)
				case rd.secret != "" && !bytes.Contains(r.raw, []byte(rd.secret)):
					t.Errorf("round %d: GET %s with a write key lacks the secret: %s", round, p, r.raw)
				}
			}
		}
	}
}
