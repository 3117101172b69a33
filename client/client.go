// Package client is the Go SDK of the Switchboard API: a typed method for
// every operation of openapi/openapi.yaml, with the API's conventions
// handled once, here.
//
//   - Every method takes a context first and returns *Error for an API
//     error (its Status, Code, Message, RequestID and Details come from the
//     API's error envelope).
//   - Every POST, PATCH and DELETE carries an Idempotency-Key (a random
//     UUIDv4 unless the caller gives one with WithIdempotencyKey), the same
//     on every retry, so a retried write is answered with the first
//     response rather than done twice.
//   - A request is retried, with exponential backoff and jitter, on
//     connection errors, 429, 409 IDEMPOTENCY_KEY_IN_USE and 5xx
//     (except 501), honouring Retry-After. Reads are safe to retry by
//     nature, writes because of their Idempotency-Key.
//   - Lists are iterators (iter.Seq2) that fetch page after page with
//     limit and offset; the …Page methods fetch one page.
//
// The methods are written by hand, not generated. The API is small (about
// forty operations), its request bodies accept aliases (camelCase,
// provider-named types) that a generator would turn into noise, and its
// responses are the root package's types (switchboard.Endpoint,
// switchboard.PhoneNumber, …), which a generator would duplicate. A test
// (TestEveryOperationHasAMethod) parses openapi.yaml and fails when an
// operation has no method here, so the SDK cannot silently fall behind the
// contract.
//
// Responses decode into the root package's types wherever the API writes
// them (one type per resource, the same on both sides of the wire); the
// client defines types only for the bodies the API builds for itself
// (list parameters, the route explanation, a claim's body, …).
package client

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Version is the SDK's version, sent in the default User-Agent.
const Version = "0.1.0"

// Environment variables New falls back to.
const (
	EnvURL    = "SWITCHBOARD_URL"
	EnvAPIKey = "SWITCHBOARD_API_KEY"
)

// Client calls one Switchboard API with one API key. It is safe for
// concurrent use.
type Client struct {
	root       string // the server's root URL, without /v1
	api        string // root + "/v1"
	key        string
	hc         *http.Client
	userAgent  string
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
	sleep      func(context.Context, time.Duration) error
	jitter     func(time.Duration) time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (default: a client with a 60 s
// timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetries sets how many times a failed request is retried (default 3;
// 0 disables retries).
func WithRetries(n int) Option { return func(c *Client) { c.maxRetries = max(n, 0) } }

// WithBackoff sets the first retry delay and the cap on any delay that
// the client picks itself (defaults 500 ms and 30 s). A Retry-After from
// the server is honoured as sent.
func WithBackoff(first, cap time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, cap }
}

// WithSleep replaces how the client waits between retries; tests pass a
// function that records the delay and returns at once. It must return
// ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithJitter replaces the jitter applied to computed backoff delays
// (default: uniformly random in [d/2, d]); tests pass the identity.
func WithJitter(j func(d time.Duration) time.Duration) Option {
	return func(c *Client) { c.jitter = j }
}

// New returns a client of the API at baseURL ("http://localhost:8080";
// a trailing /v1 or /api/v1 is accepted) with apiKey. An empty baseURL or
// apiKey is taken from SWITCHBOARD_URL or SWITCHBOARD_API_KEY.
func New(baseURL, apiKey string, opts ...Option) *Client {
	if baseURL == "" {
		baseURL = os.Getenv(EnvURL)
	}
	if apiKey == "" {
		apiKey = os.Getenv(EnvAPIKey)
	}
	root := strings.TrimRight(baseURL, "/")
	for _, suffix := range []string{"/api/v1", "/v1"} {
		if r, ok := strings.CutSuffix(root, suffix); ok {
			root = r
			break
		}
	}
	c := &Client{
		root: root, api: root + "/v1", key: apiKey,
		hc:         &http.Client{Timeout: 60 * time.Second},
		userAgent:  "switchboard-go/" + Version,
		maxRetries: 3,
		minBackoff: 500 * time.Millisecond,
		maxBackoff: 30 * time.Second,
		sleep:      sleepCtx,
		jitter:     func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) },
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the server's root URL, as New derived it.
func (c *Client) BaseURL() string { return c.root }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Error is an error response of the API: KrosAI's flat envelope
// {"error", "code", "details", "request_id"} and the HTTP status.
type Error struct {
	Status    int            // HTTP status
	Code      string         // machine code, e.g. ENDPOINT_NOT_FOUND; "" when the body was not the envelope
	Message   string         // human message
	RequestID string         // the request's id, to quote to the operator
	Details   map[string]any // e.g. details.field of a VALIDATION_ERROR
	// RetryAfter is how long the server asked to wait (429), else 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "switchboard: %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later: a rate
// limit, a request with the same Idempotency-Key still running, or a
// server fault.
func (e *Error) Retryable() bool {
	return retryableStatus(e.Status, e.Code)
}

// ErrorCode returns the API error code of err ("" when err is not an
// *Error), for a switch on codes.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func retryableStatus(status int, code string) bool {
	switch {
	case status == http.StatusTooManyRequests:
		return true
	case status == http.StatusConflict && code == "IDEMPOTENCY_KEY_IN_USE":
		return true
	case status >= 500 && status != http.StatusNotImplemented:
		return true
	}
	return false
}

// parseError builds the *Error of a non-2xx response.
func parseError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var env struct {
		Error      string         `json:"error"`
		Code       string         `json:"code"`
		Details    map[string]any `json:"details"`
		RequestID  string         `json:"request_id"`
		RetryAfter *float64       `json:"retry_after"`
	}
	if json.Unmarshal(body, &env) == nil && (env.Code != "" || env.Error != "") {
		e.Code, e.Message, e.Details = env.Code, env.Error, env.Details
		if env.RequestID != "" {
			e.RequestID = env.RequestID
		}
		if env.RetryAfter != nil && *env.RetryAfter > 0 {
			e.RetryAfter = time.Duration(*env.RetryAfter * float64(time.Second))
		}
	} else {
		// Not the API's envelope (a proxy's page): keep a bounded excerpt.
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		e.Message = msg
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// ctxKey keys the per-request settings carried by a context.
type ctxKey int

const (
	idemKey ctxKey = iota
	requestIDKey
	responseKey
)

// WithIdempotencyKey has the write made with ctx use key as its
// Idempotency-Key instead of a random one, e.g. to make a write safe to
// repeat across restarts of the caller.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey, key)
}

// WithRequestID has the request made with ctx send id as X-Request-Id
// (short and printable, or the server picks its own).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// Response is what the last HTTP response of a call carried besides its
// body; see CaptureResponse.
type Response struct {
	StatusCode int
	Header     http.Header
	// Attempts is how many requests the call took (1 without retries).
	Attempts int
}

// Replayed reports whether the API answered from its idempotency store
// (Idempotent-Replayed: true).
func (r *Response) Replayed() bool { return r.Header.Get("Idempotent-Replayed") == "true" }

// RequestID is the X-Request-Id of the response.
func (r *Response) RequestID() string { return r.Header.Get("X-Request-Id") }

// CaptureResponse has the call made with ctx fill in r, for callers that
// need the status, headers (rate limits, Idempotent-Replayed) or the
// number of attempts.
func CaptureResponse(ctx context.Context, r *Response) context.Context {
	return context.WithValue(ctx, responseKey, r)
}

// newUUID is a random UUID (version 4) from crypto/rand.
func newUUID() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// do sends one API call: method on path (under /v1, or the root when path
// starts with "/" and raw is set by doRoot), query, in as the JSON body
// (nil for none), and decodes a 2xx body into out (nil to drop it). It
// retries as the package doc says.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.send(ctx, method, c.api+path, query, in, out)
}

