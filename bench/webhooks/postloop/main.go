// Command postloop is the non-durable baseline of bench/webhooks/run.sh: C
// goroutines POST N signed, event-sized JSON bodies to a receiver as fast as
// it answers, with no queue and no database. Each request is signed with
// webhook.Sign (both schemes, like a real delivery) and sent through
// webhook.NewHTTPClient, the worker's own HTTP client, so the baseline pays
// the same signing and transport costs and differs only in durability.
//
//	postloop -url http://127.0.0.1:9000/hook -n 20000 -c 64 -size 600 -secret whsec_…
//
// It prints one line: "deliveries=N errors=E non2xx=X seconds=S rate=R cpu_ms=M".
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/webhook"
)

// body returns a JSON object shaped like an endpoint.created envelope, padded
// to exactly size bytes when size is larger than the skeleton.
func body(size int) []byte {
	const head = `{"id":"evt_postloop","type":"endpoint.created","timestamp":"2026-01-01T00:00:00.000000Z","data":{"name":"`
	const tail = `"}}`
	pad := max(size-len(head)-len(tail), 1)
	return []byte(head + strings.Repeat("x", pad) + tail)
}

func main() {
	url := flag.String("url", "", "receiver URL (http://127.0.0.1:…)")
	n := flag.Int("n", 20000, "deliveries to make")
	c := flag.Int("c", 64, "concurrent senders (the worker's --webhook-concurrency)")
	size := flag.Int("size", 600, "body size in bytes")
	secret := flag.String("secret", "", "whsec_ signing secret (default: a fresh one)")
	timeout := flag.Duration("timeout", 10*time.Second, "timeout of one POST")
	limit := flag.Duration("limit", 120*time.Second, "give up after this long")
	flag.Parse()
	if *url == "" || *n <= 0 || *c <= 0 {
		log.Fatal("postloop: -url, a positive -n and a positive -c are required")
	}
	if !strings.HasPrefix(*url, "http://127.0.0.1:") {
		log.Fatal("postloop: only http://127.0.0.1 receivers are allowed")
	}
	if *secret == "" {
		*secret = switchboard.NewSigningSecret()
	}
	payload := body(*size)
	client := webhook.NewHTTPClient(*timeout, true)
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	var next, errs, non2xx atomic.Int64
	prefix := "evt_pl" + strconv.FormatInt(time.Now().UnixNano(), 36) + "x"
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				h, err := webhook.Sign(payload, prefix+strconv.FormatInt(i, 10), time.Now(), *secret)
				if err != nil {
					log.Fatalf("postloop: sign: %v", err)
				}
				rctx, rcancel := context.WithTimeout(ctx, *timeout)
				req, err := http.NewRequestWithContext(rctx, http.MethodPost, *url, bytes.NewReader(payload))
				if err != nil {
					log.Fatalf("postloop: %v", err)
				}
				req.Header = h
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
				} else {
					io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
					resp.Body.Close()
					if resp.StatusCode < 200 || resp.StatusCode > 299 {
						non2xx.Add(1)
					}
				}
				rcancel()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := min(next.Load(), int64(*n))
	fmt.Printf("deliveries=%d errors=%d non2xx=%d seconds=%.3f rate=%.1f cpu_ms=%d\n",
		done, errs.Load(), non2xx.Load(), elapsed.Seconds(), float64(done)/elapsed.Seconds(), cpuMS())
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "postloop: stopped at -limit before all deliveries were made")
		os.Exit(1)
	}
}

// cpuMS is the user + system CPU time this process has used, in ms.
func cpuMS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return (ru.Utime.Nano() + ru.Stime.Nano()) / 1e6
}
