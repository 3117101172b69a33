package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storecache"
)

// The tests in this file run two real `switchboard serve` processes on one
// PostgreSQL schema, as an operator runs several nodes (docs/operations.md).
// They need PostgreSQL whatever SWITCHBOARD_TEST_DATABASE says, because
// two nodes cannot share an SQLite file across machines: they use the
// server named by SWITCHBOARD_TEST_POSTGRES (default: the local test
// database) and skip without one, unless SWITCHBOARD_REQUIRE_ALL=1.

// sharedSchema returns a --database value naming a fresh schema of its own
// in the test PostgreSQL, dropped when the test ends. Call it before
// starting the nodes, so that the schema is dropped after they are killed.
func sharedSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_POSTGRES is not a URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(context.Background())
	}
	if err != nil {
		msg := fmt.Sprintf("the multi-node tests need PostgreSQL, which is not reachable at SWITCHBOARD_TEST_POSTGRES=%q (%v)",
			u.Redacted(), err) // Redacted hides a password
		if os.Getenv("SWITCHBOARD_REQUIRE_ALL") == "1" {
			t.Fatalf("%s; SWITCHBOARD_REQUIRE_ALL=1 requires it", msg)
		}
		t.Skipf("%s; skipping (set SWITCHBOARD_REQUIRE_ALL=1 to fail instead)", msg)
	}
	schema := "mn_" + strings.ToLower(switchboard.RandomBase62(12))
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return u.String()
}

// startNode runs one `switchboard serve` node on the shared database dsn.
// Its SIP listener takes a port of its own: nodes on one machine cannot
// share :5060.
func startNode(t *testing.T, dsn string, args ...string) *proc {
	t.Helper()
	return startBinary(t, append([]string{"--database", dsn, "--sip", "127.0.0.1:0",
		"--webhook-allow-private", "--rate-limit", "100000"}, args...)...)
}

// nodeMetric returns one sample of a node's /metrics ("name{labels}"), 0
// when the series has none yet.
func nodeMetric(t *testing.T, p *proc, series string) float64 {
	t.Helper()
	resp, err := http.Get(p.httpURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", series, err)
			}
			return f
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0
}

// inflight is a hookReceiver's answer that counts the POSTs it is still
// answering, in all and per webhook-id, and records every time a
// webhook-id arrives while a POST with that id is still being answered:
// two senders holding one delivery at once. Made held, it answers nothing
// until unhold (or until the sender gives up), which parks every sender
// of every node inside the receiver.
type inflight struct {
	delay time.Duration // each answer takes this long: a receiver at work, and a window for overlaps

	mu       sync.Mutex
	now      int            // POSTs being answered
	byID     map[string]int // POSTs being answered, by webhook-id
	overlaps []string       // webhook-ids that arrived while being answered
	release  chan struct{}  // closed while answers flow; open while held
}

func newInflight(delay time.Duration, held bool) *inflight {
	f := &inflight{delay: delay, byID: map[string]int{}, release: make(chan struct{})}
	if !held {
		close(f.release)
	}
	return f
}

func (f *inflight) answer(ctx context.Context, _ int, r receipt) (int, string) {
	id := r.Header.Get("webhook-id")
	f.mu.Lock()
	f.now++
	f.byID[id]++
	if f.byID[id] > 1 {
		f.overlaps = append(f.overlaps, id)
	}
	release := f.release
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		if f.byID[id]--; f.byID[id] == 0 {
			delete(f.byID, id)
		}
		f.mu.Unlock()
	}()
	select {
	case <-release:
	case <-ctx.Done():
		return http.StatusServiceUnavailable, "" // the sender is gone: nobody reads this
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
	}
	return http.StatusNoContent, ""
}

// unhold answers every waiting POST, and the later ones at once.
func (f *inflight) unhold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.release:
	default:
		close(f.release)
	}
}

// waiting returns how many POSTs are being answered now.
func (f *inflight) waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// overlapping returns the webhook-ids that were ever held by two senders at once.
func (f *inflight) overlapping() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.overlaps...)
}

// createEndpoints creates n webhook endpoints over 8 connections, every
// other one through each node, and returns the ids of those created (201).
// Each create commits one endpoint.created event.
func createEndpoints(t *testing.T, key string, n int, nodes ...*proc) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	created := map[string]bool{}
	var failures []string
	var wg sync.WaitGroup
	const conns = 8
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += conns {
				st, ep, err := apiCall(nodes[i%len(nodes)], key, "POST", "/v1/endpoints", map[string]any{
					"name": fmt.Sprintf("ep %d", i), "type": "webhook", "url": "https://example.com/h"})
				mu.Lock()
				if err != nil || st != 201 {
					failures = append(failures, fmt.Sprintf("create %d: %d %v %v", i, st, ep, err))
				} else {
					created[ep["id"].(string)] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d creates failed, first: %s", len(failures), n, failures[0])
	}
	return created
}

