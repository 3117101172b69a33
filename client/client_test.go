package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/client"
)

// These tests cover the client's own logic (errors, retries, paging)
// against a scripted httptest server; the SDK against the real server is
// cmd/switchboard/sdk_e2e_test.go.

// recorded is one request the scripted server received.
type recorded struct {
	Method, Path, Query, IdemKey, APIKey, Body string
}

// script answers the i-th request with replies[i] (the last one again
// once they run out) and records every request.
type script struct {
	mu      sync.Mutex
	got     []recorded
	replies []func(w http.ResponseWriter, r *http.Request)
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.got)
	s.got = append(s.got, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Idempotency-Key"), r.Header.Get("x-api-key"), string(body)})
	reply := s.replies[min(i, len(s.replies)-1)]
	s.mu.Unlock()
	reply(w, r)
}

func (s *script) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.got...)
}

func reply(status int, body string, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// newScripted returns a client of a scripted server whose sleeps are
// recorded instead of waited, with no jitter.
func newScripted(t *testing.T, replies ...func(http.ResponseWriter, *http.Request)) (*client.Client, *script, *[]time.Duration) {
	t.Helper()
	s := &script{replies: replies}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var sleeps []time.Duration
	var mu sync.Mutex
	c := client.New(srv.URL+"/v1/", "kros_test_key",
		client.WithBackoff(100*time.Millisecond, time.Second),
		client.WithJitter(func(d time.Duration) time.Duration { return d }),
		client.WithSleep(func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			sleeps = append(sleeps, d)
			return ctx.Err()
		}))
	return c, s, &sleeps
}

const epJSON = `{"id":"ep_1","name":"a","type":"agent","url":"sip:a@example.com","status":"active","ring_timeout":30,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`

func TestErrorFromEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		want   client.Error
	}{
		{name: "envelope", status: 404, body: `{"error":"Endpoint not found.","code":"ENDPOINT_NOT_FOUND","request_id":"req_1"}`,
			want: client.Error{Status: 404, Code: "ENDPOINT_NOT_FOUND", Message: "Endpoint not found.", RequestID: "req_1"}},
		{name: "details", status: 400, body: `{"error":"bad","code":"VALIDATION_ERROR","details":{"field":"url"},"request_id":"req_2"}`,
			want: client.Error{Status: 400, Code: "VALIDATION_ERROR", Message: "bad", RequestID: "req_2", Details: map[string]any{"field": "url"}}},
		{name: "not the envelope: the body's excerpt, the header's request id", status: 403, body: `<html>denied</html>`, header: []string{"X-Request-Id", "req_h"},
			want: client.Error{Status: 403, Message: "<html>denied</html>", RequestID: "req_h"}},
		{name: "empty body", status: 403, body: ``,
			want: client.Error{Status: 403, Message: "Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, _ := newScripted(t, reply(tt.status, tt.body, tt.header...))
			_, err := c.GetEndpoint(context.Background(), "ep_1")
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *client.Error", err)
			}
			if e.Status != tt.want.Status || e.Code != tt.want.Code || e.Message != tt.want.Message || e.RequestID != tt.want.RequestID ||
				fmt.Sprint(e.Details) != fmt.Sprint(tt.want.Details) {
				t.Errorf("got %+v, want %+v", *e, tt.want)
			}
			if client.ErrorCode(err) != tt.want.Code {
				t.Errorf("ErrorCode = %q", client.ErrorCode(err))
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	ok := reply(200, epJSON)
	tests := []struct {
		name       string
		replies    []func(http.ResponseWriter, *http.Request)
		wantErr    string // code of the final error, "" for success
		wantStatus int
		wantSleeps []time.Duration
	}{
		{name: "429 with Retry-After, then 200", replies: []func(http.ResponseWriter, *http.Request){
			reply(429, `{"error":"slow down","code":"RATE_LIMIT_EXCEEDED","request_id":"r","retry_after":1.5}`, "Retry-After", "2"), ok},
			wantSleeps: []time.Duration{2 * time.Second}},
		{name: "429 with retry_after only", replies: []func(http.ResponseWriter, *http.Request){
			reply(429, `{"error":"slow down","code":"RATE_LIMIT_EXCEEDED","request_id":"r","retry_after":0.25}`), ok},
			wantSleeps: []time.Duration{250 * time.Millisecond}},
		{name: "5xx backs off exponentially, capped", replies: []func(http.ResponseWriter, *http.Request){
			reply(503, `{"error":"x","code":"SERVICE_UNAVAILABLE","request_id":"r"}`)},
			wantErr: "SERVICE_UNAVAILABLE", wantStatus: 503,
			wantSleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
		{name: "500 then 200", replies: []func(http.ResponseWriter, *http.Request){
			reply(500, `{"error":"x","code":"INTERNAL_ERROR","request_id":"r"}`), ok},
			wantSleeps: []time.Duration{100 * time.Millisecond}},
		{name: "409 IDEMPOTENCY_KEY_IN_USE is retried", replies: []func(http.ResponseWriter, *http.Request){
			reply(409, `{"error":"x","code":"IDEMPOTENCY_KEY_IN_USE","request_id":"r"}`), ok},
			wantSleeps: []time.Duration{100 * time.Millisecond}},
		{name: "409 CONFLICT is not", replies: []func(http.ResponseWriter, *http.Request){
			reply(409, `{"error":"x","code":"CONFLICT","request_id":"r"}`), ok},
			wantErr: "CONFLICT", wantStatus: 409},
		{name: "400 is not", replies: []func(http.ResponseWriter, *http.Request){
			reply(400, `{"error":"x","code":"VALIDATION_ERROR","request_id":"r"}`), ok},
			wantErr: "VALIDATION_ERROR", wantStatus: 400},
		{name: "501 is not", replies: []func(http.ResponseWriter, *http.Request){
			reply(501, `{"error":"x","code":"INTERNAL_ERROR","request_id":"r"}`), ok},
			wantErr: "INTERNAL_ERROR", wantStatus: 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, sleeps := newScripted(t, tt.replies...)
			var resp client.Response
			ep, err := c.CreateEndpoint(client.CaptureResponse(context.Background(), &resp), client.EndpointCreate{Name: "a", Type: "agent", URL: "sip:a@example.com"})
			if tt.wantErr == "" {
				if err != nil || ep.ID != "ep_1" {
					t.Fatalf("got %v, %v", ep, err)
				}
			} else {
				var e *client.Error
				if !errors.As(err, &e) || e.Code != tt.wantErr || e.Status != tt.wantStatus {
					t.Fatalf("err = %v, want %d %s", err, tt.wantStatus, tt.wantErr)
				}
			}
			if fmt.Sprint(*sleeps) != fmt.Sprint(tt.wantSleeps) {
				t.Errorf("slept %v, want %v", *sleeps, tt.wantSleeps)
			}
			reqs := s.requests()
			if len(reqs) != len(tt.wantSleeps)+1 || resp.Attempts != len(reqs) {
				t.Errorf("%d requests, Attempts %d; want %d", len(reqs), resp.Attempts, len(tt.wantSleeps)+1)
			}
			// One Idempotency-Key, a UUIDv4, on every attempt: a retried
			// write is the same write.
			for _, r := range reqs {
				if r.IdemKey != reqs[0].IdemKey || len(r.IdemKey) != 36 || r.IdemKey[14] != '4' {
					t.Errorf("Idempotency-Key %q on an attempt, first %q", r.IdemKey, reqs[0].IdemKey)
				}
				if r.APIKey != "kros_test_key" || r.Path != "/v1/endpoints" || r.Body != reqs[0].Body {
					t.Errorf("request %+v", r)
				}
			}
		})
	}
}

func TestRetryConnectionError(t *testing.T) {
	t.Parallel()
	// A server that is gone: every attempt fails to connect.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var sleeps []time.Duration
	c := client.New(url, "k", client.WithRetries(2), client.WithJitter(func(d time.Duration) time.Duration { return d }),
		client.WithSleep(func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }))
	_, err := c.GetEndpoint(context.Background(), "ep_1")
	var e *client.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("err = %v, want a connection error", err)
	}
	if len(sleeps) != 2 || sleeps[0] != 500*time.Millisecond || sleeps[1] != time.Second {
		t.Errorf("slept %v, want [500ms 1s]", sleeps)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	c, s, _ := newScripted(t, reply(503, `{"error":"x","code":"SERVICE_UNAVAILABLE","request_id":"r"}`))
	c2 := client.New(c.BaseURL(), "k", client.WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
	_, err := c2.GetEndpoint(ctx, "ep_1")
	if client.ErrorCode(err) != "SERVICE_UNAVAILABLE" || len(s.requests()) != 1 {
		t.Fatalf("err = %v after %d requests; want the 503 after 1", err, len(s.requests()))
	}
}

func TestIdempotencyKeyAndRequestIDFromContext(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		reply(200, epJSON)(w, r)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "k", client.WithUserAgent("test-agent"))
	ctx := client.WithRequestID(client.WithIdempotencyKey(context.Background(), "my-key"), "req_mine")
	if _, err := c.DeleteEndpoint(ctx, "ep_1"); err != nil {
		t.Fatal(err)
	}
	if got.Get("Idempotency-Key") != "my-key" || got.Get("X-Request-Id") != "req_mine" || got.Get("User-Agent") != "test-agent" {
		t.Errorf("headers %v", got)
	}
	// A read carries no Idempotency-Key.
	if _, err := c.GetEndpoint(context.Background(), "ep_1"); err != nil {
		t.Fatal(err)
	}
	if got.Get("Idempotency-Key") != "" {
		t.Errorf("GET sent Idempotency-Key %q", got.Get("Idempotency-Key"))
	}
}

func TestListIteratorPages(t *testing.T) {
	t.Parallel()
	const total = 7
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		items := []map[string]any{}
		for i := offset; i < min(offset+limit, total); i++ {
			items = append(items, map[string]any{"id": fmt.Sprintf("ep_%d", i), "name": "n"})
		}
		json.NewEncoder(w).Encode(map[string]any{"endpoints": items, "total": total, "limit": limit, "offset": offset})
	}))
	defer srv.Close()
	c := client.New(srv.URL, "k")
	var ids []string
	for ep, err := range c.ListEndpoints(context.Background(), client.ListEndpointsParams{Type: "agent", ListOptions: client.ListOptions{Limit: 3}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ep.ID)
	}
	if fmt.Sprint(ids) != "[ep_0 ep_1 ep_2 ep_3 ep_4 ep_5 ep_6]" {
		t.Errorf("ids %v", ids)
	}
	if fmt.Sprint(queries) != "[limit=3&type=agent limit=3&offset=3&type=agent limit=3&offset=6&type=agent]" {
		t.Errorf("queries %v", queries)
	}
	// Breaking out of the loop stops fetching.
	queries = nil
	for range c.ListEndpoints(context.Background(), client.ListEndpointsParams{ListOptions: client.ListOptions{Limit: 3}}) {
		break
	}
	if len(queries) != 1 {
		t.Errorf("%d requests after break, want 1", len(queries))
	}
	p, err := c.ListEndpointsPage(context.Background(), client.ListEndpointsParams{ListOptions: client.ListOptions{Limit: 3, Offset: 6}})
	if err != nil || len(p.Items) != 1 || p.Total != total || p.Offset != 6 || p.HasMore() {
		t.Errorf("page %+v, %v", p, err)
	}
}

