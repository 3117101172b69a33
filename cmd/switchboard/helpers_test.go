package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/openapi/openapitest"
	"github.com/switchboard-voice/switchboard/webhook"
)

// validator checks every response the end-to-end tests receive against
// the committed OpenAPI spec, and records which operations were exercised.
var (
	validatorOnce sync.Once
	validator     *openapitest.Validator
)

func specValidator(t testing.TB) *openapitest.Validator {
	validatorOnce.Do(func() { validator = openapitest.New(t) })
	return validator
}

// syncBuffer is a log sink that tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is the real program on :0 with a fresh SQLite database.
type testServer struct {
	*Main
	t      *testing.T
	dsn    string // the --database value of this server
	logs   *syncBuffer
	stdout *syncBuffer
}

type serverOption func(*ServeConfig)

func withRateLimit(r float64) serverOption { return func(c *ServeConfig) { c.RateLimit = r } }

// withWebhookSchedule compresses the delivery retry schedule, written as
// --webhook-retry-schedule takes it ("0s,20ms,20ms").
func withWebhookSchedule(t *testing.T, spec string) serverOption {
	sched, err := webhook.ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *ServeConfig) { c.WebhookSchedule = sched }
}

// withWebhookTimeout is --webhook-timeout: how long one delivery POST may take.
func withWebhookTimeout(d time.Duration) serverOption {
	return func(c *ServeConfig) { c.WebhookTimeout = d }
}

// withoutPrivateWebhooks runs the server as in production, with the SSRF
// guard refusing private webhook URLs (startServer passes
// --webhook-allow-private by default).
func withoutPrivateWebhooks() serverOption {
	return func(c *ServeConfig) { c.WebhookAllowPrivate = false }
}

func startServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	dsn := testDatabase(t)
	cfg, err := parseServeFlags([]string{"--database", dsn, "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--rate-limit", "10000", "--log-format", "json", "--webhook-allow-private",
		"--call-journal", t.TempDir()},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&cfg)
	}
	ts := &testServer{t: t, dsn: dsn, logs: &syncBuffer{}, stdout: &syncBuffer{}}
	ts.Main = NewMain(cfg, ts.stdout, ts.logs)
	if err := ts.Open(context.Background()); err != nil {
		t.Fatalf("open: %v\nlogs:\n%s", err, ts.logs)
	}
	t.Cleanup(func() {
		// Bounded: the drain waits for live calls, and a test that failed
		// half-way may leave one up; it should fail, not hang until the
		// test binary's timeout.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := ts.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		// Secrets must never reach the logs.
		logs := ts.logs.String()
		if ts.BootstrapKey != "" && strings.Contains(logs, ts.BootstrapKey) {
			t.Errorf("the bootstrap API key appears in the logs")
		}
		for _, bad := range []string{"whsec_", "kros_live_", "kros_test_", "s3cret-pass"} {
			if strings.Contains(logs, bad) {
				t.Errorf("logs contain %q:\n%s", bad, logs)
			}
		}
	})
	if ts.BootstrapKey == "" {
		t.Fatal("a fresh database must print a bootstrap key")
	}
	return ts
}

// cli runs a subcommand of the real program against this server's database.
func (ts *testServer) cli(args ...string) string {
	ts.t.Helper()
	var out, errOut bytes.Buffer
	// Flags go before the positional arguments, after the command words.
	n := 1
	if args[0] == "keys" || args[0] == "inventory" {
		n = 2
	}
	args = append(append(append([]string{}, args[:n]...), "--database", ts.dsn), args[n:]...)
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
		ts.t.Fatalf("switchboard %v: %v\n%s", args, err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// newKey creates an organisation (if needed) and a key for it through the CLI.
func (ts *testServer) newKey(org string, scopes ...string) *client {
	args := []string{"keys", "create", "--org", org}
	if len(scopes) > 0 {
		args = append(args, "--scopes", strings.Join(scopes, ","))
	}
	return ts.client(ts.cli(args...))
}

func (ts *testServer) client(key string) *client {
	return &client{t: ts.t, base: ts.HTTPURL(), key: key}
}

// client calls the API with one key and validates every response.
type client struct {
	t    *testing.T
	base string
	key  string
}

// response is what a call returned: status, headers, raw and decoded body.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r *response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

func (r *response) list(key string) []any {
	l, _ := r.Body[key].([]any)
	return l
}

// errCode returns the code of an error response.
func (r *response) errCode() string { return r.str("code") }

type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func (c *client) do(method, path string, body any, opts ...reqOpt) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	specValidator(c.t).Check(c.t, req, resp, raw)
	out := &response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			c.t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	if out.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("%s %s: no X-Request-Id on the response", method, path)
	}
	return out
}

// must asserts the status of a response and returns it.
func (c *client) must(status int, r *response) *response {
	c.t.Helper()
	if r.Status != status {
		c.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// mustErr asserts an error response with the given status and code.
func (c *client) mustErr(status int, code string, r *response) *response {
	c.t.Helper()
	if r.Status != status || r.errCode() != code {
		c.t.Fatalf("got %d %s, want %d %s: %s", r.Status, r.errCode(), status, code, r.Raw)
	}
	if r.str("error") == "" || r.str("request_id") == "" {
		c.t.Fatalf("error envelope lacks error or request_id: %s", r.Raw)
	}
	return r
}
