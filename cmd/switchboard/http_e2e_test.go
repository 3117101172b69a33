package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestRequestHandling(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)

	c.mustErr(400, "INVALID_JSON", c.do("POST", "/v1/endpoints", `{"name": "x",`))
	c.mustErr(400, "INVALID_JSON", c.do("POST", "/v1/endpoints", `[1,2]`))
	c.mustErr(400, "INVALID_JSON", c.do("POST", "/v1/endpoints", `{"name":"a","type":"webhook","url":"https://a.example"} {}`))
	c.mustErr(400, "INVALID_JSON", c.do("POST", "/v1/endpoints", `null`))
	big := `{"name": "` + strings.Repeat("x", 1<<20) + `"}`
	c.mustErr(413, "PAYLOAD_TOO_LARGE", c.do("POST", "/v1/endpoints", big))
	c.mustErr(415, "UNSUPPORTED_MEDIA_TYPE", c.do("POST", "/v1/endpoints", `name=x`, header("Content-Type", "application/x-www-form-urlencoded")))
	c.must(201, c.do("POST", "/v1/endpoints", `{"name":"a","type":"webhook","url":"https://a.example"}`,
		header("Content-Type", "application/json; charset=utf-8")))

	// Request ids: echoed when sane, generated otherwise.
	r := c.must(200, c.do("GET", "/v1/endpoints", nil, header("X-Request-Id", "trace-123")))
	if r.Header.Get("X-Request-Id") != "trace-123" {
		t.Fatalf("request id not echoed: %q", r.Header.Get("X-Request-Id"))
	}
	e := c.mustErr(404, "ENDPOINT_NOT_FOUND", c.do("GET", "/v1/endpoints/ep_missing", nil))
	if id := e.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") || e.str("request_id") != id {
		t.Fatalf("generated request id %q, body %s", id, e.Raw)
	}
	if !strings.Contains(ts.logs.String(), `"request_id":"trace-123"`) {
		t.Fatalf("logs must carry the request id")
	}

	// System routes, unknown routes and wrong methods.
	anon := ts.client("")
	if h := anon.must(200, anon.do("GET", "/healthz", nil)); h.str("status") != "ok" {
		t.Fatalf("healthz: %s", h.Raw)
	}
	spec := anon.must(200, anon.do("GET", "/v1/openapi.json", nil))
	if spec.str("openapi") == "" || spec.Body["paths"] == nil {
		t.Fatalf("openapi.json: %.200s", spec.Raw)
	}
	anon.must(200, anon.do("GET", "/api/v1/openapi.json", nil))
	// Not in the spec, so call it without the validator.
	resp := rawRequest(t, "GET", ts.HTTPURL()+"/v1/nothing-here", ts.BootstrapKey)
	if resp.status != 404 || !strings.Contains(resp.body, `"NOT_FOUND"`) {
		t.Fatalf("unknown route: %d %s", resp.status, resp.body)
	}
	resp = rawRequest(t, "PUT", ts.HTTPURL()+"/v1/endpoints", ts.BootstrapKey)
	if resp.status != 405 || !strings.Contains(resp.body, `"METHOD_NOT_ALLOWED"`) {
		t.Fatalf("wrong method: %d %s", resp.status, resp.body)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	body := map[string]any{"name": "Once", "type": "webhook", "url": "https://once.example/hook"}
	first := c.must(201, c.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "k-1")))
	second := c.must(201, c.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "k-1")))
	if !bytes.Equal(first.Raw, second.Raw) || second.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Raw, second.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/endpoints", nil)); l.Body["total"] != float64(1) {
		t.Fatalf("a replayed request must not run twice: %s", l.Raw)
	}
	body["name"] = "Twice"
	c.mustErr(422, "IDEMPOTENCY_KEY_REUSED", c.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "k-1")))
	// The same key under another API key is independent.
	other := ts.newKey("default")
	other.must(201, other.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "k-1")))
	// Errors are replayed too (they were the first response), PATCH and DELETE honour the key.
	id := first.str("id")
	p1 := c.must(200, c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Renamed"}, header("Idempotency-Key", "k-2")))
	c.must(200, c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Other"}))
	p2 := c.must(200, c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Renamed"}, header("Idempotency-Key", "k-2")))
	if !bytes.Equal(p1.Raw, p2.Raw) {
		t.Fatalf("PATCH replay differs")
	}
	d1 := c.must(200, c.do("DELETE", "/v1/endpoints/"+id, nil, header("Idempotency-Key", "k-3")))
	d2 := c.must(200, c.do("DELETE", "/v1/endpoints/"+id, nil, header("Idempotency-Key", "k-3")))
	if !bytes.Equal(d1.Raw, d2.Raw) || d2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("DELETE replay: %s / %s", d1.Raw, d2.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/endpoints", body, header("Idempotency-Key", strings.Repeat("k", 256))))
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withRateLimit(1)) // burst 2
	c := ts.client(ts.BootstrapKey)
	var limited *response
	for i := 0; i < 10 && limited == nil; i++ {
		r := c.do("GET", "/v1/endpoints", nil)
		if r.Header.Get("X-RateLimit-Limit") != "1" || r.Header.Get("X-RateLimit-Remaining") == "" || r.Header.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("rate limit headers missing: %v", r.Header)
		}
		if r.Status == 429 {
			limited = r
		}
	}
	if limited == nil {
		t.Fatal("ten requests at once never hit a limit of 1/s with burst 2")
	}
	c.mustErr(429, "RATE_LIMIT_EXCEEDED", limited)
	if ra, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", limited.Header.Get("Retry-After"))
	}
	if wait, ok := limited.Body["retry_after"].(float64); !ok || wait <= 0 || wait > 1 {
		t.Fatalf("retry_after %v", limited.Body["retry_after"])
	}
	// Limits are per key: another key is unaffected.
	other := ts.newKey("default")
	other.must(200, other.do("GET", "/v1/endpoints", nil))
}

func TestBootstrapOnlyOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	if !strings.Contains(ts.stdout.String(), ts.BootstrapKey) {
		t.Fatalf("the bootstrap key must be printed on stdout")
	}
	ts.Close(context.Background())
	again := NewMain(ts.Config, &syncBuffer{}, &syncBuffer{})
	if err := again.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer again.Close(context.Background())
	if again.BootstrapKey != "" {
		t.Fatal("a second start must not create another key")
	}
	// The first key still works after a restart.
	c := &client{t: t, base: again.HTTPURL(), key: ts.BootstrapKey}
	c.must(200, c.do("GET", "/v1/endpoints", nil))
	ts.Main = again // the cleanup closes what is running
}

func TestCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"SWITCHBOARD_DATABASE": "sqlite:" + dir + "/env.db"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v %s", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"keys", "create", "--org", "acme", "--scopes", "calls:read"}, getenv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if key := strings.TrimSpace(out.String()); !strings.HasPrefix(key, "kros_live_") || strings.Contains(key, "\n") {
		t.Fatalf("keys create must print only the key, got %q", out.String())
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{}, 2},
		{[]string{"bogus"}, 2},
		{[]string{"keys", "create"}, 2},
		{[]string{"keys", "create", "--org", "a", "--scopes", "calls:rwx"}, 2},
		{[]string{"inventory", "add"}, 2},
		{[]string{"inventory", "add", "12345"}, 2},
		{[]string{"inventory", "add", "--type", "fax", "+2348012345678"}, 2},
		{[]string{"serve", "--sip-trusted", "not-a-cidr"}, 2},
		{[]string{"serve", "--database", "postgres://127.0.0.1:1/x?connect_timeout=2", "--http", "127.0.0.1:0"}, 1},
		// A journal directory that cannot be made (a file is in the way).
		{[]string{"serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--call-journal", dir + "/env.db/x"}, 1},
	} {
		err := run(context.Background(), tc.args, getenv, &out, &errOut)
		if err == nil || exitCode(err) != tc.code {
			t.Errorf("switchboard %v: err %v, exit %d, want %d", tc.args, err, exitCode(err), tc.code)
		}
	}
	// Flags win over the environment.
	env["SWITCHBOARD_HTTP"] = "127.0.0.1:1"
	cfg, err := parseServeFlags([]string{"--http", "127.0.0.1:2"}, getenv, &errOut)
	if err != nil || cfg.HTTPAddr != "127.0.0.1:2" || cfg.Database != env["SWITCHBOARD_DATABASE"] {
		t.Fatalf("flag/env precedence: %+v %v", cfg, err)
	}
	env["SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE"] = "true"
	env["SWITCHBOARD_SIP_TRUSTED"] = "10.0.0.0/8, 192.0.2.7"
	cfg, err = parseServeFlags(nil, getenv, &errOut)
	if err != nil || !cfg.WebhookAllowPrivate || len(cfg.SIPTrusted) != 2 || cfg.SIPTrusted[1].String() != "192.0.2.7/32" {
		t.Fatalf("env flags: %+v %v", cfg, err)
	}
}

type rawResp struct {
	status int
	body   string
}

// rawRequest calls a route that the spec does not document (so no validation).
func rawRequest(t *testing.T, method, url, key string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %s", method, url, buf.String())
	}
	return rawResp{resp.StatusCode, buf.String()}
}
