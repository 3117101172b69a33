package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/switchboard-voice/switchboard/client"
	"github.com/switchboard-voice/switchboard/webhook"
)

// receipt is one POST a hookReceiver was sent.
type receipt struct {
	EventID string // the envelope's id
	Event   string
	DataID  string // data.id of the envelope (the endpoint of endpoint.*)
	Header  http.Header
	Body    []byte
}

// answerFunc decides a hookReceiver's reply to the nth POST (1 for the
// first) of an event. It runs outside the receiver's lock and may block;
// ctx ends when the sender gives up.
type answerFunc func(ctx context.Context, nth int, r receipt) (status int, body string)

func answer(status int, body string) answerFunc {
	return func(context.Context, int, receipt) (int, string) { return status, body }
}

// hookReceiver is a real webhook receiver: it checks the signatures of
// every POST as a customer's receiver would, records it, and answers as
// told. Every secret in secrets must verify webhook-signature, and the
// first X-Webhook-Signature.
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	secrets []string
	answer  answerFunc
	got     []receipt
}

// newHookReceiver starts a receiver. Create it before the server, so that
// the server (and its delivery worker) is closed first.
func newHookReceiver(t *testing.T, a answerFunc) *hookReceiver {
	r := &hookReceiver{t: t, answer: a}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) url() string { return r.srv.URL + "/hook" }

func (r *hookReceiver) setSecrets(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = s
}

func (r *hookReceiver) setAnswer(a answerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = a
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: read body: %v", err)
		return
	}
	r.mu.Lock()
	secrets, a := r.secrets, r.answer
	r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != "/hook" {
		r.t.Errorf("receiver: %s %s, want POST /hook", req.Method, req.URL.Path)
	}
	if len(secrets) == 0 {
		r.t.Errorf("receiver: a delivery arrived before the test told the receiver its secret")
	}
	for i, s := range secrets {
		if err := webhook.Verify(body, req.Header, s, time.Now(), time.Minute); err != nil {
			r.t.Errorf("receiver: webhook-signature does not verify with secret %d: %v (%q)", i, err, req.Header.Get("webhook-signature"))
		}
	}
	if len(secrets) > 0 {
		if err := webhook.VerifyKrosAI(body, req.Header, secrets[0]); err != nil {
			r.t.Errorf("receiver: X-Webhook-Signature does not verify with the current secret: %v", err)
		}
		// And as a Go receiver checks it, with the SDK.
		if err := sdk.VerifyWebhook(secrets[0], req.Header, body, time.Now(), time.Minute); err != nil {
			r.t.Errorf("receiver: client.VerifyWebhook with the current secret: %v", err)
		}
	}
	var env struct {
		ID    string `json:"id"`
		Event string `json:"event"`
		Data  struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.ID == "" || env.ID != req.Header.Get("webhook-id") {
		r.t.Errorf("receiver: envelope id %q vs webhook-id %q (%v): %s", env.ID, req.Header.Get("webhook-id"), err, body)
	}
	rc := receipt{EventID: env.ID, Event: env.Event, DataID: env.Data.ID, Header: req.Header.Clone(), Body: body}
	r.mu.Lock()
	r.got = append(r.got, rc)
	nth := 0
	for _, g := range r.got {
		if g.EventID == rc.EventID {
			nth++
		}
	}
	r.mu.Unlock()
	status, reply := a(req.Context(), nth, rc)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

// counts returns how many POSTs were received of each event type.
func (r *hookReceiver) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := map[string]int{}
	for _, g := range r.got {
		got[g.Event]++
	}
	return got
}

// of returns the POSTs received for an event, oldest first.
func (r *hookReceiver) of(eventID string) []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []receipt
	for _, g := range r.got {
		if g.EventID == eventID {
			out = append(out, g)
		}
	}
	return out
}

// hang is an answer that never comes: it blocks until the sender gives up.
func hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
	}
}

