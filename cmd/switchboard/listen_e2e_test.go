package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// runBackground runs the CLI with args until the test ends, and returns
// its stdout and stderr as they grow, and a function that stops it and
// returns its error.
func runBackground(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, stdout, stderr) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("switchboard %s did not stop within 10 s of Ctrl-C", args[0])
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// api is the server's REST API, to count its open event streams.
func (ts *testServer) api() *httpapi.Server { return ts.Main.api }

// signedReceiver is a local receiver that verifies both signature schemes
// of every POST with the secret it is given once listen has printed it.
type signedReceiver struct {
	mu     sync.Mutex
	secret string
	got    []switchboard.Event
	bad    []string
}

func (r *signedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	errStd := switchboard.VerifyStandardWebhook(body, req.Header, r.secret, time.Now(), switchboard.DefaultWebhookTolerance)
	errKros := switchboard.VerifyKrosAIWebhook(body, req.Header, r.secret)
	var ev switchboard.Event
	errJSON := json.Unmarshal(body, &ev)
	if errStd != nil || errKros != nil || errJSON != nil || req.Header.Get("webhook-id") != ev.ID {
		r.bad = append(r.bad, strings.Join([]string{string(body), errString(errStd), errString(errKros), errString(errJSON)}, " | "))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.got = append(r.got, ev)
	w.WriteHeader(http.StatusAccepted)
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func (r *signedReceiver) events() ([]switchboard.Event, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]switchboard.Event(nil), r.got...), append([]string(nil), r.bad...)
}

// TestListenForwardTo runs `switchboard listen --forward-to` against the
// real server: it prints a per-session secret, forwards each event signed
// with both schemes (a real receiver verifies them), shows the receiver's
// status, and honours --events; --secret signs with the given secret.
func TestListenForwardTo(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	recv := &signedReceiver{}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)

	stdout, stderr, stop := runBackground(t, "listen", "--url", ts.HTTPURL(), "--api-key", ts.BootstrapKey,
		"--events", "endpoint.*", "--forward-to", hook.URL+"/hook", "--output", "json")
	var secret string
	eventually(t, 5*time.Second, "listen prints its secret", func() bool {
		secret = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(stderr.String())
		return secret != ""
	})
	recv.mu.Lock()
	recv.secret = secret
	recv.mu.Unlock()
	eventually(t, 5*time.Second, "listen's stream is open", func() bool { return ts.api().OpenStreams() == 1 })

	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "one", "type": "webhook", "url": "https://x.example/1"})).str("id")
	c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://x.example/subs"})) // no event: not endpoint.*
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep, nil))
	eventually(t, 10*time.Second, "two events forwarded", func() bool { got, bad := recv.events(); return len(got)+len(bad) >= 2 })
	got, bad := recv.events()
	if len(bad) > 0 || len(got) != 2 || got[0].Type != "endpoint.created" || got[1].Type != "endpoint.deleted" {
		t.Fatalf("the receiver verified %+v and refused %v; want endpoint.created then endpoint.deleted, both signed", got, bad)
	}
	eventually(t, 5*time.Second, "two lines printed", func() bool { return strings.Count(stdout.String(), "\n") >= 2 })
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	for i, line := range lines {
		var l struct {
			ID, Event, Forward string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.ID != got[i].ID || l.Event != got[i].Type || l.Forward != "202" {
			t.Errorf("line %d = %s (%v), want event %s forwarded with 202", i, line, err, got[i].ID)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("listen stopped with %v, want nil on Ctrl-C", err)
	}
	eventually(t, 5*time.Second, "the server closes listen's stream", func() bool { return ts.api().OpenStreams() == 0 })

	// --secret: the receiver's own secret, and table output.
	own := switchboard.NewSigningSecret()
	recv.mu.Lock()
	recv.secret, recv.got = own, nil
	recv.mu.Unlock()
	stdout, _, stop = runBackground(t, "listen", "--url", ts.HTTPURL(), "--api-key", ts.BootstrapKey,
		"--forward-to", hook.URL, "--secret", own, "--output", "table")
	eventually(t, 5*time.Second, "listen's stream is open", func() bool { return ts.api().OpenStreams() == 1 })
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "two", "type": "webhook", "url": "https://x.example/2"}))
	eventually(t, 10*time.Second, "forwarded with --secret", func() bool { got, bad := recv.events(); return len(got)+len(bad) >= 1 })
	if got, bad := recv.events(); len(bad) > 0 || len(got) != 1 {
		t.Fatalf("with --secret the receiver verified %+v and refused %v", got, bad)
	}
	eventually(t, 5*time.Second, "a table line", func() bool {
		return strings.Contains(stdout.String(), "endpoint.created") && strings.Contains(stdout.String(), "→ 202")
	})
	stop()

	// Usage errors exit 2 without connecting.
	for _, args := range [][]string{
		{"listen", "--forward-to", "localhost:3000"},
		{"listen", "--forward-to", "http://localhost:3000", "--secret", "nope"},
		{"listen", "extra"},
	} {
		err := run(context.Background(), append(args, "--api-key", "x"), func(string) string { return "" }, io.Discard, io.Discard)
		if exitCode(err) != exitUsage {
			t.Errorf("switchboard %v = %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	// A bad key: exit 3, not a reconnection loop.
	err := run(context.Background(), []string{"listen", "--url", ts.HTTPURL(), "--api-key", "kros_live_bad"}, func(string) string { return "" }, io.Discard, io.Discard)
	if exitCode(err) != exitAuth {
		t.Errorf("listen with a bad key = %v (exit %d), want exit %d", err, exitCode(err), exitAuth)
	}
}

// TestCallsTail follows a real call through the SIP edge with `switchboard
// calls tail`: its call events are in the log and on the stream although
// no webhook receives them.
func TestCallsTail(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	uas := f.routeToAgent("uas_answer")
	stdout, _, stop := runBackground(t, "calls", "tail", "--url", f.ts.HTTPURL(), "--api-key", f.ts.BootstrapKey, "--output", "table")
	eventually(t, 5*time.Second, "calls tail's stream is open", func() bool { return f.ts.api().OpenStreams() == 1 })
	f.c.must(201, f.c.do("POST", "/v1/endpoints", map[string]any{"name": "not a call", "type": "webhook", "url": "https://x.example/1"}))
	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	call := f.call("")
	id := call.str("id")
	eventually(t, 10*time.Second, "call.completed printed", func() bool { return strings.Contains(stdout.String(), "call.completed") })
	if err := stop(); err != nil {
		t.Errorf("calls tail stopped with %v", err)
	}
	out := stdout.String()
	for _, want := range []string{"call.initiated", "call.answered", "call.completed", id, f.number} {
		if !strings.Contains(out, want) {
			t.Errorf("calls tail printed\n%s\nwithout %q", out, want)
		}
	}
	if strings.Contains(out, "endpoint.created") {
		t.Errorf("calls tail printed a non-call event:\n%s", out)
	}
	l := f.c.must(200, f.c.do("GET", "/v1/events?type=call.*", nil))
	if n, _ := l.Body["total"].(float64); n < 3 {
		t.Errorf("the log has %v call events, want the call's (initiated, answered, completed …): %s", l.Body["total"], l.Raw)
	}
}
