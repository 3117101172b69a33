package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/webhook"
)

// receiver is a real HTTP server that verifies both signatures of every
// delivery with the subscription's secret and answers as told.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret atomic.Value // string
	answer atomic.Value // func(n int) (status int, header map[string]string)
	mu     sync.Mutex
	seen   map[string]int // webhook-id → deliveries received
	total  atomic.Int64
	bad    atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, seen: map[string]int{}}
	r.answer.Store(func(int) (int, map[string]string) { return 200, nil })
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		secret, _ := r.secret.Load().(string)
		if err := webhook.Verify(body, req.Header, secret, time.Now(), time.Minute); err != nil {
			r.bad.Add(1)
			t.Errorf("standard signature: %v", err)
		}
		if err := webhook.VerifyKrosAI(body, req.Header, secret); err != nil {
			r.bad.Add(1)
			t.Errorf("KrosAI signature: %v", err)
		}
		n := int(r.total.Add(1))
		r.mu.Lock()
		r.seen[req.Header.Get("webhook-id")]++
		r.mu.Unlock()
		status, hdr := r.answer.Load().(func(int) (int, map[string]string))(n)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, "ok from receiver")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) respond(f func(n int) (int, map[string]string)) { r.answer.Store(f) }

type bundle struct {
	db    *sqlite.DB
	org   string
	hook  *switchboard.Webhook
	recv  *receiver
	stop  func()
	owner string
}

// setup opens a real SQLite store with one "*" subscription pointing at a
// real receiver, and starts a worker with the given schedule.
func setup(t *testing.T, schedule string, timeout time.Duration) *bundle {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "wh.db"), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	recv := newReceiver(t)
	hook, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: recv.srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWebhook(ctx, org.ID, hook); err != nil {
		t.Fatal(err)
	}
	recv.secret.Store(hook.Secret)
	b := &bundle{db: db, org: org.ID, hook: hook, recv: recv}
	b.stop = b.startWorker(t, schedule, timeout)
	t.Cleanup(func() { b.stop(); db.Close() })
	return b
}