// doRoot is do for the routes outside /v1 (/healthz).
func (c *Client) doRoot(ctx context.Context, method, path string, in, out any) error {
	return c.send(ctx, method, c.root+path, nil, in, out)
}

func (c *Client) send(ctx context.Context, method, u string, query url.Values, in, out any) error {
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("switchboard: encode %s %s: %w", method, u, err)
		}
	}
	idem := ""
	if method != http.MethodGet && method != http.MethodHead {
		idem, _ = ctx.Value(idemKey).(string)
		if idem == "" {
			idem = newUUID()
		}
	}
	reqID, _ := ctx.Value(requestIDKey).(string)
	capture, _ := ctx.Value(responseKey).(*Response)

	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("switchboard: %s %s: %w", method, u, err)
		}
		if body == nil {
			req.Body, req.ContentLength = http.NoBody, 0
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		if c.key != "" {
			req.Header.Set("x-api-key", c.key)
		}
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		if reqID != "" {
			req.Header.Set("X-Request-Id", reqID)
		}
		wait, err := c.attempt(req, out, capture, attempt)
		if err == nil || wait < 0 || attempt >= c.maxRetries {
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return err // the context ended while waiting: report why the call failed
		}
	}
}

// attempt sends req once. It returns the error of the attempt and, when
// the request may be retried, how long to wait first (else -1).
func (c *Client) attempt(req *http.Request, out any, capture *Response, n int) (time.Duration, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return -1, fmt.Errorf("switchboard: %s %s: %w", req.Method, req.URL.Path, req.Context().Err())
		}
		return c.backoff(n), fmt.Errorf("switchboard: %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if capture != nil {
		*capture = Response{StatusCode: resp.StatusCode, Header: resp.Header, Attempts: n + 1}
	}
	if err != nil {
		return c.backoff(n), fmt.Errorf("switchboard: %s %s: reading the response: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := parseError(resp, raw)
		if !retryableStatus(e.Status, e.Code) {
			return -1, e
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter, e
		}
		return c.backoff(n), e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return -1, fmt.Errorf("switchboard: %s %s: decoding the response: %w", req.Method, req.URL.Path, err)
		}
	}
	return -1, nil
}

// backoff is the delay before retry n+1: minBackoff doubled n times,
// capped, with jitter so that clients refused together do not return
// together.
func (c *Client) backoff(n int) time.Duration {
	d := c.minBackoff
	for i := 0; i < n && d < c.maxBackoff; i++ {
		d *= 2
	}
	return c.jitter(min(d, c.maxBackoff))
}

// call is do for an operation that answers one object of type T.
func call[T any](ctx context.Context, c *Client, method, path string, query url.Values, in any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, query, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