// eventually polls cond every 10 ms until it holds, and fails the test
// when it still does not after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitDelivery polls GET /v1/webhook-deliveries/{id} until the delivery
// has the status and exactly attempts attempts (any number when attempts
// is -1), and returns it.
func waitDelivery(t *testing.T, c *client, id, status string, attempts int) *response {
	t.Helper()
	var last *response
	deadline := time.Now().Add(15 * time.Second)
	for {
		last = c.must(200, c.do("GET", "/v1/webhook-deliveries/"+id, nil))
		if last.str("status") == status && (attempts < 0 || last.Body["attempt_count"] == float64(attempts)) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s never became %s with %d attempts: %s", id, status, attempts, last.Raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newestDelivery returns the newest delivery to a subscription, which must
// be of the event type given.
func newestDelivery(t *testing.T, c *client, hookID, event string) map[string]any {
	t.Helper()
	l := c.must(200, c.do("GET", "/v1/webhook-deliveries?limit=1&webhook_id="+hookID, nil))
	items := l.items("webhook_deliveries")
	if len(items) != 1 || items[0]["event"] != event {
		t.Fatalf("newest delivery to %s is not a %s: %s", hookID, event, l.Raw)
	}
	return items[0]
}

// attempts returns the attempts of a delivery as GET shows them.
func attempts(d *response) []map[string]any { return d.items("attempts") }

// createEndpoint creates a webhook endpoint (an endpoint.created event) and
// returns the delivery of that event to hookID.
func createEndpoint(t *testing.T, c *client, hookID, name string) (endpointID string, delivery map[string]any) {
	t.Helper()
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": name, "type": "webhook", "url": "https://router.example/" + name}))
	d := newestDelivery(t, c, hookID, "endpoint.created")
	full := c.must(200, c.do("GET", "/v1/webhook-deliveries/"+d["id"].(string), nil))
	if data := full.Body["payload"].(map[string]any)["data"].(map[string]any); data["id"] != ep.str("id") {
		t.Fatalf("the newest endpoint.created delivery is not %s's: %s", ep.str("id"), full.Raw)
	}
	return ep.str("id"), d
}

// signatures returns the v1 entries of a webhook-signature header.
func signatures(h http.Header) []string {
	var out []string
	for _, f := range strings.Fields(h.Get("webhook-signature")) {
		if strings.HasPrefix(f, "v1,") {
			out = append(out, f)
		}
	}
	return out
}

// scrapeMetrics GETs /metrics with a plain client, as Prometheus would
// (no API key), and returns its samples by series ("name{labels}").
func scrapeMetrics(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	resp, err := http.Get(ts.HTTPURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	for _, name := range []string{"switchboard_webhook_attempts_total", "switchboard_webhook_attempt_duration_seconds", "switchboard_webhook_queue_depth"} {
		if !bytes.Contains(raw, []byte("# TYPE "+name+" ")) {
			t.Fatalf("GET /metrics lacks %s:\n%s", name, raw)
		}
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("GET /metrics: bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

const (
	attemptsDelivered = `switchboard_webhook_attempts_total{outcome="delivered"}`
	attemptsRetry     = `switchboard_webhook_attempts_total{outcome="retry"}`
	attemptsFailed    = `switchboard_webhook_attempts_total{outcome="failed"}`
)

// The tests below are not parallel: they wait for asynchronous deliveries
// on compressed schedules, and TestCrashSafetyUnderSIGKILL measures how
// many creates the server acknowledges in a fixed time. Run first, alone
// (Go resumes the parallel tests after the serial ones), neither starves
// the other on a small or busy machine.

// TestDeliveryDelivered: a subscription to every event receives the
// endpoint.created of a new endpoint, signed, at once; the delivery log
// shows one successful attempt with what the receiver answered.
func TestDeliveryDelivered(t *testing.T) {
	recv := newHookReceiver(t, func(context.Context, int, receipt) (int, string) {
		time.Sleep(15 * time.Millisecond) // a receiver that takes its time
		return 200, `{"ok":true}`
	})
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms,20ms"))
	c := ts.client(ts.BootstrapKey)
	if m := scrapeMetrics(t, ts); m[attemptsDelivered] != 0 || m[attemptsRetry] != 0 || m[attemptsFailed] != 0 ||
		m["switchboard_webhook_queue_depth"] != 0 {
		t.Fatalf("a fresh server has counted attempts or queued deliveries: %v", m)
	}

	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"*"}}))
	recv.setSecrets(hook.str("secret"))
	epID, d := createEndpoint(t, c, hook.str("id"), "router")
	got := waitDelivery(t, c, d["id"].(string), "delivered", 1)
	as := attempts(got)
	if len(as) != 1 {
		t.Fatalf("a delivery delivered at the first try has %d attempts: %s", len(as), got.Raw)
	}
	a := as[0]
	if a["number"] != float64(1) || a["status_code"] != float64(200) || a["response_excerpt"] != `{"ok":true}` ||
		a["error"] != nil || a["latency_ms"].(float64) < 15 || a["attempted_at"] == nil {
		t.Fatalf("attempt: %v", a)
	}
	if got.Body["last_status_code"] != float64(200) || got.Body["next_attempt_at"] != nil || got.str("delivered_at") == "" ||
		got.str("url") != recv.url() || got.Body["endpoint_id"] != nil || got.str("webhook_id") != hook.str("id") {
		t.Fatalf("delivered delivery: %s", got.Raw)
	}

	// The receiver got it once, as the delivery log shows it.
	rs := recv.of(got.str("event_id"))
	if len(rs) != 1 {
		t.Fatalf("the receiver got the event %d times", len(rs))
	}
	r := rs[0]
	var sent, logged any
	json.Unmarshal(r.Body, &sent)
	logged = got.Body["payload"]
	if sb, _ := json.Marshal(sent); string(sb) != string(mustMarshal(t, logged)) {
		t.Fatalf("the receiver got %s, the log shows %s", r.Body, mustMarshal(t, logged))
	}
	if r.Event != "endpoint.created" || r.DataID != epID || bytes.Contains(r.Body, []byte("whsec_")) {
		t.Fatalf("endpoint.created body: %s", r.Body)
	}
	ts0, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts0, 0)).Abs() > time.Minute {
		t.Fatalf("webhook-timestamp %q", r.Header.Get("webhook-timestamp"))
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != webhook.UserAgent ||
		len(signatures(r.Header)) != 1 || !strings.HasPrefix(r.Header.Get("X-Webhook-Signature"), "sha256=") {
		t.Fatalf("delivery headers: %v", r.Header)
	}

	m := scrapeMetrics(t, ts)
	if m[attemptsDelivered] < 1 || m["switchboard_webhook_attempt_duration_seconds_count"] < 1 {
		t.Fatalf("metrics after one delivery: %v", m)
	}
}

// TestDeliveryRetryAndReplay: a receiver that is down through the whole
// (compressed) retry schedule leaves failed deliveries; a retry by hand
// and a replay since a time send them again, with the same webhook-id.
func TestDeliveryRetryAndReplay(t *testing.T) {
	gate := make(chan struct{})
	var gateOnce sync.Once
	openGate := func() { gateOnce.Do(func() { close(gate) }) }
	recv := newHookReceiver(t, func(ctx context.Context, nth int, _ receipt) (int, string) {
		if nth == 1 {
			// Hold the first attempt, so the delivery is surely pending.
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		return 503, "down for maintenance"
	})
	t.Cleanup(openGate) // before the receiver closes, should the test fail early
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms,20ms"), withWebhookTimeout(5*time.Second))
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"*"}}))
	hookID := hook.str("id")
	recv.setSecrets(hook.str("secret"))

	// While its first attempt is in flight a delivery is pending, and a
	// retry by hand is refused: it will be attempted again anyway.
	_, d := createEndpoint(t, c, hookID, "one")
	d1, evt1 := d["id"].(string), d["event_id"].(string)
	eventually(t, 10*time.Second, "the first attempt", func() bool { return len(recv.of(evt1)) == 1 })
	conflict := c.mustErr(409, "CONFLICT", c.do("POST", "/v1/webhook-deliveries/"+d1+"/retry", nil))
	if !strings.Contains(conflict.str("error"), "pending") {
		t.Fatalf("409 must say why: %s", conflict.Raw)
	}
	c.mustErr(409, "CONFLICT", c.do("POST", "/api/v1/webhook-deliveries/"+d1+"/retry", map[string]any{}))
	openGate()

	// Down through the whole schedule: one attempt per entry, then failed.
	failed := waitDelivery(t, c, d1, "failed", 3)
	as := attempts(failed)
	if len(as) != 3 {
		t.Fatalf("failed delivery has %d attempts: %s", len(as), failed.Raw)
	}
	for i, a := range as {
		if a["number"] != float64(i+1) || a["status_code"] != float64(503) || a["response_excerpt"] != "down for maintenance" {
			t.Fatalf("attempt %d: %v", i+1, a)
		}
	}
	if failed.Body["next_attempt_at"] != nil || failed.Body["delivered_at"] != nil || failed.Body["last_status_code"] != float64(503) {
		t.Fatalf("failed delivery: %s", failed.Raw)
	}
	if n := len(recv.of(evt1)); n != 3 {
		t.Fatalf("the receiver got %d POSTs for a 3-entry schedule", n)
	}

	// The receiver is back: a retry queues one more attempt and answers
	// with the delivery as GET shows it, pending again. Repeating it with
	// the same Idempotency-Key replays the answer and queues nothing.
	recv.setAnswer(answer(204, ""))
	key := header("Idempotency-Key", "retry-"+d1)
	retried := c.must(202, c.do("POST", "/v1/webhook-deliveries/"+d1+"/retry", nil, key))
	if retried.str("id") != d1 || retried.str("status") != "pending" || retried.Body["attempt_count"] != float64(3) ||
		len(attempts(retried)) != 3 || retried.Body["next_attempt_at"] == nil || retried.Body["delivered_at"] != nil ||
		retried.Body["payload"] == nil || retried.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry: %s", retried.Raw)
	}
	again := c.must(202, c.do("POST", "/v1/webhook-deliveries/"+d1+"/retry", nil, key))
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Raw) != string(retried.Raw) {
		t.Fatalf("idempotent retry: %s / %s", retried.Raw, again.Raw)
	}
	delivered := waitDelivery(t, c, d1, "delivered", 4)
	if as := attempts(delivered); len(as) != 4 || as[3]["number"] != float64(4) || as[3]["status_code"] != float64(204) ||
		delivered.Body["last_status_code"] != float64(204) || delivered.str("delivered_at") == "" || delivered.Body["next_attempt_at"] != nil {
		t.Fatalf("retried delivery: %s", delivered.Raw)
	}

	// Several failed deliveries: one before since, three after.
	recv.setAnswer(answer(503, "down again"))
	_, d = createEndpoint(t, c, hookID, "two")
	d2 := d["id"].(string)
	waitDelivery(t, c, d2, "failed", 3)
	since := time.Now()
	var later []map[string]any
	for _, name := range []string{"three", "four", "five"} {
		_, d := createEndpoint(t, c, hookID, name)
		later = append(later, d)
	}
	for _, d := range later {
		waitDelivery(t, c, d["id"].(string), "failed", 3)
	}
	if l := c.must(200, c.do("GET", "/v1/webhook-deliveries?status=failed&webhook_id="+hookID, nil)); l.Body["total"] != float64(4) {
		t.Fatalf("failed deliveries: %s", l.Raw)
	}

	replay := func(since time.Time, want int) {
		t.Helper()
		r := c.must(202, c.do("POST", "/v1/webhooks/"+hookID+"/replay", map[string]any{"since": since.Format(time.RFC3339Nano)}))
		got, err := time.Parse(time.RFC3339Nano, r.str("since"))
		if r.str("webhook_id") != hookID || r.Body["replayed"] != float64(want) || err != nil || !got.Equal(since) ||
			!strings.HasSuffix(r.str("since"), "Z") {
			t.Fatalf("replay since %s: want %d replayed: %s", since.Format(time.RFC3339Nano), want, r.Raw)
		}
	}
	// Nothing failed since an hour from now (a time in another zone is
	// answered in UTC).
	replay(time.Now().Add(time.Hour).In(time.FixedZone("WAT", 3600)), 0)

	recv.setAnswer(answer(200, "back"))
	replay(since, 3)
	replay(since, 0) // they are pending or delivered now, not failed
	for _, d := range later {
		got := waitDelivery(t, c, d["id"].(string), "delivered", 4)
		if as := attempts(got); as[3]["status_code"] != float64(200) || as[3]["response_excerpt"] != "back" {
			t.Fatalf("replayed delivery: %s", got.Raw)
		}
		// Every POST of the event, the replay too, carried the same
		// webhook-id (the event's) and the same body.
		rs := recv.of(d["event_id"].(string))
		if len(rs) != 4 {
			t.Fatalf("event %s received %d times, want 4", d["event_id"], len(rs))
		}
		for _, r := range rs {
			if r.Header.Get("webhook-id") != d["event_id"] || !bytes.Equal(r.Body, rs[0].Body) {
				t.Fatalf("a replay changed the webhook-id or the body: %q %s vs %s", r.Header.Get("webhook-id"), r.Body, rs[0].Body)
			}
		}
	}
	// The delivery that failed before since was left alone; an earlier
	// since replays it too.
	if got := c.must(200, c.do("GET", "/v1/webhook-deliveries/"+d2, nil)); got.str("status") != "failed" || got.Body["attempt_count"] != float64(3) {
		t.Fatalf("a delivery created before since was replayed: %s", got.Raw)
	}
	created, _ := time.Parse(time.RFC3339Nano, hook.str("created_at"))
	replay(created, 1)
	waitDelivery(t, c, d2, "delivered", 4)

	// The idempotent retry queued one attempt only, and a delivered
	// delivery can be retried too.
	if n := len(recv.of(evt1)); n != 4 {
		t.Fatalf("event %s received %d times after one retry, want 4", evt1, n)
	}
	again = c.must(202, c.do("POST", "/v1/webhook-deliveries/"+d1+"/retry", map[string]any{}))
	if again.str("status") != "pending" || again.Body["delivered_at"] != nil {
		t.Fatalf("retry of a delivered delivery: %s", again.Raw)
	}
	waitDelivery(t, c, d1, "delivered", 5)
	if rs := recv.of(evt1); len(rs) != 5 || rs[4].Header.Get("webhook-id") != evt1 {
		t.Fatalf("event %s received %d times after two retries, want 5", evt1, len(rs))
	}

	// Metrics: 5 deliveries, each failed once after 2 retries, and 6
	// successful attempts (d1 twice).
	m := scrapeMetrics(t, ts)
	if m[attemptsDelivered] < 6 || m[attemptsFailed] < 5 || m[attemptsRetry] < 10 ||
		m["switchboard_webhook_attempt_duration_seconds_count"] < 21 || m["switchboard_webhook_queue_depth"] != 0 {
		t.Fatalf("metrics: delivered %v, failed %v, retry %v, latency count %v, queue depth %v", m[attemptsDelivered], m[attemptsFailed],
			m[attemptsRetry], m["switchboard_webhook_attempt_duration_seconds_count"], m["switchboard_webhook_queue_depth"])
	}
}