// waitAnnounced waits until every endpoint of created reached the
// receiver in an endpoint.created event, and returns what announced does.
func waitAnnounced(t *testing.T, recv *hookReceiver, created map[string]bool, d time.Duration) (events map[string]string, posts map[string]int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		events, posts = announced(t, recv)
		missing := 0
		for id := range created {
			if _, ok := events[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return events, posts
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d endpoint.created deliveries never reached the receiver within %v", missing, len(created), d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveryTotal returns how many deliveries to a subscription have status.
func deliveryTotal(c *client, hookID, status string) float64 {
	c.t.Helper()
	l := c.must(200, c.do("GET", "/v1/webhook-deliveries?limit=1&webhook_id="+hookID+"&status="+status, nil))
	return l.Body["total"].(float64)
}

// subscribe creates a subscription to endpoint.created through c and tells
// the receiver its secret.
func subscribe(c *client, recv *hookReceiver) string {
	c.t.Helper()
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"endpoint.created"}}))
	recv.setSecrets(hook.str("secret"))
	return hook.str("id")
}

// TestMultiNodeDrain: two nodes drain one backlog of deliveries. Every
// delivery reaches the receiver exactly once, no delivery is ever sent by
// both nodes at once, both nodes take part, and the delivery log agrees
// through either node.
func TestMultiNodeDrain(t *testing.T) {
	t.Parallel()
	const events, conc = 2000, 8
	// The receiver holds every POST until the whole backlog is committed,
	// so that both nodes drain a full queue, claiming against each other,
	// rather than each delivering its own creates as they come.
	held := newInflight(2*time.Millisecond, true)
	recv := newHookReceiver(t, held.answer)
	dsn := sharedSchema(t)
	// The POSTs parked while the backlog is created must not time out.
	args := []string{"--webhook-concurrency", strconv.Itoa(conc), "--webhook-timeout", "60s"}
	a := startNode(t, dsn, args...)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn, args...)
	if b.stdout.String() != "" {
		t.Fatalf("the second node bootstrapped a database that was not empty:\n%s", b.stdout)
	}
	ca, cb := &client{t: t, base: a.httpURL, key: key}, &client{t: t, base: b.httpURL, key: key}
	hookID := subscribe(ca, recv)

	created := createEndpoints(t, key, events, a, b)
	// Every sender of both nodes is parked in the receiver: each node has
	// claimed deliveries, and the rest of the backlog waits in the queue.
	eventually(t, 30*time.Second, "both nodes' senders to wait in the receiver", func() bool { return held.waiting() == 2*conc })
	if n := deliveryTotal(cb, hookID, switchboard.DeliveryPending); n != events {
		t.Fatalf("%v deliveries pending before the receiver answers, want %d", n, events)
	}
	start := time.Now()
	held.unhold()

	evs, posts := waitAnnounced(t, recv, created, 90*time.Second)
	t.Logf("%d deliveries drained by two nodes in %v", events, time.Since(start).Round(time.Millisecond))
	if len(evs) != events {
		t.Errorf("the receiver saw %d endpoint.created events, want %d", len(evs), events)
	}
	for _, evt := range evs {
		if posts[evt] != 1 {
			t.Errorf("event %s was POSTed %d times, want once: no lease lapsed, so nothing is re-sent", evt, posts[evt])
		}
	}
	if o := held.overlapping(); len(o) > 0 {
		t.Errorf("%d deliveries were held by two senders at once, first %s", len(o), o[0])
	}
	// Both nodes delivered (each had a full set of senders parked), and
	// between them exactly the backlog. A node counts an attempt before it
	// records it, so wait for the log rather than read the metrics first.
	eventually(t, 10*time.Second, "every delivery recorded as delivered", func() bool {
		return deliveryTotal(cb, hookID, switchboard.DeliveryDelivered) == events
	})
	const delivered = `switchboard_webhook_attempts_total{outcome="delivered"}`
	na, nb := nodeMetric(t, a, delivered), nodeMetric(t, b, delivered)
	t.Logf("delivered by node A: %v, by node B: %v", na, nb)
	if na < conc || nb < conc || na+nb != events {
		t.Errorf("node A delivered %v and node B %v, want at least %d each and %d in all", na, nb, conc, events)
	}
	if n := deliveryTotal(ca, hookID, switchboard.DeliveryPending); n != 0 {
		t.Errorf("%v deliveries still pending through node A", n)
	}
}

