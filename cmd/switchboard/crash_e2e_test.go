package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/webhook"
)

// sigReceiver is a real webhook receiver that verifies both signatures and
// records every event id it was sent.
type sigReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    map[string]int    // event id → times received
	bodies map[string]string // endpoint id in endpoint.created → event id
}

func newSigReceiver(t *testing.T) *sigReceiver {
	r := &sigReceiver{t: t, got: map[string]int{}, bodies: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret := r.secret
		r.mu.Unlock()
		if err := webhook.Verify(body, req.Header, secret, time.Now(), time.Minute); err != nil {
			t.Errorf("bad signature: %v", err)
			w.WriteHeader(400)
			return
		}
		if err := webhook.VerifyKrosAI(body, req.Header, secret); err != nil {
			t.Errorf("bad KrosAI signature: %v", err)
		}
		var env struct {
			ID    string `json:"id"`
			Event string `json:"event"`
			Data  struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.ID != req.Header.Get("webhook-id") {
			t.Errorf("envelope id %q vs webhook-id %q (%v)", env.ID, req.Header.Get("webhook-id"), err)
		}
		r.mu.Lock()
		r.got[env.ID]++
		if env.Event == "endpoint.created" {
			if prev, ok := r.bodies[env.Data.ID]; ok && prev != env.ID {
				t.Errorf("endpoint %s announced by two events %s and %s", env.Data.ID, prev, env.ID)
			}
			r.bodies[env.Data.ID] = env.ID
		}
		r.mu.Unlock()
		// A slow receiver keeps a backlog of deliveries in flight when the
		// server is killed.
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(204)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func apiCall(p *proc, key, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.httpURL+path, rd)
	req.Header.Set("x-api-key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

// TestCrashSafetyUnderSIGKILL kills the real server again and again while
// deliveries are in flight, then checks that every committed change
// reached the receiver at least once and nothing uncommitted ever did.
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "crash.db")
	args := []string{"--database", db, "--webhook-allow-private", "--rate-limit", "0", "--webhook-timeout", "1s", "--webhook-concurrency", "4",
		"--webhook-retry-schedule", "0s,100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"}
	recv := newSigReceiver(t)

	p := startBinary(t, args...)
	key := p.bootstrapKey(t)
	status, hook, err := apiCall(p, key, "POST", "/v1/webhooks", map[string]any{"url": recv.srv.URL + "/hook", "events": []string{"endpoint.*"}})
	if err != nil || status != 201 {
		t.Fatalf("create subscription: %d %v %v", status, hook, err)
	}
	recv.mu.Lock()
	recv.secret = hook["secret"].(string)
	recv.mu.Unlock()

	var mu sync.Mutex
	committed := map[string]bool{} // endpoints whose creation was acknowledged
	// Odd rounds kill while creates are still arriving (some responses are
	// lost: those changes may or may not have committed); even rounds let
	// the creates finish and kill while the durable backlog (hundreds of
	// deliveries at --webhook-concurrency 4 against a slow receiver) drains.
	const rounds, perRound = 6, 400
	for round := range rounds {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perRound / 8 {
					st, ep, err := apiCall(p, key, "POST", "/v1/endpoints", map[string]any{
						"name": fmt.Sprintf("r%d w%d n%d", round, w, i), "type": "webhook", "url": "https://example.com/h"})
					if err != nil {
						return // the server was killed under us
					}
					if st == 201 {
						mu.Lock()
						committed[ep["id"].(string)] = true
						mu.Unlock()
					}
				}
			}()
		}
		if round%2 == 0 {
			wg.Wait()
		} else {
			time.Sleep(time.Duration(100+round*50) * time.Millisecond)
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		p.exited <- nil
		wg.Wait()
		p = startBinary(t, args...)
	}
	// A change that fails (and so rolls back) must never be announced.
	if st, _, _ := apiCall(p, key, "POST", "/v1/endpoints", map[string]any{"name": "", "type": "webhook", "url": "https://example.com/h"}); st != 400 {
		t.Fatalf("invalid create: %d", st)
	}
	mu.Lock()
	want := len(committed)
	mu.Unlock()
	if want < rounds/2*perRound {
		t.Fatalf("only %d creates were acknowledged, want at least the %d of the rounds that waited for them", want, rounds/2*perRound)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		recv.mu.Lock()
		missing := 0
		for id := range committed {
			if _, ok := recv.bodies[id]; !ok {
				missing++
			}
		}
		recv.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged endpoints never reached the receiver", missing, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Everything received was committed: it exists in the database now.
	recv.mu.Lock()
	defer recv.mu.Unlock()
	dups := 0
	for id, evt := range recv.bodies {
		if recv.got[evt] > 1 {
			dups++
		}
		if committed[id] {
			continue
		}
		// Created but its response was lost to the kill: it must exist.
		if st, _, _ := apiCall(p, key, "GET", "/v1/endpoints/"+id, nil); st != 200 {
			t.Errorf("receiver got endpoint.created for %s, which is not in the database (%d)", id, st)
		}
	}
	t.Logf("%d acknowledged creates, %d events received, %d delivered more than once (same webhook-id)", want, len(recv.bodies), dups)
	if dups == 0 {
		t.Error("no delivery was interrupted by a kill: the at-least-once path was not exercised")
	}
}