// TestDeliveryTimeout: a receiver that hangs longer than --webhook-timeout
// costs one attempt, recorded as timed out, and the delivery is retried.
func TestDeliveryTimeout(t *testing.T) {
	recv := newHookReceiver(t, func(ctx context.Context, nth int, _ receipt) (int, string) {
		if nth == 1 {
			hang(ctx)
		}
		return 200, "ok"
	})
	// The receiver answers at once after the first POST, so the second
	// attempt should succeed; the longer schedule is slack for a loaded
	// machine (-race), where a 300 ms POST to loopback can time out too.
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms,20ms,20ms,20ms"), withWebhookTimeout(300*time.Millisecond))
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"*"}}))
	recv.setSecrets(hook.str("secret"))
	evt := c.must(202, c.do("POST", "/v1/webhooks/"+hook.str("id")+"/test", nil))
	d := newestDelivery(t, c, hook.str("id"), "webhook.test")
	got := waitDelivery(t, c, d["id"].(string), "delivered", -1)
	as := attempts(got)
	if len(as) < 2 {
		t.Fatalf("attempts: %s", got.Raw)
	}
	for _, a := range as[:len(as)-1] {
		if a["error"] != "timed out" || a["status_code"] != float64(0) || a["latency_ms"].(float64) < 250 ||
			a["latency_ms"].(float64) > 5000 {
			t.Fatalf("a hung attempt: %v", a)
		}
	}
	if a := as[len(as)-1]; a["status_code"] != float64(200) || a["error"] != nil || got.Body["last_status_code"] != float64(200) {
		t.Fatalf("the attempt after the timeout: %v", a)
	}
	rs := recv.of(evt.str("id"))
	if len(rs) < 2 {
		t.Fatalf("the receiver got the test event %d times", len(rs))
	}
	for _, r := range rs {
		if r.Header.Get("webhook-id") != evt.str("id") {
			t.Fatalf("webhook-id %q, want %s", r.Header.Get("webhook-id"), evt.str("id"))
		}
	}
}