// TestMultiNodeSIGKILL: a node killed with deliveries in flight loses none.
// Its leases lapse, and the other node sends what it held: every delivery
// arrives, re-sends carry the same webhook-id and body, and no delivery is
// ever sent by both nodes at once.
func TestMultiNodeSIGKILL(t *testing.T) {
	t.Parallel()
	const events, conc = 400, 4
	// The receiver holds every POST until node A is dead, so that A
	// certainly dies with deliveries in flight: each node has conc
	// senders, so 2 × conc waiting POSTs are conc from each.
	f := newInflight(10*time.Millisecond, true)
	recv := newHookReceiver(t, f.answer)
	dsn := sharedSchema(t)
	// A node's lease on a delivery is 2 × --webhook-timeout + 10 s (there
	// is no shorter setting), so the survivor takes over 16 s after node A
	// claimed. A POST held past the timeout (a slow machine creating the
	// backlog) is retried, and arrives all the same.
	args := []string{"--webhook-concurrency", strconv.Itoa(conc), "--webhook-timeout", "3s",
		"--webhook-retry-schedule", "0s,100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"}
	a := startNode(t, dsn, args...)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn, args...)
	ca := &client{t: t, base: a.httpURL, key: key}
	cb := &client{t: t, base: b.httpURL, key: key}
	hookID := subscribe(ca, recv)
	created := createEndpoints(t, key, events, a, b)

	// Both nodes are mid-drain: each has claimed deliveries and parked its
	// senders in the receiver, and the rest of the backlog waits.
	eventually(t, 30*time.Second, "both nodes' senders to wait in the receiver", func() bool { return f.waiting() == 2*conc })
	if n := deliveryTotal(cb, hookID, switchboard.DeliveryPending); n != events {
		t.Fatalf("%v deliveries pending at the kill, want all %d", n, events)
	}
	parked := map[string]bool{}
	f.mu.Lock()
	for id := range f.byID {
		parked[id] = true
	}
	f.mu.Unlock()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := <-a.exited; err == nil {
		t.Fatal("node A exited cleanly after SIGKILL")
	}
	a.exited <- nil // for startBinary's cleanup
	f.unhold()

	evs, posts := waitAnnounced(t, recv, created, 90*time.Second)
	resent := 0
	for _, evt := range evs {
		rs := recv.of(evt)
		if len(rs) < 2 {
			continue
		}
		resent++
		for _, r := range rs[1:] {
			if r.Header.Get("webhook-id") != rs[0].Header.Get("webhook-id") || !bytes.Equal(r.Body, rs[0].Body) {
				t.Errorf("event %s re-sent as webhook-id %q with body %s, first sent as %q with %s",
					evt, r.Header.Get("webhook-id"), r.Body, rs[0].Header.Get("webhook-id"), rs[0].Body)
			}
		}
	}
	// The conc POSTs node A had parked were never answered, so node B
	// sends them again after A's leases lapse.
	again := 0
	for id := range parked {
		if posts[id] > 1 {
			again++
		}
	}
	t.Logf("%d events; %d re-sent after the kill (%d of the %d parked), all arrived %v after it",
		len(evs), resent, again, len(parked), time.Since(killed).Round(time.Millisecond))
	if again < conc {
		t.Errorf("only %d of the POSTs parked at the kill were sent again, want at least node A's %d", again, conc)
	}
	if o := f.overlapping(); len(o) > 0 {
		t.Errorf("%d deliveries were held by two senders at once, first %s", len(o), o[0])
	}
	eventually(t, 10*time.Second, "every delivery recorded as delivered", func() bool {
		return deliveryTotal(cb, hookID, switchboard.DeliveryDelivered) == events
	})
}

