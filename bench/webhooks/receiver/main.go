// Command receiver is the webhook receiver of bench/webhooks/run.sh: it
// answers every POST with 204 at once, counts the requests and their arrival
// times, and checks the Standard Webhooks signature of every Nth one.
//
//	receiver -addr 127.0.0.1:9000 -secrets secrets.txt -verify-every 100
//
// GET /stats returns {count, bytes, first_at, last_at, first_ns, last_ns,
// verified, bad_signatures, held, buckets_100ms}; POST /reset zeroes the
// counters and re-reads the secrets file (so the bench can write it after it
// has created the subscriptions). POST /hold makes deliveries wait, unanswered
// and uncounted, until POST /release (or their sender gives up): the bench
// holds the senders while it builds a backlog, then measures its drain. Any
// other request is counted as a delivery.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard/webhook"
)

// maxBuckets bounds the arrival histogram: 10 minutes of 100 ms buckets.
const maxBuckets = 6000

type receiver struct {
	secretsFile string
	verifyEvery int64

	mu      sync.RWMutex // guards secrets, epoch and release
	secrets []string
	epoch   time.Time     // buckets are counted from here (the first arrival)
	release chan struct{} // open while held; closed (or nil) while deliveries flow
	held    atomic.Int64  // deliveries waiting for a release

	count, bytes, verified, bad atomic.Int64
	unsigned                    atomic.Int64 // verifiable requests skipped: no secrets loaded
	firstNS, lastNS             atomic.Int64
	buckets                     [maxBuckets]atomic.Int64
	bufs                        sync.Pool
}

func (rc *receiver) load() error {
	var secrets []string
	if rc.secretsFile != "" {
		f, err := os.Open(rc.secretsFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if s := strings.TrimSpace(sc.Text()); s != "" {
					secrets = append(secrets, s)
				}
			}
			if err := sc.Err(); err != nil {
				return err
			}
		}
	}
	rc.mu.Lock()
	rc.secrets = secrets
	rc.mu.Unlock()
	return nil
}

func (rc *receiver) reset() {
	rc.count.Store(0)
	rc.bytes.Store(0)
	rc.verified.Store(0)
	rc.bad.Store(0)
	rc.unsigned.Store(0)
	rc.firstNS.Store(0)
	rc.lastNS.Store(0)
	for i := range rc.buckets {
		rc.buckets[i].Store(0)
	}
}

// deliver is the hot path: read the body, answer 204, count.
func (rc *receiver) deliver(w http.ResponseWriter, r *http.Request) {
	bp, _ := rc.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 4096)
		bp = &b
	}
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break // io.EOF, or a broken request: counted all the same
		}
		if len(buf) > 1<<20 {
			io.Copy(io.Discard, r.Body)
			break
		}
	}
	rc.mu.RLock()
	release := rc.release
	rc.mu.RUnlock()
	if release != nil {
		rc.held.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		rc.held.Add(-1)
		if r.Context().Err() != nil {
			return // the sender gave up: not a delivery
		}
	}
	w.WriteHeader(http.StatusNoContent)

	now := time.Now().UnixNano()
	n := rc.count.Add(1)
	rc.bytes.Add(int64(len(buf)))
	rc.firstNS.CompareAndSwap(0, now)
	for {
		last := rc.lastNS.Load()
		if now <= last || rc.lastNS.CompareAndSwap(last, now) {
			break
		}
	}
	if i := (now - rc.firstNS.Load()) / int64(100*time.Millisecond); i >= 0 && i < maxBuckets {
		rc.buckets[i].Add(1)
	}
	if rc.verifyEvery > 0 && n%rc.verifyEvery == 0 {
		rc.verify(buf, r.Header)
	}
	*bp = buf
	rc.bufs.Put(bp)
}

// verify accepts the request if any loaded secret verifies it.
func (rc *receiver) verify(body []byte, h http.Header) {
	rc.mu.RLock()
	secrets := rc.secrets
	rc.mu.RUnlock()
	if len(secrets) == 0 {
		rc.unsigned.Add(1)
		return
	}
	now := time.Now()
	for _, s := range secrets {
		if webhook.Verify(body, h, s, now, 0) == nil {
			rc.verified.Add(1)
			return
		}
	}
	rc.bad.Add(1)
}

type stats struct {
	Count         int64   `json:"count"`
	Bytes         int64   `json:"bytes"`
	FirstAt       string  `json:"first_at,omitempty"`
	LastAt        string  `json:"last_at,omitempty"`
	FirstNS       int64   `json:"first_ns"`
	LastNS        int64   `json:"last_ns"`
	Verified      int64   `json:"verified"`
	BadSignatures int64   `json:"bad_signatures"`
	Unverified    int64   `json:"unverified"`
	Secrets       int     `json:"secrets"`
	Held          int64   `json:"held"`
	Buckets       []int64 `json:"buckets_100ms"`
}

func (rc *receiver) stats(w http.ResponseWriter, r *http.Request) {
	s := stats{
		Count: rc.count.Load(), Bytes: rc.bytes.Load(),
		FirstNS: rc.firstNS.Load(), LastNS: rc.lastNS.Load(),
		Verified: rc.verified.Load(), BadSignatures: rc.bad.Load(), Unverified: rc.unsigned.Load(),
		Held: rc.held.Load(),
	}
	rc.mu.RLock()
	s.Secrets = len(rc.secrets)
	rc.mu.RUnlock()
	if s.FirstNS != 0 {
		s.FirstAt = time.Unix(0, s.FirstNS).UTC().Format(time.RFC3339Nano)
		s.LastAt = time.Unix(0, s.LastNS).UTC().Format(time.RFC3339Nano)
		if n := (s.LastNS-s.FirstNS)/int64(100*time.Millisecond) + 1; n > 0 {
			s.Buckets = make([]int64, min(n, maxBuckets))
			for i := range s.Buckets {
				s.Buckets[i] = rc.buckets[i].Load()
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	secrets := flag.String("secrets", "", "file of whsec_ signing secrets, one a line, re-read on POST /reset (none: signatures are not checked)")
	every := flag.Int64("verify-every", 100, "verify the signature of every Nth request (0: never)")
	flag.Parse()

	rc := &receiver{secretsFile: *secrets, verifyEvery: *every}
	if err := rc.load(); err != nil {
		log.Fatalf("receiver: secrets: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", rc.stats)
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		if err := rc.load(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		rc.reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /hold", func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		if rc.release == nil {
			rc.release = make(chan struct{})
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /release", func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		if rc.release != nil {
			close(rc.release)
			rc.release = nil
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/", rc.deliver)
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("receiver listening on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}