// TestDeliveryGone: 410 Gone fails the delivery at once and switches the
// subscription off; later events are not queued for it, and a retry while
// it is off is recorded without a POST.
func TestDeliveryGone(t *testing.T) {
	recv := newHookReceiver(t, answer(410, "this hook is gone"))
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms,20ms"))
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"*"}}))
	id := hook.str("id")
	recv.setSecrets(hook.str("secret"))
	evt := c.must(202, c.do("POST", "/v1/webhooks/"+id+"/test", nil))
	d := newestDelivery(t, c, id, "webhook.test")["id"].(string)
	got := waitDelivery(t, c, d, "failed", 1)
	if as := attempts(got); len(as) != 1 || as[0]["status_code"] != float64(410) || got.Body["last_status_code"] != float64(410) {
		t.Fatalf("a 410 must fail the delivery without retries: %s", got.Raw)
	}
	if g := c.must(200, c.do("GET", "/v1/webhooks/"+id, nil)); g.Body["active"] != false {
		t.Fatalf("410 Gone must deactivate the subscription: %s", g.Raw)
	}
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "https://router.example/x"}))
	if l := c.must(200, c.do("GET", "/v1/webhook-deliveries?webhook_id="+id, nil)); l.Body["total"] != float64(1) {
		t.Fatalf("a deactivated subscription received an event: %s", l.Raw)
	}
	c.must(202, c.do("POST", "/v1/webhook-deliveries/"+d+"/retry", nil))
	got = waitDelivery(t, c, d, "failed", 2)
	if as := attempts(got); as[1]["status_code"] != float64(0) || as[1]["error"] == nil {
		t.Fatalf("a retry to a deactivated subscription: %s", got.Raw)
	}
	if n := len(recv.of(evt.str("id"))); n != 1 {
		t.Fatalf("a deactivated subscription was POSTed to: %d POSTs", n)
	}
	// Switched back on, the retry reaches it.
	recv.setAnswer(answer(200, ""))
	c.must(200, c.do("PATCH", "/v1/webhooks/"+id, map[string]any{"active": true}))
	c.must(202, c.do("POST", "/v1/webhook-deliveries/"+d+"/retry", nil))
	waitDelivery(t, c, d, "delivered", 3)
	if n := len(recv.of(evt.str("id"))); n != 2 {
		t.Fatalf("the reactivated subscription got %d POSTs, want 2", n)
	}
}