// nodeRequest is an API call that may run off the test goroutine.
func nodeRequest(p *proc, key, method, path, idemKey string, body []byte) (int, []byte, http.Header, error) {
	req, err := http.NewRequest(method, p.httpURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header, err
}

// TestMultiNodeIdempotency: an Idempotency-Key holds across nodes. A
// retry through the other node replays the first response, a different
// request with the key is refused there, and of two requests racing with
// one key through both nodes exactly one runs.
func TestMultiNodeIdempotency(t *testing.T) {
	t.Parallel()
	dsn := sharedSchema(t)
	a := startNode(t, dsn)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn)
	ca, cb := &client{t: t, base: a.httpURL, key: key}, &client{t: t, base: b.httpURL, key: key}

	body := map[string]any{"name": "Once", "type": "webhook", "url": "https://once.example/hook"}
	first := ca.must(201, ca.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "mn-1")))
	again := cb.must(201, cb.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "mn-1")))
	if !bytes.Equal(first.Raw, again.Raw) || again.Header.Get("Idempotent-Replayed") != "true" || again.str("id") != first.str("id") {
		t.Fatalf("node B did not replay node A's response:\n%s\n%s", first.Raw, again.Raw)
	}
	body["name"] = "Twice"
	cb.mustErr(422, "IDEMPOTENCY_KEY_REUSED", cb.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "mn-1")))
	ca.mustErr(422, "IDEMPOTENCY_KEY_REUSED", ca.do("POST", "/v1/endpoints", body, header("Idempotency-Key", "mn-1")))

	// PATCH through B, replayed through A after another change.
	id := first.str("id")
	p1 := cb.must(200, cb.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Renamed"}, header("Idempotency-Key", "mn-2")))
	ca.must(200, ca.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Other"}))
	p2 := ca.must(200, ca.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Renamed"}, header("Idempotency-Key", "mn-2")))
	if !bytes.Equal(p1.Raw, p2.Raw) || p2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("PATCH replay through the other node differs:\n%s\n%s", p1.Raw, p2.Raw)
	}

	// Races: each key sent through both nodes at once. The one that starts
	// creates; the other replays it (201, same id) or, while the first still
	// runs, is told so (409).
	const races = 20
	type result struct {
		status int
		raw    []byte
		header http.Header
		err    error
	}
	results := make([][2]result, races)
	var wg sync.WaitGroup
	for i := range races {
		raw := mustMarshal(t, map[string]any{"name": fmt.Sprintf("race %d", i), "type": "webhook", "url": "https://race.example/hook"})
		for n, p := range []*proc{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var r result
				r.status, r.raw, r.header, r.err = nodeRequest(p, key, "POST", "/v1/endpoints", fmt.Sprintf("race-%d", i), raw)
				results[i][n] = r
			}()
		}
	}
	wg.Wait()
	replays, busy := 0, 0
	for i, pair := range results {
		var ids []string
		replayed := 0
		for n, r := range pair {
			if r.err != nil {
				t.Fatalf("race %d node %d: %v", i, n, r.err)
			}
			var env map[string]any
			json.Unmarshal(r.raw, &env)
			switch {
			case r.status == 201:
				ids = append(ids, env["id"].(string))
				if r.header.Get("Idempotent-Replayed") == "true" {
					replayed++
				}
			case r.status == 409 && env["code"] == "IDEMPOTENCY_KEY_IN_USE":
				busy++
			default:
				t.Fatalf("race %d node %d: %d %s", i, n, r.status, r.raw)
			}
		}
		switch {
		case len(ids) == 0:
			t.Fatalf("race %d: neither request created anything: %+v", i, pair)
		case len(ids) == 2 && (ids[0] != ids[1] || replayed != 1):
			t.Fatalf("race %d: both requests ran (%v, %d replayed)", i, ids, replayed)
		}
		replays += replayed
	}
	t.Logf("%d keys raced through both nodes: %d second requests replayed, %d told the first was in progress", races, replays, busy)
	// One endpoint per key, plus the first one.
	if l := cb.must(200, cb.do("GET", "/v1/endpoints?limit=100", nil)); l.Body["total"] != float64(races+1) {
		t.Fatalf("%v endpoints after %d raced keys, want %d: %s", l.Body["total"], races, races+1, l.Raw)
	}
}