func (b *bundle) startWorker(t *testing.T, schedule string, timeout time.Duration) func() {
	sched, err := webhook.ParseSchedule(schedule)
	if err != nil {
		t.Fatal(err)
	}
	w := webhook.NewWorker(b.db, webhook.WorkerConfig{
		Schedule: sched, Timeout: timeout, AllowPrivate: true, PollInterval: 10 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

func (b *bundle) emit(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		evt, err := b.db.EmitEvent(context.Background(), b.org, switchboard.EventCallCompleted,
			map[string]any{"call_id": "call_x", "n": i}, switchboard.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, evt.ID)
	}
	return ids
}

// waitDeliveries polls the delivery log until want deliveries have status.
func (b *bundle) waitDeliveries(t *testing.T, status string, want int) []*switchboard.Delivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, total, err := b.db.ListDeliveries(context.Background(), b.org,
			switchboard.DeliveryFilter{Status: status, Page: switchboard.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if total >= want {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries %s after 20s, want %d", total, status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWorkerDeliversSigned(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,1m", 5*time.Second)
	ids := b.emit(t, 50)
	b.waitDeliveries(t, switchboard.DeliveryDelivered, 50)
	if b.recv.bad.Load() != 0 {
		t.Fatal("a delivery failed signature verification")
	}
	b.recv.mu.Lock()
	for _, id := range ids {
		if b.recv.seen[id] != 1 {
			t.Errorf("event %s received %d times, want 1", id, b.recv.seen[id])
		}
	}
	b.recv.mu.Unlock()
	ds, _, _ := b.db.ListDeliveries(context.Background(), b.org, switchboard.DeliveryFilter{Page: switchboard.Page{Limit: 1}})
	d, err := b.db.FindDelivery(context.Background(), b.org, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 || d.Attempts[0].ResponseExcerpt != "ok from receiver" || d.DeliveredAt == nil {
		t.Fatalf("delivery log: %+v", d)
	}
}

func TestWorkerRetriesThenDelivers(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,20ms,20ms,20ms", 5*time.Second)
	b.recv.respond(func(n int) (int, map[string]string) {
		if n <= 2 {
			return 503, nil
		}
		return 204, nil
	})
	b.emit(t, 1)
	ds := b.waitDeliveries(t, switchboard.DeliveryDelivered, 1)
	d, _ := b.db.FindDelivery(context.Background(), b.org, ds[0].ID)
	if len(d.Attempts) != 3 || d.Attempts[0].StatusCode != 503 || d.Attempts[2].StatusCode != 204 {
		t.Fatalf("attempts: %+v", d.Attempts)
	}
	// The retry keeps the webhook-id: receivers can de-duplicate.
	b.recv.mu.Lock()
	seen := b.recv.seen[d.EventID]
	b.recv.mu.Unlock()
	if seen != 3 {
		t.Fatalf("event %s seen %d times, want 3 with one id", d.EventID, seen)
	}
}

func TestWorkerExhaustsScheduleThenReplay(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,10ms,10ms", 5*time.Second)
	b.recv.respond(func(int) (int, map[string]string) { return 500, nil })
	since := time.Now().Add(-time.Minute)
	b.emit(t, 5)
	failed := b.waitDeliveries(t, switchboard.DeliveryFailed, 5)
	d, _ := b.db.FindDelivery(context.Background(), b.org, failed[0].ID)
	if len(d.Attempts) != 3 || d.LastStatusCode == nil || *d.LastStatusCode != 500 {
		t.Fatalf("a failed delivery should have made the 3 scheduled attempts: %+v", d)
	}
	// The receiver comes back; a replay delivers everything that failed.
	b.recv.respond(func(int) (int, map[string]string) { return 200, nil })
	n, err := b.db.ReplayDeliveries(context.Background(), b.org, b.hook.ID, since)
	if err != nil || n != 5 {
		t.Fatalf("replay: %d %v", n, err)
	}
	b.waitDeliveries(t, switchboard.DeliveryDelivered, 5)
}

func TestWorkerGoneDeactivates(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,10ms", 5*time.Second)
	b.recv.respond(func(int) (int, map[string]string) { return 410, nil })
	b.emit(t, 1)
	b.waitDeliveries(t, switchboard.DeliveryFailed, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := b.db.FindWebhook(context.Background(), b.org, b.hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Active {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("410 Gone did not deactivate the subscription")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWorkerTimesOutHungReceiver(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,10ms,10ms", 200*time.Millisecond)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := atomic.Bool{}
	hang.Store(true)
	b.recv.respond(func(int) (int, map[string]string) {
		if hang.Load() {
			<-release
		}
		return 200, nil
	})
	b.emit(t, 1)
	// Wait for one timed-out attempt, then let the receiver answer.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, _, _ := b.db.ListDeliveries(context.Background(), b.org, switchboard.DeliveryFilter{Page: switchboard.Page{Limit: 1}})
		if len(ds) == 1 && ds[0].AttemptCount >= 1 {
			d, _ := b.db.FindDelivery(context.Background(), b.org, ds[0].ID)
			if d.Attempts[0].Error != "timed out" {
				t.Fatalf("first attempt: %+v", d.Attempts[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hung attempt was never timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	hang.Store(false)
	b.waitDeliveries(t, switchboard.DeliveryDelivered, 1)
}

func TestWorkerHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,10ms", 5*time.Second)
	b.recv.respond(func(int) (int, map[string]string) { return 429, map[string]string{"Retry-After": "120"} })
	start := time.Now()
	b.emit(t, 1)
	pending := b.waitUntil(t, func(d *switchboard.Delivery) bool { return d.AttemptCount == 1 })
	if pending.NextAttemptAt == nil || pending.NextAttemptAt.Before(start.Add(119*time.Second)) {
		t.Fatalf("Retry-After 120 not honoured: next attempt at %v", pending.NextAttemptAt)
	}
}

func (b *bundle) waitUntil(t *testing.T, ok func(*switchboard.Delivery) bool) *switchboard.Delivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, _, err := b.db.ListDeliveries(context.Background(), b.org, switchboard.DeliveryFilter{Page: switchboard.Page{Limit: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ok(ds[0]) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached in 20s: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTwoWorkersNeverDoubleDeliver(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s,1m", 5*time.Second)
	second := b.startWorker(t, "0s,1m", 5*time.Second)
	t.Cleanup(second)
	ids := b.emit(t, 300)
	b.waitDeliveries(t, switchboard.DeliveryDelivered, 300)
	b.recv.mu.Lock()
	defer b.recv.mu.Unlock()
	for _, id := range ids {
		if b.recv.seen[id] != 1 {
			t.Errorf("event %s delivered %d times by two workers, want 1", id, b.recv.seen[id])
		}
	}
}

// TestWorkerAttemptErrorIsPlain: a delivery that fails in DNS records the
// plain reason for the tenant; the resolver's address goes to the log,
// once per attempt.
func TestWorkerAttemptErrorIsPlain(t *testing.T) {
	t.Parallel()
	b := setup(t, "0s", time.Second)
	b.stop() // replaced by a worker whose dials fail in DNS
	var logs syncLog
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp",
				Err: &net.DNSError{Err: "server misbehaving", Name: "hooks.example.com", Server: "10.0.0.2:53"}}
		},
	}}
	w := webhook.NewWorker(b.db, webhook.WorkerConfig{
		Schedule: []time.Duration{0}, Timeout: time.Second, PollInterval: 10 * time.Millisecond,
		Client: client, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	b.emit(t, 1)
	failed := b.waitDeliveries(t, switchboard.DeliveryFailed, 1)
	d, err := b.db.FindDelivery(context.Background(), b.org, failed[0].ID)
	if err != nil || len(d.Attempts) != 1 {
		t.Fatalf("delivery: %+v %v", d, err)
	}
	if got := d.Attempts[0].Error; got != "dns lookup failed" {
		t.Fatalf("the tenant reads %q, want %q", got, "dns lookup failed")
	}
	if n := strings.Count(logs.String(), "10.0.0.2:53"); n != 1 {
		t.Fatalf("the resolver's address is in the log %d times, want once:\n%s", n, logs.String())
	}
}

// syncLog is a log sink safe for the worker's goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