// TestDeliveryRotatedSecret: after rotate-secret, an attempt carries two
// v1 signatures, so a receiver verifies with the new secret or the old
// one, while X-Webhook-Signature (one value) uses the new secret. The
// secrets are read when the attempt is made, not when the event happened.
func TestDeliveryRotatedSecret(t *testing.T) {
	recv := newHookReceiver(t, answer(503, ""))
	ts := startServer(t, withWebhookSchedule(t, "0s,20ms"))
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"*"}}))
	id, old := hook.str("id"), hook.str("secret")
	recv.setSecrets(old)

	// A delivery that failed before the rotation...
	before := c.must(202, c.do("POST", "/v1/webhooks/"+id+"/test", nil))
	waitDelivery(t, c, newestDelivery(t, c, id, "webhook.test")["id"].(string), "failed", 2)
	for _, r := range recv.of(before.str("id")) {
		if len(signatures(r.Header)) != 1 {
			t.Fatalf("before a rotation one signature is sent: %q", r.Header.Get("webhook-signature"))
		}
	}
	retryID := newestDelivery(t, c, id, "webhook.test")["id"].(string)

	rot := c.must(200, c.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil))
	cur := rot.str("secret")
	recv.setSecrets(cur, old) // both must verify; X-Webhook-Signature the new one
	recv.setAnswer(answer(200, ""))

	// ...retried after it, and a new event.
	c.must(202, c.do("POST", "/v1/webhook-deliveries/"+retryID+"/retry", nil))
	waitDelivery(t, c, retryID, "delivered", 3)
	after := c.must(202, c.do("POST", "/v1/webhooks/"+id+"/test", nil))
	waitDelivery(t, c, newestDelivery(t, c, id, "webhook.test")["id"].(string), "delivered", 1)

	stranger := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://x.example/hook", "active": false})).str("secret")
	for _, r := range []receipt{recv.of(before.str("id"))[2], recv.of(after.str("id"))[0]} {
		if n := len(signatures(r.Header)); n != 2 {
			t.Fatalf("after a rotation webhook-signature must carry 2 v1 entries, has %d: %q", n, r.Header.Get("webhook-signature"))
		}
		for name, s := range map[string]string{"new": cur, "old": old} {
			if err := webhook.Verify(r.Body, r.Header, s, time.Now(), time.Minute); err != nil {
				t.Errorf("the %s secret does not verify: %v", name, err)
			}
		}
		if err := webhook.VerifyKrosAI(r.Body, r.Header, cur); err != nil {
			t.Errorf("X-Webhook-Signature must use the new secret: %v", err)
		}
		if err := webhook.VerifyKrosAI(r.Body, r.Header, old); !errors.Is(err, webhook.ErrNoMatchingSignature) {
			t.Errorf("X-Webhook-Signature verifies with the old secret: %v", err)
		}
		if err := webhook.Verify(r.Body, r.Header, stranger, time.Now(), time.Minute); !errors.Is(err, webhook.ErrNoMatchingSignature) {
			t.Errorf("an unrelated secret verifies: %v", err)
		}
	}

	// A second rotation ends the first one's overlap: the oldest secret
	// no longer verifies.
	third := c.must(200, c.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil)).str("secret")
	recv.setSecrets(third, cur)
	last := c.must(202, c.do("POST", "/v1/webhooks/"+id+"/test", nil))
	waitDelivery(t, c, newestDelivery(t, c, id, "webhook.test")["id"].(string), "delivered", 1)
	r := recv.of(last.str("id"))[0]
	if err := webhook.Verify(r.Body, r.Header, old, time.Now(), time.Minute); !errors.Is(err, webhook.ErrNoMatchingSignature) {
		t.Fatalf("a secret rotated out twice still verifies: %v", err)
	}
}

