package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// announced maps each endpoint that an endpoint.created delivery named to
// that event's id, and counts the POSTs of each event.
func announced(t *testing.T, recv *hookReceiver) (events map[string]string, posts map[string]int) {
	events, posts = map[string]string{}, map[string]int{}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	for _, r := range recv.got {
		posts[r.EventID]++
		if r.Event != "endpoint.created" {
			continue
		}
		if prev, ok := events[r.DataID]; ok && prev != r.EventID {
			t.Errorf("endpoint %s announced by two events %s and %s", r.DataID, prev, r.EventID)
		}
		events[r.DataID] = r.EventID
	}
	return events, posts
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
	// A slow receiver keeps a backlog of deliveries in flight when the
	// server is killed.
	recv := newHookReceiver(t, func(context.Context, int, receipt) (int, string) {
		time.Sleep(20 * time.Millisecond)
		return 204, ""
	})

	p := startBinary(t, args...)
	key := p.bootstrapKey(t)
	status, hook, err := apiCall(p, key, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"endpoint.*"}})
	if err != nil || status != 201 {
		t.Fatalf("create subscription: %d %v %v", status, hook, err)
	}
	recv.setSecrets(hook["secret"].(string))

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
		events, _ := announced(t, recv)
		missing := 0
		for id := range committed {
			if _, ok := events[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged endpoints never reached the receiver", missing, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Everything received was committed: it exists in the database now.
	events, posts := announced(t, recv)
	dups := 0
	for id, evt := range events {
		if posts[evt] > 1 {
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
	t.Logf("%d acknowledged creates, %d events received, %d delivered more than once (same webhook-id)", want, len(events), dups)
	if dups == 0 {
		t.Error("no delivery was interrupted by a kill: the at-least-once path was not exercised")
	}
}