func TestListIteratorYieldsErrors(t *testing.T) {
	t.Parallel()
	c, _, _ := newScripted(t, reply(200, `{"endpoints":[`+epJSON+`],"total":5,"limit":1,"offset":0}`),
		reply(403, `{"error":"no","code":"INSUFFICIENT_SCOPE","request_id":"r"}`))
	got, err := client.Collect(c.ListEndpoints(context.Background(), client.ListEndpointsParams{ListOptions: client.ListOptions{Limit: 1}}))
	if len(got) != 1 || client.ErrorCode(err) != "INSUFFICIENT_SCOPE" {
		t.Errorf("got %d items, %v", len(got), err)
	}
}

func TestPatchSendsOnlySetFields(t *testing.T) {
	t.Parallel()
	c, s, _ := newScripted(t, reply(200, epJSON))
	_, err := c.UpdateEndpoint(context.Background(), "ep_1", client.EndpointUpdate{
		Name: switchboard.Some("new"), URL: switchboard.Null[string](), RingTimeout: switchboard.Some(0)})
	if err != nil {
		t.Fatal(err)
	}
	if b := s.requests()[0].Body; b != `{"name":"new","url":null,"ring_timeout":0}` {
		t.Errorf("body %s", b)
	}
}

func TestNewBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://h:1": "http://h:1", "http://h:1/": "http://h:1", "http://h:1/v1": "http://h:1",
		"http://h:1/api/v1/": "http://h:1", "https://h/sb/v1": "https://h/sb",
	} {
		if got := client.New(in, "k").BaseURL(); got != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, got, want)
		}
	}
}