// TestDeliveryRetryReplayAccess: retry and replay are scoped to the
// organisation, need webhooks:write, and replay needs since.
func TestDeliveryRetryReplayAccess(t *testing.T) {
	ts := startServer(t) // the default schedule: a failed first attempt stays pending for a minute
	a := ts.client(ts.BootstrapKey)
	b := ts.newKey("acme")
	hook := a.must(201, a.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}))
	id := hook.str("id")
	a.must(202, a.do("POST", "/v1/webhooks/"+id+"/test", nil))
	d := newestDelivery(t, a, id, "webhook.test")["id"].(string)
	since := map[string]any{"since": "2020-01-01T00:00:00Z"}

	// Pending: a retry is a conflict.
	a.mustErr(409, "CONFLICT", a.do("POST", "/v1/webhook-deliveries/"+d+"/retry", nil))

	// Another organisation sees neither.
	b.mustErr(404, "DELIVERY_NOT_FOUND", b.do("POST", "/v1/webhook-deliveries/"+d+"/retry", nil))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("POST", "/v1/webhooks/"+id+"/replay", since))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("POST", "/api/v1/webhooks/"+id+"/replay", since))
	for _, bad := range []string{"whd_x", id, "evt_x", "nonsense", "whd_%27%20OR%201%3D1"} {
		a.mustErr(404, "DELIVERY_NOT_FOUND", a.do("POST", "/v1/webhook-deliveries/"+bad+"/retry", nil))
	}
	for _, bad := range []string{"wh_x", d, "nonsense", "wh_%27%20OR%201%3D1"} {
		a.mustErr(404, "WEBHOOK_NOT_FOUND", a.do("POST", "/v1/webhooks/"+bad+"/replay", since))
	}
	if g := a.must(200, a.do("GET", "/v1/webhook-deliveries/"+d, nil)); g.str("status") != "pending" {
		t.Fatalf("another organisation's calls changed the delivery: %s", g.Raw)
	}
	if r := a.must(202, a.do("POST", "/v1/webhooks/"+id+"/replay", since)); r.Body["replayed"] != float64(0) {
		t.Fatalf("nothing has failed yet: %s", r.Raw)
	}
	c2 := b.must(201, b.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/b"}))
	if r := b.must(202, b.do("POST", "/v1/webhooks/"+c2.str("id")+"/replay", since)); r.Body["replayed"] != float64(0) {
		t.Fatalf("replay in another organisation: %s", r.Raw)
	}

	// Scopes: both need webhooks:write.
	for _, k := range []*client{ts.newKey("default", "webhooks:read"), ts.newKey("default", "endpoints:write")} {
		for _, call := range []struct {
			path string
			body any
		}{{"/v1/webhook-deliveries/" + d + "/retry", nil}, {"/v1/webhooks/" + id + "/replay", since}} {
			r := k.mustErr(403, "INSUFFICIENT_SCOPE", k.do("POST", call.path, call.body))
			if r.Body["details"].(map[string]any)["required_scope"] != "webhooks:write" {
				t.Fatalf("details must name the scope: %s", r.Raw)
			}
		}
	}

	// Bodies: replay needs since; retry takes none.
	for _, body := range []any{map[string]any{}, map[string]any{"since": nil}} {
		r := a.mustErr(400, "VALIDATION_ERROR", a.do("POST", "/v1/webhooks/"+id+"/replay", body))
		if r.field() != "since" {
			t.Fatalf("replay %v: field %v: %s", body, r.field(), r.Raw)
		}
	}
	// A since that is not an RFC 3339 time names the field too: the body
	// is valid JSON, so INVALID_JSON would be wrong.
	for _, since := range []any{"", "yesterday", "2025-01-15", 1736937000, true} {
		if r := a.mustErr(400, "VALIDATION_ERROR", a.do("POST", "/v1/webhooks/"+id+"/replay", map[string]any{"since": since})); r.field() != "since" {
			t.Fatalf("since %v: field %v: %s", since, r.field(), r.Raw)
		}
	}
	a.mustErr(400, "INVALID_JSON", a.do("POST", "/v1/webhooks/"+id+"/replay", nil))
	if r := a.mustErr(400, "VALIDATION_ERROR", a.do("POST", "/v1/webhooks/"+id+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z", "until": "x"})); r.field() != "until" {
		t.Fatalf("unknown field: %s", r.Raw)
	}
	if r := a.mustErr(400, "VALIDATION_ERROR", a.do("POST", "/v1/webhook-deliveries/"+d+"/retry", map[string]any{"force": true})); r.field() != "force" {
		t.Fatalf("retry with a body: %s", r.Raw)
	}
	a.mustErr(405, "METHOD_NOT_ALLOWED", a.do("GET", "/v1/webhook-deliveries/"+d+"/retry", nil))
	a.mustErr(405, "METHOD_NOT_ALLOWED", a.do("GET", "/v1/webhooks/"+id+"/replay", nil))

	// A deleted subscription's deliveries cannot be replayed.
	a.must(200, a.do("DELETE", "/v1/webhooks/"+id, nil))
	a.mustErr(404, "WEBHOOK_NOT_FOUND", a.do("POST", "/v1/webhooks/"+id+"/replay", since))
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