// TestMultiNodeReadsOtherNodesWrites: a change made through one node shows
// through the other. Everything the API reads from the database shows at
// once. Endpoints, which each node caches, show as soon as the other node
// hears of the change on the change feed (LISTEN/NOTIFY), and within
// storecache.DefaultTTL at the latest, should the feed be late.
func TestMultiNodeReadsOtherNodesWrites(t *testing.T) {
	t.Parallel()
	dsn := sharedSchema(t)
	a := startNode(t, dsn)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn)
	ca, cb := &client{t: t, base: a.httpURL, key: key}, &client{t: t, base: b.httpURL, key: key}

	// A new endpoint: B has nothing cached for it, so it shows at once.
	ep := ca.must(201, ca.do("POST", "/v1/endpoints", map[string]any{"name": "Seen", "type": "webhook", "url": "https://seen.example/hook"}))
	id := ep.str("id")
	if got := cb.must(200, cb.do("GET", "/v1/endpoints/"+id, nil)); !bytes.Equal(got.Raw, ep.Raw) {
		t.Fatalf("node B shows the new endpoint as\n%s\nnode A created\n%s", got.Raw, ep.Raw)
	}
	if l := cb.must(200, cb.do("GET", "/v1/endpoints", nil)); l.Body["total"] != float64(1) {
		t.Fatalf("node B lists %v endpoints, want 1", l.Body["total"])
	}

	// An endpoint B has just read (and cached) is changed through A: B shows
	// the change within the TTL (in practice, milliseconds), and until then
	// only the previous version.
	staleWithin := func(what string, fresh func() bool) {
		t.Helper()
		start := time.Now()
		deadline := start.Add(storecache.DefaultTTL + time.Second) // the TTL, and room for a busy machine
		for !fresh() {
			if time.Now().After(deadline) {
				t.Fatalf("node B still showed the %s %v after node A made it (cache TTL %v)", what, time.Since(start), storecache.DefaultTTL)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("node B showed the %s %v after node A made it", what, time.Since(start).Round(time.Millisecond))
	}
	cb.must(200, cb.do("GET", "/v1/endpoints/"+id, nil))
	cb.must(200, cb.do("GET", "/v1/endpoints", nil))
	patched := ca.must(200, ca.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Renamed"}))
	staleWithin("renamed endpoint", func() bool {
		got := cb.must(200, cb.do("GET", "/v1/endpoints/"+id, nil))
		if got.str("name") != "Seen" && got.str("name") != "Renamed" {
			t.Fatalf("node B shows neither version: %s", got.Raw)
		}
		return bytes.Equal(got.Raw, patched.Raw)
	})
	staleWithin("renamed endpoint in the list", func() bool {
		l := cb.must(200, cb.do("GET", "/v1/endpoints", nil))
		return l.items("endpoints")[0]["name"] == "Renamed"
	})
	ca.must(200, ca.do("DELETE", "/v1/endpoints/"+id, nil))
	staleWithin("deleted endpoint", func() bool {
		return cb.do("GET", "/v1/endpoints/"+id, nil).Status == 404
	})

	// Subscriptions and the delivery log are read from the database on
	// every request: a change through A shows through B at once.
	hook := ca.must(201, ca.do("POST", "/v1/webhooks", map[string]any{"url": "https://hooks.example/a", "events": []string{"endpoint.*"}}))
	hookID := hook.str("id")
	if got := cb.must(200, cb.do("GET", "/v1/webhooks/"+hookID, nil)); got.str("url") != "https://hooks.example/a" {
		t.Fatalf("node B shows the new subscription as %s", got.Raw)
	}
	ca.must(200, ca.do("PATCH", "/v1/webhooks/"+hookID, map[string]any{"url": "https://hooks.example/b"}))
	if got := cb.must(200, cb.do("GET", "/v1/webhooks/"+hookID, nil)); got.str("url") != "https://hooks.example/b" {
		t.Fatalf("node B shows the patched subscription as %s", got.Raw)
	}
	ca.must(201, ca.do("POST", "/v1/endpoints", map[string]any{"name": "Announced", "type": "webhook", "url": "https://seen.example/hook"}))
	if l := cb.must(200, cb.do("GET", "/v1/webhook-deliveries?webhook_id="+hookID, nil)); l.Body["total"] != float64(1) {
		t.Fatalf("node B lists %v deliveries of the endpoint.created made through A, want 1: %s", l.Body["total"], l.Raw)
	}

	// A key made on the shared database (here by the CLI) works on both
	// nodes at once: only keys that were found are cached.
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"keys", "create", "--database", dsn, "--org", "second"},
		func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("keys create: %v\n%s", err, errOut.String())
	}
	second := strings.TrimSpace(out.String())
	for _, p := range []*proc{a, b} {
		c := &client{t: t, base: p.httpURL, key: second}
		if l := c.must(200, c.do("GET", "/v1/endpoints", nil)); l.Body["total"] != float64(0) {
			t.Fatalf("organisation second sees another's endpoints: %s", l.Raw)
		}
	}
	cb.mustErr(404, "WEBHOOK_NOT_FOUND", (&client{t: t, base: b.httpURL, key: second}).do("GET", "/v1/webhooks/"+hookID, nil))
}
